#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# End-to-end data-plane benchmark (issue 3, "Benchmarks"): two instances on two hosts, each
# host and each instance a network namespace, the two hosts joined by one veth pair (the
# underlay, MTU 1500, addresses from 198.19.0.0/16 on lo with /32 routes as in
# docs/dataplane.md). Over that same layout, built afresh for each contender, it measures
# side by side in one run:
#
#   onm      onm-controller in the root namespace (--agents unix:...), one onm-agent per
#            host namespace, each instance's TAP moved into its namespace as eth0 (the way
#            tests/integration/agent-dataplane.sh does it; `onm lab` is not used);
#   kernel   the Linux kernel VXLAN: a vxlan device and a bridge in each host namespace, a
#            veth pair to the instance;
#   ovs      Open vSwitch's userspace datapath (datapath_type=netdev), one ovsdb-server and
#            ovs-vswitchd per host namespace with private run/db/log directories, a veth
#            port to the instance and a vxlan port to the peer host. OVS terminates tunnels
#            only on an address of one of its bridges, so the host's underlay address sits
#            on the internal port of a bridge br-phy holding the veth underlay (ul0), as a
#            /24 instead of a /32 on lo; the instance's veth has TX checksum offload off
#            (the af_packet ports of the netdev datapath do not complete partial checksums);
#   wg       wireguard-go (userspace tun, configured with wg) between the host namespaces;
#            each instance is routed through its host namespace (instance -> veth -> host ->
#            wg tun -> underlay -> wg tun -> host -> veth -> instance), so the path has the
#            same namespaces as the others;
#   plain    no overlay: the same instance -> veth -> host -> underlay -> host -> veth ->
#            instance path, forwarded by the kernel. It is the baseline of "RTT added per
#            agent hop" and shows what the tools themselves reach on this machine.
#
# For each: ping RTT (PINGS pings at 10 ms, avg and p50), iperf3 TCP throughput (1 stream,
# TCP_SECONDS after 1 s omitted) and 64-byte UDP datagrams (iperf3 -u -l 64 -b 0, UDP_SECONDS):
# the rate counted is what the receiving iperf3 got, not what was sent; beside it, what reached
# the receiving socket (also counting what it dropped for a full receive buffer), and in the
# raw figures where the lost datagrams were dropped. The instances' MTU is
# what each encapsulation leaves of the 1500-byte underlay (VXLAN 1450, WireGuard's default
# 1420, plain 1500). A contender that cannot be set up here is reported with the reason and
# the others go on. The table goes to stdout and is appended to $BENCH_RESULTS (default
# build/bench-results.txt), followed by every contender's raw iperf3 and ping figures.
#
# Namespaces are named onmb-PID-*; the EXIT trap (also after Ctrl-C) ends exactly the
# processes this script started (and what runs inside its own namespaces) and deletes every
# namespace it made. Every wait is bounded.
#
# Environment: ONM_BUILD (build), BENCH_RESULTS, E2E_CONTENDERS (default
# "plain onm kernel ovs wg"), TCP_SECONDS (5), UDP_SECONDS (5), PINGS (200).

# shellcheck disable=SC2317 # functions called indirectly (setup_$tag, wait_for, try)
set -u
cd "$(dirname "$0")/.." || exit 1
B=${ONM_BUILD:-build}
case $B in
/*) ;;
*) B=$PWD/$B ;;
esac
RESULTS=${BENCH_RESULTS:-$B/bench-results.txt}
CONTENDERS=${E2E_CONTENDERS:-plain onm kernel ovs wg}
TCP_SECONDS=${TCP_SECONDS:-5}
UDP_SECONDS=${UDP_SECONDS:-5}
PINGS=${PINGS:-200}
UDP_LEN=64

P=onmb-$$
ADDR1=198.19.0.1
ADDR2=198.19.0.2
VNI=4242

WORK=
PIDS=()       # every background process this script started (still to be ended)
NAMESPACES=() # every namespace this script made (still to be deleted)
WG_SOCKS=()   # wireguard-go's UAPI sockets (a killed wireguard-go leaves them behind)

# Results per contender tag.
declare -A NAME TCP KPPS DELIV AVG P50 RAW WHY MTU

# --- helpers -----------------------------------------------------------------------------

# Progress on stderr; results go through say.
log() {
	echo "e2e: $*" >&2
}

say() {
	echo "$*"
	echo "$*" >>"$RESULTS"
}

# True while PID runs (a zombie does not count).
alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
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

not_alive() {
	! alive "$1"
}

# forget PID: drops a reaped PID from PIDS (its number may be reused by anyone now).
forget() {
	local i
	for i in "${!PIDS[@]}"; do
		[ "${PIDS[$i]}" = "$1" ] && unset "PIDS[$i]"
	done
	PIDS=("${PIDS[@]}")
}

# stop_pid PID: SIGTERM, at most 3 s, then SIGKILL; reaps it.
stop_pid() {
	local pid=$1
	{
		kill -TERM "$pid"
		wait_for 30 not_alive "$pid" || kill -KILL "$pid"
		wait "$pid"
	} 2>/dev/null
	forget "$pid"
}

# stop_all: ends every process in PIDS (the last started first), then whatever still runs
# inside our own namespaces (started there by our processes, e.g. an agent's port keeper),
# deletes our namespaces and wireguard-go's sockets.
stop_all() {
	local i pid ns
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		alive "${PIDS[$i]}" && kill -TERM "${PIDS[$i]}" 2>/dev/null
	done
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		pid=${PIDS[$i]}
		wait_for 30 not_alive "$pid" || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	PIDS=()
	for ns in "${NAMESPACES[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -TERM "$pid" 2>/dev/null
		done
	done
	for ns in "${NAMESPACES[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			wait_for 20 not_alive "$pid" || kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	NAMESPACES=()
	for i in "${WG_SOCKS[@]}"; do
		rm -f "$i"
	done
	WG_SOCKS=()
}

# The EXIT trap. After a signal, the script ends by that same signal once clean (so that a
# caller such as bench/run.sh sees the Ctrl-C and stops too).
SIGNAL=
cleanup() {
	trap '' INT TERM HUP
	stop_all
	[ -n "$WORK" ] && rm -rf "$WORK"
	if [ -n "$SIGNAL" ]; then
		trap - EXIT "$SIGNAL"
		kill "-$SIGNAL" "$$"
	fi
}

# try WHAT COMMAND...: runs COMMAND (stderr kept); on failure records in $FAILED why, with
# the command's last lines of error output, and fails.
FAILED=
try() {
	local what=$1
	shift
	if ! "$@" 2>"$WORK/try.err" >"$WORK/try.out"; then
		FAILED="$what failed: $(tail -n 3 "$WORK/try.err" "$WORK/try.out" 2>/dev/null |
			grep -v '^==>' | grep -v '^$' | tr '\n' ' ')"
		return 1
	fi
	return 0
}

# in_ns NS COMMAND...
in_ns() {
	ip netns exec "$@"
}

# bg NS LOG COMMAND...: COMMAND in namespace NS (or the root namespace if NS is "-") in the
# background, its output appended to $WORK/LOG; appends the PID to PIDS and sets BG_PID.
# COMMAND runs in a session of its own (setsid, which does not fork here: a background
# child of a script is no process group leader), so that a Ctrl-C at the terminal reaches
# the script and its foreground command but not the daemons: wireguard-go or OVS ending
# first would leave the foreground iperf3 hanging. The EXIT trap ends them in order.
BG_PID=
bg() {
	local ns=$1 out=$WORK/$2
	shift 2
	if [ "$ns" = - ]; then
		setsid "$@" </dev/null >>"$out" 2>&1 &
	else
		ip netns exec "$ns" setsid "$@" </dev/null >>"$out" 2>&1 &
	fi
	BG_PID=$!
	PIDS+=("$BG_PID")
}

# last LOG: the last lines of $WORK/LOG on one line.
last() {
	tail -n 3 "$WORK/$1" 2>/dev/null | tr '\n' ' '
}

# mkns TAG: namespaces $P-TAG-h1, -h2 (hosts), -i1, -i2 (instances), lo up in each.
mkns() {
	local ns
	for ns in h1 h2 i1 i2; do
		try "ip netns add $P-$1-$ns" ip netns add "$P-$1-$ns" || return 1
		NAMESPACES+=("$P-$1-$ns")
		ip -n "$P-$1-$ns" link set lo up || return 1
	done
}

# underlay TAG [lo]: the veth pair ul0 between the two host namespaces, MTU 1500; with
# "lo", each host's address on lo (/32) and a /32 route to the peer over ul0, as in
# docs/dataplane.md.
underlay() {
	local tag=$1 n
	try "veth underlay" ip link add ul0 mtu 1500 netns "$P-$tag-h1" type veth peer name ul0 \
		mtu 1500 netns "$P-$tag-h2" || return 1
	for n in 1 2; do
		ip -n "$P-$tag-h$n" link set ul0 up || return 1
		[ "${2:-}" = lo ] || continue
		ip -n "$P-$tag-h$n" addr add "198.19.0.$n/32" dev lo &&
			ip -n "$P-$tag-h$n" route add "198.19.0.$((3 - n))/32" dev ul0 src "198.19.0.$n" ||
			return 1
	done
}

# instance_veth TAG N MTU: a veth pair vi (host hN) <-> eth0 (instance iN), both up with MTU.
instance_veth() {
	local tag=$1 n=$2 mtu=$3
	try "veth to instance i$n" ip link add vi mtu "$mtu" netns "$P-$tag-h$n" type veth \
		peer name eth0 mtu "$mtu" netns "$P-$tag-i$n" || return 1
	ip -n "$P-$tag-h$n" link set vi up && ip -n "$P-$tag-i$n" link set eth0 up
}

# routed_instances TAG MTU DEV1 DEV2: instance iN at 10.1.N.10/24 behind host hN
# (10.1.N.1 on vi, the default gateway); each host routes the other instance's subnet over
# DEVn (its underlay or tunnel device, with a next hop if DEVn is ul0).
routed_instances() {
	local tag=$1 mtu=$2 n dev peer
	for n in 1 2; do
		instance_veth "$tag" "$n" "$mtu" || return 1
		peer=$((3 - n))
		dev=$3
		[ "$n" = 2 ] && dev=$4
		in_ns "$P-$tag-h$n" sysctl -qw net.ipv4.ip_forward=1 || return 1
		ip -n "$P-$tag-h$n" addr add "10.1.$n.1/24" dev vi &&
			ip -n "$P-$tag-i$n" addr add "10.1.$n.10/24" dev eth0 &&
			ip -n "$P-$tag-i$n" route add default via "10.1.$n.1" || return 1
		if [ "$dev" = ul0 ]; then
			try "route to 10.1.$peer.0/24" ip -n "$P-$tag-h$n" route add "10.1.$peer.0/24" \
				via "198.19.0.$peer" dev ul0 onlink || return 1
		else
			try "route to 10.1.$peer.0/24" ip -n "$P-$tag-h$n" route add "10.1.$peer.0/24" \
				dev "$dev" || return 1
		fi
	done
}

# same_subnet_instances TAG: instance iN at 10.1.1.N0/24 on its eth0, MTU 1450.
same_subnet_instances() {
	local n
	for n in 1 2; do
		ip -n "$P-$1-i$n" link set eth0 mtu 1450 &&
			ip -n "$P-$1-i$n" addr add "10.1.1.${n}0/24" dev eth0 &&
			ip -n "$P-$1-i$n" link set eth0 up || return 1
	done
}

link_exists() { # NS DEV
	ip -n "$1" link show "$2" >/dev/null 2>&1
}

listening() { # NS PORT
	in_ns "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q .
}

# --- contenders ---------------------------------------------------------------------------
# Each setup_TAG builds its layout in namespaces $P-TAG-*, and sets DST (the address of
# instance i2 as i1 sees it); on failure it returns 1 with FAILED saying why.

setup_plain() {
	mkns plain && underlay plain lo && routed_instances plain 1500 ul0 ul0 || return 1
	DST=10.1.2.10
}

setup_kernel() {
	local n tag=kernel h
	mkns "$tag" && underlay "$tag" lo || return 1
	for n in 1 2; do
		h=$P-$tag-h$n
		try "kernel vxlan device" ip -n "$h" link add vx0 type vxlan id "$VNI" \
			local "198.19.0.$n" remote "198.19.0.$((3 - n))" dstport 4789 || return 1
		try "bridge" ip -n "$h" link add br0 type bridge || return 1
		instance_veth "$tag" "$n" 1450 || return 1
		ip -n "$h" link set vx0 master br0 && ip -n "$h" link set vi master br0 &&
			ip -n "$h" link set vx0 up && ip -n "$h" link set br0 up || return 1
	done
	same_subnet_instances "$tag" || return 1
	DST=10.1.1.20
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

healthz() {
	curl -sf --max-time 2 -o /dev/null "$CTL_URL/healthz"
}

setup_onm() {
	local tag=onm n attempt port tap sock=$WORK/agents.sock
	[ -x "$B/onm-controller" ] && [ -x "$B/onm-agent" ] ||
		{ FAILED="no $B/onm-controller or $B/onm-agent (build first: ninja -C $B)"; return 1; }
	[ -c /dev/net/tun ] || { FAILED="no /dev/net/tun"; return 1; }
	mkns "$tag" && underlay "$tag" lo || return 1
	# The controller on a free loopback port (a bounded number of tries).
	CTL_URL=
	for ((attempt = 0; attempt < 10; attempt++)); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
		rm -f "$sock"
		bg - controller.log "$B/onm-controller" --store "sqlite:$WORK/onm.db" --api "127.0.0.1:$port" \
			--agents "unix:$sock"
		CTL_PID=$BG_PID
		CTL_URL=http://127.0.0.1:$port
		wait_for 100 healthz && break
		stop_pid "$CTL_PID"
		CTL_URL=
	done
	[ -n "$CTL_URL" ] || { FAILED="onm-controller did not come up: $(last controller.log)"; return 1; }
	cat >"$WORK/topo.yaml" <<EOF
substrate:
  hosts:
    - {name: h1, address: $ADDR1}
    - {name: h2, address: $ADDR2}
  links:
    - {a: h1, b: h2}
tenants:
  - name: bench
    networks:
      - name: blue
        vni: $VNI
        subnets: [{name: web, cidr: 10.1.1.0/24}]
        instances:
          - {name: i1, subnet: web, host: h1, ip: 10.1.1.10}
          - {name: i2, subnet: web, host: h2, ip: 10.1.1.20}
EOF
	curl -s --max-time 20 -o "$WORK/apply.json" -H 'X-Onm-Source: e2e.yaml' \
		--data-binary "@$WORK/topo.yaml" "$CTL_URL/v1/apply"
	grep -q '"revision"' "$WORK/apply.json" 2>/dev/null ||
		{ FAILED="apply of the topology failed: $(head -c 300 "$WORK/apply.json")"; return 1; }
	for n in 1 2; do
		bg "$P-$tag-h$n" "agent-h$n.log" "$B/onm-agent" --host "h$n" --controller "unix:$sock"
	done
	# As a hypervisor hands a VM its NIC: the agent's TAP into the instance, as eth0.
	for n in 1 2; do
		tap=$(port_name_of "bench/blue/i$n")
		wait_for 100 link_exists "$P-$tag-h$n" "$tap" ||
			{ FAILED="agent h$n made no TAP $tap in 10 s: $(last "agent-h$n.log")"; return 1; }
		try "moving $tap into i$n" ip -n "$P-$tag-h$n" link set "$tap" netns "$P-$tag-i$n" &&
			ip -n "$P-$tag-i$n" link set "$tap" name eth0 || return 1
	done
	same_subnet_instances "$tag" || return 1
	DST=10.1.1.20
}

# ovs_env N: the private OVS directories of host hN, as env arguments.
ovs_env() {
	local d=$WORK/ovs-h$1
	echo "OVS_RUNDIR=$d/run OVS_DBDIR=$d/db OVS_LOGDIR=$d/log OVS_SYSCONFDIR=$d/etc"
}

# vsctl N ARGS...: ovs-vsctl against host hN's ovsdb-server (at most 10 s, waiting for
# ovs-vswitchd to apply the change).
vsctl() {
	local n=$1
	shift
	# shellcheck disable=SC2046 # ovs_env's words are meant to be split
	env $(ovs_env "$n") ovs-vsctl --timeout=10 --db="unix:$WORK/ovs-h$n/run/db.sock" "$@"
}

setup_ovs() {
	local tag=ovs n h d schema=/usr/share/openvswitch/vswitch.ovsschema
	for n in ovsdb-server ovs-vswitchd ovs-vsctl ovsdb-tool; do
		command -v "$n" >/dev/null || { FAILED="$n is not installed (scripts/deps.sh bench)"; return 1; }
	done
	[ -r "$schema" ] || { FAILED="no $schema"; return 1; }
	mkns "$tag" && underlay "$tag" || return 1
	for n in 1 2; do
		h=$P-$tag-h$n
		d=$WORK/ovs-h$n
		mkdir -p "$d/run" "$d/db" "$d/log" "$d/etc"
		try "ovsdb-tool create" ovsdb-tool create "$d/db/conf.db" "$schema" || return 1
		# shellcheck disable=SC2046
		bg "$h" "ovsdb-server-h$n.out" env $(ovs_env "$n") ovsdb-server "$d/db/conf.db" \
			--remote="punix:$d/run/db.sock" --unixctl="$d/run/ovsdb-server.ctl" \
			--pidfile="$d/run/ovsdb-server.pid" --log-file="$d/log/ovsdb-server.log"
		wait_for 50 test -S "$d/run/db.sock" ||
			{ FAILED="ovsdb-server of h$n did not come up: $(last "ovsdb-server-h$n.out")"; return 1; }
		try "ovs-vsctl init" vsctl "$n" --no-wait init || return 1
		# shellcheck disable=SC2046
		bg "$h" "ovs-vswitchd-h$n.out" env $(ovs_env "$n") ovs-vswitchd "unix:$d/run/db.sock" \
			--unixctl="$d/run/ovs-vswitchd.ctl" --pidfile="$d/run/ovs-vswitchd.pid" \
			--log-file="$d/log/ovs-vswitchd.log"
		wait_for 50 test -S "$d/run/ovs-vswitchd.ctl" ||
			{ FAILED="ovs-vswitchd of h$n did not come up: $(last "ovs-vswitchd-h$n.out")"; return 1; }
		# The underlay: ul0 in bridge br-phy, the host's address on br-phy's internal port
		# (where the userspace datapath terminates tunnels), with a prefix that covers
		# the peer (OVS picks a tunnel's source address among the output bridge's
		# addresses by prefix, so a /32 plus a route would not do). The kernel must not
		# answer ARP on ul0 with ul0's own MAC, or the peer would send the tunnel there.
		try "OVS bridge br-phy on h$n" vsctl "$n" add-br br-phy \
			-- set bridge br-phy datapath_type=netdev -- add-port br-phy ul0 || return 1
		ip -n "$h" link set ul0 arp off &&
			ip -n "$h" addr add "198.19.0.$n/24" dev br-phy &&
			ip -n "$h" link set br-phy up || return 1
		instance_veth "$tag" "$n" 1450 || return 1
		try "OVS bridge br-int on h$n" vsctl "$n" add-br br-int \
			-- set bridge br-int datapath_type=netdev -- add-port br-int vi \
			-- add-port br-int vx0 -- set interface vx0 type=vxlan \
			options:remote_ip="198.19.0.$((3 - n))" options:key="$VNI" || return 1
		ip -n "$h" link set br-int up || return 1
		try "ethtool -K eth0 tx off in i$n" in_ns "$P-$tag-i$n" ethtool -K eth0 tx off || return 1
	done
	same_subnet_instances "$tag" || return 1
	DST=10.1.1.20
}

setup_wg() {
	local tag=wg n h dev
	for n in wireguard-go wg; do
		command -v "$n" >/dev/null || { FAILED="$n is not installed (scripts/deps.sh bench)"; return 1; }
	done
	[ -c /dev/net/tun ] || { FAILED="no /dev/net/tun"; return 1; }
	mkns "$tag" && underlay "$tag" lo || return 1
	for n in 1 2; do
		(umask 077 && wg genkey >"$WORK/wg$n.key") &&
			wg pubkey <"$WORK/wg$n.key" >"$WORK/wg$n.pub" ||
			{ FAILED="wg genkey/pubkey failed"; return 1; }
	done
	for n in 1 2; do
		h=$P-$tag-h$n
		# wg finds wireguard-go by the name of its UAPI socket in /var/run/wireguard,
		# which every namespace shares: the names must be unique on the machine.
		dev=wgb$$-$n
		WG_SOCKS+=("/var/run/wireguard/$dev.sock")
		bg "$h" "wireguard-go-h$n.log" env WG_PROCESS_FOREGROUND=1 WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
			wireguard-go -f "$dev"
		wait_for 50 test -S "/var/run/wireguard/$dev.sock" ||
			{ FAILED="wireguard-go did not make $dev: $(last "wireguard-go-h$n.log")"; return 1; }
		try "wg set $dev" in_ns "$h" wg set "$dev" private-key "$WORK/wg$n.key" \
			listen-port 51820 peer "$(cat "$WORK/wg$((3 - n)).pub")" \
			allowed-ips "10.1.$((3 - n)).0/24" endpoint "198.19.0.$((3 - n)):51820" || return 1
		ip -n "$h" link set "$dev" up || return 1
	done
	# The instances get the tunnel's MTU (wireguard-go's default, 1420).
	MTU[wg]=$(ip -n "$P-$tag-h1" -j link show "wgb$$-1" | jq -r '.[0].mtu')
	routed_instances "$tag" "${MTU[wg]}" "wgb$$-1" "wgb$$-2" || return 1
	DST=10.1.2.10
}

# --- measurements -------------------------------------------------------------------------

# iperf TAG KIND ARGS...: one iperf3 run from i1 to $DST (server in i2, one-off), client JSON
# in $WORK/TAG-KIND.json.
iperf() {
	local tag=$1 kind=$2 srv
	shift 2
	bg "$P-$tag-i2" "$tag-$kind-server.log" timeout 60 iperf3 -s -1 -p 5201
	srv=$BG_PID
	if ! wait_for 50 listening "$P-$tag-i2" 5201; then
		echo '{"error":"iperf3 server did not start"}' >"$WORK/$tag-$kind.json"
		return 1
	fi
	in_ns "$P-$tag-i1" timeout --foreground 60 iperf3 -c "$DST" -p 5201 --connect-timeout 3000 -J "$@" \
		>"$WORK/$tag-$kind.json" 2>/dev/null
	wait_for 50 not_alive "$srv" || stop_pid "$srv"
	wait "$srv" 2>/dev/null
	forget "$srv"
	return 0
}

# jqf FILE FILTER: a value from a JSON file ("" if absent).
jqf() {
	jq -r "$2 // empty" "$1" 2>/dev/null
}

# udp_rcvbuf_errors NS: datagrams the kernel of namespace NS dropped for a full socket
# receive buffer (Udp RcvbufErrors of /proc/net/snmp, which is per namespace).
udp_rcvbuf_errors() {
	local v
	v=$(in_ns "$1" awk '/^Udp:/ { if (!c) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i }
		else { print $c; exit } }' /proc/net/snmp 2>/dev/null)
	echo "${v:-0}"
}

# tx_dropped NS: the TX dropped counter of eth0 in namespace NS.
tx_dropped() {
	local v
	v=$(ip -n "$1" -s -j link show eth0 2>/dev/null | jq -r '.[0].stats64.tx.dropped // 0' 2>/dev/null)
	echo "${v:-0}"
}

# measure TAG: ping, TCP and UDP from i1 to i2; fills TCP, KPPS, AVG, P50, RAW.
measure() {
	local tag=$1 f err pings n
	# Warm up (ARP, MAC learning, the WireGuard handshake).
	if ! in_ns "$P-$tag-i1" timeout --foreground 20 ping -c 3 -i 0.2 -W 2 "$DST" >"$WORK/$tag-warm.txt" 2>&1; then
		WHY[$tag]="no connectivity from i1 to i2 ($DST): $(tail -n 2 "$WORK/$tag-warm.txt" | tr '\n' ' ')"
		return 1
	fi
	# RTT first, on an idle path.
	in_ns "$P-$tag-i1" timeout --foreground 60 ping -c "$PINGS" -i 0.01 -W 1 "$DST" >"$WORK/$tag-ping.txt" 2>&1
	pings=$(grep -o 'time=[0-9.]*' "$WORK/$tag-ping.txt" | cut -d= -f2 | sort -n)
	n=$(echo "$pings" | grep -c .)
	if [ "$n" -gt 0 ]; then
		AVG[$tag]=$(echo "$pings" | awk '{ s += $1 } END { printf "%.3f", s / NR }')
		P50[$tag]=$(echo "$pings" | awk -v n="$n" 'NR == int((n + 1) / 2) { printf "%.3f", $1 }')
	fi
	RAW[$tag]="ping: $n/$PINGS replies, $(grep -o 'min/avg/max/mdev = .*' "$WORK/$tag-ping.txt")"

	iperf "$tag" tcp -t "$TCP_SECONDS" -O 1
	f=$WORK/$tag-tcp.json
	err=$(jqf "$f" .error)
	if [ -z "$err" ] && [ -n "$(jqf "$f" .end.sum_received.bits_per_second)" ]; then
		TCP[$tag]=$(jqf "$f" .end.sum_received.bits_per_second | awk '{ printf "%.2f", $1 / 1e9 }')
		RAW[$tag]+=$'\n'"iperf3 TCP: sender $(jqf "$f" .end.sum_sent.bytes) bytes in $(jqf "$f" .end.sum_sent.seconds | awk '{ printf "%.2f", $1 }') s = $(jqf "$f" .end.sum_sent.bits_per_second | awk '{ printf "%.0f", $1 }') bit/s, $(jqf "$f" .end.sum_sent.retransmits) retransmits; receiver $(jqf "$f" .end.sum_received.bytes) bytes = $(jqf "$f" .end.sum_received.bits_per_second | awk '{ printf "%.0f", $1 }') bit/s"
	else
		RAW[$tag]+=$'\n'"iperf3 TCP failed: ${err:-no output}"
	fi

	local i2_0 i2_1 h2_0 h2_1 tx0 tx1
	i2_0=$(udp_rcvbuf_errors "$P-$tag-i2")
	h2_0=$(udp_rcvbuf_errors "$P-$tag-h2")
	tx0=$(tx_dropped "$P-$tag-i1")
	iperf "$tag" udp -u -l "$UDP_LEN" -b 0 -t "$UDP_SECONDS"
	i2_1=$(udp_rcvbuf_errors "$P-$tag-i2")
	h2_1=$(udp_rcvbuf_errors "$P-$tag-h2")
	tx1=$(tx_dropped "$P-$tag-i1")
	f=$WORK/$tag-udp.json
	err=$(jqf "$f" .error)
	if [ -z "$err" ] && [ -n "$(jqf "$f" .end.sum_received.seconds)" ]; then
		local sent rbytes rsec rpk lost
		sent=$(jqf "$f" .end.sum_sent.packets)
		rbytes=$(jqf "$f" .end.sum_received.bytes)
		rsec=$(jqf "$f" .end.sum_received.seconds)
		lost=$(jqf "$f" .end.sum_received.lost_packets)
		rpk=$((rbytes / UDP_LEN))
		KPPS[$tag]=$(awk -v p="$rpk" -v s="$rsec" 'BEGIN { if (s > 0) printf "%.1f", p / s / 1000 }')
		DELIV[$tag]=$(awk -v p="$((rpk + i2_1 - i2_0))" -v s="$rsec" 'BEGIN { if (s > 0) printf "%.1f", p / s / 1000 }')
		RAW[$tag]+=$'\n'"iperf3 UDP ${UDP_LEN} B: sent $sent datagrams in $(jqf "$f" .end.sum_sent.seconds | awk '{ printf "%.2f", $1 }') s ($(awk -v p="$sent" -v s="$(jqf "$f" .end.sum_sent.seconds)" 'BEGIN { if (s > 0) printf "%.1f", p / s / 1000 }') kpps); received $rpk ($rbytes bytes) in $(awk -v s="$rsec" 'BEGIN { printf "%.2f", s }') s; lost $lost"
		RAW[$tag]+=$'\n'"  where datagrams were dropped: $((tx1 - tx0)) sending on i1's eth0 (TX dropped: a full TAP or device queue), $((h2_1 - h2_0)) at UDP sockets of host h2 (a userspace tunnel's), $((i2_1 - i2_0)) at the receiving iperf3 (i2's UDP RcvbufErrors)"
	else
		RAW[$tag]+=$'\n'"iperf3 UDP failed: ${err:-no output}"
	fi
}

# --- main ----------------------------------------------------------------------------------

if [ "$(id -u)" != 0 ]; then
	echo "e2e: end-to-end benchmark skipped: network namespaces need root" | tee -a "$RESULTS"
	exit 0
fi
for tool in ip ping iperf3 jq ss curl timeout; do
	if ! command -v "$tool" >/dev/null; then
		echo "e2e: end-to-end benchmark skipped: $tool is not installed" | tee -a "$RESULTS"
		exit 0
	fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/onm-e2e.XXXXXX") || exit 1
trap cleanup EXIT
trap 'SIGNAL=HUP; exit 129' HUP
trap 'SIGNAL=INT; exit 130' INT
trap 'SIGNAL=TERM; exit 143' TERM
mkdir -p "$(dirname "$RESULTS")"

NAME[onm]="onm (onm-agent)"
NAME[kernel]="kernel VXLAN"
NAME[ovs]="OVS userspace VXLAN"
NAME[wg]="wireguard-go"
NAME[plain]="plain veth, routed"
MTU[onm]=1450
MTU[kernel]=1450
MTU[ovs]=1450
MTU[plain]=1500

for tag in $CONTENDERS; do
	if [ -z "${NAME[$tag]:-}" ]; then
		log "unknown contender $tag (known: plain onm kernel ovs wg)"
		continue
	fi
	log "${NAME[$tag]}: setting up"
	FAILED=
	DST=
	if setup_"$tag" 2>"$WORK/setup.err"; then
		log "${NAME[$tag]}: measuring (ping, TCP ${TCP_SECONDS} s, UDP ${UDP_SECONDS} s)"
		measure "$tag"
		if [ "$tag" = onm ]; then
			# The agents' drop counters (reported every second) after the runs.
			sleep 1.5
			for n in 1 2; do
				RAW[onm]+=$'\n'"agent h$n drops: $(curl -sf --max-time 2 "$CTL_URL/v1/agents/h$n" |
					jq -c '.counters.drops // "none reported"' 2>/dev/null)"
			done
		fi
	else
		WHY[$tag]=${FAILED:-setup failed: $(last setup.err)}
		log "${NAME[$tag]}: cannot be set up: ${WHY[$tag]}"
	fi
	stop_all
done

say ""
say "end to end, i1 (host h1) -> i2 (host h2), veth underlay MTU 1500, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
say "$(printf '  %-22s %5s %10s %13s %15s %11s %11s' contender MTU 'TCP Gbit/s' "UDP ${UDP_LEN}B kpps" '(delivered)' 'RTT avg ms' 'RTT p50 ms')"
for tag in $CONTENDERS; do
	[ -n "${NAME[$tag]:-}" ] || continue
	if [ -n "${WHY[$tag]:-}" ]; then
		say "$(printf '  %-22s not measured: %s' "${NAME[$tag]}" "${WHY[$tag]}")"
		continue
	fi
	say "$(printf '  %-22s %5s %10s %13s %15s %11s %11s' "${NAME[$tag]}" "${MTU[$tag]:--}" \
		"${TCP[$tag]:--}" "${KPPS[$tag]:--}" "(${DELIV[$tag]:--})" "${AVG[$tag]:--}" "${P50[$tag]:--}")"
done

# ratio A B: A/B with two decimals, "-" if either is missing or B is 0.
ratio() {
	awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {
		if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}
for tag in kernel ovs wg; do
	[[ " $CONTENDERS " == *" $tag "* && " $CONTENDERS " == *" onm "* ]] || continue
	if [ -n "${WHY[onm]:-}" ] || [ -n "${WHY[$tag]:-}" ]; then
		say "  onm/${NAME[$tag]}: not computed (a row is missing)"
		continue
	fi
	say "  onm/${NAME[$tag]}: TCP $(ratio "${TCP[onm]:-}" "${TCP[$tag]:-}"), UDP pps $(ratio "${KPPS[onm]:-}" "${KPPS[$tag]:-}") (delivered $(ratio "${DELIV[onm]:-}" "${DELIV[$tag]:-}")), RTT avg $(ratio "${AVG[onm]:-}" "${AVG[$tag]:-}") (below 1: onm is faster)"
done

# RTT added per agent hop. A ping round trip through onm crosses an agent four times: i1's
# request through agent h1 (TAP -> UDP) and agent h2 (UDP -> TAP), the reply through agent h2
# and agent h1 again. The plain row is the same path of namespaces and the same underlay with
# the kernel forwarding where the agents are (instance -> veth -> host -> ul0 -> host -> veth
# -> instance). So the time the agents add per traversal is
#   (RTT_onm - RTT_plain) / 4,
# computed on the medians (robust to the odd scheduling outlier) and, for reference, on the
# means. It charges the TAP (versus a veth) and the encapsulation to the agent, as they are
# the agent's work.
if [ -n "${P50[onm]:-}" ] && [ -n "${P50[plain]:-}" ]; then
	hop50=$(awk -v a="${P50[onm]}" -v b="${P50[plain]}" 'BEGIN { printf "%.0f", (a - b) / 4 * 1000 }')
	hopavg=$(awk -v a="${AVG[onm]}" -v b="${AVG[plain]}" 'BEGIN { printf "%.0f", (a - b) / 4 * 1000 }')
	say "  RTT added per agent hop: (RTT onm - RTT plain) / 4 traversals = ${hop50} us on the p50, ${hopavg} us on the mean (target <= 100 us)"
else
	say "  RTT added per agent hop: not computed (needs both the onm and the plain rows)"
fi
say "  TCP: iperf3, 1 stream, ${TCP_SECONDS} s after 1 s omitted, receiver's rate. UDP: iperf3 -u -l ${UDP_LEN} -b 0 for ${UDP_SECONDS} s"
say "  (${UDP_LEN}-byte payloads), datagrams the receiving iperf3 got per second; sender, receiver and data plane share"
say "  the $(nproc) cores, and one iperf3 receiver is itself a ceiling (see the plain row). (delivered): datagrams that"
say "  reached i2's socket per second, i.e. also those it dropped for a full receive buffer. RTT: ${PINGS} pings at 10 ms."
say "  onm, kernel VXLAN, OVS: one subnet over VXLAN VNI $VNI. OVS: netdev datapath on af_packet ports, underlay"
say "  address on its bridge br-phy (/24), instance TX checksum offload off, default settings otherwise."
say "  wireguard-go: each instance routed through its host namespace into the tunnel (same namespaces as the others)."
say "  raw figures:"
for tag in $CONTENDERS; do
	[ -n "${RAW[$tag]:-}" ] || continue
	say "    ${NAME[$tag]}:"
	while IFS= read -r line; do
		say "      $line"
	done <<<"${RAW[$tag]}"
done
exit 0
