/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The model: onm's desired state — substrate (hosts, links), service
 * levels, and tenants with their virtual networks, routers and instances.
 *
 * Objects and identity. Every object starts with a 'struct model_object'
 * header that carries its kind, its id and its canonical JSON. Ids are
 * paths: host "h1", link "h1/h2" (endpoints sorted, links are undirected),
 * service level "platinum", tenant "acme", network "acme/blue", router
 * "acme/blue/r1", instance "acme/blue/web1". The store key of an object is
 * "/onm/<kind plural>/<id>" (see model_object_key()).
 *
 * Invariant: a model only ever holds a consistent set of objects. Every
 * insertion validates the object against what is already there (names,
 * references, addresses, VNIs, MACs) and is refused with a message naming
 * the object and the reason; the model is unchanged on refusal.
 *
 * Whole topologies are built with model_build(), which orders objects by
 * dependency, keeps earlier allocations (host ids, VNIs, DSCPs, MACs,
 * password hashes) from the previous model so that applying the same file
 * twice changes nothing, allocates what is new, and validates everything.
 * model_diff() then says what changed, object by object.
 *
 * Thread-safety: none; the controller's main thread owns the model.
 */
#ifndef ONM_MODEL_H
#define ONM_MODEL_H

#include "onm/hmap.h"
#include "onm/net.h"
#include "onm/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum model_kind {
	MODEL_HOST,
	MODEL_LINK,
	MODEL_SERVICE_LEVEL,
	MODEL_TENANT,
	MODEL_NETWORK,
	MODEL_ROUTER,
	MODEL_INSTANCE,
	MODEL_N_KINDS
};

/* "host", "link", "service level", ... (for messages). */
const char *model_kind_name(enum model_kind);
/* "hosts", "links", "service_levels", ... (REST paths, store keys). */
const char *model_kind_plural(enum model_kind);
/* Accepts the plural or the singular ("instances", "instance"). */
bool model_kind_from_string(const char *, enum model_kind *);

/* Where an object was written, when it came from a file (0 otherwise). */
struct src_pos {
	int line;
	int column;
};

struct model_object {
	struct hmap_node node; /* in the model's map for 'kind', hashed on 'id' */
	enum model_kind kind;
	char *id;	    /* see the header comment */
	char *json;	    /* canonical JSON (store form), set by the model on insertion */
	struct src_pos pos; /* position in the source file, if any */
};

struct host {
	struct model_object hdr;
	char *name;
	uint16_t id;	     /* 1..65535, unique; 0 before allocation */
	uint32_t address;    /* underlay IPv4, host order, unique; 0 before allocation */
	bool kernel_vtep;    /* 'vtep: kernel': an external Linux VXLAN endpoint, no agent */
	char **capabilities; /* e.g. "inspection"; each a valid name, no duplicates */
	size_t n_capabilities;
};

struct link {
	struct model_object hdr;
	char *a, *b;		/* host names as written; id sorts them */
	uint64_t latency_us;	/* one-way latency */
	uint64_t bandwidth_bps; /* 0 = not given (unlimited) */
	uint64_t cost;		/* monetary cost, unitless, default 1 */
	uint32_t loss_ppm;	/* packet loss, parts per million */
	bool down;		/* administratively down ('state: down') */
};

/* What a service level minimizes: one link attribute, or a weighted sum
 * of them (the weights of struct service_level say which in every case). */
enum sl_metric {
	SL_MIN_LATENCY,
	SL_MIN_COST,
	SL_MIN_HOPS,
	SL_MIN_LOSS,
	SL_MIN_WEIGHTED, /* 'minimize: {latency: N, cost: N, hops: N, loss: N}' */
};

/* The link attributes a path metric weighs, as indexes of per-attribute
 * arrays (struct vn_routing 'coef_milli'). */
enum sl_attr { SL_ATTR_LATENCY, SL_ATTR_COST, SL_ATTR_HOPS, SL_ATTR_LOSS, SL_N_ATTRS };

#define SL_DSCP_MAX 63
#define SL_DSCP_UNSET 0xff    /* 'dscp' before allocation (not given) */
#define SL_WEIGHT_MAX 1000000 /* largest weight in 'minimize: {...}' */

/*
 * A service level: a cost function over the substrate's links plus
 * constraints. The metric of one link is
 *   latency_us * w_latency + cost * w_cost + w_hops + loss_ppm * w_loss
 * (a named metric sets its weight to 1 and the others to 0), then
 * multiplied per attribute by a network's coefficients (struct vn_routing).
 */
struct service_level {
	struct model_object hdr;
	char *name;
	enum sl_metric minimize;
	uint64_t min_bandwidth_bps; /* 0 = no constraint */
	char *via_capability;	    /* NULL = no waypoint constraint */
	bool builtin;		    /* one of the four of spec.md, never stored */
	uint8_t dscp;		    /* 0..63, unique among levels; SL_DSCP_UNSET before
				     * allocation (built-ins: platinum 46, gold 34, silver 10,
				     * quarantine 8; others the lowest free in 1..63) */
	uint64_t w_latency;	    /* metric weight per microsecond of latency */
	uint64_t w_cost;	    /* per unit of a link's monetary cost */
	uint64_t w_hops;	    /* per link crossed */
	uint64_t w_loss;	    /* per ppm of packet loss */
	char **exclude_hosts;	    /* hosts no path of this level may cross */
	size_t n_exclude_hosts;
	char **exclude_links; /* link ids ("h1/h2", endpoints sorted) no path may use */
	size_t n_exclude_links;
};

enum user_role { ROLE_VIEWER, ROLE_OPERATOR, ROLE_ADMIN };

/* The output style of a user's device sessions. */
enum user_style { USER_STYLE_IOS, USER_STYLE_JUNOS };

#define USER_EXEC_TIMEOUT_DEFAULT_S 600 /* 'exec_timeout' when not given (10m) */
#define USER_EXEC_TIMEOUT_MAX_S 2147460 /* 35791 minutes, as IOS; 0 = never */
#define USER_ALIAS_NAME_MAX_LEN 32	/* an alias name: [a-z0-9-]+ */
#define USER_ALIAS_COMMAND_MAX_LEN 240	/* printable ASCII */
#define USER_PUBLIC_KEY_MAX_LEN 16384	/* one OpenSSH public key line */

/* 'alias exec NAME COMMAND': NAME typed at the prompt runs COMMAND. */
struct user_alias {
	char *name;    /* [a-z0-9-]+, unique per user */
	char *command; /* non-empty printable ASCII */
};

struct user {
	char *name;
	enum user_role role;
	char *password;	     /* plain, only between loading and model_build; wiped then */
	char *password_hash; /* argon2id encoded ("$argon2id$..."), or NULL: no password login */
	bool snmpv3;	     /* may use SNMPv3 (USM) with its password (docs/snmp.md) */
	char *snmp_key;	     /* snmpv3: the password's USM key (RFC 7860 SHA-256
			      * password-to-key, SNMP_KEY_HEX_LEN hex digits), derived
			      * when the plain password comes and kept like the hash */
	char **public_keys;  /* OpenSSH public key lines "TYPE BASE64 [COMMENT]" */
	size_t n_public_keys;
	enum user_style style;	 /* default USER_STYLE_IOS */
	uint32_t exec_timeout_s; /* idle seconds before a session must log in again; 0 =
				  * never; USER_EXEC_TIMEOUT_DEFAULT_S when not given */
	struct user_alias *aliases;
	size_t n_aliases;
	struct src_pos pos;
};

#define SNMP_KEY_HEX_LEN 64	  /* a user's snmp_key: SHA-256, in hex */
#define SNMPV3_PASSWORD_MIN_LEN 8 /* USM's minimum (RFC 3414 11.2) */

/* A tenant's SNMP access to its routers (device/snmp.c, docs/snmp.md):
 * v2c requests name a router with the community "COMMUNITY@NETWORK/ROUTER"
 * (or "COMMUNITY@TENANT/NETWORK/ROUTER"); the routers' traps go to the
 * receivers. All optional: a tenant without communities has no SNMP. */
#define TENANT_COMMUNITY_MAX_LEN 64 /* a community: printable ASCII but ' ' and '@' */
#define TENANT_TRAP_RECEIVERS_MAX 16

struct snmp_trap_receiver {
	uint32_t ip;   /* host order */
	uint16_t port; /* UDP, 1..65535 */
};

struct tenant_snmp {
	char *ro_community; /* read-only (viewers and operators), or NULL */
	char *rw_community; /* read-write (admins), or NULL; never the ro one */
	struct snmp_trap_receiver *trap_receivers; /* "ADDR:PORT" each, no duplicates, at
						    * most TENANT_TRAP_RECEIVERS_MAX */
	size_t n_trap_receivers;
};

struct tenant {
	struct model_object hdr;
	char *name;
	char *service_level; /* name of a service level */
	struct user *users;
	size_t n_users;
	uint64_t premium_quota; /* bytes carried at 'service_level' before moving to
				 * 'fallback'; 0 = no quota */
	char *fallback;		/* service level once the quota is used up; set iff
				 * premium_quota is (default "silver"), never 'service_level' */
	bool quarantine;	/* operator's order: all traffic passes 'inspection' hosts */
	/* 'snmp:' (all NULL and 0 when absent) */
	struct tenant_snmp snmp;
};

struct subnet {
	char *name;
	struct ipv4_prefix cidr;
	struct src_pos pos;
};

enum sg_dir { SG_IN, SG_OUT };
enum sg_proto { SG_PROTO_ANY, SG_PROTO_TCP, SG_PROTO_UDP, SG_PROTO_ICMP };

struct sg_rule {
	enum sg_dir dir;
	enum sg_proto proto;
	uint16_t port_min, port_max; /* tcp/udp only; 0,0 = all ports */
	struct ipv4_prefix remote;   /* 'from' (in) or 'to' (out); used if remote_group NULL */
	char *remote_group;	     /* 'from_group' / 'to_group': a group of the same VN */
	struct src_pos pos;
};

struct security_group {
	char *name;
	struct sg_rule *rules;
	size_t n_rules;
	struct src_pos pos;
};

/* An explicit substrate path for a network's traffic from one host to
 * another: from, via[0], ..., via[n_via - 1], to. */
struct vn_path {
	char *from, *to; /* host names, different */
	char **via;	 /* host names, at least one, no repeats, neither 'from' nor 'to' */
	size_t n_via;
	struct src_pos pos;
};

#define VN_COEF_DEFAULT 1000 /* coefficient 1 */
#define VN_COEF_MAX 1000000  /* coefficient 1000 */

/* A tenant's influence on how the substrate carries one network. */
struct vn_routing {
	uint32_t coef_milli[SL_N_ATTRS]; /* thousandths multiplying the service level's
					  * weights, by enum sl_attr; default 1000 */
	struct vn_path *paths;		 /* at most one per (from, to) */
	size_t n_paths;
	char **prefer_hosts; /* host names; none also in avoid_hosts */
	size_t n_prefer_hosts;
	char **avoid_hosts;
	size_t n_avoid_hosts;
};

struct network {
	struct model_object hdr;
	char *tenant;
	char *name;
	uint32_t vni; /* 1..16777215; 0 before allocation */
	struct subnet *subnets;
	size_t n_subnets;
	struct security_group *groups;
	size_t n_groups;
	struct vn_routing routing; /* 'routing:'; all defaults when absent */
};

#define ROUTER_DESCRIPTION_MAX_LEN 240 /* an interface's description, printable ASCII */
#define ROUTER_ACL_NAME_MAX_LEN 64     /* an access list's name: [A-Za-z0-9_-]+ */

struct router_interface {
	char *name;   /* e.g. "GigabitEthernet0/0" (not a model name: may hold '/') */
	char *subnet; /* subnet name of the router's network */
	uint32_t ip;
	bool shutdown;	    /* administratively down: forwards nothing */
	char *description;  /* free text, printable ASCII, or NULL */
	uint64_t shape_bps; /* traffic-shape rate of what leaves through it; 0 = none */
	char *acl_in;	    /* name of an access list of the router, or NULL */
	char *acl_out;	    /* (packets entering / leaving through this interface) */
	struct src_pos pos;
};

struct static_route {
	struct ipv4_prefix prefix;
	uint32_t via; /* inside a subnet the router has an interface on */
	struct src_pos pos;
};

/* Traffic the router routes to 'from' is delivered to 'to' (DNAT). */
struct router_redirect {
	uint32_t from; /* unique per router */
	uint32_t to;   /* never 'from' */
	struct src_pos pos;
};

enum acl_action { ACL_PERMIT, ACL_DENY };

/* One line of an IOS extended access list. */
struct acl_rule {
	enum acl_action action;
	enum sg_proto proto;	     /* SG_PROTO_ANY is written "ip" */
	struct ipv4_prefix src, dst; /* 0.0.0.0/0 = any */
	uint16_t port;		     /* destination port, tcp/udp only; 0 = any */
	struct src_pos pos;
};

/* An access list: first match wins, implicit deny at the end. */
struct router_acl {
	char *name; /* [A-Za-z0-9_-], at most ROUTER_ACL_NAME_MAX_LEN; unique per router */
	struct acl_rule *rules;
	size_t n_rules;
	struct src_pos pos;
};

struct router {
	struct model_object hdr;
	char *tenant, *network, *name;
	struct router_interface *interfaces;
	size_t n_interfaces;
	struct static_route *routes;
	size_t n_routes;
	struct router_redirect *redirects;
	size_t n_redirects;
	struct router_acl *acls;
	size_t n_acls;
	char *ssh_listen; /* "A.B.C.D:PORT": a session arriving there selects this
			   * router (spec.md), or NULL */
};

/* The access list 'name' of 'r', or NULL. */
const struct router_acl *router_find_acl(const struct router *r, const char *name);

/* Syntax of the values a device's users configure, shared by the codec,
 * the model's validation and whoever builds them from device commands. */
/* "TYPE BASE64 [COMMENT]": TYPE ssh-ed25519, ecdsa-sha2-nistp256/384/521
 * or ssh-rsa, BASE64 decoding to a key blob that starts with TYPE. */
bool model_public_key_is_valid(const char *line);
/* [A-Za-z0-9_-], 1..ROUTER_ACL_NAME_MAX_LEN characters. */
bool model_acl_name_is_valid(const char *name);
/* [a-z0-9-], 1..USER_ALIAS_NAME_MAX_LEN characters. */
bool model_alias_name_is_valid(const char *name);
/* Non-empty printable ASCII (' ' to '~') of at most 'max' characters. */
bool model_text_is_printable(const char *s, size_t max);
/* An SNMP community: 1..TENANT_COMMUNITY_MAX_LEN characters of '!' to '~'
 * but '@' (which separates it from the device it selects). */
bool model_community_is_valid(const char *s);

struct instance {
	struct model_object hdr;
	char *tenant, *network, *name;
	char *subnet;
	char *host;
	uint32_t ip;
	struct eth_addr mac;	/* zero before allocation */
	char **security_groups; /* names of groups of the network */
	size_t n_security_groups;
};

/* A whole topology as loaded from a file: objects in file order, not yet
 * validated. model_build() takes the objects. */
struct topology {
	struct model_object **objects;
	size_t n_objects;
	size_t allocated;
	char *source; /* file name for messages ("demo.yaml", "request body") */
};

struct topology *topology_create(const char *source);
void topology_add(struct topology *, struct model_object *); /* takes ownership */
void topology_destroy(struct topology *);		     /* frees the objects it still holds */

struct model;

/* A new model holding the built-in service levels only. */
struct model *model_create(void);
void model_destroy(struct model *);

/* The DSCP of built-in service level 'name', or SL_DSCP_UNSET if 'name' is
 * not one of the four. */
uint8_t model_builtin_dscp(const char *name);
/* Sets 'sl' to minimize one attribute ('metric' other than
 * SL_MIN_WEIGHTED): that attribute's weight 1, the others 0. */
void model_sl_set_metric(struct service_level *sl, enum sl_metric metric);

/* Builds a new model from 't' (consuming its objects). 'old' (may be NULL)
 * supplies earlier allocations: a host keeps its id, a network its VNI,
 * a service level its DSCP, an instance its MAC, a user whose plain
 * password verifies against the old hash keeps that hash. A host without
 * an address gets 198.19.0.0 + its id. Returns NULL and sets '*new' on success; otherwise returns a
 * message "SOURCE:LINE:COLUMN: KIND ID: reason" (position omitted when
 * unknown) and '*new' is NULL. */
char *model_build(struct topology *t, const struct model *old,
		  struct model **new) WARN_UNUSED_RESULT;

/* Lookup by kind and id; NULL if absent. */
struct model_object *model_find(const struct model *, enum model_kind, const char *id);
size_t model_count(const struct model *, enum model_kind);
/* The objects of one kind sorted by id. Returns an allocated array of
 * '*n' pointers (caller frees the array, not the objects). */
struct model_object **model_list(const struct model *, enum model_kind, size_t *n);

/* Inserts or replaces one object (REST create/update). Validates against
 * the rest of the model, including objects that depend on the replaced one
 * (a network's routers and instances must still fit its subnets).
 * Allocates a host's id, a VNI, a DSCP or a MAC if not given (the replaced
 * object's if there is one, else the lowest free id, VNI or DSCP — a
 * built-in name's own DSCP for an override — or a hashed MAC), derives a
 * host's address from its id if zero, hashes a plain password (keeping the
 * old hash when the user exists and no password is given). On success
 * takes ownership of 'obj', returns NULL and sets '*replaced' to the
 * previous object with the same id (or NULL); the caller frees it with
 * model_object_destroy() — or puts it back with model_put() to undo. On
 * failure returns the message and 'obj' stays the caller's. */
char *model_put(struct model *, struct model_object *obj,
		struct model_object **replaced) WARN_UNUSED_RESULT;
/* Removes one object. Fails (message, nothing removed) if others refer to
 * it: a host with links or instances or named by a service level's
 * exclude_hosts or a network's routing, a link in a service level's
 * exclude_links, a tenant with networks, a network with routers or
 * instances, a service level in use (also as a tenant's fallback), a
 * built-in service level, an override whose built-in DSCP another level
 * has taken meanwhile. On success '*removed' is the object (caller frees).
 * If 'id' does not exist returns a message starting with "not found". */
char *model_remove(struct model *, enum model_kind, const char *id,
		   struct model_object **removed) WARN_UNUSED_RESULT;

/* True for objects that exist in every model and are not stored (built-in
 * service levels that no file overrode). */
bool model_object_is_builtin(const struct model_object *);
/* "/onm/instances/acme/blue/web1". Caller frees. */
char *model_object_key(const struct model_object *);
void model_object_destroy(struct model_object *);

/* What model_diff found for one object. */
enum model_change_op { MODEL_CREATE, MODEL_UPDATE, MODEL_DELETE };
struct model_change {
	enum model_change_op op;
	enum model_kind kind;
	char *id;
	char *key;  /* store key */
	char *json; /* new canonical JSON (NULL for delete) */
};
struct model_diff {
	struct model_change *changes; /* sorted by kind (dependency order), then id;
				       * deletes come after creates/updates, in
				       * reverse dependency order */
	size_t n;
};
/* Compares canonical JSON of every stored (non-builtin) object. */
void model_diff(const struct model *old, const struct model *new, struct model_diff *);
void model_diff_destroy(struct model_diff *);

#endif /* ONM_MODEL_H */
