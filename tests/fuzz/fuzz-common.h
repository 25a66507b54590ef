/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checks shared by the codec fuzz targets: every object the codec accepts
 * must survive a round trip through its canonical text unchanged, and every
 * message it refuses input with must be one line of printable ASCII (it
 * ends up on terminals, in logs and in JSON error bodies). A failed check
 * aborts, which libFuzzer reports as a crash with the input that caused it.
 */
#ifndef ONM_FUZZ_COMMON_H
#define ONM_FUZZ_COMMON_H

#include "onm/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void fuzz_check_message(const char *msg)
{
	for (const char *p = msg; *p; p++) {
		if (*p < 0x20 || *p > 0x7e) {
			fprintf(stderr, "message with byte 0x%02x: %s\n", (unsigned char)*p, msg);
			abort();
		}
	}
}

static inline void fuzz_check_round_trip(const struct model_object *obj)
{
	char *s = codec_object_to_string(obj), *s2, *err;
	struct model_object *back;
	json_t *api;

	err = codec_object_parse_json(obj->kind, s, strlen(s), "round trip", &back);
	if (err) {
		fprintf(stderr, "canonical text of %s %s does not parse: %s\n%s\n",
			model_kind_name(obj->kind), obj->id, err, s);
		abort();
	}
	s2 = codec_object_to_string(back);
	if (strcmp(s, s2) || strcmp(obj->id, back->id) || obj->kind != back->kind) {
		fprintf(stderr, "round trip changed %s %s:\n%s\n%s\n", model_kind_name(obj->kind),
			obj->id, s, s2);
		abort();
	}
	api = codec_object_to_json(obj, true);
	json_decref(api);
	/* The canonical writer must agree with jansson's dump of the same value. */
	api = codec_object_to_json(obj, false);
	char *dumped = json_dumps(api, JSON_COMPACT);
	if (!dumped || strcmp(dumped, s)) {
		fprintf(stderr, "writer and jansson disagree:\n%s\n%s\n", s, dumped);
		abort();
	}
	free(dumped);
	json_decref(api);
	free(s2);
	free(s);
	model_object_destroy(back);
}

#endif /* ONM_FUZZ_COMMON_H */
