// SPDX-License-Identifier: Apache-2.0
/*
 * Tests of software segmentation and coalescing (agent/gso.h) and of the
 * Internet checksum they rest on: csum_partial() against a naive RFC 1071
 * sum on random data; a synthetic 64 KiB TCP super-frame behind a VXLAN
 * header cut into segments, every segment's headers, sequence number,
 * lengths and checksums checked; the segments coalesced back into the
 * original frame; UDP datagrams of one flow coalesced into a UDP GSO
 * frame; partial checksums completed; what either refuses; and the data
 * path taking a UDP GRO message from the underlay apart.
 */
/* cmocka.h needs these before it. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "../dp-fixture.h"
#include "datapath.h"
#include "gso.h"
#include "onm/packet.h"
#include "tables.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MSS 1398
#define TCP_OPT_LEN 12 /* NOP, NOP, timestamps */
#define HDRS (ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN + 20 + TCP_OPT_LEN)
#define SEQ0 0xfffff000u /* wraps within the super-frame */
#define ID0 0xfff0	 /* so does the IP identifier */
#define TCP_PSH 0x08
#define TCP_CWR 0x80

/* A deterministic pseudo-random generator (xorshift32). */
static uint32_t rng_state = 2463534242u;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* RFC 1071 the slow way: big-endian 16-bit words, end-around carry at each
 * step, the odd last byte padded with zero. */
static uint32_t naive_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	for (size_t i = 0; i < len; i += 2) {
		sum += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return sum;
}

static void test_csum_partial(void **state)
{
	static uint8_t buf[4096 + 8];

	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)rng();
	for (int round = 0; round < 3000; round++) {
		size_t off = rng() % 8, len = rng() % 4096;
		uint32_t sum = round % 3 ? rng() % 0x30000 : 0;

		assert_int_equal(csum_partial(buf + off, len, sum), naive_sum(buf + off, len, sum));
		/* Sums of pieces (all but the last even) add up to the whole. */
		size_t cut = (rng() % (len + 1)) & ~(size_t)1;
		uint32_t s2 = csum_partial(buf + off, cut, sum);
		assert_int_equal(csum_partial(buf + off + cut, len - cut, s2),
				 naive_sum(buf + off, len, sum));
	}
	/* Edge cases: nothing, all ones, all zeros. */
	memset(buf, 0xff, 64);
	assert_int_equal(csum_partial(buf, 64, 0), 0xffff);
	assert_int_equal(csum_partial(buf, 0, 0), 0);
	assert_int_equal(csum_partial(buf, 0, 0x1234), 0x1234);
	memset(buf, 0, 64);
	assert_int_equal(csum_partial(buf, 63, 0), 0);
	/* A known answer: RFC 1071's example words 0001 f203 f4f5 f6f7. */
	static const uint8_t ex[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	assert_int_equal(csum_partial(ex, sizeof ex, 0), 0xddf2);
	assert_int_equal(csum_fold(csum_partial(ex, sizeof ex, 0)), 0x220d);
}

/* Writes Ethernet + IPv4 + TCP (with timestamps) headers for 'payload'
 * bytes at 'f', the payload itself random, with complete checksums.
 * Returns the frame's length. */
static size_t tcp_frame(uint8_t *f, size_t payload, uint8_t flags)
{
	struct eth_header *eth = (void *)f;
	struct ipv4_header *ip = (void *)(f + ETH_HEADER_LEN);
	struct tcp_header *tcp = (void *)(f + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN);
	uint8_t *opt = (uint8_t *)(tcp + 1);
	size_t l4_len = 20 + TCP_OPT_LEN + payload;

	memset(f, 0, HDRS);
	memcpy(eth->dst.b, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(eth->src.b, "\x02\x00\x00\x00\x00\x01", 6);
	eth->type_be = htons(ETH_TYPE_IPV4);
	ip->ver_ihl = 0x45;
	ip->tos = 0x10;
	ip->tot_len_be = htons((uint16_t)(IPV4_HEADER_MIN_LEN + l4_len));
	ip->id_be = htons(ID0);
	ip->frag_off_be = htons(0x4000); /* DF */
	ip->ttl = 64;
	ip->proto = IP_PROTO_TCP;
	ip->src_be = htonl(0x0a01010a);
	ip->dst_be = htonl(0x0a010114);
	packet_ipv4_set_csum(ip);
	tcp->src_be = htons(40000);
	tcp->dst_be = htons(5201);
	tcp->seq_be = htonl(SEQ0);
	tcp->ack_be = htonl(0x12345678);
	tcp->data_off = (20 + TCP_OPT_LEN) / 4 << 4;
	tcp->flags = flags;
	tcp->window_be = htons(512);
	memcpy(opt, "\x01\x01\x08\x0a\x00\x01\x02\x03\x04\x05\x06\x07", TCP_OPT_LEN);
	for (size_t i = 0; i < payload; i++)
		f[HDRS + i] = (uint8_t)rng();
	/* Complete the TCP checksum through the partial one, as a sender's
	 * kernel hands it over with checksum offload. */
	uint32_t pseudo = csum_partial(&ip->src_be, 8, 0) + IP_PROTO_TCP + (uint32_t)l4_len;
	tcp->csum_be = htons((uint16_t)~csum_fold(pseudo));
	assert_int_equal(gso_csum_complete(f, HDRS + payload, ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN,
					   offsetof(struct tcp_header, csum_be)),
			 0);
	return HDRS + payload;
}

/* The IPv4 header at frame 'f' has a correct checksum. */
static void assert_ip_csum(const uint8_t *f)
{
	assert_int_equal(csum_fold(csum_partial(f + ETH_HEADER_LEN, IPV4_HEADER_MIN_LEN, 0)), 0);
}

/* Copies the bytes of 'n' iovecs to 'out'; returns how many. */
static size_t gather(const struct iovec *iov, size_t n, uint8_t *out)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(out + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	return len;
}

static void test_segment_super_frame(void **state)
{
	static uint8_t pkt[VXLAN_HEADER_LEN + ETH_HEADER_LEN + GSO_IPV4_MAX];
	static uint8_t hdrs[64 * GSO_HDR_MAX], seg[2048], again[64 * GSO_HDR_MAX];
	static const uint8_t vxlan[VXLAN_HEADER_LEN] = {0x08, 3, 0, 2, 0, 0, 100, 0};
	struct iovec iov[128], iov2[128];
	const size_t payload = GSO_IPV4_MAX - IPV4_HEADER_MIN_LEN - 20 - TCP_OPT_LEN;
	uint8_t *frame = pkt + VXLAN_HEADER_LEN;
	struct gso_tcp g;

	memcpy(pkt, vxlan, sizeof vxlan);
	size_t flen = tcp_frame(frame, payload, TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR);
	assert_int_equal(flen, ETH_HEADER_LEN + GSO_IPV4_MAX);
	/* Checksum offload: the super-frame's own TCP checksum is only the
	 * pseudo-header sum; segmentation must not depend on it. */
	((struct tcp_header *)(frame + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN))->csum_be = 0xbeef;

	assert_int_equal(gso_tcp_init(&g, pkt, sizeof pkt, VXLAN_HEADER_LEN, MSS), 0);
	assert_int_equal(g.hdr_len, VXLAN_HEADER_LEN + HDRS);
	assert_int_equal(g.payload, payload);
	assert_int_equal(g.n_segs, (payload + MSS - 1) / MSS);
	assert_int_equal(g.n_segs, 47);
	gso_tcp_segment(&g, 0, g.n_segs, hdrs, iov);

	size_t total = 0;
	for (uint32_t i = 0; i < g.n_segs; i++) {
		size_t want = i + 1 < g.n_segs ? MSS : payload - (size_t)(g.n_segs - 1) * MSS;
		size_t len = gather(&iov[2 * i], 2, seg);
		const uint8_t *f = seg + VXLAN_HEADER_LEN;
		const struct ipv4_header *ip = (const void *)(f + ETH_HEADER_LEN);
		const struct ipv4_header *ip0 = (const void *)(frame + ETH_HEADER_LEN);
		const struct tcp_header *tcp = (const void *)(ip + 1);
		const struct tcp_header *tcp0 = (const void *)(ip0 + 1);

		assert_int_equal(iov[2 * i].iov_len, g.hdr_len);
		assert_int_equal(iov[2 * i + 1].iov_len, want);
		assert_int_equal(len, gso_tcp_seg_len(&g, i));
		assert_int_equal(len, g.hdr_len + want);
		/* VXLAN and Ethernet as they were. */
		assert_memory_equal(seg, vxlan, VXLAN_HEADER_LEN);
		assert_memory_equal(f, frame, ETH_HEADER_LEN);
		/* IPv4: own length, identifier and checksum; the rest kept. */
		assert_int_equal(ip->ver_ihl, 0x45);
		assert_int_equal(ntohs(ip->tot_len_be),
				 IPV4_HEADER_MIN_LEN + 20 + TCP_OPT_LEN + want);
		assert_int_equal(ntohs(ip->id_be), (uint16_t)(ID0 + i));
		assert_int_equal(ip->tos, ip0->tos);
		assert_int_equal(ip->frag_off_be, ip0->frag_off_be);
		assert_int_equal(ip->ttl, 64);
		assert_int_equal(ip->src_be, ip0->src_be);
		assert_int_equal(ip->dst_be, ip0->dst_be);
		assert_ip_csum(f);
		/* TCP: own sequence number; FIN and PSH on the last, CWR on
		 * the first; ports, ACK, window and options kept. */
		assert_int_equal(tcp->src_be, tcp0->src_be);
		assert_int_equal(tcp->dst_be, tcp0->dst_be);
		assert_int_equal(ntohl(tcp->seq_be), (uint32_t)(SEQ0 + (uint32_t)i * MSS));
		assert_int_equal(tcp->ack_be, tcp0->ack_be);
		assert_int_equal(tcp->window_be, tcp0->window_be);
		assert_int_equal(tcp->data_off, tcp0->data_off);
		assert_memory_equal(tcp + 1, tcp0 + 1, TCP_OPT_LEN);
		uint8_t flags = TCP_ACK;
		if (i == 0)
			flags |= TCP_CWR;
		if (i + 1 == g.n_segs)
			flags |= TCP_PSH | TCP_FIN;
		assert_int_equal(tcp->flags, flags);
		/* A complete TCP checksum, by the naive sum too. */
		assert_true(gso_l4_csum_ok(f, len - VXLAN_HEADER_LEN));
		uint32_t pseudo = naive_sum((const uint8_t *)&ip->src_be, 8, 0) + IP_PROTO_TCP +
				  (uint32_t)(20 + TCP_OPT_LEN + want);
		assert_int_equal(naive_sum((const uint8_t *)tcp, 20 + TCP_OPT_LEN + want, pseudo),
				 0xffff);
		/* The payload is the super-frame's, in order, not copied. */
		assert_ptr_equal(iov[2 * i + 1].iov_base, frame + HDRS + total);
		total += want;
	}
	assert_int_equal(total, payload);

	/* Cut in pieces (as when the send queue fills up), the same. */
	for (uint32_t first = 0; first < g.n_segs;) {
		uint32_t n = 1 + rng() % 10;
		if (n > g.n_segs - first)
			n = g.n_segs - first;
		gso_tcp_segment(&g, first, n, again, iov2);
		for (uint32_t k = 0; k < n; k++) {
			assert_memory_equal(again + k * g.hdr_len, hdrs + (first + k) * g.hdr_len,
					    g.hdr_len);
			assert_ptr_equal(iov2[2 * k + 1].iov_base,
					 iov[2 * (first + k) + 1].iov_base);
		}
		first += n;
	}

	/* Without a prefix, and with one segment only. */
	assert_int_equal(gso_tcp_init(&g, frame, flen, 0, payload), 0);
	assert_int_equal(g.n_segs, 1);
	gso_tcp_segment(&g, 0, 1, hdrs, iov);
	assert_int_equal(iov[0].iov_len, HDRS);
	assert_int_equal(iov[1].iov_len, payload);
	assert_int_equal(((const struct tcp_header *)(hdrs + ETH_HEADER_LEN + 20))->flags,
			 TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR);
}

static void test_segment_refused(void **state)
{
	static uint8_t f[4096];
	struct gso_tcp g;
	size_t len = tcp_frame(f, 3000, TCP_ACK);
	struct ipv4_header *ip = (void *)(f + ETH_HEADER_LEN);

	assert_int_equal(gso_tcp_init(&g, f, len, 0, 1000), 0);
	assert_int_equal(g.n_segs, 3);
	assert_int_equal(gso_tcp_init(&g, f, len, 0, 0), -EINVAL);		      /* no MSS */
	assert_int_equal(gso_tcp_init(&g, f, len, GSO_PREFIX_MAX + 1, 100), -EINVAL); /* prefix */
	assert_int_equal(gso_tcp_init(&g, f, len - 1, 0, 1000), -EINVAL); /* truncated */
	assert_int_equal(gso_tcp_init(&g, f, HDRS, 0, 1000), -EINVAL); /* headers only, truncated */
	ip->frag_off_be = htons(IPV4_FLAG_MF);
	assert_int_equal(gso_tcp_init(&g, f, len, 0, 1000), -EINVAL); /* a fragment */
	ip->frag_off_be = 0;
	ip->proto = IP_PROTO_UDP;
	assert_int_equal(gso_tcp_init(&g, f, len, 0, 1000), -EINVAL); /* not TCP */
	ip->proto = IP_PROTO_TCP;
	f[12] = 0x86, f[13] = 0xdd;
	assert_int_equal(gso_tcp_init(&g, f, len, 0, 1000), -EINVAL); /* not IPv4 */
	/* No payload. */
	len = tcp_frame(f, 0, TCP_ACK);
	assert_int_equal(gso_tcp_init(&g, f, len, 0, 1000), -EINVAL);
	/* Trailing bytes beyond the IPv4 length are not payload. */
	len = tcp_frame(f, 100, TCP_ACK);
	assert_int_equal(gso_tcp_init(&g, f, len + 6, 0, 40), 0);
	assert_int_equal(g.payload, 100);
	assert_int_equal(g.n_segs, 3);
}

static void test_csum_complete(void **state)
{
	uint8_t f[256];
	struct ipv4_header *ip = (void *)(f + ETH_HEADER_LEN);
	struct udp_header *udp = (void *)(f + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN);
	const size_t l4 = sizeof *udp + 37, len = ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN + l4;

	memset(f, 0, sizeof f);
	f[12] = 0x08;
	ip->ver_ihl = 0x45;
	ip->tot_len_be = htons((uint16_t)(IPV4_HEADER_MIN_LEN + l4));
	ip->ttl = 64;
	ip->proto = IP_PROTO_UDP;
	ip->src_be = htonl(0x0a000001);
	ip->dst_be = htonl(0x0a000002);
	packet_ipv4_set_csum(ip);
	udp->src_be = htons(1234);
	udp->dst_be = htons(5678);
	udp->len_be = htons((uint16_t)l4);
	for (size_t i = 0; i < 37; i++)
		f[len - 37 + i] = (uint8_t)rng();
	uint32_t pseudo = csum_partial(&ip->src_be, 8, 0) + IP_PROTO_UDP + (uint32_t)l4;
	udp->csum_be = htons((uint16_t)~csum_fold(pseudo));
	assert_false(gso_l4_csum_ok(f, len)); /* partial: not yet right */
	assert_int_equal(gso_csum_complete(f, len, ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN, 6), 0);
	assert_true(gso_l4_csum_ok(f, len));
	assert_int_not_equal(udp->csum_be, 0);
	/* A damaged byte shows. */
	f[len - 1] ^= 0x40;
	assert_false(gso_l4_csum_ok(f, len));
	/* A sum that comes out as 0 is sent as 0xffff (0 means "no checksum"
	 * in UDP): make the last two payload bytes bring the sum to 0xffff. */
	f[len - 3] = f[len - 2] = f[len - 1] = 0; /* l4 bytes 42, 43 (a word), 44 (odd) */
	udp->csum_be = htons((uint16_t)~csum_fold(pseudo));
	uint16_t rest = (uint16_t)csum_partial(f + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN, l4, 0);
	uint16_t fill = (uint16_t)(0xffff - rest);
	f[len - 3] = (uint8_t)(fill >> 8);
	f[len - 2] = (uint8_t)fill;
	assert_int_equal(csum_partial(f + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN, l4, 0), 0xffff);
	assert_int_equal(gso_csum_complete(f, len, ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN, 6), 0);
	assert_int_equal(udp->csum_be, 0xffff);
	assert_true(gso_l4_csum_ok(f, len));
	/* Out of the frame. */
	assert_int_equal(gso_csum_complete(f, len, len - 1, 0), -EINVAL);
	assert_int_equal(gso_csum_complete(f, len, 30, len), -EINVAL);
	assert_int_equal(gso_csum_complete(f, len, len + 2, 0), -EINVAL);
}

/* Cuts the frame 'f' into segments of 'mss' payload bytes, each a frame of
 * its own in 'out' (GSO_MERGE_MAX of 2048 bytes); returns their number and
 * lengths. */
static uint32_t cut(const uint8_t *f, size_t len, size_t mss, uint8_t out[][2048], size_t *lens)
{
	static uint8_t hdrs[64 * GSO_HDR_MAX];
	struct iovec iov[128];
	struct gso_tcp g;

	assert_int_equal(gso_tcp_init(&g, f, len, 0, mss), 0);
	assert_true(g.n_segs <= GSO_MERGE_MAX);
	gso_tcp_segment(&g, 0, g.n_segs, hdrs, iov);
	for (uint32_t i = 0; i < g.n_segs; i++)
		lens[i] = gather(&iov[2 * i], 2, out[i]);
	return g.n_segs;
}

static void test_merge_round_trip(void **state)
{
	static uint8_t f[ETH_HEADER_LEN + GSO_IPV4_MAX], segs[GSO_MERGE_MAX][2048];
	static uint8_t merged[ETH_HEADER_LEN + GSO_IPV4_MAX];
	static struct gso_merge m;
	const size_t payload = GSO_IPV4_MAX - IPV4_HEADER_MIN_LEN - 20 - TCP_OPT_LEN;
	size_t lens[GSO_MERGE_MAX];
	struct iovec iov[1 + GSO_MERGE_MAX];
	struct virtio_net_hdr vh;

	size_t flen = tcp_frame(f, payload, TCP_ACK | TCP_PSH);
	uint32_t n = cut(f, flen, MSS, segs, lens);
	assert_int_equal(n, 47);

	assert_true(gso_merge_start(&m, segs[0], lens[0], false));
	assert_false(m.closed);
	for (uint32_t i = 1; i < n; i++) {
		assert_false(m.closed);
		assert_true(gso_merge_add(&m, segs[i], lens[i]));
	}
	/* The last is short and has PSH: nothing may follow. */
	assert_true(m.closed);
	assert_false(gso_merge_add(&m, segs[n - 1], lens[n - 1]));
	assert_int_equal(m.n, n);
	assert_int_equal(m.total, payload);

	size_t n_iov = gso_merge_finish(&m, &vh, iov);
	assert_int_equal(n_iov, 1 + n);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(vh.gso_size, MSS);
	assert_int_equal(vh.hdr_len, HDRS);
	assert_int_equal(vh.csum_start, ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN);
	assert_int_equal(vh.csum_offset, 16);
	size_t mlen = gather(iov, n_iov, merged);
	assert_int_equal(mlen, flen);
	assert_ip_csum(merged);
	/* The partial checksum, once completed, is right; then the frame is
	 * the original, byte for byte. */
	assert_int_equal(gso_csum_complete(merged, mlen, vh.csum_start, vh.csum_offset), 0);
	assert_true(gso_l4_csum_ok(merged, mlen));
	assert_memory_equal(merged, f, flen);

	/* One segment alone: the frame as it came, its checksum vouched for. */
	assert_true(gso_merge_start(&m, segs[3], lens[3], false));
	n_iov = gso_merge_finish(&m, &vh, iov);
	assert_int_equal(n_iov, 1);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_ptr_equal(iov[0].iov_base, segs[3]);
	assert_ptr_equal(m.seg[0].iov_base, segs[3]);
	assert_int_equal(iov[0].iov_len, lens[3]);

	/* Two segments, PSH only on the second: merged with PSH. */
	size_t small = tcp_frame(f, 3000, TCP_ACK | TCP_PSH);
	n = cut(f, small, 1500, segs, lens);
	assert_int_equal(n, 2);
	assert_true(gso_merge_start(&m, segs[0], lens[0], false));
	assert_true(gso_merge_add(&m, segs[1], lens[1]));
	assert_true(m.closed); /* PSH */
	n_iov = gso_merge_finish(&m, &vh, iov);
	mlen = gather(iov, n_iov, merged);
	assert_int_equal(gso_csum_complete(merged, mlen, vh.csum_start, vh.csum_offset), 0);
	assert_memory_equal(merged, f, small);
}

static void test_merge_refused(void **state)
{
	static uint8_t f[16384], segs[GSO_MERGE_MAX][2048], other[2048];
	static struct gso_merge m;
	size_t lens[GSO_MERGE_MAX];

	size_t len = tcp_frame(f, 6000, TCP_ACK);
	uint32_t n = cut(f, len, 1000, segs, lens);
	assert_int_equal(n, 6);

	/* Out of order, or a repeat. */
	assert_true(gso_merge_start(&m, segs[0], lens[0], false));
	assert_false(gso_merge_add(&m, segs[2], lens[2]));
	assert_false(gso_merge_add(&m, segs[0], lens[0]));
	assert_true(gso_merge_add(&m, segs[1], lens[1]));
	assert_true(gso_merge_add(&m, segs[2], lens[2]));
	assert_int_equal(m.n, 3);

	/* A damaged segment (its checksum no longer fits). */
	memcpy(other, segs[1], lens[1]);
	other[lens[1] - 5] ^= 1;
	assert_true(gso_merge_start(&m, segs[0], lens[0], false));
	assert_false(gso_merge_add(&m, other, lens[1]));
	assert_false(gso_merge_start(&m, other, lens[1], false));

	/* TCP headers that differ, each with its checksum made right again
	 * so that only the header itself stands in the way. */
	static const size_t changes[] = {
	    11,	    /* ACK number */
	    14,	    /* window */
	    18,	    /* urgent pointer */
	    20 + 5, /* an option byte (timestamp) */
	    2,	    /* destination port */
	};
	for (size_t c = 0; c < sizeof changes / sizeof changes[0]; c++) {
		memcpy(other, segs[1], lens[1]);
		struct ipv4_header *ip = (void *)(other + ETH_HEADER_LEN);
		struct tcp_header *t = (void *)(ip + 1);
		size_t l4 = lens[1] - ETH_HEADER_LEN - IPV4_HEADER_MIN_LEN;
		((uint8_t *)t)[changes[c]] ^= 1;
		t->csum_be = htons((uint16_t)~csum_fold(csum_partial(&ip->src_be, 8, 0) +
							IP_PROTO_TCP + (uint32_t)l4));
		assert_int_equal(
		    gso_csum_complete(other, lens[1], ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN, 16), 0);
		assert_true(gso_l4_csum_ok(other, lens[1]));
		assert_true(gso_merge_start(&m, segs[0], lens[0], false));
		assert_false(gso_merge_add(&m, other, lens[1]));
	}
	/* Another TTL, TOS or destination MAC. */
	memcpy(other, segs[1], lens[1]);
	((struct ipv4_header *)(other + ETH_HEADER_LEN))->ttl--;
	packet_ipv4_set_csum((struct ipv4_header *)(other + ETH_HEADER_LEN));
	assert_true(gso_merge_start(&m, segs[0], lens[0], false));
	assert_false(gso_merge_add(&m, other, lens[1]));
	memcpy(other, segs[1], lens[1]);
	other[0] ^= 2;
	assert_false(gso_merge_add(&m, other, lens[1]));

	/* Flags other than ACK and PSH; no ACK. */
	static const uint8_t bad_flags[] = {TCP_ACK | TCP_FIN, TCP_ACK | TCP_SYN, TCP_ACK | TCP_RST,
					    TCP_ACK | TCP_CWR, TCP_PSH};
	for (size_t i = 0; i < sizeof bad_flags; i++) {
		size_t l = tcp_frame(other, 1000, bad_flags[i]);
		assert_false(gso_merge_start(&m, other, l, false));
	}

	/* A later segment larger than the first. */
	len = tcp_frame(f, 3000, TCP_ACK);
	n = cut(f, len, 1000, segs, lens);
	assert_int_equal(n, 3);
	assert_true(gso_merge_start(&m, segs[0], lens[0], false));
	size_t l = tcp_frame(other, 1001, TCP_ACK);
	struct tcp_header *to = (void *)(other + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN);
	to->seq_be = htonl(SEQ0 + 1000);
	to->csum_be = 0;
	{
		struct ipv4_header *ip = (void *)(other + ETH_HEADER_LEN);
		size_t l4 = l - ETH_HEADER_LEN - IPV4_HEADER_MIN_LEN;
		to->csum_be = htons(csum_fold(csum_partial(
		    to, l4, csum_partial(&ip->src_be, 8, 0) + IP_PROTO_TCP + (uint32_t)l4)));
	}
	assert_true(gso_l4_csum_ok(other, l));
	assert_false(gso_merge_add(&m, other, l));

	/* Not TCP, IP options, a fragment, padding, no payload. */
	len = tcp_frame(f, 500, TCP_ACK);
	struct ipv4_header *ip = (void *)(f + ETH_HEADER_LEN);
	ip->proto = IP_PROTO_UDP;
	assert_false(gso_merge_start(&m, f, len, false));
	len = tcp_frame(f, 500, TCP_ACK);
	ip->frag_off_be = htons(IPV4_FLAG_MF);
	packet_ipv4_set_csum(ip);
	assert_false(gso_merge_start(&m, f, len, false));
	len = tcp_frame(f, 500, TCP_ACK);
	assert_false(gso_merge_start(&m, f, len + 2, false)); /* trailing bytes */
	assert_true(gso_merge_start(&m, f, len, false));
	ip->ver_ihl = 0x46;
	assert_false(gso_merge_start(&m, f, len, false));
	len = tcp_frame(f, 0, TCP_ACK);
	assert_false(gso_merge_start(&m, f, len, false));

	/* No more than an IPv4 packet's worth, nor GSO_MERGE_MAX segments. */
	len = tcp_frame(f, 64 * 100, TCP_ACK);
	n = cut(f, len, 100, segs, lens);
	assert_int_equal(n, GSO_MERGE_MAX);
	assert_true(gso_merge_start(&m, segs[0], lens[0], false));
	for (uint32_t i = 1; i < n; i++)
		assert_true(gso_merge_add(&m, segs[i], lens[i]));
	assert_int_equal(m.n, GSO_MERGE_MAX);
	static uint8_t big[ETH_HEADER_LEN + GSO_IPV4_MAX], bsegs[GSO_MERGE_MAX][2048];
	len = tcp_frame(big, 24 * 1900, TCP_ACK);
	n = cut(big, len, 1900, bsegs, lens);
	assert_int_equal(n, 24);
	assert_true(gso_merge_start(&m, bsegs[0], lens[0], false));
	for (uint32_t i = 1; i < n; i++)
		assert_true(gso_merge_add(&m, bsegs[i], lens[i]));
	/* 24 * 1900 + headers: fine; a frame that pushes it past 65535 is
	 * not taken (the first segment again, renumbered, until refused). */
	uint32_t next = m.next_seq;
	bool refused = false;
	for (int k = 0; k < 12 && !refused; k++) {
		memcpy(other, bsegs[0], lens[0]);
		struct tcp_header *t = (void *)(other + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN);
		struct ipv4_header *oip = (void *)(other + ETH_HEADER_LEN);
		size_t l4 = lens[0] - ETH_HEADER_LEN - IPV4_HEADER_MIN_LEN;
		t->seq_be = htonl(next);
		t->csum_be = 0;
		t->csum_be = htons(csum_fold(csum_partial(
		    t, l4, csum_partial(&oip->src_be, 8, 0) + IP_PROTO_TCP + (uint32_t)l4)));
		if (gso_merge_add(&m, other, lens[0]))
			next += 1900;
		else
			refused = true;
	}
	assert_true(refused);
	assert_true(m.hdr_len + m.total <= ETH_HEADER_LEN + GSO_IPV4_MAX);
	assert_int_equal(m.total, 34 * 1900); /* 35 would be 66500 bytes */
}

/* Writes an Ethernet + IPv4 + UDP frame from port 'sport' with 'payload'
 * bytes of 'fill' (and the datagram's index in the first byte) at 'f',
 * with a complete checksum (none if 'no_csum'). Returns its length. */
static size_t udp_frame(uint8_t *f, uint16_t sport, size_t payload, uint8_t fill, bool no_csum)
{
	struct ipv4_header *ip = (void *)(f + ETH_HEADER_LEN);
	struct udp_header *udp = (void *)(ip + 1);
	size_t l4 = sizeof *udp + payload, len = ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN + l4;

	memset(f, 0, ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN + sizeof *udp);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	ip->ver_ihl = 0x45;
	ip->tot_len_be = htons((uint16_t)(IPV4_HEADER_MIN_LEN + l4));
	ip->id_be = htons(fill);
	ip->frag_off_be = htons(0x4000);
	ip->ttl = 64;
	ip->proto = IP_PROTO_UDP;
	ip->src_be = htonl(0x0a01010a);
	ip->dst_be = htonl(0x0a010114);
	packet_ipv4_set_csum(ip);
	udp->src_be = htons(sport);
	udp->dst_be = htons(5202);
	udp->len_be = htons((uint16_t)l4);
	memset(udp + 1, fill, payload);
	if (payload)
		((uint8_t *)(udp + 1))[0] = fill;
	if (!no_csum) {
		uint32_t sum = csum_partial(&ip->src_be, 8, 0) + IP_PROTO_UDP + (uint32_t)l4;
		uint16_t c = csum_fold(csum_partial(udp, l4, sum));
		udp->csum_be = htons(c ? c : 0xffff);
	}
	return len;
}

static void test_merge_udp(void **state)
{
	static uint8_t d[12][256], merged[4096], other[256];
	static struct gso_merge m;
	size_t lens[12];
	struct iovec iov[1 + GSO_MERGE_MAX];
	struct virtio_net_hdr vh;
	const size_t hl = ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN + sizeof(struct udp_header);

	/* Ten datagrams of 64 bytes (one without a checksum), one of 30. */
	for (int i = 0; i < 11; i++)
		lens[i] = udp_frame(d[i], 40001, i < 10 ? 64 : 30, (uint8_t)(0x10 + i), i == 4);
	assert_false(gso_merge_start(&m, d[0], lens[0], false)); /* UDP not asked for */
	assert_true(gso_merge_start(&m, d[0], lens[0], true));
	for (int i = 1; i < 11; i++) {
		assert_false(m.closed);
		assert_true(gso_merge_add(&m, d[i], lens[i]));
	}
	assert_true(m.closed); /* the short one ends it */
	assert_false(gso_merge_add(&m, d[0], lens[0]));
	assert_int_equal(m.n, 11);
	assert_int_equal(m.total, 10 * 64 + 30);

	size_t n_iov = gso_merge_finish(&m, &vh, iov);
	assert_int_equal(n_iov, 12);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_UDP_L4);
	assert_int_equal(vh.gso_size, 64);
	assert_int_equal(vh.hdr_len, hl);
	assert_int_equal(vh.csum_start, ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN);
	assert_int_equal(vh.csum_offset, 6);
	size_t mlen = gather(iov, n_iov, merged);
	assert_int_equal(mlen, hl + 670);
	const struct ipv4_header *ip = (const void *)(merged + ETH_HEADER_LEN);
	const struct udp_header *udp = (const void *)(ip + 1);
	assert_int_equal(ntohs(ip->tot_len_be), IPV4_HEADER_MIN_LEN + 8 + 670);
	assert_int_equal(ntohs(udp->len_be), 8 + 670);
	assert_ip_csum(merged);
	assert_memory_equal(merged, d[0], ETH_HEADER_LEN); /* Ethernet as it came */
	assert_int_equal(gso_csum_complete(merged, mlen, vh.csum_start, vh.csum_offset), 0);
	assert_true(gso_l4_csum_ok(merged, mlen));
	/* Cut at gso_size, the payloads are the datagrams', in order. */
	for (int i = 0; i < 11; i++)
		assert_memory_equal(merged + hl + (size_t)i * 64, d[i] + hl, lens[i] - hl);

	/* What does not continue the flow. */
	assert_true(gso_merge_start(&m, d[0], lens[0], true));
	size_t l = udp_frame(other, 40002, 64, 0x11, false); /* another source port */
	assert_false(gso_merge_add(&m, other, l));
	l = udp_frame(other, 40001, 65, 0x11, false); /* larger than the first */
	assert_false(gso_merge_add(&m, other, l));
	l = udp_frame(other, 40001, 64, 0x11, false);
	other[l - 1] ^= 1; /* damaged */
	assert_false(gso_merge_add(&m, other, l));
	l = udp_frame(other, 40001, 64, 0x11, false);
	((struct ipv4_header *)(other + ETH_HEADER_LEN))->ttl = 63;
	packet_ipv4_set_csum((struct ipv4_header *)(other + ETH_HEADER_LEN));
	assert_false(gso_merge_add(&m, other, l));
	l = tcp_frame(other, 64, TCP_ACK); /* not UDP */
	assert_false(gso_merge_add(&m, other, l));
	assert_int_equal(m.n, 1);
	n_iov = gso_merge_finish(&m, &vh, iov);
	assert_int_equal(n_iov, 1);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_DATA_VALID);

	/* Not taken at all: no payload, a UDP length that disagrees. */
	l = udp_frame(other, 40001, 0, 0, false);
	assert_false(gso_merge_start(&m, other, l, true));
	l = udp_frame(other, 40001, 64, 0x11, false);
	((struct udp_header *)(other + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN))->len_be = htons(60);
	assert_false(gso_merge_start(&m, other, l, true));

	/* At most GSO_MERGE_MAX datagrams. */
	l = udp_frame(other, 40001, 16, 0x11, false);
	assert_true(gso_merge_start(&m, other, l, true));
	for (int i = 1; i < GSO_MERGE_MAX; i++)
		assert_true(gso_merge_add(&m, other, l));
	assert_false(gso_merge_add(&m, other, l));
	assert_int_equal(m.n, GSO_MERGE_MAX);
}

/* Frames with random damage (bytes flipped, lengths cut) never make the
 * functions read or write outside what they were given (ASan watches),
 * and what they accept keeps the invariants: segments add up to the
 * payload, each within an IPv4 packet; a coalesced frame is within one. */
static void test_random_frames(void **state)
{
	static uint8_t pkt[VXLAN_HEADER_LEN + 8192], hdrs[GSO_HDR_MAX * 64], f[4][2048];
	static struct gso_merge m;
	struct iovec iov[1 + GSO_MERGE_MAX], seg_iov[2 * 64];
	struct virtio_net_hdr vh;
	int accepted = 0, merged = 0;

	for (int round = 0; round < 4000; round++) {
		size_t payload = rng() % 6000, mss = 1 + rng() % 2000;
		size_t len = VXLAN_HEADER_LEN + tcp_frame(pkt + VXLAN_HEADER_LEN, payload, TCP_ACK);
		for (int k = rng() % 4; k > 0; k--)
			pkt[rng() % (VXLAN_HEADER_LEN + HDRS + 4)] ^= (uint8_t)(1 + rng() % 255);
		if (rng() % 4 == 0)
			len = rng() % (len + 1);
		/* A heap copy of exactly 'len' bytes: a read past it shows. */
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, pkt, len);
		struct gso_tcp g;
		if (!gso_tcp_init(&g, copy, len, VXLAN_HEADER_LEN, mss)) {
			size_t total = 0;
			accepted++;
			for (uint32_t first = 0; first < g.n_segs; first += 64) {
				uint32_t n = g.n_segs - first < 64 ? g.n_segs - first : 64;
				gso_tcp_segment(&g, first, n, hdrs, seg_iov);
				for (uint32_t k = 0; k < n; k++) {
					assert_true(seg_iov[2 * k + 1].iov_len <= mss);
					assert_true(seg_iov[2 * k + 1].iov_len > 0);
					total += seg_iov[2 * k + 1].iov_len;
				}
			}
			assert_int_equal(total, g.payload);
		}
		free(copy);

		/* Coalescing: segments of a fresh frame, one of them damaged. */
		size_t flen = tcp_frame(pkt, 4 * 400, TCP_ACK | (rng() % 2 ? TCP_PSH : 0));
		uint8_t segs[4][2048];
		size_t lens[4] = {0};
		uint32_t n = cut(pkt, flen, 400, segs, lens);
		assert_int_equal(n, 4);
		uint32_t victim = rng() % 4;
		for (int k = rng() % 3; k > 0; k--)
			segs[victim][rng() % lens[victim]] ^= (uint8_t)(1 + rng() % 255);
		if (rng() % 4 == 0)
			lens[victim] = rng() % (lens[victim] + 1);
		for (uint32_t i = 0; i < n; i++)
			memcpy(f[i], segs[i], lens[i]);
		if (!gso_merge_start(&m, f[0], lens[0], rng() % 2))
			continue;
		for (uint32_t i = 1; i < n; i++)
			if (!gso_merge_add(&m, f[i], lens[i]))
				break;
		size_t n_iov = gso_merge_finish(&m, &vh, iov);
		size_t total = 0;
		for (size_t i = 0; i < n_iov; i++)
			total += iov[i].iov_len;
		assert_true(total <= ETH_HEADER_LEN + GSO_IPV4_MAX);
		if (n_iov > 1) {
			merged++;
			assert_int_equal(total, m.hdr_len + m.total);
		}
	}
	/* Both kinds of input were mostly fine: the test saw the paths. */
	assert_true(accepted > 1000);
	assert_true(merged > 500);
}

/* The data path takes a UDP GRO message (a peer's segmentation offload
 * batch arrives as one) apart into its datagrams: small ones (copied out)
 * and large ones (decided in place) reach the port as the frames that
 * were sent, in order. The port is a socket pair (no virtio-net header:
 * nothing is coalesced back). */
static void test_datapath_gro_split(void **state)
{
	static const size_t payloads[] = {40, 1000};
	static uint8_t batch[8 * 2048], f[2048];
	struct dp_counters_registry *reg = dp_counters_registry_create();
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sin_len = sizeof sin;
	struct datapath *dp;
	struct dp_tables *t;
	char *error;
	int sv[2];

	/* A free UDP port for the underlay. */
	int probe = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(probe >= 0);
	assert_int_equal(bind(probe, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(probe, (struct sockaddr *)&sin, &sin_len), 0);
	close(probe);
	if (datapath_create(reg, ntohs(sin.sin_port), &dp, &error))
		fail_msg("datapath_create: %s", error);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	json_t *view = dp_fixture_view();
	error = dp_tables_build(view, reg, &t);
	json_decref(view);
	assert_null(error);
	int app1 = dp_tables_port_find(t, "onm0000000000b1");
	assert_true(app1 >= 0);
	dp_tables_port_set_cookie(t, (uint32_t)app1, (uintptr_t)sv[0] + 1);
	datapath_publish(dp, t);

	int s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	for (size_t k = 0; k < sizeof payloads / sizeof payloads[0]; k++) {
		/* Eight datagrams app2 (h3) -> app1 (here) of one size, each
		 * with its number in its source port, sent as one message. */
		size_t dgram = 0;
		for (int i = 0; i < 8; i++) {
			uint8_t *d = batch + (size_t)i * dgram;
			size_t len =
			    fx_udp(d + VXLAN_HEADER_LEN, &fx_app2_mac, &fx_app1_mac, FX_APP2,
				   FX_APP1, (uint16_t)(5000 + i), 53, 64, payloads[k]);
			dgram = fx_vxlan(d, len, FX_VNI_RED, 0, 1);
		}
		int seg = (int)dgram;
		assert_int_equal(setsockopt(s, SOL_UDP, UDP_SEGMENT, &seg, sizeof seg), 0);
		assert_int_equal(
		    sendto(s, batch, 8 * dgram, 0, (struct sockaddr *)&sin, sizeof sin),
		    (ssize_t)(8 * dgram));
		for (int i = 0; i < 8; i++) {
			struct pollfd pfd = {sv[1], POLLIN, 0};
			assert_int_equal(poll(&pfd, 1, 2000), 1);
			ssize_t n = read(sv[1], f, sizeof f);
			assert_int_equal(n, (ssize_t)(dgram - VXLAN_HEADER_LEN));
			assert_memory_equal(f, batch + (size_t)i * dgram + VXLAN_HEADER_LEN,
					    (size_t)n);
		}
	}
	close(s);
	datapath_destroy(dp);
	close(sv[0]);
	close(sv[1]);
	dp_counters_registry_destroy(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csum_partial),       cmocka_unit_test(test_segment_super_frame),
	    cmocka_unit_test(test_segment_refused),    cmocka_unit_test(test_csum_complete),
	    cmocka_unit_test(test_merge_round_trip),   cmocka_unit_test(test_merge_refused),
	    cmocka_unit_test(test_merge_udp),	       cmocka_unit_test(test_random_frames),
	    cmocka_unit_test(test_datapath_gro_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
