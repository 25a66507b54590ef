#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Round trip through the client and the controller: apply a topology (the plan creates
# everything), read every kind back with `onm get` (tables and JSON), apply again (no
# changes), a dry run of a changed file (plan shown, nothing changed), the real apply of
# it (an instance deleted, one created), link state, delete, name lookup, and the errors:
# a bad file names file:line:column and exits 1, a stopped controller exits 2.
# Prints TAP.

. "$(dirname "$0")/lib.sh"

t_setup
start_controller "$T_DIR/onm.db" || bail "the controller did not start"
diag "controller $CTL_PID at $CTL_URL"

cd "$T_DIR" || bail "cannot enter $T_DIR"
write_topology topo.yaml

# --- apply: everything is created ---------------------------------------------------
expect_run "apply topo.yaml" 0 apply topo.yaml
PLAN=$OUT
if has "$PLAN" '^plan: [0-9]+ to create, 0 to update, 0 to delete$'; then
	ok "the plan's summary creates, updates and deletes nothing else"
else
	not_ok "the plan's summary creates, updates and deletes nothing else"
	show_run
fi
n_create=$(sed -nE 's/^plan: ([0-9]+) to create.*/\1/p' <<<"$PLAN")
n_plus=$(grep -c '^  + ' <<<"$PLAN")
check "one '+' line per creation ($n_plus of ${n_create:-?}), at least 14" \
	test "${n_create:-0}" -eq "$n_plus" -a "$n_plus" -ge 14
for line in "host h1" "host h3" "link h1/h2" "link h2/h3" "tenant acme" "tenant globex" \
	"network acme/blue" "network globex/red" "router acme/blue/r1" \
	"instance acme/blue/web1" "instance acme/blue/db1" "instance globex/red/app1" \
	"instance globex/red/web1"; do
	check "plan creates $line" grep -qxF "  + $line" <<<"$PLAN"
done
check "plan ends with the revision" has "$PLAN" '^applied at revision [0-9]+$'

# --- get: each kind shows what the file says --------------------------------------
# row_has TEXT FIELD...: some line of TEXT has exactly these whitespace-separated fields.
row_has() {
	local text=$1
	shift
	awk -v want="$*" '{ $1 = $1; if ($0 == want) found = 1 } END { exit !found }' <<<"$text"
}

expect_run "get hosts" 0 get hosts
check "hosts table header" row_has "$OUT" NAME ID ADDRESS CAPABILITIES VTEP
check "h3 has id 3, address 198.19.0.3 and the inspection capability" \
	row_has "$OUT" h3 3 198.19.0.3 inspection -
check "h1 has no capabilities (-)" row_has "$OUT" h1 1 198.19.0.1 - -
check "hosts table columns are aligned with two spaces" \
	has "$OUT" '^NAME  ID  ADDRESS     CAPABILITIES  VTEP$'

expect_run "get links" 0 get links
check "links table header" row_has "$OUT" A B LATENCY BANDWIDTH COST LOSS STATE
check "link h2-h3 as written" row_has "$OUT" h2 h3 15ms 100mbit 1 0.5% up
check "link h1-h2 as written" has "$OUT" '^h1 +h2 +1ms +1gbit +10 +0(\.0+)?% +up$'

expect_run "get service_levels" 0 get service_levels
check "built-in service level quarantine goes via inspection" \
	has "$OUT" '^quarantine +latency +- +inspection$'
check "built-in service level platinum" has "$OUT" '^platinum +latency +500mbit +-$'

expect_run "get tenants" 0 get tenants
check "tenant acme with its users and roles" \
	row_has "$OUT" acme platinum "alice(admin),victor(viewer)"
check "tenant globex without users" row_has "$OUT" globex silver -
check "no password or hash in the tenants list" \
	test -z "$(grep -iE 'password|argon|correct horse' <<<"$OUT")"

expect_run "get networks" 0 get networks
check "network acme/blue with its VNI and subnets" \
	row_has "$OUT" acme blue 4242 "web=10.1.1.0/24,db=10.1.2.0/24"
check "network globex/red got a VNI allocated" has "$OUT" '^globex +red +[0-9]+ +main=10\.1\.1\.0/24$'

expect_run "get routers" 0 get routers
check "router r1 with its interfaces and one route" \
	row_has "$OUT" acme blue r1 "GigabitEthernet0/0=10.1.1.1,GigabitEthernet0/1=10.1.2.1" 1

expect_run "get instances" 0 get instances

check "instances table header" row_has "$OUT" TENANT NETWORK NAME SUBNET HOST IP MAC
check "web1's IP and host" \
	has "$OUT" '^acme +blue +web1 +web +h1 +10\.1\.1\.10 +([0-9a-f]{2}:){5}[0-9a-f]{2}$'
check "overlapping address in globex" \
	has "$OUT" '^globex +red +app1 +main +h1 +10\.1\.1\.10 +([0-9a-f]{2}:){5}[0-9a-f]{2}$'
check "four instances" test "$(grep -c '^acme \|^globex ' <<<"$OUT")" -eq 4

expect_run "get routes" 0 get routes
check "route of r1" row_has "$OUT" acme/blue/r1 10.9.0.0/16 10.1.2.20
expect_run "get routes of r1 by its short name" 0 get routes r1
check "route of r1 (filtered)" row_has "$OUT" acme/blue/r1 10.9.0.0/16 10.1.2.20

# --- the controller's URL from $ONM_CONTROLLER or --controller=URL ---------------------
# quiet CMD...: runs CMD with its output thrown away.
quiet() {
	"$@" >/dev/null 2>&1
}
check "\$ONM_CONTROLLER names the controller" \
	quiet env ONM_CONTROLLER="$CTL_URL" timeout 60 "$ONM_BIN" get host h1
check "--controller=URL wins over \$ONM_CONTROLLER" quiet env ONM_CONTROLLER=http://127.0.0.1:1 \
	timeout 60 "$ONM_BIN" --controller="$CTL_URL" get host h1
expect_run "a bad controller URL is a user error: exit 1" 1 --controller ftp://x get hosts

# --- get one object, by full id and by a unique short name --------------------------
expect_run "get instance acme/blue/web1 -o json" 0 get instance acme/blue/web1 -o json
check "its JSON has the IP" has "$OUT" '"ip": "10\.1\.1\.10"'
check "its JSON has the tenant" has "$OUT" '"tenant": "acme"'
expect_run "get instance app1 (unique short name)" 0 get instance app1
check "one row for app1" test "$(grep -c app1 <<<"$OUT")" -eq 1
expect_run "get instance web1 is ambiguous: exit 1" 1 get instance web1
check "the message names both candidates" \
	has "$ERR" '^onm: .*acme/blue/web1.*globex/red/web1'
expect_run "get instance red/web1 (last two components)" 0 get instance red/web1
check "it is globex's web1" has "$OUT" '^globex +red +web1 '
expect_run "get link h2/h1 (either order)" 0 get link h2/h1 -o json
check "the link's JSON" has "$OUT" '"cost": 10'
expect_run "get host nosuch: exit 1" 1 get host nosuch
check "one line of message starting with onm:" \
	test "$(wc -l <<<"$ERR")" -eq 1 -a "${ERR#onm: }" != "$ERR"
expect_run "get frobs: unknown kind, exit 1" 1 get frobs
expect_run "get hosts -o yaml: unknown format, exit 1" 1 get hosts -o yaml

# -o json is stable: two reads compare equal byte for byte.
onm_run get instances -o json
cp "$T_DIR/out" before.json
onm_run get instances -o json
check "two 'get -o json' are byte-identical" cmp -s before.json "$T_DIR/out"
check "a list in JSON is the items array" has "$(head -n 1 before.json)" '^\[$'

# --- applying the same file again changes nothing ------------------------------------
expect_run "apply topo.yaml again" 0 apply topo.yaml
check "second apply: no changes" test "$OUT" = "no changes"
onm_run get instances -o json
check "instances unchanged (MACs kept)" cmp -s before.json "$T_DIR/out"

# --- a changed file: db1 removed, db2 added ------------------------------------------
sed -e 's/{name: db1, subnet: db, host: h3, ip: 10.1.2.10}/{name: db2, subnet: db, host: h2, ip: 10.1.2.11}/' \
	topo.yaml >topo2.yaml
check "topo2.yaml differs" test "$(cat topo.yaml)" != "$(cat topo2.yaml)"

expect_run "apply topo2.yaml --dry-run" 0 apply topo2.yaml --dry-run
check "dry run summary" test "$(head -n 1 <<<"$OUT")" = "plan: 1 to create, 0 to update, 1 to delete"
check "dry run: db2 would be created" grep -qxF "  + instance acme/blue/db2" <<<"$OUT"
check "dry run: db1 would be deleted" \
	grep -qxF "  - instance acme/blue/db1 (not in topo2.yaml, would be deleted)" <<<"$OUT"
check "dry run says nothing changed" test "$(tail -n 1 <<<"$OUT")" = "dry run: nothing changed"
onm_run get instances -o json
check "dry run changed nothing" cmp -s before.json "$T_DIR/out"

expect_run "apply topo2.yaml" 0 apply topo2.yaml
check "db1 deleted in the plan" \
	grep -qxF "  - instance acme/blue/db1 (not in topo2.yaml, deleted)" <<<"$OUT"
check "db2 created in the plan" grep -qxF "  + instance acme/blue/db2" <<<"$OUT"
check "applied" has "$OUT" '^applied at revision [0-9]+$'
expect_run "db1 is gone: exit 1" 1 get instance acme/blue/db1
expect_run "db2 is there" 0 get instance db2
check "db2 on h2 with its IP" has "$OUT" '^acme +blue +db2 +db +h2 +10\.1\.2\.11 '

# --- a JSON topology (Content-Type application/json), dry run -------------------------
cat >sub.json <<'EOF'
{"substrate": {"hosts": [{"name": "h1"}, {"name": "h2"}, {"name": "h9"}]}}
EOF
expect_run "apply sub.json --dry-run" 0 apply sub.json --dry-run
check "JSON dry run plans h9" grep -qxF "  + host h9" <<<"$OUT"
check "JSON dry run says nothing changed" has "$OUT" '^dry run: nothing changed$'
expect_run "h9 was not created" 1 get host h9

# --- link state ----------------------------------------------------------------------
expect_run "link set h2 h1 down" 0 link set h2 h1 down
check "says so" has "$OUT" 'h1/h2.*down'
expect_run "get links" 0 get links
check "h1-h2 is down" has "$OUT" '^h1 +h2 .* down$'
check "h2-h3 still up" has "$OUT" '^h2 +h3 .* up$'
expect_run "link set h1 h2 down again" 0 link set h1 h2 down
check "already down" has "$OUT" 'already down'
expect_run "link set h1 h2 up" 0 link set h1 h2 up
onm_run get link h1/h2
check "h1-h2 is up again" has "$OUT" '^h1 +h2 .* up$'
expect_run "link set h1 h9 up: no such link, exit 1" 1 link set h1 h9 up
expect_run "link set h1 h2 sideways: usage, exit 1" 1 link set h1 h2 sideways

# --- delete --------------------------------------------------------------------------
expect_run "delete instance app1" 0 delete instance app1
check "says what was deleted" has "$OUT" 'globex/red/app1'
expect_run "app1 is gone" 1 get instance globex/red/app1
expect_run "delete host h1 while instances use it: exit 1" 1 delete host h1
check "with the server's reason" has "$ERR" '^onm: .+'
expect_run "h1 still there" 0 get host h1
expect_run "delete route r1/10.9.0.0/16" 0 delete route acme/blue/r1/10.9.0.0/16
onm_run get routes
check "no routes left" test -z "$(grep 10.9.0.0 <<<"$OUT")"
expect_run "get routes r1 without routes: exit 0" 0 get routes r1
check "and says there are none" test "$ERR" = "no routes"
expect_run "get routes of a router that does not exist: exit 1" 1 get routes acme/blue/nosuch

# --- errors in files -----------------------------------------------------------------
cat >bad.yaml <<'EOF'
substrate:
  hosts:
    - {name: h1, colour: red}
EOF
expect_run "unknown key in a file: exit 1" 1 apply bad.yaml
check "the message names file:line:column" has "$ERR" '^onm: .*bad\.yaml:3:[0-9]+'
check "and the key" has "$ERR" 'colour'
check "in one line" test "$(wc -l <<<"$ERR")" -eq 1

cat >badvalue.yaml <<'EOF'
substrate:
  hosts:
    - {name: h1}
    - {name: h2}
  links:
    - {a: h1, b: h2, latency: fast}
EOF
expect_run "bad value in a file: exit 1" 1 apply badvalue.yaml
check "the message names file:line" has "$ERR" 'badvalue\.yaml:6:[0-9]+'

expect_run "missing file: exit 1" 1 apply no-such-file.yaml
check "says it cannot read it" has "$ERR" 'no-such-file\.yaml'
expect_run "apply without a file: exit 1" 1 apply
expect_run "unknown command: exit 1" 1 frobnicate
expect_run "console of an unknown router: exit 1" 1 console blue/no-such-router
check "says there is no such router" has "$ERR" "no-such-router"
expect_run "help: exit 0" 0 help
check "help lists apply" has "$OUT" '^  apply FILE'

# --- the example of the repository ----------------------------------------------------
expect_run "examples/demo.yaml applies (dry run)" 0 apply "$T_ROOT/examples/demo.yaml" --dry-run

# --- the controller gone: exit 2 -----------------------------------------------------
stop_controller TERM
check "the controller exits 0 on SIGTERM" test "$CTL_STATUS" = 0
expect_run "get hosts with the controller down: exit 2" 2 get hosts
check "the message names the URL" has "$ERR" "^onm: .*$CTL_URL"
expect_run "apply with the controller down: exit 2" 2 apply topo.yaml

done_testing
