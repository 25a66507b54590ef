// SPDX-License-Identifier: Apache-2.0
/*
 * onm-controller: opens the store, rebuilds the model from it, serves the
 * REST API and the agent channel on libevent until SIGTERM or SIGINT, then
 * stops accepting, lets the answers already given go out, closes the
 * agents' connections and the store and exits 0.
 */
#include <errno.h>
#include <event2/event.h>
#include <event2/util.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define LOG_MODULE "controller"
#include "agents.h"
#include "api.h"
#include "metrics.h"
#include "onm/log.h"
#include "onm/model.h"
#include "onm/util.h"
#include "service.h"
#include "snmp.h"
#include "state.h"

#ifndef ONM_VERSION
#define ONM_VERSION "0.1.0"
#endif

/* How long a shutdown waits for answers still being sent. */
#define SHUTDOWN_GRACE_SEC 5
/* Most audit records GET /v1/audit returns. */
#define AUDIT_API_MAX 1000

struct options {
	const char *store;	/* store URL */
	const char *api;	/* REST listen address */
	const char *agents;	/* agent channel listen address */
	const char *ssh;	/* device SSH listen address ("off": none) */
	const char *state_dir;	/* SSH host key, audit log; NULL: beside the store */
	const char *snmp;	/* device SNMP listen address ("off": none) */
	const char *token_file; /* NULL: $ONM_TOKEN or none */
};

struct controller {
	struct event_base *base;
	struct ctl_api *api;
	struct event *grace; /* deadline of a shutdown */
	bool stopping;
};

static void usage(void)
{
	printf("usage: onm-controller [OPTION]...\n"
	       "The onm controller: holds the desired state and serves it over REST.\n"
	       "\n"
	       "  --store URL        the store: sqlite:PATH (default sqlite:./onm-state/onm.db;\n"
	       "                     the directory is created), memory: (lost at exit, for\n"
	       "                     tests); etcd:URL[,URL...] is not supported yet\n"
	       "  --api ADDR:PORT    REST API, /metrics and /healthz (default 127.0.0.1:7080)\n"
	       "  --agents ADDRESS   agent channel: unix:PATH (default\n"
	       "                     " CTL_AGENTS_DEFAULT_ADDRESS "; the directory is created,\n"
	       "                     the socket made mode 0600) or tcp:ADDR:PORT\n"
	       "  --ssh ADDR:PORT    simulated devices' SSH (default 127.0.0.1:2222; off: none)\n"
	       "  --state-dir DIR    SSH host key and the devices' audit log (default: the\n"
	       "                     store's directory, ./onm-state for memory:)\n"
	       "  --snmp ADDR:PORT   simulated devices' SNMP agent, UDP (default 127.0.0.1:1161;\n"
	       "                     off: none)\n"
	       "  --token-file PATH  API bearer token from PATH (else $ONM_TOKEN); with no\n"
	       "                     token only loopback clients are served\n"
	       "  --log-level LEVEL  err, warn, info (default) or debug\n"
	       "  --help             this text\n"
	       "  --version          the version\n");
}

static NO_RETURN PRINTF_FORMAT(1, 2) void die(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	fputs("onm-controller: ", stderr);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
	va_end(args);
	exit(1);
}

static bool address_is_valid(const char *s)
{
	struct sockaddr_storage ss;
	int len = sizeof ss;
	const char *colon = strrchr(s, ':');
	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return false;
	/* libevent refuses port 0, which means "any free port" to us (tests). */
	char *copy = !strcmp(colon, ":0") ? xasprintf("%.*s:1", (int)(colon - s), s) : xstrdup(s);
	bool ok = !evutil_parse_sockaddr_port(copy, (struct sockaddr *)&ss, &len);
	free(copy);
	return ok;
}

/* Reads the token from 'path': its only line, surrounding blanks removed. */
static char *token_read(const char *path)
{
	char *buf;
	size_t len;
	int rc = read_file(path, &buf, &len);
	if (rc)
		die("--token-file %s: %s", path, strerror(-rc));
	struct stat st;
	if (!stat(path, &st) && (st.st_mode & 077))
		LOG_WARN("token file %s is readable by other users", path);

	size_t start = strspn(buf, " \t\r\n");
	while (len > start && strchr(" \t\r\n", buf[len - 1]))
		len--;
	char *token = xmemdup0(buf + start, len - start);
	sodium_memzero(buf, len);
	free(buf);
	if (!token[0])
		die("--token-file %s: the file holds no token", path);
	for (const char *p = token; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			die("--token-file %s: the token must be one word of printable characters",
			    path);
	return token;
}

/* Creates the directory of a "sqlite:PATH" store, like mkdir -p. */
/* Who hears of model changes. */
struct model_watchers {
	struct ctl_agents *agents;
	struct dev_service *devices; /* NULL: --ssh off */
	struct dev_snmp *snmp;	     /* NULL: --snmp off */
};

static void model_changed(uint64_t revision, void *w_)
{
	struct model_watchers *w = w_;

	ctl_agents_model_changed(revision, w->agents);
	if (w->devices)
		dev_service_model_changed(w->devices);
	dev_snmp_model_changed(w->snmp);
}

static void snmp_metrics(const void *snmp, struct ds *out)
{
	dev_snmp_metrics_render(snmp, out);
}

/* SNMP sets are audited and kept as running configuration like the CLI's. */
static void snmp_audit(void *svc, const char *user, const char *device, const char *source,
		       const char *command, const char *verdict, int status)
{
	dev_service_audit(svc, user, device, source, command, verdict, status);
}

static int snmp_router_update(void *svc, const char *router_id, const json_t *router,
			      char **error)
{
	return dev_service_router_update(svc, router_id, router, error);
}

static json_t *api_audit(void *svc, const char *tenant)
{
	return dev_service_audit_json(svc, tenant, AUDIT_API_MAX);
}

static json_t *api_console(void *svc, const char *device, char **error)
{
	return dev_service_console(svc, device, error);
}

/* The directory of a sqlite: store, else ./onm-state. */
static char *state_dir_of(const char *url)
{
	char *path, *q, *slash;

	if (!str_has_prefix(url, "sqlite:"))
		return xstrdup("./onm-state");
	path = xstrdup(url + strlen("sqlite:"));
	q = strchr(path, '?');
	if (q)
		*q = '\0';
	slash = strrchr(path, '/');
	if (!slash) {
		free(path);
		return xstrdup(".");
	}
	if (slash == path)
		slash++;
	*slash = '\0';
	return path;
}

static void store_dir_create(const char *url)
{
	if (!str_has_prefix(url, "sqlite:"))
		return;
	char *path = xstrdup(url + strlen("sqlite:"));
	char *q = strchr(path, '?');
	if (q)
		*q = '\0';
	char *slash = strrchr(path, '/');
	if (slash && slash != path) {
		*slash = '\0';
		for (char *p = path + 1;; p++) {
			if (*p == '/' || !*p) {
				char saved = *p;
				*p = '\0';
				if (mkdir(path, 0700) && errno != EEXIST)
					die("cannot create the store's directory %s: %s", path,
					    strerror(errno));
				*p = saved;
				if (!saved)
					break;
			}
		}
	}
	free(path);
}

static void on_idle(void *ctl_)
{
	struct controller *ctl = ctl_;
	event_base_loopexit(ctl->base, NULL);
}

static void on_grace_expired(evutil_socket_t fd, short what, void *ctl_)
{
	struct controller *ctl = ctl_;
	LOG_WARN("answers still unsent after %d s; closing their connections", SHUTDOWN_GRACE_SEC);
	event_base_loopexit(ctl->base, NULL);
}

static void on_signal(evutil_socket_t sig, short what, void *ctl_)
{
	struct controller *ctl = ctl_;
	if (ctl->stopping) {
		LOG_WARN("second signal: stopping now");
		event_base_loopbreak(ctl->base);
		return;
	}
	ctl->stopping = true;
	LOG_INFO("%s: shutting down", strsignal((int)sig));
	const struct timeval grace = {SHUTDOWN_GRACE_SEC, 0};
	evtimer_add(ctl->grace, &grace);
	ctl_api_shutdown(ctl->api, on_idle, ctl);
}

static void commit_observed(uint64_t latency_us, bool ok, void *metrics)
{
	metrics_commit_observe(metrics, latency_us, ok);
}

int main(int argc, char *argv[])
{
	enum {
		OPT_STORE = 256,
		OPT_API,
		OPT_AGENTS,
		OPT_SSH,
		OPT_SNMP,
		OPT_STATE_DIR,
		OPT_TOKEN_FILE,
		OPT_LOG_LEVEL
	};
	static const struct option long_options[] = {
	    {"store", required_argument, NULL, OPT_STORE},
	    {"api", required_argument, NULL, OPT_API},
	    {"agents", required_argument, NULL, OPT_AGENTS},
	    {"ssh", required_argument, NULL, OPT_SSH},
	    {"snmp", required_argument, NULL, OPT_SNMP},
	    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
	    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};

	/* The model is many small objects built and freed in bulk (an apply of
	 * 10,000 instances). glibc's fastbins make the first large allocation
	 * after such a free walk every freed chunk (malloc_consolidate); without
	 * them, tcache still serves small allocations and an apply validates
	 * about 40% faster (bench/run.sh). */
	mallopt(M_MXFAST, 0);
	struct options opt = {
	    .store = "sqlite:./onm-state/onm.db",
	    .api = "127.0.0.1:7080",
	    .agents = CTL_AGENTS_DEFAULT_ADDRESS,
	    .ssh = "127.0.0.1:2222",
	    .snmp = "127.0.0.1:1161",
	};

	for (;;) {
		int c = getopt_long(argc, argv, "hV", long_options, NULL);
		if (c == -1)
			break;
		switch (c) {
		case OPT_STORE:
			opt.store = optarg;
			break;
		case OPT_API:
			opt.api = optarg;
			break;
		case OPT_AGENTS:
			opt.agents = optarg;
			break;
		case OPT_SSH:
			opt.ssh = optarg;
			break;
		case OPT_SNMP:
			opt.snmp = optarg;
			break;
		case OPT_STATE_DIR:
			opt.state_dir = optarg;
			break;
		case OPT_TOKEN_FILE:
			opt.token_file = optarg;
			break;
		case OPT_LOG_LEVEL: {
			enum log_level level;
			if (!log_level_from_string(optarg, &level))
				die("--log-level: '%s' is not one of err, warn, info, debug",
				    optarg);
			log_set_level(level);
			break;
		}
		case 'h':
			usage();
			return 0;
		case 'V':
			printf("onm-controller %s\n", ONM_VERSION);
			return 0;
		default:
			fputs("Try 'onm-controller --help'.\n", stderr);
			return 1;
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (try --help)", argv[optind]);

	if (str_has_prefix(opt.store, "etcd:"))
		die("--store %s: the etcd store is not supported yet; use sqlite:PATH", opt.store);
	if (!str_has_prefix(opt.store, "sqlite:") && strcmp(opt.store, "memory:"))
		die("--store %s: expected sqlite:PATH (or etcd:URL, not supported yet)", opt.store);
	if (!str_has_prefix(opt.agents, "unix:") && !str_has_prefix(opt.agents, "tcp:"))
		die("--agents %s: expected unix:PATH or tcp:ADDR:PORT", opt.agents);
	if (strcmp(opt.ssh, "off") && !address_is_valid(opt.ssh))
		die("--ssh %s: expected ADDR:PORT", opt.ssh);
	if (strcmp(opt.snmp, "off") && !address_is_valid(opt.snmp))
		die("--snmp %s: expected ADDR:PORT", opt.snmp);

	char *token = NULL;
	if (opt.token_file) {
		token = token_read(opt.token_file);
	} else {
		const char *env = getenv("ONM_TOKEN");
		if (env && env[0])
			token = xstrdup(env);
	}

	if (sodium_init() < 0)
		die("libsodium failed to initialize");
	/* A client that goes away mid-answer must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);

	store_dir_create(opt.store);
	struct ctl_state *state;
	char *error;
	if (ctl_state_open(opt.store, &state, &error)) {
		fprintf(stderr, "onm-controller: %s\n", error);
		free(error);
		return 1;
	}
	const struct model *model = ctl_state_model(state);
	size_t n_objects = 0;
	for (int k = 0; k < MODEL_N_KINDS; k++) {
		size_t n;
		struct model_object **objs = model_list(model, k, &n);
		for (size_t i = 0; i < n; i++)
			n_objects += !model_object_is_builtin(objs[i]);
		free(objs);
	}
	LOG_INFO("store %s at revision %" PRIu64 ", %zu objects", opt.store,
		 ctl_state_revision(state), n_objects);

	struct metrics *metrics = metrics_create();
	ctl_state_set_commit_cb(state, commit_observed, metrics);

	struct controller ctl = {.base = event_base_new()};
	if (!ctl.base)
		die("cannot create the event loop");
	int rc = ctl_api_create(ctl.base, state, metrics, opt.api, token, &ctl.api, &error);
	if (token) {
		sodium_memzero(token, strlen(token));
		free(token);
	}
	if (rc) {
		fprintf(stderr, "onm-controller: --api: %s\n", error);
		free(error);
		ctl_state_close(state);
		event_base_free(ctl.base);
		metrics_destroy(metrics);
		return 1;
	}
	LOG_INFO("listening on http://%s (REST /v1/, /metrics, /healthz)",
		 ctl_api_address(ctl.api));

	struct ctl_agents *agents;
	rc = ctl_agents_create(ctl.base, state, opt.agents, &agents, &error);
	if (rc) {
		fprintf(stderr, "onm-controller: --agents: %s\n", error);
		free(error);
		ctl_api_destroy(ctl.api);
		ctl_state_close(state);
		event_base_free(ctl.base);
		metrics_destroy(metrics);
		return 1;
	}
	ctl_api_set_agents(ctl.api, agents);
	LOG_INFO("agents connect to %s", ctl_agents_address(agents));

	struct model_watchers watchers = {agents, NULL, NULL};
	char *dir = opt.state_dir ? xstrdup(opt.state_dir) : state_dir_of(opt.store);

	if (strcmp(opt.ssh, "off")) {
		watchers.devices = dev_service_create(ctl.base, state, agents, opt.ssh, dir, &error);
		if (!watchers.devices)
			die("--ssh %s: %s", opt.ssh, error);
		LOG_INFO("devices: SSH on port %d (state in %s)",
			 dev_service_ssh_port(watchers.devices), dir);
		ctl_api_set_devices(ctl.api, &(struct ctl_api_devices){api_audit, api_console,
									watchers.devices});
	}
	ctl_state_set_change_cb(state, model_changed, &watchers);
	if (strcmp(opt.snmp, "off")) {
		struct dev_snmp_hooks hooks = {0};

		if (watchers.devices)
			hooks = (struct dev_snmp_hooks){snmp_audit, snmp_router_update,
							watchers.devices};
		watchers.snmp =
		    dev_snmp_create(ctl.base, state, agents, opt.snmp, dir, &hooks, &error);
		if (!watchers.snmp)
			die("--snmp %s: %s", opt.snmp, error);
		LOG_INFO("devices: SNMP on udp port %d", dev_snmp_port(watchers.snmp));
		ctl_api_add_metrics(ctl.api, snmp_metrics, watchers.snmp);
	}
	free(dir);

	struct event *sigterm = evsignal_new(ctl.base, SIGTERM, on_signal, &ctl);
	struct event *sigint = evsignal_new(ctl.base, SIGINT, on_signal, &ctl);
	ctl.grace = evtimer_new(ctl.base, on_grace_expired, &ctl);
	if (!sigterm || !sigint || !ctl.grace || evsignal_add(sigterm, NULL) ||
	    evsignal_add(sigint, NULL))
		die("cannot set up signal handling");

	rc = event_base_dispatch(ctl.base);

	ctl_state_set_change_cb(state, NULL, NULL);
	ctl_api_destroy(ctl.api);
	dev_snmp_destroy(watchers.snmp);
	dev_service_destroy(watchers.devices);
	ctl_agents_destroy(agents);
	uint64_t revision = ctl_state_revision(state);
	ctl_state_close(state);
	LOG_INFO("store closed at revision %" PRIu64 "; stopped", revision);
	event_free(sigterm);
	event_free(sigint);
	event_free(ctl.grace);
	event_base_free(ctl.base);
	metrics_destroy(metrics);
	return rc < 0 ? 1 : 0;
}
