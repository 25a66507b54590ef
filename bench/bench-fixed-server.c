// SPDX-License-Identifier: Apache-2.0
/*
 * The HTTP server's own ceiling: a bare libevent evhttp handler that answers
 * every request with a fixed body, on the same event-loop set-up as
 * onm-controller. Benchmarks run the same client against this and against
 * the controller, and report the ratio.
 *
 * usage: bench-fixed-server ADDR PORT BODY-FILE [STATUS]
 */
#include "onm/util.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>

struct fixed {
	const char *body; /* response body, bytes */
	size_t len;	  /* bytes */
	int status;	  /* HTTP status to answer with */
};

static void handle(struct evhttp_request *req, void *aux)
{
	const struct fixed *f = aux;
	struct evbuffer *out = evbuffer_new();
	evbuffer_add_reference(out, f->body, f->len, NULL, NULL);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evhttp_send_reply(req, f->status, "OK", out);
	evbuffer_free(out);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s ADDR PORT BODY-FILE [STATUS]\n", argv[0]);
		return 1;
	}
	struct fixed f = {.status = argc > 4 ? atoi(argv[4]) : 200};
	char *body;
	if (read_file(argv[3], &body, &f.len)) {
		perror(argv[3]);
		return 1;
	}
	f.body = body;

	struct event_base *base = event_base_new();
	struct evhttp *http = evhttp_new(base);
	evhttp_set_max_body_size(http, 64 << 20);
	evhttp_set_gencb(http, handle, &f);
	if (!evhttp_bind_socket_with_handle(http, argv[1], (ev_uint16_t)atoi(argv[2]))) {
		fprintf(stderr, "cannot bind %s:%s\n", argv[1], argv[2]);
		return 1;
	}
	event_base_dispatch(base);
	evhttp_free(http);
	event_base_free(base);
	free(body);
	return 0;
}
