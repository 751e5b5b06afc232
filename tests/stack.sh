#!/usr/bin/env bash
# Caller stacks (issue 5), end to end: tests/progs/callchain makes a wrapped
# write from main -> level1 -> level2, a raw (trapped) one from main ->
# raw_level1 -> raw_level2, and one from main -> lib_level1 -> lib_level2 in
# libchain.so, which it dlopens and dlcloses.  Each stack must come out in
# that order, innermost first, symbolized, in the text (-k, -kk), JSON,
# post-mortem dump, report and exports; with both unwinders and both trap
# layers.  TAP output.
set -u
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "1..0 # SKIP no build directory"; exit 77; }
S=$BUILD/sctrace P=$BUILD/tests
LIB=$P/libchain.so
[ -x "$P/callchain" ] && [ -f "$LIB" ] || { echo "1..0 # SKIP callchain not built"; exit 77; }
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 needed"; exit 77; }

. "$(dirname "$0")/tap.sh"
tap_tmpdir stack

# frames FILE LINE-PREFIX: the symbols of the frames under the first line
# starting with LINE-PREFIX (" > obj(sym+0x..) [..]" -> "obj:sym"), 3 of them
frames() {
	PRE=$2 awk '
		found && /^ > / {
			s = $0; sub(/^ > /, "", s)
			obj = s; sub(/\(.*/, "", obj); sub(/.*\//, "", obj)
			sym = s; sub(/^[^(]*\(/, "", sym); sub(/[+)].*/, "", sym)
			out = out (k++ ? " " : "") obj ":" sym
			if (k == 3) { print out; exit }
			next
		}
		found { print out; exit }
		index($0, ENVIRON["PRE"]) == 1 { found = 1 }
		END { if (found && k < 3) print out }' "$1"
}

W='write(1, "wrapped\n", 8)' R='write(1, "trapped\n", 8)' L='write(1, "lib\n", 4)'
WANT_W="callchain:level2 callchain:level1 callchain:main"
WANT_R="callchain:raw_level2 callchain:raw_level1 callchain:main"
WANT_L="libchain.so:lib_level2 libchain.so:lib_level1 callchain:main"

check_text() { # LABEL FILE
	local f
	f=$(frames "$2" "$W"); [ "$f" = "$WANT_W" ]; ok $? "$1: wrapped write: $f"
	f=$(frames "$2" "$R"); [ "$f" = "$WANT_R" ]; ok $? "$1: trapped write: $f"
	f=$(frames "$2" "$L"); [ "$f" = "$WANT_L" ]; ok $? "$1: write in a dlopened library: $f"
}

# seccomp traps a program's own syscall sites only where it is mapped like
# a library (preload/seccomp.c): there callchain runs as the loader's
# argument
LDSO=$(readelf -l "$P/callchain" 2>/dev/null | sed -n 's/.*interpreter: \(.*\)]$/\1/p')
for trap in sud seccomp; do
	run_as=
	[ $trap = seccomp ] && run_as=$LDSO
	for unw in eh libunwind fp; do
		m="$trap/$unw" d=$T/$trap-$unw
		out=$(SCTRACE_TRAP=$trap SCTRACE_UNWIND=$unw timeout -k 5 20 "$S" -k -D "$d" -e trace=write -o "$d.txt" -- $run_as "$P/callchain" "$LIB" 2> "$d.err")
		rc=$?
		[ $rc = 0 ] && [ "$out" = "$(printf 'wrapped\ntrapped\nlib')" ]
		ok $? "$m: callchain runs under sctrace -k (exit $rc)"
		[ $rc = 0 ] || diag < "$d.err"
		if ! grep -q "trap layer $trap" "$d.txt"; then
			skip "$m: trap layer $trap not active here"
			continue
		fi
		check_text "$m" "$d.txt"
	done
done

# a trapped vfork: glibc's __vfork holds its return address in rdi around
# the syscall; the stack goes on from there (both trap layers, the two
# unwinders that read .eh_frame)
for trap in sud seccomp; do
	for unw in eh libunwind; do
		m="$trap/$unw" d=$T/vf-$trap-$unw
		out=$(SCTRACE_TRAP=$trap SCTRACE_UNWIND=$unw timeout -k 5 20 "$S" -k -D "$d" -e trace=vfork -o "$d.txt" -- "$P/vforkchain" 2> "$d.err")
		rc=$?
		[ $rc = 0 ] && [ "$out" = ok ]
		ok $? "$m: vforkchain runs under sctrace -k (exit $rc)"
		if ! grep -q "trap layer $trap" "$d.txt"; then
			skip "$m: trap layer $trap not active here"
			continue
		fi
		sed 's/^\[pid  *[0-9]*\] //' "$d.txt" > "$d.np"
		f=$(frames "$d.np" "vfork()")
		[ "$f" = "libc.so.6:__vfork vforkchain:vfork_level1 vforkchain:main" ]
		ok $? "$m: trapped vfork: $f"
	done
done

# post-mortem, the library dlclosed long ago: the same stacks from the rings
d=$T/sud-libunwind
"$S" dump -k -e trace=write "$d" > "$T/pm.txt" 2> "$T/pm.err"
ok $? "post-mortem: sctrace dump -k"
check_text post-mortem "$T/pm.txt"

# the same frames as strace -k prints below its libc frame (its frame 0 is
# the syscall inside write(); ours is write's caller)
if command -v strace >/dev/null && strace -k -e trace=none true 2>/dev/null; then
	strace -k -qq -e trace=write -o "$T/st.txt" "$P/callchain" "$LIB" > /dev/null 2>&1
	a=$(grep -A4 -F "$W" "$T/st.txt" | sed -n '3,5p')
	b=$(grep -A3 -F "$W" "$T/pm.txt" | sed -n '2,4p')
	[ -n "$a" ] && [ "$a" = "$b" ]; r=$?
	ok $r "wrapped write: frames, offsets and addresses as strace -k prints them"
	[ $r = 0 ] || printf '%s\n--- sctrace\n%s\n' "$a" "$b" | diag
else
	skip "strace -k unavailable"
fi

# -kk: file:line of the program's frames
"$S" dump -kk -e trace=write "$d" > "$T/kk.txt" 2>&1
grep -A1 -F "$W" "$T/kk.txt" | grep -q '(level2+0x[0-9a-f]*) \[0x[0-9a-f]*\].*callchain\.c:[0-9]'
ok $? "-kk: level2's frame has callchain.c:LINE"

# JSON: stack objects, innermost first
"$S" dump --json -k -e trace=write "$d" > "$T/j.json" 2>&1
python3 - "$T/j.json" > "$T/j.out" 2>&1 <<'PY'
import json, sys
want = {"wrapped": ["level2", "level1", "main"],
        "trapped": ["raw_level2", "raw_level1", "main"],
        "lib": ["lib_level2", "lib_level1", "main"]}
seen = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("name") != "write":
        continue
    for k in want:
        if '"%s\\n"' % k in r["args"][1]:
            seen[k] = [f.get("sym") for f in r.get("stack", [])][:3]
bad = [k for k in want if seen.get(k) != want[k]]
print(seen)
sys.exit(1 if bad else 0)
PY
ok $? "json -k: stack[].sym of the three writes"
diag < "$T/j.out"

# exports and report
"$S" export --format=folded --weight=count -e trace=write "$d" > "$T/folded" 2> "$T/folded.err"
grep -Eq '(^|;)main;level1;level2;write 1$' "$T/folded"
ok $? "export folded: main;level1;level2;write 1"
grep -Eq '(^|;)main;lib_level1;lib_level2;write 1$' "$T/folded"
ok $? "export folded: main;lib_level1;lib_level2;write 1"
"$S" export --format=chrome "$d" > "$T/chrome.json" 2> "$T/chrome.err"
python3 - "$T/chrome.json" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
x = [e for e in ev if e.get("ph") == "X"]
assert x, "no complete events"
for e in x:
    for k in ("name", "ph", "ts", "dur", "pid", "tid"):
        assert k in e, (k, e)
assert any(e["name"] == "write" for e in x)
assert any(e.get("ph") == "M" and e.get("name") == "process_name" for e in ev)
PY
ok $? "export chrome: valid JSON, complete events with name/ph/ts/dur/pid/tid, process names"
"$S" report -e trace=write "$d" > "$T/report" 2> "$T/report.err"
grep -q 'level2' "$T/report" && grep -q 'lib_level2' "$T/report" && grep -q 'raw_level2' "$T/report"
ok $? "report: a site per calling stack (level2, raw_level2, lib_level2)"

# a handler on a sigaltstack that makes raw (trapped) calls, raised by a
# raise() whose own tgkill trapped: the stack goes from the signal stack
# across the program's signal frame, the tracer's SIGSYS frames and its
# signal frame (dropped) to the code that called raise()
if [ -x "$P/sigsys" ]; then
	d=$T/alt
	SCTRACE_TRAP=sud timeout -k 5 20 "$S" -k -D "$d" -o "$d.txt" -- "$P/sigsys" altstack > "$d.out" 2>&1
	ok $? "sigsys altstack runs under sctrace -k"
	if grep -q "trap layer sud" "$d.txt"; then
		"$S" dump --json -k -e trace=getpid "$d" > "$T/alt.json" 2>&1
		python3 - "$T/alt.json" > "$T/alt.out" 2>&1 <<'PY'
import json, sys
n = good = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    syms = [f.get("sym") for f in r.get("stack", [])]
    if r.get("name") == "getpid" and syms[:1] == ["on_usr1_alt"]:
        n += 1
        good += "mode_altstack" in syms and "main" in syms
print(n, good, syms)
sys.exit(0 if n and good == n else 1)
PY
		ok $? "handler on a sigaltstack: its calls' stacks reach mode_altstack and main ($(head -c 60 "$T/alt.out"))"
	else
		skip "trap layer sud not active here"
	fi
fi

echo "1..$n"
exit $((failed > 0))
