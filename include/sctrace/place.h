/* Placing an exec'd image's libraries (the seccomp fallback's exec story,
 * preload/place.c), shared by the preload library and the command.
 *
 * A seccomp filter outlives exec, and an exec'd image runs its loader
 * before its own SIGSYS handler exists: a trap there kills it.  The
 * kernel's top-down layout puts every mapping made without an address
 * (the loader, libc, every library loaded at start) below mmap_base <=
 * TOP - RLIMIT_STACK's soft limit (Linux's mmap_base(): the stack's gap is
 * at least the limit, at most GAP_MAX).  So an exec made with a soft limit
 * L puts the new image's libraries below TOP - L: with L chosen so that
 * this lies below every address a filter traps, no syscall instruction of
 * theirs can be trapped.
 *
 * The limit the exec'd image sees must stay the program's: L carries it.
 *   bits 36..63  the placement unit K (L >= K << 36)
 *   bits 12..35  the program's own soft limit in KiB (all ones: infinity)
 *   bits  0..11  SCT_PLACE_MARK
 * The new image's tracer, before its libc reads the limit, sees the mark
 * and sets the program's limit back (and remembers K for its own execs).
 * A limit that is not a whole number of KiB below 16 GiB (or a hard limit
 * below L) cannot be carried: such an exec is not placed. */
#ifndef SCTRACE_PLACE_H
#define SCTRACE_PLACE_H

#include <elf.h>
#include <stdint.h>

#define SCT_PLACE_TOP 0x7ffffffff000ull /* top of the 64-bit mmap layout */
#define SCT_PLACE_GAP_MAX (SCT_PLACE_TOP / 6 * 5) /* the stack gap's cap */
#define SCT_PLACE_SHIFT 36
#define SCT_PLACE_MARK 0x5c7ull
#define SCT_PLACE_KIB_MAX 0xffffffull /* the KiB field; all ones: infinity */
#define SCT_RLIM_INF (~0ull)

/* The unit K that puts an exec'd image's libraries below address BELOW,
 * or 0 when no stack gap can (BELOW too low). */
static inline uint64_t sct_place_unit(uint64_t below)
{
	below &= ~0xfffull;
	if (below >= SCT_PLACE_TOP || SCT_PLACE_TOP - below > SCT_PLACE_GAP_MAX)
		return 0;
	uint64_t need = SCT_PLACE_TOP - below;
	return (need + (1ull << SCT_PLACE_SHIFT) - 1) >> SCT_PLACE_SHIFT;
}

/* The soft limit placing with unit K and carrying the program's soft
 * limit CUR, or 0 when CUR cannot be carried. */
static inline uint64_t sct_place_limit(uint64_t k, uint64_t cur)
{
	uint64_t kib;
	if (cur == SCT_RLIM_INF)
		kib = SCT_PLACE_KIB_MAX;
	else if ((cur & 1023) || (cur >> 10) >= SCT_PLACE_KIB_MAX)
		return 0;
	else
		kib = cur >> 10;
	return k << SCT_PLACE_SHIFT | kib << 12 | SCT_PLACE_MARK;
}

/* An exec that cannot be placed (a hard limit below L) under a filter
 * still tells the new image so, that it list no site of its own where
 * images exec'd without sctrace's help go: the program's soft limit CUR
 * (whole pages, at least two) one page lower with SCT_PLACE_MARK_NO in
 * its low bits; 0 when CUR is not such a limit. */
#define SCT_PLACE_MARK_NO 0x5c9ull

static inline uint64_t sct_place_nolimit(uint64_t cur)
{
	if (cur == SCT_RLIM_INF || (cur & 0xfff) || cur < 0x2000)
		return 0;
	return cur - 0x1000 + SCT_PLACE_MARK_NO;
}

/* What a soft limit LIM says: SCT_PLACED (set by sct_place_limit(): the
 * unit in *K), SCT_NOT_PLACED (sct_place_nolimit()) or 0 (the program's
 * own).  *OWN: the program's own limit. */
enum { SCT_PLACED = 1, SCT_NOT_PLACED = 2 };

static inline int sct_place_decode(uint64_t lim, uint64_t *own, uint64_t *k)
{
	*own = lim;
	*k = 0;
	if (lim == SCT_RLIM_INF)
		return 0;
	if ((lim & 0xfff) == SCT_PLACE_MARK_NO) {
		*own = (lim | 0xfff) + 1;
		return SCT_NOT_PLACED;
	}
	if ((lim & 0xfff) != SCT_PLACE_MARK || !(lim >> SCT_PLACE_SHIFT))
		return 0;
	*k = lim >> SCT_PLACE_SHIFT;
	uint64_t kib = lim >> 12 & SCT_PLACE_KIB_MAX;
	*own = kib == SCT_PLACE_KIB_MAX ? SCT_RLIM_INF : kib << 10;
	return SCT_PLACED;
}

/* Whether an exec of the file read by RD (pread-like, on FD) starts an
 * image to place: one that loads sctrace, i.e. a 64-bit x86 program with a
 * loader (PT_INTERP), a loader or library run as a program (ET_DYN with a
 * DT_SONAME), a script, or what only the kernel knows (not ELF).  Not a
 * static program: it has no tracer to set its limit back (and sizes its
 * threads' stacks by it) and never lists a site; unplaced, it lands where
 * nothing is listed.  1 when the file cannot be read. */
typedef long (*sct_pread_fn)(long fd, void *buf, unsigned long n,
			     unsigned long off);

static inline int sct_place_wants(long fd, sct_pread_fn rd)
{
	Elf64_Ehdr eh;
	long n = rd(fd, &eh, sizeof eh, 0);
	const unsigned char *id = eh.e_ident;
	if (n < 4 || (id[0] == '#' && id[1] == '!'))
		return 1;
	if (n != sizeof eh || id[0] != ELFMAG0 || id[1] != ELFMAG1 ||
	    id[2] != ELFMAG2 || id[3] != ELFMAG3)
		return 1;
	if (id[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr))
		return 0;
	uint64_t dyn = 0, ndyn = 0;
	for (unsigned i = 0; i < eh.e_phnum && i < 256; i += 8) {
		Elf64_Phdr ph[8];
		n = rd(fd, ph, sizeof ph, eh.e_phoff + i * sizeof(Elf64_Phdr));
		if (n <= 0)
			return 1;
		for (unsigned j = 0; j < n / sizeof(Elf64_Phdr) &&
				     i + j < eh.e_phnum; j++) {
			if (ph[j].p_type == PT_INTERP)
				return 1;
			if (ph[j].p_type == PT_DYNAMIC) {
				dyn = ph[j].p_offset;
				ndyn = ph[j].p_filesz / sizeof(Elf64_Dyn);
			}
		}
	}
	if (eh.e_type != ET_DYN)
		return 0;
	for (uint64_t i = 0; i < ndyn && i < 512; i += 8) {
		Elf64_Dyn d[8];
		n = rd(fd, d, sizeof d, dyn + i * sizeof(Elf64_Dyn));
		if (n <= 0)
			return 1;
		for (unsigned j = 0; j < n / sizeof(Elf64_Dyn); j++) {
			if (d[j].d_tag == DT_NULL)
				return 0;
			if (d[j].d_tag == DT_SONAME)
				return 1;
		}
	}
	return 0;
}

#endif
