/* Known call chains for the caller-stack test (tests/stack.sh):
 *   main -> level1 -> level2 -> write(1, "wrapped\n")      a wrapped call
 *   main -> raw_level1 -> raw_level2 -> `syscall` write    a trapped call
 *   main -> lib_level1 -> lib_level2 -> write(1, "lib\n")  in LIB, dlopened
 *                                                           and dlclosed
 * Usage: callchain LIB */
#include <dlfcn.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "raw.h"

/* the empty asm after each call keeps it from being a tail call, so every
 * level keeps its frame */
#define KEEP() __asm__ volatile("" ::: "memory")

__attribute__((noinline)) void level2(void)
{
	write(1, "wrapped\n", 8);
	KEEP();
}

__attribute__((noinline)) void level1(void)
{
	level2();
	KEEP();
}

__attribute__((noinline)) void sink(void)
{
	KEEP();
}

/* not a leaf (the call of sink): gcc sets up its frame pointer, which the
 * SCTRACE_UNWIND=fp walk from the trapped context needs */
__attribute__((noinline)) void raw_level2(void)
{
	raw3(SYS_write, 1, "trapped\n", 8);
	sink();
	KEEP();
}

__attribute__((noinline)) void raw_level1(void)
{
	raw_level2();
	KEEP();
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	level1();
	raw_level1();
	void *lib = dlopen(argv[1], RTLD_NOW);
	void (*f)(void) = lib ? (void (*)(void))dlsym(lib, "lib_level1") : 0;
	if (!f)
		return 3;
	f();
	dlclose(lib);
	return 0;
}
