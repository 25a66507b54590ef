#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# A simulated router's own pings, traceroute and ARP table, with the real OpenSSH client
# against a lab (docs/dataplane.md, "Requests"): `ping` from the router reaches an
# instance on the other host over the substrate (its round trip is at least the link's
# two ways), as a viewer; `ping` to an address nobody has fails; `traceroute` to an
# instance behind a static route and a second router shows both hops; a ping that gets
# no answer is aborted with Ctrl-C in an interactive session; `show ip arp` lists the
# instances and the routers' addresses on the router's subnets; `show interfaces`
# counts the pings on the router's interface. Prints TAP.

# shellcheck source=tests/integration/lab/lib.sh
. "$(dirname "$0")/lab/lib.sh"
# shellcheck source=tests/integration/lab/device.sh
. "$(dirname "$0")/lab/device.sh"

lab_setup
cd "$T_DIR" || bail "cannot enter $T_DIR"
for tool in ssh expect; do
	command -v "$tool" >/dev/null || bail "$tool is not installed (scripts/deps.sh installs it)"
done

# front (fe1) is on ha, back (be1, quiet1) and far (far1) on hb; 5 ms between them.
# edge reaches far through core over transit; quiet1 answers no ping (its group lets in
# tcp/80 only).
cat >topo.yaml <<'YAML'
substrate:
  hosts:
    - {name: ha}
    - {name: hb}
  links:
    - {a: ha, b: hb, latency: 5ms, bandwidth: 1gbit, cost: 1}
tenants:
  - name: tp
    service_level: gold
    users:
      - {name: ann, role: admin, password: "pass word one"}
      - {name: vic, role: viewer, password: "pass word two"}
    networks:
      - name: net
        subnets:
          - {name: front, cidr: 172.16.5.0/24}
          - {name: back, cidr: 172.16.6.0/24}
          - {name: transit, cidr: 172.16.7.0/24}
          - {name: far, cidr: 172.16.8.0/24}
        routers:
          - name: edge
            interfaces:
              - {name: GigabitEthernet0/0, subnet: front, ip: 172.16.5.1}
              - {name: GigabitEthernet0/1, subnet: back, ip: 172.16.6.1}
              - {name: GigabitEthernet0/2, subnet: transit, ip: 172.16.7.1}
            routes:
              - {prefix: 172.16.8.0/24, via: 172.16.7.2}
          - name: core
            interfaces:
              - {name: GigabitEthernet0/0, subnet: transit, ip: 172.16.7.2}
              - {name: GigabitEthernet0/1, subnet: far, ip: 172.16.8.1}
            routes:
              - {prefix: 172.16.0.0/16, via: 172.16.7.1}
        security_groups:
          - name: webonly
            rules:
              - {dir: in, proto: tcp, ports: 80, from: 0.0.0.0/0}
        instances:
          - {name: fe1, subnet: front, host: ha, ip: 172.16.5.10}
          - {name: be1, subnet: back, host: hb, ip: 172.16.6.10}
          - {name: quiet1, subnet: back, host: hb, ip: 172.16.6.20, security_groups: [webonly]}
          - {name: far1, subnet: far, host: hb, ip: 172.16.8.10}
YAML

lab_up topo.yaml
[ "$RC" = 0 ] || bail "lab up failed: $ERR"
PORT=$LAB_SSH_PORT

device_ssh_setup "$PORT"

# out_has RE...: OUT has a line matching each extended regular expression.
# shellcheck disable=SC2317
out_has() {
	has_all "$OUT" "$@"
}
# as_vic COMMAND: the viewer on edge.
as_vic() {
	dev_ssh "pass word two" vic@net/edge "$1"
}

# The instances have their addresses (DHCP) once the lab is up; give the agents'
# views a moment to settle, bounded.
for ((i = 0; i < 50; i++)); do
	lx fe1 ping -c 1 -W 1 172.16.6.10 >/dev/null 2>&1 && break
	sleep 0.2
done

# 1-4: a viewer pings be1 (on hb) from edge's front interface: the probes go from ha,
# where front's traffic enters the router, across the 5 ms link and back.
as_vic "ping 172.16.6.10 source GigabitEthernet0/0"
check "ping: exec status 0" [ "$RC" = 0 ] || diag "$OUT $(cat "$T_DIR/ssh.err")"
check "ping reaches an instance on the other host" has_text "$OUT" "Success rate is 100 percent (5/5)"
check "... in IOS's words" has_text "$OUT" "Sending 5, 100-byte ICMP Echos to 172.16.6.10, timeout is 2 seconds:"
min=$(sed -n 's#.*round-trip min/avg/max = \([0-9]*\)/.*#\1#p' <<<"$OUT")
check "... over the substrate: round trip at least 2 x 5 ms (min $min ms)" [ "${min:-0}" -ge 9 ]
diag "$OUT"

# 5: the default source (the interface towards be1) and a repeat count.
as_vic "ping 172.16.6.10 repeat 3"
check "ping with repeat 3" has_text "$OUT" "Success rate is 100 percent (3/3)"

# 6-7: nobody has 172.16.6.99: the router says the host is unreachable.
as_vic "ping 172.16.6.99 repeat 2 timeout 1"
check "ping to an address nobody has fails" has_text "$OUT" "Success rate is 0 percent (0/2)"
check "... with the router's unreachables" out_has "^UU$"

# 8-11: traceroute to far1, behind edge's static route to core.
as_vic "traceroute 172.16.8.10"
check "traceroute: exec status 0" [ "$RC" = 0 ]
check "hop 1 is core" out_has '^ +1 172\.16\.7\.2 [0-9]+ msec [0-9]+ msec [0-9]+ msec'
check "hop 2 is far1" out_has '^ +2 172\.16\.8\.10 [0-9]+ msec [0-9]+ msec [0-9]+ msec'
check "... and no hop 3" bash -c "! grep -Eq '^ +3 ' <<<\"\$1\"" _ "$OUT"
diag "$OUT"

# 12-16: show ip arp: the router's own addresses (no age), the instances on its subnets,
# core's address on transit; far1 is on no subnet of edge.
as_vic "show ip arp"
check "show ip arp: header" has_text "$OUT" "Protocol  Address          Age (min)  Hardware Addr   Type   Interface"
check "... edge's own address" out_has '^Internet  172\.16\.5\.1 +- +[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}  ARPA   GigabitEthernet0/0$'
check "... the instances" out_has '^Internet  172\.16\.5\.10 +0 .* GigabitEthernet0/0$' \
	'^Internet  172\.16\.6\.10 +0 .* GigabitEthernet0/1$' '^Internet  172\.16\.6\.20 +0 .* GigabitEthernet0/1$'
check "... core on transit" out_has '^Internet  172\.16\.7\.2 .* GigabitEthernet0/2$'
check "... not far1 (on no subnet of edge)" bash -c "! grep -q '172\.16\.8\.10' <<<\"\$1\"" _ "$OUT"
diag "$OUT"

# 17-18: show interfaces counts the router's pings on the interface they leave and
# answers come in by.
counters() {
	dev_ssh "pass word one" ann@net/edge "show interfaces GigabitEthernet0/1"
	IN=$(sed -n 's/^ *\([0-9]*\) packets input.*/\1/p' <<<"$OUT")
	OUTP=$(sed -n 's/^ *\([0-9]*\) packets output.*/\1/p' <<<"$OUT")
}
counters
in0=${IN:-0} out0=${OUTP:-0}
as_vic "ping 172.16.6.10 repeat 20"
has_text "$OUT" "Success rate is 100 percent (20/20)" || diag "$OUT"
sleep 2.5 # two reports of each agent
counters
check "show interfaces: 20 more packets output ($out0 -> $OUTP)" [ "${OUTP:-0}" -ge $((out0 + 20)) ]
check "show interfaces: 20 more packets input ($in0 -> $IN)" [ "${IN:-0}" -ge $((in0 + 20)) ]

# 19-20: an interactive session: quiet1 answers nothing ('.' every second); Ctrl-C
# aborts the ping and the session goes on.
askpass "pass word two"
cat >session.exp <<EXP
set timeout 20
spawn ssh ${SSH_OPTS[*]} -tt -l vic@tp/net/edge 127.0.0.1
expect {
	"edge>" {}
	timeout { puts "NO-PROMPT"; exit 2 }
}
send "ping 172.16.6.20 repeat 100 timeout 1\r"
expect {
	"timeout is 1 seconds:" {}
	timeout { puts "NO-PING"; exit 3 }
}
expect {
	"." {}
	timeout { puts "NO-DOT"; exit 4 }
}
send "\x03"
expect {
	"edge>" {}
	timeout { puts "NO-PROMPT-AFTER-CTRL-C"; exit 5 }
}
send "show ip arp | include 172.16.6.10\r"
expect {
	"GigabitEthernet0/1" {}
	timeout { puts "NO-ARP"; exit 6 }
}
expect "edge>"
send "exit\r"
expect eof
EXP
SSH_ASKPASS="$T_DIR/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none timeout 60 expect -f session.exp >session.out 2>&1
RC=$?
check "Ctrl-C aborts a ping; the session goes on (expect)" [ "$RC" = 0 ] || diag "$(tail -20 session.out)"
check "... the ping had not ended by itself" bash -c "! grep -q 'Success rate' session.out"

done_testing
