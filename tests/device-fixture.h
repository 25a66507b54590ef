/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A sample simulated router for the device CLI tests (engine, terminal,
 * golden transcripts, fuzzing): the IOS commands of spec.md declared as
 * data, with handlers that print fixed, representative IOS output (these
 * tests are about the engine, not the data), "ping" answering from a
 * libevent timer like the real fan-out does; a word source with three
 * interfaces; and a small screen emulator that turns the terminal's bytes
 * into the lines a user would see.
 */
#ifndef ONM_TESTS_DEVICE_FIXTURE_H
#define ONM_TESTS_DEVICE_FIXTURE_H

#include "engine.h"
#include "onm/ds.h"
#include "onm/util.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the device ---- */

#define SAMPLE_N_IFS 3

struct sample_device {
	struct event_base *base;   /* for ping's timer */
	unsigned ping_interval_ms; /* between two replies */
	int calls;		   /* handlers run */
	char last[256];		   /* dev_args_line() of the last one */
	bool shut[SAMPLE_N_IFS];   /* per interface */
	int cancels;		   /* pings aborted */
	int pings;		   /* pings running */
};

static const char *const sample_ifnames[SAMPLE_N_IFS + 1] = {
    "GigabitEthernet0/0", "GigabitEthernet0/1", "Loopback0", NULL};
static const char *const sample_ifaddrs[SAMPLE_N_IFS] = {"10.0.0.1", "10.0.1.1", "192.0.2.1"};

static inline const char *const *sample_words(void *aux, const char *placeholder)
{
	(void)aux;
	return !strcmp(placeholder, "IFNAME") ? sample_ifnames : NULL;
}

static inline int sample_ifindex(const char *name)
{
	for (int i = 0; i < SAMPLE_N_IFS; i++)
		if (name && !strcmp(name, sample_ifnames[i]))
			return i;
	return -1;
}

static inline struct sample_device *sample_record(struct dev_exec *x, const struct dev_args *a)
{
	struct sample_device *d = dev_exec_device(x);

	d->calls++;
	snprintf(d->last, sizeof d->last, "%s", dev_args_line(a));
	return d;
}

static inline int sample_show_version(struct dev_exec *x, const struct dev_args *a)
{
	sample_record(x, a);
	dev_printf(x, "Cisco IOS Software, onm Software (ONM-UNIVERSALK9-M), Version 15.9(3)M, "
		      "RELEASE SOFTWARE (fc1)\n"
		      "Technical Support: http://www.cisco.com/techsupport\n"
		      "Copyright (c) 1986-2024 by Cisco Systems, Inc.\n"
		      "\n"
		      "ROM: Bootstrap program is IOSv\n"
		      "\n"
		      "r1 uptime is 2 hours, 14 minutes\n"
		      "System returned to ROM by reload\n"
		      "System image file is \"flash0:/vios-adventerprisek9-m\"\n"
		      "\n"
		      "Cisco IOSv (revision 1.0) with 460137K/62464K bytes of memory.\n"
		      "3 Gigabit Ethernet interfaces\n"
		      "DRAM configuration is 72 bits wide with parity disabled.\n"
		      "256K bytes of non-volatile configuration memory.\n"
		      "\n"
		      "Configuration register is 0x0\n");
	return 0;
}

static inline int sample_show_running(struct dev_exec *x, const struct dev_args *a)
{
	struct sample_device *d = sample_record(x, a);

	dev_printf(x, "Building configuration...\n\n"
		      "Current configuration : 1342 bytes\n"
		      "!\n"
		      "version 15.9\n"
		      "hostname r1\n"
		      "!\n");
	for (int i = 0; i < SAMPLE_N_IFS; i++) {
		dev_printf(x, "interface %s\n", sample_ifnames[i]);
		dev_printf(x, " ip address %s 255.255.255.0\n", sample_ifaddrs[i]);
		if (d->shut[i])
			dev_printf(x, " shutdown\n");
		dev_printf(x, "!\n");
	}
	dev_printf(x, "ip route 0.0.0.0 0.0.0.0 10.0.0.254\n"
		      "ip route 192.168.0.0 255.255.0.0 10.0.1.2\n"
		      "!\n"
		      "ip access-list extended BLOCK\n"
		      " deny   tcp any any eq telnet\n"
		      " permit ip any any\n"
		      "!\n"
		      "end\n");
	return 0;
}

static inline int sample_show_ip_route(struct dev_exec *x, const struct dev_args *a)
{
	const char *prefix = dev_arg(a, "prefix");

	sample_record(x, a);
	if (prefix) {
		if (strcmp(prefix, "10.0.1.0/24")) {
			dev_printf(x, "%% Network not in table\n");
			return -1;
		}
		dev_printf(x, "Routing entry for 10.0.1.0/24\n"
			      "  Known via \"connected\", distance 0, metric 0 (connected, via "
			      "interface)\n"
			      "  Routing Descriptor Blocks:\n"
			      "  * directly connected, via GigabitEthernet0/1\n"
			      "      Route metric is 0, traffic share count is 1\n");
		return 0;
	}
	dev_printf(x, "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP\n"
		      "       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area\n"
		      "\n"
		      "Gateway of last resort is 10.0.0.254 to network 0.0.0.0\n"
		      "\n"
		      "S*    0.0.0.0/0 [1/0] via 10.0.0.254\n"
		      "      10.0.0.0/8 is variably subnetted, 4 subnets, 2 masks\n"
		      "C        10.0.0.0/24 is directly connected, GigabitEthernet0/0\n"
		      "L        10.0.0.1/32 is directly connected, GigabitEthernet0/0\n"
		      "C        10.0.1.0/24 is directly connected, GigabitEthernet0/1\n"
		      "L        10.0.1.1/32 is directly connected, GigabitEthernet0/1\n"
		      "S     192.168.0.0/16 [1/0] via 10.0.1.2\n");
	return 0;
}

static inline int sample_show_ip_int_brief(struct dev_exec *x, const struct dev_args *a)
{
	struct sample_device *d = sample_record(x, a);

	dev_printf(x, "%-22s %-15s OK? Method %-21s Protocol\n", "Interface", "IP-Address",
		   "Status");
	for (int i = 0; i < SAMPLE_N_IFS; i++)
		dev_printf(x, "%-22s %-15s YES manual %-21s %s\n", sample_ifnames[i],
			   sample_ifaddrs[i], d->shut[i] ? "administratively down" : "up",
			   d->shut[i] ? "down" : "up");
	return 0;
}

static inline int sample_show_interfaces(struct dev_exec *x, const struct dev_args *a)
{
	struct sample_device *d = sample_record(x, a);
	const char *name = dev_arg(a, "name");

	for (int i = 0; i < SAMPLE_N_IFS; i++) {
		if (name && strcmp(name, sample_ifnames[i]))
			continue;
		dev_printf(x, "%s is %s, line protocol is %s\n", sample_ifnames[i],
			   d->shut[i] ? "administratively down" : "up", d->shut[i] ? "down" : "up");
		dev_printf(x, "  Hardware is iGbE, address is 5254.0012.34%02x\n", i);
		dev_printf(x, "  Internet address is %s/24\n", sample_ifaddrs[i]);
		dev_printf(x, "  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec,\n");
		dev_printf(x, "     1204 packets input, 98312 bytes, 0 no buffer\n");
		dev_printf(x, "     1187 packets output, 96001 bytes, 0 underruns\n");
	}
	return 0;
}

static inline int sample_show_ip_arp(struct dev_exec *x, const struct dev_args *a)
{
	sample_record(x, a);
	dev_printf(x, "Protocol  Address          Age (min)  Hardware Addr   Type   Interface\n"
		      "Internet  10.0.0.1                -   5254.0012.3400  ARPA   "
		      "GigabitEthernet0/0\n"
		      "Internet  10.0.0.254             12   5254.00aa.0001  ARPA   "
		      "GigabitEthernet0/0\n"
		      "Internet  10.0.1.1                -   5254.0012.3401  ARPA   "
		      "GigabitEthernet0/1\n"
		      "Internet  10.0.1.2                3   5254.00aa.0002  ARPA   "
		      "GigabitEthernet0/1\n");
	return 0;
}

static inline int sample_show_ip_traffic(struct dev_exec *x, const struct dev_args *a)
{
	sample_record(x, a);
	dev_printf(x, "IP statistics:\n"
		      "  Rcvd:  2391 total, 2387 local destination\n"
		      "         0 format errors, 0 checksum errors, 0 bad hop count\n"
		      "  Sent:  2290 generated, 0 forwarded\n"
		      "  Drop:  4 encapsulation failed, 0 unresolved, 0 no adjacency\n");
	return 0;
}

static inline int sample_show_access_lists(struct dev_exec *x, const struct dev_args *a)
{
	sample_record(x, a);
	dev_printf(x, "Extended IP access list BLOCK\n"
		      "    10 deny tcp any any eq telnet (3 matches)\n"
		      "    20 permit ip any any (1529 matches)\n");
	return 0;
}

/* ping: the replies come one by one from a timer, as from the agents. */
struct sample_ping {
	struct dev_exec *x;
	struct sample_device *d;
	struct event *ev;
	long sent, count;
};

static inline void sample_ping_free(struct sample_ping *p)
{
	p->d->pings--;
	event_free(p->ev);
	free(p);
}

static inline void sample_ping_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sample_ping *p = arg;
	struct timeval tv = {0, (suseconds_t)p->d->ping_interval_ms * 1000};
	struct dev_exec *x = p->x;

	(void)fd;
	(void)what;
	dev_printf(x, "!");
	if (++p->sent < p->count) {
		evtimer_add(p->ev, &tv);
		return;
	}
	dev_printf(x,
		   "\nSuccess rate is 100 percent (%ld/%ld), round-trip min/avg/max = 1/1/2 ms\n",
		   p->count, p->count);
	sample_ping_free(p);
	dev_exec_done(x, 0);
}

static inline void sample_ping_cancel(void *arg)
{
	struct sample_ping *p = arg;

	p->d->cancels++;
	sample_ping_free(p);
}

static inline int sample_ping(struct dev_exec *x, const struct dev_args *a)
{
	struct sample_device *d = sample_record(x, a);
	struct sample_ping *p = calloc(1, sizeof *p);
	struct timeval tv = {0, (suseconds_t)d->ping_interval_ms * 1000};

	p->x = x;
	p->d = d;
	p->count = dev_arg_int(a, "count", 5);
	p->ev = evtimer_new(d->base, sample_ping_tick, p);
	d->pings++;
	dev_printf(x,
		   "Type escape sequence to abort.\n"
		   "Sending %ld, 100-byte ICMP Echos to %s, timeout is 2 seconds:\n",
		   p->count, dev_arg(a, "target"));
	dev_exec_on_cancel(x, sample_ping_cancel, p);
	evtimer_add(p->ev, &tv);
	return DEV_PENDING;
}

static inline int sample_configure(struct dev_exec *x, const struct dev_args *a)
{
	sample_record(x, a);
	dev_printf(x, "Enter configuration commands, one per line.  End with CNTL/Z.\n");
	dev_exec_set_mode(x, DEV_MODE_CONFIG, NULL);
	return 0;
}

static inline int sample_interface(struct dev_exec *x, const struct dev_args *a)
{
	sample_record(x, a);
	dev_exec_set_mode(x, DEV_MODE_CONFIG_IF, dev_arg(a, "name"));
	return 0;
}

static inline int sample_shutdown(struct dev_exec *x, const struct dev_args *a)
{
	struct sample_device *d = sample_record(x, a);
	int i = sample_ifindex(dev_exec_mode_arg(x));

	if (i < 0) {
		dev_printf(x, "%% No interface\n");
		return -1;
	}
	d->shut[i] = !dev_arg(a, "no");
	return 0;
}

static inline int sample_record_only(struct dev_exec *x, const struct dev_args *a)
{
	sample_record(x, a);
	return 0;
}

static inline int sample_access_list(struct dev_exec *x, const struct dev_args *a)
{
	sample_record(x, a);
	dev_exec_set_mode(x, DEV_MODE_CONFIG_ACL, dev_arg(a, "name"));
	return 0;
}

static inline int sample_clear_counters(struct dev_exec *x, const struct dev_args *a)
{
	sample_record(x, a);
	if (!dev_arg(a, "name"))
		dev_printf(x, "Clear \"show interface\" counters on all interfaces\n");
	return 0;
}

#define SAMPLE_SHOW (DEV_CMD_PIPE | DEV_CMD_NO_AUDIT)
#define SAMPLE_CONFIG DEV_MODE_BIT(DEV_MODE_CONFIG)
#define SAMPLE_IF DEV_MODE_BIT(DEV_MODE_CONFIG_IF)
#define SAMPLE_ACL DEV_MODE_BIT(DEV_MODE_CONFIG_ACL)

static const struct dev_cmd sample_cmds[] = {
    {"show version", "Show running system information\nSystem hardware and software status",
     DEV_MODES_SHOW, DEV_ROLE_VIEWER, SAMPLE_SHOW, sample_show_version},
    {"show running-config", "Show running system information\nCurrent operating configuration",
     DEV_MODES_SHOW, DEV_ROLE_VIEWER, SAMPLE_SHOW, sample_show_running},
    {"show ip route [A.B.C.D/M$prefix]",
     "Show running system information\nIP information\nIP routing table\nNetwork prefix",
     DEV_MODES_SHOW, DEV_ROLE_VIEWER, SAMPLE_SHOW, sample_show_ip_route},
    {"show ip interface brief",
     "Show running system information\nIP information\n"
     "IP interface status and configuration\nBrief summary of IP status and configuration",
     DEV_MODES_SHOW, DEV_ROLE_VIEWER, SAMPLE_SHOW, sample_show_ip_int_brief},
    {"show interfaces [IFNAME$name]",
     "Show running system information\nInterface status and configuration\nInterface name",
     DEV_MODES_SHOW, DEV_ROLE_VIEWER, SAMPLE_SHOW, sample_show_interfaces},
    {"show ip arp", "Show running system information\nIP information\nIP ARP table", DEV_MODES_SHOW,
     DEV_ROLE_VIEWER, SAMPLE_SHOW, sample_show_ip_arp},
    {"show ip traffic", "Show running system information\nIP information\nIP protocol statistics",
     DEV_MODES_SHOW, DEV_ROLE_VIEWER, SAMPLE_SHOW, sample_show_ip_traffic},
    {"show access-lists", "Show running system information\nList access lists", DEV_MODES_SHOW,
     DEV_ROLE_VIEWER, SAMPLE_SHOW, sample_show_access_lists},
    {"ping A.B.C.D$target [repeat (1-1000)$count]",
     "Send echo messages\nPing destination address\nSpecify repeat count\nRepeat count",
     DEV_MODES_SHOW, DEV_ROLE_VIEWER, SAMPLE_SHOW, sample_ping},
    {"clear counters [IFNAME$name]",
     "Reset functions\nClear counters on one or all interfaces\nInterface name",
     DEV_MODE_BIT(DEV_MODE_PRIV), DEV_ROLE_OPERATOR, 0, sample_clear_counters},
    {"configure terminal", "Enter configuration mode\nConfigure from the terminal",
     DEV_MODE_BIT(DEV_MODE_PRIV), DEV_ROLE_ADMIN, 0, sample_configure},
    {"interface IFNAME$name", "Select an interface to configure\nInterface name", SAMPLE_CONFIG,
     DEV_ROLE_ADMIN, 0, sample_interface},
    {"[no] shutdown", "Negate a command or set its defaults\nShutdown the selected interface",
     SAMPLE_IF, DEV_ROLE_OPERATOR, 0, sample_shutdown},
    {"description LINE$text", "Interface specific description\nUp to 240 characters", SAMPLE_IF,
     DEV_ROLE_ADMIN, 0, sample_record_only},
    {"ip route A.B.C.D$prefix A.B.C.D$mask A.B.C.D$nexthop",
     "Global IP configuration subcommands\nEstablish static routes\n"
     "Destination prefix\nDestination prefix mask\nForwarding router's address",
     SAMPLE_CONFIG, DEV_ROLE_ADMIN, 0, sample_record_only},
    {"ip access-list extended WORD$name",
     "Global IP configuration subcommands\nNamed access-list\nExtended Access List\n"
     "Access-list name",
     SAMPLE_CONFIG, DEV_ROLE_ADMIN, 0, sample_access_list},
    {"(permit|deny)$action (tcp|udp|icmp|ip)$proto WORD$src WORD$dst [eq (1-65535)$port]",
     "Specify packets to forward\nSpecify packets to reject\n"
     "Transmission Control Protocol\nUser Datagram Protocol\n"
     "Internet Control Message Protocol\nAny Internet Protocol\n"
     "Source address\nDestination address\nMatch only packets on a given port number\n"
     "Port number",
     SAMPLE_ACL, DEV_ROLE_ADMIN, 0, sample_record_only},
};

static inline struct dev_cmd_table *sample_table(void)
{
	char *error = NULL;
	struct dev_cmd_table *t =
	    dev_cmd_table_create(sample_cmds, sizeof sample_cmds / sizeof sample_cmds[0], &error);

	if (!t) {
		fprintf(stderr, "sample table: %s\n", error);
		abort();
	}
	return t;
}

/* ---- a screen ---- */

/* What a terminal shows: lines of text, a cursor, the bells rung. Lines
 * never wrap; '\n' also returns the carriage (output without a PTY ends
 * lines with '\n' only). */
struct screen {
	struct ds *rows;
	size_t n_rows;
	size_t row, col; /* the cursor */
	unsigned bells;
	int esc; /* 0, 1 after ESC, 2 inside "ESC [" */
	size_t csi_n;
};

static inline void screen_init(struct screen *s)
{
	memset(s, 0, sizeof *s);
	s->rows = xcalloc(1, sizeof *s->rows);
	s->n_rows = 1;
}

static inline void screen_uninit(struct screen *s)
{
	for (size_t i = 0; i < s->n_rows; i++)
		ds_destroy(&s->rows[i]);
	free(s->rows);
}

static inline void screen_put(struct screen *s, char c)
{
	struct ds *r = &s->rows[s->row];

	while (r->length < s->col)
		ds_put_char(r, ' ');
	if (r->length == s->col)
		ds_put_char(r, c);
	else
		r->string[s->col] = c;
	s->col++;
}

static inline void screen_feed(struct screen *s, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (s->esc == 1) {
			s->esc = c == '[' ? 2 : 0;
			s->csi_n = 0;
			continue;
		}
		if (s->esc == 2) {
			if (c >= '0' && c <= '9') {
				s->csi_n = s->csi_n * 10 + (c - '0');
				continue;
			}
			s->esc = 0;
			if (c == 'K' && s->rows[s->row].length > s->col) {
				s->rows[s->row].length = s->col;
				s->rows[s->row].string[s->col] = '\0';
			} else if (c == 'D') {
				size_t n = s->csi_n ? s->csi_n : 1;

				s->col = s->col > n ? s->col - n : 0;
			}
			continue;
		}
		switch (c) {
		case 0x1b:
			s->esc = 1;
			break;
		case '\r':
			s->col = 0;
			break;
		case '\n':
			s->row++;
			s->col = 0;
			if (s->row == s->n_rows) {
				s->rows = xrealloc(s->rows, (s->n_rows + 1) * sizeof *s->rows);
				ds_init(&s->rows[s->n_rows++]);
			}
			break;
		case '\b':
			if (s->col)
				s->col--;
			break;
		case '\a':
			s->bells++;
			break;
		default:
			if (c >= 0x20)
				screen_put(s, (char)c);
			break;
		}
	}
}

/* Row 'i' without its trailing blanks (a static buffer's worth). */
static inline const char *screen_row(struct screen *s, size_t i)
{
	struct ds *r = &s->rows[i];
	const char *str = ds_cstr(r);

	while (r->length && r->string[r->length - 1] == ' ')
		r->string[--r->length] = '\0';
	return str;
}

/* Rows [from, cursor row] as text, one '\n' after each. Allocated. */
static inline char *screen_text(struct screen *s, size_t from)
{
	struct ds out = DS_EMPTY_INITIALIZER;

	for (size_t i = from; i <= s->row && i < s->n_rows; i++) {
		ds_put_cstr(&out, screen_row(s, i));
		ds_put_char(&out, '\n');
	}
	return ds_steal_cstr(&out);
}

#endif /* ONM_TESTS_DEVICE_FIXTURE_H */
