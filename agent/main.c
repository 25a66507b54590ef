// SPDX-License-Identifier: Apache-2.0
/*
 * onm-agent: the per-host agent. Parses the command line, runs the agent
 * (agent.h) on a libevent loop until SIGTERM or SIGINT, then closes the
 * TAP devices and exits 0. SIGUSR1 toggles the data plane's per-packet log
 * at run time, as --debug-dataplane sets it at start.
 */
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "agent"
#include "agent.h"
#include "onm/log.h"
#include "onm/util.h"

#ifndef ONM_VERSION
#define ONM_VERSION "0.1.0"
#endif

static void usage(void)
{
	printf("usage: onm-agent --host NAME --controller ADDRESS [OPTION]...\n"
	       "The onm agent of one host: TAP ports for the host's instances and the\n"
	       "overlay data plane (VXLAN on UDP 4789), driven by the controller.\n"
	       "\n"
	       "  --host NAME           this host's name in the model\n"
	       "  --controller ADDRESS  the controller's agent channel: unix:PATH or\n"
	       "                        tcp:ADDR:PORT\n"
	       "  --log-level LEVEL     err, warn, info (default) or debug\n"
	       "  --debug-dataplane     log every packet's fate (rate-limited); SIGUSR1\n"
	       "                        toggles it while running\n"
	       "  --help                this text\n"
	       "  --version             the version\n");
}

static NO_RETURN PRINTF_FORMAT(1, 2) void die(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	fputs("onm-agent: ", stderr);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
	va_end(args);
	exit(1);
}

struct main_ctx {
	struct event_base *base;
	struct agent *agent;
};

static void on_stop(evutil_socket_t sig, short what, void *ctx_)
{
	struct main_ctx *ctx = ctx_;
	LOG_INFO("%s: stopping", strsignal((int)sig));
	event_base_loopbreak(ctx->base);
}

static void on_usr1(evutil_socket_t sig, short what, void *ctx_)
{
	struct main_ctx *ctx = ctx_;
	agent_set_debug_dataplane(ctx->agent, !agent_debug_dataplane(ctx->agent));
}

int main(int argc, char *argv[])
{
	enum { OPT_HOST = 256, OPT_CONTROLLER, OPT_LOG_LEVEL, OPT_DEBUG_DATAPLANE };
	static const struct option long_options[] = {
	    {"host", required_argument, NULL, OPT_HOST},
	    {"controller", required_argument, NULL, OPT_CONTROLLER},
	    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	    {"debug-dataplane", no_argument, NULL, OPT_DEBUG_DATAPLANE},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct agent_options opt = {0};

	for (;;) {
		int c = getopt_long(argc, argv, "hV", long_options, NULL);
		if (c == -1)
			break;
		switch (c) {
		case OPT_HOST:
			opt.host = optarg;
			break;
		case OPT_CONTROLLER:
			opt.controller = optarg;
			break;
		case OPT_LOG_LEVEL: {
			enum log_level level;
			if (!log_level_from_string(optarg, &level))
				die("--log-level: '%s' is not one of err, warn, info, debug",
				    optarg);
			log_set_level(level);
			break;
		}
		case OPT_DEBUG_DATAPLANE:
			opt.debug_dataplane = true;
			break;
		case 'h':
			usage();
			return 0;
		case 'V':
			printf("onm-agent %s\n", ONM_VERSION);
			return 0;
		default:
			fputs("Try 'onm-agent --help'.\n", stderr);
			return 1;
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (try --help)", argv[optind]);
	if (!opt.host || !opt.host[0])
		die("--host NAME is required");
	if (!opt.controller)
		die("--controller unix:PATH or tcp:ADDR:PORT is required");

	if (sodium_init() < 0)
		die("libsodium failed to initialize");
	/* A controller that goes away mid-write must not kill the agent. */
	signal(SIGPIPE, SIG_IGN);

	struct main_ctx ctx = {.base = event_base_new()};
	if (!ctx.base)
		die("cannot create the event loop");
	char *error;
	if (agent_create(ctx.base, &opt, &ctx.agent, &error)) {
		fprintf(stderr, "onm-agent: %s\n", error);
		free(error);
		event_base_free(ctx.base);
		return 1;
	}
	LOG_INFO("host %s, controller %s", opt.host, opt.controller);

	struct event *sigterm = evsignal_new(ctx.base, SIGTERM, on_stop, &ctx);
	struct event *sigint = evsignal_new(ctx.base, SIGINT, on_stop, &ctx);
	struct event *sigusr1 = evsignal_new(ctx.base, SIGUSR1, on_usr1, &ctx);
	if (!sigterm || !sigint || !sigusr1 || evsignal_add(sigterm, NULL) ||
	    evsignal_add(sigint, NULL) || evsignal_add(sigusr1, NULL))
		die("cannot set up signal handling");

	int rc = event_base_dispatch(ctx.base);

	agent_destroy(ctx.agent);
	event_free(sigterm);
	event_free(sigint);
	event_free(sigusr1);
	event_base_free(ctx.base);
	LOG_INFO("stopped");
	return rc < 0 ? 1 : 0;
}
