// SPDX-License-Identifier: Apache-2.0
/*
 * The IOS-style commands of a simulated router, declared as data (see
 * engine.h), and their handlers: each maps the command onto the substrate
 * (the model through the same validated path as the REST API, the
 * agents' counters) and prints the answer as IOS would.
 */
#include "agents.h"
#include "onm/codec.h"
#include "onm/ds.h"
#include "onm/model.h"
#include "onm/units.h"
#include "onm/util.h"
#include "router-view.h"
#include "service-private.h"
#include "state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef ONM_VERSION
#define ONM_VERSION "0.1.0"
#endif

static struct dev_session *session(struct dev_exec *x)
{
	return dev_exec_device(x);
}

/* The session's router as a view; false (with "% ..." printed) if it is
 * gone. 'counters': sum the agents' counters (a fan-out). */
static bool view_of(struct dev_exec *x, struct router_view *v, bool counters)
{
	struct dev_session *s = session(x);
	json_t *agents = counters ? dev_service_counters(s->service) : NULL;
	bool ok = router_view_build(v, dev_service_model(s->service), s->device, agents);

	json_decref(agents);
	if (!ok)
		dev_printf(x, "%% This device no longer exists\n");
	return ok;
}

/* "255.255.255.0" for a prefix length. */
static void mask_format(uint8_t len, char buf[IPV4_ADDR_STRLEN])
{
	ipv4_format(ipv4_mask(len), buf);
}

/* "1 day, 2 hours, 3 minutes" as IOS prints uptime. */
static void uptime_format(uint64_t ms, char *buf, size_t size)
{
	uint64_t min = ms / 60000, days = min / 1440, hours = min / 60 % 24;

	min %= 60;
	if (days)
		snprintf(buf, size, "%" PRIu64 " day%s, %" PRIu64 " hour%s, %" PRIu64 " minute%s",
			 days, days == 1 ? "" : "s", hours, hours == 1 ? "" : "s", min,
			 min == 1 ? "" : "s");
	else
		snprintf(buf, size, "%" PRIu64 " hour%s, %" PRIu64 " minute%s", hours,
			 hours == 1 ? "" : "s", min, min == 1 ? "" : "s");
}

static uint64_t now_ms(struct dev_exec *x)
{
	return dev_service_now_ms(session(x)->service);
}

/* Viewers see nothing of the substrate (hosts, underlay addresses, VNIs)
 * nor other users' addresses. */
static bool is_viewer(struct dev_exec *x)
{
	return dev_exec_role(x) < DEV_ROLE_OPERATOR;
}

/* ---- show ---- */

static int show_version(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *s = session(x);
	struct router_view v;
	char up[96];

	if (!view_of(x, &v, false))
		return -1;
	uptime_format(now_ms(x) - s->service->started_ms, up, sizeof up);
	dev_printf(x,
		   "onm Virtual Router Software, Version " ONM_VERSION "\n"
		   "Copyright (c) the onm authors\n"
		   "\n"
		   "%s uptime is %s\n"
		   "System image file is \"onm:virtual-router\"\n"
		   "\n"
		   "onm virtual router %s of network %s",
		   v.router->name, up, v.router->hdr.id, v.network->name);
	if (!is_viewer(x))
		dev_printf(x, " (VNI %" PRIu32 ")", v.network->vni);
	dev_printf(x, "\n%zu virtual Ethernet interface%s\n", v.n_ifs, v.n_ifs == 1 ? "" : "s");
	router_view_uninit(&v);
	return 0;
}

static void put_route(struct dev_exec *x, const struct rv_route *r)
{
	char p[IPV4_PREFIX_STRLEN], via[IPV4_ADDR_STRLEN];

	ipv4_prefix_format(&r->prefix, p);
	switch (r->type) {
	case RV_CONNECTED:
		dev_printf(x, "C        %s is directly connected, %s\n", p, r->ifname);
		break;
	case RV_LOCAL:
		dev_printf(x, "L        %s is directly connected, %s\n", p, r->ifname);
		break;
	case RV_STATIC:
		ipv4_format(r->via, via);
		dev_printf(x, "S        %s [1/0] via %s\n", p, via);
		break;
	}
}

static int show_ip_route(struct dev_exec *x, const struct dev_args *a)
{
	const char *prefix = dev_arg(a, "prefix"), *addr = dev_arg(a, "address");
	struct ipv4_prefix want = {0, 0};
	uint32_t ip = 0;
	struct router_view v;
	size_t shown = 0;

	if (prefix && !ipv4_prefix_parse(prefix, &want)) {
		dev_printf(x, "%% Invalid prefix %s\n", prefix);
		return -1;
	}
	if (addr && !ipv4_parse(addr, &ip)) {
		dev_printf(x, "%% Invalid address %s\n", addr);
		return -1;
	}
	if (!view_of(x, &v, false))
		return -1;
	if (!prefix && !addr)
		dev_printf(x, "Codes: L - local, C - connected, S - static\n"
			      "\n"
			      "Gateway of last resort is not set\n"
			      "\n");
	for (size_t i = 0; i < v.n_routes; i++) {
		const struct rv_route *r = &v.routes[i];

		if (prefix && (r->prefix.addr != want.addr || r->prefix.len != want.len))
			continue;
		if (addr && !ipv4_prefix_contains(&r->prefix, ip))
			continue;
		put_route(x, r);
		shown++;
	}
	router_view_uninit(&v);
	if ((prefix || addr) && !shown) {
		dev_printf(x, "%% Network not in table\n");
		return -1;
	}
	return 0;
}

static int show_ip_interface_brief(struct dev_exec *x, const struct dev_args *a)
{
	struct router_view v;

	if (!view_of(x, &v, false))
		return -1;
	dev_printf(x, "%-26s %-15s OK? Method Status                Protocol\n", "Interface",
		   "IP-Address");
	for (size_t i = 0; i < v.n_ifs; i++) {
		const struct rv_interface *ifc = &v.ifs[i];
		char ip[IPV4_ADDR_STRLEN];

		ipv4_format(ifc->ip, ip);
		dev_printf(x, "%-26s %-15s YES manual %-21s %s\n", ifc->name, ip,
			   !ifc->admin_up ? "administratively down" : ifc->oper_up ? "up" : "down",
			   ifc->oper_up && ifc->admin_up ? "up" : "down");
	}
	router_view_uninit(&v);
	return 0;
}

/* "00:05:12", "1d02h", "3w2d": an elapsed time as IOS writes it in
 * "Last clearing" and the like. */
static void elapsed_format(uint64_t ms, char *buf, size_t size)
{
	uint64_t s = ms / 1000, h = s / 3600, d = h / 24;

	if (d >= 7)
		snprintf(buf, size, "%" PRIu64 "w%" PRIu64 "d", d / 7, d % 7);
	else if (d)
		snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", d, h % 24);
	else
		snprintf(buf, size, "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64, h, s / 60 % 60, s % 60);
}

static void put_interface(struct dev_exec *x, struct rv_interface *ifc)
{
	struct dev_session *s = session(x);
	uint64_t cleared = dev_counters_since_clear(s->service, s->device, ifc);
	char ip[IPV4_ADDR_STRLEN], ago[32] = "never";
	const uint8_t *m = ifc->mac.b;

	ipv4_format(ifc->ip, ip);
	dev_printf(x, "%s is %s, line protocol is %s\n", ifc->name,
		   !ifc->admin_up ? "administratively down" : ifc->oper_up ? "up" : "down",
		   ifc->admin_up && ifc->oper_up ? "up" : "down");
	dev_printf(x,
		   "  Hardware is onm virtual Ethernet, address is %02x%02x.%02x%02x.%02x%02x "
		   "(bia %02x%02x.%02x%02x.%02x%02x)\n",
		   m[0], m[1], m[2], m[3], m[4], m[5], m[0], m[1], m[2], m[3], m[4], m[5]);
	if (ifc->description)
		dev_printf(x, "  Description: %s\n", ifc->description);
	dev_printf(x, "  Internet address is %s/%u\n", ip, (unsigned int)ifc->cidr.len);
	if (cleared)
		elapsed_format(now_ms(x) > cleared ? now_ms(x) - cleared : 0, ago, sizeof ago);
	dev_printf(x, "  MTU 1450 bytes, BW 1000000 Kbit/sec, DLY 10 usec,\n"
		      "  Encapsulation ARPA, loopback not set\n"
		      "  Last clearing of \"show interface\" counters %s\n",
		   ago);
	dev_printf(x, "     %" PRIu64 " packets input, %" PRIu64 " bytes, 0 no buffer\n",
		   ifc->rx_packets, ifc->rx_bytes);
	dev_printf(x, "     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored\n");
	dev_printf(x, "     %" PRIu64 " packets output, %" PRIu64 " bytes, 0 underruns\n",
		   ifc->tx_packets, ifc->tx_bytes);
	dev_printf(x, "     0 output errors, %" PRIu64 " output drops\n", ifc->drops);
}

static int show_interfaces(struct dev_exec *x, const struct dev_args *a)
{
	const char *name = dev_arg(a, "name");
	struct router_view v;

	if (!view_of(x, &v, true))
		return -1;
	for (size_t i = 0; i < v.n_ifs; i++)
		if (!name || !strcmp(name, v.ifs[i].name))
			put_interface(x, &v.ifs[i]);
	router_view_uninit(&v);
	return 0;
}

/* "10.1.2.0 0.0.0.255", "host 10.1.2.1" or "any", as an IOS access list
 * writes an address. */
static void acl_addr_put(struct ds *out, const struct ipv4_prefix *p)
{
	char a[IPV4_ADDR_STRLEN], w[IPV4_ADDR_STRLEN];

	if (!p->len) {
		ds_put_cstr(out, "any");
		return;
	}
	ipv4_format(p->addr, a);
	if (p->len == 32) {
		ds_put_format(out, "host %s", a);
		return;
	}
	ipv4_format(~ipv4_mask(p->len), w);
	ds_put_format(out, "%s %s", a, w);
}

/* "permit tcp any 10.1.2.0 0.0.0.255 eq 80"; 'pad' aligns the protocol
 * as running-config does ("deny   ip any any"). */
static void acl_rule_put(struct ds *out, const struct acl_rule *rule, bool pad)
{
	ds_put_format(out, pad ? "%-6s " : "%s ", codec_acl_action_name(rule->action));
	ds_put_format(out, "%s ", codec_acl_proto_name(rule->proto));
	acl_addr_put(out, &rule->src);
	ds_put_char(out, ' ');
	acl_addr_put(out, &rule->dst);
	if (rule->port)
		ds_put_format(out, " eq %u", (unsigned int)rule->port);
}

static const struct subnet *subnet_named(const struct network *n, const char *name)
{
	for (size_t i = 0; n && i < n->n_subnets; i++)
		if (!strcmp(n->subnets[i].name, name))
			return &n->subnets[i];
	return NULL;
}

static void config_interfaces(struct ds *out, const struct router *r, const struct network *n)
{
	char ip[IPV4_ADDR_STRLEN], mask[IPV4_ADDR_STRLEN];

	for (size_t i = 0; i < r->n_interfaces; i++) {
		const struct router_interface *ifc = &r->interfaces[i];
		const struct subnet *sn = subnet_named(n, ifc->subnet);

		ds_put_format(out, "interface %s\n", ifc->name);
		if (ifc->description)
			ds_put_format(out, " description %s\n", ifc->description);
		ipv4_format(ifc->ip, ip);
		if (sn) {
			mask_format(sn->cidr.len, mask);
			ds_put_format(out, " ip address %s %s\n", ip, mask);
		} else {
			ds_put_cstr(out, " no ip address\n");
		}
		if (ifc->acl_in)
			ds_put_format(out, " ip access-group %s in\n", ifc->acl_in);
		if (ifc->acl_out)
			ds_put_format(out, " ip access-group %s out\n", ifc->acl_out);
		if (ifc->shape_bps)
			ds_put_format(out, " traffic-shape rate %" PRIu64 "\n", ifc->shape_bps);
		if (ifc->shutdown)
			ds_put_cstr(out, " shutdown\n");
		ds_put_cstr(out, "!\n");
	}
}

static void config_router(struct ds *out, const struct router *r)
{
	char ip[IPV4_ADDR_STRLEN], mask[IPV4_ADDR_STRLEN], via[IPV4_ADDR_STRLEN];

	for (size_t i = 0; i < r->n_routes; i++) {
		const struct static_route *rt = &r->routes[i];

		ipv4_format(rt->prefix.addr, ip);
		mask_format(rt->prefix.len, mask);
		ipv4_format(rt->via, via);
		ds_put_format(out, "ip route %s %s %s\n", ip, mask, via);
	}
	if (r->n_routes)
		ds_put_cstr(out, "!\n");
	for (size_t i = 0; i < r->n_acls; i++) {
		const struct router_acl *acl = &r->acls[i];

		ds_put_format(out, "ip access-list extended %s\n", acl->name);
		for (size_t k = 0; k < acl->n_rules; k++) {
			ds_put_char(out, ' ');
			acl_rule_put(out, &acl->rules[k], true);
			ds_put_char(out, '\n');
		}
		ds_put_cstr(out, "!\n");
	}
	for (size_t i = 0; i < r->n_redirects; i++) {
		ipv4_format(r->redirects[i].from, ip);
		ipv4_format(r->redirects[i].to, via);
		ds_put_format(out, "redirect %s to %s\n", ip, via);
	}
	if (r->n_redirects)
		ds_put_cstr(out, "!\n");
}

/* The user's part: aliases, and the idle timeout when it is not IOS's
 * default (10 minutes), under "line vty" as IOS writes it. */
static void config_user(struct ds *out, const struct user *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n_aliases; i++)
		ds_put_format(out, "alias exec %s %s\n", u->aliases[i].name,
			      u->aliases[i].command);
	if (u->n_aliases)
		ds_put_cstr(out, "!\n");
	if (u->exec_timeout_s != USER_EXEC_TIMEOUT_DEFAULT_S)
		ds_put_format(out, "line vty 0 4\n exec-timeout %" PRIu32 " %" PRIu32 "\n!\n",
			      u->exec_timeout_s / 60, u->exec_timeout_s % 60);
}

/* A router's configuration as IOS writes it, from "!" after the header to
 * "end". */
static void config_write(struct ds *out, const struct router *r, const struct network *n,
			 const struct user *u)
{
	ds_put_format(out, "!\nversion " ONM_VERSION "\n!\nhostname %s\n!\n", r->name);
	config_interfaces(out, r, n);
	config_router(out, r);
	config_user(out, u);
	ds_put_cstr(out, "end\n");
}

static const struct network *network_of(const struct model *m, const struct router *r)
{
	char *id = xasprintf("%s/%s", r->tenant, r->network);
	const struct model_object *o = model_find(m, MODEL_NETWORK, id);

	free(id);
	return o ? CONTAINER_OF(o, const struct network, hdr) : NULL;
}

/* The running configuration of the router, as IOS writes it. */
static int show_running_config(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *s = session(x);
	const struct model *m = dev_service_model(s->service);
	const struct model_object *o = model_find(m, MODEL_ROUTER, s->device);
	const struct router *r = o ? CONTAINER_OF(o, const struct router, hdr) : NULL;
	struct ds body = DS_EMPTY_INITIALIZER;

	if (!r) {
		dev_printf(x, "%% This device no longer exists\n");
		return -1;
	}
	config_write(&body, r, network_of(m, r), dev_session_user(s));
	dev_printf(x, "Building configuration...\n\nCurrent configuration : %zu bytes\n%s",
		   body.length, ds_cstr(&body));
	ds_destroy(&body);
	return 0;
}

/* The startup configuration: what `write memory` saved (or the API last
 * wrote). */
static int show_startup_config(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *s = session(x);
	json_t *j = dev_router_startup_json(s->service, s->device);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL, *error;
	struct model_object *obj = NULL;
	struct ds body = DS_EMPTY_INITIALIZER;

	json_decref(j);
	if (!text) {
		dev_printf(x, "%% This device no longer exists\n");
		return -1;
	}
	error = codec_object_parse_json(MODEL_ROUTER, text, strlen(text), "startup", &obj);
	free(text);
	if (error) {
		dev_printf(x, "%% The startup configuration is unreadable: %s\n", error);
		free(error);
		return -1;
	}
	const struct router *r = CONTAINER_OF(obj, const struct router, hdr);

	config_write(&body, r, network_of(dev_service_model(s->service), r), dev_session_user(s));
	dev_printf(x, "Using %zu out of 262144 bytes\n%s", body.length, ds_cstr(&body));
	ds_destroy(&body);
	model_object_destroy(obj);
	return 0;
}

static int write_memory(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *s = session(x);
	char *error = NULL;
	int rc;

	dev_printf(x, "Building configuration...\n");
	rc = dev_router_write_memory(s->service, s->device, &error);
	if (rc)
		dev_printf(x, "%% %s\n", error);
	else
		dev_printf(x, "[OK]\n");
	free(error);
	return rc ? -1 : 0;
}

static const struct router *session_router(struct dev_exec *x)
{
	struct dev_session *s = session(x);
	const struct model_object *o =
	    model_find(dev_service_model(s->service), MODEL_ROUTER, s->device);

	if (!o)
		dev_printf(x, "%% This device no longer exists\n");
	return o ? CONTAINER_OF(o, const struct router, hdr) : NULL;
}

static int show_access_lists(struct dev_exec *x, const struct dev_args *a)
{
	const struct router *r = session_router(x);
	struct ds line = DS_EMPTY_INITIALIZER;

	if (!r)
		return -1;
	for (size_t i = 0; i < r->n_acls; i++) {
		const struct router_acl *acl = &r->acls[i];

		dev_printf(x, "Extended IP access list %s\n", acl->name);
		for (size_t k = 0; k < acl->n_rules; k++) {
			ds_clear(&line);
			acl_rule_put(&line, &acl->rules[k], false);
			dev_printf(x, "    %zu %s\n", (k + 1) * 10, ds_cstr(&line));
		}
	}
	ds_destroy(&line);
	return 0;
}

/* What the router routed, summed over its interfaces and the agents. */
static int show_ip_traffic(struct dev_exec *x, const struct dev_args *a)
{
	uint64_t rx_p = 0, rx_b = 0, tx_p = 0, tx_b = 0, drops = 0;
	struct router_view v;

	if (!view_of(x, &v, true))
		return -1;
	for (size_t i = 0; i < v.n_ifs; i++) {
		rx_p += v.ifs[i].rx_packets;
		rx_b += v.ifs[i].rx_bytes;
		tx_p += v.ifs[i].tx_packets;
		tx_b += v.ifs[i].tx_bytes;
		drops += v.ifs[i].drops;
	}
	dev_printf(x,
		   "IP statistics:\n"
		   "  Rcvd:  %" PRIu64 " total, %" PRIu64 " bytes\n"
		   "  Sent:  %" PRIu64 " forwarded, %" PRIu64 " bytes\n"
		   "  Drop:  %" PRIu64 " dropped\n",
		   rx_p, rx_b, tx_p, tx_b, drops);
	for (size_t i = 0; i < v.n_ifs; i++)
		dev_printf(x,
			   "  %s: %" PRIu64 " in, %" PRIu64 " out, %" PRIu64 " dropped\n",
			   v.ifs[i].name, v.ifs[i].rx_packets, v.ifs[i].tx_packets,
			   v.ifs[i].drops);
	router_view_uninit(&v);
	return 0;
}

/* Line numbers as a small IOS router has them: "0 con 0", then "2 vty 0",
 * "3 vty 1", ... ('clear line' takes either form). */
#define LINE_FIRST_VTY 2

static int show_users(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *self = session(x);
	uint64_t now = now_ms(x);

	dev_printf(x, "    Line       User       Host(s)              Idle       Location\n");
	for (struct dev_session *s = self->service->sessions; s; s = s->next) {
		char line[16], idle[32];

		if (s->closing || strcmp(s->device, self->device))
			continue;
		if (s->vty < 0)
			snprintf(line, sizeof line, "con 0");
		else
			snprintf(line, sizeof line, "vty %d", s->vty);
		elapsed_format(now > s->active_ms ? now - s->active_ms : 0, idle, sizeof idle);
		/* A viewer sees where others come from no more than the
		 * substrate: only its own address. */
		dev_printf(x, "%c%3d %-9s %-10s %-20s %-8s %s\n", s == self ? '*' : ' ',
			   s->vty < 0 ? 0 : s->vty + LINE_FIRST_VTY, line, s->user, "idle", idle,
			   s == self || !is_viewer(x) ? s->source : "-");
	}
	return 0;
}

/* clear line vty N | clear line N: ends the session on that line. */
static int clear_line(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *self = session(x);
	long n = dev_arg_int(a, "vty", -1);
	int vty;
	struct dev_session *victim;

	if (n < 0) {
		n = dev_arg_int(a, "line", 0);
		if (n > 0 && n < LINE_FIRST_VTY) {
			dev_printf(x, "%% Line %ld is not in use\n", n);
			return -1;
		}
		n = n ? n - LINE_FIRST_VTY : -1; /* 0: the console */
	}
	vty = (int)n;
	if (vty == self->vty) {
		dev_printf(x, "%% Not allowed to clear current line\n");
		return -1;
	}
	victim = dev_session_on_line(self, vty);
	if (!victim) {
		dev_printf(x, "%% Line %ld is not in use\n",
			   vty < 0 ? 0L : (long)vty + LINE_FIRST_VTY);
		return -1;
	}
	dev_session_clear(victim);
	dev_printf(x, " [OK]\n");
	return 0;
}

/* clear counters [IFNAME]: show interfaces counts from now on. */
static int clear_counters(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *s = session(x);
	const char *name = dev_arg(a, "name");
	char *error = NULL;
	struct router_view v;
	int rc;

	if (!view_of(x, &v, true))
		return -1;
	rc = dev_counters_clear(s->service, s->device, &v, name, &error);
	router_view_uninit(&v);
	if (rc) {
		dev_printf(x, "%% %s\n", error);
		free(error);
		return -1;
	}
	return 0;
}

/* The device's log: the audit records of this router, as IOS's
 * configuration logger and login messages print them. Viewers do not see
 * source addresses. */
static int show_logging(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *s = session(x);
	json_t *doc = dev_service_audit_json(s->service, s->tenant, AUDIT_KEEP);
	const json_t *rec;
	size_t i, n = 0;

	json_array_foreach (json_object_get(doc, "items"), i, rec)
		n += !strcmp(json_string_value(json_object_get(rec, "device")) ?: "", s->device);
	dev_printf(x, "Log Buffer (%zu messages):\n\n", n);
	json_array_foreach (json_object_get(doc, "items"), i, rec) {
		const char *get[] = {"time", "user", "source", "verdict", "command"};
		const char *v[ARRAY_SIZE(get)];
		const char *user;

		if (strcmp(json_string_value(json_object_get(rec, "device")) ?: "", s->device))
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(get); k++)
			v[k] = json_string_value(json_object_get(rec, get[k])) ?: "";
		user = strchr(v[1], '/') ? strchr(v[1], '/') + 1 : v[1];
		if (!strcmp(v[3], "run"))
			dev_printf(x, "%s: %%PARSER-5-CFGLOG_LOGGEDCMD: User:%s  logged command:%s\n",
				   v[0], user, v[4]);
		else if (!strcmp(v[3], "denied"))
			dev_printf(x, "%s: %%PARSER-4-BADCFG: User:%s  denied command:%s\n", v[0],
				   user, v[4]);
		else if (is_viewer(x))
			dev_printf(x, "%s: %%SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: %s]\n",
				   v[0], user);
		else
			dev_printf(x,
				   "%s: %%SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: %s] "
				   "[Source: %s]\n",
				   v[0], user, v[2]);
	}
	json_decref(doc);
	return 0;
}

static int show_logging_audit(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *s = session(x);
	json_t *doc = dev_service_audit_json(s->service, s->tenant, AUDIT_KEEP);
	const json_t *rec;
	size_t i;

	dev_printf(x, "Audit log (%zu records):\n",
		   json_array_size(json_object_get(doc, "items")));
	json_array_foreach (json_object_get(doc, "items"), i, rec)
		dev_printf(x, "%s %s %s from %s: %s \"%s\"\n",
			   json_string_value(json_object_get(rec, "time")),
			   json_string_value(json_object_get(rec, "user")),
			   json_string_value(json_object_get(rec, "device")),
			   json_string_value(json_object_get(rec, "source")),
			   json_string_value(json_object_get(rec, "verdict")),
			   json_string_value(json_object_get(rec, "command")));
	json_decref(doc);
	return 0;
}

/* ---- configuration ---- */

static int configure_terminal(struct dev_exec *x, const struct dev_args *a)
{
	dev_printf(x, "Enter configuration commands, one per line.  End with CNTL/Z.\n");
	dev_exec_set_mode(x, DEV_MODE_CONFIG, NULL);
	return 0;
}

/* "10.9.0.0" + "255.255.0.0" -> "10.9.0.0/16"; false if the mask is not
 * contiguous or the address has host bits. */
static bool prefix_of(const char *addr, const char *mask, char *out, size_t size)
{
	uint32_t a, m;
	unsigned int len = 0;

	if (!ipv4_parse(addr, &a) || !ipv4_parse(mask, &m))
		return false;
	while (len < 32 && (m & (UINT32_C(1) << (31 - len))))
		len++;
	if (m != ipv4_mask((uint8_t)len) || (a & ~m))
		return false;
	snprintf(out, size, "%s/%u", addr, len);
	return true;
}

/* The session's router as JSON to change, or NULL ("% ..." printed). */
static json_t *router_edit(struct dev_exec *x)
{
	struct dev_session *s = session(x);
	json_t *r = dev_router_json(s->service, s->device);

	if (!r)
		dev_printf(x, "%% This device no longer exists\n");
	return r;
}

/* Commits 'router' (and frees it). */
static int router_commit(struct dev_exec *x, json_t *router)
{
	int rc = dev_session_router_update(x, router);

	json_decref(router);
	return rc;
}

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Do 'text' (as the model writes it) and 'want' name the same address? */
static bool same_addr(const char *text, uint32_t want)
{
	uint32_t a;

	return text && ipv4_parse(text, &a) && a == want;
}

static int ip_route(struct dev_exec *x, const struct dev_args *a)
{
	char prefix[IPV4_PREFIX_STRLEN + 4];
	const char *via_s = dev_arg(a, "via");
	bool no = dev_arg(a, "no") != NULL;
	struct ipv4_prefix want;
	uint32_t via = 0;
	json_t *router, *routes, *rt;
	size_t i, removed = 0;

	if (!prefix_of(dev_arg(a, "prefix"), dev_arg(a, "mask"), prefix, sizeof prefix) ||
	    !ipv4_prefix_parse(prefix, &want)) {
		dev_printf(x, "%% Inconsistent address and mask\n");
		return -1;
	}
	if (via_s && !ipv4_parse(via_s, &via)) {
		dev_printf(x, "%% Invalid next hop %s\n", via_s);
		return -1;
	}
	router = router_edit(x);
	if (!router)
		return -1;
	routes = json_object_get(router, "routes");
	for (i = 0; i < json_array_size(routes);) {
		struct ipv4_prefix p;

		rt = json_array_get(routes, i);
		if (!ipv4_prefix_parse(str_of(rt, "prefix") ?: "", &p) || p.addr != want.addr ||
		    p.len != want.len) {
			i++;
		} else if (no && (!via_s || same_addr(str_of(rt, "via"), via))) {
			json_array_remove(routes, i);
			removed++;
		} else if (!no && same_addr(str_of(rt, "via"), via)) {
			json_decref(router); /* there already: nothing to do */
			return 0;
		} else if (!no) {
			dev_printf(x, "%% A route to %s already exists via %s\n", prefix,
				   str_of(rt, "via"));
			json_decref(router);
			return -1;
		} else {
			i++;
		}
	}
	if (no && !removed) {
		dev_printf(x, "%%No matching route to delete\n");
		json_decref(router);
		return -1;
	}
	if (!no)
		json_array_append_new(routes, json_pack("{s:s, s:s}", "prefix", prefix, "via", via_s));
	return router_commit(x, router);
}

static int interface_mode(struct dev_exec *x, const struct dev_args *a)
{
	dev_exec_set_mode(x, DEV_MODE_CONFIG_IF, dev_arg(a, "name"));
	return 0;
}

/* ---- interface configuration ---- */

/* Changes the interface of config-if mode: 'edit' gets its JSON object
 * and the router's, then the router is committed. */
static int interface_change(struct dev_exec *x, const struct dev_args *a,
			    int (*edit)(struct dev_exec *, const struct dev_args *, json_t *ifc,
					json_t *router))
{
	const char *name = dev_exec_mode_arg(x);
	json_t *router = router_edit(x), *ifc, *found = NULL;
	size_t i;

	if (!router)
		return -1;
	json_array_foreach (json_object_get(router, "interfaces"), i, ifc)
		if (name && !strcmp(str_of(ifc, "name") ?: "", name))
			found = ifc;
	if (!found) {
		dev_printf(x, "%% Interface %s no longer exists\n", name ? name : "");
		json_decref(router);
		return -1;
	}
	if (edit(x, a, found, router)) {
		json_decref(router);
		return -1;
	}
	return router_commit(x, router);
}

static int edit_shutdown(struct dev_exec *x, const struct dev_args *a, json_t *ifc, json_t *r)
{
	if (dev_arg(a, "no"))
		json_object_del(ifc, "shutdown");
	else
		json_object_set_new(ifc, "shutdown", json_true());
	return 0;
}

static int if_shutdown(struct dev_exec *x, const struct dev_args *a)
{
	return interface_change(x, a, edit_shutdown);
}

static int edit_description(struct dev_exec *x, const struct dev_args *a, json_t *ifc, json_t *r)
{
	const char *text = dev_arg(a, "text");

	if (dev_arg(a, "no")) {
		json_object_del(ifc, "description");
		return 0;
	}
	if (!text || !model_text_is_printable(text, ROUTER_DESCRIPTION_MAX_LEN)) {
		dev_printf(x, "%% A description is printable text of at most %d characters\n",
			   ROUTER_DESCRIPTION_MAX_LEN);
		return -1;
	}
	json_object_set_new(ifc, "description", json_string(text));
	return 0;
}

static int if_description(struct dev_exec *x, const struct dev_args *a)
{
	return interface_change(x, a, edit_description);
}

static int edit_shape(struct dev_exec *x, const struct dev_args *a, json_t *ifc, json_t *r)
{
	char rate[UNITS_STRLEN];

	if (dev_arg(a, "no")) {
		json_object_del(ifc, "shape");
		return 0;
	}
	units_format_rate_bps((uint64_t)dev_arg_int(a, "rate", 0), rate);
	json_object_set_new(ifc, "shape", json_string(rate));
	return 0;
}

static int if_traffic_shape(struct dev_exec *x, const struct dev_args *a)
{
	return interface_change(x, a, edit_shape);
}

static int edit_access_group(struct dev_exec *x, const struct dev_args *a, json_t *ifc,
			     json_t *r)
{
	const char *key = dev_arg(a, "in") ? "access_group_in" : "access_group_out";
	const char *acl = dev_arg(a, "acl"), *now = str_of(ifc, key);

	if (!dev_arg(a, "no")) {
		json_object_set_new(ifc, key, json_string(acl));
		return 0;
	}
	if (!now || strcmp(now, acl)) {
		dev_printf(x, "%% Access list %s is not applied %s\n", acl,
			   dev_arg(a, "in") ? "in" : "out");
		return -1;
	}
	json_object_del(ifc, key);
	return 0;
}

static int if_access_group(struct dev_exec *x, const struct dev_args *a)
{
	return interface_change(x, a, edit_access_group);
}

/* "ip address A.B.C.D MASK": the interface moves to the subnet of the
 * router's network with that prefix. */
static int edit_address(struct dev_exec *x, const struct dev_args *a, json_t *ifc, json_t *r)
{
	struct dev_session *s = session(x);
	const struct model *m = dev_service_model(s->service);
	const struct model_object *o = model_find(m, MODEL_ROUTER, s->device);
	const struct network *n = o ? network_of(m, CONTAINER_OF(o, const struct router, hdr)) : NULL;
	uint32_t ip, mask;
	struct ipv4_prefix p = {0, 0};

	if (!ipv4_parse(dev_arg(a, "ip"), &ip) || !ipv4_parse(dev_arg(a, "mask"), &mask)) {
		dev_printf(x, "%% Bad address or mask\n");
		return -1;
	}
	while (p.len < 32 && (mask & (UINT32_C(1) << (31 - p.len))))
		p.len++;
	p.addr = ip & mask;
	if (mask != ipv4_mask(p.len) || !n) {
		dev_printf(x, "%% Bad mask %s\n", dev_arg(a, "mask"));
		return -1;
	}
	for (size_t i = 0; i < n->n_subnets; i++)
		if (n->subnets[i].cidr.addr == p.addr && n->subnets[i].cidr.len == p.len) {
			json_object_set_new(ifc, "subnet", json_string(n->subnets[i].name));
			json_object_set_new(ifc, "ip", json_string(dev_arg(a, "ip")));
			return 0;
		}
	char pbuf[IPV4_PREFIX_STRLEN];

	ipv4_prefix_format(&p, pbuf);
	dev_printf(x, "%% Network %s has no subnet %s\n", n->name, pbuf);
	return -1;
}

static int if_ip_address(struct dev_exec *x, const struct dev_args *a)
{
	return interface_change(x, a, edit_address);
}

/* ---- access lists ---- */

/* The access list 'name' in 'router' (JSON), or NULL. */
static json_t *acl_find(json_t *router, const char *name, size_t *index)
{
	json_t *acl;
	size_t i;

	json_array_foreach (json_object_get(router, "access_lists"), i, acl)
		if (!strcmp(str_of(acl, "name") ?: "", name)) {
			if (index)
				*index = i;
			return acl;
		}
	return NULL;
}

static int ip_access_list(struct dev_exec *x, const struct dev_args *a)
{
	const char *name = dev_arg(a, "name");
	json_t *router, *acls;
	size_t index;
	int rc = 0;

	if (!model_acl_name_is_valid(name)) {
		dev_printf(x, "%% An access list name is 1 to %d letters, digits, '_' or '-'\n",
			   ROUTER_ACL_NAME_MAX_LEN);
		return -1;
	}
	router = router_edit(x);
	if (!router)
		return -1;
	if (!json_object_get(router, "access_lists"))
		json_object_set_new(router, "access_lists", json_array());
	acls = json_object_get(router, "access_lists");
	if (dev_arg(a, "no")) {
		if (!acl_find(router, name, &index)) {
			json_decref(router);
			return 0; /* IOS says nothing either */
		}
		json_array_remove(acls, index);
		return router_commit(x, router);
	}
	if (!acl_find(router, name, NULL)) {
		json_array_append_new(acls, json_pack("{s:s, s:[]}", "name", name, "rules"));
		rc = router_commit(x, router);
	} else {
		json_decref(router);
	}
	if (!rc)
		dev_exec_set_mode(x, DEV_MODE_CONFIG_ACL, name);
	return rc;
}

/* "any", "host A", "A WILDCARD" -> the model's "any", "A", "A/M"; NULL
 * (printed) for a wildcard that is not a contiguous mask. */
static char *acl_addr(struct dev_exec *x, const struct dev_args *a, const char *side)
{
	char key[16];
	const char *addr, *wild;
	uint32_t ip, w;
	struct ipv4_prefix p = {0, 0};
	char buf[IPV4_PREFIX_STRLEN];

	snprintf(key, sizeof key, "%s_any", side);
	if (dev_arg(a, key))
		return xstrdup("any");
	snprintf(key, sizeof key, "%s_host", side);
	if ((addr = dev_arg(a, key)))
		return xstrdup(addr);
	addr = dev_arg(a, side);
	snprintf(key, sizeof key, "%s_wild", side);
	wild = dev_arg(a, key);
	if (!addr || !wild || !ipv4_parse(addr, &ip) || !ipv4_parse(wild, &w))
		return NULL;
	while (p.len < 32 && !(w & (UINT32_C(1) << (31 - p.len))))
		p.len++;
	if (~w != ipv4_mask(p.len)) {
		dev_printf(x, "%% Wildcard %s is not contiguous\n", wild);
		return NULL;
	}
	/* As IOS: host bits under the wildcard are dropped. */
	p.addr = ip & ipv4_mask(p.len);
	if (p.len == 0)
		return xstrdup("any");
	ipv4_prefix_format(&p, buf);
	return xstrdup(buf);
}

/* The rule of a "permit|deny ..." line as the model's JSON, or NULL. */
static json_t *acl_rule_json(struct dev_exec *x, const struct dev_args *a)
{
	const char *proto = dev_arg(a, "proto");
	char *src = acl_addr(x, a, "src"), *dst = src ? acl_addr(x, a, "dst") : NULL;
	long port = dev_arg_int(a, "port", 0);
	json_t *rule = NULL;

	if (!src || !dst)
		goto out;
	if (port && strcmp(proto, "tcp") && strcmp(proto, "udp")) {
		dev_printf(x, "%% eq PORT is for tcp and udp only\n");
		goto out;
	}
	rule = json_pack("{s:s, s:s, s:s, s:s}", "action", dev_arg(a, "action"), "proto", proto,
			 "src", src, "dst", dst);
	if (port)
		json_object_set_new(rule, "port", json_integer(port));
out:
	free(src);
	free(dst);
	return rule;
}

/* An access list address as the model writes it: "any", "A.B.C.D/M" or
 * "A.B.C.D" (a /32). */
static bool acl_prefix(const char *s, struct ipv4_prefix *p)
{
	p->addr = 0;
	p->len = 0;
	if (!s || !strcmp(s, "any"))
		return s != NULL;
	if (ipv4_prefix_parse(s, p))
		return true;
	p->len = 32;
	return ipv4_parse(s, &p->addr);
}

/* Two rules alike, whatever way their addresses are written. */
static bool rule_equal(const json_t *r1, const json_t *r2)
{
	struct ipv4_prefix p1, p2;

	if (strcmp(str_of(r1, "action") ?: "", str_of(r2, "action") ?: "") ||
	    strcmp(str_of(r1, "proto") ?: "", str_of(r2, "proto") ?: ""))
		return false;
	for (int i = 0; i < 2; i++) {
		const char *key = i ? "dst" : "src";

		if (!acl_prefix(str_of(r1, key), &p1) || !acl_prefix(str_of(r2, key), &p2) ||
		    p1.addr != p2.addr || p1.len != p2.len)
			return false;
	}
	return json_integer_value(json_object_get(r1, "port")) ==
	       json_integer_value(json_object_get(r2, "port"));
}

static int acl_rule(struct dev_exec *x, const struct dev_args *a)
{
	const char *name = dev_exec_mode_arg(x);
	json_t *rule = acl_rule_json(x, a), *router, *acl, *rules;
	bool no = dev_arg(a, "no") != NULL;
	size_t i;

	if (!rule)
		return -1;
	router = router_edit(x);
	acl = router && name ? acl_find(router, name, NULL) : NULL;
	if (!acl) {
		if (router)
			dev_printf(x, "%% Access list %s no longer exists\n", name ? name : "");
		json_decref(rule);
		json_decref(router);
		return -1;
	}
	rules = json_object_get(acl, "rules");
	if (!no) {
		json_array_append_new(rules, rule);
		return router_commit(x, router);
	}
	for (i = 0; i < json_array_size(rules); i++)
		if (rule_equal(json_array_get(rules, i), rule))
			break;
	json_decref(rule);
	if (i == json_array_size(rules)) {
		dev_printf(x, "%%No matching entry to delete\n");
		json_decref(router);
		return -1;
	}
	json_array_remove(rules, i);
	return router_commit(x, router);
}

/* ---- redirects ---- */

static int redirect(struct dev_exec *x, const struct dev_args *a)
{
	const char *from = dev_arg(a, "from"), *to = dev_arg(a, "to");
	bool no = dev_arg(a, "no") != NULL;
	json_t *router = router_edit(x), *list, *rd = NULL;
	uint32_t f, t = 0;
	size_t i;

	if (!router)
		return -1;
	if (!ipv4_parse(from, &f) || (to && !ipv4_parse(to, &t))) {
		json_decref(router);
		dev_printf(x, "%% Bad address\n");
		return -1;
	}
	if (!json_object_get(router, "redirects"))
		json_object_set_new(router, "redirects", json_array());
	list = json_object_get(router, "redirects");
	json_array_foreach (list, i, rd)
		if (same_addr(str_of(rd, "from"), f))
			break;
	if (no) {
		if (i == json_array_size(list) || (to && !same_addr(str_of(rd, "to"), t))) {
			dev_printf(x, "%%No matching redirect to delete\n");
			json_decref(router);
			return -1;
		}
		json_array_remove(list, i);
	} else if (i < json_array_size(list)) {
		/* One redirect per address: the new one replaces it. */
		json_object_set_new(rd, "to", json_string(to));
	} else {
		json_array_append_new(list, json_pack("{s:s, s:s}", "from", from, "to", to));
	}
	if (!json_array_size(list))
		json_object_del(router, "redirects");
	return router_commit(x, router);
}

/* ---- the user's settings ---- */

static int edit_alias(struct dev_exec *x, json_t *user, void *aux)
{
	const struct dev_args *a = aux;
	const char *name = dev_arg(a, "name"), *command = dev_arg(a, "command");
	json_t *list = json_object_get(user, "aliases"), *al = NULL;
	size_t i;

	if (!list) {
		list = json_array();
		json_object_set_new(user, "aliases", list);
	}
	json_array_foreach (list, i, al)
		if (!strcmp(str_of(al, "name") ?: "", name))
			break;
	if (dev_arg(a, "no")) {
		if (i == json_array_size(list)) {
			dev_printf(x, "%% No alias %s\n", name);
			return -1;
		}
		json_array_remove(list, i);
		if (!json_array_size(list))
			json_object_del(user, "aliases");
		return 0;
	}
	if (!model_alias_name_is_valid(name)) {
		dev_printf(x, "%% An alias name is 1 to %d lower-case letters, digits or '-'\n",
			   USER_ALIAS_NAME_MAX_LEN);
		return -1;
	}
	if (!model_text_is_printable(command, USER_ALIAS_COMMAND_MAX_LEN)) {
		dev_printf(x, "%% An alias is printable text of at most %d characters\n",
			   USER_ALIAS_COMMAND_MAX_LEN);
		return -1;
	}
	if (i < json_array_size(list))
		json_object_set_new(al, "command", json_string(command));
	else
		json_array_append_new(list, json_pack("{s:s, s:s}", "name", name, "command", command));
	return 0;
}

static int alias_exec(struct dev_exec *x, const struct dev_args *a)
{
	return dev_session_user_update(x, edit_alias, (void *)a);
}

static int edit_exec_timeout(struct dev_exec *x, json_t *user, void *aux)
{
	const struct dev_args *a = aux;
	uint64_t secs = (uint64_t)dev_arg_int(a, "minutes", 0) * 60 +
			(uint64_t)dev_arg_int(a, "seconds", 0);
	char text[32];

	if (dev_arg(a, "no")) {
		json_object_del(user, "exec_timeout");
		return 0;
	}
	if (secs > USER_EXEC_TIMEOUT_MAX_S) {
		dev_printf(x, "%% exec-timeout is at most %d minutes\n",
			   USER_EXEC_TIMEOUT_MAX_S / 60);
		return -1;
	}
	snprintf(text, sizeof text, "%" PRIu64 "s", secs);
	json_object_set_new(user, "exec_timeout", json_string(secs ? text : "0"));
	return 0;
}

/* The user's idle timeout, for this session at once (the model change
 * reaches every session of the user). */
static int exec_timeout(struct dev_exec *x, const struct dev_args *a)
{
	return dev_session_user_update(x, edit_exec_timeout, (void *)a);
}

/* ---- ping, traceroute, show ip arp: requests to the agents ---- */

/*
 * The router is distributed: every agent of a host with an instance of its
 * network routes for it. A ping or traceroute from the router is sent by
 * one such agent (docs/dataplane.md, "Requests"), as the router's own
 * packets from the source interface's address, routed by the router's
 * table and carried over the substrate like the network's traffic; the
 * agent chosen is one of a host with an instance on the source interface's
 * subnet (where that subnet's traffic enters the router), else any that
 * carries the network — the first connected one by name. One request per
 * probe, so that each '!' or '.' is printed as its answer arrives.
 */

#define PING_COUNT_DEFAULT 5
#define PING_SIZE_DEFAULT 100	/* bytes of the IP datagram, as IOS */
#define PING_TIMEOUT_S_DEFAULT 2
#define PING_LINE_WIDTH 70	/* '!'s per line, as IOS */
#define TRACE_TIMEOUT_S 3
#define TRACE_PROBES 3
#define TRACE_MAX_TTL 30
#define PROBE_TTL 64		/* of a ping's probes */
#define REQUEST_SLACK_MS 3000	/* on top of a probe's timeout, for the agent's answer */
#define ARP_TIMEOUT_MS 3000

/* A ping or traceroute running. */
struct probe_run {
	struct dev_exec *x;
	struct ctl_agents *agents;
	char *router;		       /* "T/N/R" */
	char *host;		       /* whose agent sends the probes */
	char src[IPV4_ADDR_STRLEN];    /* the source interface's address */
	char dst[IPV4_ADDR_STRLEN];
	unsigned count;		       /* ping: probes to send */
	unsigned size;		       /* bytes of each IP datagram */
	unsigned timeout_s;	       /* of each probe */
	unsigned done;		       /* ping: probes done */
	unsigned ok;		       /* ping: echo replies */
	uint64_t rtt_min_us, rtt_max_us, rtt_sum_us;
	unsigned column;	       /* ping: characters on the line */
	bool trace;		       /* a traceroute */
	unsigned ttl;		       /* traceroute: the hop */
	unsigned probe;		       /* traceroute: probes done at this hop */
	char last_from[IPV4_ADDR_STRLEN]; /* traceroute: the address printed last on the line */
	bool reached;		       /* traceroute: no hop after this one */
	struct ctl_agent_request *req; /* the probe out */
};

static void probe_run_free(struct probe_run *run)
{
	ctl_agents_request_cancel(run->req);
	free(run->router);
	free(run->host);
	free(run);
}

/* Ctrl-C, or the session went away. */
static void probe_run_cancel(void *run_)
{
	probe_run_free(run_);
}

static void probe_run_end(struct probe_run *run, int status)
{
	struct dev_exec *x = run->x;

	run->req = NULL;
	probe_run_free(run);
	dev_exec_done(x, status);
}

/* The interface the probes leave from: 'name' if given, else the one the
 * router's table sends 'dst' out of (as IOS picks), else the first. */
static const struct rv_interface *probe_source(const struct router_view *v, const char *name,
					       uint32_t dst)
{
	const struct rv_route *best = NULL;

	if (name)
		return router_view_interface(v, name);
	for (size_t i = 0; i < v->n_routes; i++) {
		const struct rv_route *r = &v->routes[i];

		if (r->ifname && ipv4_prefix_contains(&r->prefix, dst) &&
		    (!best || r->prefix.len > best->prefix.len))
			best = r;
	}
	if (best && router_view_interface(v, best->ifname))
		return router_view_interface(v, best->ifname);
	return v->n_ifs ? &v->ifs[0] : NULL;
}

/* The host whose agent sends the probes (see above), or NULL. Allocated. */
static char *probe_host(struct ctl_agents *agents, const struct model *m,
			const struct router *r, const char *subnet)
{
	size_t n;
	struct model_object **objs = model_list(m, MODEL_INSTANCE, &n);
	const char *best = NULL;
	char net[256];
	json_t *hosts;
	char *host;

	for (size_t i = 0; i < n; i++) {
		const struct instance *in = CONTAINER_OF(objs[i], const struct instance, hdr);

		if (strcmp(in->tenant, r->tenant) || strcmp(in->network, r->network) ||
		    strcmp(in->subnet, subnet) || !ctl_agents_is_connected(agents, in->host))
			continue;
		if (!best || strcmp(in->host, best) < 0)
			best = in->host;
	}
	host = best ? xstrdup(best) : NULL;
	free(objs);
	if (host)
		return host;
	snprintf(net, sizeof net, "%s/%s", r->tenant, r->network);
	hosts = ctl_agents_hosts_of_network(agents, net);
	for (size_t i = 0; !host && i < json_array_size(hosts); i++) {
		const char *h = json_string_value(json_array_get(hosts, i));

		if (ctl_agents_is_connected(agents, h))
			host = xstrdup(h);
	}
	json_decref(hosts);
	return host;
}

/* Sets up a run from the source interface 'ifname' (NULL: IOS's choice)
 * to 'dst'. Returns NULL with "% ..." printed if it cannot run. */
static struct probe_run *probe_run_start(struct dev_exec *x, const char *dst, const char *ifname)
{
	struct dev_session *s = session(x);
	const struct rv_interface *ifc;
	struct probe_run *run;
	struct router_view v;
	uint32_t ip;
	char *host;

	if (!ipv4_parse(dst, &ip)) {
		dev_printf(x, "%% Unrecognized host or address, or protocol not running.\n");
		return NULL;
	}
	if (!s->service->agents) {
		dev_printf(x, "%% No agent carries this router's traffic\n");
		return NULL;
	}
	if (!view_of(x, &v, false))
		return NULL;
	ifc = probe_source(&v, ifname, ip);
	if (!ifc || !ifc->admin_up) {
		dev_printf(x, "%% Invalid source interface - IP not enabled or interface is down\n");
		router_view_uninit(&v);
		return NULL;
	}
	host = probe_host(s->service->agents, dev_service_model(s->service), v.router,
			  ifc->subnet);
	if (!host) {
		dev_printf(x, "%% No agent carries this router's traffic\n");
		router_view_uninit(&v);
		return NULL;
	}
	run = xzalloc(sizeof *run);
	run->x = x;
	run->agents = s->service->agents;
	run->router = xstrdup(s->device);
	run->host = host;
	ipv4_format(ifc->ip, run->src);
	ipv4_format(ip, run->dst);
	router_view_uninit(&v);
	return run;
}

static void on_probe_answer(void *run_, const json_t *response, const char *error);

/* Sends the next probe ('ttl'); on failure prints why and ends the run. */
static void probe_send(struct probe_run *run, unsigned ttl)
{
	json_t *req = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i}", "op", "ping", "router",
				run->router, "src", run->src, "dst", run->dst, "count", 1,
				"timeout_ms", (int)run->timeout_s * 1000, "size", (int)run->size,
				"ttl", (int)ttl);
	char *error = NULL;

	run->req = ctl_agents_request(run->agents, run->host, req,
				      run->timeout_s * 1000 + REQUEST_SLACK_MS, on_probe_answer,
				      run, &error);
	json_decref(req);
	if (!run->req) {
		/* Not the reason: it names the host, which users do not see. */
		dev_printf(run->x, "%s%% No agent carries this router's traffic\n",
			   run->column ? "\n" : "");
		free(error);
		probe_run_end(run, -1);
	}
}

/* IOS's ping characters. */
static char ping_char(const char *type)
{
	if (!strcmp(type, "echo_reply"))
		return '!';
	if (!strcmp(type, "unreachable"))
		return 'U';
	if (!strcmp(type, "time_exceeded"))
		return '&';
	return '.';
}

static uint64_t ms_of(uint64_t us)
{
	return (us + 500) / 1000;
}

static void ping_next(struct probe_run *run)
{
	if (run->done < run->count) {
		probe_send(run, PROBE_TTL);
		return;
	}
	if (run->column)
		dev_printf(run->x, "\n");
	dev_printf(run->x, "Success rate is %u percent (%u/%u)", run->ok * 100 / run->count,
		   run->ok, run->count);
	if (run->ok)
		dev_printf(run->x, ", round-trip min/avg/max = %" PRIu64 "/%" PRIu64 "/%" PRIu64
				   " ms",
			   ms_of(run->rtt_min_us), ms_of(run->rtt_sum_us / run->ok),
			   ms_of(run->rtt_max_us));
	dev_printf(run->x, "\n");
	probe_run_end(run, 0);
}

static void ping_took(struct probe_run *run, const char *type, uint64_t rtt_us)
{
	if (run->column == PING_LINE_WIDTH) {
		dev_printf(run->x, "\n");
		run->column = 0;
	}
	dev_printf(run->x, "%c", ping_char(type));
	run->column++;
	run->done++;
	if (!strcmp(type, "echo_reply")) {
		if (!run->ok || rtt_us < run->rtt_min_us)
			run->rtt_min_us = rtt_us;
		if (rtt_us > run->rtt_max_us)
			run->rtt_max_us = rtt_us;
		run->rtt_sum_us += rtt_us;
		run->ok++;
	}
}

/* IOS's traceroute marks for an unreachable's code. */
static const char *unreach_mark(int code)
{
	switch (code) {
	case 0:
		return "!N";
	case 1:
		return "!H";
	case 2:
		return "!P";
	case 13:
		return "!A";
	default:
		return "!U";
	}
}

static void trace_next(struct probe_run *run)
{
	if (run->probe == TRACE_PROBES) {
		dev_printf(run->x, "\n");
		if (run->reached || run->ttl == TRACE_MAX_TTL) {
			probe_run_end(run, 0);
			return;
		}
		run->ttl++;
		run->probe = 0;
		run->last_from[0] = '\0';
	}
	if (!run->probe)
		dev_printf(run->x, "%3u", run->ttl);
	probe_send(run, run->ttl);
}

static void trace_took(struct probe_run *run, const char *type, const char *from, int code,
		       uint64_t rtt_us)
{
	run->probe++;
	if (!from) {
		dev_printf(run->x, "  *");
		return;
	}
	if (strcmp(from, run->last_from)) {
		dev_printf(run->x, " %s", from);
		snprintf(run->last_from, sizeof run->last_from, "%s", from);
	}
	if (!strcmp(type, "unreachable")) {
		dev_printf(run->x, " %s ", unreach_mark(code));
		run->reached = true;
		return;
	}
	dev_printf(run->x, " %" PRIu64 " msec", ms_of(rtt_us));
	if (!strcmp(type, "echo_reply"))
		run->reached = true;
}

/* A probe's answer from the agent (or why there is none). */
static void on_probe_answer(void *run_, const json_t *response, const char *error)
{
	struct probe_run *run = run_;
	const json_t *r = json_array_get(json_object_get(response, "results"), 0);
	const char *type = json_string_value(json_object_get(r, "type"));
	const char *from = json_string_value(json_object_get(r, "from"));
	uint64_t rtt_us = (uint64_t)json_integer_value(json_object_get(r, "rtt_us"));

	run->req = NULL;
	if (response && !json_is_true(json_object_get(response, "ok"))) {
		const char *why = json_string_value(json_object_get(response, "error"));

		dev_printf(run->x, "%s%% %s\n", run->column ? "\n" : "", why ? why : "failed");
		probe_run_end(run, -1);
		return;
	}
	/* No answer from the agent in time counts as a probe lost. */
	if (error || !type) {
		type = "timeout";
		from = NULL;
	}
	if (run->trace) {
		trace_took(run, type, from,
			   (int)json_integer_value(json_object_get(r, "code")), rtt_us);
		trace_next(run);
	} else {
		ping_took(run, type, rtt_us);
		ping_next(run);
	}
}

static int ping(struct dev_exec *x, const struct dev_args *a)
{
	const char *ifname = dev_arg(a, "source");
	struct probe_run *run = probe_run_start(x, dev_arg(a, "address"), ifname);

	if (!run)
		return -1;
	run->count = (unsigned)dev_arg_int(a, "count", PING_COUNT_DEFAULT);
	run->size = (unsigned)dev_arg_int(a, "bytes", PING_SIZE_DEFAULT);
	run->timeout_s = (unsigned)dev_arg_int(a, "seconds", PING_TIMEOUT_S_DEFAULT);
	dev_printf(x,
		   "Type escape sequence to abort.\n"
		   "Sending %u, %u-byte ICMP Echos to %s, timeout is %u seconds:\n",
		   run->count, run->size, run->dst, run->timeout_s);
	if (ifname)
		dev_printf(x, "Packet sent with a source address of %s \n", run->src);
	dev_exec_on_cancel(x, probe_run_cancel, run);
	ping_next(run);
	return DEV_PENDING;
}

static int traceroute(struct dev_exec *x, const struct dev_args *a)
{
	struct probe_run *run = probe_run_start(x, dev_arg(a, "address"), dev_arg(a, "source"));

	if (!run)
		return -1;
	run->trace = true;
	run->size = 28;
	run->timeout_s = TRACE_TIMEOUT_S;
	run->ttl = 1;
	dev_printf(x,
		   "Type escape sequence to abort.\n"
		   "Tracing the route to %s\n"
		   "VRF info: (vrf in name/id, vrf out name/id)\n",
		   run->dst);
	dev_exec_on_cancel(x, probe_run_cancel, run);
	trace_next(run);
	return DEV_PENDING;
}

/* show ip arp: the addresses the agents of the network resolve on the
 * router's subnets, asked of every connected agent at once and merged. */
struct arp_run;

/* The question to one agent. */
struct arp_ask {
	struct arp_run *run;
	struct ctl_agent_request *req; /* NULL once it ended */
};

struct arp_run {
	struct dev_exec *x;
	json_t *entries;      /* IP -> MAC, from the agents */
	struct arp_ask *asks; /* one per agent asked */
	size_t n_asks;
	size_t pending; /* asks not ended */
};

static void arp_run_free(struct arp_run *run)
{
	for (size_t i = 0; i < run->n_asks; i++)
		ctl_agents_request_cancel(run->asks[i].req);
	free(run->asks);
	json_decref(run->entries);
	free(run);
}

static void arp_run_cancel(void *run_)
{
	arp_run_free(run_);
}

struct arp_line {
	uint32_t ip;
	char mac[ETH_ADDR_STRLEN]; /* "aa:bb:cc:dd:ee:ff" */
	bool own;		   /* an address of this router: no age */
};

static int arp_line_cmp(const void *a_, const void *b_)
{
	const struct arp_line *a = a_, *b = b_;

	return a->ip < b->ip ? -1 : a->ip > b->ip;
}

static void arp_print(struct arp_run *run)
{
	struct dev_exec *x = run->x;
	struct router_view v;
	struct arp_line *lines;
	size_t n = 0, cap;
	const char *key;
	json_t *mac;

	if (!view_of(x, &v, false)) {
		arp_run_free(run);
		dev_exec_done(x, -1);
		return;
	}
	cap = json_object_size(run->entries) + v.n_ifs;
	lines = xcalloc(cap ? cap : 1, sizeof *lines);
	for (size_t i = 0; i < v.n_ifs; i++) {
		lines[n].ip = v.ifs[i].ip;
		eth_addr_format(&v.ifs[i].mac, lines[n].mac);
		lines[n++].own = true;
	}
	json_object_foreach (run->entries, key, mac) {
		uint32_t ip;
		bool known = false;

		if (!ipv4_parse(key, &ip))
			continue;
		for (size_t i = 0; i < n && !known; i++)
			known = lines[i].ip == ip;
		if (!known) {
			lines[n].ip = ip;
			snprintf(lines[n++].mac, sizeof lines->mac, "%s", json_string_value(mac));
		}
	}
	qsort(lines, n, sizeof *lines, arp_line_cmp);
	dev_printf(x, "Protocol  Address          Age (min)  Hardware Addr   Type   Interface\n");
	for (size_t i = 0; i < n; i++) {
		const struct rv_interface *ifc = NULL;
		struct eth_addr m;
		char ip[IPV4_ADDR_STRLEN];

		for (size_t k = 0; k < v.n_ifs && !ifc; k++)
			if (ipv4_prefix_contains(&v.ifs[k].cidr, lines[i].ip))
				ifc = &v.ifs[k];
		if (!ifc || !eth_addr_parse(lines[i].mac, &m))
			continue; /* not on a subnet of this router */
		ipv4_format(lines[i].ip, ip);
		dev_printf(x,
			   "Internet  %-16s %8s   %02x%02x.%02x%02x.%02x%02x  ARPA   %s\n", ip,
			   lines[i].own ? "-" : "0", m.b[0], m.b[1], m.b[2], m.b[3], m.b[4],
			   m.b[5], ifc->name);
	}
	free(lines);
	router_view_uninit(&v);
	arp_run_free(run);
	dev_exec_done(x, 0);
}

/* One agent's answer (or why there is none: the others still count). */
static void on_arp_answer(void *ask_, const json_t *response, const char *error)
{
	struct arp_ask *ask = ask_;
	struct arp_run *run = ask->run;
	const json_t *en;
	size_t i;

	ask->req = NULL;
	run->pending--;
	json_array_foreach (json_object_get(response, "entries"), i, en) {
		const char *ip = json_string_value(json_object_get(en, "ip"));
		const char *mac = json_string_value(json_object_get(en, "mac"));

		if (ip && mac)
			json_object_set_new(run->entries, ip, json_string(mac));
	}
	if (!run->pending)
		arp_print(run);
}

static int show_ip_arp(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *s = session(x);
	struct ctl_agents *agents = s->service->agents;
	struct arp_run *run = xzalloc(sizeof *run);
	json_t *hosts, *req;
	char net[256];
	const char *slash = strrchr(s->device, '/');

	run->x = x;
	run->entries = json_object();
	snprintf(net, sizeof net, "%.*s", (int)(slash - s->device), s->device);
	hosts = agents ? ctl_agents_hosts_of_network(agents, net) : json_array();
	req = json_pack("{s:s, s:s}", "op", "arp", "network", net);
	run->asks = xcalloc(json_array_size(hosts) + 1, sizeof *run->asks);
	for (size_t i = 0; i < json_array_size(hosts); i++) {
		struct arp_ask *ask = &run->asks[run->n_asks];
		char *error = NULL;

		ask->run = run;
		ask->req = ctl_agents_request(agents, json_string_value(json_array_get(hosts, i)),
					      req, ARP_TIMEOUT_MS, on_arp_answer, ask, &error);
		free(error); /* an agent away: the others answer */
		if (ask->req) {
			run->n_asks++;
			run->pending++;
		}
	}
	json_decref(req);
	json_decref(hosts);
	dev_exec_on_cancel(x, arp_run_cancel, run);
	if (!run->pending)
		arp_print(run); /* the router's own addresses only */
	return DEV_PENDING;
}

/* ---- the table ---- */

#define EXEC_MODES DEV_MODES_SHOW

const struct dev_cmd dev_ios_cmds[] = {
    {"show version", "Show running system information\nSystem hardware and software status",
     EXEC_MODES, DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_version},
    {"show running-config",
     "Show running system information\nCurrent operating configuration", EXEC_MODES,
     DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_running_config},
    {"show ip route [A.B.C.D/M$prefix]",
     "Show running system information\nIP information\nIP routing table\nNetwork prefix",
     EXEC_MODES, DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_ip_route},
    {"show ip route A.B.C.D$address",
     "Show running system information\nIP information\nIP routing table\nNetwork to display "
     "information about or hostname",
     EXEC_MODES, DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_ip_route},
    {"show ip interface brief",
     "Show running system information\nIP information\nIP interface status and "
     "configuration\nBrief summary of IP status and configuration",
     EXEC_MODES, DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_ip_interface_brief},
    {"show interfaces [IFNAME$name]",
     "Show running system information\nInterface status and configuration\nInterface name",
     EXEC_MODES, DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_interfaces},
    {"show users", "Show running system information\nDisplay information about terminal lines",
     EXEC_MODES, DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_users},
    {"show logging audit",
     "Show running system information\nShow the contents of logging buffers\nCommands run or "
     "denied on the tenant's devices",
     EXEC_MODES, DEV_ROLE_ADMIN, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_logging_audit},
    {"configure terminal",
     "Enter configuration mode\nConfigure from the terminal", EXEC_MODES,
     DEV_ROLE_OPERATOR, 0, configure_terminal},
    {"ip route A.B.C.D$prefix A.B.C.D$mask A.B.C.D$via",
     "Global IP configuration subcommands\nEstablish static routes\nDestination prefix\n"
     "Destination prefix mask\nForwarding router's address",
     DEV_MODE_BIT(DEV_MODE_CONFIG), DEV_ROLE_ADMIN, 0, ip_route},
    {"no ip route A.B.C.D$prefix A.B.C.D$mask [A.B.C.D$via]",
     "Negate a command or set its defaults\nGlobal IP configuration subcommands\nEstablish "
     "static routes\nDestination prefix\nDestination prefix mask\nForwarding router's address",
     DEV_MODE_BIT(DEV_MODE_CONFIG), DEV_ROLE_ADMIN, 0, ip_route},
    {"interface IFNAME$name", "Select an interface to configure\nInterface name",
     DEV_MODE_BIT(DEV_MODE_CONFIG), DEV_ROLE_OPERATOR, 0, interface_mode},
    /* Running and startup configuration, the router's tables. */
    {"show startup-config", "Show running system information\nContents of startup configuration",
     EXEC_MODES, DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_startup_config},
    {"show access-lists", "Show running system information\nList access lists", EXEC_MODES,
     DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_access_lists},
    {"show ip traffic",
     "Show running system information\nIP information\nIP protocol statistics", EXEC_MODES,
     DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_ip_traffic},
    {"show logging", "Show running system information\nShow the contents of logging buffers",
     EXEC_MODES, DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_logging},
    {"clear counters [IFNAME$name]",
     "Reset functions\nClear counters on one or all interfaces\nInterface to clear",
     DEV_MODE_BIT(DEV_MODE_PRIV), DEV_ROLE_OPERATOR, 0, clear_counters},
    {"clear line (0-1025)$line",
     "Reset functions\nReset a terminal line\nLine number (0: con 0, 2 and up: vty 0 and up)",
     DEV_MODE_BIT(DEV_MODE_PRIV), DEV_ROLE_OPERATOR, 0, clear_line},
    {"clear line vty (0-1023)$vty",
     "Reset functions\nReset a terminal line\nVirtual terminal\nVirtual terminal number",
     DEV_MODE_BIT(DEV_MODE_PRIV), DEV_ROLE_OPERATOR, 0, clear_line},
    {"write memory",
     "Write running configuration to memory, network, or terminal\nWrite to NV memory",
     DEV_MODE_BIT(DEV_MODE_PRIV), DEV_ROLE_OPERATOR, 0, write_memory},
    {"copy running-config startup-config",
     "Copy from one file to another\nCopy from current system configuration\nCopy to "
     "startup configuration",
     DEV_MODE_BIT(DEV_MODE_PRIV), DEV_ROLE_OPERATOR, 0, write_memory},
    /* Interface configuration. */
    {"[no] shutdown", "Negate a command or set its defaults\nShutdown the selected interface",
     DEV_MODE_BIT(DEV_MODE_CONFIG_IF), DEV_ROLE_OPERATOR, 0, if_shutdown},
    {"description LINE$text",
     "Interface specific description\nUp to 240 characters describing this interface",
     DEV_MODE_BIT(DEV_MODE_CONFIG_IF), DEV_ROLE_ADMIN, 0, if_description},
    {"no description [LINE]",
     "Negate a command or set its defaults\nInterface specific description\nThe old text",
     DEV_MODE_BIT(DEV_MODE_CONFIG_IF), DEV_ROLE_ADMIN, 0, if_description},
    {"traffic-shape rate (8000-100000000000)$rate",
     "Enable Traffic Shaping on an Interface or Sub-Interface\nconfigure token bucket: "
     "CIR (bps)\nTarget Bit Rate (bits per second)",
     DEV_MODE_BIT(DEV_MODE_CONFIG_IF), DEV_ROLE_ADMIN, 0, if_traffic_shape},
    {"no traffic-shape rate [(8000-100000000000)$rate]",
     "Negate a command or set its defaults\nEnable Traffic Shaping on an Interface or "
     "Sub-Interface\nconfigure token bucket: CIR (bps)\nTarget Bit Rate (bits per second)",
     DEV_MODE_BIT(DEV_MODE_CONFIG_IF), DEV_ROLE_ADMIN, 0, if_traffic_shape},
    {"[no] ip access-group WORD$acl (in|out)",
     "Negate a command or set its defaults\nInterface Internet Protocol config commands\n"
     "Specify access control for packets\nAccess-list name\ninbound packets\noutbound "
     "packets",
     DEV_MODE_BIT(DEV_MODE_CONFIG_IF), DEV_ROLE_ADMIN, 0, if_access_group},
    {"ip address A.B.C.D$ip A.B.C.D$mask",
     "Interface Internet Protocol config commands\nSet the IP address of an interface\nIP "
     "address\nIP subnet mask",
     DEV_MODE_BIT(DEV_MODE_CONFIG_IF), DEV_ROLE_ADMIN, 0, if_ip_address},
    /* Access lists. */
    {"[no] ip access-list extended WORD$name",
     "Negate a command or set its defaults\nGlobal IP configuration subcommands\nNamed "
     "access-list\nExtended Access List\nAccess-list name",
     DEV_MODE_BIT(DEV_MODE_CONFIG), DEV_ROLE_ADMIN, 0, ip_access_list},
    {"[no] (permit|deny)$action (ip|tcp|udp|icmp)$proto "
     "(any$src_any|host A.B.C.D$src_host|A.B.C.D$src A.B.C.D$src_wild) "
     "(any$dst_any|host A.B.C.D$dst_host|A.B.C.D$dst A.B.C.D$dst_wild) [eq (1-65535)$port]",
     "Negate a command or set its defaults\nSpecify packets to forward\nSpecify packets to "
     "reject\nAny Internet Protocol\nTransmission Control Protocol\nUser Datagram "
     "Protocol\nInternet Control Message Protocol\nAny source host\nA single source host\n"
     "Source address\nSource address\nSource wildcard bits\nAny destination host\nA single "
     "destination host\nDestination address\nDestination address\nDestination wildcard "
     "bits\nMatch only packets on a given port number\nPort number",
     DEV_MODE_BIT(DEV_MODE_CONFIG_ACL), DEV_ROLE_ADMIN, 0, acl_rule},
    /* Redirects, the user's settings. */
    {"redirect A.B.C.D$from to A.B.C.D$to",
     "Deliver traffic for an address to another\nThe address traffic is sent to\nDeliver "
     "to\nThe address it is delivered to",
     DEV_MODE_BIT(DEV_MODE_CONFIG), DEV_ROLE_ADMIN, 0, redirect},
    {"no redirect A.B.C.D$from [to A.B.C.D$to]",
     "Negate a command or set its defaults\nDeliver traffic for an address to another\nThe "
     "address traffic is sent to\nDeliver to\nThe address it is delivered to",
     DEV_MODE_BIT(DEV_MODE_CONFIG), DEV_ROLE_ADMIN, 0, redirect},
    {"alias exec WORD$name LINE$command",
     "Create command alias\nExec mode\nAlias name\nThe command it runs",
     DEV_MODE_BIT(DEV_MODE_CONFIG), DEV_ROLE_ADMIN, 0, alias_exec},
    {"no alias exec WORD$name",
     "Negate a command or set its defaults\nCreate command alias\nExec mode\nAlias name",
     DEV_MODE_BIT(DEV_MODE_CONFIG), DEV_ROLE_ADMIN, 0, alias_exec},
    {"exec-timeout (0-35791)$minutes [(0-2147483)$seconds]",
     "Set the EXEC timeout\nTimeout in minutes\nTimeout in seconds",
     DEV_MODE_BIT(DEV_MODE_CONFIG), DEV_ROLE_ADMIN, 0, exec_timeout},
    {"no exec-timeout", "Negate a command or set its defaults\nSet the EXEC timeout",
     DEV_MODE_BIT(DEV_MODE_CONFIG), DEV_ROLE_ADMIN, 0, exec_timeout},
    /* Requests to the agents: the router's own pings, its ARP table. */
    {"ping A.B.C.D$address [repeat (1-10000)$count] [size (36-1500)$bytes] "
     "[timeout (1-60)$seconds] [source IFNAME$source]",
     "Send echo messages\nPing destination address\nSpecify repeat count\nRepeat count\n"
     "Specify datagram size\nDatagram size\nSpecify timeout interval\nTimeout in seconds\n"
     "Specify source address or name\nSource interface",
     EXEC_MODES, DEV_ROLE_VIEWER, DEV_CMD_NO_AUDIT, ping},
    {"traceroute A.B.C.D$address [source IFNAME$source]",
     "Trace route to destination\nTrace route to destination address\nSpecify source "
     "address or name\nSource interface",
     EXEC_MODES, DEV_ROLE_VIEWER, DEV_CMD_NO_AUDIT, traceroute},
    {"show ip arp", "Show running system information\nIP information\nIP ARP table",
     EXEC_MODES, DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_ip_arp},
};
const size_t dev_ios_n_cmds = ARRAY_SIZE(dev_ios_cmds);
