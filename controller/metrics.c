// SPDX-License-Identifier: Apache-2.0
/*
 * Counters and histograms of the controller and their Prometheus text
 * rendering (see metrics.h). Series are kept in hash maps keyed on their
 * label values; labels come from fixed sets, so the maps stay small.
 */
#include "metrics.h"

#include "onm/ds.h"
#include "onm/hmap.h"
#include "onm/model.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prometheus' default buckets, in microseconds. */
static const uint64_t bucket_us[] = {
    5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};
#define N_BUCKETS ARRAY_SIZE(bucket_us)

struct histogram {
	uint64_t counts[N_BUCKETS]; /* observations <= bucket_us[i] (not cumulative) */
	uint64_t count;		    /* all observations */
	uint64_t sum_us;	    /* their sum, microseconds */
};

struct request_counter {
	struct hmap_node node; /* in metrics->requests */
	const char *method;    /* static */
	const char *route;     /* static */
	int status;	       /* HTTP status */
	uint64_t count;	       /* requests */
};

struct route_latency {
	struct hmap_node node; /* in metrics->latencies */
	const char *route;     /* static */
	struct histogram h;
};

struct metrics {
	struct hmap requests;  /* struct request_counter */
	struct hmap latencies; /* struct route_latency */
	uint64_t commits_ok;
	uint64_t commits_failed;
	struct histogram commit;
};

static void histogram_observe(struct histogram *h, uint64_t us)
{
	for (size_t i = 0; i < N_BUCKETS; i++) {
		if (us <= bucket_us[i]) {
			h->counts[i]++;
			break;
		}
	}
	h->count++;
	h->sum_us += us;
}

/* "0.005" etc.: seconds with no trailing zeros. */
static void put_seconds(struct ds *out, uint64_t us)
{
	ds_put_format(out, "%" PRIu64, us / 1000000);
	uint64_t frac = us % 1000000;
	if (frac) {
		char buf[8];
		snprintf(buf, sizeof buf, "%06" PRIu64, frac);
		size_t n = strlen(buf);
		while (n > 0 && buf[n - 1] == '0')
			n--;
		ds_put_char(out, '.');
		ds_put_buffer(out, buf, n);
	}
}

static void histogram_render(struct ds *out, const char *name, const char *labels,
			     const struct histogram *h)
{
	const char *sep = labels[0] ? "," : "";
	uint64_t cumulative = 0;
	for (size_t i = 0; i < N_BUCKETS; i++) {
		cumulative += h->counts[i];
		ds_put_format(out, "%s_bucket{%s%sle=\"", name, labels, sep);
		put_seconds(out, bucket_us[i]);
		ds_put_format(out, "\"} %" PRIu64 "\n", cumulative);
	}
	ds_put_format(out, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, sep, h->count);
	ds_put_format(out, "%s_sum%s%s%s ", name, labels[0] ? "{" : "", labels,
		      labels[0] ? "}" : "");
	put_seconds(out, h->sum_us);
	ds_put_format(out, "\n%s_count%s%s%s %" PRIu64 "\n", name, labels[0] ? "{" : "", labels,
		      labels[0] ? "}" : "", h->count);
}

struct metrics *metrics_create(void)
{
	struct metrics *m = xzalloc(sizeof *m);
	hmap_init(&m->requests);
	hmap_init(&m->latencies);
	return m;
}

void metrics_destroy(struct metrics *m)
{
	if (!m)
		return;
	struct request_counter *rc;
	HMAP_FOR_EACH_SAFE (rc, node, &m->requests) {
		hmap_remove(&m->requests, &rc->node);
		free(rc);
	}
	struct route_latency *rl;
	HMAP_FOR_EACH_SAFE (rl, node, &m->latencies) {
		hmap_remove(&m->latencies, &rl->node);
		free(rl);
	}
	hmap_destroy(&m->requests);
	hmap_destroy(&m->latencies);
	free(m);
}

void metrics_request_observe(struct metrics *m, const char *method, const char *route, int status,
			     uint64_t latency_us)
{
	uint32_t hash = hash_add(hash_string(route, hash_string(method, 0)), (uint32_t)status);
	struct request_counter *rc, *found = NULL;
	HMAP_FOR_EACH_WITH_HASH (rc, node, hash, &m->requests) {
		if (rc->status == status && !strcmp(rc->method, method) &&
		    !strcmp(rc->route, route)) {
			found = rc;
			break;
		}
	}
	if (!found) {
		found = xzalloc(sizeof *found);
		found->method = method;
		found->route = route;
		found->status = status;
		hmap_insert(&m->requests, &found->node, hash);
	}
	found->count++;

	hash = hash_string(route, 0);
	struct route_latency *rl, *lat = NULL;
	HMAP_FOR_EACH_WITH_HASH (rl, node, hash, &m->latencies) {
		if (!strcmp(rl->route, route)) {
			lat = rl;
			break;
		}
	}
	if (!lat) {
		lat = xzalloc(sizeof *lat);
		lat->route = route;
		hmap_insert(&m->latencies, &lat->node, hash);
	}
	histogram_observe(&lat->h, latency_us);
}

void metrics_commit_observe(struct metrics *m, uint64_t latency_us, bool ok)
{
	if (ok)
		m->commits_ok++;
	else
		m->commits_failed++;
	histogram_observe(&m->commit, latency_us);
}

static int compare_requests(const void *a_, const void *b_)
{
	const struct request_counter *a = *(const struct request_counter *const *)a_;
	const struct request_counter *b = *(const struct request_counter *const *)b_;
	int cmp = strcmp(a->route, b->route);
	if (!cmp)
		cmp = strcmp(a->method, b->method);
	if (!cmp)
		cmp = (a->status > b->status) - (a->status < b->status);
	return cmp;
}

static int compare_latencies(const void *a_, const void *b_)
{
	const struct route_latency *a = *(const struct route_latency *const *)a_;
	const struct route_latency *b = *(const struct route_latency *const *)b_;
	return strcmp(a->route, b->route);
}

void metrics_render(const struct metrics *m, const struct model *model, uint64_t revision,
		    struct ds *out)
{
	/* Sorted output keeps scrapes stable and diffable. */
	size_t n = hmap_count(&m->requests), i = 0;
	struct request_counter **reqs = xcalloc(n, sizeof *reqs);
	struct request_counter *rc;
	HMAP_FOR_EACH (rc, node, &m->requests) {
		reqs[i++] = rc;
	}
	qsort(reqs, n, sizeof *reqs, compare_requests);
	ds_put_cstr(out, "# HELP onm_http_requests_total HTTP requests answered, by method, "
			 "route and status.\n"
			 "# TYPE onm_http_requests_total counter\n");
	for (i = 0; i < n; i++)
		ds_put_format(out,
			      "onm_http_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"} "
			      "%" PRIu64 "\n",
			      reqs[i]->method, reqs[i]->route, reqs[i]->status, reqs[i]->count);
	free(reqs);

	n = hmap_count(&m->latencies);
	i = 0;
	struct route_latency **lats = xcalloc(n, sizeof *lats);
	struct route_latency *rl;
	HMAP_FOR_EACH (rl, node, &m->latencies) {
		lats[i++] = rl;
	}
	qsort(lats, n, sizeof *lats, compare_latencies);
	ds_put_cstr(out, "# HELP onm_http_request_duration_seconds Time from a complete request to "
			 "its answer, by route.\n"
			 "# TYPE onm_http_request_duration_seconds histogram\n");
	for (i = 0; i < n; i++) {
		char *labels = xasprintf("route=\"%s\"", lats[i]->route);
		histogram_render(out, "onm_http_request_duration_seconds", labels, &lats[i]->h);
		free(labels);
	}
	free(lats);

	ds_put_cstr(out, "# HELP onm_objects Objects in the model, by kind (built-in service "
			 "levels included).\n"
			 "# TYPE onm_objects gauge\n");
	for (int k = 0; k < MODEL_N_KINDS; k++)
		ds_put_format(out, "onm_objects{kind=\"%s\"} %zu\n", model_kind_plural(k),
			      model ? model_count(model, k) : 0);

	ds_put_format(out,
		      "# HELP onm_store_revision Revision of the store's last commit.\n"
		      "# TYPE onm_store_revision gauge\n"
		      "onm_store_revision %" PRIu64 "\n",
		      revision);

	ds_put_format(out,
		      "# HELP onm_store_commits_total Store transactions committed, by result.\n"
		      "# TYPE onm_store_commits_total counter\n"
		      "onm_store_commits_total{result=\"ok\"} %" PRIu64 "\n"
		      "onm_store_commits_total{result=\"error\"} %" PRIu64 "\n",
		      m->commits_ok, m->commits_failed);

	ds_put_cstr(out, "# HELP onm_store_commit_duration_seconds Time a store commit takes "
			 "(durable on return).\n"
			 "# TYPE onm_store_commit_duration_seconds histogram\n");
	histogram_render(out, "onm_store_commit_duration_seconds", "", &m->commit);
}
