/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the device service (service.c) shares with its command handlers
 * (ios-cmds.c, junos-cmds.c) and tests: the service, one session, and the
 * one path every configuration command takes into the model.
 *
 * Configuration changes: a handler takes the router's canonical JSON
 * (dev_router_json), changes it and hands it to dev_session_router_update,
 * which goes through the controller's validated path (ctl_state_update)
 * exactly as PUT /v1/routers/ID does, after keeping the router's startup
 * configuration (see "Running and startup configuration" below). User
 * settings (aliases, exec-timeout) change the tenant object the same way.
 *
 * Running and startup configuration: the first CLI change of a router
 * since its last `write memory` (or since the API last wrote it) stores
 * the router's JSON from before the change under STARTUP_PREFIX + id, a
 * key outside the model's. `write memory` deletes the record; a change of
 * the router by anyone else (REST, `onm apply`) deletes it too; at start
 * the service puts every recorded router back to its startup JSON. So a
 * controller restart without `write memory` restores what was saved.
 */
#ifndef ONM_DEVICE_SERVICE_PRIVATE_H
#define ONM_DEVICE_SERVICE_PRIVATE_H

#include "engine.h"
#include "onm/model.h"
#include "service.h"
#include "term.h"

#include <jansson.h>
#include <stdint.h>

struct model;
struct dev_ssh_server;
struct dev_ssh_session;
struct pw_check;
struct pw_checker;
struct router_view;
struct rv_interface;

#define STARTUP_PREFIX "/onm-devices/startup/"
#define CLEARED_PREFIX "/onm-devices/cleared/"

/* A session's transport when it is not SSH (tests). */
struct dev_session_io {
	void (*write)(void *aux, const char *buf, size_t len);
	void (*close)(void *aux, int exit_status);
	void *aux;
};

struct dev_session {
	struct dev_session *next;
	struct dev_service *service;
	struct dev_ssh_session *ssh; /* NULL once closed, or for a local session */
	struct dev_session_io local; /* a local session's transport (write NULL: none) */
	struct dev_term *term;
	char *tenant, *user;	     /* the account */
	char *device;		     /* router id "T/N/R" */
	char *source;		     /* client "IP:PORT" */
	enum dev_role role;
	enum user_style style;	     /* the user's at login: which table the session has */
	bool console;		     /* `onm console` (a ticket): no user in the model */
	unsigned exec_timeout_s;     /* as last given to the terminal */
	uint64_t started_ms;	     /* wall clock */
	uint64_t active_ms;	     /* wall clock of the last input */
	int vty;		     /* its line "vty N" (the lowest free at login), -1: console */
	const char **words;	     /* the last dev_words_fn answer */
	char **junos_names;	     /* JunOS interface names behind 'words' */
	size_t n_junos_names;
	json_t *candidate;	     /* JunOS: the candidate configuration (router JSON), or NULL */
	struct pw_check *check;	     /* a re-login's password being checked, or NULL */
	char *candidate_base;	     /* the running configuration it was made from (JSON text) */
	bool exec;		     /* an exec request: ends when its command does */
	bool closing;		     /* closed by the terminal: destroyed soon */
};

struct dev_service {
	struct event_base *base;
	struct ctl_state *state;
	struct ctl_agents *agents;
	struct dev_ssh_server *ssh; /* NULL: no SSH server (tests) */
	struct pw_checker *checker; /* re-logins' password checks */
	struct dev_cmd_table *ios;  /* IOS-style commands */
	struct dev_cmd_table *junos; /* JunOS-style commands */
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
	json_t *startup;      /* router id -> startup JSON text, as under STARTUP_PREFIX */
	json_t *cli_running;  /* router id -> its canonical JSON after the CLI's last change */
	json_t *cleared;      /* router id -> cleared counters, as under CLEARED_PREFIX */
	const char *updating; /* the router id the CLI is committing, or NULL */
	/* Tests: fixed answers instead of the agents' counters and the clock. */
	json_t *test_counters; /* [{"host", "counters"}], or NULL */
	uint64_t test_now_ms;  /* wall clock, 0: the real one */
};

#define AUDIT_KEEP 1000

/* The command declarations of the two styles. */
extern const struct dev_cmd dev_ios_cmds[];
extern const size_t dev_ios_n_cmds;
extern const struct dev_cmd dev_junos_cmds[];
extern const size_t dev_junos_n_cmds;

const struct model *dev_service_model(const struct dev_service *);
/* Wall clock in ms (the test clock when set). */
uint64_t dev_service_now_ms(const struct dev_service *);
/* The agents' last counters for summing (router_view_build), or NULL. New
 * reference. */
json_t *dev_service_counters(const struct dev_service *);

/* The session's model user, or NULL (gone, or a console session). */
const struct user *dev_session_user(const struct dev_session *);

/* ---- configuration ---- */

/* The router's canonical JSON (a new object), or NULL if it is gone. */
json_t *dev_router_json(const struct dev_service *, const char *router_id);
/* Commits 'router' (its canonical JSON, changed) as the configuration of
 * 'router_id' through ctl_state_update, recording the startup
 * configuration first. Returns 0 or a negative errno with '*error' set. */
int dev_router_update(struct dev_service *, const char *router_id, const json_t *router,
		      char **error);
/* dev_router_update for the session's router, printing "% ERROR" on
 * failure; returns 0 or -1 (a handler's status). */
int dev_session_router_update(struct dev_exec *, const json_t *router);
/* The router's startup configuration (a new object): the record, or the
 * running configuration when there is none; NULL if the router is gone. */
json_t *dev_router_startup_json(const struct dev_service *, const char *router_id);
/* `write memory`: the running configuration becomes the startup one. */
int dev_router_write_memory(struct dev_service *, const char *router_id, char **error);

/* The session's user in its tenant's canonical JSON: calls 'edit' with
 * the user's object inside a copy of the tenant, then commits the tenant
 * (printing "% ERROR" on failure). 'edit' returns 0 or prints and returns
 * -1. A console session has no user: "% ..." and -1. */
int dev_session_user_update(struct dev_exec *, int (*edit)(struct dev_exec *, json_t *user,
							   void *aux),
			    void *aux);

/* ---- sessions ---- */

/* The session on the same device as 'self' on line 'vty' (-1: the
 * console), or NULL. */
struct dev_session *dev_session_on_line(const struct dev_session *self, int vty);
/* Ends 'victim' as if its client had gone (`clear line`). */
void dev_session_clear(struct dev_session *victim);

/* ---- cleared counters (cleared.c) ---- */

/* `clear counters`: remembers the counters of interface 'ifname' of
 * 'router_id' (NULL: of every interface), as view 'v' has them, and when;
 * in the store too, since the agents' counters outlive a controller
 * restart. Returns 0, or a negative errno with '*error' set. */
int dev_counters_clear(struct dev_service *, const char *router_id, const struct router_view *v,
		       const char *ifname, char **error);
/* Makes the counters of 'ifc' (of 'router_id') count from its last
 * clearing; returns when that was (wall clock ms), 0 if never. */
uint64_t dev_counters_since_clear(const struct dev_service *, const char *router_id,
				  struct rv_interface *ifc);
/* At start: what the store has. */
void dev_counters_restore(struct dev_service *);
/* After a model change: forgets the routers that are gone. */
void dev_counters_prune(struct dev_service *);

/* ---- JunOS names (junos-cmds.c) ---- */

/* The JunOS-style name of interface 'i' of 'r' (allocated): GigabitEthernetA/B
 * -> ge-0/A/B, GigabitEthernetA/B/C -> ge-A/B/C, likewise FastEthernet (fe),
 * TenGigabitEthernet (xe), Ethernet (et); LoopbackN -> loN; any other name,
 * or one whose JunOS form another interface of 'r' already has or is, as
 * it is. So the mapping is one-to-one per router. */
char *dev_junos_ifname(const struct router *r, size_t i);
/* The index of the interface of 'r' whose JunOS name is 'name', or -1. */
int dev_junos_ifindex(const struct router *r, const char *name);

/* ---- local sessions (tests) ---- */

struct dev_local_login {
	const char *tenant, *user;
	const char *device; /* "T/N/R" */
	const char *source;
	bool interactive;
	unsigned cols, rows;
	const char *exec; /* a command: an exec session; NULL: a shell */
};

/* Opens a session as SSH would after authentication, its bytes going to
 * 'io'. The role and settings are the model user's (admin for user
 * "console", as `onm console`). Returns NULL (nothing opened) if the
 * device or the user does not exist. The service owns the session; it is
 * freed once closed (the next loop turn) or with the service. */
struct dev_session *dev_service_open_local(struct dev_service *, const struct dev_local_login *,
					   const struct dev_session_io *io);
/* Bytes typed into a local session. */
void dev_session_input(struct dev_session *, const char *buf, size_t len);
/* The client of a local session went away (as an SSH client closing the
 * connection): the session is freed, 'io' is not called again. */
void dev_session_gone(struct dev_session *);

#endif /* ONM_DEVICE_SERVICE_PRIVATE_H */
