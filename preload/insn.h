/* The length of an x86-64 instruction, for preload/patch.c: a site is
 * patched only where a walk over its function's instructions, from the
 * function's start, lands on its mov.  Signal-safe: reads only the bytes
 * it is given.  tests/test_insn.c checks it against objdump over all of
 * libc's functions. */
#ifndef SCT_INSN_H
#define SCT_INSN_H

#include <stdint.h>

/* signal-safe: the length of the instruction at P (no byte read at or
 * past END), 0 when it is not one this decoder knows: the general
 * instructions, x87, SSE (legacy encodings) and the 0f 38 / 0f 3a maps;
 * never VEX, EVEX, 3DNow! nor anything invalid in 64-bit mode. */
static inline unsigned sct_insn_len(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *q = p;
	int opsize16 = 0, rexw = 0;
	for (;; q++) { /* legacy prefixes */
		if (q >= end || q - p > 14)
			return 0;
		uint8_t b = *q;
		if (b == 0x66)
			opsize16 = 1;
		else if (!(b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e ||
			   b == 0x64 || b == 0x65 || b == 0x67 || b == 0xf0 ||
			   b == 0xf2 || b == 0xf3))
			break;
	}
	if ((*q & 0xf0) == 0x40) { /* REX */
		rexw = (*q & 8) != 0;
		if (++q >= end)
			return 0;
	}
	uint8_t op = *q++;
	int modrm = 0;
	unsigned imm = 0;
	const unsigned z = opsize16 ? 2 : 4; /* an operand-size immediate */
	if (op == 0x0f) {
		if (q >= end)
			return 0;
		uint8_t o2 = *q++;
		if (o2 == 0x38) {
			if (q >= end)
				return 0;
			q++;
			modrm = 1;
		} else if (o2 == 0x3a) {
			if (q >= end)
				return 0;
			q++;
			modrm = 1;
			imm = 1;
		} else if (o2 == 0x0f || o2 == 0x04 || o2 == 0x0a ||
			   o2 == 0x0c || (o2 >= 0x24 && o2 <= 0x27) ||
			   o2 == 0x36 || o2 == 0x39 || (o2 >= 0x3b && o2 <= 0x3f) ||
			   o2 == 0xa6 || o2 == 0xa7 || o2 == 0x7a || o2 == 0x7b) {
			return 0;
		} else if (o2 >= 0x80 && o2 <= 0x8f) { /* jcc rel32 */
			imm = 4;
		} else if ((o2 >= 0x05 && o2 <= 0x09) || o2 == 0x0b ||
			   o2 == 0x0e || (o2 >= 0x30 && o2 <= 0x35) ||
			   o2 == 0x37 || o2 == 0x77 || o2 == 0xa0 ||
			   o2 == 0xa1 || o2 == 0xa2 || o2 == 0xa8 ||
			   o2 == 0xa9 || o2 == 0xaa || (o2 >= 0xc8 && o2 <= 0xcf)) {
			/* no operand bytes */
		} else {
			modrm = 1;
			if ((o2 >= 0x70 && o2 <= 0x73) || o2 == 0xa4 ||
			    o2 == 0xac || o2 == 0xba || o2 == 0xc2 ||
			    (o2 >= 0xc4 && o2 <= 0xc6))
				imm = 1;
		}
	} else if (op < 0x40) {
		unsigned lo = op & 7;
		if ((op & 0xf8) == 0x20 && lo >= 6) /* 26/2e prefixes, 27/2f */
			return 0;
		if ((op & 0xf8) == 0x30 && lo >= 6)
			return 0;
		if (lo >= 6) /* push/pop of segments: invalid in 64-bit mode */
			return 0;
		modrm = lo < 4;
		imm = lo == 4 ? 1 : lo == 5 ? z : 0;
	} else if (op >= 0x50 && op <= 0x5f) {
	} else if (op == 0x63) {
		modrm = 1;
	} else if (op == 0x68) {
		imm = z;
	} else if (op == 0x69) {
		modrm = 1, imm = z;
	} else if (op == 0x6a) {
		imm = 1;
	} else if (op == 0x6b) {
		modrm = 1, imm = 1;
	} else if (op >= 0x6c && op <= 0x6f) {
	} else if (op >= 0x70 && op <= 0x7f) {
		imm = 1;
	} else if (op == 0x80 || op == 0x83) {
		modrm = 1, imm = 1;
	} else if (op == 0x81) {
		modrm = 1, imm = z;
	} else if (op >= 0x84 && op <= 0x8f) {
		modrm = 1;
	} else if (op >= 0x90 && op <= 0x9f) {
		if (op == 0x9a)
			return 0;
	} else if (op >= 0xa0 && op <= 0xa3) {
		imm = 8; /* moffs64 (a 0x67 prefix is not expected here) */
	} else if (op == 0xa8) {
		imm = 1;
	} else if (op == 0xa9) {
		imm = z;
	} else if ((op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf)) {
	} else if (op >= 0xb0 && op <= 0xb7) {
		imm = 1;
	} else if (op >= 0xb8 && op <= 0xbf) {
		imm = rexw ? 8 : z;
	} else if (op == 0xc0 || op == 0xc1 || op == 0xc6) {
		modrm = 1, imm = 1;
	} else if (op == 0xc7) {
		modrm = 1, imm = z;
	} else if (op == 0xc2 || op == 0xca) {
		imm = 2;
	} else if (op == 0xc8) {
		imm = 3;
	} else if (op == 0xc3 || op == 0xc9 || op == 0xcb || op == 0xcc ||
		   op == 0xcf) {
	} else if (op == 0xcd) {
		imm = 1;
	} else if ((op >= 0xd0 && op <= 0xd3) || (op >= 0xd8 && op <= 0xdf)) {
		modrm = 1;
	} else if (op == 0xd7) {
	} else if ((op >= 0xe0 && op <= 0xe7) || op == 0xeb) {
		imm = 1;
	} else if (op == 0xe8 || op == 0xe9) {
		imm = 4;
	} else if ((op >= 0xec && op <= 0xef) || op == 0xf1 || op == 0xf4 ||
		   op == 0xf5 || (op >= 0xf8 && op <= 0xfd)) {
	} else if (op == 0xf6 || op == 0xf7) {
		if (q >= end)
			return 0;
		modrm = 1;
		if (((*q >> 3) & 7) < 2) /* test r/m, imm */
			imm = op == 0xf6 ? 1 : z;
	} else if (op == 0xfe || op == 0xff) {
		modrm = 1;
	} else {
		return 0; /* 06-07 0e 16-17 1e-1f 60-62 82 c4 c5 ce d4-d6 ea ... */
	}
	if (modrm) {
		if (q >= end)
			return 0;
		uint8_t m = *q++;
		unsigned mod = m >> 6, rm = m & 7;
		if (mod != 3 && rm == 4) { /* SIB */
			if (q >= end)
				return 0;
			uint8_t sib = *q++;
			if (mod == 0 && (sib & 7) == 5)
				q += 4;
		} else if (mod == 0 && rm == 5) { /* rip + disp32 */
			q += 4;
		}
		if (mod == 1)
			q += 1;
		else if (mod == 2)
			q += 4;
	}
	q += imm;
	if (q > end || q - p > 15)
		return 0;
	return (unsigned)(q - p);
}

#endif
