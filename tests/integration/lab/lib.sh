# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
#
# Helpers of the lab tests (tests/integration/lab-*.sh), on top of ../lib.sh: each test
# runs its own lab named t$$ with its state directory in the test's temp dir and its own
# loopback ports, so that it can run beside other tests; an EXIT trap takes the lab down
# ('onm lab down' removes only what the lab recorded). Every wait is bounded.

# shellcheck source=tests/integration/lib.sh disable=SC2034 # RC, OUT, ERR, CTL_URL: for the tests
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

LAB=t$$
LAB_STATE=
LAB_PORT=
AGENT_BIN=$T_BUILD/onm-agent
BG_PIDS=() # background clients (captures, listeners) this test started

# A free loopback TCP port in 20000..32767, below Linux's ephemeral range (32768..60999)
# so that no client's local port can take it between the check and the bind.
free_port() {
	local port i
	for ((i = 0; i < 50; i++)); do
		port=$((20000 + RANDOM % 12768))
		port_in_use "$port" || {
			echo "$port"
			return 0
		}
	done
	return 1
}

lab_cleanup() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	if [ -n "${ONM_TEST_KEEP_LAB:-}" ] && [ -d "$LAB_STATE" ]; then
		# Debugging: leave the lab and its temp dir for a look.
		echo "# kept: onm lab down --name $LAB --state-dir $LAB_STATE; rm -rf $T_DIR"
		return
	fi
	if [ -n "$LAB_STATE" ] && [ -d "$LAB_STATE" ]; then
		timeout 60 "$ONM_BIN" lab down --name "$LAB" --state-dir "$LAB_STATE" >/dev/null 2>&1
	fi
	t_cleanup
}

# lab_setup: temp dir, EXIT trap, and the checks every lab test needs (root, tools). Skips
# the whole test (TAP "1..0 # SKIP") when the machine cannot run a lab.
lab_setup() {
	t_setup
	trap lab_cleanup EXIT
	local tool
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP needs root (network namespaces)"
		exit 0
	fi
	# make test installs these (scripts/deps.sh): missing is a failure, not a skip.
	for tool in ip tc bridge udhcpc ping traceroute nc tcpdump tshark ethtool iptables; do
		command -v "$tool" >/dev/null || bail "$tool is not installed (scripts/deps.sh installs it)"
	done
	LAB_STATE=$T_DIR/lab
	LAB_PORT=$(free_port) || bail "no free port"
}

# lab_up FILE: 'onm lab up' for this test's lab; sets RC, OUT, ERR, LAB_SSH_PORT.
lab_up() {
	local snmp
	LAB_SSH_PORT=$(free_port) || bail "no free port"
	snmp=$(free_port) || snmp=0
	timeout 180 "$ONM_BIN" lab up "$1" --name "$LAB" --state-dir "$LAB_STATE" \
		--api "127.0.0.1:$LAB_PORT" --ssh "127.0.0.1:$LAB_SSH_PORT" --snmp "127.0.0.1:$snmp" \
		--timeout 60 >"$T_DIR/out" 2>"$T_DIR/err" </dev/null
	RC=$?
	OUT=$(cat "$T_DIR/out")
	ERR=$(cat "$T_DIR/err")
	CTL_URL=http://127.0.0.1:$LAB_PORT
}

# lab ARGS...: 'onm lab ARGS' for this lab (at most 60 s); sets RC, OUT, ERR.
lab() {
	local sub=$1
	shift
	timeout 60 "$ONM_BIN" lab "$sub" --name "$LAB" --state-dir "$LAB_STATE" "$@" \
		>"$T_DIR/out" 2>"$T_DIR/err" </dev/null
	RC=$?
	OUT=$(cat "$T_DIR/out")
	ERR=$(cat "$T_DIR/err")
}

# lx INSTANCE CMD...: runs CMD in the instance's namespace, output to stdout/stderr.
lx() {
	local inst=$1
	shift
	timeout 30 "$ONM_BIN" lab exec --name "$LAB" --state-dir "$LAB_STATE" "$inst" -- "$@"
}

# lx_bg FILE INSTANCE CMD...: runs CMD in the background in the instance's namespace
# with its output in FILE; its PID (the command's own: 'lab exec' becomes it) is in
# BG_PID and is ended by the EXIT trap.
lx_bg() {
	local file=$1 inst=$2
	shift 2
	timeout 60 "$ONM_BIN" lab exec --name "$LAB" --state-dir "$LAB_STATE" "$inst" -- "$@" \
		>"$file" 2>&1 </dev/null &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# wait_for FILE PATTERN TENTHS: waits (bounded) until FILE has a line matching PATTERN.
wait_for() {
	local i
	for ((i = 0; i < $3; i++)); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# capture_start FILE INSTANCE [FILTER...]: tcpdump on the instance's eth0 into pcap FILE,
# waiting (bounded) until it listens. Sets BG_PID.
capture_start() {
	local file=$1 inst=$2
	shift 2
	lx_bg "$file.log" "$inst" tcpdump -i eth0 -n -U --immediate-mode -w "$file" "$@"
	wait_for "$file.log" "listening on" 50
}

# capture_stop PID: stops a capture (SIGINT: tcpdump writes what it has) and waits.
capture_stop() {
	kill -INT "$1" 2>/dev/null
	wait_gone "$1" 50 || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# resumes_within MS INSTANCE ADDRESS: pings ADDRESS from INSTANCE until it answers, for
# at most MS milliseconds; prints how many milliseconds that took, or nothing.
resumes_within() {
	local limit=$1 inst=$2 addr=$3 start now i
	start=$(date +%s%N)
	for ((i = 0; i < 1000; i++)); do
		if lx "$inst" ping -c 1 -W 0.2 "$addr" >/dev/null 2>&1; then
			echo $((($(date +%s%N) - start) / 1000000))
			return 0
		fi
		now=$(date +%s%N)
		(((now - start) / 1000000 > limit)) && return 1
		sleep 0.02
	done
	return 1
}

# frames FILE: the number of frames in pcap FILE.
frames() {
	tcpdump -n -r "$1" 2>/dev/null | wc -l
}

# mac_of INSTANCE: the MAC of the instance's eth0.
mac_of() {
	lx "$1" cat /sys/class/net/eth0/address 2>/dev/null
}

# instance_netns INSTANCE_ID: the namespace of an instance, from lab.json.
instance_netns() {
	local id=${1//\//.}
	echo "onm-$LAB-i.$id"
}

# pids_of_lab: every pid pids.json records (supervisor's services) and the supervisor.
pids_of_lab() {
	sed -nE 's/.*"pid": *([0-9]+).*/\1/p' "$LAB_STATE/pids.json" 2>/dev/null
}

# lab_namespaces: namespaces whose name starts with this lab's prefix.
lab_namespaces() {
	ip netns list | awk '{print $1}' | grep -E "^onm-$LAB-" || true
}

# lab_restart_controller: kills the lab's controller (its pid from pids.json, nothing else)
# and waits up to 30 s for the supervisor's new one to answer /healthz. Sets CTL_OLD and
# CTL_NEW; fails if there was none to kill or none came back.
lab_restart_controller() {
	local i
	CTL_OLD=$(jq -r '.services.controller.pid // empty' "$LAB_STATE/pids.json" 2>/dev/null)
	CTL_NEW=
	[ -n "$CTL_OLD" ] && alive "$CTL_OLD" || return 1
	kill -KILL "$CTL_OLD"
	for ((i = 0; i < 150; i++)); do
		sleep 0.2
		CTL_NEW=$(jq -r '.services.controller.pid // empty' "$LAB_STATE/pids.json" 2>/dev/null)
		if [ -n "$CTL_NEW" ] && [ "$CTL_NEW" != "$CTL_OLD" ] && curl -sf "$CTL_URL/healthz" >/dev/null; then
			return 0
		fi
	done
	return 1
}
