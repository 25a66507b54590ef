// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the agent's segmentation and coalescing code
 * (agent/gso.h): super-frames from a TAP (what an instance hands its NIC)
 * and runs of datagrams from the underlay (what UDP GRO gives) are
 * untrusted. The first byte picks the path; the rest is the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gso.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Cuts a super-frame (behind an 8-byte VXLAN-sized prefix) into segments,
 * a batch at a time, touching every header and payload byte. */
static void fuzz_segment(const uint8_t *data, size_t size)
{
	static uint8_t hdrs[16 * GSO_HDR_MAX];
	struct iovec iov[32];
	struct gso_tcp g;
	size_t mss;
	unsigned sum = 0;

	if (size < 2)
		return;
	mss = 64 + (size_t)data[0] * 8; /* keeps the number of segments bounded */
	if (gso_tcp_init(&g, data + 1, size - 1, 8, mss))
		return;
	for (uint32_t first = 0; first < g.n_segs; first += 16) {
		uint32_t n = g.n_segs - first < 16 ? g.n_segs - first : 16;

		gso_tcp_segment(&g, first, n, hdrs, iov);
		for (uint32_t k = 0; k < 2 * n; k++)
			for (size_t i = 0; i < iov[k].iov_len; i++)
				sum += ((const uint8_t *)iov[k].iov_base)[i];
	}
	if (sum == 0xdeadbeef) /* keeps the reads from being optimized away */
		abort();
}

/* Completes a partial checksum at offsets taken from the input. */
static void fuzz_csum(const uint8_t *data, size_t size)
{
	uint8_t frame[2048];
	size_t len, start, off;

	if (size < 4)
		return;
	start = data[0] | (size_t)(data[1] & 7) << 8;
	off = data[2] & 31;
	len = size - 3 < sizeof frame ? size - 3 : sizeof frame;
	memcpy(frame, data + 3, len);
	(void)gso_csum_complete(frame, len, start, off);
	(void)gso_l4_csum_ok(frame, len);
}

/* Coalesces a run of frames, each prefixed by a 2-byte length. */
static void fuzz_merge(const uint8_t *data, size_t size)
{
	static struct gso_merge m;
	struct virtio_net_hdr vh;
	struct iovec iov[1 + GSO_MERGE_MAX];
	bool started = false;

	if (size < 1)
		return;
	bool udp = data[0] & 1;
	data++, size--;
	while (size >= 2) {
		size_t len = (size_t)data[0] << 8 | data[1];

		data += 2, size -= 2;
		if (len > size)
			len = size;
		if (!started)
			started = gso_merge_start(&m, data, len, udp);
		else if (!gso_merge_add(&m, data, len))
			break;
		data += len, size -= len;
	}
	if (started) {
		size_t n = gso_merge_finish(&m, &vh, iov);
		unsigned sum = 0;

		for (size_t k = 0; k < n; k++)
			for (size_t i = 0; i < iov[k].iov_len; i++)
				sum += ((const uint8_t *)iov[k].iov_base)[i];
		if (sum == 0xdeadbeef)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_segment(data + 1, size - 1);
		break;
	case 1:
		fuzz_csum(data + 1, size - 1);
		break;
	default:
		fuzz_merge(data + 1, size - 1);
		break;
	}
	return 0;
}
