// SPDX-License-Identifier: Apache-2.0
/*
 * The onm client's knowledge of kinds and its output formats (see
 * render.h). The kind table below is the one place that says which kinds
 * exist, how their ids are made and which columns `onm get` shows; the
 * cell functions read the flat object forms of docs/api.md.
 */
#include "render.h"

#include "onm/ds.h"
#include "onm/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends a scalar JSON value as text: strings as they are, numbers in
 * decimal, booleans as true/false; null, missing, arrays and objects
 * append nothing. */
static void put_scalar(struct ds *out, const json_t *value)
{
	if (!value)
		return;
	switch (json_typeof(value)) {
	case JSON_STRING:
		ds_put_buffer(out, json_string_value(value), json_string_length(value));
		break;
	case JSON_INTEGER:
		ds_put_format(out, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
		break;
	case JSON_REAL:
		ds_put_format(out, "%.15g", json_real_value(value));
		break;
	case JSON_TRUE:
		ds_put_cstr(out, "true");
		break;
	case JSON_FALSE:
		ds_put_cstr(out, "false");
		break;
	case JSON_NULL:
	case JSON_ARRAY:
	case JSON_OBJECT:
		break;
	}
}

static void put_key(struct ds *out, const json_t *object, const char *key)
{
	put_scalar(out, json_object_get(object, key));
}

/* Appends the elements of array 'key' of 'object', comma-separated, each
 * shown by 'put_one'. */
static void put_list(struct ds *out, const json_t *object, const char *key,
		     void (*put_one)(struct ds *, const json_t *))
{
	const json_t *array = json_object_get(object, key);
	size_t i;
	const json_t *elem;

	if (!json_is_array(array))
		return;
	json_array_foreach(array, i, elem)
	{
		if (i)
			ds_put_char(out, ',');
		put_one(out, elem);
	}
}

static void put_count(struct ds *out, const json_t *object, const char *key)
{
	const json_t *array = json_object_get(object, key);

	ds_put_format(out, "%zu", json_is_array(array) ? json_array_size(array) : (size_t)0);
}

/* "alice(admin)" */
static void put_user(struct ds *out, const json_t *user)
{
	put_key(out, user, "name");
	ds_put_char(out, '(');
	put_key(out, user, "role");
	ds_put_char(out, ')');
}

/* "web=10.1.1.0/24" */
static void put_subnet(struct ds *out, const json_t *subnet)
{
	put_key(out, subnet, "name");
	ds_put_char(out, '=');
	put_key(out, subnet, "cidr");
}

/* "GigabitEthernet0/0=10.1.1.1" */
static void put_interface(struct ds *out, const json_t *iface)
{
	put_key(out, iface, "name");
	ds_put_char(out, '=');
	put_key(out, iface, "ip");
}

/* The cell functions of the kind table, one per column that needs one. */
#define KEY_CELL(FN, KEY)                                                                          \
	static void FN(const json_t *object, struct ds *out)                                       \
	{                                                                                          \
		put_key(out, object, KEY);                                                         \
	}
KEY_CELL(cell_name, "name")
KEY_CELL(cell_id, "id")
KEY_CELL(cell_address, "address")
KEY_CELL(cell_vtep, "vtep")
KEY_CELL(cell_tenant, "tenant")
KEY_CELL(cell_network, "network")
KEY_CELL(cell_a, "a")
KEY_CELL(cell_b, "b")
KEY_CELL(cell_latency, "latency")
KEY_CELL(cell_bandwidth, "bandwidth")
KEY_CELL(cell_cost, "cost")
KEY_CELL(cell_loss, "loss")
KEY_CELL(cell_state, "state")
KEY_CELL(cell_minimize, "minimize")
KEY_CELL(cell_min_bandwidth, "min_bandwidth")
KEY_CELL(cell_via_capability, "via_capability")
KEY_CELL(cell_service_level, "service_level")
KEY_CELL(cell_vni, "vni")
KEY_CELL(cell_subnet, "subnet")
KEY_CELL(cell_host, "host")
KEY_CELL(cell_ip, "ip")
KEY_CELL(cell_mac, "mac")
KEY_CELL(cell_router, "router")
KEY_CELL(cell_prefix, "prefix")
KEY_CELL(cell_via, "via")
#undef KEY_CELL

static void cell_capabilities(const json_t *object, struct ds *out)
{
	put_list(out, object, "capabilities", put_scalar);
}

static void cell_users(const json_t *object, struct ds *out)
{
	put_list(out, object, "users", put_user);
}

static void cell_subnets(const json_t *object, struct ds *out)
{
	put_list(out, object, "subnets", put_subnet);
}

static void cell_interfaces(const json_t *object, struct ds *out)
{
	put_list(out, object, "interfaces", put_interface);
}

static void cell_route_count(const json_t *object, struct ds *out)
{
	put_count(out, object, "routes");
}

static const struct render_column host_columns[] = {
    {"NAME", cell_name},       {"ID", cell_id},
    {"ADDRESS", cell_address}, {"CAPABILITIES", cell_capabilities},
    {"VTEP", cell_vtep},
};

static const struct render_column link_columns[] = {
    {"A", cell_a},
    {"B", cell_b},
    {"LATENCY", cell_latency},
    {"BANDWIDTH", cell_bandwidth},
    {"COST", cell_cost},
    {"LOSS", cell_loss},
    {"STATE", cell_state},
};

static const struct render_column service_level_columns[] = {
    {"NAME", cell_name},
    {"MINIMIZE", cell_minimize},
    {"MIN-BANDWIDTH", cell_min_bandwidth},
    {"VIA", cell_via_capability},
};

static const struct render_column tenant_columns[] = {
    {"NAME", cell_name},
    {"SERVICE-LEVEL", cell_service_level},
    {"USERS", cell_users},
};

static const struct render_column network_columns[] = {
    {"TENANT", cell_tenant},
    {"NAME", cell_name},
    {"VNI", cell_vni},
    {"SUBNETS", cell_subnets},
};

static const struct render_column router_columns[] = {
    {"TENANT", cell_tenant},	     {"NETWORK", cell_network},	   {"NAME", cell_name},
    {"INTERFACES", cell_interfaces}, {"ROUTES", cell_route_count},
};

static const struct render_column instance_columns[] = {
    {"TENANT", cell_tenant}, {"NETWORK", cell_network}, {"NAME", cell_name},
    {"SUBNET", cell_subnet}, {"HOST", cell_host},	{"IP", cell_ip},
    {"MAC", cell_mac},
};

static const struct render_column route_columns[] = {
    {"ROUTER", cell_router},
    {"PREFIX", cell_prefix},
    {"VIA", cell_via},
};

#define COLUMNS(C) C, ARRAY_SIZE(C)

static const struct render_kind kinds[] = {
    {"hosts", "host", "host", true, false, {"name"}, COLUMNS(host_columns)},
    {"links", "link", "link", true, true, {"a", "b"}, COLUMNS(link_columns)},
    {"service_levels",
     "service_level",
     "service level",
     true,
     false,
     {"name"},
     COLUMNS(service_level_columns)},
    {"tenants", "tenant", "tenant", true, false, {"name"}, COLUMNS(tenant_columns)},
    {"networks", "network", "network", true, false, {"tenant", "name"}, COLUMNS(network_columns)},
    {"routers",
     "router",
     "router",
     true,
     false,
     {"tenant", "network", "name"},
     COLUMNS(router_columns)},
    {"instances",
     "instance",
     "instance",
     true,
     false,
     {"tenant", "network", "name"},
     COLUMNS(instance_columns)},
    {"routes", "route", "route", true, false, {"router", "prefix"}, COLUMNS(route_columns)},
    /* Later parts of onm (spec.md); listed so that the client can say so. */
    {"weaves", "weave", "weave", false, false, {"name"}, NULL, 0},
};

#undef COLUMNS

const struct render_kind *render_kind_find(const char *name)
{
	char *norm = xstrdup(name);

	for (char *p = norm; *p; p++) {
		if (*p == '-')
			*p = '_';
	}
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (!strcmp(norm, kinds[i].plural) || !strcmp(norm, kinds[i].singular)) {
			free(norm);
			return &kinds[i];
		}
	}
	free(norm);
	return NULL;
}

void render_kind_names(struct ds *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (i)
			ds_put_cstr(out, ", ");
		ds_put_cstr(out, kinds[i].plural);
	}
}

static size_t n_id_keys(const struct render_kind *kind)
{
	size_t n = 0;

	while (n < ARRAY_SIZE(kind->id_keys) && kind->id_keys[n])
		n++;
	return n;
}

static int compare_strings(const void *a_, const void *b_)
{
	const char *const *a = a_;
	const char *const *b = b_;

	return strcmp(*a, *b);
}

char *render_object_id(const struct render_kind *kind, const json_t *object)
{
	const char *parts[ARRAY_SIZE(kind->id_keys)];
	size_t n = n_id_keys(kind);
	struct ds id = DS_EMPTY_INITIALIZER;

	for (size_t i = 0; i < n; i++) {
		parts[i] = json_string_value(json_object_get(object, kind->id_keys[i]));
		if (!parts[i])
			return NULL;
	}
	if (kind->sorted_id)
		qsort(parts, n, sizeof parts[0], compare_strings);
	for (size_t i = 0; i < n; i++) {
		if (i)
			ds_put_char(&id, '/');
		ds_put_cstr(&id, parts[i]);
	}
	return ds_steal_cstr(&id);
}

char *render_id_normalize(const struct render_kind *kind, const char *name)
{
	const char *slash = strchr(name, '/');

	if (kind->sorted_id && slash && !strchr(slash + 1, '/')) {
		char *a = xmemdup0(name, (size_t)(slash - name));
		const char *b = slash + 1;
		char *id = strcmp(a, b) <= 0 ? xasprintf("%s/%s", a, b) : xasprintf("%s/%s", b, a);
		free(a);
		return id;
	}
	return xstrdup(name);
}

/* True if 'name' is the last '/'-separated component(s) of 'id', for
 * example "web1" or "blue/web1" of "acme/blue/web1". */
static bool is_id_suffix(const char *id, const char *name)
{
	size_t id_len = strlen(id), name_len = strlen(name);

	return name_len && id_len > name_len && id[id_len - name_len - 1] == '/' &&
	       !strcmp(id + id_len - name_len, name);
}

int render_resolve_id(const char *noun, const char *const *ids, size_t n, const char *name,
		      size_t *index, char **error)
{
	size_t n_found = 0, found = 0;

	*error = NULL;
	for (size_t i = 0; i < n; i++) {
		if (ids[i] && !strcmp(ids[i], name)) {
			*index = i;
			return 0;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (ids[i] && is_id_suffix(ids[i], name)) {
			if (!n_found)
				found = i;
			n_found++;
		}
	}
	if (n_found == 1) {
		*index = found;
		return 0;
	}
	if (!n_found) {
		*error = xasprintf("no %s '%s'", noun, name);
		return -ENOENT;
	}

	struct ds msg = DS_EMPTY_INITIALIZER;
	ds_put_format(&msg, "%s '%s' is ambiguous: it may be ", noun, name);
	size_t listed = 0;
	for (size_t i = 0; i < n; i++) {
		if (ids[i] && is_id_suffix(ids[i], name)) {
			if (listed)
				ds_put_cstr(&msg, listed + 1 == n_found ? " or " : ", ");
			ds_put_cstr(&msg, ids[i]);
			listed++;
		}
	}
	*error = ds_steal_cstr(&msg);
	return -EINVAL;
}

int render_resolve(const struct render_kind *kind, const json_t *items, const char *name,
		   size_t *index, char **error)
{
	if (kind->sorted_id && !strchr(name, '/')) {
		/* "h1" is one end of a link, and a link is named by both:
		 * no short names here. */
		*error = xasprintf("no %s '%s' (a %s is named by both ends: A/B)", kind->noun, name,
				   kind->noun);
		return -ENOENT;
	}

	size_t n = json_is_array(items) ? json_array_size(items) : 0;
	char **ids = xcalloc(n ? n : 1, sizeof *ids);
	char *norm = render_id_normalize(kind, name);
	for (size_t i = 0; i < n; i++)
		ids[i] = render_object_id(kind, json_array_get(items, i));

	int ret = render_resolve_id(kind->noun, (const char *const *)ids, n, norm, index, error);

	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	free(norm);
	return ret;
}

struct render_table {
	size_t n_columns;
	char **headers;	  /* n_columns strings */
	char ***rows;	  /* n_rows arrays of n_columns strings */
	size_t n_rows;	  /* rows in use */
	size_t allocated; /* rows allocated */
};

struct render_table *render_table_create(const char *const *headers, size_t n_columns)
{
	struct render_table *table = xzalloc(sizeof *table);

	table->n_columns = n_columns;
	table->headers = xcalloc(n_columns ? n_columns : 1, sizeof *table->headers);
	for (size_t i = 0; i < n_columns; i++)
		table->headers[i] = xstrdup(headers[i]);
	return table;
}

void render_table_add_row(struct render_table *table, const char *const *cells)
{
	char **row = xcalloc(table->n_columns ? table->n_columns : 1, sizeof *row);

	for (size_t i = 0; i < table->n_columns; i++)
		row[i] = xstrdup(cells[i] && *cells[i] ? cells[i] : "-");
	table->rows = xgrow(table->rows, &table->allocated, table->n_rows + 1, sizeof *table->rows);
	table->rows[table->n_rows++] = row;
}

static void format_line(struct ds *out, char *const *cells, const size_t *widths, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ds_put_cstr(out, cells[i]);
		if (i + 1 < n)
			ds_put_char_multiple(out, ' ', widths[i] - strlen(cells[i]) + 2);
	}
	ds_put_char(out, '\n');
}

void render_table_format(const struct render_table *table, struct ds *out)
{
	size_t n = table->n_columns;
	size_t *widths = xcalloc(n ? n : 1, sizeof *widths);

	for (size_t i = 0; i < n; i++) {
		widths[i] = strlen(table->headers[i]);
		for (size_t r = 0; r < table->n_rows; r++) {
			size_t len = strlen(table->rows[r][i]);
			if (len > widths[i])
				widths[i] = len;
		}
	}
	format_line(out, table->headers, widths, n);
	for (size_t r = 0; r < table->n_rows; r++)
		format_line(out, table->rows[r], widths, n);
	free(widths);
}

void render_table_destroy(struct render_table *table)
{
	if (!table)
		return;
	for (size_t r = 0; r < table->n_rows; r++) {
		for (size_t i = 0; i < table->n_columns; i++)
			free(table->rows[r][i]);
		free(table->rows[r]);
	}
	for (size_t i = 0; i < table->n_columns; i++)
		free(table->headers[i]);
	free(table->rows);
	free(table->headers);
	free(table);
}

void render_list(const struct render_kind *kind, const json_t *items, struct ds *out)
{
	size_t n_columns = kind->n_columns;
	const char **headers, **cells;
	struct ds *texts;
	size_t i;
	const json_t *object;

	if (!json_is_array(items) || !json_array_size(items) || !n_columns)
		return;

	headers = xcalloc(n_columns, sizeof *headers);
	cells = xcalloc(n_columns, sizeof *cells);
	texts = xcalloc(n_columns, sizeof *texts);
	for (size_t c = 0; c < n_columns; c++) {
		headers[c] = kind->columns[c].header;
		ds_init(&texts[c]);
	}

	struct render_table *table = render_table_create(headers, n_columns);
	json_array_foreach(items, i, object)
	{
		for (size_t c = 0; c < n_columns; c++) {
			ds_clear(&texts[c]);
			kind->columns[c].cell(object, &texts[c]);
			cells[c] = ds_cstr(&texts[c]);
		}
		render_table_add_row(table, cells);
	}
	render_table_format(table, out);
	render_table_destroy(table);

	for (size_t c = 0; c < n_columns; c++)
		ds_destroy(&texts[c]);
	free(texts);
	free(cells);
	free(headers);
}

static json_int_t summary_count(const json_t *plan, const char *op)
{
	const json_t *summary = json_object_get(plan, "summary");
	const json_t *count = json_object_get(summary, op);
	const json_t *changes = json_object_get(plan, "changes");
	json_int_t n = 0;
	size_t i;
	const json_t *change;

	if (json_is_integer(count))
		return json_integer_value(count);
	/* No summary: count the changes themselves. */
	json_array_foreach(changes, i, change)
	{
		const char *change_op = json_string_value(json_object_get(change, "op"));
		if (change_op && !strcmp(change_op, op))
			n++;
	}
	return n;
}

void render_plan(const json_t *plan, const char *source, struct ds *out)
{
	const json_t *changes = json_object_get(plan, "changes");
	bool dry_run = json_is_true(json_object_get(plan, "dry_run"));
	json_int_t n_create = summary_count(plan, "create");
	json_int_t n_update = summary_count(plan, "update");
	json_int_t n_delete = summary_count(plan, "delete");
	size_t i;
	const json_t *change;

	if (!n_create && !n_update && !n_delete &&
	    (!json_is_array(changes) || !json_array_size(changes))) {
		ds_put_cstr(out, "no changes\n");
		return;
	}

	ds_put_format(out,
		      "plan: %" JSON_INTEGER_FORMAT " to create, %" JSON_INTEGER_FORMAT
		      " to update, %" JSON_INTEGER_FORMAT " to delete\n",
		      n_create, n_update, n_delete);
	json_array_foreach(changes, i, change)
	{
		const char *op = json_string_value(json_object_get(change, "op"));
		const char *kind = json_string_value(json_object_get(change, "kind"));
		const char *id = json_string_value(json_object_get(change, "id"));
		char sign = '?';

		if (!op)
			op = "?";
		if (!strcmp(op, "create"))
			sign = '+';
		else if (!strcmp(op, "update"))
			sign = '~';
		else if (!strcmp(op, "delete"))
			sign = '-';
		ds_put_format(out, "  %c %s %s", sign, kind ? kind : "?", id ? id : "?");
		if (sign == '-')
			ds_put_format(out, " (not in %s, %s)", source,
				      dry_run ? "would be deleted" : "deleted");
		else if (sign == '?')
			ds_put_format(out, " (%s)", op);
		ds_put_char(out, '\n');
	}

	if (dry_run) {
		ds_put_cstr(out, "dry run: nothing changed\n");
	} else {
		ds_put_cstr(out, "applied at revision ");
		put_key(out, plan, "revision");
		ds_put_char(out, '\n');
	}
}

void render_json(const json_t *json, struct ds *out)
{
	char *text = json_dumps(json, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

	if (!text)
		onm_abort("json_dumps failed");
	ds_put_cstr(out, text);
	ds_put_char(out, '\n');
	free(text);
}

/* "2.000 ms" for 2000 microseconds. */
static void put_ms(struct ds *out, json_int_t us)
{
	ds_put_format(out, "%lld.%03lld ms", (long long)(us / 1000), (long long)(us % 1000));
}

static const char *str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* A network's routing policy: its own class, and each explicit path with
 * whether it applies now. */
static void put_policy(const json_t *policy, struct ds *out)
{
	const json_t *p, *h, *problem;
	size_t i, k;

	if (!policy)
		return;
	if (json_is_string(json_object_get(policy, "class")))
		ds_put_format(out, "routing policy: own class %s (over %s)\n", str(policy, "class"),
			      str(policy, "base"));
	else /* the first problem says why */
		ds_put_format(out, "routing policy: %s\n",
			      json_string_value(json_array_get(json_object_get(policy, "problems"), 0)));
	json_array_foreach (json_object_get(policy, "paths"), i, p) {
		ds_put_cstr(out, "  path ");
		json_array_foreach (json_object_get(p, "hosts"), k, h)
			ds_put_format(out, "%s%s", k ? " > " : "", json_string_value(h));
		problem = json_object_get(p, "problem");
		if (json_is_string(problem))
			ds_put_format(out, ": NOT APPLIED, %s\n", json_string_value(problem));
		else
			ds_put_cstr(out, ": applied\n");
	}
}

void render_route_show(const json_t *doc, struct ds *out)
{
	const json_t *routes = json_object_get(doc, "routes");
	const json_t *paths = json_object_get(doc, "paths");
	const char *router = NULL;
	const json_t *r, *p;
	size_t i;

	ds_put_format(out, "network %s, VNI %lld, class %s\n", str(doc, "network"),
		      (long long)json_integer_value(json_object_get(doc, "vni")),
		      json_is_string(json_object_get(doc, "class")) ? str(doc, "class") : "(none)");
	put_policy(json_object_get(doc, "policy"), out);
	ds_put_cstr(out, "\nCodes: C - connected, S - static\n");
	if (!json_array_size(routes))
		ds_put_cstr(out, "\n(no router)\n");
	json_array_foreach (routes, i, r) {
		if (!router || strcmp(router, str(r, "router"))) {
			router = str(r, "router");
			ds_put_format(out, "\nrouter %s:\n", router);
		}
		if (!strcmp(str(r, "type"), "connected"))
			ds_put_format(out, "C    %s is directly connected, %s\n", str(r, "prefix"),
				      str(r, "interface"));
		else
			ds_put_format(out, "S    %s [1/0] via %s\n", str(r, "prefix"), str(r, "via"));
	}

	ds_put_cstr(out, "\nsubstrate paths:\n");
	if (!json_array_size(paths)) {
		ds_put_cstr(out, "  (instances on one host at most: none)\n");
		return;
	}
	static const char *const headers[] = {"SRC", "DST", "CLASS", "PATH", "LATENCY"};
	struct render_table *t = render_table_create(headers, ARRAY_SIZE(headers));

	json_array_foreach (paths, i, p) {
		const json_t *hosts = json_object_get(p, "hosts"), *h;
		struct ds path = DS_EMPTY_INITIALIZER, lat = DS_EMPTY_INITIALIZER;
		size_t k;

		json_array_foreach (hosts, k, h)
			ds_put_format(&path, "%s%s", k ? " > " : "", json_string_value(h));
		if (json_is_integer(json_object_get(p, "latency_us")))
			put_ms(&lat, json_integer_value(json_object_get(p, "latency_us")));
		else
			ds_put_cstr(&path, "unreachable");
		const char *cells[] = {str(p, "src"), str(p, "dst"), str(p, "class"),
				       ds_cstr(&path), ds_cstr(&lat)};

		render_table_add_row(t, cells);
		ds_destroy(&path);
		ds_destroy(&lat);
	}
	render_table_format(t, out);
	render_table_destroy(t);
}

/* One value of a trace step as text. */
static void put_value(struct ds *out, const json_t *v)
{
	if (json_is_string(v))
		ds_put_cstr(out, json_string_value(v));
	else if (json_is_integer(v))
		ds_put_format(out, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		ds_put_cstr(out, json_is_true(v) ? "yes" : "no");
	else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		ds_put_cstr(out, s ? s : "?");
		free(s);
	}
}

void render_trace(const json_t *doc, struct ds *out)
{
	const json_t *steps = json_object_get(doc, "steps"), *step, *sub;
	size_t i;

	ds_put_format(out, "trace %s (%s) -> %s %s", str(doc, "instance"), str(doc, "src"),
		      str(doc, "dst"), str(doc, "proto"));
	if (json_is_integer(json_object_get(doc, "port")))
		ds_put_format(out, " port %lld",
			      (long long)json_integer_value(json_object_get(doc, "port")));
	ds_put_char(out, '\n');
	json_array_foreach (steps, i, step) {
		const char *key;
		const json_t *v;
		bool first = true;

		ds_put_format(out, "%3zu  %-14s", i + 1, str(step, "step"));
		json_object_foreach ((json_t *)step, key, v) {
			if (!strcmp(key, "step") || json_is_null(v))
				continue;
			ds_put_cstr(out, first ? " " : ", ");
			first = false;
			if (strcmp(key, "result") && strcmp(key, "detail"))
				ds_put_format(out, "%s ", key);
			put_value(out, v);
		}
		ds_put_char(out, '\n');
	}
	sub = json_object_get(doc, "substrate");
	if (json_is_object(sub)) {
		const json_t *hops = json_object_get(sub, "hops"), *h;

		ds_put_format(out, "substrate (class %s): ", str(sub, "class"));
		if (!json_array_size(hops)) {
			const json_t *hosts = json_object_get(sub, "hosts");

			ds_put_cstr(out, json_array_size(hosts) == 1
					     ? json_string_value(json_array_get(hosts, 0))
					     : "(none)");
		}
		json_array_foreach (hops, i, h) {
			if (!i)
				ds_put_cstr(out, str(h, "from"));
			ds_put_cstr(out, " -(");
			put_ms(out, json_integer_value(json_object_get(h, "latency_us")));
			ds_put_format(out, ")- %s", str(h, "to"));
		}
		if (json_is_integer(json_object_get(sub, "latency_us"))) {
			ds_put_cstr(out, ", ");
			put_ms(out, json_integer_value(json_object_get(sub, "latency_us")));
			ds_put_cstr(out, " one way");
		}
		ds_put_char(out, '\n');
	}
	ds_put_format(out, "verdict: %s", str(doc, "verdict"));
	if (json_is_string(json_object_get(doc, "reason")))
		ds_put_format(out, " (%s)", str(doc, "reason"));
	ds_put_char(out, '\n');
}
