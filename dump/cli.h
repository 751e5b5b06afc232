/* The sctrace command: options, ring sets, output (main.c, run.c, output.c). */
#ifndef SCT_CLI_H
#define SCT_CLI_H

#include "dump.h"

enum ts_mode { TS_NONE, TS_T, TS_TT, TS_TTT };

struct opts {
	const char *outfile;   /* -o */
	FILE *out;
	struct sct_popts po;   /* -s -x -y */
	enum ts_mode ts;       /* -t -tt -ttt */
	int rel;               /* -r */
	int show_time;         /* -T */
	int summary;           /* -c: 1 summary only, 2 (-C) both */
	int json;              /* --json */
	int status_mask;       /* bit 0 successful, bit 1 failed; 0 = all */
	unsigned char *trace;  /* per syscall number: shown; NULL = all */
	int follow;            /* dump --follow */
	int keep;              /* run: keep the ring directory */
	const char *dir;       /* ring directory (run: -D, dump: argument) */
	unsigned capture;      /* bytes captured by the preload (SCTRACE_STRSIZE) */
	const char *ring_size; /* SCTRACE_RING_SIZE */
	int overwrite;         /* flight recorder */
	int stack;             /* -k: 1 caller stacks, 2 (-kk) with file:line */
	/* report and export */
	enum { SORT_TIME, SORT_CALLS, SORT_ERRORS } sort; /* report --sort */
	unsigned long top;     /* report --top N (0: all) */
	int by_frame;          /* report --by=frame */
	enum { FMT_NONE, FMT_CHROME, FMT_FOLDED } format; /* export --format */
	int weight_count;      /* export --weight=count */
};

/* Is syscall record R shown by -e trace= and -e status=? */
int opts_wanted(const struct opts *o, const struct sct_rec *r);

/* output.c */
struct printer;
struct printer *printer_new(struct opts *o);
/* Print every record of SET that is ready, in timestamp order. */
struct ringset;
void printer_drain(struct printer *p, struct ringset *set);
/* End of trace: loss, torn and exit lines; the summary with -c. */
void printer_finish(struct printer *p, struct ringset *set, int main_pid,
		    int main_status);
void printer_free(struct printer *p);
/* JSON "args":[...],"ret":..,"err":..,"fn":..,"via":".." of a syscall */
void json_call_fields(struct sbuf *b, const struct sct_ev *ev,
		      const struct sct_popts *po, const struct sct_fdtab *fds);

/* run.c */
struct ringset {
	char *dir;
	struct sct_rring **v;
	size_t n, cap;
	int live;
};
/* Open rings of DIR not opened yet; returns the number found, -1 with a
 * message printed when DIR cannot be read. */
int ringset_scan(struct ringset *s);
void ringset_free(struct ringset *s);
int cmd_run(struct opts *o, char **argv);
int cmd_dump(struct opts *o);
int cmd_ls(const char *dir);
int cmd_clean(const char *dir);

/* report.c, export.c */
/* Call FN for every syscall record of DIR's rings that -e keeps; -1 with a
 * message printed when DIR has no rings. */
int trace_foreach(const struct opts *o, const char *dir,
		  void (*fn)(void *ctx, const struct sct_ring_hdr *h,
			     const struct sct_rec *r),
		  void *ctx);
int cmd_report(struct opts *o);
int cmd_export(struct opts *o);
const char *default_dir(void);

#endif
