/* The slots that patched syscall sites jump to (preload/patch.c).
 *
 * A site of libc or the loader that keeps trapping, `mov $NR, %eax;
 * syscall`, gets its 5-byte mov replaced by `jmp slot_K` (the syscall
 * instruction stays: code that jumps straight to it still traps).  Slot K
 * does what the mov and the syscall did, without a SIGSYS:
 *  - selector at ALLOW (a wrapper's real call, an unarmed thread, the
 *    tracer's own libc calls): the syscall itself, here, then back;
 *  - else: the trap handler's work (sct_patch_slow -> trap.c), recorded as
 *    the trap would have recorded it, then back.
 * Either way the program gets rax = the result, rcx = the return address
 * and every other register as it was (a syscall clobbers rcx and r11; the
 * flags are not kept: compilers assume an asm statement changes them).
 * The return is `jmp *ret[K]`: back after the site's syscall.
 * Register offsets: preload/ucregs.h (the frame is a gregs array). */
#include "ucregs.h"

#define NSLOT 64
#define FRAME_K (8 * 18)	/* the slot, after gregs[0..17] */
#define FRAME_XMM (8 * 20)	/* xmm0..15, 16 bytes each */
#define FRAME_SIZE (FRAME_XMM + 16 * 16)
/* the registers the frame keeps besides rsp and rip (rax is the result;
 * rcx and r11 a syscall clobbers) */
#define EACH_GREG(X) X(%r8, R8) X(%r9, R9) X(%r10, R10) X(%r12, R12) \
	X(%r13, R13) X(%r14, R14) X(%r15, R15) X(%rdi, RDI) X(%rsi, RSI) \
	X(%rbp, RBP) X(%rbx, RBX) X(%rdx, RDX)
#define SAVE_GREG(r, i) mov r, G(i)(%rsp);
#define LOAD_GREG(r, i) mov G(i)(%rsp), r;

	.text
	.p2align 6
	.globl sct_patch_slots
	.hidden sct_patch_slots
	.type sct_patch_slots, @function
sct_patch_slots:
	.cfi_startproc
	.cfi_undefined rip
	.set k, 0
	.rept NSLOT
	.p2align 6
	mov sct_patch_seloff(%rip), %rax /* %fs offset of sct_self.sel; 0: not known */
	test %rax, %rax
	jz 1f
	cmpb $0, %fs:(%rax)		/* SCT_SEL_ALLOW */
	jne 1f
	mov sct_patch_nr + 4 * k(%rip), %eax
	syscall
	jmp *sct_patch_ret + 8 * k(%rip)
1:	mov $k, %ecx
	jmp sct_patch_slow_entry
	.set k, k + 1
	.endr
	.cfi_endproc
	.size sct_patch_slots, . - sct_patch_slots

/* ecx: the slot; rax, r11 and the flags free; rsp the program's, with its
 * red zone below.  Builds the frame below the red zone, 16-byte aligned,
 * calls long sct_patch_slow(long *frame) and returns its result in rax. */
/* DW_CFA_expression REG: DW_OP_breg7 (rsp) OFF, OFF < 16384 */
#define SAVED_AT(reg, off) \
	.cfi_escape 0x10, reg, 0x03, 0x77, ((off) & 0x7f) | 0x80, (off) >> 7
	.p2align 4
	.type sct_patch_slow_entry, @function
sct_patch_slow_entry:
	.cfi_startproc
	.cfi_undefined rip
	mov %rsp, %rax
	lea -128(%rsp), %rsp
	and $-16, %rsp
	sub $FRAME_SIZE, %rsp
	mov %rax, G(RSP)(%rsp)
	mov %rcx, FRAME_K(%rsp)
	lea sct_patch_ret(%rip), %rax
	mov (%rax,%rcx,8), %rax
	mov %rax, G(RIP)(%rsp)
	EACH_GREG(SAVE_GREG)
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movups %xmm\n, FRAME_XMM + \n * 16(%rsp)
	.endr
	mov %rsp, %rdi
	/* from here to the return: the interrupted frame is in the gregs
	 * at rsp (unwinders cross it to the site, as a signal frame) */
	/* DW_CFA_def_cfa_expression: DW_OP_breg7 (rsp) gregs[RSP]; DW_OP_deref */
	.cfi_escape 0x0f, 0x04, 0x77, (G(RSP) & 0x7f) | 0x80, G(RSP) >> 7, 0x06
	SAVED_AT(3, G(RBX))
	SAVED_AT(6, G(RBP))
	SAVED_AT(12, G(R12))
	SAVED_AT(13, G(R13))
	SAVED_AT(14, G(R14))
	SAVED_AT(15, G(R15))
	SAVED_AT(16, G(RIP))
	call sct_patch_slow
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movups FRAME_XMM + \n * 16(%rsp), %xmm\n
	.endr
	EACH_GREG(LOAD_GREG)
	mov G(RIP)(%rsp), %rcx	/* as a syscall leaves it */
	mov G(RSP)(%rsp), %rsp
	jmp *%rcx
	.cfi_endproc
	.size sct_patch_slow_entry, . - sct_patch_slow_entry

	.section .note.GNU-stack, "", @progbits
