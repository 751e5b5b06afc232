#!/usr/bin/env bash
# The trap layer (issue 4): raw `syscall` instructions and libc's internal
# calls are recorded once, with "via":"trap"; programs that block SIGSYS,
# handle it, use seccomp, sigaltstack, siglongjmp or vfork are unharmed;
# threads, fork children and exec'd programs are covered.  Each under
# SCTRACE_TRAP=sud and =seccomp (where the kernel has them and the tracer
# accepts them); =off traps nothing; the default (and auto) is sud.  Every traced run is bounded by `timeout`.
# TAP output.
#
# Helpers: tests/progs/rawsys.c (writes the strace lines and the "via" each of
# its calls must get), tests/progs/sigsys.c (one mode per hostile behaviour,
# each checking itself; `sigsys probe` says what the kernel supports),
# tests/progs/regkeep.c (registers across a trapped call, checking itself).
set -u
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "1..0 # SKIP no build directory"; exit 77; }
S=$BUILD/sctrace P=$BUILD/tests LIB=$BUILD/libsctrace.so
[ -x "$P/rawsys" ] && [ -x "$P/sigsys" ] && [ -x "$P/regkeep" ] || { echo "1..0 # SKIP rawsys/sigsys/regkeep not built"; exit 77; }
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 needed to read --json output"; exit 77; }
[ "$(uname -m)" = x86_64 ] || { echo "1..0 # SKIP x86-64 only"; exit 77; }

# ---- assumptions about the trap layer's interface: the one place to adjust ---
# 1. SCTRACE_TRAP=auto|sud|seccomp|off in sctrace's environment selects the
#    layer (passed on to the preload library); unset or auto is the default,
#    which must be sud wherever the kernel has Syscall User Dispatch.
# 2. The mode a process really runs in is the TRAP column (7th field) of
#    `sctrace ls DIR` for its rings, kept with `sctrace -D DIR`; the text
#    trace starts with a header line matching HEADER_RE (%s: the mode), and
#    a --json exec record has "trap":"MODE".
# 3. --json: a trapped call has "via":"trap", a wrapped one "via":"libc";
#    "tid" is the calling thread (for a process, its pid).  Text: lines of
#    another thread than the first start with "[pid TID] ".
# 4. A seccomp mode the tracer refuses is refused loudly: a message on
#    sctrace's stderr that matches REFUSAL_RE (lines naming the temporary
#    directory, "rings kept in ...", do not count); the process then runs
#    wrappers-only.
TRAP_VAR=SCTRACE_TRAP
REFUSAL_RE='seccomp'
HEADER_RE='^sctrace: pid [0-9]+ traced, trap layer %s$'
# the loader of the test programs (seccomp runs them as its argument)
LDSO=$(readelf -l "$P/rawsys" 2>/dev/null | sed -n 's/.*interpreter: \(.*\)]$/\1/p')
R=
trap_mode_of() { "$S" ls "$1" 2>/dev/null | awk 'NR == 2 { print $7; exit }'; }
# -----------------------------------------------------------------------------

. "$(dirname "$0")/tap.sh"
tap_tmpdir trap
# strace's alignment padding before " = " differs with prefixes: drop it
norm() { sed -E 's/ +(= )/ \1/; s/^\[pid +([0-9]+)\] /[pid \1] /'; }
# "exit N" or "timed out"
why() { if [ "$1" = 124 ] || [ "$1" = 137 ]; then echo "timed out"; else echo "exit $1"; fi; }

# traced MODE SCTRACE-ARGS...: sctrace with $TRAP_VAR=MODE (MODE "default":
# unset), killed after 20 s (timeout signals its whole process group)
traced() {
	local mode=$1; shift
	if [ "$mode" = default ]; then
		env -u "$TRAP_VAR" timeout -k 5 20 "$S" "$@"
	else
		env "$TRAP_VAR=$mode" timeout -k 5 20 "$S" "$@"
	fi
}

# JSON queries (python3: the --json output is one object per line)
cat > "$T/j.py" <<'EOF'
import json, re, sys

def load(path):
    recs = []
    try:
        f = open(path, errors="replace")
    except OSError as e:
        print(e, file=sys.stderr)
        return recs
    for line in f:
        line = line.strip()
        if line:
            try:
                recs.append(json.loads(line))
            except ValueError:
                print("not JSON: " + line[:120], file=sys.stderr)
    return recs

def field(r, k):
    v = r.get(k)
    if k == "args":
        return ", ".join(v or [])
    if k == "exe" and v:
        return v.rsplit("/", 1)[-1]   # exe=ls: basename
    return "null" if v is None else str(v)

def select(recs, conds):
    """conds: key=value, key!=value; type defaults to syscall"""
    tests = []
    if not any(re.match(r"type!?=", c) for c in conds):
        conds = ["type=syscall"] + list(conds)
    for c in conds:
        k, neg, v = re.match(r"(\w+)(!?)=(.*)", c).groups()
        tests.append((k, bool(neg), v))
    return [r for r in recs
            if all((field(r, k) == v) != neg for k, neg, v in tests)]

def ret_matches(r, want):
    ret, err = r.get("ret"), r.get("err")
    if want == "?":
        return ret is None
    m = re.match(r"-1 (E\w+)", want)
    if m:
        return err == m.group(1)
    if err is not None or ret is None:
        return False
    try:
        return int(ret) == int(want, 0)
    except ValueError:
        return False

def match(json_path, exp_path, via_path):
    """Every expected line is one record, of the same tid, name, rendered
    arguments and result, made through the expected via, in call order per
    thread; a line expected k times matches exactly k records."""
    recs = [r for r in load(json_path) if r.get("type") == "syscall"]
    exp = open(exp_path).read().splitlines()
    via = open(via_path).read().splitlines()
    main = None
    parsed = []
    for line in exp:
        m = re.match(r"(?:\[pid (\d+)\] )?(\w+)\((.*)\) = (.*)$", line)
        if not m:
            print("cannot parse expected line: " + line)
            return 1
        tid, name, args, ret = m.groups()
        if main is None and name == "getpid" and tid is None:
            main = int(ret)
        parsed.append((tid, name, args, ret))
    if main is None:
        print("no getpid line to learn the main pid from")
        return 1
    bad = 0
    seen = {}   # (tid, line) -> occurrences so far
    last = {}   # tid -> index of the last matched record
    for line, (tid, name, args, ret), v in zip(exp, parsed, via):
        tid = int(tid) if tid else main
        cands = [i for i, r in enumerate(recs)
                 if r.get("tid") == tid and r.get("name") == name
                 and field(r, "args") == args and ret_matches(r, ret)]
        k = sum(1 for l, p in zip(exp, parsed)
                if l == line and (int(p[0]) if p[0] else main) == tid)
        occ = seen.get((tid, line), 0)
        seen[(tid, line)] = occ + 1
        if len(cands) != k:
            bad += 1
            print("%d record(s), want %d: %s" % (len(cands), k, line))
            same = [r for r in recs if r.get("name") == name]
            for r in same[:6]:
                print("  has: tid %s %s(%s) = %s %s via %s" % (r.get("tid"), name,
                      field(r, "args"), r.get("ret"), r.get("err") or "",
                      r.get("via")))
            continue
        i = cands[occ]
        if recs[i].get("via") != v:
            bad += 1
            print("via %s, want %s: %s" % (recs[i].get("via"), v, line))
        if i < last.get(tid, -1):
            bad += 1
            print("out of call order: " + line)
        last[tid] = i
    return 1 if bad else 0

cmd = sys.argv[1]
if cmd == "match":
    sys.exit(match(*sys.argv[2:5]))
recs = load(sys.argv[2])
if cmd == "count":        # count FILE COND...
    print(len(select(recs, sys.argv[3:])))
elif cmd == "values":     # values FILE KEY COND...: distinct values, in order
    key, sel = sys.argv[3], select(recs, sys.argv[4:])
    out = []
    for r in sel:
        if field(r, key) not in out:
            out.append(field(r, key))
    print(" ".join(out))
EOF
jcount() { python3 "$T/j.py" count "$@" 2>/dev/null || echo 0; }
jvalues() { python3 "$T/j.py" values "$@" 2>/dev/null; }

# the kernel's abilities, natively
"$P/sigsys" probe > "$T/probe" 2>/dev/null
have_sud=$(awk '$1 == "sud" { print $2 }' "$T/probe")
have_seccomp=$(awk '$1 == "seccomp" { print $2 }' "$T/probe")
echo "# kernel: sud=${have_sud:-?} seccomp=${have_seccomp:-?}"

# the sh/python/exec workload of the threads+fork+exec checks: 4 threads
# and a fork child list /, a subprocess runs /bin/true, then sh runs ls /
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
PYCODE='import os, subprocess, sys, threading
tids = []
def work():
    tids.append(threading.get_native_id())
    os.listdir("/")
ts = [threading.Thread(target=work) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
pid = os.fork()
if pid == 0:
    os.listdir("/")
    os._exit(0)
os.waitpid(pid, 0)
subprocess.run(["/bin/true"], check=True)
print("main", os.getpid())
print("fork", pid)
for t in tids: print("thread", t)'
# workload OUT: the sh command line
workload() { printf '"%s" -c '"'"'%s'"'"' > "%s" && ls / > /dev/null' "$PY" "$PYCODE" "$1"; }

RAWSET=getpid,write,openat,close,mmap,munmap,clone,wait4,exit,exit_group
SIGSYS_MODES="block pending handler seccomp altstack longjmp vfork"
MARKERS=5 # raw getppid calls at the end of every sigsys mode (sigsys.c)

# ---- rawsys: every raw call recorded once, rendered as strace does ---------
rawsys_checks() {
	local m=$1 d=$T/$1 rc main
	mkdir -p "$d"
	traced "$m" --json -o "$d/raw.json" -- $R "$P/rawsys" "$d/exp" "$d/via" > "$d/raw.out" 2> "$d/raw.err"
	rc=$?
	ok $rc "$m: rawsys runs ($(why $rc))"
	[ $rc = 0 ] || diag < "$d/raw.err"
	printf 'raw write\nchild\n' | cmp -s - "$d/raw.out"
	ok $? "$m: rawsys output unchanged (raw write, child)"
	python3 "$T/j.py" match "$d/raw.json" "$d/exp" "$d/via" > "$d/match" 2>&1
	ok $? "$m: json: each raw call once, right tid, args, result and via, in order"
	diag < "$d/match"
	main=$(sed -n 's/^getpid() = //p' "$d/exp" | head -1)
	local t l a
	t=$(jcount "$d/raw.json" name=getpid tid="$main" via=trap)
	l=$(jcount "$d/raw.json" name=getpid tid="$main" via=libc)
	a=$(jcount "$d/raw.json" name=getpid)
	[ "$t" = 1 ] && [ "$l" = 1 ] && [ "$a" = 2 ]
	ok $? "$m: json: getpid made twice, recorded twice: raw via trap ($t), wrapped via libc ($l), all $a"
	t=$(jvalues "$d/raw.json" trap type=exec)
	[ "$t" = "$m" ]; ok $? "$m: json: the exec record names the trap layer (${t:-none})"

	# text: the same lines, in call order per process, each exactly once
	traced "$m" -o "$d/raw.txt" -e trace=$RAWSET -- $R "$P/rawsys" "$d/exp2" > /dev/null 2> "$d/raw2.err"
	rc=$?
	ok $rc "$m: rawsys runs, text output ($(why $rc))"
	# shellcheck disable=SC2059 # HEADER_RE is the format
	grep -Eq "$(printf "$HEADER_RE" "$m")" "$d/raw.txt"
	ok $? "$m: text: the header names the trap layer ($(head -1 "$d/raw.txt"))"
	main=$(sed -n 's/^getpid() = //p' "$d/exp2" | head -1)
	grep -v '^+++\|^execve' "$d/raw.txt" | norm | sed "s/^\[pid ${main:-x}\] //" > "$d/got.all"
	grep -Fxf "$d/exp2" "$d/got.all" > "$d/got"
	{ diff -u --label expected --label traced <(grep -v '^\[pid ' "$d/exp2") <(grep -v '^\[pid ' "$d/got") &&
		diff -u --label expected --label traced <(grep '^\[pid ' "$d/exp2") <(grep '^\[pid ' "$d/got"); } > "$d/diff" 2>&1
	ok $? "$m: text: each raw call's strace line exactly once, in order"
	diag < "$d/diff"
}

# ---- sigsys: hostile programs pass their own checks, tracing goes on -------
sigsys_checks() {
	local m=$1 mode d rc main c
	for mode in $SIGSYS_MODES; do
		d=$T/$m-$mode
		mkdir -p "$d"
		traced "$m" --json -o "$d/json" -- $R "$P/sigsys" "$mode" > "$d/out" 2> "$d/err"
		rc=$?
		[ $rc = 0 ] && grep -q '^1\.\.[1-9]' "$d/out" && ! grep -q '^not ok' "$d/out"
		ok $? "$m: sigsys $mode: its checks pass ($(why $rc))"
		grep '^not ok\|^#' "$d/out" | diag
		[ $rc = 0 ] || head -5 "$d/err" | diag
		[ "$m" = off ] && continue
		main=$(jvalues "$d/json" pid type=exec | cut -d' ' -f1)
		c=$(jcount "$d/json" name=getppid via=trap tid="${main:-x}")
		[ "$c" = $MARKERS ]; ok $? "$m: sigsys $mode: still trapping after it: $c of $MARKERS raw getppid recorded"
		case $mode in
		vfork)
			for a in 7 9; do
				c=$(jcount "$d/json" name=exit args=$a via=trap tid!="${main:-x}")
				[ "$c" = 1 ]; ok $? "$m: sigsys vfork: raw exit($a) of a CLONE_VM child recorded in its own tid ($c)"
			done
			c=$(jcount "$d/json" name=exit_group args=11 via=trap pid!="${main:-x}")
			[ "$c" = 1 ]; ok $? "$m: sigsys vfork: raw fork child's exit_group(11) recorded in the child ($c)"
			c=$(jcount "$d/json" type=exec exe=true)
			[ "$c" = 2 ]; ok $? "$m: sigsys vfork: both /bin/true images traced (vfork+execve, raw vfork+raw execve: $c)"
			;;
		seccomp)
			c=$(jcount "$d/json" name=getpriority via=trap err=EPERM)
			[ "$c" = 3 ]; ok $? "$m: sigsys seccomp: raw getpriority denied by its filter, trapped once each in main, thread, child ($c of 3)"
			c=$(jcount "$d/json" name=getpriority via=libc)
			[ "$c" = 4 ]; ok $? "$m: sigsys seccomp: libc getpriority recorded once each, via libc ($c of 4)"
			;;
		esac
	done
}

# ---- threads + fork + exec under the trap layer ------------------------------
family_checks() {
	local m=$1 d=$T/$1-family rc c t
	mkdir -p "$d"
	if [ -z "$PY" ]; then skip "$m: threads+fork+exec: no python3 executable"; return; fi
	traced "$m" --json -o "$d/json" -- sh -c "$(workload "$d/py.out")" 2> "$d/err"
	rc=$?
	ok $rc "$m: threads+fork+exec: sh -c 'python3 ...; ls' runs ($(why $rc))"
	[ $rc = 0 ] || head -5 "$d/err" | diag
	local tids fpid lspid truepid pypid
	tids=$(awk '$1 == "thread" { print $2 }' "$d/py.out")
	fpid=$(awk '$1 == "fork" { print $2 }' "$d/py.out")
	pypid=$(awk '$1 == "main" { print $2 }' "$d/py.out")
	local with=0 total=0
	for t in $tids; do
		total=$((total + 1))
		[ "$(jcount "$d/json" tid="$t" via=trap)" -gt 0 ] && with=$((with + 1))
	done
	[ $total = 4 ] && [ $with = 4 ]; ok $? "$m: threads: trapped calls recorded in $with of $total python threads"
	c=$(jcount "$d/json" pid="${pypid:-x}" via=trap name=clone3)
	[ "$c" = 4 ]; ok $? "$m: threads: pthread_create's clone3 trapped, once per thread ($c of 4)"
	c=$(jcount "$d/json" pid="${fpid:-x}" via=trap name=getdents64)
	[ "${c:-0}" -gt 0 ]; ok $? "$m: fork: the child's opendir/getdents64 trapped ($c)"
	lspid=$(jvalues "$d/json" pid type=exec exe=ls | cut -d' ' -f1)
	c=$(jcount "$d/json" pid="${lspid:-x}" via=trap name=getdents64)
	[ "${c:-0}" -gt 0 ]; ok $? "$m: exec: ls's getdents64 trapped ($c)"
	truepid=$(jvalues "$d/json" pid type=exec exe=true | cut -d' ' -f1)
	c=$(jcount "$d/json" pid="${truepid:-x}" via=trap)
	[ "${c:-0}" -gt 0 ]; ok $? "$m: exec: the subprocess's /bin/true has trapped calls ($c)"
	# one record per syscall: the same counts as strace -f sees
	if command -v strace >/dev/null; then
		timeout -k 5 20 strace -f -qq -o "$d/st" -e trace=getdents64,clone3 \
			sh -c "$(workload "$d/py2.out")" 2>/dev/null
		local name a b
		for name in getdents64 clone3; do
			a=$(grep -c "^[0-9]* *$name(" "$d/st")
			b=$(jcount "$d/json" name=$name)
			[ "$a" = "$b" ]; ok $? "$m: $name: $b records, strace -f saw $a"
		done
	else
		skip "$m: strace not installed"
	fi
}

# ---- the exec story: descendants of every kind live and are traced ----------
# A seccomp filter outlives exec: each new image below runs its loader before
# its own handler exists (preload/seccomp.c says why it cannot be trapped
# there), and a static image never has one.
exec_checks() {
	local m=$1 d=$T/$1-exec rc c out
	mkdir -p "$d"
	out=$(traced "$m" --json -o "$d/pipe.json" -- sh -c 'echo abc | tr a-c x-z | cat' 2> "$d/pipe.err")
	rc=$?
	[ $rc = 0 ] && [ "$out" = xyz ]; ok $? "$m: exec: sh -c pipeline runs, output unchanged ($(why $rc), '$out')"
	c=$(jcount "$d/pipe.json" type=exec trap="$m")
	[ "$c" = 3 ]; ok $? "$m: exec: sh, tr and cat traced in $m ($c of 3 images)"
	traced "$m" --json -o "$d/spawn.json" -e trace=getppid -- "$P/spawn" "$P/loop" > /dev/null 2> "$d/spawn.err"
	rc=$?
	ok $rc "$m: exec: posix_spawn, system(), vfork+exec, clearenv+exec children live ($(why $rc))"
	c=$(jcount "$d/spawn.json" type=exec trap="$m")
	[ "$c" = 7 ]; ok $? "$m: exec: spawn, its sh -c and its 5 children traced in $m ($c of 7 images)"
	out=$(traced "$m" --json -o "$d/chain.json" -- sh -c 'exec sh -c "exec sh -c \"exec echo deep\""' 2> "$d/chain.err")
	rc=$?
	[ $rc = 0 ] && [ "$out" = deep ]; ok $? "$m: exec: a chain of 3 execs runs ($(why $rc), '$out')"
	c=$(jcount "$d/chain.json" type=exec trap="$m")
	[ "$c" = 4 ]; ok $? "$m: exec: each image of the chain traced in $m ($c of 4)"
	if [ -x "$P/hello_static" ] && [ -x "$P/hello_spie" ]; then
		# 20 static images (fixed address, static PIE), each under a
		# traced shell: none may die of a trap
		out=$(traced "$m" -o /dev/null -- sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do $P/hello_static s\$i && $P/hello_spie p\$i || exit 9; done" 2> "$d/static.err" | tr '\n' ' ')
		rc=$?
		[ $rc = 0 ] && [ "$out" = "s1 p1 s2 p2 s3 p3 s4 p4 s5 p5 s6 p6 s7 p7 s8 p8 s9 p9 s10 p10 " ]
		ok $? "$m: exec: 20 static images (non-PIE, static PIE) run from a traced shell ($(why $rc))"
		[ $rc = 0 ] || diag < "$d/static.err"
	else
		skip "$m: exec: no static test programs (libc.a missing)"
	fi
	if command -v setarch >/dev/null && setarch -R true 2>/dev/null; then
		out=$(traced "$m" -D "$d/norand" -o /dev/null -- setarch -R sh -c 'echo norand' 2> "$d/norand.err")
		rc=$?
		[ $rc = 0 ] && [ "$out" = norand ]; ok $? "$m: exec: setarch -R inside the trace: the exec'd image runs ($(why $rc), '$out')"
		if [ "$m" = seccomp ]; then
			! grep -q 'refused' "$d/norand.err"
			ok $? "$m: exec: ... placed by its parent's tracer, it keeps seccomp"
			out=$(setarch -R env "$TRAP_VAR=$m" timeout -k 5 20 "$S" -D "$d/norand2" -o /dev/null -- sh -c 'echo x' 2> "$d/norand2.err")
			rc=$?
			c=$(trap_mode_of "$d/norand2")
			[ $rc = 0 ] && [ "$out" = x ] && [ "$c" = seccomp ]
			ok $? "$m: exec: under setarch -R from the start, started by sctrace: placed, seccomp on ($(why $rc), TRAP column ${c:-none})"
			out=$(env "$TRAP_VAR=$m" SCTRACE_DIR="$d/direct" LD_PRELOAD="$LIB" timeout -k 5 20 sh -c 'echo x' 2> "$d/direct.err")
			rc=$?
			c=$(trap_mode_of "$d/direct")
			[ $rc = 0 ] && [ "$out" = x ] && [ "$c" = off ] && grep -q 'refused: this image was not placed' "$d/direct.err"
			ok $? "$m: exec: preloaded without sctrace: not placed, refused, wrappers only, runs ($(why $rc), TRAP column ${c:-none})"
			out=$(env "$TRAP_VAR=$m" SCTRACE_PLACE=0 SCTRACE_DIR="$d/direct0" LD_PRELOAD="$LIB" timeout -k 5 20 sh -c 'echo x' 2> "$d/direct0.err")
			rc=$?
			c=$(trap_mode_of "$d/direct0")
			[ $rc = 0 ] && [ "$out" = x ] && [ "$c" = seccomp ]
			ok $? "$m: exec: preloaded without sctrace, SCTRACE_PLACE=0: seccomp on ($(why $rc), TRAP column ${c:-none})"
			out=$(setarch -R env "$TRAP_VAR=$m" SCTRACE_PLACE=0 SCTRACE_DIR="$d/norand3" LD_PRELOAD="$LIB" timeout -k 5 20 sh -c 'echo x' 2> "$d/norand3.err")
			rc=$?
			c=$(trap_mode_of "$d/norand3")
			[ $rc = 0 ] && [ "$out" = x ] && [ "$c" = off ] && grep -q 'refused: address space randomization is off' "$d/norand3.err"
			ok $? "$m: exec: ... and under setarch -R: refused, wrappers only, runs ($(why $rc), TRAP column ${c:-none})"
		fi
	else
		skip "$m: exec: setarch -R unavailable"
	fi
	[ "$m" = seccomp ] && placement_checks "$d"
}

# ---- seccomp: exec'd images' libraries below every trapped site ------------
# (preload/place.c) without the program seeing a different RLIMIT_STACK
THIRD=$((0x7ffffffff000 / 3))
E2BIG='import os
try:
    os.execv("/bin/true", ["true"] + ["x" * 1000] * 3000)
except OSError as e:
    print("errno", e.errno)'
# the lines of layout output $1 without their libc= address
lims() { printf '%s\n' "$1" | sed 's/ libc=.*//'; }
placement_checks() {
	local d=$1 rc ref out got addrs prev a bad=0
	ref=$(lims "$("$P/layout")")
	out=$(traced seccomp -o /dev/null -- "$P/layout" "$P/layout" "$P/layout" sh -c "$P/layout" 2> "$d/place.err")
	rc=$?
	[ $rc = 0 ] && [ "$(lims "$out" | sort -u)" = "$ref" ]
	ok $? "seccomp: place: 4 exec'd images see the program's stack limits and thread stack size ($(why $rc): $ref)"
	[ $rc = 0 ] || diag < "$d/place.err"
	addrs=$(printf '%s\n' "$out" | sed -n 's/.* libc=//p')
	prev=$THIRD
	for a in $addrs; do
		[ $((a)) -gt 0 ] && [ $((a)) -lt $prev ] || bad=1
		prev=$((a))
	done
	[ "$(printf '%s\n' "$addrs" | wc -l)" = 4 ] && [ $bad = 0 ]
	ok $? "seccomp: place: each image's libc below a third of the address space and below its parent's ($(echo $addrs))"
	if [ -x "$P/layout_static" ]; then
		out=$(traced seccomp -o /dev/null -- "$P/layout" "$P/layout_static" 2> /dev/null)
		rc=$?
		[ $rc = 0 ] && [ "$(lims "$out" | sort -u)" = "$ref" ]
		ok $? "seccomp: place: a static PIE program exec'd from a traced one sees its own limits and thread stack size ($(why $rc))"
	else
		skip "seccomp: place: no static test programs (libc.a missing)"
	fi
	out=$(traced seccomp -o /dev/null -- "$P/layout" nosuch-sctrace-cmd 2> /dev/null)
	rc=$?
	[ $rc = 127 ] && [ "$(lims "$out" | sort -u)" = "$(printf '%s\n' "$ref" "exec nosuch-sctrace-cmd failed" | sort -u)" ]
	ok $? "seccomp: place: a failed exec leaves the limit as it was ($(why $rc))"
	if [ "$(ulimit -H -s)" = unlimited ]; then
		got=$(lims "$(sh -c "ulimit -S -s unlimited; $P/layout")")
		out=$(traced seccomp -o /dev/null -- sh -c "ulimit -S -s unlimited; $P/layout" 2> "$d/unl.err")
		rc=$?
		[ $rc = 0 ] && [ "$(lims "$out")" = "$got" ]
		ok $? "seccomp: place: an unlimited stack stays unlimited ($(why $rc): $got)"
	else
		skip "seccomp: place: the hard stack limit is not unlimited here"
	fi
	# arguments over a quarter of the stack limit: E2BIG as natively (the
	# placing limit would allow up to 6 MiB)
	got=$(python3 -c "$E2BIG")
	out=$(traced seccomp -o /dev/null -- python3 -c "$E2BIG" 2> "$d/e2big.err")
	rc=$?
	[ $rc = 0 ] && [ "$out" = "$got" ]
	ok $? "seccomp: place: an exec with 3 MB of arguments fails as natively ($(why $rc): $out)"
	# an exec sctrace does not see (a syscall instruction in the program's
	# own code): the image lands near the top, lists nothing, says so
	out=$(traced seccomp -o /dev/null -- "$P/layout" -raw "$P/layout" 2> "$d/raw.err")
	rc=$?
	a=$(printf '%s\n' "$out" | sed -n '2s/.* libc=//p')
	[ $rc = 0 ] && [ -n "$a" ] && [ $((a)) -gt $THIRD ] && grep -q "refused: this image was not placed" "$d/raw.err"
	ok $? "seccomp: place: an image exec'd by a raw execve runs above a third ($a), refuses seccomp loudly ($(why $rc))"
	# the library gone for the new image (as in a chroot): not placed,
	# the image runs untraced and sees its own limit
	cp "$LIB" "$d/copy.so"
	out=$(SCTRACE_LIB="$d/copy.so" traced seccomp -o /dev/null -- sh -c "rm -f '$d/copy.so'; '$P/layout'" 2> "$d/gone.err")
	rc=$?
	[ $rc = 0 ] && [ "$(lims "$out")" = "$ref" ]
	ok $? "seccomp: place: an image that cannot load the library is not placed, sees its own limits ($(why $rc))"
	# a hard limit the placement cannot exceed: the image runs where the
	# kernel puts it and lists nothing of its own
	got=$(lims "$(sh -c "ulimit -s 4000; $P/layout")")
	out=$(traced seccomp -D "$d/low" -o /dev/null -- sh -c "ulimit -s 4000; $P/layout" 2> "$d/low.err")
	rc=$?
	[ $rc = 0 ] && [ "$(lims "$out")" = "$got" ] && grep -q "could not place this image" "$d/low.err"
	ok $? "seccomp: place: under a low hard limit the image runs, sees its limits, refuses seccomp loudly ($(why $rc): $got)"
}

# ---- each mode ----------------------------------------------------------------
for m in sud seccomp; do
	case $m in sud) have=${have_sud:-0} ;; *) have=${have_seccomp:-0} ;; esac
	if [ "$have" != 1 ]; then
		skip "$m: the kernel has no $m here"
		continue
	fi
	mkdir -p "$T/probe-$m"
	traced "$m" -D "$T/probe-$m/rings" -o /dev/null -- /bin/true 2> "$T/probe-$m/err"
	active=$(trap_mode_of "$T/probe-$m/rings")
	if [ "$m" = seccomp ] && [ "$active" != seccomp ]; then
		grep -v -F "$T" "$T/probe-$m/err" | grep -qi -- "$REFUSAL_RE"
		ok $? "seccomp: not active (TRAP column: ${active:-none}): refused with a message"
		diag < "$T/probe-$m/err"
		skip "seccomp: the tracer refused the mode"
		continue
	fi
	[ "$active" = "$m" ]; ok $? "$m: $TRAP_VAR=$m is active (TRAP column: ${active:-none})"
	R=
	if [ "$m" = seccomp ]; then
		# seccomp traps the libraries' syscall sites, and a program's
		# only where it is mapped like one: run as the loader's argument
		R=$LDSO
		d=$T/seccomp-own
		mkdir -p "$d"
		traced seccomp --json -o "$d/raw.json" -- "$P/rawsys" "$d/exp" "$d/via" > "$d/raw.out" 2> "$d/raw.err"
		rc=$?
		c=$(jcount "$d/raw.json" via=trap name=getpid)
		printf 'raw write\nchild\n' | cmp -s - "$d/raw.out" && [ $rc = 0 ] && [ "$c" = 0 ]
		ok $? "seccomp: a program's own raw syscalls are not trapped, and it runs unchanged ($(why $rc), $c getpid via trap)"
	fi
	rawsys_checks "$m"
	sigsys_checks "$m"
	family_checks "$m"
	exec_checks "$m"
	# a wrapper that left its call to the trap but whose libc function
	# failed first (sigaction(0)): the next raw rt_sigaction is the
	# program's own, not that wrapper's
	out=$(traced "$m" --json -o "$T/$m-adopt.json" -- $R "$P/adopt" 2>/dev/null)
	c=$(jcount "$T/$m-adopt.json" name=rt_sigaction via=trap fn=null)
	[ "$out" = "adopt ok" ] && [ "$c" = 1 ]
	ok $? "$m: a raw rt_sigaction after a libc sigaction that failed in libc: via trap, no fn ($c)"
	# every register as after a native syscall (the handler returns
	# without rt_sigreturn: preload/gate.S restores them), also with
	# signals landing in the middle of the trap
	for a in "" alarm; do
		out=$(traced "$m" --json -o "$T/$m-regs.json" -- $R "$P/regkeep" 3000 $a 2> "$T/$m-regs.err")
		rc=$?
		c=$(jcount "$T/$m-regs.json" name=getppid via=trap)
		[ $rc = 0 ] && [ "$c" -ge 3000 ]
		ok $? "$m: regkeep ${a:+$a }($out): registers kept across 3000 trapped getppid ($(why $rc), $c via trap)"
		[ $rc = 0 ] || diag < "$T/$m-regs.err"
	done
	R=
done

# ---- off: nothing trapped, programs unchanged --------------------------------
mkdir -p "$T/probe-off"
traced off -D "$T/probe-off/rings" -o /dev/null -- /bin/true 2>/dev/null
active=$(trap_mode_of "$T/probe-off/rings")
[ "$active" = off ]; ok $? "off: $TRAP_VAR=off reported (TRAP column: ${active:-none})"
mkdir -p "$T/off"
traced off --json -o "$T/off/raw.json" -- "$P/rawsys" "$T/off/exp" > "$T/off/raw.out" 2>/dev/null
rc=$?
printf 'raw write\nchild\n' | cmp -s - "$T/off/raw.out" && [ $rc = 0 ]
ok $? "off: rawsys runs, output unchanged ($(why $rc))"
"$P/regkeep" 3000 alarm > /dev/null; ok $? "regkeep passes untraced (its own check)"
c=$(jcount "$T/off/raw.json" via=trap)
[ "$c" = 0 ]; ok $? "off: no via=trap record ($c)"
t=$(jvalues "$T/off/raw.json" trap type=exec)
[ "$t" = off ]; ok $? "off: the exec record says so (${t:-none})"
c=$(jcount "$T/off/raw.json" via=libc name=getpid)
[ "$c" = 1 ]; ok $? "off: the wrapped getpid still recorded ($c)"
sigsys_checks off

# ---- default and auto: sud where the kernel has it ---------------------------
for m in default auto; do
	if [ "${have_sud:-0}" != 1 ]; then
		skip "$m: the kernel has no sud"
		continue
	fi
	mkdir -p "$T/probe-$m"
	traced $m -D "$T/probe-$m/rings" -o /dev/null -- /bin/true 2>/dev/null
	active=$(trap_mode_of "$T/probe-$m/rings")
	[ "$active" = sud ]; ok $? "$m ($TRAP_VAR=${m/default/unset}): sud (TRAP column: ${active:-none})"
done

echo "1..$n"
exit $((failed > 0))
