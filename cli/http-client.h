/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small synchronous HTTP/1.1 client for the onm command line, built on
 * libevent's evhttp client API. A client holds one connection to one base
 * URL (the controller) and runs each request to completion on its own
 * private event base, bounded by a timeout, before returning.
 *
 * Errors are of two kinds, and the caller maps them to exit codes: a bad
 * base URL (-EINVAL from http_client_create(): the user's mistake), and a
 * request that got no HTTP answer at all (-ECONNREFUSED, -ETIMEDOUT,
 * -EHOSTUNREACH, -EIO ...: the controller cannot be reached). Any answer
 * with a status code, including 4xx and 5xx, is a successful request.
 *
 * Thread-safety: none; one client belongs to one thread.
 */
#ifndef ONM_CLI_HTTP_CLIENT_H
#define ONM_CLI_HTTP_CLIENT_H

#include "onm/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum http_method { HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_DELETE };

struct http_header {
	const char *name;  /* e.g. "Content-Type" */
	const char *value; /* sent as given; must not contain CR or LF */
};

struct http_response {
	int status;	    /* HTTP status code, e.g. 200 */
	char *body;	    /* NUL-terminated body; owned by the response */
	size_t body_size;   /* bytes in 'body', without the NUL */
	char *content_type; /* Content-Type of the answer, or NULL */
	bool has_revision;  /* the answer carried X-Onm-Revision */
	uint64_t revision;  /* X-Onm-Revision when 'has_revision' */
};

struct http_client;

/* Default time a request may take, from connecting to the last byte. */
#define HTTP_CLIENT_TIMEOUT_MS 30000

/* Creates a client for base URL 'url' ("http://HOST[:PORT][/PREFIX]"; a
 * bare "HOST:PORT" is taken as http). 'token', if not NULL, is sent with
 * every request as "Authorization: Bearer TOKEN"; the client keeps a copy
 * and wipes it when destroyed. 'timeout_ms' bounds each request.
 * Returns 0 and sets '*clientp', or -EINVAL with '*error' set to an
 * allocated one-line message (the caller frees it). */
int http_client_create(const char *url, const char *token, unsigned int timeout_ms,
		       struct http_client **clientp, char **error) WARN_UNUSED_RESULT;

/* Closes the connection and frees 'client'. Accepts NULL. */
void http_client_destroy(struct http_client *client);

/* The base URL as the user gave it, for messages. */
const char *http_client_url(const struct http_client *client);

/* Sends one request for 'path' (starting with '/', may carry a query; the
 * base URL's own path is put in front) with the extra 'headers' and, for
 * POST and PUT, 'body' of 'body_size' bytes (may be NULL when 0), and waits
 * for the whole answer. On 0, '*response' is filled and the caller releases
 * it with http_response_uninit(). On failure to get any answer, returns a
 * negative errno and sets '*error' to an allocated one-line message that
 * names the URL; '*response' is then empty (safe to uninit). */
int http_client_request(struct http_client *client, enum http_method method, const char *path,
			const struct http_header *headers, size_t n_headers, const char *body,
			size_t body_size, struct http_response *response,
			char **error) WARN_UNUSED_RESULT;

/* Frees what 'response' holds and empties it. */
void http_response_uninit(struct http_response *response);

/* "GET", "POST", ... */
const char *http_method_name(enum http_method method);

#endif /* ONM_CLI_HTTP_CLIENT_H */
