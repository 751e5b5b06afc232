/* sctrace report: per (syscall, calling stack) site, calls, errors by
 * errno and latency (total, mean, p50, p99, max), with the worst call's
 * time, sorted and cut to the top N; --by=frame groups on the first frame
 * outside libc, the loader and sctrace instead of the whole stack.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define REPORT_FRAMES 8 /* frames shown under a site */

struct errcount {
	int err;
	unsigned long long n;
};

struct site {
	unsigned nr;
	const struct sct_frame *fr; /* the stack (or frame) of the site */
	unsigned nfr;
	unsigned long long calls, errors, total, max;
	uint64_t worst_real;        /* wall-clock ns of the slowest call */
	uint64_t *durs;
	size_t ndur, cap;
	struct errcount *errs;
	size_t nerrs;
	const char *key;
};

struct report {
	const struct opts *o;
	struct sct_stacks *stk;
	struct sct_hmap sites;      /* key -> struct site */
	unsigned long long calls;
};


int trace_foreach(const struct opts *o, const char *dir,
		  void (*fn)(void *ctx, const struct sct_ring_hdr *h,
			     const struct sct_rec *r),
		  void *ctx)
{
	struct ringset set = { .dir = (char *)dir };
	if (ringset_scan(&set) < 0)
		return -1;
	if (set.n == 0) {
		fprintf(stderr, "sctrace: %s: no rings\n", dir);
		return -1;
	}
	for (size_t k = 0; k < set.n; k++) {
		const struct sct_rec *r;
		while ((r = sct_rring_next(set.v[k])))
			if (r->type == SCT_REC_SYSCALL && opts_wanted(o, r))
				fn(ctx, set.v[k]->hdr, r);
	}
	ringset_free(&set);
	return 0;
}

/* The frame --by=frame groups on: the first one outside the runtime. */
static unsigned pick_frame(const struct sct_frame *fr, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!sct_frame_is_runtime(&fr[i]))
			return i;
	return 0;
}

static void frame_key(struct sbuf *k, const struct sct_frame *f, int by_sym)
{
	if (by_sym && f->sym)
		sb_printf(k, "|%p:%s", (const void *)f->obj, f->sym);
	else if (f->obj)
		sb_printf(k, "|%p:%llx", (const void *)f->obj,
			  (unsigned long long)f->addr);
	else
		sb_printf(k, "|?:%llx", (unsigned long long)f->ip);
}

static struct site *site_of(struct report *rp, const struct sct_ring_hdr *h,
			    const struct sct_rec *r)
{
	const struct sct_frame *fr;
	unsigned n = sct_stacks_get(rp->stk, h, r, &fr);
	struct sbuf key = { 0 };
	sb_printf(&key, "%u", r->nr);
	if (n && rp->o->by_frame) {
		fr += pick_frame(fr, n);
		n = 1;
		frame_key(&key, fr, 1);
	} else {
		for (unsigned i = 0; i < n; i++)
			frame_key(&key, &fr[i], 0);
	}
	struct sct_hent *e = sct_hmap_getn(&rp->sites, key.s, key.len, 1);
	sb_free(&key);
	if (!e->val) {
		struct site *s = sct_xrealloc(NULL, sizeof *s);
		memset(s, 0, sizeof *s);
		s->nr = r->nr;
		s->fr = fr;
		s->nfr = n;
		s->key = e->key;
		e->val = s;
	}
	return e->val;
}

static void count_err(struct site *s, int err)
{
	s->errors++;
	for (size_t i = 0; i < s->nerrs; i++)
		if (s->errs[i].err == err) {
			s->errs[i].n++;
			return;
		}
	s->errs = sct_xrealloc(s->errs, (s->nerrs + 1) * sizeof *s->errs);
	s->errs[s->nerrs++] = (struct errcount){ err, 1 };
}

static void add_rec(void *ctx, const struct sct_ring_hdr *h,
		    const struct sct_rec *r)
{
	struct report *rp = ctx;
	struct site *s = site_of(rp, h, r);
	rp->calls++;
	s->calls++;
	s->total += r->dur;
	if (s->calls == 1 || r->dur > s->max) {
		s->max = r->dur;
		s->worst_real = r->ts + (uint64_t)h->real_offset;
	}
	if (r->flags & SCT_RF_ERROR)
		count_err(s, r->err);
	if (s->ndur == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->durs = sct_xrealloc(s->durs, s->cap * sizeof *s->durs);
	}
	s->durs[s->ndur++] = r->dur;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_errcount(const void *a, const void *b)
{
	const struct errcount *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->err - y->err;
}

static int sort_mode; /* qsort has no context argument */

static int cmp_ull_desc(unsigned long long x, unsigned long long y)
{
	return x > y ? -1 : x < y;
}

static int cmp_site(const void *a, const void *b)
{
	const struct site *x = *(struct site *const *)a;
	const struct site *y = *(struct site *const *)b;
	int c = 0;
	if (sort_mode == SORT_CALLS)
		c = cmp_ull_desc(x->calls, y->calls);
	else if (sort_mode == SORT_ERRORS)
		c = cmp_ull_desc(x->errors, y->errors);
	if (!c)
		c = cmp_ull_desc(x->total, y->total);
	if (!c)
		c = cmp_ull_desc(x->calls, y->calls);
	return c ? c : strcmp(x->key, y->key);
}

/* Nearest rank: the smallest value with at least P% of the calls at or
 * below it. */
static uint64_t percentile(const struct site *s, unsigned p)
{
	size_t rank = (s->ndur * p + 99) / 100;
	return s->durs[rank ? rank - 1 : 0];
}

static const char *sys_name(unsigned nr, char *buf, size_t n)
{
	if (nr < SCT_NSYS && sct_sysent[nr].name[0])
		return sct_sysent[nr].name;
	snprintf(buf, n, "syscall_%#x", nr);
	return buf;
}

static void print_site(FILE *fp, struct site *s, int lines)
{
	char nb[32];
	qsort(s->durs, s->ndur, sizeof *s->durs, cmp_u64);
	qsort(s->errs, s->nerrs, sizeof *s->errs, cmp_errcount);
	fprintf(fp, s->nerrs ? "%9llu %7llu %13.3f %11.3f %11.3f %11.3f %11.3f %10llu.%06llu  %-16s"
			     : "%9llu %7llu %13.3f %11.3f %11.3f %11.3f %11.3f %10llu.%06llu  %s",
		s->calls, s->errors, s->total / 1e3,
		(double)s->total / (double)s->calls / 1e3,
		percentile(s, 50) / 1e3, percentile(s, 99) / 1e3, s->max / 1e3,
		(unsigned long long)(s->worst_real / 1000000000u),
		(unsigned long long)(s->worst_real % 1000000000u / 1000u),
		sys_name(s->nr, nb, sizeof nb));
	for (size_t i = 0; i < s->nerrs; i++) {
		const char *en = sct_errno_name(s->errs[i].err);
		if (en)
			fprintf(fp, " %s:%llu", en, s->errs[i].n);
		else
			fprintf(fp, " %d:%llu", s->errs[i].err, s->errs[i].n);
	}
	fputc('\n', fp);
	struct sbuf b = { 0 };
	for (unsigned i = 0; i < s->nfr && i < REPORT_FRAMES; i++) {
		sb_puts(&b, "   ");
		sct_frame_print(&b, &s->fr[i], lines);
	}
	if (s->nfr > REPORT_FRAMES)
		sb_printf(&b, "    > ... %u more frames\n", s->nfr - REPORT_FRAMES);
	if (!s->nfr)
		sb_puts(&b, "    (no stack)\n");
	if (b.len)
		fwrite(b.s, 1, b.len, fp);
	sb_free(&b);
}

static void print_report(struct report *rp, FILE *fp)
{
	size_t n = 0;
	struct site **v = sct_xrealloc(NULL, rp->sites.n * sizeof *v);
	for (size_t i = 0; i < rp->sites.cap; i++)
		if (rp->sites.v[i].key)
			v[n++] = rp->sites.v[i].val;
	sort_mode = rp->o->sort;
	qsort(v, n, sizeof *v, cmp_site);
	static const char *const by[] = { "time", "calls", "errors" };
	size_t shown = rp->o->top && rp->o->top < n ? rp->o->top : n;
	fprintf(fp, "%llu calls at %zu site%s (by %s), sorted by %s", rp->calls,
		n, n == 1 ? "" : "s", rp->o->by_frame ? "first frame outside the runtime" : "stack",
		by[rp->o->sort]);
	if (shown < n)
		fprintf(fp, ", top %zu", shown);
	fprintf(fp, "; times in microseconds\n");
	fprintf(fp, "%9s %7s %13s %11s %11s %11s %11s %17s  %-16s %s\n", "CALLS",
		"ERRORS", "TOTAL", "MEAN", "P50", "P99", "MAX", "WORST AT",
		"SYSCALL", "ERRNO");
	for (size_t i = 0; i < shown; i++)
		print_site(fp, v[i], rp->o->stack > 1);
	free(v);
}

static void free_site(void *p)
{
	struct site *s = p;
	free(s->durs);
	free(s->errs);
	free(s);
}

int cmd_report(struct opts *o)
{
	const char *dir = o->dir ? o->dir : default_dir();
	struct report rp = { .o = o };
	rp.stk = sct_stacks_new(dir, o->stack > 1);
	int rc = trace_foreach(o, dir, add_rec, &rp);
	if (rc == 0)
		print_report(&rp, o->out);
	sct_hmap_free(&rp.sites, free_site);
	sct_stacks_free(rp.stk);
	return rc ? 1 : 0;
}
