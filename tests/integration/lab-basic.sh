#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# 'onm lab' end to end on a small topology of its own: up builds the namespaces, the
# shaped links and the routes the data-plane contract names; status lists them; real
# clients inside the instances: same-subnet ping across hosts (through a transit host),
# routed ping through the VN's router, traceroute showing exactly the router, TTL on
# arrival one less than sent (captured in the destination), TCP and UDP with the data
# checked end to end; an agent killed with SIGKILL is restarted by the supervisor and
# traffic resumes within 2 s; down removes every namespace and process. Prints TAP.

# shellcheck source=tests/integration/lab/lib.sh
. "$(dirname "$0")/lab/lib.sh"

lab_setup
cd "$T_DIR" || bail "cannot enter $T_DIR"

cat >topo.yaml <<'EOF'
substrate:
  hosts:
    - {name: h1}
    - {name: h2}
    - {name: h3}
    - {name: h4}
  links:
    - {a: h1, b: h2, latency: 2ms, bandwidth: 200mbit, cost: 1}
    - {a: h2, b: h3, latency: 1ms, bandwidth: 1gbit}
    - {a: h3, b: h4, latency: 5ms, bandwidth: 10mbit, loss: 0.1%}
tenants:
  - name: acme
    networks:
      - name: blue
        vni: 5001
        subnets:
          - {name: web, cidr: 10.1.1.0/24}
          - {name: db, cidr: 10.1.2.0/24}
        routers:
          - name: r1
            interfaces:
              - {name: GigabitEthernet0/0, subnet: web, ip: 10.1.1.1}
              - {name: GigabitEthernet0/1, subnet: db, ip: 10.1.2.1}
        instances:
          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10}
          - {name: web2, subnet: web, host: h3, ip: 10.1.1.11}
          - {name: db1, subnet: db, host: h3, ip: 10.1.2.10}
EOF

# A file error is reported with its place before anything is built.
printf 'substrate:\n  hosts:\n    - {name: h1, colour: red}\n' >bad.yaml
lab_up bad.yaml
check "up refuses a bad file (exit $RC)" test "$RC" = 1
check "the message names file, line and key" has "$ERR" 'bad\.yaml:3:[0-9]+:.*colour'
check "nothing was built for it" test -z "$(lab_namespaces)" -a ! -e "$LAB_STATE/lab.json"

lab_up topo.yaml
if [ "$RC" = 0 ]; then
	ok "lab up"
else
	not_ok "lab up (exit $RC)"
	show_run
	[ -f "$LAB_STATE/supervisor.log" ] && diag "$(tail -n 20 "$LAB_STATE"/*.log)"
	bail "the lab did not come up"
fi
diag "$OUT"
check "progress: namespaces" has "$OUT" '^lab: namespace h1 \(onm-'"$LAB"'-h1, 198\.19\.0\.[0-9]+\) \.\.\. ok'
check "progress: links" has "$OUT" '^lab: link h1-h2 \(ul0\) 2ms 200mbit \.\.\. ok'
check "progress: agents" has "$OUT" '^lab: agent h1 \.\.\. ok \(pid [0-9]+\)'
check "progress: addresses" has "$OUT" '^lab: web1 got 10\.1\.1\.10/24 via 10\.1\.1\.1 \.\.\. ok'

# Namespaces: one per host, one per instance.
for ns in h1 h2 h3 h4 i.acme.blue.web1 i.acme.blue.web2 i.acme.blue.db1; do
	check "namespace onm-$LAB-$ns exists" test -e "/run/netns/onm-$LAB-$ns"
done

# Links: ulN by sorted link id (h1/h2 -> ul0, h2/h3 -> ul1, h3/h4 -> ul2), a route to the peer's
# address over it with our own address as source.
h1=onm-$LAB-h1 h2=onm-$LAB-h2 h3=onm-$LAB-h3
a1=$(ip -n "$h1" -4 -o addr show dev lo | awk '$4 != "127.0.0.1/8" {print $4}')
a2=$(ip -n "$h2" -4 -o addr show dev lo | awk '$4 != "127.0.0.1/8" {print $4}')
check "h1's address on lo is a /32 ($a1)" has "$a1" '^198\.19\.0\.[0-9]+/32$'
check "h2 has ul0 and ul1" test -n "$(ip -n "$h2" link show ul0 2>/dev/null)" -a \
	-n "$(ip -n "$h2" link show ul1 2>/dev/null)"
check "h1 has ul0 only" test -n "$(ip -n "$h1" link show ul0 2>/dev/null)" -a \
	-z "$(ip -n "$h1" link show ul1 2>/dev/null)"
route=$(ip -n "$h1" route get "${a2%/32}" 2>&1 | head -n 1)
check "h1 reaches h2's address over ul0 from its own ($route)" \
	has "$route" "dev ul0 src ${a1%/32}"
check "h1 and h3 are not neighbours" test -z "$(ip -n "$h1" route show | grep -v ul0)"
check "h3 has ul1 and ul2" test -n "$(ip -n "$h3" link show ul1 2>/dev/null)" -a \
	-n "$(ip -n "$h3" link show ul2 2>/dev/null)"

# Shaping, both ends: tbf at the link's rate; netem with its latency and loss where the
# kernel has netem.
for ns in "$h1" "$h2"; do
	q=$(tc -n "$ns" qdisc show dev ul0)
	check "tbf 200Mbit on ul0 in ${ns#onm-"$LAB"-}" has "$q" 'tbf .*rate 200Mbit'
done
q=$(tc -n "$h3" qdisc show dev ul1)
check "tbf 1Gbit on ul1 in h3" has "$q" 'tbf .*rate 1Gbit'
lab status
check "status exits 0" test "$RC" = 0
# Latency in the RTT: web1 -> web2 crosses h1-h2 (2ms) and h2-h3 (1ms) each way.
min_rtt_ms=6
if has "$OUT" 'h1-h2 +ul0 +2ms +200mbit +0% +up +netem\+tbf'; then
	q=$(tc -n "$h1" qdisc show dev ul0)
	check "netem delay 2ms on ul0" has "$q" 'netem .*delay 2ms'
	q=$(tc -n "$h3" qdisc show dev ul2)
	check "netem delay 5ms loss 0.1% on ul2" has "$q" 'netem .*delay 5ms loss 0\.1%'
elif has "$OUT" 'h1-h2 +ul0 +2ms +200mbit +0% +up +delayline\+tbf'; then
	# No netem in this kernel: NFQUEUE to the lab's delay line, loss by iptables.
	r=$(ip netns exec "$h1" iptables -t mangle -S POSTROUTING)
	check "ul0 in h1 queues to the delay line" has "$r" '^-A POSTROUTING -o ul0 -j NFQUEUE --queue-num 0 --queue-bypass'
	r=$(ip netns exec "$h3" iptables -t mangle -S POSTROUTING)
	check "ul2 in h3 drops 0.1% and queues to the delay line" \
		test -n "$(grep -E '^-A POSTROUTING -o ul2 -m statistic --mode random --probability 0\.00(1|099)' <<<"$r")" \
		-a -n "$(grep -E '^-A POSTROUTING -o ul2 -j NFQUEUE --queue-num 2' <<<"$r")"
	check "status: the delay line runs" has "$OUT" '^  delay line +pid [0-9]+ running'
else
	not_ok "links shaped by netem or the delay line (status: $(grep -E '^  h1-h2 ' <<<"$OUT"))"
fi

# Status: what runs where.
diag "$OUT"
check "status: the controller runs" has "$OUT" "controller +http://127\.0\.0\.1:$LAB_PORT +pid [0-9]+ running"
check "status: an agent per host" test "$(grep -cE '^  h[1234] .* pid [0-9]+ running' <<<"$OUT")" = 4
check "status: the links" has "$OUT" '^  h3-h4 +ul2 +5ms +10mbit +0\.1% +up'
check "status: instances with addresses and eth0" \
	has "$OUT" "^  acme/blue/db1 +h3 +10\.1\.2\.10/24 +onm-$LAB-i\.acme\.blue\.db1 +eth0 up"

mac=$(mac_of web1)
check "web1's eth0 carries its MAC ($mac)" has "$mac" '^[0-9a-f:]{17}$'
out=$(lx web1 ip -4 route show default)
check "web1's default route is r1 ($out)" has "$out" 'default via 10\.1\.1\.1 dev eth0'

out=$(lx web1 ping -c 3 -i 0.2 -W 2 10.1.1.11 2>&1)
check "same-subnet ping across hosts (web1 on h1 -> web2 on h3, via h2)" \
	has "$out" ' 0% packet loss'
rtt=$(sed -nE 's|^rtt min/avg/max/mdev = ([0-9.]+)/.*|\1|p' <<<"$out")
check "the links' latency is in the RTT (min ${rtt:-?} ms >= $min_rtt_ms ms)" \
	awk -v r="${rtt:-0}" -v m="$min_rtt_ms" 'BEGIN { exit !(r >= m && r < m + 20) }'
out=$(lx web1 ping -c 3 -i 0.2 -W 2 10.1.2.10 2>&1)
check "routed ping through r1 (web1 -> db1)" has "$out" ' 0% packet loss'
check "the reply crossed r1 once (ttl=63)" has "$out" 'ttl=63'

out=$(lx web1 traceroute -n -q 1 -w 2 -m 6 10.1.2.10 2>&1)
diag "$out"
hops=$(grep -cE '^ *[0-9]+ ' <<<"$out")
check "traceroute: first hop is r1" has "$out" '^ *1 +10\.1\.2\.1 |^ *1 +10\.1\.1\.1 '
check "traceroute: db1 is the second and last hop ($hops hops)" \
	test "$hops" = 2 -a -n "$(grep -E '^ *2 +10\.1\.2\.10 ' <<<"$out")"

# TTL on arrival: sent with 50, seen in db1 with 49 (one router); in web2 with
# 50 (same subnet: no router).
capture_start cap-db1.pcap db1 icmp and src 10.1.1.10
cap=$BG_PID
lx web1 ping -c 1 -t 50 -W 2 10.1.2.10 >/dev/null 2>&1
sleep 0.3
capture_stop "$cap"
out=$(tcpdump -n -v -r cap-db1.pcap 2>/dev/null)
check "routed: sent with TTL 50, arrives with 49" has "$out" 'ttl 49,'
capture_start cap-web2.pcap web2 icmp and src 10.1.1.10
cap=$BG_PID
lx web1 ping -c 1 -t 50 -W 2 10.1.1.11 >/dev/null 2>&1
sleep 0.3
capture_stop "$cap"
out=$(tcpdump -n -v -r cap-web2.pcap 2>/dev/null)
check "same subnet: sent with TTL 50, arrives with 50" has "$out" 'ttl 50,'

# TCP: 2 MB of random data to db1 and its checksum back.
head -c 2000000 /dev/urandom >data
lx_bg tcp-server.out db1 sh -c "exec nc -l 9000 >$T_DIR/received"
srv=$BG_PID
sleep 0.3
lx web1 timeout 20 nc -N -w 5 10.1.2.10 9000 <data 2>&1
wait_gone "$srv" 100
check "tcp: 2 MB across hosts and r1, byte for byte" cmp -s data received

# UDP: one datagram, checked.
lx_bg udp-server.out web2 timeout 5 nc -u -l -W 1 9001
srv=$BG_PID
sleep 0.3
echo "onm udp $$" | lx web1 nc -u -w 1 10.1.1.11 9001
wait_gone "$srv" 60
check "udp: the datagram arrives as sent" has "$(cat udp-server.out)" "^onm udp $$\$"

# Agent restart: SIGKILL h3's agent; the supervisor restarts it and web1 -> db1
# works again within 2 s.
agent=$(sed -nE '/"agent h3"/,/}/ s/.*"pid": *([0-9]+).*/\1/p' "$LAB_STATE/pids.json" | head -n 1)
check "h3's agent pid is known ($agent)" test -n "$agent"
kill -KILL "$agent" 2>/dev/null
resumed=$(resumes_within 5000 web1 10.1.2.10)
check "traffic resumes after SIGKILL of an agent (${resumed:-no} ms)" \
	test -n "$resumed" -a "${resumed:-9999}" -lt 2000
lab status
check "status shows the restart" has "$OUT" '^  h3 .* pid [0-9]+ running, 1 restart'
check "the new agent is another process" test -z "$(grep -F " pid $agent " <<<"$OUT")"

# Ports lost with their agent (every process of h1 killed, so nothing keeps the
# TAP): the new agent makes a new TAP in h1's namespace and the supervisor plugs
# it back into web1 as eth0 with web1's leased address.
for pid in $(ip netns pids "$h1"); do
	kill -KILL "$pid" 2>/dev/null
done
resumed=$(resumes_within 5000 web1 10.1.2.10)
check "a lost port is plugged back and traffic resumes (${resumed:-no} ms)" \
	test -n "$resumed" -a "${resumed:-9999}" -lt 3000
check "the supervisor says so" grep -q 'acme/blue/web1: port onm[0-9a-f]* re-plugged as eth0' \
	"$LAB_STATE/supervisor.log"
[ -z "$resumed" ] && diag "$(tail -n 8 "$LAB_STATE/supervisor.log" "$LAB_STATE/agent-h1.log")"
out=$(lx web1 ip -4 -o addr show dev eth0 2>&1)
check "web1 has its address again" has "$out" 'inet 10\.1\.1\.10/24'
out=$(lx web1 ip -4 route show default)
check "... and its default route" has "$out" 'default via 10\.1\.1\.1'


# exec passes the exit status through and finds instances by unique name.
lx web1 sh -c 'exit 7'
check "exec passes the exit status through" test "$?" = 7
lx nosuch true 2>/dev/null
check "exec of an unknown instance fails" test "$?" = 1

# One lab per name: a second 'up' is refused while this one runs.
lab_up topo.yaml
check "up refuses a lab that is already up (exit $RC)" test "$RC" = 1
check "... saying so" has "$ERR" "lab $LAB is already up"

# Down after a crash: the supervisor dies with SIGKILL and leaves its services running
# on their own; down still finds and stops every one of them.
pids=$(pids_of_lab)
sup=$(sed -nE '/"supervisor"/,/}/ s/.*"pid": *([0-9]+).*/\1/p' "$LAB_STATE/lab.json" | head -n 1)
kill -KILL "$sup" 2>/dev/null
wait_gone "$sup" 50
lab status
check "status after a supervisor crash says so" has "$OUT" "supervisor +pid $sup not running"
lab down
check "down exits 0" test "$RC" = 0
diag "$OUT"
check "no namespace of the lab is left" test -z "$(lab_namespaces)"
left=
for pid in $pids; do
	alive "$pid" && left="$left $pid"
done
check "no process of the lab is left${left:+ (left:$left)}" test -z "$left"
check "the state directory is gone" test ! -e "$LAB_STATE"
check "the API port is free again" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$LAB_PORT) 2>/dev/null"
lab down
check "down again is fine (exit $RC)" test "$RC" = 0

done_testing
