/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A parsed document (YAML or JSON) as a small tree that remembers where
 * every node came from. The topology loader walks this tree, so one walker
 * serves topology files (YAML), REST bodies (JSON or YAML) and stored
 * objects (JSON), and every error can name line:column (YAML) and the key
 * path (both).
 *
 * YAML is read with libyaml: anchors/aliases, tags other than the core
 * ones, and duplicate keys are errors. JSON is read with jansson (duplicate
 * keys rejected); its nodes have line 0 because jansson keeps no positions,
 * so JSON errors name the key path only. A document has at most
 * DOC_MAX_DEPTH levels and DOC_MAX_NODES nodes (hostile input must not
 * exhaust the stack or memory).
 */
#ifndef ONM_DOC_H
#define ONM_DOC_H

#include "onm/util.h"

#include <stdbool.h>
#include <stddef.h>

#define DOC_MAX_DEPTH 64
#define DOC_MAX_NODES 2000000

enum doc_type {
	DOC_NULL,   /* YAML '~', 'null' or empty; JSON null */
	DOC_SCALAR, /* string, number or boolean, kept as text */
	DOC_MAP,
	DOC_SEQ,
};

struct doc_pair;

struct doc_node {
	enum doc_type type;
	int line;		 /* 1-based; 0 when unknown (JSON) */
	int column;		 /* 1-based; 0 when unknown (JSON) */
	bool quoted;		 /* scalar was a quoted string (YAML) or a JSON string */
	char *scalar;		 /* DOC_SCALAR: the text, NUL-terminated (JSON true -> "true") */
	struct doc_pair *pairs;	 /* DOC_MAP: 'n' pairs in document order */
	struct doc_node **items; /* DOC_SEQ: 'n' items */
	size_t n;
};

struct doc_pair {
	struct doc_node *key; /* always a DOC_SCALAR */
	struct doc_node *value;
};

/* Parse 'len' bytes. On success returns NULL and sets '*root' (caller frees
 * with doc_free). On failure returns "SOURCE:LINE:COLUMN: message" (JSON:
 * jansson's line and column) and sets '*root' to NULL. An empty document is
 * a DOC_NULL root. */
char *doc_parse_yaml(const char *buf, size_t len, const char *source,
		     struct doc_node **root) WARN_UNUSED_RESULT;
char *doc_parse_json(const char *buf, size_t len, const char *source,
		     struct doc_node **root) WARN_UNUSED_RESULT;
void doc_free(struct doc_node *);

/* Map lookup by key; NULL if absent or 'map' is not a map. */
const struct doc_node *doc_map_get(const struct doc_node *map, const char *key);
const char *doc_type_name(enum doc_type);

#endif /* ONM_DOC_H */
