// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the controller state (controller/state.c): whole-topology
 * apply with its plan, idempotence and dry runs; single-object create,
 * update and delete with every error code of state.h; static routes; built-in
 * service levels; persistence across close and reopen of a SQLite store;
 * refusal of a store whose content does not validate; and real store
 * failures (SQLite triggers) that must leave model and store unchanged.
 * After every step the store is compared with the model, key by key.
 */
#include "state.h"

#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* cmocka.h needs <stdarg.h>, <stddef.h> and <setjmp.h> first. */
#include "onm/model.h"
#include "onm/store.h"
#include "onm/util.h"

#include <cmocka.h>

#include "../spec-example.h"


/* A small topology without passwords (cheap to apply): two hosts, a link,
 * one tenant with a network, a router and an instance. */
static const char small_yaml[] =
    "substrate:\n"
    "  hosts: [{name: h1}, {name: h2}]\n"
    "  links: [{a: h2, b: h1, latency: 1ms}]\n"
    "tenants:\n"
    "  - name: acme\n"
    "    networks:\n"
    "      - name: blue\n"
    "        subnets: [{name: web, cidr: 10.1.1.0/24}]\n"
    "        routers:\n"
    "          - name: r1\n"
    "            interfaces: [{name: ge0, subnet: web, ip: 10.1.1.1}]\n"
    "        instances:\n"
    "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10}\n";

/* ---- helpers ---------------------------------------------------------- */

static struct ctl_state *open_ok(const char *url)
{
	struct ctl_state *state;
	char *error = NULL;
	int rc = ctl_state_open(url, &state, &error);
	if (rc)
		fail_msg("ctl_state_open(%s): %d %s", url, rc, error);
	assert_null(error);
	return state;
}

/* Applies 'yaml'; returns the result and fills 'plan' (caller destroys). */
static int apply(struct ctl_state *state, const char *text, bool json, bool dry_run,
		 struct model_diff *plan, char **error)
{
	uint64_t revision = UINT64_MAX;
	int rc = ctl_state_apply(state, text, strlen(text), "test.yaml", json, dry_run, plan,
				 &revision, error);
	if (!rc) {
		assert_null(*error);
		assert_int_equal(revision, ctl_state_revision(state));
	} else {
		assert_non_null(*error);
		assert_int_equal(plan->n, 0);
	}
	return rc;
}

static void apply_ok(struct ctl_state *state, const char *yaml, size_t expect_changes)
{
	struct model_diff plan;
	char *error = NULL;
	int rc = apply(state, yaml, false, false, &plan, &error);
	if (rc)
		fail_msg("apply: %d %s", rc, error);
	assert_int_equal(plan.n, expect_changes);
	model_diff_destroy(&plan);
}

/* Counts the plan's changes of 'op' and 'kind'. */
static size_t plan_count(const struct model_diff *plan, enum model_change_op op,
			 enum model_kind kind)
{
	size_t n = 0;
	for (size_t i = 0; i < plan->n; i++)
		n += plan->changes[i].op == op && plan->changes[i].kind == kind;
	return n;
}

/* The store holds exactly the model's non-built-in objects, each under its
 * key with its canonical JSON. */
static void assert_store_matches_model(struct ctl_state *state)
{
	const struct model *model = ctl_state_model(state);
	struct store_kv *kvs;
	size_t n_kvs;
	assert_int_equal(store_list(ctl_state_store(state), "/onm/", &kvs, &n_kvs), 0);

	size_t n_stored = 0;
	for (int k = 0; k < MODEL_N_KINDS; k++) {
		size_t n;
		struct model_object **objs = model_list(model, k, &n);
		for (size_t i = 0; i < n; i++) {
			if (model_object_is_builtin(objs[i]))
				continue;
			n_stored++;
			char *key = model_object_key(objs[i]);
			struct store_kv kv;
			int rc = store_get(ctl_state_store(state), key, &kv);
			if (rc)
				fail_msg("%s: in the model, not in the store (%d)", key, rc);
			assert_non_null(objs[i]->json);
			assert_string_equal(kv.value, objs[i]->json);
			store_kv_uninit(&kv);
			free(key);
		}
		free(objs);
	}
	if (n_stored != n_kvs)
		fail_msg("store holds %zu keys, model %zu stored objects", n_kvs, n_stored);
	store_kvs_free(kvs, n_kvs);
}

static bool store_has(struct ctl_state *state, const char *key)
{
	struct store_kv kv;
	int rc = store_get(ctl_state_store(state), key, &kv);
	if (rc == 0)
		store_kv_uninit(&kv);
	else
		assert_int_equal(rc, -ENOENT);
	return rc == 0;
}

static const struct model_object *find(struct ctl_state *state, enum model_kind kind,
				       const char *id)
{
	return model_find(ctl_state_model(state), kind, id);
}

/* Runs a create and checks its error code and that the message is set. */
static void expect_create(struct ctl_state *state, enum model_kind kind, const char *body,
			  int expect, const char *in_message)
{
	const struct model_object *created = (const void *)1;
	char *error = NULL;
	uint64_t revision = ctl_state_revision(state);
	int rc = ctl_state_create(state, kind, body, strlen(body), &created, &error);
	if (rc != expect)
		fail_msg("create %s: got %d (%s), expected %d", body, rc, error ? error : "",
			 expect);
	if (expect) {
		assert_non_null(error);
		assert_null(created);
		assert_int_equal(ctl_state_revision(state), revision);
		if (in_message && !strstr(error, in_message))
			fail_msg("message '%s' lacks '%s'", error, in_message);
	} else {
		assert_null(error);
		assert_non_null(created);
		assert_int_equal(ctl_state_revision(state), revision + 1);
	}
	free(error);
	assert_store_matches_model(state);
}

static void expect_update(struct ctl_state *state, enum model_kind kind, const char *id,
			  const char *body, int expect)
{
	char *error = NULL;
	const struct model_object *updated = NULL;
	int rc = ctl_state_update(state, kind, id, body, strlen(body), &updated, &error);
	if (rc != expect)
		fail_msg("update %s %s: got %d (%s), expected %d", id, body, rc, error ? error : "",
			 expect);
	if (expect) {
		assert_non_null(error);
		assert_null(updated);
	} else {
		assert_null(error);
		assert_non_null(updated);
	}
	free(error);
	assert_store_matches_model(state);
}

static void expect_delete(struct ctl_state *state, enum model_kind kind, const char *id, int expect)
{
	char *error = NULL;
	int rc = ctl_state_delete(state, kind, id, &error);
	if (rc != expect)
		fail_msg("delete %s: got %d (%s), expected %d", id, rc, error ? error : "", expect);
	if (expect)
		assert_non_null(error);
	else
		assert_null(error);
	free(error);
	assert_store_matches_model(state);
}

/* A temporary directory for SQLite stores, removed with its content. */
struct tmpdir {
	char path[64]; /* the directory */
	char db[96];   /* the database file in it */
	char url[128]; /* "sqlite:" + db */
};

static void tmpdir_create(struct tmpdir *t)
{
	strcpy(t->path, "/tmp/onm-test-state-XXXXXX");
	assert_non_null(mkdtemp(t->path));
	snprintf(t->db, sizeof t->db, "%s/onm.db", t->path);
	snprintf(t->url, sizeof t->url, "sqlite:%s", t->db);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void tmpdir_destroy(struct tmpdir *t)
{
	assert_int_equal(nftw(t->path, remove_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

/* cmocka fixture: a temporary directory, removed even when the test fails. */
static int tmpdir_setup(void **fixture)
{
	struct tmpdir *t = xzalloc(sizeof *t);
	tmpdir_create(t);
	*fixture = t;
	return 0;
}

static int tmpdir_teardown(void **fixture)
{
	struct tmpdir *t = *fixture;
	tmpdir_destroy(t);
	free(t);
	return 0;
}

static void raw_exec(const char *db_path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	sqlite3_close(db);
}

/* ---- whole topologies ------------------------------------------------- */

static void test_apply_demo(void **unused)
{
	(void)unused;
	struct ctl_state *state = open_ok("memory:");
	assert_int_equal(ctl_state_revision(state), 0);

	struct model_diff plan;
	char *error = NULL;
	assert_int_equal(apply(state, spec_example, false, false, &plan, &error), 0);
	/* 5 hosts, 6 links, 2 tenants, 2 networks, 1 router, 4 instances; the
	 * 4 service levels the file spells out equal the built-in ones, so
	 * they are no change. */
	assert_int_equal(plan.n, 20);
	assert_int_equal(plan_count(&plan, MODEL_CREATE, MODEL_HOST), 5);
	assert_int_equal(plan_count(&plan, MODEL_CREATE, MODEL_LINK), 6);
	assert_int_equal(plan_count(&plan, MODEL_CREATE, MODEL_SERVICE_LEVEL), 0);
	assert_int_equal(plan_count(&plan, MODEL_CREATE, MODEL_TENANT), 2);
	assert_int_equal(plan_count(&plan, MODEL_CREATE, MODEL_NETWORK), 2);
	assert_int_equal(plan_count(&plan, MODEL_CREATE, MODEL_ROUTER), 1);
	assert_int_equal(plan_count(&plan, MODEL_CREATE, MODEL_INSTANCE), 4);
	model_diff_destroy(&plan);
	/* One transaction. */
	assert_int_equal(ctl_state_revision(state), 1);
	assert_store_matches_model(state);
	assert_true(store_has(state, "/onm/links/h1/h2"));
	assert_true(store_has(state, "/onm/instances/globex/red/app2"));

	/* The store never holds a plain password. */
	const struct model_object *acme = find(state, MODEL_TENANT, "acme");
	assert_non_null(acme);
	assert_null(strstr(acme->json, "correct horse"));
	assert_non_null(strstr(acme->json, "$argon2id$"));

	/* Again: nothing changes, nothing is written. */
	char *vni_before = xstrdup(find(state, MODEL_NETWORK, "acme/blue")->json);
	assert_int_equal(apply(state, spec_example, false, false, &plan, &error), 0);
	assert_int_equal(plan.n, 0);
	model_diff_destroy(&plan);
	assert_int_equal(ctl_state_revision(state), 1);
	assert_string_equal(find(state, MODEL_NETWORK, "acme/blue")->json, vni_before);
	free(vni_before);
	assert_store_matches_model(state);

	ctl_state_close(state);
}

/* Reads the repository's examples/demo.yaml, found from this source file's
 * path (absolute, or relative to the build directory, which holds
 * tests/test-state) or from the working directory. NULL if absent. */
static char *demo_file_read(void)
{
	static const char self[] = "tests/unit/test-state.c";
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char *candidates[2] = {NULL, xstrdup("examples/demo.yaml")};
	if (str_has_suffix(__FILE__, self) && (__FILE__[0] == '/' || n > 0)) {
		char *file;
		if (__FILE__[0] == '/') {
			file = xstrdup(__FILE__);
		} else {
			exe[n] = '\0';
			file = xasprintf("%s/%s", dirname(dirname(exe)), __FILE__);
		}
		file[strlen(file) - strlen(self)] = '\0';
		candidates[0] = xasprintf("%sexamples/demo.yaml", file);
		free(file);
	}

	char *text = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++) {
		size_t len;
		if (!text && candidates[i] && read_file(candidates[i], &text, &len))
			text = NULL;
		free(candidates[i]);
	}
	return text;
}

/* The demo of 'make demo', whatever it holds: every object it describes is
 * created, in one revision; applying it again changes nothing. */
static void test_apply_demo_file(void **unused)
{
	(void)unused;
	char *text = demo_file_read();
	if (!text) {
		/* The inline copy of the spec's example is tested above. */
		skip();
		return;
	}
	struct ctl_state *state = open_ok("memory:");
	struct model_diff plan;
	char *error = NULL;
	int rc = apply(state, text, false, false, &plan, &error);
	if (rc)
		fail_msg("examples/demo.yaml: %s", error);
	size_t n_stored = 0;
	for (int k = 0; k < MODEL_N_KINDS; k++) {
		size_t n;
		struct model_object **objs = model_list(ctl_state_model(state), k, &n);
		for (size_t i = 0; i < n; i++) {
			if (model_object_is_builtin(objs[i]))
				continue;
			n_stored++;
			assert_int_equal(plan_count(&plan, MODEL_CREATE, k) > 0, true);
		}
		free(objs);
	}
	assert_true(n_stored > 0);
	assert_int_equal(plan.n, n_stored);
	assert_int_equal(plan_count(&plan, MODEL_UPDATE, MODEL_HOST), 0);
	model_diff_destroy(&plan);
	assert_int_equal(ctl_state_revision(state), 1);
	assert_store_matches_model(state);

	assert_int_equal(apply(state, text, false, false, &plan, &error), 0);
	assert_int_equal(plan.n, 0);
	model_diff_destroy(&plan);
	assert_int_equal(ctl_state_revision(state), 1);
	ctl_state_close(state);
	free(text);
}

static void test_apply_dry_run(void **unused)
{
	(void)unused;
	struct ctl_state *state = open_ok("memory:");
	apply_ok(state, small_yaml, 7);
	assert_int_equal(ctl_state_revision(state), 1);

	/* Without the instance and with a changed link. */
	static const char changed[] = "substrate:\n"
				      "  hosts: [{name: h1}, {name: h2}, {name: h3}]\n"
				      "  links: [{a: h1, b: h2, latency: 5ms}]\n"
				      "tenants:\n"
				      "  - name: acme\n"
				      "    networks:\n"
				      "      - name: blue\n"
				      "        subnets: [{name: web, cidr: 10.1.1.0/24}]\n"
				      "        routers:\n"
				      "          - name: r1\n"
				      "            interfaces: [{name: ge0, subnet: web, ip: "
				      "10.1.1.1}]\n";
	struct model_diff plan;
	char *error = NULL;
	assert_int_equal(apply(state, changed, false, true, &plan, &error), 0);
	assert_int_equal(plan.n, 3);
	assert_int_equal(plan_count(&plan, MODEL_CREATE, MODEL_HOST), 1);
	assert_int_equal(plan_count(&plan, MODEL_UPDATE, MODEL_LINK), 1);
	assert_int_equal(plan_count(&plan, MODEL_DELETE, MODEL_INSTANCE), 1);
	/* Deletes come last. */
	assert_int_equal(plan.changes[2].op, MODEL_DELETE);
	assert_string_equal(plan.changes[2].id, "acme/blue/web1");
	model_diff_destroy(&plan);

	/* The dry run wrote nothing and changed nothing. */
	assert_int_equal(ctl_state_revision(state), 1);
	assert_non_null(find(state, MODEL_INSTANCE, "acme/blue/web1"));
	assert_null(find(state, MODEL_HOST, "h3"));
	assert_true(store_has(state, "/onm/instances/acme/blue/web1"));
	assert_store_matches_model(state);

	/* For real: one more revision. */
	apply_ok(state, changed, 3);
	assert_int_equal(ctl_state_revision(state), 2);
	assert_null(find(state, MODEL_INSTANCE, "acme/blue/web1"));
	assert_false(store_has(state, "/onm/instances/acme/blue/web1"));
	const struct model_object *link = find(state, MODEL_LINK, "h1/h2");
	assert_non_null(strstr(link->json, "\"5ms\""));
	assert_store_matches_model(state);

	ctl_state_close(state);
}

static void test_apply_errors(void **unused)
{
	(void)unused;
	struct ctl_state *state = open_ok("memory:");
	apply_ok(state, small_yaml, 7);

	struct model_diff plan;
	char *error = NULL;

	/* Not YAML. */
	assert_int_equal(apply(state, "tenants: [", false, false, &plan, &error), -EBADMSG);
	assert_non_null(strstr(error, "test.yaml"));
	free(error);

	/* Unknown key: the message names the file, the line and the key. */
	assert_int_equal(
	    apply(state, "tenants:\n  - name: x\n    bogus: 1\n", false, false, &plan, &error),
	    -EBADMSG);
	assert_non_null(strstr(error, "test.yaml:3"));
	assert_non_null(strstr(error, "bogus"));
	free(error);

	/* Valid alone, refused across objects: an instance on an unknown host. */
	static const char unknown_host[] =
	    "substrate: {hosts: [{name: h1}]}\n"
	    "tenants:\n"
	    "  - name: acme\n"
	    "    networks:\n"
	    "      - name: blue\n"
	    "        subnets: [{name: web, cidr: 10.1.1.0/24}]\n"
	    "        instances: [{name: w, subnet: web, host: h99, ip: 10.1.1.10}]\n";
	assert_int_equal(apply(state, unknown_host, false, false, &plan, &error), -EINVAL);
	assert_non_null(strstr(error, "h99"));
	free(error);

	/* Nothing of the refused files was applied. */
	assert_int_equal(ctl_state_revision(state), 1);
	assert_int_equal(model_count(ctl_state_model(state), MODEL_HOST), 2);
	assert_store_matches_model(state);

	/* JSON is read as JSON: the same topology in JSON changes nothing. */
	static const char small_json[] =
	    "{\"substrate\": {\"hosts\": [{\"name\": \"h1\"}, {\"name\": \"h2\"}],"
	    " \"links\": [{\"a\": \"h2\", \"b\": \"h1\", \"latency\": \"1ms\"}]},"
	    " \"tenants\": [{\"name\": \"acme\", \"networks\": [{\"name\": \"blue\","
	    " \"subnets\": [{\"name\": \"web\", \"cidr\": \"10.1.1.0/24\"}],"
	    " \"routers\": [{\"name\": \"r1\", \"interfaces\": [{\"name\": \"ge0\","
	    " \"subnet\": \"web\", \"ip\": \"10.1.1.1\"}]}],"
	    " \"instances\": [{\"name\": \"web1\", \"subnet\": \"web\", \"host\": \"h1\","
	    " \"ip\": \"10.1.1.10\"}]}]}]}";
	assert_int_equal(apply(state, small_json, true, false, &plan, &error), 0);
	assert_int_equal(plan.n, 0);
	model_diff_destroy(&plan);
	/* A JSON document with a trailing YAML-only construct is not JSON. */
	assert_int_equal(apply(state, "substrate: {}", true, false, &plan, &error), -EBADMSG);
	free(error);

	ctl_state_close(state);
}

/* ---- single objects --------------------------------------------------- */

static void test_objects(void **unused)
{
	(void)unused;
	struct ctl_state *state = open_ok("memory:");
	apply_ok(state, small_yaml, 7);

	/* Create. */
	expect_create(state, MODEL_HOST, "{\"name\": \"h9\"}", 0, NULL);
	assert_true(store_has(state, "/onm/hosts/h9"));
	expect_create(state, MODEL_HOST, "{\"name\": \"h9\"}", -EEXIST, "h9");
	expect_create(state, MODEL_HOST, "{\"name\": \"H9!\"}", -EBADMSG, "name");
	expect_create(state, MODEL_HOST, "{\"name\": \"h8\", \"colour\": 1}", -EBADMSG, "colour");
	expect_create(state, MODEL_HOST, "not json", -EBADMSG, NULL);
	expect_create(state, MODEL_HOST, "", -EBADMSG, NULL);
	expect_create(state, MODEL_LINK, "{\"a\": \"h1\", \"b\": \"nowhere\"}", -EINVAL, "nowhere");
	expect_create(state, MODEL_LINK, "{\"a\": \"h9\", \"b\": \"h1\", \"cost\": 3}", 0, NULL);
	assert_true(store_has(state, "/onm/links/h1/h9"));
	/* An instance whose address another holds is refused across objects. */
	expect_create(state, MODEL_INSTANCE,
		      "{\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"web2\","
		      " \"subnet\": \"web\", \"host\": \"h2\", \"ip\": \"10.1.1.10\"}",
		      -EINVAL, NULL);
	expect_create(state, MODEL_INSTANCE,
		      "{\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"web2\","
		      " \"subnet\": \"web\", \"host\": \"h9\", \"ip\": \"10.1.1.11\"}",
		      0, NULL);
	const struct model_object *web2 = find(state, MODEL_INSTANCE, "acme/blue/web2");
	assert_non_null(web2);
	/* The MAC was allocated on arrival and is what the store holds. */
	assert_non_null(strstr(web2->json, "\"mac\":\""));

	/* Update. */
	uint64_t revision = ctl_state_revision(state);
	expect_update(state, MODEL_HOST, "h9", "{\"name\": \"h9\", \"capabilities\": [\"gpu\"]}",
		      0);
	assert_int_equal(ctl_state_revision(state), revision + 1);
	assert_non_null(strstr(find(state, MODEL_HOST, "h9")->json, "gpu"));
	/* The same object again writes nothing. */
	expect_update(state, MODEL_HOST, "h9", "{\"name\": \"h9\", \"capabilities\": [\"gpu\"]}",
		      0);
	assert_int_equal(ctl_state_revision(state), revision + 1);
	/* A link may be named in either order. */
	expect_update(state, MODEL_LINK, "h9/h1", "{\"a\": \"h1\", \"b\": \"h9\", \"cost\": 7}", 0);
	assert_non_null(strstr(find(state, MODEL_LINK, "h1/h9")->json, "\"cost\":7"));
	expect_update(state, MODEL_HOST, "h7", "{\"name\": \"h7\"}", -ENOENT);
	expect_update(state, MODEL_HOST, "h9", "{\"name\": \"h8\"}", -EBADMSG);
	expect_update(state, MODEL_HOST, "h9", "{\"name\": 5}", -EBADMSG);
	/* The network's subnet must still hold its instances and routers. */
	expect_update(state, MODEL_NETWORK, "acme/blue",
		      "{\"tenant\": \"acme\", \"name\": \"blue\","
		      " \"subnets\": [{\"name\": \"web\", \"cidr\": \"10.2.0.0/24\"}]}",
		      -EINVAL);
	/* Without a VNI the network keeps its own. */
	char *blue = xstrdup(find(state, MODEL_NETWORK, "acme/blue")->json);
	expect_update(state, MODEL_NETWORK, "acme/blue",
		      "{\"tenant\": \"acme\", \"name\": \"blue\","
		      " \"subnets\": [{\"name\": \"web\", \"cidr\": \"10.1.1.0/24\"}]}",
		      0);
	assert_string_equal(find(state, MODEL_NETWORK, "acme/blue")->json, blue);
	free(blue);

	/* Delete. */
	expect_delete(state, MODEL_HOST, "h1", -EBUSY);
	expect_delete(state, MODEL_TENANT, "acme", -EBUSY);
	expect_delete(state, MODEL_HOST, "h7", -ENOENT);
	expect_delete(state, MODEL_INSTANCE, "acme/blue/web2", 0);
	assert_false(store_has(state, "/onm/instances/acme/blue/web2"));
	expect_delete(state, MODEL_LINK, "h9/h1", 0);
	assert_null(find(state, MODEL_LINK, "h1/h9"));
	expect_delete(state, MODEL_HOST, "h9", 0);
	expect_delete(state, MODEL_HOST, "h9", -ENOENT);
	assert_false(store_has(state, "/onm/hosts/h9"));

	/* A tenant's plain password is hashed; the store never sees it. */
	expect_create(state, MODEL_TENANT,
		      "{\"name\": \"initech\", \"users\": [{\"name\": \"bob\", \"role\": "
		      "\"operator\", \"password\": \"swingline\"}]}",
		      0, NULL);
	const struct model_object *initech = find(state, MODEL_TENANT, "initech");
	assert_null(strstr(initech->json, "swingline"));
	assert_non_null(strstr(initech->json, "$argon2id$"));

	ctl_state_close(state);
}

static void test_builtin_service_levels(void **unused)
{
	(void)unused;
	struct ctl_state *state = open_ok("memory:");
	apply_ok(state, small_yaml, 7);

	/* Built in: in the model, never in the store. */
	const struct model_object *gold = find(state, MODEL_SERVICE_LEVEL, "gold");
	assert_non_null(gold);
	assert_true(model_object_is_builtin(gold));
	assert_false(store_has(state, "/onm/service_levels/gold"));
	expect_delete(state, MODEL_SERVICE_LEVEL, "gold", -EINVAL);
	expect_create(state, MODEL_SERVICE_LEVEL, "{\"name\": \"gold\", \"minimize\": \"hops\"}",
		      -EEXIST, "gold");

	/* Overriding one stores it; deleting the override brings it back. */
	expect_update(state, MODEL_SERVICE_LEVEL, "gold",
		      "{\"name\": \"gold\", \"minimize\": \"hops\"}", 0);
	assert_true(store_has(state, "/onm/service_levels/gold"));
	assert_false(model_object_is_builtin(find(state, MODEL_SERVICE_LEVEL, "gold")));
	expect_delete(state, MODEL_SERVICE_LEVEL, "gold", 0);
	assert_false(store_has(state, "/onm/service_levels/gold"));
	assert_true(model_object_is_builtin(find(state, MODEL_SERVICE_LEVEL, "gold")));

	/* A new one is an ordinary object; in use it cannot go. */
	expect_create(state, MODEL_SERVICE_LEVEL, "{\"name\": \"bronze\", \"minimize\": \"cost\"}",
		      0, NULL);
	expect_create(state, MODEL_TENANT, "{\"name\": \"t2\", \"service_level\": \"bronze\"}", 0,
		      NULL);
	expect_delete(state, MODEL_SERVICE_LEVEL, "bronze", -EBUSY);
	expect_delete(state, MODEL_TENANT, "t2", 0);
	expect_delete(state, MODEL_SERVICE_LEVEL, "bronze", 0);

	ctl_state_close(state);
}

/* ---- routes ----------------------------------------------------------- */

static size_t router_n_routes(struct ctl_state *state, const char *id)
{
	const struct model_object *obj = find(state, MODEL_ROUTER, id);
	assert_non_null(obj);
	return CONTAINER_OF(obj, const struct router, hdr)->n_routes;
}

static void test_routes(void **unused)
{
	(void)unused;
	struct ctl_state *state = open_ok("memory:");
	apply_ok(state, small_yaml, 7);
	const char *r1 = "acme/blue/r1";
	char *error = NULL;
	uint64_t revision = ctl_state_revision(state);

	assert_int_equal(ctl_state_route_add(state, r1, "10.9.0.0/16", "10.1.1.20", &error), 0);
	assert_null(error);
	assert_int_equal(ctl_state_revision(state), revision + 1);
	assert_int_equal(router_n_routes(state, r1), 1);
	assert_non_null(strstr(find(state, MODEL_ROUTER, r1)->json,
			       "{\"prefix\":\"10.9.0.0/16\",\"via\":\"10.1.1.20\"}"));
	assert_store_matches_model(state);

	assert_int_equal(ctl_state_route_add(state, r1, "10.8.0.0/16", "10.1.1.30", &error), 0);
	assert_int_equal(router_n_routes(state, r1), 2);

	/* Errors: duplicate, malformed, refused by the model, unknown router. */
	assert_int_equal(ctl_state_route_add(state, r1, "10.9.0.0/16", "10.1.1.21", &error),
			 -EEXIST);
	free(error);
	assert_int_equal(ctl_state_route_add(state, r1, "10.9.0.1/16", "10.1.1.20", &error),
			 -EBADMSG);
	assert_non_null(strstr(error, "10.9.0.1/16"));
	free(error);
	assert_int_equal(ctl_state_route_add(state, r1, "10.7.0.0/16", "10.1.1", &error), -EBADMSG);
	free(error);
	assert_int_equal(ctl_state_route_add(state, r1, "10.7.0.0/16", "192.168.0.1", &error),
			 -EINVAL);
	free(error);
	assert_int_equal(
	    ctl_state_route_add(state, "acme/blue/r9", "10.7.0.0/16", "10.1.1.20", &error),
	    -ENOENT);
	free(error);
	assert_int_equal(router_n_routes(state, r1), 2);
	assert_store_matches_model(state);

	/* Delete the first: the second stays, in place. */
	assert_int_equal(ctl_state_route_delete(state, r1, "10.9.0.0/16", &error), 0);
	assert_int_equal(router_n_routes(state, r1), 1);
	assert_null(strstr(find(state, MODEL_ROUTER, r1)->json, "10.9.0.0/16"));
	assert_non_null(strstr(find(state, MODEL_ROUTER, r1)->json, "10.8.0.0/16"));
	assert_int_equal(ctl_state_route_delete(state, r1, "10.9.0.0/16", &error), -ENOENT);
	free(error);
	assert_int_equal(ctl_state_route_delete(state, r1, "nonsense", &error), -EBADMSG);
	free(error);
	assert_int_equal(ctl_state_route_delete(state, "acme/blue/r9", "10.8.0.0/16", &error),
			 -ENOENT);
	free(error);
	assert_int_equal(ctl_state_route_delete(state, r1, "10.8.0.0/16", &error), 0);
	assert_int_equal(router_n_routes(state, r1), 0);
	assert_int_equal(ctl_state_revision(state), revision + 4);
	assert_store_matches_model(state);

	ctl_state_close(state);
}

/* ---- persistence ------------------------------------------------------ */

/* "kind id json" of every object, one per line. */
static char *snapshot(struct ctl_state *state)
{
	const struct model *model = ctl_state_model(state);
	size_t len = 0;
	char *out = xstrdup("");
	for (int k = 0; k < MODEL_N_KINDS; k++) {
		size_t n;
		struct model_object **objs = model_list(model, k, &n);
		for (size_t i = 0; i < n; i++) {
			const char *json = objs[i]->json ? objs[i]->json : "(none)";
			char *line = xasprintf("%d %s %s\n", k, objs[i]->id, json);
			out = xrealloc(out, len + strlen(line) + 1);
			strcpy(out + len, line);
			len += strlen(line);
			free(line);
		}
		free(objs);
	}
	return out;
}

static void test_sqlite_reopen(void **fixture)
{
	struct tmpdir *dir = *fixture;

	struct ctl_state *state = open_ok(dir->url);
	apply_ok(state, spec_example, 20);
	char *error = NULL;
	assert_int_equal(
	    ctl_state_route_add(state, "acme/blue/r1", "10.9.0.0/16", "10.1.2.20", &error), 0);
	expect_create(state, MODEL_HOST, "{\"name\": \"h9\"}", 0, NULL);
	uint64_t revision = ctl_state_revision(state);
	assert_int_equal(revision, 3);
	char *before = snapshot(state);
	ctl_state_close(state);

	state = open_ok(dir->url);
	assert_int_equal(ctl_state_revision(state), revision);
	char *after = snapshot(state);
	assert_string_equal(after, before);
	assert_store_matches_model(state);

	/* The reopened model keeps VNIs, MACs and hashes: the file without
	 * the two additions removes exactly those. */
	struct model_diff plan;
	assert_int_equal(apply(state, spec_example, false, true, &plan, &error), 0);
	assert_int_equal(plan.n, 2);
	assert_int_equal(plan_count(&plan, MODEL_UPDATE, MODEL_ROUTER), 1);
	assert_int_equal(plan_count(&plan, MODEL_DELETE, MODEL_HOST), 1);
	model_diff_destroy(&plan);
	ctl_state_close(state);

	free(before);
	free(after);
}

/* Opens 'url' expecting refusal with a message that holds 'needle'. */
static void expect_open_refused(const char *url, const char *needle)
{
	struct ctl_state *state = (void *)1;
	char *error = NULL;
	int rc = ctl_state_open(url, &state, &error);
	if (!rc)
		fail_msg("%s opened; expected a refusal naming %s", url, needle);
	assert_null(state);
	assert_non_null(error);
	if (!strstr(error, needle))
		fail_msg("message '%s' lacks '%s'", error, needle);
	free(error);
}

static void store_put_raw(const char *url, const char *key, const char *value)
{
	struct store *store;
	char *error = NULL;
	assert_int_equal(store_open(url, &store, &error), 0);
	assert_int_equal(store_put(store, key, value, strlen(value), NULL), 0);
	store_close(store);
}

static void store_delete_raw(const char *url, const char *key)
{
	struct store *store;
	char *error = NULL;
	assert_int_equal(store_open(url, &store, &error), 0);
	assert_int_equal(store_delete(store, key, NULL), 0);
	store_close(store);
}

static void test_bad_store(void **fixture)
{
	struct tmpdir *dir = *fixture;
	struct ctl_state *state = open_ok(dir->url);
	apply_ok(state, small_yaml, 7);
	ctl_state_close(state);

	/* A value that is not a valid host. */
	store_put_raw(dir->url, "/onm/hosts/h3", "{\"name\": \"h3\", \"colour\": \"red\"}");
	expect_open_refused(dir->url, "/onm/hosts/h3");
	store_put_raw(dir->url, "/onm/hosts/h3", "{\"name\": ");
	expect_open_refused(dir->url, "/onm/hosts/h3");
	/* A value whose id is not its key's. */
	store_put_raw(dir->url, "/onm/hosts/h3", "{\"name\": \"h4\"}");
	expect_open_refused(dir->url, "/onm/hosts/h3");
	store_delete_raw(dir->url, "/onm/hosts/h3");
	/* A key of no kind. */
	store_put_raw(dir->url, "/onm/widgets/w1", "{}");
	expect_open_refused(dir->url, "/onm/widgets/w1");
	store_delete_raw(dir->url, "/onm/widgets/w1");
	/* Valid alone, invalid with the rest: a link to a host not stored. */
	store_put_raw(dir->url, "/onm/links/h1/h5", "{\"a\": \"h1\", \"b\": \"h5\"}");
	expect_open_refused(dir->url, "h1/h5");
	store_delete_raw(dir->url, "/onm/links/h1/h5");

	/* Repaired, it opens again with what it held. */
	state = open_ok(dir->url);
	assert_int_equal(model_count(ctl_state_model(state), MODEL_HOST), 2);
	assert_store_matches_model(state);
	ctl_state_close(state);
}

/* Every commit fails while the trigger exists (each commit advances the
 * revision in table 'meta'): nothing may change in model or store. */
static void test_store_failure(void **fixture)
{
	struct tmpdir *dir = *fixture;
	struct ctl_state *state = open_ok(dir->url);
	apply_ok(state, small_yaml, 7);
	uint64_t revision = ctl_state_revision(state);
	char *before = snapshot(state);

	raw_exec(dir->db, "CREATE TRIGGER fail_all BEFORE UPDATE ON meta"
			  " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");

	struct model_diff plan;
	char *error = NULL;
	assert_int_equal(apply(state, spec_example, false, false, &plan, &error), -EIO);
	free(error);
	expect_create(state, MODEL_HOST, "{\"name\": \"h9\"}", -EIO, NULL);
	assert_null(find(state, MODEL_HOST, "h9"));
	expect_update(state, MODEL_HOST, "h2", "{\"name\": \"h2\", \"capabilities\": [\"gpu\"]}",
		      -EIO);
	expect_delete(state, MODEL_INSTANCE, "acme/blue/web1", -EIO);
	assert_int_equal(
	    ctl_state_route_add(state, "acme/blue/r1", "10.9.0.0/16", "10.1.1.20", &error), -EIO);
	free(error);

	char *after = snapshot(state);
	assert_string_equal(after, before);
	free(after);
	assert_int_equal(ctl_state_revision(state), revision);
	assert_store_matches_model(state);

	/* The store works again: so does the state, from where it was. */
	raw_exec(dir->db, "DROP TRIGGER fail_all");
	expect_delete(state, MODEL_INSTANCE, "acme/blue/web1", 0);
	expect_update(state, MODEL_HOST, "h2", "{\"name\": \"h2\", \"capabilities\": [\"gpu\"]}",
		      0);
	assert_int_equal(ctl_state_revision(state), revision + 2);
	ctl_state_close(state);

	state = open_ok(dir->url);
	assert_null(find(state, MODEL_INSTANCE, "acme/blue/web1"));
	assert_int_equal(ctl_state_revision(state), revision + 2);
	ctl_state_close(state);

	free(before);
}

static void test_open_errors(void **unused)
{
	(void)unused;
	expect_open_refused("nosuch:thing", "nosuch");
	expect_open_refused("sqlite:/proc/no/such/dir/onm.db", "/proc/no/such");
}

static void test_id_normalize(void **unused)
{
	(void)unused;
	static const struct {
		enum model_kind kind;
		const char *in, *out;
	} cases[] = {
	    {MODEL_LINK, "h1/h2", "h1/h2"}, {MODEL_LINK, "h2/h1", "h1/h2"},
	    {MODEL_LINK, "h1/h1", "h1/h1"}, {MODEL_LINK, "h10/h1", "h1/h10"},
	    {MODEL_LINK, "a/b/c", "a/b/c"}, {MODEL_LINK, "h1", "h1"},
	    {MODEL_NETWORK, "b/a", "b/a"},  {MODEL_HOST, "h2", "h2"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *id = ctl_state_id_normalize(cases[i].kind, cases[i].in);
		assert_string_equal(id, cases[i].out);
		free(id);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_id_normalize),
	    cmocka_unit_test(test_apply_demo),
	    cmocka_unit_test(test_apply_demo_file),
	    cmocka_unit_test(test_apply_dry_run),
	    cmocka_unit_test(test_apply_errors),
	    cmocka_unit_test(test_objects),
	    cmocka_unit_test(test_builtin_service_levels),
	    cmocka_unit_test(test_routes),
	    cmocka_unit_test_setup_teardown(test_sqlite_reopen, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_store, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_store_failure, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test(test_open_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
