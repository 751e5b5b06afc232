/* Side-file reader: the dumper's side of include/sctrace/stack.h.
 *
 * The file is mapped read-only for the size it had at open (a side file
 * does not grow: the writer sizes it once).  Nothing in it is trusted:
 * every slot and module entry is checked against the mapping before it is
 * read, so a truncated or garbage file yields unknown stacks, not a crash.
 * Shared words are read with atomic loads: the writer may be live.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump.h"
#include "sctrace/stack.h"

static const struct sct_stk_hdr *hdr_of(const struct sct_stkfile *f)
{
	return (const struct sct_stk_hdr *)(const void *)f->map;
}

/* The header's layout fields, or a message saying what is wrong. */
static const char *check_hdr(const struct sct_stk_hdr *h)
{
	if (h->magic != SCT_STK_MAGIC)
		return "not an sctrace side file (bad magic)";
	if (h->version != SCT_STK_VERSION)
		return "unsupported side file version";
	if (h->hdr_size != SCT_STK_HDR_SIZE)
		return "corrupt side file (header size)";
	if (h->depth == 0 || h->depth > SCT_STK_MAX_DEPTH)
		return "corrupt side file (stack depth)";
	if (h->nslots == 0 || (h->nslots & (h->nslots - 1)))
		return "corrupt side file (slot count is not a power of two)";
	if (h->slot_size != sizeof(struct sct_stk_slot) + 8ull * h->depth)
		return "corrupt side file (slot size)";
	if (h->mod_off != SCT_STK_HDR_SIZE + (uint64_t)h->slot_size * h->nslots)
		return "corrupt side file (module log offset)";
	if (h->mod_size > ((uint64_t)1 << 40))
		return "corrupt side file (module log size)";
	return NULL;
}

static int map_file(struct sct_stkfile *f, int fd, char *err, size_t errlen)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", f->path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)SCT_STK_HDR_SIZE) {
		snprintf(err, errlen, "%s: not an sctrace side file (%s)",
			 f->path, S_ISREG(st.st_mode) ? "too short" : "not a file");
		return -1;
	}
	f->size = (uint64_t)st.st_size;
	void *m = mmap(NULL, f->size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", f->path, strerror(errno));
		return -1;
	}
	f->map = m;
	return 0;
}

struct sct_stkfile *sct_stkfile_open(const char *path, char *err,
				     size_t errlen)
{
	struct sct_stkfile *f = calloc(1, sizeof *f);
	if (!f || !(f->path = strdup(path))) {
		free(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	err[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		sct_stkfile_close(f);
		return NULL;
	}
	int rc = map_file(f, fd, err, errlen);
	close(fd);
	if (rc < 0) {
		sct_stkfile_close(f);
		return NULL;
	}
	const struct sct_stk_hdr *h = hdr_of(f);
	/* pairs with the writer's release store of magic in sct_stk_init() */
	(void)__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE);
	const char *bad = check_hdr(h);
	if (bad) {
		snprintf(err, errlen, "%s: %s", path, bad);
		sct_stkfile_close(f);
		return NULL;
	}
	f->depth = h->depth;
	f->nslots = h->nslots;
	f->slot_size = h->slot_size;
	f->mod_off = h->mod_off;
	uint64_t want = h->mod_off + h->mod_size;
	f->mod_size = f->size <= h->mod_off ? 0
		      : f->size - h->mod_off < h->mod_size ? f->size - h->mod_off
							   : h->mod_size;
	if (f->size < want)
		snprintf(err, errlen,
			 "%s: truncated (%llu of %llu bytes): some stacks or modules unknown",
			 path, (unsigned long long)f->size,
			 (unsigned long long)want);
	sct_stkfile_mods_update(f);
	return f;
}

static void free_mods(struct sct_stkfile *f)
{
	for (size_t i = 0; i < f->nmods; i++)
		free(f->mods[i].path);
	free(f->mods);
	f->mods = NULL;
	f->nmods = 0;
}

void sct_stkfile_close(struct sct_stkfile *f)
{
	if (!f)
		return;
	if (f->map)
		munmap((void *)f->map, f->size);
	free_mods(f);
	free(f->path);
	free(f);
}

unsigned sct_stkfile_stack(const struct sct_stkfile *f, uint32_t id,
			   uint64_t *ips, unsigned max)
{
	if (!f || id == 0 || id > f->nslots)
		return 0;
	uint64_t off = SCT_STK_HDR_SIZE + (uint64_t)f->slot_size * SCT_STK_SLOT(id);
	if (off + f->slot_size > f->size)
		return 0; /* in the truncated part */
	const struct sct_stk_slot *s =
		(const struct sct_stk_slot *)(const void *)(f->map + off);
	/* pairs with the writer's release store of READY in sct_stk_intern() */
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != SCT_STK_READY)
		return 0;
	unsigned n = s->nframes;
	if (n > f->depth)
		return 0;
	if (n > max)
		n = max;
	const uint64_t *fr = (const uint64_t *)(s + 1);
	for (unsigned i = 0; i < n; i++)
		ips[i] = __atomic_load_n(&fr[i], __ATOMIC_RELAXED);
	return n;
}

static int cmp_mod(const void *a, const void *b)
{
	const struct sct_mod *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Copy the entry at POS of LEN validated bytes; 0 when it is kept. */
static int take_entry(struct sct_stkfile *f, const struct sct_mod_ent *e,
		      uint64_t len, size_t *cap)
{
	const char *path = (const char *)(e + 1);
	size_t room = len - sizeof *e;
	size_t plen = strnlen(path, room);
	if (plen == room)
		return -1; /* no NUL inside the entry */
	if ((e->op != SCT_MOD_MAP && e->op != SCT_MOD_UNMAP) ||
	    e->start >= e->end)
		return 0; /* not ours to use: skip it */
	if (f->nmods == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		f->mods = sct_xrealloc(f->mods, *cap * sizeof *f->mods);
	}
	struct sct_mod *m = &f->mods[f->nmods];
	m->op = e->op;
	m->ts = e->ts;
	m->start = e->start;
	m->end = e->end;
	m->offset = e->offset;
	m->order = f->nmods;
	m->path = sct_xcalloc(1, plen + 1);
	memcpy(m->path, path, plen);
	m->path[plen] = 0;
	f->nmods++;
	return 0;
}

void sct_stkfile_mods_update(struct sct_stkfile *f)
{
	/* pairs with nothing in particular: each entry's commit orders it */
	uint64_t head = __atomic_load_n(&hdr_of(f)->mod_head, __ATOMIC_ACQUIRE);
	if (head == f->mod_seen && !f->mod_partial && f->mods)
		return;
	free_mods(f);
	f->mod_seen = head;
	f->mod_partial = f->mod_corrupt = 0;
	uint64_t limit = head < f->mod_size ? head : f->mod_size;
	size_t cap = 0;
	for (uint64_t pos = 0; pos + sizeof(struct sct_mod_ent) <= limit;) {
		const struct sct_mod_ent *e =
			(const void *)(f->map + f->mod_off + pos);
		/* pairs with the writer's release store of commit */
		unsigned commit = __atomic_load_n(&e->commit, __ATOMIC_ACQUIRE);
		uint64_t len = __atomic_load_n(&e->len, __ATOMIC_ACQUIRE);
		if (len == 0) { /* reserved, not written yet: the end */
			f->mod_partial = 1;
			break;
		}
		if (len % 8 || len < sizeof *e + 8 || len > limit - pos) {
			f->mod_corrupt = 1;
			break;
		}
		if (commit != 1)
			f->mod_partial = 1;
		else if (take_entry(f, e, len, &cap) < 0) {
			f->mod_corrupt = 1;
			break;
		}
		pos += len;
	}
	if (f->nmods)
		qsort(f->mods, f->nmods, sizeof *f->mods, cmp_mod);
}

static int covers(const struct sct_mod *m, uint64_t ip)
{
	return ip >= m->start && ip < m->end;
}

size_t sct_stkfile_epoch(const struct sct_stkfile *f, uint64_t ts)
{
	size_t lo = 0, hi = f->nmods; /* first entry with ts > TS */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->mods[mid].ts <= ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct sct_mod *sct_stkfile_module(const struct sct_stkfile *f,
					 uint64_t ip, size_t epoch)
{
	if (epoch > f->nmods)
		epoch = f->nmods;
	for (size_t i = epoch; i-- > 0;)
		if (covers(&f->mods[i], ip))
			return f->mods[i].op == SCT_MOD_MAP ? &f->mods[i] : NULL;
	/* Nothing yet at that time: a mapping logged a little after the
	 * call that ran its code (the log entry of an mmap is written when
	 * the call returns) is still the best answer. */
	for (size_t i = epoch; i < f->nmods; i++)
		if (covers(&f->mods[i], ip))
			return f->mods[i].op == SCT_MOD_MAP ? &f->mods[i] : NULL;
	return NULL;
}
