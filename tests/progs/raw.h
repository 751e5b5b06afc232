/* Raw system calls for the test programs: a `syscall` instruction inlined
 * where it is used, no libc (the trap layer must catch these). */
#ifndef SCT_TEST_RAW_H
#define SCT_TEST_RAW_H

static inline __attribute__((always_inline)) long
raw6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#define raw0(nr) raw6(nr, 0, 0, 0, 0, 0, 0)
#define raw1(nr, a) raw6(nr, (long)(a), 0, 0, 0, 0, 0)
#define raw2(nr, a, b) raw6(nr, (long)(a), (long)(b), 0, 0, 0, 0)
#define raw3(nr, a, b, c) raw6(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define raw4(nr, a, b, c, d) \
	raw6(nr, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

#endif
