/* Caller stacks, eh and libunwind modes: a walk over per-address unwind
 * rules read from the objects' .eh_frame (preload/unwind.c, cfi.c), for
 * preload/stack.c; in libunwind mode, unw_backtrace takes the frames no
 * rule describes.
 *
 * Calling contract as in stack.h: the caller holds the guard, has set the
 * trap selector to ALLOW and sct_self.in_unwind, and keeps errno. */
#ifndef SCT_UNWIND_H
#define SCT_UNWIND_H

#include <stdint.h>

#include "sct.h"

typedef int (*sct_bt_fn)(void **, int);

/* preload/stack_uc.S: BT (unw_backtrace) as if called from the context
 * REGS = {rip, rsp, rbp}, looked up at rip exactly */
int sct_stk_uc_trace(void **buf, int n, const unsigned long regs[3],
		     sct_bt_fn bt);

/* Constructor, once: maps the rule table and, after dlopen of libunwind
 * (LIB; NULL in eh mode, where a frame with no rule ends the stack),
 * looks up what the fallback needs; -1 when something is missing. */
int sct_unw_init(void *lib, sct_bt_fn bt);


/* The stack words a walk read, in order: the same start (ip, sp, bp),
 * the same rules and the same words read give the same stack, so a
 * caller may keep a walk's result and check only these words next time
 * (stack.c's memo).  N = SCT_TRAIL_NONE: the walk cannot be replayed
 * (it went to unw_backtrace, or read more than SCT_TRAIL_MAX words).
 * BP_USED: the starting bp mattered (a CFA was taken from it before rbp
 * was read off the stack); else any starting bp gives the same stack. */
#define SCT_TRAIL_MAX 32u
#define SCT_TRAIL_NONE (~0u)
struct sct_unw_trail {
	unsigned n;
	int bp_used;
	uint64_t at[SCT_TRAIL_MAX], val[SCT_TRAIL_MAX];
};

/* the rules' generation: changes whenever rules are dropped */
extern unsigned sct_unw_gen;

/* signal-safe: the return addresses of the stack whose innermost frame
 * is at IP with stack pointer SP and frame pointer BP, innermost first,
 * at most MAX; IPS[0] = IP.  EXACT: IP is an interrupted instruction
 * (frame 0 of a trapped call), not a return address.  Stack reads stay
 * inside [SP, HI), the rest of SP's stack mapping, and, past a signal
 * frame whose interrupted stack pointer is not above on that stack,
 * inside [OLO, OHI): the thread's own stack (a handler on a sigaltstack
 * interrupted the code on it).  TR (may be NULL): where to note the
 * words read. */
SCT_SIGSAFE unsigned sct_unw_walk(uint64_t *ips, unsigned max, uint64_t ip,
				  uint64_t sp, uint64_t bp, int exact,
				  uint64_t hi, uint64_t olo, uint64_t ohi,
				  struct sct_unw_trail *tr);

/* signal-safe: is the return address of the frame interrupted at IP in
 * a register (glibc's vfork between its pop and push of it)?  1 with
 * that register's DWARF number (0..15: rax, rdx, rcx, rbx, rsi, rdi, rbp,
 * rsp, r8..r15) in *REG and the caller's stack pointer at rsp + *OFF;
 * 0 otherwise. */
SCT_SIGSAFE int sct_unw_rareg(uint64_t ip, unsigned *reg, int64_t *off);

/* signal-safe: the same through unw_backtrace alone (no bounds needed:
 * libunwind trusts the unwind tables) */
SCT_SIGSAFE unsigned sct_unw_from(uint64_t *ips, unsigned max, uint64_t ip,
				  uint64_t sp, uint64_t bp, int exact);

/* signal-safe: the code at [LO, HI) is gone: drop its rules and
 * libunwind's cached unwind info */
SCT_SIGSAFE void sct_unw_forget(uint64_t lo, uint64_t hi);

#endif
