#!/usr/bin/env bash
# sctrace benchmark, one command:   bash bench/run.sh [BUILD_DIR]   (default: build)
#
#   1. ns per call of cheap libc syscall functions in a tight loop (bench/loop):
#      native, libsctrace.so loaded but off, sctrace recording every call
#      (SCTRACE_MODE=overwrite) with SCTRACE_TRAP=off (notrap: the wrappers'
#      own cost) and with the trap layer, strace -f -o /dev/null; and raw_getppid, a
#      `syscall` instruction that sctrace's trap layer catches, set against
#      the bare Syscall User Dispatch round trip (bench/sudbare, no tracer).
#   2. wall time of real programs (tar, find, python3, sqlite3): native,
#      library loaded but off, sctrace with SCTRACE_TRAP=off (wrappers only),
#      sctrace (defaults: trap layer on, drop mode, 1M ring), strace.
#   3. how many calls sctrace saw in each program (sctrace ls).
#   4. caller stacks (issue 5): the loop at a 16-frame call site and the real
#      programs with SCTRACE_STACK=16 (eh, fp and libunwind), against native,
#      sctrace with stacks off, and strace -k (loop only).
#   Summaries of issue 4's and issue 5's cost targets close the output.
#
# Every number is the minimum of several runs, the configurations interleaved
# (these machines are shared and noisy).  Knobs (environment):
#   RUNS=5 (loop)  PAIRED_RUNS=21 (loop's +paired)  PROG_RUNS=21 (programs)  ITERS=2000000  STRACE_ITERS=50000  COLD_ITERS=200000
#   TRAP_ITERS=500000 (raw_getppid and sudbare; a trapped call costs microseconds)
#   CALLS="getppid read0 close_bad fstat stat_missing clock_gettime raw_getppid"
#   FILES=10000 (files in the generated tree)  BIG_RING=16M  ONLY=loop|programs|stacks
#   section 4: STACK_RUNS=$RUNS  STACK_ITERS=500000  STACK_STRACE_ITERS=200 (strace -k:
#   milliseconds per call)  STACK_DEPTH=14 (bench/loop's extra frames: 16 captured)
#   STACK_CALLS="getppid read0 fstat stat_missing clock_gettime"
# SCTRACE_TRAP in the environment applies to the sctrace columns (default auto);
# the notrap columns set SCTRACE_TRAP=off.  Caller stacks (issue 5) are off
# (SCTRACE_STACK=0, as in `sctrace -- CMD` without -k) unless SCTRACE_STACK
# is set in the environment; section 4 sets SCTRACE_STACK and SCTRACE_UNWIND
# per column.
set -u
export LC_ALL=C

die() { echo "bench: $*" >&2; exit 1; }

[ $# -le 1 ] || die "usage: bash bench/run.sh [BUILD_DIR]"
BD=${1:-build}
B=$(cd "$BD" 2>/dev/null && pwd) || die "no build directory '$BD' (cmake -S . -B $BD && cmake --build $BD)"
LIB=$B/libsctrace.so LOOP=$B/bench/loop SCT=$B/sctrace BARE=$B/bench/sudbare
[ -f "$LIB" ] || die "$LIB missing: build first (cmake --build $BD)"
[ -x "$LOOP" ] || die "$LOOP missing: build first (cmake --build $BD)"
[ -x "$BARE" ] || die "$BARE missing: build first (cmake --build $BD)"
command -v strace >/dev/null 2>&1 || die "strace not installed (apt-get install strace)"

RUNS=${RUNS:-5}
PAIRED_RUNS=${PAIRED_RUNS:-21}
PROG_RUNS=${PROG_RUNS:-21}
ITERS=${ITERS:-2000000}
STRACE_ITERS=${STRACE_ITERS:-50000}
COLD_ITERS=${COLD_ITERS:-200000}
TRAP_ITERS=${TRAP_ITERS:-500000}
CALLS=${CALLS:-getppid read0 close_bad fstat stat_missing clock_gettime raw_getppid}
FILES=${FILES:-10000}
BIG_RING=${BIG_RING:-16M}
ONLY=${ONLY:-}
STACK_RUNS=${STACK_RUNS:-$RUNS}
STACK_ITERS=${STACK_ITERS:-500000}
STACK_STRACE_ITERS=${STACK_STRACE_ITERS:-200}
STACK_DEPTH=${STACK_DEPTH:-14}
STACK_CALLS=${STACK_CALLS:-getppid read0 fstat stat_missing clock_gettime}
case $ONLY in '' | loop | programs | stacks) ;; *) die "ONLY=$ONLY: not loop, programs or stacks" ;; esac
# plain LD_PRELOAD captures a caller stack per call by default: measured
# only when asked for
export SCTRACE_STACK=${SCTRACE_STACK-0}

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
	notrap) SCTRACE_TRAP=off SCTRACE_DIR="$R" LD_PRELOAD="$LIB" "$@" ;;
	sctrace) SCTRACE_DIR="$R" LD_PRELOAD="$LIB" "$@" ;;
	sctrace-big) SCTRACE_DIR="$R" SCTRACE_RING_SIZE="$BIG_RING" LD_PRELOAD="$LIB" "$@" ;;
	sctrace-cold) SCTRACE_DIR="$R" SCTRACE_RING_SIZE=64M LD_PRELOAD="$LIB" "$@" ;;
	sctrace-ow) SCTRACE_DIR="$R" SCTRACE_MODE=overwrite LD_PRELOAD="$LIB" "$@" ;;
	notrap-ow) SCTRACE_TRAP=off SCTRACE_DIR="$R" SCTRACE_MODE=overwrite LD_PRELOAD="$LIB" "$@" ;;
	# bench/loop's LOOP_PAIRED: the wrapper and libc's own function, alternating
	# in one process (prints both)
	paired) LOOP_PAIRED=1 SCTRACE_TRAP=off SCTRACE_DIR="$R" SCTRACE_MODE=overwrite LD_PRELOAD="$LIB" "$@" ;;
	strace) strace -f -o /dev/null "$@" ;;
	# section 4: caller stacks on (16 frames: eh, libunwind or fp) or off, in the
	# loop's recording configuration (-ow) and in the programs' defaults
	stk0-ow) SCTRACE_STACK=0 SCTRACE_DIR="$R" SCTRACE_MODE=overwrite LD_PRELOAD="$LIB" "$@" ;;
	stk16-ow) SCTRACE_STACK=16 SCTRACE_UNWIND=eh SCTRACE_DIR="$R" SCTRACE_MODE=overwrite LD_PRELOAD="$LIB" "$@" ;;
	stk16fp-ow) SCTRACE_STACK=16 SCTRACE_UNWIND=fp SCTRACE_DIR="$R" SCTRACE_MODE=overwrite LD_PRELOAD="$LIB" "$@" ;;
	stk0) SCTRACE_STACK=0 SCTRACE_DIR="$R" LD_PRELOAD="$LIB" "$@" ;;
	stk16) SCTRACE_STACK=16 SCTRACE_UNWIND=eh SCTRACE_DIR="$R" LD_PRELOAD="$LIB" "$@" ;;
	stk16lu) SCTRACE_STACK=16 SCTRACE_UNWIND=libunwind SCTRACE_DIR="$R" LD_PRELOAD="$LIB" "$@" ;;
	stk16-big) SCTRACE_STACK=16 SCTRACE_UNWIND=eh SCTRACE_DIR="$R" SCTRACE_RING_SIZE="$BIG_RING" LD_PRELOAD="$LIB" "$@" ;;
	stk16fp) SCTRACE_STACK=16 SCTRACE_UNWIND=fp SCTRACE_DIR="$R" LD_PRELOAD="$LIB" "$@" ;;
	strace-k) strace -f -k -o /dev/null "$@" ;;
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
# the median of its arguments (the lower middle one of an even count)
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# rotate CONFIG list by N so that no configuration always runs first or after strace
rotate() {
	local n=$1
	shift
	local a=("$@") k=${#a[@]} i
	for ((i = 0; i < k; i++)); do printf '%s ' "${a[(i + n) % k]}"; done
}

# interleaved CMD CONFIG...: PROG_RUNS timed runs of CMD per config, the
# configs in a rotating order, appended to the caller's array v[CONFIG]
interleaved() {
	local cmd=$1 i c
	shift
	for ((i = 0; i < PROG_RUNS; i++)); do
		for c in $(rotate "$i" "$@"); do
			v[$c]="${v[$c]:-} $(timed "$c" "$cmd")"
		done
	done
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

# the trap layer sctrace runs with here (the TRAP column of sctrace ls)
fresh
trapmode=-
if as sctrace "$LOOP" getppid 1 >/dev/null 2>&1 && "$SCT" ls "$R" >"$T/ls.out" 2>/dev/null; then
	trapmode=$(awk 'NR == 2 { print $(NF - 1) }' "$T/ls.out")
fi
echo "trap layer in the sctrace columns: ${trapmode:--} (SCTRACE_TRAP=${SCTRACE_TRAP:-auto}," \
	"SCTRACE_PATCH=${SCTRACE_PATCH:-1});" \
	"caller stacks: SCTRACE_STACK=$SCTRACE_STACK${SCTRACE_UNWIND:+ SCTRACE_UNWIND=$SCTRACE_UNWIND}"

# the real programs of sections 2 and 4 (once): a generated tree, an sqlite
# script; names[k] and cmds[k] for each installed program, skipped the others
programs_ready=
programs_setup() {
	[ -z "$programs_ready" ] || return 0
	programs_ready=1
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
}

# one timed run of a program: the command line is run by bash itself (no sh in
# between), and the rm/redirection parts are outside the timed region only for rm
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

summary=() # lines of the closing summary
summary3=() # ... of issue 3's

# ---------------------------------------------------------------------------
if [ -z "$ONLY" ] || [ "$ONLY" = loop ]; then
	echo
	echo "1. ns per call, tight loop of one libc call ($ITERS calls; $STRACE_ITERS under strace;"
	echo "   raw_getppid $TRAP_ITERS)"
	echo "   off:     libsctrace.so loaded with SCTRACE_OFF=1 (wrappers pass through, no trap layer)"
	echo "   notrap:  as sctrace with SCTRACE_TRAP=off: the wrappers only, no SUD armed (the"
	echo "            record path's own cost)"
	echo "   sctrace: every call recorded, SCTRACE_MODE=overwrite: the 1M ring wraps, so it"
	echo "            stays in the cache and its pages stay mapped (a hot ring); trap layer"
	echo "            ${trapmode:--} (SUD armed: every syscall pays the kernel's dispatch check)"
	echo "   cold:    every call recorded into fresh ring memory ($COLD_ITERS calls, 64M ring,"
	echo "            nothing dropped): page faults and cache misses, as in a real program"
	echo "   raw_getppid: a \`syscall\` instruction in the program (no libc): no wrapper sees it,"
	echo "            sctrace's trap layer does (SIGSYS per call)"
	echo "   +paired: as notrap, the wrapper and libc's own function (looked up in libc.so.6)"
	echo "            timed in alternating slices of one process (LOOP_PAIRED=1): their"
	echo "            difference, the median over $PAIRED_RUNS runs (the other columns: $RUNS)"
	echo
	printf '%-13s %7s %7s %7s %7s %7s %8s | %5s %7s %-5s %7s %-5s %8s %-5s %6s %8s | %10s %-5s\n' \
		call native off notrap sctrace cold strace "+off" "+notrap" "<=100" "+paired" "<=100" \
		"+sctrace" "<=100" "+cold" "+strace" "strace/sct" ">=100"
	bare= # bench/sudbare's "native allowed trapped", once measured
	for call in $CALLS; do
		declare -A v=()
		configs=(native off notrap-ow sctrace-ow sctrace-cold strace)
		# strace cannot see a vDSO call: nothing to measure
		[ "$call" = clock_gettime ] && configs=(native off notrap-ow sctrace-ow sctrace-cold)
		# a trapped call is set against the bare SUD round trip, in the same rounds
		[ "$call" = raw_getppid ] && configs+=(bare)
		# libc's own function would trap: not for a raw syscall
		[ "$call" = raw_getppid ] || configs+=(paired)
		# the paired runs go on after the others: their median needs
		# more processes than a minimum does
		for ((i = 0; i < RUNS || i < PAIRED_RUNS; i++)); do
			for c in $(rotate "$i" "${configs[@]}"); do
				if [ "$c" = paired ]; then
					[ "$i" -lt "$PAIRED_RUNS" ] || continue
				else
					[ "$i" -lt "$RUNS" ] || continue
				fi
				n=$ITERS
				[ "$call" = raw_getppid ] && n=$TRAP_ITERS
				[ "$c" = strace ] && n=$STRACE_ITERS
				[ "$c" = sctrace-cold ] && n=$COLD_ITERS
				[ "$c" = paired ] && n=$((ITERS / 2)) # twice: wrapped and libc's
				fresh
				if [ "$c" = bare ]; then
					[ "${v[bare]:-}" != none ] || continue
					x=$("$BARE" "$n" 2>"$T/err")
					case $? in
					0) read -r bn ba bt bd <<<"$x"
						v[bare-native]="${v[bare-native]:-} $bn"
						v[bare-allowed]="${v[bare-allowed]:-} $ba"
						v[bare]="${v[bare]:-} $bt"
						v[bare-direct]="${v[bare-direct]:-} $bd" ;;
					77) v[bare]=none ;; # no SUD in this kernel
					*) die "sudbare failed: $(head -1 "$T/err")" ;;
					esac
					continue
				fi
				x=$(as "$c" "$LOOP" "$call" "$n" 2>"$T/err") || die "loop $call under $c failed: $(head -1 "$T/err")"
				[ "$c" = paired ] && x=$(awk '{ printf "%.1f", $1 - $2 }' <<<"$x")
				v[$c]="${v[$c]:-} $x"
			done
		done
		# the targets of the +notrap, +sctrace and strace/sct columns are
		# the wrappers'; a trapped call's target is set against sudbare
		# below (without the trap layer nothing records it)
		awk -v call="$call" -v n="$(min ${v[native]})" -v o="$(min ${v[off]})" \
			-v w="$(min ${v[notrap-ow]})" -v p="$(median ${v[paired]:-})" -v sumf="$T/sum3" \
			-v s="$(min ${v[sctrace-ow]})" -v c="$(min ${v[sctrace-cold]})" \
			-v t="$(min ${v[strace]:-})" -v trapped="$([ "$call" = raw_getppid ] && echo 1)" 'BEGIN {
			dw = w - n
			okW = trapped ? "-" : dw <= 100 ? "ok" : "MISS"
			if (p == "") { pp = "-"; okP = "-" }
			else { pp = sprintf("%.1f", p); okP = p <= 100 ? "ok" : "MISS" }
			ds = s - n
			okS = trapped ? "-" : ds <= 100 ? "ok" : "MISS"
			if (t == "") {
				tt = "-"; dt = "-"; r = "-"; okR = ""
			} else {
				tt = sprintf("%.0f", t); dt = sprintf("%.0f", t - n)
				if (ds > 0) { r = sprintf("%.0fx", (t - n) / ds); okR = (t - n) / ds >= 100 ? "ok" : "MISS" }
				else { r = "inf"; okR = "ok" }
				if (trapped) okR = "-"
			}
			printf "%-13s %7.1f %7.1f %7.1f %7.1f %7.1f %8s | %5.1f %7.1f %-5s %7s %-5s %8.1f %-5s %6.1f %8s | %10s %-5s\n",
				call, n, o, w, s, c, tt, o - n, dw, okW, pp, okP, ds, okS, c - n, dt, r, okR
			if (!trapped)
				printf "%s|%.1f|%s|%s|%s|%.1f|%s|%s|%s\n", call, dw, okW, pp, okP, ds, okS, r, okR >> sumf
		}'
		if [ "$call" = raw_getppid ]; then
			if [ "${v[bare]:-none}" = none ]; then
				bare=none
			else
				bare="$(min ${v[bare-native]}) $(min ${v[bare-allowed]}) $(min ${v[bare]}) $(min ${v[bare-direct]})"
				trap_sct=$(min ${v[sctrace-ow]}) trap_nat=$(min ${v[native]})
			fi
		fi
		unset v
	done
	if [ -n "$bare" ]; then
		echo
		if [ "$bare" = none ]; then
			echo "   bare SIGSYS round trip: no Syscall User Dispatch in this kernel (sudbare: exit 77)"
			summary+=("trapped raw syscall / bare SIGSYS round trip: not measured (no SUD)")
		else
			read -r bn ba bt bd <<<"$bare"
			line=$(awk -v bn="$bn" -v ba="$ba" -v bt="$bt" -v bd="$bd" -v s="$trap_sct" -v n="$trap_nat" 'BEGIN {
				r = s / bt
				printf "%.1f %.1f %.1f %.1f %.1f %.1f %.1f %.2f %s %.1f %.2f", bn, ba, bt, bt - bn, s, s - bt, bd, r, r <= 1.3 ? "ok" : "MISS", s - bd, s / bd
			}')
			read -r bn ba bt dbt s ds bd r ok dd rd <<<"$line"
			printf '   %-33s %7s %7s %7s %7s %7s\n' "" native allowed trapped "+trap" direct \
				"bare SIGSYS round trip (sudbare)" "$bn" "$ba" "$bt" "$dbt" "$bd"
			echo
			echo "   raw_getppid under sctrace, trapped and recorded: $s ns = bare trapped + $ds ns;"
			echo "   sctrace-trapped / bare = ${r}x (target <= 1.3: $ok)"
			echo "   against the bare round trip returning as sctrace does (direct): + $dd ns, ${rd}x"
			summary+=("$(printf '%-28s %6.2fx  (<= 1.30)  %-4s  sctrace %s ns, bare %s ns (direct %s)' \
				"trapped raw syscall / bare" "$r" "$ok" "$s" "$bt" "$bd")")
		fi
	fi
	echo
	echo "   +off, +notrap, +sctrace, +cold, +strace: ns added per call over native (targets for"
	echo "   the wrapped calls: +notrap <= 100 ns, the record path itself (issue 3), and the same"
	echo "   for +sctrace; strace/sct = +strace / +sctrace >= 100x)."
	echo "   clock_gettime is served by the vDSO: strace never sees it, only the wrapper does."
	echo "   With the trap layer on, a wrapped call runs with SUD armed (selector ALLOW): its"
	echo "   kernel entry pays the dispatch check (sudbare's allowed - native), so +sctrace -"
	echo "   +notrap is about that check.  raw_getppid under notrap is not recorded at all."
	echo "   raw_getppid: its target is sctrace-trapped / bare SIGSYS round trip <= 1.3 (sudbare:"
	echo "   SUD armed by the program itself, a SIGSYS handler that only re-issues the call from"
	echo "   its allowed region and writes RAX; native: before arming; allowed: armed, selector"
	echo "   ALLOW; trapped: selector BLOCK; +trap: trapped - native; direct: trapped, returning"
	echo "   without rt_sigreturn as sctrace's handler does, preload/resume.S)."
	if [ -s "$T/sum3" ]; then
		while IFS='|' read -r call dw okW pp okP ds okS r okR; do
			summary3+=("$(printf '%-28s %7s ns  (<= 100)  %-4s  [+notrap %s ns %s, +sctrace %s ns %s, strace/sct %s %s]' \
				"$call +paired" "$pp" "$okP" "$dw" "$okW" "$ds" "$okS" "$r" "${okR:--}")")
		done <"$T/sum3"
	fi
fi

# ---------------------------------------------------------------------------
if [ -z "$ONLY" ] || [ "$ONLY" = programs ]; then
	echo
	echo "2. real programs, wall time (sctrace: plain LD_PRELOAD, defaults: trap layer on, drop mode,"
	echo "   1M rings; notrap: SCTRACE_TRAP=off, wrappers only; big: SCTRACE_RING_SIZE=$BIG_RING, so"
	echo "   that a busy program drops nothing)"
	programs_setup
	[ ${#skipped[@]} -eq 0 ] || echo "   skipped, not installed: ${skipped[*]}"
	echo
	printf '%-22s %8s %8s %8s %8s %8s %8s | %7s %-5s %7s %-5s %7s %-5s %7s %7s | %7s %9s %-4s\n' \
		program native off notrap sctrace big strace "nt/nat" "<=1.1" "sct/nat" "<=1.25" \
		"big/nat" "<=1.25" "off/nat" "str/nat" "str/sct" "+str/+sct" ">=10"
	seen=() # lines of table 3
	for k in "${!names[@]}"; do
		name=${names[$k]} cmd=${cmds[$k]}
		declare -A v=()
		interleaved "$cmd" native off notrap sctrace sctrace-big strace
		# one more traced run of each kind to count what sctrace saw
		timed notrap "$cmd" >/dev/null
		read -r ringsW recsW lostW < <(sum_rings "$R")
		timed sctrace-big "$cmd" >/dev/null
		read -r rings recsB lostB < <(sum_rings "$R")
		timed sctrace "$cmd" >/dev/null
		read -r rings recs lost < <(sum_rings "$R")
		row=$(awk -v name="$name" -v n="$(min ${v[native]})" -v o="$(min ${v[off]})" \
			-v w="$(min ${v[notrap]})" -v s="$(min ${v[sctrace]})" -v g="$(min ${v[sctrace-big]})" \
			-v t="$(min ${v[strace]})" 'BEGIN {
			# +str/+sct: time strace adds over what sctrace adds
			if (s > n) { x = sprintf("%.1fx", (t - n) / (s - n)); okX = (t - n) / (s - n) >= 10 ? "ok" : "MISS" }
			else { x = "inf"; okX = "ok" }
			printf "%-22s %7.4fs %7.4fs %7.4fs %7.4fs %7.4fs %7.3fs | %6.3fx %-5s %6.3fx %-5s %6.3fx %-5s %6.3fx %6.2fx | %6.1fx %9s %-4s\n",
				name, n / 1e6, o / 1e6, w / 1e6, s / 1e6, g / 1e6, t / 1e6,
				w / n, w / n <= 1.10 ? "ok" : "MISS", s / n, s / n <= 1.25 ? "ok" : "MISS",
				g / n, g / n <= 1.25 ? "ok" : "MISS", o / n, t / n, t / s, x, okX
			printf "%s|%.2f|%s|%.2f|%.2f|%.1f|%s|%s\n", name, s / n, s / n <= 1.25 ? "ok" : "MISS",
				g / n, w / n, t / s, x, okX
		}')
		echo "${row%%$'\n'*}"
		IFS='|' read -r _ sn sok gn wn ts x okx <<<"${row#*$'\n'}"
		summary3+=("$(printf '%-28s %6sx  (<= 1.10)  %s' "$name" "$wn" \
			"$(awk -v w="$wn" 'BEGIN { print w <= 1.10 ? "ok" : "MISS" }')")")
		summary+=("$(printf '%-28s %6sx  (<= 1.25)  %-4s  +str/+sct %7s (>= 10) %-4s  [big %sx, notrap %sx, str/sct %sx]' \
			"$name" "$sn" "$sok" "$x" "$okx" "$gn" "$wn" "$ts")")
		seen+=("$(awk -v name="$name" -v rings="$rings" -v recs="$recs" -v lost="$lost" -v lostB="$lostB" \
			-v ringsW="$ringsW" -v recsW="$recsW" -v lostW="$lostW" 'BEGIN {
			calls = recs ~ /^[0-9]+$/ ? recs + lost : "-"
			callsW = recsW ~ /^[0-9]+$/ ? recsW + lostW : "-"
			printf "%-22s %5d %8s %8s %8s | %5d %8s %8s\n", name, rings, calls, lost, lostB, ringsW, callsW, lostW
		}')")
		unset v
	done
	echo
	echo "   X/nat: wall time over native.  notrap: SCTRACE_TRAP=off, the libc wrappers only"
	echo "   (target nt/nat <= 1.10); sctrace and big: the trap layer on, every syscall seen"
	echo "   (issue 4: sct/nat <= 1.25, and strace -f at least 10x slower).  str/sct: strace's"
	echo "   wall time over sctrace's; +str/+sct: the time strace adds over native divided by"
	echo "   the time sctrace adds (target >= 10; a short program that strace slows less than"
	echo "   10x can never reach str/sct >= 10, so the added times are compared, as in 1.)."
	echo "   off: the library is loaded and resolves its functions but records nothing;"
	echo "   nt/nat - off/nat is the cost of recording the wrapped calls, sct/nat - nt/nat"
	echo "   that of trapping and recording the rest."
	echo
	echo "3. what sctrace saw (one more run of each configuration)"
	echo
	printf '%-22s %5s %8s %8s %8s | %5s %8s %8s\n' "" "" "" "" "" notrap "" "" \
		program rings calls "lost1M" "lost$BIG_RING" rings calls "lost1M"
	printf '%s\n' "${seen[@]}"
	echo
	echo "   rings: traced threads (one ring each); calls: calls sctrace saw (records kept +"
	echo "   lost), with the trap layer (sctrace, big) and with the wrappers only (notrap);"
	echo "   lost1M, lost$BIG_RING: calls dropped because the thread's ring was full (drop mode;"
	echo "   a dropped call skips the record copy, so a lossy run is cheaper than full tracing)."
fi

# ---------------------------------------------------------------------------
summary5=() # lines of the issue 5 summary
if [ -z "$ONLY" ] || [ "$ONLY" = stacks ]; then
	# frames recorded per call at bench/loop's call site: CONFIG DEPTH -> the
	# last getppid record's frame count (sctrace dump -k), or strace -k's
	frames() {
		fresh
		if [ "$1" = strace-k ]; then
			strace -f -k -e trace=getppid -o "$T/sk.out" "$LOOP" getppid 1 "$2" >/dev/null 2>&1 &&
				awk '/getppid\(/ { n = 0; next } /^ > / { n++ } END { print n + 0 }' "$T/sk.out" ||
				echo -
			return
		fi
		as "$1" "$LOOP" getppid 1 "$2" >/dev/null 2>&1 &&
			"$SCT" dump -k -e trace=getppid "$R" 2>/dev/null |
			awk '/^getppid\(/ { n = 0; next } /^ > / { n++ } END { print n + 0 }' || echo -
	}
	f16=$(frames stk16-ow "$STACK_DEPTH") ffp=$(frames stk16fp-ow "$STACK_DEPTH")
	fsk=$(frames strace-k "$STACK_DEPTH")
	f16_0=$(frames stk16-ow 0) ffp_0=$(frames stk16fp-ow 0)
	echo
	echo "4. caller stacks (issue 5): SCTRACE_STACK=16, a caller stack recorded with every call"
	echo "   stack0:    sctrace with SCTRACE_STACK=0 (as in 1. and 2.); stack16: SCTRACE_STACK=16,"
	echo "              SCTRACE_UNWIND=eh (the default unwinder); stack16fp: SCTRACE_UNWIND=fp"
	echo "              (frame-pointer walk); lu16 (programs): SCTRACE_UNWIND=libunwind (libunwind.so.8"
	echo "              loaded at start for the frames the eh walk stops at); trap layer ${trapmode:--} in all"
	echo "   strace -k: strace -f -k -o /dev/null (loop only: milliseconds per call)"
	echo
	echo "   a. ns per call, bench/loop CALL N $STACK_DEPTH: $STACK_ITERS calls, $STACK_STRACE_ITERS under strace -k,"
	echo "      min of $STACK_RUNS runs; the sctrace columns record every call (SCTRACE_MODE=overwrite,"
	echo "      hot 1M ring) as in 1.  The loop runs $STACK_DEPTH noinline frames below main: frames"
	echo "      recorded per call: stack16 $f16, stack16fp $ffp, strace -k $fsk (at loop's own call site,"
	echo "      depth 0: stack16 $f16_0, stack16fp $ffp_0)"
	echo
	printf '%-13s %7s %7s %7s %9s %9s | %7s %8s %-5s %10s %7s %9s | %8s\n' \
		call native stack0 stack16 stack16fp strace-k "+stack0" "+stack16" "<=300" "+stack16fp" \
		"stk" "+strace-k" "strk/sct"
	for call in $STACK_CALLS; do
		declare -A v=()
		configs=(native stk0-ow stk16-ow stk16fp-ow strace-k)
		# strace cannot see a vDSO call: nothing to measure
		[ "$call" = clock_gettime ] && configs=(native stk0-ow stk16-ow stk16fp-ow)
		for ((i = 0; i < STACK_RUNS; i++)); do
			for c in $(rotate "$i" "${configs[@]}"); do
				n=$STACK_ITERS
				[ "$call" = raw_getppid ] && [ "$TRAP_ITERS" -lt "$n" ] && n=$TRAP_ITERS
				[ "$c" = strace-k ] && n=$STACK_STRACE_ITERS
				fresh
				x=$(as "$c" "$LOOP" "$call" "$n" "$STACK_DEPTH" 2>"$T/err") ||
					die "loop $call under $c failed: $(head -1 "$T/err")"
				v[$c]="${v[$c]:-} $x"
			done
		done
		# a trapped call (raw_getppid) costs a SIGSYS trip: no verdict; its
		# stack's own cost is the stk column
		row=$(awk -v call="$call" -v n="$(min ${v[native]})" -v z="$(min ${v[stk0-ow]})" \
			-v s="$(min ${v[stk16-ow]})" -v f="$(min ${v[stk16fp-ow]})" -v t="$(min ${v[strace-k]:-})" \
			-v trapped="$([ "$call" = raw_getppid ] && echo 1)" 'BEGIN {
			ds = s - n
			ok = trapped ? "-" : ds <= 300 ? "ok" : "MISS"
			if (t == "") { tt = "-"; dt = "-"; r = "-" }
			else {
				tt = sprintf("%.0f", t); dt = sprintf("%.0f", t - n)
				r = ds > 0 ? sprintf("%.0fx", (t - n) / ds) : "inf"
			}
			printf "%-13s %7.1f %7.1f %7.1f %9.1f %9s | %7.1f %8.1f %-5s %10.1f %7.1f %9s | %8s\n",
				call, n, z, s, f, tt, z - n, ds, ok, f - n, s - z, dt, r
			printf "%.1f|%s|%.1f|%.1f|%s|%s\n", ds, ok, z - n, f - n, dt, r
		}')
		echo "${row%%$'\n'*}"
		IFS='|' read -r ds ok dz df dt r <<<"${row#*$'\n'}"
		if [ "$dt" = - ]; then sk="strace -k: -"; else sk="strace -k +$dt ns = ${r}"; fi
		summary5+=("$(printf '%-28s %7s ns  (<= 300)  %-4s  [+stack0 %s ns, +stack16fp %s ns, %s]' \
			"$call +stack16" "$ds" "$ok" "$dz" "$df" "$sk")")
		unset v
	done
	echo
	echo "   +X: ns that X adds per call over native (target: +stack16 <= 300 ns, 16 frames,"
	echo "   eh).  stk = stack16 - stack0: the stack capture's own cost.  strk/sct ="
	echo "   +strace-k / +stack16.  strace -k unwinds the whole stack (no depth limit) and"
	echo "   symbolizes the frames of every call as it prints it; sctrace stores raw addresses"
	echo "   (interned stacks) and symbolizes when the trace is read.  A bare syscall varies by"
	echo "   +-50 ns from one process to the next (see 1.); clock_gettime (vDSO) has no syscall"
	echo "   under it: its stk is the capture's cost with warm caches."

	programs_setup
	echo
	echo "   b. real programs, wall time, min of $PROG_RUNS runs (sctrace defaults as in 2.: trap layer"
	echo "      on, drop mode, 1M rings; big16: stack16 with SCTRACE_RING_SIZE=$BIG_RING, nothing dropped)"
	[ ${#skipped[@]} -eq 0 ] || echo "   skipped, not installed: ${skipped[*]}"
	echo
	printf '%-22s %8s %8s %8s %8s %9s %8s | %7s %7s %-5s %7s %-5s %7s %7s | %8s %8s\n' \
		program native stack0 stack16 big16 stack16fp lu16 "s0/nat" "stk/nat" "<=1.2" "big/nat" "<=1.2" \
		"fp/nat" "lu/nat" calls "lost1M"
	for k in "${!names[@]}"; do
		name=${names[$k]} cmd=${cmds[$k]}
		declare -A v=()
		interleaved "$cmd" native stk0 stk16 stk16-big stk16fp stk16lu
		# one more run with stacks to count the calls and what a full ring dropped
		timed stk16 "$cmd" >/dev/null
		read -r rings recs lost < <(sum_rings "$R")
		row=$(awk -v name="$name" -v n="$(min ${v[native]})" -v z="$(min ${v[stk0]})" \
			-v s="$(min ${v[stk16]})" -v g="$(min ${v[stk16-big]})" -v f="$(min ${v[stk16fp]})" \
			-v u="$(min ${v[stk16lu]})" -v recs="$recs" -v lost="$lost" 'BEGIN {
			calls = recs ~ /^[0-9]+$/ ? recs + lost : "-"
			printf "%-22s %7.4fs %7.4fs %7.4fs %7.4fs %8.4fs %7.4fs | %6.3fx %6.3fx %-5s %6.3fx %-5s %6.3fx %6.3fx | %8s %8s\n",
				name, n / 1e6, z / 1e6, s / 1e6, g / 1e6, f / 1e6, u / 1e6,
				z / n, s / n, s / n <= 1.20 ? "ok" : "MISS", g / n, g / n <= 1.20 ? "ok" : "MISS", f / n, u / n,
				calls, lost
			printf "%.2f|%s|%.2f|%s|%.2f|%.2f|%.2f\n", s / n, s / n <= 1.20 ? "ok" : "MISS",
				g / n, g / n <= 1.20 ? "ok" : "MISS", f / n, z / n, u / n
		}')
		echo "${row%%$'\n'*}"
		IFS='|' read -r sn sok gn gok fn zn un <<<"${row#*$'\n'}"
		summary5+=("$(printf '%-28s %7sx     (<= 1.20)  %-4s  big16 %sx %-4s  [stack16fp %sx, libunwind %sx, stack0 %sx]' \
			"$name" "$sn" "$sok" "$gn" "$gok" "$fn" "$un" "$zn")")
		unset v
	done
	echo
	echo "   X/nat: wall time over native (target: stk/nat <= 1.20 with 16-frame stacks, eh;"
	echo "   checked for big/nat too).  A call dropped because its ring is full (lost1M, from one"
	echo "   more stack16 run; calls: all the calls sctrace saw) skips the record and its stack, so"
	echo "   with drops stk/nat flatters: big16 drops nothing.  stk/nat - s0/nat is the stacks' cost."
fi

# ---------------------------------------------------------------------------
if [ ${#summary3[@]} -gt 0 ]; then
	echo
	echo "summary, issue 3 point 7 (the wrappers only, SCTRACE_TRAP=off): target, value, verdict"
	printf '  %s\n' "${summary3[@]}"
fi
if [ ${#summary[@]} -gt 0 ]; then
	echo
	echo "summary, issue 4 point 6 (trap layer: ${trapmode:--}): target, ratio, verdict"
	printf '  %s\n' "${summary[@]}"
fi
if [ ${#summary5[@]} -gt 0 ]; then
	echo
	echo "summary, issue 5 point 8 (caller stacks, 16 frames, eh; trap layer: ${trapmode:--}): target, value, verdict"
	printf '  %s\n' "${summary5[@]}"
fi
