/* Side-file writer (preload/stack_write.c): stack table and module log of
 * include/sctrace/stack.h.  Signal-safe, libc-free; linked by the preload
 * library and by the unit tests. */
#ifndef SCT_STACK_WRITE_H
#define SCT_STACK_WRITE_H

#include <sctrace/stack.h>

#ifndef SCT_SIGSAFE
#define SCT_SIGSAFE /* signal-safe */
#endif

/* signal-safe: fill the header of a zeroed side file of TOTAL bytes mapped
 * at H. */
SCT_SIGSAFE void sct_stk_init(struct sct_stk_hdr *h, uint64_t total,
			      unsigned depth, unsigned nslots, uint64_t image,
			      uint32_t pid, unsigned unwind);
/* signal-safe: H's file is sparse: every page must be populated through
 * POPULATE (< 0: no room) before its first write.  Its first SLOTS bytes
 * of stack slots and LOG bytes of module log are already.  POPULATE NULL:
 * every page can be written (the default). */
SCT_SIGSAFE void sct_stk_sparse(const struct sct_stk_hdr *h,
				long (*populate)(void *, uint64_t),
				uint64_t slots, uint64_t log);
/* signal-safe: give the writer's private index its memory now, through
 * POPULATE (MADV_POPULATE_WRITE): cheaper than a fault per page. */
SCT_SIGSAFE void sct_stk_index_populate(long (*populate)(void *, uint64_t));
/* signal-safe: the id of the stack IPS[0..N) (innermost first), 0 when the
 * table has no room. */
SCT_SIGSAFE uint32_t sct_stk_intern(struct sct_stk_hdr *h,
				    const uint64_t *ips, unsigned n);
/* signal-safe: append one module log entry; -1 when it does not fit. */
SCT_SIGSAFE int sct_mod_append(struct sct_stk_hdr *h, unsigned op,
			       uint64_t ts, uint64_t start, uint64_t end,
			       uint64_t offset, const char *path);

#endif
