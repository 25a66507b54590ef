// SPDX-License-Identifier: Apache-2.0
/*
 * Documents (see doc.h): YAML through libyaml's event parser and JSON
 * through jansson, both turned into the same small tree of doc_node. The
 * YAML side builds the tree straight from the events so that each node
 * keeps the line and column where it started, and refuses what a topology
 * file has no use for and an attacker would (anchors and aliases, exotic
 * tags, several documents, duplicate keys, deep nesting, node floods).
 */
#include "onm/doc.h"

#include "onm/ds.h"
#include "onm/hmap.h"
#include "quote-private.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Returns 's' quoted for a message (see quote-private.h). Caller frees. */
static char *quote(const char *s)
{
	struct ds ds = DS_EMPTY_INITIALIZER;

	ds_put_quoted(&ds, s);
	return ds_steal_cstr(&ds);
}

static struct doc_node *node_create(enum doc_type type, int line, int column)
{
	struct doc_node *n = xzalloc(sizeof *n);

	n->type = type;
	n->line = line;
	n->column = column;
	return n;
}

/* Frees 'node' and everything below it. NULL is fine. */
void doc_free(struct doc_node *node)
{
	if (!node)
		return;
	for (size_t i = 0; node->pairs && i < node->n; i++) {
		doc_free(node->pairs[i].key);
		doc_free(node->pairs[i].value);
	}
	for (size_t i = 0; node->items && i < node->n; i++)
		doc_free(node->items[i]);
	free(node->pairs);
	free(node->items);
	free(node->scalar);
	free(node);
}

/* Returns the value of 'key' in 'map', or NULL if 'map' is not a map or has
 * no such key. */
const struct doc_node *doc_map_get(const struct doc_node *map, const char *key)
{
	if (!map || map->type != DOC_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++) {
		if (!strcmp(map->pairs[i].key->scalar, key))
			return map->pairs[i].value;
	}
	return NULL;
}

/* "null", "scalar", "map" or "list". */
const char *doc_type_name(enum doc_type type)
{
	switch (type) {
	case DOC_NULL:
		return "null";
	case DOC_SCALAR:
		return "scalar";
	case DOC_MAP:
		return "map";
	case DOC_SEQ:
		return "list";
	}
	return "unknown";
}

static void map_append(struct doc_node *map, size_t *allocated, struct doc_node *key,
		       struct doc_node *value)
{
	map->pairs = xgrow(map->pairs, allocated, map->n + 1, sizeof *map->pairs);
	map->pairs[map->n].key = key;
	map->pairs[map->n].value = value;
	map->n++;
}

static void seq_append(struct doc_node *seq, size_t *allocated, struct doc_node *item)
{
	seq->items = xgrow(seq->items, allocated, seq->n + 1, sizeof *seq->items);
	seq->items[seq->n++] = item;
}

/*
 * YAML.
 */

/* The keys of one map under construction, for duplicate detection in
 * constant time per key (a flat map of a million keys must not take
 * quadratic time). Open addressing over indexes into the map's pairs. */
#define KEY_SET_MIN 16 /* maps with fewer keys are checked by a linear scan */

struct key_set {
	size_t *slots; /* pair index + 1; 0 = empty */
	size_t mask;   /* number of slots - 1 */
	size_t n;      /* keys held */
};

static void key_set_uninit(struct key_set *ks)
{
	free(ks->slots);
}

static void key_set_place(struct key_set *ks, const struct doc_node *map, size_t index)
{
	size_t i = hash_string(map->pairs[index].key->scalar, 0) & ks->mask;

	while (ks->slots[i])
		i = (i + 1) & ks->mask;
	ks->slots[i] = index + 1;
}

/* Adds the key of pair 'index' of 'map'. Returns false if an earlier pair
 * has the same key. */
static bool key_set_add(struct key_set *ks, const struct doc_node *map, size_t index)
{
	const char *key = map->pairs[index].key->scalar;

	/* Most maps are small objects: a scan is cheaper than a hash set. */
	if (index < KEY_SET_MIN) {
		for (size_t i = 0; i < index; i++)
			if (!strcmp(map->pairs[i].key->scalar, key))
				return false;
		return true;
	}
	if ((ks->n + 1) * 2 > ks->mask + 1 || !ks->slots) {
		size_t n_slots = 16;

		while (n_slots < (index + 1) * 4)
			n_slots *= 2;

		free(ks->slots);
		ks->slots = xcalloc(n_slots, sizeof *ks->slots);
		ks->mask = n_slots - 1;
		for (size_t i = 0; i < index; i++)
			key_set_place(ks, map, i);
		ks->n = index;
	}
	for (size_t i = hash_string(key, 0) & ks->mask; ks->slots[i]; i = (i + 1) & ks->mask) {
		if (!strcmp(map->pairs[ks->slots[i] - 1].key->scalar, key))
			return false;
	}
	key_set_place(ks, map, index);
	ks->n++;
	return true;
}

struct yaml_builder {
	yaml_parser_t parser;
	const char *buf;    /* the input, for turning byte offsets into lines */
	const char *source; /* name for messages */
	size_t n_nodes;	    /* nodes created so far */
	char *error;	    /* first error, allocated */
};

static void set_error(struct yaml_builder *b, int line, int column, const char *fmt, ...)
    PRINTF_FORMAT(4, 5);

static void set_error(struct yaml_builder *b, int line, int column, const char *fmt, ...)
{
	va_list args;
	char *msg;

	if (b->error)
		return;
	va_start(args, fmt);
	msg = xvasprintf(fmt, args);
	va_end(args);
	b->error = xasprintf("%s:%d:%d: %s", b->source, line, column, msg);
	free(msg);
}

static int mark_line(const yaml_mark_t *m)
{
	return m->line < INT32_MAX ? (int)m->line + 1 : INT32_MAX;
}

static int mark_column(const yaml_mark_t *m)
{
	return m->column < INT32_MAX ? (int)m->column + 1 : INT32_MAX;
}

/* Turns libyaml's error into our message. */
static void set_parser_error(struct yaml_builder *b)
{
	const yaml_parser_t *p = &b->parser;
	const char *problem = p->problem ? p->problem : "invalid YAML";

	switch (p->error) {
	case YAML_READER_ERROR: {
		/* Reader errors carry a byte offset only. */
		int line = 1, column = 1;

		for (size_t i = 0; i < p->problem_offset && b->buf[i]; i++) {
			if (b->buf[i] == '\n') {
				line++;
				column = 1;
			} else {
				column++;
			}
		}
		if (p->problem_value != -1)
			set_error(b, line, column, "%s (byte 0x%02x)", problem,
				  (unsigned int)p->problem_value & 0xff);
		else
			set_error(b, line, column, "%s", problem);
		break;
	}
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		if (p->context)
			set_error(b, mark_line(&p->problem_mark), mark_column(&p->problem_mark),
				  "%s (%s at line %d, column %d)", problem, p->context,
				  mark_line(&p->context_mark), mark_column(&p->context_mark));
		else
			set_error(b, mark_line(&p->problem_mark), mark_column(&p->problem_mark),
				  "%s", problem);
		break;
	default:
		set_error(b, mark_line(&p->problem_mark), mark_column(&p->problem_mark), "%s",
			  problem);
		break;
	}
}

static bool next_event(struct yaml_builder *b, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&b->parser, ev)) {
		set_parser_error(b);
		return false;
	}
	return true;
}

#define CORE_TAG "tag:yaml.org,2002:"

/* Checks the anchor and tag of a node event; for scalars, says whether an
 * explicit core tag makes it a string (!!str) or null (!!null). */
static bool check_properties(struct yaml_builder *b, const yaml_event_t *ev, bool *is_str,
			     bool *is_null)
{
	const yaml_mark_t *m = &ev->start_mark;
	const char *anchor = NULL, *tag = NULL;
	const char *const *allowed;
	static const char *const scalar_tags[] = {"str", "int", "float", "bool", "null", NULL};
	static const char *const seq_tags[] = {"seq", NULL};
	static const char *const map_tags[] = {"map", NULL};

	*is_str = *is_null = false;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		anchor = (const char *)ev->data.scalar.anchor;
		tag = (const char *)ev->data.scalar.tag;
		allowed = scalar_tags;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = (const char *)ev->data.sequence_start.anchor;
		tag = (const char *)ev->data.sequence_start.tag;
		allowed = seq_tags;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = (const char *)ev->data.mapping_start.anchor;
		tag = (const char *)ev->data.mapping_start.tag;
		allowed = map_tags;
		break;
	default:
		return true;
	}
	if (anchor) {
		set_error(b, mark_line(m), mark_column(m), "anchors are not allowed (&%s)", anchor);
		return false;
	}
	if (!tag)
		return true;
	if (str_has_prefix(tag, CORE_TAG)) {
		for (size_t i = 0; allowed[i]; i++) {
			if (!strcmp(tag + strlen(CORE_TAG), allowed[i])) {
				*is_str = !strcmp(allowed[i], "str");
				*is_null = !strcmp(allowed[i], "null");
				return true;
			}
		}
	}
	char *q = quote(tag);

	set_error(b, mark_line(m), mark_column(m), "tag %s is not allowed here", q);
	free(q);
	return false;
}

/* True for the plain scalars YAML's core schema reads as null. */
static bool is_null_text(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

/* Builds the node that starts with 'ev' (which the caller still deletes),
 * reading further events for collections. 'depth' is 1 for the root. */
static struct doc_node *build_node(struct yaml_builder *b, const yaml_event_t *ev, int depth,
				   bool is_key)
{
	const yaml_mark_t *m = &ev->start_mark;
	struct doc_node *node = NULL;
	size_t allocated = 0;
	struct key_set keys = {NULL, 0, 0};
	bool is_str, is_null;
	yaml_event_t child;

	if (ev->type == YAML_ALIAS_EVENT) {
		set_error(b, mark_line(m), mark_column(m), "aliases are not allowed (*%s)",
			  (const char *)ev->data.alias.anchor);
		return NULL;
	}
	if (!check_properties(b, ev, &is_str, &is_null))
		return NULL;
	if (depth > DOC_MAX_DEPTH) {
		set_error(b, mark_line(m), mark_column(m), "nested deeper than %d levels",
			  DOC_MAX_DEPTH);
		return NULL;
	}
	if (++b->n_nodes > DOC_MAX_NODES) {
		set_error(b, mark_line(m), mark_column(m), "more than %d nodes", DOC_MAX_NODES);
		return NULL;
	}

	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		const char *text = (const char *)ev->data.scalar.value;
		bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;

		if (strlen(text) != ev->data.scalar.length) {
			set_error(b, mark_line(m), mark_column(m),
				  "NUL characters are not allowed");
			return NULL;
		}
		if (is_key) {
			if (is_null && !is_null_text(text)) {
				set_error(b, mark_line(m), mark_column(m), "bad !!null value");
				return NULL;
			}
		} else if (is_null || (plain && !is_str && is_null_text(text))) {
			if (!is_null_text(text)) {
				set_error(b, mark_line(m), mark_column(m), "bad !!null value");
				return NULL;
			}
			return node_create(DOC_NULL, mark_line(m), mark_column(m));
		}
		node = node_create(DOC_SCALAR, mark_line(m), mark_column(m));
		node->scalar = xmemdup0(text, ev->data.scalar.length);
		node->quoted = !plain || is_str;
		return node;
	}

	case YAML_SEQUENCE_START_EVENT:
		if (is_key)
			goto bad_key;
		node = node_create(DOC_SEQ, mark_line(m), mark_column(m));
		for (;;) {
			struct doc_node *item;

			if (!next_event(b, &child))
				goto error;
			if (child.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&child);
				break;
			}
			item = build_node(b, &child, depth + 1, false);
			yaml_event_delete(&child);
			if (!item)
				goto error;
			seq_append(node, &allocated, item);
		}
		return node;

	case YAML_MAPPING_START_EVENT:
		if (is_key)
			goto bad_key;
		node = node_create(DOC_MAP, mark_line(m), mark_column(m));
		for (;;) {
			struct doc_node *key, *value;

			if (!next_event(b, &child))
				goto error;
			if (child.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&child);
				break;
			}
			/* A key nests nothing: it counts at the map's level. */
			key = build_node(b, &child, depth, true);
			yaml_event_delete(&child);
			if (!key)
				goto error;
			map_append(node, &allocated, key, NULL);
			if (!key_set_add(&keys, node, node->n - 1)) {
				char *q = quote(key->scalar);

				set_error(b, key->line, key->column, "duplicate key %s", q);
				free(q);
				goto error;
			}
			if (!next_event(b, &child))
				goto error;
			value = build_node(b, &child, depth + 1, false);
			yaml_event_delete(&child);
			if (!value)
				goto error;
			node->pairs[node->n - 1].value = value;
		}
		key_set_uninit(&keys);
		return node;

	default:
		set_error(b, mark_line(m), mark_column(m), "unexpected YAML event");
		return NULL;
	}

bad_key:
	set_error(b, mark_line(m), mark_column(m), "a key must be a scalar, found a %s",
		  ev->type == YAML_SEQUENCE_START_EVENT ? "list" : "map");
	return NULL;
error:
	key_set_uninit(&keys);
	doc_free(node);
	return NULL;
}

/* Reads the whole stream: at most one document. */
static struct doc_node *build_stream(struct yaml_builder *b)
{
	struct doc_node *root = NULL;
	yaml_event_t ev;

	if (!next_event(b, &ev))
		return NULL;
	/* STREAM-START */
	yaml_event_delete(&ev);
	if (!next_event(b, &ev))
		return NULL;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return node_create(DOC_NULL, 1, 1);
	}
	/* DOCUMENT-START, then the root node, then DOCUMENT-END. */
	yaml_event_delete(&ev);
	if (!next_event(b, &ev))
		return NULL;
	root = build_node(b, &ev, 1, false);
	yaml_event_delete(&ev);
	if (!root)
		return NULL;
	if (!next_event(b, &ev))
		goto error;
	yaml_event_delete(&ev);
	if (!next_event(b, &ev))
		goto error;
	if (ev.type != YAML_STREAM_END_EVENT) {
		set_error(b, mark_line(&ev.start_mark), mark_column(&ev.start_mark),
			  "only one document is allowed");
		yaml_event_delete(&ev);
		goto error;
	}
	yaml_event_delete(&ev);
	return root;

error:
	doc_free(root);
	return NULL;
}

/* Parses 'len' bytes of YAML from 'buf' (see doc.h). */
char *doc_parse_yaml(const char *buf, size_t len, const char *source, struct doc_node **root)
{
	struct yaml_builder b;

	memset(&b, 0, sizeof b);
	*root = NULL;
	if (!yaml_parser_initialize(&b.parser))
		onm_abort("yaml_parser_initialize failed");
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)buf, len);
	b.buf = buf;
	b.source = source;
	*root = build_stream(&b);
	yaml_parser_delete(&b.parser);
	if (!*root && !b.error)
		b.error = xasprintf("%s: invalid YAML", source);
	return b.error;
}

/*
 * JSON.
 */

struct json_builder {
	const char *source;
	size_t n_nodes;
	char *error;
};

/* Shortest "%g" text that reads back as 'v', always with a '.' or an
 * exponent so that a real never passes for an integer. */
static char *format_real(double v)
{
	char buf[64];

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (!strpbrk(buf, ".eEn"))
		strcat(buf, ".0");
	return xstrdup(buf);
}

static struct doc_node *from_json(struct json_builder *b, json_t *j, int depth)
{
	struct doc_node *node;
	size_t allocated = 0;

	if (depth > DOC_MAX_DEPTH) {
		if (!b->error)
			b->error =
			    xasprintf("%s: nested deeper than %d levels", b->source, DOC_MAX_DEPTH);
		return NULL;
	}
	if (++b->n_nodes > DOC_MAX_NODES) {
		if (!b->error)
			b->error = xasprintf("%s: more than %d nodes", b->source, DOC_MAX_NODES);
		return NULL;
	}

	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *value;

		node = node_create(DOC_MAP, 0, 0);
		json_object_foreach(j, key, value)
		{
			struct doc_node *k, *v;

			k = node_create(DOC_SCALAR, 0, 0);
			k->scalar = xstrdup(key);
			k->quoted = true;
			map_append(node, &allocated, k, NULL);
			b->n_nodes++;
			v = from_json(b, value, depth + 1);
			if (!v) {
				doc_free(node);
				return NULL;
			}
			node->pairs[node->n - 1].value = v;
		}
		return node;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *value;

		node = node_create(DOC_SEQ, 0, 0);
		json_array_foreach(j, i, value)
		{
			struct doc_node *v = from_json(b, value, depth + 1);

			if (!v) {
				doc_free(node);
				return NULL;
			}
			seq_append(node, &allocated, v);
		}
		return node;
	}
	case JSON_STRING:
		node = node_create(DOC_SCALAR, 0, 0);
		node->scalar = xmemdup0(json_string_value(j), json_string_length(j));
		node->quoted = true;
		return node;
	case JSON_INTEGER:
		node = node_create(DOC_SCALAR, 0, 0);
		node->scalar = xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(j));
		return node;
	case JSON_REAL:
		node = node_create(DOC_SCALAR, 0, 0);
		node->scalar = format_real(json_real_value(j));
		return node;
	case JSON_TRUE:
	case JSON_FALSE:
		node = node_create(DOC_SCALAR, 0, 0);
		node->scalar = xstrdup(json_is_true(j) ? "true" : "false");
		return node;
	case JSON_NULL:
		return node_create(DOC_NULL, 0, 0);
	}
	return NULL;
}

/* Parses 'len' bytes of JSON from 'buf' (see doc.h). The root must be an
 * object or an array. */
char *doc_parse_json(const char *buf, size_t len, const char *source, struct doc_node **root)
{
	struct json_builder b = {source, 0, NULL};
	json_error_t err;
	json_t *j;

	*root = NULL;
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (!j) {
		/* jansson quotes the input near the error as is: escape it. */
		struct ds text = DS_EMPTY_INITIALIZER;
		char *msg;

		for (const char *p = err.text; *p; p++) {
			unsigned char c = (unsigned char)*p;

			if (c < 0x20 || c > 0x7e)
				ds_put_format(&text, "\\x%02x", c);
			else
				ds_put_char(&text, (char)c);
		}
		if (err.line > 0)
			msg =
			    xasprintf("%s:%d:%d: %s", source, err.line, err.column, ds_cstr(&text));
		else
			msg = xasprintf("%s: %s", source, ds_cstr(&text));
		ds_destroy(&text);
		return msg;
	}
	*root = from_json(&b, j, 1);
	json_decref(j);
	if (!*root && !b.error)
		b.error = xasprintf("%s: invalid JSON", source);
	return b.error;
}
