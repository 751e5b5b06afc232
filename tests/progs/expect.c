/* Makes a few libc calls and writes, to argv[1], the strace lines sctrace
 * must print for them (the harness diffs the two). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	FILE *exp = fopen(argv[1], "w");
	const char *tmp = argv[2];
	if (!exp)
		return 2;
	int fd = open("/nonexistent/sctrace", O_RDONLY);
	fprintf(exp, "openat(AT_FDCWD, \"/nonexistent/sctrace\", O_RDONLY) = %d ENOENT (No such file or directory)\n", fd);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	fprintf(exp, "openat(AT_FDCWD, \"/dev/null\", O_WRONLY|O_CLOEXEC) = %d\n", fd);
	ssize_t n = write(fd, "hello\n\t\"x\"", 10);
	fprintf(exp, "write(%d, \"hello\\n\\t\\\"x\\\"\", 10) = %zd\n", fd, n);
	char big[100];
	memset(big, 'a', sizeof big);
	n = write(fd, big, sizeof big);
	fprintf(exp, "write(%d, \"%.32s\"..., 100) = %zd\n", fd, big, n);
	int r = close(fd);
	fprintf(exp, "close(%d) = %d\n", fd, r);
	r = close(fd);
	fprintf(exp, "close(%d) = %d EBADF (Bad file descriptor)\n", fd, r);
	fd = openat(AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	fprintf(exp, "openat(AT_FDCWD, \"%s\", O_WRONLY|O_CREAT|O_TRUNC, 0640) = %d\n", tmp, fd);
	close(fd);
	fprintf(exp, "close(%d) = 0\n", fd);
	r = unlink(tmp);
	fprintf(exp, "unlink(\"%s\") = %d\n", tmp, r);
	/* glibc answers fstat of a negative fd itself (EBADF), without a
	 * syscall: no line */
	struct stat st;
	if (fstat(-1, &st) != -1 || errno != EBADF)
		return 3;
	pid_t pid = getpid();
	fprintf(exp, "getpid() = %d\n", (int)pid);
	fclose(exp);
	return 0;
}
