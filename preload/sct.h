/* Internal interface of libsctrace.so: what generated wrappers call.
 *
 * Everything here is signal-safe (marked SCT_SIGSAFE): no malloc, no stdio,
 * no locks; the tracer's own syscalls go through sct_raw() only.
 *
 * Wrappers are declared with long parameters and a long result: on x86-64
 * every integer and pointer argument travels in a 64-bit register, so one
 * shape fits every syscall function of libc.  Values are narrowed to their
 * C type (int, mode_t, ...) only when decoded.  This file must not include
 * libc headers that declare the wrapped functions.
 */
#ifndef SCT_H
#define SCT_H

#include <stdint.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <linux/fcntl.h>

#include "sctrace/ring.h"
#include "sctrace/kinds.h"

#define SCT_WRAPPER __attribute__((visibility("default")))
#define SCT_SIGSAFE /* reachable from a wrapper or a signal handler */
/* on the path of every traced call: the linker groups these functions
 * (.text.hot), so that a call touches few code pages */
#define SCT_HOT __attribute__((hot))
/* off the path of a traced call, though called from it (first record of a
 * thread, clock calibration, a ring's slow reservation): the blocks that
 * call these go to .text.unlikely with them, and the hot group stays
 * small */
#define SCT_COLD __attribute__((cold, noinline))
/* read by every traced call: these variables share .data's few pages (the
 * linker puts .data.* input sections in .data, which holds nothing else
 * of size), so that a call touches few data pages: after each system
 * call, a kernel with page-table isolation and no PCID has flushed the
 * TLB, and each page costs a walk */
#define SCT_HOTDATA __attribute__((section(".data.sct_hot")))

typedef long (*sct_real_fn)(long, long, long, long, long, long);

struct sct_call {
	uint64_t ts;       /* CLOCK_MONOTONIC ns at entry */
	uint64_t tsc;      /* time stamp counter at entry, when usable */
	const long *args;
	/* the frame of the function the program called (the wrapper's
	 * __builtin_frame_address(0)): caller stacks start above it; NULL
	 * when the caller cannot tell */
	const void *frame;
	uint16_t fn;
	uint16_t nr;
	uint8_t nargs;
	uint8_t via;       /* enum sct_via */
	uint8_t sel_prev;  /* the trap selector before the wrapper allowed */
};

/* Everything a traced call reads besides its syscall's entry in nrinfo
 * (core.c), in one page (core.c defines it page-aligned and checks that
 * it fits): after each system call, a kernel with page-table isolation and
 * no PCID has flushed the TLB, and each page costs a walk. */
struct sct_hot {
	int enabled;      /* tracing on (constructor done, dir usable) */
	int overwrite;    /* flight recorder mode */
	unsigned str_max; /* capture bound */
	int use_tsc;      /* durations from the invariant TSC */
	int trap_mode;    /* the active enum sct_trap_mode (trap.c) */
	int stacks_on;    /* caller stacks recorded (stack.c): the record
			     path tests it before calling into stack.c */
	/* &sct_self and &errno less the thread pointer, the same in every
	 * thread (static TLS): found once, then no GOT or libc call per call;
	 * 0 until known */
	long self_off, errno_off;
	/* "": the path a wrapper records for fstat and its kin (gen.c puts it
	 * for "" in the table), so that reading it touches no .rodata page */
	char empty[8];
	/* the real libc functions, by enum sct_fn_id: resolved in the
	 * constructor (SCT_FN__COUNT of them) */
	sct_real_fn realv[];
};
extern struct sct_hot sct_hot;

SCT_SIGSAFE SCT_COLD sct_real_fn sct_resolve(unsigned fn);
SCT_SIGSAFE SCT_COLD long sct_fallback(long nr, const long *a);
SCT_SIGSAFE int sct_begin(struct sct_call *c, unsigned fn, unsigned nr,
			  const long *args, int nargs);
SCT_SIGSAFE void sct_entry(struct sct_call *c);
SCT_SIGSAFE long sct_end(struct sct_call *c, long r, int failed);
/* signal-safe: a wrapper that allowed its real call (sct_begin returned
 * 1) but ends without sct_end: put the trap selector back. */
SCT_SIGSAFE void sct_unallow(struct sct_call *c);
/* signal-safe: a wrapper that did not record (sct_begin returned 0) and
 * whose real call returned R: a syscall it left to the trap layer and
 * never made is not adopted by a later trap. */
SCT_SIGSAFE long sct_passed(long r);

/* signal-safe: the real libc function, resolved in the constructor; NULL
 * only while a wrapper runs inside the tracer's own symbol lookup. */
static inline sct_real_fn sct_real(unsigned fn)
{
	sct_real_fn f = sct_hot.realv[fn];
	return __builtin_expect(f != 0, 1) ? f : sct_resolve(fn);
}

/* signal-safe: does open's flags argument make the mode argument valid? */
static inline int sct_wants_mode(long flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

/* --- raw syscalls: the tracer's only way into the kernel (preload/raw.c) */
SCT_SIGSAFE long sct_raw(long nr, long a, long b, long c, long d, long e,
			 long f);
#define sct_raw0(n) sct_raw(n, 0, 0, 0, 0, 0, 0)
#define sct_raw1(n, a) sct_raw(n, (long)(a), 0, 0, 0, 0, 0)
#define sct_raw2(n, a, b) sct_raw(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sct_raw3(n, a, b, c) \
	sct_raw(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sct_raw4(n, a, b, c, d) \
	sct_raw(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define sct_raw5(n, a, b, c, d, e) \
	sct_raw(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define sct_raw6(n, a, b, c, d, e, f)                                     \
	sct_raw(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), \
		(long)(f))

/* --- ring writer (preload/ring_write.c), usable without the constructor */
struct sct_wring {
	struct sct_ring_hdr *hdr;
	/* where records are written now: the data area, or the staging
	 * area while it is used (ring.h); the byte at position p is at
	 * data[p & mask] */
	unsigned char *data;
	uint64_t mask;
	uint64_t size;  /* the data area's size (room is counted in it) */
	uint64_t head;  /* writer's copy of hdr->head */
	uint64_t tail;  /* writer's copy of hdr->tail */
	/* offsets in data below which a record and its END word may end
	 * without the slow path: the data bytes populated (mapped in
	 * advance, see ring_write.c), data size once all is; the end of
	 * the half being filled while staging */
	uint64_t lim;
	long (*populate)(void *addr, uint64_t len); /* < 0: no room */
	int overwrite;
	uint64_t records; /* records committed (hdr->records: published) */
	/* staging (ring.h): the data area, the staging area, the size of
	 * its halves, and stage_pos (SCT_NO_STAGE: writing the data area) */
	unsigned char *area, *stage;
	uint64_t half, stage_pos;
	/* copies LEN bytes to DST (in the data area) from SRC; LEN or a
	 * failure (no room in the file system) */
	long (*flush)(void *dst, const void *src, uint64_t len);
	int stage_unpublished; /* SCT_NO_STAGE not yet in the header */
	/* the staging area's second half has memory (populate: the first
	 * has it from the start, the second when first used) */
	int stage_ready;
};

/* The word a record's position holds while it is written: len 0, type
 * SCT_REC_WIP (ring.h).  The END word is 0. */
#define SCT_WIP_WORD ((uint64_t)SCT_REC_WIP << 32)
/* bytes after each record kept free for the END word */
#define SCT_END_BYTES 8u

/* signal-safe: publish head and records (ring.h: lazily) */
static inline void sct_ring_publish(struct sct_wring *w)
{
	__atomic_store_n(&w->hdr->records, w->records, __ATOMIC_RELAXED);
	/* Release: pairs with a reader's acquire load of head */
	__atomic_store_n(&w->hdr->head, w->head, __ATOMIC_RELEASE);
}

/* signal-safe: room for LEN bytes (multiple of 8); NULL when the record is
 * dropped (counted in hdr->lost).  Pairs with sct_ring_commit(). */
SCT_SIGSAFE SCT_COLD struct sct_rec *sct_ring_reserve(struct sct_wring *w,
						  uint32_t len);
/* signal-safe: publish the reserved record, trimmed to LEN bytes. */
SCT_SIGSAFE void sct_ring_commit(struct sct_wring *w, struct sct_rec *r,
				 uint32_t len);
/* signal-safe: set up W over a mapped ring of TOTAL bytes (header, data,
 * and STAGE bytes of staging area, 0 = none). */
SCT_SIGSAFE void sct_ring_init(struct sct_wring *w, void *map, uint64_t total,
			       uint64_t stage, int overwrite);

/* signal-safe: move tail (record by record) so that a record ending at
 * NEED + data_size fits; 0, and the record counted lost, when drop mode
 * cannot free enough. */
SCT_SIGSAFE int sct_ring_room(struct sct_wring *w, uint64_t need);

/* signal-safe: sct_ring_reserve() of LEN bytes (a multiple of 8, at least
 * sizeof(struct sct_rec)), inline for the common case, a record that does
 * not need a PAD before it and whose END word after it lands in populated
 * pages: the same decisions, the same stores.  (An unusable ring has mask
 * 0: never taken here.)  No store to the header page. */
static inline struct sct_rec *sct_ring_reserve_fast(struct sct_wring *w,
						    uint32_t len)
{
	const uint64_t size = w->size, head = w->head;
	const uint64_t off = head & w->mask;
	if (__builtin_expect(off + len + SCT_END_BYTES > w->lim ||
				     len > size / 2,
			     0))
		return sct_ring_reserve(w, len);
	/* a full ring: overwrite mode always, drop mode once full */
	if (head + len + SCT_END_BYTES - w->tail > size &&
	    !sct_ring_room(w, head + len + SCT_END_BYTES - size))
		return 0;
	struct sct_rec *r = (struct sct_rec *)(w->data + off);
	__atomic_store_n((uint64_t *)r, SCT_WIP_WORD, __ATOMIC_RELAXED);
	return r;
}

/* signal-safe: sct_ring_commit() of R, the pending reservation, inline,
 * for a caller that wrote LEN <= the reserved length (then every bound
 * sct_ring_commit() checks holds already).  Same stores, same order; head
 * and records are published only when the data crosses a page. */
static inline void sct_ring_commit_fast(struct sct_wring *w, struct sct_rec *r,
					uint32_t len)
{
	const uint32_t n = (uint32_t)SCT_ALIGN(len);
	const uint64_t pos = w->head, end = pos + n;
	/* the END word first: a reader that sees len sees it */
	__atomic_store_n((uint64_t *)(w->data + (end & w->mask)), 0,
			 __ATOMIC_RELAXED);
	w->head = end;
	w->records++;
	/* Release: every byte of the record is visible before its len;
	 * pairs with the reader's acquire load of the word. */
	__atomic_store_n(&r->len, n, __ATOMIC_RELEASE);
	if ((pos ^ end) >> 12)
		sct_ring_publish(w);
}

#endif
