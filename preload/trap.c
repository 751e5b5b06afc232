/* The trap layer: syscalls that never reach a wrapper (glibc's own
 * internal calls, the loader after the constructor, raw `syscall`
 * instructions anywhere) raise SIGSYS through Syscall User Dispatch and
 * are recorded here with via = trap.
 *
 * How it holds together (facts in ../shared/design-notes.md section 2):
 *  - The allowed region is the section sct_gate (preload/gate.S): the
 *    tracer's own raw syscalls and the gates through which the handler
 *    performs a trapped call.  Everything else is filtered by the
 *    per-thread selector byte sct_self.sel: BLOCK normally, ALLOW while a
 *    wrapper runs its real libc function (that call is the wrapper's
 *    record: one record per syscall).
 *  - The handler is installed with SA_NODEFER and an empty sa_mask: it
 *    runs with the program's own signal mask, so the syscall it performs
 *    is interrupted by signals exactly as the program's would be, and a
 *    signal handler of the program that runs meanwhile can trap again.
 *    It returns by restoring the interrupted registers itself
 *    (sct_trap_resume in resume.S: no rt_sigreturn, one kernel round trip
 *    less per trapped call), else through its own restorer in the
 *    allowed region (glibc's is outside it and would be trapped).
 *  - SIGSYS must stay deliverable whatever the program does: masks and
 *    sa_masks it asks for are applied without SIGSYS and reported back as
 *    it asked; its own SIGSYS action is kept aside (virtual) and called
 *    for every SIGSYS that is not a dispatch.
 *  - SUD is cleared by clone and exec: new threads, fork and vfork
 *    children are re-armed here (trapped clones) or in the atfork child
 *    handler (libc's fork); exec'd images by their constructor.
 *
 * Everything here is async-signal-safe: no libc calls except errno. */
#include <errno.h>
#include <signal.h>
#include <ucontext.h>

#include "core.h"
#include "fn.h"
#include "patch.h"
#include "stack.h"
#include "ucregs.h"

/* the offsets the assembly (gate.S, resume.S) uses */
#define UC_OFF(m) offsetof(ucontext_t, uc_mcontext.m)
_Static_assert(UC_GREG(R8) == UC_OFF(gregs[REG_R8]) &&
		       UC_GREG(R11) == UC_OFF(gregs[REG_R11]) &&
		       UC_GREG(RDI) == UC_OFF(gregs[REG_RDI]) &&
		       UC_GREG(RAX) == UC_OFF(gregs[REG_RAX]) &&
		       UC_GREG(RCX) == UC_OFF(gregs[REG_RCX]) &&
		       UC_GREG(RSP) == UC_OFF(gregs[REG_RSP]) &&
		       UC_GREG(RIP) == UC_OFF(gregs[REG_RIP]) &&
		       UC_GREG(EFL) == UC_OFF(gregs[REG_EFL]) &&
		       UC_FPREGS == UC_OFF(fpregs) &&
		       /* the software bytes end the 512-byte FXSAVE area */
		       SW_MAGIC1 == sizeof(struct _libc_fpstate) -
					    sizeof(struct _fpx_sw_bytes) &&
		       SW_FEATURES == SW_MAGIC1 + offsetof(struct _fpx_sw_bytes,
							   xstate_bv),
	       "preload/ucregs.h: ucontext_t offsets");
#undef UC_OFF

#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#define SI_SYS_USER_DISPATCH 2
#define SI_SYS_SECCOMP 1
#define PR_GET_SECCOMP_ 21
#define PR_SET_SECCOMP_ 22
#define K_SA_RESTORER 0x04000000ul
#define K_SA_SIGINFO 4ul
#define K_SA_NODEFER 0x40000000ul
#define K_SA_RESETHAND 0x80000000ul
#define SIGSYS_BIT (1ull << (SIGSYS - 1))
#define F_CLONE_VM 0x100ul
#define F_CLONE_VFORK 0x4000ul
#define F_CLONE_SETTLS 0x80000ul

/* the kernel's struct sigaction (x86-64) */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

extern char __start_sct_gate[] __attribute__((visibility("hidden")));
extern char __stop_sct_gate[] __attribute__((visibility("hidden")));
void sct_gate_sigreturn(void);
long sct_gate_clone(const long *gregs);
__attribute__((noreturn)) void sct_gate_vfork(long flags, long sp);
__attribute__((noreturn)) void sct_trap_resume(ucontext_t *uc);

/* a dispatched SIGSYS returns through sct_trap_resume (resume.S), not
 * rt_sigreturn: off under a shadow stack (signal delivery pushed a token
 * on it that only sigreturn pops) */
static SCT_HOTDATA int resume_direct;

/* The program's own SIGSYS action, kept aside; and, per signal, whether
 * it asked for SIGSYS in that handler's sa_mask. */
static struct ksigaction app_sigsys;
static uint64_t app_masks_sigsys;

/* vfork: the program's registers, for both sides of the gate (gate.S
 * reads them %fs-relative), and the parent's pending record. */
__thread long sct_vf[18] __attribute__((tls_model("initial-exec")));
static __thread struct {
	struct sct_call c;
	long a[6];
	int traced;
	int err;
	uint32_t stack; /* its stack id + 1, taken in the handler */
	unsigned char sel;
} vf __attribute__((tls_model("initial-exec")));

static SCT_SIGSAFE long raw_sigaction(int sig, const struct ksigaction *act,
				      struct ksigaction *old)
{
	return sct_raw4(__NR_rt_sigaction, sig, act, old, 8);
}

SCT_SIGSAFE void sct_trap_arm_thread(void)
{
	struct sct_thread *t = &sct_self;
	if (sct_hot.trap_mode == SCT_TRAP_SECCOMP) { /* inherited by clone */
		t->sel = SCT_SEL_BLOCK;
		return;
	}
	t->sel = SCT_SEL_ALLOW;
	long r = sct_raw5(__NR_prctl, PR_SET_SYSCALL_USER_DISPATCH,
			  PR_SYS_DISPATCH_ON, (long)__start_sct_gate,
			  (long)(__stop_sct_gate - __start_sct_gate), &t->sel);
	if (r == 0)
		t->sel = SCT_SEL_BLOCK;
}

/* signal-safe: wrappers whose syscall the handler must see: it changes
 * signal masks or actions (SIGSYS kept out), forks (the child is re-armed
 * by the handler), is exit (atexit handlers run first, trapped), or may
 * install a seccomp filter (patch.c stops patching). */
SCT_SIGSAFE int sct_trap_adopts(unsigned nr)
{
	switch (nr) {
	case __NR_rt_sigprocmask: case __NR_rt_sigaction:
	case __NR_rt_sigsuspend: case __NR_ppoll: case __NR_pselect6:
	case __NR_epoll_pwait: case __NR_epoll_pwait2:
	case __NR_clone: case __NR_clone3: case __NR_fork: case __NR_vfork:
	case __NR_exit_group: case __NR_rt_sigpending:
	case __NR_seccomp: case __NR_prctl: /* a filter: no more patching */
		return 1;
	}
	return 0;
}

/* ---- SIGSYS that are not ours: the program's own action ---------------- */

/* A SIGSYS for the program while it has SIGSYS blocked (in its view):
 * held here until it unblocks it, then sent again, as the kernel would
 * have kept it pending.  One, like any standard signal. */
static __thread struct {
	int pending;
	siginfo_t si;
} held __attribute__((tls_model("initial-exec")));

static SCT_SIGSAFE void release_held(void)
{
	if (!held.pending || sct_self.app_sigsys_blocked)
		return;
	held.pending = 0;
	sct_raw4(__NR_rt_tgsigqueueinfo, sct_raw0(__NR_getpid),
		 sct_raw0(__NR_gettid), SIGSYS, &held.si);
}

static SCT_SIGSAFE void forward(int sig, siginfo_t *si, void *uc)
{
	void *h = app_sigsys.handler;
	if (sct_self.app_sigsys_blocked && h != SIG_IGN) {
		if (!held.pending) {
			held.si = *si;
			held.pending = 1;
		}
		return;
	}
	unsigned long flags = app_sigsys.flags;
	if (h == SIG_IGN)
		return;
	if (h == SIG_DFL) { /* die of it, as the program would */
		struct ksigaction dfl = { SIG_DFL, 0, 0, 0 };
		raw_sigaction(SIGSYS, &dfl, 0);
		sct_raw3(__NR_tgkill, sct_raw0(__NR_getpid),
			 sct_raw0(__NR_gettid), SIGSYS);
		return;
	}
	if (flags & K_SA_RESETHAND)
		app_sigsys.handler = SIG_DFL;
	if (flags & K_SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))h)(sig, si, uc);
	else
		((void (*)(int))h)(sig);
}

/* ---- the program's signal handlers --------------------------------------
 * Installed behind a trampoline: a handler may run while a wrapper has the
 * selector at ALLOW (a signal in the middle of read()), and the program's
 * code in it must still trap; its closing rt_sigreturn is then recorded
 * here, since it will not trap. */
static struct {
	void *handler;
	unsigned long flags;
} app_act[65];

static void trampoline(int sig, siginfo_t *si, void *uc)
{
	struct sct_thread *t = &sct_self;
	unsigned char prev = t->sel;
	void *h = app_act[sig].handler;
	t->sel = SCT_SEL_BLOCK;
	if (app_act[sig].flags & K_SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))h)(sig, si, uc);
	else
		((void (*)(int))h)(sig);
	if (prev != SCT_SEL_BLOCK) {
		static const long none[6];
		struct sct_call c;
		if (sct_trap_begin(&c, 0, __NR_rt_sigreturn, none))
			sct_trap_end(&c, 0, SCT_RF_NORETURN);
	}
	t->sel = prev;
}

/* ---- signal masks and actions: SIGSYS stays ours ------------------------ */

/* signal-safe: *SET read from the program's memory at ADDR; 0 if unreadable */
static SCT_SIGSAFE int read_set(long addr, uint64_t *set)
{
	return addr && sct_safe_copy(set, (uintptr_t)addr, 8) == 8;
}

static SCT_SIGSAFE long do_sigprocmask(long *a)
{
	struct sct_thread *t = &sct_self;
	uint64_t set, stripped;
	long how = a[0];
	int has = read_set(a[1], &set);
	stripped = set & ~SIGSYS_BIT;
	/* the kernel writes the old mask where the program asked (or fails
	 * with EFAULT); then its SIGSYS bit becomes the program's view */
	long r = sct_raw4(__NR_rt_sigprocmask, how, has ? (long)&stripped : a[1],
			  a[2], a[3]);
	if (r < 0)
		return r;
	if (a[2]) {
		uint64_t *old = (uint64_t *)a[2];
		*old = (*old & ~SIGSYS_BIT) |
		       (t->app_sigsys_blocked ? SIGSYS_BIT : 0);
	}
	if (has) {
		int want = (set & SIGSYS_BIT) != 0;
		if (how == SIG_BLOCK && want)
			t->app_sigsys_blocked = 1;
		else if (how == SIG_UNBLOCK && want)
			t->app_sigsys_blocked = 0;
		else if (how == SIG_SETMASK)
			t->app_sigsys_blocked = (unsigned char)want;
	}
	release_held();
	return r;
}

static SCT_SIGSAFE long do_sigaction(long *a)
{
	int sig = (int)a[0];
	struct ksigaction act, old = { 0, 0, 0, 0 };
	int has = a[1] && sct_safe_copy(&act, (uintptr_t)a[1], sizeof act) ==
				   sizeof act;
	if (sig == SIGSYS) { /* virtual: ours stays installed */
		/* the kernel's order: the size, the new action read and
		 * applied, then the old one written (EFAULT after the new one
		 * took effect) */
		if (a[3] != 8)
			return -EINVAL;
		if (a[1] && !has)
			return -EFAULT;
		old = app_sigsys;
		if (has)
			app_sigsys = act;
		if (a[2] && sct_safe_write((uintptr_t)a[2], &old, sizeof old) !=
				    sizeof old)
			return -EFAULT;
		return 0;
	}
	uint64_t bit = sig >= 1 && sig <= 64 ? 1ull << (sig - 1) : 0;
	uint64_t want = has ? act.mask & SIGSYS_BIT : 0;
	if (has)
		act.mask &= ~SIGSYS_BIT;
	if (bit) {
		old.handler = app_act[sig].handler;
		old.flags = app_act[sig].flags;
	}
	__typeof__(app_act[0]) prev = { 0, 0 };
	if (bit)
		prev = app_act[sig];
	if (has && bit && act.handler != SIG_DFL && act.handler != SIG_IGN) {
		app_act[sig].handler = act.handler;
		app_act[sig].flags = act.flags;
		act.handler = (void *)trampoline;
		act.flags |= K_SA_SIGINFO;
	}
	long r = sct_raw4(__NR_rt_sigaction, sig, has ? (long)&act : a[1],
			  a[2], a[3]);
	/* not applied (a bad size or signal): the program's handler is
	 * still the one before; EFAULT comes from the old action's place,
	 * after the new one took effect */
	if (r < 0 && r != -EFAULT && bit)
		app_act[sig] = prev;
	if (r < 0)
		return r;
	if (a[2]) { /* written by the kernel: the program's view of it */
		struct ksigaction *o = (struct ksigaction *)a[2];
		if (app_masks_sigsys & bit)
			o->mask |= SIGSYS_BIT;
		if (o->handler == (void *)trampoline) {
			o->handler = old.handler;
			o->flags = old.flags;
		}
	}
	if (has && bit) {
		if (want)
			__atomic_fetch_or(&app_masks_sigsys, bit, __ATOMIC_RELAXED);
		else
			__atomic_fetch_and(&app_masks_sigsys, ~bit, __ATOMIC_RELAXED);
	}
	return r;
}

/* signal-safe: the temporary mask of sigsuspend/ppoll/pselect/epoll_pwait
 * at argument I (for pselect6, inside the {set, size} pair) without
 * SIGSYS, in *TMP. */
static SCT_SIGSAFE void strip_temp_mask(long nr, long *a, uint64_t *tmp,
					long *pair)
{
	int i = nr == __NR_rt_sigsuspend ? 0 : nr == __NR_ppoll ? 3 : 4;
	if (nr == __NR_pselect6) {
		if (!a[5] || sct_safe_copy(pair, (uintptr_t)a[5], 16) != 16)
			return;
		if (read_set(pair[0], tmp)) {
			*tmp &= ~SIGSYS_BIT;
			pair[0] = (long)tmp;
			a[5] = (long)pair;
		}
		return;
	}
	if (read_set(a[i], tmp)) {
		*tmp &= ~SIGSYS_BIT;
		a[i] = (long)tmp;
	}
}

/* ---- clone, fork, vfork ------------------------------------------------- */

/* Called by gate.S in a child that got a new stack, on that stack, with
 * the block {flags, rip} the parent left below its top. */
void sct_trap_child(long *block)
{
	unsigned long flags = (unsigned long)block[0];
	struct sct_thread *t = &sct_self;
	if (!(flags & F_CLONE_VM)) { /* a process: its own rings */
		sct_after_fork_child();
		return;
	}
	if (flags & F_CLONE_SETTLS) { /* a thread with its own TLS */
		sct_trap_arm_thread();
		return;
	}
	if (flags & F_CLONE_VFORK) { /* posix_spawn's child: our TLS, the
					parent asleep until it execs */
		t->vchild_tid = (int)sct_raw0(__NR_gettid);
		sct_trap_arm_thread();
	}
	/* else: shares our TLS and runs alongside us: left untraced */
}

void sct_vfork_child(void)
{
	sct_self.vchild_tid = (int)sct_raw0(__NR_gettid);
	sct_vf[REG_RAX] = 0;
	sct_trap_arm_thread();
}

void sct_vfork_parent(long r)
{
	struct sct_thread *t = &sct_self;
	t->vchild_tid = 0;
	t->sel = vf.sel; /* whatever the child left in it */
	if (vf.traced) {
		t->stack_preset = vf.stack;
		sct_trap_end(&vf.c, r, 0);
		t->stack_preset = 0;
	}
	sct_vf[REG_RAX] = r;
	errno = vf.err;
}

/* signal-safe: a trapped clone, clone3, fork or vfork; returns the
 * parent's result (the children resume the program on their own). */
static SCT_SIGSAFE long do_clone(long nr, long *a, ucontext_t *uc,
				 struct sct_call *c, int traced)
{
	greg_t *g = uc->uc_mcontext.gregs;
	unsigned long flags = 0, top = 0;
	if (nr == __NR_clone) {
		flags = (unsigned long)a[0];
		top = (unsigned long)a[1];
	} else if (nr == __NR_clone3) {
		unsigned long ca[7];
		if (a[1] < 56 || sct_safe_copy(ca, (uintptr_t)a[0], sizeof ca) !=
					 sizeof ca)
			return sct_raw2(nr, a[0], a[1]); /* the kernel's error */
		flags = ca[0];
		top = ca[5] ? ca[5] + ca[6] : 0;
	} else if (nr == __NR_vfork) {
		flags = F_CLONE_VM | F_CLONE_VFORK | SIGCHLD;
	} else {
		flags = SIGCHLD;
	}
	if ((flags & F_CLONE_VM) && !(flags & F_CLONE_VFORK))
		sct_patch_threads(); /* a thread, or as good as one */
	if (top) { /* the child starts on its own stack */
		long block[2] = { (long)flags, (long)g[REG_RIP] };
		if (top & 7 || sct_safe_write(top - sizeof block, block,
					      sizeof block) != sizeof block)
			return sct_raw(nr, a[0], a[1], a[2], a[3], a[4], 0);
		return sct_gate_clone((const long *)g);
	}
	if (flags & F_CLONE_VM) { /* vfork-like: the child borrows our stack */
		if (nr == __NR_clone3)
			return sct_raw2(nr, a[0], a[1]);
		for (int i = 0; i < 18; i++)
			sct_vf[i] = g[i];
		vf.c = *c;
		for (int i = 0; i < 6; i++)
			vf.a[i] = a[i];
		vf.c.args = vf.a;
		vf.traced = traced;
		/* the caller's stack now: the child will run on it (under
		 * the guard, as every capture: libunwind's own libc calls
		 * must pass the wrappers unrecorded) */
		vf.stack = 0;
		if (traced && sct_hot.stacks_on) {
			sct_self.guard++;
			vf.stack = sct_stack_trapped(uc) + 1;
			sct_self.guard--;
		}
		vf.err = errno;
		vf.sel = sct_self.sel;
		sct_gate_vfork(nr == __NR_clone ? a[0] : (long)flags,
			       (long)g[REG_RSP]);
	}
	/* fork-like: the child is a copy and returns through this handler
	 * (arguments past a call's own are ignored by the kernel) */
	long r = sct_raw(nr, a[0], a[1], a[2], a[3], a[4], 0);
	if (r == 0)
		sct_after_fork_child();
	return r;
}

/* ---- the handler -------------------------------------------------------- */

/* signal-safe: sct_trap_end for a call trapped with context UC, whose
 * stack is unwound from UC */
static SCT_SIGSAFE void trap_end(struct sct_call *c, long r, unsigned flags,
				 ucontext_t *uc)
{
	struct sct_thread *t = &sct_self;
	const void *prev = t->trap_uc; /* a handler this one interrupted */
	t->trap_uc = uc;
	if (flags & SCT_RF_NORETURN)
		sct_entry(c);
	else
		sct_trap_end(c, r, flags);
	t->trap_uc = prev;
}

/* signal-safe: a dispatched call, trapped with context UC (a SIGSYS's,
 * or one built by a patched site's slot: SLOT, no vector state), done
 * and recorded; UC's rax gets the result */
static SCT_SIGSAFE void dispatch(ucontext_t *uc, int slot)
{
	int saved_errno = errno;
	struct sct_thread *t = &sct_self;
	/* seccomp traps calls made inside a wrapper too: performed here, the
	 * wrapper records them (SUD never traps them: selector ALLOW) */
	int wrapped = t->sel == SCT_SEL_ALLOW;
	greg_t *g = uc->uc_mcontext.gregs;
	long nr = g[REG_RAX];
	long a[6] = { g[REG_RDI], g[REG_RSI], g[REG_RDX],
		      g[REG_R10], g[REG_R8],  g[REG_R9] };
	unsigned fn = 0;
	if (t->adopt_fn && t->adopt_nr == nr) {
		fn = t->adopt_fn;
		t->adopt_fn = 0;
	}
	if (nr == __NR_seccomp || (nr == __NR_prctl && a[0] == PR_SET_SECCOMP_))
		sct_patch_stop(); /* its filter could refuse (or kill) our mprotect */
	struct sct_call c;
	int traced = !wrapped && nr >= 0 && nr < 65536 &&
		     sct_trap_begin(&c, fn, (unsigned)nr, a);
	long r, call[6];
	uint64_t tmp;
	long pair[2];
	for (int i = 0; i < 6; i++)
		call[i] = a[i];
	switch (nr) {
	case __NR_rt_sigreturn:
		/* performed from the gate, on the program's stack, once this
		 * handler has returned */
		if (traced)
			sct_trap_end(&c, 0, SCT_RF_NORETURN);
		g[REG_RIP] = (greg_t)sct_gate_sigreturn;
		errno = saved_errno;
		return;
	case __NR_exit:
	case __NR_exit_group:
		if (traced)
			trap_end(&c, 0, SCT_RF_NORETURN, uc);
		if (nr == __NR_exit_group && !t->vchild_tid)
			sct_exit_event((int)a[0]);
		sct_raw1(nr, a[0]);
		__builtin_unreachable();
	case __NR_execve:
	case __NR_execveat:
		if (wrapped) { /* the wrapper fixed and recorded it */
			r = sct_place_execve(nr, a);
			break;
		}
		{ /* records itself, its stack unwound from UC as in trap_end */
			const void *prev = t->trap_uc;
			t->trap_uc = uc;
			r = sct_trap_exec(nr, a);
			t->trap_uc = prev;
		}
		traced = 0;
		break;
	case __NR_clone:
	case __NR_clone3:
	case __NR_fork:
	case __NR_vfork:
		r = do_clone(nr, a, uc, &c, traced);
		if (r == 0) { /* a fork child: its own, new rings */
			errno = saved_errno;
			g[REG_RAX] = 0;
			return;
		}
		t->vchild_tid = 0; /* whatever a vfork-like child left */
		t->sel = wrapped ? SCT_SEL_ALLOW : SCT_SEL_BLOCK;
		break;
	case __NR_rt_sigprocmask:
		r = do_sigprocmask(call);
		break;
	case __NR_rt_sigaction:
		r = do_sigaction(call);
		break;
	case __NR_rt_sigpending:
		r = sct_raw2(nr, a[0], a[1]);
		/* written by the kernel: its first a[1] bytes (SIGSYS is in
		 * the first four) */
		if (r == 0 && held.pending && a[1] >= 4)
			*(uint32_t *)a[0] |= (uint32_t)SIGSYS_BIT;
		break;
	case __NR_rt_sigsuspend:
	case __NR_ppoll:
	case __NR_pselect6:
	case __NR_epoll_pwait:
	case __NR_epoll_pwait2:
		strip_temp_mask(nr, call, &tmp, pair);
		r = sct_raw(nr, call[0], call[1], call[2], call[3], call[4],
			    call[5]);
		break;
	default:
		r = sct_raw(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	if (traced)
		trap_end(&c, r, 0, uc);
	g[REG_RAX] = r;
	if (!slot && !wrapped)
		sct_patch_note((uint64_t)g[REG_RIP], nr);
	errno = saved_errno;
	/* 64-bit code (cs 0x33) with its vector state in the frame */
	if (resume_direct && (g[REG_CSGSFS] & 0xffff) == 0x33 &&
	    uc->uc_mcontext.fpregs)
		sct_trap_resume(uc);
	/* sigreturn restores uc_sigmask: make it the mask just set */
	uint64_t now;
	if (nr == __NR_rt_sigprocmask &&
	    sct_raw4(__NR_rt_sigprocmask, SIG_BLOCK, 0, &now, 8) == 0)
		*(uint64_t *)&uc->uc_sigmask = now;
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	if (si->si_code != SI_SYS_USER_DISPATCH &&
	    (si->si_code != SI_SYS_SECCOMP || si->si_errno != SCT_SECCOMP_DATA)) {
		forward(sig, si, ucv);
		return;
	}
	dispatch(ucv, 0);
}

SCT_SIGSAFE void sct_trap_slot(ucontext_t *uc)
{
	dispatch(uc, 1);
}

/* ---- set-up ------------------------------------------------------------- */

static int sud_works(void)
{
	/* arm, then disarm: probes the prctl without trapping anything */
	sct_trap_arm_thread();
	if (sct_self.sel != SCT_SEL_BLOCK)
		return 0;
	sct_self.sel = SCT_SEL_ALLOW;
	return 1;
}

/* the seccomp fallback, the SIGSYS handler already installed; 0 when on */
static int seccomp_init(int req)
{
	const char *why = 0;
	if (sct_seccomp_install(&why) == 0) {
		sct_hot.trap_mode = SCT_TRAP_SECCOMP;
		sct_self.sel = SCT_SEL_BLOCK;
		return 0;
	}
	sct_msg(req == SCT_TRAP_SECCOMP ? "SCTRACE_TRAP=seccomp: refused: "
					: "trap layer (seccomp fallback) refused: ",
		why, "; tracing with the libc wrappers only");
	return -1;
}

void sct_trap_init(void)
{
	int req = sct_cfg.trap_req;
	if (req == SCT_TRAP_OFF)
		return;
	struct ksigaction act = { (void *)on_sigsys,
				  K_SA_SIGINFO | K_SA_NODEFER | K_SA_RESTORER,
				  (void *)sct_gate_sigreturn, 0 };
	struct ksigaction old;
	if (raw_sigaction(SIGSYS, &act, &old) < 0) {
		sct_msg("cannot install the SIGSYS handler; ",
			"raw syscalls are not traced", 0);
		return;
	}
	/* an inherited SIG_IGN (exec keeps it) is the program's own */
	app_sigsys = old;
	uint64_t shstk = 0; /* ARCH_SHSTK_STATUS (Linux >= 6.6), bit 0 */
	resume_direct = !(sct_raw2(__NR_arch_prctl, 0x5005, (long)&shstk) == 0 &&
			   (shstk & 1));
	if (req != SCT_TRAP_SECCOMP && sud_works()) {
		sct_self.sel = SCT_SEL_BLOCK;
		sct_hot.trap_mode = SCT_TRAP_SUD;
		return;
	}
	if (req == SCT_TRAP_SUD)
		sct_msg("Syscall User Dispatch unavailable (Linux >= 5.11); ",
			"raw syscalls are not traced", 0);
	else if (seccomp_init(req) == 0)
		return;
	sct_self.sel = SCT_SEL_ALLOW;
	/* an ancestor's filter may still trap here: keep the handler */
	if (sct_raw1(__NR_prctl, PR_GET_SECCOMP_) != 2)
		raw_sigaction(SIGSYS, &old, 0);
}
