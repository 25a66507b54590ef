/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store: a durable, revisioned key-value space holding the model, with
 * the shape of etcd's v3 API so that an etcd backend drops in beside the
 * SQLite one. Keys are paths ("/onm/tenants/acme"), values are bytes (the
 * model stores canonical JSON).
 *
 * Revisions: the store has one revision counter. Every committed
 * transaction that changes something increments it by one; each key
 * remembers the revision that created it and the one that last modified it.
 * A read-only or empty transaction does not change the revision.
 *
 * Transactions: operations are buffered in the transaction and applied
 * all-or-nothing at commit, in order. When store_txn_commit() returns 0 the
 * change is durable (it survives a crash of the process: SQLite WAL with
 * synchronous=FULL by default).
 *
 * Watches: a watcher registered on a key prefix is called after each
 * commit, once per changed key under its prefix, in commit order and, within
 * a commit, in operation order. Callbacks run on the committing thread,
 * after the commit is durable; they must not commit to the same store.
 *
 * Backends are providers (store-provider.h): "sqlite:PATH" (durable,
 * default), "memory:" (unit tests; lost at close). Thread-safety: a store is
 * used by one thread.
 */
#ifndef ONM_STORE_H
#define ONM_STORE_H

#include "onm/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_txn;

/* One key and its value as read. 'key' and 'value' are owned by whoever
 * filled the struct (free with store_kv_uninit). 'value' is NUL-terminated
 * for convenience; 'value_len' excludes the NUL. */
struct store_kv {
	char *key;
	char *value;
	size_t value_len;
	uint64_t create_revision; /* revision of the commit that created the key */
	uint64_t mod_revision;	  /* revision of the last commit that changed it */
};

void store_kv_uninit(struct store_kv *);

enum store_event_type { STORE_EVENT_PUT, STORE_EVENT_DELETE };

struct store_event {
	enum store_event_type type;
	const char *key;
	const char *value; /* NULL for deletes */
	size_t value_len;
	uint64_t revision; /* the commit's revision */
};

typedef void store_watch_cb(const struct store_event *, void *aux);

/* Opens "sqlite:PATH" (creating the file and its directory's schema; PATH
 * may end in "?sync=normal" to trade durability for speed) or "memory:".
 * Returns 0 and sets '*store', or a negative errno and sets '*error' to an
 * allocated message. */
int store_open(const char *url, struct store **store, char **error) WARN_UNUSED_RESULT;
/* Closes the store (NULL is fine). Pending watchers are dropped. */
void store_close(struct store *);

/* The revision of the last commit (0 for a new store). */
uint64_t store_revision(const struct store *);
/* Schema version of the backend's format (after migrations). */
int store_schema_version(const struct store *);

/* Reads 'key'. Returns 0 and fills 'kv', -ENOENT if absent, or another
 * negative errno on failure. */
int store_get(struct store *, const char *key, struct store_kv *kv) WARN_UNUSED_RESULT;

/* Reads every key starting with 'prefix', in byte order of the key.
 * Returns 0 and an allocated array of '*n' entries in '*kvs' (free with
 * store_kvs_free), or a negative errno. */
int store_list(struct store *, const char *prefix, struct store_kv **kvs,
	       size_t *n) WARN_UNUSED_RESULT;
void store_kvs_free(struct store_kv *kvs, size_t n);

struct store_txn *store_txn_begin(struct store *);
/* Buffers a put (copies key and value). */
void store_txn_put(struct store_txn *, const char *key, const char *value, size_t value_len);
/* Buffers a delete; deleting an absent key is not an error and is not an event. */
void store_txn_delete(struct store_txn *, const char *key);
/* Makes the commit fail with -ECANCELED unless 'key' was last modified at
 * 'mod_revision' (0: unless the key is absent). Like etcd's compare. */
void store_txn_expect(struct store_txn *, const char *key, uint64_t mod_revision);
/* Applies every buffered operation atomically and frees the txn. Returns 0
 * and sets '*revision' (if not NULL) to the new revision — unchanged if
 * nothing changed — or a negative errno with nothing applied. A put of a
 * value equal to the current one still counts as a change. */
int store_txn_commit(struct store_txn *, uint64_t *revision) WARN_UNUSED_RESULT;
/* Discards the txn (NULL is fine). */
void store_txn_abort(struct store_txn *);

/* Single-operation transactions. */
int store_put(struct store *, const char *key, const char *value, size_t value_len,
	      uint64_t *revision) WARN_UNUSED_RESULT;
int store_delete(struct store *, const char *key, uint64_t *revision) WARN_UNUSED_RESULT;

/* Registers 'cb' for keys under 'prefix'. Returns a watch id (> 0). */
uint64_t store_watch(struct store *, const char *prefix, store_watch_cb *cb, void *aux);
void store_unwatch(struct store *, uint64_t id);

#endif /* ONM_STORE_H */
