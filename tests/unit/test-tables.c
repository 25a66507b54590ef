// SPDX-License-Identifier: Apache-2.0
/*
 * Tests of the table snapshot (agent/tables.h): built from the fixture view
 * (two VNs of two tenants with overlapping 10.1.1.0/24), checked through
 * the public accessors and the private structures the pipeline reads —
 * address maps kept apart per VN, router LPM with a static route, compiled
 * security groups with from_group expanded, DHCP settings, service classes
 * (DSCP map, waypoint roles), forwarding entries with equal-cost and
 * pre-waypoint next hops. Then a series of malformed views, each refused
 * with a message naming the entry; and counters that survive a rebuild.
 * Then the router settings of docs/dataplane.md: shut interfaces (their
 * routes kept apart), traffic shapers (kept by name across rebuilds),
 * access lists and redirects, well-formed and not.
 */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "../dp-fixture.h"
#include "tables-private.h"

#include <stdlib.h>
#include <string.h>

static struct dp_tables *build_fixture(struct dp_counters_registry *reg)
{
	json_t *view = dp_fixture_view();
	struct dp_tables *t;
	char *err = dp_tables_build(view, reg, &t);

	if (err)
		fail_msg("%s", err);
	json_decref(view);
	return t;
}

static uint32_t vn_of(const struct dp_tables *t, uint32_t vni)
{
	return dp_map_find(&t->vni_map, vni);
}

static void test_accessors(void **state)
{
	struct dp_counters_registry *reg = dp_counters_registry_create();
	struct dp_tables *t = build_fixture(reg);

	assert_int_equal(dp_tables_self_id(t), 1);
	assert_string_equal(dp_tables_self_name(t), "h1");
	assert_int_equal(dp_tables_self_address(t), FX_H1);
	assert_int_equal(dp_tables_n_ports(t), FX_N_PORTS);
	assert_int_equal(dp_tables_n_networks(t), 2);
	assert_int_equal(dp_tables_n_instances(t), 8);
	assert_int_equal(dp_tables_n_fwd(t), 8);
	assert_int_equal(dp_tables_n_classes(t), 4);
	/* Ports in instance-id order. */
	assert_string_equal(dp_tables_port_instance(t, FX_PORT_DB2), "acme/blue/db2");
	assert_string_equal(dp_tables_port_instance(t, FX_PORT_WEB1), "acme/blue/web1");
	assert_string_equal(dp_tables_port_instance(t, FX_PORT_WEB2), "acme/blue/web2");
	assert_string_equal(dp_tables_port_instance(t, FX_PORT_APP1), "globex/red/app1");
	assert_string_equal(dp_tables_port_name(t, FX_PORT_WEB1), "onm0000000000a1");
	assert_memory_equal(dp_tables_port_mac(t, FX_PORT_WEB1)->b, fx_web1_mac.b, 6);
	assert_int_equal(dp_tables_port_ip(t, FX_PORT_APP1), FX_APP1);
	assert_int_equal(dp_tables_port_find(t, "onm0000000000b1"), FX_PORT_APP1);
	assert_int_equal(dp_tables_port_find(t, "eth0"), -1);
	assert_int_equal(dp_tables_port_cookie(t, 2), 0);
	dp_tables_port_set_cookie(t, 2, 77);
	assert_int_equal(dp_tables_port_cookie(t, 2), 77);
	dp_tables_destroy(t);
	dp_tables_destroy(NULL);
	dp_counters_registry_destroy(reg);
}

static void test_overlapping_vns(void **state)
{
	struct dp_counters_registry *reg = dp_counters_registry_create();
	struct dp_tables *t = build_fixture(reg);
	uint32_t blue = vn_of(t, FX_VNI_BLUE), red = vn_of(t, FX_VNI_RED), i;

	assert_int_not_equal(blue, DP_NONE);
	assert_int_not_equal(red, DP_NONE);
	assert_int_not_equal(blue, red);
	assert_int_equal(vn_of(t, 999), DP_NONE);
	assert_string_equal(t->vns[blue].id, "acme/blue");
	assert_int_equal(t->vns[blue].class_id, 1);
	assert_int_equal(t->vns[red].class_id, 3);

	/* 10.1.1.10 is web1 in blue and app1 in red. */
	i = dp_map_find(&t->ip_map, dp_key_ip(blue, FX_WEB1));
	assert_int_equal(t->instances[i].port, FX_PORT_WEB1);
	i = dp_map_find(&t->ip_map, dp_key_ip(red, FX_APP1));
	assert_int_equal(t->instances[i].port, FX_PORT_APP1);
	/* MACs are per VN too: web1's MAC is unknown in red. */
	assert_int_equal(dp_map_find(&t->mac_map, dp_key_mac(red, &fx_web1_mac)), DP_NONE);
	i = dp_map_find(&t->mac_map, dp_key_mac(blue, &fx_db1_mac));
	assert_int_equal(t->instances[i].host_id, 3);
	assert_int_equal(t->instances[i].port, DP_NONE);
	/* Router interfaces in the maps. */
	i = dp_map_find(&t->ip_map, dp_key_ip(blue, FX_R1_DB));
	assert_true(i & DP_MAP_RIF);
	assert_memory_equal(t->rifs[i & ~DP_MAP_RIF].mac.b, fx_r1_db_mac.b, 6);
	assert_int_equal(dp_map_find(&t->ip_map, dp_key_ip(red, FX_R1_WEB)), DP_NONE);

	/* The router: connected subnets and the static route. */
	const struct dp_router *r = &t->routers[0];
	const struct dp_route *rt;

	assert_int_equal(t->n_routers, 1);
	rt = &r->routes[lpm_lookup(r->lpm, FX_IP(10, 1, 2, 77))];
	assert_int_equal(rt->via, 0);
	assert_int_equal(t->rifs[rt->router_if].ip, FX_R1_DB);
	rt = &r->routes[lpm_lookup(r->lpm, FX_IP(10, 9, 200, 1))];
	assert_int_equal(rt->via, FX_NFV);
	assert_int_equal(t->rifs[rt->router_if].ip, FX_R1_DB);
	assert_int_equal(lpm_lookup(r->lpm, FX_IP(10, 2, 0, 1)), LPM_NONE);

	/* Precomputed routes: db1 through Gi0/1, router addresses local,
	 * nothing for red's addresses that blue does not have. */
	i = dp_map_find(&t->host_map, dp_key_ip(0, FX_DB1));
	assert_int_not_equal(i, DP_NONE);
	assert_int_equal(t->instances[t->host_routes[i].instance].ip, FX_DB1);
	assert_int_equal(t->rifs[t->host_routes[i].out_rif].ip, FX_R1_DB);
	i = dp_map_find(&t->host_map, dp_key_ip(0, FX_R1_DB));
	assert_true(i & DP_MAP_RIF);
	assert_int_equal(dp_map_find(&t->host_map, dp_key_ip(0, FX_APP2)), DP_NONE);
	/* Remote instances know their forwarding entry; local ones have none. */
	i = dp_map_find(&t->ip_map, dp_key_ip(blue, FX_DB1));
	assert_int_equal(t->fwds[t->instances[i].fwd].next_hops.addr[0], FX_H2);
	i = dp_map_find(&t->ip_map, dp_key_ip(blue, FX_WEB1));
	assert_int_equal(t->instances[i].fwd, DP_NONE);

	/* Forwarding entries; the one to the kernel VTEP is plain VXLAN. */
	i = dp_map_find(&t->fwd_map, dp_key_fwd(1, 3));
	assert_int_equal(t->fwds[i].next_hops.n, 1);
	assert_int_equal(t->fwds[i].next_hops.addr[0], FX_H2);
	assert_int_equal(t->fwds[i].next_hops.kernel_vtep, 0);
	assert_false(t->fwds[i].has_pre_waypoint);
	i = dp_map_find(&t->fwd_map, dp_key_fwd(3, 3));
	assert_int_equal(t->fwds[i].next_hops.addr[0], FX_H4);
	i = dp_map_find(&t->fwd_map, dp_key_fwd(1, 6));
	assert_int_equal(t->fwds[i].next_hops.kernel_vtep, 1);
	assert_int_equal(dp_map_find(&t->fwd_map, dp_key_fwd(3, 2)), DP_NONE);
	dp_tables_destroy(t);
	dp_counters_registry_destroy(reg);
}

/* The fixture's view with self's capabilities set to 'caps' (JSON). */
static struct dp_tables *build_with_caps(struct dp_counters_registry *reg, const char *caps)
{
	json_t *view = dp_fixture_view();
	struct dp_tables *t;
	char *err;

	json_object_set_new(json_object_get(view, "self"), "capabilities",
			    json_loads(caps, 0, NULL));
	err = dp_tables_build(view, reg, &t);
	if (err)
		fail_msg("%s", err);
	json_decref(view);
	return t;
}

static void test_classes_and_fwd(void **state)
{
	struct dp_counters_registry *reg = dp_counters_registry_create();
	struct dp_tables *t = build_fixture(reg);
	static const struct {
		const char *name;
		uint8_t id, dscp;
		bool waypoint;
	} classes[] = {
	    {"gold", FX_CLASS_GOLD, FX_DSCP_GOLD, false},
	    {"platinum", FX_CLASS_PLATINUM, FX_DSCP_PLATINUM, false},
	    {"quarantine", FX_CLASS_QUARANTINE, FX_DSCP_QUARANTINE, true},
	    {"silver", FX_CLASS_SILVER, FX_DSCP_SILVER, false},
	};
	const struct dp_fwd *f;
	uint32_t i;

	/* Each class by id, and the DSCP map back to it; other DSCPs are no
	 * class, other ids unused. */
	for (i = 0; i < ARRAY_SIZE(classes); i++) {
		const struct dp_class *c = &t->classes[classes[i].id];

		assert_string_equal(c->name, classes[i].name);
		assert_int_equal(c->dscp, classes[i].dscp);
		assert_int_equal(c->waypoint, classes[i].waypoint);
		assert_false(c->self_waypoint); /* h1 has no capabilities */
		assert_int_equal(t->dscp_class[classes[i].dscp], classes[i].id);
	}
	for (i = 0; i < DP_MAX_DSCP; i++)
		if (i != 34 && i != 46 && i != 8 && i != 10)
			assert_int_equal(t->dscp_class[i], DP_CLASS_NONE);
	assert_null(t->classes[4].name);
	assert_null(t->classes[255].name);

	/* Equal-cost next hops in their order. */
	f = &t->fwds[dp_map_find(&t->fwd_map, dp_key_fwd(FX_CLASS_GOLD, 3))];
	assert_int_equal(f->next_hops.n, 2);
	assert_int_equal(f->next_hops.addr[0], FX_H2);
	assert_int_equal(f->next_hops.addr[1], FX_H4);
	assert_false(f->has_pre_waypoint);
	/* Quarantine: the way to a waypoint, and after it; an empty
	 * pre_waypoint list is there all the same (no way: drop). */
	f = &t->fwds[dp_map_find(&t->fwd_map, dp_key_fwd(FX_CLASS_QUARANTINE, 3))];
	assert_true(f->has_pre_waypoint);
	assert_int_equal(f->pre_waypoint.n, 1);
	assert_int_equal(f->pre_waypoint.addr[0], FX_SCAN1);
	assert_int_equal(f->pre_waypoint.kernel_vtep, 0);
	assert_int_equal(f->next_hops.addr[0], FX_H2);
	f = &t->fwds[dp_map_find(&t->fwd_map, dp_key_fwd(FX_CLASS_QUARANTINE, 6))];
	assert_int_equal(f->next_hops.kernel_vtep, 1);
	assert_int_equal(f->pre_waypoint.kernel_vtep, 0);
	f = &t->fwds[dp_map_find(&t->fwd_map, dp_key_fwd(FX_CLASS_QUARANTINE, 2))];
	assert_true(f->has_pre_waypoint);
	assert_int_equal(f->pre_waypoint.n, 0);
	dp_tables_destroy(t);

	/* With the capability, h1 is a waypoint of quarantine (and only of it). */
	t = build_with_caps(reg, "[\"compute\", \"inspection\"]");
	assert_true(t->classes[FX_CLASS_QUARANTINE].self_waypoint);
	assert_false(t->classes[FX_CLASS_GOLD].self_waypoint);
	dp_tables_destroy(t);
	t = build_with_caps(reg, "[\"gateway\"]");
	assert_false(t->classes[FX_CLASS_QUARANTINE].self_waypoint);
	dp_tables_destroy(t);
	/* "capabilities" may be left out: none. */
	json_t *view = dp_fixture_view();
	char *err;

	json_object_del(json_object_get(view, "self"), "capabilities");
	err = dp_tables_build(view, reg, &t);
	assert_null(err);
	assert_false(t->classes[FX_CLASS_QUARANTINE].self_waypoint);
	dp_tables_destroy(t);
	json_decref(view);
	dp_counters_registry_destroy(reg);
}

static bool has_rule(const struct dp_acl *acl, uint8_t proto, uint32_t addr, uint32_t mask,
		     uint16_t lo, uint16_t hi)
{
	for (uint32_t i = 0; i < acl->n; i++) {
		const struct dp_acl_rule *r = &acl->rules[i];

		if (r->proto == proto && r->addr == addr && r->mask == mask && r->port_min == lo &&
		    r->port_max == hi)
			return true;
	}
	return false;
}

static void test_security_groups_and_dhcp(void **state)
{
	struct dp_counters_registry *reg = dp_counters_registry_create();
	struct dp_tables *t = build_fixture(reg);
	const struct dp_port *db2 = &t->ports[FX_PORT_DB2], *web1 = &t->ports[FX_PORT_WEB1];
	const struct dp_port *web2 = &t->ports[FX_PORT_WEB2], *app1 = &t->ports[FX_PORT_APP1];

	/* db: tcp/5432 from_group web = web1 and web2, and icmp from 10.1/16. */
	assert_true(db2->has_groups);
	assert_false(db2->egress_filtered);
	assert_int_equal(db2->in.n, 3);
	assert_true(has_rule(&db2->in, IP_PROTO_TCP, FX_WEB1, 0xffffffff, 5432, 5432));
	assert_true(has_rule(&db2->in, IP_PROTO_TCP, FX_WEB2, 0xffffffff, 5432, 5432));
	assert_true(has_rule(&db2->in, IP_PROTO_ICMP, FX_IP(10, 1, 0, 0), 0xffff0000, 0, 65535));
	assert_int_equal(db2->out.n, 0);
	/* web: tcp/80 from anywhere. */
	assert_true(has_rule(&web1->in, IP_PROTO_TCP, 0, 0, 80, 80));
	assert_false(web1->egress_filtered);
	/* web2 is also in "locked": udp 5000-5999 out to 10.1.2.0/24 only. */
	assert_true(web2->egress_filtered);
	assert_int_equal(web2->out.n, 1);
	assert_true(has_rule(&web2->out, IP_PROTO_UDP, FX_IP(10, 1, 2, 0), 0xffffff00, 5000, 5999));
	/* No groups: nothing compiled, nothing filtered. */
	assert_false(app1->has_groups);
	assert_int_equal(app1->in.n + app1->out.n, 0);

	/* DHCP: the router's address as gateway and server, or the default. */
	assert_int_equal(web1->dhcp.client_ip, FX_WEB1);
	assert_int_equal(web1->dhcp.prefix_len, 24);
	assert_int_equal(web1->dhcp.router, FX_R1_WEB);
	assert_int_equal(web1->dhcp.server_ip, FX_R1_WEB);
	assert_memory_equal(web1->dhcp.server_mac.b, fx_r1_web_mac.b, 6);
	assert_int_equal(db2->dhcp.router, FX_R1_DB);
	assert_int_equal(app1->dhcp.router, 0);
	assert_int_equal(app1->dhcp.server_ip, DHCP_SERVER_ID_DEFAULT);
	assert_int_equal(app1->dhcp.lease_s, 3600);
	dp_tables_destroy(t);
	dp_counters_registry_destroy(reg);
}

/* Builds the fixture with 'key' set to the JSON 'value' (or deleted if
 * NULL) and expects an error containing 'want'. */
static void expect_error(const char *key, const char *value, const char *want)
{
	struct dp_counters_registry *reg = dp_counters_registry_create();
	json_t *view = dp_fixture_view();
	struct dp_tables *t = (void *)1;
	char *err;

	if (value) {
		json_error_t jerr;
		json_t *v = json_loads(value, JSON_DECODE_ANY, &jerr);

		if (!v)
			fail_msg("test value %s: %s", value, jerr.text);
		json_object_set_new(view, key, v);
	} else {
		json_object_del(view, key);
	}
	err = dp_tables_build(view, reg, &t);
	if (!err)
		fail_msg("no error for %s = %s", key, value ? value : "(deleted)");
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
	assert_null(t);
	free(err);
	json_decref(view);
	dp_counters_registry_destroy(reg);
}

static void test_malformed_views(void **state)
{
	struct dp_counters_registry *reg = dp_counters_registry_create();
	struct dp_tables *t;
	json_t *arr = json_array();
	char *err = dp_tables_build(arr, reg, &t);

	assert_non_null(err);
	assert_null(t);
	free(err);
	json_decref(arr);
	dp_counters_registry_destroy(reg);

	expect_error("self", NULL, "self: missing");
	expect_error("self", "{\"name\": \"h1\", \"id\": 0, \"address\": \"198.19.0.1\"}",
		     "self: id: 0 is not an integer in 1..65535");
	expect_error("self", "[1]", "self: value: [1] is not an object");
	expect_error("host/h9", "{\"name\": \"h9\", \"id\": 9, \"address\": \"1.2.3\"}",
		     "host/h9: address: \"1.2.3\" is not an IPv4 address");
	expect_error("network/acme/green",
		     "{\"tenant\": \"acme\", \"name\": \"green\", \"vni\": 1001, \"class_id\": 1,"
		     " \"subnets\": []}",
		     "same VNI 1001");
	expect_error(
	    "network/acme/green",
	    "{\"tenant\": \"acme\", \"name\": \"green\", \"vni\": 16777216, \"class_id\": 1,"
	    " \"subnets\": []}",
	    "network/acme/green: vni: 16777216 is not an integer");
	expect_error("network/acme/green",
		     "{\"tenant\": \"acme\", \"name\": \"green\", \"vni\": 5, \"class_id\": 1,"
		     " \"subnets\": [{\"name\": \"a\", \"cidr\": \"10.0.0.1/24\"}]}",
		     "cidr: \"10.0.0.1/24\" is not an IPv4 prefix");
	expect_error(
	    "instance/acme/blue/web3",
	    "{\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"web3\", \"subnet\":"
	    " \"web\", \"ip\": \"10.1.1.300\", \"mac\": \"02:00:00:00:09:09\", \"host_id\": 3}",
	    "instance/acme/blue/web3: ip: \"10.1.1.300\" is not an IPv4 address");
	expect_error(
	    "instance/acme/blue/web3",
	    "{\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"web3\", \"subnet\":"
	    " \"web\", \"ip\": \"10.1.1.30\", \"mac\": \"03:00:00:00:09:09\", \"host_id\": 3}",
	    "mac: \"03:00:00:00:09:09\" is not a unicast Ethernet address");
	expect_error(
	    "instance/acme/blue/web3",
	    "{\"tenant\": \"acme\", \"network\": \"pink\", \"name\": \"web3\", \"subnet\":"
	    " \"web\", \"ip\": \"10.1.1.30\", \"mac\": \"02:00:00:00:09:09\", \"host_id\": 3}",
	    "network acme/pink is not in the view");
	expect_error(
	    "instance/acme/blue/web3",
	    "{\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"web3\", \"subnet\":"
	    " \"app\", \"ip\": \"10.1.1.30\", \"mac\": \"02:00:00:00:09:09\", \"host_id\": 3}",
	    "subnet: \"app\" is not a subnet of acme/blue");
	expect_error(
	    "instance/acme/blue/web3",
	    "{\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"web3\", \"subnet\":"
	    " \"web\", \"ip\": \"10.1.2.30\", \"mac\": \"02:00:00:00:09:09\", \"host_id\": 3}",
	    "ip: outside subnet web");
	expect_error(
	    "instance/acme/blue/web3",
	    "{\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"web3\", \"subnet\":"
	    " \"web\", \"ip\": \"10.1.1.10\", \"mac\": \"02:00:00:00:09:09\", \"host_id\": 3}",
	    "ip: used twice in acme/blue");
	expect_error(
	    "instance/acme/blue/web3",
	    "{\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"web3\", \"subnet\":"
	    " \"web\", \"ip\": \"10.1.1.30\", \"mac\": \"02:00:00:00:09:09\", \"host_id\": 1}",
	    "instance/acme/blue/web3: port: missing");
	expect_error(
	    "instance/acme/blue/web3",
	    "{\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"web3\", \"subnet\":"
	    " \"web\", \"ip\": \"10.1.1.30\", \"mac\": \"02:00:00:00:09:09\", \"host_id\": 1,"
	    " \"port\": \"onm0000000000a1\"}",
	    "is also the port of acme/blue/web1");
	expect_error(
	    "instance/acme/blue/web3",
	    "{\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"web3\", \"subnet\":"
	    " \"web\", \"ip\": \"10.1.1.30\", \"mac\": \"02:00:00:00:09:09\", \"host_id\": 1,"
	    " \"port\": \"onm0000000000a9\", \"security_groups\": [\"nope\"]}",
	    "instance/acme/blue/web3: security_groups: no group \"nope\" in acme/blue");
	expect_error(
	    "router/acme/blue/r1",
	    "{\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"r1\", \"interfaces\":"
	    " [{\"name\": \"g0\", \"subnet\": \"web\", \"ip\": \"10.1.1.1\", \"mac\":"
	    " \"02:aa:00:00:00:01\", \"cidr\": \"10.1.1.0/24\"}], \"routes\":"
	    " [{\"prefix\": \"10.9.0.0/16\", \"via\": \"10.1.2.20\"}]}",
	    "router/acme/blue/r1: routes: via 10.1.2.20 is not on a subnet of the router");
	expect_error(
	    "router/acme/blue/r1",
	    "{\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"r1\", \"interfaces\":"
	    " [{\"name\": \"g0\", \"subnet\": \"web\", \"ip\": \"10.1.1.1\"}]}",
	    "router/acme/blue/r1: mac: missing");
	expect_error("self",
		     "{\"name\": \"h1\", \"id\": 1, \"address\": \"198.19.0.1\","
		     " \"capabilities\": \"inspection\"}",
		     "self: capabilities: \"inspection\" is not an array");
	expect_error("self",
		     "{\"name\": \"h1\", \"id\": 1, \"address\": \"198.19.0.1\","
		     " \"capabilities\": [\"inspection\", 7]}",
		     "self: capabilities: 7 is not a non-empty string");

	/* Classes. */
	expect_error("class/bronze", "{\"name\": \"bronze\", \"id\": 4}",
		     "class/bronze: dscp: missing");
	expect_error("class/bronze", "{\"name\": \"bronze\", \"id\": 4, \"dscp\": 64}",
		     "class/bronze: dscp: 64 is not an integer in 0..63");
	expect_error("class/bronze", "{\"name\": \"bronze\", \"id\": 256, \"dscp\": 0}",
		     "class/bronze: id: 256 is not an integer in 0..255");
	/* The entry read later (in key order) is the one refused. */
	expect_error("class/zinc", "{\"name\": \"zinc\", \"id\": 4, \"dscp\": 46}",
		     "class/zinc: dscp: 46 is also the DSCP of class platinum");
	expect_error("class/zinc", "{\"name\": \"zinc\", \"id\": 3, \"dscp\": 0}",
		     "class/zinc: id: 3 is also the id of class silver");
	expect_error("class/bronze", "{\"name\": \"bronze\", \"id\": 4, \"dscp\": 46}",
		     "class/platinum: dscp: 46 is also the DSCP of class bronze");
	expect_error("class/bronze",
		     "{\"name\": \"bronze\", \"id\": 4, \"dscp\": 0, \"via_capability\": true}",
		     "class/bronze: via_capability: true is not a non-empty string");
	expect_error("class/gold", NULL, "class_id: 0 is not the id of a class of the view");
	expect_error("network/acme/green",
		     "{\"tenant\": \"acme\", \"name\": \"green\", \"vni\": 7, \"class_id\": 9,"
		     " \"subnets\": []}",
		     "network/acme/green: class_id: 9 is not the id of a class of the view");

	/* Forwarding entries. */
	expect_error("fwd/gold/h3", "{\"class_id\": 256, \"dst_id\": 3, \"next_hops\": []}",
		     "fwd/gold/h3: class_id: 256 is not an integer in 0..255");
	expect_error("fwd/bronze/h3", "{\"class_id\": 7, \"dst_id\": 3, \"next_hops\": []}",
		     "fwd/bronze/h3: class_id: 7 is not the id of a class of the view");
	expect_error("fwd/platinum2/h3", "{\"class_id\": 1, \"dst_id\": 3, \"next_hops\": []}",
		     "a second entry for class 1, destination 3");
	/* The old form, with one next hop, is refused. */
	expect_error("fwd/gold/h3",
		     "{\"class_id\": 0, \"dst_id\": 3, \"next_hop\": \"h2\","
		     " \"next_hop_address\": \"198.19.0.2\"}",
		     "fwd/gold/h3: next_hops: missing");
	expect_error("fwd/gold/h3",
		     "{\"class_id\": 0, \"dst_id\": 3, \"next_hops\": {\"name\": \"h2\"}}",
		     "fwd/gold/h3: next_hops: {\"name\":\"h2\"} is not an array");
	expect_error("fwd/gold/h3", "{\"class_id\": 0, \"dst_id\": 3, \"next_hops\": [\"h2\"]}",
		     "fwd/gold/h3: next_hops: \"h2\" is not an object {name, address}");
	expect_error("fwd/gold/h3",
		     "{\"class_id\": 0, \"dst_id\": 3, \"next_hops\": [{\"name\": \"h2\","
		     " \"address\": \"198.19.0.2\"}, {\"name\": \"h4\", \"address\": \"h4\"}]}",
		     "fwd/gold/h3: next_hops[1]: address: \"h4\" is not an IPv4 address");
	expect_error("fwd/gold/h3",
		     "{\"class_id\": 0, \"dst_id\": 3, \"next_hops\": [{\"address\":"
		     " \"198.19.0.2\"}]}",
		     "fwd/gold/h3: next_hops[0]: name: missing");
	expect_error("fwd/quarantine/h3",
		     "{\"class_id\": 2, \"dst_id\": 3, \"next_hops\": [], \"pre_waypoint\": 5}",
		     "fwd/quarantine/h3: pre_waypoint: 5 is not an array");
	expect_error("fwd/quarantine/h3",
		     "{\"class_id\": 2, \"dst_id\": 3, \"next_hops\": [],"
		     " \"pre_waypoint\": [{\"name\": \"scan1\", \"address\": \"1.2.3.256\"}]}",
		     "fwd/quarantine/h3: pre_waypoint[0]: address: \"1.2.3.256\" is not an IPv4");
	{
		/* Nine next hops: one more than an entry may have. */
		json_t *hops = json_array();
		char *value;

		for (int k = 0; k < 9; k++)
			json_array_append_new(
			    hops, json_pack("{s:s, s:s}", "name", "h2", "address", "198.19.0.2"));
		json_t *e =
		    json_pack("{s:i, s:i, s:O}", "class_id", 0, "dst_id", 3, "next_hops", hops);
		value = json_dumps(e, JSON_COMPACT);
		expect_error("fwd/gold/h3", value,
			     "fwd/gold/h3: next_hops: 9 next hops, at most 8");
		json_object_set_new(e, "next_hops", json_array());
		json_object_set(e, "pre_waypoint", hops);
		free(value);
		value = json_dumps(e, JSON_COMPACT);
		expect_error("fwd/gold/h3", value,
			     "fwd/gold/h3: pre_waypoint: 9 next hops, at most 8");
		free(value);
		json_decref(e);
		json_decref(hops);
	}

	/* Bad security-group rules of blue. */
	static const char *const bad_rules[][2] = {
	    {"{\"dir\": \"sideways\"}", "dir: \"sideways\" is not in or out"},
	    {"{\"dir\": \"in\", \"proto\": \"gre\"}", "proto: \"gre\" is not tcp, udp"},
	    {"{\"dir\": \"in\", \"proto\": \"tcp\", \"ports\": \"90-80\"}",
	     "ports: \"90-80\" is not a port or port range"},
	    {"{\"dir\": \"in\", \"proto\": \"tcp\", \"ports\": 0}",
	     "ports: 0 is not a port or port range"},
	    {"{\"dir\": \"in\", \"from_group\": \"ghosts\"}", "from_group: no group \"ghosts\""},
	    {"{\"dir\": \"in\", \"from\": \"10.1.0.0/8\"}", "from: \"10.1.0.0/8\" is not an IPv4"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad_rules); i++) {
		json_t *view = dp_fixture_view(), *rule;
		json_t *groups =
		    json_object_get(json_object_get(view, "network/acme/blue"), "security_groups");
		json_error_t jerr;

		reg = dp_counters_registry_create();
		rule = json_loads(bad_rules[i][0], 0, &jerr);
		assert_non_null(rule);
		json_array_append_new(json_object_get(json_array_get(groups, 0), "rules"), rule);
		err = dp_tables_build(view, reg, &t);
		if (!err || !strstr(err, bad_rules[i][1]))
			fail_msg("rule %s: error \"%s\", wanted \"%s\"", bad_rules[i][0],
				 err ? err : "(none)", bad_rules[i][1]);
		free(err);
		json_decref(view);
		dp_counters_registry_destroy(reg);
	}
}

static void test_unknown_entries_and_counters(void **state)
{
	struct dp_counters_registry *reg = dp_counters_registry_create();
	json_t *view = dp_fixture_view();
	struct dp_tables *t1, *t2;
	char *err;

	/* Kinds from the future are ignored, and so are links (the agent's
	 * link prober reads those, not the tables). */
	json_object_set_new(view, "weave/x", json_pack("{s:i}", "a", 1));
	json_object_set_new(view, "link/h1/h2",
			    json_pack("{s:s, s:s, s:s, s:i, s:s, s:b, s:b, s:i, s:i}", "a", "h1",
				      "b", "h2", "peer", "h2", "peer_id", 2, "peer_address",
				      "198.19.0.2", "admin_up", 1, "probe", 1, "probe_interval_ms",
				      100, "detect_multiplier", 3));
	json_object_set_new(view, "link/broken", json_string("not even an object"));
	err = dp_tables_build(view, reg, &t1);
	assert_null(err);
	/* A rebuild uses the same counters. */
	err = dp_tables_build(view, reg, &t2);
	assert_null(err);
	assert_ptr_equal(t1->ports[FX_PORT_WEB1].ctr, t2->ports[FX_PORT_WEB1].ctr);
	assert_ptr_equal(t1->vns[0].ctr, t2->vns[0].ctr);
	assert_ptr_equal(t1->rifs[1].ctr, t2->rifs[1].ctr);
	assert_ptr_not_equal(t1->ports[FX_PORT_WEB1].ctr, t1->ports[FX_PORT_WEB2].ctr);
	for (uint32_t k = 0; k < 4; k++) {
		assert_non_null(t1->classes[k].ctr);
		assert_ptr_equal(t1->classes[k].ctr, t2->classes[k].ctr);
		if (k)
			assert_ptr_not_equal(t1->classes[k].ctr, t1->classes[k - 1].ctr);
	}
	assert_null(t1->classes[4].ctr);
	dp_counters_tx(t2->classes[FX_CLASS_QUARANTINE].ctr, 1, 70);
	dp_counters_tx(t1->classes[FX_CLASS_QUARANTINE].ctr, 0, 30);
	dp_counters_drop(t1->classes[FX_CLASS_QUARANTINE].ctr, 0);
	dp_counters_rx(t1->ports[FX_PORT_WEB1].ctr, 0, 100);
	dp_counters_rx(t2->ports[FX_PORT_WEB1].ctr, 3, 50);
	dp_counters_drop(t2->vns[vn_of(t2, FX_VNI_RED)].ctr, 1);
	dp_counter_add(&dp_counters_registry_drops(reg, 2)[DP_DROP_QUEUE_FULL], 4);
	dp_tables_destroy(t1);
	dp_tables_destroy(t2);

	/* The report shape of docs/dataplane.md, with every entry seen. */
	json_t *c = dp_counters_registry_render(reg);
	json_t *w1 = json_object_get(json_object_get(c, "ports"), "acme/blue/web1");

	assert_int_equal(json_integer_value(json_object_get(w1, "rx_packets")), 2);
	assert_int_equal(json_integer_value(json_object_get(w1, "rx_bytes")), 150);
	assert_int_equal(json_integer_value(json_object_get(w1, "tx_packets")), 0);
	assert_int_equal(json_object_size(json_object_get(c, "ports")), 4);
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_object_get(json_object_get(c, "networks"), "globex/red"), "drops")),
	    1);
	assert_non_null(json_object_get(json_object_get(c, "router_interfaces"),
					"acme/blue/r1/GigabitEthernet0/1"));
	/* Every class of the view under "transit", in one direction. */
	json_t *tr = json_object_get(c, "transit"), *q = json_object_get(tr, "quarantine");

	assert_int_equal(json_object_size(tr), 4);
	assert_int_equal(json_object_size(q), 3);
	assert_int_equal(json_integer_value(json_object_get(q, "packets")), 2);
	assert_int_equal(json_integer_value(json_object_get(q, "bytes")), 100);
	assert_int_equal(json_integer_value(json_object_get(q, "drops")), 1);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(tr, "silver"), "packets")), 0);
	assert_int_equal(json_object_size(json_object_get(c, "drops")), DP_DROP_N_REASONS);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(c, "drops"), "queue_full")), 4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "drops"), "acl")),
			 0);
	json_decref(c);
	json_decref(view);
	dp_counters_registry_destroy(reg);
}

/* A class keeps its transit counters by name when the controller numbers
 * the classes anew (a class added before it in name order, say). */
static void test_transit_counters_follow_class_name(void **state)
{
	struct dp_counters_registry *reg = dp_counters_registry_create();
	json_t *view = dp_fixture_view();
	static const char *const platinum_keys[] = {"class/platinum", "fwd/platinum/h2",
						    "fwd/platinum/h3", "fwd/platinum/ext1",
						    "network/acme/blue"};
	struct dp_tables *t1, *t2;
	char *err;

	(void)state;
	err = dp_tables_build(view, reg, &t1);
	assert_null(err);
	/* platinum becomes id 7, and id 1 goes to a new class. */
	for (size_t i = 0; i < ARRAY_SIZE(platinum_keys); i++) {
		json_t *o = json_object_get(view, platinum_keys[i]);

		json_object_set_new(o, i ? "class_id" : "id", json_integer(7));
	}
	json_object_set_new(view, "class/bronze",
			    json_pack("{s:s, s:i, s:i}", "name", "bronze", "id", 1, "dscp", 12));
	err = dp_tables_build(view, reg, &t2);
	if (err)
		fail_msg("%s", err);
	assert_string_equal(t2->classes[7].name, "platinum");
	assert_ptr_equal(t2->classes[7].ctr, t1->classes[FX_CLASS_PLATINUM].ctr);
	assert_string_equal(t2->classes[1].name, "bronze");
	assert_ptr_not_equal(t2->classes[1].ctr, t1->classes[FX_CLASS_PLATINUM].ctr);
	assert_ptr_equal(t2->classes[FX_CLASS_SILVER].ctr, t1->classes[FX_CLASS_SILVER].ctr);
	dp_tables_destroy(t1);
	dp_tables_destroy(t2);
	json_decref(view);
	dp_counters_registry_destroy(reg);
}

/* ---- router interfaces: shutdown, shaping, access lists, redirects ---- */

/* r1 of the fixture with 'gi0' and 'gi1' (JSON members, or "") added to its
 * two interfaces and 'extra' (members, or "") to the router. Caller frees. */
static char *r1_json(const char *gi0, const char *gi1, const char *extra)
{
	return xasprintf(
	    "{\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"r1\", \"interfaces\": ["
	    "{\"name\": \"GigabitEthernet0/0\", \"subnet\": \"web\", \"ip\": \"10.1.1.1\","
	    " \"mac\": \"02:aa:00:00:00:01\", \"cidr\": \"10.1.1.0/24\"%s%s},"
	    "{\"name\": \"GigabitEthernet0/1\", \"subnet\": \"db\", \"ip\": \"10.1.2.1\","
	    " \"mac\": \"02:aa:00:00:00:02\", \"cidr\": \"10.1.2.0/24\"%s%s}],"
	    " \"routes\": [{\"prefix\": \"10.9.0.0/16\", \"via\": \"10.1.2.20\"}]%s%s}",
	    *gi0 ? ", " : "", gi0, *gi1 ? ", " : "", gi1, *extra ? ", " : "", extra);
}

/* The fixture with r1 as r1_json() makes it, built with 'reg'. */
static struct dp_tables *build_r1(struct dp_counters_registry *reg, const char *gi0,
				  const char *gi1, const char *extra)
{
	json_t *view = dp_fixture_view(), *r;
	char *s = r1_json(gi0, gi1, extra), *err;
	struct dp_tables *t;
	json_error_t jerr;

	r = json_loads(s, 0, &jerr);
	if (!r)
		fail_msg("%s: %s", s, jerr.text);
	json_object_set_new(view, "router/acme/blue/r1", r);
	err = dp_tables_build(view, reg, &t);
	if (err)
		fail_msg("%s", err);
	free(s);
	json_decref(view);
	return t;
}

static void expect_r1_error(const char *gi0, const char *gi1, const char *extra, const char *want)
{
	char *s = r1_json(gi0, gi1, extra);

	expect_error("router/acme/blue/r1", s, want);
	free(s);
}

static const char r1_acls[] =
    "\"acls\": {\"WEB-IN\": ["
    "  {\"action\": \"deny\", \"proto\": \"tcp\", \"src\": \"10.1.1.11\", \"dst\": \"any\","
    "   \"port\": 5432},"
    "  {\"action\": \"permit\", \"proto\": \"tcp\", \"src\": \"0.0.0.0/0\","
    "   \"dst\": \"10.1.2.0/24\", \"port\": 5432},"
    "  {\"action\": \"permit\", \"proto\": \"icmp\", \"src\": \"10.1.1.0/24\", \"dst\": \"any\"}],"
    " \"DB-OUT\": [{\"action\": \"permit\", \"proto\": \"ip\", \"src\": \"any\","
    "  \"dst\": \"any\"}],"
    " \"EMPTY\": []}";

/* The new router settings as the tables hold them: each interface's
 * features, the routes of a shut interface in the "down" LPM only (and out
 * of the precomputed host routes), compiled access lists, shaper rate and
 * burst, the redirect map and the VN's flag. */
static void test_router_features(void **state)
{
	struct dp_counters_registry *reg = dp_counters_registry_create();
	char extra[1024];
	struct dp_tables *t;
	const struct dp_racl *acl;
	uint32_t blue, red;

	(void)state;
	snprintf(extra, sizeof extra,
		 "%s, \"redirects\": [{\"from\": \"10.1.2.99\", \"to\": \"10.1.2.11\"},"
		 " {\"from\": \"10.8.0.1\", \"to\": \"10.1.1.10\"}]",
		 r1_acls);
	t = build_r1(reg, "\"acl_in\": \"WEB-IN\", \"acl_out\": \"EMPTY\", \"description\": \"x\"",
		     "\"shutdown\": true, \"shape_bps\": 10000000, \"acl_out\": \"DB-OUT\"", extra);
	blue = vn_of(t, FX_VNI_BLUE);
	red = vn_of(t, FX_VNI_RED);
	assert_int_equal(t->rifs[0].features, DP_RIF_ACL_IN | DP_RIF_ACL_OUT | DP_RIF_REDIRECTS);
	assert_int_equal(t->rifs[1].features,
			 DP_RIF_DOWN | DP_RIF_SHAPED | DP_RIF_ACL_OUT | DP_RIF_REDIRECTS);
	assert_true(t->vns[blue].has_redirects);
	assert_false(t->vns[red].has_redirects);

	/* Access lists in the order of the object; rules as given. */
	assert_int_equal(t->n_racls, 3);
	acl = &t->racls[t->rifs[0].acl_in];
	assert_int_equal(acl->n, 3);
	assert_false(acl->rules[0].permit);
	assert_int_equal(acl->rules[0].proto, IP_PROTO_TCP);
	assert_int_equal(acl->rules[0].src, FX_WEB2);
	assert_int_equal(acl->rules[0].src_mask, 0xffffffffu);
	assert_int_equal(acl->rules[0].dst_mask, 0);
	assert_int_equal(acl->rules[0].port, 5432);
	assert_true(acl->rules[1].permit);
	assert_int_equal(acl->rules[1].src_mask, 0);
	assert_int_equal(acl->rules[1].dst, FX_IP(10, 1, 2, 0));
	assert_int_equal(acl->rules[1].dst_mask, 0xffffff00u);
	assert_int_equal(acl->rules[2].proto, IP_PROTO_ICMP);
	assert_int_equal(acl->rules[2].port, 0);
	assert_int_equal(t->racls[t->rifs[0].acl_out].n, 0);
	acl = &t->racls[t->rifs[1].acl_out];
	assert_int_equal(acl->n, 1);
	assert_int_equal(acl->rules[0].proto, 0);
	assert_true(acl->rules[0].permit);

	/* Shaping: 10 Mbit/s, a 20 ms burst. */
	assert_int_equal(t->rifs[1].shape_bps, 10000000);
	assert_int_equal(t->rifs[1].shape_burst_tick, 20000 * DP_SHAPER_TICKS_PER_US);
	assert_non_null(t->rifs[1].shaper);
	assert_null(t->rifs[0].shaper);

	/* Gi0/1 is down: 10.1.2.0/24 and the static route via 10.1.2.20 are
	 * in the down LPM only, and db1 has no precomputed route. */
	const struct dp_router *r = &t->routers[0];

	assert_int_equal(lpm_lookup(r->lpm, FX_DB1), LPM_NONE);
	assert_int_equal(lpm_lookup(r->lpm, FX_IP(10, 9, 0, 1)), LPM_NONE);
	assert_int_equal(lpm_lookup(r->lpm, FX_WEB1), 0);
	assert_non_null(r->lpm_down);
	assert_int_equal(r->routes[lpm_lookup(r->lpm_down, FX_DB1)].router_if, 1);
	assert_int_equal(r->routes[lpm_lookup(r->lpm_down, FX_IP(10, 9, 0, 1))].via, FX_NFV);
	assert_int_equal(dp_map_find(&t->host_map, dp_key_ip(0, FX_DB1)), DP_NONE);
	assert_int_not_equal(dp_map_find(&t->host_map, dp_key_ip(0, FX_WEB1)), DP_NONE);
	/* Its address is still the router's (answered as "down"). */
	assert_int_equal(dp_map_find(&t->host_map, dp_key_ip(0, FX_R1_DB)), DP_MAP_RIF | 1);

	/* Redirects, per router. */
	assert_int_equal(dp_map_find(&t->redirect_map, dp_key_ip(0, FX_IP(10, 1, 2, 99))), FX_DB2);
	assert_int_equal(dp_map_find(&t->redirect_map, dp_key_ip(0, FX_IP(10, 8, 0, 1))), FX_WEB1);
	assert_int_equal(dp_map_find(&t->redirect_map, dp_key_ip(0, FX_DB2)), DP_NONE);
	dp_tables_destroy(t);

	/* The fixture's router has none of it. */
	t = build_fixture(reg);
	assert_int_equal(t->rifs[0].features | t->rifs[1].features, 0);
	assert_null(t->routers[0].lpm_down);
	assert_int_equal(t->n_racls, 0);
	assert_false(t->vns[blue].has_redirects);
	dp_tables_destroy(t);
	dp_counters_registry_destroy(reg);
}

/* A shaper's bucket is kept by interface name across rebuilds while the
 * rate stays, and starts full again when it changes. Slow rates get a
 * burst of two full frames. */
static void test_shaper_survives_rebuild(void **state)
{
	struct dp_counters_registry *reg = dp_counters_registry_create();
	struct dp_tables *t1, *t2, *t3;

	(void)state;
	t1 = build_r1(reg, "", "\"shape_bps\": 10000000", "");
	__atomic_store_n(&t1->rifs[1].shaper->tat, 12345, __ATOMIC_RELAXED);
	t2 = build_r1(reg, "\"shape_bps\": 1000000", "\"shape_bps\": 10000000", "");
	assert_ptr_equal(t2->rifs[1].shaper, t1->rifs[1].shaper);
	assert_int_equal(t2->rifs[1].shaper->tat, 12345);
	assert_ptr_not_equal(t2->rifs[0].shaper, t2->rifs[1].shaper);
	/* 1 Mbit/s: 20 ms would be 2500 bytes, less than two frames. */
	assert_int_equal(t2->rifs[0].shape_burst_tick,
			 2 * 1514 * 8 * DP_SHAPER_TICKS_PER_US); /* µs at 1 bit/µs */
	t3 = build_r1(reg, "", "\"shape_bps\": 20000000", "");
	assert_ptr_equal(t3->rifs[1].shaper, t1->rifs[1].shaper);
	assert_int_equal(t3->rifs[1].shaper->tat, 0);
	assert_int_equal(t3->rifs[1].shaper->rate_bps, 20000000);
	dp_tables_destroy(t1);
	dp_tables_destroy(t2);
	dp_tables_destroy(t3);
	dp_counters_registry_destroy(reg);
}

static void test_router_features_malformed(void **state)
{
	(void)state;
	expect_r1_error("\"shutdown\": \"yes\"", "", "",
			"router/acme/blue/r1: shutdown: \"yes\" is not a boolean");
	expect_r1_error("\"shape_bps\": 0", "", "",
			"router/acme/blue/r1: shape_bps: 0 is not an integer in 1..");
	expect_r1_error("\"shape_bps\": \"10mbit\"", "", "", "shape_bps: \"10mbit\" is not an");
	expect_r1_error("\"acl_in\": \"NOPE\"", "", r1_acls,
			"router/acme/blue/r1: interfaces: GigabitEthernet0/0: acl_in: no access "
			"list \"NOPE\" in the router");
	expect_r1_error("", "\"acl_out\": \"WEB-IN\"", "",
			"GigabitEthernet0/1: acl_out: no access list \"WEB-IN\"");
	expect_r1_error("", "", "\"acls\": [1]", "router/acme/blue/r1: acls: [1] is not an object");
	expect_r1_error("", "", "\"acls\": {\"A\": 1}", "acls: A: not an array of rules");
	expect_r1_error("", "", "\"acls\": {\"A\": [{\"action\": \"allow\", \"src\": \"any\","
			" \"dst\": \"any\"}]}",
			"router/acme/blue/r1: acls: A[0]: action: \"allow\" is not permit or deny");
	expect_r1_error("", "", "\"acls\": {\"A\": [{\"action\": \"deny\", \"proto\": \"gre\","
			" \"src\": \"any\", \"dst\": \"any\"}]}",
			"acls: A[0]: proto: \"gre\" is not ip, tcp, udp or icmp");
	expect_r1_error("", "", "\"acls\": {\"A\": [{\"action\": \"deny\", \"proto\": \"icmp\","
			" \"src\": \"any\", \"dst\": \"any\", \"port\": 7}]}",
			"acls: A[0]: port: only for tcp or udp, not icmp");
	expect_r1_error("", "", "\"acls\": {\"A\": [{\"action\": \"deny\", \"proto\": \"tcp\","
			" \"src\": \"any\", \"dst\": \"any\", \"port\": 0}]}",
			"acls: A[0]: port: 0 is not an integer in 1..65535");
	expect_r1_error("", "", "\"acls\": {\"A\": [{\"action\": \"deny\", \"src\": \"10.1.1.0/33\","
			" \"dst\": \"any\"}]}",
			"acls: A[0]: src: \"10.1.1.0/33\" is not any, a prefix or an address");
	expect_r1_error("", "", "\"acls\": {\"A\": [{\"action\": \"deny\", \"src\": \"any\"}]}",
			"acls: A[0]: dst: missing");
	expect_r1_error("", "", "\"redirects\": [{\"from\": \"10.1.2.99\", \"to\": \"10.1.2.99\"}]",
			"router/acme/blue/r1: redirects[0]: from and to are both 10.1.2.99");
	expect_r1_error("", "", "\"redirects\": [{\"from\": \"10.1.2.99\", \"to\": \"10.1.2.11\"},"
			" {\"from\": \"10.1.2.99\", \"to\": \"10.1.2.10\"}]",
			"router/acme/blue/r1: redirects[1]: 10.1.2.99 is redirected twice");
	expect_r1_error("", "", "\"redirects\": [{\"from\": \"10.1.2.99\", \"to\": \"0.0.0.0\"}]",
			"redirects[0]: 10.1.2.99 to 0.0.0.0: not a unicast address");
	expect_r1_error("", "", "\"redirects\": [{\"from\": \"10.1.2.99\"}]",
			"router/acme/blue/r1: to: missing");
	expect_r1_error("", "", "\"redirects\": {\"from\": \"10.1.2.99\"}",
			"router/acme/blue/r1: redirects: {\"from\":\"10.1.2.99\"} is not an array");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accessors),
	    cmocka_unit_test(test_overlapping_vns),
	    cmocka_unit_test(test_classes_and_fwd),
	    cmocka_unit_test(test_security_groups_and_dhcp),
	    cmocka_unit_test(test_malformed_views),
	    cmocka_unit_test(test_unknown_entries_and_counters),
	    cmocka_unit_test(test_transit_counters_follow_class_name),
	    cmocka_unit_test(test_router_features),
	    cmocka_unit_test(test_shaper_survives_rebuild),
	    cmocka_unit_test(test_router_features_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
