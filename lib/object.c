// SPDX-License-Identifier: Apache-2.0
/*
 * Model objects on their own, apart from any model: kind names, store keys,
 * destruction, and the 'struct topology' list that the loader fills and
 * model_build() consumes (see model.h). Kept apart from model.c so that the
 * codec and its tests need nothing of the model's validation.
 */
#include "onm/model.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;     /* for messages */
	const char *singular; /* as a REST kind or CLI word */
	const char *plural;
} kinds[MODEL_N_KINDS] = {
    [MODEL_HOST] = {"host", "host", "hosts"},
    [MODEL_LINK] = {"link", "link", "links"},
    [MODEL_SERVICE_LEVEL] = {"service level", "service_level", "service_levels"},
    [MODEL_TENANT] = {"tenant", "tenant", "tenants"},
    [MODEL_NETWORK] = {"network", "network", "networks"},
    [MODEL_ROUTER] = {"router", "router", "routers"},
    [MODEL_INSTANCE] = {"instance", "instance", "instances"},
};

/* The kind's name for messages: "host", "service level", ... */
const char *model_kind_name(enum model_kind kind)
{
	return (unsigned int)kind < MODEL_N_KINDS ? kinds[kind].name : "object";
}

/* The kind's plural as used in REST paths and store keys: "service_levels". */
const char *model_kind_plural(enum model_kind kind)
{
	return (unsigned int)kind < MODEL_N_KINDS ? kinds[kind].plural : "objects";
}

/* Sets '*kind' from its plural, its singular ("service_level") or its
 * message name ("service level"). Returns false if 's' names no kind. */
bool model_kind_from_string(const char *s, enum model_kind *kind)
{
	for (int k = 0; k < MODEL_N_KINDS; k++) {
		if (!strcmp(s, kinds[k].plural) || !strcmp(s, kinds[k].singular) ||
		    !strcmp(s, kinds[k].name)) {
			*kind = (enum model_kind)k;
			return true;
		}
	}
	return false;
}

/* True for a built-in service level (see model.h). */
bool model_object_is_builtin(const struct model_object *obj)
{
	return obj && obj->kind == MODEL_SERVICE_LEVEL &&
	       CONTAINER_OF(obj, const struct service_level, hdr)->builtin;
}

/* "/onm/<plural>/<id>". Caller frees. */
char *model_object_key(const struct model_object *obj)
{
	return xasprintf("/onm/%s/%s", model_kind_plural(obj->kind), obj->id ? obj->id : "");
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* Frees a plain password after wiping it, so that it does not linger in
 * freed memory. */
static void free_secret(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

static void host_free(struct host *h)
{
	free(h->name);
	free_strings(h->capabilities, h->n_capabilities);
}

static void link_free(struct link *l)
{
	free(l->a);
	free(l->b);
}

static void service_level_free(struct service_level *sl)
{
	free(sl->name);
	free(sl->via_capability);
	free_strings(sl->exclude_hosts, sl->n_exclude_hosts);
	free_strings(sl->exclude_links, sl->n_exclude_links);
}

static void tenant_free(struct tenant *t)
{
	free(t->name);
	free(t->service_level);
	for (size_t i = 0; t->users && i < t->n_users; i++) {
		struct user *u = &t->users[i];

		free(u->name);
		free_secret(u->password);
		free(u->password_hash);
		free(u->snmp_key);
		free_strings(u->public_keys, u->n_public_keys);
		for (size_t j = 0; u->aliases && j < u->n_aliases; j++) {
			free(u->aliases[j].name);
			free(u->aliases[j].command);
		}
		free(u->aliases);
	}
	free(t->users);
	free(t->fallback);
	free_secret(t->snmp.ro_community);
	free_secret(t->snmp.rw_community);
	free(t->snmp.trap_receivers);
}

static void network_free(struct network *n)
{
	free(n->tenant);
	free(n->name);
	for (size_t i = 0; n->subnets && i < n->n_subnets; i++)
		free(n->subnets[i].name);
	free(n->subnets);
	for (size_t i = 0; n->groups && i < n->n_groups; i++) {
		struct security_group *g = &n->groups[i];

		for (size_t j = 0; g->rules && j < g->n_rules; j++)
			free(g->rules[j].remote_group);
		free(g->rules);
		free(g->name);
	}
	free(n->groups);
	for (size_t i = 0; n->routing.paths && i < n->routing.n_paths; i++) {
		struct vn_path *p = &n->routing.paths[i];

		free(p->from);
		free(p->to);
		free_strings(p->via, p->n_via);
	}
	free(n->routing.paths);
	free_strings(n->routing.prefer_hosts, n->routing.n_prefer_hosts);
	free_strings(n->routing.avoid_hosts, n->routing.n_avoid_hosts);
}

static void router_free(struct router *r)
{
	free(r->tenant);
	free(r->network);
	free(r->name);
	for (size_t i = 0; r->interfaces && i < r->n_interfaces; i++) {
		struct router_interface *ifc = &r->interfaces[i];

		free(ifc->name);
		free(ifc->subnet);
		free(ifc->description);
		free(ifc->acl_in);
		free(ifc->acl_out);
	}
	free(r->interfaces);
	free(r->routes);
	free(r->redirects);
	for (size_t i = 0; r->acls && i < r->n_acls; i++) {
		free(r->acls[i].name);
		free(r->acls[i].rules);
	}
	free(r->acls);
	free(r->ssh_listen);
}

static void instance_free(struct instance *in)
{
	free(in->tenant);
	free(in->network);
	free(in->name);
	free(in->subnet);
	free(in->host);
	free_strings(in->security_groups, in->n_security_groups);
}

/* Frees 'obj' and every field it owns, whatever its kind. Plain passwords
 * are wiped first. NULL is fine. */
void model_object_destroy(struct model_object *obj)
{
	if (!obj)
		return;
	switch (obj->kind) {
	case MODEL_HOST:
		host_free(CONTAINER_OF(obj, struct host, hdr));
		break;
	case MODEL_LINK:
		link_free(CONTAINER_OF(obj, struct link, hdr));
		break;
	case MODEL_SERVICE_LEVEL:
		service_level_free(CONTAINER_OF(obj, struct service_level, hdr));
		break;
	case MODEL_TENANT:
		tenant_free(CONTAINER_OF(obj, struct tenant, hdr));
		break;
	case MODEL_NETWORK:
		network_free(CONTAINER_OF(obj, struct network, hdr));
		break;
	case MODEL_ROUTER:
		router_free(CONTAINER_OF(obj, struct router, hdr));
		break;
	case MODEL_INSTANCE:
		instance_free(CONTAINER_OF(obj, struct instance, hdr));
		break;
	case MODEL_N_KINDS:
		onm_abort("model_object_destroy: bad kind %d", (int)obj->kind);
	}
	free(obj->id);
	free(obj->json);
	/* 'hdr' is the first member of every object, so 'obj' is the allocation. */
	free(obj);
}

/* The access list 'name' of 'r', or NULL (see model.h). */
const struct router_acl *router_find_acl(const struct router *r, const char *name)
{
	for (size_t i = 0; name && i < r->n_acls; i++)
		if (r->acls[i].name && !strcmp(r->acls[i].name, name))
			return &r->acls[i];
	return NULL;
}

/* Whether every character of 's' is in 'extra' or alphanumeric (lower
 * case only unless 'upper'), with 1..'max' characters. */
static bool word_is_valid(const char *s, size_t max, bool upper, const char *extra)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++) {
		char c = s[n];

		if (n >= max)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      (upper && c >= 'A' && c <= 'Z') || strchr(extra, c)))
			return false;
	}
	return n > 0;
}

/* [A-Za-z0-9_-]{1,64} (see model.h). */
bool model_acl_name_is_valid(const char *name)
{
	return word_is_valid(name, ROUTER_ACL_NAME_MAX_LEN, true, "_-");
}

/* [a-z0-9-]{1,32} (see model.h). */
bool model_alias_name_is_valid(const char *name)
{
	return word_is_valid(name, USER_ALIAS_NAME_MAX_LEN, false, "-");
}

/* Non-empty printable ASCII, at most 'max' bytes (see model.h). */
bool model_text_is_printable(const char *s, size_t max)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++)
		if (n >= max || s[n] < ' ' || s[n] > '~')
			return false;
	return n > 0;
}

bool model_community_is_valid(const char *s)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++)
		if (n >= TENANT_COMMUNITY_MAX_LEN || s[n] <= ' ' || s[n] > '~' || s[n] == '@')
			return false;
	return n > 0;
}

/* The key types sshd accepts from our users (libssh 0.10 knows them all). */
static const char *const public_key_types[] = {
    "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa",
};

/*
 * "TYPE BASE64 [COMMENT]" as in authorized_keys (without options). The
 * blob must decode and begin with TYPE as an SSH string (RFC 4253 6.6):
 * that catches a key pasted under the wrong type or cut short at its
 * start, while the key's own numbers are left to the SSH library.
 */
bool model_public_key_is_valid(const char *line)
{
	const char *type_end, *b64, *b64_end;
	unsigned char *blob;
	size_t type_len, b64_len, blob_len = 0;
	bool known = false, ok;

	if (!model_text_is_printable(line, USER_PUBLIC_KEY_MAX_LEN))
		return false;
	type_end = strchr(line, ' ');
	if (!type_end)
		return false;
	type_len = (size_t)(type_end - line);
	for (size_t i = 0; i < ARRAY_SIZE(public_key_types); i++)
		if (strlen(public_key_types[i]) == type_len &&
		    !memcmp(public_key_types[i], line, type_len))
			known = true;
	if (!known)
		return false;
	b64 = type_end + 1;
	b64_end = strchr(b64, ' ');
	b64_len = b64_end ? (size_t)(b64_end - b64) : strlen(b64);
	if (b64_len < 4 || b64_len % 4)
		return false;
	blob = xmalloc(b64_len);
	ok = !sodium_base642bin(blob, b64_len, b64, b64_len, NULL, &blob_len, NULL,
				sodium_base64_VARIANT_ORIGINAL) &&
	     blob_len > 4 + type_len &&
	     ((size_t)blob[0] << 24 | (size_t)blob[1] << 16 | (size_t)blob[2] << 8 | blob[3]) ==
		 type_len &&
	     !memcmp(blob + 4, line, type_len);
	free(blob);
	return ok;
}

/* A new empty topology; 'source' (may be NULL) names it in messages. */
struct topology *topology_create(const char *source)
{
	struct topology *t = xzalloc(sizeof *t);

	t->source = xstrdup(source ? source : "");
	return t;
}

/* Appends 'obj'; the topology owns it from now on. */
void topology_add(struct topology *t, struct model_object *obj)
{
	t->objects = xgrow(t->objects, &t->allocated, t->n_objects + 1, sizeof *t->objects);
	t->objects[t->n_objects++] = obj;
}

/* Frees 't' and the objects it still holds (slots set to NULL by a consumer
 * are skipped). NULL is fine. */
void topology_destroy(struct topology *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_objects; i++)
		model_object_destroy(t->objects[i]);
	free(t->objects);
	free(t->source);
	free(t);
}
