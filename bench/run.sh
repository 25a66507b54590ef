#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# make bench: onm's benchmarks, each beside its anchor in the same run.
#
#  1. apply of a generated topology (HOSTS hosts, TENANTS tenants, INSTANCES
#     instances) to a fresh controller: time of POST /v1/apply (parse,
#     validate, diff, commit), against a bare SQLite insert of the same rows
#     in one transaction; controller RSS holding the model.
#  2. GET /v1/instances on that model, and 1,000 sequential small POSTs
#     (POST /v1/hosts), against a bare libevent handler answering a fixed
#     body of the same size (the HTTP server's own ceiling).
#  3. the data-plane pipeline in memory, beside memcpy.
#  4. the Route Manager's shortest-path trees beside igraph (issue 4), and
#     their incremental update after link flaps beside full recomputes.
#  5. bench/ssh.sh: simulated devices over SSH (issue 5) beside OpenSSH's
#     sshd: login to prompt, exec round trip, show ip route of 100,000
#     static routes beside cat, show interfaces summed over 100 agents.
#  6. bench/bench-snmp.sh: the SNMP agent (issue 6): bulk walks of a 1,000-interface
#     ifTable and a 100,000-route inetCidrRouteTable beside a stock snmpd's own tables,
#     and the REST p99 meanwhile.
#  7. bench/e2e.sh: end to end between two instances on two hosts, beside
#     kernel VXLAN, OVS userspace VXLAN and wireguard-go.
# Results go to stdout and build/bench-results.txt.
set -eu
cd "$(dirname "$0")/.."
B=${ONM_BUILD:-build}
HOSTS=${HOSTS:-1000} TENANTS=${TENANTS:-100} INSTANCES=${INSTANCES:-10000}
PORT=${BENCH_PORT:-17480} FIXED_PORT=$((PORT + 1))
WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
OUT=$B/bench-results.txt
: >"$OUT"
say() { echo "$*" | tee -a "$OUT"; }

wait_http() { # URL
	for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
	echo "bench: $1 did not come up" >&2
	return 1
}
kv() { # KEY LINE -> value of KEY=... in LINE
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

say "onm benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
bench/gen-topology.sh "$HOSTS" "$TENANTS" "$INSTANCES" >"$WORK/topo.yaml"

median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# 1. apply vs bare insert: APPLY_RUNS rounds, each on a fresh store with a
# fresh controller (the last one stays up for the HTTP benchmarks); medians.
APPLY_RUNS=${APPLY_RUNS:-5}
: >"$WORK/apply.txt"
for ((round = 1; round <= APPLY_RUNS; round++)); do
	[ -n "${CTL:-}" ] && { kill "$CTL"; wait "$CTL" 2>/dev/null || true; }
	rm -rf "$WORK/state"
	"$B/onm-controller" --store "sqlite:$WORK/state/onm.db" --api "127.0.0.1:$PORT" \
		--agents "unix:$WORK/state/agents.sock" --ssh off --snmp "127.0.0.1:$((PORT + 5))" \
		>"$WORK/controller.log" 2>&1 &
	CTL=$!
	PIDS+=("$CTL")
	wait_http "http://127.0.0.1:$PORT/healthz"
	t_apply=$(curl -s -o "$WORK/plan.json" -w '%{time_total}' -H 'X-Onm-Source: topo.yaml' \
		--data-binary "@$WORK/topo.yaml" "http://127.0.0.1:$PORT/v1/apply")
	grep -q '"revision"' "$WORK/plan.json" || { cat "$WORK/plan.json"; exit 1; }
	ins=$("$B/bench/bench-sqlite-insert" "$WORK/state/onm.db" "$WORK/bare.db")
	phases=$(grep -o '(parse.*)' "$WORK/controller.log" | head -1)
	# One line per round: whole request, bare insert, parse, validate+diff+commit (ms).
	echo "$phases" | awk -F'[ ,()]+' -v t="$t_apply" -v bare="$(kv insert_ms "$ins")" '{
		for (i = 1; i < NF; i++) {
			if ($i == "parse") p = $(i + 1)
			if ($i == "validate" || $i == "diff" || $i == "commit") vc += $(i + 1)
		}
		printf "%.1f %s %s %.1f\n", t * 1000, bare, p, vc }' >>"$WORK/apply.txt"
done
rows=$(kv rows "$ins")
rss_kb=$(awk '/VmRSS/ { print $2 }' "/proc/$CTL/status")
apply_ms=$(cut -d' ' -f1 "$WORK/apply.txt" | median)
insert_ms=$(cut -d' ' -f2 "$WORK/apply.txt" | median)
parse_ms=$(cut -d' ' -f3 "$WORK/apply.txt" | median)
vc_ms=$(cut -d' ' -f4 "$WORK/apply.txt" | median)
say ""
say "apply ${HOSTS} hosts / ${TENANTS} tenants / ${INSTANCES} instances ($rows rows), median of $APPLY_RUNS fresh runs"
say "  onm apply (POST /v1/apply: parse+validate+diff+commit)  ${apply_ms} ms"
say "    of which YAML parse ${parse_ms} ms, validate+diff+commit ${vc_ms} ms"
say "  bare SQLite insert of the same rows, one transaction    ${insert_ms} ms"
say "  ratio validate+diff+commit / bare: $(awk -v a="$vc_ms" -v b="$insert_ms" 'BEGIN { printf "%.2fx", a / b }') (target <= 3x)"
say "  ratio whole request (incl. YAML parse) / bare: $(awk -v a="$apply_ms" -v b="$insert_ms" 'BEGIN { printf "%.2fx", a / b }')"
say "  controller RSS holding the model: $((rss_kb / 1024)) MB (target < 100 MB)"
t_again=$(curl -s -o /dev/null -w '%{time_total}' -H 'X-Onm-Source: topo.yaml' \
	--data-binary "@$WORK/topo.yaml" "http://127.0.0.1:$PORT/v1/apply")
say "  second apply of the same file (no changes): $(awk -v t="$t_again" 'BEGIN { printf "%.1f", t * 1000 }') ms"

# 2a. GET /v1/instances vs fixed body of the same size
curl -s -o "$WORK/instances.json" "http://127.0.0.1:$PORT/v1/instances"
"$B/bench/bench-fixed-server" 127.0.0.1 "$FIXED_PORT" "$WORK/instances.json" 200 &
PIDS+=("$!")
wait_http "http://127.0.0.1:$FIXED_PORT/"
n_get=${GET_COUNT:-200}
onm_get=$("$B/bench/bench-http" -n "$n_get" "http://127.0.0.1:$PORT/v1/instances")
fix_get=$("$B/bench/bench-http" -n "$n_get" "http://127.0.0.1:$FIXED_PORT/v1/instances")
say ""
say "GET /v1/instances ($(stat -c %s "$WORK/instances.json") bytes, $n_get sequential requests)"
say "  onm-controller:      $(kv rps "$onm_get") req/s  p99 $(kv p99_ms "$onm_get") ms"
say "  bare evhttp, fixed:  $(kv rps "$fix_get") req/s  p99 $(kv p99_ms "$fix_get") ms"
say "  ratio onm/bare req/s: $(awk -v a="$(kv rps "$onm_get")" -v b="$(kv rps "$fix_get")" 'BEGIN { printf "%.2f", a / b }')"

# 2b. 1,000 sequential small POSTs vs fixed 201
echo '{"name":"bench-h-0","capabilities":[]}' >"$WORK/created.json"
"$B/bench/bench-fixed-server" 127.0.0.1 $((PORT + 2)) "$WORK/created.json" 201 &
PIDS+=("$!")
wait_http "http://127.0.0.1:$((PORT + 2))/"
onm_post=$("$B/bench/bench-http" -m POST -b '{"name":"bench-h-%d"}' -n 1000 \
	"http://127.0.0.1:$PORT/v1/hosts")
fix_post=$("$B/bench/bench-http" -m POST -b '{"name":"bench-h-%d"}' -n 1000 \
	"http://127.0.0.1:$((PORT + 2))/v1/hosts")
say ""
say "1,000 sequential POST /v1/hosts (model of ${INSTANCES} instances, sqlite synchronous=FULL)"
say "  onm-controller:      $(kv rps "$onm_post") req/s  p99 $(kv p99_ms "$onm_post") ms"
say "  bare evhttp, fixed:  $(kv rps "$fix_post") req/s  p99 $(kv p99_ms "$fix_post") ms"
say "  ratio onm/bare req/s: $(awk -v a="$(kv rps "$onm_post")" -v b="$(kv rps "$fix_post")" 'BEGIN { printf "%.2f", a / b }')"

# 2c. the same POSTs with synchronous=NORMAL (durable across a process
# crash, not across power loss): shows what the fsync per write costs.
"$B/onm-controller" --store "sqlite:$WORK/state2/onm.db?sync=normal" --api "127.0.0.1:$((PORT + 3))" \
	--agents "unix:$WORK/state2/agents.sock" --ssh off --snmp "127.0.0.1:$((PORT + 6))" \
	>"$WORK/controller2.log" 2>&1 &
PIDS+=("$!")
wait_http "http://127.0.0.1:$((PORT + 3))/healthz"
curl -s -o /dev/null -H 'X-Onm-Source: topo.yaml' --data-binary "@$WORK/topo.yaml" \
	"http://127.0.0.1:$((PORT + 3))/v1/apply"
onm_post2=$("$B/bench/bench-http" -m POST -b '{"name":"bench-h-%d"}' -n 1000 \
	"http://127.0.0.1:$((PORT + 3))/v1/hosts")
say "  onm-controller, sqlite synchronous=NORMAL: $(kv rps "$onm_post2") req/s  p99 $(kv p99_ms "$onm_post2") ms"
say "  ratio onm(NORMAL)/bare req/s: $(awk -v a="$(kv rps "$onm_post2")" -v b="$(kv rps "$fix_post")" 'BEGIN { printf "%.2f", a / b }')"
# 3. the pipeline in memory, beside a copy of the same bytes.
pl=$("$B/bench/bench-pipeline")
say ""
say "pipeline in memory: 64-byte UDP frames web1 -> db1 (parse, port security, routing,"
say "security groups with conntrack, VXLAN encap into a buffer), one core"
say "  onm pipeline $(kv pipeline_mpps "$pl") Mpps, memcpy of the same bytes $(kv memcpy_mpps "$pl") Mpps (target >= 10 Mpps)"
say ""

# 4. the Route Manager's shortest-path trees, beside igraph's Dijkstra.
say "shortest-path trees (lib/spf.c) on random sparse graphs, beside igraph when installed;"
say "incremental updates after link down/up beside full recomputes (spf_update)"
"$B/bench/bench-spf" | sed 's/^/  /' | tee -a "$OUT"
say ""

BENCH_RESULTS="$OUT" ONM_BUILD="$B" bench/ssh.sh || say "simulated devices benchmark (bench/ssh.sh) failed: exit $?"
say ""

BENCH_RESULTS="$OUT" ONM_BUILD="$B" bench/bench-snmp.sh || say "SNMP benchmark (bench/bench-snmp.sh) failed: exit $?"
BENCH_RESULTS="$OUT" ONM_BUILD="$B" bench/e2e.sh || say "end-to-end data-plane benchmark (bench/e2e.sh) failed: exit $?"
