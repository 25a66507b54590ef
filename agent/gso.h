/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Segmentation and coalescing offloads done in software by the data path,
 * so that a 64 KiB TCP segment crosses the agent in a few system calls.
 *
 * A port's TAP carries a virtio-net header (linux/virtio_net.h) before
 * each frame. With the TAP's offloads on, the instance's TCP stack hands
 * the agent "super-frames" of up to 64 KiB with the TCP checksum left
 * partial (VIRTIO_NET_HDR_F_NEEDS_CSUM, the pseudo-header sum in the
 * checksum field) and the segment size in gso_size. The data path runs
 * the pipeline once per super-frame, then:
 *
 *  - gso_tcp_init() / gso_tcp_segment() cut it into the segments the wire
 *    carries (an instance's kernel would have sent the same ones): each
 *    segment gets a copy of the headers with its own IPv4 total length,
 *    identifier (the first's + i) and header checksum, its own TCP sequence
 *    number, FIN/PSH on the last segment only, CWR on the first only, and a
 *    complete TCP checksum. The headers are written to caller-provided
 *    memory and the payload is not copied: each segment is two iovecs
 *    (headers, payload slice), ready for one sendmsg() with UDP_SEGMENT.
 *    A prefix before the Ethernet header (the VXLAN header the pipeline
 *    prepended) is copied into each segment's headers unchanged.
 *
 *  - gso_csum_complete() finishes a partial checksum of a frame that is
 *    not segmented (a UDP datagram or a small TCP segment).
 *
 * On the way in, the underlay delivers the segments one by one (or as one
 * UDP GRO datagram holding many). gso_merge_start() / gso_merge_add() /
 * gso_merge_finish() coalesce consecutive in-order segments of one TCP
 * flow (same headers but for what segmentation changes, contiguous
 * sequence numbers, ACK/PSH only, every segment's checksum verified) into
 * one super-frame, written to the destination TAP with one writev() and a
 * GSO virtio-net header: the instance's kernel takes it as it takes a
 * GRO'd packet from a NIC. Consecutive UDP datagrams of one flow and one
 * size (the last may be shorter) coalesce the same way into a UDP GSO
 * frame (VIRTIO_NET_HDR_GSO_UDP_L4, Linux 6.2 and later): the instance's
 * kernel splits it into the same datagrams again before its sockets see
 * them (or hands it whole to a socket that asked for UDP GRO).
 *
 * Everything here is pure (bytes in, bytes and iovecs out): no system
 * call, no allocation, no state beyond the caller's structs.
 */
#ifndef ONM_AGENT_GSO_H
#define ONM_AGENT_GSO_H

#include "onm/util.h"

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Bytes before the Ethernet header that segmentation copies into every
 * segment, at most (a VXLAN header). */
#define GSO_PREFIX_MAX 8
/* Bytes of Ethernet + IPv4 + TCP headers, at most. */
#define GSO_FRAME_HDR_MAX (14 + 60 + 60)
/* Bytes of one segment's headers, at most. */
#define GSO_HDR_MAX (GSO_PREFIX_MAX + GSO_FRAME_HDR_MAX)
/* Segments gso_merge_add() coalesces into one frame, at most. */
#define GSO_MERGE_MAX 64
/* Largest IPv4 packet, bytes. */
#define GSO_IPV4_MAX 65535

/* A TCP super-frame being cut into segments (gso_tcp_init()). */
struct gso_tcp {
	const uint8_t *pkt; /* the prefix, then the Ethernet frame */
	size_t prefix;	    /* bytes before the Ethernet header */
	size_t l3_ofs;	    /* IPv4 header, from 'pkt' */
	size_t l4_ofs;	    /* TCP header, from 'pkt' */
	size_t hdr_len;	    /* prefix + Ethernet + IPv4 + TCP headers, bytes */
	size_t payload;	    /* TCP payload bytes of the super-frame */
	size_t mss;	    /* payload bytes of every segment but the last */
	uint32_t n_segs;    /* segments it makes */
};

/* Prepares cutting the IPv4 TCP packet 'pkt' ('prefix' bytes, an Ethernet
 * header, IPv4 without fragmentation, TCP; 'len' bytes in all, of which
 * bytes beyond the IPv4 total length are ignored) into segments of 'mss'
 * payload bytes. Returns 0, or -EINVAL if 'pkt' is not such a packet, has
 * no payload, or 'mss' is 0 or 'prefix' larger than GSO_PREFIX_MAX. */
int gso_tcp_init(struct gso_tcp *g, const uint8_t *pkt, size_t len, size_t prefix,
		 size_t mss) WARN_UNUSED_RESULT;

/* Bytes of segment 'i' of 'g' (headers and payload). */
static inline size_t gso_tcp_seg_len(const struct gso_tcp *g, uint32_t i)
{
	size_t off = (size_t)i * g->mss;
	size_t left = g->payload - off;

	return g->hdr_len + (left < g->mss ? left : g->mss);
}

/* Makes segments first .. first + n - 1 of 'g' (n <= g->n_segs - first):
 * the headers of the k-th one at hdrs + k * g->hdr_len ('hdrs' holds n *
 * g->hdr_len bytes), iov[2k] = those headers and iov[2k + 1] = its payload
 * (pointing into g->pkt, which must stay as it is until the iovecs are
 * used). Checksums are complete. */
void gso_tcp_segment(const struct gso_tcp *g, uint32_t first, uint32_t n, uint8_t *hdrs,
		     struct iovec *iov);

/* Completes the partial checksum of the frame 'frame' of 'len' bytes as
 * the virtio-net header describes it: the one's complement sum of the
 * bytes from 'csum_start' to the end (the checksum field, at 'csum_start'
 * + 'csum_offset', holding the pseudo-header sum) is stored there,
 * complemented (0 stored as 0xffff). Returns 0, or -EINVAL if the field is
 * not within the frame. */
int gso_csum_complete(uint8_t *frame, size_t len, size_t csum_start,
		      size_t csum_offset) WARN_UNUSED_RESULT;

/* True if the IPv4 TCP or UDP frame 'frame' (Ethernet, IPv4 with its total
 * length within 'len', a first fragment... as packet_parse_frame() would
 * accept) has a correct L4 checksum: TCP always, UDP unless it carries
 * none (0). False for anything else, or a fragment. */
bool gso_l4_csum_ok(const uint8_t *frame, size_t len);

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5 /* linux/virtio_net.h, since Linux 6.2 */
#endif

/* Consecutive TCP segments, or UDP datagrams, of one flow being coalesced
 * into one frame. */
struct gso_merge {
	uint8_t hdr[GSO_FRAME_HDR_MAX];	 /* the first segment's headers, then the result's */
	size_t hdr_len;			 /* bytes of 'hdr' (Ethernet + IPv4 + TCP or UDP) */
	uint8_t proto;			 /* IP_PROTO_TCP or IP_PROTO_UDP */
	struct iovec seg[GSO_MERGE_MAX]; /* each segment as it came (all headers 'hdr_len') */
	uint32_t n;			 /* segments so far */
	uint32_t next_seq;		 /* TCP: sequence number the next segment must have */
	size_t mss;			 /* payload bytes of the first segment */
	size_t total;			 /* payload bytes of all segments */
	bool closed;			 /* nothing may follow (a short segment, PSH) */
	bool push;			 /* TCP: the last segment had PSH */
};

/* Starts coalescing with 'frame' ('len' bytes, an Ethernet frame): returns
 * true if it is an IPv4 packet without options or fragmentation, with a
 * correct checksum (a UDP datagram may have none) and payload, and
 * either TCP with only ACK (and PSH) set or, if 'udp', UDP; 'm' then holds
 * it. 'frame' must stay as it is until gso_merge_finish()'s iovecs are
 * used. */
bool gso_merge_start(struct gso_merge *m, const uint8_t *frame, size_t len, bool udp);

/* Appends 'frame' to 'm' if it continues the same flow (see
 * gso_merge_start(); equal headers but for the IP identifier, total
 * length and checksums; TCP: the sequence number the last segment ended
 * at; no more payload than the first; a correct checksum) and the result
 * stays within GSO_MERGE_MAX segments and an IPv4 packet's size. Returns
 * true if it did. */
bool gso_merge_add(struct gso_merge *m, const uint8_t *frame, size_t len);

/* Ends coalescing: fills '*vh' and 'iov' (room for 1 + GSO_MERGE_MAX) with
 * the frame to write after the virtio-net header and returns the number
 * of iovecs. One segment: the frame as it came, its checksum marked valid
 * (VIRTIO_NET_HDR_F_DATA_VALID). Several: m->hdr (rewritten: total length,
 * IP checksum; TCP: PSH of the last; UDP: length; the pseudo-header sum as
 * a partial checksum) then every payload, as a VIRTIO_NET_HDR_GSO_TCPV4 or
 * VIRTIO_NET_HDR_GSO_UDP_L4 frame. The segments stay in m->seg, to be
 * written one by one if a TAP refuses the whole. */
size_t gso_merge_finish(struct gso_merge *m, struct virtio_net_hdr *vh, struct iovec *iov);

#endif /* ONM_AGENT_GSO_H */
