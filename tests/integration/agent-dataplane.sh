#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# onm-agent end to end, without the lab: two host namespaces joined by a veth pair (the
# underlay, docs/dataplane.md), a controller in the root namespace with its agent channel on
# a Unix socket, one agent per host namespace, and one instance namespace per instance. The
# test plays the hypervisor: it waits for each agent's TAP, checks its name and MAC, moves it
# into the instance's namespace as eth0 and configures it. Then: ping across hosts and to
# the router's address, a TCP transfer checked end to end, the per-packet log toggled by
# SIGUSR1, DHCP from the agent, counters at GET /v1/agents/HOST, kill -9 of an agent (ping
# resumes within 2 s of the restart, on the same TAP), the controller stopped (ping still
# works) and back (the agents reconnect), garbage on UDP 4789 and malformed frames from a
# TAP (dropped, counted, the agent stays up), an instance's NIC destroyed (the agent makes
# it again), and SIGTERM (exit 0, the TAPs and every process of the namespace gone). Every
# namespace is named onmt-PID-*; the EXIT trap removes them and ends only the processes
# this test started (and whatever runs inside its own namespaces).
# Prints TAP.

. "$(dirname "$0")/lib.sh"

AGENT_BIN=$T_BUILD/onm-agent
NS=onmt-$$
H1=$NS-h1
H2=$NS-h2
I1=$NS-i1
I2=$NS-i2
ADDR1=198.19.0.1
ADDR2=198.19.0.2
IP1=10.1.1.10
IP2=10.1.1.20
GW=10.1.1.1

NAMESPACES=() # namespaces this test created
AGENT_PID=()  # AGENT_PID[N]: the agent of host hN, if running
AGENT_STATUS= # exit status of the last agent stopped

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP network namespaces need root"
	exit 0
fi
# make test installs these (scripts/deps.sh): missing is a failure, not a skip.
for tool in ip ping jq nc udhcpc python3; do
	command -v "$tool" >/dev/null || bail "$tool is not installed (scripts/deps.sh installs it)"
done
if [ ! -c /dev/net/tun ]; then
	echo "1..0 # SKIP no /dev/net/tun"
	exit 0
fi

t_setup
[ -x "$AGENT_BIN" ] || bail "no $AGENT_BIN (build first, or set ONM_BUILD)"
SOCK=$T_DIR/agents.sock

dp_cleanup() {
	local n pid ns
	for n in "${!AGENT_PID[@]}"; do
		pid=${AGENT_PID[$n]}
		[ -n "$pid" ] && alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for n in "${!AGENT_PID[@]}"; do
		pid=${AGENT_PID[$n]}
		[ -n "$pid" ] || continue
		wait_gone "$pid" 50 || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	# Whatever still runs inside our own namespaces was started by our agents (a port
	# keeper waiting for an agent that was killed).
	for ns in "${NAMESPACES[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -TERM "$pid" 2>/dev/null
		done
	done
	for ns in "${NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	t_cleanup
}
trap dp_cleanup EXIT

# Diagnostics of a failure: the last lines of every log.
show_logs() {
	local f
	for f in "$T_DIR"/agent-h1.log "$T_DIR"/agent-h2.log "$T_DIR"/controller.log; do
		[ -s "$f" ] || continue
		diag "--- $(basename "$f") (last lines):"
		diag "$(tail -n 15 "$f")"
	done
}

# The TAP name of an instance: "onm" + 12 hex digits of FNV-1a-64 of its id, shifted right
# by 16 (include/onm/naming.h). Bash arithmetic is 64-bit and wraps like uint64_t.
port_name_of() {
	local s=$1 h=-3750763034362895579 i c
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%d' "'${s:i:1}"
		h=$(((h ^ c) * 1099511628211))
	done
	printf 'onm%012x' $(((h >> 16) & 0xffffffffffff))
}

# start_controller_agents: the controller on a free loopback port with its agent channel on
# $SOCK and the store in $T_DIR/onm.db (the lib's start_controller, plus --agents).
start_controller_agents() {
	local attempt port i
	for ((attempt = 0; attempt < 20; attempt++)); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		port_in_use "$port" && continue
		"$CONTROLLER_BIN" --store "sqlite:$T_DIR/onm.db" --api "127.0.0.1:$port" \
			--agents "unix:$SOCK" >>"$T_DIR/controller.log" 2>&1 </dev/null &
		CTL_PID=$!
		CTL_URL=http://127.0.0.1:$port
		for ((i = 0; i < 100; i++)); do
			alive "$CTL_PID" || break
			if healthz >/dev/null; then
				return 0
			fi
			sleep 0.1
		done
		{
			kill -KILL "$CTL_PID"
			wait "$CTL_PID"
		} 2>/dev/null
		CTL_PID=
	done
	return 1
}

# start_agent N: the agent of host hN in its namespace.
start_agent() {
	local n=$1
	ip netns exec "$NS-h$n" "$AGENT_BIN" --host "h$n" --controller "unix:$SOCK" \
		>>"$T_DIR/agent-h$n.log" 2>&1 </dev/null &
	AGENT_PID[$n]=$!
}

# stop_agent N [SIGNAL]: signals the agent of hN (default TERM), waits at most 10 s (then
# kills it) and sets AGENT_STATUS.
stop_agent() {
	local n=$1 sig=${2:-TERM} pid=${AGENT_PID[$1]}
	AGENT_STATUS=
	[ -n "$pid" ] || return 0
	{
		kill "-$sig" "$pid"
		if ! wait_gone "$pid" 100; then
			diag "agent h$n ($pid) did not stop after SIG$sig; killing it"
			kill -KILL "$pid"
		fi
		wait "$pid"
		AGENT_STATUS=$?
	} 2>/dev/null
	AGENT_PID[$n]=
}

# wait_for TENTHS COMMAND...: runs COMMAND every tenth of a second until it succeeds, at
# most TENTHS times.
wait_for() {
	local tries=$1 i
	shift
	for ((i = 0; i < tries; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# in_ns NS COMMAND...: COMMAND in namespace NS.
in_ns() {
	ip netns exec "$@"
}

link_exists() { # NS DEV
	ip -n "$1" link show "$2" >/dev/null 2>&1
}

pings() { # NS DEST [COUNT]
	in_ns "$1" ping -c "${3:-3}" -i 0.2 -W 1 "$2" >"$T_DIR/ping.out" 2>&1
}

# agent_json HOST: GET /v1/agents/HOST into $T_DIR/agent.json; fails if not served.
agent_json() {
	curl -sf --max-time 2 "$CTL_URL/v1/agents/$1" >"$T_DIR/agent.json"
}

# counter HOST JQ-PATH: a number from the host's last report (0 if absent).
counter() {
	agent_json "$1" || return 1
	jq -r "($2) // 0" "$T_DIR/agent.json"
}

# --- the substrate --------------------------------------------------------------------------

for ns in "$H1" "$H2" "$I1" "$I2"; do
	ip netns add "$ns" || bail "cannot create namespace $ns"
	NAMESPACES+=("$ns")
	ip -n "$ns" link set lo up
done
ip link add ul0 netns "$H1" type veth peer name ul0 netns "$H2" || bail "cannot create the veth pair"
for n in 1 2; do
	self=198.19.0.$n
	peer=198.19.0.$((3 - n))
	ip -n "$NS-h$n" addr add "$self/32" dev lo
	ip -n "$NS-h$n" link set ul0 up
	ip -n "$NS-h$n" route add "$peer/32" dev ul0 src "$self"
done
check "underlay: h1 reaches h2" pings "$H1" "$ADDR2" 1

start_controller_agents || bail "the controller did not start"
diag "controller $CTL_PID at $CTL_URL, agents at unix:$SOCK"

cat >"$T_DIR/topo.yaml" <<EOF
substrate:
  hosts:
    - {name: h1, address: $ADDR1}
    - {name: h2, address: $ADDR2}
  links:
    - {a: h1, b: h2}
tenants:
  - name: acme
    networks:
      - name: blue
        subnets: [{name: web, cidr: 10.1.1.0/24}]
        routers:
          - name: r1
            interfaces: [{name: Gi0/0, subnet: web, ip: $GW}]
        instances:
          - {name: i1, subnet: web, host: h1, ip: $IP1}
          - {name: i2, subnet: web, host: h2, ip: $IP2}
EOF
expect_run "apply the topology" 0 apply "$T_DIR/topo.yaml"
[ "$RC" = 0 ] || bail "cannot apply the topology"
onm_run get instances -o json
MAC1=$(jq -r '.[] | select(.name == "i1") | .mac' <<<"$OUT")
MAC2=$(jq -r '.[] | select(.name == "i2") | .mac' <<<"$OUT")
check "the instances have MACs ($MAC1, $MAC2)" test -n "$MAC1" -a -n "$MAC2"

# --- agents and ports -----------------------------------------------------------------------

TAP1=$(port_name_of acme/blue/i1)
TAP2=$(port_name_of acme/blue/i2)
TAPS=([1]="$TAP1" [2]="$TAP2")
IPS=([1]="$IP1" [2]="$IP2")
start_agent 1
start_agent 2
for n in 1 2; do
	tap=${TAPS[$n]}
	if wait_for 100 link_exists "$NS-h$n" "$tap"; then
		ok "agent h$n made TAP $tap"
	else
		not_ok "agent h$n made TAP $tap"
		show_logs
		bail "no TAP on h$n"
	fi
done
mac_of() { # NS DEV
	ip -n "$1" -j link show "$2" | jq -r '.[0].address'
}
check "TAP $TAP1 has i1's MAC" test "$(mac_of "$H1" "$TAP1")" = "$MAC1"
check "TAP $TAP2 has i2's MAC" test "$(mac_of "$H2" "$TAP2")" = "$MAC2"

# As a hypervisor hands a VM its NIC: into the instance's namespace, as eth0.
for n in 1 2; do
	tap=${TAPS[$n]}
	ip=${IPS[$n]}
	ip -n "$NS-h$n" link set "$tap" netns "$NS-i$n" &&
		ip -n "$NS-i$n" link set "$tap" name eth0 &&
		ip -n "$NS-i$n" link set eth0 up &&
		ip -n "$NS-i$n" addr add "$ip/24" dev eth0 ||
		bail "cannot move $tap into $NS-i$n"
done
IFINDEX1=$(ip -n "$I1" -j link show eth0 | jq -r '.[0].ifindex')

if pings "$I1" "$IP2"; then
	ok "i1 (h1) pings i2 (h2) across the underlay"
else
	not_ok "i1 (h1) pings i2 (h2) across the underlay"
	diag "$(cat "$T_DIR/ping.out")"
	show_logs
fi
check "i2 pings i1" pings "$I2" "$IP1"
check "i1 pings its router's address $GW (answered by agent h1)" pings "$I1" "$GW"

# Bulk TCP (segmentation offload on the underlay sends) with the data checked end to end.
head -c 4000000 /dev/urandom >"$T_DIR/blob"
in_ns "$I2" timeout 30 nc -l 5001 >"$T_DIR/blob.out" 2>/dev/null &
nc_pid=$!
sleep 0.3
in_ns "$I1" timeout 30 nc -N "$IP2" 5001 <"$T_DIR/blob" 2>/dev/null
wait "$nc_pid" 2>/dev/null
check "4 MB over TCP from i1 to i2 arrive intact" cmp -s "$T_DIR/blob" "$T_DIR/blob.out"

# The per-packet log, switched on and off at run time.
kill -USR1 "${AGENT_PID[2]}"
sleep 0.2
pings "$I1" "$IP2" 1
kill -USR1 "${AGENT_PID[2]}"
check "SIGUSR1 turns on agent h2's per-packet log" \
	grep -q "underlay $ADDR1: to port $TAP2" "$T_DIR/agent-h2.log"
check "and off again" wait_for 20 grep -q "data-plane debugging off" "$T_DIR/agent-h2.log"

# --- DHCP from the agent ---------------------------------------------------------------------

# A script of our own: the distribution's would rewrite /etc/resolv.conf, which the
# namespaces share with the machine.
cat >"$T_DIR/dhcp.sh" <<EOF
#!/bin/sh
case "\$1" in
deconfig) ip -4 addr flush dev "\$interface" ;;
bound|renew)
ip -4 addr flush dev "\$interface"
ip addr add "\$ip/\$mask" dev "\$interface"
echo "ip=\$ip mask=\$mask lease=\$lease router=\${router:-none}" >"$T_DIR/lease" ;;
esac
exit 0
EOF
chmod +x "$T_DIR/dhcp.sh"
ip -n "$I2" addr flush dev eth0
if in_ns "$I2" timeout 20 udhcpc -i eth0 -n -q -t 5 -T 1 -s "$T_DIR/dhcp.sh" \
	>"$T_DIR/udhcpc.out" 2>&1; then
	ok "udhcpc on i2 got a lease from the agent"
else
	not_ok "udhcpc on i2 got a lease from the agent"
	diag "$(cat "$T_DIR/udhcpc.out")"
fi
lease=$(cat "$T_DIR/lease" 2>/dev/null)
check "the lease is i2's address, /24, 3600 s, router r1 ($lease)" \
	has "$lease" "^ip=$IP2 mask=24 lease=3600 router=$GW\$"
if ! ip -n "$I2" -4 addr show dev eth0 | grep -q "inet $IP2/"; then
	ip -n "$I2" addr add "$IP2/24" dev eth0 2>/dev/null
fi
check "i1 pings i2 on its DHCP address" pings "$I1" "$IP2"

# --- counters --------------------------------------------------------------------------------

check "GET /v1/agents/h1 answers with counters" agent_json h1
if jq -e '.counters' "$T_DIR/agent.json" >/dev/null; then
	# Reports come every second; give the last pings time to show.
	rx=0
	for ((i = 0; i < 30; i++)); do
		rx=$(counter h1 '.counters.ports["acme/blue/i1"].rx_packets')
		[ "${rx:-0}" -ge 6 ] && break
		sleep 0.1
	done
	check "GET /v1/agents/h1: port acme/blue/i1 counted the pings (rx_packets $rx)" \
		test "${rx:-0}" -ge 6
	tx=$(counter h1 '.counters.networks["acme/blue"].tx_packets')
	check "network acme/blue counted packets (tx_packets $tx)" test "${tx:-0}" -ge 6
	check "the agent reports its health (ports_up 1)" \
		test "$(jq -r '.health.ports_up' "$T_DIR/agent.json")" = 1
else
	not_ok "the agent report has counters"
fi

# --- kill -9 of an agent --------------------------------------------------------------------

stop_agent 1 KILL
check "after kill -9 of agent h1, i1 still has its eth0 (the port keeper holds it)" \
	link_exists "$I1" eth0
start_agent 1
t0=$(date +%s%N)
resumed=false
for ((i = 0; i < 40; i++)); do
	if in_ns "$I1" ping -c 1 -W 0.2 "$IP2" >/dev/null 2>&1; then
		resumed=true
		break
	fi
done
ms=$((($(date +%s%N) - t0) / 1000000))
if $resumed && [ "$ms" -le 2000 ]; then
	ok "ping resumes ${ms} ms after agent h1 restarted"
else
	not_ok "ping resumes within 2 s after agent h1 restarted ($resumed after ${ms} ms)"
	show_logs
fi
check "i1's eth0 is the same device (ifindex $IFINDEX1)" \
	test "$(ip -n "$I1" -j link show eth0 | jq -r '.[0].ifindex')" = "$IFINDEX1"
check "the new agent took the port over" \
	grep -q "ports kept by the previous agent of host h1 are ours again" "$T_DIR/agent-h1.log"

# --- the controller away ----------------------------------------------------------------------

stop_controller TERM
check "the controller stopped (status ${CTL_STATUS:-none})" test "${CTL_STATUS:-x}" = 0
check "with the controller away, i1 still pings i2" pings "$I1" "$IP2"
check "and i2 pings i1" pings "$I2" "$IP1"
check "the agents run on" alive "${AGENT_PID[1]}"
connects_before=$(grep -c "connected to the controller" "$T_DIR/agent-h2.log")
start_controller_agents || bail "the controller did not start again"
reconnected() {
	[ "$(grep -c "connected to the controller" "$T_DIR/agent-h2.log")" -gt "$connects_before" ]
}
# The backoff tops out at 5 s (+20%).
check "the agents reconnect to the controller when it is back" wait_for 80 reconnected
check "and traffic still flows" pings "$I1" "$IP2"

# --- garbage -------------------------------------------------------------------------------

parse_before=$(counter h1 '.counters.drops.parse' 2>/dev/null || echo 0)
vni_before=$(counter h1 '.counters.drops.vni_unknown' 2>/dev/null || echo 0)
# From h2's namespace to h1's agent: text, a truncated VXLAN header, a VXLAN header without
# its I flag, and a well-formed packet for a VNI h1 does not have.
in_ns "$H2" bash -c "
	echo garbage >/dev/udp/$ADDR1/4789
	printf '\x08\x00' >/dev/udp/$ADDR1/4789
	printf '\x00\x00\x00\x00\x00\x00\x01\x00hello' >/dev/udp/$ADDR1/4789
	printf '\x08\x00\x00\x00\xff\xff\xff\x00' >/dev/udp/$ADDR1/4789
	printf '\x08\x00\x00\x00\xab\xcd\xef\x00%s' \
		'\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x01\x08\x06' \
		'\x00\x01\x08\x00\x06\x04\x00\x01\x02\x00\x00\x00\x00\x01\x0a\x01\x01\x63' \
		'\x00\x00\x00\x00\x00\x00\x0a\x01\x01\x0a' >/dev/udp/$ADDR1/4789
	head -c 60 /dev/urandom >/dev/udp/$ADDR1/4789
" 2>/dev/null
# And malformed frames from the instance's side of a TAP (a raw-socket sender).
check "malformed frames sent from i1's eth0 by a raw socket" in_ns "$I1" python3 -c '
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
s.send(b"\xff" * 6 + b"\x02" * 6 + b"\x08\x00" + b"\x45\x00\xff\xff")  # IPv4, truncated
s.send(b"\xff" * 6 + b"\x02" * 6 + b"\x08\x00")                    # IPv4, no header
s.send(b"\xff" * 6 + b"\x02" * 6 + b"\x08\x06" + b"\x00" * 4)       # ARP, truncated
'
sleep 0.3
check "agent h1 is still up after the garbage" alive "${AGENT_PID[1]}"
check "and still forwards" pings "$I1" "$IP2"
counted() {
	parse_now=$(counter h1 '.counters.drops.parse')
	[ "${parse_now:-0}" -gt "${parse_before:-0}" ]
}
check "the garbage was counted as parse drops" wait_for 30 counted
vni_now=$(counter h1 '.counters.drops.vni_unknown')
check "the packet for an unknown VNI was counted (vni_unknown $vni_before -> $vni_now)" \
	test "${vni_now:-0}" -gt "${vni_before:-0}"
diag "drops: $(jq -c '.counters.drops' "$T_DIR/agent.json")"

# --- a port whose device is destroyed --------------------------------------------------------

# Deleting the instance's namespace destroys its NIC; the agent makes the port again (in its
# own namespace, as at the start) and the hypervisor can hand it over again.
ip netns del "$I2"
tap2_back() {
	link_exists "$H2" "$TAP2"
}
check "agent h2 makes i2's port again after its device was destroyed" wait_for 60 tap2_back
ip netns add "$I2" &&
	ip -n "$I2" link set lo up &&
	ip -n "$H2" link set "$TAP2" netns "$I2" &&
	ip -n "$I2" link set "$TAP2" name eth0 &&
	ip -n "$I2" link set eth0 up &&
	ip -n "$I2" addr add "$IP2/24" dev eth0
check "i1 pings i2 on its new NIC" pings "$I1" "$IP2"

# --- SIGTERM ---------------------------------------------------------------------------------

stop_agent 1 TERM
check "agent h1 exits 0 on SIGTERM (status ${AGENT_STATUS:-none})" test "${AGENT_STATUS:-x}" = 0
eth0_gone() {
	! link_exists "$I1" eth0
}
h1_empty() {
	[ -z "$(ip netns pids "$H1")" ]
}
check "its TAP is gone (no eth0 in i1)" wait_for 20 eth0_gone
check "no process is left in h1's namespace (the port keeper exited too)" wait_for 20 h1_empty
stop_agent 2 TERM
check "agent h2 exits 0 on SIGTERM (status ${AGENT_STATUS:-none})" test "${AGENT_STATUS:-x}" = 0

stop_controller TERM
done_testing
