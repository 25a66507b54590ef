/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Units as users write them in topology files ("1ms", "250us", "1gbit",
 * "100mbit", "0.5%", "500mb", "1gib"). Parsing is strict: a number (digits, optionally one
 * '.' and more digits), then a unit from the list, nothing else — no
 * spaces, no sign, no exponent, no missing unit. Values are held in the
 * smallest unit named in the variable (latency_us, bandwidth_bps,
 * loss_ppm); a fraction finer than that unit is an error, not rounded.
 * Formatting gives the shortest exact form, so format(parse(x)) is
 * canonical and parse(format(v)) == v.
 *
 * Parsers return NULL on success or an allocated message quoting the input.
 */
#ifndef ONM_UNITS_H
#define ONM_UNITS_H

#include "onm/util.h"

#include <stdint.h>

#define UNITS_STRLEN 32

/* Units: us, ms, s. Result in microseconds. Max about 1 day. */
char *units_parse_duration_us(const char *s, uint64_t *us) WARN_UNUSED_RESULT;
/* Units: bit, kbit, mbit, gbit, tbit (powers of 1000, as tc counts). Must be > 0. */
char *units_parse_rate_bps(const char *s, uint64_t *bps) WARN_UNUSED_RESULT;
/* Unit: %. 0% to 100%, at most 4 decimals. Result in parts per million. */
char *units_parse_percent_ppm(const char *s, uint32_t *ppm) WARN_UNUSED_RESULT;
/* Units: b, kb, mb, gb, tb (powers of 1000) and kib, mib, gib, tib (powers
 * of 1024). Result in bytes; a fraction must give whole bytes ("1.5kib"). */
char *units_parse_size(const char *s, uint64_t *bytes) WARN_UNUSED_RESULT;
/* A unitless decimal ("0.5", "2") with at most 3 decimals, in thousandths,
 * up to 'max_milli' (route coefficients). */
char *units_parse_milli(const char *s, uint64_t max_milli, uint64_t *milli) WARN_UNUSED_RESULT;
/* Plain non-negative decimal integer (link cost, VNI, ports) up to 'max'. */
char *units_parse_uint(const char *s, uint64_t max, uint64_t *value) WARN_UNUSED_RESULT;

void units_format_duration_us(uint64_t us, char buf[UNITS_STRLEN]);
void units_format_rate_bps(uint64_t bps, char buf[UNITS_STRLEN]);
void units_format_percent_ppm(uint32_t ppm, char buf[UNITS_STRLEN]);
void units_format_size(uint64_t bytes, char buf[UNITS_STRLEN]);
void units_format_milli(uint64_t milli, char buf[UNITS_STRLEN]);

#endif /* ONM_UNITS_H */
