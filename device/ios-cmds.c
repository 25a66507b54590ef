// SPDX-License-Identifier: Apache-2.0
/*
 * The IOS-style commands of a simulated router, declared as data (see
 * engine.h), and their handlers: each maps the command onto the substrate
 * (the model through the same validated path as the REST API, the
 * agents' counters) and prints the answer as IOS would.
 */
#include "agents.h"
#include "onm/model.h"
#include "onm/util.h"
#include "router-view.h"
#include "service-private.h"
#include "state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef ONM_VERSION
#define ONM_VERSION "0.1.0"
#endif

static struct dev_session *session(struct dev_exec *x)
{
	return dev_exec_device(x);
}

/* The session's router as a view; false (with "% ..." printed) if it is
 * gone. 'counters': sum the agents' counters (a fan-out). */
static bool view_of(struct dev_exec *x, struct router_view *v, bool counters)
{
	struct dev_session *s = session(x);
	json_t *agents = counters ? ctl_agents_counters_json(s->service->agents) : NULL;
	bool ok = router_view_build(v, dev_service_model(s->service), s->device, agents);

	json_decref(agents);
	if (!ok)
		dev_printf(x, "%% This device no longer exists\n");
	return ok;
}

/* "255.255.255.0" for a prefix length. */
static void mask_format(uint8_t len, char buf[IPV4_ADDR_STRLEN])
{
	ipv4_format(ipv4_mask(len), buf);
}

/* "1 day, 2 hours, 3 minutes" as IOS prints uptime. */
static void uptime_format(uint64_t ms, char *buf, size_t size)
{
	uint64_t min = ms / 60000, days = min / 1440, hours = min / 60 % 24;

	min %= 60;
	if (days)
		snprintf(buf, size, "%" PRIu64 " day%s, %" PRIu64 " hour%s, %" PRIu64 " minute%s",
			 days, days == 1 ? "" : "s", hours, hours == 1 ? "" : "s", min,
			 min == 1 ? "" : "s");
	else
		snprintf(buf, size, "%" PRIu64 " hour%s, %" PRIu64 " minute%s", hours,
			 hours == 1 ? "" : "s", min, min == 1 ? "" : "s");
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- show ---- */

static int show_version(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *s = session(x);
	struct router_view v;
	char up[96];

	if (!view_of(x, &v, false))
		return -1;
	uptime_format(now_ms() - s->service->started_ms, up, sizeof up);
	dev_printf(x,
		   "onm Virtual Router Software, Version " ONM_VERSION "\n"
		   "Copyright (c) the onm authors\n"
		   "\n"
		   "%s uptime is %s\n"
		   "System image file is \"onm:virtual-router\"\n"
		   "\n"
		   "onm virtual router %s of network %s (VNI %" PRIu32 ")\n"
		   "%zu virtual Ethernet interface%s\n",
		   v.router->name, up, v.router->hdr.id, v.network->name, v.network->vni,
		   v.n_ifs, v.n_ifs == 1 ? "" : "s");
	router_view_uninit(&v);
	return 0;
}

static void put_route(struct dev_exec *x, const struct rv_route *r)
{
	char p[IPV4_PREFIX_STRLEN], via[IPV4_ADDR_STRLEN];

	ipv4_prefix_format(&r->prefix, p);
	switch (r->type) {
	case RV_CONNECTED:
		dev_printf(x, "C        %s is directly connected, %s\n", p, r->ifname);
		break;
	case RV_LOCAL:
		dev_printf(x, "L        %s is directly connected, %s\n", p, r->ifname);
		break;
	case RV_STATIC:
		ipv4_format(r->via, via);
		dev_printf(x, "S        %s [1/0] via %s\n", p, via);
		break;
	}
}

static int show_ip_route(struct dev_exec *x, const struct dev_args *a)
{
	const char *prefix = dev_arg(a, "prefix"), *addr = dev_arg(a, "address");
	struct ipv4_prefix want = {0, 0};
	uint32_t ip = 0;
	struct router_view v;
	size_t shown = 0;

	if (prefix && !ipv4_prefix_parse(prefix, &want)) {
		dev_printf(x, "%% Invalid prefix %s\n", prefix);
		return -1;
	}
	if (addr && !ipv4_parse(addr, &ip)) {
		dev_printf(x, "%% Invalid address %s\n", addr);
		return -1;
	}
	if (!view_of(x, &v, false))
		return -1;
	if (!prefix && !addr)
		dev_printf(x, "Codes: L - local, C - connected, S - static\n"
			      "\n"
			      "Gateway of last resort is not set\n"
			      "\n");
	for (size_t i = 0; i < v.n_routes; i++) {
		const struct rv_route *r = &v.routes[i];

		if (prefix && (r->prefix.addr != want.addr || r->prefix.len != want.len))
			continue;
		if (addr && !ipv4_prefix_contains(&r->prefix, ip))
			continue;
		put_route(x, r);
		shown++;
	}
	if ((prefix || addr) && !shown)
		dev_printf(x, "%% Network not in table\n");
	router_view_uninit(&v);
	return 0;
}

static int show_ip_interface_brief(struct dev_exec *x, const struct dev_args *a)
{
	struct router_view v;

	if (!view_of(x, &v, false))
		return -1;
	dev_printf(x, "%-26s %-15s OK? Method Status                Protocol\n", "Interface",
		   "IP-Address");
	for (size_t i = 0; i < v.n_ifs; i++) {
		const struct rv_interface *ifc = &v.ifs[i];
		char ip[IPV4_ADDR_STRLEN];

		ipv4_format(ifc->ip, ip);
		dev_printf(x, "%-26s %-15s YES manual %-21s %s\n", ifc->name, ip,
			   !ifc->admin_up ? "administratively down" : ifc->oper_up ? "up" : "down",
			   ifc->oper_up && ifc->admin_up ? "up" : "down");
	}
	router_view_uninit(&v);
	return 0;
}

static void put_interface(struct dev_exec *x, const struct rv_interface *ifc)
{
	char ip[IPV4_ADDR_STRLEN];
	const uint8_t *m = ifc->mac.b;

	ipv4_format(ifc->ip, ip);
	dev_printf(x, "%s is %s, line protocol is %s\n", ifc->name,
		   !ifc->admin_up ? "administratively down" : ifc->oper_up ? "up" : "down",
		   ifc->admin_up && ifc->oper_up ? "up" : "down");
	dev_printf(x,
		   "  Hardware is onm virtual Ethernet, address is %02x%02x.%02x%02x.%02x%02x "
		   "(bia %02x%02x.%02x%02x.%02x%02x)\n",
		   m[0], m[1], m[2], m[3], m[4], m[5], m[0], m[1], m[2], m[3], m[4], m[5]);
	dev_printf(x, "  Internet address is %s/%u\n", ip, (unsigned int)ifc->cidr.len);
	dev_printf(x, "  MTU 1450 bytes, BW 1000000 Kbit/sec, DLY 10 usec,\n"
		      "  Encapsulation ARPA, loopback not set\n"
		      "  Last clearing of \"show interface\" counters never\n");
	dev_printf(x, "     %" PRIu64 " packets input, %" PRIu64 " bytes, 0 no buffer\n",
		   ifc->rx_packets, ifc->rx_bytes);
	dev_printf(x, "     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored\n");
	dev_printf(x, "     %" PRIu64 " packets output, %" PRIu64 " bytes, 0 underruns\n",
		   ifc->tx_packets, ifc->tx_bytes);
	dev_printf(x, "     0 output errors, %" PRIu64 " output drops\n", ifc->drops);
}

static int show_interfaces(struct dev_exec *x, const struct dev_args *a)
{
	const char *name = dev_arg(a, "name");
	struct router_view v;

	if (!view_of(x, &v, true))
		return -1;
	for (size_t i = 0; i < v.n_ifs; i++)
		if (!name || !strcmp(name, v.ifs[i].name))
			put_interface(x, &v.ifs[i]);
	router_view_uninit(&v);
	return 0;
}

/* The running configuration of the router, as IOS writes it. */
static int show_running_config(struct dev_exec *x, const struct dev_args *a)
{
	struct router_view v;
	char ip[IPV4_ADDR_STRLEN], mask[IPV4_ADDR_STRLEN], via[IPV4_ADDR_STRLEN];

	if (!view_of(x, &v, false))
		return -1;
	dev_printf(x, "Building configuration...\n\nCurrent configuration:\n!\n"
		      "version " ONM_VERSION "\n!\nhostname %s\n!\n",
		   v.router->name);
	for (size_t i = 0; i < v.n_ifs; i++) {
		const struct rv_interface *ifc = &v.ifs[i];

		ipv4_format(ifc->ip, ip);
		mask_format(ifc->cidr.len, mask);
		dev_printf(x, "interface %s\n ip address %s %s\n%s!\n", ifc->name, ip, mask,
			   ifc->admin_up ? "" : " shutdown\n");
	}
	for (size_t i = 0; i < v.router->n_routes; i++) {
		const struct static_route *r = &v.router->routes[i];

		ipv4_format(r->prefix.addr, ip);
		mask_format(r->prefix.len, mask);
		ipv4_format(r->via, via);
		dev_printf(x, "ip route %s %s %s\n", ip, mask, via);
	}
	dev_printf(x, "!\nend\n");
	router_view_uninit(&v);
	return 0;
}

static int show_users(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *self = session(x);
	uint64_t now = now_ms();

	dev_printf(x, "    Line       User       Host(s)              Idle       Location\n");
	for (struct dev_session *s = self->service->sessions; s; s = s->next) {
		uint64_t secs = (now - s->started_ms) / 1000;

		if (s->closing || strcmp(s->device, self->device))
			continue;
		dev_printf(x, "%c   vty        %-10s idle                 %02" PRIu64 ":%02" PRIu64
			      ":%02" PRIu64 "   %s\n",
			   s == self ? '*' : ' ', s->user, secs / 3600, secs / 60 % 60, secs % 60,
			   s->source);
	}
	return 0;
}

static int show_logging_audit(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *s = session(x);
	json_t *doc = dev_service_audit_json(s->service, s->tenant, AUDIT_KEEP);
	const json_t *rec;
	size_t i;

	dev_printf(x, "Audit log (%zu records):\n",
		   json_array_size(json_object_get(doc, "items")));
	json_array_foreach (json_object_get(doc, "items"), i, rec)
		dev_printf(x, "%s %s %s from %s: %s \"%s\"\n",
			   json_string_value(json_object_get(rec, "time")),
			   json_string_value(json_object_get(rec, "user")),
			   json_string_value(json_object_get(rec, "device")),
			   json_string_value(json_object_get(rec, "source")),
			   json_string_value(json_object_get(rec, "verdict")),
			   json_string_value(json_object_get(rec, "command")));
	json_decref(doc);
	return 0;
}

/* ---- configuration ---- */

static int configure_terminal(struct dev_exec *x, const struct dev_args *a)
{
	dev_printf(x, "Enter configuration commands, one per line.  End with CNTL/Z.\n");
	dev_exec_set_mode(x, DEV_MODE_CONFIG, NULL);
	return 0;
}

/* "10.9.0.0" + "255.255.0.0" -> "10.9.0.0/16"; false if the mask is not
 * contiguous or the address has host bits. */
static bool prefix_of(const char *addr, const char *mask, char *out, size_t size)
{
	uint32_t a, m;
	unsigned int len = 0;

	if (!ipv4_parse(addr, &a) || !ipv4_parse(mask, &m))
		return false;
	while (len < 32 && (m & (UINT32_C(1) << (31 - len))))
		len++;
	if (m != ipv4_mask((uint8_t)len) || (a & ~m))
		return false;
	snprintf(out, size, "%s/%u", addr, len);
	return true;
}

static int ip_route(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_session *s = session(x);
	char prefix[IPV4_PREFIX_STRLEN + 4];
	char *error = NULL;
	bool no = dev_arg(a, "no") != NULL;
	int rc;

	if (!prefix_of(dev_arg(a, "prefix"), dev_arg(a, "mask"), prefix, sizeof prefix)) {
		dev_printf(x, "%% Inconsistent address and mask\n");
		return -1;
	}
	if (no)
		rc = ctl_state_route_delete(s->service->state, s->device, prefix, &error);
	else
		rc = ctl_state_route_add(s->service->state, s->device, prefix, dev_arg(a, "via"),
					 &error);
	if (rc == -ENOENT && no) {
		dev_printf(x, "%%No matching route to delete\n");
	} else if (rc) {
		dev_printf(x, "%% %s\n", error ? error : "failed");
	}
	free(error);
	return rc ? -1 : 0;
}

static int interface_mode(struct dev_exec *x, const struct dev_args *a)
{
	dev_exec_set_mode(x, DEV_MODE_CONFIG_IF, dev_arg(a, "name"));
	return 0;
}

/* ---- the table ---- */

#define EXEC_MODES DEV_MODES_SHOW

const struct dev_cmd dev_ios_cmds[] = {
    {"show version", "Show running system information\nSystem hardware and software status",
     EXEC_MODES, DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_version},
    {"show running-config",
     "Show running system information\nCurrent operating configuration", EXEC_MODES,
     DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_running_config},
    {"show ip route [A.B.C.D/M$prefix]",
     "Show running system information\nIP information\nIP routing table\nNetwork prefix",
     EXEC_MODES, DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_ip_route},
    {"show ip route A.B.C.D$address",
     "Show running system information\nIP information\nIP routing table\nNetwork to display "
     "information about or hostname",
     EXEC_MODES, DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_ip_route},
    {"show ip interface brief",
     "Show running system information\nIP information\nIP interface status and "
     "configuration\nBrief summary of IP status and configuration",
     EXEC_MODES, DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_ip_interface_brief},
    {"show interfaces [IFNAME$name]",
     "Show running system information\nInterface status and configuration\nInterface name",
     EXEC_MODES, DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_interfaces},
    {"show users", "Show running system information\nDisplay information about terminal lines",
     EXEC_MODES, DEV_ROLE_VIEWER, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_users},
    {"show logging audit",
     "Show running system information\nShow the contents of logging buffers\nCommands run or "
     "denied on the tenant's devices",
     EXEC_MODES, DEV_ROLE_ADMIN, DEV_CMD_PIPE | DEV_CMD_NO_AUDIT, show_logging_audit},
    {"configure terminal",
     "Enter configuration mode\nConfigure from the terminal", EXEC_MODES,
     DEV_ROLE_ADMIN, 0, configure_terminal},
    {"ip route A.B.C.D$prefix A.B.C.D$mask A.B.C.D$via",
     "Global IP configuration subcommands\nEstablish static routes\nDestination prefix\n"
     "Destination prefix mask\nForwarding router's address",
     DEV_MODE_BIT(DEV_MODE_CONFIG), DEV_ROLE_ADMIN, 0, ip_route},
    {"no ip route A.B.C.D$prefix A.B.C.D$mask [A.B.C.D$via]",
     "Negate a command or set its defaults\nGlobal IP configuration subcommands\nEstablish "
     "static routes\nDestination prefix\nDestination prefix mask\nForwarding router's address",
     DEV_MODE_BIT(DEV_MODE_CONFIG), DEV_ROLE_ADMIN, 0, ip_route},
    {"interface IFNAME$name", "Select an interface to configure\nInterface name",
     DEV_MODE_BIT(DEV_MODE_CONFIG), DEV_ROLE_ADMIN, 0, interface_mode},
};
const size_t dev_ios_n_cmds = ARRAY_SIZE(dev_ios_cmds);
