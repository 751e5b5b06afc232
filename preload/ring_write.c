/* Ring writer: the owning thread's side of include/sctrace/ring.h.
 *
 * Async-signal-safe and libc-free: no calls at all, only __atomic builtins
 * and plain loads/stores (no loops that the compiler could turn into
 * memset/memcpy calls).  Single writer per ring: the owning thread; the
 * preload core guarantees no nesting (a signal handler that interrupts a
 * record is counted in lost_reentrant and never reaches this file).
 *
 * Positions: head, tail and consumed are byte counts that only grow; the
 * byte at position p lives at data[p & mask].  Invariants kept here:
 *
 *   tail <= head,  head + 8 - tail <= data_size,
 *   [tail, head) is a sequence of intact records (PADs included), each
 *   8-byte aligned and never crossing the end of the data area, and the
 *   word at head is the END word (0) or, while a record is written there,
 *   SCT_WIP_WORD (include/sctrace/ring.h).
 *
 * A PAD record is just the first 8 bytes of struct sct_rec (len, type=0,
 * nr): it says "skip LEN bytes to the end of the data area".  Since records
 * and the data area are 8-byte multiples, the tail left before the end is
 * always >= 8 when it is not 0, so a PAD header always fits.
 *
 * Space.  A record of LEN bytes starting at head needs PAD bytes first when
 * it does not fit before the end of the data area (PAD = bytes to the end,
 * PAD < LEN), so its end is E = head + PAD + LEN; it fits when
 * E + 8 - tail <= data_size (the END word after it).  When it does not fit, tail must move to at least
 * E - data_size, and only ever over whole records:
 *
 *   drop mode (default): the writer never overwrites a byte in
 *     [consumed, head), i.e. anything a live reader has not consumed yet.
 *     tail is advanced lazily, record by record, only over records that end
 *     at or before min(consumed, head), and only as far as the new record
 *     needs: consumed records stay in the ring as history for a later
 *     `sctrace dump`.  With no live reader consumed stays 0 (<= tail), so a
 *     full ring keeps its oldest records and drops new ones.  A record that
 *     cannot get room is dropped: hdr->lost++, reserve returns NULL, and
 *     nothing is written (no PAD either).
 *
 *   overwrite mode (flight recorder): consumed is ignored for room; tail
 *     advances over the oldest records until the new one fits.  Each non-PAD
 *     record dropped that a live reader had not consumed yet (its position
 *     >= consumed; with no live reader consumed is 0, so every one) counts
 *     in hdr->overwritten.  Records a reader loses while racing the writer
 *     are therefore already in hdr->overwritten.
 *
 *   Either mode: LEN > data_size / 2 is refused (hdr->lost++).  This bound
 *   (PAD < LEN) guarantees that any accepted record fits an empty ring, so
 *   overwrite mode always succeeds and nothing overflows.
 *
 * Populating.  A page's first write costs a page fault; on some virtual
 * machines ~10 us, against ~1 us a page for populating many at once
 * (madvise MADV_POPULATE_WRITE).  The owner may set w->populate and
 * w->lim (data bytes already populated): a reservation that would end past
 * lim first populates the next RING_CHUNK bytes through w->populate (a
 * call through a pointer: this file itself still calls nothing).  The
 * ring file is sparse (core.c): a page gets memory only when populated,
 * so a failure means the file system is full, and the record is dropped
 * (hdr->lost++) where a write would have raised SIGBUS.
 *
 * Staging (ring.h).  While w->stage_pos is not SCT_NO_STAGE, w->data and
 * w->mask are the staging area's, and w->lim the end of the half being
 * filled: the fast path (sct.h) is the same code.  A record that does not
 * fit the rest of the half (with its END word) takes the slow path:
 * staged_reserve() writes the END word at the next half's start, a PAD
 * over the rest of this one, copies the half into the data area through
 * w->flush and publishes stage_pos past it, then starts the record at the
 * next half.  A flush that fails (no room in the file system) leaves the
 * ring ending at that END word and the record counted lost; the next
 * reservation tries the flush again.  When a flush completes the data
 * area's first lap, the writer switches to the data area (switch_direct())
 * and publishes SCT_NO_STAGE only once its next record's WIP word is in
 * place there: until then a reader finds the END word in the staging area.
 * Room (tail, consumed) is counted in the data area's size in both modes;
 * make_room() reads a record at position p where it is (at()).
 *
 * A corrupted ring (the traced program scribbling over its own mapping)
 * cannot make the writer run wild: a record met while advancing tail whose
 * header is not self-consistent resets tail to head (the ring is emptied).
 */
#include "sct.h"

#define RING_MIN_DATA 256u /* smallest usable data area: 2 x struct sct_rec */
#define RING_CHUNK (64u << 10) /* bytes populated at a time */
#define ROOM_AHEAD 4096u /* bytes freed past the need (make_room) */

static inline void bump(uint64_t *p)
{
	/* single writer: a relaxed load+store, no locked RMW; readers only
	 * display these counters */
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

static inline uint64_t ring_size(const struct sct_wring *w)
{
	return w->size;
}

/* Where position POS is: the staging area from stage_pos on. */
static inline unsigned char *at(const struct sct_wring *w, uint64_t pos)
{
	return pos >= w->stage_pos ? w->stage + (pos & (2 * w->half - 1))
				   : w->area + (pos & (w->size - 1));
}

/* Is WORD at position POS well formed against its half (ring.h: the
 * first lap of a ring with staging, sct_seg_room()), when it was not
 * against the data area's end: a PAD that ends a half.  (Only a record's
 * first word is read here: a record checked against the data area's end
 * is safe to skip.) */
static inline int half_pad(const struct sct_wring *w, uint64_t pos,
			   uint64_t word)
{
	return w->half && pos < w->size &&
	       sct_rec_word_ok(word, sct_seg_room(pos, w->size, w->half));
}

/* Publish a new tail.  Release store: pairs with the reader's acquire
 * fence + load of tail in sct_rring_next() after it copied a record (and
 * with its acquire load of tail in sct_rring_open()).  The release fence
 * after it keeps the bytes we are about to overwrite from being written
 * before the new tail is visible: a reader that copied any overwritten byte
 * then sees tail > its position and discards the copy (seqlock). */
static inline void publish_tail(struct sct_wring *w, uint64_t t)
{
	w->tail = t;
	__atomic_store_n(&w->hdr->tail, t, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

/* Move tail to at least NEED (record by record) so that data ending at
 * NEED + data_size fits (a record and the END word after it), and on by
 * up to ROOM_AHEAD more bytes where it may (overwritten or consumed
 * records): a full ring then takes this slow path once per ~20 records,
 * not for every one.  Returns 0 when drop mode cannot free enough.  Inlined into its one caller,
 * sct_ring_room(). */
static inline __attribute__((always_inline)) SCT_SIGSAFE int
make_room(struct sct_wring *w, uint64_t need, const int staged)
{
	struct sct_ring_hdr *h = w->hdr;
	const uint64_t size = ring_size(w);
	const uint64_t head = w->head;
	uint64_t t = w->tail;
	/* Acquire: pairs with the live reader's release store of consumed in
	 * sct_rring_next()/sct_rring_open(): the reader finished copying every
	 * byte before consumed, so we may overwrite them. */
	uint64_t consumed = __atomic_load_n(&h->consumed, __ATOMIC_ACQUIRE);
	uint64_t limit = head;
	uint64_t dropped = 0;

	if (!w->overwrite) {
		limit = consumed < head ? consumed : head;
		if (limit <= t) /* nothing consumed past tail: full */
			return 0;
	}
	/* small rings (tests) free only what they must */
	const uint64_t goal = need + (size >= 16 * ROOM_AHEAD ? ROOM_AHEAD : 0);
	/* each record's first word (len in the low half, type in bits
	 * 32..47: little endian struct sct_rec), where at() says while
	 * STAGED (a constant: the common case, the writer past the staging
	 * area, is this loop as it was before staging) */
	const unsigned char *const area = w->area;
	while (t < goal && t < limit) {
		uint64_t word = __atomic_load_n(
			(const uint64_t *)(staged ? at(w, t)
						  : area + (t & (size - 1))),
			__ATOMIC_RELAXED);
		uint64_t len = (uint32_t)word;
		unsigned type = (unsigned)(word >> 32) & 0xffff;
		uint64_t room = size - (t & (size - 1));
		if ((!sct_rec_word_ok(word, room) &&
		     !__builtin_expect(half_pad(w, t, word), 0)) ||
		    len > head - t) {
			t = head; /* corrupted: forget everything */
			break;
		}
		if (t + len > limit) {
			if (t >= need)
				break; /* enough: the rest is not ours yet */
			return 0; /* drop mode: next record not consumed yet */
		}
		if (type != SCT_REC_PAD && t >= consumed)
			dropped++;
		t += len;
	}
	if (t < need)
		return 0; /* drop mode: not consumed that far yet */
	if (w->overwrite && dropped)
		__atomic_store_n(&h->overwritten,
				 __atomic_load_n(&h->overwritten,
						 __ATOMIC_RELAXED) +
					 dropped,
				 __ATOMIC_RELAXED);
	/* head first: a reader never finds the published head behind tail */
	sct_ring_publish(w);
	publish_tail(w, t);
	return 1;
}

/* signal-safe.  make_room() (two copies: for the writer in the staging
 * area, and past it), or the record counted lost. */
SCT_SIGSAFE int sct_ring_room(struct sct_wring *w, uint64_t need)
{
	if (w->stage_pos == SCT_NO_STAGE ? make_room(w, need, 0)
					 : make_room(w, need, 1))
		return 1;
	bump(&w->hdr->lost);
	return 0;
}

/* signal-safe.  Room for a record of LEN bytes (rounded up to 8, at least
 * SCT_REC_HEAD) at w->head, after a PAD when it would cross the
 * end of the data area, and for the END word after it.  Returns NULL when
 * the record is dropped (counted in hdr->lost).  Stores SCT_WIP_WORD at the
 * record's position: until the matching sct_ring_commit() the record is
 * "in progress", and a reader that finds the writer dead with that word
 * there reports a torn record. */
/* A PAD of PAD bytes at HEAD (len = bytes to the end of the area or
 * half, type = SCT_REC_PAD), once the word where it leads is in place;
 * head moves past it (published).  Returns the new head. */
static SCT_SIGSAFE uint64_t put_pad(struct sct_wring *w, uint64_t head,
				    uint64_t pad)
{
	/* Release: pairs with the reader's acquire load of the word */
	__atomic_store_n((uint64_t *)(w->data + (head & w->mask)),
			 pad | ((uint64_t)SCT_REC_PAD << 32), __ATOMIC_RELEASE);
	w->head = head + pad;
	sct_ring_publish(w);
	return head + pad;
}

/* Publish stage_pos P.  Release: the half copied out before it is in the
 * data area for a reader that sees P (acquire); the release fence keeps
 * the stores that reuse the staging area after it (as publish_tail()). */
static inline void publish_stage(struct sct_wring *w, uint64_t p)
{
	__atomic_store_n(&w->hdr->stage_pos, p, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

/* From now on records go to the data area, whose every page the staged
 * lap gave memory already (no populating); SCT_NO_STAGE is published by
 * sct_ring_reserve() once the next record's WIP word is in place there
 * (lim 0: the next reservation takes the slow path). */
static SCT_SIGSAFE void switch_direct(struct sct_wring *w)
{
	w->stage_pos = SCT_NO_STAGE;
	w->data = w->area;
	w->mask = w->size - 1;
	w->lim = 0;
	w->populate = 0;
	w->stage_unpublished = 1;
}

/* signal-safe: copy the half at stage_pos (full: head is past it) into
 * the data area and publish stage_pos past it; at the end of the data
 * area's first lap, switch to it.  0 when the copy failed (nothing
 * changed). */
static SCT_SIGSAFE int stage_flush(struct sct_wring *w)
{
	const uint64_t from = w->stage_pos, half = w->half;
	if (!w->flush ||
	    w->flush(w->area + (from & (w->size - 1)),
		     w->stage + (from & (2 * half - 1)), half) != (long)half) {
		w->lim = 0; /* every reservation tries again (slow path) */
		return 0;
	}
	const uint64_t to = from + half;
	w->stage_pos = to;
	publish_stage(w, to);
	if ((to & (w->size - 1)) == 0)
		switch_direct(w);
	return 1;
}

/* signal-safe: sct_ring_reserve() of N bytes while staging.  Sets *DIRECT
 * (and returns NULL) when the writer has just switched to the data area:
 * the caller goes on there. */
static SCT_SIGSAFE __attribute__((noinline)) struct sct_rec *
staged_reserve(struct sct_wring *w, uint64_t n, int *direct)
{
	const uint64_t half = w->half;
	uint64_t head = w->head;
	if (n + SCT_END_BYTES > half) {
		bump(&w->hdr->lost);
		return 0;
	}
	/* a full half whose flush failed: again */
	if (head - w->stage_pos >= half) {
		if (!stage_flush(w)) {
			bump(&w->hdr->lost);
			return 0;
		}
		if (w->stage_pos == SCT_NO_STAGE) {
			*direct = 1;
			return 0;
		}
	}
	const uint64_t off = head & (half - 1);
	const uint64_t pad = off + n + SCT_END_BYTES > half ? half - off : 0;
	const uint64_t end = head + pad + n;
	if (end + SCT_END_BYTES - w->tail > w->size &&
	    !sct_ring_room(w, end + SCT_END_BYTES - w->size))
		return 0;
	if (pad) {
		/* the second half gets memory when first needed (core.c
		 * populates the first): an idle thread's ring stays small */
		if (!w->stage_ready && (head & w->mask) < half) {
			if (w->populate &&
			    w->populate(w->stage + half, half) < 0) {
				bump(&w->hdr->lost); /* no room */
				return 0;
			}
			w->stage_ready = 1;
		}
		/* the next half's first word (flushed a lap ago): the END
		 * word, then the PAD that leads a reader there */
		__atomic_store_n((uint64_t *)(w->data + ((head + pad) & w->mask)),
				 0, __ATOMIC_RELAXED);
		head = put_pad(w, head, pad);
		if (!stage_flush(w)) {
			bump(&w->hdr->lost);
			return 0;
		}
		if (w->stage_pos == SCT_NO_STAGE) {
			*direct = 1;
			return 0;
		}
	}
	w->lim = (head & w->mask & ~(half - 1)) + half;
	struct sct_rec *r = (struct sct_rec *)(w->data + (head & w->mask));
	__atomic_store_n((uint64_t *)r, SCT_WIP_WORD, __ATOMIC_RELAXED);
	return r;
}

SCT_SIGSAFE struct sct_rec *sct_ring_reserve(struct sct_wring *w, uint32_t len)
{
	struct sct_ring_hdr *h = w->hdr;
	if (!w->data) {
		if (h)
			bump(&h->lost);
		return 0;
	}
	const uint64_t size = ring_size(w);
	uint64_t n = SCT_ALIGN((uint64_t)len);
	if (n < SCT_REC_HEAD)
		n = SCT_REC_HEAD;
	if (n > size / 2) {
		bump(&h->lost);
		return 0;
	}
	if (w->stage_pos != SCT_NO_STAGE) {
		int direct = 0;
		struct sct_rec *r = staged_reserve(w, n, &direct);
		if (!direct)
			return r;
	}
	uint64_t head = w->head;
	uint64_t to_end = size - (head & w->mask);
	uint64_t pad = to_end < n ? to_end : 0;
	uint64_t end = head + pad + n;
	/* populate up to where the END word after the record ends (a padded
	 * record starts at 0; an END word past the area's end is at 0) */
	uint64_t need = pad ? n + SCT_END_BYTES
			    : (head & w->mask) + n + SCT_END_BYTES;
	if (need > size)
		need = size;
	for (; w->lim < need && w->lim < size; w->lim += RING_CHUNK)
		if (w->populate &&
		    w->populate(w->data + w->lim,
				size - w->lim < RING_CHUNK ? size - w->lim
							   : RING_CHUNK) < 0) {
			bump(&h->lost); /* no room in the file system */
			return 0;
		}
	if (w->lim > size)
		w->lim = size;
	if (end + SCT_END_BYTES - w->tail > size &&
	    !sct_ring_room(w, end + SCT_END_BYTES - size)) {
		/* the lap's first record, after staging, comes back here
		 * until it is written (and SCT_NO_STAGE published) */
		if (w->stage_unpublished)
			w->lim = 0;
		return 0;
	}
	if (pad) {
		/* the record's own position first (the next lap's start, an
		 * older record's bytes until now), then the PAD that leads a
		 * reader there: len = bytes to the end, type = SCT_REC_PAD */
		__atomic_store_n((uint64_t *)w->data, SCT_WIP_WORD,
				 __ATOMIC_RELAXED);
		head = put_pad(w, head, pad);
	} else {
		__atomic_store_n((uint64_t *)(w->data + (head & w->mask)),
				 SCT_WIP_WORD, __ATOMIC_RELAXED);
	}
	if (__builtin_expect(w->stage_unpublished, 0)) {
		/* the first record of the second lap: its WIP word is in
		 * place, where readers go once they see no staging */
		w->stage_unpublished = 0;
		publish_stage(w, SCT_NO_STAGE);
	}
	return (struct sct_rec *)(w->data + (head & w->mask));
}

/* signal-safe.  Publish the record R returned by the last
 * sct_ring_reserve(), trimmed to LEN bytes (LEN <= the reserved length;
 * rounded up to 8).  Sets R->len itself: the caller fills every other field
 * but the first word's len.  Publishes head and records in the header too
 * (this is the path of event records).  A pointer that is not the pending
 * reservation is ignored. */
SCT_SIGSAFE void sct_ring_commit(struct sct_wring *w, struct sct_rec *r,
				 uint32_t len)
{
	if (!w->data || (unsigned char *)r != w->data + (w->head & w->mask))
		return;
	const uint64_t size = ring_size(w);
	const uint64_t pos = w->head;
	uint64_t n = SCT_ALIGN((uint64_t)len);
	/* Keep the ring well formed even if the caller overstates LEN: never
	 * past the end of the data area, never over tail (the END word
	 * included).  reserve() made sure SCT_REC_HEAD fits within
	 * both bounds. */
	if (n < SCT_REC_HEAD)
		n = SCT_REC_HEAD;
	if (n > size - (pos & w->mask))
		n = size - (pos & w->mask);
	/* staging: nor past the half, the END word included */
	if (w->stage_pos != SCT_NO_STAGE &&
	    n + SCT_END_BYTES > w->lim - (pos & w->mask))
		n = w->lim - (pos & w->mask) - SCT_END_BYTES;
	if (pos + n + SCT_END_BYTES - w->tail > size)
		n = w->tail + size - SCT_END_BYTES - pos;
	/* the END word first: a reader that sees len sees it */
	__atomic_store_n((uint64_t *)(w->data + ((pos + n) & w->mask)), 0,
			 __ATOMIC_RELAXED);
	w->head = pos + n;
	w->records++;
	/* Release: every byte of the record (the caller's plain stores) is
	 * visible before its len; pairs with the reader's acquire load of
	 * the word in sct_rring_next(). */
	__atomic_store_n(&r->len, (uint32_t)n, __ATOMIC_RELEASE);
	sct_ring_publish(w);
}

/* signal-safe.  Set up W over the ring mapped at MAP, TOTAL bytes long
 * (SCT_HDR_SIZE header page + data area + STAGE bytes of staging area,
 * 0 = none).
 *
 * Division of labour with the caller (preload/core.c): the caller owns the
 * identity fields (pid, tid, ppid, str_max, trap_mode, mono_start,
 * real_offset, seq, comm, exe) and fills them, before or after this call
 * but before the ring file is published under its final name, and sets
 * w->populate (and lim) or w->flush.  This function sets everything else:
 * version, hdr_size = SCT_HDR_SIZE, data_size = TOTAL - SCT_HDR_SIZE -
 * STAGE, stage_size, flags (SCT_RING_OVERWRITE when OVERWRITE), head = tail
 * = consumed = 0, stage_pos (0 when staging, else SCT_NO_STAGE), the
 * counters (records, lost, lost_reentrant, overwritten) = 0, state =
 * SCT_STATE_LIVE, exit_status = -1, and magic last (release).
 *
 * The first word records go to (the staging area's, else the data
 * area's) becomes the END word (its page must be populated: core.c
 * populates it before); the rest may hold anything.
 *
 * The data area's size must be a power of two >= 256, and STAGE 0 or a
 * power of two >= 512 and <= the data area's half.  Otherwise the ring is
 * marked unusable: data_size = 0 (readers reject the file) and every
 * reserve counts a lost record. */
SCT_SIGSAFE void sct_ring_init(struct sct_wring *w, void *map, uint64_t total,
			       uint64_t stage, int overwrite)
{
	struct sct_ring_hdr *h = (struct sct_ring_hdr *)map;
	uint64_t size = total > SCT_HDR_SIZE + stage
				? total - SCT_HDR_SIZE - stage
				: 0;
	if (size < RING_MIN_DATA || (size & (size - 1)) ||
	    (stage && (stage < 2 * RING_MIN_DATA || (stage & (stage - 1)) ||
		       stage > size / 2)))
		size = 0;
	if (!size)
		stage = 0;
	w->hdr = h;
	w->area = size ? (unsigned char *)map + SCT_HDR_SIZE : 0;
	w->stage = stage ? w->area + size : 0;
	w->half = stage / 2;
	w->stage_pos = stage ? 0 : SCT_NO_STAGE;
	w->stage_unpublished = 0;
	w->stage_ready = 0;
	w->flush = 0;
	w->size = size;
	w->data = stage ? w->stage : w->area;
	w->mask = stage ? stage - 1 : size ? size - 1 : 0;
	w->head = 0;
	w->tail = 0;
	w->lim = stage ? w->half : size;
	w->populate = 0;
	w->overwrite = overwrite != 0;
	w->records = 0;

	h->version = SCT_RING_VERSION;
	h->hdr_size = SCT_HDR_SIZE;
	h->data_size = size;
	h->stage_size = stage;
	h->flags = overwrite ? SCT_RING_OVERWRITE : 0;
	h->head = 0;
	h->tail = 0;
	h->stage_pos = w->stage_pos;
	h->records = 0;
	h->lost = 0;
	h->lost_reentrant = 0;
	h->overwritten = 0;
	h->state = SCT_STATE_LIVE;
	h->exit_status = -1;
	h->consumed = 0;
	if (size)
		__atomic_store_n((uint64_t *)w->data, 0, __ATOMIC_RELAXED);
	/* Release: a reader that sees the magic (its header validation) sees
	 * the fields above. */
	__atomic_store_n(&h->magic, SCT_RING_MAGIC, __ATOMIC_RELEASE);
}
