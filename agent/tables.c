// SPDX-License-Identifier: Apache-2.0
/*
 * Builds a table snapshot from the host's view (docs/dataplane.md,
 * "Entries of host H's view"): validates every entry it uses, resolves
 * names to indices (networks, subnets, routers, hosts, security groups),
 * turns the classes into a DSCP -> class map with each class's waypoint
 * role on this host, reads forwarding entries with their equal-cost next
 * hops, compiles security groups into per-port rule lists with from_group
 * expanded to the group's member addresses, builds one LPM per router over
 * its connected subnets and static routes, and fills the per-packet maps.
 * Routers' optional settings become flags of their interfaces (shut down,
 * access lists in and out, shaped, redirects): the routes through a shut
 * interface go to a separate LPM, access lists are compiled per router,
 * redirects into one map, and shapers come from the counters registry by
 * interface name, so that their buckets outlive the snapshot.
 * Entries are processed in sorted key order so equal views give equal
 * snapshots (port numbers included).
 */
#include "tables-private.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The source MAC of DHCP replies on a subnet without a router
 * (locally administered, unicast; instance MACs start with 02). */
static const struct eth_addr dhcp_default_mac = {{0x0e, 0x6f, 0x6e, 0x6d, 0x00, 0x01}};

struct bhost {
	const char *name;
	uint16_t id;
	uint32_t address;
	bool kernel_vtep;
};

/* What the build keeps between phases besides the snapshot. */
struct builder {
	struct dp_tables *t;
	char *err;	     /* first error */
	const char *key;     /* entry being read, for messages */
	struct bhost *hosts; /* sorted by name */
	size_t n_hosts;
	const json_t **vn_groups;   /* per VN: its "security_groups" array */
	const json_t **inst_groups; /* per instance: its "security_groups" array */
	const char **inst_ids;	    /* per instance: "T/N/I" (points into 'entries' keys) */
	const char **inst_ports;    /* per instance: TAP name or NULL */
	const json_t *self_caps;    /* self's "capabilities": array of strings, or NULL */
};

static bool PRINTF_FORMAT(2, 3) fail(struct builder *b, const char *fmt, ...)
{
	va_list args;
	char *msg;

	if (b->err)
		return false;
	va_start(args, fmt);
	msg = xvasprintf(fmt, args);
	va_end(args);
	b->err = xasprintf("%s: %s", b->key ? b->key : "view", msg);
	free(msg);
	return false;
}

/* Compact JSON text of 'v' for messages, at most ~60 bytes. Caller frees. */
static char *quote(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (!s)
		return xstrdup("?");
	if (strlen(s) > 60) {
		s[57] = s[58] = s[59] = '.';
		s[60] = '\0';
	}
	return s;
}

static bool fail_value(struct builder *b, const char *field, const json_t *v, const char *what)
{
	char *q = quote(v);

	fail(b, "%s: %s %s", field, q, what);
	free(q);
	return false;
}

static const json_t *get(struct builder *b, const json_t *o, const char *field)
{
	const json_t *v = json_object_get(o, field);

	if (!v)
		fail(b, "%s: missing", field);
	return v;
}

static bool get_str(struct builder *b, const json_t *o, const char *field, const char **out)
{
	const json_t *v = get(b, o, field);

	if (!v)
		return false;
	if (!json_is_string(v) || !json_string_length(v))
		return fail_value(b, field, v, "is not a non-empty string");
	*out = json_string_value(v);
	return true;
}

static bool get_uint(struct builder *b, const json_t *o, const char *field, uint64_t min,
		     uint64_t max, uint64_t *out)
{
	const json_t *v = get(b, o, field);

	if (!v)
		return false;
	if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)min ||
	    (uint64_t)json_integer_value(v) > max) {
		char what[64];

		snprintf(what, sizeof what, "is not an integer in %llu..%llu",
			 (unsigned long long)min, (unsigned long long)max);
		return fail_value(b, field, v, what);
	}
	*out = (uint64_t)json_integer_value(v);
	return true;
}

static bool get_ipv4(struct builder *b, const json_t *o, const char *field, uint32_t *out)
{
	const char *s;

	if (!get_str(b, o, field, &s))
		return false;
	if (!ipv4_parse(s, out))
		return fail_value(b, field, json_object_get(o, field), "is not an IPv4 address");
	return true;
}

static bool get_prefix(struct builder *b, const json_t *o, const char *field,
		       struct ipv4_prefix *out)
{
	const char *s;

	if (!get_str(b, o, field, &s))
		return false;
	if (!ipv4_prefix_parse(s, out))
		return fail_value(b, field, json_object_get(o, field), "is not an IPv4 prefix");
	return true;
}

static bool get_mac(struct builder *b, const json_t *o, const char *field, struct eth_addr *out)
{
	const char *s;

	if (!get_str(b, o, field, &s))
		return false;
	if (!eth_addr_parse(s, out) || (out->b[0] & 1) || eth_addr_is_zero(out))
		return fail_value(b, field, json_object_get(o, field),
				  "is not a unicast Ethernet address");
	return true;
}

static const json_t *get_array(struct builder *b, const json_t *o, const char *field, bool optional)
{
	const json_t *v = json_object_get(o, field);

	if (!v) {
		if (!optional)
			fail(b, "%s: missing", field);
		return NULL;
	}
	if (!json_is_array(v)) {
		fail_value(b, field, v, "is not an array");
		return NULL;
	}
	return v;
}

static bool is_object(struct builder *b, const json_t *v)
{
	if (!json_is_object(v))
		return fail_value(b, "value", v, "is not an object");
	return true;
}

/* ---- maps ---- */

static void map_init(struct dp_map *m, size_t n)
{
	size_t size = 4;

	while (size < 2 * n)
		size *= 2;
	m->slots = xcalloc(size, sizeof *m->slots);
	m->mask = (uint32_t)(size - 1);
	m->n = 0;
}

/* Adds 'key' -> 'value'; false if the key is there already. The map was
 * sized for all its keys by map_init(). */
static bool map_add(struct dp_map *m, uint64_t key, uint32_t value)
{
	uint32_t i;

	key |= DP_MAP_USED;
	for (i = dp_map_hash(key) & m->mask;; i = (i + 1) & m->mask) {
		struct dp_map_slot *s = &m->slots[i];

		if (s->key == key)
			return false;
		if (!s->key) {
			s->key = key;
			s->value = value;
			m->n++;
			return true;
		}
	}
}

/* ---- lookups during the build ---- */

static int cmp_host(const void *a, const void *b)
{
	return strcmp(((const struct bhost *)a)->name, ((const struct bhost *)b)->name);
}

static const struct bhost *find_host(const struct builder *b, const char *name)
{
	struct bhost k = {.name = name};

	return bsearch(&k, b->hosts, b->n_hosts, sizeof k, cmp_host);
}

/* The VN "tenant/network" (vns are sorted by id), or DP_NONE. */
static uint32_t find_vn(const struct dp_tables *t, const char *tenant, const char *network)
{
	char *id = xasprintf("%s/%s", tenant, network);
	uint32_t lo = 0, hi = t->n_vns;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, t->vns[mid].id);

		if (!c) {
			free(id);
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	free(id);
	return DP_NONE;
}

/* True if the JSON array 'names' holds the string 'name'. */
static bool has_name(const json_t *names, const char *name)
{
	const json_t *n;
	size_t i;

	json_array_foreach(names, i, n)
	{
		if (json_is_string(n) && !strcmp(json_string_value(n), name))
			return true;
	}
	return false;
}

static uint32_t find_subnet(const struct dp_vn *vn, const char *name)
{
	for (uint32_t i = 0; i < vn->n_subnets; i++)
		if (!strcmp(vn->subnets[i].name, name))
			return i;
	return DP_NONE;
}

/* ---- entries ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Checks that 'field' of 'o', if there, is an array of non-empty strings;
 * returns it, or NULL if absent or bad (then b->err is set). */
static const json_t *get_names(struct builder *b, const json_t *o, const char *field)
{
	const json_t *a = get_array(b, o, field, true), *n;
	size_t i;

	json_array_foreach(a, i, n)
	{
		if (!json_is_string(n) || !json_string_length(n)) {
			fail_value(b, field, n, "is not a non-empty string");
			return NULL;
		}
	}
	return a;
}

static void read_self(struct builder *b, const json_t *v)
{
	const char *name;
	uint64_t id;

	b->key = "self";
	if (!v) {
		fail(b, "missing");
		return;
	}
	if (!is_object(b, v) || !get_str(b, v, "name", &name) ||
	    !get_uint(b, v, "id", 1, 65535, &id) || !get_ipv4(b, v, "address", &b->t->self_address))
		return;
	/* "capabilities" may be absent: a host without any. */
	b->self_caps = get_names(b, v, "capabilities");
	if (b->err)
		return;
	b->t->self_name = xstrdup(name);
	b->t->self_id = (uint16_t)id;
}

/* class/NAME: its id, its DSCP, whether its packets pass a waypoint, and
 * its transit counters (by name: a class keeps them when ids shift). */
static void read_class(struct builder *b, const json_t *v, struct dp_counters_registry *reg)
{
	struct dp_tables *t = b->t;
	struct dp_class *c;
	const char *name, *via = NULL;
	uint64_t id, dscp;

	if (!is_object(b, v) || !get_str(b, v, "name", &name) ||
	    !get_uint(b, v, "id", 0, DP_MAX_CLASSES - 1, &id) ||
	    !get_uint(b, v, "dscp", 0, DP_MAX_DSCP - 1, &dscp))
		return;
	if (json_object_get(v, "via_capability") && !get_str(b, v, "via_capability", &via))
		return;
	c = &t->classes[id];
	if (c->name) {
		fail(b, "id: %u is also the id of class %s", (unsigned int)id, c->name);
		return;
	}
	if (t->dscp_class[dscp] != DP_CLASS_NONE) {
		fail(b, "dscp: %u is also the DSCP of class %s", (unsigned int)dscp,
		     t->classes[t->dscp_class[dscp]].name);
		return;
	}
	c->name = xstrdup(name);
	c->dscp = (uint8_t)dscp;
	c->waypoint = via != NULL;
	c->self_waypoint = via && b->self_caps && has_name(b->self_caps, via);
	c->ctr = dp_counters_registry_get(reg, DP_COUNTER_TRANSIT, name);
	t->dscp_class[dscp] = (uint16_t)id;
	t->n_classes++;
}

/* Checks that 'field' holds the id of a class of the view. */
static bool get_class_id(struct builder *b, const json_t *o, const char *field, uint8_t *out)
{
	uint64_t id;

	if (!get_uint(b, o, field, 0, DP_MAX_CLASSES - 1, &id))
		return false;
	if (!b->t->classes[id].name)
		return fail_value(b, field, json_object_get(o, field),
				  "is not the id of a class of the view");
	*out = (uint8_t)id;
	return true;
}

static void read_host(struct builder *b, const json_t *v)
{
	struct bhost *h = &b->hosts[b->n_hosts];
	const json_t *kv;
	uint64_t id;

	if (!is_object(b, v) || !get_str(b, v, "name", &h->name) ||
	    !get_uint(b, v, "id", 1, 65535, &id) || !get_ipv4(b, v, "address", &h->address))
		return;
	kv = json_object_get(v, "kernel_vtep");
	if (kv && !json_is_boolean(kv)) {
		fail_value(b, "kernel_vtep", kv, "is not a boolean");
		return;
	}
	h->id = (uint16_t)id;
	h->kernel_vtep = json_is_true(kv);
	b->n_hosts++;
}

static void read_network(struct builder *b, const json_t *v, struct dp_counters_registry *reg)
{
	struct dp_tables *t = b->t;
	struct dp_vn *vn = &t->vns[t->n_vns];
	const char *tenant, *name;
	const json_t *subnets, *groups, *s;
	uint64_t vni;
	uint8_t class_id;
	size_t i;

	if (!is_object(b, v) || !get_str(b, v, "tenant", &tenant) ||
	    !get_str(b, v, "name", &name) || !get_uint(b, v, "vni", 1, 0xffffff, &vni) ||
	    !get_class_id(b, v, "class_id", &class_id) ||
	    !(subnets = get_array(b, v, "subnets", false)))
		return;
	groups = get_array(b, v, "security_groups", true);
	if (b->err)
		return;
	vn->subnets = xcalloc(json_array_size(subnets) + 1, sizeof *vn->subnets);
	vn->id = xasprintf("%s/%s", tenant, name);
	vn->vni = (uint32_t)vni;
	vn->class_id = class_id;
	b->vn_groups[t->n_vns] = groups;
	t->n_vns++; /* owns what it holds from here on, for dp_tables_destroy() */
	json_array_foreach(subnets, i, s)
	{
		struct dp_subnet *sn = &vn->subnets[vn->n_subnets];
		const char *sname;

		if (!is_object(b, s) || !get_str(b, s, "name", &sname) ||
		    !get_prefix(b, s, "cidr", &sn->cidr))
			return;
		if (find_subnet(vn, sname) != DP_NONE) {
			fail(b, "subnets: \"%s\" given twice", sname);
			return;
		}
		sn->name = xstrdup(sname);
		sn->router_if = DP_NONE;
		vn->n_subnets++;
	}
	vn->ctr = dp_counters_registry_get(reg, DP_COUNTER_NETWORK, vn->id);
}

struct vn_sort {
	struct dp_vn vn;
	const json_t *groups;
};

static int cmp_vn(const void *a, const void *b)
{
	return strcmp(((const struct vn_sort *)a)->vn.id, ((const struct vn_sort *)b)->vn.id);
}

/* ---- routers: access lists, interface settings, redirects ---- */

/* Adds route number r->n_routes (filled in by the caller) for 'prefix': to
 * the router's LPM, or, if it goes through an interface that is shut down,
 * to its LPM of routes that are down. */
static void add_route(struct dp_router *r, const struct ipv4_prefix *prefix, bool down)
{
	if (down) {
		if (!r->lpm_down)
			r->lpm_down = lpm_create();
		lpm_add(r->lpm_down, prefix, r->n_routes);
	} else {
		lpm_add(r->lpm, prefix, r->n_routes);
	}
	r->n_routes++;
}

/* An ACL address: "any", a prefix "A.B.C.D/M" or an address (/32). */
static bool get_acl_addr(struct builder *b, const json_t *o, const char *field, uint32_t *addr,
			 uint32_t *mask)
{
	struct ipv4_prefix pfx;
	const char *s;

	if (!get_str(b, o, field, &s))
		return false;
	if (!strcmp(s, "any")) {
		*addr = *mask = 0;
		return true;
	}
	if (ipv4_prefix_parse(s, &pfx)) {
		*addr = pfx.addr;
		*mask = ipv4_mask(pfx.len);
		return true;
	}
	if (ipv4_parse(s, addr)) {
		*mask = 0xffffffffu;
		return true;
	}
	return fail_value(b, field, json_object_get(o, field),
			  "is not any, a prefix or an address");
}

static bool compile_racl_rule(struct builder *b, const char *acl, size_t i, const json_t *rule,
			      struct dp_racl_rule *r)
{
	const char *action, *proto = "ip";
	const json_t *port;
	char *where = xasprintf("%s: acls: %s[%zu]", b->key, acl, i);
	const char *key = b->key;
	bool ok = false;

	/* Messages name the rule: "router/acme/blue/r1: acls: WEB-IN[2]: ...". */
	b->key = where;
	if (!is_object(b, rule) || !get_str(b, rule, "action", &action))
		goto out;
	if (strcmp(action, "permit") && strcmp(action, "deny")) {
		fail(b, "action: \"%s\" is not permit or deny", action);
		goto out;
	}
	r->permit = !strcmp(action, "permit");
	if (json_object_get(rule, "proto") && !get_str(b, rule, "proto", &proto))
		goto out;
	if (!strcmp(proto, "tcp")) {
		r->proto = IP_PROTO_TCP;
	} else if (!strcmp(proto, "udp")) {
		r->proto = IP_PROTO_UDP;
	} else if (!strcmp(proto, "icmp")) {
		r->proto = IP_PROTO_ICMP;
	} else if (strcmp(proto, "ip")) {
		fail(b, "proto: \"%s\" is not ip, tcp, udp or icmp", proto);
		goto out;
	}
	if (!get_acl_addr(b, rule, "src", &r->src, &r->src_mask) ||
	    !get_acl_addr(b, rule, "dst", &r->dst, &r->dst_mask))
		goto out;
	port = json_object_get(rule, "port");
	if (port) {
		uint64_t n;

		if (r->proto != IP_PROTO_TCP && r->proto != IP_PROTO_UDP) {
			fail(b, "port: only for tcp or udp, not %s", proto);
			goto out;
		}
		if (!get_uint(b, rule, "port", 1, 65535, &n))
			goto out;
		r->port = (uint16_t)n;
	}
	ok = true;
out:
	b->key = key;
	free(where);
	return ok;
}

/* The router's "acls" object (optional): each list compiled into t->racls,
 * in the object's order from index '*first' on. */
static bool read_racls(struct builder *b, const json_t *v, uint32_t *first)
{
	struct dp_tables *t = b->t;
	const json_t *acls = json_object_get(v, "acls"), *rules, *rule;
	const char *name;
	size_t i;

	*first = t->n_racls;
	if (!acls)
		return true;
	if (!json_is_object(acls))
		return fail_value(b, "acls", acls, "is not an object");
	t->racls = xrealloc(t->racls, (t->n_racls + json_object_size(acls) + 1) * sizeof *t->racls);
	json_object_foreach((json_t *)acls, name, rules)
	{
		struct dp_racl *acl = &t->racls[t->n_racls];

		if (!json_is_array(rules))
			return fail(b, "acls: %s: not an array of rules", name);
		acl->rules = xcalloc(json_array_size(rules) + 1, sizeof *acl->rules);
		acl->n = 0;
		t->n_racls++; /* owns its rules from here on, for dp_tables_destroy() */
		json_array_foreach(rules, i, rule)
		{
			if (!compile_racl_rule(b, name, i, rule, &acl->rules[acl->n]))
				return false;
			acl->n++;
		}
	}
	return true;
}

/* The index in t->racls of the router's access list named by 'field' of
 * interface 'e' (the router's lists start at 'first'), or DP_NONE if the
 * interface has none; false if it names no list of the router. */
static bool get_racl(struct builder *b, const json_t *router, const json_t *e, const char *ifname,
		     const char *field, uint32_t first, uint32_t *out)
{
	const json_t *acls = json_object_get(router, "acls"), *rules;
	const char *want, *name;
	uint32_t k = 0;

	*out = DP_NONE;
	if (!json_object_get(e, field))
		return true;
	if (!get_str(b, e, field, &want))
		return false;
	json_object_foreach((json_t *)acls, name, rules)
	{
		if (!strcmp(name, want)) {
			*out = first + k;
			return true;
		}
		k++;
	}
	return fail(b, "interfaces: %s: %s: no access list \"%s\" in the router", ifname, field,
		    want);
}

/* Burst tolerance of a shaper of 'rate_bps': 20 ms at the rate, and at least
 * two full-size frames (2 * 1514 bytes), in shaper ticks. */
static uint64_t shape_burst_ticks(uint64_t rate_bps)
{
	const uint64_t min_bytes = 2 * 1514;

	if (rate_bps / 8 / 50 >= min_bytes)
		return 20000 * DP_SHAPER_TICKS_PER_US;
	return min_bytes * 8 * 1000000 * DP_SHAPER_TICKS_PER_US / rate_bps;
}

/* An interface's "shutdown", "shape_bps", "acl_in" and "acl_out" (all
 * optional) into its features; 'cname' names its counters and shaper. */
static bool read_rif_settings(struct builder *b, const json_t *router, const json_t *e,
			      const char *ifname, uint32_t first_acl, const char *cname,
			      struct dp_router_if *rif, struct dp_counters_registry *reg)
{
	const json_t *down = json_object_get(e, "shutdown");
	uint64_t bps;

	if (down && !json_is_boolean(down))
		return fail_value(b, "shutdown", down, "is not a boolean");
	if (json_is_true(down))
		rif->features |= DP_RIF_DOWN;
	if (json_object_get(e, "shape_bps")) {
		if (!get_uint(b, e, "shape_bps", 1, DP_SHAPE_MAX_BPS, &bps))
			return false;
		rif->features |= DP_RIF_SHAPED;
		rif->shape_bps = bps;
		rif->shape_burst_tick = shape_burst_ticks(bps);
		rif->shaper = dp_counters_registry_shaper(reg, cname, bps);
	}
	if (!get_racl(b, router, e, ifname, "acl_in", first_acl, &rif->acl_in) ||
	    !get_racl(b, router, e, ifname, "acl_out", first_acl, &rif->acl_out))
		return false;
	if (rif->acl_in != DP_NONE)
		rif->features |= DP_RIF_ACL_IN;
	if (rif->acl_out != DP_NONE)
		rif->features |= DP_RIF_ACL_OUT;
	return true;
}

/* The router's "redirects" (optional): from -> to in t->redirect_map. */
static bool read_redirects(struct builder *b, const json_t *v, uint32_t router, uint32_t first_rif)
{
	struct dp_tables *t = b->t;
	const json_t *list = get_array(b, v, "redirects", true), *e;
	size_t i;

	if (b->err)
		return false;
	json_array_foreach(list, i, e)
	{
		char a[IPV4_ADDR_STRLEN], c[IPV4_ADDR_STRLEN];
		uint32_t from, to;

		if (!is_object(b, e) || !get_ipv4(b, e, "from", &from) ||
		    !get_ipv4(b, e, "to", &to))
			return false;
		ipv4_format(from, a);
		ipv4_format(to, c);
		if (from == to)
			return fail(b, "redirects[%zu]: from and to are both %s", i, a);
		if (!from || !to || from == 0xffffffffu || to == 0xffffffffu)
			return fail(b, "redirects[%zu]: %s to %s: not a unicast address", i, a, c);
		if (!map_add(&t->redirect_map, dp_key_ip(router, from), to))
			return fail(b, "redirects[%zu]: %s is redirected twice", i, a);
	}
	if (json_array_size(list)) {
		for (uint32_t k = first_rif; k < t->n_rifs; k++)
			t->rifs[k].features |= DP_RIF_REDIRECTS;
		t->vns[t->routers[router].vn].has_redirects = true;
	}
	return true;
}

static void read_router(struct builder *b, const json_t *v, struct dp_counters_registry *reg)
{
	struct dp_tables *t = b->t;
	struct dp_router *r = &t->routers[t->n_routers];
	const char *tenant, *network, *name;
	const json_t *ifs, *routes, *e;
	uint32_t vn_idx, first_acl, first_rif = t->n_rifs;
	size_t i;

	if (!is_object(b, v) || !get_str(b, v, "tenant", &tenant) ||
	    !get_str(b, v, "network", &network) || !get_str(b, v, "name", &name) ||
	    !(ifs = get_array(b, v, "interfaces", false)))
		return;
	routes = get_array(b, v, "routes", true);
	if (b->err)
		return;
	vn_idx = find_vn(t, tenant, network);
	if (vn_idx == DP_NONE) {
		fail(b, "network %s/%s is not in the view", tenant, network);
		return;
	}
	const struct dp_vn *vn = &t->vns[vn_idx];

	r->vn = vn_idx;
	r->lpm = lpm_create();
	r->routes = xcalloc(json_array_size(ifs) + json_array_size(routes) + 1, sizeof *r->routes);
	t->n_routers++;
	if (!read_racls(b, v, &first_acl))
		return;

	json_array_foreach(ifs, i, e)
	{
		struct dp_router_if *rif = &t->rifs[t->n_rifs];
		const char *ifname, *subnet;
		struct ipv4_prefix cidr;
		bool ok;

		if (!is_object(b, e) || !get_str(b, e, "name", &ifname) ||
		    !get_str(b, e, "subnet", &subnet) || !get_ipv4(b, e, "ip", &rif->ip) ||
		    !get_mac(b, e, "mac", &rif->mac) || !get_prefix(b, e, "cidr", &cidr))
			return;
		rif->subnet = find_subnet(vn, subnet);
		if (rif->subnet == DP_NONE) {
			fail(b, "interfaces: %s: subnet \"%s\" is not a subnet of %s", ifname,
			     subnet, vn->id);
			return;
		}
		rif->cidr = vn->subnets[rif->subnet].cidr;
		if (!ipv4_prefix_contains(&rif->cidr, rif->ip)) {
			fail(b, "interfaces: %s: ip is outside its subnet", ifname);
			return;
		}
		rif->vn = vn_idx;
		rif->router = t->n_routers - 1;
		char *cname = xasprintf("%s/%s/%s/%s", tenant, network, name, ifname);

		rif->ctr = dp_counters_registry_get(reg, DP_COUNTER_ROUTER_IF, cname);
		ok = read_rif_settings(b, v, e, ifname, first_acl, cname, rif, reg);
		free(cname);
		if (!ok)
			return;
		/* Connected route of the interface (if it is up). */
		r->routes[r->n_routes].router_if = t->n_rifs;
		r->routes[r->n_routes].via = 0;
		add_route(r, &rif->cidr, rif->features & DP_RIF_DOWN);
		t->n_rifs++;
	}
	json_array_foreach(routes, i, e)
	{
		struct ipv4_prefix prefix;
		uint32_t via, out = DP_NONE;

		if (!is_object(b, e) || !get_prefix(b, e, "prefix", &prefix) ||
		    !get_ipv4(b, e, "via", &via))
			return;
		/* The interface whose subnet holds the next hop (most specific). */
		for (uint32_t k = first_rif; k < t->n_rifs; k++)
			if (ipv4_prefix_contains(&t->rifs[k].cidr, via) &&
			    (out == DP_NONE || t->rifs[k].cidr.len > t->rifs[out].cidr.len))
				out = k;
		if (out == DP_NONE) {
			char buf[IPV4_ADDR_STRLEN];

			ipv4_format(via, buf);
			fail(b, "routes: via %s is not on a subnet of the router", buf);
			return;
		}
		r->routes[r->n_routes].router_if = out;
		r->routes[r->n_routes].via = via;
		add_route(r, &prefix, t->rifs[out].features & DP_RIF_DOWN);
	}
	read_redirects(b, v, t->n_routers - 1, first_rif);
}

static void read_instance(struct builder *b, const json_t *v, const char *id)
{
	struct dp_tables *t = b->t;
	struct dp_instance *in = &t->instances[t->n_instances];
	const char *tenant, *network, *subnet;
	const json_t *groups, *port;
	uint64_t host_id;

	if (!is_object(b, v) || !get_str(b, v, "tenant", &tenant) ||
	    !get_str(b, v, "network", &network) || !get_str(b, v, "subnet", &subnet) ||
	    !get_ipv4(b, v, "ip", &in->ip) || !get_mac(b, v, "mac", &in->mac) ||
	    !get_uint(b, v, "host_id", 1, 65535, &host_id))
		return;
	groups = get_array(b, v, "security_groups", true);
	if (b->err)
		return;
	in->vn = find_vn(t, tenant, network);
	if (in->vn == DP_NONE) {
		fail(b, "network %s/%s is not in the view", tenant, network);
		return;
	}
	in->subnet = find_subnet(&t->vns[in->vn], subnet);
	if (in->subnet == DP_NONE) {
		fail(b, "subnet: \"%s\" is not a subnet of %s", subnet, t->vns[in->vn].id);
		return;
	}
	if (!ipv4_prefix_contains(&t->vns[in->vn].subnets[in->subnet].cidr, in->ip)) {
		fail(b, "ip: outside subnet %s", subnet);
		return;
	}
	in->host_id = (uint16_t)host_id;
	in->port = DP_NONE;
	b->inst_ports[t->n_instances] = NULL;
	if (in->host_id == t->self_id) {
		port = get(b, v, "port");
		if (!port)
			return;
		if (!json_is_string(port) || !json_string_length(port) ||
		    json_string_length(port) >= 16) {
			fail_value(b, "port", port, "is not an interface name");
			return;
		}
		b->inst_ports[t->n_instances] = json_string_value(port);
	}
	b->inst_groups[t->n_instances] = groups;
	b->inst_ids[t->n_instances] = id;
	t->n_instances++;
}

/* One list of next hops of a forwarding entry: 0..DP_MAX_NEXT_HOPS
 * objects {"name", "address"}. */
static bool read_hops(struct builder *b, const json_t *list, const char *field,
		      struct dp_hops *hops)
{
	const json_t *h;
	size_t i;

	if (json_array_size(list) > DP_MAX_NEXT_HOPS)
		return fail(b, "%s: %zu next hops, at most %d", field, json_array_size(list),
			    DP_MAX_NEXT_HOPS);
	json_array_foreach(list, i, h)
	{
		const char *key = b->key, *name;
		const struct bhost *nh;
		uint32_t addr;
		bool ok;

		if (!json_is_object(h))
			return fail_value(b, field, h, "is not an object {name, address}");
		/* Messages name the element: "fwd/gold/h3: next_hops[1]: ...". */
		char *where = xasprintf("%s: %s[%zu]", key, field, i);

		b->key = where;
		ok = get_str(b, h, "name", &name) && get_ipv4(b, h, "address", &addr);
		b->key = key;
		free(where);
		if (!ok)
			return false;
		nh = find_host(b, name);
		hops->addr[i] = addr;
		if (nh && nh->kernel_vtep)
			hops->kernel_vtep |= (uint8_t)(1u << i);
	}
	hops->n = (uint8_t)json_array_size(list);
	return true;
}

static void read_fwd(struct builder *b, const json_t *v)
{
	struct dp_tables *t = b->t;
	struct dp_fwd *f = &t->fwds[t->n_fwds];
	const json_t *next, *pre;
	uint64_t dst_id;
	uint8_t class_id;

	if (!is_object(b, v) || !get_class_id(b, v, "class_id", &class_id) ||
	    !get_uint(b, v, "dst_id", 1, 65535, &dst_id) ||
	    !(next = get_array(b, v, "next_hops", false)))
		return;
	pre = get_array(b, v, "pre_waypoint", true);
	if (b->err || !read_hops(b, next, "next_hops", &f->next_hops) ||
	    (pre && !read_hops(b, pre, "pre_waypoint", &f->pre_waypoint)))
		return;
	f->has_pre_waypoint = pre != NULL;
	if (!map_add(&t->fwd_map, dp_key_fwd(class_id, (uint16_t)dst_id), t->n_fwds)) {
		fail(b, "a second entry for class %u, destination %u", (unsigned int)class_id,
		     (unsigned int)dst_id);
		return;
	}
	t->n_fwds++;
}

/* ---- security groups ---- */

static const json_t *find_group(const json_t *groups, const char *name)
{
	const json_t *g;
	size_t i;

	json_array_foreach(groups, i, g)
	{
		const json_t *n = json_object_get(g, "name");

		if (json_is_string(n) && !strcmp(json_string_value(n), name))
			return g;
	}
	return NULL;
}

static void acl_push(struct dp_acl *acl, size_t *allocated, const struct dp_acl_rule *r)
{
	acl->rules = xgrow(acl->rules, allocated, acl->n + 1, sizeof *acl->rules);
	acl->rules[acl->n++] = *r;
}

/* Compiles one rule of group 'gname' of port 'p' into its in/out list. */
static bool compile_rule(struct builder *b, struct dp_port *p, const char *gname,
			 const json_t *rule, size_t *alloc_in, size_t *alloc_out)
{
	const struct dp_tables *t = b->t;
	struct dp_acl_rule r = {.port_min = 0, .port_max = 65535};
	const char *dir, *proto = "any";
	const json_t *ports, *group;
	bool in;

	if (!is_object(b, rule) || !get_str(b, rule, "dir", &dir))
		return false;
	if (strcmp(dir, "in") && strcmp(dir, "out"))
		return fail(b, "security group %s: dir: \"%s\" is not in or out", gname, dir);
	in = !strcmp(dir, "in");
	if (json_object_get(rule, "proto") && !get_str(b, rule, "proto", &proto))
		return false;
	if (!strcmp(proto, "tcp"))
		r.proto = IP_PROTO_TCP;
	else if (!strcmp(proto, "udp"))
		r.proto = IP_PROTO_UDP;
	else if (!strcmp(proto, "icmp"))
		r.proto = IP_PROTO_ICMP;
	else if (strcmp(proto, "any"))
		return fail(b, "security group %s: proto: \"%s\" is not tcp, udp, icmp or any",
			    gname, proto);
	ports = json_object_get(rule, "ports");
	if (ports) {
		unsigned int lo, hi;
		char tail;

		if (json_is_integer(ports)) {
			json_int_t n = json_integer_value(ports);

			lo = hi = n >= 1 && n <= 65535 ? (unsigned int)n : 0;
		} else if (!json_is_string(ports) ||
			   sscanf(json_string_value(ports), "%u-%u%c", &lo, &hi, &tail) != 2) {
			lo = hi = 0;
		}
		if (lo < 1 || hi > 65535 || lo > hi)
			return fail_value(b, "ports", ports, "is not a port or port range");
		r.port_min = (uint16_t)lo;
		r.port_max = (uint16_t)hi;
	}
	const char *addr_key = in ? "from" : "to", *group_key = in ? "from_group" : "to_group";
	struct dp_acl *acl = in ? &p->in : &p->out;
	size_t *alloc = in ? alloc_in : alloc_out;

	group = json_object_get(rule, group_key);
	if (group) {
		const char *member_group;

		if (!get_str(b, rule, group_key, &member_group))
			return false;
		if (!find_group(b->vn_groups[p->vn], member_group))
			return fail(b, "security group %s: %s: no group \"%s\" in %s", gname,
				    group_key, member_group, t->vns[p->vn].id);
		/* One /32 rule per instance of the VN in that group. */
		r.mask = 0xffffffffu;
		for (uint32_t i = 0; i < t->n_instances; i++) {
			if (t->instances[i].vn != p->vn || !b->inst_groups[i] ||
			    !has_name(b->inst_groups[i], member_group))
				continue;
			r.addr = t->instances[i].ip;
			acl_push(acl, alloc, &r);
		}
		return true;
	}
	if (json_object_get(rule, addr_key)) {
		struct ipv4_prefix pfx;

		if (!get_prefix(b, rule, addr_key, &pfx))
			return false;
		r.addr = pfx.addr;
		r.mask = ipv4_mask(pfx.len);
	} else {
		r.addr = r.mask = 0; /* anywhere */
	}
	acl_push(acl, alloc, &r);
	return true;
}

static bool compile_groups(struct builder *b, struct dp_port *p, const json_t *names)
{
	const json_t *vn_groups = b->vn_groups[p->vn], *n;
	size_t alloc_in = 0, alloc_out = 0, i;

	json_array_foreach(names, i, n)
	{
		const json_t *g, *rules, *rule;
		const char *gname;
		size_t j;

		if (!json_is_string(n))
			return fail_value(b, "security_groups", n, "is not a group name");
		gname = json_string_value(n);
		g = vn_groups ? find_group(vn_groups, gname) : NULL;
		if (!g)
			return fail(b, "security_groups: no group \"%s\" in %s", gname,
				    b->t->vns[p->vn].id);
		p->has_groups = true;
		rules = json_object_get(g, "rules");
		if (rules && !json_is_array(rules))
			return fail_value(b, "rules", rules, "is not an array");
		json_array_foreach(rules, j, rule)
		{
			if (!compile_rule(b, p, gname, rule, &alloc_in, &alloc_out))
				return false;
			if (json_is_string(json_object_get(rule, "dir")) &&
			    !strcmp(json_string_value(json_object_get(rule, "dir")), "out"))
				p->egress_filtered = true;
		}
	}
	return true;
}

/* ---- ports ---- */

static void make_ports(struct builder *b, struct dp_counters_registry *reg)
{
	struct dp_tables *t = b->t;
	uint32_t n = 0;

	for (uint32_t i = 0; i < t->n_instances; i++)
		n += b->inst_ports[i] != NULL;
	t->ports = xcalloc(n + 1, sizeof *t->ports);
	/* Instances are in id order already (sorted keys), so ports are too. */
	for (uint32_t i = 0; i < t->n_instances && !b->err; i++) {
		struct dp_instance *in = &t->instances[i];
		struct dp_port *p;

		if (!b->inst_ports[i])
			continue;
		for (uint32_t k = 0; k < t->n_ports; k++)
			if (!strcmp(t->ports[k].name, b->inst_ports[i])) {
				b->key = b->inst_ids[i];
				fail(b, "port: \"%s\" is also the port of %s", b->inst_ports[i],
				     t->ports[k].instance_id);
				return;
			}
		p = &t->ports[t->n_ports++];
		p->name = xstrdup(b->inst_ports[i]);
		p->instance_id = xstrdup(b->inst_ids[i] + strlen("instance/"));
		p->mac = in->mac;
		p->ip = in->ip;
		p->vn = in->vn;
		p->instance = i;
		p->subnet = in->subnet;
		p->ctr = dp_counters_registry_get(reg, DP_COUNTER_PORT, p->instance_id);
		in->port = t->n_ports - 1;

		const struct dp_subnet *sn = &t->vns[in->vn].subnets[in->subnet];

		p->dhcp.client_mac = in->mac;
		p->dhcp.client_ip = in->ip;
		p->dhcp.prefix_len = sn->cidr.len;
		p->dhcp.lease_s = DHCP_LEASE_S;
		p->dhcp.mtu = DHCP_MTU;
		if (sn->router_if != DP_NONE) {
			p->dhcp.router = t->rifs[sn->router_if].ip;
			p->dhcp.server_ip = t->rifs[sn->router_if].ip;
			p->dhcp.server_mac = t->rifs[sn->router_if].mac;
		} else {
			p->dhcp.server_ip = DHCP_SERVER_ID_DEFAULT;
			p->dhcp.server_mac = dhcp_default_mac;
		}
		b->key = b->inst_ids[i];
		if (b->inst_groups[i])
			compile_groups(b, p, b->inst_groups[i]);
	}
}

/* ---- precomputed routing results ---- */

/* For every router: its own VN's router addresses (answered locally) and
 * the instances its LPM sends straight to a connected subnet. Also each
 * remote instance's forwarding entry. Needs built LPMs and fwd_map. */
static void make_host_routes(struct builder *b)
{
	struct dp_tables *t = b->t;
	size_t n = 0;

	for (uint32_t i = 0; i < t->n_instances; i++) {
		struct dp_instance *in = &t->instances[i];

		in->fwd = in->port != DP_NONE
			      ? DP_NONE
			      : dp_map_find(&t->fwd_map,
					    dp_key_fwd(t->vns[in->vn].class_id, in->host_id));
	}
	for (uint32_t r = 0; r < t->n_routers; r++)
		for (uint32_t i = 0; i < t->n_instances + t->n_rifs; i++)
			n += (i < t->n_instances
				  ? t->instances[i].vn
				  : t->rifs[i - t->n_instances].vn) == t->routers[r].vn;
	t->host_routes = xcalloc(n + 1, sizeof *t->host_routes);
	map_init(&t->host_map, n);
	for (uint32_t r = 0; r < t->n_routers; r++) {
		const struct dp_router *rt = &t->routers[r];

		for (uint32_t i = 0; i < t->n_rifs; i++)
			if (t->rifs[i].vn == rt->vn)
				map_add(&t->host_map, dp_key_ip(r, t->rifs[i].ip), DP_MAP_RIF | i);
		for (uint32_t i = 0; i < t->n_instances; i++) {
			const struct dp_instance *in = &t->instances[i];
			uint32_t e;

			if (in->vn != rt->vn)
				continue;
			e = lpm_lookup(rt->lpm, in->ip);
			if (e == LPM_NONE || rt->routes[e].via)
				continue; /* no route, or a static route: the slow path */
			if (!map_add(&t->host_map, dp_key_ip(r, in->ip), t->n_host_routes))
				continue; /* a router address: answered locally */
			t->host_routes[t->n_host_routes].instance = i;
			t->host_routes[t->n_host_routes].out_rif = rt->routes[e].router_if;
			t->n_host_routes++;
		}
	}
}

/* ---- maps over instances and router interfaces ---- */

static void make_maps(struct builder *b)
{
	struct dp_tables *t = b->t;
	char buf[ETH_ADDR_STRLEN];

	map_init(&t->ip_map, t->n_instances + t->n_rifs);
	map_init(&t->mac_map, t->n_instances + t->n_rifs);
	map_init(&t->vni_map, t->n_vns);
	for (uint32_t i = 0; i < t->n_vns; i++) {
		b->key = NULL;
		if (!map_add(&t->vni_map, t->vns[i].vni, i)) {
			fail(b, "networks %s and another have the same VNI %u", t->vns[i].id,
			     t->vns[i].vni);
			return;
		}
	}
	for (uint32_t i = 0; i < t->n_rifs; i++) {
		const struct dp_router_if *rif = &t->rifs[i];
		struct dp_subnet *sn = &t->vns[rif->vn].subnets[rif->subnet];

		b->key = t->vns[rif->vn].id;
		if (sn->router_if == DP_NONE)
			sn->router_if = i;
		/* Several interfaces may share an address only if they are the
		 * same gateway; keep the first. */
		map_add(&t->ip_map, dp_key_ip(rif->vn, rif->ip), DP_MAP_RIF | i);
		if (!map_add(&t->mac_map, dp_key_mac(rif->vn, &rif->mac), DP_MAP_RIF | i)) {
			eth_addr_format(&rif->mac, buf);
			fail(b, "router interface MAC %s is used twice", buf);
			return;
		}
	}
	for (uint32_t i = 0; i < t->n_instances; i++) {
		const struct dp_instance *in = &t->instances[i];

		b->key = b->inst_ids[i];
		if (!map_add(&t->ip_map, dp_key_ip(in->vn, in->ip), i)) {
			fail(b, "ip: used twice in %s", t->vns[in->vn].id);
			return;
		}
		if (!map_add(&t->mac_map, dp_key_mac(in->vn, &in->mac), i)) {
			eth_addr_format(&in->mac, buf);
			fail(b, "mac: %s used twice in %s", buf, t->vns[in->vn].id);
			return;
		}
	}
}

char *dp_tables_build(const json_t *entries, struct dp_counters_registry *reg,
		      struct dp_tables **out)
{
	struct builder b = {0};
	struct dp_tables *t;
	const char **keys, *key;
	const json_t *v;
	size_t n_keys = 0, i, counts[5] = {0};

	*out = NULL;
	if (!json_is_object(entries))
		return xstrdup("view: entries is not an object");

	/* Sorted keys: deterministic order, and ids in order within a kind. */
	keys = xcalloc(json_object_size(entries) + 1, sizeof *keys);
	json_object_foreach((json_t *)entries, key, v) keys[n_keys++] = key;
	qsort(keys, n_keys, sizeof *keys, cmp_str);
	for (i = 0; i < n_keys; i++) {
		static const char *const prefixes[] = {"host/", "network/", "router/", "instance/",
						       "fwd/"};

		for (size_t k = 0; k < ARRAY_SIZE(prefixes); k++)
			counts[k] += str_has_prefix(keys[i], prefixes[k]);
	}

	t = xzalloc(sizeof *t);
	for (size_t k = 0; k < DP_MAX_DSCP; k++)
		t->dscp_class[k] = DP_CLASS_NONE;
	b.t = t;
	b.hosts = xcalloc(counts[0] + 1, sizeof *b.hosts);
	if (counts[1] > DP_MAX_VNS) {
		free(b.hosts);
		free(keys);
		free(t);
		return xasprintf("view: %zu networks, at most %d per host", counts[1], DP_MAX_VNS);
	}
	t->vns = xcalloc(counts[1] + 1, sizeof *t->vns);
	b.vn_groups = xcalloc(counts[1] + 1, sizeof *b.vn_groups);
	t->routers = xcalloc(counts[2] + 1, sizeof *t->routers);
	t->instances = xcalloc(counts[3] + 1, sizeof *t->instances);
	b.inst_groups = xcalloc(counts[3] + 1, sizeof *b.inst_groups);
	b.inst_ids = xcalloc(counts[3] + 1, sizeof *b.inst_ids);
	b.inst_ports = xcalloc(counts[3] + 1, sizeof *b.inst_ports);
	t->fwds = xcalloc(counts[4] + 1, sizeof *t->fwds);
	map_init(&t->fwd_map, counts[4]);

	/* Router interfaces and redirects: count them first (arrays never move
	 * once built, maps are sized once). */
	size_t n_rifs = 0, n_redirects = 0;

	for (i = 0; i < n_keys; i++) {
		if (str_has_prefix(keys[i], "router/")) {
			const json_t *r = json_object_get(entries, keys[i]);
			const json_t *ifs = json_object_get(r, "interfaces");
			const json_t *redirects = json_object_get(r, "redirects");

			n_rifs += json_is_array(ifs) ? json_array_size(ifs) : 0;
			n_redirects += json_is_array(redirects) ? json_array_size(redirects) : 0;
		}
	}
	t->rifs = xcalloc(n_rifs + 1, sizeof *t->rifs);
	map_init(&t->redirect_map, n_redirects);

	read_self(&b, json_object_get(entries, "self"));
	for (i = 0; i < n_keys && !b.err; i++) {
		b.key = keys[i];
		if (str_has_prefix(keys[i], "host/"))
			read_host(&b, json_object_get(entries, keys[i]));
	}
	qsort(b.hosts, b.n_hosts, sizeof *b.hosts, cmp_host);
	for (i = 0; i < n_keys && !b.err; i++) {
		b.key = keys[i];
		if (str_has_prefix(keys[i], "class/"))
			read_class(&b, json_object_get(entries, keys[i]), reg);
	}
	for (i = 0; i < n_keys && !b.err; i++) {
		b.key = keys[i];
		if (str_has_prefix(keys[i], "network/"))
			read_network(&b, json_object_get(entries, keys[i]), reg);
	}
	if (!b.err) {
		/* Sort VNs by id (find_vn() bisects), carrying their groups along. */
		struct vn_sort *sorted = xcalloc(t->n_vns + 1, sizeof *sorted);

		for (uint32_t k = 0; k < t->n_vns; k++) {
			sorted[k].vn = t->vns[k];
			sorted[k].groups = b.vn_groups[k];
		}
		qsort(sorted, t->n_vns, sizeof *sorted, cmp_vn);
		for (uint32_t k = 0; k < t->n_vns; k++) {
			t->vns[k] = sorted[k].vn;
			b.vn_groups[k] = sorted[k].groups;
			if (k && !strcmp(t->vns[k].id, t->vns[k - 1].id)) {
				b.key = NULL;
				fail(&b, "network %s given twice", t->vns[k].id);
			}
		}
		free(sorted);
	}
	for (i = 0; i < n_keys && !b.err; i++) {
		b.key = keys[i];
		if (str_has_prefix(keys[i], "router/"))
			read_router(&b, json_object_get(entries, keys[i]), reg);
	}
	for (i = 0; i < n_keys && !b.err; i++) {
		b.key = keys[i];
		if (str_has_prefix(keys[i], "instance/"))
			read_instance(&b, json_object_get(entries, keys[i]), keys[i]);
	}
	for (i = 0; i < n_keys && !b.err; i++) {
		b.key = keys[i];
		if (str_has_prefix(keys[i], "fwd/"))
			read_fwd(&b, json_object_get(entries, keys[i]));
	}
	if (!b.err)
		make_maps(&b);
	if (!b.err)
		make_ports(&b, reg);
	for (uint32_t k = 0; k < t->n_routers && !b.err; k++) {
		lpm_build(t->routers[k].lpm);
		if (t->routers[k].lpm_down)
			lpm_build(t->routers[k].lpm_down);
	}
	if (!b.err)
		make_host_routes(&b);

	free(b.hosts);
	free(b.vn_groups);
	free(b.inst_groups);
	free(b.inst_ids);
	free(b.inst_ports);
	free(keys);
	if (b.err) {
		dp_tables_destroy(t);
		return b.err;
	}
	*out = t;
	return NULL;
}

void dp_tables_destroy(struct dp_tables *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->n_ports; i++) {
		free(t->ports[i].name);
		free(t->ports[i].instance_id);
		free(t->ports[i].in.rules);
		free(t->ports[i].out.rules);
	}
	free(t->ports);
	for (uint32_t i = 0; i < t->n_vns; i++) {
		for (uint32_t k = 0; k < t->vns[i].n_subnets; k++)
			free(t->vns[i].subnets[k].name);
		free(t->vns[i].subnets);
		free(t->vns[i].id);
	}
	free(t->vns);
	for (size_t i = 0; i < DP_MAX_CLASSES; i++)
		free(t->classes[i].name);
	for (uint32_t i = 0; i < t->n_routers; i++) {
		lpm_destroy(t->routers[i].lpm);
		lpm_destroy(t->routers[i].lpm_down);
		free(t->routers[i].routes);
	}
	free(t->routers);
	for (uint32_t i = 0; i < t->n_racls; i++)
		free(t->racls[i].rules);
	free(t->racls);
	free(t->redirect_map.slots);
	free(t->rifs);
	free(t->instances);
	free(t->fwds);
	free(t->host_routes);
	free(t->host_map.slots);
	free(t->ip_map.slots);
	free(t->mac_map.slots);
	free(t->vni_map.slots);
	free(t->fwd_map.slots);
	free(t->self_name);
	free(t);
}

uint16_t dp_tables_self_id(const struct dp_tables *t)
{
	return t->self_id;
}

const char *dp_tables_self_name(const struct dp_tables *t)
{
	return t->self_name;
}

uint32_t dp_tables_self_address(const struct dp_tables *t)
{
	return t->self_address;
}

uint32_t dp_tables_n_ports(const struct dp_tables *t)
{
	return t->n_ports;
}

const char *dp_tables_port_name(const struct dp_tables *t, uint32_t port)
{
	return t->ports[port].name;
}

const char *dp_tables_port_instance(const struct dp_tables *t, uint32_t port)
{
	return t->ports[port].instance_id;
}

const struct eth_addr *dp_tables_port_mac(const struct dp_tables *t, uint32_t port)
{
	return &t->ports[port].mac;
}

uint32_t dp_tables_port_ip(const struct dp_tables *t, uint32_t port)
{
	return t->ports[port].ip;
}

int dp_tables_port_find(const struct dp_tables *t, const char *name)
{
	for (uint32_t i = 0; i < t->n_ports; i++)
		if (!strcmp(t->ports[i].name, name))
			return (int)i;
	return -1;
}

void dp_tables_port_set_cookie(struct dp_tables *t, uint32_t port, uintptr_t cookie)
{
	t->ports[port].cookie = cookie;
}

uintptr_t dp_tables_port_cookie(const struct dp_tables *t, uint32_t port)
{
	return t->ports[port].cookie;
}

uint32_t dp_tables_n_networks(const struct dp_tables *t)
{
	return t->n_vns;
}

uint32_t dp_tables_n_instances(const struct dp_tables *t)
{
	return t->n_instances;
}

uint32_t dp_tables_n_fwd(const struct dp_tables *t)
{
	return t->n_fwds;
}

uint32_t dp_tables_n_classes(const struct dp_tables *t)
{
	return t->n_classes;
}
