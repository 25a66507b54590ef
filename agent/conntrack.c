// SPDX-License-Identifier: Apache-2.0
/*
 * Connection tracking table: open addressing over a power-of-two array of
 * fixed entries, probing at most CT_PROBE slots from the key's hash. A
 * slot whose expiry is 0 has never been used and ends a probe; slots never
 * go back to that state (only conntrack_flush() clears them), so a probe
 * may stop there safely. Expired slots are reused by new flows; when the
 * whole window is live, the entry closest to expiring is evicted — a busy
 * table forgets its oldest idle flows first, and never allocates.
 *
 * An entry says what is known of its flow with flags: allowed by security
 * groups, translated by a redirect (with the destination it had). A
 * flow's entry that expired and is found again by a commit starts over
 * with no flags but the one committed.
 */
#include "conntrack.h"

#include "onm/packet.h"

#include <stdlib.h>
#include <string.h>

#define CT_PROBE 16

/* 16 bytes without padding: keys compare with memcmp. */
struct ct_key {
	uint32_t ip_a, ip_b; /* the lower endpoint first */
	uint16_t port_a, port_b;
	uint32_t vni_proto; /* VNI << 8 | IP protocol */
};

enum {
	CT_CLOSED = 1 << 0,	  /* TCP FIN or RST seen: short timeout from now on */
	CT_ALLOWED = 1 << 1,	  /* let through by security groups (conntrack_commit()) */
	CT_NAT = 1 << 2,	  /* translated by a redirect; 'nat_orig' is valid */
	CT_NAT_TARGET_B = 1 << 3, /* CT_NAT: the redirect's target is endpoint b (else a) */
};

/* 32 bytes: two entries per cache line. */
struct ct_entry {
	struct ct_key key;
	uint32_t nat_orig;   /* CT_NAT: the destination before the redirect, host order */
	uint8_t flags;	     /* CT_* */
	uint64_t expires_us; /* monotonic; 0 = slot never used */
};

struct conntrack {
	struct ct_entry *slots;
	size_t mask; /* number of slots - 1 */
};

struct conntrack *conntrack_create(size_t n_entries)
{
	struct conntrack *ct = xzalloc(sizeof *ct);
	size_t n = 64;

	while (n < n_entries)
		n *= 2;
	ct->slots = xcalloc(n, sizeof *ct->slots);
	ct->mask = n - 1;
	return ct;
}

void conntrack_destroy(struct conntrack *ct)
{
	if (!ct)
		return;
	free(ct->slots);
	free(ct);
}

void conntrack_flush(struct conntrack *ct)
{
	memset(ct->slots, 0, (ct->mask + 1) * sizeof *ct->slots);
}

static void make_key(const struct ct_tuple *t, struct ct_key *k)
{
	k->vni_proto = t->vni << 8 | t->proto;
	if (t->src_ip < t->dst_ip || (t->src_ip == t->dst_ip && t->src_port <= t->dst_port)) {
		k->ip_a = t->src_ip;
		k->port_a = t->src_port;
		k->ip_b = t->dst_ip;
		k->port_b = t->dst_port;
	} else {
		k->ip_a = t->dst_ip;
		k->port_a = t->dst_port;
		k->ip_b = t->src_ip;
		k->port_b = t->src_port;
	}
}

static size_t key_hash(const struct ct_key *k)
{
	uint64_t h = (uint64_t)k->ip_a * 0x9e3779b97f4a7c15ull;

	h ^= (uint64_t)k->ip_b * 0xc2b2ae3d27d4eb4full;
	h ^= ((uint64_t)k->port_a << 16 | k->port_b) * 0x165667b19e3779f9ull;
	h ^= (uint64_t)k->vni_proto * 0xff51afd7ed558ccdull;
	/* MurmurHash3's 64-bit finalizer: every input bit reaches the low bits. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (size_t)h;
}

static uint64_t timeout_us(uint8_t proto, bool closed)
{
	switch (proto) {
	case IP_PROTO_TCP:
		return closed ? CT_TIMEOUT_TCP_CLOSED_US : CT_TIMEOUT_TCP_US;
	case IP_PROTO_UDP:
		return CT_TIMEOUT_UDP_US;
	case IP_PROTO_ICMP:
		return CT_TIMEOUT_ICMP_US;
	default:
		return CT_TIMEOUT_OTHER_US;
	}
}

static inline __attribute__((always_inline)) void refresh(struct ct_entry *e, uint8_t tcp_flags,
							  uint64_t now_us)
{
	uint8_t proto = (uint8_t)e->key.vni_proto;

	if (proto == IP_PROTO_TCP && (tcp_flags & (TCP_FIN | TCP_RST)))
		e->flags |= CT_CLOSED;
	e->expires_us = now_us + timeout_us(proto, e->flags & CT_CLOSED);
}

/* The live entry of the flow of 't' if it has every flag of 'flags', else
 * NULL. */
static inline __attribute__((always_inline)) struct ct_entry *
find(struct conntrack *ct, const struct ct_tuple *t, uint8_t flags, uint64_t now_us)
{
	struct ct_key k;
	size_t i;

	make_key(t, &k);
	i = key_hash(&k);
	for (int n = 0; n < CT_PROBE; n++, i++) {
		struct ct_entry *e = &ct->slots[i & ct->mask];

		if (!e->expires_us)
			return NULL;
		if (!memcmp(&e->key, &k, sizeof k))
			return e->expires_us > now_us && (e->flags & flags) == flags ? e : NULL;
	}
	return NULL;
}

bool conntrack_lookup(struct conntrack *ct, const struct ct_tuple *t, uint8_t tcp_flags,
		      uint64_t now_us)
{
	struct ct_entry *e = find(ct, t, CT_ALLOWED, now_us);

	if (!e)
		return false;
	refresh(e, tcp_flags, now_us);
	return true;
}

enum ct_nat_dir conntrack_nat_lookup(struct conntrack *ct, const struct ct_tuple *t,
				     uint8_t tcp_flags, uint64_t now_us, uint32_t *orig_dst)
{
	struct ct_entry *e = find(ct, t, CT_NAT, now_us);
	bool from_b;

	if (!e)
		return CT_NAT_NONE;
	refresh(e, tcp_flags, now_us);
	*orig_dst = e->nat_orig;
	from_b = t->src_ip == e->key.ip_b && t->src_port == e->key.port_b;
	return from_b == !!(e->flags & CT_NAT_TARGET_B) ? CT_NAT_REPLY : CT_NAT_ORIGINAL;
}

/* The entry of the flow of 't', refreshed, with 'flag' added: the flow's
 * live entry, or a new one in its place (an expired entry of the same
 * flow, a free slot, or the live entry that expires first). */
static struct ct_entry *commit(struct conntrack *ct, const struct ct_tuple *t, uint8_t flag,
			       uint8_t tcp_flags, uint64_t now_us)
{
	struct ct_entry *free_slot = NULL, *oldest = NULL;
	struct ct_key k;
	size_t i;

	make_key(t, &k);
	i = key_hash(&k);
	for (int n = 0; n < CT_PROBE; n++, i++) {
		struct ct_entry *e = &ct->slots[i & ct->mask];

		if (!e->expires_us) {
			if (!free_slot)
				free_slot = e;
			break;
		}
		if (!memcmp(&e->key, &k, sizeof k)) {
			if (e->expires_us <= now_us)
				e->flags = 0; /* a new flow with the same tuple */
			e->flags |= flag;
			refresh(e, tcp_flags, now_us);
			return e;
		}
		if (e->expires_us <= now_us) {
			if (!free_slot)
				free_slot = e;
		} else if (!oldest || e->expires_us < oldest->expires_us) {
			oldest = e;
		}
	}
	if (!free_slot)
		free_slot = oldest;
	free_slot->key = k;
	free_slot->flags = flag;
	refresh(free_slot, tcp_flags, now_us);
	return free_slot;
}

void conntrack_commit(struct conntrack *ct, const struct ct_tuple *t, uint8_t tcp_flags,
		      uint64_t now_us)
{
	commit(ct, t, CT_ALLOWED, tcp_flags, now_us);
}

void conntrack_nat_commit(struct conntrack *ct, const struct ct_tuple *t, uint32_t orig_dst,
			  uint8_t tcp_flags, uint64_t now_us)
{
	struct ct_entry *e = commit(ct, t, CT_NAT, tcp_flags, now_us);

	e->nat_orig = orig_dst;
	e->flags &= (uint8_t)~CT_NAT_TARGET_B;
	if (t->dst_ip == e->key.ip_b && t->dst_port == e->key.port_b)
		e->flags |= CT_NAT_TARGET_B;
}

size_t conntrack_count(const struct conntrack *ct, uint64_t now_us)
{
	size_t n = 0;

	for (size_t i = 0; i <= ct->mask; i++)
		n += ct->slots[i].expires_us > now_us;
	return n;
}
