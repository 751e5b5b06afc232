/* A vfork from a known call chain, main -> vfork_level1 -> vfork(), for
 * tests/stack.sh: glibc's vfork keeps its return address in a register
 * around the syscall (the child must not find it on the stack they
 * share), so the trapped call's stack must go on from that register:
 * __vfork, vfork_level1, main.  The child exits at once; the parent waits
 * for it and prints "ok". */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEEP() __asm__ volatile("" ::: "memory")

__attribute__((noinline)) int vfork_level1(void)
{
	pid_t p = vfork();
	if (p == 0)
		_exit(7);
	int st = 0;
	if (p < 0 || waitpid(p, &st, 0) != p)
		return -1;
	KEEP();
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void)
{
	int r = vfork_level1();
	KEEP();
	puts(r == 7 ? "ok" : "bad");
	return r == 7 ? 0 : 1;
}
