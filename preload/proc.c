/* Hand-written wrappers around process life: fork, exit, main's return,
 * and syscall() itself (decoded by its number). */
#include <errno.h>
#include <stdarg.h>
#include <sys/resource.h>

#include "core.h"
#include "fn.h"

void sct_set_exit_status(int status);

#define FORK_FLAGS 0x01200011L /* CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD */
#define CLONE_VM_FLAG 0x100L

SCT_WRAPPER long fork(void)
{
	static const long a[6] = { FORK_FLAGS };
	struct sct_call c;
	sct_real_fn real = sct_real(SCT_FN_fork);
	if (!real)
		return sct_fallback(__NR_fork, a);
	c.frame = __builtin_frame_address(0);
	if (!sct_begin(&c, SCT_FN_fork, __NR_clone, a, 5))
		return real(0, 0, 0, 0, 0, 0);
	long r = real(0, 0, 0, 0, 0, 0);
	if (r == 0) /* child: the atfork handler gave it its own ring */
		return 0;
	return sct_end(&c, r, r == -1);
}

SCT_WRAPPER void exit(int status)
{
	long a[6] = { status };
	struct sct_call c;
	sct_real_fn real = sct_real(SCT_FN_exit);
	sct_set_exit_status(status);
	c.frame = __builtin_frame_address(0);
	if (real && sct_begin(&c, SCT_FN_exit, __NR_exit_group, a, 1))
		sct_entry(&c);
	if (real)
		real(status, 0, 0, 0, 0, 0);
	sct_raw1(__NR_exit_group, status);
	__builtin_unreachable();
}

typedef int (*main_fn)(int, char **, char **);
static main_fn real_main;

static int traced_main(int argc, char **argv, char **envp)
{
	int r = real_main(argc, argv, envp);
	sct_set_exit_status(r);
	return r;
}

/* The program's entry calls this through its PLT: wrapping main lets the
 * exit event carry main's return value. */
SCT_WRAPPER int __libc_start_main(main_fn main, int argc, char **argv,
				  void (*init)(void), void (*fini)(void),
				  void (*rtld_fini)(void), void *stack_end)
{
	typedef int (*start_fn)(main_fn, int, char **, void (*)(void),
				void (*)(void), void (*)(void), void *);
	start_fn real = (start_fn)(void (*)(void))sct_real(SCT_FN___libc_start_main);
	real_main = main;
	return real(traced_main, argc, argv, init, fini, rtld_fini, stack_end);
}

/* The lowest descriptor the tracer's own pipes get: far above the
 * program's (the soft RLIMIT_NOFILE, at most 1024, less 16), so that
 * its descriptors stay as they would be untraced. */
static SCT_SIGSAFE long own_fd_floor(void)
{
	struct { unsigned long cur, max; } lim;
	long n = sct_raw2(__NR_getrlimit, RLIMIT_NOFILE, &lim) == 0 &&
				 lim.cur < 1024
			 ? (long)lim.cur
			 : 1024;
	return n - 16 > 3 ? n - 16 : 3;
}

/* libunwind keeps a pipe of its own (it checks that an address can be
 * read by writing a byte from it there), made by pipe2 when it starts
 * and again whenever it finds that pipe closed.  Made among the
 * program's descriptors it would take the program's next two (its first
 * open() would get 5, not 3), and a program that later put a file at one
 * of those numbers would get libunwind's bytes in it.  The tracer's own
 * pipe2 calls (inside libunwind: in_unwind) get descriptors high above. */
SCT_WRAPPER long pipe2(long fds, long flags)
{
	long a[6] = { fds, flags };
	struct sct_call c;
	if (sct_self.in_unwind && sct_self.guard) {
		int p[2];
		long r = sct_raw2(__NR_pipe2, p, flags);
		if (r < 0) {
			errno = (int)-r;
			return -1;
		}
		long floor = own_fd_floor();
		for (int i = 0; i < 2; i++) {
			long h = sct_raw3(__NR_fcntl, p[i],
					  flags & O_CLOEXEC ? F_DUPFD_CLOEXEC
							    : F_DUPFD,
					  floor);
			if (h >= 0) {
				sct_raw1(__NR_close, p[i]);
				p[i] = (int)h;
			}
		}
		((int *)fds)[0] = p[0];
		((int *)fds)[1] = p[1];
		return 0;
	}
	sct_real_fn real = sct_real(SCT_FN_pipe2);
	if (!real)
		return sct_fallback(__NR_pipe2, a);
	c.frame = __builtin_frame_address(0);
	if (!sct_begin(&c, SCT_FN_pipe2, __NR_pipe2, a, 2))
		return sct_passed(real(fds, flags, 0, 0, 0, 0));
	long r = (int)real(fds, flags, 0, 0, 0, 0);
	return sct_end(&c, r, r == -1);
}

/* signal-safe: does a raw fork/clone/clone3 create a process sharing our
 * memory (vfork-like)?  Such a child must not touch the tracer's state. */
static SCT_SIGSAFE int shares_vm(long nr, const long *a)
{
	if (nr == __NR_vfork)
		return 1;
	if (nr == __NR_clone)
		return (a[0] & CLONE_VM_FLAG) != 0;
	if (nr == __NR_clone3 && a[0]) /* struct clone_args.flags first */
		return (*(const long *)a[0] & CLONE_VM_FLAG) != 0;
	return 0;
}

SCT_WRAPPER long syscall(long nr, ...)
{
	long a[6];
	va_list ap;
	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	sct_real_fn real6 = sct_real(SCT_FN_syscall);
	typedef long (*syscall_fn)(long, long, long, long, long, long, long);
	syscall_fn real = (syscall_fn)(void (*)(void))real6;
	if (!real)
		return sct_fallback(nr, a);
	int forks = nr == __NR_fork || nr == __NR_vfork || nr == __NR_clone ||
		    nr == __NR_clone3;
	struct sct_call c;
	c.frame = __builtin_frame_address(0);
	unsigned nargs = nr >= 0 && nr < SCT_NSYS && sct_sysent[nr].name[0]
				 ? sct_sysent[nr].nargs : 6;
	if (nr < 0 || nr >= 65536 ||
	    !sct_begin(&c, SCT_FN_syscall, (unsigned)nr, a, (int)nargs))
		return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (nr == __NR_exit || nr == __NR_exit_group || nr == __NR_execve ||
	    nr == __NR_execveat)
		sct_entry(&c);
	long r = real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (forks && r == 0) {
		if (!shares_vm(nr, a))
			sct_after_fork_child();
		return 0;
	}
	return sct_end(&c, r, r == -1);
}
