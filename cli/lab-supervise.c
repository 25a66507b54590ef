// SPDX-License-Identifier: Apache-2.0
/*
 * The lab's supervisor ('onm lab supervise STATE_DIR', started by 'onm lab
 * up' in its own session, output in STATE_DIR/supervisor.log). It keeps the
 * lab's long-running processes — the controller and one agent per host —
 * alive: each is started from the "services" of lab.json (in its host's
 * network namespace for an agent), and restarted when it exits, after
 * 100 ms, doubling while it keeps failing within 10 s of its start, at most
 * 5 s apart. pids.json says what runs, for 'onm lab status' and 'down'.
 *
 * It is also the lab's hypervisor after 'up' has finished: an agent that
 * restarts creates its instances' TAP devices anew in its host's namespace,
 * where the instance cannot see them; the supervisor watches for such a
 * port, moves it back into the instance's namespace as eth0 and restores
 * the address the instance had leased (as a VM keeps its lease when its
 * NIC is re-plugged).
 *
 * Runs on libevent: signals (SIGCHLD, SIGHUP reload, SIGTERM/SIGINT stop)
 * and timers only; the only blocking work is the short 'ip' commands of a
 * re-plug.
 */
#include "lab-private.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_MODULE "lab"
#include "onm/log.h"

#define RESTART_FIRST_MS 100
#define RESTART_MAX_MS 5000
#define RESTART_STABLE_US (10 * 1000000ull) /* a run this long resets the backoff */
#define STOP_GRACE_SEC 3
#define WATCH_INTERVAL_MS 100
#define PORT_SETTLE_US 300000 /* a port not yet up is left to its agent this long */

struct supervisor;

struct service {
	char *name;		     /* "controller", "agent h1" */
	char **argv;		     /* NULL-terminated, argv[0] a path */
	char *netns;		     /* NULL: the supervisor's own namespace */
	char *log;		     /* path of its output */
	pid_t pid;		     /* 0 when not running */
	uint64_t start_time;	     /* of 'pid', see lab_proc_start_time() */
	uint64_t started_us;	     /* monotonic time of the last start */
	unsigned int restarts;	     /* since the supervisor started */
	unsigned int quick_failures; /* consecutive exits within RESTART_STABLE_US */
	bool wanted;		     /* false once removed from lab.json */
	struct event *timer;	     /* pending restart */
	struct supervisor *sup;
};

struct port {
	char *id;	  /* instance id */
	char *host_netns; /* where its agent creates the TAP */
	char *netns;	  /* the instance's namespace */
	char *port;	  /* TAP name, port_name() */
	char *address;	  /* "10.1.1.10/24" as leased, or NULL */
	char *gateway;	  /* default gateway as leased, or NULL */
	int host_sock;	  /* socket in 'host_netns', or -1 */
	uint64_t seen_us; /* when the TAP was first seen in 'host_netns', 0 if not */
};

struct supervisor {
	struct event_base *base;
	char *state_dir;
	char *lab_file;	 /* STATE_DIR/lab.json */
	char *pids_file; /* STATE_DIR/pids.json */
	struct service **services;
	size_t n_services;
	struct port *ports;
	size_t n_ports;
	bool stopping;
	struct event *watch;
	struct event *kill_timer;
};

static void service_start(struct service *);

static void service_destroy(struct service *svc)
{
	if (!svc)
		return;
	for (char **a = svc->argv; a && *a; a++)
		free(*a);
	free(svc->argv);
	free(svc->name);
	free(svc->netns);
	free(svc->log);
	if (svc->timer)
		event_free(svc->timer);
	free(svc);
}

static void ports_clear(struct supervisor *sup)
{
	for (size_t i = 0; i < sup->n_ports; i++) {
		struct port *p = &sup->ports[i];
		free(p->id);
		free(p->host_netns);
		free(p->netns);
		free(p->port);
		free(p->address);
		free(p->gateway);
		if (p->host_sock >= 0)
			close(p->host_sock);
	}
	free(sup->ports);
	sup->ports = NULL;
	sup->n_ports = 0;
}

static void pids_write(struct supervisor *sup)
{
	json_t *root = json_object();
	json_t *services = json_object();

	json_object_set_new(root, "supervisor",
			    json_pack("{s:i, s:I}", "pid", (int)getpid(), "start_time",
				      (json_int_t)lab_proc_start_time(getpid())));
	for (size_t i = 0; i < sup->n_services; i++) {
		struct service *svc = sup->services[i];
		json_t *s =
		    json_pack("{s:i, s:I, s:i, s:s}", "pid", (int)svc->pid, "start_time",
			      (json_int_t)svc->start_time, "restarts", (int)svc->restarts, "state",
			      svc->pid	      ? "running"
			      : !svc->wanted  ? "stopped"
			      : sup->stopping ? "stopped"
					      : "restarting");
		json_object_set_new(s, "netns", svc->netns ? json_string(svc->netns) : json_null());
		json_object_set_new(services, svc->name, s);
	}
	json_object_set_new(root, "services", services);
	int rc = lab_json_save(root, sup->pids_file);
	if (rc)
		LOG_ERR("cannot write %s: %s", sup->pids_file, strerror(-rc));
	json_decref(root);
}

static void on_restart_timer(evutil_socket_t fd, short what, void *svc_)
{
	struct service *svc = svc_;

	(void)fd;
	(void)what;
	if (svc->wanted && !svc->sup->stopping && !svc->pid)
		service_start(svc);
}

static void service_start(struct service *svc)
{
	pid_t pid = fork();

	if (pid < 0) {
		LOG_ERR("%s: cannot fork: %s", svc->name, strerror(errno));
		const struct timeval again = {1, 0};
		evtimer_add(svc->timer, &again);
		return;
	}
	if (!pid) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		int null = open("/dev/null", O_RDONLY);
		int log = open(svc->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		if (log >= 0) {
			dup2(log, STDOUT_FILENO);
			dup2(log, STDERR_FILENO);
		}
		if (svc->netns) {
			int rc = lab_netns_enter(svc->netns, true);
			if (rc) {
				dprintf(STDERR_FILENO, "onm lab: cannot enter namespace %s: %s\n",
					svc->netns, strerror(-rc));
				_exit(126);
			}
		}
		execv(svc->argv[0], svc->argv);
		dprintf(STDERR_FILENO, "onm lab: cannot run %s: %s\n", svc->argv[0],
			strerror(errno));
		_exit(127);
	}
	svc->pid = pid;
	svc->started_us = time_usec();
	/* The child's start time is set at fork; it is readable now. */
	svc->start_time = lab_proc_start_time(pid);
	LOG_INFO("%s: started (pid %d)%s%s", svc->name, (int)pid, svc->netns ? " in " : "",
		 svc->netns ? svc->netns : "");
	pids_write(svc->sup);
}

static struct service *service_by_pid(struct supervisor *sup, pid_t pid)
{
	for (size_t i = 0; i < sup->n_services; i++) {
		if (sup->services[i]->pid == pid)
			return sup->services[i];
	}
	return NULL;
}

static size_t running_count(const struct supervisor *sup)
{
	size_t n = 0;

	for (size_t i = 0; i < sup->n_services; i++)
		n += sup->services[i]->pid != 0;
	return n;
}

static void on_child(evutil_socket_t sig, short what, void *sup_)
{
	struct supervisor *sup = sup_;
	int status;
	pid_t pid;

	(void)sig;
	(void)what;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct service *svc = service_by_pid(sup, pid);
		if (!svc)
			continue;
		char how[64];
		if (WIFEXITED(status))
			snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(status));
		else
			snprintf(how, sizeof how, "killed by signal %d (%s)", WTERMSIG(status),
				 strsignal(WTERMSIG(status)));
		svc->pid = 0;
		svc->start_time = 0;
		if (sup->stopping || !svc->wanted) {
			LOG_INFO("%s (pid %d) %s", svc->name, (int)pid, how);
			continue;
		}

		uint64_t ran_us = time_usec() - svc->started_us;
		if (ran_us >= RESTART_STABLE_US)
			svc->quick_failures = 0;
		unsigned int delay_ms = RESTART_FIRST_MS;
		for (unsigned int i = 0; i < svc->quick_failures && delay_ms < RESTART_MAX_MS; i++)
			delay_ms *= 2;
		if (delay_ms > RESTART_MAX_MS)
			delay_ms = RESTART_MAX_MS;
		svc->quick_failures++;
		svc->restarts++;
		LOG_WARN("%s (pid %d) %s after %.1f s; restarting in %u ms", svc->name, (int)pid,
			 how, (double)ran_us / 1e6, delay_ms);
		const struct timeval tv = {delay_ms / 1000, (delay_ms % 1000) * 1000};
		evtimer_add(svc->timer, &tv);
	}
	pids_write(sup);
	if (sup->stopping && !running_count(sup))
		event_base_loopexit(sup->base, NULL);
}

static char *json_strdup(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? xstrdup(s) : NULL;
}

static struct service *service_from_json(struct supervisor *sup, const json_t *j)
{
	const char *name = json_string_value(json_object_get(j, "name"));
	const json_t *argv = json_object_get(j, "argv");
	const char *log = json_string_value(json_object_get(j, "log"));

	if (!name || !json_is_array(argv) || !json_array_size(argv) || !log)
		return NULL;
	struct service *svc = xzalloc(sizeof *svc);
	svc->name = xstrdup(name);
	svc->argv = xcalloc(json_array_size(argv) + 1, sizeof *svc->argv);
	for (size_t i = 0; i < json_array_size(argv); i++) {
		const char *a = json_string_value(json_array_get(argv, i));
		svc->argv[i] = xstrdup(a ? a : "");
	}
	svc->netns = json_strdup(j, "netns");
	svc->log = xstrdup(log);
	svc->wanted = true;
	svc->sup = sup;
	svc->timer = evtimer_new(sup->base, on_restart_timer, svc);
	if (!svc->timer)
		onm_abort("evtimer_new failed");
	return svc;
}

/* Reads lab.json: starts new services, stops removed ones, takes the
 * ports to watch. */
static int reload(struct supervisor *sup)
{
	int err_no;
	char *error;
	json_t *lab = lab_json_load(sup->lab_file, &err_no, &error);

	if (!lab) {
		LOG_ERR("%s", error);
		free(error);
		return -err_no;
	}

	const json_t *services = json_object_get(lab, "services");
	for (size_t i = 0; i < sup->n_services; i++)
		sup->services[i]->wanted = false;
	for (size_t i = 0; i < json_array_size(services); i++) {
		const json_t *j = json_array_get(services, i);
		const char *name = json_string_value(json_object_get(j, "name"));
		struct service *found = NULL;
		for (size_t k = 0; name && k < sup->n_services && !found; k++) {
			if (!strcmp(sup->services[k]->name, name))
				found = sup->services[k];
		}
		if (found) {
			found->wanted = true;
			continue;
		}
		struct service *svc = service_from_json(sup, j);
		if (!svc) {
			LOG_ERR("%s: service %zu is malformed; ignored", sup->lab_file, i);
			continue;
		}
		sup->services =
		    xrealloc(sup->services, (sup->n_services + 1) * sizeof *sup->services);
		sup->services[sup->n_services++] = svc;
		service_start(svc);
	}
	for (size_t i = 0; i < sup->n_services; i++) {
		struct service *svc = sup->services[i];
		if (!svc->wanted && svc->pid) {
			LOG_INFO("%s: no longer in %s; stopping pid %d", svc->name, sup->lab_file,
				 (int)svc->pid);
			kill(svc->pid, SIGTERM);
		}
		if (!svc->wanted)
			evtimer_del(svc->timer);
	}

	/* Ports: watched once 'up' has plugged them all. */
	ports_clear(sup);
	const char *status = json_string_value(json_object_get(lab, "status"));
	const json_t *instances = json_object_get(lab, "instances");
	for (size_t i = 0; status && !strcmp(status, "up") && i < json_array_size(instances); i++) {
		const json_t *j = json_array_get(instances, i);
		if (!json_is_true(json_object_get(j, "plugged")) ||
		    json_is_true(json_object_get(j, "kernel")))
			continue;
		struct port p = {
		    .id = json_strdup(j, "id"),
		    .host_netns = json_strdup(j, "host_netns"),
		    .netns = json_strdup(j, "netns"),
		    .port = json_strdup(j, "port"),
		    .address = json_strdup(j, "address"),
		    .gateway = json_strdup(j, "gateway"),
		    .host_sock = -1,
		};
		if (!p.id || !p.host_netns || !p.netns || !p.port) {
			free(p.id);
			free(p.host_netns);
			free(p.netns);
			free(p.port);
			free(p.address);
			free(p.gateway);
			continue;
		}
		sup->ports = xrealloc(sup->ports, (sup->n_ports + 1) * sizeof *sup->ports);
		sup->ports[sup->n_ports++] = p;
	}
	json_decref(lab);
	pids_write(sup);
	LOG_INFO("loaded %s: %zu services, %zu ports watched", sup->lab_file, sup->n_services,
		 sup->n_ports);
	return 0;
}

static void on_hup(evutil_socket_t sig, short what, void *sup_)
{
	(void)sig;
	(void)what;
	reload(sup_);
}

static void on_kill_timer(evutil_socket_t fd, short what, void *sup_)
{
	struct supervisor *sup = sup_;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < sup->n_services; i++) {
		struct service *svc = sup->services[i];
		if (svc->pid) {
			LOG_WARN("%s (pid %d) still runs %d s after SIGTERM; killing it", svc->name,
				 (int)svc->pid, STOP_GRACE_SEC);
			kill(svc->pid, SIGKILL);
		}
	}
}

static void on_stop(evutil_socket_t sig, short what, void *sup_)
{
	struct supervisor *sup = sup_;

	(void)what;
	if (sup->stopping)
		return;
	sup->stopping = true;
	LOG_INFO("%s: stopping every service", strsignal((int)sig));
	for (size_t i = 0; i < sup->n_services; i++) {
		struct service *svc = sup->services[i];
		evtimer_del(svc->timer);
		if (svc->pid)
			kill(svc->pid, SIGTERM);
	}
	pids_write(sup);
	if (!running_count(sup)) {
		event_base_loopexit(sup->base, NULL);
		return;
	}
	const struct timeval grace = {STOP_GRACE_SEC, 0};
	evtimer_add(sup->kill_timer, &grace);
}

/* Puts a port that its agent has (re)created in the host's namespace back
 * into the instance, with the instance's leased address. */
static void port_replug(struct port *p)
{
	struct ds error = DS_EMPTY_INITIALIZER;
	int rc;

	LOG_INFO("%s: port %s appeared in %s; plugging it into %s", p->id, p->port, p->host_netns,
		 p->netns);
	rc = lab_port_plug(p->host_netns, p->port, p->netns, &error);

	if (!rc && p->address)
		rc = lab_cmd(&error, "ip", "-n", p->netns, "addr", "replace", p->address, "dev",
			     "eth0", NULL);
	if (!rc && p->gateway)
		rc = lab_cmd(&error, "ip", "-n", p->netns, "route", "replace", "default", "via",
			     p->gateway, "dev", "eth0", NULL);
	if (rc)
		LOG_ERR("%s: cannot re-plug port %s: %s", p->id, p->port, ds_cstr(&error));
	else
		LOG_INFO("%s: port %s re-plugged as eth0 in %s with %s%s%s", p->id, p->port,
			 p->netns, p->address ? p->address : "no address",
			 p->gateway ? " via " : "", p->gateway ? p->gateway : "");
	ds_destroy(&error);
}

static void on_watch(evutil_socket_t fd, short what, void *sup_)
{
	struct supervisor *sup = sup_;

	(void)fd;
	(void)what;
	if (sup->stopping)
		return;
	for (size_t i = 0; i < sup->n_ports; i++) {
		struct port *p = &sup->ports[i];
		if (p->host_sock < 0) {
			p->host_sock = lab_netns_socket(p->host_netns);
			if (p->host_sock < 0)
				continue; /* namespace gone: the lab is going down */
		}
		int flags = lab_link_flags(p->host_sock, p->port);
		if (flags < 0) {
			p->seen_us = 0;
			continue;
		}
		/* Give the agent a moment to configure the new TAP (by name, in
		 * its namespace) before taking it away: until it is up, or for
		 * PORT_SETTLE_US. */
		uint64_t now = time_usec();
		if (!p->seen_us)
			p->seen_us = now;
		if (!(flags & IFF_UP) && now - p->seen_us < PORT_SETTLE_US)
			continue;
		p->seen_us = 0;
		port_replug(p);
	}
}

int lab_supervise_main(const char *state_dir)
{
	struct supervisor sup = {
	    .state_dir = xstrdup(state_dir),
	    .lab_file = xasprintf("%s/" LAB_STATE_FILE, state_dir),
	    .pids_file = xasprintf("%s/" LAB_PIDS_FILE, state_dir),
	};
	int status = 1;

	signal(SIGPIPE, SIG_IGN);
	sup.base = event_base_new();
	if (!sup.base) {
		LOG_ERR("cannot create the event loop");
		goto out;
	}
	struct event *sigchld = evsignal_new(sup.base, SIGCHLD, on_child, &sup);
	struct event *sighup = evsignal_new(sup.base, SIGHUP, on_hup, &sup);
	struct event *sigterm = evsignal_new(sup.base, SIGTERM, on_stop, &sup);
	struct event *sigint = evsignal_new(sup.base, SIGINT, on_stop, &sup);
	sup.watch = event_new(sup.base, -1, EV_PERSIST, on_watch, &sup);
	sup.kill_timer = evtimer_new(sup.base, on_kill_timer, &sup);
	const struct timeval watch = {0, WATCH_INTERVAL_MS * 1000};
	if (!sigchld || !sighup || !sigterm || !sigint || !sup.watch || !sup.kill_timer ||
	    evsignal_add(sigchld, NULL) || evsignal_add(sighup, NULL) ||
	    evsignal_add(sigterm, NULL) || evsignal_add(sigint, NULL) ||
	    evtimer_add(sup.watch, &watch)) {
		LOG_ERR("cannot set up the event loop");
		goto free_events;
	}

	LOG_INFO("supervisor of %s (pid %d)", state_dir, (int)getpid());
	if (reload(&sup))
		goto free_events;
	event_base_dispatch(sup.base);
	LOG_INFO("stopped");
	status = 0;

free_events:
	if (sigchld)
		event_free(sigchld);
	if (sighup)
		event_free(sighup);
	if (sigterm)
		event_free(sigterm);
	if (sigint)
		event_free(sigint);
	if (sup.watch)
		event_free(sup.watch);
	if (sup.kill_timer)
		event_free(sup.kill_timer);
	for (size_t i = 0; i < sup.n_services; i++)
		service_destroy(sup.services[i]);
	free(sup.services);
	ports_clear(&sup);
	event_base_free(sup.base);
out:
	free(sup.state_dir);
	free(sup.lab_file);
	free(sup.pids_file);
	return status;
}
