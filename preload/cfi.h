/* Caller stacks: unwind rules read straight from an object's .eh_frame
 * (DWARF call frame information), for the rule walk of preload/unwind.c.
 *
 * The rule at a code address, in the walk's terms (x86-64):
 *   CFA = (rsp or rbp) + off;  return address at CFA - 8;
 *   caller's rbp at CFA + rbo (rbo 0: rbp unchanged);  caller's rsp = CFA.
 * That is the CFI row in effect at the address when the CFA is rsp or rbp
 * plus an offset, the return address column has offset(-8) and rbp is
 * unmentioned, same_value or offset(rbo).  Return address undefined (the
 * outermost frame: _start, a thread's start) is LAST; a CIE with
 * augmentation 'S' (a signal trampoline: __restore_rt) is SIGNAL; the
 * return address in a register, CFA = rsp + off (glibc's __vfork between
 * its pop of the return address and its push) is RAREG, usable where all
 * registers are known (an interrupted instruction); any other shape is
 * NONE, and the walk hands the frame to libunwind.
 *
 * Everything here is signal-safe: no allocation, no lock, no libc call
 * but _dl_find_object (async-signal-safe and lock-free, glibc >= 2.35),
 * errno untouched.  Every read stays inside the object's mapping and the
 * CIE and FDE lengths: broken tables give NONE, never a fault or a loop. */
#ifndef SCT_CFI_H
#define SCT_CFI_H

#include <stdint.h>

#include "sct.h"

enum {
	SCT_CFI_NONE = 0,   /* no FDE, or a rule the walk cannot use */
	SCT_CFI_STD = 1,    /* the rule of the walk: see above */
	SCT_CFI_LAST = 2,   /* return address undefined: end of the stack */
	SCT_CFI_SIGNAL = 3, /* CIE augmentation 'S': a signal trampoline */
	SCT_CFI_RAREG = 4,  /* return address in register ra_reg, CFA =
			       rsp + off (off >= 0, a multiple of 8), rbp
			       unchanged */
};

/* Why a rule is NONE, for diagnostics and tests only:
 *   NOFDE    no FDE covers the address;
 *   NOTABLE  no .eh_frame_hdr, or its search table is not of the usual
 *            encoding (datarel sdata4);
 *   BAD      malformed or unsupported data: a read past a record, an
 *            unknown opcode, encoding or augmentation, remember_state
 *            nested too deep;
 *   EXPR     CFA, return address or rbp by a DWARF expression (PLT
 *            entries, hand-written assembly);
 *   SHAPE    well-formed, but not a rule of the walk: CFA off another
 *            register, an offset that is not a positive multiple of 8,
 *            return address not at CFA - 8 (nor in a register as RAREG
 *            has it), rbp in a register or by val_offset, rbp undefined. */
enum {
	SCT_CFI_WHY_OK = 0, /* the kind is not NONE */
	SCT_CFI_WHY_NOFDE,
	SCT_CFI_WHY_NOTABLE,
	SCT_CFI_WHY_BAD,
	SCT_CFI_WHY_EXPR,
	SCT_CFI_WHY_SHAPE,
};

/* STD: CFA = (rbp_base ? rbp : rsp) + off, 0 < off <= INT32_MAX, a
 * multiple of 8; the caller's rbp saved at CFA + rbo, an int16 multiple
 * of 8, or rbo 0: rbp unchanged.  [lo, hi): the rule (whatever its kind)
 * holds for every code address there: the CFI row holding KEY, or for
 * SIGNAL and broken instructions the rest of the FDE; lo = hi = 0 when no
 * FDE was read (NOFDE, NOTABLE, a broken FDE or CIE header). */
struct sct_cfi {
	unsigned kind; /* SCT_CFI_* */
	int rbp_base;
	int64_t off;
	int64_t rbo;
	unsigned ra_reg; /* RAREG: DWARF register number (0..15) */
	uint64_t lo, hi;
	unsigned why; /* SCT_CFI_WHY_* */
};

/* signal-safe: the rule at code address KEY (a return address minus 1,
 * or an interrupted instruction): the CFI row of KEY's FDE in effect at
 * KEY.  0 and *OUT filled (its kind may be NONE); -1 when no loaded object
 * holds KEY. */
SCT_SIGSAFE int sct_cfi_find(uint64_t key, struct sct_cfi *out);

/* signal-safe: [*LO, *HI), the code range of the FDE covering KEY (its
 * function, or the part of it the FDE describes); -1 when there is none */
SCT_SIGSAFE int sct_cfi_fde(uint64_t key, uint64_t *lo, uint64_t *hi);

/* signal-safe: the same in the object whose .eh_frame_hdr is at HDR (NULL:
 * none), reading nothing outside [LO, HI) (the object's mapping).  What
 * sct_cfi_find does once _dl_find_object found the object; tests feed it
 * tables of their own. */
SCT_SIGSAFE void sct_cfi_in(const void *hdr, uint64_t lo, uint64_t hi,
			    uint64_t key, struct sct_cfi *out);

#endif
