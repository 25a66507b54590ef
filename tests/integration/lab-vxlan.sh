#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The wire format in a lab: tshark on a substrate link decodes the agents' packets as
# VXLAN (UDP 4789) with the network's VNI and the tenant's packet inside; and interop
# with the Linux kernel's VXLAN: a host declared 'vtep: kernel' is a vxlan device in its
# namespace, and onm instances and the instance behind it ping each other, on the same
# subnet and through the VN's router. Prints TAP.

# shellcheck source=tests/integration/lab/lib.sh
. "$(dirname "$0")/lab/lib.sh"

lab_setup
cd "$T_DIR" || bail "cannot enter $T_DIR"

cat >topo.yaml <<'EOF'
substrate:
  hosts:
    - {name: h1}
    - {name: h2}
    - {name: ext1, vtep: kernel}
  links:
    - {a: h1, b: h2, latency: 1ms, bandwidth: 1gbit}
    - {a: h2, b: ext1, latency: 1ms, bandwidth: 1gbit}
tenants:
  - name: acme
    networks:
      - name: blue
        vni: 4242
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
          - {name: web2, subnet: web, host: h2, ip: 10.1.1.20}
          - {name: db1, subnet: db, host: h1, ip: 10.1.2.10}
          - {name: legacy1, subnet: web, host: ext1, ip: 10.1.1.50}
EOF

lab_up topo.yaml
if [ "$RC" = 0 ]; then
	ok "lab up with a kernel VTEP host"
else
	not_ok "lab up (exit $RC)"
	show_run
	bail "the lab did not come up"
fi
check "progress: the kernel vtep" has "$OUT" "^lab: kernel vtep ext1: vx-4242 \(vni 4242\) via h2"

# The kernel side as the lab built it.
ext=onm-$LAB-ext1
d=$(ip -n "$ext" -d link show vx-4242 2>&1)
check "ext1 has vxlan vx-4242 on port 4789" has "$d" 'vxlan id 4242 local 198\.19\.[0-9.]+ .*dstport 4789'
check "vx-4242 does not learn" has "$d" 'nolearning'
fdb=$(bridge -n "$ext" fdb show dev vx-4242 2>&1)
a2=$(ip -n "onm-$LAB-h2" -4 -o addr show dev lo | awk '$4 != "127.0.0.1/8" {sub("/32", "", $4); print $4}')
check "broadcast goes to the neighbour h2 ($a2)" has "$fdb" "^00:00:00:00:00:00 dst $a2 self permanent"
check "a static FDB entry per other instance of the VN" \
	test "$(grep -c "dst $a2 self permanent" <<<"$fdb")" = 4
out=$(lx legacy1 ip -4 addr show dev eth0)
check "legacy1 has its address statically" has "$out" 'inet 10\.1\.1\.50/24'
check "no agent runs for ext1" test -z "$(sed -n '/"agent ext1"/p' "$LAB_STATE/pids.json")"

# Agent to agent, on h1's link to h2 (ul1: "ext1/h2" sorts before "h1/h2").
ip netns exec "onm-$LAB-h1" timeout 15 tshark -l -n -i ul1 -c 4 -f 'udp port 4789' \
	-T fields -e udp.srcport -e udp.dstport -e vxlan.vni -e ip.src -e ip.dst -e icmp.type \
	>tshark.out 2>tshark.err &
cap=$!
BG_PIDS+=("$cap")
wait_for tshark.err "Capturing on" 100
# Until tshark has its packets (it starts capturing a moment after saying so).
for ((i = 0; i < 30; i++)); do
	alive "$cap" || break
	lx web1 ping -c 1 -W 1 10.1.1.20 >/dev/null 2>&1
done
wait_gone "$cap" 100
diag "$(cat tshark.out)"
check "tshark decodes VXLAN on UDP 4789 with VNI 4242" \
	has "$(cat tshark.out)" $'^[0-9]+\t4789\t4242\t'
check "inside: web1's ICMP echo to web2" \
	has "$(cat tshark.out)" $'\t4789\t4242\t198\\.19\\.[0-9.]+,10\\.1\\.1\\.10\t198\\.19\\.[0-9.]+,10\\.1\\.1\\.20\t8$'
low=$(awk -F'\t' '$1 < 49152' tshark.out)
check "outer source ports from a flow hash (49152..65535)" \
	test -s tshark.out -a -z "$low"

# Interop: the kernel's VXLAN and onm's agents, both ways, on the same subnet and
# through the VN's router, with instances of the neighbouring host and of a host further
# away (the kernel VTEP sends everything to its neighbour h2, which answers ARP for the
# whole VN and passes frames on; agents carry them hop by hop, the last hop to the kernel
# as plain VXLAN).
out=$(lx legacy1 ping -c 3 -i 0.2 -W 2 10.1.1.20 2>&1)
check "kernel VTEP instance -> onm instance, same subnet (legacy1 -> web2)" has "$out" ' 0% packet loss'
out=$(lx web2 ping -c 3 -i 0.2 -W 2 10.1.1.50 2>&1)
check "onm instance -> kernel VTEP instance, same subnet (web2 -> legacy1)" has "$out" ' 0% packet loss'
out=$(lx legacy1 ping -c 3 -i 0.2 -W 2 10.1.1.10 2>&1)
check "kernel VTEP instance -> onm instance two hosts away, same subnet (legacy1 -> web1)" \
	has "$out" ' 0% packet loss'
out=$(lx web1 ping -c 3 -i 0.2 -W 2 10.1.1.50 2>&1)
check "onm instance two hosts away -> kernel VTEP instance, same subnet (web1 -> legacy1)" \
	has "$out" ' 0% packet loss'
out=$(lx legacy1 ping -c 3 -i 0.2 -W 2 10.1.2.10 2>&1)
check "kernel VTEP instance -> onm instance two hosts away, through r1 (legacy1 -> db1)" \
	has "$out" ' 0% packet loss'
out=$(lx db1 ping -c 3 -i 0.2 -W 2 10.1.1.50 2>&1)
check "onm instance two hosts away -> kernel VTEP instance, through r1 (db1 -> legacy1)" \
	has "$out" ' 0% packet loss'
lx_bg nc.out legacy1 timeout 10 nc -l 7000
srv=$BG_PID
sleep 0.3
echo "interop $$" | lx db1 nc -N -w 2 10.1.1.50 7000
wait_gone "$srv" 50
check "tcp db1 -> legacy1 across the kernel VTEP, data checked" test "$(cat nc.out)" = "interop $$"

# The last hop to a kernel VTEP is plain VXLAN: onm's transit bits are zero there.
ip netns exec "$ext" timeout 15 tshark -l -n -i ul0 -c 2 -f 'udp dst port 4789' \
	-T fields -e vxlan.vni -e udp.payload >tshark-ext.out 2>tshark-ext.err &
cap=$!
BG_PIDS+=("$cap")
wait_for tshark-ext.err "Capturing on" 100
for ((i = 0; i < 30; i++)); do
	alive "$cap" || break
	lx web2 ping -c 1 -W 1 10.1.1.50 >/dev/null 2>&1
done
wait_gone "$cap" 100
diag "$(cat tshark-ext.out)"
# The UDP payload starts with the VXLAN header: flags 08, three reserved bytes,
# the VNI (4242 = 0x001092), one reserved byte.
check "VXLAN to the kernel VTEP carries VNI 4242" has "$(cat tshark-ext.out)" $'^4242\t'
check "its reserved bytes are zero (RFC 7348)" \
	test -n "$(cat tshark-ext.out)" -a -z "$(grep -v $'^4242\t0800000000109200' tshark-ext.out)"

done_testing
