// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's control thread (see agent.h): the view, the ports, table
 * publication, and the reports.
 */
#include "agent.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define LOG_MODULE "agent"
#include "channel-client.h"
#include "counters.h"
#include "datapath.h"
#include "onm/hmap.h"
#include "onm/log.h"
#include "onm/packet.h"
#include "port.h"
#include "probe.h"
#include "router-ping.h"
#include "tables.h"

/* Milliseconds between two attempts to free what the data plane left. */
#define RECLAIM_INTERVAL_MS 10
/* Seconds between two reports. */
#define REPORT_INTERVAL_S 1

/* A TAP device of a local instance. */
struct agent_port {
	struct hmap_node node; /* in agent->ports, by hash of 'name' */
	char name[IFNAMSIZ];   /* device name (port_name() of the instance) */
	int fd;		       /* the TAP's descriptor */
	uint64_t seen;	       /* generation of the last build that had the port */
	bool adopted;	       /* taken over from an earlier agent's keeper */
};

struct agent {
	struct event_base *base;	  /* the control thread's loop */
	char *host;			  /* our host's name */
	struct chan_client *chan;	  /* the controller */
	struct dp_counters_registry *reg; /* counters; outlives the tables */
	struct datapath *dp;		  /* the data-plane thread */
	struct port_keeper *keeper;	  /* NULL if it could not be started */
	struct probe *probe;		  /* BFD sessions over the host's links */
	struct router_ping *rp;		  /* the controller's requests: pings, arp */

	json_t *view;		   /* entries KEY -> VALUE; NULL before the first view */
	uint64_t revision;	   /* revision of 'view' */
	uint64_t applied_revision; /* revision of the published tables, 0 if none */
	bool built_once;	   /* a view was turned into tables once */

	struct hmap ports;   /* struct agent_port, by name */
	uint64_t generation; /* builds so far */
	int *dead_fds;	     /* descriptors of dead ports, closed after the next publish */
	size_t n_dead_fds;   /* entries of 'dead_fds' */
	size_t dead_fds_allocated;

	struct event *rebuild;	  /* runs a build after a batch of messages */
	struct event *reclaim;	  /* frees retired snapshots */
	struct event *report;	  /* every REPORT_INTERVAL_S */
	struct event *report_now; /* a link went up or down: report at once */
	uint64_t start_us;	  /* when the agent started, monotonic */
	bool debug_dataplane;	  /* the data plane logs every packet */
	bool leave_ports;	  /* on destroy, leave the ports to the keeper (failed start) */
};

static struct agent_port *port_find(const struct agent *a, const char *name)
{
	struct agent_port *p;
	HMAP_FOR_EACH_WITH_HASH (p, node, hash_string(name, 0), &a->ports)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

static struct agent_port *port_insert(struct agent *a, const char *name, int fd, bool adopted)
{
	struct agent_port *p = xzalloc(sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", name);
	p->fd = fd;
	p->adopted = adopted;
	hmap_insert(&a->ports, &p->node, hash_string(p->name, 0));
	return p;
}

static void keeper_failed(struct agent *a, const char *what, int rc)
{
	LOG_WARN("port keeper: %s: %s; ports will not survive an agent crash", what, strerror(-rc));
	port_keeper_detach(a->keeper);
	a->keeper = NULL;
}

/* Creates the TAP of port 'i' of 't'. Returns the agent port or NULL. */
static struct agent_port *port_create(struct agent *a, const struct dp_tables *t, uint32_t i)
{
	const char *name = dp_tables_port_name(t, i);
	int fd;
	int rc = port_tap_open(name, dp_tables_port_mac(t, i), PORT_MTU, &fd);
	if (rc) {
		LOG_WARN_RL("port %s of %s: cannot create the TAP device: %s", name,
			    dp_tables_port_instance(t, i), strerror(-rc));
		return NULL;
	}
	char mac[ETH_ADDR_STRLEN];
	eth_addr_format(dp_tables_port_mac(t, i), mac);
	LOG_INFO("port %s of %s created (MAC %s, MTU %d)", name, dp_tables_port_instance(t, i), mac,
		 PORT_MTU);
	if (a->keeper) {
		rc = port_keeper_keep(a->keeper, name, fd);
		if (rc)
			keeper_failed(a, "keep", rc);
	}
	return port_insert(a, name, fd, false);
}

/* Brings the ports in line with 't', publishes it, then closes the ports
 * it no longer has. */
static void ports_sync_and_publish(struct agent *a, struct dp_tables *t)
{
	uint64_t gen = ++a->generation;
	uint32_t n = dp_tables_n_ports(t);

	for (uint32_t i = 0; i < n; i++) {
		struct agent_port *p = port_find(a, dp_tables_port_name(t, i));
		if (p && p->adopted && !a->built_once)
			LOG_INFO("port %s of %s taken over from the previous agent", p->name,
				 dp_tables_port_instance(t, i));
		if (!p)
			p = port_create(a, t, i);
		if (!p)
			continue; /* no TAP: its frames are dropped until a later build */
		p->seen = gen;
		dp_tables_port_set_cookie(t, i, (uintptr_t)p->fd + 1);
	}

	datapath_publish(a->dp, t);

	/* Now that the data plane's snapshot no longer has them. */
	struct agent_port *p;
	HMAP_FOR_EACH_SAFE (p, node, &a->ports) {
		if (p->seen == gen)
			continue;
		LOG_INFO("port %s removed (its instance is no longer on this host)", p->name);
		if (a->keeper) {
			int rc = port_keeper_drop(a->keeper, p->name);
			if (rc)
				keeper_failed(a, "drop", rc);
		}
		datapath_close_deferred(a->dp, p->fd);
		hmap_remove(&a->ports, &p->node);
		free(p);
	}
	for (size_t i = 0; i < a->n_dead_fds; i++)
		datapath_close_deferred(a->dp, a->dead_fds[i]);
	a->n_dead_fds = 0;

	struct timeval tv = {0, RECLAIM_INTERVAL_MS * 1000};
	evtimer_add(a->reclaim, &tv);
}

static void on_rebuild(evutil_socket_t fd, short what, void *a_)
{
	struct agent *a = a_;
	struct dp_tables *t;

	if (!a->view)
		return;
	/* Links are probed whether or not the tables can be built. */
	probe_update(a->probe, a->view);
	char *err = dp_tables_build(a->view, a->reg, &t);
	if (err) {
		if (a->applied_revision)
			LOG_ERR("view revision %" PRIu64 " cannot be used: %s; forwarding on "
				"revision %" PRIu64,
				a->revision, err, a->applied_revision);
		else
			LOG_ERR("view revision %" PRIu64 " cannot be used: %s", a->revision, err);
		free(err);
		return;
	}
	if (strcmp(dp_tables_self_name(t), a->host))
		LOG_WARN("the view is for host '%s', and we are '%s'", dp_tables_self_name(t),
			 a->host);
	ports_sync_and_publish(a, t);
	a->built_once = true;
	a->applied_revision = a->revision;

	char addr[IPV4_ADDR_STRLEN];
	ipv4_format(dp_tables_self_address(t), addr);
	LOG_INFO("view revision %" PRIu64 " with %u ports, %u networks, %u instances, %u "
		 "forwarding entries (host %s id %u at %s)",
		 a->revision, dp_tables_n_ports(t), dp_tables_n_networks(t),
		 dp_tables_n_instances(t), dp_tables_n_fwd(t), dp_tables_self_name(t),
		 dp_tables_self_id(t), addr);
	chan_client_ack(a->chan, a->revision);
}

static void on_reclaim(evutil_socket_t fd, short what, void *a_)
{
	struct agent *a = a_;
	if (datapath_reclaim(a->dp)) {
		struct timeval tv = {0, RECLAIM_INTERVAL_MS * 1000};
		evtimer_add(a->reclaim, &tv);
	}
}

/* Finds ports whose device no longer exists (deleted with its namespace,
 * or removed by hand): they are made again by a rebuild. */
static void ports_check(struct agent *a)
{
	bool dead = false;
	struct agent_port *p;
	HMAP_FOR_EACH_SAFE (p, node, &a->ports) {
		struct ifreq ifr;
		memset(&ifr, 0, sizeof ifr);
		if (!ioctl(p->fd, TUNGETIFF, &ifr) || errno != EBADFD)
			continue;
		LOG_WARN("port %s: its device was destroyed; making it again", p->name);
		if (a->keeper) {
			int rc = port_keeper_drop(a->keeper, p->name);
			if (rc)
				keeper_failed(a, "drop", rc);
		}
		/* The published snapshot still names the descriptor: close it
		 * only after the rebuild has replaced that snapshot. */
		a->dead_fds = xgrow(a->dead_fds, &a->dead_fds_allocated, a->n_dead_fds + 1,
				    sizeof *a->dead_fds);
		a->dead_fds[a->n_dead_fds++] = p->fd;
		hmap_remove(&a->ports, &p->node);
		free(p);
		dead = true;
	}
	if (dead)
		event_active(a->rebuild, 0, 0);
}

static void report_send(struct agent *a)
{
	if (!chan_client_is_connected(a->chan))
		return;
	json_t *health = json_pack("{s:I, s:I, s:I}", "uptime_s",
				   (json_int_t)((time_usec() - a->start_us) / 1000000), "ports_up",
				   (json_int_t)hmap_count(&a->ports), "revision",
				   (json_int_t)a->applied_revision);
	json_t *msg = json_pack("{s:s, s:o, s:o, s:o}", "type", "report", "counters",
				dp_counters_registry_render(a->reg), "health", health, "links",
				probe_report(a->probe));
	int rc = msg ? chan_client_send(a->chan, msg) : -ENOMEM;
	if (rc && rc != -ENOTCONN)
		LOG_WARN_RL("report not sent: %s", strerror(-rc));
	json_decref(msg);
}

static void on_report(evutil_socket_t fd, short what, void *a_)
{
	struct agent *a = a_;

	ports_check(a);
	report_send(a);
}

static void on_report_now(evutil_socket_t fd, short what, void *a_)
{
	report_send(a_);
}

/* The controller reroutes around a failed link: it hears of it at once,
 * not with the next periodic report. Several changes in one pass of the
 * loop make one report. */
static void on_probe_change(void *a_, const char *link_id, enum bfd_state old_state,
			    enum bfd_state new_state)
{
	struct agent *a = a_;
	event_active(a->report_now, 0, 0);
}

/* Channel callbacks. */

static uint64_t on_chan_revision(void *a_)
{
	struct agent *a = a_;
	return a->applied_revision;
}

static int on_chan_view(void *a_, uint64_t revision, json_t *entries)
{
	struct agent *a = a_;
	json_decref(a->view);
	/* The message is dropped after this call; its entries become ours. */
	a->view = json_incref(entries);
	a->revision = revision;
	LOG_DBG("view revision %" PRIu64 ": %zu entries", revision, json_object_size(entries));
	event_active(a->rebuild, 0, 0);
	return 0;
}

static int on_chan_delta(void *a_, uint64_t revision, json_t *put, json_t *del)
{
	struct agent *a = a_;
	if (!a->view) {
		LOG_WARN("delta revision %" PRIu64 " before any view", revision);
		return -EPROTO;
	}
	const char *key;
	json_t *value;
	json_object_foreach(put, key, value) json_object_set(a->view, key, value);
	size_t i;
	json_array_foreach(del, i, value) json_object_del(a->view, json_string_value(value));
	LOG_DBG("delta revision %" PRIu64 ": %zu put, %zu deleted", revision, json_object_size(put),
		json_array_size(del));
	a->revision = revision;
	event_active(a->rebuild, 0, 0);
	return 0;
}

static void on_chan_disconnected(void *a_)
{
	struct agent *a = a_;
	/* The controller failed what it asked; ids start over. */
	router_ping_reset(a->rp);
	if (a->applied_revision)
		LOG_INFO("forwarding on view revision %" PRIu64 " while the controller is away",
			 a->applied_revision);
}

static void on_chan_request(void *a_, const json_t *msg)
{
	struct agent *a = a_;
	router_ping_request(a->rp, msg, a->view);
}

static void send_response(void *a_, const json_t *response)
{
	struct agent *a = a_;
	int rc = chan_client_send(a->chan, response);
	if (rc && rc != -ENOTCONN)
		LOG_WARN_RL("response not sent: %s", strerror(-rc));
}

static const struct chan_client_ops chan_ops = {
    .revision = on_chan_revision,
    .disconnected = on_chan_disconnected,
    .view = on_chan_view,
    .delta = on_chan_delta,
    .request = on_chan_request,
};

int agent_create(struct event_base *base, const struct agent_options *opt, struct agent **ap,
		 char **error)
{
	struct agent *a = xzalloc(sizeof *a);
	int rc;

	*ap = NULL;
	*error = NULL;
	a->base = base;
	a->host = xstrdup(opt->host);
	a->start_us = time_usec();
	hmap_init(&a->ports);
	if (!chan_client_address_is_valid(opt->controller, error)) {
		rc = -EINVAL;
		goto err;
	}

	/* Before any thread: the keeper is forked. */
	struct port_kept *kept;
	size_t n_kept;
	/* An agent of this host that is still on its way out may hold the
	 * keeper for a moment: wait up to a second for it. */
	for (int attempt = 0;; attempt++) {
		rc = port_keeper_start(opt->host, &a->keeper, &kept, &n_kept);
		if (rc != -EBUSY || attempt == 10)
			break;
		usleep(100 * 1000);
	}
	if (rc == -EBUSY) {
		*error = xasprintf("another onm-agent of host '%s' runs in this network namespace",
				   opt->host);
		goto err;
	}
	if (rc) {
		LOG_WARN("cannot start the port keeper: %s; ports will not survive an agent "
			 "crash",
			 strerror(-rc));
	} else {
		for (size_t i = 0; i < n_kept; i++) {
			if (port_find(a, kept[i].name))
				close(kept[i].fd);
			else
				port_insert(a, kept[i].name, kept[i].fd, true);
		}
		if (n_kept)
			LOG_INFO("%zu ports kept by the previous agent of host %s are ours again",
				 n_kept, opt->host);
		free(kept);
	}

	a->reg = dp_counters_registry_create();
	rc = datapath_create(a->reg, opt->underlay_port ? opt->underlay_port : VXLAN_PORT, &a->dp,
			     error);
	if (rc)
		goto err;
	a->debug_dataplane = opt->debug_dataplane;
	datapath_set_debug(a->dp, opt->debug_dataplane);

	a->rebuild = event_new(base, -1, 0, on_rebuild, a);
	a->reclaim = evtimer_new(base, on_reclaim, a);
	a->report = event_new(base, -1, EV_PERSIST, on_report, a);
	a->report_now = event_new(base, -1, 0, on_report_now, a);
	if (!a->rebuild || !a->reclaim || !a->report || !a->report_now)
		onm_abort("cannot create events");
	struct timeval tv = {REPORT_INTERVAL_S, 0};
	event_add(a->report, &tv);
	a->probe = probe_create(base, 0, on_probe_change, a);
	a->rp = router_ping_create(base, a->dp, send_response, a);

	rc = chan_client_create(base, opt->controller, opt->host, &chan_ops, a, &a->chan, error);
	if (rc)
		goto err;
	*ap = a;
	return 0;

err:
	/* Ports adopted from a keeper stay with it for the next attempt. */
	a->leave_ports = true;
	agent_destroy(a);
	return rc;
}

void agent_destroy(struct agent *a)
{
	if (!a)
		return;
	chan_client_destroy(a->chan);
	router_ping_destroy(a->rp);
	probe_destroy(a->probe);
	/* The data plane first: after this nothing uses a descriptor. */
	datapath_destroy(a->dp);
	for (size_t i = 0; i < a->n_dead_fds; i++)
		close(a->dead_fds[i]);
	free(a->dead_fds);
	size_t n_ports = hmap_count(&a->ports);
	struct agent_port *p;
	HMAP_FOR_EACH_SAFE (p, node, &a->ports) {
		close(p->fd);
		hmap_remove(&a->ports, &p->node);
		free(p);
	}
	hmap_destroy(&a->ports);
	/* The keeper closes its copies: the TAP devices go away. */
	if (a->leave_ports)
		port_keeper_detach(a->keeper);
	else
		port_keeper_stop(a->keeper);
	if (n_ports)
		LOG_INFO("%zu ports closed", n_ports);
	if (a->rebuild)
		event_free(a->rebuild);
	if (a->reclaim)
		event_free(a->reclaim);
	if (a->report)
		event_free(a->report);
	if (a->report_now)
		event_free(a->report_now);
	dp_counters_registry_destroy(a->reg);
	json_decref(a->view);
	free(a->host);
	free(a);
}

void agent_set_debug_dataplane(struct agent *a, bool on)
{
	a->debug_dataplane = on;
	datapath_set_debug(a->dp, on);
	LOG_INFO("data-plane debugging %s", on ? "on" : "off");
}

bool agent_debug_dataplane(const struct agent *a)
{
	return a->debug_dataplane;
}
