#!/usr/bin/env bash
# A full file system under the ring directory.  Ring and stack files are
# sparse: their pages get memory as the writer populates them, and a
# failure to populate means no room.  The traced program must never see
# SIGBUS: records that find no room are dropped and counted (recorded +
# lost = calls, exactly), a ring that cannot start is reported once, and
# the program's own output and exit status are untouched.
#
# Needs a small tmpfs of its own: a mount namespace (unshare -m, as root).
# TAP output; exit 77 (skip) where that cannot be had.
set -u
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "1..0 # SKIP no build directory"; exit 77; }
S=$BUILD/sctrace LIB=$BUILD/libsctrace.so P=$BUILD/tests
if [ "${1-}" != --inside ]; then
	T=$(mktemp -d /tmp/sctrace-fullfs.XXXXXX)
	trap 'rm -rf "$T"' EXIT
	mkdir "$T/m"
	if ! unshare -m true 2>/dev/null ||
	   ! unshare -m sh -c "mount -t tmpfs -o size=64k none '$T/m'" 2>/dev/null; then
		echo "1..0 # SKIP cannot mount a small tmpfs in a mount namespace (needs root and unshare -m)"
		exit 77
	fi
	# the checks run in a namespace of their own, with the tmpfs mounted
	# (not exec'd: the EXIT trap removes $T afterwards)
	unshare -m bash "$0" --inside "$T"
	exit
fi
T=$2
. "$(dirname "$0")/tap.sh"
echo "1..10"

# count SYSCALL, EXEC and EXIT records and lost ones in the rings of DIR
# (sctrace dump --json): "RECORDED LOST"
counts() {
	"$S" dump --json "$1" > "$T/d.json" 2> "$T/d.err"
	local got lost
	got=$(grep -c -e '"type":"syscall"' -e '"type":"exec"' -e '"type":"exit"' "$T/d.json")
	lost=$(grep '"type":"lost"' "$T/d.json" | sed 's/.*"count":\([0-9]*\).*/\1/' | awk '{s+=$1} END {print s+0}')
	echo "$got $lost"
}

# 1. one thread, a 1M ring in 512 KiB of file system: the ring starts
# (its first 256 KiB populated) and runs out of room part way
mount -t tmpfs -o size=512k none "$T/m" || { echo "Bail out! mount failed"; exit 1; }
SCTRACE_TRAP=off SCTRACE_STACK=0 SCTRACE_DIR=$T/m LD_PRELOAD=$LIB "$P/loop" 20000 2> "$T/err1"
ok $? "one ring, 512 KiB file system: the program exits 0 (no SIGBUS)"
read -r got lost < <(counts "$T/m")
[ "$((got + lost))" = 20002 ] && [ "$got" -gt 1000 ] && [ "$got" -lt 14000 ]
ok $? "one ring: $got recorded (a 1M ring alone holds ~18000 56-byte getppid records) + $lost lost = 20000 calls + 2 events"
[ ! -s "$T/err1" ]; ok $? "one ring: nothing said (the loss is in the ring's counter)"
[ ! -s "$T/err1" ] || sed 's/^/# /' "$T/err1"
umount "$T/m"

# 2. stacks on: the stack file is sparse too; a full file system costs
# stacks (counted), never the program
mount -t tmpfs -o size=512k none "$T/m"
SCTRACE_TRAP=off SCTRACE_STACK=16 SCTRACE_DIR=$T/m LD_PRELOAD=$LIB "$P/loop" 20000 > "$T/out2" 2> "$T/err2"
ok $? "stacks on, 512 KiB file system: the program exits 0"
read -r got lost < <(counts "$T/m")
[ "$((got + lost))" = 20002 ] && [ "$got" -gt 0 ]
ok $? "stacks on: $got recorded + $lost lost = 20000 calls + 2 events"
umount "$T/m"

# 3. four threads in 640 KiB: some rings cannot even start (reported
# once); every call is still made, the output is the untraced one
mount -t tmpfs -o size=640k none "$T/m"
SCTRACE_TRAP=off SCTRACE_STACK=0 SCTRACE_DIR=$T/m LD_PRELOAD=$LIB "$P/loop" 5000 4 2> "$T/err3"
ok $? "4 threads, 640 KiB file system: the program exits 0"
[ "$(grep -c 'sctrace: ' "$T/err3")" -le 1 ]; ok $? "4 threads: at most one message ($(wc -l < "$T/err3") lines)"
sed 's/^/# /' "$T/err3"
umount "$T/m"

# 4. a shell pipeline with the trap layer and stacks on, in 256 KiB:
# the output is the untraced one
mount -t tmpfs -o size=256k none "$T/m"
want=$(sh -c 'seq 1 2000 | sort -n | tail -1')
got=$(SCTRACE_STACK=16 SCTRACE_DIR=$T/m LD_PRELOAD=$LIB sh -c 'seq 1 2000 | sort -n | tail -1' 2> "$T/err4")
ok $? "a pipeline in 256 KiB: exits 0"
[ "$got" = "$want" ]; ok $? "a pipeline in 256 KiB: its output is the untraced one ($got)"
"$S" ls "$T/m" > "$T/ls4" 2>&1; ok $? "sctrace ls reads what there is"
umount "$T/m"
exit $((failed > 0))
