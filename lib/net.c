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
void ipv4_format(uint32_t addr, char buf[IPV4_ADDR_STRLEN])
{
	snprintf(buf, IPV4_ADDR_STRLEN, "%u.%u.%u.%u", (addr >> 24) & 0xff, (addr >> 16) & 0xff,
		 (addr >> 8) & 0xff, addr & 0xff);
}

/* Writes 'p' as "A.B.C.D/LEN" into 'buf'. */
void ipv4_prefix_format(const struct ipv4_prefix *p, char buf[IPV4_PREFIX_STRLEN])
{
	uint32_t a = p->addr;
	unsigned int len = p->len > 32 ? 32 : p->len;

	snprintf(buf, IPV4_PREFIX_STRLEN, "%u.%u.%u.%u/%u", (a >> 24) & 0xff, (a >> 16) & 0xff,
		 (a >> 8) & 0xff, a & 0xff, len);
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
	snprintf(buf, ETH_ADDR_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", e->b[0], e->b[1], e->b[2],
		 e->b[3], e->b[4], e->b[5]);
}
