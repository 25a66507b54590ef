// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the simulated routers' SNMP agent (device/snmp.c) over a
 * real controller state, calling its dispatcher with PDUs built by
 * net-snmp's library: which router a community selects (and which it
 * must not), every table against the router view the CLI prints, GETNEXT
 * and GETBULK against a linear scan of the whole walk from random places,
 * a table of 20,000 routes walked in short steps, counters summed over
 * agents (Counter32 wrapping, Counter64 whole, none in SNMPv1), sets
 * (read-only community refused, all-or-nothing checks, the model changed,
 * every one audited), and the traps a receiver gets: linkDown/linkUp with
 * the interface's ifIndex whoever made the change, coldStart for a new
 * router.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs <stdarg.h>, <stddef.h> and <setjmp.h> first. */
/* net-snmp-config.h must come first. */
/* clang-format off */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/library/snmpIPBaseDomain.h>
#include <net-snmp/library/snmpUDPDomain.h>
#undef LOG_ERR
#undef LOG_INFO
/* clang-format on */

#include "onm/model.h"
#include "onm/store.h"
#include "onm/util.h"
#include "router-view.h"
#include "snmp-private.h"
#include "state.h"

#include <arpa/inet.h>
#include <errno.h>
#include <unistd.h>
#include <time.h>
#include <cmocka.h>
#include <sodium.h>
#include <event2/event.h>
#include <sys/select.h>
#include <sys/socket.h>

#define R1 "acme/blue/r1"
#define BIG "acme/blue/big"
#define BIG_ROUTES 20000
#define T0 1000000 /* the test clock at the start, ms */

/* The topology; the trap receiver's port goes in at %d. */
static const char topo_fmt[] =
    "substrate:\n"
    "  hosts: [{name: h1}, {name: h2}]\n"
    "  links: [{a: h1, b: h2, latency: 1ms}]\n"
    "tenants:\n"
    "  - name: acme\n"
    "    snmp: {ro_community: public, rw_community: s3cret, trap_receivers: "
    "[\"127.0.0.1:%d\"]}\n"
    "    users:\n"
    "      - {name: ann, role: admin, password: maplesyrup, snmpv3: true}\n"
    "      - {name: vic, role: viewer, password: vic-password, snmpv3: true}\n"
    "      - {name: bob, role: admin, password: bob-password}\n"
    "    networks:\n"
    "      - name: blue\n"
    "        subnets: [{name: web, cidr: 10.1.1.0/24}, {name: db, cidr: 10.1.2.0/24},\n"
    "                  {name: mgmt, cidr: 10.1.3.0/24}, {name: lo, cidr: 192.0.2.0/30}]\n"
    "        routers:\n"
    "          - name: r1\n"
    "            interfaces:\n"
    "              - {name: GigabitEthernet0/0, subnet: web, ip: 10.1.1.1}\n"
    "              - {name: GigabitEthernet0/1, subnet: db, ip: 10.1.2.1, description: to db}\n"
    "              - {name: GigabitEthernet0/2, subnet: mgmt, ip: 10.1.3.1, shutdown: true}\n"
    "              - {name: Loopback0, subnet: lo, ip: 192.0.2.1, shape: 10mbit}\n"
    "            routes:\n"
    "              - {prefix: 10.9.0.0/16, via: 10.1.2.20}\n"
    "              - {prefix: 0.0.0.0/0, via: 10.1.1.254}\n"
    "              - {prefix: 172.16.0.0/12, via: 10.1.3.9}\n"
    "  - name: initech\n"
    "    snmp: {ro_community: public}\n"
    "    networks:\n"
    "      - name: blue\n"
    "        subnets: [{name: a, cidr: 10.7.0.0/24}]\n"
    "        routers:\n"
    "          - name: r1\n"
    "            interfaces: [{name: GigabitEthernet0/0, subnet: a, ip: 10.7.0.1}]\n"
    "      - name: green\n"
    "        subnets: [{name: a, cidr: 10.8.0.0/24}]\n"
    "        routers:\n"
    "          - name: g1\n"
    "            interfaces: [{name: GigabitEthernet0/0, subnet: a, ip: 10.8.0.1}]\n";

/* A trap receiver: a net-snmp server session on a loopback port. */
struct receiver {
	void *sess;
	int sock;
	int port;
	netsnmp_pdu *got[32];
	size_t n;
};

struct audit_rec {
	char user[64], device[64], command[256], verdict[16];
	int status;
};

struct fx {
	char dir[64];	/* the agent's state directory */
	char path[96];	/* its state file */
	struct event_base *base;
	struct ctl_state *state;
	struct dev_snmp *snmp;
	struct receiver rx;
	struct audit_rec audit[16];
	size_t n_audit;
};

static int rx_callback(int op, netsnmp_session *sess, int reqid, netsnmp_pdu *pdu, void *magic)
{
	struct receiver *r = magic;

	if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && r->n < ARRAY_SIZE(r->got))
		r->got[r->n++] = snmp_clone_pdu(pdu);
	return 1;
}

static void rx_open(struct receiver *r)
{
	struct netsnmp_ep ep;
	netsnmp_transport *t;
	netsnmp_session ss;
	struct sockaddr_in a;
	socklen_t len = sizeof a;

	memset(&ep, 0, sizeof ep);
	ep.a.sin.sin_family = AF_INET;
	ep.a.sin.sin_addr.s_addr = htonl(0x7f000001);
	t = netsnmp_udp_transport(&ep, 1);
	assert_non_null(t);
	assert_int_equal(getsockname(t->sock, (struct sockaddr *)&a, &len), 0);
	r->port = ntohs(a.sin_port);
	r->sock = t->sock;
	snmp_sess_init(&ss);
	ss.callback = rx_callback;
	ss.callback_magic = r;
	ss.isAuthoritative = SNMP_SESS_AUTHORITATIVE;
	r->sess = snmp_sess_add(&ss, t, NULL, NULL);
	assert_non_null(r->sess);
}

/* Reads traps for up to 'tenths' tenths of a second, until there are 'n'. */
static void rx_read(struct receiver *r, size_t n, int tenths)
{
	for (int i = 0; i < 10 * tenths && r->n < n; i++) {
		netsnmp_large_fd_set fds;
		struct timeval tv = {0, 10000};
		fd_set rd;

		FD_ZERO(&rd);
		FD_SET(r->sock, &rd);
		if (select(r->sock + 1, &rd, NULL, NULL, &tv) <= 0)
			continue;
		netsnmp_large_fd_set_init(&fds, r->sock + 1);
		netsnmp_large_fd_setfd(r->sock, &fds);
		snmp_sess_read2(r->sess, &fds);
		netsnmp_large_fd_set_cleanup(&fds);
	}
}

/* Waits (at most 2 s) for the receiver to have exactly 'n' traps. */
static void rx_wait(struct receiver *r, size_t n)
{
	rx_read(r, n, 20);
	rx_read(r, n + 1, 1); /* and no more */
	assert_int_equal(r->n, n);
}

static void rx_clear(struct receiver *r)
{
	for (size_t i = 0; i < r->n; i++)
		snmp_free_pdu(r->got[i]);
	r->n = 0;
}

static void on_audit(void *aux, const char *user, const char *device, const char *source,
		     const char *command, const char *verdict, int status)
{
	struct fx *fx = aux;
	struct audit_rec *a;

	assert_true(fx->n_audit < ARRAY_SIZE(fx->audit));
	assert_string_equal(source, "127.0.0.1:9999");
	a = &fx->audit[fx->n_audit++];
	snprintf(a->user, sizeof a->user, "%s", user);
	snprintf(a->device, sizeof a->device, "%s", device);
	snprintf(a->command, sizeof a->command, "%s", command);
	snprintf(a->verdict, sizeof a->verdict, "%s", verdict);
	a->status = status;
}

static void on_change(uint64_t revision, void *fx_)
{
	struct fx *fx = fx_;

	dev_snmp_model_changed(fx->snmp);
}

/* A router with BIG_ROUTES static routes, created through the API path. */
static void add_big_router(struct fx *fx)
{
	json_t *r = json_pack("{s:s, s:s, s:s, s:[{s:s, s:s, s:s}], s:[]}", "tenant", "acme",
			      "network", "blue", "name", "big", "interfaces", "name",
			      "GigabitEthernet0/0", "subnet", "web", "ip", "10.1.1.2", "routes");
	json_t *routes = json_object_get(r, "routes");
	char *text, *error = NULL;

	for (int i = 0; i < BIG_ROUTES; i++) {
		char prefix[32], via[32];

		snprintf(prefix, sizeof prefix, "%d.%d.%d.0/24", 20 + i / 65536, (i / 256) % 256,
			 i % 256);
		snprintf(via, sizeof via, "10.1.1.%d", 10 + i % 7);
		json_array_append_new(routes,
				      json_pack("{s:s, s:s}", "prefix", prefix, "via", via));
	}
	text = json_dumps(r, JSON_COMPACT);
	if (ctl_state_create(fx->state, MODEL_ROUTER, text, strlen(text), NULL, &error))
		fail_msg("create big: %s", error);
	free(text);
	json_decref(r);
}

static int setup(void **st)
{
	struct fx *fx = xzalloc(sizeof *fx);
	struct dev_snmp_hooks hooks = {.audit = on_audit, .aux = fx};
	struct model_diff plan = {0};
	uint64_t revision;
	char *topo, *error = NULL;

	fx->base = event_base_new();
	rx_open(&fx->rx);
	topo = xasprintf(topo_fmt, fx->rx.port);
	if (ctl_state_open("memory:", &fx->state, &error))
		fail_msg("state: %s", error);
	if (ctl_state_apply(fx->state, topo, strlen(topo), "topo.yaml", false, false, &plan,
			    &revision, &error))
		fail_msg("apply: %s", error);
	model_diff_destroy(&plan);
	free(topo);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/onm-test-snmp-XXXXXX");
	if (!mkdtemp(fx->dir))
		fail_msg("mkdtemp failed");
	snprintf(fx->path, sizeof fx->path, "%s/snmp-state.json", fx->dir);
	fx->snmp = dev_snmp_create(fx->base, fx->state, NULL, NULL, fx->dir, &hooks, &error);
	if (!fx->snmp)
		fail_msg("dev_snmp_create: %s", error);
	dev_snmp_set_test_clock(fx->snmp, T0);
	ctl_state_set_change_cb(fx->state, on_change, fx);
	*st = fx;
	return 0;
}

static int teardown(void **st)
{
	struct fx *fx = *st;

	ctl_state_set_change_cb(fx->state, NULL, NULL);
	dev_snmp_destroy(fx->snmp);
	rx_clear(&fx->rx);
	snmp_sess_close(fx->rx.sess);
	ctl_state_close(fx->state);
	event_base_free(fx->base);
	unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* The agent's state file, parsed. */
static json_t *state_file(struct fx *fx)
{
	json_t *doc = json_load_file(fx->path, 0, NULL);

	assert_non_null(doc);
	return doc;
}

/* ---- requests ---- */

static netsnmp_pdu *pdu_new(int command, long version, const char *community)
{
	netsnmp_pdu *p = snmp_pdu_create(command);

	p->version = version;
	p->community = (u_char *)xstrdup(community);
	p->community_len = strlen(community);
	return p;
}

/* Sends 'req' (freed) to the dispatcher; returns the response or NULL. */
static netsnmp_pdu *ask(struct fx *fx, netsnmp_pdu *req)
{
	netsnmp_pdu *resp = dev_snmp_handle(fx->snmp, req, "127.0.0.1:9999");

	long reqid = req->reqid;

	snmp_free_pdu(req);
	if (resp) {
		assert_int_equal(resp->command, SNMP_MSG_RESPONSE);
		assert_int_equal(resp->reqid, reqid);
	}
	return resp;
}

/* Parses "1.3.6.1..." into 'o'; returns the length. */
static size_t oid_parse(const char *s, oid *o)
{
	size_t n = 0;
	char *end;

	while (*s && n < MAX_OID_LEN) {
		o[n++] = strtoul(s, &end, 10);
		s = *end == '.' ? end + 1 : end;
		if (!*end)
			break;
	}
	return n;
}

static netsnmp_pdu *get1(struct fx *fx, int command, long version, const char *community,
			 const char *name)
{
	netsnmp_pdu *req = pdu_new(command, version, community);
	oid o[MAX_OID_LEN];

	snmp_add_null_var(req, o, oid_parse(name, o));
	return ask(fx, req);
}

static long int_of(const netsnmp_variable_list *v)
{
	assert_non_null(v->val.integer);
	return *v->val.integer;
}

static char *str_of(const netsnmp_variable_list *v)
{
	assert_int_equal(v->type, ASN_OCTET_STR);
	return xmemdup0((const char *)v->val.string, v->val_len);
}

static uint64_t c64_of(const netsnmp_variable_list *v)
{
	assert_int_equal(v->type, ASN_COUNTER64);
	return (uint64_t)v->val.counter64->high << 32 | v->val.counter64->low;
}

/* "1.3.6...": the name of 'v' as text (static buffer). */
static const char *name_of(const netsnmp_variable_list *v)
{
	static char buf[1024];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < v->name_length; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%lu", i ? "." : "",
				      (unsigned long)v->name[i]);
	return buf;
}

/* ---- a whole walk ---- */

struct walk {
	oid (*names)[MAX_OID_LEN];
	size_t *lens;
	u_char *types;
	size_t n, cap;
};

static void walk_free(struct walk *w)
{
	free(w->names);
	free(w->lens);
	free(w->types);
}

/* GETNEXT from 'start' to the end of the view, checking that each name
 * is after the one before. */
static void walk(struct fx *fx, const char *community, const char *start, struct walk *w)
{
	oid cur[MAX_OID_LEN];
	size_t len = oid_parse(start, cur);

	memset(w, 0, sizeof *w);
	for (size_t guard = 0; guard < 400000; guard++) {
		netsnmp_pdu *req = pdu_new(SNMP_MSG_GETNEXT, SNMP_VERSION_2c, community);
		netsnmp_pdu *resp;
		netsnmp_variable_list *v;

		snmp_add_null_var(req, cur, len);
		resp = ask(fx, req);
		assert_non_null(resp);
		v = resp->variables;
		assert_non_null(v);
		assert_int_equal(resp->errstat, 0);
		if (v->type == SNMP_ENDOFMIBVIEW) {
			snmp_free_pdu(resp);
			return;
		}
		assert_true(snmp_oid_compare(v->name, v->name_length, cur, len) > 0);
		if (w->n == w->cap) {
			w->cap = w->cap ? 2 * w->cap : 256;
			w->names = xrealloc(w->names, w->cap * sizeof *w->names);
			w->lens = xrealloc(w->lens, w->cap * sizeof *w->lens);
			w->types = xrealloc(w->types, w->cap * sizeof *w->types);
		}
		memcpy(w->names[w->n], v->name, v->name_length * sizeof(oid));
		w->lens[w->n] = v->name_length;
		w->types[w->n] = v->type;
		w->n++;
		memcpy(cur, v->name, v->name_length * sizeof(oid));
		len = v->name_length;
		snmp_free_pdu(resp);
	}
	fail_msg("walk did not end");
}

/* How many names of 'w' start with 'prefix'. */
static size_t walk_count(const struct walk *w, const char *prefix)
{
	oid p[MAX_OID_LEN];
	size_t plen = oid_parse(prefix, p), n = 0;

	for (size_t i = 0; i < w->n; i++)
		if (w->lens[i] >= plen && !memcmp(w->names[i], p, plen * sizeof(oid)))
			n++;
	return n;
}

/* ---- tests ---- */

/* Communities select one router of one tenant; anything else gets no
 * answer and is counted. */
static void test_community(void **st)
{
	struct fx *fx = *st;
	netsnmp_pdu *resp;
	char *s;
	static const char *const refused[] = {
	    "nope@blue/r1",	      /* unknown community */
	    "public@blue/r9",	      /* unknown router */
	    "public",		      /* no device */
	    "public@",		      /* empty device */
	    "public@blue",	      /* no router */
	    "s3cret@initech/blue/r1", /* acme's community, initech's router */
	    "public@blue/r1",	      /* two tenants with 'public' have blue/r1 */
	    "public@acme/blue/r1/x",  /* too many parts */
	    "s3cret@globex/blue/r1",  /* no such tenant */
	    "public@acme/green/g1",   /* acme has no green */
	};
	uint64_t before = dev_snmp_stats(fx->snmp)->unknown_community;

	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		assert_null(
		    get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, refused[i], "1.3.6.1.2.1.1.5.0"));
	assert_int_equal(dev_snmp_stats(fx->snmp)->unknown_community - before, ARRAY_SIZE(refused));

	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1", "1.3.6.1.2.1.1.1.0");
	assert_non_null(resp);
	s = str_of(resp->variables);
	assert_non_null(strstr(s, "router acme/blue/r1"));
	free(s);
	snmp_free_pdu(resp);
	resp =
	    get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@initech/blue/r1", "1.3.6.1.2.1.1.1.0");
	s = str_of(resp->variables);
	assert_non_null(strstr(s, "router initech/blue/r1"));
	free(s);
	snmp_free_pdu(resp);
	/* The short form when only one tenant's router has the name. */
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@green/g1", "1.3.6.1.2.1.1.5.0");
	s = str_of(resp->variables);
	assert_string_equal(s, "g1");
	free(s);
	snmp_free_pdu(resp);
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "s3cret@blue/r1", "1.3.6.1.2.1.1.5.0");
	assert_non_null(resp);
	snmp_free_pdu(resp);

	/* SNMPv3 below authPriv: authorizationError. */
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_3, "public@acme/blue/r1", "1.3.6");
	assert_non_null(resp);
	assert_int_equal(resp->errstat, SNMP_ERR_AUTHORIZATIONERROR);
	assert_null(resp->variables);
	snmp_free_pdu(resp);

	/* Not answered: a trap, GETBULK in SNMPv1. */
	before = dev_snmp_stats(fx->snmp)->dropped;
	assert_null(get1(fx, SNMP_MSG_TRAP2, SNMP_VERSION_2c, "public@acme/blue/r1", "1.3.6"));
	assert_null(get1(fx, SNMP_MSG_GETBULK, SNMP_VERSION_1, "public@acme/blue/r1", "1.3.6"));
	assert_int_equal(dev_snmp_stats(fx->snmp)->dropped - before, 2);
}

/* The walk of r1 is the router view's content, table by table. */
static void test_tables_match_view(void **st)
{
	struct fx *fx = *st;
	struct router_view v;
	struct walk w;
	netsnmp_pdu *resp;

	assert_true(router_view_build(&v, ctl_state_model(fx->state), R1, NULL));
	walk(fx, "public@acme/blue/r1", "1.3", &w);
	assert_int_equal(walk_count(&w, "1.3.6.1.2.1.1"), 8);
	assert_int_equal(walk_count(&w, "1.3.6.1.2.1.2.2.1.2"), v.n_ifs);
	assert_int_equal(walk_count(&w, "1.3.6.1.2.1.31.1.1.1.1"), v.n_ifs);
	assert_int_equal(walk_count(&w, "1.3.6.1.2.1.4.20.1.1"), v.n_ifs);
	assert_int_equal(walk_count(&w, "1.3.6.1.2.1.4.34.1.3"), v.n_ifs);
	assert_int_equal(walk_count(&w, "1.3.6.1.2.1.4.24.7.1.7"), v.n_routes);
	/* 3 up interfaces: connected + local each; 2 statics (the third's
	 * next hop is behind the shut interface), as `show ip route`. */
	assert_int_equal(v.n_routes, 8);

	for (size_t i = 0; i < v.n_ifs; i++) {
		char name[64];
		char *s;

		snprintf(name, sizeof name, "1.3.6.1.2.1.2.2.1.2.%zu", i + 1);
		resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1", name);
		s = str_of(resp->variables);
		assert_string_equal(s, v.ifs[i].name);
		free(s);
		snmp_free_pdu(resp);
		snprintf(name, sizeof name, "1.3.6.1.2.1.2.2.1.7.%zu", i + 1);
		resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1", name);
		assert_int_equal(int_of(resp->variables), v.ifs[i].admin_up ? 1 : 2);
		snmp_free_pdu(resp);
	}
	/* Each route of the view is a row with its ifIndex; next hops of
	 * statics in the index. */
	for (size_t i = 0; i < v.n_routes; i++) {
		const struct rv_route *r = &v.routes[i];
		uint32_t a = r->prefix.addr, h = r->via;
		char name[256];
		size_t ifindex = 0;

		for (size_t k = 0; k < v.n_ifs; k++)
			if (r->ifname && !strcmp(v.ifs[k].name, r->ifname))
				ifindex = k + 1;
		if (r->type == RV_STATIC)
			snprintf(name, sizeof name,
				 "1.3.6.1.2.1.4.24.7.1.7.1.4.%u.%u.%u.%u.%u.2.0.0.1.4.%u.%u.%u.%u",
				 a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, r->prefix.len,
				 h >> 24, (h >> 16) & 255, (h >> 8) & 255, h & 255);
		else
			snprintf(name, sizeof name,
				 "1.3.6.1.2.1.4.24.7.1.7.1.4.%u.%u.%u.%u.%u.2.0.0.0.0", a >> 24,
				 (a >> 16) & 255, (a >> 8) & 255, a & 255, r->prefix.len);
		resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1", name);
		assert_int_equal(resp->variables->type, ASN_INTEGER);
		assert_int_equal(int_of(resp->variables), ifindex);
		snmp_free_pdu(resp);
	}
	/* Loopback: softwareLoopback, its shape rate as speed. */
	resp =
	    get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1", "1.3.6.1.2.1.2.2.1.3.4");
	assert_int_equal(int_of(resp->variables), 24);
	snmp_free_pdu(resp);
	resp =
	    get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1", "1.3.6.1.2.1.2.2.1.5.4");
	assert_int_equal(int_of(resp->variables), 10000000);
	snmp_free_pdu(resp);
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1",
		    "1.3.6.1.2.1.31.1.1.1.18.2");
	char *alias = str_of(resp->variables);
	assert_string_equal(alias, "to db");
	free(alias);
	snmp_free_pdu(resp);
	/* Exceptions. */
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1",
		    "1.3.6.1.2.1.2.2.1.2.99");
	assert_int_equal(resp->variables->type, SNMP_NOSUCHINSTANCE);
	snmp_free_pdu(resp);
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1", "1.3.6.1.4.1.9.1");
	assert_int_equal(resp->variables->type, SNMP_NOSUCHOBJECT);
	snmp_free_pdu(resp);
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_1, "public@acme/blue/r1", "1.3.6.1.4.1.9.1");
	assert_int_equal(resp->errstat, SNMP_ERR_NOSUCHNAME);
	assert_int_equal(resp->errindex, 1);
	snmp_free_pdu(resp);
	walk_free(&w);
	router_view_uninit(&v);
}

/* The first name of the walk after 'name' (a linear scan), or -1. */
static long linear_next(const struct walk *w, const oid *name, size_t len)
{
	for (size_t i = 0; i < w->n; i++)
		if (snmp_oid_compare(w->names[i], w->lens[i], name, len) > 0)
			return (long)i;
	return -1;
}

/* GETNEXT from anywhere (names in the walk, around them, cut, extended,
 * random) gives what a linear scan of the whole walk gives; GETBULK is
 * repeated GETNEXT. */
static void test_getnext_vs_linear(void **st)
{
	struct fx *fx = *st;
	struct walk w;
	unsigned seed = 12345;

	walk(fx, "public@acme/blue/r1", "0", &w);
	assert_true(w.n > 200);
	for (int iter = 0; iter < 3000; iter++) {
		size_t i = (size_t)rand_r(&seed) % w.n;
		oid name[MAX_OID_LEN];
		size_t len = w.lens[i];
		netsnmp_pdu *req =
		    pdu_new(SNMP_MSG_GETNEXT, SNMP_VERSION_2c, "public@acme/blue/r1");
		netsnmp_pdu *resp;
		long expect;

		memcpy(name, w.names[i], len * sizeof(oid));
		switch (rand_r(&seed) % 6) {
		case 0: /* as is */
			break;
		case 1: /* cut */
			len = 1 + (size_t)rand_r(&seed) % len;
			break;
		case 2: /* extended */
			name[len++] = (oid)(rand_r(&seed) % 3);
			break;
		case 3: /* last sub-identifier moved */
			name[len - 1] += (oid)(rand_r(&seed) % 3) - 1;
			break;
		case 4: /* a random sub-identifier changed */
			name[(size_t)rand_r(&seed) % len] = (oid)(rand_r(&seed) % 40);
			break;
		case 5: /* huge sub-identifiers */
			name[(size_t)rand_r(&seed) % len] = 0xffffffffUL;
			break;
		}
		snmp_add_null_var(req, name, len);
		resp = ask(fx, req);
		expect = linear_next(&w, name, len);
		if (expect < 0) {
			assert_int_equal(resp->variables->type, SNMP_ENDOFMIBVIEW);
		} else {
			if (snmp_oid_compare(resp->variables->name, resp->variables->name_length,
					     w.names[expect], w.lens[expect]))
				fail_msg("getnext after iteration %d gave %s", iter,
					 name_of(resp->variables));
			assert_int_equal(resp->variables->type, w.types[expect]);
		}
		snmp_free_pdu(resp);
	}

	/* GETBULK: 1 non-repeater, 2 repeaters, 7 repetitions. */
	for (int iter = 0; iter < 200; iter++) {
		size_t a = (size_t)rand_r(&seed) % w.n, b = (size_t)rand_r(&seed) % w.n;
		size_t c = (size_t)rand_r(&seed) % w.n;
		netsnmp_pdu *req =
		    pdu_new(SNMP_MSG_GETBULK, SNMP_VERSION_2c, "public@acme/blue/r1");
		netsnmp_pdu *resp;
		const netsnmp_variable_list *v;
		long ia, ib, ic;

		req->errstat = 1;  /* non-repeaters */
		req->errindex = 7; /* max-repetitions */
		snmp_add_null_var(req, w.names[a], w.lens[a]);
		snmp_add_null_var(req, w.names[b], w.lens[b]);
		snmp_add_null_var(req, w.names[c], w.lens[c]);
		resp = ask(fx, req);
		v = resp->variables;
		ia = a + 1 < w.n ? (long)a + 1 : -1;
		if (ia < 0)
			assert_int_equal(v->type, SNMP_ENDOFMIBVIEW);
		else
			assert_int_equal(
			    snmp_oid_compare(v->name, v->name_length, w.names[ia], w.lens[ia]), 0);
		v = v->next_variable;
		ib = (long)b;
		ic = (long)c;
		for (int r = 0; r < 7 && v; r++) {
			ib = ib >= 0 && ib + 1 < (long)w.n ? ib + 1 : -1;
			ic = ic >= 0 && ic + 1 < (long)w.n ? ic + 1 : -1;
			for (int k = 0; k < 2; k++, v = v->next_variable) {
				long e = k ? ic : ib;

				assert_non_null(v);
				if (e < 0)
					assert_int_equal(v->type, SNMP_ENDOFMIBVIEW);
				else
					assert_int_equal(snmp_oid_compare(v->name, v->name_length,
									  w.names[e], w.lens[e]),
							 0);
			}
			if (ib < 0 && ic < 0)
				break;
		}
		assert_null(v);
		snmp_free_pdu(resp);
	}
	walk_free(&w);
}

/* 20,000 routes: GETBULK walks them in steps, each a few binary searches;
 * the snapshot is built once, not per request. */
static void test_big_table(void **st)
{
	struct fx *fx = *st;
	oid cur[MAX_OID_LEN];
	size_t len = oid_parse("1.3.6.1.2.1.4.24.7.1.7", cur), rows = 0;
	uint64_t builds, start, worst = 0;

	add_big_router(fx);
	builds = dev_snmp_stats(fx->snmp)->table_builds;
	for (int guard = 0; guard < 10000; guard++) {
		netsnmp_pdu *req = pdu_new(SNMP_MSG_GETBULK, SNMP_VERSION_2c, "public@blue/big");
		netsnmp_pdu *resp;
		const netsnmp_variable_list *v, *last = NULL;
		bool done = false;

		req->errstat = 0;
		req->errindex = 50;
		snmp_add_null_var(req, cur, len);
		start = time_usec();
		resp = ask(fx, req);
		if (guard && time_usec() - start > worst)
			worst = time_usec() - start;
		for (v = resp->variables; v; v = v->next_variable) {
			if (v->type == SNMP_ENDOFMIBVIEW || v->name_length < 11 ||
			    v->name[7] != 24 || v->name[8] != 7 || v->name[10] != 7) {
				done = true;
				break;
			}
			rows++;
			last = v;
		}
		if (last) {
			memcpy(cur, last->name, last->name_length * sizeof(oid));
			len = last->name_length;
		}
		snmp_free_pdu(resp);
		if (done)
			break;
	}
	/* 20,000 statics, the connected and the local route. */
	assert_int_equal(rows, BIG_ROUTES + 2);
	assert_int_equal(dev_snmp_stats(fx->snmp)->table_builds - builds, 1);
	/* A step after the first is far below a millisecond of work; allow
	 * sanitizers and a busy machine a lot more. */
	if (worst > 50000)
		fail_msg("a GETBULK step took %" PRIu64 " us", worst);
}

/* Counters are the agents' reports summed, as the CLI shows them. */
static void test_counters(void **st)
{
	struct fx *fx = *st;
	json_t *c = json_pack(
	    "[{s:s, s:{s:{s:{s:I, s:I, s:I, s:I, s:I}}}}, {s:s, s:{s:{s:{s:I, s:I, s:I, s:I}}}}]",
	    "host", "h1", "counters", "router_interfaces", R1 "/GigabitEthernet0/1", "rx_packets",
	    (json_int_t)5, "rx_bytes", (json_int_t)4294967290LL, "tx_packets", (json_int_t)7,
	    "tx_bytes", (json_int_t)700, "drops", (json_int_t)2, "host", "h2", "counters",
	    "router_interfaces", R1 "/GigabitEthernet0/1", "rx_packets", (json_int_t)10, "rx_bytes",
	    (json_int_t)100, "tx_packets", (json_int_t)1, "tx_bytes", (json_int_t)100);
	netsnmp_pdu *resp;

	dev_snmp_set_test_counters(fx->snmp, c);
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1",
		    "1.3.6.1.2.1.31.1.1.1.7.2");
	assert_int_equal(c64_of(resp->variables), 15);
	snmp_free_pdu(resp);
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1",
		    "1.3.6.1.2.1.31.1.1.1.6.2");
	assert_int_equal(c64_of(resp->variables), 4294967390ULL);
	snmp_free_pdu(resp);
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1",
		    "1.3.6.1.2.1.2.2.1.10.2"); /* ifInOctets wraps at 2^32 */
	assert_int_equal(resp->variables->type, ASN_COUNTER);
	assert_int_equal(int_of(resp->variables), 94);
	snmp_free_pdu(resp);
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1",
		    "1.3.6.1.2.1.31.1.1.1.10.2");
	assert_int_equal(c64_of(resp->variables), 800);
	snmp_free_pdu(resp);
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1",
		    "1.3.6.1.2.1.2.2.1.13.2");
	assert_int_equal(int_of(resp->variables), 2);
	snmp_free_pdu(resp);
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1",
		    "1.3.6.1.2.1.31.1.1.1.7.1");
	assert_int_equal(c64_of(resp->variables), 0);
	snmp_free_pdu(resp);
	/* SNMPv1 has no Counter64: GETNEXT goes past them, GET refuses. */
	resp = get1(fx, SNMP_MSG_GETNEXT, SNMP_VERSION_1, "public@acme/blue/r1",
		    "1.3.6.1.2.1.31.1.1.1.5.4");
	assert_string_equal(name_of(resp->variables), "1.3.6.1.2.1.31.1.1.1.14.1");
	snmp_free_pdu(resp);
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_1, "public@acme/blue/r1",
		    "1.3.6.1.2.1.31.1.1.1.6.2");
	assert_int_equal(resp->errstat, SNMP_ERR_NOSUCHNAME);
	snmp_free_pdu(resp);
}

static netsnmp_pdu *set_admin(struct fx *fx, long version, const char *community, const char *name,
			      long value)
{
	netsnmp_pdu *req = pdu_new(SNMP_MSG_SET, version, community);
	oid o[MAX_OID_LEN];

	snmp_pdu_add_variable(req, o, oid_parse(name, o), ASN_INTEGER, &value, sizeof value);
	return ask(fx, req);
}

static bool is_shut(struct fx *fx, size_t i)
{
	const struct model_object *o = model_find(ctl_state_model(fx->state), MODEL_ROUTER, R1);

	return CONTAINER_OF(o, const struct router, hdr)->interfaces[i].shutdown;
}

/* Sets: read-only refused, checks all-or-nothing, the model changes as
 * with `shutdown`, each one audited; and the traps that follow. */
static void test_set_and_traps(void **st)
{
	struct fx *fx = *st;
	netsnmp_pdu *resp, *req;
	const netsnmp_variable_list *v;
	oid o[MAX_OID_LEN];
	long two = 2, one = 1;
	char *error = NULL;

	/* Read-only community. */
	resp = set_admin(fx, SNMP_VERSION_2c, "public@acme/blue/r1", "1.3.6.1.2.1.2.2.1.7.1", 2);
	assert_int_equal(resp->errstat, SNMP_ERR_NOACCESS);
	assert_int_equal(resp->errindex, 1);
	snmp_free_pdu(resp);
	assert_false(is_shut(fx, 0));
	assert_int_equal(fx->n_audit, 1);
	assert_string_equal(fx->audit[0].user, "acme/snmp-ro");
	assert_string_equal(fx->audit[0].device, R1);
	assert_string_equal(fx->audit[0].verdict, "denied");
	assert_string_equal(fx->audit[0].command,
			    "snmpset ifAdminStatus.1 (GigabitEthernet0/0) = down(2)");

	/* One bad varbind: nothing is done. */
	req = pdu_new(SNMP_MSG_SET, SNMP_VERSION_2c, "s3cret@acme/blue/r1");
	snmp_pdu_add_variable(req, o, oid_parse("1.3.6.1.2.1.2.2.1.7.1", o), ASN_INTEGER, &two,
			      sizeof two);
	snmp_pdu_add_variable(req, o, oid_parse("1.3.6.1.2.1.2.2.1.7.9", o), ASN_INTEGER, &two,
			      sizeof two);
	resp = ask(fx, req);
	assert_int_equal(resp->errstat, SNMP_ERR_NOCREATION);
	assert_int_equal(resp->errindex, 2);
	snmp_free_pdu(resp);
	assert_false(is_shut(fx, 0));
	resp = set_admin(fx, SNMP_VERSION_2c, "s3cret@blue/r1", "1.3.6.1.2.1.2.2.1.7.1", 3);
	assert_int_equal(resp->errstat, SNMP_ERR_WRONGVALUE);
	snmp_free_pdu(resp);
	resp = set_admin(fx, SNMP_VERSION_2c, "s3cret@blue/r1", "1.3.6.1.2.1.2.2.1.2.1", 2);
	assert_int_equal(resp->errstat, SNMP_ERR_NOTWRITABLE);
	snmp_free_pdu(resp);
	req = pdu_new(SNMP_MSG_SET, SNMP_VERSION_2c, "s3cret@blue/r1");
	snmp_pdu_add_variable(req, o, oid_parse("1.3.6.1.2.1.2.2.1.7.1", o), ASN_OCTET_STR, "up",
			      2);
	resp = ask(fx, req);
	assert_int_equal(resp->errstat, SNMP_ERR_WRONGTYPE);
	snmp_free_pdu(resp);
	resp = set_admin(fx, SNMP_VERSION_1, "s3cret@blue/r1", "1.3.6.1.2.1.2.2.1.7.1", 3);
	assert_int_equal(resp->errstat, SNMP_ERR_BADVALUE);
	snmp_free_pdu(resp);
	resp = set_admin(fx, SNMP_VERSION_1, "public@acme/blue/r1", "1.3.6.1.2.1.2.2.1.7.1", 2);
	assert_int_equal(resp->errstat, SNMP_ERR_NOSUCHNAME);
	snmp_free_pdu(resp);
	assert_false(is_shut(fx, 0));
	rx_wait(&fx->rx, 0);
	assert_int_equal(fx->n_audit, 7);
	assert_int_equal(fx->audit[2].status, SNMP_ERR_WRONGVALUE);

	/* Down: the model says shutdown, the walk and a trap say so too. */
	dev_snmp_set_test_clock(fx->snmp, T0 + 1230);
	resp = set_admin(fx, SNMP_VERSION_2c, "s3cret@blue/r1", "1.3.6.1.2.1.2.2.1.7.1", 2);
	assert_int_equal(resp->errstat, 0);
	assert_int_equal(int_of(resp->variables), 2);
	snmp_free_pdu(resp);
	assert_true(is_shut(fx, 0));
	assert_int_equal(fx->audit[7].status, 0);
	assert_string_equal(fx->audit[7].user, "acme/snmp-rw");
	assert_string_equal(fx->audit[7].verdict, "run");
	resp =
	    get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1", "1.3.6.1.2.1.2.2.1.8.1");
	assert_int_equal(int_of(resp->variables), 2);
	snmp_free_pdu(resp);
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1",
		    "1.3.6.1.2.1.2.2.1.9.1"); /* ifLastChange: 12.30 s after creation */
	assert_int_equal(int_of(resp->variables), 123);
	snmp_free_pdu(resp);
	rx_wait(&fx->rx, 1);
	v = fx->rx.got[0]->variables;
	assert_int_equal(fx->rx.got[0]->command, SNMP_MSG_TRAP2);
	assert_memory_equal(fx->rx.got[0]->community, "public", 6);
	assert_int_equal(int_of(v), 123); /* sysUpTime.0 */
	v = v->next_variable;
	assert_string_equal(name_of(v), "1.3.6.1.6.3.1.1.4.1.0");
	assert_int_equal(v->val_len, 10 * sizeof(oid));
	assert_int_equal(v->val.objid[9], 3); /* linkDown */
	v = v->next_variable;
	assert_string_equal(name_of(v), "1.3.6.1.2.1.2.2.1.1.1");
	assert_int_equal(int_of(v), 1);
	assert_int_equal(int_of(v->next_variable), 2);		      /* ifAdminStatus down */
	assert_int_equal(int_of(v->next_variable->next_variable), 2); /* ifOperStatus down */
	rx_clear(&fx->rx);

	/* Setting what is already so changes nothing and sends nothing. */
	resp = set_admin(fx, SNMP_VERSION_2c, "s3cret@blue/r1", "1.3.6.1.2.1.2.2.1.7.1", 2);
	assert_int_equal(resp->errstat, 0);
	snmp_free_pdu(resp);
	rx_wait(&fx->rx, 0);

	/* Up again by the API (not SNMP): linkUp all the same. */
	const struct model_object *r1 = model_find(ctl_state_model(fx->state), MODEL_ROUTER, R1);
	json_t *j = json_loads(r1->json, 0, NULL);
	json_object_del(json_array_get(json_object_get(j, "interfaces"), 0), "shutdown");
	char *text = json_dumps(j, JSON_COMPACT);
	if (ctl_state_update(fx->state, MODEL_ROUTER, R1, text, strlen(text), NULL, &error))
		fail_msg("update: %s", error);
	free(text);
	json_decref(j);
	rx_wait(&fx->rx, 1);
	v = fx->rx.got[0]->variables->next_variable;
	assert_int_equal(v->val.objid[9], 4); /* linkUp */
	assert_int_equal(int_of(v->next_variable), 1);
	rx_clear(&fx->rx);

	/* Two at once, and the shut interface 3 comes up: one trap each. */
	req = pdu_new(SNMP_MSG_SET, SNMP_VERSION_2c, "s3cret@acme/blue/r1");
	snmp_pdu_add_variable(req, o, oid_parse("1.3.6.1.2.1.2.2.1.7.2", o), ASN_INTEGER, &two,
			      sizeof two);
	snmp_pdu_add_variable(req, o, oid_parse("1.3.6.1.2.1.2.2.1.7.3", o), ASN_INTEGER, &one,
			      sizeof one);
	resp = ask(fx, req);
	assert_int_equal(resp->errstat, 0);
	snmp_free_pdu(resp);
	assert_true(is_shut(fx, 1));
	assert_false(is_shut(fx, 2));
	rx_wait(&fx->rx, 2);
	assert_int_equal(int_of(fx->rx.got[0]->variables->next_variable->next_variable), 2);
	assert_int_equal(fx->rx.got[0]->variables->next_variable->val.objid[9], 3);
	assert_int_equal(int_of(fx->rx.got[1]->variables->next_variable->next_variable), 3);
	assert_int_equal(fx->rx.got[1]->variables->next_variable->val.objid[9], 4);
	rx_clear(&fx->rx);

	/* A new router: coldStart; its uptime starts now. */
	dev_snmp_set_test_clock(fx->snmp, T0 + 5000);
	static const char r2[] = "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"r2\","
				 "\"interfaces\":[{\"name\":\"e0\",\"subnet\":\"web\",\"ip\":"
				 "\"10.1.1.3\"}]}";
	if (ctl_state_create(fx->state, MODEL_ROUTER, r2, strlen(r2), NULL, &error))
		fail_msg("create: %s", error);
	rx_wait(&fx->rx, 1);
	v = fx->rx.got[0]->variables->next_variable;
	assert_int_equal(v->val.objid[9], 1); /* coldStart */
	char *name = str_of(v->next_variable);
	assert_string_equal(name, "r2");
	free(name);
	rx_clear(&fx->rx);
	dev_snmp_set_test_clock(fx->snmp, T0 + 7000);
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@blue/r2", "1.3.6.1.2.1.1.3.0");
	assert_int_equal(int_of(resp->variables), 200);
	snmp_free_pdu(resp);
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1", "1.3.6.1.2.1.1.3.0");
	assert_int_equal(int_of(resp->variables), 700);
	snmp_free_pdu(resp);
	assert_int_equal(dev_snmp_stats(fx->snmp)->sets_done, 3);
}

/* Replaces R1's first interface by a new one (the model's first place). */
static void replace_first_interface(struct fx *fx)
{
	const struct model_object *r1 = model_find(ctl_state_model(fx->state), MODEL_ROUTER, R1);
	json_t *j = json_loads(r1->json, 0, NULL);
	json_t *ifs = json_object_get(j, "interfaces");
	char *text, *error = NULL;

	json_array_remove(ifs, 0);
	json_array_insert_new(ifs, 0,
			      json_pack("{s:s, s:s, s:s}", "name", "GigabitEthernet0/9", "subnet",
					"web", "ip", "10.1.1.9"));
	text = json_dumps(j, JSON_COMPACT);
	if (ctl_state_update(fx->state, MODEL_ROUTER, R1, text, strlen(text), NULL, &error))
		fail_msg("update: %s", error);
	free(text);
	json_decref(j);
}

static long get_int(struct fx *fx, const char *name)
{
	netsnmp_pdu *resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1", name);
	long x;

	assert_non_null(resp);
	assert_int_equal(resp->errstat, 0);
	x = int_of(resp->variables);
	snmp_free_pdu(resp);
	return x;
}

static void assert_if_descr(struct fx *fx, long ifindex, const char *want)
{
	char name[64];
	netsnmp_pdu *resp;

	snprintf(name, sizeof name, "1.3.6.1.2.1.2.2.1.2.%ld", ifindex);
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1", name);
	char *got = str_of(resp->variables);
	assert_string_equal(got, want);
	free(got);
	snmp_free_pdu(resp);
}

/* An ifIndex stays with its interface (a new first interface takes a new
 * number, a removed one's is not reused), sets and address tables follow
 * it; ifIndex and the creation time (sysUpTime) survive a restart of the
 * agent, and a removed router's state leaves the store. */
static void test_ifindex_and_restart(void **st)
{
	struct fx *fx = *st;
	struct dev_snmp_hooks hooks = {.audit = on_audit, .aux = fx};
	struct walk w;
	netsnmp_pdu *resp;
	char *error = NULL;

	replace_first_interface(fx);
	walk(fx, "public@acme/blue/r1", "1.3.6.1.2.1.2.2.1.2", &w);
	assert_true(walk_count(&w, "1.3.6.1.2.1.2.2.1.2") == 4);
	assert_int_equal(w.names[0][10], 2); /* ifDescr.1 is gone: 2, 3, 4, 5 */
	assert_int_equal(w.names[3][10], 5);
	walk_free(&w);
	assert_if_descr(fx, 2, "GigabitEthernet0/1");
	assert_if_descr(fx, 4, "Loopback0");
	assert_if_descr(fx, 5, "GigabitEthernet0/9");
	assert_int_equal(get_int(fx, "1.3.6.1.2.1.2.1.0"), 4);		    /* ifNumber */
	assert_int_equal(get_int(fx, "1.3.6.1.2.1.2.2.1.1.5"), 5);	    /* ifIndex.5 */
	assert_int_equal(get_int(fx, "1.3.6.1.2.1.4.20.1.2.10.1.1.9"), 5); /* ipAdEntIfIndex */
	assert_int_equal(get_int(fx, "1.3.6.1.2.1.4.20.1.2.10.1.2.1"), 2);
	/* inetCidrRouteIfIndex of the connected 10.1.1.0/24. */
	assert_int_equal(get_int(fx, "1.3.6.1.2.1.4.24.7.1.7.1.4.10.1.1.0.24.2.0.0.0.0"), 5);
	resp = get1(fx, SNMP_MSG_GET, SNMP_VERSION_2c, "public@acme/blue/r1",
		    "1.3.6.1.2.1.2.2.1.2.1");
	assert_int_equal(resp->variables->type, SNMP_NOSUCHINSTANCE);
	snmp_free_pdu(resp);

	/* A set by ifIndex reaches the model's interface at its own place. */
	resp = set_admin(fx, SNMP_VERSION_2c, "s3cret@blue/r1", "1.3.6.1.2.1.2.2.1.7.5", 2);
	assert_int_equal(resp->errstat, 0);
	snmp_free_pdu(resp);
	assert_true(is_shut(fx, 0));
	assert_false(is_shut(fx, 1));
	assert_string_equal(fx->audit[fx->n_audit - 1].command,
			    "snmpset ifAdminStatus.5 (GigabitEthernet0/9) = down(2)");
	rx_wait(&fx->rx, 1);
	assert_int_equal(int_of(fx->rx.got[0]->variables->next_variable->next_variable), 5);
	rx_clear(&fx->rx);
	resp = set_admin(fx, SNMP_VERSION_2c, "s3cret@blue/r1", "1.3.6.1.2.1.2.2.1.7.1", 2);
	assert_int_equal(resp->errstat, SNMP_ERR_NOCREATION);
	snmp_free_pdu(resp);

	/* Restart, as if r1 had been created an hour ago. */
	ctl_state_set_change_cb(fx->state, NULL, NULL);
	dev_snmp_destroy(fx->snmp);
	json_t *doc = state_file(fx);
	json_t *r1 = json_object_get(json_object_get(doc, "routers"), R1);
	assert_int_equal(json_integer_value(json_object_get(r1, "next_ifindex")), 6);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	json_object_set_new(r1, "created", json_integer((json_int_t)now.tv_sec * 1000 - 3600 * 1000));
	assert_int_equal(json_dump_file(doc, fx->path, JSON_COMPACT), 0);
	json_decref(doc);
	fx->snmp = dev_snmp_create(fx->base, fx->state, NULL, NULL, fx->dir, &hooks, &error);
	assert_non_null(fx->snmp);
	ctl_state_set_change_cb(fx->state, on_change, fx);
	long uptime = get_int(fx, "1.3.6.1.2.1.1.3.0");
	assert_in_range(uptime, 360000, 360000 + 6000);
	assert_if_descr(fx, 5, "GigabitEthernet0/9");
	assert_if_descr(fx, 2, "GigabitEthernet0/1");
	rx_wait(&fx->rx, 0); /* no coldStart: nothing was created */

	/* Gone with its router. */
	if (ctl_state_delete(fx->state, MODEL_ROUTER, R1, &error))
		fail_msg("delete: %s", error);
	doc = state_file(fx);
	assert_null(json_object_get(json_object_get(doc, "routers"), R1));
	assert_non_null(json_object_get(json_object_get(doc, "routers"), "initech/green/g1"));
	json_decref(doc);
}

/* An SNMPv3 request as USM hands it over (authenticated, decrypted). */
static netsnmp_pdu *v3_pdu(int command, const char *user, const char *context, int level)
{
	netsnmp_pdu *p = snmp_pdu_create(command);

	p->version = SNMP_VERSION_3;
	p->securityModel = SNMP_SEC_MODEL_USM;
	p->securityLevel = level;
	p->securityName = xstrdup(user);
	p->securityNameLen = strlen(user);
	p->contextName = xstrdup(context);
	p->contextNameLen = strlen(context);
	return p;
}

static netsnmp_pdu *v3_get(struct fx *fx, const char *user, const char *context, int level,
			   const char *name)
{
	netsnmp_pdu *req = v3_pdu(SNMP_MSG_GET, user, context, level);
	oid o[MAX_OID_LEN];

	snmp_add_null_var(req, o, oid_parse(name, o));
	return ask(fx, req);
}

static const struct user *model_user(struct fx *fx, const char *tenant, const char *name)
{
	const struct model_object *o = model_find(ctl_state_model(fx->state), MODEL_TENANT, tenant);
	const struct tenant *t = CONTAINER_OF(o, const struct tenant, hdr);

	for (size_t i = 0; i < t->n_users; i++)
		if (!strcmp(t->users[i].name, name))
			return &t->users[i];
	return NULL;
}

/* SNMPv3: the model keeps net-snmp's key of the password (RFC 7860
 * password-to-key), USM gets a user per SNMPv3 tenant user, the context
 * names the router within the user's tenant, authPriv only, admins set and
 * others read, sets audited with the user's name; the engine ID stays and
 * its boot counter grows across restarts. */
static void test_v3(void **st)
{
	struct fx *fx = *st;
	struct dev_snmp_hooks hooks = {.audit = on_audit, .aux = fx};
	u_char ku[64], engine[64];
	size_t ku_len = sizeof ku, engine_len;
	char hex[2 * sizeof ku + 1], *text, *error = NULL;
	netsnmp_pdu *resp, *req;
	oid o[MAX_OID_LEN];
	long two = 2;

	assert_int_equal(generate_Ku(usmHMAC192SHA256AuthProtocol, USM_AUTH_PROTO_SHA_LEN,
				     (const u_char *)"maplesyrup", 10, ku, &ku_len),
			 SNMPERR_SUCCESS);
	assert_int_equal(ku_len, 32);
	sodium_bin2hex(hex, sizeof hex, ku, ku_len);
	assert_string_equal(model_user(fx, "acme", "ann")->snmp_key, hex);
	assert_null(model_user(fx, "acme", "bob")->snmp_key);

	engine_len = snmpv3_get_engineID(engine, sizeof engine);
	assert_true(engine_len >= 5);
	assert_non_null(usm_get_user(engine, engine_len, "ann@acme"));
	assert_non_null(usm_get_user(engine, engine_len, "vic@acme"));
	assert_null(usm_get_user(engine, engine_len, "bob@acme"));

	/* The context in both forms. */
	resp = v3_get(fx, "ann@acme", "blue/r1", SNMP_SEC_LEVEL_AUTHPRIV, "1.3.6.1.2.1.1.5.0");
	assert_int_equal(resp->errstat, 0);
	text = str_of(resp->variables);
	assert_string_equal(text, "r1");
	free(text);
	snmp_free_pdu(resp);
	resp = v3_get(fx, "vic@acme", "acme/blue/r1", SNMP_SEC_LEVEL_AUTHPRIV,
		      "1.3.6.1.2.1.1.5.0");
	assert_int_equal(resp->errstat, 0);
	snmp_free_pdu(resp);

	/* authorizationError: another tenant's router, an unknown one, below
	 * authPriv, a user without snmpv3. */
	static const struct {
		const char *user, *context;
		int level;
	} denied[] = {
	    {"ann@acme", "initech/blue/r1", SNMP_SEC_LEVEL_AUTHPRIV},
	    {"ann@acme", "blue/r9", SNMP_SEC_LEVEL_AUTHPRIV},
	    {"ann@acme", "", SNMP_SEC_LEVEL_AUTHPRIV},
	    {"ann@acme", "blue/r1", SNMP_SEC_LEVEL_AUTHNOPRIV},
	    {"ann@acme", "blue/r1", SNMP_SEC_LEVEL_NOAUTH},
	    {"bob@acme", "blue/r1", SNMP_SEC_LEVEL_AUTHPRIV},
	    {"ann@initech", "blue/r1", SNMP_SEC_LEVEL_AUTHPRIV},
	};
	for (size_t i = 0; i < ARRAY_SIZE(denied); i++) {
		resp = v3_get(fx, denied[i].user, denied[i].context, denied[i].level,
			      "1.3.6.1.2.1.1.5.0");
		assert_non_null(resp);
		assert_int_equal(resp->errstat, SNMP_ERR_AUTHORIZATIONERROR);
		assert_null(resp->variables);
		snmp_free_pdu(resp);
	}

	/* A viewer reads only; an admin sets, audited as itself. */
	req = v3_pdu(SNMP_MSG_SET, "vic@acme", "blue/r1", SNMP_SEC_LEVEL_AUTHPRIV);
	snmp_pdu_add_variable(req, o, oid_parse("1.3.6.1.2.1.2.2.1.7.1", o), ASN_INTEGER, &two,
			      sizeof two);
	resp = ask(fx, req);
	assert_int_equal(resp->errstat, SNMP_ERR_NOACCESS);
	snmp_free_pdu(resp);
	assert_string_equal(fx->audit[fx->n_audit - 1].user, "acme/vic");
	assert_string_equal(fx->audit[fx->n_audit - 1].verdict, "denied");
	req = v3_pdu(SNMP_MSG_SET, "ann@acme", "blue/r1", SNMP_SEC_LEVEL_AUTHPRIV);
	snmp_pdu_add_variable(req, o, oid_parse("1.3.6.1.2.1.2.2.1.7.1", o), ASN_INTEGER, &two,
			      sizeof two);
	resp = ask(fx, req);
	assert_int_equal(resp->errstat, 0);
	snmp_free_pdu(resp);
	assert_true(is_shut(fx, 0));
	assert_string_equal(fx->audit[fx->n_audit - 1].user, "acme/ann");
	assert_string_equal(fx->audit[fx->n_audit - 1].verdict, "run");

	/* snmpv3 off: USM forgets the user. */
	const struct model_object *t = model_find(ctl_state_model(fx->state), MODEL_TENANT, "acme");
	json_t *j = json_loads(t->json, 0, NULL);
	json_object_del(json_array_get(json_object_get(j, "users"), 1), "snmpv3");
	text = json_dumps(j, JSON_COMPACT);
	if (ctl_state_update(fx->state, MODEL_TENANT, "acme", text, strlen(text), NULL, &error))
		fail_msg("update: %s", error);
	free(text);
	json_decref(j);
	assert_null(usm_get_user(engine, engine_len, "vic@acme"));
	assert_non_null(usm_get_user(engine, engine_len, "ann@acme"));

	/* A restart: the same engine, one boot more; the store untouched
	 * (its revision is the model's). */
	uint64_t revision = ctl_state_revision(fx->state);
	json_t *doc_before = state_file(fx), *doc_after;
	const json_t *before = json_object_get(doc_before, "engine"), *after;

	ctl_state_set_change_cb(fx->state, NULL, NULL);
	dev_snmp_destroy(fx->snmp);
	assert_null(usm_get_user(engine, engine_len, "ann@acme"));
	fx->snmp = dev_snmp_create(fx->base, fx->state, NULL, NULL, fx->dir, &hooks, &error);
	assert_non_null(fx->snmp);
	ctl_state_set_change_cb(fx->state, on_change, fx);
	doc_after = state_file(fx);
	after = json_object_get(doc_after, "engine");
	assert_int_equal(ctl_state_revision(fx->state), revision);
	assert_string_equal(json_string_value(json_object_get(after, "id")),
			    json_string_value(json_object_get(before, "id")));
	assert_int_equal(json_integer_value(json_object_get(after, "boots")),
			 json_integer_value(json_object_get(before, "boots")) + 1);
	assert_int_equal(snmpv3_local_snmpEngineBoots(),
			 json_integer_value(json_object_get(after, "boots")));
	assert_int_equal(snmpv3_get_engineID(engine, sizeof engine), engine_len);
	assert_non_null(usm_get_user(engine, engine_len, "ann@acme"));
	json_decref(doc_before);
	json_decref(doc_after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_community, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tables_match_view, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_getnext_vs_linear, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_big_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_and_traps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ifindex_and_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_v3, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
