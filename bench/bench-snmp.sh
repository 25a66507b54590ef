#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The simulated routers over SNMP (issue 6, "Benchmarks"), each figure beside its peer in the
# same run, on loopback:
#
#   1. snmpbulkwalk of ifTable of a router with INTERFACES (1,000) interfaces and of
#      inetCidrRouteTable of a router with ROUTES (100,000) static routes, from
#      onm-controller's agent (device/snmp.c), beside the same walks of a stock snmpd
#      (Debian's net-snmp 5.9) answering for its own tables of similar size: a network
#      namespace with INTERFACES veth interfaces and ROUTES kernel routes. The same client and
#      flags for both (-v2c -Cr$REPS); RUNS (3) of each, interleaved, median (every run
#      shown: snmpd's first walk loads its route cache); varbinds per second; the
#      controller's CPU time per walk.
#   2. the first request to the 100,000-route router after a change of it (its sorted
#      snapshot is built then) and the request after it.
#   3. the controller's REST latency (GET /v1/tenants/bench, sequential on one connection,
#      curl) while each walk runs, beside the same with no walk: p50, p99, max.
#
# Needs root for the namespace (without it the snmpd side is left out, and said so).
# Results go to stdout and are appended to $BENCH_RESULTS (default build/bench-results.txt).
# The EXIT trap ends exactly the processes this script started, by PID, and deletes its
# namespace.
#
# Environment: ONM_BUILD (build), BENCH_RESULTS, BENCH_SNMP_PORT (17610: API, +1 onm SNMP,
# +2 snmpd), INTERFACES (1000), ROUTES (100000), RUNS (3), REPS (25: max-repetitions).
set -u
cd "$(dirname "$0")/.." || exit 1
B=${ONM_BUILD:-build}
case $B in
/*) ;;
*) B=$PWD/$B ;;
esac
RESULTS=${BENCH_RESULTS:-$B/bench-results.txt}
BASE=${BENCH_SNMP_PORT:-17610}
API=$BASE SNMP=$((BASE + 1)) SNMPD=$((BASE + 2))
IFS_N=${INTERFACES:-1000}
ROUTES=${ROUTES:-100000}
RUNS=${RUNS:-3}
REPS=${REPS:-25}
IFTABLE=.1.3.6.1.2.1.2.2
ROUTETABLE=.1.3.6.1.2.1.4.24.7
NS=onm-bsnmp-$$

WORK=$(mktemp -d /tmp/onm-bench-snmp.XXXXXX)
PIDS=()
NS_MADE=

BENCH_NAME=bench-snmp
BENCH_TITLE=SNMP
# shellcheck source=bench/lib.sh
. bench/lib.sh

cleanup() {
	local p
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	[ -n "$NS_MADE" ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$B/onm-controller" ] || fail "$B/onm-controller is not built (ninja -C $B)"
for tool in snmpbulkwalk snmpget curl; do
	command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/deps.sh)"
done


# --- onm: a router with INTERFACES interfaces (one subnet each), one with ROUTES statics ---------

awk -v N="$IFS_N" -v R="$ROUTES" 'BEGIN {
	print "substrate:\n  hosts: [{name: h1}]"
	print "tenants:\n  - name: bench\n    snmp: {ro_community: public}"
	print "    users: [{name: nms, role: viewer, password: \"bench pass\", snmpv3: true}]"
	print "    networks:"
	print "      - name: wide\n        subnets:"
	for (i = 0; i < N; i++)
		printf "          - {name: s%d, cidr: 10.%d.%d.0/24}\n", i, int(i / 256), i % 256
	print "        routers:\n          - name: r1k\n            interfaces:"
	for (i = 0; i < N; i++)
		printf "              - {name: GigabitEthernet%d/%d, subnet: s%d, ip: 10.%d.%d.1}\n",
			int(i / 48), i % 48, i, int(i / 256), i % 256
	print "      - name: big\n        subnets:\n          - {name: s, cidr: 172.16.0.0/24}"
	print "        routers:\n          - name: r2\n            interfaces:"
	print "              - {name: GigabitEthernet0/0, subnet: s, ip: 172.16.0.1}"
	print "            routes:"
	for (i = 0; i < R; i++)
		printf "              - {prefix: %d.%d.%d.0/24, via: 172.16.0.20}\n",
			20 + int(i / 65536), int(i / 256) % 256, i % 256
}' >"$WORK/topo.yaml"

"$B/onm-controller" --store "sqlite:$WORK/state/onm.db" --api "127.0.0.1:$API" \
	--agents "unix:$WORK/state/agents.sock" --ssh off --snmp "127.0.0.1:$SNMP" \
	>"$WORK/controller.log" 2>&1 &
CTL=$!
PIDS+=("$CTL")
wait_for 100 curl -sf -o /dev/null "http://127.0.0.1:$API/healthz" ||
	fail "the controller did not start: $(tail -3 "$WORK/controller.log")"
code=$(curl -s -o "$WORK/plan.json" -w '%{http_code}' -H 'X-Onm-Source: topo.yaml' \
	--data-binary "@$WORK/topo.yaml" "http://127.0.0.1:$API/v1/apply")
[ "$code" = 200 ] || fail "apply: HTTP $code $(head -c 300 "$WORK/plan.json")"
if ! snmpget -v2c -c public@wide/r1k -t 2 -r 0 "127.0.0.1:$SNMP" .1.3.6.1.2.1.1.5.0 \
	>/dev/null 2>&1; then
	grep -q "SNMP not served yet" "$WORK/controller.log" &&
		fail "onm-controller does not serve SNMP yet (controller/main.c is not wired to device/snmp.c)"
	fail "onm-controller's SNMP agent does not answer on 127.0.0.1:$SNMP"
fi

# --- stock snmpd in a namespace with tables of the same size ------------------------------

SNMPD_OK=
if [ "$(id -u)" = 0 ] && [ -x /usr/sbin/snmpd ]; then
	ip netns add "$NS" && NS_MADE=1
	# INTERFACES interfaces: veth pairs, both ends here (no dummy driver needed), lo, and gw (+peer)
	# for the routes' next hop.
	{
		echo "link set lo up"
		echo "link add gw type veth peer name gwp"
		echo "link set gw up"
		echo "link set gwp up"
		echo "addr add 172.16.0.1/24 dev gw"
		for ((i = 0; i < (IFS_N - 3) / 2; i++)); do
			echo "link add v${i}a type veth peer name v${i}b"
			echo "link set v${i}a up"
			echo "link set v${i}b up"
		done
	} >"$WORK/links.batch"
	awk -v R="$ROUTES" 'BEGIN { for (i = 0; i < R; i++)
		printf "route add %d.%d.%d.0/24 via 172.16.0.20 dev gw\n",
			20 + int(i / 65536), int(i / 256) % 256, i % 256 }' >"$WORK/routes.batch"
	if ip -n "$NS" -batch "$WORK/links.batch" >/dev/null && ip -n "$NS" -batch "$WORK/routes.batch"; then
		mkdir -p "$WORK/persist"
		printf 'agentaddress udp:127.0.0.1:%d\nrocommunity public 127.0.0.1\n' "$SNMPD" \
			>"$WORK/snmpd.conf"
		SNMP_PERSISTENT_DIR=$WORK/persist MIBS='' ip netns exec "$NS" /usr/sbin/snmpd -f -C \
			-c "$WORK/snmpd.conf" -Lf "$WORK/snmpd.log" </dev/null &
		SNMPD_PID=$!
		PIDS+=("$SNMPD_PID")
		wait_for 100 ip netns exec "$NS" snmpget -v2c -c public -t 1 -r 0 \
			"127.0.0.1:$SNMPD" .1.3.6.1.2.1.1.5.0 >/dev/null 2>&1 && SNMPD_OK=1
	fi
	[ -n "$SNMPD_OK" ] || log "the stock snmpd did not come up: $(tail -3 "$WORK/snmpd.log" 2>/dev/null)"
fi
snmpd_ifs=$( [ -n "$SNMPD_OK" ] && ip -n "$NS" -o link | wc -l)

# --- REST probe -------------------------------------------------------------------------

REST_URL=http://127.0.0.1:$API/v1/tenants/bench
REST_ARGS=()
for ((k = 0; k < 50; k++)); do REST_ARGS+=(-o /dev/null "$REST_URL"); done
# rest_probe FILE: GETs in batches of 50 on one connection until $WORK/stop exists (at most
# 2000 batches); one latency (s) per line.
rest_probe() {
	local i
	for ((i = 0; i < 2000; i++)); do
		[ -e "$WORK/stop" ] && break
		curl -s -w '%{time_total}\n' "${REST_ARGS[@]}" >>"$1"
	done
}
rest_line() { # FILE
	local ms
	ms=$(awk '{ printf "%.3f\n", $1 * 1000 }' "$1")
	printf 'p50 %s p99 %s max %s ms (%d requests)' "$(pct 0.5 <<<"$ms")" "$(pct 0.99 <<<"$ms")" \
		"$(pct 1 <<<"$ms")" "$(wc -l <"$1")"
}

# --- walks ------------------------------------------------------------------------------

# walk WHO COMMUNITY OID TAG: one snmpbulkwalk (onm, onm3: SNMPv3 authPriv with
# COMMUNITY as the context, or snmpd), the REST probe beside it for onm; appends
# "seconds varbinds cpu_s" to $WORK/TAG.
walk() {
	local who=$1 community=$2 table=$3 tag=$4 t0 t1 c0=0 c1=0 n probe
	local cmd=(snmpbulkwalk -v2c -c "$community" -Cr"$REPS" -On -t 10 -r 2)
	[ "$who" = onm3 ] && cmd=(snmpbulkwalk -v3 -l authPriv -u nms@bench -a SHA-256
		-A "bench pass" -x AES -X "bench pass" -n "$community" -Cr"$REPS" -On -t 10 -r 2)
	if [ "$who" != snmpd ]; then
		rm -f "$WORK/stop"
		rest_probe "$WORK/rest-$tag" &
		probe=$!
		c0=$(cpu_s "$CTL")
		t0=$(now_ns)
		"${cmd[@]}" "127.0.0.1:$SNMP" "$table" >"$WORK/walk.out" 2>&1
		t1=$(now_ns)
		c1=$(cpu_s "$CTL")
		touch "$WORK/stop"
		wait "$probe"
	else
		t0=$(now_ns)
		ip netns exec "$NS" "${cmd[@]}" "127.0.0.1:$SNMPD" "$table" >"$WORK/walk.out" 2>&1
		t1=$(now_ns)
	fi
	n=$(grep -c ' = ' "$WORK/walk.out")
	grep -q -i 'timeout\|error' "$WORK/walk.out" && log "$who $tag: $(grep -i -m1 'timeout\|error' "$WORK/walk.out")"
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }') $n $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')" \
		>>"$WORK/$tag"
}

# First request to the big router after a change of it, then the next (ms).
first_ms() {
	local t0 t1
	t0=$(now_ns)
	snmpget -v2c -c public@big/r2 -t 10 -r 0 "127.0.0.1:$SNMP" .1.3.6.1.2.1.4.24.6.0 >/dev/null
	t1=$(now_ns)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'
}
cold=$(first_ms)
warm=$(first_ms)

rm -f "$WORK/stop"
rest_probe "$WORK/rest-idle" &
idle_probe=$!
sleep 3
touch "$WORK/stop"
wait "$idle_probe"

for ((run = 1; run <= RUNS; run++)); do
	for who in onm snmpd; do
		[ "$who" = snmpd ] && [ -z "$SNMPD_OK" ] && continue
		c=public
		[ "$who" = onm ] && c=public@wide/r1k
		walk "$who" "$c" "$IFTABLE" "$who-if"
		[ "$who" = onm ] && c=public@big/r2
		walk "$who" "$c" "$ROUTETABLE" "$who-route"
	done
	walk onm3 wide/r1k "$IFTABLE" onm3-if
done

# report TAG NAME: "median s (runs: a b c), N varbinds, V varbinds/s[, CPU x s]"
report() {
	local f=$WORK/$1 med n cpu
	med=$(cut -d' ' -f1 "$f" | median)
	n=$(cut -d' ' -f2 "$f" | sort -n | tail -1)
	cpu=$(cut -d' ' -f3 "$f" | median)
	printf '%s s (runs: %s), %s varbinds, %s varbinds/s' "$med" "$(cut -d' ' -f1 "$f" | tr '\n' ' ' | sed 's/ $//')" \
		"$n" "$(awk -v n="$n" -v t="$med" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }')"
	case ${1%%-*} in onm*) printf ', controller CPU %s s' "$cpu" ;; esac
}

say "SNMP (issue 6), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores; snmpbulkwalk -v2c -Cr$REPS, $RUNS runs, medians"
say "  ifTable, $IFS_N interfaces:            onm $(report onm-if)"
if [ -n "$SNMPD_OK" ]; then
	say "    stock snmpd, $snmpd_ifs interfaces:        $(report snmpd-if)"
	say "    onm / snmpd time: $(ratio "$(cut -d' ' -f1 "$WORK/onm-if" | median)" "$(cut -d' ' -f1 "$WORK/snmpd-if" | median)")"
else
	say "    stock snmpd: not run (needs root and /usr/sbin/snmpd)"
fi
say "  ifTable over SNMPv3 (authPriv, SHA-256 + AES): onm $(report onm3-if)"
say "    v3 / v2c time: $(ratio "$(cut -d' ' -f1 "$WORK/onm3-if" | median)" "$(cut -d' ' -f1 "$WORK/onm-if" | median)")"
say "  inetCidrRouteTable, $ROUTES routes:   onm $(report onm-route)"
if [ -n "$SNMPD_OK" ]; then
	say "    stock snmpd, its kernel table (main + local): $(report snmpd-route)"
	say "    onm / snmpd time: $(ratio "$(cut -d' ' -f1 "$WORK/onm-route" | median)" "$(cut -d' ' -f1 "$WORK/snmpd-route" | median)")"
fi
say "  first request to the $ROUTES-route router (snapshot built): $cold ms; the next: $warm ms"
say "  REST GET /v1/tenants/bench, idle:                   $(rest_line "$WORK/rest-idle")"
say "  REST GET while onm's ifTable walks run:             $(rest_line "$WORK/rest-onm-if")"
say "  REST GET while onm's inetCidrRouteTable walks run:  $(rest_line "$WORK/rest-onm-route")"
say "  controller RSS after the walks: $(awk '/VmRSS/ { print $2 / 1024 " MiB" }' "/proc/$CTL/status")"
