/* Where an exec'd image's libraries go: below every address a seccomp
 * filter of this process or its ancestors traps (include/sctrace/place.h
 * says how).
 *
 * Every image that lists sites lies below a third of the address space:
 * the first because sctrace started it there (dump/run.c), each exec'd one
 * because its parent's tracer placed it below its own sites.  An image
 * exec'd without that help (a raw execve, a static program, one that
 * cannot load this library, a program's own low hard RLIMIT_STACK) goes
 * where the kernel puts any image, near the top, upward from a third or at
 * a fixed low address, where nothing is listed; it lists nothing itself
 * (seccomp.c, unless SCTRACE_PLACE=0).
 *
 * - At start, before any constructor and before libc reads RLIMIT_STACK
 *   (for its default thread stack size), an IFUNC resolver of this library
 *   finds a limit its parent's tracer set, sets the program's own back and
 *   keeps what it said.
 * - sct_place_set() (seccomp.c, before its filter goes on) lowers the unit
 *   to put exec'd images below this one's sites.
 * - traced_exec() (exec.c) and the SIGSYS handler set the limit around each
 *   exec they make, and restore it when the exec fails. */
#include <dlfcn.h>
#include <sys/resource.h>

#include "core.h"
#include "sctrace/place.h"

struct k_rlimit {
	uint64_t cur, max;
};

/* the unit for exec'd images, 0: none (not under a filter of ours, or not
 * placed) */
static uint64_t place_k;
/* this library's file, as the loader opened it ("": unknown) */
static char self_path[SCT_PATH_MAX];
/* what this image's start said: SCT_PLACED, SCT_NOT_PLACED or 0 */
static int start_kind;
/* under a filter of ours that could not place this image, or one that
 * gave up: exec'd images are told, to list nothing */
static int not_placed;

static SCT_SIGSAFE long stack_limit(const struct k_rlimit *set,
				    struct k_rlimit *get)
{
	return sct_raw4(__NR_prlimit64, 0, RLIMIT_STACK, set, get);
}

/* ---- at start ----------------------------------------------------------- */

static void place_early(void)
{
	struct k_rlimit r, own;
	uint64_t k;
	if (stack_limit(0, &r) != 0)
		return;
	int kind = sct_place_decode(r.cur, &own.cur, &k);
	if (!kind)
		return;
	own.max = r.max;
	if (stack_limit(&own, 0) != 0)
		return;
	start_kind = kind;
	place_k = k;
	not_placed = kind == SCT_NOT_PLACED;
}

/* An IFUNC resolver runs while the loader relocates this library: after
 * the libraries it needs, before libc's early initialisation (which reads
 * RLIMIT_STACK) and before every constructor. */
static void place_nothing(void)
{
}

static void (*place_resolve(void))(void)
{
	place_early();
	return place_nothing;
}

static void place_hook(void) __attribute__((ifunc("place_resolve")));
__attribute__((used)) static void (*const place_ref)(void) = place_hook;

/* from the constructor: the file an exec'd image must load to trace */
void sct_place_init(void)
{
	Dl_info di;
	if (dladdr((void *)sct_place_init, &di) && di.dli_fname &&
	    di.dli_fname[0] == '/')
		sct_stpcpy(self_path, di.dli_fname, self_path + sizeof self_path);
}

int sct_place_start(void)
{
	return start_kind;
}

/* 0 unless this image was placed but its highest trapped site HI is not
 * below where its placement put its libraries (a layout the kernel chose
 * otherwise: listing would put sites where unplaced images go) */
int sct_place_misplaced(uint64_t hi)
{
	return start_kind == SCT_PLACED &&
	       hi >= SCT_PLACE_TOP - (place_k << SCT_PLACE_SHIFT);
}

/* 0 when exec'd images can be put below LO, this image's lowest trapped
 * site, and below a third of the address space (their unit from then on);
 * -1 when not (no stack gap reaches that low, or the hard limit forbids
 * it): exec'd images are then told not to list */
int sct_place_set(uint64_t lo)
{
	struct k_rlimit r;
	uint64_t k = sct_place_unit(lo), third = sct_place_unit(SCT_PLACE_TOP / 3);
	if (k && k < third)
		k = third;
	if (k && k < place_k) /* an ancestor's sites lie lower */
		k = place_k;
	/* the largest limit the unit can make, whatever the program's own */
	if (!k || stack_limit(0, &r) != 0 ||
	    (r.max != SCT_RLIM_INF && r.max < sct_place_limit(k, SCT_RLIM_INF))) {
		not_placed = 1;
		return -1;
	}
	place_k = k;
	return 0;
}

/* ---- around an exec ----------------------------------------------------- */

static SCT_SIGSAFE long raw_pread(long fd, void *buf, unsigned long n,
				  unsigned long off)
{
	return sct_raw4(__NR_pread64, fd, buf, n, off);
}

/* signal-safe: whether the image an exec of NR with args A would start
 * needs placing (sct_place_wants()) */
static SCT_SIGSAFE int wants_place(long nr, const long *a)
{
	char c0 = 1;
	if (nr == __NR_execveat && (a[4] & AT_EMPTY_PATH) &&
	    sct_safe_copy(&c0, (uintptr_t)a[1], 1) == 1 && c0 == 0)
		return sct_place_wants(a[0], raw_pread);
	long dirfd = nr == __NR_execveat ? a[0] : AT_FDCWD;
	long path = nr == __NR_execveat ? a[1] : a[0];
	long fd = sct_raw4(__NR_openat, dirfd, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 1;
	int want = sct_place_wants(fd, raw_pread);
	sct_raw1(__NR_close, fd);
	return want;
}

/* signal-safe: set the limit placing the exec NR with args A; 1 when set
 * (*OLD: the program's, to restore if the exec fails) */
static SCT_SIGSAFE int place(long nr, const long *a, struct k_rlimit *old)
{
	if ((!place_k && !not_placed) || !wants_place(nr, a) ||
	    /* not there for the new image (a chroot, another mount
	     * namespace): it will not trace, nor set a limit back */
	    (self_path[0] &&
	     sct_raw4(__NR_faccessat, AT_FDCWD, self_path, 4 /* R_OK */, 0) != 0) ||
	    stack_limit(0, old) != 0)
		return 0;
	uint64_t cur = old->cur, max = old->max;
	/* the kernel allows an exec a quarter of the stack limit for its
	 * arguments and environment (at least 128 KiB, at most 6 MiB): one
	 * that fails with E2BIG under the program's limit must fail so under
	 * the placing one too (with a page to spare for the file name) */
	if (cur != SCT_RLIM_INF) {
		uint64_t lim = cur / 4 < (6ull << 20) ? cur / 4 : 6ull << 20;
		if (lim < (128ull << 10))
			lim = 128ull << 10;
		int ai = nr == __NR_execveat ? 2 : 1;
		size_t need = sct_exec_arg_bytes((char *const *)a[ai],
						 (char *const *)a[ai + 1]);
		if (need == (size_t)-1 || need + 4096 > lim)
			return 0;
	}
	struct k_rlimit n = { 0, max };
	if (place_k && !not_placed)
		n.cur = sct_place_limit(place_k, cur);
	if (!n.cur || (max != SCT_RLIM_INF && n.cur > max))
		n.cur = sct_place_nolimit(cur);
	return n.cur && stack_limit(&n, 0) == 0;
}

/* signal-safe: the exec NR with args A (six), made placed; its result */
SCT_SIGSAFE long sct_place_execve(long nr, const long *a)
{
	struct k_rlimit old;
	int on = place(nr, a, &old);
	long r = sct_raw(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (on) /* the exec failed: the program's limit back */
		stack_limit(&old, 0);
	return r;
}
