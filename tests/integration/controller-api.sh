#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# onm-controller's REST server at the HTTP level, with curl: X-Onm-Revision on every
# answer, JSON error bodies, 404/405 (with Allow), 400 on unknown query parameters, 413
# above 64 MiB, the list envelope for every kind, tenants without password hashes,
# routes, /metrics, loopback-only service without a token, SIGTERM (exit 0, store
# closed, in-flight answer delivered), immediate restart on the same port, and the
# start-up errors (port taken, etcd, bad address). Prints TAP.

. "$(dirname "$0")/lib.sh"

t_setup
cd "$T_DIR" || bail "cannot enter $T_DIR"
write_topology topo.yaml

# start_own LOG ARGS...: starts the controller with ARGS (port 0 picks a free port) and
# waits (bounded) for its "listening on" line. Sets CTL_PID, CTL_PORT, CTL_URL.
start_own() {
	local log=$1 i line
	shift
	"$CONTROLLER_BIN" "$@" >>"$log" 2>&1 </dev/null &
	CTL_PID=$!
	for ((i = 0; i < 100; i++)); do
		line=$(grep -o 'listening on http://[^ ]*' "$log" | tail -n 1)
		if [ -n "$line" ]; then
			CTL_PORT=${line##*:}
			CTL_URL=http://127.0.0.1:$CTL_PORT
			return 0
		fi
		alive "$CTL_PID" || return 1
		sleep 0.1
	done
	return 1
}

# http METHOD PATH [CURL ARGS...]: sets CODE, BODY and HEADERS.
http() {
	local method=$1 path=$2
	shift 2
	CODE=$(curl -s -o "$T_DIR/body" -D "$T_DIR/headers" -w '%{http_code}' --max-time 20 \
		-X "$method" "$@" "$CTL_URL$path")
	BODY=$(cat "$T_DIR/body")
	HEADERS=$(tr -d '\r' <"$T_DIR/headers")
}

# expect_http DESC STATUS METHOD PATH [CURL ARGS...]: one test; every answer but 413 must
# carry X-Onm-Revision, and every error answer but 413 the {"error","detail"} shape.
expect_http() {
	local desc=$1 want=$2
	shift 2
	http "$@"
	local why=
	[ "$CODE" = "$want" ] || why="status $CODE, wanted $want"
	if [ -z "$why" ] && [ "$CODE" != 413 ] && ! has "$HEADERS" '^X-Onm-Revision: [0-9]+$'; then
		why="no X-Onm-Revision"
	fi
	if [ -z "$why" ] && [ "$CODE" -ge 400 ] && [ "$CODE" != 413 ] &&
		! has "$BODY" '^\{"error":"[^"]+","detail":".+"\}$'; then
		why="error body not {error, detail}"
	fi
	if [ -z "$why" ]; then
		ok "$desc"
	else
		not_ok "$desc ($why)"
		diag "body: ${BODY:0:300}"
	fi
}

start_own "$T_DIR/controller.log" --store "sqlite:$T_DIR/onm.db" --api 127.0.0.1:0 ||
	bail "the controller did not start"
diag "controller $CTL_PID at $CTL_URL"
check "logs the store's revision and object count" \
	grep -q 'at revision 0, 0 objects' "$T_DIR/controller.log"

# --- health, paths, methods ------------------------------------------------------------
expect_http "GET /healthz" 200 GET /healthz
check "/healthz body" has "$BODY" '^\{"status":"ok","revision":0\}$'
expect_http "HEAD /healthz" 200 HEAD /healthz -I
# HEAD then GET on one connection: the HEAD answer must not carry a body.
head_then_get() {
	local out
	out=$(
		exec 3<>"/dev/tcp/127.0.0.1/$CTL_PORT" || exit 1
		printf 'HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >&3
		printf 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3
		timeout 5 cat <&3
	)
	[ "$(grep -c '^HTTP/1.1 200' <<<"$out")" = 2 ] &&
		[ "$(grep -o '"status":"ok"' <<<"$out" | wc -l)" = 1 ]
}
check "HEAD answers without a body on a kept-alive connection" head_then_get
expect_http "unknown path is 404" 404 GET /v1/widgets
expect_http "path outside /v1 is 404" 404 GET /index.html
expect_http "PATCH on a collection is 405" 405 PATCH /v1/hosts
check "405 names the allowed methods" has "$HEADERS" '^Allow: GET, POST, HEAD$'
expect_http "DELETE /v1/apply is 405" 405 DELETE /v1/apply
expect_http "unknown query parameter is 400" 400 GET '/v1/hosts?colour=red'

# --- apply -------------------------------------------------------------------------------
expect_http "dry run of the topology" 200 POST '/v1/apply?dry_run=true' \
	--data-binary @topo.yaml -H 'X-Onm-Source: topo.yaml'
check "dry run plans creates and keeps revision 0" \
	has "$BODY" '^\{"dry_run":true,"revision":0,"summary":\{"create":[1-9][0-9]*,"update":0,"delete":0\}'
check "dry run wrote nothing" has "$HEADERS" '^X-Onm-Revision: 0$'
expect_http "misspelt dry_run is refused, not applied" 400 POST '/v1/apply?dryrun=1' \
	--data-binary @topo.yaml
expect_http "bad dry_run value" 400 POST '/v1/apply?dry_run=maybe' --data-binary @topo.yaml
expect_http "apply the topology" 200 POST /v1/apply --data-binary @topo.yaml
check "applied at revision 1" has "$HEADERS" '^X-Onm-Revision: 1$'
expect_http "apply again" 200 POST /v1/apply --data-binary @topo.yaml
check "nothing changed the second time" \
	has "$BODY" '"summary":\{"create":0,"update":0,"delete":0\},"changes":\[\]'
printf 'tenants:\n  - name: x\n    bogus: 1\n' >bad.yaml
expect_http "unknown key in YAML is 400" 400 POST /v1/apply --data-binary @bad.yaml \
	-H 'X-Onm-Source: bad.yaml'
check "400 names the source, line and key" has "$BODY" 'bad\.yaml:3:[0-9]+: .*bogus'
expect_http "JSON body read as JSON" 400 POST /v1/apply -d 'tenants: []' \
	-H 'Content-Type: application/json'

# --- lists and objects ---------------------------------------------------------------------
for kind in hosts links service_levels tenants networks routers instances; do
	expect_http "GET /v1/$kind" 200 GET "/v1/$kind"
	check "$kind list envelope" has "$BODY" "^\\{\"kind\":\"$kind\",\"revision\":1,\"items\":\\[\\{"
done
http GET /v1/tenants
check "tenants are listed without password hashes" eval '! has "$BODY" "password_hash|argon2"'
expect_http "one link, endpoints reversed" 200 GET /v1/links/h2/h1
check "the link's canonical form" has "$BODY" '^\{"a":"h1","b":"h2","latency":"1ms"'
expect_http "no such object" 404 GET /v1/instances/acme/blue/nope
expect_http "create a host" 201 POST /v1/hosts -d '{"name":"h9"}'
check "Location of the new host" has "$HEADERS" '^Location: /v1/hosts/h9$'
expect_http "create it again" 409 POST /v1/hosts -d '{"name":"h9"}'
expect_http "malformed host" 400 POST /v1/hosts -d '{"name":"h9","colour":1}'
expect_http "link to an unknown host" 422 POST /v1/links -d '{"a":"h1","b":"h77"}'
expect_http "replace the host" 200 PUT /v1/hosts/h9 -d '{"name":"h9","capabilities":["gpu"]}'
expect_http "replace with another id" 400 PUT /v1/hosts/h9 -d '{"name":"h8"}'
expect_http "delete a host still used" 409 DELETE /v1/hosts/h1
expect_http "delete the new host" 200 DELETE /v1/hosts/h9
check "delete answer" has "$BODY" '^\{"deleted":"hosts/h9","revision":[0-9]+\}$'
expect_http "delete a built-in service level" 422 DELETE /v1/service_levels/gold

# --- routes ----------------------------------------------------------------------------------
expect_http "add a route" 201 POST /v1/routes \
	-d '{"router":"acme/blue/r1","prefix":"10.8.0.0/16","via":"10.1.2.20"}'
check "Location of the route" has "$HEADERS" '^Location: /v1/routes/acme/blue/r1/10\.8\.0\.0/16$'
expect_http "add it again" 409 POST /v1/routes \
	-d '{"router":"acme/blue/r1","prefix":"10.8.0.0/16","via":"10.1.2.20"}'
expect_http "route with an unknown key" 400 POST /v1/routes \
	-d '{"router":"acme/blue/r1","prefix":"10.7.0.0/16","via":"10.1.2.20","metric":1}'
expect_http "list one router's routes" 200 GET '/v1/routes?router=acme/blue/r1'
check "both routes listed in order" \
	has "$BODY" '"items":\[\{"router":"acme/blue/r1","prefix":"10\.9\.0\.0/16","via":"10\.1\.2\.20"\},\{"router":"acme/blue/r1","prefix":"10\.8\.0\.0/16"'
expect_http "delete the route" 200 DELETE /v1/routes/acme/blue/r1/10.8.0.0/16
expect_http "delete it again" 404 DELETE /v1/routes/acme/blue/r1/10.8.0.0/16

# --- limits and metrics ------------------------------------------------------------------------
head -c $((64 * 1024 * 1024 + 1)) /dev/zero >big.bin
expect_http "body over 64 MiB is 413" 413 POST /v1/apply --data-binary @big.bin
rm -f big.bin
expect_http "GET /metrics" 200 GET /metrics
check "metrics count requests by route" \
	has "$BODY" '^onm_http_requests_total\{method="POST",route="/v1/hosts",status="201"\} 1$'
check "metrics have a latency histogram" \
	has "$BODY" '^onm_http_request_duration_seconds_bucket\{route="/v1/apply",le="\+Inf"\} [0-9]+$'
check "metrics have the store revision" has "$BODY" '^onm_store_revision [0-9]+$'
check "metrics count objects per kind" has "$BODY" '^onm_objects\{kind="hosts"\} 3$'
check "metrics time store commits" has "$BODY" '^onm_store_commit_duration_seconds_count [1-9]'

# --- shutdown and restart ------------------------------------------------------------------------
http GET /healthz
revision=$(sed -n 's/^X-Onm-Revision: //p' <<<"$HEADERS")
port=$CTL_PORT
# An apply in flight when SIGTERM arrives is answered before the exit.
curl -s -o "$T_DIR/inflight" -w '%{http_code}' --max-time 20 -X POST \
	"$CTL_URL/v1/apply?dry_run=1" --data-binary @topo.yaml >"$T_DIR/inflight.code" &
curl_pid=$!
T_CHILDREN+=("$curl_pid")
sleep 0.05
stop_controller TERM
wait "$curl_pid"
check "SIGTERM: exit status 0 ($CTL_STATUS)" test "$CTL_STATUS" = 0
check "SIGTERM: store closed" grep -q 'store closed at revision' "$T_DIR/controller.log"
code=$(cat "$T_DIR/inflight.code")
check "the request in flight got its answer or none, never a broken one ($code)" \
	eval '[ "$code" = 200 ] || [ "$code" = 000 ]'

start_own "$T_DIR/controller2.log" --store "sqlite:$T_DIR/onm.db" --api "127.0.0.1:$port" ||
	bail "no immediate restart on port $port"
ok "restarts at once on the same port"
expect_http "same revision after restart" 200 GET /healthz
check "revision $revision kept" has "$HEADERS" "^X-Onm-Revision: $revision\$"

# --- start-up errors ------------------------------------------------------------------------------
"$CONTROLLER_BIN" --store "sqlite:$T_DIR/other.db" --api "127.0.0.1:$port" >err.txt 2>&1
rc=$?
check "port taken: exit 1 ($rc)" test "$rc" = 1
check "port taken: says so" grep -q "cannot listen on 127.0.0.1:$port" err.txt
"$CONTROLLER_BIN" --store etcd:http://127.0.0.1:2379 >err.txt 2>&1
rc=$?
check "etcd: exit 1 ($rc)" test "$rc" = 1
check "etcd: not supported yet" grep -q 'not supported yet' err.txt
"$CONTROLLER_BIN" --store "sqlite:$T_DIR/other.db" --api localhost >err.txt 2>&1
check "bad --api: exit 1" test $? = 1
stop_controller TERM

# --- loopback only without a token ----------------------------------------------------------------
addr=$(ip -4 -o addr show scope global 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -n 1)
if [ -z "$addr" ]; then
	skip "non-loopback client gets 403" "no global IPv4 address on this machine"
else
	start_own "$T_DIR/controller3.log" --store "sqlite:$T_DIR/onm.db" --api 0.0.0.0:0 ||
		bail "the controller did not start on 0.0.0.0"
	saved=$CTL_URL
	CTL_URL=http://$addr:$CTL_PORT
	expect_http "non-loopback client without a token is 403" 403 GET /v1/hosts
	CTL_URL=$saved
	expect_http "loopback client is served" 200 GET /v1/hosts
	stop_controller TERM
fi

done_testing
