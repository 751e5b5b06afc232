/* Offsets into ucontext_t for the assembly of preload/gate.S and
 * preload/resume.S (x86-64, sys/ucontext.h); preload/trap.c checks them
 * against the C layout.  Plain #defines: included by .S files. */
#ifndef SCT_UCREGS_H
#define SCT_UCREGS_H

/* indices of uc_mcontext.gregs[] */
#define R8 0
#define R9 1
#define R10 2
#define R11 3
#define R12 4
#define R13 5
#define R14 6
#define R15 7
#define RDI 8
#define RSI 9
#define RBP 10
#define RBX 11
#define RDX 12
#define RAX 13
#define RCX 14
#define RSP 15
#define RIP 16
#define EFL 17

#define G(r) (8 * (r))             /* greg R in the gregs array */
#define UC_GREG(r) (40 + 8 * (r))  /* offsetof(ucontext_t, uc_mcontext.gregs[r]) */
#define UC_FPREGS 224              /* offsetof(ucontext_t, uc_mcontext.fpregs) */
#define SW_MAGIC1 464              /* offsetof(struct _fpstate, sw_reserved.magic1) */
#define SW_FEATURES 472            /* ... sw_reserved.xfeatures */

#endif
