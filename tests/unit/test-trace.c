// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the packet trace (controller/trace.c). On the example of
 * spec.md: web1 -> db1 is routed by r1 with TTL 64 -> 63 and crosses
 * h1, h2, h3 (platinum); tcp 5432 is let in by the rule "from_group web"
 * at its line of the file, tcp 22 meets db's default deny; app1 -> app2
 * (globex, silver) is switched on its subnet and crosses h1, h4, h3; an
 * address outside every route is no_route, a router address is answered
 * on the source's host, an unknown on-link address is never resolved, an
 * off-link address from a subnet without router has no gateway. On a
 * second network with two routers chained by static routes: both hops
 * with their TTLs, TTL expiry, a static route whose next hop does not
 * exist, a next-hop instance, egress rules (the rule that allows, the
 * default deny), two instances on one host. And the query parser's
 * messages name the bad parameter. Last, the trace is checked against
 * the data plane itself: every host's tables built from the views of the
 * same model, each probe sent from the source's port (ARP first, as the
 * instance would) and followed hop by hop over the underlay — verdict,
 * drop reason, receiving instance and substrate path must agree for every
 * source, a set of destinations, protocols and TTLs.
 */
/* cmocka.h needs these before it. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "../dp-fixture.h"
#include "../spec-example.h"
#include "onm/codec.h"
#include "onm/model.h"
#include "model-fixture.h"
#include "onm/naming.h"
#include "pipeline.h"
#include "routing.h"
#include "tables-private.h"
#include "trace.h"
#include "views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Two routers chained by static routes, egress rules, two instances on h1. */
static const char chain_yaml[] =
    "substrate:\n"
    "  hosts: [{name: h1}, {name: h2}]\n"
    "  links: [{a: h1, b: h2, latency: 3ms}]\n"
    "tenants:\n"
    "  - name: t1\n"
    "    service_level: gold\n"
    "    networks:\n"
    "      - name: n\n"
    "        subnets:\n"
    "          - {name: a, cidr: 10.0.1.0/24}\n"
    "          - {name: b, cidr: 10.0.2.0/24}\n"
    "          - {name: c, cidr: 10.0.3.0/24}\n"
    "        routers:\n"
    "          - name: r1\n"
    "            interfaces:\n"
    "              - {name: Gi0, subnet: a, ip: 10.0.1.1}\n"
    "              - {name: Gi1, subnet: b, ip: 10.0.2.1}\n"
    "            routes:\n"
    "              - {prefix: 10.0.3.0/24, via: 10.0.2.2}\n"
    "              - {prefix: 10.5.0.0/16, via: 10.0.2.99}\n"
    "              - {prefix: 10.6.0.0/16, via: 10.0.2.50}\n"
    "          - name: r2\n"
    "            interfaces:\n"
    "              - {name: Gi0, subnet: b, ip: 10.0.2.2}\n"
    "              - {name: Gi1, subnet: c, ip: 10.0.3.1}\n"
    "        security_groups:\n"
    "          - name: g1\n"
    "            rules:\n"
    "              - {dir: out, proto: tcp, ports: 443, to: 10.0.3.0/24}\n"
    "              - {dir: out, proto: any, to: 10.6.0.0/16}\n"
    "              - {dir: in, proto: any, from: 10.0.0.0/8}\n"
    "        instances:\n"
    "          - {name: x, subnet: a, host: h1, ip: 10.0.1.10, security_groups: [g1]}\n"
    "          - {name: v, subnet: a, host: h1, ip: 10.0.1.20}\n"
    "          - {name: y, subnet: c, host: h2, ip: 10.0.3.10}\n"
    "          - {name: z, subnet: b, host: h2, ip: 10.0.2.50}\n";

/* A quarantined tenant: its traffic passes the inspection host scan1. */
static const char waypoint_yaml[] =
    "substrate:\n"
    "  hosts: [{name: h1}, {name: h2}, {name: h3},\n"
    "          {name: scan1, capabilities: [inspection]}]\n"
    "  links:\n"
    "    - {a: h1, b: h2, latency: 1ms}\n"
    "    - {a: h2, b: h3, latency: 1ms}\n"
    "    - {a: h1, b: scan1, latency: 2ms}\n"
    "    - {a: scan1, b: h3, latency: 2ms}\n"
    "tenants:\n"
    "  - name: q\n"
    "    service_level: gold\n"
    "    quarantine: true\n"
    "    networks:\n"
    "      - name: n\n"
    "        subnets: [{name: s, cidr: 10.2.0.0/24}]\n"
    "        instances:\n"
    "          - {name: a, subnet: s, host: h1, ip: 10.2.0.10}\n"
    "          - {name: b, subnet: s, host: h3, ip: 10.2.0.20}\n"
    "          - {name: c, subnet: s, host: h3, ip: 10.2.0.30}\n"
    "          - {name: d, subnet: s, host: scan1, ip: 10.2.0.40}\n";

struct fixture {
	struct model *model;
	struct route_manager *rm;
};

static struct fixture spec, chain, waypoint;

static void fixture_init(struct fixture *f, const char *yaml)
{
	f->model = build(yaml);
	f->rm = rm_create();
	rm_sync(f->rm, f->model);
}

static void fixture_uninit(struct fixture *f)
{
	rm_destroy(f->rm);
	model_destroy(f->model);
}

/* Building the spec example hashes its users' passwords: once for all. */
static int setup(void **state)
{
	(void)state;
	fixture_init(&spec, spec_example);
	fixture_init(&chain, chain_yaml);
	fixture_init(&waypoint, waypoint_yaml);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fixture_uninit(&spec);
	fixture_uninit(&chain);
	fixture_uninit(&waypoint);
	return 0;
}

/* Traces; NULL for absent parameters. Asserts that the query parses and
 * the instance exists. */
static json_t *trace(const struct fixture *f, const char *instance, const char *dst,
		     const char *proto, const char *port, const char *ttl)
{
	struct trace_query q;
	char *error = trace_query_parse(&q, instance, dst, proto, port, ttl);
	json_t *j;

	if (error)
		fail_msg("query: %s", error);
	j = trace_packet(f->model, f->rm, &q, &error);
	if (!j)
		fail_msg("trace: %s", error);
	return j;
}

static const char *str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v)) {
		char *s = json_dumps(o, JSON_COMPACT);

		fail_msg("%s is not a string in %s", key, s);
	}
	return json_string_value(v);
}

static json_int_t num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v)) {
		char *s = json_dumps(o, JSON_COMPACT);

		fail_msg("%s is not an integer in %s", key, s);
	}
	return json_integer_value(v);
}

/* The names of the steps, joined by ' '. */
static char *step_names(const json_t *j)
{
	const json_t *steps = json_object_get(j, "steps"), *s;
	char *out = xstrdup("");
	size_t i;

	json_array_foreach(steps, i, s)
	{
		char *next = xasprintf("%s%s%s", out, i ? " " : "", str(s, "step"));

		free(out);
		out = next;
	}
	return out;
}

static void assert_steps(const json_t *j, const char *expected)
{
	char *names = step_names(j);

	if (strcmp(names, expected)) {
		char *s = json_dumps(j, JSON_INDENT(1));

		fail_msg("steps: expected \"%s\", got \"%s\" in\n%s", expected, names, s);
	}
	free(names);
}

/* The i-th step named 'name' (0 = the first). */
static const json_t *step(const json_t *j, const char *name, size_t nth)
{
	const json_t *steps = json_object_get(j, "steps"), *s;
	size_t i;

	json_array_foreach(steps, i, s)
	{
		if (!strcmp(str(s, "step"), name) && nth-- == 0)
			return s;
	}
	fail_msg("no step %s", name);
	return NULL;
}

static void assert_verdict(const json_t *j, const char *verdict, const char *reason)
{
	assert_string_equal(str(j, "verdict"), verdict);
	if (reason)
		assert_string_equal(str(j, "reason"), reason);
	else
		assert_true(json_is_null(json_object_get(j, "reason")));
	assert_true(strlen(str(j, "detail")) > 0);
}

/* Asserts the substrate: class, hosts (space-separated), each hop's
 * latency and the total. */
static void assert_substrate(const json_t *j, const char *class_name, const char *hosts,
			     const json_int_t *hop_latency_us, json_int_t latency_us)
{
	const json_t *sub = json_object_get(j, "substrate");
	const json_t *names = json_object_get(sub, "hosts"), *hops = json_object_get(sub, "hops");
	char *joined = xstrdup("");

	assert_true(json_is_object(sub));
	assert_true(json_is_null(json_object_get(j, "substrate_note")));
	assert_string_equal(str(sub, "class"), class_name);
	for (size_t i = 0; i < json_array_size(names); i++) {
		char *next = xasprintf("%s%s%s", joined, i ? " " : "",
				       json_string_value(json_array_get(names, i)));

		free(joined);
		joined = next;
	}
	assert_string_equal(joined, hosts);
	free(joined);
	assert_int_equal(json_array_size(hops), json_array_size(names) - 1);
	for (size_t i = 0; i < json_array_size(hops); i++) {
		const json_t *h = json_array_get(hops, i);

		assert_string_equal(str(h, "from"), json_string_value(json_array_get(names, i)));
		assert_string_equal(str(h, "to"), json_string_value(json_array_get(names, i + 1)));
		assert_int_equal(num(h, "latency_us"), hop_latency_us[i]);
	}
	assert_int_equal(num(sub, "latency_us"), latency_us);
}

static void assert_no_substrate(const json_t *j)
{
	assert_true(json_is_null(json_object_get(j, "substrate")));
	assert_true(strlen(str(j, "substrate_note")) > 0);
}

/* The line of 'yaml' holding 'needle' (1-based). */
static int line_of(const char *yaml, const char *needle)
{
	const char *at = strstr(yaml, needle);
	int line = 1;

	assert_non_null(at);
	for (const char *p = yaml; p < at; p++)
		line += *p == '\n';
	return line;
}

/* ---- the example of spec.md ---- */

static void test_routed_icmp(void **state)
{
	static const json_int_t hops[] = {1000, 1000};
	json_t *j = trace(&spec, "acme/blue/web1", "10.1.2.10", NULL, NULL, NULL);
	const json_t *s;
	char port[IFNAMSIZ], *detail;

	(void)state;
	assert_verdict(j, "delivered", NULL);
	assert_steps(j, "port_security router acl_egress substrate acl_ingress deliver");
	assert_string_equal(str(j, "instance"), "acme/blue/web1");
	assert_string_equal(str(j, "src"), "10.1.1.10");
	assert_string_equal(str(j, "dst"), "10.1.2.10");
	assert_string_equal(str(j, "proto"), "icmp");
	assert_true(json_is_null(json_object_get(j, "port")));

	s = step(j, "port_security", 0);
	assert_string_equal(str(s, "result"), "pass");
	port_name("acme/blue/web1", port);
	detail = xasprintf("10.1.1.10 02:");
	assert_true(str_has_prefix(str(s, "detail"), detail));
	assert_true(str_has_suffix(str(s, "detail"), port));
	free(detail);

	s = step(j, "router", 0);
	assert_string_equal(str(s, "router"), "acme/blue/r1");
	assert_string_equal(str(s, "in"), "GigabitEthernet0/0");
	assert_string_equal(str(s, "out"), "GigabitEthernet0/1");
	assert_string_equal(str(s, "route"), "10.1.2.0/24 connected");
	assert_int_equal(num(s, "ttl_in"), 64);
	assert_int_equal(num(s, "ttl_out"), 63);

	s = step(j, "acl_egress", 0);
	assert_string_equal(str(s, "result"), "allow");
	assert_string_equal(str(s, "rule"), "default: egress open");
	assert_true(json_is_null(json_object_get(s, "group")));

	s = step(j, "acl_ingress", 0);
	assert_string_equal(str(s, "result"), "allow");
	assert_string_equal(str(s, "group"), "db");
	assert_string_equal(str(s, "rule"), "in icmp from 10.1.0.0/16");
	/* The db group's icmp rule, not the web group's (the first such line). */
	assert_int_equal(num(s, "line"), line_of(strstr(spec_example, "name: db\n"),
						 "{dir: in, proto: icmp, from: 10.1.0.0/16}") +
					     line_of(spec_example, "name: db\n") - 1);

	s = step(j, "substrate", 0);
	assert_string_equal(str(s, "result"), "forward");
	assert_string_equal(str(s, "class"), "platinum");
	assert_string_equal(str(s, "from"), "h1");
	assert_string_equal(str(s, "to"), "h3");

	s = step(j, "deliver", 0);
	assert_string_equal(str(s, "instance"), "acme/blue/db1");
	assert_string_equal(str(s, "host"), "h3");
	assert_substrate(j, "platinum", "h1 h2 h3", hops, 2000);
	json_decref(j);
}

static void test_from_group(void **state)
{
	json_t *j = trace(&spec, "acme/blue/web1", "10.1.2.10", "tcp", "5432", NULL);
	const json_t *s;

	(void)state;
	assert_verdict(j, "delivered", NULL);
	assert_int_equal(num(j, "port"), 5432);
	s = step(j, "acl_ingress", 0);
	assert_string_equal(str(s, "result"), "allow");
	assert_string_equal(str(s, "group"), "db");
	assert_string_equal(str(s, "rule"), "in tcp 5432 from_group web");
	assert_int_equal(num(s, "line"), line_of(spec_example, "from_group: web"));
	json_decref(j);

	/* The other way: web1's groups let in tcp 80 and icmp only. */
	j = trace(&spec, "acme/blue/db1", "10.1.1.10", "tcp", "5432", NULL);
	assert_verdict(j, "dropped", "acl");
	s = step(j, "acl_ingress", 0);
	assert_string_equal(str(s, "result"), "deny");
	json_decref(j);
}

static void test_default_deny(void **state)
{
	json_t *j = trace(&spec, "acme/blue/web1", "10.1.2.10", "tcp", "22", NULL);
	const json_t *s;

	(void)state;
	assert_verdict(j, "dropped", "acl");
	assert_steps(j, "port_security router acl_egress substrate acl_ingress");
	s = step(j, "acl_ingress", 0);
	assert_string_equal(str(s, "result"), "deny");
	assert_true(json_is_null(json_object_get(s, "group")));
	assert_true(json_is_null(json_object_get(s, "line")));
	assert_true(str_has_prefix(str(s, "rule"), "default: deny"));
	/* The packet crossed the substrate before h3 refused it. */
	assert_true(json_is_object(json_object_get(j, "substrate")));
	json_decref(j);
}

static void test_switched_silver(void **state)
{
	static const json_int_t hops[] = {15000, 15000};
	json_t *j = trace(&spec, "globex/red/app1", "10.1.1.20", "udp", "53", NULL);
	const json_t *s;

	(void)state;
	assert_verdict(j, "delivered", NULL);
	assert_steps(j, "port_security switch acl_egress substrate acl_ingress deliver");
	s = step(j, "switch", 0);
	assert_string_equal(str(s, "subnet"), "main");
	assert_string_equal(str(s, "to"), "globex/red/app2");
	s = step(j, "acl_ingress", 0);
	assert_string_equal(str(s, "result"), "allow");
	assert_true(json_is_null(json_object_get(s, "group")));
	assert_true(str_has_prefix(str(s, "rule"), "default: no security groups"));
	assert_substrate(j, "silver", "h1 h4 h3", hops, 30000);
	json_decref(j);
}

static void test_no_route(void **state)
{
	json_t *j = trace(&spec, "acme/blue/web1", "192.168.7.7", NULL, NULL, NULL);
	const json_t *s;

	(void)state;
	assert_verdict(j, "dropped", "no_route");
	assert_steps(j, "port_security router");
	s = step(j, "router", 0);
	assert_string_equal(str(s, "result"), "drop");
	assert_string_equal(str(s, "icmp_error"), "net-unreachable");
	assert_true(json_is_null(json_object_get(s, "route")));
	assert_no_substrate(j);
	json_decref(j);

	/* In a connected subnet, but nobody there. */
	j = trace(&spec, "acme/blue/web1", "10.1.2.99", NULL, NULL, NULL);
	assert_verdict(j, "dropped", "no_route");
	s = step(j, "router", 0);
	assert_string_equal(str(s, "route"), "10.1.2.0/24 connected");
	assert_string_equal(str(s, "icmp_error"), "host-unreachable");
	json_decref(j);
}

static void test_router_answers(void **state)
{
	json_t *j;
	const json_t *s;

	(void)state;
	/* Off-link router address, through the gateway; no ACL applies. */
	j = trace(&spec, "acme/blue/web1", "10.1.2.1", NULL, NULL, NULL);
	assert_verdict(j, "delivered", NULL);
	assert_steps(j, "port_security router_answers");
	s = step(j, "router_answers", 0);
	assert_string_equal(str(s, "router"), "acme/blue/r1");
	assert_string_equal(str(s, "interface"), "GigabitEthernet0/1");
	assert_string_equal(str(s, "reply"), "echo-reply");
	assert_string_equal(str(s, "host"), "h1");
	assert_no_substrate(j);
	json_decref(j);

	/* The gateway itself, found by ARP. */
	j = trace(&spec, "acme/blue/web1", "10.1.1.1", NULL, NULL, NULL);
	assert_verdict(j, "delivered", NULL);
	assert_steps(j, "port_security switch router_answers");
	json_decref(j);

	j = trace(&spec, "acme/blue/web1", "10.1.1.1", "udp", "33434", NULL);
	assert_verdict(j, "dropped", "not_for_us");
	assert_string_equal(str(step(j, "router_answers", 0), "reply"), "port-unreachable");
	json_decref(j);

	j = trace(&spec, "acme/blue/web1", "10.1.1.1", "tcp", "22", NULL);
	assert_verdict(j, "dropped", "not_for_us");
	assert_true(json_is_null(json_object_get(step(j, "router_answers", 0), "reply")));
	json_decref(j);
}

static void test_unresolved(void **state)
{
	json_t *j;

	(void)state;
	/* On-link, nobody has it: ARP goes unanswered. */
	j = trace(&spec, "globex/red/app1", "10.1.1.99", NULL, NULL, NULL);
	assert_verdict(j, "dropped", "not_for_us");
	assert_steps(j, "port_security switch");
	assert_string_equal(str(step(j, "switch", 0), "result"), "drop");
	assert_no_substrate(j);
	json_decref(j);

	/* Broadcast and multicast stay on the host. */
	j = trace(&spec, "globex/red/app1", "10.1.1.255", NULL, NULL, NULL);
	assert_verdict(j, "dropped", "not_for_us");
	assert_steps(j, "port_security switch");
	json_decref(j);
	j = trace(&spec, "acme/blue/web1", "224.0.0.5", NULL, NULL, NULL);
	assert_verdict(j, "dropped", "not_for_us");
	assert_steps(j, "port_security switch");
	json_decref(j);

	/* Off-link from a network without routers. */
	j = trace(&spec, "globex/red/app1", "10.1.2.10", NULL, NULL, NULL);
	assert_verdict(j, "dropped", "no_gateway");
	assert_steps(j, "port_security gateway");
	json_decref(j);

	/* Its own address. */
	j = trace(&spec, "globex/red/app1", "10.1.1.10", NULL, NULL, NULL);
	assert_verdict(j, "delivered", NULL);
	assert_steps(j, "port_security local");
	json_decref(j);
}

static void test_ttl(void **state)
{
	json_t *j = trace(&spec, "acme/blue/web1", "10.1.2.10", NULL, NULL, "1");
	const json_t *s;

	(void)state;
	assert_verdict(j, "dropped", "ttl");
	assert_steps(j, "port_security router");
	s = step(j, "router", 0);
	assert_int_equal(num(s, "ttl_in"), 1);
	assert_string_equal(str(s, "icmp_error"), "time-exceeded");
	json_decref(j);

	/* Switched traffic has no TTL to spend. */
	j = trace(&spec, "globex/red/app1", "10.1.1.20", NULL, NULL, "1");
	assert_verdict(j, "delivered", NULL);
	json_decref(j);
}

static void test_unknown_instance(void **state)
{
	struct trace_query q;
	char *error = trace_query_parse(&q, "acme/blue/nobody", "10.1.2.10", NULL, NULL, NULL);

	(void)state;
	assert_null(error);
	assert_null(trace_packet(spec.model, spec.rm, &q, &error));
	assert_non_null(strstr(error, "acme/blue/nobody"));
	free(error);
}

/* ---- two routers chained by static routes ---- */

static void test_chained_routers(void **state)
{
	static const json_int_t hops[] = {3000};
	json_t *j = trace(&chain, "t1/n/x", "10.0.3.10", "tcp", "443", NULL);
	const json_t *s;

	(void)state;
	assert_verdict(j, "delivered", NULL);
	assert_steps(j, "port_security router router acl_egress substrate acl_ingress deliver");
	s = step(j, "router", 0);
	assert_string_equal(str(s, "router"), "t1/n/r1");
	assert_string_equal(str(s, "in"), "Gi0");
	assert_string_equal(str(s, "out"), "Gi1");
	assert_string_equal(str(s, "route"), "10.0.3.0/24 via 10.0.2.2");
	assert_int_equal(num(s, "ttl_in"), 64);
	assert_int_equal(num(s, "ttl_out"), 63);
	s = step(j, "router", 1);
	assert_string_equal(str(s, "router"), "t1/n/r2");
	assert_string_equal(str(s, "in"), "Gi0");
	assert_string_equal(str(s, "out"), "Gi1");
	assert_string_equal(str(s, "route"), "10.0.3.0/24 connected");
	assert_int_equal(num(s, "ttl_in"), 63);
	assert_int_equal(num(s, "ttl_out"), 62);
	s = step(j, "acl_egress", 0);
	assert_string_equal(str(s, "group"), "g1");
	assert_string_equal(str(s, "rule"), "out tcp 443 to 10.0.3.0/24");
	assert_int_equal(num(s, "line"), line_of(chain_yaml, "ports: 443"));
	assert_substrate(j, "gold", "h1 h2", hops, 3000);
	json_decref(j);

	/* TTL 2 runs out at the second router. */
	j = trace(&chain, "t1/n/x", "10.0.3.10", "tcp", "443", "2");
	assert_verdict(j, "dropped", "ttl");
	assert_steps(j, "port_security router router");
	assert_int_equal(num(step(j, "router", 1), "ttl_in"), 1);
	json_decref(j);

	/* The way back: y's gateway r2 has no route to subnet a. */
	j = trace(&chain, "t1/n/y", "10.0.1.10", NULL, NULL, NULL);
	assert_verdict(j, "dropped", "no_route");
	s = step(j, "router", 0);
	assert_string_equal(str(s, "router"), "t1/n/r2");
	assert_string_equal(str(s, "in"), "Gi1");
	json_decref(j);
}

static void test_static_next_hop(void **state)
{
	static const json_int_t hops[] = {3000};
	json_t *j;
	const json_t *s;

	(void)state;
	/* The route's next hop 10.0.2.99 does not exist: host unreachable
	 * before the TTL is spent. */
	j = trace(&chain, "t1/n/x", "10.5.1.1", NULL, NULL, NULL);
	assert_verdict(j, "dropped", "no_route");
	assert_steps(j, "port_security router");
	s = step(j, "router", 0);
	assert_string_equal(str(s, "route"), "10.5.0.0/16 via 10.0.2.99");
	assert_string_equal(str(s, "icmp_error"), "host-unreachable");
	assert_int_equal(num(s, "ttl_in"), 64);
	assert_true(json_is_null(json_object_get(s, "ttl_out")));
	json_decref(j);

	/* Next hop instance z: the packet is handed to it. */
	j = trace(&chain, "t1/n/x", "10.6.1.1", NULL, NULL, NULL);
	assert_verdict(j, "delivered", NULL);
	s = step(j, "router", 0);
	assert_string_equal(str(s, "route"), "10.6.0.0/16 via 10.0.2.50");
	assert_int_equal(num(s, "ttl_out"), 63);
	assert_string_equal(str(step(j, "acl_egress", 0), "rule"), "out any to 10.6.0.0/16");
	s = step(j, "deliver", 0);
	assert_string_equal(str(s, "instance"), "t1/n/z");
	assert_non_null(json_object_get(s, "detail"));
	assert_substrate(j, "gold", "h1 h2", hops, 3000);
	json_decref(j);
}

static void test_egress_deny(void **state)
{
	json_t *j = trace(&chain, "t1/n/x", "10.0.3.10", NULL, NULL, NULL);
	const json_t *s;

	(void)state;
	assert_verdict(j, "dropped", "acl");
	assert_steps(j, "port_security router router acl_egress");
	s = step(j, "acl_egress", 0);
	assert_string_equal(str(s, "result"), "deny");
	assert_true(str_has_prefix(str(s, "rule"), "default: deny"));
	assert_no_substrate(j);
	json_decref(j);
}

static void test_same_host(void **state)
{
	json_t *j = trace(&chain, "t1/n/v", "10.0.1.10", NULL, NULL, NULL);
	const json_t *s;

	(void)state;
	assert_verdict(j, "delivered", NULL);
	assert_steps(j, "port_security switch acl_egress acl_ingress deliver");
	s = step(j, "acl_ingress", 0);
	assert_string_equal(str(s, "rule"), "in any from 10.0.0.0/8");
	assert_string_equal(str(s, "group"), "g1");
	assert_string_equal(str(step(j, "deliver", 0), "host"), "h1");
	assert_no_substrate(j);
	assert_non_null(strstr(str(j, "substrate_note"), "h1"));
	json_decref(j);
}

static void test_waypoint(void **state)
{
	static const json_int_t hops[] = {2000, 2000};
	json_t *j = trace(&waypoint, "q/n/a", "10.2.0.20", NULL, NULL, NULL);

	(void)state;
	assert_verdict(j, "delivered", NULL);
	assert_string_equal(str(step(j, "substrate", 0), "class"), "quarantine");
	assert_substrate(j, "quarantine", "h1 scan1 h3", hops, 4000);
	json_decref(j);
}

/* ---- against the data plane ---- */

/* Every host's tables, built from its view of a fixture's model. */
struct sim {
	const struct fixture *f;
	struct model_object **hosts; /* in name order */
	size_t n_hosts;
	struct dp_counters_registry *reg;
	struct dp_tables **tables; /* per host */
	struct dp_ctx **ctx;	   /* per host, replaced per probe: a new flow */
};

/* What the data plane did with one probe. */
struct outcome {
	char reason[32];    /* drop reason, "" if delivered or answered */
	char receiver[128]; /* instance id, "router" for an answer, "" if dropped */
	char path[128];	    /* hosts the packet went through, ' '-separated */
};

static void sim_init(struct sim *s, const struct fixture *f)
{
	struct views_ctx *vc = views_ctx_create(f->model, f->rm);

	memset(s, 0, sizeof *s);
	s->f = f;
	s->hosts = model_list(f->model, MODEL_HOST, &s->n_hosts);
	s->reg = dp_counters_registry_create();
	s->tables = xcalloc(s->n_hosts, sizeof *s->tables);
	s->ctx = xcalloc(s->n_hosts, sizeof *s->ctx);
	for (size_t i = 0; i < s->n_hosts; i++) {
		json_t *view = views_ctx_compute(vc, s->hosts[i]->id);
		char *err = dp_tables_build(view, s->reg, &s->tables[i]);

		json_decref(view);
		if (err)
			fail_msg("tables of %s: %s", s->hosts[i]->id, err);
	}
	views_ctx_destroy(vc);
}

static void sim_uninit(struct sim *s)
{
	for (size_t i = 0; i < s->n_hosts; i++) {
		dp_ctx_destroy(s->ctx[i]);
		dp_tables_destroy(s->tables[i]);
	}
	dp_counters_registry_destroy(s->reg);
	free(s->ctx);
	free(s->tables);
	free(s->hosts);
}

static size_t sim_host(const struct sim *s, const char *name)
{
	for (size_t i = 0; i < s->n_hosts; i++)
		if (!strcmp(s->hosts[i]->id, name))
			return i;
	fail_msg("no host %s", name);
	return 0;
}

static size_t sim_host_by_address(const struct sim *s, uint32_t address)
{
	for (size_t i = 0; i < s->n_hosts; i++)
		if (CONTAINER_OF(s->hosts[i], struct host, hdr)->address == address)
			return i;
	fail_msg("no host has underlay address %08x", address);
	return 0;
}

static void path_add(struct outcome *o, const char *host)
{
	size_t n = strlen(o->path);

	snprintf(o->path + n, sizeof o->path - n, "%s%s", n ? " " : "", host);
}

/* The IPv4 packet of 'proto' from 'p' (MAC 'p->mac') to 'dst' via the
 * Ethernet address 'next', in 'f'; returns its length. */
static size_t sim_frame(uint8_t *f, const struct dp_port *p, const struct eth_addr *next,
			uint32_t dst, enum sg_proto proto, uint16_t port, uint8_t ttl)
{
	struct ipv4_header *ip = (void *)(f + ETH_HEADER_LEN);
	size_t n;

	switch (proto) {
	case SG_PROTO_TCP:
		n = fx_tcp(f, &p->mac, next, p->ip, dst, 40000, port, TCP_SYN);
		ip->ttl = ttl;
		packet_ipv4_set_csum(ip);
		return n;
	case SG_PROTO_UDP:
		return fx_udp(f, &p->mac, next, p->ip, dst, 40000, port, ttl, 8);
	default:
		return fx_icmp_echo(f, &p->mac, next, p->ip, dst, ICMP_ECHO_REQUEST, 7, ttl);
	}
}

/* Sends one probe from instance 'src' through the data plane. */
static void sim_probe(struct sim *s, const struct instance *src, const struct trace_query *q,
		      struct outcome *o)
{
	uint8_t storage[DP_BUF_MIN_SIZE], frame[2048];
	size_t h = sim_host(s, src->host), len;
	const struct dp_tables *t = s->tables[h];
	char port_name_[IFNAMSIZ];
	const struct dp_port *p;
	struct eth_addr next_mac;
	struct dp_action a;
	struct dp_buf b;
	uint32_t next_ip;
	int port;

	memset(o, 0, sizeof *o);
	for (size_t i = 0; i < s->n_hosts; i++) {
		dp_ctx_destroy(s->ctx[i]);
		s->ctx[i] = dp_ctx_create(s->reg, 0, 256);
		dp_ctx_set_time(s->ctx[i], 1000000);
	}
	port_name(src->hdr.id, port_name_);
	port = dp_tables_port_find(t, port_name_);
	assert_true(port >= 0);
	p = &t->ports[port];
	path_add(o, src->host);

	/* Linux: ARP for an on-link destination, else for the gateway DHCP
	 * gave; no gateway, no packet. */
	next_ip = ipv4_prefix_contains(&t->vns[p->vn].subnets[p->subnet].cidr, q->dst)
		      ? q->dst
		      : p->dhcp.router;
	if (!next_ip) {
		snprintf(o->reason, sizeof o->reason, "no_gateway");
		return;
	}
	dp_buf_init(&b, storage, sizeof storage);
	b.len = fx_arp_request(b.data, &p->mac, p->ip, next_ip);
	dp_from_port(s->ctx[h], t, (uint32_t)port, &b, &a);
	if (a.verdict != DP_TO_PORT) {
		snprintf(o->reason, sizeof o->reason, "%s", dp_drop_reason_name(a.reason));
		return;
	}
	next_mac = ((const struct arp_header *)(b.data + ETH_HEADER_LEN))->sha;

	dp_buf_init(&b, storage, sizeof storage);
	len = sim_frame(frame, p, &next_mac, q->dst, q->proto, q->port, q->ttl);
	memcpy(b.data, frame, len);
	b.len = len;
	dp_from_port(s->ctx[h], t, (uint32_t)port, &b, &a);
	for (int hops = 0;; hops++) {
		struct dp_outer outer;
		size_t k;

		assert_true(hops < 16);
		if (a.verdict == DP_DROP) {
			snprintf(o->reason, sizeof o->reason, "%s", dp_drop_reason_name(a.reason));
			return;
		}
		if (a.verdict == DP_TO_PORT && a.reply) {
			const uint8_t *icmp = b.data + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN;

			if (*icmp == ICMP_ECHO_REPLY)
				snprintf(o->receiver, sizeof o->receiver, "router");
			else
				snprintf(o->reason, sizeof o->reason, "%s",
					 dp_drop_reason_name(a.reason));
			return;
		}
		if (a.verdict == DP_TO_PORT) {
			snprintf(o->receiver, sizeof o->receiver, "%s",
				 dp_tables_port_instance(s->tables[h], a.port));
			return;
		}
		/* Over the underlay to the next hop's agent. */
		k = sim_host_by_address(s, a.next_hop);
		outer = (struct dp_outer){
		    .src_addr = CONTAINER_OF(s->hosts[h], struct host, hdr)->address,
		    .src_port = a.udp_src_port,
		    .dscp = a.dscp,
		};
		len = b.len;
		memcpy(frame, b.data, len);
		dp_buf_init(&b, storage, sizeof storage);
		memcpy(b.data, frame, len);
		b.len = len;
		h = k;
		path_add(o, s->hosts[h]->id);
		dp_from_underlay(s->ctx[h], s->tables[h], &outer, &b, &a);
	}
}

/* The same probe traced. */
static void trace_outcome(const struct fixture *f, const struct trace_query *q, struct outcome *o)
{
	char *error;
	json_t *j = trace_packet(f->model, f->rm, q, &error);
	const json_t *steps, *last, *sub;

	assert_non_null(j);
	memset(o, 0, sizeof *o);
	steps = json_object_get(j, "steps");
	last = json_array_get(steps, json_array_size(steps) - 1);
	if (!strcmp(str(j, "verdict"), "dropped"))
		snprintf(o->reason, sizeof o->reason, "%s", str(j, "reason"));
	else if (!strcmp(str(last, "step"), "router_answers"))
		snprintf(o->receiver, sizeof o->receiver, "router");
	else
		snprintf(o->receiver, sizeof o->receiver, "%s", str(last, "instance"));
	sub = json_object_get(j, "substrate");
	if (json_is_object(sub)) {
		const json_t *hosts = json_object_get(sub, "hosts");

		for (size_t i = 0; i < json_array_size(hosts); i++)
			path_add(o, json_string_value(json_array_get(hosts, i)));
	} else {
		path_add(o, CONTAINER_OF(model_find(f->model, MODEL_INSTANCE, q->instance),
					 struct instance, hdr)
				->host);
	}
	json_decref(j);
}

/* Every instance to every address of 'dsts' with every protocol and TTL. */
static void check_against_dp(const struct fixture *f, const char *const *dsts, size_t n_dsts)
{
	static const struct {
		const char *proto, *port;
	} protos[] = {{"icmp", NULL}, {"tcp", "22"},   {"tcp", "80"},
		      {"tcp", "443"}, {"tcp", "5432"}, {"udp", "53"}};
	static const char *const ttls[] = {"64", "2", "1"};
	struct model_object **insts;
	size_t n_insts, probes = 0, delivered = 0;
	struct sim s;

	sim_init(&s, f);
	insts = model_list(f->model, MODEL_INSTANCE, &n_insts);
	for (size_t i = 0; i < n_insts; i++) {
		const struct instance *src = CONTAINER_OF(insts[i], struct instance, hdr);

		for (size_t d = 0; d < n_dsts; d++)
			for (size_t p = 0; p < ARRAY_SIZE(protos); p++)
				for (size_t k = 0; k < ARRAY_SIZE(ttls); k++) {
					struct outcome want, got;
					struct trace_query q;
					char *error = trace_query_parse(&q, src->hdr.id, dsts[d],
									protos[p].proto,
									protos[p].port, ttls[k]);

					assert_null(error);
					if (q.dst == src->ip)
						continue;
					sim_probe(&s, src, &q, &want);
					trace_outcome(f, &q, &got);
					if (strcmp(want.reason, got.reason) ||
					    strcmp(want.receiver, got.receiver) ||
					    strcmp(want.path, got.path))
						fail_msg("%s -> %s %s %s ttl %s:\n"
							 "  data plane: reason '%s' receiver '%s' "
							 "path '%s'\n"
							 "  trace:      reason '%s' receiver '%s' "
							 "path '%s'",
							 src->hdr.id, dsts[d], protos[p].proto,
							 protos[p].port ? protos[p].port : "",
							 ttls[k], want.reason, want.receiver,
							 want.path, got.reason, got.receiver,
							 got.path);
					probes++;
					delivered += !want.reason[0];
				}
	}
	/* Both outcomes were exercised. */
	assert_true(delivered > 0 && delivered < probes);
	free(insts);
	sim_uninit(&s);
}

static void test_against_dp_spec(void **state)
{
	static const char *const dsts[] = {
	    "10.1.1.10", "10.1.1.20", "10.1.2.10", "10.1.1.1",	  "10.1.2.1",
	    "10.1.1.99", "10.1.2.99", "10.9.1.1",  "192.168.7.7", "10.1.1.255",
	};

	(void)state;
	check_against_dp(&spec, dsts, ARRAY_SIZE(dsts));
}

static void test_against_dp_chain(void **state)
{
	static const char *const dsts[] = {
	    "10.0.1.10", "10.0.1.20", "10.0.3.10", "10.0.2.50", "10.0.1.1",  "10.0.2.1", "10.0.2.2",
	    "10.0.3.1",	 "10.0.3.99", "10.5.1.1",  "10.6.1.1",	"10.0.1.99", "10.7.0.1",
	};

	(void)state;
	check_against_dp(&chain, dsts, ARRAY_SIZE(dsts));
}

static void test_against_dp_waypoint(void **state)
{
	static const char *const dsts[] = {"10.2.0.10", "10.2.0.20", "10.2.0.30",
					   "10.2.0.40", "10.2.0.99", "10.3.0.1"};

	(void)state;
	check_against_dp(&waypoint, dsts, ARRAY_SIZE(dsts));
}

/* ---- the query ---- */

static void assert_query_error(const char *param, const char *instance, const char *dst,
			       const char *proto, const char *port, const char *ttl)
{
	struct trace_query q;
	char *error = trace_query_parse(&q, instance, dst, proto, port, ttl);

	if (!error)
		fail_msg("no error for %s", param);
	if (!str_has_prefix(error, param) || error[strlen(param)] != ':')
		fail_msg("error for %s: %s", param, error);
	free(error);
}

static void test_query(void **state)
{
	struct trace_query q;
	char *error;

	(void)state;
	error = trace_query_parse(&q, "a/b/c", "10.0.0.1", "udp", "53", "7");
	assert_null(error);
	assert_int_equal(q.proto, SG_PROTO_UDP);
	assert_int_equal(q.port, 53);
	assert_int_equal(q.ttl, 7);
	assert_int_equal(q.dst, 0x0a000001);
	error = trace_query_parse(&q, "a/b/c", "10.0.0.1", NULL, NULL, NULL);
	assert_null(error);
	assert_int_equal(q.proto, SG_PROTO_ICMP);
	assert_int_equal(q.port, 0);
	assert_int_equal(q.ttl, TRACE_DEFAULT_TTL);

	assert_query_error("instance", NULL, "10.0.0.1", NULL, NULL, NULL);
	assert_query_error("dst", "a/b/c", NULL, NULL, NULL, NULL);
	assert_query_error("dst", "a/b/c", "10.0.0", NULL, NULL, NULL);
	assert_query_error("dst", "a/b/c", "10.0.0.256", NULL, NULL, NULL);
	assert_query_error("proto", "a/b/c", "10.0.0.1", "sctp", NULL, NULL);
	assert_query_error("port", "a/b/c", "10.0.0.1", "tcp", NULL, NULL);
	assert_query_error("port", "a/b/c", "10.0.0.1", "tcp", "0", NULL);
	assert_query_error("port", "a/b/c", "10.0.0.1", "tcp", "65536", NULL);
	assert_query_error("port", "a/b/c", "10.0.0.1", "tcp", "x", NULL);
	assert_query_error("port", "a/b/c", "10.0.0.1", "icmp", "80", NULL);
	assert_query_error("ttl", "a/b/c", "10.0.0.1", NULL, NULL, "0");
	assert_query_error("ttl", "a/b/c", "10.0.0.1", NULL, NULL, "256");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_routed_icmp),	     cmocka_unit_test(test_from_group),
	    cmocka_unit_test(test_default_deny),     cmocka_unit_test(test_switched_silver),
	    cmocka_unit_test(test_no_route),	     cmocka_unit_test(test_router_answers),
	    cmocka_unit_test(test_unresolved),	     cmocka_unit_test(test_ttl),
	    cmocka_unit_test(test_unknown_instance), cmocka_unit_test(test_chained_routers),
	    cmocka_unit_test(test_static_next_hop),  cmocka_unit_test(test_egress_deny),
	    cmocka_unit_test(test_same_host),	     cmocka_unit_test(test_query),
	    cmocka_unit_test(test_waypoint),	     cmocka_unit_test(test_against_dp_spec),
	    cmocka_unit_test(test_against_dp_chain), cmocka_unit_test(test_against_dp_waypoint),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
