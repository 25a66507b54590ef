/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's answers to the controller's requests (docs/dataplane.md,
 * "Requests"):
 *
 * - "ping": ICMP echo requests from an interface address of a router,
 *   sent through this agent's own data plane as the router's own packets
 *   (pipeline.h dp_from_router(): routed by the router's table, to a local
 *   port or encapsulated towards the destination's host in the VN's
 *   class), and what comes back: echo replies, and the ICMP errors (time
 *   exceeded, unreachable) that quote a probe. Traceroute is pings with
 *   TTL 1, 2, ...
 * - "arp": the addresses this agent resolves in a VN, with their MACs.
 *
 * Probes. Each carries as its ICMP identifier the id of this agent's host
 * and a sequence number no other outstanding probe of the agent has. An
 * answer reaches the data plane of the host where the router received it
 * — ours, or the destination's when it was sent on over the underlay; the
 * data plane there sends it on to the host the identifier names, and ours
 * hands it to the control thread (DP_TO_LOCAL, datapath_take_own()). The
 * probes of one request go one after the other, each when the one before
 * was answered or timed out (as IOS does); the response lists each
 * probe's fate. RTT runs from when a probe is handed to the data plane to
 * when the data plane received its answer, on the monotonic clock.
 *
 * Requests are bound to the controller connection they came on: when it
 * goes down, router_ping_reset() forgets them (the controller has failed
 * them, and ids start over on the next connection).
 *
 * Thread-safety: the control thread only; the data plane is reached
 * through the datapath's rings.
 */
#ifndef ONM_AGENT_ROUTER_PING_H
#define ONM_AGENT_ROUTER_PING_H

#include "onm/net.h"
#include "onm/util.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct datapath;
struct router_ping;

/* Limits and defaults of a ping request's arguments. */
#define RP_COUNT_MAX 10000
#define RP_COUNT_DEFAULT 5
#define RP_TIMEOUT_MS_MAX 60000
#define RP_TIMEOUT_MS_DEFAULT 2000
#define RP_SIZE_MIN 28 /* bytes of the IP datagram: headers only */
#define RP_SIZE_MAX 1500
#define RP_SIZE_DEFAULT 100
#define RP_TTL_MAX 254 /* dp_from_router() needs one more */
#define RP_TTL_DEFAULT 64
/* Requests running at once, at most; more are refused. */
#define RP_JOBS_MAX 256

/* Sends 'response' (borrowed) to the controller. */
typedef void router_ping_send_fn(void *aux, const json_t *response);

/* Answers requests on 'base' with the data plane 'dp' (both must outlive
 * it), sending responses through 'send'. */
struct router_ping *router_ping_create(struct event_base *base, struct datapath *dp,
				       router_ping_send_fn *send, void *aux);
/* Forgets every request (no responses) and frees 'rp'. NULL is fine. */
void router_ping_destroy(struct router_ping *);

/* Handles request 'req' (a checked "request" message, borrowed) against
 * the agent's view 'view' (its entries, borrowed; NULL before the first).
 * The response is sent at once (arp, errors) or when the probes are done. */
void router_ping_request(struct router_ping *, const json_t *req, const json_t *view);

/* Forgets the running requests without answering them (the controller
 * connection went down). */
void router_ping_reset(struct router_ping *);

/* Requests running (tests). */
size_t router_ping_n_running(const struct router_ping *);

/* ---- the packets, pure (tests) ---- */

/* Writes an ICMP echo request of an IP datagram of 'size' bytes (>=
 * RP_SIZE_MIN) with TTL 'ttl', from 'src' to 'dst' (host order),
 * identifier 'id' and sequence number 'seq', in an Ethernet frame from and
 * to 'mac' (the router interface's: the data plane rewrites it), to 'buf'
 * of 'room' bytes. Returns the frame's length, or 0 if it does not fit. */
size_t router_ping_echo_build(uint8_t *buf, size_t room, const struct eth_addr *mac, uint32_t src,
			      uint32_t dst, size_t size, uint8_t ttl, uint16_t id, uint16_t seq);

enum rp_kind {
	RP_ECHO_REPLY,	  /* the destination answered */
	RP_TIME_EXCEEDED, /* a router on the way: the TTL ran out */
	RP_UNREACHABLE,	  /* a router or the destination: destination unreachable */
};

/* What an answer says about which probe. */
struct rp_answer {
	enum rp_kind kind;
	uint8_t code;	    /* ICMP code (unreachable: net 0, host 1, ...) */
	uint16_t id, seq;   /* the probe's identifier and sequence number */
	uint32_t probe_src; /* the probe's source and destination, host order */
	uint32_t probe_dst;
	uint32_t from; /* who answered, host order */
};

/* Parses the Ethernet frame 'frame' of 'len' bytes as an answer to a probe:
 * an echo reply, or a time exceeded or destination unreachable that quotes
 * an echo request and is addressed to its source. Returns false for
 * anything else. */
bool router_ping_answer_parse(const uint8_t *frame, size_t len, struct rp_answer *a);

#endif /* ONM_AGENT_ROUTER_PING_H */
