/* Caller stacks of a ring directory: a record's stack_id, through its
 * image's side file (DIR/PID-IMAGE.stk) and the symbolizer, to frames.
 *
 * A symbolized stack depends on the stack id and on the module log as it
 * was at the record's time (its "epoch"), so it is computed once per
 * (image, id, epoch) and kept.
 */
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "sctrace/stack.h"

struct sfile {
	struct sct_stkfile *f; /* NULL: unusable (warned) */
};

struct rstack {
	unsigned n;
	struct sct_frame fr[];
};

struct sct_stacks {
	char *dir;
	int lines;
	struct sct_sym *sym;
	struct sct_hmap files; /* "PID-IMAGE" -> struct sfile */
	struct sct_hmap memo;  /* "PID-IMAGE/id/epoch/nmods" -> struct rstack */
};

struct sct_stacks *sct_stacks_new(const char *dir, int lines)
{
	struct sct_stacks *s = sct_xcalloc(1, sizeof *s);
	s->dir = sct_xcalloc(1, strlen(dir) + 1);
	strcpy(s->dir, dir);
	s->lines = lines;
	s->sym = sct_sym_new(lines);
	return s;
}

static void free_sfile(void *p)
{
	struct sfile *sf = p;
	sct_stkfile_close(sf->f);
	free(sf);
}

void sct_stacks_free(struct sct_stacks *s)
{
	if (!s)
		return;
	sct_hmap_free(&s->files, free_sfile);
	sct_hmap_free(&s->memo, free);
	sct_sym_free(s->sym);
	free(s->dir);
	free(s);
}

static struct sct_stkfile *open_side(struct sct_stacks *s,
				     const struct sct_ring_hdr *h,
				     const char *key)
{
	char path[4096], err[4200];
	if (!h->image) {
		fprintf(stderr, "sctrace: pid %u: records name stacks but the ring "
				"names no side file: stacks not shown\n", h->pid);
		return NULL;
	}
	snprintf(path, sizeof path, "%s/%s.stk", s->dir, key);
	struct sct_stkfile *f = sct_stkfile_open(path, err, sizeof err);
	if (!f)
		fprintf(stderr, "sctrace: %s: stacks of pid %u not shown\n", err,
			h->pid);
	else if (err[0])
		fprintf(stderr, "sctrace: %s\n", err);
	return f;
}

static struct sct_stkfile *side_file(struct sct_stacks *s,
				     const struct sct_ring_hdr *h)
{
	char key[48];
	snprintf(key, sizeof key, "%u-%llu", h->pid,
		 (unsigned long long)h->image);
	struct sct_hent *e = sct_hmap_get(&s->files, key, 1);
	if (!e->val) {
		struct sfile *sf = sct_xcalloc(1, sizeof *sf);
		e->val = sf; /* before open_side: it may warn only once */
		sf->f = open_side(s, h, key);
	}
	return ((struct sfile *)e->val)->f;
}

static struct rstack *resolve(struct sct_stacks *s, struct sct_stkfile *f,
			      uint32_t id, size_t epoch)
{
	uint64_t ips[SCT_STK_MAX_DEPTH];
	unsigned n = sct_stkfile_stack(f, id, ips, SCT_STK_MAX_DEPTH);
	struct rstack *rs = sct_xcalloc(1, sizeof *rs + n * sizeof rs->fr[0]);
	rs->n = n;
	for (unsigned i = 0; i < n; i++)
		sct_sym_resolve(s->sym, sct_stkfile_module(f, ips[i], epoch),
				ips[i], &rs->fr[i]);
	return rs;
}

unsigned sct_stacks_get(struct sct_stacks *s, const struct sct_ring_hdr *h,
			const struct sct_rec *r, const struct sct_frame **out)
{
	*out = NULL;
	if (!s || !r->stack_id)
		return 0;
	struct sct_stkfile *f = side_file(s, h);
	if (!f)
		return 0;
	sct_stkfile_mods_update(f);
	size_t epoch = sct_stkfile_epoch(f, r->ts);
	char key[96];
	int kn = snprintf(key, sizeof key, "%u-%llu/%u/%zu/%zu", h->pid,
			  (unsigned long long)h->image, r->stack_id, epoch,
			  f->nmods);
	struct sct_hent *e = sct_hmap_getn(&s->memo, key, (size_t)kn, 1);
	if (!e->val)
		e->val = resolve(s, f, r->stack_id, epoch);
	const struct rstack *rs = e->val;
	*out = rs->fr;
	return rs->n;
}

void sct_frame_print(struct sbuf *b, const struct sct_frame *f, int lines)
{
	if (!f->obj) /* strace's words for an address outside every module */
		sb_printf(b, " > unexpected_backtracing_error [0x%llx]",
			  (unsigned long long)f->ip);
	else if (f->sym) /* [the file offset], as strace prints it */
		sb_printf(b, " > %s(%s+0x%llx) [0x%llx]", f->obj, f->sym,
			  (unsigned long long)f->off, (unsigned long long)f->foff);
	else
		sb_printf(b, " > %s() [0x%llx]", f->obj,
			  (unsigned long long)f->foff);
	if (lines && f->file)
		sb_printf(b, " %s:%d", f->file, f->line);
	sb_putc(b, '\n');
}

/* ,"KEY":S (a JSON string) or ,"KEY":null */
static void json_field(struct sbuf *b, const char *key, const char *s)
{
	sb_printf(b, ",\"%s\":", key);
	if (s)
		sct_json_str(b, s, strlen(s));
	else
		sb_puts(b, "null");
}

void sct_frame_json(struct sbuf *b, const struct sct_frame *f)
{
	char addr[24], off[24], line[16];
	snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)f->addr);
	snprintf(off, sizeof off, "%llu", (unsigned long long)f->off);
	snprintf(line, sizeof line, "%d", f->line);
	sb_printf(b, "{\"ip\":\"0x%llx\"", (unsigned long long)f->ip);
	json_field(b, "obj", f->obj);
	json_field(b, "addr", f->obj ? addr : NULL);
	json_field(b, "sym", f->sym);
	/* off and line are numbers: no quotes */
	sb_printf(b, ",\"off\":%s", f->sym ? off : "null");
	json_field(b, "file", f->file);
	sb_printf(b, ",\"line\":%s}", f->file ? line : "null");
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

void sct_frame_short(struct sbuf *b, const struct sct_frame *f)
{
	if (f->sym)
		sb_puts(b, f->sym);
	else if (f->obj)
		sb_printf(b, "%s+0x%llx", base_name(f->obj),
			  (unsigned long long)f->addr);
	else
		sb_puts(b, "[unknown]");
}

int sct_frame_is_runtime(const struct sct_frame *f)
{
	static const char *const prefix[] = { "libc.so", "libc-", "ld-linux",
					      "ld64.so", "ld.so", "libsctrace",
					      "[vdso]" };
	if (!f->obj)
		return 0;
	const char *b = base_name(f->obj);
	for (size_t i = 0; i < sizeof prefix / sizeof prefix[0]; i++)
		if (strncmp(b, prefix[i], strlen(prefix[i])) == 0)
			return 1;
	return 0;
}
