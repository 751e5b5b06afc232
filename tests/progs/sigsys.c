/* A program hostile to a SIGSYS-based trap layer (issue 4): each mode does
 * what real programs do with signals, seccomp and vfork, and checks that it
 * still sees exactly what it would see untraced (TAP: "ok N - ..." or
 * "not ok N - ..."; exit 0 only when all passed).  Natively every mode passes.
 *
 *   sigsys block     SIGSYS blocked (sigprocmask; pthread_sigmask in a second
 *                    thread): raw and libc calls work; sigprocmask and a raw
 *                    rt_sigprocmask still report SIGSYS blocked; a mask change
 *                    made by a raw rt_sigprocmask takes effect
 *   sigsys pending   a SIGSYS the program sends itself while SIGSYS is blocked
 *                    stays pending and reaches its handler once, on unblock
 *   sigsys handler   its own SA_SIGINFO SIGSYS handler: runs once per raise()
 *                    (SI_TKILL), kill() (SI_USER), sigqueue() (SI_QUEUE), never
 *                    for a raw syscall; sigaction and a raw rt_sigaction report
 *                    it; SIG_IGN and SIG_DFL for SIGSYS do not break raw calls
 *   sigsys seccomp   its own seccomp filter: getpriority fails with EPERM
 *                    (SECCOMP_RET_ERRNO; getpriority because neither libc nor
 *                    a tracer has a reason to call it), in the program, a
 *                    thread, a fork child; exec still works
 *   sigsys altstack  sigaltstack + SA_ONSTACK handlers (SIGUSR1, and a real
 *                    SIGSEGV) that make raw syscalls; sigaltstack reports the
 *                    program's own stack
 *   sigsys longjmp   siglongjmp out of SIGUSR1, SIGSEGV and its own SIGSYS
 *                    handlers that made raw syscalls, 100 times each
 *   sigsys vfork     vfork+execve, vfork+_exit, raw vfork + raw exit(7), raw
 *                    vfork + raw execve, raw clone(CLONE_VM|CLONE_VFORK) on the
 *                    same stack + raw exit(9), raw fork
 *   sigsys probe     not a test: prints "sud 0|1" and "seccomp 0|1", what
 *                    the kernel supports (for the harness)
 *
 * Every mode but probe ends with MARKERS raw getppid calls, the main
 * thread's only raw getppid calls (libc getppid() is called elsewhere): a
 * harness can check that the trap layer still records after the mode's
 * hostilities. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#define SYSCALL_DISPATCH_FILTER_ALLOW 0
#endif

#define MARKERS 5

extern char **environ;

#include "deny.h"
#include "raw.h"

/* the kernel's sigset for rt_sigprocmask/rt_sigaction: 64 bits */
#define KSIGSET 8
#define KBIT(sig) (1ul << ((sig)-1))

struct ksigaction { /* x86-64 struct sigaction of the kernel */
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

/* n raw getpid calls; 1 when all returned the real pid */
static int raw_getpids(int n)
{
	long want = getpid(), bad = 0;
	for (int i = 0; i < n; i++)
		bad += raw0(SYS_getpid) != want;
	return bad == 0;
}

/* raw openat of /dev/null then close: 1 when both worked */
static int raw_open_close(void)
{
	long fd = raw4(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY, 0);
	return fd >= 0 && raw1(SYS_close, fd) == 0;
}

/* libc calls, wrapped (open, close) and internal (opendir/readdir: openat
 * and getdents64; a 4 MiB malloc: mmap and munmap) */
static int libc_calls(void)
{
	int fd = open("/dev/null", O_RDONLY);
	int good = fd >= 0 && close(fd) == 0;
	DIR *d = opendir("/");
	good = good && d && readdir(d) != NULL;
	if (d)
		closedir(d);
	char *p = malloc(4 << 20);
	good = good && p;
	if (p)
		p[0] = p[(4 << 20) - 1] = 1;
	free(p);
	return good && getppid() > 0;
}

static int blocked(int sig)
{
	sigset_t cur;
	return sigprocmask(SIG_BLOCK, NULL, &cur) == 0 &&
	       sigismember(&cur, sig);
}

static void end_markers(void)
{
	long want = getppid(), bad = 0;
	for (int i = 0; i < MARKERS; i++)
		bad += raw0(SYS_getppid) != want;
	ok(bad == 0, "%d raw getppid markers", MARKERS);
}

/* ---- block ---------------------------------------------------------------- */

struct thr_res {
	int mask_ok, raw_ok, libc_ok, still_blocked;
};

static void *block_thread(void *arg)
{
	struct thr_res *res = arg;
	sigset_t s, cur;
	sigemptyset(&s);
	sigaddset(&s, SIGSYS);
	res->mask_ok = pthread_sigmask(SIG_BLOCK, &s, NULL) == 0;
	res->raw_ok = raw_getpids(100) && raw_open_close();
	res->libc_ok = libc_calls();
	res->still_blocked = pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0 &&
			     sigismember(&cur, SIGSYS);
	return NULL;
}

static volatile sig_atomic_t usr2_count;
static void on_usr2(int sig)
{
	(void)sig;
	usr2_count++;
}

static void mode_block(void)
{
	struct thr_res res = { 0 };
	pthread_t t;
	int made = pthread_create(&t, NULL, block_thread, &res) == 0;
	if (made)
		pthread_join(t, NULL);
	ok(made && res.mask_ok, "thread: pthread_sigmask blocks SIGSYS");
	ok(res.raw_ok, "thread: raw syscalls with SIGSYS blocked");
	ok(res.libc_ok, "thread: libc calls with SIGSYS blocked");
	ok(res.still_blocked, "thread: pthread_sigmask reports SIGSYS blocked");
	ok(!blocked(SIGSYS), "main thread's mask unchanged by the thread's");

	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGSYS);
	ok(sigprocmask(SIG_BLOCK, &s, NULL) == 0, "sigprocmask blocks SIGSYS");
	ok(raw_getpids(200), "raw getpid with SIGSYS blocked");
	ok(raw_open_close(), "raw openat+close with SIGSYS blocked");
	ok(libc_calls(), "libc calls with SIGSYS blocked");
	ok(blocked(SIGSYS),
	   "sigprocmask(0, NULL, &old) reports SIGSYS blocked");
	unsigned long kold = 0;
	long r = raw4(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &kold, KSIGSET);
	ok(r == 0 && (kold & KBIT(SIGSYS)),
	   "raw rt_sigprocmask reports SIGSYS blocked (%ld, %#lx)", r, kold);

	/* a raw rt_sigprocmask changes the program's mask like sigprocmask */
	signal(SIGUSR2, on_usr2);
	unsigned long add = KBIT(SIGUSR2);
	r = raw4(SYS_rt_sigprocmask, SIG_BLOCK, &add, NULL, KSIGSET);
	ok(r == 0 && blocked(SIGUSR2), "raw rt_sigprocmask blocks SIGUSR2");
	raise(SIGUSR2);
	sigset_t pend;
	sigemptyset(&pend);
	sigpending(&pend);
	ok(usr2_count == 0 && sigismember(&pend, SIGUSR2),
	   "SIGUSR2 blocked by the raw call stays pending");
	r = raw4(SYS_rt_sigprocmask, SIG_UNBLOCK, &add, NULL, KSIGSET);
	int count = usr2_count;
	ok(r == 0 && count == 1 && !blocked(SIGUSR2),
	   "raw rt_sigprocmask unblocks SIGUSR2: delivered once (%d)", count);

	/* everything blocked */
	sigset_t full, prev;
	sigfillset(&full);
	ok(sigprocmask(SIG_SETMASK, &full, &prev) == 0 && raw_getpids(50) &&
		   raw_open_close() && libc_calls(),
	   "all signals blocked: raw and libc calls work");
	ok(blocked(SIGSYS) && blocked(SIGSEGV) && blocked(SIGUSR1) &&
		   blocked(SIGINT),
	   "all signals blocked: sigprocmask reports them");
	sigprocmask(SIG_SETMASK, &prev, NULL);
	ok(sigprocmask(SIG_UNBLOCK, &s, NULL) == 0 && !blocked(SIGSYS) &&
		   raw_getpids(10),
	   "SIGSYS unblocked again: reported, raw calls work");
	ok(blocked(SIGSYS) == 0 && sigprocmask(SIG_BLOCK, &s, NULL) == 0,
	   "SIGSYS blocked for the markers");
}

/* ---- pending -------------------------------------------------------------- */

static volatile sig_atomic_t sys_count, sys_code, sys_pid, sys_value;
static volatile long sys_raw_pid;

static void on_sys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	sys_count++;
	sys_code = si->si_code;
	sys_pid = si->si_pid;
	sys_value = si->si_value.sival_int;
	sys_raw_pid = raw0(SYS_getpid);
}

static int set_sys_handler(void)
{
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_sys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL);
}

static void mode_pending(void)
{
	ok(set_sys_handler() == 0, "own SIGSYS handler installed");
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGSYS);
	ok(sigprocmask(SIG_BLOCK, &s, NULL) == 0, "SIGSYS blocked");
	raise(SIGSYS);
	ok(sys_count == 0, "raise(SIGSYS) while blocked: handler not run");
	sigset_t pend;
	sigemptyset(&pend);
	ok(sigpending(&pend) == 0 && sigismember(&pend, SIGSYS),
	   "sigpending reports SIGSYS");
	ok(raw_getpids(50) && raw_open_close() && libc_calls() &&
		   sys_count == 0,
	   "raw and libc calls meanwhile; handler still not run");
	int r = sigprocmask(SIG_UNBLOCK, &s, NULL);
	int count = sys_count, code = sys_code;
	ok(r == 0 && count == 1 && code == SI_TKILL,
	   "unblocked: handler ran once, si_code SI_TKILL (%d, %d)", count,
	   code);
	sigemptyset(&pend);
	ok(sigpending(&pend) == 0 && !sigismember(&pend, SIGSYS),
	   "no SIGSYS pending any more");
}

/* ---- handler -------------------------------------------------------------- */

static void mode_handler(void)
{
	pid_t me = getpid();
	ok(set_sys_handler() == 0, "own SIGSYS handler installed");
	ok(raw_getpids(50) && raw_open_close() && libc_calls() &&
		   sys_count == 0,
	   "raw and libc calls do not reach the program's SIGSYS handler");
	raise(SIGSYS);
	int count = sys_count, code = sys_code;
	ok(count == 1 && code == SI_TKILL && sys_pid == me,
	   "raise(SIGSYS): handler ran once, SI_TKILL from itself (%d, %d)",
	   count, code);
	ok(sys_raw_pid == me, "raw getpid inside the program's SIGSYS handler");
	kill(me, SIGSYS);
	count = sys_count, code = sys_code;
	ok(count == 2 && code == SI_USER && sys_pid == me,
	   "kill(SIGSYS): handler ran once more, SI_USER (%d, %d)", count,
	   code);
	union sigval v = { .sival_int = 42 };
	sigqueue(me, SIGSYS, v);
	ok(sys_count == 3 && sys_code == SI_QUEUE && sys_value == 42,
	   "sigqueue(SIGSYS, 42): handler ran once more, SI_QUEUE, value 42");
	ok(raw_getpids(50) && sys_count == 3,
	   "raw calls after: still not forwarded to the program");

	struct sigaction old;
	ok(sigaction(SIGSYS, NULL, &old) == 0 && old.sa_sigaction == on_sys &&
		   (old.sa_flags & SA_SIGINFO),
	   "sigaction(SIGSYS, NULL, &old) reports the program's handler");
	struct ksigaction kold = { 0 };
	long r = raw4(SYS_rt_sigaction, SIGSYS, NULL, &kold, KSIGSET);
	ok(r == 0 && kold.handler == (void *)on_sys &&
		   (kold.flags & SA_SIGINFO),
	   "raw rt_sigaction reports the program's handler (%ld)", r);

	ok((uintptr_t)signal(SIGSYS, SIG_IGN) == (uintptr_t)on_sys,
	   "signal(SIGSYS, SIG_IGN) returns the program's handler");
	kill(me, SIGSYS);
	ok(raw_getpids(20) && libc_calls() && sys_count == 3,
	   "SIGSYS ignored: kill(SIGSYS) ignored, raw and libc calls work");
	ok(sigaction(SIGSYS, NULL, &old) == 0 && old.sa_handler == SIG_IGN,
	   "sigaction reports SIG_IGN");
	ok(signal(SIGSYS, SIG_DFL) == SIG_IGN, "signal(SIGSYS, SIG_DFL)");
	ok(raw_getpids(20) && raw_open_close() && libc_calls(),
	   "SIGSYS default: raw and libc calls work");
	ok(sigaction(SIGSYS, NULL, &old) == 0 && old.sa_handler == SIG_DFL,
	   "sigaction reports SIG_DFL");
}

/* ---- seccomp -------------------------------------------------------------- */

/* getpriority denied (libc and raw), getpid allowed */
static int denied_here(void)
{
	errno = 0;
	int r = getpriority(PRIO_PROCESS, 0);
	int libc_denied = r == -1 && errno == EPERM;
	long raw = raw2(SYS_getpriority, PRIO_PROCESS, 0);
	return libc_denied && raw == -EPERM && raw_getpids(10);
}

static void *seccomp_thread(void *arg)
{
	*(int *)arg = denied_here() && raw_open_close();
	return NULL;
}

static int child_status(pid_t pid)
{
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void mode_seccomp(void)
{
	errno = 0;
	getpriority(PRIO_PROCESS, 0);
	ok(errno == 0 && raw2(SYS_getpriority, PRIO_PROCESS, 0) >= 0,
	   "getpriority works before the filter");
	if (deny_syscall(SYS_getpriority) != 0) {
		diag("seccomp filter: %s", strerror(errno));
		skip(6, "cannot install a seccomp filter here");
		return;
	}
	ok(1, "own seccomp filter installed (getpriority -> EPERM)");
	ok(denied_here(), "getpriority: EPERM from libc and raw; getpid works");
	ok(raw_open_close() && libc_calls(), "other raw and libc calls work");
	int thr_ok = 0;
	pthread_t t;
	if (pthread_create(&t, NULL, seccomp_thread, &thr_ok) == 0)
		pthread_join(t, NULL);
	ok(thr_ok, "in a new thread: getpriority EPERM, other calls work");
	pid_t pid = fork();
	if (pid == 0)
		_exit(denied_here() && raw_open_close() ? 0 : 1);
	ok(child_status(pid) == 0,
	   "in a fork child: getpriority EPERM, other calls work");
	pid = fork();
	if (pid == 0) {
		char *args[] = { "true", NULL };
		execve("/bin/true", args, environ);
		_exit(127);
	}
	int st = child_status(pid);
	ok(st == 0, "fork + exec of /bin/true under the filter (status %d)",
	   st);
}

/* ---- altstack ------------------------------------------------------------- */

#define ALT_SIZE 65536
static char *alt_base;
static volatile sig_atomic_t usr1_count, segv_count;
static volatile int usr1_onstack, usr1_raw_ok, usr1_flags_onstack, segv_onstack,
	segv_addr_ok, segv_mprotect;
static char *segv_page;

static int on_alt(const void *p)
{
	return (const char *)p >= alt_base &&
	       (const char *)p < alt_base + ALT_SIZE;
}

static void on_usr1_alt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	char here;
	usr1_count++;
	usr1_onstack = on_alt(&here);
	usr1_raw_ok = raw_getpids(20) && raw_open_close();
	stack_t cur;
	usr1_flags_onstack = sigaltstack(NULL, &cur) == 0 &&
			     (cur.ss_flags & SS_ONSTACK);
}

static void on_segv_alt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	char here;
	segv_count++;
	segv_onstack = on_alt(&here);
	segv_addr_ok = si->si_addr == segv_page;
	segv_mprotect = (int)raw3(SYS_mprotect, segv_page, 4096,
				  PROT_READ | PROT_WRITE);
	if (segv_mprotect != 0) /* do not fault forever */
		_exit(3);
}

static void mode_altstack(void)
{
	alt_base = mmap(NULL, ALT_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack_t ss = { .ss_sp = alt_base, .ss_size = ALT_SIZE, .ss_flags = 0 };
	ok(alt_base != MAP_FAILED && sigaltstack(&ss, NULL) == 0,
	   "sigaltstack with its own 64 KiB stack");
	stack_t cur;
	ok(sigaltstack(NULL, &cur) == 0 && cur.ss_sp == alt_base &&
		   cur.ss_size == ALT_SIZE && cur.ss_flags == 0,
	   "sigaltstack reports the program's stack");
	memset(&cur, 0, sizeof cur);
	long r = raw2(SYS_sigaltstack, NULL, &cur);
	ok(r == 0 && cur.ss_sp == alt_base && cur.ss_size == ALT_SIZE &&
		   cur.ss_flags == 0,
	   "raw sigaltstack reports the program's stack (%ld)", r);

	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_usr1_alt;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	ok(usr1_count == 1, "SIGUSR1 handler ran once");
	ok(usr1_onstack, "SIGUSR1 handler ran on the alternate stack");
	ok(usr1_flags_onstack, "sigaltstack in the handler: SS_ONSTACK");
	ok(usr1_raw_ok, "raw syscalls inside the SA_ONSTACK handler");

	segv_page =
		mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sa.sa_sigaction = on_segv_alt;
	sigaction(SIGSEGV, &sa, NULL);
	*(volatile int *)segv_page = 42; /* faults once; the handler fixes */
	ok(segv_count == 1 && segv_addr_ok && segv_mprotect == 0 &&
		   *(volatile int *)segv_page == 42,
	   "SIGSEGV handler: raw mprotect fixed the page, store retried");
	ok(segv_onstack, "SIGSEGV handler ran on the alternate stack");
	signal(SIGSEGV, SIG_DFL);
	ok(sigaltstack(NULL, &cur) == 0 && cur.ss_sp == alt_base &&
		   cur.ss_flags == 0 && raw_getpids(10),
	   "after the handlers: same alternate stack, not on it");
}

/* ---- longjmp -------------------------------------------------------------- */

static sigjmp_buf jb;
static volatile sig_atomic_t jumps, jump_raw_bad;

static void jump_out(int sig)
{
	(void)sig;
	jumps++;
	if (!raw_getpids(3) || !raw_open_close())
		jump_raw_bad++;
	siglongjmp(jb, 1);
}

static int jump_loop(int sig, int n, char *fault)
{
	jumps = 0;
	volatile int returned = 0;
	for (volatile int i = 0; i < n; i++) {
		if (sigsetjmp(jb, 1) == 0) {
			if (fault)
				*(volatile char *)fault = 1;
			else
				raise(sig);
			returned++;
		}
	}
	return returned == 0 && jumps == n;
}

static void mode_longjmp(void)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = jump_out;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	ok(jump_loop(SIGUSR1, 100, NULL) && jump_raw_bad == 0,
	   "siglongjmp out of SIGUSR1 handlers with raw calls, 100 times");
	ok(!blocked(SIGUSR1) && raw_getpids(20) && libc_calls(),
	   "after: SIGUSR1 not blocked, raw and libc calls work");

	char *page =
		mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sigaction(SIGSEGV, &sa, NULL);
	ok(page != MAP_FAILED && jump_loop(SIGSEGV, 100, page) &&
		   jump_raw_bad == 0,
	   "siglongjmp out of SIGSEGV handlers with raw calls, 100 times");
	signal(SIGSEGV, SIG_DFL);
	ok(!blocked(SIGSEGV) && raw_getpids(20) && libc_calls(),
	   "after: SIGSEGV not blocked, raw and libc calls work");

	sigaction(SIGSYS, &sa, NULL);
	ok(jump_loop(SIGSYS, 100, NULL) && jump_raw_bad == 0,
	   "siglongjmp out of its own SIGSYS handler, 100 times");
	ok(!blocked(SIGSYS) && raw_getpids(50) && raw_open_close() &&
		   libc_calls(),
	   "after: SIGSYS not blocked, raw and libc calls work");
	signal(SIGSYS, SIG_DFL);
}

/* ---- vfork ---------------------------------------------------------------- */

/* raw vfork; the child, in this asm only, does raw exit(code) */
static long raw_vfork_exit(long code)
{
	long ret;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $60, %%eax\n\t"
			 "syscall\n\t"
			 "ud2\n\t"
			 "1:\n\t"
			 : "=a"(ret)
			 : "a"((long)SYS_vfork), "D"(code)
			 : "rcx", "r11", "memory");
	return ret;
}

/* raw vfork; the child does raw execve(path, argv, envp), else exit(127) */
static long raw_vfork_exec(const char *path, char **argv, char **envp)
{
	long ret;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $59, %%eax\n\t"
			 "syscall\n\t"
			 "mov $60, %%eax\n\t"
			 "mov $127, %%edi\n\t"
			 "syscall\n\t"
			 "ud2\n\t"
			 "1:\n\t"
			 : "=a"(ret)
			 : "a"((long)SYS_vfork), "D"(path), "S"(argv), "d"(envp)
			 : "rcx", "r11", "memory");
	return ret;
}

/* raw clone(CLONE_VM|CLONE_VFORK|SIGCHLD) on the caller's own stack (NULL
 * stack); the child does raw exit(code) */
static long raw_clone_same_stack(long code)
{
	long ret;
	register long r10 __asm__("r10") = 0;
	register long r8 __asm__("r8") = 0;
	register long r9 __asm__("r9") = code; /* not a clone argument */
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov %%r9, %%rdi\n\t"
			 "mov $60, %%eax\n\t"
			 "syscall\n\t"
			 "ud2\n\t"
			 "1:\n\t"
			 : "=a"(ret)
			 : "a"((long)SYS_clone),
			   "D"((long)(CLONE_VM | CLONE_VFORK | SIGCHLD)),
			   "S"(0L), "d"(0L), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static void mode_vfork(void)
{
	char *args[] = { "true", NULL };
	pid_t pid = vfork();
	if (pid == 0) {
		execve("/bin/true", args, environ);
		_exit(127);
	}
	int st = child_status(pid);
	ok(st == 0, "vfork + execve /bin/true (status %d)", st);
	pid = vfork();
	if (pid == 0)
		_exit(5);
	st = child_status(pid);
	ok(st == 5, "vfork + _exit(5) (status %d)", st);
	st = child_status((pid_t)raw_vfork_exit(7));
	ok(st == 7, "raw vfork + raw exit(7) (status %d)", st);
	st = child_status((pid_t)raw_vfork_exec("/bin/true", args, environ));
	ok(st == 0, "raw vfork + raw execve /bin/true (status %d)", st);
	st = child_status((pid_t)raw_clone_same_stack(9));
	ok(st == 9,
	   "raw clone(CLONE_VM|CLONE_VFORK), same stack, raw exit(9) "
	   "(status %d)",
	   st);
	long parent = getpid();
	long r = raw0(SYS_fork);
	if (r == 0) /* separate memory: C is fine here */
		raw1(SYS_exit_group,
		     raw0(SYS_getppid) == parent && raw_open_close() ? 11 : 12);
	st = child_status((pid_t)r);
	ok(st == 11, "raw fork: the child's raw calls work (status %d)", st);
	ok(raw_getpids(20) && libc_calls(), "after: raw and libc calls work");
}

/* ---- probe ---------------------------------------------------------------- */

static int probe(void)
{
	volatile char sel = SYSCALL_DISPATCH_FILTER_ALLOW;
	int sud = prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, 0,
			&sel) == 0;
	if (sud)
		prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0,
		      0);
	pid_t pid = fork(); /* a filter is forever: try it in a child */
	if (pid == 0)
		_exit(deny_syscall(SYS_getpriority) == 0 &&
				      getpriority(PRIO_PROCESS, 0) == -1 &&
				      errno == EPERM
			      ? 0
			      : 1);
	int sec = child_status(pid) == 0;
	printf("sud %d\nseccomp %d\n", sud, sec);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*run)(void);
	} modes[] = {
		{ "block", mode_block },       { "pending", mode_pending },
		{ "handler", mode_handler },   { "seccomp", mode_seccomp },
		{ "altstack", mode_altstack }, { "longjmp", mode_longjmp },
		{ "vfork", mode_vfork },
	};
	if (argc == 2 && strcmp(argv[1], "probe") == 0)
		return probe();
	for (size_t i = 0; argc == 2 && i < sizeof modes / sizeof modes[0];
	     i++) {
		if (strcmp(argv[1], modes[i].name) == 0) {
			modes[i].run();
			end_markers();
			return done_testing();
		}
	}
	fprintf(stderr, "usage: sigsys block|pending|handler|seccomp|altstack|"
			"longjmp|vfork|probe\n");
	return 2;
}
