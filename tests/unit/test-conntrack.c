// SPDX-License-Identifier: Apache-2.0
/*
 * Tests of connection tracking (agent/conntrack.h): both directions of a
 * flow find the same entry, ICMP echo replies match their request, VNIs
 * keep tenants' flows apart, entries expire by the timestamps given and
 * FIN shortens them, and a full table evicts instead of failing — checked
 * against a simple reference on random traffic; and the flows redirects
 * translated, kept apart from those security groups allowed.
 */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "conntrack.h"
#include "onm/packet.h"

#include <stdlib.h>

#define SEC 1000000ull

static struct ct_tuple tuple(uint32_t vni, uint8_t proto, uint32_t s, uint16_t sp, uint32_t d,
			     uint16_t dp)
{
	struct ct_tuple t = {vni, s, d, sp, dp, proto};

	return t;
}

static void test_both_directions(void **state)
{
	struct conntrack *ct = conntrack_create(1000);
	struct ct_tuple fwd = tuple(1001, IP_PROTO_TCP, 0x0a01010a, 40000, 0x0a01020a, 5432);
	struct ct_tuple rev = tuple(1001, IP_PROTO_TCP, 0x0a01020a, 5432, 0x0a01010a, 40000);
	struct ct_tuple other_vni = tuple(2001, IP_PROTO_TCP, 0x0a01020a, 5432, 0x0a01010a, 40000);
	struct ct_tuple other_port = tuple(1001, IP_PROTO_TCP, 0x0a01020a, 5433, 0x0a01010a, 40000);
	struct ct_tuple udp = tuple(1001, IP_PROTO_UDP, 0x0a01020a, 5432, 0x0a01010a, 40000);

	assert_false(conntrack_lookup(ct, &fwd, 0, 1 * SEC));
	conntrack_commit(ct, &fwd, TCP_SYN, 1 * SEC);
	assert_true(conntrack_lookup(ct, &fwd, 0, 2 * SEC));
	assert_true(conntrack_lookup(ct, &rev, TCP_SYN | TCP_ACK, 2 * SEC));
	assert_false(conntrack_lookup(ct, &other_vni, 0, 2 * SEC));
	assert_false(conntrack_lookup(ct, &other_port, 0, 2 * SEC));
	assert_false(conntrack_lookup(ct, &udp, 0, 2 * SEC));
	assert_int_equal(conntrack_count(ct, 2 * SEC), 1);
	/* Committing the reverse direction refreshes the same entry. */
	conntrack_commit(ct, &rev, 0, 3 * SEC);
	assert_int_equal(conntrack_count(ct, 3 * SEC), 1);
	conntrack_flush(ct);
	assert_false(conntrack_lookup(ct, &fwd, 0, 3 * SEC));
	conntrack_destroy(ct);
	conntrack_destroy(NULL);
}

static void test_icmp_echo(void **state)
{
	struct conntrack *ct = conntrack_create(0);
	/* Request: source port = id; reply: destination port = id. */
	struct ct_tuple req = tuple(1001, IP_PROTO_ICMP, 0x0a01010a, 77, 0x0a01020a, 0);
	struct ct_tuple rep = tuple(1001, IP_PROTO_ICMP, 0x0a01020a, 0, 0x0a01010a, 77);
	struct ct_tuple rep_other = tuple(1001, IP_PROTO_ICMP, 0x0a01020a, 0, 0x0a01010a, 78);

	conntrack_commit(ct, &req, 0, SEC);
	assert_true(conntrack_lookup(ct, &rep, 0, SEC));
	assert_false(conntrack_lookup(ct, &rep_other, 0, SEC));
	conntrack_destroy(ct);
}

static void test_expiry(void **state)
{
	struct conntrack *ct = conntrack_create(64);
	struct ct_tuple u = tuple(1, IP_PROTO_UDP, 1, 1, 2, 2);
	struct ct_tuple t = tuple(1, IP_PROTO_TCP, 1, 1, 2, 2);

	conntrack_commit(ct, &u, 0, 100 * SEC);
	assert_true(conntrack_lookup(ct, &u, 0, 100 * SEC + CT_TIMEOUT_UDP_US - 1));
	/* The hit above refreshed it. */
	assert_true(conntrack_lookup(ct, &u, 0, 100 * SEC + CT_TIMEOUT_UDP_US + 10));
	assert_false(conntrack_lookup(ct, &u, 0, 200 * SEC + 2 * CT_TIMEOUT_UDP_US));
	assert_int_equal(conntrack_count(ct, 200 * SEC + 2 * CT_TIMEOUT_UDP_US), 0);

	conntrack_commit(ct, &t, TCP_SYN, 1000 * SEC);
	assert_true(conntrack_lookup(ct, &t, 0, 1000 * SEC + CT_TIMEOUT_TCP_US - 1));
	/* A FIN shortens it, and it stays short. */
	assert_true(conntrack_lookup(ct, &t, TCP_FIN | TCP_ACK, 1400 * SEC));
	assert_true(conntrack_lookup(ct, &t, TCP_ACK, 1400 * SEC + 1));
	assert_false(conntrack_lookup(ct, &t, TCP_ACK, 1400 * SEC + CT_TIMEOUT_TCP_CLOSED_US + 2));
	/* A new connection with the same tuple starts over. */
	conntrack_commit(ct, &t, TCP_SYN, 3000 * SEC);
	assert_true(conntrack_lookup(ct, &t, TCP_ACK, 3000 * SEC + CT_TIMEOUT_TCP_CLOSED_US + 2));
	conntrack_destroy(ct);
}

/* Random flows through a small table: every lookup that says "tracked" is
 * right (a flow committed and not expired), and a table with room keeps
 * everything. */
static void test_random_reference(void **state)
{
	enum { N_FLOWS = 400 };
	struct conntrack *ct = conntrack_create(4096);
	uint64_t expires[N_FLOWS] = {0};
	uint64_t now = SEC;

	srand(7);
	for (int i = 0; i < 200000; i++) {
		int f = rand() % N_FLOWS;
		bool reverse = rand() & 1;
		struct ct_tuple t =
		    reverse ? tuple((uint32_t)f % 3, IP_PROTO_UDP, 0x0a000000u + (uint32_t)f, 53,
				    0x0a000001, (uint16_t)(1000 + f))
			    : tuple((uint32_t)f % 3, IP_PROTO_UDP, 0x0a000001, (uint16_t)(1000 + f),
				    0x0a000000u + (uint32_t)f, 53);

		now += (uint64_t)(rand() % 1000) * 1000; /* up to 1 ms per step */
		if (rand() % 4 == 0) {
			conntrack_commit(ct, &t, 0, now);
			expires[f] = now + CT_TIMEOUT_UDP_US;
		} else {
			bool want = expires[f] > now;

			assert_int_equal(conntrack_lookup(ct, &t, 0, now), want);
			if (want)
				expires[f] = now + CT_TIMEOUT_UDP_US;
		}
	}
	conntrack_destroy(ct);
}

/* Flows that differ only in one port (a client's many connections to one
 * server) must spread over the table, not crowd one probe window. */
static void test_ports_spread(void **state)
{
	struct conntrack *ct = conntrack_create(4096);

	for (uint16_t p = 0; p < 1500; p++) {
		struct ct_tuple t =
		    tuple(1001, IP_PROTO_UDP, 0x0a01010a, (uint16_t)(20000 + p), 0x0a01020a, 5000);

		conntrack_commit(ct, &t, 0, SEC);
	}
	assert_int_equal(conntrack_count(ct, SEC), 1500);
	for (uint16_t p = 0; p < 1500; p++) {
		struct ct_tuple t =
		    tuple(1001, IP_PROTO_UDP, 0x0a01020a, 5000, 0x0a01010a, (uint16_t)(20000 + p));

		assert_true(conntrack_lookup(ct, &t, 0, SEC));
	}
	conntrack_destroy(ct);
}

static void test_full_table_evicts(void **state)
{
	struct conntrack *ct = conntrack_create(64);
	struct ct_tuple last;

	/* Far more live flows than slots: commits never fail, the newest
	 * flow is always found, and the table never holds more than it has. */
	for (uint32_t i = 0; i < 10000; i++) {
		last = tuple(5, IP_PROTO_TCP, i, 1, 0xffffffffu - i, 2);
		conntrack_commit(ct, &last, TCP_SYN, SEC + i);
		assert_true(conntrack_lookup(ct, &last, 0, SEC + i));
	}
	assert_true(conntrack_count(ct, SEC + 10000) <= 64);
	assert_true(conntrack_count(ct, SEC + 10000) > 32);
	conntrack_destroy(ct);
}

/* Redirected flows: committed as they leave the router (client -> target),
 * found in both directions with the address the client asked for and the
 * direction each packet goes; a translated flow is not one security groups
 * allowed, nor the reverse; both kinds share one entry and its expiry; an
 * expired flow starts over without the other's flag. */
static void test_nat(void **state)
{
	struct conntrack *ct = conntrack_create(64);
	const uint32_t client = 0x0a01010a, target = 0x0a01020b, from = 0x0a010263;
	struct ct_tuple out = tuple(1001, IP_PROTO_TCP, client, 40000, target, 5432);
	struct ct_tuple back = tuple(1001, IP_PROTO_TCP, target, 5432, client, 40000);
	/* The same flow with the endpoints in the other order of the key. */
	struct ct_tuple out2 = tuple(1001, IP_PROTO_UDP, target, 9000, client, 53);
	struct ct_tuple back2 = tuple(1001, IP_PROTO_UDP, client, 53, target, 9000);
	struct ct_tuple echo = tuple(1001, IP_PROTO_ICMP, client, 7, target, 0);
	struct ct_tuple echo_reply = tuple(1001, IP_PROTO_ICMP, target, 0, client, 7);
	uint32_t orig = 0;

	assert_int_equal(conntrack_nat_lookup(ct, &back, 0, SEC, &orig), CT_NAT_NONE);
	conntrack_nat_commit(ct, &out, from, TCP_SYN, SEC);
	assert_int_equal(conntrack_nat_lookup(ct, &back, 0, SEC, &orig), CT_NAT_REPLY);
	assert_int_equal(orig, from);
	orig = 0;
	assert_int_equal(conntrack_nat_lookup(ct, &out, 0, SEC, &orig), CT_NAT_ORIGINAL);
	assert_int_equal(orig, from);
	/* Not a security-group flow. */
	assert_false(conntrack_lookup(ct, &back, 0, SEC));
	conntrack_commit(ct, &out, TCP_ACK, 2 * SEC);
	assert_true(conntrack_lookup(ct, &back, 0, 2 * SEC));
	assert_int_equal(conntrack_count(ct, 2 * SEC), 1);
	assert_int_equal(conntrack_nat_lookup(ct, &back, 0, 2 * SEC, &orig), CT_NAT_REPLY);

	conntrack_nat_commit(ct, &out2, from, 0, SEC);
	assert_int_equal(conntrack_nat_lookup(ct, &back2, 0, SEC, &orig), CT_NAT_REPLY);
	assert_int_equal(conntrack_nat_lookup(ct, &out2, 0, SEC, &orig), CT_NAT_ORIGINAL);
	conntrack_nat_commit(ct, &echo, from, 0, SEC);
	assert_int_equal(conntrack_nat_lookup(ct, &echo_reply, 0, SEC, &orig), CT_NAT_REPLY);

	/* A security-group flow is no translated one. */
	struct ct_tuple plain = tuple(1001, IP_PROTO_TCP, client, 40001, target, 5432);
	struct ct_tuple plain_back = tuple(1001, IP_PROTO_TCP, target, 5432, client, 40001);

	conntrack_commit(ct, &plain, TCP_SYN, SEC);
	assert_int_equal(conntrack_nat_lookup(ct, &plain_back, 0, SEC, &orig), CT_NAT_NONE);

	/* Expiry, with FIN shortening it as for any flow. */
	assert_int_equal(conntrack_nat_lookup(ct, &back, TCP_FIN | TCP_ACK, 3 * SEC, &orig),
			 CT_NAT_REPLY);
	assert_int_equal(
	    conntrack_nat_lookup(ct, &back, 0, 3 * SEC + CT_TIMEOUT_TCP_CLOSED_US + 1, &orig),
	    CT_NAT_NONE);
	assert_false(conntrack_lookup(ct, &back, 0, 3 * SEC + CT_TIMEOUT_TCP_CLOSED_US + 1));
	/* The same tuple later: a new flow, allowed only. */
	conntrack_commit(ct, &out, TCP_SYN, 100 * SEC);
	assert_true(conntrack_lookup(ct, &back, 0, 100 * SEC));
	assert_int_equal(conntrack_nat_lookup(ct, &back, 0, 100 * SEC, &orig), CT_NAT_NONE);
	assert_int_equal(conntrack_nat_lookup(ct, &back2, 0, SEC + CT_TIMEOUT_UDP_US, &orig),
			 CT_NAT_NONE);
	conntrack_destroy(ct);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_both_directions), cmocka_unit_test(test_icmp_echo),
	    cmocka_unit_test(test_expiry),	    cmocka_unit_test(test_random_reference),
	    cmocka_unit_test(test_ports_spread),    cmocka_unit_test(test_full_table_evicts),
	    cmocka_unit_test(test_nat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
