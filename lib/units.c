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

static char *parse_quantity(const char *s, const struct quantity *q, uint64_t *value)
{
	const char *p = s, *int_end, *frac = NULL, *frac_end = NULL;
	const struct unit *unit = NULL;
	uint64_t m = 0;
	unsigned int scale;
	bool overflow = false;

	/* Digits, without a leading zero unless the integer part is "0". */
	if (!is_digit(*p) || (p[0] == '0' && is_digit(p[1])))
		goto bad_syntax;
	while (is_digit(*p))
		p++;
	int_end = p;
	if (*p == '.') {
		frac = ++p;
		if (!is_digit(*p))
			goto bad_syntax;
		while (is_digit(*p))
			p++;
		frac_end = p;
		/* Trailing zeros of the fraction do not make it finer. */
		while (frac_end > frac && frac_end[-1] == '0')
			frac_end--;
	}

	if (*p == '\0')
		return error(s, "has no unit (%s)", q->unit_list);
	for (size_t i = 0; i < q->n_units; i++) {
		if (!strcmp(p, q->units[i].name)) {
			unit = &q->units[i];
			break;
		}
	}
	if (!unit) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '%')
			return error(s, "has an unknown unit (expected %s)", q->unit_list);
		goto bad_syntax;
	}

	scale = frac ? (unsigned int)(frac_end - frac) : 0;
	if (scale > unit->exp10)
		return error(s, "%s", q->too_fine);
	overflow = !add_digits(&m, s, int_end) || (frac && !add_digits(&m, frac, frac_end));
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
