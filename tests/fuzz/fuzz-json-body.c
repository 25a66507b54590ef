// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for REST bodies: the first byte picks the kind of
 * object, the rest is its flat JSON form (codec_object_parse_json).
 * Accepted bodies must round-trip through their canonical text; refused
 * ones give a clean one-line message. Seeds: tests/fuzz/corpus/json-body/.
 */
#include "fuzz-common.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model_object *obj;
	enum model_kind kind;
	char *err;

	if (size < 1)
		return 0;
	kind = (enum model_kind)(data[0] % MODEL_N_KINDS);
	err = codec_object_parse_json(kind, (const char *)data + 1, size - 1, "request body", &obj);
	if (err) {
		fuzz_check_message(err);
		free(err);
		return 0;
	}
	fuzz_check_round_trip(obj);
	model_object_destroy(obj);
	return 0;
}
