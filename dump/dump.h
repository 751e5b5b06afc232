/* Internal interface of the sctrace command (dump/). */
#ifndef SCT_DUMP_H
#define SCT_DUMP_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sctrace/kinds.h"
#include "sctrace/ring.h"

/* --- growable string ------------------------------------------------------ */
struct sbuf {
	char *s;
	size_t len, cap;
};
void sb_putc(struct sbuf *b, char c);
void sb_puts(struct sbuf *b, const char *s);
void sb_putn(struct sbuf *b, const char *s, size_t n);
void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_reset(struct sbuf *b);
void sb_free(struct sbuf *b);

/* --- one traced thread's ring, opened by the reader (dump/ring_read.c) ---- */
struct sct_rring {
	char *path;
	struct sct_ring_hdr *hdr;     /* mapped read-only (shared) */
	const unsigned char *data;
	uint64_t size;                /* data area bytes */
	uint64_t pos;                 /* next record to read */
	uint64_t torn_at;             /* SCT_NO_WIP or position of a torn record */
	uint64_t overrun;             /* records the reader lost to the writer */
	int writer_dead;              /* the process no longer exists */
	int live;                     /* reader updates hdr->consumed */
	unsigned char *copy;          /* scratch for one record */
	size_t copy_cap;
	void *user;                   /* per-ring state of the printer */
};

/* Open a ring file; returns NULL and sets *err to a one-line message. */
struct sct_rring *sct_rring_open(const char *path, int live, char *err,
				 size_t errlen);
void sct_rring_close(struct sct_rring *r);
/* Next committed record copied into r->copy, or NULL when none is ready.
 * Validates sizes; a record that fails validation ends the ring (flagged
 * in torn_at). */
const struct sct_rec *sct_rring_next(struct sct_rring *r);
/* Re-read liveness (writer pid alive, state, wip). */
void sct_rring_refresh(struct sct_rring *r);

/* --- a decoded event --------------------------------------------------------*/
struct sct_ev {
	const struct sct_ring_hdr *hdr; /* pid, tid, exe, str_max, real_offset */
	const struct sct_rec *rec;
	const struct sct_blob *blob[7]; /* per argument; [6] = argument 0xff */
};
/* Fill ev->blob[] from the record's blobs (bounded by rec->len). */
void sct_ev_init(struct sct_ev *ev, const struct sct_ring_hdr *hdr,
		 const struct sct_rec *rec);
static inline const unsigned char *sct_blob_data(const struct sct_blob *b)
{
	return (const unsigned char *)(b + 1);
}

/* --- fd -> path table, per process (dump/fdtab.c), for -y --------------- */
struct sct_fdtab;
struct sct_fdtab *sct_fdtab_new(void);
struct sct_fdtab *sct_fdtab_clone(const struct sct_fdtab *t); /* fork */
void sct_fdtab_free(struct sct_fdtab *t);
const char *sct_fdtab_get(const struct sct_fdtab *t, int fd); /* or NULL */
void sct_fdtab_set(struct sct_fdtab *t, int fd, const char *path);
/* Apply what a completed syscall did to the fd table (open, close, dup,
 * pipe, socket, fcntl F_DUPFD, exec closing O_CLOEXEC fds...). */
void sct_fdtab_apply(struct sct_fdtab *t, const struct sct_ev *ev);

/* --- argument printers (dump/print.c), one per kind -------------------------*/
struct sct_popts {
	unsigned strsize; /* -s N: bytes of strings shown (default 32) */
	int xlevel;       /* -x: 1 non-ASCII strings in hex, -xx: 2 all hex */
	int decode_fds;   /* -y */
};
/* "name(arg, arg, ...)" strace style, with fd paths from FDS (may be NULL). */
void sct_print_call(struct sbuf *o, const struct sct_ev *ev,
		    const struct sct_popts *po, const struct sct_fdtab *fds);
/* Just argument I as strace renders it (for JSON "args"). */
void sct_print_arg(struct sbuf *o, const struct sct_ev *ev, int i,
		   const struct sct_popts *po, const struct sct_fdtab *fds);
/* " = 3", " = -1 ENOENT (No such file or directory)", " = ?", " = 0x7f..." */
void sct_print_ret(struct sbuf *o, const struct sct_ev *ev);
/* sct_print_ret plus, with FDS (the table after sct_fdtab_apply), -y on a
 * returned fd: " = 3</etc/passwd>" */
void sct_print_ret_fds(struct sbuf *o, const struct sct_ev *ev,
		       const struct sct_fdtab *fds);
/* Argument I printed as kind D, whatever the table says (tests). */
void sct_print_kind(struct sbuf *o, const struct sct_ev *ev, int i,
		    const struct sct_argdesc *d, const struct sct_popts *po,
		    const struct sct_fdtab *fds);
/* Quoted, escaped string as strace prints it; TRUNC appends "...". */
void sct_print_str(struct sbuf *o, const unsigned char *s, size_t n, int trunc,
		   const struct sct_popts *po);
void sct_print_xlat(struct sbuf *o, const struct sct_xlat *x,
		    unsigned long long v);
const char *sct_errno_name(int err);   /* "ENOENT" or NULL */
const char *sct_signal_name(int sig);  /* "SIGTERM" or NULL */

/* --- -c summary (dump/summary.c) --------------------------------------------*/
struct sct_summary;
struct sct_summary *sct_summary_new(void);
void sct_summary_add(struct sct_summary *s, const struct sct_ev *ev);
/* strace -c table: % time, seconds, usecs/call, calls, errors, syscall. */
void sct_summary_print(FILE *fp, const struct sct_summary *s);
void sct_summary_free(struct sct_summary *s);

/* "sud", "seccomp" or "off": the trap layer that fed a ring */
static inline const char *sct_trap_name(unsigned mode)
{
	return mode == SCT_TRAP_SUD ? "sud" : mode == SCT_TRAP_SECCOMP ? "seccomp" : "off";
}

#endif
