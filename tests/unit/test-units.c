// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of lib/units.c: every unit of durations, rates, percentages,
 * byte sizes and plain decimals, exact values (no float rounding),
 * canonical formatting and its round trip, and each rejection with the
 * exact message users see.
 */
/* cmocka.h needs these before it. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "onm/units.h"

#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_duration_good(void **state)
{
	static const struct {
		const char *s;
		uint64_t us;
	} cases[] = {
	    {"0us", 0},
	    {"250us", 250},
	    {"1ms", 1000},
	    {"15ms", 15000},
	    {"1.5ms", 1500},
	    {"1.50ms", 1500},
	    {"0.001ms", 1},
	    {"1s", 1000000},
	    {"0.5s", 500000},
	    {"0.000001s", 1},
	    {"86400s", UINT64_C(86400000000)},
	    {"86400000ms", UINT64_C(86400000000)},
	    {"0.0ms", 0},
	    {"2.000000000000000000000000000000s", 2000000},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t v = 12345;
		char *msg = units_parse_duration_us(cases[i].s, &v);

		if (msg)
			fail_msg("\"%s\": %s", cases[i].s, msg);
		assert_int_equal(v, cases[i].us);
	}
}

struct bad_case {
	const char *s;
	const char *msg;
};

static void check_bad_duration(const struct bad_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 777;
		char *msg = units_parse_duration_us(c[i].s, &v);

		if (!msg)
			fail_msg("accepted \"%s\"", c[i].s);
		assert_string_equal(msg, c[i].msg);
		assert_int_equal(v, 777);
		free(msg);
	}
}

static void test_duration_bad(void **state)
{
	static const struct bad_case cases[] = {
	    {"1 ms", "\"1 ms\" is not a duration (a number and a unit: us, ms or s)"},
	    {"1", "\"1\" has no unit (us, ms or s)"},
	    {"ms", "\"ms\" is not a duration (a number and a unit: us, ms or s)"},
	    {"-1ms", "\"-1ms\" is not a duration (a number and a unit: us, ms or s)"},
	    {"+1ms", "\"+1ms\" is not a duration (a number and a unit: us, ms or s)"},
	    {"1.5.2ms", "\"1.5.2ms\" is not a duration (a number and a unit: us, ms or s)"},
	    {"", "\"\" is not a duration (a number and a unit: us, ms or s)"},
	    {"1.ms", "\"1.ms\" is not a duration (a number and a unit: us, ms or s)"},
	    {".5ms", "\".5ms\" is not a duration (a number and a unit: us, ms or s)"},
	    {"01ms", "\"01ms\" is not a duration (a number and a unit: us, ms or s)"},
	    {"1e3us", "\"1e3us\" has an unknown unit (expected us, ms or s)"},
	    {"1MS", "\"1MS\" has an unknown unit (expected us, ms or s)"},
	    {"1m", "\"1m\" has an unknown unit (expected us, ms or s)"},
	    {"1msec", "\"1msec\" has an unknown unit (expected us, ms or s)"},
	    {"1ms ", "\"1ms \" has an unknown unit (expected us, ms or s)"},
	    {"1.5us", "\"1.5us\" is finer than 1us"},
	    {"0.0001ms", "\"0.0001ms\" is finer than 1us"},
	    {"86401s", "\"86401s\" is more than 1 day (86400s)"},
	    {"86400.000001s", "\"86400.000001s\" is more than 1 day (86400s)"},
	    {"18446744073709551616us", "\"18446744073709551616us\" is more than 1 day (86400s)"},
	    {"99999999999999999999999999s",
	     "\"99999999999999999999999999s\" is more than 1 day (86400s)"},
	    {"1\nms", "\"1\\nms\" is not a duration (a number and a unit: us, ms or s)"},
	};

	check_bad_duration(cases, sizeof cases / sizeof cases[0]);
}

static void test_rate(void **state)
{
	static const struct {
		const char *s;
		uint64_t bps;
	} good[] = {
	    {"1bit", 1},
	    {"1kbit", 1000},
	    {"100mbit", 100000000},
	    {"500mbit", 500000000},
	    {"1gbit", 1000000000},
	    {"1.5gbit", 1500000000},
	    {"2tbit", UINT64_C(2000000000000)},
	    {"0.001kbit", 1},
	    {"18446744073709551615bit", UINT64_MAX},
	    {"18446744.073709551615tbit", UINT64_MAX},
	};
	static const struct bad_case bad[] = {
	    {"1kb", "\"1kb\" has an unknown unit (expected bit, kbit, mbit, gbit or tbit)"},
	    {"1Gbit", "\"1Gbit\" has an unknown unit (expected bit, kbit, mbit, gbit or tbit)"},
	    {"1mbps", "\"1mbps\" has an unknown unit (expected bit, kbit, mbit, gbit or tbit)"},
	    {"100", "\"100\" has no unit (bit, kbit, mbit, gbit or tbit)"},
	    {"-1gbit",
	     "\"-1gbit\" is not a rate (a number and a unit: bit, kbit, mbit, gbit or tbit)"},
	    {"0gbit", "\"0gbit\" is zero (a rate must be more than 0)"},
	    {"0bit", "\"0bit\" is zero (a rate must be more than 0)"},
	    {"1.5bit", "\"1.5bit\" is finer than 1bit"},
	    {"0.0001kbit", "\"0.0001kbit\" is finer than 1bit"},
	    {"18446744073709551616bit", "\"18446744073709551616bit\" is too large"},
	    {"18446744.073709551616tbit", "\"18446744.073709551616tbit\" is too large"},
	    {"20000000tbit", "\"20000000tbit\" is too large"},
	};

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		uint64_t v = 0;
		char *msg = units_parse_rate_bps(good[i].s, &v);

		if (msg)
			fail_msg("\"%s\": %s", good[i].s, msg);
		assert_int_equal(v, good[i].bps);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t v = 777;
		char *msg = units_parse_rate_bps(bad[i].s, &v);

		if (!msg)
			fail_msg("accepted \"%s\"", bad[i].s);
		assert_string_equal(msg, bad[i].msg);
		assert_int_equal(v, 777);
		free(msg);
	}
}

static void test_percent(void **state)
{
	static const struct {
		const char *s;
		uint32_t ppm;
	} good[] = {
	    {"0%", 0},
	    {"0.5%", 5000},
	    {"100%", 1000000},
	    {"100.0000%", 1000000},
	    {"0.0001%", 1},
	    {"1.234%", 12340},
	    {"1.2340%", 12340},
	    {"12.5%", 125000},
	    {"99.9999%", 999999},
	    {"1.23450000%", 12345},
	};
	static const struct bad_case bad[] = {
	    {"101%", "\"101%\" is more than 100%"},
	    {"100.0001%", "\"100.0001%\" is more than 100%"},
	    {"1.23456%", "\"1.23456%\" has more than 4 decimals"},
	    {"0.00001%", "\"0.00001%\" has more than 4 decimals"},
	    {"5", "\"5\" has no unit (%)"},
	    {"5 %", "\"5 %\" is not a percentage (a number and a unit: %)"},
	    {"-1%", "\"-1%\" is not a percentage (a number and a unit: %)"},
	    {"0.5", "\"0.5\" has no unit (%)"},
	    {"0.5%%", "\"0.5%%\" has an unknown unit (expected %)"},
	    {"5pct", "\"5pct\" has an unknown unit (expected %)"},
	    {"99999999999999999999%", "\"99999999999999999999%\" is more than 100%"},
	};

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		uint32_t v = 0;
		char *msg = units_parse_percent_ppm(good[i].s, &v);

		if (msg)
			fail_msg("\"%s\": %s", good[i].s, msg);
		assert_int_equal(v, good[i].ppm);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint32_t v = 777;
		char *msg = units_parse_percent_ppm(bad[i].s, &v);

		if (!msg)
			fail_msg("accepted \"%s\"", bad[i].s);
		assert_string_equal(msg, bad[i].msg);
		assert_int_equal(v, 777);
		free(msg);
	}
}

static void test_uint(void **state)
{
	static const struct bad_case bad[] = {
	    {"1.5", "\"1.5\" is not a non-negative integer"},
	    {"-1", "\"-1\" is not a non-negative integer"},
	    {"0x10", "\"0x10\" is not a non-negative integer"},
	    {"", "\"\" is not a non-negative integer"},
	    {" 1", "\" 1\" is not a non-negative integer"},
	    {"1 ", "\"1 \" is not a non-negative integer"},
	    {"1e3", "\"1e3\" is not a non-negative integer"},
	    {"010", "\"010\" has a leading zero"},
	    {"65536", "\"65536\" is more than 65535"},
	    {"18446744073709551616", "\"18446744073709551616\" is more than 65535"},
	};
	uint64_t v = 99;
	char *msg;

	assert_null(units_parse_uint("0", 65535, &v));
	assert_int_equal(v, 0);
	assert_null(units_parse_uint("65535", 65535, &v));
	assert_int_equal(v, 65535);
	assert_null(units_parse_uint("18446744073709551615", UINT64_MAX, &v));
	assert_int_equal(v, UINT64_MAX);
	msg = units_parse_uint("18446744073709551616", UINT64_MAX, &v);
	assert_string_equal(msg, "\"18446744073709551616\" is more than 18446744073709551615");
	free(msg);

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = 777;
		msg = units_parse_uint(bad[i].s, 65535, &v);
		if (!msg)
			fail_msg("accepted \"%s\"", bad[i].s);
		assert_string_equal(msg, bad[i].msg);
		assert_int_equal(v, 777);
		free(msg);
	}
}

static void test_format(void **state)
{
	char buf[UNITS_STRLEN];

	units_format_duration_us(0, buf);
	assert_string_equal(buf, "0us");
	units_format_duration_us(250, buf);
	assert_string_equal(buf, "250us");
	units_format_duration_us(1000, buf);
	assert_string_equal(buf, "1ms");
	units_format_duration_us(1500, buf);
	assert_string_equal(buf, "1500us");
	units_format_duration_us(15000, buf);
	assert_string_equal(buf, "15ms");
	units_format_duration_us(1000000, buf);
	assert_string_equal(buf, "1s");
	units_format_duration_us(1500000, buf);
	assert_string_equal(buf, "1500ms");
	units_format_duration_us(UINT64_C(86400000000), buf);
	assert_string_equal(buf, "86400s");

	units_format_rate_bps(1, buf);
	assert_string_equal(buf, "1bit");
	units_format_rate_bps(1000, buf);
	assert_string_equal(buf, "1kbit");
	units_format_rate_bps(100000000, buf);
	assert_string_equal(buf, "100mbit");
	units_format_rate_bps(1000000000, buf);
	assert_string_equal(buf, "1gbit");
	units_format_rate_bps(1500000000, buf);
	assert_string_equal(buf, "1500mbit");
	units_format_rate_bps(UINT64_C(3000000000000), buf);
	assert_string_equal(buf, "3tbit");
	units_format_rate_bps(UINT64_MAX, buf);
	assert_string_equal(buf, "18446744073709551615bit");

	units_format_percent_ppm(0, buf);
	assert_string_equal(buf, "0%");
	units_format_percent_ppm(5000, buf);
	assert_string_equal(buf, "0.5%");
	units_format_percent_ppm(1, buf);
	assert_string_equal(buf, "0.0001%");
	units_format_percent_ppm(12340, buf);
	assert_string_equal(buf, "1.234%");
	units_format_percent_ppm(1000000, buf);
	assert_string_equal(buf, "100%");
	units_format_percent_ppm(10500, buf);
	assert_string_equal(buf, "1.05%");
}

/* Parsing a non-canonical form and formatting gives the canonical one. */
static void test_canonical(void **state)
{
	char buf[UNITS_STRLEN];
	uint64_t v;
	uint32_t p;

	assert_null(units_parse_duration_us("1000us", &v));
	units_format_duration_us(v, buf);
	assert_string_equal(buf, "1ms");
	assert_null(units_parse_duration_us("0.5s", &v));
	units_format_duration_us(v, buf);
	assert_string_equal(buf, "500ms");
	assert_null(units_parse_rate_bps("0.1gbit", &v));
	units_format_rate_bps(v, buf);
	assert_string_equal(buf, "100mbit");
	assert_null(units_parse_percent_ppm("0.50%", &p));
	units_format_percent_ppm(p, buf);
	assert_string_equal(buf, "0.5%");
}

static void test_round_trip(void **state)
{
	char buf[UNITS_STRLEN], buf2[UNITS_STRLEN];

	for (int i = 0; i < 20000; i++) {
		uint64_t r = rng(), us, bps, back;
		uint32_t ppm, ppm_back;

		/* Values with many trailing zeros are the interesting ones. */
		us = (r % UINT64_C(86400000001));
		if (i % 3 == 0)
			us -= us % 1000;
		if (i % 5 == 0)
			us -= us % 1000000;
		units_format_duration_us(us, buf);
		assert_null(units_parse_duration_us(buf, &back));
		assert_int_equal(back, us);
		units_format_duration_us(back, buf2);
		assert_string_equal(buf, buf2);

		bps = rng() >> (i % 64);
		if (i % 3 == 0)
			bps -= bps % 1000000000;
		if (bps == 0)
			bps = 1;
		units_format_rate_bps(bps, buf);
		assert_null(units_parse_rate_bps(buf, &back));
		assert_int_equal(back, bps);

		ppm = (uint32_t)(rng() % 1000001);
		if (i % 2 == 0)
			ppm -= ppm % 100;
		units_format_percent_ppm(ppm, buf);
		assert_null(units_parse_percent_ppm(buf, &ppm_back));
		assert_int_equal(ppm_back, ppm);
	}
}

static void test_size(void **state)
{
	static const struct {
		const char *s;
		uint64_t bytes;
	} good[] = {
	    {"0b", 0},
	    {"1b", 1},
	    {"500mb", 500000000},
	    {"10gb", UINT64_C(10000000000)},
	    {"1tb", UINT64_C(1000000000000)},
	    {"1kib", 1024},
	    {"1.5kib", 1536},
	    {"1gib", UINT64_C(1073741824)},
	    {"1.5gib", UINT64_C(1610612736)},
	    {"2tib", UINT64_C(2199023255552)},
	    {"0.5kb", 500},
	    {"2.50mb", 2500000},
	    {"0.0009765625kib", 1},
	    {"16777215tib", UINT64_C(18446742974197923840)},
	    {"18446744073709551615b", UINT64_MAX},
	};
	static const struct bad_case bad[] = {
	    {"500", "\"500\" has no unit (b, kb, mb, gb, tb, kib, mib, gib or tib)"},
	    {"5 mb", "\"5 mb\" is not a size (a number and a unit: b, kb, mb, gb, tb, kib, mib, "
		     "gib or tib)"},
	    {"-1mb", "\"-1mb\" is not a size (a number and a unit: b, kb, mb, gb, tb, kib, mib, "
		     "gib or tib)"},
	    {"01mb", "\"01mb\" is not a size (a number and a unit: b, kb, mb, gb, tb, kib, mib, "
		     "gib or tib)"},
	    {"", "\"\" is not a size (a number and a unit: b, kb, mb, gb, tb, kib, mib, gib or "
		 "tib)"},
	    {"5MB", "\"5MB\" has an unknown unit (expected b, kb, mb, gb, tb, kib, mib, gib or "
		    "tib)"},
	    {"5mbit", "\"5mbit\" has an unknown unit (expected b, kb, mb, gb, tb, kib, mib, gib "
		      "or tib)"},
	    {"1.5b", "\"1.5b\" is finer than 1b"},
	    {"0.1kib", "\"0.1kib\" is finer than 1b"},
	    {"1.0001kb", "\"1.0001kb\" is finer than 1b"},
	    {"1.00000000000000000000001b", "\"1.00000000000000000000001b\" is finer than 1b"},
	    {"18446744073709551616b", "\"18446744073709551616b\" is too large"},
	    {"16777216tib", "\"16777216tib\" is too large"},
	    {"100000000000000000000000tb", "\"100000000000000000000000tb\" is too large"},
	};
	static const struct {
		uint64_t bytes;
		const char *s;
	} formats[] = {
	    {0, "0b"},
	    {1, "1b"},
	    {1536, "1536b"},
	    {500000000, "500mb"},
	    {1024000, "1000kib"},
	    {UINT64_C(1073741824), "1gib"},
	    {UINT64_C(1000000000000), "1tb"},
	    {UINT64_C(3298534883328), "3tib"},
	    {UINT64_MAX, "18446744073709551615b"},
	};
	char buf[UNITS_STRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		uint64_t v = 12345;
		char *msg = units_parse_size(good[i].s, &v);

		if (msg)
			fail_msg("\"%s\": %s", good[i].s, msg);
		assert_true(v == good[i].bytes);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t v = 777;
		char *msg = units_parse_size(bad[i].s, &v);

		if (!msg)
			fail_msg("accepted \"%s\"", bad[i].s);
		assert_string_equal(msg, bad[i].msg);
		assert_int_equal(v, 777);
		free(msg);
	}
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		units_format_size(formats[i].bytes, buf);
		assert_string_equal(buf, formats[i].s);
	}
	/* Round trip, with values that are multiples of each unit. */
	for (int i = 0; i < 20000; i++) {
		uint64_t v = rng() >> (i % 64), back = 0;

		if (i % 3 == 0)
			v -= v % (UINT64_C(1) << (10 * (i % 5)));
		if (i % 7 == 0)
			v -= v % UINT64_C(1000000000);
		units_format_size(v, buf);
		assert_null(units_parse_size(buf, &back));
		assert_true(back == v);
	}
}

static void test_milli(void **state)
{
	static const struct {
		const char *s;
		uint64_t milli;
	} good[] = {
	    {"0", 0},	     {"2", 2000},	{"0.5", 500},  {"1.125", 1125},	    {"0.001", 1},
	    {"1.500", 1500}, {"1000", 1000000}, {"0.0000", 0}, {"999.999", 999999},
	};
	static const struct bad_case bad[] = {
	    {"0.0001", "\"0.0001\" has more than 3 decimals"},
	    {"1000.001", "\"1000.001\" is more than 1000"},
	    {"18446744073709551616", "\"18446744073709551616\" is more than 1000"},
	    {"-1", "\"-1\" is not a decimal number"},
	    {"1e3", "\"1e3\" is not a decimal number"},
	    {".5", "\".5\" is not a decimal number"},
	    {"1.", "\"1.\" is not a decimal number"},
	    {"01", "\"01\" is not a decimal number"},
	    {"1x", "\"1x\" is not a decimal number"},
	    {"", "\"\" is not a decimal number"},
	};
	static const struct {
		uint64_t milli;
		const char *s;
	} formats[] = {
	    {0, "0"},	     {1, "0.001"}, {10, "0.01"},      {500, "0.5"},
	    {1125, "1.125"}, {2000, "2"},  {1000000, "1000"},
	};
	char buf[UNITS_STRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		uint64_t v = 12345;
		char *msg = units_parse_milli(good[i].s, 1000000, &v);

		if (msg)
			fail_msg("\"%s\": %s", good[i].s, msg);
		assert_int_equal(v, good[i].milli);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t v = 777;
		char *msg = units_parse_milli(bad[i].s, 1000000, &v);

		if (!msg)
			fail_msg("accepted \"%s\"", bad[i].s);
		assert_string_equal(msg, bad[i].msg);
		assert_int_equal(v, 777);
		free(msg);
	}
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		uint64_t back = 0;

		units_format_milli(formats[i].milli, buf);
		assert_string_equal(buf, formats[i].s);
		assert_null(units_parse_milli(buf, 1000000, &back));
		assert_int_equal(back, formats[i].milli);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duration_good), cmocka_unit_test(test_duration_bad),
	    cmocka_unit_test(test_rate),	  cmocka_unit_test(test_percent),
	    cmocka_unit_test(test_uint),	  cmocka_unit_test(test_format),
	    cmocka_unit_test(test_canonical),	  cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_size),	  cmocka_unit_test(test_milli),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
