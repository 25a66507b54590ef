// SPDX-License-Identifier: Apache-2.0
/*
 * The counter registry: entries keyed by (kind, name) in a hash map owned
 * by the control thread, each a set of per-thread blocks the data-plane
 * threads write, plus per-thread drop-reason arrays; and the rendering of
 * all of it into a report's "counters" object. Entries are allocated
 * cache-line aligned (the blocks must not share lines between threads) and
 * never freed before the registry.
 */
#include "counters.h"

#include "onm/hmap.h"

#include <stdlib.h>
#include <string.h>

static const char *const drop_names[DP_DROP_N_REASONS] = {
    [DP_DROP_PARSE] = "parse",
    [DP_DROP_PORT_SECURITY] = "port_security",
    [DP_DROP_NO_ROUTE] = "no_route",
    [DP_DROP_TTL] = "ttl",
    [DP_DROP_ACL] = "acl",
    [DP_DROP_VNI_UNKNOWN] = "vni_unknown",
    [DP_DROP_NO_FWD_ENTRY] = "no_fwd_entry",
    [DP_DROP_NOT_FOR_US] = "not_for_us",
    [DP_DROP_QUEUE_FULL] = "queue_full",
    [DP_DROP_UNSUPPORTED] = "unsupported",
    [DP_DROP_CLASS_UNKNOWN] = "class_unknown",
    [DP_DROP_WAYPOINT_SKIPPED] = "waypoint_skipped",
    [DP_DROP_INTERFACE_DOWN] = "interface_down",
    [DP_DROP_ROUTER_ACL] = "router_acl",
    [DP_DROP_SHAPED] = "shaped",
};

static const char *const kind_keys[DP_COUNTER_N_KINDS] = {
    [DP_COUNTER_PORT] = "ports",
    [DP_COUNTER_NETWORK] = "networks",
    [DP_COUNTER_ROUTER_IF] = "router_interfaces",
    [DP_COUNTER_TRANSIT] = "transit",
};

/* A thread's drop counters on their own cache lines. */
struct drop_block {
	uint64_t n[DP_DROP_N_REASONS];
} __attribute__((aligned(64)));

struct entry {
	struct dp_counters counters; /* first: keeps the alignment of the allocation */
	struct hmap_node node;	     /* in registry's 'entries', hash of kind and name */
	enum dp_counter_kind kind;
	char *name;
};

/* A router interface's shaper, by the interface's name. */
struct shaper_entry {
	struct dp_shaper shaper; /* first: keeps the alignment of the allocation */
	struct hmap_node node;	 /* in registry's 'shapers', hash of the name */
	char *name;
};

struct dp_counters_registry {
	struct drop_block drops[DP_MAX_THREADS];
	struct hmap entries; /* struct entry */
	struct hmap shapers; /* struct shaper_entry */
};

const char *dp_drop_reason_name(enum dp_drop_reason r)
{
	return (unsigned int)r < DP_DROP_N_REASONS ? drop_names[r] : "?";
}

static void *aligned_zalloc(size_t size)
{
	void *p = NULL;

	if (posix_memalign(&p, 64, size))
		onm_abort("out of memory (%zu bytes)", size);
	memset(p, 0, size);
	return p;
}

struct dp_counters_registry *dp_counters_registry_create(void)
{
	struct dp_counters_registry *reg = aligned_zalloc(sizeof *reg);

	hmap_init(&reg->entries);
	hmap_init(&reg->shapers);
	return reg;
}

void dp_counters_registry_destroy(struct dp_counters_registry *reg)
{
	struct shaper_entry *s;
	struct entry *e;

	if (!reg)
		return;
	HMAP_FOR_EACH_SAFE (e, node, &reg->entries) {
		hmap_remove(&reg->entries, &e->node);
		free(e->name);
		free(e);
	}
	hmap_destroy(&reg->entries);
	HMAP_FOR_EACH_SAFE (s, node, &reg->shapers) {
		hmap_remove(&reg->shapers, &s->node);
		free(s->name);
		free(s);
	}
	hmap_destroy(&reg->shapers);
	free(reg);
}

struct dp_counters *dp_counters_registry_get(struct dp_counters_registry *reg,
					     enum dp_counter_kind kind, const char *name)
{
	uint32_t hash = hash_string(name, kind);
	struct entry *e;

	HMAP_FOR_EACH_WITH_HASH (e, node, hash, &reg->entries) {
		if (e->kind == kind && !strcmp(e->name, name))
			return &e->counters;
	}
	e = aligned_zalloc(sizeof *e);
	e->kind = kind;
	e->name = xstrdup(name);
	hmap_insert(&reg->entries, &e->node, hash);
	return &e->counters;
}

struct dp_shaper *dp_counters_registry_shaper(struct dp_counters_registry *reg, const char *name,
					      uint64_t rate_bps)
{
	uint32_t hash = hash_string(name, 0);
	struct shaper_entry *s;

	HMAP_FOR_EACH_WITH_HASH (s, node, hash, &reg->shapers) {
		if (!strcmp(s->name, name))
			goto found;
	}
	s = aligned_zalloc(sizeof *s);
	s->name = xstrdup(name);
	hmap_insert(&reg->shapers, &s->node, hash);
found:
	if (s->shaper.rate_bps != rate_bps) {
		/* A new rate starts with a full bucket. A data-plane thread
		 * still on the old snapshot may store its own value after
		 * this one: a few packets' difference, once. */
		s->shaper.rate_bps = rate_bps;
		__atomic_store_n(&s->shaper.tat, 0, __ATOMIC_RELAXED);
	}
	return &s->shaper;
}

uint64_t *dp_counters_registry_drops(struct dp_counters_registry *reg, unsigned int thread)
{
	if (thread >= DP_MAX_THREADS)
		onm_abort("data-plane thread %u >= %d", thread, DP_MAX_THREADS);
	return reg->drops[thread].n;
}

uint64_t dp_counters_registry_drop_total(const struct dp_counters_registry *reg,
					 enum dp_drop_reason reason)
{
	uint64_t sum = 0;

	for (int t = 0; t < DP_MAX_THREADS; t++)
		sum += __atomic_load_n(&reg->drops[t].n[reason], __ATOMIC_RELAXED);
	return sum;
}

void dp_counters_sum(const struct dp_counters *c, struct dp_counter_block *sum)
{
	memset(sum, 0, sizeof *sum);
	for (int t = 0; t < DP_MAX_THREADS; t++) {
		const struct dp_counter_block *b = &c->per_thread[t];

		sum->rx_packets += __atomic_load_n(&b->rx_packets, __ATOMIC_RELAXED);
		sum->rx_bytes += __atomic_load_n(&b->rx_bytes, __ATOMIC_RELAXED);
		sum->tx_packets += __atomic_load_n(&b->tx_packets, __ATOMIC_RELAXED);
		sum->tx_bytes += __atomic_load_n(&b->tx_bytes, __ATOMIC_RELAXED);
		sum->drops += __atomic_load_n(&b->drops, __ATOMIC_RELAXED);
	}
}

/* A transit class has one direction: what it sent on, and its drops. */
static json_t *block_to_json(enum dp_counter_kind kind, const struct dp_counter_block *b)
{
	if (kind == DP_COUNTER_TRANSIT)
		return json_pack("{s:I,s:I,s:I}", "packets", (json_int_t)b->tx_packets, "bytes",
				 (json_int_t)b->tx_bytes, "drops", (json_int_t)b->drops);
	return json_pack("{s:I,s:I,s:I,s:I,s:I}", "rx_packets", (json_int_t)b->rx_packets,
			 "rx_bytes", (json_int_t)b->rx_bytes, "tx_packets",
			 (json_int_t)b->tx_packets, "tx_bytes", (json_int_t)b->tx_bytes, "drops",
			 (json_int_t)b->drops);
}

json_t *dp_counters_registry_render(const struct dp_counters_registry *reg)
{
	json_t *out = json_object(), *kinds[DP_COUNTER_N_KINDS], *drops = json_object();
	const struct entry *e;

	for (int k = 0; k < DP_COUNTER_N_KINDS; k++) {
		kinds[k] = json_object();
		json_object_set_new(out, kind_keys[k], kinds[k]);
	}
	HMAP_FOR_EACH (e, node, &reg->entries) {
		struct dp_counter_block sum;

		dp_counters_sum(&e->counters, &sum);
		json_object_set_new(kinds[e->kind], e->name, block_to_json(e->kind, &sum));
	}
	for (int r = 0; r < DP_DROP_N_REASONS; r++)
		json_object_set_new(drops, drop_names[r],
				    json_integer((json_int_t)dp_counters_registry_drop_total(
					reg, (enum dp_drop_reason)r)));
	json_object_set_new(out, "drops", drops);
	return out;
}
