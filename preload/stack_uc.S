/* int sct_stk_uc_trace(void **buf, int n, const unsigned long regs[3],
 *                      int (*bt)(void **, int)):
 * bt (libunwind's unw_backtrace) as if called from the context
 * regs = {rip, rsp, rbp} of an interrupted syscall (preload/stack.c).
 *
 * libunwind's fast trace (1.6.2) crosses a frame whose unwind info is
 * marked as a signal frame by reading rip, rsp and rbp at their
 * ucontext_t offsets (uc_mcontext.gregs: RBP 0x78, RSP 0xa0, RIP 0xa8)
 * from the frame's stack pointer.  So this function lays out those three
 * slots at its stack pointer, calls bt, and describes its own frame, at
 * the call, as such a signal frame (CFA = the saved rsp, each register
 * saved in its slot).  bt's buf[0] is the return address into this
 * function, buf[1] regs[0] (the interrupted rip, not backed up: a signal
 * frame's caller is looked up at its exact address), then its callers.
 * Neither the handler's frames nor the kernel's signal frame are walked,
 * so the restorer needs no unwind info. */

	.text
	.globl sct_stk_uc_trace
	.hidden sct_stk_uc_trace
	.type sct_stk_uc_trace, @function
sct_stk_uc_trace:
	.cfi_startproc
	.cfi_signal_frame
	push %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov %rsp, %rbp
	.cfi_def_cfa_register %rbp
	sub $0xb0, %rsp          /* the slots; rsp stays 16-byte aligned */
	mov 0(%rdx), %rax
	mov %rax, 0xa8(%rsp)     /* rip */
	mov 8(%rdx), %rax
	mov %rax, 0xa0(%rsp)     /* rsp */
	mov 16(%rdx), %rax
	mov %rax, 0x78(%rsp)     /* rbp */
	.cfi_remember_state
	/* DW_CFA_def_cfa_expression: DW_OP_breg7 (rsp) 0xa0; DW_OP_deref */
	.cfi_escape 0x0f, 0x04, 0x77, 0xa0, 0x01, 0x06
	/* DW_CFA_expression rip (16): DW_OP_breg7 0xa8 */
	.cfi_escape 0x10, 0x10, 0x03, 0x77, 0xa8, 0x01
	/* DW_CFA_expression rsp (7): DW_OP_breg7 0xa0 */
	.cfi_escape 0x10, 0x07, 0x03, 0x77, 0xa0, 0x01
	/* DW_CFA_expression rbp (6): DW_OP_breg7 0x78 */
	.cfi_escape 0x10, 0x06, 0x03, 0x77, 0xf8, 0x00
	call *%rcx
	.cfi_restore_state
	leave
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size sct_stk_uc_trace, . - sct_stk_uc_trace

	.section .note.GNU-stack, "", @progbits
