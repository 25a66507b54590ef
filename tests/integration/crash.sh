#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Nothing acknowledged is lost in a crash: a burst of 1,000 API writes (POST /v1/hosts,
# h-0 .. h-999, by four writers at once) is cut by kill -9 of the controller after a few
# hundred acknowledgements (201), while writes are in flight. The controller is started
# again on the same store: every acknowledged host exists, every host that exists is
# whole (its GET is valid JSON with the right name), and there are at least as many as
# were acknowledged. Prints TAP.

. "$(dirname "$0")/lib.sh"

N_WRITES=1000  # hosts h-0 .. h-999
N_WRITERS=4    # concurrent writers; writer w posts h-i for i % N_WRITERS == w
KILL_AFTER=300 # acknowledgements before the kill

t_setup
cd "$T_DIR" || bail "cannot enter $T_DIR"
start_controller "$T_DIR/onm.db" || bail "the controller did not start"
diag "controller $CTL_PID at $CTL_URL"

# writer W: posts its share of the hosts, records each name acknowledged with 201 in
# acked.W, and stops at the first request that gets no answer (the controller is gone).
writer() {
	local w=$1 i code
	: >"acked.$w"
	for ((i = w; i < N_WRITES; i += N_WRITERS)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST \
			-H 'Content-Type: application/json' --data "{\"name\":\"h-$i\"}" \
			"$CTL_URL/v1/hosts")
		case $code in
		201) echo "h-$i" >>"acked.$w" ;;
		000) break ;;
		*) echo "h-$i $code" >>"refused.$w" ;;
		esac
	done
}

n_acked() {
	cat acked.* 2>/dev/null | wc -l
}

start_us=$(date +%s%N)
writer_pids=()
for ((w = 0; w < N_WRITERS; w++)); do
	writer "$w" &
	writer_pids+=($!)
	T_CHILDREN+=($!)
done

# The killer: waits (at most 120 s) for KILL_AFTER acknowledgements, then kill -9.
killed_at=
for ((i = 0; i < 1200; i++)); do
	if [ "$(n_acked)" -ge "$KILL_AFTER" ]; then
		# Reaped at once, so that bash does not report the kill on stderr.
		{
			kill -KILL "$CTL_PID"
			wait "$CTL_PID"
		} 2>/dev/null
		killed_at=$(n_acked)
		break
	fi
	alive "$CTL_PID" || break
	sleep 0.1
done
check "kill -9 after ${killed_at:-?} acknowledgements" test -n "$killed_at"

# Writers stop at their first unanswered request; bounded by curl's --max-time.
for pid in "${writer_pids[@]}"; do
	if ! wait_gone "$pid" 300; then
		kill -TERM "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
done
wait "$CTL_PID" 2>/dev/null
CTL_PID=
elapsed_ms=$((($(date +%s%N) - start_us) / 1000000))

sort -u acked.* >acked.txt
acked=$(wc -l <acked.txt)
diag "$acked writes acknowledged in $elapsed_ms ms before and around the kill"
check "the burst was cut: $acked of $N_WRITES acknowledged, at least $KILL_AFTER" \
	test "$acked" -ge "$KILL_AFTER" -a "$acked" -lt "$N_WRITES"
if ls refused.* >/dev/null 2>&1; then
	not_ok "no write was refused before the kill"
	diag "$(cat refused.* | head -n 5)"
else
	ok "no write was refused before the kill"
fi

start_controller "$T_DIR/onm.db" || bail "the controller did not start on the crashed store"
ok "the controller starts again on the crashed store"
diag "controller $CTL_PID at $CTL_URL"

expect_run "get hosts -o json after the crash" 0 get hosts -o json
sed -nE 's/^ *"name": "(h-[0-9]+)",?$/\1/p' <<<"$OUT" | sort -u >present.txt
present=$(wc -l <present.txt)
missing=$(comm -23 acked.txt present.txt)
if [ -z "$missing" ]; then
	ok "every acknowledged host exists ($acked acknowledged, $present present)"
else
	not_ok "every acknowledged host exists"
	diag "missing: $(head -n 10 <<<"$missing" | tr '\n' ' ')"
fi
check "at least as many hosts as acknowledged ($present >= $acked)" test "$present" -ge "$acked"

# Every host that exists is whole: its own GET is valid JSON (onm parses it) naming it.
broken=
while read -r name; do
	onm_run get host "$name" -o json
	if [ "$RC" -ne 0 ] || ! has "$OUT" "^  \"name\": \"$name\",?\$"; then
		broken="$broken $name"
	fi
done <present.txt
if [ -z "$broken" ]; then
	ok "every present host reads back whole ($present checked)"
else
	not_ok "every present host reads back whole"
	diag "broken:$(cut -c 1-300 <<<"$broken")"
fi

# The store still takes writes after recovery.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST \
	-H 'Content-Type: application/json' --data '{"name":"h-after"}' "$CTL_URL/v1/hosts")
check "a write after recovery is acknowledged ($code)" test "$code" = 201

stop_controller TERM
check "the controller exits 0 on SIGTERM" test "${CTL_STATUS:-x}" = 0

done_testing
