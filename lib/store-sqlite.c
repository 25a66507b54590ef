// SPDX-License-Identifier: Apache-2.0
/*
 * The SQLite store backend ("sqlite:PATH[?sync=normal|full]"), the durable
 * default. One table 'kv' holds the keys (TEXT primary key, so BINARY
 * collation: byte order), their values (BLOB: any bytes) and revisions; a
 * table 'meta' holds the store revision. The database runs in WAL mode with
 * synchronous=FULL by default, so a commit that returned survives a crash
 * of the process and of the machine; "sync=normal" keeps it across process
 * crashes only. The schema is versioned with PRAGMA user_version and
 * brought up to date at open by an ordered list of migration steps, all in
 * one transaction; a database newer than this code is refused. A store
 * commit is one SQLite transaction (BEGIN IMMEDIATE ... COMMIT) holding
 * every operation and the revision bump: on any failure it is rolled back
 * and nothing changes.
 */
#include "store-provider.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_MODULE "store-sqlite"
#include "onm/log.h"

/* How long a statement waits for a lock held by another connection. */
#define BUSY_TIMEOUT_MS 5000

/* Schema migrations: step i brings the database from user_version i to
 * i + 1. Append only; never edit a step that has shipped. */
static const char *const migrations[] = {
    /* 1: the keys and the store revision. */
    "CREATE TABLE kv ("
    "  key TEXT PRIMARY KEY NOT NULL,"
    "  value BLOB NOT NULL,"
    "  create_revision INTEGER NOT NULL,"
    "  mod_revision INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE meta ("
    "  name TEXT PRIMARY KEY NOT NULL,"
    "  value INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "INSERT INTO meta (name, value) VALUES ('revision', 0);",
};

#define SCHEMA_VERSION ((int)ARRAY_SIZE(migrations))

/* Prepared once at open, reused by every call. */
enum stmt_id {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_GET,
	STMT_PUT,
	STMT_DELETE,
	STMT_LIST_RANGE,
	STMT_LIST_FROM,
	STMT_GET_REVISION,
	STMT_SET_REVISION,
	N_STMTS
};

static const char *const stmt_sql[N_STMTS] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_GET] = "SELECT key, value, create_revision, mod_revision FROM kv WHERE key = ?1",
    /* The upsert keeps create_revision of an existing key. */
    [STMT_PUT] = "INSERT INTO kv (key, value, create_revision, mod_revision)"
		 " VALUES (?1, ?2, ?3, ?3)"
		 " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
		 " mod_revision = excluded.mod_revision",
    [STMT_DELETE] = "DELETE FROM kv WHERE key = ?1",
    /* Prefix lists are index ranges [prefix, successor(prefix)), never LIKE
	 * (which is case-insensitive and treats '%' and '_' specially). */
    [STMT_LIST_RANGE] = "SELECT key, value, create_revision, mod_revision FROM kv"
			" WHERE key >= ?1 AND key < ?2 ORDER BY key",
    [STMT_LIST_FROM] = "SELECT key, value, create_revision, mod_revision FROM kv"
		       " WHERE key >= ?1 ORDER BY key",
    [STMT_GET_REVISION] = "SELECT value FROM meta WHERE name = 'revision'",
    [STMT_SET_REVISION] = "UPDATE meta SET value = ?1 WHERE name = 'revision'",
};

struct store_sqlite {
	struct store up;
	sqlite3 *db;		      /* the connection */
	char *path;		      /* database file, for messages */
	int schema_version;	      /* user_version after migrations */
	sqlite3_stmt *stmts[N_STMTS]; /* see stmt_sql */
};

static struct store_sqlite *store_sqlite_cast(const struct store *store)
{
	return CONTAINER_OF(store, struct store_sqlite, up);
}

/* Maps an SQLite result code to a negative errno. */
static int sqlite_errno(sqlite3 *db, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN: {
		int sys = db ? sqlite3_system_errno(db) : 0;
		return sys > 0 ? -sys : -EIO;
	}
	default:
		return -EIO;
	}
}

/* Splits "PATH[?OPT&OPT...]" into an allocated '*pathp' and the
 * synchronous setting. Returns NULL or an allocated message. */
static char *parse_url_path(const char *arg, char **pathp, const char **syncp)
{
	*pathp = NULL;
	*syncp = "FULL";

	const char *query = strchr(arg, '?');
	size_t path_len = query ? (size_t)(query - arg) : strlen(arg);
	if (!path_len)
		return xasprintf("bad store URL 'sqlite:%s': empty path", arg);

	if (query) {
		char *opts = xstrdup(query + 1);
		char *save = NULL;
		for (char *opt = strtok_r(opts, "&", &save); opt;
		     opt = strtok_r(NULL, "&", &save)) {
			if (!strcmp(opt, "sync=normal")) {
				*syncp = "NORMAL";
			} else if (!strcmp(opt, "sync=full")) {
				*syncp = "FULL";
			} else {
				char *msg = xasprintf("bad store URL 'sqlite:%s': unknown option "
						      "'%s' (expected sync=full or sync=normal)",
						      arg, opt);
				free(opts);
				return msg;
			}
		}
		free(opts);
	}
	*pathp = xmemdup0(arg, path_len);
	return NULL;
}

/* Creates the directory that holds 'path' if it is missing (one level,
 * mode 0700) and the file itself (mode 0600: the store holds password
 * hashes; SQLite gives its -wal and -shm files the same mode). */
static int create_file(const char *path, char **error)
{
	char *copy = xstrdup(path);
	const char *dir = dirname(copy);
	struct stat st;
	int retval = 0;

	if (stat(dir, &st)) {
		if (errno != ENOENT || mkdir(dir, 0700)) {
			retval = -errno;
			*error = xasprintf("%s: cannot create directory '%s': %s", path, dir,
					   strerror(errno));
			goto out;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		retval = -ENOTDIR;
		*error = xasprintf("%s: '%s' is not a directory", path, dir);
		goto out;
	}

	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		retval = -errno;
		*error = xasprintf("%s: cannot create: %s", path, strerror(errno));
		goto out;
	}
	close(fd);

out:
	free(copy);
	return retval;
}

/* Runs 'sql' (one or more statements without results). */
static int exec_sql(struct store_sqlite *s, const char *sql, char **error)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		return 0;
	*error = xasprintf("%s: %s", s->path, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return sqlite_errno(s->db, rc);
}

/* Runs a pragma that returns one value and stores it in '*value' as text
 * (allocated) or, if 'value' is NULL, ignores it. */
static int query_pragma(struct store_sqlite *s, const char *sql, char **value, char **error)
{
	sqlite3_stmt *stmt;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			const unsigned char *text = sqlite3_column_text(stmt, 0);
			if (value)
				*value = xstrdup(text ? (const char *)text : "");
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			if (value)
				*value = xstrdup("");
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK) {
		*error = xasprintf("%s: %s: %s", s->path, sql, sqlite3_errmsg(s->db));
		rc = sqlite_errno(s->db, rc);
	}
	sqlite3_finalize(stmt);
	return rc;
}

/* Brings the schema up to SCHEMA_VERSION in one transaction. */
static int migrate(struct store_sqlite *s, char **error)
{
	int retval = exec_sql(s, "BEGIN IMMEDIATE", error);
	if (retval)
		return retval;

	char *text = NULL;
	retval = query_pragma(s, "PRAGMA user_version", &text, error);
	if (retval)
		goto rollback;
	int version = atoi(text);
	free(text);

	if (version > SCHEMA_VERSION) {
		*error = xasprintf("%s: database schema version %d is newer than this onm "
				   "supports (%d); use a newer onm",
				   s->path, version, SCHEMA_VERSION);
		retval = -EPROTONOSUPPORT;
		goto rollback;
	}
	if (version < 0) {
		*error = xasprintf("%s: bad database schema version %d", s->path, version);
		retval = -EIO;
		goto rollback;
	}
	for (int v = version; v < SCHEMA_VERSION; v++) {
		retval = exec_sql(s, migrations[v], error);
		if (retval)
			goto rollback;
	}
	if (version != SCHEMA_VERSION) {
		char *sql = xasprintf("PRAGMA user_version = %d", SCHEMA_VERSION);
		retval = exec_sql(s, sql, error);
		free(sql);
		if (retval)
			goto rollback;
	}

	retval = exec_sql(s, "COMMIT", error);
	if (retval)
		goto rollback;
	if (version && version != SCHEMA_VERSION)
		LOG_INFO("%s: schema migrated from version %d to %d", s->path, version,
			 SCHEMA_VERSION);
	s->schema_version = SCHEMA_VERSION;
	return 0;

rollback:
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return retval;
}

/* Steps a statement and resets it; for statements without results. */
static int step_done(struct store_sqlite *s, enum stmt_id id)
{
	sqlite3_stmt *stmt = s->stmts[id];
	int rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (rc == SQLITE_DONE)
		return 0;
	LOG_RL(LOG_LEVEL_ERR, 10, "%s: %s: %s", s->path, stmt_sql[id], sqlite3_errmsg(s->db));
	return sqlite_errno(s->db, rc);
}

static int read_revision(struct store_sqlite *s, uint64_t *revision)
{
	sqlite3_stmt *stmt = s->stmts[STMT_GET_REVISION];
	int rc = sqlite3_step(stmt);
	int retval = 0;
	if (rc == SQLITE_ROW) {
		*revision = (uint64_t)sqlite3_column_int64(stmt, 0);
	} else if (rc == SQLITE_DONE) {
		LOG_RL(LOG_LEVEL_ERR, 10, "%s: the store revision is missing from table meta",
		       s->path);
		retval = -EIO;
	} else {
		LOG_RL(LOG_LEVEL_ERR, 10, "%s: reading the revision: %s", s->path,
		       sqlite3_errmsg(s->db));
		retval = sqlite_errno(s->db, rc);
	}
	sqlite3_reset(stmt);
	return retval;
}

static void row_to_kv(sqlite3_stmt *stmt, struct store_kv *kv)
{
	const unsigned char *key = sqlite3_column_text(stmt, 0);
	kv->key = xstrdup(key ? (const char *)key : "");
	const void *value = sqlite3_column_blob(stmt, 1);
	size_t len = (size_t)sqlite3_column_bytes(stmt, 1);
	kv->value = xmemdup0(value ? value : "", value ? len : 0);
	kv->value_len = value ? len : 0;
	kv->create_revision = (uint64_t)sqlite3_column_int64(stmt, 2);
	kv->mod_revision = (uint64_t)sqlite3_column_int64(stmt, 3);
}

static void sqlite_close(struct store *store)
{
	struct store_sqlite *s = store_sqlite_cast(store);
	for (int i = 0; i < N_STMTS; i++)
		sqlite3_finalize(s->stmts[i]);
	if (s->db && sqlite3_close(s->db) != SQLITE_OK)
		LOG_ERR("%s: close: %s", s->path, sqlite3_errmsg(s->db));
	free(s->path);
	free(s);
}

static int sqlite_open(const char *arg, struct store **storep, char **error)
{
	const char *sync;
	char *path;
	char *msg = parse_url_path(arg, &path, &sync);
	if (msg) {
		*error = msg;
		return -EINVAL;
	}

	struct store_sqlite *s = xzalloc(sizeof *s);
	store_init(&s->up, &store_sqlite_class);
	s->path = path;

	int retval = create_file(path, error);
	if (retval)
		goto error;

	int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		*error = xasprintf("%s: cannot open database: %s", path,
				   s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		retval = sqlite_errno(s->db, rc);
		goto error;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);

	char *mode = NULL;
	retval = query_pragma(s, "PRAGMA journal_mode = WAL", &mode, error);
	if (retval)
		goto error;
	if (strcmp(mode, "wal")) {
		*error = xasprintf("%s: cannot switch to WAL journal mode (got '%s')", path, mode);
		free(mode);
		retval = -EIO;
		goto error;
	}
	free(mode);

	char *sql = xasprintf("PRAGMA synchronous = %s", sync);
	retval = exec_sql(s, sql, error);
	free(sql);
	if (retval)
		goto error;

	retval = migrate(s, error);
	if (retval)
		goto error;

	for (int i = 0; i < N_STMTS; i++) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&s->stmts[i], NULL);
		if (rc != SQLITE_OK) {
			*error = xasprintf("%s: preparing '%s': %s", path, stmt_sql[i],
					   sqlite3_errmsg(s->db));
			retval = sqlite_errno(s->db, rc);
			goto error;
		}
	}

	retval = read_revision(s, &s->up.revision);
	if (retval) {
		*error = xasprintf("%s: cannot read the store revision: %s", path,
				   sqlite3_errmsg(s->db));
		goto error;
	}

	*storep = &s->up;
	return 0;

error:
	sqlite_close(&s->up);
	return retval;
}

static int sqlite_schema_version(const struct store *store)
{
	return store_sqlite_cast(store)->schema_version;
}

static int sqlite_get(struct store *store, const char *key, struct store_kv *kv)
{
	struct store_sqlite *s = store_sqlite_cast(store);
	sqlite3_stmt *stmt = s->stmts[STMT_GET];
	int retval;

	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		row_to_kv(stmt, kv);
		retval = 0;
	} else if (rc == SQLITE_DONE) {
		retval = -ENOENT;
	} else {
		LOG_RL(LOG_LEVEL_ERR, 10, "%s: get: %s", s->path, sqlite3_errmsg(s->db));
		retval = sqlite_errno(s->db, rc);
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return retval;
}

static int sqlite_list(struct store *store, const char *prefix, struct store_kv **kvsp, size_t *np)
{
	struct store_sqlite *s = store_sqlite_cast(store);
	char *succ = store_prefix_successor(prefix);
	sqlite3_stmt *stmt = s->stmts[succ ? STMT_LIST_RANGE : STMT_LIST_FROM];

	sqlite3_bind_text(stmt, 1, prefix, -1, SQLITE_STATIC);
	if (succ)
		sqlite3_bind_text(stmt, 2, succ, -1, SQLITE_STATIC);

	struct store_kv *kvs = NULL;
	size_t n = 0, allocated = 0;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		kvs = xgrow(kvs, &allocated, n + 1, sizeof *kvs);
		row_to_kv(stmt, &kvs[n++]);
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	free(succ);

	if (rc != SQLITE_DONE) {
		LOG_RL(LOG_LEVEL_ERR, 10, "%s: list: %s", s->path, sqlite3_errmsg(s->db));
		store_kvs_free(kvs, n);
		return sqlite_errno(s->db, rc);
	}
	*kvsp = kvs ? kvs : xcalloc(1, sizeof *kvs);
	*np = n;
	return 0;
}

/* Compares 'op''s key with its expected mod_revision, inside the commit's
 * transaction. Returns 0, -ECANCELED or another negative errno. */
static int check_expect(struct store_sqlite *s, const struct store_op *op)
{
	struct store_kv kv = {0};
	int retval = sqlite_get(&s->up, op->key, &kv);
	if (retval == -ENOENT)
		return op->mod_revision ? -ECANCELED : 0;
	if (retval)
		return retval;
	retval = op->mod_revision == kv.mod_revision ? 0 : -ECANCELED;
	store_kv_uninit(&kv);
	return retval;
}

static int apply_op(struct store_sqlite *s, struct store_op *op, uint64_t revision)
{
	int retval;
	if (op->type == STORE_OP_PUT) {
		sqlite3_stmt *stmt = s->stmts[STMT_PUT];
		sqlite3_bind_text(stmt, 1, op->key, -1, SQLITE_STATIC);
		/* A non-NULL pointer: a zero-length value is an empty BLOB, not NULL. */
		sqlite3_bind_blob(stmt, 2, op->value, (int)op->value_len, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 3, (sqlite3_int64)revision);
		retval = step_done(s, STMT_PUT);
		op->changed = !retval;
	} else {
		sqlite3_bind_text(s->stmts[STMT_DELETE], 1, op->key, -1, SQLITE_STATIC);
		retval = step_done(s, STMT_DELETE);
		op->changed = !retval && sqlite3_changes(s->db) > 0;
	}
	return retval;
}

static int sqlite_commit(struct store *store, struct store_op *ops, size_t n, uint64_t *revision)
{
	struct store_sqlite *s = store_sqlite_cast(store);
	uint64_t current = 0;
	bool changed = false;

	for (size_t i = 0; i < n; i++) {
		ops[i].changed = false;
		if (ops[i].type == STORE_OP_PUT && ops[i].value_len > INT_MAX)
			return -EFBIG;
	}

	int retval = step_done(s, STMT_BEGIN);
	if (retval)
		return retval;

	/* The durable revision, not the cached one: they differ only if
	 * another process wrote to the file, and then this one is right. */
	retval = read_revision(s, &current);
	if (retval)
		goto rollback;

	for (size_t i = 0; i < n; i++) {
		if (ops[i].type == STORE_OP_EXPECT) {
			retval = check_expect(s, &ops[i]);
			if (retval)
				goto rollback;
		}
	}

	uint64_t next = current + 1;
	for (size_t i = 0; i < n; i++) {
		if (store_fault_check(store, i)) {
			retval = -EIO;
			goto rollback;
		}
		if (ops[i].type == STORE_OP_EXPECT)
			continue;
		retval = apply_op(s, &ops[i], next);
		if (retval)
			goto rollback;
		changed |= ops[i].changed;
	}

	if (changed) {
		sqlite3_bind_int64(s->stmts[STMT_SET_REVISION], 1, (sqlite3_int64)next);
		retval = step_done(s, STMT_SET_REVISION);
		if (!retval && sqlite3_changes(s->db) != 1) {
			LOG_RL(LOG_LEVEL_ERR, 10,
			       "%s: the store revision is missing from table meta", s->path);
			retval = -EIO;
		}
		if (retval)
			goto rollback;
	}

	retval = step_done(s, STMT_COMMIT);
	if (retval)
		goto rollback;
	*revision = changed ? next : current;
	return 0;

rollback:
	if (!sqlite3_get_autocommit(s->db) && step_done(s, STMT_ROLLBACK))
		LOG_ERR("%s: rollback failed: %s", s->path, sqlite3_errmsg(s->db));
	for (size_t i = 0; i < n; i++)
		ops[i].changed = false;
	return retval;
}

const struct store_class store_sqlite_class = {
    .type = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .schema_version = sqlite_schema_version,
    .get = sqlite_get,
    .list = sqlite_list,
    .commit = sqlite_commit,
};
