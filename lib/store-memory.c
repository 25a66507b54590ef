// SPDX-License-Identifier: Apache-2.0
/*
 * The in-memory store backend ("memory:"), for unit tests and for trying
 * things out: the same semantics as the SQLite backend, nothing durable.
 * Keys are kept in a sorted array (byte order, like SQLite's BINARY
 * collation), so a lookup is a binary search and a prefix list is one
 * contiguous run. A commit applies its operations in place and records an
 * undo log; any failure replays the log backwards, so a failed commit
 * leaves the array exactly as it was.
 */
#include "onm/store.h"
#include "store-provider.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct mem_entry {
	char *key;		  /* owned */
	char *value;		  /* owned, NUL-terminated */
	size_t value_len;	  /* bytes of 'value' without the NUL */
	uint64_t create_revision; /* revision of the commit that created the key */
	uint64_t mod_revision;	  /* revision of the last commit that changed it */
};

struct store_memory {
	struct store up;
	struct mem_entry *entries; /* sorted by key, byte order */
	size_t n;		   /* used entries */
	size_t allocated;	   /* allocated entries */
};

/* How to undo one applied operation. */
enum undo_type {
	UNDO_REMOVE,   /* a put created 'key': remove it */
	UNDO_SET,      /* a put replaced a value: put 'old''s value and revisions back */
	UNDO_REINSERT, /* a delete removed 'old': insert it again */
};

struct undo {
	enum undo_type type;
	const char *key;      /* the op's key (the txn outlives the commit) */
	struct mem_entry old; /* UNDO_SET: old value; UNDO_REINSERT: whole entry (owned) */
};

static struct store_memory *store_memory_cast(const struct store *store)
{
	return CONTAINER_OF(store, struct store_memory, up);
}

/* Index of the first entry whose key is >= 'key'; '*found' tells whether it
 * is equal. */
static size_t lower_bound(const struct store_memory *m, const char *key, bool *found)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(m->entries[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (found)
		*found = lo < m->n && !strcmp(m->entries[lo].key, key);
	return lo;
}

static void insert_at(struct store_memory *m, size_t i, const struct mem_entry *entry)
{
	m->entries = xgrow(m->entries, &m->allocated, m->n + 1, sizeof *m->entries);
	memmove(&m->entries[i + 1], &m->entries[i], (m->n - i) * sizeof *m->entries);
	m->entries[i] = *entry;
	m->n++;
}

/* Removes entry 'i' without freeing it. */
static void remove_at(struct store_memory *m, size_t i)
{
	memmove(&m->entries[i], &m->entries[i + 1], (m->n - i - 1) * sizeof *m->entries);
	m->n--;
}

static void entry_free(struct mem_entry *entry)
{
	free(entry->key);
	free(entry->value);
}

static void entry_to_kv(const struct mem_entry *entry, struct store_kv *kv)
{
	kv->key = xstrdup(entry->key);
	kv->value = xmemdup0(entry->value, entry->value_len);
	kv->value_len = entry->value_len;
	kv->create_revision = entry->create_revision;
	kv->mod_revision = entry->mod_revision;
}

static int memory_open(const char *path, struct store **storep, char **error)
{
	if (*path) {
		*error =
		    xasprintf("bad store URL 'memory:%s': the memory store takes no path", path);
		return -EINVAL;
	}
	struct store_memory *m = xzalloc(sizeof *m);
	store_init(&m->up, &store_memory_class);
	*storep = &m->up;
	return 0;
}

static void memory_close(struct store *store)
{
	struct store_memory *m = store_memory_cast(store);
	for (size_t i = 0; i < m->n; i++)
		entry_free(&m->entries[i]);
	free(m->entries);
	free(m);
}

static int memory_schema_version(const struct store *store)
{
	(void)store;
	return 1; /* the shape of the SQLite backend's version 1; nothing is stored */
}

static int memory_get(struct store *store, const char *key, struct store_kv *kv)
{
	struct store_memory *m = store_memory_cast(store);
	bool found;
	size_t i = lower_bound(m, key, &found);
	if (!found)
		return -ENOENT;
	entry_to_kv(&m->entries[i], kv);
	return 0;
}

static int memory_list(struct store *store, const char *prefix, struct store_kv **kvsp, size_t *np)
{
	struct store_memory *m = store_memory_cast(store);
	size_t first = lower_bound(m, prefix, NULL);
	size_t last = first;
	while (last < m->n && str_has_prefix(m->entries[last].key, prefix))
		last++;

	struct store_kv *kvs = xcalloc(last - first, sizeof *kvs);
	for (size_t i = first; i < last; i++)
		entry_to_kv(&m->entries[i], &kvs[i - first]);
	*kvsp = kvs;
	*np = last - first;
	return 0;
}

static bool expect_holds(struct store_memory *m, const struct store_op *op)
{
	bool found;
	size_t i = lower_bound(m, op->key, &found);
	if (!op->mod_revision)
		return !found;
	return found && m->entries[i].mod_revision == op->mod_revision;
}

/* Applies a put or delete at 'revision', recording how to undo it in
 * 'undo' (unless it changed nothing). Returns true if it changed the store. */
static bool apply_op(struct store_memory *m, const struct store_op *op, uint64_t revision,
		     struct undo *undo)
{
	bool found;
	size_t i = lower_bound(m, op->key, &found);

	undo->key = op->key;
	if (op->type == STORE_OP_PUT) {
		if (found) {
			struct mem_entry *entry = &m->entries[i];
			undo->type = UNDO_SET;
			undo->old = *entry;
			undo->old.key = NULL; /* stays in the array */
			entry->value = xmemdup0(op->value, op->value_len);
			entry->value_len = op->value_len;
			entry->mod_revision = revision;
		} else {
			struct mem_entry entry = {
			    .key = xstrdup(op->key),
			    .value = xmemdup0(op->value, op->value_len),
			    .value_len = op->value_len,
			    .create_revision = revision,
			    .mod_revision = revision,
			};
			undo->type = UNDO_REMOVE;
			insert_at(m, i, &entry);
		}
		return true;
	}

	/* STORE_OP_DELETE */
	if (!found)
		return false;
	undo->type = UNDO_REINSERT;
	undo->old = m->entries[i];
	remove_at(m, i);
	return true;
}

static void undo_op(struct store_memory *m, struct undo *undo)
{
	bool found;
	size_t i = lower_bound(m, undo->key, &found);

	switch (undo->type) {
	case UNDO_REMOVE:
		entry_free(&m->entries[i]);
		remove_at(m, i);
		break;
	case UNDO_SET:
		free(m->entries[i].value);
		m->entries[i].value = undo->old.value;
		m->entries[i].value_len = undo->old.value_len;
		m->entries[i].create_revision = undo->old.create_revision;
		m->entries[i].mod_revision = undo->old.mod_revision;
		break;
	case UNDO_REINSERT:
		insert_at(m, i, &undo->old);
		break;
	}
}

/* Frees what an undo record holds once the commit has succeeded. */
static void undo_forget(struct undo *undo)
{
	switch (undo->type) {
	case UNDO_REMOVE:
		break;
	case UNDO_SET:
		free(undo->old.value);
		break;
	case UNDO_REINSERT:
		entry_free(&undo->old);
		break;
	}
}

static int memory_commit(struct store *store, struct store_op *ops, size_t n, uint64_t *revision)
{
	struct store_memory *m = store_memory_cast(store);

	for (size_t i = 0; i < n; i++)
		if (ops[i].type == STORE_OP_EXPECT && !expect_holds(m, &ops[i]))
			return -ECANCELED;

	uint64_t next = store->revision + 1;
	struct undo *undos = xcalloc(n, sizeof *undos);
	size_t n_undos = 0;
	bool changed = false;
	int retval = 0;

	for (size_t i = 0; i < n; i++) {
		struct store_op *op = &ops[i];
		op->changed = false;
		if (store_fault_check(store, i)) {
			retval = -EIO;
			break;
		}
		if (op->type == STORE_OP_EXPECT)
			continue;
		if (apply_op(m, op, next, &undos[n_undos])) {
			n_undos++;
			op->changed = true;
			changed = true;
		}
	}

	if (retval) {
		while (n_undos > 0)
			undo_op(m, &undos[--n_undos]);
		for (size_t i = 0; i < n; i++)
			ops[i].changed = false;
	} else {
		for (size_t i = 0; i < n_undos; i++)
			undo_forget(&undos[i]);
		*revision = changed ? next : store->revision;
	}
	free(undos);
	return retval;
}

const struct store_class store_memory_class = {
    .type = "memory",
    .open = memory_open,
    .close = memory_close,
    .schema_version = memory_schema_version,
    .get = memory_get,
    .list = memory_list,
    .commit = memory_commit,
};
