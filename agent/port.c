// SPDX-License-Identifier: Apache-2.0
/*
 * TAP devices of the instances and the keeper process that holds copies of
 * their descriptors across agent restarts (see port.h). The keeper speaks
 * a tiny text protocol over a SOCK_SEQPACKET Unix socket, one message per
 * packet, descriptors attached as SCM_RIGHTS:
 *
 *   agent -> keeper   "K NAME" + fd   keep a copy of fd under NAME
 *                     "D NAME"        close the copy of NAME
 *                     "L"             list: send every copy
 *                     "X"             close every copy and exit
 *   keeper -> agent   "H"             hello: first message to the agent it serves
 *                     "B"             busy: another agent is connected (then closes)
 *                     "P NAME" + fd   one copy (answer to "L")
 *                     "E"             end of the list
 */
#include "port.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if_arp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOG_MODULE "port"
#include "onm/log.h"

/* Longest keeper message: "K " + a device name (at most IFNAMSIZ - 1). */
#define KEEPER_MSG_MAX (2 + IFNAMSIZ - 1)

struct port_keeper {
	int fd; /* SOCK_SEQPACKET connection to the keeper process */
};

bool port_name_is_valid(const char *name)
{
	size_t len = strlen(name);
	if (!len || len >= IFNAMSIZ)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_'))
			return false;
	return true;
}

/* One SIOCSIF* request on the device 'name' through the helper socket 's'. */
static int ifreq_ioctl(int s, unsigned long request, struct ifreq *ifr)
{
	return ioctl(s, request, ifr) ? -errno : 0;
}

int port_tap_open(const char *name, const struct eth_addr *mac, int mtu, int *fdp)
{
	if (!port_name_is_valid(name))
		return -EINVAL;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, name, strlen(name));
	int rc = 0;
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		rc = -errno;
		goto err_close_fd;
	}
	int hdr_size = (int)sizeof(struct virtio_net_hdr);
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_size)) {
		rc = -errno;
		goto err_close_fd;
	}
	/* What the instance may hand us: partial checksums and IPv4 TCP
	 * segments of up to 64 KiB (the data path completes and cuts them,
	 * agent/gso.h). Not IPv6 (the pipeline drops it anyway), not ECN
	 * (the kernel segments those itself), not UDP segmentation. Without
	 * them (an old kernel) the instance just sends finished frames. */
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4)))
		LOG_WARN_RL("TAP %s: no checksum and segmentation offload: %s", name,
			    strerror(errno));

	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		rc = -errno;
		goto err_close_fd;
	}
	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, name, strlen(name));
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac->b, sizeof mac->b);
	rc = ifreq_ioctl(s, SIOCSIFHWADDR, &ifr);
	if (rc)
		goto err_close_s;

	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, name, strlen(name));
	ifr.ifr_mtu = mtu;
	rc = ifreq_ioctl(s, SIOCSIFMTU, &ifr);
	if (rc)
		goto err_close_s;

	/* The instance's bursts wait here for the agent to read them; tun's
	 * default of 500 frames drops some of a TCP window. */
	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, name, strlen(name));
	ifr.ifr_qlen = PORT_TXQUEUELEN;
	rc = ifreq_ioctl(s, SIOCSIFTXQLEN, &ifr);
	if (rc)
		goto err_close_s;

	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, name, strlen(name));
	rc = ifreq_ioctl(s, SIOCGIFFLAGS, &ifr);
	if (rc)
		goto err_close_s;
	ifr.ifr_flags |= IFF_UP;
	rc = ifreq_ioctl(s, SIOCSIFFLAGS, &ifr);
	if (rc)
		goto err_close_s;

	close(s);
	*fdp = fd;
	return 0;

err_close_s:
	close(s);
err_close_fd:
	close(fd);
	return rc;
}

bool port_tap_has_vnet_hdr(int fd)
{
	struct ifreq ifr;
	int hdr_size = 0;

	memset(&ifr, 0, sizeof ifr);
	if (ioctl(fd, TUNGETIFF, &ifr) || !(ifr.ifr_flags & IFF_VNET_HDR))
		return false;
	return !ioctl(fd, TUNGETVNETHDRSZ, &hdr_size) &&
	       hdr_size == (int)sizeof(struct virtio_net_hdr);
}

/* The keeper's abstract socket address for 'host'; returns its length. */
static socklen_t keeper_address(const char *host, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	/* sun_path[0] stays NUL: an abstract name, scoped to the network
	 * namespace and gone with the last socket. */
	int n = snprintf(sun->sun_path + 1, sizeof sun->sun_path - 1, "onm-agent-ports/%s", host);
	if (n < 0 || (size_t)n >= sizeof sun->sun_path - 1)
		n = (int)sizeof sun->sun_path - 2;
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* Sends the message 'text' with descriptor 'fd' attached if fd >= 0. */
static int msg_send(int s, const char *text, int fd)
{
	struct iovec iov = {(void *)text, strlen(text)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		memset(&control, 0, sizeof control);
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof control.buf;
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
	}
	for (;;) {
		ssize_t n = sendmsg(s, &msg, MSG_NOSIGNAL);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* Receives one message into 'text' (NUL-terminated) and the descriptor that
 * came with it into '*fd' (-1 if none). 'flags' are recvmsg()'s. Returns
 * the message's length, 0 at end of stream, or -errno. */
static ssize_t msg_recv(int s, char text[KEEPER_MSG_MAX + 1], int *fd, int flags)
{
	struct iovec iov = {text, KEEPER_MSG_MAX};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} control;
	struct msghdr msg = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = control.buf,
	    .msg_controllen = sizeof control.buf,
	};
	*fd = -1;
	ssize_t n;
	do {
		n = recvmsg(s, &msg, MSG_CMSG_CLOEXEC | flags);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfds; i++) {
			int got;
			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
			if (*fd < 0)
				*fd = got;
			else
				close(got);
		}
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		/* Not something we sent: treat as a broken peer. */
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EPROTO;
	}
	text[n] = '\0';
	return n;
}

/* Carries out one message of the agent. */
static void keeper_handle(int owner, const char *text, int fd, struct port_kept **held,
			  size_t *n_held, size_t *allocated)
{
	if (text[0] == 'K' && text[1] == ' ' && fd >= 0 && port_name_is_valid(text + 2)) {
		size_t i;
		for (i = 0; i < *n_held; i++)
			if (!strcmp((*held)[i].name, text + 2))
				break;
		if (i < *n_held) {
			close((*held)[i].fd);
		} else {
			*held = xgrow(*held, allocated, *n_held + 1, sizeof **held);
			(*n_held)++;
			memcpy((*held)[i].name, text + 2, strlen(text + 2) + 1);
		}
		(*held)[i].fd = fd;
		return;
	}
	if (text[0] == 'D' && text[1] == ' ') {
		for (size_t i = 0; i < *n_held; i++) {
			if (!strcmp((*held)[i].name, text + 2)) {
				close((*held)[i].fd);
				(*held)[i] = (*held)[--(*n_held)];
				break;
			}
		}
	} else if (!strcmp(text, "L")) {
		for (size_t i = 0; i < *n_held; i++) {
			char reply[KEEPER_MSG_MAX + 1];
			snprintf(reply, sizeof reply, "P %s", (*held)[i].name);
			(void)msg_send(owner, reply, (*held)[i].fd);
		}
		(void)msg_send(owner, "E", -1);
	} else if (!strcmp(text, "X")) {
		_exit(0); /* the copies close with the process */
	}
	if (fd >= 0)
		close(fd);
}

/* The keeper process. Never returns. */
static NO_RETURN void keeper_main(int lfd)
{
	struct port_kept *held = NULL;
	size_t n_held = 0, allocated = 0;
	int owner = -1;

	/* A grace period for the first agent too: the one that forked us
	 * connects right away, unless it died meanwhile. */
	time_t deadline = time(NULL) + PORT_KEEPER_GRACE_S;
	for (;;) {
		struct pollfd pfd[2] = {{lfd, POLLIN, 0}, {owner, POLLIN, 0}};
		int timeout_ms = -1;
		if (owner < 0) {
			time_t now = time(NULL);
			timeout_ms = deadline > now ? (int)(deadline - now) * 1000 : 0;
		}
		int ready = poll(pfd, owner < 0 ? 1 : 2, timeout_ms);
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (!ready && owner < 0)
			_exit(0); /* nobody came: the descriptors go */

		/* The agent first: if it is gone, a waiting connection is its
		 * successor, not a second agent. */
		if (owner >= 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			for (;;) {
				char text[KEEPER_MSG_MAX + 1];
				int fd;
				ssize_t n = msg_recv(owner, text, &fd, MSG_DONTWAIT);
				if (n == -EAGAIN)
					break;
				if (n <= 0) {
					/* The agent is gone (killed, or crashed).
					 * Holding nothing, wait for nobody. */
					close(owner);
					owner = -1;
					deadline = time(NULL) + (n_held ? PORT_KEEPER_GRACE_S : 0);
					break;
				}
				keeper_handle(owner, text, fd, &held, &n_held, &allocated);
			}
		}
		if (pfd[0].revents & POLLIN) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0 && owner >= 0) {
				(void)msg_send(c, "B", -1);
				close(c);
			} else if (c >= 0) {
				owner = c;
				/* Do not wait for an agent that may never read
				 * what we send it. */
				struct timeval tv = {2, 0};
				setsockopt(owner, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
				(void)msg_send(owner, "H", -1);
			}
		}
	}
}

/* Forks the keeper with the listening socket 'lfd'. Returns 0 or -errno. */
static int keeper_spawn(int lfd)
{
	/* Fork twice so that the keeper is nobody's child: it outlives the
	 * agent by design, and must not linger as the agent's zombie. */
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ECHILD;
	}
	pid = fork();
	if (pid)
		_exit(pid < 0);

	/* The keeper: detach from the agent's terminal and process group so
	 * that signals meant for the agent (Ctrl-C, a supervisor's kill of the
	 * group) leave the descriptors alone, and hold nothing of the agent's
	 * but the listening socket (a pipe held open would keep whoever reads
	 * the agent's output waiting). */
	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	prctl(PR_SET_NAME, "onm-port-keeper", 0, 0, 0);
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	if (dup2(lfd, 3) < 0)
		_exit(1);
	close_range(4, ~0u, 0);
	keeper_main(3);
}

/* Asks a freshly connected keeper for what it holds. */
static int keeper_adopt(int s, struct port_kept **kept, size_t *n_kept)
{
	size_t allocated = 0;
	*kept = NULL;
	*n_kept = 0;

	/* The keeper says whether we are the agent it serves. */
	char text[KEEPER_MSG_MAX + 1];
	int fd;
	ssize_t n = msg_recv(s, text, &fd, 0);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return n ? (int)n : -ECONNRESET;
	if (!strcmp(text, "B"))
		return -EBUSY;
	if (strcmp(text, "H"))
		return -EPROTO;

	int rc = msg_send(s, "L", -1);
	while (!rc) {
		n = msg_recv(s, text, &fd, 0);
		if (n <= 0) {
			rc = n ? (int)n : -ECONNRESET;
		} else if (!strcmp(text, "E")) {
			break;
		} else if (text[0] == 'P' && text[1] == ' ' && fd >= 0 &&
			   port_name_is_valid(text + 2)) {
			*kept = xgrow(*kept, &allocated, *n_kept + 1, sizeof **kept);
			struct port_kept *k = &(*kept)[(*n_kept)++];
			memcpy(k->name, text + 2, strlen(text + 2) + 1);
			k->fd = fd;
			fd = -1;
		} else {
			rc = -EPROTO;
		}
		if (fd >= 0)
			close(fd);
	}
	if (rc) {
		for (size_t i = 0; i < *n_kept; i++)
			close((*kept)[i].fd);
		free(*kept);
		*kept = NULL;
		*n_kept = 0;
	}
	return rc;
}

int port_keeper_start(const char *host, struct port_keeper **keeperp, struct port_kept **kept,
		      size_t *n_kept)
{
	struct sockaddr_un sun;
	socklen_t len = keeper_address(host, &sun);
	int rc = -ECONNREFUSED;

	*keeperp = NULL;
	*kept = NULL;
	*n_kept = 0;
	/* Connect to a running keeper, or start one and connect to it. Two
	 * rounds are enough unless another agent races us, or a keeper is
	 * exiting, each time. */
	for (int attempt = 0; attempt < 20; attempt++) {
		int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (s < 0)
			return -errno;
		if (!connect(s, (struct sockaddr *)&sun, len)) {
			struct timeval tv = {2, 0};
			setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
			setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
			rc = keeper_adopt(s, kept, n_kept);
			if (rc == -ECONNRESET || rc == -EPIPE) {
				/* A keeper on its way out took the
				 * connection: try again once it is gone. */
				close(s);
				usleep(10 * 1000);
				continue;
			}
			if (rc) {
				close(s);
				return rc;
			}
			struct port_keeper *keeper = xzalloc(sizeof *keeper);
			keeper->fd = s;
			*keeperp = keeper;
			return 0;
		}
		rc = -errno;
		close(s);
		if (rc != -ECONNREFUSED && rc != -ENOENT)
			return rc;

		int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (lfd < 0)
			return -errno;
		if (bind(lfd, (struct sockaddr *)&sun, len) || listen(lfd, 4)) {
			rc = -errno;
			close(lfd);
			if (rc == -EADDRINUSE)
				continue; /* someone else started one: connect to it */
			return rc;
		}
		rc = keeper_spawn(lfd);
		close(lfd);
		if (rc)
			return rc;
	}
	return rc;
}

int port_keeper_keep(struct port_keeper *keeper, const char *name, int fd)
{
	char text[KEEPER_MSG_MAX + 1];
	if (!port_name_is_valid(name))
		return -EINVAL;
	snprintf(text, sizeof text, "K %s", name);
	return msg_send(keeper->fd, text, fd);
}

int port_keeper_drop(struct port_keeper *keeper, const char *name)
{
	char text[KEEPER_MSG_MAX + 1];
	if (!port_name_is_valid(name))
		return -EINVAL;
	snprintf(text, sizeof text, "D %s", name);
	return msg_send(keeper->fd, text, -1);
}

void port_keeper_stop(struct port_keeper *keeper)
{
	if (!keeper)
		return;
	(void)msg_send(keeper->fd, "X", -1);
	close(keeper->fd);
	free(keeper);
}

void port_keeper_detach(struct port_keeper *keeper)
{
	if (!keeper)
		return;
	close(keeper->fd);
	free(keeper);
}
