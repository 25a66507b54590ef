// SPDX-License-Identifier: Apache-2.0
/*
 * The simulated routers' SNMP agent (see snmp.h and docs/snmp.md).
 *
 * net-snmp's library does the wire work: its session layer reads our UDP
 * socket when the event base says it is readable, parses BER into PDUs,
 * and builds and sends responses and traps. The rest is ours: which router
 * a community selects, the MIB objects in OID order, GETNEXT and GETBULK
 * over per-router snapshots kept sorted in OID order, the one writable
 * object. net-snmp's agent library (handler registrations, VACM) is not
 * used: docs/snmp.md says why.
 */
#include "snmp.h"

#include "snmp-private.h"

/* net-snmp before onm/log.h (it brings syslog.h, whose LOG_ERR and LOG_INFO
 * clash with onm's macros: undone after), and net-snmp-config.h first. */
/* clang-format off */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/library/snmpIPBaseDomain.h>
#include <net-snmp/library/snmpUDPDomain.h>

enum { SYSLOG_WARNING = LOG_WARNING };
#undef LOG_ERR
#undef LOG_INFO
/* clang-format on */

#define LOG_MODULE "snmp"
#include "agents.h"
#include "onm/ds.h"
#include "onm/hmap.h"
#include "onm/log.h"
#include "onm/model.h"
#include "onm/net.h"
#include "onm/util.h"
#include "router-view.h"
#include "state.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef ONM_VERSION
#define ONM_VERSION "0.1.0"
#endif

#define COUNTERS_TTL_MS 500    /* the agents report every second: sum at most twice as often */
#define CACHE_MAX 64	       /* router snapshots kept (least recently used dropped) */
#define SINKS_MAX 256	       /* trap sessions kept open */
#define BULK_MAX_VARBINDS 2048 /* in one GETBULK response, whatever max-repetitions says */
#define MSG_SIZE_MAX 65000     /* a response's size (UDP over IPv4 carries 65507) */
#define INDEX_MAX 16	       /* sub-identifiers of the longest row index (a route) */
#define OBJ_OID_MAX 12	       /* of the longest object OID */
#define COMMUNITY_TEXT_MAX 512 /* "COMMUNITY@TENANT/NETWORK/ROUTER" */

/* ---- the MIB objects ---- */

/* Which rows an object has. */
enum table {
	TBL_SCALAR,    /* one instance, index .0 */
	TBL_IF,	       /* ifIndex */
	TBL_IPADDR,    /* ipAddrTable: A.B.C.D */
	TBL_IPADDRESS, /* ipAddressTable: ipv4(1).4.A.B.C.D */
	TBL_ROUTE,     /* inetCidrRouteTable: ipv4.4.DEST.LEN.POLICY(2.0.0).NHTYPE.NHLEN.NH */
};

enum obj_flags {
	F_COUNTER = 1 << 0, /* from the agents' counters */
	F_HC = 1 << 1,	    /* Counter64: not in SNMPv1 */
};

enum obj_id {
	O_SYS_DESCR,
	O_SYS_OBJECT_ID,
	O_SYS_UPTIME,
	O_SYS_CONTACT,
	O_SYS_NAME,
	O_SYS_LOCATION,
	O_SYS_SERVICES,
	O_SYS_OR_LAST_CHANGE,
	O_IF_NUMBER,
	O_IF_INDEX,
	O_IF_DESCR,
	O_IF_TYPE,
	O_IF_MTU,
	O_IF_SPEED,
	O_IF_PHYS_ADDRESS,
	O_IF_ADMIN_STATUS,
	O_IF_OPER_STATUS,
	O_IF_LAST_CHANGE,
	O_IF_IN_OCTETS,
	O_IF_IN_UCAST,
	O_IF_IN_NUCAST,
	O_IF_IN_DISCARDS,
	O_IF_IN_ERRORS,
	O_IF_IN_UNKNOWN_PROTOS,
	O_IF_OUT_OCTETS,
	O_IF_OUT_UCAST,
	O_IF_OUT_NUCAST,
	O_IF_OUT_DISCARDS,
	O_IF_OUT_ERRORS,
	O_IF_OUT_QLEN,
	O_IF_SPECIFIC,
	O_IP_FORWARDING,
	O_IP_DEFAULT_TTL,
	O_IPAD_ADDR,
	O_IPAD_IFINDEX,
	O_IPAD_NETMASK,
	O_IPAD_BCAST,
	O_IPAD_REASM,
	O_RT_NUMBER,
	O_RT_IFINDEX,
	O_RT_TYPE,
	O_RT_PROTO,
	O_RT_AGE,
	O_RT_NEXTHOP_AS,
	O_RT_METRIC1,
	O_RT_METRIC2,
	O_RT_METRIC3,
	O_RT_METRIC4,
	O_RT_METRIC5,
	O_RT_STATUS,
	O_IPA_IFINDEX,
	O_IPA_TYPE,
	O_IPA_PREFIX,
	O_IPA_ORIGIN,
	O_IPA_STATUS,
	O_IPA_CREATED,
	O_IPA_LAST_CHANGED,
	O_IPA_ROW_STATUS,
	O_IPA_STORAGE,
	O_IFX_NAME,
	O_IFX_IN_MCAST,
	O_IFX_IN_BCAST,
	O_IFX_OUT_MCAST,
	O_IFX_OUT_BCAST,
	O_IFX_HC_IN_OCTETS,
	O_IFX_HC_IN_UCAST,
	O_IFX_HC_IN_MCAST,
	O_IFX_HC_IN_BCAST,
	O_IFX_HC_OUT_OCTETS,
	O_IFX_HC_OUT_UCAST,
	O_IFX_HC_OUT_MCAST,
	O_IFX_HC_OUT_BCAST,
	O_IFX_LINK_TRAP,
	O_IFX_HIGH_SPEED,
	O_IFX_PROMISC,
	O_IFX_CONNECTOR,
	O_IFX_ALIAS,
	O_IFX_DISCONTINUITY,
	N_OBJECTS
};

/* One object (a scalar or a table column): its OID, zero-terminated. */
struct mib_object {
	const char *name;
	oid oid[OBJ_OID_MAX];
	enum table table;
	unsigned flags;
};

#define SYSTEM 1, 3, 6, 1, 2, 1, 1
#define INTERFACES 1, 3, 6, 1, 2, 1, 2
#define IF_ENTRY 1, 3, 6, 1, 2, 1, 2, 2, 1
#define IP 1, 3, 6, 1, 2, 1, 4
#define IPAD_ENTRY 1, 3, 6, 1, 2, 1, 4, 20, 1
#define INET_CIDR 1, 3, 6, 1, 2, 1, 4, 24
#define RT_ENTRY 1, 3, 6, 1, 2, 1, 4, 24, 7, 1
#define IPA_ENTRY 1, 3, 6, 1, 2, 1, 4, 34, 1
#define IFX_ENTRY 1, 3, 6, 1, 2, 1, 31, 1, 1, 1

/* In OID order (checked at start): GETNEXT walks this array. */
static const struct mib_object objects[N_OBJECTS] = {
    [O_SYS_DESCR] = {"sysDescr", {SYSTEM, 1}, TBL_SCALAR, 0},
    [O_SYS_OBJECT_ID] = {"sysObjectID", {SYSTEM, 2}, TBL_SCALAR, 0},
    [O_SYS_UPTIME] = {"sysUpTime", {SYSTEM, 3}, TBL_SCALAR, 0},
    [O_SYS_CONTACT] = {"sysContact", {SYSTEM, 4}, TBL_SCALAR, 0},
    [O_SYS_NAME] = {"sysName", {SYSTEM, 5}, TBL_SCALAR, 0},
    [O_SYS_LOCATION] = {"sysLocation", {SYSTEM, 6}, TBL_SCALAR, 0},
    [O_SYS_SERVICES] = {"sysServices", {SYSTEM, 7}, TBL_SCALAR, 0},
    [O_SYS_OR_LAST_CHANGE] = {"sysORLastChange", {SYSTEM, 8}, TBL_SCALAR, 0},
    [O_IF_NUMBER] = {"ifNumber", {INTERFACES, 1}, TBL_SCALAR, 0},
    [O_IF_INDEX] = {"ifIndex", {IF_ENTRY, 1}, TBL_IF, 0},
    [O_IF_DESCR] = {"ifDescr", {IF_ENTRY, 2}, TBL_IF, 0},
    [O_IF_TYPE] = {"ifType", {IF_ENTRY, 3}, TBL_IF, 0},
    [O_IF_MTU] = {"ifMtu", {IF_ENTRY, 4}, TBL_IF, 0},
    [O_IF_SPEED] = {"ifSpeed", {IF_ENTRY, 5}, TBL_IF, 0},
    [O_IF_PHYS_ADDRESS] = {"ifPhysAddress", {IF_ENTRY, 6}, TBL_IF, 0},
    [O_IF_ADMIN_STATUS] = {"ifAdminStatus", {IF_ENTRY, 7}, TBL_IF, 0},
    [O_IF_OPER_STATUS] = {"ifOperStatus", {IF_ENTRY, 8}, TBL_IF, 0},
    [O_IF_LAST_CHANGE] = {"ifLastChange", {IF_ENTRY, 9}, TBL_IF, 0},
    [O_IF_IN_OCTETS] = {"ifInOctets", {IF_ENTRY, 10}, TBL_IF, F_COUNTER},
    [O_IF_IN_UCAST] = {"ifInUcastPkts", {IF_ENTRY, 11}, TBL_IF, F_COUNTER},
    [O_IF_IN_NUCAST] = {"ifInNUcastPkts", {IF_ENTRY, 12}, TBL_IF, 0},
    [O_IF_IN_DISCARDS] = {"ifInDiscards", {IF_ENTRY, 13}, TBL_IF, F_COUNTER},
    [O_IF_IN_ERRORS] = {"ifInErrors", {IF_ENTRY, 14}, TBL_IF, 0},
    [O_IF_IN_UNKNOWN_PROTOS] = {"ifInUnknownProtos", {IF_ENTRY, 15}, TBL_IF, 0},
    [O_IF_OUT_OCTETS] = {"ifOutOctets", {IF_ENTRY, 16}, TBL_IF, F_COUNTER},
    [O_IF_OUT_UCAST] = {"ifOutUcastPkts", {IF_ENTRY, 17}, TBL_IF, F_COUNTER},
    [O_IF_OUT_NUCAST] = {"ifOutNUcastPkts", {IF_ENTRY, 18}, TBL_IF, 0},
    [O_IF_OUT_DISCARDS] = {"ifOutDiscards", {IF_ENTRY, 19}, TBL_IF, 0},
    [O_IF_OUT_ERRORS] = {"ifOutErrors", {IF_ENTRY, 20}, TBL_IF, 0},
    [O_IF_OUT_QLEN] = {"ifOutQLen", {IF_ENTRY, 21}, TBL_IF, 0},
    [O_IF_SPECIFIC] = {"ifSpecific", {IF_ENTRY, 22}, TBL_IF, 0},
    [O_IP_FORWARDING] = {"ipForwarding", {IP, 1}, TBL_SCALAR, 0},
    [O_IP_DEFAULT_TTL] = {"ipDefaultTTL", {IP, 2}, TBL_SCALAR, 0},
    [O_IPAD_ADDR] = {"ipAdEntAddr", {IPAD_ENTRY, 1}, TBL_IPADDR, 0},
    [O_IPAD_IFINDEX] = {"ipAdEntIfIndex", {IPAD_ENTRY, 2}, TBL_IPADDR, 0},
    [O_IPAD_NETMASK] = {"ipAdEntNetMask", {IPAD_ENTRY, 3}, TBL_IPADDR, 0},
    [O_IPAD_BCAST] = {"ipAdEntBcastAddr", {IPAD_ENTRY, 4}, TBL_IPADDR, 0},
    [O_IPAD_REASM] = {"ipAdEntReasmMaxSize", {IPAD_ENTRY, 5}, TBL_IPADDR, 0},
    [O_RT_NUMBER] = {"inetCidrRouteNumber", {INET_CIDR, 6}, TBL_SCALAR, 0},
    [O_RT_IFINDEX] = {"inetCidrRouteIfIndex", {RT_ENTRY, 7}, TBL_ROUTE, 0},
    [O_RT_TYPE] = {"inetCidrRouteType", {RT_ENTRY, 8}, TBL_ROUTE, 0},
    [O_RT_PROTO] = {"inetCidrRouteProto", {RT_ENTRY, 9}, TBL_ROUTE, 0},
    [O_RT_AGE] = {"inetCidrRouteAge", {RT_ENTRY, 10}, TBL_ROUTE, 0},
    [O_RT_NEXTHOP_AS] = {"inetCidrRouteNextHopAS", {RT_ENTRY, 11}, TBL_ROUTE, 0},
    [O_RT_METRIC1] = {"inetCidrRouteMetric1", {RT_ENTRY, 12}, TBL_ROUTE, 0},
    [O_RT_METRIC2] = {"inetCidrRouteMetric2", {RT_ENTRY, 13}, TBL_ROUTE, 0},
    [O_RT_METRIC3] = {"inetCidrRouteMetric3", {RT_ENTRY, 14}, TBL_ROUTE, 0},
    [O_RT_METRIC4] = {"inetCidrRouteMetric4", {RT_ENTRY, 15}, TBL_ROUTE, 0},
    [O_RT_METRIC5] = {"inetCidrRouteMetric5", {RT_ENTRY, 16}, TBL_ROUTE, 0},
    [O_RT_STATUS] = {"inetCidrRouteStatus", {RT_ENTRY, 17}, TBL_ROUTE, 0},
    [O_IPA_IFINDEX] = {"ipAddressIfIndex", {IPA_ENTRY, 3}, TBL_IPADDRESS, 0},
    [O_IPA_TYPE] = {"ipAddressType", {IPA_ENTRY, 4}, TBL_IPADDRESS, 0},
    [O_IPA_PREFIX] = {"ipAddressPrefix", {IPA_ENTRY, 5}, TBL_IPADDRESS, 0},
    [O_IPA_ORIGIN] = {"ipAddressOrigin", {IPA_ENTRY, 6}, TBL_IPADDRESS, 0},
    [O_IPA_STATUS] = {"ipAddressStatus", {IPA_ENTRY, 7}, TBL_IPADDRESS, 0},
    [O_IPA_CREATED] = {"ipAddressCreated", {IPA_ENTRY, 8}, TBL_IPADDRESS, 0},
    [O_IPA_LAST_CHANGED] = {"ipAddressLastChanged", {IPA_ENTRY, 9}, TBL_IPADDRESS, 0},
    [O_IPA_ROW_STATUS] = {"ipAddressRowStatus", {IPA_ENTRY, 10}, TBL_IPADDRESS, 0},
    [O_IPA_STORAGE] = {"ipAddressStorageType", {IPA_ENTRY, 11}, TBL_IPADDRESS, 0},
    [O_IFX_NAME] = {"ifName", {IFX_ENTRY, 1}, TBL_IF, 0},
    [O_IFX_IN_MCAST] = {"ifInMulticastPkts", {IFX_ENTRY, 2}, TBL_IF, 0},
    [O_IFX_IN_BCAST] = {"ifInBroadcastPkts", {IFX_ENTRY, 3}, TBL_IF, 0},
    [O_IFX_OUT_MCAST] = {"ifOutMulticastPkts", {IFX_ENTRY, 4}, TBL_IF, 0},
    [O_IFX_OUT_BCAST] = {"ifOutBroadcastPkts", {IFX_ENTRY, 5}, TBL_IF, 0},
    [O_IFX_HC_IN_OCTETS] = {"ifHCInOctets", {IFX_ENTRY, 6}, TBL_IF, F_COUNTER | F_HC},
    [O_IFX_HC_IN_UCAST] = {"ifHCInUcastPkts", {IFX_ENTRY, 7}, TBL_IF, F_COUNTER | F_HC},
    [O_IFX_HC_IN_MCAST] = {"ifHCInMulticastPkts", {IFX_ENTRY, 8}, TBL_IF, F_HC},
    [O_IFX_HC_IN_BCAST] = {"ifHCInBroadcastPkts", {IFX_ENTRY, 9}, TBL_IF, F_HC},
    [O_IFX_HC_OUT_OCTETS] = {"ifHCOutOctets", {IFX_ENTRY, 10}, TBL_IF, F_COUNTER | F_HC},
    [O_IFX_HC_OUT_UCAST] = {"ifHCOutUcastPkts", {IFX_ENTRY, 11}, TBL_IF, F_COUNTER | F_HC},
    [O_IFX_HC_OUT_MCAST] = {"ifHCOutMulticastPkts", {IFX_ENTRY, 12}, TBL_IF, F_HC},
    [O_IFX_HC_OUT_BCAST] = {"ifHCOutBroadcastPkts", {IFX_ENTRY, 13}, TBL_IF, F_HC},
    [O_IFX_LINK_TRAP] = {"ifLinkUpDownTrapEnable", {IFX_ENTRY, 14}, TBL_IF, 0},
    [O_IFX_HIGH_SPEED] = {"ifHighSpeed", {IFX_ENTRY, 15}, TBL_IF, 0},
    [O_IFX_PROMISC] = {"ifPromiscuousMode", {IFX_ENTRY, 16}, TBL_IF, 0},
    [O_IFX_CONNECTOR] = {"ifConnectorPresent", {IFX_ENTRY, 17}, TBL_IF, 0},
    [O_IFX_ALIAS] = {"ifAlias", {IFX_ENTRY, 18}, TBL_IF, 0},
    [O_IFX_DISCONTINUITY] = {"ifCounterDiscontinuityTime", {IFX_ENTRY, 19}, TBL_IF, 0},
};

static size_t obj_len[N_OBJECTS]; /* sub-identifiers of each object's OID */

static const oid sys_uptime_oid[] = {SYSTEM, 3, 0};
static const oid sys_name_oid[] = {SYSTEM, 5, 0};
static const oid sys_location_oid[] = {SYSTEM, 6, 0};
static const oid snmp_trap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
static const oid cold_start_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 5, 1};
static const oid link_down_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 5, 3};
static const oid link_up_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 5, 4};
static const oid zero_dot_zero[] = {0, 0};
static const oid ipa_prefix_origin[] = {IP, 32, 1, 5}; /* ipAddressPrefixOrigin */

/* -1, 0 or 1 as 'a' (uint32) sorts before, with or after 'b' (oid). */
static int index_cmp(const uint32_t *a, size_t an, const oid *b, size_t bn)
{
	for (size_t i = 0; i < an && i < bn; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return an == bn ? 0 : an < bn ? -1 : 1;
}

/* True if object 'k' is a prefix of 'name': 'name' is in its subtree. */
static bool obj_contains(size_t k, const oid *name, size_t len)
{
	return len >= obj_len[k] && !memcmp(objects[k].oid, name, obj_len[k] * sizeof(oid));
}

/* True if 'name' comes after all of object 'k''s subtree. */
static bool obj_before(size_t k, const oid *name, size_t len)
{
	for (size_t i = 0; i < obj_len[k]; i++) {
		if (i == len || name[i] < objects[k].oid[i])
			return false;
		if (name[i] > objects[k].oid[i])
			return true;
	}
	return false; /* in the subtree */
}

/* The first object whose subtree does not end before 'name': the one that
 * holds it, or the next one. N_OBJECTS if none. */
static size_t object_lower_bound(const oid *name, size_t len)
{
	size_t lo = 0, hi = N_OBJECTS;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (obj_before(mid, name, len))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- net-snmp's library ---- */

/* net-snmp's messages (bad packets, send failures) into our log. */
static int log_bridge(int major, int minor, void *serverarg, void *clientarg)
{
	const struct snmp_log_message *m = serverarg;
	size_t n = m && m->msg ? strlen(m->msg) : 0;

	if (!n)
		return 0;
	while (n && (m->msg[n - 1] == '\n' || m->msg[n - 1] == '\r'))
		n--;
	if (m->priority <= SYSLOG_WARNING)
		LOG_WARN_RL("net-snmp: %.*s", (int)n, m->msg);
	else
		LOG_DBG("net-snmp: %.*s", (int)n, m->msg);
	return 0;
}

/* Once per process: the library's log goes to ours, and the objects'
 * lengths and order are checked. init_snmp() is not called: it would read
 * snmp.conf files, load MIB files and keep persistent state, none of
 * which the session layer needs. */
/* net-snmp's (cert_util.h wants OpenSSL's headers first; onm needs no
 * more of it than this call). */
void netsnmp_certs_init(void);

static void library_init(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, log_bridge, NULL);
	snmp_enable_calllog();
	/* SNMPv3's security subsystem (USM), without net-snmp's configuration
	 * and persistent files: the users come from the model, the engine ID
	 * and boot counter from the store (v3_engine_init). */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	/* init_snmp() without its MIB loading (onm names objects by number):
	 * SNMPv3 and its security models, then the post-configuration
	 * callbacks with no file read. */
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_APPTYPE, "onm");
	netsnmp_container_init_list();
	init_callbacks();
	init_snmp_logging();
	init_snmpv3("onm");
	init_snmp_alarm();
	netsnmp_certs_init(); /* else its post-configuration step complains */
	read_premib_configs();
	read_configs();
	for (size_t k = 0; k < N_OBJECTS; k++) {
		while (obj_len[k] < OBJ_OID_MAX && objects[k].oid[obj_len[k]])
			obj_len[k]++;
		if (k && snmp_oid_compare(objects[k - 1].oid, obj_len[k - 1], objects[k].oid,
					  obj_len[k]) >= 0)
			onm_abort("snmp: object %s is out of order", objects[k].name);
	}
}

/* ---- state ---- */

/* One interface of a router snapshot (copied: the model may change). */
struct snap_if {
	uint32_t ifindex; /* stable: see struct router_state */
	uint32_t pos;	  /* its place in the router view and the model */
	char *name;
	char *descr; /* description, or "" */
	uint32_t ip;
	struct ipv4_prefix cidr;
	struct eth_addr mac;
	bool admin_up, oper_up;
	bool loopback;
	uint64_t speed_bps;
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, drops; /* summed over agents */
};

/* One route of a snapshot, as the router view has it. */
struct snap_route {
	struct ipv4_prefix prefix;
	uint32_t via; /* static routes: the next hop; else 0 */
	enum rv_route_type type;
	uint32_t ifindex; /* 0: none */
};

/* A router's tables, sorted in OID order, valid while the router's and its
 * network's canonical JSON are what they were built from. */
struct dev_cache {
	struct hmap_node node; /* in dev_snmp's 'cache', by id */
	char *id;	       /* "T/N/R" */
	char *router_json, *network_json;
	uint64_t revision;     /* the store revision it was last checked at */
	uint64_t built_ms;     /* monotonic */
	uint64_t used_ms;      /* last request, for eviction */
	uint64_t counters_ms;  /* when the counters were summed */
	bool counters_fresh;   /* false: sum them at the next read */
	char *name, *location; /* sysName, sysLocation */
	struct snap_if *ifs;   /* by ifIndex (ascending, gaps possible) */
	size_t n_ifs;
	struct snap_route *routes; /* in index order, no duplicate index */
	size_t n_routes;
	uint32_t *addrs; /* interfaces with an address, by address (ipAddr tables) */
	size_t n_addrs;
};

/* One interface as the traps last saw it. */
struct if_state {
	char *name;
	bool admin_up;
	bool up;	     /* ifOperStatus up: admin up and its subnet exists */
	uint64_t changed_ms; /* monotonic time of the last change, 0: none */
};

/* An interface's ifIndex, by name. */
struct ifindex_entry {
	struct hmap_node node; /* in router_state's 'ifindexes' */
	char *name;
	uint32_t ifindex;
};

/* One router as the traps last saw it, with what outlives a controller
 * restart (in the state file, see state_save()): when the router was
 * created (sysUpTime) and its interfaces' ifIndex. An ifIndex stays with
 * its interface's name while the interface exists, as a physical router
 * keeps it (RFC 2863 3.1.5): an interface added before others takes a new
 * number instead of shifting theirs, and numbers are never reused. */
struct router_state {
	struct hmap_node node; /* in dev_snmp's 'routers', by id */
	char *id;
	int64_t created_ms;	  /* monotonic: when created (sysUpTime); may be
				   * negative if before this machine booted */
	uint64_t created_wall_ms; /* the same, in Unix time, as stored */
	struct hmap ifindexes;	  /* struct ifindex_entry */
	uint32_t next_ifindex;	  /* the next one to give */
	bool dirty;		  /* differs from what the state file has */
	struct if_state *ifs;
	size_t n_ifs;
	uint64_t mark; /* the scan that last saw it */
};

/* The agent's own state (as snmpd's persistent file), in the controller's
 * state directory rather than the store: it is no part of the model, and
 * writes to the store would move the revision clients see. */
#define STATE_FILE "snmp-state.json"

/* A trap receiver's session. */
struct trap_sink {
	struct hmap_node node; /* in dev_snmp's 'sinks' */
	uint32_t ip;
	uint16_t port;
	void *sess; /* net-snmp single session */
};

/* The communities of the model, for the lookup of requests. */
struct community_entry {
	struct hmap_node node;
	const char *community; /* into the model */
	const char *tenant;
	bool rw;
};

struct dev_snmp {
	struct event_base *base;
	struct ctl_state *state;
	struct ctl_agents *agents;
	struct dev_snmp_hooks hooks;
	void *sess;		 /* the server session, or NULL */
	struct event *ev;	 /* its socket's read event */
	int port;		 /* UDP port listened on, -1: none */
	size_t max_msg;		 /* a response's size limit */
	struct hmap cache;	 /* struct dev_cache */
	struct hmap routers;	 /* struct router_state */
	struct hmap sinks;	 /* struct trap_sink */
	uint64_t mark;		 /* scans of the model */
	struct hmap communities; /* struct community_entry */
	uint64_t communities_revision;
	bool communities_valid;
	json_t *counters; /* the agents' counters last fetched */
	uint64_t counters_ms;
	json_t *test_counters;
	uint64_t test_now_ms;
	struct dev_snmp_stats stats;
	char *state_path; /* STATE_FILE in the state directory, or NULL: none kept */
	bool state_dirty; /* the engine or a router's removal is not written yet */
	/* SNMPv3 */
	u_char engine_id[32];
	size_t engine_id_len;
	uint64_t engine_boots;
	struct usmUser **users; /* the USM users added for the model's */
	size_t n_users;
	uint64_t users_revision;
};

static uint64_t now_ms(const struct dev_snmp *s)
{
	return s->test_now_ms ? s->test_now_ms : time_usec() / 1000;
}

static const struct model *model_of(const struct dev_snmp *s)
{
	return ctl_state_model(s->state);
}

static const struct network *network_of(const struct model *m, const struct router *r)
{
	char *id = xasprintf("%s/%s", r->tenant, r->network);
	const struct model_object *o = model_find(m, MODEL_NETWORK, id);

	free(id);
	return o ? CONTAINER_OF(o, const struct network, hdr) : NULL;
}

static const struct router *router_of(const struct model *m, const char *id)
{
	const struct model_object *o = model_find(m, MODEL_ROUTER, id);

	return o ? CONTAINER_OF(o, const struct router, hdr) : NULL;
}

/* ---- router state ---- */

static struct router_state *rstate_find(const struct dev_snmp *s, const char *id)
{
	struct router_state *rs;

	HMAP_FOR_EACH_WITH_HASH (rs, node, hash_string(id, 0), &s->routers)
		if (!strcmp(rs->id, id))
			return rs;
	return NULL;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct router_state *rstate_new(struct dev_snmp *s, const char *id)
{
	struct router_state *rs = xzalloc(sizeof *rs);

	rs->id = xstrdup(id);
	rs->created_ms = (int64_t)now_ms(s);
	rs->created_wall_ms = wall_ms();
	rs->dirty = true;
	rs->next_ifindex = 1;
	hmap_init(&rs->ifindexes);
	hmap_insert(&s->routers, &rs->node, hash_string(rs->id, 0));
	return rs;
}

static struct ifindex_entry *ifindex_find(const struct router_state *rs, const char *name)
{
	struct ifindex_entry *e;

	HMAP_FOR_EACH_WITH_HASH (e, node, hash_string(name, 0), &rs->ifindexes)
		if (!strcmp(e->name, name))
			return e;
	return NULL;
}

static void ifindex_add(struct router_state *rs, const char *name, uint32_t ifindex)
{
	struct ifindex_entry *e = xzalloc(sizeof *e);

	e->name = xstrdup(name);
	e->ifindex = ifindex;
	hmap_insert(&rs->ifindexes, &e->node, hash_string(e->name, 0));
}

/* The ifIndex of interface 'name' of 'rs', given now if it has none. */
static uint32_t ifindex_of(struct router_state *rs, const char *name)
{
	const struct ifindex_entry *e = ifindex_find(rs, name);

	if (e)
		return e->ifindex;
	ifindex_add(rs, name, rs->next_ifindex);
	rs->dirty = true;
	return rs->next_ifindex++;
}

/* Forgets the ifIndex of the interfaces 'r' no longer has. */
static void ifindex_prune(struct router_state *rs, const struct router *r)
{
	struct ifindex_entry *e;

	HMAP_FOR_EACH_SAFE (e, node, &rs->ifindexes) {
		size_t i = 0;

		while (i < r->n_interfaces && strcmp(r->interfaces[i].name, e->name))
			i++;
		if (i < r->n_interfaces)
			continue;
		hmap_remove(&rs->ifindexes, &e->node);
		free(e->name);
		free(e);
		rs->dirty = true;
	}
}

static void rstate_free_ifs(struct router_state *rs)
{
	for (size_t i = 0; i < rs->n_ifs; i++)
		free(rs->ifs[i].name);
	free(rs->ifs);
	rs->ifs = NULL;
	rs->n_ifs = 0;
}

static void rstate_free(struct router_state *rs)
{
	struct ifindex_entry *e;

	HMAP_FOR_EACH_SAFE (e, node, &rs->ifindexes) {
		hmap_remove(&rs->ifindexes, &e->node);
		free(e->name);
		free(e);
	}
	hmap_destroy(&rs->ifindexes);
	rstate_free_ifs(rs);
	free(rs->id);
	free(rs);
}

/* {"created": UNIX_MS, "next_ifindex": N, "ifindex": {NAME: N, ...}} */
static json_t *rstate_to_json(const struct router_state *rs)
{
	json_t *ifs = json_object();
	const struct ifindex_entry *e;

	HMAP_FOR_EACH (e, node, &rs->ifindexes)
		json_object_set_new(ifs, e->name, json_integer(e->ifindex));
	return json_pack("{s:I, s:I, s:o}", "created", (json_int_t)rs->created_wall_ms,
			 "next_ifindex", (json_int_t)rs->next_ifindex, "ifindex", ifs);
}

/* Writes the state file if anything in it changed:
 * {"engine": {"id": HEX, "boots": N}, "routers": {ID: rstate_to_json()}}. */
static void state_save(struct dev_snmp *s)
{
	struct router_state *rs;
	json_t *doc, *routers;
	char hex[2 * sizeof s->engine_id + 1];
	char *text;
	int rc;

	HMAP_FOR_EACH (rs, node, &s->routers)
		s->state_dirty |= rs->dirty;
	if (!s->state_dirty || !s->state_path)
		return;
	routers = json_object();
	HMAP_FOR_EACH (rs, node, &s->routers)
		json_object_set_new(routers, rs->id, rstate_to_json(rs));
	sodium_bin2hex(hex, sizeof hex, s->engine_id, s->engine_id_len);
	doc = json_pack("{s:{s:s, s:I}, s:o}", "engine", "id", hex, "boots",
			(json_int_t)s->engine_boots, "routers", routers);
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	rc = write_file_atomic(s->state_path, text, strlen(text), 0600);
	if (rc) {
		LOG_WARN_RL("cannot write %s: %s", s->state_path, strerror(-rc));
	} else {
		s->state_dirty = false;
		HMAP_FOR_EACH (rs, node, &s->routers)
			rs->dirty = false;
	}
	free(text);
	json_decref(doc);
}

static void rstate_forget(struct dev_snmp *s, struct router_state *rs)
{
	hmap_remove(&s->routers, &rs->node);
	rstate_free(rs);
	s->state_dirty = true;
}

/* Reads the state file: the routers' states (one that does not parse
 * counts as created now) and the engine; NULL if there is none. */
static json_t *state_load(struct dev_snmp *s)
{
	uint64_t wall = wall_ms(), now = now_ms(s);
	json_t *doc, *v, *r;
	const char *id, *name;
	char *text;
	size_t len;

	if (!s->state_path || read_file(s->state_path, &text, &len))
		return NULL;
	doc = json_loadb(text, len, 0, NULL);
	free(text);
	if (!json_is_object(doc)) {
		LOG_WARN("%s: not JSON; starting afresh", s->state_path);
		json_decref(doc);
		return NULL;
	}
	json_object_foreach (json_object_get(doc, "routers"), id, r) {
		json_int_t created = json_integer_value(json_object_get(r, "created"));
		json_int_t next = json_integer_value(json_object_get(r, "next_ifindex"));
		struct router_state *rs;

		if (created <= 0 || next <= 0 || next > INT32_MAX ||
		    !json_is_object(json_object_get(r, "ifindex"))) {
			LOG_WARN("%s: router %s: not a router state; ignored", s->state_path, id);
			continue;
		}
		rs = rstate_new(s, id);
		rs->created_wall_ms = (uint64_t)created;
		rs->created_ms = (int64_t)now - ((int64_t)wall - (int64_t)created);
		rs->next_ifindex = (uint32_t)next;
		rs->dirty = false;
		json_object_foreach (json_object_get(r, "ifindex"), name, v) {
			json_int_t x = json_integer_value(v);

			if (x > 0 && x < next)
				ifindex_add(rs, name, (uint32_t)x);
		}
	}
	return doc;
}

/* ---- router snapshots ---- */

static void cache_free(struct dev_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_ifs; i++) {
		free(c->ifs[i].name);
		free(c->ifs[i].descr);
	}
	free(c->ifs);
	free(c->routes);
	free(c->addrs);
	free(c->id);
	free(c->router_json);
	free(c->network_json);
	free(c->name);
	free(c->location);
	free(c);
}

/* The nominal speed an interface's name says, as IOS has it. */
static uint64_t speed_of(const char *name, uint64_t shape_bps)
{
	if (shape_bps)
		return shape_bps;
	if (str_has_prefix(name, "TenGigabitEthernet"))
		return 10000000000ULL;
	if (str_has_prefix(name, "FastEthernet"))
		return 100000000ULL;
	return 1000000000ULL;
}

static int route_key_cmp(const void *a_, const void *b_)
{
	const struct snap_route *a = a_, *b = b_;
	bool ra = a->type == RV_STATIC, rb = b->type == RV_STATIC;

	if (a->prefix.addr != b->prefix.addr)
		return a->prefix.addr < b->prefix.addr ? -1 : 1;
	if (a->prefix.len != b->prefix.len)
		return a->prefix.len < b->prefix.len ? -1 : 1;
	if (ra != rb)
		return ra ? 1 : -1; /* next hop type unknown(0) before ipv4(1) */
	if (a->via != b->via)
		return a->via < b->via ? -1 : 1;
	return 0;
}

struct name_ref {
	const char *name; /* a pointer into the view, compared as a pointer */
	uint32_t ifindex;
};

static int name_ref_cmp(const void *a_, const void *b_)
{
	const struct name_ref *a = a_, *b = b_;

	return a->name < b->name ? -1 : a->name > b->name;
}

static const struct snap_if *cache_if_by_addr(const struct dev_cache *c, size_t k)
{
	return &c->ifs[c->addrs[k]];
}

static int addr_cmp(const void *a_, const void *b_, void *c_)
{
	const struct dev_cache *c = c_;
	uint32_t a = c->ifs[*(const uint32_t *)a_].ip, b = c->ifs[*(const uint32_t *)b_].ip;

	return a < b ? -1 : a > b;
}

/* Copies the view's routes in index order, each with its interface's
 * ifIndex; routes whose index repeats one before are left out. 'c''s
 * interfaces are still in the view's order. */
static void snap_routes(struct dev_cache *c, const struct router_view *v)
{
	struct name_ref *refs = xcalloc(v->n_ifs + 1, sizeof *refs);
	size_t n = 0;

	for (size_t i = 0; i < v->n_ifs; i++)
		refs[i] = (struct name_ref){v->ifs[i].name, c->ifs[i].ifindex};
	qsort(refs, v->n_ifs, sizeof *refs, name_ref_cmp);
	c->routes = xcalloc(v->n_routes + 1, sizeof *c->routes);
	for (size_t i = 0; i < v->n_routes; i++) {
		const struct rv_route *r = &v->routes[i];
		struct name_ref key = {r->ifname, 0};
		const struct name_ref *hit =
		    r->ifname ? bsearch(&key, refs, v->n_ifs, sizeof *refs, name_ref_cmp) : NULL;

		c->routes[i] = (struct snap_route){r->prefix, r->type == RV_STATIC ? r->via : 0,
						   r->type, hit ? hit->ifindex : 0};
	}
	qsort(c->routes, v->n_routes, sizeof *c->routes, route_key_cmp);
	for (size_t i = 0; i < v->n_routes; i++)
		if (!n || route_key_cmp(&c->routes[n - 1], &c->routes[i]))
			c->routes[n++] = c->routes[i];
	c->n_routes = n;
	free(refs);
}

/* The interfaces with an address, by address, each address once. */
static void snap_addrs(struct dev_cache *c)
{
	size_t n = 0;

	c->addrs = xcalloc(c->n_ifs + 1, sizeof *c->addrs);
	for (size_t i = 0; i < c->n_ifs; i++)
		if (c->ifs[i].ip)
			c->addrs[c->n_addrs++] = (uint32_t)i;
	qsort_r(c->addrs, c->n_addrs, sizeof *c->addrs, addr_cmp, c);
	for (size_t i = 0; i < c->n_addrs; i++)
		if (!n || cache_if_by_addr(c, n - 1)->ip != cache_if_by_addr(c, i)->ip)
			c->addrs[n++] = c->addrs[i];
	c->n_addrs = n;
}

static int snap_if_cmp(const void *a_, const void *b_)
{
	const struct snap_if *a = a_, *b = b_;

	return a->ifindex < b->ifindex ? -1 : a->ifindex > b->ifindex;
}

/* Builds router 'r''s snapshot from the current model (counters later). */
static struct dev_cache *cache_build(struct dev_snmp *s, const struct router *r,
				     const struct network *n)
{
	struct router_state *rs = rstate_find(s, r->hdr.id);
	struct dev_cache *c;
	struct router_view v;

	if (!router_view_build(&v, model_of(s), r->hdr.id, NULL))
		return NULL;
	if (!rs)
		rs = rstate_new(s, r->hdr.id); /* the model changed unscanned */
	c = xzalloc(sizeof *c);
	c->id = xstrdup(r->hdr.id);
	c->router_json = xstrdup(r->hdr.json);
	c->network_json = xstrdup(n->hdr.json);
	c->name = xstrdup(r->name);
	c->location = xasprintf("onm network %s/%s", r->tenant, r->network);
	c->built_ms = now_ms(s);
	c->n_ifs = v.n_ifs;
	c->ifs = xcalloc(v.n_ifs + 1, sizeof *c->ifs);
	for (size_t i = 0; i < v.n_ifs; i++) {
		const struct rv_interface *vi = &v.ifs[i];
		struct snap_if *si = &c->ifs[i];

		si->ifindex = ifindex_of(rs, vi->name);
		si->pos = (uint32_t)i;
		si->name = xstrdup(vi->name);
		si->descr = xstrdup(vi->description ? vi->description : "");
		si->ip = vi->ip;
		si->cidr = vi->cidr;
		si->mac = vi->mac;
		si->admin_up = vi->admin_up;
		si->oper_up = vi->oper_up;
		si->loopback = str_has_prefix(vi->name, "Loopback");
		si->speed_bps = speed_of(vi->name, vi->shape_bps);
	}
	if (rs->dirty)
		state_save(s);
	snap_routes(c, &v);
	qsort(c->ifs, c->n_ifs, sizeof *c->ifs, snap_if_cmp);
	snap_addrs(c);
	router_view_uninit(&v);
	s->stats.table_builds++;
	return c;
}

static struct dev_cache *cache_find(const struct dev_snmp *s, const char *id)
{
	struct dev_cache *c;

	HMAP_FOR_EACH_WITH_HASH (c, node, hash_string(id, 0), &s->cache)
		if (!strcmp(c->id, id))
			return c;
	return NULL;
}

static void cache_drop(struct dev_snmp *s, struct dev_cache *c)
{
	hmap_remove(&s->cache, &c->node);
	cache_free(c);
}

/* Makes room for one more snapshot: drops the least recently used. */
static void cache_evict(struct dev_snmp *s)
{
	struct dev_cache *c, *oldest = NULL;

	if (hmap_count(&s->cache) < CACHE_MAX)
		return;
	HMAP_FOR_EACH (c, node, &s->cache)
		if (!oldest || c->used_ms < oldest->used_ms)
			oldest = c;
	cache_drop(s, oldest);
}

/* Router 'r''s snapshot, checked against the current model: rebuilt only
 * when the router or its network changed. */
static struct dev_cache *cache_get(struct dev_snmp *s, const struct router *r)
{
	uint64_t revision = ctl_state_revision(s->state);
	const struct network *n = network_of(model_of(s), r);
	struct dev_cache *c = cache_find(s, r->hdr.id);

	if (!n)
		return NULL;
	if (c && c->revision != revision) {
		if (strcmp(c->router_json, r->hdr.json) || strcmp(c->network_json, n->hdr.json))
			cache_drop(s, c), c = NULL;
		else
			c->revision = revision;
	}
	if (!c) {
		cache_evict(s);
		c = cache_build(s, r, n);
		if (!c)
			return NULL;
		c->revision = revision;
		hmap_insert(&s->cache, &c->node, hash_string(c->id, 0));
	}
	c->used_ms = now_ms(s);
	return c;
}

/* The agents' counters to sum, fetched at most every COUNTERS_TTL_MS. */
static const json_t *agents_counters(struct dev_snmp *s)
{
	uint64_t now = now_ms(s);

	if (s->test_counters)
		return s->test_counters;
	if (!s->agents)
		return NULL;
	if (!s->counters || now - s->counters_ms >= COUNTERS_TTL_MS) {
		json_decref(s->counters);
		s->counters = ctl_agents_counters_json(s->agents);
		s->counters_ms = now;
	}
	return s->counters;
}

/* Sums the interfaces' counters over the agents, through the router view
 * as the CLI does, if they are older than COUNTERS_TTL_MS. The model is
 * the one the snapshot was built from (cache_get checked it), so the
 * view's interfaces are the snapshot's, at their 'pos'. */
static void cache_counters(struct dev_snmp *s, struct dev_cache *c)
{
	uint64_t now = now_ms(s);
	struct router_view v;

	if (c->counters_fresh && now - c->counters_ms < COUNTERS_TTL_MS)
		return;
	c->counters_fresh = true;
	c->counters_ms = now;
	if (!router_view_build(&v, model_of(s), c->id, agents_counters(s)))
		return;
	for (size_t i = 0; i < c->n_ifs; i++) {
		struct snap_if *f = &c->ifs[i];
		const struct rv_interface *vi = f->pos < v.n_ifs ? &v.ifs[f->pos] : NULL;

		if (!vi)
			continue;
		f->rx_packets = vi->rx_packets;
		f->rx_bytes = vi->rx_bytes;
		f->tx_packets = vi->tx_packets;
		f->tx_bytes = vi->tx_bytes;
		f->drops = vi->drops;
	}
	router_view_uninit(&v);
}

/* ---- rows ---- */

static size_t table_rows(const struct dev_cache *c, enum table t)
{
	switch (t) {
	case TBL_SCALAR:
		return 1;
	case TBL_IF:
		return c->n_ifs;
	case TBL_IPADDR:
	case TBL_IPADDRESS:
		return c->n_addrs;
	case TBL_ROUTE:
		return c->n_routes;
	}
	return 0;
}

static size_t put_ipv4_index(uint32_t *idx, uint32_t ip)
{
	idx[0] = ip >> 24;
	idx[1] = (ip >> 16) & 0xff;
	idx[2] = (ip >> 8) & 0xff;
	idx[3] = ip & 0xff;
	return 4;
}

/* The index of row 'k' of table 't' into 'idx'; returns its length. */
static size_t row_index(const struct dev_cache *c, enum table t, size_t k, uint32_t *idx)
{
	const struct snap_route *r;
	size_t n = 0;

	switch (t) {
	case TBL_SCALAR:
		idx[0] = 0;
		return 1;
	case TBL_IF:
		idx[0] = c->ifs[k].ifindex;
		return 1;
	case TBL_IPADDR:
		return put_ipv4_index(idx, cache_if_by_addr(c, k)->ip);
	case TBL_IPADDRESS:
		idx[0] = 1; /* ipv4 */
		idx[1] = 4;
		return 2 + put_ipv4_index(idx + 2, cache_if_by_addr(c, k)->ip);
	case TBL_ROUTE:
		r = &c->routes[k];
		idx[n++] = 1;
		idx[n++] = 4;
		n += put_ipv4_index(idx + n, r->prefix.addr);
		idx[n++] = r->prefix.len;
		idx[n++] = 2; /* inetCidrRoutePolicy: zeroDotZero, length first */
		idx[n++] = 0;
		idx[n++] = 0;
		if (r->type == RV_STATIC) {
			idx[n++] = 1; /* ipv4 next hop */
			idx[n++] = 4;
			n += put_ipv4_index(idx + n, r->via);
		} else {
			idx[n++] = 0; /* connected: no next hop (RFC 4292) */
			idx[n++] = 0;
		}
		return n;
	}
	return 0;
}

/* The first row of 't' whose index is after 'suffix' (strictly), or the
 * number of rows: a binary search. */
static size_t row_after(const struct dev_cache *c, enum table t, const oid *suffix, size_t len)
{
	size_t lo = 0, hi = table_rows(c, t);
	uint32_t idx[INDEX_MAX];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		size_t n = row_index(c, t, mid, idx);

		if (index_cmp(idx, n, suffix, len) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The row of 't' whose index is 'suffix', or SIZE_MAX. */
static size_t row_find(const struct dev_cache *c, enum table t, const oid *suffix, size_t len)
{
	size_t lo = 0, hi = table_rows(c, t);
	uint32_t idx[INDEX_MAX];

	if (len > INDEX_MAX)
		return SIZE_MAX;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		size_t n = row_index(c, t, mid, idx);
		int cmp = index_cmp(idx, n, suffix, len);

		if (!cmp)
			return mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

/* ---- values ---- */

/* TimeTicks (hundredths, wrapping at 2^32) from 'from' to 'to' (ms); 0 if
 * 'to' is not later. */
static long ticks_between(int64_t from, int64_t to)
{
	return to > from ? (long)(((uint64_t)(to - from) / 10) & 0xffffffff) : 0;
}

/* sysUpTime: TimeTicks since the router was created. */
static long uptime_ticks(const struct dev_snmp *s, const struct router_state *rs)
{
	return rs ? ticks_between(rs->created_ms, (int64_t)now_ms(s)) : 0;
}

/* ifLastChange: sysUpTime when the interface last changed, 0 if never. */
static long if_last_change(const struct dev_snmp *s, const struct dev_cache *c, size_t i)
{
	const struct router_state *rs = rstate_find(s, c->id);

	if (!rs)
		return 0;
	for (size_t k = 0; k < rs->n_ifs; k++) {
		/* The same place in the model first. */
		const struct if_state *is = &rs->ifs[(c->ifs[i].pos + k) % rs->n_ifs];

		if (!strcmp(is->name, c->ifs[i].name))
			return is->changed_ms ? ticks_between(rs->created_ms, (int64_t)is->changed_ms)
					      : 0;
	}
	return 0;
}

static void set_int(netsnmp_variable_list *v, u_char type, long x)
{
	snmp_set_var_typed_integer(v, type, x);
}

static void set_u32(netsnmp_variable_list *v, u_char type, uint64_t x)
{
	snmp_set_var_typed_integer(v, type, (long)(x & 0xffffffff));
}

static void set_c64(netsnmp_variable_list *v, uint64_t x)
{
	struct counter64 c = {x >> 32, x & 0xffffffff};

	snmp_set_var_typed_value(v, ASN_COUNTER64, &c, sizeof c);
}

static void set_str(netsnmp_variable_list *v, const char *s)
{
	snmp_set_var_typed_value(v, ASN_OCTET_STR, s, strlen(s));
}

static void set_ip(netsnmp_variable_list *v, uint32_t ip)
{
	uint32_t be = htonl(ip);

	snmp_set_var_typed_value(v, ASN_IPADDRESS, &be, 4);
}

static void set_oid(netsnmp_variable_list *v, const oid *o, size_t n)
{
	snmp_set_var_typed_value(v, ASN_OBJECT_ID, o, n * sizeof(oid));
}

static void sys_value(struct dev_snmp *s, struct dev_cache *c, size_t k, netsnmp_variable_list *v)
{
	char *descr;

	switch (k) {
	case O_SYS_DESCR:
		descr = xasprintf("onm Virtual Router Software, Version " ONM_VERSION ", router %s",
				  c->id);
		set_str(v, descr);
		free(descr);
		break;
	case O_SYS_OBJECT_ID:
		set_oid(v, zero_dot_zero, ARRAY_SIZE(zero_dot_zero));
		break;
	case O_SYS_UPTIME:
		set_int(v, ASN_TIMETICKS, uptime_ticks(s, rstate_find(s, c->id)));
		break;
	case O_SYS_CONTACT:
		set_str(v, "");
		break;
	case O_SYS_NAME:
		set_str(v, c->name);
		break;
	case O_SYS_LOCATION:
		set_str(v, c->location);
		break;
	case O_SYS_SERVICES:
		set_int(v, ASN_INTEGER, 6); /* datalink and internet layers */
		break;
	case O_SYS_OR_LAST_CHANGE:
		set_int(v, ASN_TIMETICKS, 0);
		break;
	case O_IF_NUMBER:
		set_int(v, ASN_INTEGER, (long)c->n_ifs);
		break;
	case O_IP_FORWARDING:
		set_int(v, ASN_INTEGER, 1); /* forwarding */
		break;
	case O_IP_DEFAULT_TTL:
		set_int(v, ASN_INTEGER, 64);
		break;
	case O_RT_NUMBER:
		set_u32(v, ASN_GAUGE, c->n_routes);
		break;
	}
}

static void if_value(struct dev_snmp *s, struct dev_cache *c, size_t k, size_t i,
		     netsnmp_variable_list *v)
{
	const struct snap_if *f = &c->ifs[i];

	switch (k) {
	case O_IF_INDEX:
		set_int(v, ASN_INTEGER, (long)f->ifindex);
		break;
	case O_IF_DESCR:
	case O_IFX_NAME:
		set_str(v, f->name);
		break;
	case O_IF_TYPE:
		set_int(v, ASN_INTEGER,
			f->loopback ? 24 : 6); /* softwareLoopback, ethernetCsmacd */
		break;
	case O_IF_MTU:
		set_int(v, ASN_INTEGER, 1500);
		break;
	case O_IF_SPEED:
		set_u32(v, ASN_GAUGE, f->speed_bps > 0xffffffff ? 0xffffffff : f->speed_bps);
		break;
	case O_IF_PHYS_ADDRESS:
		snmp_set_var_typed_value(v, ASN_OCTET_STR, f->mac.b, sizeof f->mac.b);
		break;
	case O_IF_ADMIN_STATUS:
		set_int(v, ASN_INTEGER, f->admin_up ? 1 : 2);
		break;
	case O_IF_OPER_STATUS:
		set_int(v, ASN_INTEGER, f->admin_up && f->oper_up ? 1 : 2);
		break;
	case O_IF_LAST_CHANGE:
		set_int(v, ASN_TIMETICKS, if_last_change(s, c, i));
		break;
	case O_IF_IN_OCTETS:
		set_u32(v, ASN_COUNTER, f->rx_bytes);
		break;
	case O_IF_IN_UCAST:
		set_u32(v, ASN_COUNTER, f->rx_packets);
		break;
	case O_IF_IN_DISCARDS:
		set_u32(v, ASN_COUNTER, f->drops);
		break;
	case O_IF_OUT_OCTETS:
		set_u32(v, ASN_COUNTER, f->tx_bytes);
		break;
	case O_IF_OUT_UCAST:
		set_u32(v, ASN_COUNTER, f->tx_packets);
		break;
	case O_IF_IN_NUCAST:
	case O_IF_IN_ERRORS:
	case O_IF_IN_UNKNOWN_PROTOS:
	case O_IF_OUT_NUCAST:
	case O_IF_OUT_DISCARDS:
	case O_IF_OUT_ERRORS:
	case O_IFX_IN_MCAST:
	case O_IFX_IN_BCAST:
	case O_IFX_OUT_MCAST:
	case O_IFX_OUT_BCAST:
		set_u32(v, ASN_COUNTER, 0);
		break;
	case O_IF_OUT_QLEN:
		set_u32(v, ASN_GAUGE, 0);
		break;
	case O_IF_SPECIFIC:
		set_oid(v, zero_dot_zero, ARRAY_SIZE(zero_dot_zero));
		break;
	case O_IFX_HC_IN_OCTETS:
		set_c64(v, f->rx_bytes);
		break;
	case O_IFX_HC_IN_UCAST:
		set_c64(v, f->rx_packets);
		break;
	case O_IFX_HC_OUT_OCTETS:
		set_c64(v, f->tx_bytes);
		break;
	case O_IFX_HC_OUT_UCAST:
		set_c64(v, f->tx_packets);
		break;
	case O_IFX_HC_IN_MCAST:
	case O_IFX_HC_IN_BCAST:
	case O_IFX_HC_OUT_MCAST:
	case O_IFX_HC_OUT_BCAST:
		set_c64(v, 0);
		break;
	case O_IFX_LINK_TRAP:
		set_int(v, ASN_INTEGER, 1); /* enabled */
		break;
	case O_IFX_HIGH_SPEED:
		set_u32(v, ASN_GAUGE, f->speed_bps / 1000000);
		break;
	case O_IFX_PROMISC:
		set_int(v, ASN_INTEGER, 2); /* false */
		break;
	case O_IFX_CONNECTOR:
		set_int(v, ASN_INTEGER, 2); /* false: virtual */
		break;
	case O_IFX_ALIAS:
		set_str(v, f->descr);
		break;
	case O_IFX_DISCONTINUITY:
		set_int(v, ASN_TIMETICKS, 0);
		break;
	}
}

static void addr_value(struct dev_cache *c, size_t k, size_t row, netsnmp_variable_list *v)
{
	const struct snap_if *f = cache_if_by_addr(c, row);
	long ifindex = (long)f->ifindex;
	oid prefix[OBJ_OID_MAX + 8];
	size_t n = 0;

	switch (k) {
	case O_IPAD_ADDR:
		set_ip(v, f->ip);
		break;
	case O_IPAD_IFINDEX:
	case O_IPA_IFINDEX:
		set_int(v, ASN_INTEGER, ifindex);
		break;
	case O_IPAD_NETMASK:
		set_ip(v, f->cidr.len ? ~(uint32_t)0 << (32 - f->cidr.len) : 0);
		break;
	case O_IPAD_BCAST:
		set_int(v, ASN_INTEGER, 1);
		break;
	case O_IPAD_REASM:
		set_int(v, ASN_INTEGER, 65535);
		break;
	case O_IPA_TYPE:
		set_int(v, ASN_INTEGER, 1); /* unicast */
		break;
	case O_IPA_PREFIX:
		/* ipAddressPrefixOrigin.IFINDEX.ipv4.4.NET.LEN */
		memcpy(prefix, ipa_prefix_origin, sizeof ipa_prefix_origin);
		n = ARRAY_SIZE(ipa_prefix_origin);
		prefix[n++] = (oid)ifindex;
		prefix[n++] = 1;
		prefix[n++] = 4;
		prefix[n++] = f->cidr.addr >> 24;
		prefix[n++] = (f->cidr.addr >> 16) & 0xff;
		prefix[n++] = (f->cidr.addr >> 8) & 0xff;
		prefix[n++] = f->cidr.addr & 0xff;
		prefix[n++] = f->cidr.len;
		set_oid(v, prefix, n);
		break;
	case O_IPA_ORIGIN:
		set_int(v, ASN_INTEGER, 2); /* manual */
		break;
	case O_IPA_STATUS:
		set_int(v, ASN_INTEGER, 1); /* preferred */
		break;
	case O_IPA_CREATED:
	case O_IPA_LAST_CHANGED:
		set_int(v, ASN_TIMETICKS, 0);
		break;
	case O_IPA_ROW_STATUS:
		set_int(v, ASN_INTEGER, 1); /* active */
		break;
	case O_IPA_STORAGE:
		set_int(v, ASN_INTEGER, 3); /* nonVolatile: the model keeps it */
		break;
	}
}

static void route_value(struct dev_snmp *s, struct dev_cache *c, size_t k, size_t row,
			netsnmp_variable_list *v)
{
	const struct snap_route *r = &c->routes[row];
	bool remote = r->type == RV_STATIC;

	switch (k) {
	case O_RT_IFINDEX:
		set_int(v, ASN_INTEGER, r->ifindex);
		break;
	case O_RT_TYPE:
		set_int(v, ASN_INTEGER, remote ? 4 : 3); /* remote, local */
		break;
	case O_RT_PROTO:
		set_int(v, ASN_INTEGER, remote ? 3 : 2); /* netmgmt (static), local */
		break;
	case O_RT_AGE:
		set_u32(v, ASN_GAUGE, (now_ms(s) - c->built_ms) / 1000);
		break;
	case O_RT_NEXTHOP_AS:
		set_u32(v, ASN_GAUGE, 0);
		break;
	case O_RT_METRIC1:
		set_int(v, ASN_INTEGER, 0);
		break;
	case O_RT_METRIC2:
	case O_RT_METRIC3:
	case O_RT_METRIC4:
	case O_RT_METRIC5:
		set_int(v, ASN_INTEGER, -1); /* unused */
		break;
	case O_RT_STATUS:
		set_int(v, ASN_INTEGER, 1); /* active */
		break;
	}
}

/* Sets 'v' to the value of object 'k' in row 'row'. */
static void value_of(struct dev_snmp *s, struct dev_cache *c, size_t k, size_t row,
		     netsnmp_variable_list *v)
{
	if (objects[k].flags & F_COUNTER)
		cache_counters(s, c);
	switch (objects[k].table) {
	case TBL_SCALAR:
		sys_value(s, c, k, v);
		break;
	case TBL_IF:
		if_value(s, c, k, row, v);
		break;
	case TBL_IPADDR:
	case TBL_IPADDRESS:
		addr_value(c, k, row, v);
		break;
	case TBL_ROUTE:
		route_value(s, c, k, row, v);
		break;
	}
}

/* ---- requests ---- */

/* A request after its community was accepted. */
struct request {
	struct dev_snmp *s;
	struct dev_cache *c;
	const struct router *router;
	char *tenant; /* copied: a set changes the model */
	char *user;   /* SNMPv3: the tenant user; NULL: a community */
	bool rw;      /* read-write: the rw community, an admin's SNMPv3 */
	bool v1;      /* SNMPv1: errors instead of exceptions, no Counter64 */
	const char *source;
	netsnmp_pdu *resp;
	netsnmp_variable_list *tail; /* the response's last varbind */
	size_t size;		     /* estimated encoded size of the varbinds */
};

/* Appends a varbind named 'name' to the response (value NULL). */
static netsnmp_variable_list *resp_add(struct request *q, const oid *name, size_t len)
{
	netsnmp_variable_list *v = calloc(1, sizeof *v);

	if (!v)
		onm_abort("out of memory");
	snmp_set_var_objid(v, name, len);
	v->type = ASN_NULL;
	if (q->tail)
		q->tail->next_variable = v;
	else
		q->resp->variables = v;
	q->tail = v;
	return v;
}

/* An upper bound of a varbind's encoded size. */
static size_t varbind_size(const netsnmp_variable_list *v)
{
	return 8 + 5 * v->name_length + 4 + v->val_len;
}

static void resp_error(struct request *q, long status, long index)
{
	q->resp->errstat = status;
	q->resp->errindex = index;
}

/* GET of one varbind. False if SNMPv1 has no value for it (noSuchName). */
static bool get_one(struct request *q, const netsnmp_variable_list *in)
{
	netsnmp_variable_list *v = resp_add(q, in->name, in->name_length);
	size_t k = object_lower_bound(in->name, in->name_length);
	size_t row = SIZE_MAX;

	if (k < N_OBJECTS && obj_contains(k, in->name, in->name_length))
		row = row_find(q->c, objects[k].table, in->name + obj_len[k],
			       in->name_length - obj_len[k]);
	if (row != SIZE_MAX && !(q->v1 && (objects[k].flags & F_HC))) {
		value_of(q->s, q->c, k, row, v);
	} else if (q->v1) {
		return false;
	} else {
		v->type = k < N_OBJECTS && obj_contains(k, in->name, in->name_length)
			      ? SNMP_NOSUCHINSTANCE
			      : SNMP_NOSUCHOBJECT;
	}
	q->size += varbind_size(v);
	return true;
}

/* The instance after 'name' into 'v' (its name and value); false at the
 * end of the MIB view. */
static bool next_of(struct request *q, const oid *name, size_t len, netsnmp_variable_list *v)
{
	for (size_t k = object_lower_bound(name, len); k < N_OBJECTS; k++) {
		enum table t = objects[k].table;
		size_t row = 0;
		oid out[OBJ_OID_MAX + INDEX_MAX];
		uint32_t idx[INDEX_MAX];
		size_t n;

		if (q->v1 && (objects[k].flags & F_HC))
			continue;
		if (obj_contains(k, name, len))
			row = row_after(q->c, t, name + obj_len[k], len - obj_len[k]);
		if (row >= table_rows(q->c, t))
			continue;
		memcpy(out, objects[k].oid, obj_len[k] * sizeof(oid));
		n = row_index(q->c, t, row, idx);
		for (size_t i = 0; i < n; i++)
			out[obj_len[k] + i] = idx[i];
		snmp_set_var_objid(v, out, obj_len[k] + n);
		value_of(q->s, q->c, k, row, v);
		return true;
	}
	return false;
}

/* GETNEXT of one varbind. False if SNMPv1 has nothing after it. */
static bool getnext_one(struct request *q, const oid *name, size_t len)
{
	netsnmp_variable_list *v = resp_add(q, name, len);

	if (!next_of(q, name, len, v)) {
		if (q->v1)
			return false;
		v->type = SNMP_ENDOFMIBVIEW;
	}
	q->size += varbind_size(v);
	return true;
}

static void do_get(struct request *q, const netsnmp_pdu *req, bool next)
{
	long i = 1;

	for (const netsnmp_variable_list *in = req->variables; in; in = in->next_variable, i++) {
		bool ok = next ? getnext_one(q, in->name, in->name_length) : get_one(q, in);

		if (!ok) {
			/* SNMPv1: the request's varbinds back with the error. */
			snmp_free_varbind(q->resp->variables);
			q->resp->variables = snmp_clone_varbind(req->variables);
			resp_error(q, SNMP_ERR_NOSUCHNAME, i);
			return;
		}
	}
	if (q->size > q->s->max_msg) {
		snmp_free_varbind(q->resp->variables);
		q->resp->variables = NULL;
		resp_error(q, SNMP_ERR_TOOBIG, 0);
	}
}

/* GETBULK (RFC 3416 4.2.3): the non-repeaters once, then the repeaters
 * row after row until max-repetitions, the end of the view for all of
 * them, or the size limit. */
static void do_getbulk(struct request *q, const netsnmp_pdu *req)
{
	size_t n_vars = 0, nonrep, reps, n_out = 0;
	const netsnmp_variable_list *in = req->variables;
	netsnmp_variable_list **last;
	size_t i;

	for (const netsnmp_variable_list *v = in; v; v = v->next_variable)
		n_vars++;
	nonrep = req->errstat < 0		 ? 0
		 : (size_t)req->errstat < n_vars ? (size_t)req->errstat
						 : n_vars;
	reps = req->errindex < 0 ? 0 : (size_t)req->errindex;
	for (i = 0; i < nonrep; i++, in = in->next_variable, n_out++)
		getnext_one(q, in->name, in->name_length);
	if (n_vars == nonrep || !reps)
		return;
	/* Each repeater continues from its own last answer. */
	last = xcalloc(n_vars - nonrep, sizeof *last);
	for (size_t r = 0; r < reps; r++) {
		const netsnmp_variable_list *rv = in;
		bool any = false;

		for (i = 0; rv; rv = rv->next_variable, i++) {
			const oid *from = last[i] ? last[i]->name : rv->name;
			size_t from_len = last[i] ? last[i]->name_length : rv->name_length;
			netsnmp_variable_list *v;

			if (n_out >= BULK_MAX_VARBINDS || q->size > q->s->max_msg)
				goto out;
			v = resp_add(q, from, from_len);
			n_out++;
			if (last[i] && last[i]->type == SNMP_ENDOFMIBVIEW)
				v->type = SNMP_ENDOFMIBVIEW;
			else if (next_of(q, from, from_len, v))
				any = true;
			else
				v->type = SNMP_ENDOFMIBVIEW;
			last[i] = v;
			q->size += varbind_size(v);
		}
		if (!any)
			break;
	}
out:
	/* The last varbind may pass the limit: the estimate is an upper
	 * bound, the limit leaves room below the datagram's size. */
	free(last);
}

/* ---- sets ---- */

/* "ifAdminStatus.2 (GigabitEthernet0/1) = down(2)" for the audit. */
static void describe_varbind(struct ds *out, const struct dev_cache *c,
			     const netsnmp_variable_list *v)
{
	size_t k = object_lower_bound(v->name, v->name_length);

	if (k < N_OBJECTS && obj_contains(k, v->name, v->name_length)) {
		size_t row = SIZE_MAX;

		ds_put_cstr(out, objects[k].name);
		for (size_t i = obj_len[k]; i < v->name_length; i++)
			ds_put_format(out, ".%lu", (unsigned long)v->name[i]);
		if (k == O_IF_ADMIN_STATUS)
			row = row_find(c, TBL_IF, v->name + obj_len[k], v->name_length - obj_len[k]);
		if (row != SIZE_MAX)
			ds_put_format(out, " (%s)", c->ifs[row].name);
	} else {
		for (size_t i = 0; i < v->name_length && i < MAX_OID_LEN; i++)
			ds_put_format(out, "%s%lu", i ? "." : "", (unsigned long)v->name[i]);
	}
	if (v->type == ASN_INTEGER && v->val.integer) {
		long x = *v->val.integer;

		if (k == O_IF_ADMIN_STATUS && (x == 1 || x == 2))
			ds_put_format(out, " = %s(%ld)", x == 1 ? "up" : "down", x);
		else
			ds_put_format(out, " = %ld", x);
	}
}

/* One interface's new admin state. */
struct admin_change {
	size_t row; /* in the snapshot's 'ifs' */
	bool up;
};

/* Checks a SET's varbinds (all or nothing, RFC 3416 4.2.5); fills
 * 'changes'. Returns 0 or the error-status, with '*index' its varbind. */
static long set_check(const struct request *q, const netsnmp_pdu *req, struct admin_change *changes,
		      size_t *n, long *index)
{
	long i = 1;

	*n = 0;
	for (const netsnmp_variable_list *v = req->variables; v; v = v->next_variable, i++) {
		size_t k = object_lower_bound(v->name, v->name_length), row;

		*index = i;
		if (k != O_IF_ADMIN_STATUS || !obj_contains(k, v->name, v->name_length))
			return SNMP_ERR_NOTWRITABLE;
		row = row_find(q->c, TBL_IF, v->name + obj_len[k], v->name_length - obj_len[k]);
		if (row == SIZE_MAX)
			return SNMP_ERR_NOCREATION;
		if (v->type != ASN_INTEGER || !v->val.integer)
			return SNMP_ERR_WRONGTYPE;
		if (*v->val.integer != 1 && *v->val.integer != 2)
			return SNMP_ERR_WRONGVALUE; /* testing(3) is not offered */
		changes[(*n)++] = (struct admin_change){row, *v->val.integer == 1};
	}
	*index = 0;
	return SNMP_ERR_NOERROR;
}

/* Commits the changes as the router's new configuration, if they change
 * anything. Returns 0 or a negative errno. */
static int set_commit(struct request *q, const struct admin_change *changes, size_t n)
{
	json_t *router = json_loads(q->router->hdr.json, 0, NULL);
	json_t *ifs = json_object_get(router, "interfaces");
	char *id = xstrdup(q->c->id), *error = NULL, *text;
	bool changed = false;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		const struct snap_if *f = &q->c->ifs[changes[i].row];
		json_t *item = json_array_get(ifs, f->pos);
		const char *name = json_string_value(json_object_get(item, "name"));
		bool down = json_is_true(json_object_get(item, "shutdown"));

		if (!name || strcmp(name, f->name)) {
			rc = -EIO; /* the snapshot is the model's: a bug */
			goto out;
		}
		if (down == !changes[i].up)
			continue;
		changed = true;
		if (changes[i].up)
			json_object_del(item, "shutdown");
		else
			json_object_set_new(item, "shutdown", json_true());
	}
	if (!changed)
		goto out;
	/* The commit frees the router and may drop the snapshot's model. */
	q->router = NULL;
	if (q->s->hooks.router_update) {
		rc = q->s->hooks.router_update(q->s->hooks.aux, id, router, &error);
	} else {
		text = json_dumps(router, JSON_COMPACT);
		rc = ctl_state_update(q->s->state, MODEL_ROUTER, id, text, strlen(text), NULL,
				      &error);
		free(text);
	}
	if (rc)
		LOG_WARN_RL("set from %s on %s: %s", q->source, id, error ? error : "failed");
	free(error);
out:
	json_decref(router);
	free(id);
	return rc;
}

static long v1_error(long status)
{
	switch (status) {
	case SNMP_ERR_NOERROR:
	case SNMP_ERR_TOOBIG:
	case SNMP_ERR_GENERR:
		return status;
	case SNMP_ERR_WRONGVALUE:
	case SNMP_ERR_WRONGTYPE:
		return SNMP_ERR_BADVALUE;
	case SNMP_ERR_COMMITFAILED:
		return SNMP_ERR_GENERR;
	default:
		return SNMP_ERR_NOSUCHNAME; /* RFC 2576 4.4 */
	}
}

static void set_audit(struct request *q, const netsnmp_pdu *req, const char *verdict, long status)
{
	struct ds cmd = DS_EMPTY_INITIALIZER;
	/* SNMPv3 has the real user; a community stands for the tenant. */
	char *user = q->user ? xasprintf("%s/%s", q->tenant, q->user)
			     : xasprintf("%s/snmp-%s", q->tenant, q->rw ? "rw" : "ro");
	const char *sep = " ";

	ds_put_cstr(&cmd, "snmpset");
	for (const netsnmp_variable_list *v = req->variables; v; v = v->next_variable) {
		ds_put_cstr(&cmd, sep);
		describe_varbind(&cmd, q->c, v);
		sep = "; ";
		if (cmd.length > 1000) {
			ds_put_cstr(&cmd, "; ...");
			break;
		}
	}
	LOG_INFO_RL("%s from %s on %s: %s: %s (status %ld)", user, q->source, q->c->id,
		    ds_cstr(&cmd), verdict, status);
	if (q->s->hooks.audit)
		q->s->hooks.audit(q->s->hooks.aux, user, q->c->id, q->source, ds_cstr(&cmd),
				  verdict, (int)status);
	free(user);
	ds_destroy(&cmd);
}

static void do_set(struct request *q, const netsnmp_pdu *req)
{
	size_t n_vars = 0, n = 0;
	struct admin_change *changes;
	long status, index = 0;

	q->resp->variables = snmp_clone_varbind(req->variables);
	if (!q->rw) {
		resp_error(q, q->v1 ? SNMP_ERR_NOSUCHNAME : SNMP_ERR_NOACCESS, 1);
		set_audit(q, req, "denied", q->resp->errstat);
		q->s->stats.sets_refused++;
		return;
	}
	for (const netsnmp_variable_list *v = req->variables; v; v = v->next_variable)
		n_vars++;
	changes = xcalloc(n_vars + 1, sizeof *changes);
	status = set_check(q, req, changes, &n, &index);
	if (!status && set_commit(q, changes, n)) {
		status = SNMP_ERR_COMMITFAILED;
		index = 1;
	}
	free(changes);
	if (q->v1)
		status = v1_error(status);
	resp_error(q, status, index);
	/* The router may be gone from the snapshot's model: the audit uses copies. */
	set_audit(q, req, "run", status);
	if (status)
		q->s->stats.sets_refused++;
	else
		q->s->stats.sets_done++;
}

/* ---- communities ---- */

static void communities_clear(struct dev_snmp *s)
{
	struct community_entry *e;

	HMAP_FOR_EACH_SAFE (e, node, &s->communities) {
		hmap_remove(&s->communities, &e->node);
		free(e);
	}
	s->communities_valid = false;
}

static void community_add(struct dev_snmp *s, const char *community, const char *tenant, bool rw)
{
	struct community_entry *e = xzalloc(sizeof *e);

	e->community = community;
	e->tenant = tenant;
	e->rw = rw;
	hmap_insert(&s->communities, &e->node, hash_string(community, 0));
}

/* The model's communities, rebuilt when the store's revision moved (the
 * entries point into the model). */
static void communities_refresh(struct dev_snmp *s)
{
	uint64_t revision = ctl_state_revision(s->state);
	struct model_object **tenants;
	size_t n;

	if (s->communities_valid && s->communities_revision == revision)
		return;
	communities_clear(s);
	tenants = model_list(model_of(s), MODEL_TENANT, &n);
	for (size_t i = 0; i < n; i++) {
		const struct tenant *t = CONTAINER_OF(tenants[i], const struct tenant, hdr);

		if (t->snmp.ro_community)
			community_add(s, t->snmp.ro_community, t->name, false);
		if (t->snmp.rw_community)
			community_add(s, t->snmp.rw_community, t->name, true);
	}
	free(tenants);
	s->communities_valid = true;
	s->communities_revision = revision;
}

/* Which router "COMMUNITY@NETWORK/ROUTER" or "COMMUNITY@TENANT/NETWORK/
 * ROUTER" selects, and with which access. NULL (with '*why' for the log,
 * never quoting the community) if none, or if the short form is ambiguous
 * (two tenants with this community have such a router). */
static const struct router *community_resolve(struct dev_snmp *s, const u_char *text, size_t len,
					      char **tenant, bool *rw, char **why)
{
	char buf[COMMUNITY_TEXT_MAX];
	const struct router *found = NULL;
	const char *secret, *device, *slash2;
	struct community_entry *e;
	char *at, *slash;

	*why = NULL;
	if (!len || len >= sizeof buf || memchr(text, '\0', len)) {
		*why = xstrdup("a community that names no device");
		return NULL;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	at = strchr(buf, '@');
	slash = at ? strchr(at, '/') : NULL;
	if (!at || !slash) {
		*why = xstrdup("a community without @NETWORK/DEVICE");
		return NULL;
	}
	*at = '\0';
	secret = buf;
	device = at + 1;
	slash2 = strchr(slash + 1, '/');
	if (slash2 && strchr(slash2 + 1, '/')) {
		*why = xasprintf("a device name with too many parts (%.100s)", device);
		return NULL;
	}
	communities_refresh(s);
	HMAP_FOR_EACH_WITH_HASH (e, node, hash_string(secret, 0), &s->communities) {
		const struct router *r;
		char *id;

		if (strcmp(e->community, secret))
			continue;
		if (slash2 && (strncmp(device, e->tenant, (size_t)(slash - device)) ||
			       e->tenant[slash - device]))
			continue;
		id = slash2 ? xstrdup(device) : xasprintf("%s/%s", e->tenant, device);
		r = router_of(model_of(s), id);
		free(id);
		if (!r)
			continue;
		if (found) {
			*why = xasprintf("two tenants' routers are %.100s: name the tenant "
					 "(COMMUNITY@TENANT/NETWORK/DEVICE)",
					 device);
			return NULL;
		}
		found = r;
		*rw = e->rw;
		*tenant = xstrdup(e->tenant);
	}
	if (!found)
		*why = xasprintf("an unknown community or device (%.100s)", device);
	return found;
}

/* ---- SNMPv3 ----
 *
 * USM (RFC 3414) with SHA-256 authentication (RFC 7860) and AES-128
 * privacy (RFC 3826), authPriv only: a tenant user with 'snmpv3: true' is
 * the USM user "USER@TENANT", its password the authentication and privacy
 * passphrase (the model keeps the password's key, not the password), and
 * the context names the router: "NETWORK/ROUTER" or "TENANT/NETWORK/
 * ROUTER". Admins read and write, operators and viewers read. The engine ID
 * and its boot counter are in the state file: a restart keeps the ID that
 * managers have learnt and counts one boot more (RFC 3414 2.2). */

/* Takes the engine ID of 'engine' ({"id": HEX, "boots": N}, may be NULL)
 * or makes one, counts this boot, and hands both to net-snmp. */
static void v3_engine_init(struct dev_snmp *s, const json_t *engine)
{
	const char *id = json_string_value(json_object_get(engine, "id"));
	json_int_t boots = 0;
	char text[32];

	if (!id || sodium_hex2bin(s->engine_id, sizeof s->engine_id, id, strlen(id), NULL,
				  &s->engine_id_len, NULL) ||
	    s->engine_id_len < 5) {
		/* RFC 3411 SnmpEngineID: net-snmp's enterprise number with the
		 * top bit set, format 5 (octets), 12 random octets. */
		static const u_char head[] = {0x80, 0x00, 0x1f, 0x88, 0x05};

		memcpy(s->engine_id, head, sizeof head);
		randombytes_buf(s->engine_id + sizeof head, 12);
		s->engine_id_len = sizeof head + 12;
	} else {
		boots = json_integer_value(json_object_get(engine, "boots"));
	}
	if (boots < 0 || boots >= 2147483647)
		boots = 0;
	s->engine_boots = (uint64_t)boots + 1;
	s->state_dirty = true;
	set_exact_engineID(s->engine_id, s->engine_id_len);
	/* The persistent file's handler: it counts this boot itself. */
	snprintf(text, sizeof text, "%lld", (long long)boots);
	engineBoots_conf("engineBoots", text);
	/* USM knows engines by their entry in its time list (lcd_time.h):
	 * ours was entered under the ID the library first made up. */
	set_enginetime(s->engine_id, (u_int)s->engine_id_len, (u_int)snmpv3_local_snmpEngineBoots(),
		       (u_int)snmpv3_local_snmpEngineTime(), TRUE);
}

static void v3_users_clear(struct dev_snmp *s)
{
	for (size_t i = 0; i < s->n_users; i++) {
		struct usmUser *u = s->users[i];

		/* usm_remove_user() returns the list's head, not the user. */
		usm_remove_user(u);
		u->next = u->prev = NULL;
		usm_free_user(u);
	}
	free(s->users);
	s->users = NULL;
	s->n_users = 0;
}

/* A malloc()ed copy, as net-snmp frees them (usm_free_user). */
static void *bytes_dup(const void *p, size_t n)
{
	void *d = xmalloc(n);

	memcpy(d, p, n);
	return d;
}

/* The USM user of tenant user 'u' of 't', its key localized to our engine
 * (RFC 3414 2.6), or NULL. */
static struct usmUser *v3_user_create(struct dev_snmp *s, const struct tenant *t,
				      const struct user *u)
{
	u_char ku[32], kul[64];
	size_t ku_len, kul_len = sizeof kul;
	struct usmUser *user;

	if (sodium_hex2bin(ku, sizeof ku, u->snmp_key, strlen(u->snmp_key), NULL, &ku_len,
			   NULL) ||
	    ku_len != sizeof ku ||
	    generate_kul(usmHMAC192SHA256AuthProtocol, USM_AUTH_PROTO_SHA_LEN, s->engine_id,
			 s->engine_id_len, ku, ku_len, kul, &kul_len) != SNMPERR_SUCCESS) {
		LOG_WARN_RL("user %s/%s: cannot make its SNMPv3 key", t->name, u->name);
		return NULL;
	}
	user = usm_create_user();
	if (!user)
		onm_abort("out of memory");
	user->name = xasprintf("%s@%s", u->name, t->name);
	user->secName = xstrdup(user->name);
	user->engineID = bytes_dup(s->engine_id, s->engine_id_len);
	user->engineIDLen = s->engine_id_len;
	free(user->authProtocol);
	user->authProtocol = bytes_dup(usmHMAC192SHA256AuthProtocol,
				       USM_AUTH_PROTO_SHA_LEN * sizeof(oid));
	user->authProtocolLen = USM_AUTH_PROTO_SHA_LEN;
	user->authKey = bytes_dup(kul, kul_len);
	user->authKeyLen = kul_len;
	free(user->privProtocol);
	user->privProtocol = bytes_dup(usmAESPrivProtocol, USM_PRIV_PROTO_AES_LEN * sizeof(oid));
	user->privProtocolLen = USM_PRIV_PROTO_AES_LEN;
	user->privKey = bytes_dup(kul, 16); /* AES-128: the localized key's first 16 octets */
	user->privKeyLen = 16;
	user->userStatus = RS_ACTIVE;
	user->userStorageType = ST_READONLY;
	sodium_memzero(ku, sizeof ku);
	sodium_memzero(kul, sizeof kul);
	return user;
}

/* Makes net-snmp's USM users the model's SNMPv3 users. */
static void v3_users_sync(struct dev_snmp *s)
{
	uint64_t revision = ctl_state_revision(s->state);
	struct model_object **tenants;
	size_t n;

	if (s->users_revision == revision)
		return;
	s->users_revision = revision;
	v3_users_clear(s);
	tenants = model_list(model_of(s), MODEL_TENANT, &n);
	for (size_t i = 0; i < n; i++) {
		const struct tenant *t = CONTAINER_OF(tenants[i], const struct tenant, hdr);

		for (size_t k = 0; k < t->n_users; k++) {
			struct usmUser *user;

			if (!t->users[k].snmpv3 || !t->users[k].snmp_key)
				continue;
			user = v3_user_create(s, t, &t->users[k]);
			if (!user)
				continue;
			s->users = xrealloc(s->users, (s->n_users + 1) * sizeof *s->users);
			usm_add_user(user);
			s->users[s->n_users++] = user;
		}
	}
	free(tenants);
}

/* Which router an SNMPv3 request's context names for its user, with which
 * access; NULL with '*why' otherwise. USM has checked the user and the
 * message before (an unknown user or a bad digest got a report). */
static const struct router *v3_resolve(struct dev_snmp *s, const netsnmp_pdu *req,
				       char **tenant, char **user, bool *rw, char **why)
{
	char name[SNMP_MAX_SEC_NAME_SIZE], context[SNMP_MAX_SEC_NAME_SIZE];
	const struct model_object *o;
	const struct tenant *t;
	const struct router *r;
	const struct user *u = NULL;
	char *at, *id;

	*why = NULL;
	if (req->securityModel != SNMP_SEC_MODEL_USM ||
	    req->securityLevel != SNMP_SEC_LEVEL_AUTHPRIV) {
		*why = xstrdup("SNMPv3 below authPriv");
		return NULL;
	}
	if (!req->securityName || req->securityNameLen >= sizeof name ||
	    req->contextNameLen >= sizeof context) {
		*why = xstrdup("an SNMPv3 user or context too long");
		return NULL;
	}
	memcpy(name, req->securityName, req->securityNameLen);
	name[req->securityNameLen] = '\0';
	context[0] = '\0';
	if (req->contextName) {
		memcpy(context, req->contextName, req->contextNameLen);
		context[req->contextNameLen] = '\0';
	}
	at = strrchr(name, '@');
	o = at ? model_find(model_of(s), MODEL_TENANT, at + 1) : NULL;
	t = o ? CONTAINER_OF(o, const struct tenant, hdr) : NULL;
	if (at)
		*at = '\0';
	for (size_t i = 0; t && i < t->n_users && !u; i++)
		if (!strcmp(t->users[i].name, name) && t->users[i].snmpv3)
			u = &t->users[i];
	if (!u) {
		*why = xasprintf("no SNMPv3 user %.100s%s%.100s", name, at ? "@" : "",
				 at ? at + 1 : "");
		return NULL;
	}
	/* "NETWORK/ROUTER" in the user's tenant, or "TENANT/NETWORK/ROUTER"
	 * naming that tenant. */
	if (strchr(context, '/') && strchr(strchr(context, '/') + 1, '/'))
		id = str_has_prefix(context, t->name) && context[strlen(t->name)] == '/'
			 ? xstrdup(context)
			 : NULL;
	else
		id = xasprintf("%s/%s", t->name, context);
	r = id ? router_of(model_of(s), id) : NULL;
	free(id);
	if (!r) {
		*why = xasprintf("an unknown SNMPv3 context (%.100s)", context);
		return NULL;
	}
	*tenant = xstrdup(t->name);
	*user = xstrdup(u->name);
	*rw = u->role == ROLE_ADMIN;
	return r;
}

/* ---- the dispatcher ---- */

static int pdu_kind(int command)
{
	switch (command) {
	case SNMP_MSG_GET:
		return 0;
	case SNMP_MSG_GETNEXT:
		return 1;
	case SNMP_MSG_GETBULK:
		return 2;
	case SNMP_MSG_SET:
		return 3;
	}
	return -1;
}

struct snmp_pdu *dev_snmp_handle(struct dev_snmp *s, struct snmp_pdu *req, const char *source)
{
	int kind = pdu_kind(req->command);
	struct request q = {.s = s, .source = source};
	char *why = NULL;

	if (kind < 0 ||
	    (req->version != SNMP_VERSION_1 && req->version != SNMP_VERSION_2c &&
	     req->version != SNMP_VERSION_3) ||
	    (req->version == SNMP_VERSION_1 && kind == 2)) {
		s->stats.dropped++;
		return NULL;
	}
	s->stats.requests[kind]++;
	q.v1 = req->version == SNMP_VERSION_1;
	if (req->version == SNMP_VERSION_3)
		q.router = v3_resolve(s, req, &q.tenant, &q.user, &q.rw, &why);
	else
		q.router =
		    community_resolve(s, req->community, req->community_len, &q.tenant, &q.rw, &why);
	q.c = q.router ? cache_get(s, q.router) : NULL;
	if (!q.c && req->version != SNMP_VERSION_3) {
		s->stats.unknown_community++;
		LOG_WARN_RL("no answer to %s: %s", source, why ? why : "its router has no network");
		free(why);
		free(q.tenant);
		free(q.user);
		return NULL;
	}
	q.resp = snmp_clone_pdu(req);
	if (!q.resp)
		onm_abort("out of memory");
	snmp_free_varbind(q.resp->variables);
	q.resp->variables = NULL;
	q.resp->command = SNMP_MSG_RESPONSE;
	resp_error(&q, SNMP_ERR_NOERROR, 0);
	if (!q.c) {
		/* An SNMPv3 user USM let in: it hears why not, as from a
		 * router's access control. */
		s->stats.unknown_community++;
		LOG_WARN_RL("authorizationError to %s: %s", source,
			    why ? why : "its router has no network");
		free(why);
		free(q.tenant);
		free(q.user);
		resp_error(&q, SNMP_ERR_AUTHORIZATIONERROR, 0);
		return q.resp;
	}
	switch (kind) {
	case 0:
	case 1:
		do_get(&q, req, kind == 1);
		break;
	case 2:
		do_getbulk(&q, req);
		break;
	case 3:
		do_set(&q, req);
		break;
	}
	free(q.tenant);
	free(q.user);
	return q.resp;
}

/* ---- traps ---- */

static uint32_t sink_hash(uint32_t ip, uint16_t port)
{
	return hash_add(hash_add(0, ip), port);
}

static void sinks_clear(struct dev_snmp *s)
{
	struct trap_sink *k;

	HMAP_FOR_EACH_SAFE (k, node, &s->sinks) {
		hmap_remove(&s->sinks, &k->node);
		snmp_sess_close(k->sess);
		free(k);
	}
}

/* The session that sends to receiver 'r', opened the first time. */
static void *sink_get(struct dev_snmp *s, const struct snmp_trap_receiver *r)
{
	uint32_t hash = sink_hash(r->ip, r->port);
	struct netsnmp_ep ep;
	netsnmp_transport *t;
	netsnmp_session ss;
	struct trap_sink *k;

	HMAP_FOR_EACH_WITH_HASH (k, node, hash, &s->sinks)
		if (k->ip == r->ip && k->port == r->port)
			return k->sess;
	if (hmap_count(&s->sinks) >= SINKS_MAX)
		sinks_clear(s);
	memset(&ep, 0, sizeof ep);
	ep.a.sin.sin_family = AF_INET;
	ep.a.sin.sin_addr.s_addr = htonl(r->ip);
	ep.a.sin.sin_port = htons(r->port);
	t = netsnmp_udp_transport(&ep, 0);
	if (!t) {
		LOG_WARN_RL("trap receiver port %u: cannot open a socket", r->port);
		return NULL;
	}
	snmp_sess_init(&ss);
	ss.version = SNMP_VERSION_2c;
	k = xzalloc(sizeof *k);
	k->ip = r->ip;
	k->port = r->port;
	k->sess = snmp_sess_add(&ss, t, NULL, NULL);
	if (!k->sess) {
		free(k);
		return NULL;
	}
	hmap_insert(&s->sinks, &k->node, hash);
	return k->sess;
}

/* Sends a trap of router 'r' to its tenant's receivers: sysUpTime.0,
 * snmpTrapOID.0, then for an interface (ifindex > 0) ifIndex, ifAdminStatus,
 * ifOperStatus (IF-MIB's linkDown/linkUp objects) and ifName; then sysName.0
 * and sysLocation.0 (as a GET gives them: the router's name and network),
 * since every router of the controller sends from the same address. */
static void trap_send(struct dev_snmp *s, const struct router *r, const struct router_state *rs,
		      const oid *trap, size_t trap_len, size_t ifindex, const struct if_state *is)
{
	const struct model_object *o = model_find(model_of(s), MODEL_TENANT, r->tenant);
	const struct tenant *t = o ? CONTAINER_OF(o, const struct tenant, hdr) : NULL;
	const char *community;
	netsnmp_pdu *pdu;
	oid name[OBJ_OID_MAX + 1];
	char *location;
	long uptime;

	if (!t || !t->snmp.n_trap_receivers)
		return;
	community = t->snmp.ro_community ? t->snmp.ro_community : "public";
	pdu = snmp_pdu_create(SNMP_MSG_TRAP2);
	pdu->version = SNMP_VERSION_2c;
	uptime = uptime_ticks(s, rs);
	snmp_pdu_add_variable(pdu, sys_uptime_oid, ARRAY_SIZE(sys_uptime_oid), ASN_TIMETICKS,
			      &uptime, sizeof uptime);
	snmp_pdu_add_variable(pdu, snmp_trap_oid, ARRAY_SIZE(snmp_trap_oid), ASN_OBJECT_ID, trap,
			      trap_len * sizeof(oid));
	if (ifindex) {
		static const size_t cols[] = {O_IF_INDEX, O_IF_ADMIN_STATUS, O_IF_OPER_STATUS};
		long values[] = {(long)ifindex, is->admin_up ? 1 : 2, is->up ? 1 : 2};

		for (size_t i = 0; i < ARRAY_SIZE(cols); i++) {
			memcpy(name, objects[cols[i]].oid, obj_len[cols[i]] * sizeof(oid));
			name[obj_len[cols[i]]] = ifindex;
			snmp_pdu_add_variable(pdu, name, obj_len[cols[i]] + 1, ASN_INTEGER,
					      &values[i], sizeof values[i]);
		}
		memcpy(name, objects[O_IFX_NAME].oid, obj_len[O_IFX_NAME] * sizeof(oid));
		name[obj_len[O_IFX_NAME]] = ifindex;
		snmp_pdu_add_variable(pdu, name, obj_len[O_IFX_NAME] + 1, ASN_OCTET_STR, is->name,
				      strlen(is->name));
	}
	snmp_pdu_add_variable(pdu, sys_name_oid, ARRAY_SIZE(sys_name_oid), ASN_OCTET_STR, r->name,
			      strlen(r->name));
	location = xasprintf("onm network %s/%s", r->tenant, r->network);
	snmp_pdu_add_variable(pdu, sys_location_oid, ARRAY_SIZE(sys_location_oid), ASN_OCTET_STR,
			      location, strlen(location));
	free(location);
	for (size_t i = 0; i < t->snmp.n_trap_receivers; i++) {
		void *sess = sink_get(s, &t->snmp.trap_receivers[i]);
		netsnmp_pdu *copy = sess ? snmp_clone_pdu(pdu) : NULL;

		if (!copy)
			continue;
		free(copy->community);
		copy->community = (u_char *)strdup(community);
		copy->community_len = strlen(community);
		if (!copy->community || !snmp_sess_send(sess, copy)) {
			LOG_WARN_RL("trap of %s to receiver %zu of %s not sent", r->hdr.id, i + 1,
				    t->name);
			snmp_free_pdu(copy);
			continue;
		}
		s->stats.traps_sent++;
	}
	snmp_free_pdu(pdu);
}

static const struct if_state *if_state_find(const struct router_state *rs, const char *name,
					    size_t hint)
{
	for (size_t k = 0; k < rs->n_ifs; k++) {
		const struct if_state *is = &rs->ifs[(hint + k) % rs->n_ifs];

		if (!strcmp(is->name, name))
			return is;
	}
	return NULL;
}

static bool subnet_exists(const struct network *n, const char *name)
{
	for (size_t i = 0; n && i < n->n_subnets; i++)
		if (!strcmp(n->subnets[i].name, name))
			return true;
	return false;
}

/* Takes router 'r''s interfaces into 'rs', sending linkDown/linkUp for
 * those whose line went down or up ('traps'). */
static void rstate_update(struct dev_snmp *s, struct router_state *rs, const struct router *r,
			  const struct network *n, bool traps)
{
	struct if_state *ifs = xcalloc(r->n_interfaces + 1, sizeof *ifs);
	uint64_t now = now_ms(s);

	for (size_t i = 0; i < r->n_interfaces; i++) {
		const struct router_interface *ri = &r->interfaces[i];
		const struct if_state *old = if_state_find(rs, ri->name, i);
		struct if_state *is = &ifs[i];

		is->name = xstrdup(ri->name);
		is->admin_up = !ri->shutdown;
		is->up = is->admin_up && subnet_exists(n, ri->subnet);
		is->changed_ms = old ? old->changed_ms : 0;
		if (old && (old->admin_up != is->admin_up || old->up != is->up))
			is->changed_ms = now;
		if (old && old->up != is->up && traps)
			trap_send(s, r, rs, is->up ? link_up_oid : link_down_oid,
				  ARRAY_SIZE(link_up_oid), ifindex_of(rs, ri->name), is);
	}
	ifindex_prune(rs, r);
	for (size_t i = 0; i < r->n_interfaces; i++)
		ifindex_of(rs, r->interfaces[i].name); /* in the model's order */
	rstate_free_ifs(rs);
	rs->ifs = ifs;
	rs->n_ifs = r->n_interfaces;
}

/* Compares every router of the model with what was seen before. */
static void scan(struct dev_snmp *s, bool traps)
{
	const struct model *m = model_of(s);
	struct router_state *rs;
	size_t n;
	struct model_object **routers = model_list(m, MODEL_ROUTER, &n);

	s->mark++;
	for (size_t i = 0; i < n; i++) {
		const struct router *r = CONTAINER_OF(routers[i], const struct router, hdr);
		bool created = false;

		rs = rstate_find(s, r->hdr.id);
		if (!rs) {
			rs = rstate_new(s, r->hdr.id);
			created = true;
		}
		rs->mark = s->mark;
		rstate_update(s, rs, r, network_of(m, r), traps && !created);
		if (created && traps)
			trap_send(s, r, rs, cold_start_oid, ARRAY_SIZE(cold_start_oid), 0, NULL);
	}
	free(routers);
	HMAP_FOR_EACH_SAFE (rs, node, &s->routers)
		if (rs->mark != s->mark)
			rstate_forget(s, rs);
	state_save(s);
}

void dev_snmp_model_changed(struct dev_snmp *s)
{
	if (!s)
		return;
	scan(s, true);
	v3_users_sync(s);
}

/* ---- transport ---- */

/* "IP:PORT" of a request's sender. */
static void source_format(const netsnmp_pdu *pdu, char *buf, size_t size)
{
	const netsnmp_indexed_addr_pair *a = pdu->transport_data;
	char ip[INET_ADDRSTRLEN];

	if (!a || pdu->transport_data_length < (int)sizeof a->remote_addr.sin ||
	    a->remote_addr.sin.sin_family != AF_INET ||
	    !inet_ntop(AF_INET, &a->remote_addr.sin.sin_addr, ip, sizeof ip)) {
		snprintf(buf, size, "unknown");
		return;
	}
	snprintf(buf, size, "%s:%u", ip, ntohs(a->remote_addr.sin.sin_port));
}

/* net-snmp hands over each message it parsed. */
static int on_message(int op, netsnmp_session *session, int reqid, netsnmp_pdu *pdu, void *magic)
{
	struct dev_snmp *s = magic;
	char source[64];
	netsnmp_pdu *resp;

	if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE)
		return 1;
	source_format(pdu, source, sizeof source);
	resp = dev_snmp_handle(s, pdu, source);
	if (resp && !snmp_sess_send(s->sess, resp)) {
		LOG_WARN_RL("response to %s not sent", source);
		snmp_free_pdu(resp);
	}
	return 1;
}

/* One datagram per call (level-triggered: the loop comes back for more),
 * so that a flood of requests shares the loop with everything else. */
static void on_readable(evutil_socket_t fd, short what, void *s_)
{
	struct dev_snmp *s = s_;
	netsnmp_large_fd_set fds;

	netsnmp_large_fd_set_init(&fds, fd + 1);
	netsnmp_large_fd_setfd(fd, &fds);
	snmp_sess_read2(s->sess, &fds);
	netsnmp_large_fd_set_cleanup(&fds);
}

/* "A.B.C.D:PORT" into 'ep'. */
static bool listen_parse(const char *listen, struct netsnmp_ep *ep)
{
	const char *colon = strrchr(listen, ':');
	char *addr, *end;
	unsigned long port;
	uint32_t ip;
	bool ok;

	if (!colon || !colon[1])
		return false;
	port = strtoul(colon + 1, &end, 10);
	if (*end || port > 65535 || colon[1] == '-' || colon[1] == '+')
		return false;
	addr = xmemdup0(listen, (size_t)(colon - listen));
	ok = ipv4_parse(addr, &ip);
	free(addr);
	memset(ep, 0, sizeof *ep);
	ep->a.sin.sin_family = AF_INET;
	ep->a.sin.sin_addr.s_addr = htonl(ip);
	ep->a.sin.sin_port = htons((uint16_t)port);
	return ok;
}

static int server_open(struct dev_snmp *s, const char *listen, char **error)
{
	struct netsnmp_ep ep;
	netsnmp_transport *t;
	netsnmp_session ss;
	struct sockaddr_in bound;
	socklen_t len = sizeof bound;

	if (!listen_parse(listen, &ep)) {
		*error = xasprintf("SNMP listen address %s: expected A.B.C.D:PORT", listen);
		return -EINVAL;
	}
	t = netsnmp_udp_transport(&ep, 1);
	if (!t) {
		*error =
		    xasprintf("SNMP listen address %s: cannot bind: %s", listen, strerror(errno));
		return -EADDRINUSE;
	}
	/* Non-blocking: a readable event whose datagram is gone (a bad
	 * checksum) must not block the loop in recvfrom(). */
	if (fcntl(t->sock, F_SETFL, fcntl(t->sock, F_GETFL) | O_NONBLOCK) < 0 ||
	    getsockname(t->sock, (struct sockaddr *)&bound, &len) < 0) {
		*error = xasprintf("SNMP listen address %s: %s", listen, strerror(errno));
		netsnmp_transport_free(t);
		return -errno;
	}
	s->port = ntohs(bound.sin_port);
	if (t->msgMaxSize && t->msgMaxSize < s->max_msg + 512)
		s->max_msg = t->msgMaxSize > 1024 ? t->msgMaxSize - 512 : 512;
	snmp_sess_init(&ss);
	ss.version = SNMP_DEFAULT_VERSION;
	ss.callback = on_message;
	ss.callback_magic = s;
	ss.isAuthoritative = SNMP_SESS_AUTHORITATIVE;
	s->sess = snmp_sess_add(&ss, t, NULL, NULL);
	if (!s->sess) {
		*error = xasprintf("SNMP listen address %s: cannot start a session", listen);
		return -ENOMEM;
	}
	s->ev = event_new(s->base, t->sock, EV_READ | EV_PERSIST, on_readable, s);
	event_add(s->ev, NULL);
	return 0;
}

struct dev_snmp *dev_snmp_create(struct event_base *base, struct ctl_state *state,
				 struct ctl_agents *agents, const char *listen,
				 const char *state_dir, const struct dev_snmp_hooks *hooks,
				 char **error)
{
	struct dev_snmp *s = xzalloc(sizeof *s);
	json_t *saved;
	int rc;

	*error = NULL;
	library_init();
	s->base = base;
	s->state = state;
	s->agents = agents;
	if (hooks)
		s->hooks = *hooks;
	s->port = -1;
	s->max_msg = MSG_SIZE_MAX;
	hmap_init(&s->cache);
	hmap_init(&s->routers);
	hmap_init(&s->sinks);
	hmap_init(&s->communities);
	if (state_dir) {
		rc = mkdir_p(state_dir, 0700);
		if (rc)
			LOG_WARN("%s: %s; SNMP state not kept", state_dir, strerror(-rc));
		else
			s->state_path = xasprintf("%s/%s", state_dir, STATE_FILE);
	}
	saved = state_load(s);
	v3_engine_init(s, json_object_get(saved, "engine"));
	json_decref(saved);
	scan(s, false);
	v3_users_sync(s);
	if (listen && server_open(s, listen, error)) {
		dev_snmp_destroy(s);
		return NULL;
	}
	if (listen)
		LOG_INFO("SNMP agent listening on udp %.*s:%d",
			 (int)(strrchr(listen, ':') - listen), listen, s->port);
	return s;
}

void dev_snmp_destroy(struct dev_snmp *s)
{
	struct dev_cache *c;
	struct router_state *rs;

	if (!s)
		return;
	v3_users_clear(s);
	if (s->ev)
		event_free(s->ev);
	if (s->sess)
		snmp_sess_close(s->sess);
	sinks_clear(s);
	HMAP_FOR_EACH_SAFE (c, node, &s->cache)
		cache_drop(s, c);
	HMAP_FOR_EACH_SAFE (rs, node, &s->routers) {
		hmap_remove(&s->routers, &rs->node);
		rstate_free(rs);
	}
	communities_clear(s);
	hmap_destroy(&s->cache);
	hmap_destroy(&s->routers);
	hmap_destroy(&s->sinks);
	hmap_destroy(&s->communities);
	json_decref(s->counters);
	json_decref(s->test_counters);
	free(s->state_path);
	free(s);
}

int dev_snmp_port(const struct dev_snmp *s)
{
	return s->port;
}

void dev_snmp_metrics_render(const struct dev_snmp *s, struct ds *out)
{
	static const char *const pdus[] = {"get", "getnext", "getbulk", "set"};

	ds_put_cstr(out, "# HELP onm_snmp_requests_total SNMP requests by PDU type.\n"
			 "# TYPE onm_snmp_requests_total counter\n");
	for (size_t i = 0; i < ARRAY_SIZE(pdus); i++)
		ds_put_format(out, "onm_snmp_requests_total{pdu=\"%s\"} %" PRIu64 "\n", pdus[i],
			      s->stats.requests[i]);
	ds_put_format(out,
		      "# HELP onm_snmp_unknown_community_total SNMP requests not answered: "
		      "unknown community or device.\n"
		      "# TYPE onm_snmp_unknown_community_total counter\n"
		      "onm_snmp_unknown_community_total %" PRIu64 "\n"
		      "# HELP onm_snmp_dropped_total SNMP messages not answered: version or "
		      "PDU type not served.\n"
		      "# TYPE onm_snmp_dropped_total counter\n"
		      "onm_snmp_dropped_total %" PRIu64 "\n"
		      "# HELP onm_snmp_sets_total SNMP set requests by result.\n"
		      "# TYPE onm_snmp_sets_total counter\n"
		      "onm_snmp_sets_total{result=\"done\"} %" PRIu64 "\n"
		      "onm_snmp_sets_total{result=\"refused\"} %" PRIu64 "\n"
		      "# HELP onm_snmp_traps_sent_total SNMP notifications sent.\n"
		      "# TYPE onm_snmp_traps_sent_total counter\n"
		      "onm_snmp_traps_sent_total %" PRIu64 "\n"
		      "# HELP onm_snmp_table_builds_total Router table snapshots built.\n"
		      "# TYPE onm_snmp_table_builds_total counter\n"
		      "onm_snmp_table_builds_total %" PRIu64 "\n",
		      s->stats.unknown_community, s->stats.dropped, s->stats.sets_done,
		      s->stats.sets_refused, s->stats.traps_sent, s->stats.table_builds);
}

/* ---- tests ---- */

void dev_snmp_set_test_counters(struct dev_snmp *s, json_t *counters)
{
	struct dev_cache *c;

	json_decref(s->test_counters);
	s->test_counters = counters;
	HMAP_FOR_EACH (c, node, &s->cache)
		c->counters_fresh = false;
}

void dev_snmp_set_test_clock(struct dev_snmp *s, uint64_t now)
{
	struct router_state *rs;

	if (!s->test_now_ms)
		HMAP_FOR_EACH (rs, node, &s->routers)
			rs->created_ms = (int64_t)now;
	s->test_now_ms = now;
}

const struct dev_snmp_stats *dev_snmp_stats(const struct dev_snmp *s)
{
	return &s->stats;
}
