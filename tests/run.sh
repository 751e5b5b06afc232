#!/bin/sh
# Run every test with prove:
#   - the unit-test programs $BUILD/tests/test_* and scripts $BUILD/tests/*.sh
#     (generated checks);
#   - the script tests tests/*.t and tests/*.sh (but this one) of the source
#     tree: executable, with a shebang; they find the build through $BUILD and
#     the sources through $SRC, and run with the source tree as cwd.
# Other programs in $BUILD/tests are helpers of the script tests.
#
#   [BUILD=build] tests/run.sh [prove options...]     e.g. tests/run.sh -v
#
# A test that cannot run here prints "1..0 # SKIP reason" and exits 77 (the
# CTest convention); prove would call that exit status a failure, so each
# test runs through this script again ("--exec-one"), which maps 77 to 0.
# Its TAP output is kept in $BUILD/tests/logs/NAME.tap: when prove fails,
# the failed checks are printed with the diagnostics under them (prove
# shows neither without -v).
set -eu
if [ "${1-}" = --exec-one ]; then
	shift
	log=$BUILD/tests/logs/$(basename "$1").tap
	mkdir -p "${log%/*}"
	rc=0
	"$@" > "$log" || rc=$?
	cat "$log"
	[ "$rc" = 77 ] && rc=0
	exit "$rc"
fi
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
# build (or bring up to date) first, so this one command runs everything
if [ "${SCTRACE_NO_BUILD-}" != 1 ]; then
	[ -f "$build/CMakeCache.txt" ] || cmake -S "$src" -B "$build" >/dev/null
	cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
if [ ! -d "$build/tests" ]; then
	echo "run.sh: $build/tests: no such directory (build first, or set BUILD)" >&2
	exit 2
fi
if ! command -v prove >/dev/null 2>&1; then
	echo "run.sh: prove (perl Test::Harness) not found" >&2
	exit 2
fi
BUILD=$build SRC=$src
export BUILD SRC

n=0
for f in "$build"/tests/test_* "$build"/tests/*.sh "$src"/tests/*.t \
	"$src"/tests/*.sh; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	[ "$f" = "$src/tests/run.sh" ] && continue
	set -- "$@" "$f" # options first, then the tests
	n=$((n + 1))
done
if [ "$n" = 0 ]; then
	echo "run.sh: no test found in $build/tests (build the tests first)" >&2
	exit 2
fi
cd "$src"
rm -rf "$build/tests/logs"
rc=0
prove --exec "$src/tests/run.sh --exec-one" "$@" || rc=$?
if [ "$rc" != 0 ] && [ -d "$build/tests/logs" ]; then
	# each failed check and the "# " lines that follow it
	for log in "$build"/tests/logs/*.tap; do
		awk -v t="${log##*/}" '
			/^not ok/ { show = 1; print t ": " $0; next }
			/^# / && show { print t ": " $0; next }
			{ show = 0 }' "$log"
	done >&2
fi
exit "$rc"
