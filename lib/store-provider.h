/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store's provider interface (after OVS lib/netdev-provider.h): what a
 * backend implements so that lib/store.c can offer it behind store.h.
 *
 * Division of labour. The generic layer (store.c) parses the URL and picks
 * the class, buffers a transaction's operations, validates them, hands the
 * whole batch to the backend's commit(), and after a successful commit
 * delivers the watch events. A backend only stores keys: it reads, lists in
 * byte order, and applies a batch of operations atomically.
 *
 * Revision ownership. 'struct store''s 'revision' is the revision of the
 * last successful commit. A backend sets it at open (from its durable
 * state); afterwards only the generic layer changes it, from the value a
 * successful commit() reports, so that a failed commit leaves it unchanged.
 *
 * Private to lib/: nothing outside the store's own files and its unit test
 * includes this header.
 */
#ifndef ONM_STORE_PROVIDER_H
#define ONM_STORE_PROVIDER_H

#include "onm/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_class;
struct store_watcher;

/* The part of every store that the generic layer owns. A backend embeds it
 * as its first member and gets back to its own struct with CONTAINER_OF. */
struct store {
	const struct store_class *class; /* the backend */
	uint64_t revision;		 /* revision of the last successful commit */

	struct store_watcher **watchers; /* registration order */
	size_t n_watchers;		 /* used entries of 'watchers' */
	size_t allocated_watchers;	 /* allocated entries of 'watchers' */
	uint64_t next_watch_id;		 /* id the next store_watch() returns */
	bool delivering;		 /* inside a watch callback */

	size_t fault_op; /* test hook: 1-based op at which the next commit fails, 0 none */
};

enum store_op_type {
	STORE_OP_PUT,	 /* set 'key' to 'value' */
	STORE_OP_DELETE, /* remove 'key' if present */
	STORE_OP_EXPECT, /* compare: 'key' last modified at 'mod_revision' (0: absent) */
};

/* One buffered operation of a transaction. */
struct store_op {
	enum store_op_type type;
	char *key;	       /* owned by the txn */
	char *value;	       /* PUT: owned by the txn, NUL-terminated; else NULL */
	size_t value_len;      /* PUT: bytes of 'value' without the NUL */
	uint64_t mod_revision; /* EXPECT: the revision compared with */
	bool changed;	       /* set by commit(): this op changed the store (an event) */
};

/* A backend. Every function returns 0 or a negative errno unless said
 * otherwise. */
struct store_class {
	/* The URL scheme, e.g. "sqlite" for "sqlite:PATH". */
	const char *type;

	/* Opens the store named by 'path' (the URL after "TYPE:"). On success
	 * returns 0 and sets '*storep' to a store initialized with
	 * store_init() and whose 'revision' is set; on failure returns a negative
	 * errno and sets '*error' to an allocated one-line message that names
	 * 'path'. */
	int (*open)(const char *path, struct store **storep, char **error);

	/* Frees the store (never NULL). */
	void (*close)(struct store *);

	/* Version of the backend's stored format. */
	int (*schema_version)(const struct store *);

	/* As store_get(): fills 'kv' (owned by the caller) or -ENOENT. */
	int (*get)(struct store *, const char *key, struct store_kv *kv);

	/* As store_list(): every key starting with 'prefix', in byte order. */
	int (*list)(struct store *, const char *prefix, struct store_kv **kvs, size_t *n);

	/* Applies 'ops' (n >= 1) atomically:
	 *
	 *  1. Every STORE_OP_EXPECT is compared with the state before the
	 *     commit; if any fails, returns -ECANCELED.
	 *  2. PUT and DELETE ops are applied in order. A PUT always changes the
	 *     store; a DELETE changes it only if the key exists at that point.
	 *     The backend sets 'changed' on each op.
	 *  3. If at least one op changed the store, the commit's revision is
	 *     the previous store revision + 1: it becomes the mod_revision of
	 *     every key written (and the create_revision of keys created), and
	 *     the store's revision, durably, with the changes.
	 *
	 * Returns 0 and sets '*revision' to the store revision after the
	 * commit (unchanged if nothing changed). On any failure nothing is
	 * applied and the durable state is as before. Must honour
	 * store_fault_check() before applying each PUT or DELETE. */
	int (*commit)(struct store *, struct store_op *ops, size_t n, uint64_t *revision);
};

extern const struct store_class store_memory_class;
extern const struct store_class store_sqlite_class;

/* Initializes the generic part of a store a backend has just created. */
void store_init(struct store *, const struct store_class *);

/* Test hook (fault injection): makes the next commit of 'store' fail with
 * -EIO just before it applies operation 'op_index' (0-based, counting
 * every op of the txn, expects included), after applying the ops before
 * it — so that tests can show that a failure in the middle of a commit
 * applies nothing. Cleared by the next commit, whether or not it reached
 * that op. */
void store_inject_fault(struct store *, size_t op_index);

/* For backends: true (and the fault is cleared) if a fault was injected
 * at op 'op_index' of the commit in progress. */
bool store_fault_check(struct store *, size_t op_index);

/* The smallest string greater than every string with prefix 'prefix'
 * (increments the last byte below 0xff after dropping trailing 0xff bytes).
 * Returns an allocated string, or NULL if there is none ('prefix' empty or
 * all 0xff): then the range has no upper bound. */
char *store_prefix_successor(const char *prefix);

#endif /* ONM_STORE_PROVIDER_H */
