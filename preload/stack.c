/* Caller stacks (issue 5), capture side: the per-image side file, stack
 * capture for wrapped and trapped calls, the module log.  Interface and
 * calling contract in stack.h; file format in include/sctrace/stack.h.
 *
 * Three unwinders:
 *  - eh (default): the walk of preload/unwind.c over rules read once per
 *    code address from the object's .eh_frame (preload/cfi.c; ~6 ns a
 *    frame), from the wrapper's caller (its frame address comes with the
 *    call) or from a trapped call's ucontext, its result kept in a
 *    per-thread memo; signal frames are crossed by the walk itself.  A
 *    frame no rule describes (a CFA expression) or a stack pointer on a
 *    stack the walk does not know ends the stack.  No library loaded.
 *  - libunwind: the same walk, and libunwind's unw_backtrace (loaded at
 *    start) for the frames the eh walk stops at (through stack_uc.S,
 *    never through the kernel's signal frame).  libunwind parses unwind
 *    tables with dl_iterate_phdr (the loader's lock), sigprocmask, mmap,
 *    all through libc, hence the guard and the ALLOW selector around
 *    it.
 *  - fp: a frame-pointer walk, every read bounded to the stack mapping
 *    that holds the starting stack pointer (found in /proc/self/maps),
 *    8-byte aligned, strictly upwards: it never faults.
 *
 * Everything reachable from a wrapper or the SIGSYS handler uses raw
 * syscalls only (sct_raw). */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <ucontext.h>


#include "core.h"
#include "stack.h"
#include "stack_write.h"
#include "unwind.h"

#define DEFAULT_DEPTH 16u
#define NSLOTS 8192u               /* stack table slots (power of two) */
#define MOD_LOG_SIZE (256u << 10)  /* module log bytes */
#define SLOTS_FIRST (4u << 10)     /* stack slot bytes populated at start */
#define LOG_FIRST (16u << 10)      /* module log bytes populated at start */
/* frames of libsctrace.so itself above a wrapped call's caller (record
 * path, wrapper): asked for on top of the depth and dropped; learnt */
#define SELF_MAX 16u
#define PAGE 4096ul

/* read by every capture: in the hot data page (sct.h, SCT_HOTDATA) */
static SCT_HOTDATA struct {
	struct sct_stk_hdr *hdr; /* the side file, NULL while stacks are off */
	uint64_t total;          /* its mapped size */
	unsigned depth;          /* frames per stack */
	unsigned mode;           /* enum sct_unwind_mode */
	int fast;                /* eh and libunwind modes walk cached rules
				    (preload/unwind.c) */
	uintptr_t self_lo, self_hi; /* text of libsctrace.so */
	uintptr_t ld_lo, ld_hi;     /* text of ld.so */
	unsigned self_frames;       /* most frames of ours seen above a
				       wrapped call (a monotonic max) */
	sct_bt_fn bt;               /* unw_backtrace */
	uint64_t exec_lo, exec_hi;  /* span of the exec mappings logged */
	unsigned file;              /* side files made by this process and
				       its forebears (fork copies it) */
} stk;

/* the calling thread's own stack mapping [lo, hi) */
static __thread struct {
	uintptr_t lo, hi;
	unsigned lookups; /* /proc/self/maps reads: see stack_hi */
	int warm;
} tstk;

/* ---- small helpers --------------------------------------------------- */

static SCT_SIGSAFE int in_self(uint64_t ip)
{
	return ip >= stk.self_lo && ip < stk.self_hi;
}

/* signal-safe: IPS[0..N) without frames of this library deeper in the
 * stack (its wrapper of main, a wrapper whose real function trapped);
 * the new count */
static SCT_SIGSAFE unsigned drop_self(uint64_t *ips, unsigned n)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++)
		if (!in_self(ips[i]))
			ips[k++] = ips[i];
	return k;
}

/* The exec file mappings logged and not unmapped since, so that an unmap
 * logs UNMAP only when it takes one of them away (a munmap of malloc'ed
 * memory among the libraries logs nothing).  Slots are claimed by a CAS
 * of hi from 0 (free) to 1 (being written), published by a release store
 * of hi; freed by a CAS back to 0.  A mapping that finds no slot switches
 * to the coarse test: any overlap with [exec_lo, exec_hi). */
#define XR_MAX 1024u
static struct {
	uint64_t lo, hi;
} xr[XR_MAX];
static unsigned xr_n;  /* slots ever used (high-water mark) */
static int xr_full;

/* signal-safe: remember [lo, hi) as logged executable */
static SCT_SIGSAFE void exec_add(uint64_t lo, uint64_t hi)
{
	uint64_t v = __atomic_load_n(&stk.exec_lo, __ATOMIC_RELAXED);
	while ((v == 0 || lo < v) &&
	       !__atomic_compare_exchange_n(&stk.exec_lo, &v, lo, 1,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	v = __atomic_load_n(&stk.exec_hi, __ATOMIC_RELAXED);
	while (hi > v &&
	       !__atomic_compare_exchange_n(&stk.exec_hi, &v, hi, 1,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	for (unsigned i = 0; i < XR_MAX; i++) {
		uint64_t free = 0;
		if (__atomic_load_n(&xr[i].hi, __ATOMIC_RELAXED) != 0 ||
		    !__atomic_compare_exchange_n(&xr[i].hi, &free, 1, 0,
						 __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;
		xr[i].lo = lo;
		/* pairs with the acquire load in exec_take */
		__atomic_store_n(&xr[i].hi, hi, __ATOMIC_RELEASE);
		unsigned n = __atomic_load_n(&xr_n, __ATOMIC_RELAXED);
		while (n < i + 1 &&
		       !__atomic_compare_exchange_n(&xr_n, &n, i + 1, 1,
						    __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED))
			;
		return;
	}
	__atomic_store_n(&xr_full, 1, __ATOMIC_RELAXED);
}

/* signal-safe: does [lo, hi) overlap an exec mapping logged?  Forgets
 * those it covers whole. */
static SCT_SIGSAFE int exec_take(uint64_t lo, uint64_t hi)
{
	if (hi <= lo || lo >= __atomic_load_n(&stk.exec_hi, __ATOMIC_RELAXED) ||
	    hi <= __atomic_load_n(&stk.exec_lo, __ATOMIC_RELAXED))
		return 0;
	if (__atomic_load_n(&xr_full, __ATOMIC_RELAXED))
		return 1;
	int hit = 0;
	unsigned n = __atomic_load_n(&xr_n, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < n; i++) {
		uint64_t h = __atomic_load_n(&xr[i].hi, __ATOMIC_ACQUIRE);
		if (h <= 1 || lo >= h || hi <= xr[i].lo)
			continue;
		hit = 1;
		if (lo <= xr[i].lo && hi >= h)
			__atomic_compare_exchange_n(&xr[i].hi, &h, 0, 0,
						    __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED);
	}
	return hit;
}

/* ---- /proc/self/maps, raw ------------------------------------------- */

struct maps_rd {
	long fd;
	unsigned len, pos;
	char buf[1024];
};

static SCT_SIGSAFE int maps_open(struct maps_rd *r)
{
	r->fd = sct_raw4(__NR_openat, AT_FDCWD, "/proc/self/maps",
			 O_RDONLY | O_CLOEXEC, 0);
	r->len = r->pos = 0;
	return r->fd < 0 ? -1 : 0;
}

/* signal-safe: the next line of R in LINE (NUL terminated, cut at MAX - 1
 * bytes); 0 at the end or on a read error. */
static SCT_SIGSAFE int maps_line(struct maps_rd *r, char *line, unsigned max)
{
	unsigned n = 0;
	for (;;) {
		if (r->pos == r->len) {
			long k = sct_raw3(__NR_read, r->fd, r->buf, sizeof r->buf);
			if (k == -EINTR)
				continue;
			if (k <= 0) {
				line[n] = 0;
				return n > 0;
			}
			r->len = (unsigned)k;
			r->pos = 0;
		}
		char c = r->buf[r->pos++];
		if (c == '\n')
			break;
		if (n < max - 1)
			line[n++] = c;
	}
	line[n] = 0;
	return 1;
}

static SCT_SIGSAFE const char *hex(const char *p, uint64_t *v)
{
	uint64_t x = 0;
	for (;; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else
			break;
		x = x << 4 | d;
	}
	*v = x;
	return p;
}

struct maps_ent {
	uint64_t lo, hi, off;
	char perms[5];
	const char *path; /* inside the line; "" for anonymous */
};

/* signal-safe: parse "lo-hi perms off dev inode   path" */
static SCT_SIGSAFE int maps_parse(const char *l, struct maps_ent *e)
{
	const char *p = hex(l, &e->lo);
	if (*p++ != '-')
		return -1;
	p = hex(p, &e->hi);
	if (*p++ != ' ')
		return -1;
	for (int i = 0; i < 4; i++) {
		if (!*p)
			return -1;
		e->perms[i] = *p++;
	}
	e->perms[4] = 0;
	if (*p++ != ' ')
		return -1;
	p = hex(p, &e->off);
	for (int f = 0; f < 2; f++) { /* dev, inode */
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
	}
	while (*p == ' ')
		p++;
	e->path = p;
	return 0;
}

/* signal-safe: the mapping that holds ADDR, in [*lo, *hi); -1 if none */
static SCT_SIGSAFE int mapping_of(uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
	struct maps_rd r;
	char line[128];
	struct maps_ent e;
	int found = -1;
	if (maps_open(&r) < 0)
		return -1;
	while (found < 0 && maps_line(&r, line, sizeof line))
		if (maps_parse(line, &e) == 0 && addr >= e.lo && addr < e.hi) {
			*lo = e.lo;
			*hi = e.hi;
			found = 0;
		}
	sct_raw1(__NR_close, r.fd);
	return found;
}

/* ---- the side file -------------------------------------------------- */

static SCT_SIGSAFE void side_path(char *buf, const char *end, int tmp)
{
	char *p = sct_stpcpy(buf, sct_cfg.dir, end);
	p = sct_stpcpy(p, tmp ? "/.tmp-" : "/", end);
	p = sct_utoa(p, (unsigned long)sct_pid, end);
	p = sct_stpcpy(p, "-", end);
	p = sct_utoa(p, sct_image, end);
	sct_stpcpy(p, ".stk", end);
}

static SCT_SIGSAFE void side_fail(const char *what, long err)
{
	char num[24];
	sct_utoa(num, (unsigned long)-err, num + sizeof num);
	sct_msg(what, num, "); caller stacks are off");
}

/* signal-safe: create, size (real blocks: a full /dev/shm fails here,
 * never as SIGBUS later), map, fill the header of and publish the side
 * file of this image; NULL on failure (reported). */
static SCT_SIGSAFE struct sct_stk_hdr *side_create(void)
{
	char tmp[SCT_PATH_MAX], final[SCT_PATH_MAX];
	uint64_t slot = sizeof(struct sct_stk_slot) + 8ull * stk.depth;
	uint64_t total = SCT_STK_HDR_SIZE + slot * NSLOTS + MOD_LOG_SIZE;
	side_path(tmp, tmp + sizeof tmp, 1);
	side_path(final, final + sizeof final, 0);
	long fd = sct_raw4(__NR_openat, AT_FDCWD, tmp,
			   O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			   0600);
	if (fd < 0) {
		side_fail("cannot create the stack file (errno ", fd);
		return 0;
	}
	long r;
	int sparse;
	void *map = sct_shm_map(fd, total, &r, &sparse);
	/* the pages written first: header, the first slots (taken in
	 * order), the start of the module log (the file is sparse: memory
	 * for the rest as it is needed, stack_write.c) */
	if (map && sparse &&
	    ((r = sct_populate(map, SCT_STK_HDR_SIZE + SLOTS_FIRST)) < 0 ||
	     (r = sct_populate((char *)map + total - MOD_LOG_SIZE,
			       LOG_FIRST)) < 0)) {
		sct_raw2(__NR_munmap, map, total);
		map = 0;
	}
	if (map)
		r = sct_raw5(__NR_renameat2, AT_FDCWD, tmp, AT_FDCWD, final,
			     1 /* RENAME_NOREPLACE */);
	if (!map || r < 0) {
		sct_raw3(__NR_unlinkat, AT_FDCWD, tmp, 0);
		if (map)
			sct_raw2(__NR_munmap, map, total);
		side_fail("cannot size, map or name the stack file (errno ", r);
		return 0;
	}
	struct sct_stk_hdr *h = map;
	const char *s = sct_cfg.exe;
	for (unsigned i = 0; i < sizeof h->exe - 1 && s[i]; i++)
		h->exe[i] = s[i];
	stk.total = total;
	stk.file++;
	/* magic last (release): a reader seeing it sees the header */
	sct_stk_init(h, total, stk.depth, NSLOTS, sct_image, (uint32_t)sct_pid,
		     stk.mode);
	sct_stk_sparse(h, sparse ? sct_populate : 0, SLOTS_FIRST, LOG_FIRST);
	/* the writer's index (private, .bss): stacks land in its 16 pages
	 * by hash, so even a short program touches most of them, a fault
	 * each (~10 us on some VMs) against ~1 us a page populated here */
	sct_stk_index_populate(sct_populate);
	return h;
}

/* Constructor: the executable file mappings when tracing starts, and the
 * vDSO, as MAP entries at the image's start time; and, from the same read,
 * the calling (main) thread's stack mapping, the one holding SP. */
static void log_snapshot(struct sct_stk_hdr *h, uintptr_t sp)
{
	struct maps_rd r;
	char line[SCT_PATH_MAX + 128];
	struct maps_ent e;
	if (maps_open(&r) < 0) {
		sct_msg("cannot read /proc/self/maps: ",
			"caller stacks will not be symbolized", 0);
		return;
	}
	while (maps_line(&r, line, sizeof line)) {
		if (maps_parse(line, &e) < 0)
			continue;
		if (sp >= e.lo && sp < e.hi)
			tstk.lo = e.lo, tstk.hi = e.hi;
		if (e.perms[2] != 'x')
			continue;
		if (e.path[0] != '/' && sct_strncmp(e.path, "[vdso]", 7) != 0)
			continue;
		sct_mod_append(h, SCT_MOD_MAP, sct_image, e.lo, e.hi,
			       e.path[0] == '/' ? e.off : 0, e.path);
		exec_add(e.lo, e.hi);
	}
	sct_raw1(__NR_close, r.fd);
}

/* ---- unwinding -------------------------------------------------------- */

/* Reads of /proc/self/maps (~20 us each) a thread may make in eh or
 * libunwind mode for a stack pointer below its own stack's known low end
 * (the main thread's stack grows) before it stops looking. */
#define LOOKUPS_MAX 64u

/* signal-safe: the end of the thread's signal stack if SP is on it, else
 * 0.  A handler runs there while the call is made: it is mapped. */
static SCT_SIGSAFE uintptr_t alt_hi(uintptr_t sp)
{
	stack_t ss;
	if (sct_raw2(__NR_sigaltstack, 0, &ss) != 0 ||
	    (ss.ss_flags & SS_DISABLE))
		return 0;
	uintptr_t lo = (uintptr_t)ss.ss_sp, hi = lo + ss.ss_size;
	return sp >= lo && sp < hi ? hi : 0;
}

/* signal-safe: the end of the stack mapping that holds SP, 0 if not
 * found.  The thread's own stack is known (its growth found here); for
 * another one (a signal stack, a coroutine's), LOOKUP 2 reads
 * /proc/self/maps each time, LOOKUP 1 gives 0: another stack may be
 * freed and its range reused, so its bounds are never cached. */
static SCT_SIGSAFE uintptr_t stack_hi(uintptr_t sp, int lookup)
{
	if (sp >= tstk.lo && sp < tstk.hi)
		return tstk.hi;
	/* not known yet: the thread's first traced call ran on its signal
	 * stack (sct_stack_warm_thread) */
	if (!tstk.hi && lookup == 1 && tstk.lookups < LOOKUPS_MAX &&
	    !alt_hi(sp)) {
		tstk.lookups++;
		if (mapping_of(sp, &tstk.lo, &tstk.hi) == 0)
			return tstk.hi;
		tstk.lo = tstk.hi = 0;
		return 0;
	}
	/* growth is below the known low end, and not by gigabytes */
	if (lookup == 1 && (tstk.lookups >= LOOKUPS_MAX || sp >= tstk.lo ||
			    tstk.lo - sp > (1ul << 30)))
		return 0;
	tstk.lookups += lookup == 1;
	uintptr_t lo, hi;
	if (mapping_of(sp, &lo, &hi) < 0)
		return 0;
	if (hi == tstk.hi) /* the main thread's stack grew */
		tstk.lo = lo;
	return lookup == 2 || hi == tstk.hi ? hi : 0;
}

/* signal-safe: return addresses along the frame-pointer chain from FP,
 * every read inside [lo, hi), strictly upwards, aligned. */
static SCT_SIGSAFE unsigned fp_walk(uint64_t *ips, unsigned max, uintptr_t fp,
				    uintptr_t lo, uintptr_t hi)
{
	unsigned n = 0;
	while (n < max && !(fp & 7) && fp >= lo && fp + 16 <= hi) {
		const uintptr_t *f = (const uintptr_t *)fp;
		if (f[1] < PAGE)
			break;
		ips[n++] = f[1];
		if (f[0] <= fp)
			break;
		fp = f[0];
	}
	return n;
}

static SCT_SIGSAFE unsigned walk(uint64_t *ips, unsigned max, uint64_t ip,
				 uint64_t sp, uint64_t bp, int exact,
				 struct sct_unw_trail *tr);

/* signal-safe: walk() from the frame F (saved rbp, then the return
 * address, the caller's stack pointer just above): IPS[0] = F[1] */
static inline SCT_SIGSAFE unsigned walk_frame(uint64_t *ips, unsigned max,
					      const uint64_t *f)
{
	return walk(ips, max, f[1], (uint64_t)(f + 2), f[0], 0, 0);
}

/* signal-safe: raw return addresses of the calling code, innermost first
 * (frame 0 is in this library); inlined: one frame less to walk */
static inline __attribute__((always_inline)) SCT_SIGSAFE unsigned
unwind_here(uint64_t *ips, unsigned max)
{
	if (stk.mode == SCT_UNWIND_LIBUNWIND) {
		sct_self.in_unwind = 1;
		int n = stk.bt((void **)ips, (int)max);
		sct_self.in_unwind = 0;
		return n > 0 ? (unsigned)n : 0;
	}
	if (stk.mode == SCT_UNWIND_EH) /* from this function's frame */
		return walk_frame(ips, max, __builtin_frame_address(0));
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
	uintptr_t hi = stack_hi(fp, 2);
	return hi ? fp_walk(ips, max, fp, fp, hi) : 0;
}

/* signal-safe: the return addresses of the stack whose innermost frame
 * is at IP (an interrupted instruction when EXACT, else a return address)
 * with stack pointer SP and frame pointer BP; IPS[0] = IP. */
static SCT_SIGSAFE unsigned walk(uint64_t *ips, unsigned max, uint64_t ip,
				 uint64_t sp, uint64_t bp, int exact,
				 struct sct_unw_trail *tr)
{
	if (stk.mode == SCT_UNWIND_FP) {
		uintptr_t hi = stack_hi(sp, 2);
		ips[0] = ip;
		return 1 + (hi ? fp_walk(ips + 1, max - 1, bp, sp, hi) : 0);
	}
	uintptr_t hi = stk.fast ? stack_hi(sp, 1) : 0;
	if (tr)
		tr->n = SCT_TRAIL_NONE;
	/* on the signal stack, with the thread's own known (to go on to
	 * past the signal frame) */
	if (!hi && stk.fast && tstk.hi && (hi = alt_hi(sp)))
		tr = 0; /* a walk on a signal stack is not kept: that stack
			   may be gone by the next call from there */
	sct_self.in_unwind = 1;
	unsigned n = hi ? sct_unw_walk(ips, max, ip, sp, bp, exact, hi,
				       tstk.lo, tstk.hi, tr)
			: sct_unw_from(ips, max, ip, sp, bp, exact);
	sct_self.in_unwind = 0;
	return n;
}

/* The memo: the stacks this thread interned lately, by where their walk
 * started, each with where its walk read the stack (unwind.h) and a sum of
 * the words it found there.  A call made again from the same place with
 * the same words on the stack has the same stack: reading ~20 words costs
 * a fraction of the walk (whose rule lookups miss the cache in a busy
 * program) and of the interning.  The sum, not the words: an entry is two
 * cache lines, not seven, and a busy program meets its memo cold (a sum
 * step is a bijection of the running sum for a given word, so stacks that
 * differ in one word never have the same sum; in more, by a 2^-64
 * chance).  4-way sets: a call site reached through up to four callers
 * keeps them all (sqlite3's VFS calls come from several call sites of
 * one function, at the same stack pointer: with 2 ways a third of its
 * calls walked again: 142 stacks, ~2300 walks in 8000 calls).  Mapped
 * for a thread by its first capture (raw mmap, 64 KiB), unmapped when the
 * thread exits.  Only its first MEMO_SETS_FIRST sets at first (8 KiB,
 * populated): the first store to each new page costs ~5-10 us on some
 * virtual machines, and a short program (find: ~50 stacks) needs no more;
 * all of them (populated then) once MEMO_GROW_AFTER entries were pushed
 * out.  An entry stays valid in whichever set it is: the index only says
 * where to look.  Only for the eh and libunwind walk (fast), and never in
 * a capture nested in another (a signal handler's, while in_unwind). */
#define MEMO_SETS 128u /* a power of two: the index is a hash's top bits */
#define MEMO_SETS_FIRST 16u
#define MEMO_GROW_AFTER 32u
struct memo {
	uint64_t ip, sp, bp;  /* the walk's start; ip 0: empty */
	uint64_t sum;         /* memo_step() over the words read */
	uint32_t file;        /* stk.file when interned: ids are per file */
	uint32_t gen;         /* sct_unw_gen when walked */
	uint32_t id;
	uint8_t exact, bp_used, n;
	uint16_t off[SCT_TRAIL_MAX]; /* words read: at sp + off[i] */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct memo) == 128, "a memo entry: two cache lines");
#define MEMO_WAYS 4u
#define MEMO_BYTES (((MEMO_WAYS * MEMO_SETS * sizeof(struct memo)) + PAGE - 1) & ~(PAGE - 1))
/* (MEMO_WAYS x MEMO_SETS of them in sct_thread.memo) */

/* signal-safe: T's memo mapped now; NULL if it cannot be */
static SCT_SIGSAFE SCT_COLD struct memo *memo_map(struct sct_thread *t)
{
	if (t->memo)
		return 0;
	long a = sct_raw6(__NR_mmap, 0, MEMO_BYTES, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((unsigned long)a >= -4096ul) {
		t->memo = (void *)1;
		return 0;
	}
	/* the first sets populated: entries land in their pages by hash */
	sct_populate((void *)a, MEMO_WAYS * MEMO_SETS_FIRST * sizeof(struct memo));
	t->memo_shift = 64 - __builtin_ctz(MEMO_SETS_FIRST);
	t->memo_evicted = 0;
	/* the memo after its shift: a signal handler's capture meanwhile
	 * (stack_id()) uses both */
	__atomic_signal_fence(__ATOMIC_RELEASE);
	t->memo = (void *)a;
	return t->memo;
}

/* signal-safe: another entry of T's memo pushed out; all of its sets in
 * use (populated) after MEMO_GROW_AFTER */
static SCT_SIGSAFE void memo_evicted(struct sct_thread *t)
{
	const unsigned all = 64 - __builtin_ctz(MEMO_SETS);
	if (t->memo_shift == all || ++t->memo_evicted < MEMO_GROW_AFTER)
		return;
	const size_t first = MEMO_WAYS * MEMO_SETS_FIRST * sizeof(struct memo);
	sct_populate((char *)t->memo + first, MEMO_BYTES - first);
	t->memo_shift = (unsigned char)all;
}

/* signal-safe: T's memo, mapped now if need be; NULL if not */
static inline SCT_SIGSAFE struct memo *memo_of_thread(struct sct_thread *t)
{
	struct memo *m = t->memo;
	if (__builtin_expect((uintptr_t)m > 1, 1))
		return m;
	return memo_map(t);
}

SCT_SIGSAFE void sct_stack_thread_exit(void)
{
	struct sct_thread *t = sct_me();
	void *m = t->memo;
	t->memo = (void *)1; /* a later capture in this thread: none */
	if ((uintptr_t)m > 1)
		sct_raw2(__NR_munmap, m, MEMO_BYTES);
}

/* the memo's sum after word V: each step a bijection of S (xor, times an
 * odd constant, xorshift) */
static inline uint64_t memo_step(uint64_t s, uint64_t v)
{
	s = (s ^ v) * 0x9e3779b97f4a7c15ull;
	return s ^ (s >> 29);
}

static inline int memo_same(const struct memo *m, uint64_t ip, uint64_t sp,
			    uint64_t bp, int exact, uint32_t gen)
{
	if (m->ip != ip || m->sp != sp || (m->bp_used && m->bp != bp) ||
	    m->file != stk.file || m->gen != gen || m->exact != exact)
		return 0;
	uint64_t s = 0;
	for (unsigned i = 0, k = m->n; i < k; i++)
		s = memo_step(s, *(const volatile uint64_t *)(sp + m->off[i]));
	return s == m->sum;
}

/* signal-safe: the id of the stack from (IP, SP, BP, EXACT), walked and
 * interned, and remembered in SET (a memo set of T's) when it can be;
 * GEN: sct_unw_gen before the walk.  Apart from stack_id(): its arrays
 * make a frame that reaches into one more stack page. */
static SCT_SIGSAFE __attribute__((noinline)) uint32_t
stack_walk_id(struct sct_thread *t, struct memo *set, uint32_t gen,
	      struct sct_stk_hdr *h, uint64_t ip, uint64_t sp, uint64_t bp,
	      int exact)
{
	uint64_t ips[SCT_STK_MAX_DEPTH];
	if (!set) {
		unsigned n = walk(ips, stk.depth, ip, sp, bp, exact, 0);
		return sct_stk_intern(h, ips, drop_self(ips, n));
	}
	struct sct_unw_trail tr;
	unsigned n = walk(ips, stk.depth, ip, sp, bp, exact, &tr);
	uint32_t id = sct_stk_intern(h, ips, drop_self(ips, n));
	if (tr.n == SCT_TRAIL_NONE || !id)
		return id;
	for (unsigned i = 0; i < tr.n; i++)
		if (tr.at[i] - sp > UINT16_MAX)
			return id;
	/* an empty way, else each in turn */
	struct memo *m = 0;
	for (unsigned w = 0; w < MEMO_WAYS; w++)
		if (!set[w].ip) {
			m = &set[w];
			break;
		}
	if (!m) {
		m = &set[t->memo_victim++ & (MEMO_WAYS - 1)];
		memo_evicted(t);
	}
	m->ip = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	uint64_t sum = 0;
	for (unsigned i = 0; i < tr.n; i++) {
		m->off[i] = (uint16_t)(tr.at[i] - sp);
		sum = memo_step(sum, tr.val[i]);
	}
	m->sum = sum;
	m->n = (uint8_t)tr.n;
	m->bp_used = (uint8_t)tr.bp_used;
	m->sp = sp;
	m->bp = bp;
	m->file = stk.file;
	m->gen = gen;
	m->id = id;
	m->exact = (uint8_t)exact;
	__atomic_signal_fence(__ATOMIC_RELEASE);
	m->ip = ip;
	return id;
}

/* signal-safe: the id of the stack from (IP, SP, BP, EXACT), from the
 * memo or walked and interned (then remembered) */
static SCT_SIGSAFE SCT_HOT uint32_t stack_id(struct sct_stk_hdr *h,
					     uint64_t ip, uint64_t sp,
					     uint64_t bp, int exact)
{
	struct sct_thread *t = sct_me();
	struct memo *set;
	if (!stk.fast || t->in_unwind || !(set = memo_of_thread(t)))
		return stack_walk_id(t, 0, 0, h, ip, sp, bp, exact);
	/* the hash's top bits (memo_shift: set with the memo) */
	set += MEMO_WAYS * (((ip ^ sp >> 4) * 0x9e3779b97f4a7c15ull) >>
			    t->memo_shift);
	uint32_t gen = __atomic_load_n(&sct_unw_gen, __ATOMIC_ACQUIRE);
	for (unsigned w = 0; w < MEMO_WAYS; w++)
		if (memo_same(&set[w], ip, sp, bp, exact, gen))
			return set[w].id;
	return stack_walk_id(t, set, gen, h, ip, sp, bp, exact);
}

SCT_SIGSAFE void sct_stack_warm_thread(void)
{
	if (!stk.hdr || tstk.warm)
		return;
	int e = errno;
	unsigned char sel = sct_self.sel;
	sct_self.sel = SCT_SEL_ALLOW;
	tstk.warm = 1;
	const uint64_t *fp = __builtin_frame_address(0);
	/* known already: the main thread's, found by log_snapshot() */
	if ((uintptr_t)fp < tstk.lo || (uintptr_t)fp >= tstk.hi) {
		/* a handler on the signal stack: the thread's own stack is
		 * found by its first capture off it (stack_hi) */
		if (alt_hi((uintptr_t)fp)) {
			sct_self.sel = sel;
			errno = e;
			return;
		}
		mapping_of((uintptr_t)fp, &tstk.lo, &tstk.hi);
	}
	uint64_t ips[SCT_STK_MAX_DEPTH];
	/* the rules of the thread's outer frames.  libunwind's own
	 * per-thread cache (~1 ms, mmaps) is made by the first stack that
	 * needs unw_backtrace, if any (see unwind.c) */
	if (stk.fast)
		walk_frame(ips, stk.depth, fp);
	sct_self.sel = sel;
	errno = e;
}

/* signal-safe: the wrapped call's stack found from inside this library,
 * its own frames skipped (a caller that could not say where its
 * wrapper's frame is) */
static SCT_SIGSAFE unsigned wrapped_here(uint64_t *ips, unsigned *skip)
{
	unsigned n, self;
	do { /* again, once, when more of our frames than known cut it short */
		self = __atomic_load_n(&stk.self_frames, __ATOMIC_RELAXED);
		n = unwind_here(ips, stk.depth + self);
		for (*skip = 0; *skip < n && in_self(ips[*skip]); ++*skip)
			;
		if (*skip > SELF_MAX)
			break;
		if (*skip > self)
			__atomic_compare_exchange_n(&stk.self_frames, &self,
						    *skip, 0, __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED);
	} while (*skip > self && n == stk.depth + self);
	return n;
}

/* signal-safe: sct_stack_wrapped() without the wrapper's frame */
static SCT_SIGSAFE __attribute__((noinline)) uint32_t
wrapped_here_id(struct sct_stk_hdr *h)
{
	uint64_t ips[SCT_STK_MAX_DEPTH + SELF_MAX];
	unsigned skip = 0, n = wrapped_here(ips, &skip);
	return sct_stk_intern(h, ips + skip, drop_self(ips + skip, n - skip));
}

SCT_SIGSAFE SCT_HOT uint32_t sct_stack_wrapped(const void *frame)
{
	struct sct_stk_hdr *h = stk.hdr;
	if (!h)
		return 0;
	struct sct_thread *t = sct_me();
	int *ep = sct_errno(), e = *ep;
	unsigned char sel = t->sel;
	t->sel = SCT_SEL_ALLOW;
	uint32_t id;
	if (frame) {
		/* the wrapper's frame: saved rbp, then the return address
		 * into its caller, whose stack pointer is just above */
		const uint64_t *fp = frame;
		id = stack_id(h, fp[1], (uint64_t)(fp + 2), fp[0], 0);
	} else {
		id = wrapped_here_id(h);
	}
	t->sel = sel;
	*ep = e;
	return id;
}

/* signal-safe: sct_unw_rareg() at IP, the register read off G (a
 * ucontext's): the return address in *RA, the caller's rsp in *CFA */
static SCT_SIGSAFE int rareg(const greg_t *g, uint64_t ip, uint64_t *ra,
			     uint64_t *cfa)
{
	static const unsigned char greg_of[16] = {
		REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI,
		REG_RBP, REG_RSP, REG_R8,  REG_R9,  REG_R10, REG_R11,
		REG_R12, REG_R13, REG_R14, REG_R15,
	};
	unsigned reg;
	int64_t off;
	if (!sct_unw_rareg(ip, &reg, &off))
		return 0;
	*ra = (uint64_t)g[greg_of[reg & 15]];
	*cfa = (uint64_t)g[REG_RSP] + (uint64_t)off;
	return 1;
}

SCT_SIGSAFE uint32_t sct_stack_trapped(const void *ucv)
{
	struct sct_stk_hdr *h = stk.hdr;
	if (!h)
		return 0;
	const ucontext_t *uc = ucv;
	const greg_t *g = uc->uc_mcontext.gregs;
	uint64_t ips[SCT_STK_MAX_DEPTH];
	uint64_t ip = (uint64_t)g[REG_RIP];
	ips[0] = ip;
	if (ip >= stk.ld_lo && ip < stk.ld_hi) /* the loader */
		return sct_stk_intern(h, ips, 1);
	struct sct_thread *t = sct_me();
	int *ep = sct_errno(), e = *ep;
	unsigned char sel = t->sel;
	t->sel = SCT_SEL_ALLOW;
	uint32_t id;
	uint64_t ra, cfa;
	if (stk.fast && rareg(g, ip, &ra, &cfa)) {
		/* frame 0 keeps its return address in a register: the
		 * walk goes on from there (not memoized: vfork is rare) */
		unsigned n = 1 + walk(ips + 1, stk.depth - 1, ra, cfa,
				      (uint64_t)g[REG_RBP], 0, 0);
		id = sct_stk_intern(h, ips, drop_self(ips, n));
	} else {
		id = stack_id(h, ip, (uint64_t)g[REG_RSP],
			      (uint64_t)g[REG_RBP], 1);
	}
	t->sel = sel;
	*ep = e;
	return id;
}

/* ---- the module log after the start -------------------------------- */

static SCT_SIGSAFE void log_map(struct sct_stk_hdr *h, uint64_t lo,
				uint64_t len, long fd, uint64_t off)
{
	char link[32], path[SCT_PATH_MAX];
	char *p = sct_stpcpy(link, "/proc/self/fd/", link + sizeof link);
	sct_utoa(p, (unsigned long)fd, link + sizeof link);
	long k = sct_raw4(__NR_readlinkat, AT_FDCWD, link, path,
			  sizeof path - 1);
	if (k < 0)
		k = 0;
	path[k] = 0;
	sct_mod_append(h, SCT_MOD_MAP, sct_now(), lo, lo + len, off, path);
	exec_add(lo, lo + len);
}

static SCT_SIGSAFE void log_unmap(struct sct_stk_hdr *h, uint64_t lo,
				  uint64_t hi)
{
	if (exec_take(lo, hi)) {
		sct_mod_append(h, SCT_MOD_UNMAP, sct_now(), lo, hi, 0, "");
		if (stk.fast)
			sct_unw_forget(lo, hi);
	}
}

SCT_SIGSAFE void sct_stack_note_map(unsigned nr, const long *a, long ret)
{
	struct sct_stk_hdr *h = stk.hdr;
	if (!h || (unsigned long)ret >= -4096ul)
		return;
	int e = errno;
	uint64_t at = (uint64_t)ret;
	switch (nr) {
	case __NR_mmap: {
		uint64_t len = ((uint64_t)a[1] + PAGE - 1) & ~(PAGE - 1);
		if ((a[2] & PROT_EXEC) && !(a[3] & MAP_ANONYMOUS) &&
		    (int)a[4] >= 0)
			log_map(h, at, len, (int)a[4], (uint64_t)a[5]);
		else if (a[3] & MAP_FIXED) /* replaced what was there */
			log_unmap(h, at, at + len);
		break;
	}
	case __NR_munmap:
		log_unmap(h, (uint64_t)a[0],
			  (uint64_t)a[0] + (((uint64_t)a[1] + PAGE - 1) & ~(PAGE - 1)));
		break;
	case __NR_mremap: {
		uint64_t old = (uint64_t)a[0], olen = (uint64_t)a[1],
			 nlen = (uint64_t)a[2];
		if (at != old)
			log_unmap(h, old, old + olen); /* moved */
		else if (nlen < olen)
			log_unmap(h, old + nlen, old + olen); /* shrunk */
		if (at != old)
			log_unmap(h, at, at + nlen); /* landed on something */
		break;
	}
	}
	errno = e;
}

SCT_SIGSAFE void sct_stack_after_fork_child(void)
{
	struct sct_stk_hdr *old = stk.hdr;
	if (!old)
		return;
	int e = errno;
	unsigned char sel = sct_self.sel;
	sct_self.sel = SCT_SEL_ALLOW;
	uint64_t old_total = stk.total;
	stk.hdr = 0;
	struct sct_stk_hdr *h = side_create();
	if (h) {
		/* pairs with the writers' relaxed reservation: entries past
		 * it are not looked at; each one's commit is acquired */
		uint64_t end = __atomic_load_n(&old->mod_head, __ATOMIC_ACQUIRE);
		if (end > old->mod_size)
			end = old->mod_size;
		const unsigned char *log = (const unsigned char *)old + old->mod_off;
		for (uint64_t at = 0; at + sizeof(struct sct_mod_ent) <= end;) {
			const struct sct_mod_ent *m =
				(const struct sct_mod_ent *)(log + at);
			uint32_t len = __atomic_load_n(&m->len, __ATOMIC_ACQUIRE);
			if (len == 0 || at + len > end)
				break;
			/* pairs with the writer's release store of commit */
			if (__atomic_load_n(&m->commit, __ATOMIC_ACQUIRE))
				sct_mod_append(h, m->op, m->ts, m->start, m->end,
					       m->offset, (const char *)(m + 1));
			at += len;
		}
	}
	sct_raw2(__NR_munmap, old, old_total);
	stk.hdr = h;
	sct_hot.stacks_on = h != 0;
	sct_self.sel = sel;
	errno = e;
}

/* ---- the constructor's part ----------------------------------------- */

static int find_ranges(struct dl_phdr_info *info, size_t size, void *ldbase)
{
	(void)size;
	uintptr_t me = (uintptr_t)&find_ranges;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr,
			  hi = lo + ph->p_memsz;
		if (me >= lo && me < hi) {
			stk.self_lo = lo;
			stk.self_hi = hi;
		}
		if (ldbase && info->dlpi_addr == (uintptr_t)ldbase) {
			stk.ld_lo = lo;
			stk.ld_hi = hi;
		}
	}
	return 0;
}

static void parse_stack_env(void)
{
	const char *v;
	stk.depth = DEFAULT_DEPTH;
	stk.mode = SCT_UNWIND_EH;
	if ((v = getenv("SCTRACE_STACK")) && *v) {
		char *end;
		unsigned long n = strtoul(v, &end, 10);
		if (*end || *v == '-' || n > SCT_STK_MAX_DEPTH)
			sct_msg("SCTRACE_STACK=", v,
				": not a number of frames in 0..64; using 16");
		else
			stk.depth = (unsigned)n;
	}
	if ((v = getenv("SCTRACE_UNWIND")) && *v) {
		if (sct_strncmp(v, "fp", 3) == 0)
			stk.mode = SCT_UNWIND_FP;
		else if (sct_strncmp(v, "libunwind", 10) == 0)
			stk.mode = SCT_UNWIND_LIBUNWIND;
		else if (sct_strncmp(v, "eh", 3) != 0)
			sct_msg("SCTRACE_UNWIND=", v,
				": not eh, libunwind or fp; using eh");
	}
}

/* eh mode: the rule table alone */
static int start_eh(void)
{
	if (sct_unw_init(0, 0) < 0) {
		sct_msg("no memory for the unwind rules; caller stacks are off",
			0, 0);
		return -1;
	}
	stk.fast = 1;
	return 0;
}

/* libunwind.so.8, local to us: its symbols stay out of the program's
 * global scope. */
static int load_libunwind(void)
{
	void *lib = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		sct_msg("cannot load libunwind.so.8 (the default ",
			"SCTRACE_UNWIND=eh needs no library); caller stacks ",
			"are off");
		return -1;
	}
	stk.bt = (sct_bt_fn)dlsym(lib, "unw_backtrace");
	if (!stk.bt || sct_unw_init(lib, stk.bt) < 0) {
		sct_msg("libunwind.so.8 lacks unw_backtrace or its cache ",
			"control, or no memory; caller stacks are off", 0);
		return -1;
	}
	stk.fast = 1;
	return 0;
}

void sct_stack_init(void)
{
	parse_stack_env();
	if (stk.depth && stk.mode == SCT_UNWIND_LIBUNWIND) {
		/* dlopen needs the heap: the first malloc's brk and getrandom
		 * would be the tracer's, unrecorded, and the program's own
		 * first malloc would then make none.  Made here traced instead,
		 * as the calls the program's first malloc makes. */
		sct_self.guard--;
		free(malloc(1));
		sct_self.guard++;
	}
	unsigned char sel = sct_self.sel;
	sct_self.sel = SCT_SEL_ALLOW;
	if (stk.depth == 0 ||
	    (stk.mode == SCT_UNWIND_LIBUNWIND && load_libunwind() < 0) ||
	    (stk.mode == SCT_UNWIND_EH && start_eh() < 0))
		goto out;
	/* after loading libunwind: its text is in the snapshot */
	void *ldbase = (void *)getauxval(AT_BASE);
	dl_iterate_phdr(find_ranges, ldbase);
	struct sct_stk_hdr *h = side_create();
	if (!h)
		goto out;
	log_snapshot(h, (uintptr_t)__builtin_frame_address(0));
	stk.hdr = h;
	sct_hot.stacks_on = h != 0;
	sct_stack_warm_thread();
out:
	sct_self.sel = sel;
}
