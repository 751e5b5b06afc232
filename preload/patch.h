/* Patched syscall sites (preload/patch.c, patch.S): a site of libc or the
 * loader that keeps trapping jumps to a slot of this library instead. */
#ifndef SCT_PATCH_H
#define SCT_PATCH_H

#include <stdint.h>
#include <ucontext.h>

#include "sct.h"

/* the constructor, after the trap layer: ON from SCTRACE_PATCH (default
 * 1); patching needs Syscall User Dispatch */
void sct_patch_init(int on);
/* signal-safe: no more patching (a seccomp filter may be coming) */
SCT_SIGSAFE void sct_patch_stop(void);
/* signal-safe: a thread was cloned (from now on a site changes in one
 * atomic store, or not at all: another thread may run it) */
SCT_SIGSAFE void sct_patch_threads(void);
/* signal-safe: the SIGSYS handler recorded call NR trapped at the site
 * ending at END (the address after its syscall): patched on its second
 * trap when it can be */
SCT_SIGSAFE void sct_patch_note(uint64_t end, long nr);
/* trap.c: the handler's work for a slot's call, UC a context built from
 * the program's registers (no vector state): performs and records the
 * call, its result in UC's rax */
SCT_SIGSAFE void sct_trap_slot(ucontext_t *uc);

#endif
