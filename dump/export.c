/* sctrace export: the trace in formats other tools read.
 *
 *   --format=chrome  Chrome trace event JSON ({"traceEvents":[...]}), for
 *                    Perfetto and chrome://tracing: one complete event
 *                    ("ph":"X") per syscall, ts/dur in microseconds since
 *                    the first ring's start, process and thread names as
 *                    metadata events ("ph":"M").
 *   --format=folded  folded stacks for flame graphs: one line per distinct
 *                    stack, "outermost;...;innermost;syscall WEIGHT",
 *                    weighted by ns spent (--weight=time) or by calls.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CHROME_FRAMES 8 /* frames in an event's args */

struct export {
	const struct opts *o;
	struct sct_stacks *stk;
	struct sct_hmap seen;    /* metadata already written */
	struct sct_hmap folded;  /* stack line -> uint64_t weight */
	struct sbuf b;
	uint64_t t0;             /* CLOCK_MONOTONIC ns of ts 0 */
	int first;               /* no event written yet */
};

static const char *sys_name(unsigned nr, char *buf, size_t n)
{
	if (nr < SCT_NSYS && sct_sysent[nr].name[0])
		return sct_sysent[nr].name;
	snprintf(buf, n, "syscall_%#x", nr);
	return buf;
}

static void flush(struct export *x)
{
	fwrite(x->b.s, 1, x->b.len, x->o->out);
	sb_reset(&x->b);
}

static void event_sep(struct export *x)
{
	sb_puts(&x->b, x->first ? "\n" : ",\n");
	x->first = 0;
}

/* Name a process (each image: a later exec renames it) and a thread once. */
static void metadata(struct export *x, const struct sct_ring_hdr *h,
		     unsigned tid)
{
	char key[64];
	snprintf(key, sizeof key, "p%u/%llu", h->pid,
		 (unsigned long long)h->image);
	struct sct_hent *e = sct_hmap_get(&x->seen, key, 1);
	const char *exe = h->exe[0] ? h->exe : h->comm;
	if (!e->val) {
		e->val = x;
		event_sep(x);
		sb_printf(&x->b, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%u,"
				 "\"tid\":%u,\"args\":{\"name\":", h->pid, h->pid);
		sct_json_str(&x->b, exe, strnlen(exe, sizeof h->exe));
		sb_puts(&x->b, "}}");
	}
	snprintf(key, sizeof key, "t%u/%u", h->pid, tid);
	e = sct_hmap_get(&x->seen, key, 1);
	if (!e->val) {
		e->val = x;
		event_sep(x);
		sb_printf(&x->b, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,"
				 "\"tid\":%u,\"args\":{\"name\":", h->pid, tid);
		sct_json_str(&x->b, h->comm, strnlen(h->comm, sizeof h->comm));
		sb_puts(&x->b, "}}");
	}
}

static void chrome_args(struct export *x, const struct sct_ev *ev)
{
	const struct sct_rec *r = ev->rec;
	struct sbuf a = { 0 };
	sb_puts(&x->b, ",\"args\":{");
	json_call_fields(&x->b, ev, &x->o->po, NULL);
	const struct sct_frame *fr;
	unsigned n = sct_stacks_get(x->stk, ev->hdr, r, &fr);
	if (n) {
		sb_puts(&x->b, ",\"stack\":[");
		for (unsigned i = 0; i < n && i < CHROME_FRAMES; i++) {
			sb_reset(&a);
			sct_frame_print(&a, &fr[i], x->o->stack > 1);
			if (i)
				sb_putc(&x->b, ',');
			/* without the " > " and the newline */
			sct_json_str(&x->b, a.s + 3, a.len - 4);
		}
		sb_putc(&x->b, ']');
	}
	sb_puts(&x->b, "}");
	sb_free(&a);
}

static void chrome_rec(void *ctx, const struct sct_ring_hdr *h,
		       const struct sct_rec *r)
{
	struct export *x = ctx;
	unsigned tid = r->tid ? r->tid : h->tid;
	char nb[32];
	struct sct_ev ev;
	sct_ev_init(&ev, h, r);
	metadata(x, h, tid);
	event_sep(x);
	int64_t ts = (int64_t)(r->ts - x->t0);
	sb_puts(&x->b, "{\"name\":");
	const char *name = sys_name(r->nr, nb, sizeof nb);
	sct_json_str(&x->b, name, strlen(name));
	sb_printf(&x->b, ",\"cat\":\"%s\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,"
			 "\"pid\":%u,\"tid\":%u",
		  r->via == SCT_VIA_TRAP ? "trap" : "libc", (double)ts / 1e3,
		  (double)r->dur / 1e3, h->pid, tid);
	chrome_args(x, &ev);
	sb_putc(&x->b, '}');
	if (x->b.len > 65536)
		flush(x);
}

static void folded_rec(void *ctx, const struct sct_ring_hdr *h,
		       const struct sct_rec *r)
{
	struct export *x = ctx;
	const struct sct_frame *fr;
	unsigned n = sct_stacks_get(x->stk, h, r, &fr);
	char nb[32];
	sb_reset(&x->b);
	for (unsigned i = n; i-- > 0;) {
		sct_frame_short(&x->b, &fr[i]);
		sb_putc(&x->b, ';');
	}
	sb_puts(&x->b, sys_name(r->nr, nb, sizeof nb));
	struct sct_hent *e = sct_hmap_getn(&x->folded, x->b.s, x->b.len, 1);
	if (!e->val)
		e->val = sct_xcalloc(1, sizeof(uint64_t));
	*(uint64_t *)e->val += x->o->weight_count ? 1 : r->dur;
	sb_reset(&x->b);
}

static int cmp_key(const void *a, const void *b)
{
	const struct sct_hent *x = *(struct sct_hent *const *)a;
	const struct sct_hent *y = *(struct sct_hent *const *)b;
	return strcmp(x->key, y->key);
}

static void folded_print(struct export *x)
{
	struct sct_hent **v = sct_xcalloc(x->folded.n, sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < x->folded.cap; i++)
		if (x->folded.v[i].key)
			v[n++] = &x->folded.v[i];
	qsort(v, n, sizeof *v, cmp_key);
	for (size_t i = 0; i < n; i++)
		fprintf(x->o->out, "%s %llu\n", v[i]->key,
			(unsigned long long)*(uint64_t *)v[i]->val);
	free(v);
}

/* ts 0: the earliest ring's creation */
static uint64_t first_start(const char *dir)
{
	struct ringset set = { .dir = (char *)dir };
	uint64_t t0 = 0;
	if (ringset_scan(&set) > 0) {
		t0 = set.v[0]->hdr->mono_start;
		for (size_t i = 1; i < set.n; i++)
			if (set.v[i]->hdr->mono_start < t0)
				t0 = set.v[i]->hdr->mono_start;
	}
	ringset_free(&set);
	return t0;
}

int cmd_export(struct opts *o)
{
	const char *dir = o->dir ? o->dir : default_dir();
	struct export x = { .o = o, .first = 1 };
	x.stk = sct_stacks_new(dir, o->stack > 1);
	int rc;
	if (o->format == FMT_FOLDED) {
		rc = trace_foreach(o, dir, folded_rec, &x);
		if (rc == 0)
			folded_print(&x);
	} else {
		x.t0 = first_start(dir);
		sb_puts(&x.b, "{\"traceEvents\":[");
		rc = trace_foreach(o, dir, chrome_rec, &x);
		sb_printf(&x.b, "\n],\"displayTimeUnit\":\"ns\",\"otherData\":"
				"{\"generator\":\"sctrace\",\"ts0_monotonic_ns\":%llu}}\n",
			  (unsigned long long)x.t0);
		if (rc == 0)
			flush(&x);
	}
	sb_free(&x.b);
	sct_hmap_free(&x.seen, NULL);
	sct_hmap_free(&x.folded, free);
	sct_stacks_free(x.stk);
	return rc ? 1 : 0;
}
