/* Copies of the traced program's memory on the record path (core.c),
 * without libc: copy_bytes() for bytes known readable, str_words() for a
 * string the kernel has read.  Neither reads a byte outside what it may
 * (str_words: the aligned 16-byte blocks that hold the string's bytes,
 * which never cross into the next page) nor writes one outside the copy:
 * checked at page boundaries by tests/test_strcopy.c. */
#ifndef SCT_STRCOPY_H
#define SCT_STRCOPY_H

#include <emmintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "sct.h"

/* The first SCT_HOT function of the library (core.c includes this file
 * first, and core.o's .text.hot comes first in the link): aligned to a
 * page, so that the path every traced
 * call takes (copy_bytes, cap_str, capture_args, sct_begin, sct_end: under
 * 4096 bytes, checked by tests/layout.sh) is one page of code, not two. */
static SCT_SIGSAFE SCT_HOT __attribute__((aligned(4096))) void
copy_bytes(void *d, const void *s, size_t n)
{
	unsigned char *dd = d;
	const unsigned char *ss = s;
	/* inlined 16-, 8- and 4-byte moves (never a call to memcpy); a tail
	 * shorter than a move is copied by a move that overlaps the bytes
	 * before it (never a byte outside [s, s + n) read or [d, d + n)
	 * written): a struct stat's 56 bytes are four moves, not a loop */
	if (n >= 16) {
		if (n > 64) {
			for (; n > 64; n -= 64, dd += 64, ss += 64) {
				__builtin_memcpy(dd, ss, 16);
				__builtin_memcpy(dd + 16, ss + 16, 16);
				__builtin_memcpy(dd + 32, ss + 32, 16);
				__builtin_memcpy(dd + 48, ss + 48, 16);
			}
			/* the rest as the last 64 bytes */
			dd += n - 64, ss += n - 64, n = 64;
		}
		/* 16..64 bytes left: the first and the last 32 (or 16) */
		if (n > 32) {
			__builtin_memcpy(dd, ss, 16);
			__builtin_memcpy(dd + 16, ss + 16, 16);
			__builtin_memcpy(dd + n - 32, ss + n - 32, 16);
		} else {
			__builtin_memcpy(dd, ss, 16);
		}
		__builtin_memcpy(dd + n - 16, ss + n - 16, 16);
		return;
	}
	if (n >= 8) {
		__builtin_memcpy(dd, ss, 8);
		__builtin_memcpy(dd + n - 8, ss + n - 8, 8);
		return;
	}
	if (n >= 4) {
		__builtin_memcpy(dd, ss, 4);
		__builtin_memcpy(dd + n - 4, ss + n - 4, 4);
		return;
	}
	while (n--)
		*dd++ = *ss++;
}

/* bit I set: byte I of the 16-byte aligned BLOCK is 0 */
static inline unsigned nul_bits(uintptr_t block)
{
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
		_mm_load_si128((const __m128i *)block), _mm_setzero_si128()));
}

/* signal-safe: copy the string at SRC, which the kernel has read, to DST:
 * its length, or MAX when it is longer (DST gets no NUL).  The length
 * first, 16 bytes at a time: aligned loads, which never cross a page, of
 * blocks that each hold a byte of the string (a block is read only when
 * the one before had no NUL), the bytes before SRC ignored; then the
 * bytes themselves, by copy_bytes() (never a byte past the NUL or MAX). */
static SCT_SIGSAFE SCT_HOT size_t str_words(unsigned char *dst, uintptr_t src,
				    size_t max)
{
	if (!max)
		return 0;
	const unsigned skip = (unsigned)(src & 15);
	unsigned nul = nul_bits(src - skip) >> skip;
	size_t n = 16 - skip;
	if (nul) {
		n = (size_t)__builtin_ctz(nul);
	} else {
		/* SRC + N is aligned here */
		while (n < max) {
			nul = nul_bits(src + n);
			if (nul) {
				n += (size_t)__builtin_ctz(nul);
				break;
			}
			n += 16;
		}
	}
	if (n > max)
		n = max;
	copy_bytes(dst, (const void *)src, n);
	return n;
}

#endif
