/* loop CALL N [DEPTH]: N calls of one cheap libc syscall function in a
 * tight loop; prints ns per call (CLOCK_MONOTONIC around the loop).  The N calls run as
 * SLICES slices of N/SLICES, each timed alone; the fastest slice is printed,
 * so that a burst from another tenant of a shared machine does not count.
 *
 *   getppid        getppid()                    no arguments worth decoding
 *   read0          read(fd, buf, 0) on /dev/zero  an fd call that moves no data
 *   close_bad      close(-1)                    fails with EBADF (errno path)
 *   fstat          fstat(fd, &st) on /dev/zero  a struct stat out (32 bytes kept)
 *   stat_missing   stat("/nonexistent/..", &st) fails with ENOENT: a path
 *                                               captured from a failed call
 *   clock_gettime  clock_gettime(MONOTONIC)     vDSO: no kernel entry at all,
 *                                               so only a wrapper's own cost
 *   raw_getppid    `syscall` instruction, nr 110  no libc: no wrapper sees it;
 *                                               under sctrace's trap layer
 *                                               every call raises SIGSYS
 *
 * DEPTH (default 0): the loop runs DEPTH noinline frames (nest) deeper than
 * main, so that a tracer that records caller stacks (SCTRACE_STACK, strace
 * -k) unwinds that many more frames per call: run, DEPTH x nest, main,
 * __libc_start_call_main, __libc_start_main, _start.
 *
 * With LOOP_PAIRED=1 in its environment (not for raw_getppid), it prints two
 * numbers: the fastest slice through the program's own binding of the
 * function (under LD_PRELOAD=libsctrace.so: the wrapper), and the fastest
 * through libc's own function, looked up in libc.so.6 itself (no wrapper),
 * the slices of the two alternating in one process.  Their difference is
 * what the wrapper adds, without the +-50 ns by which a syscall's cost
 * differs from one process to the next on these VMs.  (With the trap layer
 * armed, libc's own function would trap: pair under SCTRACE_TRAP=off.)
 *
 * Built without any preload flags: this is an ordinary program, traced by
 * LD_PRELOAD=libsctrace.so or by strace from the outside.  It keeps frame
 * pointers (bench/CMakeLists.txt), so that SCTRACE_UNWIND=fp can walk its
 * frames; the loops themselves do not touch them. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* getppid through a `syscall` instruction of this program's own code */
static inline long raw_getppid(void)
{
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "0"(110L)
			 : "rcx", "r11", "memory");
	return r;
}

static int fd;
static volatile long sink; /* results are used: the calls are not dropped */

static __attribute__((noinline)) void run(int which, long n)
{
	char buf[1];
	struct stat st;
	struct timespec ts;
	long s = 0;
	switch (which) {
	case 0:
		for (long i = 0; i < n; i++)
			s += getppid();
		break;
	case 1:
		for (long i = 0; i < n; i++)
			s += read(fd, buf, 0);
		break;
	case 2:
		for (long i = 0; i < n; i++)
			s += close(-1);
		break;
	case 3:
		for (long i = 0; i < n; i++)
			s += fstat(fd, &st);
		break;
	case 4:
		for (long i = 0; i < n; i++)
			s += clock_gettime(CLOCK_MONOTONIC, &ts);
		break;
	case 5:
		for (long i = 0; i < n; i++)
			s += stat("/nonexistent/sctrace-bench", &st);
		break;
	case 6:
		for (long i = 0; i < n; i++)
			s += raw_getppid();
		break;
	}
	sink = s;
}

/* the same calls through pointers: the program's binding or libc's own */
struct fns {
	pid_t (*getppid)(void);
	ssize_t (*read)(int, void *, size_t);
	int (*close)(int);
	int (*fstat)(int, struct stat *);
	int (*clock_gettime)(clockid_t, struct timespec *);
	int (*stat)(const char *, struct stat *);
};

static __attribute__((noinline)) void run_via(const struct fns *f, int which,
					      long n)
{
	char buf[1];
	struct stat st;
	struct timespec ts;
	long s = 0;
	for (long i = 0; i < n; i++)
		switch (which) {
		case 0: s += f->getppid(); break;
		case 1: s += f->read(fd, buf, 0); break;
		case 2: s += f->close(-1); break;
		case 3: s += f->fstat(fd, &st); break;
		case 4: s += f->clock_gettime(CLOCK_MONOTONIC, &ts); break;
		case 5: s += f->stat("/nonexistent/sctrace-bench", &st); break;
		}
	sink = s;
}

/* LOOP_PAIRED: wrapped and libc's own slices alternating; 0 or -1 */
static int paired(int which, long n)
{
	static const struct fns own = { getppid, read, close, fstat,
					clock_gettime, stat };
	struct fns libc;
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	if (!h || which == 6) {
		fprintf(stderr, "loop: LOOP_PAIRED: %s\n",
			h ? "not for raw_getppid" : dlerror());
		return -1;
	}
	*(void **)&libc.getppid = dlsym(h, "getppid");
	*(void **)&libc.read = dlsym(h, "read");
	*(void **)&libc.close = dlsym(h, "close");
	*(void **)&libc.fstat = dlsym(h, "fstat");
	*(void **)&libc.clock_gettime = dlsym(h, "clock_gettime");
	*(void **)&libc.stat = dlsym(h, "stat");
	void **p = (void **)&libc;
	for (size_t i = 0; i < sizeof libc / sizeof *p; i++)
		if (!p[i]) {
			fprintf(stderr, "loop: LOOP_PAIRED: %s\n", dlerror());
			return -1;
		}
	enum { SLICES = 20 };
	long per = n / SLICES > 0 ? n / SLICES : 1;
	run_via(&own, which, per / 10 + 1);
	run_via(&libc, which, per / 10 + 1);
	double best[2] = { 1e18, 1e18 };
	for (int k = 0; k < SLICES; k++)
		for (int j = 0; j < 2; j++) { /* own first, then libc first */
			int b = (j ^ k) & 1;
			double t0 = now();
			run_via(b ? &libc : &own, which, per);
			double t = (now() - t0) / per;
			if (t < best[b])
				best[b] = t;
		}
	printf("%.1f %.1f\n", best[0], best[1]);
	return 0;
}

static volatile int nest_sink;

/* D >= 1 frames of its own above run(); not a tail call (the store after
 * it), so that each level keeps its frame */
static __attribute__((noinline)) void nest(int d, int which, long n)
{
	if (d > 1)
		nest(d - 1, which, n);
	else
		run(which, n);
	nest_sink = d;
}

static int depth;

static void go(int which, long n)
{
	if (depth > 0)
		nest(depth, which, n);
	else
		run(which, n);
}

int main(int argc, char **argv)
{
	static const char *const calls[] = { "getppid", "read0", "close_bad",
					     "fstat", "clock_gettime",
					     "stat_missing", "raw_getppid" };
	int which = -1;
	long n = argc == 3 || argc == 4 ? atol(argv[2]) : 0;
	for (int i = 0; (argc == 3 || argc == 4) && i < 7; i++)
		if (strcmp(argv[1], calls[i]) == 0)
			which = i;
	if (argc == 4) {
		char *end;
		long d = strtol(argv[3], &end, 10);
		depth = *end || d < 0 || d > 1000 ? -1 : (int)d;
	}
	if (which < 0 || n <= 0 || depth < 0) {
		fprintf(stderr,
			"usage: loop getppid|read0|close_bad|fstat|"
			"stat_missing|clock_gettime|raw_getppid N [DEPTH]\n");
		return 2;
	}
	fd = open("/dev/zero", O_RDONLY);
	if (fd < 0) {
		perror("loop: /dev/zero");
		return 1;
	}
	if (getenv("LOOP_PAIRED"))
		return paired(which, n) ? 1 : 0;
	/* warm up: page faults, the tracer's first record, caches */
	go(which, n / 100 < 1000 ? n / 100 + 1 : 1000);
	enum { SLICES = 10 };
	long per = n / SLICES > 0 ? n / SLICES : 1;
	double best = 0;
	for (int k = 0; k < SLICES; k++) {
		double t0 = now();
		go(which, per);
		double t = (now() - t0) / per;
		if (k == 0 || t < best)
			best = t;
	}
	printf("%.1f\n", best);
	return 0;
}
