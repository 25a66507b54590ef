// SPDX-License-Identifier: Apache-2.0
/*
 * A small stand-in controller for tests/integration/device-snmp.sh: a
 * controller state in a memory store with a topology applied, and either
 *
 *   snmp-harness serve TOPOLOGY A.B.C.D:PORT DIR
 *     the SNMP agent (device/snmp.c) on that address until SIGTERM, model
 *     changes passed to it as the controller does, sets audited as JSON
 *     lines into DIR/audit.log; DIR/port holds the port once it listens;
 *
 *   snmp-harness cli TOPOLOGY DEVICE COMMAND
 *     the command's output at the device's CLI (device/service.c, as an
 *     `onm console` session), to compare with what SNMP says.
 *
 * No agents: counters are zero here (the lab part of the test has them).
 */
#include "onm/ds.h"
#include "onm/log.h"
#include "onm/util.h"
#include "service-private.h"
#include "snmp.h"
#include "state.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct ctl_state *state_with(const char *topology_path)
{
	struct model_diff plan = {0};
	struct ctl_state *state;
	uint64_t revision;
	char *body, *error = NULL;
	size_t len;

	if (read_file(topology_path, &body, &len))
		onm_abort("cannot read %s", topology_path);
	if (ctl_state_open("memory:", &state, &error))
		onm_abort("state: %s", error);
	if (ctl_state_apply(state, body, len, topology_path, false, false, &plan, &revision,
			    &error))
		onm_abort("apply: %s", error);
	model_diff_destroy(&plan);
	free(body);
	return state;
}

/* ---- serve ---- */

struct serve {
	struct dev_snmp *snmp;
	FILE *audit;
};

static void audit(void *aux, const char *user, const char *device, const char *source,
		  const char *command, const char *verdict, int status)
{
	struct serve *sv = aux;
	json_t *rec =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "user", user, "device", device, "source",
		      source, "command", command, "verdict", verdict, "status", status);
	char *line = json_dumps(rec, JSON_COMPACT);

	fprintf(sv->audit, "%s\n", line);
	fflush(sv->audit);
	free(line);
	json_decref(rec);
}

static void changed(uint64_t revision, void *aux)
{
	struct serve *sv = aux;

	dev_snmp_model_changed(sv->snmp);
}

static void on_signal(evutil_socket_t sig, short what, void *base)
{
	event_base_loopbreak(base);
}

static int serve(const char *topology, const char *listen, const char *dir)
{
	struct event_base *base = event_base_new();
	struct ctl_state *state = state_with(topology);
	struct serve sv = {0};
	struct dev_snmp_hooks hooks = {.audit = audit, .aux = &sv};
	struct event *term = evsignal_new(base, SIGTERM, on_signal, base);
	struct event *intr = evsignal_new(base, SIGINT, on_signal, base);
	char *path = xasprintf("%s/audit.log", dir), *error = NULL;
	FILE *f;

	sv.audit = fopen(path, "a");
	if (!sv.audit)
		onm_abort("cannot open %s", path);
	free(path);
	sv.snmp = dev_snmp_create(base, state, NULL, listen, dir, &hooks, &error);
	if (!sv.snmp)
		onm_abort("%s", error);
	ctl_state_set_change_cb(state, changed, &sv);
	event_add(term, NULL);
	event_add(intr, NULL);
	path = xasprintf("%s/port", dir);
	f = fopen(path, "w");
	if (!f)
		onm_abort("cannot write %s", path);
	fprintf(f, "%d\n", dev_snmp_port(sv.snmp));
	fclose(f);
	free(path);
	event_base_dispatch(base);
	ctl_state_set_change_cb(state, NULL, NULL);
	dev_snmp_destroy(sv.snmp);
	fclose(sv.audit);
	event_free(term);
	event_free(intr);
	ctl_state_close(state);
	event_base_free(base);
	return 0;
}

/* ---- cli ---- */

struct cli {
	struct ds out;
	bool closed;
	int status;
};

static void cli_write(void *aux, const char *buf, size_t len)
{
	ds_put_buffer(&((struct cli *)aux)->out, buf, len);
}

static void cli_close(void *aux, int status)
{
	struct cli *c = aux;

	c->closed = true;
	c->status = status;
}

static int cli(const char *topology, const char *device, const char *command)
{
	struct event_base *base = event_base_new();
	struct ctl_state *state = state_with(topology);
	char dir[] = "/tmp/snmp-harness.XXXXXX";
	struct cli c = {DS_EMPTY_INITIALIZER, false, 0};
	struct dev_session_io io = {cli_write, cli_close, &c};
	struct dev_service *svc;
	char *tenant, *slash, *error = NULL, *cleanup;
	int rounds;

	if (!mkdtemp(dir))
		onm_abort("mkdtemp failed");
	svc = dev_service_create(base, state, NULL, NULL, dir, &error);
	if (!svc)
		onm_abort("%s", error);
	tenant = xstrdup(device);
	slash = strchr(tenant, '/');
	if (slash)
		*slash = '\0';
	struct dev_local_login login = {.tenant = tenant,
					.user = "console",
					.device = device,
					.source = "127.0.0.1:1",
					.exec = command};
	if (!dev_service_open_local(svc, &login, &io))
		onm_abort("no device %s", device);
	for (rounds = 0; !c.closed && rounds < 1000; rounds++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	fwrite(c.out.string ? c.out.string : "", 1, c.out.length, stdout);
	dev_service_destroy(svc);
	ctl_state_close(state);
	event_base_free(base);
	cleanup = xasprintf("rm -rf '%s'", dir);
	if (system(cleanup))
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cleanup);
	free(tenant);
	ds_destroy(&c.out);
	return c.closed ? c.status : 1;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "serve"))
		return serve(argv[2], argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "cli"))
		return cli(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: snmp-harness serve TOPOLOGY A.B.C.D:PORT DIR\n"
			"       snmp-harness cli TOPOLOGY DEVICE COMMAND\n");
	return 2;
}
