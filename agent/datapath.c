// SPDX-License-Identifier: Apache-2.0
/*
 * The data-plane thread and its hand-over with the control thread (see
 * datapath.h): an epoll loop over the TAPs and the underlay socket that
 * reads in bursts, runs the pipeline on each packet and writes or queues
 * the result, with a preallocated pool of packet buffers and sendmmsg()
 * batches per source socket.
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
#include <unistd.h>

#define LOG_MODULE "datapath"
#include "onm/log.h"
#include "onm/net.h"
#include "pipeline.h"

/* Packet buffers in the pool; a round flushes its queued datagrams when
 * fewer than a burst's worth are free. */
#define POOL_SIZE 256
/* Bytes of one buffer: headroom, then up to 3968 bytes of frame. */
#define BUF_SIZE 4096
/* Ready descriptors taken per epoll_wait(). */
#define MAX_EVENTS 64
/* Socket buffers of the underlay sockets, bytes. */
#define UNDERLAY_SOCKBUF_SIZE (4 << 20)
/* Datagrams sent as one UDP segmentation offload message, at most, and
 * their bytes (an IPv4 datagram's limit, less headers, rounded down). */
#define GSO_MAX_SEGMENTS 64
#define GSO_MAX_SIZE 65000

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h, since Linux 4.18 */
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

/* Control buffer of one UDP_SEGMENT message. */
union gso_control {
	char buf[CMSG_SPACE(sizeof(uint16_t))];
	struct cmsghdr align;
};

_Static_assert(DP_BUF_MIN_SIZE <= BUF_SIZE, "buffers too small for the pipeline");
_Static_assert(POOL_SIZE >= 2 * DATAPATH_BURST, "pool smaller than two bursts");

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

/* A datagram waiting for the end of the round. */
struct tx_entry {
	uint32_t buf;	  /* index of its buffer in the pool */
	uint32_t addr_be; /* next hop, network order */
	uint16_t sock;	  /* index of the socket to send it from */
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
	struct dp_ctx *ctx;		   /* the pipeline's context (conntrack) */
	uint8_t *storage;		   /* POOL_SIZE buffers of BUF_SIZE bytes */
	struct dp_buf bufs[POOL_SIZE];	   /* the packet in each buffer */
	uint32_t free_bufs[POOL_SIZE];	   /* stack of free buffer indices */
	uint32_t n_free;		   /* entries of 'free_bufs' */
	struct tx_entry tx[POOL_SIZE];	   /* datagrams queued this round */
	uint32_t n_tx;			   /* entries of 'tx' */
	struct mmsghdr tx_msgs[POOL_SIZE]; /* sendmmsg() messages, by socket */
	struct iovec tx_iov[POOL_SIZE];	   /* one per datagram, by socket */
	struct sockaddr_in tx_addr[POOL_SIZE];
	union gso_control tx_control[POOL_SIZE]; /* of the GSO messages */
	struct mmsghdr rx_msgs[DATAPATH_BURST];	 /* recvmmsg() vectors */
	struct iovec rx_iov[DATAPATH_BURST];
	struct sockaddr_in rx_addr[DATAPATH_BURST];
	uint32_t rx_buf[DATAPATH_BURST]; /* buffer of each rx_msgs[] entry */
	struct epoll_event events[MAX_EVENTS];
};

static void snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	dp_tables_destroy(s->tables);
	free(s->fd_port);
	free(s->fds);
	free(s);
}

static bool snapshot_has_fd(const struct snapshot *s, int fd)
{
	return s && fd >= 0 && (uint32_t)fd < s->n_fd && s->fd_port[fd] >= 0;
}

/* Data-plane thread: buffers. */

static uint32_t buf_get(struct datapath *dp)
{
	uint32_t i = dp->free_bufs[--dp->n_free];
	dp_buf_init(&dp->bufs[i], dp->storage + (size_t)i * BUF_SIZE, BUF_SIZE);
	return i;
}

static void buf_put(struct datapath *dp, uint32_t i)
{
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

/* Counts and logs the failure of a datagram to 'sin'. */
static void send_failed(struct datapath *dp, const struct sockaddr_in *sin, int err, unsigned int n)
{
	char addr[IPV4_ADDR_STRLEN];
	ipv4_format(ntohl(sin->sin_addr.s_addr), addr);
	dp_counter_add(&dp->drops[DP_DROP_NO_ROUTE], n);
	LOG_WARN_RL("underlay send to %s: %s; %u datagrams dropped", addr, strerror(err), n);
}

/* Sends the datagrams of the GSO message 'm' one by one (the kernel refused
 * them as one). */
static void send_unsegmented(struct datapath *dp, int fd, const struct msghdr *m)
{
	struct mmsghdr one[GSO_MAX_SEGMENTS];
	unsigned int n = (unsigned int)m->msg_iovlen;
	for (unsigned int i = 0; i < n; i++)
		one[i] = (struct mmsghdr){
		    .msg_hdr =
			{
			    .msg_name = m->msg_name,
			    .msg_namelen = m->msg_namelen,
			    .msg_iov = &m->msg_iov[i],
			    .msg_iovlen = 1,
			},
		};
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

/* Sends 'n' messages (each one datagram, or several as one GSO message)
 * from socket 'fd'; what the kernel refuses is dropped and counted. */
static void send_group(struct datapath *dp, int fd, struct mmsghdr *msgs, unsigned int n)
{
	while (n) {
		int sent = sendmmsg(fd, msgs, n, MSG_DONTWAIT);
		if (sent > 0) {
			msgs += sent;
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
				lost += (unsigned int)msgs[i].msg_hdr.msg_iovlen;
			dp_counter_add(&dp->drops[DP_DROP_QUEUE_FULL], lost);
			LOG_WARN_RL("underlay send: %s; %u datagrams dropped", strerror(err), lost);
			return;
		}
		const struct msghdr *m = &msgs->msg_hdr;
		if (m->msg_iovlen > 1 && (err == EINVAL || err == EMSGSIZE || err == EIO)) {
			/* Segmentation refused: datagrams larger than the
			 * path's MTU (an instance raised its MTU), or no
			 * checksum offload on the way (EIO: then never again). */
			if (err == EIO) {
				LOG_WARN_RL("underlay send: UDP segmentation offload fails (%s); "
					    "sending datagrams one by one",
					    strerror(err));
				atomic_store_explicit(&dp->gso, false, memory_order_relaxed);
			}
			send_unsegmented(dp, fd, m);
		} else {
			/* This one cannot go (no route to the next hop, ...). */
			send_failed(dp, m->msg_name, err, (unsigned int)m->msg_iovlen);
		}
		msgs++;
		n--;
	}
}

/* Sends every queued datagram, one sendmmsg() batch per source socket, and
 * frees their buffers. Consecutive datagrams of a socket to the same next
 * hop and of the same size (the last may be shorter) go as one message
 * with UDP segmentation offload (UDP_SEGMENT): the kernel takes them
 * through the stack as one packet and cuts them apart as late as it can;
 * on the wire they are the same datagrams. */
static void tx_flush(struct datapath *dp)
{
	uint32_t start[DATAPATH_TX_SOCKETS + 1] = {0};
	if (!dp->n_tx)
		return;

	/* Counting sort by socket, keeping the order within a socket. */
	for (uint32_t i = 0; i < dp->n_tx; i++)
		start[dp->tx[i].sock + 1]++;
	for (unsigned int s = 0; s < DATAPATH_TX_SOCKETS; s++)
		start[s + 1] += start[s];
	uint32_t next[DATAPATH_TX_SOCKETS];
	memcpy(next, start, sizeof next);
	for (uint32_t i = 0; i < dp->n_tx; i++) {
		const struct tx_entry *e = &dp->tx[i];
		uint32_t k = next[e->sock]++;
		const struct dp_buf *b = &dp->bufs[e->buf];
		dp->tx_iov[k] = (struct iovec){b->data, b->len};
		dp->tx_addr[k] = (struct sockaddr_in){
		    .sin_family = AF_INET,
		    .sin_port = htons(dp->underlay_port),
		    .sin_addr.s_addr = e->addr_be,
		};
	}

	bool gso = atomic_load_explicit(&dp->gso, memory_order_relaxed);
	for (unsigned int s = 0; s < DATAPATH_TX_SOCKETS; s++) {
		uint32_t end = start[s + 1], n_msgs = 0;
		for (uint32_t i = start[s]; i < end;) {
			size_t seg = dp->tx_iov[i].iov_len, bytes = seg;
			uint32_t j = i + 1;
			while (gso && j < end && j - i < GSO_MAX_SEGMENTS &&
			       dp->tx_addr[j].sin_addr.s_addr == dp->tx_addr[i].sin_addr.s_addr &&
			       dp->tx_iov[j].iov_len <= seg &&
			       bytes + dp->tx_iov[j].iov_len <= GSO_MAX_SIZE) {
				bytes += dp->tx_iov[j].iov_len;
				if (dp->tx_iov[j++].iov_len < seg)
					break; /* a shorter one ends a run */
			}
			struct mmsghdr *m = &dp->tx_msgs[start[s] + n_msgs];
			*m = (struct mmsghdr){
			    .msg_hdr =
				{
				    .msg_name = &dp->tx_addr[i],
				    .msg_namelen = sizeof dp->tx_addr[i],
				    .msg_iov = &dp->tx_iov[i],
				    .msg_iovlen = j - i,
				},
			};
			if (j - i > 1) {
				union gso_control *c = &dp->tx_control[start[s] + n_msgs];
				memset(c, 0, sizeof *c);
				m->msg_hdr.msg_control = c->buf;
				m->msg_hdr.msg_controllen = sizeof c->buf;
				struct cmsghdr *cm = CMSG_FIRSTHDR(&m->msg_hdr);
				cm->cmsg_level = SOL_UDP;
				cm->cmsg_type = UDP_SEGMENT;
				cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
				uint16_t size = (uint16_t)seg;
				memcpy(CMSG_DATA(cm), &size, sizeof size);
			}
			n_msgs++;
			i = j;
		}
		if (n_msgs)
			send_group(dp, dp->tx_fd[s], &dp->tx_msgs[start[s]], n_msgs);
	}
	for (uint32_t i = dp->n_tx; i-- > 0;)
		buf_put(dp, dp->tx[i].buf);
	dp->n_tx = 0;
}

/* Writes the frame in buffer 'bi' to port 'port' of 'snap'. */
static void port_tx(struct datapath *dp, const struct snapshot *snap, uint32_t port,
		    const struct dp_buf *b)
{
	uintptr_t cookie =
	    port < dp_tables_n_ports(snap->tables) ? dp_tables_port_cookie(snap->tables, port) : 0;
	if (!cookie) {
		/* The port has no TAP (it could not be created): it cannot
		 * take the frame, like a full queue. */
		drop_count(dp, DP_DROP_QUEUE_FULL);
		return;
	}
	ssize_t n = write((int)(cookie - 1), b->data, b->len);
	if (n < 0) {
		drop_count(dp, DP_DROP_QUEUE_FULL);
		if (debugging(dp))
			LOG_RL(LOG_LEVEL_INFO, 600, "port %s: write: %s",
			       dp_tables_port_name(snap->tables, port), strerror(errno));
	}
}

/* Logs a packet's fate (debug mode). 'port' is the input port, or -1 for
 * the underlay with 'from' its outer source address. */
static void debug_log(const struct snapshot *snap, int64_t port, uint32_t from,
		      const struct dp_buf *b, const struct dp_action *a)
{
	char src[64], addr[IPV4_ADDR_STRLEN];
	if (port >= 0) {
		snprintf(src, sizeof src, "port %s",
			 dp_tables_port_name(snap->tables, (uint32_t)port));
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
		LOG_RL(LOG_LEVEL_INFO, 600, "%s: to underlay %s (flow port %u), %zu bytes", src,
		       addr, a->udp_src_port, b->len);
		break;
	}
}

/* Carries out the pipeline's action 'a' on buffer 'bi'. */
static void act(struct datapath *dp, const struct snapshot *snap, uint32_t bi,
		const struct dp_action *a)
{
	const struct dp_buf *b = &dp->bufs[bi];
	switch (a->verdict) {
	case DP_DROP:
		break;
	case DP_TO_PORT:
		port_tx(dp, snap, a->port, b);
		break;
	case DP_TO_UNDERLAY:
		dp->tx[dp->n_tx++] = (struct tx_entry){
		    .buf = bi,
		    .addr_be = htonl(a->next_hop),
		    .sock = (uint16_t)(a->udp_src_port % DATAPATH_TX_SOCKETS),
		};
		return; /* the buffer is freed when the round's datagrams are sent */
	}
	buf_put(dp, bi);
}

/* Reads up to a burst of frames from the TAP 'fd'. */
static void port_rx(struct datapath *dp, const struct snapshot *snap, int fd)
{
	/* A descriptor the snapshot does not know was just added or removed;
	 * the next round sorts it out. */
	if (!snapshot_has_fd(snap, fd))
		return;
	uint32_t port = (uint32_t)snap->fd_port[fd];
	for (int i = 0; i < DATAPATH_BURST; i++) {
		if (dp->n_free < 1)
			tx_flush(dp);
		uint32_t bi = buf_get(dp);
		struct dp_buf *b = &dp->bufs[bi];
		ssize_t n = read(fd, b->data, dp_buf_tailroom(b));
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
		b->len = (size_t)n;
		struct dp_action a;
		dp_from_port(dp->ctx, snap->tables, port, b, &a);
		if (debugging(dp))
			debug_log(snap, port, 0, b, &a);
		act(dp, snap, bi, &a);
	}
}

/* Receives up to a burst of datagrams from the underlay with one
 * recvmmsg(). */
static void underlay_rx(struct datapath *dp, const struct snapshot *snap)
{
	if (dp->n_free < DATAPATH_BURST)
		tx_flush(dp);
	for (unsigned int i = 0; i < DATAPATH_BURST; i++) {
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
			},
		};
	}
	int n = recvmmsg(dp->rx_fd, dp->rx_msgs, DATAPATH_BURST, MSG_DONTWAIT, NULL);
	if (n < 0)
		n = 0;
	for (unsigned int i = 0; i < (unsigned int)n; i++) {
		uint32_t bi = dp->rx_buf[i];
		struct dp_buf *b = &dp->bufs[bi];
		const struct mmsghdr *m = &dp->rx_msgs[i];
		b->len = m->msg_len;
		if (m->msg_hdr.msg_flags & MSG_TRUNC) {
			/* Larger than a buffer: no frame of ours is. */
			drop_count(dp, DP_DROP_PARSE);
			buf_put(dp, bi);
			continue;
		}
		if (!snap) {
			/* No view yet: nothing here is for us. */
			drop_count(dp, DP_DROP_NOT_FOR_US);
			buf_put(dp, bi);
			continue;
		}
		uint32_t from = ntohl(dp->rx_addr[i].sin_addr.s_addr);
		struct dp_action a;
		dp_from_underlay(dp->ctx, snap->tables, from, b, &a);
		if (debugging(dp))
			debug_log(snap, -1, from, b, &a);
		act(dp, snap, bi, &a);
	}
	/* Give back the buffers that received nothing, in reverse so that the
	 * stack hands out the same (cache-warm) ones next time. */
	for (unsigned int i = DATAPATH_BURST; i-- > (unsigned int)n;)
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
		tx_flush(dp);
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

static int udp_socket_bind(uint16_t port, int *fdp)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_in sin = {
	    .sin_family = AF_INET,
	    .sin_port = htons(port),
	    .sin_addr.s_addr = htonl(INADDR_ANY),
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
	struct datapath *dp = xzalloc(sizeof *dp);
	int rc;

	*dpp = NULL;
	*error = NULL;
	dp->epfd = dp->wakefd = dp->rx_fd = -1;
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
	if (dp->epfd < 0 || dp->wakefd < 0) {
		rc = -errno;
		*error = xasprintf("cannot create the data plane's epoll set: %s", strerror(errno));
		goto err;
	}

	rc = udp_socket_bind(underlay_port, &dp->rx_fd);
	if (rc) {
		*error = xasprintf(
		    "cannot bind UDP 0.0.0.0:%u: %s%s", underlay_port, strerror(-rc),
		    rc == -EADDRINUSE ? " (does another agent or a vxlan device use it?)" : "");
		goto err;
	}
	sockbuf_set(dp->rx_fd, SO_RCVBUFFORCE, SO_RCVBUF, UNDERLAY_SOCKBUF_SIZE);

	for (unsigned int k = 0; k < DATAPATH_TX_SOCKETS; k++) {
		uint16_t port = (uint16_t)(DATAPATH_TX_PORT_BASE + k);
		rc = udp_socket_bind(port, &dp->tx_fd[k]);
		if (rc == -EADDRINUSE) {
			/* Some other socket got this ephemeral port first; any
			 * port still spreads flows, if less predictably. */
			LOG_INFO("UDP port %u is taken; sending socket %u uses another", port, k);
			rc = udp_socket_bind(0, &dp->tx_fd[k]);
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
	for (unsigned int k = 0; k < DATAPATH_TX_SOCKETS; k++)
		if (dp->tx_fd[k] >= 0)
			close(dp->tx_fd[k]);
	if (dp->rx_fd >= 0)
		close(dp->rx_fd);
	if (dp->wakefd >= 0)
		close(dp->wakefd);
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
	for (uint32_t i = 0; i < s->n_fd; i++)
		s->fd_port[i] = -1;
	for (uint32_t p = 0; p < n_ports; p++) {
		uintptr_t cookie = dp_tables_port_cookie(t, p);
		if (cookie)
			s->fd_port[cookie - 1] = (int32_t)p;
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
