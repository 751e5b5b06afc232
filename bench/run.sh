#!/usr/bin/env bash
# sctrace benchmark, one command:   bash bench/run.sh [BUILD_DIR]   (default: build)
#
#   1. ns per call of cheap libc syscall functions in a tight loop (bench/loop):
#      native, libsctrace.so loaded but off, sctrace recording every call
#      (SCTRACE_MODE=overwrite), strace -f -o /dev/null.
#   2. wall time of real programs (tar, find, python3, sqlite3): native,
#      library loaded but off, sctrace (defaults: drop mode, 1M ring), strace.
#   3. how many calls sctrace saw in each program (sctrace ls).
#
# Every number is the minimum of several runs, the configurations interleaved
# (these machines are shared and noisy).  Knobs (environment):
#   RUNS=5 (loop)  PROG_RUNS=7 (programs)  ITERS=2000000  STRACE_ITERS=50000  COLD_ITERS=200000
#   CALLS="getppid read0 close_bad fstat stat_missing clock_gettime"
#   FILES=10000 (files in the generated tree)  BIG_RING=16M  ONLY=loop|programs
set -u
export LC_ALL=C

die() { echo "bench: $*" >&2; exit 1; }

[ $# -le 1 ] || die "usage: bash bench/run.sh [BUILD_DIR]"
BD=${1:-build}
B=$(cd "$BD" 2>/dev/null && pwd) || die "no build directory '$BD' (cmake -S . -B $BD && cmake --build $BD)"
LIB=$B/libsctrace.so LOOP=$B/bench/loop SCT=$B/sctrace
[ -f "$LIB" ] || die "$LIB missing: build first (cmake --build $BD)"
[ -x "$LOOP" ] || die "$LOOP missing: build first (cmake --build $BD)"
command -v strace >/dev/null 2>&1 || die "strace not installed (apt-get install strace)"

RUNS=${RUNS:-5}
PROG_RUNS=${PROG_RUNS:-7}
ITERS=${ITERS:-2000000}
STRACE_ITERS=${STRACE_ITERS:-50000}
COLD_ITERS=${COLD_ITERS:-200000}
CALLS=${CALLS:-getppid read0 close_bad fstat stat_missing clock_gettime}
FILES=${FILES:-10000}
BIG_RING=${BIG_RING:-16M}
ONLY=${ONLY:-}

# Work files and rings in tmpfs when there is one (no disk noise; the rings'
# production default is /dev/shm too); removed on any exit.
T= R=
cleanup() { rm -rf -- ${T:+"$T"} ${R:+"$R"}; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
T=$(mktemp -d /dev/shm/sctrace-bench.XXXXXX 2>/dev/null || mktemp -d "${TMPDIR:-/tmp}/sctrace-bench.XXXXXX") ||
	die "cannot create a temporary directory"
R=$(mktemp -d /dev/shm/sctrace-bench-rings.XXXXXX 2>/dev/null || mktemp -d "${TMPDIR:-/tmp}/sctrace-bench-rings.XXXXXX") ||
	die "cannot create a temporary ring directory"

fresh() { rm -rf -- "$R" && mkdir -p -- "$R"; } # rings accumulate: one per thread

# as CONFIG CMD...: run CMD in one configuration (stdout and stderr are the caller's)
as() {
	local c=$1
	shift
	case $c in
	native) "$@" ;;
	off) SCTRACE_OFF=1 SCTRACE_DIR="$R" LD_PRELOAD="$LIB" "$@" ;;
	sctrace) SCTRACE_DIR="$R" LD_PRELOAD="$LIB" "$@" ;;
	sctrace-big) SCTRACE_DIR="$R" SCTRACE_RING_SIZE="$BIG_RING" LD_PRELOAD="$LIB" "$@" ;;
	sctrace-cold) SCTRACE_DIR="$R" SCTRACE_RING_SIZE=64M LD_PRELOAD="$LIB" "$@" ;;
	sctrace-ow) SCTRACE_DIR="$R" SCTRACE_MODE=overwrite LD_PRELOAD="$LIB" "$@" ;;
	strace) strace -f -o /dev/null "$@" ;;
	esac
}

# microseconds since the epoch, without a fork when bash has EPOCHREALTIME
if [ -n "${EPOCHREALTIME:-}" ]; then
	now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$((10#$t))"; }
else
	now_us() { echo $(($(date +%s%N) / 1000)); }
fi

# min of the numbers in $@
min() { printf '%s\n' "$@" | awk 'NR == 1 || $1 < m { m = $1 } END { print m }'; }

# rotate CONFIG list by N so that no configuration always runs first or after strace
rotate() {
	local n=$1
	shift
	local a=("$@") k=${#a[@]} i
	for ((i = 0; i < k; i++)); do printf '%s ' "${a[(i + n) % k]}"; done
}

sum_rings() { # DIR -> "RINGS RECORDS LOST"
	local rings recs=- lost=-
	rings=$(find "$1" -name '*.ring' 2>/dev/null | wc -l)
	if [ -x "$SCT" ] && "$SCT" ls "$1" >"$T/ls.out" 2>/dev/null; then
		read -r recs lost < <(awk 'NR > 1 && $(NF - 3) ~ /^[0-9]+$/ { r += $(NF - 3); l += $(NF - 2) }
			END { print r + 0, l + 0 }' "$T/ls.out")
	fi
	echo "$rings $recs $lost"
}

rev=$(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo '?')
echo "sctrace benchmark  $(date -u '+%Y-%m-%d %H:%M UTC')  commit $rev  build $B"
echo "$(uname -sr), $(nproc) CPUs, $(ldd --version 2>&1 | head -1 | sed 's/.* //;s/^/glibc /'), $(strace -V | head -1 | sed 's/ -- version//')"
echo "every number: the minimum of $RUNS (1.) or $PROG_RUNS (2.) runs, configurations interleaved"

# ---------------------------------------------------------------------------
if [ "$ONLY" != programs ]; then
	echo
	echo "1. ns per call, tight loop of one libc call ($ITERS calls; $STRACE_ITERS under strace)"
	echo "   off:     libsctrace.so loaded with SCTRACE_OFF=1 (wrappers pass through)"
	echo "   sctrace: every call recorded, SCTRACE_MODE=overwrite: the 1M ring wraps, so it"
	echo "            stays in the cache and its pages stay mapped (a hot ring)"
	echo "   cold:    every call recorded into fresh ring memory ($COLD_ITERS calls, 64M ring,"
	echo "            nothing dropped): page faults and cache misses, as in a real program"
	echo
	printf '%-13s %7s %7s %7s %7s %8s | %5s %8s %-5s %6s %8s | %10s %-5s\n' \
		call native off sctrace cold strace "+off" "+sctrace" "<=100" "+cold" "+strace" "strace/sct" ">=100"
	for call in $CALLS; do
		declare -A v=()
		configs=(native off sctrace-ow sctrace-cold strace)
		# strace cannot see a vDSO call: nothing to measure
		[ "$call" = clock_gettime ] && configs=(native off sctrace-ow sctrace-cold)
		for ((i = 0; i < RUNS; i++)); do
			for c in $(rotate "$i" "${configs[@]}"); do
				n=$ITERS
				[ "$c" = strace ] && n=$STRACE_ITERS
				[ "$c" = sctrace-cold ] && n=$COLD_ITERS
				fresh
				x=$(as "$c" "$LOOP" "$call" "$n" 2>"$T/err") || die "loop $call under $c failed: $(head -1 "$T/err")"
				v[$c]="${v[$c]:-} $x"
			done
		done
		awk -v call="$call" -v n="$(min ${v[native]})" -v o="$(min ${v[off]})" \
			-v s="$(min ${v[sctrace-ow]})" -v c="$(min ${v[sctrace-cold]})" \
			-v t="$(min ${v[strace]:-})" 'BEGIN {
			ds = s - n
			okS = ds <= 100 ? "ok" : "MISS"
			if (t == "") {
				tt = "-"; dt = "-"; r = "-"; okR = ""
			} else {
				tt = sprintf("%.0f", t); dt = sprintf("%.0f", t - n)
				if (ds > 0) { r = sprintf("%.0fx", (t - n) / ds); okR = (t - n) / ds >= 100 ? "ok" : "MISS" }
				else { r = "inf"; okR = "ok" }
			}
			printf "%-13s %7.1f %7.1f %7.1f %7.1f %8s | %5.1f %8.1f %-5s %6.1f %8s | %10s %-5s\n",
				call, n, o, s, c, tt, o - n, ds, okS, c - n, dt, r, okR
		}'
		unset v
	done
	echo
	echo "   +off, +sctrace, +cold, +strace: ns added per call over native (targets: +sctrace"
	echo "   <= 100 ns; strace/sct = +strace / +sctrace >= 100x)."
	echo "   clock_gettime is served by the vDSO: strace never sees it, only the wrapper does."
fi

# ---------------------------------------------------------------------------
if [ "$ONLY" != loop ]; then
	echo
	echo "2. real programs, wall time (sctrace: plain LD_PRELOAD, default drop mode and 1M rings;"
	echo "   big: SCTRACE_RING_SIZE=$BIG_RING, so that a busy program drops nothing)"
	# a tree of $FILES small files in 100 directories
	src=$T/tree
	per=$(((FILES + 99) / 100))
	for ((d = 0; d < 100; d++)); do
		mkdir -p "$src/d$d"
		for ((f = 0; f < per; f++)); do echo "file $d $f" >"$src/d$d/f$f.txt"; done
	done
	nfiles=$((100 * per))
	# sqlite: a table filled in one transaction, an index, 200 single-row
	# transactions (journal and sync calls), some queries
	{
		echo "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v REAL);"
		echo "BEGIN;"
		awk 'BEGIN { for (i = 1; i <= 5000; i++) printf "INSERT INTO t (name, v) VALUES (\047name%d\047, %d.5);\n", i, i }'
		echo "COMMIT;"
		echo "CREATE INDEX ti ON t (name);"
		awk 'BEGIN { for (i = 1; i <= 200; i++) printf "UPDATE t SET v = v + 1 WHERE id = %d;\n", i * 7 }'
		echo "SELECT count(*), sum(v) FROM t WHERE name LIKE 'name1%';"
		echo "SELECT name FROM t WHERE name = 'name4242';"
		echo "SELECT avg(length(name)) FROM t GROUP BY id % 10;"
	} >"$T/db.sql"

	# python3 may be a pyenv shim (a shell script): time the real interpreter
	py=
	command -v python3 >/dev/null 2>&1 && py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)

	q=$(printf %q "$T")
	names=() cmds=() skipped=()
	add() { names+=("$1"); cmds+=("$2"); }
	if command -v tar >/dev/null 2>&1; then
		# into a real file: GNU tar does not even read the files when writing to /dev/null
		add "tar cf, $nfiles files" "rm -f $q/out.tar; tar cf $q/out.tar -C $q tree"
	else skipped+=(tar); fi
	if command -v find >/dev/null 2>&1; then
		add "find, $nfiles files" "find $q/tree -type f -name 'f1*'"
	else skipped+=(find); fi
	if [ -n "$py" ]; then
		add "python3 -c pass" "$(printf %q "$py") -c pass"
		add "python3 -S -c pass" "$(printf %q "$py") -S -c pass"
	else skipped+=(python3); fi
	if command -v sqlite3 >/dev/null 2>&1; then
		add "sqlite3, 5k rows" "rm -f $q/t.db; sqlite3 $q/t.db < $q/db.sql"
	else skipped+=(sqlite3); fi
	[ ${#skipped[@]} -eq 0 ] || echo "   skipped, not installed: ${skipped[*]}"
	echo
	printf '%-22s %8s %8s %8s %8s %8s | %7s %-5s %7s %-5s %7s %7s | %5s %7s %7s %7s\n' \
		program native off sctrace big strace "sct/nat" "<=1.1" "big/nat" "<=1.1" "off/nat" "str/nat" \
		rings calls "lost1M" "lost$BIG_RING"
	# one timed run: the command line is run by bash itself (no sh in between),
	# and the rm/redirection parts are outside the timed region only for rm
	timed() { # CONFIG CMDLINE -> seconds
		local c=$1 cmd=$2 pre= a b
		case $cmd in "rm -f "*) pre=${cmd%%; *} cmd=${cmd#*; } ;; esac
		[ -z "$pre" ] || eval "$pre"
		fresh
		a=$(now_us)
		eval "as $c $cmd" >/dev/null 2>&1
		b=$(now_us)
		echo $((b - a))
	}
	for k in "${!names[@]}"; do
		name=${names[$k]} cmd=${cmds[$k]}
		declare -A v=()
		configs=(native off sctrace sctrace-big strace)
		for ((i = 0; i < PROG_RUNS; i++)); do
			for c in $(rotate "$i" "${configs[@]}"); do
				v[$c]="${v[$c]:-} $(timed "$c" "$cmd")"
			done
		done
		# one more traced run of each kind to count what sctrace saw
		timed sctrace-big "$cmd" >/dev/null
		read -r rings recsB lostB < <(sum_rings "$R")
		timed sctrace "$cmd" >/dev/null
		read -r rings recs lost < <(sum_rings "$R")
		awk -v name="$name" -v n="$(min ${v[native]})" -v o="$(min ${v[off]})" \
			-v s="$(min ${v[sctrace]})" -v g="$(min ${v[sctrace-big]})" -v t="$(min ${v[strace]})" \
			-v rings="$rings" -v recs="$recs" -v lost="$lost" -v lostB="$lostB" 'BEGIN {
			calls = recs ~ /^[0-9]+$/ ? recs + lost : "-"
			printf "%-22s %7.4fs %7.4fs %7.4fs %7.4fs %7.3fs | %6.3fx %-5s %6.3fx %-5s %6.3fx %6.2fx | %5d %7s %7s %7s\n",
				name, n / 1e6, o / 1e6, s / 1e6, g / 1e6, t / 1e6,
				s / n, s / n <= 1.10 ? "ok" : "MISS", g / n, g / n <= 1.10 ? "ok" : "MISS",
				o / n, t / n, rings, calls, lost, lostB
		}'
		unset v
	done
	echo
	echo "   sct/nat, off/nat, str/nat: wall time over native (target for sctrace: <= 1.10x)."
	echo "   off: the library is loaded and resolves its functions but records nothing;"
	echo "   sct/nat - off/nat is the cost of recording.  rings: traced threads (one ring"
	echo "   each); calls: calls sctrace saw (records kept + lost); lost1M, lost$BIG_RING: calls"
	echo "   dropped because the thread's ring was full (drop mode; a dropped call skips"
	echo "   the record copy, so a lossy run is cheaper than full tracing)."
fi
