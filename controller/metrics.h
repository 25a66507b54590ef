/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's metrics, rendered in the Prometheus text exposition
 * format (version 0.0.4) for GET /metrics:
 *
 *   onm_http_requests_total{method,route,status}       counter
 *   onm_http_request_duration_seconds{route}          histogram
 *   onm_objects{kind}                                  gauge
 *   onm_store_revision                                 gauge
 *   onm_store_commits_total{result}                    counter
 *   onm_store_commit_duration_seconds                  histogram
 *
 * Label values come from small fixed sets (the API's route templates, not
 * raw paths), so the number of series stays bounded whatever clients send.
 * Histograms use Prometheus' default buckets (5ms .. 10s).
 *
 * Thread-safety: none; the controller's event-loop thread owns it.
 */
#ifndef ONM_CONTROLLER_METRICS_H
#define ONM_CONTROLLER_METRICS_H

#include <stdbool.h>
#include <stdint.h>

struct ds;
struct metrics;
struct model;

struct metrics *metrics_create(void);
void metrics_destroy(struct metrics *);

/* Counts one answered request. 'method' and 'route' must be static strings
 * (or live as long as 'm'): they are kept, not copied. */
void metrics_request_observe(struct metrics *m, const char *method, const char *route, int status,
			     uint64_t latency_us);
/* Counts one store commit and its duration. */
void metrics_commit_observe(struct metrics *m, uint64_t latency_us, bool ok);

/* Appends the whole exposition to 'out', with gauges read from 'model' and
 * 'revision'. */
void metrics_render(const struct metrics *m, const struct model *model, uint64_t revision,
		    struct ds *out);

#endif /* ONM_CONTROLLER_METRICS_H */
