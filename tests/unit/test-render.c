// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the onm client's renderer (cli/render.c): the kind table,
 * ids and the lookup of names, table layout, the text of a plan, and JSON
 * output — each against hand-written expected text.
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs setjmp.h first. */
/* clang-format off */
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "onm/ds.h"
#include "render.h"

static json_t *parse(const char *text)
{
	json_error_t error;
	json_t *json = json_loads(text, JSON_DECODE_ANY, &error);

	if (!json)
		fail_msg("bad test JSON at %d: %s", error.position, error.text);
	return json;
}

static void test_kind_find(void **state)
{
	(void)state;
	const struct render_kind *k = render_kind_find("hosts");
	assert_non_null(k);
	assert_string_equal(k->plural, "hosts");
	assert_ptr_equal(render_kind_find("host"), k);
	assert_string_equal(render_kind_find("service-levels")->plural, "service_levels");
	assert_string_equal(render_kind_find("service_level")->plural, "service_levels");
	assert_string_equal(render_kind_find("route")->plural, "routes");
	assert_true(render_kind_find("instances")->available);
	assert_false(render_kind_find("weaves")->available);
	assert_null(render_kind_find("bogus"));
	assert_null(render_kind_find(""));

	struct ds names = DS_EMPTY_INITIALIZER;
	render_kind_names(&names);
	assert_string_equal(ds_cstr(&names), "hosts, links, service_levels, tenants, networks, "
					     "routers, instances, routes, weaves");
	ds_destroy(&names);
}

static void test_object_id(void **state)
{
	(void)state;
	json_t *link = parse("{\"a\":\"h4\",\"b\":\"h1\",\"latency\":\"1ms\"}");
	json_t *inst = parse("{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"web1\"}");
	json_t *route = parse("{\"router\":\"acme/blue/r1\",\"prefix\":\"10.9.0.0/16\","
			      "\"via\":\"10.1.2.20\"}");
	char *id;

	id = render_object_id(render_kind_find("links"), link);
	assert_string_equal(id, "h1/h4");
	free(id);
	id = render_object_id(render_kind_find("instances"), inst);
	assert_string_equal(id, "acme/blue/web1");
	free(id);
	id = render_object_id(render_kind_find("routes"), route);
	assert_string_equal(id, "acme/blue/r1/10.9.0.0/16");
	free(id);
	/* A missing key: no id. */
	assert_null(render_object_id(render_kind_find("routers"), link));

	id = render_id_normalize(render_kind_find("links"), "h4/h1");
	assert_string_equal(id, "h1/h4");
	free(id);
	id = render_id_normalize(render_kind_find("instances"), "globex/red/app1");
	assert_string_equal(id, "globex/red/app1");
	free(id);

	json_decref(link);
	json_decref(inst);
	json_decref(route);
}

static void test_resolve(void **state)
{
	(void)state;
	const char *ids[] = {"acme/blue/web1", "acme/blue/db1", "globex/red/web1",
			     "globex/red/app1", "acme/blue/web10"};
	size_t index = 99;
	char *error = NULL;

	/* Exact id. */
	assert_int_equal(render_resolve_id("instance", ids, 5, "globex/red/web1", &index, &error),
			 0);
	assert_int_equal(index, 2);
	assert_null(error);
	/* Unique last component. */
	assert_int_equal(render_resolve_id("instance", ids, 5, "app1", &index, &error), 0);
	assert_int_equal(index, 3);
	/* Last two components. */
	assert_int_equal(render_resolve_id("instance", ids, 5, "red/web1", &index, &error), 0);
	assert_int_equal(index, 2);
	/* A prefix of a component is not a match ("web1" vs "web10"), and
	 * an inner component is not a match. */
	assert_int_equal(render_resolve_id("instance", ids, 5, "eb10", &index, &error), -ENOENT);
	assert_string_equal(error, "no instance 'eb10'");
	free(error);
	assert_int_equal(render_resolve_id("instance", ids, 5, "blue", &index, &error), -ENOENT);
	free(error);
	/* Ambiguous: the message lists the candidates. */
	assert_int_equal(render_resolve_id("instance", ids, 5, "web1", &index, &error), -EINVAL);
	assert_string_equal(
	    error, "instance 'web1' is ambiguous: it may be acme/blue/web1 or globex/red/web1");
	free(error);
	/* Empty list. */
	assert_int_equal(render_resolve_id("host", NULL, 0, "h1", &index, &error), -ENOENT);
	free(error);

	/* Over JSON objects, with a link typed in either order. */
	json_t *links = parse("[{\"a\":\"h1\",\"b\":\"h2\"},{\"a\":\"h2\",\"b\":\"h3\"}]");
	const struct render_kind *link = render_kind_find("links");
	assert_int_equal(render_resolve(link, links, "h3/h2", &index, &error), 0);
	assert_int_equal(index, 1);
	assert_int_equal(render_resolve(link, links, "h1/h2", &index, &error), 0);
	assert_int_equal(index, 0);
	/* One end does not name a link, even when it would be unique. */
	assert_int_equal(render_resolve(link, links, "h3", &index, &error), -ENOENT);
	assert_string_equal(error, "no link 'h3' (a link is named by both ends: A/B)");
	free(error);
	assert_int_equal(render_resolve(link, links, "h9", &index, &error), -ENOENT);
	assert_string_equal(error, "no link 'h9' (a link is named by both ends: A/B)");
	free(error);
	assert_int_equal(render_resolve(link, links, "h1/h9", &index, &error), -ENOENT);
	assert_string_equal(error, "no link 'h1/h9'");
	free(error);
	json_decref(links);
}

static void test_table(void **state)
{
	(void)state;
	const char *headers[] = {"NAME", "CAPABILITIES", "X"};
	const char *row1[] = {"h1", "", "1"};
	const char *row2[] = {"scan1-long", "inspection", NULL};
	struct render_table *t = render_table_create(headers, 3);
	struct ds out = DS_EMPTY_INITIALIZER;

	render_table_add_row(t, row1);
	render_table_add_row(t, row2);
	render_table_format(t, &out);
	assert_string_equal(ds_cstr(&out), "NAME        CAPABILITIES  X\n"
					   "h1          -             1\n"
					   "scan1-long  inspection    -\n");
	render_table_destroy(t);
	render_table_destroy(NULL);
	ds_destroy(&out);
}

static void test_list_tables(void **state)
{
	(void)state;
	struct ds out = DS_EMPTY_INITIALIZER;
	json_t *tenants = parse(
	    "[{\"name\":\"acme\",\"service_level\":\"platinum\",\"users\":["
	    "{\"name\":\"alice\",\"role\":\"admin\"},{\"name\":\"victor\",\"role\":\"viewer\"}]},"
	    "{\"name\":\"globex\",\"service_level\":\"silver\",\"users\":[]}]");
	render_list(render_kind_find("tenants"), tenants, &out);
	assert_string_equal(ds_cstr(&out), "NAME    SERVICE-LEVEL  USERS\n"
					   "acme    platinum       alice(admin),victor(viewer)\n"
					   "globex  silver         -\n");
	json_decref(tenants);

	ds_clear(&out);
	json_t *links = parse("[{\"a\":\"h1\",\"b\":\"h2\",\"latency\":\"1ms\",\"bandwidth\":"
			      "\"1gbit\",\"cost\":10,\"loss\":\"0%\",\"state\":\"up\"},"
			      "{\"a\":\"h1\",\"b\":\"h4\",\"latency\":\"15ms\",\"cost\":1,"
			      "\"loss\":\"0.5%\",\"state\":\"down\"}]");
	render_list(render_kind_find("links"), links, &out);
	assert_string_equal(ds_cstr(&out), "A   B   LATENCY  BANDWIDTH  COST  LOSS  STATE\n"
					   "h1  h2  1ms      1gbit      10    0%    up\n"
					   "h1  h4  15ms     -          1     0.5%  down\n");
	json_decref(links);

	ds_clear(&out);
	json_t *hosts = parse("[{\"name\":\"ext1\",\"id\":12,\"address\":\"198.18.0.12\","
			      "\"capabilities\":[],\"vtep\":\"kernel\"},"
			      "{\"name\":\"h1\",\"id\":1,\"address\":\"198.19.0.1\","
			      "\"capabilities\":[\"inspection\",\"gateway\"]}]");
	render_list(render_kind_find("hosts"), hosts, &out);
	assert_string_equal(ds_cstr(&out), "NAME  ID  ADDRESS      CAPABILITIES        VTEP\n"
					   "ext1  12  198.18.0.12  -                   kernel\n"
					   "h1    1   198.19.0.1   inspection,gateway  -\n");
	json_decref(hosts);

	ds_clear(&out);
	json_t *networks = parse("[{\"tenant\":\"acme\",\"name\":\"blue\",\"vni\":1001,"
				 "\"subnets\":[{\"name\":\"web\",\"cidr\":\"10.1.1.0/24\"},"
				 "{\"name\":\"db\",\"cidr\":\"10.1.2.0/24\"}],"
				 "\"security_groups\":[]}]");
	render_list(render_kind_find("networks"), networks, &out);
	assert_string_equal(ds_cstr(&out), "TENANT  NAME  VNI   SUBNETS\n"
					   "acme    blue  1001  web=10.1.1.0/24,db=10.1.2.0/24\n");
	json_decref(networks);

	ds_clear(&out);
	json_t *routers = parse("[{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\","
				"\"interfaces\":[{\"name\":\"Gi0/0\",\"subnet\":\"web\",\"ip\":"
				"\"10.1.1.1\"}],\"routes\":[{\"prefix\":\"10.9.0.0/16\",\"via\":"
				"\"10.1.1.20\"}]}]");
	render_list(render_kind_find("routers"), routers, &out);
	assert_string_equal(ds_cstr(&out), "TENANT  NETWORK  NAME  INTERFACES      ROUTES\n"
					   "acme    blue     r1    Gi0/0=10.1.1.1  1\n");
	json_decref(routers);

	ds_clear(&out);
	json_t *instances =
	    parse("[{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"web1\",\"subnet\":"
		  "\"web\",\"host\":\"h1\",\"ip\":\"10.1.1.10\",\"mac\":\"02:00:00:00:00:01\","
		  "\"security_groups\":[\"web\"]}]");
	render_list(render_kind_find("instances"), instances, &out);
	assert_string_equal(ds_cstr(&out),
			    "TENANT  NETWORK  NAME  SUBNET  HOST  IP         MAC\n"
			    "acme    blue     web1  web     h1    10.1.1.10  02:00:00:00:00:01\n");
	json_decref(instances);

	ds_clear(&out);
	json_t *sls =
	    parse("[{\"name\":\"gold\",\"minimize\":\"latency\"},{\"name\":\"quarantine\","
		  "\"minimize\":\"latency\",\"via_capability\":\"inspection\"}]");
	render_list(render_kind_find("service_levels"), sls, &out);
	assert_string_equal(ds_cstr(&out), "NAME        MINIMIZE  MIN-BANDWIDTH  VIA\n"
					   "gold        latency   -              -\n"
					   "quarantine  latency   -              inspection\n");
	json_decref(sls);

	/* An empty list renders nothing at all. */
	ds_clear(&out);
	json_t *empty = parse("[]");
	render_list(render_kind_find("hosts"), empty, &out);
	assert_string_equal(ds_cstr(&out), "");
	json_decref(empty);
	ds_destroy(&out);
}

static void test_plan(void **state)
{
	(void)state;
	struct ds out = DS_EMPTY_INITIALIZER;
	json_t *plan =
	    parse("{\"dry_run\":false,\"revision\":42,"
		  "\"summary\":{\"create\":1,\"update\":1,\"delete\":1},"
		  "\"changes\":[{\"op\":\"create\",\"kind\":\"host\",\"id\":\"h1\"},"
		  "{\"op\":\"update\",\"kind\":\"tenant\",\"id\":\"acme\"},"
		  "{\"op\":\"delete\",\"kind\":\"instance\",\"id\":\"acme/blue/web9\"}]}");

	render_plan(plan, "topo.yaml", &out);
	assert_string_equal(ds_cstr(&out),
			    "plan: 1 to create, 1 to update, 1 to delete\n"
			    "  + host h1\n"
			    "  ~ tenant acme\n"
			    "  - instance acme/blue/web9 (not in topo.yaml, deleted)\n"
			    "applied at revision 42\n");

	ds_clear(&out);
	json_object_set_new(plan, "dry_run", json_true());
	render_plan(plan, "topo.yaml", &out);
	assert_string_equal(ds_cstr(&out),
			    "plan: 1 to create, 1 to update, 1 to delete\n"
			    "  + host h1\n"
			    "  ~ tenant acme\n"
			    "  - instance acme/blue/web9 (not in topo.yaml, would be deleted)\n"
			    "dry run: nothing changed\n");
	json_decref(plan);

	ds_clear(&out);
	plan = parse("{\"dry_run\":false,\"revision\":42,\"summary\":{\"create\":0,\"update\":0,"
		     "\"delete\":0},\"changes\":[]}");
	render_plan(plan, "topo.yaml", &out);
	assert_string_equal(ds_cstr(&out), "no changes\n");
	json_decref(plan);

	/* Without a summary, the changes are counted. */
	ds_clear(&out);
	plan = parse("{\"revision\":3,\"changes\":[{\"op\":\"create\",\"kind\":\"host\",\"id\":"
		     "\"a\"},{\"op\":\"create\",\"kind\":\"host\",\"id\":\"b\"}]}");
	render_plan(plan, "x.json", &out);
	assert_string_equal(ds_cstr(&out), "plan: 2 to create, 0 to update, 0 to delete\n"
					   "  + host a\n"
					   "  + host b\n"
					   "applied at revision 3\n");
	json_decref(plan);
	ds_destroy(&out);
}

static void test_json(void **state)
{
	(void)state;
	struct ds out = DS_EMPTY_INITIALIZER;
	json_t *obj = parse("{\"name\":\"h1\",\"capabilities\":[\"b\",\"a\"],\"cost\":10}");

	render_json(obj, &out);
	assert_string_equal(ds_cstr(&out), "{\n"
					   "  \"name\": \"h1\",\n"
					   "  \"capabilities\": [\n"
					   "    \"b\",\n"
					   "    \"a\"\n"
					   "  ],\n"
					   "  \"cost\": 10\n"
					   "}\n");
	json_decref(obj);

	ds_clear(&out);
	obj = parse("[]");
	render_json(obj, &out);
	assert_string_equal(ds_cstr(&out), "[]\n");
	json_decref(obj);
	ds_destroy(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kind_find),	cmocka_unit_test(test_object_id),
	    cmocka_unit_test(test_resolve),	cmocka_unit_test(test_table),
	    cmocka_unit_test(test_list_tables), cmocka_unit_test(test_plan),
	    cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
