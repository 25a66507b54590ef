#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# onm-controller's agent channel from outside, with the real binary: --agents in --help;
# the Unix socket made mode 0600 in a directory it creates; GET /v1/agents and
# /v1/agents/HOST (404 for unknown hosts and kernel VTEPs); the channel's metrics; an
# agent's hello answered with its view and a model change with a delta (a test client
# built from printf and OpenBSD nc -U); a kernel VTEP's hello refused; a second controller on
# the same live socket refused; after kill -9 the stale socket replaced on restart; a
# clean stop removes the socket; tcp:ADDR:PORT. The protocol itself is covered in depth by
# tests/unit/test-agents.c. Prints TAP.

. "$(dirname "$0")/lib.sh"

t_setup
cd "$T_DIR" || bail "cannot enter $T_DIR"
SOCK=$T_DIR/run/agents.sock

check "--help names --agents" has "$("$CONTROLLER_BIN" --help)" '^  --agents ADDRESS'
"$CONTROLLER_BIN" --store memory: --api 127.0.0.1:0 --agents udp:1.2.3.4:5 >out 2>err
check "--agents udp:...: exit 1 with a message" \
	test $? = 1 -a -n "$(grep 'expected unix:PATH or tcp:ADDR:PORT' err)"

# start_agents_controller [ADDRESS]: like start_controller, with --agents ADDRESS (default
# unix:$SOCK).
start_agents_controller() {
	local address=${1:-unix:$SOCK} attempt port i
	for ((attempt = 0; attempt < 20; attempt++)); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		port_in_use "$port" && continue
		"$CONTROLLER_BIN" --store "sqlite:$T_DIR/onm.db" --api "127.0.0.1:$port" \
			--agents "$address" >>"$T_DIR/controller.log" 2>&1 </dev/null &
		CTL_PID=$!
		CTL_PORT=$port
		CTL_URL=http://127.0.0.1:$port
		for ((i = 0; i < 100; i++)); do
			alive "$CTL_PID" || break
			healthz >/dev/null && return 0
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

# not COMMAND...: succeeds when COMMAND fails.
not() {
	! "$@"
}

# frame JSON: prints the channel frame of JSON (4-byte big-endian length, then JSON).
frame() {
	local n=${#1}
	printf "\\x$(printf %02x $((n >> 24 & 255)))\\x$(printf %02x $((n >> 16 & 255)))"
	printf "\\x$(printf %02x $((n >> 8 & 255)))\\x$(printf %02x $((n & 255)))%s" "$1"
}

start_agents_controller || bail "the controller did not start"
diag "controller $CTL_PID at $CTL_URL, agents at unix:$SOCK"
check "the socket exists, mode 0600" test "$(stat -c %F:%a "$SOCK")" = "socket:600"

cat >topo.yaml <<'EOF'
substrate:
  hosts:
    - {name: h1}
    - {name: h2, address: 198.18.0.2}
    - {name: ext1, vtep: kernel}
  links:
    - {a: h1, b: h2}
    - {a: h2, b: ext1}
tenants:
  - name: acme
    networks:
      - name: blue
        subnets: [{name: web, cidr: 10.1.1.0/24}]
        instances:
          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10}
          - {name: legacy1, subnet: web, host: ext1, ip: 10.1.1.50}
EOF
expect_run "apply a topology with a kernel VTEP" 0 apply topo.yaml

BODY=$(curl -s --max-time 5 "$CTL_URL/v1/agents")
check "GET /v1/agents lists h1 and h2, not connected" \
	has "$BODY" '^\{"kind":"agents","revision":1,"items":\[\{"host":"h1","connected":false,.*\{"host":"h2","connected":false'
check "and not the kernel VTEP" test -z "$(grep ext1 <<<"$BODY")"
check "GET /v1/agents/ext1: 404" \
	test "$(curl -s -o /dev/null -w '%{http_code}' "$CTL_URL/v1/agents/ext1")" = 404
check "GET /v1/agents/h9: 404" \
	test "$(curl -s -o /dev/null -w '%{http_code}' "$CTL_URL/v1/agents/h9")" = 404
check "POST /v1/agents: 405" \
	test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$CTL_URL/v1/agents")" = 405

# An agent for h1: hello, then (while connected) link h1-h2 goes down.
HELLO='{"type":"hello","host":"h1","version":1,"pid":4242,"revision":0}'
{
	frame "$HELLO"
	sleep 0.5
	curl -s -o /dev/null --max-time 5 -X PUT -H 'Content-Type: application/json' \
		--data '{"a":"h1","b":"h2","state":"down"}' "$CTL_URL/v1/links/h1/h2"
	sleep 0.5
	curl -s --max-time 5 "$CTL_URL/v1/agents/h1" >agent-h1.json
	sleep 0.2
} | timeout 10 nc -N -U "$SOCK" >agent.out
check "hello: the view comes back at revision 1" grep -aq '"type":"view","revision":1,' agent.out
check "with h1 itself" grep -aq '"self":{"name":"h1","id":1,"address":"198.19.0.1","capabilities":\[\]}' agent.out
check "with h1's instance and its port" grep -aEq '"instance/acme/blue/web1":\{[^}]*"port":"onm[0-9a-f]{12}"' agent.out
check "with the path to ext1 through h2" \
	grep -aq '"fwd/gold/ext1":{"class":"gold","class_id":0,"dst":"ext1","dst_id":3,"next_hops":\[{"name":"h2","address":"198.18.0.2"}\]}' agent.out
check "link down: a delta at revision 2 deletes the forwarding entry, puts the link's state" \
	grep -aq '"type":"delta","revision":2,"put":{"link/h1/h2":{[^}]*"admin_up":false[^}]*}},"delete":\["fwd/gold/ext1"\]' agent.out
check "meanwhile GET /v1/agents/h1 showed it connected with its pid" \
	grep -q '"host":"h1","connected":true,"pid":4242' agent-h1.json
check "and the view and delta sent" grep -q '"views_sent":1,"deltas_sent":1,' agent-h1.json
check "after it left: not connected" \
	has "$(curl -s --max-time 5 "$CTL_URL/v1/agents/h1")" '"connected":false,"pid":4242'
METRICS=$(curl -s --max-time 5 "$CTL_URL/metrics")
check "metrics: onm_agent_deltas_sent_total 1" has "$METRICS" '^onm_agent_deltas_sent_total 1$'
check "metrics: onm_agents_connected 0" has "$METRICS" '^onm_agents_connected 0$'
check "metrics: onm_agent_bytes_sent_total counts" has "$METRICS" '^onm_agent_bytes_sent_total [1-9][0-9]*$'

{
	frame '{"type":"hello","host":"ext1","version":1,"pid":1,"revision":0}'
	sleep 0.5
} | timeout 10 nc -N -U "$SOCK" >refused.out
check "a kernel VTEP's hello is refused" \
	grep -aq '"type":"error","detail":"host ext1 is a kernel VTEP: no agent runs there"' refused.out

# The socket is in use: a second controller does not take it over.
"$CONTROLLER_BIN" --store memory: --api 127.0.0.1:0 --agents "unix:$SOCK" >out 2>err
check "a second controller on the live socket: exit 1" test $? = 1
check "saying so" grep -q 'another process is listening there' err

# kill -9 leaves the socket behind; a restart replaces it.
stop_controller KILL
check "after kill -9 the socket file stays" test -S "$SOCK"
start_agents_controller || bail "the controller did not start again"
check "a restart replaces the stale socket" test -S "$SOCK"
{
	frame "$HELLO"
	sleep 0.5
} | timeout 10 nc -N -U "$SOCK" >agent2.out
check "and serves the view again" grep -aq '"type":"view","revision":2,' agent2.out
check "in which the link is still down (no fwd/gold/h2)" not grep -aq 'fwd/gold/h2' agent2.out
stop_controller TERM
check "a clean stop exits 0" test "$CTL_STATUS" = 0
check "and removes the socket" test ! -e "$SOCK"

# TCP.
start_agents_controller "tcp:127.0.0.1:0" || bail "the controller did not start on tcp"
TCP=$(grep -o 'agents connect to tcp:127.0.0.1:[0-9]*' controller.log | tail -1)
TCP_PORT=${TCP##*:}
check "tcp:127.0.0.1:0 picks a port ($TCP_PORT)" test -n "$TCP_PORT"
{
	frame "$HELLO"
	sleep 0.5
} | timeout 10 nc -N 127.0.0.1 "$TCP_PORT" >agent3.out
check "over TCP too" grep -aq '"type":"view","revision":2,' agent3.out
stop_controller TERM

done_testing
