/* Registers across a trapped raw syscall: everything the program had before
 * a `syscall` instruction (general registers, flags, x87, MXCSR, xmm/ymm,
 * zmm0-31 and the low 16 bits of k1-k7 where the CPU has AVX-512) must be there after it, as
 * after a native one (rcx and r11 excepted: the instruction sets them).
 *
 *   regkeep [N [alarm]]   N rounds (default 2000) of a raw getppid; with
 *                         "alarm", a 50 us interval timer whose handler
 *                         uses the vector registers runs meanwhile (signals
 *                         that land inside the trap and its return)
 *
 * Exit 0 when every round kept everything, else 1 with the first difference
 * on stderr.  Prints the vector level it checked ("sse", "avx", "avx512"). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

struct regs {
	uint64_t gpr[12]; /* rbx rbp r12 r13 r14 r15 rdi rsi rdx r8 r9 r10 */
	uint64_t ret;     /* rax after the call */
	uint64_t flags;
	uint32_t mxcsr;
	uint16_t fcw;
	uint16_t pad;
	double x87;
	uint64_t k[8];
	_Alignas(64) unsigned char vec[32][64];
};

#define O_FLAGS 104
#define O_MXCSR 112
#define O_FCW 116
#define O_X87 120
#define O_K 128
#define O_VEC 192
_Static_assert(offsetof(struct regs, flags) == O_FLAGS, "layout");
_Static_assert(offsetof(struct regs, mxcsr) == O_MXCSR, "layout");
_Static_assert(offsetof(struct regs, fcw) == O_FCW, "layout");
_Static_assert(offsetof(struct regs, x87) == O_X87, "layout");
_Static_assert(offsetof(struct regs, k) == O_K, "layout");
_Static_assert(offsetof(struct regs, vec) == O_VEC, "layout");

/* void regs_trip(const struct regs *in, struct regs *out, long level):
 * loads IN, sets CF and DF, makes a raw getppid, stores into OUT.
 * LEVEL: 0 xmm0-15, 1 ymm0-15, 2 zmm0-31 and k1-k7. */
void regs_trip(const struct regs *in, struct regs *out, long level);
#define S_(x) #x
#define S(x) S_(x)
__asm__(
	".text\n"
	".type regs_trip, @function\n"
	"regs_trip:\n"
	"	push %rbx\n	push %rbp\n	push %r12\n"
	"	push %r13\n	push %r14\n	push %r15\n"
	"	push %rsi\n" /* out */
	"	push %rdx\n" /* level */
	"	cmp $1, %rdx\n	jb 1f\n	je 2f\n"
	"	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	vmovdqu64 " S(O_VEC) "+64*\\i(%rdi), %zmm\\i\n"
	"	.endr\n"
	"	.irp i,1,2,3,4,5,6,7\n"
	"	kmovw " S(O_K) "+8*\\i(%rdi), %k\\i\n"
	"	.endr\n"
	"	jmp 3f\n"
	"2:	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"	vmovdqu " S(O_VEC) "+64*\\i(%rdi), %ymm\\i\n"
	"	.endr\n"
	"	jmp 3f\n"
	"1:	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"	movdqu " S(O_VEC) "+64*\\i(%rdi), %xmm\\i\n"
	"	.endr\n"
	"3:	ldmxcsr " S(O_MXCSR) "(%rdi)\n"
	"	fldcw " S(O_FCW) "(%rdi)\n"
	"	fldl " S(O_X87) "(%rdi)\n"
	"	mov 0(%rdi), %rbx\n	mov 8(%rdi), %rbp\n"
	"	mov 16(%rdi), %r12\n	mov 24(%rdi), %r13\n"
	"	mov 32(%rdi), %r14\n	mov 40(%rdi), %r15\n"
	"	mov 56(%rdi), %rsi\n	mov 64(%rdi), %rdx\n"
	"	mov 72(%rdi), %r8\n	mov 80(%rdi), %r9\n"
	"	mov 88(%rdi), %r10\n	mov 48(%rdi), %rdi\n"
	"	mov $110, %eax\n" /* getppid */
	"	stc\n	std\n"
	"	syscall\n"
	"	pushfq\n"
	"	cld\n"
	"	push %rax\n"
	"	mov 24(%rsp), %rax\n" /* out */
	"	mov %rbx, 0(%rax)\n	mov %rbp, 8(%rax)\n"
	"	mov %r12, 16(%rax)\n	mov %r13, 24(%rax)\n"
	"	mov %r14, 32(%rax)\n	mov %r15, 40(%rax)\n"
	"	mov %rdi, 48(%rax)\n	mov %rsi, 56(%rax)\n"
	"	mov %rdx, 64(%rax)\n	mov %r8, 72(%rax)\n"
	"	mov %r9, 80(%rax)\n	mov %r10, 88(%rax)\n"
	"	pop %rcx\n	mov %rcx, 96(%rax)\n"
	"	pop %rcx\n	mov %rcx, " S(O_FLAGS) "(%rax)\n"
	"	pop %rdx\n" /* level */
	"	stmxcsr " S(O_MXCSR) "(%rax)\n"
	"	fnstcw " S(O_FCW) "(%rax)\n"
	"	fstpl " S(O_X87) "(%rax)\n"
	"	cmp $1, %rdx\n	jb 1f\n	je 2f\n"
	"	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	vmovdqu64 %zmm\\i, " S(O_VEC) "+64*\\i(%rax)\n"
	"	.endr\n"
	"	.irp i,1,2,3,4,5,6,7\n"
	"	kmovw %k\\i, " S(O_K) "+8*\\i(%rax)\n"
	"	.endr\n"
	"	vzeroupper\n"
	"	jmp 3f\n"
	"2:	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"	vmovdqu %ymm\\i, " S(O_VEC) "+64*\\i(%rax)\n"
	"	.endr\n"
	"	vzeroupper\n"
	"	jmp 3f\n"
	"1:	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"	movdqu %xmm\\i, " S(O_VEC) "+64*\\i(%rax)\n"
	"	.endr\n"
	"3:	pop %rsi\n"
	"	pop %r15\n	pop %r14\n	pop %r13\n"
	"	pop %r12\n	pop %rbp\n	pop %rbx\n"
	"	ret\n"
	".size regs_trip, . - regs_trip\n");

static const char *const gname[12] = { "rbx", "rbp", "r12", "r13", "r14",
				       "r15", "rdi", "rsi", "rdx", "r8",
				       "r9",  "r10" };

static volatile double sink;
static volatile long alarms;

static void on_alarm(int sig)
{
	(void)sig;
	double v[8];
	for (int i = 0; i < 8; i++)
		v[i] = sink * 1.5 + i; /* clobbers vector registers */
	sink = v[alarms++ & 7];
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 2000;
	long level = __builtin_cpu_supports("avx512f") ? 2
		     : __builtin_cpu_supports("avx")   ? 1
							: 0;
	static const char *const lname[3] = { "sse", "avx", "avx512" };
	size_t vbytes = level == 2 ? 64 : level == 1 ? 32 : 16;
	int nvec = level == 2 ? 32 : 16;
	long ppid = getppid();
	static struct regs in, out;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	if (argc > 2 && !strcmp(argv[2], "alarm")) {
		struct sigaction sa = { .sa_handler = on_alarm,
					.sa_flags = SA_RESTART };
		struct itimerval it = { { 0, 50 }, { 0, 50 } };
		sigaction(SIGALRM, &sa, 0);
		setitimer(ITIMER_REAL, &it, 0);
	}
	printf("%s\n", lname[level]);
	fflush(stdout);
	for (long r = 0; r < rounds; r++) {
		unsigned char *p = (unsigned char *)&in;
		for (size_t i = 0; i < sizeof in; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			p[i] = (unsigned char)(seed >> 56);
		}
		in.mxcsr = (r & 1) ? 0x3f80 : 0x5f80; /* rounding up / down */
		in.fcw = (r & 1) ? 0x027f : 0x0e7f; /* precision, rounding */
		in.x87 = 2.5 + (double)r;
		memset(&out, 0, sizeof out);
		regs_trip(&in, &out, level);
		const char *bad = 0;
		char what[64];
		for (int i = 0; i < 12 && !bad; i++)
			if (in.gpr[i] != out.gpr[i])
				bad = gname[i];
		if (!bad && (long)out.ret != ppid)
			bad = "rax (the result)";
		if (!bad && (out.flags & 0x401) != 0x401)
			bad = "rflags (CF, DF)";
		if (!bad && out.mxcsr != in.mxcsr)
			bad = "mxcsr";
		if (!bad && out.fcw != in.fcw)
			bad = "x87 control word";
		if (!bad && out.x87 != in.x87)
			bad = "st0";
		for (int i = 1; i < 8 && !bad && level == 2; i++)
			if ((in.k[i] & 0xffff) != out.k[i]) {
				snprintf(what, sizeof what, "k%d", i);
				bad = what;
			}
		for (int i = 0; i < nvec && !bad; i++)
			if (memcmp(in.vec[i], out.vec[i], vbytes)) {
				snprintf(what, sizeof what, "%cmm%d",
					 "xyz"[level], i);
				bad = what;
			}
		if (bad) {
			fprintf(stderr, "regkeep: round %ld: %s changed\n", r,
				bad);
			return 1;
		}
	}
	return 0;
}
