// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the model (lib/model.c): building the example of spec.md,
 * one refusal per validation rule with its message (and file:line:column),
 * allocations kept across rebuilds (host ids, VNIs, MACs, password hashes),
 * host ids and addresses (unique, derived, kept), the diff,
 * single-object put/remove with the model unchanged after a refusal, a
 * randomized comparison of instance put/remove against a naive reference,
 * and a size check (1,000 hosts, 100 tenants, 10,000 instances). Models are
 * written as YAML and read with the codec, as users write them.
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
#include "onm/ds.h"
#include "onm/model.h"
#include "onm/net.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../spec-example.h"


/* Lines 1-2: three hosts. */
#define HOSTS3                                                                                     \
	"substrate:\n"                                                                             \
	"  hosts: [{name: h1}, {name: h2}, {name: h3}]\n"

/* Lines 1-7: three hosts, tenant acme, network blue with subnets web and db;
 * the network's routers, groups and instances follow at 8 spaces. */
#define NET_HEAD                                                                                   \
	HOSTS3                                                                                     \
	"tenants:\n"                                                                               \
	"  - name: acme\n"                                                                         \
	"    networks:\n"                                                                          \
	"      - name: blue\n"                                                                     \
	"        subnets: [{name: web, cidr: 10.1.1.0/24}, {name: db, cidr: 10.1.2.0/24}]\n"

/* Lines 8-11: NET_HEAD plus router r1 with gi0 (web, .1) and gi1 (db, .1). */
#define NET_R1                                                                                     \
	NET_HEAD "        routers:\n"                                                              \
		 "          - name: r1\n"                                                          \
		 "            interfaces: [{name: gi0, subnet: web, ip: 10.1.1.1},\n"              \
		 "                         {name: gi1, subnet: db, ip: 10.1.2.1}]\n"

/* Helpers. */

static struct topology *parse(const char *yaml)
{
	struct topology *t = NULL;
	char *error = codec_topology_parse(yaml, strlen(yaml), "test.yaml", false, &t);

	if (error)
		fail_msg("parse failed: %s", error);
	return t;
}

static struct model *build(const char *yaml, const struct model *old)
{
	struct topology *t = parse(yaml);
	struct model *m = NULL;
	char *error = model_build(t, old, &m);

	topology_destroy(t);
	if (error)
		fail_msg("build failed: %s", error);
	assert_non_null(m);
	return m;
}

/* Builds 'yaml' (changed by 'mutate' if not NULL), which must fail;
 * returns the message. */
static char *build_error(const char *yaml, void (*mutate)(struct topology *))
{
	struct topology *t = parse(yaml);
	struct model *m = (struct model *)&m; /* must be set to NULL */
	char *error;

	if (mutate)
		mutate(t);
	error = model_build(t, NULL, &m);

	assert_int_equal(t->n_objects, 0);
	topology_destroy(t);
	assert_null(m);
	if (!error)
		fail_msg("build succeeded, expected a failure");
	return error;
}

static struct model_object *object_json(enum model_kind kind, const char *json)
{
	struct model_object *obj = NULL;
	char *error = codec_object_parse_json(kind, json, strlen(json), "test", &obj);

	if (error)
		fail_msg("object parse failed: %s (%s)", error, json);
	return obj;
}

/* model_put that must succeed; frees what it replaced. */
static void put_ok(struct model *m, enum model_kind kind, const char *json)
{
	struct model_object *obj = object_json(kind, json), *replaced = NULL;
	char *error = model_put(m, obj, &replaced);

	if (error)
		fail_msg("put failed: %s", error);
	model_object_destroy(replaced);
}

/* model_put that must fail; returns the message. */
static char *put_error(struct model *m, enum model_kind kind, const char *json)
{
	struct model_object *obj = object_json(kind, json), *replaced = (void *)1;
	char *error = model_put(m, obj, &replaced);

	if (!error)
		fail_msg("put succeeded, expected a failure: %s", json);
	assert_null(replaced);
	model_object_destroy(obj);
	return error;
}

static char *remove_error(struct model *m, enum model_kind kind, const char *id)
{
	struct model_object *removed = (void *)1;
	char *error = model_remove(m, kind, id, &removed);

	if (!error)
		fail_msg("remove of %s succeeded, expected a failure", id);
	assert_null(removed);
	return error;
}

static void remove_ok(struct model *m, enum model_kind kind, const char *id)
{
	struct model_object *removed = NULL;
	char *error = model_remove(m, kind, id, &removed);

	if (error)
		fail_msg("remove failed: %s", error);
	assert_non_null(removed);
	assert_null(model_find(m, kind, id));
	model_object_destroy(removed);
}

/* A copy of 'm' made from the canonical JSON of its stored objects. */
static struct model *clone_model(const struct model *m)
{
	struct model *copy = model_create();

	for (int kind = 0; kind < MODEL_N_KINDS; kind++) {
		size_t n;
		struct model_object **list = model_list(m, kind, &n);

		for (size_t i = 0; i < n; i++)
			if (!model_object_is_builtin(list[i]))
				put_ok(copy, kind, list[i]->json);
		free(list);
	}
	return copy;
}

static size_t n_changes(const struct model *a, const struct model *b)
{
	struct model_diff diff;
	size_t n;

	model_diff(a, b, &diff);
	n = diff.n;
	for (size_t i = 0; i < diff.n; i++)
		print_message("# change %d %s\n", diff.changes[i].op, diff.changes[i].key);
	model_diff_destroy(&diff);
	return n;
}

static const struct network *find_network(const struct model *m, const char *id)
{
	const struct model_object *obj = model_find(m, MODEL_NETWORK, id);
	assert_non_null(obj);
	return CONTAINER_OF(obj, const struct network, hdr);
}

static const struct instance *find_instance(const struct model *m, const char *id)
{
	const struct model_object *obj = model_find(m, MODEL_INSTANCE, id);
	assert_non_null(obj);
	return CONTAINER_OF(obj, const struct instance, hdr);
}

static const struct tenant *find_tenant(const struct model *m, const char *id)
{
	const struct model_object *obj = model_find(m, MODEL_TENANT, id);
	assert_non_null(obj);
	return CONTAINER_OF(obj, const struct tenant, hdr);
}

static const struct host *find_host(const struct model *m, const char *id)
{
	const struct model_object *obj = model_find(m, MODEL_HOST, id);
	assert_non_null(obj);
	return CONTAINER_OF(obj, const struct host, hdr);
}

static const struct service_level *find_sl(const struct model *m, const char *id)
{
	const struct model_object *obj = model_find(m, MODEL_SERVICE_LEVEL, id);
	assert_non_null(obj);
	return CONTAINER_OF(obj, const struct service_level, hdr);
}

static bool password_verifies(const char *hash, const char *password)
{
	assert_true(sodium_init() >= 0);
	return hash && !crypto_pwhash_str_verify(hash, password, strlen(password));
}

/* Tests. */

static void test_builtins(void **state)
{
	struct model *m = model_create();
	const struct service_level *sl;
	char *error;

	(void)state;
	assert_int_equal(model_count(m, MODEL_SERVICE_LEVEL), 4);
	for (int kind = 0; kind < MODEL_N_KINDS; kind++)
		if (kind != MODEL_SERVICE_LEVEL)
			assert_int_equal(model_count(m, kind), 0);

	sl = find_sl(m, "platinum");
	assert_true(sl->builtin);
	assert_int_equal(sl->minimize, SL_MIN_LATENCY);
	assert_int_equal(sl->min_bandwidth_bps, 500000000);
	assert_null(sl->via_capability);
	assert_int_equal(find_sl(m, "gold")->minimize, SL_MIN_LATENCY);
	assert_int_equal(find_sl(m, "silver")->minimize, SL_MIN_COST);
	sl = find_sl(m, "quarantine");
	assert_int_equal(sl->minimize, SL_MIN_LATENCY);
	assert_string_equal(sl->via_capability, "inspection");
	assert_true(model_object_is_builtin(&sl->hdr));
	assert_non_null(sl->hdr.json);

	/* Built-ins are not stored, so a fresh model has nothing to diff. */
	assert_int_equal(n_changes(NULL, m), 0);

	error = remove_error(m, MODEL_SERVICE_LEVEL, "gold");
	assert_string_equal(error, "service level gold is built in and cannot be removed");
	free(error);
	error = remove_error(m, MODEL_SERVICE_LEVEL, "bronze");
	assert_string_equal(error, "not found: service level bronze");
	free(error);
	model_destroy(m);
}

static void test_spec_example(void **state)
{
	struct model *m = build(spec_example, NULL);
	const struct tenant *acme;
	size_t n;
	struct model_object **list;

	(void)state;
	assert_int_equal(model_count(m, MODEL_HOST), 5);
	assert_int_equal(model_count(m, MODEL_LINK), 6);
	assert_int_equal(model_count(m, MODEL_SERVICE_LEVEL), 4);
	assert_int_equal(model_count(m, MODEL_TENANT), 2);
	assert_int_equal(model_count(m, MODEL_NETWORK), 2);
	assert_int_equal(model_count(m, MODEL_ROUTER), 1);
	assert_int_equal(model_count(m, MODEL_INSTANCE), 4);

	/* The file restates the four built-in service levels exactly: they
	 * stay built in (not stored, not in plans). */
	assert_true(find_sl(m, "gold")->builtin);
	assert_true(find_sl(m, "quarantine")->builtin);

	/* Links are undirected: found in either order. */
	assert_non_null(model_find(m, MODEL_LINK, "h3/h4"));
	assert_ptr_equal(model_find(m, MODEL_LINK, "h4/h3"), model_find(m, MODEL_LINK, "h3/h4"));
	assert_null(model_find(m, MODEL_LINK, "h1/h3"));

	assert_int_equal(find_network(m, "acme/blue")->vni, 1000);
	assert_int_equal(find_network(m, "globex/red")->vni, 1001);

	/* Host ids in file order, addresses derived from them. */
	assert_int_equal(find_host(m, "h1")->id, 1);
	assert_int_equal(find_host(m, "h4")->id, 4);
	assert_int_equal(find_host(m, "scan1")->id, 5);
	assert_int_equal(find_host(m, "scan1")->address, 0xc6130005u); /* 198.19.0.5 */
	assert_string_equal(
	    find_host(m, "h1")->hdr.json,
	    "{\"name\":\"h1\",\"id\":1,\"address\":\"198.19.0.1\",\"capabilities\":[]}");

	list = model_list(m, MODEL_INSTANCE, &n);
	assert_int_equal(n, 4);
	assert_string_equal(list[0]->id, "acme/blue/db1");
	assert_string_equal(list[3]->id, "globex/red/app2");
	for (size_t i = 0; i < n; i++) {
		const struct instance *a = CONTAINER_OF(list[i], const struct instance, hdr);
		assert_int_equal(a->mac.b[0], 0x02); /* locally administered unicast */
		assert_non_null(strstr(list[i]->json, "\"mac\":\"02:"));
		for (size_t j = 0; j < i; j++) {
			const struct instance *b =
			    CONTAINER_OF(list[j], const struct instance, hdr);
			assert_memory_not_equal(a->mac.b, b->mac.b, 6);
		}
	}
	free(list);

	acme = find_tenant(m, "acme");
	assert_int_equal(acme->n_users, 2);
	assert_null(acme->users[0].password);
	assert_true(str_has_prefix(acme->users[0].password_hash, "$argon2id$"));
	assert_true(password_verifies(acme->users[0].password_hash, "correct horse"));
	assert_true(password_verifies(acme->users[1].password_hash, "battery staple"));
	assert_null(strstr(acme->hdr.json, "correct horse"));
	assert_non_null(strstr(acme->hdr.json, acme->users[0].password_hash));

	/* Everything is new against an empty model, in dependency order. */
	{
		struct model_diff diff;
		model_diff(NULL, m, &diff);
		assert_int_equal(diff.n, 5 + 6 + 2 + 2 + 1 + 4);
		for (size_t i = 0; i < diff.n; i++) {
			assert_int_equal(diff.changes[i].op, MODEL_CREATE);
			assert_non_null(diff.changes[i].json);
			if (i)
				assert_true(diff.changes[i - 1].kind <= diff.changes[i].kind);
		}
		assert_string_equal(diff.changes[0].key, "/onm/hosts/h1");
		assert_string_equal(diff.changes[diff.n - 1].key, "/onm/instances/globex/red/app2");
		model_diff_destroy(&diff);
	}
	model_destroy(m);
}

static void test_builtin_override(void **state)
{
	static const char yaml[] = HOSTS3 "service_levels:\n"
					  "  gold: {minimize: hops}\n"
					  "  bronze: {minimize: cost}\n"
					  "tenants:\n"
					  "  - {name: acme, service_level: gold}\n"
					  "  - {name: globex, service_level: bronze}\n";
	struct model *m = build(yaml, NULL);
	struct model_object *removed = NULL;
	char *error;

	(void)state;
	assert_int_equal(model_count(m, MODEL_SERVICE_LEVEL), 5);
	assert_false(find_sl(m, "gold")->builtin);
	assert_int_equal(find_sl(m, "gold")->minimize, SL_MIN_HOPS);
	assert_true(find_sl(m, "silver")->builtin);

	/* A user-defined level in use cannot go; an override can, and the
	 * built-in comes back (acme keeps a valid reference). */
	error = remove_error(m, MODEL_SERVICE_LEVEL, "bronze");
	assert_string_equal(error, "service level bronze is still used by 1 tenant (globex)");
	free(error);
	error = model_remove(m, MODEL_SERVICE_LEVEL, "gold", &removed);
	assert_null(error);
	assert_non_null(removed);
	assert_false(model_object_is_builtin(removed));
	model_object_destroy(removed);
	assert_true(find_sl(m, "gold")->builtin);
	assert_int_equal(find_sl(m, "gold")->minimize, SL_MIN_LATENCY);
	assert_int_equal(model_count(m, MODEL_SERVICE_LEVEL), 5);

	/* Putting an override replaces the built-in, which the caller frees. */
	{
		struct model_object *obj =
		    object_json(MODEL_SERVICE_LEVEL, "{\"name\":\"silver\",\"minimize\":\"hops\"}");
		struct model_object *replaced = NULL;
		assert_null(model_put(m, obj, &replaced));
		assert_true(model_object_is_builtin(replaced));
		model_object_destroy(replaced);
		assert_false(find_sl(m, "silver")->builtin);
	}
	model_destroy(m);
}

/* Some mistakes inside one object are caught by the codec already; the
 * model checks them too (its objects may come from elsewhere), so those
 * cases start from a valid file and change the parsed object. */
static struct model_object *topology_find(const struct topology *t, enum model_kind kind,
					  const char *id)
{
	for (size_t i = 0; i < t->n_objects; i++)
		if (t->objects[i]->kind == kind && !strcmp(t->objects[i]->id, id))
			return t->objects[i];
	fail_msg("%s not in the topology", id);
	return NULL;
}

static void set_name(char **name, const char *new_name)
{
	free(*name);
	*name = xstrdup(new_name);
}

static void mutate_dup_user(struct topology *t)
{
	struct model_object *obj = topology_find(t, MODEL_TENANT, "acme");
	set_name(&CONTAINER_OF(obj, struct tenant, hdr)->users[2].name, "alice");
}

static void mutate_dup_subnet(struct topology *t)
{
	struct model_object *obj = topology_find(t, MODEL_NETWORK, "acme/blue");
	set_name(&CONTAINER_OF(obj, struct network, hdr)->subnets[1].name, "web");
}

static void mutate_dup_group(struct topology *t)
{
	struct model_object *obj = topology_find(t, MODEL_NETWORK, "acme/blue");
	set_name(&CONTAINER_OF(obj, struct network, hdr)->groups[1].name, "web");
}

static void mutate_unknown_group(struct topology *t)
{
	struct model_object *obj = topology_find(t, MODEL_NETWORK, "acme/blue");
	set_name(&CONTAINER_OF(obj, struct network, hdr)->groups[0].rules[1].remote_group, "webb");
}

static void mutate_dup_interface(struct topology *t)
{
	struct model_object *obj = topology_find(t, MODEL_ROUTER, "acme/blue/r1");
	set_name(&CONTAINER_OF(obj, struct router, hdr)->interfaces[1].name, "gi0");
}

static void mutate_multicast_mac(struct topology *t)
{
	struct model_object *obj = topology_find(t, MODEL_INSTANCE, "acme/blue/web1");
	CONTAINER_OF(obj, struct instance, hdr)->mac.b[0] = 0x03;
}

struct bad_case {
	const char *yaml;
	const char *message;		   /* the whole message */
	void (*mutate)(struct topology *); /* applied before building, if not NULL */
};

static const struct bad_case bad_cases[] = {
    /* Substrate. */
    {"substrate:\n"
     "  hosts:\n"
     "    - {name: h1}\n"
     "    - {name: h1}\n",
     "test.yaml:4:7: host h1: duplicate host name 'h1' (first defined at line 3)"},
    {HOSTS3 "  links:\n"
	    "    - {a: h1, b: h2}\n"
	    "    - {a: h2, b: h1}\n",
     "test.yaml:5:7: link h1/h2: duplicate link between 'h2' and 'h1' (first defined at line 4)"},
    {HOSTS3 "  links:\n"
	    "    - {a: h9, b: h1}\n",
     "test.yaml:4:7: link h1/h9: unknown host 'h9'"},

    /* Tenants. */
    {HOSTS3 "tenants:\n"
	    "  - name: acme\n"
	    "    service_level: diamond\n",
     "test.yaml:4:5: tenant acme: unknown service level 'diamond'"},
    {HOSTS3 "tenants:\n"
	    "  - name: acme\n"
	    "  - name: globex\n"
	    "  - name: acme\n",
     "test.yaml:6:5: tenant acme: duplicate tenant name 'acme' (first defined at line 4)"},
    {HOSTS3 "tenants:\n"
	    "  - name: acme\n"
	    "    users:\n"
	    "      - {name: alice, role: admin}\n"
	    "      - {name: bob, role: operator}\n"
	    "      - {name: alicia, role: viewer}\n",
     "test.yaml:8:9: tenant acme: duplicate user 'alice'", mutate_dup_user},

    /* Networks. */
    {HOSTS3 "tenants:\n"
	    "  - name: acme\n"
	    "    networks:\n"
	    "      - {name: blue}\n"
	    "      - {name: blue}\n",
     "test.yaml:7:9: network acme/blue: duplicate network name 'blue' in tenant acme (first "
     "defined at line 6)"},
    {HOSTS3 "tenants:\n"
	    "  - name: acme\n"
	    "    networks:\n"
	    "      - name: blue\n"
	    "        subnets:\n"
	    "          - {name: web, cidr: 10.1.1.0/24}\n"
	    "          - {name: db, cidr: 10.1.2.0/24}\n",
     "test.yaml:9:13: network acme/blue: duplicate subnet 'web'", mutate_dup_subnet},
    {HOSTS3 "tenants:\n"
	    "  - name: acme\n"
	    "    networks:\n"
	    "      - name: blue\n"
	    "        subnets:\n"
	    "          - {name: a, cidr: 10.1.0.0/16}\n"
	    "          - {name: c, cidr: 10.2.0.0/16}\n"
	    "          - {name: b, cidr: 10.1.2.0/24}\n",
     "test.yaml:10:13: network acme/blue: subnet 'b' (10.1.2.0/24) overlaps subnet 'a' "
     "(10.1.0.0/16)"},
    {HOSTS3 "tenants:\n"
	    "  - name: acme\n"
	    "    networks:\n"
	    "      - name: blue\n"
	    "        subnets:\n"
	    "          - {name: a, cidr: 10.1.2.0/24}\n"
	    "          - {name: b, cidr: 10.1.2.0/24}\n",
     "test.yaml:9:13: network acme/blue: subnet 'b' (10.1.2.0/24) overlaps subnet 'a' "
     "(10.1.2.0/24)"},
    {NET_HEAD "        security_groups:\n"
	      "          - {name: web, rules: []}\n"
	      "          - {name: db, rules: []}\n",
     "test.yaml:10:13: network acme/blue: duplicate security group 'web'", mutate_dup_group},
    {NET_HEAD "        security_groups:\n"
	      "          - name: db\n"
	      "            rules:\n"
	      "              - {dir: in, proto: icmp, from: 10.0.0.0/8}\n"
	      "              - {dir: in, proto: tcp, ports: 5432, from_group: db}\n",
     "test.yaml:12:17: network acme/blue: security group 'db': rule 2: unknown group 'webb'",
     mutate_unknown_group},
    {HOSTS3 "tenants:\n"
	    "  - name: acme\n"
	    "    networks:\n"
	    "      - {name: blue, vni: 5000}\n"
	    "      - {name: red, vni: 5000}\n",
     "test.yaml:7:9: network acme/red: vni 5000 is already used by network acme/blue"},

    /* Routers. */
    {NET_R1 "          - {name: r1, interfaces: []}\n",
     "test.yaml:12:13: router acme/blue/r1: duplicate router name 'r1' in network acme/blue "
     "(first defined at line 9)"},
    {NET_HEAD "        routers:\n"
	      "          - name: r1\n"
	      "            interfaces:\n"
	      "              - {name: gi0, subnet: web, ip: 10.1.1.1}\n"
	      "              - {name: gi1, subnet: dmz, ip: 10.1.3.1}\n",
     "test.yaml:12:17: router acme/blue/r1: interface 'gi1': unknown subnet 'dmz'"},
    {NET_HEAD "        routers:\n"
	      "          - name: r1\n"
	      "            interfaces:\n"
	      "              - {name: gi0, subnet: web, ip: 10.1.1.1}\n"
	      "              - {name: gi1, subnet: web, ip: 10.1.1.2}\n",
     "test.yaml:12:17: router acme/blue/r1: interfaces 'gi0' and 'gi1' are both on subnet "
     "'web'"},
    {NET_HEAD "        routers:\n"
	      "          - name: r1\n"
	      "            interfaces:\n"
	      "              - {name: gi0, subnet: web, ip: 10.1.2.1}\n",
     "test.yaml:11:17: router acme/blue/r1: interface 'gi0': ip 10.1.2.1 is outside subnet "
     "'web' (10.1.1.0/24)"},
    {NET_HEAD "        routers:\n"
	      "          - name: r1\n"
	      "            interfaces:\n"
	      "              - {name: gi0, subnet: web, ip: 10.1.1.0}\n",
     "test.yaml:11:17: router acme/blue/r1: interface 'gi0': ip 10.1.1.0 is the network "
     "address of subnet 'web' (10.1.1.0/24)"},
    {NET_HEAD "        routers:\n"
	      "          - name: r1\n"
	      "            interfaces:\n"
	      "              - {name: gi0, subnet: web, ip: 10.1.1.1}\n"
	      "              - {name: gi1, subnet: db, ip: 10.1.2.1}\n",
     "test.yaml:12:17: router acme/blue/r1: duplicate interface 'gi0'", mutate_dup_interface},
    {NET_R1 "          - name: r2\n"
	    "            interfaces:\n"
	    "              - {name: gi0, subnet: db, ip: 10.1.2.1}\n",
     "test.yaml:14:17: router acme/blue/r2: interface 'gi0': ip 10.1.2.1 is already used by "
     "router acme/blue/r1 interface 'gi1'"},
    {NET_R1 "            routes:\n"
	    "              - {prefix: 10.9.0.0/16, via: 10.1.2.20}\n"
	    "              - {prefix: 10.8.0.0/16, via: 10.1.3.20}\n",
     "test.yaml:14:17: router acme/blue/r1: route 10.8.0.0/16: via 10.1.3.20 is not inside "
     "any subnet the router has an interface on"},
    {NET_R1 "            routes:\n"
	    "              - {prefix: 10.9.0.0/16, via: 10.1.2.20}\n"
	    "              - {prefix: 10.8.0.0/16, via: 10.1.1.20}\n"
	    "              - {prefix: 10.9.0.0/16, via: 10.1.1.30}\n",
     "test.yaml:15:17: router acme/blue/r1: duplicate static route 10.9.0.0/16"},

    /* Instances. */
    {NET_HEAD "        instances:\n"
	      "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10}\n"
	      "          - {name: web1, subnet: web, host: h2, ip: 10.1.1.11}\n",
     "test.yaml:10:13: instance acme/blue/web1: duplicate instance name 'web1' in network "
     "acme/blue (first defined at line 9)"},
    {NET_HEAD "        instances:\n"
	      "          - {name: web1, subnet: web, host: h9, ip: 10.1.1.10}\n",
     "test.yaml:9:13: instance acme/blue/web1: unknown host 'h9'"},
    {NET_HEAD "        instances:\n"
	      "          - {name: web1, subnet: dmz, host: h1, ip: 10.1.1.10}\n",
     "test.yaml:9:13: instance acme/blue/web1: unknown subnet 'dmz'"},
    {NET_HEAD "        security_groups: [{name: web, rules: []}]\n"
	      "        instances:\n"
	      "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10, security_groups: "
	      "[web, wbe]}\n",
     "test.yaml:10:13: instance acme/blue/web1: unknown security group 'wbe'"},
    {NET_HEAD "        instances:\n"
	      "          - {name: web1, subnet: web, host: h1, ip: 10.1.2.10}\n",
     "test.yaml:9:13: instance acme/blue/web1: ip 10.1.2.10 is outside subnet 'web' "
     "(10.1.1.0/24)"},
    {NET_HEAD "        instances:\n"
	      "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.0}\n",
     "test.yaml:9:13: instance acme/blue/web1: ip 10.1.1.0 is the network address of subnet "
     "'web' (10.1.1.0/24)"},
    {NET_HEAD "        instances:\n"
	      "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.255}\n",
     "test.yaml:9:13: instance acme/blue/web1: ip 10.1.1.255 is the broadcast address of "
     "subnet 'web' (10.1.1.0/24)"},
    {NET_HEAD "        instances:\n"
	      "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10}\n"
	      "          - {name: db1, subnet: db, host: h1, ip: 10.1.2.10}\n"
	      "          - {name: web2, subnet: web, host: h2, ip: 10.1.1.10}\n",
     "test.yaml:11:13: instance acme/blue/web2: ip 10.1.1.10 is already used by instance "
     "acme/blue/web1"},
    {NET_R1 "        instances:\n"
	    "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.1}\n",
     "test.yaml:13:13: instance acme/blue/web1: ip 10.1.1.1 is already used by router "
     "acme/blue/r1 interface 'gi0'"},
    {NET_HEAD "        instances:\n"
	      "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10, mac: "
	      "\"02:00:00:00:00:01\"}\n"
	      "          - {name: web2, subnet: web, host: h1, ip: 10.1.1.11, mac: "
	      "\"02:00:00:00:00:01\"}\n",
     "test.yaml:10:13: instance acme/blue/web2: mac 02:00:00:00:00:01 is already used by "
     "instance acme/blue/web1"},
    {NET_HEAD "        instances:\n"
	      "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10, mac: "
	      "\"02:00:00:00:00:01\"}\n",
     "test.yaml:9:13: instance acme/blue/web1: mac 03:00:00:00:00:01 is a multicast address",
     mutate_multicast_mac},
};

static void test_build_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		char *error = build_error(bad_cases[i].yaml, bad_cases[i].mutate);
		if (strcmp(error, bad_cases[i].message))
			fail_msg("case %zu:\n  expected: %s\n  got:      %s", i,
				 bad_cases[i].message, error);
		free(error);
	}
}

/* Objects that never come from a nested file, built by hand into a
 * topology without positions. */
static void test_build_refusals_flat(void **state)
{
	struct topology *t = topology_create("api");
	struct model *m = NULL;
	char *error;

	(void)state;
	topology_add(t,
		     object_json(MODEL_SERVICE_LEVEL, "{\"name\":\"fast\",\"minimize\":\"hops\"}"));
	topology_add(t,
		     object_json(MODEL_SERVICE_LEVEL, "{\"name\":\"fast\",\"minimize\":\"cost\"}"));
	error = model_build(t, NULL, &m);
	assert_null(m);
	assert_string_equal(error, "api: service level fast: duplicate service level name 'fast'");
	free(error);
	topology_destroy(t);

	t = topology_create("api");
	topology_add(t, object_json(MODEL_NETWORK, "{\"tenant\":\"nobody\",\"name\":\"blue\"}"));
	error = model_build(t, NULL, &m);
	assert_string_equal(error, "api: network nobody/blue: unknown tenant 'nobody'");
	free(error);
	topology_destroy(t);

	t = topology_create("api");
	topology_add(t, object_json(MODEL_TENANT, "{\"name\":\"acme\"}"));
	topology_add(t, object_json(MODEL_HOST, "{\"name\":\"h1\"}"));
	topology_add(t, object_json(MODEL_INSTANCE, "{\"tenant\":\"acme\",\"network\":\"blue\","
						    "\"name\":\"x\",\"subnet\":\"s\","
						    "\"host\":\"h1\",\"ip\":\"10.0.0.1\"}"));
	error = model_build(t, NULL, &m);
	assert_string_equal(error, "api: instance acme/blue/x: unknown network 'acme/blue'");
	free(error);
	topology_destroy(t);

	/* The codec refuses a link to self already; the model does too. */
	t = topology_create("api");
	topology_add(t, object_json(MODEL_HOST, "{\"name\":\"h1\"}"));
	{
		struct link *l = xzalloc(sizeof *l);
		l->hdr.kind = MODEL_LINK;
		l->a = xstrdup("h1");
		l->b = xstrdup("h1");
		l->cost = 1;
		l->hdr.pos.line = 7;
		l->hdr.pos.column = 5;
		topology_add(t, &l->hdr);
	}
	error = model_build(t, NULL, &m);
	assert_string_equal(error,
			    "api:7:5: link h1/h1: a link cannot connect host 'h1' to itself");
	free(error);
	topology_destroy(t);
}

/* What is legal: the same CIDRs and addresses in different networks, /31
 * and /32 subnets using every address, a route via an instance. */
static void test_build_legal(void **state)
{
	static const char yaml[] =
	    HOSTS3 "tenants:\n"
		   "  - name: acme\n"
		   "    networks:\n"
		   "      - name: blue\n"
		   "        subnets: [{name: web, cidr: 10.1.1.0/24}, {name: p2p, cidr: "
		   "10.9.9.0/31},\n"
		   "                  {name: lo, cidr: 10.9.8.1/32}]\n"
		   "        routers:\n"
		   "          - name: r1\n"
		   "            interfaces: [{name: gi0, subnet: web, ip: 10.1.1.1},\n"
		   "                         {name: gi1, subnet: p2p, ip: 10.9.9.0}]\n"
		   "            routes: [{prefix: 0.0.0.0/0, via: 10.9.9.1}, {prefix: "
		   "10.7.0.0/16, via: 10.1.1.10}]\n"
		   "        instances:\n"
		   "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10}\n"
		   "          - {name: peer, subnet: p2p, host: h1, ip: 10.9.9.1}\n"
		   "          - {name: lo, subnet: lo, host: h2, ip: 10.9.8.1}\n"
		   "      - name: red\n"
		   "        subnets: [{name: web, cidr: 10.1.0.0/16}]\n"
		   "        routers:\n"
		   "          - {name: r1, interfaces: [{name: gi0, subnet: web, ip: 10.1.1.1}]}\n"
		   "        instances:\n"
		   "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10}\n"
		   "  - name: globex\n"
		   "    networks:\n"
		   "      - name: blue\n"
		   "        subnets: [{name: web, cidr: 10.1.1.0/24}]\n"
		   "        instances:\n"
		   "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10}\n";
	struct model *m = build(yaml, NULL);

	(void)state;
	assert_int_equal(model_count(m, MODEL_NETWORK), 3);
	assert_int_equal(model_count(m, MODEL_INSTANCE), 5);
	assert_int_equal(model_count(m, MODEL_ROUTER), 2);
	assert_int_equal(find_network(m, "acme/blue")->vni, 1000);
	assert_int_equal(find_network(m, "acme/red")->vni, 1001);
	assert_int_equal(find_network(m, "globex/blue")->vni, 1002);
	/* The tenant's service level defaults to gold. */
	assert_string_equal(find_tenant(m, "acme")->service_level, "gold");
	model_destroy(m);
}

static void test_idempotent_apply(void **state)
{
#define ACME_USERS(USER)                                                                           \
	HOSTS3 "tenants:\n"                                                                        \
	       "  - name: acme\n"                                                                  \
	       "    users:\n"                                                                      \
	       "      - " USER "\n"                                                                \
	       "    networks:\n"                                                                   \
	       "      - name: blue\n"                                                              \
	       "        subnets: [{name: web, cidr: 10.1.1.0/24}]\n"                               \
	       "        instances:\n"                                                              \
	       "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10}\n"
	static const char yaml[] = ACME_USERS("{name: alice, role: admin, password: \"s3cret\"}");
	/* The same without the password: the hash is kept. */
	static const char yaml_nopw[] = ACME_USERS("{name: alice, role: operator}");
	struct model *m1, *m2, *m3;
	const char *hash;

	(void)state;
	m1 = build(yaml, NULL);
	hash = find_tenant(m1, "acme")->users[0].password_hash;
	assert_true(password_verifies(hash, "s3cret"));

	m2 = build(yaml, m1);
	assert_string_equal(find_tenant(m2, "acme")->users[0].password_hash, hash);
	assert_int_equal(n_changes(m1, m2), 0);
	assert_int_equal(n_changes(m2, m1), 0);

	m3 = build(yaml_nopw, m2);
	assert_string_equal(find_tenant(m3, "acme")->users[0].password_hash, hash);
	{
		struct model_diff diff;
		model_diff(m2, m3, &diff);
		assert_int_equal(diff.n, 1); /* the role */
		assert_int_equal(diff.changes[0].op, MODEL_UPDATE);
		assert_string_equal(diff.changes[0].key, "/onm/tenants/acme");
		model_diff_destroy(&diff);
	}
	model_destroy(m3);

	/* Without an old model the user has no password any more. */
	m3 = build(yaml_nopw, NULL);
	assert_null(find_tenant(m3, "acme")->users[0].password_hash);
	model_destroy(m3);

	/* A different password is hashed anew. */
	m3 = build(yaml, NULL);
	assert_string_not_equal(find_tenant(m3, "acme")->users[0].password_hash, hash);
	model_destroy(m3);

	model_destroy(m1);
	model_destroy(m2);
}

/* SNMPv3 keys: derived from the plain password with 'snmpv3' (a SHA-256
 * hash, the same for the same password), kept when the file no longer
 * has the password, a new one for a new password, none without
 * 'snmpv3'; a short password or none at all is refused; the key is in the
 * store's form, not in the API's. */
static void test_snmpv3_keys(void **state)
{
	static const char with[] =
	    ACME_USERS("{name: alice, role: admin, password: \"maple syrup\", snmpv3: true}");
	static const char nopw[] = ACME_USERS("{name: alice, role: admin, snmpv3: true}");
	static const char other[] =
	    ACME_USERS("{name: alice, role: admin, password: \"other syrup\", snmpv3: true}");
	static const char off[] = ACME_USERS("{name: alice, role: admin}");
	struct model *m1, *m2, *m3;
	char key[SNMP_KEY_HEX_LEN + 1], *error, *api;

	(void)state;
	m1 = build(with, NULL);
	assert_true(find_tenant(m1, "acme")->users[0].snmpv3);
	snprintf(key, sizeof key, "%s", find_tenant(m1, "acme")->users[0].snmp_key);
	assert_int_equal(strlen(key), SNMP_KEY_HEX_LEN);
	assert_non_null(strstr(find_tenant(m1, "acme")->hdr.json, key));
	json_t *api_json = codec_object_to_json(&find_tenant(m1, "acme")->hdr, true);
	api = json_dumps(api_json, JSON_COMPACT);
	json_decref(api_json);
	assert_null(strstr(api, key));
	assert_non_null(strstr(api, "\"snmpv3\":true"));
	free(api);

	m2 = build(with, m1);
	assert_string_equal(find_tenant(m2, "acme")->users[0].snmp_key, key);
	assert_int_equal(n_changes(m1, m2), 0);
	m3 = build(nopw, m2);
	assert_string_equal(find_tenant(m3, "acme")->users[0].snmp_key, key);
	model_destroy(m3);
	m3 = build(other, m2);
	assert_string_not_equal(find_tenant(m3, "acme")->users[0].snmp_key, key);
	model_destroy(m3);
	m3 = build(off, m2);
	assert_null(find_tenant(m3, "acme")->users[0].snmp_key);
	model_destroy(m3);

	error = build_error(ACME_USERS("{name: alice, role: admin, password: short, snmpv3: true}"),
			    NULL);
	assert_string_equal(error, "test.yaml:6:9: tenant acme: user 'alice': snmpv3 needs a "
				   "password of at least 8 characters");
	free(error);
	error = build_error(nopw, NULL);
	assert_non_null(strstr(error, "user 'alice': snmpv3 needs the plain password"));
	free(error);
	model_destroy(m1);
	model_destroy(m2);
}

/* Applying the same plain passwords again costs no argon2id check (the
 * process remembers which password matched which hash): the second build
 * of four users takes a fraction of the first, which hashed them. */
static void test_passwords_remembered(void **state)
{
	static const char yaml[] =
	    HOSTS3 "tenants:\n"
		   "  - name: acme\n"
		   "    users:\n"
		   "      - {name: u1, role: admin, password: \"pass one\"}\n"
		   "      - {name: u2, role: admin, password: \"pass two\"}\n"
		   "      - {name: u3, role: admin, password: \"pass three\"}\n"
		   "      - {name: u4, role: admin, password: \"pass four\"}\n";
	struct model *m1, *m2;
	uint64_t t0, t1, t2;

	(void)state;
	t0 = time_usec();
	m1 = build(yaml, NULL);
	t1 = time_usec();
	m2 = build(yaml, m1);
	t2 = time_usec();
	print_message("first build %.1f ms (hashes), again %.1f ms\n", (t1 - t0) / 1e3,
		      (t2 - t1) / 1e3);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(find_tenant(m2, "acme")->users[i].password_hash,
				    find_tenant(m1, "acme")->users[i].password_hash);
	assert_true(t2 - t1 < (t1 - t0) / 4);
	model_destroy(m1);
	model_destroy(m2);
}

static void test_allocations_kept(void **state)
{
	static const char file1[] =
	    HOSTS3 "tenants:\n"
		   "  - name: acme\n"
		   "    networks:\n"
		   "      - name: blue\n"
		   "        subnets: [{name: s, cidr: 10.0.0.0/24}]\n"
		   "        instances:\n"
		   "          - {name: a, subnet: s, host: h1, ip: 10.0.0.10}\n"
		   "          - {name: b, subnet: s, host: h1, ip: 10.0.0.11}\n"
		   "      - name: red\n"
		   "        subnets: [{name: s, cidr: 10.0.0.0/24}]\n"
		   "      - name: gone\n";
	/* Reordered, 'gone' deleted, 'green' new and first, 'c' new, an explicit
	 * VNI that equals the old VNI of blue (so blue must move). */
	static const char file2[] =
	    HOSTS3 "tenants:\n"
		   "  - name: acme\n"
		   "    networks:\n"
		   "      - name: green\n"
		   "      - name: red\n"
		   "        subnets: [{name: s, cidr: 10.0.0.0/24}]\n"
		   "      - name: blue\n"
		   "        subnets: [{name: s, cidr: 10.0.0.0/24}]\n"
		   "        instances:\n"
		   "          - {name: c, subnet: s, host: h2, ip: 10.0.0.12}\n"
		   "          - {name: b, subnet: s, host: h1, ip: 10.0.0.11}\n"
		   "          - {name: a, subnet: s, host: h1, ip: 10.0.0.10}\n"
		   "      - {name: pinned, vni: 1000}\n";
	struct model *m1 = build(file1, NULL), *m2, *m1again;
	struct eth_addr mac_a, mac_b;

	(void)state;
	assert_int_equal(find_network(m1, "acme/blue")->vni, 1000);
	assert_int_equal(find_network(m1, "acme/red")->vni, 1001);
	assert_int_equal(find_network(m1, "acme/gone")->vni, 1002);
	mac_a = find_instance(m1, "acme/blue/a")->mac;
	mac_b = find_instance(m1, "acme/blue/b")->mac;

	/* The same file gives the same MACs, whatever else. */
	m1again = build(file1, NULL);
	assert_memory_equal(find_instance(m1again, "acme/blue/a")->mac.b, mac_a.b, 6);
	assert_memory_equal(find_instance(m1again, "acme/blue/b")->mac.b, mac_b.b, 6);
	assert_int_equal(n_changes(m1, m1again), 0);
	model_destroy(m1again);

	m2 = build(file2, m1);
	assert_int_equal(find_network(m2, "acme/red")->vni, 1001);
	assert_int_equal(find_network(m2, "acme/pinned")->vni, 1000);
	/* New VNIs skip the ones the old model used (1000..1002). */
	assert_int_equal(find_network(m2, "acme/green")->vni, 1003);
	assert_int_equal(find_network(m2, "acme/blue")->vni, 1004);
	assert_memory_equal(find_instance(m2, "acme/blue/a")->mac.b, mac_a.b, 6);
	assert_memory_equal(find_instance(m2, "acme/blue/b")->mac.b, mac_b.b, 6);
	assert_int_equal(find_instance(m2, "acme/blue/c")->mac.b[0], 0x02);

	/* The diff: creates and updates in dependency order, by id; then
	 * deletes in reverse dependency order. */
	{
		static const struct {
			enum model_change_op op;
			const char *key;
		} expected[] = {
		    {MODEL_UPDATE, "/onm/networks/acme/blue"},
		    {MODEL_CREATE, "/onm/networks/acme/green"},
		    {MODEL_CREATE, "/onm/networks/acme/pinned"},
		    {MODEL_CREATE, "/onm/instances/acme/blue/c"},
		    {MODEL_DELETE, "/onm/networks/acme/gone"},
		};
		struct model_diff diff;

		model_diff(m1, m2, &diff);
		assert_int_equal(diff.n, ARRAY_SIZE(expected));
		for (size_t i = 0; i < diff.n; i++) {
			assert_int_equal(diff.changes[i].op, expected[i].op);
			assert_string_equal(diff.changes[i].key, expected[i].key);
			if (expected[i].op == MODEL_DELETE) {
				assert_null(diff.changes[i].json);
			} else {
				const struct model_object *obj =
				    model_find(m2, diff.changes[i].kind, diff.changes[i].id);
				assert_non_null(obj);
				assert_string_equal(diff.changes[i].json, obj->json);
			}
		}
		model_diff_destroy(&diff);
		assert_int_equal(diff.n, 0);
	}

	/* And back: a rebuild from file2 against m2 changes nothing. */
	{
		struct model *m3 = build(file2, m2);
		assert_int_equal(n_changes(m2, m3), 0);
		model_destroy(m3);
	}
	model_destroy(m1);
	model_destroy(m2);
}

/* Host ids and addresses: allocated lowest free, kept across rebuilds and
 * puts, unique; a clash names both hosts. */
static void test_host_ids(void **state)
{
	static const char file1[] = "substrate:\n"
				    "  hosts:\n"
				    "    - {name: a}\n"
				    "    - {name: b}\n"
				    "    - {name: c, address: 198.18.0.3}\n"
				    "    - {name: ext1, vtep: kernel}\n";
	/* Reordered, 'b' deleted, 'd' new. */
	static const char file2[] = "substrate:\n"
				    "  hosts:\n"
				    "    - {name: d}\n"
				    "    - {name: ext1, vtep: kernel}\n"
				    "    - {name: c, address: 198.18.0.3}\n"
				    "    - {name: a}\n";
	struct model *m1 = build(file1, NULL), *m2, *m3;
	char *error;

	(void)state;
	assert_int_equal(find_host(m1, "a")->id, 1);
	assert_int_equal(find_host(m1, "b")->id, 2);
	assert_int_equal(find_host(m1, "c")->id, 3);
	assert_int_equal(find_host(m1, "c")->address, 0xc6120003u);
	assert_int_equal(find_host(m1, "ext1")->id, 4);
	assert_int_equal(find_host(m1, "ext1")->address, 0xc6130004u);
	assert_true(find_host(m1, "ext1")->kernel_vtep);
	assert_string_equal(find_host(m1, "ext1")->hdr.json,
			    "{\"name\":\"ext1\",\"id\":4,\"address\":\"198.19.0.4\","
			    "\"capabilities\":[],\"vtep\":\"kernel\"}");

	/* Kept across a rebuild; the new host skips every id the old model
	 * used, so 'b''s id does not change hands within one apply. */
	m2 = build(file2, m1);
	assert_int_equal(find_host(m2, "a")->id, 1);
	assert_int_equal(find_host(m2, "c")->id, 3);
	assert_int_equal(find_host(m2, "ext1")->id, 4);
	assert_int_equal(find_host(m2, "d")->id, 5);
	assert_int_equal(find_host(m2, "d")->address, 0xc6130005u);
	m3 = build(file2, m2);
	assert_int_equal(n_changes(m2, m3), 0);
	model_destroy(m3);
	/* The same file from scratch gives the same answer (a restart). */
	m3 = clone_model(m2);
	assert_int_equal(n_changes(m2, m3), 0);
	model_destroy(m3);

	/* Puts: a new host takes the lowest free id (2); a replacement without
	 * an id keeps the old one; an explicit clash is refused, naming both. */
	put_ok(m2, MODEL_HOST, "{\"name\":\"e\"}");
	assert_int_equal(find_host(m2, "e")->id, 2);
	assert_int_equal(find_host(m2, "e")->address, 0xc6130002u);
	put_ok(m2, MODEL_HOST, "{\"name\":\"d\",\"capabilities\":[\"gpu\"]}");
	assert_int_equal(find_host(m2, "d")->id, 5);
	assert_int_equal(find_host(m2, "d")->n_capabilities, 1);
	error = put_error(m2, MODEL_HOST, "{\"name\":\"f\",\"id\":3}");
	assert_string_equal(error, "host f: id 3 is already used by host c");
	free(error);
	error = put_error(m2, MODEL_HOST, "{\"name\":\"f\",\"address\":\"198.19.0.5\"}");
	assert_string_equal(error, "host f: address 198.19.0.5 is already used by host d");
	free(error);
	/* Refused replacements leave the old host in place. */
	error = put_error(m2, MODEL_HOST, "{\"name\":\"d\",\"id\":1}");
	assert_string_equal(error, "host d: id 1 is already used by host a");
	free(error);
	assert_int_equal(find_host(m2, "d")->id, 5);
	put_ok(m2, MODEL_HOST, "{\"name\":\"f\",\"id\":9}");
	assert_int_equal(find_host(m2, "f")->address, 0xc6130009u);
	/* A removed host's id and address are free again. */
	remove_ok(m2, MODEL_HOST, "e");
	put_ok(m2, MODEL_HOST, "{\"name\":\"g\",\"address\":\"198.19.0.2\"}");
	assert_int_equal(find_host(m2, "g")->id, 2);

	/* Clashes in a file. */
	error = build_error("substrate:\n"
			    "  hosts:\n"
			    "    - {name: h1, id: 2}\n"
			    "    - {name: h2, id: 2}\n",
			    NULL);
	assert_string_equal(error, "test.yaml:4:7: host h2: id 2 is already used by host h1");
	free(error);
	error = build_error("substrate:\n"
			    "  hosts:\n"
			    "    - {name: h1, address: 198.19.0.2}\n"
			    "    - {name: h2}\n",
			    NULL);
	assert_string_equal(
	    error, "test.yaml:4:7: host h2: address 198.19.0.2 is already used by host h1");
	free(error);
	model_destroy(m1);
	model_destroy(m2);
}

static void test_diff_kinds(void **state)
{
	static const char file1[] =
	    HOSTS3 "  links: [{a: h1, b: h2, latency: 1ms}, {a: h2, b: h3}]\n"
		   "tenants:\n"
		   "  - name: acme\n"
		   "    networks:\n"
		   "      - name: blue\n"
		   "        subnets: [{name: s, cidr: 10.0.0.0/24}]\n"
		   "        routers:\n"
		   "          - {name: r1, interfaces: [{name: e0, subnet: s, "
		   "ip: 10.0.0.1}]}\n"
		   "        instances:\n"
		   "          - {name: a, subnet: s, host: h3, ip: 10.0.0.10}\n";
	static const char file2[] = "substrate:\n"
				    "  hosts: [{name: h1}, {name: h2}, {name: h4}]\n"
				    "  links: [{a: h2, b: h1, latency: 2ms}]\n"
				    "service_levels:\n"
				    "  gold: {minimize: cost}\n"
				    "tenants:\n"
				    "  - name: acme\n";
	static const struct {
		enum model_change_op op;
		const char *key;
	} expected[] = {
	    {MODEL_CREATE, "/onm/hosts/h4"},
	    {MODEL_UPDATE, "/onm/links/h1/h2"},
	    {MODEL_CREATE, "/onm/service_levels/gold"},
	    {MODEL_DELETE, "/onm/instances/acme/blue/a"},
	    {MODEL_DELETE, "/onm/routers/acme/blue/r1"},
	    {MODEL_DELETE, "/onm/networks/acme/blue"},
	    {MODEL_DELETE, "/onm/links/h2/h3"},
	    {MODEL_DELETE, "/onm/hosts/h3"},
	};
	struct model *m1 = build(file1, NULL), *m2 = build(file2, m1);
	struct model_diff diff;

	(void)state;
	model_diff(m1, m2, &diff);
	for (size_t i = 0; i < diff.n; i++)
		print_message("# %d %s\n", diff.changes[i].op, diff.changes[i].key);
	assert_int_equal(diff.n, ARRAY_SIZE(expected));
	for (size_t i = 0; i < diff.n; i++) {
		assert_int_equal(diff.changes[i].op, expected[i].op);
		assert_string_equal(diff.changes[i].key, expected[i].key);
	}
	model_diff_destroy(&diff);

	/* The other way round: the override of gold goes, as a delete. */
	model_diff(m2, m1, &diff);
	assert_int_equal(diff.n, ARRAY_SIZE(expected));
	assert_int_equal(diff.changes[0].op, MODEL_CREATE);
	assert_string_equal(diff.changes[0].key, "/onm/hosts/h3");
	assert_int_equal(diff.changes[diff.n - 2].op, MODEL_DELETE);
	assert_string_equal(diff.changes[diff.n - 2].key, "/onm/service_levels/gold");
	assert_string_equal(diff.changes[diff.n - 1].key, "/onm/hosts/h4");
	model_diff_destroy(&diff);

	model_destroy(m1);
	model_destroy(m2);
}

/* Puts and removes of single objects, each refusal leaving the model as
 * it was. */
static void test_put_remove(void **state)
{
	static const char yaml[] =
	    NET_R1 "        security_groups: [{name: web, rules: []}, {name: db, rules: []}]\n"
		   "        instances:\n"
		   "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10, "
		   "security_groups: [web]}\n"
		   "          - {name: web2, subnet: web, host: h1, ip: 10.1.1.11}\n"
		   "          - {name: web3, subnet: web, host: h1, ip: 10.1.1.12}\n"
		   "          - {name: web4, subnet: web, host: h1, ip: 10.1.1.13}\n"
		   "          - {name: db1, subnet: db, host: h2, ip: 10.1.2.10, "
		   "security_groups: [db]}\n";
	static const struct {
		enum model_kind kind;
		const char *json;
		const char *message;
	} refusals[] = {
	    {MODEL_INSTANCE,
	     "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"x\",\"subnet\":\"web\","
	     "\"host\":\"h1\",\"ip\":\"10.1.1.10\"}",
	     "instance acme/blue/x: ip 10.1.1.10 is already used by instance acme/blue/web1"},
	    {MODEL_INSTANCE,
	     "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"web2\",\"subnet\":\"web\","
	     "\"host\":\"h1\",\"ip\":\"10.1.1.1\"}",
	     "instance acme/blue/web2: ip 10.1.1.1 is already used by router acme/blue/r1 "
	     "interface 'gi0'"},
	    {MODEL_INSTANCE,
	     "{\"tenant\":\"acme\",\"network\":\"green\",\"name\":\"x\",\"subnet\":\"web\","
	     "\"host\":\"h1\",\"ip\":\"10.1.1.99\"}",
	     "instance acme/green/x: unknown network 'acme/green'"},
	    {MODEL_INSTANCE,
	     "{\"tenant\":\"nobody\",\"network\":\"blue\",\"name\":\"x\",\"subnet\":\"web\","
	     "\"host\":\"h1\",\"ip\":\"10.1.1.99\"}",
	     "instance nobody/blue/x: unknown tenant 'nobody'"},
	    {MODEL_INSTANCE,
	     "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"x\",\"subnet\":\"web\","
	     "\"host\":\"h1\",\"ip\":\"10.1.1.99\",\"mac\":\"02:00:00:00:00:07\"}",
	     NULL /* mac of web1, filled in below */},
	    {MODEL_ROUTER,
	     "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r2\",\"interfaces\":["
	     "{\"name\":\"e0\",\"subnet\":\"db\",\"ip\":\"10.1.2.10\"}]}",
	     "router acme/blue/r2: interface 'e0': ip 10.1.2.10 is already used by instance "
	     "acme/blue/db1"},
	    {MODEL_ROUTER,
	     "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\",\"interfaces\":["
	     "{\"name\":\"gi0\",\"subnet\":\"web\",\"ip\":\"10.1.1.1\"}],"
	     "\"routes\":[{\"prefix\":\"10.9.0.0/16\",\"via\":\"10.1.2.10\"}]}",
	     "router acme/blue/r1: route 10.9.0.0/16: via 10.1.2.10 is not inside any subnet "
	     "the router has an interface on"},
	    {MODEL_ROUTER,
	     "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\",\"interfaces\":["
	     "{\"name\":\"gi0\",\"subnet\":\"web\",\"ip\":\"10.1.1.1\"}],"
	     "\"routes\":[{\"prefix\":\"10.9.0.0/16\",\"via\":\"10.1.1.1\"}]}",
	     "router acme/blue/r1: route 10.9.0.0/16: via 10.1.1.1 is the router's own "
	     "address (interface 'gi0')"},
	    /* Network replacements must keep their routers and instances. */
	    {MODEL_NETWORK,
	     "{\"tenant\":\"acme\",\"name\":\"blue\",\"subnets\":[{\"name\":\"web\",\"cidr\":"
	     "\"10.1.1.0/24\"}],\"security_groups\":[{\"name\":\"web\",\"rules\":[]},"
	     "{\"name\":\"db\",\"rules\":[]}]}",
	     "network acme/blue: router acme/blue/r1 would no longer fit: interface 'gi1': "
	     "unknown subnet 'db'"},
	    {MODEL_NETWORK,
	     "{\"tenant\":\"acme\",\"name\":\"blue\",\"subnets\":[{\"name\":\"web\",\"cidr\":"
	     "\"10.1.1.0/25\"},{\"name\":\"db\",\"cidr\":\"10.1.2.0/24\"}],"
	     "\"security_groups\":[{\"name\":\"web\",\"rules\":[]},{\"name\":\"db\","
	     "\"rules\":[]}]}",
	     NULL /* fits: tested as a success below */},
	    {MODEL_NETWORK,
	     "{\"tenant\":\"acme\",\"name\":\"blue\",\"subnets\":[{\"name\":\"web\",\"cidr\":"
	     "\"10.1.1.0/29\"},{\"name\":\"db\",\"cidr\":\"10.1.2.0/24\"}],"
	     "\"security_groups\":[{\"name\":\"web\",\"rules\":[]},{\"name\":\"db\","
	     "\"rules\":[]}]}",
	     "network acme/blue: instance acme/blue/web1 would no longer fit: ip 10.1.1.10 is "
	     "outside subnet 'web' (10.1.1.0/29)"},
	    {MODEL_NETWORK,
	     "{\"tenant\":\"acme\",\"name\":\"blue\",\"subnets\":[{\"name\":\"web\",\"cidr\":"
	     "\"10.1.1.0/24\"},{\"name\":\"db\",\"cidr\":\"10.1.2.0/24\"}],"
	     "\"security_groups\":[{\"name\":\"web\",\"rules\":[]}]}",
	     "network acme/blue: instance acme/blue/db1 would no longer fit: unknown security "
	     "group 'db'"},
	    {MODEL_NETWORK, "{\"tenant\":\"acme\",\"name\":\"red\",\"vni\":1000}",
	     "network acme/red: vni 1000 is already used by network acme/blue"},
	    {MODEL_TENANT, "{\"name\":\"acme\",\"service_level\":\"diamond\"}",
	     "tenant acme: unknown service level 'diamond'"},
	    {MODEL_LINK, "{\"a\":\"h1\",\"b\":\"h4\"}", "link h1/h4: unknown host 'h4'"},
	};
	struct model *m = build(yaml, NULL), *copy;
	const struct instance *web1 = find_instance(m, "acme/blue/web1");
	char mac_json[256], mac_message[256], mac[ETH_ADDR_STRLEN];
	char *error;

	(void)state;
	copy = clone_model(m);
	assert_int_equal(n_changes(copy, m), 0);
	assert_int_equal(n_changes(m, copy), 0);

	eth_addr_format(&web1->mac, mac);
	snprintf(mac_json, sizeof mac_json,
		 "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"x\",\"subnet\":\"web\","
		 "\"host\":\"h1\",\"ip\":\"10.1.1.99\",\"mac\":\"%s\"}",
		 mac);
	snprintf(mac_message, sizeof mac_message,
		 "instance acme/blue/x: mac %s is already used by instance acme/blue/web1", mac);

	for (size_t i = 0; i < ARRAY_SIZE(refusals); i++) {
		const char *json = refusals[i].json, *message = refusals[i].message;

		if (strstr(json, "02:00:00:00:00:07")) {
			json = mac_json;
			message = mac_message;
		} else if (!message) {
			continue;
		}
		error = put_error(m, refusals[i].kind, json);
		if (strcmp(error, message))
			fail_msg("case %zu:\n  expected: %s\n  got:      %s", i, message, error);
		free(error);
		assert_int_equal(n_changes(copy, m), 0);
	}
	/* The indexes are intact too: the same clashes are still found. */
	error = put_error(m, MODEL_INSTANCE, refusals[0].json);
	assert_string_equal(error, refusals[0].message);
	free(error);
	error = put_error(m, MODEL_INSTANCE, mac_json);
	assert_string_equal(error, mac_message);
	free(error);

	/* Removals refused while referenced. */
	error = remove_error(m, MODEL_HOST, "h1");
	assert_string_equal(error, "host h1 is still used by 4 instances (acme/blue/web1, "
				   "acme/blue/web2, acme/blue/web3, ...)");
	free(error);
	error = remove_error(m, MODEL_NETWORK, "acme/blue");
	assert_string_equal(error, "network acme/blue is still used by 5 instances "
				   "(acme/blue/db1, acme/blue/web1, acme/blue/web2, ...) and 1 "
				   "router (acme/blue/r1)");
	free(error);
	error = remove_error(m, MODEL_TENANT, "acme");
	assert_string_equal(error, "tenant acme is still used by 1 network (acme/blue)");
	free(error);
	error = remove_error(m, MODEL_SERVICE_LEVEL, "gold");
	assert_string_equal(error, "service level gold is built in and cannot be removed");
	free(error);
	error = remove_error(m, MODEL_INSTANCE, "acme/blue/x");
	assert_string_equal(error, "not found: instance acme/blue/x");
	free(error);
	assert_int_equal(n_changes(copy, m), 0);

	/* Successes: a new link, used by a host; a network change that fits;
	 * an instance replaced, keeping its MAC; a new instance gets one. */
	put_ok(m, MODEL_LINK, "{\"a\":\"h3\",\"b\":\"h2\",\"latency\":\"1ms\"}");
	error = remove_error(m, MODEL_HOST, "h3");
	assert_string_equal(error, "host h3 is still used by 1 link (h2/h3)");
	free(error);
	error = remove_error(m, MODEL_HOST, "h2");
	assert_string_equal(
	    error, "host h2 is still used by 1 instance (acme/blue/db1) and 1 link (h2/h3)");
	free(error);
	remove_ok(m, MODEL_LINK, "h3/h2");
	remove_ok(m, MODEL_HOST, "h3");

	put_ok(m, MODEL_NETWORK, refusals[9].json);
	assert_int_equal(find_network(m, "acme/blue")->vni, 1000);
	put_ok(m, MODEL_INSTANCE,
	       "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"web1\",\"subnet\":\"web\","
	       "\"host\":\"h2\",\"ip\":\"10.1.1.20\"}");
	web1 = find_instance(m, "acme/blue/web1");
	eth_addr_format(&web1->mac, mac);
	assert_non_null(strstr(mac_json, mac));
	assert_int_equal(web1->n_security_groups, 0);
	/* Its old address is free again, the new one taken. */
	put_ok(m, MODEL_INSTANCE,
	       "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"web5\",\"subnet\":\"web\","
	       "\"host\":\"h1\",\"ip\":\"10.1.1.10\"}");
	assert_int_equal(find_instance(m, "acme/blue/web5")->mac.b[0], 0x02);
	error = put_error(m, MODEL_INSTANCE,
			  "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"web6\","
			  "\"subnet\":\"web\",\"host\":\"h1\",\"ip\":\"10.1.1.20\"}");
	assert_string_equal(error, "instance acme/blue/web6: ip 10.1.1.20 is already used by "
				   "instance acme/blue/web1");
	free(error);
	/* A new network gets the lowest free VNI. */
	put_ok(m, MODEL_NETWORK, "{\"tenant\":\"acme\",\"name\":\"red\"}");
	assert_int_equal(find_network(m, "acme/red")->vni, 1001);
	assert_int_equal(model_count(m, MODEL_INSTANCE), 6);

	/* Empty the network, then remove it and its tenant. */
	{
		size_t n;
		struct model_object **list = model_list(m, MODEL_INSTANCE, &n);
		char **ids = xcalloc(n, sizeof *ids);

		for (size_t i = 0; i < n; i++)
			ids[i] = xstrdup(list[i]->id);
		free(list);
		for (size_t i = 0; i < n; i++) {
			remove_ok(m, MODEL_INSTANCE, ids[i]);
			free(ids[i]);
		}
		free(ids);
	}
	error = remove_error(m, MODEL_NETWORK, "acme/blue");
	assert_string_equal(error, "network acme/blue is still used by 1 router (acme/blue/r1)");
	free(error);
	remove_ok(m, MODEL_ROUTER, "acme/blue/r1");
	remove_ok(m, MODEL_NETWORK, "acme/blue");
	remove_ok(m, MODEL_NETWORK, "acme/red");
	remove_ok(m, MODEL_TENANT, "acme");
	remove_ok(m, MODEL_HOST, "h1");
	remove_ok(m, MODEL_HOST, "h2");
	for (int kind = 0; kind < MODEL_N_KINDS; kind++)
		assert_int_equal(model_count(m, kind), kind == MODEL_SERVICE_LEVEL ? 4 : 0);
	/* Its VNI is free again. */
	put_ok(m, MODEL_TENANT, "{\"name\":\"acme\"}");
	put_ok(m, MODEL_NETWORK, "{\"tenant\":\"acme\",\"name\":\"blue\"}");
	assert_int_equal(find_network(m, "acme/blue")->vni, 1000);

	model_destroy(copy);
	model_destroy(m);
}

/* Passwords through model_put: kept when they verify or are left out. */
static void test_put_passwords(void **state)
{
	struct model *m = model_create();
	char *hash;

	(void)state;
	put_ok(m, MODEL_TENANT,
	       "{\"name\":\"acme\",\"users\":[{\"name\":\"alice\",\"role\":\"admin\","
	       "\"password\":\"pw1\"}]}");
	hash = xstrdup(find_tenant(m, "acme")->users[0].password_hash);
	assert_true(password_verifies(hash, "pw1"));
	assert_null(find_tenant(m, "acme")->users[0].password);

	put_ok(m, MODEL_TENANT,
	       "{\"name\":\"acme\",\"users\":[{\"name\":\"alice\",\"role\":\"viewer\","
	       "\"password\":\"pw1\"}]}");
	assert_string_equal(find_tenant(m, "acme")->users[0].password_hash, hash);

	put_ok(m, MODEL_TENANT,
	       "{\"name\":\"acme\",\"users\":[{\"name\":\"alice\",\"role\":\"viewer\"},"
	       "{\"name\":\"bob\",\"role\":\"viewer\"}]}");
	assert_string_equal(find_tenant(m, "acme")->users[0].password_hash, hash);
	assert_null(find_tenant(m, "acme")->users[1].password_hash);

	put_ok(m, MODEL_TENANT,
	       "{\"name\":\"acme\",\"users\":[{\"name\":\"alice\",\"role\":\"viewer\","
	       "\"password\":\"pw2\"}]}");
	assert_string_not_equal(find_tenant(m, "acme")->users[0].password_hash, hash);
	assert_true(password_verifies(find_tenant(m, "acme")->users[0].password_hash, "pw2"));
	free(hash);
	model_destroy(m);
}

/* Random puts and removes of instances against a plain array. */
#define N_NAMES 40
#define N_OPS 4000

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
	/* xorshift32: deterministic across runs and platforms. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void test_random_instances(void **state)
{
	static const char yaml[] =
	    HOSTS3 "tenants:\n"
		   "  - name: t\n"
		   "    networks:\n"
		   "      - name: n\n"
		   "        subnets: [{name: s, cidr: 10.0.0.0/26}]\n"
		   "        routers: [{name: r, interfaces: [{name: e0, subnet: s, ip: "
		   "10.0.0.1}]}]\n"
		   "      - name: other\n"
		   "        subnets: [{name: s, cidr: 10.0.0.0/26}]\n"
		   "        instances: [{name: i0, subnet: s, host: h1, ip: 10.0.0.2}]\n";
	struct {
		bool present;
		uint32_t ip; /* last octet */
	} ref[N_NAMES] = {{0}};
	struct model *m = build(yaml, NULL);
	size_t n_present = 0, n_refused = 0, n_done = 0;

	(void)state;
	for (int op = 0; op < N_OPS; op++) {
		uint32_t k = rng() % N_NAMES;
		char id[64];

		snprintf(id, sizeof id, "t/n/i%u", k);
		if (rng() % 3) {
			/* Put: addresses .0 to .66, so outside the /26 and its
			 * network and broadcast addresses are picked too. */
			uint32_t ip = rng() % 67;
			bool expect = ip >= 1 && ip <= 62 && ip != 1;
			char json[256];
			struct model_object *obj, *replaced = NULL;
			char *error;

			for (size_t j = 0; j < N_NAMES && expect; j++)
				if (j != k && ref[j].present && ref[j].ip == ip)
					expect = false;
			snprintf(json, sizeof json,
				 "{\"tenant\":\"t\",\"network\":\"n\",\"name\":\"i%u\","
				 "\"subnet\":\"s\",\"host\":\"h%u\",\"ip\":\"10.0.0.%u\"}",
				 k, 1 + rng() % 3, ip);
			obj = object_json(MODEL_INSTANCE, json);
			error = model_put(m, obj, &replaced);
			if (expect != !error)
				fail_msg("op %d: put %s: expected %s, got %s", op, json,
					 expect ? "success" : "refusal", error ? error : "success");
			if (error) {
				model_object_destroy(obj);
				free(error);
				n_refused++;
			} else {
				assert_true((replaced != NULL) == ref[k].present);
				model_object_destroy(replaced);
				n_present += !ref[k].present;
				ref[k].present = true;
				ref[k].ip = ip;
				n_done++;
			}
		} else {
			struct model_object *removed = NULL;
			char *error = model_remove(m, MODEL_INSTANCE, id, &removed);

			assert_true(!error == ref[k].present);
			if (error) {
				assert_true(str_has_prefix(error, "not found: instance t/n/"));
				free(error);
			} else {
				model_object_destroy(removed);
				ref[k].present = false;
				n_present--;
				n_done++;
			}
		}
		assert_int_equal(model_count(m, MODEL_INSTANCE), n_present + 1);
	}
	for (uint32_t k = 0; k < N_NAMES; k++) {
		char id[64];
		const struct model_object *obj;

		snprintf(id, sizeof id, "t/n/i%u", k);
		obj = model_find(m, MODEL_INSTANCE, id);
		assert_true((obj != NULL) == ref[k].present);
		if (obj)
			assert_int_equal(CONTAINER_OF(obj, const struct instance, hdr)->ip,
					 0x0a000000u | ref[k].ip);
	}
	/* Both outcomes happened often. */
	assert_true(n_refused > N_OPS / 10);
	assert_true(n_done > N_OPS / 4);
	model_destroy(m);
}

/* 1,000 hosts, 100 tenants with a network each, 10,000 instances. */
static void test_size(void **state)
{
	struct topology *t = topology_create("big");
	struct model *m = NULL;
	uint64_t start, built, cycled;
	char json[512], *error;

	(void)state;
	for (int h = 0; h < 1000; h++) {
		snprintf(json, sizeof json, "{\"name\":\"h%d\"}", h);
		topology_add(t, object_json(MODEL_HOST, json));
	}
	for (int h = 1; h < 1000; h++) {
		snprintf(json, sizeof json, "{\"a\":\"h%d\",\"b\":\"h%d\"}", h - 1, h);
		topology_add(t, object_json(MODEL_LINK, json));
	}
	for (int i = 0; i < 100; i++) {
		snprintf(json, sizeof json, "{\"name\":\"t%d\"}", i);
		topology_add(t, object_json(MODEL_TENANT, json));
		snprintf(json, sizeof json,
			 "{\"tenant\":\"t%d\",\"name\":\"n\",\"subnets\":[{\"name\":\"s\","
			 "\"cidr\":\"10.0.0.0/16\"}]}",
			 i);
		topology_add(t, object_json(MODEL_NETWORK, json));
	}
	for (int i = 0; i < 10000; i++) {
		snprintf(json, sizeof json,
			 "{\"tenant\":\"t%d\",\"network\":\"n\",\"name\":\"i%d\",\"subnet\":\"s\","
			 "\"host\":\"h%d\",\"ip\":\"10.0.%d.%d\"}",
			 i % 100, i, i % 1000, 1 + i / 200, 1 + i % 200);
		topology_add(t, object_json(MODEL_INSTANCE, json));
	}

	start = time_usec();
	error = model_build(t, NULL, &m);
	built = time_usec();
	assert_null(error);
	topology_destroy(t);
	assert_int_equal(model_count(m, MODEL_INSTANCE), 10000);
	assert_int_equal(find_network(m, "t99/n")->vni, 1099);

	for (int i = 0; i < 1000; i++) {
		snprintf(json, sizeof json,
			 "{\"tenant\":\"t7\",\"network\":\"n\",\"name\":\"x\",\"subnet\":\"s\","
			 "\"host\":\"h5\",\"ip\":\"10.0.200.%d\"}",
			 1 + i % 250);
		put_ok(m, MODEL_INSTANCE, json);
		remove_ok(m, MODEL_INSTANCE, "t7/n/x");
	}
	cycled = time_usec();
	print_message("# build of 12,199 objects: %llu ms; 1,000 instance put+remove: %llu ms\n",
		      (unsigned long long)(built - start) / 1000,
		      (unsigned long long)(cycled - built) / 1000);
	/* Generous bounds (sanitizers, slow machines); typical is ~20x less. */
	assert_true(built - start < 5000000);
	assert_true(cycled - built < 2000000);

	error = remove_error(m, MODEL_HOST, "h5");
	assert_string_equal(error, "host h5 is still used by 10 instances (t5/n/i1005, t5/n/i2005, "
				   "t5/n/i3005, ...) and 2 links (h4/h5, h5/h6)");
	free(error);
	model_destroy(m);
}

/* Route Manager additions (service level DSCPs, weights and exclusions,
 * tenant quotas and quarantine, per-network routing). */

/* The canonical JSON of every object of spec.md's example as the model
 * wrote it before those additions (password hashes as HASH): a file that
 * does not use the new keys must keep its store contents and 'get -o json'
 * output byte for byte. */
static const struct {
	const char *id;
	const char *json;
} golden_spec[] = {
    {"h1", "{\"name\":\"h1\",\"id\":1,\"address\":\"198.19.0.1\",\"capabilities\":[]}"},
    {"h2", "{\"name\":\"h2\",\"id\":2,\"address\":\"198.19.0.2\",\"capabilities\":[]}"},
    {"h3", "{\"name\":\"h3\",\"id\":3,\"address\":\"198.19.0.3\",\"capabilities\":[]}"},
    {"h4", "{\"name\":\"h4\",\"id\":4,\"address\":\"198.19.0.4\",\"capabilities\":[]}"},
    {"scan1", "{\"name\":\"scan1\",\"id\":5,\"address\":\"198.19.0.5\","
	      "\"capabilities\":[\"inspection\"]}"},
    {"h1/h2", "{\"a\":\"h1\",\"b\":\"h2\",\"latency\":\"1ms\",\"bandwidth\":\"1gbit\","
	      "\"cost\":10,\"loss\":\"0%\",\"state\":\"up\"}"},
    {"h1/h4", "{\"a\":\"h1\",\"b\":\"h4\",\"latency\":\"15ms\",\"bandwidth\":\"100mbit\","
	      "\"cost\":1,\"loss\":\"0%\",\"state\":\"up\"}"},
    {"h1/scan1", "{\"a\":\"h1\",\"b\":\"scan1\",\"latency\":\"2ms\",\"bandwidth\":\"1gbit\","
		 "\"cost\":5,\"loss\":\"0%\",\"state\":\"up\"}"},
    {"h2/h3", "{\"a\":\"h2\",\"b\":\"h3\",\"latency\":\"1ms\",\"bandwidth\":\"1gbit\","
	      "\"cost\":10,\"loss\":\"0%\",\"state\":\"up\"}"},
    {"h3/h4", "{\"a\":\"h4\",\"b\":\"h3\",\"latency\":\"15ms\",\"bandwidth\":\"100mbit\","
	      "\"cost\":1,\"loss\":\"0%\",\"state\":\"up\"}"},
    {"h3/scan1", "{\"a\":\"scan1\",\"b\":\"h3\",\"latency\":\"2ms\",\"bandwidth\":\"1gbit\","
		 "\"cost\":5,\"loss\":\"0%\",\"state\":\"up\"}"},
    {"gold", "{\"name\":\"gold\",\"minimize\":\"latency\"}"},
    {"platinum", "{\"name\":\"platinum\",\"minimize\":\"latency\","
		 "\"min_bandwidth\":\"500mbit\"}"},
    {"quarantine", "{\"name\":\"quarantine\",\"minimize\":\"latency\","
		   "\"via_capability\":\"inspection\"}"},
    {"silver", "{\"name\":\"silver\",\"minimize\":\"cost\"}"},
    {"acme", "{\"name\":\"acme\",\"service_level\":\"platinum\","
	     "\"users\":[{\"name\":\"alice\",\"role\":\"admin\",\"password_hash\":\"HASH\"},"
	     "{\"name\":\"victor\",\"role\":\"viewer\",\"password_hash\":\"HASH\"}]}"},
    {"globex", "{\"name\":\"globex\",\"service_level\":\"silver\",\"users\":[]}"},
    {"acme/blue", "{\"tenant\":\"acme\",\"name\":\"blue\",\"vni\":1000,"
		  "\"subnets\":[{\"name\":\"web\",\"cidr\":\"10.1.1.0/24\"},{\"name\":\"db\","
		  "\"cidr\":\"10.1.2.0/24\"}],\"security_groups\":[{\"name\":\"web\","
		  "\"rules\":[{\"dir\":\"in\",\"proto\":\"tcp\",\"ports\":80,"
		  "\"from\":\"0.0.0.0/0\"},{\"dir\":\"in\",\"proto\":\"icmp\","
		  "\"from\":\"10.1.0.0/16\"}]},{\"name\":\"db\",\"rules\":[{\"dir\":\"in\","
		  "\"proto\":\"tcp\",\"ports\":5432,\"from_group\":\"web\"},{\"dir\":\"in\","
		  "\"proto\":\"icmp\",\"from\":\"10.1.0.0/16\"}]}]}"},
    {"globex/red", "{\"tenant\":\"globex\",\"name\":\"red\",\"vni\":1001,"
		   "\"subnets\":[{\"name\":\"main\",\"cidr\":\"10.1.1.0/24\"}],"
		   "\"security_groups\":[]}"},
    {"acme/blue/r1", "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\","
		     "\"interfaces\":[{\"name\":\"GigabitEthernet0/0\",\"subnet\":\"web\","
		     "\"ip\":\"10.1.1.1\"},{\"name\":\"GigabitEthernet0/1\",\"subnet\":\"db\","
		     "\"ip\":\"10.1.2.1\"}],\"routes\":[]}"},
    {"acme/blue/db1",
     "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"db1\",\"subnet\":\"db\","
     "\"host\":\"h3\",\"ip\":\"10.1.2.10\",\"mac\":\"02:78:b3:6d:d8:eb\","
     "\"security_groups\":[\"db\"]}"},
    {"acme/blue/web1",
     "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"web1\",\"subnet\":\"web\","
     "\"host\":\"h1\",\"ip\":\"10.1.1.10\",\"mac\":\"02:cb:02:46:55:3c\","
     "\"security_groups\":[\"web\"]}"},
    {"globex/red/app1", "{\"tenant\":\"globex\",\"network\":\"red\",\"name\":\"app1\","
			"\"subnet\":\"main\",\"host\":\"h1\",\"ip\":\"10.1.1.10\","
			"\"mac\":\"02:93:23:74:95:d1\",\"security_groups\":[]}"},
    {"globex/red/app2", "{\"tenant\":\"globex\",\"network\":\"red\",\"name\":\"app2\","
			"\"subnet\":\"main\",\"host\":\"h3\",\"ip\":\"10.1.1.20\","
			"\"mac\":\"02:43:c0:00:49:61\",\"security_groups\":[]}"},
};

/* 'json' with every argon2id hash replaced by HASH. Caller frees. */
static char *mask_hashes(const char *json)
{
	struct ds ds = DS_EMPTY_INITIALIZER;
	const char *p = json, *h;

	while ((h = strstr(p, "$argon2id$"))) {
		ds_put_buffer(&ds, p, (size_t)(h - p));
		ds_put_cstr(&ds, "HASH");
		p = strchr(h, '"');
		assert_non_null(p);
	}
	ds_put_cstr(&ds, p);
	return ds_steal_cstr(&ds);
}

static void test_golden_spec_json(void **state)
{
	struct model *m = build(spec_example, NULL), *again;
	size_t k = 0;

	(void)state;
	for (int kind = 0; kind < MODEL_N_KINDS; kind++) {
		size_t n;
		struct model_object **list = model_list(m, kind, &n);

		for (size_t i = 0; i < n; i++, k++) {
			char *masked = mask_hashes(list[i]->json);

			assert_true(k < ARRAY_SIZE(golden_spec));
			assert_string_equal(list[i]->id, golden_spec[k].id);
			assert_string_equal(masked, golden_spec[k].json);
			free(masked);
		}
		free(list);
	}
	assert_int_equal(k, ARRAY_SIZE(golden_spec));
	again = build(spec_example, m);
	assert_int_equal(n_changes(m, again), 0);
	model_destroy(again);
	model_destroy(m);
}

static void test_sl_builtin_dscps(void **state)
{
	struct model *m = model_create();

	(void)state;
	assert_int_equal(find_sl(m, "platinum")->dscp, 46);
	assert_int_equal(find_sl(m, "gold")->dscp, 34);
	assert_int_equal(find_sl(m, "silver")->dscp, 10);
	assert_int_equal(find_sl(m, "quarantine")->dscp, 8);
	assert_int_equal(model_builtin_dscp("gold"), 34);
	assert_int_equal(model_builtin_dscp("bronze"), SL_DSCP_UNSET);
	/* Named metrics carry their weights. */
	assert_int_equal(find_sl(m, "gold")->w_latency, 1);
	assert_int_equal(find_sl(m, "gold")->w_cost, 0);
	assert_int_equal(find_sl(m, "silver")->w_cost, 1);
	assert_int_equal(find_sl(m, "silver")->w_latency, 0);
	model_destroy(m);

	/* The example restates the built-ins exactly: still built in. */
	m = build(spec_example, NULL);
	assert_true(find_sl(m, "platinum")->builtin);
	assert_int_equal(find_sl(m, "platinum")->dscp, 46);
	model_destroy(m);

	/* Restating with the built-in DSCP too keeps it built in; another
	 * DSCP makes an override. Two built-ins may swap DSCPs in one file. */
	m = build("service_levels:\n"
		  "  platinum: {minimize: latency, min_bandwidth: 500mbit, dscp: 46}\n"
		  "  gold: {minimize: latency, dscp: 10}\n"
		  "  silver: {minimize: cost, dscp: 34}\n",
		  NULL);
	assert_true(find_sl(m, "platinum")->builtin);
	assert_false(find_sl(m, "gold")->builtin);
	assert_int_equal(find_sl(m, "gold")->dscp, 10);
	assert_int_equal(find_sl(m, "silver")->dscp, 34);
	assert_string_equal(find_sl(m, "gold")->hdr.json,
			    "{\"name\":\"gold\",\"minimize\":\"latency\",\"dscp\":10}");
	model_destroy(m);
}

static void test_sl_dscp_allocation(void **state)
{
	static const char file1[] = "service_levels:\n"
				    "  bronze: {minimize: cost}\n"
				    "  iron: {minimize: hops}\n"
				    "  fast: {minimize: latency, dscp: 1}\n"
				    "  gold: {minimize: hops}\n";
	/* Reordered, 'tin' new and first, 'fast' without its DSCP. */
	static const char file2[] = "service_levels:\n"
				    "  tin: {minimize: cost}\n"
				    "  iron: {minimize: hops}\n"
				    "  bronze: {minimize: cost}\n"
				    "  fast: {minimize: latency}\n"
				    "  gold: {minimize: hops}\n";
	/* 'copper' takes the DSCP of 'bronze', which must move. */
	static const char file3[] = "service_levels:\n"
				    "  bronze: {minimize: cost}\n"
				    "  copper: {minimize: cost, dscp: 2}\n";
	struct model *m1 = build(file1, NULL), *m2, *m3;

	(void)state;
	assert_int_equal(find_sl(m1, "fast")->dscp, 1);
	assert_int_equal(find_sl(m1, "bronze")->dscp, 2);
	assert_int_equal(find_sl(m1, "iron")->dscp, 3);
	/* An override keeps its built-in's DSCP, and does not write it. */
	assert_false(find_sl(m1, "gold")->builtin);
	assert_int_equal(find_sl(m1, "gold")->dscp, 34);
	assert_string_equal(find_sl(m1, "gold")->hdr.json,
			    "{\"name\":\"gold\",\"minimize\":\"hops\"}");
	assert_string_equal(find_sl(m1, "bronze")->hdr.json,
			    "{\"name\":\"bronze\",\"minimize\":\"cost\",\"dscp\":2}");

	m2 = build(file2, m1);
	assert_int_equal(find_sl(m2, "fast")->dscp, 1);
	assert_int_equal(find_sl(m2, "bronze")->dscp, 2);
	assert_int_equal(find_sl(m2, "iron")->dscp, 3);
	assert_int_equal(find_sl(m2, "tin")->dscp, 4);
	assert_int_equal(n_changes(m1, m2), 1); /* tin */

	m3 = build(file3, m1);
	assert_int_equal(find_sl(m3, "copper")->dscp, 2);
	/* Not 1 or 3 either: those were the old model's. */
	assert_int_equal(find_sl(m3, "bronze")->dscp, 4);
	model_destroy(m3);

	/* Without an old model, the same file gives the same DSCPs. */
	m3 = build(file1, NULL);
	assert_int_equal(n_changes(m1, m3), 0);
	model_destroy(m3);
	model_destroy(m2);
	model_destroy(m1);
}

static void test_sl_dscp_refusals(void **state)
{
	struct ds yaml = DS_EMPTY_INITIALIZER;
	char *error;

	(void)state;
	error = build_error("service_levels:\n"
			    "  a: {minimize: cost, dscp: 5}\n"
			    "  b: {minimize: cost, dscp: 5}\n",
			    NULL);
	assert_string_equal(error, "test.yaml:3:6: service level b: dscp 5 is already used by "
				   "service level a");
	free(error);
	error = build_error("service_levels:\n"
			    "  a: {minimize: cost, dscp: 46}\n",
			    NULL);
	assert_string_equal(error, "test.yaml:2:6: service level a: dscp 46 is already used by "
				   "service level platinum");
	free(error);

	/* 63 values less the four built-ins leave 59 (0 only when asked for). */
	ds_put_cstr(&yaml, "service_levels:\n");
	for (int i = 0; i < 60; i++)
		ds_put_format(&yaml, "  l%d: {minimize: cost}\n", i);
	error = build_error(ds_cstr(&yaml), NULL);
	assert_string_equal(error, "test.yaml:61:8: service level l59: no free DSCP left (1..63 "
				   "are all in use)");
	free(error);
	ds_clear(&yaml);
	ds_put_cstr(&yaml, "service_levels:\n");
	for (int i = 0; i < 59; i++)
		ds_put_format(&yaml, "  l%d: {minimize: cost}\n", i);
	ds_put_cstr(&yaml, "  zero: {minimize: cost, dscp: 0}\n");
	{
		struct model *m = build(ds_cstr(&yaml), NULL);
		assert_int_equal(find_sl(m, "zero")->dscp, 0);
		assert_int_equal(find_sl(m, "l58")->dscp, 63);
		model_destroy(m);
	}
	ds_destroy(&yaml);
}

static void test_sl_dscp_put_remove(void **state)
{
	struct model *m = model_create();
	char *error;

	(void)state;
	put_ok(m, MODEL_SERVICE_LEVEL, "{\"name\":\"bronze\",\"minimize\":\"cost\"}");
	assert_int_equal(find_sl(m, "bronze")->dscp, 1);
	/* Replaced: keeps its DSCP. */
	put_ok(m, MODEL_SERVICE_LEVEL, "{\"name\":\"bronze\",\"minimize\":\"hops\"}");
	assert_int_equal(find_sl(m, "bronze")->dscp, 1);
	put_ok(m, MODEL_SERVICE_LEVEL, "{\"name\":\"iron\",\"minimize\":\"hops\"}");
	assert_int_equal(find_sl(m, "iron")->dscp, 2);
	error =
	    put_error(m, MODEL_SERVICE_LEVEL, "{\"name\":\"x\",\"minimize\":\"cost\",\"dscp\":2}");
	assert_string_equal(error, "service level x: dscp 2 is already used by service level iron");
	free(error);
	/* A refused put takes no DSCP. */
	error = put_error(m, MODEL_SERVICE_LEVEL,
			  "{\"name\":\"x\",\"minimize\":\"cost\",\"exclude_hosts\":[\"h9\"]}");
	assert_string_equal(error, "service level x: exclude_hosts: unknown host 'h9'");
	free(error);
	put_ok(m, MODEL_SERVICE_LEVEL, "{\"name\":\"x\",\"minimize\":\"cost\"}");
	assert_int_equal(find_sl(m, "x")->dscp, 3);

	/* An override may give its built-in's DSCP away; then the built-in
	 * cannot come back until it is free again. */
	put_ok(m, MODEL_SERVICE_LEVEL, "{\"name\":\"platinum\",\"minimize\":\"hops\",\"dscp\":50}");
	assert_string_equal(find_sl(m, "platinum")->hdr.json,
			    "{\"name\":\"platinum\",\"minimize\":\"hops\",\"dscp\":50}");
	put_ok(m, MODEL_SERVICE_LEVEL, "{\"name\":\"fast\",\"minimize\":\"hops\",\"dscp\":46}");
	error = remove_error(m, MODEL_SERVICE_LEVEL, "platinum");
	assert_string_equal(error, "service level platinum cannot go back to the built-in: its "
				   "dscp 46 is used by service level fast");
	free(error);
	remove_ok(m, MODEL_SERVICE_LEVEL, "fast");
	{
		struct model_object *removed = NULL;
		assert_null(model_remove(m, MODEL_SERVICE_LEVEL, "platinum", &removed));
		model_object_destroy(removed);
	}
	assert_true(find_sl(m, "platinum")->builtin);
	assert_int_equal(find_sl(m, "platinum")->dscp, 46);
	/* An override without a DSCP takes the built-in's. */
	put_ok(m, MODEL_SERVICE_LEVEL, "{\"name\":\"platinum\",\"minimize\":\"hops\"}");
	assert_int_equal(find_sl(m, "platinum")->dscp, 46);
	assert_string_equal(find_sl(m, "platinum")->hdr.json,
			    "{\"name\":\"platinum\",\"minimize\":\"hops\"}");
	model_destroy(m);
}

/* Lines 1-5: three hosts, links h1-h2 and h2-h3. */
#define HOSTS3_LINKS                                                                               \
	HOSTS3 "  links:\n"                                                                        \
	       "    - {a: h1, b: h2}\n"                                                            \
	       "    - {a: h2, b: h3}\n"

static void test_sl_weights_exclusions(void **state)
{
	static const char yaml[] = HOSTS3_LINKS
	    "service_levels:\n"
	    "  safe: {minimize: latency, exclude_hosts: [h2], exclude_links: [h3/h2]}\n"
	    "  mixed: {minimize: {latency: 2, loss: 5}}\n"
	    "  lossless: {minimize: loss}\n"
	    "tenants:\n"
	    "  - {name: acme, service_level: safe}\n";
	struct model *m = build(yaml, NULL);
	const struct service_level *sl;
	char *error;

	(void)state;
	sl = find_sl(m, "safe");
	assert_int_equal(sl->n_exclude_hosts, 1);
	assert_string_equal(sl->exclude_hosts[0], "h2");
	assert_int_equal(sl->n_exclude_links, 1);
	assert_string_equal(sl->exclude_links[0], "h2/h3");
	assert_string_equal(sl->hdr.json,
			    "{\"name\":\"safe\",\"minimize\":\"latency\",\"dscp\":1,"
			    "\"exclude_hosts\":[\"h2\"],\"exclude_links\":[\"h2/h3\"]}");
	sl = find_sl(m, "mixed");
	assert_int_equal(sl->minimize, SL_MIN_WEIGHTED);
	assert_int_equal(sl->w_latency, 2);
	assert_int_equal(sl->w_cost, 0);
	assert_int_equal(sl->w_hops, 0);
	assert_int_equal(sl->w_loss, 5);
	assert_string_equal(
	    sl->hdr.json,
	    "{\"name\":\"mixed\",\"minimize\":{\"latency\":2,\"loss\":5},\"dscp\":2}");
	sl = find_sl(m, "lossless");
	assert_int_equal(sl->minimize, SL_MIN_LOSS);
	assert_int_equal(sl->w_loss, 1);
	assert_int_equal(sl->w_latency, 0);

	/* What a level excludes cannot go; the level can, then they can. */
	error = remove_error(m, MODEL_HOST, "h2");
	assert_string_equal(error, "host h2 is still used by 1 service level (safe) and 2 links "
				   "(h1/h2, h2/h3)");
	free(error);
	error = remove_error(m, MODEL_LINK, "h3/h2");
	assert_string_equal(error, "link h2/h3 is still used by 1 service level (safe)");
	free(error);
	{
		struct model *copy = clone_model(m);
		assert_int_equal(n_changes(m, copy), 0);
		model_destroy(copy);
	}
	put_ok(m, MODEL_TENANT, "{\"name\":\"acme\"}");
	remove_ok(m, MODEL_SERVICE_LEVEL, "safe");
	remove_ok(m, MODEL_LINK, "h2/h3");
	model_destroy(m);

	error = build_error(HOSTS3_LINKS "service_levels:\n"
					 "  safe: {minimize: latency, exclude_hosts: [h1, h9]}\n",
			    NULL);
	assert_string_equal(error, "test.yaml:7:9: service level safe: exclude_hosts: unknown "
				   "host 'h9'");
	free(error);
	error =
	    build_error(HOSTS3_LINKS "service_levels:\n"
				     "  safe: {minimize: latency, exclude_links: [h1/h2, h3/h1]}\n",
			NULL);
	assert_string_equal(error, "test.yaml:7:9: service level safe: exclude_links: unknown "
				   "link 'h1/h3'");
	free(error);
}

static void mutate_no_weights(struct topology *t)
{
	struct model_object *obj = topology_find(t, MODEL_SERVICE_LEVEL, "mixed");
	struct service_level *sl = CONTAINER_OF(obj, struct service_level, hdr);
	sl->w_latency = 0;
}

static void mutate_fallback_own(struct topology *t)
{
	struct model_object *obj = topology_find(t, MODEL_TENANT, "acme");
	set_name(&CONTAINER_OF(obj, struct tenant, hdr)->fallback, "gold");
}

static void mutate_no_quota(struct topology *t)
{
	struct model_object *obj = topology_find(t, MODEL_TENANT, "acme");
	CONTAINER_OF(obj, struct tenant, hdr)->premium_quota = 0;
}

static void mutate_coefficient(struct topology *t)
{
	struct model_object *obj = topology_find(t, MODEL_NETWORK, "acme/blue");
	CONTAINER_OF(obj, struct network, hdr)->routing.coef_milli[SL_ATTR_LOSS] = VN_COEF_MAX + 1;
}

static void test_tenant_quota_quarantine(void **state)
{
	static const char yaml[] =
	    HOSTS3 "service_levels:\n"
		   "  bronze: {minimize: cost}\n"
		   "tenants:\n"
		   "  - {name: acme, service_level: platinum, premium_quota: 500mb}\n"
		   "  - {name: globex, premium_quota: 1.5gib, fallback: bronze}\n"
		   "  - {name: initech, quarantine: true}\n"
		   "  - {name: hooli, quarantine: false}\n";
	struct model *m = build(yaml, NULL), *again;
	const struct tenant *t;
	char *error;

	(void)state;
	t = find_tenant(m, "acme");
	assert_int_equal(t->premium_quota, 500000000);
	assert_string_equal(t->fallback, "silver");
	assert_false(t->quarantine);
	assert_string_equal(t->hdr.json, "{\"name\":\"acme\",\"service_level\":\"platinum\","
					 "\"users\":[],\"premium_quota\":\"500mb\",\"fallback\":"
					 "\"silver\"}");
	t = find_tenant(m, "globex");
	assert_int_equal(t->premium_quota, 1610612736);
	assert_string_equal(t->fallback, "bronze");
	assert_string_equal(t->hdr.json, "{\"name\":\"globex\",\"service_level\":\"gold\","
					 "\"users\":[],\"premium_quota\":\"1536mib\",\"fallback\":"
					 "\"bronze\"}");
	t = find_tenant(m, "initech");
	assert_true(t->quarantine);
	assert_int_equal(t->premium_quota, 0);
	assert_null(t->fallback);
	assert_string_equal(t->hdr.json, "{\"name\":\"initech\",\"service_level\":\"gold\","
					 "\"users\":[],\"quarantine\":true}");
	/* The default is not written. */
	assert_string_equal(find_tenant(m, "hooli")->hdr.json,
			    "{\"name\":\"hooli\",\"service_level\":\"gold\",\"users\":[]}");

	/* A fallback is a use of the level. */
	error = remove_error(m, MODEL_SERVICE_LEVEL, "bronze");
	assert_string_equal(error, "service level bronze is still used by 1 tenant (globex)");
	free(error);
	again = build(yaml, m);
	assert_int_equal(n_changes(m, again), 0);
	model_destroy(again);
	again = clone_model(m);
	assert_int_equal(n_changes(m, again), 0);
	model_destroy(again);
	/* Quarantine on and off through a put, as 'onm tenant quarantine' does. */
	put_ok(m, MODEL_TENANT,
	       "{\"name\":\"globex\",\"premium_quota\":\"1536mib\","
	       "\"fallback\":\"bronze\",\"quarantine\":true}");
	assert_true(find_tenant(m, "globex")->quarantine);
	put_ok(m, MODEL_TENANT,
	       "{\"name\":\"globex\",\"premium_quota\":\"1536mib\","
	       "\"fallback\":\"bronze\",\"quarantine\":false}");
	assert_false(find_tenant(m, "globex")->quarantine);
	model_destroy(m);

	error = build_error(HOSTS3 "tenants:\n"
				   "  - {name: acme, premium_quota: 1gb, fallback: copper}\n",
			    NULL);
	assert_string_equal(error,
			    "test.yaml:4:5: tenant acme: unknown fallback service level 'copper'");
	free(error);
	error = build_error(HOSTS3 "tenants:\n"
				   "  - {name: acme, premium_quota: 1gb, fallback: platinum}\n",
			    mutate_fallback_own);
	assert_string_equal(error,
			    "test.yaml:4:5: tenant acme: fallback service level 'gold' is the "
			    "tenant's own");
	free(error);
	error = build_error(HOSTS3 "tenants:\n"
				   "  - {name: acme, premium_quota: 1gb}\n",
			    mutate_no_quota);
	assert_string_equal(error,
			    "test.yaml:4:5: tenant acme: premium_quota and fallback go together");
	free(error);
	error = build_error(HOSTS3 "service_levels:\n"
				   "  mixed: {minimize: {latency: 2}}\n",
			    mutate_no_weights);
	assert_string_equal(error, "test.yaml:4:10: service level mixed: the weights to minimize "
				   "must be 0..1000000 with at least one above 0");
	free(error);
}

static void mutate_snmp_same(struct topology *t)
{
	struct tenant *tn =
	    CONTAINER_OF(topology_find(t, MODEL_TENANT, "acme"), struct tenant, hdr);

	tn->snmp.rw_community = xstrdup(tn->snmp.ro_community);
}

static void mutate_snmp_bad(struct topology *t)
{
	struct tenant *tn =
	    CONTAINER_OF(topology_find(t, MODEL_TENANT, "acme"), struct tenant, hdr);

	tn->snmp.ro_community[0] = '@';
}

/* A tenant's SNMP communities and trap receivers: kept by the model,
 * unchanged by a second build, checked when built in C. */
static void test_tenant_snmp(void **state)
{
	static const char yaml[] = HOSTS3 "tenants:\n"
					  "  - {name: acme, snmp: {ro_community: pub, "
					  "trap_receivers: [\"127.0.0.1:1162\"]}}\n";
	struct model *m = build(yaml, NULL), *again;
	const struct tenant *t = find_tenant(m, "acme");
	char *error;

	(void)state;
	assert_string_equal(t->snmp.ro_community, "pub");
	assert_int_equal(t->snmp.n_trap_receivers, 1);
	assert_string_equal(t->hdr.json, "{\"name\":\"acme\",\"service_level\":\"gold\","
					 "\"users\":[],\"snmp\":{\"ro_community\":\"pub\","
					 "\"trap_receivers\":[\"127.0.0.1:1162\"]}}");
	again = build(yaml, m);
	assert_int_equal(n_changes(m, again), 0);
	model_destroy(again);
	put_ok(m, MODEL_TENANT, "{\"name\":\"acme\",\"snmp\":{\"rw_community\":\"priv\"}}");
	t = find_tenant(m, "acme");
	assert_null(t->snmp.ro_community);
	assert_string_equal(t->snmp.rw_community, "priv");
	model_destroy(m);

	error = build_error(yaml, mutate_snmp_same);
	assert_string_equal(error, "test.yaml:4:5: tenant acme: snmp: rw_community is the "
				   "ro_community");
	free(error);
	error = build_error(yaml, mutate_snmp_bad);
	assert_string_equal(error, "test.yaml:4:5: tenant acme: snmp: ro_community is not a "
				   "valid community");
	free(error);
}

/* NET_HEAD plus routing for acme/blue at lines 8-12. */
#define NET_ROUTING(PATHS, PREFER, AVOID)                                                          \
	NET_HEAD "        routing:\n"                                                              \
		 "          coefficients: {latency: 0.5, cost: 2, loss: \"0.125\"}\n"              \
		 "          paths: " PATHS "\n"                                                    \
		 "          prefer_hosts: " PREFER "\n"                                            \
		 "          avoid_hosts: " AVOID "\n"

static void test_network_routing(void **state)
{
	static const char yaml[] = NET_ROUTING(
	    "[{from: h1, to: h3, via: [h2]}, {from: h3, to: h1, via: [h2]}]", "[h2]", "[h3]");
	struct model *m = build(yaml, NULL), *again;
	const struct network *n = find_network(m, "acme/blue");
	const struct vn_routing *r = &n->routing;
	char *error;

	(void)state;
	assert_int_equal(r->coef_milli[SL_ATTR_LATENCY], 500);
	assert_int_equal(r->coef_milli[SL_ATTR_COST], 2000);
	assert_int_equal(r->coef_milli[SL_ATTR_HOPS], 1000);
	assert_int_equal(r->coef_milli[SL_ATTR_LOSS], 125);
	assert_int_equal(r->n_paths, 2);
	assert_string_equal(r->paths[0].from, "h1");
	assert_string_equal(r->paths[0].to, "h3");
	assert_int_equal(r->paths[0].n_via, 1);
	assert_string_equal(r->paths[0].via[0], "h2");
	assert_int_equal(r->paths[1].pos.line, 10);
	assert_int_equal(r->n_prefer_hosts, 1);
	assert_string_equal(r->prefer_hosts[0], "h2");
	assert_int_equal(r->n_avoid_hosts, 1);
	assert_string_equal(r->avoid_hosts[0], "h3");
	assert_string_equal(
	    n->hdr.json,
	    "{\"tenant\":\"acme\",\"name\":\"blue\",\"vni\":1000,\"subnets\":[{\"name\":\"web\","
	    "\"cidr\":\"10.1.1.0/24\"},{\"name\":\"db\",\"cidr\":\"10.1.2.0/24\"}],"
	    "\"security_groups\":[],\"routing\":{\"coefficients\":{\"latency\":\"0.5\",\"cost\":"
	    "\"2\",\"loss\":\"0.125\"},\"paths\":[{\"from\":\"h1\",\"to\":\"h3\",\"via\":[\"h2\"]},"
	    "{\"from\":\"h3\",\"to\":\"h1\",\"via\":[\"h2\"]}],\"prefer_hosts\":[\"h2\"],"
	    "\"avoid_hosts\":[\"h3\"]}}");
	again = build(yaml, m);
	assert_int_equal(n_changes(m, again), 0);
	model_destroy(again);
	again = clone_model(m);
	assert_int_equal(n_changes(m, again), 0);
	model_destroy(again);

	/* The hosts it names are in use, each counted once. */
	error = remove_error(m, MODEL_HOST, "h2");
	assert_string_equal(error, "host h2 is still used by 1 network (acme/blue)");
	free(error);
	/* Without routing the network lets them go. */
	put_ok(m, MODEL_NETWORK, "{\"tenant\":\"acme\",\"name\":\"blue\"}");
	assert_string_equal(find_network(m, "acme/blue")->hdr.json,
			    "{\"tenant\":\"acme\",\"name\":\"blue\",\"vni\":1000,\"subnets\":[],"
			    "\"security_groups\":[]}");
	remove_ok(m, MODEL_HOST, "h2");
	model_destroy(m);

	error = build_error(NET_ROUTING("[{from: h1, to: h3, via: [h9]}]", "[]", "[]"), NULL);
	assert_string_equal(error, "test.yaml:10:19: network acme/blue: routing: path h1 -> h3: "
				   "unknown host 'h9'");
	free(error);
	error = build_error(NET_ROUTING("[{from: h8, to: h3, via: [h2]}]", "[]", "[]"), NULL);
	assert_string_equal(error, "test.yaml:10:19: network acme/blue: routing: path h8 -> h3: "
				   "unknown host 'h8'");
	free(error);
	error = build_error(NET_ROUTING("[]", "[h1, h7]", "[]"), NULL);
	assert_string_equal(error,
			    "test.yaml:6:9: network acme/blue: routing: prefer_hosts: unknown "
			    "host 'h7'");
	free(error);
	error = build_error(NET_ROUTING("[]", "[]", "[h6]"), NULL);
	assert_string_equal(error,
			    "test.yaml:6:9: network acme/blue: routing: avoid_hosts: unknown "
			    "host 'h6'");
	free(error);
	error = build_error(NET_ROUTING("[]", "[]", "[]"), mutate_coefficient);
	assert_string_equal(error,
			    "test.yaml:6:9: network acme/blue: routing: coefficient out of range");
	free(error);
}

/* Lines 8-18: NET_HEAD plus router r1 with issue 5's keys. */
#define NET_FEATURES                                                                               \
	NET_HEAD                                                                                   \
	    "        routers:\n"                                                                   \
	    "          - name: r1\n"                                                               \
	    "            interfaces:\n"                                                            \
	    "              - {name: gi0, subnet: web, ip: 10.1.1.1, shutdown: true, "              \
	    "description: web tier, shape: 10mbit, access_group_in: WEB-IN}\n"                     \
	    "              - {name: gi1, subnet: db, ip: 10.1.2.1, access_group_out: WEB-IN}\n"    \
	    "            redirects: [{from: 10.1.2.99, to: 10.1.2.10}, {from: 10.1.2.98, to: "     \
	    "10.1.2.10}]\n"                                                                        \
	    "            access_lists:\n"                                                          \
	    "              - name: WEB-IN\n"                                                       \
	    "                rules:\n"                                                             \
	    "                  - {action: permit, proto: tcp, dst: 10.1.2.0/24, port: 80}\n"       \
	    "                  - {action: deny, proto: ip}\n"

static struct router *topology_router(struct topology *t)
{
	return CONTAINER_OF(topology_find(t, MODEL_ROUTER, "acme/blue/r1"), struct router, hdr);
}

static void mutate_acl_in_unknown(struct topology *t)
{
	set_name(&topology_router(t)->interfaces[0].acl_in, "WEB-OUT");
}

static void mutate_acl_out_unknown(struct topology *t)
{
	set_name(&topology_router(t)->interfaces[1].acl_out, "web-in");
}

static void mutate_acl_name(struct topology *t)
{
	set_name(&topology_router(t)->acls[0].name, "WEB IN");
}

/* A second access list with the first one's name. */
static void mutate_acl_dup(struct topology *t)
{
	struct router *r = topology_router(t);

	r->acls = xrealloc(r->acls, 2 * sizeof *r->acls);
	r->acls[1] = (struct router_acl){xstrdup("WEB-IN"), NULL, 0, {19, 15}};
	r->n_acls = 2;
}

static void mutate_acl_port(struct topology *t)
{
	topology_router(t)->acls[0].rules[0].proto = SG_PROTO_ICMP;
}

static void mutate_acl_prefix(struct topology *t)
{
	topology_router(t)->acls[0].rules[1].src = (struct ipv4_prefix){0x0a000001, 8};
}

static void mutate_redirect_self(struct topology *t)
{
	struct router *r = topology_router(t);

	r->redirects[1].to = r->redirects[1].from;
}

static void mutate_redirect_dup(struct topology *t)
{
	struct router *r = topology_router(t);

	r->redirects[1].from = r->redirects[0].from;
}

static void mutate_description(struct topology *t)
{
	set_name(&topology_router(t)->interfaces[0].description, "caf\xc3\xa9");
}

static void test_router_features(void **state)
{
	static const struct {
		void (*mutate)(struct topology *);
		const char *message;
	} refusals[] = {
	    {mutate_acl_in_unknown, "test.yaml:11:17: router acme/blue/r1: interface 'gi0': "
				    "access_group_in: unknown access list 'WEB-OUT'"},
	    {mutate_acl_out_unknown, "test.yaml:12:17: router acme/blue/r1: interface 'gi1': "
				     "access_group_out: unknown access list 'web-in'"},
	    {mutate_acl_name, "test.yaml:15:17: router acme/blue/r1: invalid access list name "
			      "'WEB IN' ([A-Za-z0-9_-], at most 64 characters)"},
	    {mutate_acl_dup, "test.yaml:19:15: router acme/blue/r1: duplicate access list "
			     "'WEB-IN'"},
	    {mutate_acl_port, "test.yaml:17:21: router acme/blue/r1: access list 'WEB-IN': rule "
			      "1: a port needs proto tcp or udp"},
	    {mutate_acl_prefix, "test.yaml:18:21: router acme/blue/r1: access list 'WEB-IN': rule "
				"2: invalid prefix"},
	    {mutate_redirect_self, "test.yaml:13:59: router acme/blue/r1: redirect 10.1.2.98: to "
				   "is the same address"},
	    {mutate_redirect_dup, "test.yaml:13:59: router acme/blue/r1: 10.1.2.99 is redirected "
				  "twice"},
	    {mutate_description, "test.yaml:11:17: router acme/blue/r1: interface 'gi0': the "
				 "description must be printable ASCII of 1 to 240 characters"},
	};
	struct model *m = build(NET_FEATURES, NULL), *again;
	const struct router *r;
	char *error;

	(void)state;
	r = CONTAINER_OF(model_find(m, MODEL_ROUTER, "acme/blue/r1"), struct router, hdr);
	assert_true(r->interfaces[0].shutdown);
	assert_int_equal(r->interfaces[0].shape_bps, 10000000);
	assert_string_equal(r->interfaces[1].acl_out, "WEB-IN");
	assert_int_equal(r->n_redirects, 2);
	assert_int_equal(r->n_acls, 1);
	assert_string_equal(
	    r->hdr.json,
	    "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\",\"interfaces\":[{\"name\":"
	    "\"gi0\",\"subnet\":\"web\",\"ip\":\"10.1.1.1\",\"shutdown\":true,\"description\":"
	    "\"web tier\",\"shape\":\"10mbit\",\"access_group_in\":\"WEB-IN\"},{\"name\":\"gi1\","
	    "\"subnet\":\"db\",\"ip\":\"10.1.2.1\",\"access_group_out\":\"WEB-IN\"}],\"routes\":"
	    "[],\"redirects\":[{\"from\":\"10.1.2.99\",\"to\":\"10.1.2.10\"},{\"from\":"
	    "\"10.1.2.98\",\"to\":\"10.1.2.10\"}],\"access_lists\":[{\"name\":\"WEB-IN\","
	    "\"rules\":[{\"action\":\"permit\",\"proto\":\"tcp\",\"src\":\"any\",\"dst\":"
	    "\"10.1.2.0/24\",\"port\":80},{\"action\":\"deny\",\"proto\":\"ip\",\"src\":\"any\","
	    "\"dst\":\"any\"}]}]}");
	/* Applying it again changes nothing; without the keys the router is
	 * the one update. */
	again = build(NET_FEATURES, m);
	assert_int_equal(n_changes(m, again), 0);
	model_destroy(again);
	again = build(NET_R1, m);
	assert_int_equal(n_changes(m, again), 1);
	model_destroy(again);

	for (size_t i = 0; i < ARRAY_SIZE(refusals); i++) {
		error = build_error(NET_FEATURES, refusals[i].mutate);
		if (strcmp(error, refusals[i].message))
			fail_msg("case %zu:\n  expected: %s\n  got:      %s", i,
				 refusals[i].message, error);
		free(error);
	}

	/* The REST form: a refused put (an unknown subnet) leaves the router
	 * as it was; a put that drops the access list with its uses goes
	 * through. */
	error = put_error(m, MODEL_ROUTER,
			  "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\","
			  "\"interfaces\":[{\"name\":\"gi0\",\"subnet\":\"dmz\",\"ip\":"
			  "\"10.1.1.1\",\"access_group_in\":\"A\"}],\"access_lists\":[{\"name\":"
			  "\"A\"}]}");
	assert_string_equal(error, "router acme/blue/r1: interface 'gi0': unknown subnet 'dmz'");
	free(error);
	assert_int_equal(
	    CONTAINER_OF(model_find(m, MODEL_ROUTER, "acme/blue/r1"), struct router, hdr)->n_acls,
	    1);
	put_ok(
	    m, MODEL_ROUTER,
	    "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\",\"interfaces\":[{\"name\":"
	    "\"gi0\",\"subnet\":\"web\",\"ip\":\"10.1.1.1\",\"shutdown\":true}],\"redirects\":"
	    "[{\"from\":\"10.1.1.50\",\"to\":\"10.1.2.50\"}]}");
	r = CONTAINER_OF(model_find(m, MODEL_ROUTER, "acme/blue/r1"), struct router, hdr);
	assert_int_equal(r->n_acls, 0);
	assert_int_equal(r->n_redirects, 1);
	assert_string_equal(r->hdr.json,
			    "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\","
			    "\"interfaces\":[{\"name\":\"gi0\",\"subnet\":\"web\",\"ip\":"
			    "\"10.1.1.1\",\"shutdown\":true}],\"routes\":[],\"redirects\":[{"
			    "\"from\":\"10.1.1.50\",\"to\":\"10.1.2.50\"}]}");
	model_destroy(m);
}

/* Lines 1-8: three hosts, tenant acme with alice (all of issue 5's user
 * keys) and bob (none). */
#define USERS_FEATURES                                                                             \
	HOSTS3 "tenants:\n"                                                                        \
	       "  - name: acme\n"                                                                  \
	       "    users:\n"                                                                      \
	       "      - {name: alice, role: admin, password: pw, style: junos, exec_timeout: 0,\n" \
	       "         public_keys: [\"ssh-ed25519 "                                             \
	       "AAAAC3NzaC1lZDI1NTE5AAAAIDJ0Lo/B/5m8ymy8p6F7KCYiJ+gbrmhNvxj6laxeZcv8 a@b\"],\n"    \
	       "         aliases: [{name: sr, command: show ip route}, {name: sv, command: show "  \
	       "version}]}\n"                                                                      \
	       "      - {name: bob, role: viewer}\n"

static struct user *topology_alice(struct topology *t)
{
	return &CONTAINER_OF(topology_find(t, MODEL_TENANT, "acme"), struct tenant, hdr)->users[0];
}

static void mutate_key_bad(struct topology *t)
{
	/* The blob says ssh-ed25519, the type ssh-rsa. */
	topology_alice(t)->public_keys[0][4] = 'r';
	topology_alice(t)->public_keys[0][5] = 's';
	topology_alice(t)->public_keys[0][6] = 'a';
	memmove(topology_alice(t)->public_keys[0] + 7, topology_alice(t)->public_keys[0] + 11,
		strlen(topology_alice(t)->public_keys[0] + 11) + 1);
}

static void mutate_key_dup(struct topology *t)
{
	struct user *u = topology_alice(t);

	u->public_keys = xrealloc(u->public_keys, 2 * sizeof *u->public_keys);
	u->public_keys[1] = xstrdup(u->public_keys[0]);
	u->n_public_keys = 2;
}

static void mutate_style(struct topology *t)
{
	topology_alice(t)->style = (enum user_style)7;
}

static void mutate_timeout(struct topology *t)
{
	topology_alice(t)->exec_timeout_s = USER_EXEC_TIMEOUT_MAX_S + 1;
}

static void mutate_alias_name(struct topology *t)
{
	set_name(&topology_alice(t)->aliases[1].name, "s v");
}

static void mutate_alias_dup(struct topology *t)
{
	set_name(&topology_alice(t)->aliases[1].name, "sr");
}

static void mutate_alias_command(struct topology *t)
{
	set_name(&topology_alice(t)->aliases[0].command, "");
}

static void test_user_features(void **state)
{
	static const struct {
		void (*mutate)(struct topology *);
		const char *message;
	} refusals[] = {
	    {mutate_key_bad, "test.yaml:6:9: tenant acme: user 'alice': public key 1 is not an "
			     "OpenSSH public key (\"TYPE BASE64 [COMMENT]\", TYPE ssh-ed25519, "
			     "ecdsa-sha2-nistp256/384/521 or ssh-rsa)"},
	    {mutate_key_dup, "test.yaml:6:9: tenant acme: user 'alice': public key 2 is listed "
			     "twice"},
	    {mutate_style, "test.yaml:6:9: tenant acme: user 'alice': invalid style"},
	    {mutate_timeout, "test.yaml:6:9: tenant acme: user 'alice': exec_timeout of 2147461s "
			     "is above 35791m"},
	    {mutate_alias_name, "test.yaml:6:9: tenant acme: user 'alice': invalid alias name "
				"'s v' ([a-z0-9-], at most 32 characters)"},
	    {mutate_alias_dup, "test.yaml:6:9: tenant acme: user 'alice': duplicate alias 'sr'"},
	    {mutate_alias_command, "test.yaml:6:9: tenant acme: user 'alice': alias 'sr': the "
				   "command must be printable ASCII of 1 to 240 characters"},
	};
	struct model *m = build(USERS_FEATURES, NULL), *again;
	const struct tenant *acme = find_tenant(m, "acme");
	char *error;

	(void)state;
	assert_int_equal(acme->users[0].style, USER_STYLE_JUNOS);
	assert_int_equal(acme->users[0].exec_timeout_s, 0);
	assert_int_equal(acme->users[0].n_public_keys, 1);
	assert_int_equal(acme->users[0].n_aliases, 2);
	assert_string_equal(acme->users[0].aliases[1].command, "show version");
	assert_int_equal(acme->users[1].style, USER_STYLE_IOS);
	assert_int_equal(acme->users[1].exec_timeout_s, USER_EXEC_TIMEOUT_DEFAULT_S);
	/* The stored form: hash, then the keys that are not at their default. */
	assert_non_null(strstr(acme->hdr.json, "\"style\":\"junos\",\"exec_timeout\":\"0\","
					       "\"aliases\":[{\"name\":\"sr\",\"command\":"
					       "\"show ip route\"},{\"name\":\"sv\",\"command\":"
					       "\"show version\"}]},{\"name\":\"bob\",\"role\":"));
	assert_non_null(strstr(acme->hdr.json, "\"public_keys\":[\"ssh-ed25519 AAAAC3"));
	again = build(USERS_FEATURES, m);
	assert_int_equal(n_changes(m, again), 0);
	model_destroy(again);
	model_destroy(m);

	for (size_t i = 0; i < ARRAY_SIZE(refusals); i++) {
		error = build_error(USERS_FEATURES, refusals[i].mutate);
		if (strcmp(error, refusals[i].message))
			fail_msg("case %zu:\n  expected: %s\n  got:      %s", i,
				 refusals[i].message, error);
		free(error);
	}
}

/* A router's own SSH address: parsed, written back, and no other router's. */
static void test_router_ssh_listen(void **state)
{
	static const char head[] =
	    "substrate:\n"
	    "  hosts: [{name: h1}]\n"
	    "tenants:\n"
	    "  - name: acme\n"
	    "    networks:\n"
	    "      - name: blue\n"
	    "        subnets: [{name: web, cidr: 10.1.1.0/24}]\n"
	    "        routers:\n"
	    "          - name: r1\n"
	    "            interfaces: [{name: gi0, subnet: web, ip: 10.1.1.1}]\n"
	    "            ssh_listen: 127.0.0.2:2222\n"
	    "          - name: r2\n"
	    "            interfaces: [{name: gi0, subnet: web, ip: 10.1.1.2}]\n";
	struct topology *t = NULL;
	struct model *m = NULL;
	char *yaml, *error;

	(void)state;
	/* Another router elsewhere: fine, and kept in the canonical JSON. */
	yaml = xasprintf("%s            ssh_listen: 127.0.0.3:2222\n", head);
	assert_null(codec_topology_parse(yaml, strlen(yaml), "t.yaml", false, &t));
	assert_null(model_build(t, NULL, &m));
	assert_non_null(strstr(model_find(m, MODEL_ROUTER, "acme/blue/r1")->json,
			       "\"ssh_listen\":\"127.0.0.2:2222\""));
	assert_null(strstr(model_find(m, MODEL_ROUTER, "acme/blue/r1")->json, "127.0.0.3"));
	model_destroy(m);
	topology_destroy(t);
	free(yaml);

	/* The same address twice. */
	yaml = xasprintf("%s            ssh_listen: 127.0.0.2:2222\n", head);
	assert_null(codec_topology_parse(yaml, strlen(yaml), "t.yaml", false, &t));
	error = model_build(t, NULL, &m);
	assert_non_null(error);
	assert_non_null(strstr(error, "ssh_listen 127.0.0.2:2222 is also router acme/blue/r"));
	free(error);
	topology_destroy(t);
	free(yaml);

	/* Not an address. */
	yaml = xasprintf("%s            ssh_listen: 127.0.0.3:70000\n", head);
	error = codec_topology_parse(yaml, strlen(yaml), "t.yaml", false, &t);
	assert_non_null(error);
	assert_non_null(strstr(error, "t.yaml:14:"));
	assert_non_null(strstr(error, "is not an address A.B.C.D:PORT"));
	free(error);
	free(yaml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builtins),
	    cmocka_unit_test(test_spec_example),
	    cmocka_unit_test(test_builtin_override),
	    cmocka_unit_test(test_build_refusals),
	    cmocka_unit_test(test_build_refusals_flat),
	    cmocka_unit_test(test_build_legal),
	    cmocka_unit_test(test_idempotent_apply),
	    cmocka_unit_test(test_snmpv3_keys),
	    cmocka_unit_test(test_passwords_remembered),
	    cmocka_unit_test(test_allocations_kept),
	    cmocka_unit_test(test_host_ids),
	    cmocka_unit_test(test_diff_kinds),
	    cmocka_unit_test(test_put_remove),
	    cmocka_unit_test(test_put_passwords),
	    cmocka_unit_test(test_random_instances),
	    cmocka_unit_test(test_size),
	    cmocka_unit_test(test_golden_spec_json),
	    cmocka_unit_test(test_sl_builtin_dscps),
	    cmocka_unit_test(test_sl_dscp_allocation),
	    cmocka_unit_test(test_sl_dscp_refusals),
	    cmocka_unit_test(test_sl_dscp_put_remove),
	    cmocka_unit_test(test_sl_weights_exclusions),
	    cmocka_unit_test(test_tenant_quota_quarantine),
	    cmocka_unit_test(test_tenant_snmp),
	    cmocka_unit_test(test_network_routing),
	    cmocka_unit_test(test_router_features),
	    cmocka_unit_test(test_router_ssh_listen),
	    cmocka_unit_test(test_user_features),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
