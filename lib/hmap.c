// SPDX-License-Identifier: Apache-2.0
/*
 * Intrusive hash map and hash functions (see hmap.h).
 */
#include "onm/hmap.h"

#include <stdlib.h>
#include <string.h>

void hmap_init(struct hmap *hmap)
{
	hmap->buckets = &hmap->one;
	hmap->one = NULL;
	hmap->mask = 0;
	hmap->n = 0;
}

void hmap_destroy(struct hmap *hmap)
{
	if (hmap && hmap->buckets != &hmap->one)
		free(hmap->buckets);
}

void hmap_clear(struct hmap *hmap)
{
	hmap_destroy(hmap);
	hmap_init(hmap);
}

void hmap_swap(struct hmap *a, struct hmap *b)
{
	struct hmap tmp = *a;
	*a = *b;
	*b = tmp;
	if (a->buckets == &b->one)
		a->buckets = &a->one;
	if (b->buckets == &a->one)
		b->buckets = &b->one;
}

static void resize(struct hmap *hmap, size_t new_mask)
{
	struct hmap_node **buckets = xcalloc(new_mask + 1, sizeof *buckets);
	for (size_t i = 0; i <= hmap->mask; i++) {
		struct hmap_node *node = hmap->buckets[i];
		while (node) {
			struct hmap_node *next = node->next;
			struct hmap_node **head = &buckets[node->hash & new_mask];
			node->next = *head;
			*head = node;
			node = next;
		}
	}
	if (hmap->buckets != &hmap->one)
		free(hmap->buckets);
	hmap->buckets = buckets;
	hmap->mask = new_mask;
}

void hmap_insert(struct hmap *hmap, struct hmap_node *node, uint32_t hash)
{
	node->hash = hash;
	struct hmap_node **head = &hmap->buckets[hash & hmap->mask];
	node->next = *head;
	*head = node;
	hmap->n++;
	if (hmap->n / 2 > hmap->mask)
		resize(hmap, hmap->mask * 2 + 1);
}

void hmap_reserve(struct hmap *hmap, size_t n)
{
	size_t mask = hmap->mask;
	while (n / 2 > mask)
		mask = mask * 2 + 1;
	if (mask != hmap->mask)
		resize(hmap, mask);
}

void hmap_remove(struct hmap *hmap, struct hmap_node *node)
{
	struct hmap_node **p = &hmap->buckets[node->hash & hmap->mask];
	while (*p != node) {
		if (!*p)
			onm_abort("hmap_remove: node not in map");
		p = &(*p)->next;
	}
	*p = node->next;
	hmap->n--;
}

struct hmap_node *hmap_first_with_hash(const struct hmap *hmap, uint32_t hash)
{
	return hmap->buckets[hash & hmap->mask];
}

struct hmap_node *hmap_next_with_hash(const struct hmap_node *node)
{
	return node->next;
}

static struct hmap_node *first_from(const struct hmap *hmap, size_t bucket)
{
	for (size_t i = bucket; i <= hmap->mask; i++)
		if (hmap->buckets[i])
			return hmap->buckets[i];
	return NULL;
}

struct hmap_node *hmap_first(const struct hmap *hmap)
{
	return first_from(hmap, 0);
}

struct hmap_node *hmap_next(const struct hmap *hmap, const struct hmap_node *node)
{
	if (node->next)
		return node->next;
	return first_from(hmap, (node->hash & hmap->mask) + 1);
}

uint32_t hash_add(uint32_t hash, uint32_t data)
{
	hash ^= data;
	hash *= 16777619u;
	return hash ^ (hash >> 15);
}

uint32_t hash_bytes(const void *p, size_t n, uint32_t basis)
{
	const uint8_t *b = p;
	uint32_t hash = 2166136261u ^ basis;
	for (size_t i = 0; i < n; i++) {
		hash ^= b[i];
		hash *= 16777619u;
	}
	/* Final avalanche so that the low bits (the bucket) depend on every byte. */
	hash ^= hash >> 16;
	hash *= 0x85ebca6bu;
	hash ^= hash >> 13;
	return hash;
}

uint32_t hash_string(const char *s, uint32_t basis)
{
	return hash_bytes(s, strlen(s), basis);
}
