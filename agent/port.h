/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ports: the TAP devices through which instances attach to the agent, and
 * the port keeper that keeps them alive while the agent restarts.
 *
 * A port is a TAP device (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR) named by
 * port_name() of include/onm/naming.h. Every frame read or written carries
 * a virtio-net header (struct virtio_net_hdr, 10 bytes) in front, and the
 * device offers the instance checksum and TCP segmentation offload for
 * IPv4 (TUN_F_CSUM | TUN_F_TSO4): the instance's kernel hands the agent
 * TCP segments of up to 64 KiB with partial checksums, and takes
 * coalesced ones (agent/gso.h).
 *
 * The agent creates the device in its own network namespace
 * with the instance's MAC address (the device's own address is what the
 * instance sees as its NIC's address once the lab, as a hypervisor would,
 * has moved the device into the instance's namespace as eth0), an MTU that
 * leaves room for the VXLAN encapsulation on a 1500-byte underlay, and
 * brings it up. The file descriptor stays valid across such a move: the
 * agent never looks the device up by name again.
 *
 * TAP devices are not persistent: a device lives as long as a file
 * descriptor of it is open. So that a crashed or killed agent does not
 * take its instances' NICs with it (the instance would be left with no
 * eth0, and a new agent could not find a device that was moved to another
 * namespace), the agent hands a copy of each descriptor to a small keeper
 * process (as systemd's file-descriptor store does). The keeper listens on
 * an abstract Unix socket named after the host ("onm-agent-ports/NAME"),
 * which is private to the network namespace the agent runs in. A new agent
 * of the same host first asks a running keeper for the descriptors it
 * holds and adopts them, so the instances keep their NICs and traffic
 * resumes as soon as the new agent has its view. The keeper serves one
 * agent at a time (a second agent of the same host is refused), and exits
 * when its agent tells it to (on a clean stop, which also destroys the
 * TAPs), when it holds no descriptor and its agent is gone, or
 * PORT_KEEPER_GRACE_S seconds after its agent vanished without a new one
 * taking over.
 *
 * Thread-safety: the functions are called from the control thread only.
 */
#ifndef ONM_AGENT_PORT_H
#define ONM_AGENT_PORT_H

#include "onm/net.h"
#include "onm/util.h"

#include <net/if.h>
#include <stddef.h>

/* MTU given to new TAP devices, bytes: a 1500-byte underlay minus the 50
 * bytes VXLAN adds (outer IPv4 20, UDP 8, VXLAN 8, the inner Ethernet
 * header 14), as OpenStack and Kubernetes overlays do. */
#define PORT_MTU 1450

/* Frames a TAP device queues for the agent to read (txqueuelen). */
#define PORT_TXQUEUELEN 1000

/* Seconds a keeper waits for a new agent after its agent vanished. */
#define PORT_KEEPER_GRACE_S 10

/* Opens (creating it if needed) the TAP device 'name' in the calling
 * thread's network namespace with a virtio-net header and its offloads (a
 * kernel that refuses the offloads leaves them off; the header stays),
 * sets its MAC address to 'mac', its MTU to 'mtu' and its queue to
 * PORT_TXQUEUELEN frames, and brings it up. On
 * success stores a non-blocking descriptor in '*fd' (the caller closes it;
 * the device goes away with its last descriptor) and returns 0; else
 * returns -errno. */
int port_tap_open(const char *name, const struct eth_addr *mac, int mtu,
		  int *fd) WARN_UNUSED_RESULT;

/* True if 'fd' is a TAP whose frames carry a virtio-net header of
 * sizeof(struct virtio_net_hdr) bytes, as port_tap_open() makes them. False
 * for a TAP opened without one (by an earlier agent whose descriptors a
 * keeper handed over) and for anything that is not a TAP: the data path
 * then reads and writes bare frames. */
bool port_tap_has_vnet_hdr(int fd);

/* True if 'name' is a valid device name as port_name() makes them. */
bool port_name_is_valid(const char *name);

struct port_keeper;

/* A descriptor a keeper held for an earlier agent. */
struct port_kept {
	char name[IFNAMSIZ]; /* TAP name the descriptor was kept under */
	int fd;		     /* the descriptor, now the caller's */
};

/* Connects to the keeper of host 'host' in this network namespace, or
 * starts one (a forked child: call this before creating threads). If an
 * earlier agent's keeper was running, the descriptors it held are stored
 * in '*kept' (an allocated array of '*n_kept' elements; the caller owns
 * it and the descriptors). Returns 0 and sets '*keeper', -EBUSY if
 * another agent of 'host' is connected to the keeper, or another -errno. */
int port_keeper_start(const char *host, struct port_keeper **keeper, struct port_kept **kept,
		      size_t *n_kept) WARN_UNUSED_RESULT;

/* Gives the keeper a copy of 'fd' under 'name' (replacing an earlier one of
 * that name). Returns 0 or -errno (the keeper is gone). */
int port_keeper_keep(struct port_keeper *, const char *name, int fd) WARN_UNUSED_RESULT;

/* Makes the keeper close its copy for 'name'. Returns 0 or -errno. */
int port_keeper_drop(struct port_keeper *, const char *name) WARN_UNUSED_RESULT;

/* Tells the keeper to close every copy and exit, and frees 'keeper'. Accepts
 * NULL. */
void port_keeper_stop(struct port_keeper *);

/* Forgets the keeper without stopping it (it then waits for a new agent
 * for PORT_KEEPER_GRACE_S seconds); for tests of the adoption. */
void port_keeper_detach(struct port_keeper *);

#endif /* ONM_AGENT_PORT_H */
