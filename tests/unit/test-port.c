// SPDX-License-Identifier: Apache-2.0
/*
 * Tests of the agent's ports (agent/port.h): device-name checks; a TAP
 * device made with the instance's MAC, the MTU and up, non-blocking, gone
 * with its descriptor (in a private network namespace, so only as root;
 * skipped otherwise); and the port keeper: descriptors kept, handed to the
 * next agent after one vanished without stopping it, a second agent of the
 * same host refused while one is connected, a dropped descriptor not
 * handed over, and the keeper gone after a stop.
 */
/* cmocka.h needs these before it. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "port.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* True once the process runs in a network namespace of its own. */
static bool private_netns;

static void test_name_is_valid(void **state)
{
	assert_true(port_name_is_valid("onm0123456789ab"));
	assert_true(port_name_is_valid("eth0"));
	assert_false(port_name_is_valid(""));
	assert_false(port_name_is_valid("onm0123456789abc")); /* 16 characters */
	assert_false(port_name_is_valid("a b"));
	assert_false(port_name_is_valid("../x"));
	assert_false(port_name_is_valid("ONM1"));
}

static void test_tap_open(void **state)
{
	static const struct eth_addr mac = {{0x02, 0x12, 0x34, 0x56, 0x78, 0x9a}};
	struct ifreq ifr;
	int fd;

	if (!private_netns)
		skip();
	assert_int_equal(port_tap_open("bad name", &mac, PORT_MTU, &fd), -EINVAL);
	assert_int_equal(port_tap_open("onm0000000000a1", &mac, PORT_MTU, &fd), 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	int s = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "onm0000000000a1");
	assert_int_equal(ioctl(s, SIOCGIFHWADDR, &ifr), 0);
	assert_memory_equal(ifr.ifr_hwaddr.sa_data, mac.b, 6);
	assert_int_equal(ioctl(s, SIOCGIFMTU, &ifr), 0);
	assert_int_equal(ifr.ifr_mtu, PORT_MTU);
	assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	assert_true(ifr.ifr_flags & IFF_UP);
	close(s);

	/* Nothing to read yet, and reading does not block. */
	char buf[2048];
	assert_int_equal(read(fd, buf, sizeof buf), -1);
	assert_int_equal(errno, EAGAIN);

	close(fd);
	assert_int_equal(if_nametoindex("onm0000000000a1"), 0);
}

/* A socket pair standing in for a TAP: the keeper only holds descriptors. */
static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

/* True if 'fd' and 'peer' are the two ends of one pair. */
static bool connected(int fd, int peer)
{
	char c = 'x';
	return write(fd, &c, 1) == 1 && read(peer, &c, 1) == 1 && c == 'x';
}

static void test_keeper(void **state)
{
	struct port_keeper *k1, *k2, *k3;
	struct port_kept *kept;
	size_t n_kept;
	char host[64];
	int a[2], b[2];

	/* A host name of our own: outside a private namespace the keeper's
	 * abstract socket is visible to the whole machine. */
	snprintf(host, sizeof host, "test-port-%d", (int)getpid());
	pair(a);
	pair(b);

	assert_int_equal(port_keeper_start(host, &k1, &kept, &n_kept), 0);
	assert_int_equal(n_kept, 0);
	assert_null(kept);
	assert_int_equal(port_keeper_keep(k1, "onm0000000000a1", a[0]), 0);
	assert_int_equal(port_keeper_keep(k1, "onm0000000000b1", b[0]), 0);
	assert_int_equal(port_keeper_keep(k1, "bad name", b[0]), -EINVAL);
	assert_int_equal(port_keeper_drop(k1, "onm0000000000b1"), 0);

	/* Another agent of the host while the first is connected. */
	assert_int_equal(port_keeper_start(host, &k2, &kept, &n_kept), -EBUSY);

	/* The first agent vanishes (as if killed): the next one gets the
	 * descriptor kept for it, the same socket. */
	close(a[0]);
	close(b[0]);
	port_keeper_detach(k1);
	assert_int_equal(port_keeper_start(host, &k2, &kept, &n_kept), 0);
	assert_int_equal(n_kept, 1);
	assert_string_equal(kept[0].name, "onm0000000000a1");
	assert_true(connected(kept[0].fd, a[1]));
	assert_true(connected(a[1], kept[0].fd));
	/* The dropped one's copy was closed by the keeper: its peer sees the
	 * end once ours is closed too. */
	char c;
	assert_int_equal(read(b[1], &c, 1), 0);

	/* A clean stop: the keeper closes its copy and exits. */
	port_keeper_stop(k2);
	close(kept[0].fd);
	free(kept);
	assert_int_equal(read(a[1], &c, 1), 0);
	/* Gone: a new start forks a new, empty keeper. */
	for (int i = 0; i < 100; i++) {
		assert_int_equal(port_keeper_start(host, &k3, &kept, &n_kept), 0);
		if (!n_kept)
			break;
		usleep(10 * 1000);
	}
	assert_int_equal(n_kept, 0);
	port_keeper_stop(k3);
	close(a[1]);
	close(b[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name_is_valid),
	    cmocka_unit_test(test_tap_open),
	    cmocka_unit_test(test_keeper),
	};
	/* As root, a network namespace of our own: TAP devices and the
	 * keeper's socket vanish with this process. */
	private_netns = !unshare(CLONE_NEWNET);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
