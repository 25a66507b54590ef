// SPDX-License-Identifier: Apache-2.0
/*
 * IPv4 longest-prefix match as a stride-8 multibit trie with leaf pushing.
 * lpm_build() sorts the added prefixes by length and inserts them shortest
 * first: a prefix of length L fills 2^(8k+8-L) consecutive entries of the
 * node at level k = (L-1)/8, and since every prefix already inserted is no
 * longer, those entries hold values, never child links. A longer prefix
 * that passes through an entry holding a value creates a child node
 * pre-filled with that value, which is how shorter prefixes are pushed to
 * the leaves. A lookup is then one array read per address byte until an
 * entry that is not a child link.
 */
#include "onm/lpm.h"

#include <stdlib.h>
#include <string.h>

struct lpm_prefix {
	struct ipv4_prefix prefix;
	uint32_t value;
	size_t order; /* insertion order: the last of equal prefixes wins */
};

struct lpm *lpm_create(void)
{
	struct lpm *lpm = xzalloc(sizeof *lpm);

	lpm->allocated_nodes = 1;
	lpm->nodes = xmalloc(sizeof *lpm->nodes);
	lpm->n_nodes = 1;
	for (size_t i = 0; i < 256; i++)
		lpm->nodes[0][i] = LPM_NONE;
	return lpm;
}

void lpm_destroy(struct lpm *lpm)
{
	if (!lpm)
		return;
	free(lpm->nodes);
	free(lpm->prefixes);
	free(lpm);
}

void lpm_add(struct lpm *lpm, const struct ipv4_prefix *prefix, uint32_t value)
{
	if (lpm->built || value > LPM_MAX_VALUE || prefix->len > 32)
		onm_abort("lpm_add: bad use (built %d, value %u, len %u)", lpm->built, value,
			  prefix->len);
	if (lpm->n_prefixes == lpm->allocated_prefixes)
		lpm->prefixes = xgrow(lpm->prefixes, &lpm->allocated_prefixes, lpm->n_prefixes + 1,
				      sizeof *lpm->prefixes);
	struct lpm_prefix *p = &lpm->prefixes[lpm->n_prefixes];

	p->prefix.len = prefix->len;
	p->prefix.addr = prefix->addr & ipv4_mask(prefix->len);
	p->value = value;
	p->order = lpm->n_prefixes++;
}

static int prefix_cmp(const void *a_, const void *b_)
{
	const struct lpm_prefix *a = a_, *b = b_;

	if (a->prefix.len != b->prefix.len)
		return a->prefix.len < b->prefix.len ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static uint32_t node_new(struct lpm *lpm, uint32_t fill)
{
	if (lpm->n_nodes == lpm->allocated_nodes)
		lpm->nodes =
		    xgrow(lpm->nodes, &lpm->allocated_nodes, lpm->n_nodes + 1, sizeof *lpm->nodes);
	for (size_t i = 0; i < 256; i++)
		lpm->nodes[lpm->n_nodes][i] = fill;
	return (uint32_t)lpm->n_nodes++;
}

static void insert(struct lpm *lpm, const struct lpm_prefix *p)
{
	uint32_t addr = p->prefix.addr, node = 0;
	unsigned int len = p->prefix.len;
	unsigned int level = len ? (len - 1) / 8 : 0;

	/* Walk (and create) the nodes above the prefix's level. */
	for (unsigned int k = 0; k < level; k++) {
		uint32_t *e = &lpm->nodes[node][(addr >> (24 - 8 * k)) & 0xff];

		if (!(*e & LPM_CHILD)) {
			/* node_new() may move the node array: index, don't keep 'e'. */
			uint32_t child = node_new(lpm, *e);

			lpm->nodes[node][(addr >> (24 - 8 * k)) & 0xff] = LPM_CHILD | child;
			node = child;
		} else {
			node = *e & ~LPM_CHILD;
		}
	}
	unsigned int bits = len - 8 * level; /* 0..8 prefix bits within this level */
	uint32_t first = (addr >> (24 - 8 * level)) & 0xff & (bits ? 0xffu << (8 - bits) : 0);
	uint32_t count = 1u << (8 - bits);

	for (uint32_t i = first; i < first + count; i++)
		lpm->nodes[node][i] = p->value;
}

void lpm_build(struct lpm *lpm)
{
	if (lpm->built)
		onm_abort("lpm_build: built twice");
	if (lpm->n_prefixes)
		qsort(lpm->prefixes, lpm->n_prefixes, sizeof *lpm->prefixes, prefix_cmp);
	for (size_t i = 0; i < lpm->n_prefixes; i++)
		insert(lpm, &lpm->prefixes[i]);
	free(lpm->prefixes);
	lpm->prefixes = NULL;
	lpm->n_prefixes = lpm->allocated_prefixes = 0;
	lpm->built = true;
}

size_t lpm_memory_size(const struct lpm *lpm)
{
	return sizeof *lpm + lpm->allocated_nodes * sizeof *lpm->nodes;
}
