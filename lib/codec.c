// SPDX-License-Identifier: Apache-2.0
/*
 * The model's text forms (see codec.h). Input is read by one walker over
 * doc trees, driven by tables: each object and sub-object has a schema, a
 * list of its keys with a flag or two and the function that reads the
 * value. The walker finds unknown keys, missing keys and wrong types for
 * every object the same way, and keeps the key path ("tenants[0].users[1]")
 * that every message names. The nested topology file and the flat object
 * forms share the schemas; keys that exist in one form only are marked.
 *
 * Output builds jansson values in the documented key order and prints them
 * compactly, so that equal objects give byte-equal text.
 */
#include "onm/codec.h"

#include "onm/ds.h"
#include "onm/net.h"
#include "onm/units.h"
#include "quote-private.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 63
#define VNI_MAX 16777215
#define COST_MAX UINT32_MAX
#define NO_OFFSET SIZE_MAX
#define DEFAULT_SERVICE_LEVEL "gold"
#define DEFAULT_FALLBACK "silver"

/* The state of one walk over a document. */
struct walk {
	const char *source; /* document name for messages */
	bool flat;	    /* flat object form (REST, store), not the topology file */
	struct ds path;	    /* key path of the node being read */
	char *error;	    /* first error, allocated */
};

/*
 * Messages.
 */

static bool fail(struct walk *w, const struct doc_node *node, const char *fmt, ...)
    PRINTF_FORMAT(3, 4);

/* Records "SOURCE:LINE:COLUMN: PATH: message" (parts left out when
 * unknown) as the walk's error, unless there is one already. Returns false
 * so that callers can 'return fail(...)'. */
static bool fail(struct walk *w, const struct doc_node *node, const char *fmt, ...)
{
	struct ds ds = DS_EMPTY_INITIALIZER;
	va_list args;

	if (w->error)
		return false;
	ds_put_cstr(&ds, w->source);
	if (node && node->line > 0)
		ds_put_format(&ds, ":%d:%d", node->line, node->column);
	ds_put_cstr(&ds, ": ");
	if (w->path.length) {
		ds_put_buffer(&ds, w->path.string, w->path.length);
		ds_put_cstr(&ds, ": ");
	}
	va_start(args, fmt);
	ds_put_format_valist(&ds, fmt, args);
	va_end(args);
	w->error = ds_steal_cstr(&ds);
	return false;
}

static bool fail_value(struct walk *w, const struct doc_node *node, const char *value,
		       const char *fmt, ...) PRINTF_FORMAT(4, 5);

/* Like fail(), with 'value' quoted in front of the message. */
static bool fail_value(struct walk *w, const struct doc_node *node, const char *value,
		       const char *fmt, ...)
{
	struct ds ds = DS_EMPTY_INITIALIZER;
	va_list args;

	ds_put_quoted(&ds, value);
	ds_put_char(&ds, ' ');
	va_start(args, fmt);
	ds_put_format_valist(&ds, fmt, args);
	va_end(args);
	fail(w, node, "%s", ds_cstr(&ds));
	ds_destroy(&ds);
	return false;
}

static bool fail_quoted(struct walk *w, const struct doc_node *node, const char *before,
			const char *value, const char *fmt, ...) PRINTF_FORMAT(5, 6);

/* Like fail(): 'before', then 'value' quoted, then the rest. */
static bool fail_quoted(struct walk *w, const struct doc_node *node, const char *before,
			const char *value, const char *fmt, ...)
{
	struct ds ds = DS_EMPTY_INITIALIZER;
	va_list args;

	ds_put_cstr(&ds, before);
	ds_put_quoted(&ds, value);
	va_start(args, fmt);
	ds_put_format_valist(&ds, fmt, args);
	va_end(args);
	fail(w, node, "%s", ds_cstr(&ds));
	ds_destroy(&ds);
	return false;
}

/* "expected a list, found a map". */
static bool fail_type(struct walk *w, const struct doc_node *node, const char *expected)
{
	struct ds found = DS_EMPTY_INITIALIZER;

	switch (node->type) {
	case DOC_NULL:
		ds_put_cstr(&found, "null");
		break;
	case DOC_MAP:
		ds_put_cstr(&found, "a map");
		break;
	case DOC_SEQ:
		ds_put_cstr(&found, "a list");
		break;
	case DOC_SCALAR:
		if (node->quoted && !strcmp(expected, "a number"))
			ds_put_cstr(&found, "the string ");
		ds_put_quoted(&found, node->scalar);
		break;
	}
	fail(w, node, "expected %s, found %s", expected, ds_cstr(&found));
	ds_destroy(&found);
	return false;
}

static size_t path_push_key(struct walk *w, const char *key)
{
	size_t old = w->path.length;

	if (old)
		ds_put_char(&w->path, '.');
	ds_put_cstr(&w->path, key);
	return old;
}

static size_t path_push_index(struct walk *w, size_t i)
{
	size_t old = w->path.length;

	ds_put_format(&w->path, "[%zu]", i);
	return old;
}

static void path_pop(struct walk *w, size_t old)
{
	w->path.length = old;
	if (w->path.string)
		w->path.string[old] = '\0';
}

/* fail() with 'key' appended to the path: for a problem with the value of
 * 'key' in 'map' found after the map was read. */
static bool fail_at_key(struct walk *w, const struct doc_node *map, const char *key,
			const char *msg)
{
	size_t old = path_push_key(w, key);
	const struct doc_node *value = doc_map_get(map, key);

	fail(w, value ? value : map, "%s", msg);
	path_pop(w, old);
	return false;
}

/*
 * Schemas.
 */

struct field;
typedef bool field_parser(struct walk *, const struct doc_node *, void *obj, const struct field *);

enum {
	F_REQUIRED = 1 << 0, /* must be present */
	F_FLAT = 1 << 1,     /* flat form only (the topology file has it from the nesting) */
	F_NESTED = 1 << 2,   /* topology file only */
};

/* One key of a map. */
struct field {
	const char *key;
	field_parser *parse; /* NULL: allowed, read by the caller */
	size_t offset;	     /* of the member 'parse' fills */
	size_t offset2;	     /* of a second member (the count of a list) */
	unsigned int flags;
	const void *arg; /* for 'parse' */
};

/* The keys of one kind of map. */
struct schema {
	const char *what; /* "user", for duplicate names in lists */
	const struct field *fields;
	size_t n_fields;
	size_t size;	    /* of one element, for lists of sub-objects */
	size_t pos_offset;  /* of the 'struct src_pos' to fill, or NO_OFFSET */
	size_t name_offset; /* of 'char *name' unique within a list, or NO_OFFSET */
	/* Checks across the keys, after they were all read. May be NULL. */
	bool (*check)(struct walk *, const struct doc_node *map, void *obj);
};

static bool field_is_active(const struct walk *w, const struct field *f)
{
	return !(f->flags & (w->flat ? F_NESTED : F_FLAT));
}

/* Reads map 'node' into 'obj' as 'schema' says. */
static bool walk_map(struct walk *w, const struct doc_node *node, const struct schema *s, void *obj)
{
	uint32_t seen = 0;

	if (node->type != DOC_MAP)
		return fail_type(w, node, "a map");
	if (s->pos_offset != NO_OFFSET) {
		struct src_pos pos = {node->line, node->column};

		memcpy((char *)obj + s->pos_offset, &pos, sizeof pos);
	}
	for (size_t i = 0; i < node->n; i++) {
		const struct doc_node *key = node->pairs[i].key;
		const struct field *f = NULL;
		size_t j;

		for (j = 0; j < s->n_fields; j++) {
			if (field_is_active(w, &s->fields[j]) &&
			    !strcmp(s->fields[j].key, key->scalar)) {
				f = &s->fields[j];
				break;
			}
		}
		if (!f) {
			struct ds allowed = DS_EMPTY_INITIALIZER;

			for (j = 0; j < s->n_fields; j++) {
				if (field_is_active(w, &s->fields[j])) {
					if (allowed.length)
						ds_put_cstr(&allowed, ", ");
					ds_put_cstr(&allowed, s->fields[j].key);
				}
			}
			fail_quoted(w, key, "unknown key ", key->scalar, " (allowed: %s)",
				    ds_cstr(&allowed));
			ds_destroy(&allowed);
			return false;
		}
		seen |= UINT32_C(1) << j;
		if (f->parse) {
			size_t old = path_push_key(w, f->key);
			bool ok = f->parse(w, node->pairs[i].value, obj, f);

			path_pop(w, old);
			if (!ok)
				return false;
		}
	}
	for (size_t j = 0; j < s->n_fields; j++) {
		const struct field *f = &s->fields[j];

		if ((f->flags & F_REQUIRED) && field_is_active(w, f) &&
		    !(seen & (UINT32_C(1) << j)))
			return fail(w, node, "missing key \"%s\"", f->key);
	}
	return !s->check || s->check(w, node, obj);
}

/* A hash index over an array of names, so that lists in a hostile body,
 * however long, are checked in linear time. */
struct name_index {
	char *const *names; /* not owned */
	size_t *slots;	    /* index into 'names' + 1; 0 = empty */
	size_t mask;	    /* number of slots - 1 */
};

static void name_index_init(struct name_index *ix, char *const *names, size_t n)
{
	size_t n_slots = 16;

	while (n_slots < n * 2)
		n_slots *= 2;
	ix->names = names;
	ix->slots = xcalloc(n_slots, sizeof *ix->slots);
	ix->mask = n_slots - 1;
}

static void name_index_uninit(struct name_index *ix)
{
	free(ix->slots);
}

/* Returns the slot holding 'name', or the empty slot where it would go. */
static size_t name_index_slot(const struct name_index *ix, const char *name)
{
	size_t h = hash_string(name, 0) & ix->mask;

	while (ix->slots[h] && strcmp(ix->names[ix->slots[h] - 1], name))
		h = (h + 1) & ix->mask;
	return h;
}

static bool name_index_contains(const struct name_index *ix, const char *name)
{
	return ix->slots[name_index_slot(ix, name)] != 0;
}

/* Returns the index of the first of 'names' equal to an earlier one, or
 * SIZE_MAX. */
static size_t find_duplicate(char *const *names, size_t n)
{
	struct name_index ix;
	size_t dup = SIZE_MAX;

	name_index_init(&ix, names, n);
	for (size_t i = 0; i < n; i++) {
		size_t slot = name_index_slot(&ix, names[i]);

		if (ix.slots[slot]) {
			dup = i;
			break;
		}
		ix.slots[slot] = i + 1;
	}
	name_index_uninit(&ix);
	return dup;
}

/*
 * Scalars.
 */

/* Returns the text of scalar 'node', or NULL after fail_type(). */
static const char *get_scalar(struct walk *w, const struct doc_node *node, const char *expected)
{
	if (node->type != DOC_SCALAR) {
		fail_type(w, node, expected);
		return NULL;
	}
	return node->scalar;
}

/* Like get_scalar() for numbers: a JSON number or a plain YAML scalar, not
 * a quoted string. */
static const char *get_number(struct walk *w, const struct doc_node *node)
{
	if (node->type != DOC_SCALAR || node->quoted) {
		fail_type(w, node, "a number");
		return NULL;
	}
	return node->scalar;
}

/* True if 's' is [a-z0-9][a-z0-9-]*, at most 63 bytes. */
bool codec_name_is_valid(const char *s)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++) {
		char c = s[n];

		if (n >= NAME_MAX_LEN)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && n > 0)))
			return false;
	}
	return n > 0;
}

/* Router interface names are the device's, not the model's:
 * "GigabitEthernet0/0", "ge-0/0/0.0". */
static bool ifname_is_valid(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];

		if (n >= NAME_MAX_LEN)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("/._:-", c)))
			return false;
	}
	return n > 0;
}

static char *read_name(struct walk *w, const struct doc_node *node)
{
	const char *s = get_scalar(w, node, "a name");

	if (!s)
		return NULL;
	if (!codec_name_is_valid(s)) {
		fail_value(w, node, s,
			   "is not a valid name ([a-z0-9][a-z0-9-]*, at most %d characters)",
			   NAME_MAX_LEN);
		return NULL;
	}
	return xstrdup(s);
}

static char **member_str(void *obj, const struct field *f)
{
	return (char **)((char *)obj + f->offset);
}

static bool p_name(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	char *name = read_name(w, node);

	if (!name)
		return false;
	*member_str(obj, f) = name;
	return true;
}

static bool p_ifname(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	const char *s = get_scalar(w, node, "an interface name");

	if (!s)
		return false;
	if (!ifname_is_valid(s))
		return fail_value(w, node, s,
				  "is not a valid interface name (letters, digits and \"/._:-\", "
				  "at most %d characters)",
				  NAME_MAX_LEN);
	*member_str(obj, f) = xstrdup(s);
	return true;
}

/* A list of names, unique within the list: 'offset' is the 'char **'
 * array, 'offset2' its 'size_t' count, 'arg' what a name is ("capability"). */
static bool p_name_list(struct walk *w, const struct doc_node *node, void *obj,
			const struct field *f)
{
	char ***namesp = (char ***)((char *)obj + f->offset);
	size_t *np = (size_t *)((char *)obj + f->offset2);
	size_t dup;

	if (node->type == DOC_NULL)
		return true;
	if (node->type != DOC_SEQ)
		return fail_type(w, node, "a list");
	if (!node->n)
		return true;
	*namesp = xcalloc(node->n, sizeof **namesp);
	*np = node->n;
	for (size_t i = 0; i < node->n; i++) {
		size_t old = path_push_index(w, i);

		(*namesp)[i] = read_name(w, node->items[i]);
		path_pop(w, old);
		if (!(*namesp)[i])
			return false;
	}
	dup = find_duplicate(*namesp, node->n);
	if (dup != SIZE_MAX) {
		size_t old = path_push_index(w, dup);

		char *before = xasprintf("duplicate %s ", (const char *)f->arg);

		fail_quoted(w, node->items[dup], before, (*namesp)[dup], "%s", "");
		free(before);
		path_pop(w, old);
		return false;
	}
	return true;
}

/* A list of sub-objects of schema 'arg': 'offset' is the array pointer,
 * 'offset2' its 'size_t' count. */
static bool p_list(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	const struct schema *s = f->arg;
	size_t *np = (size_t *)((char *)obj + f->offset2);
	char *items;

	if (node->type == DOC_NULL)
		return true;
	if (node->type != DOC_SEQ)
		return fail_type(w, node, "a list");
	if (!node->n)
		return true;
	/* The array belongs to 'obj' before it is filled, so that destroying
	 * 'obj' after a failure frees what was read. */
	items = xcalloc(node->n, s->size);
	memcpy((char *)obj + f->offset, &items, sizeof items);
	*np = node->n;
	for (size_t i = 0; i < node->n; i++) {
		size_t old = path_push_index(w, i);
		bool ok = walk_map(w, node->items[i], s, items + i * s->size);

		path_pop(w, old);
		if (!ok)
			return false;
	}
	if (s->name_offset != NO_OFFSET) {
		char **names = xcalloc(node->n, sizeof *names);
		size_t dup;

		for (size_t i = 0; i < node->n; i++)
			memcpy(&names[i], items + i * s->size + s->name_offset, sizeof names[i]);
		dup = find_duplicate(names, node->n);
		if (dup != SIZE_MAX) {
			size_t old = path_push_index(w, dup);
			char *before = xasprintf("duplicate %s name ", s->what);

			path_push_key(w, "name");
			fail_quoted(w, doc_map_get(node->items[dup], "name"), before, names[dup],
				    "%s", "");
			free(before);
			path_pop(w, old);
		}
		free(names);
		if (dup != SIZE_MAX)
			return false;
	}
	return true;
}

/* Reports the result of a units_parse_*() call on 'node'. */
static bool unit_parsed(struct walk *w, const struct doc_node *node, char *msg)
{
	if (!msg)
		return true;
	fail(w, node, "%s", msg);
	free(msg);
	return false;
}

static bool p_duration(struct walk *w, const struct doc_node *node, void *obj,
		       const struct field *f)
{
	const char *s = get_scalar(w, node, "a duration");

	return s && unit_parsed(w, node,
				units_parse_duration_us(s, (uint64_t *)((char *)obj + f->offset)));
}

static bool p_rate(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	const char *s = get_scalar(w, node, "a rate");

	return s &&
	       unit_parsed(w, node, units_parse_rate_bps(s, (uint64_t *)((char *)obj + f->offset)));
}

static bool p_bool(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	const char *s = get_scalar(w, node, "true or false");

	if (!s)
		return false;
	if (node->quoted || (strcmp(s, "true") && strcmp(s, "false")))
		return fail_value(w, node, s, "is not true or false");
	*(bool *)((char *)obj + f->offset) = !strcmp(s, "true");
	return true;
}

static bool p_percent(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	const char *s = get_scalar(w, node, "a percentage");

	return s && unit_parsed(w, node,
				units_parse_percent_ppm(s, (uint32_t *)((char *)obj + f->offset)));
}

/* An integer range and what it is, for p_cost/p_vni. */
struct uint_range {
	const char *what;
	uint64_t min, max;
};

static bool read_uint(struct walk *w, const struct doc_node *node, const struct uint_range *r,
		      uint64_t *value)
{
	const char *s = get_number(w, node);
	char *msg;

	if (!s)
		return false;
	msg = units_parse_uint(s, r->max, value);
	free(msg);
	if (msg || *value < r->min)
		return fail_value(w, node, s,
				  "is not a valid %s (an integer from %" PRIu64 " to %" PRIu64 ")",
				  r->what, r->min, r->max);
	return true;
}

static const struct uint_range cost_range = {"cost", 0, COST_MAX};
static const struct uint_range vni_range = {"VNI", 1, VNI_MAX};

static bool p_cost(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	return read_uint(w, node, &cost_range, (uint64_t *)((char *)obj + f->offset));
}

static bool p_vni(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	uint64_t v;

	if (!read_uint(w, node, &vni_range, &v))
		return false;
	*(uint32_t *)((char *)obj + f->offset) = (uint32_t)v;
	return true;
}

static bool p_ipv4(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	const char *s = get_scalar(w, node, "an IPv4 address");

	if (!s)
		return false;
	if (!ipv4_parse(s, (uint32_t *)((char *)obj + f->offset)))
		return fail_value(w, node, s, "is not an IPv4 address");
	return true;
}

static bool p_prefix(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	const char *s = get_scalar(w, node, "an IPv4 prefix");
	const char *slash;

	if (!s)
		return false;
	if (ipv4_prefix_parse(s, (struct ipv4_prefix *)((char *)obj + f->offset)))
		return true;

	/* Say so if only the host bits are wrong. */
	slash = strchr(s, '/');
	if (slash) {
		char *addr_text = xmemdup0(s, (size_t)(slash - s));
		char *msg = NULL;
		uint64_t len;
		uint32_t addr;
		bool addr_ok = ipv4_parse(addr_text, &addr);

		free(addr_text);
		if (addr_ok && !(msg = units_parse_uint(slash + 1, 32, &len))) {
			struct ipv4_prefix p = {addr & ipv4_mask((uint8_t)len), (uint8_t)len};
			char net[IPV4_PREFIX_STRLEN];

			ipv4_prefix_format(&p, net);
			return fail_value(w, node, s, "has host bits set (the prefix is %s)", net);
		}
		free(msg);
	}
	return fail_value(w, node, s, "is not an IPv4 prefix (A.B.C.D/LEN)");
}

static bool p_mac(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	const char *s = get_scalar(w, node, "a MAC address");
	struct eth_addr *e = (struct eth_addr *)((char *)obj + f->offset);

	if (!s)
		return false;
	if (!eth_addr_parse(s, e))
		return fail_value(w, node, s, "is not a MAC address (xx:xx:xx:xx:xx:xx)");
	if (eth_addr_is_zero(e) || (e->b[0] & 1))
		return fail_value(w, node, s, "is not a unicast MAC address");
	return true;
}

/* Enumerations: the names, indexed by value. */
struct enum_names {
	const char *const *names;
	size_t n;
	const char *list; /* "viewer, operator or admin" */
};

static bool read_enum(struct walk *w, const struct doc_node *node, const struct enum_names *e,
		      int *value)
{
	const char *s = get_scalar(w, node, "a string");

	if (!s)
		return false;
	for (size_t i = 0; i < e->n; i++) {
		if (!strcmp(s, e->names[i])) {
			*value = (int)i;
			return true;
		}
	}
	return fail_value(w, node, s, "is not one of %s", e->list);
}

static const char *const role_names[] = {
    [ROLE_VIEWER] = "viewer", [ROLE_OPERATOR] = "operator", [ROLE_ADMIN] = "admin"};
static const struct enum_names roles = {role_names, ARRAY_SIZE(role_names),
					"viewer, operator or admin"};

static const char *const metric_names[] = {[SL_MIN_LATENCY] = "latency",
					   [SL_MIN_COST] = "cost",
					   [SL_MIN_HOPS] = "hops",
					   [SL_MIN_LOSS] = "loss",
					   [SL_MIN_WEIGHTED] = "weighted"};
/* "weighted" is written as a map of weights, never as a word. */
static const struct enum_names metrics = {metric_names, SL_MIN_WEIGHTED,
					  "latency, cost, hops or loss, or a map of weights"};

static const char *const dir_names[] = {[SG_IN] = "in", [SG_OUT] = "out"};
static const struct enum_names dirs = {dir_names, ARRAY_SIZE(dir_names), "in or out"};

static const char *const proto_names[] = {[SG_PROTO_ANY] = "any",
					  [SG_PROTO_TCP] = "tcp",
					  [SG_PROTO_UDP] = "udp",
					  [SG_PROTO_ICMP] = "icmp"};
static const struct enum_names protos = {proto_names, ARRAY_SIZE(proto_names),
					 "tcp, udp, icmp or any"};

static const char *const acl_proto_names[] = {[SG_PROTO_ANY] = "ip",
					      [SG_PROTO_TCP] = "tcp",
					      [SG_PROTO_UDP] = "udp",
					      [SG_PROTO_ICMP] = "icmp"};
static const struct enum_names acl_protos = {acl_proto_names, ARRAY_SIZE(acl_proto_names),
					     "ip, tcp, udp or icmp"};

static const char *const acl_action_names[] = {[ACL_PERMIT] = "permit", [ACL_DENY] = "deny"};
static const struct enum_names acl_actions = {acl_action_names, ARRAY_SIZE(acl_action_names),
					      "permit or deny"};

static const char *const style_names[] = {[USER_STYLE_IOS] = "ios", [USER_STYLE_JUNOS] = "junos"};
static const struct enum_names styles = {style_names, ARRAY_SIZE(style_names), "ios or junos"};

static const char *const state_names[] = {"up", "down"};
static const struct enum_names states = {state_names, ARRAY_SIZE(state_names), "up or down"};

/* "viewer", "operator", "admin". */
const char *codec_role_name(enum user_role role)
{
	return (unsigned int)role < ARRAY_SIZE(role_names) ? role_names[role] : "?";
}

/* "latency", "cost", "hops", "loss", "weighted". */
const char *codec_sl_metric_name(enum sl_metric m)
{
	return (unsigned int)m < ARRAY_SIZE(metric_names) ? metric_names[m] : "?";
}

/* "any", "tcp", "udp", "icmp". */
const char *codec_sg_proto_name(enum sg_proto p)
{
	return (unsigned int)p < ARRAY_SIZE(proto_names) ? proto_names[p] : "?";
}

/* "ip", "tcp", "udp", "icmp": an access list's protocol words. */
const char *codec_acl_proto_name(enum sg_proto p)
{
	return (unsigned int)p < ARRAY_SIZE(acl_proto_names) ? acl_proto_names[p] : "?";
}

/* "permit", "deny". */
const char *codec_acl_action_name(enum acl_action a)
{
	return (unsigned int)a < ARRAY_SIZE(acl_action_names) ? acl_action_names[a] : "?";
}

/* "ios", "junos". */
const char *codec_user_style_name(enum user_style s)
{
	return (unsigned int)s < ARRAY_SIZE(style_names) ? style_names[s] : "?";
}

/*
 * Objects and sub-objects, each with its schema.
 */

static bool p_role(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	int v = 0;

	if (!read_enum(w, node, &roles, &v))
		return false;
	((struct user *)obj)->role = (enum user_role)v;
	return true;
}

static bool p_password(struct walk *w, const struct doc_node *node, void *obj,
		       const struct field *f)
{
	/* Never quote a password back, not even a bad one. */
	if (node->type != DOC_SCALAR)
		return fail(w, node, "expected a password, found %s",
			    node->type == DOC_NULL  ? "null"
			    : node->type == DOC_MAP ? "a map"
						    : "a list");
	if (!*node->scalar)
		return fail(w, node, "the password is empty");
	((struct user *)obj)->password = xstrdup(node->scalar);
	return true;
}

static bool p_password_hash(struct walk *w, const struct doc_node *node, void *obj,
			    const struct field *f)
{
	const char *s = get_scalar(w, node, "a password hash");

	if (!s)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p <= ' ' || *p > '~')
			return fail(w, node,
				    "the password hash has a character outside "
				    "printable ASCII");
	}
	/* Not quoted: it might be a password written under the wrong key. */
	if (!str_has_prefix(s, "$argon2id$"))
		return fail(w, node,
			    "not an argon2id hash (\"$argon2id$...\"; a plain password goes "
			    "under password)");
	((struct user *)obj)->password_hash = xstrdup(s);
	return true;
}

static bool p_snmp_key(struct walk *w, const struct doc_node *node, void *obj,
		       const struct field *f)
{
	const char *s = get_scalar(w, node, "an SNMP key");

	if (!s)
		return false;
	if (strlen(s) != SNMP_KEY_HEX_LEN || strspn(s, "0123456789abcdef") != SNMP_KEY_HEX_LEN)
		return fail(w, node, "not an SNMP key (%d lowercase hex digits)", SNMP_KEY_HEX_LEN);
	((struct user *)obj)->snmp_key = xstrdup(s);
	return true;
}

/* Each an OpenSSH public key line, none twice. */
static bool p_public_keys(struct walk *w, const struct doc_node *node, void *obj,
			  const struct field *f)
{
	struct user *u = obj;
	size_t dup;

	if (node->type == DOC_NULL)
		return true;
	if (node->type != DOC_SEQ)
		return fail_type(w, node, "a list");
	if (!node->n)
		return true;
	u->public_keys = xcalloc(node->n, sizeof *u->public_keys);
	u->n_public_keys = node->n;
	for (size_t i = 0; i < node->n; i++) {
		size_t old = path_push_index(w, i);
		const char *s = get_scalar(w, node->items[i], "a public key");
		bool ok = s != NULL;

		if (ok && !model_public_key_is_valid(s))
			ok =
			    fail_value(w, node->items[i], s,
				       "is not an OpenSSH public key (\"TYPE BASE64 [COMMENT]\", "
				       "TYPE ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa)");
		if (ok)
			u->public_keys[i] = xstrdup(s);
		path_pop(w, old);
		if (!ok)
			return false;
	}
	dup = find_duplicate(u->public_keys, node->n);
	if (dup != SIZE_MAX) {
		size_t old = path_push_index(w, dup);

		fail(w, node->items[dup], "this public key is listed twice");
		path_pop(w, old);
		return false;
	}
	return true;
}

static bool p_style(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	int v = 0;

	if (!read_enum(w, node, &styles, &v))
		return false;
	((struct user *)obj)->style = (enum user_style)v;
	return true;
}

/* Seconds per unit of an exec timeout: "30s", "10m", "1h", or "0". */
static const struct {
	const char *unit;
	uint32_t seconds;
} timeout_units[] = {{"s", 1}, {"m", 60}, {"h", 3600}};

static bool p_exec_timeout(struct walk *w, const struct doc_node *node, void *obj,
			   const struct field *f)
{
	const char *s = get_scalar(w, node, "a duration");
	size_t digits = 0;
	uint64_t v = 0, unit = 0;
	char *num, *msg;

	if (!s)
		return false;
	while (s[digits] >= '0' && s[digits] <= '9')
		digits++;
	for (size_t i = 0; i < ARRAY_SIZE(timeout_units); i++)
		if (!strcmp(s + digits, timeout_units[i].unit))
			unit = timeout_units[i].seconds;
	num = xmemdup0(s, digits);
	msg = units_parse_uint(num, USER_EXEC_TIMEOUT_MAX_S, &v);
	free(num);
	free(msg);
	/* A bare number is allowed for 0 only: "never" needs no unit. */
	if (!s[digits] && !msg && v == 0)
		unit = 1;
	if (!unit || msg || !digits || v * unit > USER_EXEC_TIMEOUT_MAX_S)
		return fail_value(w, node, s,
				  "is not a valid exec_timeout (a whole number of s, m or h up "
				  "to %um, or 0 for never)",
				  USER_EXEC_TIMEOUT_MAX_S / 60);
	((struct user *)obj)->exec_timeout_s = (uint32_t)(v * unit);
	return true;
}

static bool p_alias_name(struct walk *w, const struct doc_node *node, void *obj,
			 const struct field *f)
{
	const char *s = get_scalar(w, node, "an alias name");

	if (!s)
		return false;
	if (!model_alias_name_is_valid(s))
		return fail_value(w, node, s,
				  "is not a valid alias name ([a-z0-9-], at most %d characters)",
				  USER_ALIAS_NAME_MAX_LEN);
	((struct user_alias *)obj)->name = xstrdup(s);
	return true;
}

/* A router's own SSH address, "A.B.C.D:PORT" (port 1..65535). */
static bool p_listen(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	const char *s = get_scalar(w, node, "an address A.B.C.D:PORT");
	const char *colon;
	char *host;
	uint32_t ip;
	bool ok;

	if (!s)
		return false;
	colon = strrchr(s, ':');
	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strlen(colon + 1) > 5 || atoi(colon + 1) < 1 || atoi(colon + 1) > 65535)
		return fail_value(w, node, s, "is not an address A.B.C.D:PORT (port 1..65535)");
	host = xmemdup0(s, (size_t)(colon - s));
	ok = ipv4_parse(host, &ip);
	free(host);
	if (!ok)
		return fail_value(w, node, s, "is not an address A.B.C.D:PORT (port 1..65535)");
	*member_str(obj, f) = xstrdup(s);
	return true;
}

/* Printable ASCII text of 1..'arg' characters (a size_t *). */
static bool p_text(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	size_t max = *(const size_t *)f->arg;
	const char *s = get_scalar(w, node, "a string");

	if (!s)
		return false;
	if (!*s)
		return fail(w, node, "is empty (leave the key out instead)");
	if (strlen(s) > max)
		return fail(w, node, "is longer than %zu characters", max);
	if (!model_text_is_printable(s, max))
		return fail_value(w, node, s, "has a character outside printable ASCII");
	*member_str(obj, f) = xstrdup(s);
	return true;
}

static const size_t alias_command_max = USER_ALIAS_COMMAND_MAX_LEN;

static const struct field alias_fields[] = {
    {"name", p_alias_name, 0, 0, F_REQUIRED, NULL},
    {"command", p_text, offsetof(struct user_alias, command), 0, F_REQUIRED, &alias_command_max},
};

static const struct schema alias_schema = {
    "alias",
    alias_fields,
    ARRAY_SIZE(alias_fields),
    sizeof(struct user_alias),
    NO_OFFSET,
    offsetof(struct user_alias, name),
    NULL,
};

static bool user_check(struct walk *w, const struct doc_node *map, void *obj)
{
	struct user *u = obj;

	if (u->password && u->password_hash)
		return fail_at_key(w, map, "password_hash",
				   "give either password or password_hash, not both");
	if (!doc_map_get(map, "exec_timeout"))
		u->exec_timeout_s = USER_EXEC_TIMEOUT_DEFAULT_S;
	return true;
}

static const struct field user_fields[] = {
    {"name", p_name, offsetof(struct user, name), 0, F_REQUIRED, NULL},
    {"role", p_role, 0, 0, F_REQUIRED, NULL},
    {"password", p_password, 0, 0, 0, NULL},
    {"password_hash", p_password_hash, 0, 0, 0, NULL},
    {"snmpv3", p_bool, offsetof(struct user, snmpv3), 0, 0, NULL},
    {"snmp_key", p_snmp_key, 0, 0, 0, NULL},
    {"public_keys", p_public_keys, 0, 0, 0, NULL},
    {"style", p_style, 0, 0, 0, NULL},
    {"exec_timeout", p_exec_timeout, 0, 0, 0, NULL},
    {"aliases", p_list, offsetof(struct user, aliases), offsetof(struct user, n_aliases), 0,
     &alias_schema},
};

static const struct schema user_schema = {
    "user",
    user_fields,
    ARRAY_SIZE(user_fields),
    sizeof(struct user),
    offsetof(struct user, pos),
    offsetof(struct user, name),
    user_check,
};

static const struct field subnet_fields[] = {
    {"name", p_name, offsetof(struct subnet, name), 0, F_REQUIRED, NULL},
    {"cidr", p_prefix, offsetof(struct subnet, cidr), 0, F_REQUIRED, NULL},
};

static const struct schema subnet_schema = {
    "subnet",
    subnet_fields,
    ARRAY_SIZE(subnet_fields),
    sizeof(struct subnet),
    offsetof(struct subnet, pos),
    offsetof(struct subnet, name),
    NULL,
};

static bool p_dir(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	int v = 0;

	if (!read_enum(w, node, &dirs, &v))
		return false;
	((struct sg_rule *)obj)->dir = (enum sg_dir)v;
	return true;
}

static bool p_proto(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	int v = 0;

	if (!read_enum(w, node, &protos, &v))
		return false;
	((struct sg_rule *)obj)->proto = (enum sg_proto)v;
	return true;
}

/* A port number (1..65535) or a range "N-M" with N <= M. */
static bool p_ports(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	struct sg_rule *r = obj;
	const char *s = get_scalar(w, node, "a port or port range");
	const char *dash;
	uint64_t lo, hi;
	char *msg;

	if (!s)
		return false;
	dash = strchr(s, '-');
	if (dash) {
		char *first = xmemdup0(s, (size_t)(dash - s));

		msg = units_parse_uint(first, 65535, &lo);
		free(first);
		if (!msg)
			msg = units_parse_uint(dash + 1, 65535, &hi);
	} else {
		msg = units_parse_uint(s, 65535, &lo);
		hi = lo;
	}
	free(msg);
	if (msg || lo == 0 || lo > hi)
		return fail_value(
		    w, node, s, "is not a port or port range (1 to 65535, or \"N-M\" with N <= M)");
	r->port_min = (uint16_t)lo;
	r->port_max = (uint16_t)hi;
	return true;
}

static bool rule_check(struct walk *w, const struct doc_node *map, void *obj)
{
	const struct sg_rule *r = obj;
	bool in = r->dir == SG_IN;
	const char *addr_key = in ? "from" : "to", *group_key = in ? "from_group" : "to_group";

	if (doc_map_get(map, in ? "to" : "from"))
		return fail_at_key(w, map, in ? "to" : "from",
				   in ? "a rule with dir in takes from or from_group"
				      : "a rule with dir out takes to or to_group");
	if (doc_map_get(map, in ? "to_group" : "from_group"))
		return fail_at_key(w, map, in ? "to_group" : "from_group",
				   in ? "a rule with dir in takes from or from_group"
				      : "a rule with dir out takes to or to_group");
	if (doc_map_get(map, addr_key) && doc_map_get(map, group_key))
		return fail_at_key(w, map, group_key,
				   in ? "give either from or from_group, not both"
				      : "give either to or to_group, not both");
	if (doc_map_get(map, "ports") && r->proto != SG_PROTO_TCP && r->proto != SG_PROTO_UDP)
		return fail_at_key(w, map, "ports", "ports need proto tcp or udp");
	return true;
}

static const struct field rule_fields[] = {
    {"dir", p_dir, 0, 0, F_REQUIRED, NULL},
    {"proto", p_proto, 0, 0, 0, NULL},
    {"ports", p_ports, 0, 0, 0, NULL},
    {"from", p_prefix, offsetof(struct sg_rule, remote), 0, 0, NULL},
    {"from_group", p_name, offsetof(struct sg_rule, remote_group), 0, 0, NULL},
    {"to", p_prefix, offsetof(struct sg_rule, remote), 0, 0, NULL},
    {"to_group", p_name, offsetof(struct sg_rule, remote_group), 0, 0, NULL},
};

static const struct schema rule_schema = {
    "rule",
    rule_fields,
    ARRAY_SIZE(rule_fields),
    sizeof(struct sg_rule),
    offsetof(struct sg_rule, pos),
    NO_OFFSET,
    rule_check,
};

static const struct field group_fields[] = {
    {"name", p_name, offsetof(struct security_group, name), 0, F_REQUIRED, NULL},
    {"rules", p_list, offsetof(struct security_group, rules),
     offsetof(struct security_group, n_rules), 0, &rule_schema},
};

static const struct schema group_schema = {
    "security group",
    group_fields,
    ARRAY_SIZE(group_fields),
    sizeof(struct security_group),
    offsetof(struct security_group, pos),
    offsetof(struct security_group, name),
    NULL,
};

static bool p_acl_name(struct walk *w, const struct doc_node *node, void *obj,
		       const struct field *f)
{
	const char *s = get_scalar(w, node, "an access list name");

	if (!s)
		return false;
	if (!model_acl_name_is_valid(s))
		return fail_value(w, node, s,
				  "is not a valid access list name ([A-Za-z0-9_-], at most %d "
				  "characters)",
				  ROUTER_ACL_NAME_MAX_LEN);
	*member_str(obj, f) = xstrdup(s);
	return true;
}

static const size_t description_max = ROUTER_DESCRIPTION_MAX_LEN;

static const struct field interface_fields[] = {
    {"name", p_ifname, offsetof(struct router_interface, name), 0, F_REQUIRED, NULL},
    {"subnet", p_name, offsetof(struct router_interface, subnet), 0, F_REQUIRED, NULL},
    {"ip", p_ipv4, offsetof(struct router_interface, ip), 0, F_REQUIRED, NULL},
    {"shutdown", p_bool, offsetof(struct router_interface, shutdown), 0, 0, NULL},
    {"description", p_text, offsetof(struct router_interface, description), 0, 0, &description_max},
    {"shape", p_rate, offsetof(struct router_interface, shape_bps), 0, 0, NULL},
    {"access_group_in", p_acl_name, offsetof(struct router_interface, acl_in), 0, 0, NULL},
    {"access_group_out", p_acl_name, offsetof(struct router_interface, acl_out), 0, 0, NULL},
};

static const struct schema interface_schema = {
    "interface",
    interface_fields,
    ARRAY_SIZE(interface_fields),
    sizeof(struct router_interface),
    offsetof(struct router_interface, pos),
    offsetof(struct router_interface, name),
    NULL,
};

static const struct field route_fields[] = {
    {"prefix", p_prefix, offsetof(struct static_route, prefix), 0, F_REQUIRED, NULL},
    {"via", p_ipv4, offsetof(struct static_route, via), 0, F_REQUIRED, NULL},
};

static const struct schema route_schema = {
    "route",
    route_fields,
    ARRAY_SIZE(route_fields),
    sizeof(struct static_route),
    offsetof(struct static_route, pos),
    NO_OFFSET,
    NULL,
};

static bool redirect_check(struct walk *w, const struct doc_node *map, void *obj)
{
	const struct router_redirect *r = obj;

	if (r->from == r->to)
		return fail_at_key(w, map, "to", "a redirect's to must differ from its from");
	return true;
}

static const struct field redirect_fields[] = {
    {"from", p_ipv4, offsetof(struct router_redirect, from), 0, F_REQUIRED, NULL},
    {"to", p_ipv4, offsetof(struct router_redirect, to), 0, F_REQUIRED, NULL},
};

static const struct schema redirect_schema = {
    "redirect",
    redirect_fields,
    ARRAY_SIZE(redirect_fields),
    sizeof(struct router_redirect),
    offsetof(struct router_redirect, pos),
    NO_OFFSET,
    redirect_check,
};

static bool p_acl_action(struct walk *w, const struct doc_node *node, void *obj,
			 const struct field *f)
{
	int v = 0;

	if (!read_enum(w, node, &acl_actions, &v))
		return false;
	((struct acl_rule *)obj)->action = (enum acl_action)v;
	return true;
}

static bool p_acl_proto(struct walk *w, const struct doc_node *node, void *obj,
			const struct field *f)
{
	int v = 0;

	if (!read_enum(w, node, &acl_protos, &v))
		return false;
	((struct acl_rule *)obj)->proto = (enum sg_proto)v;
	return true;
}

/* "any", a prefix "A.B.C.D/M" or an address (a /32). */
static bool p_acl_addr(struct walk *w, const struct doc_node *node, void *obj,
		       const struct field *f)
{
	struct ipv4_prefix *p = (struct ipv4_prefix *)((char *)obj + f->offset);
	const char *s = get_scalar(w, node, "an address, a prefix or any");

	if (!s)
		return false;
	if (!strcmp(s, "any")) {
		p->addr = 0;
		p->len = 0;
		return true;
	}
	if (!strchr(s, '/')) {
		if (!ipv4_parse(s, &p->addr))
			return fail_value(w, node, s,
					  "is not an address, a prefix (A.B.C.D/LEN) or any");
		p->len = 32;
		return true;
	}
	return p_prefix(w, node, obj, f);
}

static const struct uint_range port_range = {"port", 1, 65535};

static bool p_port(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	uint64_t v;

	if (!read_uint(w, node, &port_range, &v))
		return false;
	((struct acl_rule *)obj)->port = (uint16_t)v;
	return true;
}

static bool acl_rule_check(struct walk *w, const struct doc_node *map, void *obj)
{
	const struct acl_rule *r = obj;

	if (r->port && r->proto != SG_PROTO_TCP && r->proto != SG_PROTO_UDP)
		return fail_at_key(w, map, "port", "a port needs proto tcp or udp");
	return true;
}

/* 'src' and 'dst' are 'any' when left out (zeroed). */
static const struct field acl_rule_fields[] = {
    {"action", p_acl_action, 0, 0, F_REQUIRED, NULL},
    {"proto", p_acl_proto, 0, 0, F_REQUIRED, NULL},
    {"src", p_acl_addr, offsetof(struct acl_rule, src), 0, 0, NULL},
    {"dst", p_acl_addr, offsetof(struct acl_rule, dst), 0, 0, NULL},
    {"port", p_port, 0, 0, 0, NULL},
};

static const struct schema acl_rule_schema = {
    "rule",
    acl_rule_fields,
    ARRAY_SIZE(acl_rule_fields),
    sizeof(struct acl_rule),
    offsetof(struct acl_rule, pos),
    NO_OFFSET,
    acl_rule_check,
};

static const struct field acl_fields[] = {
    {"name", p_acl_name, offsetof(struct router_acl, name), 0, F_REQUIRED, NULL},
    {"rules", p_list, offsetof(struct router_acl, rules), offsetof(struct router_acl, n_rules), 0,
     &acl_rule_schema},
};

static const struct schema acl_schema = {
    "access list",
    acl_fields,
    ARRAY_SIZE(acl_fields),
    sizeof(struct router_acl),
    offsetof(struct router_acl, pos),
    offsetof(struct router_acl, name),
    NULL,
};

/* fail_quoted() at 'list'['index'].'key' of 'map'. */
static bool fail_at_item_key(struct walk *w, const struct doc_node *map, const char *list,
			     size_t index, const char *key, const char *before, const char *value,
			     const char *after)
{
	size_t old = path_push_key(w, list);
	const struct doc_node *item = doc_map_get(map, list)->items[index];
	const struct doc_node *at = doc_map_get(item, key);

	path_push_index(w, index);
	path_push_key(w, key);
	fail_quoted(w, at ? at : item, before, value, "%s", after);
	path_pop(w, old);
	return false;
}

/* An interface's access groups name access lists of the same router; a
 * redirect's 'from' is redirected once. */
static bool router_check(struct walk *w, const struct doc_node *map, void *obj)
{
	const struct router *r = obj;

	for (size_t i = 0; i < r->n_interfaces; i++) {
		const struct router_interface *ifc = &r->interfaces[i];

		if (ifc->acl_in && !router_find_acl(r, ifc->acl_in))
			return fail_at_item_key(w, map, "interfaces", i, "access_group_in",
						"no access list ", ifc->acl_in,
						" in this router's access_lists");
		if (ifc->acl_out && !router_find_acl(r, ifc->acl_out))
			return fail_at_item_key(w, map, "interfaces", i, "access_group_out",
						"no access list ", ifc->acl_out,
						" in this router's access_lists");
	}
	if (r->n_redirects > 1) {
		char **froms = xcalloc(r->n_redirects, sizeof *froms);
		size_t dup;

		for (size_t i = 0; i < r->n_redirects; i++) {
			froms[i] = xmalloc(IPV4_ADDR_STRLEN);
			ipv4_format(r->redirects[i].from, froms[i]);
		}
		dup = find_duplicate(froms, r->n_redirects);
		if (dup != SIZE_MAX)
			fail_at_item_key(w, map, "redirects", dup, "from", "", froms[dup],
					 " is redirected twice");
		for (size_t i = 0; i < r->n_redirects; i++)
			free(froms[i]);
		free(froms);
		if (dup != SIZE_MAX)
			return false;
	}
	return true;
}

/* Objects. */

#define OBJ_POS offsetof(struct model_object, pos)

static const struct uint_range host_id_range = {"host id", 1, UINT16_MAX};

static bool p_host_id(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	uint64_t v;

	if (!read_uint(w, node, &host_id_range, &v))
		return false;
	((struct host *)obj)->id = (uint16_t)v;
	return true;
}

/* An underlay address: unicast, not in 0.0.0.0/8, 127.0.0.0/8 or
 * 224.0.0.0/3 (multicast, reserved, broadcast). */
static bool p_host_address(struct walk *w, const struct doc_node *node, void *obj,
			   const struct field *f)
{
	uint32_t *addr = &((struct host *)obj)->address;
	const char *s;

	if (!p_ipv4(w, node, obj, f))
		return false;
	s = node->scalar;
	if ((*addr >> 24) == 0 || (*addr >> 24) == 127 || (*addr >> 29) == 7) {
		*addr = 0;
		return fail_value(w, node, s,
				  "is not a unicast host address (0/8, 127/8 and 224/3 are "
				  "excluded)");
	}
	return true;
}

static bool p_vtep(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	const char *s = get_scalar(w, node, "a string");

	if (!s)
		return false;
	if (strcmp(s, "kernel"))
		return fail_value(w, node, s, "is not a known VTEP (the only one is kernel)");
	((struct host *)obj)->kernel_vtep = true;
	return true;
}

static const struct field host_fields[] = {
    {"name", p_name, offsetof(struct host, name), 0, F_REQUIRED, NULL},
    {"id", p_host_id, 0, 0, 0, NULL},
    {"address", p_host_address, offsetof(struct host, address), 0, 0, NULL},
    {"capabilities", p_name_list, offsetof(struct host, capabilities),
     offsetof(struct host, n_capabilities), 0, "capability"},
    {"vtep", p_vtep, 0, 0, 0, NULL},
};

static bool p_state(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	int v = 0;

	if (!read_enum(w, node, &states, &v))
		return false;
	((struct link *)obj)->down = v == 1;
	return true;
}

static bool link_check(struct walk *w, const struct doc_node *map, void *obj)
{
	const struct link *l = obj;

	if (!strcmp(l->a, l->b))
		return fail_at_key(w, map, "b", "a link joins two different hosts");
	return true;
}

static const struct field link_fields[] = {
    {"a", p_name, offsetof(struct link, a), 0, F_REQUIRED, NULL},
    {"b", p_name, offsetof(struct link, b), 0, F_REQUIRED, NULL},
    {"latency", p_duration, offsetof(struct link, latency_us), 0, 0, NULL},
    {"bandwidth", p_rate, offsetof(struct link, bandwidth_bps), 0, 0, NULL},
    {"cost", p_cost, offsetof(struct link, cost), 0, 0, NULL},
    {"loss", p_percent, offsetof(struct link, loss_ppm), 0, 0, NULL},
    {"state", p_state, 0, 0, 0, NULL},
};

static const struct uint_range weight_range = {"weight", 0, SL_WEIGHT_MAX};

static bool p_weight(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	return read_uint(w, node, &weight_range, (uint64_t *)((char *)obj + f->offset));
}

static bool weights_check(struct walk *w, const struct doc_node *map, void *obj)
{
	const struct service_level *sl = obj;

	if (!sl->w_latency && !sl->w_cost && !sl->w_hops && !sl->w_loss)
		return fail(w, map, "give at least one weight above 0");
	return true;
}

/* 'minimize: {latency: N, cost: N, hops: N, loss: N}': weights per
 * microsecond, per unit of cost, per hop and per ppm of loss. */
static const struct field weight_fields[] = {
    {"latency", p_weight, offsetof(struct service_level, w_latency), 0, 0, NULL},
    {"cost", p_weight, offsetof(struct service_level, w_cost), 0, 0, NULL},
    {"hops", p_weight, offsetof(struct service_level, w_hops), 0, 0, NULL},
    {"loss", p_weight, offsetof(struct service_level, w_loss), 0, 0, NULL},
};

static const struct schema weights_schema = {
    NULL, weight_fields, ARRAY_SIZE(weight_fields), 0, NO_OFFSET, NO_OFFSET, weights_check,
};

/* A metric's name, or a map of weights. */
static bool p_minimize(struct walk *w, const struct doc_node *node, void *obj,
		       const struct field *f)
{
	struct service_level *sl = obj;
	int v = 0;

	if (node->type == DOC_MAP) {
		sl->w_latency = sl->w_cost = sl->w_hops = sl->w_loss = 0;
		if (!walk_map(w, node, &weights_schema, sl))
			return false;
		sl->minimize = SL_MIN_WEIGHTED;
		return true;
	}
	if (!read_enum(w, node, &metrics, &v))
		return false;
	model_sl_set_metric(sl, (enum sl_metric)v);
	return true;
}

static const struct uint_range dscp_range = {"DSCP", 0, SL_DSCP_MAX};

static bool p_dscp(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	uint64_t v;

	if (!read_uint(w, node, &dscp_range, &v))
		return false;
	((struct service_level *)obj)->dscp = (uint8_t)v;
	return true;
}

/* A list of links "A/B" (either order), each stored as its id (endpoints
 * sorted) and listed once: 'offset' is the 'char **' array, 'offset2' its
 * count. */
static bool p_link_list(struct walk *w, const struct doc_node *node, void *obj,
			const struct field *f)
{
	char ***idsp = (char ***)((char *)obj + f->offset);
	size_t *np = (size_t *)((char *)obj + f->offset2);
	size_t dup;

	if (node->type == DOC_NULL)
		return true;
	if (node->type != DOC_SEQ)
		return fail_type(w, node, "a list");
	if (!node->n)
		return true;
	*idsp = xcalloc(node->n, sizeof **idsp);
	*np = node->n;
	for (size_t i = 0; i < node->n; i++) {
		size_t old = path_push_index(w, i);
		const char *s = get_scalar(w, node->items[i], "a link");
		const char *slash = s ? strchr(s, '/') : NULL;
		char *a = slash ? xmemdup0(s, (size_t)(slash - s)) : NULL;
		const char *b = slash ? slash + 1 : NULL;
		bool ok = s != NULL;

		if (ok && (!a || !codec_name_is_valid(a) || !codec_name_is_valid(b)))
			ok = fail_value(w, node->items[i], s,
					"is not a link (\"A/B\", two host names)");
		else if (ok && !strcmp(a, b))
			ok = fail_value(w, node->items[i], s,
					"is not a link (a link joins two different hosts)");
		if (ok)
			(*idsp)[i] =
			    strcmp(a, b) < 0 ? xasprintf("%s/%s", a, b) : xasprintf("%s/%s", b, a);
		free(a);
		path_pop(w, old);
		if (!ok)
			return false;
	}
	dup = find_duplicate(*idsp, node->n);
	if (dup != SIZE_MAX) {
		size_t old = path_push_index(w, dup);

		fail_quoted(w, node->items[dup], "duplicate link ", (*idsp)[dup], "%s", "");
		path_pop(w, old);
		return false;
	}
	return true;
}

static const struct field service_level_fields[] = {
    {"name", p_name, offsetof(struct service_level, name), 0, F_REQUIRED | F_FLAT, NULL},
    {"minimize", p_minimize, 0, 0, F_REQUIRED, NULL},
    {"min_bandwidth", p_rate, offsetof(struct service_level, min_bandwidth_bps), 0, 0, NULL},
    {"via_capability", p_name, offsetof(struct service_level, via_capability), 0, 0, NULL},
    {"dscp", p_dscp, 0, 0, 0, NULL},
    {"exclude_hosts", p_name_list, offsetof(struct service_level, exclude_hosts),
     offsetof(struct service_level, n_exclude_hosts), 0, "host"},
    {"exclude_links", p_link_list, offsetof(struct service_level, exclude_links),
     offsetof(struct service_level, n_exclude_links), 0, NULL},
};

/* A byte size above zero ("500mb", "1gib"). */
static bool p_quota(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	const char *s = get_scalar(w, node, "a size");
	uint64_t *bytes = (uint64_t *)((char *)obj + f->offset);

	if (!s || !unit_parsed(w, node, units_parse_size(s, bytes)))
		return false;
	if (!*bytes)
		return fail_value(w, node, s,
				  "is zero (a quota must be more than 0; leave premium_quota out "
				  "for none)");
	return true;
}

/* A fallback goes with a quota (where the tenant goes when it is used
 * up), silver unless given, and is never the tenant's own level. */
static bool tenant_check(struct walk *w, const struct doc_node *map, void *obj)
{
	struct tenant *t = obj;
	const char *level = t->service_level ? t->service_level : DEFAULT_SERVICE_LEVEL;
	bool given = doc_map_get(map, "fallback") != NULL;
	char *msg;

	if (t->fallback && !t->premium_quota)
		return fail_at_key(w, map, "fallback",
				   "a fallback needs a premium_quota (it is the service level "
				   "once the quota is used up)");
	if (t->premium_quota && !t->fallback)
		t->fallback = xstrdup(DEFAULT_FALLBACK);
	if (!t->fallback || strcmp(t->fallback, level))
		return true;
	msg = xasprintf("the fallback \"%s\" is the tenant's own service level%s", level,
			given ? "" : " (silver unless given: name another under fallback)");
	fail_at_key(w, map, given ? "fallback" : "premium_quota", msg);
	free(msg);
	return false;
}

/* An SNMP community (a secret: not quoted in messages). */
static bool p_community(struct walk *w, const struct doc_node *node, void *obj,
			const struct field *f)
{
	const char *s = get_scalar(w, node, "a community string");

	if (!s)
		return false;
	if (!model_community_is_valid(s))
		return fail(w, node,
			    "is not a valid community (1 to %d printable characters, no space "
			    "and no '@')",
			    TENANT_COMMUNITY_MAX_LEN);
	*member_str(obj, f) = xstrdup(s);
	return true;
}

/* "A.B.C.D:PORT" into 'r'. */
static bool parse_trap_receiver(const char *s, struct snmp_trap_receiver *r)
{
	const char *colon = strrchr(s, ':');
	char *addr, *end;
	unsigned long port;
	bool ok;

	if (!colon || !colon[1] || colon[1] == '+' || colon[1] == '-')
		return false;
	port = strtoul(colon + 1, &end, 10);
	if (*end || !port || port > 65535)
		return false;
	addr = xmemdup0(s, (size_t)(colon - s));
	ok = ipv4_parse(addr, &r->ip);
	free(addr);
	r->port = (uint16_t)port;
	return ok;
}

/* The trap receivers: a list of "A.B.C.D:PORT", each once. */
static bool p_trap_receivers(struct walk *w, const struct doc_node *node, void *obj,
			     const struct field *f)
{
	struct tenant_snmp *ts = obj;

	if (node->type == DOC_NULL)
		return true;
	if (node->type != DOC_SEQ)
		return fail_type(w, node, "a list");
	if (node->n > TENANT_TRAP_RECEIVERS_MAX)
		return fail(w, node, "has %zu receivers (at most %d)", node->n,
			    TENANT_TRAP_RECEIVERS_MAX);
	if (!node->n)
		return true;
	ts->trap_receivers = xcalloc(node->n, sizeof *ts->trap_receivers);
	ts->n_trap_receivers = node->n;
	for (size_t i = 0; i < node->n; i++) {
		size_t old = path_push_index(w, i);
		const char *s = get_scalar(w, node->items[i], "a receiver \"ADDR:PORT\"");
		struct snmp_trap_receiver *r = &ts->trap_receivers[i];
		bool ok = s != NULL;

		if (ok && !parse_trap_receiver(s, r))
			ok = fail_value(
			    w, node->items[i], s,
			    "is not a trap receiver (\"A.B.C.D:PORT\", port 1 to 65535)");
		for (size_t j = 0; ok && j < i; j++)
			if (ts->trap_receivers[j].ip == r->ip &&
			    ts->trap_receivers[j].port == r->port)
				ok = fail_value(w, node->items[i], s, "is listed twice");
		path_pop(w, old);
		if (!ok)
			return false;
	}
	return true;
}

static bool tenant_snmp_check(struct walk *w, const struct doc_node *map, void *obj)
{
	const struct tenant_snmp *ts = obj;

	if (ts->ro_community && ts->rw_community && !strcmp(ts->ro_community, ts->rw_community))
		return fail_at_key(w, map, "rw_community",
				   "is the ro_community (the community says the access)");
	return true;
}

static const struct field tenant_snmp_fields[] = {
    {"ro_community", p_community, offsetof(struct tenant_snmp, ro_community), 0, 0, NULL},
    {"rw_community", p_community, offsetof(struct tenant_snmp, rw_community), 0, 0, NULL},
    {"trap_receivers", p_trap_receivers, 0, 0, 0, NULL},
};

static const struct schema tenant_snmp_schema = {
    NULL,      tenant_snmp_fields, ARRAY_SIZE(tenant_snmp_fields), 0, NO_OFFSET,
    NO_OFFSET, tenant_snmp_check,
};

static field_parser p_map; /* below, with the networks' routing */

static const struct field tenant_fields[] = {
    {"name", p_name, offsetof(struct tenant, name), 0, F_REQUIRED, NULL},
    {"service_level", p_name, offsetof(struct tenant, service_level), 0, 0, NULL},
    {"users", p_list, offsetof(struct tenant, users), offsetof(struct tenant, n_users), 0,
     &user_schema},
    {"networks", NULL, 0, 0, F_NESTED, NULL},
    {"premium_quota", p_quota, offsetof(struct tenant, premium_quota), 0, 0, NULL},
    {"fallback", p_name, offsetof(struct tenant, fallback), 0, 0, NULL},
    {"quarantine", p_bool, offsetof(struct tenant, quarantine), 0, 0, NULL},
    {"snmp", p_map, offsetof(struct tenant, snmp), 0, 0, &tenant_snmp_schema},
};

static bool network_check(struct walk *w, const struct doc_node *map, void *obj)
{
	const struct network *n = obj;
	struct name_index groups;
	char **names;
	bool ok = true;

	if (!n->n_groups)
		return true;
	/* A rule's group must be one of this network's groups (names are
	 * unique already). */
	names = xcalloc(n->n_groups, sizeof *names);
	for (size_t i = 0; i < n->n_groups; i++)
		names[i] = n->groups[i].name;
	name_index_init(&groups, names, n->n_groups);
	for (size_t i = 0; i < n->n_groups; i++)
		groups.slots[name_index_slot(&groups, names[i])] = i + 1;

	for (size_t i = 0; i < n->n_groups && ok; i++) {
		const struct security_group *g = &n->groups[i];

		for (size_t j = 0; j < g->n_rules && ok; j++) {
			const struct sg_rule *r = &g->rules[j];
			const struct doc_node *rule_map;
			const char *key;
			size_t old;

			if (!r->remote_group || name_index_contains(&groups, r->remote_group))
				continue;
			rule_map =
			    doc_map_get(doc_map_get(map, "security_groups")->items[i], "rules")
				->items[j];
			key = r->dir == SG_IN ? "from_group" : "to_group";
			old = path_push_key(w, "security_groups");
			path_push_index(w, i);
			path_push_key(w, "rules");
			path_push_index(w, j);
			path_push_key(w, key);
			ok = fail_quoted(w, doc_map_get(rule_map, key), "no security group ",
					 r->remote_group, " in this network");
			path_pop(w, old);
		}
	}
	name_index_uninit(&groups);
	free(names);
	return ok;
}

/* A sub-map of schema 'arg' read into the member at 'offset'. */
static bool p_map(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	if (node->type == DOC_NULL)
		return true;
	return walk_map(w, node, f->arg, (char *)obj + f->offset);
}

/* A coefficient: a decimal from 0 to 1000 with at most 3 decimals, as a
 * number or a string ("0.5"), in thousandths. */
static bool p_coef(struct walk *w, const struct doc_node *node, void *obj, const struct field *f)
{
	const char *s = get_scalar(w, node, "a number");
	uint64_t milli;
	char *msg;

	if (!s)
		return false;
	msg = units_parse_milli(s, VN_COEF_MAX, &milli);
	free(msg);
	if (msg)
		return fail_value(w, node, s,
				  "is not a valid coefficient (a number from 0 to 1000 with at "
				  "most 3 decimals)");
	*(uint32_t *)((char *)obj + f->offset) = (uint32_t)milli;
	return true;
}

#define COEF_OFFSET(ATTR) (offsetof(struct vn_routing, coef_milli) + (ATTR) * sizeof(uint32_t))

static const struct field coef_fields[] = {
    {"latency", p_coef, COEF_OFFSET(SL_ATTR_LATENCY), 0, 0, NULL},
    {"cost", p_coef, COEF_OFFSET(SL_ATTR_COST), 0, 0, NULL},
    {"hops", p_coef, COEF_OFFSET(SL_ATTR_HOPS), 0, 0, NULL},
    {"loss", p_coef, COEF_OFFSET(SL_ATTR_LOSS), 0, 0, NULL},
};

static const struct schema coef_schema = {
    NULL, coef_fields, ARRAY_SIZE(coef_fields), 0, NO_OFFSET, NO_OFFSET, NULL,
};

/* A path joins two different hosts through at least one other, none twice
 * (p_name_list refuses repeats within 'via'). */
static bool path_check(struct walk *w, const struct doc_node *map, void *obj)
{
	const struct vn_path *p = obj;

	if (!strcmp(p->from, p->to))
		return fail_at_key(w, map, "to", "a path joins two different hosts");
	if (!p->n_via)
		return fail_at_key(w, map, "via",
				   "a path goes through at least one host (without one, give no "
				   "path)");
	for (size_t i = 0; i < p->n_via; i++) {
		const char *end = !strcmp(p->via[i], p->from) ? "from"
				  : !strcmp(p->via[i], p->to) ? "to"
							      : NULL;
		if (end) {
			size_t old = path_push_key(w, "via");

			path_push_index(w, i);
			fail_quoted(w, doc_map_get(map, "via")->items[i], "host ", p->via[i],
				    " is the path's %s, not a host on the way", end);
			path_pop(w, old);
			return false;
		}
	}
	return true;
}

static const struct field path_fields[] = {
    {"from", p_name, offsetof(struct vn_path, from), 0, F_REQUIRED, NULL},
    {"to", p_name, offsetof(struct vn_path, to), 0, F_REQUIRED, NULL},
    {"via", p_name_list, offsetof(struct vn_path, via), offsetof(struct vn_path, n_via), F_REQUIRED,
     "host"},
};

static const struct schema path_schema = {
    "path",
    path_fields,
    ARRAY_SIZE(path_fields),
    sizeof(struct vn_path),
    offsetof(struct vn_path, pos),
    NO_OFFSET,
    path_check,
};

/* fail_quoted() at 'key'[index] of 'map'. */
static bool fail_at_item(struct walk *w, const struct doc_node *map, const char *key, size_t index,
			 const char *before, const char *value, const char *after)
{
	size_t old = path_push_key(w, key);

	path_push_index(w, index);
	fail_quoted(w, doc_map_get(map, key)->items[index], before, value, "%s", after);
	path_pop(w, old);
	return false;
}

/* One path per (from, to); no host both preferred and avoided. */
static bool routing_check(struct walk *w, const struct doc_node *map, void *obj)
{
	const struct vn_routing *r = obj;
	size_t dup = SIZE_MAX;

	if (r->n_paths > 1) {
		char **ends = xcalloc(r->n_paths, sizeof *ends);

		for (size_t i = 0; i < r->n_paths; i++)
			ends[i] = xasprintf("%s/%s", r->paths[i].from, r->paths[i].to);
		dup = find_duplicate(ends, r->n_paths);
		for (size_t i = 0; i < r->n_paths; i++)
			free(ends[i]);
		free(ends);
	}
	if (dup != SIZE_MAX) {
		const struct vn_path *p = &r->paths[dup];
		char *before = xasprintf("a second path from \"%s\" to ", p->from);

		fail_at_item(w, map, "paths", dup, before, p->to, " (one path per from and to)");
		free(before);
		return false;
	}
	if (r->n_prefer_hosts && r->n_avoid_hosts) {
		struct name_index prefer;
		bool ok = true;

		name_index_init(&prefer, r->prefer_hosts, r->n_prefer_hosts);
		for (size_t i = 0; i < r->n_prefer_hosts; i++)
			prefer.slots[name_index_slot(&prefer, r->prefer_hosts[i])] = i + 1;
		for (size_t i = 0; i < r->n_avoid_hosts && ok; i++)
			if (name_index_contains(&prefer, r->avoid_hosts[i]))
				ok = fail_at_item(w, map, "avoid_hosts", i, "host ",
						  r->avoid_hosts[i], " is also in prefer_hosts");
		name_index_uninit(&prefer);
		return ok;
	}
	return true;
}

static const struct field routing_fields[] = {
    {"coefficients", p_map, offsetof(struct vn_routing, coef_milli), 0, 0, &coef_schema},
    {"paths", p_list, offsetof(struct vn_routing, paths), offsetof(struct vn_routing, n_paths), 0,
     &path_schema},
    {"prefer_hosts", p_name_list, offsetof(struct vn_routing, prefer_hosts),
     offsetof(struct vn_routing, n_prefer_hosts), 0, "host"},
    {"avoid_hosts", p_name_list, offsetof(struct vn_routing, avoid_hosts),
     offsetof(struct vn_routing, n_avoid_hosts), 0, "host"},
};

static const struct schema routing_schema = {
    NULL, routing_fields, ARRAY_SIZE(routing_fields), 0, NO_OFFSET, NO_OFFSET, routing_check,
};

static const struct field network_fields[] = {
    {"tenant", p_name, offsetof(struct network, tenant), 0, F_REQUIRED | F_FLAT, NULL},
    {"name", p_name, offsetof(struct network, name), 0, F_REQUIRED, NULL},
    {"vni", p_vni, offsetof(struct network, vni), 0, 0, NULL},
    {"subnets", p_list, offsetof(struct network, subnets), offsetof(struct network, n_subnets), 0,
     &subnet_schema},
    {"routers", NULL, 0, 0, F_NESTED, NULL},
    {"security_groups", p_list, offsetof(struct network, groups),
     offsetof(struct network, n_groups), 0, &group_schema},
    {"instances", NULL, 0, 0, F_NESTED, NULL},
    {"routing", p_map, offsetof(struct network, routing), 0, 0, &routing_schema},
};

static const struct field router_fields[] = {
    {"tenant", p_name, offsetof(struct router, tenant), 0, F_REQUIRED | F_FLAT, NULL},
    {"network", p_name, offsetof(struct router, network), 0, F_REQUIRED | F_FLAT, NULL},
    {"name", p_name, offsetof(struct router, name), 0, F_REQUIRED, NULL},
    {"interfaces", p_list, offsetof(struct router, interfaces),
     offsetof(struct router, n_interfaces), 0, &interface_schema},
    {"routes", p_list, offsetof(struct router, routes), offsetof(struct router, n_routes), 0,
     &route_schema},
    {"redirects", p_list, offsetof(struct router, redirects), offsetof(struct router, n_redirects),
     0, &redirect_schema},
    {"access_lists", p_list, offsetof(struct router, acls), offsetof(struct router, n_acls), 0,
     &acl_schema},
    {"ssh_listen", p_listen, offsetof(struct router, ssh_listen), 0, 0, NULL},
};

static const struct field instance_fields[] = {
    {"tenant", p_name, offsetof(struct instance, tenant), 0, F_REQUIRED | F_FLAT, NULL},
    {"network", p_name, offsetof(struct instance, network), 0, F_REQUIRED | F_FLAT, NULL},
    {"name", p_name, offsetof(struct instance, name), 0, F_REQUIRED, NULL},
    {"subnet", p_name, offsetof(struct instance, subnet), 0, F_REQUIRED, NULL},
    {"host", p_name, offsetof(struct instance, host), 0, F_REQUIRED, NULL},
    {"ip", p_ipv4, offsetof(struct instance, ip), 0, F_REQUIRED, NULL},
    {"mac", p_mac, offsetof(struct instance, mac), 0, 0, NULL},
    {"security_groups", p_name_list, offsetof(struct instance, security_groups),
     offsetof(struct instance, n_security_groups), 0, "security group"},
};

#define OBJECT_SCHEMA(FIELDS, TYPE, CHECK)                                                         \
	{                                                                                          \
		NULL, FIELDS, ARRAY_SIZE(FIELDS), sizeof(TYPE), OBJ_POS, NO_OFFSET, CHECK          \
	}

static const struct schema object_schemas[MODEL_N_KINDS] = {
    [MODEL_HOST] = OBJECT_SCHEMA(host_fields, struct host, NULL),
    [MODEL_LINK] = OBJECT_SCHEMA(link_fields, struct link, link_check),
    [MODEL_SERVICE_LEVEL] = OBJECT_SCHEMA(service_level_fields, struct service_level, NULL),
    [MODEL_TENANT] = OBJECT_SCHEMA(tenant_fields, struct tenant, tenant_check),
    [MODEL_NETWORK] = OBJECT_SCHEMA(network_fields, struct network, network_check),
    [MODEL_ROUTER] = OBJECT_SCHEMA(router_fields, struct router, router_check),
    [MODEL_INSTANCE] = OBJECT_SCHEMA(instance_fields, struct instance, NULL),
};

/* Where an object sits in the topology file: its tenant and network (for
 * the objects nested in them) or its name (service levels, keyed by name). */
struct parent {
	const char *tenant;
	const char *network;
	const char *name;
};

static char *id_join(const char *a, const char *b, const char *c)
{
	return c ? xasprintf("%s/%s/%s", a, b, c) : xasprintf("%s/%s", a, b);
}

/* Reads one object of 'kind' from map 'node'. In the nested form 'parent'
 * supplies what the nesting says. Returns NULL after an error. */
static struct model_object *read_object(struct walk *w, enum model_kind kind,
					const struct doc_node *node, const struct parent *parent)
{
	const struct schema *s = &object_schemas[kind];
	struct model_object *obj = xzalloc(s->size);

	obj->kind = kind;
	switch (kind) {
	case MODEL_LINK:
		CONTAINER_OF(obj, struct link, hdr)->cost = 1;
		break;
	case MODEL_SERVICE_LEVEL: {
		struct service_level *sl = CONTAINER_OF(obj, struct service_level, hdr);

		if (parent && parent->name)
			sl->name = xstrdup(parent->name);
		sl->dscp = SL_DSCP_UNSET;
		break;
	}
	case MODEL_NETWORK: {
		struct network *n = CONTAINER_OF(obj, struct network, hdr);

		if (parent && parent->tenant)
			n->tenant = xstrdup(parent->tenant);
		for (size_t i = 0; i < SL_N_ATTRS; i++)
			n->routing.coef_milli[i] = VN_COEF_DEFAULT;
		break;
	}
	case MODEL_ROUTER: {
		struct router *r = CONTAINER_OF(obj, struct router, hdr);

		if (parent && parent->tenant) {
			r->tenant = xstrdup(parent->tenant);
			r->network = xstrdup(parent->network);
		}
		break;
	}
	case MODEL_INSTANCE: {
		struct instance *in = CONTAINER_OF(obj, struct instance, hdr);

		if (parent && parent->tenant) {
			in->tenant = xstrdup(parent->tenant);
			in->network = xstrdup(parent->network);
		}
		break;
	}
	default:
		break;
	}

	if (!walk_map(w, node, s, obj)) {
		model_object_destroy(obj);
		return NULL;
	}

	switch (kind) {
	case MODEL_HOST:
		obj->id = xstrdup(CONTAINER_OF(obj, struct host, hdr)->name);
		break;
	case MODEL_LINK: {
		const struct link *l = CONTAINER_OF(obj, struct link, hdr);
		bool ordered = strcmp(l->a, l->b) < 0;

		obj->id = id_join(ordered ? l->a : l->b, ordered ? l->b : l->a, NULL);
		break;
	}
	case MODEL_SERVICE_LEVEL:
		obj->id = xstrdup(CONTAINER_OF(obj, struct service_level, hdr)->name);
		break;
	case MODEL_TENANT: {
		struct tenant *t = CONTAINER_OF(obj, struct tenant, hdr);

		if (!t->service_level)
			t->service_level = xstrdup(DEFAULT_SERVICE_LEVEL);
		obj->id = xstrdup(t->name);
		break;
	}
	case MODEL_NETWORK: {
		const struct network *n = CONTAINER_OF(obj, struct network, hdr);

		obj->id = id_join(n->tenant, n->name, NULL);
		break;
	}
	case MODEL_ROUTER: {
		const struct router *r = CONTAINER_OF(obj, struct router, hdr);

		obj->id = id_join(r->tenant, r->network, r->name);
		break;
	}
	case MODEL_INSTANCE: {
		const struct instance *in = CONTAINER_OF(obj, struct instance, hdr);

		obj->id = id_join(in->tenant, in->network, in->name);
		break;
	}
	case MODEL_N_KINDS:
		break;
	}
	return obj;
}

/*
 * The topology file.
 */

static const struct field top_fields[] = {
    {"substrate", NULL, 0, 0, 0, NULL},
    {"service_levels", NULL, 0, 0, 0, NULL},
    {"tenants", NULL, 0, 0, 0, NULL},
};

static const struct schema top_schema = {
    NULL, top_fields, ARRAY_SIZE(top_fields), 0, NO_OFFSET, NO_OFFSET, NULL,
};

static const struct field substrate_fields[] = {
    {"hosts", NULL, 0, 0, 0, NULL},
    {"links", NULL, 0, 0, 0, NULL},
};

static const struct schema substrate_schema = {
    NULL, substrate_fields, ARRAY_SIZE(substrate_fields), 0, NO_OFFSET, NO_OFFSET, NULL,
};

/* Reads the list under 'key' of 'map' (absent or null: nothing), each item
 * an object of 'kind', into 't'. */
static bool read_object_list(struct walk *w, const struct doc_node *map, const char *key,
			     enum model_kind kind, const struct parent *parent, struct topology *t)
{
	const struct doc_node *list = doc_map_get(map, key);
	size_t old;
	bool ok = true;

	if (!list || list->type == DOC_NULL)
		return true;
	old = path_push_key(w, key);
	if (list->type != DOC_SEQ) {
		ok = fail_type(w, list, "a list");
	} else {
		for (size_t i = 0; i < list->n && ok; i++) {
			size_t old_i = path_push_index(w, i);
			struct model_object *obj = read_object(w, kind, list->items[i], parent);

			path_pop(w, old_i);
			if (obj)
				topology_add(t, obj);
			ok = obj != NULL;
		}
	}
	path_pop(w, old);
	return ok;
}

static bool read_substrate(struct walk *w, const struct doc_node *root, struct topology *t)
{
	const struct doc_node *sub = doc_map_get(root, "substrate");
	size_t old;
	bool ok;

	if (!sub || sub->type == DOC_NULL)
		return true;
	old = path_push_key(w, "substrate");
	ok = walk_map(w, sub, &substrate_schema, NULL) &&
	     read_object_list(w, sub, "hosts", MODEL_HOST, NULL, t) &&
	     read_object_list(w, sub, "links", MODEL_LINK, NULL, t);
	path_pop(w, old);
	return ok;
}

static bool read_service_levels(struct walk *w, const struct doc_node *root, struct topology *t)
{
	const struct doc_node *map = doc_map_get(root, "service_levels");
	size_t old;
	bool ok = true;

	if (!map || map->type == DOC_NULL)
		return true;
	old = path_push_key(w, "service_levels");
	if (map->type != DOC_MAP) {
		ok = fail_type(w, map, "a map");
	} else {
		for (size_t i = 0; i < map->n && ok; i++) {
			const struct doc_node *key = map->pairs[i].key;
			struct parent parent = {NULL, NULL, key->scalar};
			struct model_object *obj;
			size_t old_key;

			if (!codec_name_is_valid(key->scalar)) {
				ok = fail_value(w, key, key->scalar,
						"is not a valid name ([a-z0-9][a-z0-9-]*, at most "
						"%d characters)",
						NAME_MAX_LEN);
				break;
			}
			old_key = path_push_key(w, key->scalar);
			obj = read_object(w, MODEL_SERVICE_LEVEL, map->pairs[i].value, &parent);
			path_pop(w, old_key);
			if (obj)
				topology_add(t, obj);
			ok = obj != NULL;
		}
	}
	path_pop(w, old);
	return ok;
}

/* Reads the networks of tenant 'name' at 'node' (with their routers and
 * instances) into 'rest'. */
static bool read_networks(struct walk *w, const struct doc_node *tenant_map, const char *name,
			  struct topology *rest)
{
	const struct doc_node *list = doc_map_get(tenant_map, "networks");
	struct parent parent = {name, NULL, NULL};
	size_t old;
	bool ok = true;

	if (!list || list->type == DOC_NULL)
		return true;
	old = path_push_key(w, "networks");
	if (list->type != DOC_SEQ) {
		ok = fail_type(w, list, "a list");
	} else {
		for (size_t i = 0; i < list->n && ok; i++) {
			size_t old_i = path_push_index(w, i);
			struct model_object *obj;

			obj = read_object(w, MODEL_NETWORK, list->items[i], &parent);
			if (obj) {
				struct parent inner = {
				    name, CONTAINER_OF(obj, struct network, hdr)->name, NULL};

				topology_add(rest, obj);
				ok = read_object_list(w, list->items[i], "routers", MODEL_ROUTER,
						      &inner, rest) &&
				     read_object_list(w, list->items[i], "instances",
						      MODEL_INSTANCE, &inner, rest);
			} else {
				ok = false;
			}
			path_pop(w, old_i);
		}
	}
	path_pop(w, old);
	return ok;
}

static bool read_tenants(struct walk *w, const struct doc_node *root, struct topology *t)
{
	const struct doc_node *list = doc_map_get(root, "tenants");
	struct topology *rest;
	size_t old;
	bool ok = true;

	if (!list || list->type == DOC_NULL)
		return true;
	old = path_push_key(w, "tenants");
	if (list->type != DOC_SEQ) {
		path_pop(w, old);
		return fail_type(w, list, "a list");
	}
	/* Tenants first, then what they hold, read in file order. */
	rest = topology_create(NULL);
	for (size_t i = 0; i < list->n && ok; i++) {
		size_t old_i = path_push_index(w, i);
		struct model_object *obj = read_object(w, MODEL_TENANT, list->items[i], NULL);

		if (obj) {
			topology_add(t, obj);
			ok = read_networks(w, list->items[i],
					   CONTAINER_OF(obj, struct tenant, hdr)->name, rest);
		} else {
			ok = false;
		}
		path_pop(w, old_i);
	}
	path_pop(w, old);
	if (ok) {
		for (size_t i = 0; i < rest->n_objects; i++)
			topology_add(t, rest->objects[i]);
		rest->n_objects = 0;
	}
	topology_destroy(rest);
	return ok;
}

/* Reads a whole topology file from its document (see codec.h). */
char *codec_topology_from_doc(const struct doc_node *root, const char *source,
			      struct topology **out)
{
	struct walk w = {source, false, DS_EMPTY_INITIALIZER, NULL};
	struct topology *t = topology_create(source);

	*out = NULL;
	if (root->type != DOC_NULL) {
		if (!walk_map(&w, root, &top_schema, NULL) || !read_substrate(&w, root, t) ||
		    !read_service_levels(&w, root, t) || !read_tenants(&w, root, t)) {
			topology_destroy(t);
			ds_destroy(&w.path);
			return w.error;
		}
	}
	ds_destroy(&w.path);
	*out = t;
	return NULL;
}

/* Parses 'buf' (YAML, or JSON if 'json') into a topology (see codec.h). */
char *codec_topology_parse(const char *buf, size_t len, const char *source, bool json,
			   struct topology **out)
{
	struct doc_node *root;
	char *error;

	*out = NULL;
	error = json ? doc_parse_json(buf, len, source, &root)
		     : doc_parse_yaml(buf, len, source, &root);
	if (error)
		return error;
	error = codec_topology_from_doc(root, source, out);
	doc_free(root);
	return error;
}

/* Reads one object of 'kind' in its flat form (see codec.h). */
char *codec_object_from_doc(enum model_kind kind, const struct doc_node *node, const char *source,
			    struct model_object **out)
{
	struct walk w = {source, true, DS_EMPTY_INITIALIZER, NULL};

	*out = NULL;
	if ((unsigned int)kind >= MODEL_N_KINDS)
		return xasprintf("%s: unknown kind of object", source);
	*out = read_object(&w, kind, node, NULL);
	ds_destroy(&w.path);
	return w.error;
}

/* Parses 'buf' as JSON holding one object of 'kind' (see codec.h). */
char *codec_object_parse_json(enum model_kind kind, const char *buf, size_t len, const char *source,
			      struct model_object **out)
{
	struct doc_node *root;
	char *error;

	*out = NULL;
	error = doc_parse_json(buf, len, source, &root);
	if (error)
		return error;
	error = codec_object_from_doc(kind, root, source, out);
	doc_free(root);
	return error;
}

/*
 * Output.
 *
 * Objects are written straight into a string, with keys in a fixed order:
 * that string is the canonical form (model_diff compares it byte for byte,
 * the store keeps it, GET lists concatenate it). Building a jansson value
 * first would allocate a hash table per object only to print it, which
 * made serialization the largest part of validating a big topology
 * (bench/run.sh); codec_object_to_json() parses the string instead, so
 * there is one definition of the output.
 */

struct writer {
	struct ds out; /* the JSON text so far */
	bool first;    /* no member written yet in the innermost object/array */
};

static void w_sep(struct writer *w)
{
	if (!w->first)
		ds_put_char(&w->out, ',');
	w->first = false;
}

/* A JSON string: escapes '"', '\\' and control characters; UTF-8 passes
 * through (inputs were validated as UTF-8 by libyaml or jansson). */
static void w_string(struct writer *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	ds_put_char(&w->out, '"');
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		size_t plain = 0;

		/* Copy a run of characters that need no escape at once. */
		while (p[plain] && (unsigned char)p[plain] >= 0x20 && p[plain] != '"' &&
		       p[plain] != '\\')
			plain++;
		if (plain) {
			ds_put_buffer(&w->out, p, plain);
			p += plain - 1;
			continue;
		}
		if (c == '"' || c == '\\') {
			ds_put_char(&w->out, '\\');
			ds_put_char(&w->out, (char)c);
		} else if (c < 0x20) {
			char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], '\0'};

			ds_put_cstr(&w->out, esc);
		} else {
			ds_put_char(&w->out, (char)c);
		}
	}
	ds_put_char(&w->out, '"');
}

static void w_key(struct writer *w, const char *key)
{
	w_sep(w);
	w_string(w, key);
	ds_put_char(&w->out, ':');
}

static void w_begin(struct writer *w, char bracket)
{
	ds_put_char(&w->out, bracket);
	w->first = true;
}

static void w_end(struct writer *w, char bracket)
{
	ds_put_char(&w->out, bracket);
	w->first = false;
}

/* Begins an object as an array element. */
static void w_item_begin(struct writer *w)
{
	w_sep(w);
	w_begin(w, '{');
}

static void put_str(struct writer *w, const char *key, const char *s)
{
	w_key(w, key);
	w_string(w, s ? s : "");
}

static void put_int(struct writer *w, const char *key, uint64_t v)
{
	char digits[20], *p = digits + sizeof digits;

	w_key(w, key);
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	ds_put_buffer(&w->out, p, (size_t)(digits + sizeof digits - p));
}

static void put_ipv4(struct writer *w, const char *key, uint32_t addr)
{
	char buf[IPV4_ADDR_STRLEN];

	ipv4_format(addr, buf);
	put_str(w, key, buf);
}

static void put_prefix(struct writer *w, const char *key, const struct ipv4_prefix *p)
{
	char buf[IPV4_PREFIX_STRLEN];

	ipv4_prefix_format(p, buf);
	put_str(w, key, buf);
}

static void put_names(struct writer *w, const char *key, char *const *names, size_t n)
{
	w_key(w, key);
	w_begin(w, '[');
	for (size_t i = 0; i < n; i++) {
		w_sep(w);
		w_string(w, names[i] ? names[i] : "");
	}
	w_end(w, ']');
}

static void host_write(struct writer *w, const struct host *h)
{
	put_str(w, "name", h->name);
	if (h->id)
		put_int(w, "id", h->id);
	if (h->address)
		put_ipv4(w, "address", h->address);
	put_names(w, "capabilities", h->capabilities, h->n_capabilities);
	if (h->kernel_vtep)
		put_str(w, "vtep", "kernel");
}

static void link_write(struct writer *w, const struct link *l)
{
	char buf[UNITS_STRLEN];

	put_str(w, "a", l->a);
	put_str(w, "b", l->b);
	units_format_duration_us(l->latency_us, buf);
	put_str(w, "latency", buf);
	if (l->bandwidth_bps) {
		units_format_rate_bps(l->bandwidth_bps, buf);
		put_str(w, "bandwidth", buf);
	}
	put_int(w, "cost", l->cost);
	units_format_percent_ppm(l->loss_ppm, buf);
	put_str(w, "loss", buf);
	put_str(w, "state", l->down ? "down" : "up");
}

static void put_bool(struct writer *w, const char *key, bool v)
{
	w_key(w, key);
	ds_put_cstr(&w->out, v ? "true" : "false");
}

/* New keys are written only when they differ from their defaults, so
 * that objects which do not use them keep their text (and the store its
 * contents). */
static void service_level_write(struct writer *w, const struct service_level *sl)
{
	char buf[UNITS_STRLEN];

	put_str(w, "name", sl->name);
	if (sl->minimize == SL_MIN_WEIGHTED) {
		w_key(w, "minimize");
		w_begin(w, '{');
		if (sl->w_latency)
			put_int(w, "latency", sl->w_latency);
		if (sl->w_cost)
			put_int(w, "cost", sl->w_cost);
		if (sl->w_hops)
			put_int(w, "hops", sl->w_hops);
		if (sl->w_loss)
			put_int(w, "loss", sl->w_loss);
		w_end(w, '}');
	} else {
		put_str(w, "minimize", codec_sl_metric_name(sl->minimize));
	}
	if (sl->min_bandwidth_bps) {
		units_format_rate_bps(sl->min_bandwidth_bps, buf);
		put_str(w, "min_bandwidth", buf);
	}
	if (sl->via_capability)
		put_str(w, "via_capability", sl->via_capability);
	/* Unset before allocation; a built-in name's own DSCP is its default. */
	if (sl->dscp != SL_DSCP_UNSET && sl->dscp != model_builtin_dscp(sl->name))
		put_int(w, "dscp", sl->dscp);
	if (sl->n_exclude_hosts)
		put_names(w, "exclude_hosts", sl->exclude_hosts, sl->n_exclude_hosts);
	if (sl->n_exclude_links)
		put_names(w, "exclude_links", sl->exclude_links, sl->n_exclude_links);
}

/* "30s", "10m", "1h", or "0" for never: the largest unit that is exact. */
static void format_exec_timeout(uint32_t seconds, char buf[UNITS_STRLEN])
{
	size_t i = ARRAY_SIZE(timeout_units);

	if (!seconds) {
		snprintf(buf, UNITS_STRLEN, "0");
		return;
	}
	while (--i > 0 && seconds % timeout_units[i].seconds)
		continue;
	snprintf(buf, UNITS_STRLEN, "%" PRIu32 "%s", seconds / timeout_units[i].seconds,
		 timeout_units[i].unit);
}

/* The keys a user has beyond name, role and password, each only when it
 * is not its default. */
static void user_extra_write(struct writer *w, const struct user *u)
{
	if (u->n_public_keys)
		put_names(w, "public_keys", u->public_keys, u->n_public_keys);
	if (u->style != USER_STYLE_IOS)
		put_str(w, "style", codec_user_style_name(u->style));
	if (u->exec_timeout_s != USER_EXEC_TIMEOUT_DEFAULT_S) {
		char buf[UNITS_STRLEN];

		format_exec_timeout(u->exec_timeout_s, buf);
		put_str(w, "exec_timeout", buf);
	}
	if (u->n_aliases) {
		w_key(w, "aliases");
		w_begin(w, '[');
		for (size_t i = 0; i < u->n_aliases; i++) {
			w_item_begin(w);
			put_str(w, "name", u->aliases[i].name);
			put_str(w, "command", u->aliases[i].command);
			w_end(w, '}');
		}
		w_end(w, ']');
	}
}

/* 'snmp', only when something in it is set. */
static void tenant_snmp_write(struct writer *w, const struct tenant_snmp *ts)
{
	if (!ts->ro_community && !ts->rw_community && !ts->n_trap_receivers)
		return;
	w_key(w, "snmp");
	w_begin(w, '{');
	if (ts->ro_community)
		put_str(w, "ro_community", ts->ro_community);
	if (ts->rw_community)
		put_str(w, "rw_community", ts->rw_community);
	if (ts->n_trap_receivers) {
		w_key(w, "trap_receivers");
		w_begin(w, '[');
		for (size_t i = 0; i < ts->n_trap_receivers; i++) {
			char addr[IPV4_ADDR_STRLEN], buf[IPV4_ADDR_STRLEN + 8];

			ipv4_format(ts->trap_receivers[i].ip, addr);
			snprintf(buf, sizeof buf, "%s:%u", addr, ts->trap_receivers[i].port);
			w_sep(w);
			w_string(w, buf);
		}
		w_end(w, ']');
	}
	w_end(w, '}');
}

static void tenant_write(struct writer *w, const struct tenant *t, bool for_api)
{
	put_str(w, "name", t->name);
	put_str(w, "service_level", t->service_level);
	w_key(w, "users");
	w_begin(w, '[');
	for (size_t i = 0; i < t->n_users; i++) {
		const struct user *u = &t->users[i];

		w_item_begin(w);
		put_str(w, "name", u->name);
		put_str(w, "role", codec_role_name(u->role));
		if (!for_api && u->password_hash)
			put_str(w, "password_hash", u->password_hash);
		if (u->snmpv3)
			put_bool(w, "snmpv3", true);
		if (!for_api && u->snmp_key)
			put_str(w, "snmp_key", u->snmp_key);
		user_extra_write(w, u);
		w_end(w, '}');
	}
	w_end(w, ']');
	if (t->premium_quota) {
		char buf[UNITS_STRLEN];

		units_format_size(t->premium_quota, buf);
		put_str(w, "premium_quota", buf);
		put_str(w, "fallback", t->fallback);
	}
	if (t->quarantine)
		put_bool(w, "quarantine", true);
	tenant_snmp_write(w, &t->snmp);
}

static void rule_write(struct writer *w, const struct sg_rule *r)
{
	bool in = r->dir == SG_IN;

	put_str(w, "dir", in ? "in" : "out");
	put_str(w, "proto", codec_sg_proto_name(r->proto));
	if (r->port_min || r->port_max) {
		if (r->port_min == r->port_max) {
			put_int(w, "ports", r->port_min);
		} else {
			char buf[16];

			snprintf(buf, sizeof buf, "%u-%u", r->port_min, r->port_max);
			put_str(w, "ports", buf);
		}
	}
	if (r->remote_group)
		put_str(w, in ? "from_group" : "to_group", r->remote_group);
	else
		put_prefix(w, in ? "from" : "to", &r->remote);
}

static bool routing_is_default(const struct vn_routing *r)
{
	for (size_t i = 0; i < SL_N_ATTRS; i++)
		if (r->coef_milli[i] != VN_COEF_DEFAULT)
			return false;
	return !r->n_paths && !r->n_prefer_hosts && !r->n_avoid_hosts;
}

/* Coefficients are written as strings ("0.1"): a JSON number would pass
 * through doubles in most tools and come back as 0.10000000000000001. */
static void routing_write(struct writer *w, const struct vn_routing *r)
{
	static const char *const attr_names[SL_N_ATTRS] = {
	    [SL_ATTR_LATENCY] = "latency",
	    [SL_ATTR_COST] = "cost",
	    [SL_ATTR_HOPS] = "hops",
	    [SL_ATTR_LOSS] = "loss",
	};
	bool coefs = false;

	w_key(w, "routing");
	w_begin(w, '{');
	for (size_t i = 0; i < SL_N_ATTRS; i++)
		coefs |= r->coef_milli[i] != VN_COEF_DEFAULT;
	if (coefs) {
		w_key(w, "coefficients");
		w_begin(w, '{');
		for (size_t i = 0; i < SL_N_ATTRS; i++) {
			char buf[UNITS_STRLEN];

			if (r->coef_milli[i] == VN_COEF_DEFAULT)
				continue;
			units_format_milli(r->coef_milli[i], buf);
			put_str(w, attr_names[i], buf);
		}
		w_end(w, '}');
	}
	if (r->n_paths) {
		w_key(w, "paths");
		w_begin(w, '[');
		for (size_t i = 0; i < r->n_paths; i++) {
			w_item_begin(w);
			put_str(w, "from", r->paths[i].from);
			put_str(w, "to", r->paths[i].to);
			put_names(w, "via", r->paths[i].via, r->paths[i].n_via);
			w_end(w, '}');
		}
		w_end(w, ']');
	}
	if (r->n_prefer_hosts)
		put_names(w, "prefer_hosts", r->prefer_hosts, r->n_prefer_hosts);
	if (r->n_avoid_hosts)
		put_names(w, "avoid_hosts", r->avoid_hosts, r->n_avoid_hosts);
	w_end(w, '}');
}

static void network_write(struct writer *w, const struct network *n)
{
	put_str(w, "tenant", n->tenant);
	put_str(w, "name", n->name);
	if (n->vni)
		put_int(w, "vni", n->vni);
	w_key(w, "subnets");
	w_begin(w, '[');
	for (size_t i = 0; i < n->n_subnets; i++) {
		w_item_begin(w);
		put_str(w, "name", n->subnets[i].name);
		put_prefix(w, "cidr", &n->subnets[i].cidr);
		w_end(w, '}');
	}
	w_end(w, ']');
	w_key(w, "security_groups");
	w_begin(w, '[');
	for (size_t i = 0; i < n->n_groups; i++) {
		const struct security_group *g = &n->groups[i];

		w_item_begin(w);
		put_str(w, "name", g->name);
		w_key(w, "rules");
		w_begin(w, '[');
		for (size_t j = 0; j < g->n_rules; j++) {
			w_item_begin(w);
			rule_write(w, &g->rules[j]);
			w_end(w, '}');
		}
		w_end(w, ']');
		w_end(w, '}');
	}
	w_end(w, ']');
	if (!routing_is_default(&n->routing))
		routing_write(w, &n->routing);
}

/* The optional keys of an interface, each only when set. */
static void interface_write(struct writer *w, const struct router_interface *ifc)
{
	put_str(w, "name", ifc->name);
	put_str(w, "subnet", ifc->subnet);
	put_ipv4(w, "ip", ifc->ip);
	if (ifc->shutdown)
		put_bool(w, "shutdown", true);
	if (ifc->description)
		put_str(w, "description", ifc->description);
	if (ifc->shape_bps) {
		char buf[UNITS_STRLEN];

		units_format_rate_bps(ifc->shape_bps, buf);
		put_str(w, "shape", buf);
	}
	if (ifc->acl_in)
		put_str(w, "access_group_in", ifc->acl_in);
	if (ifc->acl_out)
		put_str(w, "access_group_out", ifc->acl_out);
}

/* "any", an address for a /32, else the prefix. */
static void put_acl_addr(struct writer *w, const char *key, const struct ipv4_prefix *p)
{
	if (!p->len)
		put_str(w, key, "any");
	else if (p->len == 32)
		put_ipv4(w, key, p->addr);
	else
		put_prefix(w, key, p);
}

static void acls_write(struct writer *w, const struct router *r)
{
	w_key(w, "access_lists");
	w_begin(w, '[');
	for (size_t i = 0; i < r->n_acls; i++) {
		const struct router_acl *acl = &r->acls[i];

		w_item_begin(w);
		put_str(w, "name", acl->name);
		w_key(w, "rules");
		w_begin(w, '[');
		for (size_t j = 0; j < acl->n_rules; j++) {
			const struct acl_rule *rule = &acl->rules[j];

			w_item_begin(w);
			put_str(w, "action", codec_acl_action_name(rule->action));
			put_str(w, "proto", codec_acl_proto_name(rule->proto));
			put_acl_addr(w, "src", &rule->src);
			put_acl_addr(w, "dst", &rule->dst);
			if (rule->port)
				put_int(w, "port", rule->port);
			w_end(w, '}');
		}
		w_end(w, ']');
		w_end(w, '}');
	}
	w_end(w, ']');
}

static void router_write(struct writer *w, const struct router *r)
{
	put_str(w, "tenant", r->tenant);
	put_str(w, "network", r->network);
	put_str(w, "name", r->name);
	w_key(w, "interfaces");
	w_begin(w, '[');
	for (size_t i = 0; i < r->n_interfaces; i++) {
		w_item_begin(w);
		interface_write(w, &r->interfaces[i]);
		w_end(w, '}');
	}
	w_end(w, ']');
	w_key(w, "routes");
	w_begin(w, '[');
	for (size_t i = 0; i < r->n_routes; i++) {
		w_item_begin(w);
		put_prefix(w, "prefix", &r->routes[i].prefix);
		put_ipv4(w, "via", r->routes[i].via);
		w_end(w, '}');
	}
	w_end(w, ']');
	if (r->n_redirects) {
		w_key(w, "redirects");
		w_begin(w, '[');
		for (size_t i = 0; i < r->n_redirects; i++) {
			w_item_begin(w);
			put_ipv4(w, "from", r->redirects[i].from);
			put_ipv4(w, "to", r->redirects[i].to);
			w_end(w, '}');
		}
		w_end(w, ']');
	}
	if (r->n_acls)
		acls_write(w, r);
	if (r->ssh_listen)
		put_str(w, "ssh_listen", r->ssh_listen);
}

static void instance_write(struct writer *w, const struct instance *in)
{
	put_str(w, "tenant", in->tenant);
	put_str(w, "network", in->network);
	put_str(w, "name", in->name);
	put_str(w, "subnet", in->subnet);
	put_str(w, "host", in->host);
	put_ipv4(w, "ip", in->ip);
	if (!eth_addr_is_zero(&in->mac)) {
		char buf[ETH_ADDR_STRLEN];

		eth_addr_format(&in->mac, buf);
		put_str(w, "mac", buf);
	}
	put_names(w, "security_groups", in->security_groups, in->n_security_groups);
}

/* Canonical compact JSON of 'obj'; 'for_api' leaves secrets out. */
static char *object_write(const struct model_object *obj, bool for_api)
{
	struct writer w = {.out = DS_EMPTY_INITIALIZER};

	ds_reserve(&w.out, 256);
	w_begin(&w, '{');
	switch (obj->kind) {
	case MODEL_HOST:
		host_write(&w, CONTAINER_OF(obj, const struct host, hdr));
		break;
	case MODEL_LINK:
		link_write(&w, CONTAINER_OF(obj, const struct link, hdr));
		break;
	case MODEL_SERVICE_LEVEL:
		service_level_write(&w, CONTAINER_OF(obj, const struct service_level, hdr));
		break;
	case MODEL_TENANT:
		tenant_write(&w, CONTAINER_OF(obj, const struct tenant, hdr), for_api);
		break;
	case MODEL_NETWORK:
		network_write(&w, CONTAINER_OF(obj, const struct network, hdr));
		break;
	case MODEL_ROUTER:
		router_write(&w, CONTAINER_OF(obj, const struct router, hdr));
		break;
	case MODEL_INSTANCE:
		instance_write(&w, CONTAINER_OF(obj, const struct instance, hdr));
		break;
	case MODEL_N_KINDS:
	default:
		onm_abort("codec: bad object kind %d", (int)obj->kind);
	}
	w_end(&w, '}');
	return ds_steal_cstr(&w.out);
}

/* The flat form of 'obj' as a new JSON value (see codec.h). */
json_t *codec_object_to_json(const struct model_object *obj, bool for_api)
{
	char *s = object_write(obj, for_api);
	json_error_t error;
	json_t *j = json_loads(s, JSON_DECODE_ANY, &error);

	if (!j)
		onm_abort("codec: own output is not JSON (%s): %s", error.text, s);
	free(s);
	return j;
}

/* The canonical compact JSON of 'obj' in store form (see codec.h). */
char *codec_object_to_string(const struct model_object *obj)
{
	return object_write(obj, false);
}
