#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Tenant isolation in a lab: acme/blue and globex/red use the same subnet and the same
# addresses on the same hosts. Probes of every kind (ICMP, TCP, UDP, ARP, broadcast)
# from one tenant, to its own addresses and to addresses only the other tenant has,
# never reach the other tenant: a capture on each of the other tenant's instances holds
# zero frames that it did not send itself. Meanwhile each tenant's own traffic flows,
# and a capture on a same-tenant instance sees the probes (the capture works). Prints TAP.

# shellcheck source=tests/integration/lab/lib.sh
. "$(dirname "$0")/lab/lib.sh"

lab_setup
cd "$T_DIR" || bail "cannot enter $T_DIR"

cat >topo.yaml <<'EOF'
substrate:
  hosts:
    - {name: h1}
    - {name: h2}
  links:
    - {a: h1, b: h2, latency: 1ms, bandwidth: 1gbit}
tenants:
  - name: acme
    networks:
      - name: blue
        subnets: [{name: main, cidr: 10.1.1.0/24}]
        instances:
          - {name: a1, subnet: main, host: h1, ip: 10.1.1.10}
          - {name: a2, subnet: main, host: h2, ip: 10.1.1.20}
          - {name: a3, subnet: main, host: h2, ip: 10.1.1.40}
  - name: globex
    networks:
      - name: red
        subnets: [{name: main, cidr: 10.1.1.0/24}]
        instances:
          - {name: g1, subnet: main, host: h1, ip: 10.1.1.10}
          - {name: g2, subnet: main, host: h2, ip: 10.1.1.20}
          - {name: g3, subnet: main, host: h2, ip: 10.1.1.30}
EOF

lab_up topo.yaml
if [ "$RC" = 0 ]; then
	ok "lab up with two tenants on the same addresses"
else
	not_ok "lab up (exit $RC)"
	show_run
	bail "the lab did not come up"
fi

# probe SRC: every kind of probe from instance SRC, to its own tenant's addresses and
# to the address only the other tenant has (10.1.1.30 is globex's, 10.1.1.40 acme's).
probe() {
	local src=$1 addr
	local -a jobs=()
	# One address at a time per kind would take a second per unanswered probe:
	# the kinds run side by side (each bounded by its own timeout).
	for addr in 10.1.1.20 10.1.1.30 10.1.1.40 10.1.1.99; do
		lx "$src" ping -c 1 -W 1 "$addr" >/dev/null 2>&1 &
		jobs+=($!)
		lx "$src" nc -z -w 1 "$addr" 22 >/dev/null 2>&1 &
		jobs+=($!)
		lx "$src" nc -z -w 1 "$addr" 80 >/dev/null 2>&1 &
		jobs+=($!)
		echo probe | lx "$src" nc -u -w 1 "$addr" 53 >/dev/null 2>&1 &
		jobs+=($!)
	done
	wait "${jobs[@]}"
	jobs=()
	# ARP: forget the neighbours, ask again.
	lx "$src" ip neigh flush dev eth0 >/dev/null 2>&1
	for addr in 10.1.1.20 10.1.1.30 10.1.1.40 10.1.1.99; do
		lx "$src" ping -c 1 -W 1 "$addr" >/dev/null 2>&1 &
		jobs+=($!)
	done
	lx "$src" ping -b -c 2 -i 0.2 -W 1 10.1.1.255 >/dev/null 2>&1 &
	jobs+=($!)
	echo broadcast | lx "$src" nc -u -b -w 1 10.1.1.255 9 >/dev/null 2>&1 &
	jobs+=($!)
	echo broadcast | lx "$src" nc -u -b -w 1 255.255.255.255 9 >/dev/null 2>&1 &
	jobs+=($!)
	wait "${jobs[@]}"
}

# Addresses and tenants of the instances.
declare -A IP=([a1]=10.1.1.10 [a2]=10.1.1.20 [a3]=10.1.1.40 [g1]=10.1.1.10 [g2]=10.1.1.20
	[g3]=10.1.1.30)

# quiet INSTANCE PEER...: the instance knows its peers' MACs for good, so that it sends
# no ARP of its own (whose answers would show up in its capture) during a probe.
quiet() {
	local inst=$1 peer
	shift
	for peer in "$@"; do
		lx "$inst" ip neigh replace "${IP[$peer]}" lladdr "$(mac_of "$peer")" nud permanent \
			dev eth0
	done
}

# isolation FROM_TENANT SRC SAME OTHERS...: captures on SAME (same tenant, must see the
# probes) and OTHERS (other tenant, must see nothing but what they send) while SRC probes.
isolation() {
	local tenant=$1 src=$2 same=$3 inst
	shift 3
	local -a caps=()
	capture_start "cap-$same.pcap" "$same" not ether src "$(mac_of "$same")"
	caps+=("$BG_PID")
	for inst in "$@"; do
		capture_start "cap-$inst.pcap" "$inst" not ether src "$(mac_of "$inst")"
		caps+=("$BG_PID")
	done
	probe "$src"
	sleep 0.5
	for pid in "${caps[@]}"; do
		capture_stop "$pid"
	done
	local n
	n=$(frames "cap-$same.pcap")
	check "$tenant probes reach their own instance $same ($n frames: the capture works)" \
		test "$n" -gt 0
	for inst in "$@"; do
		n=$(frames "cap-$inst.pcap")
		check "no frame of $tenant's probes reaches $inst ($n frames)" test "$n" = 0
		[ "$n" = 0 ] || diag "$(tcpdump -n -e -r "cap-$inst.pcap" 2>/dev/null | head -n 10)"
	done
}

out=$(lx a1 ping -c 2 -i 0.2 -W 1 10.1.1.20 2>&1)
check "acme: a1 -> a2 (same address as g1 -> g2) flows" has "$out" ' 0% packet loss'
out=$(lx g1 ping -c 2 -i 0.2 -W 1 10.1.1.20 2>&1)
check "globex: g1 -> g2 flows" has "$out" ' 0% packet loss'
out=$(lx a1 ping -c 1 -W 1 10.1.1.30 2>&1)
check "acme cannot reach globex's g3 (10.1.1.30)" has "$out" ' 100% packet loss'
out=$(lx g1 ping -c 1 -W 1 10.1.1.40 2>&1)
check "globex cannot reach acme's a3 (10.1.1.40)" has "$out" ' 100% packet loss'
out=$(lx a1 ip neigh show 10.1.1.30 2>&1)
check "a1 has no MAC for globex's 10.1.1.30 ($out)" test -z "$(grep lladdr <<<"$out")"

quiet a1 a2 a3
quiet a2 a1 a3
quiet a3 a1 a2
quiet g1 g2 g3
quiet g2 g1 g3
quiet g3 g1 g2
isolation acme a1 a2 g1 g2 g3
isolation globex g1 g2 a1 a2 a3

# TCP still flows in each tenant with the same addresses at once.
lx_bg acme.out a2 timeout 10 nc -l 7000
srv_a=$BG_PID
lx_bg globex.out g2 timeout 10 nc -l 7000
srv_g=$BG_PID
sleep 0.3
echo "acme $$" | lx a1 nc -N -w 2 10.1.1.20 7000
echo "globex $$" | lx g1 nc -N -w 2 10.1.1.20 7000
wait_gone "$srv_a" 50
wait_gone "$srv_g" 50
check "tcp to 10.1.1.20:7000 from acme reaches acme's a2 only" \
	test "$(cat acme.out)" = "acme $$"
check "tcp to 10.1.1.20:7000 from globex reaches globex's g2 only" \
	test "$(cat globex.out)" = "globex $$"

done_testing
