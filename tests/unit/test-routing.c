// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the Route Manager (controller/routing.c): on random
 * substrates, after random link flaps (from the model's admin state and
 * from agents' probe reports, including measured latency), the entries a
 * Route Manager updated incrementally equal those of one built from
 * scratch on the same state; a quota moves a tenant to its fallback
 * class; paths and the route-show document on the example of spec.md.
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
#include "onm/log.h"
#include "onm/model.h"
#include "model-fixture.h"
#include "routing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare_u32(const void *a_, const void *b_)
{
	const uint32_t *a = a_, *b = b_;

	return (*a > *b) - (*a < *b);
}

static void put_hops(struct ds *out, const uint32_t *hops, size_t n)
{
	uint32_t sorted[RM_MAX_NEXT_HOPS];

	memcpy(sorted, hops, n * sizeof *hops);
	qsort(sorted, n, sizeof *sorted, compare_u32);
	for (size_t i = 0; i < n; i++)
		ds_put_format(out, " %u", sorted[i]);
}

static void put_entry(size_t c, size_t d, const uint32_t *next, size_t n_next,
		      const uint32_t *pre, size_t n_pre, void *out_)
{
	struct ds *out = out_;

	ds_put_format(out, "  c%zu d%zu next", c, d);
	put_hops(out, next, n_next);
	if (pre) {
		ds_put_cstr(out, " pre");
		put_hops(out, pre, n_pre);
	}
	ds_put_char(out, '\n');
}

/* Every host's entries, next hops sorted. */
static char *entries(const struct route_manager *rm, size_t n_hosts)
{
	struct ds out;

	ds_init(&out);
	for (size_t h = 0; h < n_hosts; h++) {
		ds_put_format(&out, "host %zu\n", h);
		rm_host_entries(rm, h, put_entry, &out);
	}
	return ds_steal_cstr(&out);
}

/* A random substrate of 'n' hosts named hNN (name order = index order),
 * a ring plus random chords, hosts 0 and n/2 inspection-capable, one
 * tenant per class with instances on random hosts; one tenant
 * quarantined. */
static char *random_topology(unsigned int *seed, size_t n, size_t *n_links)
{
	struct ds y;
	static const char *const levels[] = {"platinum", "gold", "silver", "silver"};

	ds_init(&y);
	ds_put_cstr(&y, "substrate:\n  hosts:\n");
	for (size_t i = 0; i < n; i++)
		ds_put_format(&y, "    - {name: h%02zu%s}\n", i,
			      i == 0 || i == n / 2 ? ", capabilities: [inspection]" : "");
	ds_put_cstr(&y, "  links:\n");
	*n_links = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			bool ring = j == i + 1 || (i == 0 && j == n - 1);

			if (!ring && rand_r(seed) % 4)
				continue;
			/* Few distinct values: ties and ECMP. */
			ds_put_format(&y,
				      "    - {a: h%02zu, b: h%02zu, latency: %dms, bandwidth: %s, "
				      "cost: %d}\n",
				      i, j, 1 + rand_r(seed) % 3,
				      rand_r(seed) % 4 ? "1gbit" : "100mbit", 1 + rand_r(seed) % 3);
			(*n_links)++;
		}
	}
	ds_put_cstr(&y, "tenants:\n");
	for (size_t t = 0; t < ARRAY_SIZE(levels); t++) {
		ds_put_format(&y,
			      "  - name: t%zu\n    service_level: %s\n%s"
			      "    networks:\n      - name: n\n"
			      "        subnets: [{name: s, cidr: 10.0.0.0/24}]\n"
			      "        instances:\n",
			      t, levels[t], t == 3 ? "    quarantine: true\n" : "");
		for (int i = 0; i < 3; i++)
			ds_put_format(&y,
				      "          - {name: i%d, subnet: s, host: h%02u, ip: "
				      "10.0.0.%d}\n",
				      i, (unsigned int)(rand_r(seed) % n), 10 + i);
	}
	return ds_steal_cstr(&y);
}

struct flap_state {
	bool admin_down;
	bool probe_down[2];
	int64_t latency[2];
};

static void test_incremental_equals_full(void **state)
{
	(void)state;
	log_set_level(LOG_LEVEL_WARN);
	for (unsigned int seed0 = 1; seed0 <= 40; seed0++) {
		unsigned int seed = seed0;
		size_t n = 6 + rand_r(&seed) % 10, n_links;
		char *yaml = random_topology(&seed, n, &n_links);
		struct model *m = build(yaml);
		struct route_manager *inc = rm_create();
		struct model_object **links;
		struct flap_state *fs = calloc(n_links, sizeof *fs);
		size_t nl;

		rm_sync(inc, m);
		links = model_list(m, MODEL_LINK, &nl);
		assert_int_equal(nl, n_links);
		char **ids = calloc(nl, sizeof *ids);
		char **ends = calloc(2 * nl, sizeof *ends);

		for (size_t j = 0; j < nl; j++) {
			const struct link *l = CONTAINER_OF(links[j], const struct link, hdr);

			ids[j] = strdup(l->hdr.id);
			ends[2 * j] = strdup(l->a);
			ends[2 * j + 1] = strdup(l->b);
			fs[j].latency[0] = fs[j].latency[1] = -1;
		}
		free(links);

		for (int step = 0; step < 30; step++) {
			size_t j = (size_t)rand_r(&seed) % nl;
			int what = rand_r(&seed) % 3, end = rand_r(&seed) % 2;

			if (what == 0) {
				char json[128];

				fs[j].admin_down = !fs[j].admin_down;
				/* The link's other attributes fall back to their
				 * defaults: a change of attributes too. */
				snprintf(json, sizeof json,
					 "{\"a\":\"%s\",\"b\":\"%s\",\"state\":\"%s\"}",
					 ends[2 * j], ends[2 * j + 1], fs[j].admin_down ? "down" : "up");
				put(m, MODEL_LINK, json);
				rm_sync(inc, m);
			} else {
				/* Latency from one end, in steps wider than the
				 * hysteresis: the value in use then depends on the
				 * last report only, as in a fresh Route Manager. */
				static const int64_t steps[] = {1000, 2000, 4000, 8000};

				if (what == 1) {
					fs[j].probe_down[end] = !fs[j].probe_down[end];
				} else {
					end = 0;
					fs[j].latency[0] = steps[rand_r(&seed) % 4];
				}
				rm_link_report(inc, ids[j], ends[2 * j + end], !fs[j].probe_down[end],
					       fs[j].latency[end], 0);
			}

			/* A fresh Route Manager told the same. */
			struct route_manager *full = rm_create();

			rm_sync(full, m);
			for (size_t k = 0; k < nl; k++)
				for (int e = 0; e < 2; e++)
					if (fs[k].probe_down[e] || fs[k].latency[e] >= 0)
						rm_link_report(full, ids[k], ends[2 * k + e],
							       !fs[k].probe_down[e],
							       fs[k].latency[e], 0);
			char *a = entries(inc, n), *b = entries(full, n);

			if (strcmp(a, b)) {
				fprintf(stderr, "incremental:\n%s\nfull:\n%s\n\n", a, b);
				fail_msg("seed %u step %d: the entries differ", seed0, step);
			}
			free(a);
			free(b);
			rm_destroy(full);
		}
		for (size_t j = 0; j < nl; j++) {
			free(ids[j]);
			free(ends[2 * j]);
			free(ends[2 * j + 1]);
		}
		free(ids);
		free(ends);
		free(fs);
		rm_destroy(inc);
		model_destroy(m);
		free(yaml);
	}
}

static const char example[] =
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
    "    premium_quota: 1mb\n"
    "    fallback: silver\n"
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
    "        instances:\n"
    "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10}\n"
    "          - {name: db1,  subnet: db,  host: h3, ip: 10.1.2.10}\n";

/* Host indexes in name order: h1 0, h2 1, h3 2, h4 3, scan1 4. Classes:
 * gold 0, platinum 1, quarantine 2, silver 3. */
static void path_is(const struct route_manager *rm, size_t c, const char *want, uint64_t latency)
{
	static const char *const names[] = {"h1", "h2", "h3", "h4", "scan1"};
	uint32_t *path;
	uint64_t lat;
	size_t n = rm_path(rm, c, 0, 2, &path, &lat);
	struct ds got;

	ds_init(&got);
	for (size_t i = 0; i < n; i++)
		ds_put_format(&got, "%s%s", i ? " " : "", names[path[i]]);
	assert_string_equal(ds_cstr(&got), want);
	assert_int_equal(lat, latency);
	ds_destroy(&got);
	free(path);
}

static void test_quota_and_paths(void **state)
{
	struct model *m = build(example);
	struct route_manager *rm = rm_create();
	json_t *doc;

	(void)state;
	rm_sync(rm, m);
	assert_int_equal(rm_tenant_class(rm, "acme"), 1);
	path_is(rm, 1, "h1 h2 h3", 2000);

	/* The measured latency of h1-h2 grows to 5 ms at both ends: scan1's
	 * 4 ms wins. Jitter within the hysteresis changes nothing. */
	assert_false(rm_link_report(rm, "h1/h2", "h1", true, 1100, 0));
	assert_true(rm_link_report(rm, "h1/h2", "h1", true, 5000, 0));
	path_is(rm, 1, "h1 scan1 h3", 4000);
	assert_true(rm_link_report(rm, "h1/h2", "h1", true, 1000, 0));
	path_is(rm, 1, "h1 h2 h3", 2000);
	/* A probe says down; the agent going away forgets it. */
	assert_true(rm_link_report(rm, "h2/h3", "h3", false, -1, -1));
	path_is(rm, 1, "h1 scan1 h3", 4000);
	assert_true(rm_reporter_gone(rm, "h3"));
	path_is(rm, 1, "h1 h2 h3", 2000);

	/* 1 MB of premium traffic: acme falls back to silver (h4, cost 2). */
	assert_false(rm_tenant_add_usage(rm, "acme", 600000));
	assert_true(rm_tenant_add_usage(rm, "acme", 400000));
	assert_int_equal(rm_tenant_class(rm, "acme"), 3);
	path_is(rm, 3, "h1 h4 h3", 30000);
	/* Silver traffic does not count. */
	assert_false(rm_tenant_add_usage(rm, "acme", 400000));
	doc = rm_tenant_status_json(rm, "acme");
	assert_string_equal(json_string_value(json_object_get(doc, "class")), "silver");
	assert_true(json_is_true(json_object_get(doc, "quota_exhausted")));
	json_decref(doc);

	/* Raising the quota moves it back. */
	put(m, MODEL_TENANT,
	    "{\"name\":\"acme\",\"service_level\":\"platinum\",\"premium_quota\":\"2mb\","
	    "\"fallback\":\"silver\"}");
	rm_sync(rm, m);
	assert_int_equal(rm_tenant_class(rm, "acme"), 1);

	/* route show: connected and static routes, the path per host pair. */
	doc = rm_network_json(rm, m, "acme/blue");
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "class")), "platinum");
	assert_int_equal(json_array_size(json_object_get(doc, "routes")), 3);
	assert_int_equal(json_array_size(json_object_get(doc, "paths")), 2);
	{
		json_t *p = json_array_get(json_object_get(doc, "paths"), 0);

		assert_string_equal(json_string_value(json_object_get(p, "src")), "h1");
		assert_int_equal(json_array_size(json_object_get(p, "hosts")), 3);
		assert_int_equal(json_integer_value(json_object_get(p, "latency_us")), 2000);
	}
	json_decref(doc);
	assert_null(rm_network_json(rm, m, "acme/none"));

	rm_destroy(rm);
	model_destroy(m);
}

/* The network's routing policy as a network object (the REST form). */
static void put_blue(struct model *m, const char *routing)
{
	char *json = xasprintf(
	    "{\"tenant\":\"acme\",\"name\":\"blue\",\"subnets\":[{\"name\":\"web\","
	    "\"cidr\":\"10.1.1.0/24\"},{\"name\":\"db\",\"cidr\":\"10.1.2.0/24\"}]%s%s}",
	    routing ? ",\"routing\":" : "", routing ? routing : "");

	put(m, MODEL_NETWORK, json);
	free(json);
}

/* The first problem of the network's policy in route show, or NULL. */
static char *policy_problem(const struct route_manager *rm, const struct model *m)
{
	json_t *doc = rm_network_json(rm, m, "acme/blue");
	json_t *problems = json_object_get(json_object_get(doc, "policy"), "problems");
	const char *p = json_string_value(json_array_get(problems, 0));
	char *copy = p ? xstrdup(p) : NULL;

	json_decref(doc);
	return copy;
}

/* Incremental state equals a fresh Route Manager on the same model. */
static void same_as_fresh(const struct route_manager *rm, const struct model *m)
{
	struct route_manager *fresh = rm_create();
	char *a, *b;

	rm_sync(fresh, m);
	a = entries(rm, 5);
	b = entries(fresh, 5);
	assert_string_equal(a, b);
	free(a);
	free(b);
	rm_destroy(fresh);
}

static void test_network_policy(void **state)
{
	struct model *m = build(example);
	struct route_manager *rm = rm_create();
	size_t c;
	char *why;

	(void)state;
	rm_sync(rm, m);
	assert_int_equal(rm_n_classes(rm), 4);

	/* Avoiding h2: platinum's next best, scan1, in a class of its own
	 * with a DSCP no service level uses. */
	put_blue(m, "{\"avoid_hosts\":[\"h2\"]}");
	assert_true(rm_sync(rm, m));
	assert_int_equal(rm_n_classes(rm), 5);
	c = rm_network_class(rm, "acme/blue");
	assert_int_equal(c, 4);
	assert_string_equal(rm_class_name(rm, c), "acme.blue");
	assert_int_equal(rm_class_dscp(rm, c), 1);
	path_is(rm, c, "h1 scan1 h3", 4000);
	assert_null(policy_problem(rm, m));
	/* ... but crosses h2 when nothing else reaches. */
	assert_true(rm_link_report(rm, "h1/scan1", "h1", false, -1, -1));
	path_is(rm, c, "h1 h2 h3", 2000);
	assert_true(rm_reporter_gone(rm, "h1"));
	same_as_fresh(rm, m);

	/* Preferring scan1 halves its links: 2 ms against 2 ms, ECMP; the
	 * path shown follows the first. */
	put_blue(m, "{\"prefer_hosts\":[\"scan1\"]}");
	rm_sync(rm, m);
	assert_int_equal(rm_class_dscp(rm, rm_network_class(rm, "acme/blue")), 1);
	same_as_fresh(rm, m);

	/* An explicit path: h1 -> scan1 -> h3, against platinum's h2. */
	put_blue(m, "{\"paths\":[{\"from\":\"h1\",\"to\":\"h3\",\"via\":[\"scan1\"]}]}");
	rm_sync(rm, m);
	c = rm_network_class(rm, "acme/blue");
	path_is(rm, c, "h1 scan1 h3", 4000);
	assert_null(policy_problem(rm, m));
	/* Its link fails: reported, traffic takes the class's paths, and
	 * the path comes back with the link. */
	assert_true(rm_link_report(rm, "h1/scan1", "scan1", false, -1, -1));
	path_is(rm, c, "h1 h2 h3", 2000);
	why = policy_problem(rm, m);
	assert_string_equal(why, "path h1 -> h3: link h1/scan1 is down");
	free(why);
	assert_true(rm_reporter_gone(rm, "scan1"));
	path_is(rm, c, "h1 scan1 h3", 4000);
	same_as_fresh(rm, m);

	/* Through h4: below platinum's 500 Mbit/s. */
	put_blue(m, "{\"paths\":[{\"from\":\"h1\",\"to\":\"h3\",\"via\":[\"h4\"]}]}");
	rm_sync(rm, m);
	path_is(rm, rm_network_class(rm, "acme/blue"), "h1 h2 h3", 2000);
	why = policy_problem(rm, m);
	assert_non_null(strstr(why, "link h1/h4 is excluded by class platinum"));
	free(why);

	/* Two paths to h3 that disagree at h1: the second is not applied. */
	put_blue(m, "{\"paths\":[{\"from\":\"h1\",\"to\":\"h3\",\"via\":[\"scan1\"]},"
		    "{\"from\":\"h4\",\"to\":\"h3\",\"via\":[\"h1\",\"h2\"]}]}");
	rm_sync(rm, m);
	path_is(rm, rm_network_class(rm, "acme/blue"), "h1 scan1 h3", 4000);
	why = policy_problem(rm, m);
	assert_string_equal(why, "path h4 -> h3: disagrees at h1 with path h1 -> h3");
	free(why);

	/* Coefficients reshape the level's function: gold minimizes latency;
	 * making latency 0 leaves every link at the minimum weight: three
	 * equal two-hop paths. */
	put(m, MODEL_TENANT, "{\"name\":\"acme\",\"service_level\":\"gold\"}");
	put_blue(m, "{\"coefficients\":{\"latency\":0}}");
	rm_sync(rm, m);
	c = rm_network_class(rm, "acme/blue");
	{
		struct ds e;
		char *all = entries(rm, 5);

		ds_init(&e);
		/* h1's entry towards h3 lists h2, h4 and scan1. */
		ds_put_format(&e, "host 0\n  c%zu d2 next 1 3 4\n", c);
		assert_non_null(strstr(all, ds_cstr(&e)));
		ds_destroy(&e);
		free(all);
	}
	same_as_fresh(rm, m);

	/* Quarantine: the network's class derives from quarantine and keeps
	 * its waypoint; paths are not applied then, and say why. */
	put(m, MODEL_TENANT,
	    "{\"name\":\"acme\",\"service_level\":\"platinum\",\"quarantine\":true}");
	put_blue(m, "{\"paths\":[{\"from\":\"h1\",\"to\":\"h3\",\"via\":[\"h2\"]}]}");
	rm_sync(rm, m);
	c = rm_network_class(rm, "acme/blue");
	assert_string_equal(rm_class_via(rm, c), "inspection");
	path_is(rm, c, "h1 scan1 h3", 4000);
	why = policy_problem(rm, m);
	assert_non_null(strstr(why, "must pass a 'inspection' host"));
	free(why);
	same_as_fresh(rm, m);

	/* No policy: back to the tenant's class, the class is gone. */
	put_blue(m, NULL);
	rm_sync(rm, m);
	assert_int_equal(rm_n_classes(rm), 4);
	assert_int_equal(rm_network_class(rm, "acme/blue"), 2);

	rm_destroy(rm);
	model_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_incremental_equals_full),
	    cmocka_unit_test(test_quota_and_paths),
	    cmocka_unit_test(test_network_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
