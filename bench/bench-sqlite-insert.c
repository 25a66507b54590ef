// SPDX-License-Identifier: Apache-2.0
/*
 * The anchor of the apply benchmark: a bare SQLite insert of the same rows
 * the controller stored, in one transaction, into a fresh database with the
 * same settings (WAL, synchronous=FULL) and the same table shape. Reads the
 * rows from the controller's database file, so both insert byte-identical
 * keys and values.
 *
 * usage: bench-sqlite-insert SOURCE-DB TARGET-DB
 * Prints "rows=N insert_ms=T".
 */
#include "onm/util.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct row {
	char *key;
	void *value;
	int value_len; /* bytes */
};

static void check(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "bench-sqlite-insert: %s: %s\n", what, sqlite3_errmsg(db));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s SOURCE-DB TARGET-DB\n", argv[0]);
		return 1;
	}
	sqlite3 *src;
	check(NULL, sqlite3_open_v2(argv[1], &src, SQLITE_OPEN_READONLY, NULL), "open source");
	sqlite3_stmt *sel;
	check(src,
	      sqlite3_prepare_v2(src, "SELECT key, value FROM kv ORDER BY key", -1, &sel, NULL),
	      "select");
	struct row *rows = NULL;
	size_t n = 0, allocated = 0;
	while (sqlite3_step(sel) == SQLITE_ROW) {
		rows = xgrow(rows, &allocated, n + 1, sizeof *rows);
		rows[n].key = xstrdup((const char *)sqlite3_column_text(sel, 0));
		rows[n].value_len = sqlite3_column_bytes(sel, 1);
		rows[n].value = xmemdup0(sqlite3_column_blob(sel, 1), (size_t)rows[n].value_len);
		n++;
	}
	sqlite3_finalize(sel);
	sqlite3_close(src);

	unlink(argv[2]);
	sqlite3 *db;
	check(NULL, sqlite3_open(argv[2], &db), "open target");
	check(db,
	      sqlite3_exec(db,
			   "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			   "CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL,"
			   " create_revision INTEGER NOT NULL, mod_revision INTEGER NOT NULL);",
			   NULL, NULL, NULL),
	      "schema");
	sqlite3_stmt *ins;
	check(db, sqlite3_prepare_v2(db, "INSERT INTO kv VALUES (?, ?, 1, 1)", -1, &ins, NULL),
	      "prepare");

	uint64_t start = time_usec();
	check(db, sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), "begin");
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_text(ins, 1, rows[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_blob(ins, 2, rows[i].value, rows[i].value_len, SQLITE_STATIC);
		check(db, sqlite3_step(ins), "insert");
		sqlite3_reset(ins);
	}
	check(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
	uint64_t elapsed = time_usec() - start;

	printf("rows=%zu insert_ms=%.1f\n", n, elapsed / 1e3);
	sqlite3_finalize(ins);
	sqlite3_close(db);
	for (size_t i = 0; i < n; i++) {
		free(rows[i].key);
		free(rows[i].value);
	}
	free(rows);
	return 0;
}
