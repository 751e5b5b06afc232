/* callbench CALL N: N calls of one cheap libc syscall function in a tight
 * loop; prints the mean ns per call (CLOCK_MONOTONIC around the loop). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: callbench getppid|read0|clock_gettime N\n");
		return 2;
	}
	long n = atol(argv[2]);
	int fd = open("/dev/zero", O_RDONLY);
	char buf[1];
	struct timespec ts;
	double t0 = now();
	if (strcmp(argv[1], "getppid") == 0)
		for (long i = 0; i < n; i++)
			getppid();
	else if (strcmp(argv[1], "read0") == 0)
		for (long i = 0; i < n; i++)
			read(fd, buf, 0);
	else if (strcmp(argv[1], "clock_gettime") == 0)
		for (long i = 0; i < n; i++)
			clock_gettime(CLOCK_MONOTONIC, &ts);
	else
		return 2;
	double t1 = now();
	printf("%.1f\n", (t1 - t0) / n);
	return 0;
}
