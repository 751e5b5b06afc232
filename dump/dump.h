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
	const unsigned char *stage;   /* the staging area (ring.h), or NULL */
	uint64_t stage_size;
	uint64_t pos;                 /* next record to read */
	uint64_t torn_at;             /* SCT_NO_WIP or position of a torn record */
	uint64_t overrun;             /* records the reader lost to the writer */
	int writer_dead;              /* the process no longer exists */
	int gone;                     /* ... its writer thread neither (its
					 stores are final) */
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
/* Re-read liveness (writer alive, state; a torn record where it died). */
void sct_rring_refresh(struct sct_rring *r);
/* Records committed to the ring (hdr->records is published lazily: those
 * after the published head are counted from the data). */
uint64_t sct_rring_records(const struct sct_rring *r);

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

/* --- string-keyed hash map (dump/hmap.c) ------------------------------------*/
struct sct_hent {
	char *key;     /* NUL-terminated copy; NULL: free slot */
	size_t klen;
	uint64_t hash;
	void *val;     /* the caller's */
};
struct sct_hmap {
	struct sct_hent *v;
	size_t n, cap;
};
/* The entry of KEY; with CREATE a new one (val NULL) when missing, else
 * NULL.  Entry pointers are valid until the next creating call. */
struct sct_hent *sct_hmap_get(struct sct_hmap *m, const char *key, int create);
struct sct_hent *sct_hmap_getn(struct sct_hmap *m, const char *key, size_t n,
			       int create);
/* A copy of S owned by the map, the same pointer for equal strings. */
const char *sct_hmap_intern(struct sct_hmap *m, const char *s);
void sct_hmap_free(struct sct_hmap *m, void (*free_val)(void *));
/* calloc and realloc that exit with a message when memory runs out */
void *sct_xcalloc(size_t n, size_t sz);
void *sct_xrealloc(void *p, size_t n);

/* --- side files: caller stacks and module log (dump/stack_read.c) ----------*/
struct sct_mod {               /* one module log entry, copied out */
	uint64_t ts, start, end, offset;
	unsigned op;           /* SCT_MOD_MAP, SCT_MOD_UNMAP */
	size_t order;          /* position in the log */
	char *path;
};
struct sct_stkfile {
	char *path;
	const unsigned char *map; /* the file, read-only, as long as it was */
	uint64_t size;
	uint32_t depth, nslots, slot_size;
	uint64_t mod_off, mod_size; /* module log clamped to the mapping */
	uint64_t mod_seen;     /* mod_head at the last parse */
	int mod_partial;       /* last parse met an unfinished entry */
	int mod_corrupt;       /* last parse stopped at a bad entry */
	struct sct_mod *mods;  /* by ts, then log order */
	size_t nmods;
};
/* Open and check a side file.  NULL with a one-line message in ERR when it
 * cannot be used at all; a usable but damaged file (truncated) is opened
 * with its warning in ERR.  Every later read is checked against the file. */
struct sct_stkfile *sct_stkfile_open(const char *path, char *err,
				     size_t errlen);
void sct_stkfile_close(struct sct_stkfile *f);
/* The ips of stack ID (innermost first) into IPS[0..MAX); 0 when unknown. */
unsigned sct_stkfile_stack(const struct sct_stkfile *f, uint32_t id,
			   uint64_t *ips, unsigned max);
/* Re-read the module log when the writer added to it. */
void sct_stkfile_mods_update(struct sct_stkfile *f);
/* Entries with ts <= TS: the log as it was at TS (an "epoch"). */
size_t sct_stkfile_epoch(const struct sct_stkfile *f, uint64_t ts);
/* The MAP entry that maps IP in the log's first EPOCH entries (the latest
 * entry covering IP decides; an UNMAP means nothing), else the first later
 * MAP covering IP, else NULL. */
const struct sct_mod *sct_stkfile_module(const struct sct_stkfile *f,
					 uint64_t ip, size_t epoch);

/* --- symbolization (dump/sym.c, with elfutils) ------------------------------*/
struct sct_frame {
	uint64_t ip;           /* absolute, as recorded */
	const char *obj;       /* mapped file (or "[vdso]"), NULL: unknown */
	uint64_t addr;         /* ip - load bias: the file's own address */
	uint64_t foff;         /* ip's offset in the file (strace -k's
				  [0x...]: the same as addr in most shared
				  objects and PIE, not in a non-PIE program) */
	const char *sym;       /* NULL: no symbol */
	uint64_t off;          /* ip - symbol address */
	const char *file;      /* source file (lines only), or NULL */
	int line;              /* 0: unknown */
};
struct sct_sym;
struct sct_sym *sct_sym_new(int lines);
void sct_sym_free(struct sct_sym *s);
/* Fill F for IP inside module entry M (NULL: unknown module).  Strings in
 * F live as long as S. */
void sct_sym_resolve(struct sct_sym *s, const struct sct_mod *m, uint64_t ip,
		     struct sct_frame *f);

/* --- stacks of a ring directory (dump/stacks.c) ----------------------------*/
struct sct_stacks;
/* LINES: also source file:line (-kk). */
struct sct_stacks *sct_stacks_new(const char *dir, int lines);
void sct_stacks_free(struct sct_stacks *s);
/* The symbolized stack of record R of a ring with header H, innermost
 * first: count, 0 when R has none (or its side file is unusable, warned
 * about once).  *OUT stays valid until sct_stacks_free. */
unsigned sct_stacks_get(struct sct_stacks *s, const struct sct_ring_hdr *h,
			const struct sct_rec *r, const struct sct_frame **out);
/* strace -k line: " > /lib/libc.so.6(__write+0x10) [0xf8350]
", with
 * LINES " file.c:12" before the newline when known. */
void sct_frame_print(struct sbuf *b, const struct sct_frame *f, int lines);
/* JSON object of a frame: {"ip":"0x..","obj":..,"addr":..,"sym":..,
 * "off":..,"file":..,"line":..} (null for unknown). */
void sct_frame_json(struct sbuf *b, const struct sct_frame *f);
/* "sym" or "obj+0xaddr" (basename of obj), "[unknown]" (folded stacks) */
void sct_frame_short(struct sbuf *b, const struct sct_frame *f);
/* Is F in libc, the dynamic loader or sctrace itself (report --by=frame)? */
int sct_frame_is_runtime(const struct sct_frame *f);
/* JSON string (with quotes), escaped. */
void sct_json_str(struct sbuf *b, const char *s, size_t n);

/* "sud", "seccomp" or "off": the trap layer that fed a ring */
static inline const char *sct_trap_name(unsigned mode)
{
	return mode == SCT_TRAP_SUD ? "sud" : mode == SCT_TRAP_SECCOMP ? "seccomp" : "off";
}

#endif
