#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Security groups in a lab, with the semantics of spec.md's example: db accepts tcp/5432
# only from members of group web and icmp from 10.1.0.0/16; web accepts tcp/80 from
# anywhere and icmp from 10.1.0.0/16; an instance without groups accepts everything from
# its own VN; egress is open; replies of allowed flows pass (stateful). Real clients (nc,
# ping) across hosts and through the VN's router. Prints TAP.

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
  links:
    - {a: h1, b: h2, latency: 1ms, bandwidth: 1gbit}
    - {a: h2, b: h3, latency: 1ms, bandwidth: 1gbit}
tenants:
  - name: acme
    networks:
      - name: blue
        subnets:
          - {name: web, cidr: 10.1.1.0/24}
          - {name: db, cidr: 10.1.2.0/24}
          - {name: ext, cidr: 10.2.0.0/24}
        routers:
          - name: r1
            interfaces:
              - {name: GigabitEthernet0/0, subnet: web, ip: 10.1.1.1}
              - {name: GigabitEthernet0/1, subnet: db, ip: 10.1.2.1}
              - {name: GigabitEthernet0/2, subnet: ext, ip: 10.2.0.1}
        security_groups:
          - name: web
            rules:
              - {dir: in, proto: tcp, ports: 80, from: 0.0.0.0/0}
              - {dir: in, proto: icmp, from: 10.1.0.0/16}
          - name: db
            rules:
              - {dir: in, proto: tcp, ports: 5432, from_group: web}
              - {dir: in, proto: icmp, from: 10.1.0.0/16}
        instances:
          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10, security_groups: [web]}
          - {name: app1, subnet: web, host: h2, ip: 10.1.1.20}
          - {name: db1, subnet: db, host: h3, ip: 10.1.2.10, security_groups: [db]}
          - {name: x1, subnet: ext, host: h2, ip: 10.2.0.10}
EOF

lab_up topo.yaml
if [ "$RC" = 0 ]; then
	ok "lab up"
else
	not_ok "lab up (exit $RC)"
	show_run
	bail "the lab did not come up"
fi

# tcp SRC DST_INSTANCE DST_IP PORT: a listener on DST; SRC connects and sends a line,
# the listener answers with a line (the reply of the flow). Prints "sent" when the
# listener got SRC's line and "answered" when SRC got the listener's.
tcp() {
	local src=$1 dst=$2 ip=$3 port=$4 srv got
	rm -f "srv.$port" "cli.$port"
	echo "answer $$" >"answer.$port"
	lx_bg "srv.$port" "$dst" sh -c "timeout 6 nc -l $port <$T_DIR/answer.$port"
	srv=$BG_PID
	sleep 0.3
	echo "hello $$" | lx "$src" timeout 5 nc -w 2 "$ip" "$port" >"cli.$port" 2>/dev/null
	kill -TERM "$srv" 2>/dev/null
	wait_gone "$srv" 30
	got=""
	grep -q "hello $$" "srv.$port" 2>/dev/null && got="sent"
	grep -q "answer $$" "cli.$port" 2>/dev/null && got="$got answered"
	echo "$got"
}

pings() { # SRC DST_IP: "ok" when the ping is answered
	lx "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 && echo ok
}

# Warm every path up (ARP, the agents' views) so that a drop below is the ACL's.
for pair in web1:10.1.1.1 app1:10.1.1.1 db1:10.1.2.1 x1:10.2.0.1; do
	lx "${pair%%:*}" ping -c 1 -W 2 "${pair#*:}" >/dev/null 2>&1
done

r=$(tcp web1 db1 10.1.2.10 5432)
check "tcp/5432 web1 -> db1 passes (from_group web) [$r]" has "$r" '^sent'
check "the reply of the allowed flow reaches web1 (stateful) [$r]" has "$r" 'answered$'
r=$(tcp app1 db1 10.1.2.10 5432)
check "tcp/5432 app1 -> db1 is dropped (app1 is not in group web) [$r]" test -z "$r"
r=$(tcp x1 db1 10.1.2.10 5432)
check "tcp/5432 x1 -> db1 is dropped [$r]" test -z "$r"
r=$(tcp web1 db1 10.1.2.10 5433)
check "tcp/5433 web1 -> db1 is dropped (only 5432 is open) [$r]" test -z "$r"

r=$(tcp x1 web1 10.1.1.10 80)
check "tcp/80 x1 -> web1 passes (from 0.0.0.0/0), with its reply [$r]" test "$r" = "sent answered"
r=$(tcp app1 web1 10.1.1.10 22)
check "tcp/22 app1 -> web1 is dropped [$r]" test -z "$r"

check "icmp web1 -> db1 passes (from 10.1.0.0/16)" test "$(pings web1 10.1.2.10)" = ok
check "icmp app1 -> db1 passes (from 10.1.0.0/16)" test "$(pings app1 10.1.2.10)" = ok
check "icmp x1 -> db1 is dropped (10.2.0.10 is outside 10.1.0.0/16)" test -z "$(pings x1 10.1.2.10)"
check "icmp x1 -> web1 is dropped" test -z "$(pings x1 10.1.1.10)"
check "icmp db1 -> x1 passes (egress open, x1 has no groups)" test "$(pings db1 10.2.0.10)" = ok

r=$(tcp db1 app1 10.1.1.20 7777)
check "tcp db1 -> app1 passes (app1 has no groups: all from its VN), with its reply [$r]" \
	test "$r" = "sent answered"
r=$(tcp x1 app1 10.1.1.20 7778)
check "tcp x1 -> app1 passes [$r]" test "$r" = "sent answered"

done_testing
