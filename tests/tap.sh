# TAP for the shell tests, sourced (not a test itself: not executable):
#   ok STATUS NAME    "ok N - NAME" when STATUS is 0, else "not ok N - NAME"
#   skip REASON       "ok N # SKIP REASON"
#   diag              standard input as "# " lines
#   tap_tmpdir NAME   T: a new directory /tmp/sctrace-NAME.*, removed on exit
# $failed counts the failures: a test ends with [ "$failed" = 0 ].
n=0 failed=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); fi; }
skip() { n=$((n+1)); echo "ok $n # SKIP $1"; }
diag() { sed 's/^/# /'; }
tap_tmpdir() {
	T=$(mktemp -d "/tmp/sctrace-$1.XXXXXX") || exit 1
	trap 'rm -rf "$T"' EXIT
}
