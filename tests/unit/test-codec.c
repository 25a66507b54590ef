// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of lib/codec.c and lib/object.c: the topology file of spec.md
 * (examples/demo.yaml) loads into the expected objects; every kind's flat
 * form has its canonical text and survives a round trip; and the loader's
 * errors carry the exact file:line:column, key path and wording users see.
 */
/* cmocka.h needs these before it. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "onm/codec.h"
#include "onm/units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* examples/demo.yaml, found from this file's path (the build runs the
 * compiler and the tests from the build directory) or $ONM_SOURCE_ROOT. */
static char *read_demo(size_t *len)
{
	const char *root = getenv("ONM_SOURCE_ROOT");
	char *path, *buf;

	if (root) {
		path = xasprintf("%s/examples/demo.yaml", root);
	} else {
		const char *me = __FILE__;
		const char *tail = strstr(me, "tests/unit/test-codec.c");

		assert_non_null(tail);
		path = xasprintf("%.*sexamples/demo.yaml", (int)(tail - me), me);
	}
	if (read_file(path, &buf, len))
		fail_msg("cannot read %s", path);
	free(path);
	return buf;
}

static struct topology *load_demo(void)
{
	size_t len;
	char *buf = read_demo(&len);
	struct topology *t;
	char *err = codec_topology_parse(buf, len, "demo.yaml", false, &t);

	if (err)
		fail_msg("%s", err);
	free(buf);
	return t;
}

static struct model_object *find(const struct topology *t, enum model_kind kind, const char *id)
{
	for (size_t i = 0; i < t->n_objects; i++) {
		if (t->objects[i]->kind == kind && !strcmp(t->objects[i]->id, id))
			return t->objects[i];
	}
	fail_msg("no %s %s", model_kind_name(kind), id);
	return NULL;
}

static void assert_ip(uint32_t addr, const char *text)
{
	char buf[IPV4_ADDR_STRLEN];

	ipv4_format(addr, buf);
	assert_string_equal(buf, text);
}

static void assert_prefix(const struct ipv4_prefix *p, const char *text)
{
	char buf[IPV4_PREFIX_STRLEN];

	ipv4_prefix_format(p, buf);
	assert_string_equal(buf, text);
}

static void test_demo_counts(void **state)
{
	struct topology *t = load_demo();
	size_t counts[MODEL_N_KINDS] = {0};
	static const enum model_kind order[] = {
	    MODEL_HOST,		 MODEL_HOST,	      MODEL_HOST,	   MODEL_HOST,
	    MODEL_HOST,		 MODEL_LINK,	      MODEL_LINK,	   MODEL_LINK,
	    MODEL_LINK,		 MODEL_LINK,	      MODEL_LINK,	   MODEL_SERVICE_LEVEL,
	    MODEL_SERVICE_LEVEL, MODEL_SERVICE_LEVEL, MODEL_SERVICE_LEVEL, MODEL_TENANT,
	    MODEL_TENANT,	 MODEL_NETWORK,	      MODEL_ROUTER,	   MODEL_INSTANCE,
	    MODEL_INSTANCE,	 MODEL_NETWORK,	      MODEL_INSTANCE,	   MODEL_INSTANCE,
	};

	assert_string_equal(t->source, "demo.yaml");
	assert_int_equal(t->n_objects, sizeof order / sizeof order[0]);
	for (size_t i = 0; i < t->n_objects; i++) {
		assert_int_equal(t->objects[i]->kind, order[i]);
		assert_null(t->objects[i]->json);
		counts[t->objects[i]->kind]++;
	}
	assert_int_equal(counts[MODEL_HOST], 5);
	assert_int_equal(counts[MODEL_LINK], 6);
	assert_int_equal(counts[MODEL_SERVICE_LEVEL], 4);
	assert_int_equal(counts[MODEL_TENANT], 2);
	assert_int_equal(counts[MODEL_NETWORK], 2);
	assert_int_equal(counts[MODEL_ROUTER], 1);
	assert_int_equal(counts[MODEL_INSTANCE], 4);

	/* File order within a kind. */
	assert_string_equal(t->objects[0]->id, "h1");
	assert_string_equal(t->objects[4]->id, "scan1");
	assert_string_equal(t->objects[17]->id, "acme/blue");
	assert_string_equal(t->objects[18]->id, "acme/blue/r1");
	assert_string_equal(t->objects[19]->id, "acme/blue/web1");
	assert_string_equal(t->objects[21]->id, "globex/red");
	topology_destroy(t);
}

static void test_demo_values(void **state)
{
	struct topology *t = load_demo();
	const struct host *scan1 = CONTAINER_OF(find(t, MODEL_HOST, "scan1"), struct host, hdr);
	const struct host *h1 = CONTAINER_OF(find(t, MODEL_HOST, "h1"), struct host, hdr);
	const struct link *l;
	const struct service_level *sl;
	const struct tenant *acme, *globex;
	const struct network *blue, *red;
	const struct router *r1;
	const struct instance *web1, *app2;

	assert_int_equal(h1->n_capabilities, 0);
	assert_int_equal(h1->hdr.pos.line, 3);
	assert_int_equal(h1->hdr.pos.column, 7);
	assert_int_equal(scan1->n_capabilities, 1);
	assert_string_equal(scan1->capabilities[0], "inspection");

	l = CONTAINER_OF(find(t, MODEL_LINK, "h1/h4"), struct link, hdr);
	assert_string_equal(l->a, "h1");
	assert_string_equal(l->b, "h4");
	assert_int_equal(l->latency_us, 15000);
	assert_int_equal(l->bandwidth_bps, 100000000);
	assert_int_equal(l->cost, 1);
	assert_int_equal(l->loss_ppm, 0);
	assert_false(l->down);
	/* Written "a: h4, b: h3": the id sorts the ends, the fields keep them. */
	l = CONTAINER_OF(find(t, MODEL_LINK, "h3/h4"), struct link, hdr);
	assert_string_equal(l->a, "h4");
	assert_string_equal(l->b, "h3");
	l = CONTAINER_OF(find(t, MODEL_LINK, "h1/h2"), struct link, hdr);
	assert_int_equal(l->latency_us, 1000);
	assert_int_equal(l->bandwidth_bps, 1000000000);
	assert_int_equal(l->cost, 10);
	assert_int_equal(l->hdr.pos.line, 9);

	sl = CONTAINER_OF(find(t, MODEL_SERVICE_LEVEL, "platinum"), struct service_level, hdr);
	assert_int_equal(sl->minimize, SL_MIN_LATENCY);
	assert_int_equal(sl->min_bandwidth_bps, 500000000);
	assert_null(sl->via_capability);
	assert_false(sl->builtin);
	assert_false(model_object_is_builtin(&sl->hdr));
	sl = CONTAINER_OF(find(t, MODEL_SERVICE_LEVEL, "silver"), struct service_level, hdr);
	assert_int_equal(sl->minimize, SL_MIN_COST);
	sl = CONTAINER_OF(find(t, MODEL_SERVICE_LEVEL, "quarantine"), struct service_level, hdr);
	assert_string_equal(sl->via_capability, "inspection");
	assert_int_equal(sl->min_bandwidth_bps, 0);

	acme = CONTAINER_OF(find(t, MODEL_TENANT, "acme"), struct tenant, hdr);
	assert_string_equal(acme->service_level, "platinum");
	assert_int_equal(acme->n_users, 2);
	assert_string_equal(acme->users[0].name, "alice");
	assert_int_equal(acme->users[0].role, ROLE_ADMIN);
	assert_string_equal(acme->users[0].password, "correct horse");
	assert_null(acme->users[0].password_hash);
	assert_int_equal(acme->users[0].pos.line, 26);
	assert_int_equal(acme->users[0].pos.column, 9);
	assert_string_equal(acme->users[1].name, "victor");
	assert_int_equal(acme->users[1].role, ROLE_VIEWER);
	globex = CONTAINER_OF(find(t, MODEL_TENANT, "globex"), struct tenant, hdr);
	assert_string_equal(globex->service_level, "silver");
	assert_int_equal(globex->n_users, 0);

	blue = CONTAINER_OF(find(t, MODEL_NETWORK, "acme/blue"), struct network, hdr);
	assert_string_equal(blue->tenant, "acme");
	assert_string_equal(blue->name, "blue");
	assert_int_equal(blue->vni, 0);
	assert_int_equal(blue->hdr.pos.line, 29);
	assert_int_equal(blue->n_subnets, 2);
	assert_string_equal(blue->subnets[1].name, "db");
	assert_prefix(&blue->subnets[1].cidr, "10.1.2.0/24");
	assert_int_equal(blue->subnets[1].pos.line, 32);
	assert_int_equal(blue->n_groups, 2);
	assert_string_equal(blue->groups[0].name, "web");
	assert_int_equal(blue->groups[0].n_rules, 2);
	assert_int_equal(blue->groups[0].rules[0].dir, SG_IN);
	assert_int_equal(blue->groups[0].rules[0].proto, SG_PROTO_TCP);
	assert_int_equal(blue->groups[0].rules[0].port_min, 80);
	assert_int_equal(blue->groups[0].rules[0].port_max, 80);
	assert_prefix(&blue->groups[0].rules[0].remote, "0.0.0.0/0");
	assert_int_equal(blue->groups[0].rules[1].proto, SG_PROTO_ICMP);
	assert_int_equal(blue->groups[0].rules[1].port_min, 0);
	assert_prefix(&blue->groups[0].rules[1].remote, "10.1.0.0/16");
	assert_string_equal(blue->groups[1].rules[0].remote_group, "web");
	assert_int_equal(blue->groups[1].rules[0].port_min, 5432);
	assert_int_equal(blue->groups[1].rules[0].pos.line, 46);

	r1 = CONTAINER_OF(find(t, MODEL_ROUTER, "acme/blue/r1"), struct router, hdr);
	assert_string_equal(r1->tenant, "acme");
	assert_string_equal(r1->network, "blue");
	assert_int_equal(r1->n_interfaces, 2);
	assert_string_equal(r1->interfaces[0].name, "GigabitEthernet0/0");
	assert_string_equal(r1->interfaces[0].subnet, "web");
	assert_ip(r1->interfaces[1].ip, "10.1.2.1");
	assert_int_equal(r1->n_routes, 0);

	web1 = CONTAINER_OF(find(t, MODEL_INSTANCE, "acme/blue/web1"), struct instance, hdr);
	assert_string_equal(web1->subnet, "web");
	assert_string_equal(web1->host, "h1");
	assert_ip(web1->ip, "10.1.1.10");
	assert_true(eth_addr_is_zero(&web1->mac));
	assert_int_equal(web1->n_security_groups, 1);
	assert_string_equal(web1->security_groups[0], "web");
	assert_int_equal(web1->hdr.pos.line, 49);
	assert_int_equal(web1->hdr.pos.column, 13);

	red = CONTAINER_OF(find(t, MODEL_NETWORK, "globex/red"), struct network, hdr);
	assert_int_equal(red->n_subnets, 1);
	assert_prefix(&red->subnets[0].cidr, "10.1.1.0/24");
	assert_int_equal(red->n_groups, 0);
	app2 = CONTAINER_OF(find(t, MODEL_INSTANCE, "globex/red/app2"), struct instance, hdr);
	assert_string_equal(app2->tenant, "globex");
	assert_string_equal(app2->network, "red");
	assert_ip(app2->ip, "10.1.1.20");
	assert_int_equal(app2->n_security_groups, 0);
	topology_destroy(t);
}

/* parse(to_string(o)) gives the same text; returns that text. */
static char *round_trip(const struct model_object *obj)
{
	char *s = codec_object_to_string(obj), *s2;
	struct model_object *back;
	char *err = codec_object_parse_json(obj->kind, s, strlen(s), "store", &back);

	if (err)
		fail_msg("%s: %s", s, err);
	assert_string_equal(back->id, obj->id);
	assert_int_equal(back->kind, obj->kind);
	/* The hand-written canonical writer agrees with jansson's own dump. */
	json_t *j = codec_object_to_json(obj, false);
	char *dumped = json_dumps(j, JSON_COMPACT);
	assert_string_equal(dumped, s);
	free(dumped);
	json_decref(j);
	s2 = codec_object_to_string(back);
	assert_string_equal(s, s2);
	free(s2);
	model_object_destroy(back);
	return s;
}

static void test_demo_round_trip(void **state)
{
	struct topology *t = load_demo();

	for (size_t i = 0; i < t->n_objects; i++)
		free(round_trip(t->objects[i]));
	/* The exact text of two of them. */
	char *s = round_trip(find(t, MODEL_LINK, "h3/h4"));
	assert_string_equal(s, "{\"a\":\"h4\",\"b\":\"h3\",\"latency\":\"15ms\",\"bandwidth\":"
			       "\"100mbit\",\"cost\":1,\"loss\":\"0%\",\"state\":\"up\"}");
	free(s);
	s = round_trip(find(t, MODEL_TENANT, "acme"));
	/* Plain passwords are never written out. */
	assert_string_equal(s, "{\"name\":\"acme\",\"service_level\":\"platinum\",\"users\":"
			       "[{\"name\":\"alice\",\"role\":\"admin\"},{\"name\":\"victor\","
			       "\"role\":\"viewer\"}]}");
	free(s);
	topology_destroy(t);
}

struct flat_case {
	enum model_kind kind;
	const char *input;
	const char *id;
	const char *canonical;
};

static const struct flat_case flat_cases[] = {
    {MODEL_HOST, "{\"name\":\"h9\"}", "h9", "{\"name\":\"h9\",\"capabilities\":[]}"},
    {MODEL_HOST, "{\"capabilities\":[\"inspection\",\"gateway\"],\"name\":\"h9\"}", "h9",
     "{\"name\":\"h9\",\"capabilities\":[\"inspection\",\"gateway\"]}"},
    {MODEL_HOST,
     "{\"vtep\":\"kernel\",\"capabilities\":[],\"address\":\"198.18.0.9\",\"id\":65535,"
     "\"name\":\"ext1\"}",
     "ext1",
     "{\"name\":\"ext1\",\"id\":65535,\"address\":\"198.18.0.9\",\"capabilities\":[],"
     "\"vtep\":\"kernel\"}"},
    {MODEL_HOST, "{\"name\":\"h1\",\"id\":1}", "h1",
     "{\"name\":\"h1\",\"id\":1,\"capabilities\":[]}"},
    {MODEL_LINK, "{\"a\":\"h2\",\"b\":\"h1\"}", "h1/h2",
     "{\"a\":\"h2\",\"b\":\"h1\",\"latency\":\"0us\",\"cost\":1,\"loss\":\"0%\",\"state\":"
     "\"up\"}"},
    {MODEL_LINK,
     "{\"state\":\"down\",\"loss\":\"0.50%\",\"cost\":0,\"bandwidth\":\"1000kbit\","
     "\"latency\":\"1.5ms\",\"b\":\"b\",\"a\":\"a\"}",
     "a/b",
     "{\"a\":\"a\",\"b\":\"b\",\"latency\":\"1500us\",\"bandwidth\":\"1mbit\",\"cost\":0,"
     "\"loss\":\"0.5%\",\"state\":\"down\"}"},
    {MODEL_SERVICE_LEVEL, "{\"name\":\"bronze\",\"minimize\":\"hops\"}", "bronze",
     "{\"name\":\"bronze\",\"minimize\":\"hops\"}"},
    {MODEL_SERVICE_LEVEL,
     "{\"name\":\"x\",\"minimize\":\"cost\",\"min_bandwidth\":\"0.5gbit\","
     "\"via_capability\":\"inspection\"}",
     "x",
     "{\"name\":\"x\",\"minimize\":\"cost\",\"min_bandwidth\":\"500mbit\","
     "\"via_capability\":\"inspection\"}"},
    {MODEL_SERVICE_LEVEL,
     "{\"exclude_links\":[\"h2/h1\",\"h1/h3\"],\"exclude_hosts\":[\"h4\"],\"dscp\":0,"
     "\"minimize\":{\"loss\":3,\"hops\":0,\"latency\":1},\"name\":\"w\"}",
     "w",
     "{\"name\":\"w\",\"minimize\":{\"latency\":1,\"loss\":3},\"dscp\":0,"
     "\"exclude_hosts\":[\"h4\"],\"exclude_links\":[\"h1/h2\",\"h1/h3\"]}"},
    /* A built-in's own DSCP is its default: left out. */
    {MODEL_SERVICE_LEVEL, "{\"name\":\"platinum\",\"minimize\":\"hops\",\"dscp\":46}", "platinum",
     "{\"name\":\"platinum\",\"minimize\":\"hops\"}"},
    {MODEL_SERVICE_LEVEL,
     "{\"name\":\"platinum\",\"minimize\":\"loss\",\"dscp\":63,\"exclude_hosts\":[],"
     "\"exclude_links\":null}",
     "platinum", "{\"name\":\"platinum\",\"minimize\":\"loss\",\"dscp\":63}"},
    {MODEL_TENANT, "{\"name\":\"t1\"}", "t1",
     "{\"name\":\"t1\",\"service_level\":\"gold\",\"users\":[]}"},
    {MODEL_TENANT, "{\"quarantine\":true,\"premium_quota\":\"1024000b\",\"name\":\"t1\"}", "t1",
     "{\"name\":\"t1\",\"service_level\":\"gold\",\"users\":[],\"premium_quota\":"
     "\"1000kib\",\"fallback\":\"silver\",\"quarantine\":true}"},
    {MODEL_TENANT,
     "{\"name\":\"t1\",\"service_level\":\"silver\",\"premium_quota\":\"0.5tb\","
     "\"fallback\":\"bronze\",\"quarantine\":false}",
     "t1",
     "{\"name\":\"t1\",\"service_level\":\"silver\",\"users\":[],\"premium_quota\":"
     "\"500gb\",\"fallback\":\"bronze\"}"},
    {MODEL_TENANT,
     "{\"name\":\"t1\",\"service_level\":\"silver\",\"users\":[{\"name\":\"op\",\"role\":"
     "\"operator\",\"password_hash\":\"$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA\"},"
     "{\"name\":\"v\",\"role\":\"viewer\",\"password\":\"pw\"}]}",
     "t1",
     "{\"name\":\"t1\",\"service_level\":\"silver\",\"users\":[{\"name\":\"op\",\"role\":"
     "\"operator\",\"password_hash\":\"$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA\"},"
     "{\"name\":\"v\",\"role\":\"viewer\"}]}"},
    {MODEL_NETWORK, "{\"tenant\":\"acme\",\"name\":\"blue\"}", "acme/blue",
     "{\"tenant\":\"acme\",\"name\":\"blue\",\"subnets\":[],\"security_groups\":[]}"},
    /* Routing at its defaults is left out. */
    {MODEL_NETWORK,
     "{\"tenant\":\"acme\",\"name\":\"blue\",\"routing\":{\"coefficients\":{\"latency\":1,"
     "\"cost\":\"1.000\"},\"paths\":[],\"prefer_hosts\":null}}",
     "acme/blue", "{\"tenant\":\"acme\",\"name\":\"blue\",\"subnets\":[],\"security_groups\":[]}"},
    /* Coefficients as numbers or strings, written as strings. */
    {MODEL_NETWORK,
     "{\"tenant\":\"acme\",\"name\":\"blue\",\"routing\":{\"avoid_hosts\":[\"h5\"],"
     "\"prefer_hosts\":[\"h2\",\"h4\"],\"paths\":[{\"via\":[\"h2\",\"h4\"],\"to\":\"h3\","
     "\"from\":\"h1\"}],\"coefficients\":{\"loss\":0.1,\"hops\":\"0\",\"latency\":1000}}}",
     "acme/blue",
     "{\"tenant\":\"acme\",\"name\":\"blue\",\"subnets\":[],\"security_groups\":[],"
     "\"routing\":{\"coefficients\":{\"latency\":\"1000\",\"hops\":\"0\",\"loss\":\"0.1\"},"
     "\"paths\":[{\"from\":\"h1\",\"to\":\"h3\",\"via\":[\"h2\",\"h4\"]}],"
     "\"prefer_hosts\":[\"h2\",\"h4\"],\"avoid_hosts\":[\"h5\"]}}"},
    {MODEL_NETWORK,
     "{\"tenant\":\"acme\",\"name\":\"blue\",\"vni\":16777215,\"subnets\":[{\"name\":\"a\","
     "\"cidr\":\"10.0.0.0/8\"}],\"security_groups\":[{\"name\":\"g\",\"rules\":[{\"dir\":"
     "\"out\",\"proto\":\"udp\",\"ports\":\"53\"},{\"dir\":\"out\",\"proto\":\"tcp\","
     "\"ports\":\"1000-2000\",\"to_group\":\"g\"},{\"dir\":\"in\",\"ports\":\"7-7\","
     "\"proto\":\"tcp\",\"from_group\":\"g\"},{\"dir\":\"in\"}]}]}",
     "acme/blue",
     "{\"tenant\":\"acme\",\"name\":\"blue\",\"vni\":16777215,\"subnets\":[{\"name\":\"a\","
     "\"cidr\":\"10.0.0.0/8\"}],\"security_groups\":[{\"name\":\"g\",\"rules\":[{\"dir\":"
     "\"out\",\"proto\":\"udp\",\"ports\":53,\"to\":\"0.0.0.0/0\"},{\"dir\":\"out\","
     "\"proto\":\"tcp\",\"ports\":\"1000-2000\",\"to_group\":\"g\"},{\"dir\":\"in\","
     "\"proto\":\"tcp\",\"ports\":7,\"from_group\":\"g\"},{\"dir\":\"in\",\"proto\":"
     "\"any\",\"from\":\"0.0.0.0/0\"}]}]}"},
    {MODEL_ROUTER,
     "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\",\"interfaces\":[{\"name\":"
     "\"ge-0/0/0.0\",\"subnet\":\"web\",\"ip\":\"10.1.1.1\"}],\"routes\":[{\"prefix\":"
     "\"10.9.0.0/16\",\"via\":\"10.1.1.20\"},{\"via\":\"10.1.1.21\",\"prefix\":"
     "\"0.0.0.0/0\"}]}",
     "acme/blue/r1",
     "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\",\"interfaces\":[{\"name\":"
     "\"ge-0/0/0.0\",\"subnet\":\"web\",\"ip\":\"10.1.1.1\"}],\"routes\":[{\"prefix\":"
     "\"10.9.0.0/16\",\"via\":\"10.1.1.20\"},{\"prefix\":\"0.0.0.0/0\",\"via\":"
     "\"10.1.1.21\"}]}"},
    /* Issue 5's keys in the REST form, in any order; defaults left out. */
    {MODEL_ROUTER,
     "{\"access_lists\":[{\"rules\":[{\"port\":443,\"dst\":\"10.1.1.0/24\",\"src\":"
     "\"10.1.2.3/32\",\"proto\":\"udp\",\"action\":\"permit\"}],\"name\":\"A\"}],"
     "\"redirects\":[{\"to\":\"10.1.1.2\",\"from\":\"10.1.1.3\"}],\"tenant\":\"acme\","
     "\"network\":\"blue\",\"name\":\"r1\",\"interfaces\":[{\"access_group_out\":\"A\","
     "\"shape\":\"1500kbit\",\"shutdown\":false,\"name\":\"e0\",\"subnet\":\"web\","
     "\"ip\":\"10.1.1.1\",\"description\":\"a \\\"quoted\\\" one\"}]}",
     "acme/blue/r1",
     "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\",\"interfaces\":[{\"name\":"
     "\"e0\",\"subnet\":\"web\",\"ip\":\"10.1.1.1\",\"description\":\"a \\\"quoted\\\" "
     "one\",\"shape\":\"1500kbit\",\"access_group_out\":\"A\"}],\"routes\":[],"
     "\"redirects\":[{\"from\":\"10.1.1.3\",\"to\":\"10.1.1.2\"}],\"access_lists\":[{"
     "\"name\":\"A\",\"rules\":[{\"action\":\"permit\",\"proto\":\"udp\",\"src\":"
     "\"10.1.2.3\",\"dst\":\"10.1.1.0/24\",\"port\":443}]}]}"},
    /* Empty lists and false are the defaults. */
    {MODEL_ROUTER,
     "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\",\"redirects\":[],"
     "\"access_lists\":null,\"interfaces\":[{\"name\":\"e0\",\"subnet\":\"web\",\"ip\":"
     "\"10.1.1.1\",\"shutdown\":false}]}",
     "acme/blue/r1",
     "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\",\"interfaces\":[{\"name\":"
     "\"e0\",\"subnet\":\"web\",\"ip\":\"10.1.1.1\"}],\"routes\":[]}"},
    {MODEL_TENANT,
     "{\"name\":\"t1\",\"users\":[{\"aliases\":[{\"command\":\"show ip route\",\"name\":"
     "\"sr\"}],\"exec_timeout\":\"600s\",\"style\":\"ios\",\"public_keys\":[],\"name\":"
     "\"u\",\"role\":\"operator\"},{\"name\":\"v\",\"role\":\"viewer\",\"exec_timeout\":"
     "\"3600s\",\"style\":\"junos\"}]}",
     "t1",
     "{\"name\":\"t1\",\"service_level\":\"gold\",\"users\":[{\"name\":\"u\",\"role\":"
     "\"operator\",\"aliases\":[{\"name\":\"sr\",\"command\":\"show ip route\"}]},"
     "{\"name\":\"v\",\"role\":\"viewer\",\"style\":\"junos\",\"exec_timeout\":\"1h\"}]}"},
    {MODEL_INSTANCE,
     "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"web1\",\"subnet\":\"web\","
     "\"host\":\"h1\",\"ip\":\"10.1.1.10\",\"mac\":\"02:AA:00:00:00:01\","
     "\"security_groups\":[\"web\",\"db\"]}",
     "acme/blue/web1",
     "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"web1\",\"subnet\":\"web\","
     "\"host\":\"h1\",\"ip\":\"10.1.1.10\",\"mac\":\"02:aa:00:00:00:01\","
     "\"security_groups\":[\"web\",\"db\"]}"},
};

static void test_flat_forms(void **state)
{
	for (size_t i = 0; i < sizeof flat_cases / sizeof flat_cases[0]; i++) {
		const struct flat_case *c = &flat_cases[i];
		struct model_object *obj;
		char *err = codec_object_parse_json(c->kind, c->input, strlen(c->input),
						    "request body", &obj);
		char *s;

		if (err)
			fail_msg("case %zu: %s", i, err);
		assert_int_equal(obj->kind, c->kind);
		assert_string_equal(obj->id, c->id);
		assert_int_equal(obj->pos.line, 0);
		s = round_trip(obj);
		assert_string_equal(s, c->canonical);
		free(s);
		model_object_destroy(obj);
	}
}

/* Strings that need escaping survive the writer (a hash may hold any
 * printable ASCII, '"' and '\\' included). */
static void test_escaping(void **state)
{
	static const char body[] = "{\"name\":\"t\",\"users\":[{\"name\":\"u\",\"role\":"
				   "\"admin\",\"password_hash\":\"$argon2id$a\\\"b\\\\c/d\"}]}";
	struct model_object *obj;
	char *err = codec_object_parse_json(MODEL_TENANT, body, strlen(body), "body", &obj);

	(void)state;
	if (err)
		fail_msg("%s", err);
	char *s = round_trip(obj);
	assert_non_null(strstr(s, "\"$argon2id$a\\\"b\\\\c/d\""));
	free(s);
	model_object_destroy(obj);
}

static void test_for_api(void **state)
{
	const char *in = "{\"name\":\"t1\",\"users\":[{\"name\":\"op\",\"role\":\"admin\","
			 "\"password_hash\":\"$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA\"}]}";
	struct model_object *obj;
	json_t *j;
	char *s;

	assert_null(codec_object_parse_json(MODEL_TENANT, in, strlen(in), "b", &obj));
	j = codec_object_to_json(obj, true);
	s = json_dumps(j, JSON_PRESERVE_ORDER | JSON_COMPACT);
	assert_string_equal(s, "{\"name\":\"t1\",\"service_level\":\"gold\",\"users\":[{\"name\":"
			       "\"op\",\"role\":\"admin\"}]}");
	free(s);
	json_decref(j);
	j = codec_object_to_json(obj, false);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(j, "users"), 0), "password_hash")),
			    "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA");
	json_decref(j);
	model_object_destroy(obj);
}

static void yaml_fails(const char *text, const char *expected)
{
	struct topology *t = (struct topology *)1;
	char *err = codec_topology_parse(text, strlen(text), "t.yaml", false, &t);

	if (!err)
		fail_msg("accepted: %s", text);
	assert_string_equal(err, expected);
	assert_null(t);
	free(err);
}

static void test_topology_errors(void **state)
{
	/* Unknown key at the top level, in an instance. */
	yaml_fails("substrate: {}\nsubstrat: {}\n",
		   "t.yaml:2:1: unknown key \"substrat\" (allowed: substrate, service_levels, "
		   "tenants)");
	yaml_fails("tenants:\n"
		   "  - name: acme\n"
		   "    networks:\n"
		   "      - name: blue\n"
		   "        instances:\n"
		   "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10}\n"
		   "          - {name: web2, subnet: web, hots: h1, ip: 10.1.1.11}\n",
		   "t.yaml:7:39: tenants[0].networks[0].instances[1]: unknown key \"hots\" "
		   "(allowed: name, subnet, host, ip, mac, security_groups)");
	/* Bad units in a link. */
	yaml_fails("substrate:\n  links:\n    - {a: h1, b: h2, latency: 1 ms}\n",
		   "t.yaml:3:31: substrate.links[0].latency: \"1 ms\" is not a duration (a number "
		   "and a unit: us, ms or s)");
	yaml_fails("substrate:\n  links:\n    - {a: h1, b: h2, bandwidth: 1kb}\n",
		   "t.yaml:3:33: substrate.links[0].bandwidth: \"1kb\" has an unknown unit "
		   "(expected bit, kbit, mbit, gbit or tbit)");
	yaml_fails("substrate:\n  links:\n    - {a: h1, b: h2, loss: 101%}\n",
		   "t.yaml:3:28: substrate.links[0].loss: \"101%\" is more than 100%");
	/* Bad address, prefix with host bits, bad MAC. */
	yaml_fails("tenants:\n"
		   "  - name: acme\n"
		   "    networks:\n"
		   "      - name: blue\n"
		   "        instances:\n"
		   "          - {name: web1, subnet: web, host: h1, ip: 10.1.2.300}\n",
		   "t.yaml:6:53: tenants[0].networks[0].instances[0].ip: \"10.1.2.300\" is not an "
		   "IPv4 address");
	yaml_fails("tenants:\n"
		   "  - name: acme\n"
		   "    networks:\n"
		   "      - name: blue\n"
		   "        subnets: [{name: web, cidr: 10.1.1.5/24}]\n",
		   "t.yaml:5:37: tenants[0].networks[0].subnets[0].cidr: \"10.1.1.5/24\" has host "
		   "bits set (the prefix is 10.1.1.0/24)");
	yaml_fails("tenants:\n"
		   "  - name: acme\n"
		   "    networks:\n"
		   "      - name: blue\n"
		   "        subnets: [{name: web, cidr: 10.1.1.0}]\n",
		   "t.yaml:5:37: tenants[0].networks[0].subnets[0].cidr: \"10.1.1.0\" is not an "
		   "IPv4 prefix (A.B.C.D/LEN)");
	yaml_fails("tenants:\n"
		   "  - name: acme\n"
		   "    networks:\n"
		   "      - name: blue\n"
		   "        instances: [{name: i, subnet: s, host: h, ip: 1.2.3.4, mac: 02:00}]\n",
		   "t.yaml:5:69: tenants[0].networks[0].instances[0].mac: \"02:00\" is not a MAC "
		   "address (xx:xx:xx:xx:xx:xx)");
	/* Name syntax. */
	yaml_fails(
	    "tenants:\n  - name: Acme\n",
	    "t.yaml:2:11: tenants[0].name: \"Acme\" is not a valid name ([a-z0-9][a-z0-9-]*, "
	    "at most 63 characters)");
	yaml_fails("substrate:\n  hosts: [{name: h1, capabilities: [inspection, -x]}]\n",
		   "t.yaml:2:49: substrate.hosts[0].capabilities[1]: \"-x\" is not a valid name "
		   "([a-z0-9][a-z0-9-]*, at most 63 characters)");
	yaml_fails("service_levels:\n  Gold: {minimize: latency}\n",
		   "t.yaml:2:3: service_levels: \"Gold\" is not a valid name ([a-z0-9][a-z0-9-]*, "
		   "at most 63 characters)");
	/* Wrong types. */
	yaml_fails("substrate:\n  hosts: {name: h1}\n",
		   "t.yaml:2:10: substrate.hosts: expected a list, found a map");
	yaml_fails("tenants:\n  - acme\n",
		   "t.yaml:2:5: tenants[0]: expected a map, found \"acme\"");
	yaml_fails("substrate:\n  links: [{a: h1, b: h2, cost: \"10\"}]\n",
		   "t.yaml:2:32: substrate.links[0].cost: expected a number, found the string "
		   "\"10\"");
	yaml_fails("substrate:\n  hosts: [{name: [h1]}]\n",
		   "t.yaml:2:18: substrate.hosts[0].name: expected a name, found a list");
	yaml_fails("- a\n", "t.yaml:1:1: expected a map, found a list");
	/* Missing required keys. */
	yaml_fails("substrate:\n  links:\n    - {a: h1}\n",
		   "t.yaml:3:7: substrate.links[0]: missing key \"b\"");
	yaml_fails("tenants:\n  - name: acme\n    users:\n      - name: bob\n",
		   "t.yaml:4:9: tenants[0].users[0]: missing key \"role\"");
	/* Bad enums. */
	yaml_fails("tenants:\n  - name: acme\n    users: [{name: bob, role: root}]\n",
		   "t.yaml:3:31: tenants[0].users[0].role: \"root\" is not one of viewer, operator "
		   "or admin");
	yaml_fails("service_levels:\n  gold: {minimize: speed}\n",
		   "t.yaml:2:20: service_levels.gold.minimize: \"speed\" is not one of latency, "
		   "cost, hops or loss, or a map of weights");
	yaml_fails("substrate:\n  links: [{a: h1, b: h2, state: off}]\n",
		   "t.yaml:2:33: substrate.links[0].state: \"off\" is not one of up or down");
	/* Bad ports and rule shapes. */
	yaml_fails("tenants:\n"
		   "  - name: acme\n"
		   "    networks:\n"
		   "      - name: blue\n"
		   "        security_groups:\n"
		   "          - name: web\n"
		   "            rules:\n"
		   "              - {dir: in, proto: tcp, ports: 90-80}\n",
		   "t.yaml:8:46: tenants[0].networks[0].security_groups[0].rules[0].ports: "
		   "\"90-80\" is not a port or port range (1 to 65535, or \"N-M\" with N <= M)");
	yaml_fails("tenants:\n"
		   "  - name: acme\n"
		   "    networks:\n"
		   "      - name: blue\n"
		   "        security_groups:\n"
		   "          - name: web\n"
		   "            rules:\n"
		   "              - {dir: in, proto: tcp, ports: 65536}\n",
		   "t.yaml:8:46: tenants[0].networks[0].security_groups[0].rules[0].ports: "
		   "\"65536\" is not a port or port range (1 to 65535, or \"N-M\" with N <= M)");
	yaml_fails("tenants:\n"
		   "  - name: acme\n"
		   "    networks:\n"
		   "      - name: blue\n"
		   "        security_groups:\n"
		   "          - name: web\n"
		   "            rules:\n"
		   "              - {dir: in, proto: icmp, ports: 80}\n",
		   "t.yaml:8:47: tenants[0].networks[0].security_groups[0].rules[0].ports: ports "
		   "need proto tcp or udp");
	yaml_fails("tenants:\n"
		   "  - name: acme\n"
		   "    networks:\n"
		   "      - name: blue\n"
		   "        security_groups:\n"
		   "          - name: web\n"
		   "            rules:\n"
		   "              - {dir: in, from: 10.0.0.0/8, from_group: web}\n",
		   "t.yaml:8:57: tenants[0].networks[0].security_groups[0].rules[0].from_group: "
		   "give either from or from_group, not both");
	yaml_fails("tenants:\n"
		   "  - name: acme\n"
		   "    networks:\n"
		   "      - name: blue\n"
		   "        security_groups:\n"
		   "          - name: web\n"
		   "            rules:\n"
		   "              - {dir: out, from: 10.0.0.0/8}\n",
		   "t.yaml:8:34: tenants[0].networks[0].security_groups[0].rules[0].from: a rule "
		   "with dir out takes to or to_group");
	yaml_fails("tenants:\n"
		   "  - name: acme\n"
		   "    networks:\n"
		   "      - name: blue\n"
		   "        security_groups:\n"
		   "          - name: web\n"
		   "            rules:\n"
		   "              - {dir: in, from_group: nope}\n",
		   "t.yaml:8:39: tenants[0].networks[0].security_groups[0].rules[0].from_group: "
		   "no security group \"nope\" in this network");
	/* Numbers. */
	yaml_fails(
	    "tenants: [{name: a, networks: [{name: b, vni: 1.5}]}]\n",
	    "t.yaml:1:47: tenants[0].networks[0].vni: \"1.5\" is not a valid VNI (an integer "
	    "from 1 to 16777215)");
	yaml_fails("tenants: [{name: a, networks: [{name: b, vni: 0x10}]}]\n",
		   "t.yaml:1:47: tenants[0].networks[0].vni: \"0x10\" is not a valid VNI (an "
		   "integer from 1 to 16777215)");
	yaml_fails("substrate: {links: [{a: h1, b: h2, cost: -1}]}\n",
		   "t.yaml:1:42: substrate.links[0].cost: \"-1\" is not a valid cost (an integer "
		   "from 0 to 4294967295)");
	/* Users. */
	yaml_fails("tenants:\n  - name: acme\n    users: [{name: a, role: admin}, "
		   "{name: a, role: viewer}]\n",
		   "t.yaml:3:44: tenants[0].users[1].name: duplicate user name \"a\"");
	yaml_fails("tenants:\n  - name: acme\n    users: [{name: a, role: admin, password: x, "
		   "password_hash: $argon2id$x}]\n",
		   "t.yaml:3:64: tenants[0].users[0].password_hash: give either password or "
		   "password_hash, not both");
	yaml_fails("tenants:\n  - name: acme\n    users: [{name: a, role: admin, "
		   "password_hash: \"$2b$10$abc\"}]\n",
		   "t.yaml:3:51: tenants[0].users[0].password_hash: not an argon2id hash "
		   "(\"$argon2id$...\"; a plain password goes under password)");
	/* The nesting supplies tenant and network; they may not be written. */
	yaml_fails("tenants:\n  - name: acme\n    networks:\n      - {name: blue, tenant: acme}\n",
		   "t.yaml:4:22: tenants[0].networks[0]: unknown key \"tenant\" (allowed: name, "
		   "vni, subnets, routers, security_groups, instances, routing)");
	/* Other checks on one object. */
	yaml_fails("substrate:\n  links: [{a: h1, b: h1}]\n",
		   "t.yaml:2:22: substrate.links[0].b: a link joins two different hosts");
	yaml_fails(
	    "tenants:\n"
	    "  - name: acme\n"
	    "    networks:\n"
	    "      - name: blue\n"
	    "        routers:\n"
	    "          - name: r1\n"
	    "            interfaces: [{name: Gi0 0, subnet: web, ip: 10.1.1.1}]\n",
	    "t.yaml:7:33: tenants[0].networks[0].routers[0].interfaces[0].name: \"Gi0 0\" is "
	    "not a valid interface name (letters, digits and \"/._:-\", at most 63 "
	    "characters)");
	/* Document errors come through with their position. */
	yaml_fails("a: 1\na: 2\n", "t.yaml:2:1: duplicate key \"a\"");
}

static void test_json_errors(void **state)
{
	static const struct {
		enum model_kind kind;
		const char *body;
		const char *msg;
	} cases[] = {
	    {MODEL_NETWORK, "{\"name\":\"blue\"}", "request body: missing key \"tenant\""},
	    {MODEL_NETWORK, "{\"tenant\":\"a\",\"name\":\"blue\",\"instances\":[]}",
	     "request body: unknown key \"instances\" (allowed: tenant, name, vni, subnets, "
	     "security_groups, routing)"},
	    {MODEL_ROUTER, "{\"tenant\":\"a\",\"name\":\"r1\"}",
	     "request body: missing key \"network\""},
	    {MODEL_INSTANCE,
	     "{\"tenant\":\"a\",\"network\":\"b\",\"name\":\"i\",\"subnet\":\"s\",\"host\":"
	     "\"h\",\"ip\":\"010.1.1.1\"}",
	     "request body: ip: \"010.1.1.1\" is not an IPv4 address"},
	    {MODEL_LINK, "{\"a\":\"h1\",\"b\":\"h2\",\"cost\":1.0}",
	     "request body: cost: \"1.0\" is not a valid cost (an integer from 0 to 4294967295)"},
	    {MODEL_LINK, "{\"a\":\"h1\",\"b\":\"h2\",\"cost\":\"1\"}",
	     "request body: cost: expected a number, found the string \"1\""},
	    {MODEL_TENANT,
	     "{\"name\":\"t\",\"users\":[{\"name\":\"u\",\"role\":\"admin\","
	     "\"password\":\"\"}]}",
	     "request body: users[0].password: the password is empty"},
	    {MODEL_TENANT, "{\"name\":\"t\",\"users\":{}}",
	     "request body: users: expected a list, found a map"},
	    {MODEL_HOST, "[]", "request body: expected a map, found a list"},
	    {MODEL_HOST, "{\"name\":\"h\",\"name\":\"h\"}",
	     "request body:1:18: duplicate object key near '\"name\"'"},
	    {MODEL_SERVICE_LEVEL, "{\"minimize\":\"latency\"}",
	     "request body: missing key \"name\""},
	    {MODEL_HOST, "{\"name\":\"h\",\"capabilities\":[\"a\",\"b\",\"a\"]}",
	     "request body: capabilities[2]: duplicate capability \"a\""},
	    {MODEL_HOST, "{\"name\":\"h\",\"id\":0}",
	     "request body: id: \"0\" is not a valid host id (an integer from 1 to 65535)"},
	    {MODEL_HOST, "{\"name\":\"h\",\"id\":65536}",
	     "request body: id: \"65536\" is not a valid host id (an integer from 1 to 65535)"},
	    {MODEL_HOST, "{\"name\":\"h\",\"id\":\"1\"}",
	     "request body: id: expected a number, found the string \"1\""},
	    {MODEL_HOST, "{\"name\":\"h\",\"address\":\"198.19.0\"}",
	     "request body: address: \"198.19.0\" is not an IPv4 address"},
	    {MODEL_HOST, "{\"name\":\"h\",\"address\":\"127.0.0.1\"}",
	     "request body: address: \"127.0.0.1\" is not a unicast host address (0/8, 127/8 and "
	     "224/3 are excluded)"},
	    {MODEL_HOST, "{\"name\":\"h\",\"address\":\"239.1.1.1\"}",
	     "request body: address: \"239.1.1.1\" is not a unicast host address (0/8, 127/8 and "
	     "224/3 are excluded)"},
	    {MODEL_HOST, "{\"name\":\"h\",\"vtep\":\"ovs\"}",
	     "request body: vtep: \"ovs\" is not a known VTEP (the only one is kernel)"},
	    {MODEL_HOST, "{\"name\":\"h\",\"vtep\":true}",
	     "request body: vtep: \"true\" is not a known VTEP (the only one is kernel)"},
	    {MODEL_NETWORK,
	     "{\"tenant\":\"a\",\"name\":\"n\",\"routing\":{\"paths\":[{\"from\":\"h1\","
	     "\"to\":\"h2\",\"via\":[\"h1\"]}]}}",
	     "request body: routing.paths[0].via[0]: host \"h1\" is the path's from, not a host "
	     "on the way"},
	    {MODEL_TENANT, "{\"name\":\"t\",\"quarantine\":\"true\"}",
	     "request body: quarantine: \"true\" is not true or false"},
	    {MODEL_TENANT, "{\"name\":\"t\",\"premium_quota\":1000}",
	     "request body: premium_quota: \"1000\" has no unit (b, kb, mb, gb, tb, kib, mib, gib "
	     "or tib)"},
	    {MODEL_SERVICE_LEVEL, "{\"name\":\"s\",\"minimize\":{\"cost\":-1}}",
	     "request body: minimize.cost: \"-1\" is not a valid weight (an integer from 0 to "
	     "1000000)"},
	    {MODEL_HOST, "{\"name\":\"h\",\"vendor\":\"x\"}",
	     "request body: unknown key \"vendor\" (allowed: name, id, address, capabilities, "
	     "vtep)"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct model_object *obj = (struct model_object *)1;
		char *err = codec_object_parse_json(cases[i].kind, cases[i].body,
						    strlen(cases[i].body), "request body", &obj);

		if (!err)
			fail_msg("accepted %s", cases[i].body);
		assert_string_equal(err, cases[i].msg);
		assert_null(obj);
		free(err);
	}
}

/* Host ids, underlay addresses and kernel VTEPs in the topology file. */
static void test_host_fields(void **state)
{
	const char *yaml = "substrate:\n"
			   "  hosts:\n"
			   "    - {name: h1}\n"
			   "    - {name: ext1, vtep: kernel, address: 198.18.5.1, id: 7}\n";
	const struct host *h1, *ext1;
	struct topology *t;
	char *s;

	assert_null(codec_topology_parse(yaml, strlen(yaml), "t.yaml", false, &t));
	h1 = CONTAINER_OF(find(t, MODEL_HOST, "h1"), struct host, hdr);
	ext1 = CONTAINER_OF(find(t, MODEL_HOST, "ext1"), struct host, hdr);
	/* Unallocated until the model builds them. */
	assert_int_equal(h1->id, 0);
	assert_int_equal(h1->address, 0);
	assert_false(h1->kernel_vtep);
	assert_int_equal(ext1->id, 7);
	assert_int_equal(ext1->address, 0xc6120501u);
	assert_true(ext1->kernel_vtep);
	s = round_trip(&ext1->hdr);
	assert_string_equal(s, "{\"name\":\"ext1\",\"id\":7,\"address\":\"198.18.5.1\","
			       "\"capabilities\":[],\"vtep\":\"kernel\"}");
	free(s);
	topology_destroy(t);

	yaml_fails("substrate:\n  hosts: [{name: h1, id: 70000}]\n",
		   "t.yaml:2:26: substrate.hosts[0].id: \"70000\" is not a valid host id (an "
		   "integer from 1 to 65535)");
	yaml_fails("substrate:\n  hosts: [{name: h1, vtep: linux}]\n",
		   "t.yaml:2:28: substrate.hosts[0].vtep: \"linux\" is not a known VTEP (the only "
		   "one is kernel)");
	yaml_fails("substrate:\n  hosts: [{name: h1, address: 0.1.2.3}]\n",
		   "t.yaml:2:31: substrate.hosts[0].address: \"0.1.2.3\" is not a unicast host "
		   "address (0/8, 127/8 and 224/3 are excluded)");
}

static void test_json_topology(void **state)
{
	const char *ok = "{\"substrate\":{\"hosts\":[{\"name\":\"h1\"}]},\"tenants\":[{\"name\":"
			 "\"t\",\"networks\":[{\"name\":\"n\",\"vni\":7}]}]}";
	const char *bad = "{\"tenants\":[{\"name\":\"t\",\"networks\":[{\"name\":\"n\","
			  "\"subnets\":[{\"name\":\"s\",\"cidr\":\"10.0.0.1/8\"}]}]}]}";
	struct topology *t;
	char *err;

	assert_null(codec_topology_parse(ok, strlen(ok), "request body", true, &t));
	assert_int_equal(t->n_objects, 3);
	assert_string_equal(t->objects[2]->id, "t/n");
	assert_int_equal(CONTAINER_OF(t->objects[2], struct network, hdr)->vni, 7);
	topology_destroy(t);

	err = codec_topology_parse(bad, strlen(bad), "request body", true, &t);
	assert_string_equal(err, "request body: tenants[0].networks[0].subnets[0].cidr: "
				 "\"10.0.0.1/8\" has host bits set (the prefix is 10.0.0.0/8)");
	assert_null(t);
	free(err);
}

static void test_empty_and_null(void **state)
{
	const char *nulls = "substrate:\n  hosts:\n  links: ~\nservice_levels:\ntenants:\n"
			    "  - name: t\n    users:\n    networks:\n      - name: n\n"
			    "        subnets: null\n        instances:\n";
	struct topology *t;

	assert_null(codec_topology_parse("", 0, "t.yaml", false, &t));
	assert_int_equal(t->n_objects, 0);
	topology_destroy(t);

	assert_null(codec_topology_parse(nulls, strlen(nulls), "t.yaml", false, &t));
	assert_int_equal(t->n_objects, 2);
	assert_int_equal(CONTAINER_OF(t->objects[0], struct tenant, hdr)->n_users, 0);
	assert_int_equal(CONTAINER_OF(t->objects[1], struct network, hdr)->n_subnets, 0);
	topology_destroy(t);
}

static void test_names(void **state)
{
	char long_name[80];

	assert_true(codec_name_is_valid("a"));
	assert_true(codec_name_is_valid("0"));
	assert_true(codec_name_is_valid("web-1"));
	assert_true(codec_name_is_valid("a-"));
	assert_false(codec_name_is_valid(""));
	assert_false(codec_name_is_valid(NULL));
	assert_false(codec_name_is_valid("-a"));
	assert_false(codec_name_is_valid("A"));
	assert_false(codec_name_is_valid("a_b"));
	assert_false(codec_name_is_valid("a.b"));
	assert_false(codec_name_is_valid("a b"));
	assert_false(codec_name_is_valid("a/b"));
	memset(long_name, 'x', sizeof long_name);
	long_name[63] = '\0';
	assert_true(codec_name_is_valid(long_name));
	long_name[63] = 'x';
	long_name[64] = '\0';
	assert_false(codec_name_is_valid(long_name));

	assert_string_equal(codec_role_name(ROLE_OPERATOR), "operator");
	assert_string_equal(codec_sl_metric_name(SL_MIN_HOPS), "hops");
	assert_string_equal(codec_sg_proto_name(SG_PROTO_ICMP), "icmp");
}

static void test_objects(void **state)
{
	struct topology *t = load_demo();
	struct service_level *sl;
	enum model_kind kind;
	char *key;

	key = model_object_key(find(t, MODEL_INSTANCE, "acme/blue/web1"));
	assert_string_equal(key, "/onm/instances/acme/blue/web1");
	free(key);
	key = model_object_key(find(t, MODEL_SERVICE_LEVEL, "gold"));
	assert_string_equal(key, "/onm/service_levels/gold");
	free(key);
	key = model_object_key(find(t, MODEL_LINK, "h1/h2"));
	assert_string_equal(key, "/onm/links/h1/h2");
	free(key);

	sl = CONTAINER_OF(find(t, MODEL_SERVICE_LEVEL, "gold"), struct service_level, hdr);
	sl->builtin = true;
	assert_true(model_object_is_builtin(&sl->hdr));
	assert_false(model_object_is_builtin(find(t, MODEL_HOST, "h1")));

	assert_string_equal(model_kind_name(MODEL_SERVICE_LEVEL), "service level");
	assert_string_equal(model_kind_plural(MODEL_SERVICE_LEVEL), "service_levels");
	assert_string_equal(model_kind_plural(MODEL_INSTANCE), "instances");
	assert_true(model_kind_from_string("instances", &kind));
	assert_int_equal(kind, MODEL_INSTANCE);
	assert_true(model_kind_from_string("router", &kind));
	assert_int_equal(kind, MODEL_ROUTER);
	assert_true(model_kind_from_string("service_level", &kind));
	assert_int_equal(kind, MODEL_SERVICE_LEVEL);
	assert_false(model_kind_from_string("weaves", &kind));
	assert_false(model_kind_from_string("", &kind));

	/* A topology hands out objects; slots a consumer emptied are skipped. */
	struct model_object *taken = t->objects[0];
	t->objects[0] = NULL;
	model_object_destroy(taken);
	model_object_destroy(NULL);
	topology_destroy(t);
	topology_destroy(NULL);
}

/* The keys the Route Manager reads: values in the structs, defaults, and
 * each refusal with its exact message. */
static void test_route_manager_keys(void **state)
{
	static const char yaml[] = "service_levels:\n"
				   "  bronze: {minimize: cost}\n"
				   "  w: {minimize: {latency: 1, cost: 1000000}}\n"
				   "tenants:\n"
				   "  - name: acme\n"
				   "    premium_quota: 10gb\n"
				   "    networks:\n"
				   "      - name: blue\n"
				   "      - name: red\n"
				   "        routing: {coefficients: {hops: 2.5}}\n";
	struct topology *t;
	const struct service_level *sl;
	const struct tenant *acme;
	const struct network *blue, *red;

	(void)state;
	assert_null(codec_topology_parse(yaml, strlen(yaml), "t.yaml", false, &t));
	sl = CONTAINER_OF(find(t, MODEL_SERVICE_LEVEL, "bronze"), struct service_level, hdr);
	assert_int_equal(sl->minimize, SL_MIN_COST);
	assert_int_equal(sl->w_cost, 1);
	assert_int_equal(sl->w_latency + sl->w_hops + sl->w_loss, 0);
	assert_int_equal(sl->dscp, SL_DSCP_UNSET); /* the model allocates it */
	assert_int_equal(sl->n_exclude_hosts + sl->n_exclude_links, 0);
	sl = CONTAINER_OF(find(t, MODEL_SERVICE_LEVEL, "w"), struct service_level, hdr);
	assert_int_equal(sl->minimize, SL_MIN_WEIGHTED);
	assert_int_equal(sl->w_latency, 1);
	assert_int_equal(sl->w_cost, 1000000);
	acme = CONTAINER_OF(find(t, MODEL_TENANT, "acme"), struct tenant, hdr);
	assert_int_equal(acme->premium_quota, 10000000000ull);
	assert_string_equal(acme->fallback, "silver");
	assert_false(acme->quarantine);
	blue = CONTAINER_OF(find(t, MODEL_NETWORK, "acme/blue"), struct network, hdr);
	for (int i = 0; i < SL_N_ATTRS; i++)
		assert_int_equal(blue->routing.coef_milli[i], VN_COEF_DEFAULT);
	assert_int_equal(
	    blue->routing.n_paths + blue->routing.n_prefer_hosts + blue->routing.n_avoid_hosts, 0);
	red = CONTAINER_OF(find(t, MODEL_NETWORK, "acme/red"), struct network, hdr);
	assert_int_equal(red->routing.coef_milli[SL_ATTR_HOPS], 2500);
	assert_int_equal(red->routing.coef_milli[SL_ATTR_LATENCY], 1000);
	for (size_t i = 0; i < t->n_objects; i++)
		free(round_trip(t->objects[i]));
	topology_destroy(t);

	assert_string_equal(codec_sl_metric_name(SL_MIN_LOSS), "loss");
	assert_string_equal(codec_sl_metric_name(SL_MIN_WEIGHTED), "weighted");

	/* Service levels. */
	yaml_fails("service_levels:\n  w: {minimize: weighted}\n",
		   "t.yaml:2:17: service_levels.w.minimize: \"weighted\" is not one of latency, "
		   "cost, hops or loss, or a map of weights");
	yaml_fails("service_levels:\n  w: {minimize: {latency: 0, hops: 0}}\n",
		   "t.yaml:2:17: service_levels.w.minimize: give at least one weight above 0");
	yaml_fails("service_levels:\n  w: {minimize: {}}\n",
		   "t.yaml:2:17: service_levels.w.minimize: give at least one weight above 0");
	yaml_fails(
	    "service_levels:\n  w: {minimize: {latency: 1, speed: 2}}\n",
	    "t.yaml:2:30: service_levels.w.minimize: unknown key \"speed\" (allowed: latency, "
	    "cost, hops, loss)");
	yaml_fails("service_levels:\n  w: {minimize: {loss: 1000001}}\n",
		   "t.yaml:2:24: service_levels.w.minimize.loss: \"1000001\" is not a valid weight "
		   "(an integer from 0 to 1000000)");
	yaml_fails("service_levels:\n  w: {minimize: {cost: 0.5}}\n",
		   "t.yaml:2:24: service_levels.w.minimize.cost: \"0.5\" is not a valid weight (an "
		   "integer from 0 to 1000000)");
	yaml_fails(
	    "service_levels:\n  w: {minimize: cost, dscp: 64}\n",
	    "t.yaml:2:29: service_levels.w.dscp: \"64\" is not a valid DSCP (an integer from 0 "
	    "to 63)");
	yaml_fails(
	    "service_levels:\n  w: {minimize: cost, dscp: ef}\n",
	    "t.yaml:2:29: service_levels.w.dscp: \"ef\" is not a valid DSCP (an integer from 0 "
	    "to 63)");
	yaml_fails("service_levels:\n  w: {minimize: cost, exclude_hosts: [h1, h2, h1]}\n",
		   "t.yaml:2:47: service_levels.w.exclude_hosts[2]: duplicate host \"h1\"");
	yaml_fails(
	    "service_levels:\n  w: {minimize: cost, exclude_links: [h1-h2]}\n",
	    "t.yaml:2:39: service_levels.w.exclude_links[0]: \"h1-h2\" is not a link (\"A/B\", "
	    "two host names)");
	yaml_fails("service_levels:\n  w: {minimize: cost, exclude_links: [h1/h2/h3]}\n",
		   "t.yaml:2:39: service_levels.w.exclude_links[0]: \"h1/h2/h3\" is not a link "
		   "(\"A/B\", two host names)");
	yaml_fails(
	    "service_levels:\n  w: {minimize: cost, exclude_links: [h1/h1]}\n",
	    "t.yaml:2:39: service_levels.w.exclude_links[0]: \"h1/h1\" is not a link (a link "
	    "joins two different hosts)");
	yaml_fails("service_levels:\n  w: {minimize: cost, exclude_links: [h1/h2, h2/h1]}\n",
		   "t.yaml:2:46: service_levels.w.exclude_links[1]: duplicate link \"h1/h2\"");
	yaml_fails("service_levels:\n  w: {minimize: cost, exclude_links: h1/h2}\n",
		   "t.yaml:2:38: service_levels.w.exclude_links: expected a list, found \"h1/h2\"");

	/* Tenants. */
	yaml_fails("tenants:\n  - {name: a, premium_quota: 10 gb}\n",
		   "t.yaml:2:30: tenants[0].premium_quota: \"10 gb\" is not a size (a number and a "
		   "unit: b, kb, mb, gb, tb, kib, mib, gib or tib)");
	yaml_fails(
	    "tenants:\n  - {name: a, premium_quota: 10gbit}\n",
	    "t.yaml:2:30: tenants[0].premium_quota: \"10gbit\" has an unknown unit (expected "
	    "b, kb, mb, gb, tb, kib, mib, gib or tib)");
	yaml_fails("tenants:\n  - {name: a, premium_quota: 0gb}\n",
		   "t.yaml:2:30: tenants[0].premium_quota: \"0gb\" is zero (a quota must be more "
		   "than 0; leave premium_quota out for none)");
	yaml_fails("tenants:\n  - {name: a, premium_quota: 0.5b}\n",
		   "t.yaml:2:30: tenants[0].premium_quota: \"0.5b\" is finer than 1b");
	yaml_fails("tenants:\n  - {name: a, fallback: bronze}\n",
		   "t.yaml:2:25: tenants[0].fallback: a fallback needs a premium_quota (it is the "
		   "service level once the quota is used up)");
	yaml_fails("tenants:\n  - {name: a, service_level: bronze, premium_quota: 1gb, fallback: "
		   "bronze}\n",
		   "t.yaml:2:68: tenants[0].fallback: the fallback \"bronze\" is the tenant's own "
		   "service level");
	yaml_fails("tenants:\n  - {name: a, service_level: silver, premium_quota: 1gb}\n",
		   "t.yaml:2:53: tenants[0].premium_quota: the fallback \"silver\" is the tenant's "
		   "own service level (silver unless given: name another under fallback)");
	yaml_fails("tenants:\n  - {name: a, quarantine: yes}\n",
		   "t.yaml:2:27: tenants[0].quarantine: \"yes\" is not true or false");
	yaml_fails("tenants:\n  - {name: a, quarantine: \"true\"}\n",
		   "t.yaml:2:27: tenants[0].quarantine: \"true\" is not true or false");
	yaml_fails("tenants:\n  - {name: a, quarantine: [true]}\n",
		   "t.yaml:2:27: tenants[0].quarantine: expected true or false, found a list");

	/* Routing of a network. */
#define ROUTING(R) "tenants:\n  - name: a\n    networks:\n      - name: n\n        routing: " R "\n"
	yaml_fails(ROUTING("{paths: [], weights: {}}"),
		   "t.yaml:5:30: tenants[0].networks[0].routing: unknown key \"weights\" (allowed: "
		   "coefficients, paths, prefer_hosts, avoid_hosts)");
	yaml_fails(ROUTING("[]"),
		   "t.yaml:5:18: tenants[0].networks[0].routing: expected a map, found a list");
	yaml_fails(
	    ROUTING("{coefficients: {latency: 0.0005}}"),
	    "t.yaml:5:43: tenants[0].networks[0].routing.coefficients.latency: \"0.0005\" is "
	    "not a valid coefficient (a number from 0 to 1000 with at most 3 decimals)");
	yaml_fails(ROUTING("{coefficients: {cost: -1}}"),
		   "t.yaml:5:40: tenants[0].networks[0].routing.coefficients.cost: \"-1\" is not a "
		   "valid coefficient (a number from 0 to 1000 with at most 3 decimals)");
	yaml_fails(ROUTING("{coefficients: {cost: 1000.001}}"),
		   "t.yaml:5:40: tenants[0].networks[0].routing.coefficients.cost: \"1000.001\" is "
		   "not a valid coefficient (a number from 0 to 1000 with at most 3 decimals)");
	yaml_fails(ROUTING("{coefficients: {bandwidth: 2}}"),
		   "t.yaml:5:34: tenants[0].networks[0].routing.coefficients: unknown key "
		   "\"bandwidth\" (allowed: latency, cost, hops, loss)");
	yaml_fails(ROUTING("{paths: [{from: h1, to: h1, via: [h2]}]}"),
		   "t.yaml:5:42: tenants[0].networks[0].routing.paths[0].to: a path joins two "
		   "different hosts");
	yaml_fails(ROUTING("{paths: [{from: h1, to: h3}]}"),
		   "t.yaml:5:27: tenants[0].networks[0].routing.paths[0]: missing key \"via\"");
	yaml_fails(ROUTING("{paths: [{from: h1, to: h3, via: []}]}"),
		   "t.yaml:5:51: tenants[0].networks[0].routing.paths[0].via: a path goes through "
		   "at least one host (without one, give no path)");
	yaml_fails(ROUTING("{paths: [{from: h1, to: h3, via: [h2, h4, h2]}]}"),
		   "t.yaml:5:60: tenants[0].networks[0].routing.paths[0].via[2]: duplicate host "
		   "\"h2\"");
	yaml_fails(
	    ROUTING("{paths: [{from: h1, to: h3, via: [h2, h1]}]}"),
	    "t.yaml:5:56: tenants[0].networks[0].routing.paths[0].via[1]: host \"h1\" is the "
	    "path's from, not a host on the way");
	yaml_fails(
	    ROUTING("{paths: [{from: h1, to: h3, via: [h3]}]}"),
	    "t.yaml:5:52: tenants[0].networks[0].routing.paths[0].via[0]: host \"h3\" is the "
	    "path's to, not a host on the way");
	yaml_fails(ROUTING("{paths: [{from: h1, to: h3, via: [h2]}, {from: h3, to: h1, via: [h2]},"
			   " {from: h1, to: h3, via: [h4]}]}"),
		   "t.yaml:5:89: tenants[0].networks[0].routing.paths[2]: a second path from "
		   "\"h1\" to \"h3\" (one path per from and to)");
	yaml_fails(ROUTING("{prefer_hosts: [h1, h2], avoid_hosts: [h3, h2]}"),
		   "t.yaml:5:61: tenants[0].networks[0].routing.avoid_hosts[1]: host \"h2\" is "
		   "also in prefer_hosts");
	yaml_fails(ROUTING("{prefer_hosts: [h1, H2]}"),
		   "t.yaml:5:38: tenants[0].networks[0].routing.prefer_hosts[1]: \"H2\" is not a "
		   "valid name ([a-z0-9][a-z0-9-]*, at most 63 characters)");
#undef ROUTING
}

/* Test keys made with ssh-keygen (public halves only). */
#define KEY_ED25519                                                                                \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDJ0Lo/B/5m8ymy8p6F7KCYiJ+gbrmhNvxj6laxeZcv8 "        \
	"alice@laptop"
#define KEY_ECDSA                                                                                  \
	"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBK+oN7oSkm8CIYW+" \
	"Fa9E4W8GfKouOK5h929oDsr4dvz2G/8307sNpu8Rh6ocPKXs5H+k3foQfvghF+bVTAWENJ4="

/* The router keys of issue 5: interface shutdown, description, shape and
 * access groups; redirects; access lists. Values, defaults, canonical
 * text and the round trip. */
static void test_router_features(void **state)
{
	static const char yaml[] =
	    "tenants:\n"
	    "  - name: acme\n"
	    "    networks:\n"
	    "      - name: blue\n"
	    "        routers:\n"
	    "          - name: r1\n"
	    "            interfaces:\n"
	    "              - {name: Gi0/0, subnet: web, ip: 10.1.1.1, shutdown: true,\n"
	    "                 description: \"to the web tier\", shape: 10mbit,\n"
	    "                 access_group_in: WEB-IN, access_group_out: web_out}\n"
	    "              - {name: Gi0/1, subnet: db, ip: 10.1.2.1, shutdown: false}\n"
	    "            redirects:\n"
	    "              - {from: 10.1.2.99, to: 10.1.2.10}\n"
	    "              - {from: 10.1.2.98, to: 10.1.2.10}\n"
	    "            access_lists:\n"
	    "              - name: WEB-IN\n"
	    "                rules:\n"
	    "                  - {action: permit, proto: tcp, src: any, dst: 10.1.2.0/24, port: "
	    "80}\n"
	    "                  - {action: permit, proto: icmp, src: 10.1.1.0/24, dst: any}\n"
	    "                  - {action: deny, proto: udp, src: 10.1.1.7, dst: 10.1.2.5/32}\n"
	    "                  - {action: deny, proto: ip}\n"
	    "              - {name: web_out}\n";
	struct topology *t;
	const struct router *r;
	const struct router_interface *ifc;
	const struct router_acl *acl;
	char *s;

	(void)state;
	assert_null(codec_topology_parse(yaml, strlen(yaml), "t.yaml", false, &t));
	r = CONTAINER_OF(find(t, MODEL_ROUTER, "acme/blue/r1"), struct router, hdr);
	assert_int_equal(r->n_interfaces, 2);
	ifc = &r->interfaces[0];
	assert_true(ifc->shutdown);
	assert_string_equal(ifc->description, "to the web tier");
	assert_int_equal(ifc->shape_bps, 10000000);
	assert_string_equal(ifc->acl_in, "WEB-IN");
	assert_string_equal(ifc->acl_out, "web_out");
	ifc = &r->interfaces[1];
	assert_false(ifc->shutdown);
	assert_null(ifc->description);
	assert_int_equal(ifc->shape_bps, 0);
	assert_null(ifc->acl_in);
	assert_null(ifc->acl_out);

	assert_int_equal(r->n_redirects, 2);
	assert_ip(r->redirects[0].from, "10.1.2.99");
	assert_ip(r->redirects[0].to, "10.1.2.10");
	assert_int_equal(r->redirects[1].pos.line, 14);
	assert_int_equal(r->redirects[1].pos.column, 17);

	assert_int_equal(r->n_acls, 2);
	acl = &r->acls[0];
	assert_string_equal(acl->name, "WEB-IN");
	assert_int_equal(acl->pos.line, 16);
	assert_int_equal(acl->n_rules, 4);
	assert_int_equal(acl->rules[0].action, ACL_PERMIT);
	assert_int_equal(acl->rules[0].proto, SG_PROTO_TCP);
	assert_prefix(&acl->rules[0].src, "0.0.0.0/0");
	assert_prefix(&acl->rules[0].dst, "10.1.2.0/24");
	assert_int_equal(acl->rules[0].port, 80);
	assert_int_equal(acl->rules[0].pos.line, 18);
	assert_int_equal(acl->rules[1].proto, SG_PROTO_ICMP);
	assert_prefix(&acl->rules[1].src, "10.1.1.0/24");
	assert_int_equal(acl->rules[1].port, 0);
	assert_int_equal(acl->rules[2].action, ACL_DENY);
	assert_prefix(&acl->rules[2].src, "10.1.1.7/32");
	assert_prefix(&acl->rules[2].dst, "10.1.2.5/32");
	/* 'ip' is any protocol; src and dst default to any. */
	assert_int_equal(acl->rules[3].proto, SG_PROTO_ANY);
	assert_prefix(&acl->rules[3].src, "0.0.0.0/0");
	assert_prefix(&acl->rules[3].dst, "0.0.0.0/0");
	assert_string_equal(r->acls[1].name, "web_out");
	assert_int_equal(r->acls[1].n_rules, 0);
	assert_ptr_equal(router_find_acl(r, "web_out"), &r->acls[1]);
	assert_null(router_find_acl(r, "WEB-OUT"));
	assert_null(router_find_acl(r, NULL));

	s = round_trip(&r->hdr);
	assert_string_equal(
	    s, "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\",\"interfaces\":["
	       "{\"name\":\"Gi0/0\",\"subnet\":\"web\",\"ip\":\"10.1.1.1\",\"shutdown\":true,"
	       "\"description\":\"to the web tier\",\"shape\":\"10mbit\",\"access_group_in\":"
	       "\"WEB-IN\",\"access_group_out\":\"web_out\"},{\"name\":\"Gi0/1\",\"subnet\":"
	       "\"db\",\"ip\":\"10.1.2.1\"}],\"routes\":[],\"redirects\":[{\"from\":\"10.1.2.99\","
	       "\"to\":\"10.1.2.10\"},{\"from\":\"10.1.2.98\",\"to\":\"10.1.2.10\"}],"
	       "\"access_lists\":[{\"name\":\"WEB-IN\",\"rules\":[{\"action\":\"permit\","
	       "\"proto\":\"tcp\",\"src\":\"any\",\"dst\":\"10.1.2.0/24\",\"port\":80},"
	       "{\"action\":\"permit\",\"proto\":\"icmp\",\"src\":\"10.1.1.0/24\",\"dst\":\"any\"},"
	       "{\"action\":\"deny\",\"proto\":\"udp\",\"src\":\"10.1.1.7\",\"dst\":\"10.1.2.5\"},"
	       "{\"action\":\"deny\",\"proto\":\"ip\",\"src\":\"any\",\"dst\":\"any\"}]},"
	       "{\"name\":\"web_out\",\"rules\":[]}]}");
	free(s);
	topology_destroy(t);

	assert_string_equal(codec_acl_proto_name(SG_PROTO_ANY), "ip");
	assert_string_equal(codec_acl_proto_name(SG_PROTO_UDP), "udp");
	assert_string_equal(codec_acl_action_name(ACL_DENY), "deny");
	assert_string_equal(codec_user_style_name(USER_STYLE_JUNOS), "junos");
}

/* The user keys of issue 5: public keys, style, exec timeout, aliases. */
static void test_user_features(void **state)
{
	static const char yaml[] =
	    "tenants:\n"
	    "  - name: acme\n"
	    "    users:\n"
	    "      - {name: alice, role: admin, password: pw,\n"
	    "         public_keys: [\"" KEY_ED25519 "\", \"" KEY_ECDSA "\"],\n"
	    "         style: junos, exec_timeout: 90s,\n"
	    "         aliases: [{name: sr, command: \"show ip route\"}, {name: s-1, command: "
	    "\"show version | include uptime\"}]}\n"
	    "      - {name: bob, role: viewer, exec_timeout: 0}\n"
	    "      - {name: carol, role: viewer, style: ios, exec_timeout: 10m, public_keys: [],"
	    " aliases: []}\n"
	    "      - {name: dave, role: viewer, exec_timeout: 120m}\n";
	struct topology *t;
	const struct tenant *acme;
	const struct user *u;
	char *s;

	(void)state;
	assert_null(codec_topology_parse(yaml, strlen(yaml), "t.yaml", false, &t));
	acme = CONTAINER_OF(find(t, MODEL_TENANT, "acme"), struct tenant, hdr);
	assert_int_equal(acme->n_users, 4);
	u = &acme->users[0];
	assert_int_equal(u->n_public_keys, 2);
	assert_string_equal(u->public_keys[0], KEY_ED25519);
	assert_string_equal(u->public_keys[1], KEY_ECDSA);
	assert_int_equal(u->style, USER_STYLE_JUNOS);
	assert_int_equal(u->exec_timeout_s, 90);
	assert_int_equal(u->n_aliases, 2);
	assert_string_equal(u->aliases[0].name, "sr");
	assert_string_equal(u->aliases[0].command, "show ip route");
	assert_string_equal(u->aliases[1].name, "s-1");
	u = &acme->users[1];
	assert_int_equal(u->exec_timeout_s, 0);
	assert_int_equal(u->style, USER_STYLE_IOS);
	assert_int_equal(u->n_public_keys + u->n_aliases, 0);
	/* Defaults, given or not, are left out of the canonical text. */
	u = &acme->users[2];
	assert_int_equal(u->exec_timeout_s, USER_EXEC_TIMEOUT_DEFAULT_S);
	assert_int_equal(acme->users[3].exec_timeout_s, 7200);

	s = round_trip(&acme->hdr);
	assert_string_equal(
	    s, "{\"name\":\"acme\",\"service_level\":\"gold\",\"users\":[{\"name\":\"alice\","
	       "\"role\":\"admin\",\"public_keys\":[\"" KEY_ED25519 "\",\"" KEY_ECDSA "\"],"
	       "\"style\":\"junos\",\"exec_timeout\":\"90s\",\"aliases\":[{\"name\":\"sr\","
	       "\"command\":\"show ip route\"},{\"name\":\"s-1\",\"command\":"
	       "\"show version | include uptime\"}]},{\"name\":\"bob\",\"role\":\"viewer\","
	       "\"exec_timeout\":\"0\"},{\"name\":\"carol\",\"role\":\"viewer\"},{\"name\":"
	       "\"dave\",\"role\":\"viewer\",\"exec_timeout\":\"2h\"}]}");
	free(s);
	/* Public keys are no secret: the API shows them. */
	json_t *j = codec_object_to_json(&acme->hdr, true);
	assert_int_equal(json_array_size(json_object_get(
			     json_array_get(json_object_get(j, "users"), 0), "public_keys")),
			 2);
	json_decref(j);
	topology_destroy(t);

	/* A flat tenant without the keys gets the defaults too. */
	static const char body[] = "{\"name\":\"t1\",\"users\":[{\"name\":\"u\",\"role\":"
				   "\"admin\",\"exec_timeout\":\"1h\"},{\"name\":\"v\",\"role\":"
				   "\"admin\"}]}";
	struct model_object *obj;

	assert_null(codec_object_parse_json(MODEL_TENANT, body, strlen(body), "body", &obj));
	assert_int_equal(CONTAINER_OF(obj, struct tenant, hdr)->users[0].exec_timeout_s, 3600);
	assert_int_equal(CONTAINER_OF(obj, struct tenant, hdr)->users[1].exec_timeout_s, 600);
	s = round_trip(obj);
	assert_string_equal(s, "{\"name\":\"t1\",\"service_level\":\"gold\",\"users\":[{\"name\":"
			       "\"u\",\"role\":\"admin\",\"exec_timeout\":\"1h\"},{\"name\":\"v\","
			       "\"role\":\"admin\"}]}");
	free(s);
	model_object_destroy(obj);
}

/* A tenant's 'snmp' key: communities and trap receivers, written only
 * when set (a tenant without it keeps its canonical text), and its errors. */
static void test_tenant_snmp(void **state)
{
	static const char yaml[] =
	    "tenants:\n"
	    "  - name: acme\n"
	    "    snmp: {ro_community: pub-1, rw_community: \"s3cr#t!\",\n"
	    "           trap_receivers: [\"127.0.0.1:1162\", \"10.0.0.9:162\"]}\n"
	    "  - {name: hooli, snmp: {}}\n"
	    "  - {name: initech, snmp: {ro_community: ro}}\n";
	static const char body[] = "{\"snmp\":{\"trap_receivers\":[\"1.2.3.4:99\"],"
				   "\"rw_community\":\"w\"},\"name\":\"t1\"}";
	const struct tenant *t;
	struct model_object *obj;
	struct topology *topo;
	char *s;

	(void)state;
	assert_null(codec_topology_parse(yaml, strlen(yaml), "t.yaml", false, &topo));
	t = CONTAINER_OF(find(topo, MODEL_TENANT, "acme"), struct tenant, hdr);
	assert_string_equal(t->snmp.ro_community, "pub-1");
	assert_string_equal(t->snmp.rw_community, "s3cr#t!");
	assert_int_equal(t->snmp.n_trap_receivers, 2);
	assert_int_equal(t->snmp.trap_receivers[0].ip, 0x7f000001);
	assert_int_equal(t->snmp.trap_receivers[0].port, 1162);
	assert_int_equal(t->snmp.trap_receivers[1].port, 162);
	s = round_trip(&t->hdr);
	assert_string_equal(s, "{\"name\":\"acme\",\"service_level\":\"gold\",\"users\":[],"
			       "\"snmp\":{\"ro_community\":\"pub-1\",\"rw_community\":"
			       "\"s3cr#t!\",\"trap_receivers\":[\"127.0.0.1:1162\","
			       "\"10.0.0.9:162\"]}}");
	free(s);
	t = CONTAINER_OF(find(topo, MODEL_TENANT, "hooli"), struct tenant, hdr);
	s = round_trip(&t->hdr);
	assert_string_equal(s, "{\"name\":\"hooli\",\"service_level\":\"gold\",\"users\":[]}");
	free(s);
	t = CONTAINER_OF(find(topo, MODEL_TENANT, "initech"), struct tenant, hdr);
	assert_null(t->snmp.rw_community);
	s = round_trip(&t->hdr);
	assert_string_equal(s, "{\"name\":\"initech\",\"service_level\":\"gold\",\"users\":[],"
			       "\"snmp\":{\"ro_community\":\"ro\"}}");
	free(s);
	topology_destroy(topo);

	assert_null(codec_object_parse_json(MODEL_TENANT, body, strlen(body), "body", &obj));
	s = round_trip(obj);
	assert_string_equal(s, "{\"name\":\"t1\",\"service_level\":\"gold\",\"users\":[],"
			       "\"snmp\":{\"rw_community\":\"w\",\"trap_receivers\":["
			       "\"1.2.3.4:99\"]}}");
	free(s);
	model_object_destroy(obj);

	yaml_fails("tenants:\n  - {name: a, snmp: {ro_community: \"a@b\"}}\n",
		   "t.yaml:2:36: tenants[0].snmp.ro_community: is not a valid community (1 to "
		   "64 printable characters, no space and no '@')");
	yaml_fails("tenants:\n  - {name: a, snmp: {rw_community: \"a b\"}}\n",
		   "t.yaml:2:36: tenants[0].snmp.rw_community: is not a valid community (1 to "
		   "64 printable characters, no space and no '@')");
	yaml_fails("tenants:\n  - {name: a, snmp: {ro_community: x, rw_community: x}}\n",
		   "t.yaml:2:53: tenants[0].snmp.rw_community: is the ro_community (the "
		   "community says the access)");
	yaml_fails("tenants:\n  - {name: a, snmp: {trap_receivers: [\"1.2.3.4\"]}}\n",
		   "t.yaml:2:39: tenants[0].snmp.trap_receivers[0]: \"1.2.3.4\" is not a trap "
		   "receiver (\"A.B.C.D:PORT\", port 1 to 65535)");
	yaml_fails("tenants:\n  - {name: a, snmp: {trap_receivers: [\"1.2.3.4:0\"]}}\n",
		   "t.yaml:2:39: tenants[0].snmp.trap_receivers[0]: \"1.2.3.4:0\" is not a trap "
		   "receiver (\"A.B.C.D:PORT\", port 1 to 65535)");
	yaml_fails("tenants:\n  - {name: a, snmp: {trap_receivers: [\"1.2.3.4:9\", "
		   "\"1.2.3.4:9\"]}}\n",
		   "t.yaml:2:52: tenants[0].snmp.trap_receivers[1]: \"1.2.3.4:9\" is listed "
		   "twice");
	yaml_fails("tenants:\n  - {name: a, snmp: {community: x}}\n",
		   "t.yaml:2:22: tenants[0].snmp: unknown key \"community\" (allowed: "
		   "ro_community, rw_community, trap_receivers)");
}

/* The syntax checks shared with the model (model.h). */
static void test_feature_syntax(void **state)
{
	static const char *const good_keys[] = {
	    KEY_ED25519,
	    KEY_ECDSA,
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDJ0Lo/B/5m8ymy8p6F7KCYiJ+gbrmhNvxj6laxeZcv8",
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDJ0Lo/B/5m8ymy8p6F7KCYiJ+gbrmhNvxj6laxeZcv8 a b "
	    "c",
	    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 x",
	};
	static const char *const bad_keys[] = {
	    "",
	    "ssh-ed25519",
	    "ssh-ed25519 ",
	    /* Valid base64 of another type's blob. */
	    "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIDJ0Lo/B/5m8ymy8p6F7KCYiJ+gbrmhNvxj6laxeZcv8",
	    "ssh-dss AAAAB3NzaC1kc3MAAACBAP",
	    /* Not base64, cut, padded wrong. */
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDJ0Lo/B/5m8ymy8p6F7KCYiJ+gbrmhNvxj6laxeZcv",
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDJ0Lo/B/5m8ymy8p6F7KCYiJ+gbrmhNvxj6laxeZc!8",
	    "ssh-ed25519  AAAAC3NzaC1lZDI1NTE5AAAAIDJ0Lo/B/5m8ymy8p6F7KCYiJ+gbrmhNvxj6laxeZcv8",
	    "ssh-ed25519 AAAA",
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDJ0Lo/B/5m8ymy8p6F7KCYiJ+gbrmhNvxj6laxeZcv8\tx",
	    "ssh-ed25519\tAAAAC3NzaC1lZDI1NTE5AAAAIDJ0Lo/B/5m8ymy8p6F7KCYiJ+gbrmhNvxj6laxeZcv8",
	    "AAAAC3NzaC1lZDI1NTE5AAAAIDJ0Lo/B/5m8ymy8p6F7KCYiJ+gbrmhNvxj6laxeZcv8",
	};

	(void)state;
	for (size_t i = 0; i < sizeof good_keys / sizeof good_keys[0]; i++)
		if (!model_public_key_is_valid(good_keys[i]))
			fail_msg("refused: %s", good_keys[i]);
	for (size_t i = 0; i < sizeof bad_keys / sizeof bad_keys[0]; i++)
		if (model_public_key_is_valid(bad_keys[i]))
			fail_msg("accepted: %s", bad_keys[i]);
	assert_false(model_public_key_is_valid(NULL));

	assert_true(model_acl_name_is_valid("WEB-IN_2"));
	assert_true(model_acl_name_is_valid("1"));
	assert_false(model_acl_name_is_valid(""));
	assert_false(model_acl_name_is_valid("WEB IN"));
	assert_false(model_acl_name_is_valid("web.in"));
	assert_true(model_acl_name_is_valid("A123456789012345678901234567890123456789012345678901"
					    "234567890123"));
	assert_false(model_acl_name_is_valid("A123456789012345678901234567890123456789012345678901"
					     "2345678901234"));
	assert_true(model_alias_name_is_valid("sr"));
	assert_true(model_alias_name_is_valid("-x"));
	assert_false(model_alias_name_is_valid("Sr"));
	assert_false(model_alias_name_is_valid("s_r"));
	assert_false(model_alias_name_is_valid(""));
	assert_true(model_text_is_printable(" ~", 2));
	assert_false(model_text_is_printable("abc", 2));
	assert_false(model_text_is_printable("", 2));
	assert_false(model_text_is_printable("a\tb", 5));
	assert_false(model_text_is_printable("caf\xc3\xa9", 10));
}

/* Each new key's refusals, with the exact position and wording. */
static void test_feature_errors(void **state)
{
	(void)state;
#define IFACE(X)                                                                                   \
	"tenants:\n  - name: a\n    networks:\n      - name: n\n        routers:\n"                \
	"          - name: r\n            interfaces:\n              - {name: e0, subnet: s, ip: " \
	"10.0.0.1, " X "}\n"
	yaml_fails(IFACE("shutdown: yes"),
		   "t.yaml:8:63: tenants[0].networks[0].routers[0].interfaces[0].shutdown: \"yes\" "
		   "is not true or false");
	yaml_fails(IFACE("description: \"\""),
		   "t.yaml:8:66: tenants[0].networks[0].routers[0].interfaces[0].description: is "
		   "empty (leave the key out instead)");
	yaml_fails(IFACE("description: \"tab\\there\""),
		   "t.yaml:8:66: tenants[0].networks[0].routers[0].interfaces[0].description: "
		   "\"tab\\there\" has a character outside printable ASCII");
	yaml_fails(IFACE("description: [x]"),
		   "t.yaml:8:66: tenants[0].networks[0].routers[0].interfaces[0].description: "
		   "expected a string, found a list");
	yaml_fails(IFACE("shape: 10mbps"),
		   "t.yaml:8:60: tenants[0].networks[0].routers[0].interfaces[0].shape: \"10mbps\" "
		   "has an unknown unit (expected bit, kbit, mbit, gbit or tbit)");
	yaml_fails(IFACE("shape: 0mbit"),
		   "t.yaml:8:60: tenants[0].networks[0].routers[0].interfaces[0].shape: \"0mbit\" "
		   "is zero (a rate must be more than 0)");
	yaml_fails(IFACE("access_group_in: \"WEB IN\""),
		   "t.yaml:8:70: tenants[0].networks[0].routers[0].interfaces[0].access_group_in: "
		   "\"WEB IN\" is not a valid access list name ([A-Za-z0-9_-], at most 64 "
		   "characters)");
	yaml_fails(IFACE("access_group_out: WEB"),
		   "t.yaml:8:71: tenants[0].networks[0].routers[0].interfaces[0].access_group_out: "
		   "no access list \"WEB\" in this router's access_lists");
	yaml_fails(IFACE("acl_in: WEB"),
		   "t.yaml:8:53: tenants[0].networks[0].routers[0].interfaces[0]: unknown key "
		   "\"acl_in\" (allowed: name, subnet, ip, shutdown, description, shape, "
		   "access_group_in, access_group_out)");
#undef IFACE
	{
		/* 241 printable characters. */
		char desc[242], *yaml;

		memset(desc, 'x', 241);
		desc[241] = '\0';
		yaml = xasprintf(
		    "tenants:\n  - name: a\n    networks:\n      - name: n\n"
		    "        routers:\n          - name: r\n            interfaces:\n"
		    "              - {name: e0, subnet: s, ip: 10.0.0.1, description: %s}\n",
		    desc);
		yaml_fails(yaml, "t.yaml:8:66: tenants[0].networks[0].routers[0].interfaces[0]."
				 "description: is longer than 240 characters");
		free(yaml);
	}

#define ROUTER(X)                                                                                  \
	"tenants:\n  - name: a\n    networks:\n      - name: n\n        routers:\n"                \
	"          - name: r\n            " X "\n"
	yaml_fails(ROUTER("redirects: [{from: 10.0.0.9, to: 10.0.0.9}]"),
		   "t.yaml:7:46: tenants[0].networks[0].routers[0].redirects[0].to: a redirect's "
		   "to must differ from its from");
	yaml_fails(ROUTER("redirects: [{from: 10.0.0.9}]"),
		   "t.yaml:7:25: tenants[0].networks[0].routers[0].redirects[0]: missing key "
		   "\"to\"");
	yaml_fails(ROUTER("redirects: [{from: 10.0.0.9/32, to: 10.0.0.1}]"),
		   "t.yaml:7:32: tenants[0].networks[0].routers[0].redirects[0].from: "
		   "\"10.0.0.9/32\" is not an IPv4 address");
	yaml_fails(ROUTER("redirects: [{from: 10.0.0.9, to: 10.0.0.1}, {from: 10.0.0.8, to: "
			  "10.0.0.1}, {from: 10.0.0.9, to: 10.0.0.2}]"),
		   "t.yaml:7:96: tenants[0].networks[0].routers[0].redirects[2].from: "
		   "\"10.0.0.9\" is redirected twice");
	yaml_fails(ROUTER("redirects: {from: 10.0.0.9, to: 10.0.0.1}"),
		   "t.yaml:7:24: tenants[0].networks[0].routers[0].redirects: expected a list, "
		   "found a map");
	yaml_fails(ROUTER("access_lists: [{name: A}, {name: B}, {name: A}]"),
		   "t.yaml:7:57: tenants[0].networks[0].routers[0].access_lists[2].name: duplicate "
		   "access list name \"A\"");
	yaml_fails(ROUTER("access_lists: [{rules: []}]"),
		   "t.yaml:7:28: tenants[0].networks[0].routers[0].access_lists[0]: missing key "
		   "\"name\"");
	yaml_fails(
	    ROUTER("access_lists: [{name: A, rules: [{action: allow, proto: ip}]}]"),
	    "t.yaml:7:55: tenants[0].networks[0].routers[0].access_lists[0].rules[0].action: "
	    "\"allow\" is not one of permit or deny");
	yaml_fails(
	    ROUTER("access_lists: [{name: A, rules: [{action: deny}]}]"),
	    "t.yaml:7:46: tenants[0].networks[0].routers[0].access_lists[0].rules[0]: missing "
	    "key \"proto\"");
	yaml_fails(ROUTER("access_lists: [{name: A, rules: [{action: deny, proto: any}]}]"),
		   "t.yaml:7:68: tenants[0].networks[0].routers[0].access_lists[0].rules[0].proto: "
		   "\"any\" is not one of ip, tcp, udp or icmp");
	yaml_fails(
	    ROUTER("access_lists: [{name: A, rules: [{action: deny, proto: icmp, port: 7}]}]"),
	    "t.yaml:7:80: tenants[0].networks[0].routers[0].access_lists[0].rules[0].port: "
	    "a port needs proto tcp or udp");
	yaml_fails(
	    ROUTER("access_lists: [{name: A, rules: [{action: deny, proto: tcp, port: 0}]}]"),
	    "t.yaml:7:79: tenants[0].networks[0].routers[0].access_lists[0].rules[0].port: "
	    "\"0\" is not a valid port (an integer from 1 to 65535)");
	yaml_fails(
	    ROUTER("access_lists: [{name: A, rules: [{action: deny, proto: tcp, port: \"80\"}]}]"),
	    "t.yaml:7:79: tenants[0].networks[0].routers[0].access_lists[0].rules[0].port: "
	    "expected a number, found the string \"80\"");
	yaml_fails(
	    ROUTER(
		"access_lists: [{name: A, rules: [{action: deny, proto: ip, src: 10.0.0.1/8}]}]"),
	    "t.yaml:7:77: tenants[0].networks[0].routers[0].access_lists[0].rules[0].src: "
	    "\"10.0.0.1/8\" has host bits set (the prefix is 10.0.0.0/8)");
	yaml_fails(
	    ROUTER("access_lists: [{name: A, rules: [{action: deny, proto: ip, dst: host}]}]"),
	    "t.yaml:7:77: tenants[0].networks[0].routers[0].access_lists[0].rules[0].dst: "
	    "\"host\" is not an address, a prefix (A.B.C.D/LEN) or any");
	yaml_fails(
	    ROUTER("access_lists: [{name: A, rules: [{action: deny, proto: ip, dport: 1}]}]"),
	    "t.yaml:7:72: tenants[0].networks[0].routers[0].access_lists[0].rules[0]: "
	    "unknown key \"dport\" (allowed: action, proto, src, dst, port)");
#undef ROUTER

#define USER(X) "tenants:\n  - name: a\n    users:\n      - {name: u, role: admin, " X "}\n"
	yaml_fails(
	    USER("public_keys: [\"ssh-ed25519 AAAA\"]"),
	    "t.yaml:4:46: tenants[0].users[0].public_keys[0]: \"ssh-ed25519 AAAA\" is not an "
	    "OpenSSH public key (\"TYPE BASE64 [COMMENT]\", TYPE ssh-ed25519, "
	    "ecdsa-sha2-nistp256/384/521 or ssh-rsa)");
	yaml_fails(USER("public_keys: \"ssh-ed25519 AAAA\""),
		   "t.yaml:4:45: tenants[0].users[0].public_keys: expected a list, found "
		   "\"ssh-ed25519 AAAA\"");
	yaml_fails(USER("public_keys: [\"" KEY_ED25519 "\", \"" KEY_ED25519 "\"]"),
		   "t.yaml:4:143: tenants[0].users[0].public_keys[1]: this public key is listed "
		   "twice");
	yaml_fails(USER("style: cisco"),
		   "t.yaml:4:39: tenants[0].users[0].style: \"cisco\" is not one of ios or junos");
	yaml_fails(USER("exec_timeout: 10"),
		   "t.yaml:4:46: tenants[0].users[0].exec_timeout: \"10\" is not a valid "
		   "exec_timeout (a whole number of s, m or h up to 35791m, or 0 for never)");
	yaml_fails(USER("exec_timeout: 1.5m"),
		   "t.yaml:4:46: tenants[0].users[0].exec_timeout: \"1.5m\" is not a valid "
		   "exec_timeout (a whole number of s, m or h up to 35791m, or 0 for never)");
	yaml_fails(USER("exec_timeout: 35792m"),
		   "t.yaml:4:46: tenants[0].users[0].exec_timeout: \"35792m\" is not a valid "
		   "exec_timeout (a whole number of s, m or h up to 35791m, or 0 for never)");
	yaml_fails(USER("exec_timeout: 10 m"),
		   "t.yaml:4:46: tenants[0].users[0].exec_timeout: \"10 m\" is not a valid "
		   "exec_timeout (a whole number of s, m or h up to 35791m, or 0 for never)");
	yaml_fails(USER("exec_timeout: m"),
		   "t.yaml:4:46: tenants[0].users[0].exec_timeout: \"m\" is not a valid "
		   "exec_timeout (a whole number of s, m or h up to 35791m, or 0 for never)");
	yaml_fails(USER("aliases: [{name: Sr, command: x}]"),
		   "t.yaml:4:49: tenants[0].users[0].aliases[0].name: \"Sr\" is not a valid alias "
		   "name ([a-z0-9-], at most 32 characters)");
	yaml_fails(USER("aliases: [{name: sr}]"),
		   "t.yaml:4:42: tenants[0].users[0].aliases[0]: missing key \"command\"");
	yaml_fails(USER("aliases: [{name: sr, command: \"\"}]"),
		   "t.yaml:4:62: tenants[0].users[0].aliases[0].command: is empty (leave the key "
		   "out instead)");
	yaml_fails(USER("aliases: [{name: sr, command: x}, {name: sr, command: y}]"),
		   "t.yaml:4:73: tenants[0].users[0].aliases[1].name: duplicate alias name \"sr\"");
#undef USER
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_demo_counts),	    cmocka_unit_test(test_demo_values),
	    cmocka_unit_test(test_demo_round_trip), cmocka_unit_test(test_flat_forms),
	    cmocka_unit_test(test_escaping),	    cmocka_unit_test(test_for_api),
	    cmocka_unit_test(test_topology_errors), cmocka_unit_test(test_json_errors),
	    cmocka_unit_test(test_json_topology),   cmocka_unit_test(test_empty_and_null),
	    cmocka_unit_test(test_names),	    cmocka_unit_test(test_objects),
	    cmocka_unit_test(test_host_fields),	    cmocka_unit_test(test_route_manager_keys),
	    cmocka_unit_test(test_router_features), cmocka_unit_test(test_user_features),
	    cmocka_unit_test(test_feature_syntax),  cmocka_unit_test(test_feature_errors),
	    cmocka_unit_test(test_tenant_snmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
