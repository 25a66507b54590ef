/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the SNMP agent (snmp.c) shares with its tests and fuzz target: the
 * dispatcher, which is pure given the model (a request PDU in, the
 * response PDU or nothing out), and test settings for the counters and
 * the clock.
 */
#ifndef ONM_DEVICE_SNMP_PRIVATE_H
#define ONM_DEVICE_SNMP_PRIVATE_H

#include "snmp.h"

#include <jansson.h>
#include <stdint.h>

struct snmp_pdu; /* net-snmp's netsnmp_pdu */

/* Handles request 'req' as if it came from 'source' ("IP:PORT", for the
 * audit and the logs): returns the response to send (a new PDU the caller
 * frees with snmp_free_pdu(); it carries the request's transport data,
 * so snmp_sess_send() sends it back), or NULL when the request gets no
 * answer (unknown community or router, a PDU an agent does not answer). */
struct snmp_pdu *dev_snmp_handle(struct dev_snmp *, struct snmp_pdu *req, const char *source);

/* Tests: the agents' counters to sum instead of ctl_agents_counters_json()
 * ([{"host", "counters"}]; takes a reference; NULL: back to the agents). */
void dev_snmp_set_test_counters(struct dev_snmp *, json_t *counters);
/* Tests: a monotonic clock in ms that only moves when set (0: the real one).
 * The first setting also dates the routers known so far to 'now_ms'. */
void dev_snmp_set_test_clock(struct dev_snmp *, uint64_t now_ms);

/* Counts kept for metrics and tests. */
struct dev_snmp_stats {
	uint64_t requests[4];	    /* get, getnext, getbulk, set */
	uint64_t unknown_community; /* no answer: community or router not found */
	uint64_t dropped;	    /* no answer: version or PDU type not served */
	uint64_t sets_done, sets_refused;
	uint64_t traps_sent;
	uint64_t table_builds; /* router snapshots built */
};
const struct dev_snmp_stats *dev_snmp_stats(const struct dev_snmp *);

#endif /* ONM_DEVICE_SNMP_PRIVATE_H */
