/* Raw `syscall` instructions (inline asm, no libc wrapper) for the trap layer
 * (issue 4), plus a wrapped getpid and mmap for comparison.
 *
 *   rawsys EXPECTED [VIA]
 *
 * Opens EXPECTED and VIA first, makes the calls, then writes to EXPECTED the strace lines sctrace must
 * print for them, in call order (a line of the raw clone child starts with
 * "[pid CHILD] "), and to VIA, line for line, "trap" or "libc": how each call
 * must be recorded.  Ends with a raw exit_group (no atexit, no stdio flush):
 * 0 when every result was as expected, else 1 with a message on stderr.
 * Its stdout is exactly "raw write\nchild\n".
 *
 * The raw clone child (CLONE_VM|CLONE_VFORK, its own stack) runs only the asm
 * of raw_clone_child(): no libc, no TLS, no stack use of its own. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE 65536

#include "raw.h"

/* clone(flags, stack_top, NULL, NULL, 0).  The child starts on stack_top
 * inside this asm: raw write(1, "child\n", 6), then raw exit(0) if the write
 * returned 6, else exit(1).  Returns the child's pid (or -errno) in the
 * parent. */
static long raw_clone_child(unsigned long flags, void *stack_top)
{
	long ret;
	register long r10 __asm__("r10") = 0; /* child_tid */
	register long r8 __asm__("r8") = 0;   /* tls */
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $1, %%eax\n\t" /* SYS_write */
			 "mov $1, %%edi\n\t"
			 "lea 2f(%%rip), %%rsi\n\t"
			 "mov $6, %%edx\n\t"
			 "syscall\n\t"
			 "xor %%edi, %%edi\n\t"
			 "cmp $6, %%rax\n\t"
			 "setne %%dil\n\t"
			 "mov $60, %%eax\n\t" /* SYS_exit */
			 "syscall\n\t"
			 "ud2\n\t"
			 "2: .ascii \"child\\n\"\n\t"
			 "1:\n\t"
			 : "=a"(ret)
			 : "a"((long)SYS_clone), "D"(flags), "S"(stack_top),
			   "d"(0L), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

static char exp_buf[8192], via_buf[512];
static size_t exp_len, via_len;
static int failed;

static void __attribute__((format(printf, 2, 3)))
expect(const char *via, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(exp_buf + exp_len, sizeof exp_buf - exp_len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof exp_buf - exp_len)
		exp_len += (size_t)n;
	n = snprintf(via_buf + via_len, sizeof via_buf - via_len, "%s\n", via);
	if (n > 0 && (size_t)n < sizeof via_buf - via_len)
		via_len += (size_t)n;
}

static void check(int cond, const char *what, long got)
{
	if (!cond) {
		dprintf(2, "rawsys: %s (got %ld)\n", what, got);
		failed = 1;
	}
}

static int write_all(int fd, const char *buf, size_t len)
{
	if (fd < 0)
		return 0;
	ssize_t n = write(fd, buf, len);
	return close(fd) == 0 && n == (ssize_t)len ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: rawsys EXPECTED [VIA]\n");
		return 2;
	}
	/* opened first, closed last: the raw calls' fds and lines stay unique */
	int exp_fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int via_fd = argc > 2
			     ? open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644)
			     : -1;
	if (exp_fd < 0 || (argc > 2 && via_fd < 0)) {
		perror("rawsys: open");
		return 2;
	}

	long pid = raw0(SYS_getpid);
	expect("trap", "getpid() = %ld\n", pid);
	long lpid = getpid();
	expect("libc", "getpid() = %ld\n", lpid);
	check(pid == lpid, "raw getpid differs from getpid()", pid);

	long n = raw3(SYS_write, 1, "raw write\n", 10);
	expect("trap", "write(1, \"raw write\\n\", 10) = %ld\n", n);
	check(n == 10, "raw write", n);

	long fd = raw4(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY, 0);
	expect("trap", "openat(AT_FDCWD, \"/dev/null\", O_RDONLY) = %ld\n", fd);
	check(fd >= 0, "raw openat of /dev/null", fd);
	long r = raw1(SYS_close, fd);
	expect("trap", "close(%ld) = %ld\n", fd, r);
	check(r == 0, "raw close", r);

	long addr = raw6(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	expect("trap",
	       "mmap(NULL, 4096, PROT_READ|PROT_WRITE, "
	       "MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = %#lx\n",
	       addr);
	check(addr > 0 || addr < -4095, "raw mmap", addr);
	if (addr > 0 || addr < -4095) {
		*(volatile char *)addr = 1; /* really mapped, writable */
		r = raw2(SYS_munmap, addr, 4096);
		expect("trap", "munmap(%#lx, 4096) = %ld\n", addr, r);
		check(r == 0, "raw munmap", r);
	}

	r = raw4(SYS_openat, AT_FDCWD, "/nonexistent", O_RDONLY, 0);
	expect("trap", "openat(AT_FDCWD, \"/nonexistent\", O_RDONLY) = -1 "
		       "ENOENT (No such file or directory)\n");
	check(r == -ENOENT, "raw openat of /nonexistent: -ENOENT", r);

	/* the child's stack, through the wrapper */
	char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	expect("libc",
	       "mmap(NULL, %d, PROT_READ|PROT_WRITE, "
	       "MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = %#lx\n",
	       STACK_SIZE, (long)stack);
	check(stack != MAP_FAILED, "mmap of the child's stack", (long)stack);
	if (stack != MAP_FAILED) {
		void *top = stack + STACK_SIZE;
		long child =
			raw_clone_child(CLONE_VM | CLONE_VFORK | SIGCHLD, top);
		expect("trap",
		       "clone(SIGCHLD|CLONE_VM|CLONE_VFORK, %p, NULL, "
		       "NULL, 0) = %ld\n",
		       top, child);
		check(child > 0, "raw clone", child);
		if (child > 0) {
			int st = -1;
			r = raw4(SYS_wait4, child, &st, 0, 0);
			int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
			expect("trap",
			       "[pid %ld] write(1, \"child\\n\", 6) = 6\n",
			       child);
			expect("trap", "[pid %ld] exit(%d) = ?\n", child, code);
			expect("trap",
			       "wait4(%ld, [{WIFEXITED(s) && "
			       "WEXITSTATUS(s) == %d}], 0, NULL) = %ld\n",
			       child, code, r);
			check(r == child, "raw wait4", r);
			check(code == 0, "clone child's exit status", st);
		}
	}

	expect("trap", "exit_group(%d) = ?\n", failed);
	if (write_all(exp_fd, exp_buf, exp_len) < 0 ||
	    write_all(via_fd, via_buf, via_len) < 0) {
		dprintf(2, "rawsys: cannot write %s\n", argv[1]);
		failed = 1; /* the exit_group line written says otherwise */
	}
	raw1(SYS_exit_group, failed);
	__builtin_unreachable();
}
