/* errno and signal mask are exactly what they would be untraced (TAP). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"

static volatile int handler_errno_ok = 1;

static void on_usr1(int sig)
{
	(void)sig;
	int saved = errno;
	errno = 4321;
	getppid();
	if (errno != 4321)
		handler_errno_ok = 0;
	errno = saved;
}

int main(void)
{
	plan(9);
	errno = 1234;
	getpid();
	is_int(errno, 1234, "errno untouched by a successful getpid");
	errno = 1234;
	int fd = open("/dev/null", O_RDONLY);
	is_int(errno, 1234, "errno untouched by a successful open");
	close(fd);
	errno = 0;
	ok(open("/nonexistent/x", O_RDONLY) == -1 && errno == ENOENT,
	   "failed open: -1 and ENOENT");
	errno = 0;
	ok(close(-1) == -1 && errno == EBADF, "close(-1): EBADF");
	struct stat st;
	errno = 0;
	ok(stat("/nonexistent/x", &st) == -1 && errno == ENOENT,
	   "stat: ENOENT");
	errno = 0;
	ok(read(-5, &st, 1) == -1 && errno == EBADF, "read(-5): EBADF");
	errno = 77;
	ok(write(-1, NULL, 0) == -1 && errno == EBADF,
	   "write with a bad fd and NULL buffer does not crash");
	signal(SIGUSR1, on_usr1);
	for (int i = 0; i < 200; i++)
		kill(getpid(), SIGUSR1);
	ok(handler_errno_ok, "errno preserved inside signal handlers");
	sigset_t set;
	sigprocmask(SIG_BLOCK, NULL, &set);
	ok(!sigismember(&set, SIGSYS) && !sigismember(&set, SIGUSR1),
	   "signal mask unchanged");
	return done_testing();
}
