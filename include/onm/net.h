/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IPv4 addresses, prefixes and Ethernet addresses as the model and the
 * data plane hold them. Addresses are host byte order in the model
 * (comparisons and masks are plain integer arithmetic); packet code
 * converts at the wire.
 */
#ifndef ONM_NET_H
#define ONM_NET_H

#include "onm/util.h"

#include <stdbool.h>
#include <stdint.h>

struct ipv4_prefix {
	uint32_t addr; /* host byte order, host bits zero */
	uint8_t len;   /* prefix length, 0..32 */
};

struct eth_addr {
	uint8_t b[6];
};

#define IPV4_ADDR_STRLEN 16   /* "255.255.255.255" + NUL */
#define IPV4_PREFIX_STRLEN 19 /* "255.255.255.255/32" + NUL */
#define ETH_ADDR_STRLEN 18    /* "aa:bb:cc:dd:ee:ff" + NUL */

static inline uint32_t ipv4_mask(uint8_t len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

static inline bool ipv4_prefix_contains(const struct ipv4_prefix *p, uint32_t addr)
{
	return (addr & ipv4_mask(p->len)) == p->addr;
}

/* True if the two prefixes share at least one address. */
static inline bool ipv4_prefix_overlaps(const struct ipv4_prefix *a, const struct ipv4_prefix *b)
{
	uint8_t len = a->len < b->len ? a->len : b->len;
	return (a->addr & ipv4_mask(len)) == (b->addr & ipv4_mask(len));
}

/* Strict dotted quad ("10.1.1.10"); no leading zeros, no shorthand. */
bool ipv4_parse(const char *s, uint32_t *addr) WARN_UNUSED_RESULT;
/* "10.1.1.0/24". Rejects host bits set ('10.1.1.5/24'). */
bool ipv4_prefix_parse(const char *s, struct ipv4_prefix *) WARN_UNUSED_RESULT;
void ipv4_format(uint32_t addr, char buf[IPV4_ADDR_STRLEN]);
void ipv4_prefix_format(const struct ipv4_prefix *, char buf[IPV4_PREFIX_STRLEN]);

/* "02:00:5e:10:00:01", lower or upper case hex. */
bool eth_addr_parse(const char *s, struct eth_addr *) WARN_UNUSED_RESULT;
void eth_addr_format(const struct eth_addr *, char buf[ETH_ADDR_STRLEN]);
static inline bool eth_addr_is_zero(const struct eth_addr *e)
{
	return !(e->b[0] | e->b[1] | e->b[2] | e->b[3] | e->b[4] | e->b[5]);
}

#endif /* ONM_NET_H */
