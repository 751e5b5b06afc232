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

SCT_SIGSAFE uint32_t sct_stk_intern(struct sct_stk_hdr *h,
				    const uint64_t *ips, unsigned n)
{
	if (n == 0)
		return 0;
	if (n > h->depth)
		n = h->depth;
	uint64_t hash = sct_stk_hash(ips, n);
	uint32_t mask = h->nslots - 1;
	for (uint32_t k = 0; k < SCT_STK_PROBES && k <= mask; k++) {
		uint32_t i = (uint32_t)(hash + k) & mask;
		struct sct_stk_slot *s = slot_at(h, i);
		uint64_t *f = (uint64_t *)(s + 1);
		/* pairs with the release store of READY below */
		uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		if (st == SCT_STK_READY) {
			if (s->hash == hash && s->nframes == n &&
			    same_frames(f, ips, n))
				return SCT_STK_ID(i);
			continue;
		}
		if (st != SCT_STK_EMPTY)
			continue;
		uint32_t want = SCT_STK_EMPTY;
		if (!__atomic_compare_exchange_n(&s->state, &want, SCT_STK_BUSY,
						 0, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue; /* another thread took it: probe on */
		s->hash = hash;
		s->nframes = (uint16_t)n;
		for (unsigned j = 0; j < n; j++)
			f[j] = ips[j];
		/* publishes the frames (pairs with the acquire load above and
		 * with the dumper's) */
		__atomic_store_n(&s->state, SCT_STK_READY, __ATOMIC_RELEASE);
		__atomic_fetch_add(&h->stacks, 1, __ATOMIC_RELAXED);
		return SCT_STK_ID(i);
	}
	__atomic_fetch_add(&h->stacks_lost, 1, __ATOMIC_RELAXED);
	return 0;
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
