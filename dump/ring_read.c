/* Ring reader: the dumper's side of include/sctrace/ring.h.
 *
 * A reader never trusts the ring: every length it reads is checked against
 * the data area and head before it is used, and every record is copied out
 * of the shared mapping before it is returned (the writer may reuse the
 * bytes at any time in overwrite mode).
 *
 * Reading a record at position pos (seqlock-like):
 *   1. load the 8-byte word at pos & mask with acquire (pairs with the
 *      writer's release store of a record's len, or of a PAD), then an
 *      acquire fence and load tail: tail > pos means the writer has started
 *      reusing these bytes (it publishes tail, release + fence, before
 *      overwriting), so the word may be garbage: count an overrun and
 *      resume at tail.
 *   2. len 0: nothing ready (the END word, or a record being written: torn
 *      when the writer is gone).  Otherwise the word is the one the writer
 *      committed, and a word that fails validation is real corruption: the
 *      ring ends there (torn_at = pos).
 *   3. copy the record, acquire fence, load tail again: tail > pos means
 *      the copy may be mixed with newer bytes: discard it, count an
 *      overrun, resume at tail.
 *   4. advance pos; a live reader publishes consumed = pos (release; pairs
 *      with the writer's acquire load of consumed in make_room()), telling a
 *      drop-mode writer it may reuse everything before pos.
 *
 * A ring with a staging area (ring.h) has the positions from stage_pos on
 * there: stage_pos is loaded (acquire) before each word, the bytes are
 * read where it says, and loaded again after them (step 1 and step 3):
 * bytes read from the staging area while stage_pos went past them may be
 * a later lap's, so the reader reads them again, from the data area, where
 * they are now (stage_pos only grows).
 *
 * Shared bytes are read with relaxed 8-byte atomic loads (records and the
 * data area are 8-byte aligned): on x86-64 these are plain moves, and they
 * keep the deliberate race with the writer visible to the compiler and to
 * ThreadSanitizer.
 *
 * r->overrun counts the times this reader was lapped and had to jump ahead
 * to tail, not records: the records it skipped were overwritten by the
 * writer and are already counted in hdr->overwritten.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dump.h"

#define RING_MIN_DATA 256u

static uint64_t load_acq(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* stage_pos (ring.h).  Acquire: pairs with the writer's release store in
 * publish_stage(): the bytes copied to the data area before it are there.
 * The fence keeps the reads of shared bytes before it (a load after them). */
static uint64_t stage_now(const struct sct_rring *r)
{
	if (!r->stage)
		return SCT_NO_STAGE;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&r->hdr->stage_pos, __ATOMIC_ACQUIRE);
}

/* Where position POS is when stage_pos is SP.  (Positions are 8-byte
 * aligned; one that is not, a corrupt tail's, is read aligned down, so
 * that no read crosses the end of the mapping.) */
static const unsigned char *at(const struct sct_rring *r, uint64_t pos,
			       uint64_t sp)
{
	pos &= ~(uint64_t)7;
	return pos >= sp ? r->stage + (pos & (r->stage_size - 1))
			 : r->data + (pos & (r->size - 1));
}

/* Acquire: pairs with the writer's release store of a record's len (or
 * of a PAD): the record's bytes are visible once its len is. */
static uint64_t ring_word(const struct sct_rring *r, uint64_t pos, uint64_t sp)
{
	return __atomic_load_n((const uint64_t *)at(r, pos, sp),
			       __ATOMIC_ACQUIRE);
}

/* Did bytes at POS read while stage_pos was SP come from a staging area
 * the writer may have reused since? */
static int stage_moved(const struct sct_rring *r, uint64_t pos, uint64_t sp)
{
	return pos >= sp && stage_now(r) > pos;
}

/* Load tail after having read shared bytes: the fence keeps those reads
 * before this load; pairs with the writer's release store + release fence
 * in publish_tail() (preload/ring_write.c). */
static uint64_t tail_after_reads(const struct sct_rring *r)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&r->hdr->tail, __ATOMIC_ACQUIRE);
}

static void set_consumed(struct sct_rring *r)
{
	/* Release: our copy of every byte before pos is complete before the
	 * writer can see consumed; pairs with the writer's acquire load of
	 * consumed in make_room(). */
	if (r->live)
		__atomic_store_n(&r->hdr->consumed, r->pos, __ATOMIC_RELEASE);
}

static void *oom(void)
{
	fputs("sctrace: out of memory\n", stderr);
	exit(1);
}

struct sct_rring *sct_rring_open(const char *path, int live, char *err,
				 size_t errlen)
{
	struct sct_ring_hdr h;
	struct stat st;
	int fd = -1;
	void *map = MAP_FAILED;
	uint64_t total = 0;

	if (errlen)
		err[0] = 0;
	if (live) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0 &&
		    (errno == EACCES || errno == EROFS || errno == EPERM))
			live = 0; /* still readable: no consumed updates */
	}
	if (fd < 0)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen,
			 "%s: not an sctrace ring (not a regular file)", path);
		goto fail;
	}
	if ((uint64_t)st.st_size < sizeof h) {
		snprintf(err, errlen,
			 "%s: not an sctrace ring (%lld bytes: too short)",
			 path, (long long)st.st_size);
		goto fail;
	}
	ssize_t got = pread(fd, &h, sizeof h, 0);
	if (got != (ssize_t)sizeof h) {
		snprintf(err, errlen, "%s: %s", path,
			 got < 0 ? strerror(errno) : "short read");
		goto fail;
	}
	if (h.magic != SCT_RING_MAGIC) {
		snprintf(err, errlen, "%s: not an sctrace ring (bad magic)",
			 path);
		goto fail;
	}
	if (h.version < SCT_RING_VERSION_MIN || h.version > SCT_RING_VERSION) {
		snprintf(
			err, errlen,
			"%s: unsupported ring version %u (this sctrace reads versions %u to %u)",
			path, h.version, SCT_RING_VERSION_MIN, SCT_RING_VERSION);
		goto fail;
	}
	if (h.hdr_size != SCT_HDR_SIZE) {
		snprintf(
			err, errlen,
			"%s: corrupt ring header (header size %u, expected %u)",
			path, h.hdr_size, SCT_HDR_SIZE);
		goto fail;
	}
	if (h.data_size < RING_MIN_DATA || (h.data_size & (h.data_size - 1)) ||
	    h.data_size > ((uint64_t)1 << 40)) {
		snprintf(
			err, errlen,
			"%s: corrupt ring header (data size %llu is not a power of two >= %u)",
			path, (unsigned long long)h.data_size, RING_MIN_DATA);
		goto fail;
	}
	if (h.version < 5)
		h.stage_size = 0;
	if (h.stage_size &&
	    (h.stage_size < 512 || (h.stage_size & (h.stage_size - 1)) ||
	     h.stage_size > h.data_size / 2)) {
		snprintf(
			err, errlen,
			"%s: corrupt ring header (staging size %llu is not a power of two in 512..data size / 2)",
			path, (unsigned long long)h.stage_size);
		goto fail;
	}
	total = (uint64_t)h.hdr_size + h.data_size + h.stage_size;
	if ((uint64_t)st.st_size != total) {
		snprintf(
			err, errlen,
			"%s: corrupt ring (file has %llu bytes, header says %llu)",
			path, (unsigned long long)st.st_size,
			(unsigned long long)total);
		goto fail;
	}
	map = mmap(NULL, total, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		goto fail;
	}
	/* live: only the header page becomes writable (for consumed) */
	if (live && mprotect(map, h.hdr_size, PROT_READ | PROT_WRITE) < 0)
		live = 0;
	close(fd);
	fd = -1;

	struct sct_rring *r = calloc(1, sizeof *r);
	if (!r)
		oom();
	r->path = strdup(path);
	if (!r->path)
		oom();
	r->hdr = map;
	r->data = (const unsigned char *)map + h.hdr_size;
	r->size = h.data_size;
	r->stage = h.stage_size ? r->data + h.data_size : NULL;
	r->stage_size = h.stage_size;
	r->torn_at = SCT_NO_WIP;
	r->live = live;
	/* Acquire: pairs with the writer's release store in publish_tail():
	 * start at the oldest intact record. */
	r->pos = load_acq(&r->hdr->tail);
	/* A new live reader claims the ring from where it starts (a previous
	 * live reader may have left consumed further on). */
	set_consumed(r);
	return r;
fail:
	if (map != MAP_FAILED)
		munmap(map, total);
	if (fd >= 0)
		close(fd);
	return NULL;
}

void sct_rring_close(struct sct_rring *r)
{
	if (!r)
		return;
	/* validated at open */
	munmap(r->hdr, (size_t)(SCT_HDR_SIZE + r->size + r->stage_size));
	free(r->copy);
	free(r->path);
	free(r);
}

/* Copy LEN bytes (multiple of 8) at POS (SP: stage_pos) into r->copy
 * (with room for the arguments expand_rec() puts back). */
static void copy_rec(struct sct_rring *r, uint64_t pos, uint64_t len,
		     uint64_t sp)
{
	const uint64_t need = len + 6 * sizeof(uint64_t);
	if (r->copy_cap < need) {
		size_t cap = r->copy_cap ? r->copy_cap : 4096;
		while (cap < need)
			cap *= 2;
		free(r->copy);
		r->copy = malloc(cap);
		if (!r->copy)
			oom();
		r->copy_cap = cap;
	}
	const uint64_t *src = (const uint64_t *)at(r, pos, sp);
	uint64_t *dst = (uint64_t *)(void *)r->copy;
	for (uint64_t i = 0; i < len / 8; i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/* The record copied (LEN bytes) with the trailing arguments the ring did
 * not store put back as 0 (ring.h: argtrim), its blobs after all six;
 * 0 when argtrim does not fit the record (corrupt). */
static int expand_rec(struct sct_rring *r, uint64_t len)
{
	struct sct_rec *rec = (struct sct_rec *)(void *)r->copy;
	if (len < SCT_REC_HEAD || rec->argtrim > 6)
		return 0;
	const uint64_t kept = 6u - rec->argtrim;
	const uint64_t args = SCT_REC_HEAD + 8 * kept;
	if (args > len)
		return 0;
	if (rec->argtrim) {
		unsigned char *p = r->copy;
		memmove(p + sizeof *rec, p + args, len - args);
		memset(p + args, 0, sizeof *rec - args);
		rec->len = (uint32_t)(len + sizeof *rec - args);
		rec->argtrim = 0;
	}
	return 1;
}

/* A word with len 0 and a type: a record being written (ring.h) */
static int word_wip(uint64_t word)
{
	return (uint32_t)word == 0 && word != 0;
}

static unsigned word_type(uint64_t word)
{
	return (unsigned)(word >> 32) & 0xffff;
}

/* Is WORD, whose len is not 0, a well-formed record header at POS, read
 * while stage_pos was SP?  (A corrupt stage_pos can put any position in
 * the staging area: a record read there stays within it.) */
static int word_ok(const struct sct_rring *r, uint64_t pos, uint64_t word,
		   uint64_t sp)
{
	if (pos >= sp &&
	    (uint32_t)word > r->stage_size - (pos & (r->stage_size - 1)))
		return 0;
	return sct_rec_word_ok(word,
			       sct_seg_room(pos, r->size, r->stage_size / 2));
}

const struct sct_rec *sct_rring_next(struct sct_rring *r)
{
	for (;;) {
		const uint64_t pos = r->pos;
		if (r->torn_at != SCT_NO_WIP && pos >= r->torn_at)
			return NULL;
		const uint64_t sp = stage_now(r);
		const uint64_t word = ring_word(r, pos, sp);
		const uint64_t tail = tail_after_reads(r);
		if (tail > pos) { /* lapped: the word may be a newer record's */
			r->overrun++;
			r->pos = tail;
			continue;
		}
		if (stage_moved(r, pos, sp))
			continue; /* in the data area now */
		const uint64_t len = (uint32_t)word;
		if (len == 0) { /* the end, or a record in progress */
			if (r->gone && word_wip(word))
				r->torn_at = pos; /* its writer died */
			return NULL;
		}
		if (!word_ok(r, pos, word, sp)) {
			r->torn_at = pos;
			return NULL;
		}
		if (word_type(word) == SCT_REC_PAD) {
			r->pos = pos + len;
			set_consumed(r);
			continue;
		}
		copy_rec(r, pos, len, sp);
		const uint64_t tail2 = tail_after_reads(r);
		if (tail2 > pos) { /* overwritten while we copied */
			r->overrun++;
			r->pos = tail2;
			continue;
		}
		if (stage_moved(r, pos, sp))
			continue; /* copied out while we read: again, there */
		if (!expand_rec(r, len)) {
			r->torn_at = pos;
			return NULL;
		}
		r->pos = pos + len;
		set_consumed(r);
		return (const struct sct_rec *)(void *)r->copy;
	}
}

uint64_t sct_rring_records(const struct sct_rring *r)
{
	const struct sct_ring_hdr *h = r->hdr;
	uint64_t pos = load_acq(&h->head);
	uint64_t n = __atomic_load_n(&h->records, __ATOMIC_RELAXED);
	/* the records committed after the published head: to the end */
	for (uint64_t k = 0; k < r->size / 8; k++) {
		uint64_t sp = stage_now(r);
		uint64_t word = ring_word(r, pos, sp);
		if (stage_moved(r, pos, sp)) { /* in the data area now */
			sp = SCT_NO_STAGE;
			word = ring_word(r, pos, sp);
		}
		if (tail_after_reads(r) > pos)
			break; /* lapped: the writer published more since */
		if ((uint32_t)word == 0 || !word_ok(r, pos, word, sp))
			break;
		n += word_type(word) != SCT_REC_PAD;
		pos += (uint32_t)word;
	}
	return n;
}

/* Does the thread that writes this ring still exist?  tgkill(pid, tid, 0)
 * is per thread: it also catches a thread that vanished without its exit
 * hook (another thread exec'd or called exit_group).  Signal 0 sends
 * nothing.  EPERM (exists, not ours) counts as alive. */
static int thread_gone(const struct sct_ring_hdr *h)
{
	uint32_t pid = h->pid, tid = h->tid ? h->tid : h->pid;
	if (pid == 0 || pid > INT_MAX || tid > INT_MAX)
		return 0; /* never a group or "every process" */
	return syscall(SYS_tgkill, (int)pid, (int)tid, 0) == -1 &&
	       errno == ESRCH;
}

void sct_rring_refresh(struct sct_rring *r)
{
	const struct sct_ring_hdr *h = r->hdr;
	int gone = thread_gone(h);
	uint32_t state = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
	r->writer_dead = gone || state != SCT_STATE_LIVE;
	/* A torn record needs the writer to be really gone (a thread that set
	 * EXITED may still be writing its last records).  Its stores are then
	 * final: a record in progress where the reader stands (at the end,
	 * once drained; sct_rring_next() finds one it reaches later) was
	 * never committed. */
	r->gone = gone;
	if (gone && r->torn_at == SCT_NO_WIP &&
	    word_wip(ring_word(r, r->pos, stage_now(r))) &&
	    tail_after_reads(r) <= r->pos)
		r->torn_at = r->pos;
}

void sct_ev_init(struct sct_ev *ev, const struct sct_ring_hdr *hdr,
		 const struct sct_rec *rec)
{
	ev->hdr = hdr;
	ev->rec = rec;
	for (int i = 0; i < 7; i++)
		ev->blob[i] = NULL;
	if (rec->len < sizeof *rec)
		return;
	const unsigned char *p = (const unsigned char *)(rec + 1);
	const unsigned char *end = (const unsigned char *)rec + rec->len;
	for (unsigned i = 0; i < rec->nblobs; i++) {
		if ((size_t)(end - p) < sizeof(struct sct_blob))
			break;
		const struct sct_blob *b =
			(const struct sct_blob *)(const void *)p;
		uint64_t step = SCT_ALIGN(sizeof *b + (uint64_t)b->len);
		if (step > (uint64_t)(end - p))
			break; /* overruns the record: stop */
		int slot = b->arg < 6 ? b->arg : b->arg == 0xff ? 6 : -1;
		if (slot >= 0 && !ev->blob[slot])
			ev->blob[slot] = b;
		p += step;
	}
}
