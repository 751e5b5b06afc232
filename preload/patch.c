/* Patched syscall sites: libc's and the loader's internal calls without a
 * SIGSYS each.
 *
 * Under Syscall User Dispatch every syscall that no wrapper made traps:
 * ~2-4 us a call on these VMs, nearly all of it the kernel's signal
 * delivery.  A program that makes the same internal call over and over
 * (find: fdopendir's fstat and fcntl, readdir's getdents64, closedir's
 * close) pays it each time.  So a site that keeps trapping is patched
 * (at its 16th trap, its 4th on a page patched before: see PATCH_AFTER),
 * when it is safe to:
 *  - in libc.so.6 or the loader, never the program's own code;
 *  - the site is `mov $NR, %eax` (b8 imm32) right before the `syscall`,
 *    and a decoder walking the instructions from the start of the site's
 *    function (its FDE) lands exactly on that mov: it is an instruction,
 *    not bytes inside another one;
 *  - NR is a call the handler makes without the signal's context (not
 *    clone, fork, exec, exit nor sigreturn);
 *  - the 5 bytes never seen half changed: with every signal blocked, and
 *    in a process with one thread (glibc's __libc_single_threaded, and
 *    no thread cloned behind its back) written one by one; with threads,
 *    only a mov inside an aligned 16-byte block, which changes in one
 *    atomic store (lock cmpxchg16b): a thread running there meanwhile
 *    runs the old mov and syscall (and traps) or the new jump;
 *  - no seccomp filter (its Seccomp line in /proc/self/status, read once;
 *    a filter the program installs later stops the patching, trap.c): a
 *    filter might refuse, trap or kill the mprotect;
 *  - a slot (patch.S) is free and within a rel32 jump.
 * The 5-byte mov becomes `jmp slot` (the page made writable, then given
 * back its protection); the syscall instruction after it stays, so code
 * that jumps straight to it still traps.  The slot does the call and
 * records it as the trap would have (via trap, the same stack: the
 * handler's code runs on a context built from the registers), without
 * the signal.  SCTRACE_PATCH=0 turns this off.
 *
 * Everything here is signal-safe: called from the SIGSYS handler. */
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "core.h"
#include "cfi.h"
#include "insn.h"
#include "patch.h"
#include "ucregs.h"

#define NSLOT 64 /* as in patch.S */
#define PAGE 4096ul

extern char sct_patch_slots[] __attribute__((visibility("hidden")));
/* read by the slots: the selector's %fs offset, each slot's call and
 * return address */
long sct_patch_seloff __attribute__((visibility("hidden")));
uint32_t sct_patch_nr[NSLOT] __attribute__((visibility("hidden")));
uint64_t sct_patch_ret[NSLOT] __attribute__((visibility("hidden")));
_Static_assert(sizeof(long) == 8, "x86-64");

/* on: sct_cfg.patch, 1 or 0 (SCTRACE_PATCH=0, no SUD, or a refusal that
 * would repeat): in a page the constructor writes anyway, not in this
 * file's, which only a trap touches */
#define patch_on sct_cfg.patch
/* a thread was cloned by a raw clone (glibc's flag misses it): the bytes
 * change in one atomic store from now on */
static int patch_mt;
static unsigned nslots;
static int filter_checked;
/* sites seen trapping, by address after the syscall: how often (a site
 * is looked at once, at PATCH_AFTER traps); open addressing, never
 * emptied */
#define NSEEN 256
static struct {
	uint64_t end;
	uint32_t n;
} seen[NSEEN];

extern char __libc_single_threaded;

SCT_SIGSAFE void sct_patch_stop(void)
{
	patch_on = 0;
}

/* signal-safe: this process runs under a seccomp filter, or cannot tell
 * (/proc/self/status' Seccomp line: 0 none, 1 strict, 2 filter), which
 * might refuse, trap or kill the patching's mprotect.  Filters the
 * program installs later stop the patching in trap.c. */
static SCT_SIGSAFE int filtered(void)
{
	char buf[4096];
	long fd = sct_raw4(__NR_openat, AT_FDCWD, "/proc/self/status",
			   O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 1;
	long n = sct_raw3(__NR_read, fd, buf, sizeof buf - 1);
	sct_raw1(__NR_close, fd);
	if (n <= 0)
		return 1;
	buf[n] = 0;
	for (long i = 0; i + 10 < n; i++)
		if (buf[i] == '\n' && sct_strncmp(buf + i + 1, "Seccomp:\t", 9) == 0)
			return buf[i + 10] != '0';
	return 1;
}

SCT_SIGSAFE void sct_patch_threads(void)
{
	patch_mt = 1;
}

/* ---- which calls ------------------------------------------------------- */

/* signal-safe: a call the slot may make: one the handler makes without
 * the signal's context (its default case, and the signal mask and action
 * calls it filters: python3 sets up its signals with 66 sigactions),
 * returning to the site: not clone, fork, exec, exit nor sigreturn */
static SCT_SIGSAFE int plain(long nr)
{
	switch (nr) {
	case __NR_read: case __NR_write: case __NR_open: case __NR_close:
	case __NR_stat: case __NR_fstat: case __NR_lstat: case __NR_poll:
	case __NR_lseek: case __NR_mmap: case __NR_mprotect:
	case __NR_munmap: case __NR_brk: case __NR_ioctl:
	case __NR_pread64: case __NR_pwrite64: case __NR_readv:
	case __NR_writev: case __NR_access: case __NR_sched_yield:
	case __NR_mremap: case __NR_madvise: case __NR_dup: case __NR_dup2:
	case __NR_nanosleep: case __NR_getpid: case __NR_socket:
	case __NR_connect: case __NR_accept: case __NR_sendto:
	case __NR_recvfrom: case __NR_sendmsg: case __NR_recvmsg:
	case __NR_shutdown: case __NR_bind: case __NR_listen:
	case __NR_getsockname: case __NR_getpeername: case __NR_socketpair:
	case __NR_setsockopt: case __NR_getsockopt: case __NR_wait4:
	case __NR_uname: case __NR_fcntl: case __NR_flock: case __NR_fsync:
	case __NR_fdatasync: case __NR_ftruncate: case __NR_getcwd:
	case __NR_chdir: case __NR_fchdir: case __NR_rename: case __NR_mkdir:
	case __NR_rmdir: case __NR_unlink: case __NR_readlink:
	case __NR_fchmod: case __NR_umask: case __NR_getrlimit:
	case __NR_getrusage: case __NR_sysinfo: case __NR_getuid:
	case __NR_getgid: case __NR_geteuid: case __NR_getegid:
	case __NR_getppid: case __NR_statfs: case __NR_fstatfs:
	case __NR_gettid: case __NR_futex: case __NR_sched_getaffinity:
	case __NR_getdents64: case __NR_fadvise64: case __NR_clock_gettime:
	case __NR_clock_nanosleep: case __NR_epoll_wait: case __NR_epoll_ctl:
	case __NR_openat: case __NR_mkdirat: case __NR_newfstatat:
	case __NR_unlinkat: case __NR_renameat: case __NR_readlinkat:
	case __NR_faccessat: case __NR_utimensat: case __NR_fallocate:
	case __NR_eventfd2: case __NR_epoll_create1: case __NR_dup3:
	case __NR_pipe2: case __NR_preadv: case __NR_pwritev:
	case __NR_prlimit64: case __NR_getrandom: case __NR_statx:
	case __NR_renameat2: case __NR_copy_file_range: case __NR_faccessat2:
	case __NR_accept4: case __NR_sendmmsg: case __NR_recvmmsg:
	case __NR_lgetxattr: case __NR_getxattr: case __NR_fgetxattr:
	case __NR_rt_sigaction: case __NR_rt_sigprocmask:
	case __NR_rt_sigpending: case __NR_rt_sigsuspend: case __NR_ppoll:
	case __NR_pselect6: case __NR_epoll_pwait: case __NR_epoll_pwait2:
	case __NR_prctl:
		return 1;
	}
	return 0;
}

/* ---- the site ---------------------------------------------------------- */

/* signal-safe: the object holding ADDR is libc.so.6 or the loader */
static SCT_SIGSAFE int ours_to_patch(const struct dl_find_object *f)
{
	const struct link_map *l = f->dlfo_link_map;
	const char *b = sct_basename(l && l->l_name ? l->l_name : "");
	return sct_strncmp(b, "libc.so.6", 10) == 0 ||
	       sct_strncmp(b, "ld-linux-x86-64.so.2", 21) == 0;
}

/* signal-safe: the mov of the site ending at END (after its syscall) is
 * an instruction of its function and NR its number; 0 if not sure */
static SCT_SIGSAFE int site_ok(uint64_t end, long nr)
{
	const uint8_t *mov = (const uint8_t *)(end - 7);
	struct dl_find_object f;
	if (_dl_find_object((void *)mov, &f) != 0 || !ours_to_patch(&f) ||
	    (uint64_t)f.dlfo_map_start > end - 7 ||
	    (uint64_t)f.dlfo_map_end < end)
		return 0;
	uint32_t imm;
	memcpy(&imm, mov + 1, 4);
	if (mov[0] != 0xb8 || imm != (uint32_t)nr || mov[5] != 0x0f ||
	    mov[6] != 0x05)
		return 0;
	uint64_t lo, hi;
	if (sct_cfi_fde(end - 2, &lo, &hi) != 0 || lo > end - 7 || hi < end ||
	    end - 7 - lo > 65536)
		return 0;
	const uint8_t *p = (const uint8_t *)lo;
	while (p < mov) {
		unsigned n = sct_insn_len(p, (const uint8_t *)hi);
		if (!n)
			return 0;
		p += n;
	}
	return p == mov;
}

/* signal-safe: the 16 bytes at W (16-byte aligned) from OLD to NEW in one
 * atomic store (lock cmpxchg16b): a thread fetching them meanwhile sees
 * either, never a mix; 0 when they were OLD */
static SCT_SIGSAFE int cas16(void *w, const uint64_t old[2],
			     const uint64_t new[2])
{
	uint64_t lo = old[0], hi = old[1];
	unsigned char same;
	__asm__ volatile("lock cmpxchg16b %1\n\tsete %0"
			 : "=q"(same), "+m"(*(volatile __int128 *)w), "+a"(lo),
			   "+d"(hi)
			 : "b"(new[0]), "c"(new[1])
			 : "memory", "cc");
	return same ? 0 : -1;
}

/* signal-safe: replace the 5 bytes at AT by a jump to slot K.  ALONE: no
 * other thread can run them (the bytes change one by one); else they
 * change in one atomic store of the aligned 16 bytes holding them, so
 * only a mov inside such a block can be patched. */
static SCT_SIGSAFE int write_jump(uint8_t *at, unsigned k, int alone)
{
	uint64_t slot = (uint64_t)sct_patch_slots + 64 * k;
	int64_t rel = (int64_t)(slot - ((uint64_t)at + 5));
	uint8_t *w = (uint8_t *)((uintptr_t)at & ~(uintptr_t)15);
	if (rel != (int32_t)rel || (!alone && at + 5 > w + 16))
		return -1;
	uint64_t pg = (uint64_t)at & ~(PAGE - 1);
	uint64_t len = (((uint64_t)at + 5 + PAGE - 1) & ~(PAGE - 1)) - pg;
	if (sct_raw3(__NR_mprotect, pg, len,
		     PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
		patch_on = 0; /* refused here: it would be every time */
		return -1;
	}
	uint8_t code[5] = { 0xe9 };
	int32_t r32 = (int32_t)rel;
	memcpy(code + 1, &r32, 4);
	int r = 0;
	if (alone) {
		for (int i = 4; i >= 0; i--) /* the opcode last */
			((volatile uint8_t *)at)[i] = code[i];
	} else {
		uint64_t old[2], new[2];
		memcpy(old, w, 16);
		memcpy(new, old, 16);
		memcpy((uint8_t *)new + (at - w), code, 5);
		r = cas16(w, old, new);
	}
	if (sct_raw3(__NR_mprotect, pg, len, PROT_READ | PROT_EXEC) != 0)
		patch_on = 0;
	return r;
}

/* one patcher at a time (threads) */
static int patch_busy;

/* Traps at a site before it is patched.  A patch costs two mprotects and,
 * on a page of libc not patched before, the copy of that page: ~50-80 us
 * on these VMs, 20-30 traps.  Patching at the trap where the traps so far
 * have cost about what the patch does costs a site at most twice the
 * better of never and at once (ski rental).  Seen per site (SCTRACE_PATCH=0):
 * find 202 202 118 117 71 31 13 3 2..., python3 -S 66 8 7 7 6 5 4 4 4
 * 4..., sqlite3 68 7 4 4 3 3 2...: the sites called all along, not the
 * few calls of start-up. */
#define PATCH_AFTER 16
#define PATCH_AFTER_COPIED 4 /* on a page already copied: mprotects only */

/* signal-safe: is the page of each byte of the mov at AT a private copy
 * already (it holds a patched site)? */
static SCT_SIGSAFE int copied(uint64_t at)
{
	int lo = 0, hi = 0;
	for (unsigned k = 0; k < nslots; k++) {
		uint64_t pk = (sct_patch_ret[k] - 7) / PAGE,
			 qk = (sct_patch_ret[k] - 3) / PAGE;
		lo |= at / PAGE == pk || at / PAGE == qk;
		hi |= (at + 4) / PAGE == pk || (at + 4) / PAGE == qk;
	}
	return lo && hi;
}

SCT_SIGSAFE void sct_patch_note(uint64_t end, long nr)
{
	if (!patch_on || !plain(nr))
		return;
	unsigned h = (unsigned)((end * 0x9e3779b97f4a7c15ull) >> 56);
	unsigned i, n = 0, s = 0;
	for (i = 0; i < 16; i++) {
		s = (h + i) & (NSEEN - 1);
		uint64_t e = __atomic_load_n(&seen[s].end, __ATOMIC_RELAXED);
		if (e == end) {
			n = __atomic_add_fetch(&seen[s].n, 1, __ATOMIC_RELAXED);
			break;
		}
		if (!e) {
			uint64_t zero = 0;
			if (__atomic_compare_exchange_n(&seen[s].end, &zero, end,
							0, __ATOMIC_RELAXED,
							__ATOMIC_RELAXED))
				__atomic_store_n(&seen[s].n, 1, __ATOMIC_RELAXED);
			return;
		}
	}
	if (nslots >= NSLOT ||
	    (n != PATCH_AFTER && !(n == PATCH_AFTER_COPIED && copied(end - 7))))
		return;
	if (!sct_patch_seloff) {
		long off = sct_hot.self_off;
		if (!off)
			return;
		sct_patch_seloff = off + (long)offsetof(struct sct_thread, sel);
	}
	if (!site_ok(end, nr))
		return;
	if (__atomic_exchange_n(&patch_busy, 1, __ATOMIC_ACQUIRE)) {
		/* later: at its next trap */
		__atomic_store_n(&seen[s].n, n - 1, __ATOMIC_RELAXED);
		return;
	}
	uint64_t all = ~0ull, old;
	if (sct_raw4(__NR_rt_sigprocmask, SIG_SETMASK, &all, &old, 8) == 0) {
		/* once (signals blocked: no handler of ours sees the fd) */
		if (!filter_checked && (filter_checked = 1, filtered()))
			patch_on = 0;
		unsigned k = nslots;
		int alone = !patch_mt && __libc_single_threaded;
		if (patch_on && k < NSLOT) {
			sct_patch_nr[k] = (uint32_t)nr;
			sct_patch_ret[k] = end;
			if (write_jump((uint8_t *)(end - 7), k, alone) == 0)
				nslots = k + 1;
		}
		sct_raw4(__NR_rt_sigprocmask, SIG_SETMASK, &old, 0, 8);
	}
	__atomic_store_n(&patch_busy, 0, __ATOMIC_RELEASE);
}

/* Called by patch.S with the program's registers in F (a gregs array, the
 * slot after it): the handler's work on a context made of them. */
SCT_SIGSAFE long sct_patch_slow(long *f)
{
	ucontext_t uc;
	greg_t *g = uc.uc_mcontext.gregs;
	for (int i = 0; i <= EFL; i++)
		g[i] = f[i];
	g[REG_RAX] = sct_patch_nr[f[18]];
	g[REG_RCX] = g[REG_RIP];
	g[REG_R11] = 0;
	g[REG_EFL] = 0;
	g[REG_CSGSFS] = 0; /* not resumed as a signal (trap.c) */
	uc.uc_mcontext.fpregs = 0;
	sct_trap_slot(&uc);
	return g[REG_RAX];
}
