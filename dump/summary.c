/* -c: strace's call summary table.
 *
 * % time     seconds  usecs/call     calls    errors syscall
 * ------ ----------- ----------- --------- --------- ----------------
 *  54.64    0.000853         853         1           execve
 * ------ ----------- ----------- --------- --------- ----------------
 * 100.00    0.001561          53        29         1 total
 *
 * Sorted by time, then by syscall number; the name column is as wide as
 * the longest name plus one, at least 16.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <string.h>

#include "dump.h"

struct sysstat {
	unsigned long long calls, errors, ns;
};

struct sct_summary {
	struct sysstat s[SCT_NSYS];
};

struct row {
	unsigned nr;
	const struct sysstat *st;
	char name[SCT_NAME_MAX];
};

struct sct_summary *sct_summary_new(void)
{
	return calloc(1, sizeof(struct sct_summary));
}

void sct_summary_free(struct sct_summary *s)
{
	free(s);
}

void sct_summary_add(struct sct_summary *s, const struct sct_ev *ev)
{
	const struct sct_rec *r = ev->rec;
	if (!s || r->type != SCT_REC_SYSCALL || r->nr >= SCT_NSYS)
		return;
	struct sysstat *st = &s->s[r->nr];
	st->calls++;
	st->ns += r->dur;
	if (r->flags & SCT_RF_NORETURN)
		return;
	if ((r->flags & SCT_RF_ERROR) ||
	    (sct_sysent[r->nr].name[0] && sct_sysent[r->nr].ret == SCT_R_errret &&
	     r->ret > 0))
		st->errors++;
}

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->st->ns != y->st->ns)
		return x->st->ns > y->st->ns ? -1 : 1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

static void dashes(FILE *fp, size_t width)
{
	fputs("------ ----------- ----------- --------- --------- ", fp);
	for (size_t i = 0; i < width; i++)
		fputc('-', fp);
	fputc('\n', fp);
}

void sct_summary_print(FILE *fp, const struct sct_summary *s)
{
	struct row *rows = malloc(SCT_NSYS * sizeof *rows);
	if (!s || !rows) {
		free(rows);
		return;
	}
	size_t n = 0, width = 16;
	unsigned long long calls = 0, errors = 0, ns = 0;
	for (unsigned nr = 0; nr < SCT_NSYS; nr++) {
		const struct sysstat *st = &s->s[nr];
		if (!st->calls)
			continue;
		struct row *rw = &rows[n++];
		rw->nr = nr;
		rw->st = st;
		if (sct_sysent[nr].name[0])
			snprintf(rw->name, sizeof rw->name, "%.*s", SCT_NAME_MAX - 1,
				 sct_sysent[nr].name);
		else
			snprintf(rw->name, sizeof rw->name, "syscall_%#x", nr);
		if (strlen(rw->name) + 1 > width)
			width = strlen(rw->name) + 1;
		calls += st->calls;
		errors += st->errors;
		ns += st->ns;
	}
	qsort(rows, n, sizeof *rows, cmp_row);
	fputs("% time     seconds  usecs/call     calls    errors syscall\n",
	      fp);
	dashes(fp, width);
	for (size_t i = 0; i < n; i++) {
		const struct sysstat *st = rows[i].st;
		double pct = ns ? 100.0 * (double)st->ns / (double)ns : 0.0;
		fprintf(fp, "%6.2f %11.6f %11llu %9llu %9.llu %s\n", pct,
			(double)st->ns / 1e9, st->ns / 1000 / st->calls,
			st->calls, st->errors, rows[i].name);
	}
	dashes(fp, width);
	fprintf(fp, "%6.2f %11.6f %11llu %9llu %9.llu %s\n", 100.0,
		(double)ns / 1e9, calls ? ns / 1000 / calls : 0, calls, errors,
		"total");
	free(rows);
}
