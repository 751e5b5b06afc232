#!/usr/bin/env bash
# Patched syscall sites (preload/patch.c): a site of libc that keeps
# trapping is patched to jump into the tracer, and what gets recorded does
# not change.  tests/progs/patchsite makes the same internal calls of libc
# (opendir, readdir, closedir; a closedir whose close fails) 40 times; its
# exit status says whether libc's code in memory still equals its file.
#  - the default patches (Syscall User Dispatch), also with threads (two
#    making the calls at once), SCTRACE_PATCH=0 and SCTRACE_TRAP=off do
#    not, nor a process that installed a seccomp filter (which might
#    refuse the patching's mprotect);
#  - signal masks and actions set and read back through patched sites
#    (SIGSYS among them) look to the program as they do untraced;
#  - the records (name, arguments with addresses masked, result, errno,
#    via) and their caller stacks (-k: object, symbol, offset) are the same
#    with and without patching, per call, in order;
#  - a fork child of a patched process runs the patched sites and is traced
#    the same (its records compared as above).
# TAP output.
set -u
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "1..0 # SKIP no build directory"; exit 77; }
S=$BUILD/sctrace P=$BUILD/tests/patchsite SIG=$BUILD/tests/sigsys
[ -x "$P" ] && [ -x "$SIG" ] || { echo "1..0 # SKIP patchsite/sigsys not built"; exit 77; }
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 needed to read --json output"; exit 77; }
[ "$(uname -m)" = x86_64 ] || { echo "1..0 # SKIP x86-64 only"; exit 77; }
[ "$("$SIG" probe 2>/dev/null | awk '$1 == "sud" { print $2 }')" = 1 ] ||
	{ echo "1..0 # SKIP no Syscall User Dispatch here: nothing is patched"; exit 77; }
. "$(dirname "$0")/tap.sh"
tap_tmpdir patch

cat > "$T/cmp.py" <<'EOF2'
import json, re, sys
def recs(path):
    """per thread, its records in order, up to its process's check of
    libc's code; the threads in order of their records (sorted)"""
    procs = {}
    for line in open(path):
        r = json.loads(line)
        if r.get("type") != "syscall":
            continue
        out = procs.setdefault((r.get("pid"), r.get("tid")), [])
        if r["name"] == "getrandom" or (out and out[-1] is None):
            continue  # random bytes; past the end of the loop
        if any("/proc/self/maps" in a for a in r.get("args") or []):
            out.append(None)  # the check of libc's code: not compared
            continue
        args = [re.sub(r"0x[0-9a-f]{6,}", "ADDR", a) for a in r.get("args") or []]
        stack = [(f.get("obj"), f.get("sym"), f.get("off"))
                 for f in r.get("stack") or []]
        ret = r.get("ret")
        if isinstance(ret, int) and ret >= 1 << 24:
            ret = "ADDR"  # brk, mmap: placed at random
        if r["name"] in ("clone", "clone3", "wait4", "getpid", "gettid",
                         "tgkill"):
            ret, args = "PID", args[-1:]  # pids, different each run
        out.append((r.get("pid") != r.get("tid"), r["name"], args,
                    ret, r.get("err"), r.get("via"), stack))
    threads = sorted(([x for x in p if x is not None] for p in procs.values()),
                     key=repr)
    return [x for p in threads for x in p]
a, b = recs(sys.argv[1]), recs(sys.argv[2])
if len(sys.argv) > 3 and sys.argv[3] != "-":  # only these names
    keep = sys.argv[3].split(",")                # (threads: the rest is timing)
    a = [x for x in a if x[1] in keep]
    b = [x for x in b if x[1] in keep]
if len(sys.argv) > 4 and sys.argv[4] == "sort":
    # in any order: a signal's rt_sigreturn and the call whose return
    # delivered it can print in either order, patched or not (their time
    # stamps, a microsecond apart, swap about once in 40 runs)
    a, b = sorted(a, key=repr), sorted(b, key=repr)
if len(sys.argv) > 4 and sys.argv[4] == "mask":
    # fd numbers and counts: which thread got which
    def mask(x):
        args = ["N" if re.match(r"-?[0-9]+$", v) else v for v in x[2]]
        return (x[0], x[1], args, "N" if x[4] is None else x[3]) + x[4:]
    a, b = sorted(map(mask, a), key=repr), sorted(map(mask, b), key=repr)
vias = sum(1 for x in b if x[5] == "trap")
if a == b:
    print("same %d records (%d via trap)" % (len(a), vias))
    sys.exit(0)
print("%d records against %d" % (len(a), len(b)))
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        print("first difference, record %d:\n  %s\n  %s" % (i, x, y))
        break
sys.exit(1)
EOF2

# run NAME ENV... -- ARGS: sctrace --json of patchsite, its exit status in $T/NAME.rc
run() {
	local name=$1; shift
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	env "${envs[@]}" timeout -k 5 30 "$S" --json -o "$T/$name.json" "$@" \
		2> "$T/$name.err"
	echo $? > "$T/$name.rc"
}
rc() { cat "$T/$1.rc"; }

run patched SCTRACE_PATCH=1 -- "$P" 40
run unpatched SCTRACE_PATCH=0 -- "$P" 40
run notrap SCTRACE_TRAP=off -- "$P" 40
run thread SCTRACE_PATCH=1 -- "$P" 40 thread
run unthread SCTRACE_PATCH=0 -- "$P" 40 thread
run threads SCTRACE_PATCH=1 -- "$P" 40 threads
run unthreads SCTRACE_PATCH=0 -- "$P" 40 threads
run seccomp SCTRACE_PATCH=1 -- "$P" 40 seccomp
run signals SCTRACE_PATCH=1 -- "$P" 40 signals
run unsignals SCTRACE_PATCH=0 -- "$P" 40 signals
ok "$([ "$(rc patched)" = 0 ])$?" "libc's sites patched by default (patchsite exit 0, got $(rc patched))"
ok "$([ "$(rc unpatched)" = 3 ])$?" "SCTRACE_PATCH=0: libc untouched (exit 3, got $(rc unpatched))"
ok "$([ "$(rc notrap)" = 3 ])$?" "SCTRACE_TRAP=off: libc untouched (exit 3, got $(rc notrap))"
ok "$([ "$(rc thread)" = 0 ] && [ "$(rc unthread)" = 3 ])$?" "a process with a thread: sites patched in one atomic store (exit $(rc thread); unpatched $(rc unthread))"
ok "$([ "$(rc threads)" = 0 ] && [ "$(rc unthreads)" = 3 ])$?" "two threads making the calls at once: patched (exit $(rc threads); unpatched $(rc unthreads))"
ok "$([ "$(rc seccomp)" = 3 ])$?" "a process that installed a seccomp filter: libc untouched (exit 3, got $(rc seccomp))"
ok "$([ "$(rc signals)" = 0 ] && [ "$(rc unsignals)" = 3 ])$?" "signal masks and actions through patched sites: the program's own view (exit $(rc signals); unpatched $(rc unsignals))"
python3 "$T/cmp.py" "$T/unsignals.json" "$T/signals.json" - sort > "$T/cmp6" 2>&1
ok $? "the same records for them patched and unpatched: $(head -1 "$T/cmp6")"
diag < "$T/cmp6"
python3 "$T/cmp.py" "$T/unpatched.json" "$T/patched.json" > "$T/cmp1" 2>&1
ok $? "the same records patched and unpatched: $(head -1 "$T/cmp1")"
diag < "$T/cmp1"
nc=$(grep -c '"name":"close".*"via":"trap"' "$T/patched.json")
ok "$([ "$nc" -ge 41 ])$?" "closedir's closes recorded via trap: $nc (>= 41)"
grep -q '"name":"close".*"ret":-1,"err":"EBADF".*"via":"trap"' "$T/patched.json"
ok $? "the failing close inside closedir: -1 EBADF, via trap"

# with threads, the loop's own calls (futex waits, thread stacks and
# arenas depend on timing)
LOOPCALLS=openat,newfstatat,fstat,fcntl,getdents64,close
python3 "$T/cmp.py" "$T/unthread.json" "$T/thread.json" $LOOPCALLS > "$T/cmp4" 2>&1
ok $? "the same records with a thread: $(head -1 "$T/cmp4")"
diag < "$T/cmp4"
python3 "$T/cmp.py" "$T/unthreads.json" "$T/threads.json" $LOOPCALLS mask > "$T/cmp5" 2>&1
ok $? "the same records from two threads at once (fds masked): $(head -1 "$T/cmp5")"
diag < "$T/cmp5"

run kpatched SCTRACE_PATCH=1 -- -k "$P" 40
run kunpatched SCTRACE_PATCH=0 -- -k "$P" 40
python3 "$T/cmp.py" "$T/kunpatched.json" "$T/kpatched.json" > "$T/cmp2" 2>&1
ok $? "the same caller stacks (-k) patched and unpatched: $(head -1 "$T/cmp2")"
[ "$(rc kpatched)" = 0 ] || diag < "$T/cmp2"

run fpatched SCTRACE_PATCH=1 -- "$P" 40 fork
run funpatched SCTRACE_PATCH=0 -- "$P" 40 fork
ok "$([ "$(rc fpatched)" = 0 ] && [ "$(rc funpatched)" = 3 ])$?" "a fork child runs the patched sites (exit $(rc fpatched); unpatched $(rc funpatched))"
python3 "$T/cmp.py" "$T/funpatched.json" "$T/fpatched.json" > "$T/cmp3" 2>&1
ok $? "the child's records the same: $(head -1 "$T/cmp3")"
diag < "$T/cmp3"
echo "1..$n"
[ "$failed" = 0 ]
