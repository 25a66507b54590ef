// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the per-host views (controller/views.c) on the example of
 * spec.md: h1's view has exactly the keys docs/dataplane.md lists, with
 * the expected values (self, hosts, links, classes, the Route Manager's
 * forwarding entries per class in use — platinum via h2, silver via h4 —,
 * networks with their class, routers with derived MACs and subnet
 * prefixes, instances with host ids and ports for the local ones); a link
 * going down changes the forwarding entries; a kernel VTEP is never a
 * transit hop; quarantine routes through the inspection host; the diff of
 * two views is exact.
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
#include "onm/model.h"
#include "model-fixture.h"
#include "onm/naming.h"
#include "views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The example of spec.md (users left out: hashing their passwords only
 * slows the test down). */
static const char spec_example[] =
    "substrate:\n"
    "  hosts:\n"
    "    - {name: h1}\n"
    "    - {name: h2}\n"
    "    - {name: h3}\n"
    "    - {name: h4}\n"
    "    - {name: scan1, capabilities: [inspection]}\n"
    "  links:\n"
    "    - {a: h1, b: h2, latency: 1ms,  bandwidth: 1gbit,   cost: 10}\n"
    "    - {a: h2, b: h3, latency: 1ms,  bandwidth: 1gbit,   cost: 10}\n"
    "    - {a: h1, b: h4, latency: 15ms, bandwidth: 100mbit, cost: 1}\n"
    "    - {a: h4, b: h3, latency: 15ms, bandwidth: 100mbit, cost: 1}\n"
    "    - {a: h1, b: scan1, latency: 2ms, bandwidth: 1gbit, cost: 5}\n"
    "    - {a: scan1, b: h3, latency: 2ms, bandwidth: 1gbit, cost: 5}\n"
    "tenants:\n"
    "  - name: acme\n"
    "    service_level: platinum\n"
    "    networks:\n"
    "      - name: blue\n"
    "        subnets:\n"
    "          - {name: web, cidr: 10.1.1.0/24}\n"
    "          - {name: db,  cidr: 10.1.2.0/24}\n"
    "        routers:\n"
    "          - name: r1\n"
    "            interfaces:\n"
    "              - {name: GigabitEthernet0/0, subnet: web, ip: 10.1.1.1}\n"
    "              - {name: GigabitEthernet0/1, subnet: db,  ip: 10.1.2.1}\n"
    "            routes: [{prefix: 10.9.0.0/16, via: 10.1.2.20}]\n"
    "        security_groups:\n"
    "          - name: web\n"
    "            rules:\n"
    "              - {dir: in, proto: tcp,  ports: 80, from: 0.0.0.0/0}\n"
    "          - name: db\n"
    "            rules:\n"
    "              - {dir: in, proto: tcp,  ports: 5432, from_group: web}\n"
    "        instances:\n"
    "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10, security_groups: [web]}\n"
    "          - {name: db1,  subnet: db,  host: h3, ip: 10.1.2.10, security_groups: [db]}\n"
    "  - name: globex\n"
    "    service_level: silver\n"
    "    networks:\n"
    "      - name: red\n"
    "        subnets: [{name: main, cidr: 10.1.1.0/24}]\n"
    "        instances:\n"
    "          - {name: app1, subnet: main, host: h1, ip: 10.1.1.10}\n"
    "          - {name: app2, subnet: main, host: h3, ip: 10.1.1.20}\n";

/* Asserts that entry 'key' of 'view' is the JSON 'expected'. */
static void assert_entry(const json_t *view, const char *key, const char *expected)
{
	json_t *want = json_loads(expected, 0, NULL);
	json_t *got = json_object_get(view, key);

	assert_non_null(want);
	if (!got)
		fail_msg("no entry %s", key);
	if (!json_equal(want, got)) {
		char *s = json_dumps(got, JSON_COMPACT);
		fail_msg("entry %s:\n  expected %s\n  got      %s", key, expected, s);
	}
	json_decref(want);
}

static const char *next_hop(const json_t *view, const char *class, const char *dst)
{
	char key[64];
	const json_t *e;

	snprintf(key, sizeof key, "fwd/%s/%s", class, dst);
	e = json_object_get(view, key);
	return e ? json_string_value(json_object_get(json_array_get(json_object_get(e, "next_hops"), 0),
						     "name"))
		 : NULL;
}

static const char *const classes[] = {"gold", "platinum", "quarantine", "silver"};

static void test_h1_view(void **state)
{
	struct model *m = build(spec_example);
	json_t *view = views_compute(m, "h1");
	char port[IFNAMSIZ], entry[512];
	struct eth_addr mac0, mac1;
	const char *key;
	json_t *value;
	size_t n_fwd = 0;

	(void)state;
	assert_non_null(view);

	/* Exactly the keys of dataplane.md: self, 5 hosts, h1's 3 links, 4
	 * classes, the 2 destinations in use apart from h1 itself (platinum
	 * and silver towards h3), 2 networks, 1 router, 4 instances. */
	json_object_foreach(view, key, value)
	{
		if (!strncmp(key, "fwd/", 4))
			n_fwd++;
	}
	assert_int_equal(n_fwd, 2);
	assert_int_equal(json_object_size(view), 1 + 5 + 3 + 4 + 2 + 2 + 1 + 4);

	assert_entry(view, "self",
		     "{\"name\":\"h1\",\"id\":1,\"address\":\"198.19.0.1\",\"capabilities\":[]}");
	assert_entry(
	    view, "host/scan1",
	    "{\"name\":\"scan1\",\"id\":5,\"address\":\"198.19.0.5\",\"kernel_vtep\":false}");
	assert_entry(view, "host/h1",
		     "{\"name\":\"h1\",\"id\":1,\"address\":\"198.19.0.1\",\"kernel_vtep\":false}");
	assert_entry(view, "link/h1/h2",
		     "{\"a\":\"h1\",\"b\":\"h2\",\"peer\":\"h2\",\"peer_id\":2,"
		     "\"peer_address\":\"198.19.0.2\",\"admin_up\":true,\"probe\":true,"
		     "\"probe_interval_ms\":100,\"detect_multiplier\":3}");
	assert_null(json_object_get(view, "link/h2/h3"));
	/* Classes: service levels in name order, with their DSCP. */
	{
		static const int dscp[] = {34, 46, 8, 10};

		for (size_t i = 0; i < ARRAY_SIZE(classes); i++) {
			char k[32], v[128];

			snprintf(k, sizeof k, "class/%s", classes[i]);
			snprintf(v, sizeof v, "{\"name\":\"%s\",\"id\":%zu,\"dscp\":%d%s}",
				 classes[i], i, dscp[i],
				 strcmp(classes[i], "quarantine")
				     ? ""
				     : ",\"via_capability\":\"inspection\"");
			assert_entry(view, k, v);
		}
	}

	/* Platinum minimizes latency over links of 500 Mbit/s or more: h2
	 * (2 ms; h4's 100 Mbit/s links are pruned); silver minimizes cost:
	 * h4 (2 against 20 via h2 and 10 via scan1). */
	assert_entry(view, "fwd/platinum/h3",
		     "{\"class\":\"platinum\",\"class_id\":1,\"dst\":\"h3\",\"dst_id\":3,"
		     "\"next_hops\":[{\"name\":\"h2\",\"address\":\"198.19.0.2\"}]}");
	assert_entry(view, "fwd/silver/h3",
		     "{\"class\":\"silver\",\"class_id\":3,\"dst\":\"h3\",\"dst_id\":3,"
		     "\"next_hops\":[{\"name\":\"h4\",\"address\":\"198.19.0.4\"}]}");
	assert_null(next_hop(view, "platinum", "h1"));
	assert_null(next_hop(view, "gold", "h3"));

	/* Both VNs have an instance on h1; the class is the tenant's. */
	assert_entry(view, "network/acme/blue",
		     "{\"tenant\":\"acme\",\"name\":\"blue\",\"vni\":1000,\"class\":\"platinum\","
		     "\"class_id\":1,\"subnets\":[{\"name\":\"web\",\"cidr\":\"10.1.1.0/24\"},"
		     "{\"name\":\"db\",\"cidr\":\"10.1.2.0/24\"}],\"security_groups\":["
		     "{\"name\":\"web\",\"rules\":[{\"dir\":\"in\",\"proto\":\"tcp\",\"ports\":80,"
		     "\"from\":\"0.0.0.0/0\"}]},{\"name\":\"db\",\"rules\":[{\"dir\":\"in\","
		     "\"proto\":\"tcp\",\"ports\":5432,\"from_group\":\"web\"}]}]}");
	assert_entry(view, "network/globex/red",
		     "{\"tenant\":\"globex\",\"name\":\"red\",\"vni\":1001,\"class\":\"silver\","
		     "\"class_id\":3,\"subnets\":[{\"name\":\"main\",\"cidr\":\"10.1.1.0/24\"}],"
		     "\"security_groups\":[]}");

	/* The router, with MACs derived from its id and interface names. */
	views_router_mac("acme/blue/r1", "GigabitEthernet0/0", &mac0);
	views_router_mac("acme/blue/r1", "GigabitEthernet0/1", &mac1);
	assert_int_equal(mac0.b[0], 0x06);
	assert_memory_not_equal(mac0.b, mac1.b, 6);
	{
		char m0[ETH_ADDR_STRLEN], m1[ETH_ADDR_STRLEN];

		eth_addr_format(&mac0, m0);
		eth_addr_format(&mac1, m1);
		snprintf(
		    entry, sizeof entry,
		    "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\",\"interfaces\":["
		    "{\"name\":\"GigabitEthernet0/0\",\"subnet\":\"web\",\"ip\":\"10.1.1.1\","
		    "\"mac\":\"%s\",\"cidr\":\"10.1.1.0/24\"},"
		    "{\"name\":\"GigabitEthernet0/1\",\"subnet\":\"db\",\"ip\":\"10.1.2.1\","
		    "\"mac\":\"%s\",\"cidr\":\"10.1.2.0/24\"}],"
		    "\"routes\":[{\"prefix\":\"10.9.0.0/16\",\"via\":\"10.1.2.20\"}]}",
		    m0, m1);
		assert_entry(view, "router/acme/blue/r1", entry);
	}

	/* Instances: the local one has its port, the remote one its host id. */
	{
		const struct model_object *obj = model_find(m, MODEL_INSTANCE, "acme/blue/web1");
		const struct instance *web1 = CONTAINER_OF(obj, const struct instance, hdr);
		char mac[ETH_ADDR_STRLEN];

		eth_addr_format(&web1->mac, mac);
		port_name("acme/blue/web1", port);
		snprintf(entry, sizeof entry,
			 "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"web1\","
			 "\"subnet\":\"web\",\"ip\":\"10.1.1.10\",\"mac\":\"%s\",\"host\":\"h1\","
			 "\"host_id\":1,\"security_groups\":[\"web\"],\"port\":\"%s\"}",
			 mac, port);
		assert_entry(view, "instance/acme/blue/web1", entry);
	}
	value = json_object_get(view, "instance/acme/blue/db1");
	assert_non_null(value);
	assert_string_equal(json_string_value(json_object_get(value, "host")), "h3");
	assert_int_equal(json_integer_value(json_object_get(value, "host_id")), 3);
	assert_null(json_object_get(value, "port"));
	assert_non_null(json_object_get(json_object_get(view, "instance/globex/red/app1"), "port"));
	assert_null(json_object_get(json_object_get(view, "instance/globex/red/app2"), "port"));
	json_decref(view);

	/* h2 has no instance: no network, router or instance entries. */
	view = views_compute(m, "h2");
	json_object_foreach(view, key, value)
	{
		assert_false(str_has_prefix(key, "network/") || str_has_prefix(key, "router/") ||
			     str_has_prefix(key, "instance/"));
	}
	/* Transit: both classes' trees pass h2 (platinum towards h1 and h3;
	 * silver's direct links cost 10 against 12 around). */
	assert_int_equal(json_object_size(view), 1 + 5 + 2 + 4 + 4);
	assert_string_equal(next_hop(view, "platinum", "h1"), "h1");
	assert_string_equal(next_hop(view, "silver", "h3"), "h3");
	json_decref(view);

	/* h3 sees both VNs too; its own instances have ports. */
	view = views_compute(m, "h3");
	port_name("acme/blue/db1", port);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(view, "instance/acme/blue/db1"), "port")),
			    port);
	assert_null(json_object_get(json_object_get(view, "instance/acme/blue/web1"), "port"));
	json_decref(view);

	assert_null(views_compute(m, "h9"));
	model_destroy(m);
}

static void test_link_down(void **state)
{
	struct model *m = build(spec_example);
	json_t *before = views_compute(m, "h1"), *after, *put_, *del;

	(void)state;
	put(m, MODEL_LINK, "{\"a\":\"h1\",\"b\":\"h2\",\"state\":\"down\"}");
	after = views_compute(m, "h1");

	/* Platinum now via scan1 (4 ms; h4 is too narrow); silver stays. */
	assert_string_equal(next_hop(after, "platinum", "h3"), "scan1");
	assert_string_equal(next_hop(after, "silver", "h3"), "h4");

	/* The diff: platinum's entry and the link's admin state. */
	assert_true(views_diff(before, after, &put_, &del));
	assert_int_equal(json_array_size(del), 0);
	assert_int_equal(json_object_size(put_), 2);
	assert_ptr_equal(json_object_get(put_, "fwd/platinum/h3"),
			 json_object_get(after, "fwd/platinum/h3"));
	assert_false(json_boolean_value(
	    json_object_get(json_object_get(put_, "link/h1/h2"), "admin_up")));
	json_decref(put_);
	json_decref(del);

	/* With every link of h1 down, h1 reaches nobody. */
	put(m, MODEL_LINK, "{\"a\":\"h1\",\"b\":\"h4\",\"state\":\"down\"}");
	put(m, MODEL_LINK, "{\"a\":\"h1\",\"b\":\"scan1\",\"state\":\"down\"}");
	json_decref(after);
	after = views_compute(m, "h1");
	assert_true(views_diff(before, after, &put_, &del));
	assert_int_equal(json_array_size(del), 2);
	assert_string_equal(json_string_value(json_array_get(del, 0)), "fwd/platinum/h3");
	assert_string_equal(json_string_value(json_array_get(del, 1)), "fwd/silver/h3");
	json_decref(put_);
	json_decref(del);

	json_decref(before);
	json_decref(after);
	model_destroy(m);
}

static void test_quarantine(void **state)
{
	struct model *m = build(spec_example);
	json_t *view, *e;

	(void)state;
	put(m, MODEL_TENANT, "{\"name\":\"acme\",\"service_level\":\"platinum\","
			     "\"quarantine\":true}");
	view = views_compute(m, "h1");
	/* acme's network takes the quarantine class: not yet inspected, to
	 * scan1; inspected, the fastest way (via h2). */
	e = json_object_get(view, "network/acme/blue");
	assert_string_equal(json_string_value(json_object_get(e, "class")), "quarantine");
	assert_entry(view, "fwd/quarantine/h3",
		     "{\"class\":\"quarantine\",\"class_id\":2,\"dst\":\"h3\",\"dst_id\":3,"
		     "\"next_hops\":[{\"name\":\"h2\",\"address\":\"198.19.0.2\"}],"
		     "\"pre_waypoint\":[{\"name\":\"scan1\",\"address\":\"198.19.0.5\"}]}");
	assert_null(json_object_get(view, "fwd/platinum/h3"));
	json_decref(view);

	/* scan1 inspects: no pre_waypoint list there. */
	view = views_compute(m, "scan1");
	assert_entry(view, "fwd/quarantine/h3",
		     "{\"class\":\"quarantine\",\"class_id\":2,\"dst\":\"h3\",\"dst_id\":3,"
		     "\"next_hops\":[{\"name\":\"h3\",\"address\":\"198.19.0.3\"}]}");
	json_decref(view);

	/* At the destination, traffic not yet inspected turns back to scan1. */
	view = views_compute(m, "h3");
	assert_entry(view, "fwd/quarantine/h3",
		     "{\"class\":\"quarantine\",\"class_id\":2,\"dst\":\"h3\",\"dst_id\":3,"
		     "\"next_hops\":[],"
		     "\"pre_waypoint\":[{\"name\":\"scan1\",\"address\":\"198.19.0.5\"}]}");
	json_decref(view);
	model_destroy(m);
}

static void test_kernel_vtep(void **state)
{
	/* h1 - ext1 - h2 and h1 - h3 - ext2: the kernel VTEPs are reachable
	 * destinations but carry nothing through. */
	struct model *m = build("substrate:\n"
				"  hosts:\n"
				"    - {name: h1}\n"
				"    - {name: h2}\n"
				"    - {name: h3}\n"
				"    - {name: ext1, vtep: kernel}\n"
				"    - {name: ext2, vtep: kernel, address: 198.18.7.7}\n"
				"  links:\n"
				"    - {a: h1, b: ext1}\n"
				"    - {a: ext1, b: h2}\n"
				"    - {a: h1, b: h3}\n"
				"    - {a: h3, b: ext2}\n");
	json_t *view;

	(void)state;
	/* Instances on every host put every destination in use for gold. */
	put(m, MODEL_TENANT, "{\"name\":\"t\",\"service_level\":\"gold\"}");
	put(m, MODEL_NETWORK,
	    "{\"tenant\":\"t\",\"name\":\"n\",\"subnets\":[{\"name\":\"s\",\"cidr\":\"10.0.0.0/24\"}]}");
	for (int i = 0; i < 5; i++) {
		static const char *const hosts[] = {"h1", "h2", "h3", "ext1", "ext2"};
		char json[256];

		snprintf(json, sizeof json,
			 "{\"tenant\":\"t\",\"network\":\"n\",\"name\":\"i%d\",\"subnet\":\"s\","
			 "\"host\":\"%s\",\"ip\":\"10.0.0.%d\"}",
			 i, hosts[i], 10 + i);
		put(m, MODEL_INSTANCE, json);
	}
	view = views_compute(m, "h1");
	assert_string_equal(next_hop(view, "gold", "ext1"), "ext1");
	assert_string_equal(next_hop(view, "gold", "ext2"), "h3");
	assert_null(next_hop(view, "gold", "h2"));
	assert_entry(
	    view, "host/ext2",
	    "{\"name\":\"ext2\",\"id\":5,\"address\":\"198.18.7.7\",\"kernel_vtep\":true}");
	assert_entry(view, "fwd/gold/ext2",
		     "{\"class\":\"gold\",\"class_id\":0,\"dst\":\"ext2\",\"dst_id\":5,"
		     "\"next_hops\":[{\"name\":\"h3\",\"address\":\"198.19.0.3\"}]}");
	json_decref(view);
	model_destroy(m);
}

static void test_diff(void **state)
{
	struct model *m = build(spec_example);
	struct route_manager *rm = rm_create();
	struct views_ctx *ctx;
	json_t *v1, *v2, *put_, *del;
	const char *key;
	json_t *value;

	(void)state;
	rm_sync(rm, m);
	ctx = views_ctx_create(m, rm);
	v1 = views_ctx_compute(ctx, "h1");
	views_ctx_destroy(ctx);
	rm_destroy(rm);

	/* Same view: nothing. From nothing: everything. */
	v2 = views_compute(m, "h1");
	assert_false(views_diff(v1, v2, &put_, &del));
	assert_int_equal(json_object_size(put_), 0);
	assert_int_equal(json_array_size(del), 0);
	json_decref(put_);
	json_decref(del);
	assert_true(views_diff(NULL, v1, &put_, &del));
	assert_true(json_equal(put_, v1));
	assert_int_equal(json_array_size(del), 0);
	json_decref(put_);
	json_decref(del);
	assert_true(views_diff(v1, NULL, &put_, &del));
	assert_int_equal(json_array_size(del), json_object_size(v1));
	json_decref(put_);
	json_decref(del);
	json_decref(v2);

	/* Moving app1 off h1 removes globex/red from h1's view (it has no other
	 * instance there); a new instance of acme/blue on h3 is added; the
	 * router's route change is an update. */
	put(m, MODEL_INSTANCE,
	    "{\"tenant\":\"globex\",\"network\":\"red\",\"name\":\"app1\",\"subnet\":\"main\","
	    "\"host\":\"h2\",\"ip\":\"10.1.1.10\"}");
	put(m, MODEL_INSTANCE,
	    "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"db2\",\"subnet\":\"db\","
	    "\"host\":\"h3\",\"ip\":\"10.1.2.11\"}");
	put(m, MODEL_ROUTER,
	    "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\",\"interfaces\":["
	    "{\"name\":\"GigabitEthernet0/0\",\"subnet\":\"web\",\"ip\":\"10.1.1.1\"},"
	    "{\"name\":\"GigabitEthernet0/1\",\"subnet\":\"db\",\"ip\":\"10.1.2.1\"}],"
	    "\"routes\":[]}");
	v2 = views_compute(m, "h1");
	assert_true(views_diff(v1, v2, &put_, &del));
	assert_int_equal(json_array_size(del), 3);
	assert_string_equal(json_string_value(json_array_get(del, 0)), "instance/globex/red/app1");
	assert_string_equal(json_string_value(json_array_get(del, 1)), "instance/globex/red/app2");
	assert_string_equal(json_string_value(json_array_get(del, 2)), "network/globex/red");
	/* Silver's destinations in use are now h2 and h3: h1 carries it to h2. */
	assert_int_equal(json_object_size(put_), 3);
	assert_non_null(json_object_get(put_, "fwd/silver/h2"));
	assert_non_null(json_object_get(put_, "instance/acme/blue/db2"));
	assert_int_equal(json_array_size(json_object_get(
			     json_object_get(put_, "router/acme/blue/r1"), "routes")),
			 0);

	/* Applying the diff to the old view gives the new one. */
	json_object_foreach(put_, key, value) json_object_set(v1, key, value);
	for (size_t i = 0; i < json_array_size(del); i++)
		json_object_del(v1, json_string_value(json_array_get(del, i)));
	assert_true(json_equal(v1, v2));
	json_decref(put_);
	json_decref(del);
	json_decref(v1);
	json_decref(v2);
	model_destroy(m);
}

/* Issue 5's router keys reach the agents as docs/dataplane.md says: per
 * interface shutdown, shape_bps, acl_in and acl_out only when set; per
 * router redirects and acls (src and dst always as prefixes, port only
 * when set) only when there are some. */
static void test_router_features(void **state)
{
	struct model *m = build(spec_example);
	char m0[ETH_ADDR_STRLEN], m1[ETH_ADDR_STRLEN], entry[2048];
	struct eth_addr mac0, mac1;
	json_t *v1, *v2, *put_, *del;

	(void)state;
	v1 = views_compute(m, "h1");
	put(m, MODEL_ROUTER,
	    "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\",\"interfaces\":["
	    "{\"name\":\"GigabitEthernet0/0\",\"subnet\":\"web\",\"ip\":\"10.1.1.1\","
	    "\"shutdown\":true,\"description\":\"web tier\",\"shape\":\"10mbit\","
	    "\"access_group_in\":\"WEB-IN\",\"access_group_out\":\"OUT\"},"
	    "{\"name\":\"GigabitEthernet0/1\",\"subnet\":\"db\",\"ip\":\"10.1.2.1\","
	    "\"shutdown\":false}],"
	    "\"redirects\":[{\"from\":\"10.1.2.99\",\"to\":\"10.1.2.10\"}],"
	    "\"access_lists\":[{\"name\":\"WEB-IN\",\"rules\":["
	    "{\"action\":\"permit\",\"proto\":\"tcp\",\"src\":\"any\",\"dst\":\"10.1.2.0/24\","
	    "\"port\":80},{\"action\":\"permit\",\"proto\":\"icmp\",\"src\":\"10.1.1.7\","
	    "\"dst\":\"any\"},{\"action\":\"deny\",\"proto\":\"ip\"}]},{\"name\":\"OUT\"}]}");
	v2 = views_compute(m, "h1");
	views_router_mac("acme/blue/r1", "GigabitEthernet0/0", &mac0);
	views_router_mac("acme/blue/r1", "GigabitEthernet0/1", &mac1);
	eth_addr_format(&mac0, m0);
	eth_addr_format(&mac1, m1);
	snprintf(entry, sizeof entry,
		 "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r1\",\"interfaces\":["
		 "{\"name\":\"GigabitEthernet0/0\",\"subnet\":\"web\",\"ip\":\"10.1.1.1\","
		 "\"mac\":\"%s\",\"cidr\":\"10.1.1.0/24\",\"shutdown\":true,\"shape_bps\":10000000,"
		 "\"acl_in\":\"WEB-IN\",\"acl_out\":\"OUT\"},"
		 "{\"name\":\"GigabitEthernet0/1\",\"subnet\":\"db\",\"ip\":\"10.1.2.1\","
		 "\"mac\":\"%s\",\"cidr\":\"10.1.2.0/24\"}],\"routes\":[],"
		 "\"redirects\":[{\"from\":\"10.1.2.99\",\"to\":\"10.1.2.10\"}],"
		 "\"acls\":{\"WEB-IN\":[{\"action\":\"permit\",\"proto\":\"tcp\",\"src\":"
		 "\"0.0.0.0/0\",\"dst\":\"10.1.2.0/24\",\"port\":80},{\"action\":\"permit\","
		 "\"proto\":\"icmp\",\"src\":\"10.1.1.7/32\",\"dst\":\"0.0.0.0/0\"},{\"action\":"
		 "\"deny\",\"proto\":\"ip\",\"src\":\"0.0.0.0/0\",\"dst\":\"0.0.0.0/0\"}],"
		 "\"OUT\":[]}}",
		 m0, m1);
	/* Exactly these keys: the description is the device's business, not
	 * the data plane's. */
	assert_entry(v2, "router/acme/blue/r1", entry);

	/* The change is one update of the router entry. */
	assert_true(views_diff(v1, v2, &put_, &del));
	assert_int_equal(json_array_size(del), 0);
	assert_int_equal(json_object_size(put_), 1);
	assert_non_null(json_object_get(put_, "router/acme/blue/r1"));
	json_decref(put_);
	json_decref(del);
	json_decref(v1);
	json_decref(v2);
	model_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_h1_view),    cmocka_unit_test(test_link_down),
	    cmocka_unit_test(test_quarantine), cmocka_unit_test(test_kernel_vtep),
	    cmocka_unit_test(test_diff),       cmocka_unit_test(test_router_features),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
