// SPDX-License-Identifier: Apache-2.0
/*
 * Simulated agents for bench/ssh.sh: N connections to one controller's
 * agent channel, each speaking as an onm-agent of its own host
 * (docs/dataplane.md, "Agent channel"): hello, an ack of every view and
 * delta, and a report every second with counters for what the view puts on
 * the host -- its instances' ports, their networks and the routers of those
 * networks, whose interface counters a device's `show interfaces` sums over
 * every agent -- and its links, all up. No data plane: the counters grow
 * by a made-up amount per report. Single-threaded, poll() over every
 * connection.
 *
 * usage: bench-agents [-d SECONDS] unix:PATH HOST_PREFIX N
 *	connects hosts HOST_PREFIX0 .. HOST_PREFIX(N-1); prints "ready
 *	agents=N" on stdout once every one has its view and has sent a report,
 *	then runs until SIGTERM or for SECONDS (default 900). Exits 1 if the
 *	controller refuses or closes a connection.
 */
#include "onm/channel.h"
#include "onm/ds.h"
#include "onm/util.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { REPORT_INTERVAL_US = 1000000 };

struct agent {
	char *host;
	int fd;
	struct channel_decoder dec;
	json_t *entries;      /* the host's view: key -> value */
	uint64_t revision;    /* of the last view or delta */
	uint64_t next_report; /* time_usec() of the next report; 0 before the view */
	uint64_t n_reports;   /* sent so far: the counters grow with it */
	uint64_t start_us;    /* when it connected, for health.uptime_s */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static NO_RETURN void fail(const struct agent *a, const char *what)
{
	fprintf(stderr, "bench-agents: %s: %s\n", a ? a->host : "-", what);
	exit(1);
}

static void send_msg(struct agent *a, json_t *msg)
{
	struct ds frame = DS_EMPTY_INITIALIZER;
	const char *p;
	size_t left;

	if (channel_encode(msg, &frame))
		fail(a, "cannot encode a message");
	json_decref(msg);
	p = frame.string;
	left = frame.length;
	while (left) {
		ssize_t n = send(a->fd, p, left, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail(a, "send failed: the controller closed the connection");
		p += n;
		left -= (size_t)n;
	}
	ds_destroy(&frame);
}

static void agent_connect(struct agent *a, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (strlen(path) >= sizeof sa.sun_path)
		fail(a, "socket path too long");
	strcpy(sa.sun_path, path);
	a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (a->fd < 0 || connect(a->fd, (struct sockaddr *)&sa, sizeof sa))
		fail(a, strerror(errno));
	channel_decoder_init(&a->dec);
	a->entries = json_object();
	a->start_us = time_usec();
	send_msg(a,
		 json_pack("{s:s, s:s, s:i, s:i, s:i}", "type", "hello", "host", a->host, "version",
			   CHANNEL_PROTOCOL_VERSION, "pid", (int)getpid(), "revision", 0));
}

/* A view replaces the entries, a delta changes some; both are acked. */
static void take_view(struct agent *a, const json_t *msg, bool full)
{
	json_t *value;
	size_t i;

	if (full) {
		json_object_clear(a->entries);
		json_object_update(a->entries, json_object_get(msg, "entries"));
	} else {
		json_object_update(a->entries, json_object_get(msg, "put"));
		json_array_foreach(json_object_get(msg, "delete"), i,
				   value) if (json_is_string(value))
		    json_object_del(a->entries, json_string_value(value));
	}
	a->revision = (uint64_t)json_integer_value(json_object_get(msg, "revision"));
	send_msg(a, json_pack("{s:s, s:I}", "type", "ack", "revision", (json_int_t)a->revision));
	if (!a->next_report)
		a->next_report = time_usec();
}

static void agent_read(struct agent *a)
{
	char buf[65536];
	ssize_t n = recv(a->fd, buf, sizeof buf, MSG_DONTWAIT);
	json_t *msg;
	char *error;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		fail(a, "the controller closed the connection");
	channel_decoder_feed(&a->dec, buf, (size_t)n);
	while (!(error = channel_decoder_next(&a->dec, &msg)) && msg) {
		enum channel_msg_type type = CHANNEL_N_TYPES;

		channel_msg_type(msg, &type);
		if (type == CHANNEL_VIEW || type == CHANNEL_DELTA)
			take_view(a, msg, type == CHANNEL_VIEW);
		else if (type == CHANNEL_ERROR)
			fail(a, json_string_value(json_object_get(msg, "detail")));
		json_decref(msg);
	}
	if (error)
		fail(a, error);
}

/* Counters of one port, network or router interface after 'k' reports:
 * made up, different per agent, growing. */
static json_t *counters(uint64_t k, unsigned salt)
{
	json_int_t pk = (json_int_t)(k * (10 + salt % 7));

	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "rx_packets", pk, "rx_bytes", pk * 700,
			 "tx_packets", pk + 1, "tx_bytes", (pk + 1) * 700, "drops", pk / 100);
}

/* A report with counters for what the view puts on this host, as an
 * agent's counters module fills it. */
static void send_report(struct agent *a, unsigned index)
{
	json_t *ports = json_object(), *networks = json_object(), *rifs = json_object();
	json_t *links = json_array();
	json_t *value, *ifc;
	uint64_t k = ++a->n_reports;
	const char *key;
	size_t n_ports = 0, i;

	json_object_foreach(a->entries, key, value)
	{
		if (str_has_prefix(key, "instance/") && json_object_get(value, "port")) {
			json_object_set_new(ports, key + strlen("instance/"), counters(k, index));
			n_ports++;
		} else if (str_has_prefix(key, "network/")) {
			json_object_set_new(networks, key + strlen("network/"), counters(k, index));
		} else if (str_has_prefix(key, "link/") &&
			   !json_is_false(json_object_get(value, "probe"))) {
			/* Every link up, at a steady latency: no reroutes. */
			json_array_append_new(links,
					      json_pack("{s:s, s:O, s:s, s:i, s:i}", "id",
							key + strlen("link/"), "peer",
							json_object_get(value, "peer"), "state",
							"up", "latency_us", 1000, "loss_ppm", 0));
		} else if (str_has_prefix(key, "router/")) {
			json_array_foreach(json_object_get(value, "interfaces"), i, ifc)
			{
				char *name =
				    xasprintf("%s/%s", key + strlen("router/"),
					      json_string_value(json_object_get(ifc, "name")));

				json_object_set_new(rifs, name, counters(k, index + (unsigned)i));
				free(name);
			}
		}
	}
	send_msg(a, json_pack("{s:s, s:{s:o, s:o, s:o, s:{}, s:{s:I}}, s:{s:I, s:I, s:I}, s:o}",
			      "type", "report", "counters", "ports", ports, "networks", networks,
			      "router_interfaces", rifs, "transit", "drops", "no_route",
			      (json_int_t)(k / 10), "health", "uptime_s",
			      (json_int_t)((time_usec() - a->start_us) / 1000000), "ports_up",
			      (json_int_t)n_ports, "revision", (json_int_t)a->revision, "links",
			      links));
}

static void parse_args(int argc, char **argv, int *seconds)
{
	int opt;

	while ((opt = getopt(argc, argv, "d:")) != -1) {
		if (opt != 'd')
			goto usage;
		*seconds = atoi(optarg);
	}
	if (argc - optind == 3 && str_has_prefix(argv[optind], "unix:") &&
	    atoi(argv[optind + 2]) > 0 && *seconds > 0)
		return;
usage:
	fprintf(stderr, "usage: bench-agents [-d SECONDS] unix:PATH HOST_PREFIX N\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int seconds = 900, n;
	struct agent *agents;
	struct pollfd *pfd;
	uint64_t end_us;
	bool ready = false;

	parse_args(argc, argv, &seconds);
	n = atoi(argv[optind + 2]);
	agents = xcalloc((size_t)n, sizeof *agents);
	pfd = xcalloc((size_t)n, sizeof *pfd);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	for (int i = 0; i < n; i++) {
		agents[i].host = xasprintf("%s%d", argv[optind + 1], i);
		agent_connect(&agents[i], argv[optind] + strlen("unix:"));
		pfd[i] = (struct pollfd){agents[i].fd, POLLIN, 0};
	}
	end_us = time_usec() + (uint64_t)seconds * 1000000;
	while (!stop && time_usec() < end_us) {
		uint64_t now = time_usec(), next = now + REPORT_INTERVAL_US;
		int reported = 0;

		/* Reports are due one second apart per agent; the first ones
		 * are spread over a second so that they never come at once. */
		for (int i = 0; i < n; i++) {
			struct agent *a = &agents[i];

			if (!a->next_report)
				continue;
			if (a->next_report <= now) {
				send_report(a, (unsigned)i);
				a->next_report = a->n_reports == 1
						     ? now + (uint64_t)i * REPORT_INTERVAL_US / n
						     : a->next_report + REPORT_INTERVAL_US;
				if (a->next_report < now)
					a->next_report = now + REPORT_INTERVAL_US;
			}
			if (a->next_report < next)
				next = a->next_report;
			reported++;
		}
		if (!ready && reported == n) {
			ready = true;
			printf("ready agents=%d\n", n);
			fflush(stdout);
		}
		if (poll(pfd, (nfds_t)n, (int)((next - now) / 1000) + 1) < 0 && errno != EINTR)
			fail(NULL, strerror(errno));
		for (int i = 0; i < n; i++)
			if (pfd[i].revents)
				agent_read(&agents[i]);
	}
	for (int i = 0; i < n; i++) {
		close(agents[i].fd);
		channel_decoder_uninit(&agents[i].dec);
		json_decref(agents[i].entries);
		free(agents[i].host);
	}
	free(agents);
	free(pfd);
	return 0;
}
