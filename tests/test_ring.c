/* Unit tests of the ring writer (preload/ring_write.c) and reader
 * (dump/ring_read.c), without the preload constructor: each test maps a
 * ring file of its own in a temporary directory, sets it up with
 * sct_ring_init() as preload/core.c does, and reads it with sct_rring_*().
 *
 * sct.h pulls in <linux/fcntl.h>, which clashes with <fcntl.h>: files are
 * created with fopen() instead of open().
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sct.h"
#include "dump.h"
#include "tap.h"

#define REC sizeof(struct sct_rec) /* 104 */

static char tmpdir[256];
static int nfiles;

static void store64(void *p, uint64_t v)
{
	__atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED);
}

/* ---- a ring file mapped by the "writer" ----------------------------------*/
struct tring {
	char path[300];
	void *map;
	uint64_t total;
	struct sct_wring w;
};

/* A new empty file, opened read-write; returns its descriptor. */
static int create(const char *path, FILE **fp)
{
	*fp = fopen(path, "w+e");
	if (!*fp)
		bail_out("%s: %s", path, strerror(errno));
	return fileno(*fp);
}

/* the staging area's flush (ring.h) for the tests: a copy, with relaxed
 * stores (the reader races it on purpose); fails while flush_fail is set,
 * having copied half, as a full file system would */
static int flush_fail;
static long tflush(void *dst, const void *src, uint64_t len)
{
	uint64_t n = __atomic_load_n(&flush_fail, __ATOMIC_RELAXED) ? len / 2
								     : len;
	for (uint64_t i = 0; i < n / 8; i++)
		store64((uint64_t *)dst + i, ((const uint64_t *)src)[i]);
	return (long)n;
}

/* A ring of DATA_SIZE data bytes and STAGE bytes of staging area (0 =
 * none), as core.c makes one. */
static void tring_new2(struct tring *t, uint64_t data_size, uint64_t stage,
		       int overwrite)
{
	FILE *fp;
	snprintf(t->path, sizeof t->path, "%s/%d-%d-%d.ring", tmpdir, getpid(),
		 getpid(), nfiles++);
	t->total = SCT_HDR_SIZE + data_size + stage;
	int fd = create(t->path, &fp);
	if (ftruncate(fd, (off_t)t->total) < 0)
		bail_out("%s: %s", t->path, strerror(errno));
	t->map =
		mmap(NULL, t->total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	fclose(fp);
	if (t->map == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	/* garbage in the data area: nothing may rely on zeroed memory */
	memset((char *)t->map + SCT_HDR_SIZE, 0xa5, data_size + stage);
	sct_ring_init(&t->w, t->map, t->total, stage, overwrite);
	t->w.flush = tflush;
	struct sct_ring_hdr *h = t->w.hdr;
	h->pid = (uint32_t)getpid();
	h->tid = (uint32_t)getpid();
	h->seq = (uint64_t)nfiles;
	strcpy(h->comm, "test_ring");
}

static void tring_new(struct tring *t, uint64_t data_size, int overwrite)
{
	tring_new2(t, data_size, 0, overwrite);
}

static void tring_free(struct tring *t)
{
	munmap(t->map, t->total);
	unlink(t->path);
}

static struct sct_rring *ropen(struct tring *t, int live)
{
	char err[512];
	struct sct_rring *r = sct_rring_open(t->path, live, err, sizeof err);
	if (!r)
		bail_out("sct_rring_open: %s", err);
	return r;
}

/* ---- numbered records with a checkable payload --------------------------
 * args[0] = sequence number, args[1] = record length, args[2] = checksum of
 * the payload; payload word i = mix(seq, i).  Written with relaxed atomic
 * stores so the 2-thread test is clean under ThreadSanitizer (the race with
 * the reader is deliberate and handled by the tail re-check). */
static uint64_t mix(uint64_t seq, uint64_t i)
{
	uint64_t x = seq * 0x9e3779b97f4a7c15ULL + i * 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 31;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 29);
}

static uint32_t len_for(uint64_t seq, unsigned spread)
{
	return (uint32_t)(REC + 8 * (spread ? mix(seq, 999) % spread : 0));
}

/* Reserve and commit record SEQ of LEN bytes (through the inline fast
 * path when FAST, as the preload's calls do); 0 when dropped. */
static int put2(struct sct_wring *w, uint64_t seq, uint32_t len, int fast)
{
	struct sct_rec *r = fast ? sct_ring_reserve_fast(w, len)
				 : sct_ring_reserve(w, len);
	if (!r)
		return 0;
	struct sct_rec f;
	memset(&f, 0, sizeof f);
	f.type = SCT_REC_SYSCALL;
	f.nr = (uint16_t)(seq % 400);
	f.nargs = 3;
	f.tid = 42;
	f.ts = seq;
	f.args[0] = seq;
	f.args[1] = len;
	uint64_t sum = 0;
	uint64_t *pay = (uint64_t *)(void *)(r + 1);
	for (uint64_t i = 0; i < (len - REC) / 8; i++) {
		uint64_t v = mix(seq, i);
		store64(&pay[i], v);
		sum += v;
	}
	f.args[2] = sum;
	const uint64_t *src = (const uint64_t *)(const void *)&f;
	uint64_t *dst = (uint64_t *)(void *)r;
	for (size_t i = 0; i < REC / 8; i++)
		store64(&dst[i], src[i]);
	if (fast)
		sct_ring_commit_fast(w, r, len);
	else
		sct_ring_commit(w, r, len);
	return 1;
}

static int put(struct sct_wring *w, uint64_t seq, uint32_t len)
{
	return put2(w, seq, len, 0);
}

/* 1 when REC is a consistent numbered record. */
static int check(const struct sct_rec *r)
{
	if (r->type != SCT_REC_SYSCALL || r->len != r->args[1] ||
	    r->len < REC || r->ts != r->args[0] || r->tid != 42)
		return 0;
	const uint64_t *pay = (const uint64_t *)(const void *)(r + 1);
	uint64_t sum = 0;
	for (uint64_t i = 0; i < (r->len - REC) / 8; i++) {
		if (pay[i] != mix(r->args[0], i))
			return 0;
		sum += pay[i];
	}
	return sum == r->args[2];
}

/* Read every ready record; check they are SEQ first, first+1, ...; returns
 * the count, -1 on a bad record, -2 on a gap. */
static long drain(struct sct_rring *r, uint64_t first, uint64_t *last)
{
	long n = 0;
	const struct sct_rec *rec;
	while ((rec = sct_rring_next(r))) {
		if (!check(rec))
			return -1;
		if (rec->args[0] != first + (uint64_t)n)
			return -2;
		if (last)
			*last = rec->args[0];
		n++;
	}
	return n;
}

/* ---- tests ---------------------------------------------------------------*/
static void test_init(void)
{
	struct tring t;
	tring_new(&t, 4096, 1);
	struct sct_ring_hdr *h = t.w.hdr;
	ok(h->magic == SCT_RING_MAGIC && h->version == SCT_RING_VERSION,
	   "init: magic and version");
	is_int(h->hdr_size, SCT_HDR_SIZE, "init: hdr_size");
	is_int((intmax_t)h->data_size, 4096, "init: data_size");
	is_int(h->flags, SCT_RING_OVERWRITE, "init: overwrite flag");
	ok(h->head == 0 && h->tail == 0 && h->consumed == 0 &&
		   h->stage_pos == SCT_NO_STAGE,
	   "init: positions");
	ok(h->state == SCT_STATE_LIVE && h->exit_status == -1,
	   "init: state live, exit_status -1");
	tring_free(&t);

	/* not a power of two: unusable, every record lost */
	static uint64_t buf[(SCT_HDR_SIZE + 3000) / 8];
	struct sct_wring w;
	sct_ring_init(&w, buf, SCT_HDR_SIZE + 3000, 0, 0);
	struct sct_ring_hdr *bh = (struct sct_ring_hdr *)buf;
	ok(bh->data_size == 0 && sct_ring_reserve(&w, REC) == NULL &&
		   bh->lost == 1,
	   "init: bad size -> data_size 0, reserve refused and counted");
}

static void test_roundtrip(void)
{
	struct tring t;
	tring_new(&t, 8192, 0);
	struct sct_wring *w = &t.w;

	/* a syscall record: blob for arg 1 ("hello"), a record-level blob,
	 * then an out-of-range arg (ignored) */
	struct sct_rec *r = sct_ring_reserve(w, 512);
	ok(r != NULL && (unsigned char *)r == w->data, "reserve at offset 0");
	ok(*(uint64_t *)r == SCT_WIP_WORD, "reserved: its word says in progress");
	memset(r, 0, REC);
	r->type = SCT_REC_SYSCALL;
	r->nr = 2;
	r->nargs = 3;
	r->ret = 3;
	r->args[0] = 0x1000;
	r->args[1] = 0x241;
	unsigned char *p = (unsigned char *)(r + 1);
	struct sct_blob *b = (struct sct_blob *)p;
	*b = (struct sct_blob){ .arg = 1, .flags = 0, .len = 6 };
	memcpy(b + 1, "hello", 6);
	p += SCT_ALIGN(sizeof *b + 6);
	b = (struct sct_blob *)p;
	*b = (struct sct_blob){ .arg = 0xff, .flags = SCT_BF_TRUNC, .len = 16 };
	memcpy(b + 1, "argv0\0argv1\0xyz", 16);
	p += SCT_ALIGN(sizeof *b + 16);
	b = (struct sct_blob *)p;
	*b = (struct sct_blob){ .arg = 9, .len = 3 };
	memcpy(b + 1, "bad", 3);
	p += SCT_ALIGN(sizeof *b + 3);
	r->nblobs = 3;
	uint32_t used = (uint32_t)(p - (unsigned char *)r);
	sct_ring_commit(w, r, used);
	ok(*(uint64_t *)(w->data + used) == 0, "commit: the END word after it");
	is_int((intmax_t)w->hdr->head, used, "head = committed length");
	is_int((intmax_t)w->hdr->records, 1, "records counted");
	ok(put(w, 7, 200), "second record");

	struct sct_rring *rr = ropen(&t, 0);
	const struct sct_rec *got = sct_rring_next(rr);
	ok(got && got->len == used && got->nr == 2 && got->ret == 3 &&
		   got->args[1] == 0x241,
	   "read back the fixed part");
	ok(got && (const void *)got != (const void *)rr->data,
	   "record is a copy, not the shared bytes");
	struct sct_ev ev;
	sct_ev_init(&ev, rr->hdr, got);
	ok(ev.blob[1] && ev.blob[1]->len == 6 &&
		   memcmp(sct_blob_data(ev.blob[1]), "hello", 6) == 0,
	   "blob for argument 1");
	ok(ev.blob[6] && ev.blob[6]->flags == SCT_BF_TRUNC &&
		   memcmp(sct_blob_data(ev.blob[6]), "argv0\0argv1\0xyz", 16) ==
			   0,
	   "record-level blob (0xff) in blob[6]");
	ok(!ev.blob[0] && !ev.blob[2] && !ev.blob[5],
	   "no blob for other arguments; arg 9 ignored");
	got = sct_rring_next(rr);
	ok(got && check(got) && got->args[0] == 7, "second record intact");
	ok(sct_rring_next(rr) == NULL, "then nothing");
	ok(put(w, 8, 104), "written after the reader caught up");
	got = sct_rring_next(rr);
	ok(got && got->args[0] == 8, "reader sees the new record");
	ok(rr->torn_at == SCT_NO_WIP && rr->overrun == 0,
	   "no torn, no overrun");
	sct_rring_close(rr);

	/* sct_ev_init bounds: a blob overrunning the record stops the walk */
	struct {
		struct sct_rec r;
		struct sct_blob b0;
		uint64_t d0;
		struct sct_blob b1;
		uint64_t d1;
	} x;
	memset(&x, 0, sizeof x);
	x.r.len = sizeof x;
	x.r.nblobs = 5; /* more than there are */
	x.b0 = (struct sct_blob){ .arg = 0, .len = 8 };
	x.b1 = (struct sct_blob){ .arg = 2, .len = 9 }; /* 9 > 8 left */
	sct_ev_init(&ev, NULL, &x.r);
	ok(ev.blob[0] == &x.b0 && ev.blob[2] == NULL,
	   "ev_init: overrunning blob dropped, earlier kept");
	x.b1.len = 8;
	sct_ev_init(&ev, NULL, &x.r);
	ok(ev.blob[2] == &x.b1, "ev_init: exact fit accepted");
	x.r.len = sizeof x - 8; /* rec->len bounds, not the buffer */
	sct_ev_init(&ev, NULL, &x.r);
	ok(ev.blob[0] == &x.b0 && ev.blob[2] == NULL,
	   "ev_init: bounded by rec->len");
	x.b0.len = 0xffffffffu;
	x.r.len = sizeof x;
	sct_ev_init(&ev, NULL, &x.r);
	ok(ev.blob[0] == NULL && ev.blob[2] == NULL,
	   "ev_init: huge blob length does not overflow");
	tring_free(&t);
}

/* Write a record whose last TRIM arguments are not stored (ring.h):
 * args 1..6-TRIM, then one blob "abc" for argument 0; LEN forced when not 0. */
static uint32_t put_trimmed(struct sct_wring *w, unsigned trim, uint32_t len)
{
	struct sct_rec *r = sct_ring_reserve(w, 256);
	if (!r)
		return 0;
	memset((char *)r + 8, 0, SCT_REC_HEAD - 8);
	r->type = SCT_REC_SYSCALL;
	r->nr = 7;
	r->nargs = 6;
	r->argtrim = (uint8_t)trim;
	r->ret = 99;
	unsigned char *p = (unsigned char *)r + SCT_REC_HEAD;
	for (unsigned i = 0; i + trim < 6; i++, p += 8)
		*(uint64_t *)(void *)p = i + 1;
	struct sct_blob *b = (struct sct_blob *)(void *)p;
	*b = (struct sct_blob){ .arg = 0, .len = 4 };
	memcpy(b + 1, "abc", 4);
	p += SCT_ALIGN(sizeof *b + 4);
	r->nblobs = 1;
	uint32_t used = len ? len : (uint32_t)(p - (unsigned char *)r);
	sct_ring_commit(w, r, used);
	return used;
}

/* Records keep only their arguments up to the last that is not 0; the
 * reader puts the others back as 0, its blobs after all six. */
static void test_argtrim(void)
{
	struct tring t;
	tring_new(&t, 8192, 0);
	struct sct_wring *w = &t.w;
	uint32_t lens[7];
	for (unsigned trim = 0; trim <= 6; trim++)
		lens[trim] = put_trimmed(w, trim, 0);
	ok(lens[6] == SCT_REC_HEAD + 16 && lens[0] == sizeof(struct sct_rec) + 16,
	   "argtrim: 6 args trimmed save 48 bytes (%u, %u)", lens[6], lens[0]);
	struct sct_rring *rr = ropen(&t, 0);
	unsigned good = 0;
	for (unsigned trim = 0; trim <= 6; trim++) {
		const struct sct_rec *got = sct_rring_next(rr);
		if (!got)
			break;
		struct sct_ev ev;
		sct_ev_init(&ev, rr->hdr, got);
		int args_ok = 1;
		for (unsigned i = 0; i < 6; i++)
			if (got->args[i] != (i + trim < 6 ? i + 1 : 0))
				args_ok = 0;
		if (args_ok && got->argtrim == 0 && got->nr == 7 &&
		    got->ret == 99 && got->len == sizeof(struct sct_rec) + 16 &&
		    ev.blob[0] && memcmp(sct_blob_data(ev.blob[0]), "abc", 4) == 0)
			good++;
		else
			diag("argtrim %u: len %u args %d", trim, got->len, args_ok);
	}
	is_int(good, 7, "argtrim 0..6: all six arguments, blob after them");
	ok(sct_rring_next(rr) == NULL && rr->torn_at == SCT_NO_WIP,
	   "argtrim: then nothing, nothing torn");
	sct_rring_close(rr);
	tring_free(&t);

	/* argtrim past 6, or arguments past the record's end: corrupt */
	for (int k = 0; k < 2; k++) {
		tring_new(&t, 8192, 0);
		put_trimmed(&t.w, 6, 0);
		if (k == 0)
			put_trimmed(&t.w, 7, 0);
		else
			put_trimmed(&t.w, 0, SCT_REC_HEAD + 8); /* 6 args in 64 bytes */
		put_trimmed(&t.w, 6, 0);
		rr = ropen(&t, 0);
		const struct sct_rec *got = sct_rring_next(rr);
		ok(got && got->len == sizeof(struct sct_rec) + 16 &&
			   sct_rring_next(rr) == NULL && rr->torn_at != SCT_NO_WIP,
		   "argtrim: %s: the record before it read, then torn",
		   k ? "arguments past the end" : "argtrim 7");
		sct_rring_close(rr);
		tring_free(&t);
	}
}

static void test_pad(void)
{
	struct tring t;
	tring_new(&t, 4096, 0);
	struct sct_wring *w = &t.w;
	struct sct_rring *rr = ropen(&t, 1);
	/* 3896 = 4096 - 200: fill with records up to there */
	uint64_t seq = 0;
	while (w->head < 3896 - 400)
		put(w, seq++, 400);
	put(w, seq++, (uint32_t)(3896 - w->head));
	is_int((intmax_t)w->head, 3896, "head 200 bytes before the end");
	is_int(drain(rr, 0, NULL), (long)seq, "live reader consumed all");
	struct sct_rec *r = sct_ring_reserve(w, 304);
	ok((unsigned char *)r == w->data,
	   "record that does not fit starts at 0");
	uint32_t padlen;
	uint16_t padtype;
	memcpy(&padlen, w->data + 3896, 4);
	memcpy(&padtype, w->data + 3900, 2);
	ok(padlen == 200 && padtype == SCT_REC_PAD, "PAD of 200 bytes written");
	is_int((intmax_t)w->hdr->head, 4096, "PAD published with head");
	ok(*(uint64_t *)w->data == SCT_WIP_WORD,
	   "the record after the PAD: in progress");
	ok(sct_rring_next(rr) == NULL, "reader skips the PAD, nothing more");
	is_int((intmax_t)rr->pos, 4096, "reader at the next lap");
	memset(r, 0, REC);
	r->type = SCT_REC_SYSCALL;
	r->tid = 42;
	sct_ring_commit(w, r, 304);
	const struct sct_rec *got = sct_rring_next(rr);
	ok(got && got->len == 304, "record after the PAD read back");
	is_int((intmax_t)w->hdr->lost, 0, "nothing lost");

	/* many laps with varying sizes and a live reader */
	uint64_t first = 1000, n = 20000, read = 0, bad = 0;
	for (uint64_t s = first; s < first + n; s++) {
		if (!put(w, s, len_for(s, 60)))
			bad++;
		long k = drain(rr, first + read, NULL);
		if (k < 0)
			bad++;
		else
			read += (uint64_t)k;
	}
	ok(bad == 0 && read == n, "20000 records over %llu laps, read in order",
	   (unsigned long long)(w->head / 4096));
	is_int((intmax_t)w->hdr->lost, 0, "live reader: none lost");
	sct_rring_close(rr);
	tring_free(&t);
}

static void test_drop(void)
{
	struct tring t;
	tring_new(&t, 4096, 0);
	struct sct_wring *w = &t.w;

	/* 104-byte records: 39 fit (4056 bytes); the 40th would need a PAD */
	int okc = 0;
	for (int i = 0; i < 50; i++)
		okc += put(w, (uint64_t)i, 104);
	is_int(okc, 39, "drop: 39 records of 104 bytes fit in 4096");
	is_int((intmax_t)w->hdr->lost, 11, "drop: 11 counted lost");
	is_int((intmax_t)w->hdr->records, 39, "drop: 39 committed");
	is_int((intmax_t)w->hdr->head, 39 * 104, "drop: no PAD written");
	ok(sct_ring_reserve(w, 2049) == NULL && w->hdr->lost == 12,
	   "drop: record > data_size/2 refused and counted");
	ok(sct_ring_reserve(w, UINT32_MAX) == NULL && w->hdr->lost == 13,
	   "drop: huge length refused without overflow");

	/* a non-live reader reads them but frees nothing */
	struct sct_rring *rr = ropen(&t, 0);
	is_int(drain(rr, 0, NULL), 39, "dump reader sees the oldest 39");
	sct_rring_close(rr);
	ok(!put(w, 100, 104) && w->hdr->lost == 14,
	   "drop: a non-live reader frees no room");
	tring_free(&t);

	/* 128-byte records: 31 fit (32 would leave no room for the END
	 * word after the last) */
	tring_new(&t, 4096, 0);
	w = &t.w;
	okc = 0;
	for (int i = 0; i < 40; i++)
		okc += put(w, (uint64_t)i, 128);
	ok(okc == 31 && w->hdr->lost == 9, "drop: 31 x 128 fit, 9 lost");
	tring_free(&t);
}

static void test_live(void)
{
	/* 128-byte records: 31 fill the 4096 bytes (ring.h: the END word) */
	struct tring t;
	tring_new(&t, 4096, 0);
	struct sct_wring *w = &t.w;
	for (int i = 0; i < 31; i++)
		put(w, (uint64_t)i, 128);
	struct sct_rring *rr = ropen(&t, 1);
	is_int((intmax_t)w->hdr->consumed, 0,
	       "live open claims consumed = tail");
	for (int i = 0; i < 20; i++)
		sct_rring_next(rr);
	is_int((intmax_t)w->hdr->consumed, 20 * 128,
	       "live reader publishes consumed");
	int okc = 0;
	for (int i = 31; i < 36; i++)
		okc += put(w, (uint64_t)i, 128);
	is_int(okc, 5, "consumed room is reused");
	is_int((intmax_t)w->hdr->tail, 5 * 128,
	       "tail advanced only as far as needed");
	is_int((intmax_t)w->hdr->lost, 0, "nothing lost");

	/* a dump now shows the most history: 5..35, consumed ones included */
	struct sct_rring *d = ropen(&t, 0);
	uint64_t last = 0;
	is_int(drain(d, 5, &last), 31,
	       "dump: 31 records from #5 (history kept)");
	is_int((intmax_t)last, 35, "dump: up to the newest");
	sct_rring_close(d);

	/* fill: 15 more fit exactly (records 5..19 consumed), then full */
	okc = 0;
	for (int i = 36; i < 59; i++)
		okc += put(w, (uint64_t)i, 128);
	is_int(okc, 15, "drop: the writer never overwrites unconsumed data");
	is_int((intmax_t)w->hdr->lost, 8, "drop: the rest lost");
	is_int(drain(rr, 20, &last), 31, "live reader: 20..50 intact");
	is_int((intmax_t)last, 50, "live reader: in order up to the last kept");
	ok(rr->overrun == 0, "live reader never overrun in drop mode");
	sct_rring_close(rr);
	tring_free(&t);
}

static void test_overwrite(void)
{
	struct tring t;
	tring_new(&t, 4096, 1);
	struct sct_wring *w = &t.w;
	int okc = 0;
	for (int i = 0; i < 100; i++)
		okc += put(w, (uint64_t)i, 128);
	is_int(okc, 100, "overwrite: every record accepted");
	is_int((intmax_t)w->hdr->overwritten, 69, "overwrite: 69 overwritten");
	is_int((intmax_t)w->hdr->lost, 0, "overwrite: none lost");
	struct sct_rring *d = ropen(&t, 0);
	uint64_t last = 0;
	is_int(drain(d, 69, &last), 31, "overwrite: the newest 31 kept");
	is_int((intmax_t)last, 99, "overwrite: up to the last");
	sct_rring_close(d);
	tring_free(&t);

	/* varying sizes with PADs: whatever is kept is intact and newest */
	tring_new(&t, 4096, 1);
	w = &t.w;
	for (uint64_t s = 0; s < 5000; s++)
		put(w, s, len_for(s, 50));
	d = ropen(&t, 0);
	long k = 0;
	const struct sct_rec *r = sct_rring_next(d);
	uint64_t first = r ? r->args[0] : 0;
	if (r && check(r)) {
		k = drain(d, first + 1, &last);
		k = k < 0 ? k : k + 1;
	}
	ok(k > 0 && last == 4999, "overwrite+PAD: %ld newest records intact",
	   k);
	is_int((intmax_t)w->hdr->overwritten, (intmax_t)first,
	       "overwrite+PAD: overwritten = records before the oldest kept");
	sct_rring_close(d);
	tring_free(&t);

	/* a live reader: consumed records are not counted overwritten; the
	 * records it loses are exactly hdr->overwritten */
	tring_new(&t, 4096, 1);
	w = &t.w;
	struct sct_rring *rr = ropen(&t, 1);
	for (int i = 0; i < 31; i++)
		put(w, (uint64_t)i, 128);
	is_int(drain(rr, 0, NULL), 31, "overwrite/live: read 0..30");
	for (int i = 31; i < 41; i++)
		put(w, (uint64_t)i, 128);
	is_int((intmax_t)w->hdr->overwritten, 0,
	       "overwrite/live: consumed records reused silently");
	for (int i = 41; i < 81; i++)
		put(w, (uint64_t)i, 128);
	is_int((intmax_t)w->hdr->overwritten, 19,
	       "overwrite/live: 19 unread records overwritten");
	r = sct_rring_next(rr);
	ok(r && check(r) && r->args[0] == 50 && rr->overrun == 1,
	   "overwrite/live: reader jumps to the oldest kept (#50), 1 overrun");
	is_int(drain(rr, 51, &last), 30, "overwrite/live: then 51..80");
	sct_rring_close(rr);
	tring_free(&t);
}

/* ---- two threads --------------------------------------------------------*/
struct race {
	struct tring t;
	uint64_t n;
	unsigned spread;
	unsigned pace; /* writer yields every PACE records (0: never) */
	int done;
	/* reader results */
	uint64_t read, bad, gaps, backwards, overrun, lost_seen;
	int torn;
};

static void *race_writer(void *arg)
{
	struct race *x = arg;
	for (uint64_t s = 0; s < x->n; s++) {
		/* every other record through the inline fast path */
		put2(&x->t.w, s, len_for(s, x->spread), (int)(s & 1));
		if (x->pace && s % x->pace == 0)
			sched_yield();
	}
	__atomic_store_n(&x->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *race_reader(void *arg)
{
	struct race *x = arg;
	struct sct_rring *r = ropen(&x->t, !x->t.w.overwrite);
	uint64_t next = 0;
	for (;;) {
		int done = __atomic_load_n(&x->done, __ATOMIC_ACQUIRE);
		const struct sct_rec *rec;
		while ((rec = sct_rring_next(r))) {
			if (!check(rec)) {
				x->bad++;
				continue;
			}
			uint64_t s = rec->args[0];
			if (s < next)
				x->backwards++;
			else if (s > next)
				x->gaps += s - next;
			next = s + 1;
			x->read++;
		}
		if (done)
			break;
		sched_yield();
	}
	x->gaps += x->n - next; /* lost after the last record read */
	x->overrun = r->overrun;
	x->torn = r->torn_at != SCT_NO_WIP;
	sct_rring_close(r);
	return NULL;
}

static void run_race(struct race *x)
{
	pthread_t a, b;
	pthread_create(&b, NULL, race_reader, x);
	pthread_create(&a, NULL, race_writer, x);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
}

static void test_race(void)
{
	unsigned n = getenv("SCT_RACE_N") ? (unsigned)atoi(getenv("SCT_RACE_N"))
					  : 300000;
	struct race x;
	memset(&x, 0, sizeof x);
	x.n = n;
	x.spread = 40;
	tring_new(&x.t, 4096, 1);
	run_race(&x);
	struct sct_ring_hdr *h = x.t.w.hdr;
	note("overwrite race: %llu read, %llu overwritten, %llu overruns",
	     (unsigned long long)x.read, (unsigned long long)h->overwritten,
	     (unsigned long long)x.overrun);
	is_int((intmax_t)x.bad, 0,
	       "race/overwrite: no corrupted record returned");
	is_int((intmax_t)x.backwards, 0, "race/overwrite: sequence only grows");
	ok(x.read > 0 && x.read + x.gaps == x.n,
	   "race/overwrite: read + skipped = written");
	ok(x.gaps <= h->overwritten,
	   "race/overwrite: skipped records are counted overwritten");
	ok(!x.torn, "race/overwrite: no torn record");
	tring_free(&x.t);

	/* drop mode with a live reader: read + lost = written, exactly */
	memset(&x, 0, sizeof x);
	x.n = n;
	x.spread = 40;
	x.pace = 16;
	tring_new(&x.t, 16384, 0);
	run_race(&x);
	h = x.t.w.hdr;
	note("drop race: %llu read, %llu lost", (unsigned long long)x.read,
	     (unsigned long long)h->lost);
	ok(x.bad == 0 && x.backwards == 0 && x.overrun == 0 && !x.torn,
	   "race/drop: every record intact and in order, no overrun");
	is_int((intmax_t)(x.read + h->lost), (intmax_t)x.n,
	       "race/drop: read + lost = written");
	is_int((intmax_t)x.gaps, (intmax_t)h->lost,
	       "race/drop: gaps are exactly the lost records");
	tring_free(&x.t);

	/* the same two with staging: records read from the staging area
	 * while the writer copies it out and reuses it */
	memset(&x, 0, sizeof x);
	x.n = n;
	x.spread = 40;
	tring_new2(&x.t, 65536, 2048, 1);
	run_race(&x);
	h = x.t.w.hdr;
	ok(x.bad == 0 && x.backwards == 0 && !x.torn &&
		   x.read + x.gaps == x.n && x.gaps <= h->overwritten,
	   "race/overwrite, staging: intact, in order, skipped ones counted");
	tring_free(&x.t);
	memset(&x, 0, sizeof x);
	x.n = n;
	x.spread = 40;
	x.pace = 16;
	tring_new2(&x.t, 1u << 20, 4096, 0);
	run_race(&x);
	h = x.t.w.hdr;
	note("drop race, staging: %llu read, %llu lost",
	     (unsigned long long)x.read, (unsigned long long)h->lost);
	ok(x.bad == 0 && x.backwards == 0 && x.overrun == 0 && !x.torn &&
		   x.read + h->lost == x.n && x.gaps == h->lost,
	   "race/drop, staging: intact, in order, read + lost = written");
	tring_free(&x.t);
}

static pid_t dead_pid(void);

/* ---- staging (ring.h) ---------------------------------------------------*/
/* the word at data-area offset OFF */
static uint64_t area_word(struct tring *t, uint64_t off)
{
	return *(uint64_t *)(void *)((char *)t->map + SCT_HDR_SIZE + off);
}

/* populate (ring_write.c) for the tests: counts, fails while asked */
static int populated, populate_fail;
static long tpopulate(void *addr, uint64_t len)
{
	(void)addr, (void)len;
	populated++;
	return populate_fail ? -ENOSPC : 0;
}

static void test_stage(void)
{
	/* halves of 512 bytes: three 128-byte records and a 128-byte PAD */
	struct tring t;
	tring_new2(&t, 16384, 1024, 0);
	struct sct_wring *w = &t.w;
	struct sct_ring_hdr *h = w->hdr;
	w->populate = tpopulate;
	populate_fail = 1;
	for (int i = 0; i < 4; i++)
		put(w, (uint64_t)i, 128);
	ok(populated == 1 && h->lost == 1 && w->head == 3 * 128,
	   "stage: no memory for the second half: the record lost, no PAD");
	populate_fail = 0;
	tring_free(&t);
	tring_new2(&t, 16384, 1024, 0);
	w = &t.w;
	h = w->hdr;
	w->populate = tpopulate;
	populated = 0;
	ok(h->stage_size == 1024 && h->stage_pos == 0 && w->data == w->stage,
	   "stage: staging area set up, records go there");
	int okc = 0;
	for (int i = 0; i < 3; i++)
		okc += put(w, (uint64_t)i, 128);
	ok(okc == 3 && h->stage_pos == 0,
	   "stage: a half holds 3 records, nothing copied yet");
	struct sct_rring *d = ropen(&t, 0);
	is_int(drain(d, 0, NULL), 3, "stage: read from the staging area");
	sct_rring_close(d);
	put(w, 3, 128);
	ok(h->stage_pos == 512 && w->head == 512 + 128 && populated == 1,
	   "stage: the 4th record starts the next half (given memory), the first copied out");
	ok(area_word(&t, 384) == (128 | (uint64_t)SCT_REC_PAD << 32) &&
		   (uint32_t)area_word(&t, 0) == 128,
	   "stage: the data area has the half, its PAD included");
	for (int i = 4; i < 60; i++)
		okc += put(w, (uint64_t)i, 128);
	is_int((intmax_t)h->stage_pos, 19 * 512, "stage: 19 halves copied out");
	is_int(populated, 1, "stage: the second half populated once");
	d = ropen(&t, 0);
	uint64_t last = 0;
	is_int(drain(d, 0, &last), 60, "stage: 60 records read in order");
	sct_rring_close(d);

	/* drop mode, no reader: the last half is never copied out (the ring
	 * is full before), and is read where it is */
	okc = 60;
	for (int i = 60; i < 120; i++)
		okc += put(w, (uint64_t)i, 128);
	is_int(okc, 96, "stage/drop: 32 halves of 3 records kept");
	is_int((intmax_t)h->lost, 24, "stage/drop: the rest lost");
	ok(h->stage_pos == 16384 - 512, "stage/drop: the last half staged");
	d = ropen(&t, 0);
	is_int(drain(d, 0, &last), 96, "stage/drop: all 96 read");
	sct_rring_close(d);
	tring_free(&t);

	/* a live reader: past the first lap, the data area directly */
	tring_new2(&t, 16384, 1024, 0);
	w = &t.w;
	h = w->hdr;
	struct sct_rring *rr = ropen(&t, 1);
	uint64_t seq = 0, next = 0;
	long got = 0;
	for (int round = 0; round < 40; round++) {
		for (int i = 0; i < 10; i++)
			put(w, seq++, 128);
		long k = drain(rr, next, &last);
		if (k < 0)
			break;
		got += k;
		next += (uint64_t)k;
	}
	ok(got == 400 && h->lost == 0,
	   "stage/live: 400 records read in order, none lost (%ld)", got);
	ok(h->stage_pos == SCT_NO_STAGE && w->data == w->area,
	   "stage/live: the writer switched to the data area after a lap");
	sct_rring_close(rr);
	tring_free(&t);

	/* the end of the first lap: a copy that failed, then a ring too
	 * full for the next record; the one after it must still switch
	 * the reader to the data area */
	tring_new2(&t, 16384, 1024, 0);
	w = &t.w;
	h = w->hdr;
	for (int i = 0; i < 96; i++)
		put(w, (uint64_t)i, 128);
	rr = ropen(&t, 1);
	sct_rring_next(rr);
	sct_rring_next(rr);
	flush_fail = 1;
	okc = put(w, 96, 128);
	flush_fail = 0;
	okc += put(w, 97, 400);
	ok(okc == 0 && h->lost == 2 && h->stage_pos == 16384,
	   "stage/lap: a failed copy, then no room: both lost, the lap copied out");
	is_int(drain(rr, 2, &last), 94, "stage/lap: the reader reads the rest");
	okc = put2(w, 98, 128, 1);
	ok(okc == 1 && h->stage_pos == SCT_NO_STAGE,
	   "stage/lap: the next record starts the second lap, staging done");
	is_int(drain(rr, 98, &last), 1, "stage/lap: and the reader finds it");
	sct_rring_close(rr);
	tring_free(&t);

	/* overwrite mode: the newest kept, the rest counted */
	tring_new2(&t, 16384, 1024, 1);
	w = &t.w;
	h = w->hdr;
	for (uint64_t s = 0; s < 3000; s++)
		put(w, s, len_for(s, 40));
	d = ropen(&t, 0);
	const struct sct_rec *r = sct_rring_next(d);
	uint64_t first = r ? r->args[0] : 0;
	long k = 0;
	if (r && check(r)) {
		k = drain(d, first + 1, &last);
		k = k < 0 ? k : k + 1;
	}
	ok(k > 0 && last == 2999 && h->stage_pos == SCT_NO_STAGE,
	   "stage/overwrite: %ld newest records intact, staging done", k);
	is_int((intmax_t)h->overwritten, (intmax_t)first,
	       "stage/overwrite: overwritten = records before the oldest kept");
	sct_rring_close(d);
	tring_free(&t);

	/* a flush that fails (no room): the records after it are lost and
	 * counted, those before are read; the writer goes on once it works */
	tring_new2(&t, 16384, 1024, 0);
	w = &t.w;
	h = w->hdr;
	long n;
	for (int i = 0; i < 10; i++)
		put(w, (uint64_t)i, 128);
	flush_fail = 1;
	okc = 0;
	for (int i = 10; i < 20; i++)
		okc += put(w, (uint64_t)i, 128);
	ok(okc == 2 && h->lost == 8,
	   "stage/full: 2 more fit the half, 8 lost (%d kept)", okc);
	d = ropen(&t, 0);
	is_int(drain(d, 0, &last), 12, "stage/full: the 12 kept read");
	sct_rring_close(d);
	flush_fail = 0;
	for (int i = 20; i < 30; i++)
		okc += put(w, (uint64_t)i, 128);
	d = ropen(&t, 0);
	int inorder = 1;
	n = 0;
	while ((r = sct_rring_next(d)))
		inorder &= check(r) && r->args[0] == (uint64_t)(n < 12 ? n : n + 8),
			n++;
	ok(inorder && n == 22 && h->lost == 8,
	   "stage/full: 0..11, then 20..29 (the flush worked again)");
	sct_rring_close(d);

	/* a record in progress in the staging area: torn once its writer
	 * is gone */
	struct sct_rec *wip = sct_ring_reserve(w, 200);
	memset((char *)wip + 8, 0x5a, 150);
	h->pid = h->tid = (uint32_t)dead_pid();
	d = ropen(&t, 0);
	sct_rring_refresh(d);
	n = 0;
	while (sct_rring_next(d))
		n++;
	ok(n == 22 && d->torn_at == w->head,
	   "stage/torn: 22 records, then the torn one in the staging area");
	sct_rring_close(d);
	tring_free(&t);
}

/* ---- torn and corrupt records --------------------------------------------*/
static pid_t dead_pid(void)
{
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	return p; /* reaped: no such process (until reused) */
}

static void test_torn(void)
{
	struct tring t;
	tring_new(&t, 4096, 0);
	struct sct_wring *w = &t.w;
	for (int i = 0; i < 5; i++)
		put(w, (uint64_t)i, 136);
	struct sct_rec *r = sct_ring_reserve(w, 200); /* never committed */
	memset((char *)r + 8, 0x5a, 150); /* all but its first word */
	r->type = SCT_REC_SYSCALL;        /* as the preload's writer does */
	r->argtrim = 0;
	struct sct_rring *rr = ropen(&t, 0);
	sct_rring_refresh(rr);
	ok(!rr->writer_dead && rr->torn_at == SCT_NO_WIP,
	   "torn: writer alive, record in progress is not torn");
	is_int(drain(rr, 0, NULL), 5, "torn: committed records readable");

	t.w.hdr->state = SCT_STATE_EXITED;
	sct_rring_refresh(rr);
	ok(rr->writer_dead && rr->torn_at == SCT_NO_WIP,
	   "torn: EXITED but thread alive: dead, not torn");
	t.w.hdr->state = SCT_STATE_LIVE;

	pid_t dp = dead_pid();
	t.w.hdr->pid = t.w.hdr->tid = (uint32_t)dp;
	sct_rring_close(rr);
	rr = ropen(&t, 0);
	sct_rring_refresh(rr);
	ok(rr->writer_dead, "torn: writer of a reaped pid is dead");
	is_int(drain(rr, 0, NULL), 5,
	       "torn: everything before the torn record returned");
	is_int((intmax_t)rr->torn_at, 5 * 136,
	       "torn: torn_at = the record in progress");
	ok(sct_rring_next(rr) == NULL, "torn: nothing after it");
	sct_rring_close(rr);
	/* found by a refresh after the drain too (printer_finish's order) */
	rr = ropen(&t, 0);
	is_int(drain(rr, 0, NULL), 5, "torn: drained first");
	sct_rring_refresh(rr);
	is_int((intmax_t)rr->torn_at, 5 * 136, "torn: then flagged by refresh");
	sct_rring_close(rr);

	/* committed after all: not torn */
	sct_ring_commit(w, r, 200);
	rr = ropen(&t, 0);
	sct_rring_refresh(rr);
	long c = 0;
	while (sct_rring_next(rr))
		c++;
	is_int(c, 6, "torn: committed: all 6 records");
	ok(rr->writer_dead && rr->torn_at == SCT_NO_WIP,
	   "torn: committed: not torn");
	sct_rring_close(rr);
	tring_free(&t);
}

static void test_corrupt(void)
{
	static const struct {
		uint32_t len;
		uint16_t type;
		const char *what;
	} bad[] = {
		{ 100, SCT_REC_SYSCALL, "len 100 < sizeof(struct sct_rec)" },
		{ 140, SCT_REC_SYSCALL, "len not a multiple of 8" },
		{ 4096 + 8, SCT_REC_SYSCALL, "len past the data area" },
		{ 0xfffffff8u, SCT_REC_SYSCALL, "len 0xfffffff8" },
		{ 64, SCT_REC_PAD, "PAD not reaching the end" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct tring t;
		tring_new(&t, 4096, 0);
		for (int s = 0; s < 4; s++)
			put(&t.w, (uint64_t)s, 136);
		struct sct_rec *second = (struct sct_rec *)(t.w.data + 136);
		second->len = bad[i].len;
		second->type = bad[i].type;
		struct sct_rring *rr = ropen(&t, 0);
		const struct sct_rec *r1 = sct_rring_next(rr);
		const struct sct_rec *r2 = r1 ? sct_rring_next(rr) : NULL;
		ok(r1 && r1->args[0] == 0 && !r2 && rr->torn_at == 136 &&
			   sct_rring_next(rr) == NULL,
		   "corrupt %s: flagged at its position, not misread",
		   bad[i].what);
		sct_rring_close(rr);
		tring_free(&t);
	}

	/* corrupt header positions */
	struct tring t;
	tring_new(&t, 4096, 0);
	put(&t.w, 0, 136);
	t.w.hdr->tail = 4000; /* past the end */
	struct sct_rring *rr = ropen(&t, 0);
	ok(sct_rring_next(rr) == NULL,
	   "corrupt: tail past the end: nothing read");
	sct_rring_close(rr);
	t.w.hdr->tail = 0;
	t.w.hdr->head = 1u << 30; /* far ahead: the reader never needs it */
	rr = ropen(&t, 0);
	long n = 0;
	while (sct_rring_next(rr) && n < 100000)
		n++;
	ok(n == 1 && rr->torn_at == SCT_NO_WIP,
	   "corrupt: head far ahead: the END word ends the ring (%ld read)",
	   n);
	/* a record whose word says "being written" (len 0): the end while
	 * the writer lives */
	sct_rring_close(rr);
	t.w.hdr->head = 136;
	((struct sct_rec *)t.w.data)->len = 0;
	rr = ropen(&t, 0);
	ok(sct_rring_next(rr) == NULL && rr->torn_at == SCT_NO_WIP,
	   "corrupt: len 0 with a type: in progress, not torn (writer alive)");
	sct_rring_close(rr);
	tring_free(&t);

	/* the writer survives a scribbled ring */
	tring_new(&t, 4096, 1);
	for (int s = 0; s < 31; s++) /* full: 31 x 128 and the END word */
		put(&t.w, (uint64_t)s, 128);
	((struct sct_rec *)t.w.data)->len = 3; /* the oldest record */
	int okc = 0;
	for (int s = 31; s < 100; s++)
		okc += put(&t.w, (uint64_t)s, 128);
	rr = ropen(&t, 0);
	uint64_t last = 0;
	long k = drain(rr, 69, &last);
	ok(okc == 69 && k == 31 && last == 99,
	   "writer: a corrupt record in overwrite mode resets the ring");
	sct_rring_close(rr);
	tring_free(&t);

	/* positions a reader cannot trust: a tail that is not 8-byte
	 * aligned, at the end of the area; a stage_pos that puts every
	 * position in the staging area, with a word longer than it */
	tring_new2(&t, 16384, 1024, 0);
	for (int s = 0; s < 10; s++)
		put(&t.w, (uint64_t)s, 128);
	t.w.hdr->tail = 16384 - 3;
	rr = ropen(&t, 0);
	while (sct_rring_next(rr))
		;
	ok(1, "corrupt: an unaligned tail at the area's end: read, no fault");
	sct_rring_close(rr);
	t.w.hdr->tail = 0;
	t.w.hdr->stage_pos = 0;
	*(uint64_t *)(void *)t.w.stage = 4000; /* len 4000 in a 1 KiB area */
	rr = ropen(&t, 0);
	ok(sct_rring_next(rr) == NULL && rr->torn_at == 0,
	   "corrupt: a record longer than the staging area: the ring ends");
	sct_rring_close(rr);
	tring_free(&t);
}

static void test_open_errors(void)
{
	char path[300], err[512], want[600];
	FILE *fp;
	snprintf(path, sizeof path, "%s/bad.ring", tmpdir);
	int fd = create(path, &fp);
	if (ftruncate(fd, 8192) < 0)
		bail_out("%s: %s", path, strerror(errno));

	ok(sct_rring_open(path, 0, err, sizeof err) == NULL,
	   "zeroed file refused");
	snprintf(want, sizeof want, "%s: not an sctrace ring (bad magic)",
		 path);
	is_str(err, want, "bad magic message");

	struct sct_ring_hdr h;
	memset(&h, 0, sizeof h);
	h.magic = SCT_RING_MAGIC;
	h.version = 7;
	h.hdr_size = SCT_HDR_SIZE;
	h.data_size = 4096;
	if (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
		bail_out("pwrite");
	ok(!sct_rring_open(path, 0, err, sizeof err) &&
		   strstr(err, "unsupported ring version 7"),
	   "version mismatch: %s", err);

	h.version = SCT_RING_VERSION;
	h.data_size = 3000;
	if (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
		bail_out("pwrite");
	ok(!sct_rring_open(path, 0, err, sizeof err) &&
		   strstr(err, "not a power of two"),
	   "bad data size: %s", err);

	h.data_size = 8192;
	if (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
		bail_out("pwrite");
	ok(!sct_rring_open(path, 0, err, sizeof err) &&
		   strstr(err, "file has 8192 bytes, header says 12288"),
	   "size mismatch: %s", err);

	h.data_size = 4096;
	h.hdr_size = 512;
	if (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
		bail_out("pwrite");
	ok(!sct_rring_open(path, 0, err, sizeof err) &&
		   strstr(err, "header size 512"),
	   "bad header size: %s", err);

	h.hdr_size = SCT_HDR_SIZE;
	if (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
		bail_out("pwrite");
	struct sct_rring *r = sct_rring_open(path, 0, err, sizeof err);
	ok(r != NULL, "valid header accepted");
	ok(r && sct_rring_next(r) == NULL, "empty ring: no record");
	sct_rring_close(r);

	h.stage_size = 3000;
	if (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
		bail_out("pwrite");
	ok(!sct_rring_open(path, 0, err, sizeof err) &&
		   strstr(err, "staging size 3000"),
	   "bad staging size: %s", err);
	h.stage_size = 1024;
	if (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
		bail_out("pwrite");
	ok(!sct_rring_open(path, 0, err, sizeof err) &&
		   strstr(err, "file has 8192 bytes, header says 9216"),
	   "staging area missing: %s", err);
	h.stage_size = 0;

	if (ftruncate(fd, 100) < 0)
		bail_out("ftruncate");
	ok(!sct_rring_open(path, 0, err, sizeof err) &&
		   strstr(err, "too short"),
	   "short file: %s", err);
	fclose(fp);
	unlink(path);

	snprintf(path, sizeof path, "%s/missing.ring", tmpdir);
	ok(!sct_rring_open(path, 0, err, sizeof err) &&
		   strstr(err, strerror(ENOENT)) &&
		   strncmp(err, path, strlen(path)) == 0,
	   "missing file: %s", err);
	ok(!sct_rring_open(tmpdir, 0, err, sizeof err) &&
		   strstr(err, "not a regular file"),
	   "directory refused: %s", err);
}

int main(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/sct-test-ring-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir))
		skip_all("cannot create a temporary directory");

	test_init();
	test_roundtrip();
	test_argtrim();
	test_pad();
	test_drop();
	test_live();
	test_overwrite();
	test_stage();
	test_race();
	test_torn();
	test_corrupt();
	test_open_errors();

	rmdir(tmpdir);
	return done_testing();
}
