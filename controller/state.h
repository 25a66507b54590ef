/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's state: the in-memory model and the store behind it, kept
 * equal. Every change follows design.md: validate against the model, write
 * to the store in one transaction, and only when the commit succeeded
 * replace the model (so a failed commit leaves both unchanged, and a crash
 * after the commit loses nothing that was acknowledged).
 *
 * At open, the model is rebuilt from the store's "/onm/" keys; a store
 * whose content does not validate is refused with the reason.
 *
 * Errors: functions return 0 or a negative errno that tells the kind of
 * failure — -EBADMSG (malformed input: parse error, unknown key, bad value;
 * HTTP 400), -EINVAL (refused by validation across objects; HTTP 422),
 * -ENOENT (no such
 * object), -EEXIST (already exists), -EBUSY (still referenced), -EIO (the
 * store failed) — and set '*error' to an allocated one-line message.
 *
 * Thread-safety: none; the controller's event-loop thread owns it.
 */
#ifndef ONM_CONTROLLER_STATE_H
#define ONM_CONTROLLER_STATE_H

#include "onm/model.h"
#include "onm/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctl_state;
struct store;

int ctl_state_open(const char *store_url, struct ctl_state **, char **error) WARN_UNUSED_RESULT;
void ctl_state_close(struct ctl_state *);

const struct model *ctl_state_model(const struct ctl_state *);
struct store *ctl_state_store(struct ctl_state *);
/* The store revision of the model's last change (or of the store when it
 * was loaded): what X-Onm-Revision says and agents' views carry. Writes to
 * keys outside the model's do not change it. */
uint64_t ctl_state_revision(const struct ctl_state *);

/* Called after every store commit the state makes, with its duration and
 * whether it succeeded (for metrics). */
typedef void ctl_state_commit_cb(uint64_t latency_us, bool ok, void *aux);
void ctl_state_set_commit_cb(struct ctl_state *, ctl_state_commit_cb *, void *aux);

/* Called after every change of the model that was committed (an apply
 * that changed something, a create, update or delete, a route added or
 * removed), once the model is in its new state, with the store revision
 * that holds it (for derived state: the agents' views). */
typedef void ctl_state_change_cb(uint64_t revision, void *aux);
void ctl_state_set_change_cb(struct ctl_state *, ctl_state_change_cb *, void *aux);

/* The canonical form of an id as given in a request: a link's endpoints
 * may come in either order ("h2/h1" -> "h1/h2"). Caller frees. */
char *ctl_state_id_normalize(enum model_kind, const char *id);

/* Applies a whole topology ('json': body is JSON, else YAML; 'source' names
 * it in messages). Fills 'plan' (caller destroys with model_diff_destroy)
 * and, unless 'dry_run', commits it and sets '*revision'. */
int ctl_state_apply(struct ctl_state *, const char *body, size_t len, const char *source, bool json,
		    bool dry_run, struct model_diff *plan, uint64_t *revision,
		    char **error) WARN_UNUSED_RESULT;

/* Creates one object from its flat JSON form; -EEXIST if its id exists. On
 * success '*created' (if not NULL) points into the model. */
int ctl_state_create(struct ctl_state *, enum model_kind, const char *body, size_t len,
		     const struct model_object **created, char **error) WARN_UNUSED_RESULT;
/* Replaces object 'id' (which must exist) with the body's object, whose id
 * must be 'id'. */
int ctl_state_update(struct ctl_state *, enum model_kind, const char *id, const char *body,
		     size_t len, const struct model_object **updated,
		     char **error) WARN_UNUSED_RESULT;
int ctl_state_delete(struct ctl_state *, enum model_kind, const char *id,
		     char **error) WARN_UNUSED_RESULT;

/* Static routes of router 'router_id' ("tenant/network/router"). */
int ctl_state_route_add(struct ctl_state *, const char *router_id, const char *prefix,
			const char *via, char **error) WARN_UNUSED_RESULT;
int ctl_state_route_delete(struct ctl_state *, const char *router_id, const char *prefix,
			   char **error) WARN_UNUSED_RESULT;

#endif /* ONM_CONTROLLER_STATE_H */
