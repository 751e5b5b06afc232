/* layout [-raw] [CMD ARGS...]: what an image sees of its placement
 * (preload/place.c): its RLIMIT_STACK, libc's default thread stack size and
 * where libc's text was mapped; then execs CMD, if given (with -raw by a
 * syscall instruction of its own, not through libc), and when that fails
 * says so and shows its limit again. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "raw.h"

extern char **environ;

static void lim(const char *what, rlim_t v)
{
	if (v == RLIM_INFINITY)
		printf(" %s=unlimited", what);
	else
		printf(" %s=%llu", what, (unsigned long long)v);
}

static void show(void)
{
	struct rlimit r;
	pthread_attr_t a;
	size_t ss = 0;
	char line[512];
	unsigned long long lo = 0;
	getrlimit(RLIMIT_STACK, &r);
	if (pthread_getattr_default_np(&a) == 0)
		pthread_attr_getstacksize(&a, &ss);
	FILE *f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, "/libc.so") && strstr(line, " r-xp ")) {
			sscanf(line, "%llx", &lo);
			break;
		}
	if (f)
		fclose(f);
	printf("stack");
	lim("soft", r.rlim_cur);
	lim("hard", r.rlim_max);
	printf(" threads=%zu libc=%#llx\n", ss, lo);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	show();
	if (argc > 2 && strcmp(argv[1], "-raw") == 0) {
		raw3(SYS_execve, argv[2], argv + 2, environ);
		printf("exec %s failed\n", argv[2]);
		show();
		return 127;
	}
	if (argc > 1) {
		execvp(argv[1], argv + 1);
		printf("exec %s failed\n", argv[1]);
		show();
		return 127;
	}
	return 0;
}
