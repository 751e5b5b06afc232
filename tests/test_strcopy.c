/* preload/strcopy.h: copy_bytes() and str_words(), the record path's
 * copies of the traced program's memory, at page boundaries.
 *
 * Every source ends where a PROT_NONE page begins and every destination
 * ends where another begins, so a byte read or written past the bound
 * faults (the test dies, and prove reports it); bytes before the
 * destination are checked untouched.  copy_bytes: every length 0..600 at
 * every source and destination alignment.  str_words: strings of every
 * length 0..300 ending at every distance from the page end (and running
 * into it without a NUL), with bounds 0..300, checked against strnlen and
 * memcpy. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "strcopy.h"
#include "tap.h"

#define PAGE 4096u

/* two pages: the first usable, the second PROT_NONE */
static unsigned char *guarded(void)
{
	unsigned char *m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m + PAGE, PAGE, PROT_NONE) != 0)
		bail_out("mmap: no guarded page");
	return m;
}

/* the page at DST holds 0xee everywhere but [D, D + N) */
static int untouched(const unsigned char *dst, const unsigned char *d,
		     size_t n)
{
	for (const unsigned char *p = dst; p < dst + PAGE; p++)
		if ((p < d || p >= d + n) && *p != 0xee)
			return 0;
	return 1;
}

static void test_copy_bytes(void)
{
	unsigned char *src = guarded(), *dst = guarded();
	for (size_t i = 0; i < PAGE; i++)
		src[i] = (unsigned char)(i * 7 + 3);
	long bad = 0, cases = 0;
	for (size_t n = 0; n <= 600; n++)
		for (size_t sa = 0; sa < 8; sa++)
			for (size_t da = 0; da < 8; da++) {
				/* both end SA / DA bytes before their guard */
				const unsigned char *s = src + PAGE - n - sa;
				unsigned char *d = dst + PAGE - n - da;
				memset(dst, 0xee, PAGE);
				copy_bytes(d, s, n);
				int okc = memcmp(d, s, n) == 0 &&
					  untouched(dst, d, n);
				if (!okc && bad++ < 5)
					diag("copy_bytes n=%zu src-end-%zu dst-end-%zu",
					     n, sa, da);
				cases++;
			}
	ok(bad == 0, "copy_bytes: %ld lengths and alignments, no byte outside",
	   cases);
}

static void test_str_words(void)
{
	unsigned char *m = guarded(), *dst = guarded();
	long bad = 0, cases = 0;
	for (size_t len = 0; len <= 300; len++)
		for (size_t gap = 0; gap < 40; gap++) {
			/* LEN bytes, then the NUL GAP - 1 bytes before the
			 * page end; GAP 0: no NUL, the string runs into the
			 * guard page (a bound must stop the copy first) */
			if (len + gap > PAGE - 8)
				continue;
			size_t start = PAGE - len - gap;
			memset(m, 0x5a, PAGE);
			for (size_t i = 0; i < len; i++)
				m[start + i] = (unsigned char)('a' + i % 26);
			if (gap)
				m[start + len] = 0;
			size_t first = PAGE - start; /* bytes to the page end */
			for (size_t max = 0; max <= 300;
			     max += max < 24 ? 1 : 7) {
				size_t lim = max < first ? max : first;
				/* the destination ends LIM bytes before its
				 * guard: not a byte more may be written */
				unsigned char *d = dst + PAGE - lim;
				memset(dst, 0xee, PAGE);
				size_t got = str_words(d, (uintptr_t)(m + start),
						       lim);
				size_t want = strnlen((char *)m + start, lim);
				int okc = got == want &&
					  memcmp(d, m + start, want) == 0 &&
					  untouched(dst, d, want);
				if (!okc && bad++ < 5)
					diag("str_words len=%zu gap=%zu max=%zu: %zu, want %zu",
					     len, gap, max, got, want);
				cases++;
			}
		}
	ok(bad == 0, "str_words: %ld strings and bounds, as strnlen, no byte outside",
	   cases);
}

int main(void)
{
	plan(2);
	test_copy_bytes();
	test_str_words();
	return done_testing();
}
