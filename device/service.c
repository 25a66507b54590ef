// SPDX-License-Identifier: Apache-2.0
/*
 * The simulated devices' service (see service.h): credentials for the SSH
 * server from the model, sessions bound to terminals, the audit log.
 */
#include "service.h"

#include "agents.h"
#include "onm/log.h"
#include "onm/model.h"
#include "onm/util.h"
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
	time_t now = time(NULL);
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

		c->devices[i] = (struct dev_ssh_device){xstrdup(r->tenant), xstrdup(r->network),
							 xstrdup(r->name), NULL};
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
		}
		free(dflt);
	}
	free(tenants);
	free(routers);
	return c;
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
	dev_ssh_server_set_creds(svc->ssh, creds_build(svc));
	char *login = xasprintf("console@%s", r->hdr.id);
	json_t *j = json_pack("{s:s, s:s, s:i, s:I}", "login", login, "password", hex, "port",
			      dev_ssh_server_port(svc->ssh), "expires_ms",
			      (json_int_t)t->expires_ms);

	free(login);
	sodium_memzero(hex, sizeof hex);
	return j;
}

/* ---- sessions ---- */

static void session_free(struct dev_session *s)
{
	dev_term_destroy(s->term);
	free(s->words);
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
}

static void term_close(void *io, int exit_status)
{
	struct dev_session *s = io;

	if (s->ssh)
		dev_ssh_session_close(s->ssh, exit_status);
	s->ssh = NULL;
	s->closing = true;
	event_active(s->service->reap, EV_TIMEOUT, 0);
}

static const struct user *session_user(const struct dev_session *s)
{
	const struct model_object *o = model_find(dev_service_model(s->service), MODEL_TENANT,
						  s->tenant);
	const struct tenant *t = o ? CONTAINER_OF(o, const struct tenant, hdr) : NULL;

	for (size_t i = 0; t && i < t->n_users; i++)
		if (!strcmp(t->users[i].name, s->user))
			return &t->users[i];
	return NULL;
}

static bool term_verify_password(void *io, const char *password)
{
	const struct user *u = session_user(io);

	return u && u->password_hash &&
	       !crypto_pwhash_str_verify(u->password_hash, password, strlen(password));
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

/* Interface names of the session's router, for IFNAME. */
static const char *const *term_words(void *io, const char *placeholder)
{
	struct dev_session *s = io;
	const struct model_object *o =
	    model_find(dev_service_model(s->service), MODEL_ROUTER, s->device);
	const struct router *r = o ? CONTAINER_OF(o, const struct router, hdr) : NULL;
	size_t n = r && !strcmp(placeholder, "IFNAME") ? r->n_interfaces : 0;

	free(s->words);
	s->words = xcalloc(n + 1, sizeof *s->words);
	for (size_t i = 0; i < n; i++)
		s->words[i] = r->interfaces[i].name;
	return s->words;
}

static const struct dev_term_ops term_ops = {
    .write = term_write,
    .close = term_close,
    .words = term_words,
    .verify_password = term_verify_password,
    .audit = term_audit,
};

static void *ssh_open(void *svc_, struct dev_ssh_session *ssh, const struct dev_ssh_login *login,
		      const char **refusal)
{
	struct dev_service *svc = svc_;
	struct dev_session *s;
	char *device = xasprintf("%s/%s/%s", login->tenant, login->network, login->device);
	const struct model_object *o = model_find(dev_service_model(svc), MODEL_ROUTER, device);

	if (!o) {
		*refusal = "% No such device\r\n";
		free(device);
		return NULL;
	}
	s = xzalloc(sizeof *s);
	s->service = svc;
	s->ssh = ssh;
	s->tenant = xstrdup(login->tenant);
	s->user = xstrdup(login->user);
	s->device = device;
	s->source = xstrdup(login->source);
	s->role = login->role;
	s->exec = login->exec != NULL;
	s->started_ms = wall_ms();
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
		dev_ssh_server_set_creds(svc->ssh, creds_build(svc));
	}
	s->next = svc->sessions;
	svc->sessions = s;

	struct dev_term_config cfg = {
	    .table = svc->ios,
	    .hostname = CONTAINER_OF(o, const struct router, hdr)->name,
	    .user = login->user,
	    .source = login->source,
	    .role = login->role,
	    .start_mode = login->role >= DEV_ROLE_OPERATOR ? DEV_MODE_PRIV : DEV_MODE_EXEC,
	    .interactive = login->pty && !login->exec,
	    .cols = login->cols,
	    .rows = login->rows,
	    .device = s,
	    .io = s,
	};
	LOG_INFO("%s/%s logged in to %s from %s%s", s->tenant, s->user, s->device, s->source,
		 login->exec ? " (exec)" : "");
	s->term = dev_term_create(svc->base, &cfg, &term_ops);
	if (login->exec)
		dev_term_exec(s->term, login->exec);
	return s;
}

static void ssh_input(void *s_, const char *buf, size_t len)
{
	struct dev_session *s = s_;

	if (!s->closing)
		dev_term_input(s->term, buf, len);
}

static void ssh_resize(void *s_, unsigned cols, unsigned rows)
{
	struct dev_session *s = s_;

	if (!s->closing)
		dev_term_resize(s->term, cols, rows);
}

static void ssh_closed(void *s_)
{
	struct dev_session *s = s_;

	s->ssh = NULL;
	if (!s->closing) {
		session_unlink(s->service, s);
		session_free(s);
	}
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
	mkdir(state_dir, 0700);
	svc->audit_path = xasprintf("%s/audit.log", state_dir);
	audit_load(svc);
	svc->ios = dev_cmd_table_create(dev_ios_cmds, dev_ios_n_cmds, error);
	if (!svc->ios)
		onm_abort("devices: the IOS command table does not parse: %s", *error);
	svc->ssh = dev_ssh_server_create(base, ssh_listen, state_dir, &ssh_hooks, svc, error);
	if (!svc->ssh) {
		dev_service_destroy(svc);
		return NULL;
	}
	dev_ssh_server_set_creds(svc->ssh, creds_build(svc));
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
	dev_cmd_table_destroy(svc->ios);
	for (size_t i = 0; i < svc->n_tickets; i++)
		svc->tickets[i].expires_ms = 0;
	tickets_prune(svc, NULL);
	free(svc->tickets);
	json_decref(svc->audit);
	free(svc->audit_path);
	free(svc);
}

void dev_service_model_changed(struct dev_service *svc)
{
	const struct model *m = dev_service_model(svc);

	dev_ssh_server_set_creds(svc->ssh, creds_build(svc));
	/* Sessions whose device or user is gone end; roles follow. */
	for (struct dev_session *s = svc->sessions; s; s = s->next) {
		const struct user *u = session_user(s);

		if (s->closing)
			continue;
		if (!u || !model_find(m, MODEL_ROUTER, s->device)) {
			dev_term_print(s->term, "\n% This device or user was removed\n");
			term_close(s, 1);
			continue;
		}
		if (role_of(u->role) != s->role) {
			s->role = role_of(u->role);
			dev_term_set_role(s->term, s->role);
		}
	}
}

int dev_service_ssh_port(const struct dev_service *svc)
{
	return dev_ssh_server_port(svc->ssh);
}
