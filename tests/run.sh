#!/bin/sh
# Run every test with prove: the unit-test programs built into $BUILD/tests
# (executables and *.sh there) and the script tests tests/*.t of the source
# tree (executable, with a shebang; they find the build through $BUILD and
# the sources through $SRC).
#
#   BUILD=build tests/run.sh [prove options...]      (BUILD defaults to build)
#   tests/run.sh -v                                   verbose
#
# A test exits 77 after "1..0 # SKIP reason" when it cannot run here.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
if [ ! -d "$build/tests" ]; then
	echo "run.sh: $build/tests: no such directory (build first, or set BUILD)" >&2
	exit 2
fi
BUILD=$build SRC=$src
export BUILD SRC
if ! command -v prove >/dev/null 2>&1; then
	echo "run.sh: prove (perl Test::Harness) not found" >&2
	exit 2
fi

set --  "$@" --
for f in "$build"/tests/* "$src"/tests/*.t; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	case $f in
	"$build"/tests/*.*) case $f in *.sh) ;; *) continue ;; esac ;;
	esac
	set -- "$@" "$f"
done
cd "$src"
exec prove --exec '' "$@"
