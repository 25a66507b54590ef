// SPDX-License-Identifier: Apache-2.0
/*
 * The JunOS-style commands of a simulated router (a user's `style:
 * junos`), declared as data (see engine.h), over the same router as the
 * IOS ones: `show route`, `show interfaces [terse]`, `show configuration`,
 * and configuration mode with a candidate configuration — `set` and
 * `delete` change the session's candidate (a copy of the router's JSON),
 * `commit` applies it through the same validated path as the API (refused
 * if the running configuration changed since the candidate was taken),
 * `rollback` drops it, `show | compare` shows what commit would change. Interfaces have JunOS-style names
 * (dev_junos_ifname: GigabitEthernet0/1 is ge-0/0/1), unit 0 each.
 */
#include "onm/codec.h"
#include "onm/ds.h"
#include "onm/model.h"
#include "onm/units.h"
#include "onm/util.h"
#include "router-view.h"
#include "service-private.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
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

/* ---- interface names ---- */

static const struct {
	const char *ios, *junos;
} if_types[] = {
    {"TenGigabitEthernet", "xe"},
    {"GigabitEthernet", "ge"},
    {"FastEthernet", "fe"},
    {"Ethernet", "et"},
};

/* "0/1" or "0/0/1": numbers separated by '/'; the number of slashes, or
 * -1. */
static int slot_path(const char *s)
{
	int slashes = 0;
	bool digit = false;

	for (; *s; s++) {
		if (isdigit((unsigned char)*s)) {
			digit = true;
		} else if (*s == '/' && digit) {
			slashes++;
			digit = false;
		} else {
			return -1;
		}
	}
	return digit ? slashes : -1;
}

/* The JunOS form of an IOS name, or NULL if it has none. */
static char *junos_form(const char *ios)
{
	if (str_has_prefix(ios, "Loopback") && slot_path(ios + 8) == 0)
		return xasprintf("lo%s", ios + 8);
	for (size_t i = 0; i < ARRAY_SIZE(if_types); i++) {
		const char *rest = ios + strlen(if_types[i].ios);

		if (!str_has_prefix(ios, if_types[i].ios))
			continue;
		switch (slot_path(rest)) {
		case 1:
			return xasprintf("%s-0/%s", if_types[i].junos, rest);
		case 2:
			return xasprintf("%s-%s", if_types[i].junos, rest);
		default:
			return NULL;
		}
	}
	return NULL;
}

char *dev_junos_ifname(const struct router *r, size_t i)
{
	const char *name = r->interfaces[i].name;
	char *j = junos_form(name);

	if (!j)
		return xstrdup(name);
	/* One-to-one: a name another interface has, or maps to, is not
	 * taken; then both keep their own. */
	for (size_t k = 0; k < r->n_interfaces; k++) {
		char *other;
		bool clash;

		if (k == i)
			continue;
		other = junos_form(r->interfaces[k].name);
		clash = !strcmp(r->interfaces[k].name, j) || (other && !strcmp(other, j));
		free(other);
		if (clash) {
			free(j);
			return xstrdup(name);
		}
	}
	return j;
}

int dev_junos_ifindex(const struct router *r, const char *name)
{
	for (size_t i = 0; i < r->n_interfaces; i++) {
		char *j = dev_junos_ifname(r, i);
		bool same = !strcmp(j, name);

		free(j);
		if (same)
			return (int)i;
	}
	return -1;
}

/* ---- helpers ---- */

static const struct router *session_router(struct dev_exec *x)
{
	struct dev_session *s = session(x);
	const struct model_object *o =
	    model_find(dev_service_model(s->service), MODEL_ROUTER, s->device);

	if (!o)
		dev_printf(x, "error: this device no longer exists\n");
	return o ? CONTAINER_OF(o, const struct router, hdr) : NULL;
}

static bool view_of(struct dev_exec *x, struct router_view *v, bool counters)
{
	struct dev_session *s = session(x);
	json_t *agents = counters ? dev_service_counters(s->service) : NULL;
	bool ok = router_view_build(v, dev_service_model(s->service), s->device, agents);

	json_decref(agents);
	if (!ok)
		dev_printf(x, "error: this device no longer exists\n");
	return ok;
}

static const struct network *network_of(const struct model *m, const struct router *r)
{
	char *id = xasprintf("%s/%s", r->tenant, r->network);
	const struct model_object *o = model_find(m, MODEL_NETWORK, id);

	free(id);
	return o ? CONTAINER_OF(o, const struct network, hdr) : NULL;
}

static const struct subnet *subnet_named(const struct network *n, const char *name)
{
	for (size_t i = 0; n && i < n->n_subnets; i++)
		if (!strcmp(n->subnets[i].name, name))
			return &n->subnets[i];
	return NULL;
}

/* The JunOS name of view interface 'i' (the view keeps the model's order). */
static char *view_ifname(const struct router_view *v, size_t i)
{
	return dev_junos_ifname(v->router, i);
}

/* ---- operational mode ---- */

static int show_version(struct dev_exec *x, const struct dev_args *a)
{
	const struct router *r = session_router(x);

	if (!r)
		return -1;
	dev_printf(x,
		   "Hostname: %s\n"
		   "Model: onm virtual router\n"
		   "Junos: onm " ONM_VERSION "\n"
		   "onm Virtual Router Software [" ONM_VERSION "]\n",
		   r->name);
	return 0;
}

static void put_route(struct dev_exec *x, const struct router_view *v, const struct rv_route *r)
{
	char p[IPV4_PREFIX_STRLEN], via[IPV4_ADDR_STRLEN];
	const struct rv_interface *ifc = r->ifname ? router_view_interface(v, r->ifname) : NULL;
	char *ifname = ifc ? view_ifname(v, (size_t)(ifc - v->ifs)) : xstrdup("-");

	ipv4_prefix_format(&r->prefix, p);
	switch (r->type) {
	case RV_CONNECTED:
		dev_printf(x, "%-18s *[Direct/0]\n                    >  via %s.0\n", p, ifname);
		break;
	case RV_LOCAL:
		dev_printf(x, "%-18s *[Local/0]\n                       Local via %s.0\n", p,
			   ifname);
		break;
	case RV_STATIC:
		ipv4_format(r->via, via);
		dev_printf(x, "%-18s *[Static/5]\n                    >  to %s via %s.0\n", p, via,
			   ifname);
		break;
	}
	free(ifname);
}

static int show_route(struct dev_exec *x, const struct dev_args *a)
{
	const char *prefix = dev_arg(a, "prefix"), *addr = dev_arg(a, "address");
	struct ipv4_prefix want = {0, 0};
	uint32_t ip = 0;
	struct router_view v;
	size_t shown = 0;

	if ((prefix && !ipv4_prefix_parse(prefix, &want)) || (addr && !ipv4_parse(addr, &ip))) {
		dev_printf(x, "error: invalid destination\n");
		return -1;
	}
	if (!view_of(x, &v, false))
		return -1;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < v.n_routes; i++) {
			const struct rv_route *r = &v.routes[i];

			if (prefix && (r->prefix.addr != want.addr || r->prefix.len != want.len))
				continue;
			if (addr && !ipv4_prefix_contains(&r->prefix, ip))
				continue;
			if (pass)
				put_route(x, &v, r);
			else
				shown++;
		}
		if (!pass && shown)
			dev_printf(x,
				   "\ninet.0: %zu destinations, %zu routes (%zu active, 0 holddown, "
				   "0 hidden)\n+ = Active Route, - = Last Active, * = Both\n\n",
				   v.n_routes, v.n_routes, v.n_routes);
	}
	router_view_uninit(&v);
	return 0;
}

static int show_interfaces_terse(struct dev_exec *x, const struct dev_args *a)
{
	struct router_view v;

	if (!view_of(x, &v, false))
		return -1;
	dev_printf(x, "Interface               Admin Link Proto    Local                 Remote\n");
	for (size_t i = 0; i < v.n_ifs; i++) {
		const struct rv_interface *ifc = &v.ifs[i];
		const char *admin = ifc->admin_up ? "up" : "down";
		const char *link = ifc->admin_up && ifc->oper_up ? "up" : "down";
		char *name = view_ifname(&v, i), *unit = xasprintf("%s.0", name);
		char ip[IPV4_ADDR_STRLEN];

		ipv4_format(ifc->ip, ip);
		dev_printf(x, "%-23s %-5s %s\n", name, admin, link);
		dev_printf(x, "%-23s %-5s %-4s inet     %s/%u\n", unit, admin, link, ip,
			   (unsigned int)ifc->cidr.len);
		free(name);
		free(unit);
	}
	router_view_uninit(&v);
	return 0;
}

static void put_interface(struct dev_exec *x, struct router_view *v, size_t i)
{
	struct dev_session *s = session(x);
	struct rv_interface *ifc = &v->ifs[i];
	uint64_t cleared = dev_counters_since_clear(s->service, s->device, ifc);
	const uint8_t *m = ifc->mac.b;
	char *name = view_ifname(v, i), ip[IPV4_ADDR_STRLEN], net[IPV4_PREFIX_STRLEN];

	ipv4_format(ifc->ip, ip);
	ipv4_prefix_format(&ifc->cidr, net);
	dev_printf(x, "Physical interface: %s, %s, Physical link is %s\n", name,
		   ifc->admin_up ? "Enabled" : "Administratively down",
		   ifc->admin_up && ifc->oper_up ? "Up" : "Down");
	if (ifc->description)
		dev_printf(x, "  Description: %s\n", ifc->description);
	dev_printf(x, "  Link-level type: Ethernet, MTU: 1450\n");
	dev_printf(x,
		   "  Current address: %02x:%02x:%02x:%02x:%02x:%02x, Hardware address: "
		   "%02x:%02x:%02x:%02x:%02x:%02x\n",
		   m[0], m[1], m[2], m[3], m[4], m[5], m[0], m[1], m[2], m[3], m[4], m[5]);
	if (cleared) {
		time_t t = (time_t)(cleared / 1000);
		uint64_t now = dev_service_now_ms(s->service);
		uint64_t ago = now > cleared ? (now - cleared) / 1000 : 0;
		struct tm tm;
		char when[32];

		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
		dev_printf(x, "  Statistics last cleared: %s (%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64
			      " ago)\n",
			   when, ago / 3600, ago / 60 % 60, ago % 60);
	} else {
		dev_printf(x, "  Statistics last cleared: Never\n");
	}
	dev_printf(x,
		   "  Traffic statistics:\n"
		   "   Input  bytes  : %20" PRIu64 "\n"
		   "   Output bytes  : %20" PRIu64 "\n"
		   "   Input  packets: %20" PRIu64 "\n"
		   "   Output packets: %20" PRIu64 "\n"
		   "  Output errors:\n    Drops: %" PRIu64 "\n",
		   ifc->rx_bytes, ifc->tx_bytes, ifc->rx_packets, ifc->tx_packets, ifc->drops);
	dev_printf(x,
		   "  Logical interface %s.0\n"
		   "    Protocol inet, MTU: 1450\n"
		   "      Destination: %s, Local: %s\n",
		   name, net, ip);
	free(name);
}

static int show_interfaces(struct dev_exec *x, const struct dev_args *a)
{
	const char *name = dev_arg(a, "name");
	struct router_view v;

	if (!view_of(x, &v, true))
		return -1;
	for (size_t i = 0; i < v.n_ifs; i++) {
		char *j = view_ifname(&v, i);

		if (!name || !strcmp(name, j))
			put_interface(x, &v, i);
		free(j);
	}
	router_view_uninit(&v);
	return 0;
}

/* "run LINE" is carried out by the terminal (DEV_CMD_NESTED). */
static int run_nested(struct dev_exec *x, const struct dev_args *a)
{
	dev_printf(x, "error: syntax error\n");
	return -EINVAL;
}

/* clear interfaces statistics (all|IFNAME): show interfaces counts from
 * now on. */
static int clear_statistics(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *s = session(x);
	const char *name = dev_arg(a, "name");
	const char *model_name = NULL;
	char *error = NULL;
	struct router_view v;
	int rc;

	if (!view_of(x, &v, true))
		return -1;
	for (size_t i = 0; name && i < v.n_ifs && !model_name; i++) {
		char *j = view_ifname(&v, i);

		if (!strcmp(j, name))
			model_name = v.ifs[i].name;
		free(j);
	}
	rc = name && !model_name ? -ENOENT
				  : dev_counters_clear(s->service, s->device, &v, model_name, &error);
	router_view_uninit(&v);
	if (rc == -ENOENT)
		dev_printf(x, "error: device %s not found\n", name);
	else if (rc)
		dev_printf(x, "error: %s\n", error);
	free(error);
	return rc ? -1 : 0;
}

static int show_system_users(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *self = session(x);
	uint64_t now = dev_service_now_ms(self->service);
	bool viewer = dev_exec_role(x) < DEV_ROLE_OPERATOR;

	dev_printf(x, "USER     TTY      FROM                              LOGIN@  IDLE WHAT\n");
	for (struct dev_session *s = self->service->sessions; s; s = s->next) {
		uint64_t secs = (now - s->started_ms) / 1000;

		if (s->closing || strcmp(s->device, self->device))
			continue;
		/* Viewers see only their own address (service.c's show users). */
		dev_printf(x, "%-8s vty      %-33s %02" PRIu64 ":%02" PRIu64 "   -   cli\n", s->user,
			   s == self || !viewer ? s->source : "-", secs / 3600, secs / 60 % 60);
	}
	return 0;
}

/* ---- the configuration as JunOS writes it ---- */

/* One statement and where it is: path components from the top. Writing
 * a configuration gives a list of these in hierarchy order; the text
 * form nests them in braces. */
struct leaf {
	char *path[6];
	size_t depth;
	char *stmt;
};

struct leaves {
	struct leaf *v;
	size_t n, allocated;
};

static void leaf_add(struct leaves *l, const char *stmt, size_t depth, ...)
{
	struct leaf *f;
	va_list ap;

	l->v = xgrow(l->v, &l->allocated, l->n + 1, sizeof *l->v);
	f = &l->v[l->n++];
	memset(f, 0, sizeof *f);
	va_start(ap, depth);
	for (size_t i = 0; i < depth && i < ARRAY_SIZE(f->path); i++)
		f->path[f->depth++] = xstrdup(va_arg(ap, const char *));
	va_end(ap);
	f->stmt = xstrdup(stmt);
}

static void leaves_uninit(struct leaves *l)
{
	for (size_t i = 0; i < l->n; i++) {
		for (size_t k = 0; k < l->v[i].depth; k++)
			free(l->v[i].path[k]);
		free(l->v[i].stmt);
	}
	free(l->v);
}

/* "10.1.2.0/24"; "any" is left out by the caller. */
static char *prefix_text(const struct ipv4_prefix *p)
{
	char buf[IPV4_PREFIX_STRLEN];

	ipv4_prefix_format(p, buf);
	return xstrdup(buf);
}

static void config_interfaces(struct leaves *l, const struct router *r, const struct network *n)
{
	for (size_t i = 0; i < r->n_interfaces; i++) {
		const struct router_interface *ifc = &r->interfaces[i];
		const struct subnet *sn = subnet_named(n, ifc->subnet);
		char *name = dev_junos_ifname(r, i), *stmt;
		char ip[IPV4_ADDR_STRLEN];

		if (ifc->description) {
			stmt = xasprintf("description \"%s\"", ifc->description);
			leaf_add(l, stmt, 2, "interfaces", name);
			free(stmt);
		}
		if (ifc->shutdown)
			leaf_add(l, "disable", 2, "interfaces", name);
		if (ifc->acl_in) {
			stmt = xasprintf("input %s", ifc->acl_in);
			leaf_add(l, stmt, 5, "interfaces", name, "unit 0", "family inet", "filter");
			free(stmt);
		}
		if (ifc->acl_out) {
			stmt = xasprintf("output %s", ifc->acl_out);
			leaf_add(l, stmt, 5, "interfaces", name, "unit 0", "family inet", "filter");
			free(stmt);
		}
		ipv4_format(ifc->ip, ip);
		stmt = xasprintf("address %s/%u", ip, sn ? (unsigned int)sn->cidr.len : 32u);
		leaf_add(l, stmt, 4, "interfaces", name, "unit 0", "family inet");
		free(stmt);
		free(name);
	}
}

static void config_routes(struct leaves *l, const struct router *r)
{
	for (size_t i = 0; i < r->n_routes; i++) {
		char *p = prefix_text(&r->routes[i].prefix), via[IPV4_ADDR_STRLEN], *stmt;

		ipv4_format(r->routes[i].via, via);
		stmt = xasprintf("route %s next-hop %s", p, via);
		leaf_add(l, stmt, 2, "routing-options", "static");
		free(stmt);
		free(p);
	}
}

static void config_shaping(struct leaves *l, const struct router *r)
{
	for (size_t i = 0; i < r->n_interfaces; i++) {
		char *name, *stmt;

		if (!r->interfaces[i].shape_bps)
			continue;
		name = dev_junos_ifname(r, i);
		stmt = xasprintf("shaping-rate %" PRIu64, r->interfaces[i].shape_bps);
		leaf_add(l, stmt, 3, "class-of-service", "interfaces", name);
		free(stmt);
		free(name);
	}
}

static void config_filters(struct leaves *l, const struct router *r)
{
	for (size_t i = 0; i < r->n_acls; i++) {
		const struct router_acl *acl = &r->acls[i];
		char *filter = xasprintf("filter %s", acl->name);

		for (size_t k = 0; k < acl->n_rules; k++) {
			const struct acl_rule *rule = &acl->rules[k];
			char *term = xasprintf("term %zu", k + 1), *stmt;

			if (rule->src.len) {
				char *p = prefix_text(&rule->src);

				stmt = xasprintf("source-address %s", p);
				leaf_add(l, stmt, 5, "firewall", "family inet", filter, term, "from");
				free(stmt);
				free(p);
			}
			if (rule->dst.len) {
				char *p = prefix_text(&rule->dst);

				stmt = xasprintf("destination-address %s", p);
				leaf_add(l, stmt, 5, "firewall", "family inet", filter, term, "from");
				free(stmt);
				free(p);
			}
			if (rule->proto != SG_PROTO_ANY) {
				stmt = xasprintf("protocol %s", codec_acl_proto_name(rule->proto));
				leaf_add(l, stmt, 5, "firewall", "family inet", filter, term, "from");
				free(stmt);
			}
			if (rule->port) {
				stmt = xasprintf("destination-port %u", (unsigned int)rule->port);
				leaf_add(l, stmt, 5, "firewall", "family inet", filter, term, "from");
				free(stmt);
			}
			leaf_add(l, rule->action == ACL_PERMIT ? "then accept" : "then discard", 4,
				 "firewall", "family inet", filter, term);
			free(term);
		}
		free(filter);
	}
}

static void config_redirects(struct leaves *l, const struct router *r)
{
	for (size_t i = 0; i < r->n_redirects; i++) {
		char from[IPV4_ADDR_STRLEN], to[IPV4_ADDR_STRLEN];
		char *rule = xasprintf("rule redirect-%zu", i + 1), *stmt;

		ipv4_format(r->redirects[i].from, from);
		ipv4_format(r->redirects[i].to, to);
		stmt = xasprintf("match destination-address %s/32", from);
		leaf_add(l, stmt, 4, "security", "nat", "destination", rule);
		free(stmt);
		stmt = xasprintf("then destination-nat %s", to);
		leaf_add(l, stmt, 4, "security", "nat", "destination", rule);
		free(stmt);
		free(rule);
	}
}

static void config_leaves(struct leaves *l, const struct router *r, const struct network *n)
{
	char *host = xasprintf("host-name %s", r->name);

	leaf_add(l, "version \"onm-" ONM_VERSION "\"", 0);
	leaf_add(l, host, 1, "system");
	free(host);
	config_interfaces(l, r, n);
	config_shaping(l, r);
	config_routes(l, r);
	config_filters(l, r);
	config_redirects(l, r);
}

static void indent(struct ds *out, size_t level)
{
	for (size_t i = 0; i < level; i++)
		ds_put_cstr(out, "    ");
}

/* The leaves nested in braces, as `show configuration` prints them. */
static void leaves_text(const struct leaves *l, struct ds *out)
{
	const struct leaf *prev = NULL;
	size_t open = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct leaf *f = &l->v[i];
		size_t common = 0;

		while (prev && common < open && common < f->depth &&
		       !strcmp(prev->path[common], f->path[common]))
			common++;
		while (open > common) {
			indent(out, --open);
			ds_put_cstr(out, "}\n");
		}
		for (; open < f->depth; open++) {
			indent(out, open);
			ds_put_format(out, "%s {\n", f->path[open]);
		}
		indent(out, open);
		ds_put_format(out, "%s;\n", f->stmt);
		prev = f;
	}
	while (open > 0) {
		indent(out, --open);
		ds_put_cstr(out, "}\n");
	}
}

/* The statements of router 'json' (its canonical JSON); false (printed)
 * if it does not parse. */
static bool config_of(struct dev_exec *x, const json_t *json, struct leaves *l)
{
	struct dev_session *s = session(x);
	char *text = json_dumps(json, JSON_COMPACT), *error;
	struct model_object *obj = NULL;
	const struct router *r;

	error = codec_object_parse_json(MODEL_ROUTER, text, strlen(text), "candidate", &obj);
	free(text);
	if (error) {
		dev_printf(x, "error: %s\n", error);
		free(error);
		return false;
	}
	r = CONTAINER_OF(obj, const struct router, hdr);
	config_leaves(l, r, network_of(dev_service_model(s->service), r));
	model_object_destroy(obj);
	return true;
}

/* Writes router 'json' as JunOS does; false (printed) if it does not
 * parse. */
static bool config_text(struct dev_exec *x, const json_t *json, struct ds *out)
{
	struct leaves l = {0};
	bool ok = config_of(x, json, &l);

	if (ok)
		leaves_text(&l, out);
	leaves_uninit(&l);
	return ok;
}

static bool path_equal(const struct leaf *a, const struct leaf *b)
{
	if (a->depth != b->depth)
		return false;
	for (size_t i = 0; i < a->depth; i++)
		if (strcmp(a->path[i], b->path[i]))
			return false;
	return true;
}

static bool leaves_have(const struct leaves *l, const struct leaf *f)
{
	for (size_t i = 0; i < l->n; i++)
		if (path_equal(&l->v[i], f) && !strcmp(l->v[i].stmt, f->stmt))
			return true;
	return false;
}

/* The statements under 'f''s path that are in 'from' and not in 'other',
 * each with 'sign'; the "[edit PATH]" header first if 'header' is unset. */
static void compare_path(struct ds *out, const struct leaf *f, const struct leaves *from,
			 const struct leaves *other, char sign, bool *header)
{
	for (size_t i = 0; i < from->n; i++) {
		const struct leaf *g = &from->v[i];

		if (!path_equal(g, f) || leaves_have(other, g))
			continue;
		if (!*header) {
			ds_put_cstr(out, "[edit");
			for (size_t k = 0; k < f->depth; k++)
				ds_put_format(out, " %s", f->path[k]);
			ds_put_cstr(out, "]\n");
			*header = true;
		}
		ds_put_format(out, "%c   %s;\n", sign, g->stmt);
	}
}

/* `show | compare`: what differs between 'running' and 'cand', per
 * hierarchy level, "-" for what goes and "+" for what comes, as JunOS
 * prints it. Levels come in the running configuration's order, then the
 * new ones in the candidate's. */
static void compare_text(struct ds *out, const struct leaves *running, const struct leaves *cand)
{
	const struct leaves *lists[2] = {running, cand};

	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < lists[k]->n; i++) {
			const struct leaf *f = &lists[k]->v[i];
			bool seen = false, header = false;

			/* Each level once: at its first statement in either list. */
			for (size_t j = 0; j < i && !seen; j++)
				seen = path_equal(&lists[k]->v[j], f);
			for (size_t j = 0; k == 1 && j < running->n && !seen; j++)
				seen = path_equal(&running->v[j], f);
			if (seen)
				continue;
			compare_path(out, f, running, cand, '-', &header);
			compare_path(out, f, cand, running, '+', &header);
		}
}

static int show_configuration(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *s = session(x);
	json_t *running = dev_router_json(s->service, s->device);
	struct ds out = DS_EMPTY_INITIALIZER;
	bool ok;

	if (!running) {
		dev_printf(x, "error: this device no longer exists\n");
		return -1;
	}
	ok = config_text(x, running, &out);
	if (ok)
		dev_write(x, out.string, out.length);
	ds_destroy(&out);
	json_decref(running);
	return ok ? 0 : -1;
}

/* ---- configuration mode ---- */

/* The session's candidate, taken from the running configuration if there
 * is none; NULL (printed) if the router is gone. */
static json_t *candidate(struct dev_exec *x)
{
	struct dev_session *s = session(x);
	json_t *running;

	if (s->candidate)
		return s->candidate;
	running = dev_router_json(s->service, s->device);
	if (!running) {
		dev_printf(x, "error: this device no longer exists\n");
		return NULL;
	}
	free(s->candidate_base);
	s->candidate_base = json_dumps(running, JSON_COMPACT | JSON_SORT_KEYS);
	s->candidate = running;
	return running;
}

static void candidate_drop(struct dev_session *s)
{
	json_decref(s->candidate);
	s->candidate = NULL;
	free(s->candidate_base);
	s->candidate_base = NULL;
}

/* Does the candidate differ from what it was taken from? */
static bool candidate_changed(const struct dev_session *s)
{
	char *now;
	bool changed;

	if (!s->candidate)
		return false;
	now = json_dumps(s->candidate, JSON_COMPACT | JSON_SORT_KEYS);
	changed = strcmp(now, s->candidate_base);
	free(now);
	return changed;
}

static int configure(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *s = session(x);

	if (!candidate(x))
		return -1;
	dev_printf(x, "Entering configuration mode\n");
	if (candidate_changed(s))
		dev_printf(x, "The configuration has been changed but not committed\n");
	dev_printf(x, "\n[edit]\n");
	dev_exec_set_mode(x, DEV_MODE_CONFIG, NULL);
	return 0;
}

static int exit_configuration(struct dev_exec *x, const struct dev_args *a)
{
	if (candidate_changed(session(x)))
		dev_printf(x, "The configuration has been changed but not committed\n");
	dev_printf(x, "Exiting configuration mode\n\n");
	dev_exec_set_mode(x, DEV_MODE_PRIV, NULL);
	return 0;
}

/* The candidate's interface object that JunOS name 'name' stands for. */
static json_t *candidate_interface(struct dev_exec *x, json_t *cand, const char *name)
{
	const struct router *r = session_router(x);
	int i = r ? dev_junos_ifindex(r, name) : -1;
	json_t *ifc;
	size_t k;

	if (i < 0) {
		if (r)
			dev_printf(x, "error: no interface %s\n", name);
		return NULL;
	}
	json_array_foreach (json_object_get(cand, "interfaces"), k, ifc)
		if (!strcmp(json_string_value(json_object_get(ifc, "name")) ?: "",
			    r->interfaces[i].name))
			return ifc;
	dev_printf(x, "error: no interface %s in the candidate configuration\n", name);
	return NULL;
}

static int set_interface_disable(struct dev_exec *x, const struct dev_args *a)
{
	json_t *cand = candidate(x), *ifc;

	ifc = cand ? candidate_interface(x, cand, dev_arg(a, "name")) : NULL;
	if (!ifc)
		return -1;
	if (!strcmp(dev_arg(a, "op"), "delete"))
		json_object_del(ifc, "shutdown");
	else
		json_object_set_new(ifc, "shutdown", json_true());
	dev_printf(x, "\n[edit]\n");
	return 0;
}

static int set_interface_description(struct dev_exec *x, const struct dev_args *a)
{
	json_t *cand = candidate(x), *ifc;
	const char *text = dev_arg(a, "text");

	ifc = cand ? candidate_interface(x, cand, dev_arg(a, "name")) : NULL;
	if (!ifc)
		return -1;
	if (dev_arg(a, "delete")) {
		json_object_del(ifc, "description");
	} else {
		size_t n = strlen(text);

		/* JunOS quotes text with blanks; the quotes are not part of it. */
		if (n >= 2 && text[0] == '"' && text[n - 1] == '"') {
			char *inner = xmemdup0(text + 1, n - 2);

			json_object_set_new(ifc, "description", json_string(inner));
			free(inner);
		} else {
			json_object_set_new(ifc, "description", json_string(text));
		}
	}
	dev_printf(x, "\n[edit]\n");
	return 0;
}

static int set_static_route(struct dev_exec *x, const struct dev_args *a)
{
	json_t *cand = candidate(x), *routes, *rt = NULL;
	const char *prefix = dev_arg(a, "prefix"), *via = dev_arg(a, "via");
	struct ipv4_prefix want, p;
	bool del = dev_arg(a, "delete") != NULL;
	size_t i;

	if (!cand)
		return -1;
	if (!ipv4_prefix_parse(prefix, &want) || (want.addr & ~ipv4_mask(want.len))) {
		dev_printf(x, "error: %s is not a network prefix\n", prefix);
		return -1;
	}
	routes = json_object_get(cand, "routes");
	json_array_foreach (routes, i, rt)
		if (ipv4_prefix_parse(json_string_value(json_object_get(rt, "prefix")) ?: "", &p) &&
		    p.addr == want.addr && p.len == want.len)
			break;
	if (del) {
		if (i == json_array_size(routes)) {
			dev_printf(x, "warning: statement not found\n");
			return 0;
		}
		json_array_remove(routes, i);
	} else if (i < json_array_size(routes)) {
		/* One next hop per prefix in onm's model: the new one replaces it. */
		json_object_set_new(rt, "via", json_string(via));
	} else {
		json_array_append_new(routes, json_pack("{s:s, s:s}", "prefix", prefix, "via", via));
	}
	dev_printf(x, "\n[edit]\n");
	return 0;
}

/* `show | compare`: the candidate against the running configuration. */
static bool show_compare(struct dev_exec *x, const json_t *cand, struct ds *out)
{
	struct dev_session *s = session(x);
	json_t *running = dev_router_json(s->service, s->device);
	struct leaves r = {0}, c = {0};
	bool ok = running && config_of(x, running, &r) && config_of(x, cand, &c);

	if (!running)
		dev_printf(x, "error: this device no longer exists\n");
	if (ok)
		compare_text(out, &r, &c);
	leaves_uninit(&r);
	leaves_uninit(&c);
	json_decref(running);
	return ok;
}

/* `show` in configuration mode: the candidate (`| compare`: what differs
 * from the running configuration). */
static int show_candidate(struct dev_exec *x, const struct dev_args *a)
{
	json_t *cand = candidate(x);
	struct ds out = DS_EMPTY_INITIALIZER;
	bool ok;

	if (!cand)
		return -1;
	ok = dev_exec_compare(x) ? show_compare(x, cand, &out) : config_text(x, cand, &out);
	if (ok)
		dev_write(x, out.string, out.length);
	ds_destroy(&out);
	dev_printf(x, "\n[edit]\n");
	return ok ? 0 : -1;
}

static int commit(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *s = session(x);
	json_t *running;
	char *now, *error = NULL;
	int rc;

	if (!s->candidate || !candidate_changed(s)) {
		candidate_drop(s);
		dev_printf(x, "commit complete\n\n[edit]\n");
		return 0;
	}
	running = dev_router_json(s->service, s->device);
	now = running ? json_dumps(running, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(running);
	if (!now || strcmp(now, s->candidate_base)) {
		dev_printf(x, "error: configuration database modified\n"
			      "error: commit failed: the running configuration changed since "
			      "the candidate was taken (rollback, then redo the changes)\n\n"
			      "[edit]\n");
		free(now);
		return -1;
	}
	free(now);
	rc = dev_router_update(s->service, s->device, s->candidate, &error);
	if (rc) {
		const char *msg = error ? error : "failed";

		if (str_has_prefix(msg, "request body: "))
			msg += strlen("request body: ");
		dev_printf(x, "error: %s\nerror: configuration check-out failed\n\n[edit]\n", msg);
		free(error);
		return -1;
	}
	candidate_drop(s);
	dev_printf(x, "commit complete\n\n[edit]\n");
	return 0;
}

static int rollback(struct dev_exec *x, const struct dev_args *a)
{
	candidate_drop(session(x));
	dev_printf(x, "load complete\n\n[edit]\n");
	return 0;
}

/* ---- the table ---- */

#define OP_MODES DEV_MODES_SHOW
#define CONF DEV_MODE_BIT(DEV_MODE_CONFIG)
#define SHOW_FLAGS (DEV_CMD_PIPE_JUNOS | DEV_CMD_NO_AUDIT)

const struct dev_cmd dev_junos_cmds[] = {
    {"show version", "Show information about the system\nShow software process revision levels",
     OP_MODES, DEV_ROLE_VIEWER, SHOW_FLAGS, show_version},
    {"show route [A.B.C.D/M$prefix]",
     "Show information about the system\nShow routing table information\nIP prefix",
     OP_MODES, DEV_ROLE_VIEWER, SHOW_FLAGS, show_route},
    {"show route A.B.C.D$address",
     "Show information about the system\nShow routing table information\nIP address",
     OP_MODES, DEV_ROLE_VIEWER, SHOW_FLAGS, show_route},
    {"show interfaces terse",
     "Show information about the system\nShow interface information\nDisplay terse output",
     OP_MODES, DEV_ROLE_VIEWER, SHOW_FLAGS, show_interfaces_terse},
    {"show interfaces [IFNAME$name]",
     "Show information about the system\nShow interface information\nName of physical or "
     "logical interface",
     OP_MODES, DEV_ROLE_VIEWER, SHOW_FLAGS, show_interfaces},
    {"show configuration", "Show information about the system\nShow current configuration",
     OP_MODES, DEV_ROLE_VIEWER, SHOW_FLAGS, show_configuration},
    {"show system users",
     "Show information about the system\nShow system information\nShow users who are "
     "currently logged in",
     OP_MODES, DEV_ROLE_VIEWER, SHOW_FLAGS, show_system_users},
    {"clear interfaces statistics (all|IFNAME$name)",
     "Clear information in the system\nClear interface information\nClear interface "
     "statistics\nClear statistics on all interfaces\nName of physical interface",
     OP_MODES, DEV_ROLE_OPERATOR, 0, clear_statistics},
    {"configure", "Manipulate software configuration information", OP_MODES, DEV_ROLE_OPERATOR,
     0, configure},
    {"exit configuration-mode", "Exit from this level\nExit from configuration mode", CONF,
     DEV_ROLE_OPERATOR, 0, exit_configuration},
    {"run LINE$line", "Run an operational-mode command\nCommand", CONF, DEV_ROLE_VIEWER,
     DEV_CMD_NESTED | DEV_CMD_NO_AUDIT | DEV_CMD_PIPE_JUNOS, run_nested},
    {"(set|delete)$op interfaces IFNAME$name disable",
     "Set a parameter\nDelete a data element\nInterface configuration\nInterface name\n"
     "Disable physical interface",
     CONF, DEV_ROLE_OPERATOR, 0, set_interface_disable},
    {"set interfaces IFNAME$name description LINE$text",
     "Set a parameter\nInterface configuration\nInterface name\nText description of "
     "interface\nThe text",
     CONF, DEV_ROLE_ADMIN, 0, set_interface_description},
    {"delete interfaces IFNAME$name description",
     "Delete a data element\nInterface configuration\nInterface name\nText description of "
     "interface",
     CONF, DEV_ROLE_ADMIN, 0, set_interface_description},
    {"set routing-options static route A.B.C.D/M$prefix next-hop A.B.C.D$via",
     "Set a parameter\nProtocol-independent routing option configuration\nStatic routes\n"
     "Static route\nDestination prefix\nNext hop to destination\nNext-hop address",
     CONF, DEV_ROLE_ADMIN, 0, set_static_route},
    {"delete routing-options static route A.B.C.D/M$prefix",
     "Delete a data element\nProtocol-independent routing option configuration\nStatic "
     "routes\nStatic route\nDestination prefix",
     CONF, DEV_ROLE_ADMIN, 0, set_static_route},
    {"show", "Show a part of the configuration hierarchy", CONF, DEV_ROLE_OPERATOR,
     SHOW_FLAGS | DEV_CMD_PIPE_COMPARE, show_candidate},
    {"commit", "Commit current set of changes", CONF, DEV_ROLE_OPERATOR, 0, commit},
    {"rollback [0]", "Roll back to previous committed configuration\nMost recently committed",
     CONF, DEV_ROLE_OPERATOR, 0, rollback},
};
const size_t dev_junos_n_cmds = ARRAY_SIZE(dev_junos_cmds);
