/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's REST server (docs/api.md, docs/openapi.yaml) on
 * libevent's evhttp. One generic request callback routes every request;
 * each handler runs to completion on the event-loop thread, so a write is
 * either committed or never started when the next event is looked at.
 *
 * Security: with a token configured, every request but GET /healthz needs
 * "Authorization: Bearer TOKEN" (compared in constant time; 401 if missing
 * or wrong). Without a token only loopback peers (127.0.0.0/8, ::1) are
 * served; others get 403. Request bodies are limited to 64 MiB (413).
 *
 * Thread-safety: none; the thread that runs 'base' owns the server.
 */
#ifndef ONM_CONTROLLER_API_H
#define ONM_CONTROLLER_API_H

#include "onm/util.h"

#include <jansson.h>
#include <stddef.h>

struct ctl_agents;
struct ctl_api;
struct ctl_state;
struct event_base;
struct metrics;

/* Request bodies above this size are refused with 413. */
#define CTL_API_MAX_BODY_SIZE ((size_t)64 << 20)

/* Creates the server on 'base', serving 'state' and counting into 'metrics'
 * (both stay the caller's and must outlive the server), and starts
 * listening on 'address' ("ADDR:PORT", IPv6 as "[ADDR]:PORT"; port 0 picks a
 * free port) with SO_REUSEADDR. 'token' (copied and wiped on destroy) may be
 * NULL or "" for none. Returns 0 and sets '*apip', or a negative errno and
 * sets '*error' to an allocated message naming the address. */
int ctl_api_create(struct event_base *base, struct ctl_state *state, struct metrics *metrics,
		   const char *address, const char *token, struct ctl_api **apip,
		   char **error) WARN_UNUSED_RESULT;

/* The address actually bound, e.g. "127.0.0.1:7080" or "[::1]:7080". */
const char *ctl_api_address(const struct ctl_api *);

/* Serves GET /v1/agents[/HOST] and the agent channel's metrics from
 * 'agents' (which must outlive the server, or be unset with NULL first). */
void ctl_api_set_agents(struct ctl_api *, struct ctl_agents *agents);

/* What the API asks of the simulated devices' service (device/service.h),
 * as functions so that the controller core does not depend on it. */
struct ctl_api_devices {
	/* GET /v1/audit[?tenant=T]: {"items": [...]}. */
	json_t *(*audit)(void *aux, const char *tenant);
	/* POST /v1/console {"device": "T/N/R"}: a one-time SSH login for the
	 * operator's console, {"login", "password", "port", "expires_ms"}, or
	 * NULL with '*error' set (no such device). */
	json_t *(*console)(void *aux, const char *device, char **error);
	void *aux;
};
void ctl_api_set_devices(struct ctl_api *, const struct ctl_api_devices *);

/* More of /metrics from a part the core does not know (the SNMP agent):
 * 'render' appends its Prometheus text. */
struct ds;
typedef void ctl_api_metrics_fn(const void *aux, struct ds *out);
void ctl_api_add_metrics(struct ctl_api *, ctl_api_metrics_fn *render, const void *aux);

typedef void ctl_api_idle_cb(void *aux);

/* Starts a graceful shutdown: stops accepting connections; requests that
 * still arrive on open connections are answered 503. Calls 'idle' (once,
 * possibly before returning) when no answer is left being sent. Answers
 * to clients that went away never complete, so callers also set a
 * deadline of their own. */
void ctl_api_shutdown(struct ctl_api *, ctl_api_idle_cb *idle, void *aux);

/* Closes every connection and frees the server (NULL is fine). */
void ctl_api_destroy(struct ctl_api *);

#endif /* ONM_CONTROLLER_API_H */
