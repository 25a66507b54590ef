/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the onm client knows about the controller's kinds of objects, and
 * how it shows them: the kind table (REST path, names, id keys, table
 * columns, declared as data), kubectl-like tables with computed column
 * widths, the plan of an apply, stable pretty-printed JSON, and the lookup
 * of a NAME given on the command line among the objects of a list.
 *
 * Everything here is pure: JSON in, text out. No I/O.
 */
#ifndef ONM_CLI_RENDER_H
#define ONM_CLI_RENDER_H

#include "onm/ds.h"
#include "onm/util.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* One column of a kind's table. */
struct render_column {
	const char *header; /* UPPERCASE, e.g. "MIN-BANDWIDTH" */
	/* Appends the cell of 'object' to 'out'; appending nothing shows "-". */
	void (*cell)(const json_t *object, struct ds *out);
};

/* A kind of object the controller serves. */
struct render_kind {
	const char *plural;	/* REST path segment: "service_levels" */
	const char *singular;	/* "service_level" */
	const char *noun;	/* for messages: "service level" */
	bool available;		/* false: belongs to a later part of onm */
	bool sorted_id;		/* id components are sorted (links are undirected) */
	const char *id_keys[3]; /* keys whose values, joined by '/', make the id */
	const struct render_column *columns;
	size_t n_columns;
};

/* Finds the kind named 'name' (plural or singular; '-' may stand for '_').
 * Returns NULL if there is none. */
const struct render_kind *render_kind_find(const char *name);

/* Appends the plural names of all kinds, comma-separated, to 'out'. */
void render_kind_names(struct ds *out);

/* Returns the id of 'object' (an allocated string the caller frees), or NULL
 * if 'object' lacks one of the kind's id keys. */
char *render_object_id(const struct render_kind *kind, const json_t *object);

/* Normalizes a full id typed by the user: for kinds with a sorted id
 * ("h2/h1" for a link), sorts its components. Returns an allocated string. */
char *render_id_normalize(const struct render_kind *kind, const char *name);

/* Looks 'name' up among 'ids' (n of them): an exact id wins; otherwise the
 * one id that ends in "/NAME" (NAME being its last path component, or the
 * last few: "web1" or "blue/web1" of "acme/blue/web1"). Returns 0 and sets
 * '*index';
 * -ENOENT if nothing matches; -EINVAL if 'name' is ambiguous. On error sets
 * '*error' to an allocated one-line message that uses 'noun' and, when
 * ambiguous, lists the candidates. */
int render_resolve_id(const char *noun, const char *const *ids, size_t n, const char *name,
		      size_t *index, char **error) WARN_UNUSED_RESULT;

/* Like render_resolve_id() over the objects of list 'items' (a JSON array)
 * of 'kind'. A link is only found by its full id, in either order ("h2/h1"):
 * one end alone does not name it. */
int render_resolve(const struct render_kind *kind, const json_t *items, const char *name,
		   size_t *index, char **error) WARN_UNUSED_RESULT;

/* A table: UPPERCASE headers, columns aligned with two spaces, widths
 * computed from the content, no trailing blanks. */
struct render_table;

/* Creates a table with 'n_columns' columns named by 'headers' (copied). */
struct render_table *render_table_create(const char *const *headers, size_t n_columns);
/* Adds one row of 'n_columns' cells (copied); a NULL or empty cell is shown
 * as "-". */
void render_table_add_row(struct render_table *table, const char *const *cells);
/* Appends the formatted table, each line ending in '\n', to 'out'. */
void render_table_format(const struct render_table *table, struct ds *out);
/* Frees 'table'. Accepts NULL. */
void render_table_destroy(struct render_table *table);

/* Appends the table of the objects in 'items' (a JSON array) of 'kind' to
 * 'out'; nothing when 'items' is empty. */
void render_list(const struct render_kind *kind, const json_t *items, struct ds *out);

/* Appends the text form of 'plan' (the answer of POST /v1/apply) to 'out':
 * a summary line ("plan: 9 to create, 0 to update, 0 to delete" or "no
 * changes"), one line per change ("  + host h1", "  ~ tenant acme",
 * "  - instance acme/blue/web9 (not in FILE, deleted)"), then "applied at
 * revision N" or "dry run: nothing changed". 'source' is FILE. */
void render_plan(const json_t *plan, const char *source, struct ds *out);

/* Appends 'json' pretty-printed (two-space indent, keys in the server's
 * order, a final newline) to 'out'. */
void render_json(const json_t *json, struct ds *out);

/* Appends what `onm route show` prints for 'doc' (GET /v1/routing/T/N):
 * the network and its effective class, the virtual routing table per
 * router in IOS style (C connected, S static), then the substrate path
 * per host pair with its latency. */
void render_route_show(const json_t *doc, struct ds *out);

/* Appends what `onm trace` prints for 'doc' (GET /v1/trace): one line per
 * logical step, the substrate path with each link's latency, the verdict. */
void render_trace(const json_t *doc, struct ds *out);

#endif /* ONM_CLI_RENDER_H */
