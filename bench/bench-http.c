// SPDX-License-Identifier: Apache-2.0
/*
 * A sequential HTTP load client: sends COUNT requests one after the other on
 * one keep-alive connection and reports requests/s and latency percentiles.
 * Sequential on purpose: the "1,000 sequential small POSTs" measures
 * per-request cost, not concurrency. A body template may contain "%d",
 * replaced by the request's index, so that each POST creates a new object.
 *
 * usage: bench-http [-m METHOD] [-b BODY-TEMPLATE] [-H 'Name: value'] [-e STATUS]
 *                   -n COUNT URL
 * Prints one line: "requests=N rps=R p50_ms=A p99_ms=B max_ms=C bytes=D".
 * Exits 1 if any answer's status differs from the expected one (-e, default
 * 200 for GET, 201 for POST).
 */
#include "onm/ds.h"
#include "onm/util.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct run {
	struct event_base *base;
	struct evhttp_connection *conn;
	const struct evhttp_uri *uri;
	enum evhttp_cmd_type method;
	const char *body_template; /* NULL for no body */
	const char *header;	   /* extra "Name: value" header or NULL */
	int expect_status;
	int count;	  /* requests to send */
	int done;	  /* requests answered */
	uint64_t sent_us; /* when the current request was sent */
	uint64_t *lat_us; /* latency of each request, us */
	uint64_t bytes;	  /* response body bytes received */
	int bad_status;	  /* answers with an unexpected status */
};

static void send_next(struct run *);

static void on_response(struct evhttp_request *req, void *aux)
{
	struct run *r = aux;
	if (!req) {
		fprintf(stderr, "bench-http: request %d failed (connection)\n", r->done);
		exit(2);
	}
	r->lat_us[r->done] = time_usec() - r->sent_us;
	r->bytes += evbuffer_get_length(evhttp_request_get_input_buffer(req));
	if (evhttp_request_get_response_code(req) != r->expect_status) {
		if (!r->bad_status)
			fprintf(stderr, "bench-http: request %d: status %d\n", r->done,
				evhttp_request_get_response_code(req));
		r->bad_status++;
	}
	if (++r->done < r->count)
		send_next(r);
	else
		event_base_loopexit(r->base, NULL);
}

static void send_next(struct run *r)
{
	struct evhttp_request *req = evhttp_request_new(on_response, r);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", evhttp_uri_get_host(r->uri));
	evhttp_add_header(h, "Content-Type", "application/json");
	if (r->header) {
		const char *colon = strchr(r->header, ':');
		if (colon) {
			char *name = xmemdup0(r->header, (size_t)(colon - r->header));
			evhttp_add_header(h, name, colon + 1 + strspn(colon + 1, " "));
			free(name);
		}
	}
	if (r->body_template) {
		struct ds body = DS_EMPTY_INITIALIZER;
		for (const char *p = r->body_template; *p; p++) {
			if (p[0] == '%' && p[1] == 'd') {
				ds_put_format(&body, "%d", r->done);
				p++;
			} else {
				ds_put_char(&body, *p);
			}
		}
		evbuffer_add(evhttp_request_get_output_buffer(req), body.string, body.length);
		ds_destroy(&body);
	}
	const char *path = evhttp_uri_get_path(r->uri);
	const char *query = evhttp_uri_get_query(r->uri);
	char *target =
	    xasprintf("%s%s%s", path && *path ? path : "/", query ? "?" : "", query ? query : "");
	r->sent_us = time_usec();
	if (evhttp_make_request(r->conn, req, r->method, target)) {
		fprintf(stderr, "bench-http: cannot send\n");
		exit(2);
	}
	free(target);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct run r = {.method = EVHTTP_REQ_GET, .count = 1000};
	const char *method = "GET";
	int opt;
	while ((opt = getopt(argc, argv, "m:b:H:e:n:")) != -1) {
		switch (opt) {
		case 'm':
			method = optarg;
			break;
		case 'b':
			r.body_template = optarg;
			break;
		case 'H':
			r.header = optarg;
			break;
		case 'e':
			r.expect_status = atoi(optarg);
			break;
		case 'n':
			r.count = atoi(optarg);
			break;
		default:
			return 1;
		}
	}
	if (optind != argc - 1 || r.count <= 0) {
		fprintf(stderr,
			"usage: %s [-m METHOD] [-b BODY] [-H HEADER] [-e STATUS] -n COUNT URL\n",
			argv[0]);
		return 1;
	}
	if (!strcmp(method, "POST"))
		r.method = EVHTTP_REQ_POST;
	else if (!strcmp(method, "PUT"))
		r.method = EVHTTP_REQ_PUT;
	else if (!strcmp(method, "DELETE"))
		r.method = EVHTTP_REQ_DELETE;
	if (!r.expect_status)
		r.expect_status = r.method == EVHTTP_REQ_POST ? 201 : 200;

	struct evhttp_uri *uri = evhttp_uri_parse(argv[optind]);
	if (!uri || !evhttp_uri_get_host(uri)) {
		fprintf(stderr, "bench-http: bad URL %s\n", argv[optind]);
		return 1;
	}
	r.uri = uri;
	r.base = event_base_new();
	int port = evhttp_uri_get_port(uri);
	r.conn = evhttp_connection_base_new(r.base, NULL, evhttp_uri_get_host(uri),
					    (ev_uint16_t)(port > 0 ? port : 80));
	evhttp_connection_set_timeout(r.conn, 60);
	r.lat_us = xcalloc((size_t)r.count, sizeof *r.lat_us);

	uint64_t start = time_usec();
	send_next(&r);
	event_base_dispatch(r.base);
	uint64_t elapsed = time_usec() - start;

	qsort(r.lat_us, (size_t)r.count, sizeof *r.lat_us, cmp_u64);
	size_t p99 = ((size_t)r.count * 99 + 99) / 100 - 1;
	printf("requests=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f bytes=%llu\n", r.count,
	       r.count / (elapsed / 1e6), r.lat_us[r.count / 2] / 1e3, r.lat_us[p99] / 1e3,
	       r.lat_us[r.count - 1] / 1e3, (unsigned long long)r.bytes);

	free(r.lat_us);
	evhttp_connection_free(r.conn);
	evhttp_uri_free(uri);
	event_base_free(r.base);
	return r.bad_status ? 1 : 0;
}
