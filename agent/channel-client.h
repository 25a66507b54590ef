/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's end of the agent channel (docs/dataplane.md, "Agent
 * channel"): connects to the controller at "unix:PATH" or
 * "tcp:ADDR:PORT", says hello with the revision of the last view the agent
 * applied, hands every view and delta to the agent, and sends the agent's
 * acks and reports. When the connection fails or closes it reconnects
 * after a delay that starts at 100 ms and doubles up to 5 s, each jittered
 * by +-20%, and starts again at 100 ms once a connection has delivered a
 * view. The agent keeps forwarding on its last view meanwhile: losing the
 * controller changes nothing below this module.
 *
 * Anything the controller sends that is not a well-formed view, delta,
 * request or error closes the connection with a logged reason (the framing and the
 * message checks are lib/channel.c's).
 *
 * Thread-safety: runs on the control thread's event base only.
 */
#ifndef ONM_AGENT_CHANNEL_CLIENT_H
#define ONM_AGENT_CHANNEL_CLIENT_H

#include "onm/util.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Backoff of reconnections, milliseconds. */
#define CHAN_CLIENT_BACKOFF_MIN_MS 100
#define CHAN_CLIENT_BACKOFF_MAX_MS 5000
/* How long a connection attempt may take, milliseconds. */
#define CHAN_CLIENT_CONNECT_TIMEOUT_MS 5000

struct chan_client;

/* What the client calls on the agent; every callback runs on the event
 * base's thread and gets the 'aux' given to chan_client_create(). */
struct chan_client_ops {
	/* The revision of the last view or delta the agent applied (0 if
	 * none): sent in the hello. */
	uint64_t (*revision)(void *aux);
	/* A connection came up; the hello is on its way. */
	void (*connected)(void *aux);
	/* The connection went down (the client is already waiting to
	 * reconnect). */
	void (*disconnected)(void *aux);
	/* A whole view: 'entries' (borrowed; json_incref() to keep it) is the
	 * host's view at 'revision'. Returns 0, or -errno to close the
	 * connection. */
	int (*view)(void *aux, uint64_t revision, json_t *entries);
	/* A delta to the last view: 'put' (object KEY -> VALUE) and 'del'
	 * (array of KEY strings), both borrowed. Returns 0 or -errno. */
	int (*delta)(void *aux, uint64_t revision, json_t *put, json_t *del);
	/* A request (docs/dataplane.md, "Requests"): 'msg' (borrowed) is the
	 * whole message, with a non-negative "id" and a string "op"; the
	 * agent answers with a response carrying the same id, now or later,
	 * by chan_client_send(). NULL: every request gets {"ok": false}. */
	void (*request)(void *aux, const json_t *msg);
};

/* True if 'address' is "unix:PATH" or "tcp:ADDR:PORT"; else sets '*error'
 * to an allocated message. */
bool chan_client_address_is_valid(const char *address, char **error);

/* Creates a client of the controller at 'address' for host 'host' and
 * starts connecting. Returns 0, or -EINVAL with '*error' set (allocated)
 * if 'address' is not valid. */
int chan_client_create(struct event_base *, const char *address, const char *host,
		       const struct chan_client_ops *, void *aux, struct chan_client **,
		       char **error) WARN_UNUSED_RESULT;

/* Closes the connection and frees 'client'. Accepts NULL. */
void chan_client_destroy(struct chan_client *);

/* True while a connection is up (the hello was sent). */
bool chan_client_is_connected(const struct chan_client *);

/* The delay (ms, jitter included) of the last reconnection scheduled; 0
 * before the first. */
unsigned int chan_client_last_retry_delay_ms(const struct chan_client *);

/* Sends 'msg' (borrowed) on the connection. Returns 0, -ENOTCONN if there
 * is none, -ENOBUFS if more than a megabyte is still waiting to go out
 * (the controller is not reading), or an error of channel_encode(). */
int chan_client_send(struct chan_client *, const json_t *msg);

/* Sends an ack of 'revision' if connected. */
void chan_client_ack(struct chan_client *, uint64_t revision);

#endif /* ONM_AGENT_CHANNEL_CLIENT_H */
