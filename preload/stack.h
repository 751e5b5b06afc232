/* Caller stacks (issue 5), capture side: preload/stack.c.
 *
 * Each process image writes one side file DIR/PID-IMAGE.stk
 * (include/sctrace/stack.h): a table of interned caller stacks, which
 * records refer to by id (sct_rec.stack_id), and a module log (the
 * executable file mappings at start, then every exec mapping and unmapping
 * the tracer saw), so the dumper can symbolize post mortem.
 *
 * Configuration (read once by sct_stack_init):
 *   SCTRACE_STACK=N     frames per stack, 0..64 (0: off; default 16)
 *   SCTRACE_UNWIND=M    eh (default: a walk over rules read from the
 *                       objects' .eh_frame, one per code address,
 *                       preload/unwind.c and cfi.c; a frame with no
 *                       simple rule ends the stack), libunwind (the same
 *                       walk, and unw_backtrace for the frames it has no
 *                       simple rule for) or fp (frame-pointer walk: right
 *                       only where every frame keeps a frame pointer; a
 *                       leaf without one, such as glibc's syscall stubs,
 *                       loses its caller)
 *
 * libunwind.so.8 is dlopen'ed RTLD_LOCAL (not linked), in libunwind mode
 * only: otherwise it is never loaded, and its exported _Unwind_* and weak
 * `backtrace` never join the program's global symbol scope.
 *
 * Calling contract, for every SCT_SIGSAFE function below: the caller holds
 * the reentrancy guard (sct_self.guard > 0), so libc calls made inside
 * libunwind (sigprocmask, mmap, mincore, dl_iterate_phdr, ...) pass
 * through the wrappers unrecorded; the functions set the trap selector to
 * ALLOW around their own work (and restore it), so those calls never trap;
 * errno is preserved.  None of them allocates or takes a lock of ours.
 * Every function is a no-op (returns 0) while stacks are off.
 */
#ifndef SCT_STACK_H
#define SCT_STACK_H

#include <stdint.h>

#include "sct.h"

/* Constructor only, once: after sct_pid, sct_image, sct_cfg.dir and
 * sct_cfg.exe are set and the ring directory is usable (check_dir), after
 * the START event, with the guard held.  In libunwind mode, first makes the
 * process's first malloc outside the guard (traced: see stack.c).  Reads SCTRACE_STACK / SCTRACE_UNWIND, loads libunwind
 * (libunwind mode), creates and fills the side file (8192 stack slots, a
 * 256 KiB module log: 1.4 MiB of /dev/shm at 16 frames, 4.5 MiB at 64),
 * logs the executable mappings of /proc/self/maps and "[vdso]", warms the
 * unwinder for the calling (main) thread.  Any failure: one message on
 * stderr, stacks off, the program unaffected.  Not signal-safe (getenv,
 * dlopen, dl_iterate_phdr). */
void sct_stack_init(void);

/* signal-safe: once per new thread, when its ring is created (from
 * sct_thread_ring, in a wrapper or the SIGSYS handler): finds the thread's
 * stack range (/proc/self/maps; the walks read only inside it) and, in
 * eh and libunwind modes, learns the rules of its outer frames. */
SCT_SIGSAFE void sct_stack_warm_thread(void);

/* signal-safe: the stack id of a call recorded by a wrapper, called from
 * anywhere inside libsctrace.so below the wrapper (the record path).
 * FRAME: the wrapper's frame address (__builtin_frame_address(0) in the
 * function the program called; sct_call.frame): the walk starts at its
 * caller.  NULL: found from here, frames inside libsctrace.so dropped.
 * Either way frame 0 is the return address into the caller of the libc
 * function.  0: stacks off, no frame, or the table is full. */
SCT_SIGSAFE uint32_t sct_stack_wrapped(const void *frame);

/* signal-safe: the stack id of a syscall caught by the SIGSYS handler;
 * UC is the handler's ucontext_t.  Frame 0 is the interrupted IP (the
 * instruction after the `syscall`), then its callers.  When that IP is in
 * ld.so (the loader may hold its locks), only frame 0 is recorded. */
SCT_SIGSAFE uint32_t sct_stack_trapped(const void *uc);

/* signal-safe: after every successful mmap, munmap or mremap the tracer
 * recorded (wrapped or trapped): NR the syscall number, ARGS its six
 * arguments, RET its result (an address for mmap/mremap; a failure,
 * -errno or -1, is ignored).  Logs MAP for a file mapping with PROT_EXEC
 * (path from /proc/self/fd/N), UNMAP for a range that overlaps an exec
 * mapping logged and not unmapped since (munmap, mremap's old range, a
 * MAP_FIXED mapping without PROT_EXEC over it; a table of up to 1024 such
 * mappings, then any overlap with their span).  This is how dlopen and
 * dlclose show up: there is no dlopen wrapper.  mprotect adding PROT_EXEC
 * is not seen (JIT code is anonymous anyway). */
SCT_SIGSAFE SCT_COLD void sct_stack_note_map(unsigned nr, const long *args,
					 long ret);

/* a thread's end (its TSD destructor): what stacks kept for it goes */
SCT_SIGSAFE void sct_stack_thread_exit(void);

/* signal-safe: in a fork child, after the caller set the new sct_pid and
 * sct_image: a side file of its own whose module log starts with a copy
 * of the parent's committed entries (their times kept); the parent's file
 * is unmapped here (it stays the parent's). */
SCT_SIGSAFE void sct_stack_after_fork_child(void);

#endif
