// SPDX-License-Identifier: Apache-2.0
/*
 * 'onm lab up|exec|status|down': an emulated substrate on one machine, as
 * spec.md and docs/dataplane.md ("Hosts on the underlay", "Ports") describe
 * it. 'up' validates the topology file locally, starts a supervisor that
 * runs onm-controller (SQLite store and agent channel in the lab's state
 * directory), applies the file through the REST API and reads back what the
 * controller made of it (host ids and addresses, VNIs, MACs); then it builds
 * the substrate: a network namespace per host with its address on lo, a
 * shaped veth pair per link, a namespace per instance, kernel VXLAN devices
 * for 'vtep: kernel' hosts, one supervised onm-agent per other host; and
 * finally plugs each instance's TAP into its namespace as eth0 and runs a
 * real DHCP client there. Everything made is recorded in lab.json as it is
 * made, so that 'down' undoes it even after a crash (lab-private.h).
 */
#include "lab.h"

#include "http-client.h"
#include "lab-private.h"
#include "onm/codec.h"
#include "onm/model.h"
#include "onm/naming.h"
#include "onm/net.h"
#include "onm/units.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum lab_exit {
	EXIT_OK = 0,
	EXIT_USER = 1,	      /* bad usage, bad file, a failed build */
	EXIT_UNREACHABLE = 2, /* the lab's controller did not come up or answer */
};

#define DEFAULT_API "127.0.0.1:7080"
#define DEFAULT_TIMEOUT_S 60	  /* 'up': from the agents' start to every address */
#define CONTROLLER_START_MS 15000 /* until /healthz answers */
#define AGENT_START_MS 5000	  /* until the supervisor reports an agent running */
#define DHCP_TRIES 3		  /* udhcpc runs per instance (each ~5 s at most) */
#define UNDERLAY_MTU "9000"	  /* substrate links: room for VXLAN around 1500 */
#define TENANT_MTU "1500"	  /* kernel-VTEP side of the tenant networks */
#define TBF_LATENCY "50ms"	  /* the longest a packet may wait in a tbf */
#define NETEM_MIN_LIMIT 1000	  /* packets */

/* Options of every subcommand. */
struct lab_options {
	const char *name;	   /* lab name, LAB_DEFAULT_NAME */
	const char *state_dir;	   /* NULL: LAB_STATE_ROOT/NAME */
	const char *api;	   /* controller's REST address, "ADDR:PORT" or "PORT" */
	const char *ssh;	   /* passed to the controller when set */
	const char *snmp;	   /* passed to the controller when set */
	const char *timeout;	   /* seconds, for 'up' */
	const char *positional[2]; /* the subcommand, then its argument */
	size_t n_positional;
	char **command; /* 'exec': the command, NULL-terminated */
};

struct lab_host {
	char *name;
	unsigned int id;
	char *address; /* underlay IPv4 */
	char *netns;
	bool kernel_vtep;
};

struct lab_link {
	char *id; /* "h1/h2" */
	struct lab_host *a, *b;
	unsigned int index; /* in the sorted list of link ids: the device is ul<index> */
	char dev[IFNAMSIZ];
	uint64_t latency_us;
	uint64_t bandwidth_bps; /* 0: unlimited */
	uint32_t loss_ppm;
	bool down;
	const char *shaping; /* what was set up, for status */
};

struct lab_instance {
	char *id; /* "acme/blue/web1" */
	char *network_id;
	char *name;
	char *ip;
	char *mac;
	unsigned int prefix_len;
	char *gateway; /* the router's interface on the subnet, or NULL */
	unsigned int vni;
	struct lab_host *host;
	char *netns;
	char port[IFNAMSIZ];
	/* Progress of 'up'. */
	bool plugged;
	pid_t dhcp_pid;
	unsigned int dhcp_tries;
	char *lease_file;
	char *address; /* leased "IP/LEN" */
	char *leased_gateway;
	uint64_t port_seen_us;
	json_t *record; /* its entry in lab.json's "instances" */
};

struct lab_up {
	const struct lab_options *opt;
	char *name;
	char *state_dir;
	char *state_file;
	char *file; /* absolute path of the topology */
	char *api;  /* "127.0.0.1:7080" */
	char *url;  /* "http://127.0.0.1:7080" */
	json_t *state;
	struct http_client *http;
	pid_t supervisor;
	char *self_dir;
	unsigned int timeout_s;
	bool supervisor_reaped;

	struct lab_host *hosts;
	size_t n_hosts;
	struct lab_link *links;
	size_t n_links;
	struct lab_instance *instances;
	size_t n_instances;
	bool netem_missing;    /* the kernel has no sch_netem: the delay line instead */
	bool iptables_missing; /* ... and no iptables for it: no latency, no loss */
};

static void PRINTF_FORMAT(1, 2) fail(const char *fmt, ...)
{
	va_list args;

	fflush(stdout);
	fputs("onm: ", stderr);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
}

/* Progress lines: "lab: WHAT ... ok". */
static void PRINTF_FORMAT(1, 2) step(const char *fmt, ...)
{
	va_list args;

	fputs("lab: ", stdout);
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	fputs(" ... ", stdout);
	fflush(stdout);
}

static void PRINTF_FORMAT(1, 2) step_ok(const char *fmt, ...)
{
	fputs("ok", stdout);
	if (fmt && *fmt) {
		va_list args;
		fputc(' ', stdout);
		va_start(args, fmt);
		vprintf(fmt, args);
		va_end(args);
	}
	fputc('\n', stdout);
	fflush(stdout);
}

static void step_failed(void)
{
	fputs("FAILED\n", stdout);
	fflush(stdout);
}

/* ---- options ---- */

static bool lab_name_is_valid(const char *name)
{
	return codec_name_is_valid(name) && strlen(name) <= 32;
}

/* Parses the words after the subcommand. With 'exec', the first positional
 * word is the instance and everything after it (after an optional "--") is
 * the command. */
static int options_parse(const char *sub, int argc, char **argv, struct lab_options *opt)
{
	struct {
		const char *name;
		const char **value;
	} specs[] = {
	    {"--name", &opt->name}, {"--state-dir", &opt->state_dir}, {"--api", &opt->api},
	    {"--ssh", &opt->ssh},   {"--snmp", &opt->snmp},	      {"--timeout", &opt->timeout},
	};
	bool is_exec = !strcmp(sub, "exec");
	bool options_done = false;

	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (!options_done && !strcmp(arg, "--")) {
			options_done = true;
			continue;
		}
		if (options_done || arg[0] != '-' || !arg[1]) {
			if (opt->n_positional >= ARRAY_SIZE(opt->positional)) {
				fail("lab %s: unexpected argument '%s'", sub, arg);
				return EXIT_USER;
			}
			opt->positional[opt->n_positional++] = arg;
			if (is_exec) {
				int rest = i + 1;
				if (rest < argc && !strcmp(argv[rest], "--"))
					rest++;
				if (rest >= argc) {
					fail("lab exec: which command? usage: onm lab exec "
					     "INSTANCE -- CMD...");
					return EXIT_USER;
				}
				opt->command = argv + rest;
				break;
			}
			continue;
		}
		bool found = false;
		for (size_t s = 0; s < ARRAY_SIZE(specs) && !found; s++) {
			size_t len = strlen(specs[s].name);
			if (!strcmp(arg, specs[s].name)) {
				if (i + 1 >= argc) {
					fail("lab %s: option '%s' needs a value", sub, arg);
					return EXIT_USER;
				}
				*specs[s].value = argv[++i];
				found = true;
			} else if (!strncmp(arg, specs[s].name, len) && arg[len] == '=') {
				*specs[s].value = arg + len + 1;
				found = true;
			}
		}
		if (!found) {
			fail("lab %s: unknown option '%s' (try 'onm lab help')", sub, arg);
			return EXIT_USER;
		}
	}
	if (!lab_name_is_valid(opt->name)) {
		fail("lab %s: --name '%s': a lab name is [a-z0-9][a-z0-9-]*, at most 32 bytes", sub,
		     opt->name);
		return EXIT_USER;
	}
	return EXIT_OK;
}

/* The state directory, absolute. Caller frees. */
static char *state_dir_of(const struct lab_options *opt)
{
	if (!opt->state_dir)
		return xasprintf(LAB_STATE_ROOT "/%s", opt->name);
	if (opt->state_dir[0] == '/')
		return xstrdup(opt->state_dir);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd))
		return xstrdup(opt->state_dir);
	return xasprintf("%s/%s", cwd, opt->state_dir);
}

static bool need_root(const char *sub)
{
	if (geteuid() == 0)
		return true;
	fail("lab %s: needs root (network namespaces); try: sudo onm lab %s ...", sub, sub);
	return false;
}

/* ---- small JSON helpers ---- */

static const char *jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void state_set_str(json_t *obj, const char *key, const char *value)
{
	json_object_set_new(obj, key, value ? json_string(value) : json_null());
}

static int state_save(struct lab_up *up)
{
	int rc = lab_json_save(up->state, up->state_file);

	if (rc)
		fail("cannot write %s: %s", up->state_file, strerror(-rc));
	return rc;
}

/* Adds 'netns' to the namespaces lab.json records and saves it. */
static int state_add_netns(struct lab_up *up, const char *netns)
{
	json_array_append_new(json_object_get(up->state, "namespaces"), json_string(netns));
	return state_save(up);
}

/* ---- down ---- */

/* Removes everything the lab in 'state_dir' recorded. Prints what it does
 * unless 'quiet'. Never fails on what is already gone. */
static int lab_down_dir(const char *name, const char *state_dir, bool quiet)
{
	char *state_file = xasprintf("%s/" LAB_STATE_FILE, state_dir);
	char *pids_file = xasprintf("%s/" LAB_PIDS_FILE, state_dir);
	int err_no;
	char *error;
	json_t *state = lab_json_load(state_file, &err_no, &error);
	struct stat st;
	unsigned int n_procs = 0, n_ns = 0;

	if (!state && err_no == ENOENT && stat(state_dir, &st)) {
		if (!quiet)
			printf("lab %s: not up (no %s)\n", name, state_dir);
		free(error);
		free(state_file);
		free(pids_file);
		return EXIT_OK;
	}
	if (!state && !quiet)
		printf("lab %s: %s; removing what can be found\n", name, error);
	free(error);

	/* The supervisor first, so that it restarts nothing; it stops its
	 * services itself. */
	const json_t *sup = json_object_get(state, "supervisor");
	pid_t sup_pid = (pid_t)json_integer_value(json_object_get(sup, "pid"));
	uint64_t sup_start = (uint64_t)json_integer_value(json_object_get(sup, "start_time"));
	if (sup_pid > 0 && lab_proc_stop(sup_pid, sup_start, 6000)) {
		n_procs++;
		if (!quiet)
			printf("lab: supervisor (pid %d) stopped\n", (int)sup_pid);
	}

	/* Then any service it left (it crashed, or was killed). */
	json_t *pids = lab_json_load(pids_file, &err_no, &error);
	free(error);
	const char *svc_name;
	json_t *svc;
	json_object_foreach(json_object_get(pids, "services"), svc_name, svc)
	{
		pid_t pid = (pid_t)json_integer_value(json_object_get(svc, "pid"));
		uint64_t start = (uint64_t)json_integer_value(json_object_get(svc, "start_time"));
		if (pid > 0 && lab_proc_stop(pid, start, 3000)) {
			n_procs++;
			if (!quiet)
				printf("lab: %s (pid %d) stopped\n", svc_name, (int)pid);
		}
	}
	json_decref(pids);

	/* Namespaces in reverse order of creation; links go with them.
	 * Processes still inside (a 'lab exec' left running) are killed, or
	 * they would keep the namespace and its links alive. */
	const json_t *namespaces = json_object_get(state, "namespaces");
	for (size_t i = json_array_size(namespaces); i-- > 0;) {
		const char *ns = json_string_value(json_array_get(namespaces, i));
		if (!ns || !lab_netns_exists(ns))
			continue;
		int killed = lab_netns_kill_all(ns);
		if (killed && !quiet)
			printf("lab: %d process%s left in %s killed\n", killed,
			       killed == 1 ? "" : "es", ns);
		struct ds err = DS_EMPTY_INITIALIZER;
		if (lab_cmd(&err, "ip", "netns", "del", ns, NULL)) {
			if (!quiet)
				printf("lab: %s\n", ds_cstr(&err));
		} else {
			n_ns++;
		}
		ds_destroy(&err);
	}

	int rc = lab_rm_rf(state_dir);
	if (rc && !quiet)
		printf("lab: cannot remove %s: %s\n", state_dir, strerror(-rc));
	if (!quiet)
		printf("lab %s: down (%u namespace%s deleted, %u process%s stopped)\n", name, n_ns,
		       n_ns == 1 ? "" : "s", n_procs, n_procs == 1 ? "" : "es");
	json_decref(state);
	free(state_file);
	free(pids_file);
	return EXIT_OK;
}

static int cmd_down(const struct lab_options *opt)
{
	if (opt->n_positional > 1) {
		fail("lab down: unexpected argument '%s'", opt->positional[1]);
		return EXIT_USER;
	}
	if (!need_root("down"))
		return EXIT_USER;
	char *dir = state_dir_of(opt);
	int rc = lab_down_dir(opt->name, dir, false);
	free(dir);
	return rc;
}

/* ---- up: the controller ---- */

static const char udhcpc_script[] =
    "#!/bin/sh\n"
    "# onm lab: the DHCP client's hook. Puts the lease on the interface and\n"
    "# records it in $ONM_LAB_LEASE. Unlike Debian's default script it leaves\n"
    "# /etc/resolv.conf alone: the instance shares the machine's files.\n"
    "case \"$1\" in\n"
    "deconfig)\n"
    "\tip -4 addr flush dev \"$interface\"\n"
    "\tip link set \"$interface\" up\n"
    "\t;;\n"
    "bound|renew)\n"
    "\tip -4 addr flush dev \"$interface\"\n"
    "\tip -4 addr add \"$ip/${mask:-$subnet}\" dev \"$interface\" || exit 1\n"
    "\tgw=${router%% *}\n"
    "\tif [ -n \"$gw\" ]; then\n"
    "\t\tip -4 route replace default via \"$gw\" dev \"$interface\" || exit 1\n"
    "\tfi\n"
    "\tif [ -n \"$ONM_LAB_LEASE\" ]; then\n"
    "\t\tprintf '%s %s\\n' \"$(ip -4 -o addr show dev \"$interface\" | "
    "awk '{print $4; exit}')\" \"$gw\" >\"$ONM_LAB_LEASE.tmp\" &&\n"
    "\t\t\tmv \"$ONM_LAB_LEASE.tmp\" \"$ONM_LAB_LEASE\"\n"
    "\tfi\n"
    "\t;;\n"
    "esac\n"
    "exit 0\n";

static int write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text);

	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, len);
	int ret = n == (ssize_t)len ? 0 : -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

/* The last 'n' lines of 'path', for error messages. */
static void print_tail(const char *path, int n)
{
	char *buf;
	size_t len;

	if (read_file(path, &buf, &len))
		return;
	const char *p = buf + len;
	int lines = 0;
	while (p > buf && lines <= n) {
		p--;
		if (*p == '\n' && p + 1 < buf + len)
			lines++;
	}
	if (*p == '\n')
		p++;
	fprintf(stderr, "--- last lines of %s:\n%s", path, p);
	if (len && buf[len - 1] != '\n')
		fputc('\n', stderr);
	free(buf);
}

/* "ADDR:PORT" from --api ("PORT" alone means 127.0.0.1:PORT). */
static char *api_address(const char *api)
{
	if (!api)
		return xstrdup(DEFAULT_API);
	if (strspn(api, "0123456789") == strlen(api))
		return xasprintf("127.0.0.1:%s", api);
	return xstrdup(api);
}

/* True if something accepts connections on 'address' ("IPv4:PORT"). */
static bool address_in_use(const char *address)
{
	char *host = xstrdup(address);
	char *colon = strrchr(host, ':');
	bool in_use = false;

	if (colon) {
		*colon = '\0';
		struct sockaddr_in sin = {.sin_family = AF_INET,
					  .sin_port = htons((uint16_t)atoi(colon + 1))};
		uint32_t addr;
		if (ipv4_parse(host, &addr)) {
			sin.sin_addr.s_addr = htonl(addr ? addr : 0x7f000001);
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd >= 0) {
				in_use = !connect(fd, (struct sockaddr *)&sin, sizeof sin);
				close(fd);
			}
		}
	}
	free(host);
	return in_use;
}

/* The pid of service 'name' if the supervisor reports it running
 * (pids.json), else 0; its restarts so far in '*restarts' if not NULL. */
static pid_t service_pid(const struct lab_up *up, const char *name, int *restarts)
{
	char *path = xasprintf("%s/" LAB_PIDS_FILE, up->state_dir);
	int err_no;
	char *error;
	json_t *pids = lab_json_load(path, &err_no, &error);
	const json_t *svc = json_object_get(json_object_get(pids, "services"), name);
	pid_t pid = (pid_t)json_integer_value(json_object_get(svc, "pid"));

	if (restarts)
		*restarts = (int)json_integer_value(json_object_get(svc, "restarts"));
	free(error);
	free(path);
	json_decref(pids);
	return pid > 0 ? pid : 0;
}

static bool supervisor_gone(struct lab_up *up)
{
	if (up->supervisor_reaped)
		return true;
	int status;
	if (waitpid(up->supervisor, &status, WNOHANG) == up->supervisor) {
		up->supervisor_reaped = true;
		return true;
	}
	return false;
}

static json_t *service_json(const char *name, const char *const *argv, const char *netns,
			    const char *log)
{
	json_t *a = json_array();

	for (size_t i = 0; argv[i]; i++)
		json_array_append_new(a, json_string(argv[i]));
	json_t *svc = json_pack("{s:s, s:o}", "name", name, "argv", a);
	state_set_str(svc, "netns", netns);
	state_set_str(svc, "log", log);
	return svc;
}

static int start_supervisor(struct lab_up *up)
{
	char *log = xasprintf("%s/supervisor.log", up->state_dir);
	pid_t pid = fork();

	if (pid < 0) {
		fail("cannot fork: %s", strerror(errno));
		free(log);
		return -errno;
	}
	if (!pid) {
		/* Its own session, no terminal, output to its log, nothing of
		 * ours but the environment. */
		setsid();
		int null = open("/dev/null", O_RDWR);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		for (int i = 3; i < 1024; i++)
			close(i);
		char *exe = xasprintf("%s/onm", up->self_dir);
		char *argv[] = {exe, "lab", "supervise", up->state_dir, NULL};
		execv("/proc/self/exe", argv);
		dprintf(STDERR_FILENO, "onm lab: cannot run the supervisor: %s\n", strerror(errno));
		_exit(127);
	}
	free(log);
	up->supervisor = pid;
	json_object_set_new(up->state, "supervisor",
			    json_pack("{s:i, s:I}", "pid", (int)pid, "start_time",
				      (json_int_t)lab_proc_start_time(pid)));
	return state_save(up);
}

static int start_controller(struct lab_up *up)
{
	char *bin = xasprintf("%s/onm-controller", up->self_dir);
	char *store = xasprintf("sqlite:%s/onm.db", up->state_dir);
	char *agents = xasprintf("unix:%s/agents.sock", up->state_dir);
	char *log = xasprintf("%s/controller.log", up->state_dir);
	const char *argv[16];
	size_t n = 0;
	int rc = -1;

	if (access(bin, X_OK)) {
		fail("lab up: no controller at %s (build first: make build)", bin);
		goto out;
	}
	if (address_in_use(up->api)) {
		fail("lab up: %s is already in use (another lab or controller?); choose another "
		     "with --api ADDR:PORT",
		     up->api);
		goto out;
	}
	argv[n++] = bin;
	argv[n++] = "--store";
	argv[n++] = store;
	argv[n++] = "--api";
	argv[n++] = up->api;
	argv[n++] = "--agents";
	argv[n++] = agents;
	if (up->opt->ssh) {
		argv[n++] = "--ssh";
		argv[n++] = up->opt->ssh;
	}
	if (up->opt->snmp) {
		argv[n++] = "--snmp";
		argv[n++] = up->opt->snmp;
	}
	argv[n] = NULL;
	json_t *services = json_array();
	json_array_append_new(services, service_json("controller", argv, NULL, log));
	json_object_set_new(up->state, "services", services);

	step("controller on %s (store %s/onm.db)", up->api, up->state_dir);
	if (state_save(up) || start_supervisor(up)) {
		step_failed();
		goto out;
	}

	/* Wait for /healthz, bounded; say why if the controller keeps dying. */
	struct http_client *health;
	char *error;
	if (http_client_create(up->url, NULL, 1000, &health, &error)) {
		step_failed();
		fail("lab up: %s", error);
		free(error);
		goto out;
	}
	uint64_t deadline = time_usec() + CONTROLLER_START_MS * 1000ull;
	bool healthy = false;
	int restarts = 0;
	while (!healthy && time_usec() < deadline && !supervisor_gone(up)) {
		/* A controller that cannot start (port taken, bad store)
		 * will not start the third time either. */
		service_pid(up, "controller", &restarts);
		if (restarts >= 2)
			break;
		struct http_response r;
		if (!http_client_request(health, HTTP_GET, "/healthz", NULL, 0, NULL, 0, &r,
					 &error)) {
			healthy = r.status == 200;
			http_response_uninit(&r);
		} else {
			free(error);
		}
		if (!healthy)
			usleep(100000);
	}
	http_client_destroy(health);
	if (!healthy) {
		step_failed();
		if (supervisor_gone(up)) {
			char *sup_log = xasprintf("%s/supervisor.log", up->state_dir);
			fail("lab up: the supervisor exited");
			print_tail(sup_log, 10);
			free(sup_log);
		} else if (restarts >= 2) {
			fail("lab up: the controller keeps exiting (%d restarts)", restarts);
		} else {
			fail("lab up: the controller did not answer on %s within %d s", up->url,
			     CONTROLLER_START_MS / 1000);
		}
		print_tail(log, 10);
		rc = -ETIMEDOUT;
		goto out;
	}
	step_ok("(pid %d)", (int)service_pid(up, "controller", NULL));
	rc = 0;
out:
	free(bin);
	free(store);
	free(agents);
	free(log);
	return rc;
}

/* ---- up: the model, through the API ---- */

/* One request; on success returns 0 and '*answer' (parsed body). */
static int api_call(struct lab_up *up, enum http_method method, const char *path,
		    const struct http_header *headers, size_t n_headers, const char *body,
		    size_t body_size, json_t **answer)
{
	struct http_response r;
	char *error;
	int rc = http_client_request(up->http, method, path, headers, n_headers, body, body_size,
				     &r, &error);

	*answer = NULL;
	if (rc) {
		fail("lab up: %s", error);
		free(error);
		return EXIT_UNREACHABLE;
	}
	json_t *json = json_loadb(r.body, r.body_size, JSON_DECODE_ANY, NULL);
	if (r.status < 200 || r.status >= 300) {
		const char *detail =
		    jstr(json, "detail") ? jstr(json, "detail") : jstr(json, "error");
		fail("%s", detail ? detail : "the controller refused the request");
		if (!detail)
			fprintf(stderr, "(HTTP %d for %s %s)\n", r.status, http_method_name(method),
				path);
		rc = r.status >= 500 ? EXIT_UNREACHABLE : EXIT_USER;
		json_decref(json);
	} else if (!json) {
		fail("lab up: malformed answer from the controller to %s %s",
		     http_method_name(method), path);
		rc = EXIT_UNREACHABLE;
	} else {
		*answer = json;
	}
	http_response_uninit(&r);
	return rc;
}

static int api_items(struct lab_up *up, const char *plural, json_t **items)
{
	char *path = xasprintf("/v1/%s", plural);
	json_t *answer;
	int rc = api_call(up, HTTP_GET, path, NULL, 0, NULL, 0, &answer);

	free(path);
	*items = NULL;
	if (rc)
		return rc;
	json_t *list = json_object_get(answer, "items");
	if (!json_is_array(list)) {
		fail("lab up: malformed answer from the controller: /v1/%s has no items", plural);
		json_decref(answer);
		return EXIT_UNREACHABLE;
	}
	*items = json_incref(list);
	json_decref(answer);
	return EXIT_OK;
}

static int apply_file(struct lab_up *up, const char *body, size_t body_size)
{
	const struct http_header headers[] = {
	    {"Content-Type",
	     str_has_suffix(up->file, ".json") ? "application/json" : "application/yaml"},
	    {"X-Onm-Source", up->opt->positional[1]},
	};
	json_t *plan;

	step("apply %s", up->opt->positional[1]);
	int rc = api_call(up, HTTP_POST, "/v1/apply", headers, ARRAY_SIZE(headers), body, body_size,
			  &plan);
	if (rc) {
		step_failed();
		return rc;
	}
	const json_t *summary = json_object_get(plan, "summary");
	step_ok("(revision %lld: %lld created, %lld updated, %lld deleted)",
		(long long)json_integer_value(json_object_get(plan, "revision")),
		(long long)json_integer_value(json_object_get(summary, "create")),
		(long long)json_integer_value(json_object_get(summary, "update")),
		(long long)json_integer_value(json_object_get(summary, "delete")));
	json_decref(plan);
	return EXIT_OK;
}

static struct lab_host *host_find(struct lab_up *up, const char *name)
{
	for (size_t i = 0; name && i < up->n_hosts; i++) {
		if (!strcmp(up->hosts[i].name, name))
			return &up->hosts[i];
	}
	return NULL;
}

static int link_cmp(const void *a_, const void *b_)
{
	const struct lab_link *a = a_, *b = b_;

	return strcmp(a->id, b->id);
}

/* Reads hosts, links, networks, routers and instances back. */
static int read_model(struct lab_up *up)
{
	json_t *hosts = NULL, *links = NULL, *networks = NULL, *routers = NULL, *instances = NULL;
	int rc;

	if ((rc = api_items(up, "hosts", &hosts)) || (rc = api_items(up, "links", &links)) ||
	    (rc = api_items(up, "networks", &networks)) ||
	    (rc = api_items(up, "routers", &routers)) ||
	    (rc = api_items(up, "instances", &instances)))
		goto out;

	rc = EXIT_UNREACHABLE;
	up->n_hosts = json_array_size(hosts);
	up->hosts = xcalloc(up->n_hosts ? up->n_hosts : 1, sizeof *up->hosts);
	for (size_t i = 0; i < up->n_hosts; i++) {
		const json_t *j = json_array_get(hosts, i);
		struct lab_host *h = &up->hosts[i];
		const char *name = jstr(j, "name"), *address = jstr(j, "address");
		const char *vtep = jstr(j, "vtep");
		uint32_t addr;
		if (!name || !address || !ipv4_parse(address, &addr)) {
			fail("lab up: the controller reports host %s without an underlay address "
			     "(docs/dataplane.md: hosts have an id and an address)",
			     name ? name : "?");
			goto out;
		}
		h->name = xstrdup(name);
		h->id = (unsigned int)json_integer_value(json_object_get(j, "id"));
		h->address = xstrdup(address);
		h->netns = lab_host_netns(up->name, name);
		h->kernel_vtep = (vtep && !strcmp(vtep, "kernel")) ||
				 json_is_true(json_object_get(j, "kernel_vtep"));
	}

	up->n_links = json_array_size(links);
	up->links = xcalloc(up->n_links ? up->n_links : 1, sizeof *up->links);
	for (size_t i = 0; i < up->n_links; i++) {
		const json_t *j = json_array_get(links, i);
		struct lab_link *l = &up->links[i];
		struct lab_host *a = host_find(up, jstr(j, "a")), *b = host_find(up, jstr(j, "b"));
		char *msg = NULL;
		if (!a || !b) {
			fail("lab up: the controller reports a link between unknown hosts");
			goto out;
		}
		if (strcmp(a->name, b->name) > 0) {
			struct lab_host *t = a;
			a = b;
			b = t;
		}
		l->a = a;
		l->b = b;
		l->id = xasprintf("%s/%s", a->name, b->name);
		const char *latency = jstr(j, "latency"), *bandwidth = jstr(j, "bandwidth");
		const char *loss = jstr(j, "loss"), *state = jstr(j, "state");
		if ((latency && (msg = units_parse_duration_us(latency, &l->latency_us))) ||
		    (bandwidth && (msg = units_parse_rate_bps(bandwidth, &l->bandwidth_bps))) ||
		    (loss && (msg = units_parse_percent_ppm(loss, &l->loss_ppm)))) {
			fail("lab up: link %s: %s", l->id, msg);
			free(msg);
			goto out;
		}
		l->down = state && !strcmp(state, "down");
	}
	qsort(up->links, up->n_links, sizeof *up->links, link_cmp);
	for (size_t i = 0; i < up->n_links; i++) {
		up->links[i].index = (unsigned int)i;
		snprintf(up->links[i].dev, sizeof up->links[i].dev, "ul%u",
			 (unsigned int)i % 100000000);
	}

	up->n_instances = json_array_size(instances);
	up->instances = xcalloc(up->n_instances ? up->n_instances : 1, sizeof *up->instances);
	for (size_t i = 0; i < up->n_instances; i++) {
		const json_t *j = json_array_get(instances, i);
		struct lab_instance *in = &up->instances[i];
		const char *tenant = jstr(j, "tenant"), *network = jstr(j, "network");
		const char *name = jstr(j, "name"), *subnet = jstr(j, "subnet");
		const char *ip = jstr(j, "ip"), *mac = jstr(j, "mac");
		if (!tenant || !network || !name || !subnet || !ip || !mac) {
			fail("lab up: the controller reports an incomplete instance");
			goto out;
		}
		in->id = xasprintf("%s/%s/%s", tenant, network, name);
		in->network_id = xasprintf("%s/%s", tenant, network);
		in->name = xstrdup(name);
		in->ip = xstrdup(ip);
		in->mac = xstrdup(mac);
		in->host = host_find(up, jstr(j, "host"));
		if (!in->host) {
			fail("lab up: instance %s is on an unknown host", in->id);
			goto out;
		}
		in->netns = lab_instance_netns(up->name, in->id);
		port_name(in->id, in->port);
		in->prefix_len = 32;

		/* Its network: VNI and the subnet's prefix length. */
		for (size_t k = 0; k < json_array_size(networks); k++) {
			const json_t *n = json_array_get(networks, k);
			if (strcmp(jstr(n, "tenant") ? jstr(n, "tenant") : "", tenant) ||
			    strcmp(jstr(n, "name") ? jstr(n, "name") : "", network))
				continue;
			in->vni = (unsigned int)json_integer_value(json_object_get(n, "vni"));
			const json_t *subnets = json_object_get(n, "subnets");
			for (size_t s = 0; s < json_array_size(subnets); s++) {
				const json_t *sn = json_array_get(subnets, s);
				struct ipv4_prefix p;
				if (!strcmp(jstr(sn, "name") ? jstr(sn, "name") : "", subnet) &&
				    jstr(sn, "cidr") && ipv4_prefix_parse(jstr(sn, "cidr"), &p))
					in->prefix_len = p.len;
			}
		}
		/* Its gateway: a router of the network with an interface on the
		 * subnet. */
		for (size_t k = 0; k < json_array_size(routers) && !in->gateway; k++) {
			const json_t *r = json_array_get(routers, k);
			if (strcmp(jstr(r, "tenant") ? jstr(r, "tenant") : "", tenant) ||
			    strcmp(jstr(r, "network") ? jstr(r, "network") : "", network))
				continue;
			const json_t *ifs = json_object_get(r, "interfaces");
			for (size_t f = 0; f < json_array_size(ifs) && !in->gateway; f++) {
				const json_t *itf = json_array_get(ifs, f);
				if (!strcmp(jstr(itf, "subnet") ? jstr(itf, "subnet") : "",
					    subnet) &&
				    jstr(itf, "ip"))
					in->gateway = xstrdup(jstr(itf, "ip"));
			}
		}
	}
	rc = EXIT_OK;
out:
	json_decref(hosts);
	json_decref(links);
	json_decref(networks);
	json_decref(routers);
	json_decref(instances);
	return rc;
}

/* ---- up: the substrate ---- */

static int netns_create(struct lab_up *up, const char *netns, struct ds *err)
{
	if (lab_netns_exists(netns)) {
		ds_clear(err);
		ds_put_format(err, "namespace %s already exists (another lab with a similar name?)",
			      netns);
		return -EEXIST;
	}
	int rc = lab_cmd(err, "ip", "netns", "add", netns, NULL);
	if (rc)
		return rc;
	if (state_add_netns(up, netns))
		return -EIO;
	/* IPv4 only: no IPv6 link-local chatter on the lab's wires. */
	if ((rc = lab_netns_sysctl(netns, "net/ipv6/conf/all/disable_ipv6", "1")) ||
	    (rc = lab_netns_sysctl(netns, "net/ipv6/conf/default/disable_ipv6", "1"))) {
		if (rc != -ENOENT) {
			ds_clear(err);
			ds_put_format(err, "%s: cannot disable IPv6: %s", netns, strerror(-rc));
			return rc;
		}
	}
	return lab_cmd(err, "ip", "-n", netns, "link", "set", "lo", "up", NULL);
}

static int build_hosts(struct lab_up *up)
{
	struct ds err = DS_EMPTY_INITIALIZER;
	json_t *hosts = json_object_get(up->state, "hosts");
	int rc = 0;

	for (size_t i = 0; i < up->n_hosts && !rc; i++) {
		struct lab_host *h = &up->hosts[i];
		char *cidr = xasprintf("%s/32", h->address);

		step("namespace %s (%s, %s%s)", h->name, h->netns, h->address,
		     h->kernel_vtep ? ", kernel vtep" : "");
		rc = netns_create(up, h->netns, &err);
		if (!rc)
			rc = lab_cmd(&err, "ip", "-n", h->netns, "addr", "add", cidr, "dev", "lo",
				     NULL);
		free(cidr);
		json_t *rec = json_pack("{s:s, s:i, s:s, s:s, s:b}", "name", h->name, "id",
					(int)h->id, "address", h->address, "netns", h->netns,
					"kernel_vtep", h->kernel_vtep);
		json_array_append_new(hosts, rec);
		if (!rc)
			rc = state_save(up);
		if (rc) {
			step_failed();
			fail("lab up: host %s: %s", h->name, ds_cstr(&err));
		} else {
			step_ok(NULL);
		}
	}
	ds_destroy(&err);
	return rc;
}

/* Without netem: loss by an iptables 'statistic' rule, latency by the delay
 * line (lab-delay.c) behind an NFQUEUE rule, both on what leaves the link's
 * device. */
static int shape_without_netem(struct lab_up *up, const char *netns, const struct lab_link *l,
			       struct ds *err)
{
	char queue[16], probability[32];
	int rc;

	if (up->iptables_missing)
		return 0;
	if (l->loss_ppm) {
		snprintf(probability, sizeof probability, "%u.%06u", l->loss_ppm / 1000000,
			 l->loss_ppm % 1000000);
		rc = lab_cmd(err, "ip", "netns", "exec", netns, "iptables", "-w", "-t", "mangle",
			     "-A", "POSTROUTING", "-o", l->dev, "-m", "statistic", "--mode",
			     "random", "--probability", probability, "-j", "DROP", NULL);
		if (rc)
			return rc;
	}
	if (l->latency_us) {
		snprintf(queue, sizeof queue, "%u", l->index);
		rc = lab_cmd(err, "ip", "netns", "exec", netns, "iptables", "-w", "-t", "mangle",
			     "-A", "POSTROUTING", "-o", l->dev, "-j", "NFQUEUE", "--queue-num",
			     queue, "--queue-bypass", NULL);
		if (rc)
			return rc;
		json_array_append_new(json_object_get(up->state, "delays"),
				      json_pack("{s:s, s:s, s:i, s:I}", "netns", netns, "dev",
						l->dev, "queue", (int)l->index, "delay_us",
						(json_int_t)l->latency_us));
	}
	return 0;
}

/* netem (latency, loss) with tbf (bandwidth) as its child, on one end. */
static int shape(struct lab_up *up, const char *netns, const struct lab_link *l, struct ds *err,
		 const char **what)
{
	char parent[16] = "root";
	int rc;

	*what = "none";
	if ((l->latency_us || l->loss_ppm) && up->netem_missing) {
		rc = shape_without_netem(up, netns, l, err);
		if (rc)
			return rc;
		if (!up->iptables_missing)
			*what = "delayline";
	}
	if ((l->latency_us || l->loss_ppm) && !up->netem_missing) {
		char delay[32], loss[32], limit[32];
		snprintf(delay, sizeof delay, "%lluus", (unsigned long long)l->latency_us);
		snprintf(loss, sizeof loss, "%u.%04u%%", l->loss_ppm / 10000, l->loss_ppm % 10000);
		/* Room for the bandwidth-delay product of 1500-byte packets. */
		uint64_t bdp = l->bandwidth_bps ? l->bandwidth_bps : 10000000000ull;
		bdp = bdp / 8 * l->latency_us / 1000000 / 1500 * 2;
		snprintf(limit, sizeof limit, "%llu",
			 (unsigned long long)(bdp > NETEM_MIN_LIMIT ? bdp : NETEM_MIN_LIMIT));
		rc =
		    lab_cmd(err, "tc", "-n", netns, "qdisc", "add", "dev", l->dev, "root", "handle",
			    "1:", "netem", "delay", delay, "loss", loss, "limit", limit, NULL);
		if (rc && strstr(ds_cstr(err), "qdisc kind is unknown")) {
			struct ds ignored = DS_EMPTY_INITIALIZER;
			up->netem_missing = true;
			up->iptables_missing =
			    lab_cmd(&ignored, "iptables", "--version", NULL) != 0;
			ds_destroy(&ignored);
			rc = shape_without_netem(up, netns, l, err);
			if (rc)
				return rc;
			if (!up->iptables_missing)
				*what = "delayline";
		} else if (rc) {
			return rc;
		} else {
			strcpy(parent, "1:1");
			*what = "netem";
		}
	}
	if (l->bandwidth_bps) {
		char rate[32], burst[32];
		snprintf(rate, sizeof rate, "%llubit", (unsigned long long)l->bandwidth_bps);
		/* 4 ms at the rate, but at least a few jumbo frames. */
		uint64_t b = l->bandwidth_bps / 8 / 250;
		snprintf(burst, sizeof burst, "%llu", (unsigned long long)(b > 32768 ? b : 32768));
		rc = lab_cmd(err, "tc", "-n", netns, "qdisc", "add", "dev", l->dev, "parent",
			     parent, "handle", "10:", "tbf", "rate", rate, "burst", burst,
			     "latency", TBF_LATENCY, NULL);
		if (rc)
			return rc;
		*what = !strcmp(*what, "netem")	      ? "netem+tbf"
			: !strcmp(*what, "delayline") ? "delayline+tbf"
						      : "tbf";
	}
	return 0;
}

static int build_links(struct lab_up *up)
{
	struct ds err = DS_EMPTY_INITIALIZER;
	json_t *links = json_object_get(up->state, "links");
	int rc = 0;

	for (size_t i = 0; i < up->n_links && !rc; i++) {
		struct lab_link *l = &up->links[i];
		char lat[UNITS_STRLEN], bw[UNITS_STRLEN] = "", loss[UNITS_STRLEN] = "";
		units_format_duration_us(l->latency_us, lat);
		if (l->bandwidth_bps)
			units_format_rate_bps(l->bandwidth_bps, bw);
		if (l->loss_ppm)
			units_format_percent_ppm(l->loss_ppm, loss);

		step("link %s-%s (%s) %s%s%s%s%s%s", l->a->name, l->b->name, l->dev, lat,
		     *bw ? " " : "", bw, *loss ? " loss " : "", loss, l->down ? " down" : "");
		rc = lab_cmd(&err, "ip", "-n", l->a->netns, "link", "add", l->dev, "mtu",
			     UNDERLAY_MTU, "type", "veth", "peer", "name", l->dev, "mtu",
			     UNDERLAY_MTU, "netns", l->b->netns, NULL);
		const char *shaping = "none";
		for (int end = 0; end < 2 && !rc; end++) {
			const struct lab_host *self = end ? l->b : l->a;
			const struct lab_host *peer = end ? l->a : l->b;
			char *peer_cidr = xasprintf("%s/32", peer->address);
			rc = shape(up, self->netns, l, &err, &shaping);
			if (!rc && !l->down)
				rc = lab_cmd(&err, "ip", "-n", self->netns, "link", "set", l->dev,
					     "up", NULL);
			/* A route needs its device up; a link that is down has none. */
			if (!rc && !l->down)
				rc = lab_cmd(&err, "ip", "-n", self->netns, "route", "add",
					     peer_cidr, "dev", l->dev, "src", self->address, NULL);
			free(peer_cidr);
		}
		l->shaping = shaping;
		json_t *rec = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
					l->id, "a", l->a->name, "b", l->b->name, "index",
					(int)l->index, "dev", l->dev, "latency", lat, "bandwidth",
					*bw ? bw : "unlimited", "loss", *loss ? loss : "0%",
					"state", l->down ? "down" : "up", "shaping", shaping);
		json_array_append_new(links, rec);
		if (!rc)
			rc = state_save(up);
		if (rc) {
			step_failed();
			fail("lab up: link %s: %s", l->id, ds_cstr(&err));
		} else if (up->iptables_missing && (l->latency_us || l->loss_ppm)) {
			step_ok("(%s; no netem in this kernel and no iptables: latency and loss "
				"not emulated)",
				shaping);
		} else {
			step_ok("(%s)", shaping);
		}
	}
	if (!rc && json_array_size(json_object_get(up->state, "delays"))) {
		/* The delay line serves the queues; the supervisor starts it
		 * with the agents. */
		char *exe = xasprintf("%s/onm", up->self_dir);
		char *log = xasprintf("%s/delay.log", up->state_dir);
		const char *argv[] = {exe, "lab", "delay", up->state_dir, NULL};
		json_array_append_new(json_object_get(up->state, "services"),
				      service_json("delay line", argv, NULL, log));
		free(exe);
		free(log);
		rc = state_save(up);
	}
	ds_destroy(&err);
	return rc;
}

static json_t *instance_record(const struct lab_instance *in)
{
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "id", in->id,
				"name", in->name, "host", in->host->name, "host_netns",
				in->host->netns, "netns", in->netns, "port", in->port, "ip", in->ip,
				"mac", in->mac, "kernel", in->host->kernel_vtep, "plugged", false);
	state_set_str(rec, "address", NULL);
	state_set_str(rec, "gateway", NULL);
	return rec;
}

static int build_instance_namespaces(struct lab_up *up)
{
	struct ds err = DS_EMPTY_INITIALIZER;
	json_t *instances = json_object_get(up->state, "instances");
	int rc = 0;

	for (size_t i = 0; i < up->n_instances && !rc; i++) {
		struct lab_instance *in = &up->instances[i];

		step("namespace %s (%s)", in->id, in->netns);
		rc = netns_create(up, in->netns, &err);
		/* Instances are test endpoints: every probe gets its ICMP
		 * answer (traceroute, unreachables), not one a second. */
		if (!rc && (rc = lab_netns_sysctl(in->netns, "net/ipv4/icmp_ratelimit", "0"))) {
			ds_clear(&err);
			ds_put_format(&err, "cannot set icmp_ratelimit: %s", strerror(-rc));
		}
		in->record = instance_record(in);
		json_array_append(instances, in->record);
		if (!rc)
			rc = state_save(up);
		if (rc) {
			step_failed();
			fail("lab up: instance %s: %s", in->id, ds_cstr(&err));
		} else {
			step_ok(NULL);
		}
	}
	ds_destroy(&err);
	return rc;
}

static void instance_set_address(struct lab_up *up, struct lab_instance *in, const char *address,
				 const char *gateway)
{
	free(in->address);
	free(in->leased_gateway);
	in->address = xstrdup(address);
	in->leased_gateway = gateway && *gateway ? xstrdup(gateway) : NULL;
	in->plugged = true;
	state_set_str(in->record, "address", in->address);
	state_set_str(in->record, "gateway", in->leased_gateway);
	json_object_set_new(in->record, "plugged", json_true());
	(void)up;
}

/* The first onm host (not a kernel VTEP) linked to kernel-VTEP host 'k':
 * where its VXLAN packets go. */
static struct lab_host *kernel_neighbour(struct lab_up *up, const struct lab_host *k)
{
	for (size_t i = 0; i < up->n_links; i++) {
		const struct lab_link *l = &up->links[i];
		struct lab_host *other = l->a == k ? l->b : l->b == k ? l->a : NULL;
		if (other && !l->down && !other->kernel_vtep)
			return other;
	}
	return NULL;
}

/* A kernel VTEP host: per VN with an instance there, a vxlan device and a
 * bridge; per instance a veth into its namespace with its MAC and address;
 * static FDB entries sending every other instance's MAC, and broadcast, to
 * the neighbouring onm host. */
static int build_kernel_vtep(struct lab_up *up, struct lab_host *k)
{
	struct ds err = DS_EMPTY_INITIALIZER;
	struct lab_host *neigh = kernel_neighbour(up, k);
	int rc = 0;

	if (!neigh) {
		fail("lab up: kernel VTEP host %s has no link (up) to a host running onm-agent",
		     k->name);
		return -ENOENT;
	}
	for (size_t i = 0; i < up->n_instances && !rc; i++) {
		struct lab_instance *in = &up->instances[i];
		char vx[IFNAMSIZ], br[IFNAMSIZ], vni[16];
		if (in->host != k)
			continue;
		snprintf(vx, sizeof vx, "vx-%u", in->vni);
		snprintf(br, sizeof br, "br-%u", in->vni);
		snprintf(vni, sizeof vni, "%u", in->vni);

		int sock = lab_netns_socket(k->netns);
		bool have_vn = sock >= 0 && lab_link_exists(sock, vx);
		if (sock >= 0)
			close(sock);
		if (!have_vn) {
			step("kernel vtep %s: %s (vni %u) via %s (%s)", k->name, vx, in->vni,
			     neigh->name, neigh->address);
			rc = lab_cmd(&err, "ip", "-n", k->netns, "link", "add", vx, "mtu",
				     TENANT_MTU, "type", "vxlan", "id", vni, "local", k->address,
				     "dstport", "4789", "nolearning", NULL);
			if (!rc)
				rc = lab_cmd(&err, "ip", "-n", k->netns, "link", "add", br, "mtu",
					     TENANT_MTU, "type", "bridge", NULL);
			if (!rc)
				rc = lab_cmd(&err, "ip", "-n", k->netns, "link", "set", vx,
					     "master", br, "up", NULL);
			if (!rc)
				rc = lab_cmd(&err, "ip", "-n", k->netns, "link", "set", br, "up",
					     NULL);
			/* Every other instance of the VN, and broadcast. */
			for (size_t o = 0; o < up->n_instances && !rc; o++) {
				const struct lab_instance *other = &up->instances[o];
				if (other->host == k || strcmp(other->network_id, in->network_id))
					continue;
				rc = lab_cmd(&err, "bridge", "-n", k->netns, "fdb", "replace",
					     other->mac, "dev", vx, "dst", neigh->address, "self",
					     "permanent", NULL);
			}
			if (!rc)
				rc = lab_cmd(&err, "bridge", "-n", k->netns, "fdb", "append",
					     "00:00:00:00:00:00", "dev", vx, "dst", neigh->address,
					     "self", "permanent", NULL);
			if (rc) {
				step_failed();
				break;
			}
			step_ok(NULL);
		}

		/* The instance: a veth named like its port, MAC and address
		 * statically, the router as gateway. */
		char *cidr = xasprintf("%s/%u", in->ip, in->prefix_len);
		step("%s on kernel vtep %s: %s", in->id, k->name, cidr);
		rc = lab_cmd(&err, "ip", "-n", k->netns, "link", "add", in->port, "mtu", TENANT_MTU,
			     "type", "veth", "peer", "name", "eth0", "mtu", TENANT_MTU, "netns",
			     in->netns, NULL);
		if (!rc)
			rc = lab_cmd(&err, "ip", "-n", k->netns, "link", "set", in->port, "master",
				     br, "up", NULL);
		if (!rc)
			rc = lab_cmd(&err, "ip", "-n", in->netns, "link", "set", "eth0", "address",
				     in->mac, "up", NULL);
		/* A veth hands a partial checksum on as it is, and the vxlan
		 * device would carry it so to the agent, which has no NIC to
		 * finish it: checksums in software, as on a real wire. */
		if (!rc)
			rc = lab_cmd(&err, "ip", "netns", "exec", in->netns, "ethtool", "-K",
				     "eth0", "tx", "off", NULL);
		if (!rc)
			rc = lab_cmd(&err, "ip", "-n", in->netns, "addr", "add", cidr, "dev",
				     "eth0", NULL);
		if (!rc && in->gateway)
			rc = lab_cmd(&err, "ip", "-n", in->netns, "route", "add", "default", "via",
				     in->gateway, "dev", "eth0", NULL);
		if (!rc) {
			instance_set_address(up, in, cidr, in->gateway);
			rc = state_save(up);
		}
		free(cidr);
		if (rc)
			step_failed();
		else
			step_ok("(static)");
	}
	if (rc)
		fail("lab up: kernel VTEP host %s: %s", k->name, ds_cstr(&err));
	ds_destroy(&err);
	return rc;
}

static int start_agents(struct lab_up *up)
{
	char *bin = xasprintf("%s/onm-agent", up->self_dir);
	char *channel = xasprintf("unix:%s/agents.sock", up->state_dir);
	json_t *services = json_object_get(up->state, "services");
	int rc = 0;

	if (access(bin, X_OK)) {
		fail("lab up: no agent at %s (build first: make build)", bin);
		rc = -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < up->n_hosts; i++) {
		const struct lab_host *h = &up->hosts[i];
		if (h->kernel_vtep)
			continue;
		const char *argv[] = {bin, "--host", h->name, "--controller", channel, NULL};
		char *name = xasprintf("agent %s", h->name);
		char *log = xasprintf("%s/agent-%s.log", up->state_dir, h->name);
		json_array_append_new(services, service_json(name, argv, h->netns, log));
		free(name);
		free(log);
	}
	if ((rc = state_save(up)))
		goto out;
	kill(up->supervisor, SIGHUP);

	for (size_t i = 0; i < up->n_hosts && !rc; i++) {
		const struct lab_host *h = &up->hosts[i];
		if (h->kernel_vtep)
			continue;
		char *name = xasprintf("agent %s", h->name);
		step("agent %s", h->name);
		uint64_t deadline = time_usec() + AGENT_START_MS * 1000ull;
		pid_t pid = 0;
		while (!(pid = service_pid(up, name, NULL)) && time_usec() < deadline &&
		       !supervisor_gone(up))
			usleep(20000);
		if (pid) {
			step_ok("(pid %d)", (int)pid);
		} else {
			step_failed();
			fail("lab up: agent %s is not running after %d s%s", h->name,
			     AGENT_START_MS / 1000,
			     supervisor_gone(up) ? " (the supervisor exited)" : "");
			char *log = xasprintf("%s/agent-%s.log", up->state_dir, h->name);
			print_tail(log, 10);
			free(log);
			rc = -ETIMEDOUT;
		}
		free(name);
	}
out:
	free(bin);
	free(channel);
	return rc;
}

/* ---- up: ports and DHCP ---- */

static pid_t dhcp_start(struct lab_up *up, struct lab_instance *in)
{
	char *script = xasprintf("%s/udhcpc.script", up->state_dir);
	char *log = xasprintf("%s/dhcp-%s.log", up->state_dir, in->netns);
	pid_t pid;

	if (!in->lease_file)
		in->lease_file = xasprintf("%s/lease-%s", up->state_dir, in->netns);
	unlink(in->lease_file);
	fflush(NULL);
	pid = fork();
	if (!pid) {
		int null = open("/dev/null", O_RDONLY);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		int rc = lab_netns_enter(in->netns, false);
		if (rc) {
			dprintf(STDERR_FILENO, "cannot enter %s: %s\n", in->netns, strerror(-rc));
			_exit(126);
		}
		setenv("ONM_LAB_LEASE", in->lease_file, 1);
		char *argv[] = {"udhcpc", "-i", "eth0", "-n", "-q",   "-f", "-t",
				"5",	  "-T", "1",	"-s", script, NULL};
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "cannot run udhcpc: %s\n", strerror(errno));
		_exit(127);
	}
	free(script);
	free(log);
	return pid;
}

/* Reads the lease the hook wrote: "IP/LEN GATEWAY". */
static bool lease_read(const struct lab_instance *in, char **address, char **gateway)
{
	char *buf;
	size_t len;

	*address = *gateway = NULL;
	if (read_file(in->lease_file, &buf, &len))
		return false;
	char *save = NULL;
	char *a = strtok_r(buf, " \n", &save);
	char *g = strtok_r(NULL, " \n", &save);
	if (a)
		*address = xstrdup(a);
	if (g)
		*gateway = xstrdup(g);
	free(buf);
	return *address != NULL;
}

static int plug_ports(struct lab_up *up)
{
	struct ds err = DS_EMPTY_INITIALIZER;
	uint64_t deadline = time_usec() + (uint64_t)up->timeout_s * 1000000;
	size_t pending = 0;
	int rc = 0;
	int *socks = xcalloc(up->n_hosts ? up->n_hosts : 1, sizeof *socks);

	for (size_t i = 0; i < up->n_hosts; i++)
		socks[i] = -1;
	for (size_t i = 0; i < up->n_instances; i++)
		pending += !up->instances[i].plugged;

	while (pending && !rc) {
		bool progress = false;
		for (size_t i = 0; i < up->n_instances && !rc; i++) {
			struct lab_instance *in = &up->instances[i];
			if (in->plugged)
				continue;
			if (in->dhcp_pid) {
				int status;
				pid_t r = waitpid(in->dhcp_pid, &status, WNOHANG);
				if (r != in->dhcp_pid)
					continue;
				in->dhcp_pid = 0;
				progress = true;
				char *address, *gateway;
				if (WIFEXITED(status) && !WEXITSTATUS(status) &&
				    lease_read(in, &address, &gateway)) {
					char *want = xasprintf("%s/", in->ip);
					if (!str_has_prefix(address, want)) {
						fail("lab up: %s leased %s, but its address is %s",
						     in->id, address, in->ip);
						rc = -EPROTO;
					} else {
						step("%s got %s%s%s", in->name, address,
						     gateway ? " via " : "",
						     gateway ? gateway : "");
						instance_set_address(up, in, address, gateway);
						pending--;
						rc = state_save(up);
						if (!rc)
							step_ok("(%s, %s)", in->id, in->host->name);
					}
					free(want);
					free(address);
					free(gateway);
				} else if (in->dhcp_tries >= DHCP_TRIES || time_usec() > deadline) {
					char *log =
					    xasprintf("%s/dhcp-%s.log", up->state_dir, in->netns);
					fail("lab up: %s: no DHCP lease on eth0 after %u tries "
					     "(DHCP client log: %s; agent log: %s/agent-%s.log)",
					     in->id, in->dhcp_tries, log, up->state_dir,
					     in->host->name);
					print_tail(log, 6);
					free(log);
					rc = -ETIMEDOUT;
				} else {
					in->dhcp_pid = dhcp_start(up, in);
					in->dhcp_tries++;
				}
				continue;
			}

			/* Not plugged yet: wait for its agent's TAP. */
			size_t h = (size_t)(in->host - up->hosts);
			if (socks[h] < 0)
				socks[h] = lab_netns_socket(in->host->netns);
			int flags = socks[h] >= 0 ? lab_link_flags(socks[h], in->port) : -1;
			if (flags < 0)
				continue;
			/* Give the agent a moment to set the new TAP up. */
			uint64_t now = time_usec();
			if (!in->port_seen_us)
				in->port_seen_us = now;
			if (!(flags & IFF_UP) && now - in->port_seen_us < 300000)
				continue;
			progress = true;
			rc = lab_port_plug(in->host->netns, in->port, in->netns, &err);
			if (rc) {
				fail("lab up: %s: cannot plug port %s: %s", in->id, in->port,
				     ds_cstr(&err));
				break;
			}
			in->dhcp_pid = dhcp_start(up, in);
			in->dhcp_tries = 1;
			if (in->dhcp_pid < 0) {
				fail("lab up: cannot fork: %s", strerror(errno));
				rc = -errno;
			}
		}
		if (rc || !pending)
			break;
		if (time_usec() > deadline) {
			struct ds names = DS_EMPTY_INITIALIZER;
			for (size_t i = 0; i < up->n_instances; i++) {
				const struct lab_instance *in = &up->instances[i];
				if (!in->plugged && !in->dhcp_pid)
					ds_put_format(&names, "%s%s (port %s on %s)",
						      names.length ? ", " : "", in->id, in->port,
						      in->host->name);
			}
			if (names.length) {
				fail("lab up: no port appeared within %u s for %s; see the agents' "
				     "logs in %s",
				     up->timeout_s, ds_cstr(&names), up->state_dir);
				rc = -ETIMEDOUT;
			}
			ds_destroy(&names);
			if (rc)
				break;
		}
		if (supervisor_gone(up)) {
			fail("lab up: the supervisor exited (see %s/supervisor.log)",
			     up->state_dir);
			rc = -ESRCH;
			break;
		}
		if (!progress)
			usleep(20000);
	}

	/* On failure, DHCP clients still running are ours to end. */
	for (size_t i = 0; i < up->n_instances; i++) {
		struct lab_instance *in = &up->instances[i];
		if (in->dhcp_pid > 0) {
			kill(in->dhcp_pid, SIGTERM);
			waitpid(in->dhcp_pid, NULL, 0);
			in->dhcp_pid = 0;
		}
	}
	for (size_t i = 0; i < up->n_hosts; i++) {
		if (socks[i] >= 0)
			close(socks[i]);
	}
	free(socks);
	ds_destroy(&err);
	return rc;
}

/* ---- up ---- */

static void lab_up_uninit(struct lab_up *up)
{
	for (size_t i = 0; i < up->n_hosts; i++) {
		free(up->hosts[i].name);
		free(up->hosts[i].address);
		free(up->hosts[i].netns);
	}
	free(up->hosts);
	for (size_t i = 0; i < up->n_links; i++)
		free(up->links[i].id);
	free(up->links);
	for (size_t i = 0; i < up->n_instances; i++) {
		struct lab_instance *in = &up->instances[i];
		free(in->id);
		free(in->network_id);
		free(in->name);
		free(in->ip);
		free(in->mac);
		free(in->gateway);
		free(in->netns);
		free(in->lease_file);
		free(in->address);
		free(in->leased_gateway);
		json_decref(in->record);
	}
	free(up->instances);
	http_client_destroy(up->http);
	json_decref(up->state);
	free(up->name);
	free(up->state_dir);
	free(up->state_file);
	free(up->file);
	free(up->api);
	free(up->url);
	free(up->self_dir);
}

static char *now_iso8601(void)
{
	char buf[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

static int cmd_up(const struct lab_options *opt)
{
	struct lab_up up = {.opt = opt, .supervisor = -1};
	char *body = NULL;
	size_t body_size;
	int rc = EXIT_USER;
	bool built = false; /* namespaces exist: on failure, leave them for inspection */

	if (opt->n_positional != 2) {
		fail("lab up: which file? usage: onm lab up FILE [--name NAME] [--state-dir DIR] "
		     "[--api ADDR:PORT]");
		return EXIT_USER;
	}
	if (!need_root("up"))
		return EXIT_USER;
	up.timeout_s = DEFAULT_TIMEOUT_S;
	if (opt->timeout) {
		char *end;
		unsigned long t = strtoul(opt->timeout, &end, 10);
		if (*end || !t || t > 3600) {
			fail("lab up: --timeout %s: seconds, 1..3600", opt->timeout);
			return EXIT_USER;
		}
		up.timeout_s = (unsigned int)t;
	}

	/* 1. The file, validated here for a precise message. */
	const char *file = opt->positional[1];
	int err = read_file(file, &body, &body_size);
	if (err) {
		fail("lab up: cannot read %s: %s", file, strerror(-err));
		return EXIT_USER;
	}
	struct topology *topo;
	char *msg =
	    codec_topology_parse(body, body_size, file, str_has_suffix(file, ".json"), &topo);
	if (msg) {
		fail("%s", msg);
		free(msg);
		free(body);
		return EXIT_USER;
	}
	topology_destroy(topo);

	up.name = xstrdup(opt->name);
	up.state_dir = state_dir_of(opt);
	up.state_file = xasprintf("%s/" LAB_STATE_FILE, up.state_dir);
	up.api = api_address(opt->api);
	up.url = xasprintf("http://%s", up.api);
	up.self_dir = lab_self_dir();
	char cwd[PATH_MAX];
	up.file = file[0] == '/' || !getcwd(cwd, sizeof cwd) ? xstrdup(file)
							     : xasprintf("%s/%s", cwd, file);

	/* 2. One lab per name: a live one is refused, remains are cleared. */
	int err_no;
	char *error;
	json_t *old = lab_json_load(up.state_file, &err_no, &error);
	free(error);
	if (old) {
		const json_t *sup = json_object_get(old, "supervisor");
		bool live = lab_proc_alive(
		    (pid_t)json_integer_value(json_object_get(sup, "pid")),
		    (uint64_t)json_integer_value(json_object_get(sup, "start_time")));
		json_decref(old);
		if (live) {
			fail("lab up: lab %s is already up (state in %s); 'onm lab down%s%s' first",
			     up.name, up.state_dir,
			     strcmp(up.name, LAB_DEFAULT_NAME) ? " --name " : "",
			     strcmp(up.name, LAB_DEFAULT_NAME) ? up.name : "");
			goto out;
		}
		step("removing what an earlier lab %s left", up.name);
		lab_down_dir(up.name, up.state_dir, true);
		step_ok(NULL);
	}
	err = mkdir_p(up.state_dir, 0700);
	if (!err) {
		char *script = xasprintf("%s/udhcpc.script", up.state_dir);
		err = write_text(script, udhcpc_script, 0755);
		free(script);
	}
	if (err) {
		fail("lab up: cannot create %s: %s", up.state_dir, strerror(-err));
		goto out;
	}
	char *started = now_iso8601();
	up.state =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:n, s:[], s:[], s:[], s:[], "
		      "s:[], s:[]}",
		      "name", up.name, "state_dir", up.state_dir, "file", up.file, "api", up.api,
		      "url", up.url, "status", "building", "started", started, "supervisor",
		      "namespaces", "hosts", "links", "instances", "services", "delays");
	free(started);
	if (!up.state)
		onm_abort("json_pack failed");

	/* 3. Controller under the supervisor; 4. apply; 5. read back. */
	rc = EXIT_UNREACHABLE;
	if (start_controller(&up))
		goto fail_teardown;
	char *error_msg;
	if (http_client_create(up.url, NULL, HTTP_CLIENT_TIMEOUT_MS, &up.http, &error_msg)) {
		fail("lab up: %s", error_msg);
		free(error_msg);
		goto fail_teardown;
	}
	rc = apply_file(&up, body, body_size);
	if (rc)
		goto fail_teardown;
	rc = read_model(&up);
	if (rc)
		goto fail_teardown;

	/* 6. The substrate, 7. instances' namespaces, 8. kernel VTEPs. */
	rc = EXIT_USER;
	built = true;
	if (build_hosts(&up) || build_links(&up) || build_instance_namespaces(&up))
		goto fail;
	for (size_t i = 0; i < up.n_hosts; i++) {
		if (up.hosts[i].kernel_vtep && build_kernel_vtep(&up, &up.hosts[i]))
			goto fail;
	}

	/* 9. Agents, 10. ports and addresses. */
	if (start_agents(&up) || plug_ports(&up))
		goto fail;

	json_object_set_new(up.state, "status", json_string("up"));
	if (state_save(&up))
		goto fail;
	kill(up.supervisor, SIGHUP); /* watch the ports from now on */

	size_t n_agents = 0;
	for (size_t i = 0; i < up.n_hosts; i++)
		n_agents += !up.hosts[i].kernel_vtep;
	printf("lab %s is up: %zu hosts, %zu links, %zu instances, %zu agents; controller %s "
	       "(state in %s)\n",
	       up.name, up.n_hosts, up.n_links, up.n_instances, n_agents, up.url, up.state_dir);
	if (up.netem_missing && !up.iptables_missing)
		printf("lab: note: this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM): link "
		       "latency is emulated by the lab's delay line (NFQUEUE), loss by iptables\n");
	else if (up.netem_missing)
		printf("lab: note: this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM) and "
		       "iptables is not installed: link latency and loss are not emulated; "
		       "bandwidth is (tbf)\n");
	rc = EXIT_OK;
	goto out;

fail_teardown:
	/* Nothing built yet worth inspecting: take it all away again. */
	lab_down_dir(up.name, up.state_dir, true);
	goto out;
fail:
	if (built) {
		json_object_set_new(up.state, "status", json_string("failed"));
		if (!lab_json_save(up.state, up.state_file))
			fprintf(stderr,
				"onm: the lab is left as it is for inspection (logs in %s); remove "
				"it with: onm lab down%s%s\n",
				up.state_dir, strcmp(up.name, LAB_DEFAULT_NAME) ? " --name " : "",
				strcmp(up.name, LAB_DEFAULT_NAME) ? up.name : "");
	}
out:
	free(body);
	lab_up_uninit(&up);
	return rc;
}

/* ---- exec, status ---- */

static json_t *state_load_or_fail(const struct lab_options *opt, const char *sub, char **dir)
{
	*dir = state_dir_of(opt);
	char *path = xasprintf("%s/" LAB_STATE_FILE, *dir);
	int err_no;
	char *error;
	json_t *state = lab_json_load(path, &err_no, &error);

	if (!state && err_no == ENOENT)
		fail("lab %s: lab %s is not up (no %s)", sub, opt->name, path);
	else if (!state)
		fail("lab %s: %s", sub, error);
	free(error);
	free(path);
	return state;
}

/* The instance record 'name' designates: its full id, or a unique suffix of
 * whole components ("web1", "blue/web1"). */
static const json_t *instance_find(const json_t *state, const char *name, struct ds *why)
{
	const json_t *instances = json_object_get(state, "instances");
	const json_t *found = NULL;
	size_t n_found = 0;
	size_t len = strlen(name);

	for (size_t i = 0; i < json_array_size(instances); i++) {
		const json_t *in = json_array_get(instances, i);
		const char *id = jstr(in, "id");
		size_t id_len = id ? strlen(id) : 0;
		if (!id)
			continue;
		if (!strcmp(id, name))
			return in;
		if (id_len > len && !strcmp(id + id_len - len, name) &&
		    id[id_len - len - 1] == '/') {
			ds_put_format(why, "%s%s", n_found ? ", " : "", id);
			found = in;
			n_found++;
		}
	}
	if (n_found == 1)
		return found;
	if (!n_found) {
		ds_clear(why);
		ds_put_format(why, "no instance '%s' in this lab", name);
	} else {
		char *list = ds_steal_cstr(why);
		ds_put_format(why, "'%s' is ambiguous: %s", name, list);
		free(list);
	}
	return NULL;
}

static int cmd_exec(const struct lab_options *opt)
{
	char *dir;
	struct ds why = DS_EMPTY_INITIALIZER;

	if (opt->n_positional != 2 || !opt->command || !opt->command[0]) {
		fail("lab exec: usage: onm lab exec INSTANCE -- CMD...");
		return EXIT_USER;
	}
	if (!need_root("exec"))
		return EXIT_USER;
	json_t *state = state_load_or_fail(opt, "exec", &dir);
	free(dir);
	if (!state)
		return EXIT_USER;
	const json_t *in = instance_find(state, opt->positional[1], &why);
	if (!in) {
		fail("lab exec: %s", ds_cstr(&why));
		ds_destroy(&why);
		json_decref(state);
		return EXIT_USER;
	}
	ds_destroy(&why);
	char *netns = xstrdup(jstr(in, "netns") ? jstr(in, "netns") : "");
	json_decref(state);

	int rc = lab_netns_enter(netns, true);
	if (rc) {
		fail("lab exec: cannot enter namespace %s: %s", netns, strerror(-rc));
		free(netns);
		return EXIT_USER;
	}
	free(netns);
	fflush(NULL);
	execvp(opt->command[0], opt->command);
	fail("lab exec: cannot run %s: %s", opt->command[0], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

static const char *proc_state(const json_t *svc)
{
	static char buf[64];
	pid_t pid = (pid_t)json_integer_value(json_object_get(svc, "pid"));
	uint64_t start = (uint64_t)json_integer_value(json_object_get(svc, "start_time"));
	int restarts = (int)json_integer_value(json_object_get(svc, "restarts"));

	if (!svc)
		return "unknown";
	if (pid > 0 && lab_proc_alive(pid, start))
		snprintf(buf, sizeof buf, "pid %d running%s", (int)pid, restarts ? "," : "");
	else if (jstr(svc, "state") && !strcmp(jstr(svc, "state"), "restarting"))
		snprintf(buf, sizeof buf, "restarting");
	else
		snprintf(buf, sizeof buf, "not running");
	if (restarts) {
		size_t len = strlen(buf);
		snprintf(buf + len, sizeof buf - len, " %d restart%s", restarts,
			 restarts == 1 ? "" : "s");
	}
	return buf;
}

static int cmd_status(const struct lab_options *opt)
{
	char *dir;

	if (opt->n_positional != 1) {
		fail("lab status: unexpected argument '%s'", opt->positional[1]);
		return EXIT_USER;
	}
	json_t *state = state_load_or_fail(opt, "status", &dir);
	if (!state) {
		free(dir);
		return EXIT_USER;
	}
	char *pids_path = xasprintf("%s/" LAB_PIDS_FILE, dir);
	int err_no;
	char *error;
	json_t *pids = lab_json_load(pids_path, &err_no, &error);
	free(error);
	free(pids_path);
	const json_t *services = json_object_get(pids, "services");
	bool root = geteuid() == 0;

	const json_t *sup = json_object_get(state, "supervisor");
	pid_t sup_pid = (pid_t)json_integer_value(json_object_get(sup, "pid"));
	bool sup_alive = lab_proc_alive(
	    sup_pid, (uint64_t)json_integer_value(json_object_get(sup, "start_time")));
	printf("lab %s: %s since %s (file %s; state in %s)\n", opt->name,
	       jstr(state, "status") ? jstr(state, "status") : "?",
	       jstr(state, "started") ? jstr(state, "started") : "?",
	       jstr(state, "file") ? jstr(state, "file") : "?", dir);
	printf("  supervisor  pid %d %s\n", (int)sup_pid, sup_alive ? "running" : "not running");
	printf("  controller  %s  %s\n", jstr(state, "url") ? jstr(state, "url") : "?",
	       proc_state(json_object_get(services, "controller")));
	if (json_object_get(services, "delay line"))
		printf("  delay line  %s\n", proc_state(json_object_get(services, "delay line")));

	const json_t *hosts = json_object_get(state, "hosts");
	printf("\nhosts (%zu)\n", json_array_size(hosts));
	printf("  %-12s %-15s %-28s %s\n", "HOST", "ADDRESS", "NAMESPACE", "AGENT");
	for (size_t i = 0; i < json_array_size(hosts); i++) {
		const json_t *h = json_array_get(hosts, i);
		const char *name = jstr(h, "name") ? jstr(h, "name") : "?";
		const char *ns = jstr(h, "netns") ? jstr(h, "netns") : "?";
		char *svc = xasprintf("agent %s", name);
		const char *agent = json_is_true(json_object_get(h, "kernel_vtep"))
					? "kernel vtep (no agent)"
					: proc_state(json_object_get(services, svc));
		free(svc);
		printf("  %-12s %-15s %-28s %s%s\n", name,
		       jstr(h, "address") ? jstr(h, "address") : "?", ns, agent,
		       lab_netns_exists(ns) ? "" : "  (namespace missing)");
	}

	const json_t *links = json_object_get(state, "links");
	printf("\nlinks (%zu)\n", json_array_size(links));
	printf("  %-24s %-5s %-9s %-10s %-8s %-6s %s\n", "LINK", "DEV", "LATENCY", "BANDWIDTH",
	       "LOSS", "STATE", "SHAPING");
	for (size_t i = 0; i < json_array_size(links); i++) {
		const json_t *l = json_array_get(links, i);
		char *pair = xasprintf("%s-%s", jstr(l, "a") ? jstr(l, "a") : "?",
				       jstr(l, "b") ? jstr(l, "b") : "?");
		printf("  %-24s %-5s %-9s %-10s %-8s %-6s %s\n", pair,
		       jstr(l, "dev") ? jstr(l, "dev") : "?",
		       jstr(l, "latency") ? jstr(l, "latency") : "?",
		       jstr(l, "bandwidth") ? jstr(l, "bandwidth") : "?",
		       jstr(l, "loss") ? jstr(l, "loss") : "?",
		       jstr(l, "state") ? jstr(l, "state") : "?",
		       jstr(l, "shaping") ? jstr(l, "shaping") : "?");
		free(pair);
	}

	const json_t *instances = json_object_get(state, "instances");
	printf("\ninstances (%zu)\n", json_array_size(instances));
	printf("  %-28s %-10s %-18s %-36s %s\n", "INSTANCE", "HOST", "ADDRESS", "NAMESPACE",
	       "PORT");
	for (size_t i = 0; i < json_array_size(instances); i++) {
		const json_t *in = json_array_get(instances, i);
		const char *ns = jstr(in, "netns") ? jstr(in, "netns") : "?";
		const char *port = "?";
		if (!lab_netns_exists(ns)) {
			port = "namespace missing";
		} else if (root) {
			int sock = lab_netns_socket(ns);
			int flags = sock >= 0 ? lab_link_flags(sock, "eth0") : -1;
			port = flags < 0 ? "no eth0" : (flags & IFF_UP) ? "eth0 up" : "eth0 down";
			if (sock >= 0)
				close(sock);
		}
		printf("  %-28s %-10s %-18s %-36s %s%s\n", jstr(in, "id") ? jstr(in, "id") : "?",
		       jstr(in, "host") ? jstr(in, "host") : "?",
		       jstr(in, "address") ? jstr(in, "address") : "(none yet)", ns, port,
		       json_is_true(json_object_get(in, "kernel")) ? " (kernel vtep)" : "");
	}
	json_decref(pids);
	json_decref(state);
	free(dir);
	return EXIT_OK;
}

static void lab_usage(FILE *stream)
{
	fprintf(stream,
		"usage: onm lab up FILE [--name NAME] [--state-dir DIR] [--api ADDR:PORT]\n"
		"                  [--ssh ADDR:PORT] [--snmp ADDR:PORT] [--timeout SECONDS]\n"
		"       onm lab exec [--name NAME] INSTANCE -- CMD...\n"
		"       onm lab status [--name NAME]\n"
		"       onm lab down [--name NAME]\n"
		"\n"
		"A lab is one network namespace per host (onm-NAME-HOST) and per instance\n"
		"(onm-NAME-i.TENANT.NETWORK.INSTANCE), a veth pair per link shaped with tc,\n"
		"onm-controller on --api (default %s) and one onm-agent per host, all\n"
		"supervised and restarted when they exit. NAME defaults to '%s'; the state\n"
		"(lab.json, logs, the controller's store) is in --state-dir, default\n"
		"%s/NAME. INSTANCE is an instance's id or its unique last part. Needs root.\n",
		DEFAULT_API, LAB_DEFAULT_NAME, LAB_STATE_ROOT);
}

int lab_main(int argc, char **argv)
{
	struct lab_options opt = {.name = LAB_DEFAULT_NAME};

	/* iproute2 and udhcpc live in sbin, which a user's PATH may lack. */
	const char *path = getenv("PATH");
	if (!path || !strstr(path, "/usr/sbin")) {
		char *p = xasprintf("%s%s/usr/sbin:/sbin", path ? path : "", path ? ":" : "");
		setenv("PATH", p, 1);
		free(p);
	}

	if (argc < 1 || !strcmp(argv[0], "help") || !strcmp(argv[0], "-h") ||
	    !strcmp(argv[0], "--help")) {
		lab_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? EXIT_USER : EXIT_OK;
	}
	const char *sub = argv[0];
	if (!strcmp(sub, "delay")) {
		if (argc != 2) {
			fail("lab delay: usage: onm lab delay STATE_DIR");
			return EXIT_USER;
		}
		return lab_delay_main(argv[1]);
	}
	if (!strcmp(sub, "supervise")) {
		if (argc != 2) {
			fail("lab supervise: usage: onm lab supervise STATE_DIR");
			return EXIT_USER;
		}
		return lab_supervise_main(argv[1]);
	}
	if (strcmp(sub, "up") && strcmp(sub, "exec") && strcmp(sub, "status") &&
	    strcmp(sub, "down")) {
		fail("lab: unknown subcommand '%s' (up, exec, status, down)", sub);
		return EXIT_USER;
	}
	/* positional[0] is the subcommand, [1] its one argument. */
	opt.positional[opt.n_positional++] = sub;
	int rc = options_parse(sub, argc - 1, argv + 1, &opt);
	if (rc)
		return rc;

	if (!strcmp(sub, "up"))
		return cmd_up(&opt);
	if (!strcmp(sub, "exec"))
		return cmd_exec(&opt);
	if (!strcmp(sub, "status"))
		return cmd_status(&opt);
	return cmd_down(&opt);
}
