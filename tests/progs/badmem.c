/* Calls whose pointers the kernel refuses (EFAULT): an exec with argv or
 * envp unreadable, unterminated or holding an unreadable string, and paths
 * that are unreadable or run into an unmapped page.  Each fails natively;
 * under the preload each must fail the same way (the wrappers read these
 * only through checked reads) and print as strace prints it.  Writes those
 * lines to argv[1]. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "raw.h"

static FILE *exp;
static int bad;

/* P, hidden from the compiler's checks of constant pointers */
static void *launder(void *p)
{
	__asm__("" : "+r"(p));
	return p;
}

static void check(const char *what, int r)
{
	if (r != -1 || errno != EFAULT) {
		fprintf(stderr, "badmem: %s: %d, errno %d, not EFAULT\n", what,
			r, errno);
		bad = 1;
	}
}

int main(int argc, char **argv)
{
	if (argc < 2 || !(exp = fopen(argv[1], "w")))
		return 2;
	/* a page whose successor is unmapped */
	char *pg = mmap(0, 8192, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pg == MAP_FAILED || munmap(pg + 4096, 4096) != 0)
		return 2;
	char *end = pg + 4096;
	static char *env[] = { "A=1", 0 };
	const char *sfx = "= -1 EFAULT (Bad address)\n";

	/* argv without a NULL before the unmapped page */
	char **a = (char **)(end - 2 * sizeof(char *));
	a[0] = "one", a[1] = "two";
	check("execve unterminated argv", execve("/bin/true", a, env));
	fprintf(exp, "execve(\"/bin/true\", [\"one\", \"two\", ... /* %p */], %p /* 1 var */) %s",
		(void *)end, (void *)env, sfx);
	/* argv not readable at all */
	check("execve bad argv", execve("/bin/true", launder((void *)1), env));
	fprintf(exp, "execve(\"/bin/true\", 0x1, %p /* 1 var */) %s", (void *)env, sfx);
	/* an argv string not readable */
	char *b[] = { "x", end, 0 };
	check("execve bad argv string", execve("/bin/true", b, env));
	fprintf(exp, "execve(\"/bin/true\", [\"x\", %p], %p /* 1 var */) %s",
		(void *)end, (void *)env, sfx);
	/* envp without a NULL */
	char **e = (char **)(end - sizeof(char *));
	e[0] = "B=2";
	char *c[] = { "y", 0 };
	check("execve unterminated envp", execve("/bin/true", c, e));
	fprintf(exp, "execve(\"/bin/true\", [\"y\"], %p /* 1 var, unterminated */) %s",
		(void *)e, sfx);
	/* envp holding an unreadable string */
	char *e2[] = { "C=3", end, 0 };
	check("execve bad envp string", execve("/bin/true", c, e2));
	fprintf(exp, "execve(\"/bin/true\", [\"y\"], %p /* 2 vars */) %s",
		(void *)e2, sfx);
	/* the same through a raw syscall: trapped when the trap layer is
	 * on (SCTRACE_TRAP=sud), unseen without it */
	long r = raw3(__NR_execve, "/bin/true", c, e);
	check("raw execve unterminated envp", r < 0 ? (errno = (int)-r, -1) : 0);
	const char *mode = getenv("SCTRACE_TRAP");
	if (mode && strcmp(mode, "sud") == 0)
		fprintf(exp, "execve(\"/bin/true\", [\"y\"], %p /* 1 var, unterminated */) %s",
			(void *)e, sfx);
	/* paths: unreadable, and running into the unmapped page */
	check("openat bad path", open(launder((void *)1), O_RDONLY));
	fprintf(exp, "openat(AT_FDCWD, 0x1, O_RDONLY) %s", sfx);
	memset(pg, 'a', 4096);
	check("openat unterminated path", open(end - 6, O_RDONLY));
	fprintf(exp, "openat(AT_FDCWD, %p, O_RDONLY) %s", (void *)(end - 6), sfx);

	/* a path that a successful call read across a page boundary */
	char *two = mmap(0, 8192, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (two == MAP_FAILED)
		return 2;
	char *across = two + 4096 - 4;
	strcpy(across, "/dev/null");
	int nfd = open(across, O_RDONLY);
	fprintf(exp, "openat(AT_FDCWD, \"/dev/null\", O_RDONLY) = %d\n", nfd);
	close(nfd);

	/* pointers the kernel does not read or write, on success: the bytes
	 * after a short write's, a socklen after a NULL address, the status
	 * of a wait4 that reaped nothing */
	char tmp[] = "/tmp/sctrace-badmem.XXXXXX";
	int fd = mkstemp(tmp);
	unlink(tmp);
	ssize_t w = pwrite(fd, end - 100, 1000, 0);
	if (w != 100) {
		fprintf(stderr, "badmem: pwrite: %zd, not 100\n", w);
		bad = 1;
	}
	/* -s 256: strace cannot read 256 bytes there, it prints the address */
	fprintf(exp, "pwrite64(%d, %p, 1000, 0) = 100\n", fd, (void *)(end - 100));
	/* /dev/null takes what it is given without reading it */
	int nul = open("/dev/null", O_WRONLY);
	fprintf(exp, "openat(AT_FDCWD, \"/dev/null\", O_WRONLY) = %d\n", nul);
	if (pwrite(nul, launder((void *)1), 64, 0) != 64)
		bad = 1;
	fprintf(exp, "pwrite64(%d, 0x1, 64, 0) = 64\n", nul);
	close(nul);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	if (bind(ls, (void *)&sa, sizeof sa) || listen(ls, 1))
		return 2;
	int a4 = accept(ls, 0, launder((void *)8));
	if (a4 != -1 || errno != EAGAIN)
		bad = 1;
	fprintf(exp, "accept(%d, NULL, 0x8) = -1 EAGAIN (Resource temporarily unavailable)\n", ls);
	int u[2], st;
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, u) || write(u[0], "x", 1) != 1)
		return 2;
	char rb[4];
	if (recvfrom(u[1], rb, sizeof rb, 0, 0, launder((void *)8)) != 1)
		bad = 1;
	fprintf(exp, "recvfrom(%d, \"x\", 4, 0, NULL, 0x8) = 1\n", u[1]);
	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	if (wait4(-1, launder((void *)8), WNOHANG, 0) != 0)
		bad = 1;
	fprintf(exp, "wait4(-1, 0x8, WNOHANG, NULL) = 0\n");
	kill(child, SIGKILL);
	if (wait4(child, &st, 0, 0) != child)
		bad = 1;
	fprintf(exp, "wait4(%d, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], 0, NULL) = %d\n",
		(int)child, (int)child);
	/* futex's 4th argument: an integer for a requeue, not a timeout */
	static int fx, fy;
	if (syscall(SYS_futex, &fx, FUTEX_CMP_REQUEUE, 1, launder((void *)1), &fy, 0) != 0)
		bad = 1;
	fprintf(exp, "futex(%p, FUTEX_CMP_REQUEUE, 1, 1, %p, 0) = 0\n", (void *)&fx, (void *)&fy);
	/* TCP with MSG_TRUNC discards the bytes, never writing the buffer */
	int tl = socket(AF_INET, SOCK_STREAM, 0), tc = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in lo = { .sin_family = AF_INET };
	socklen_t lolen = sizeof lo;
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(tl, (void *)&lo, sizeof lo) || listen(tl, 1) ||
	    getsockname(tl, (void *)&lo, &lolen) ||
	    connect(tc, (void *)&lo, sizeof lo))
		return 2;
	int ts = accept(tl, 0, 0);
	struct pollfd pf = { ts, POLLIN, 0 };
	if (ts < 0 || send(tc, "0123456789abcdef", 16, 0) != 16 ||
	    poll(&pf, 1, 5000) != 1)
		return 2;
	if (recvfrom(ts, launder((void *)1), 64, MSG_TRUNC, 0, 0) != 16)
		bad = 1;
	fprintf(exp, "accept(%d, NULL, NULL) = %d\n", tl, ts);
	fprintf(exp, "recvfrom(%d, 0x1, 64, MSG_TRUNC, NULL, NULL) = 16\n", ts);
	/* a pending set of 0 bytes: nothing written; SIGSYS with a bad size */
	if (syscall(SYS_rt_sigpending, launder((void *)1), 0) != 0)
		bad = 1;
	fprintf(exp, "rt_sigpending(0x1, 0) = 0\n");
	if (syscall(SYS_rt_sigaction, SIGSYS, 0, launder((void *)1), 0) != -1 || errno != EINVAL)
		bad = 1;
	fprintf(exp, "rt_sigaction(SIGSYS, NULL, 0x1, 0) = -1 EINVAL (Invalid argument)\n");
	fclose(exp);
	return bad;
}
