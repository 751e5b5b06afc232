/* Children made every way libc offers: posix_spawn, system(), vfork+exec,
 * and an exec after clearenv(); each child calls getppid once (loop 1). */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *loop = argv[1];
	char *args[] = { (char *)loop, "1", NULL };
	pid_t pid;
	int st;
	if (posix_spawn(&pid, loop, NULL, NULL, args, environ) != 0)
		return 3;
	waitpid(pid, &st, 0);
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "%s 1", loop);
	if (system(cmd) != 0)
		return 4;
	pid = vfork();
	if (pid == 0) {
		execv(loop, args);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	pid = fork();
	if (pid == 0) {
		clearenv();
		execv(loop, args);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	char *empty[] = { NULL };
	pid = fork();
	if (pid == 0) {
		execve(loop, args, empty);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	return WEXITSTATUS(st);
}
