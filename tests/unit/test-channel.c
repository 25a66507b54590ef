// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the agent channel's framing (lib/channel.c): the exact
 * bytes of a frame, every message type of docs/dataplane.md accepted,
 * every kind of bad frame refused with its reason (length 0, over 16 MiB,
 * bad JSON, not an object, unknown type, missing or mistyped keys), errors
 * sticky, frames split at every byte and at random points decoding to the
 * same messages, and an oversized message refused by the encoder.
 */
/* cmocka.h needs these before it. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "onm/channel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One valid message of each type. */
static const char *const valid[] = {
    "{\"type\":\"hello\",\"host\":\"h1\",\"version\":1,\"pid\":4242,\"revision\":0}",
    "{\"type\":\"ack\",\"revision\":17}",
    "{\"type\":\"report\",\"counters\":{\"ports\":{},\"networks\":{},\"router_interfaces\":{},"
    "\"drops\":{\"parse\":3}},\"health\":{\"uptime_s\":5,\"ports_up\":2,\"revision\":17}}",
    "{\"type\":\"view\",\"revision\":17,\"entries\":{\"self\":{\"name\":\"h1\",\"id\":1,"
    "\"address\":\"198.19.0.1\"}}}",
    "{\"type\":\"delta\",\"revision\":18,\"put\":{},\"delete\":[\"fwd/gold/h2\"]}",
    "{\"type\":\"error\",\"detail\":\"unknown host 'h9'\"}",
    "{\"type\":\"request\",\"id\":3,\"op\":\"ping\",\"router\":\"acme/blue/r1\","
    "\"src\":\"10.1.2.1\",\"dst\":\"10.1.2.10\",\"count\":5}",
    "{\"type\":\"response\",\"id\":3,\"ok\":true,\"results\":[{\"seq\":0,\"rtt_us\":null}]}",
    "{\"type\":\"response\",\"id\":4,\"ok\":false,\"error\":\"no such router\"}",
    /* More keys are allowed (later versions). */
    "{\"type\":\"ack\",\"revision\":0,\"extra\":[1,2]}",
};

static json_t *parse(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	assert_non_null(j);
	return j;
}

/* Appends a frame with 'body' (length as given, which may lie). */
static void put_frame(struct ds *out, uint32_t len, const char *body, size_t body_len)
{
	unsigned char h[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16),
			      (unsigned char)(len >> 8), (unsigned char)len};

	ds_put_buffer(out, (const char *)h, 4);
	ds_put_buffer(out, body, body_len);
}

static void test_frame_bytes(void **state)
{
	json_t *msg = json_pack("{s:s, s:i}", "type", "ack", "revision", 7);
	const char *body = "{\"type\":\"ack\",\"revision\":7}";
	struct ds out = DS_EMPTY_INITIALIZER;

	(void)state;
	ds_put_cstr(&out, "x"); /* appends after what is there */
	assert_int_equal(channel_encode(msg, &out), 0);
	assert_int_equal(out.length, 1 + 4 + strlen(body));
	assert_memory_equal(out.string, "x\0\0\0\x1b", 5);
	assert_int_equal(strlen(body), 0x1b);
	assert_memory_equal(out.string + 5, body, strlen(body));
	json_decref(msg);
	ds_destroy(&out);
}

static void test_valid_messages(void **state)
{
	struct channel_decoder d;
	struct ds stream = DS_EMPTY_INITIALIZER;
	static const enum channel_msg_type types[] = {
	    CHANNEL_HELLO,   CHANNEL_ACK,      CHANNEL_REPORT,   CHANNEL_VIEW, CHANNEL_DELTA,
	    CHANNEL_ERROR,   CHANNEL_REQUEST,  CHANNEL_RESPONSE, CHANNEL_RESPONSE,
	    CHANNEL_ACK};

	(void)state;
	assert_int_equal(ARRAY_SIZE(types), ARRAY_SIZE(valid));
	for (size_t i = 0; i < ARRAY_SIZE(valid); i++) {
		json_t *m = parse(valid[i]);
		char *reason = channel_msg_check(m);

		if (reason)
			fail_msg("%s refused: %s", valid[i], reason);
		assert_int_equal(channel_encode(m, &stream), 0);
		json_decref(m);
	}

	/* All in one feed: all come out, in order, equal to what went in. */
	channel_decoder_init(&d);
	channel_decoder_feed(&d, stream.string, stream.length);
	for (size_t i = 0; i < ARRAY_SIZE(valid); i++) {
		json_t *m, *want = parse(valid[i]);
		enum channel_msg_type type;

		assert_null(channel_decoder_next(&d, &m));
		assert_non_null(m);
		assert_true(json_equal(m, want));
		assert_true(channel_msg_type(m, &type));
		assert_int_equal(type, types[i]);
		json_decref(m);
		json_decref(want);
	}
	{
		json_t *m = (json_t *)1;

		assert_null(channel_decoder_next(&d, &m));
		assert_null(m);
	}
	assert_int_equal(channel_decoder_pending(&d), 0);
	channel_decoder_uninit(&d);
	ds_destroy(&stream);

	assert_string_equal(channel_msg_type_name(CHANNEL_DELTA), "delta");
	assert_string_equal(channel_msg_type_name(CHANNEL_REQUEST), "request");
	assert_string_equal(channel_msg_type_name(CHANNEL_RESPONSE), "response");
	assert_string_equal(channel_msg_type_name(CHANNEL_N_TYPES), "?");
}

/* Feeds 'stream' in pieces of the sizes 'next_piece' gives and checks that
 * exactly the messages of 'valid' come out. */
static void feed_in_pieces(const struct ds *stream, size_t (*next_piece)(size_t *seed), size_t seed)
{
	struct channel_decoder *d = channel_decoder_create();
	size_t at = 0, got = 0;

	while (at < stream->length) {
		size_t n = next_piece(&seed);
		json_t *m;

		if (n > stream->length - at)
			n = stream->length - at;
		channel_decoder_feed(d, stream->string + at, n);
		at += n;
		for (;;) {
			char *reason = channel_decoder_next(d, &m);

			if (reason)
				fail_msg("error at byte %zu: %s", at, reason);
			if (!m)
				break;
			assert_true(got < ARRAY_SIZE(valid) * 3);
			{
				json_t *want = parse(valid[got % ARRAY_SIZE(valid)]);
				assert_true(json_equal(m, want));
				json_decref(want);
			}
			json_decref(m);
			got++;
		}
		/* Never more than one frame plus what came after it is held. */
		assert_true(channel_decoder_pending(d) <= stream->length);
	}
	assert_int_equal(got, ARRAY_SIZE(valid) * 3);
	assert_int_equal(channel_decoder_pending(d), 0);
	channel_decoder_destroy(d);
}

static size_t one_byte(size_t *seed)
{
	(void)seed;
	return 1;
}

/* Deterministic pseudo-random piece sizes 1..64. */
static size_t random_piece(size_t *seed)
{
	*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
	return 1 + (*seed >> 33) % 64;
}

static void test_split_frames(void **state)
{
	struct ds stream = DS_EMPTY_INITIALIZER;

	(void)state;
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < ARRAY_SIZE(valid); i++) {
			json_t *m = parse(valid[i]);

			assert_int_equal(channel_encode(m, &stream), 0);
			json_decref(m);
		}
	}
	feed_in_pieces(&stream, one_byte, 0);
	for (size_t seed = 1; seed <= 20; seed++)
		feed_in_pieces(&stream, random_piece, seed);
	ds_destroy(&stream);
	channel_decoder_destroy(NULL);
}

struct bad_case {
	uint32_t len;	    /* length prefix; 0: the body's length */
	const char *body;   /* body bytes */
	size_t body_len;    /* 0: strlen(body) */
	const char *reason; /* expected message */
};

static const struct bad_case bad_cases[] = {
    {0, "", 0, "bad frame length 0"},
    {0x01000001, "", 0, "frame length 16777217 is over the limit of 16777216 bytes"},
    {0xffffffff, "", 0, "frame length 4294967295 is over the limit of 16777216 bytes"},
    {0, "{\"a\":", 0, "bad JSON at byte 5: unexpected token near end of file"},
    {0, "[]", 0, "a message must be a JSON object"},
    {0, "\"x\"", 0, NULL}, /* bad JSON: jansson wants an array or object */
    {0, "{}", 0, "missing key \"type\""},
    {0, "{\"type\":1}", 0, "\"type\" must be a string"},
    {0, "{\"type\":\"hellp\"}", 0, "unknown message type \"hellp\""},
    {0, "{\"type\":\"\\u0007bad\\u00e9\"}", 0, "unknown message type \"?bad??\""},
    {0, "{\"type\":\"hello\",\"host\":\"h1\",\"version\":1,\"pid\":1}", 0,
     "hello: missing key \"revision\""},
    {0, "{\"type\":\"hello\",\"host\":1,\"version\":1,\"pid\":1,\"revision\":0}", 0,
     "hello: \"host\" must be a string"},
    {0, "{\"type\":\"ack\",\"revision\":-1}", 0,
     "ack: \"revision\" must be a non-negative integer"},
    {0, "{\"type\":\"ack\",\"revision\":1.5}", 0,
     "ack: \"revision\" must be a non-negative integer"},
    {0, "{\"type\":\"delta\",\"revision\":1,\"put\":[],\"delete\":[]}", 0,
     "delta: \"put\" must be an object"},
    {0, "{\"type\":\"delta\",\"revision\":1,\"put\":{},\"delete\":{}}", 0,
     "delta: \"delete\" must be an array"},
    {0, "{\"type\":\"report\",\"counters\":{}}", 0, "report: missing key \"health\""},
    {0, "{\"type\":\"view\",\"revision\":1,\"entries\":null}", 0,
     "view: \"entries\" must be an object"},
    {0, "{\"type\":\"error\"}", 0, "error: missing key \"detail\""},
    {0, "{\"type\":\"request\",\"op\":\"ping\"}", 0, "request: missing key \"id\""},
    {0, "{\"type\":\"request\",\"id\":1}", 0, "request: missing key \"op\""},
    {0, "{\"type\":\"request\",\"id\":-1,\"op\":\"ping\"}", 0,
     "request: \"id\" must be a non-negative integer"},
    {0, "{\"type\":\"request\",\"id\":1,\"op\":[]}", 0, "request: \"op\" must be a string"},
    {0, "{\"type\":\"response\",\"id\":1}", 0, "response: missing key \"ok\""},
    {0, "{\"type\":\"response\",\"id\":1,\"ok\":1}", 0,
     "response: \"ok\" must be true or false"},
    {0, "{\"type\":\"response\",\"id\":\"1\",\"ok\":true}", 0,
     "response: \"id\" must be a non-negative integer"},
    {0, "{\"type\":\"ack\",\"type\":\"ack\",\"revision\":1}", 0, NULL}, /* duplicate key */
    {0, "{\"type\":\"ack\",\"revision\":1}garbage", 0, NULL},		/* trailing bytes */
    {0, "{\"type\":\"error\",\"detail\":\"a\\u0000b\"}", 0, NULL},	/* NUL in a string */
    {4, "{\"a\0", 4, NULL},						/* NUL byte */
    {0, "{\"type\":\"ack\",\"revision\":1,\"\xff\xfe\":0}", 0, NULL},	/* bad UTF-8 */
};

static void test_bad_frames(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		size_t body_len = c->body_len ? c->body_len : strlen(c->body);
		uint32_t len = c->len ? c->len : (uint32_t)body_len;
		struct channel_decoder d;
		struct ds frame = DS_EMPTY_INITIALIZER;
		json_t *m = (json_t *)1;
		char *reason, *again;

		/* Lengths over the limit are refused with the prefix alone. */
		put_frame(&frame, len, c->body, len > CHANNEL_MAX_MESSAGE_SIZE ? 0 : body_len);
		channel_decoder_init(&d);
		channel_decoder_feed(&d, frame.string, frame.length);
		reason = channel_decoder_next(&d, &m);
		if (!reason)
			fail_msg("case %zu accepted", i);
		assert_null(m);
		if (c->reason && strcmp(reason, c->reason))
			fail_msg("case %zu:\n  expected %s\n  got      %s", i, c->reason, reason);
		for (const char *p = reason; *p; p++)
			assert_true(*p >= 0x20 && *p < 0x7f);

		/* Sticky: good bytes after an error change nothing. */
		channel_decoder_feed(&d, "\0\0\0\x02{}", 6);
		again = channel_decoder_next(&d, &m);
		assert_non_null(again);
		assert_string_equal(again, reason);
		assert_null(m);
		free(again);
		free(reason);
		channel_decoder_uninit(&d);
		ds_destroy(&frame);
	}
}

static void test_limits(void **state)
{
	struct channel_decoder d;
	struct ds frame = DS_EMPTY_INITIALIZER;
	json_t *m = (json_t *)1, *big;
	char *s;
	size_t n = CHANNEL_MAX_MESSAGE_SIZE;

	(void)state;
	/* Exactly 16 MiB is a legal length: the decoder waits for the body. */
	put_frame(&frame, (uint32_t)n, "", 0);
	channel_decoder_init(&d);
	channel_decoder_feed(&d, frame.string, frame.length);
	assert_null(channel_decoder_next(&d, &m));
	assert_null(m);
	assert_int_equal(channel_decoder_pending(&d), 4);
	channel_decoder_uninit(&d);
	ds_destroy(&frame);

	/* A message of exactly 16 MiB goes through; one byte more does not. */
	s = xmalloc(n + 1);
	memset(s, 'a', n);
	s[n - strlen("{\"type\":\"error\",\"detail\":\"\"}")] = '\0';
	big = json_pack("{s:s, s:s}", "type", "error", "detail", s);
	assert_int_equal(channel_encode(big, &frame), 0);
	assert_int_equal(frame.length, 4 + n);
	channel_decoder_init(&d);
	channel_decoder_feed(&d, frame.string, frame.length);
	assert_null(channel_decoder_next(&d, &m));
	assert_non_null(m);
	assert_true(json_equal(m, big));
	json_decref(m);
	channel_decoder_uninit(&d);

	ds_clear(&frame);
	ds_put_cstr(&frame, "kept");
	json_object_set_new(big, "x", json_true());
	assert_int_equal(channel_encode(big, &frame), -EMSGSIZE);
	assert_int_equal(frame.length, 4);
	assert_string_equal(frame.string, "kept");
	json_decref(big);
	free(s);
	ds_destroy(&frame);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame_bytes),	 cmocka_unit_test(test_valid_messages),
	    cmocka_unit_test(test_split_frames), cmocka_unit_test(test_bad_frames),
	    cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
