#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Runs every test of onm and ends with one line "N passed, N failed".
#
# Suites: unit tests (cmocka) in the normal build and again under
# ASan+UBSan; integration scripts (real controller, real client, real
# processes) against the normal build and the sanitizer build; the libFuzzer
# targets, which replay their corpus and saved crashers and then fuzz for a
# short bounded time. Every test program speaks TAP ("ok N - ..." /
# "not ok N - ..."); a program that exits non-zero without reporting a
# failure (a crash, a sanitizer report) counts as one failure.
#
# A skipped check ("ok N - ... # SKIP reason", or a whole program's
# "1..0 # SKIP reason") is not a pass: it is listed at the end so that a
# skip can never hide a check that did not run.
#
# Environment: FUZZ_SECONDS (default 20 per target), TEST_FILTER (only
# programs whose name contains it).
set -u
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
TEST_FILTER=${TEST_FILTER:-}
passed=0
failed=0
failures=()
skips=()
LOG_DIR=build/test-logs
rm -rf "$LOG_DIR"
mkdir -p "$LOG_DIR"

# run_tap SUITE NAME CMD...: runs CMD, counts its TAP lines.
run_tap() {
	local suite=$1 name=$2
	shift 2
	if [ -n "$TEST_FILTER" ] && [[ "$suite/$name" != *"$TEST_FILTER"* ]]; then
		return
	fi
	local log="$LOG_DIR/$suite-$name.log"
	local start=$SECONDS
	"$@" >"$log" 2>&1
	local rc=$?
	local ok notok skip
	ok=$(grep -E '^ok [0-9]+' "$log" | grep -cv '# SKIP')
	while IFS= read -r skip; do
		skips+=("$suite/$name: $skip")
	done < <(grep -E '^(ok [0-9]+.*|1\.\.0 )# SKIP' "$log")
	notok=$(grep -cE '^not ok [0-9]+' "$log")
	if [ "$rc" != 0 ] && [ "$notok" = 0 ]; then
		notok=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	passed=$((passed + ok))
	failed=$((failed + notok))
	printf '%-12s %-36s %4d passed %3d failed  (%ds)\n' "$suite" "$name" "$ok" "$notok" \
		$((SECONDS - start))
	if [ "$notok" != 0 ]; then
		failures+=("$log")
		grep -E '^not ok' "$log" | head -20 | sed 's/^/    /'
	fi
}

# Fuzz target: replay corpus and regressions, then fuzz on a scratch copy.
run_fuzz() {
	local bin=$1 name
	name=$(basename "$bin" | sed 's/^fuzz-//')
	local corpus=tests/fuzz/corpus/$name regress=tests/fuzz/regressions/$name
	mkdir -p "$regress"
	local scratch
	scratch=$(mktemp -d)
	cp -r "$corpus/." "$scratch/" 2>/dev/null
	{
		n=0
		n=$((n + 1))
		if "$bin" -runs=0 "$corpus" "$regress" >/dev/null 2>&1; then
			echo "ok $n - replay corpus and regressions"
		else
			echo "not ok $n - replay corpus and regressions"
			"$bin" -runs=0 "$corpus" "$regress" 2>&1 | tail -30
		fi
		n=$((n + 1))
		if "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix="$regress/" "$scratch" >/dev/null 2>"$scratch.log"; then
			echo "ok $n - fuzz ${FUZZ_SECONDS}s"
		else
			echo "not ok $n - fuzz ${FUZZ_SECONDS}s found a crasher (saved in $regress/)"
			tail -40 "$scratch.log"
		fi
	}
	rm -rf "$scratch" "$scratch.log"
}

echo "== dependencies"
scripts/deps.sh || exit 1

echo "== build"
build() { # DIR [meson options...]
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$LOG_DIR/setup-$(basename "$dir").log" 2>&1 ||
			{ cat "$LOG_DIR/setup-$(basename "$dir").log"; return 1; }
	fi
	ninja -C "$dir" >"$LOG_DIR/ninja-$(basename "$dir").log" 2>&1 ||
		{ tail -40 "$LOG_DIR/ninja-$(basename "$dir").log"; return 1; }
}
mkdir -p build
build build || { echo "0 passed, 1 failed"; exit 1; }
build build/sanitize -Db_sanitize=address,undefined -Db_lundef=false ||
	{ echo "0 passed, 1 failed"; exit 1; }
CC=clang build build/fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false ||
	{ echo "0 passed, 1 failed"; exit 1; }

export ONM_SOURCE_ROOT=$PWD
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "== unit"
for t in build/tests/test-*; do
	[ -f "$t" ] && [ -x "$t" ] && CMOCKA_MESSAGE_OUTPUT=TAP run_tap unit "$(basename "$t")" "$t"
done
for t in build/sanitize/tests/test-*; do
	[ -f "$t" ] && [ -x "$t" ] && CMOCKA_MESSAGE_OUTPUT=TAP run_tap unit-asan "$(basename "$t")" "$t"
done

echo "== integration"
for t in tests/integration/*.sh; do
	[ "$(basename "$t")" = lib.sh ] && continue
	ONM_BUILD=build run_tap integration "$(basename "$t" .sh)" bash "$t"
done
for t in tests/integration/*.sh; do
	[ "$(basename "$t")" = lib.sh ] && continue
	ONM_BUILD=build/sanitize run_tap integ-asan "$(basename "$t" .sh)" bash "$t"
done

echo "== fuzz"
for f in build/fuzz/tests/fuzz-*; do
	[ -f "$f" ] && [ -x "$f" ] && run_tap fuzz "$(basename "$f")" run_fuzz "$f"
done

if [ ${#failures[@]} != 0 ]; then
	echo "== logs of failed programs"
	for l in "${failures[@]}"; do
		echo "--- $l"
		tail -60 "$l"
	done
fi
if [ ${#skips[@]} != 0 ]; then
	echo "== skipped (not counted as passed)"
	printf '  %s\n' "${skips[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
