#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Durability across a clean restart: apply a topology, record `onm get KIND -o json` for
# every kind and the store revision, stop the controller with SIGTERM (it must exit 0),
# start it again on the same SQLite store, and compare: every output byte for byte, the
# same revision, and applying the same file again changes nothing (allocated VNIs, MACs
# and password hashes were kept). Prints TAP.

. "$(dirname "$0")/lib.sh"

t_setup
cd "$T_DIR" || bail "cannot enter $T_DIR"
write_topology topo.yaml
mkdir before after

start_controller "$T_DIR/onm.db" || bail "the controller did not start"
diag "controller $CTL_PID at $CTL_URL"

expect_run "apply topo.yaml" 0 apply topo.yaml
# A change after the apply, so that the store holds more than one revision.
expect_run "link set h1 h2 down" 0 link set h1 h2 down

# revision_of: the revision /healthz reports.
revision_of() {
	healthz | sed -nE 's/.*"revision": *([0-9]+).*/\1/p'
}

for kind in "${T_KINDS[@]}"; do
	onm_run get "$kind" -o json
	cp "$T_DIR/out" "before/$kind.json"
	if [ "$RC" -eq 0 ] && [ -s "before/$kind.json" ]; then
		ok "get $kind -o json before the restart"
	else
		not_ok "get $kind -o json before the restart"
		show_run
	fi
done
check "the lists are not empty" has "$(cat before/instances.json)" '"acme"'
rev_before=$(revision_of)
check "revision before: ${rev_before:-none}" test -n "$rev_before"

stop_controller TERM
check "the controller exits 0 on SIGTERM (status ${CTL_STATUS:-none})" test "${CTL_STATUS:-x}" = 0

start_controller "$T_DIR/onm.db" || bail "the controller did not start again"
diag "controller $CTL_PID at $CTL_URL"

for kind in "${T_KINDS[@]}"; do
	onm_run get "$kind" -o json
	cp "$T_DIR/out" "after/$kind.json"
	if [ "$RC" -eq 0 ] && cmp -s "before/$kind.json" "after/$kind.json"; then
		ok "get $kind -o json is the same after the restart"
	else
		not_ok "get $kind -o json is the same after the restart"
		show_run
		diag "$(diff "before/$kind.json" "after/$kind.json" | head -n 20)"
	fi
done
rev_after=$(revision_of)
check "same revision after the restart (${rev_before:-?} = ${rev_after:-?})" \
	test -n "$rev_after" -a "${rev_before:-x}" = "$rev_after"

onm_run get link h1/h2
check "the link is still down" has "$OUT" '^h1 +h2 .* down$'

expect_run "apply topo.yaml after the restart" 0 apply topo.yaml
# The file says nothing about link state; only the link's state may differ.
check "only the link changes (allocations were kept)" \
	test "$(grep -vE '^(plan:|applied at|  ~ link h1/h2$)' <<<"$OUT")" = "" -o "$OUT" = "no changes"
onm_run get instances -o json
check "instances unchanged by the second apply" cmp -s before/instances.json "$T_DIR/out"

stop_controller TERM
check "the controller exits 0 on SIGTERM again" test "${CTL_STATUS:-x}" = 0

done_testing
