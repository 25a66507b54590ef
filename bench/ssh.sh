#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Simulated devices over SSH (issue 5, "Benchmarks"), each figure beside its peer in the same
# run, on loopback:
#
#   1. login to prompt (`ssh -tt` started -> the prompt on its PTY) and exec round trip
#      (`ssh HOST 'show version'`), onm-controller's SSH server (device/ssh.c) beside OpenSSH's
#      sshd on the same machine (`ssh HOST true`): SSH_RUNS (30) of each, interleaved, the
#      order of the two servers swapped every round; median and p90.
#   2. `show ip route` on a VN whose router has ROUTES (100,000) static routes, in exec mode:
#      time to the first line and to the end of the output, beside `cat` of the same text
#      from a file and beside `ssh sshd 'cat FILE'` (the same bytes through the same client
#      and transport); ROUTE_RUNS (7) interleaved, medians. Then the same two with the
#      client's stdout on /dev/null (nothing behind the client to slow it), and the command
#      in one interactive session each (no login in the figure) beside bash's `cat FILE`.
#   3. `show interfaces` fan-out: typed REPEATS (200) times in interactive sessions, each
#      timed from Enter to the next prompt, on a controller with AGENTS (100) simulated agents
#      (bench-agents: hello, acks, a report a second with counters of the router's
#      interfaces, as onm-agent sends them) whose counters it sums, beside a second controller
#      with the same model and no agent, in interleaved blocks; p50 and p99. Beside them, the
#      same loop on sshd with bash's builtin `:` (the PTY + SSH floor).
#
# Like for like: both servers are asked for the same algorithms (curve25519-sha256 key
# exchange, chacha20-poly1305, Ed25519 host keys) and the same client key (public-key
# authentication: the onm user gets it through the topology's public_keys). OpenSSH 9.2's
# default key exchange, sntrup761x25519, is not offered by libssh 0.10 and costs ~0.1 s of CPU
# here, so it would be a difference of algorithm, not of server; it is shown on its own line.
# sshd runs as root with its own host key and config in a temp dir, on 127.0.0.1 only, without
# PAM, motd or lastlog (onm's devices print none either), with HOME pointed at an empty
# directory (SetEnv) whose .profile only sets PS1: what is measured is sshd and a stock bash
# login shell, not this machine's root dotfiles (pyenv init alone takes ~0.2 s).
#
# Results go to stdout and are appended to $BENCH_RESULTS (default build/bench-results.txt).
# The EXIT trap ends exactly the processes this script started, by PID.
#
# Environment: ONM_BUILD (build), BENCH_RESULTS, BENCH_SSH_PORT (17590: API, +1 onm SSH,
# +2 sshd, +3 SNMP, +4..+6 the second controller's), SSH_RUNS (30), ROUTES (100000),
# ROUTE_RUNS (7), AGENTS (100), REPEATS (200), FAN_BLOCKS (4).
set -u
cd "$(dirname "$0")/.." || exit 1
B=${ONM_BUILD:-build}
case $B in
/*) ;;
*) B=$PWD/$B ;;
esac
RESULTS=${BENCH_RESULTS:-$B/bench-results.txt}
BASE=${BENCH_SSH_PORT:-17590}
API=$((BASE)) ONM_PORT=$((BASE + 1)) SSHD_PORT=$((BASE + 2)) SNMP_PORT=$((BASE + 3))
SSH_RUNS=${SSH_RUNS:-30}
ROUTES=${ROUTES:-100000}
ROUTE_RUNS=${ROUTE_RUNS:-7}
AGENTS=${AGENTS:-100}
REPEATS=${REPEATS:-200}
TIME=$B/bench/bench-ssh-time
SSHD=/usr/sbin/sshd

WORK=$(mktemp -d /tmp/onm-bench-ssh.XXXXXX)
PIDS=()

BENCH_NAME=bench-ssh
BENCH_TITLE="simulated devices over SSH"
# shellcheck source=bench/lib.sh
. bench/lib.sh

cleanup() {
	local p
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for f in "$B/onm-controller" "$TIME" "$B/bench/bench-agents"; do
	[ -x "$f" ] || fail "$f is not built (ninja -C $B)"
done
command -v ssh >/dev/null || fail "ssh is not installed (scripts/deps.sh)"
[ -x "$SSHD" ] || fail "$SSHD is not installed (scripts/deps.sh bench installs openssh-server)"

# --- the topology: AGENTS hosts, a VN for the fan-out, a VN with ROUTES static routes --------

ssh-keygen -q -t ed25519 -N '' -C bench -f "$WORK/client_key" || fail "ssh-keygen failed"
PUBKEY=$(cat "$WORK/client_key.pub")

# Hosts b0..b(AGENTS-1) in a ring; tenant bench: network net (router r1, two instances on
# every host), network big (router r2 with ROUTES static /24s from 20.0.0.0 up, no instance:
# no agent's view carries it).
awk -v H="$AGENTS" -v R="$ROUTES" -v key="$PUBKEY" 'BEGIN {
	print "substrate:\n  hosts:"
	for (h = 0; h < H; h++)
		printf "    - {name: b%d}\n", h
	if (H > 1) {
		print "  links:"
		for (h = 0; h < (H > 2 ? H : 1); h++)
			printf "    - {a: b%d, b: b%d, latency: 1ms, bandwidth: 1gbit, cost: 1}\n", h, (h + 1) % H
	}
	print "tenants:\n  - name: bench\n    service_level: gold\n    users:"
	printf "      - {name: ann, role: admin, public_keys: [\"%s\"]}\n", key
	print "    networks:\n      - name: net\n        subnets:"
	print "          - {name: a, cidr: 10.0.0.0/16}\n          - {name: b, cidr: 10.1.0.0/16}"
	print "        routers:\n          - name: r1\n            interfaces:"
	print "              - {name: GigabitEthernet0/0, subnet: a, ip: 10.0.0.1}"
	print "              - {name: GigabitEthernet0/1, subnet: b, ip: 10.1.0.1}"
	print "        instances:"
	for (h = 0; h < H; h++) {
		printf "          - {name: a%d, subnet: a, host: b%d, ip: 10.0.%d.%d}\n", h, h, 1 + int(h / 250), 2 + h % 250
		printf "          - {name: b%d, subnet: b, host: b%d, ip: 10.1.%d.%d}\n", h, h, 1 + int(h / 250), 2 + h % 250
	}
	print "      - name: big\n        subnets:\n          - {name: s, cidr: 172.16.0.0/24}"
	print "        routers:\n          - name: r2\n            interfaces:"
	print "              - {name: GigabitEthernet0/0, subnet: s, ip: 172.16.0.1}"
	print "            routes:"
	for (i = 0; i < R; i++)
		printf "              - {prefix: %d.%d.%d.0/24, via: 172.16.0.20}\n", 20 + int(i / 65536), int(i / 256) % 256, i % 256
}' >"$WORK/topo.yaml"

# --- onm-controller and sshd -------------------------------------------------------------

mkdir -p "$WORK/state"
"$B/onm-controller" --store "sqlite:$WORK/state/onm.db" --api "127.0.0.1:$API" \
	--agents "unix:$WORK/state/agents.sock" --ssh "127.0.0.1:$ONM_PORT" \
	--snmp "127.0.0.1:$SNMP_PORT" --state-dir "$WORK/state" >"$WORK/controller.log" 2>&1 &
CTL=$!
PIDS+=("$CTL")
wait_for 100 curl -sf -o /dev/null "http://127.0.0.1:$API/healthz" ||
	fail "onm-controller did not come up: $(tail -3 "$WORK/controller.log")"
t_apply=$(curl -s -o "$WORK/plan.json" -w '%{time_total}' -H 'X-Onm-Source: topo.yaml' \
	--data-binary "@$WORK/topo.yaml" "http://127.0.0.1:$API/v1/apply")
grep -q '"revision"' "$WORK/plan.json" || fail "apply: $(head -c 400 "$WORK/plan.json")"

mkdir -p "$WORK/sshd/home"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/sshd/host_key" || fail "ssh-keygen failed"
cp "$WORK/client_key.pub" "$WORK/sshd/authorized_keys"
printf "PS1='sshd-bench\$ '\n" >"$WORK/sshd/home/.profile"
# StrictModes no: the temp dir's parents (/tmp) are world-writable.
cat >"$WORK/sshd/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $SSHD_PORT
HostKey $WORK/sshd/host_key
PidFile $WORK/sshd/sshd.pid
AuthorizedKeysFile $WORK/sshd/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
PrintLastLog no
UseDNS no
SetEnv HOME=$WORK/sshd/home
EOF
# The privilege separation directory the Debian service would make.
[ -d /run/sshd ] || mkdir -m 0755 /run/sshd || fail "cannot make /run/sshd"
"$SSHD" -D -e -f "$WORK/sshd/sshd_config" >"$WORK/sshd.log" 2>&1 &
SSHD_PID=$!
PIDS+=("$SSHD_PID")

SSH_COMMON=(-F /dev/null -i "$WORK/client_key" -o IdentitiesOnly=yes -o BatchMode=yes
	-o PreferredAuthentications=publickey -o StrictHostKeyChecking=no
	-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10
	-o HostKeyAlgorithms=ssh-ed25519 -o Ciphers=chacha20-poly1305@openssh.com)
SSH=(ssh "${SSH_COMMON[@]}" -o KexAlgorithms=curve25519-sha256)
ONM=("${SSH[@]}" -p "$ONM_PORT" -l ann@net/r1 127.0.0.1)
ONM_TT=("${SSH[@]}" -tt -p "$ONM_PORT" -l ann@net/r1 127.0.0.1)
ONM_BIG=("${SSH[@]}" -p "$ONM_PORT" -l ann@big/r2 127.0.0.1)
ONM_BIG_TT=("${SSH[@]}" -tt -p "$ONM_PORT" -l ann@big/r2 127.0.0.1)
OSSH=("${SSH[@]}" -p "$SSHD_PORT" -l root 127.0.0.1)
OSSH_TT=("${SSH[@]}" -tt -p "$SSHD_PORT" -l root 127.0.0.1)
OSSH_DEFAULT_KEX=(ssh "${SSH_COMMON[@]}" -p "$SSHD_PORT" -l root 127.0.0.1)

wait_for 50 "${OSSH[@]}" true </dev/null 2>/dev/null || fail "sshd does not answer: $(tail -3 "$WORK/sshd.log")"
out=$("${ONM[@]}" 'show version' </dev/null 2>&1)
grep -q "onm Virtual Router Software" <<<"$out" || fail "onm exec login failed: $out"

say ""
say "simulated devices over SSH, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
say "  ($(ssh -V 2>&1 | cut -d, -f1) client; $("$SSHD" -V 2>&1 | head -1 | cut -d, -f1) beside onm's libssh server;"
say "   public-key auth, curve25519-sha256, chacha20-poly1305, Ed25519 host keys for both)"
say "  apply of the topology ($AGENTS hosts, $((2 * AGENTS)) instances, $ROUTES static routes): $(awk -v t="$t_apply" 'BEGIN { printf "%.0f", t * 1000 }') ms"

# repeat N LABEL FILE PROMPT EXPECT LINE CMD...: one interactive session types LINE N times
# (after $SETUP, if set); bench-ssh-time's summary line goes to FILE, each sample ("I
# FIRST_LINE_MS MS") to FILE.samples.
repeat() {
	local n=$1 label=$2 file=$3 prompt=$4 expect=$5 cmd=$6
	shift 6
	"$TIME" repeat -v -p "$prompt" -e "$expect" -n "$n" -c "$cmd" -s "${SETUP:-}" \
		-t 300000 -- "$@" >"$file" 2>"$file.samples" || fail "$label: $(tail -3 "$file.samples")"
}

# --- 1. login to prompt, exec round trip ---------------------------------------------------

# run_timed FILE KEY CMD...: one bench-ssh-time run, its KEY appended to FILE.
run_timed() {
	local file=$1 key=$2 line
	shift 2
	line=$("$TIME" "$@") || fail "bench-ssh-time $*: failed"
	kv "$key" "$line" >>"$file"
}

for ((i = 0; i < SSH_RUNS; i++)); do
	# Swap who goes first every round.
	if ((i % 2)); then order="sshd onm"; else order="onm sshd"; fi
	for who in $order; do
		if [ "$who" = onm ]; then
			run_timed "$WORK/onm.prompt" prompt_ms prompt -p 'r1#' -t 30000 -- "${ONM_TT[@]}"
			run_timed "$WORK/onm.exec" end_ms exec -t 30000 -- "${ONM[@]}" 'show version'
		else
			run_timed "$WORK/sshd.prompt" prompt_ms prompt -p 'sshd-bench$ ' -t 30000 -- "${OSSH_TT[@]}"
			run_timed "$WORK/sshd.exec" end_ms exec -t 30000 -- "${OSSH[@]}" true
		fi
	done
	if ((i < 10)); then
		run_timed "$WORK/sshd.exec-default-kex" end_ms exec -t 30000 -- "${OSSH_DEFAULT_KEX[@]}" true
	fi
done
row() { # LABEL FILE
	printf '    %-44s median %7.1f ms   p90 %7.1f ms' "$1" "$(median <"$2")" "$(pct 0.9 <"$2")"
}
say ""
say "  1. login and exec round trip, $SSH_RUNS runs each, interleaved"
say "$(row "login to prompt, onm (ssh -tt, r1#)" "$WORK/onm.prompt")"
say "$(row "login to prompt, sshd (ssh -tt, bash login)" "$WORK/sshd.prompt")"
say "    ratio onm/sshd (medians): $(ratio "$(median <"$WORK/onm.prompt")" "$(median <"$WORK/sshd.prompt")") (target <= 1)"
say "$(row "exec round trip, onm ('show version')" "$WORK/onm.exec")"
say "$(row "exec round trip, sshd ('true')" "$WORK/sshd.exec")"
say "    ratio onm/sshd (medians): $(ratio "$(median <"$WORK/onm.exec")" "$(median <"$WORK/sshd.exec")") (target <= 1)"
say "$(row "  sshd 'true', OpenSSH's default kex (10 runs)" "$WORK/sshd.exec-default-kex")"

# --- 2. show ip route with ROUTES static routes --------------------------------------------

"${ONM_BIG[@]}" 'show ip route' </dev/null >"$WORK/routes.txt" 2>"$WORK/routes.err" ||
	fail "show ip route: $(head -3 "$WORK/routes.err")"
n_lines=$(wc -l <"$WORK/routes.txt")
n_static=$(grep -c '^S ' "$WORK/routes.txt")
[ "$n_static" = "$ROUTES" ] || fail "show ip route listed $n_static static routes, not $ROUTES"
for ((i = 0; i < ROUTE_RUNS; i++)); do
	line=$("$TIME" exec -t 120000 -- "${ONM_BIG[@]}" 'show ip route') || fail "show ip route failed"
	[ "$(kv lines "$line")" = "$n_lines" ] || fail "show ip route: $(kv lines "$line") lines, not $n_lines"
	echo "$(kv line_ms "$line") $(kv end_ms "$line")" >>"$WORK/route.onm"
	line=$("$TIME" exec -t 120000 -- cat "$WORK/routes.txt") || fail "cat failed"
	echo "$(kv line_ms "$line") $(kv end_ms "$line")" >>"$WORK/route.cat"
	line=$("$TIME" exec -t 120000 -- "${OSSH[@]}" "cat $WORK/routes.txt") || fail "ssh sshd cat failed"
	[ "$(kv lines "$line")" = "$n_lines" ] || fail "ssh sshd cat: $(kv lines "$line") lines, not $n_lines"
	echo "$(kv line_ms "$line") $(kv end_ms "$line")" >>"$WORK/route.sshd"
	# The same two with the client's stdout on /dev/null: no reader to wait for.
	line=$("$TIME" exec -N -t 120000 -- "${ONM_BIG[@]}" 'show ip route') || fail "show ip route failed"
	kv end_ms "$line" >>"$WORK/route.onm-null"
	line=$("$TIME" exec -N -t 120000 -- "${OSSH[@]}" "cat $WORK/routes.txt") || fail "ssh sshd cat failed"
	kv end_ms "$line" >>"$WORK/route.sshd-null"
done
# The same in one interactive session each (no login in the figures): Enter to the first
# line of the answer and to the next prompt, through the PTY, beside bash's cat on sshd.
last='L        172.16.0.1/32 is directly connected'
SETUP='terminal length 0' repeat "$ROUTE_RUNS" "show ip route, interactive" "$WORK/route.onm-pty" \
	'r2#' "$last" 'show ip route' "${ONM_BIG_TT[@]}"
repeat "$ROUTE_RUNS" "cat, interactive" "$WORK/route.sshd-pty" 'sshd-bench$ ' "$last" \
	"cat $WORK/routes.txt" "${OSSH_TT[@]}"
for f in route.onm-pty route.sshd-pty; do
	# The answer through the PTY (CR LF, echo and prompt): at least the text itself.
	[ "$(kv bytes "$(cat "$WORK/$f")")" -ge "$(stat -c %s "$WORK/routes.txt")" ] ||
		fail "$f: a short answer: $(cat "$WORK/$f")"
done

rrow() { # LABEL FILE
	printf '    %-44s first line %7.1f ms   end %7.1f ms   end-first %7.1f ms' "$1" \
		"$(cut -d' ' -f1 "$2" | median)" "$(cut -d' ' -f2 "$2" | median)" \
		"$(awk '{ print $2 - $1 }' "$2" | median)"
}
prow() { # LABEL FILE
	local l
	l=$(cat "$2")
	printf '    %-44s first line %7.1f ms   end %7.1f ms' "$1" "$(kv line_p50_ms "$l")" "$(kv p50_ms "$l")"
}
end_of() { cut -d' ' -f2 "$1" | median; }
first_of() { cut -d' ' -f1 "$1" | median; }
streamed() { awk '{ print $2 - $1 }' "$1" | median; }
say ""
say "  2. show ip route, $ROUTES static routes ($n_lines lines, $(stat -c %s "$WORK/routes.txt") bytes), exec mode, medians of $ROUTE_RUNS"
say "$(rrow "onm: ssh r2 'show ip route'" "$WORK/route.onm")"
say "$(rrow "cat of the same text from a file" "$WORK/route.cat")"
say "$(rrow "sshd: ssh 'cat FILE' (same text, same client)" "$WORK/route.sshd")"
say "    ratio onm/cat: first line $(ratio "$(first_of "$WORK/route.onm")" "$(first_of "$WORK/route.cat")"), end $(ratio "$(end_of "$WORK/route.onm")" "$(end_of "$WORK/route.cat")")"
say "    ratio onm/sshd-cat: first line $(ratio "$(first_of "$WORK/route.onm")" "$(first_of "$WORK/route.sshd")"), end $(ratio "$(end_of "$WORK/route.onm")" "$(end_of "$WORK/route.sshd")"), after the first line $(ratio "$(streamed "$WORK/route.onm")" "$(streamed "$WORK/route.sshd")")"
say "$(printf '    %-44s onm %7.1f ms   sshd cat %7.1f ms   ratio %s' "client's stdout on /dev/null, to its exit:" \
	"$(median <"$WORK/route.onm-null")" "$(median <"$WORK/route.sshd-null")" \
	"$(ratio "$(median <"$WORK/route.onm-null")" "$(median <"$WORK/route.sshd-null")")")"
say "    in one interactive session each (Enter to first line / to the prompt), medians of $ROUTE_RUNS:"
say "$(prow "onm: show ip route (terminal length 0)" "$WORK/route.onm-pty")"
say "$(prow "sshd: bash, cat FILE" "$WORK/route.sshd-pty")"
say "    ratio onm/sshd-cat: first line $(ratio "$(kv line_p50_ms "$(cat "$WORK/route.onm-pty")")" "$(kv line_p50_ms "$(cat "$WORK/route.sshd-pty")")"), end $(ratio "$(kv p50_ms "$(cat "$WORK/route.onm-pty")")" "$(kv p50_ms "$(cat "$WORK/route.sshd-pty")")")"

# --- 3. show interfaces fan-out ------------------------------------------------------------

# A second controller with the same model and no agent is the baseline; the AGENTS simulated
# agents connect to the first. The two (and the sshd floor) are measured in interleaved blocks
# of REPEATS/FAN_BLOCKS commands, one interactive session each, so that the machine's load
# falls on all alike; the percentiles are over all REPEATS samples of each.
mkdir -p "$WORK/state0"
"$B/onm-controller" --store "sqlite:$WORK/state0/onm.db" --api "127.0.0.1:$((BASE + 4))" \
	--agents "unix:$WORK/state0/agents.sock" --ssh "127.0.0.1:$((BASE + 5))" \
	--snmp "127.0.0.1:$((BASE + 6))" --state-dir "$WORK/state0" >"$WORK/controller0.log" 2>&1 &
PIDS+=("$!")
wait_for 100 curl -sf -o /dev/null "http://127.0.0.1:$((BASE + 4))/healthz" ||
	fail "the second onm-controller did not come up: $(tail -3 "$WORK/controller0.log")"
curl -s -o "$WORK/plan0.json" -H 'X-Onm-Source: topo.yaml' --data-binary "@$WORK/topo.yaml" \
	"http://127.0.0.1:$((BASE + 4))/v1/apply"
grep -q '"revision"' "$WORK/plan0.json" || fail "apply: $(head -c 400 "$WORK/plan0.json")"
ONM0_TT=("${SSH[@]}" -tt -p "$((BASE + 5))" -l ann@net/r1 127.0.0.1)

"$B/bench/bench-agents" -d 900 "unix:$WORK/state/agents.sock" b "$AGENTS" \
	>"$WORK/agents.out" 2>"$WORK/agents.err" &
AG=$!
PIDS+=("$AG")
wait_for 600 grep -q "^ready agents=$AGENTS" "$WORK/agents.out" ||
	fail "the $AGENTS simulated agents did not get their views: $(tail -3 "$WORK/agents.err")"
n_conn=$(curl -s "http://127.0.0.1:$API/v1/agents" | jq '[.items[] | select(.connected)] | length')
[ "$n_conn" = "$AGENTS" ] || fail "$n_conn agents connected, not $AGENTS"
sleep 2 # every agent's reports in, some twice
out=$("${ONM[@]}" 'show interfaces GigabitEthernet0/0' </dev/null 2>&1)
in_pk=$(sed -n 's/^ *\([0-9]*\) packets input.*/\1/p' <<<"$out")
[ "${in_pk:-0}" -gt 0 ] || fail "show interfaces does not sum the agents' counters: $out"

FAN_BLOCKS=${FAN_BLOCKS:-4}
per=$(((REPEATS + FAN_BLOCKS - 1) / FAN_BLOCKS))
for ((b = 0; b < FAN_BLOCKS; b++)); do
	for who in none agents sshd; do
		case $who in
		none) SETUP='terminal length 0' repeat "$per" "no agents" "$WORK/fan.none.$b" 'r1#' \
			'packets input' 'show interfaces' "${ONM0_TT[@]}" ;;
		agents) SETUP='terminal length 0' repeat "$per" "$AGENTS agents" "$WORK/fan.agents.$b" \
			'r1#' 'packets input' 'show interfaces' "${ONM_TT[@]}" ;;
		sshd) repeat "$per" "sshd floor" "$WORK/fan.sshd.$b" 'sshd-bench$ ' '' ':' "${OSSH_TT[@]}" ;;
		esac
	done
done
kill -0 "$AG" 2>/dev/null || fail "the simulated agents exited: $(tail -3 "$WORK/agents.err")"
for who in none agents sshd; do
	cat "$WORK/fan.$who".*.samples | awk '{ print $3 }' >"$WORK/fan.$who"
done

frow() { # LABEL FILE
	printf '    %-46s p50 %6.2f ms   p99 %6.2f ms   max %6.2f ms' "$1" "$(pct 0.5 <"$2")" \
		"$(pct 0.99 <"$2")" "$(pct 1 <"$2")"
}
say ""
say "  3. show interfaces, $((per * FAN_BLOCKS)) times each in $FAN_BLOCKS interleaved interactive sessions (Enter to next prompt)"
say "$(frow "onm, no agent connected (a second controller)" "$WORK/fan.none")"
say "$(frow "onm, $AGENTS agents reporting ($in_pk pkts in, summed)" "$WORK/fan.agents")"
say "    fan-out cost: p50 $(ratio "$(pct 0.5 <"$WORK/fan.agents")" "$(pct 0.5 <"$WORK/fan.none")")x, p99 $(ratio "$(pct 0.99 <"$WORK/fan.agents")" "$(pct 0.99 <"$WORK/fan.none")")x the figure without agents"
say "$(frow "sshd, bash builtin ':' (PTY + SSH floor)" "$WORK/fan.sshd")"
say "  load after: $(cut -d' ' -f1-3 /proc/loadavg)"
