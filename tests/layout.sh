#!/usr/bin/env bash
# The code layout of libsctrace.so that the cost of a traced call depends
# on.  On a kernel with page-table isolation and no PCID every system call
# flushes the TLB, so each page a wrapper touches after it costs a page
# walk (~5 ns on these VMs): the path every traced call takes must stay
# one page of code, and the caller-stack path must not call through the
# PLT.  Checked on the symbols of the built library (nm, objdump), not by
# timing.  TAP output; exit 77 (skip) without binutils.
set -u
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "1..0 # SKIP no build directory"; exit 77; }
LIB=$BUILD/libsctrace.so
for t in nm objdump readelf; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t (binutils) not found"; exit 77; }
done
. "$(dirname "$0")/tap.sh"
echo "1..4"

# START END of function NAME (a local symbol; .constprop/.isra clones too,
# not its .cold part)
span() {
	nm -S "$LIB" | while read -r a sz t name; do
		case $name in "$1" | "$1".*) ;; *) continue ;; esac
		case $name in *.cold) continue ;; esac
		echo "$((16#$a)) $((16#$a + 16#$sz))"
		break
	done
}

# LO HI: the span of the functions named
span_of() {
	lo= hi= missing=
	for f in "$@"; do
		read -r a b <<<"$(span "$f")"
		[ -n "${a-}" ] || { missing="$missing $f"; continue; }
		[ -z "$lo" ] || [ "$a" -lt "$lo" ] && lo=$a
		[ -z "$hi" ] || [ "$b" -gt "$hi" ] && hi=$b
	done
	[ -z "$missing" ] || echo "# not found:$missing"
}

# 1. the traced-call path: one page
hot="copy_bytes cap_str capture_args sct_begin sct_end"
span_of $hot
ok "$([ -z "$missing" ] && [ $((lo / 4096)) = $(((hi - 1) / 4096)) ] && echo 0 || echo 1)" \
	"the traced-call path ($hot) is one page: [$lo, $hi)"

# 2. with caller stacks (a memo hit): one page more
stk="stack_id sct_stack_wrapped"
span_of $hot $stk
ok "$([ -z "$missing" ] && [ $(((hi - 1) / 4096 - lo / 4096)) -le 1 ] && echo 0 || echo 1)" \
	"with caller stacks ($stk) two pages: [$lo, $hi)"

# 2. no PLT call and no GOT load on that path: a page each
glo=0 ghi=0
while read -r name addr size; do
	a=$((16#$addr)) e=$((16#$addr + 16#$size))
	[ "$glo" = 0 ] || [ "$a" -lt "$glo" ] && glo=$a
	[ "$e" -gt "$ghi" ] && ghi=$e
done < <(readelf -SW "$LIB" | sed -n 's/^ *\[ *[0-9]*\] \(\.got[^ ]*\) *[A-Z]* *\([0-9a-f]*\) [0-9a-f]* \([0-9a-f]*\).*/\1 \2 \3/p')
bad=
while IFS= read -r line; do
	case $line in
	*@plt\>*) bad="$bad|$line" ;;
	*'(%rip)'*'# '*)
		t=${line##*# } t=${t%% *}
		[ "$((16#$t))" -ge "$glo" ] && [ "$((16#$t))" -lt "$ghi" ] && bad="$bad|$line" ;;
	esac
done < <(objdump -d --no-show-raw-insn "$LIB" --start-address="$lo" --stop-address="$hi")
[ -z "$bad" ] || echo "# ${bad:0:300}"
ok "$([ -z "$bad" ] && [ "$ghi" -gt 0 ] && echo 0 || echo 1)" \
	"no PLT call or GOT load on these paths (.got at [$glo, $ghi))"

# 3. its slow paths are elsewhere (.cold parts exist: the split happened)
ok "$(nm "$LIB" | grep -q ' sct_end\.cold$' && echo 0 || echo 1)" \
	"sct_end's rare paths are split off (sct_end.cold)"

[ "$failed" = 0 ]
