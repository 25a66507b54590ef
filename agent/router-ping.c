// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's answers to the controller's requests (see router-ping.h):
 * the arguments checked against the view, the probes of each ping request
 * sent one after the other with a timer each, the answers taken from the
 * data plane's ring and matched to their probe by sequence number, and
 * the VN's addresses for "arp" from the view as the published tables
 * resolve them.
 */
#include "router-ping.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "router-ping"
#include "datapath.h"
#include "onm/log.h"
#include "onm/packet.h"
#include "tables-private.h"

/* One ping request. */
struct rp_job {
	struct rp_job *next; /* in the router_ping's 'jobs' */
	struct router_ping *rp;
	json_t *id;	     /* the request's "id" */
	uint32_t vni;	     /* the router's VN */
	struct eth_addr mac; /* the source interface's */
	uint32_t src, dst;   /* host order */
	uint32_t count;	     /* probes to send */
	uint32_t timeout_ms; /* each probe's */
	uint16_t size;	     /* bytes of each IP datagram */
	uint8_t ttl;	     /* of each probe */
	json_t *results;     /* one object per probe done */
	bool waiting;	     /* a probe is out */
	uint16_t seq;	     /* its sequence number */
	uint64_t sent_us;    /* when it was handed to the data plane, monotonic */
	struct event *timer; /* its timeout, or the start of the next probe */
};

struct router_ping {
	struct event_base *base;
	struct datapath *dp;
	router_ping_send_fn *send;
	void *aux;
	struct event *own;   /* answers waiting in the data plane's ring */
	struct rp_job *jobs; /* running */
	size_t n_jobs;
	uint16_t next_seq;  /* sequence number of the next probe */
	uint64_t unmatched; /* answers for no probe of ours (late ones, mostly) */
};

/* ---- the packets ---- */

size_t router_ping_echo_build(uint8_t *buf, size_t room, const struct eth_addr *mac, uint32_t src,
			      uint32_t dst, size_t size, uint8_t ttl, uint16_t id, uint16_t seq)
{
	struct eth_header *eth = (void *)buf;
	struct ipv4_header *ip = (void *)(buf + ETH_HEADER_LEN);
	struct icmp_header *icmp = (void *)(buf + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN);
	uint8_t *payload = (uint8_t *)(icmp + 1);
	size_t n_payload = size - IPV4_HEADER_MIN_LEN - sizeof *icmp;

	if (size < RP_SIZE_MIN || size > UINT16_MAX || ETH_HEADER_LEN + size > room)
		return 0;
	eth->dst = *mac;
	eth->src = *mac;
	eth->type_be = htons(ETH_TYPE_IPV4);
	memset(ip, 0, sizeof *ip);
	ip->ver_ihl = 0x45;
	ip->tot_len_be = htons((uint16_t)size);
	ip->id_be = htons(seq);
	ip->ttl = ttl;
	ip->proto = IP_PROTO_ICMP;
	ip->src_be = htonl(src);
	ip->dst_be = htonl(dst);
	packet_ipv4_set_csum(ip);
	icmp->type = ICMP_ECHO_REQUEST;
	icmp->code = 0;
	icmp->csum_be = 0;
	icmp->echo.id_be = htons(id);
	icmp->echo.seq_be = htons(seq);
	/* IOS's data pattern. */
	for (size_t i = 0; i < n_payload; i++)
		payload[i] = i & 1 ? 0xcd : 0xab;
	icmp->csum_be = htons(csum_fold(csum_partial(icmp, size - IPV4_HEADER_MIN_LEN, 0)));
	return ETH_HEADER_LEN + size;
}

/* The echo request an ICMP error quotes ('q', 'qlen' bytes). */
static bool quoted_echo(const uint8_t *q, size_t qlen, struct rp_answer *a)
{
	const struct ipv4_header *ip = (const void *)q;
	size_t hl;

	if (qlen < IPV4_HEADER_MIN_LEN)
		return false;
	hl = (size_t)(ip->ver_ihl & 0xf) * 4;
	if ((ip->ver_ihl >> 4) != 4 || hl < IPV4_HEADER_MIN_LEN || qlen < hl + 8 ||
	    ip->proto != IP_PROTO_ICMP || q[hl] != ICMP_ECHO_REQUEST)
		return false;
	a->probe_src = ntohl(ip->src_be);
	a->probe_dst = ntohl(ip->dst_be);
	a->id = (uint16_t)(q[hl + 4] << 8 | q[hl + 5]);
	a->seq = (uint16_t)(q[hl + 6] << 8 | q[hl + 7]);
	return true;
}

bool router_ping_answer_parse(const uint8_t *frame, size_t len, struct rp_answer *a)
{
	struct pkt_info pi;
	const struct icmp_header *icmp;

	memset(a, 0, sizeof *a);
	if (packet_parse_frame(frame, len, &pi) != PKT_OK || pi.eth_type != ETH_TYPE_IPV4 ||
	    pi.proto != IP_PROTO_ICMP || !pi.l4_ok || pi.fragment)
		return false;
	icmp = (const void *)(frame + pi.l4_ofs);
	a->from = pi.src_ip;
	a->code = icmp->code;
	switch (icmp->type) {
	case ICMP_ECHO_REPLY:
		a->kind = RP_ECHO_REPLY;
		a->id = ntohs(icmp->echo.id_be);
		a->seq = ntohs(icmp->echo.seq_be);
		a->probe_src = pi.dst_ip;
		a->probe_dst = pi.src_ip;
		return true;
	case ICMP_TIME_EXCEEDED:
	case ICMP_DEST_UNREACH:
		a->kind = icmp->type == ICMP_TIME_EXCEEDED ? RP_TIME_EXCEEDED : RP_UNREACHABLE;
		return quoted_echo((const uint8_t *)(icmp + 1), pi.l4_len - sizeof *icmp, a) &&
		       a->probe_src == pi.dst_ip;
	default:
		return false;
	}
}

static const char *kind_name(enum rp_kind kind)
{
	switch (kind) {
	case RP_ECHO_REPLY:
		return "echo_reply";
	case RP_TIME_EXCEEDED:
		return "time_exceeded";
	case RP_UNREACHABLE:
		return "unreachable";
	}
	return "?";
}

/* ---- responses ---- */

static void respond(struct router_ping *rp, json_t *response)
{
	rp->send(rp->aux, response);
	json_decref(response);
}

static void PRINTF_FORMAT(3, 4)
    respond_error(struct router_ping *rp, const json_t *id, const char *fmt, ...)
{
	va_list args;
	char *error;

	va_start(args, fmt);
	error = xvasprintf(fmt, args);
	va_end(args);
	respond(rp, json_pack("{s:s, s:O, s:b, s:s}", "type", "response", "id", id, "ok", 0,
			      "error", error));
	free(error);
}

static json_t *ip_json(uint32_t addr)
{
	char s[IPV4_ADDR_STRLEN];

	ipv4_format(addr, s);
	return json_string(s);
}

static json_t *mac_json(const struct eth_addr *mac)
{
	char s[ETH_ADDR_STRLEN];

	eth_addr_format(mac, s);
	return json_string(s);
}

/* ---- ping ---- */

static void job_free(struct rp_job *job)
{
	struct router_ping *rp = job->rp;

	for (struct rp_job **p = &rp->jobs; *p; p = &(*p)->next) {
		if (*p == job) {
			*p = job->next;
			break;
		}
	}
	rp->n_jobs--;
	event_free(job->timer);
	json_decref(job->id);
	json_decref(job->results);
	free(job);
}

/* Records the fate of the probe out (or not sent): 'kind' < 0 for none
 * (timeout or not sent, 'what'). */
static void job_record(struct rp_job *job, int kind, const char *what, const struct rp_answer *a,
		       uint64_t rtt_us)
{
	json_t *r = json_pack("{s:I}", "seq", (json_int_t)json_array_size(job->results));

	if (kind < 0) {
		json_object_set_new(r, "rtt_us", json_null());
		json_object_set_new(r, "from", json_null());
		json_object_set_new(r, "type", json_string(what));
	} else {
		json_object_set_new(r, "rtt_us", json_integer((json_int_t)rtt_us));
		json_object_set_new(r, "from", ip_json(a->from));
		json_object_set_new(r, "type", json_string(kind_name(a->kind)));
		if (a->kind != RP_ECHO_REPLY)
			json_object_set_new(r, "code", json_integer(a->code));
	}
	json_array_append_new(job->results, r);
	job->waiting = false;
}

static void job_next(struct rp_job *job);

static void on_job_timer(evutil_socket_t fd, short what, void *job_)
{
	struct rp_job *job = job_;

	if (job->waiting)
		job_record(job, -1, "timeout", NULL, 0);
	job_next(job);
}

/* Sends the next probe, or the response when all are done. */
static void job_next(struct rp_job *job)
{
	struct router_ping *rp = job->rp;
	const struct dp_tables *t = datapath_tables(rp->dp);
	uint8_t frame[ETH_HEADER_LEN + RP_SIZE_MAX];
	struct timeval tv = {job->timeout_ms / 1000, (job->timeout_ms % 1000) * 1000};
	size_t len;
	int rc;

	if (json_array_size(job->results) == job->count) {
		respond(rp, json_pack("{s:s, s:O, s:b, s:O}", "type", "response", "id", job->id,
				      "ok", 1, "results", job->results));
		job_free(job);
		return;
	}
	job->seq = rp->next_seq++;
	len = router_ping_echo_build(frame, sizeof frame, &job->mac, job->src, job->dst, job->size,
				     job->ttl, t ? dp_tables_self_id(t) : 0, job->seq);
	job->sent_us = time_usec();
	rc = len ? datapath_send_own(rp->dp, job->vni, frame, len) : -EMSGSIZE;
	if (rc) {
		/* The data plane is behind: this one counts as lost, the next
		 * goes at once (from the loop, not from here). */
		LOG_WARN_RL("probe not sent: %s", strerror(-rc));
		job_record(job, -1, "not_sent", NULL, 0);
		tv = (struct timeval){0, 0};
	} else {
		job->waiting = true;
	}
	evtimer_add(job->timer, &tv);
}

/* The probe an answer is for, or NULL. */
static struct rp_job *job_of_answer(struct router_ping *rp, uint32_t vni, const struct rp_answer *a)
{
	const struct dp_tables *t = datapath_tables(rp->dp);

	if (!t || a->id != dp_tables_self_id(t))
		return NULL;
	for (struct rp_job *job = rp->jobs; job; job = job->next)
		if (job->waiting && job->seq == a->seq && job->vni == vni &&
		    job->src == a->probe_src && job->dst == a->probe_dst)
			return job;
	return NULL;
}

/* Takes the answers the data plane has for us. */
static void on_own(evutil_socket_t fd, short what, void *rp_)
{
	struct router_ping *rp = rp_;
	struct datapath_frame f;

	while (datapath_take_own(rp->dp, &f)) {
		struct rp_answer a;
		struct rp_job *job;

		if (!router_ping_answer_parse(f.data, f.len, &a) ||
		    !(job = job_of_answer(rp, f.vni, &a))) {
			rp->unmatched++;
			LOG_DBG("an answer for no probe of ours (%" PRIu64 " so far)",
				rp->unmatched);
			continue;
		}
		job_record(job, (int)a.kind, NULL, &a,
			   f.time_us > job->sent_us ? f.time_us - job->sent_us : 0);
		evtimer_del(job->timer);
		job_next(job);
	}
}

/* The string member 'name' of 'obj', "" if it has none. */
static const char *str_of(const json_t *obj, const char *name)
{
	const char *s = json_string_value(json_object_get(obj, name));

	return s ? s : "";
}

/* An unsigned integer argument 'name' of 'req' in [min, max], 'dflt' when
 * absent. False if it is there and not such a number. */
static bool arg_uint(const json_t *req, const char *name, uint32_t min, uint32_t max, uint32_t dflt,
		     uint32_t *out)
{
	const json_t *v = json_object_get(req, name);

	if (!v) {
		*out = dflt;
		return true;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return false;
	*out = (uint32_t)json_integer_value(v);
	return true;
}

/* The interface of router 'router' ("T/N/R") of 'view' whose address is
 * 'job->src': its MAC, and the router's VNI, into 'job'. Returns NULL or
 * what is wrong. */
static char *find_source(const json_t *view, const char *router, struct rp_job *job)
{
	const char *slash = strrchr(router, '/');
	char key[512];
	const json_t *r, *ifc;
	size_t i;

	if (strlen(router) > 256 || !slash)
		return xstrdup("\"router\" must be TENANT/NETWORK/ROUTER");
	snprintf(key, sizeof key, "router/%s", router);
	r = view ? json_object_get(view, key) : NULL;
	if (!r)
		return xasprintf("router %s is not in this agent's view", router);
	snprintf(key, sizeof key, "network/%.*s", (int)(slash - router), router);
	job->vni = (uint32_t)json_integer_value(json_object_get(json_object_get(view, key), "vni"));
	json_array_foreach (json_object_get(r, "interfaces"), i, ifc) {
		uint32_t ip;

		if (!ipv4_parse(str_of(ifc, "ip"), &ip) || ip != job->src)
			continue;
		if (!eth_addr_parse(str_of(ifc, "mac"), &job->mac))
			return xasprintf("router %s: its interface %s has no MAC", router,
					 str_of(ifc, "name"));
		return NULL;
	}
	{
		char addr[IPV4_ADDR_STRLEN];

		ipv4_format(job->src, addr);
		return xasprintf("router %s has no interface with address %s", router, addr);
	}
}

/* Fills 'job' from the arguments of ping request 'req'. Returns NULL or
 * what is wrong. */
static char *ping_args(struct router_ping *rp, const json_t *req, const json_t *view,
		       struct rp_job *job)
{
	const char *router = json_string_value(json_object_get(req, "router"));
	const struct dp_tables *t = datapath_tables(rp->dp);
	uint32_t size, ttl;

	if (!router)
		return xstrdup("\"router\" must be a string");
	if (!ipv4_parse(str_of(req, "src"), &job->src))
		return xstrdup("\"src\" must be an IPv4 address");
	if (!ipv4_parse(str_of(req, "dst"), &job->dst))
		return xstrdup("\"dst\" must be an IPv4 address");
	if (!arg_uint(req, "count", 1, RP_COUNT_MAX, RP_COUNT_DEFAULT, &job->count))
		return xasprintf("\"count\" must be 1..%d", RP_COUNT_MAX);
	if (!arg_uint(req, "timeout_ms", 1, RP_TIMEOUT_MS_MAX, RP_TIMEOUT_MS_DEFAULT,
		      &job->timeout_ms))
		return xasprintf("\"timeout_ms\" must be 1..%d", RP_TIMEOUT_MS_MAX);
	if (!arg_uint(req, "size", RP_SIZE_MIN, RP_SIZE_MAX, RP_SIZE_DEFAULT, &size))
		return xasprintf("\"size\" must be %d..%d", RP_SIZE_MIN, RP_SIZE_MAX);
	if (!arg_uint(req, "ttl", 1, RP_TTL_MAX, RP_TTL_DEFAULT, &ttl))
		return xasprintf("\"ttl\" must be 1..%d", RP_TTL_MAX);
	job->size = (uint16_t)size;
	job->ttl = (uint8_t)ttl;
	char *error = find_source(view, router, job);
	if (error)
		return error;
	if (!t || dp_map_find(&t->vni_map, job->vni) == DP_NONE)
		return xasprintf("the data plane does not have router %s yet", router);
	if (rp->n_jobs >= RP_JOBS_MAX)
		return xasprintf("%d pings are running already", RP_JOBS_MAX);
	return NULL;
}

static void ping_start(struct router_ping *rp, const json_t *req, const json_t *view)
{
	struct rp_job *job = xzalloc(sizeof *job);
	char *error = ping_args(rp, req, view, job);

	if (error) {
		respond_error(rp, json_object_get(req, "id"), "ping: %s", error);
		free(error);
		free(job);
		return;
	}
	job->rp = rp;
	job->id = json_incref(json_object_get(req, "id"));
	job->results = json_array();
	job->timer = evtimer_new(rp->base, on_job_timer, job);
	if (!job->timer)
		onm_abort("cannot create a timer");
	job->next = rp->jobs;
	rp->jobs = job;
	rp->n_jobs++;
	job_next(job);
}

/* ---- arp ---- */

/* Appends to 'entries' what the tables resolve of the view's entries of
 * kind 'kind' ("router" or "instance") in network 'net'. */
static void arp_collect(const struct dp_tables *t, uint32_t vn, const json_t *view,
			const char *kind, const char *net, json_t *entries)
{
	size_t plen = strlen(kind) + 1 + strlen(net) + 1;
	const char *key;
	json_t *value;

	json_object_foreach ((json_t *)view, key, value) {
		const json_t *ifc;
		size_t i;
		uint32_t ip, v;

		if (strncmp(key, kind, strlen(kind)) || key[strlen(kind)] != '/' ||
		    strncmp(key + strlen(kind) + 1, net, strlen(net)) || key[plen - 1] != '/' ||
		    strchr(key + plen, '/'))
			continue;
		if (!strcmp(kind, "instance")) {
			if (!ipv4_parse(str_of(value, "ip"), &ip))
				continue;
			v = dp_map_find(&t->ip_map, dp_key_ip(vn, ip));
			if (v == DP_NONE || (v & DP_MAP_RIF))
				continue;
			json_array_append_new(
			    entries, json_pack("{s:o, s:o, s:s, s:s, s:s, s:b}", "ip", ip_json(ip),
					       "mac", mac_json(&t->instances[v].mac), "kind",
					       "instance", "instance", key + strlen("instance/"),
					       "host", str_of(value, "host"), "local",
					       t->instances[v].port != DP_NONE));
			continue;
		}
		json_array_foreach (json_object_get(value, "interfaces"), i, ifc) {
			if (!ipv4_parse(str_of(ifc, "ip"), &ip))
				continue;
			v = dp_map_find(&t->ip_map, dp_key_ip(vn, ip));
			if (v == DP_NONE || !(v & DP_MAP_RIF))
				continue;
			json_array_append_new(
			    entries, json_pack("{s:o, s:o, s:s, s:s, s:s}", "ip", ip_json(ip),
					       "mac", mac_json(&t->rifs[v & ~DP_MAP_RIF].mac),
					       "kind", "router", "router", key + strlen("router/"),
					       "interface", str_of(ifc, "name")));
		}
	}
}

static void arp_answer(struct router_ping *rp, const json_t *req, const json_t *view)
{
	const json_t *id = json_object_get(req, "id");
	const char *net = json_string_value(json_object_get(req, "network"));
	const struct dp_tables *t = datapath_tables(rp->dp);
	json_t *entries;
	uint32_t vn;

	if (!net) {
		respond_error(rp, id, "arp: \"network\" must be a string");
		return;
	}
	for (vn = 0; t && vn < t->n_vns; vn++)
		if (!strcmp(t->vns[vn].id, net))
			break;
	if (!t || vn == t->n_vns || !view) {
		respond_error(rp, id, "arp: network %.256s is not on this host", net);
		return;
	}
	entries = json_array();
	arp_collect(t, vn, view, "router", net, entries);
	arp_collect(t, vn, view, "instance", net, entries);
	respond(rp,
		json_pack("{s:s, s:O, s:b, s:s, s:s, s:o}", "type", "response", "id", id, "ok", 1,
			  "network", net, "host", dp_tables_self_name(t), "entries", entries));
}

/* ---- the module ---- */

void router_ping_request(struct router_ping *rp, const json_t *req, const json_t *view)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	const json_t *id = json_object_get(req, "id");

	if (!strcmp(op, "ping"))
		ping_start(rp, req, view);
	else if (!strcmp(op, "arp"))
		arp_answer(rp, req, view);
	else
		respond_error(rp, id, "unknown op \"%.64s\"", op);
}

struct router_ping *router_ping_create(struct event_base *base, struct datapath *dp,
				       router_ping_send_fn *send, void *aux)
{
	struct router_ping *rp = xzalloc(sizeof *rp);

	rp->base = base;
	rp->dp = dp;
	rp->send = send;
	rp->aux = aux;
	rp->own = event_new(base, datapath_own_fd(dp), EV_READ | EV_PERSIST, on_own, rp);
	if (!rp->own || event_add(rp->own, NULL))
		onm_abort("cannot watch the data plane's answers");
	return rp;
}

void router_ping_reset(struct router_ping *rp)
{
	while (rp->jobs)
		job_free(rp->jobs);
}

void router_ping_destroy(struct router_ping *rp)
{
	if (!rp)
		return;
	router_ping_reset(rp);
	event_free(rp->own);
	free(rp);
}

size_t router_ping_n_running(const struct router_ping *rp)
{
	return rp->n_jobs;
}
