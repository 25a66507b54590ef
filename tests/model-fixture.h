/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Models for controller unit tests: build one from a topology file's text,
 * put one object given as JSON (the REST form). Failures fail the test.
 * Include after cmocka.h.
 */
#ifndef ONM_TESTS_MODEL_FIXTURE_H
#define ONM_TESTS_MODEL_FIXTURE_H

#include "onm/codec.h"
#include "onm/model.h"

#include <string.h>

static inline struct model *build(const char *yaml)
{
	struct topology *t = NULL;
	struct model *m = NULL;
	char *error = codec_topology_parse(yaml, strlen(yaml), "test.yaml", false, &t);

	if (error)
		fail_msg("parse: %s", error);
	error = model_build(t, NULL, &m);
	topology_destroy(t);
	if (error)
		fail_msg("build: %s", error);
	return m;
}

static inline void put(struct model *m, enum model_kind kind, const char *json)
{
	struct model_object *obj, *replaced;
	char *error = codec_object_parse_json(kind, json, strlen(json), "test", &obj);

	if (error)
		fail_msg("parse: %s", error);
	error = model_put(m, obj, &replaced);
	if (error)
		fail_msg("put: %s", error);
	model_object_destroy(replaced);
}

#endif /* ONM_TESTS_MODEL_FIXTURE_H */
