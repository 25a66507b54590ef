/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The data plane's counters: one set of packet/byte/drop counters per port
 * ("T/N/I"), per virtual network ("T/N"), per router interface
 * ("T/N/R/IFNAME") and per service class for the packets this host carries
 * for others (transit, "CLASS"), plus one counter per drop reason, all
 * since agent start, and their rendering into the "counters" object of the
 * agent's `report` message (docs/dataplane.md).
 *
 * Counters survive table rebuilds: the registry owns them, keyed by (kind,
 * name), and each table snapshot points at the entries it needs. An entry
 * is created the first time a snapshot asks for it and lives until the
 * registry is destroyed (an instance that goes away keeps its final
 * numbers in reports).
 *
 * Threads. The registry's map is touched only by the control thread
 * (dp_counters_registry_get() while building tables, rendering). Counting
 * happens on data-plane threads without atomics read-modify-write or
 * locks: each entry holds one block per data-plane thread (DP_MAX_THREADS,
 * each on its own cache line) and a thread only ever writes its own block,
 * with relaxed atomic loads and stores so that the control thread's reads
 * are never torn. Rendering sums the blocks.
 *
 * The registry also keeps the state of the router interfaces' traffic
 * shapers (struct dp_shaper), keyed by interface name like the counters,
 * so that a table rebuild keeps a bucket's fill.
 */
#ifndef ONM_AGENT_COUNTERS_H
#define ONM_AGENT_COUNTERS_H

#include "onm/util.h"

#include <jansson.h>
#include <stdint.h>

/* Data-plane threads that may count at the same time (dp_ctx thread index). */
#define DP_MAX_THREADS 8

enum dp_drop_reason {
	DP_DROP_PARSE,		  /* malformed frame or VXLAN header */
	DP_DROP_PORT_SECURITY,	  /* source MAC/IP not the port's */
	DP_DROP_NO_ROUTE,	  /* no route or unknown host (an ICMP unreachable may be sent),
				   * or no next hop in the forwarding entry's chosen list */
	DP_DROP_TTL,		  /* TTL expired at a router (an ICMP time exceeded may be sent) */
	DP_DROP_ACL,		  /* refused by a security group */
	DP_DROP_VNI_UNKNOWN,	  /* VXLAN VNI not one of this host's VNs */
	DP_DROP_NO_FWD_ENTRY,	  /* no forwarding entry for (class, destination host) */
	DP_DROP_NOT_FOR_US,	  /* destination not known here (MAC, address, broadcast) */
	DP_DROP_QUEUE_FULL,	  /* counted by the runtime when a queue overflows */
	DP_DROP_UNSUPPORTED,	  /* well formed but not handled (IPv6, VLAN, ...) */
	DP_DROP_CLASS_UNKNOWN,	  /* transit packet whose outer DSCP is no class's */
	DP_DROP_WAYPOINT_SKIPPED, /* waypoint class at its destination without the W flag,
				   * and this host is no waypoint of it */
	DP_DROP_INTERFACE_DOWN,	  /* routed in or out through a router interface that is shut
				   * down, or addressed to one (an ICMP unreachable may be sent) */
	DP_DROP_ROUTER_ACL,	  /* refused by a router interface's access list (in or out) */
	DP_DROP_SHAPED,		  /* over the traffic-shape rate of the interface it leaves by */
	DP_DROP_N_REASONS
};

/* "parse", "port_security", ... as in docs/dataplane.md. */
const char *dp_drop_reason_name(enum dp_drop_reason);

enum dp_counter_kind {
	DP_COUNTER_PORT,      /* name "T/N/I"; rx = from the instance, tx = to it */
	DP_COUNTER_NETWORK,   /* name "T/N"; rx = into the VN's pipeline, tx = out of it */
	DP_COUNTER_ROUTER_IF, /* name "T/N/R/IFNAME"; rx = routed in, tx = routed out */
	DP_COUNTER_TRANSIT,   /* name "CLASS"; tx = sent on for another host, drops = those of
			       * the class dropped in transit here; rx unused */
	DP_COUNTER_N_KINDS
};

/* One thread's counters of one entry. Written only by its thread. */
struct dp_counter_block {
	uint64_t rx_packets;
	uint64_t rx_bytes; /* bytes of Ethernet frames (no VXLAN/UDP/IP outer headers) */
	uint64_t tx_packets;
	uint64_t tx_bytes; /* as rx_bytes */
	uint64_t drops;	   /* packets dropped, any reason */
} __attribute__((aligned(64)));

/* The counters of one port, network, router interface or transit class. */
struct dp_counters {
	struct dp_counter_block per_thread[DP_MAX_THREADS];
};

/* Adds 'n' to the counter at 'c', written only by the calling thread. */
static inline void dp_counter_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline void dp_counters_rx(struct dp_counters *c, unsigned int thread, uint64_t bytes)
{
	dp_counter_add(&c->per_thread[thread].rx_packets, 1);
	dp_counter_add(&c->per_thread[thread].rx_bytes, bytes);
}

static inline void dp_counters_tx(struct dp_counters *c, unsigned int thread, uint64_t bytes)
{
	dp_counter_add(&c->per_thread[thread].tx_packets, 1);
	dp_counter_add(&c->per_thread[thread].tx_bytes, bytes);
}

static inline void dp_counters_drop(struct dp_counters *c, unsigned int thread)
{
	dp_counter_add(&c->per_thread[thread].drops, 1);
}

struct dp_counters_registry;

struct dp_counters_registry *dp_counters_registry_create(void);
/* Frees the registry and every entry (NULL is fine). No table built with it
 * and no data-plane thread may use it any more. */
void dp_counters_registry_destroy(struct dp_counters_registry *);

/* The entry of ('kind', 'name'), created (zeroed) if new. The pointer stays
 * valid until the registry is destroyed. Control thread only. */
struct dp_counters *dp_counters_registry_get(struct dp_counters_registry *,
					     enum dp_counter_kind kind, const char *name);

/* The drop-reason counters of data-plane thread 'thread' (< DP_MAX_THREADS):
 * an array of DP_DROP_N_REASONS, written only by that thread (e.g. the
 * runtime counts DP_DROP_QUEUE_FULL here with dp_counter_add()). */
uint64_t *dp_counters_registry_drops(struct dp_counters_registry *, unsigned int thread);

/* Sum of one drop reason over the threads (tests, logs). */
uint64_t dp_counters_registry_drop_total(const struct dp_counters_registry *,
					 enum dp_drop_reason reason);

/* The state of one router interface's traffic shaper: a token bucket kept
 * as the "theoretical arrival time" of GCRA (ITU-T I.371's virtual
 * scheduling), a single word, so that every data-plane thread shares one
 * bucket through atomic compare-and-swap: the aggregate rate is right
 * however the interface's traffic spreads over the threads, without a
 * lock, and an idle interface costs nothing. The word is in units of
 * DP_SHAPER_TICKS_PER_US on the monotonic clock the pipeline is given
 * (dp_ctx_set_time()); the rate and burst are in the table snapshot
 * (pipeline.c reads both). */
struct dp_shaper {
	uint64_t tat;	   /* ticks: when the bucket is full again; read/written atomically */
	uint64_t rate_bps; /* the rate 'tat' was made with (control thread only) */
} __attribute__((aligned(64)));

/* Ticks per µs of the shapers' clock: 1/64 ns. A 64-bit count of them lasts
 * 9 years of monotonic time, and a 64-byte packet at 100 Gbit/s is 327
 * ticks, so rounding per packet stays below 0.5%. */
#define DP_SHAPER_TICKS_PER_US 64000ull

/* The shaper of router interface 'name' ("T/N/R/IFNAME") for 'rate_bps'
 * (> 0): the same one as long as the rate is the same, reset to a full
 * bucket when the rate changes. Valid until the registry is destroyed.
 * Control thread only (building tables). */
struct dp_shaper *dp_counters_registry_shaper(struct dp_counters_registry *, const char *name,
					      uint64_t rate_bps);

/* Sum of the blocks of 'c' over the threads into '*sum'. */
void dp_counters_sum(const struct dp_counters *c, struct dp_counter_block *sum);

/* The "counters" object of a report: {"ports": {...}, "networks": {...},
 * "router_interfaces": {...}, "transit": {"CLASS": {"packets": n, "bytes":
 * n, "drops": n}, ...}, "drops": {"parse": n, ...}} with every entry the
 * registry holds and every drop reason (zeros included). New reference.
 * Control thread. */
json_t *dp_counters_registry_render(const struct dp_counters_registry *);

#endif /* ONM_AGENT_COUNTERS_H */
