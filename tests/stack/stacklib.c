/* dlopen'ed by tests/test_stack.c: the same call chain as the program's,
 * inside a library that comes and goes. */
#include <stdint.h>

long sth_write(int fd, const void *buf, long n, uint32_t *id);

__attribute__((noinline)) long lib_level2(uint32_t *id)
{
	long r = sth_write(1, "", 0, id);
	__asm__ volatile("" ::: "memory");
	return r;
}

__attribute__((noinline)) long lib_level1(uint32_t *id)
{
	long r = lib_level2(id);
	__asm__ volatile("" ::: "memory");
	return r + 1;
}
