// SPDX-License-Identifier: Apache-2.0
/*
 * Benchmark of the agent's pipeline in memory (issue 3, "Pipeline in
 * memory"): 64-byte UDP frames from web1 (h1) to db1 (h3) of the spec.md
 * example — parse, port security, the distributed router (LPM, TTL, MAC
 * rewrite), security groups with conntrack, VXLAN encapsulation and the
 * forwarding entry — on one core, against the fixed view of
 * tests/dp-fixture.h. 1024 flows (source ports) rotate so conntrack and
 * the flow hash see real variety. Each packet is first copied into the
 * buffer (as a read from a TAP would put it there); the anchor is that
 * copy alone, the same bytes into the same buffer. Prints
 * "pipeline_mpps=X memcpy_mpps=Y ratio=Z" (ratio = pipeline / memcpy).
 * Usage: bench-pipeline [SECONDS] (default 1 per measurement).
 */
#include "../tests/dp-fixture.h"
#include "onm/util.h"
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_FLOWS 1024
#define FRAME_LEN 64
#define BATCH 1024 /* packets between clock reads */

static uint8_t frames[N_FLOWS][FRAME_LEN];
static uint8_t storage[DP_BUF_MIN_SIZE];
static volatile uint64_t sink;

static double run_pipeline(struct dp_ctx *ctx, const struct dp_tables *t, double seconds,
			   uint64_t *n_out)
{
	uint64_t start = time_usec(), end = start + (uint64_t)(seconds * 1e6), now, n = 0;
	uint64_t underlay = 0;
	struct dp_action a;
	struct dp_buf b;

	do {
		for (int i = 0; i < BATCH; i++) {
			dp_buf_init(&b, storage, sizeof storage);
			memcpy(b.data, frames[n % N_FLOWS], FRAME_LEN);
			b.len = FRAME_LEN;
			dp_from_port(ctx, t, FX_PORT_WEB1, &b, &a);
			underlay += a.verdict == DP_TO_UNDERLAY;
			n++;
		}
		now = time_usec();
		dp_ctx_set_time(ctx, now);
	} while (now < end);
	if (underlay != n) {
		fprintf(stderr, "bench-pipeline: %llu of %llu packets not encapsulated\n",
			(unsigned long long)(n - underlay), (unsigned long long)n);
		exit(1);
	}
	*n_out = n;
	return (double)n / (double)(now - start); /* packets per µs = Mpps */
}

static double run_memcpy(double seconds)
{
	uint64_t start = time_usec(), end = start + (uint64_t)(seconds * 1e6), now, n = 0;
	uint64_t acc = 0;
	struct dp_buf b;

	do {
		for (int i = 0; i < BATCH; i++) {
			dp_buf_init(&b, storage, sizeof storage);
			memcpy(b.data, frames[n % N_FLOWS], FRAME_LEN);
			b.len = FRAME_LEN;
			/* Keep the copy observable so it is not optimized away. */
			__asm__ __volatile__("" : : "r"(b.data) : "memory");
			acc += b.data[FRAME_LEN - 1];
			n++;
		}
		now = time_usec();
	} while (now < end);
	sink = acc;
	return (double)n / (double)(now - start);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 1.0;
	struct dp_counters_registry *reg = dp_counters_registry_create();
	json_t *view = dp_fixture_view();
	struct dp_tables *t;
	struct dp_ctx *ctx;
	double pipeline, copy;
	uint64_t n;
	char *err;

	if (seconds <= 0 || seconds > 60) {
		fprintf(stderr, "usage: bench-pipeline [SECONDS (0..60]]\n");
		return 2;
	}
	err = dp_tables_build(view, reg, &t);
	if (err) {
		fprintf(stderr, "bench-pipeline: %s\n", err);
		return 1;
	}
	json_decref(view);
	ctx = dp_ctx_create(reg, 0, 0);
	dp_ctx_set_time(ctx, time_usec());
	/* 64 bytes: 14 Ethernet + 20 IPv4 + 8 UDP + 22 payload. */
	for (int i = 0; i < N_FLOWS; i++)
		fx_udp(frames[i], &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1,
		       (uint16_t)(20000 + i), 5000, 64, FRAME_LEN - 42);

	run_pipeline(ctx, t, seconds / 4, &n); /* warm up */
	pipeline = run_pipeline(ctx, t, seconds, &n);
	copy = run_memcpy(seconds);
	printf("pipeline_mpps=%.2f memcpy_mpps=%.2f ratio=%.3f\n", pipeline, copy, pipeline / copy);

	dp_ctx_destroy(ctx);
	dp_tables_destroy(t);
	dp_counters_registry_destroy(reg);
	return 0;
}
