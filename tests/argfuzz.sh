#!/usr/bin/env bash
# First law, systematically: tests/progs/argfuzz makes ~50,000 calls of ~100
# syscalls that are safe to make with hostile arguments (NULL, small
# integers, unreadable pages, pointers 1..8 bytes before an inaccessible
# page, read-only memory, scratch buffers and descriptors), each through
# libc's syscall() and a raw `syscall` instruction, and prints one line per
# call: its arguments by name, the result, errno and a hash of the memory
# the call could write.  Run natively, then under the preload with each trap
# mode (off; sud and seccomp where the kernel has them), with and without
# caller stacks: each traced run must exit as the native one did and print
# exactly the same lines.  The dumper must then read one run's rings.
# Known tracer bugs are listed below: their tuples are not made (in any run,
# so that the lines still pair up) and each shows as a TODO line.  TAP output.
#
# ARGFUZZ_DEEP=1 in the environment: every pair of argument values, more
# random tuples (~5x longer).
set -u
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "1..0 # SKIP no build directory"; exit 77; }
S=$BUILD/sctrace LIB=$BUILD/libsctrace.so AF=$BUILD/tests/argfuzz
[ -x "$AF" ] && [ -f "$LIB" ] || { echo "1..0 # SKIP argfuzz or libsctrace.so not built"; exit 77; }
[ "$(uname -m)" = x86_64 ] || { echo "1..0 # SKIP x86-64 only"; exit 77; }
. "$(dirname "$0")/tap.sh"
tap_tmpdir argfuzz

# ---- known tracer bugs: "PATTERNS :: WHAT", PATTERNS as argfuzz's SKIP ----
# (';'-separated "NAME A0 A1 ...", '|' between alternative value names)
BAD='1|guard|end-*|bufend-*|4096|-4096'   # unreadable (or not all readable)
NOT8='0|1|4|7|16|24|64|128|256|4096|65536|-1|0x7fffffff|0x100000000'
KNOWN=(
)
SKIP=
for k in "${KNOWN[@]}"; do
	pat=${k%% :: *}
	SKIP="$SKIP${SKIP:+;}$pat"
	n=$((n+1)); echo "not ok $n - known tracer bug, tuples not made: $pat # TODO ${k#* :: }"
done

# the kernel's abilities (tests/trap.sh's probe)
have_sud=0 have_seccomp=0
if [ -x "$BUILD/tests/sigsys" ]; then
	"$BUILD/tests/sigsys" probe > "$T/probe" 2>/dev/null
	have_sud=$(awk '$1 == "sud" { print $2 }' "$T/probe")
	have_seccomp=$(awk '$1 == "seccomp" { print $2 }' "$T/probe")
fi
echo "# kernel: sud=${have_sud:-?} seccomp=${have_seccomp:-?}"

# fuzz OUT [ENV...]: one run in the scratch directory (the same path every
# run: getcwd's result is compared), killed after 60 s
fuzz() {
	local out=$1; shift
	rm -rf "$T/scratch"
	# (a subshell: the shell's own "Segmentation fault" goes to .err too)
	(env "$@" timeout -k 5 60 "$AF" "$T/scratch" "$SKIP" > "$out" 2> "$out.err") 2>> "$out.err"
}

fuzz "$T/native.out"
nrc=$?
ok $nrc "native run exits 0 ($(tail -n1 "$T/native.out" | sed 's/^# //'))"
if [ $nrc != 0 ]; then
	diag < "$T/native.out.err"
	echo "1..$n"
	exit 1
fi

why() { if [ "$1" = 124 ] || [ "$1" = 137 ]; then echo "timed out"; elif [ "$1" -gt 128 ]; then echo "killed by signal $(($1 - 128))"; else echo "exit $1"; fi; }
dumpdir=
for m in off sud seccomp; do
	case $m in
	sud) [ "${have_sud:-0}" = 1 ] || { skip "$m: the kernel has no Syscall User Dispatch"; continue; } ;;
	seccomp) [ "${have_seccomp:-0}" = 1 ] || { skip "$m: the kernel has no seccomp filters"; continue; } ;;
	esac
	for st in 16 0; do
		r=$T/rings-$m-$st
		mkdir -p "$r"
		# overwrite: in the default drop mode a full ring takes no more
		# records, and a call not recorded has nothing captured
		# SCTRACE_PLACE=0: seccomp on in a program preloaded directly
		fuzz "$T/$m-$st.out" SCTRACE_TRAP=$m SCTRACE_PLACE=0 SCTRACE_STACK=$st SCTRACE_DIR="$r" \
			SCTRACE_MODE=overwrite LD_PRELOAD="$LIB"
		rc=$?
		active=$("$S" ls "$r" 2>/dev/null | awk 'NR == 2 { print $7; exit }')
		name="$m (trap layer ${active:-?}), SCTRACE_STACK=$st"
		ok $([ $rc = $nrc ]; echo $?) "$name: exits as natively ($(why $rc))"
		if [ $rc -gt 128 ]; then
			# again, each line written before its call is made: the
			# last line is the call that killed it
			fuzz "$T/again.out" SCTRACE_TRAP=$m SCTRACE_PLACE=0 SCTRACE_STACK=$st SCTRACE_DIR="$T/again" \
				SCTRACE_MODE=overwrite LD_PRELOAD="$LIB" ARGFUZZ_FLUSH=1
			echo "killed in: $(tail -n1 "$T/again.out")" | diag
			rm -rf "$T/again"
		fi
		if [ $rc != $nrc ]; then
			ok 1 "$name: every result, errno and memory hash as natively (output stops at line $(wc -l < "$T/$m-$st.out") of $(wc -l < "$T/native.out"))"
		elif cmp -s "$T/native.out" "$T/$m-$st.out"; then
			ok 0 "$name: every result, errno and memory hash as natively"
		else
			c=$(diff "$T/native.out" "$T/$m-$st.out" | grep -c '^>')
			ok 1 "$name: every result, errno and memory hash as natively ($c lines differ)"
			diff "$T/native.out" "$T/$m-$st.out" | grep '^[<>]' | head -n 16 | diag
		fi
		[ $st = 16 ] && dumpdir=$r # the last mode's: a trap mode's if any
	done
done

# the dumper over one traced run's rings (a trap mode's when there is one):
# odd arguments, unreadable pointers and cut captures must not upset it
if [ -n "$dumpdir" ]; then
	"$S" dump "$dumpdir" > /dev/null 2> "$T/dump.err"
	rc=$?
	ok $rc "sctrace dump over the rings of ${dumpdir##*/rings-} ($(why $rc))"
	[ $rc = 0 ] || head -n 5 "$T/dump.err" | diag
	"$S" dump --json "$dumpdir" > /dev/null 2> "$T/dump.err"
	rc=$?
	ok $rc "sctrace dump --json over the same rings ($(why $rc))"
	[ $rc = 0 ] || head -n 5 "$T/dump.err" | diag
fi

echo "1..$n"
[ $failed = 0 ]
