// SPDX-License-Identifier: Apache-2.0
/*
 * The data-plane thread and its hand-over with the control thread (see
 * datapath.h): an epoll loop over the TAPs and the underlay socket that
 * reads in bursts, runs the pipeline on each packet (once per TCP
 * super-frame) and writes or queues the result, with a preallocated pool
 * of reference-counted packet buffers, software segmentation and
 * coalescing (gso.h), and sendmmsg() batches per source socket with UDP
 * segmentation offload.
 */
#include "datapath.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define LOG_MODULE "datapath"
#include "gso.h"
#include "onm/log.h"
#include "onm/net.h"
#include "onm/packet.h"
#include "pipeline.h"
#include "port.h"

/* Packet buffers in the pool; a round sends its queued datagrams early
 * when it runs short of them. */
#define POOL_SIZE 256
/* Bytes of one buffer: headroom, then a 64 KiB TCP super-frame from a TAP
 * or a UDP GRO datagram of up to 64 KiB from the underlay. The pages of a
 * buffer are touched only as far as packets fill it. */
#define BUF_SIZE (68 * 1024)
/* Ready descriptors taken per epoll_wait(). */
#define MAX_EVENTS 64
/* Socket buffers of the underlay sockets, bytes. */
#define UNDERLAY_SOCKBUF_SIZE (4 << 20)
/* Datagrams sent as one UDP segmentation offload message, at most, and
 * their bytes (an IPv4 datagram's limit, less headers, rounded down). */
#define GSO_MAX_SEGMENTS 64
#define GSO_MAX_SIZE 65000
/* Datagrams queued for the underlay, at most, their iovecs, and the bytes
 * of segment headers made for them; a full queue is sent at once. */
#define TX_MAX 2048
#define TX_IOV_MAX (2 * TX_MAX)
#define TX_HDRS_SIZE (TX_MAX * GSO_HDR_MAX)
/* Bytes queued for the underlay after which they are sent at once, and
 * bytes received from it after which the next receive takes fewer
 * messages (RX_BURST_BIG): what the kernel copies should still be in the
 * core's cache when the data path reads it, and the other way round (a
 * round of 32 TCP super-frames would be 2 MiB). */
#define TX_FLUSH_BYTES (256 * 1024)
#define RX_BIG_BYTES (256 * 1024)
#define RX_BURST_BIG 4
/* Datagrams of a UDP GRO message shorter than this are copied to a buffer
 * of their own (with the headroom and tailroom a reply may need) rather
 * than decided in place: 8 bytes of VXLAN plus the largest ICMP error the
 * pipeline writes over a frame (14 + 20 + 8 + 60 + 8), rounded up. */
#define SMALL_DATAGRAM 128
/* Bytes of a TAP's virtio-net header. */
#define VNET_HDR_LEN sizeof(struct virtio_net_hdr)

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h, since Linux 4.18 */
#endif
#ifndef UDP_GRO
#define UDP_GRO 104 /* linux/udp.h, since Linux 5.0 */
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

/* Control buffer of one sent message: the outer TOS byte (IP_TOS: the
 * class's DSCP) and, for several datagrams, their size (UDP_SEGMENT). */
union tx_control {
	char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(uint16_t))];
	struct cmsghdr align;
};

/* Control buffer of one received message: the datagram size (UDP_GRO) and
 * the outer TOS byte (IP_TOS, one byte; the same for every datagram of a
 * GRO message, as GRO never merges packets whose TOS differs). */
union rx_control {
	char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

_Static_assert(DP_BUF_MIN_SIZE <= BUF_SIZE, "buffers too small for the pipeline");
_Static_assert(DP_BUF_HEADROOM + VNET_HDR_LEN + ETH_HEADER_LEN + GSO_IPV4_MAX <= BUF_SIZE,
	       "buffers too small for a super-frame");
_Static_assert(POOL_SIZE >= 4 * DATAPATH_BURST, "pool smaller than four bursts");
_Static_assert(SMALL_DATAGRAM >= VXLAN_HEADER_LEN + 14 + 20 + 8 + 60 + 8,
	       "in-place datagrams too small for an ICMP error");

/* What an epoll event is about: the kind in the upper 32 bits of its data,
 * a descriptor in the lower ones. */
enum event_kind {
	EV_WAKE = 1,	 /* the eventfd */
	EV_UNDERLAY = 2, /* the underlay socket */
	EV_TAP = 3,	 /* a port's TAP; the lower bits are its descriptor */
};

static uint64_t event_data(enum event_kind kind, int fd)
{
	return (uint64_t)kind << 32 | (uint32_t)fd;
}

/* A published table snapshot with the runtime's per-snapshot maps. */
struct snapshot {
	struct dp_tables *tables; /* owned */
	int32_t *fd_port;	  /* descriptor -> port index, -1 if none; 'n_fd' entries */
	bool *fd_vnet;		  /* descriptor -> frames carry a virtio-net header */
	uint32_t n_fd;		  /* largest descriptor of a port + 1 */
	int *fds;		  /* descriptors of the ports that have one */
	uint32_t n_fds;		  /* entries of 'fds' */
};

/* Something the data-plane thread may still use: freed or closed once the
 * epoch is past 'epoch'. */
struct retired {
	struct retired *next;
	uint64_t epoch;	       /* the epoch when it was retired */
	struct snapshot *snap; /* a snapshot to free, or NULL */
	int fd;		       /* a descriptor to close, or -1 */
};

/* A datagram waiting to be sent. */
struct tx_dgram {
	uint32_t buf;	  /* the buffer its bytes are in (it holds a reference) */
	uint32_t addr_be; /* next hop, network order */
	uint32_t iov;	  /* its first iovec in 'tx_src_iov' */
	uint32_t len;	  /* bytes */
	uint16_t n_iov;	  /* iovecs: 1, or 2 for a segment (headers, payload) */
	uint16_t sock;	  /* index of the socket to send it from */
	uint8_t tos;	  /* outer TOS byte: the class's DSCP << 2 */
};

/* Frames between the threads (datapath.h, "The routers' own packets"):
 * one thread puts, the other takes. 'head' and 'tail' count frames ever
 * put and taken; the slot of frame n is n % DATAPATH_OWN_QUEUE. */
struct own_ring {
	atomic_uint_fast32_t head; /* written by the producer */
	atomic_uint_fast32_t tail; /* written by the consumer */
	struct datapath_frame slots[DATAPATH_OWN_QUEUE];
};

/* The slot to fill next, or NULL if the ring is full (producer). */
static struct datapath_frame *own_ring_slot(struct own_ring *r)
{
	uint_fast32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint_fast32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);

	return head - tail < DATAPATH_OWN_QUEUE ? &r->slots[head % DATAPATH_OWN_QUEUE] : NULL;
}

/* Publishes the slot own_ring_slot() gave (producer). */
static void own_ring_put(struct own_ring *r)
{
	atomic_fetch_add_explicit(&r->head, 1, memory_order_release);
}

/* The oldest frame, or NULL if none (consumer). */
static struct datapath_frame *own_ring_peek(struct own_ring *r)
{
	uint_fast32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint_fast32_t head = atomic_load_explicit(&r->head, memory_order_acquire);

	return head != tail ? &r->slots[tail % DATAPATH_OWN_QUEUE] : NULL;
}

/* Frees the slot own_ring_peek() gave (consumer). */
static void own_ring_pop(struct own_ring *r)
{
	atomic_fetch_add_explicit(&r->tail, 1, memory_order_release);
}

/* TCP segments from the underlay being coalesced for one port. */
struct rx_merge {
	bool active;		      /* 'm' holds segments */
	int fd;			      /* the port's TAP */
	uint32_t port;		      /* its index in the round's snapshot */
	uint32_t bufs[GSO_MERGE_MAX]; /* buffers of the segments (a reference each) */
	uint32_t n_bufs;
	struct gso_merge m;
};

struct datapath {
	/* Shared between the threads. */
	_Atomic(struct snapshot *) current; /* the snapshot in use */
	atomic_uint_fast64_t epoch;	    /* rounds completed by the data-plane thread */
	atomic_bool stop;		    /* the thread is to exit */
	atomic_bool debug;		    /* log each packet's fate */
	atomic_bool gso;		    /* send with UDP segmentation offload */

	/* Set up by datapath_create(), then read-only. */
	int epfd;			  /* epoll set of the data-plane thread */
	int wakefd;			  /* eventfd that interrupts epoll_wait() */
	int ownfd;			  /* eventfd: answers for the routers wait in 'own_rx' */
	struct own_ring *own_tx;	  /* routers' own packets, control -> data plane */
	struct own_ring *own_rx;	  /* answers for the routers, data plane -> control */
	int rx_fd;			  /* underlay socket, 0.0.0.0:underlay_port */
	uint16_t underlay_port;		  /* UDP port of every agent (VXLAN_PORT) */
	int tx_fd[DATAPATH_TX_SOCKETS];	  /* sending sockets */
	struct dp_counters_registry *reg; /* counters, not owned */
	uint64_t *drops;		  /* thread 0's drop-reason counters */
	pthread_t thread;		  /* the data-plane thread */
	bool running;			  /* 'thread' was started */

	/* Control thread only. */
	struct snapshot *published; /* the last snapshot published (== current) */
	struct retired *retired;    /* waiting for the epoch, oldest last */

	/* Data-plane thread only. */
	struct dp_ctx *ctx;		     /* the pipeline's context (conntrack) */
	uint8_t *storage;		     /* POOL_SIZE buffers of BUF_SIZE bytes */
	struct dp_buf bufs[POOL_SIZE];	     /* the packet in each buffer */
	uint16_t refs[POOL_SIZE];	     /* references to each buffer */
	uint32_t free_bufs[POOL_SIZE];	     /* stack of free buffer indices */
	uint32_t n_free;		     /* entries of 'free_bufs' */
	struct rx_merge merge;		     /* segments from the underlay being coalesced */
	bool no_udp_merge;		     /* the TAPs refuse UDP GSO frames */
	bool own_pending;		     /* answers were put in 'own_rx' this round */
	struct tx_dgram tx[TX_MAX];	     /* datagrams queued */
	uint32_t n_tx;			     /* entries of 'tx' */
	size_t tx_bytes;		     /* their bytes */
	struct iovec tx_src_iov[TX_IOV_MAX]; /* their iovecs */
	uint32_t n_tx_iov;		     /* entries of 'tx_src_iov' */
	uint8_t *tx_hdrs;		     /* TX_HDRS_SIZE bytes of segment headers */
	size_t tx_hdrs_used;		     /* bytes of 'tx_hdrs' in use */
	uint32_t tx_order[TX_MAX];	     /* 'tx' indices sorted by socket */
	struct mmsghdr tx_msgs[TX_MAX];	     /* sendmmsg() messages, by socket */
	uint32_t tx_msg_first[TX_MAX];	     /* each message's first datagram in 'tx_order' */
	uint16_t tx_msg_n[TX_MAX];	     /* and its datagrams */
	struct iovec tx_iov[TX_IOV_MAX];     /* the messages' iovecs */
	struct sockaddr_in tx_addr[TX_MAX];
	union tx_control tx_control[TX_MAX];	/* of the messages */
	struct mmsghdr rx_msgs[DATAPATH_BURST]; /* recvmmsg() vectors */
	struct iovec rx_iov[DATAPATH_BURST];
	struct sockaddr_in rx_addr[DATAPATH_BURST];
	union rx_control rx_control[DATAPATH_BURST];
	uint32_t rx_buf[DATAPATH_BURST]; /* buffer of each rx_msgs[] entry */
	unsigned int rx_burst;		 /* messages the next recvmmsg() takes */
	struct epoll_event events[MAX_EVENTS];
};

static void snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	dp_tables_destroy(s->tables);
	free(s->fd_port);
	free(s->fd_vnet);
	free(s->fds);
	free(s);
}

static bool snapshot_has_fd(const struct snapshot *s, int fd)
{
	return s && fd >= 0 && (uint32_t)fd < s->n_fd && s->fd_port[fd] >= 0;
}

/* The TAP descriptor of port 'port' of 'snap', or -1 if it has none. */
static int port_fd(const struct snapshot *snap, uint32_t port)
{
	uintptr_t cookie =
	    port < dp_tables_n_ports(snap->tables) ? dp_tables_port_cookie(snap->tables, port) : 0;
	return cookie ? (int)(cookie - 1) : -1;
}

/* Data-plane thread: buffers. A buffer has one reference per user: the
 * code that read into it, each queued datagram pointing into it, the
 * coalescing of its segments; the last one to let go puts it back. */

static uint32_t buf_get(struct datapath *dp)
{
	uint32_t i = dp->free_bufs[--dp->n_free];
	dp_buf_init(&dp->bufs[i], dp->storage + (size_t)i * BUF_SIZE, BUF_SIZE);
	dp->refs[i] = 1;
	return i;
}

static void buf_ref(struct datapath *dp, uint32_t i)
{
	dp->refs[i]++;
}

static void buf_put(struct datapath *dp, uint32_t i)
{
	if (!--dp->refs[i])
		dp->free_bufs[dp->n_free++] = i;
}

static void drop_count(struct datapath *dp, enum dp_drop_reason reason)
{
	dp_counter_add(&dp->drops[reason], 1);
}

static bool debugging(const struct datapath *dp)
{
	return atomic_load_explicit(&dp->debug, memory_order_relaxed);
}

/* Data-plane thread: the underlay. */

/* Counts and logs the failure of 'n' datagrams to 'sin'. */
static void send_failed(struct datapath *dp, const struct sockaddr_in *sin, int err, unsigned int n)
{
	char addr[IPV4_ADDR_STRLEN];
	ipv4_format(ntohl(sin->sin_addr.s_addr), addr);
	dp_counter_add(&dp->drops[DP_DROP_NO_ROUTE], n);
	LOG_WARN_RL("underlay send to %s: %s; %u datagrams dropped", addr, strerror(err), n);
}

/* Sets the control data of message 'm' in 'c': the outer TOS byte 'tos'
 * unless 0 (the sockets' default) and, if 'seg' is not 0, UDP segmentation
 * into datagrams of 'seg' bytes. No control data if neither. */
static void tx_control_set(struct msghdr *m, union tx_control *c, uint8_t tos, uint16_t seg)
{
	struct cmsghdr *cm;
	size_t len = 0;

	m->msg_control = NULL;
	m->msg_controllen = 0;
	if (!tos && !seg)
		return;
	memset(c, 0, sizeof *c);
	m->msg_control = c->buf;
	m->msg_controllen = sizeof c->buf;
	cm = CMSG_FIRSTHDR(m);
	if (tos) {
		int value = tos;
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_TOS;
		cm->cmsg_len = CMSG_LEN(sizeof value);
		memcpy(CMSG_DATA(cm), &value, sizeof value);
		len += CMSG_SPACE(sizeof value);
		cm = CMSG_NXTHDR(m, cm);
	}
	if (seg) {
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof seg);
		memcpy(CMSG_DATA(cm), &seg, sizeof seg);
		len += CMSG_SPACE(sizeof seg);
	}
	m->msg_controllen = len;
}

/* Sends the datagrams of GSO message 'mi' one by one (the kernel refused
 * them as one). */
static void send_unsegmented(struct datapath *dp, int fd, uint32_t mi)
{
	struct mmsghdr one[GSO_MAX_SEGMENTS];
	const struct msghdr *m = &dp->tx_msgs[mi].msg_hdr;
	unsigned int n = dp->tx_msg_n[mi];
	/* The datagrams of a message share their TOS: one control buffer. */
	union tx_control control;
	struct msghdr tos = {0};
	tx_control_set(&tos, &control, dp->tx[dp->tx_order[dp->tx_msg_first[mi]]].tos, 0);
	for (unsigned int i = 0; i < n; i++) {
		const struct tx_dgram *d = &dp->tx[dp->tx_order[dp->tx_msg_first[mi] + i]];
		one[i] = (struct mmsghdr){
		    .msg_hdr =
			{
			    .msg_name = m->msg_name,
			    .msg_namelen = m->msg_namelen,
			    .msg_iov = &dp->tx_src_iov[d->iov],
			    .msg_iovlen = d->n_iov,
			    .msg_control = tos.msg_control,
			    .msg_controllen = tos.msg_controllen,
			},
		};
	}
	unsigned int done = 0;
	while (done < n) {
		int sent = sendmmsg(fd, one + done, n - done, MSG_DONTWAIT);
		if (sent > 0) {
			done += (unsigned int)sent;
		} else if (sent < 0 && errno == EINTR) {
			continue;
		} else {
			send_failed(dp, m->msg_name, sent < 0 ? errno : EIO, 1);
			done++;
		}
	}
}

/* Sends messages first .. first + n - 1 of 'tx_msgs' (each one datagram,
 * or several as one GSO message) from socket 'fd'; what the kernel
 * refuses is dropped and counted. */
static void send_group(struct datapath *dp, int fd, uint32_t first, unsigned int n)
{
	uint32_t mi = first;
	while (n) {
		int sent = sendmmsg(fd, &dp->tx_msgs[mi], n, MSG_DONTWAIT);
		if (sent > 0) {
			mi += (uint32_t)sent;
			n -= (unsigned int)sent;
			continue;
		}
		if (sent < 0 && errno == EINTR)
			continue;
		int err = sent < 0 ? errno : EIO;
		if (err == EAGAIN || err == ENOBUFS) {
			/* The socket's buffer is full: the rest would fail too. */
			unsigned int lost = 0;
			for (unsigned int i = 0; i < n; i++)
				lost += dp->tx_msg_n[mi + i];
			dp_counter_add(&dp->drops[DP_DROP_QUEUE_FULL], lost);
			LOG_WARN_RL("underlay send: %s; %u datagrams dropped", strerror(err), lost);
			return;
		}
		const struct msghdr *m = &dp->tx_msgs[mi].msg_hdr;
		if (dp->tx_msg_n[mi] > 1 && (err == EINVAL || err == EMSGSIZE || err == EIO)) {
			/* Segmentation refused: datagrams larger than the
			 * path's MTU (an instance raised its MTU), or no
			 * checksum offload on the way (EIO: then never again). */
			if (err == EIO) {
				LOG_WARN_RL("underlay send: UDP segmentation offload fails (%s); "
					    "sending datagrams one by one",
					    strerror(err));
				atomic_store_explicit(&dp->gso, false, memory_order_relaxed);
			}
			send_unsegmented(dp, fd, mi);
		} else {
			/* This one cannot go (no route to the next hop, ...). */
			send_failed(dp, m->msg_name, err, dp->tx_msg_n[mi]);
		}
		mi++;
		n--;
	}
}

/* Sends every queued datagram, one sendmmsg() batch per source socket, and
 * lets go of their buffers. Consecutive datagrams of a socket to the same
 * next hop, with the same outer TOS and of the same size (the last may be
 * shorter) go as one message with UDP segmentation offload (UDP_SEGMENT):
 * the kernel takes them through the stack as one packet and cuts them
 * apart as late as it can (a receiver with UDP_GRO gets them as one); on
 * the wire they are the same datagrams. Each message carries its TOS
 * (IP_TOS) as control data, so a class costs no socket of its own. */
static void tx_flush(struct datapath *dp)
{
	uint32_t start[DATAPATH_TX_SOCKETS + 1] = {0};
	uint32_t next[DATAPATH_TX_SOCKETS];
	if (!dp->n_tx)
		return;

	/* Counting sort by socket, keeping the order within a socket. */
	for (uint32_t i = 0; i < dp->n_tx; i++)
		start[dp->tx[i].sock + 1]++;
	for (unsigned int s = 0; s < DATAPATH_TX_SOCKETS; s++)
		start[s + 1] += start[s];
	memcpy(next, start, sizeof next);
	for (uint32_t i = 0; i < dp->n_tx; i++)
		dp->tx_order[next[dp->tx[i].sock]++] = i;

	bool gso = atomic_load_explicit(&dp->gso, memory_order_relaxed);
	uint32_t n_msgs = 0, n_iov = 0;
	for (unsigned int s = 0; s < DATAPATH_TX_SOCKETS; s++) {
		uint32_t end = start[s + 1], first_msg = n_msgs;
		for (uint32_t i = start[s]; i < end;) {
			const struct tx_dgram *d0 = &dp->tx[dp->tx_order[i]];
			size_t seg = d0->len, bytes = seg;
			uint32_t j = i + 1;
			while (gso && j < end && j - i < GSO_MAX_SEGMENTS) {
				const struct tx_dgram *d = &dp->tx[dp->tx_order[j]];
				if (d->addr_be != d0->addr_be || d->tos != d0->tos ||
				    d->len > seg || bytes + d->len > GSO_MAX_SIZE)
					break;
				bytes += d->len;
				j++;
				if (d->len < seg)
					break; /* only the last may be shorter */
			}
			struct mmsghdr *m = &dp->tx_msgs[n_msgs];
			struct sockaddr_in *sin = &dp->tx_addr[n_msgs];
			*sin = (struct sockaddr_in){
			    .sin_family = AF_INET,
			    .sin_port = htons(dp->underlay_port),
			    .sin_addr.s_addr = d0->addr_be,
			};
			uint32_t iov0 = n_iov;
			for (uint32_t k = i; k < j; k++) {
				const struct tx_dgram *d = &dp->tx[dp->tx_order[k]];
				memcpy(&dp->tx_iov[n_iov], &dp->tx_src_iov[d->iov],
				       d->n_iov * sizeof(struct iovec));
				n_iov += d->n_iov;
			}
			*m = (struct mmsghdr){
			    .msg_hdr =
				{
				    .msg_name = sin,
				    .msg_namelen = sizeof *sin,
				    .msg_iov = &dp->tx_iov[iov0],
				    .msg_iovlen = n_iov - iov0,
				},
			};
			tx_control_set(&m->msg_hdr, &dp->tx_control[n_msgs], d0->tos,
				       j - i > 1 ? (uint16_t)seg : 0);
			dp->tx_msg_first[n_msgs] = i;
			dp->tx_msg_n[n_msgs] = (uint16_t)(j - i);
			n_msgs++;
			i = j;
		}
		if (n_msgs > first_msg)
			send_group(dp, dp->tx_fd[s], first_msg, n_msgs - first_msg);
	}
	for (uint32_t i = dp->n_tx; i-- > 0;)
		buf_put(dp, dp->tx[i].buf);
	dp->n_tx = 0;
	dp->tx_bytes = 0;
	dp->n_tx_iov = 0;
	dp->tx_hdrs_used = 0;
}

/* Queues the datagram 'data' of 'len' bytes in buffer 'bi' for 'a''s next
 * hop. */
static void tx_queue(struct datapath *dp, uint32_t bi, const struct dp_action *a, uint8_t *data,
		     size_t len)
{
	if (dp->n_tx == TX_MAX || dp->n_tx_iov == TX_IOV_MAX)
		tx_flush(dp);
	dp->tx_src_iov[dp->n_tx_iov] = (struct iovec){data, len};
	dp->tx[dp->n_tx++] = (struct tx_dgram){
	    .buf = bi,
	    .addr_be = htonl(a->next_hop),
	    .iov = dp->n_tx_iov++,
	    .len = (uint32_t)len,
	    .n_iov = 1,
	    .sock = (uint16_t)(a->udp_src_port % DATAPATH_TX_SOCKETS),
	    .tos = ip_tos_from_dscp(a->dscp),
	};
	dp->tx_bytes += len;
	buf_ref(dp, bi);
}

/* Queues the segments of the TCP super-frame in buffer 'bi' ('pkt' of
 * 'len' bytes: the VXLAN header, then the frame) for 'a''s next hop, cut
 * to 'mss' payload bytes each. Returns false if it cannot be cut. */
static bool tx_queue_segments(struct datapath *dp, uint32_t bi, const struct dp_action *a,
			      const uint8_t *pkt, size_t len, size_t mss)
{
	struct gso_tcp g;
	if (gso_tcp_init(&g, pkt, len, VXLAN_HEADER_LEN, mss))
		return false;
	uint32_t addr_be = htonl(a->next_hop);
	uint16_t sock = (uint16_t)(a->udp_src_port % DATAPATH_TX_SOCKETS);
	for (uint32_t done = 0; done < g.n_segs;) {
		uint32_t n = g.n_segs - done;
		uint32_t room = TX_MAX - dp->n_tx;
		if ((TX_IOV_MAX - dp->n_tx_iov) / 2 < room)
			room = (TX_IOV_MAX - dp->n_tx_iov) / 2;
		if ((TX_HDRS_SIZE - dp->tx_hdrs_used) / g.hdr_len < room)
			room = (uint32_t)((TX_HDRS_SIZE - dp->tx_hdrs_used) / g.hdr_len);
		if (!room) {
			tx_flush(dp);
			continue;
		}
		if (n > room)
			n = room;
		gso_tcp_segment(&g, done, n, dp->tx_hdrs + dp->tx_hdrs_used,
				&dp->tx_src_iov[dp->n_tx_iov]);
		for (uint32_t k = 0; k < n; k++) {
			dp->tx[dp->n_tx++] = (struct tx_dgram){
			    .buf = bi,
			    .addr_be = addr_be,
			    .iov = dp->n_tx_iov + 2 * k,
			    .len = (uint32_t)gso_tcp_seg_len(&g, done + k),
			    .n_iov = 2,
			    .sock = sock,
			    .tos = ip_tos_from_dscp(a->dscp),
			};
			dp->tx_bytes += dp->tx[dp->n_tx - 1].len;
			buf_ref(dp, bi);
		}
		dp->n_tx_iov += 2 * n;
		dp->tx_hdrs_used += n * g.hdr_len;
		done += n;
	}
	return true;
}

/* Data-plane thread: ports. */

/* Writes 'iov' (one frame) to the TAP 'fd'. Returns 0 or -errno. */
static int tap_writev_once(int fd, const struct iovec *iov, int n_iov)
{
	ssize_t n;
	do {
		n = writev(fd, iov, n_iov);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

/* Writes 'iov' (one frame) to the TAP 'fd' of port 'port'; counts a
 * failure as a drop. */
static void tap_writev(struct datapath *dp, const struct snapshot *snap, uint32_t port, int fd,
		       const struct iovec *iov, int n_iov)
{
	int err = -tap_writev_once(fd, iov, n_iov);
	if (!err)
		return;
	drop_count(dp, DP_DROP_QUEUE_FULL);
	if (debugging(dp))
		LOG_RL(LOG_LEVEL_INFO, 600, "port %s: write: %s",
		       dp_tables_port_name(snap->tables, port), strerror(err));
}

/* Writes the frame 'frame' of 'len' bytes to port 'port' of 'snap'. 'vh' is
 * the virtio-net header it came with from another port's TAP (segmentation
 * and checksum offload to carry out), or NULL for a finished frame. */
static void port_write(struct datapath *dp, const struct snapshot *snap, uint32_t port,
		       const struct virtio_net_hdr *vh, uint8_t *frame, size_t len)
{
	static const struct virtio_net_hdr none;
	int fd = port_fd(snap, port);
	if (fd < 0) {
		/* The port has no TAP (it could not be created): it cannot
		 * take the frame, like a full queue. */
		drop_count(dp, DP_DROP_QUEUE_FULL);
		return;
	}
	if (snap->fd_vnet[fd]) {
		/* Offloads pass on as they are, as between two ports of a
		 * Linux bridge. */
		struct iovec iov[2] = {{(void *)(vh ? vh : &none), VNET_HDR_LEN}, {frame, len}};
		tap_writev(dp, snap, port, fd, iov, 2);
		return;
	}
	if (vh && vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		/* A TAP without the header (kept from an earlier agent):
		 * the segments, one write each. */
		struct gso_tcp g;
		if ((vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_TCPV4 ||
		    gso_tcp_init(&g, frame, len, 0, vh->gso_size)) {
			drop_count(dp, DP_DROP_UNSUPPORTED);
			return;
		}
		for (uint32_t i = 0; i < g.n_segs; i++) {
			uint8_t hdr[GSO_HDR_MAX];
			struct iovec iov[2];
			gso_tcp_segment(&g, i, 1, hdr, iov);
			tap_writev(dp, snap, port, fd, iov, 2);
		}
		return;
	}
	if (vh && (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    gso_csum_complete(frame, len, vh->csum_start, vh->csum_offset)) {
		drop_count(dp, DP_DROP_PARSE);
		return;
	}
	struct iovec iov = {frame, len};
	tap_writev(dp, snap, port, fd, &iov, 1);
}

/* Writes the coalesced segments out and lets go of their buffers. */
static void merge_flush(struct datapath *dp, const struct snapshot *snap)
{
	struct rx_merge *mg = &dp->merge;
	struct virtio_net_hdr vh;
	struct iovec iov[2 + GSO_MERGE_MAX];
	if (!mg->active)
		return;
	size_t n = gso_merge_finish(&mg->m, &vh, iov + 1);
	iov[0] = (struct iovec){&vh, VNET_HDR_LEN};
	int rc = tap_writev_once(mg->fd, iov, (int)n + 1);
	if (rc == -EINVAL && mg->m.n > 1) {
		/* The kernel does not take such a frame: UDP GSO needs Linux
		 * 6.2. The segments go one by one, now and from now on. */
		if (mg->m.proto == IP_PROTO_UDP && !dp->no_udp_merge) {
			LOG_INFO("the TAPs do not take UDP GSO frames; UDP datagrams from the "
				 "underlay are written one by one");
			dp->no_udp_merge = true;
		}
		static const struct virtio_net_hdr none;
		for (uint32_t i = 0; i < mg->m.n; i++) {
			struct iovec one[2] = {{(void *)&none, VNET_HDR_LEN}, mg->m.seg[i]};
			tap_writev(dp, snap, mg->port, mg->fd, one, 2);
		}
	} else if (rc) {
		dp_counter_add(&dp->drops[DP_DROP_QUEUE_FULL], mg->m.n);
		if (debugging(dp))
			LOG_RL(LOG_LEVEL_INFO, 600, "port %s: write: %s",
			       dp_tables_port_name(snap->tables, mg->port), strerror(-rc));
	}
	for (uint32_t i = 0; i < mg->n_bufs; i++)
		buf_put(dp, mg->bufs[i]);
	mg->n_bufs = 0;
	mg->active = false;
}

/* Delivers the frame in 'b' (in buffer 'bi'), decapsulated from the
 * underlay, to port 'port': coalesced with the segments before it where
 * it continues their TCP flow, else on its own. */
static void port_write_merging(struct datapath *dp, const struct snapshot *snap, uint32_t port,
			       uint32_t bi, const struct dp_buf *b)
{
	struct rx_merge *mg = &dp->merge;
	int fd = port_fd(snap, port);
	if (fd < 0 || !snap->fd_vnet[fd]) {
		merge_flush(dp, snap);
		port_write(dp, snap, port, NULL, b->data, b->len);
		return;
	}
	if (mg->active) {
		if (mg->port == port && gso_merge_add(&mg->m, b->data, b->len))
			goto added;
		merge_flush(dp, snap);
	}
	if (!gso_merge_start(&mg->m, b->data, b->len, !dp->no_udp_merge)) {
		/* Not a TCP segment with payload (or a broken one: the
		 * instance's kernel checks and drops it). */
		port_write(dp, snap, port, NULL, b->data, b->len);
		return;
	}
	mg->active = true;
	mg->fd = fd;
	mg->port = port;
added:
	buf_ref(dp, bi);
	mg->bufs[mg->n_bufs++] = bi;
	if (mg->m.closed || mg->m.n == GSO_MERGE_MAX)
		merge_flush(dp, snap);
}

/* Logs a packet's fate (debug mode). 'port' is the input port, -1 for the
 * underlay with 'from' its outer source address, or DEBUG_OWN for a
 * router's own packet. */
#define DEBUG_OWN (-2)
static void debug_log(const struct snapshot *snap, int64_t port, uint32_t from,
		      const struct dp_buf *b, const struct dp_action *a)
{
	char src[64], addr[IPV4_ADDR_STRLEN];
	if (port >= 0) {
		snprintf(src, sizeof src, "port %s",
			 dp_tables_port_name(snap->tables, (uint32_t)port));
	} else if (port == DEBUG_OWN) {
		snprintf(src, sizeof src, "a router's own packet");
	} else {
		ipv4_format(from, addr);
		snprintf(src, sizeof src, "underlay %s", addr);
	}
	switch (a->verdict) {
	case DP_DROP:
		LOG_RL(LOG_LEVEL_INFO, 600, "%s: drop (%s)", src, dp_drop_reason_name(a->reason));
		break;
	case DP_TO_PORT:
		LOG_RL(LOG_LEVEL_INFO, 600, "%s: to port %s, %zu bytes", src,
		       a->port < dp_tables_n_ports(snap->tables)
			   ? dp_tables_port_name(snap->tables, a->port)
			   : "?",
		       b->len);
		break;
	case DP_TO_UNDERLAY:
		ipv4_format(a->next_hop, addr);
		LOG_RL(LOG_LEVEL_INFO, 600, "%s: to underlay %s (flow port %u, DSCP %u), %zu bytes",
		       src, addr, a->udp_src_port, a->dscp, b->len);
		break;
	case DP_TO_LOCAL:
		LOG_RL(LOG_LEVEL_INFO, 600, "%s: to the router (VNI %u), %zu bytes", src, a->vni,
		       b->len);
		break;
	}
}

/* Hands the answer in 'b' to the control thread (DP_TO_LOCAL); dropped as
 * queue_full if it does not keep up. */
static void own_deliver(struct datapath *dp, const struct dp_action *a, const struct dp_buf *b)
{
	struct datapath_frame *f = own_ring_slot(dp->own_rx);

	if (!f || b->len > DATAPATH_FRAME_MAX) {
		drop_count(dp, DP_DROP_QUEUE_FULL);
		return;
	}
	f->time_us = time_usec();
	f->vni = a->vni;
	f->len = (uint16_t)b->len;
	memcpy(f->data, b->data, b->len);
	own_ring_put(dp->own_rx);
	dp->own_pending = true;
}

/* Carries out the pipeline's action 'a' on the frame in 'b' (buffer 'bi')
 * read from a port's TAP with the virtio-net header 'vh' (NULL if the TAP
 * has none); 'frame' is where the frame started before the pipeline. */
static void port_act(struct datapath *dp, const struct snapshot *snap, uint32_t bi,
		     struct dp_buf *b, const struct dp_action *a, const struct virtio_net_hdr *vh,
		     const uint8_t *frame)
{
	if (a->reply)
		vh = NULL;
	switch (a->verdict) {
	case DP_DROP:
		break;
	case DP_TO_PORT:
		port_write(dp, snap, a->port, vh, b->data, b->len);
		break;
	case DP_TO_UNDERLAY:
		if (vh && vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
			if ((vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_TCPV4 ||
			    frame != b->data + VXLAN_HEADER_LEN ||
			    !tx_queue_segments(dp, bi, a, b->data, b->len, vh->gso_size))
				drop_count(dp, DP_DROP_UNSUPPORTED);
			break;
		}
		if (vh && (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		    (frame != b->data + VXLAN_HEADER_LEN ||
		     gso_csum_complete(b->data + VXLAN_HEADER_LEN, b->len - VXLAN_HEADER_LEN,
				       vh->csum_start, vh->csum_offset))) {
			drop_count(dp, DP_DROP_PARSE);
			break;
		}
		tx_queue(dp, bi, a, b->data, b->len);
		break;
	case DP_TO_LOCAL:
		own_deliver(dp, a, b);
		break;
	}
}

/* Reads up to a burst of frames from the TAP 'fd'. */
static void port_rx(struct datapath *dp, const struct snapshot *snap, int fd)
{
	/* A descriptor the snapshot does not know was just added or removed;
	 * the next round sorts it out. */
	if (!snapshot_has_fd(snap, fd))
		return;
	uint32_t port = (uint32_t)snap->fd_port[fd];
	bool vnet = snap->fd_vnet[fd];
	for (int i = 0; i < DATAPATH_BURST; i++) {
		struct virtio_net_hdr vh;
		if (!dp->n_free)
			tx_flush(dp);
		uint32_t bi = buf_get(dp);
		struct dp_buf *b = &dp->bufs[bi];
		struct iovec iov[2] = {{&vh, VNET_HDR_LEN}, {b->data, dp_buf_tailroom(b)}};
		ssize_t n = vnet ? readv(fd, iov, 2) : readv(fd, iov + 1, 1);
		if (n <= 0) {
			int err = n < 0 ? errno : 0;
			buf_put(dp, bi);
			if (err && err != EAGAIN && err != EINTR) {
				/* The device is gone (its namespace was deleted, or
				 * it was removed): stop polling it, or the loop would
				 * spin on its error. The control thread notices the
				 * dead port and replaces it. */
				LOG_WARN_RL("port %s: read: %s; no longer polled",
					    dp_tables_port_name(snap->tables, port), strerror(err));
				epoll_ctl(dp->epfd, EPOLL_CTL_DEL, fd, NULL);
			}
			return;
		}
		if (vnet && (size_t)n < VNET_HDR_LEN) {
			drop_count(dp, DP_DROP_PARSE);
			buf_put(dp, bi);
			continue;
		}
		b->len = (size_t)n - (vnet ? VNET_HDR_LEN : 0);
		/* A TCP/UDP checksum the instance left to offload covers only
		 * the pseudo-header: a rewrite (redirect) must update it as such. */
		b->csum_partial = vnet && (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
		const uint8_t *frame = b->data;
		struct dp_action a;
		dp_from_port(dp->ctx, snap->tables, port, b, &a);
		if (debugging(dp))
			debug_log(snap, port, 0, b, &a);
		port_act(dp, snap, bi, b, &a, vnet ? &vh : NULL, frame);
		buf_put(dp, bi);
		if (dp->tx_bytes >= TX_FLUSH_BYTES)
			tx_flush(dp);
	}
}

/* Decides and carries out the fate of the datagram in 'b' (in buffer 'bi')
 * that came with outer headers 'outer'. */
static void underlay_one(struct datapath *dp, const struct snapshot *snap,
			 const struct dp_outer *outer, uint32_t bi, struct dp_buf *b)
{
	struct dp_action a;
	dp_from_underlay(dp->ctx, snap->tables, outer, b, &a);
	if (debugging(dp))
		debug_log(snap, -1, outer->src_addr, b, &a);
	switch (a.verdict) {
	case DP_DROP:
		break;
	case DP_TO_PORT:
		port_write_merging(dp, snap, a.port, bi, b);
		break;
	case DP_TO_UNDERLAY:
		tx_queue(dp, bi, &a, b->data, b->len);
		break;
	case DP_TO_LOCAL:
		own_deliver(dp, &a, b);
		break;
	}
}

/* Routes what the routers send themselves (datapath_send_own()). */
static void own_tx(struct datapath *dp, const struct snapshot *snap)
{
	struct datapath_frame *f;

	while ((f = own_ring_peek(dp->own_tx))) {
		struct dp_action a;
		uint32_t bi;
		struct dp_buf *b;

		if (!snap) {
			drop_count(dp, DP_DROP_NOT_FOR_US);
			own_ring_pop(dp->own_tx);
			continue;
		}
		if (!dp->n_free)
			tx_flush(dp);
		bi = buf_get(dp);
		b = &dp->bufs[bi];
		memcpy(b->data, f->data, f->len);
		b->len = f->len;
		own_ring_pop(dp->own_tx);
		dp_from_router(dp->ctx, snap->tables, f->vni, b, &a);
		if (debugging(dp))
			debug_log(snap, DEBUG_OWN, 0, b, &a);
		switch (a.verdict) {
		case DP_DROP:
			break;
		case DP_TO_PORT:
			port_write(dp, snap, a.port, NULL, b->data, b->len);
			break;
		case DP_TO_UNDERLAY:
			tx_queue(dp, bi, &a, b->data, b->len);
			break;
		case DP_TO_LOCAL:
			own_deliver(dp, &a, b);
			break;
		}
		buf_put(dp, bi);
	}
}

/* Reads the control data of received message 'm': returns the datagram
 * size of a UDP GRO message (0 if it holds one datagram) and sets '*tos'
 * to the outer TOS byte (0 if the kernel did not say). */
static size_t rx_control_read(const struct msghdr *m, uint8_t *tos)
{
	size_t size = 0;

	*tos = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int value;
			memcpy(&value, CMSG_DATA(c), sizeof value);
			size = value > 0 ? (size_t)value : 0;
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS &&
			   c->cmsg_len >= CMSG_LEN(1)) {
			*tos = *(const uint8_t *)CMSG_DATA(c);
		}
	}
	return size;
}

/* Receives up to a burst of messages from the underlay with one
 * recvmmsg(); each is a datagram or, with UDP GRO, several of one size
 * (the last may be shorter) back to back. */
static void underlay_rx(struct datapath *dp, const struct snapshot *snap)
{
	unsigned int burst = dp->rx_burst;
	if (dp->n_free < DATAPATH_BURST + 1)
		tx_flush(dp);
	for (unsigned int i = 0; i < burst; i++) {
		uint32_t bi = buf_get(dp);
		struct dp_buf *b = &dp->bufs[bi];
		dp->rx_buf[i] = bi;
		dp->rx_iov[i] = (struct iovec){b->data, dp_buf_tailroom(b)};
		dp->rx_msgs[i] = (struct mmsghdr){
		    .msg_hdr =
			{
			    .msg_name = &dp->rx_addr[i],
			    .msg_namelen = sizeof dp->rx_addr[i],
			    .msg_iov = &dp->rx_iov[i],
			    .msg_iovlen = 1,
			    .msg_control = dp->rx_control[i].buf,
			    .msg_controllen = sizeof dp->rx_control[i].buf,
			},
		};
	}
	int n = recvmmsg(dp->rx_fd, dp->rx_msgs, burst, MSG_DONTWAIT, NULL);
	if (n < 0)
		n = 0;
	size_t bytes = 0;
	for (unsigned int i = 0; i < (unsigned int)n; i++)
		bytes += dp->rx_msgs[i].msg_len;
	dp->rx_burst = bytes >= RX_BIG_BYTES ? RX_BURST_BIG : DATAPATH_BURST;
	for (unsigned int i = 0; i < (unsigned int)n; i++) {
		uint32_t bi = dp->rx_buf[i];
		struct dp_buf *b = &dp->bufs[bi];
		const struct mmsghdr *m = &dp->rx_msgs[i];
		b->len = m->msg_len;
		if (m->msg_hdr.msg_flags & MSG_TRUNC) {
			/* Larger than a buffer: no packet of ours is. */
			drop_count(dp, DP_DROP_PARSE);
			continue;
		}
		if (!snap) {
			/* No view yet: nothing here is for us. */
			drop_count(dp, DP_DROP_NOT_FOR_US);
			continue;
		}
		uint8_t tos;
		size_t seg = rx_control_read(&m->msg_hdr, &tos);
		const struct dp_outer outer = {
		    .src_addr = ntohl(dp->rx_addr[i].sin_addr.s_addr),
		    .src_port = ntohs(dp->rx_addr[i].sin_port),
		    .dscp = ip_tos_dscp(tos),
		};
		if (!seg || seg >= b->len) {
			underlay_one(dp, snap, &outer, bi, b);
			continue;
		}
		/* Several datagrams: each is decided where it is, confined to
		 * its own bytes (the pipeline writes replies in place and
		 * prepends only over the VXLAN header it stripped), or, if too
		 * small for a reply, copied to a buffer of its own. */
		for (size_t off = 0; off < b->len; off += seg) {
			size_t len = b->len - off < seg ? b->len - off : seg;
			if (len < SMALL_DATAGRAM) {
				if (!dp->n_free) {
					merge_flush(dp, snap);
					tx_flush(dp);
				}
				uint32_t ci = buf_get(dp);
				struct dp_buf *c = &dp->bufs[ci];
				memcpy(c->data, b->data + off, len);
				c->len = len;
				underlay_one(dp, snap, &outer, ci, c);
				buf_put(dp, ci);
			} else {
				struct dp_buf c = {
				    .head = b->data + off,
				    .size = len,
				    .data = b->data + off,
				    .len = len,
				};
				underlay_one(dp, snap, &outer, bi, &c);
			}
		}
		if (dp->tx_bytes >= TX_FLUSH_BYTES)
			tx_flush(dp);
	}
	merge_flush(dp, snap);
	/* Let go of the buffers (those that received nothing in reverse, so
	 * that the stack hands out the same, cache-warm, ones next time). */
	for (unsigned int i = burst; i-- > 0;)
		buf_put(dp, dp->rx_buf[i]);
}

static void *datapath_main(void *dp_)
{
	struct datapath *dp = dp_;
	while (!atomic_load_explicit(&dp->stop, memory_order_relaxed)) {
		int n = epoll_wait(dp->epfd, dp->events, MAX_EVENTS, -1);
		if (n < 0) {
			if (errno != EINTR)
				LOG_WARN_RL("epoll_wait: %s", strerror(errno));
			n = 0;
		}
		/* The snapshot is read once per round; the epoch bump at the
		 * end of the round tells the control thread we are done
		 * with it. Both are sequentially consistent: the control
		 * thread's swap-then-read-epoch and our bump-then-read-pointer
		 * must not be reordered. */
		struct snapshot *snap = atomic_load(&dp->current);
		dp_ctx_set_time(dp->ctx, time_usec());
		for (int i = 0; i < n; i++) {
			uint64_t data = dp->events[i].data.u64;
			switch ((enum event_kind)(data >> 32)) {
			case EV_WAKE: {
				uint64_t value;
				ssize_t r = read(dp->wakefd, &value, sizeof value);
				(void)r;
				break;
			}
			case EV_UNDERLAY:
				underlay_rx(dp, snap);
				break;
			case EV_TAP:
				port_rx(dp, snap, (int)(uint32_t)data);
				break;
			}
		}
		own_tx(dp, snap);
		tx_flush(dp);
		if (dp->own_pending) {
			/* One wake-up of the control thread per round. */
			uint64_t one = 1;
			ssize_t r = write(dp->ownfd, &one, sizeof one);

			(void)r; /* a full counter wakes it as well */
			dp->own_pending = false;
		}
		atomic_fetch_add(&dp->epoch, 1);
	}
	return NULL;
}

static void wake(struct datapath *dp)
{
	uint64_t one = 1;
	ssize_t r = write(dp->wakefd, &one, sizeof one);
	(void)r; /* a full counter already wakes the thread */
}

/* Sets a socket buffer size, beyond the sysctl limit if we may. */
static void sockbuf_set(int fd, int opt_force, int opt, int size)
{
	if (setsockopt(fd, SOL_SOCKET, opt_force, &size, sizeof size))
		setsockopt(fd, SOL_SOCKET, opt, &size, sizeof size);
}

static int udp_socket_bind(uint32_t addr, uint16_t port, int *fdp)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_in sin = {
	    .sin_family = AF_INET,
	    .sin_port = htons(port),
	    .sin_addr.s_addr = htonl(addr),
	};
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin)) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

static int epoll_add(int epfd, int fd, uint64_t data)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = data};
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int datapath_create(struct dp_counters_registry *reg, uint16_t underlay_port, struct datapath **dpp,
		    char **error)
{
	return datapath_create_on(reg, INADDR_ANY, underlay_port, dpp, error);
}

int datapath_create_on(struct dp_counters_registry *reg, uint32_t underlay_addr,
		       uint16_t underlay_port, struct datapath **dpp, char **error)
{
	struct datapath *dp = xzalloc(sizeof *dp);
	int rc;

	*dpp = NULL;
	*error = NULL;
	dp->epfd = dp->wakefd = dp->rx_fd = dp->ownfd = -1;
	dp->own_tx = xzalloc(sizeof *dp->own_tx);
	dp->own_rx = xzalloc(sizeof *dp->own_rx);
	for (unsigned int k = 0; k < DATAPATH_TX_SOCKETS; k++)
		dp->tx_fd[k] = -1;
	atomic_init(&dp->current, NULL);
	atomic_init(&dp->epoch, 0);
	atomic_init(&dp->stop, false);
	atomic_init(&dp->debug, false);
	atomic_init(&dp->gso, true);
	dp->reg = reg;
	dp->underlay_port = underlay_port;
	dp->drops = dp_counters_registry_drops(reg, 0);

	dp->epfd = epoll_create1(EPOLL_CLOEXEC);
	dp->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	dp->ownfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dp->epfd < 0 || dp->wakefd < 0 || dp->ownfd < 0) {
		rc = -errno;
		*error = xasprintf("cannot create the data plane's epoll set: %s", strerror(errno));
		goto err;
	}

	rc = udp_socket_bind(underlay_addr, underlay_port, &dp->rx_fd);
	if (rc) {
		char addr[IPV4_ADDR_STRLEN];
		ipv4_format(underlay_addr, addr);
		*error = xasprintf(
		    "cannot bind UDP %s:%u: %s%s", addr, underlay_port, strerror(-rc),
		    rc == -EADDRINUSE ? " (does another agent or a vxlan device use it?)" : "");
		goto err;
	}
	sockbuf_set(dp->rx_fd, SO_RCVBUFFORCE, SO_RCVBUF, UNDERLAY_SOCKBUF_SIZE);
	/* Take runs of datagrams of one flow as one (what a sender's UDP
	 * segmentation offload made, or GRO on the way): fewer receive calls,
	 * and the TCP segments in them coalesce again for the TAP. Without it
	 * (before Linux 5.0) they come one by one. */
	int on = 1;
	if (setsockopt(dp->rx_fd, SOL_UDP, UDP_GRO, &on, sizeof on))
		LOG_INFO("no UDP GRO on the underlay socket: %s", strerror(errno));
	/* The class of a packet between agents is its outer DSCP. */
	if (setsockopt(dp->rx_fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof on)) {
		rc = -errno;
		*error = xasprintf("cannot receive the outer TOS on the underlay socket: %s",
				   strerror(-rc));
		goto err;
	}

	for (unsigned int k = 0; k < DATAPATH_TX_SOCKETS; k++) {
		uint16_t port = (uint16_t)(DATAPATH_TX_PORT_BASE + k);
		rc = udp_socket_bind(INADDR_ANY, port, &dp->tx_fd[k]);
		if (rc == -EADDRINUSE) {
			/* Some other socket got this ephemeral port first; any
			 * port still spreads flows, if less predictably. */
			LOG_INFO("UDP port %u is taken; sending socket %u uses another", port, k);
			rc = udp_socket_bind(INADDR_ANY, 0, &dp->tx_fd[k]);
		}
		if (rc) {
			*error = xasprintf("cannot bind a UDP socket to port %u: %s", port,
					   strerror(-rc));
			goto err;
		}
		/* Let the kernel fragment what an instance with a raised MTU
		 * sends, rather than refuse it. */
		int pmtu = IP_PMTUDISC_DONT;
		setsockopt(dp->tx_fd[k], IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);
		sockbuf_set(dp->tx_fd[k], SO_SNDBUFFORCE, SO_SNDBUF, UNDERLAY_SOCKBUF_SIZE);
		/* Nothing is sent to these ports; keep their receive queues
		 * from holding anything that is. */
		int small = 1;
		setsockopt(dp->tx_fd[k], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	}

	rc = epoll_add(dp->epfd, dp->wakefd, event_data(EV_WAKE, dp->wakefd));
	if (!rc)
		rc = epoll_add(dp->epfd, dp->rx_fd, event_data(EV_UNDERLAY, dp->rx_fd));
	if (rc) {
		*error = xasprintf("epoll_ctl: %s", strerror(-rc));
		goto err;
	}

	if (posix_memalign((void **)&dp->storage, 4096, (size_t)POOL_SIZE * BUF_SIZE))
		onm_abort("out of memory for packet buffers");
	for (uint32_t i = POOL_SIZE; i-- > 0;)
		dp->free_bufs[dp->n_free++] = i;
	dp->tx_hdrs = xmalloc(TX_HDRS_SIZE);
	dp->rx_burst = DATAPATH_BURST;
	dp->ctx = dp_ctx_create(reg, 0, 0);

	/* The data-plane thread takes no signal: the control thread's event
	 * loop handles them. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&dp->thread, NULL, datapath_main, dp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		*error = xasprintf("cannot start the data-plane thread: %s", strerror(-rc));
		goto err;
	}
	pthread_setname_np(dp->thread, "onm-dataplane");
	dp->running = true;
	*dpp = dp;
	return 0;

err:
	datapath_destroy(dp);
	return rc;
}

void datapath_destroy(struct datapath *dp)
{
	if (!dp)
		return;
	if (dp->running) {
		atomic_store(&dp->stop, true);
		wake(dp);
		pthread_join(dp->thread, NULL);
	}
	/* The thread is gone: everything can go now. */
	while (dp->retired) {
		struct retired *r = dp->retired;
		dp->retired = r->next;
		snapshot_free(r->snap);
		if (r->fd >= 0)
			close(r->fd);
		free(r);
	}
	snapshot_free(atomic_load(&dp->current));
	dp_ctx_destroy(dp->ctx);
	free(dp->storage);
	free(dp->tx_hdrs);
	for (unsigned int k = 0; k < DATAPATH_TX_SOCKETS; k++)
		if (dp->tx_fd[k] >= 0)
			close(dp->tx_fd[k]);
	if (dp->rx_fd >= 0)
		close(dp->rx_fd);
	if (dp->wakefd >= 0)
		close(dp->wakefd);
	if (dp->ownfd >= 0)
		close(dp->ownfd);
	free(dp->own_tx);
	free(dp->own_rx);
	if (dp->epfd >= 0)
		close(dp->epfd);
	free(dp);
}

static void retire(struct datapath *dp, struct snapshot *snap, int fd)
{
	struct retired *r = xmalloc(sizeof *r);
	r->snap = snap;
	r->fd = fd;
	/* Read after the swap (or the epoll removal): the round that may
	 * still use the old thing ends with an epoch above this value. */
	r->epoch = atomic_load(&dp->epoch);
	r->next = dp->retired;
	dp->retired = r;
}

void datapath_publish(struct datapath *dp, struct dp_tables *t)
{
	struct snapshot *s = xzalloc(sizeof *s);
	uint32_t n_ports = dp_tables_n_ports(t);
	int max_fd = -1;

	s->tables = t;
	s->fds = xcalloc(n_ports ? n_ports : 1, sizeof *s->fds);
	for (uint32_t p = 0; p < n_ports; p++) {
		uintptr_t cookie = dp_tables_port_cookie(t, p);
		if (!cookie)
			continue;
		int fd = (int)(cookie - 1);
		s->fds[s->n_fds++] = fd;
		if (fd > max_fd)
			max_fd = fd;
	}
	s->n_fd = (uint32_t)(max_fd + 1);
	s->fd_port = xcalloc(s->n_fd ? s->n_fd : 1, sizeof *s->fd_port);
	s->fd_vnet = xcalloc(s->n_fd ? s->n_fd : 1, sizeof *s->fd_vnet);
	for (uint32_t i = 0; i < s->n_fd; i++)
		s->fd_port[i] = -1;
	for (uint32_t p = 0; p < n_ports; p++) {
		uintptr_t cookie = dp_tables_port_cookie(t, p);
		if (cookie) {
			s->fd_port[cookie - 1] = (int32_t)p;
			s->fd_vnet[cookie - 1] = port_tap_has_vnet_hdr((int)(cookie - 1));
		}
	}

	struct snapshot *old = atomic_exchange(&dp->current, s);
	dp->published = s;

	/* The epoll set follows the snapshot: new descriptors are added only
	 * now that the data plane can map them to ports, and gone ones are
	 * removed (their closing waits for the epoch, see
	 * datapath_close_deferred()). */
	for (uint32_t i = 0; i < s->n_fds; i++) {
		int fd = s->fds[i];
		if (!snapshot_has_fd(old, fd)) {
			int rc = epoll_add(dp->epfd, fd, event_data(EV_TAP, fd));
			if (rc && rc != -EEXIST)
				LOG_WARN("cannot poll port descriptor %d: %s", fd, strerror(-rc));
		}
	}
	if (old) {
		for (uint32_t i = 0; i < old->n_fds; i++)
			if (!snapshot_has_fd(s, old->fds[i]))
				epoll_ctl(dp->epfd, EPOLL_CTL_DEL, old->fds[i], NULL);
		retire(dp, old, -1);
	}
	wake(dp);
}

const struct dp_tables *datapath_tables(const struct datapath *dp)
{
	return dp->published ? dp->published->tables : NULL;
}

void datapath_close_deferred(struct datapath *dp, int fd)
{
	/* Normally already out of the epoll set (publish removed it); make
	 * sure, as the keeper's copy keeps the file open after our close. */
	epoll_ctl(dp->epfd, EPOLL_CTL_DEL, fd, NULL);
	retire(dp, NULL, fd);
	wake(dp);
}

bool datapath_reclaim(struct datapath *dp)
{
	uint64_t now = atomic_load(&dp->epoch);
	struct retired **prev = &dp->retired;
	while (*prev) {
		struct retired *r = *prev;
		if (now > r->epoch) {
			*prev = r->next;
			snapshot_free(r->snap);
			if (r->fd >= 0)
				close(r->fd);
			free(r);
		} else {
			prev = &r->next;
		}
	}
	return dp->retired != NULL;
}

void datapath_set_gso(struct datapath *dp, bool on)
{
	atomic_store(&dp->gso, on);
}

void datapath_set_debug(struct datapath *dp, bool on)
{
	atomic_store(&dp->debug, on);
}

uint64_t datapath_epoch(const struct datapath *dp)
{
	return atomic_load(&((struct datapath *)dp)->epoch);
}

int datapath_send_own(struct datapath *dp, uint32_t vni, const void *frame, size_t len)
{
	struct datapath_frame *f;

	if (len > DATAPATH_FRAME_MAX)
		return -EMSGSIZE;
	f = own_ring_slot(dp->own_tx);
	if (!f)
		return -ENOBUFS;
	f->time_us = time_usec();
	f->vni = vni;
	f->len = (uint16_t)len;
	memcpy(f->data, frame, len);
	own_ring_put(dp->own_tx);
	wake(dp);
	return 0;
}

int datapath_own_fd(const struct datapath *dp)
{
	return dp->ownfd;
}

bool datapath_take_own(struct datapath *dp, struct datapath_frame *out)
{
	struct datapath_frame *f = own_ring_peek(dp->own_rx);
	uint64_t value;
	ssize_t r;

	if (!f) {
		/* Empty: clear the descriptor. A frame put after this read
		 * makes it readable again. */
		r = read(dp->ownfd, &value, sizeof value);
		(void)r;
		f = own_ring_peek(dp->own_rx);
		if (!f)
			return false;
	}
	out->time_us = f->time_us;
	out->vni = f->vni;
	out->len = f->len;
	memcpy(out->data, f->data, f->len);
	own_ring_pop(dp->own_rx);
	return true;
}
