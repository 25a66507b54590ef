// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the simulated devices' service (device/service.c and its
 * command tables) over a real controller state in a temporary SQLite
 * store: running vs startup configuration (a CLI change is undone by a
 * restart unless `write memory`, also across a real close and reopen of
 * the store; an API change becomes the startup configuration; a change
 * that changes nothing keeps no record), JunOS candidates (nothing acts
 * before commit; a commit over a changed running configuration is
 * refused), per-user settings (aliases run, exec-timeout reaches the
 * session), JunOS interface names (one-to-one), and that no show command
 * tells a viewer anything of the substrate (host names, underlay
 * addresses, VNIs) or where other users' sessions come from.
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* cmocka.h needs <stdarg.h>, <stddef.h> and <setjmp.h> first. */
#include "onm/codec.h"
#include "onm/ds.h"
#include "onm/log.h"
#include "onm/model.h"
#include "onm/store.h"
#include "onm/util.h"
#include "service-private.h"
#include "state.h"

#include <cmocka.h>
#include <sodium.h>
#include <event2/event.h>

/* Users without passwords: nothing to hash, cheap to apply. Host names
 * and addresses are distinctive so that a leak is found by search. */
static const char topo_yaml[] =
    "substrate:\n"
    "  hosts: [{name: hv-zulu, address: 198.19.77.1}, {name: hv-yank, address: 198.19.77.2}]\n"
    "  links: [{a: hv-zulu, b: hv-yank, latency: 1ms}]\n"
    "tenants:\n"
    "  - name: acme\n"
    "    users:\n"
    "      - {name: ann, role: admin, password: ann-password,\n"
    "         aliases: [{name: v, command: show version}]}\n"
    "      - {name: vic, role: viewer}\n"
    "      - {name: jo, role: admin, style: junos}\n"
    "    networks:\n"
    "      - name: blue\n"
    "        vni: 4242\n"
    "        subnets: [{name: web, cidr: 10.1.1.0/24}, {name: db, cidr: 10.1.2.0/24}]\n"
    "        routers:\n"
    "          - name: r1\n"
    "            interfaces:\n"
    "              - {name: GigabitEthernet0/0, subnet: web, ip: 10.1.1.1}\n"
    "              - {name: GigabitEthernet0/1, subnet: db, ip: 10.1.2.1}\n"
    "            access_lists: [{name: A1, rules: [{action: permit, proto: ip, src: any,"
    " dst: any}]}]\n"
    "        instances:\n"
    "          - {name: web1, subnet: web, host: hv-zulu, ip: 10.1.1.10}\n"
    "          - {name: db1, subnet: db, host: hv-yank, ip: 10.1.2.10}\n";

#define R1 "acme/blue/r1"
#define STARTUP_KEY STARTUP_PREFIX R1

struct fx {
	char dir[64];
	char *url;
	struct event_base *base;
	struct ctl_state *state;
	struct dev_service *svc;
	struct ds out;
	int closed, status;
};

static void on_change(uint64_t revision, void *fx_)
{
	struct fx *fx = fx_;

	if (fx->svc)
		dev_service_model_changed(fx->svc);
}

static void service_up(struct fx *fx)
{
	char *error = NULL;

	fx->svc = dev_service_create(fx->base, fx->state, NULL, NULL, fx->dir, &error);
	if (!fx->svc)
		fail_msg("dev_service_create: %s", error);
	ctl_state_set_change_cb(fx->state, on_change, fx);
}

static void state_open(struct fx *fx)
{
	char *error = NULL;

	if (ctl_state_open(fx->url, &fx->state, &error))
		fail_msg("ctl_state_open: %s", error);
}

static int setup(void **st)
{
	struct fx *fx = xzalloc(sizeof *fx);
	struct model_diff plan = {0};
	uint64_t revision;
	char *error = NULL;

	snprintf(fx->dir, sizeof fx->dir, "/tmp/test-device-service.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	fx->url = xasprintf("sqlite:%s/onm.db", fx->dir);
	fx->base = event_base_new();
	ds_init(&fx->out);
	state_open(fx);
	if (ctl_state_apply(fx->state, topo_yaml, strlen(topo_yaml), "topo.yaml", false, false,
			    &plan, &revision, &error))
		fail_msg("apply: %s", error);
	model_diff_destroy(&plan);
	service_up(fx);
	*st = fx;
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **st)
{
	struct fx *fx = *st;

	dev_service_destroy(fx->svc);
	ctl_state_close(fx->state);
	event_base_free(fx->base);
	nftw(fx->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	ds_destroy(&fx->out);
	free(fx->url);
	free(fx);
	return 0;
}

/* A controller restart: the service goes, then comes back on the state
 * (with 'reopen', the store is closed and opened again as well). */
static void restart(struct fx *fx, bool reopen)
{
	dev_service_destroy(fx->svc);
	fx->svc = NULL;
	if (reopen) {
		ctl_state_close(fx->state);
		state_open(fx);
	}
	service_up(fx);
}

static void io_write(void *aux, const char *buf, size_t len)
{
	ds_put_buffer(&((struct fx *)aux)->out, buf, len);
}

static void io_close(void *aux, int status)
{
	struct fx *fx = aux;

	fx->closed++;
	fx->status = status;
}

/* Runs 'script' (lines) in a session of 'user' on r1 without a PTY, the
 * way `ssh r1 < script` does; returns the output (valid until the next
 * call). */
static const char *run_as(struct fx *fx, const char *user, const char *script)
{
	struct dev_local_login login = {
	    .tenant = "acme", .user = user, .device = R1, .source = "192.0.2.1:4000"};
	struct dev_session_io io = {io_write, io_close, fx};
	struct dev_session *s;

	ds_clear(&fx->out);
	fx->closed = 0;
	s = dev_service_open_local(fx->svc, &login, &io);
	assert_non_null(s);
	dev_session_input(s, script, strlen(script));
	if (!fx->closed)
		dev_session_gone(s);
	for (int i = 0; i < 4; i++)
		event_base_loop(fx->base, EVLOOP_NONBLOCK);
	return ds_cstr(&fx->out);
}

/* One exec request ('ssh r1 LINE'); the exit status in fx->status. */
static const char *exec_as(struct fx *fx, const char *user, const char *line)
{
	struct dev_local_login login = {.tenant = "acme",
					.user = user,
					.device = R1,
					.source = "192.0.2.1:4000",
					.exec = line};
	struct dev_session_io io = {io_write, io_close, fx};

	ds_clear(&fx->out);
	fx->closed = 0;
	assert_non_null(dev_service_open_local(fx->svc, &login, &io));
	for (int i = 0; i < 4; i++)
		event_base_loop(fx->base, EVLOOP_NONBLOCK);
	assert_int_equal(fx->closed, 1);
	return ds_cstr(&fx->out);
}

static const struct router *r1(struct fx *fx)
{
	const struct model_object *o = model_find(ctl_state_model(fx->state), MODEL_ROUTER, R1);

	assert_non_null(o);
	return CONTAINER_OF(o, const struct router, hdr);
}

static bool has_record(struct fx *fx)
{
	struct store_kv kv;
	int rc = store_get(ctl_state_store(fx->state), STARTUP_KEY, &kv);

	if (!rc)
		store_kv_uninit(&kv);
	assert_true(rc == 0 || rc == -ENOENT);
	return rc == 0;
}

static const char add_route[] = "configure terminal\n"
				"ip route 10.9.0.0 255.255.0.0 10.1.2.20\n"
				"interface gi0/0\n"
				"shutdown\n"
				"end\n";

/* ---- running vs startup ---- */

static void test_restart_restores_startup(void **st)
{
	struct fx *fx = *st;
	const char *out;

	run_as(fx, "ann", add_route);
	assert_int_equal(r1(fx)->n_routes, 1);
	assert_true(r1(fx)->interfaces[0].shutdown);
	assert_true(has_record(fx));
	out = exec_as(fx, "ann", "show startup-config");
	assert_null(strstr(out, "ip route 10.9.0.0"));
	out = exec_as(fx, "ann", "show running-config");
	assert_non_null(strstr(out, "ip route 10.9.0.0 255.255.0.0 10.1.2.20"));

	restart(fx, false);
	assert_int_equal(r1(fx)->n_routes, 0);
	assert_false(r1(fx)->interfaces[0].shutdown);
	assert_false(has_record(fx));
	/* A second restart changes nothing more. */
	restart(fx, false);
	assert_int_equal(r1(fx)->n_routes, 0);
}

static void test_restart_reopened_store(void **st)
{
	struct fx *fx = *st;

	run_as(fx, "ann", add_route);
	assert_int_equal(r1(fx)->n_routes, 1);
	restart(fx, true);
	assert_int_equal(r1(fx)->n_routes, 0);
	assert_false(has_record(fx));
}

static void test_write_memory_survives(void **st)
{
	struct fx *fx = *st;
	const char *out;

	run_as(fx, "ann", add_route);
	out = exec_as(fx, "ann", "write memory");
	assert_non_null(strstr(out, "[OK]"));
	assert_false(has_record(fx));
	out = exec_as(fx, "ann", "show startup-config");
	assert_non_null(strstr(out, "ip route 10.9.0.0 255.255.0.0 10.1.2.20"));
	restart(fx, true);
	assert_int_equal(r1(fx)->n_routes, 1);
	assert_true(r1(fx)->interfaces[0].shutdown);

	/* Later changes go back to the written configuration. */
	run_as(fx, "ann", "configure terminal\nno ip route 10.9.0.0 255.255.0.0\nend\n");
	assert_int_equal(r1(fx)->n_routes, 0);
	restart(fx, false);
	assert_int_equal(r1(fx)->n_routes, 1);
}

static void test_api_change_is_startup(void **st)
{
	struct fx *fx = *st;
	char *error = NULL;

	run_as(fx, "ann", add_route);
	assert_true(has_record(fx));
	if (ctl_state_route_add(fx->state, R1, "10.8.0.0/16", "10.1.2.10", &error))
		fail_msg("route add: %s", error);
	assert_false(has_record(fx));
	restart(fx, false);
	/* The API wrote the router as it was: both routes are saved. */
	assert_int_equal(r1(fx)->n_routes, 2);
}

static void test_no_change_no_record(void **st)
{
	struct fx *fx = *st;

	run_as(fx, "ann", "configure terminal\ninterface gi0/0\nno shutdown\nend\n");
	assert_false(has_record(fx));
	/* A refused change leaves no record either. */
	run_as(fx, "ann", "configure terminal\nip route 10.9.0.0 255.255.0.0 10.7.7.7\nend\n");
	assert_int_equal(r1(fx)->n_routes, 0);
	assert_false(has_record(fx));
}

/* ---- JunOS ---- */

static void test_junos_commit(void **st)
{
	struct fx *fx = *st;
	const char *out;

	out = run_as(fx, "jo",
		     "configure\n"
		     "set routing-options static route 10.9.0.0/16 next-hop 10.1.2.20\n"
		     "set interfaces ge-0/0/1 disable\n"
		     "show\n");
	assert_non_null(strstr(out, "route 10.9.0.0/16 next-hop 10.1.2.20;"));
	/* Nothing acts before commit. */
	assert_int_equal(r1(fx)->n_routes, 0);
	assert_false(r1(fx)->interfaces[1].shutdown);

	out = run_as(fx, "jo",
		     "configure\n"
		     "set routing-options static route 10.9.0.0/16 next-hop 10.1.2.20\n"
		     "set interfaces ge-0/0/1 disable\n"
		     "commit\n");
	assert_non_null(strstr(out, "commit complete"));
	assert_int_equal(r1(fx)->n_routes, 1);
	assert_true(r1(fx)->interfaces[1].shutdown);
	out = exec_as(fx, "jo", "show configuration");
	assert_non_null(strstr(out, "    ge-0/0/1 {\n        disable;\n"));
	assert_non_null(strstr(out, "routing-options {\n    static {\n"
				    "        route 10.9.0.0/16 next-hop 10.1.2.20;\n"));
	assert_true(has_record(fx));
}

/* A candidate taken before someone else's change is not committed over it. */
static void test_junos_stale_candidate(void **st)
{
	struct fx *fx = *st;
	struct dev_local_login login = {
	    .tenant = "acme", .user = "jo", .device = R1, .source = "192.0.2.1:4000"};
	struct dev_session_io io = {io_write, io_close, fx};
	struct dev_session *s;
	char *error = NULL;
	const char *step1 = "configure\nset interfaces ge-0/0/0 disable\n", *step2 = "commit\n";

	ds_clear(&fx->out);
	s = dev_service_open_local(fx->svc, &login, &io);
	assert_non_null(s);
	dev_session_input(s, step1, strlen(step1));
	if (ctl_state_route_add(fx->state, R1, "10.8.0.0/16", "10.1.2.10", &error))
		fail_msg("route add: %s", error);
	dev_session_input(s, step2, strlen(step2));
	assert_non_null(strstr(ds_cstr(&fx->out), "error: configuration database modified"));
	assert_false(r1(fx)->interfaces[0].shutdown);
	assert_int_equal(r1(fx)->n_routes, 1);
	dev_session_gone(s);
}

static void test_junos_names(void **st)
{
	struct fx *fx = *st;
	struct model_object *obj;
	const char *json =
	    "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r9\",\"interfaces\":["
	    "{\"name\":\"GigabitEthernet0/1\",\"subnet\":\"web\",\"ip\":\"10.1.1.2\"},"
	    "{\"name\":\"GigabitEthernet0/0/1\",\"subnet\":\"web\",\"ip\":\"10.1.1.3\"},"
	    "{\"name\":\"GigabitEthernet0/2\",\"subnet\":\"web\",\"ip\":\"10.1.1.4\"},"
	    "{\"name\":\"Loopback0\",\"subnet\":\"web\",\"ip\":\"10.1.1.5\"},"
	    "{\"name\":\"ge-0/0/2\",\"subnet\":\"web\",\"ip\":\"10.1.1.6\"},"
	    "{\"name\":\"TenGigabitEthernet1/0/3\",\"subnet\":\"web\",\"ip\":\"10.1.1.7\"},"
	    "{\"name\":\"eth0\",\"subnet\":\"web\",\"ip\":\"10.1.1.8\"}],\"routes\":[]}";
	static const char *const want[] = {"GigabitEthernet0/1", "GigabitEthernet0/0/1",
					   "GigabitEthernet0/2", "lo0",
					   "ge-0/0/2", "xe-1/0/3",
					   "eth0"};
	char *error = codec_object_parse_json(MODEL_ROUTER, json, strlen(json), "t", &obj);
	const struct router *r;

	(void)fx;
	if (error)
		fail_msg("%s", error);
	r = CONTAINER_OF(obj, const struct router, hdr);
	for (size_t i = 0; i < r->n_interfaces; i++) {
		char *j = dev_junos_ifname(r, i);

		assert_string_equal(j, want[i]);
		assert_int_equal(dev_junos_ifindex(r, j), (int)i);
		free(j);
	}
	assert_int_equal(dev_junos_ifindex(r, "ge-0/0/9"), -1);
	model_object_destroy(obj);
}

/* ---- user settings ---- */

static void test_alias_and_exec_timeout(void **st)
{
	struct fx *fx = *st;
	const struct model_object *o;
	const struct tenant *t;
	const char *out;

	out = exec_as(fx, "ann", "v");
	assert_non_null(strstr(out, "onm Virtual Router Software"));
	out = run_as(fx, "ann",
		     "configure terminal\nalias exec rt show ip route\nexec-timeout 0 45\nend\nrt\n"
		     "show running-config | include alias|exec-timeout\n");
	assert_non_null(strstr(out, "C        10.1.1.0/24 is directly connected"));
	assert_non_null(strstr(out, "alias exec rt show ip route\n"));
	assert_non_null(strstr(out, " exec-timeout 0 45\n"));
	o = model_find(ctl_state_model(fx->state), MODEL_TENANT, "acme");
	t = CONTAINER_OF(o, const struct tenant, hdr);
	assert_string_equal(t->users[0].name, "ann");
	assert_int_equal(t->users[0].exec_timeout_s, 45);
	assert_int_equal(t->users[0].n_aliases, 2);
	/* User settings are the user's: no startup record of the router. */
	assert_false(has_record(fx));
}

/* A session's idle timeout follows the model at once. */
static void test_exec_timeout_reaches_session(void **st)
{
	struct fx *fx = *st;
	struct dev_local_login login = {
	    .tenant = "acme", .user = "ann", .device = R1, .source = "192.0.2.1:4000"};
	struct dev_session_io io = {io_write, io_close, fx};
	struct dev_session *s = dev_service_open_local(fx->svc, &login, &io);
	const char *line = "configure terminal\nexec-timeout 2\nend\n";

	assert_non_null(s);
	assert_int_equal(s->exec_timeout_s, USER_EXEC_TIMEOUT_DEFAULT_S);
	dev_session_input(s, line, strlen(line));
	assert_int_equal(s->exec_timeout_s, 120);
	dev_session_gone(s);
}

/* ---- lines ---- */

struct victim {
	int closed, status;
};

static void victim_write(void *aux, const char *buf, size_t len)
{
}

static void victim_close(void *aux, int status)
{
	struct victim *v = aux;

	v->closed++;
	v->status = status;
}

/* Sessions hold the lowest free vty; show users lists them with their
 * idle time; `clear line` ends another session (not its own, not a free
 * line), by its vty or its absolute number; a freed line is given again. */
static void test_clear_line(void **st)
{
	struct fx *fx = *st;
	struct victim v0 = {0}, v1 = {0};
	struct dev_local_login login = {
	    .tenant = "acme", .user = "vic", .device = R1, .source = "192.0.2.9:5000"};
	struct dev_session_io io0 = {victim_write, victim_close, &v0};
	struct dev_session_io io1 = {victim_write, victim_close, &v1};
	struct dev_session *s0, *s1;
	const char *out;

	fx->svc->test_now_ms = 1704067200000;
	s0 = dev_service_open_local(fx->svc, &login, &io0);
	login.user = "jo";
	s1 = dev_service_open_local(fx->svc, &login, &io1);
	assert_non_null(s0);
	assert_non_null(s1);
	assert_int_equal(s0->vty, 0);
	assert_int_equal(s1->vty, 1);
	fx->svc->test_now_ms += 3723000; /* 1:02:03 later */
	dev_session_input(s1, "\n", 1);

	out = exec_as(fx, "ann", "show users");
	assert_non_null(strstr(out, "   2 vty 0     vic        idle                 01:02:03 "
				    "192.0.2.9:5000\n"));
	assert_non_null(strstr(out, "   3 vty 1     jo         idle                 00:00:00 "));
	assert_non_null(strstr(out, "*  4 vty 2     ann        idle                 00:00:00 "
				    "192.0.2.1:4000\n"));

	/* A viewer may not; nor may anyone clear a free line. */
	out = exec_as(fx, "vic", "clear line vty 1");
	assert_non_null(strstr(out, "% Invalid input"));
	assert_int_equal(v1.closed, 0);
	out = exec_as(fx, "ann", "clear line vty 7");
	assert_string_equal(out, "% Line 9 is not in use\n");
	assert_int_equal(fx->status, 1);

	/* By vty, then by absolute number. */
	out = exec_as(fx, "ann", "clear line vty 1");
	assert_string_equal(out, " [OK]\n");
	assert_int_equal(v1.closed, 1);
	assert_int_equal(v0.closed, 0);
	out = exec_as(fx, "ann", "clear line 2");
	assert_string_equal(out, " [OK]\n");
	assert_int_equal(v0.closed, 1);
	for (int i = 0; i < 4; i++)
		event_base_loop(fx->base, EVLOOP_NONBLOCK);
	out = exec_as(fx, "ann", "show users");
	assert_non_null(strstr(out, "*  2 vty 0     ann "));
	assert_null(strstr(out, "vic"));
}

/* ---- re-login ---- */

struct ticker {
	struct event *ev;
	uint64_t last_us, worst_us;
};

static void tick(evutil_socket_t fd, short what, void *t_)
{
	struct ticker *t = t_;
	uint64_t now = time_usec();

	if (t->last_us && now - t->last_us > t->worst_us)
		t->worst_us = now - t->last_us;
	t->last_us = now;
}

/* Runs the loop until the output holds 'what' (at most 5 s). */
static bool loop_until(struct fx *fx, const char *what)
{
	uint64_t end = time_usec() + 5000000;

	while (!strstr(ds_cstr(&fx->out), what) && time_usec() < end)
		event_base_loop(fx->base, EVLOOP_ONCE);
	return strstr(ds_cstr(&fx->out), what) != NULL;
}

/* Gives ann a costly hash of her password (eight times the model's:
 * ~0.8 s to check), through the API's path. */
static void costly_hash(struct fx *fx)
{
	const struct model_object *o = model_find(ctl_state_model(fx->state), MODEL_TENANT, "acme");
	char hash[crypto_pwhash_STRBYTES], *text, *error = NULL;
	json_t *j = json_loads(o->json, 0, NULL);

	assert_int_equal(crypto_pwhash_str(hash, "ann-password", 12,
					   8 * crypto_pwhash_OPSLIMIT_INTERACTIVE,
					   crypto_pwhash_MEMLIMIT_INTERACTIVE),
			 0);
	json_object_set_new(json_array_get(json_object_get(j, "users"), 0), "password_hash",
			    json_string(hash));
	text = json_dumps(j, JSON_COMPACT);
	if (ctl_state_update(fx->state, MODEL_TENANT, "acme", text, strlen(text), NULL, &error))
		fail_msg("update: %s", error);
	free(text);
	json_decref(j);
}

/* A re-login's password is checked off the loop: during a check of ~0.8 s
 * a 5 ms timer keeps ticking (the bound leaves room for a loaded machine:
 * a quarter of the check), and the command typed right after the password
 * runs once it is accepted; a session gone during the check is no
 * trouble. */
static void test_relogin_off_loop(void **st)
{
	struct fx *fx = *st;
	struct dev_local_login login = {.tenant = "acme",
					.user = "ann",
					.device = R1,
					.source = "192.0.2.1:4000",
					.interactive = true,
					.cols = 80,
					.rows = 24};
	struct dev_session_io io = {io_write, io_close, fx};
	struct timeval every = {0, 5000};
	struct ticker t = {0};
	struct dev_session *s;

	costly_hash(fx);
	ds_clear(&fx->out);
	s = dev_service_open_local(fx->svc, &login, &io);
	assert_non_null(s);
	dev_term_set_exec_timeout(s->term, 1);
	assert_true(loop_until(fx, "Password: "));
	t.ev = event_new(fx->base, -1, EV_PERSIST, tick, &t);
	event_add(t.ev, &every);
	dev_session_input(s, "ann-password\rshow version\r", 26);
	assert_non_null(s->check);
	assert_true(loop_until(fx, "uptime is"));
	event_free(t.ev);
	print_message("password checked off the loop; its longest pause %.1f ms\n",
		      (double)t.worst_us / 1000);
	assert_true(t.worst_us < 200000);
	assert_null(s->check);

	/* Gone while its password is checked. */
	ds_clear(&fx->out);
	assert_true(loop_until(fx, "Password: "));
	dev_session_input(s, "ann-password\r", 13);
	assert_non_null(s->check);
	dev_session_gone(s);
	for (int i = 0; i < 40; i++) {
		struct timeval tv = {0, 10000};

		event_base_loopexit(fx->base, &tv);
		event_base_dispatch(fx->base);
	}
}

/* ---- viewers ---- */

static void test_viewer_sees_no_substrate(void **st)
{
	struct fx *fx = *st;
	static const char *const shows[] = {
	    "show version",	 "show running-config",	  "show startup-config",
	    "show ip route",	 "show ip interface brief", "show interfaces",
	    "show users",	 "show access-lists",	  "show ip traffic",
	    "show logging",	 "show ip arp",
	};
	static const char *const secrets[] = {"hv-zulu", "hv-yank", "198.19.", "4242"};

	struct dev_local_login login = {
	    .tenant = "acme", .user = "ann", .device = R1, .source = "198.51.100.9:2222"};
	struct dev_session_io io = {io_write, io_close, fx};
	struct dev_session *other;

	/* Something in the log, and another session from another address. */
	run_as(fx, "ann", add_route);
	other = dev_service_open_local(fx->svc, &login, &io);
	assert_non_null(other);
	assert_null(strstr(exec_as(fx, "vic", "show users"), "198.51.100.9"));
	assert_non_null(strstr(exec_as(fx, "ann", "show users"), "198.51.100.9"));
	for (size_t i = 0; i < ARRAY_SIZE(shows); i++) {
		const char *out = exec_as(fx, "vic", shows[i]);

		assert_int_equal(fx->status, 0);
		for (size_t k = 0; k < ARRAY_SIZE(secrets); k++)
			if (strstr(out, secrets[k]))
				fail_msg("'%s' shows a viewer '%s':\n%s", shows[i], secrets[k], out);
	}
	/* An admin sees the VNI. */
	assert_non_null(strstr(exec_as(fx, "ann", "show version"), "(VNI 4242)"));
	dev_session_gone(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_restart_restores_startup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_reopened_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_memory_survives, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_api_change_is_startup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_change_no_record, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_junos_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_junos_stale_candidate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_junos_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alias_and_exec_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_timeout_reaches_session, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_viewer_sees_no_substrate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clear_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_relogin_off_loop, setup, teardown),
	};

	log_set_level(LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
