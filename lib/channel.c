// SPDX-License-Identifier: Apache-2.0
/*
 * The agent channel's framing and message table (see channel.h). The table
 * of message types and their keys is data that one checker walks; the
 * decoder buffers bytes, cuts frames off the front and hands each body to
 * jansson, then to the checker.
 */
#include "onm/channel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What a key's value must be. */
enum key_kind {
	K_STRING,
	K_UINT, /* an integer >= 0 */
	K_OBJECT,
	K_ARRAY,
	K_BOOL,
};

struct msg_key {
	const char *name;
	enum key_kind kind;
};

#define MAX_KEYS 4

static const struct msg_spec {
	const char *name;
	struct msg_key keys[MAX_KEYS];
	size_t n_keys;
} specs[CHANNEL_N_TYPES] = {
    [CHANNEL_HELLO] =
	{"hello",
	 {{"host", K_STRING}, {"version", K_UINT}, {"pid", K_UINT}, {"revision", K_UINT}},
	 4},
    [CHANNEL_ACK] = {"ack", {{"revision", K_UINT}}, 1},
    [CHANNEL_REPORT] = {"report", {{"counters", K_OBJECT}, {"health", K_OBJECT}}, 2},
    [CHANNEL_VIEW] = {"view", {{"revision", K_UINT}, {"entries", K_OBJECT}}, 2},
    [CHANNEL_DELTA] = {"delta", {{"revision", K_UINT}, {"put", K_OBJECT}, {"delete", K_ARRAY}}, 3},
    [CHANNEL_ERROR] = {"error", {{"detail", K_STRING}}, 1},
    [CHANNEL_REQUEST] = {"request", {{"id", K_UINT}, {"op", K_STRING}}, 2},
    [CHANNEL_RESPONSE] = {"response", {{"id", K_UINT}, {"ok", K_BOOL}}, 2},
};

static const char *const kind_names[] = {
    [K_STRING] = "a string",
    [K_UINT] = "a non-negative integer",
    [K_OBJECT] = "an object",
    [K_ARRAY] = "an array",
    [K_BOOL] = "true or false",
};

/* "hello", "ack", ... ("?" for a value outside the enum). */
const char *channel_msg_type_name(enum channel_msg_type type)
{
	return (unsigned int)type < CHANNEL_N_TYPES ? specs[type].name : "?";
}

/* Finds the type named by the "type" member of 'msg'. */
bool channel_msg_type(const json_t *msg, enum channel_msg_type *type)
{
	const char *name = json_string_value(json_object_get(msg, "type"));

	if (!name)
		return false;
	for (size_t t = 0; t < CHANNEL_N_TYPES; t++) {
		if (!strcmp(name, specs[t].name)) {
			*type = (enum channel_msg_type)t;
			return true;
		}
	}
	return false;
}

static bool value_is(const json_t *v, enum key_kind kind)
{
	switch (kind) {
	case K_STRING:
		return json_is_string(v);
	case K_UINT:
		return json_is_integer(v) && json_integer_value(v) >= 0;
	case K_OBJECT:
		return json_is_object(v);
	case K_ARRAY:
		return json_is_array(v);
	case K_BOOL:
		return json_is_boolean(v);
	}
	return false;
}

/* Checks 'msg' against the table (see channel.h). Reasons are printable
 * ASCII: what they quote of the peer's input is filtered. */
char *channel_msg_check(const json_t *msg)
{
	const json_t *type = json_object_get(msg, "type");
	enum channel_msg_type t;

	if (!json_is_object(msg))
		return xstrdup("a message must be a JSON object");
	if (!type)
		return xstrdup("missing key \"type\"");
	if (!json_is_string(type))
		return xstrdup("\"type\" must be a string");
	if (!channel_msg_type(msg, &t)) {
		/* Quote at most a little of what the peer sent, printable only. */
		char quoted[33];
		const char *s = json_string_value(type);
		size_t n = 0;

		for (; s[n] && n < sizeof quoted - 1; n++)
			quoted[n] = s[n] >= 0x20 && s[n] < 0x7f ? s[n] : '?';
		quoted[n] = '\0';
		return xasprintf("unknown message type \"%s%s\"", quoted, s[n] ? "..." : "");
	}
	for (size_t i = 0; i < specs[t].n_keys; i++) {
		const struct msg_key *k = &specs[t].keys[i];
		const json_t *v = json_object_get(msg, k->name);

		if (!v)
			return xasprintf("%s: missing key \"%s\"", specs[t].name, k->name);
		if (!value_is(v, k->kind))
			return xasprintf("%s: \"%s\" must be %s", specs[t].name, k->name,
					 kind_names[k->kind]);
	}
	return NULL;
}

/* Appends the frame of 'msg' to 'out' (see channel.h). */
int channel_encode(const json_t *msg, struct ds *out)
{
	size_t len = json_dumpb(msg, NULL, 0, JSON_COMPACT);
	size_t old = out->length;
	unsigned char header[CHANNEL_HEADER_SIZE];

	if (!len)
		return -EINVAL;
	if (len > CHANNEL_MAX_MESSAGE_SIZE)
		return -EMSGSIZE;
	header[0] = (unsigned char)(len >> 24);
	header[1] = (unsigned char)(len >> 16);
	header[2] = (unsigned char)(len >> 8);
	header[3] = (unsigned char)len;
	ds_reserve(out, old + sizeof header + len);
	ds_put_buffer(out, (const char *)header, sizeof header);
	/* ds_reserve() left room for 'len' bytes and the NUL. */
	if (json_dumpb(msg, out->string + out->length, len, JSON_COMPACT) != len) {
		out->length = old;
		out->string[old] = '\0';
		return -EINVAL;
	}
	out->length += len;
	out->string[out->length] = '\0';
	return 0;
}

/* Parses and checks one frame body (see channel.h). */
char *channel_msg_parse(const char *body, size_t len, json_t **msgp)
{
	json_error_t jerr;
	json_t *msg;
	char *reason;

	*msgp = NULL;
	msg = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!msg) {
		/* jansson quotes the input near the error: keep the reason one
		 * line of printable ASCII, fit for logs and error messages. */
		for (char *p = jerr.text; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				*p = '?';
		return xasprintf("bad JSON at byte %d: %s", jerr.position, jerr.text);
	}
	reason = channel_msg_check(msg);
	if (reason) {
		json_decref(msg);
		return reason;
	}
	*msgp = msg;
	return NULL;
}

void channel_decoder_init(struct channel_decoder *d)
{
	ds_init(&d->buf);
	d->start = 0;
	d->error = NULL;
}

void channel_decoder_uninit(struct channel_decoder *d)
{
	ds_destroy(&d->buf);
	free(d->error);
	d->error = NULL;
	d->start = 0;
}

/* A decoder on the heap (see channel.h). */
struct channel_decoder *channel_decoder_create(void)
{
	struct channel_decoder *d = xmalloc(sizeof *d);

	channel_decoder_init(d);
	return d;
}

void channel_decoder_destroy(struct channel_decoder *d)
{
	if (d) {
		channel_decoder_uninit(d);
		free(d);
	}
}

/* Appends received bytes. Consumed bytes at the front are dropped first
 * when they are at least half the buffer, so the buffer holds at most
 * about one frame plus what arrived after it. */
void channel_decoder_feed(struct channel_decoder *d, const void *data, size_t n)
{
	if (d->error || !n)
		return;
	if (d->start && d->start >= d->buf.length / 2) {
		size_t rest = d->buf.length - d->start;

		memmove(d->buf.string, d->buf.string + d->start, rest);
		d->buf.length = rest;
		d->buf.string[rest] = '\0';
		d->start = 0;
	}
	ds_put_buffer(&d->buf, data, n);
}

size_t channel_decoder_pending(const struct channel_decoder *d)
{
	return d->buf.length - d->start;
}

static char *decoder_fail(struct channel_decoder *d, char *reason)
{
	d->error = reason;
	ds_clear(&d->buf);
	d->start = 0;
	return xstrdup(reason);
}

/* Takes the next whole message (see channel.h). */
char *channel_decoder_next(struct channel_decoder *d, json_t **msgp)
{
	const unsigned char *p;
	size_t avail = channel_decoder_pending(d), len;
	char *reason;

	*msgp = NULL;
	if (d->error)
		return xstrdup(d->error);
	if (avail < CHANNEL_HEADER_SIZE)
		return NULL;
	p = (const unsigned char *)d->buf.string + d->start;
	len = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
	if (len == 0)
		return decoder_fail(d, xstrdup("bad frame length 0"));
	if (len > CHANNEL_MAX_MESSAGE_SIZE)
		return decoder_fail(d, xasprintf("frame length %zu is over the limit of %zu bytes",
						 len, CHANNEL_MAX_MESSAGE_SIZE));
	if (avail - CHANNEL_HEADER_SIZE < len)
		return NULL;
	reason = channel_msg_parse((const char *)p + CHANNEL_HEADER_SIZE, len, msgp);
	if (reason)
		return decoder_fail(d, reason);
	d->start += CHANNEL_HEADER_SIZE + len;
	if (d->start == d->buf.length) {
		/* Everything taken: start over at the front (keeps the memory). */
		d->buf.length = 0;
		d->buf.string[0] = '\0';
		d->start = 0;
	}
	return NULL;
}
