#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# API authentication: a controller started with $ONM_TOKEN answers 401 to requests
# without the token or with a wrong one (onm exits 1 with the server's detail), serves
# those with the right one (from --token or $ONM_TOKEN), and leaves /healthz open.
# Error bodies have the shape {"error": ..., "detail": ...}. Prints TAP.

. "$(dirname "$0")/lib.sh"

t_setup
cd "$T_DIR" || bail "cannot enter $T_DIR"
write_topology topo.yaml
TOKEN=tok-$RANDOM$RANDOM$RANDOM

start_controller "$T_DIR/onm.db" "ONM_TOKEN=$TOKEN" || bail "the controller did not start"
diag "controller $CTL_PID at $CTL_URL"

# http METHOD PATH [CURL ARGS...]: sets CODE and BODY.
http() {
	local method=$1 path=$2
	shift 2
	CODE=$(curl -s -o "$T_DIR/body" -w '%{http_code}' --max-time 10 -X "$method" "$@" \
		"$CTL_URL$path")
	BODY=$(cat "$T_DIR/body")
}

# error_shaped: BODY is {"error": "...", "detail": "..."} with both non-empty.
error_shaped() {
	has "$BODY" '"error": *"[^"]+"' && has "$BODY" '"detail": *"[^"]+"'
}

# --- the REST API with curl ----------------------------------------------------------
http GET /healthz
check "/healthz answers 200 without a token ($CODE)" test "$CODE" = 200
healthz_shaped() {
	has "$BODY" '"status": *"ok"' && has "$BODY" '"revision": *[0-9]+'
}
check "/healthz says ok and the revision" healthz_shaped

http GET /v1/hosts
check "no token: 401 ($CODE)" test "$CODE" = 401
check "401 body is {error, detail}" error_shaped

http GET /v1/hosts -H "Authorization: Bearer wrong-$TOKEN"
check "wrong token: 401 ($CODE)" test "$CODE" = 401
check "401 body is {error, detail}" error_shaped

http GET /v1/hosts -H "Authorization: Basic $TOKEN"
check "token in another scheme: 401 ($CODE)" test "$CODE" = 401

http POST /v1/hosts -H 'Content-Type: application/json' --data '{"name":"sneaky"}'
check "a write without the token: 401 ($CODE)" test "$CODE" = 401

http GET /v1/hosts -H "Authorization: Bearer $TOKEN"
check "right token: 200 ($CODE)" test "$CODE" = 200
check "a list answer" has "$BODY" '"items"'

http GET /v1/hosts/sneaky -H "Authorization: Bearer $TOKEN"
check "the write without the token did nothing: 404 ($CODE)" test "$CODE" = 404
check "404 body is {error, detail}" error_shaped

http GET /v1/frobs -H "Authorization: Bearer $TOKEN"
check "unknown path with the token: 404 ($CODE)" test "$CODE" = 404
check "404 body is {error, detail}" error_shaped

http POST /v1/hosts -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	--data '{"name": '
check "malformed body: 400 ($CODE)" test "$CODE" = 400
check "400 body is {error, detail}" error_shaped

# --- the client ----------------------------------------------------------------------
expect_run "onm without a token: exit 1" 1 get hosts
check "one line, from the server" test "$(wc -l <<<"$ERR")" -eq 1 -a "${ERR#onm: }" != "$ERR"
check "the token is not echoed" test -z "$(grep -F "$TOKEN" <<<"$ERR")"

expect_run "onm --token wrong: exit 1" 1 --token "wrong-$TOKEN" get hosts
ONM_TOKEN="wrong-$TOKEN" expect_run "onm with a wrong \$ONM_TOKEN: exit 1" 1 get hosts
expect_run "onm apply without a token: exit 1" 1 apply topo.yaml
expect_run "onm --token RIGHT apply" 0 --token "$TOKEN" apply topo.yaml
check "it applied" has "$OUT" '^applied at revision [0-9]+$'
ONM_TOKEN=$TOKEN expect_run "onm with \$ONM_TOKEN: get hosts" 0 get hosts
check "and sees the hosts" has "$OUT" '^h3 +[0-9]+ +198\.19\.0\.[0-9]+ +inspection +-$'
ONM_TOKEN="wrong-$TOKEN" expect_run "--token wins over \$ONM_TOKEN" 0 --token "$TOKEN" get hosts
ONM_TOKEN=$TOKEN expect_run "with the token, a 404 is still exit 1" 1 get host nosuch
check "with the server's detail" has "$ERR" '^onm: .+'

stop_controller TERM
check "the controller exits 0 on SIGTERM" test "${CTL_STATUS:-x}" = 0

done_testing
