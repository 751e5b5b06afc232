/* libsctmark.so: the loader-phase marker for bench/coverage.sh.
 *
 * Preloaded (alone) into the programs that bench/coverage.sh runs under
 * strace -f.  Its constructor runs where libsctrace.so's would, after the
 * dynamic loader has mapped the program's libraries, and issues one
 * distinctive system call that strace shows as
 *
 *     faccessat(AT_FDCWD, "/nonexistent/sctrace-coverage-marker", F_OK) = -1 ENOENT
 *
 * coverage.sh drops, in every process image, the calls up to and including
 * this line: sctrace cannot see what happens before its constructor.
 *
 * SCTMARK_DLOPEN=LIB (set by coverage.sh when caller stacks use
 * SCTRACE_UNWIND=libunwind): the constructor first loads LIB as libsctrace.so's does, so
 * that the program runs with the same libraries and the same heap in both
 * runs (a program that later loads liblzma itself, as python3's lzma
 * module does, then finds it loaded in both). */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((constructor)) static void sct_coverage_mark(void)
{
	int saved = errno;
	const char *lib = getenv("SCTMARK_DLOPEN");
	if (lib && *lib)
		(void)dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	syscall(SYS_faccessat, AT_FDCWD, "/nonexistent/sctrace-coverage-marker",
		F_OK);
	errno = saved;
}
