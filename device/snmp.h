/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated routers' SNMP agent, embedded in the controller on its
 * event loop (docs/snmp.md). One UDP socket serves every router of every
 * tenant: a v2c (or v1) request names its router in the community,
 * "COMMUNITY@NETWORK/ROUTER" or "COMMUNITY@TENANT/NETWORK/ROUTER", where
 * COMMUNITY is the tenant's ro_community (read) or rw_community (read and
 * write), as the topology file's tenant key 'snmp' says. A request with an
 * unknown community or router gets no answer; it is counted and logged
 * (rate-limited).
 *
 * The MIBs are answered from the router view (router-view.h), the same
 * mapping of the model and the agents' counters that the CLI prints:
 * SNMPv2-MIB system group, IF-MIB ifTable/ifXTable (64-bit counters summed
 * over agents), IP-MIB ipAddrTable/ipAddressTable, IP-FORWARD-MIB
 * inetCidrRouteTable. Each router's tables are a snapshot sorted in OID
 * order, cached while the router and its network are unchanged, so that a
 * GETNEXT or each step of a GETBULK costs O(log n): a walk of a table of
 * 100,000 routes is a series of short loop turns.
 *
 * Sets: ifAdminStatus up(1)/down(2) with the rw community shuts or
 * enables the interface through the controller's validated model path (as
 * `shutdown` at the CLI); every set, allowed or refused, is audited
 * through a hook.
 *
 * Notifications: on every model change (dev_snmp_model_changed) the
 * routers' interfaces are compared with what was seen before: an interface
 * whose line goes down or up (shutdown, no shutdown, its subnet removed or
 * added; by SNMP, CLI or API) sends linkDown/linkUp, and a new router sends
 * coldStart, as SNMPv2-Trap to the tenant's trap_receivers.
 *
 * Thread-safety: none; the thread that runs the event base owns it (and
 * net-snmp's library state, which is global).
 */
#ifndef ONM_DEVICE_SNMP_H
#define ONM_DEVICE_SNMP_H

#include <jansson.h>
#include <stdint.h>

struct ctl_agents;
struct ctl_state;
struct dev_snmp;
struct ds;
struct event_base;

/* Default of 'onm-controller --snmp'. */
#define DEV_SNMP_DEFAULT_LISTEN "127.0.0.1:1161"

struct dev_snmp_hooks {
	/* A SET request for the audit log, as a CLI command is: 'user'
	 * "TENANT/snmp-rw" (or "TENANT/snmp-ro" for the read-only community),
	 * 'device' "T/N/R", 'source' "IP:PORT", 'command' what it set, e.g.
	 * "snmpset ifAdminStatus.2 (GigabitEthernet0/1) = down(2)",
	 * 'verdict' "run" or "denied", 'status' 0 when it was done, else the
	 * SNMP error-status it got. May be NULL. */
	void (*audit)(void *aux, const char *user, const char *device, const char *source,
		      const char *command, const char *verdict, int status);
	/* Commits 'router' (the canonical JSON of router 'router_id',
	 * changed) as a configuration change from the device, e.g. through
	 * the device service so that it is running, not startup,
	 * configuration. Returns 0, or a negative errno and sets '*error'
	 * (allocated). NULL: ctl_state_update(). */
	int (*router_update)(void *aux, const char *router_id, const json_t *router, char **error);
	void *aux;
};

/* Starts the agent on 'base' over the model of 'state' and the counters of
 * 'agents' (NULL: zero counters), listening on UDP 'listen' ("A.B.C.D:PORT",
 * port 0 picks a free one; NULL: no socket, for tests that call the
 * dispatcher directly). 'hooks' is copied (NULL: none). The agent keeps
 * its own state in 'state_dir' (made if missing; NULL: none kept): the
 * SNMPv3 engine ID and boot counter, and per router its creation time
 * (sysUpTime) and ifIndexes, which routers it knew keep; other routers now
 * in the model count as created now, without coldStart. Returns
 * NULL and sets '*error' (allocated) if the socket cannot be opened. */
struct dev_snmp *dev_snmp_create(struct event_base *base, struct ctl_state *state,
				 struct ctl_agents *agents, const char *listen,
				 const char *state_dir, const struct dev_snmp_hooks *hooks,
				 char **error);
/* Closes the socket and the trap sessions, frees 'snmp' (NULL is fine). */
void dev_snmp_destroy(struct dev_snmp *snmp);

/* The model changed: sends the traps the change calls for and forgets
 * removed routers. Call it from the state's change callback. */
void dev_snmp_model_changed(struct dev_snmp *snmp);

/* The UDP port listened on (-1: none). */
int dev_snmp_port(const struct dev_snmp *snmp);

/* Appends the agent's metrics in Prometheus text format:
 * onm_snmp_requests_total{pdu="get|getnext|getbulk|set"},
 * onm_snmp_unknown_community_total, onm_snmp_dropped_total (bad version or
 * PDU), onm_snmp_sets_total{result="done|refused"},
 * onm_snmp_traps_sent_total, onm_snmp_table_builds_total. */
void dev_snmp_metrics_render(const struct dev_snmp *snmp, struct ds *out);

#endif /* ONM_DEVICE_SNMP_H */
