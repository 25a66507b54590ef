// SPDX-License-Identifier: Apache-2.0
/*
 * onm, the command-line client of onm-controller (spec.md, "onm — the
 * client"). It parses the global options and a command, talks to the
 * controller's REST API (docs/api.md) through http-client.c and prints
 * what it got through render.c. Commands are declared as data in the table
 * 'commands'; those of later parts of onm are listed there without a
 * handler so that the client can say they are not available yet.
 *
 * Exit status: 0 on success; 1 on a user error (bad usage, unreadable
 * file, any 4xx answer, with "onm: " and the server's one-line detail);
 * 2 when the controller cannot be reached or fails (no answer, timeout,
 * 5xx, malformed answer), with a message naming the URL.
 */
#include "console.h"
#include "http-client.h"
#include "lab.h"
#include "onm/ds.h"
#include "onm/util.h"
#include "render.h"

#include <errno.h>
#include <event2/http.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum exit_status {
	EXIT_OK = 0,
	EXIT_USER = 1,	      /* bad usage, bad input, 4xx */
	EXIT_UNREACHABLE = 2, /* no answer, timeout, 5xx */
};

#define DEFAULT_CONTROLLER "http://127.0.0.1:7080"

/* One invocation of onm. */
struct cli {
	const char *url;	  /* controller base URL */
	const char *token;	  /* bearer token or NULL */
	struct http_client *http; /* made on first use */
};

struct command {
	const char *name;  /* first word after the global options */
	const char *usage; /* arguments, for the usage text */
	const char *help;  /* one line */
	/* Runs the command with the words after its name; returns an exit
	 * status. NULL: the command belongs to a later part of onm. */
	int (*run)(struct cli *, int argc, char **argv);
};

static const struct command *command_find(const char *name);
static void print_usage(FILE *stream);

static void PRINTF_FORMAT(1, 2) fail(const char *fmt, ...)
{
	va_list args;
	struct ds msg = DS_EMPTY_INITIALIZER;

	va_start(args, fmt);
	ds_put_format_valist(&msg, fmt, args);
	va_end(args);
	/* One line, whatever the server put in its detail. */
	for (char *p = msg.string; p && *p; p++) {
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	}
	fprintf(stderr, "onm: %s\n", ds_cstr(&msg));
	ds_destroy(&msg);
}

static int write_out(struct ds *text)
{
	if (text->length && fwrite(text->string, 1, text->length, stdout) != text->length) {
		fail("cannot write the output: %s", strerror(errno));
		return EXIT_USER;
	}
	return EXIT_OK;
}

/* Options of a command: "--name VALUE", "--name=VALUE", "-x VALUE", "-xVALUE"
 * for options with a value, "--name" for flags. */
struct option_spec {
	const char *long_name;	/* "--output" */
	const char *short_name; /* "-o" or NULL */
	const char **value;	/* set for an option with a value, else NULL */
	bool *flag;		/* set for a flag, else NULL */
};

/* Splits 'argv' into options of 'specs' and up to 'max_positional' other
 * words (after "--" everything is positional). Returns EXIT_OK or, after
 * saying why, EXIT_USER. */
static int parse_options(const char *command, int argc, char **argv,
			 const struct option_spec *specs, size_t n_specs, const char **positional,
			 size_t max_positional, size_t *n_positional)
{
	bool options_done = false;

	*n_positional = 0;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		const struct option_spec *spec = NULL;
		const char *inline_value = NULL;

		if (!options_done && !strcmp(arg, "--")) {
			options_done = true;
			continue;
		}
		if (options_done || arg[0] != '-' || !arg[1]) {
			if (*n_positional >= max_positional) {
				fail("%s: unexpected argument '%s' (try 'onm help')", command, arg);
				return EXIT_USER;
			}
			positional[(*n_positional)++] = arg;
			continue;
		}
		for (size_t s = 0; s < n_specs && !spec; s++) {
			size_t len = strlen(specs[s].long_name);
			if (!strcmp(arg, specs[s].long_name)) {
				spec = &specs[s];
			} else if (specs[s].value && !strncmp(arg, specs[s].long_name, len) &&
				   arg[len] == '=') {
				spec = &specs[s];
				inline_value = arg + len + 1;
			} else if (specs[s].short_name && !strcmp(arg, specs[s].short_name)) {
				spec = &specs[s];
			} else if (specs[s].short_name && specs[s].value &&
				   !strncmp(arg, specs[s].short_name, 2) && arg[2]) {
				spec = &specs[s];
				inline_value = arg + 2;
			}
		}
		if (!spec) {
			fail("%s: unknown option '%s' (try 'onm help')", command, arg);
			return EXIT_USER;
		}
		if (spec->flag) {
			*spec->flag = true;
		} else if (inline_value) {
			*spec->value = inline_value;
		} else if (i + 1 < argc) {
			*spec->value = argv[++i];
		} else {
			fail("%s: option '%s' needs a value", command, arg);
			return EXIT_USER;
		}
	}
	return EXIT_OK;
}

/* Appends 'id' to 'path' with each '/'-separated component percent-encoded. */
static void put_id_path(struct ds *path, const char *id)
{
	const char *p = id;

	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		char *enc = evhttp_uriencode(p, (ev_ssize_t)len, 0);

		if (!enc)
			onm_abort("evhttp_uriencode failed");
		ds_put_cstr(path, enc);
		free(enc);
		if (!slash)
			break;
		ds_put_char(path, '/');
		p = slash + 1;
	}
}

static char *object_path(const struct render_kind *kind, const char *id)
{
	struct ds path = DS_EMPTY_INITIALIZER;

	ds_put_format(&path, "/v1/%s/", kind->plural);
	put_id_path(&path, id);
	return ds_steal_cstr(&path);
}

/* The "detail" of an error answer, else its "error", else the status. */
static char *error_detail(const struct http_response *r)
{
	json_t *body = json_loadb(r->body, r->body_size, 0, NULL);
	const char *detail = json_string_value(json_object_get(body, "detail"));
	const char *error = json_string_value(json_object_get(body, "error"));
	char *msg;

	if (detail && *detail)
		msg = xstrdup(detail);
	else if (error && *error)
		msg = xstrdup(error);
	else
		msg = xasprintf("the controller answered HTTP %d", r->status);
	json_decref(body);
	return msg;
}

/* Sends one request and checks the answer. On EXIT_OK, '*answer' (if not
 * NULL) holds the parsed JSON body (caller decrefs) and '*revision' (if not
 * NULL) the X-Onm-Revision header or 0. Otherwise a message has been
 * printed and the exit status is returned. */
static int call(struct cli *cli, enum http_method method, const char *path,
		const struct http_header *headers, size_t n_headers, const char *body,
		size_t body_size, json_t **answer, uint64_t *revision)
{
	struct http_response r;
	char *error = NULL;
	int ret;

	if (answer)
		*answer = NULL;
	if (revision)
		*revision = 0;

	if (!cli->http) {
		ret = http_client_create(cli->url, cli->token, HTTP_CLIENT_TIMEOUT_MS, &cli->http,
					 &error);
		if (ret) {
			fail("%s", error);
			free(error);
			return EXIT_USER;
		}
	}

	ret = http_client_request(cli->http, method, path, headers, n_headers, body, body_size, &r,
				  &error);
	if (ret) {
		fail("%s", error);
		free(error);
		return ret == -EINVAL ? EXIT_USER : EXIT_UNREACHABLE;
	}

	if (r.status >= 400 && r.status < 500) {
		char *detail = error_detail(&r);
		fail("%s", detail);
		free(detail);
		ret = EXIT_USER;
	} else if (r.status >= 500) {
		char *detail = error_detail(&r);
		fail("the controller at %s failed: %s (HTTP %d)", cli->url, detail, r.status);
		free(detail);
		ret = EXIT_UNREACHABLE;
	} else if (r.status < 200 || r.status >= 300) {
		fail("unexpected answer from the controller at %s: HTTP %d for %s %s", cli->url,
		     r.status, http_method_name(method), path);
		ret = EXIT_UNREACHABLE;
	} else {
		json_error_t jerr;
		json_t *json = json_loadb(r.body, r.body_size, JSON_DECODE_ANY, &jerr);
		if (!json) {
			fail("malformed answer from the controller at %s to %s %s: %s", cli->url,
			     http_method_name(method), path, jerr.text);
			ret = EXIT_UNREACHABLE;
		} else {
			if (answer)
				*answer = json;
			else
				json_decref(json);
			if (revision)
				*revision = r.revision;
			ret = EXIT_OK;
		}
	}
	http_response_uninit(&r);
	return ret;
}

/* GETs the list at 'path': returns its "items" array (a new reference) or
 * NULL after printing why, with the exit status in '*status'. */
static json_t *get_list(struct cli *cli, const char *path, int *status)
{
	json_t *answer, *items;

	*status = call(cli, HTTP_GET, path, NULL, 0, NULL, 0, &answer, NULL);
	if (*status)
		return NULL;
	items = json_is_array(answer) ? answer : json_object_get(answer, "items");
	if (!json_is_array(items)) {
		fail("malformed answer from the controller at %s to GET %s: no \"items\" list",
		     cli->url, path);
		json_decref(answer);
		*status = EXIT_UNREACHABLE;
		return NULL;
	}
	json_incref(items);
	json_decref(answer);
	return items;
}

/* GET /v1/KIND (see get_list()). */
static json_t *get_items(struct cli *cli, const char *plural, int *status)
{
	char *path = xasprintf("/v1/%s", plural);
	json_t *items = get_list(cli, path, status);

	free(path);
	return items;
}

static size_t count_components(const char *s)
{
	size_t n = 1;

	for (; *s; s++) {
		if (*s == '/')
			n++;
	}
	return n;
}

static size_t count_id_keys(const struct render_kind *kind)
{
	size_t n = 0;

	while (n < ARRAY_SIZE(kind->id_keys) && kind->id_keys[n])
		n++;
	return n;
}

/* Finds the full id of the object that 'name' designates: 'name' itself
 * when it has as many components as the kind's ids, else the one object of
 * the list whose id ends in it. Returns the id (caller frees) or NULL after
 * printing why, with the exit status in '*status'. */
static char *resolve_name(struct cli *cli, const struct render_kind *kind, const char *name,
			  int *status)
{
	json_t *items;
	char *error, *id;
	size_t index;

	*status = EXIT_OK;
	if (count_components(name) == count_id_keys(kind))
		return render_id_normalize(kind, name);

	items = get_items(cli, kind->plural, status);
	if (!items)
		return NULL;
	if (render_resolve(kind, items, name, &index, &error)) {
		fail("%s", error);
		free(error);
		json_decref(items);
		*status = EXIT_USER;
		return NULL;
	}
	id = render_object_id(kind, json_array_get(items, index));
	json_decref(items);
	return id;
}

static int not_available(const char *what)
{
	fail("'%s' is not available yet in this build", what);
	return EXIT_USER;
}

static const struct render_kind *find_kind(const char *name)
{
	const struct render_kind *kind = render_kind_find(name);

	if (!kind) {
		struct ds kinds = DS_EMPTY_INITIALIZER;
		render_kind_names(&kinds);
		fail("unknown kind '%s' (one of: %s)", name, ds_cstr(&kinds));
		ds_destroy(&kinds);
		return NULL;
	}
	if (!kind->available) {
		not_available(kind->plural);
		return NULL;
	}
	return kind;
}

/* onm apply FILE [--dry-run] */
static int cmd_apply(struct cli *cli, int argc, char **argv)
{
	bool dry_run = false;
	const struct option_spec specs[] = {{"--dry-run", NULL, NULL, &dry_run}};
	const char *args[1];
	size_t n_args;
	int status;

	status = parse_options("apply", argc, argv, specs, ARRAY_SIZE(specs), args, 1, &n_args);
	if (status)
		return status;
	if (n_args != 1) {
		fail("apply: which file? usage: onm apply FILE [--dry-run]");
		return EXIT_USER;
	}

	const char *file = args[0];
	char *body;
	size_t body_size;
	int error = read_file(file, &body, &body_size);
	if (error) {
		fail("cannot read %s: %s", file, strerror(-error));
		return EXIT_USER;
	}

	const struct http_header headers[] = {
	    {"Content-Type",
	     str_has_suffix(file, ".json") ? "application/json" : "application/yaml"},
	    {"X-Onm-Source", file},
	};
	json_t *plan;
	status = call(cli, HTTP_POST, dry_run ? "/v1/apply?dry_run=true" : "/v1/apply", headers,
		      ARRAY_SIZE(headers), body, body_size, &plan, NULL);
	free(body);
	if (status)
		return status;

	struct ds out = DS_EMPTY_INITIALIZER;
	render_plan(plan, file, &out);
	status = write_out(&out);
	ds_destroy(&out);
	json_decref(plan);
	return status;
}

/* onm get KIND [NAME] [-o json|table] */
static int cmd_get(struct cli *cli, int argc, char **argv)
{
	const char *output = "table";
	const struct option_spec specs[] = {{"--output", "-o", &output, NULL}};
	const char *args[2];
	size_t n_args;
	int status;

	status = parse_options("get", argc, argv, specs, ARRAY_SIZE(specs), args, 2, &n_args);
	if (status)
		return status;
	if (n_args < 1) {
		struct ds kinds = DS_EMPTY_INITIALIZER;
		render_kind_names(&kinds);
		fail("get: which kind? (one of: %s)", ds_cstr(&kinds));
		ds_destroy(&kinds);
		return EXIT_USER;
	}
	bool json_output = !strcmp(output, "json");
	if (!json_output && strcmp(output, "table")) {
		fail("get: unknown output format '%s' (json or table)", output);
		return EXIT_USER;
	}
	const struct render_kind *kind = find_kind(args[0]);
	if (!kind)
		return EXIT_USER;
	const char *name = n_args > 1 ? args[1] : NULL;

	/* 'shown' is a list unless 'one' is set. */
	json_t *shown = NULL;
	bool one = false;
	if (!name) {
		shown = get_items(cli, kind->plural, &status);
	} else if (!strcmp(kind->plural, "routes")) {
		/* NAME is a router: its routes, filtered by the controller. */
		char *router = resolve_name(cli, render_kind_find("routers"), name, &status);
		if (router) {
			char *enc = evhttp_uriencode(router, -1, 0);
			char *path = xasprintf("/v1/routes?router=%s", enc);
			shown = get_list(cli, path, &status);
			free(path);
			free(enc);
			free(router);
		}
	} else {
		char *id = resolve_name(cli, kind, name, &status);
		if (id) {
			char *path = object_path(kind, id);
			status = call(cli, HTTP_GET, path, NULL, 0, NULL, 0, &shown, NULL);
			one = true;
			free(path);
			free(id);
		}
	}
	if (!shown)
		return status ? status : EXIT_UNREACHABLE;

	struct ds out = DS_EMPTY_INITIALIZER;
	if (json_output) {
		render_json(shown, &out);
	} else if (one) {
		json_t *list = json_array();
		json_array_append(list, shown);
		render_list(kind, list, &out);
		json_decref(list);
	} else if (!json_array_size(shown)) {
		fprintf(stderr, "no %s\n", kind->plural);
	} else {
		render_list(kind, shown, &out);
	}
	status = write_out(&out);
	ds_destroy(&out);
	json_decref(shown);
	return status;
}

/* onm delete KIND NAME */
static int cmd_delete(struct cli *cli, int argc, char **argv)
{
	const char *args[2];
	size_t n_args;
	int status;

	status = parse_options("delete", argc, argv, NULL, 0, args, 2, &n_args);
	if (status)
		return status;
	if (n_args != 2) {
		fail("delete: usage: onm delete KIND NAME");
		return EXIT_USER;
	}
	const struct render_kind *kind = find_kind(args[0]);
	if (!kind)
		return EXIT_USER;

	char *id;
	if (!strcmp(kind->plural, "routes")) {
		/* A route's id (ROUTER/PREFIX) has a variable number of
		 * components, so it is always looked up in the list. */
		json_t *items = get_items(cli, kind->plural, &status);
		size_t index;
		char *error;
		if (!items)
			return status;
		if (render_resolve(kind, items, args[1], &index, &error)) {
			fail("%s", error);
			free(error);
			json_decref(items);
			return EXIT_USER;
		}
		id = render_object_id(kind, json_array_get(items, index));
		json_decref(items);
	} else {
		id = resolve_name(cli, kind, args[1], &status);
		if (!id)
			return status;
	}

	char *path = object_path(kind, id);
	json_t *answer;
	uint64_t revision;
	status = call(cli, HTTP_DELETE, path, NULL, 0, NULL, 0, &answer, &revision);
	if (!status) {
		const json_t *rev = json_object_get(answer, "revision");
		if (json_is_integer(rev))
			revision = (uint64_t)json_integer_value(rev);
		printf("%s %s deleted (revision %llu)\n", kind->noun, id,
		       (unsigned long long)revision);
		json_decref(answer);
	}
	free(path);
	free(id);
	return status;
}

/* onm link set A B up|down */
static int cmd_link(struct cli *cli, int argc, char **argv)
{
	const char *args[4];
	size_t n_args;
	int status;

	status = parse_options("link", argc, argv, NULL, 0, args, 4, &n_args);
	if (status)
		return status;
	if (n_args != 4 || strcmp(args[0], "set") ||
	    (strcmp(args[3], "up") && strcmp(args[3], "down"))) {
		fail("link: usage: onm link set A B up|down");
		return EXIT_USER;
	}

	const struct render_kind *kind = render_kind_find("links");
	char *typed = xasprintf("%s/%s", args[1], args[2]);
	char *id = render_id_normalize(kind, typed);
	char *path = object_path(kind, id);
	json_t *link;
	free(typed);
	free(id);

	status = call(cli, HTTP_GET, path, NULL, 0, NULL, 0, &link, NULL);
	free(path);
	if (status)
		return status;
	if (!json_is_object(link)) {
		fail("malformed answer from the controller at %s: a link is not an object",
		     cli->url);
		json_decref(link);
		return EXIT_UNREACHABLE;
	}

	/* PUT to the id the controller knows the link by. */
	id = render_object_id(kind, link);
	if (!id) {
		fail("malformed answer from the controller at %s: a link without endpoints",
		     cli->url);
		json_decref(link);
		return EXIT_UNREACHABLE;
	}
	const char *state = json_string_value(json_object_get(link, "state"));
	if (state && !strcmp(state, args[3])) {
		printf("link %s is already %s\n", id, args[3]);
		free(id);
		json_decref(link);
		return EXIT_OK;
	}

	json_object_set_new(link, "state", json_string(args[3]));
	char *body = json_dumps(link, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!body)
		onm_abort("json_dumps failed");
	const struct http_header headers[] = {{"Content-Type", "application/json"}};
	json_t *updated;
	uint64_t revision;
	path = object_path(kind, id);
	status = call(cli, HTTP_PUT, path, headers, ARRAY_SIZE(headers), body, strlen(body),
		      &updated, &revision);
	if (!status) {
		printf("link %s is %s (revision %llu)\n", id, args[3],
		       (unsigned long long)revision);
		json_decref(updated);
	}
	free(path);
	free(body);
	free(id);
	json_decref(link);
	return status;
}

/* onm route show NETWORK: NETWORK is T/N or a unique network name. */
static int cmd_route(struct cli *cli, int argc, char **argv)
{
	const char *args[2];
	size_t n_args;
	int status = parse_options("route", argc, argv, NULL, 0, args, 2, &n_args);
	struct ds path = DS_EMPTY_INITIALIZER, text = DS_EMPTY_INITIALIZER;
	json_t *doc;
	char *id;

	if (status)
		return status;
	if (n_args != 2 || strcmp(args[0], "show")) {
		fail("route: usage: onm route show NETWORK");
		return EXIT_USER;
	}
	id = resolve_name(cli, render_kind_find("networks"), args[1], &status);
	if (!id)
		return status;
	ds_put_cstr(&path, "/v1/routing/");
	put_id_path(&path, id);
	status = call(cli, HTTP_GET, ds_cstr(&path), NULL, 0, NULL, 0, &doc, NULL);
	if (!status) {
		render_route_show(doc, &text);
		fputs(ds_cstr(&text), stdout);
		json_decref(doc);
	}
	ds_destroy(&text);
	ds_destroy(&path);
	free(id);
	return status;
}

/* onm trace INSTANCE DST [--proto P] [--port N] */
static int cmd_trace(struct cli *cli, int argc, char **argv)
{
	const char *args[2], *proto = NULL, *port = NULL, *output = NULL;
	const struct option_spec specs[] = {{"--proto", NULL, &proto, NULL},
					    {"--port", NULL, &port, NULL},
					    {"--output", "-o", &output, NULL}};
	size_t n_args;
	int status = parse_options("trace", argc, argv, specs, ARRAY_SIZE(specs), args, 2, &n_args);
	struct ds path = DS_EMPTY_INITIALIZER, text = DS_EMPTY_INITIALIZER;
	json_t *doc;
	char *id, *enc;

	if (status)
		return status;
	if (n_args != 2) {
		fail("trace: usage: onm trace INSTANCE DST [--proto icmp|tcp|udp] [--port N]");
		return EXIT_USER;
	}
	id = resolve_name(cli, render_kind_find("instances"), args[0], &status);
	if (!id)
		return status;
	enc = evhttp_encode_uri(id);
	ds_put_format(&path, "/v1/trace?instance=%s", enc);
	free(enc);
	enc = evhttp_encode_uri(args[1]);
	ds_put_format(&path, "&dst=%s", enc);
	free(enc);
	if (proto) {
		enc = evhttp_encode_uri(proto);
		ds_put_format(&path, "&proto=%s", enc);
		free(enc);
	}
	if (port) {
		enc = evhttp_encode_uri(port);
		ds_put_format(&path, "&port=%s", enc);
		free(enc);
	}
	status = call(cli, HTTP_GET, ds_cstr(&path), NULL, 0, NULL, 0, &doc, NULL);
	if (!status) {
		if (output && !strcmp(output, "json"))
			render_json(doc, &text);
		else
			render_trace(doc, &text);
		fputs(ds_cstr(&text), stdout);
		json_decref(doc);
	}
	ds_destroy(&text);
	ds_destroy(&path);
	free(id);
	return status;
}

/* onm tenant quarantine NAME [--off]: like 'link set', a read-modify-write
 * of the whole object, so that everything else about the tenant stays (its
 * users keep their password hashes: a PUT without passwords keeps them). */
static int cmd_tenant(struct cli *cli, int argc, char **argv)
{
	bool off = false;
	const struct option_spec specs[] = {{"--off", NULL, NULL, &off}};
	const char *args[2];
	size_t n_args;
	int status;

	status = parse_options("tenant", argc, argv, specs, ARRAY_SIZE(specs), args, 2, &n_args);
	if (status)
		return status;
	if (n_args != 2 || strcmp(args[0], "quarantine")) {
		fail("tenant: usage: onm tenant quarantine NAME [--off]");
		return EXIT_USER;
	}

	const struct render_kind *kind = render_kind_find("tenants");
	const char *name = args[1];
	const char *state = off ? "out of quarantine" : "in quarantine";
	char *path = object_path(kind, name);
	json_t *tenant;

	status = call(cli, HTTP_GET, path, NULL, 0, NULL, 0, &tenant, NULL);
	if (status) {
		free(path);
		return status;
	}
	if (!json_is_object(tenant)) {
		fail("malformed answer from the controller at %s: a tenant is not an object",
		     cli->url);
		json_decref(tenant);
		free(path);
		return EXIT_UNREACHABLE;
	}
	if (json_is_true(json_object_get(tenant, "quarantine")) == !off) {
		printf("tenant %s is already %s\n", name, state);
		json_decref(tenant);
		free(path);
		return EXIT_OK;
	}

	json_object_set_new(tenant, "quarantine", json_boolean(!off));
	char *body = json_dumps(tenant, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!body)
		onm_abort("json_dumps failed");
	const struct http_header headers[] = {{"Content-Type", "application/json"}};
	json_t *updated;
	uint64_t revision;
	status = call(cli, HTTP_PUT, path, headers, ARRAY_SIZE(headers), body, strlen(body),
		      &updated, &revision);
	if (!status) {
		printf("tenant %s is %s (revision %llu)\n", name, state,
		       (unsigned long long)revision);
		json_decref(updated);
	}
	free(body);
	free(path);
	json_decref(tenant);
	return status;
}

static int cmd_help(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	if (argc > 0 && !command_find(argv[0])) {
		fail("help: no command '%s'", argv[0]);
		return EXIT_USER;
	}
	print_usage(stdout);
	return EXIT_OK;
}

/* The host part of the controller's URL ("http://HOST:PORT/..."), where
 * its SSH server listens too. */
static char *url_host(const char *url)
{
	const char *p = strstr(url, "://"), *end;

	p = p ? p + 3 : url;
	if (*p == '[') {
		end = strchr(p, ']');
		return end ? xmemdup0(p + 1, (size_t)(end - p - 1)) : xstrdup(p);
	}
	end = p + strcspn(p, ":/");
	return xmemdup0(p, (size_t)(end - p));
}

/* onm console NETWORK/DEVICE: the device CLI on this terminal, through the
 * controller's SSH server with a one-time login the API hands out. */
static int cmd_console(struct cli *cli, int argc, char **argv)
{
	const char *args[1];
	size_t n_args;
	int status = parse_options("console", argc, argv, NULL, 0, args, 1, &n_args);
	json_t *doc, *req;
	char *id, *body, *host, *error = NULL;

	if (status)
		return status;
	if (n_args != 1) {
		fail("console: usage: onm console [TENANT/]NETWORK/DEVICE");
		return EXIT_USER;
	}
	id = resolve_name(cli, render_kind_find("routers"), args[0], &status);
	if (!id)
		return status;
	req = json_pack("{s:s}", "device", id);
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	free(id);
	status = call(cli, HTTP_POST, "/v1/console", NULL, 0, body, strlen(body), &doc, NULL);
	free(body);
	if (status)
		return status;
	host = url_host(cli->url);
	status = console_run(host, (int)json_integer_value(json_object_get(doc, "port")),
			     json_string_value(json_object_get(doc, "login")),
			     json_string_value(json_object_get(doc, "password")), &error);
	free(host);
	json_decref(doc);
	if (status < 0) {
		fail("console: %s", error);
		free(error);
		return EXIT_UNREACHABLE;
	}
	return status;
}

/* onm lab up|exec|status|down: see lab.c. */
static int cmd_lab(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	return lab_main(argc, argv);
}

static const struct command commands[] = {
    {"apply", "FILE [--dry-run]", "create, update, delete to match FILE (YAML, or *.json)",
     cmd_apply},
    {"get", "KIND [NAME] [-o json|table]", "list the objects of KIND, or show one", cmd_get},
    {"delete", "KIND NAME", "delete one object", cmd_delete},
    {"link", "set A B up|down", "maintenance state of a link", cmd_link},
    {"tenant", "quarantine NAME [--off]", "all of a tenant's traffic through inspection hosts",
     cmd_tenant},
    {"help", "", "show this help", cmd_help},
    {"lab", "up FILE|status|down|exec INST -- CMD", "a lab in network namespaces", cmd_lab},
    /* Later parts of onm (spec.md). */
    {"route", "show NETWORK", "routes and substrate paths", cmd_route},
    {"console", "NETWORK/DEVICE", "the device CLI on this terminal", cmd_console},
    {"trace", "INSTANCE DST [--proto P --port N] [-o json]", "trace one packet", cmd_trace},
};

static const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	}
	return NULL;
}

static void print_usage(FILE *stream)
{
	struct ds kinds = DS_EMPTY_INITIALIZER;

	render_kind_names(&kinds);
	fprintf(stream, "usage: onm [--controller URL] [--token TOKEN] COMMAND [ARGS]\n"
			"\n"
			"commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const struct command *c = &commands[i];
		char *synopsis = xasprintf("%s %s", c->name, c->usage);
		fprintf(stream, "  %-40s  %s%s\n", synopsis, c->help,
			c->run ? "" : " (not available yet)");
		free(synopsis);
	}
	fprintf(stream,
		"\n"
		"kinds: %s\n"
		"NAME is an object's id (acme/blue/web1; a link's is A/B) or its last part when\n"
		"that is unique (web1); for routes, NAME is a router.\n"
		"\n"
		"options:\n"
		"  --controller URL  controller to talk to (default $ONM_CONTROLLER, else %s)\n"
		"  --token TOKEN     bearer token (default $ONM_TOKEN)\n"
		"\n"
		"exit status: 0 success, 1 user error, 2 controller unreachable or failing\n",
		ds_cstr(&kinds), DEFAULT_CONTROLLER);
	ds_destroy(&kinds);
}

static const char *env_or_null(const char *name)
{
	const char *value = getenv(name);

	return value && *value ? value : NULL;
}

int main(int argc, char **argv)
{
	struct cli cli = {
	    .url = env_or_null("ONM_CONTROLLER"),
	    .token = env_or_null("ONM_TOKEN"),
	};
	int i = 1;

	if (!cli.url)
		cli.url = DEFAULT_CONTROLLER;

	/* Global options, before the command. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *arg = argv[i];
		const char **target = NULL;
		const char *value = NULL;

		if (!strcmp(arg, "--")) {
			i++;
			break;
		}
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			print_usage(stdout);
			return EXIT_OK;
		}
		if (str_has_prefix(arg, "--controller")) {
			target = &cli.url;
			value = arg + strlen("--controller");
		} else if (str_has_prefix(arg, "--token")) {
			target = &cli.token;
			value = arg + strlen("--token");
		}
		if (!target || (*value && *value != '=')) {
			fail("unknown option '%s' (try 'onm help')", arg);
			return EXIT_USER;
		}
		if (*value == '=') {
			value++;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			fail("option '%s' needs a value", arg);
			return EXIT_USER;
		}
		*target = value;
	}
	if (cli.token && !*cli.token)
		cli.token = NULL;

	if (i >= argc) {
		print_usage(stderr);
		return EXIT_USER;
	}

	const struct command *command = command_find(argv[i]);
	if (!command) {
		fail("unknown command '%s' (try 'onm help')", argv[i]);
		return EXIT_USER;
	}
	if (!command->run)
		return not_available(command->name);
	for (int j = i + 1; j < argc && strcmp(argv[j], "--"); j++) {
		if (!strcmp(argv[j], "-h") || !strcmp(argv[j], "--help")) {
			print_usage(stdout);
			return EXIT_OK;
		}
	}

	int status = command->run(&cli, argc - i - 1, argv + i + 1);
	http_client_destroy(cli.http);
	if (fflush(stdout)) {
		fprintf(stderr, "onm: cannot write the output: %s\n", strerror(errno));
		if (!status)
			status = EXIT_USER;
	}
	return status;
}
