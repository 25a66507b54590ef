/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The data plane's tables: an immutable snapshot built from the host's view
 * (the entries of docs/dataplane.md, "Entries of host H's view") with
 * everything the pipeline looks up per packet — ports, per-VN address maps,
 * router LPMs, compiled security groups, VNI map, service classes (DSCP,
 * waypoint role), forwarding entries with their equal-cost next hops.
 *
 * Life cycle and threads. The control thread builds a snapshot with
 * dp_tables_build() whenever the view changes, then publishes it to the
 * data-plane threads by swapping one atomic pointer. A snapshot is never
 * changed after it is published (dp_tables_port_set_cookie() is for the
 * time before), so readers need no lock; the control thread destroys an old
 * snapshot only after every data-plane thread has stopped using it (e.g.
 * after each thread has passed a quiescent point since the swap). Lookups
 * allocate nothing; every string and array is built here.
 *
 * Ports are the instances placed on this host, numbered 0..n-1 in the
 * order of their instance ids ("T/N/I"). A port's index may differ between
 * two snapshots; its name (the TAP device, naming.h) does not.
 */
#ifndef ONM_AGENT_TABLES_H
#define ONM_AGENT_TABLES_H

#include "counters.h"
#include "onm/net.h"
#include "onm/util.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct dp_tables;

/* Builds a snapshot from 'entries' (a JSON object KEY -> VALUE, the whole
 * view), taking counter entries from 'reg' (which must outlive the
 * snapshot). Returns NULL and sets '*out' on success; otherwise returns an
 * allocated message naming the entry and what is wrong with it ("instance/
 * acme/blue/web1: ip: \"10.1.1\" is not an IPv4 address") and '*out' is
 * NULL. Entries of kinds it does not know (e.g. "link/", which the agent
 * reads elsewhere) are ignored (forward compatibility); a missing "self" is
 * an error, and so is a network or forwarding entry whose "class_id" is no
 * class/ entry's id. */
char *dp_tables_build(const json_t *entries, struct dp_counters_registry *reg,
		      struct dp_tables **out) WARN_UNUSED_RESULT;
/* NULL is fine. */
void dp_tables_destroy(struct dp_tables *);

/* This host: its id (1..65535), name and underlay address (host order). */
uint16_t dp_tables_self_id(const struct dp_tables *);
const char *dp_tables_self_name(const struct dp_tables *);
uint32_t dp_tables_self_address(const struct dp_tables *);

/* Ports: local instances, 0..n-1. */
uint32_t dp_tables_n_ports(const struct dp_tables *);
/* The TAP device name (the view's "port", as port_name() makes it). */
const char *dp_tables_port_name(const struct dp_tables *, uint32_t port);
/* The instance id "T/N/I". */
const char *dp_tables_port_instance(const struct dp_tables *, uint32_t port);
/* The instance's MAC (the address its NIC must use) and IPv4 address. */
const struct eth_addr *dp_tables_port_mac(const struct dp_tables *, uint32_t port);
uint32_t dp_tables_port_ip(const struct dp_tables *, uint32_t port);
/* The port with TAP name 'name', or -1. Linear; not for the data path. */
int dp_tables_port_find(const struct dp_tables *, const char *name);

/* A value the runtime attaches to a port (e.g. its TAP file descriptor or
 * queue), set before the snapshot is published; 0 until set. */
void dp_tables_port_set_cookie(struct dp_tables *, uint32_t port, uintptr_t cookie);
uintptr_t dp_tables_port_cookie(const struct dp_tables *, uint32_t port);

/* Counts for logs and health: VNs, instances known, forwarding entries,
 * service classes. */
uint32_t dp_tables_n_networks(const struct dp_tables *);
uint32_t dp_tables_n_instances(const struct dp_tables *);
uint32_t dp_tables_n_fwd(const struct dp_tables *);
uint32_t dp_tables_n_classes(const struct dp_tables *);

#endif /* ONM_AGENT_TABLES_H */
