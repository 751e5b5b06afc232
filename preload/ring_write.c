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
	return w->mask + 1;
}

/* The 8-byte record header at position POS: len in the low half, type in
 * bits 32..47 (little endian struct sct_rec). */
static inline uint64_t rec_word(const struct sct_wring *w, uint64_t pos)
{
	return __atomic_load_n((const uint64_t *)(w->data + (pos & w->mask)),
			       __ATOMIC_RELAXED);
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
make_room(struct sct_wring *w, uint64_t need)
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
	while (t < goal && t < limit) {
		uint64_t word = rec_word(w, t);
		uint64_t len = (uint32_t)word;
		unsigned type = (unsigned)(word >> 32) & 0xffff;
		uint64_t room = size - (t & w->mask);
		if (!sct_rec_word_ok(word, room) || len > head - t) {
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

/* signal-safe.  make_room(), or the record counted lost. */
SCT_SIGSAFE int sct_ring_room(struct sct_wring *w, uint64_t need)
{
	if (make_room(w, need))
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
	    !sct_ring_room(w, end + SCT_END_BYTES - size))
		return 0;
	if (pad) {
		/* the record's own position first (the next lap's start, an
		 * older record's bytes until now), then the PAD that leads a
		 * reader there: len = bytes to the end, type = SCT_REC_PAD */
		__atomic_store_n((uint64_t *)w->data, SCT_WIP_WORD,
				 __ATOMIC_RELAXED);
		/* Release: pairs with the reader's acquire load of the word */
		__atomic_store_n((uint64_t *)(w->data + (head & w->mask)),
				 pad | ((uint64_t)SCT_REC_PAD << 32),
				 __ATOMIC_RELEASE);
		head += pad;
		w->head = head;
		sct_ring_publish(w);
	} else {
		__atomic_store_n((uint64_t *)(w->data + (head & w->mask)),
				 SCT_WIP_WORD, __ATOMIC_RELAXED);
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
 * (SCT_HDR_SIZE header page + data area).
 *
 * Division of labour with the caller (preload/core.c): the caller owns the
 * identity fields (pid, tid, ppid, str_max, trap_mode, mono_start,
 * real_offset, seq, comm, exe) and fills them, before or after this call
 * but before the ring file is published under its final name.  This
 * function sets everything else: version, hdr_size = SCT_HDR_SIZE,
 * data_size = TOTAL - SCT_HDR_SIZE, flags (SCT_RING_OVERWRITE when
 * OVERWRITE), head = tail = consumed = 0, _unused = SCT_NO_WIP, the counters
 * (records, lost, lost_reentrant, overwritten) = 0, state =
 * SCT_STATE_LIVE, exit_status = -1, and magic last (release).
 *
 * The data area's first word becomes the END word (its page must be
 * populated: core.c populates the ring's first pages before); the rest may
 * hold anything.
 *
 * TOTAL - SCT_HDR_SIZE must be a power of two >= 256.  Otherwise the ring is
 * marked unusable: data_size = 0 (readers reject the file) and every
 * reserve counts a lost record. */
SCT_SIGSAFE void sct_ring_init(struct sct_wring *w, void *map, uint64_t total,
			       int overwrite)
{
	struct sct_ring_hdr *h = (struct sct_ring_hdr *)map;
	uint64_t size = total > SCT_HDR_SIZE ? total - SCT_HDR_SIZE : 0;
	if (size < RING_MIN_DATA || (size & (size - 1)))
		size = 0;
	w->hdr = h;
	w->data = size ? (unsigned char *)map + SCT_HDR_SIZE : 0;
	w->mask = size ? size - 1 : 0;
	w->head = 0;
	w->tail = 0;
	w->lim = size;
	w->populate = 0;
	w->overwrite = overwrite != 0;
	w->records = 0;

	h->version = SCT_RING_VERSION;
	h->hdr_size = SCT_HDR_SIZE;
	h->data_size = size;
	h->flags = overwrite ? SCT_RING_OVERWRITE : 0;
	h->head = 0;
	h->tail = 0;
	h->_unused = SCT_NO_WIP;
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
