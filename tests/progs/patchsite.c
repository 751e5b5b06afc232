/* libc's internal calls from the same sites, over and over: opendir,
 * readdir and closedir of "/" N times (default 40), then a closedir whose
 * close fails (EBADF, checked).  With the trap layer on, their sites are
 * patched after their second trap (preload/patch.c), unless the process
 * runs under a seccomp filter: `patchsite N seccomp` installs one that
 * allows everything.  `patchsite N thread` starts (and joins) a thread
 * first: with threads, only sites whose mov lies in an aligned 16-byte
 * block are patched; `patchsite N threads` runs the loop in two threads
 * at once.  `patchsite N signals` first masks SIGSYS and SIGUSR1, sets
 * and reads back their actions and delivers a blocked SIGUSR1 at the
 * unmask, N times, checking what it sees (the trap layer keeps SIGSYS for
 * itself and shows the program its own view).  `patchsite N fork` runs
 * the loop again in a fork child, after the parent's sites were patched.
 * Exit status: 0 when libc's code in memory differs from its file (a site
 * was patched), 3 when it does not, 1 on a failure of its own. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int loop(int n, int bad)
{
	for (int i = 0; i < n; i++) {
		DIR *d = opendir("/");
		if (!d)
			return -1;
		while (readdir(d))
			;
		if (closedir(d) != 0)
			return -1;
	}
	if (!bad)
		return 0;
	/* the failing close, inside closedir (not in two threads at once:
	 * the other could get the fd number in between) */
	DIR *d = opendir("/");
	if (!d)
		return -1;
	close(dirfd(d));
	errno = 0;
	if (closedir(d) != -1 || errno != EBADF)
		return -1;
	return 0;
}

/* bytes of libc's code that differ from its file; -1 if unknown */
static long libc_changed(void)
{
	FILE *m = fopen("/proc/self/maps", "r");
	char line[512];
	long diff = -1;
	while (m && fgets(line, sizeof line, m)) {
		unsigned long lo, hi, off;
		char perm[8], path[256] = "";
		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %255s", &lo, &hi, perm,
			   &off, path) < 4 || !strstr(path, "/libc.so.6") ||
		    strcmp(perm, "r-xp") != 0)
			continue;
		int fd = open(path, O_RDONLY);
		char *buf = malloc(hi - lo);
		if (fd < 0 || !buf ||
		    pread(fd, buf, hi - lo, (off_t)off) != (ssize_t)(hi - lo))
			break;
		if (diff < 0)
			diff = 0;
		for (unsigned long i = 0; i < hi - lo; i++)
			diff += buf[i] != ((const char *)lo)[i];
		free(buf);
		close(fd);
	}
	if (m)
		fclose(m);
	return diff;
}

static volatile int usr1;

static void on_usr1(int sig)
{
	(void)sig;
	usr1++;
}

static void on_sys(int sig)
{
	(void)sig;
}

/* the signal calls the trap layer filters (SIGSYS stays the tracer's),
 * through libc's sites N times: the program's view must hold */
static int signals(int n)
{
	for (int i = 0; i < n; i++) {
		sigset_t set, old, now;
		sigemptyset(&set);
		sigaddset(&set, SIGSYS);
		sigaddset(&set, SIGUSR1);
		if (sigprocmask(SIG_BLOCK, &set, &old) != 0 ||
		    sigprocmask(SIG_BLOCK, NULL, &now) != 0 ||
		    !sigismember(&now, SIGSYS) || !sigismember(&now, SIGUSR1))
			return -1;
		struct sigaction sa, got;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_sys;
		sigaddset(&sa.sa_mask, SIGSYS);
		if (sigaction(SIGSYS, &sa, NULL) != 0 ||
		    sigaction(SIGSYS, NULL, &got) != 0 || got.sa_handler != on_sys ||
		    !sigismember(&got.sa_mask, SIGSYS))
			return -1;
		sa.sa_handler = on_usr1;
		if (sigaction(SIGUSR1, &sa, NULL) != 0 ||
		    sigaction(SIGUSR1, NULL, &got) != 0 || got.sa_handler != on_usr1)
			return -1;
		int before = usr1;
		raise(SIGUSR1); /* pending: blocked */
		if (usr1 != before || sigprocmask(SIG_SETMASK, &old, NULL) != 0 ||
		    usr1 != before + 1)
			return -1;
		if (sigprocmask(SIG_BLOCK, NULL, &now) != 0 ||
		    sigismember(&now, SIGSYS) || sigismember(&now, SIGUSR1))
			return -1;
	}
	signal(SIGSYS, SIG_DFL);
	return 0;
}

static void *idle(void *arg)
{
	return arg;
}

static void *worker(void *arg)
{
	return (void *)(intptr_t)loop(*(int *)arg, 0);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 40;
	const char *mode = argc > 2 ? argv[2] : "";
	if (strcmp(mode, "thread") == 0) {
		pthread_t t;
		if (pthread_create(&t, 0, idle, 0) != 0 || pthread_join(t, 0))
			return 1;
	}
	if (strcmp(mode, "seccomp") == 0) {
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K,
						    SECCOMP_RET_ALLOW);
		struct sock_fprog prog = { 1, &allow };
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
			return 1;
	}
	if (strcmp(mode, "signals") == 0 && signals(n) != 0)
		return 1;
	if (strcmp(mode, "threads") == 0) { /* two at once, then none */
		pthread_t t[2];
		void *r0 = (void *)1, *r1 = (void *)1;
		if (pthread_create(&t[0], 0, worker, &n) != 0 ||
		    pthread_create(&t[1], 0, worker, &n) != 0 ||
		    pthread_join(t[0], &r0) || pthread_join(t[1], &r1) || r0 || r1)
			return 1;
	} else if (loop(n, 1) != 0) {
		return 1;
	}
	if (strcmp(mode, "fork") == 0) {
		pid_t p = fork();
		if (p == 0)
			_exit(loop(n, 1) == 0 && libc_changed() > 0 ? 0 : 3);
		int st;
		if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) ||
		    WEXITSTATUS(st) == 1)
			return 1;
		if (WEXITSTATUS(st) != 0 && libc_changed() > 0)
			return 1; /* patched here, not in the child */
	}
	long d = libc_changed();
	return d < 0 ? 1 : d > 0 ? 0 : 3;
}
