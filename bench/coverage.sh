#!/usr/bin/env bash
# sctrace coverage against strace (issue 4, point 5), one command:
#
#   bash bench/coverage.sh [--only NAME] [--keep DIR] [--verbose] [BUILD_DIR]
#
# Runs each program of a small corpus twice: natively under
# `strace -f -qq -e signal=none` and under `sctrace --json`, and prints per
# program how many syscalls each saw and the share of strace's that sctrace
# saw too, by name as a multiset: sum over names of min(strace, sctrace)
# over strace's total.
#
# The dynamic loader's work before the preload library's constructor
# (mapping the program's libraries) is invisible to sctrace by design, so it
# is cut from the strace side: the strace run preloads build/bench/libsctmark.so,
# whose constructor makes one marker call, faccessat(AT_FDCWD,
# "/nonexistent/sctrace-coverage-marker", F_OK); in every process image
# (each pid, starting again at each successful execve) the calls up to and
# including the marker are dropped.  An image without a marker (a static
# binary) keeps everything after its execve.  The strace run also gets the
# SCTRACE_* variables that sctrace sets (a program's heap, and so its brk
# calls, depends on the size of its environment).
#
#   --only NAME   run one corpus entry (see the names in the table)
#   --keep DIR    keep the strace logs, JSON traces and outputs in DIR
#   --verbose     per-name counts of every program (strace, sctrace, missing)
#
# The environment is passed through to sctrace (SCTRACE_TRAP=..., etc.).
# Caller stacks are off (SCTRACE_STACK=0) unless set.  With stacks on and
# SCTRACE_UNWIND=libunwind, libsctrace.so loads libunwind.so.8 and
# liblzma.so.5 into the program (README, Limits), which changes what the
# program's own later loads and mallocs do (python3's lzma module finds
# liblzma loaded); the strace run's marker then loads libunwind.so.8 the
# same way before its marker call (SCTMARK_DLOPEN), so both runs hold the
# same libraries and heap.  The default unwinder (eh) loads nothing.
# Knobs: RING_SIZE=16M (sctrace --ring-size, big enough that nothing is
# lost), TOP=6 (missing names shown per program).
set -u
export LC_ALL=C
export SCTRACE_STACK=${SCTRACE_STACK:-0}
MARK_DLOPEN=
case ${SCTRACE_STACK}:${SCTRACE_UNWIND:-eh} in
0:*) ;;
*:libunwind) MARK_DLOPEN=libunwind.so.8 ;;
esac

die() { echo "coverage: $*" >&2; exit 1; }
usage() { die "usage: bash bench/coverage.sh [--only NAME] [--keep DIR] [--verbose] [BUILD_DIR]"; }

ONLY= KEEP= VERBOSE=0 BD=
while [ $# -gt 0 ]; do
	case $1 in
	--only) [ $# -ge 2 ] || usage; ONLY=$2; shift 2 ;;
	--only=*) ONLY=${1#*=}; shift ;;
	--keep) [ $# -ge 2 ] || usage; KEEP=$2; shift 2 ;;
	--keep=*) KEEP=${1#*=}; shift ;;
	--verbose | -v) VERBOSE=1; shift ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) usage ;;
	*) [ -z "$BD" ] || usage; BD=$1; shift ;;
	esac
done
BD=${BD:-build}
B=$(cd "$BD" 2>/dev/null && pwd) || die "no build directory '$BD' (cmake -S . -B $BD && cmake --build $BD)"
SCT=$B/sctrace MARK=$B/bench/libsctmark.so
[ -x "$SCT" ] || die "$SCT missing: build first (cmake --build $BD)"
[ -f "$MARK" ] || die "$MARK missing: build first (cmake --build $BD)"
command -v strace >/dev/null 2>&1 || die "strace not installed (apt-get install strace)"
RING_SIZE=${RING_SIZE:-16M}
TOP=${TOP:-6}

# python3 may be a pyenv shim (a shell script that execs pyenv): use the real
# interpreter, both in the corpus and for the counting
py=
command -v python3 >/dev/null 2>&1 && py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
[ -n "$py" ] && [ -x "$py" ] || die "python3 is needed (for the counting)"

T= RD=
cleanup() { rm -rf -- ${T:+"$T"} ${RD:+"$RD"}; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
T=$(mktemp -d "${TMPDIR:-/tmp}/sctrace-coverage.XXXXXX") || die "cannot create a temporary directory"
# the ring directory (sctrace -D), emptied before every run; tmpfs if there is one
RD=$(mktemp -d /dev/shm/sctrace-coverage-rings.XXXXXX 2>/dev/null || mktemp -d "$T/rings.XXXXXX") ||
	die "cannot create a ring directory"

# The strace run gets the variables sctrace adds to the environment (SCTRACE_DIR
# and the others, same values; only LD_PRELOAD differs): a program's heap
# depends on the size of its environment (git's setenv reallocates environ),
# and so do its brk calls.
ENVX=()
while IFS= read -r v; do
	case $v in LD_PRELOAD=* | _=*) ;; [A-Za-z_]*=*) ENVX+=(-E "$v") ;; esac
done < <(comm -13 <(env | sort) <("$SCT" -o /dev/null -D "$RD" --ring-size="$RING_SIZE" -- env 2>/dev/null | sort))
[ ${#ENVX[@]} -gt 0 ] || die "$SCT -- env: no SCTRACE_ variables seen (sctrace does not run?)"
if [ -n "$KEEP" ]; then
	mkdir -p -- "$KEEP" || die "cannot create $KEEP"
	KEEP=$(cd "$KEEP" && pwd)
fi

# ---------------------------------------------------------------------------
# The counter: coverage.py STRACE_LOG SCTRACE_JSONL NAME -> one result line
# (tab separated) on stdout; per-name detail on fd 3 with --verbose.
cat >"$T/count.py" <<'PY'
import collections, json, os, re, sys

MARK = '"/nonexistent/sctrace-coverage-marker"'
strace_log, json_log, name, verbose, top = sys.argv[1:6]
verbose, top = verbose == "1", int(top)

# kernel names by number, to check sctrace's "name" against its "nr"
kernel = {}
for hdr in ("/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "/usr/include/asm/unistd_64.h"):
    if os.path.exists(hdr):
        for l in open(hdr):
            m = re.match(r"#define __NR_(\w+)\s+(\d+)", l)
            if m:
                kernel[int(m.group(2))] = m.group(1)
        break
kernel_names = set(kernel.values())

# --- strace -f: "PID name(...", "PID name(... <unfinished ...>",
# "PID <... name resumed>...": a call is counted at its first line.
start = re.compile(r"^(\d+)\s+([A-Za-z_][A-Za-z0-9_]*)\(")
resumed = re.compile(r"^(\d+)\s+<\.\.\. ([A-Za-z_][A-Za-z0-9_]*) resumed>")
ok = re.compile(r"\)\s+=\s+0$")
counted = collections.Counter()   # after the marker (or the first image)
pending = {}                      # tid -> Counter of an image before its marker
images = marked = dropped = stray = 0
for line in open(strace_log, errors="replace"):
    line = line.rstrip("\n")
    m = start.match(line)
    if m:
        tid, call = int(m.group(1)), m.group(2)
    else:
        m = resumed.match(line)
        if not m:
            continue  # +++ exited +++, --- signals ---, etc.
        tid, call = int(m.group(1)), None
    # a new tid is a fork/clone child or a thread: it shares or copies an
    # image that is past its constructor, so it counts from its first call
    if call is not None:
        if call == "faccessat" and MARK in line:
            if tid in pending:
                dropped += sum(pending.pop(tid).values())
                marked += 1
            else:
                stray += 1  # a marker outside the loader phase: not counted
            continue
        (pending[tid] if tid in pending else counted)[call] += 1
    # a successful execve starts a new image in this pid
    if (call or m.group(2)) in ("execve", "execveat") and ok.search(line):
        if tid in pending:  # an image that exec'd before any marker
            counted.update(pending[tid])
        pending[tid] = collections.Counter()
        images += 1
unmarked = len(pending)
for c in pending.values():  # static binaries: everything after execve
    counted.update(c)

# --- sctrace --json: records of type syscall by name; an exec record (a new
# image) that no recorded successful execve explains counts as one execve
# (the command's own, made by the untraced sctrace CLI, and posix_spawn's).
# An exec record is explained by an earlier execve record whose tid is its
# pid (a vfork child's execve carries the parent's pid and its own tid), else
# whose pid is its pid (a thread's exec).  The file is not in time order (one
# ring after another): collect, then match.
sct = collections.Counter()
execs = []
execve_ok = []
lost = 0
renamed = collections.Counter()
traps = collections.Counter()
for line in open(json_log, errors="replace"):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    t = r.get("type")
    if t == "syscall":
        n, nr = r.get("name"), r.get("nr")
        if kernel and nr in kernel and kernel[nr] != n:
            renamed[(n, nr, kernel[nr])] += 1
        sct[n] += 1
        if n in ("execve", "execveat") and r.get("err") is None:
            execve_ok.append([r.get("pid"), r.get("tid"), r.get("ts_ns") or 0, False])
    elif t == "exec":
        execs.append((r.get("ts_ns") or 0, r.get("pid")))
        traps[str(r.get("trap", "-"))] += 1
    elif t in ("lost", "overwritten", "torn"):
        lost += int(r.get("count") or 0)
execve_ok.sort(key=lambda e: -e[2])  # latest first
for ts, pid in sorted(execs):
    rec = next((e for e in execve_ok if not e[3] and e[2] <= ts and e[1] == pid), None) or \
        next((e for e in execve_ok if not e[3] and e[2] <= ts and e[0] == pid), None)
    if rec:
        rec[3] = True
    else:
        sct["execve"] += 1
vdso = ("clock_gettime", "gettimeofday", "time", "getcpu")

total = sum(counted.values())
stotal = sum(sct.values())
matched = sum(min(v, sct[n]) for n, v in counted.items())
extra = stotal - matched
extra_vdso = sum(max(0, sct[n] - counted[n]) for n in vdso)
share = 100.0 * matched / total if total else 100.0
missing = collections.Counter({n: v - sct[n] for n, v in counted.items() if v > sct[n]})
top_missing = " ".join("%s:%d" % (n, v) for n, v in missing.most_common(top))
if len(missing) > top:
    top_missing += " (+%d names)" % (len(missing) - top)
notes = []
if unmarked:
    notes.append("%d image(s) without marker, kept whole" % unmarked)
if stray:
    notes.append("%d stray marker(s)" % stray)
for (n, nr, k), v in renamed.items():
    notes.append("sctrace names nr %d %s, the kernel %s (%d)" % (nr, n, k, v))
if kernel:
    odd = sorted(n for n in counted if n not in kernel_names)
    if odd:
        notes.append("strace names not in unistd_64.h: " + " ".join(odd))
print("\t".join(str(x) for x in (name, total, stotal, matched, "%.1f" % share,
      "%d/%d" % (extra - extra_vdso, extra_vdso), images, dropped, lost,
      ",".join(sorted(traps)) or "-", top_missing or "-", "; ".join(notes))))
if verbose:
    out = os.fdopen(3, "w")
    out.write("  %-24s %8s %8s %8s %8s\n" % ("name", "strace", "sctrace", "missing", "extra"))
    for n in sorted(set(counted) | set(sct), key=lambda n: (-counted[n], n)):
        d = counted[n] - sct[n]
        out.write("  %-24s %8d %8d %8s %8s\n" % (n, counted[n], sct[n],
                  d if d > 0 else "", -d if d < 0 else ""))
PY

# ---------------------------------------------------------------------------
# Inputs, all under $T: a text file, a small tree, a git repository.
IN=$T/in OUT=$T/out
mkdir -p "$IN/tree" "$OUT" || die "cannot populate $T"
awk 'BEGIN { srand(4); for (i = 0; i < 20000; i++) printf "line %05d word%d %s\n", i, int(rand() * 500), (i % 7 ? "alpha" : "omega") }' >"$IN/words.txt"
# what goes through a pipe is written at once, so that the number of reads
# on the pipe does not depend on scheduling: 100 lines (< 4 KiB, PIPE_BUF)
# for the shell pipeline, a tree whose tar stream to gzip is one 10 KiB record
head -n 100 "$IN/words.txt" >"$IN/small.txt"
for d in 1 2; do
	mkdir -p "$IN/tree/d$d"
	for f in 1 2 3; do head -c $((d * f * 80)) "$IN/words.txt" >"$IN/tree/d$d/f$f.txt"; done
done
ln -s d1/f1.txt "$IN/tree/link"
{
	echo "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v REAL);"
	echo "BEGIN;"
	awk 'BEGIN { for (i = 1; i <= 300; i++) printf "INSERT INTO t (name, v) VALUES (\047n%d\047, %d.5);\n", i, i }'
	echo "COMMIT;"
	awk 'BEGIN { for (i = 1; i <= 10; i++) printf "INSERT INTO t (name, v) VALUES (\047single%d\047, %d);\n", i, i }'
	echo "CREATE INDEX ti ON t (name);"
	echo "SELECT count(*), sum(v) FROM t WHERE name LIKE 'n1%';"
} >"$IN/db.sql"
have_git=0
if command -v git >/dev/null 2>&1; then
	R=$IN/repo
	mkdir -p "$R/src" && cp -r "$IN/tree/d1" "$IN/tree/d2" "$R/src/" && echo "# repo" >"$R/README" &&
		# old mtimes: no racily-clean entries, so status never rewrites the index
		find "$R" -type f -exec touch -d '2020-01-01 00:00:00' {} + &&
		git -C "$R" init -q && git -C "$R" config user.email b@example.com &&
		git -C "$R" config user.name bench && git -C "$R" add -A &&
		git -C "$R" commit -qm init && echo changed >>"$R/src/d1/f2.txt" && echo new >"$R/untracked" &&
		touch -d '2020-01-02 00:00:00' "$R/src/d1/f2.txt" "$R/untracked" &&
		git -C "$R" status >/dev/null 2>&1 && have_git=1
fi

PY_CODE='import subprocess, sys, threading
def work():
    with open(sys.argv[1]) as f:
        n = sum(1 for _ in f)
    with open(sys.argv[2], "w") as o:
        o.write("%d\n" % n)
t = threading.Thread(target=work)
t.start()
t.join()
subprocess.run(["cat", sys.argv[2]], stdout=subprocess.DEVNULL, check=True)'
PERL_CODE='open(my $f, "<", $ARGV[0]) or die; my @l = <$f>; close $f;
open(my $o, ">", $ARGV[1]) or die; print $o sort @l; close $o;
opendir(my $d, ".") or die; my @e = readdir $d; closedir $d;
mkdir "pd" or die; rename "pd", "pe" or die; rmdir "pe" or die;
my @s = stat $ARGV[1]; unlink $ARGV[1] or die; print scalar(@l), " ", scalar(@e), " ", $s[7], "\n";'

# corpus: NAME, PREP (shell code run before each of the two runs), COMMAND
# (an argv, words as the shell would split them); stdin is /dev/null and
# stdout a file in $OUT, the working directory $OUT.
names=() preps=() cmds=() skipped=()
add() { # NAME TOOL PREP ARGV...
	local n=$1 tool=$2 prep=$3
	shift 3
	if ! command -v "$tool" >/dev/null 2>&1; then skipped+=("$n"); return; fi
	names+=("$n") preps+=("$prep") cmds+=("$(printf '%q ' "$@")")
}
F=$IN/words.txt
add ls-l ls : ls -l /usr/bin
add cat cat : cat "$F"
add cp cp "rm -f $OUT/cp.txt" cp "$F" "$OUT/cp.txt"
add tar-czf tar "rm -f $OUT/tree.tgz" tar czf "$OUT/tree.tgz" -C "$IN" tree
add gzip gzip : gzip -c "$F"
add sort sort : sort "$F"
add find find : find /usr/share/doc
add sh-pipe sh : sh -c "cat $IN/small.txt | sort | uniq -c | wc -l"
add sh-script sh "rm -f $OUT/sh.out" sh -c "for i in 1 2 3; do echo \$i; done >$OUT/sh.out; grep -c omega $F >>$OUT/sh.out; test -s $OUT/sh.out && cat $OUT/sh.out"
add python3 "$py" "rm -f $OUT/py.out" "$py" -c "$PY_CODE" "$F" "$OUT/py.out"
add perl perl "rm -rf $OUT/pd $OUT/pe" perl -e "$PERL_CODE" "$F" "$OUT/perl.out"
add sqlite3 sqlite3 "rm -f $OUT/t.db $OUT/t.db-journal" sqlite3 "$OUT/t.db" ".read $IN/db.sql"
if [ "$have_git" = 1 ]; then
	add git-status git : git -C "$IN/repo" status
else skipped+=(git-status); fi

if [ -n "$ONLY" ]; then
	found=
	for k in "${!names[@]}"; do [ "${names[$k]}" = "$ONLY" ] && found=$k; done
	[ -n "$found" ] || die "no corpus entry '$ONLY' (have: ${names[*]})"
	names=("${names[$found]}") preps=("${preps[$found]}") cmds=("${cmds[$found]}") skipped=()
fi

if [ -n "${EPOCHREALTIME:-}" ]; then
	now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$((10#$t))"; }
else
	now_us() { echo $(($(date +%s%N) / 1000)); }
fi

rev=$(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo '?')
echo "sctrace coverage against strace  $(date -u '+%Y-%m-%d %H:%M UTC')  commit $rev  build $B"
echo "$(uname -sr), $(ldd --version 2>&1 | head -1 | sed 's/.* //;s/^/glibc /'), $(strace -V | head -1 | sed 's/ -- version//')$(env | grep -q '^SCTRACE_' && printf ', %s' $(env | grep '^SCTRACE_' | sort))"
[ ${#skipped[@]} -eq 0 ] || echo "skipped, not installed: ${skipped[*]}"
echo
printf '%-10s %7s %7s %7s %6s %9s %6s %5s %4s %4s %4s  %s\n' \
	program strace sctrace matched share% extra/vdso images cut lost trap secs "top missing (name:count)"

t0=$(now_us)
min_share= min_name= failed=0 notes=()
for k in "${!names[@]}"; do
	name=${names[$k]} prep=${preps[$k]}
	eval "argv=(${cmds[$k]})"
	S=$T/$name.strace J=$T/$name.jsonl
	a=$(now_us)
	(cd "$OUT" && eval "$prep") >/dev/null 2>&1
	(cd "$OUT" && exec strace -f -qq -e signal=none -o "$S" -E LD_PRELOAD="$MARK" ${MARK_DLOPEN:+-E SCTMARK_DLOPEN="$MARK_DLOPEN"} "${ENVX[@]}" -- "${argv[@]}" \
		</dev/null >"$T/$name.out1" 2>"$T/$name.err1")
	rc1=$?
	(cd "$OUT" && eval "$prep") >/dev/null 2>&1
	rm -rf -- "$RD" && mkdir -p -- "$RD"
	(cd "$OUT" && exec "$SCT" --json -D "$RD" --ring-size="$RING_SIZE" -o "$J" -- "${argv[@]}" \
		</dev/null >"$T/$name.out2" 2>"$T/$name.err2")
	rc2=$?
	b=$(now_us)
	if [ "$rc1" != 0 ] || [ "$rc2" != 0 ] || [ ! -s "$S" ] || [ ! -s "$J" ]; then
		echo "$name: failed (exit $rc1 under strace, $rc2 under sctrace):" >&2
		head -n 3 "$T/$name.err1" "$T/$name.err2" >&2
		failed=1
	fi
	if [ -s "$S" ] && [ -s "$J" ]; then
		if [ "$VERBOSE" = 1 ]; then
			res=$("$py" "$T/count.py" "$S" "$J" "$name" 1 "$TOP" 3>"$T/$name.detail")
		else
			res=$("$py" "$T/count.py" "$S" "$J" "$name" 0 "$TOP" 3>/dev/null)
		fi || { echo "$name: counting failed" >&2; failed=1; continue; }
		IFS=$'\t' read -r _ st sc ma sh ex im dr lo tm miss note <<<"$res"
		printf '%-10s %7d %7d %7d %6s %9s %6s %5s %4s %4s %4s  %s\n' "$name" "$st" "$sc" "$ma" "$sh" \
			"$ex" "$im" "$dr" "$lo" "$tm" "$(awk -v d=$((b - a)) 'BEGIN { printf "%.1f", d / 1e6 }')" "$miss"
		cmp -s "$T/$name.out1" "$T/$name.out2" || note="${note:+$note; }its output differs between the two runs"
		[ -z "$note" ] || notes+=("$name: $note")
		[ "$VERBOSE" = 1 ] && cat "$T/$name.detail"
		if [ -z "$min_share" ] || awk -v a="$sh" -v b="$min_share" 'BEGIN { exit !(a < b) }'; then
			min_share=$sh min_name=$name
		fi
	fi
	if [ -n "$KEEP" ]; then
		for f in "$S" "$J" "$T/$name".out[12] "$T/$name".err[12] "$T/$name.detail"; do
			[ -e "$f" ] && cp -- "$f" "$KEEP/"
		done
	fi
done
t1=$(now_us)

echo
cat <<'EOF'
strace: calls strace -f saw after each image's loader phase (up to and including
  the libsctmark.so marker).  sctrace: its syscall records, plus one execve per
  exec record that no recorded execve explains (the command's own exec).
matched: sum over names of min(strace, sctrace); share% = matched / strace.
extra/vdso: sctrace records beyond the matched ones / of them vDSO calls
  (clock_gettime, time, ...: no kernel entry, so strace never sees them).
images: successful execs under strace; cut: loader-phase calls dropped;
lost: records sctrace dropped or overwrote (ring full); trap: trap layer named
  in sctrace's exec records; secs: both runs.
EOF
for n in "${notes[@]}"; do echo "note: $n"; done
[ -z "$KEEP" ] || echo "logs kept in $KEEP"
echo
echo "minimum share: ${min_share:-none}%${min_name:+ ($min_name)}  [$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.1f", d / 1e6 }') s]"
exit $failed
