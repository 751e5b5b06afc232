/* The allowed region of Syscall User Dispatch: every syscall instruction
 * the tracer itself executes lives in this section, between
 * __start_sct_gate and __stop_sct_gate.  The kernel tests the address
 * after the syscall instruction, so no syscall here is the section's last
 * instruction (each is followed by at least one more).  Register offsets:
 * preload/ucregs.h. */
#include "ucregs.h"

	.section sct_gate, "ax", @progbits

/* long sct_raw(long nr, long a, long b, long c, long d, long e, long f):
 * the tracer's one way into the kernel; -errno on failure, errno untouched. */
	.globl sct_raw
	.hidden sct_raw
	.type sct_raw, @function
sct_raw:
	.cfi_startproc
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov %rcx, %rdx
	mov %r8, %r10
	mov %r9, %r8
	mov 8(%rsp), %r9
	syscall
	ret
	.cfi_endproc
	.size sct_raw, . - sct_raw

/* The restorer of the tracer's SIGSYS handler, and the gate through which
 * a trapped rt_sigreturn of the program is performed (the handler points
 * the interrupted context here, with the program's stack). */
/* Its unwind info says what a signal frame is: 'S' (a signal frame), the
 * CFA is the interrupted rsp and every register is in the ucontext at rsp
 * (DWARF expressions on rsp + offsetof(ucontext_t, uc_mcontext.gregs[R])),
 * so unwinders (preload/cfi.c, libunwind, gdb) cross it to the code the
 * trap interrupted.  The nop before it is inside the FDE: an unwinder
 * looks up a return address minus one. */
/* DW_CFA_expression REG: DW_OP_breg7 (rsp) OFF, OFF < 8192 */
#define SAVED_AT(reg, off) \
	.cfi_escape 0x10, reg, 0x03, 0x77, ((off) & 0x7f) | 0x80, (off) >> 7
	.cfi_startproc
	.cfi_signal_frame
	/* DW_CFA_def_cfa_expression: DW_OP_breg7 (rsp) gregs[RSP]; DW_OP_deref */
	.cfi_escape 0x0f, 0x04, 0x77, (UC_GREG(15) & 0x7f) | 0x80, UC_GREG(15) >> 7, 0x06
	SAVED_AT(0, UC_GREG(13))  /* rax */
	SAVED_AT(1, UC_GREG(12))  /* rdx */
	SAVED_AT(2, UC_GREG(14))  /* rcx */
	SAVED_AT(3, UC_GREG(11))  /* rbx */
	SAVED_AT(4, UC_GREG(9))   /* rsi */
	SAVED_AT(5, UC_GREG(8))   /* rdi */
	SAVED_AT(6, UC_GREG(10))  /* rbp */
	SAVED_AT(8, UC_GREG(0))   /* r8 */
	SAVED_AT(9, UC_GREG(1))   /* r9 */
	SAVED_AT(10, UC_GREG(2))  /* r10 */
	SAVED_AT(11, UC_GREG(3))  /* r11 */
	SAVED_AT(12, UC_GREG(4))  /* r12 */
	SAVED_AT(13, UC_GREG(5))  /* r13 */
	SAVED_AT(14, UC_GREG(6))  /* r14 */
	SAVED_AT(15, UC_GREG(7))  /* r15 */
	SAVED_AT(16, UC_GREG(16)) /* rip, the return address column */
	nop
	.globl sct_gate_sigreturn
	.hidden sct_gate_sigreturn
	.type sct_gate_sigreturn, @function
sct_gate_sigreturn:
	/* the bytes of glibc's __restore_rt (48 c7 c0 0f 00 00 00 0f 05):
	 * unwinders (libunwind) recognise a signal frame by them */
	.byte 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00 /* mov $15, %rax */
	syscall
	ud2
	.cfi_endproc
	.size sct_gate_sigreturn, . - sct_gate_sigreturn

/* long sct_gate_clone(const long *gregs): a trapped clone/clone3 whose
 * child gets a new stack.  The syscall runs with every register of the
 * program as it trapped (rsp excepted), so the child, which starts on its
 * new stack, resumes the program exactly where it trapped.  The parent
 * (result != 0) gets the result back here.  The caller wrote, just below
 * the child's stack top, the block {flags, rip}: the child calls
 * sct_trap_child(block) with the program's registers saved around it,
 * then jumps to rip. */
	.globl sct_gate_clone
	.hidden sct_gate_clone
	.type sct_gate_clone, @function
sct_gate_clone:
	.cfi_startproc
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rdi, %rax
	mov G(R8)(%rax), %r8
	mov G(R9)(%rax), %r9
	mov G(R10)(%rax), %r10
	mov G(R12)(%rax), %r12
	mov G(R13)(%rax), %r13
	mov G(R14)(%rax), %r14
	mov G(R15)(%rax), %r15
	mov G(RBX)(%rax), %rbx
	mov G(RBP)(%rax), %rbp
	mov G(RSI)(%rax), %rsi
	mov G(RDX)(%rax), %rdx
	mov G(RDI)(%rax), %rdi
	mov G(RAX)(%rax), %rax
	syscall
	test %rax, %rax
	jz 1f
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
	.cfi_endproc
1:	/* child: rsp is the new stack's top, the block right below it */
	sub $16, %rsp
	push %rdi
	push %rsi
	push %rdx
	push %r10
	push %r8
	push %r9
	push %rax
	lea 56(%rsp), %rdi
	mov %rsp, %r11
	and $-16, %rsp
	push %r11
	push %r11
	call sct_trap_child
	mov (%rsp), %rsp
	pop %rax
	pop %r9
	pop %r8
	pop %r10
	pop %rdx
	pop %rsi
	pop %rdi
	add $16, %rsp
	jmp *-8(%rsp)
	.size sct_gate_clone, . - sct_gate_clone

/* void sct_gate_vfork(long flags, long child_sp): a trapped vfork, or a
 * clone sharing memory without a new stack, done as clone(FLAGS,
 * CHILD_SP = the program's stack pointer).  The child runs on the
 * program's stack and may overwrite the handler's frames, so neither side
 * returns through them: both restore the program's registers from the
 * thread's save area (sct_vf, filled by the handler; the parent sleeps
 * while the child uses it) and jump back into the program.  The handler
 * runs with the program's signal mask (SA_NODEFER, empty sa_mask): there
 * is no mask to restore. */
	.globl sct_gate_vfork
	.hidden sct_gate_vfork
	.type sct_gate_vfork, @function
sct_gate_vfork:
	mov $56, %eax
	xor %edx, %edx
	xor %r10d, %r10d
	xor %r8d, %r8d
	syscall
	test %rax, %rax
	jz 1f
	mov %rax, %rdi
	and $-16, %rsp
	call sct_vfork_parent
	jmp 2f
1:	sub $128, %rsp
	and $-16, %rsp
	call sct_vfork_child
2:	movq sct_vf@gottpoff(%rip), %r11
	mov %fs:G(R8)(%r11), %r8
	mov %fs:G(R9)(%r11), %r9
	mov %fs:G(R10)(%r11), %r10
	mov %fs:G(R12)(%r11), %r12
	mov %fs:G(R13)(%r11), %r13
	mov %fs:G(R14)(%r11), %r14
	mov %fs:G(R15)(%r11), %r15
	mov %fs:G(RDI)(%r11), %rdi
	mov %fs:G(RSI)(%r11), %rsi
	mov %fs:G(RBP)(%r11), %rbp
	mov %fs:G(RBX)(%r11), %rbx
	mov %fs:G(RDX)(%r11), %rdx
	mov %fs:G(RAX)(%r11), %rax
	mov %fs:G(RIP)(%r11), %rcx
	mov %fs:G(RSP)(%r11), %rsp
	jmp *%rcx
	ud2 /* the region ends after an instruction, never a syscall */
	.size sct_gate_vfork, . - sct_gate_vfork

	.section .note.GNU-stack, "", @progbits
