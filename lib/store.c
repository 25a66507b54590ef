// SPDX-License-Identifier: Apache-2.0
/*
 * The store's generic layer (see store.h and store-provider.h): picks the
 * backend from the URL, buffers transactions and validates them, keeps the
 * store revision, and delivers watch events after each successful commit.
 * Backends live beside it in store-memory.c and store-sqlite.c.
 */
#include "onm/store.h"

#include "store-provider.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A registered watch. */
struct store_watcher {
	uint64_t id;	    /* what store_watch() returned */
	char *prefix;	    /* keys starting with this are reported */
	store_watch_cb *cb; /* NULL once unwatched during a delivery */
	void *aux;	    /* passed to 'cb' */
};

struct store_txn {
	struct store *store;  /* the store it commits to */
	struct store_op *ops; /* buffered operations, in call order */
	size_t n_ops;	      /* used entries of 'ops' */
	size_t allocated_ops; /* allocated entries of 'ops' */
	const char *bad_key;  /* first invalid key seen, or NULL */
};

static const struct store_class *const store_classes[] = {
    &store_sqlite_class,
    &store_memory_class,
};

void store_kv_uninit(struct store_kv *kv)
{
	if (!kv)
		return;
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof *kv);
}

void store_kvs_free(struct store_kv *kvs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_kv_uninit(&kvs[i]);
	free(kvs);
}

void store_init(struct store *store, const struct store_class *class)
{
	store->class = class;
	store->revision = 0;
	store->watchers = NULL;
	store->n_watchers = 0;
	store->allocated_watchers = 0;
	store->next_watch_id = 1;
	store->delivering = false;
	store->fault_op = 0;
}

/* Opens the store named by 'url'. See store.h. */
int store_open(const char *url, struct store **storep, char **error)
{
	*storep = NULL;
	*error = NULL;

	const char *colon = url ? strchr(url, ':') : NULL;
	if (!colon || colon == url) {
		*error = xasprintf("bad store URL '%s': expected sqlite:PATH or memory:",
				   url ? url : "");
		return -EINVAL;
	}

	size_t type_len = (size_t)(colon - url);
	for (size_t i = 0; i < ARRAY_SIZE(store_classes); i++) {
		const struct store_class *class = store_classes[i];
		if (strlen(class->type) != type_len || memcmp(class->type, url, type_len))
			continue;

		struct store *store;
		int retval = class->open(colon + 1, &store, error);
		if (retval) {
			if (!*error)
				*error =
				    xasprintf("%s: cannot open store: %s", url, strerror(-retval));
			return retval;
		}
		*storep = store;
		return 0;
	}

	if (type_len == 4 && !memcmp(url, "etcd", 4)) {
		*error = xasprintf("store '%s': the etcd backend is not part of this build", url);
		return -ENOTSUP;
	}
	*error = xasprintf("bad store URL '%s': unknown type '%.*s' (expected sqlite:PATH or "
			   "memory:)",
			   url, (int)type_len, url);
	return -EINVAL;
}

/* Closes 'store' and drops its watchers. NULL is fine. */
void store_close(struct store *store)
{
	if (!store)
		return;
	for (size_t i = 0; i < store->n_watchers; i++) {
		free(store->watchers[i]->prefix);
		free(store->watchers[i]);
	}
	free(store->watchers);
	store->class->close(store);
}

uint64_t store_revision(const struct store *store)
{
	return store->revision;
}

int store_schema_version(const struct store *store)
{
	return store->class->schema_version(store);
}

/* Reads one key. See store.h. */
int store_get(struct store *store, const char *key, struct store_kv *kv)
{
	memset(kv, 0, sizeof *kv);
	if (!key || !*key)
		return -EINVAL;
	int retval = store->class->get(store, key, kv);
	if (retval)
		store_kv_uninit(kv);
	return retval;
}

/* Reads every key under a prefix, in byte order. See store.h. */
int store_list(struct store *store, const char *prefix, struct store_kv **kvs, size_t *n)
{
	*kvs = NULL;
	*n = 0;
	return store->class->list(store, prefix ? prefix : "", kvs, n);
}

/* Starts a transaction on 'store'. Never fails; the caller ends it with
 * store_txn_commit() or store_txn_abort(). */
struct store_txn *store_txn_begin(struct store *store)
{
	struct store_txn *txn = xzalloc(sizeof *txn);
	txn->store = store;
	return txn;
}

static struct store_op *txn_add(struct store_txn *txn, enum store_op_type type, const char *key)
{
	txn->ops = xgrow(txn->ops, &txn->allocated_ops, txn->n_ops + 1, sizeof *txn->ops);
	struct store_op *op = &txn->ops[txn->n_ops++];
	memset(op, 0, sizeof *op);
	op->type = type;
	if (!key || !*key) {
		/* Reported by store_txn_commit(), which has a return value. */
		if (!txn->bad_key)
			txn->bad_key = "";
		key = "";
	}
	op->key = xstrdup(key);
	return op;
}

/* Buffers a put of 'value_len' bytes at 'value' (copied; NULL is fine when
 * 'value_len' is 0) under 'key'. An empty key makes the commit fail with
 * -EINVAL. */
void store_txn_put(struct store_txn *txn, const char *key, const char *value, size_t value_len)
{
	struct store_op *op = txn_add(txn, STORE_OP_PUT, key);
	op->value = xmemdup0(value ? value : "", value ? value_len : 0);
	op->value_len = value ? value_len : 0;
}

/* Buffers a delete of 'key'. See store.h. */
void store_txn_delete(struct store_txn *txn, const char *key)
{
	txn_add(txn, STORE_OP_DELETE, key);
}

/* Buffers a compare of 'key''s mod_revision. See store.h. */
void store_txn_expect(struct store_txn *txn, const char *key, uint64_t mod_revision)
{
	struct store_op *op = txn_add(txn, STORE_OP_EXPECT, key);
	op->mod_revision = mod_revision;
}

/* Discards 'txn' without applying anything. NULL is fine. */
void store_txn_abort(struct store_txn *txn)
{
	if (!txn)
		return;
	for (size_t i = 0; i < txn->n_ops; i++) {
		free(txn->ops[i].key);
		free(txn->ops[i].value);
	}
	free(txn->ops);
	free(txn);
}

/* Removes the watchers unwatched while events were being delivered. */
static void sweep_watchers(struct store *store)
{
	size_t j = 0;
	for (size_t i = 0; i < store->n_watchers; i++) {
		struct store_watcher *w = store->watchers[i];
		if (w->cb) {
			store->watchers[j++] = w;
		} else {
			free(w->prefix);
			free(w);
		}
	}
	store->n_watchers = j;
}

/* Calls every watcher for every changed op, in op order. Watchers added by
 * a callback see only later commits; watchers removed by a callback are
 * skipped from then on and freed at the end. */
static void deliver_events(struct store *store, const struct store_op *ops, size_t n,
			   uint64_t revision)
{
	size_t n_watchers = store->n_watchers;
	if (!n_watchers)
		return;

	store->delivering = true;
	for (size_t i = 0; i < n; i++) {
		const struct store_op *op = &ops[i];
		if (!op->changed)
			continue;

		struct store_event event = {
		    .type = op->type == STORE_OP_PUT ? STORE_EVENT_PUT : STORE_EVENT_DELETE,
		    .key = op->key,
		    .value = op->type == STORE_OP_PUT ? op->value : NULL,
		    .value_len = op->type == STORE_OP_PUT ? op->value_len : 0,
		    .revision = revision,
		};
		for (size_t k = 0; k < n_watchers; k++) {
			/* Re-read each time: a callback may have grown the array. */
			struct store_watcher *w = store->watchers[k];
			if (w->cb && str_has_prefix(op->key, w->prefix))
				w->cb(&event, w->aux);
		}
	}
	store->delivering = false;
	sweep_watchers(store);
}

/* Applies 'txn' atomically and frees it. See store.h. */
int store_txn_commit(struct store_txn *txn, uint64_t *revision)
{
	struct store *store = txn->store;
	uint64_t new_revision = store->revision;
	int retval = 0;

	if (store->delivering) {
		/* store.h forbids committing from a watch callback: the events
		 * of the outer commit would interleave with this one's. */
		retval = -EDEADLK;
		goto out;
	}
	if (txn->bad_key) {
		retval = -EINVAL;
		goto out;
	}
	if (txn->n_ops) {
		retval = store->class->commit(store, txn->ops, txn->n_ops, &new_revision);
		if (retval)
			goto out;
	}

	store->revision = new_revision;
	if (revision)
		*revision = new_revision;
	deliver_events(store, txn->ops, txn->n_ops, new_revision);

out:
	store->fault_op = 0;
	store_txn_abort(txn);
	return retval;
}

/* Puts one key in its own transaction. See store.h. */
int store_put(struct store *store, const char *key, const char *value, size_t value_len,
	      uint64_t *revision)
{
	struct store_txn *txn = store_txn_begin(store);
	store_txn_put(txn, key, value, value_len);
	return store_txn_commit(txn, revision);
}

/* Deletes one key in its own transaction. See store.h. */
int store_delete(struct store *store, const char *key, uint64_t *revision)
{
	struct store_txn *txn = store_txn_begin(store);
	store_txn_delete(txn, key);
	return store_txn_commit(txn, revision);
}

/* Registers a watch. See store.h. */
uint64_t store_watch(struct store *store, const char *prefix, store_watch_cb *cb, void *aux)
{
	struct store_watcher *w = xmalloc(sizeof *w);
	w->id = store->next_watch_id++;
	w->prefix = xstrdup(prefix ? prefix : "");
	w->cb = cb;
	w->aux = aux;

	store->watchers = xgrow(store->watchers, &store->allocated_watchers, store->n_watchers + 1,
				sizeof *store->watchers);
	store->watchers[store->n_watchers++] = w;
	return w->id;
}

/* Removes the watch 'id' (unknown ids are ignored). Safe from inside a
 * callback: the watcher is not called again. */
void store_unwatch(struct store *store, uint64_t id)
{
	for (size_t i = 0; i < store->n_watchers; i++) {
		struct store_watcher *w = store->watchers[i];
		if (w->id != id || !w->cb)
			continue;
		w->cb = NULL;
		if (!store->delivering)
			sweep_watchers(store);
		return;
	}
}

void store_inject_fault(struct store *store, size_t op_index)
{
	store->fault_op = op_index + 1;
}

bool store_fault_check(struct store *store, size_t op_index)
{
	if (store->fault_op != op_index + 1)
		return false;
	store->fault_op = 0;
	return true;
}

char *store_prefix_successor(const char *prefix)
{
	size_t len = strlen(prefix);
	while (len > 0 && (unsigned char)prefix[len - 1] == 0xff)
		len--;
	if (!len)
		return NULL;
	char *succ = xmemdup0(prefix, len);
	succ[len - 1] = (char)((unsigned char)succ[len - 1] + 1);
	return succ;
}
