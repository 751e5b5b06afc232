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
};

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
const char *default_dir(void);

#endif
