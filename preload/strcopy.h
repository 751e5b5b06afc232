/* Copies of the traced program's memory on the record path (core.c),
 * without libc: copy_bytes() for bytes known readable, str_words() for a
 * string the kernel has read.  Neither reads a byte outside what it may
 * (str_words: the aligned words that hold the string's bytes, which never
 * cross into the next page) nor writes one outside the copy: checked at
 * page boundaries by tests/test_strcopy.c. */
#ifndef SCT_STRCOPY_H
#define SCT_STRCOPY_H

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

/* signal-safe: copy the string at SRC, which the kernel has read, to DST:
 * its length, or MAX when it is longer (DST gets no NUL).  A word at a
 * time: aligned 8-byte loads, which never cross a page, so every word
 * that holds a byte of the string is readable; bytes before SRC are
 * masked as non-NUL, and the first NUL found is the string's end (the
 * zero-byte test can only flag more bytes above a real NUL). */
static SCT_SIGSAFE SCT_HOT size_t str_words(unsigned char *dst, uintptr_t src,
				    size_t max)
{
	const uint64_t ones = 0x0101010101010101ull, highs = ones << 7;
	if (!max)
		return 0;
	/* the first word, from the one that holds SRC: the bytes before it
	 * made non-NUL; AVAIL of its bytes are the string's */
	const unsigned skip = (unsigned)(src & 7);
	uint64_t v;
	__builtin_memcpy(&v, (const void *)(src - skip), 8);
	if (skip)
		v = v >> (8 * skip) | ~0ull << (64 - 8 * skip);
	size_t n = 0, avail = 8 - skip;
	for (;;) {
		uint64_t z = (v - ones) & ~v & highs;
		if (!z && avail == 8 && max - n > 8) {
			/* a whole word of the string, and MAX not reached:
			 * the next word (aligned, before MAX) holds more */
			__builtin_memcpy(dst + n, &v, 8);
			n += 8;
			__builtin_memcpy(&v, (const void *)(src + n), 8);
			continue;
		}
		size_t k = z ? (size_t)__builtin_ctzll(z) >> 3 : avail;
		if (k > max - n)
			k = max - n;
		/* the K low bytes of V, never a byte more */
		unsigned char *d = dst + n;
		if (k == 8) {
			__builtin_memcpy(d, &v, 8);
		} else {
			if (k & 4) {
				uint32_t x = (uint32_t)v;
				__builtin_memcpy(d, &x, 4);
				d += 4, v >>= 32;
			}
			if (k & 2) {
				uint16_t x = (uint16_t)v;
				__builtin_memcpy(d, &x, 2);
				d += 2, v >>= 16;
			}
			if (k & 1)
				*d = (unsigned char)v;
		}
		n += k;
		if (z || n == max)
			return n; /* the NUL, or MAX before it */
		/* SRC + N is aligned here, and before MAX: in the same page */
		__builtin_memcpy(&v, (const void *)(src + n), 8);
		avail = 8;
	}
}

#endif
