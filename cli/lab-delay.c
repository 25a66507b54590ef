// SPDX-License-Identifier: Apache-2.0
/*
 * The lab's delay line ('onm lab delay STATE_DIR', a supervised service):
 * link latency for kernels without the netem qdisc. In each host namespace,
 * an iptables rule sends what leaves a link device (mangle POSTROUTING -o
 * ulN) to NFQUEUE queue N; this process holds each packet's verdict for the
 * link's one-way latency and then accepts it, so the packet goes on to the
 * device's tbf. Only metadata crosses to user space (NFQNL_COPY_META), GSO
 * packets whole (NFQA_CFG_F_GSO).
 *
 * One delay per queue keeps the queue in order, so a single batch verdict
 * (NFQNL_MSG_VERDICT_BATCH: every id up to N) releases everything due. A
 * lost notification (ENOBUFS) is harmless for the same reason: the packet
 * is released with the next batch. The rules use --queue-bypass, so while
 * this process is not running packets pass undelayed rather than stall.
 *
 * The queues to serve are lab.json's "delays": [{"netns", "dev", "queue",
 * "delay_us"}]. A plain epoll loop: one netlink socket per namespace, one
 * timerfd for the earliest due packet.
 */
#include "lab-private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define LOG_MODULE "delay"
#include "onm/log.h"

#define QUEUE_MAXLEN 16384	   /* packets held per queue at most */
#define RING_SIZE 32768		   /* power of two, > QUEUE_MAXLEN */
#define RCVBUF_SIZE (16u << 20)	   /* bytes */
#define RECV_BUF_SIZE (256u << 10) /* bytes per recv() */

struct held {
	uint32_t id;	 /* NFQUEUE packet id */
	uint64_t due_us; /* monotonic time of release */
};

struct dqueue {
	uint16_t num;	   /* queue number (the link's index) */
	uint64_t delay_us; /* one-way latency */
	struct held *ring; /* RING_SIZE entries, FIFO */
	uint32_t head, tail;
	struct dsock *sock;
	char *where; /* "onm-lab-h1/ul0", for messages */
};

struct dsock {
	int fd; /* NETLINK_NETFILTER socket in 'netns' */
	char *netns;
	uint32_t seq;
};

struct delay_line {
	struct dsock *socks;
	size_t n_socks;
	struct dqueue *queues;
	size_t n_queues;
	int epfd;
	int timerfd;
	volatile sig_atomic_t stop;
};

static struct delay_line *the_line;

static void on_signal(int sig)
{
	(void)sig;
	if (the_line)
		the_line->stop = 1;
}

static void *nl_put(struct nlmsghdr *nlh, size_t size, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (void *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));
	size_t total = NLA_HDRLEN + len;

	if (NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(total) > size)
		onm_abort("delay: netlink message too small");
	a->nla_type = type;
	a->nla_len = (uint16_t)total;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	nlh->nlmsg_len = (uint32_t)(NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(total));
	return a;
}

static struct nlmsghdr *nfq_header(char *buf, size_t size, uint8_t msg, uint16_t queue,
				   uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = (void *)buf;
	struct nfgenmsg *nfg;

	memset(buf, 0, size);
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof *nfg);
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = NLMSG_DATA(nlh);
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(queue);
	return nlh;
}

/* Sends a request and waits for its ACK. 0 or -errno. */
static int nl_request(struct dsock *s, struct nlmsghdr *nlh)
{
	char buf[4096];

	if (send(s->fd, nlh, nlh->nlmsg_len, 0) < 0)
		return -errno;
	for (int tries = 0; tries < 16; tries++) {
		ssize_t n = recv(s->fd, buf, sizeof buf, 0);
		if (n < 0)
			return errno == EINTR ? -EINTR : -errno;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == nlh->nlmsg_seq) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				return e->error;
			}
		}
	}
	return -ETIMEDOUT;
}

static int queue_bind(struct dqueue *q)
{
	char buf[256];
	struct dsock *s = q->sock;
	struct nlmsghdr *nlh;
	int rc;

	nlh = nfq_header(buf, sizeof buf, NFQNL_MSG_CONFIG, q->num, NLM_F_ACK, ++s->seq);
	struct nfqnl_msg_config_cmd cmd = {.command = NFQNL_CFG_CMD_BIND, .pf = htons(AF_INET)};
	nl_put(nlh, sizeof buf, NFQA_CFG_CMD, &cmd, sizeof cmd);
	if ((rc = nl_request(s, nlh)))
		return rc;

	nlh = nfq_header(buf, sizeof buf, NFQNL_MSG_CONFIG, q->num, NLM_F_ACK, ++s->seq);
	struct nfqnl_msg_config_params params = {.copy_range = htonl(0),
						 .copy_mode = NFQNL_COPY_META};
	uint32_t maxlen = htonl(QUEUE_MAXLEN);
	uint32_t flags = htonl(NFQA_CFG_F_GSO);
	nl_put(nlh, sizeof buf, NFQA_CFG_PARAMS, &params, sizeof params);
	nl_put(nlh, sizeof buf, NFQA_CFG_QUEUE_MAXLEN, &maxlen, sizeof maxlen);
	nl_put(nlh, sizeof buf, NFQA_CFG_FLAGS, &flags, sizeof flags);
	nl_put(nlh, sizeof buf, NFQA_CFG_MASK, &flags, sizeof flags);
	return nl_request(s, nlh);
}

static void verdict_batch(struct dqueue *q, uint32_t id)
{
	char buf[128];
	struct nlmsghdr *nlh =
	    nfq_header(buf, sizeof buf, NFQNL_MSG_VERDICT_BATCH, q->num, 0, ++q->sock->seq);
	struct nfqnl_msg_verdict_hdr v = {.verdict = htonl(NF_ACCEPT), .id = htonl(id)};

	nl_put(nlh, sizeof buf, NFQA_VERDICT_HDR, &v, sizeof v);
	if (send(q->sock->fd, nlh, nlh->nlmsg_len, 0) < 0)
		LOG_WARN_RL("%s: verdict: %s", q->where, strerror(errno));
}

static struct dqueue *queue_find(struct delay_line *dl, struct dsock *s, uint16_t num)
{
	for (size_t i = 0; i < dl->n_queues; i++) {
		if (dl->queues[i].sock == s && dl->queues[i].num == num)
			return &dl->queues[i];
	}
	return NULL;
}

/* Takes in every packet notification waiting on 's'. */
static void sock_receive(struct delay_line *dl, struct dsock *s, char *buf)
{
	for (;;) {
		ssize_t n = recv(s->fd, buf, RECV_BUF_SIZE, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS) {
				/* Lost notifications: their packets go with the
				 * next batch verdict. */
				LOG_WARN_RL("%s: notifications lost (ENOBUFS)", s->netns);
				continue;
			}
			if (errno != EAGAIN && errno != EINTR)
				LOG_WARN_RL("%s: recv: %s", s->netns, strerror(errno));
			return;
		}
		uint64_t now = time_usec();
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
				continue;
			const struct nfgenmsg *nfg = NLMSG_DATA(h);
			struct dqueue *q = queue_find(dl, s, ntohs(nfg->res_id));
			if (!q)
				continue;
			const char *attrs = (const char *)nfg + NLMSG_ALIGN(sizeof *nfg);
			size_t len = h->nlmsg_len - NLMSG_SPACE(sizeof *nfg);
			while (len >= NLA_HDRLEN) {
				const struct nlattr *a = (const void *)attrs;
				size_t step = NLA_ALIGN(a->nla_len);
				if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
					break;
				if ((a->nla_type & NLA_TYPE_MASK) == NFQA_PACKET_HDR &&
				    a->nla_len >=
					NLA_HDRLEN + sizeof(struct nfqnl_msg_packet_hdr)) {
					const struct nfqnl_msg_packet_hdr *ph =
					    (const void *)(attrs + NLA_HDRLEN);
					uint32_t next = (q->tail + 1) & (RING_SIZE - 1);
					if (next == q->head) {
						/* Cannot happen with QUEUE_MAXLEN <
						 * RING_SIZE; release rather than lose. */
						verdict_batch(q, ntohl(ph->packet_id));
					} else {
						q->ring[q->tail].id = ntohl(ph->packet_id);
						q->ring[q->tail].due_us = now + q->delay_us;
						q->tail = next;
					}
					break;
				}
				if (step >= len)
					break;
				attrs += step;
				len -= step;
			}
		}
	}
}

/* Releases what is due; arms the timer for the next. */
static void release_due(struct delay_line *dl)
{
	uint64_t now = time_usec(), next = 0;

	for (size_t i = 0; i < dl->n_queues; i++) {
		struct dqueue *q = &dl->queues[i];
		bool any = false;
		uint32_t last = 0;
		while (q->head != q->tail && q->ring[q->head].due_us <= now) {
			last = q->ring[q->head].id;
			any = true;
			q->head = (q->head + 1) & (RING_SIZE - 1);
		}
		if (any)
			verdict_batch(q, last);
		if (q->head != q->tail && (!next || q->ring[q->head].due_us < next))
			next = q->ring[q->head].due_us;
	}

	struct itimerspec its = {{0, 0}, {0, 0}};
	if (next) {
		/* The monotonic clock of time_usec(). */
		its.it_value.tv_sec = (time_t)(next / 1000000);
		its.it_value.tv_nsec = (long)(next % 1000000) * 1000;
	}
	timerfd_settime(dl->timerfd, next ? TFD_TIMER_ABSTIME : 0, &its, NULL);
}

static struct dsock *sock_for(struct delay_line *dl, const char *netns)
{
	for (size_t i = 0; i < dl->n_socks; i++) {
		if (!strcmp(dl->socks[i].netns, netns))
			return &dl->socks[i];
	}
	return NULL;
}

static int open_socket(const char *netns, int *fdp)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int rc;

	if (self < 0)
		return -errno;
	rc = lab_netns_enter(netns, false);
	if (!rc) {
		int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
		if (fd < 0) {
			rc = -errno;
		} else {
			int size = (int)RCVBUF_SIZE, one = 1;
			if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size))
				setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
			/* No ENOBUFS reports as errors on the ACK path. */
			setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);
			struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
			if (bind(fd, (struct sockaddr *)&sa, sizeof sa)) {
				rc = -errno;
				close(fd);
			} else {
				*fdp = fd;
			}
		}
		if (setns(self, CLONE_NEWNET))
			onm_abort("cannot return to the original network namespace: %s",
				  strerror(errno));
	}
	close(self);
	return rc;
}

int lab_delay_main(const char *state_dir)
{
	struct delay_line dl = {.epfd = -1, .timerfd = -1};
	char *lab_file = xasprintf("%s/" LAB_STATE_FILE, state_dir);
	int err_no, status = 1;
	char *error;
	json_t *lab = lab_json_load(lab_file, &err_no, &error);
	char *buf = NULL;

	if (!lab) {
		LOG_ERR("%s", error);
		free(error);
		goto out;
	}
	const json_t *delays = json_object_get(lab, "delays");
	size_t n = json_array_size(delays);
	dl.socks = xcalloc(n ? n : 1, sizeof *dl.socks);
	dl.queues = xcalloc(n ? n : 1, sizeof *dl.queues);
	for (size_t i = 0; i < n; i++) {
		const json_t *d = json_array_get(delays, i);
		const char *netns = json_string_value(json_object_get(d, "netns"));
		const char *dev = json_string_value(json_object_get(d, "dev"));
		json_int_t num = json_integer_value(json_object_get(d, "queue"));
		json_int_t delay = json_integer_value(json_object_get(d, "delay_us"));
		if (!netns || !dev || num < 0 || num > 65535 || delay <= 0) {
			LOG_ERR("%s: delay %zu is malformed", lab_file, i);
			goto out;
		}
		struct dsock *s = sock_for(&dl, netns);
		if (!s) {
			s = &dl.socks[dl.n_socks];
			s->netns = xstrdup(netns);
			int rc = open_socket(netns, &s->fd);
			if (rc) {
				LOG_ERR("%s: netlink socket: %s", netns, strerror(-rc));
				free(s->netns);
				goto out;
			}
			dl.n_socks++;
		}
		struct dqueue *q = &dl.queues[dl.n_queues++];
		q->num = (uint16_t)num;
		q->delay_us = (uint64_t)delay;
		q->sock = s;
		q->ring = xcalloc(RING_SIZE, sizeof *q->ring);
		q->where = xasprintf("%s/%s", netns, dev);
		int rc = queue_bind(q);
		if (rc) {
			LOG_ERR("%s: cannot bind NFQUEUE %u: %s", q->where, q->num, strerror(-rc));
			goto out;
		}
		LOG_INFO("%s: queue %u, delay %llu us", q->where, q->num,
			 (unsigned long long)q->delay_us);
	}

	dl.epfd = epoll_create1(EPOLL_CLOEXEC);
	dl.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (dl.epfd < 0 || dl.timerfd < 0) {
		LOG_ERR("epoll/timerfd: %s", strerror(errno));
		goto out;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	epoll_ctl(dl.epfd, EPOLL_CTL_ADD, dl.timerfd, &ev);
	for (size_t i = 0; i < dl.n_socks; i++) {
		ev.data.ptr = &dl.socks[i];
		epoll_ctl(dl.epfd, EPOLL_CTL_ADD, dl.socks[i].fd, &ev);
	}

	the_line = &dl;
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	buf = xmalloc(RECV_BUF_SIZE);
	LOG_INFO("serving %zu queues in %zu namespaces", dl.n_queues, dl.n_socks);
	while (!dl.stop) {
		struct epoll_event evs[16];
		int k = epoll_wait(dl.epfd, evs, ARRAY_SIZE(evs), -1);
		if (k < 0 && errno != EINTR) {
			LOG_ERR("epoll_wait: %s", strerror(errno));
			goto out;
		}
		for (int i = 0; i < k; i++) {
			if (evs[i].data.ptr) {
				sock_receive(&dl, evs[i].data.ptr, buf);
			} else {
				uint64_t expirations;
				if (read(dl.timerfd, &expirations, sizeof expirations) < 0)
					continue;
			}
		}
		release_due(&dl);
	}
	/* Whatever is still held goes now. */
	for (size_t i = 0; i < dl.n_queues; i++) {
		struct dqueue *q = &dl.queues[i];
		if (q->head != q->tail)
			verdict_batch(q, q->ring[(q->tail - 1) & (RING_SIZE - 1)].id);
	}
	LOG_INFO("stopped");
	status = 0;
out:
	the_line = NULL;
	free(buf);
	for (size_t i = 0; i < dl.n_queues; i++) {
		free(dl.queues[i].ring);
		free(dl.queues[i].where);
	}
	for (size_t i = 0; i < dl.n_socks; i++) {
		close(dl.socks[i].fd);
		free(dl.socks[i].netns);
	}
	free(dl.queues);
	free(dl.socks);
	if (dl.epfd >= 0)
		close(dl.epfd);
	if (dl.timerfd >= 0)
		close(dl.timerfd);
	json_decref(lab);
	free(lab_file);
	return status;
}
