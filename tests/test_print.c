/* Unit test of the dumper's printers (dump/print.c, fdtab.c, summary.c):
 * fake records with blobs, checked against the text strace 6.1 prints for
 * the same calls.  TAP output. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* statx, O_TMPFILE, GNU strerror_r */
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "dump.h"

/* in print.c, not (yet) in dump.h */
void sct_print_kind(struct sbuf *o, const struct sct_ev *ev, int i,
		    const struct sct_argdesc *d, const struct sct_popts *po,
		    const struct sct_fdtab *fds);
void sct_print_ret_fds(struct sbuf *o, const struct sct_ev *ev,
		       const struct sct_fdtab *fds);

/* --- minimal TAP ------------------------------------------------------------ */
static int test_no, failed;

static void ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%s %d - ", cond ? "ok" : "not ok", ++test_no);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		failed++;
}

static void skip(const char *why)
{
	printf("ok %d # SKIP %s\n", ++test_no, why);
}

static void is_str(const char *got, const char *want, const char *name)
{
	ok(strcmp(got ? got : "(null)", want) == 0, "%s", name);
	if (strcmp(got ? got : "(null)", want) != 0)
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
		       want);
}

/* --- fake records ------------------------------------------------------------ */
struct fake {
	uint64_t mem[2048];
	struct sct_ev ev;
	struct sct_ring_hdr hdr;
};

static struct sct_rec *rec_init(struct fake *f, int nr)
{
	memset(f, 0, sizeof *f);
	struct sct_rec *r = (struct sct_rec *)f->mem;
	r->len = sizeof *r;
	r->type = SCT_REC_SYSCALL;
	r->nr = (uint16_t)nr;
	r->nargs = 6;
	return r;
}

static void blob(struct fake *f, int arg, int flags, const void *data,
		 size_t len)
{
	struct sct_rec *r = (struct sct_rec *)f->mem;
	struct sct_blob *b = (struct sct_blob *)((char *)f->mem + r->len);
	b->arg = (uint8_t)arg;
	b->flags = (uint8_t)flags;
	b->len = (uint32_t)len;
	memcpy(b + 1, data, len);
	r->len += (uint32_t)SCT_ALIGN(sizeof *b + len);
	r->nblobs++;
}

static const struct sct_ev *ev_of(struct fake *f)
{
	struct sct_rec *r = (struct sct_rec *)f->mem;
	memset(&f->ev, 0, sizeof f->ev);
	f->ev.hdr = &f->hdr;
	f->ev.rec = r;
	size_t off = sizeof *r;
	for (unsigned i = 0; i < r->nblobs && off + 8 <= r->len; i++) {
		const struct sct_blob *b =
			(const struct sct_blob *)((char *)f->mem + off);
		f->ev.blob[b->arg < 6 ? b->arg : 6] = b;
		off += SCT_ALIGN(sizeof *b + b->len);
	}
	return &f->ev;
}

static int sysnr(const char *name)
{
	for (int nr = 0; nr < SCT_NSYS; nr++)
		if (sct_sysent[nr].name[0] &&
		    strcmp(sct_sysent[nr].name, name) == 0)
			return nr;
	return -1;
}

static const struct sct_xlat *xlat_named(const char *name)
{
	for (unsigned i = 1; i < sct_nxlat; i++)
		if (sct_xlats[i] && strcmp(sct_xlats[i]->name, name) == 0)
			return sct_xlats[i];
	return NULL;
}

static struct sbuf out;
static struct sct_popts po = { 32, 0, 0 };

/* Print argument 0 of a record of kind K with a blob of DATA (NULL: none). */
static const char *kind(int k, uint64_t v, const void *data, size_t len,
			int flags)
{
	struct fake *f = calloc(1, sizeof *f);
	struct sct_rec *r = rec_init(f, 0);
	r->args[0] = v;
	if (data)
		blob(f, 0, flags, data, len);
	struct sct_argdesc d = { (unsigned char)k, 0, 0, 0 };
	sb_reset(&out);
	sct_print_kind(&out, ev_of(f), 0, &d, &po, NULL);
	free(f);
	return out.s ? out.s : "";
}

static const char *str(const char *s, size_t n, int trunc)
{
	sb_reset(&out);
	sct_print_str(&out, (const unsigned char *)s, n, trunc, &po);
	return out.s;
}

static const char *xlat(const struct sct_xlat *x, unsigned long long v)
{
	sb_reset(&out);
	sct_print_xlat(&out, x, v);
	return out.s;
}

/* --- tests ------------------------------------------------------------------- */
static void test_strings(void)
{
	static const char mix[] = "a\001"
				  "8b\0017c\tx\n\"\\\r\v\f\177\377\200z\0q\0he";
	is_str(str(mix, 24, 0),
	       "\"a\\18b\\0017c\\tx\\n\\\"\\\\\\r\\v\\f\\177\\377\\200z\\0q\\0he\"",
	       "escapes, shortest octal unless an octal digit follows");
	is_str(str("hello\n", 6, 0), "\"hello\\n\"", "plain string");
	is_str(str("abcdefghijklmnopqrstuvwxyz0123456789ABCDEF", 42, 0),
	       "\"abcdefghijklmnopqrstuvwxyz012345\"...", "cut at -s 32");
	is_str(str("\0\0\0", 3, 0), "\"\\0\\0\\0\"", "NULs");
	is_str(str("\0"
		   "1",
		   2, 0),
	       "\"\\0001\"", "NUL before a digit");
	is_str(str("\0"
		   "8",
		   2, 0),
	       "\"\\08\"", "NUL before 8 (not octal)");
	is_str(str("\351t\351", 3, 0), "\"\\351t\\351\"",
	       "high bytes in octal");
	is_str(str("abc", 3, 1), "\"abc\"...", "TRUNC adds ...");
	is_str(str("", 0, 0), "\"\"", "empty");
	po.strsize = 5;
	is_str(str("0123456789", 10, 0), "\"01234\"...", "-s 5");
	po.strsize = 32;
	po.xlevel = 1;
	is_str(str(mix, 24, 0),
	       "\"\\x61\\x01\\x38\\x62\\x01\\x37\\x63\\x09\\x78\\x0a\\x22\\x5c\\x0d"
	       "\\x0b\\x0c\\x7f\\xff\\x80\\x7a\\x00\\x71\\x00\\x68\\x65\"",
	       "-x: a non-ASCII string all in hex");
	is_str(str("hello\n", 6, 0), "\"hello\\n\"",
	       "-x: ASCII string unchanged");
	is_str(str("\t\n", 2, 0), "\"\\t\\n\"", "-x: whitespace escapes kept");
	po.xlevel = 2;
	is_str(str("hello\n", 6, 0), "\"\\x68\\x65\\x6c\\x6c\\x6f\\x0a\"",
	       "-xx");
	po.xlevel = 0;
}

static void test_xlat(void)
{
	const struct sct_xlat *o = xlat_named("open"), *m = xlat_named("mmap"),
			      *p = xlat_named("prot");
	if (o) {
		is_str(xlat(o, O_RDONLY | O_CLOEXEC), "O_RDONLY|O_CLOEXEC",
		       "open flags");
		is_str(xlat(o, O_WRONLY | O_CREAT | O_TRUNC),
		       "O_WRONLY|O_CREAT|O_TRUNC", "open flags with O_CREAT");
		is_str(xlat(o, O_RDWR | O_APPEND | 0x40000000),
		       "O_RDWR|O_APPEND|0x40000000", "unknown open bit");
		is_str(xlat(o, O_RDWR | O_TMPFILE), "O_RDWR|O_TMPFILE",
		       "O_TMPFILE");
		is_str(xlat(o, O_DIRECTORY), "O_RDONLY|O_DIRECTORY",
		       "O_DIRECTORY");
		is_str(xlat(o, 0), "O_RDONLY", "open 0");
	} else {
		skip("no open xlat");
	}
	if (m) {
		is_str(xlat(m, 0x22), "MAP_PRIVATE|MAP_ANONYMOUS",
		       "mmap flags");
		is_str(xlat(m, 0x1 | 0x100000 | 0x1000000),
		       "MAP_SHARED|MAP_FIXED_NOREPLACE|0x1000000",
		       "mmap unknown bit");
		is_str(xlat(m, 0x3), "MAP_SHARED_VALIDATE", "mmap type field");
	} else {
		skip("no mmap xlat");
	}
	if (p) {
		is_str(xlat(p, 3), "PROT_READ|PROT_WRITE", "prot");
		is_str(xlat(p, 0), "PROT_NONE", "prot 0");
		is_str(xlat(p, 0x80), "0x80 /* PROT_??? */",
		       "prot unknown only");
	} else {
		skip("no prot xlat");
	}
	static const struct sct_xlat_ent se[] = {
		{ 0, "SEEK_SET" },
		{ 1, "SEEK_CUR" },
		{ 2, "SEEK_END" },
	};
	static const struct sct_xlat seek = { "seek", 0, 3, se, 0 };
	is_str(xlat(&seek, 1), "SEEK_CUR", "enum");
	is_str(xlat(&seek, 7), "0x7 /* SEEK_??? */", "unknown enum");
	static const struct sct_xlat_ent fe[] = { { 1, "X_A" }, { 4, "X_B" } };
	static const struct sct_xlat fl = { "x", 1, 2, fe, 0 };
	is_str(xlat(&fl, 0), "0", "flags 0 without a 0 entry");
	is_str(xlat(&fl, 5), "X_A|X_B", "flags");
	static const struct sct_xlat_ent me[] = {
		{ 0, "M_FILE" },
		{ 1, "M_SHARED" },
		{ 2, "M_PRIVATE" },
		{ 0x20, "M_ANON" },
	};
	static const struct sct_xlat mf = { "m", 1, 4, me, 0xf };
	is_str(xlat(&mf, 0x20), "M_FILE|M_ANON", "field value 0");
	is_str(xlat(&mf, 0), "M_FILE", "field, all 0");
	is_str(xlat(&mf, 0x2f), "0xf /* M_??? */|M_ANON",
	       "unknown field value");
	is_str(xlat(&mf, 0x1040), "M_FILE|0x1040", "field and unknown bits");
}

static void test_scalars(void)
{
	is_str(kind(SCT_K_int, (uint64_t)-1, NULL, 0, 0), "-1", "int");
	is_str(kind(SCT_K_uint, 0xffffffffULL, NULL, 0, 0), "4294967295",
	       "uint");
	is_str(kind(SCT_K_off, (uint64_t)-5, NULL, 0, 0), "-5", "off");
	is_str(kind(SCT_K_size, 4096, NULL, 0, 0), "4096", "size");
	is_str(kind(SCT_K_hex, 0x1f, NULL, 0, 0), "0x1f", "hex");
	is_str(kind(SCT_K_hex, 0, NULL, 0, 0), "0", "hex 0");
	is_str(kind(SCT_K_ptr, 0, NULL, 0, 0), "NULL", "ptr NULL");
	is_str(kind(SCT_K_ptr, 0x7ffd1000, NULL, 0, 0), "0x7ffd1000", "ptr");
	is_str(kind(SCT_K_fd, 3, NULL, 0, 0), "3", "fd");
	is_str(kind(SCT_K_dirfd, (uint64_t)(int64_t)AT_FDCWD, NULL, 0, 0),
	       "AT_FDCWD", "AT_FDCWD");
	is_str(kind(SCT_K_dirfd, 5, NULL, 0, 0), "5", "dirfd");
	is_str(kind(SCT_K_uid, 0xffffffffULL, NULL, 0, 0), "-1", "uid -1");
	is_str(kind(SCT_K_uid, 1000, NULL, 0, 0), "1000", "uid");
	is_str(kind(SCT_K_sig, 15, NULL, 0, 0), "SIGTERM", "signal");
	is_str(kind(SCT_K_sig, 0, NULL, 0, 0), "0", "signal 0");
	is_str(kind(SCT_K_sig, 37, NULL, 0, 0), "SIGRT_5", "glibc SIGRTMIN+3");
	is_str(kind(SCT_K_sig, 65, NULL, 0, 0), "65", "signal 65");
	is_str(kind(SCT_K_mode, 0644, NULL, 0, 0), "0644", "mode");
	is_str(kind(SCT_K_mode, 0, NULL, 0, 0), "000", "mode 0");
	is_str(kind(SCT_K_mode, 04755, NULL, 0, 0), "04755", "mode setuid");
	is_str(kind(SCT_K_mode, S_IFIFO | 0644, NULL, 0, 0), "S_IFIFO|0644",
	       "mode fifo");
	is_str(kind(SCT_K_mode, S_IFREG | 04755, NULL, 0, 0),
	       "S_IFREG|S_ISUID|0755", "mode reg setuid");
	is_str(kind(SCT_K_mode, 0170777, NULL, 0, 0), "0170777",
	       "mode bad type");
}

static void test_strings_kinds(void)
{
	is_str(kind(SCT_K_path, 0x1000, "/etc/passwd", 11, 0),
	       "\"/etc/passwd\"", "path");
	is_str(kind(SCT_K_path, 0, NULL, 0, 0), "NULL", "path NULL");
	is_str(kind(SCT_K_path, 0x1000, NULL, 0, 0), "0x1000",
	       "path without blob");
	is_str(kind(SCT_K_path, 0x1000, "x", 1, SCT_BF_FAULT), "0x1000",
	       "path fault");
	is_str(kind(SCT_K_bufout, 0x2000, "root:x:0:0", 10, SCT_BF_OUT),
	       "\"root:x:0:0\"", "bufout");
	is_str(kind(SCT_K_bufout, 0x2000, NULL, 0, 0), "0x2000",
	       "bufout not captured");
	is_str(kind(SCT_K_bufin, 0x2000, "abc", 3, SCT_BF_TRUNC), "\"abc\"...",
	       "bufin TRUNC");
	static const char av[] = "/nonexist\0-l\0a b";
	is_str(kind(SCT_K_argv, 0x3000, av, sizeof av, 0),
	       "[\"/nonexist\", \"-l\", \"a b\"]", "argv");
	is_str(kind(SCT_K_argv, 0x3000, "a\0b", 4, SCT_BF_TRUNC),
	       "[\"a\", \"b\", ...]", "argv TRUNC");
	is_str(kind(SCT_K_argv, 0x3000, "", 0, 0), "[]", "argv empty");
	is_str(kind(SCT_K_argv, 0, NULL, 0, 0), "NULL", "argv NULL");
	po.strsize = 5;
	is_str(kind(SCT_K_argv, 0x3000, "x\0x\0x\0x\0x\0x\0x", 14, 0),
	       "[\"x\", \"x\", \"x\", \"x\", \"x\", ...]",
	       "argv -s 5: 5 entries");
	po.strsize = 32;
	uint32_t n = 2;
	is_str(kind(SCT_K_envp, 0x7ffdb6319c40, &n, 4, 0),
	       "0x7ffdb6319c40 /* 2 vars */", "envp");
	n = 1;
	is_str(kind(SCT_K_envp, 0x7ffdb6319c40, &n, 4, 0),
	       "0x7ffdb6319c40 /* 1 var */", "envp 1");
	is_str(kind(SCT_K_envp, 0, NULL, 0, 0), "NULL", "envp NULL");
}

static void test_structs(void)
{
	struct stat st;
	memset(&st, 0, sizeof st);
	st.st_mode = S_IFREG | 0644;
	st.st_size = 1221;
	is_str(kind(SCT_K_stat, 0x1000, &st, sizeof st, SCT_BF_OUT),
	       "{st_mode=S_IFREG|0644, st_size=1221, ...}", "stat regular");
	st.st_mode = S_IFCHR | 0666;
	st.st_rdev = makedev(1, 3);
	is_str(kind(SCT_K_stat, 0x1000, &st, sizeof st, SCT_BF_OUT),
	       "{st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}",
	       "stat chardev");
	st.st_mode = S_IFDIR | S_ISVTX | 0777;
	st.st_size = 4096;
	is_str(kind(SCT_K_stat, 0x1000, &st, sizeof st, SCT_BF_OUT),
	       "{st_mode=S_IFDIR|S_ISVTX|0777, st_size=4096, ...}",
	       "stat sticky dir");
	is_str(kind(SCT_K_stat, 0x7ffc10, NULL, 0, 0), "0x7ffc10",
	       "stat failed: pointer");
	/* what the preload captures: st_mode to st_size */
	is_str(kind(SCT_K_stat, 0x1000, (char *)&st + SCT_STAT_SKIP,
		    SCT_STAT_BYTES, SCT_BF_OUT),
	       "{st_mode=S_IFDIR|S_ISVTX|0777, st_size=4096, ...}",
	       "stat: the captured window is enough");
	st.st_mode = S_IFBLK | 0660;
	is_str(kind(SCT_K_stat, 0x1000, (char *)&st + SCT_STAT_SKIP,
		    SCT_STAT_BYTES, SCT_BF_OUT),
	       "{st_mode=S_IFBLK|0660, st_rdev=makedev(0x1, 0x3), ...}",
	       "stat: the window holds st_rdev");
	is_str(kind(SCT_K_stat, 0x1000, (char *)&st + SCT_STAT_SKIP,
		    SCT_STAT_BYTES - 8, SCT_BF_OUT),
	       "0x1000", "stat: less than the window: pointer");
	/* rings of version 3: the prefix up to st_size */
	st.st_mode = S_IFDIR | S_ISVTX | 0777;
	is_str(kind(SCT_K_stat, 0x1000, &st, SCT_STAT_PREFIX, SCT_BF_OUT),
	       "{st_mode=S_IFDIR|S_ISVTX|0777, st_size=4096, ...}",
	       "stat: a version 3 prefix");
	is_str(kind(SCT_K_stat, 0x1000, &st, SCT_STAT_PREFIX - 8, SCT_BF_OUT),
	       "0x1000", "stat: neither window nor prefix: pointer");

	struct statx sx;
	memset(&sx, 0, sizeof sx);
	sx.stx_mask = 0x17ff;
	sx.stx_mode = S_IFREG | 0644;
	sx.stx_size = 1221;
	is_str(kind(SCT_K_statx, 0x1000, &sx, sizeof sx, SCT_BF_OUT),
	       "{stx_mask=STATX_BASIC_STATS|STATX_MNT_ID, stx_attributes=0, "
	       "stx_mode=S_IFREG|0644, stx_size=1221, ...}",
	       "statx");
	is_str(kind(SCT_K_statx, 0x1000, &sx, SCT_STATX_PREFIX, SCT_BF_OUT),
	       "{stx_mask=STATX_BASIC_STATS|STATX_MNT_ID, stx_attributes=0, "
	       "stx_mode=S_IFREG|0644, stx_size=1221, ...}",
	       "statx: the captured prefix is enough");

	struct statfs sf;
	memset(&sf, 0, sizeof sf);
	sf.f_type = 0x9fa0;
	sf.f_bsize = 4096;
	sf.f_namelen = 255;
	sf.f_frsize = 4096;
	sf.f_flags = 0x1020;
	int fsid[2] = { 0x14, 0 };
	memcpy(&sf.f_fsid, fsid, sizeof fsid);
	is_str(kind(SCT_K_statfs, 0x1000, &sf, sizeof sf, SCT_BF_OUT),
	       "{f_type=PROC_SUPER_MAGIC, f_bsize=4096, f_blocks=0, f_bfree=0, "
	       "f_bavail=0, f_files=0, f_ffree=0, f_fsid={val=[0x14, 0]}, "
	       "f_namelen=255, f_frsize=4096, f_flags=ST_VALID|ST_RELATIME}",
	       "statfs");

	int64_t ts[2] = { 0, 1000 };
	is_str(kind(SCT_K_timespec, 0x1000, ts, 16, 0),
	       "{tv_sec=0, tv_nsec=1000}", "timespec");
	int64_t tv[2] = { 1, 5 };
	is_str(kind(SCT_K_timeval, 0x1000, tv, 16, 0), "{tv_sec=1, tv_usec=5}",
	       "timeval");
	int fds[2] = { 3, 4 };
	is_str(kind(SCT_K_fds, 0x1000, fds, 8, SCT_BF_OUT), "[3, 4]", "fds");
	int v = 42;
	is_str(kind(SCT_K_intptr, 0x1000, &v, 4, 0), "[42]", "intptr");
	uint64_t rl[2] = { 8192 * 1024, ~0ULL };
	is_str(kind(SCT_K_rlimit, 0x1000, rl, 16, 0),
	       "{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}", "rlimit");
	rl[0] = 1024;
	rl[1] = 2048;
	is_str(kind(SCT_K_rlimit_out, 0x1000, rl, 16, SCT_BF_OUT),
	       "{rlim_cur=1024, rlim_max=2*1024}", "rlimit 1024");
	char u[390];
	memset(u, 0, sizeof u);
	strcpy(u, "Linux");
	strcpy(u + 65, "vm");
	is_str(kind(SCT_K_utsname, 0x1000, u, sizeof u, SCT_BF_OUT),
	       "{sysname=\"Linux\", nodename=\"vm\", ...}", "utsname");
}

static const char *sa(const void *p, size_t len)
{
	return kind(SCT_K_sockaddr, 0x1000, p, len, 0);
}

static void test_sockaddr(void)
{
	unsigned char b[128];
	memset(b, 0, sizeof b);
	b[0] = AF_UNIX;
	strcpy((char *)b + 2, "/run/nonexist");
	is_str(sa(b, 110), "{sa_family=AF_UNIX, sun_path=\"/run/nonexist\"}",
	       "AF_UNIX");
	is_str(sa(b, 2), "{sa_family=AF_UNIX}", "AF_UNIX, family only");
	memset(b + 2, 0, 100);
	memcpy(b + 3, "abstract", 8);
	is_str(sa(b, 11), "{sa_family=AF_UNIX, sun_path=@\"abstract\"}",
	       "abstract");
	memset(b, 0, sizeof b);
	b[0] = AF_INET;
	b[2] = 0;
	b[3] = 80;
	b[4] = 127;
	b[7] = 1;
	is_str(sa(b, 16),
	       "{sa_family=AF_INET, sin_port=htons(80), "
	       "sin_addr=inet_addr(\"127.0.0.1\")}",
	       "AF_INET");
	memset(b, 0, sizeof b);
	b[0] = AF_INET6;
	b[2] = 443 >> 8;
	b[3] = 443 & 0xff;
	b[7] = 5;
	b[23] = 1;
	b[24] = 2;
	is_str(sa(b, 28),
	       "{sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(5), "
	       "inet_pton(AF_INET6, \"::1\", &sin6_addr), sin6_scope_id=2}",
	       "AF_INET6");
	memset(b, 0, sizeof b);
	b[0] = AF_NETLINK;
	b[8] = 5;
	is_str(sa(b, 12),
	       "{sa_family=AF_NETLINK, nl_pid=0, nl_groups=0x000005}",
	       "AF_NETLINK");
	memset(b, 0, sizeof b);
	b[0] = AF_APPLETALK;
	is_str(sa(b, 16),
	       "{sa_family=AF_APPLETALK, sa_data=\"\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0"
	       "\\0\\0\\0\\0\"}",
	       "other family");
	b[0] = 99;
	is_str(sa(b, 16),
	       "{sa_family=0x63 /* AF_??? */, sa_data=\"\\0\\0\\0\\0\\0\\0\\0\\0"
	       "\\0\\0\\0\\0\\0\\0\"}",
	       "unknown family");
}

static uint64_t sigbits(int n, ...)
{
	va_list ap;
	uint64_t m = 0;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		m |= 1ULL << (va_arg(ap, int) - 1);
	va_end(ap);
	return m;
}

static void test_signals(void)
{
	uint64_t m = sigbits(3, SIGINT, SIGTERM, 36);
	is_str(kind(SCT_K_sigset, 0x1000, &m, 8, 0), "[INT TERM RT_4]",
	       "sigset");
	m = ~sigbits(5, SIGKILL, SIGUSR1, SIGSTOP, 32, 33);
	is_str(kind(SCT_K_sigset, 0x1000, &m, 8, 0),
	       "~[KILL USR1 STOP RTMIN RT_1]", "mostly full sigset");
	m = 0;
	is_str(kind(SCT_K_sigset_out, 0x1000, &m, 8, SCT_BF_OUT), "[]",
	       "empty sigset");
	m = ~0ULL;
	is_str(kind(SCT_K_sigset, 0x1000, &m, 8, 0), "~[]", "full sigset");
	m = 0x1ffffffffffULL; /* 41 signals: listed */
	is_str(kind(SCT_K_sigset, 0x1000, &m, 8, 0),
	       "[HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM "
	       "STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO "
	       "PWR SYS RTMIN RT_1 RT_2 RT_3 RT_4 RT_5 RT_6 RT_7 RT_8 RT_9]",
	       "41 signals");
	m = 0x3ffffffffffULL; /* 42: inverted */
	is_str(kind(SCT_K_sigset, 0x1000, &m, 8, 0),
	       "~[RT_11 RT_12 RT_13 RT_14 RT_15 RT_16 RT_17 RT_18 RT_19 RT_20 RT_21 "
	       "RT_22 RT_23 RT_24 RT_25 RT_26 RT_27 RT_28 RT_29 RT_30 RT_31 RT_32]",
	       "42 signals: inverted");
	uint64_t ka[4] = { 0x56478d0eb439, 0x14000000, 0x7fdf7592e050,
			   sigbits(1, SIGCHLD) };
	is_str(kind(SCT_K_sigaction, 0x1000, ka, 32, 0),
	       "{sa_handler=0x56478d0eb439, sa_mask=[CHLD], sa_flags=SA_RESTORER|SA_RESTART, "
	       "sa_restorer=0x7fdf7592e050}",
	       "sigaction");
	uint64_t old[4] = { 0, 0, 0, 0 };
	is_str(kind(SCT_K_sigaction, 0x1000, old, 32, 0),
	       "{sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}",
	       "sigaction SIG_DFL");
	uint64_t ka2[4] = { 5, 0x20000, 0, 1ULL << 14 };
	is_str(kind(SCT_K_sigaction, 0x1000, ka2, 32, 0),
	       "{sa_handler=0x5, sa_mask=[TERM], sa_flags=0x20000 /* SA_??? */}",
	       "sigaction unknown flags");
	uint64_t ka3[4] = { 1, 0xfc000c07, 0x1234, 0 };
	is_str(kind(SCT_K_sigaction, 0x1000, ka3, 32, 0),
	       "{sa_handler=SIG_IGN, sa_mask=[], sa_flags=SA_RESTORER|SA_ONSTACK|SA_RESTART|"
	       "SA_INTERRUPT|SA_NODEFER|SA_RESETHAND|SA_SIGINFO|SA_NOCLDSTOP|SA_NOCLDWAIT|"
	       "0xc00, sa_restorer=0x1234}",
	       "sigaction all flags");
	is_str(sct_signal_name(SIGKILL), "SIGKILL", "signal name");
	ok(sct_signal_name(65) == NULL, "no signal 65");
}

static const char *ret_of(int nr, int flags, int64_t ret, int err)
{
	struct fake *f = calloc(1, sizeof *f);
	struct sct_rec *r = rec_init(f, nr);
	r->flags = (uint16_t)flags;
	r->ret = ret;
	r->err = err;
	sb_reset(&out);
	sct_print_ret(&out, ev_of(f));
	free(f);
	return out.s;
}

static void test_returns(void)
{
	int nr = sysnr("openat");
	is_str(ret_of(nr, SCT_RF_ERROR, -1, ENOENT),
	       " = -1 ENOENT (No such file or directory)", "ENOENT");
	is_str(ret_of(nr, 0, 3, 0), " = 3", "fd");
	is_str(ret_of(nr, SCT_RF_ERROR, -1, 4000), " = -1 (errno 4000)",
	       "unknown errno");
	is_str(ret_of(nr, SCT_RF_ERROR, -1, 512),
	       " = ? ERESTARTSYS (To be restarted if SA_RESTART is set)",
	       "ERESTARTSYS");
	is_str(ret_of(nr, SCT_RF_ERROR, -1, 515),
	       " = -1 ENOIOCTLCMD (Unknown error 515)", "ENOIOCTLCMD");
	is_str(ret_of(nr, SCT_RF_ERROR, -1, EHWPOISON),
	       " = -1 EHWPOISON (Memory page has hardware error)", "EHWPOISON");
	int mm = sysnr("mmap");
	if (mm >= 0)
		is_str(ret_of(mm, 0, 0x7fe1fc70d000, 0), " = 0x7fe1fc70d000",
		       "hex return");
	else
		skip("no mmap");
	int eg = sysnr("exit_group");
	if (eg >= 0)
		is_str(ret_of(eg, SCT_RF_NORETURN, 0, 0), " = ?", "no return");
	else
		skip("no exit_group");
	int fa = sysnr("fadvise64");
	if (fa >= 0)
		is_str(ret_of(fa, 0, EINVAL, 0),
		       " = -1 EINVAL (Invalid argument)", "errret");
	else
		skip("no fadvise64 in the table yet");
	is_str(sct_errno_name(EAGAIN), "EAGAIN", "EAGAIN name");
	is_str(sct_errno_name(EOPNOTSUPP), "EOPNOTSUPP", "EOPNOTSUPP name");
	ok(sct_errno_name(41) == NULL && sct_errno_name(0) == NULL,
	   "no errno 41 or 0");
}

static const char *call_of(struct fake *f, const struct sct_fdtab *fds)
{
	sb_reset(&out);
	const struct sct_ev *ev = ev_of(f);
	sct_print_call(&out, ev, &po, fds);
	sct_print_ret_fds(&out, ev, fds);
	return out.s;
}

static void test_calls(void)
{
	struct fake *f = calloc(1, sizeof *f);
	int nr = sysnr("openat");
	struct sct_rec *r = rec_init(f, nr);
	r->args[0] = (uint64_t)(int64_t)AT_FDCWD;
	r->args[1] = 0x1000;
	r->args[2] = O_WRONLY | O_CREAT | O_TRUNC;
	r->args[3] = 0644;
	r->ret = 3;
	blob(f, 1, 0, "/tmp/st/x", 9);
	is_str(call_of(f, NULL),
	       "openat(AT_FDCWD, \"/tmp/st/x\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3",
	       "openat with mode");
	r->args[2] = O_RDONLY | O_CLOEXEC;
	is_str(call_of(f, NULL),
	       "openat(AT_FDCWD, \"/tmp/st/x\", O_RDONLY|O_CLOEXEC) = 3",
	       "openat without mode");
	r->args[2] = O_RDWR | O_TMPFILE;
	r->args[3] = 0600;
	is_str(call_of(f, NULL),
	       "openat(AT_FDCWD, \"/tmp/st/x\", O_RDWR|O_TMPFILE, 0600) = 3",
	       "openat O_TMPFILE mode");

	nr = sysnr("mmap");
	r = rec_init(f, nr);
	r->args[1] = 4096;
	r->args[2] = 3;
	r->args[3] = 0x22;
	r->args[4] = (uint64_t)-1;
	r->ret = 0x7fe1fc70d000;
	is_str(call_of(f, NULL),
	       "mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) "
	       "= 0x7fe1fc70d000",
	       "mmap");

	nr = sysnr("newfstatat");
	r = rec_init(f, nr);
	r->args[0] = 3;
	r->args[1] = 0x1000;
	r->args[2] = 0x2000;
	r->args[3] = AT_EMPTY_PATH;
	struct stat st;
	memset(&st, 0, sizeof st);
	st.st_mode = S_IFREG | 0644;
	st.st_size = 3028;
	blob(f, 1, 0, "", 0);
	blob(f, 2, SCT_BF_OUT, &st, sizeof st);
	is_str(call_of(f, NULL),
	       "newfstatat(3, \"\", {st_mode=S_IFREG|0644, st_size=3028, ...}, AT_EMPTY_PATH) = 0",
	       "fstat");

	nr = sysnr("write");
	r = rec_init(f, nr);
	r->args[0] = 99;
	r->args[1] = 0x1000;
	r->args[2] = 6;
	r->flags = SCT_RF_ERROR;
	r->ret = -1;
	r->err = EBADF;
	blob(f, 1, 0, "hello\n", 6);
	is_str(call_of(f, NULL),
	       "write(99, \"hello\\n\", 6) = -1 EBADF (Bad file descriptor)",
	       "write EBADF");

	nr = sysnr("read");
	r = rec_init(f, nr);
	r->args[0] = 3;
	r->args[1] = 0x1000;
	r->args[2] = 10;
	r->flags = SCT_RF_ERROR;
	r->ret = -1;
	r->err = EAGAIN;
	is_str(call_of(f, NULL),
	       "read(3, 0x1000, 10) = -1 EAGAIN (Resource temporarily unavailable)",
	       "read failed: buffer pointer");

	nr = sysnr("execve");
	r = rec_init(f, nr);
	r->args[0] = 0x1000;
	r->args[1] = 0x2000;
	r->args[2] = 0x7ffdb6319c40;
	r->flags = SCT_RF_ERROR;
	r->ret = -1;
	r->err = ENOENT;
	uint32_t envc = 2;
	blob(f, 0, 0, "/nonexist", 9);
	blob(f, 1, 0, "/nonexist\0-l\0a b", 17);
	blob(f, 2, 0, &envc, 4);
	is_str(call_of(f, NULL),
	       "execve(\"/nonexist\", [\"/nonexist\", \"-l\", \"a b\"], 0x7ffdb6319c40 "
	       "/* 2 vars */) = -1 ENOENT (No such file or directory)",
	       "execve");

	r = rec_init(f, 511);
	r->nargs = 2;
	r->args[0] = 1;
	r->args[1] = 2;
	r->flags = SCT_RF_ERROR;
	r->ret = -1;
	r->err = ENOSYS;
	if (!sct_sysent[511].name[0])
		is_str(call_of(f, NULL),
		       "syscall_0x1ff(0x1, 0x2) = -1 ENOSYS (Function not implemented)",
		       "unknown syscall");
	else
		skip("511 is known");

	nr = sysnr("wait4");
	if (nr >= 0) {
		static const struct {
			int status;
			const char *want;
		} ws[] = {
			{ 3 << 8, "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]" },
			{ SIGKILL,
			  "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}]" },
			{ SIGSEGV | 0x80,
			  "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}]" },
			{ SIGSTOP << 8 | 0x7f,
			  "[{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}]" },
		};
		for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) {
			r = rec_init(f, nr);
			r->args[0] = 9811;
			r->args[1] = 0x1000;
			r->ret = 9811;
			blob(f, 1, SCT_BF_OUT, &ws[i].status, 4);
			char want[200];
			snprintf(want, sizeof want,
				 "wait4(9811, %s, 0, NULL) = 9811", ws[i].want);
			is_str(call_of(f, NULL), want, "wait4 status");
		}
	} else {
		skip("no wait4 in the table yet");
	}
	free(f);
}

/* Apply a syscall to T; returns its printed line (before and after). */
static const char *fdcall(struct sct_fdtab *t, struct fake *f)
{
	sb_reset(&out);
	const struct sct_ev *ev = ev_of(f);
	sct_print_call(&out, ev, &po, t);
	sct_fdtab_apply(t, ev);
	sct_print_ret_fds(&out, ev, t);
	return out.s;
}

static void test_fdtab(void)
{
	struct fake *f = calloc(1, sizeof *f);
	struct sct_fdtab *t = sct_fdtab_new();
	sct_fdtab_set(t, 0, "/dev/null");
	sct_fdtab_set(t, AT_FDCWD, "/tmp/st");

	struct sct_rec *r = rec_init(f, sysnr("openat"));
	r->args[0] = (uint64_t)(int64_t)AT_FDCWD;
	r->args[1] = 0x1000;
	r->args[2] = O_RDONLY;
	r->ret = 12;
	blob(f, 1, 0, "/etc/passwd", 11);
	is_str(fdcall(t, f),
	       "openat(AT_FDCWD</tmp/st>, \"/etc/passwd\", O_RDONLY) = 12</etc/passwd>",
	       "-y openat");
	r = rec_init(f, sysnr("openat"));
	r->args[0] = (uint64_t)(int64_t)AT_FDCWD;
	r->args[1] = 0x1000;
	r->ret = 13;
	blob(f, 1, 0, "../st/./d", 9);
	is_str(fdcall(t, f),
	       "openat(AT_FDCWD</tmp/st>, \"../st/./d\", O_RDONLY) = 13</tmp/st/d>",
	       "-y relative path joined to the cwd");
	r = rec_init(f, sysnr("read"));
	r->args[0] = 12;
	r->args[1] = 0x1000;
	r->args[2] = 10;
	r->ret = 10;
	blob(f, 1, SCT_BF_OUT, "root:x:0:0", 10);
	is_str(fdcall(t, f), "read(12</etc/passwd>, \"root:x:0:0\", 10) = 10",
	       "-y read");
	r = rec_init(f, sysnr("close"));
	r->args[0] = 12;
	is_str(fdcall(t, f), "close(12</etc/passwd>) = 0", "-y close");
	ok(sct_fdtab_get(t, 12) == NULL, "closed fd forgotten");

	int p2 = sysnr("pipe2");
	if (p2 >= 0) {
		r = rec_init(f, p2);
		r->args[1] = O_CLOEXEC;
		int fds[2] = { 6, 7 };
		blob(f, 0, SCT_BF_OUT, fds, 8);
		const char *line = fdcall(t, f);
		const char *want = "pipe2([6<pipe:[?]>, 7<pipe:[?]>], ";
		ok(strncmp(line, want, strlen(want)) == 0 &&
			   strcmp(line + strlen(line) - 4, " = 0") == 0,
		   "-y pipe2: %s", line);
		is_str(sct_fdtab_get(t, 7), "pipe:[?]",
		       "pipe2 fd in the table");
	} else {
		skip("no pipe2 in the table yet");
	}
	/* calls the table may not have yet: apply directly when present */
	const char *names[] = { "dup2", "socket", "eventfd2", "memfd_create" };
	for (int i = 0; i < 4; i++) {
		int nr = sysnr(names[i]);
		if (nr < 0) {
			skip(names[i]);
			continue;
		}
		r = rec_init(f, nr);
		switch (i) {
		case 0:
			r->args[0] = 0;
			r->args[1] = 50;
			r->ret = 50;
			sct_fdtab_apply(t, ev_of(f));
			is_str(sct_fdtab_get(t, 50), "/dev/null", "dup2");
			break;
		case 1:
			r->args[0] = AF_UNIX;
			r->args[1] = SOCK_STREAM;
			r->ret = 8;
			sct_fdtab_apply(t, ev_of(f));
			is_str(sct_fdtab_get(t, 8), "socket:[?]", "socket");
			break;
		case 2:
			r->ret = 11;
			sct_fdtab_apply(t, ev_of(f));
			is_str(sct_fdtab_get(t, 11), "anon_inode:[eventfd]",
			       "eventfd2");
			break;
		case 3:
			r->ret = 16;
			blob(f, 0, 0, "foo", 3);
			sct_fdtab_apply(t, ev_of(f));
			is_str(sct_fdtab_get(t, 16), "/memfd:foo (deleted)",
			       "memfd_create");
			break;
		}
	}
	/* the "(deleted)" suffix and escaping of -y paths */
	sct_fdtab_set(t, 16, "/memfd:foo (deleted)");
	sct_fdtab_set(t, 4, "/tmp/st/we<i>rd\001\n");
	r = rec_init(f, sysnr("write"));
	r->args[0] = 16;
	r->args[1] = 0x1000;
	r->args[2] = 1;
	r->ret = 1;
	blob(f, 1, 0, "x", 1);
	is_str(fdcall(t, f), "write(16</memfd:foo>(deleted), \"x\", 1) = 1",
	       "-y deleted");
	r->args[0] = 4;
	is_str(fdcall(t, f),
	       "write(4</tmp/st/we\\74i\\76rd\\1\\n>, \"x\", 1) = 1",
	       "-y escapes");

	struct sct_fdtab *c = sct_fdtab_clone(t);
	is_str(sct_fdtab_get(c, 4), "/tmp/st/we<i>rd\001\n", "clone copies");
	sct_fdtab_set(c, 4, NULL);
	ok(sct_fdtab_get(c, 4) == NULL && sct_fdtab_get(t, 4) != NULL,
	   "clone is separate");

	/* exec closes close-on-exec descriptors */
	r = rec_init(f, sysnr("openat"));
	r->args[0] = (uint64_t)(int64_t)AT_FDCWD;
	r->args[2] = O_RDONLY | O_CLOEXEC;
	r->ret = 20;
	blob(f, 1, 0, "/etc/hosts", 10);
	sct_fdtab_apply(c, ev_of(f));
	is_str(sct_fdtab_get(c, 20), "/etc/hosts", "O_CLOEXEC open");
	r = rec_init(f, sysnr("execve"));
	r->flags = SCT_RF_NORETURN;
	sct_fdtab_apply(c, ev_of(f));
	ok(sct_fdtab_get(c, 20) == NULL && sct_fdtab_get(c, 0) != NULL,
	   "exec closes O_CLOEXEC fds only");
	sct_fdtab_free(c);
	sct_fdtab_free(t);
	free(f);
}

static void add(struct sct_summary *s, int nr, int type, int flags,
		uint64_t dur)
{
	struct fake *f = calloc(1, sizeof *f);
	struct sct_rec *r = rec_init(f, nr);
	r->type = (uint16_t)type;
	r->flags = (uint16_t)flags;
	r->dur = dur;
	sct_summary_add(s, ev_of(f));
	free(f);
}

static void test_summary(void)
{
	struct sct_summary *s = sct_summary_new();
	add(s, __NR_write, SCT_REC_SYSCALL, 0, 100000);
	add(s, __NR_write, SCT_REC_SYSCALL, SCT_RF_ERROR, 200000);
	add(s, __NR_read, SCT_REC_SYSCALL, 0, 100000);
	add(s, __NR_close, SCT_REC_SYSCALL, 0, 0);
	add(s, __NR_exit_group, SCT_REC_SYSCALL, SCT_RF_NORETURN, 0);
	add(s, __NR_read, SCT_REC_EXIT, 0, 999999999);
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	sct_summary_print(fp, s);
	fclose(fp);
	char want[2048];
	snprintf(
		want, sizeof want,
		"%% time     seconds  usecs/call     calls    errors syscall\n"
		"------ ----------- ----------- --------- --------- ----------------\n"
		" 75.00    0.000300         150         2         1 %s\n"
		" 25.00    0.000100         100         1           %s\n"
		"  0.00    0.000000           0         1           %s\n"
		"  0.00    0.000000           0         1           %s\n"
		"------ ----------- ----------- --------- --------- ----------------\n"
		"100.00    0.000400          80         5         1 total\n",
		sct_sysent[__NR_write].name[0] ? sct_sysent[__NR_write].name
					    : "syscall_0x1",
		sct_sysent[__NR_read].name[0] ? sct_sysent[__NR_read].name
					   : "syscall_0",
		sct_sysent[__NR_close].name[0] ? sct_sysent[__NR_close].name
					    : "syscall_0x3",
		sct_sysent[__NR_exit_group].name[0]
			? sct_sysent[__NR_exit_group].name
			: "syscall_0xe7");
	is_str(buf, want, "summary table");
	free(buf);
	sct_summary_free(s);

	/* a long name widens the last column */
	int nr = sysnr("sched_get_priority_max");
	if (nr < 0) {
		skip("no sched_get_priority_max in the table");
		return;
	}
	s = sct_summary_new();
	add(s, nr, SCT_REC_SYSCALL, 0, 0);
	fp = open_memstream(&buf, &len);
	sct_summary_print(fp, s);
	fclose(fp);
	is_str(buf,
	       "% time     seconds  usecs/call     calls    errors syscall\n"
	       "------ ----------- ----------- --------- --------- -----------------------\n"
	       "  0.00    0.000000           0         1           sched_get_priority_max\n"
	       "------ ----------- ----------- --------- --------- -----------------------\n"
	       "100.00    0.000000           0         1           total\n",
	       "summary with a long name");
	free(buf);
	sct_summary_free(s);
}

static void test_sbuf(void)
{
	struct sbuf b = { 0 };
	for (int i = 0; i < 1000; i++)
		sb_printf(&b, "%d,", i);
	ok(b.len == strlen(b.s) && b.len == 3890, "sb_printf grows (%zu)",
	   b.len);
	sb_reset(&b);
	sb_puts(&b, "ab");
	sb_putc(&b, 'c');
	sb_putn(&b, "def", 2);
	is_str(b.s, "abcde", "sb_puts/putc/putn");
	sb_free(&b);
	ok(b.s == NULL && b.len == 0, "sb_free");
}

int main(void)
{
	test_sbuf();
	test_strings();
	test_xlat();
	test_scalars();
	test_strings_kinds();
	test_structs();
	test_sockaddr();
	test_signals();
	test_returns();
	test_calls();
	test_fdtab();
	test_summary();
	printf("1..%d\n", test_no);
	sb_free(&out);
	return failed ? 1 : 0;
}
