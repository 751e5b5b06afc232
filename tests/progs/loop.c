/* loop [CALLS [THREADS]]: CALLS getppid() per thread; CALLS=0 forever. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static long calls;

static void *run(void *arg)
{
	(void)arg;
	for (long i = 0; calls == 0 || i < calls; i++)
		getppid();
	return NULL;
}

int main(int argc, char **argv)
{
	calls = argc > 1 ? atol(argv[1]) : 1000;
	int nth = argc > 2 ? atoi(argv[2]) : 0;
	pthread_t th[64];
	if (nth > 64)
		nth = 64;
	for (int i = 0; i < nth; i++)
		pthread_create(&th[i], NULL, run, NULL);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	if (nth == 0)
		run(NULL);
	return 0;
}
