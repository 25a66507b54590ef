// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the intrusive hash map (lib/hmap.c): random inserts and
 * removes checked against a naive array after every step (count, lookup of
 * present and absent keys, iteration visiting each node exactly once), the
 * bucket array growing with the load and coming back down when cleared,
 * heavy hash collisions, swap (including the inline single bucket), and
 * the hash functions' spread.
 */
#include "onm/hmap.h"
#include "onm/util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs <stdarg.h>, <stddef.h> and <setjmp.h> first. */
#include <cmocka.h>

struct item {
	struct hmap_node node; /* in the map under test */
	uint32_t key;	       /* the key, hashed by item_hash() */
	bool in_map;	       /* the naive reference's view */
	unsigned int visits;   /* iteration counter */
};

/* Deterministic PRNG (xorshift32), so that runs repeat. */
static uint32_t rng_state = 2463534242u;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* With 'collide', only 8 distinct hashes: long chains. */
static uint32_t item_hash(uint32_t key, bool collide)
{
	uint32_t hash = hash_bytes(&key, sizeof key, 0);
	return collide ? hash & 7 : hash;
}

static struct item *lookup(const struct hmap *map, uint32_t key, bool collide)
{
	struct item *item;
	uint32_t hash = item_hash(key, collide);
	HMAP_FOR_EACH_WITH_HASH (item, node, hash, map)
		if (item->key == key)
			return item;
	return NULL;
}

/* The map and the reference agree: same count, every key found where it
 * should be and not elsewhere, iteration visits each node exactly once,
 * and the load never exceeds 2 per bucket. */
static void check(const struct hmap *map, struct item *items, size_t n_items, bool collide)
{
	size_t expected = 0;
	for (size_t i = 0; i < n_items; i++) {
		struct item *found = lookup(map, items[i].key, collide);
		if (items[i].in_map) {
			assert_ptr_equal(found, &items[i]);
			expected++;
		} else {
			assert_null(found);
		}
		items[i].visits = 0;
	}
	assert_int_equal(hmap_count(map), expected);
	assert_int_equal(hmap_is_empty(map), expected == 0);
	assert_true(hmap_count(map) / 2 <= map->mask);

	size_t visited = 0;
	struct item *item;
	HMAP_FOR_EACH (item, node, map) {
		assert_true(item->in_map);
		item->visits++;
		visited++;
	}
	assert_int_equal(visited, expected);
	for (size_t i = 0; i < n_items; i++)
		assert_int_equal(items[i].visits, items[i].in_map ? 1 : 0);
}

static void random_run(bool collide, size_t n_items, int steps, int check_every)
{
	struct item *items = xcalloc(n_items, sizeof *items);
	for (size_t i = 0; i < n_items; i++)
		items[i].key = (uint32_t)i * 2654435761u; /* distinct */

	struct hmap map;
	hmap_init(&map);
	check(&map, items, n_items, collide);

	for (int step = 0; step < steps; step++) {
		struct item *item = &items[rng() % n_items];
		if (item->in_map) {
			hmap_remove(&map, &item->node);
			item->in_map = false;
		} else {
			hmap_insert(&map, &item->node, item_hash(item->key, collide));
			item->in_map = true;
		}
		if (step % check_every == 0)
			check(&map, items, n_items, collide);
	}
	check(&map, items, n_items, collide);

	hmap_destroy(&map);
	free(items);
}

static void test_random_vs_array(void **state)
{
	(void)state;
	random_run(false, 500, 20000, 97);
}

static void test_random_collisions(void **state)
{
	(void)state;
	random_run(true, 200, 5000, 31);
}

/* The bucket array doubles as nodes arrive, keeps every node through each
 * resize, and returns to the single inline bucket when cleared. */
static void test_grow_and_shrink(void **state)
{
	(void)state;
	enum { N = 5000 };
	struct item *items = xcalloc(N, sizeof *items);
	struct hmap map;
	hmap_init(&map);
	assert_int_equal(map.mask, 0);

	size_t resizes = 0, last_mask = 0;
	for (size_t i = 0; i < N; i++) {
		items[i].key = rng();
		hmap_insert(&map, &items[i].node, item_hash(items[i].key, false));
		items[i].in_map = true;
		if (map.mask != last_mask) {
			/* Always a power of two minus one, always doubling. */
			assert_int_equal(map.mask & (map.mask + 1), 0);
			assert_int_equal(map.mask, last_mask * 2 + 1);
			last_mask = map.mask;
			resizes++;
		}
	}
	assert_true(resizes >= 10);
	assert_true(map.mask >= N / 2);
	check(&map, items, N, false);

	/* Removing everything empties the map; it stays usable. */
	for (size_t i = 0; i < N; i++) {
		hmap_remove(&map, &items[i].node);
		items[i].in_map = false;
	}
	check(&map, items, N, false);
	assert_null(hmap_first(&map));

	hmap_insert(&map, &items[0].node, item_hash(items[0].key, false));
	items[0].in_map = true;
	check(&map, items, N, false);

	/* Clearing frees the buckets and comes back to one. */
	hmap_clear(&map);
	items[0].in_map = false;
	assert_int_equal(map.mask, 0);
	assert_ptr_equal(map.buckets, &map.one);
	check(&map, items, N, false);

	/* And it grows again from there. */
	for (size_t i = 0; i < 100; i++) {
		hmap_insert(&map, &items[i].node, item_hash(items[i].key, false));
		items[i].in_map = true;
	}
	check(&map, items, N, false);

	hmap_destroy(&map);
	free(items);
}

/* Removing the current node inside HMAP_FOR_EACH_SAFE. */
static void test_remove_while_iterating(void **state)
{
	(void)state;
	enum { N = 300 };
	struct item items[N];
	memset(items, 0, sizeof items);
	struct hmap map;
	hmap_init(&map);
	for (size_t i = 0; i < N; i++) {
		items[i].key = (uint32_t)i;
		items[i].in_map = true;
		hmap_insert(&map, &items[i].node, item_hash(items[i].key, false));
	}

	struct item *item;
	HMAP_FOR_EACH_SAFE (item, node, &map) {
		if (item->key % 3 == 0) {
			hmap_remove(&map, &item->node);
			item->in_map = false;
		}
	}
	check(&map, items, N, false);
	assert_int_equal(hmap_count(&map), N - (N + 2) / 3);
	hmap_destroy(&map);
}

/* Swapping maps, including one still on its inline bucket, keeps each
 * map's nodes and leaves no pointer into the other struct. */
static void test_swap(void **state)
{
	(void)state;
	struct item small[1] = {{.key = 7, .in_map = true}};
	struct item big[50];
	memset(big, 0, sizeof big);

	struct hmap a = HMAP_INITIALIZER(&a);
	struct hmap b;
	hmap_init(&b);
	hmap_insert(&a, &small[0].node, item_hash(small[0].key, false));
	for (size_t i = 0; i < ARRAY_SIZE(big); i++) {
		big[i].key = 1000 + (uint32_t)i;
		big[i].in_map = true;
		hmap_insert(&b, &big[i].node, item_hash(big[i].key, false));
	}
	assert_ptr_equal(a.buckets, &a.one);

	hmap_swap(&a, &b);
	check(&a, big, ARRAY_SIZE(big), false);
	check(&b, small, 1, false);
	assert_ptr_equal(b.buckets, &b.one);

	hmap_swap(&a, &b);
	check(&a, small, 1, false);
	check(&b, big, ARRAY_SIZE(big), false);
	assert_ptr_equal(a.buckets, &a.one);

	hmap_destroy(&a);
	hmap_destroy(&b);
}

/* The hash functions are deterministic, depend on the basis and on every
 * byte, and spread sequential keys evenly over the low bits. */
static void test_hash_spread(void **state)
{
	(void)state;
	assert_int_equal(hash_string("onm", 0), hash_string("onm", 0));
	assert_int_equal(hash_string("onm", 0), hash_bytes("onm", 3, 0));
	assert_int_not_equal(hash_string("onm", 0), hash_string("onm", 1));
	assert_int_not_equal(hash_string("onm", 0), hash_string("onn", 0));
	assert_int_not_equal(hash_bytes("a\0b", 3, 0), hash_bytes("a\0c", 3, 0));
	assert_int_not_equal(hash_bytes("\x80", 1, 0), hash_bytes("\0", 1, 0));
	assert_int_not_equal(hash_add(1, 2), hash_add(1, 3));

	enum { KEYS = 65536, BUCKETS = 256 };
	unsigned int counts[BUCKETS] = {0};
	for (unsigned int i = 0; i < KEYS; i++) {
		char key[64];
		int len = snprintf(key, sizeof key, "/onm/instances/acme/blue/vm%u", i);
		assert_true(len > 0 && (size_t)len < sizeof key);
		counts[hash_bytes(key, (size_t)len, 0) % BUCKETS]++;
	}
	/* 256 per bucket on average; a fair hash stays well within +-50%. */
	for (unsigned int i = 0; i < BUCKETS; i++) {
		assert_true(counts[i] > 128);
		assert_true(counts[i] < 384);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_vs_array),
	    cmocka_unit_test(test_random_collisions),
	    cmocka_unit_test(test_grow_and_shrink),
	    cmocka_unit_test(test_remove_while_iterating),
	    cmocka_unit_test(test_swap),
	    cmocka_unit_test(test_hash_spread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
