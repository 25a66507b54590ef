/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A logical trace of one packet (`onm trace`, GET /v1/trace): what the
 * data plane would do with a packet an instance sends to an address, step
 * by step — port security, the virtual switch or the distributed router
 * (route, TTL), the security groups (the rule that decided, or the
 * default), delivery — and the substrate path the Route Manager gives it,
 * with the latency of each link.
 *
 * The trace is computed from the model and the Route Manager alone, by
 * the rules agent/pipeline.c applies to the tables agent/tables.c builds
 * from a host's view, in the same order, so that where the data plane
 * would drop the packet the trace stops with the same reason (the drop
 * counter names of docs/dataplane.md where there is one). It traces the
 * first packet of a new flow: connection tracking, which lets the replies
 * of an allowed flow through, plays no part. The instance sends with its
 * own addresses (port security passes) and resolves addresses as Linux
 * with the DHCP answer would: on its subnet by ARP, elsewhere through its
 * default gateway, the first router interface on its subnet.
 *
 * Thread-safety: none; reads the model and the Route Manager only.
 */
#ifndef ONM_CONTROLLER_TRACE_H
#define ONM_CONTROLLER_TRACE_H

#include "onm/model.h"
#include "onm/util.h"
#include "routing.h"

#include <jansson.h>
#include <stdint.h>

/* TTL of the traced packet unless the query gives one (Linux's default). */
#define TRACE_DEFAULT_TTL 64

/* What to trace. */
struct trace_query {
	const char *instance; /* source instance id "T/N/I" (not owned) */
	uint32_t dst;	      /* destination address, host order */
	enum sg_proto proto;  /* SG_PROTO_ICMP (an echo request), _TCP or _UDP */
	uint16_t port;	      /* destination port for tcp and udp (1..65535), else 0 */
	uint8_t ttl;	      /* IP TTL as the instance sends it, 1..255 */
};

/* Fills 'q' from the query parameters of GET /v1/trace as strings (each
 * may be NULL when absent; 'proto' defaults to icmp, 'ttl' to 64; 'port' is
 * required with tcp and udp and refused with icmp). 'q->instance' points
 * to 'instance'. Returns NULL, or an allocated message that starts with
 * the name of the bad parameter ("dst: \"10.1\" is not an IPv4
 * address"). */
char *trace_query_parse(struct trace_query *q, const char *instance, const char *dst,
			const char *proto, const char *port, const char *ttl) WARN_UNUSED_RESULT;

/* Traces 'q' through 'model' with the substrate paths of 'rm' (synced to
 * 'model'). Returns a new JSON object (docs/api.md, "Trace"):
 *   {"instance", "src", "dst", "proto", "port", "ttl",
 *    "verdict": "delivered"|"dropped", "reason": null|CODE, "detail",
 *    "steps": [...], "substrate": {...}|null, "substrate_note": null|TEXT}
 * or NULL and sets '*error' (allocated) if the instance does not exist. */
json_t *trace_packet(const struct model *model, const struct route_manager *rm,
		     const struct trace_query *q, char **error) WARN_UNUSED_RESULT;

#endif /* ONM_CONTROLLER_TRACE_H */
