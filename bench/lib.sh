# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Helpers of the shell benchmarks (ssh.sh, bench-snmp.sh). Set BENCH_NAME (the prefix of
# progress lines), BENCH_TITLE (what a failure line names) and RESULTS before sourcing.

log() { echo "$BENCH_NAME: $*" >&2; }
# say LINE: a result, on stdout and appended to $RESULTS.
say() {
	echo "$*"
	echo "$*" >>"$RESULTS"
}
fail() {
	log "$*"
	say "$BENCH_TITLE: failed: $*"
	exit 1
}

# stop_pid PID: SIGTERM, at most 3 s, then SIGKILL; reaps it.
stop_pid() {
	local i
	kill "$1" 2>/dev/null || return 0
	for ((i = 0; i < 30; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# wait_for TENTHS COMMAND...: bounded retry, every tenth of a second.
wait_for() {
	local tries=$1 i
	shift
	for ((i = 0; i < tries; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# kv KEY LINE -> the value of KEY=... in LINE
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
# Nearest-rank percentile P (0..1) of the numbers on stdin.
pct() { sort -g | awk -v p="$1" '{ v[NR] = $1 } END { r = int(p * NR + 0.999999); if (r < 1) r = 1; printf "%.3f", v[r] }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
now_ns() { date +%s%N; }
# CPU seconds (user + system) a process has used.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
