// SPDX-License-Identifier: Apache-2.0
/*
 * Text forms of IPv4 addresses, IPv4 prefixes and Ethernet addresses (see
 * net.h). Parsing is strict on purpose: what a user writes in a topology
 * file must mean exactly one thing, so "010.1.1.1" (octal to some tools),
 * "10.1" (shorthand to inet_aton) and "10.1.1.5/24" (host bits set) are
 * refused rather than guessed at.
 */
#include "onm/net.h"

#include <stdio.h>
#include <string.h>

/* Parses one decimal octet at '*sp': 1 to 3 digits, no leading zero unless
 * the octet is "0", value at most 255. Advances '*sp' past it. */
static bool parse_octet(const char **sp, uint32_t *octet)
{
	const char *s = *sp;
	uint32_t v = 0;
	int n = 0;

	while (s[n] >= '0' && s[n] <= '9') {
		if (n == 3)
			return false;
		v = v * 10 + (uint32_t)(s[n] - '0');
		n++;
	}
	if (n == 0 || v > 255 || (n > 1 && s[0] == '0'))
		return false;
	*octet = v;
	*sp = s + n;
	return true;
}

/* Parses a dotted quad at the start of 's'; '*end' is set past it. */
static bool parse_quad(const char *s, uint32_t *addr, const char **end)
{
	uint32_t a = 0;

	for (int i = 0; i < 4; i++) {
		uint32_t octet;

		if (i > 0) {
			if (*s != '.')
				return false;
			s++;
		}
		if (!parse_octet(&s, &octet))
			return false;
		a = (a << 8) | octet;
	}
	*addr = a;
	*end = s;
	return true;
}

/* Parses "A.B.C.D" into 'addr' (host byte order). Returns false, leaving
 * 'addr' alone, unless 's' is exactly a dotted quad. */
bool ipv4_parse(const char *s, uint32_t *addr)
{
	const char *end;
	uint32_t a;

	if (!parse_quad(s, &a, &end) || *end != '\0')
		return false;
	*addr = a;
	return true;
}

/* Parses "A.B.C.D/LEN" (LEN 0..32 without leading zeros) into 'p'. Returns
 * false if the syntax is wrong or if any host bit of the address is set;
 * the caller tells the two apart if it wants to say which. */
bool ipv4_prefix_parse(const char *s, struct ipv4_prefix *p)
{
	const char *end;
	uint32_t a, len = 0;

	if (!parse_quad(s, &a, &end) || *end != '/')
		return false;
	s = end + 1;
	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		len = len * 10 + (uint32_t)(*s - '0');
		if (len > 32)
			return false;
	}
	if (*s != '\0' || (a & ~ipv4_mask((uint8_t)len)))
		return false;
	p->addr = a;
	p->len = (uint8_t)len;
	return true;
}

/* Writes 'addr' as a dotted quad into 'buf'. */
/* Appends 'v' (0..255) in decimal at 'p'; returns the end. Formatting by
 * hand: the model writes every address of every object it serializes, and
 * snprintf was most of that cost. */
static char *put_octet(char *p, unsigned int v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

static char *put_dotted(char *p, uint32_t addr)
{
	for (int shift = 24; shift >= 0; shift -= 8) {
		p = put_octet(p, (addr >> shift) & 0xff);
		if (shift)
			*p++ = '.';
	}
	return p;
}

void ipv4_format(uint32_t addr, char buf[IPV4_ADDR_STRLEN])
{
	*put_dotted(buf, addr) = '\0';
}

/* Writes 'p' as "A.B.C.D/LEN" into 'buf'. */
void ipv4_prefix_format(const struct ipv4_prefix *p, char buf[IPV4_PREFIX_STRLEN])
{
	char *end = put_dotted(buf, p->addr);

	*end++ = '/';
	*put_octet(end, p->len > 32 ? 32 : p->len) = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses exactly six pairs of hex digits separated by ':' into 'e'. */
bool eth_addr_parse(const char *s, struct eth_addr *e)
{
	struct eth_addr tmp;

	for (int i = 0; i < 6; i++) {
		if (i > 0 && *s++ != ':')
			return false;
		int hi = hex_value(s[0]);
		int lo = hi < 0 ? -1 : hex_value(s[1]);
		if (lo < 0)
			return false;
		tmp.b[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	if (*s != '\0')
		return false;
	*e = tmp;
	return true;
}

/* Writes 'e' as "aa:bb:cc:dd:ee:ff" (lower case) into 'buf'. */
void eth_addr_format(const struct eth_addr *e, char buf[ETH_ADDR_STRLEN])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 6; i++) {
		buf[3 * i] = hex[e->b[i] >> 4];
		buf[3 * i + 1] = hex[e->b[i] & 15];
		buf[3 * i + 2] = i < 5 ? ':' : '\0';
	}
}
