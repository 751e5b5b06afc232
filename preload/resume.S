/* The return from a SIGSYS handler without rt_sigreturn (preload/trap.c).
 * Offsets into the ucontext: preload/ucregs.h. */
#include "ucregs.h"

/* void sct_trap_resume(ucontext_t *uc): the end of a dispatched SIGSYS,
 * without rt_sigreturn (a third kernel round trip per trapped call, about
 * a third of its cost here).  The handler ran with the program's own
 * signal mask (SA_NODEFER, empty sa_mask) and changed neither the
 * alternate stack nor the segments, so what sigreturn would restore is
 * the registers: the vector/x87 state first, from the frame the kernel
 * wrote (XRSTOR of the features it saved, or FXRSTOR for a legacy frame;
 * signal delivery left the handler with them reset), then the flags and
 * the general registers.  rcx and r11 end as after a syscall: the return
 * address and the flags (the interrupted values: the CPU had set them).
 * rsp points into the ucontext while the registers are read, so a signal
 * arriving meanwhile builds its frame below it; the switch to the
 * program's stack is the last read.  No syscall here: not in sct_gate.
 * Also linked into bench/sudbare (its "direct" round trip). */
	.text
	.globl sct_trap_resume
	.hidden sct_trap_resume
	.type sct_trap_resume, @function
sct_trap_resume:
	mov UC_FPREGS(%rdi), %rsi
	cmpl $0x46505853, SW_MAGIC1(%rsi) /* FP_XSTATE_MAGIC1: an XSAVE frame */
	jne 1f
	mov SW_FEATURES(%rsi), %eax
	mov SW_FEATURES+4(%rsi), %edx
	xrstor64 (%rsi)
	jmp 2f
1:	fxrstor64 (%rsi)
2:	mov %rdi, %rsp
	mov UC_GREG(R8)(%rsp), %r8
	mov UC_GREG(R9)(%rsp), %r9
	mov UC_GREG(R10)(%rsp), %r10
	mov UC_GREG(R12)(%rsp), %r12
	mov UC_GREG(R13)(%rsp), %r13
	mov UC_GREG(R14)(%rsp), %r14
	mov UC_GREG(R15)(%rsp), %r15
	mov UC_GREG(RDI)(%rsp), %rdi
	mov UC_GREG(RSI)(%rsp), %rsi
	mov UC_GREG(RBP)(%rsp), %rbp
	mov UC_GREG(RBX)(%rsp), %rbx
	mov UC_GREG(RDX)(%rsp), %rdx
	mov UC_GREG(RAX)(%rsp), %rax
	mov UC_GREG(R11)(%rsp), %r11
	mov UC_GREG(RIP)(%rsp), %rcx
	pushq UC_GREG(EFL)(%rsp)	/* into the frame, just below the ucontext */
	popfq
	mov UC_GREG(RSP)(%rsp), %rsp
	jmp *%rcx
	.size sct_trap_resume, . - sct_trap_resume


	.section .note.GNU-stack, "", @progbits
