/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's side of the agent channel (docs/dataplane.md, "Agent
 * channel"): a listener on a Unix or TCP stream socket, and per connection
 * the protocol:
 *
 *   agent: hello {host, version, pid, revision}
 *   controller: view {revision, entries}        the host's whole view
 *   ... on every model change, if the view changed:
 *   controller: delta {revision, put, delete}   stamped with the store revision
 *   agent: ack {revision}; report {counters, health} every second
 *   controller: request {id, op, ...}           e.g. a router's ping
 *   agent: response {id, ok, ...}
 *
 * A hello for an unknown host, a kernel-VTEP host or another protocol
 * version, and any bad frame or message out of place, is answered with an
 * 'error' message and the connection is closed. A second connection for a
 * host replaces the first (an agent that restarted). When a connected
 * agent's host leaves the model (or becomes a kernel VTEP), it gets an
 * 'error' and is closed.
 *
 * The controller keeps the last view sent on each connection and sends
 * only differences. Output is buffered by libevent: a slow agent never
 * blocks the loop; one whose unsent output passes the limit (64 MiB by
 * default) is dropped, and gets a full view when it reconnects.
 *
 * Per host the latest hello (pid, revision), acknowledged revision and
 * report (counters, health, time) are kept for GET /v1/agents, also after
 * the agent disconnects, until the host leaves the model.
 *
 * Thread-safety: none; the thread that runs the event base owns it.
 */
#ifndef ONM_CONTROLLER_AGENTS_H
#define ONM_CONTROLLER_AGENTS_H

#include "onm/util.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctl_agents;
struct ctl_state;
struct ds;
struct event_base;

/* Default of 'onm-controller --agents'. */
#define CTL_AGENTS_DEFAULT_ADDRESS "unix:./onm-state/agents.sock"
/* Unsent output above which an agent is dropped, bytes. */
#define CTL_AGENTS_DEFAULT_OUTPUT_LIMIT ((size_t)64 << 20)
/* How long a new connection may take to say hello, seconds. */
#define CTL_AGENTS_HELLO_TIMEOUT_SEC 10

/* Starts listening on 'address' for agents, on 'base', serving the model
 * of 'state' (both stay the caller's and must outlive the listener).
 * 'address' is "unix:PATH" (the parent directory is created, a stale
 * socket replaced, the socket made mode 0600; a live one is an error) or
 * "tcp:ADDR:PORT" (port 0 picks a free one). Returns 0 and sets
 * '*agentsp', or a negative errno and sets '*error' to an allocated
 * message naming the address. Model changes reach the agents only if the
 * caller passes them on with ctl_agents_model_changed(). */
int ctl_agents_create(struct event_base *base, struct ctl_state *state, const char *address,
		      struct ctl_agents **agentsp, char **error) WARN_UNUSED_RESULT;

/* Closes every connection, removes the Unix socket, frees 'agents' (NULL
 * is fine). */
void ctl_agents_destroy(struct ctl_agents *agents);

/* The address listened on, e.g. "unix:./onm-state/agents.sock" or
 * "tcp:127.0.0.1:41234". */
const char *ctl_agents_address(const struct ctl_agents *);

/* Tells the connected agents about a model change committed at store
 * revision 'revision': recomputes their views and sends the deltas that
 * are not empty. Fits ctl_state_change_cb (with 'agents' as 'aux'). */
void ctl_agents_model_changed(uint64_t revision, void *agents);

/* Sets the output limit (bytes) above which an agent is dropped. */
void ctl_agents_set_output_limit(struct ctl_agents *, size_t limit);

/* The Route Manager fed by the model and the agents' probe reports
 * (routing.h); the agents own it. */
struct route_manager *ctl_agents_routing(const struct ctl_agents *);

/* Number of agents that said hello and are connected. */
size_t ctl_agents_n_connected(const struct ctl_agents *);

/* GET /v1/agents: one item per host of the model that is not a kernel
 * VTEP, sorted by name: {"host", "connected", "pid", "acked_revision",
 * "sent_revision", "last_report", "health"} (null where unknown). New
 * reference. */
json_t *ctl_agents_list_json(const struct ctl_agents *);
/* The last reported counters of every agent that reported:
 * [{"host", "counters"}] (docs/dataplane-api.md), for summing. */
json_t *ctl_agents_counters_json(const struct ctl_agents *);

/* GET /v1/agents/HOST: the item of the list with more detail: "counters"
 * of the last report, "connected_since", "hello_revision", "connects",
 * "views_sent", "deltas_sent", "bytes_sent". Returns a new reference, or
 * NULL and sets '*error' (allocated) if 'host' is not a host of the model
 * or is a kernel VTEP. */
json_t *ctl_agents_get_json(const struct ctl_agents *, const char *host,
			    char **error) WARN_UNUSED_RESULT;

/* Requests to one agent (docs/dataplane.md, "Requests"): the controller
 * sends {"type": "request", "id", "op", ...} and the agent answers with
 * {"type": "response", "id", "ok", ...}. Ids are per connection; each
 * request ends exactly once: with its response, or failed when it times
 * out or the agent's connection ends first — unless canceled before. The
 * callback runs from the event loop, never from within a ctl_agents_*
 * call (but ctl_agents_destroy(), which fails what still waits), so it
 * may send or cancel requests. */
struct ctl_agent_request;

/* How a request ended: 'response' (borrowed, the whole message) when the
 * agent answered, else NULL and 'error' says why ("timed out", "the agent
 * disconnected"). */
typedef void ctl_agent_answer_fn(void *aux, const json_t *response, const char *error);

/* Sends request 'req' (an object with "op" and its arguments; borrowed —
 * "type" and "id" are set on the copy sent) to the agent of 'host', which
 * must answer within 'timeout_ms'. Returns the request, whose 'cb' is
 * called later, or NULL with '*error' set (allocated) if the host has no
 * agent connected or the request cannot be sent. */
struct ctl_agent_request *ctl_agents_request(struct ctl_agents *, const char *host,
					     const json_t *req, uint32_t timeout_ms,
					     ctl_agent_answer_fn *cb, void *aux, char **error);

/* Forgets a request whose callback has not been called: it will not be.
 * NULL is fine. */
void ctl_agents_request_cancel(struct ctl_agent_request *);

/* True if the agent of 'host' is connected (said hello). */
bool ctl_agents_is_connected(const struct ctl_agents *, const char *host);

/* The hosts that carry network 'network' ("T/N"): those with an instance
 * of it (they have its view entries and route for its routers), sorted by
 * name; kernel VTEPs are left out. A new reference to an array of names
 * (empty for an unknown network). */
json_t *ctl_agents_hosts_of_network(const struct ctl_agents *, const char *network);

/* Appends the channel's metrics in Prometheus text format:
 * onm_agents_connected (gauge), onm_agent_views_sent_total,
 * onm_agent_deltas_sent_total, onm_agent_bytes_sent_total,
 * onm_agent_disconnects_total (counters). */
void ctl_agents_metrics_render(const struct ctl_agents *, struct ds *out);

#endif /* ONM_CONTROLLER_AGENTS_H */
