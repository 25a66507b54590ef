// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of lib/net.c: strict parsing of IPv4 addresses, prefixes and
 * MAC addresses (every malformed form a user might write is refused),
 * formatting, and format/parse round trips over pseudo-random values.
 */
/* cmocka.h needs these before it. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "onm/net.h"

#include <string.h>

/* Deterministic pseudo-random numbers (xorshift64). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_ipv4_parse_good(void **state)
{
	static const struct {
		const char *s;
		uint32_t addr;
	} cases[] = {
	    {"0.0.0.0", 0},
	    {"255.255.255.255", 0xffffffffu},
	    {"10.1.1.10", 0x0a01010au},
	    {"192.168.0.1", 0xc0a80001u},
	    {"1.2.3.4", 0x01020304u},
	    {"100.0.20.0", 0x64001400u},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint32_t a = 0xdeadbeef;

		assert_true(ipv4_parse(cases[i].s, &a));
		assert_int_equal(a, cases[i].addr);
	}
}

static void test_ipv4_parse_bad(void **state)
{
	static const char *const bad[] = {
	    "",		"1.2.3",	   "1.2.3.4.5", "256.1.1.1",  "1.2.3.256",  "010.1.1.1",
	    "1.2.3.04", "1.02.3.4",	   "00.1.1.1",	"1..2.3",     " 1.2.3.4",   "1.2.3.4 ",
	    "1.2.3.-4", "1.2.3.4/24",	   "0x1.2.3.4", "1.2.3.1234", "a.b.c.d",    "1.2.3.4.",
	    ".1.2.3.4", "1,2,3,4",	   "1.2.3.4\n", "+1.2.3.4",   "4294967295", "1.2.3",
	    "1.2.3.4x", "999.999.999.999",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint32_t a = 0x12345678;

		if (ipv4_parse(bad[i], &a))
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(a, 0x12345678); /* untouched on failure */
	}
}

static void test_ipv4_format(void **state)
{
	char buf[IPV4_ADDR_STRLEN];

	ipv4_format(0, buf);
	assert_string_equal(buf, "0.0.0.0");
	ipv4_format(0xffffffffu, buf);
	assert_string_equal(buf, "255.255.255.255");
	ipv4_format(0x0a01020au, buf);
	assert_string_equal(buf, "10.1.2.10");

	for (int i = 0; i < 10000; i++) {
		uint32_t a = (uint32_t)rng(), b;

		ipv4_format(a, buf);
		assert_true(ipv4_parse(buf, &b));
		assert_int_equal(a, b);
	}
}

static void test_prefix_parse_good(void **state)
{
	static const struct {
		const char *s;
		uint32_t addr;
		uint8_t len;
	} cases[] = {
	    {"10.1.1.0/24", 0x0a010100u, 24}, {"0.0.0.0/0", 0, 0},
	    {"1.2.3.4/32", 0x01020304u, 32},  {"10.1.0.0/16", 0x0a010000u, 16},
	    {"128.0.0.0/1", 0x80000000u, 1},  {"10.1.1.8/29", 0x0a010108u, 29},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ipv4_prefix p = {0xdead, 99};
		char buf[IPV4_PREFIX_STRLEN];

		assert_true(ipv4_prefix_parse(cases[i].s, &p));
		assert_int_equal(p.addr, cases[i].addr);
		assert_int_equal(p.len, cases[i].len);
		ipv4_prefix_format(&p, buf);
		assert_string_equal(buf, cases[i].s);
	}
}

static void test_prefix_parse_bad(void **state)
{
	static const char *const bad[] = {
	    "10.1.1.5/24", /* host bits set */
	    "10.1.1.0/23", /* host bits set (bit 8) */
	    "0.0.0.1/0",     "10.1.1.0/33",  "10.1.1.0/024", "10.1.1.0/",     "10.1.1.0",
	    "10.1.1.0/24/1", "10.1.1.0/-1",  "10.1.1.0/ 24", "0.0.0.0/00",    "/24",
	    "10.1.1/24",     "10.1.1.0/24 ", "010.1.1.0/24", "10.1.1.0/1000", "10.1.1.0/x",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ipv4_prefix p = {0x12345678, 7};

		if (ipv4_prefix_parse(bad[i], &p))
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(p.addr, 0x12345678);
		assert_int_equal(p.len, 7);
	}
}

static void test_prefix_helpers(void **state)
{
	struct ipv4_prefix p16, p24, other, all;
	uint32_t a;

	assert_int_equal(ipv4_mask(0), 0);
	assert_int_equal(ipv4_mask(1), 0x80000000u);
	assert_int_equal(ipv4_mask(24), 0xffffff00u);
	assert_int_equal(ipv4_mask(32), 0xffffffffu);

	assert_true(ipv4_prefix_parse("10.1.0.0/16", &p16));
	assert_true(ipv4_prefix_parse("10.1.2.0/24", &p24));
	assert_true(ipv4_prefix_parse("10.2.0.0/16", &other));
	assert_true(ipv4_prefix_parse("0.0.0.0/0", &all));
	assert_true(ipv4_parse("10.1.2.200", &a));
	assert_true(ipv4_prefix_contains(&p16, a));
	assert_true(ipv4_prefix_contains(&p24, a));
	assert_false(ipv4_prefix_contains(&other, a));
	assert_true(ipv4_prefix_contains(&all, a));
	assert_true(ipv4_prefix_overlaps(&p16, &p24));
	assert_true(ipv4_prefix_overlaps(&p24, &p16));
	assert_false(ipv4_prefix_overlaps(&p16, &other));
	assert_true(ipv4_prefix_overlaps(&all, &other));
}

static void test_prefix_round_trip(void **state)
{
	for (int i = 0; i < 10000; i++) {
		uint8_t len = (uint8_t)(rng() % 33);
		struct ipv4_prefix p = {(uint32_t)rng() & ipv4_mask(len), len}, q;
		char buf[IPV4_PREFIX_STRLEN];

		ipv4_prefix_format(&p, buf);
		assert_true(ipv4_prefix_parse(buf, &q));
		assert_int_equal(p.addr, q.addr);
		assert_int_equal(p.len, q.len);
	}
}

static void test_eth_addr(void **state)
{
	static const char *const bad[] = {
	    "",
	    "02:00:5e:10:00",
	    "02:00:5e:10:00:01:02",
	    "02-00-5e-10-00-01",
	    "2:00:5e:10:00:01",
	    "02:00:5e:10:00:0g",
	    "02:00:5e:10:00:011",
	    "02:00:5e:10:00:01 ",
	    "0200.5e10.0001",
	    "02:00:5e:10:00:",
	    "02::5e:10:00:01",
	};
	struct eth_addr e, f;
	char buf[ETH_ADDR_STRLEN];

	assert_true(eth_addr_parse("02:00:5e:10:00:01", &e));
	assert_int_equal(e.b[0], 0x02);
	assert_int_equal(e.b[2], 0x5e);
	assert_int_equal(e.b[5], 0x01);
	assert_false(eth_addr_is_zero(&e));
	eth_addr_format(&e, buf);
	assert_string_equal(buf, "02:00:5e:10:00:01");

	assert_true(eth_addr_parse("02:AA:bb:CC:dd:EF", &e));
	eth_addr_format(&e, buf);
	assert_string_equal(buf, "02:aa:bb:cc:dd:ef");

	assert_true(eth_addr_parse("00:00:00:00:00:00", &e));
	assert_true(eth_addr_is_zero(&e));

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&e, 0x11, sizeof e);
		if (eth_addr_parse(bad[i], &e))
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(e.b[0], 0x11);
	}

	for (int i = 0; i < 1000; i++) {
		uint64_t r = rng();

		memcpy(e.b, &r, sizeof e.b);
		eth_addr_format(&e, buf);
		assert_true(eth_addr_parse(buf, &f));
		assert_memory_equal(e.b, f.b, sizeof e.b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipv4_parse_good),   cmocka_unit_test(test_ipv4_parse_bad),
	    cmocka_unit_test(test_ipv4_format),	      cmocka_unit_test(test_prefix_parse_good),
	    cmocka_unit_test(test_prefix_parse_bad),  cmocka_unit_test(test_prefix_helpers),
	    cmocka_unit_test(test_prefix_round_trip), cmocka_unit_test(test_eth_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
