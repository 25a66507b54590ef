// SPDX-License-Identifier: Apache-2.0
/*
 * Golden tests of the simulated devices' real commands: each
 * tests/golden/device/NAME.cli file (format in golden-script.h) is
 * replayed through the device service (device/service.c) with its IOS
 * and JunOS command tables, over a controller state in a temporary
 * SQLite store holding a topology — the same path as an SSH session
 * after login, with the model and the store behind it. The service's
 * clock is fixed (2024-01-01T00:00:00Z) so that uptimes and the log do
 * not change between runs.
 *
 * Directives:
 *   @topology FILE   a new controller state (new store and state
 *                    directory) with FILE (YAML, in tests/golden/device)
 *                    applied, and a device service on it
 *   @restart         the controller restarts: service and state closed,
 *                    the store opened again, a new service
 *   @counters FILE   the agents' counters the service sums (JSON as
 *                    ctl_agents_counters_json gives them), kept over
 *                    restarts
 *   @route-add ROUTER PREFIX VIA, @route-delete ROUTER PREFIX
 *                    a change through the REST API's path
 *                    (ctl_state_route_add/delete)
 * Options: @set user=NAME (a user of the router's tenant, or "console"),
 * device=T/N/R, rows=N (defaults: the first user and router of the
 * topology file's first tenant, 24).
 *
 * Usage: test-golden-device [--regen] [FILE.cli|DIR]...  (default: the
 * source tree's tests/golden/device).
 */
#include "../device-fixture.h"
#include "golden-script.h"
#include "onm/log.h"
#include "onm/model.h"
#include "service-private.h"
#include "state.h"

#include <event2/event.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef GOLDEN_DEVICE_DIR
#define GOLDEN_DEVICE_DIR "tests/golden/device"
#endif

#define FIXED_CLOCK_MS UINT64_C(1704067200000)

struct runner {
	const char *dir; /* where topologies and counters are */
	struct event_base *base;
	char tmp[64];	      /* the state directory, "" when none */
	struct ctl_state *state;
	struct dev_service *svc;
	json_t *counters;
	char user[64], device[192];
	unsigned rows;
	struct dev_session *sess; /* NULL once closed */
	bool started;
	struct screen scr;
	int closed, status;
};

/* ---- the controller ---- */

static void on_change(uint64_t revision, void *r_)
{
	struct runner *r = r_;

	if (r->svc)
		dev_service_model_changed(r->svc);
}

static char *service_start(struct runner *r)
{
	char *error = NULL;
	char *url = xasprintf("sqlite:%s/onm.db", r->tmp);
	int rc = ctl_state_open(url, &r->state, &error);

	free(url);
	if (rc)
		return error;
	r->svc = dev_service_create(r->base, r->state, NULL, NULL, r->tmp, &error);
	if (!r->svc)
		return error;
	r->svc->test_now_ms = FIXED_CLOCK_MS;
	r->svc->started_ms = FIXED_CLOCK_MS;
	r->svc->test_counters = json_incref(r->counters);
	ctl_state_set_change_cb(r->state, on_change, r);
	return NULL;
}

static void session_end(void *aux)
{
	struct runner *r = aux;

	if (r->sess)
		dev_session_gone(r->sess);
	r->sess = NULL;
	if (r->started)
		screen_uninit(&r->scr);
	r->started = false;
	r->closed = r->status = 0;
}

static void service_stop(struct runner *r)
{
	session_end(r);
	dev_service_destroy(r->svc);
	r->svc = NULL;
	ctl_state_close(r->state);
	r->state = NULL;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void runner_reset(void *aux)
{
	struct runner *r = aux;

	service_stop(r);
	if (r->tmp[0])
		nftw(r->tmp, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	r->tmp[0] = '\0';
	json_decref(r->counters);
	r->counters = NULL;
	r->user[0] = r->device[0] = '\0';
	r->rows = 24;
}

/* The first user and router of the first tenant, as defaults. */
static void pick_defaults(struct runner *r)
{
	const struct model *m = ctl_state_model(r->state);
	size_t n_t, n_r;
	struct model_object **tenants = model_list(m, MODEL_TENANT, &n_t);
	struct model_object **routers = model_list(m, MODEL_ROUTER, &n_r);

	if (n_t) {
		const struct tenant *t = CONTAINER_OF(tenants[0], const struct tenant, hdr);

		if (t->n_users)
			snprintf(r->user, sizeof r->user, "%s", t->users[0].name);
		for (size_t i = 0; i < n_r; i++) {
			const struct router *rt = CONTAINER_OF(routers[i], const struct router, hdr);

			if (!strcmp(rt->tenant, t->name)) {
				snprintf(r->device, sizeof r->device, "%s", rt->hdr.id);
				break;
			}
		}
	}
	free(tenants);
	free(routers);
}

static char *topology(struct runner *r, const char *file)
{
	char *path = xasprintf("%s/%s", r->dir, file), *text = NULL, *error = NULL;
	struct model_diff plan = {0};
	uint64_t revision;
	size_t len;
	int rc;

	runner_reset(r);
	snprintf(r->tmp, sizeof r->tmp, "/tmp/golden-device.XXXXXX");
	if (!mkdtemp(r->tmp)) {
		r->tmp[0] = '\0';
		free(path);
		return xstrdup("mkdtemp failed");
	}
	rc = read_file(path, &text, &len);
	if (rc) {
		error = xasprintf("%s: %s", path, strerror(-rc));
		goto out;
	}
	error = service_start(r);
	if (error)
		goto out;
	rc = ctl_state_apply(r->state, text, len, file, false, false, &plan, &revision, &error);
	model_diff_destroy(&plan);
	if (rc)
		goto out;
	pick_defaults(r);
out:
	free(text);
	free(path);
	return error;
}

static char *counters(struct runner *r, const char *file)
{
	char *path = xasprintf("%s/%s", r->dir, file);
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);

	free(path);
	if (!j)
		return xasprintf("%s:%d: %s", file, jerr.line, jerr.text);
	json_decref(r->counters);
	r->counters = j;
	if (r->svc) {
		json_decref(r->svc->test_counters);
		r->svc->test_counters = json_incref(j);
	}
	return NULL;
}

static char *runner_directive(void *aux, const char *name, const char *args)
{
	struct runner *r = aux;
	char a[3][128] = {{0}};
	char *error = NULL;
	int n = sscanf(args, "%127s %127s %127s", a[0], a[1], a[2]);

	if (!strcmp(name, "topology") && n == 1)
		return topology(r, a[0]);
	if (!r->state)
		return xasprintf("@%s before @topology", name);
	if (!strcmp(name, "restart") && n <= 0) {
		service_stop(r);
		return service_start(r);
	}
	if (!strcmp(name, "counters") && n == 1)
		return counters(r, a[0]);
	if (!strcmp(name, "route-add") && n == 3) {
		if (ctl_state_route_add(r->state, a[0], a[1], a[2], &error))
			return error;
		return NULL;
	}
	if (!strcmp(name, "route-delete") && n == 2) {
		if (ctl_state_route_delete(r->state, a[0], a[1], &error))
			return error;
		return NULL;
	}
	return xasprintf("unknown directive @%s %s", name, args);
}

static char *runner_set(void *aux, const char *key, const char *value)
{
	struct runner *r = aux;

	if (!strcmp(key, "user"))
		snprintf(r->user, sizeof r->user, "%s", value);
	else if (!strcmp(key, "device"))
		snprintf(r->device, sizeof r->device, "%s", value);
	else if (!strcmp(key, "rows"))
		r->rows = (unsigned)strtoul(value, NULL, 10);
	else
		return xasprintf("bad option \"%s=%s\"", key, value);
	return NULL;
}

/* ---- sessions ---- */

static void io_write(void *aux, const char *buf, size_t len)
{
	struct runner *r = aux;

	screen_feed(&r->scr, buf, len);
}

static void io_close(void *aux, int status)
{
	struct runner *r = aux;

	r->closed++;
	r->status = status;
	r->sess = NULL; /* the service frees it */
}

static void runner_settle(void *aux)
{
	struct runner *r = aux;

	/* Closed sessions are reaped by an event; nothing else is pending
	 * without agents. */
	for (int i = 0; i < 4; i++)
		event_base_loop(r->base, EVLOOP_NONBLOCK);
}

static char *runner_start(void *aux, const char *exec_line)
{
	struct runner *r = aux;
	const char *slash = strchr(r->device, '/');
	char tenant[64];
	struct dev_session_io io = {io_write, io_close, r};

	if (!r->svc)
		return xstrdup("no @topology");
	session_end(r);
	runner_settle(r);
	snprintf(tenant, sizeof tenant, "%.*s", slash ? (int)(slash - r->device) : 0, r->device);
	struct dev_local_login login = {
	    .tenant = tenant,
	    .user = r->user,
	    .device = r->device,
	    .source = "192.0.2.7:50000",
	    .interactive = exec_line == NULL,
	    .cols = 80,
	    .rows = r->rows,
	    .exec = exec_line,
	};
	screen_init(&r->scr);
	r->started = true;
	r->sess = dev_service_open_local(r->svc, &login, &io);
	if (!r->sess)
		return xasprintf("no user %s or device %s", r->user, r->device);
	if (r->closed)
		r->sess = NULL; /* an exec session that ended at once: reaped soon */
	return NULL;
}

static void runner_input(void *aux, const char *buf, size_t len)
{
	struct runner *r = aux;

	if (r->sess)
		dev_session_input(r->sess, buf, len);
}

static struct screen *runner_screen(void *aux)
{
	struct runner *r = aux;

	return r->started ? &r->scr : NULL;
}

static bool runner_closed(void *aux, int *status)
{
	struct runner *r = aux;

	*status = r->status;
	return r->closed;
}

static void runner_end(void *aux)
{
	runner_reset(aux);
}

static const struct golden_ops ops = {
    .reset = runner_reset,
    .set = runner_set,
    .directive = runner_directive,
    .start = runner_start,
    .input = runner_input,
    .settle = runner_settle,
    .screen = runner_screen,
    .closed = runner_closed,
    .end = runner_end,
};

int main(int argc, char **argv)
{
	struct runner r = {.dir = GOLDEN_DEVICE_DIR, .rows = 24};
	int rc;

	log_set_level(LOG_LEVEL_WARN); /* sessions log in: not TAP */
	r.base = event_base_new();
	rc = golden_main(argc, argv, GOLDEN_DEVICE_DIR, &ops, &r);
	runner_reset(&r);
	event_base_free(r.base);
	return rc;
}
