/* Side-file writer: the stack table and the module log of
 * include/sctrace/stack.h.  Shared by every thread of an image.
 *
 * Async-signal-safe and libc-free like ring_write.c: only __atomic builtins
 * and plain loads/stores.  A signal handler may interrupt an intern or an
 * append of its own thread and do one itself: both are lock-free, so the
 * worst outcome is a duplicate stack or a skipped slot. */
#include "stack_write.h"

SCT_SIGSAFE void sct_stk_init(struct sct_stk_hdr *h, uint64_t total,
			      unsigned depth, unsigned nslots, uint64_t image,
			      uint32_t pid, unsigned unwind)
{
	uint64_t slot_size = sizeof(struct sct_stk_slot) + 8ull * depth;
	h->version = SCT_STK_VERSION;
	h->hdr_size = SCT_STK_HDR_SIZE;
	h->pid = pid;
	h->depth = depth;
	h->nslots = nslots;
	h->slot_size = (uint32_t)slot_size;
	h->image = image;
	h->mod_off = SCT_STK_HDR_SIZE + slot_size * nslots;
	h->mod_size = total > h->mod_off ? total - h->mod_off : 0;
	h->unwind = unwind;
	/* magic last: a reader that sees it sees a complete header (pairs
	 * with the reader's acquire load of magic) */
	__atomic_store_n(&h->magic, SCT_STK_MAGIC, __ATOMIC_RELEASE);
}

static inline struct sct_stk_slot *slot_at(struct sct_stk_hdr *h, uint32_t i)
{
	return (struct sct_stk_slot *)((unsigned char *)h + SCT_STK_HDR_SIZE +
				       (uint64_t)h->slot_size * i);
}

static inline int same_frames(const uint64_t *a, const uint64_t *b,
			      unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* The writer's index of the stacks stored: an open-addressing hash set of
 * entries tag << 16 | id, private to the process (the side file holds the
 * slots only).  TAG names the side file (its image and pid): an entry of
 * another file (a fork parent's, another test file's) is foreign, skipped
 * and reused.  Entries are claimed and replaced by CAS; an entry is only a
 * hint, checked against the slot it names. */
#define IDX_SIZE 16384u /* entries (power of two), 2 x the preload's slots */
static uint32_t idx[IDX_SIZE] __attribute__((aligned(4096)));
/* Only the first IDX_FIRST entries (8 KiB, populated) at first: the first
 * store to each new page costs ~5-10 us on some virtual machines, and a
 * short program interns a few hundred stacks; all of them (populated then,
 * the entries so far entered again where the wider index looks) once a
 * file's IDX_FIRST / 2-th stack is stored. */
#define IDX_FIRST 2048u
static uint32_t idx_mask = IDX_FIRST - 1;
static long (*idx_populate)(void *, uint64_t);

static inline uint32_t file_tag(const struct sct_stk_hdr *h)
{
	uint64_t x = (h->image ^ ((uint64_t)h->pid << 32)) *
		     0x9e3779b97f4a7c15ULL;
	return (uint32_t)(x >> 48) | 1u; /* 16 bits, never 0 */
}

SCT_SIGSAFE void sct_stk_index_populate(long (*populate)(void *, uint64_t))
{
	idx_populate = populate;
	populate(idx, IDX_FIRST * sizeof idx[0]);
}

/* A sparse side file (sct_stk_sparse): file offsets below slot_lim and
 * mod_lim are populated, the rest is populated STK_CHUNK bytes at a time
 * by the writer that first needs it (concurrent writers may populate the
 * same pages: harmless), then the limit moves on (a CAS: never back). */
#define STK_CHUNK (16u << 10)
static long (*stk_populate)(void *, uint64_t);
static uint64_t slot_lim, mod_lim;

SCT_SIGSAFE void sct_stk_sparse(const struct sct_stk_hdr *h,
				long (*populate)(void *, uint64_t),
				uint64_t slots, uint64_t log)
{
	stk_populate = populate;
	slot_lim = SCT_STK_HDR_SIZE + slots;
	mod_lim = h->mod_off + log;
}

/* signal-safe: file bytes [0, END) of H writable (*LIM: how far they are),
 * at most up to CAP; -1: no room in the file system */
static SCT_SIGSAFE int room(struct sct_stk_hdr *h, uint64_t *lim,
			    uint64_t end, uint64_t cap)
{
	long (*pop)(void *, uint64_t) = stk_populate;
	uint64_t l = __atomic_load_n(lim, __ATOMIC_RELAXED);
	while (pop && end > l) {
		uint64_t from = l & ~4095ull;
		uint64_t to = (end + STK_CHUNK - 1) & ~(uint64_t)(STK_CHUNK - 1);
		if (to > cap)
			to = cap;
		if (pop((unsigned char *)h + from, to - from) < 0)
			return -1;
		if (__atomic_compare_exchange_n(lim, &l, to, 0,
						__ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			break;
	}
	return 0;
}

/* signal-safe: take the next free slot, store IPS[0..N) in it; its id, 0
 * when the table is full or the file system is (counted) */
static SCT_SIGSAFE uint32_t slot_take(struct sct_stk_hdr *h, uint64_t hash,
				      const uint64_t *ips, unsigned n)
{
	uint64_t i = __atomic_load_n(&h->stacks, __ATOMIC_RELAXED);
	do {
		if (i >= h->nslots || i >= 0xffff) {
			__atomic_fetch_add(&h->stacks_lost, 1, __ATOMIC_RELAXED);
			return 0;
		}
	} while (!__atomic_compare_exchange_n(&h->stacks, &i, i + 1, 1,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	if (room(h, &slot_lim, SCT_STK_HDR_SIZE + h->slot_size * (i + 1),
		 h->mod_off) < 0) {
		/* the slot stays empty: readers skip it */
		__atomic_fetch_add(&h->stacks_lost, 1, __ATOMIC_RELAXED);
		return 0;
	}
	struct sct_stk_slot *s = slot_at(h, (uint32_t)i);
	uint64_t *f = (uint64_t *)(s + 1);
	__atomic_store_n(&s->state, SCT_STK_BUSY, __ATOMIC_RELAXED);
	s->hash = hash;
	s->nframes = (uint16_t)n;
	for (unsigned j = 0; j < n; j++)
		f[j] = ips[j];
	/* publishes the frames (pairs with the acquire load in
	 * sct_stk_intern and with the dumper's) */
	__atomic_store_n(&s->state, SCT_STK_READY, __ATOMIC_RELEASE);
	return SCT_STK_ID(i);
}

/* signal-safe: enter E (of TAG's file) in the index under MASK, at the
 * first empty or foreign entry from FROM on, if any (none: a lost race
 * costs a duplicate later) */
static SCT_SIGSAFE void idx_put(uint32_t mask, uint32_t tag, uint32_t e,
				uint32_t from)
{
	for (uint32_t k = 0; k < SCT_STK_PROBES; k++) {
		uint32_t i = (from + k) & mask;
		uint32_t old = __atomic_load_n(&idx[i], __ATOMIC_RELAXED);
		if (old == e)
			return; /* there already */
		if ((old & 0xffff0000u) == tag && old != 0)
			continue;
		if (__atomic_compare_exchange_n(&idx[i], &old, e, 0,
						__ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return;
	}
}

static inline uint32_t idx_at(uint64_t hash, uint32_t mask)
{
	return (uint32_t)(hash ^ (hash >> 32)) & mask;
}

/* signal-safe: the whole index in use, H's entries so far entered where
 * it now looks for them (another thread's growing meanwhile: a stack it
 * misses is stored again, a duplicate) */
static SCT_SIGSAFE void idx_grow(struct sct_stk_hdr *h, uint32_t tag)
{
	uint32_t small = IDX_FIRST - 1;
	if (!__atomic_compare_exchange_n(&idx_mask, &small, IDX_SIZE - 1, 0,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	if (idx_populate)
		idx_populate(&idx[IDX_FIRST],
			     (IDX_SIZE - IDX_FIRST) * sizeof idx[0]);
	for (uint32_t i = 0; i < IDX_FIRST; i++) {
		uint32_t e = __atomic_load_n(&idx[i], __ATOMIC_RELAXED);
		if ((e & 0xffff0000u) != tag || (e & 0xffffu) == 0 ||
		    (e & 0xffffu) > h->nslots)
			continue;
		const struct sct_stk_slot *s = slot_at(h, SCT_STK_SLOT(e & 0xffffu));
		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != SCT_STK_READY)
			continue;
		idx_put(IDX_SIZE - 1, tag, e, idx_at(s->hash, IDX_SIZE - 1));
	}
}

SCT_SIGSAFE uint32_t sct_stk_intern(struct sct_stk_hdr *h,
				    const uint64_t *ips, unsigned n)
{
	if (n == 0)
		return 0;
	if (n > h->depth)
		n = h->depth;
	const uint64_t hash = sct_stk_hash(ips, n);
	const uint32_t tag = file_tag(h) << 16;
	const uint32_t mask = __atomic_load_n(&idx_mask, __ATOMIC_RELAXED);
	uint32_t at = idx_at(hash, mask);
	uint32_t free_at = IDX_SIZE; /* the first empty or foreign entry */
	for (uint32_t k = 0; k < SCT_STK_PROBES; k++) {
		uint32_t i = (at + k) & mask;
		uint32_t e = __atomic_load_n(&idx[i], __ATOMIC_RELAXED);
		if ((e & 0xffff0000u) != tag || (e & 0xffffu) == 0 ||
		    (e & 0xffffu) > h->nslots) {
			if (free_at == IDX_SIZE)
				free_at = i;
			if (e == 0)
				break; /* the end of this probe run */
			continue;
		}
		const struct sct_stk_slot *s = slot_at(h, SCT_STK_SLOT(e & 0xffffu));
		/* pairs with the release store of READY in slot_take */
		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == SCT_STK_READY &&
		    s->hash == hash && s->nframes == n &&
		    same_frames((const uint64_t *)(s + 1), ips, n))
			return e & 0xffffu;
	}
	uint32_t id = slot_take(h, hash, ips, n);
	/* remember it; a lost race for the entry only costs a duplicate
	 * later */
	if (id && free_at != IDX_SIZE)
		idx_put(mask, tag, tag | id, free_at);
	if (id == IDX_FIRST / 2 && mask == IDX_FIRST - 1)
		idx_grow(h, tag);
	return id;
}

SCT_SIGSAFE int sct_mod_append(struct sct_stk_hdr *h, unsigned op,
			       uint64_t ts, uint64_t start, uint64_t end,
			       uint64_t offset, const char *path)
{
	uint64_t plen = 0;
	if (path)
		while (path[plen] && plen < 4095)
			plen++;
	uint64_t len = (sizeof(struct sct_mod_ent) + plen + 1 + 7) & ~7ull;
	/* reserve: entries are independent, no ordering needed here; the
	 * commit store below orders the entry's bytes */
	uint64_t at = __atomic_fetch_add(&h->mod_head, len, __ATOMIC_RELAXED);
	if (at + len > h->mod_size || at + len < at) {
		/* leave mod_head past the end: later appends fail too, and
		 * the reader stops at mod_size */
		__atomic_fetch_add(&h->modules_lost, 1, __ATOMIC_RELAXED);
		return -1;
	}
	if (room(h, &mod_lim, h->mod_off + at + len,
		 h->mod_off + h->mod_size) < 0) {
		/* never written: its len stays 0, where readers stop */
		__atomic_fetch_add(&h->modules_lost, 1, __ATOMIC_RELAXED);
		return -1;
	}
	struct sct_mod_ent *e =
		(struct sct_mod_ent *)((unsigned char *)h + h->mod_off + at);
	e->op = (uint16_t)op;
	e->ts = ts;
	e->start = start;
	e->end = end;
	e->offset = offset;
	char *d = (char *)(e + 1);
	uint64_t i = 0;
	for (; i < plen; i++)
		d[i] = path[i];
	for (; i < len - sizeof *e; i++)
		d[i] = 0;
	/* len before commit: a reader that sees len can skip the entry */
	__atomic_store_n(&e->len, (uint32_t)len, __ATOMIC_RELEASE);
	/* pairs with the reader's acquire load of commit */
	__atomic_store_n(&e->commit, 1, __ATOMIC_RELEASE);
	return 0;
}
