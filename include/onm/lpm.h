/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IPv4 longest-prefix match: a multibit trie of stride 8 with leaf pushing
 * (controlled prefix expansion). A lookup reads at most four 256-entry
 * nodes, one per address byte, and allocates nothing.
 *
 * Life cycle: lpm_create(), any number of lpm_add() (order free; the same
 * prefix added twice keeps the last value), lpm_build() once, then
 * lpm_lookup() as often as wanted. After lpm_build() the structure is
 * read-only, so any number of threads may look up concurrently; building
 * happens on one thread before the structure is published.
 *
 * Values are 0..LPM_MAX_VALUE; LPM_NONE means "no prefix matches".
 */
#ifndef ONM_LPM_H
#define ONM_LPM_H

#include "onm/net.h"
#include "onm/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LPM_NONE 0x7fffffffu	  /* lookup result when no prefix matches */
#define LPM_MAX_VALUE 0x7ffffffeu /* largest value lpm_add() takes */
#define LPM_CHILD 0x80000000u	  /* node entry flag: the rest is a node index */

/* Exposed for the inline lookup; treat as opaque. */
struct lpm {
	uint32_t (*nodes)[256];	     /* node 0 is the root; entries: value or LPM_CHILD | index */
	size_t n_nodes;		     /* nodes in use */
	size_t allocated_nodes;	     /* nodes allocated */
	struct lpm_prefix *prefixes; /* added prefixes, until lpm_build() */
	size_t n_prefixes;
	size_t allocated_prefixes;
	bool built; /* lpm_build() done */
};

struct lpm *lpm_create(void);
/* Frees 'lpm' (NULL is fine). */
void lpm_destroy(struct lpm *lpm);

/* Adds 'prefix' with 'value' (<= LPM_MAX_VALUE). Only before lpm_build(). */
void lpm_add(struct lpm *lpm, const struct ipv4_prefix *prefix, uint32_t value);

/* Builds the trie from the added prefixes. Call once. */
void lpm_build(struct lpm *lpm);

/* The value of the longest prefix containing 'addr' (host order), or
 * LPM_NONE. Only after lpm_build(). */
static inline uint32_t lpm_lookup(const struct lpm *lpm, uint32_t addr)
{
	uint32_t e = lpm->nodes[0][addr >> 24];

	if (e & LPM_CHILD) {
		e = lpm->nodes[e & ~LPM_CHILD][(addr >> 16) & 0xff];
		if (e & LPM_CHILD) {
			e = lpm->nodes[e & ~LPM_CHILD][(addr >> 8) & 0xff];
			if (e & LPM_CHILD)
				e = lpm->nodes[e & ~LPM_CHILD][addr & 0xff];
		}
	}
	return e;
}

/* Bytes of memory the built trie uses (for logs and benchmarks). */
size_t lpm_memory_size(const struct lpm *lpm);

#endif /* ONM_LPM_H */
