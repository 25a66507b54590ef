// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the agent channel's decoder (lib/channel.c). The
 * input is a byte stream as a peer might send it; the first byte picks the
 * size of the pieces it arrives in. Checks: the stream decodes to the same
 * messages (and the same error) whether fed whole or in pieces; every
 * message decoded is valid, and encoding it again gives a frame that
 * decodes to an equal message; every reason is one line of printable
 * ASCII. Seeds: tests/fuzz/corpus/channel/.
 */
#include "onm/channel.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MESSAGES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
	json_t *msgs[MAX_MESSAGES];
	size_t n;
	char *error;
};

static void check_reason(const char *reason)
{
	for (const char *p = reason; *p; p++) {
		if (*p < 0x20 || *p > 0x7e) {
			fprintf(stderr, "reason with byte 0x%02x: %s\n", (unsigned char)*p, reason);
			abort();
		}
	}
}

/* Takes every message the decoder has; stops at an error. */
static void drain(struct channel_decoder *d, struct outcome *o)
{
	while (!o->error && o->n < MAX_MESSAGES) {
		json_t *m;

		o->error = channel_decoder_next(d, &m);
		if (!m)
			break;
		o->msgs[o->n++] = m;
	}
}

static void decode(const uint8_t *data, size_t size, size_t piece, struct outcome *o)
{
	struct channel_decoder d;

	memset(o, 0, sizeof *o);
	channel_decoder_init(&d);
	for (size_t at = 0; at < size && !o->error && o->n < MAX_MESSAGES; at += piece) {
		size_t n = size - at < piece ? size - at : piece;

		channel_decoder_feed(&d, data + at, n);
		drain(&d, o);
	}
	channel_decoder_uninit(&d);
}

static void outcome_free(struct outcome *o)
{
	for (size_t i = 0; i < o->n; i++)
		json_decref(o->msgs[i]);
	free(o->error);
}

static void check_round_trip(const json_t *m)
{
	struct ds frame = DS_EMPTY_INITIALIZER;
	struct channel_decoder d;
	char *reason = channel_msg_check(m);
	json_t *back;

	if (reason) {
		fprintf(stderr, "decoded an invalid message: %s\n", reason);
		abort();
	}
	switch (channel_encode(m, &frame)) {
	case 0:
		break;
	case -EMSGSIZE:
		/* Possible: reals print longer than they may be written
		 * ("1e300"). */
		ds_destroy(&frame);
		return;
	default:
		abort();
	}
	channel_decoder_init(&d);
	channel_decoder_feed(&d, frame.string, frame.length);
	reason = channel_decoder_next(&d, &back);
	if (reason || !back || !json_equal(back, m)) {
		fprintf(stderr, "re-encoded message does not decode back: %s\n",
			reason ? reason : "different");
		abort();
	}
	json_decref(back);
	channel_decoder_uninit(&d);
	ds_destroy(&frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, pieces;
	size_t piece;

	if (size < 1)
		return 0;
	piece = (size_t)(data[0] % 32) + 1;
	data++;
	size--;

	decode(data, size, size ? size : 1, &whole);
	decode(data, size, piece, &pieces);

	if (whole.n != pieces.n || !whole.error != !pieces.error ||
	    (whole.error && strcmp(whole.error, pieces.error))) {
		fprintf(stderr, "whole: %zu messages, %s; in pieces of %zu: %zu messages, %s\n",
			whole.n, whole.error ? whole.error : "no error", piece, pieces.n,
			pieces.error ? pieces.error : "no error");
		abort();
	}
	for (size_t i = 0; i < whole.n; i++) {
		if (!json_equal(whole.msgs[i], pieces.msgs[i]))
			abort();
		check_round_trip(whole.msgs[i]);
	}
	if (whole.error)
		check_reason(whole.error);
	outcome_free(&whole);
	outcome_free(&pieces);
	return 0;
}
