/* sudbare N: the bare cost of one Syscall User Dispatch round trip, the
 * floor under any SUD tracer.  No sctrace: this program arms SUD itself.
 *
 * Prints one line, four numbers, ns per call of a raw getppid (a
 * `syscall` instruction, nr 110, in this program's code), each the fastest
 * of SLICES slices of N/SLICES calls (as bench/loop):
 *   native   before SUD is armed
 *   allowed  SUD armed, selector ALLOW: the kernel's dispatch check only
 *            (what a wrapped call pays under sctrace's trap layer)
 *   trapped  selector BLOCK: SIGSYS, a handler that only re-issues the
 *            call from the allowed region with the six arguments of the
 *            ucontext and writes RAX, rt_sigreturn through its own
 *            restorer.  Nothing recorded, nothing decoded.
 *   direct   the same handler returning as sctrace's does, without
 *            rt_sigreturn: sct_trap_resume (preload/resume.S, linked in)
 *            restores the registers from the ucontext itself.
 *
 * The allowed region is the section sudgate (__start_/__stop_ symbols):
 * the gate and the restorer, nothing else.  The kernel tests the address
 * after the syscall instruction, so a ud2 ends the region.  The handler is
 * installed with the raw rt_sigaction, SA_RESTORER pointing into the
 * region (glibc's restorer lies outside it: its rt_sigreturn would trap),
 * and with SA_NODEFER and an empty mask, as sctrace installs its own.
 * Exit 77 when the kernel has no SUD (Linux < 5.11). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>

#define NR_getppid 110
#define NR_rt_sigaction 13
#define NR_prctl 157
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#define PR_SYS_DISPATCH_OFF 0
#define SEL_ALLOW 0
#define SEL_BLOCK 1
#define K_SA_SIGINFO 4ul
#define K_SA_RESTORER 0x04000000ul
#define K_SA_NODEFER 0x40000000ul

/* the kernel's struct sigaction (x86-64) */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

/* long gate_raw(nr, a, b, c, d, e, f): -errno on failure, errno untouched */
long gate_raw(long nr, long a, long b, long c, long d, long e, long f)
	__attribute__((visibility("hidden")));
void gate_restorer(void) __attribute__((visibility("hidden")));
extern char __start_sudgate[] __attribute__((visibility("hidden")));
extern char __stop_sudgate[] __attribute__((visibility("hidden")));

__asm__(".pushsection sudgate, \"ax\", @progbits\n"
	".globl gate_raw\n"
	".hidden gate_raw\n"
	".type gate_raw, @function\n"
	"gate_raw:\n"
	"	mov %rdi, %rax\n"
	"	mov %rsi, %rdi\n"
	"	mov %rdx, %rsi\n"
	"	mov %rcx, %rdx\n"
	"	mov %r8, %r10\n"
	"	mov %r9, %r8\n"
	"	mov 8(%rsp), %r9\n"
	"	syscall\n"
	"	ret\n"
	".size gate_raw, . - gate_raw\n"
	".globl gate_restorer\n"
	".hidden gate_restorer\n"
	".type gate_restorer, @function\n"
	"gate_restorer:\n"
	"	mov $15, %eax\n"
	"	syscall\n"
	"	ud2\n"
	".size gate_restorer, . - gate_restorer\n"
	".popsection\n");

void sct_trap_resume(ucontext_t *uc) __attribute__((noreturn));

static volatile char selector = SEL_ALLOW;
static volatile int direct; /* return through sct_trap_resume */
static volatile long sink;  /* results are used: the calls are not dropped */
static volatile long traps; /* handler runs: proves the calls did trap */

/* getppid through a `syscall` instruction outside the allowed region */
static inline long raw_getppid(void)
{
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "0"((long)NR_getppid)
			 : "rcx", "r11", "memory");
	return r;
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	traps++;
	greg_t *g = ((ucontext_t *)ucv)->uc_mcontext.gregs;
	g[REG_RAX] = gate_raw(g[REG_RAX], g[REG_RDI], g[REG_RSI], g[REG_RDX],
			      g[REG_R10], g[REG_R8], g[REG_R9]);
	if (direct)
		sct_trap_resume(ucv);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void run(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += raw_getppid();
	sink = s;
}

/* ns per call, fastest slice; the selector is SEL only while calls run
 * (clock_gettime may fall back to a syscall on some clock sources) */
static double measure(long n, char sel)
{
	enum { SLICES = 10 };
	long per = n / SLICES > 0 ? n / SLICES : 1;
	double best = 0;
	selector = sel;
	run(per / 100 < 1000 ? per / 100 + 1 : 1000); /* warm up */
	selector = SEL_ALLOW;
	for (int k = 0; k < SLICES; k++) {
		double t0 = now();
		selector = sel;
		run(per);
		selector = SEL_ALLOW;
		double t = (now() - t0) / per;
		if (k == 0 || t < best)
			best = t;
	}
	return best;
}

int main(int argc, char **argv)
{
	long n = argc == 2 ? atol(argv[1]) : 0;
	if (n <= 0) {
		fprintf(stderr, "usage: sudbare N   (prints: native allowed "
				"trapped direct, ns per raw getppid)\n");
		return 2;
	}
	long ppid = raw_getppid();
	double native = measure(n, SEL_ALLOW);

	struct ksigaction act = { (void *)on_sigsys,
				  K_SA_SIGINFO | K_SA_NODEFER | K_SA_RESTORER,
				  (void *)gate_restorer, 0 };
	long r = gate_raw(NR_rt_sigaction, SIGSYS, (long)&act, 0, 8, 0, 0);
	if (r < 0) {
		fprintf(stderr, "sudbare: rt_sigaction: error %ld\n", -r);
		return 1;
	}
	r = gate_raw(NR_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
		     (long)__start_sudgate,
		     (long)(__stop_sudgate - __start_sudgate), (long)&selector,
		     0);
	if (r < 0) {
		fprintf(stderr,
			"sudbare: Syscall User Dispatch unavailable "
			"(error %ld; Linux >= 5.11 needed)\n",
			-r);
		return 77;
	}
	/* the trapped call must return what the kernel returns */
	selector = SEL_BLOCK;
	long trapped_ppid = raw_getppid();
	selector = SEL_ALLOW;
	if (traps != 1 || trapped_ppid != ppid) {
		fprintf(stderr,
			"sudbare: trapped getppid: %ld trap(s), "
			"returned %ld, not %ld\n",
			traps, trapped_ppid, ppid);
		return 1;
	}
	double allowed = measure(n, SEL_ALLOW);
	double trapped = measure(n, SEL_BLOCK);
	direct = 1;
	double direct_ns = measure(n, SEL_BLOCK);
	gate_raw(NR_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0,
		 0, 0, 0);
	printf("%.1f %.1f %.1f %.1f\n", native, allowed, trapped, direct_ns);
	return 0;
}
