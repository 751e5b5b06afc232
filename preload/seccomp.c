/* The seccomp RET_TRAP fallback of the trap layer (SCTRACE_TRAP=seccomp, or
 * auto on a kernel without Syscall User Dispatch).
 *
 * The filter traps a syscall only when the address after its `syscall`
 * instruction is one of an exact list of sites: every 0f 05 byte pair in
 * the executable segments of the libraries loaded when tracing starts
 * (libc, ld.so, ...), libsctrace.so itself, the vDSO and the program
 * mapped by the kernel excepted.  Everything else is allowed, including
 * the tracer's own raw syscalls (preload/gate.S).
 *
 * The exec story: a seccomp filter outlives exec and can never be removed,
 * and a descendant runs its loader and its libraries' initialisation
 * before its own copy of this library installs a SIGSYS handler; a trap
 * there kills it.  A filter by address range (libc's text) kills
 * posix_spawn'd and system()'d children at their first syscall.  Exact
 * sites alone leave chance: ASLR may put a new image's syscall on a listed
 * address.  So every image that lists sites is placed (preload/place.c):
 * its libraries lie below its parent's lowest site and below a third of
 * the address space, and it lists only those libraries, never the program
 * the kernel maps (at one randomized base no placement moves) nor the vDSO
 * (next to the stack on some kernels).  An image exec'd without placement
 * (a raw execve, a static program, a hard stack limit too low) lands
 * where nothing is listed, and lists nothing itself (unless
 * SCTRACE_PLACE=0).  Each image that traces in this mode adds its own filter
 * (they stack); its handler performs any trap of an older filter too.
 *
 * Wrapped calls trap as well (the site does not tell who called libc); the
 * handler performs them without a record when a wrapper is active (its
 * selector byte at ALLOW) and the wrapper records the call.
 *
 * Not signal-safe: runs once, from the constructor. */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/auxv.h>
#include <sys/personality.h>
#include <sys/prctl.h>

#include "core.h"
#include "sctrace/place.h"

#define MAX_SITES 6000
#define MAX_INSNS BPF_MAXINSNS
#define LEAF 4 /* sites compared one by one at the bottom of the tree */

static uint64_t sites[MAX_SITES];
static unsigned nsites;
static int too_many;
static struct sock_filter prog[MAX_INSNS];
static unsigned ninsns;

/* ---- the sites ---------------------------------------------------------- */

static int is_self(struct dl_phdr_info *info)
{
	uintptr_t me = (uintptr_t)&sct_seccomp_install;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && me >= lo && me - lo < ph->p_memsz)
			return 1;
	}
	return 0;
}

static int collect(struct dl_phdr_info *info, size_t size, void *unused)
{
	(void)size, (void)unused;
	/* dlpi_addr 0: the program itself linked at a fixed address (ET_EXEC):
	 * a later image could sit at the same addresses, never listed */
	if (info->dlpi_addr == 0 || is_self(info))
		return 0;
	/* the vDSO: the kernel may map an exec'd image's next to its stack,
	 * at addresses no stack limit moves (its calls are wrapped) */
	if (info->dlpi_addr == getauxval(AT_SYSINFO_EHDR))
		return 0;
	/* the program, mapped by the kernel where every program with a
	 * loader goes, at a base no stack limit moves (run as the loader's
	 * argument, it was mapped like a library: listed) */
	if (getauxval(AT_BASE) &&
	    (uintptr_t)info->dlpi_phdr == getauxval(AT_PHDR))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) ||
		    !(ph->p_flags & PF_R) || ph->p_filesz < 2)
			continue;
		const unsigned char *p =
			(const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
		for (size_t k = 0; k + 1 < ph->p_filesz; k++) {
			if (p[k] != 0x0f || p[k + 1] != 0x05)
				continue;
			if (nsites == MAX_SITES) {
				too_many = 1;
				return 1;
			}
			sites[nsites++] = (uint64_t)(uintptr_t)(p + k + 2);
		}
	}
	return 0;
}

static void sort_sites(void)
{
	/* shell sort: a few thousand values, once */
	for (unsigned gap = nsites / 2; gap; gap /= 2)
		for (unsigned i = gap; i < nsites; i++) {
			uint64_t v = sites[i];
			unsigned j = i;
			for (; j >= gap && sites[j - gap] > v; j -= gap)
				sites[j] = sites[j - gap];
			sites[j] = v;
		}
}

/* ---- the filter --------------------------------------------------------- */

static int emit(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	if (ninsns == MAX_INSNS)
		return -1;
	prog[ninsns++] = (struct sock_filter){ code, jt, jf, k };
	return (int)ninsns - 1;
}

#define RET_TRAP (SECCOMP_RET_TRAP | (SCT_SECCOMP_DATA & SECCOMP_RET_DATA))

/* a binary search over the low halves LO[0..N) (sorted, one high half):
 * trap on a match, allow otherwise */
static int emit_tree(const uint64_t *lo, unsigned n)
{
	if (n <= LEAF) {
		for (unsigned i = 0; i < n; i++)
			if (emit(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)lo[i],
				 (uint8_t)(n - i), 0) < 0)
				return -1;
		if (emit(BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0) < 0 ||
		    emit(BPF_RET | BPF_K, RET_TRAP, 0, 0) < 0)
			return -1;
		return 0;
	}
	unsigned mid = n / 2;
	/* A >= lo[mid]: the jump over the left half to the right half */
	if (emit(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)lo[mid], 0, 1) < 0)
		return -1;
	int ja = emit(BPF_JMP | BPF_JA, 0, 0, 0);
	if (ja < 0 || emit_tree(lo, mid) < 0)
		return -1;
	prog[ja].k = ninsns - (unsigned)ja - 1;
	return emit_tree(lo + mid, n - mid);
}

#define IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define IP_HI (IP_LO + 4)

static int build_filter(void)
{
	ninsns = 0;
	emit(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
	emit(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	emit(BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	emit(BPF_LD | BPF_W | BPF_ABS, IP_HI, 0, 0);
	/* one test of the high half per group of sites sharing it, each
	 * jumping to its group's tree (patched below) */
	unsigned ngroups = 0, first[64], jumps[64];
	for (unsigned i = 0; i < nsites; i++) {
		if (i && sites[i] >> 32 == sites[i - 1] >> 32)
			continue;
		if (ngroups == 64)
			return -1;
		first[ngroups] = i;
		emit(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(sites[i] >> 32), 0, 1);
		jumps[ngroups++] = ninsns;
		if (emit(BPF_JMP | BPF_JA, 0, 0, 0) < 0)
			return -1;
	}
	if (emit(BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0) < 0)
		return -1;
	static uint64_t lo[MAX_SITES];
	for (unsigned g = 0; g < ngroups; g++) {
		unsigned end = g + 1 < ngroups ? first[g + 1] : nsites;
		prog[jumps[g]].k = ninsns - jumps[g] - 1;
		if (emit(BPF_LD | BPF_W | BPF_ABS, IP_LO, 0, 0) < 0)
			return -1;
		for (unsigned i = first[g]; i < end; i++)
			lo[i - first[g]] = (uint32_t)sites[i];
		if (emit_tree(lo, end - first[g]) < 0)
			return -1;
	}
	return 0;
}

/* ---- set-up ------------------------------------------------------------- */

static int read_flag(const char *path)
{
	char c = 0;
	long fd = sct_raw4(__NR_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	long n = sct_raw3(__NR_read, fd, &c, 1);
	sct_raw1(__NR_close, fd);
	return n == 1 ? c - '0' : -1;
}

int sct_seccomp_install(const char **why)
{
	long pers = sct_raw1(__NR_personality, 0xffffffffL);
	if (pers < 0)
		pers = 0;
	if ((pers & ADDR_COMPAT_LAYOUT) ||
	    read_flag("/proc/sys/vm/legacy_va_layout") > 0) {
		*why = "the legacy address space layout (setarch -L, "
		       "vm.legacy_va_layout=1) cannot keep an exec'd image's "
		       "libraries away from the trapped code";
		return -1;
	}
	int start = sct_place_start();
	if (start == SCT_NOT_PLACED) {
		*why = "its parent's tracer could not place this image's "
		       "libraries away from the trapped code (a hard "
		       "RLIMIT_STACK too low)";
		return -1;
	}
	if (start != SCT_PLACED && sct_cfg.place_required) {
		*why = "this image was not placed away from where images "
		       "exec'd without sctrace's help go (start it with "
		       "`sctrace --`, or set SCTRACE_PLACE=0 to take the "
		       "chance, see the README's limits)";
		return -1;
	}
	/* not placed (SCTRACE_PLACE=0): its libraries sit where those of an
	 * image exec'd without sctrace's help (a raw execve) go, and without
	 * randomization at the very same addresses */
	if (start != SCT_PLACED &&
	    ((pers & ADDR_NO_RANDOMIZE) ||
	     read_flag("/proc/sys/kernel/randomize_va_space") == 0)) {
		*why = "address space randomization is off (setarch -R or "
		       "randomize_va_space=0) and this image was not placed "
		       "(SCTRACE_PLACE=0): an image exec'd without sctrace's "
		       "help could run a trapped address before its handler "
		       "exists";
		return -1;
	}
	nsites = 0;
	too_many = 0;
	dl_iterate_phdr(collect, 0);
	if (too_many || nsites == 0) {
		*why = too_many ? "too many syscall sites for one filter"
				: "no syscall site found";
		return -1;
	}
	sort_sites();
	if (sct_place_misplaced(sites[nsites - 1])) {
		*why = "this image's libraries are not where its placement "
		       "put them";
		return -1;
	}
	if (sct_place_set(sites[0]) < 0) {
		*why = "no room left below this image's libraries for those of "
		       "the images it execs (exec chain too deep, or a hard "
		       "RLIMIT_STACK too low)";
		return -1;
	}
	if (build_filter() < 0) {
		*why = "too many syscall sites for one filter";
		return -1;
	}
	struct sock_fprog fp = { (unsigned short)ninsns, prog };
	/* without no_new_privs where the kernel allows it (CAP_SYS_ADMIN):
	 * set-user-ID programs keep working in this process's descendants */
	unsigned long fl = SECCOMP_FILTER_FLAG_TSYNC |
			   SECCOMP_FILTER_FLAG_SPEC_ALLOW;
	long r = sct_raw3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, fl, &fp);
	if (r == -EACCES) {
		sct_raw5(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		r = sct_raw3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, fl, &fp);
	}
	if (r > 0) /* a thread TSYNC could not move: this thread only */
		r = sct_raw3(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
			     SECCOMP_FILTER_FLAG_SPEC_ALLOW, &fp);
	if (r == -EINVAL) /* flags older kernels do not know */
		r = sct_raw3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp);
	if (r != 0) {
		*why = r == -ENOMEM ? "the process has too many seccomp filters "
				      "(exec chain too deep)"
				    : "the kernel refused the filter";
		return -1;
	}
	return 0;
}
