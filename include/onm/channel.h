/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent channel's framing and messages (docs/dataplane.md, "Agent
 * channel"), shared by the controller and onm-agent. Pure: bytes in,
 * messages out; no I/O, so that both sides and the fuzzer use the same
 * code.
 *
 * A frame is a 4-byte big-endian length (1..CHANNEL_MAX_MESSAGE_SIZE)
 * followed by that many bytes of one JSON object whose "type" is one of
 * the table below and which has that type's keys with the right JSON
 * types (more keys are allowed, for later versions):
 *
 *   hello   host (string), version, pid, revision (integers)  agent -> controller
 *   ack     revision                                          agent -> controller
 *   report  counters, health (objects)                        agent -> controller
 *   view    revision, entries (object)                        controller -> agent
 *   delta   revision, put (object), delete (array)            controller -> agent
 *   error   detail (string)                                   controller -> agent
 *   request id (integer), op (string)                         controller -> agent
 *   response id (integer), ok (boolean)                       agent -> controller
 *
 * Integers are non-negative. Which side may send which type is the
 * receiver's check (channel_msg_type() tells the type).
 *
 * The decoder is incremental: feed it whatever the socket gave, then take
 * whole messages until it has none. After an error the stream is out of
 * step and the connection must be closed; the decoder keeps answering with
 * the error.
 *
 * Thread-safety: a decoder belongs to one thread; the rest is stateless.
 */
#ifndef ONM_CHANNEL_H
#define ONM_CHANNEL_H

#include "onm/ds.h"
#include "onm/util.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHANNEL_PROTOCOL_VERSION 1
/* Largest JSON body of one frame, bytes. */
#define CHANNEL_MAX_MESSAGE_SIZE ((size_t)16 << 20)
/* Bytes of the length prefix. */
#define CHANNEL_HEADER_SIZE 4

enum channel_msg_type {
	CHANNEL_HELLO,
	CHANNEL_ACK,
	CHANNEL_REPORT,
	CHANNEL_VIEW,
	CHANNEL_DELTA,
	CHANNEL_ERROR,
	CHANNEL_REQUEST,
	CHANNEL_RESPONSE,
	CHANNEL_N_TYPES
};

/* "hello", "ack", ... */
const char *channel_msg_type_name(enum channel_msg_type);
/* The type of a message that passed channel_msg_check() (or any object
 * with a known "type"). Returns false if 'msg' has none. */
bool channel_msg_type(const json_t *msg, enum channel_msg_type *type);

/* Checks 'msg' against the table above. Returns NULL if it is a valid
 * message, else an allocated one-line reason ("delta: missing key \"put\""). */
char *channel_msg_check(const json_t *msg) WARN_UNUSED_RESULT;

/* Appends the frame of 'msg' (compact JSON; 'msg' stays the caller's) to
 * 'out'. Returns 0, or -EMSGSIZE if the JSON is over
 * CHANNEL_MAX_MESSAGE_SIZE (or -EINVAL if 'msg' cannot be serialized);
 * then 'out' is unchanged. */
int channel_encode(const json_t *msg, struct ds *out);

/* Parses one frame's body: JSON text of 'len' bytes. Returns NULL and sets
 * '*msg' (new reference) to a valid message, or returns an allocated
 * reason and sets '*msg' to NULL. */
char *channel_msg_parse(const char *body, size_t len, json_t **msg) WARN_UNUSED_RESULT;

struct channel_decoder {
	struct ds buf; /* bytes fed and not yet taken; 'start' bytes of it are consumed */
	size_t start;  /* bytes at the front of 'buf' already decoded */
	char *error;   /* first error, sticky; NULL while the stream is good */
};

void channel_decoder_init(struct channel_decoder *);
void channel_decoder_uninit(struct channel_decoder *);
/* Heap forms of init/uninit; destroy accepts NULL. */
struct channel_decoder *channel_decoder_create(void);
void channel_decoder_destroy(struct channel_decoder *);

/* Appends 'n' bytes received from the stream. */
void channel_decoder_feed(struct channel_decoder *, const void *data, size_t n);

/* Takes the next whole message. Returns NULL and sets '*msg' to the
 * message (new reference; the caller decrefs) or to NULL when no whole
 * frame is buffered yet. On a bad frame returns an allocated reason (the
 * caller frees it) and sets '*msg' to NULL; every later call returns the
 * same reason again: close the connection. A bad length prefix is
 * reported as soon as its 4 bytes are in, without waiting for a body. */
char *channel_decoder_next(struct channel_decoder *, json_t **msg) WARN_UNUSED_RESULT;

/* Bytes buffered and not yet decoded (for back-pressure and tests). */
size_t channel_decoder_pending(const struct channel_decoder *);

#endif /* ONM_CHANNEL_H */
