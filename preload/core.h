/* Internals shared by preload/core.c, proc.c and exec.c (not by wrappers). */
#ifndef SCT_CORE_H
#define SCT_CORE_H

#include <errno.h>

#include "sct.h"

#define SCT_PATH_MAX 4096
#define SCT_MAX_SAVED_ENV 16

struct sct_thread {
	struct sct_wring w;
	int state;   /* 0: no ring yet, 1: ring ready, -1: ring failed */
	int guard;   /* non-zero while the tracer itself runs in this thread */
	int tid;
	/* clock calibration: a clock read every SCT_CAL_EVERY calls, the time
	 * stamp counter in between */
	unsigned cal_left;
	uint64_t cal_ns, cal_tsc;
	double cal_rate;       /* ns per counter tick */
	/* trap layer (trap.c) */
	volatile unsigned char sel; /* Syscall User Dispatch selector */
	unsigned char app_sigsys_blocked; /* the program's view of its mask */
	unsigned short adopt_fn; /* a wrapper left this syscall to the trap
				    (0: none) */
	int adopt_nr;          /* ... number */
	int vchild_tid;        /* a vfork child running on this TLS: its tid */
	/* the SIGSYS handler's context while it writes a trapped call's
	 * record: its stack is unwound from there (preload/stack.c) */
	const void *trap_uc;
	/* the stack id + 1 of the record being written, taken earlier (a
	 * vfork parent's, from the trap's context before the child ran on
	 * its stack); 0: none, the record path takes it */
	uint32_t stack_preset;
	/* preload/stack.c is inside libunwind (or setting up): the libc
	 * calls reaching the wrappers meanwhile are the tracer's own, not
	 * lost records */
	unsigned char in_unwind;
	/* preload/stack.c: this thread's memo of walked stacks (NULL: not
	 * mapped yet, (void *)1: none) and its next victim way; here, not
	 * in __thread variables of their own, which cost a GOT load (one
	 * more page) per capture */
	void *memo;
	unsigned memo_victim;
	/* its sets in use: 64 - the bits of a hash that index them (stack.c:
	 * the first MEMO_SETS_FIRST, then all); entries pushed out */
	unsigned char memo_shift;
	unsigned short memo_evicted;
};

/* Trap selector values (linux/prctl.h: SYSCALL_DISPATCH_FILTER_*). */
#define SCT_SEL_ALLOW 0
#define SCT_SEL_BLOCK 1

struct sct_config {
	char dir[SCT_PATH_MAX];
	char exe[256];
	char comm[16];
	/* "LD_PRELOAD=..." and "SCTRACE_*=..." as found at start, re-injected
	 * into the environment of exec'd programs. */
	char *saved_env[SCT_MAX_SAVED_ENV];
	int nsaved_env;
	int trap_req;          /* SCTRACE_TRAP: enum sct_trap_mode, -1: auto */
	/* SCTRACE_PLACE (default 1; 0: accept the chance): the seccomp
	 * fallback lists sites only in an image placed by sctrace or a
	 * traced parent */
	int place_required;
	/* SCTRACE_PATCH (default 1; 0: never): sites of libc and the loader
	 * that keep trapping are patched (preload/patch.c, which turns it
	 * off where it cannot patch) */
	int patch;
	uint64_t ring_size;    /* data bytes per ring, power of two */
	uint64_t stage_size;   /* staging bytes per ring (ring.h), 0 = none */
	/* what every traced call reads is in sct_hot (sct.h) */
};

extern struct sct_config sct_cfg;
extern int sct_pid;
/* this image's id: CLOCK_MONOTONIC ns when its tracing started (ctor, fork
 * child); names its side file PID-IMAGE.stk (include/sctrace/stack.h) */
extern uint64_t sct_image;
extern __thread struct sct_thread sct_self;

/* signal-safe: &sct_self, through sct_hot.self_off once known: the
 * compiler's own way loads the offset from the GOT, one more page per
 * call */
SCT_SIGSAFE SCT_COLD struct sct_thread *sct_me_slow(void);
static inline struct sct_thread *sct_me(void)
{
	long off = sct_hot.self_off;
	if (__builtin_expect(off != 0, 1))
		return (struct sct_thread *)((char *)__builtin_thread_pointer() +
					     off);
	return sct_me_slow();
}

/* signal-safe: &errno of the calling thread, the same way (no call into
 * libc); before the offset is known, through libc (a cold call: the PLT
 * and GOT stay off the traced-call path's pages) */
SCT_SIGSAFE SCT_COLD int *sct_errno_slow(void);
static inline int *sct_errno(void)
{
	long off = sct_hot.errno_off;
	if (__builtin_expect(off != 0, 1))
		return (int *)((char *)__builtin_thread_pointer() + off);
	return sct_errno_slow();
}

/* signal-safe: the calling thread's ring writer, created on first use;
 * NULL when the ring cannot exist (counted, reported once). */
SCT_SIGSAFE SCT_COLD struct sct_wring *sct_thread_ring(void);
/* signal-safe: an event record (START, FORK, EXIT, ...) with an optional
 * string-array blob (argv) and a return value. */
SCT_SIGSAFE void sct_event(unsigned type, long ret, char *const *strv);
/* signal-safe: write one syscall record for C with result R. */
SCT_SIGSAFE void sct_write_call(struct sct_call *c, uint64_t end, long r,
				int failed, unsigned type, unsigned flags,
				int tid);
SCT_SIGSAFE SCT_COLD uint64_t sct_now(void);
/* signal-safe: the process's EXIT event with its exit status */
SCT_SIGSAFE void sct_exit_event(int status);
/* signal-safe: forget the rings inherited from the parent (fork child). */
SCT_SIGSAFE void sct_after_fork_child(void);

/* trap.c: the trap layer.  sct_hot.trap_mode is the active enum
 * sct_trap_mode. */
void sct_trap_init(void);
SCT_SIGSAFE void sct_trap_arm_thread(void);
/* signal-safe: does a wrapper of syscall NR leave it to the trap layer
 * (the syscall must be seen by the handler: signal masks, forks, exit)? */
SCT_SIGSAFE int sct_trap_adopts(unsigned nr);
SCT_SIGSAFE size_t sct_safe_copy(void *dst, uintptr_t src, size_t n);
SCT_SIGSAFE size_t sct_safe_write(uintptr_t dst, const void *src, size_t n);
/* signal-safe: start/end a record of a trapped syscall; FN != 0 when a
 * wrapper adopted it.  R is the kernel's result (-errno). */
SCT_SIGSAFE int sct_trap_begin(struct sct_call *c, unsigned fn, unsigned nr,
			       const long *args);
SCT_SIGSAFE void sct_trap_end(struct sct_call *c, long r, unsigned flags);
/* seccomp.c: the seccomp RET_TRAP fallback: installs the filter trapping
 * the syscall sites of the objects loaded now (not signal-safe: the
 * constructor); -1 with *WHY set when refused.  Its traps carry
 * SCT_SECCOMP_DATA in si_errno. */
#define SCT_SECCOMP_DATA 0x5c7
int sct_seccomp_install(const char **why);
/* exec.c: a trapped execve/execveat: environment fixed, recorded at
 * entry, performed; returns only on failure (-errno). */
SCT_SIGSAFE long sct_trap_exec(long nr, const long *a);

/* preload/place.c: an exec'd image's libraries below every trapped site */
void sct_place_init(void);
int sct_place_start(void);
int sct_place_misplaced(uint64_t hi);
int sct_place_set(uint64_t below);
SCT_SIGSAFE long sct_place_execve(long nr, const long *a);
SCT_SIGSAFE size_t sct_exec_arg_bytes(char *const *argv, char *const *envp);

/* small string helpers (no libc) */
SCT_SIGSAFE size_t sct_strlen(const char *s);
SCT_SIGSAFE char *sct_stpcpy(char *d, const char *s, const char *end);
SCT_SIGSAFE char *sct_utoa(char *d, unsigned long v, const char *end);
SCT_SIGSAFE int sct_strncmp(const char *a, const char *b, size_t n);
/* signal-safe: PATH after its last '/' (all of it without one) */
SCT_SIGSAFE const char *sct_basename(const char *path);
SCT_SIGSAFE void sct_msg(const char *a, const char *b, const char *c);
/* util.c: size, map shared and close the new file FD of TOTAL bytes; NULL
 * with -errno in *ERR.  Its pages get memory only as they are populated
 * (*SPARSE = 1: its first page is): the caller populates every page
 * before its first write and takes a failure as a full file system,
 * never risking SIGBUS.  On kernels that cannot populate on request the
 * file gets all its blocks now (fallocate) and *SPARSE = 0. */
SCT_SIGSAFE void *sct_shm_map(long fd, uint64_t total, long *err,
			      int *sparse);
/* signal-safe: give [ADDR, ADDR + LEN) its pages now, in one call, rather
 * than a page fault at each page's first write (~10 us each on some
 * virtual machines, ~1 us a page this way).  0, or -ENOSPC where the file
 * system has no room (a write there would raise SIGBUS), -EINVAL before
 * Linux 5.14. */
SCT_SIGSAFE long sct_populate(void *addr, uint64_t len);

#endif
