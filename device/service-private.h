/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the device service (service.c) shares with its command handlers
 * (ios-cmds.c): the service and one session.
 */
#ifndef ONM_DEVICE_SERVICE_PRIVATE_H
#define ONM_DEVICE_SERVICE_PRIVATE_H

#include "engine.h"
#include "service.h"
#include "term.h"

#include <jansson.h>
#include <stdint.h>

struct model;
struct dev_ssh_server;
struct dev_ssh_session;

struct dev_session {
	struct dev_session *next;
	struct dev_service *service;
	struct dev_ssh_session *ssh; /* NULL once closed */
	struct dev_term *term;
	char *tenant, *user;	     /* the account */
	char *device;		     /* router id "T/N/R" */
	char *source;		     /* client "IP:PORT" */
	enum dev_role role;
	uint64_t started_ms;	     /* wall clock */
	const char **words;	     /* the last dev_words_fn answer */
	bool exec;		     /* an exec request: ends when its command does */
	bool closing;		     /* closed by the terminal: destroyed soon */
};

struct dev_service {
	struct event_base *base;
	struct ctl_state *state;
	struct ctl_agents *agents;
	struct dev_ssh_server *ssh;
	struct dev_cmd_table *ios; /* IOS-style commands */
	struct dev_session *sessions;
	struct event *reap; /* destroys closed sessions outside their callbacks */
	struct console_ticket {
		char *tenant, *network, *router;
		char *secret;	    /* hex; one use */
		int64_t expires_ms; /* wall clock */
	} *tickets;
	size_t n_tickets;
	char *audit_path;
	json_t *audit; /* array of the last AUDIT_KEEP records */
	uint64_t started_ms;
};

#define AUDIT_KEEP 1000

/* The IOS-style command declarations (ios-cmds.c). */
extern const struct dev_cmd dev_ios_cmds[];
extern const size_t dev_ios_n_cmds;

const struct model *dev_service_model(const struct dev_service *);

#endif /* ONM_DEVICE_SERVICE_PRIVATE_H */
