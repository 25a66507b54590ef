// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of lib/doc.c: the node tree built from YAML (positions,
 * null and quoting rules) and from JSON (numbers as text, booleans), and
 * each refusal with its exact message and line:column.
 */
/* cmocka.h needs these before it. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "onm/doc.h"
#include "onm/ds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct doc_node *yaml_ok(const char *text)
{
	struct doc_node *root = NULL;
	char *err = doc_parse_yaml(text, strlen(text), "t.yaml", &root);

	if (err)
		fail_msg("unexpected error: %s", err);
	assert_non_null(root);
	return root;
}

static void yaml_fails(const char *text, const char *expected)
{
	struct doc_node *root = (struct doc_node *)1;
	char *err = doc_parse_yaml(text, strlen(text), "t.yaml", &root);

	if (!err)
		fail_msg("accepted: %s", text);
	assert_string_equal(err, expected);
	assert_null(root);
	free(err);
}

static struct doc_node *json_ok(const char *text)
{
	struct doc_node *root = NULL;
	char *err = doc_parse_json(text, strlen(text), "body", &root);

	if (err)
		fail_msg("unexpected error: %s", err);
	assert_non_null(root);
	return root;
}

static void json_fails(const char *text, const char *expected)
{
	struct doc_node *root = (struct doc_node *)1;
	char *err = doc_parse_json(text, strlen(text), "body", &root);

	if (!err)
		fail_msg("accepted: %s", text);
	assert_string_equal(err, expected);
	assert_null(root);
	free(err);
}

static void assert_pos(const struct doc_node *n, int line, int column)
{
	assert_non_null(n);
	assert_int_equal(n->line, line);
	assert_int_equal(n->column, column);
}

static void test_yaml_positions(void **state)
{
	const char *text = "substrate:\n"
			   "  hosts:\n"
			   "    - {name: h1}\n"
			   "    - name: h2\n"
			   "      capabilities: [a, \"b\"]\n"
			   "tenants: []\n";
	struct doc_node *root = yaml_ok(text);
	const struct doc_node *sub, *hosts, *h1, *h2, *caps;

	assert_int_equal(root->type, DOC_MAP);
	assert_pos(root, 1, 1);
	assert_int_equal(root->n, 2);
	assert_string_equal(root->pairs[0].key->scalar, "substrate");
	assert_pos(root->pairs[0].key, 1, 1);
	assert_string_equal(root->pairs[1].key->scalar, "tenants");
	assert_pos(root->pairs[1].key, 6, 1);

	sub = doc_map_get(root, "substrate");
	assert_int_equal(sub->type, DOC_MAP);
	assert_pos(sub, 2, 3);
	hosts = doc_map_get(sub, "hosts");
	assert_int_equal(hosts->type, DOC_SEQ);
	assert_int_equal(hosts->n, 2);
	assert_pos(hosts, 3, 5);

	h1 = hosts->items[0];
	assert_int_equal(h1->type, DOC_MAP);
	assert_pos(h1, 3, 7);
	assert_pos(h1->pairs[0].key, 3, 8);
	assert_pos(doc_map_get(h1, "name"), 3, 14);
	assert_string_equal(doc_map_get(h1, "name")->scalar, "h1");

	h2 = hosts->items[1];
	assert_pos(h2, 4, 7);
	assert_pos(doc_map_get(h2, "name"), 4, 13);
	caps = doc_map_get(h2, "capabilities");
	assert_int_equal(caps->type, DOC_SEQ);
	assert_pos(caps, 5, 21);
	assert_pos(caps->items[0], 5, 22);
	assert_false(caps->items[0]->quoted);
	assert_pos(caps->items[1], 5, 25);
	assert_true(caps->items[1]->quoted);
	assert_string_equal(caps->items[1]->scalar, "b");

	assert_int_equal(doc_map_get(root, "tenants")->type, DOC_SEQ);
	assert_int_equal(doc_map_get(root, "tenants")->n, 0);
	assert_null(doc_map_get(root, "nothing"));
	assert_null(doc_map_get(caps, "a"));
	doc_free(root);
}

static void test_yaml_scalars(void **state)
{
	const char *text = "a: ~\n"
			   "b: null\n"
			   "c:\n"
			   "d: ''\n"
			   "e: 'null'\n"
			   "f: true\n"
			   "g: 10\n"
			   "h: \"x y\"\n"
			   "i: NULL\n"
			   "j: !!str ~\n"
			   "k: |\n"
			   "  line\n"
			   "~: key\n";
	struct doc_node *root = yaml_ok(text);
	const struct doc_node *n;

	assert_int_equal(doc_map_get(root, "a")->type, DOC_NULL);
	assert_int_equal(doc_map_get(root, "b")->type, DOC_NULL);
	n = doc_map_get(root, "c");
	assert_int_equal(n->type, DOC_NULL);
	assert_pos(n, 3, 3);
	n = doc_map_get(root, "d");
	assert_int_equal(n->type, DOC_SCALAR);
	assert_string_equal(n->scalar, "");
	assert_true(n->quoted);
	n = doc_map_get(root, "e");
	assert_int_equal(n->type, DOC_SCALAR);
	assert_string_equal(n->scalar, "null");
	n = doc_map_get(root, "f");
	assert_int_equal(n->type, DOC_SCALAR);
	assert_string_equal(n->scalar, "true");
	assert_false(n->quoted);
	assert_string_equal(doc_map_get(root, "g")->scalar, "10");
	assert_false(doc_map_get(root, "g")->quoted);
	assert_string_equal(doc_map_get(root, "h")->scalar, "x y");
	assert_int_equal(doc_map_get(root, "i")->type, DOC_NULL);
	n = doc_map_get(root, "j");
	assert_int_equal(n->type, DOC_SCALAR);
	assert_string_equal(n->scalar, "~");
	assert_true(n->quoted);
	assert_string_equal(doc_map_get(root, "k")->scalar, "line\n");
	/* A key is always a scalar, even one that reads as null. */
	n = doc_map_get(root, "~");
	assert_non_null(n);
	assert_string_equal(n->scalar, "key");
	doc_free(root);
}

static void test_yaml_empty(void **state)
{
	static const char *const empties[] = {"", "\n", "# comment only\n", "---\n", "~\n"};

	for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
		struct doc_node *root = yaml_ok(empties[i]);

		assert_int_equal(root->type, DOC_NULL);
		doc_free(root);
	}
}

static void test_yaml_errors(void **state)
{
	yaml_fails("a: [1, 2\n", "t.yaml:2:1: did not find expected ',' or ']' (while parsing a "
				 "flow sequence at line 1, column 4)");
	yaml_fails("a: b: c\n", "t.yaml:1:5: mapping values are not allowed in this context");
	yaml_fails("a:\n  - x\n  y: 1\n", "t.yaml:3:3: did not find expected '-' indicator "
					  "(while parsing a block collection at line 2, column 3)");
	yaml_fails("a: 1\nb: 2\na: 3\n", "t.yaml:3:1: duplicate key \"a\"");
	yaml_fails("x:\n  - {name: h1, name: h2}\n", "t.yaml:2:16: duplicate key \"name\"");
	yaml_fails("a: &x 1\nb: *x\n", "t.yaml:1:4: anchors are not allowed (&x)");
	yaml_fails("a: 1\nb: *x\n", "t.yaml:2:4: aliases are not allowed (*x)");
	yaml_fails("? [a]\n: 1\n", "t.yaml:1:3: a key must be a scalar, found a list");
	yaml_fails("? {a: 1}\n: 1\n", "t.yaml:1:3: a key must be a scalar, found a map");
	yaml_fails("a: !foo x\n", "t.yaml:1:4: tag \"!foo\" is not allowed here");
	yaml_fails("a: !!str [x]\n",
		   "t.yaml:1:4: tag \"tag:yaml.org,2002:str\" is not allowed here");
	yaml_fails("a: \"x\\0y\"\n", "t.yaml:1:4: NUL characters are not allowed");
	yaml_fails("a: 1\n---\nb: 2\n", "t.yaml:2:1: only one document is allowed");
	yaml_fails("a: \"\x01\"\n", "t.yaml:1:5: control characters are not allowed (byte 0x01)");
	yaml_fails("a: \xff\n", "t.yaml:1:4: invalid leading UTF-8 octet (byte 0xff)");
}

/* Builds "[" x depth then "]" x depth. */
static char *nested(int depth, char open, char close)
{
	char *s = malloc((size_t)depth * 2 + 1);

	memset(s, open, (size_t)depth);
	memset(s + depth, close, (size_t)depth);
	s[depth * 2] = '\0';
	return s;
}

static void test_depth(void **state)
{
	char *ok = nested(DOC_MAX_DEPTH, '[', ']');
	char *deep = nested(DOC_MAX_DEPTH + 1, '[', ']');
	struct doc_node *root, *n;
	int depth = 1;

	root = yaml_ok(ok);
	for (n = root; n->n; n = n->items[0])
		depth++;
	assert_int_equal(depth, DOC_MAX_DEPTH);
	doc_free(root);
	yaml_fails(deep, "t.yaml:1:65: nested deeper than 64 levels");

	root = json_ok(ok);
	doc_free(root);
	json_fails(deep, "body: nested deeper than 64 levels");
	free(ok);
	free(deep);

	/* Maps count as levels too: 65 nested {a: ...}. */
	struct ds ds = DS_EMPTY_INITIALIZER;
	for (int i = 0; i < DOC_MAX_DEPTH; i++)
		ds_put_cstr(&ds, "{a: ");
	ds_put_cstr(&ds, "1");
	for (int i = 0; i < DOC_MAX_DEPTH; i++)
		ds_put_cstr(&ds, "}");
	/* 64 maps plus the scalar: the scalar is level 65. */
	yaml_fails(ds_cstr(&ds), "t.yaml:1:257: nested deeper than 64 levels");
	ds_destroy(&ds);
}

/* A flat map with many keys: duplicates are still found, at the right line. */
static void test_many_keys(void **state)
{
	struct ds ds = DS_EMPTY_INITIALIZER;
	struct doc_node *root;

	for (int i = 0; i < 5000; i++)
		ds_put_format(&ds, "k%d: %d\n", i, i);
	root = yaml_ok(ds_cstr(&ds));
	assert_int_equal(root->n, 5000);
	assert_string_equal(doc_map_get(root, "k4321")->scalar, "4321");
	assert_pos(doc_map_get(root, "k4321"), 4322, 8);
	doc_free(root);

	ds_put_cstr(&ds, "k17: again\n");
	yaml_fails(ds_cstr(&ds), "t.yaml:5001:1: duplicate key \"k17\"");
	ds_destroy(&ds);

	/* Small maps are scanned, larger ones hashed: a key of the scanned
	 * part repeated in the hashed part, and around the switch. */
	for (int dup = 0; dup < 40; dup++) {
		for (int i = 0; i < 30; i++)
			ds_put_format(&ds, "k%d: %d\n", i, i);
		ds_put_format(&ds, "k%d: again\n", dup % 30);
		char *want = xasprintf("t.yaml:31:1: duplicate key \"k%d\"", dup % 30);
		yaml_fails(ds_cstr(&ds), want);
		free(want);
		ds_clear(&ds);
		for (int i = 0; i <= dup; i++)
			ds_put_format(&ds, "k%d: %d\n", i, i);
		ds_put_format(&ds, "k%d: again\n", dup);
		want = xasprintf("t.yaml:%d:1: duplicate key \"k%d\"", dup + 2, dup);
		yaml_fails(ds_cstr(&ds), want);
		free(want);
		ds_clear(&ds);
	}
	ds_destroy(&ds);
}

static void test_json(void **state)
{
	struct doc_node *root =
	    json_ok("{\"s\": \"text\", \"i\": 10, \"neg\": -3, \"r\": 1.5, \"r1\": 1.0, "
		    "\"big\": 1e300, \"t\": true, \"f\": false, \"n\": null, "
		    "\"l\": [1, \"1\"], \"m\": {}}");
	const struct doc_node *n;

	assert_int_equal(root->type, DOC_MAP);
	assert_pos(root, 0, 0);
	assert_int_equal(root->n, 11);
	/* Document order is kept. */
	assert_string_equal(root->pairs[0].key->scalar, "s");
	assert_string_equal(root->pairs[10].key->scalar, "m");

	n = doc_map_get(root, "s");
	assert_string_equal(n->scalar, "text");
	assert_true(n->quoted);
	assert_pos(n, 0, 0);
	n = doc_map_get(root, "i");
	assert_string_equal(n->scalar, "10");
	assert_false(n->quoted);
	assert_string_equal(doc_map_get(root, "neg")->scalar, "-3");
	assert_string_equal(doc_map_get(root, "r")->scalar, "1.5");
	assert_string_equal(doc_map_get(root, "r1")->scalar, "1.0");
	assert_string_equal(doc_map_get(root, "big")->scalar, "1e+300");
	n = doc_map_get(root, "t");
	assert_string_equal(n->scalar, "true");
	assert_false(n->quoted);
	assert_string_equal(doc_map_get(root, "f")->scalar, "false");
	assert_int_equal(doc_map_get(root, "n")->type, DOC_NULL);
	n = doc_map_get(root, "l");
	assert_int_equal(n->type, DOC_SEQ);
	assert_int_equal(n->n, 2);
	assert_false(n->items[0]->quoted);
	assert_true(n->items[1]->quoted);
	assert_int_equal(doc_map_get(root, "m")->type, DOC_MAP);
	assert_int_equal(doc_map_get(root, "m")->n, 0);
	doc_free(root);

	root = json_ok("[]");
	assert_int_equal(root->type, DOC_SEQ);
	doc_free(root);
}

static void test_json_errors(void **state)
{
	json_fails("{\"a\": 1, \"a\": 2}", "body:1:12: duplicate object key near '\"a\"'");
	json_fails("1", "body:1:1: '[' or '{' expected near '1'");
	json_fails("\"x\"", "body:1:3: '[' or '{' expected near '\"x\"'");
	json_fails("{} x", "body:1:4: end of file expected near 'x'");
	json_fails("{\"a\":\n  [1,}", "body:2:6: unexpected token near '}'");
	json_fails("", "body:1:0: '[' or '{' expected near end of file");
	json_fails("{\"a\": \"\\u0000\"}",
		   "body:1:14: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"\\u0000\"'");
}

static void test_type_names(void **state)
{
	assert_string_equal(doc_type_name(DOC_NULL), "null");
	assert_string_equal(doc_type_name(DOC_SCALAR), "scalar");
	assert_string_equal(doc_type_name(DOC_MAP), "map");
	assert_string_equal(doc_type_name(DOC_SEQ), "list");
	doc_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_yaml_positions), cmocka_unit_test(test_yaml_scalars),
	    cmocka_unit_test(test_yaml_empty),	   cmocka_unit_test(test_yaml_errors),
	    cmocka_unit_test(test_depth),	   cmocka_unit_test(test_many_keys),
	    cmocka_unit_test(test_json),	   cmocka_unit_test(test_json_errors),
	    cmocka_unit_test(test_type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
