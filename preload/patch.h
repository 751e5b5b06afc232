/* Patched syscall sites (preload/patch.c, patch.S): a site of libc or the
 * loader that keeps trapping jumps to a slot of this library instead. */
#ifndef SCT_PATCH_H
#define SCT_PATCH_H

#include <stdint.h>
#include <ucontext.h>

#include "core.h"

/* the constructor, after the trap layer (sct_cfg.patch from SCTRACE_PATCH,
 * default 1): patching needs Syscall User Dispatch.  Inline: no page of
 * patch.c touched at start */
static inline void sct_patch_init(void)
{
	if (sct_hot.trap_mode != SCT_TRAP_SUD)
		sct_cfg.patch = 0;
}
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
