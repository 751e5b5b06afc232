/* novmw CMD [ARGS...]: run CMD with process_vm_writev refused (EPERM) by a
 * seccomp filter, as some sandboxes' policies do: the preload's staging
 * flush (ring.h) then copies with its own stores. */
#include <stdio.h>
#include <unistd.h>

#include "deny.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: novmw CMD [ARGS...]\n", stderr);
		return 2;
	}
	if (deny_syscall(SYS_process_vm_writev) != 0) {
		perror("novmw: seccomp");
		return 77;
	}
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
