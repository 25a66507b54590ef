#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Simulated devices over SSH, with the real OpenSSH client against a lab: exec mode
# (`ssh ... 'show ip route'`) and an interactive PTY session driven by expect; the IOS
# command engine end to end (abbreviations, configure terminal, ip route); a static
# route added at the CLI appears in the REST API and the data plane forwards by it;
# `show interfaces` counters are the agents' and grow by the packets a ping sent, and
# count from `clear counters` on; `clear line vty N` ends another user's session; a
# viewer's `configure terminal` is denied and audited; wrong passwords are refused
# and logged; `onm console` opens a session with a one-time ticket. Then the per-user
# settings and the running vs startup configuration: an idle session (exec-timeout 0 1)
# must give its password again; a JunOS-style user's `show route`; login with a public
# key of the topology file; `traffic-shape rate` set at the CLI holds iperf3 through the
# router within 10% of the rate; and after the lab's controller is killed and restarted
# by the supervisor, what `write memory` saved is there and what it did not save is gone.
# Prints TAP.

# shellcheck source=tests/integration/lab/lib.sh
. "$(dirname "$0")/lab/lib.sh"
# shellcheck source=tests/integration/lab/device.sh
. "$(dirname "$0")/lab/device.sh"

lab_setup
cd "$T_DIR" || bail "cannot enter $T_DIR"
for tool in ssh expect; do
	command -v "$tool" >/dev/null || bail "$tool is not installed (scripts/deps.sh installs it)"
done

# Kay logs in with a key only.
ssh-keygen -q -t ed25519 -N '' -C kay@device-ssh -f "$T_DIR/kay_key" || bail "ssh-keygen failed"
KAY_PUB=$(cat "$T_DIR/kay_key.pub")

# A second router with an SSH address of its own: a session arriving there selects it.
ZZ_PORT=$(free_port) || bail "no free port"

cat >topo.yaml <<YAML
substrate:
  hosts:
    - {name: ha}
    - {name: hb}
  links:
    - {a: ha, b: hb, latency: 5ms, bandwidth: 1gbit, cost: 1}
tenants:
  - name: tx
    service_level: gold
    users:
      - {name: ann, role: admin, password: "pass word one"}
      - {name: vic, role: viewer, password: "pass word two"}
      - {name: jun, role: admin, password: "pass word three", style: junos}
      - {name: kay, role: operator, public_keys: ["$KAY_PUB"]}
    networks:
      - name: net
        subnets:
          - {name: front, cidr: 172.16.5.0/24}
          - {name: back, cidr: 172.16.6.0/24}
          - {name: mgmt, cidr: 172.16.9.0/24}
        routers:
          - name: edge
            interfaces:
              - {name: GigabitEthernet0/0, subnet: front, ip: 172.16.5.1}
              - {name: GigabitEthernet0/1, subnet: back, ip: 172.16.6.1}
          - name: zz
            interfaces:
              - {name: GigabitEthernet0/0, subnet: mgmt, ip: 172.16.9.1}
            ssh_listen: 127.0.0.1:$ZZ_PORT
        instances:
          - {name: fe1, subnet: front, host: ha, ip: 172.16.5.10}
          - {name: be1, subnet: back, host: hb, ip: 172.16.6.10}
          - {name: be2, subnet: back, host: hb, ip: 172.16.6.20}
YAML

lab_up topo.yaml
[ "$RC" = 0 ] || bail "lab up failed: $ERR"
PORT=$LAB_SSH_PORT

# Helpers called through check (which shellcheck cannot see: SC2317).
# between V LO HI: V is a number in [LO, HI].
# shellcheck disable=SC2317
between() {
	[ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

device_ssh_setup "$PORT"

# Exec mode.
dev_ssh "pass word one" ann@net/edge "show ip route"
check "exec: show ip route" [ "$RC" = 0 ]
has "$OUT" "C        172.16.5.0/24 is directly connected, GigabitEthernet0/0" ||
	diag "$OUT $(cat "$T_DIR/ssh.err")"
check "connected subnets listed" has "$OUT" "C        172.16.6.0/24 is directly connected, GigabitEthernet0/1"
dev_ssh "pass word one" ann@net/edge "sh ip int br | include Gig"
check "abbreviations and a pipe filter" [ "$(grep -c '^GigabitEthernet0/[01] .*172.16.[56].1 .* up *up' <<<"$OUT")" = 2 ]

# An interactive session through a PTY: configure a static route.
askpass "pass word one"
cat >session.exp <<EXP
set timeout 15
spawn ssh ${SSH_OPTS[*]} -tt -l ann@tx/net/edge 127.0.0.1
expect {
	"edge#" {}
	timeout { puts "NO-PROMPT"; exit 2 }
}
send "conf t\r"
expect "edge(config)#"
send "ip route 10.77.0.0 255.255.0.0 172.16.6.20\r"
expect "edge(config)#"
send "end\r"
expect "edge#"
send "show ip route 10.77.0.0/16\r"
expect "edge#"
send "show running-config | include ip route\r"
expect "edge#"
send "sh ip ro ?"
expect "edge#sh ip ro "
send "\x15exit\r"
expect eof
EXP
SSH_ASKPASS="$T_DIR/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none timeout 40 expect -f session.exp >session.out 2>&1
RC=$?
check "interactive session through a PTY (expect)" [ "$RC" = 0 ]
check "the static route is in show ip route" grep -q "S        10.77.0.0/16 \[1/0\] via 172.16.6.20" session.out
check "... and in the running configuration" grep -q "^ip route 10.77.0.0 255.255.0.0 172.16.6.20" session.out
check "? lists what may follow" grep -q "A.B.C.D/M" session.out || diag "$(tail -20 session.out)"
onm_run get routes -o json
check "the route is in the REST API (onm get routes)" has "$OUT" "10.77.0.0/16"

# The data plane forwards by it: 10.77.1.1 via be2 (be2 answers nothing there, but
# the frame reaches be2's port: its counter grows).
before=$(curl -s "$CTL_URL/v1/agents/hb" | jq '.counters.ports["tx/net/be2"].tx_packets // 0')
lx fe1 ping -c 3 -W 0.3 10.77.1.1 >/dev/null 2>&1
sleep 1.5
after=$(curl -s "$CTL_URL/v1/agents/hb" | jq '.counters.ports["tx/net/be2"].tx_packets // 0')
check "frames for 10.77.0.0/16 reach the next hop be2 ($before -> $after)" [ "$after" -ge $((before + 3)) ]

# `show interfaces` counters are the agents' sums and grow by the packets a ping sent.
in_packets() {
	dev_ssh "pass word two" vic@net/edge "show interfaces GigabitEthernet0/0"
	sed -n 's/^ *\([0-9]*\) packets input.*/\1/p' <<<"$OUT"
}
c0=$(in_packets)
lx fe1 ping -c 20 -i 0.05 -W 1 172.16.6.10 >ping.out 2>&1
sleep 1.5
c1=$(in_packets)
check "show interfaces: packets input grew by the 20 pings ($c0 -> $c1)" [ "${c1:-0}" -ge $((${c0:-999999} + 20)) ]

# `clear counters` (an operator may): show interfaces counts from then on, the agents' totals
# go on underneath.
dev_ssh "pass word one" ann@net/edge "clear counters GigabitEthernet0/0"
check "clear counters: no output, status 0" [ "$RC$OUT" = 0 ]
dev_ssh "pass word two" vic@net/edge "show interfaces GigabitEthernet0/0 | include clearing"
check "show interfaces: 'Last clearing' is now" has "$OUT" 'Last clearing of "show interface" counters 00:00:0'
c2=$(in_packets)
lx fe1 ping -c 20 -i 0.05 -W 1 172.16.6.10 >ping2.out 2>&1
sleep 1.5
c3=$(in_packets)
check "... and counts the next 20 pings from the clearing ($c2 -> $c3, total was $c1)" \
	between "$c3" $((${c2:-999999} + 20)) $((${c1:-0} + 19))

# `clear line`: a session in a PTY (vic) is ended by another's clear line vty N (ann).
askpass "pass word two"
cat >victim.exp <<EXP
set timeout 15
spawn ssh ${SSH_OPTS[*]} -tt -l vic@net/edge 127.0.0.1
expect {
	"edge>" {}
	timeout { puts "NO-PROMPT"; exit 2 }
}
puts "VICTIM-READY"
set timeout 30
expect {
	eof { puts "VICTIM-CLOSED"; exit 0 }
	timeout { puts "NOT-CLOSED"; exit 3 }
}
EXP
SSH_ASKPASS="$T_DIR/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none timeout 50 expect -f victim.exp >victim.out 2>&1 &
VICTIM=$!
wait_for victim.out VICTIM-READY 100
dev_ssh "pass word one" ann@net/edge "show users"
vty=$(sed -n 's/^ *[0-9]* vty \([0-9]*\) *vic .*/\1/p' <<<"$OUT")
check "show users lists vic's session (vty ${vty:-none})" [ -n "$vty" ] || diag "$OUT"
dev_ssh "pass word one" ann@net/edge "clear line vty ${vty:-99}"
check "clear line vty $vty: [OK]" has "$OUT" '^ \[OK\]$'
wait "$VICTIM"
check "... and vic's ssh ended" grep -q VICTIM-CLOSED victim.out || diag "$(tail -5 victim.out)"

# A viewer's configure terminal is denied and audited.
dev_ssh "pass word two" vic@net/edge "configure terminal"
check "viewer: configure terminal is denied" has "$OUT" "% Permission denied"
check "... with exit status 1" [ "$RC" = 1 ]
dev_ssh "pass word one" ann@net/edge "show logging audit | include vic"
check "show logging audit has the denied command" has "$OUT" "denied \"configure terminal\""

# Wrong passwords are refused and logged.
dev_ssh "wrong" ann@net/edge "show version"
check "a wrong password is refused" [ "$RC" = 255 ]
check "... and logged" bash -c "curl -s '$CTL_URL/v1/audit' | jq -e '[.items[] | select(.verdict == \"login_failed\")] | length > 0' >/dev/null"

# `onm console`: a one-time ticket from the API, the session on the local terminal.
OUT=$(printf 'show version\nexit\n' | timeout 30 "$ONM_BIN" --controller "$CTL_URL" console tx/net/edge 2>&1)
check "onm console runs commands" has "$OUT" "onm Virtual Router Software"

# `exec-timeout 0 1`: after a second without input the session asks for the password
# again, and runs commands once it has it. The setting is ann's in the model.
askpass "pass word one"
cat >idle.exp <<EXP
set timeout 15
spawn ssh ${SSH_OPTS[*]} -tt -l ann@net/edge 127.0.0.1
expect {
	"edge#" {}
	timeout { puts "NO-PROMPT"; exit 2 }
}
send "configure terminal\r"
expect "edge(config)#"
send "exec-timeout 0 1\r"
expect "edge(config)#"
send "end\r"
expect "edge#"
set timeout 5
expect {
	"Password: " {}
	timeout { puts "NO-RELOGIN"; exit 3 }
}
send "pass word one\r"
expect {
	"edge#" {}
	timeout { puts "NO-PROMPT-AFTER-RELOGIN"; exit 4 }
}
send "configure terminal\r"
expect "edge(config)#"
send "no exec-timeout\r"
expect "edge(config)#"
send "end\r"
expect "edge#"
send "exit\r"
expect eof
EXP
SSH_ASKPASS="$T_DIR/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none timeout 40 expect -f idle.exp >idle.out 2>&1
RC=$?
check "an idle session must log in again (exec-timeout 0 1)" [ "$RC" = 0 ] || diag "$(tail -20 idle.out)"
check "... after '% Session idle, log in again'" grep -q "Session idle, log in again" idle.out
dev_ssh "pass word one" ann@net/edge "show running-config | include exec-timeout"
check "... and exec-timeout is back to its default" [ -z "$OUT" ]

# A JunOS-style user sees JunOS output.
dev_ssh "pass word three" jun@net/edge "show route"
check "junos: show route" has "$OUT" "inet.0: " || diag "$OUT"
check "... with JunOS names and protocols" has "$OUT" ">  via ge-0/0/1.0"

# Public key login (the topology file's key; no password tried).
OUT=$(timeout 30 ssh -p "$PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	-o LogLevel=ERROR -o PreferredAuthentications=publickey -o IdentitiesOnly=yes \
	-o BatchMode=yes -i "$T_DIR/kay_key" -l kay@net/edge 127.0.0.1 "show version" 2>&1 </dev/null)
RC=$?
check "public key login (kay)" [ "$RC" = 0 ] || diag "$OUT"

# `traffic-shape rate` at the CLI: a token bucket in the agents on what leaves the
# router through GigabitEthernet0/1; iperf3 from fe1 to be1 stays within 10% of it.
# iperf3_rate: bits per second fe1 -> be1 (TCP, 5 s after the first, slow start, is
# left out), or nothing. Cubic, not the machine's default (BBR probes past a policer), on a
# 10 ms round trip: at 1 ms even two segments per round trip exceed 10 Mbit/s
# (lab-router-features.sh measures the same).
iperf3_rate() {
	local out
	lx_bg "$T_DIR/iperf-s.out" be1 iperf3 -s -1 -p 5201 --forceflush
	wait_for "$T_DIR/iperf-s.out" "Server listening" 50 || sleep 1
	out=$(lx fe1 iperf3 -c 172.16.6.10 -p 5201 -t 5 -O 1 -C cubic -J 2>/dev/null)
	wait "$BG_PID" 2>/dev/null
	jq -r '.end.sum_received.bits_per_second // empty' <<<"$out" 2>/dev/null | cut -d. -f1
}
askpass "pass word one"
OUT=$(printf 'configure terminal\ninterface gi0/1\ntraffic-shape rate 10000000\nend\nshow running-config | include traffic-shape\n' |
	SSH_ASKPASS="$T_DIR/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none \
		timeout 30 ssh "${SSH_OPTS[@]}" -l ann@net/edge 127.0.0.1 2>&1)
check "traffic-shape rate 10000000 at the CLI" has "$OUT" " traffic-shape rate 10000000"
sleep 1
rate=$(iperf3_rate)
# 85% with sanitizers (slower agents), as lab-router-features.sh.
floor=9000000
[ -n "$T_SANITIZED" ] && floor=8500000
check "iperf3 through the router within 10% of 10 Mbit/s, floor $floor (${rate:-none} bit/s)" \
	between "$rate" "$floor" 11000000
OUT=$(printf 'configure terminal\ninterface gi0/1\nno traffic-shape rate\nend\n' |
	SSH_ASKPASS="$T_DIR/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none \
		timeout 30 ssh "${SSH_OPTS[@]}" -l ann@net/edge 127.0.0.1 2>&1)
sleep 1
rate=$(iperf3_rate)
check "without it, iperf3 goes faster than 20 Mbit/s (${rate:-none} bit/s)" \
	between "$rate" 20000001 100000000000

# Running vs startup configuration across a controller restart. write memory saves
# the running configuration: 10.77.0.0/16 (added above) and 10.88.0.0/16; 10.89.0.0/16 is
# added after it. The lab's supervisor restarts the controller we kill (its pid only).
OUT=$(printf 'configure terminal\nip route 10.88.0.0 255.255.0.0 172.16.6.20\nend\nwrite memory\nconfigure terminal\nip route 10.89.0.0 255.255.0.0 172.16.6.20\nend\n' |
	SSH_ASKPASS="$T_DIR/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none \
		timeout 30 ssh "${SSH_OPTS[@]}" -l ann@net/edge 127.0.0.1 2>&1)
check "write memory at the CLI" has "$OUT" "\[OK\]"
onm_run get routes -o json
check "before the restart, all three routes are running" \
	has_all "$OUT" 10.77.0.0/16 10.88.0.0/16 10.89.0.0/16
check "the supervisor restarted the controller" lab_restart_controller
diag "controller ${CTL_OLD:-none} -> ${CTL_NEW:-none}"
onm_run get routes -o json
check "after the restart: the saved routes are there" has_all "$OUT" 10.77.0.0/16 10.88.0.0/16
check "... the route added after write memory is gone" lacks "$OUT" "10.89.0.0/16"
dev_ssh "pass word one" ann@net/edge "show running-config | include ip route"
check "show running-config after the restart" [ "$OUT" = "ip route 10.77.0.0 255.255.0.0 172.16.6.20
ip route 10.88.0.0 255.255.0.0 172.16.6.20" ] || diag "$OUT"
dev_ssh "pass word one" ann@net/edge "show startup-config | include ip route"
check "... and it is the startup configuration" [ "$(grep -c '^ip route' <<<"$OUT")" = 2 ]

# A router's own listen address selects it, whatever the login names.
askpass "pass word one"
OUT=$(SSH_ASKPASS="$T_DIR/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none \
	timeout 30 ssh "${SSH_OPTS[@]:2}" -p "$ZZ_PORT" -l ann 127.0.0.1 "show version" 2>&1 </dev/null)
check "ssh_listen: a session on zz's own address reaches zz" has "$OUT" "^zz uptime is"

done_testing
