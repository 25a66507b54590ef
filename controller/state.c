// SPDX-License-Identifier: Apache-2.0
/*
 * The controller's state (see state.h): the live model and the store that
 * holds it, kept equal. Whole topologies are built beside the live model
 * and swapped in after their one transaction committed; single-object
 * changes go into the live model first (model_put/model_remove validate
 * them) and are undone there if the store refuses the write, so that a
 * failed commit leaves model and store as they were.
 */
#include "state.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "state"
#include "onm/codec.h"
#include "onm/ds.h"
#include "onm/log.h"
#include "onm/net.h"
#include "onm/store.h"

#define KEY_PREFIX "/onm/"

struct ctl_state {
	struct store *store;
	struct model *model;
	char *store_url;		/* for messages */
	ctl_state_commit_cb *commit_cb; /* may be NULL */
	void *commit_aux;
	ctl_state_change_cb *change_cb; /* may be NULL */
	void *change_aux;
	/* The store's revision when the model last changed (or was loaded):
	 * what clients and agents see. Keys outside the model's (usage,
	 * startup configurations, SNMP state) move the store's on, not this. */
	uint64_t revision;
};

static char *store_error(int error)
{
	return xasprintf("store failure: %s", strerror(-error));
}

/* Tells the change hook that the model changed and was committed. */
static void changed(struct ctl_state *state)
{
	if (state->change_cb)
		state->change_cb(state->revision, state->change_aux);
}

/* Commits 'txn' and reports its duration to the commit hook. */
static int commit(struct ctl_state *state, struct store_txn *txn)
{
	uint64_t start = time_usec();
	int error = store_txn_commit(txn, NULL);
	if (!error)
		state->revision = store_revision(state->store);
	if (state->commit_cb)
		state->commit_cb(time_usec() - start, error == 0, state->commit_aux);
	if (error)
		LOG_ERR("store commit failed: %s", strerror(-error));
	return error;
}

char *ctl_state_id_normalize(enum model_kind kind, const char *id)
{
	const char *slash = strchr(id, '/');
	if (kind != MODEL_LINK || !slash || strchr(slash + 1, '/'))
		return xstrdup(id);
	size_t a_len = (size_t)(slash - id);
	const char *b = slash + 1;
	size_t b_len = strlen(b);
	size_t min = a_len < b_len ? a_len : b_len;
	int cmp = memcmp(id, b, min);
	if (cmp < 0 || (cmp == 0 && a_len <= b_len))
		return xstrdup(id);
	return xasprintf("%s/%.*s", b, (int)a_len, id);
}

/* Splits store key "/onm/<plural>/<id>" into its kind and id (pointing into
 * 'key'). */
static bool key_parse(const char *key, enum model_kind *kind, const char **id)
{
	if (!str_has_prefix(key, KEY_PREFIX))
		return false;
	const char *plural = key + strlen(KEY_PREFIX);
	const char *slash = strchr(plural, '/');
	if (!slash || !slash[1])
		return false;
	for (int k = 0; k < MODEL_N_KINDS; k++) {
		const char *name = model_kind_plural(k);
		if (strlen(name) == (size_t)(slash - plural) &&
		    !memcmp(name, plural, strlen(name))) {
			*kind = k;
			*id = slash + 1;
			return true;
		}
	}
	return false;
}

/* Loads every "/onm/" key of the store into a new model. */
static int load(struct ctl_state *state, char **error)
{
	struct store_kv *kvs;
	size_t n;
	int rc = store_list(state->store, KEY_PREFIX, &kvs, &n);
	if (rc) {
		*error =
		    xasprintf("%s: cannot read the store: %s", state->store_url, strerror(-rc));
		return rc;
	}

	struct topology *t = topology_create(state->store_url);
	rc = 0;
	for (size_t i = 0; i < n; i++) {
		const char *key = kvs[i].key;
		enum model_kind kind;
		const char *id;
		if (!key_parse(key, &kind, &id)) {
			*error = xasprintf("%s: key %s: not a model object key "
					   "(expected /onm/<kind>/<id>)",
					   state->store_url, key);
			rc = -EINVAL;
			goto out;
		}

		struct model_object *obj;
		char *msg =
		    codec_object_parse_json(kind, kvs[i].value, kvs[i].value_len, key, &obj);
		if (msg) {
			*error = xasprintf("%s: key %s: %s", state->store_url, key, msg);
			free(msg);
			rc = -EINVAL;
			goto out;
		}
		if (strcmp(obj->id, id)) {
			*error = xasprintf("%s: key %s holds %s %s", state->store_url, key,
					   model_kind_name(kind), obj->id);
			model_object_destroy(obj);
			rc = -EINVAL;
			goto out;
		}
		topology_add(t, obj);
	}

	struct model *model;
	char *msg = model_build(t, NULL, &model);
	if (msg) {
		*error = xasprintf("%s: stored objects do not validate: %s", state->store_url, msg);
		free(msg);
		rc = -EINVAL;
		goto out;
	}
	state->model = model;

out:
	topology_destroy(t);
	store_kvs_free(kvs, n);
	return rc;
}

int ctl_state_open(const char *store_url, struct ctl_state **statep, char **error)
{
	*statep = NULL;
	*error = NULL;

	struct ctl_state *state = xzalloc(sizeof *state);
	state->store_url = xstrdup(store_url);
	int rc = store_open(store_url, &state->store, error);
	if (rc) {
		if (!*error)
			*error = xasprintf("%s: %s", store_url, strerror(-rc));
		goto err_free;
	}
	rc = load(state, error);
	if (rc)
		goto err_close;
	state->revision = store_revision(state->store);
	*statep = state;
	return 0;

err_close:
	store_close(state->store);
err_free:
	free(state->store_url);
	free(state);
	return rc;
}

void ctl_state_close(struct ctl_state *state)
{
	if (!state)
		return;
	model_destroy(state->model);
	store_close(state->store);
	free(state->store_url);
	free(state);
}

const struct model *ctl_state_model(const struct ctl_state *state)
{
	return state->model;
}

struct store *ctl_state_store(struct ctl_state *state)
{
	return state->store;
}

uint64_t ctl_state_revision(const struct ctl_state *state)
{
	return state->revision;
}

void ctl_state_set_commit_cb(struct ctl_state *state, ctl_state_commit_cb *cb, void *aux)
{
	state->commit_cb = cb;
	state->commit_aux = aux;
}

void ctl_state_set_change_cb(struct ctl_state *state, ctl_state_change_cb *cb, void *aux)
{
	state->change_cb = cb;
	state->change_aux = aux;
}

int ctl_state_apply(struct ctl_state *state, const char *body, size_t len, const char *source,
		    bool json, bool dry_run, struct model_diff *plan, uint64_t *revision,
		    char **error)
{
	memset(plan, 0, sizeof *plan);
	*error = NULL;

	/* Phase timings go to the log: they are what an operator (and the
	 * apply benchmark) needs to see where a large apply spends its time. */
	uint64_t t0 = time_usec();
	struct topology *t;
	char *msg = codec_topology_parse(body, len, source, json, &t);
	uint64_t t_parse = time_usec();
	if (msg) {
		*error = msg;
		return -EBADMSG;
	}

	struct model *new;
	msg = model_build(t, state->model, &new);
	topology_destroy(t);
	if (msg) {
		*error = msg;
		return -EINVAL;
	}
	uint64_t t_build = time_usec();

	model_diff(state->model, new, plan);
	uint64_t t_diff = time_usec();
	if (dry_run || !plan->n) {
		/* Nothing to write. Even when nothing changed, the new model is
		 * not swapped in: it equals the live one object by object. */
		model_destroy(new);
		if (revision)
			*revision = state->revision;
		return 0;
	}

	struct store_txn *txn = store_txn_begin(state->store);
	for (size_t i = 0; i < plan->n; i++) {
		const struct model_change *c = &plan->changes[i];
		if (c->op == MODEL_DELETE)
			store_txn_delete(txn, c->key);
		else
			store_txn_put(txn, c->key, c->json, strlen(c->json));
	}
	int rc = commit(state, txn);
	if (rc) {
		model_destroy(new);
		model_diff_destroy(plan);
		memset(plan, 0, sizeof *plan);
		*error = store_error(rc);
		return -EIO;
	}

	uint64_t t_commit = time_usec();
	model_destroy(state->model);
	state->model = new;
	if (revision)
		*revision = state->revision;
	LOG_INFO("apply %s: %zu changes at revision %" PRIu64
		 " (parse %.1f ms, validate %.1f ms, diff %.1f ms, commit %.1f ms, swap %.1f ms)",
		 source, plan->n, state->revision, (t_parse - t0) / 1e3,
		 (t_build - t_parse) / 1e3, (t_diff - t_build) / 1e3, (t_commit - t_diff) / 1e3,
		 (time_usec() - t_commit) / 1e3);
	changed(state);
	return 0;
}

/* Writes (or, if 'deleted', deletes) the key of 'obj'. */
static int write_object(struct ctl_state *state, const struct model_object *obj, bool deleted)
{
	char *key = model_object_key(obj);
	struct store_txn *txn = store_txn_begin(state->store);
	if (deleted)
		store_txn_delete(txn, key);
	else
		store_txn_put(txn, key, obj->json, strlen(obj->json));
	free(key);
	return commit(state, txn);
}

/* Puts 'obj' (ours; taken in every case) into the live model and the
 * store. 'must_exist': update (-ENOENT if absent), else create (-EEXIST if
 * present). */
static int put_object(struct ctl_state *state, struct model_object *obj, bool must_exist,
		      const struct model_object **result, char **error)
{
	const char *kind_name = model_kind_name(obj->kind);
	struct model_object *old = model_find(state->model, obj->kind, obj->id);
	if (must_exist && !old) {
		*error = xasprintf("%s %s: not found", kind_name, obj->id);
		model_object_destroy(obj);
		return -ENOENT;
	}
	if (!must_exist && old) {
		*error = xasprintf("%s %s: already exists", kind_name, obj->id);
		model_object_destroy(obj);
		return -EEXIST;
	}

	struct model_object *replaced;
	char *msg = model_put(state->model, obj, &replaced);
	if (msg) {
		*error = msg;
		model_object_destroy(obj);
		return -EINVAL;
	}

	/* An update that changes nothing is not written (the revision stays). */
	if (replaced && !model_object_is_builtin(replaced) && replaced->json && obj->json &&
	    !strcmp(replaced->json, obj->json)) {
		model_object_destroy(replaced);
		if (result)
			*result = obj;
		return 0;
	}

	int rc = write_object(state, obj, false);
	if (rc) {
		/* Undo: the model goes back to what the store still holds. */
		struct model_object *back;
		if (replaced) {
			msg = model_put(state->model, replaced, &back);
		} else {
			char *id = xstrdup(obj->id);
			msg = model_remove(state->model, obj->kind, id, &back);
			free(id);
		}
		if (msg)
			onm_abort("cannot undo a failed write to the model: %s", msg);
		model_object_destroy(back);
		*error = store_error(rc);
		return -EIO;
	}
	model_object_destroy(replaced);
	if (result)
		*result = obj;
	changed(state);
	return 0;
}

int ctl_state_create(struct ctl_state *state, enum model_kind kind, const char *body, size_t len,
		     const struct model_object **created, char **error)
{
	*error = NULL;
	if (created)
		*created = NULL;

	struct model_object *obj;
	char *msg = codec_object_parse_json(kind, body, len, "request body", &obj);
	if (msg) {
		*error = msg;
		return -EBADMSG;
	}
	return put_object(state, obj, false, created, error);
}

int ctl_state_update(struct ctl_state *state, enum model_kind kind, const char *id,
		     const char *body, size_t len, const struct model_object **updated,
		     char **error)
{
	*error = NULL;
	if (updated)
		*updated = NULL;

	struct model_object *obj;
	char *msg = codec_object_parse_json(kind, body, len, "request body", &obj);
	if (msg) {
		*error = msg;
		return -EBADMSG;
	}

	char *want = ctl_state_id_normalize(kind, id);
	if (strcmp(obj->id, want)) {
		*error = xasprintf("the body describes %s %s, the path names %s",
				   model_kind_name(kind), obj->id, want);
		free(want);
		model_object_destroy(obj);
		return -EBADMSG;
	}
	free(want);
	return put_object(state, obj, true, updated, error);
}

int ctl_state_delete(struct ctl_state *state, enum model_kind kind, const char *id_, char **error)
{
	*error = NULL;

	char *id = ctl_state_id_normalize(kind, id_);
	const char *kind_name = model_kind_name(kind);
	struct model_object *obj = model_find(state->model, kind, id);
	int rc;
	if (!obj) {
		*error = xasprintf("%s %s: not found", kind_name, id);
		rc = -ENOENT;
		goto out;
	}
	if (model_object_is_builtin(obj)) {
		*error = xasprintf("%s %s: built in, cannot be deleted", kind_name, id);
		rc = -EINVAL;
		goto out;
	}

	struct model_object *removed;
	char *msg = model_remove(state->model, kind, id, &removed);
	if (msg) {
		/* Per model.h the only refusals left are references. */
		*error = msg;
		rc = str_has_prefix(msg, "not found") ? -ENOENT : -EBUSY;
		goto out;
	}

	rc = write_object(state, removed, true);
	if (rc) {
		struct model_object *back;
		msg = model_put(state->model, removed, &back);
		if (msg)
			onm_abort("cannot undo a failed delete in the model: %s", msg);
		model_object_destroy(back);
		*error = store_error(rc);
		rc = -EIO;
		goto out;
	}
	model_object_destroy(removed);
	changed(state);
	rc = 0;

out:
	free(id);
	return rc;
}

/* Finds router 'router_id' and parses its canonical JSON into a jansson
 * object (new reference) for editing. */
static int router_json(struct ctl_state *state, const char *router_id, const struct router **rp,
		       json_t **rootp, char **error)
{
	struct model_object *obj = model_find(state->model, MODEL_ROUTER, router_id);
	if (!obj) {
		*error = xasprintf("router %s: not found", router_id);
		return -ENOENT;
	}
	*rp = CONTAINER_OF(obj, struct router, hdr);

	char *text = obj->json ? NULL : codec_object_to_string(obj);
	json_error_t jerr;
	json_t *root = json_loads(obj->json ? obj->json : text, 0, &jerr);
	free(text);
	if (!json_is_object(root) || !json_is_array(json_object_get(root, "routes"))) {
		/* The model's own canonical JSON always parses. */
		onm_abort("router %s: canonical JSON does not parse: %s", router_id, jerr.text);
	}
	*rootp = root;
	return 0;
}

/* Replaces router 'router_id' with the object described by 'root' (taken). */
static int router_replace(struct ctl_state *state, json_t *root, char **error)
{
	char *text = json_dumps(root, JSON_COMPACT);
	json_decref(root);

	struct model_object *obj;
	char *msg = codec_object_parse_json(MODEL_ROUTER, text, strlen(text), "route", &obj);
	free(text);
	if (msg) {
		*error = msg;
		return -EBADMSG;
	}
	return put_object(state, obj, true, NULL, error);
}

int ctl_state_route_add(struct ctl_state *state, const char *router_id, const char *prefix_s,
			const char *via_s, char **error)
{
	*error = NULL;

	struct ipv4_prefix prefix;
	uint32_t via;
	if (!ipv4_prefix_parse(prefix_s, &prefix)) {
		*error =
		    xasprintf("prefix: '%s' is not an IPv4 prefix such as 10.9.0.0/16", prefix_s);
		return -EBADMSG;
	}
	if (!ipv4_parse(via_s, &via)) {
		*error = xasprintf("via: '%s' is not an IPv4 address such as 10.1.2.20", via_s);
		return -EBADMSG;
	}

	const struct router *r;
	json_t *root;
	int rc = router_json(state, router_id, &r, &root, error);
	if (rc)
		return rc;

	char pbuf[IPV4_PREFIX_STRLEN], vbuf[IPV4_ADDR_STRLEN];
	ipv4_prefix_format(&prefix, pbuf);
	ipv4_format(via, vbuf);
	for (size_t i = 0; i < r->n_routes; i++) {
		if (r->routes[i].prefix.addr == prefix.addr &&
		    r->routes[i].prefix.len == prefix.len) {
			*error =
			    xasprintf("router %s: a route to %s already exists", router_id, pbuf);
			json_decref(root);
			return -EEXIST;
		}
	}

	json_array_append_new(json_object_get(root, "routes"),
			      json_pack("{s:s, s:s}", "prefix", pbuf, "via", vbuf));
	return router_replace(state, root, error);
}

int ctl_state_route_delete(struct ctl_state *state, const char *router_id, const char *prefix_s,
			   char **error)
{
	*error = NULL;

	struct ipv4_prefix prefix;
	if (!ipv4_prefix_parse(prefix_s, &prefix)) {
		*error =
		    xasprintf("prefix: '%s' is not an IPv4 prefix such as 10.9.0.0/16", prefix_s);
		return -EBADMSG;
	}

	const struct router *r;
	json_t *root;
	int rc = router_json(state, router_id, &r, &root, error);
	if (rc)
		return rc;

	/* The canonical JSON lists the routes in the order of r->routes. */
	json_t *routes = json_object_get(root, "routes");
	for (size_t i = 0; i < r->n_routes; i++) {
		if (r->routes[i].prefix.addr == prefix.addr &&
		    r->routes[i].prefix.len == prefix.len) {
			json_array_remove(routes, i);
			return router_replace(state, root, error);
		}
	}

	char pbuf[IPV4_PREFIX_STRLEN];
	ipv4_prefix_format(&prefix, pbuf);
	*error = xasprintf("router %s: no route to %s", router_id, pbuf);
	json_decref(root);
	return -ENOENT;
}
