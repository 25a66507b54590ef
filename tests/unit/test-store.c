// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the store (lib/store*.c). Every behavioural test runs twice,
 * against "memory:" and against "sqlite:" on a fresh mkdtemp directory
 * (removed at the end), so both backends are held to the same contract:
 * get/put/delete, prefix lists in byte order, revisions, etcd-like
 * compares, atomic commits (including a failure in the middle of one),
 * watch order and filtering, binary values, and a random run checked
 * against a naive model. SQLite-only tests cover persistence, a process
 * killed with SIGKILL, schema versions and migrations, URL options and
 * errors, and real SQLite failures raised by triggers mid-commit.
 */
#include "onm/store.h"
#include "onm/util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
/* cmocka.h needs <stdarg.h>, <stddef.h> and <setjmp.h> first. */
#include <cmocka.h>
/* Private: store_inject_fault(). */
#include "../../lib/store-provider.h"

/* ---- fixture ---------------------------------------------------------- */

struct backend {
	const char *name; /* URL scheme */
	bool sqlite;	  /* durable backend */
};

static const struct backend memory_backend = {"memory", false};
static const struct backend sqlite_backend = {"sqlite", true};

struct fixture {
	const struct backend *backend;
	char *dir;	     /* mkdtemp directory, removed in teardown */
	char *path;	     /* database file (sqlite) */
	char *url;	     /* what store_open() was given */
	struct store *store; /* open store */
};

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tree(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static struct store *open_ok(const char *url)
{
	struct store *store = NULL;
	char *error = NULL;
	int retval = store_open(url, &store, &error);
	if (retval)
		fail_msg("store_open(%s): %d %s", url, retval, error ? error : "(no message)");
	assert_null(error);
	assert_non_null(store);
	return store;
}

static int setup(void **state)
{
	const struct backend *backend = *state;
	struct fixture *f = xzalloc(sizeof *f);
	const char *tmp = getenv("TMPDIR");

	f->backend = backend;
	f->dir = xasprintf("%s/onm-test-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		fail_msg("mkdtemp: %s", strerror(errno));
	if (backend->sqlite) {
		/* "state/" does not exist yet: store_open() creates it. */
		f->path = xasprintf("%s/state/onm.db", f->dir);
		f->url = xasprintf("sqlite:%s", f->path);
	} else {
		f->url = xstrdup("memory:");
	}
	char *error = NULL;
	int retval = store_open(f->url, &f->store, &error);
	if (retval) {
		print_error("store_open(%s): %d %s\n", f->url, retval, error ? error : "");
		free(error);
		remove_tree(f->dir);
		free(f->dir);
		free(f->path);
		free(f->url);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->store);
	remove_tree(f->dir);
	free(f->dir);
	free(f->path);
	free(f->url);
	free(f);
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

static uint64_t put_ok(struct store *store, const char *key, const char *value)
{
	uint64_t revision = 0;
	assert_int_equal(store_put(store, key, value, strlen(value), &revision), 0);
	assert_int_equal(revision, store_revision(store));
	return revision;
}

static void assert_value(struct store *store, const char *key, const char *value,
			 uint64_t create_revision, uint64_t mod_revision)
{
	struct store_kv kv;
	int retval = store_get(store, key, &kv);
	if (retval)
		fail_msg("get %s: %d", key, retval);
	assert_string_equal(kv.key, key);
	assert_int_equal(kv.value_len, strlen(value));
	assert_memory_equal(kv.value, value, kv.value_len + 1);
	if (create_revision)
		assert_int_equal(kv.create_revision, create_revision);
	if (mod_revision)
		assert_int_equal(kv.mod_revision, mod_revision);
	store_kv_uninit(&kv);
}

static void assert_absent(struct store *store, const char *key)
{
	struct store_kv kv;
	assert_int_equal(store_get(store, key, &kv), -ENOENT);
	assert_null(kv.key);
	assert_null(kv.value);
}

/* Asserts that listing 'prefix' yields exactly 'keys' (n of them), in order. */
static void assert_list(struct store *store, const char *prefix, const char *const *keys, size_t n)
{
	struct store_kv *kvs;
	size_t n_kvs;
	assert_int_equal(store_list(store, prefix, &kvs, &n_kvs), 0);
	if (n_kvs != n) {
		for (size_t i = 0; i < n_kvs; i++)
			print_message("  listed '%s'\n", kvs[i].key);
		fail_msg("list '%s': %zu keys, expected %zu", prefix, n_kvs, n);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(kvs[i].key, keys[i]);
	store_kvs_free(kvs, n_kvs);
}

/* A snapshot of the whole store, to show that a failed commit changed
 * nothing. */
struct snapshot {
	struct store_kv *kvs;
	size_t n;
	uint64_t revision;
};

static void snapshot_take(struct store *store, struct snapshot *snap)
{
	assert_int_equal(store_list(store, "", &snap->kvs, &snap->n), 0);
	snap->revision = store_revision(store);
}

static void snapshot_assert_same(struct store *store, const struct snapshot *snap)
{
	struct snapshot now;
	snapshot_take(store, &now);
	assert_int_equal(now.revision, snap->revision);
	assert_int_equal(now.n, snap->n);
	for (size_t i = 0; i < now.n; i++) {
		assert_string_equal(now.kvs[i].key, snap->kvs[i].key);
		assert_int_equal(now.kvs[i].value_len, snap->kvs[i].value_len);
		assert_memory_equal(now.kvs[i].value, snap->kvs[i].value, now.kvs[i].value_len);
		assert_int_equal(now.kvs[i].create_revision, snap->kvs[i].create_revision);
		assert_int_equal(now.kvs[i].mod_revision, snap->kvs[i].mod_revision);
	}
	store_kvs_free(now.kvs, now.n);
}

static void snapshot_free(struct snapshot *snap)
{
	store_kvs_free(snap->kvs, snap->n);
}

/* Records watch events as text lines: "PUT key=value @rev", "DEL key @rev". */
struct recorder {
	char **lines;	  /* recorded events */
	size_t n;	  /* used entries of 'lines' */
	size_t allocated; /* allocated entries of 'lines' */
};

static void recorder_add(struct recorder *r, char *line)
{
	r->lines = xgrow(r->lines, &r->allocated, r->n + 1, sizeof *r->lines);
	r->lines[r->n++] = line;
}

static char *event_format(const struct store_event *ev)
{
	if (ev->type == STORE_EVENT_PUT)
		return xasprintf("PUT %s=%.*s @%llu", ev->key, (int)ev->value_len, ev->value,
				 (unsigned long long)ev->revision);
	assert_null(ev->value);
	return xasprintf("DEL %s @%llu", ev->key, (unsigned long long)ev->revision);
}

static void record_cb(const struct store_event *ev, void *aux)
{
	recorder_add(aux, event_format(ev));
}

static void recorder_assert(struct recorder *r, const char *const *lines, size_t n)
{
	if (r->n != n) {
		for (size_t i = 0; i < r->n; i++)
			print_message("  got '%s'\n", r->lines[i]);
		fail_msg("%zu events, expected %zu", r->n, n);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(r->lines[i], lines[i]);
}

static void recorder_clear(struct recorder *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->lines[i]);
	free(r->lines);
	memset(r, 0, sizeof *r);
}

/* Deterministic PRNG (xorshift64*), so that random tests repeat. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

/* ---- tests for both backends ------------------------------------------ */

static void test_put_get_delete(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->store;
	uint64_t rev = 99;

	assert_int_equal(store_revision(s), 0);
	assert_absent(s, "/onm/hosts/h1");

	assert_int_equal(put_ok(s, "/onm/hosts/h1", "{\"name\":\"h1\"}"), 1);
	assert_value(s, "/onm/hosts/h1", "{\"name\":\"h1\"}", 1, 1);

	assert_int_equal(put_ok(s, "/onm/hosts/h1", "{}"), 2);
	assert_value(s, "/onm/hosts/h1", "{}", 1, 2);

	assert_int_equal(store_delete(s, "/onm/hosts/h1", &rev), 0);
	assert_int_equal(rev, 3);
	assert_absent(s, "/onm/hosts/h1");

	/* Deleting an absent key: success, no new revision. */
	rev = 99;
	assert_int_equal(store_delete(s, "/onm/hosts/h1", &rev), 0);
	assert_int_equal(rev, 3);
	assert_int_equal(store_revision(s), 3);

	/* Empty values, with and without a pointer. */
	assert_int_equal(put_ok(s, "/onm/empty", ""), 4);
	assert_value(s, "/onm/empty", "", 4, 4);
	assert_int_equal(store_put(s, "/onm/null", NULL, 0, NULL), 0);
	assert_value(s, "/onm/null", "", 5, 5);

	/* An empty key is refused and changes nothing. */
	assert_int_equal(store_put(s, "", "x", 1, &rev), -EINVAL);
	assert_int_equal(store_delete(s, "", &rev), -EINVAL);
	assert_int_equal(store_revision(s), 5);
	struct store_kv kv;
	assert_int_equal(store_get(s, "", &kv), -EINVAL);

	/* Abort discards. */
	struct store_txn *txn = store_txn_begin(s);
	store_txn_put(txn, "/onm/aborted", "x", 1);
	store_txn_abort(txn);
	store_txn_abort(NULL);
	assert_absent(s, "/onm/aborted");
	assert_int_equal(store_revision(s), 5);
}

static void test_list_prefix(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->store;
	/* Inserted out of order; includes LIKE's special characters and a
	 * case variant, which a LIKE-based list would get wrong. */
	static const char *const keys[] = {
	    "/onm/ab/1", "/onm/a/2",   "/onm/a",	  "/onm/a/10",	      "/onm/b/1",
	    "/onm/a/1",	 "/onm/ab",    "/onm/a0",	  "/onm/A/x",	      "/onm/a%",
	    "/onm/a_",	 "/onm/a\xff", "/onm/a/\xff\xff", "/onm/a\xff\xff/z", "/onm",
	};
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		put_ok(s, keys[i], keys[i]);

	static const char *const under_a_slash[] = {
	    "/onm/a/1",
	    "/onm/a/10",
	    "/onm/a/2",
	    "/onm/a/\xff\xff",
	};
	assert_list(s, "/onm/a/", under_a_slash, ARRAY_SIZE(under_a_slash));

	static const char *const under_a[] = {
	    "/onm/a",  "/onm/a%", "/onm/a/1", "/onm/a/10", "/onm/a/2",	 "/onm/a/\xff\xff",
	    "/onm/a0", "/onm/a_", "/onm/ab",  "/onm/ab/1", "/onm/a\xff", "/onm/a\xff\xff/z",
	};
	assert_list(s, "/onm/a", under_a, ARRAY_SIZE(under_a));

	static const char *const under_ab_slash[] = {"/onm/ab/1"};
	assert_list(s, "/onm/ab/", under_ab_slash, 1);

	static const char *const under_percent[] = {"/onm/a%"};
	assert_list(s, "/onm/a%", under_percent, 1);
	static const char *const under_underscore[] = {"/onm/a_"};
	assert_list(s, "/onm/a_", under_underscore, 1);
	static const char *const under_upper[] = {"/onm/A/x"};
	assert_list(s, "/onm/A", under_upper, 1);

	/* A prefix ending in 0xff: its successor drops that byte. */
	static const char *const under_ff[] = {"/onm/a\xff", "/onm/a\xff\xff/z"};
	assert_list(s, "/onm/a\xff", under_ff, 2);

	assert_list(s, "/onm/c", NULL, 0);
	assert_list(s, "/onm/a/3", NULL, 0);
	assert_list(s, "\xff", NULL, 0);

	/* The empty prefix lists everything, in byte order. */
	struct store_kv *kvs;
	size_t n;
	assert_int_equal(store_list(s, "", &kvs, &n), 0);
	assert_int_equal(n, ARRAY_SIZE(keys));
	assert_string_equal(kvs[0].key, "/onm");
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(kvs[i - 1].key, kvs[i].key) < 0);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(kvs[i].value, kvs[i].key);
		assert_int_equal(kvs[i].value_len, strlen(kvs[i].key));
	}
	store_kvs_free(kvs, n);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Random keys over a small alphabet (with '/', '%', '_' and 0xff) and
 * random prefixes; every list is checked against filter-and-sort. */
static void test_list_random(void **state)
{
	struct fixture *f = *state;
	static const char alphabet[] = "ab/%_\xff";
	enum { N_KEYS = 300, N_PREFIXES = 300 };
	char *keys[N_KEYS];
	size_t n_keys = 0;

	struct store_txn *txn = store_txn_begin(f->store);
	for (int i = 0; i < N_KEYS; i++) {
		char key[8];
		size_t len = 1 + rng() % 6;
		for (size_t j = 0; j < len; j++)
			key[j] = alphabet[rng() % (sizeof alphabet - 1)];
		key[len] = '\0';
		bool dup = false;
		for (size_t j = 0; j < n_keys; j++)
			dup |= !strcmp(keys[j], key);
		if (dup)
			continue;
		keys[n_keys++] = xstrdup(key);
		store_txn_put(txn, key, key, len);
	}
	uint64_t rev;
	assert_int_equal(store_txn_commit(txn, &rev), 0);
	assert_int_equal(rev, 1);
	qsort(keys, n_keys, sizeof *keys, cmp_str);

	const char **expected = xcalloc(n_keys, sizeof *expected);
	for (int p = 0; p < N_PREFIXES; p++) {
		char prefix[8];
		size_t len = rng() % 5;
		for (size_t j = 0; j < len; j++)
			prefix[j] = alphabet[rng() % (sizeof alphabet - 1)];
		prefix[len] = '\0';

		size_t n = 0;
		for (size_t j = 0; j < n_keys; j++)
			if (str_has_prefix(keys[j], prefix))
				expected[n++] = keys[j];
		assert_list(f->store, prefix, expected, n);
	}
	free(expected);
	for (size_t i = 0; i < n_keys; i++)
		free(keys[i]);
}

static void test_revisions(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->store;
	uint64_t rev;

	assert_int_equal(put_ok(s, "/onm/k/a", "1"), 1);
	assert_int_equal(put_ok(s, "/onm/k/b", "1"), 2);

	/* One commit, one revision, shared by every key it writes. */
	struct store_txn *txn = store_txn_begin(s);
	store_txn_put(txn, "/onm/k/a", "2", 1);
	store_txn_put(txn, "/onm/k/c", "1", 1);
	store_txn_delete(txn, "/onm/k/b");
	assert_int_equal(store_txn_commit(txn, &rev), 0);
	assert_int_equal(rev, 3);
	assert_int_equal(store_revision(s), 3);
	assert_value(s, "/onm/k/a", "2", 1, 3);
	assert_value(s, "/onm/k/c", "1", 3, 3);
	assert_absent(s, "/onm/k/b");

	/* Empty txn: no new revision. */
	rev = 0;
	assert_int_equal(store_txn_commit(store_txn_begin(s), &rev), 0);
	assert_int_equal(rev, 3);
	assert_int_equal(store_txn_commit(store_txn_begin(s), NULL), 0);

	/* Only no-op deletes: no new revision. */
	txn = store_txn_begin(s);
	store_txn_delete(txn, "/onm/k/b");
	store_txn_delete(txn, "/onm/k/zz");
	assert_int_equal(store_txn_commit(txn, &rev), 0);
	assert_int_equal(rev, 3);

	/* Only passing compares: no new revision. */
	txn = store_txn_begin(s);
	store_txn_expect(txn, "/onm/k/a", 3);
	store_txn_expect(txn, "/onm/k/b", 0);
	assert_int_equal(store_txn_commit(txn, &rev), 0);
	assert_int_equal(rev, 3);
	assert_int_equal(store_revision(s), 3);

	/* A put of an equal value still counts. */
	assert_int_equal(put_ok(s, "/onm/k/a", "2"), 4);
	assert_value(s, "/onm/k/a", "2", 1, 4);

	/* A no-op delete beside a real change: one bump. */
	txn = store_txn_begin(s);
	store_txn_delete(txn, "/onm/k/none");
	store_txn_delete(txn, "/onm/k/c");
	assert_int_equal(store_txn_commit(txn, &rev), 0);
	assert_int_equal(rev, 5);

	/* Re-created keys get a new create_revision. */
	assert_int_equal(put_ok(s, "/onm/k/c", "again"), 6);
	assert_value(s, "/onm/k/c", "again", 6, 6);

	/* Put, delete and put again of one key in one txn: applied in order. */
	txn = store_txn_begin(s);
	store_txn_put(txn, "/onm/k/d", "1", 1);
	store_txn_delete(txn, "/onm/k/d");
	store_txn_put(txn, "/onm/k/d", "3", 1);
	store_txn_delete(txn, "/onm/k/a");
	store_txn_put(txn, "/onm/k/a", "x", 1);
	assert_int_equal(store_txn_commit(txn, &rev), 0);
	assert_int_equal(rev, 7);
	assert_value(s, "/onm/k/d", "3", 7, 7);
	assert_value(s, "/onm/k/a", "x", 7, 7);
}

static void test_txn_expect(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->store;
	struct store_txn *txn;
	uint64_t rev = 0;

	uint64_t r1 = put_ok(s, "/onm/x", "1");
	put_ok(s, "/onm/y", "1");

	/* Matching compares: applied. */
	txn = store_txn_begin(s);
	store_txn_expect(txn, "/onm/x", r1);
	store_txn_expect(txn, "/onm/new", 0);
	store_txn_put(txn, "/onm/new", "n", 1);
	assert_int_equal(store_txn_commit(txn, &rev), 0);
	assert_int_equal(rev, 3);
	assert_value(s, "/onm/new", "n", 3, 3);

	struct snapshot snap;
	snapshot_take(s, &snap);
	struct recorder r = {0};
	uint64_t id = store_watch(s, "", record_cb, &r);

	/* Each failing kind of compare cancels the whole txn, wherever it is. */
	const struct {
		const char *key;
		uint64_t mod_revision;
	} failing[] = {
	    {"/onm/x", r1 + 1}, /* wrong revision */
	    {"/onm/x", 0},	/* exists, expected absent */
	    {"/onm/zz", r1},	/* absent, expected present */
	};
	for (size_t i = 0; i < ARRAY_SIZE(failing); i++) {
		txn = store_txn_begin(s);
		store_txn_put(txn, "/onm/p", "p", 1);
		store_txn_delete(txn, "/onm/y");
		store_txn_expect(txn, "/onm/new", 3);
		store_txn_expect(txn, failing[i].key, failing[i].mod_revision);
		store_txn_put(txn, "/onm/q", "q", 1);
		rev = 12345;
		assert_int_equal(store_txn_commit(txn, &rev), -ECANCELED);
		assert_int_equal(rev, 12345);
		snapshot_assert_same(s, &snap);
	}
	recorder_assert(&r, NULL, 0);
	store_unwatch(s, id);
	recorder_clear(&r);
	snapshot_free(&snap);

	/* Compares see the state before the commit, not the txn's own
	 * earlier writes (as etcd's compares do). */
	txn = store_txn_begin(s);
	store_txn_put(txn, "/onm/z", "z", 1);
	store_txn_expect(txn, "/onm/z", 0);
	assert_int_equal(store_txn_commit(txn, &rev), 0);
	assert_int_equal(rev, 4);

	txn = store_txn_begin(s);
	store_txn_delete(txn, "/onm/z");
	store_txn_expect(txn, "/onm/z", 4);
	assert_int_equal(store_txn_commit(txn, &rev), 0);
	assert_int_equal(rev, 5);
	assert_absent(s, "/onm/z");
}

/* A failure injected before each op in turn: nothing is applied, the
 * revision stays, no event is delivered; then the same txn succeeds. */
static void test_txn_atomic_fault(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->store;

	put_ok(s, "/onm/a", "1");
	put_ok(s, "/onm/b", "2");
	put_ok(s, "/onm/e", "5");

	struct snapshot snap;
	snapshot_take(s, &snap);
	struct recorder r = {0};
	store_watch(s, "/onm/", record_cb, &r);

	enum { N_OPS = 6 };
	for (size_t fault = 0; fault < N_OPS; fault++) {
		struct store_txn *txn = store_txn_begin(s);
		store_txn_put(txn, "/onm/a", "10", 2);
		store_txn_delete(txn, "/onm/b");
		store_txn_put(txn, "/onm/c", "3", 1);
		store_txn_expect(txn, "/onm/e", 3);
		store_txn_put(txn, "/onm/b", "20", 2);
		store_txn_delete(txn, "/onm/e");
		store_inject_fault(s, fault);
		uint64_t rev = 777;
		assert_int_equal(store_txn_commit(txn, &rev), -EIO);
		assert_int_equal(rev, 777);
		snapshot_assert_same(s, &snap);
		recorder_assert(&r, NULL, 0);
	}
	snapshot_free(&snap);

	/* A cancelled commit clears the fault too: the next one succeeds. */
	struct store_txn *txn = store_txn_begin(s);
	store_txn_expect(txn, "/onm/a", 99);
	store_txn_put(txn, "/onm/a", "never", 5);
	store_inject_fault(s, 1);
	assert_int_equal(store_txn_commit(txn, NULL), -ECANCELED);

	txn = store_txn_begin(s);
	store_txn_put(txn, "/onm/a", "10", 2);
	store_txn_delete(txn, "/onm/b");
	store_txn_put(txn, "/onm/c", "3", 1);
	store_txn_expect(txn, "/onm/e", 3);
	store_txn_put(txn, "/onm/b", "20", 2);
	store_txn_delete(txn, "/onm/e");
	uint64_t rev;
	assert_int_equal(store_txn_commit(txn, &rev), 0);
	assert_int_equal(rev, 4);
	assert_value(s, "/onm/a", "10", 1, 4);
	assert_value(s, "/onm/b", "20", 4, 4);
	assert_value(s, "/onm/c", "3", 4, 4);
	assert_absent(s, "/onm/e");

	static const char *const events[] = {
	    "PUT /onm/a=10 @4", "DEL /onm/b @4", "PUT /onm/c=3 @4",
	    "PUT /onm/b=20 @4", "DEL /onm/e @4",
	};
	recorder_assert(&r, events, ARRAY_SIZE(events));
	recorder_clear(&r);
}

/* A watcher that removes itself after its first event. */
struct once {
	struct store *store;
	uint64_t id;
	struct recorder r;
};

static void once_cb(const struct store_event *ev, void *aux)
{
	struct once *o = aux;
	recorder_add(&o->r, event_format(ev));
	store_unwatch(o->store, o->id);
}

/* A watcher that checks it runs after the commit: the store already shows
 * the event's state, and committing from here is refused. */
struct checker {
	struct store *store;
	int n;		  /* events seen */
	int commit_error; /* what a commit from the callback returned */
	uint64_t late_id; /* watcher registered from the callback */
	struct recorder late;
};

static void checker_cb(const struct store_event *ev, void *aux)
{
	struct checker *c = aux;
	struct store_kv kv;
	int retval = store_get(c->store, ev->key, &kv);

	c->n++;
	assert_int_equal(store_revision(c->store), ev->revision);
	if (ev->type == STORE_EVENT_PUT) {
		assert_int_equal(retval, 0);
		assert_int_equal(kv.mod_revision, ev->revision);
		store_kv_uninit(&kv);
	} else {
		assert_int_equal(retval, -ENOENT);
	}
	if (c->n == 1) {
		c->commit_error = store_put(c->store, "/onm/from-callback", "x", 1, NULL);
		c->late_id = store_watch(c->store, "/onm/", record_cb, &c->late);
	}
}

static void test_watch(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->store;
	struct recorder all = {0}, a = {0}, b = {0};

	/* First, so that its removal in the middle of a delivery would shift
	 * the others if removal were not deferred. */
	struct once once = {.store = s};
	once.id = store_watch(s, "/onm/", once_cb, &once);

	uint64_t id_all = store_watch(s, "", record_cb, &all);
	uint64_t id_a = store_watch(s, "/onm/a/", record_cb, &a);
	uint64_t id_b = store_watch(s, "/onm/b", record_cb, &b);
	assert_true(id_all > 0 && id_a > 0 && id_b > 0);
	assert_true(id_all != id_a && id_a != id_b && id_all != id_b);

	struct checker checker = {.store = s};
	uint64_t id_checker = store_watch(s, "/onm/", checker_cb, &checker);

	put_ok(s, "/onm/a/1", "one"); /* rev 1 */

	struct store_txn *txn = store_txn_begin(s); /* rev 2 */
	store_txn_put(txn, "/onm/a/2", "two", 3);
	store_txn_put(txn, "/onm/b/1", "b1", 2);
	store_txn_delete(txn, "/onm/a/1");
	store_txn_delete(txn, "/onm/absent");
	store_txn_put(txn, "/onm/ab", "ab", 2);
	store_txn_put(txn, "/other", "o", 1);
	assert_int_equal(store_txn_commit(txn, NULL), 0);

	txn = store_txn_begin(s); /* cancelled: no events */
	store_txn_expect(txn, "/onm/a/2", 1);
	store_txn_put(txn, "/onm/a/3", "three", 5);
	assert_int_equal(store_txn_commit(txn, NULL), -ECANCELED);

	assert_int_equal(store_delete(s, "/onm/nothing", NULL), 0); /* no events */

	store_unwatch(s, id_b);
	store_unwatch(s, id_b);	       /* twice: ignored */
	store_unwatch(s, 424242);      /* unknown: ignored */
	put_ok(s, "/onm/b/2", "b2");   /* rev 3 */
	put_ok(s, "/onm/a/9", "nine"); /* rev 4 */

	static const char *const want_all[] = {
	    "PUT /onm/a/1=one @1", "PUT /onm/a/2=two @2",  "PUT /onm/b/1=b1 @2",
	    "DEL /onm/a/1 @2",	   "PUT /onm/ab=ab @2",	   "PUT /other=o @2",
	    "PUT /onm/b/2=b2 @3",  "PUT /onm/a/9=nine @4",
	};
	recorder_assert(&all, want_all, ARRAY_SIZE(want_all));

	static const char *const want_a[] = {
	    "PUT /onm/a/1=one @1",
	    "PUT /onm/a/2=two @2",
	    "DEL /onm/a/1 @2",
	    "PUT /onm/a/9=nine @4",
	};
	recorder_assert(&a, want_a, ARRAY_SIZE(want_a));

	static const char *const want_b[] = {"PUT /onm/b/1=b1 @2"};
	recorder_assert(&b, want_b, ARRAY_SIZE(want_b));

	static const char *const want_once[] = {"PUT /onm/a/1=one @1"};
	recorder_assert(&once.r, want_once, ARRAY_SIZE(want_once));

	/* The watcher added during commit 1 sees commits 2.. only. */
	assert_int_equal(checker.n, 7);
	assert_int_equal(checker.commit_error, -EDEADLK);
	assert_absent(s, "/onm/from-callback");
	static const char *const want_late[] = {
	    "PUT /onm/a/2=two @2", "PUT /onm/b/1=b1 @2", "DEL /onm/a/1 @2",
	    "PUT /onm/ab=ab @2",   "PUT /onm/b/2=b2 @3", "PUT /onm/a/9=nine @4",
	};
	recorder_assert(&checker.late, want_late, ARRAY_SIZE(want_late));

	/* After unwatching everything, nothing more is recorded. */
	store_unwatch(s, id_all);
	store_unwatch(s, id_a);
	store_unwatch(s, id_checker);
	store_unwatch(s, checker.late_id);
	put_ok(s, "/onm/a/10", "ten");
	assert_int_equal(all.n, ARRAY_SIZE(want_all));
	assert_int_equal(a.n, ARRAY_SIZE(want_a));
	assert_int_equal(checker.late.n, ARRAY_SIZE(want_late));

	/* Watchers still registered at close are dropped without a call. */
	store_watch(s, "", record_cb, &all);

	recorder_clear(&all);
	recorder_clear(&a);
	recorder_clear(&b);
	recorder_clear(&once.r);
	recorder_clear(&checker.late);
}

struct binary_seen {
	size_t n;	  /* events */
	size_t value_len; /* of the last one */
	char value[16];	  /* first bytes of the last one */
};

static void binary_cb(const struct store_event *ev, void *aux)
{
	struct binary_seen *seen = aux;
	seen->n++;
	seen->value_len = ev->value_len;
	memcpy(seen->value, ev->value, ev->value_len < 16 ? ev->value_len : 16);
}

static void test_binary_values(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->store;
	static const char bin[] = {'a', '\0', 'b', '\0', '\xff', '\x01', '\0'};
	struct binary_seen seen = {0};
	struct store_kv kv;

	store_watch(s, "/onm/bin", binary_cb, &seen);
	assert_int_equal(store_put(s, "/onm/bin", bin, sizeof bin, NULL), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.value_len, sizeof bin);
	assert_memory_equal(seen.value, bin, sizeof bin);

	assert_int_equal(store_get(s, "/onm/bin", &kv), 0);
	assert_int_equal(kv.value_len, sizeof bin);
	assert_memory_equal(kv.value, bin, sizeof bin);
	assert_int_equal(kv.value[kv.value_len], '\0');
	store_kv_uninit(&kv);

	/* A large value with every byte value, NULs included. */
	size_t big_len = 1 << 20;
	char *big = xmalloc(big_len);
	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)(rng() & 0xff);
	big[0] = '\0';
	assert_int_equal(store_put(s, "/onm/big", big, big_len, NULL), 0);

	struct store_kv *kvs;
	size_t n;
	assert_int_equal(store_list(s, "/onm/b", &kvs, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(kvs[0].key, "/onm/big");
	assert_int_equal(kvs[0].value_len, big_len);
	assert_memory_equal(kvs[0].value, big, big_len);
	assert_string_equal(kvs[1].key, "/onm/bin");
	assert_int_equal(kvs[1].value_len, sizeof bin);
	assert_memory_equal(kvs[1].value, bin, sizeof bin);
	store_kvs_free(kvs, n);
	free(big);

	/* The SQLite backend keeps them across a reopen. */
	if (f->backend->sqlite) {
		store_close(f->store);
		s = f->store = open_ok(f->url);
		assert_int_equal(store_get(s, "/onm/bin", &kv), 0);
		assert_int_equal(kv.value_len, sizeof bin);
		assert_memory_equal(kv.value, bin, sizeof bin);
		store_kv_uninit(&kv);
	}
}

/* ---- random run against a naive model --------------------------------- */

struct model_kv {
	bool present;
	char value[8];
	size_t value_len;
	uint64_t create_revision;
	uint64_t mod_revision;
};

enum { MODEL_KEYS = 12 };

static void model_key(int i, char *buf, size_t size)
{
	/* Two directories, so that watches with a prefix see a subset. */
	snprintf(buf, size, "/onm/%s/%d", i % 2 ? "odd" : "even", i);
}

static void test_random_vs_model(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->store;
	struct model_kv model[MODEL_KEYS] = {0};
	uint64_t model_rev = 0;
	struct recorder r = {0};
	store_watch(s, "/onm/odd/", record_cb, &r);

	for (int round = 0; round < 300; round++) {
		struct model_kv next[MODEL_KEYS];
		memcpy(next, model, sizeof next);
		struct recorder want = {0};
		bool cancel = false, changed = false;
		uint64_t commit_rev = model_rev + 1;
		struct store_txn *txn = store_txn_begin(s);
		int n_ops = (int)(rng() % 5);

		for (int k = 0; k < n_ops; k++) {
			int i = (int)(rng() % MODEL_KEYS);
			char key[32];
			model_key(i, key, sizeof key);
			switch (rng() % 4) {
			case 0:
			case 1: {
				char value[8];
				int len = snprintf(value, sizeof value, "v%u", rng() % 1000);
				store_txn_put(txn, key, value, (size_t)len);
				if (!next[i].present)
					next[i].create_revision = commit_rev;
				next[i].present = true;
				memcpy(next[i].value, value, (size_t)len + 1);
				next[i].value_len = (size_t)len;
				next[i].mod_revision = commit_rev;
				changed = true;
				if (i % 2)
					recorder_add(&want,
						     xasprintf("PUT %s=%s @%llu", key, value,
							       (unsigned long long)commit_rev));
				break;
			}
			case 2:
				store_txn_delete(txn, key);
				if (next[i].present) {
					next[i].present = false;
					changed = true;
					if (i % 2)
						recorder_add(
						    &want,
						    xasprintf("DEL %s @%llu", key,
							      (unsigned long long)commit_rev));
				}
				break;
			default: {
				/* Mostly the right answer, sometimes a wrong one. */
				uint64_t rev = model[i].present ? model[i].mod_revision : 0;
				if (rng() % 4 == 0)
					rev = rng() % (model_rev + 2);
				store_txn_expect(txn, key, rev);
				uint64_t actual = model[i].present ? model[i].mod_revision : 0;
				cancel |= rev != actual;
				break;
			}
			}
		}

		size_t seen_before = r.n;
		uint64_t rev = 0;
		int retval = store_txn_commit(txn, &rev);
		if (cancel) {
			assert_int_equal(retval, -ECANCELED);
			assert_int_equal(r.n, seen_before);
		} else {
			assert_int_equal(retval, 0);
			memcpy(model, next, sizeof model);
			if (changed)
				model_rev++;
			assert_int_equal(rev, model_rev);
			assert_int_equal(r.n - seen_before, want.n);
			for (size_t e = 0; e < want.n; e++)
				assert_string_equal(r.lines[seen_before + e], want.lines[e]);
		}
		recorder_clear(&want);
		assert_int_equal(store_revision(s), model_rev);

		for (int i = 0; i < MODEL_KEYS; i++) {
			char key[32];
			model_key(i, key, sizeof key);
			if (model[i].present)
				assert_value(s, key, model[i].value, model[i].create_revision,
					     model[i].mod_revision);
			else
				assert_absent(s, key);
		}
	}
	recorder_clear(&r);
}

/* ---- SQLite only ------------------------------------------------------- */

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

static char *raw_query(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	char *text = xstrdup((const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	return text;
}

static void assert_open_fails(const char *url, int expected, const char *needle)
{
	struct store *store = (struct store *)&store; /* must be reset to NULL */
	char *error = NULL;
	int retval = store_open(url, &store, &error);
	assert_int_equal(retval, expected);
	assert_null(store);
	assert_non_null(error);
	if (!strstr(error, needle))
		fail_msg("error for '%s' is '%s', expected it to mention '%s'", url, error, needle);
	free(error);
}

static void test_sqlite_persistence(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->store;

	put_ok(s, "/onm/hosts/h1", "h1");
	put_ok(s, "/onm/hosts/h2", "h2");
	put_ok(s, "/onm/hosts/h1", "h1'");
	struct store_txn *txn = store_txn_begin(s);
	store_txn_delete(txn, "/onm/hosts/h2");
	store_txn_put(txn, "/onm/tenants/acme", "acme", 4);
	assert_int_equal(store_txn_commit(txn, NULL), 0);
	assert_int_equal(store_revision(s), 4);

	struct snapshot snap;
	snapshot_take(s, &snap);
	int version = store_schema_version(s);
	assert_true(version >= 1);

	store_close(s);
	s = f->store = open_ok(f->url);
	snapshot_assert_same(s, &snap);
	assert_int_equal(store_schema_version(s), version);
	assert_value(s, "/onm/hosts/h1", "h1'", 1, 3);
	assert_value(s, "/onm/tenants/acme", "acme", 4, 4);
	assert_absent(s, "/onm/hosts/h2");

	/* Revisions continue where they were. */
	assert_int_equal(put_ok(s, "/onm/hosts/h3", "h3"), 5);
	snapshot_free(&snap);

	/* The directory was created with mode 0700, the file with 0600. */
	struct stat st;
	char *dir = xasprintf("%s/state", f->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(dir);

	/* On disk: WAL mode and the revision in 'meta'. */
	sqlite3 *db = raw_open(f->path);
	char *mode = raw_query(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	char *rev = raw_query(db, "SELECT value FROM meta WHERE name = 'revision'");
	assert_string_equal(rev, "5");
	free(mode);
	free(rev);
	sqlite3_close(db);
}

/* A child process commits in a loop and reports each acknowledged commit
 * on a pipe; it is killed with SIGKILL in the middle. Every commit it
 * reported must be in the database. */
static void test_sqlite_kill9(void **state)
{
	struct fixture *f = *state;
	char *url = xasprintf("sqlite:%s/kill9.db", f->dir);
	int fds[2];
	assert_int_equal(pipe(fds), 0);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		struct store *store;
		char *error;
		if (store_open(url, &store, &error))
			_exit(2);
		for (unsigned int i = 1; i < 100000; i++) {
			char key[32];
			snprintf(key, sizeof key, "/onm/k/%06u", i);
			uint64_t rev;
			if (store_put(store, key, key, strlen(key), &rev) || rev != i)
				_exit(3);
			if (write(fds[1], &i, sizeof i) != sizeof i)
				_exit(4);
		}
		_exit(5);
	}

	close(fds[1]);
	unsigned int acked = 0, value;
	while (acked < 40 && read(fds[0], &value, sizeof value) == sizeof value)
		acked = value;
	assert_int_equal(acked, 40);
	kill(pid, SIGKILL);
	while (read(fds[0], &value, sizeof value) == sizeof value)
		acked = value;
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	struct store *store = open_ok(url);
	assert_true(store_revision(store) >= acked);
	struct store_kv *kvs;
	size_t n;
	assert_int_equal(store_list(store, "/onm/k/", &kvs, &n), 0);
	assert_int_equal(n, store_revision(store));
	for (unsigned int i = 1; i <= acked; i++) {
		char key[32];
		snprintf(key, sizeof key, "/onm/k/%06u", i);
		assert_string_equal(kvs[i - 1].key, key);
		assert_int_equal(kvs[i - 1].mod_revision, i);
	}
	store_kvs_free(kvs, n);
	store_close(store);
	free(url);
}

static void test_sqlite_schema(void **state)
{
	struct fixture *f = *state;
	int version = store_schema_version(f->store);
	put_ok(f->store, "/onm/keep", "me");
	store_close(f->store);
	f->store = NULL;

	/* The version is on disk, and the version-1 tables are there. */
	sqlite3 *db = raw_open(f->path);
	char *text = raw_query(db, "PRAGMA user_version");
	assert_int_equal(atoi(text), version);
	free(text);
	text = raw_query(db, "SELECT group_concat(name, ',') FROM pragma_table_info('kv')");
	assert_string_equal(text, "key,value,create_revision,mod_revision");
	free(text);

	/* A database from a newer onm is refused with a clear message, and
	 * left alone. */
	raw_exec(db, "PRAGMA user_version = 99");
	sqlite3_close(db);
	assert_open_fails(f->url, -EPROTONOSUPPORT, "schema version 99 is newer");

	db = raw_open(f->path);
	text = raw_query(db, "PRAGMA user_version");
	assert_string_equal(text, "99");
	free(text);
	char *sql = xasprintf("PRAGMA user_version = %d", version);
	raw_exec(db, sql);
	free(sql);
	sqlite3_close(db);
	f->store = open_ok(f->url);
	assert_value(f->store, "/onm/keep", "me", 1, 1);

	/* An empty file is migrated to the current version. */
	char *path = xasprintf("%s/empty.db", f->dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	char *url = xasprintf("sqlite:%s", path);
	struct store *s = open_ok(url);
	assert_int_equal(store_schema_version(s), version);
	assert_int_equal(store_revision(s), 0);
	assert_int_equal(put_ok(s, "/onm/x", "x"), 1);
	store_close(s);

	db = raw_open(path);
	text = raw_query(db, "PRAGMA user_version");
	assert_int_equal(atoi(text), version);
	free(text);
	text = raw_query(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('kv', 'meta')");
	assert_string_equal(text, "2");
	free(text);
	sqlite3_close(db);

	/* Opening again does not migrate again (that would fail: the tables
	 * exist) and keeps the data. */
	s = open_ok(url);
	assert_value(s, "/onm/x", "x", 1, 1);
	store_close(s);

	/* A file that is not a database is refused. */
	char *junk = xasprintf("%s/junk.db", f->dir);
	fd = open(junk, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	char garbage[4096];
	memset(garbage, 'j', sizeof garbage);
	assert_int_equal(write(fd, garbage, sizeof garbage), sizeof garbage);
	close(fd);
	char *junk_url = xasprintf("sqlite:%s", junk);
	assert_open_fails(junk_url, -EIO, junk);

	free(junk_url);
	free(junk);
	free(url);
	free(path);
}

static void test_sqlite_urls(void **state)
{
	struct fixture *f = *state;

	assert_open_fails("foo:", -EINVAL, "'foo'");
	assert_open_fails("sqlite:", -EINVAL, "empty path");
	assert_open_fails("sqlite:?sync=normal", -EINVAL, "empty path");
	assert_open_fails("nocolon", -EINVAL, "nocolon");
	assert_open_fails("", -EINVAL, "bad store URL");
	assert_open_fails(":x", -EINVAL, "bad store URL");
	assert_open_fails("memory:something", -EINVAL, "memory:something");
	assert_open_fails("etcd:http://127.0.0.1:2379", -ENOTSUP, "etcd");

	char *url = xasprintf("sqlite:%s/opt.db?sync=fast", f->dir);
	assert_open_fails(url, -EINVAL, "'sync=fast'");
	free(url);

	/* Only one missing directory level is created. */
	url = xasprintf("sqlite:%s/a/b/onm.db", f->dir);
	assert_open_fails(url, -ENOENT, "cannot create directory");
	free(url);

	/* Options: the file name stops before '?'. */
	static const char *const options[] = {"?sync=normal", "?sync=full", ""};
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		char *path = xasprintf("%s/opt%zu.db", f->dir, i);
		url = xasprintf("sqlite:%s%s", path, options[i]);
		struct store *s = open_ok(url);
		assert_int_equal(put_ok(s, "/onm/o", "o"), 1);
		store_close(s);
		s = open_ok(url);
		assert_value(s, "/onm/o", "o", 1, 1);
		store_close(s);

		struct stat st;
		assert_int_equal(stat(path, &st), 0);
		char *with_query = xasprintf("%s%s", path, options[i]);
		if (*options[i])
			assert_int_equal(stat(with_query, &st), -1);
		free(with_query);
		free(url);
		free(path);
	}

	/* A relative path is fine too (directory "." exists). */
	char *cwd = getcwd(NULL, 0);
	assert_int_equal(chdir(f->dir), 0);
	struct store *s = open_ok("sqlite:relative.db");
	store_close(s);
	assert_int_equal(access("relative.db", F_OK), 0);
	assert_int_equal(chdir(cwd), 0);
	free(cwd);
}

/* Real SQLite errors in the middle of a commit (raised by triggers that a
 * second connection installs) roll the whole commit back. */
static void test_sqlite_failure_rollback(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->store;

	put_ok(s, "/onm/a", "1");
	put_ok(s, "/onm/b", "2");
	struct snapshot snap;
	snapshot_take(s, &snap);
	struct recorder r = {0};
	store_watch(s, "", record_cb, &r);

	sqlite3 *db = raw_open(f->path);
	raw_exec(db, "CREATE TRIGGER fail_put BEFORE INSERT ON kv WHEN NEW.key = '/onm/fail'"
		     " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");

	/* Fails on the third op, after a put and a delete were applied. */
	struct store_txn *txn = store_txn_begin(s);
	store_txn_put(txn, "/onm/a", "changed", 7);
	store_txn_delete(txn, "/onm/b");
	store_txn_put(txn, "/onm/fail", "x", 1);
	store_txn_put(txn, "/onm/c", "3", 1);
	int retval = store_txn_commit(txn, NULL);
	assert_true(retval < 0 && retval != -ECANCELED);
	snapshot_assert_same(s, &snap);
	assert_int_equal(r.n, 0);

	/* Fails on the revision bump, after every op was applied. */
	raw_exec(db, "DROP TRIGGER fail_put");
	raw_exec(db, "CREATE TRIGGER fail_rev BEFORE UPDATE ON meta"
		     " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
	txn = store_txn_begin(s);
	store_txn_put(txn, "/onm/a", "changed", 7);
	store_txn_delete(txn, "/onm/b");
	store_txn_put(txn, "/onm/c", "3", 1);
	retval = store_txn_commit(txn, NULL);
	assert_true(retval < 0 && retval != -ECANCELED);
	snapshot_assert_same(s, &snap);
	assert_int_equal(r.n, 0);

	/* A no-op commit does not touch 'meta', so it still succeeds. */
	uint64_t rev = 0;
	assert_int_equal(store_delete(s, "/onm/none", &rev), 0);
	assert_int_equal(rev, snap.revision);

	/* Without the triggers the same store commits again. */
	raw_exec(db, "DROP TRIGGER fail_rev");
	sqlite3_close(db);
	assert_int_equal(put_ok(s, "/onm/c", "3"), snap.revision + 1);
	static const char *const events[] = {"PUT /onm/c=3 @3"};
	recorder_assert(&r, events, 1);
	recorder_clear(&r);
	snapshot_free(&snap);
}

/* ---- main --------------------------------------------------------------- */

#define TEST(fn, backend)                                                                          \
	{                                                                                          \
#fn "/" #backend, fn, setup, teardown, (void *)&backend##_backend                  \
	}
#define BOTH(fn) TEST(fn, memory), TEST(fn, sqlite)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    BOTH(test_put_get_delete),
	    BOTH(test_list_prefix),
	    BOTH(test_list_random),
	    BOTH(test_revisions),
	    BOTH(test_txn_expect),
	    BOTH(test_txn_atomic_fault),
	    BOTH(test_watch),
	    BOTH(test_binary_values),
	    BOTH(test_random_vs_model),
	    TEST(test_sqlite_persistence, sqlite),
	    TEST(test_sqlite_kill9, sqlite),
	    TEST(test_sqlite_schema, sqlite),
	    TEST(test_sqlite_urls, sqlite),
	    TEST(test_sqlite_failure_rollback, sqlite),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
