/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's control side: holds the host's view (the controller's
 * entries, docs/dataplane.md) as one JSON object, applies views and
 * deltas from the channel to it, and after each batch of changes builds a
 * new table snapshot (dp_tables_build), brings the TAP ports in line with
 * it (creates the ports of new local instances, removes those of deleted
 * ones), publishes it to the data plane and acks the revision. Every
 * second it reports counters and health to the controller and checks that
 * the ports' devices still exist (a port whose device was destroyed is
 * made again).
 *
 * While the controller is away the view, the tables and the ports stay as
 * they are: the data plane keeps forwarding.
 *
 * Thread-safety: runs on one libevent base (the control thread); the data
 * plane runs on its own thread (datapath.h).
 */
#ifndef ONM_AGENT_AGENT_H
#define ONM_AGENT_AGENT_H

#include "onm/util.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

struct agent_options {
	const char *host;	/* this host's name, as in the model */
	const char *controller; /* "unix:PATH" or "tcp:ADDR:PORT" */
	bool debug_dataplane;	/* log every packet's fate (rate-limited) */
	uint16_t underlay_port; /* UDP port of the underlay, 0 for VXLAN's 4789 */
};

struct agent;

/* Starts an agent on 'base': adopts the ports a previous agent of the same
 * host left with the port keeper (or starts a keeper), starts the data
 * plane and connects to the controller. Returns 0 and sets '*agent', or
 * returns -errno and sets '*error' (allocated). Call before creating other
 * threads (the port keeper is a forked process). */
int agent_create(struct event_base *base, const struct agent_options *, struct agent **agent,
		 char **error) WARN_UNUSED_RESULT;

/* Stops the data plane, closes every TAP (the devices go away) and frees
 * 'agent'. Accepts NULL. */
void agent_destroy(struct agent *);

/* Turns the data plane's per-packet log on or off. */
void agent_set_debug_dataplane(struct agent *, bool on);
bool agent_debug_dataplane(const struct agent *);

#endif /* ONM_AGENT_AGENT_H */
