// SPDX-License-Identifier: Apache-2.0
/*
 * The simulated devices' service (see service.h): credentials for the SSH
 * server from the model, sessions bound to terminals, the audit log.
 */
#include "service.h"

#include "agents.h"
#include "onm/log.h"
#include "onm/model.h"
#include "onm/store.h"
#include "onm/util.h"
#include "pwcheck.h"
#include "service-private.h"
#include "ssh.h"
#include "state.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#undef LOG_MODULE
#define LOG_MODULE "devices"

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const struct model *dev_service_model(const struct dev_service *svc)
{
	return ctl_state_model(svc->state);
}

uint64_t dev_service_now_ms(const struct dev_service *svc)
{
	return svc->test_now_ms ? svc->test_now_ms : wall_ms();
}

json_t *dev_service_counters(const struct dev_service *svc)
{
	if (svc->test_counters)
		return json_incref(svc->test_counters);
	return svc->agents ? ctl_agents_counters_json(svc->agents) : NULL;
}

static enum dev_role role_of(enum user_role r)
{
	return r == ROLE_ADMIN ? DEV_ROLE_ADMIN : r == ROLE_OPERATOR ? DEV_ROLE_OPERATOR
								      : DEV_ROLE_VIEWER;
}

/* ---- audit ---- */

/* One record to the file and the in-memory tail. */
static void audit(struct dev_service *svc, const char *user, const char *device,
		  const char *source, const char *command, const char *verdict, int status)
{
	char when[32];
	time_t now = (time_t)(dev_service_now_ms(svc) / 1000);
	json_t *rec;
	char *line;
	FILE *f;

	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "time", when, "user", user,
			"device", device, "source", source, "command", command, "verdict",
			verdict, "status", status);
	line = json_dumps(rec, JSON_COMPACT);
	f = fopen(svc->audit_path, "a");
	if (f) {
		fprintf(f, "%s\n", line);
		fclose(f);
	} else {
		LOG_WARN_RL("audit log %s: %s", svc->audit_path, strerror(errno));
	}
	free(line);
	json_array_append_new(svc->audit, rec);
	if (json_array_size(svc->audit) > AUDIT_KEEP)
		json_array_remove(svc->audit, 0);
}

/* The tail of the audit file, at start. */
static void audit_load(struct dev_service *svc)
{
	FILE *f = fopen(svc->audit_path, "r");
	char *line = NULL;
	size_t cap = 0;

	svc->audit = json_array();
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		json_t *rec = json_loads(line, 0, NULL);

		if (!json_is_object(rec)) {
			json_decref(rec);
			continue;
		}
		json_array_append_new(svc->audit, rec);
		if (json_array_size(svc->audit) > AUDIT_KEEP)
			json_array_remove(svc->audit, 0);
	}
	free(line);
	fclose(f);
}

json_t *dev_service_audit_json(const struct dev_service *svc, const char *tenant, size_t max)
{
	json_t *items = json_array(), *rec;
	size_t i, n = json_array_size(svc->audit);

	for (i = 0; i < n; i++) {
		const char *user;

		rec = json_array_get(svc->audit, i);
		user = json_string_value(json_object_get(rec, "user"));
		if (tenant && (!user || !str_has_prefix(user, tenant) ||
			       user[strlen(tenant)] != '/'))
			continue;
		json_array_append(items, rec);
	}
	while (json_array_size(items) > max)
		json_array_remove(items, 0);
	return json_pack("{s:o}", "items", items);
}

/* ---- credentials ---- */

static int router_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct model_object *const *)a)->id,
		      (*(const struct model_object *const *)b)->id);
}

/* Drops used and expired console tickets. */
static void tickets_prune(struct dev_service *svc, const char *used)
{
	int64_t now = (int64_t)wall_ms();
	size_t k = 0;

	for (size_t i = 0; i < svc->n_tickets; i++) {
		struct console_ticket *t = &svc->tickets[i];

		if (t->expires_ms < now || (used && !strcmp(t->secret, used))) {
			free(t->tenant);
			free(t->network);
			free(t->router);
			sodium_memzero(t->secret, strlen(t->secret));
			free(t->secret);
		} else {
			svc->tickets[k++] = *t;
		}
	}
	svc->n_tickets = k;
}

/* Who may log in where, from the model and the console tickets. */
static struct dev_ssh_creds *creds_build(struct dev_service *svc)
{
	const struct model *m = dev_service_model(svc);
	struct dev_ssh_creds *c = xzalloc(sizeof *c);
	size_t n_tenants, n_routers, n_acc = 0;
	struct model_object **tenants = model_list(m, MODEL_TENANT, &n_tenants);
	struct model_object **routers = model_list(m, MODEL_ROUTER, &n_routers);

	qsort(routers, n_routers, sizeof *routers, router_cmp);
	c->devices = xcalloc(n_routers + 1, sizeof *c->devices);
	for (size_t i = 0; i < n_routers; i++) {
		const struct router *r = CONTAINER_OF(routers[i], const struct router, hdr);

		c->devices[i] = (struct dev_ssh_device){
		    xstrdup(r->tenant), xstrdup(r->network), xstrdup(r->name),
		    r->ssh_listen ? xstrdup(r->ssh_listen) : NULL};
	}
	c->n_devices = n_routers;
	for (size_t i = 0; i < n_tenants; i++)
		n_acc += CONTAINER_OF(tenants[i], const struct tenant, hdr)->n_users;
	tickets_prune(svc, NULL);
	c->accounts = xcalloc(n_acc + svc->n_tickets + 1, sizeof *c->accounts);
	for (size_t i = 0; i < svc->n_tickets; i++) {
		const struct console_ticket *t = &svc->tickets[i];
		struct dev_ssh_account *a = &c->accounts[c->n_accounts++];

		a->tenant = xstrdup(t->tenant);
		a->user = xstrdup("console");
		a->role = DEV_ROLE_ADMIN;
		a->ticket = xstrdup(t->secret);
		a->expires_ms = t->expires_ms;
		a->default_device = xasprintf("%s/%s", t->network, t->router);
	}
	for (size_t i = 0; i < n_tenants; i++) {
		const struct tenant *t = CONTAINER_OF(tenants[i], const struct tenant, hdr);
		char *dflt = NULL;

		/* A plain "USER" login reaches the tenant's first router. */
		for (size_t k = 0; k < n_routers && !dflt; k++) {
			const struct router *r = CONTAINER_OF(routers[k], const struct router, hdr);

			if (!strcmp(r->tenant, t->name))
				dflt = xasprintf("%s/%s", r->network, r->name);
		}
		for (size_t u = 0; u < t->n_users; u++) {
			const struct user *us = &t->users[u];
			struct dev_ssh_account *a = &c->accounts[c->n_accounts++];

			a->tenant = xstrdup(t->name);
			a->user = xstrdup(us->name);
			a->role = role_of(us->role);
			a->password_hash = us->password_hash ? xstrdup(us->password_hash) : NULL;
			a->default_device = dflt ? xstrdup(dflt) : NULL;
			a->n_keys = us->n_public_keys;
			a->keys = xcalloc(us->n_public_keys + 1, sizeof *a->keys);
			for (size_t k = 0; k < us->n_public_keys; k++)
				a->keys[k] = xstrdup(us->public_keys[k]);
		}
		free(dflt);
	}
	free(tenants);
	free(routers);
	return c;
}

/* Gives the SSH server (if any) a new snapshot. */
static void creds_update(struct dev_service *svc)
{
	if (svc->ssh)
		dev_ssh_server_set_creds(svc->ssh, creds_build(svc));
}

json_t *dev_service_console(struct dev_service *svc, const char *device, char **error)
{
	const struct model_object *o = model_find(dev_service_model(svc), MODEL_ROUTER, device);
	const struct router *r;
	struct console_ticket *t;
	unsigned char raw[24];
	char hex[2 * sizeof raw + 1];

	if (!o) {
		*error = xasprintf("no router '%s' (expected TENANT/NETWORK/ROUTER)", device);
		return NULL;
	}
	if (!svc->ssh) {
		*error = xstrdup("the devices' SSH server is off");
		return NULL;
	}
	r = CONTAINER_OF(o, const struct router, hdr);
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
	svc->tickets = xrealloc(svc->tickets, (svc->n_tickets + 1) * sizeof *svc->tickets);
	t = &svc->tickets[svc->n_tickets++];
	t->tenant = xstrdup(r->tenant);
	t->network = xstrdup(r->network);
	t->router = xstrdup(r->name);
	t->secret = xstrdup(hex);
	t->expires_ms = (int64_t)wall_ms() + CONSOLE_TICKET_MS;
	creds_update(svc);
	char *login = xasprintf("console@%s", r->hdr.id);
	json_t *j = json_pack("{s:s, s:s, s:i, s:I}", "login", login, "password", hex, "port",
			      dev_ssh_server_port(svc->ssh), "expires_ms",
			      (json_int_t)t->expires_ms);

	free(login);
	sodium_memzero(hex, sizeof hex);
	return j;
}

/* ---- running and startup configuration ---- */

json_t *dev_router_json(const struct dev_service *svc, const char *router_id)
{
	const struct model_object *o = model_find(dev_service_model(svc), MODEL_ROUTER, router_id);

	return o ? json_loads(o->json, 0, NULL) : NULL;
}

/* Forgets the startup record of 'router_id' (store and memory). 'router_id'
 * may be the record's own key in 'startup' (startup_check): it is used up
 * last. */
static void startup_drop(struct dev_service *svc, const char *router_id)
{
	char *key = xasprintf(STARTUP_PREFIX "%s", router_id);
	int rc = store_delete(ctl_state_store(svc->state), key, NULL);

	if (rc)
		LOG_WARN_RL("cannot delete %s: %s", key, strerror(-rc));
	free(key);
	json_object_del(svc->cli_running, router_id);
	json_object_del(svc->startup, router_id);
}

/* Keeps 'json' (the router's configuration before the CLI's first change)
 * as its startup configuration, unless there is a record already. */
static int startup_keep(struct dev_service *svc, const char *router_id, const char *json,
			char **error)
{
	char *key;
	int rc;

	if (json_object_get(svc->startup, router_id))
		return 0;
	key = xasprintf(STARTUP_PREFIX "%s", router_id);
	rc = store_put(ctl_state_store(svc->state), key, json, strlen(json), NULL);
	free(key);
	if (rc) {
		*error = xasprintf("cannot keep the startup configuration: %s", strerror(-rc));
		return rc;
	}
	json_object_set_new(svc->startup, router_id, json_string(json));
	return 0;
}

int dev_router_update(struct dev_service *svc, const char *router_id, const json_t *router,
		      char **error)
{
	const struct model_object *o = model_find(dev_service_model(svc), MODEL_ROUTER, router_id);
	const struct model_object *updated = NULL;
	bool recorded = json_object_get(svc->startup, router_id) != NULL;
	char *text, *before;
	int rc;

	*error = NULL;
	if (!o) {
		*error = xasprintf("router %s: not found", router_id);
		return -ENOENT;
	}
	before = xstrdup(o->json); /* the update frees 'o' */
	rc = startup_keep(svc, router_id, before, error);
	if (rc)
		goto out;
	text = json_dumps(router, JSON_COMPACT);
	svc->updating = router_id;
	rc = ctl_state_update(svc->state, MODEL_ROUTER, router_id, text, strlen(text), &updated,
			      error);
	svc->updating = NULL;
	free(text);
	if (rc || (!recorded && !strcmp(updated->json, before))) {
		/* Refused, or a change that changed nothing: no record. */
		if (!recorded)
			startup_drop(svc, router_id);
	} else {
		json_object_set_new(svc->cli_running, router_id, json_string(updated->json));
	}
out:
	free(before);
	return rc;
}

/* "request body: x: y" -> "x: y": the CLI user sent no request body. */
static const char *error_text(const char *error)
{
	static const char prefix[] = "request body: ";

	if (!error)
		return "failed";
	return str_has_prefix(error, prefix) ? error + strlen(prefix) : error;
}

int dev_session_router_update(struct dev_exec *x, const json_t *router)
{
	struct dev_session *s = dev_exec_device(x);
	char *error = NULL;
	int rc = dev_router_update(s->service, s->device, router, &error);

	if (rc)
		dev_printf(x, "%% %s\n", error_text(error));
	free(error);
	return rc ? -1 : 0;
}

json_t *dev_router_startup_json(const struct dev_service *svc, const char *router_id)
{
	const char *saved = json_string_value(json_object_get(svc->startup, router_id));

	if (!model_find(dev_service_model(svc), MODEL_ROUTER, router_id))
		return NULL;
	return saved ? json_loads(saved, 0, NULL) : dev_router_json(svc, router_id);
}

int dev_router_write_memory(struct dev_service *svc, const char *router_id, char **error)
{
	*error = NULL;
	if (!model_find(dev_service_model(svc), MODEL_ROUTER, router_id)) {
		*error = xasprintf("router %s: not found", router_id);
		return -ENOENT;
	}
	if (json_object_get(svc->startup, router_id))
		startup_drop(svc, router_id);
	return 0;
}

/* A recorded router that someone else changed (REST, `onm apply`) or
 * removed: that write is its startup configuration now. */
static void startup_check(struct dev_service *svc)
{
	const struct model *m = dev_service_model(svc);
	const char *id;
	json_t *v, *tmp;

	json_object_foreach_safe (svc->startup, tmp, id, v) {
		const struct model_object *o = model_find(m, MODEL_ROUTER, id);
		const char *ours = json_string_value(json_object_get(svc->cli_running, id));

		if (svc->updating && !strcmp(svc->updating, id))
			continue;
		if (!o || !ours || strcmp(o->json, ours))
			startup_drop(svc, id);
	}
}

/* At start: every router changed at the CLI since its last `write memory`
 * goes back to its startup configuration. */
static void startup_restore(struct dev_service *svc)
{
	struct store *store = ctl_state_store(svc->state);
	struct store_kv *kvs;
	size_t n, restored = 0;
	int rc = store_list(store, STARTUP_PREFIX, &kvs, &n);

	if (rc) {
		LOG_WARN("cannot read the routers' startup configurations: %s", strerror(-rc));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *id = kvs[i].key + strlen(STARTUP_PREFIX);
		char *error = NULL;

		if (model_find(dev_service_model(svc), MODEL_ROUTER, id)) {
			rc = ctl_state_update(svc->state, MODEL_ROUTER, id, kvs[i].value,
					      kvs[i].value_len, NULL, &error);
			if (rc)
				LOG_WARN("router %s: cannot restore its startup configuration: %s",
					 id, error);
			else
				restored++;
			free(error);
		}
		rc = store_delete(store, kvs[i].key, NULL);
		if (rc)
			LOG_WARN("cannot delete %s: %s", kvs[i].key, strerror(-rc));
	}
	if (restored) {
		LOG_INFO("%zu router%s back to the startup configuration (no write memory)",
			 restored, restored == 1 ? "" : "s");
		/* The change callback is not set yet: tell the agents here. */
		if (svc->agents)
			ctl_agents_model_changed(ctl_state_revision(svc->state), svc->agents);
	}
	store_kvs_free(kvs, n);
}

/* ---- user settings ---- */

int dev_session_user_update(struct dev_exec *x,
			    int (*edit)(struct dev_exec *, json_t *user, void *aux), void *aux)
{
	struct dev_session *s = dev_exec_device(x);
	const struct model_object *o =
	    model_find(dev_service_model(s->service), MODEL_TENANT, s->tenant);
	json_t *tenant, *user = NULL, *u;
	char *text, *error = NULL;
	size_t i;
	int rc;

	if (s->console || !o) {
		dev_printf(x, "%% The console has no user settings\n");
		return -1;
	}
	tenant = json_loads(o->json, 0, NULL);
	json_array_foreach (json_object_get(tenant, "users"), i, u)
		if (!strcmp(json_string_value(json_object_get(u, "name")) ?: "", s->user))
			user = u;
	if (!user) {
		dev_printf(x, "%% User %s no longer exists\n", s->user);
		json_decref(tenant);
		return -1;
	}
	rc = edit(x, user, aux);
	if (rc) {
		json_decref(tenant);
		return -1;
	}
	text = json_dumps(tenant, JSON_COMPACT);
	rc = ctl_state_update(s->service->state, MODEL_TENANT, s->tenant, text, strlen(text), NULL,
			      &error);
	if (rc)
		dev_printf(x, "%% %s\n", error_text(error));
	free(error);
	free(text);
	json_decref(tenant);
	return rc ? -1 : 0;
}

/* ---- sessions ---- */

static void session_free(struct dev_session *s)
{
	pw_check_cancel(s->check);
	dev_term_destroy(s->term);
	free(s->words);
	for (size_t i = 0; i < s->n_junos_names; i++)
		free(s->junos_names[i]);
	free(s->junos_names);
	json_decref(s->candidate);
	free(s->candidate_base);
	free(s->tenant);
	free(s->user);
	free(s->device);
	free(s->source);
	free(s);
}

static void session_unlink(struct dev_service *svc, struct dev_session *s)
{
	for (struct dev_session **p = &svc->sessions; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			return;
		}
}

/* Destroys the sessions their terminals closed (outside the terminal's
 * own callbacks). */
static void on_reap(evutil_socket_t fd, short what, void *svc_)
{
	struct dev_service *svc = svc_;
	struct dev_session **p = &svc->sessions;

	while (*p) {
		struct dev_session *s = *p;

		if (s->closing) {
			*p = s->next;
			session_free(s);
		} else {
			p = &s->next;
		}
	}
}

static void term_write(void *io, const char *buf, size_t len)
{
	struct dev_session *s = io;

	if (s->ssh)
		dev_ssh_session_write(s->ssh, buf, len);
	else if (s->local.write)
		s->local.write(s->local.aux, buf, len);
}

static void term_close(void *io, int exit_status)
{
	struct dev_session *s = io;

	if (s->ssh)
		dev_ssh_session_close(s->ssh, exit_status);
	else if (s->local.close)
		s->local.close(s->local.aux, exit_status);
	s->ssh = NULL;
	s->local.write = NULL;
	s->local.close = NULL;
	s->closing = true;
	event_active(s->service->reap, EV_TIMEOUT, 0);
}

const struct user *dev_session_user(const struct dev_session *s)
{
	const struct model_object *o = model_find(dev_service_model(s->service), MODEL_TENANT,
						  s->tenant);
	const struct tenant *t = o ? CONTAINER_OF(o, const struct tenant, hdr) : NULL;

	if (s->console)
		return NULL;
	for (size_t i = 0; t && i < t->n_users; i++)
		if (!strcmp(t->users[i].name, s->user))
			return &t->users[i];
	return NULL;
}

static void password_checked(void *s_, bool ok)
{
	struct dev_session *s = s_;

	s->check = NULL;
	dev_term_password_checked(s->term, ok);
}

/* A re-login: the check runs off the loop (pwcheck.h). */
static void term_verify_password(void *io, const char *password)
{
	struct dev_session *s = io;
	const struct user *u = dev_session_user(s);

	if (!u || !u->password_hash) {
		dev_term_password_checked(s->term, false);
		return;
	}
	pw_check_cancel(s->check);
	s->check = pw_check_start(s->service->checker, u->password_hash, password,
				  password_checked, s);
}

static void term_audit(void *io, enum dev_audit_verdict verdict, const char *line, int status)
{
	struct dev_session *s = io;
	static const char *const names[] = {[DEV_AUDIT_RUN] = "run",
					    [DEV_AUDIT_DENIED] = "denied",
					    [DEV_AUDIT_LOGIN_FAILED] = "login_failed"};
	char *who = xasprintf("%s/%s", s->tenant, s->user);

	audit(s->service, who, s->device, s->source, line, names[verdict], status);
	free(who);
}

static const struct router *session_router(const struct dev_session *s)
{
	const struct model_object *o =
	    model_find(dev_service_model(s->service), MODEL_ROUTER, s->device);

	return o ? CONTAINER_OF(o, const struct router, hdr) : NULL;
}

/* Interface names of the session's router (in the session's style), for
 * IFNAME. */
static const char *const *term_words(void *io, const char *placeholder)
{
	struct dev_session *s = io;
	const struct router *r = session_router(s);
	size_t n = r && !strcmp(placeholder, "IFNAME") ? r->n_interfaces : 0;

	free(s->words);
	for (size_t i = 0; i < s->n_junos_names; i++)
		free(s->junos_names[i]);
	free(s->junos_names);
	s->junos_names = NULL;
	s->n_junos_names = 0;
	s->words = xcalloc(n + 1, sizeof *s->words);
	if (s->style == USER_STYLE_JUNOS) {
		s->junos_names = xcalloc(n + 1, sizeof *s->junos_names);
		s->n_junos_names = n;
		for (size_t i = 0; i < n; i++)
			s->words[i] = s->junos_names[i] = dev_junos_ifname(r, i);
	} else {
		for (size_t i = 0; i < n; i++)
			s->words[i] = r->interfaces[i].name;
	}
	return s->words;
}

/* The user's alias for a first word: 'alias exec NAME COMMAND'. */
static const char *term_alias(void *io, const char *word)
{
	const struct user *u = dev_session_user(io);

	for (size_t i = 0; u && i < u->n_aliases; i++)
		if (!strcmp(u->aliases[i].name, word))
			return u->aliases[i].command;
	return NULL;
}

/* JunOS prompts: "user@r1> " in operational mode, "user@r1# " when
 * configuring. */
static void term_junos_prompt(void *io, enum dev_mode mode, const char *mode_arg, char *buf,
			      size_t size)
{
	struct dev_session *s = io;
	const struct router *r = session_router(s);

	snprintf(buf, size, "%s@%s%s", s->user, r ? r->name : "router",
		 mode == DEV_MODE_EXEC || mode == DEV_MODE_PRIV ? "> " : "# ");
}

static const struct dev_term_ops ios_ops = {
    .write = term_write,
    .close = term_close,
    .words = term_words,
    .alias = term_alias,
    .verify_password = term_verify_password,
    .audit = term_audit,
};

static const struct dev_term_ops junos_ops = {
    .write = term_write,
    .close = term_close,
    .prompt = term_junos_prompt,
    .words = term_words,
    .alias = term_alias,
    .verify_password = term_verify_password,
    .audit = term_audit,
};

/* What a session starts with. */
struct session_params {
	const char *tenant, *user, *device, *source; /* device: "T/N/R" */
	enum dev_role role;
	bool console;
	bool interactive;
	unsigned cols, rows;
	const char *exec;
};

/* The idle timeout of a session: the user's, none for exec requests. */
static unsigned session_timeout(const struct dev_session *s)
{
	const struct user *u = dev_session_user(s);

	if (s->exec)
		return 0;
	return u ? u->exec_timeout_s : USER_EXEC_TIMEOUT_DEFAULT_S;
}

/* A new session on router 'r' with its terminal (which may write its
 * first prompt at once). */
static struct dev_session *session_create(struct dev_service *svc, const struct router *r,
					  const struct session_params *p,
					  struct dev_ssh_session *ssh,
					  const struct dev_session_io *local)
{
	struct dev_session *s = xzalloc(sizeof *s);
	const struct user *u;

	s->service = svc;
	s->ssh = ssh;
	if (local)
		s->local = *local;
	s->tenant = xstrdup(p->tenant);
	s->user = xstrdup(p->user);
	s->device = xstrdup(p->device);
	s->source = xstrdup(p->source);
	s->role = p->role;
	s->console = p->console;
	s->exec = p->exec != NULL;
	s->started_ms = dev_service_now_ms(svc);
	s->active_ms = s->started_ms;
	s->vty = -1;
	if (!p->console) /* the lowest line no session of the device holds */
		while (dev_session_on_line(s, ++s->vty))
			;
	u = dev_session_user(s);
	s->style = u ? u->style : USER_STYLE_IOS;
	s->exec_timeout_s = session_timeout(s);
	s->next = svc->sessions;
	svc->sessions = s;

	struct dev_term_config cfg = {
	    .table = s->style == USER_STYLE_JUNOS ? svc->junos : svc->ios,
	    .hostname = r->name,
	    .user = p->user,
	    .source = p->source,
	    .role = p->role,
	    .start_mode = p->role >= DEV_ROLE_OPERATOR ? DEV_MODE_PRIV : DEV_MODE_EXEC,
	    .interactive = p->interactive && !p->exec,
	    .cols = p->cols,
	    .rows = p->rows,
	    .exec_timeout_s = s->exec_timeout_s,
	    .device = s,
	    .io = s,
	};
	LOG_INFO("%s/%s logged in to %s from %s%s", s->tenant, s->user, s->device, s->source,
		 p->exec ? " (exec)" : "");
	s->term = dev_term_create(svc->base, &cfg,
				  s->style == USER_STYLE_JUNOS ? &junos_ops : &ios_ops);
	if (p->exec)
		dev_term_exec(s->term, p->exec);
	return s;
}

static void *ssh_open(void *svc_, struct dev_ssh_session *ssh, const struct dev_ssh_login *login,
		      const char **refusal)
{
	struct dev_service *svc = svc_;
	char *device = xasprintf("%s/%s/%s", login->tenant, login->network, login->device);
	const struct model_object *o = model_find(dev_service_model(svc), MODEL_ROUTER, device);
	struct dev_session *s;

	if (!o) {
		*refusal = "% No such device\r\n";
		free(device);
		return NULL;
	}
	if (login->ticket) {
		/* One use (the SSH thread enforces it too): the next snapshot
		 * no longer has a ticket of this device. */
		for (size_t i = 0; i < svc->n_tickets; i++)
			if (!strcmp(svc->tickets[i].tenant, login->tenant) &&
			    !strcmp(svc->tickets[i].network, login->network) &&
			    !strcmp(svc->tickets[i].router, login->device)) {
				char *used = xstrdup(svc->tickets[i].secret);

				tickets_prune(svc, used);
				sodium_memzero(used, strlen(used));
				free(used);
				break;
			}
		creds_update(svc);
	}
	struct session_params p = {
	    .tenant = login->tenant,
	    .user = login->user,
	    .device = device,
	    .source = login->source,
	    .role = login->role,
	    .console = login->ticket,
	    .interactive = login->pty,
	    .cols = login->cols,
	    .rows = login->rows,
	    .exec = login->exec,
	};
	s = session_create(svc, CONTAINER_OF(o, const struct router, hdr), &p, ssh, NULL);
	free(device);
	return s;
}

struct dev_session *dev_service_open_local(struct dev_service *svc,
					   const struct dev_local_login *login,
					   const struct dev_session_io *io)
{
	const struct model *m = dev_service_model(svc);
	const struct model_object *o = model_find(m, MODEL_ROUTER, login->device);
	const struct model_object *to = model_find(m, MODEL_TENANT, login->tenant);
	const struct tenant *t = to ? CONTAINER_OF(to, const struct tenant, hdr) : NULL;
	bool console = !strcmp(login->user, "console");
	const struct user *u = NULL;

	for (size_t i = 0; t && i < t->n_users; i++)
		if (!strcmp(t->users[i].name, login->user))
			u = &t->users[i];
	if (!o || !t || (!u && !console))
		return NULL;
	struct session_params p = {
	    .tenant = login->tenant,
	    .user = login->user,
	    .device = login->device,
	    .source = login->source,
	    .role = u ? role_of(u->role) : DEV_ROLE_ADMIN,
	    .console = !u,
	    .interactive = login->interactive,
	    .cols = login->cols,
	    .rows = login->rows,
	    .exec = login->exec,
	};
	return session_create(svc, CONTAINER_OF(o, const struct router, hdr), &p, NULL, io);
}

void dev_session_input(struct dev_session *s, const char *buf, size_t len)
{
	if (s->closing)
		return;
	s->active_ms = dev_service_now_ms(s->service);
	dev_term_input(s->term, buf, len);
}

struct dev_session *dev_session_on_line(const struct dev_session *self, int vty)
{
	for (struct dev_session *s = self->service->sessions; s; s = s->next)
		if (s != self && !s->closing && s->vty == vty && !strcmp(s->device, self->device))
			return s;
	return NULL;
}

void dev_session_clear(struct dev_session *victim)
{
	LOG_INFO("%s/%s on %s from %s: line cleared", victim->tenant, victim->user,
		 victim->device, victim->source);
	term_close(victim, 0);
}

static void ssh_input(void *s_, const char *buf, size_t len)
{
	dev_session_input(s_, buf, len);
}

static void ssh_resize(void *s_, unsigned cols, unsigned rows)
{
	struct dev_session *s = s_;

	if (!s->closing)
		dev_term_resize(s->term, cols, rows);
}

void dev_session_gone(struct dev_session *s)
{
	s->ssh = NULL;
	s->local.write = NULL;
	s->local.close = NULL;
	if (!s->closing) {
		session_unlink(s->service, s);
		session_free(s);
	}
}

static void ssh_closed(void *s_)
{
	dev_session_gone(s_);
}

/* The client has no more to send (`ssh host < script`, a piped console):
 * the session ends as after "exit", once its output is out. */
static void ssh_eof(void *s_)
{
	struct dev_session *s = s_;

	if (!s->closing && !s->exec)
		term_close(s, 0);
}

static void ssh_login_failed(void *svc_, const char *login, const char *source,
			     const char *reason)
{
	struct dev_service *svc = svc_;

	LOG_WARN_RL("failed login '%s' from %s: %s", login, source, reason);
	audit(svc, login, "", source, reason, "login_failed", 1);
}

static const struct dev_ssh_hooks ssh_hooks = {
    .open = ssh_open,
    .input = ssh_input,
    .resize = ssh_resize,
    .closed = ssh_closed,
    .login_failed = ssh_login_failed,
    .eof = ssh_eof,
};

/* ---- the service ---- */

static struct dev_cmd_table *table_create(const struct dev_cmd *cmds, size_t n, const char *style)
{
	char *error = NULL;
	struct dev_cmd_table *t = dev_cmd_table_create(cmds, n, &error);

	if (!t)
		onm_abort("devices: the %s command table does not parse: %s", style, error);
	return t;
}

struct dev_service *dev_service_create(struct event_base *base, struct ctl_state *state,
				       struct ctl_agents *agents, const char *ssh_listen,
				       const char *state_dir, char **error)
{
	struct dev_service *svc = xzalloc(sizeof *svc);

	*error = NULL;
	svc->base = base;
	svc->state = state;
	svc->agents = agents;
	svc->started_ms = wall_ms();
	svc->reap = event_new(base, -1, 0, on_reap, svc);
	svc->startup = json_object();
	svc->cli_running = json_object();
	svc->cleared = json_object();
	mkdir(state_dir, 0700);
	svc->audit_path = xasprintf("%s/audit.log", state_dir);
	audit_load(svc);
	svc->ios = table_create(dev_ios_cmds, dev_ios_n_cmds, "IOS");
	svc->junos = table_create(dev_junos_cmds, dev_junos_n_cmds, "JunOS");
	svc->checker = pw_checker_create(base, error);
	if (!svc->checker) {
		dev_service_destroy(svc);
		return NULL;
	}
	startup_restore(svc);
	dev_counters_restore(svc);
	if (ssh_listen) {
		svc->ssh =
		    dev_ssh_server_create(base, ssh_listen, state_dir, &ssh_hooks, svc, error);
		if (!svc->ssh) {
			dev_service_destroy(svc);
			return NULL;
		}
	}
	creds_update(svc);
	return svc;
}

void dev_service_destroy(struct dev_service *svc)
{
	if (!svc)
		return;
	/* The server first: no hook runs after this. */
	dev_ssh_server_destroy(svc->ssh);
	while (svc->sessions) {
		struct dev_session *s = svc->sessions;

		svc->sessions = s->next;
		session_free(s);
	}
	if (svc->reap)
		event_free(svc->reap);
	pw_checker_destroy(svc->checker);
	dev_cmd_table_destroy(svc->ios);
	dev_cmd_table_destroy(svc->junos);
	for (size_t i = 0; i < svc->n_tickets; i++)
		svc->tickets[i].expires_ms = 0;
	tickets_prune(svc, NULL);
	free(svc->tickets);
	json_decref(svc->audit);
	json_decref(svc->startup);
	json_decref(svc->cli_running);
	json_decref(svc->cleared);
	json_decref(svc->test_counters);
	free(svc->audit_path);
	free(svc);
}

void dev_service_model_changed(struct dev_service *svc)
{
	const struct model *m = dev_service_model(svc);

	creds_update(svc);
	startup_check(svc);
	dev_counters_prune(svc);
	/* Sessions whose device or user is gone end; roles and idle
	 * timeouts follow the model. */
	for (struct dev_session *s = svc->sessions; s; s = s->next) {
		const struct user *u = dev_session_user(s);
		unsigned timeout;

		if (s->closing)
			continue;
		if ((!u && !s->console) || !model_find(m, MODEL_ROUTER, s->device)) {
			dev_term_print(s->term, "\n% This device or user was removed\n");
			term_close(s, 1);
			continue;
		}
		if (u && role_of(u->role) != s->role) {
			s->role = role_of(u->role);
			dev_term_set_role(s->term, s->role);
		}
		timeout = session_timeout(s);
		if (timeout != s->exec_timeout_s) {
			s->exec_timeout_s = timeout;
			dev_term_set_exec_timeout(s->term, timeout);
		}
	}
}

int dev_service_ssh_port(const struct dev_service *svc)
{
	return svc->ssh ? dev_ssh_server_port(svc->ssh) : -1;
}

void dev_service_audit(struct dev_service *svc, const char *user, const char *device,
		       const char *source, const char *command, const char *verdict, int status)
{
	audit(svc, user, device, source, command, verdict, status);
}

int dev_service_router_update(struct dev_service *svc, const char *router_id, const json_t *router,
			      char **error)
{
	return dev_router_update(svc, router_id, router, error);
}
