#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The simulated routers over SNMP, with the real net-snmp tools (snmpwalk, snmpbulkwalk,
# snmpget, snmpset, snmptrapd). Numeric OIDs throughout (-On): Debian ships no IETF MIBs.
#
# Part 1, against tests/snmp-harness (device/snmp.c on a controller state with the demo
# topology, plus a static route and the tenant's SNMP key): each MIB's walk says what the
# device's CLI says (system group vs `show version`; ifTable/ifXTable names and
# ipAddrTable/ipAddressTable addresses vs `show ip interface brief`; inetCidrRouteTable
# vs `show ip route`, with each connected route's ifIndex); snmpbulkwalk gives what
# snmpwalk gives; a read-only community's set fails with noAccess and is audited as
# denied; the read-write community sets ifAdminStatus down and up, audited, and
# snmptrapd (started here on a loopback port) receives linkDown then linkUp with the
# interface's ifIndex; a wrong community or device gets no answer, and it is logged.
#
# Part 2, in a lab (root, network namespaces) with the real controller (lab_up passes
# --snmp): the interface counters grow by at least the packets a ping sent through the
# router; ifAdminStatus down stops the traffic through the interface and up restores it;
# coldStart (the router created by 'lab up'), linkDown and linkUp reach the tenant's trap
# receiver; an interface added first in the file takes a new ifIndex, leaving the others'
# as they were; a controller restart keeps ifIndexes and sysUpTime and sends no coldStart;
# the sets are in GET /v1/audit, a wrong community is counted on /metrics. Prints TAP.

# shellcheck source=tests/integration/lab/lib.sh
. "$(dirname "$0")/lab/lib.sh"

t_setup
trap lab_cleanup EXIT
cd "$T_DIR" || bail "cannot enter $T_DIR"
HARNESS=$T_BUILD/tests/snmp-harness
[ -x "$HARNESS" ] || bail "$HARNESS is not built"
for tool in snmpwalk snmpbulkwalk snmpget snmpset snmptrapd; do
	command -v "$tool" >/dev/null || bail "$tool is not installed (scripts/deps.sh installs it)"
done

# A free loopback UDP port in 20000..32767 (see free_port in lab/lib.sh).
free_udp_port() {
	local port i
	for ((i = 0; i < 50; i++)); do
		port=$((20000 + RANDOM % 12768))
		if ! ss -Hlun "sport = :$port" 2>/dev/null | grep -q .; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

# snmp TOOL COMMUNITY ARGS...: runs a net-snmp tool against $SPORT (numeric OIDs, 1 s
# timeout, one retry); output in OUT, status in RC.
snmp() {
	local tool=$1 community=$2
	shift 2
	OUT=$(timeout 60 "$tool" -v2c -c "$community" -On -t 1 -r 1 "127.0.0.1:$SPORT" "$@" 2>&1)
	RC=$?
}

# snmp3 TOOL USER PASSWORD CONTEXT ARGS...: the same over SNMPv3, authPriv with SHA-256
# and AES (USER "NAME@TENANT", the context names the device).
snmp3() {
	local tool=$1 user=$2 password=$3 context=$4
	shift 4
	OUT=$(timeout 60 "$tool" -v3 -l authPriv -u "$user" -a SHA-256 -A "$password" -x AES \
		-X "$password" -n "$context" -On -t 1 -r 1 "127.0.0.1:$SPORT" "$@" 2>&1)
	RC=$?
}

# values: the values of $OUT's lines ("OID = TYPE: VALUE"), quotes removed.
values() {
	sed -n 's/^[^=]* = [A-Za-z0-9-]*: //p' <<<"$OUT" | tr -d '"'
}

# same A B: A and B are the same lines (shown when not).
# shellcheck disable=SC2317 # called through check
same() {
	[ "$1" = "$2" ] && return 0
	diag "expected:"$'\n'"$2"$'\n'"got:"$'\n'"$1"
	return 1
}

# trap_start FILE PORT: snmptrapd on 127.0.0.1:PORT logging to FILE, no authorization
# checks, no config files; waits (bounded) until it runs. Sets TRAPD_PID.
trap_start() {
	snmptrapd -f -C -c /dev/null --disableAuthorization=yes -On -Lf "$1" \
		"udp:127.0.0.1:$2" </dev/null >/dev/null 2>&1 &
	TRAPD_PID=$!
	BG_PIDS+=("$TRAPD_PID")
	wait_for "$1" "NET-SNMP version" 50
}

# traps FILE: one line per trap snmptrapd logged: "TRAPOID ifIndex=N" (ifIndex if any).
traps() {
	tr '\t' '\n' <"$1" | awk '
		/^\.1\.3\.6\.1\.6\.3\.1\.1\.4\.1\.0 = OID: / { if (t) print t " ifIndex=" i; t = $NF; i = "" }
		/^\.1\.3\.6\.1\.2\.1\.2\.2\.1\.1\.[0-9]+ = INTEGER: / { i = $NF }
		END { if (t) print t " ifIndex=" i }'
}

# ---- part 1: the harness ----

TRAP_PORT=$(free_udp_port) || bail "no free UDP port"
# The demo topology with the tenant's SNMP key and a static route.
awk -v port="$TRAP_PORT" '
	{ print }
	$0 == "  - name: acme" {
		print "    snmp: {ro_community: public, rw_community: private, trap_receivers: [\"127.0.0.1:" port "\"]}"
	}' "$T_ROOT/examples/demo.yaml" |
	sed -e 's|routes: \[\]|routes: [{prefix: 10.9.0.0/16, via: 10.1.2.20}]|' \
		-e 's|password: "correct horse"}|password: "correct horse", snmpv3: true}|' \
		-e 's|password: "battery staple"}|password: "battery staple", snmpv3: true}|' >demo.yaml
grep -q "rw_community: private" demo.yaml || bail "could not add the SNMP key to the demo topology"
[ "$(grep -c 'snmpv3: true' demo.yaml)" = 2 ] || bail "could not give the demo's users SNMPv3"
DEV=acme/blue/r1

cli() {
	"$HARNESS" cli demo.yaml "$DEV" "$1" 2>/dev/null
}

trap_start traps.log "$TRAP_PORT" || bail "snmptrapd did not start"
mkdir -p harness
"$HARNESS" serve demo.yaml 127.0.0.1:0 harness 2>harness.log &
HPID=$!
BG_PIDS+=("$HPID")
wait_for harness/port "^[0-9]+" 100 || bail "the harness did not start: $(tail -5 harness.log)"
SPORT=$(cat harness/port)

# System group vs show version.
snmp snmpget public@blue/r1 .1.3.6.1.2.1.1.1.0 .1.3.6.1.2.1.1.5.0 .1.3.6.1.2.1.1.3.0
check "system: snmpget answers" [ "$RC" = 0 ]
version=$(cli "show version")
hostname=$(sed -n 's/^\(.*\) uptime is .*/\1/p' <<<"$version")
check "system: sysName is the CLI's hostname ($hostname)" has "$OUT" "1\.5\.0 = STRING: \"$hostname\"$"
check "system: sysDescr names onm and the device" has "$OUT" "1\.1\.0 = STRING: \"onm .*router $DEV\""
check "system: sysUpTime is TimeTicks" has "$OUT" "1\.3\.0 = Timeticks: "
snmp snmpwalk public@acme/blue/r1 .1.3.6.1.2.1.1
check "system: the walk has the 8 scalars" [ "$(grep -c ' = ' <<<"$OUT")" = 8 ]

# Interfaces and addresses vs show ip interface brief.
brief=$(cli "show ip interface brief" | tail -n +2)
cli_names=$(awk '{print $1}' <<<"$brief")
cli_addrs=$(awk '{print $2}' <<<"$brief" | sort)
snmp snmpwalk public@blue/r1 .1.3.6.1.2.1.2.2.1.2
if_names=$(values)
check "ifTable: ifDescr are the CLI's interfaces" same "$if_names" "$cli_names"
snmp snmpwalk public@blue/r1 .1.3.6.1.2.1.31.1.1.1.1
check "ifXTable: ifName are the CLI's interfaces" same "$(values)" "$cli_names"
snmp snmpwalk public@blue/r1 .1.3.6.1.2.1.31.1.1.1.6
check "ifXTable: ifHCInOctets are Counter64" [ "$(grep -c 'Counter64' <<<"$OUT")" = "$(wc -l <<<"$cli_names")" ]
snmp snmpwalk public@blue/r1 .1.3.6.1.2.1.2.2.1.8
check "ifTable: ifOperStatus up(1) as the CLI's Protocol column" \
	same "$(values | sed 's/^1$/up/; s/^2$/down/')" "$(awk '{print $NF}' <<<"$brief")"
snmp snmpwalk public@blue/r1 .1.3.6.1.2.1.4.20.1.1
check "ipAddrTable: the CLI's addresses" same "$(values | sort)" "$cli_addrs"
snmp snmpwalk public@blue/r1 .1.3.6.1.2.1.4.34.1.3
ipa=$(sed -n 's/^\.1\.3\.6\.1\.2\.1\.4\.34\.1\.3\.1\.4\.\([0-9.]*\) = .*/\1/p' <<<"$OUT" | sort)
check "ipAddressTable: indexed by the CLI's addresses" same "$ipa" "$cli_addrs"

# Routes vs show ip route: each prefix (and a static's next hop), and the ifIndex of
# each connected route is its interface's.
routes_cli=$(cli "show ip route" | awk '
	$1 ~ /^[CLS]\*?$/ && $2 ~ /\// {
		if ($1 ~ /^S/) { print $2 " via " $NF } else { print $2 " dev " $NF } }' | sort)
snmp snmpwalk public@blue/r1 .1.3.6.1.2.1.4.24.7.1.7
routes_snmp=$(awk -v names="$if_names" '
	BEGIN { n = split(names, nm, "\n") }
	/^\.1\.3\.6\.1\.2\.1\.4\.24\.7\.1\.7\.1\.4\./ {
		split($1, o, "."); b = 15   # o[15..18]: destination, o[19]: length
		p = o[b] "." o[b+1] "." o[b+2] "." o[b+3] "/" o[b+4]
		if (o[b+8] == 1) print p " via " o[b+10] "." o[b+11] "." o[b+12] "." o[b+13]
		else print p " dev " nm[$NF]
	}' <<<"$OUT" | sort)
check "inetCidrRouteTable: the routes of show ip route ($(wc -l <<<"$routes_cli"))" \
	same "$routes_snmp" "$routes_cli"
snmp snmpget public@blue/r1 .1.3.6.1.2.1.4.24.6.0
check "inetCidrRouteNumber counts them" has "$OUT" "Gauge32: $(wc -l <<<"$routes_cli")$"

# snmpbulkwalk = snmpwalk.
snmp snmpwalk public@blue/r1 .1.3.6.1.2.1.2.2
walked=$OUT
snmp snmpbulkwalk public@blue/r1 -Cr25 .1.3.6.1.2.1.2.2
check "snmpbulkwalk of ifTable is snmpwalk's" same "$OUT" "$walked"

# Sets: read-only refused and audited; read-write down and up, audited, trapped.
snmp snmpset public@blue/r1 .1.3.6.1.2.1.2.2.1.7.2 i 2
check "read-only community: set fails with noAccess" has "$OUT" "noAccess"
check "... audited as denied" has "$(cat harness/audit.log)" \
	'"user":"acme/snmp-ro","device":"acme/blue/r1","source":"127\.0\.0\.1:[0-9]+","command":"snmpset ifAdminStatus\.2 \(GigabitEthernet0/1\) = down\(2\)","verdict":"denied"'
snmp snmpget public@blue/r1 .1.3.6.1.2.1.2.2.1.7.2
check "... and changed nothing" has "$OUT" "INTEGER: 1$"
snmp snmpset public@blue/r1 .1.3.6.1.2.1.2.2.1.2.2 s x
check "read-only community: a read-only object's set fails too" has "$OUT" "noAccess|notWritable"
snmp snmpset private@blue/r1 .1.3.6.1.2.1.2.2.1.2.2 s x
check "read-write community: ifDescr is notWritable" has "$OUT" "notWritable"

snmp snmpset private@blue/r1 .1.3.6.1.2.1.2.2.1.7.2 i 2
check "read-write community: ifAdminStatus.2 down" [ "$RC" = 0 ]
snmp snmpget public@blue/r1 .1.3.6.1.2.1.2.2.1.7.2 .1.3.6.1.2.1.2.2.1.8.2
check "... ifAdminStatus and ifOperStatus are down(2)" [ "$(values | tr '\n' ' ')" = "2 2 " ]
snmp snmpwalk public@blue/r1 .1.3.6.1.2.1.4.24.7.1.7
check "... its connected routes left the route table" [ "$(grep -c '\.10\.1\.2\.' <<<"$OUT")" = 0 ]
check "... audited as run with status 0" has "$(cat harness/audit.log)" \
	'"user":"acme/snmp-rw",.*"command":"snmpset ifAdminStatus\.2 \(GigabitEthernet0/1\) = down\(2\)","verdict":"run","status":0'
snmp snmpset private@blue/r1 .1.3.6.1.2.1.2.2.1.7.2 i 1
check "read-write community: ifAdminStatus.2 up" [ "$RC" = 0 ]
wait_for traps.log '\.6\.3\.1\.1\.5\.4' 50
check "snmptrapd received linkDown then linkUp for ifIndex 2" \
	same "$(traps traps.log)" ".1.3.6.1.6.3.1.1.5.3 ifIndex=2"$'\n'".1.3.6.1.6.3.1.1.5.4 ifIndex=2"

# SNMPv3: the demo's users with their passwords, the device in the context.
snmp3 snmpget alice@acme "correct horse" blue/r1 .1.3.6.1.2.1.1.5.0
check "SNMPv3 authPriv (SHA-256, AES): sysName" has "$OUT" "1\.5\.0 = STRING: \"$hostname\"$"
snmp3 snmpbulkwalk victor@acme "battery staple" acme/blue/r1 .1.3.6.1.2.1.2.2.1.2
check "SNMPv3 walk of ifDescr (context TENANT/NETWORK/DEVICE) = the CLI's interfaces" \
	same "$(values)" "$cli_names"
snmp3 snmpget alice@acme "wrong horse" blue/r1 .1.3.6.1.2.1.1.5.0
check "SNMPv3 wrong password: authentication failure" has "$OUT" "Authentication failure"
OUT=$(timeout 60 snmpget -v3 -l authNoPriv -u alice@acme -a SHA-256 -A "correct horse" \
	-n blue/r1 -On -t 1 -r 1 "127.0.0.1:$SPORT" .1.3.6.1.2.1.1.5.0 2>&1)
check "SNMPv3 below authPriv: authorizationError" has "$OUT" "authorizationError"
snmp3 snmpset victor@acme "battery staple" blue/r1 .1.3.6.1.2.1.2.2.1.7.2 i 2
check "SNMPv3 viewer: set refused (noAccess)" has "$OUT" "noAccess"
check "... audited with the user's own name" has "$(cat harness/audit.log)" \
	'"user":"acme/victor",.*"verdict":"denied"'
snmp3 snmpset alice@acme "correct horse" blue/r1 .1.3.6.1.2.1.2.2.1.7.2 i 1
check "SNMPv3 admin: set accepted" [ "$RC" = 0 ]
check "... audited as alice" has "$(cat harness/audit.log)" \
	'"user":"acme/alice",.*"command":"snmpset ifAdminStatus\.2 \(GigabitEthernet0/1\) = up\(1\)","verdict":"run"'

# Wrong community or device: no answer, logged.
snmp snmpget nope@blue/r1 .1.3.6.1.2.1.1.5.0
check "wrong community: no answer" has "$OUT" "^Timeout: No Response"
snmp snmpget public@blue/r9 .1.3.6.1.2.1.1.5.0
check "unknown device: no answer" has "$OUT" "^Timeout: No Response"
check "... both logged" [ "$(grep -c 'no answer to 127.0.0.1:' harness.log)" -ge 2 ]
kill -TERM "$HPID" 2>/dev/null
wait_gone "$HPID" 50
check "the harness stops cleanly" wait "$HPID"
kill -TERM "$TRAPD_PID" 2>/dev/null

# ---- part 2: a lab ----

if [ "$(id -u)" != 0 ]; then
	skip "lab: counters, set stops traffic, traps" "needs root (network namespaces)"
	done_testing
fi
LAB_STATE=$T_DIR/lab
LAB_PORT=$(free_port) || bail "no free port"
TRAP_PORT=$(free_udp_port) || bail "no free UDP port"
cat >topo.yaml <<YAML
substrate:
  hosts:
    - {name: ha}
    - {name: hb}
  links:
    - {a: ha, b: hb, latency: 1ms, bandwidth: 1gbit, cost: 1}
tenants:
  - name: tx
    service_level: gold
    snmp: {ro_community: watch, rw_community: steer, trap_receivers: ["127.0.0.1:$TRAP_PORT"]}
    networks:
      - name: net
        subnets:
          - {name: front, cidr: 172.16.5.0/24}
          - {name: back, cidr: 172.16.6.0/24}
        routers:
          - name: edge
            interfaces:
              - {name: GigabitEthernet0/0, subnet: front, ip: 172.16.5.1}
              - {name: GigabitEthernet0/1, subnet: back, ip: 172.16.6.1}
        instances:
          - {name: fe1, subnet: front, host: ha, ip: 172.16.5.10}
          - {name: be1, subnet: back, host: hb, ip: 172.16.6.10}
YAML
trap_start lab-traps.log "$TRAP_PORT" || bail "snmptrapd did not start"
lab_up topo.yaml
[ "$RC" = 0 ] || bail "lab up failed: $ERR"
ctl=$(jq -r '.services.controller.pid // empty' "$LAB_STATE/pids.json" 2>/dev/null)
SPORT=$(tr '\0' '\n' <"/proc/${ctl:-0}/cmdline" 2>/dev/null | grep -A1 -x -- --snmp | tail -1)
SPORT=${SPORT##*:}
[ -n "$SPORT" ] || bail "the lab's controller has no --snmp port"

# hc COLUMN IFINDEX: a 64-bit counter of edge's interface.
hc() {
	snmp snmpget watch@net/edge ".1.3.6.1.2.1.31.1.1.1.$1.$2"
	sed -n 's/.*Counter64: //p' <<<"$OUT"
}
lx fe1 ping -c 3 -W 1 172.16.6.10 >/dev/null 2>&1 # ARP, first reports
sleep 2.5
in0=$(hc 7 1)
out0=$(hc 11 2)
lx fe1 ping -c 20 -i 0.05 -W 1 172.16.6.10 >ping.out 2>&1
check "lab: 20 pings through edge answered" grep -q " 0% packet loss" ping.out
sleep 2.5 # the agents report every second; the agent sums at most twice a second
in1=$(hc 7 1)
out1=$(hc 11 2)
check "lab: ifHCInUcastPkts of Gi0/0 grew by the 20 pings ($in0 -> $in1)" \
	[ "${in1:-0}" -ge $((${in0:-999999} + 20)) ]
check "lab: ifHCOutUcastPkts of Gi0/1 grew by the 20 pings ($out0 -> $out1)" \
	[ "${out1:-0}" -ge $((${out0:-999999} + 20)) ]

snmp snmpset steer@net/edge .1.3.6.1.2.1.2.2.1.7.2 i 2
check "lab: set ifAdminStatus.2 down" [ "$RC" = 0 ]
sleep 1
lx fe1 ping -c 5 -i 0.2 -W 1 172.16.6.10 >ping-down.out 2>&1
check "lab: no traffic through the interface while down" grep -q " 100% packet loss" ping-down.out
snmp snmpset steer@net/edge .1.3.6.1.2.1.2.2.1.7.2 i 1
check "lab: set ifAdminStatus.2 up" [ "$RC" = 0 ]
ms=$(resumes_within 10000 fe1 172.16.6.10)
check "lab: traffic resumes after up (${ms:-never} ms)" [ -n "$ms" ]
wait_for lab-traps.log '\.6\.3\.1\.1\.5\.4' 50
check "lab: coldStart (edge created), linkDown and linkUp for ifIndex 2 reached the receiver" \
	same "$(traps lab-traps.log)" ".1.3.6.1.6.3.1.1.5.1 ifIndex="$'\n'".1.3.6.1.6.3.1.1.5.3 ifIndex=2"$'\n'".1.3.6.1.6.3.1.1.5.4 ifIndex=2"

# ifIndex stays with its interface: a new interface listed first in the file takes 3, and
# the numbers and sysUpTime (since edge was created) survive a controller restart.
sed -e 's|          - {name: back, cidr: 172.16.6.0/24}|&\n          - {name: mgmt, cidr: 172.16.7.0/24}|' \
	-e 's|            interfaces:|&\n              - {name: GigabitEthernet0/2, subnet: mgmt, ip: 172.16.7.1}|' \
	topo.yaml >topo2.yaml
onm_run apply topo2.yaml
check "lab: a third interface added before the others" [ "$RC" = 0 ]
if_descr() {
	snmp snmpwalk watch@net/edge .1.3.6.1.2.1.2.2.1.2
	sed -E 's/^\.1\.3\.6\.1\.2\.1\.2\.2\.1\.2\.([0-9]+) = STRING: "?([^"]*)"?$/\1 \2/' <<<"$OUT"
}
ifs_before=$(if_descr)
check "lab: ... ifIndex 1 and 2 kept, the new one is 3" same "$ifs_before" "1 GigabitEthernet0/0
2 GigabitEthernet0/1
3 GigabitEthernet0/2"
uptime() {
	snmp snmpget watch@net/edge .1.3.6.1.2.1.1.3.0
	sed -nE 's/.*Timeticks: \(([0-9]+)\).*/\1/p' <<<"$OUT"
}
up0=$(uptime)
check "lab: the supervisor restarted the controller" lab_restart_controller
up1=$(uptime)
check "lab: sysUpTime goes on across the restart (${up0:-none} -> ${up1:-none})" \
	[ "${up1:-0}" -ge "${up0:-999999999}" ]
check "lab: ... and so do the ifIndexes" same "$(if_descr)" "$ifs_before"
sleep 0.5
check "lab: ... and no coldStart: edge was not created again" \
	[ "$(grep -c '\.6\.3\.1\.1\.5\.1' lab-traps.log)" = 1 ]

# In the controller: the set is in the devices' audit log, a wrong community is counted.
check "lab: the sets are in the audit log (GET /v1/audit)" bash -c \
	"curl -s '$CTL_URL/v1/audit' | jq -e '[.items[] | select(.command | test(\"ifAdminStatus\"))] | length >= 2' >/dev/null"
snmp snmpget nope@net/edge .1.3.6.1.2.1.1.5.0
check "lab: wrong community: no answer" has "$OUT" "^Timeout: No Response"
check "lab: ... counted on /metrics" bash -c \
	"curl -s '$CTL_URL/metrics' | grep -Eq '^onm_snmp_unknown_community_total [1-9]'"

done_testing
