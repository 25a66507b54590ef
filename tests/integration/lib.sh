# SPDX-License-Identifier: Apache-2.0
#
# Shared helpers of the integration tests, sourced by each tests/integration/*.sh:
# TAP output (ok/not ok, the plan at the end), a private temp dir removed on exit, and
# one onm-controller at a time on a free loopback port with its own SQLite store. The
# helpers only ever signal the controller PID they started themselves, and every wait is
# bounded. The binaries come from $ONM_BUILD (default: build/ of this repository).

# shellcheck disable=SC2034 # variables used by the scripts that source this file
set -u

T_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T_BUILD=${ONM_BUILD:-$T_ROOT/build}
case $T_BUILD in
/*) ;;
*) T_BUILD=$PWD/$T_BUILD ;;
esac
# T_SANITIZED: 1 when the binaries carry sanitizers (ASan makes the data plane several times
# slower): timing checks then leave room for it; the plain build keeps the exact bounds.
T_SANITIZED=
grep -q '"name": "b_sanitize", "value": "address' "$T_BUILD/meson-info/intro-buildoptions.json" \
	2>/dev/null && T_SANITIZED=1
ONM_BIN=$T_BUILD/onm
CONTROLLER_BIN=$T_BUILD/onm-controller

# The tests set these themselves where they need them.
unset ONM_TOKEN ONM_CONTROLLER

T_N=0          # tests run so far
T_FAILED=0     # of which failed
T_DIR=         # private temp dir
CTL_PID=       # PID of the controller this test started, if running
CTL_PORT=      # its API port
CTL_URL=       # http://127.0.0.1:PORT
CTL_STATUS=    # exit status of the last controller stopped
T_CHILDREN=()  # other background PIDs this test started

ok() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $*"
}

not_ok() {
	T_N=$((T_N + 1))
	T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_N - $*"
}

diag() {
	local line
	while IFS= read -r line; do
		echo "# $line"
	done <<<"$*"
}

# check DESCRIPTION COMMAND...: one test, passing when COMMAND succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
	fi
}

# skip DESCRIPTION REASON
skip() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $1 # SKIP $2"
}

# Ends the test: prints the plan and exits 0 when everything passed.
done_testing() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ] && exit 0
	exit 1
}

bail() {
	echo "Bail out! $*"
	if [ -n "$T_DIR" ] && [ -s "$T_DIR/controller.log" ]; then
		diag "controller log (last lines):"
		diag "$(tail -n 20 "$T_DIR/controller.log")"
	fi
	exit 1
}

# True while PID runs (a zombie does not count).
alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# wait_gone PID TENTHS: waits at most TENTHS tenths of a second for PID to end.
wait_gone() {
	local i
	for ((i = 0; i < $2; i++)); do
		alive "$1" || return 0
		sleep 0.1
	done
	! alive "$1"
}

# True if something listens on 127.0.0.1:PORT.
port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# healthz: prints the controller's /healthz body; fails if it does not answer 200 in 2 s.
healthz() {
	curl -sf --max-time 2 "$CTL_URL/healthz"
}

# start_controller DB [ENV=VALUE...]: starts onm-controller on store sqlite:DB and a free
# loopback port (a bounded number of tries), its agent channel on $T_DIR/agents.sock, with
# the extra environment given, and waits (bounded) until /healthz answers. Sets CTL_PID,
# CTL_PORT, CTL_URL.
start_controller() {
	local db=$1 attempt port i
	shift
	for ((attempt = 0; attempt < 20; attempt++)); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		port_in_use "$port" && continue
		env "$@" "$CONTROLLER_BIN" --store "sqlite:$db" --api "127.0.0.1:$port" \
			--agents "unix:$T_DIR/agents.sock" --ssh 127.0.0.1:0 --snmp 127.0.0.1:0 \
			>>"$T_DIR/controller.log" 2>&1 </dev/null &
		CTL_PID=$!
		CTL_PORT=$port
		CTL_URL=http://127.0.0.1:$port
		for ((i = 0; i < 100; i++)); do
			alive "$CTL_PID" || break
			if healthz >/dev/null; then
				return 0
			fi
			sleep 0.1
		done
		# Did not come up (port taken meanwhile, or slow): stop it, try another port.
		{
			kill -KILL "$CTL_PID"
			wait "$CTL_PID"
		} 2>/dev/null
		CTL_PID=
	done
	return 1
}

# stop_controller [SIGNAL]: sends SIGNAL (default TERM) to the controller this test
# started, waits at most 15 s (then kills it), and sets CTL_STATUS to its exit status.
stop_controller() {
	local sig=${1:-TERM}
	CTL_STATUS=
	[ -n "$CTL_PID" ] || return 0
	{
		kill "-$sig" "$CTL_PID"
		if ! wait_gone "$CTL_PID" 150; then
			diag "controller $CTL_PID did not stop after SIG$sig; killing it"
			kill -KILL "$CTL_PID"
		fi
		wait "$CTL_PID"
		CTL_STATUS=$?
	} 2>/dev/null
	CTL_PID=
}

t_cleanup() {
	local pid
	for pid in "${T_CHILDREN[@]}"; do
		if alive "$pid"; then
			kill -TERM "$pid" 2>/dev/null
		fi
	done
	if [ -n "$CTL_PID" ] && alive "$CTL_PID"; then
		{
			kill -KILL "$CTL_PID"
			wait "$CTL_PID"
		} 2>/dev/null
	fi
	if [ -n "$T_DIR" ] && [ -d "$T_DIR" ]; then
		rm -rf "$T_DIR"
	fi
}

# onm_run ARGS...: runs the client against the controller (at most 60 s); sets RC, OUT
# (stdout) and ERR (stderr). Environment given as a prefix (VAR=x onm_run ...) reaches it.
onm_run() {
	timeout 60 "$ONM_BIN" --controller "$CTL_URL" "$@" >"$T_DIR/out" 2>"$T_DIR/err" </dev/null
	RC=$?
	OUT=$(cat "$T_DIR/out")
	ERR=$(cat "$T_DIR/err")
}

# Shows the last onm_run's result in the TAP output, for failures.
show_run() {
	diag "exit status $RC"
	[ -n "$OUT" ] && diag "stdout: $OUT"
	[ -n "$ERR" ] && diag "stderr: $ERR"
	return 0
}

# expect_run DESCRIPTION STATUS ARGS...: runs onm; one test passing on exit STATUS.
expect_run() {
	local desc=$1 want=$2
	shift 2
	onm_run "$@"
	if [ "$RC" -eq "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc (exit $RC, wanted $want)"
		show_run
	fi
}

# has TEXT PATTERN: TEXT contains a line matching the extended regex PATTERN.
has() {
	grep -Eq -- "$2" <<<"$1"
}

# t_setup: the temp dir, the exit trap and the checks every test needs.
t_setup() {
	T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/onm-test.XXXXXX") || bail "cannot create a temp dir"
	trap t_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	[ -x "$ONM_BIN" ] || bail "no $ONM_BIN (build first, or set ONM_BUILD)"
	[ -x "$CONTROLLER_BIN" ] || bail "no $CONTROLLER_BIN (build first, or set ONM_BUILD)"
	command -v curl >/dev/null || bail "curl is not installed"
	command -v timeout >/dev/null || bail "timeout (coreutils) is not installed"
}

# write_topology FILE: a small topology of the test's own, in the format of spec.md. Two
# instances are named web1 (in acme/blue and globex/red) so that short names can be
# ambiguous.
write_topology() {
	cat >"$1" <<'EOF'
substrate:
  hosts:
    - {name: h1}
    - {name: h2}
    - {name: h3, capabilities: [inspection]}
  links:
    - {a: h1, b: h2, latency: 1ms, bandwidth: 1gbit, cost: 10}
    - {a: h2, b: h3, latency: 15ms, bandwidth: 100mbit, cost: 1, loss: 0.5%}
tenants:
  - name: acme
    service_level: platinum
    users:
      - {name: alice, role: admin, password: "correct horse"}
      - {name: victor, role: viewer, password: "battery staple"}
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
            routes:
              - {prefix: 10.9.0.0/16, via: 10.1.2.20}
        security_groups:
          - name: web
            rules:
              - {dir: in, proto: tcp, ports: 80, from: 0.0.0.0/0}
              - {dir: in, proto: icmp, from: 10.1.0.0/16}
        instances:
          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10, security_groups: [web]}
          - {name: db1, subnet: db, host: h3, ip: 10.1.2.10}
  - name: globex
    service_level: silver
    networks:
      - name: red
        subnets: [{name: main, cidr: 10.1.1.0/24}]
        instances:
          - {name: app1, subnet: main, host: h1, ip: 10.1.1.10}
          - {name: web1, subnet: main, host: h2, ip: 10.1.1.20}
EOF
}

# The kinds `onm get` lists.
T_KINDS=(hosts links service_levels tenants networks routers instances routes)
