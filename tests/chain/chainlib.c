/* The library half of tests/progs/callchain.c: lib_level1 -> lib_level2 ->
 * write(1, "lib\n").  Built as tests/libchain.so. */
#include <unistd.h>

#define KEEP() __asm__ volatile("" ::: "memory")

__attribute__((noinline)) void lib_level2(void)
{
	write(1, "lib\n", 4);
	KEEP();
}

__attribute__((noinline)) void lib_level1(void)
{
	lib_level2();
	KEEP();
}
