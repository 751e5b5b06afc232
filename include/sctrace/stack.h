/* sctrace per-image side file: caller stacks and the module log (issue 5).
 *
 * One file per process image (a pid, again after each exec), next to its
 * rings: DIR/PID-IMAGE.stk, mode 0600, where IMAGE is the image's id (the
 * CLOCK_MONOTONIC ns at which its tracing started, also in every ring
 * header of that image as sct_ring_hdr.image).  A fork child gets a file of
 * its own that starts with a copy of its parent's module log.
 *
 * Layout: a 4 KiB header page, the stack table (nslots fixed-size slots),
 * the module log (an append-only byte area).
 *
 * Stack table: instruction-pointer arrays shared by every thread of the
 * image, lock-free, id = slot index + 1.  Slots are taken in order: a
 * writer claims the next one by a CAS of `stacks` (slots taken), stores
 * state BUSY, writes the frames, then stores state READY (release; pairs
 * with the reader's acquire load of state).  So a process with few stacks
 * touches few pages.  Finding a stack already stored is the writer's
 * business: preload/stack_write.c keeps a private hash index of ids (not
 * in this file).  A stack that finds no slot gets id 0 (none) and counts
 * in stacks_lost.  Two threads interning one new stack at once may store
 * it twice (two ids, same frames); the dumper does not care.  Readers use
 * READY slots only.
 *
 * Module log: entries appended by any thread: a writer reserves bytes with
 * an atomic fetch-add on mod_head (relaxed; entries are independent),
 * writes the entry with len first, then stores `commit` = 1 (release; pairs
 * with the reader's acquire load of commit).  A reader walks entries from 0
 * to mod_head (acquire): an entry whose len is 0 ends the walk (reserved,
 * not yet written: a writer that died there, or a live one), an entry not
 * committed is skipped by its len.  An entry that would not fit is not
 * written and counts in modules_lost.
 *
 * What the log says: MAP: from ts on, [start, end) maps the file PATH at
 * file offset `offset` with execute permission; UNMAP: from ts on, nothing
 * of [start, end) is mapped (path empty).  The first entries (ts = the
 * image's start) are a snapshot of the executable file mappings when
 * tracing started; later ones come from the mmap/munmap/mremap calls the
 * tracer saw (wrapped or trapped), so dlopen/dlclose show up with their
 * times and a dlclosed library can still be symbolized post-mortem.
 * The vDSO is logged as a MAP of path "[vdso]" with offset 0.
 */
#ifndef SCTRACE_STACK_H
#define SCTRACE_STACK_H

#include <stdint.h>

#define SCT_STK_MAGIC    0x314b54535443534bULL /* "KSCTSTK1" little endian */
#define SCT_STK_VERSION  1
#define SCT_STK_HDR_SIZE 4096u
#define SCT_STK_MAX_DEPTH 64u  /* frames per stack, at most */
#define SCT_STK_PROBES   64u   /* slots probed per lookup */

enum sct_stk_slot_state {
	SCT_STK_EMPTY = 0,
	SCT_STK_BUSY = 1,  /* being written */
	SCT_STK_READY = 2,
};

struct sct_stk_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_size;     /* offset of the stack table */
	uint32_t pid;
	uint32_t depth;        /* frames per slot (SCTRACE_STACK) */
	uint32_t nslots;       /* power of two */
	uint32_t slot_size;    /* sizeof(struct sct_stk_slot) + 8 * depth */
	uint64_t image;        /* image id (see above) */
	uint64_t mod_off;      /* offset of the module log in the file */
	uint64_t mod_size;     /* bytes of the module log */
	uint32_t unwind;       /* enum sct_unwind_mode */
	uint32_t _pad0;
	char     exe[256];     /* program path, as in the ring headers */
	uint64_t _pad1[8];
	/* --- writer-updated (own cache line) --- */
	uint64_t mod_head;     /* bytes of the module log reserved */
	uint64_t stacks;       /* slots taken */
	uint64_t stacks_lost;  /* stacks that found no slot (id 0) */
	uint64_t modules_lost; /* module log entries that did not fit */
	uint64_t _pad2[4];
};

enum sct_unwind_mode {
	SCT_UNWIND_OFF = 0,
	SCT_UNWIND_LIBUNWIND = 1, /* the .eh_frame walk, unw_backtrace where
				     it has no rule */
	SCT_UNWIND_FP = 2,        /* frame-pointer walk, guarded reads */
	SCT_UNWIND_EH = 3,        /* the .eh_frame walk alone (no library) */
};

struct sct_stk_slot {
	uint32_t state;        /* enum sct_stk_slot_state */
	uint16_t nframes;      /* valid ips; frame 0 first (innermost) */
	uint16_t _pad;
	uint64_t hash;
	/* uint64_t ips[hdr.depth] follow */
};

enum sct_mod_op {
	SCT_MOD_MAP = 1,
	SCT_MOD_UNMAP = 2,
};

struct sct_mod_ent {
	uint32_t len;          /* whole entry, multiple of 8; written first */
	uint16_t op;           /* enum sct_mod_op */
	uint16_t commit;       /* 1 once the entry is complete */
	uint64_t ts;           /* CLOCK_MONOTONIC ns */
	uint64_t start, end;   /* [start, end) */
	uint64_t offset;       /* file offset mapped at start */
	/* NUL-terminated path follows, padded to 8 bytes */
};

_Static_assert(sizeof(struct sct_stk_hdr) <= SCT_STK_HDR_SIZE, "header page");
_Static_assert(__builtin_offsetof(struct sct_stk_hdr, mod_head) % 64 == 0,
	       "writer fields on their own cache line");
_Static_assert(sizeof(struct sct_stk_slot) == 16, "slot layout");
_Static_assert(sizeof(struct sct_mod_ent) == 40, "module entry layout");

/* the stack id of slot index I, and back */
#define SCT_STK_ID(i)   ((uint32_t)(i) + 1u)
#define SCT_STK_SLOT(id) ((uint32_t)(id) - 1u)

/* A multiplicative hash over the ips in two interleaved lanes (half the
 * dependency chain of a one-lane hash): writer and dumper agree on it
 * (the dumper does not need it, tests do). */
static inline uint64_t sct_stk_hash(const uint64_t *ips, unsigned n)
{
	uint64_t a = 0x9e3779b97f4a7c15ULL ^ n, b = 0xc2b2ae3d27d4eb4fULL;
	unsigned i = 0;
	for (; i + 1 < n; i += 2) {
		a = (a ^ ips[i]) * 0xff51afd7ed558ccdULL;
		b = (b ^ ips[i + 1]) * 0xc4ceb9fe1a85ec53ULL;
	}
	if (i < n)
		a = (a ^ ips[i]) * 0xff51afd7ed558ccdULL;
	uint64_t h = (a ^ (a >> 29)) + (b ^ (b >> 31)) * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 32;
	return h | 1; /* never 0 */
}

#endif
