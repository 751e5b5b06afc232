/* Built statically (tests/CMakeLists.txt: hello_static, and hello_spie as a
 * static PIE): an image the preload library never enters.  Under the
 * seccomp trap layer its syscalls run at addresses no ancestor listed
 * (tests/trap.sh, exec story).  Prints ARGV[1] after a few syscalls. */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct stat st;
	if (getpid() <= 0 || stat("/", &st) != 0)
		return 2;
	printf("%s\n", argc > 1 ? argv[1] : "static");
	return 0;
}
