/* Hostile arguments for system calls that are safe to make with them: the
 * tracer reads a call's strings, buffers and structs from the program's
 * memory, and must never read what the kernel did not (crash) nor change a
 * result, an errno or the memory a call writes.  tests/argfuzz.sh runs this
 * natively and under the preload and compares the outputs.
 *
 *   argfuzz DIR [SKIP]
 *
 * DIR: a scratch directory, created (it must not exist or be empty) and made
 * the current directory: every file a call may create lands there.  SKIP:
 * tuples not to make (known tracer bugs), ';'-separated patterns
 * "NAME A0 A1 A2 A3 A4 A5" of value names, '*' for any, a trailing '*' in a
 * name for a prefix ("end-*"), '|' between alternatives ("1|guard|end-*");
 * arguments left out match anything.
 *
 * Each syscall of the allowlist below has, per argument, a domain of value
 * names (the first one the default) and optionally extra base tuples.  The
 * tuples made, a fixed function of the tables and a fixed seed: each base,
 * each base with one argument changed to each value of its domain, each
 * base with two arguments changed (all pairs, or a fixed-seed sample of
 * them when there are too many), and random tuples.  Each tuple is made
 * twice, through libc's syscall() and through an inline `syscall`
 * instruction, every scratch resource it can see reset before each.  One
 * line per call:
 *
 *   INDEX VIA NR A0 A1 A2 A3 A4 A5 -> RET ERRNO MEM # NAME
 *
 * VIA "libc" or "raw"; the arguments by value name (addresses are names of
 * places in the scratch mappings, so two runs compare); RET and ERRNO as
 * libc would report them (raw results converted); MEM a hash of the scratch
 * memory after the call ("-" for calls whose output differs from run to run:
 * times, inode numbers, ports).  Exits 0.
 *
 * No TCP connection: loopback TCP delivers a moment after send() returns,
 * and odd flags (urgent data) can stall it; what it alone would show
 * (recv with MSG_TRUNC discards without writing the buffer) is in the
 * report of tests/argfuzz.sh's known bugs.
 *
 * Safety (the program must survive its own calls, natively): only these
 * calls; no fd argument is ever 0, 1 or 2; every pointer is NULL, a small
 * integer, a kernel address or a place in the scratch mappings (whose
 * writable parts are followed by an inaccessible page, so an oversized
 * length stops there); timeouts are never NULL where NULL would block and
 * never a long time; every socket and pipe is non-blocking; signal masks
 * and actions are only queried (their new-value argument NULL or
 * unreadable); exec only of paths that cannot be executed; no O_CREAT for
 * mq_open; new descriptors are closed after each call. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "raw.h"

/* newer than some headers (Linux 6.7) */
#ifndef SYS_futex_wake
#define SYS_futex_wake 454
#define SYS_futex_wait 455
#define SYS_futex_requeue 456
#endif

#define PG 4096L

/* ---- values ------------------------------------------------------------- */

struct val {
	long v;
	char name[24];
	int res; /* scratch resources it can touch: R_* bits */
	int minor; /* a variant of another value: single-argument sweeps only */
};
enum {
	R_FILE = 1, R_DIR = 2, R_UDG = 4, R_UST = 8, R_PIPE = 16,
	R_ALL = 31,
};
static struct val vals[256];
static int nvals;
/* variants left out of the pairs and random tuples (ARGFUZZ_DEEP: not) */
static const char *const minors[] = { "end-2", "end-3", "end-5", "end-6",
	"end-7", "bufend-1", "4096", "65536", "7", "4", "16", "32", "255",
	"128", "256", "24", "0x80000000", "fd:ust1", "fd:closed", "fd:zero",
	"fd:timer", "s:nomq", 0 };
static int deep;

static int val_find(const char *name)
{
	for (int i = 0; i < nvals; i++)
		if (!strcmp(vals[i].name, name))
			return i;
	return -1;
}

static int val_add(const char *name, long v, int res)
{
	int i = val_find(name);
	if (i >= 0)
		return i;
	if (nvals == (int)(sizeof vals / sizeof *vals)) {
		fprintf(stderr, "argfuzz: too many values\n");
		exit(2);
	}
	snprintf(vals[nvals].name, sizeof vals[nvals].name, "%s", name);
	vals[nvals].v = v;
	vals[nvals].res = res;
	vals[nvals].minor = 0;
	for (int i = 0; minors[i]; i++)
		vals[nvals].minor |= !strcmp(minors[i], name);
	return nvals++;
}

/* a name, or an integer literal (added on first use) */
static int val_get(const char *name)
{
	int i = val_find(name);
	if (i >= 0)
		return i;
	char *end;
	errno = 0;
	long v = strtol(name, &end, 0);
	if (errno || *end || end == name) {
		unsigned long u = strtoul(name, &end, 0);
		if (*end || end == name) {
			fprintf(stderr, "argfuzz: unknown value %s\n", name);
			exit(2);
		}
		v = (long)u;
	}
	return val_add(name, v, 0);
}

/* value sets, by letter: @i ints, @p pointers, @s strings, @f fds, @d dir
 * fds, @t timeouts (never NULL), @k signal sets the kernel may install
 * (NULL, empty or unreadable), @x sizes */
static const char *const sets[][2] = {
	{ "i", "0 1 -1 2 3 4 7 8 16 32 64 255 4096 65536 0x7fffffff "
	       "0x80000000 -4096 0x100000000" },
	{ "p", "0 1 guard end-1 end-2 end-3 end-4 end-5 end-6 end-7 end-8 ro "
	       "buf bufend-8 bufend-1 4096 -4096" },
	{ "s", "s:f s:l s:dot s:empty s:nodir s:xattr s:nomq" },
	{ "f", "fd:file fd:null fd:zero fd:dir fd:udg0 fd:udg1 fd:ust0 "
	       "fd:ust1 fd:listen fd:piper fd:pipew fd:epoll "
	       "fd:timer fd:inotify fd:closed -1" },
	{ "d", "at_fdcwd fd:dir fd:file fd:null -1 fd:closed" },
	{ "t", "s:ts0 s:ts1us s:tsbad buf guard end-1 end-4 end-8 1 -4096" },
	{ "k", "0 buf guard end-1 end-4 end-7 1 -4096" },
	{ "x", "0 1 4 7 8 16 24 64 128 256 4096 65536 -1 0x7fffffff "
	       "0x100000000" },
};

/* ---- the allowlist ------------------------------------------------------ */

enum { VOLMEM = 1, VOLRET = 2, NEWFD = 4, RESETALL = 8 };
struct sc {
	const char *name;
	long nr;
	int nargs, flags;
	const char *dom[6];    /* per argument: value names and @sets */
	const char *bases[3];  /* more base tuples, "A0 A1 ..." */
};

/* the entries leave bases out when there are none */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#define P "s:f @s @p"                /* a path */
#define RECVF "0 @i 0x20 0x22 0x40 0x60 0x100 0x2000 0x40000000"
static const struct sc calls[] = {
	{ "read", SYS_read, 3, 0, { "fd:file @f", "buf @p", "64 @x" },
	  { "fd:udg1 buf 64", "fd:null buf 64" } },
	{ "write", SYS_write, 3, 0, { "fd:file @f", "buf @p", "64 @x" },
	  { "fd:null buf 64", "fd:pipew buf 64" } },
	{ "pread64", SYS_pread64, 4, 0, { "fd:file @f", "buf @p", "64 @x", "0 @i" } },
	{ "pwrite64", SYS_pwrite64, 4, 0, { "fd:file @f", "buf @p", "64 @x", "0 @i" },
	  { "fd:null buf 64 0" } },
	{ "readv", SYS_readv, 3, 0, { "fd:file @f", "buf @p", "1 @i" } },
	{ "writev", SYS_writev, 3, 0, { "fd:file @f", "buf @p", "1 @i" } },
	{ "open", SYS_open, 3, NEWFD,
	  { P, "0 @i 0102 020200002 0200000 01001 010000000 0100", "0600 @i" } },
	{ "openat", SYS_openat, 4, NEWFD,
	  { "@d", P, "0 @i 0102 020200002 0200000 01001 010000000", "0600 @i" } },
	{ "openat2", SYS_openat2, 4, NEWFD, { "@d", P, "buf @p", "24 @x" } },
	{ "creat", SYS_creat, 2, NEWFD, { P, "0600 @i" } },
	{ "stat", SYS_stat, 2, VOLMEM, { P, "buf @p" } },
	{ "lstat", SYS_lstat, 2, VOLMEM, { P, "buf @p" } },
	{ "fstat", SYS_fstat, 2, VOLMEM, { "@f", "buf @p" } },
	{ "newfstatat", SYS_newfstatat, 4, VOLMEM,
	  { "@d", P, "buf @p", "0 @i 0x1000 0x100" } },
	{ "statx", SYS_statx, 5, VOLMEM,
	  { "@d", P, "0 @i 0x1000 0x100", "0x7ff @i", "buf @p" } },
	{ "statfs", SYS_statfs, 2, VOLMEM, { P, "buf @p" } },
	{ "fstatfs", SYS_fstatfs, 2, VOLMEM, { "@f", "buf @p" } },
	{ "access", SYS_access, 2, 0, { P, "0 @i" } },
	{ "faccessat", SYS_faccessat, 3, 0, { "@d", P, "0 @i" } },
	{ "faccessat2", SYS_faccessat2, 4, 0, { "@d", P, "0 @i", "0 @i 0x200 0x1000" } },
	{ "readlink", SYS_readlink, 3, 0, { "s:l @s @p", "buf @p", "64 @x" } },
	{ "readlinkat", SYS_readlinkat, 4, 0,
	  { "@d", "s:l @s @p", "buf @p", "64 @x" } },
	{ "getcwd", SYS_getcwd, 2, 0, { "buf @p", "4096 @x" } },
	{ "getxattr", SYS_getxattr, 4, 0, { P, "s:xattr @s @p", "buf @p", "64 @x" } },
	{ "lgetxattr", SYS_lgetxattr, 4, 0, { P, "s:xattr @s @p", "buf @p", "64 @x" } },
	{ "fgetxattr", SYS_fgetxattr, 4, 0,
	  { "fd:file @f", "s:xattr @s @p", "buf @p", "64 @x" } },
	{ "listxattr", SYS_listxattr, 3, 0, { P, "buf @p", "64 @x" } },
	{ "llistxattr", SYS_llistxattr, 3, 0, { P, "buf @p", "64 @x" } },
	{ "flistxattr", SYS_flistxattr, 3, 0, { "fd:file @f", "buf @p", "64 @x" } },
	{ "getdents64", SYS_getdents64, 3, VOLMEM, { "fd:dir @f", "buf @p", "4096 @x" } },
	{ "getdents", SYS_getdents, 3, VOLMEM, { "fd:dir @f", "buf @p", "4096 @x" } },
	{ "lseek", SYS_lseek, 3, 0, { "fd:file @f", "0 @i", "0 @i" } },
	{ "poll", SYS_poll, 3, RESETALL, { "buf @p", "1 @i", "0" } },
	{ "ppoll", SYS_ppoll, 5, RESETALL, { "buf @p", "1 @i", "@t", "@k", "8 @x" } },
	{ "select", SYS_select, 5, RESETALL, { "16 @i", "buf @p", "buf @p", "0 @p", "@t" } },
	{ "pselect6", SYS_pselect6, 6, RESETALL,
	  { "16 @i", "buf @p", "buf @p", "0 @p", "@t", "0 @p" } },
	{ "epoll_wait", SYS_epoll_wait, 4, RESETALL, { "fd:epoll @f", "buf @p", "4 @i", "0" } },
	{ "epoll_pwait", SYS_epoll_pwait, 6, RESETALL,
	  { "fd:epoll @f", "buf @p", "4 @i", "0", "@k", "8 @x" } },
	{ "epoll_pwait2", SYS_epoll_pwait2, 6, RESETALL,
	  { "fd:epoll @f", "buf @p", "4 @i", "@t", "@k", "8 @x" } },
	{ "nanosleep", SYS_nanosleep, 2, 0, { "@t", "0 @p" } },
	/* no CPU-time clocks (2, negative ids): a relative sleep on the
	 * process clock of a sleeping process never ends */
	{ "clock_nanosleep", SYS_clock_nanosleep, 4, 0,
	  { "1 0 3 4 5 6 7 8 9 11 12 16 1000", "0 @i", "@t", "0 @p" } },
	{ "clock_gettime", SYS_clock_gettime, 2, VOLMEM, { "1 @i", "buf @p" } },
	{ "clock_getres", SYS_clock_getres, 2, 0, { "1 @i", "buf @p" } },
	{ "gettimeofday", SYS_gettimeofday, 2, VOLMEM, { "buf @p", "0 @p" } },
	{ "futex", SYS_futex, 6, VOLMEM,
	  { "buf @p", "0 1 3 4 5 6 7 8 9 10 11 12 13 128 137 134 265 14 -1 0x2000",
	    "0 @i", "@t 2 3 64", "bufend-8 @p", "0 @i" } },
	{ "futex_wait", SYS_futex_wait, 6, VOLMEM,
	  { "buf @p", "0 @i", "-1 @i", "2 @i", "@t", "1 @i" } },
	{ "futex_wake", SYS_futex_wake, 4, VOLMEM, { "buf @p", "-1 @i", "1 @i", "2 @i" } },
	{ "futex_waitv", SYS_futex_waitv, 5, VOLMEM, { "buf @p", "1 @i", "0 @i", "@t", "1 @i" } },
	{ "futex_requeue", SYS_futex_requeue, 4, VOLMEM, { "buf @p", "0 @i", "1 @i", "1 @i" } },
	{ "wait4", SYS_wait4, 4, 0, { "-1 @i", "buf @p", "1 @i", "0 @p" } },
	{ "waitid", SYS_waitid, 5, 0, { "0 @i", "0 @i", "buf @p", "5 @i", "0 @p" } },
	{ "getrlimit", SYS_getrlimit, 2, 0, { "7 @i", "buf @p" } },
	{ "prlimit64", SYS_prlimit64, 4, 0,
	  { "0 @i", "7 @i", "0 1 guard end-1 end-8 -4096", "buf @p" } },
	{ "getrusage", SYS_getrusage, 2, VOLMEM, { "0 @i", "buf @p" } },
	{ "times", SYS_times, 1, VOLMEM | VOLRET, { "buf @p" } },
	{ "sysinfo", SYS_sysinfo, 1, VOLMEM, { "buf @p" } },
	{ "uname", SYS_uname, 1, 0, { "buf @p" } },
	{ "getresuid", SYS_getresuid, 3, 0, { "buf @p", "bufend-8 @p", "end-4 @p" } },
	{ "getresgid", SYS_getresgid, 3, 0, { "buf @p", "bufend-8 @p", "end-4 @p" } },
	{ "getsockname", SYS_getsockname, 3, VOLMEM,
	  { "fd:udg0 @f", "buf @p", "bufend-8 @p" } },
	{ "getpeername", SYS_getpeername, 3, VOLMEM,
	  { "fd:udg0 @f", "buf @p", "bufend-8 @p" } },
	{ "getsockopt", SYS_getsockopt, 5, VOLMEM,
	  { "fd:udg0 @f", "1 @i 6 0", "7 @i 17 20 39", "buf @p", "bufend-8 @p" } },
	{ "accept", SYS_accept, 3, VOLMEM | NEWFD, { "fd:listen @f", "buf @p", "bufend-8 @p" } },
	{ "accept4", SYS_accept4, 4, VOLMEM | NEWFD,
	  { "fd:listen @f", "buf @p", "bufend-8 @p", "0x800 @i" } },
	{ "recvfrom", SYS_recvfrom, 6, VOLMEM,
	  { "fd:udg1 @f", "buf @p", "64 @x", RECVF, "0 @p", "0 @p" },
	  { "fd:ust1 buf 64 0 0 0", "fd:udg1 buf 0 0x20 0 0" } },
	{ "sendto", SYS_sendto, 6, 0,
	  { "fd:udg0 @f", "buf @p", "16 @x", "0x40 @i", "0 @p", "0 @x" },
	  { "fd:ust0 buf 16 0x40 0 0" } },
	{ "recvmsg", SYS_recvmsg, 3, VOLMEM | NEWFD, { "fd:udg1 @f", "buf @p", RECVF } },
	{ "sendmsg", SYS_sendmsg, 3, 0, { "fd:udg0 @f", "buf @p", "0x40 @i" } },
	{ "recvmmsg", SYS_recvmmsg, 5, VOLMEM | NEWFD,
	  { "fd:udg1 @f", "buf @p", "1 @i", RECVF, "0 @t" } },
	{ "sendmmsg", SYS_sendmmsg, 4, 0, { "fd:udg0 @f", "buf @p", "1 @i", "0x40 @i" } },
	{ "timer_gettime", SYS_timer_gettime, 2, 0, { "0 @i", "buf @p" } },
	{ "timerfd_gettime", SYS_timerfd_gettime, 2, 0, { "fd:timer @f", "buf @p" } },
	{ "sched_rr_get_interval", SYS_sched_rr_get_interval, 2, 0, { "0 @i", "buf @p" } },
	{ "sched_getaffinity", SYS_sched_getaffinity, 3, 0, { "0 @i", "128 @x", "buf @p" } },
	{ "sched_getparam", SYS_sched_getparam, 2, 0, { "0 @i", "buf @p" } },
	{ "sched_getscheduler", SYS_sched_getscheduler, 1, 0, { "0 @i" } },
	{ "sched_getattr", SYS_sched_getattr, 4, 0, { "0 @i", "buf @p", "56 @x", "0 @i" } },
	{ "rt_sigpending", SYS_rt_sigpending, 2, 0, { "buf @p", "8 @x" } },
	/* how: SIG_BLOCK, SIG_UNBLOCK, invalid; the set NULL, empty or
	 * unreadable */
	{ "rt_sigprocmask", SYS_rt_sigprocmask, 4, 0,
	  { "0 1 3 -1 64", "0 @k", "buf @p", "8 @x" } },
	/* query only: the new action NULL or unreadable */
	{ "rt_sigaction", SYS_rt_sigaction, 4, VOLMEM,
	  { "31 @i 11 10 33", "0 1 guard end-1 end-8 -4096", "buf @p", "8 @x" } },
	{ "rt_sigtimedwait", SYS_rt_sigtimedwait, 4, 0, { "buf @p", "0 @p", "@t", "8 @x" } },
	{ "signalfd4", SYS_signalfd4, 4, NEWFD, { "-1 @f", "buf @p", "8 @x", "0 @i" } },
	{ "pipe2", SYS_pipe2, 2, NEWFD, { "buf @p", "0x800 @i" } },
	{ "socketpair", SYS_socketpair, 4, NEWFD, { "1 @i", "0x801 @i", "0 @i", "buf @p" } },
	{ "memfd_create", SYS_memfd_create, 2, NEWFD, { "s:f @s @p", "1 @i" } },
	{ "inotify_add_watch", SYS_inotify_add_watch, 3, 0, { "fd:inotify @f", P, "2 @i" } },
	{ "mq_open", SYS_mq_open, 4, NEWFD,
	  { "s:nomq 0 1 guard end-1 end-8 ro buf -4096", "0 1 2 04000 04002", "0600 @i",
	    "0 @p" } },
	{ "mq_unlink", SYS_mq_unlink, 1, 0,
	  { "s:nomq 0 1 guard end-1 end-8 ro buf -4096" } },
	{ "mq_timedsend", SYS_mq_timedsend, 5, 0, { "@f", "buf @p", "16 @x", "0 @i", "@t" } },
	{ "mq_timedreceive", SYS_mq_timedreceive, 5, 0,
	  { "@f", "buf @p", "16 @x", "0 @p", "@t" } },
	{ "getrandom", SYS_getrandom, 3, VOLMEM, { "buf @p", "16 @x", "1 @i" } },
	{ "getcpu", SYS_getcpu, 3, VOLMEM, { "buf @p", "0 @p", "0 @p" } },
	{ "getitimer", SYS_getitimer, 2, 0, { "0 @i", "buf @p" } },
	{ "capget", SYS_capget, 2, 0, { "buf @p", "bufend-8 @p" } },
	{ "getgroups", SYS_getgroups, 2, 0, { "16 @i", "buf @p" } },
	{ "get_robust_list", SYS_get_robust_list, 3, VOLMEM, { "0 @i", "buf @p", "bufend-8 @p" } },
	{ "getpgid", SYS_getpgid, 1, VOLRET, { "0 @i" } },
	{ "getsid", SYS_getsid, 1, VOLRET, { "0 @i" } },
	{ "getpriority", SYS_getpriority, 2, 0, { "0 @i", "0 @i" } },
	{ "ioprio_get", SYS_ioprio_get, 2, 0, { "1 @i", "0 @i" } },
	/* VOLMEM: a long range reaches mappings past the scratch ones */
	{ "mincore", SYS_mincore, 3, VOLMEM, { "buf guard ro 0 1 4096", "4096 @x", "end-8 @p" } },
	{ "chdir", SYS_chdir, 1, 0, { "s:dot @s @p" } },
	{ "fchdir", SYS_fchdir, 1, 0, { "fd:dir @f" } },
	/* exec only of what cannot run: missing, unreadable, not executable
	 * (the scratch file is 0600 and nothing here changes modes), or empty
	 * (a file some open(O_CREAT) made: ENOEXEC) */
	{ "execve", SYS_execve, 3, 0,
	  { "s:nodir s:f s:l s:dot s:empty s:xattr 0 1 guard end-1 end-8 ro buf",
	    "s:argv 0 1 guard end-8 ro buf s:argvbad s:argvunterm",
	    "s:argv 0 1 guard end-8 ro buf s:argvbad s:argvunterm" } },
	{ "execveat", SYS_execveat, 5, 0,
	  { "@d", "s:nodir s:f s:l s:dot s:empty s:xattr 0 1 guard end-1 end-8 ro buf",
	    "s:argv 0 guard end-8 ro buf s:argvbad s:argvunterm",
	    "s:argv 0 guard end-8 ro buf s:argvbad s:argvunterm", "0 0x1000 0x100 -1" } },
};
#define NCALLS (int)(sizeof calls / sizeof *calls)

/* ---- scratch state ------------------------------------------------------ */

static char *endpg, *ro, *strpg, *buf;
#define BUFSZ (4 * PG)
static int fd_file, fd_dir, fd_udg[2], fd_ust[2], fd_listen,
	fd_pipe[2], fd_epoll, first_free;
static const char content[] = "0123456789abcdef0123456789abcdef"
			      "0123456789abcdef0123456789ABCDEF";

static void die(const char *what)
{
	fprintf(stderr, "argfuzz: set-up: %s: %s\n", what, strerror(errno));
	exit(2);
}

static char *strput(char **p, const char *s)
{
	char *r = *p;
	strcpy(r, s);
	*p += strlen(s) + 1;
	return r;
}

static void setup_memory(void)
{
	/* guard | end page (RW 'A') | guard | ro ('B', NUL last) | guard |
	 * strings (RO) | guard | buf (RW, 4 pages) | guard */
	/* at a fixed address where it can be (never over another mapping):
	 * an address passed where an integer is read (futex's val2) is then
	 * the same number in every run */
	char *m = mmap((void *)0x5c7a00000000l, 16 * PG, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m == MAP_FAILED)
		m = mmap(0, 16 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		die("mmap");
	endpg = m + PG, ro = m + 3 * PG, strpg = m + 5 * PG, buf = m + 7 * PG;
	if (mprotect(endpg, PG, PROT_READ | PROT_WRITE) ||
	    mprotect(ro, PG, PROT_READ | PROT_WRITE) ||
	    mprotect(strpg, PG, PROT_READ | PROT_WRITE) ||
	    mprotect(buf, BUFSZ, PROT_READ | PROT_WRITE))
		die("mprotect");
	memset(ro, 'B', PG - 1);
	ro[PG - 1] = 0;
	char *s = strpg;
	val_add("s:f", (long)strput(&s, "f"), R_FILE);
	val_add("s:l", (long)strput(&s, "l"), R_FILE);
	val_add("s:dot", (long)strput(&s, "."), R_DIR);
	val_add("s:empty", (long)strput(&s, ""), 0);
	val_add("s:nodir", (long)strput(&s, "nonexistent/x"), 0);
	val_add("s:xattr", (long)strput(&s, "user.sctrace"), 0);
	val_add("s:nomq", (long)strput(&s, "sctrace-argfuzz-no-such-queue"), 0);
	s = strpg + 512;
	long *w = (long *)s;
	val_add("s:ts0", (long)w, 0), w[0] = 0, w[1] = 0, w += 2;
	val_add("s:ts1us", (long)w, 0), w[0] = 0, w[1] = 1000, w += 2;
	val_add("s:tsbad", (long)w, 0), w[0] = 0, w[1] = -1, w += 2;
	val_add("s:argv", (long)w, 0), w[0] = vals[val_find("s:f")].v, w[1] = 0, w += 2;
	val_add("s:argvbad", (long)w, 0), w[0] = vals[val_find("s:f")].v,
		w[1] = (long)(strpg + PG), w[2] = 0, w += 3;
	/* an array running into the guard page after the strings */
	w = (long *)(strpg + PG) - 2;
	val_add("s:argvunterm", (long)w, 0);
	w[0] = w[1] = vals[val_find("s:f")].v;
	if (mprotect(ro, PG, PROT_READ) || mprotect(strpg, PG, PROT_READ))
		die("mprotect ro");
	val_add("guard", (long)(endpg + PG), 0);
	char nm[16];
	for (int k = 1; k <= 8; k++) {
		snprintf(nm, sizeof nm, "end-%d", k);
		val_add(nm, (long)(endpg + PG - k), 0);
	}
	val_add("ro", (long)ro, 0);
	val_add("buf", (long)buf, 0);
	val_add("bufend-8", (long)(buf + BUFSZ - 8), 0);
	val_add("bufend-1", (long)(buf + BUFSZ - 1), 0);
	val_add("at_fdcwd", AT_FDCWD, 0);
}

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void setup_fds(const char *dir)
{
	if (mkdir(dir, 0700) && errno != EEXIST)
		die("mkdir");
	if (chdir(dir))
		die("chdir");
	fd_file = open("f", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd_file < 0)
		die("open f");
	if (fchmod(fd_file, 0600) || symlink("f", "l"))
		die("fchmod/symlink");
	if (fsetxattr(fd_file, "user.sctrace", "value", 5, 0))
		fprintf(stderr, "argfuzz: no user xattr here (%s): the xattr calls "
				"see none\n", strerror(errno));
	val_add("fd:file", fd_file, R_FILE);
	int fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		die("/dev/null");
	val_add("fd:null", fd, 0);
	if ((fd = open("/dev/zero", O_RDONLY)) < 0)
		die("/dev/zero");
	val_add("fd:zero", fd, 0);
	if ((fd_dir = open(".", O_RDONLY | O_DIRECTORY)) < 0)
		die("open .");
	val_add("fd:dir", fd_dir, R_DIR);
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, fd_udg))
		die("socketpair dgram");
	val_add("fd:udg0", fd_udg[0], R_UDG);
	val_add("fd:udg1", fd_udg[1], R_UDG);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd_ust))
		die("socketpair stream");
	val_add("fd:ust0", fd_ust[0], R_UST);
	val_add("fd:ust1", fd_ust[1], R_UST);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	fd_listen = socket(AF_INET, SOCK_STREAM, 0);
	if (fd_listen < 0 || bind(fd_listen, (void *)&sa, sizeof sa) ||
	    listen(fd_listen, 4) || getsockname(fd_listen, (void *)&sa, &sl))
		die("tcp listen");
	if (nonblock(fd_listen))
		die("tcp listen");
	val_add("fd:listen", fd_listen, 0);
	if (pipe2(fd_pipe, O_NONBLOCK))
		die("pipe2");
	val_add("fd:piper", fd_pipe[0], R_PIPE);
	val_add("fd:pipew", fd_pipe[1], R_PIPE);
	fd_epoll = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1234 };
	if (fd_epoll < 0 || epoll_ctl(fd_epoll, EPOLL_CTL_ADD, fd_udg[1], &ev))
		die("epoll");
	val_add("fd:epoll", fd_epoll, R_UDG);
	if ((fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK)) < 0)
		die("timerfd");
	val_add("fd:timer", fd, 0);
	if ((fd = inotify_init1(IN_NONBLOCK)) < 0)
		die("inotify");
	val_add("fd:inotify", fd, 0);
	first_free = fd + 1;
	val_add("fd:closed", first_free + 100, 0);
}

static void drain(int fd)
{
	static char sink[65536];
	for (int i = 0; i < 4096; i++)
		if (recv(fd, sink, sizeof sink, MSG_DONTWAIT) < 0)
			return;
}

static void reset(int res)
{
	if (res & R_FILE) {
		if (ftruncate(fd_file, 0) ||
		    pwrite(fd_file, content, sizeof content - 1, 0) !=
			    (ssize_t)sizeof content - 1 ||
		    lseek(fd_file, 0, SEEK_SET))
			die("reset file");
	}
	if (res & R_DIR)
		lseek(fd_dir, 0, SEEK_SET);
	if (res & R_UDG) {
		drain(fd_udg[0]), drain(fd_udg[1]);
		send(fd_udg[0], content, 32, 0);
	}
	if (res & R_UST) {
		drain(fd_ust[0]), drain(fd_ust[1]);
		send(fd_ust[0], content, 32, 0);
	}
	if (res & R_PIPE) {
		static char sink[65536];
		while (read(fd_pipe[0], sink, sizeof sink) > 0)
			;
		if (write(fd_pipe[1], content, 32) != 32)
			die("reset pipe");
	}
	memset(endpg, 'A', PG);
	memset(buf, 0, BUFSZ);
}

/* ---- the tuples --------------------------------------------------------- */

struct dom {
	int n;
	short v[96];
};

static void dom_add(struct dom *d, int v)
{
	for (int i = 0; i < d->n; i++)
		if (d->v[i] == v)
			return;
	if (d->n < (int)(sizeof d->v / sizeof *d->v))
		d->v[d->n++] = (short)v;
}

static void dom_parse(struct dom *d, const char *spec)
{
	char tmp[512], *save;
	snprintf(tmp, sizeof tmp, "%s", spec ? spec : "0");
	d->n = 0;
	for (char *t = strtok_r(tmp, " ", &save); t; t = strtok_r(0, " ", &save)) {
		if (t[0] != '@') {
			dom_add(d, val_get(t));
			continue;
		}
		for (size_t s = 0; s < sizeof sets / sizeof *sets; s++) {
			if (strcmp(sets[s][0], t + 1))
				continue;
			struct dom sub;
			dom_parse(&sub, sets[s][1]);
			for (int i = 0; i < sub.n; i++)
				dom_add(d, sub.v[i]);
		}
	}
}

static uint64_t rng = 0x5c7ace2024ull;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static char skipspec[4096];

/* PAT: alternatives separated by '|', each a name or a prefix ending '*' */
static int name_matches(const char *pat, const char *name)
{
	while (*pat) {
		size_t n = strcspn(pat, "|");
		if (n && pat[n - 1] == '*' ? !strncmp(pat, name, n - 1)
					   : strlen(name) == n && !strncmp(pat, name, n))
			return 1;
		pat += n + (pat[n] == '|');
	}
	return 0;
}

static int skipped(const struct sc *c, const short *a)
{
	char tmp[sizeof skipspec], *s1, *s2;
	memcpy(tmp, skipspec, sizeof tmp);
	for (char *p = strtok_r(tmp, ";", &s1); p; p = strtok_r(0, ";", &s1)) {
		char *t = strtok_r(p, " ", &s2);
		if (!t || strcmp(t, c->name))
			continue;
		int all = 1;
		for (int i = 0; i < 6 && all; i++) {
			t = strtok_r(0, " ", &s2);
			if (t && i < c->nargs && !name_matches(t, vals[a[i]].name))
				all = 0;
		}
		if (all)
			return 1;
	}
	return 0;
}

static uint32_t memhash(void)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	const uint64_t *p = (const uint64_t *)endpg;
	for (long i = 0; i < PG / 8; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	p = (const uint64_t *)buf;
	for (long i = 0; i < BUFSZ / 8; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return (uint32_t)(h ^ h >> 32);
}

static unsigned idx, nskipped;
static int flush_each; /* ARGFUZZ_FLUSH set: each line written at once */

static void one(const struct sc *c, const short *a, int raw)
{
	long v[6] = { 0 };
	int res = c->flags & RESETALL ? R_ALL : 0;
	for (int i = 0; i < c->nargs; i++) {
		v[i] = vals[a[i]].v;
		res |= vals[a[i]].res;
	}
	reset(res);
	/* the line up to "->" first: a call that crashes the program is the
	 * one a line ends before its result */
	printf("%05u %s %ld", idx, raw ? "raw " : "libc", c->nr);
	for (int i = 0; i < 6; i++)
		printf(" %s", i < c->nargs ? vals[a[i]].name : "-");
	if (flush_each)
		fflush(stdout);
	long r;
	int e = 0;
	if (raw) {
		r = raw6(c->nr, v[0], v[1], v[2], v[3], v[4], v[5]);
		if ((unsigned long)r > -4096ul)
			e = (int)-r, r = -1;
	} else {
		errno = 0;
		r = syscall(c->nr, v[0], v[1], v[2], v[3], v[4], v[5]);
		if (r == -1)
			e = errno;
	}
	uint32_t h = memhash();
	if (c->flags & NEWFD)
		syscall(SYS_close_range, first_free, ~0u, 0);
	if (c->flags & VOLRET)
		printf(" -> %s %d", r == -1 ? "-1" : "*", e);
	else
		printf(" -> %ld %d", r, e);
	if (c->flags & VOLMEM)
		printf(" -");
	else
		printf(" %08x", h);
	printf(" # %s\n", c->name);
}

static void tuple(const struct sc *c, const short *a)
{
	if (skipped(c, a)) {
		nskipped++;
		return;
	}
	one(c, a, 0);
	one(c, a, 1);
	idx++;
}

static long pairmax = 1200, nrand = 40;

static void fuzz(const struct sc *c)
{
	struct dom d[6];
	short base[4][6];
	int nb = 1;
	for (int i = 0; i < c->nargs; i++) {
		dom_parse(&d[i], c->dom[i]);
		base[0][i] = d[i].v[0];
	}
	for (int b = 0; b < 3 && c->bases[b]; b++, nb++) {
		char tmp[256], *save, *t;
		snprintf(tmp, sizeof tmp, "%s", c->bases[b]);
		t = strtok_r(tmp, " ", &save);
		for (int i = 0; i < c->nargs; i++, t = strtok_r(0, " ", &save))
			base[nb][i] = (short)val_get(t ? t : "0");
	}
	short a[6];
	for (int b = 0; b < nb; b++) {
		memcpy(a, base[b], sizeof a);
		tuple(c, a);
		for (int i = 0; i < c->nargs; i++) {
			for (int x = 0; x < d[i].n; x++) {
				if (d[i].v[x] == base[b][i])
					continue;
				a[i] = d[i].v[x];
				tuple(c, a);
			}
			a[i] = base[b][i];
		}
		/* the pairs: of the values that are not minor variants, all
		 * of them, or a fixed-seed sample when there are too many */
		struct dom m[6];
		for (int i = 0; i < c->nargs; i++) {
			m[i].n = 0;
			for (int x = 0; x < d[i].n; x++)
				if (deep || !vals[d[i].v[x]].minor)
					dom_add(&m[i], d[i].v[x]);
		}
		long pairs = 0;
		for (int i = 0; i < c->nargs; i++)
			for (int j = i + 1; j < c->nargs; j++)
				pairs += (long)m[i].n * m[j].n;
		for (int i = 0; i < c->nargs; i++)
			for (int j = i + 1; j < c->nargs; j++)
				for (int x = 0; x < m[i].n; x++)
					for (int y = 0; y < m[j].n; y++) {
						if (m[i].v[x] == base[b][i] ||
						    m[j].v[y] == base[b][j])
							continue;
						if (pairs > pairmax &&
						    rnd((unsigned)pairs) >= pairmax)
							continue;
						a[i] = m[i].v[x], a[j] = m[j].v[y];
						tuple(c, a);
						a[i] = base[b][i], a[j] = base[b][j];
					}
	}
	for (int k = 0; k < nrand; k++) {
		for (int i = 0; i < c->nargs; i++)
			a[i] = rnd(2) ? base[0][i] : d[i].v[rnd((unsigned)d[i].n)];
		tuple(c, a);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: argfuzz DIR [SKIP]\n");
		return 2;
	}
	if (argc > 2)
		snprintf(skipspec, sizeof skipspec, "%s", argv[2]);
	static char obuf[1 << 16];
	flush_each = getenv("ARGFUZZ_FLUSH") != 0;
	deep = getenv("ARGFUZZ_DEEP") != 0; /* slower: every pair, more random */
	if (deep)
		pairmax = 1000000, nrand = 400;
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	setup_memory();
	setup_fds(argv[1]);
	const char *only = getenv("ARGFUZZ_ONLY"); /* one call, for debugging */
	for (int i = 0; i < NCALLS; i++)
		if (!only || !strcmp(only, calls[i].name))
			fuzz(&calls[i]);
	printf("# %u tuples, %u skipped\n", idx, nskipped);
	fflush(stdout);
	return 0;
}
