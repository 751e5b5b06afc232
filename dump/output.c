/* Turning records into strace-style lines or JSON objects, in time order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "cli.h"

struct item {
	const struct sct_ring_hdr *hdr;
	struct sct_rec *rec;   /* malloc'd copy */
	size_t ring;           /* index in the ring set */
	uint64_t seq;          /* order within the ring */
	int age;               /* drains it was held back for */
};

struct proc {
	int pid;
	struct sct_fdtab *fds;
	int exec_seen;         /* a recorded execve is waiting for its START */
	int exited;            /* its exit line was shown */
};

struct printer {
	struct opts *o;
	struct item *items;
	size_t n, cap;
	uint64_t seq;
	struct proc **procs;   /* stable pointers: callers keep them */
	size_t nprocs;
	int first_tid, multi;  /* [pid N] prefixes once a second tid shows */
	uint64_t last_ts;
	struct sct_summary *sum;
	struct sbuf line;
	int final;             /* last drain: hold nothing back */
	int header_done;       /* the trace header line was written */
	struct sct_stacks *stk; /* -k: side files of the ring directory */
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "sctrace: out of memory\n");
		exit(1);
	}
	return p;
}

struct printer *printer_new(struct opts *o)
{
	struct printer *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->o = o;
	if (o->summary)
		p->sum = sct_summary_new();
	return p;
}

static struct proc *proc_get(struct printer *p, int pid, int ppid)
{
	for (size_t i = 0; i < p->nprocs; i++)
		if (p->procs[i]->pid == pid)
			return p->procs[i];
	struct proc *parent = NULL;
	for (size_t i = 0; i < p->nprocs; i++)
		if (p->procs[i]->pid == ppid)
			parent = p->procs[i];
	struct sct_fdtab *fds = parent ? sct_fdtab_clone(parent->fds)
				       : sct_fdtab_new();
	p->procs = xrealloc(p->procs, (p->nprocs + 1) * sizeof *p->procs);
	struct proc *np = xrealloc(NULL, sizeof *np);
	p->procs[p->nprocs++] = np;
	np->pid = pid;
	np->fds = fds;
	np->exec_seen = 0;
	np->exited = 0;
	if (!parent) { /* started before us: the usual three */
		sct_fdtab_set(fds, 0, "/dev/stdin");
		sct_fdtab_set(fds, 1, "/dev/stdout");
		sct_fdtab_set(fds, 2, "/dev/stderr");
	}
	return np;
}

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	if (x->rec->ts != y->rec->ts)
		return x->rec->ts < y->rec->ts ? -1 : 1;
	if (x->ring != y->ring)
		return x->ring < y->ring ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int is_exec(const struct sct_rec *r)
{
	return r->nr == __NR_execve || r->nr == __NR_execveat;
}

/* Is syscall record R in the -e trace= set (the calls -c counts)? */
static int opts_traced(const struct opts *o, const struct sct_rec *r)
{
	return !o->trace || (r->nr < SCT_NSYS && o->trace[r->nr]);
}

/* Is syscall record R shown by -e trace= and -e status=? */
int opts_wanted(const struct opts *o, const struct sct_rec *r)
{
	if (!opts_traced(o, r))
		return 0;
	if (o->status_mask && !(r->flags & SCT_RF_NORETURN)) {
		int bit = (r->flags & SCT_RF_ERROR) ? 2 : 1;
		if (!(o->status_mask & bit))
			return 0;
	}
	return 1;
}

static void put_prefix(struct printer *p, const struct sct_ring_hdr *h,
		       const struct sct_rec *r)
{
	struct sbuf *b = &p->line;
	int tid = r->tid ? (int)r->tid : (int)h->tid;
	if (!p->first_tid)
		p->first_tid = tid;
	else if (tid != p->first_tid)
		p->multi = 1;
	if (p->multi)
		sb_printf(b, "[pid %5d] ", tid);
	uint64_t real = r->ts + (uint64_t)h->real_offset;
	time_t sec = (time_t)(real / 1000000000u);
	unsigned long usec = (unsigned long)(real % 1000000000u / 1000u);
	struct tm tm;
	switch (p->o->ts) {
	case TS_T:
	case TS_TT:
		localtime_r(&sec, &tm);
		sb_printf(b, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
		if (p->o->ts == TS_TT)
			sb_printf(b, ".%06lu", usec);
		sb_putc(b, ' ');
		break;
	case TS_TTT:
		sb_printf(b, "%lld.%06lu ", (long long)sec, usec);
		break;
	default:
		break;
	}
	if (p->o->rel) {
		uint64_t d = p->last_ts && r->ts > p->last_ts ? r->ts - p->last_ts : 0;
		sb_printf(b, "%6llu.%06llu ", (unsigned long long)(d / 1000000000u),
			  (unsigned long long)(d % 1000000000u / 1000u));
		p->last_ts = r->ts;
	}
}

static void json_head(struct sbuf *b, const char *type,
		      const struct sct_ring_hdr *h, const struct sct_rec *r)
{
	sb_printf(b, "{\"type\":\"%s\",\"pid\":%u,\"tid\":%u,\"ts_ns\":%llu",
		  type, h->pid, r->tid ? r->tid : h->tid,
		  (unsigned long long)(r->ts + (uint64_t)h->real_offset));
}

/* -k: the record's symbolized stack, innermost first */
static unsigned stack_of(struct printer *p, const struct sct_ev *ev,
			 const struct sct_frame **fr)
{
	*fr = NULL;
	return p->stk ? sct_stacks_get(p->stk, ev->hdr, ev->rec, fr) : 0;
}

static void json_stack(struct printer *p, const struct sct_ev *ev)
{
	const struct sct_frame *fr;
	unsigned n = stack_of(p, ev, &fr);
	if (!n)
		return;
	sb_puts(&p->line, ",\"stack\":[");
	for (unsigned i = 0; i < n; i++) {
		if (i)
			sb_putc(&p->line, ',');
		sct_frame_json(&p->line, &fr[i]);
	}
	sb_putc(&p->line, ']');
}

void json_call_fields(struct sbuf *b, const struct sct_ev *ev,
		      const struct sct_popts *po, const struct sct_fdtab *fds)
{
	const struct sct_rec *r = ev->rec;
	const struct sct_sysent *se = r->nr < SCT_NSYS ? &sct_sysent[r->nr] : NULL;
	struct sbuf arg = { 0 };
	sb_puts(b, "\"args\":[");
	int nargs = se && se->name[0] ? se->nargs : r->nargs;
	for (int i = 0; i < nargs; i++) {
		if (se && se->args[i].cond && i > 0 &&
		    !((r->args[i - 1] & 0100) ||
		      (r->args[i - 1] & 020200000) == 020200000))
			break;
		sb_reset(&arg);
		sct_print_arg(&arg, ev, i, po, fds);
		if (i)
			sb_putc(b, ',');
		sct_json_str(b, arg.s ? arg.s : "", arg.len);
	}
	sb_free(&arg);
	sb_puts(b, "],\"ret\":");
	if (r->flags & SCT_RF_NORETURN)
		sb_puts(b, "null");
	else
		sb_printf(b, "%lld", (long long)r->ret);
	const char *en = r->err ? sct_errno_name(r->err) : NULL;
	if (r->flags & SCT_RF_ERROR) {
		if (en)
			sb_printf(b, ",\"err\":\"%s\"", en);
		else
			sb_printf(b, ",\"err\":\"%d\"", r->err);
	} else {
		sb_puts(b, ",\"err\":null");
	}
	sb_puts(b, ",\"fn\":");
	if (r->fn && r->fn < sct_nfn)
		sct_json_str(b, sct_fn_names[r->fn], strlen(sct_fn_names[r->fn]));
	else
		sb_puts(b, "null");
	sb_printf(b, ",\"via\":\"%s\"", r->via == SCT_VIA_TRAP ? "trap" : "libc");
}

static void json_syscall(struct printer *p, const struct sct_ev *ev,
			 const struct proc *pr)
{
	const struct sct_rec *r = ev->rec;
	const struct sct_sysent *se = r->nr < SCT_NSYS ? &sct_sysent[r->nr] : NULL;
	struct sbuf *b = &p->line;
	json_head(b, "syscall", ev->hdr, r);
	sb_printf(b, ",\"dur_ns\":%llu,\"name\":", (unsigned long long)r->dur);
	if (se && se->name[0])
		sct_json_str(b, se->name, strlen(se->name));
	else
		sb_printf(b, "\"syscall_%#x\"", r->nr);
	sb_printf(b, ",\"nr\":%u,", r->nr);
	json_call_fields(b, ev, &p->o->po, p->o->po.decode_fds ? pr->fds : NULL);
	json_stack(p, ev);
	sb_puts(b, "}\n");
}

static void emit(struct printer *p)
{
	FILE *fp = p->o->out;
	fwrite(p->line.s, 1, p->line.len, fp);
	sb_reset(&p->line);
}

/* START of a new image: strace shows the execve that made it. */
static void show_start(struct printer *p, const struct sct_ev *ev,
		       struct proc *pr)
{
	const struct sct_rec *r = ev->rec;
	const struct sct_blob *argv = ev->blob[6];
	struct sbuf *b = &p->line;
	if (!p->header_done && !p->o->json && p->o->summary != 1) {
		/* the header: which trap layer fed the first traced image */
		p->header_done = 1;
		sb_printf(b, "sctrace: pid %u traced, trap layer %s\n",
			  ev->hdr->pid, sct_trap_name(ev->hdr->trap_mode));
		emit(p);
	}
	if (pr->exec_seen) { /* the old image recorded the execve already */
		pr->exec_seen = 0;
		if (!p->o->json)
			return;
	}
	if (p->o->json) {
		json_head(b, "exec", ev->hdr, r);
		sb_printf(b, ",\"trap\":\"%s\",\"exe\":",
			  sct_trap_name(ev->hdr->trap_mode));
		sct_json_str(b, ev->hdr->exe, strnlen(ev->hdr->exe, sizeof ev->hdr->exe));
		sb_puts(b, ",\"argv\":[");
		if (argv) {
			const char *s = (const char *)sct_blob_data(argv);
			size_t off = 0, k = 0;
			while (off < argv->len) {
				size_t l = strnlen(s + off, argv->len - off);
				if (k++)
					sb_putc(b, ',');
				sct_json_str(b, s + off, l);
				off += l + 1;
			}
		}
		sb_puts(b, "]}\n");
		emit(p);
		return;
	}
	if ((p->o->trace && !p->o->trace[__NR_execve]) || p->o->status_mask == 2)
		return;
	put_prefix(p, ev->hdr, r);
	sb_puts(b, "execve(");
	sct_print_str(b, (const unsigned char *)ev->hdr->exe,
		      strnlen(ev->hdr->exe, sizeof ev->hdr->exe), 0, &p->o->po);
	sb_puts(b, ", [");
	if (argv) {
		const unsigned char *s = sct_blob_data(argv);
		size_t off = 0, k = 0;
		while (off < argv->len) {
			size_t l = strnlen((const char *)s + off, argv->len - off);
			if (k++)
				sb_puts(b, ", ");
			sct_print_str(b, s + off, l, 0, &p->o->po);
			off += l + 1;
		}
		if (argv->flags & SCT_BF_TRUNC)
			sb_puts(b, ", ...");
	}
	sb_printf(b, "], /* %lld vars */) = 0\n", (long long)r->ret);
	emit(p);
}

static void show_exit(struct printer *p, const struct sct_ev *ev,
		      const char *what)
{
	struct sbuf *b = &p->line;
	if (p->o->json) {
		json_head(b, "exit", ev->hdr, ev->rec);
		if (ev->rec->ret >= 0)
			sb_printf(b, ",\"status\":%lld}\n", (long long)ev->rec->ret);
		else
			sb_puts(b, ",\"status\":null}\n");
	} else {
		put_prefix(p, ev->hdr, ev->rec);
		if (ev->rec->ret >= 0)
			sb_printf(b, "+++ %s with %lld +++\n", what,
				  (long long)ev->rec->ret);
		else
			sb_printf(b, "+++ %s +++\n", what);
	}
	emit(p);
}

static void show_syscall(struct printer *p, const struct sct_ev *ev,
			 struct proc *pr)
{
	const struct sct_rec *r = ev->rec;
	const struct sct_fdtab *fds = p->o->po.decode_fds ? pr->fds : NULL;
	if (p->sum && opts_traced(p->o, r)) /* strace: -e status= is not */
		sct_summary_add(p->sum, ev);
	if (p->o->summary == 1 || !opts_wanted(p->o, r)) {
		sct_fdtab_apply(pr->fds, ev);
		return;
	}
	if (p->o->json) {
		json_syscall(p, ev, pr);
		sct_fdtab_apply(pr->fds, ev);
		emit(p);
		return;
	}
	struct sbuf *b = &p->line;
	put_prefix(p, ev->hdr, r);
	sct_print_call(b, ev, &p->o->po, fds);
	sct_fdtab_apply(pr->fds, ev);
	while (b->len < 39) /* strace aligns results */
		sb_putc(b, ' ');
	if ((r->flags & SCT_RF_NORETURN) && is_exec(r))
		sb_puts(b, " = 0"); /* a failure would have been merged */
	else
		sct_print_ret_fds(b, ev, fds);
	if (p->o->show_time && !(r->flags & SCT_RF_NORETURN))
		sb_printf(b, " <%llu.%06llu>", (unsigned long long)(r->dur / 1000000000u),
			  (unsigned long long)(r->dur % 1000000000u / 1000u));
	sb_putc(b, '\n');
	const struct sct_frame *fr;
	unsigned n = stack_of(p, ev, &fr);
	for (unsigned i = 0; i < n; i++)
		sct_frame_print(b, &fr[i], p->o->stack > 1);
	emit(p);
}

/* An execve recorded at entry and then again with its failure: show the
 * failure only.  Returns 1 when ITEM is such an entry. */
static int superseded(const struct printer *p, size_t i)
{
	const struct item *it = &p->items[i];
	if (!(it->rec->flags & SCT_RF_NORETURN) || !is_exec(it->rec))
		return 0;
	for (size_t j = i + 1; j < p->n; j++) {
		const struct item *nx = &p->items[j];
		if (nx->ring != it->ring)
			continue;
		return nx->rec->type == SCT_REC_SYSCALL && is_exec(nx->rec) &&
		       !(nx->rec->flags & SCT_RF_NORETURN) &&
		       nx->rec->ts == it->rec->ts;
	}
	return 0;
}

/* Live mode: an exec recorded at entry that is still the newest record of
 * its ring may yet be followed by its failure; wait a few drains. */
static int held_back(const struct printer *p, size_t i)
{
	const struct item *it = &p->items[i];
	if (p->final || it->age >= 20 || !(it->rec->flags & SCT_RF_NORETURN) ||
	    !is_exec(it->rec))
		return 0;
	for (size_t j = i + 1; j < p->n; j++)
		if (p->items[j].ring == it->ring)
			return 0;
	return 1;
}

static void show(struct printer *p, size_t i)
{
	const struct item *it = &p->items[i];
	struct sct_ev ev;
	sct_ev_init(&ev, it->hdr, it->rec);
	struct proc *pr = proc_get(p, (int)it->hdr->pid, (int)it->hdr->ppid);
	switch (it->rec->type) {
	case SCT_REC_SYSCALL:
		if (superseded(p, i))
			return;
		if ((it->rec->flags & SCT_RF_NORETURN) && is_exec(it->rec)) {
			/* the new image's START belongs to the exec'ing pid */
			struct proc *np = proc_get(p, it->rec->tid ? (int)it->rec->tid
								   : (int)it->hdr->pid,
						   (int)it->hdr->pid);
			np->exec_seen = 1;
		}
		show_syscall(p, &ev, pr);
		break;
	case SCT_REC_START:
		if (!p->o->summary || p->o->summary == 2)
			show_start(p, &ev, pr);
		break;
	case SCT_REC_EXIT:
		pr->exited = 1;
		if (p->o->summary != 1)
			show_exit(p, &ev, "exited");
		break;
	case SCT_REC_THREAD_EXIT:
		if (p->o->summary != 1)
			show_exit(p, &ev, "exited");
		break;
	default:
		break;
	}
}

void printer_drain(struct printer *p, struct ringset *set)
{
	if (p->o->stack && !p->stk)
		p->stk = sct_stacks_new(set->dir, p->o->stack > 1);
	for (size_t k = 0; k < set->n; k++) {
		struct sct_rring *r = set->v[k];
		const struct sct_rec *rec;
		while ((rec = sct_rring_next(r))) {
			if (p->n == p->cap) {
				p->cap = p->cap ? p->cap * 2 : 1024;
				p->items = xrealloc(p->items, p->cap * sizeof *p->items);
			}
			struct sct_rec *copy = xrealloc(NULL, rec->len);
			memcpy(copy, rec, rec->len);
			p->items[p->n++] = (struct item){ r->hdr, copy, k, p->seq++, 0 };
		}
	}
	if (p->n)
		qsort(p->items, p->n, sizeof *p->items, cmp_item);
	/* [pid N] prefixes as soon as this batch holds a second thread */
	for (size_t i = 0; i < p->n && !p->multi; i++) {
		const struct item *it = &p->items[i];
		int tid = it->rec->tid ? (int)it->rec->tid : (int)it->hdr->tid;
		if (!p->first_tid)
			p->first_tid = tid;
		else if (tid != p->first_tid)
			p->multi = 1;
	}
	size_t kept = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (held_back(p, i))
			continue;
		show(p, i);
	}
	for (size_t i = 0; i < p->n; i++) {
		if (held_back(p, i)) {
			p->items[i].age++;
			p->items[kept++] = p->items[i];
		} else {
			free(p->items[i].rec);
		}
	}
	p->n = kept;
	fflush(p->o->out);
}

static void note(struct printer *p, const struct sct_ring_hdr *h,
		 const char *type, const char *fmt, unsigned long long v)
{
	struct sbuf *b = &p->line;
	if (p->o->json) {
		sb_printf(b, "{\"type\":\"%s\",\"pid\":%u,\"tid\":%u,\"count\":%llu}\n",
			  type, h->pid, h->tid, v);
	} else {
		if (p->multi)
			sb_printf(b, "[pid %5u] ", h->tid);
		sb_printf(b, fmt, v);
		sb_putc(b, '\n');
	}
	emit(p);
}

void printer_finish(struct printer *p, struct ringset *set, int main_pid,
		    int main_status)
{
	p->final = 1;
	printer_drain(p, set);
	for (size_t k = 0; k < set->n; k++) {
		struct sct_rring *r = set->v[k];
		const struct sct_ring_hdr *h = r->hdr;
		sct_rring_refresh(r);
		if (h->lost)
			note(p, h, "lost", "+++ %llu records lost: ring full +++",
			     (unsigned long long)h->lost);
		if (h->lost_reentrant)
			note(p, h, "lost", "+++ %llu records lost: signal during record +++",
			     (unsigned long long)h->lost_reentrant);
		if (h->overwritten)
			note(p, h, "overwritten", "+++ %llu records overwritten (flight recorder) +++",
			     (unsigned long long)h->overwritten);
		if (r->torn_at != SCT_NO_WIP)
			note(p, h, "torn", "+++ torn record at byte %llu: writer died mid-write +++",
			     (unsigned long long)r->torn_at);
		if (r->writer_dead && h->state == SCT_STATE_LIVE &&
		    (int)h->pid != main_pid && h->tid == h->pid)
			note(p, h, "killed", "+++ died without an exit record (killed?)%.0llu +++", 0);
	}
	struct proc *mp = main_pid > 0 ? proc_get(p, main_pid, 0) : NULL;
	if (mp && !mp->exited && p->o->summary != 1) {
		struct sbuf *b = &p->line;
		if (p->o->json) {
			sb_printf(b, "{\"type\":\"exit\",\"pid\":%d,\"tid\":%d", main_pid, main_pid);
			if (WIFSIGNALED(main_status))
				sb_printf(b, ",\"signal\":\"%s\"}\n",
					  sct_signal_name(WTERMSIG(main_status)) ?: "?");
			else
				sb_printf(b, ",\"status\":%d}\n", WEXITSTATUS(main_status));
		} else {
			if (p->multi)
				sb_printf(b, "[pid %5d] ", main_pid);
			if (WIFSIGNALED(main_status))
				sb_printf(b, "+++ killed by %s%s +++\n",
					  sct_signal_name(WTERMSIG(main_status)) ?: "signal",
					  WCOREDUMP(main_status) ? " (core dumped)" : "");
			else
				sb_printf(b, "+++ exited with %d +++\n",
					  WEXITSTATUS(main_status));
		}
		emit(p);
	}
	if (p->sum)
		sct_summary_print(p->o->out, p->sum);
	fflush(p->o->out);
}

void printer_free(struct printer *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nprocs; i++) {
		sct_fdtab_free(p->procs[i]->fds);
		free(p->procs[i]);
	}
	free(p->procs);
	free(p->items);
	sb_free(&p->line);
	if (p->sum)
		sct_summary_free(p->sum);
	sct_stacks_free(p->stk);
	free(p);
}
