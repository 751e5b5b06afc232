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
 * this line: sctrace cannot see what happens before its constructor. */
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((constructor)) static void sct_coverage_mark(void)
{
	int saved = errno;
	syscall(SYS_faccessat, AT_FDCWD, "/nonexistent/sctrace-coverage-marker",
		F_OK);
	errno = saved;
}
