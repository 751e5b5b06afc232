/* A wrapper that leaves its syscall to the trap layer (sigaction) but
 * whose libc function fails before making it (signal 0: EINVAL from libc
 * itself), then a raw rt_sigaction: the raw call must be recorded as the
 * program's own (via trap, no libc function), not as the earlier
 * sigaction's (tests/trap.sh). */
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>

#include "raw.h"

int main(void)
{
	struct sigaction sa = { 0 };
	unsigned long old[4];
	if (sigaction(0, &sa, NULL) != -1)
		return 2;
	if (raw4(SYS_rt_sigaction, SIGUSR1, 0, old, 8) != 0)
		return 3;
	puts("adopt ok");
	return 0;
}
