// SPDX-License-Identifier: Apache-2.0
/*
 * Tests of the IPv4 LPM (onm/lpm.h): a few hand-made cases, then random
 * prefix sets of several shapes checked against a naive linear scan over
 * the same prefixes on random and adversarial addresses (style.md: data
 * structures against a naive reference).
 */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "onm/lpm.h"

#include <stdlib.h>

struct ref_prefix {
	struct ipv4_prefix p;
	uint32_t value;
};

/* The value of the longest matching prefix; among equal prefixes the last
 * added wins. */
static uint32_t ref_lookup(const struct ref_prefix *ps, size_t n, uint32_t addr)
{
	int best_len = -1;
	uint32_t best = LPM_NONE;

	for (size_t i = 0; i < n; i++) {
		if (ipv4_prefix_contains(&ps[i].p, addr) && ps[i].p.len >= best_len) {
			best_len = ps[i].p.len;
			best = ps[i].value;
		}
	}
	return best;
}

static uint32_t rnd32(void)
{
	return (uint32_t)rand() << 16 ^ (uint32_t)rand();
}

static struct ipv4_prefix pfx(uint32_t addr, uint8_t len)
{
	struct ipv4_prefix p = {addr & ipv4_mask(len), len};

	return p;
}

static void test_basic(void **state)
{
	struct lpm *l = lpm_create();
	struct ipv4_prefix p;

	p = pfx(0x0a010000, 16); /* 10.1.0.0/16 */
	lpm_add(l, &p, 1);
	p = pfx(0x0a010100, 24); /* 10.1.1.0/24 */
	lpm_add(l, &p, 2);
	p = pfx(0x0a01010a, 32); /* 10.1.1.10/32 */
	lpm_add(l, &p, 3);
	p = pfx(0x0a010200, 23); /* 10.1.2.0/23 */
	lpm_add(l, &p, 4);
	p = pfx(0x0a010200, 23); /* again: the last value wins */
	lpm_add(l, &p, 5);
	lpm_build(l);
	assert_int_equal(lpm_lookup(l, 0x0a010101), 2);
	assert_int_equal(lpm_lookup(l, 0x0a01010a), 3);
	assert_int_equal(lpm_lookup(l, 0x0a01010b), 2);
	assert_int_equal(lpm_lookup(l, 0x0a0102ff), 5);
	assert_int_equal(lpm_lookup(l, 0x0a0103ff), 5);
	assert_int_equal(lpm_lookup(l, 0x0a0104ff), 1);
	assert_int_equal(lpm_lookup(l, 0x0a020000), LPM_NONE);
	assert_int_equal(lpm_lookup(l, 0), LPM_NONE);
	lpm_destroy(l);

	/* Empty; then only a default route. */
	l = lpm_create();
	lpm_build(l);
	assert_int_equal(lpm_lookup(l, 0x01020304), LPM_NONE);
	lpm_destroy(l);
	l = lpm_create();
	p = pfx(0, 0);
	lpm_add(l, &p, 0);
	p = pfx(0xffffffff, 32);
	lpm_add(l, &p, 9);
	lpm_build(l);
	assert_int_equal(lpm_lookup(l, 0x01020304), 0);
	assert_int_equal(lpm_lookup(l, 0xffffffff), 9);
	assert_int_equal(lpm_lookup(l, 0xfffffffe), 0);
	lpm_destroy(l);
	lpm_destroy(NULL);
}

/* 'n' random prefixes with lengths from 'min_len'..'max_len', addresses
 * drawn from 'base'/'base_len' (so prefixes nest and overlap). */
static void check_random(unsigned int seed, size_t n, uint8_t min_len, uint8_t max_len,
			 uint32_t base, uint8_t base_len)
{
	struct ref_prefix *ps = calloc(n, sizeof *ps);
	struct lpm *l = lpm_create();

	srand(seed);
	for (size_t i = 0; i < n; i++) {
		uint8_t len = (uint8_t)(min_len + rand() % (max_len - min_len + 1));
		uint32_t a = (base & ipv4_mask(base_len)) | (rnd32() & ~ipv4_mask(base_len));

		ps[i].p = pfx(a, len);
		ps[i].value = (uint32_t)(rand() % 1000);
		lpm_add(l, &ps[i].p, ps[i].value);
	}
	lpm_build(l);
	for (int i = 0; i < 20000; i++) {
		uint32_t a;

		switch (i % 4) {
		case 0: /* anywhere */
			a = rnd32();
			break;
		case 1: /* inside the base */
			a = (base & ipv4_mask(base_len)) | (rnd32() & ~ipv4_mask(base_len));
			break;
		default: { /* at and around the edges of a prefix */
			const struct ipv4_prefix *p = &ps[rand() % n].p;
			uint32_t last = p->addr | ~ipv4_mask(p->len);

			a = i % 4 == 2 ? p->addr + (uint32_t)(rand() % 3) - 1
				       : last + (uint32_t)(rand() % 3) - 1;
			break;
		}
		}
		assert_int_equal(lpm_lookup(l, a), ref_lookup(ps, n, a));
	}
	lpm_destroy(l);
	free(ps);
}

static void test_random(void **state)
{
	/* Many shapes: all lengths; short; long and nested; within a /16. */
	for (unsigned int s = 1; s <= 5; s++) {
		check_random(s, 500, 0, 32, 0, 0);
		check_random(100 + s, 300, 1, 12, 0, 0);
		check_random(200 + s, 1000, 16, 32, 0x0a000000, 8);
		check_random(300 + s, 2000, 17, 32, 0x0a010000, 16);
		check_random(400 + s, 50, 20, 28, 0xc0a80000, 20);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),
	    cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
