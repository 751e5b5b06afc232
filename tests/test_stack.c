/* preload/stack.c through its harness (tests/stack/harness.c): stacks of
 * a wrapped call and of a trapped raw syscall come out innermost first
 * (level2, level1, main), under the three unwinders; the eh and libunwind
 * modes' walk gives exactly unw_backtrace's frames (frame shapes, a signal frame,
 * threads), and so does the capture from inside; the module log has the
 * start snapshot, then MAP and UNMAP of a dlopen'ed library; a fork child
 * gets a side file of its own with the parent's log.  Prints the cost of
 * a capture as notes.  Each unwinder runs in a child process of its own
 * (stack.c is set up once per process). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "sctrace/stack.h"
#include "tap.h"

uint64_t sth_init(const char *dir, const char *exe);
long sth_write(int fd, const void *buf, long n, uint32_t *id);
uint32_t sth_capture(void);
uint32_t sth_trapped(const void *uc);
void sth_note_map(unsigned nr, const long *args, long ret);
uint64_t sth_fork_child(void);

#define NCHECKS 35 /* per unwinder */
#define BARRIER() __asm__ volatile("" ::: "memory")

static char dir[64];
static volatile int nrep = 2;
static uint64_t image;

/* ---- the side file -------------------------------------------------- */

static struct sct_stk_hdr *side_map(pid_t pid, uint64_t img)
{
	char path[128];
	struct stat st;
	snprintf(path, sizeof path, "%s/%d-%llu.stk", dir, (int)pid,
		 (unsigned long long)img);
	int fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	return m == MAP_FAILED ? NULL : m;
}

static const uint64_t *frames(const struct sct_stk_hdr *h, uint32_t id,
			      unsigned *n)
{
	*n = 0;
	if (!h || id == 0 || id > h->nslots)
		return NULL;
	const struct sct_stk_slot *s =
		(const void *)((const char *)h + h->hdr_size +
			       (uint64_t)h->slot_size * SCT_STK_SLOT(id));
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != SCT_STK_READY)
		return NULL;
	*n = s->nframes;
	return (const uint64_t *)(s + 1);
}

static const char *sym(uint64_t ip)
{
	Dl_info i;
	if (!dladdr((void *)(ip - 1), &i) || !i.dli_sname)
		return "?";
	return i.dli_sname;
}

/* do frames 0.. of stack ID name the functions WANT (NULL-terminated)? */
static int frames_are(const struct sct_stk_hdr *h, uint32_t id,
		      const char *const *want)
{
	unsigned n, k = 0;
	const uint64_t *f = frames(h, id, &n);
	for (; want[k]; k++)
		if (k >= n || strcmp(sym(f[k]), want[k]) != 0)
			break;
	if (want[k]) {
		diag("stack %u has %u frames:", id, n);
		for (unsigned i = 0; i < n; i++)
			diag("  #%u %#llx %s", i, (unsigned long long)f[i],
			     sym(f[i]));
	}
	return !want[k];
}

struct mod_walk {
	const struct sct_mod_ent *e[4096];
	unsigned n;
};

static void mods(const struct sct_stk_hdr *h, struct mod_walk *w)
{
	const unsigned char *log = (const unsigned char *)h + h->mod_off;
	uint64_t end = __atomic_load_n(&h->mod_head, __ATOMIC_ACQUIRE);
	w->n = 0;
	if (end > h->mod_size)
		end = h->mod_size;
	for (uint64_t at = 0; at + sizeof(struct sct_mod_ent) <= end;) {
		const struct sct_mod_ent *e = (const void *)(log + at);
		if (e->len == 0)
			break;
		if (e->commit && w->n < 4096)
			w->e[w->n++] = e;
		at += e->len;
	}
}

static int ends_with(const char *s, const char *t)
{
	size_t a = strlen(s), b = strlen(t);
	return a >= b && strcmp(s + a - b, t) == 0;
}

/* ---- the calls ------------------------------------------------------ */

__attribute__((noinline)) long level2(uint32_t *id)
{
	long r = sth_write(1, "", 0, id);
	BARRIER();
	return r;
}

__attribute__((noinline)) long level1(uint32_t *id)
{
	long r = level2(id);
	BARRIER();
	return r + 1;
}

extern const char stk_after_syscall[];

/* with a frame of its own (a local on the stack): a leaf without one
 * loses its caller under the frame-pointer walk */
__attribute__((noinline, noclone)) long raw_level2(void)
{
	volatile long pad = 0;
	long r;
	__asm__ volatile("syscall\n"
			 ".globl stk_after_syscall\n"
			 "stk_after_syscall:"
			 : "=a"(r)
			 : "a"((long)SYS_getppid)
			 : "rcx", "r11", "memory");
	BARRIER();
	return r + pad;
}

__attribute__((noinline)) long raw_level1(void)
{
	long r = raw_level2();
	BARRIER();
	return r + 1;
}

/* The memo (stack.c): one call site reached through two callers of the
 * same shape, so the walk starts from the same ip, sp and bp and only a
 * return address deeper in the stack tells the two stacks apart. */
__attribute__((noinline)) long memo_a(uint32_t *id)
{
	long r = level1(id);
	BARRIER();
	return r;
}

__attribute__((noinline)) long memo_b(uint32_t *id)
{
	long r = level1(id);
	BARRIER();
	return r;
}

__attribute__((noinline)) void memo_calls(uint32_t ids[8])
{
	for (int i = 0; i < 8; i++)
		(i & 2 ? memo_b : memo_a)(&ids[i]);
}

static volatile uint32_t trap_id;
static volatile int trap_bench;
static volatile double trap_ns;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	(void)sig, (void)si;
	ucontext_t *uc = ucv;
	trap_id = sth_trapped(uc);
	if (trap_bench) {
		enum { N = 100000 };
		uint64_t t0 = now_ns();
		for (int i = 0; i < N; i++)
			sth_trapped(uc);
		trap_ns = (double)(now_ns() - t0) / N;
	}
	uc->uc_mcontext.gregs[REG_RAX] = 4242;
}

static int trap_getppid(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof f / sizeof f[0], f };
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -1;
	return 0;
}

/* 20 frames of recursion, then N captures: ns per capture */
static uint32_t deep_id;

__attribute__((noinline)) double deep(int d, int n)
{
	if (d > 0) {
		double r = deep(d - 1, n);
		BARRIER();
		return r;
	}
	uint64_t t0 = now_ns();
	for (int i = 0; i < n; i++)
		sth_capture();
	double ns = (double)(now_ns() - t0) / n;
	deep_id = sth_capture();
	return ns;
}

/* ---- the walk against libunwind's own unw_backtrace ------------------- */

/* The same site records with sth_write (the walk from the wrapper's
 * frame), with sth_write_here (unw_backtrace from inside, our frames
 * dropped) and calls unw_backtrace itself: frame 0 of each is a return
 * address in the calling function (three different ones), frames 1.. must
 * be the same.  Shapes: frame pointers everywhere, an rbp-based CFA (VLA),
 * a 100 KiB frame, no frame pointers (rsp-based CFAs, rbp saved as a
 * plain register), deep recursion, code without unwind info. */
typedef int (*bt_fn)(void **, int);
static bt_fn unw_bt; /* unw_backtrace, NULL without libunwind */

long sth_write_here(int fd, const void *buf, long n, uint32_t *id);
void sth_warm_thread(void);

/* noipa: never inlined, cloned (a clone has no dynamic symbol) or folded
 * with a function of the same body (the leaves of two shapes) */
#define NOIPA __attribute__((noipa))
/* test_stack is built with -fno-omit-frame-pointer: this takes it back
 * for one function */
#define NOFP __attribute__((optimize("omit-frame-pointer")))

#define EQ_BT 17 /* one more than the depth recorded */
struct eq {
	uint32_t id, hid; /* sth_write's, sth_write_here's */
	int nb;           /* unw_backtrace's */
	int live;         /* read after the call: big locals stay */
	void *buf[EQ_BT];
};

/* in the innermost function of each shape; a macro: the three calls
 * must be made by that function itself */
#define EQ_TAKE(e)                                              \
	do {                                                    \
		sth_write(1, "", 0, &(e)->id);                  \
		sth_write_here(1, "", 0, &(e)->hid);            \
		(e)->nb = unw_bt ? unw_bt((e)->buf, EQ_BT) : 0; \
		BARRIER();                                      \
	} while (0)

/* frame pointers everywhere */
NOIPA void plain3(struct eq *e)
{
	EQ_TAKE(e);
}

NOIPA void plain2(struct eq *e)
{
	plain3(e);
	BARRIER();
}

NOIPA void plain1(struct eq *e)
{
	plain2(e);
	BARRIER();
}

/* a VLA: the CFA is rbp-based even without -fno-omit-frame-pointer,
 * and rsp at the call is a run-time distance below it */
static volatile int vla_len = 3000;

NOIPA void vla3(struct eq *e)
{
	EQ_TAKE(e);
}

NOFP NOIPA void vla2(struct eq *e)
{
	volatile char v[vla_len];
	v[0] = 1;
	v[vla_len - 1] = 2;
	vla3(e);
	BARRIER();
	e->live = v[0] + v[vla_len - 1]; /* v lives across the call */
}

NOIPA void vla1(struct eq *e)
{
	vla2(e);
	BARRIER();
}

/* a 100 KiB frame without a frame pointer: CFA = rsp + 100 KiB, out of
 * the range a rule can be learnt in, so the walk hands over there */
NOIPA void big3(struct eq *e)
{
	EQ_TAKE(e);
}

NOFP NOIPA void big2(struct eq *e)
{
	volatile char big[100 << 10];
	big[0] = 1;
	big[sizeof big - 1] = 2;
	big3(e);
	BARRIER();
	e->live = big[0] + big[sizeof big - 1];
}

NOIPA void big1(struct eq *e)
{
	big2(e);
	BARRIER();
}

/* code without unwind info (a JIT's): jit1 calls a stub made at run
 * time (push rbp; mov rsp, rbp; call jit3; pop rbp; ret), which no
 * object's .eh_frame covers: its rule is libunwind's frame-pointer
 * guess (unwind.c's scratch mapping, made on first use) */
NOIPA void jit3(struct eq *e)
{
	EQ_TAKE(e);
}

NOIPA void jit1(struct eq *e)
{
	static void (*stub)(struct eq *);
	if (!stub) {
		unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return;
		static const unsigned char code[] = {
			0x55,             /* push %rbp */
			0x48, 0x89, 0xe5, /* mov %rsp,%rbp */
			0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, /* movabs $jit3,%rax */
			0xff, 0xd0,       /* call *%rax */
			0x5d,             /* pop %rbp */
			0xc3,             /* ret */
		};
		memcpy(p, code, sizeof code);
		uint64_t to = (uint64_t)(uintptr_t)&jit3;
		memcpy(p + 6, &to, 8);
		if (mprotect(p, 4096, PROT_READ | PROT_EXEC) != 0)
			return;
		stub = (void (*)(struct eq *))(uintptr_t)p;
	}
	stub(e);
	BARRIER();
}

/* no frame pointers: rsp-based CFAs; nofp1 uses rbp as a plain
 * callee-saved register (saved, then set to junk), so the walk must take
 * its caller's rbp from the stack to get on from there */
NOFP NOIPA void nofp3(struct eq *e)
{
	EQ_TAKE(e);
}

NOFP NOIPA void nofp2(struct eq *e)
{
	nofp3(e);
	BARRIER();
}

NOFP NOIPA void nofp1(struct eq *e)
{
	__asm__ volatile("mov $0x5bad, %%ebp" ::: "rbp");
	nofp2(e);
	BARRIER();
}

/* recursion 30 deep: 16 frames kept */
NOIPA void recur(struct eq *e, int d)
{
	if (d > 0)
		recur(e, d - 1);
	else
		EQ_TAKE(e);
	BARRIER();
}

NOIPA void recur30(struct eq *e)
{
	recur(e, 30);
	BARRIER();
}

static void show(const char *what, const uint64_t *f, unsigned n)
{
	diag("  %s, %u frames:", what, n);
	for (unsigned i = 0; i < n; i++)
		diag("    #%u %#llx %s", i, (unsigned long long)f[i],
		     sym(f[i]));
}

/* stack ID, taken in FN, against unw_backtrace's E->buf taken there too:
 * frame 0 and buf[0] in FN, then the same frames, as many (up to the
 * depth).  CUT (fp mode): compare only through the frame in function
 * CUT if there is one: the libc frames beyond keep no frame pointer. */
static int same_as_unw(const struct sct_stk_hdr *h, uint32_t id,
		       const struct eq *e, const char *fn, const char *cut)
{
	unsigned n, nb = e->nb > 0 ? (unsigned)e->nb : 0;
	const uint64_t *f = frames(h, id, &n);
	uint64_t b[EQ_BT];
	for (unsigned i = 0; i < nb; i++)
		b[i] = (uint64_t)(uintptr_t)e->buf[i];
	unsigned m = nb < h->depth ? nb : h->depth;
	int upto = 0;
	for (unsigned k = 1; cut && k < m && !upto; k++)
		if (strcmp(sym(b[k]), cut) == 0)
			m = k + 1, upto = 1;
	int same = f && m >= 2 && (upto ? n >= m : n == m) &&
		   strcmp(sym(f[0]), fn) == 0 && strcmp(sym(b[0]), fn) == 0;
	for (unsigned i = 1; same && i < m; i++)
		same = f[i] == b[i];
	if (!same) {
		diag("stack %u (from %s) is not unw_backtrace's%s%s:", id, fn,
		     upto ? " through " : "", upto ? cut : "");
		show("recorded", f, f ? n : 0);
		show("unw_backtrace", b, nb);
	}
	return same;
}

/* the stacks of sth_write and sth_write_here at one site (in FN): the
 * same but for frame 0, which is in FN for both */
static int here_same(const struct sct_stk_hdr *h, const struct eq *e,
		     const char *fn)
{
	unsigned n, nh;
	const uint64_t *f = frames(h, e->id, &n), *g = frames(h, e->hid, &nh);
	int same = f && g && n == nh && n >= 1 && f[0] != g[0] &&
		   strcmp(sym(f[0]), fn) == 0 && strcmp(sym(g[0]), fn) == 0;
	for (unsigned i = 1; same && i < n; i++)
		same = f[i] == g[i];
	if (!same) {
		diag("stack %u of sth_write_here (from %s) is not "
		     "sth_write's %u:", e->hid, fn, e->id);
		show("sth_write", f, f ? n : 0);
		show("sth_write_here", g, g ? nh : 0);
	}
	return same;
}

/* a signal handler on the program's stack, raised from a known chain */
static struct eq sig_eq;

void on_sigusr1(int sig)
{
	(void)sig;
	EQ_TAKE(&sig_eq);
}

/* the same on a signal stack (sigaltstack, SA_ONSTACK): the walk goes
 * from that stack across the signal frame to the thread's own */
static struct eq alt_eq;

void on_sigusr1_alt(int sig)
{
	(void)sig;
	EQ_TAKE(&alt_eq);
}

NOIPA void sigchain_level2(void)
{
	raise(SIGUSR1);
	BARRIER();
}

NOIPA void sigchain_level1(void)
{
	sigchain_level2();
	BARRIER();
}

/* do the frames of stack ID name FIRST at frame 0, then the functions
 * WANT (NULL-terminated) in that order, others in between? */
static int frames_through(const struct sct_stk_hdr *h, uint32_t id,
			  const char *first, const char *const *want)
{
	unsigned n, k = 0;
	const uint64_t *f = frames(h, id, &n);
	int good = f && n >= 1 && strcmp(sym(f[0]), first) == 0;
	for (unsigned i = 1; good && i < n && want[k]; i++)
		if (strcmp(sym(f[i]), want[k]) == 0)
			k++;
	if (!good || want[k]) {
		diag("stack %u: want %s first, then %s ...", id, first,
		     want[k] ? want[k] : "");
		show("recorded", f, f ? n : 0);
		return 0;
	}
	return 1;
}

/* a thread: level1 twice from one site, then the chain of 3 */
struct thr {
	int warm; /* as the tracer does when a thread's ring is made */
	uint32_t ids[2];
	struct eq e;
};

void *thread_main(void *p)
{
	struct thr *t = p;
	if (t->warm)
		sth_warm_thread();
	for (int i = 0; i < nrep; i++) /* one call site */
		level1(&t->ids[i]);
	plain1(&t->e);
	BARRIER();
	return NULL;
}

/* a thread whose first capture is made by a handler on its signal stack:
 * that stack is not taken for the thread's own, which is found by the
 * first capture off it */
struct alt_thr {
	uint32_t hid, ids[2];
};
static __thread struct alt_thr *alt_cur;

void on_sigusr2_alt(int sig)
{
	(void)sig;
	sth_write(1, "", 0, &alt_cur->hid);
	BARRIER(); /* not a tail call: frame 0 in the handler */
}

void *alt_thread_main(void *p)
{
	struct alt_thr *t = p;
	alt_cur = t;
	stack_t ss = { .ss_size = 64 << 10 };
	ss.ss_sp = mmap(NULL, ss.ss_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL) != 0)
		return NULL;
	raise(SIGUSR2);
	for (int i = 0; i < nrep; i++) /* one call site */
		level1(&t->ids[i]);
	BARRIER();
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	return NULL;
}

/* the library's exec mapping, as the loader's mmap reported it */
static int lib_mapping(const char *path, long a[6], uint64_t *lo_all,
		       uint64_t *hi_all)
{
	char line[4200], rp[4096];
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f || !realpath(path, rp))
		return -1;
	int found = -1;
	*lo_all = UINT64_MAX, *hi_all = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long long lo, hi, off;
		char perms[5];
		int pos = 0;
		if (sscanf(line, "%llx-%llx %4s %llx %*s %*s %n", &lo, &hi, perms,
			   &off, &pos) < 4 || !pos)
			continue;
		line[strcspn(line, "\n")] = 0;
		if (strcmp(line + pos, rp) != 0)
			continue;
		if (lo < *lo_all)
			*lo_all = lo;
		if (hi > *hi_all)
			*hi_all = hi;
		if (perms[2] == 'x') {
			int fd = open(rp, O_RDONLY | O_CLOEXEC);
			long v[6] = { (long)lo, (long)(hi - lo), PROT_READ | PROT_EXEC,
				      MAP_PRIVATE | MAP_FIXED, fd, (long)off };
			memcpy(a, v, sizeof v);
			found = 0;
		}
	}
	fclose(f);
	return found;
}

/* ---- one unwinder --------------------------------------------------- */

/* exported (-rdynamic), for dladdr: the callers of level1 */
int checks(const char *mode, int base);

int checks(const char *mode, int base)
{
	char exe[4096];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[k > 0 ? k : 0] = 0;
	setenv("SCTRACE_UNWIND", mode, 1);
	setenv("SCTRACE_STACK", "16", 1);
	image = sth_init(dir, exe);
	struct sct_stk_hdr *h = side_map(getpid(), image);
#define OK(c, ...) ok(c, "%s: " __VA_ARGS__)
	tap_run = base - 1;
	OK(h && h->magic == SCT_STK_MAGIC && h->depth == 16 &&
		   h->pid == (uint32_t)getpid() &&
		   h->unwind == (strcmp(mode, "fp") == 0	  ? SCT_UNWIND_FP
				 : strcmp(mode, "eh") == 0 ? SCT_UNWIND_EH
							   : SCT_UNWIND_LIBUNWIND),
	   "side file %s/PID-IMAGE.stk, header", mode, dir);
	if (!h)
		return 1;

	struct mod_walk *w = calloc(1, sizeof *w);
	mods(h, w);
	int has_exe = 0, has_vdso = 0;
	for (unsigned i = 0; i < w->n; i++) {
		const char *p = (const char *)(w->e[i] + 1);
		has_exe |= w->e[i]->op == SCT_MOD_MAP && strcmp(p, exe) == 0 &&
			   w->e[i]->ts == image;
		has_vdso |= strcmp(p, "[vdso]") == 0;
	}
	OK(has_exe && has_vdso, "start snapshot: the program and [vdso]", mode);

	uint32_t ids[2] = { 0, 0 };
	for (int i = 0; i < nrep; i++) /* one call site */
		level1(&ids[i]);
	OK(frames_are(h, ids[0], (const char *const[]){ "level2", "level1",
							"checks", "main",
							NULL }),
	   "wrapped call: level2, level1, checks, main", mode);
	OK(ids[1] == ids[0], "the same stack again: the same id", mode);

	/* a library that comes and goes */
	void *lib = dlopen(STACKLIB, RTLD_NOW);
	long (*l1)(uint32_t *) = lib ? (long (*)(uint32_t *))dlsym(lib, "lib_level1") : NULL;
	uint32_t lid = 0;
	if (l1)
		l1(&lid);
	OK(l1 && frames_are(h, lid, (const char *const[]){ "lib_level2",
							   "lib_level1", "checks",
							   "main", NULL }),
	   "wrapped call from a dlopen'ed library", mode);
	long a[6] = { 0 };
	uint64_t lo_all = 0, hi_all = 0;
	int have = lib ? lib_mapping(STACKLIB, a, &lo_all, &hi_all) : -1;
	if (have == 0) {
		sth_note_map(SYS_mmap, a, a[0]);
		close((int)a[4]);
		/* not executable: nothing logged */
		long rw[6] = { (long)hi_all, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0 };
		sth_note_map(SYS_mmap, rw, (long)hi_all);
		long bad[6] = { a[0], a[1], a[2], a[3], a[4], a[5] };
		sth_note_map(SYS_mmap, bad, -ENOMEM); /* failed: nothing */
	}
	unsigned before = (mods(h, w), w->n);
	if (lib)
		dlclose(lib);
	long um[6] = { (long)lo_all, (long)(hi_all - lo_all), 0, 0, 0, 0 };
	if (have == 0)
		sth_note_map(SYS_munmap, um, 0);
	long um2[6] = { (long)hi_all + (1l << 30), 1 << 20, 0, 0, 0, 0 };
	sth_note_map(SYS_munmap, um2, 0); /* nothing exec there: nothing */
	mods(h, w);
	const struct sct_mod_ent *m = w->n >= 2 ? w->e[w->n - 2] : NULL,
				 *u = w->n >= 2 ? w->e[w->n - 1] : NULL;
	OK(have == 0 && before + 1 == w->n && m && m->op == SCT_MOD_MAP &&
		   ends_with((const char *)(m + 1), "libsct_stacklib.so") &&
		   m->start == (uint64_t)a[0] && m->offset == (uint64_t)a[5] &&
		   m->ts > image,
	   "dlopen: MAP of the library's text, its path and offset", mode);
	OK(u && u->op == SCT_MOD_UNMAP && u->start == lo_all &&
		   u->end == hi_all && u->ts >= m->ts,
	   "dlclose: UNMAP of the library, nothing else", mode);

	/* a trapped raw syscall */
	if (trap_getppid() < 0) {
		skip(4, "no seccomp filter here");
	} else {
		long r = raw_level1();
		OK(r == 4243 && trap_id != 0, "trapped: handler ran, stack id", mode);
		unsigned n;
		const uint64_t *f = frames(h, trap_id, &n);
		OK(f && n >= 1 && f[0] == (uint64_t)(uintptr_t)stk_after_syscall,
		   "trapped: frame 0 is the instruction after the syscall", mode);
		OK(frames_are(h, trap_id, (const char *const[]){ "raw_level2",
								 "raw_level1",
								 "checks", "main",
								 NULL }),
		   "trapped: raw_level2, raw_level1, checks, main", mode);
		trap_bench = 1;
		raw_level1();
		trap_bench = 0;
		note("%s: %.0f ns per sct_stack_trapped() (3 frames + libc start)",
		     mode, trap_ns);
		OK(trap_ns > 0, "trapped: timed", mode);
	}

	/* a fork child: a side file of its own, with the parent's log */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		uint64_t img = sth_fork_child();
		struct sct_stk_hdr *c = side_map(getpid(), img);
		struct mod_walk *cw = calloc(1, sizeof *cw);
		uint32_t cid = 0;
		level1(&cid);
		if (c)
			mods(c, cw);
		_exit(!c || c->pid != (uint32_t)getpid() || cw->n != w->n ||
		      !frames_are(c, cid, (const char *const[]){ "level2", "level1",
								  "checks", "main",
								  NULL }));
	}
	int st = 0;
	waitpid(pid, &st, 0);
	OK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "fork child: own side file, the parent's module log, its own stacks",
	   mode);

	double ns = deep(20, 200000);
	note("%s: %.0f ns per sct_stack_wrapped() (16 frames kept, 20+ deep)",
	     mode, ns);
	unsigned n;
	frames(h, deep_id, &n);
	OK(ns > 0 && n == 16, "deep stack: 16 frames kept", mode);

	/* the walk against unw_backtrace: several frame shapes */
	void *ul = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
	unw_bt = ul ? (bt_fn)dlsym(ul, "unw_backtrace") : NULL;
	int fp = strcmp(mode, "fp") == 0;
	static const char no_unw[] = "no unw_backtrace in libunwind.so.8";
	static const struct {
		void (*run)(struct eq *);
		const char *fn, *what;
		int all_fp; /* every frame keeps a frame pointer */
	} shapes[] = {
		{ plain1, "plain3", "a chain of 3", 1 },
		{ vla1, "vla3", "a VLA in the chain (rbp-based CFA)", 1 },
		{ big1, "big3", "a 100 KiB frame in the chain",
		  0 },
		{ nofp1, "nofp3", "3 frames without frame pointers", 0 },
		{ recur30, "recur", "recursion 30 deep", 1 },
		{ jit1, "jit3", "code without unwind info (a JIT stub)", 1 },
	};
	for (unsigned i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		struct eq e;
		memset(&e, 0, sizeof e);
		shapes[i].run(&e);
		if (!unw_bt)
			skip(1, no_unw);
		else if (fp && !shapes[i].all_fp)
			skip(1, "fp mode: a frame without a frame pointer "
				"loses its caller");
		else
			OK(same_as_unw(h, e.id, &e, shapes[i].fn,
				       fp ? "main" : NULL),
			   "%s: the same frames as unw_backtrace", mode,
			   shapes[i].what);
		OK(here_same(h, &e, shapes[i].fn),
		   "%s: sth_write_here: sth_write's frames but frame 0", mode,
		   shapes[i].what);
	}

	/* a signal frame on the way (the handler on the same stack) */
	struct sigaction sa, old_sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigusr1;
	sigemptyset(&sa.sa_mask);
	memset(&sig_eq, 0, sizeof sig_eq);
	if (sigaction(SIGUSR1, &sa, &old_sa) == 0) {
		sigchain_level1();
		sigaction(SIGUSR1, &old_sa, NULL);
	}
	OK(frames_through(h, sig_eq.id, "on_sigusr1",
			  (const char *const[]){ NULL }),
	   "signal handler: frame 0 in the handler", mode);
	stack_t ss = { .ss_size = 64 << 10 }, old_ss;
	ss.ss_sp = mmap(NULL, ss.ss_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(&alt_eq, 0, sizeof alt_eq);
	sa.sa_handler = on_sigusr1_alt;
	sa.sa_flags = SA_ONSTACK;
	if (ss.ss_sp != MAP_FAILED && sigaltstack(&ss, &old_ss) == 0) {
		if (sigaction(SIGUSR1, &sa, &old_sa) == 0) {
			sigchain_level1();
			sigaction(SIGUSR1, &old_sa, NULL);
		}
		sigaltstack(&old_ss, NULL);
	}
	if (fp)
		skip(1, "fp mode: libc's frames between the handler and the "
			"interrupted code keep no frame pointer");
	else
		OK(frames_through(h, alt_eq.id, "on_sigusr1_alt",
				  (const char *const[]){ "sigchain_level2",
							 "sigchain_level1",
							 "checks", "main",
							 NULL }),
		   "handler on a sigaltstack: on across the signal frame to "
		   "the thread's stack: sigchain_level2, sigchain_level1, "
		   "checks, main", mode);
	if (fp) {
		skip(2, "fp mode: libc's frames between the handler and the "
			"interrupted code keep no frame pointer");
	} else {
		OK(frames_through(h, sig_eq.id, "on_sigusr1",
				  (const char *const[]){ "sigchain_level2",
							 "sigchain_level1",
							 "checks", "main",
							 NULL }),
		   "signal handler: on across the signal frame to "
		   "sigchain_level2, sigchain_level1, checks, main", mode);
		if (!unw_bt)
			skip(1, no_unw);
		else
			OK(same_as_unw(h, sig_eq.id, &sig_eq, "on_sigusr1",
				       NULL) &&
				   same_as_unw(h, sig_eq.hid, &sig_eq,
					       "on_sigusr1", NULL),
			   "signal handler: the same frames as unw_backtrace "
			   "(sth_write, sth_write_here)", mode);
	}

	/* threads: one as it comes (its stack not looked up yet), one
	 * warmed as the tracer does when it makes a thread's ring */
	int tgood[3] = { 1, 1, 1 };
	for (int warm = 0; warm < 2; warm++) {
		struct thr t;
		memset(&t, 0, sizeof t);
		t.warm = warm;
		pthread_t th;
		if (pthread_create(&th, NULL, thread_main, &t) != 0 ||
		    pthread_join(th, NULL) != 0) {
			diag("pthread_create/join failed");
			tgood[0] = tgood[1] = tgood[2] = 0;
			continue;
		}
		tgood[0] &= frames_are(h, t.ids[0], (const char *const[]){
						       "level2", "level1",
						       "thread_main", NULL });
		tgood[1] &= t.ids[0] != 0 && t.ids[1] == t.ids[0];
		tgood[2] &= (!unw_bt ||
			     same_as_unw(h, t.e.id, &t.e, "plain3",
					 fp ? "thread_main" : NULL)) &&
			    here_same(h, &t.e, "plain3");
	}
	/* a, a, b, b, a, a, b, b */
	uint32_t mids[8];
	memo_calls(mids);
	int mgood = mids[0] != mids[2];
	for (int i = 0; i < 8; i++)
		mgood &= mids[i] == mids[i & 2];
	OK(mgood, "one site through two callers, alternately: two stacks, "
		  "each with its own id every time", mode);
	OK(frames_are(h, mids[0], (const char *const[]){ "level2", "level1",
		       "memo_a", "memo_calls", "checks", NULL }) &&
		   frames_are(h, mids[2], (const char *const[]){ "level2",
			      "level1", "memo_b", "memo_calls", "checks",
			      NULL }),
	   "one site through two callers: memo_a's and memo_b's frames",
	   mode);

	{
		struct sigaction sa2, old2;
		memset(&sa2, 0, sizeof sa2);
		sa2.sa_handler = on_sigusr2_alt;
		sa2.sa_flags = SA_ONSTACK;
		struct alt_thr at;
		memset(&at, 0, sizeof at);
		pthread_t th;
		int good = sigaction(SIGUSR2, &sa2, &old2) == 0 &&
			   pthread_create(&th, NULL, alt_thread_main, &at) == 0 &&
			   pthread_join(th, NULL) == 0;
		sigaction(SIGUSR2, &old2, NULL);
		if (!good || at.ids[1] != at.ids[0])
			diag("alt thread: good %d, ids %u %u %u", good, at.hid,
			     at.ids[0], at.ids[1]);
		OK(good && frames_through(h, at.hid, "on_sigusr2_alt",
					  (const char *const[]){ NULL }) &&
			   frames_are(h, at.ids[0], (const char *const[]){
					      "level2", "level1",
					      "alt_thread_main", NULL }) &&
			   at.ids[1] == at.ids[0],
		   "a thread's first capture on its signal stack: later "
		   "ones off it have level2, level1, alt_thread_main", mode);
	}

	OK(tgood[0], "threads: level2, level1, thread_main", mode);
	OK(tgood[1], "threads: the same stack again: the same id", mode);
	OK(tgood[2], "threads: a chain of 3: the same frames as "
		     "unw_backtrace and sth_write_here", mode);
	free(w);
	return tap_failed;
}

int main(void)
{
	static const char *const modes[] = { "eh", "libunwind", "fp" };
	const int nmodes = (int)(sizeof modes / sizeof *modes);
	snprintf(dir, sizeof dir, "/tmp/sct-test-stack-XXXXXX");
	if (!mkdtemp(dir))
		bail_out("mkdtemp: %s", strerror(errno));
	plan(nmodes * NCHECKS);
	int failed = 0;
	for (int i = 0; i < nmodes; i++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0)
			_exit(checks(modes[i], 1 + i * NCHECKS) ? 1 : 0);
		int st = 0;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			diag("%s: child failed (status %#x)", modes[i], st);
			failed = 1;
		}
	}
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cannot remove %s", dir);
	return failed;
}
