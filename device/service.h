/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated devices' service in the controller: who may log in to
 * which router (a credentials snapshot for the SSH server, rebuilt on every
 * model change), one terminal per session with the command tables of the
 * user's style, the commands' handlers (ios-cmds.c) over the model, the
 * Route Manager and the agents, and the audit log.
 *
 * Each router keeps a running configuration (the model, changed at once by
 * configuration commands) and a startup configuration (what `write memory`
 * saved, or what the API last wrote): a controller restart brings back the
 * startup configuration (service-private.h says how).
 *
 * The audit log is STATE_DIR/audit.log, one JSON object per line
 * {"time", "user", "device", "source", "command", "verdict", "status"};
 * the last AUDIT_KEEP records are also kept in memory for
 * `show logging audit` and GET /v1/audit.
 *
 * Thread-safety: the controller's main loop only.
 */
#ifndef ONM_DEVICE_SERVICE_H
#define ONM_DEVICE_SERVICE_H

#include <jansson.h>

struct event_base;
struct ctl_state;
struct ctl_agents;
struct dev_service;

/* Starts serving SSH on 'ssh_listen' ("ADDR:PORT"; NULL: no SSH server, for
 * tests, which open sessions with dev_service_open_local), with the host
 * key and audit log in 'state_dir'. First puts every router changed at the
 * CLI without `write memory` back to its startup configuration (see
 * service-private.h). 'agents' may be NULL (tests: no counters). Returns
 * NULL with '*error' set. */
struct dev_service *dev_service_create(struct event_base *, struct ctl_state *,
				       struct ctl_agents *, const char *ssh_listen,
				       const char *state_dir, char **error);
void dev_service_destroy(struct dev_service *);

/* The model changed: new credentials, sessions of removed users or
 * devices end, roles and idle timeouts follow, a router the API changed
 * keeps that change as its startup configuration. */
void dev_service_model_changed(struct dev_service *);

/* The port SSH listens on (-1: no SSH server). */
int dev_service_ssh_port(const struct dev_service *);

/* A one-time SSH login to router 'device' ("T/N/R") for `onm console`,
 * valid CONSOLE_TICKET_MS: {"login", "password", "port", "expires_ms"};
 * NULL with '*error' set if there is no such router. */
#define CONSOLE_TICKET_MS 30000
json_t *dev_service_console(struct dev_service *, const char *device, char **error);

/* For the SNMP agent (device/snmp.h hooks): one audit record, as a CLI
 * command's; and a router change from a device, kept as running (not
 * startup) configuration like the CLI's. */
void dev_service_audit(struct dev_service *, const char *user, const char *device,
		       const char *source, const char *command, const char *verdict, int status);
int dev_service_router_update(struct dev_service *, const char *router_id, const json_t *router,
			      char **error);

/* The audit records (newest last), at most 'max', for the API:
 * {"items": [...]}. 'tenant' non-NULL keeps that tenant's only. */
json_t *dev_service_audit_json(const struct dev_service *, const char *tenant, size_t max);

#endif /* ONM_DEVICE_SERVICE_H */
