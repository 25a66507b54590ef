// SPDX-License-Identifier: Apache-2.0
/*
 * Units as users write them (see units.h). Every unit here is a power of
 * ten of the unit the value is held in (1ms = 10^3us, 1gbit = 10^9bit,
 * 1% = 10^4ppm), so a quantity "D.F<unit>" is parsed by hand as the integer
 * mantissa DF and a decimal scale, then shifted by the unit's exponent with
 * integer arithmetic: no floating point, no rounding, overflow detected.
 */
#include "onm/units.h"

#include "onm/ds.h"
#include "quote-private.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct unit {
	const char *name;   /* as written after the number */
	unsigned int exp10; /* the unit is 10^exp10 of the held unit */
};

/* One kind of quantity: its units and how to word its errors. */
struct quantity {
	const char *what;	  /* "duration" */
	const struct unit *units; /* accepted units */
	size_t n_units;
	const char *unit_list; /* "us, ms or s" */
	const char *too_fine;  /* "is finer than 1us" */
	uint64_t max;	       /* largest value, in the held unit */
	const char *too_large; /* "is more than 1 day" */
};

static const struct unit duration_units[] = {
    {"us", 0},
    {"ms", 3},
    {"s", 6},
};

static const struct quantity duration = {
    "duration",		 duration_units,	ARRAY_SIZE(duration_units),    "us, ms or s",
    "is finer than 1us", UINT64_C(86400000000), "is more than 1 day (86400s)",
};

static const struct unit rate_units[] = {
    {"bit", 0}, {"kbit", 3}, {"mbit", 6}, {"gbit", 9}, {"tbit", 12},
};

static const struct quantity rate = {
    "rate",
    rate_units,
    ARRAY_SIZE(rate_units),
    "bit, kbit, mbit, gbit or tbit",
    "is finer than 1bit",
    UINT64_MAX,
    "is too large",
};

static const struct unit percent_units[] = {
    {"%", 4},
};

static const struct quantity percent = {
    "percentage", percent_units,       ARRAY_SIZE(percent_units), "%", "has more than 4 decimals",
    1000000,	  "is more than 100%",
};

/* Byte sizes are the one quantity whose units are not all powers of ten
 * (kib = 1024b), so they have a multiplier each, sorted by it. */
static const struct size_unit {
	const char *name;
	uint64_t factor; /* bytes */
} size_units[] = {
    {"b", 1},
    {"kb", UINT64_C(1000)},
    {"kib", UINT64_C(1) << 10},
    {"mb", UINT64_C(1000000)},
    {"mib", UINT64_C(1) << 20},
    {"gb", UINT64_C(1000000000)},
    {"gib", UINT64_C(1) << 30},
    {"tb", UINT64_C(1000000000000)},
    {"tib", UINT64_C(1) << 40},
};

#define SIZE_UNIT_LIST "b, kb, mb, gb, tb, kib, mib, gib or tib"
#define MILLI_DECIMALS 3

static char *error(const char *s, const char *fmt, ...) PRINTF_FORMAT(2, 3);

/* Returns an allocated message: 's' quoted, then 'fmt'. */
static char *error(const char *s, const char *fmt, ...)
{
	struct ds ds = DS_EMPTY_INITIALIZER;
	va_list args;

	ds_put_quoted(&ds, s);
	ds_put_char(&ds, ' ');
	va_start(args, fmt);
	ds_put_format_valist(&ds, fmt, args);
	va_end(args);
	return ds_steal_cstr(&ds);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Adds the digits [p, end) to '*m' (times ten per digit). Returns false on
 * overflow. */
static bool add_digits(uint64_t *m, const char *p, const char *end)
{
	for (; p < end; p++) {
		if (__builtin_mul_overflow(*m, 10, m) ||
		    __builtin_add_overflow(*m, (uint64_t)(*p - '0'), m))
			return false;
	}
	return true;
}

/* The parts of "D[.F]UNIT": 'int_end' ends the digits D, 'frac'..'frac_end'
 * are F without its trailing zeros (NULL when there is no '.'), 'unit' is
 * what follows the number. Returns false if 's' does not start with such a
 * number (digits, no leading zero unless D is "0", digits after any '.'). */
struct number {
	const char *int_end;
	const char *frac, *frac_end;
	const char *unit;
};

static bool scan_number(const char *s, struct number *n)
{
	const char *p = s;

	if (!is_digit(*p) || (p[0] == '0' && is_digit(p[1])))
		return false;
	while (is_digit(*p))
		p++;
	n->int_end = p;
	n->frac = n->frac_end = NULL;
	if (*p == '.') {
		n->frac = ++p;
		if (!is_digit(*p))
			return false;
		while (is_digit(*p))
			p++;
		n->frac_end = p;
		/* Trailing zeros of the fraction do not make it finer. */
		while (n->frac_end > n->frac && n->frac_end[-1] == '0')
			n->frac_end--;
	}
	n->unit = p;
	return true;
}

/* The number of 'n' as an integer mantissa (D and F's digits) and the
 * count of F's digits. Returns false on overflow. */
static bool number_mantissa(const char *s, const struct number *n, uint64_t *m, unsigned int *scale)
{
	*m = 0;
	*scale = n->frac ? (unsigned int)(n->frac_end - n->frac) : 0;
	return add_digits(m, s, n->int_end) && (!n->frac || add_digits(m, n->frac, n->frac_end));
}

static char *parse_quantity(const char *s, const struct quantity *q, uint64_t *value)
{
	const struct unit *unit = NULL;
	struct number num;
	uint64_t m;
	unsigned int scale;
	bool overflow;

	if (!scan_number(s, &num))
		goto bad_syntax;
	if (*num.unit == '\0')
		return error(s, "has no unit (%s)", q->unit_list);
	for (size_t i = 0; i < q->n_units; i++) {
		if (!strcmp(num.unit, q->units[i].name)) {
			unit = &q->units[i];
			break;
		}
	}
	if (!unit) {
		char c = *num.unit;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '%')
			return error(s, "has an unknown unit (expected %s)", q->unit_list);
		goto bad_syntax;
	}

	scale = num.frac ? (unsigned int)(num.frac_end - num.frac) : 0;
	if (scale > unit->exp10)
		return error(s, "%s", q->too_fine);
	overflow = !number_mantissa(s, &num, &m, &scale);
	for (unsigned int i = scale; i < unit->exp10 && !overflow; i++)
		overflow = __builtin_mul_overflow(m, 10, &m);
	if (overflow || m > q->max)
		return error(s, "%s", q->too_large);
	*value = m;
	return NULL;

bad_syntax:
	return error(s, "is not a %s (a number and a unit: %s)", q->what, q->unit_list);
}

/* Parses a duration ("250us", "1ms", "1.5s") into microseconds. Returns
 * NULL or an allocated message. */
char *units_parse_duration_us(const char *s, uint64_t *us)
{
	return parse_quantity(s, &duration, us);
}

/* Parses a rate ("100mbit", "1gbit") into bits per second; zero is refused.
 * Returns NULL or an allocated message. */
char *units_parse_rate_bps(const char *s, uint64_t *bps)
{
	uint64_t v = 0;
	char *msg = parse_quantity(s, &rate, &v);

	if (msg)
		return msg;
	if (v == 0)
		return error(s, "is zero (a rate must be more than 0)");
	*bps = v;
	return NULL;
}

/* Parses a percentage ("0.5%", "100%") into parts per million. Returns NULL
 * or an allocated message. */
char *units_parse_percent_ppm(const char *s, uint32_t *ppm)
{
	uint64_t v = 0;
	char *msg = parse_quantity(s, &percent, &v);

	if (!msg)
		*ppm = (uint32_t)v;
	return msg;
}

/* Parses a byte size ("500mb", "1.5gib", "0b") into bytes. The fraction
 * must come out as a whole number of bytes. Returns NULL or an allocated
 * message. */
char *units_parse_size(const char *s, uint64_t *bytes)
{
	const struct size_unit *unit = NULL;
	unsigned __int128 v, div = 1;
	struct number num;
	unsigned int scale;
	uint64_t m;

	if (!scan_number(s, &num))
		goto bad_syntax;
	if (*num.unit == '\0')
		return error(s, "has no unit (%s)", SIZE_UNIT_LIST);
	for (size_t i = 0; i < ARRAY_SIZE(size_units); i++) {
		if (!strcmp(num.unit, size_units[i].name)) {
			unit = &size_units[i];
			break;
		}
	}
	if (!unit) {
		char c = *num.unit;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			return error(s, "has an unknown unit (expected %s)", SIZE_UNIT_LIST);
		goto bad_syntax;
	}
	if (!number_mantissa(s, &num, &m, &scale)) {
		/* Too many digits: in the integer part that is a large size,
		 * in the fraction a fine one. */
		m = 0;
		return error(s, "%s",
			     add_digits(&m, s, num.int_end) ? "is finer than 1b" : "is too large");
	}
	/* 10^38 is the largest power of ten in 128 bits; m * factor < 2^104. */
	if (scale > 38)
		return error(s, "is finer than 1b");
	for (unsigned int i = 0; i < scale; i++)
		div *= 10;
	v = (unsigned __int128)m * unit->factor;
	if (v % div)
		return error(s, "is finer than 1b");
	v /= div;
	if (v > UINT64_MAX)
		return error(s, "is too large");
	*bytes = (uint64_t)v;
	return NULL;

bad_syntax:
	return error(s, "is not a size (a number and a unit: %s)", SIZE_UNIT_LIST);
}

/* Parses a plain decimal number ("2", "0.5", "1.125") into thousandths, at
 * most 'max_milli'. Returns NULL or an allocated message. */
char *units_parse_milli(const char *s, uint64_t max_milli, uint64_t *milli)
{
	struct number num;
	unsigned int scale;
	uint64_t m;
	bool overflow;

	if (!scan_number(s, &num) || *num.unit)
		return error(s, "is not a decimal number");
	scale = num.frac ? (unsigned int)(num.frac_end - num.frac) : 0;
	if (scale > MILLI_DECIMALS)
		return error(s, "has more than %d decimals", MILLI_DECIMALS);
	overflow = !number_mantissa(s, &num, &m, &scale);
	for (unsigned int i = scale; i < MILLI_DECIMALS && !overflow; i++)
		overflow = __builtin_mul_overflow(m, 10, &m);
	if (overflow || m > max_milli) {
		char max[UNITS_STRLEN];

		units_format_milli(max_milli, max);
		return error(s, "is more than %s", max);
	}
	*milli = m;
	return NULL;
}

/* Parses a plain decimal integer without sign or leading zeros, at most
 * 'max'. Returns NULL or an allocated message. */
char *units_parse_uint(const char *s, uint64_t max, uint64_t *value)
{
	const char *p = s;
	uint64_t v = 0;

	if (!is_digit(*p))
		return error(s, "is not a non-negative integer");
	while (is_digit(*p))
		p++;
	if (*p != '\0')
		return error(s, "is not a non-negative integer");
	if (s[0] == '0' && s[1] != '\0')
		return error(s, "has a leading zero");
	if (!add_digits(&v, s, p) || v > max)
		return error(s, "is more than %" PRIu64, max);
	*value = v;
	return NULL;
}

/* Writes 'v' in the largest unit of 'units' (ordered by exponent) that
 * divides it exactly. */
static void format_quantity(uint64_t v, const struct unit *units, size_t n, char buf[UNITS_STRLEN])
{
	size_t i = n - 1;

	if (v != 0) {
		for (;; i--) {
			uint64_t div = 1;

			for (unsigned int e = 0; e < units[i].exp10; e++)
				div *= 10;
			if (i == 0 || v % div == 0) {
				v /= div;
				break;
			}
		}
	} else {
		i = 0;
	}
	snprintf(buf, UNITS_STRLEN, "%" PRIu64 "%s", v, units[i].name);
}

/* Writes 'us' as the shortest exact duration: "1ms", "1500us", "2s". */
void units_format_duration_us(uint64_t us, char buf[UNITS_STRLEN])
{
	format_quantity(us, duration_units, ARRAY_SIZE(duration_units), buf);
}

/* Writes 'bps' as the shortest exact rate: "1gbit", "1500kbit". */
void units_format_rate_bps(uint64_t bps, char buf[UNITS_STRLEN])
{
	format_quantity(bps, rate_units, ARRAY_SIZE(rate_units), buf);
}

/* Writes 'ppm' as a percentage with no trailing zeros: "0.5%", "100%". */
void units_format_percent_ppm(uint32_t ppm, char buf[UNITS_STRLEN])
{
	uint32_t whole = ppm / 10000, frac = ppm % 10000;
	int digits = 4;

	if (!frac) {
		snprintf(buf, UNITS_STRLEN, "%" PRIu32 "%%", whole);
		return;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, UNITS_STRLEN, "%" PRIu32 ".%0*" PRIu32 "%%", whole, digits, frac);
}

/* Writes 'bytes' in the unit with the largest multiplier that divides it
 * exactly: "500mb", "1gib", "1000kib", "0b". */
void units_format_size(uint64_t bytes, char buf[UNITS_STRLEN])
{
	size_t i = ARRAY_SIZE(size_units) - 1;

	while (i > 0 && (bytes == 0 || bytes % size_units[i].factor))
		i--;
	snprintf(buf, UNITS_STRLEN, "%" PRIu64 "%s", bytes / size_units[i].factor,
		 size_units[i].name);
}

/* Writes thousandths as a decimal without trailing zeros: "2", "0.5", "1.125". */
void units_format_milli(uint64_t milli, char buf[UNITS_STRLEN])
{
	uint64_t whole = milli / 1000, frac = milli % 1000;
	int digits = MILLI_DECIMALS;

	if (!frac) {
		snprintf(buf, UNITS_STRLEN, "%" PRIu64, whole);
		return;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, UNITS_STRLEN, "%" PRIu64 ".%0*" PRIu64, whole, digits, frac);
}
