/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intrusive hash map (after OVS lib/hmap.h). A node is embedded in the
 * object; the caller computes the hash and compares keys, so one map type
 * serves every key shape. Buckets double when the load passes 2. Not thread-safe: the owner serializes access.
 */
#ifndef ONM_HMAP_H
#define ONM_HMAP_H

#include "onm/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hmap_node {
	uint32_t hash;		/* full hash of the node's key */
	struct hmap_node *next; /* next node in the same bucket */
};

struct hmap {
	struct hmap_node **buckets; /* mask + 1 bucket heads */
	struct hmap_node *one;	    /* inline bucket while mask == 0 */
	size_t mask;		    /* number of buckets - 1, a power of 2 minus 1 */
	size_t n;		    /* number of nodes */
};

#define HMAP_INITIALIZER(hmap)                                                                     \
	{                                                                                          \
		&(hmap)->one, NULL, 0, 0                                                           \
	}

void hmap_init(struct hmap *);
/* Frees the buckets only; the nodes belong to the caller. */
void hmap_destroy(struct hmap *);
void hmap_insert(struct hmap *, struct hmap_node *, uint32_t hash);
void hmap_remove(struct hmap *, struct hmap_node *);
void hmap_clear(struct hmap *);
/* Makes room for 'n' nodes without further resizing (bulk loads). */
void hmap_reserve(struct hmap *, size_t n);
void hmap_swap(struct hmap *, struct hmap *);

static inline size_t hmap_count(const struct hmap *hmap)
{
	return hmap->n;
}

static inline bool hmap_is_empty(const struct hmap *hmap)
{
	return hmap->n == 0;
}

/* First node of the chain that could hold 'hash' (then follow hmap_next_with_hash). */
struct hmap_node *hmap_first_with_hash(const struct hmap *, uint32_t hash);
struct hmap_node *hmap_next_with_hash(const struct hmap_node *);
/* Iteration in bucket order (unspecified order). */
struct hmap_node *hmap_first(const struct hmap *);
struct hmap_node *hmap_next(const struct hmap *, const struct hmap_node *);

/* Iterates over the nodes with 'hash'. 'NODE' is a pointer to the containing struct. */
#define HMAP_FOR_EACH_WITH_HASH(NODE, MEMBER, HASH, HMAP)                                          \
	for (struct hmap_node *node__ = hmap_first_with_hash(HMAP, HASH);                          \
	     node__ && ((NODE) = CONTAINER_OF(node__, __typeof__(*(NODE)), MEMBER), 1);            \
	     node__ = hmap_next_with_hash(node__))                                                 \
		if (node__->hash == (HASH))

/* Iterates over every node; the current node may be removed ('SAFE'). */
#define HMAP_FOR_EACH_SAFE(NODE, MEMBER, HMAP)                                                     \
	for (struct hmap_node *node__ = hmap_first(HMAP), *next__ = NULL;                          \
	     node__ && ((NODE) = CONTAINER_OF(node__, __typeof__(*(NODE)), MEMBER),                \
		       next__ = hmap_next(HMAP, node__), 1);                                       \
	     node__ = next__)

#define HMAP_FOR_EACH(NODE, MEMBER, HMAP) HMAP_FOR_EACH_SAFE (NODE, MEMBER, HMAP)

/* Hash functions (FNV-1a, 32-bit, then mixed). */
uint32_t hash_bytes(const void *, size_t n, uint32_t basis);
uint32_t hash_string(const char *, uint32_t basis);
uint32_t hash_add(uint32_t hash, uint32_t data);

#endif /* ONM_HMAP_H */
