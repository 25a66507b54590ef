// SPDX-License-Identifier: Apache-2.0
/*
 * The model (see model.h): one hash map of objects per kind, plus the
 * indexes that let every insertion be validated in time proportional to
 * the object itself rather than to the model — who refers to each host,
 * link, service level, tenant and network (with the addresses of every
 * network), and the VNIs, DSCPs, MACs, host ids and host addresses in use.
 * Objects are validated before they are linked into the maps and indexes,
 * and linking is the exact inverse of unlinking, so a refused change leaves
 * the model as it was.
 */
#include "onm/model.h"

#include "onm/codec.h"
#include "onm/ds.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define VNI_MAX 16777215u
#define VNI_FIRST_ALLOCATED 1000u
#define HOST_ID_MAX 65535u
#define HOST_ADDRESS_BASE 0xc6130000u /* 198.19.0.0: a host's default address is this + id */
#define NAMES_IN_MESSAGES 3	      /* referrers named in a "still used by" message */

#define HOST(OBJ) CONTAINER_OF(OBJ, struct host, hdr)
#define LINK(OBJ) CONTAINER_OF(OBJ, struct link, hdr)
#define SERVICE_LEVEL(OBJ) CONTAINER_OF(OBJ, struct service_level, hdr)
#define TENANT(OBJ) CONTAINER_OF(OBJ, struct tenant, hdr)
#define NETWORK(OBJ) CONTAINER_OF(OBJ, struct network, hdr)
#define ROUTER(OBJ) CONTAINER_OF(OBJ, struct router, hdr)
#define INSTANCE(OBJ) CONTAINER_OF(OBJ, struct instance, hdr)

/* An entry of a map keyed by a number: VNI -> network, MAC -> instance,
 * host id or address -> host, DSCP -> service level. */
struct num_entry {
	struct hmap_node node; /* hashed on 'key' */
	uint64_t key;	       /* VNI, MAC as a 48-bit number, host id, IPv4 address or DSCP */
	void *owner;	       /* the network, instance, host or service level; NULL in
				* scratch sets */
};

/* One object that refers to a referent. */
struct ref {
	struct hmap_node node;	  /* in the referent's 'users[obj->kind]', hashed on 'obj' */
	struct model_object *obj; /* the referring object */
};

/* An address of a virtual network and who holds it. */
struct ip_owner {
	struct hmap_node node;	  /* in the network referent's 'ips', hashed on 'ip' */
	uint32_t ip;		  /* host byte order */
	struct model_object *obj; /* instance or router */
	const char *iface;	  /* the router's interface name; NULL for an instance */
};

/* What refers to one host, link, service level, tenant or network. Keyed by id,
 * not by object, so that it lives on when the object is replaced by one
 * with the same id; it goes away when the object is removed (which is only
 * allowed once nothing refers to it). */
struct referent {
	struct hmap_node node;		  /* in model 'referents[kind]', hashed on 'id' */
	char *id;			  /* the referred-to object's id */
	struct hmap users[MODEL_N_KINDS]; /* struct ref, per kind of referrer */
	struct hmap ips;		  /* networks only: struct ip_owner */
};

struct model {
	struct hmap objects[MODEL_N_KINDS];   /* struct model_object by id */
	struct hmap referents[MODEL_N_KINDS]; /* struct referent by id */
	struct hmap vnis;		      /* struct num_entry: VNI -> network */
	struct hmap macs;		      /* struct num_entry: MAC -> instance */
	struct hmap host_ids;		      /* struct num_entry: host id -> host */
	struct hmap host_addrs;		      /* struct num_entry: underlay address -> host */
	struct hmap dscps;		      /* struct num_entry: DSCP -> service level */
};

/* The service levels of spec.md that every model has. */
static const struct builtin_sl {
	const char *name;
	enum sl_metric minimize;
	uint64_t min_bandwidth_bps;
	const char *via_capability;
	uint8_t dscp; /* RFC 4594 classes: EF, AF41, AF11, CS1 */
} builtin_sls[] = {
    {"platinum", SL_MIN_LATENCY, 500000000, NULL, 46},
    {"gold", SL_MIN_LATENCY, 0, NULL, 34},
    {"silver", SL_MIN_COST, 0, NULL, 10},
    {"quarantine", SL_MIN_LATENCY, 0, "inspection", 8},
};

/* Small helpers. */

/* Sets '*where' to 'pos' if that is known, and returns the formatted message. */
static char *errf(struct src_pos *where, const struct src_pos *pos, const char *fmt, ...)
    PRINTF_FORMAT(3, 4);

static char *errf(struct src_pos *where, const struct src_pos *pos, const char *fmt, ...)
{
	va_list args;
	char *s;

	if (where && pos && pos->line > 0)
		*where = *pos;
	va_start(args, fmt);
	s = xvasprintf(fmt, args);
	va_end(args);
	return s;
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

/* Text forms for messages; the buffers live until the end of the full
 * expression that calls these. */
struct addr_text {
	char s[IPV4_PREFIX_STRLEN > ETH_ADDR_STRLEN ? IPV4_PREFIX_STRLEN : ETH_ADDR_STRLEN];
};

static struct addr_text ip_text(uint32_t ip)
{
	struct addr_text t;
	ipv4_format(ip, t.s);
	return t;
}

static struct addr_text prefix_text(const struct ipv4_prefix *p)
{
	struct addr_text t;
	ipv4_prefix_format(p, t.s);
	return t;
}

static struct addr_text mac_text(const struct eth_addr *mac)
{
	struct addr_text t;
	eth_addr_format(mac, t.s);
	return t;
}

static bool prefix_is_valid(const struct ipv4_prefix *p)
{
	return p->len <= 32 && !(p->addr & ~ipv4_mask(p->len));
}

static char *join_id(const char *tenant, const char *network)
{
	return xasprintf("%s/%s", tenant, network);
}

static uint32_t hash_pointer(const void *p)
{
	return hash_bytes(&p, sizeof p, 0);
}

static uint32_t hash_number(uint64_t n)
{
	return hash_bytes(&n, sizeof n, 0);
}

static uint64_t mac_key(const struct eth_addr *mac)
{
	uint64_t key = 0;
	for (size_t i = 0; i < 6; i++)
		key = key << 8 | mac->b[i];
	return key;
}

static void ensure_sodium(void)
{
	static bool initialized;

	if (!initialized) {
		if (sodium_init() < 0)
			onm_abort("libsodium failed to initialize");
		initialized = true;
	}
}

/* Duplicate detection in O(n log n): names at 'offset' in 'n' elements of
 * 'stride' bytes from 'base'. */
struct name_index {
	const char *name;
	size_t i;
};

static int compare_name_index(const void *a_, const void *b_)
{
	const struct name_index *a = a_, *b = b_;
	int c = strcmp(a->name, b->name);
	return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* Returns true if two of the names are equal; then '*second' is the
 * earliest element that repeats an earlier one, '*first' that earlier one. */
static bool find_duplicate(const void *base, size_t n, size_t stride, size_t offset, size_t *first,
			   size_t *second)
{
	struct name_index *v;
	bool found = false;

	if (n < 2)
		return false;
	v = xmalloc(n * sizeof *v);
	for (size_t i = 0; i < n; i++) {
		const char *elem = (const char *)base + i * stride + offset;
		memcpy(&v[i].name, elem, sizeof v[i].name);
		v[i].i = i;
	}
	qsort(v, n, sizeof *v, compare_name_index);
	for (size_t k = 1; k < n; k++) {
		if (!strcmp(v[k - 1].name, v[k].name) && (!found || v[k].i < *second)) {
			*first = v[k - 1].i;
			*second = v[k].i;
			found = true;
		}
	}
	free(v);
	return found;
}

struct prefix_index {
	struct ipv4_prefix p;
	size_t i;
};

static int compare_prefix_index(const void *a_, const void *b_)
{
	const struct prefix_index *a = a_, *b = b_;
	if (a->p.addr != b->p.addr)
		return a->p.addr < b->p.addr ? -1 : 1;
	if (a->p.len != b->p.len)
		return a->p.len < b->p.len ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

/* Finds two overlapping prefixes among 'n' (or two equal ones, if
 * 'equal_only'). Sorted by address then length, a prefix that contains
 * another is followed directly by one it overlaps, so adjacent pairs
 * suffice. Sets '*a' < '*b' (element indexes). */
static bool find_overlap(const struct ipv4_prefix *const *prefixes, size_t n, bool equal_only,
			 size_t *a, size_t *b)
{
	struct prefix_index *v;
	bool found = false;

	if (n < 2)
		return false;
	v = xmalloc(n * sizeof *v);
	for (size_t i = 0; i < n; i++) {
		v[i].p = *prefixes[i];
		v[i].i = i;
	}
	qsort(v, n, sizeof *v, compare_prefix_index);
	for (size_t k = 1; k < n && !found; k++) {
		const struct ipv4_prefix *x = &v[k - 1].p, *y = &v[k].p;
		if (equal_only ? x->addr == y->addr && x->len == y->len
			       : ipv4_prefix_overlaps(x, y)) {
			size_t i = v[k - 1].i, j = v[k].i;
			*a = i < j ? i : j;
			*b = i < j ? j : i;
			found = true;
		}
	}
	free(v);
	return found;
}

/* Number maps (VNIs, MACs). */

static struct num_entry *num_find(const struct hmap *map, uint64_t key)
{
	uint32_t hash = hash_number(key);
	struct num_entry *e;

	HMAP_FOR_EACH_WITH_HASH (e, node, hash, map) {
		if (e->key == key)
			return e;
	}
	return NULL;
}

static void num_add(struct hmap *map, uint64_t key, void *owner)
{
	struct num_entry *e = xmalloc(sizeof *e);
	e->key = key;
	e->owner = owner;
	hmap_insert(map, &e->node, hash_number(key));
}

static void num_remove(struct hmap *map, uint64_t key, const void *owner)
{
	uint32_t hash = hash_number(key);
	struct num_entry *e;

	HMAP_FOR_EACH_WITH_HASH (e, node, hash, map) {
		if (e->key == key && e->owner == owner) {
			hmap_remove(map, &e->node);
			free(e);
			return;
		}
	}
	onm_abort("model: number %llu not indexed", (unsigned long long)key);
}

static void num_clear(struct hmap *map)
{
	struct num_entry *e;

	HMAP_FOR_EACH_SAFE (e, node, map)
		free(e);
	hmap_destroy(map);
	hmap_init(map);
}

/* Referents and the objects that refer to them. */

static struct referent *referent_find(const struct model *m, enum model_kind kind, const char *id)
{
	uint32_t hash = hash_string(id, 0);
	struct referent *r;

	HMAP_FOR_EACH_WITH_HASH (r, node, hash, &m->referents[kind]) {
		if (!strcmp(r->id, id))
			return r;
	}
	return NULL;
}

static void referent_ensure(struct model *m, enum model_kind kind, const char *id)
{
	struct referent *r;

	if (referent_find(m, kind, id))
		return;
	r = xzalloc(sizeof *r);
	r->id = xstrdup(id);
	for (size_t k = 0; k < MODEL_N_KINDS; k++)
		hmap_init(&r->users[k]);
	hmap_init(&r->ips);
	hmap_insert(&m->referents[kind], &r->node, hash_string(id, 0));
}

static void referent_destroy(struct referent *r)
{
	struct ip_owner *owner;

	for (size_t k = 0; k < MODEL_N_KINDS; k++) {
		struct ref *ref;

		HMAP_FOR_EACH_SAFE (ref, node, &r->users[k])
			free(ref);
		hmap_destroy(&r->users[k]);
	}
	HMAP_FOR_EACH_SAFE (owner, node, &r->ips)
		free(owner);
	hmap_destroy(&r->ips);
	free(r->id);
	free(r);
}

static size_t referent_n_users(const struct referent *r)
{
	size_t n = 0;
	for (size_t k = 0; k < MODEL_N_KINDS; k++)
		n += hmap_count(&r->users[k]);
	return n;
}

/* The referent 'kind' 'id' must exist: validation made sure of it. */
static struct referent *referent_get(const struct model *m, enum model_kind kind, const char *id)
{
	struct referent *r = referent_find(m, kind, id);
	if (!r)
		onm_abort("model: no %s %s to refer to", model_kind_name(kind), id);
	return r;
}

static struct referent *ref_add(struct model *m, enum model_kind kind, const char *id,
				struct model_object *obj)
{
	struct referent *r = referent_get(m, kind, id);
	struct ref *ref = xmalloc(sizeof *ref);

	ref->obj = obj;
	hmap_insert(&r->users[obj->kind], &ref->node, hash_pointer(obj));
	return r;
}

static struct referent *ref_remove(struct model *m, enum model_kind kind, const char *id,
				   const struct model_object *obj)
{
	struct referent *r = referent_get(m, kind, id);
	uint32_t hash = hash_pointer(obj);
	struct ref *ref;

	HMAP_FOR_EACH_WITH_HASH (ref, node, hash, &r->users[obj->kind]) {
		if (ref->obj == obj) {
			hmap_remove(&r->users[obj->kind], &ref->node);
			free(ref);
			return r;
		}
	}
	onm_abort("model: %s %s does not refer to %s %s", model_kind_name(obj->kind), obj->id,
		  model_kind_name(kind), id);
}

static struct ip_owner *ip_find(const struct referent *net, uint32_t ip)
{
	uint32_t hash = hash_number(ip);
	struct ip_owner *owner;

	HMAP_FOR_EACH_WITH_HASH (owner, node, hash, &net->ips) {
		if (owner->ip == ip)
			return owner;
	}
	return NULL;
}

static void ip_add(struct referent *net, uint32_t ip, struct model_object *obj, const char *iface)
{
	struct ip_owner *owner = xmalloc(sizeof *owner);

	owner->ip = ip;
	owner->obj = obj;
	owner->iface = iface;
	hmap_insert(&net->ips, &owner->node, hash_number(ip));
}

static void ip_remove(struct referent *net, uint32_t ip, const struct model_object *obj)
{
	uint32_t hash = hash_number(ip);
	struct ip_owner *owner;

	HMAP_FOR_EACH_WITH_HASH (owner, node, hash, &net->ips) {
		if (owner->ip == ip && owner->obj == obj) {
			hmap_remove(&net->ips, &owner->node);
			free(owner);
			return;
		}
	}
	onm_abort("model: address %s of %s not indexed", ip_text(ip).s, obj->id);
}

/* "instance acme/blue/web1" or "router acme/blue/r1 interface 'Gi0/0'". Caller frees. */
static char *ip_owner_describe(const struct ip_owner *owner)
{
	if (owner->iface)
		return xasprintf("router %s interface '%s'", owner->obj->id, owner->iface);
	return xasprintf("%s %s", model_kind_name(owner->obj->kind), owner->obj->id);
}

static int compare_strings(const void *a_, const void *b_)
{
	const char *const *a = a_, *const *b = b_;
	return strcmp(*a, *b);
}

/* The hosts that the routing of a network names (paths, preferred and
 * avoided hosts), each once, sorted. Returns an allocated array of '*np'
 * pointers into 'r' (caller frees the array), or NULL if there are none. */
static const char **routing_hosts(const struct vn_routing *r, size_t *np)
{
	size_t n = r->n_prefer_hosts + r->n_avoid_hosts, k = 0;
	const char **v;

	for (size_t i = 0; i < r->n_paths; i++)
		n += 2 + r->paths[i].n_via;
	*np = 0;
	if (!n)
		return NULL; /* the common case: no allocation per network */
	v = xmalloc(n * sizeof *v);
	for (size_t i = 0; i < r->n_paths; i++) {
		v[k++] = r->paths[i].from;
		v[k++] = r->paths[i].to;
		for (size_t j = 0; j < r->paths[i].n_via; j++)
			v[k++] = r->paths[i].via[j];
	}
	for (size_t i = 0; i < r->n_prefer_hosts; i++)
		v[k++] = r->prefer_hosts[i];
	for (size_t i = 0; i < r->n_avoid_hosts; i++)
		v[k++] = r->avoid_hosts[i];
	qsort(v, n, sizeof *v, compare_strings);
	k = 0;
	for (size_t i = 0; i < n; i++)
		if (!k || strcmp(v[k - 1], v[i]))
			v[k++] = v[i];
	*np = k;
	return v;
}

/* Adds ('add') or removes a reference from 'obj' to each of 'n' objects of
 * 'kind' named in 'ids'. */
static void refs_update(struct model *m, enum model_kind kind, const char *const *ids, size_t n,
			struct model_object *obj, bool add)
{
	for (size_t i = 0; i < n; i++) {
		if (add)
			ref_add(m, kind, ids[i], obj);
		else
			ref_remove(m, kind, ids[i], obj);
	}
}

/* The references of a service level, a tenant or a network beyond the
 * ones link_object() makes inline: what a level excludes, a tenant's
 * fallback, the hosts a network's routing names. */
static void extra_refs_update(struct model *m, struct model_object *obj, bool add)
{
	switch (obj->kind) {
	case MODEL_SERVICE_LEVEL: {
		const struct service_level *sl = SERVICE_LEVEL(obj);
		refs_update(m, MODEL_HOST, (const char *const *)sl->exclude_hosts,
			    sl->n_exclude_hosts, obj, add);
		refs_update(m, MODEL_LINK, (const char *const *)sl->exclude_links,
			    sl->n_exclude_links, obj, add);
		break;
	}
	case MODEL_TENANT: {
		const char *fallback = TENANT(obj)->fallback;
		refs_update(m, MODEL_SERVICE_LEVEL, &fallback, fallback ? 1 : 0, obj, add);
		break;
	}
	case MODEL_NETWORK: {
		size_t n;
		const char **hosts = routing_hosts(&NETWORK(obj)->routing, &n);
		refs_update(m, MODEL_HOST, hosts, n, obj, add);
		free(hosts);
		break;
	}
	default:
		break;
	}
}

/* Linking objects into the maps and indexes. */

static void link_object(struct model *m, struct model_object *obj)
{
	hmap_insert(&m->objects[obj->kind], &obj->node, hash_string(obj->id, 0));

	switch (obj->kind) {
	case MODEL_HOST:
		referent_ensure(m, obj->kind, obj->id);
		num_add(&m->host_ids, HOST(obj)->id, obj);
		num_add(&m->host_addrs, HOST(obj)->address, obj);
		break;
	case MODEL_SERVICE_LEVEL:
		referent_ensure(m, obj->kind, obj->id);
		num_add(&m->dscps, SERVICE_LEVEL(obj)->dscp, obj);
		break;
	case MODEL_LINK: {
		struct link *l = LINK(obj);
		referent_ensure(m, obj->kind, obj->id);
		ref_add(m, MODEL_HOST, l->a, obj);
		ref_add(m, MODEL_HOST, l->b, obj);
		break;
	}
	case MODEL_TENANT:
		referent_ensure(m, obj->kind, obj->id);
		ref_add(m, MODEL_SERVICE_LEVEL, TENANT(obj)->service_level, obj);
		break;
	case MODEL_NETWORK: {
		struct network *n = NETWORK(obj);
		referent_ensure(m, obj->kind, obj->id);
		ref_add(m, MODEL_TENANT, n->tenant, obj);
		num_add(&m->vnis, n->vni, n);
		break;
	}
	case MODEL_ROUTER: {
		struct router *r = ROUTER(obj);
		char *net_id = join_id(r->tenant, r->network);
		struct referent *net = ref_add(m, MODEL_NETWORK, net_id, obj);
		for (size_t i = 0; i < r->n_interfaces; i++)
			ip_add(net, r->interfaces[i].ip, obj, r->interfaces[i].name);
		free(net_id);
		break;
	}
	case MODEL_INSTANCE: {
		struct instance *inst = INSTANCE(obj);
		char *net_id = join_id(inst->tenant, inst->network);
		struct referent *net = ref_add(m, MODEL_NETWORK, net_id, obj);
		ip_add(net, inst->ip, obj, NULL);
		ref_add(m, MODEL_HOST, inst->host, obj);
		num_add(&m->macs, mac_key(&inst->mac), inst);
		free(net_id);
		break;
	}
	case MODEL_N_KINDS:
		break;
	}
	extra_refs_update(m, obj, true);
}

/* The inverse of link_object(). The object's own referent stays. */
static void unlink_object(struct model *m, struct model_object *obj)
{
	extra_refs_update(m, obj, false);
	switch (obj->kind) {
	case MODEL_HOST:
		num_remove(&m->host_ids, HOST(obj)->id, obj);
		num_remove(&m->host_addrs, HOST(obj)->address, obj);
		break;
	case MODEL_SERVICE_LEVEL:
		num_remove(&m->dscps, SERVICE_LEVEL(obj)->dscp, obj);
		break;
	case MODEL_LINK: {
		struct link *l = LINK(obj);
		ref_remove(m, MODEL_HOST, l->a, obj);
		ref_remove(m, MODEL_HOST, l->b, obj);
		break;
	}
	case MODEL_TENANT:
		ref_remove(m, MODEL_SERVICE_LEVEL, TENANT(obj)->service_level, obj);
		break;
	case MODEL_NETWORK: {
		struct network *n = NETWORK(obj);
		ref_remove(m, MODEL_TENANT, n->tenant, obj);
		num_remove(&m->vnis, n->vni, n);
		break;
	}
	case MODEL_ROUTER: {
		struct router *r = ROUTER(obj);
		char *net_id = join_id(r->tenant, r->network);
		struct referent *net = ref_remove(m, MODEL_NETWORK, net_id, obj);
		for (size_t i = 0; i < r->n_interfaces; i++)
			ip_remove(net, r->interfaces[i].ip, obj);
		free(net_id);
		break;
	}
	case MODEL_INSTANCE: {
		struct instance *inst = INSTANCE(obj);
		char *net_id = join_id(inst->tenant, inst->network);
		struct referent *net = ref_remove(m, MODEL_NETWORK, net_id, obj);
		ip_remove(net, inst->ip, obj);
		ref_remove(m, MODEL_HOST, inst->host, obj);
		num_remove(&m->macs, mac_key(&inst->mac), inst);
		free(net_id);
		break;
	}
	case MODEL_N_KINDS:
		break;
	}
	hmap_remove(&m->objects[obj->kind], &obj->node);
}

/* Computes the canonical JSON and links 'obj' in. */
static void insert_object(struct model *m, struct model_object *obj)
{
	free(obj->json);
	obj->json = codec_object_to_string(obj);
	link_object(m, obj);
}

/* Identity. */

/* Sets 'obj->id' from the object's names (links: endpoints sorted). Returns
 * a message if a name is missing or invalid. */
static char *object_fix_id(struct model_object *obj)
{
	struct id_part {
		const char *label;
		const char *value;
	} parts[3];
	size_t n;
	char *id;

	switch (obj->kind) {
	case MODEL_HOST:
		parts[0] = (struct id_part){"name", HOST(obj)->name};
		n = 1;
		break;
	case MODEL_LINK: {
		const struct link *l = LINK(obj);
		bool swap = l->a && l->b && strcmp(l->a, l->b) > 0;
		parts[0] = (struct id_part){"host", swap ? l->b : l->a};
		parts[1] = (struct id_part){"host", swap ? l->a : l->b};
		n = 2;
		break;
	}
	case MODEL_SERVICE_LEVEL:
		parts[0] = (struct id_part){"name", SERVICE_LEVEL(obj)->name};
		n = 1;
		break;
	case MODEL_TENANT:
		parts[0] = (struct id_part){"name", TENANT(obj)->name};
		n = 1;
		break;
	case MODEL_NETWORK:
		parts[0] = (struct id_part){"tenant", NETWORK(obj)->tenant};
		parts[1] = (struct id_part){"name", NETWORK(obj)->name};
		n = 2;
		break;
	case MODEL_ROUTER:
		parts[0] = (struct id_part){"tenant", ROUTER(obj)->tenant};
		parts[1] = (struct id_part){"network", ROUTER(obj)->network};
		parts[2] = (struct id_part){"name", ROUTER(obj)->name};
		n = 3;
		break;
	case MODEL_INSTANCE:
		parts[0] = (struct id_part){"tenant", INSTANCE(obj)->tenant};
		parts[1] = (struct id_part){"network", INSTANCE(obj)->network};
		parts[2] = (struct id_part){"name", INSTANCE(obj)->name};
		n = 3;
		break;
	case MODEL_N_KINDS:
	default:
		return xstrdup("invalid object kind");
	}

	for (size_t i = 0; i < n; i++) {
		if (!parts[i].value)
			return xasprintf("missing %s", parts[i].label);
		if (!codec_name_is_valid(parts[i].value))
			return xasprintf("invalid %s '%s'", parts[i].label, parts[i].value);
	}
	id = n == 1   ? xstrdup(parts[0].value)
	     : n == 2 ? xasprintf("%s/%s", parts[0].value, parts[1].value)
		      : xasprintf("%s/%s/%s", parts[0].value, parts[1].value, parts[2].value);
	if (obj->id && !strcmp(obj->id, id)) {
		free(id);
	} else {
		free(obj->id);
		obj->id = id;
	}
	return NULL;
}

/* "KIND ID: reason", prefixed with "SOURCE:LINE:COLUMN: " or "SOURCE: " if
 * 'source' is not NULL. */
static char *object_message(const char *source, const struct src_pos *pos,
			    const struct model_object *obj, const char *reason)
{
	struct ds ds = DS_EMPTY_INITIALIZER;

	if (source) {
		if (pos && pos->line > 0)
			ds_put_format(&ds, "%s:%d:%d: ", source, pos->line, pos->column);
		else
			ds_put_format(&ds, "%s: ", source);
	}
	if ((unsigned)obj->kind < MODEL_N_KINDS)
		ds_put_format(&ds, "%s ", model_kind_name(obj->kind));
	if (obj->id)
		ds_put_format(&ds, "%s: ", obj->id);
	ds_put_cstr(&ds, reason);
	return ds_steal_cstr(&ds);
}

/* Lookups inside objects. */

static const struct subnet *network_find_subnet(const struct network *n, const char *name)
{
	if (name) {
		for (size_t i = 0; i < n->n_subnets; i++)
			if (!strcmp(n->subnets[i].name, name))
				return &n->subnets[i];
	}
	return NULL;
}

static const struct security_group *network_find_group(const struct network *n, const char *name)
{
	if (name) {
		for (size_t i = 0; i < n->n_groups; i++)
			if (!strcmp(n->groups[i].name, name))
				return &n->groups[i];
	}
	return NULL;
}

static const struct user *tenant_find_user(const struct tenant *t, const char *name)
{
	for (size_t i = 0; i < t->n_users; i++)
		if (!strcmp(t->users[i].name, name))
			return &t->users[i];
	return NULL;
}

/* Validation. Each check_*() returns NULL or the reason, and may point
 * '*where' at the part of the object at fault. */

static char *check_host(const struct model *m, const struct host *h, struct src_pos *where)
{
	const struct num_entry *e;
	size_t first, second;

	if (!h->id)
		return errf(where, NULL, "no free host id left (1..%u are all in use)",
			    HOST_ID_MAX);
	e = num_find(&m->host_ids, h->id);
	if (e)
		return errf(where, NULL, "id %u is already used by host %s", h->id,
			    ((const struct host *)e->owner)->hdr.id);
	if (!h->address)
		return errf(where, NULL, "no underlay address");
	e = num_find(&m->host_addrs, h->address);
	if (e)
		return errf(where, NULL, "address %s is already used by host %s",
			    ip_text(h->address).s, ((const struct host *)e->owner)->hdr.id);

	for (size_t i = 0; i < h->n_capabilities; i++) {
		const char *c = h->capabilities[i];
		if (!c || !codec_name_is_valid(c))
			return errf(where, NULL, "invalid capability '%s'", str_or_empty(c));
	}
	if (find_duplicate(h->capabilities, h->n_capabilities, sizeof *h->capabilities, 0, &first,
			   &second))
		return errf(where, NULL, "capability '%s' is listed twice",
			    h->capabilities[second]);
	return NULL;
}

static char *check_link(const struct model *m, const struct link *l, struct src_pos *where)
{
	if (!strcmp(l->a, l->b))
		return errf(where, NULL, "a link cannot connect host '%s' to itself", l->a);
	if (!model_find(m, MODEL_HOST, l->a))
		return errf(where, NULL, "unknown host '%s'", l->a);
	if (!model_find(m, MODEL_HOST, l->b))
		return errf(where, NULL, "unknown host '%s'", l->b);
	if (l->loss_ppm > 1000000)
		return errf(where, NULL, "loss of %u ppm is above 100%%", l->loss_ppm);
	return NULL;
}

static char *check_service_level(const struct model *m, const struct service_level *sl,
				 struct src_pos *where)
{
	const struct num_entry *e;

	if ((unsigned)sl->minimize > SL_MIN_WEIGHTED)
		return errf(where, NULL, "invalid metric to minimize");
	if (sl->minimize == SL_MIN_WEIGHTED &&
	    (sl->w_latency > SL_WEIGHT_MAX || sl->w_cost > SL_WEIGHT_MAX ||
	     sl->w_hops > SL_WEIGHT_MAX || sl->w_loss > SL_WEIGHT_MAX ||
	     !(sl->w_latency || sl->w_cost || sl->w_hops || sl->w_loss)))
		return errf(where, NULL,
			    "the weights to minimize must be 0..%u with at least one above 0",
			    SL_WEIGHT_MAX);
	if (sl->via_capability && !codec_name_is_valid(sl->via_capability))
		return errf(where, NULL, "invalid via_capability '%s'", sl->via_capability);
	if (sl->dscp == SL_DSCP_UNSET)
		return errf(where, NULL, "no free DSCP left (1..%u are all in use)", SL_DSCP_MAX);
	if (sl->dscp > SL_DSCP_MAX)
		return errf(where, NULL, "dscp %u is out of range (0..%u)", sl->dscp, SL_DSCP_MAX);
	e = num_find(&m->dscps, sl->dscp);
	if (e)
		return errf(where, NULL, "dscp %u is already used by service level %s", sl->dscp,
			    ((const struct service_level *)e->owner)->hdr.id);
	for (size_t i = 0; i < sl->n_exclude_hosts; i++)
		if (!model_find(m, MODEL_HOST, sl->exclude_hosts[i]))
			return errf(where, NULL, "exclude_hosts: unknown host '%s'",
				    sl->exclude_hosts[i]);
	for (size_t i = 0; i < sl->n_exclude_links; i++) {
		const struct model_object *l = model_find(m, MODEL_LINK, sl->exclude_links[i]);

		/* Stored by id: endpoints sorted, as the codec writes them. */
		if (!l || strcmp(l->id, sl->exclude_links[i]))
			return errf(where, NULL, "exclude_links: unknown link '%s'",
				    sl->exclude_links[i]);
	}
	return NULL;
}

/* A user's keys, style, timeout and aliases (the codec reads them
 * already; objects built in code come through here only). */
static char *check_user_extras(const struct user *u, struct src_pos *where)
{
	size_t first, second;

	for (size_t i = 0; i < u->n_public_keys; i++)
		if (!model_public_key_is_valid(u->public_keys[i]))
			return errf(where, &u->pos,
				    "user '%s': public key %zu is not an OpenSSH public key "
				    "(\"TYPE BASE64 [COMMENT]\", TYPE ssh-ed25519, "
				    "ecdsa-sha2-nistp256/384/521 or ssh-rsa)",
				    u->name, i + 1);
	if (find_duplicate(u->public_keys, u->n_public_keys, sizeof *u->public_keys, 0, &first,
			   &second))
		return errf(where, &u->pos, "user '%s': public key %zu is listed twice", u->name,
			    second + 1);
	if ((unsigned)u->style > USER_STYLE_JUNOS)
		return errf(where, &u->pos, "user '%s': invalid style", u->name);
	if (u->exec_timeout_s > USER_EXEC_TIMEOUT_MAX_S)
		return errf(where, &u->pos, "user '%s': exec_timeout of %us is above %um", u->name,
			    u->exec_timeout_s, USER_EXEC_TIMEOUT_MAX_S / 60);
	for (size_t i = 0; i < u->n_aliases; i++) {
		const struct user_alias *a = &u->aliases[i];

		if (!model_alias_name_is_valid(a->name))
			return errf(where, &u->pos,
				    "user '%s': invalid alias name '%s' ([a-z0-9-], at most %d "
				    "characters)",
				    u->name, str_or_empty(a->name), USER_ALIAS_NAME_MAX_LEN);
		if (!model_text_is_printable(a->command, USER_ALIAS_COMMAND_MAX_LEN))
			return errf(where, &u->pos,
				    "user '%s': alias '%s': the command must be printable ASCII "
				    "of 1 to %d characters",
				    u->name, a->name, USER_ALIAS_COMMAND_MAX_LEN);
	}
	if (find_duplicate(u->aliases, u->n_aliases, sizeof *u->aliases,
			   offsetof(struct user_alias, name), &first, &second))
		return errf(where, &u->pos, "user '%s': duplicate alias '%s'", u->name,
			    u->aliases[second].name);
	return NULL;
}

/* Communities that select a device must be distinct from each other;
 * receivers are listed once (the codec checks the same on input). */
static char *check_tenant_snmp(const struct tenant_snmp *s, struct src_pos *where)
{
	if (s->ro_community && !model_community_is_valid(s->ro_community))
		return errf(where, NULL, "snmp: ro_community is not a valid community");
	if (s->rw_community && !model_community_is_valid(s->rw_community))
		return errf(where, NULL, "snmp: rw_community is not a valid community");
	if (s->ro_community && s->rw_community && !strcmp(s->ro_community, s->rw_community))
		return errf(where, NULL, "snmp: rw_community is the ro_community");
	if (s->n_trap_receivers > TENANT_TRAP_RECEIVERS_MAX)
		return errf(where, NULL, "snmp: more than %d trap receivers",
			    TENANT_TRAP_RECEIVERS_MAX);
	for (size_t i = 0; i < s->n_trap_receivers; i++) {
		const struct snmp_trap_receiver *r = &s->trap_receivers[i];

		if (!r->port)
			return errf(where, NULL, "snmp: trap receiver %zu has port 0", i + 1);
		for (size_t j = 0; j < i; j++)
			if (s->trap_receivers[j].ip == r->ip &&
			    s->trap_receivers[j].port == r->port)
				return errf(where, NULL, "snmp: duplicate trap receiver %zu",
					    i + 1);
	}
	return NULL;
}

static char *check_tenant(const struct model *m, const struct tenant *t, struct src_pos *where)
{
	size_t first, second;
	char *reason;

	if (!t->service_level || !model_find(m, MODEL_SERVICE_LEVEL, t->service_level))
		return errf(where, NULL, "unknown service level '%s'",
			    str_or_empty(t->service_level));
	if (!t->premium_quota != !t->fallback)
		return errf(where, NULL, "premium_quota and fallback go together");
	if (t->fallback && !model_find(m, MODEL_SERVICE_LEVEL, t->fallback))
		return errf(where, NULL, "unknown fallback service level '%s'", t->fallback);
	if (t->fallback && !strcmp(t->fallback, t->service_level))
		return errf(where, NULL, "fallback service level '%s' is the tenant's own",
			    t->fallback);
	for (size_t i = 0; i < t->n_users; i++) {
		const struct user *u = &t->users[i];

		if (!u->name || !codec_name_is_valid(u->name))
			return errf(where, &u->pos, "invalid user name '%s'",
				    str_or_empty(u->name));
		if ((unsigned)u->role > ROLE_ADMIN)
			return errf(where, &u->pos, "user '%s': invalid role", u->name);
		if (!u->password && u->password_hash &&
		    !str_has_prefix(u->password_hash, "$argon2id$"))
			return errf(where, &u->pos,
				    "user '%s': password_hash is not an argon2id hash "
				    "(\"$argon2id$...\")",
				    u->name);
		reason = check_user_extras(u, where);
		if (reason)
			return reason;
	}
	if (find_duplicate(t->users, t->n_users, sizeof *t->users, offsetof(struct user, name),
			   &first, &second))
		return errf(where, &t->users[second].pos, "duplicate user '%s'",
			    t->users[second].name);
	return check_tenant_snmp(&t->snmp, where);
}

static char *check_rule(const struct network *n, const struct security_group *g, size_t k,
			struct src_pos *where)
{
	const struct sg_rule *rule = &g->rules[k];

	if ((unsigned)rule->dir > SG_OUT || (unsigned)rule->proto > SG_PROTO_ICMP)
		return errf(where, &rule->pos, "security group '%s': rule %zu: invalid rule",
			    g->name, k + 1);
	if (rule->remote_group) {
		if (!network_find_group(n, rule->remote_group))
			return errf(where, &rule->pos,
				    "security group '%s': rule %zu: unknown group '%s'", g->name,
				    k + 1, rule->remote_group);
	} else if (!prefix_is_valid(&rule->remote)) {
		return errf(where, &rule->pos, "security group '%s': rule %zu: invalid prefix",
			    g->name, k + 1);
	}
	if (rule->port_min > rule->port_max)
		return errf(where, &rule->pos,
			    "security group '%s': rule %zu: empty port range %u-%u", g->name, k + 1,
			    rule->port_min, rule->port_max);
	if (rule->port_max && rule->proto != SG_PROTO_TCP && rule->proto != SG_PROTO_UDP)
		return errf(where, &rule->pos,
			    "security group '%s': rule %zu: ports apply to tcp and udp only",
			    g->name, k + 1);
	return NULL;
}

/* The hosts a network's routing names must exist; the rest of its rules
 * (ends of a path, repeats) are the codec's. */
static char *check_routing(const struct model *m, const struct vn_routing *r, struct src_pos *where)
{
	for (size_t i = 0; i < r->n_paths; i++) {
		const struct vn_path *p = &r->paths[i];
		const char *unknown = NULL;

		if (!model_find(m, MODEL_HOST, p->from))
			unknown = p->from;
		else if (!model_find(m, MODEL_HOST, p->to))
			unknown = p->to;
		for (size_t j = 0; j < p->n_via && !unknown; j++)
			if (!model_find(m, MODEL_HOST, p->via[j]))
				unknown = p->via[j];
		if (unknown)
			return errf(where, &p->pos, "routing: path %s -> %s: unknown host '%s'",
				    p->from, p->to, unknown);
	}
	for (size_t i = 0; i < r->n_prefer_hosts; i++)
		if (!model_find(m, MODEL_HOST, r->prefer_hosts[i]))
			return errf(where, NULL, "routing: prefer_hosts: unknown host '%s'",
				    r->prefer_hosts[i]);
	for (size_t i = 0; i < r->n_avoid_hosts; i++)
		if (!model_find(m, MODEL_HOST, r->avoid_hosts[i]))
			return errf(where, NULL, "routing: avoid_hosts: unknown host '%s'",
				    r->avoid_hosts[i]);
	for (size_t i = 0; i < SL_N_ATTRS; i++)
		if (r->coef_milli[i] > VN_COEF_MAX)
			return errf(where, NULL, "routing: coefficient out of range");
	return NULL;
}

static char *check_network(const struct model *m, const struct network *n, struct src_pos *where)
{
	const struct ipv4_prefix **cidrs;
	size_t first, second;
	bool overlap;

	if (!model_find(m, MODEL_TENANT, n->tenant))
		return errf(where, NULL, "unknown tenant '%s'", n->tenant);
	if (n->vni > VNI_MAX)
		return errf(where, NULL, "vni %u is out of range (1..%u)", n->vni, VNI_MAX);
	if (n->vni) {
		const struct num_entry *e = num_find(&m->vnis, n->vni);
		if (e) {
			const struct network *other = e->owner;
			return errf(where, NULL, "vni %u is already used by network %s", n->vni,
				    other->hdr.id);
		}
	}

	for (size_t i = 0; i < n->n_subnets; i++) {
		const struct subnet *s = &n->subnets[i];
		if (!s->name || !codec_name_is_valid(s->name))
			return errf(where, &s->pos, "invalid subnet name '%s'",
				    str_or_empty(s->name));
		if (!prefix_is_valid(&s->cidr))
			return errf(where, &s->pos, "subnet '%s': invalid cidr", s->name);
	}
	if (find_duplicate(n->subnets, n->n_subnets, sizeof *n->subnets,
			   offsetof(struct subnet, name), &first, &second))
		return errf(where, &n->subnets[second].pos, "duplicate subnet '%s'",
			    n->subnets[second].name);
	cidrs = xmalloc(n->n_subnets * sizeof *cidrs);
	for (size_t i = 0; i < n->n_subnets; i++)
		cidrs[i] = &n->subnets[i].cidr;
	overlap = find_overlap(cidrs, n->n_subnets, false, &first, &second);
	free(cidrs);
	if (overlap) {
		const struct subnet *a = &n->subnets[first], *b = &n->subnets[second];
		return errf(where, &b->pos, "subnet '%s' (%s) overlaps subnet '%s' (%s)", b->name,
			    prefix_text(&b->cidr).s, a->name, prefix_text(&a->cidr).s);
	}

	for (size_t i = 0; i < n->n_groups; i++) {
		const struct security_group *g = &n->groups[i];
		if (!g->name || !codec_name_is_valid(g->name))
			return errf(where, &g->pos, "invalid security group name '%s'",
				    str_or_empty(g->name));
	}
	if (find_duplicate(n->groups, n->n_groups, sizeof *n->groups,
			   offsetof(struct security_group, name), &first, &second))
		return errf(where, &n->groups[second].pos, "duplicate security group '%s'",
			    n->groups[second].name);
	for (size_t i = 0; i < n->n_groups; i++) {
		for (size_t k = 0; k < n->groups[i].n_rules; k++) {
			char *reason = check_rule(n, &n->groups[i], k, where);
			if (reason)
				return reason;
		}
	}
	return check_routing(m, &n->routing, where);
}

/* Whether 'ip' may be a host address in 's'. */
static char *check_ip_fits(uint32_t ip, const struct subnet *s)
{
	if (!ipv4_prefix_contains(&s->cidr, ip))
		return xasprintf("ip %s is outside subnet '%s' (%s)", ip_text(ip).s, s->name,
				 prefix_text(&s->cidr).s);
	if (s->cidr.len <= 30) {
		if (ip == s->cidr.addr)
			return xasprintf("ip %s is the network address of subnet '%s' (%s)",
					 ip_text(ip).s, s->name, prefix_text(&s->cidr).s);
		if (ip == (s->cidr.addr | ~ipv4_mask(s->cidr.len)))
			return xasprintf("ip %s is the broadcast address of subnet '%s' (%s)",
					 ip_text(ip).s, s->name, prefix_text(&s->cidr).s);
	}
	return NULL;
}

/* The network 'r' belongs to (or NULL, with the reason in '*reason'). */
static const struct network *find_network(const struct model *m, const char *tenant,
					  const char *network, char **reason)
{
	char *id = join_id(tenant, network);
	const struct model_object *obj = model_find(m, MODEL_NETWORK, id);

	*reason = NULL;
	if (!obj) {
		if (!model_find(m, MODEL_TENANT, tenant))
			*reason = xasprintf("unknown tenant '%s'", tenant);
		else
			*reason = xasprintf("unknown network '%s'", id);
	}
	free(id);
	return obj ? NETWORK(obj) : NULL;
}

/* What of a router depends on its network 'n' alone. */
static char *check_router_fits(const struct router *r, const struct network *n,
			       struct src_pos *where)
{
	const struct subnet **subnets;
	size_t first, second;
	char *reason = NULL;

	for (size_t i = 0; i < r->n_interfaces; i++) {
		const struct router_interface *ifc = &r->interfaces[i];
		if (!ifc->name || !ifc->name[0])
			return errf(where, &ifc->pos, "interface %zu has no name", i + 1);
	}
	if (find_duplicate(r->interfaces, r->n_interfaces, sizeof *r->interfaces,
			   offsetof(struct router_interface, name), &first, &second))
		return errf(where, &r->interfaces[second].pos, "duplicate interface '%s'",
			    r->interfaces[second].name);

	subnets = xmalloc(r->n_interfaces * sizeof *subnets);
	for (size_t i = 0; i < r->n_interfaces && !reason; i++) {
		const struct router_interface *ifc = &r->interfaces[i];
		char *fit;

		subnets[i] = network_find_subnet(n, ifc->subnet);
		if (!subnets[i]) {
			reason = errf(where, &ifc->pos, "interface '%s': unknown subnet '%s'",
				      ifc->name, str_or_empty(ifc->subnet));
		} else if ((fit = check_ip_fits(ifc->ip, subnets[i]))) {
			reason = errf(where, &ifc->pos, "interface '%s': %s", ifc->name, fit);
			free(fit);
		}
	}
	if (!reason && find_duplicate(r->interfaces, r->n_interfaces, sizeof *r->interfaces,
				      offsetof(struct router_interface, subnet), &first, &second))
		reason = errf(where, &r->interfaces[second].pos,
			      "interfaces '%s' and '%s' are both on subnet '%s'",
			      r->interfaces[first].name, r->interfaces[second].name,
			      r->interfaces[second].subnet);

	for (size_t k = 0; k < r->n_routes && !reason; k++) {
		const struct static_route *route = &r->routes[k];
		bool reachable = false;

		if (!prefix_is_valid(&route->prefix)) {
			reason = errf(where, &route->pos, "route %zu: invalid prefix", k + 1);
			break;
		}
		for (size_t i = 0; i < r->n_interfaces; i++) {
			if (route->via == r->interfaces[i].ip) {
				reason = errf(where, &route->pos,
					      "route %s: via %s is the router's own address "
					      "(interface '%s')",
					      prefix_text(&route->prefix).s, ip_text(route->via).s,
					      r->interfaces[i].name);
				break;
			}
			if (ipv4_prefix_contains(&subnets[i]->cidr, route->via))
				reachable = true;
		}
		if (!reason && !reachable)
			reason = errf(where, &route->pos,
				      "route %s: via %s is not inside any subnet the router has "
				      "an interface on",
				      prefix_text(&route->prefix).s, ip_text(route->via).s);
	}
	free(subnets);

	if (!reason && r->n_routes > 1) {
		const struct ipv4_prefix **prefixes = xmalloc(r->n_routes * sizeof *prefixes);
		for (size_t k = 0; k < r->n_routes; k++)
			prefixes[k] = &r->routes[k].prefix;
		if (find_overlap(prefixes, r->n_routes, true, &first, &second))
			reason = errf(where, &r->routes[second].pos, "duplicate static route %s",
				      prefix_text(&r->routes[second].prefix).s);
		free(prefixes);
	}
	return reason;
}

struct addr_index {
	uint32_t addr;
	size_t i;
};

static int compare_addr_index(const void *a_, const void *b_)
{
	const struct addr_index *a = a_, *b = b_;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* The redirect with the lowest index whose 'from' an earlier one has
 * already (in '*second'), in O(n log n) for hostile bodies. */
static bool find_duplicate_redirect(const struct router *r, size_t *second)
{
	struct addr_index *v;
	bool found = false;

	if (r->n_redirects < 2)
		return false;
	v = xmalloc(r->n_redirects * sizeof *v);
	for (size_t i = 0; i < r->n_redirects; i++) {
		v[i].addr = r->redirects[i].from;
		v[i].i = i;
	}
	qsort(v, r->n_redirects, sizeof *v, compare_addr_index);
	for (size_t k = 1; k < r->n_redirects; k++) {
		if (v[k - 1].addr == v[k].addr && (!found || v[k].i < *second)) {
			*second = v[k].i;
			found = true;
		}
	}
	free(v);
	return found;
}

static char *check_acl(const struct router_acl *acl, struct src_pos *where)
{
	if (!model_acl_name_is_valid(acl->name))
		return errf(where, &acl->pos,
			    "invalid access list name '%s' ([A-Za-z0-9_-], at most %d characters)",
			    str_or_empty(acl->name), ROUTER_ACL_NAME_MAX_LEN);
	for (size_t k = 0; k < acl->n_rules; k++) {
		const struct acl_rule *rule = &acl->rules[k];

		if ((unsigned)rule->action > ACL_DENY || (unsigned)rule->proto > SG_PROTO_ICMP)
			return errf(where, &rule->pos, "access list '%s': rule %zu: invalid rule",
				    acl->name, k + 1);
		if (!prefix_is_valid(&rule->src) || !prefix_is_valid(&rule->dst))
			return errf(where, &rule->pos, "access list '%s': rule %zu: invalid prefix",
				    acl->name, k + 1);
		if (rule->port && rule->proto != SG_PROTO_TCP && rule->proto != SG_PROTO_UDP)
			return errf(where, &rule->pos,
				    "access list '%s': rule %zu: a port needs proto tcp or udp",
				    acl->name, k + 1);
	}
	return NULL;
}

/* What of a router needs the router alone: access lists and the
 * interfaces' references to them, descriptions, redirects. */
static char *check_router_features(const struct router *r, struct src_pos *where)
{
	size_t first, second;

	for (size_t i = 0; i < r->n_acls; i++) {
		char *reason = check_acl(&r->acls[i], where);

		if (reason)
			return reason;
	}
	if (find_duplicate(r->acls, r->n_acls, sizeof *r->acls, offsetof(struct router_acl, name),
			   &first, &second))
		return errf(where, &r->acls[second].pos, "duplicate access list '%s'",
			    r->acls[second].name);
	for (size_t i = 0; i < r->n_interfaces; i++) {
		const struct router_interface *ifc = &r->interfaces[i];

		if (ifc->description &&
		    !model_text_is_printable(ifc->description, ROUTER_DESCRIPTION_MAX_LEN))
			return errf(where, &ifc->pos,
				    "interface '%s': the description must be printable ASCII of "
				    "1 to %d characters",
				    str_or_empty(ifc->name), ROUTER_DESCRIPTION_MAX_LEN);
		if (ifc->acl_in && !router_find_acl(r, ifc->acl_in))
			return errf(where, &ifc->pos,
				    "interface '%s': access_group_in: unknown access list '%s'",
				    str_or_empty(ifc->name), ifc->acl_in);
		if (ifc->acl_out && !router_find_acl(r, ifc->acl_out))
			return errf(where, &ifc->pos,
				    "interface '%s': access_group_out: unknown access list '%s'",
				    str_or_empty(ifc->name), ifc->acl_out);
	}
	for (size_t i = 0; i < r->n_redirects; i++) {
		const struct router_redirect *rd = &r->redirects[i];

		if (rd->from == rd->to)
			return errf(where, &rd->pos, "redirect %s: to is the same address",
				    ip_text(rd->from).s);
	}
	if (find_duplicate_redirect(r, &second))
		return errf(where, &r->redirects[second].pos, "%s is redirected twice",
			    ip_text(r->redirects[second].from).s);
	return NULL;
}

/* A router's addresses against the other holders of addresses in its VN. */
static char *check_router_addresses(const struct model *m, const struct router *r,
				    struct src_pos *where)
{
	char *net_id = join_id(r->tenant, r->network);
	const struct referent *net = referent_get(m, MODEL_NETWORK, net_id);
	char *reason = NULL;

	free(net_id);
	for (size_t i = 0; i < r->n_interfaces && !reason; i++) {
		const struct router_interface *ifc = &r->interfaces[i];
		const struct ip_owner *owner = ip_find(net, ifc->ip);
		if (owner) {
			char *who = ip_owner_describe(owner);
			reason =
			    errf(where, &ifc->pos, "interface '%s': ip %s is already used by %s",
				 ifc->name, ip_text(ifc->ip).s, who);
			free(who);
		}
	}
	return reason;
}

/* What of an instance depends on its network 'n' (and its host). */
static char *check_instance_fits(const struct model *m, const struct instance *inst,
				 const struct network *n, struct src_pos *where)
{
	const struct subnet *s = network_find_subnet(n, inst->subnet);
	size_t first, second;
	char *reason;

	if (!s)
		return errf(where, NULL, "unknown subnet '%s'", str_or_empty(inst->subnet));
	reason = check_ip_fits(inst->ip, s);
	if (reason)
		return reason;
	if (!inst->host || !model_find(m, MODEL_HOST, inst->host))
		return errf(where, NULL, "unknown host '%s'", str_or_empty(inst->host));
	for (size_t i = 0; i < inst->n_security_groups; i++) {
		const char *g = inst->security_groups[i];
		if (!network_find_group(n, g))
			return errf(where, NULL, "unknown security group '%s'", str_or_empty(g));
	}
	if (find_duplicate(inst->security_groups, inst->n_security_groups,
			   sizeof *inst->security_groups, 0, &first, &second))
		return errf(where, NULL, "security group '%s' is listed twice",
			    inst->security_groups[second]);
	if (inst->mac.b[0] & 1)
		return errf(where, NULL, "mac %s is a multicast address", mac_text(&inst->mac).s);
	return NULL;
}

static char *check_instance_addresses(const struct model *m, const struct instance *inst,
				      struct src_pos *where)
{
	char *net_id = join_id(inst->tenant, inst->network);
	const struct referent *net = referent_get(m, MODEL_NETWORK, net_id);
	const struct ip_owner *owner = ip_find(net, inst->ip);

	free(net_id);
	if (owner) {
		char *who = ip_owner_describe(owner);
		char *reason =
		    errf(where, NULL, "ip %s is already used by %s", ip_text(inst->ip).s, who);
		free(who);
		return reason;
	}
	if (!eth_addr_is_zero(&inst->mac)) {
		const struct num_entry *e = num_find(&m->macs, mac_key(&inst->mac));
		if (e) {
			const struct instance *other = e->owner;
			return errf(where, NULL, "mac %s is already used by instance %s",
				    mac_text(&inst->mac).s, other->hdr.id);
		}
	}
	return NULL;
}

/* Validates 'obj' against the model (which must not hold an object with
 * the same id: a replaced object is unlinked first). */
/* A router's own SSH address is no other router's. */
static char *check_router_listen(const struct model *m, const struct router *r,
				 struct src_pos *where)
{
	size_t n;
	struct model_object **objs;
	char *reason = NULL;

	if (!r->ssh_listen)
		return NULL;
	objs = model_list(m, MODEL_ROUTER, &n);
	for (size_t i = 0; i < n && !reason; i++) {
		const struct router *o = ROUTER(objs[i]);

		if (o->ssh_listen && strcmp(o->hdr.id, r->hdr.id) &&
		    !strcmp(o->ssh_listen, r->ssh_listen))
			reason = errf(where, NULL, "ssh_listen %s is also router %s's", r->ssh_listen,
				      o->hdr.id);
	}
	free(objs);
	return reason;
}

static char *check_object(const struct model *m, const struct model_object *obj,
			  struct src_pos *where)
{
	switch (obj->kind) {
	case MODEL_HOST:
		return check_host(m, HOST(obj), where);
	case MODEL_LINK:
		return check_link(m, LINK(obj), where);
	case MODEL_SERVICE_LEVEL:
		return check_service_level(m, SERVICE_LEVEL(obj), where);
	case MODEL_TENANT:
		return check_tenant(m, TENANT(obj), where);
	case MODEL_NETWORK:
		return check_network(m, NETWORK(obj), where);
	case MODEL_ROUTER: {
		const struct router *r = ROUTER(obj);
		char *reason;
		const struct network *n = find_network(m, r->tenant, r->network, &reason);

		if (!n)
			return reason;
		reason = check_router_features(r, where);
		if (!reason)
			reason = check_router_fits(r, n, where);
		if (!reason)
			reason = check_router_listen(m, r, where);
		return reason ? reason : check_router_addresses(m, r, where);
	}
	case MODEL_INSTANCE: {
		const struct instance *inst = INSTANCE(obj);
		char *reason;
		const struct network *n = find_network(m, inst->tenant, inst->network, &reason);

		if (!n)
			return reason;
		reason = check_instance_fits(m, inst, n, where);
		return reason ? reason : check_instance_addresses(m, inst, where);
	}
	case MODEL_N_KINDS:
		break;
	}
	return xstrdup("invalid object kind");
}

/* Checks that the routers and instances of network 'n' (which replaces
 * the network with the same id) still fit it. Reports the failing router
 * or instance with the smallest id, routers first. */
static char *check_network_dependents(const struct model *m, const struct network *n)
{
	const struct referent *r = referent_find(m, MODEL_NETWORK, n->hdr.id);
	static const enum model_kind kinds[] = {MODEL_ROUTER, MODEL_INSTANCE};

	if (!r)
		return NULL;
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		const struct model_object *worst = NULL;
		char *worst_reason = NULL;
		struct ref *ref;

		HMAP_FOR_EACH (ref, node, &r->users[kinds[k]]) {
			const struct model_object *obj = ref->obj;
			char *reason = obj->kind == MODEL_ROUTER
					   ? check_router_fits(ROUTER(obj), n, NULL)
					   : check_instance_fits(m, INSTANCE(obj), n, NULL);
			if (reason && (!worst || strcmp(obj->id, worst->id) < 0)) {
				free(worst_reason);
				worst = obj;
				worst_reason = reason;
			} else {
				free(reason);
			}
		}
		if (worst) {
			char *msg =
			    xasprintf("%s %s would no longer fit: %s", model_kind_name(worst->kind),
				      worst->id, worst_reason);
			free(worst_reason);
			return msg;
		}
	}
	return NULL;
}

static char *duplicate_reason(const struct model_object *obj, const struct model_object *first)
{
	char *what, *reason;

	switch (obj->kind) {
	case MODEL_LINK:
		what =
		    xasprintf("duplicate link between '%s' and '%s'", LINK(obj)->a, LINK(obj)->b);
		break;
	case MODEL_NETWORK:
		what = xasprintf("duplicate network name '%s' in tenant %s", NETWORK(obj)->name,
				 NETWORK(obj)->tenant);
		break;
	case MODEL_ROUTER:
		what = xasprintf("duplicate router name '%s' in network %s/%s", ROUTER(obj)->name,
				 ROUTER(obj)->tenant, ROUTER(obj)->network);
		break;
	case MODEL_INSTANCE:
		what =
		    xasprintf("duplicate instance name '%s' in network %s/%s", INSTANCE(obj)->name,
			      INSTANCE(obj)->tenant, INSTANCE(obj)->network);
		break;
	case MODEL_HOST:
	case MODEL_SERVICE_LEVEL:
	case MODEL_TENANT:
	default:
		what = xasprintf("duplicate %s name '%s'", model_kind_name(obj->kind), obj->id);
		break;
	}
	if (first->pos.line <= 0)
		return what;
	reason = xasprintf("%s (first defined at line %d)", what, first->pos.line);
	free(what);
	return reason;
}

/* SNMPv3's key of 'password' (RFC 3414 A.2.1 with SHA-256 as RFC 7860
 * says): the hash of the password repeated to 1,048,576 bytes, in hex. */
static void snmp_password_key(const char *password, size_t len, char hex[SNMP_KEY_HEX_LEN + 1])
{
	unsigned char block[64], digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	size_t at = 0;

	crypto_hash_sha256_init(&st);
	for (size_t done = 0; done < 1048576; done += sizeof block) {
		for (size_t i = 0; i < sizeof block; i++)
			block[i] = (unsigned char)password[at++ % len];
		crypto_hash_sha256_update(&st, block, sizeof block);
	}
	crypto_hash_sha256_final(&st, digest);
	sodium_bin2hex(hex, SNMP_KEY_HEX_LEN + 1, digest, sizeof digest);
	sodium_memzero(block, sizeof block);
	sodium_memzero(digest, sizeof digest);
}

/* SNMPv3 keys: derived from the plain password when there is one, else
 * the file's or the old user's; none without 'snmpv3'. */
static char *user_snmp_key(struct user *u, const struct user *ou, struct src_pos *where)
{
	if (!u->snmpv3) {
		free(u->snmp_key);
		u->snmp_key = NULL;
		return NULL;
	}
	if (u->password) {
		size_t len = strlen(u->password);
		char hex[SNMP_KEY_HEX_LEN + 1];

		if (len < SNMPV3_PASSWORD_MIN_LEN)
			return errf(where, &u->pos,
				    "user '%s': snmpv3 needs a password of at least %d characters",
				    u->name, SNMPV3_PASSWORD_MIN_LEN);
		snmp_password_key(u->password, len, hex);
		free(u->snmp_key);
		u->snmp_key = xstrdup(hex);
		sodium_memzero(hex, sizeof hex);
	} else if (!u->snmp_key && ou && ou->snmp_key &&
		   (!u->password_hash ||
		    (ou->password_hash && !strcmp(u->password_hash, ou->password_hash)))) {
		/* The same password as before. */
		u->snmp_key = xstrdup(ou->snmp_key);
	}
	if (!u->snmp_key)
		return errf(where, &u->pos,
			    "user '%s': snmpv3 needs the plain password (its SNMP key is derived "
			    "from it)",
			    u->name);
	return NULL;
}

/* Applying a file with plain passwords again must not cost an argon2id
 * check per user each time (~0.1 s each, on the controller's loop): a
 * password known to match a hash is remembered, in this process only, as
 * a digest keyed with a random per-process key, beside the hash. Bounded:
 * past PW_MEMO_MAX entries the memo starts over. */
#define PW_MEMO_MAX 4096

struct pw_memo {
	char *hash;
	unsigned char digest[crypto_generichash_BYTES];
};

static struct pw_memo *pw_memos;
static size_t n_pw_memos;

static void pw_memo_digest(const char *hash, const char *password, size_t len,
			   unsigned char digest[crypto_generichash_BYTES])
{
	static unsigned char key[crypto_generichash_KEYBYTES];
	static bool keyed;
	crypto_generichash_state st;

	if (!keyed) {
		randombytes_buf(key, sizeof key);
		keyed = true;
	}
	crypto_generichash_init(&st, key, sizeof key, crypto_generichash_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)hash, strlen(hash) + 1);
	crypto_generichash_update(&st, (const unsigned char *)password, len);
	crypto_generichash_final(&st, digest, crypto_generichash_BYTES);
}

/* True if 'password' is known to verify against 'hash'. */
static bool pw_memo_known(const char *hash, const char *password, size_t len)
{
	unsigned char digest[crypto_generichash_BYTES];

	pw_memo_digest(hash, password, len, digest);
	for (size_t i = 0; i < n_pw_memos; i++)
		if (!strcmp(pw_memos[i].hash, hash) &&
		    !sodium_memcmp(pw_memos[i].digest, digest, sizeof digest))
			return true;
	return false;
}

static void pw_memo_add(const char *hash, const char *password, size_t len)
{
	if (n_pw_memos == PW_MEMO_MAX) {
		for (size_t i = 0; i < n_pw_memos; i++)
			free(pw_memos[i].hash);
		n_pw_memos = 0;
	}
	if (!n_pw_memos)
		pw_memos = xrealloc(pw_memos, PW_MEMO_MAX * sizeof *pw_memos);
	pw_memos[n_pw_memos].hash = xstrdup(hash);
	pw_memo_digest(hash, password, len, pw_memos[n_pw_memos].digest);
	n_pw_memos++;
}

/* Passwords: hashes each plain password of 't' (keeping the hash of the
 * same user of 'old' when it verifies the password), derives SNMPv3 keys,
 * wipes the plain text, and gives users with neither password nor hash
 * the old user's hash. */
static char *tenant_hash_passwords(struct tenant *t, const struct tenant *old,
				   struct src_pos *where)
{
	for (size_t i = 0; i < t->n_users; i++) {
		struct user *u = &t->users[i];
		const struct user *ou = old ? tenant_find_user(old, u->name) : NULL;
		const char *old_hash = ou ? ou->password_hash : NULL;
		char *reason = user_snmp_key(u, ou, where);

		if (reason)
			return reason;
		if (u->password) {
			size_t len = strlen(u->password);
			char buf[crypto_pwhash_STRBYTES] = {0};
			char *hash = NULL;

			ensure_sodium();
			if (old_hash && strlen(old_hash) < sizeof buf) {
				memcpy(buf, old_hash, strlen(old_hash));
				if (pw_memo_known(old_hash, u->password, len)) {
					hash = xstrdup(old_hash);
				} else if (!crypto_pwhash_str_verify(buf, u->password, len)) {
					hash = xstrdup(old_hash);
					pw_memo_add(hash, u->password, len);
				}
			}
			if (!hash) {
				if (crypto_pwhash_str(buf, u->password, len,
						      crypto_pwhash_OPSLIMIT_INTERACTIVE,
						      crypto_pwhash_MEMLIMIT_INTERACTIVE))
					return errf(where, &u->pos,
						    "user '%s': hashing the password failed "
						    "(out of memory)",
						    u->name);
				hash = xstrdup(buf);
				pw_memo_add(hash, u->password, len);
			}
			free(u->password_hash);
			u->password_hash = hash;
			sodium_memzero(u->password, len);
			free(u->password);
			u->password = NULL;
		} else if (!u->password_hash && old_hash) {
			u->password_hash = xstrdup(old_hash);
		}
	}
	return NULL;
}

/* Allocation of host ids, VNIs and MACs. */

static uint16_t lowest_free_host_id(const struct hmap *used)
{
	for (uint32_t id = 1; id <= HOST_ID_MAX; id++)
		if (!num_find(used, id))
			return (uint16_t)id;
	return 0;
}

/* A host's address when none is given: 198.19.0.0/16 + its id. */
static uint32_t host_default_address(uint16_t id)
{
	return id ? HOST_ADDRESS_BASE + id : 0;
}

/* Gives every host of 'objs' without an id one: the old host's if still
 * free, else the lowest free one that neither this file nor 'old' uses (so
 * no id changes hands within one apply). Then hosts without an address get
 * the one derived from their id. */
static void build_assign_host_ids(struct model_object **objs, size_t n, const struct model *old)
{
	struct hmap used;

	hmap_init(&used);
	for (size_t i = 0; i < n; i++) {
		if (objs[i]->kind == MODEL_HOST) {
			uint16_t id = HOST(objs[i])->id;
			if (id && !num_find(&used, id))
				num_add(&used, id, NULL);
		}
	}
	for (size_t i = 0; i < n && old; i++) {
		struct host *h = objs[i]->kind == MODEL_HOST ? HOST(objs[i]) : NULL;
		const struct model_object *prev;

		if (!h || h->id)
			continue;
		prev = model_find(old, MODEL_HOST, objs[i]->id);
		if (prev && HOST(prev)->id && !num_find(&used, HOST(prev)->id)) {
			h->id = HOST(prev)->id;
			num_add(&used, h->id, NULL);
		}
	}
	if (old) {
		struct num_entry *e;
		HMAP_FOR_EACH (e, node, &old->host_ids) {
			if (!num_find(&used, e->key))
				num_add(&used, e->key, NULL);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct host *h = objs[i]->kind == MODEL_HOST ? HOST(objs[i]) : NULL;

		if (!h || h->id)
			continue;
		h->id = lowest_free_host_id(&used);
		if (!h->id)
			break; /* left 0: reported on insertion */
		num_add(&used, h->id, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		struct host *h = objs[i]->kind == MODEL_HOST ? HOST(objs[i]) : NULL;

		if (h && !h->address)
			h->address = host_default_address(h->id);
	}
	num_clear(&used);
}

static uint32_t lowest_free_vni(const struct hmap *used)
{
	for (uint32_t vni = VNI_FIRST_ALLOCATED; vni <= VNI_MAX; vni++)
		if (!num_find(used, vni))
			return vni;
	return 0;
}

/* The lowest DSCP in 1..63 that 'used' lacks (0 stays for best effort
 * unless a level asks for it), or SL_DSCP_UNSET. */
static uint8_t lowest_free_dscp(const struct hmap *used)
{
	for (uint8_t dscp = 1; dscp <= SL_DSCP_MAX; dscp++)
		if (!num_find(used, dscp))
			return dscp;
	return SL_DSCP_UNSET;
}

/* Gives every service level of 'objs' without a DSCP one: a built-in
 * name's own; else the old level's if still free; else the lowest free
 * one that neither this file, the built-ins still in 'm' nor 'old' uses
 * (so no DSCP changes hands within one apply). */
static void build_assign_dscps(struct model_object **objs, size_t n, const struct model *m,
			       const struct model *old)
{
	struct hmap used;
	struct num_entry *e;

	hmap_init(&used);
	for (size_t i = 0; i < n; i++) {
		struct service_level *sl =
		    objs[i]->kind == MODEL_SERVICE_LEVEL ? SERVICE_LEVEL(objs[i]) : NULL;

		if (!sl)
			continue;
		if (sl->dscp == SL_DSCP_UNSET)
			sl->dscp = model_builtin_dscp(sl->name);
		if (sl->dscp != SL_DSCP_UNSET && !num_find(&used, sl->dscp))
			num_add(&used, sl->dscp, NULL);
	}
	HMAP_FOR_EACH (e, node, &m->dscps) {
		if (!num_find(&used, e->key))
			num_add(&used, e->key, NULL);
	}
	for (size_t i = 0; i < n && old; i++) {
		struct service_level *sl =
		    objs[i]->kind == MODEL_SERVICE_LEVEL ? SERVICE_LEVEL(objs[i]) : NULL;
		const struct model_object *prev;

		if (!sl || sl->dscp != SL_DSCP_UNSET)
			continue;
		prev = model_find(old, MODEL_SERVICE_LEVEL, objs[i]->id);
		if (prev && !num_find(&used, SERVICE_LEVEL(prev)->dscp)) {
			sl->dscp = SERVICE_LEVEL(prev)->dscp;
			num_add(&used, sl->dscp, NULL);
		}
	}
	if (old) {
		HMAP_FOR_EACH (e, node, &old->dscps) {
			if (!num_find(&used, e->key))
				num_add(&used, e->key, NULL);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct service_level *sl =
		    objs[i]->kind == MODEL_SERVICE_LEVEL ? SERVICE_LEVEL(objs[i]) : NULL;

		if (!sl || sl->dscp != SL_DSCP_UNSET)
			continue;
		sl->dscp = lowest_free_dscp(&used);
		if (sl->dscp == SL_DSCP_UNSET)
			break; /* reported on insertion */
		num_add(&used, sl->dscp, NULL);
	}
	num_clear(&used);
}

/* The 'counter'th candidate MAC of instance 'id': 02 then 40 bits of a
 * keyed hash (SipHash) of the id. */
static void mac_candidate(const char *id, uint32_t counter, struct eth_addr *mac)
{
	static const unsigned char key[crypto_shorthash_KEYBYTES] = {
	    'o', 'n', 'm', ' ', 'm', 'a', 'c', ' ', 'a', 'd', 'd', 'r', 'e', 's', 's', '1'};
	unsigned char out[crypto_shorthash_BYTES];
	char *input = counter ? xasprintf("%s#%u", id, counter) : xstrdup(id);

	ensure_sodium();
	crypto_shorthash(out, (const unsigned char *)input, strlen(input), key);
	free(input);
	mac->b[0] = 0x02; /* locally administered, unicast */
	memcpy(&mac->b[1], out, 5);
}

static void allocate_mac(const struct hmap *used, const char *id, struct eth_addr *mac)
{
	uint32_t counter = 0;

	do {
		mac_candidate(id, counter++, mac);
	} while (num_find(used, mac_key(mac)));
}

/* Gives every network of 'objs' without a VNI one: the old network's if
 * still free, else the lowest free one from 1000 on that neither this file
 * nor 'old' uses (so no VNI changes hands within one apply). */
static void build_assign_vnis(struct model_object **objs, size_t n, const struct model *old)
{
	struct hmap used;
	uint32_t next = VNI_FIRST_ALLOCATED;

	hmap_init(&used);
	for (size_t i = 0; i < n; i++) {
		if (objs[i]->kind == MODEL_NETWORK) {
			uint32_t vni = NETWORK(objs[i])->vni;
			if (vni && !num_find(&used, vni))
				num_add(&used, vni, NULL);
		}
	}
	for (size_t i = 0; i < n && old; i++) {
		struct network *net = objs[i]->kind == MODEL_NETWORK ? NETWORK(objs[i]) : NULL;
		const struct model_object *prev;

		if (!net || net->vni)
			continue;
		prev = model_find(old, MODEL_NETWORK, objs[i]->id);
		if (prev && NETWORK(prev)->vni && !num_find(&used, NETWORK(prev)->vni)) {
			net->vni = NETWORK(prev)->vni;
			num_add(&used, net->vni, NULL);
		}
	}
	if (old) {
		struct num_entry *e;
		HMAP_FOR_EACH (e, node, &old->vnis) {
			if (!num_find(&used, e->key))
				num_add(&used, e->key, NULL);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct network *net = objs[i]->kind == MODEL_NETWORK ? NETWORK(objs[i]) : NULL;

		if (!net || net->vni)
			continue;
		while (next <= VNI_MAX && num_find(&used, next))
			next++;
		if (next > VNI_MAX)
			break; /* left 0: reported on insertion */
		net->vni = next;
		num_add(&used, next, NULL);
	}
	num_clear(&used);
}

/* The same for MACs: given, else kept from 'old', else hashed from the id. */
static void build_assign_macs(struct model_object **objs, size_t n, const struct model *old)
{
	struct hmap used;

	hmap_init(&used);
	hmap_reserve(&used, n + (old ? hmap_count(&old->macs) : 0));
	for (size_t i = 0; i < n; i++) {
		if (objs[i]->kind == MODEL_INSTANCE) {
			uint64_t key = mac_key(&INSTANCE(objs[i])->mac);
			if (key && !num_find(&used, key))
				num_add(&used, key, NULL);
		}
	}
	for (size_t i = 0; i < n && old; i++) {
		struct instance *inst = objs[i]->kind == MODEL_INSTANCE ? INSTANCE(objs[i]) : NULL;
		const struct model_object *prev;

		if (!inst || !eth_addr_is_zero(&inst->mac))
			continue;
		prev = model_find(old, MODEL_INSTANCE, objs[i]->id);
		if (prev && !num_find(&used, mac_key(&INSTANCE(prev)->mac))) {
			inst->mac = INSTANCE(prev)->mac;
			num_add(&used, mac_key(&inst->mac), NULL);
		}
	}
	if (old) {
		struct num_entry *e;
		HMAP_FOR_EACH (e, node, &old->macs) {
			if (!num_find(&used, e->key))
				num_add(&used, e->key, NULL);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct instance *inst = objs[i]->kind == MODEL_INSTANCE ? INSTANCE(objs[i]) : NULL;

		if (!inst || !eth_addr_is_zero(&inst->mac))
			continue;
		allocate_mac(&used, objs[i]->id, &inst->mac);
		num_add(&used, mac_key(&inst->mac), NULL);
	}
	num_clear(&used);
}

/* Built-in service levels. */

static const struct builtin_sl *builtin_sl_find(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(builtin_sls); i++)
		if (!strcmp(builtin_sls[i].name, name))
			return &builtin_sls[i];
	return NULL;
}

/* The DSCP of built-in level 'name', or SL_DSCP_UNSET (see model.h). */
uint8_t model_builtin_dscp(const char *name)
{
	const struct builtin_sl *b = builtin_sl_find(name);

	return b ? b->dscp : SL_DSCP_UNSET;
}

/* Makes 'sl' minimize the single attribute 'metric' (not SL_MIN_WEIGHTED):
 * its weight 1, the others 0. */
void model_sl_set_metric(struct service_level *sl, enum sl_metric metric)
{
	sl->minimize = metric;
	sl->w_latency = metric == SL_MIN_LATENCY;
	sl->w_cost = metric == SL_MIN_COST;
	sl->w_hops = metric == SL_MIN_HOPS;
	sl->w_loss = metric == SL_MIN_LOSS;
}

/* A file that restates a built-in service level exactly (as spec.md's
 * example does) does not override it: the level stays built in, unstored,
 * and absent from plans. */
static void sl_mark_if_builtin(struct service_level *sl)
{
	const struct builtin_sl *b = builtin_sl_find(sl->name);
	const char *via = sl->via_capability;

	sl->builtin = b && sl->minimize == b->minimize &&
		      sl->min_bandwidth_bps == b->min_bandwidth_bps &&
		      (via && b->via_capability ? !strcmp(via, b->via_capability)
						: via == b->via_capability) &&
		      sl->dscp == b->dscp && !sl->n_exclude_hosts && !sl->n_exclude_links;
}

static struct model_object *builtin_sl_create(const struct builtin_sl *b)
{
	struct service_level *sl = xzalloc(sizeof *sl);

	sl->hdr.kind = MODEL_SERVICE_LEVEL;
	sl->hdr.id = xstrdup(b->name);
	sl->name = xstrdup(b->name);
	model_sl_set_metric(sl, b->minimize);
	sl->min_bandwidth_bps = b->min_bandwidth_bps;
	sl->via_capability = b->via_capability ? xstrdup(b->via_capability) : NULL;
	sl->dscp = b->dscp;
	sl->builtin = true;
	return &sl->hdr;
}

/* The model. */

/* Creates a model that holds the built-in service levels only. */
struct model *model_create(void)
{
	struct model *m = xzalloc(sizeof *m);

	for (size_t k = 0; k < MODEL_N_KINDS; k++) {
		hmap_init(&m->objects[k]);
		hmap_init(&m->referents[k]);
	}
	hmap_init(&m->vnis);
	hmap_init(&m->macs);
	hmap_init(&m->host_ids);
	hmap_init(&m->host_addrs);
	hmap_init(&m->dscps);
	for (size_t i = 0; i < ARRAY_SIZE(builtin_sls); i++)
		insert_object(m, builtin_sl_create(&builtin_sls[i]));
	return m;
}

/* Frees 'm' and every object in it. Accepts NULL. */
void model_destroy(struct model *m)
{
	if (!m)
		return;
	for (size_t k = 0; k < MODEL_N_KINDS; k++) {
		struct model_object *obj;
		struct referent *r;

		HMAP_FOR_EACH_SAFE (obj, node, &m->objects[k])
			model_object_destroy(obj);
		hmap_destroy(&m->objects[k]);
		HMAP_FOR_EACH_SAFE (r, node, &m->referents[k])
			referent_destroy(r);
		hmap_destroy(&m->referents[k]);
	}
	num_clear(&m->vnis);
	num_clear(&m->macs);
	num_clear(&m->host_ids);
	num_clear(&m->host_addrs);
	num_clear(&m->dscps);
	hmap_destroy(&m->vnis);
	hmap_destroy(&m->macs);
	hmap_destroy(&m->host_ids);
	hmap_destroy(&m->host_addrs);
	hmap_destroy(&m->dscps);
	free(m);
}

/* Validates and inserts one object of a file being built into 'm'. */
static char *build_insert(struct model *m, struct model_object *obj, const struct model *old,
			  struct src_pos *where)
{
	struct model_object *existing = model_find(m, obj->kind, obj->id);
	char *reason;

	/* Built-ins the file overrides are gone already (build_drop_builtins),
	 * so anything found came from the file. */
	if (existing)
		return duplicate_reason(obj, existing);
	if (obj->kind == MODEL_SERVICE_LEVEL)
		sl_mark_if_builtin(SERVICE_LEVEL(obj));
	if (obj->kind == MODEL_NETWORK && !NETWORK(obj)->vni)
		return xasprintf("no free VNI left (%u..%u are all in use)", VNI_FIRST_ALLOCATED,
				 VNI_MAX);
	reason = check_object(m, obj, where);
	if (reason)
		return reason;
	if (obj->kind == MODEL_TENANT) {
		const struct model_object *prev =
		    old ? model_find(old, MODEL_TENANT, obj->id) : NULL;
		reason = tenant_hash_passwords(TENANT(obj), prev ? TENANT(prev) : NULL, where);
		if (reason)
			return reason;
	}
	insert_object(m, obj);
	return NULL;
}

/* Takes the built-in service levels that 'objs' override out of 'm', so
 * that the file's levels are checked (DSCPs above all) against the levels
 * the new model will hold, not against the ones they replace. */
static void build_drop_builtins(struct model *m, struct model_object **objs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct model_object *b;

		if (objs[i]->kind != MODEL_SERVICE_LEVEL)
			continue;
		b = model_find(m, MODEL_SERVICE_LEVEL, objs[i]->id);
		if (b && model_object_is_builtin(b)) {
			unlink_object(m, b);
			model_object_destroy(b);
		}
	}
}

/* Builds a new model from the objects of 't' (see model.h). The topology
 * gives up its objects whatever the outcome. */
char *model_build(struct topology *t, const struct model *old, struct model **newp)
{
	const char *source = t->source && t->source[0] ? t->source : "topology";
	struct model_object **objs = t->objects;
	size_t n = 0;
	struct model *m = model_create();
	char *error = NULL;

	*newp = NULL;
	/* Take the objects; drop empty slots. */
	for (size_t i = 0; i < t->n_objects; i++)
		if (objs[i])
			objs[n++] = objs[i];
	t->objects = NULL;
	t->n_objects = 0;
	t->allocated = 0;

	for (size_t i = 0; i < n && !error; i++) {
		char *reason = object_fix_id(objs[i]);
		if (reason) {
			error = object_message(source, &objs[i]->pos, objs[i], reason);
			free(reason);
		}
	}
	if (error)
		goto fail;

	/* Size the maps once: a bulk load must not rehash as it grows. */
	size_t per_kind[MODEL_N_KINDS] = {0};
	for (size_t i = 0; i < n; i++)
		per_kind[objs[i]->kind]++;
	for (size_t k = 0; k < MODEL_N_KINDS; k++)
		hmap_reserve(&m->objects[k], per_kind[k] + hmap_count(&m->objects[k]));
	hmap_reserve(&m->macs, per_kind[MODEL_INSTANCE]);
	hmap_reserve(&m->host_ids, per_kind[MODEL_HOST]);
	hmap_reserve(&m->host_addrs, per_kind[MODEL_HOST]);

	build_drop_builtins(m, objs, n);
	build_assign_host_ids(objs, n, old);
	build_assign_vnis(objs, n, old);
	build_assign_dscps(objs, n, m, old);
	build_assign_macs(objs, n, old);

	for (size_t kind = 0; kind < MODEL_N_KINDS; kind++) {
		for (size_t i = 0; i < n; i++) {
			struct model_object *obj = objs[i];
			struct src_pos where;
			char *reason;

			if (!obj || (size_t)obj->kind != kind)
				continue;
			where = obj->pos;
			reason = build_insert(m, obj, old, &where);
			if (reason) {
				error = object_message(source, &where, obj, reason);
				free(reason);
				goto fail;
			}
			objs[i] = NULL;
		}
	}
	free(objs);
	*newp = m;
	return NULL;

fail:
	for (size_t i = 0; i < n; i++)
		model_object_destroy(objs[i]);
	free(objs);
	model_destroy(m);
	return error;
}

/* Looks up 'id' among the objects of 'kind' in 'm'. A link is found by its
 * endpoints in either order. */
struct model_object *model_find(const struct model *m, enum model_kind kind, const char *id)
{
	struct model_object *obj;
	uint32_t hash;
	const char *slash;

	if ((unsigned)kind >= MODEL_N_KINDS || !id)
		return NULL;
	hash = hash_string(id, 0);
	HMAP_FOR_EACH_WITH_HASH (obj, node, hash, &m->objects[kind]) {
		if (!strcmp(obj->id, id))
			return obj;
	}
	if (kind == MODEL_LINK && (slash = strchr(id, '/')) && !strchr(slash + 1, '/')) {
		char *swapped = xasprintf("%s/%.*s", slash + 1, (int)(slash - id), id);
		/* Only the sorted order is an id; this also ends the recursion. */
		if (strcmp(swapped, id) < 0)
			obj = model_find(m, kind, swapped);
		else
			obj = NULL;
		free(swapped);
		return obj;
	}
	return NULL;
}

/* Number of objects of 'kind' in 'm', built-in ones included. */
size_t model_count(const struct model *m, enum model_kind kind)
{
	return (unsigned)kind < MODEL_N_KINDS ? hmap_count(&m->objects[kind]) : 0;
}

static int compare_objects_by_id(const void *a_, const void *b_)
{
	const struct model_object *const *a = a_;
	const struct model_object *const *b = b_;
	return strcmp((*a)->id, (*b)->id);
}

/* The objects of 'kind' sorted by id (strcmp). Caller frees the array. */
struct model_object **model_list(const struct model *m, enum model_kind kind, size_t *np)
{
	size_t n = model_count(m, kind), i = 0;
	struct model_object **list = xmalloc(n * sizeof *list);
	struct model_object *obj;

	if (n) {
		HMAP_FOR_EACH (obj, node, &m->objects[kind])
			list[i++] = obj;
		qsort(list, n, sizeof *list, compare_objects_by_id);
	}
	*np = n;
	return list;
}

/* Creates or replaces one object (see model.h). */
char *model_put(struct model *m, struct model_object *obj, struct model_object **replacedp)
{
	struct model_object *old;
	struct src_pos where;
	char *reason, *msg;
	uint32_t vni = 0;
	struct eth_addr mac = {{0}};
	uint16_t given_host_id = 0;
	uint32_t given_host_address = 0;
	uint8_t given_dscp = SL_DSCP_UNSET;

	*replacedp = NULL;
	if ((unsigned)obj->kind >= MODEL_N_KINDS)
		return xstrdup("invalid object kind");
	reason = object_fix_id(obj);
	if (reason)
		goto refuse;
	old = model_find(m, obj->kind, obj->id);
	if (old == obj)
		return object_message(NULL, NULL, obj, "already in the model");
	if (old)
		unlink_object(m, old);

	if (obj->kind == MODEL_HOST) {
		/* The id and address are part of what is validated (unique), so
		 * they are allocated first, and given back on refusal. */
		struct host *h = HOST(obj);

		given_host_id = h->id;
		given_host_address = h->address;
		if (!h->id)
			h->id = old ? HOST(old)->id : lowest_free_host_id(&m->host_ids);
		if (!h->address)
			h->address = host_default_address(h->id);
	}
	if (obj->kind == MODEL_SERVICE_LEVEL) {
		/* Like a host id: unique, so allocated before the checks. An
		 * override of a built-in takes the built-in's DSCP. */
		struct service_level *sl = SERVICE_LEVEL(obj);

		given_dscp = sl->dscp;
		if (sl->dscp == SL_DSCP_UNSET)
			sl->dscp = model_builtin_dscp(sl->name);
		if (sl->dscp == SL_DSCP_UNSET)
			sl->dscp = old ? SERVICE_LEVEL(old)->dscp : lowest_free_dscp(&m->dscps);
	}
	where = obj->pos;
	reason = check_object(m, obj, &where);
	if (!reason && old && obj->kind == MODEL_NETWORK)
		reason = check_network_dependents(m, NETWORK(obj));
	if (!reason && obj->kind == MODEL_NETWORK && !NETWORK(obj)->vni) {
		vni = old ? NETWORK(old)->vni : lowest_free_vni(&m->vnis);
		if (!vni)
			reason = xasprintf("no free VNI left (%u..%u are all in use)",
					   VNI_FIRST_ALLOCATED, VNI_MAX);
	}
	if (!reason && obj->kind == MODEL_INSTANCE && eth_addr_is_zero(&INSTANCE(obj)->mac)) {
		if (old)
			mac = INSTANCE(old)->mac;
		else
			allocate_mac(&m->macs, obj->id, &mac);
	}
	if (!reason && obj->kind == MODEL_TENANT)
		reason = tenant_hash_passwords(TENANT(obj), old ? TENANT(old) : NULL, &where);
	if (reason) {
		if (old)
			link_object(m, old);
		if (obj->kind == MODEL_HOST) {
			HOST(obj)->id = given_host_id;
			HOST(obj)->address = given_host_address;
		}
		if (obj->kind == MODEL_SERVICE_LEVEL)
			SERVICE_LEVEL(obj)->dscp = given_dscp;
		goto refuse;
	}

	if (vni)
		NETWORK(obj)->vni = vni;
	if (!eth_addr_is_zero(&mac))
		INSTANCE(obj)->mac = mac;
	insert_object(m, obj);
	*replacedp = old;
	return NULL;

refuse:
	msg = object_message(NULL, NULL, obj, reason);
	free(reason);
	return msg;
}

/* "2 instances (acme/blue/web1, acme/blue/web2, ...)" for the referrers of
 * one kind. */
static void put_users(struct ds *ds, const struct hmap *users, enum model_kind kind)
{
	size_t n = hmap_count(users), i = 0;
	const struct model_object **ids = xmalloc(n * sizeof *ids);
	struct ref *ref;

	HMAP_FOR_EACH (ref, node, users)
		ids[i++] = ref->obj;
	qsort(ids, n, sizeof *ids, compare_objects_by_id);
	ds_put_format(ds, "%zu %s%s (", n, model_kind_name(kind), n == 1 ? "" : "s");
	for (i = 0; i < n && i < NAMES_IN_MESSAGES; i++)
		ds_put_format(ds, "%s%s", i ? ", " : "", ids[i]->id);
	if (n > NAMES_IN_MESSAGES)
		ds_put_cstr(ds, ", ...");
	ds_put_char(ds, ')');
	free(ids);
}

static char *still_used_message(const struct model_object *obj, const struct referent *r)
{
	struct ds ds = DS_EMPTY_INITIALIZER;
	size_t n_kinds = 0, done = 0;

	for (size_t k = 0; k < MODEL_N_KINDS; k++)
		n_kinds += !hmap_is_empty(&r->users[k]);
	ds_put_format(&ds, "%s %s is still used by ", model_kind_name(obj->kind), obj->id);
	for (size_t k = MODEL_N_KINDS; k-- > 0;) {
		if (hmap_is_empty(&r->users[k]))
			continue;
		if (done)
			ds_put_cstr(&ds, done + 1 == n_kinds ? " and " : ", ");
		put_users(&ds, &r->users[k], k);
		done++;
	}
	return ds_steal_cstr(&ds);
}

/* Removes one object (see model.h). */
char *model_remove(struct model *m, enum model_kind kind, const char *id,
		   struct model_object **removedp)
{
	struct model_object *obj = model_find(m, kind, id);
	struct referent *r;

	*removedp = NULL;
	if (!obj)
		return xasprintf("not found: %s %s",
				 (unsigned)kind < MODEL_N_KINDS ? model_kind_name(kind) : "object",
				 str_or_empty(id));
	if (model_object_is_builtin(obj))
		return xasprintf("%s %s is built in and cannot be removed", model_kind_name(kind),
				 obj->id);

	if (kind == MODEL_SERVICE_LEVEL) {
		const struct builtin_sl *b = builtin_sl_find(obj->id);
		if (b) {
			/* Removing an override brings the built-in back; the
			 * tenants that use the name keep a valid reference. Its
			 * DSCP must be free (the override may have let it go). */
			const struct num_entry *e = num_find(&m->dscps, b->dscp);

			if (e && e->owner != SERVICE_LEVEL(obj))
				return xasprintf("service level %s cannot go back to the built-in: "
						 "its dscp %u is used by service level %s",
						 obj->id, b->dscp,
						 ((const struct service_level *)e->owner)->hdr.id);
			unlink_object(m, obj);
			insert_object(m, builtin_sl_create(b));
			*removedp = obj;
			return NULL;
		}
	}

	r = referent_find(m, kind, obj->id);
	if (r && referent_n_users(r))
		return still_used_message(obj, r);
	unlink_object(m, obj);
	if (r) {
		hmap_remove(&m->referents[kind], &r->node);
		referent_destroy(r);
	}
	*removedp = obj;
	return NULL;
}

/* Differences. */

static bool json_differs(const char *a, const char *b)
{
	return !a || !b ? a != b : strcmp(a, b) != 0;
}

static void diff_add(struct model_diff *diff, size_t *allocated, enum model_change_op op,
		     const struct model_object *obj)
{
	struct model_change *c;

	diff->changes = xgrow(diff->changes, allocated, diff->n + 1, sizeof *diff->changes);
	c = &diff->changes[diff->n++];
	c->op = op;
	c->kind = obj->kind;
	c->id = xstrdup(obj->id);
	c->key = model_object_key(obj);
	c->json = op == MODEL_DELETE || !obj->json ? NULL : xstrdup(obj->json);
}

/* The stored objects of 'kind' in 'm' (may be NULL), sorted by id. */
static struct model_object **stored_list(const struct model *m, enum model_kind kind, size_t *np)
{
	struct model_object **list;
	size_t n = 0, k = 0;

	if (!m) {
		*np = 0;
		return NULL;
	}
	list = model_list(m, kind, &n);
	for (size_t i = 0; i < n; i++)
		if (!model_object_is_builtin(list[i]))
			list[k++] = list[i];
	*np = k;
	return list;
}

/* Compares the stored objects of 'old' and 'new' (either may be NULL) and
 * fills 'diff' (see model.h). */
void model_diff(const struct model *old, const struct model *new, struct model_diff *diff)
{
	struct model_object **ol[MODEL_N_KINDS], **nl[MODEL_N_KINDS];
	size_t no[MODEL_N_KINDS], nn[MODEL_N_KINDS];
	size_t allocated = 0;

	diff->changes = NULL;
	diff->n = 0;
	/* Each kind's objects sorted by id once, then merged twice. */
	for (size_t k = 0; k < MODEL_N_KINDS; k++) {
		ol[k] = stored_list(old, k, &no[k]);
		nl[k] = stored_list(new, k, &nn[k]);
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t step = 0; step < MODEL_N_KINDS; step++) {
			/* Creates and updates in dependency order, then deletes in reverse. */
			enum model_kind k = pass == 0 ? step : MODEL_N_KINDS - 1 - step;
			size_t i = 0, j = 0;

			while (i < no[k] || j < nn[k]) {
				int c = i == no[k]   ? 1
					: j == nn[k] ? -1
						     : strcmp(ol[k][i]->id, nl[k][j]->id);
				if (c < 0) {
					if (pass == 1)
						diff_add(diff, &allocated, MODEL_DELETE, ol[k][i]);
					i++;
				} else if (c > 0) {
					if (pass == 0)
						diff_add(diff, &allocated, MODEL_CREATE, nl[k][j]);
					j++;
				} else {
					if (pass == 0 &&
					    json_differs(ol[k][i]->json, nl[k][j]->json))
						diff_add(diff, &allocated, MODEL_UPDATE, nl[k][j]);
					i++;
					j++;
				}
			}
		}
	}
	for (size_t k = 0; k < MODEL_N_KINDS; k++) {
		free(ol[k]);
		free(nl[k]);
	}
}

/* Frees what 'diff' holds and leaves it empty. */
void model_diff_destroy(struct model_diff *diff)
{
	if (!diff)
		return;
	for (size_t i = 0; i < diff->n; i++) {
		free(diff->changes[i].id);
		free(diff->changes[i].key);
		free(diff->changes[i].json);
	}
	free(diff->changes);
	diff->changes = NULL;
	diff->n = 0;
}
