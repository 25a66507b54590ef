// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the topology loader: arbitrary bytes as a YAML
 * topology file (codec_topology_parse). Accepted files must give objects
 * whose canonical text parses back to the same text; refused ones a clean
 * one-line message. Seeds: tests/fuzz/corpus/topology/.
 */
#include "fuzz-common.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct topology *t;
	char *err = codec_topology_parse((const char *)data, size, "fuzz.yaml", false, &t);

	if (err) {
		fuzz_check_message(err);
		free(err);
		return 0;
	}
	for (size_t i = 0; i < t->n_objects; i++)
		fuzz_check_round_trip(t->objects[i]);
	topology_destroy(t);
	return 0;
}
