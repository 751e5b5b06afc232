/* The tracer's one way into the kernel: never traced, never touches errno.
 * Issue 4 places this in the allowed region of Syscall User Dispatch. */
#include "sct.h"

/* signal-safe: returns the raw kernel result (-errno on failure). */
SCT_SIGSAFE long sct_raw(long nr, long a, long b, long c, long d, long e,
			 long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
