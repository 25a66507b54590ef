/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated devices' service in the controller: who may log in to
 * which router (a credentials snapshot for the SSH server, rebuilt on every
 * model change), one terminal per session with the command tables of the
 * user's style, the commands' handlers (ios-cmds.c) over the model, the
 * Route Manager and the agents, and the audit log.
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

/* Starts serving SSH on 'ssh_listen' ("ADDR:PORT"), with the host key and
 * audit log in 'state_dir'. Returns NULL with '*error' set. */
struct dev_service *dev_service_create(struct event_base *, struct ctl_state *,
				       struct ctl_agents *, const char *ssh_listen,
				       const char *state_dir, char **error);
void dev_service_destroy(struct dev_service *);

/* The model changed: new credentials, sessions of removed users or
 * devices end. */
void dev_service_model_changed(struct dev_service *);

/* The port SSH listens on. */
int dev_service_ssh_port(const struct dev_service *);

/* A one-time SSH login to router 'device' ("T/N/R") for `onm console`,
 * valid CONSOLE_TICKET_MS: {"login", "password", "port", "expires_ms"};
 * NULL with '*error' set if there is no such router. */
#define CONSOLE_TICKET_MS 30000
json_t *dev_service_console(struct dev_service *, const char *device, char **error);

/* The audit records (newest last), at most 'max', for the API:
 * {"items": [...]}. 'tenant' non-NULL keeps that tenant's only. */
json_t *dev_service_audit_json(const struct dev_service *, const char *tenant, size_t max);

#endif /* ONM_DEVICE_SERVICE_H */
