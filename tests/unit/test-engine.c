// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the device command engine (device/engine.c) on the sample
 * router of tests/device-fixture.h: abbreviations, exact-beats-prefix,
 * ambiguity, caret offsets, incomplete lines, arguments (canonical
 * interface names, groups, ranges), "?" help text as IOS prints it, Tab
 * completion, commands hidden above the session's role, config sub-modes
 * falling back to their parent, and declaration errors. On many random
 * lines the engine is checked against a naive reference that expands
 * every syntax string into all its plain token sequences and matches them
 * one by one; random bytes must never crash it.
 */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "../device-fixture.h"
#include "engine.h"
#include "onm/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct dev_cmd_table *table;

static int setup(void **state)
{
	(void)state;
	table = sample_table();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dev_cmd_table_destroy(table);
	return 0;
}

/* Matches 'line' in 'mode'; the caller checks and uninits 'm'. */
static void match(enum dev_mode mode, const char *line, struct dev_match *m)
{
	dev_cmd_match(table, mode, line, sample_words, NULL, m);
}

/* 'line' must match the command whose syntax is 'syntax', in 'in_mode',
 * with 'full' as its canonical line. */
static void expect_ok(enum dev_mode mode, const char *line, const char *syntax, const char *full,
		      enum dev_mode in_mode)
{
	struct dev_match m;

	match(mode, line, &m);
	if (m.result != DEV_MATCH_OK)
		fail_msg("\"%s\": result %d offset %zu", line, m.result, m.error_offset);
	assert_string_equal(m.cmd->syntax, syntax);
	assert_string_equal(dev_args_line(m.args), full);
	assert_int_equal(m.mode, in_mode);
	dev_match_uninit(&m);
}

static void expect_result(enum dev_mode mode, const char *line, enum dev_match_result r,
			  size_t offset)
{
	struct dev_match m;

	match(mode, line, &m);
	if (m.result != r || (r == DEV_MATCH_INVALID && m.error_offset != offset))
		fail_msg("\"%s\": result %d offset %zu, expected %d offset %zu", line, m.result,
			 m.error_offset, r, offset);
	assert_null(m.args);
	dev_match_uninit(&m);
}

static void test_abbreviations(void **state)
{
	(void)state;
	expect_ok(DEV_MODE_PRIV, "show ip route", "show ip route [A.B.C.D/M$prefix]",
		  "show ip route", DEV_MODE_PRIV);
	expect_ok(DEV_MODE_PRIV, "sh ip ro", "show ip route [A.B.C.D/M$prefix]", "show ip route",
		  DEV_MODE_PRIV);
	expect_ok(DEV_MODE_EXEC, "  sh   ip  ro  ", "show ip route [A.B.C.D/M$prefix]",
		  "show ip route", DEV_MODE_EXEC);
	expect_ok(DEV_MODE_PRIV, "sh ip int br", "show ip interface brief",
		  "show ip interface brief", DEV_MODE_PRIV);
	expect_ok(DEV_MODE_PRIV, "SH VER", "show version", "show version", DEV_MODE_PRIV);
	expect_ok(DEV_MODE_PRIV, "sh run", "show running-config", "show running-config",
		  DEV_MODE_PRIV);
	expect_ok(DEV_MODE_PRIV, "sh ip ro 10.0.1.0/24", "show ip route [A.B.C.D/M$prefix]",
		  "show ip route 10.0.1.0/24", DEV_MODE_PRIV);
	expect_ok(DEV_MODE_PRIV, "sh int gi0/1", "show interfaces [IFNAME$name]",
		  "show interfaces GigabitEthernet0/1", DEV_MODE_PRIV);
	expect_ok(DEV_MODE_PRIV, "sh int GIGABITETHERNET0/0", "show interfaces [IFNAME$name]",
		  "show interfaces GigabitEthernet0/0", DEV_MODE_PRIV);
	expect_ok(DEV_MODE_PRIV, "sh int lo0", "show interfaces [IFNAME$name]",
		  "show interfaces Loopback0", DEV_MODE_PRIV);
	expect_ok(DEV_MODE_PRIV, "conf t", "configure terminal", "configure terminal",
		  DEV_MODE_PRIV);
	expect_ok(DEV_MODE_PRIV, "ping 10.0.0.2 rep 3",
		  "ping A.B.C.D$target [repeat (1-1000)$count]", "ping 10.0.0.2 repeat 3",
		  DEV_MODE_PRIV);
	expect_ok(DEV_MODE_CONFIG, "int g0/0", "interface IFNAME$name",
		  "interface GigabitEthernet0/0", DEV_MODE_CONFIG);
	expect_ok(DEV_MODE_CONFIG_IF, "no shut", "[no] shutdown", "no shutdown",
		  DEV_MODE_CONFIG_IF);
	expect_ok(DEV_MODE_CONFIG_IF, "shut", "[no] shutdown", "shutdown", DEV_MODE_CONFIG_IF);
	/* Comments and blank lines. */
	expect_result(DEV_MODE_PRIV, "", DEV_MATCH_EMPTY, 0);
	expect_result(DEV_MODE_PRIV, "   \t ", DEV_MATCH_EMPTY, 0);
	expect_result(DEV_MODE_CONFIG, " ! a comment", DEV_MATCH_EMPTY, 0);
}

static void test_args(void **state)
{
	struct dev_match m;

	(void)state;
	match(DEV_MODE_CONFIG_ACL, "permit tcp any host eq 80", &m);
	assert_int_equal(m.result, DEV_MATCH_OK);
	assert_string_equal(dev_arg(m.args, "action"), "permit");
	assert_string_equal(dev_arg(m.args, "permit"), "permit");
	assert_null(dev_arg(m.args, "deny"));
	assert_string_equal(dev_arg(m.args, "proto"), "tcp");
	assert_string_equal(dev_arg(m.args, "src"), "any");
	assert_string_equal(dev_arg(m.args, "dst"), "host");
	assert_string_equal(dev_arg(m.args, "eq"), "eq");
	assert_int_equal(dev_arg_int(m.args, "port", -1), 80);
	assert_int_equal(dev_arg_int(m.args, "nothing", -7), -7);
	assert_string_equal(dev_args_line(m.args), "permit tcp any host eq 80");
	dev_match_uninit(&m);

	/* A $name wins over a keyword of the same text. */
	match(DEV_MODE_PRIV, "term len 7", &m);
	assert_int_equal(m.result, DEV_MATCH_OK);
	assert_string_equal(dev_arg(m.args, "length"), "length");
	assert_int_equal(dev_arg_int(m.args, "lines", 0), 7);
	dev_match_uninit(&m);

	match(DEV_MODE_CONFIG_ACL, "de ic 10.0.0.0/8 any", &m);
	assert_int_equal(m.result, DEV_MATCH_OK);
	assert_string_equal(dev_arg(m.args, "action"), "deny");
	assert_string_equal(dev_arg(m.args, "proto"), "icmp");
	assert_null(dev_arg(m.args, "port"));
	assert_int_equal(dev_arg_int(m.args, "port", 0), 0);
	assert_string_equal(dev_args_line(m.args), "deny icmp 10.0.0.0/8 any");
	dev_match_uninit(&m);

	match(DEV_MODE_CONFIG_IF, "descr  uplink to  core   ", &m);
	assert_int_equal(m.result, DEV_MATCH_OK);
	assert_string_equal(dev_arg(m.args, "text"), "uplink to  core");
	assert_string_equal(dev_args_line(m.args), "description uplink to  core");
	dev_match_uninit(&m);

	match(DEV_MODE_PRIV, "ping 10.0.0.2 repeat 1000", &m);
	assert_int_equal(m.result, DEV_MATCH_OK);
	assert_string_equal(dev_arg(m.args, "target"), "10.0.0.2");
	assert_int_equal(dev_arg_int(m.args, "count", 5), 1000);
	dev_match_uninit(&m);

	match(DEV_MODE_PRIV, "show interfaces", &m);
	assert_int_equal(m.result, DEV_MATCH_OK);
	assert_null(dev_arg(m.args, "name"));
	dev_match_uninit(&m);
}

static void test_ambiguous(void **state)
{
	(void)state;
	/* show interfaces / show ip */
	expect_result(DEV_MODE_PRIV, "sh i", DEV_MATCH_AMBIGUOUS, 0);
	expect_result(DEV_MODE_PRIV, "sh i route", DEV_MATCH_AMBIGUOUS, 0);
	/* show / (nothing else starts with "s" but show): fine; "e" in EXEC is
	 * enable or exit. */
	expect_result(DEV_MODE_EXEC, "e", DEV_MATCH_AMBIGUOUS, 0);
	expect_ok(DEV_MODE_EXEC, "en", "enable", "enable", DEV_MODE_EXEC);
	/* "ex" in EXEC is exit only. */
	expect_ok(DEV_MODE_EXEC, "ex", "exit", "exit", DEV_MODE_EXEC);
	/* Two interfaces match "gi": not an abbreviation of either. */
	expect_result(DEV_MODE_PRIV, "show interfaces gi", DEV_MATCH_INVALID, 16);
}

static void test_invalid(void **state)
{
	(void)state;
	expect_result(DEV_MODE_PRIV, "show ip rout x", DEV_MATCH_INVALID, 13);
	expect_result(DEV_MODE_PRIV, "show foo", DEV_MATCH_INVALID, 5);
	expect_result(DEV_MODE_PRIV, "xyz", DEV_MATCH_INVALID, 0);
	expect_result(DEV_MODE_PRIV, "  xyz", DEV_MATCH_INVALID, 2);
	expect_result(DEV_MODE_PRIV, "show version detail", DEV_MATCH_INVALID, 13);
	expect_result(DEV_MODE_PRIV, "ping 1.2.3", DEV_MATCH_INVALID, 5);
	expect_result(DEV_MODE_PRIV, "ping 1.2.3.256", DEV_MATCH_INVALID, 5);
	expect_result(DEV_MODE_PRIV, "ping 1.2.3.4 repeat 0", DEV_MATCH_INVALID, 20);
	expect_result(DEV_MODE_PRIV, "ping 1.2.3.4 repeat 1001", DEV_MATCH_INVALID, 20);
	expect_result(DEV_MODE_PRIV, "ping 1.2.3.4 repeat 10x", DEV_MATCH_INVALID, 20);
	expect_result(DEV_MODE_PRIV, "show ip route 10.0.0.0/33", DEV_MATCH_INVALID, 14);
	expect_result(DEV_MODE_PRIV, "show ip route 10.0.0.0", DEV_MATCH_INVALID, 14);
	expect_result(DEV_MODE_PRIV, "show interfaces gi0/2", DEV_MATCH_INVALID, 16);
	expect_result(DEV_MODE_PRIV, "show interfaces 0/1", DEV_MATCH_INVALID, 16);
	/* Not offered in this mode. */
	expect_result(DEV_MODE_EXEC, "configure terminal", DEV_MATCH_INVALID, 0);
	expect_result(DEV_MODE_CONFIG, "shutdown", DEV_MATCH_INVALID, 0);
	/* Control characters are no WORD. */
	expect_result(DEV_MODE_CONFIG_ACL, "permit ip a\x01 any", DEV_MATCH_INVALID, 10);
}

static void test_incomplete(void **state)
{
	(void)state;
	expect_result(DEV_MODE_PRIV, "show", DEV_MATCH_INCOMPLETE, 0);
	expect_result(DEV_MODE_PRIV, "show ip", DEV_MATCH_INCOMPLETE, 0);
	expect_result(DEV_MODE_PRIV, "sh ip int", DEV_MATCH_INCOMPLETE, 0);
	expect_result(DEV_MODE_PRIV, "ping", DEV_MATCH_INCOMPLETE, 0);
	expect_result(DEV_MODE_PRIV, "ping 10.0.0.1 repeat", DEV_MATCH_INCOMPLETE, 0);
	expect_result(DEV_MODE_CONFIG, "ip route 10.0.0.0 255.0.0.0", DEV_MATCH_INCOMPLETE, 0);
	expect_result(DEV_MODE_CONFIG_ACL, "permit tcp any any eq", DEV_MATCH_INCOMPLETE, 0);
	expect_result(DEV_MODE_CONFIG_IF, "no", DEV_MATCH_INCOMPLETE, 0);
}

/* An exact keyword beats a longer one it is a prefix of; a keyword (even
 * a prefix of one) beats a WORD at the same place. */
static int noop(struct dev_exec *x, const struct dev_args *a)
{
	(void)x;
	(void)a;
	return 0;
}

static void test_exact_beats_prefix(void **state)
{
	static const struct dev_cmd cmds[] = {
	    {"show ip", "Show\nIPv4", DEV_MODES_SHOW, DEV_ROLE_VIEWER, 0, noop},
	    {"show ipv6", "Show\nIPv6", DEV_MODES_SHOW, DEV_ROLE_VIEWER, 0, noop},
	    {"set WORD$x", "Set\nAny word", DEV_MODES_SHOW, DEV_ROLE_VIEWER, 0, noop},
	    {"set bar", "Set\nBar", DEV_MODES_SHOW, DEV_ROLE_VIEWER, 0, noop},
	};
	char *error;
	struct dev_cmd_table *t = dev_cmd_table_create(cmds, ARRAY_SIZE(cmds), &error);
	struct dev_match m;

	(void)state;
	assert_non_null(t);
	dev_cmd_match(t, DEV_MODE_PRIV, "show ip", NULL, NULL, &m);
	assert_int_equal(m.result, DEV_MATCH_OK);
	assert_ptr_equal(m.cmd, &cmds[0]);
	dev_match_uninit(&m);
	dev_cmd_match(t, DEV_MODE_PRIV, "show ipv", NULL, NULL, &m);
	assert_int_equal(m.result, DEV_MATCH_OK);
	assert_ptr_equal(m.cmd, &cmds[1]);
	dev_match_uninit(&m);
	dev_cmd_match(t, DEV_MODE_PRIV, "show i", NULL, NULL, &m);
	assert_int_equal(m.result, DEV_MATCH_AMBIGUOUS);
	dev_match_uninit(&m);
	dev_cmd_match(t, DEV_MODE_PRIV, "set ba", NULL, NULL, &m);
	assert_int_equal(m.result, DEV_MATCH_OK);
	assert_ptr_equal(m.cmd, &cmds[3]);
	dev_match_uninit(&m);
	dev_cmd_match(t, DEV_MODE_PRIV, "set baz", NULL, NULL, &m);
	assert_int_equal(m.result, DEV_MATCH_OK);
	assert_ptr_equal(m.cmd, &cmds[2]);
	assert_string_equal(dev_arg(m.args, "x"), "baz");
	dev_match_uninit(&m);
	/* Completion: "show ip" is whole, so Tab adds the space. */
	char *c = dev_cmd_complete(t, DEV_MODE_PRIV, DEV_ROLE_VIEWER, "show ip", NULL, NULL);
	assert_string_equal(c, " ");
	free(c);
	dev_cmd_table_destroy(t);
}

static void test_parent_fallback(void **state)
{
	(void)state;
	/* config-if -> config: "ip route" is a global command. */
	expect_ok(DEV_MODE_CONFIG_IF, "ip route 10.9.0.0 255.255.0.0 10.0.0.2",
		  "ip route A.B.C.D$prefix A.B.C.D$mask A.B.C.D$nexthop",
		  "ip route 10.9.0.0 255.255.0.0 10.0.0.2", DEV_MODE_CONFIG);
	expect_ok(DEV_MODE_CONFIG_IF, "int lo0", "interface IFNAME$name", "interface Loopback0",
		  DEV_MODE_CONFIG);
	expect_ok(DEV_MODE_CONFIG_ACL, "interface gi0/1", "interface IFNAME$name",
		  "interface GigabitEthernet0/1", DEV_MODE_CONFIG);
	/* The sub-mode's own commands, and built-ins, stay in it. */
	expect_ok(DEV_MODE_CONFIG_IF, "exit", "exit", "exit", DEV_MODE_CONFIG_IF);
	expect_ok(
	    DEV_MODE_CONFIG_ACL, "permit ip any any",
	    "(permit|deny)$action (tcp|udp|icmp|ip)$proto WORD$src WORD$dst [eq (1-65535)$port]",
	    "permit ip any any", DEV_MODE_CONFIG_ACL);
	/* The error that got furthest is the one shown. */
	expect_result(DEV_MODE_CONFIG_IF, "ip route 10.9.0.0 x", DEV_MATCH_INVALID, 18);
	expect_result(DEV_MODE_CONFIG_IF, "shutdown now", DEV_MATCH_INVALID, 9);
	/* Config does not fall back to exec commands (that is "do"). */
	expect_result(DEV_MODE_CONFIG, "show version", DEV_MATCH_INVALID, 0);
}

/* ---- help ---- */

static void expect_help(enum dev_mode mode, enum dev_role role, const char *line,
			const char *expected)
{
	char *h = dev_cmd_help(table, mode, role, line, sample_words, NULL);

	if (strcmp(h, expected))
		fail_msg("help for \"%s\":\n%s\nexpected:\n%s", line, h, expected);
	free(h);
}

static void test_help(void **state)
{
	(void)state;
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show ip ",
		    "  arp        IP ARP table\n"
		    "  interface  IP interface status and configuration\n"
		    "  route      IP routing table\n"
		    "  traffic    IP protocol statistics\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "sh ip ro ",
		    "  A.B.C.D/M  Network prefix\n"
		    "  |          Output modifiers\n"
		    "  <cr>\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show ",
		    "  access-lists    List access lists\n"
		    "  history         Display the session command history\n"
		    "  interfaces      Interface status and configuration\n"
		    "  ip              IP information\n"
		    "  running-config  Current operating configuration\n"
		    "  version         System hardware and software status\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show interfaces ",
		    "  GigabitEthernet0/0  Interface name\n"
		    "  GigabitEthernet0/1  Interface name\n"
		    "  Loopback0           Interface name\n"
		    "  |                   Output modifiers\n"
		    "  <cr>\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "ping 10.0.0.1 ",
		    "  repeat  Specify repeat count\n"
		    "  |       Output modifiers\n"
		    "  <cr>\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "ping 10.0.0.1 repeat ",
		    "  <1-1000>  Repeat count\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "ping ",
		    "  A.B.C.D  Ping destination address\n");
	expect_help(DEV_MODE_CONFIG_ACL, DEV_ROLE_ADMIN, "permit ",
		    "  icmp  Internet Control Message Protocol\n"
		    "  ip    Any Internet Protocol\n"
		    "  tcp   Transmission Control Protocol\n"
		    "  udp   User Datagram Protocol\n");
	expect_help(DEV_MODE_CONFIG_ACL, DEV_ROLE_ADMIN, "permit tcp any any eq ",
		    "  <1-65535>  Port number\n");
	/* Directly after a word: its completions. */
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "sh", "show\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show i", "interfaces  ip\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "c", "clear  configure\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show interfaces gi",
		    "GigabitEthernet0/0  GigabitEthernet0/1\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "ping 10.0", "A.B.C.D\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "ping x", "% Unrecognized command\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "xyz", "% Unrecognized command\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show xyz ", "% Unrecognized command\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "sh i ", "% Ambiguous command:  \"sh i\"\n");
	/* The terminal's built-ins are there too. */
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "terminal ",
		    "  length  Set number of lines on a screen\n"
		    "  width   Set width of the display terminal\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "terminal length ",
		    "  <0-512>  Number of lines on screen (0 for no pausing)\n");
	/* Filters. */
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show ip route | ",
		    "  begin    Begin with the line that matches\n"
		    "  count    Count number of lines which match regexp\n"
		    "  exclude  Exclude lines that match\n"
		    "  include  Include lines that match\n"
		    "  section  Filter a section of output\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show ip route | i", "include\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show ip route | inc ",
		    "  LINE  Regular Expression\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show ip route | inc Gi ",
		    "  LINE  Regular Expression\n  <cr>\n");
	expect_help(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "configure terminal | ",
		    "% Unrecognized command\n");
	/* Sub-mode help, and the parent's when the sub-mode has nothing. */
	expect_help(DEV_MODE_CONFIG_IF, DEV_ROLE_ADMIN, "",
		    "  description  Interface specific description\n"
		    "  do           To run exec commands in config mode\n"
		    "  end          Exit from configure mode\n"
		    "  exit         Exit from configure mode\n"
		    "  no           Negate a command or set its defaults\n"
		    "  shutdown     Shutdown the selected interface\n");
	expect_help(DEV_MODE_CONFIG_IF, DEV_ROLE_ADMIN, "ip route ",
		    "  A.B.C.D  Destination prefix\n");
}

static void test_help_roles(void **state)
{
	char *h;

	(void)state;
	/* A viewer sees neither "configure" nor "clear" ... */
	h = dev_cmd_help(table, DEV_MODE_PRIV, DEV_ROLE_VIEWER, "", sample_words, NULL);
	assert_null(strstr(h, "configure"));
	assert_null(strstr(h, "clear"));
	assert_non_null(strstr(h, "  show "));
	assert_non_null(strstr(h, "  ping "));
	free(h);
	h = dev_cmd_help(table, DEV_MODE_PRIV, DEV_ROLE_OPERATOR, "", sample_words, NULL);
	assert_null(strstr(h, "configure"));
	assert_non_null(strstr(h, "  clear "));
	free(h);
	h = dev_cmd_help(table, DEV_MODE_PRIV, DEV_ROLE_ADMIN, "", sample_words, NULL);
	assert_non_null(strstr(h, "  configure "));
	free(h);
	h = dev_cmd_help(table, DEV_MODE_PRIV, DEV_ROLE_VIEWER, "conf", sample_words, NULL);
	assert_string_equal(h, "% Unrecognized command\n");
	free(h);
	/* enable needs an operator. */
	h = dev_cmd_help(table, DEV_MODE_EXEC, DEV_ROLE_VIEWER, "en", sample_words, NULL);
	assert_string_equal(h, "% Unrecognized command\n");
	free(h);
	/* ... but the command still matches, so that it can be denied. */
	expect_ok(DEV_MODE_PRIV, "conf t", "configure terminal", "configure terminal",
		  DEV_MODE_PRIV);
}

/* ---- completion ---- */

static void expect_complete(enum dev_mode mode, enum dev_role role, const char *line,
			    const char *expected)
{
	char *c = dev_cmd_complete(table, mode, role, line, sample_words, NULL);

	if (expected ? !c || strcmp(c, expected) : c != NULL)
		fail_msg("complete \"%s\": \"%s\", expected \"%s\"", line, c ? c : "(null)",
			 expected ? expected : "(null)");
	free(c);
}

static void test_complete(void **state)
{
	(void)state;
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "sh", "ow ");
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "SH", "ow ");
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show ip ro", "ute ");
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "sh ip int", "erface ");
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show i", NULL);
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show ip", " ");
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show ", NULL);
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "", NULL);
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "xyz", NULL);
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show xyz ver", NULL);
	/* Interfaces: the type while it is common, the name when unique. */
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show interfaces gi", "gabitEthernet");
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show interfaces GigabitEthernet0/", NULL);
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show interfaces Lo", "opback0 ");
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show interfaces gi0/1", " ");
	/* Roles hide commands from Tab too. */
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "conf", "igure ");
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_VIEWER, "conf", NULL);
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_VIEWER, "c", NULL);
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_OPERATOR, "c", "lear ");
	/* Filters and groups. */
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show ver | inc", "lude ");
	expect_complete(DEV_MODE_PRIV, DEV_ROLE_ADMIN, "show ver | include Ver", NULL);
	expect_complete(DEV_MODE_CONFIG_ACL, DEV_ROLE_ADMIN, "deny ic", "mp ");
	expect_complete(DEV_MODE_CONFIG_ACL, DEV_ROLE_ADMIN, "deny i", NULL);
	/* A sub-mode completes its parent's commands. */
	expect_complete(DEV_MODE_CONFIG_IF, DEV_ROLE_ADMIN, "ip ro", "ute ");
}

/* ---- declarations ---- */

static void expect_bad(const char *syntax, const char *help)
{
	struct dev_cmd cmd = {syntax, help, DEV_MODES_SHOW, DEV_ROLE_VIEWER, 0, noop};
	char *error = NULL;
	struct dev_cmd_table *t = dev_cmd_table_create(&cmd, 1, &error);

	if (t)
		fail_msg("\"%s\" was accepted", syntax);
	assert_non_null(error);
	assert_non_null(strstr(error, syntax));
	free(error);
}

static void test_declaration_errors(void **state)
{
	struct dev_cmd cmd = {"show x", "a\nb", DEV_MODES_SHOW, DEV_ROLE_VIEWER, 0, noop};
	struct dev_cmd_table *t;
	char *error;

	(void)state;
	expect_bad("", "");
	expect_bad("show [", "a");
	expect_bad("show [x", "a\nb");
	expect_bad("show (a|b", "a\nb\nc");
	expect_bad("show ]", "a");
	expect_bad("show )", "a");
	expect_bad("show (a|)", "a\nb");
	expect_bad("show []", "a");
	expect_bad("show ()", "a");
	expect_bad("Show", "a");
	expect_bad("show Ip", "a\nb");
	expect_bad("show a|b", "a\nb\nc");
	expect_bad("do LINE x", "a\nb\nc");
	expect_bad("do [LINE] x", "a\nb\nc");
	expect_bad("[show]", "a");
	expect_bad("[a|b]", "a\nb");
	expect_bad("show (5-1)", "a\nb");
	expect_bad("show $x", "a");
	expect_bad("show x$", "a\nb");
	expect_bad("show x$1", "a\nb");
	expect_bad("show {a|b}", "a\nb\nc");
	expect_bad("show [x]$n", "a\nb");
	expect_bad("show X:X::X:X", "a\nb");
	expect_bad("show ((((((((((a))))))))))", "a\nb");
	/* Help lines must match the tokens. */
	expect_bad("show version", "Show");
	expect_bad("show version", "Show\nVersion\nExtra");
	expect_bad("show (a|b)", "Show\nOne");
	/* The rest of the declaration. */
	cmd.handler = NULL;
	assert_null(dev_cmd_table_create(&cmd, 1, &error));
	assert_non_null(strstr(error, "show x"));
	free(error);
	cmd.handler = noop;
	cmd.modes = 0;
	assert_null(dev_cmd_table_create(&cmd, 1, &error));
	free(error);
	cmd.modes = DEV_MODE_BIT(DEV_MODE_N);
	assert_null(dev_cmd_table_create(&cmd, 1, &error));
	free(error);
	cmd.modes = DEV_MODES_SHOW;
	cmd.help = NULL;
	assert_null(dev_cmd_table_create(&cmd, 1, &error));
	free(error);
	cmd.help = "a\nb\n"; /* a final newline is fine */
	t = dev_cmd_table_create(&cmd, 1, &error);
	assert_non_null(t);
	assert_null(error);
	dev_cmd_table_destroy(t);
	/* Good ones, with what they may look like. */
	static const struct dev_cmd good[] = {
	    {"a [b [c [d]]] (e|f g|(h|i))$x [(1-2)|(-5--3)$n] LINE$rest",
	     "a\nb\nc\nd\ne\nf\ng\nh\ni\none\ntwo\nrest", DEV_MODES_SHOW, DEV_ROLE_VIEWER, 0, noop},
	    {"z A.B.C.D A.B.C.D/M WORD IFNAME VRF", "z\n1\n2\n3\n4\n5", DEV_MODES_SHOW,
	     DEV_ROLE_VIEWER, 0, noop},
	};
	t = dev_cmd_table_create(good, ARRAY_SIZE(good), &error);
	if (!t)
		fail_msg("%s", error);
	struct dev_match m;
	dev_cmd_match(t, DEV_MODE_PRIV, "a b c d f g -4 all the rest", NULL, NULL, &m);
	assert_int_equal(m.result, DEV_MATCH_OK);
	assert_string_equal(dev_arg(m.args, "x"), "f");
	assert_int_equal(dev_arg_int(m.args, "n", 0), -4);
	assert_string_equal(dev_arg(m.args, "rest"), "all the rest");
	dev_match_uninit(&m);
	dev_cmd_match(t, DEV_MODE_PRIV, "a i x", NULL, NULL, &m);
	assert_int_equal(m.result, DEV_MATCH_OK);
	assert_string_equal(dev_arg(m.args, "x"), "i");
	dev_match_uninit(&m);
	dev_cmd_match(t, DEV_MODE_PRIV, "a c", NULL, NULL, &m);
	assert_int_equal(m.result, DEV_MATCH_INVALID);
	assert_int_equal(m.error_offset, 2);
	dev_match_uninit(&m);
	dev_cmd_table_destroy(t);
}

/* ---- the reference matcher ---- */

/* One plain token of an expanded syntax. */
struct rtok {
	char text[32]; /* keyword or placeholder */
	long min, max; /* ranges */
	bool range;
};

struct rseq {
	struct rtok t[16];
	size_t n;
	size_t cmd; /* index in the table, built-ins first */
};

struct rexp {
	struct rseq *v;
	size_t n, allocated;
};

/* Expands syntax 's' from 'pos' (in a sequence ending at 'end' chars) into
 * every plain sequence, each prefixed by 'prefix'. A tiny recursive
 * expander: at a bracket it tries each alternative and the rest. */
static void expand(const char *s, struct rseq prefix, struct rexp *out);

static size_t skip_group(const char *s)
{
	int depth = 0;
	size_t i = 0;

	do {
		if (s[i] == '(' || s[i] == '[')
			depth++;
		else if (s[i] == ')' || s[i] == ']')
			depth--;
		i++;
	} while (depth);
	return i;
}

static void expand(const char *s, struct rseq prefix, struct rexp *out)
{
	while (*s == ' ')
		s++;
	if (!*s) {
		out->v = xgrow(out->v, &out->allocated, out->n + 1, sizeof *out->v);
		out->v[out->n++] = prefix;
		return;
	}
	if (*s == '(' && isdigit((unsigned char)s[1])) {
		struct rtok *t = &prefix.t[prefix.n++];
		char *end;

		memset(t, 0, sizeof *t);
		t->range = true;
		t->min = strtol(s + 1, &end, 10);
		t->max = strtol(end + 1, &end, 10);
		s = end + 1;
		while (*s && *s != ' ')
			s++; /* $name */
		expand(s, prefix, out);
		return;
	}
	if (*s == '(' || *s == '[') {
		size_t len = skip_group(s);
		const char *rest = s + len;
		size_t i = 1;

		while (*rest && *rest != ' ')
			rest++; /* $name */
		if (*s == '[')
			expand(rest, prefix, out);
		/* Each alternative, followed by the rest. */
		while (i < len) {
			size_t j = i;
			int depth = 0;
			char alt[256];

			while (j < len - 1 && !(depth == 0 && s[j] == '|')) {
				if (s[j] == '(' || s[j] == '[')
					depth++;
				else if (s[j] == ')' || s[j] == ']')
					depth--;
				j++;
			}
			snprintf(alt, sizeof alt, "%.*s %s", (int)(j - i), s + i, rest);
			expand(alt, prefix, out);
			i = j + 1;
		}
		return;
	}
	size_t n = strcspn(s, " $");
	struct rtok *t = &prefix.t[prefix.n++];

	memset(t, 0, sizeof *t);
	snprintf(t->text, sizeof t->text, "%.*s", (int)n, s);
	s += n;
	while (*s && *s != ' ')
		s++;
	expand(s, prefix, out);
}

enum rclass { R_NONE, R_ANY, R_VALUE, R_PARTIAL, R_EXACT };

static bool r_ipv4(const char *w)
{
	unsigned a[4];
	char tail;

	if (strspn(w, "0123456789.") != strlen(w) || strstr(w, "..") || w[0] == '.')
		return false;
	if (sscanf(w, "%3u.%3u.%3u.%3u%c", &a[0], &a[1], &a[2], &a[3], &tail) != 4)
		return false;
	for (int i = 0; i < 4; i++)
		if (a[i] > 255)
			return false;
	/* No part longer than three digits. */
	for (const char *p = w; *p;) {
		size_t d = strspn(p, "0123456789");

		if (!d || d > 3)
			return false;
		p += d;
		if (*p)
			p++;
	}
	return true;
}

static const char *r_ifname(const char *w)
{
	const char *found = NULL;
	int n = 0;

	for (int i = 0; sample_ifnames[i]; i++) {
		const char *c = sample_ifnames[i];
		size_t cl = strcspn(c, "0123456789"), wl = strcspn(w, "0123456789");

		if (!strcasecmp(c, w))
			return c;
		if (wl && wl <= cl && !strncasecmp(c, w, wl) && !strcasecmp(c + cl, w + wl)) {
			found = c;
			n++;
		}
	}
	return n == 1 ? found : NULL;
}

static enum rclass r_class(const struct rtok *t, const char *w, const char **canon)
{
	size_t len = strlen(w);

	*canon = NULL;
	if (t->range) {
		char *end;
		long v;

		if (!len || strspn(w + (w[0] == '-'), "0123456789") != len - (w[0] == '-') ||
		    len - (w[0] == '-') == 0 || len > 18)
			return R_NONE;
		v = strtol(w, &end, 10);
		return v >= t->min && v <= t->max ? R_VALUE : R_NONE;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)w[i] < 0x20 || w[i] == 0x7f)
			return R_NONE;
	if (!strcmp(t->text, "WORD") || !strcmp(t->text, "LINE"))
		return R_ANY;
	if (!strcmp(t->text, "A.B.C.D"))
		return r_ipv4(w) ? R_VALUE : R_NONE;
	if (!strcmp(t->text, "A.B.C.D/M")) {
		char ip[64];
		const char *slash = strchr(w, '/');
		size_t ml = slash ? strlen(slash + 1) : 0;

		if (!slash || (size_t)(slash - w) >= sizeof ip || !ml || ml > 2 ||
		    strspn(slash + 1, "0123456789") != ml || atoi(slash + 1) > 32)
			return R_NONE;
		snprintf(ip, sizeof ip, "%.*s", (int)(slash - w), w);
		return r_ipv4(ip) ? R_VALUE : R_NONE;
	}
	if (!strcmp(t->text, "IFNAME")) {
		*canon = r_ifname(w);
		return *canon ? R_VALUE : R_NONE;
	}
	if (len > strlen(t->text) || strncasecmp(t->text, w, len))
		return R_NONE;
	return len == strlen(t->text) ? R_EXACT : R_PARTIAL;
}

/* Matches 'line' against the sequences of 'mode' (no parent fallback):
 * fills 'm' like dev_cmd_match, with '*cmd' the index and 'full' the
 * canonical line when OK. */
static enum dev_match_result r_match(const struct rexp *e, const char *line, size_t *bad,
				     size_t *cmd, char *full, size_t full_size)
{
	char words[64][128];
	size_t offs[64], n = 0, len = strlen(line);
	bool *alive = xcalloc(e->n + 1, sizeof *alive);
	enum dev_match_result r = DEV_MATCH_INCOMPLETE;

	for (size_t i = 0; i < len && n < 64;) {
		size_t wl;

		while (i < len && strchr(" \t\r\n\v\f", line[i]))
			i++;
		if (i == len)
			break;
		wl = strcspn(line + i, " \t\r\n\v\f");
		offs[n] = i;
		snprintf(words[n++], sizeof words[0], "%.*s", (int)wl, line + i);
		i += wl;
	}
	for (size_t k = 0; k < e->n; k++)
		alive[k] = true;
	for (size_t i = 0; i < n; i++) {
		enum rclass best = R_NONE;
		const char *partial = NULL, *canon;
		bool ambiguous = false;

		for (size_t k = 0; k < e->n; k++) {
			const struct rtok *t;
			enum rclass c;

			if (!alive[k])
				continue;
			if (i >= e->v[k].n) {
				/* LINE takes the rest. */
				t = e->v[k].n ? &e->v[k].t[e->v[k].n - 1] : NULL;
				c = t && !strcmp(t->text, "LINE") ? r_class(t, words[i], &canon)
								  : R_NONE;
			} else {
				t = &e->v[k].t[i];
				c = r_class(t, words[i], &canon);
			}
			if (c == R_PARTIAL) {
				ambiguous |= partial && strcmp(partial, t->text);
				partial = t->text;
			}
			if (c > best)
				best = c;
		}
		if (best == R_NONE || (best == R_PARTIAL && ambiguous)) {
			*bad = offs[i];
			free(alive);
			return best == R_NONE ? DEV_MATCH_INVALID : DEV_MATCH_AMBIGUOUS;
		}
		for (size_t k = 0; k < e->n; k++) {
			const struct rtok *t;

			if (!alive[k])
				continue;
			t = i < e->v[k].n ? &e->v[k].t[i] : &e->v[k].t[e->v[k].n - 1];
			if ((i >= e->v[k].n && strcmp(t->text, "LINE")) ||
			    r_class(t, words[i], &canon) != best)
				alive[k] = false;
		}
	}
	/* The first command (in table order) with a sequence that ends here. */
	*cmd = SIZE_MAX;
	for (size_t k = 0; k < e->n; k++) {
		const struct rseq *q = &e->v[k];
		bool ends = alive[k] && n &&
			    (q->n == n || (q->n < n && !strcmp(q->t[q->n - 1].text, "LINE")));

		if (ends && q->cmd < *cmd) {
			struct ds s = DS_EMPTY_INITIALIZER;

			*cmd = q->cmd;
			for (size_t i = 0; i < q->n; i++) {
				const char *canon, *v = words[i];

				if (!strcmp(q->t[i].text, "LINE")) {
					/* The rest of the line (single spaces here). */
					for (size_t j = i; j < n; j++)
						ds_put_format(&s, " %s", words[j]);
					break;
				}
				if (r_class(&q->t[i], words[i], &canon) >= R_PARTIAL)
					v = q->t[i].text;
				else if (canon)
					v = canon;
				ds_put_format(&s, "%s%s", i ? " " : "", v);
			}
			snprintf(full, full_size, "%s", ds_cstr(&s));
			ds_destroy(&s);
			r = DEV_MATCH_OK;
		}
	}
	free(alive);
	return r;
}

/* The words random lines are made of: keywords, values, near misses. */
static const char *const vocab[] = {
    "show",
    "sh",
    "s",
    "ip",
    "i",
    "route",
    "ro",
    "r",
    "interface",
    "int",
    "interfaces",
    "brief",
    "br",
    "version",
    "ver",
    "running-config",
    "run",
    "arp",
    "traffic",
    "tr",
    "access-lists",
    "acc",
    "ping",
    "p",
    "repeat",
    "rep",
    "configure",
    "conf",
    "terminal",
    "t",
    "length",
    "width",
    "exit",
    "end",
    "enable",
    "en",
    "disable",
    "do",
    "history",
    "clear",
    "counters",
    "no",
    "shutdown",
    "shut",
    "description",
    "access-list",
    "extended",
    "ext",
    "permit",
    "deny",
    "tcp",
    "udp",
    "icmp",
    "eq",
    "any",
    "host",
    "10.0.0.1",
    "10.0.1.0/24",
    "255.255.255.0",
    "1.2.3",
    "256.1.1.1",
    "0",
    "1",
    "80",
    "1000",
    "1001",
    "65535",
    "65536",
    "-1",
    "gi0/1",
    "Gi0/0",
    "g0/0",
    "lo0",
    "Loopback0",
    "gi",
    "GigabitEthernet0/1",
    "0/1",
    "BLOCK",
    "x",
    "|",
    "!",
    "SHOW",
    "Ip",
};

static void random_line(unsigned *seed, char *buf, size_t size)
{
	size_t n = (size_t)(rand_r(seed) % 7), len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *w = vocab[rand_r(seed) % ARRAY_SIZE(vocab)];
		int k = snprintf(buf + len, size - len, "%s%s", i ? " " : "", w);

		if (k < 0 || (size_t)k >= size - len)
			break;
		len += (size_t)k;
	}
}

static void test_reference(void **state)
{
	static const enum dev_mode modes[] = {DEV_MODE_EXEC, DEV_MODE_PRIV, DEV_MODE_CONFIG};
	struct rexp exp[DEV_MODE_N] = {0};
	extern const struct dev_cmd dev_builtin_cmds[];
	extern const size_t dev_n_builtin_cmds;
	unsigned seed = 12345;
	size_t n_ok = 0, n_invalid = 0, n_ambiguous = 0, n_incomplete = 0;

	(void)state;
	for (size_t m = 0; m < ARRAY_SIZE(modes); m++) {
		size_t n_all = dev_n_builtin_cmds + ARRAY_SIZE(sample_cmds);

		for (size_t c = 0; c < n_all; c++) {
			const struct dev_cmd *cmd = c < dev_n_builtin_cmds
							? &dev_builtin_cmds[c]
							: &sample_cmds[c - dev_n_builtin_cmds];
			struct rseq empty = {.cmd = c};
			size_t before = exp[modes[m]].n;

			if (!(cmd->modes & DEV_MODE_BIT(modes[m])))
				continue;
			expand(cmd->syntax, empty, &exp[modes[m]]);
			for (size_t k = before; k < exp[modes[m]].n; k++)
				exp[modes[m]].v[k].cmd = c;
		}
	}
	/* "[no] shutdown" is not in these modes; ping has two forms. */
	assert_true(exp[DEV_MODE_PRIV].n > ARRAY_SIZE(sample_cmds));

	for (int iter = 0; iter < 30000; iter++) {
		enum dev_mode mode = modes[rand_r(&seed) % ARRAY_SIZE(modes)];
		char line[256], full[512];
		size_t bad = 0, cmd = 0;
		enum dev_match_result r;
		struct dev_match m;

		random_line(&seed, line, sizeof line);
		if (strchr(line, '!') || !line[0])
			continue;
		r = r_match(&exp[mode], line, &bad, &cmd, full, sizeof full);
		match(mode, line, &m);
		if (m.result != r)
			fail_msg("mode %d \"%s\": engine %d, reference %d", mode, line, m.result,
				 r);
		if (r == DEV_MATCH_INVALID && m.error_offset != bad)
			fail_msg("\"%s\": engine offset %zu, reference %zu", line, m.error_offset,
				 bad);
		if (r == DEV_MATCH_OK) {
			const struct dev_cmd *want = cmd < dev_n_builtin_cmds
							 ? &dev_builtin_cmds[cmd]
							 : &sample_cmds[cmd - dev_n_builtin_cmds];

			if (m.cmd != want || strcmp(dev_args_line(m.args), full))
				fail_msg("\"%s\": engine \"%s\" (%s), reference \"%s\" (%s)", line,
					 dev_args_line(m.args), m.cmd->syntax, full, want->syntax);
		}
		n_ok += r == DEV_MATCH_OK;
		n_invalid += r == DEV_MATCH_INVALID;
		n_ambiguous += r == DEV_MATCH_AMBIGUOUS;
		n_incomplete += r == DEV_MATCH_INCOMPLETE;
		dev_match_uninit(&m);
	}
	/* The random lines must exercise every outcome. */
	assert_true(n_ok > 100);
	assert_true(n_invalid > 100);
	assert_true(n_ambiguous > 100);
	assert_true(n_incomplete > 100);
	for (int m = 0; m < DEV_MODE_N; m++)
		free(exp[m].v);
}

/* ---- robustness ---- */

static void check_help_text(const char *h)
{
	size_t len = strlen(h);

	assert_true(len > 0);
	assert_int_equal(h[len - 1], '\n');
}

static void test_random_input(void **state)
{
	unsigned seed = 777;

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		char line[300];
		size_t len;
		enum dev_mode mode = (enum dev_mode)(rand_r(&seed) % DEV_MODE_N);
		enum dev_role role = (enum dev_role)(rand_r(&seed) % 3);
		struct dev_match m;
		char *h, *c;

		if (iter % 2) {
			len = (size_t)(rand_r(&seed) % (sizeof line - 1));
			for (size_t i = 0; i < len; i++)
				line[i] = (char)(1 + rand_r(&seed) % 255);
			line[len] = '\0';
		} else {
			random_line(&seed, line, sizeof line - 2);
			len = strlen(line);
			if (rand_r(&seed) % 2) {
				line[len++] = ' ';
				line[len] = '\0';
			}
		}
		match(mode, line, &m);
		assert_true(m.result <= DEV_MATCH_INVALID);
		if (m.result == DEV_MATCH_INVALID) {
			assert_true(m.error_offset < len);
			assert_false(m.error_offset &&
				     !strchr(" \t\r\n\v\f", line[m.error_offset - 1]));
		}
		if (m.result == DEV_MATCH_OK) {
			assert_non_null(m.cmd);
			assert_non_null(dev_args_line(m.args));
		}
		dev_match_uninit(&m);

		h = dev_cmd_help(table, mode, role, line, sample_words, NULL);
		check_help_text(h);
		free(h);

		c = dev_cmd_complete(table, mode, DEV_ROLE_ADMIN, line, sample_words, NULL);
		if (c) {
			char more[700];
			size_t clen = strlen(c);

			assert_true(clen > 0);
			/* A completed word (ending in a space) must be accepted. */
			if (c[clen - 1] == ' ' && !strchr(line, '|') && len + clen < sizeof more) {
				snprintf(more, sizeof more, "%s%s", line, c);
				match(mode, more, &m);
				if (m.result != DEV_MATCH_OK && m.result != DEV_MATCH_INCOMPLETE &&
				    !(m.result == DEV_MATCH_EMPTY && strchr(more, '!')))
					fail_msg("\"%s\" completed to \"%s\": result %d", line,
						 more, m.result);
				dev_match_uninit(&m);
			}
			free(c);
		}
	}
}

/* Matching must not cost more per word as the line grows. */
static void test_long_lines(void **state)
{
	struct ds line = DS_EMPTY_INITIALIZER;
	struct dev_match m;
	uint64_t start;

	(void)state;
	ds_put_cstr(&line, "description");
	for (int i = 0; i < 20000; i++)
		ds_put_cstr(&line, " word");
	start = time_usec();
	match(DEV_MODE_CONFIG_IF, ds_cstr(&line), &m);
	assert_int_equal(m.result, DEV_MATCH_OK);
	assert_int_equal(strlen(dev_arg(m.args, "text")), 20000 * 5 - 1);
	dev_match_uninit(&m);
	/* A generous bound: a linear walk takes a few milliseconds. */
	assert_true(time_usec() - start < 2000000);
	ds_destroy(&line);
}

static void test_roles(void **state)
{
	enum dev_role r;

	(void)state;
	assert_string_equal(dev_role_name(DEV_ROLE_VIEWER), "viewer");
	assert_string_equal(dev_role_name(DEV_ROLE_ADMIN), "admin");
	assert_true(dev_role_parse("operator", &r));
	assert_int_equal(r, DEV_ROLE_OPERATOR);
	assert_false(dev_role_parse("root", &r));
	assert_false(dev_role_parse(NULL, &r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_abbreviations),
	    cmocka_unit_test(test_args),
	    cmocka_unit_test(test_ambiguous),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_incomplete),
	    cmocka_unit_test(test_exact_beats_prefix),
	    cmocka_unit_test(test_parent_fallback),
	    cmocka_unit_test(test_help),
	    cmocka_unit_test(test_help_roles),
	    cmocka_unit_test(test_complete),
	    cmocka_unit_test(test_declaration_errors),
	    cmocka_unit_test(test_reference),
	    cmocka_unit_test(test_random_input),
	    cmocka_unit_test(test_long_lines),
	    cmocka_unit_test(test_roles),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
