/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The data-plane thread: moves packets between the instances' TAP devices
 * and the underlay with batched I/O, deciding each with the pipeline
 * (pipeline.h) against the published table snapshot.
 *
 * I/O. One epoll set holds every port's TAP descriptor, the underlay
 * socket (UDP 0.0.0.0:4789) and an eventfd for wake-ups. Each round reads
 * up to DATAPATH_BURST frames from every ready TAP and up to
 * DATAPATH_BURST messages from the underlay with one recvmmsg(); frames
 * for local ports are written to their TAP at once; datagrams for the
 * underlay are collected and sent with one sendmmsg() per source socket at
 * the end of the round (or earlier when 256 KiB are waiting, or buffers
 * run short), runs of equal-size datagrams to one next hop with one outer
 * TOS as one UDP segmentation offload message (the kernel takes them
 * through its stack as one). The outer source port carries flow entropy:
 * the pipeline's flow-hash port picks one of DATAPATH_TX_SOCKETS sockets
 * bound to ports 49152 + k. The service class travels as the outer DSCP:
 * each message carries its TOS byte as IP_TOS control data, and received
 * messages report theirs (IP_RECVTOS) with the outer source address and
 * port to the pipeline (struct dp_outer). Packet buffers (68 KiB each) are
 * preallocated and reference counted; a packet costs no allocation, no
 * lock and no system call beyond these.
 *
 * Offloads (gso.h). A port's TAP carries a virtio-net header (port.h), so
 * an instance hands over TCP segments of up to 64 KiB with partial
 * checksums: the pipeline decides each such super-frame once, then it is
 * cut into wire-size segments with complete checksums (UDP datagrams with a
 * partial checksum are completed) and queued as above; between two local
 * ports the header passes on as it is. The underlay socket has UDP GRO on,
 * so a peer's segmentation offload message arrives as one; its datagrams
 * are decided one by one, in place, and consecutive TCP segments (or
 * equal-size UDP datagrams) of one flow for one port, their checksums
 * verified, are written to the TAP as one GSO frame. A TAP opened without
 * the header (kept from an earlier agent), or a descriptor that is not a
 * TAP (tests), gets and gives bare frames. Counters count a super-frame as
 * one packet.
 *
 * Publication and reclamation. The control thread hands over each new
 * table snapshot with datapath_publish(): one atomic pointer swap, which
 * the data-plane thread reads once per round. The data-plane thread bumps
 * an epoch counter at the end of every round; a replaced snapshot (and a
 * port's descriptor given to datapath_close_deferred()) is freed (closed)
 * by datapath_reclaim() only once the epoch has moved past the value it
 * had when the snapshot was replaced, that is, once the round that might
 * still have used it is over. A publication also wakes the data-plane
 * thread so that the epoch advances even when no packet arrives.
 *
 * Ports. The tables number ports 0..n-1; the runtime attaches each port's
 * TAP descriptor to the snapshot as its cookie (descriptor + 1, 0 for a
 * port without a TAP) before publishing. Publishing also brings the epoll
 * set in line with the snapshot (adds new descriptors, removes the ones the
 * snapshot no longer has), and carries the descriptor -> port index map
 * the data-plane thread uses for what it reads; so a change of the port set
 * reaches the data plane with the snapshot, without a lock on the packet
 * path.
 *
 * Thread-safety: every function is for the control thread (one thread);
 * the data-plane thread is internal.
 */
#ifndef ONM_AGENT_DATAPATH_H
#define ONM_AGENT_DATAPATH_H

#include "counters.h"
#include "tables.h"

#include <stdbool.h>
#include <stdint.h>

/* Frames read from one TAP, and datagrams from the underlay, per round. */
#define DATAPATH_BURST 32
/* Sockets the underlay traffic is sent from, bound to ports 49152 + k. */
#define DATAPATH_TX_SOCKETS 16
/* First source port of the sending sockets. */
#define DATAPATH_TX_PORT_BASE 49152

struct datapath;

/* Opens the underlay sockets and starts the data-plane thread, counting in
 * 'reg' (which must outlive the datapath) as data-plane thread 0.
 * 'underlay_port' is the UDP port to receive on (VXLAN_PORT; tests may
 * pick another). Returns 0 and sets '*dp', or returns -errno and sets
 * '*error' to an allocated message. */
int datapath_create(struct dp_counters_registry *reg, uint16_t underlay_port, struct datapath **dp,
		    char **error) WARN_UNUSED_RESULT;

/* Like datapath_create(), with the underlay socket bound to the address
 * 'underlay_addr' (host order; 0 = every address, as datapath_create()
 * does) rather than to all: e.g. so that tests can listen as next hops on
 * other loopback addresses with the same port. */
int datapath_create_on(struct dp_counters_registry *reg, uint32_t underlay_addr,
		       uint16_t underlay_port, struct datapath **dp,
		       char **error) WARN_UNUSED_RESULT;

/* Stops the thread, closes the underlay sockets and every descriptor still
 * waiting for datapath_close_deferred(), and frees every snapshot. The
 * ports' descriptors of the current snapshot stay the caller's. Accepts
 * NULL. */
void datapath_destroy(struct datapath *);

/* Publishes 't' (ownership passes to the datapath) as the tables the data
 * plane uses from its next round on. Port cookies must be set. */
void datapath_publish(struct datapath *, struct dp_tables *t);

/* The snapshot published last (NULL before the first), for reading on the
 * control thread; it stays valid until the next datapath_publish(). */
const struct dp_tables *datapath_tables(const struct datapath *);

/* Closes 'fd' once the data-plane thread can no longer be using it. Call it
 * after publishing a snapshot without the port. */
void datapath_close_deferred(struct datapath *, int fd);

/* Frees the snapshots and closes the descriptors the data-plane thread has
 * moved past. Returns true if some are still waiting (call again later). */
bool datapath_reclaim(struct datapath *);

/* Sends runs of equal-size datagrams to one next hop as one message with
 * UDP segmentation offload while 'on' (the default; turned off by itself
 * if the kernel cannot do it). */
void datapath_set_gso(struct datapath *, bool on);

/* Logs every packet's fate (rate-limited) while 'on'. */
void datapath_set_debug(struct datapath *, bool on);

/* The data-plane thread's rounds so far (tests, health). */
uint64_t datapath_epoch(const struct datapath *);

/* The routers' own packets (router-ping.h, pipeline.h dp_from_router()):
 * frames go to the data-plane thread and answers come back through two
 * single-producer single-consumer rings of DATAPATH_OWN_QUEUE frames each,
 * without a lock; the data-plane thread never waits for the control
 * thread (a full ring drops, counted as queue_full). */
#define DATAPATH_OWN_QUEUE 64
/* Bytes of one such frame, at most. */
#define DATAPATH_FRAME_MAX 1536

struct datapath_frame {
	uint64_t time_us;		  /* answers: when the data plane got it, monotonic */
	uint32_t vni;			  /* the VN of the frame */
	uint16_t len;			  /* bytes of 'data' */
	uint8_t data[DATAPATH_FRAME_MAX]; /* the Ethernet frame */
};

/* Hands the frame 'frame' of 'len' bytes, an IPv4 packet a router of the
 * VN of 'vni' sends from one of its addresses, to the data-plane thread,
 * which routes it (dp_from_router()) in its next round. Returns 0,
 * -EMSGSIZE if 'len' is over DATAPATH_FRAME_MAX, or -ENOBUFS if
 * DATAPATH_OWN_QUEUE frames are still waiting. */
int datapath_send_own(struct datapath *, uint32_t vni, const void *frame,
		      size_t len) WARN_UNUSED_RESULT;

/* A descriptor that becomes readable when answers for the routers
 * (DP_TO_LOCAL) are waiting: watch it for reading, then call
 * datapath_take_own() until it returns false. */
int datapath_own_fd(const struct datapath *);

/* Copies the next answer for the routers to '*f' and returns true, or
 * returns false if none is waiting. */
bool datapath_take_own(struct datapath *, struct datapath_frame *f);

#endif /* ONM_AGENT_DATAPATH_H */
