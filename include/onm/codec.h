/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The model's text forms, both directions.
 *
 * Input: a parsed document (doc.h) becomes model objects. Two shapes:
 *  - the topology file of spec.md (nested: tenants hold networks, networks
 *    hold routers and instances), for 'onm apply' and 'onm lab up';
 *  - one object in its flat form (REST bodies and stored objects), where a
 *    network names its "tenant" and a router/instance its "tenant" and
 *    "network".
 * Unknown keys, missing required keys, wrong types and bad values are
 * errors of the form "SOURCE:LINE:COLUMN: KEY.PATH: message" (the position
 * is left out when the document has none, as with JSON), quoting the bad
 * value. Checks that need only the object itself (name syntax, units,
 * address syntax, enum values) happen here; checks across objects are the
 * model's (model.h).
 *
 * Output: canonical JSON of one object in the flat form, with keys in a
 * fixed order and units in their canonical text ("1ms", "1gbit"), so that
 * parsing the output gives an equal object and equal objects give
 * byte-equal text (model_diff compares these strings).
 */
#ifndef ONM_CODEC_H
#define ONM_CODEC_H

#include "onm/doc.h"
#include "onm/model.h"
#include "onm/util.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* True if 's' is a valid name: [a-z0-9][a-z0-9-]*, at most 63 bytes. */
bool codec_name_is_valid(const char *s);

/* The whole topology file. On success returns NULL and sets '*out'. */
char *codec_topology_from_doc(const struct doc_node *root, const char *source,
			      struct topology **out) WARN_UNUSED_RESULT;
/* Parses 'buf' as YAML (which also reads most JSON) or, if 'json', as JSON,
 * then as a topology. */
char *codec_topology_parse(const char *buf, size_t len, const char *source, bool json,
			   struct topology **out) WARN_UNUSED_RESULT;

/* One object of 'kind' in flat form. */
char *codec_object_from_doc(enum model_kind kind, const struct doc_node *, const char *source,
			    struct model_object **out) WARN_UNUSED_RESULT;
/* Parses 'buf' as JSON, then as one object of 'kind'. */
char *codec_object_parse_json(enum model_kind kind, const char *buf, size_t len, const char *source,
			      struct model_object **out) WARN_UNUSED_RESULT;

/* Flat form as a JSON value (new reference). 'for_api' leaves out secrets
 * (password hashes; a user then shows "password": "set" or nothing). */
json_t *codec_object_to_json(const struct model_object *, bool for_api);
/* Canonical compact JSON text of the store form. Caller frees. */
char *codec_object_to_string(const struct model_object *);

const char *codec_role_name(enum user_role);
const char *codec_sl_metric_name(enum sl_metric);
const char *codec_sg_proto_name(enum sg_proto);
/* An access list's words: "ip" (SG_PROTO_ANY), "tcp", "udp", "icmp". */
const char *codec_acl_proto_name(enum sg_proto);
/* "permit", "deny". */
const char *codec_acl_action_name(enum acl_action);
/* "ios", "junos". */
const char *codec_user_style_name(enum user_style);

#endif /* ONM_CODEC_H */
