/* The DWARF CFI reader (preload/cfi.c) against libunwind.
 *
 * The oracle is libunwind itself, linked in, asked the way unwind.c's
 * learn() asks it: a cursor at the address, rsp and rbp pointing into a
 * read-only scratch mapping whose every word holds its own offset (a
 * tag), one unw_step; the caller's rsp, rip and rbp tell the rule.  Every
 * row of every FDE of every loaded object (libc, ld.so, libunwind, the
 * vDSO, this program, ...) is compared: its first and last address, the
 * second one, and every STRIDE bytes, each of which must also give the
 * same row back.  libunwind evaluates DWARF expressions, the reader does
 * not: those rows (PLT entries) are counted apart, not failed.
 *
 * Then: shapes the compiler makes (a frame-pointer function, an
 * -fomit-frame-pointer one saving rbp as a plain register, checked on the
 * live stack), _start (LAST), __restore_rt (SIGNAL), addresses outside
 * every object, a library dlopen'ed late; hand-made tables for each
 * opcode, encoding and record format, and for broken ones; libc's
 * tables copied next to guard pages, then mutated and cut short at
 * random: no read may leave the table.  Timing is printed, never
 * tested. */
#include <dlfcn.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "cfi.h"
#include "tap.h"

#define STRIDE 16 /* bytes between the samples inside a row */
#define BARRIER() __asm__ volatile("" ::: "memory")

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* ---- the oracle: libunwind on a tagged scratch mapping ----------------- */

/* Larger than learn()'s and tagged throughout: rsp frames up to 32 MiB,
 * rbp frames up to 1 MiB, rbp saved anywhere in int16 reach of the CFA */
#define SCR_SIZE (34ul << 20)
#define S0_AT (64ul << 10)
#define B0_AT (33ul << 20)
#define TAG 0x5c70000000000000ull
#define TAG_MASK 0xffff000000000000ull

enum { O_STD = 1, O_LAST = 2, O_OTHER = 3 };

struct orule {
	unsigned kind;
	int rbp_base;
	int64_t off, rbo;
};

static uint64_t scr;

static int oracle_init(void)
{
	void *m = mmap(NULL, SCR_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	for (uint64_t o = 0; o < SCR_SIZE; o += 8)
		*(uint64_t *)((char *)m + o) = TAG | o;
	mprotect(m, SCR_SIZE, PROT_READ);
	scr = (uint64_t)m;
	return 0;
}

static uint64_t tag_addr(uint64_t v)
{
	if ((v & TAG_MASK) != TAG || (v & ~TAG_MASK) >= SCR_SIZE)
		return 0;
	return scr + (v & ~TAG_MASK);
}

static struct orule oracle(uint64_t key)
{
	struct orule o = { O_OTHER, 0, 0, 0 };
	const uint64_t s0 = scr + S0_AT, b0 = scr + B0_AT;
	ucontext_t uc;
	memset(&uc, 0, sizeof uc);
	uc.uc_mcontext.gregs[REG_RIP] = (greg_t)key;
	uc.uc_mcontext.gregs[REG_RSP] = (greg_t)s0;
	uc.uc_mcontext.gregs[REG_RBP] = (greg_t)b0;
	unw_cursor_t c;
	if (unw_init_local2(&c, &uc, UNW_INIT_SIGNAL_FRAME) < 0 ||
	    unw_is_signal_frame(&c) > 0)
		return o;
	int r = unw_step(&c);
	unw_word_t ip, sp, bp;
	if (r < 0 || unw_get_reg(&c, UNW_REG_SP, &sp) < 0)
		return o;
	if (r == 0) {
		if (sp >= scr && sp < scr + SCR_SIZE)
			o.kind = O_LAST;
		return o;
	}
	if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 ||
	    unw_get_reg(&c, UNW_X86_64_RBP, &bp) < 0)
		return o;
	if (sp > b0 && sp < scr + SCR_SIZE) {
		o.rbp_base = 1;
		o.off = (int64_t)(sp - b0);
	} else if (sp > s0 && sp < b0) {
		o.off = (int64_t)(sp - s0);
	} else {
		return o;
	}
	if (o.off > INT32_MAX || (sp & 7) || tag_addr(ip) != sp - 8)
		return o;
	if (bp != b0) {
		uint64_t a = tag_addr(bp);
		if (!a)
			return o;
		o.rbo = (int64_t)(a - sp);
		if (o.rbo == 0 || o.rbo < INT16_MIN || o.rbo > INT16_MAX)
			return o;
	}
	o.kind = O_STD;
	return o;
}

/* ---- printing ----------------------------------------------------------- */

static const char *const why_name[] = { "ok", "nofde", "notable", "bad",
					"expr", "shape" };

static const char *sym(uint64_t a, char *buf, size_t n)
{
	Dl_info d;
	if (dladdr((void *)a, &d) && d.dli_sname)
		snprintf(buf, n, "%s+%#llx", d.dli_sname,
			 (unsigned long long)(a - (uint64_t)d.dli_saddr));
	else if (dladdr((void *)a, &d) && d.dli_fname)
		snprintf(buf, n, "%s+%#llx", d.dli_fname,
			 (unsigned long long)(a - (uint64_t)d.dli_fbase));
	else
		snprintf(buf, n, "?");
	return buf;
}

static const char *cfi_str(const struct sct_cfi *c, char *buf, size_t n)
{
	static const char *const kinds[] = { "NONE", "STD", "LAST", "SIGNAL",
					     "RAREG" };
	if (c->kind == SCT_CFI_STD)
		snprintf(buf, n, "STD %s%+lld rbo %lld",
			 c->rbp_base ? "rbp" : "rsp", (long long)c->off,
			 (long long)c->rbo);
	else if (c->kind == SCT_CFI_RAREG)
		snprintf(buf, n, "RAREG r%u, CFA rsp%+lld", c->ra_reg,
			 (long long)c->off);
	else
		snprintf(buf, n, "%s (%s)", c->kind < 5 ? kinds[c->kind] : "?",
			 c->why < 6 ? why_name[c->why] : "?");
	return buf;
}

static const char *orule_str(const struct orule *o, char *buf, size_t n)
{
	if (o->kind == O_STD)
		snprintf(buf, n, "STD %s%+lld rbo %lld",
			 o->rbp_base ? "rbp" : "rsp", (long long)o->off,
			 (long long)o->rbo);
	else
		snprintf(buf, n, "%s", o->kind == O_LAST ? "LAST" : "OTHER");
	return buf;
}

/* ---- loaded objects ------------------------------------------------------ */

struct object {
	char name[64];
	uint64_t hdr;            /* .eh_frame_hdr */
	uint64_t seg_hi;         /* end of the segment holding it */
	uint64_t text_lo, text_hi;
};

#define MAX_OBJ 32
static struct object objs[MAX_OBJ];
static unsigned nobj;

static int obj_cb(struct dl_phdr_info *i, size_t sz, void *arg)
{
	(void)sz;
	(void)arg;
	if (nobj == MAX_OBJ)
		return 1;
	struct object *o = &objs[nobj];
	memset(o, 0, sizeof *o);
	const char *n = i->dlpi_name && *i->dlpi_name ? i->dlpi_name :
		"(this program)";
	const char *s = strrchr(n, '/');
	snprintf(o->name, sizeof o->name, "%s", s ? s + 1 : n);
	o->text_lo = ~0ull;
	for (unsigned k = 0; k < i->dlpi_phnum; k++) {
		const ElfW(Phdr) *p = &i->dlpi_phdr[k];
		uint64_t a = i->dlpi_addr + p->p_vaddr;
		if (p->p_type == PT_GNU_EH_FRAME)
			o->hdr = a;
		if (p->p_type == PT_LOAD && (p->p_flags & PF_X)) {
			if (a < o->text_lo)
				o->text_lo = a;
			if (a + p->p_memsz > o->text_hi)
				o->text_hi = a + p->p_memsz;
		}
	}
	for (unsigned k = 0; k < i->dlpi_phnum; k++) {
		const ElfW(Phdr) *p = &i->dlpi_phdr[k];
		uint64_t a = i->dlpi_addr + p->p_vaddr;
		if (p->p_type == PT_LOAD && o->hdr >= a &&
		    o->hdr < a + p->p_memsz)
			o->seg_hi = a + p->p_memsz;
	}
	if (o->hdr && o->seg_hi && o->text_hi)
		nobj++;
	return 0;
}

/* the binary search table of O: N entries of (loc, fde) relative to the
 * header, when it has the usual encodings */
static const int32_t *obj_table(const struct object *o, uint32_t *n)
{
	const uint8_t *h = (const uint8_t *)o->hdr;
	if (h[0] != 1 || h[1] != 0x1b || h[2] != 0x03 || h[3] != 0x3b)
		return NULL;
	memcpy(n, h + 8, 4);
	return (const int32_t *)(h + 12);
}

/* ---- the comparison --------------------------------------------------- */

struct stats {
	unsigned long compared, agreed, expr, disagreed, ranges;
	unsigned long kind[5];
	unsigned long why[6];
	unsigned long rows, fdes;
};

static int same_cfi(const struct sct_cfi *a, const struct sct_cfi *b)
{
	return a->kind == b->kind && a->rbp_base == b->rbp_base &&
	       a->off == b->off && a->rbo == b->rbo && a->lo == b->lo &&
	       a->hi == b->hi && a->why == b->why;
}

/* compare C, sct_cfi_find's answer at KEY, with the oracle's */
static void compare(struct stats *st, uint64_t key, const struct sct_cfi *c)
{
	struct orule o = oracle(key);
	char b1[80], b2[80], b3[128];
	int agree;
	st->compared++;
	st->kind[c->kind < 5 ? c->kind : 0]++;
	if (c->kind == SCT_CFI_NONE)
		st->why[c->why < 6 ? c->why : 0]++;
	switch (c->kind) {
	case SCT_CFI_STD:
		agree = o.kind == O_STD && o.rbp_base == c->rbp_base &&
			o.off == c->off && o.rbo == c->rbo;
		break;
	case SCT_CFI_LAST:
		agree = o.kind == O_LAST;
		break;
	default:
		agree = o.kind == O_OTHER;
		if (!agree && c->kind == SCT_CFI_NONE &&
		    c->why == SCT_CFI_WHY_EXPR) {
			/* the reader does not evaluate expressions */
			st->expr++;
			return;
		}
		break;
	}
	if (agree) {
		st->agreed++;
		return;
	}
	if (st->disagreed++ < 10)
		diag("  %#llx %s: cfi %s, libunwind %s",
		     (unsigned long long)key, sym(key, b3, sizeof b3),
		     cfi_str(c, b1, sizeof b1), orule_str(&o, b2, sizeof b2));
}

/* sct_cfi_find at A must give back the row C (found at another address) */
static void sample(struct stats *st, uint64_t a, const struct sct_cfi *c)
{
	struct sct_cfi d;
	char b1[80], b2[80];
	if (sct_cfi_find(a, &d) != 0 || !same_cfi(&d, c)) {
		if (st->ranges++ < 10)
			diag("  %#llx: row %s [%#llx, %#llx), but %s "
			     "[%#llx, %#llx)",
			     (unsigned long long)a, cfi_str(c, b1, sizeof b1),
			     (unsigned long long)c->lo,
			     (unsigned long long)c->hi,
			     cfi_str(&d, b2, sizeof b2),
			     (unsigned long long)d.lo,
			     (unsigned long long)d.hi);
		return;
	}
	compare(st, a, &d);
}

/* row starts of libc, for the timing */
#define NKEYS 16384
static uint64_t keys[NKEYS];
static unsigned nkeys;

static void sweep(const struct object *o, int is_libc)
{
	uint32_t n;
	const int32_t *t = obj_table(o, &n);
	if (!t) {
		skip(1, "table encoding not the usual one");
		return;
	}
	struct stats st;
	memset(&st, 0, sizeof st);
	uint64_t t0 = now_ns();
	for (uint32_t i = 0; i < n; i++) {
		uint64_t key = o->hdr + (uint64_t)(int64_t)t[2 * i];
		uint64_t stop = i + 1 < n ?
			o->hdr + (uint64_t)(int64_t)t[2 * i + 2] : o->text_hi;
		st.fdes++;
		while (key < stop) {
			struct sct_cfi c;
			if (sct_cfi_find(key, &c) != 0 || c.lo == c.hi)
				break;
			st.rows++;
			if (c.lo > key || c.hi <= key) {
				if (st.ranges++ < 10)
					diag("  %#llx: outside its row "
					     "[%#llx, %#llx)",
					     (unsigned long long)key,
					     (unsigned long long)c.lo,
					     (unsigned long long)c.hi);
				break;
			}
			if (is_libc && nkeys < NKEYS && c.kind != SCT_CFI_NONE)
				keys[nkeys++] = key;
			compare(&st, key, &c);
			for (uint64_t a = key + 1; a < c.hi - 1; a += STRIDE)
				sample(&st, a, &c);
			if (c.hi - 1 > key)
				sample(&st, c.hi - 1, &c);
			key = c.hi;
		}
	}
	double ms = (double)(now_ns() - t0) / 1e6;
	note("%s: %lu FDEs, %lu rows, %lu addresses compared (%.0f ms): "
	     "%lu agree, %lu in expression rows, %lu disagree, "
	     "%lu row mismatches",
	     o->name, st.fdes, st.rows, st.compared, ms, st.agreed, st.expr,
	     st.disagreed, st.ranges);
	note("%s:   cfi STD %lu, LAST %lu, SIGNAL %lu, RAREG %lu, NONE %lu "
	     "(nofde %lu, bad %lu, expr %lu, shape %lu)",
	     o->name, st.kind[SCT_CFI_STD], st.kind[SCT_CFI_LAST],
	     st.kind[SCT_CFI_SIGNAL], st.kind[SCT_CFI_RAREG],
	     st.kind[SCT_CFI_NONE],
	     st.why[SCT_CFI_WHY_NOFDE], st.why[SCT_CFI_WHY_BAD],
	     st.why[SCT_CFI_WHY_EXPR], st.why[SCT_CFI_WHY_SHAPE]);
	ok(st.disagreed == 0 && st.ranges == 0 && st.compared > 0,
	   "%s: the reader's rules are libunwind's", o->name);
}

static const struct object *find_obj(const char *prefix)
{
	for (unsigned i = 0; i < nobj; i++)
		if (!strncmp(objs[i].name, prefix, strlen(prefix)))
			return &objs[i];
	return NULL;
}

/* ---- frames the compiler makes, checked on the live stack ------------- */

static volatile uint64_t sink;
static struct {
	int rc;
	struct sct_cfi c;
	uint64_t key;
	uint64_t ra, rbp;   /* the caller's, by the rule */
	uint64_t want_ra;   /* the caller's return address */
} live;

/* applies the rule of its caller's frame to the live registers */
static __attribute__((noinline, optimize("no-omit-frame-pointer"))) void
probe(void)
{
	const uint64_t *fp = __builtin_frame_address(0);
	live.key = (uint64_t)__builtin_return_address(0) - 1;
	live.rc = sct_cfi_find(live.key, &live.c);
	if (live.rc || live.c.kind != SCT_CFI_STD)
		return;
	/* the caller's rsp and rbp at the call: above our frame, and saved */
	uint64_t base = live.c.rbp_base ? fp[0] : (uint64_t)(fp + 2);
	uint64_t cfa = base + (uint64_t)live.c.off;
	live.ra = *(const uint64_t *)(cfa - 8);
	live.rbp = live.c.rbo ? *(const uint64_t *)(cfa + (uint64_t)live.c.rbo)
			      : fp[0];
	BARRIER();
}

/* no frame pointer: four values live across the call take rbx, rbp,
 * r12, r13, so rbp is saved like any callee-saved register */
static __attribute__((noinline, optimize("omit-frame-pointer"))) uint64_t
nofp(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	live.want_ra = (uint64_t)__builtin_return_address(0);
	uint64_t w = a * 3, x = b ^ a, y = c + 7, z = d * c;
	probe();
	return w + x + y + z + a + b + c + d;
}

static __attribute__((noinline, optimize("no-omit-frame-pointer"))) uint64_t
withfp(uint64_t a)
{
	live.want_ra = (uint64_t)__builtin_return_address(0);
	probe();
	return a + 1;
}

static __attribute__((noinline, optimize("no-omit-frame-pointer"))) uint64_t
drive(int which)
{
	uint64_t fp = (uint64_t)__builtin_frame_address(0);
	sink = which ? withfp(sink) : nofp(sink, sink + 1, sink + 2, sink + 3);
	BARRIER();
	return fp;
}

static void check_compiled(void)
{
	char b[80];
	uint64_t fp = drive(0);
	struct orule o = oracle(live.key);
	ok(live.rc == 0 && live.c.kind == SCT_CFI_STD && !live.c.rbp_base &&
	   live.ra == live.want_ra && live.rbp == fp,
	   "-fomit-frame-pointer function: %s, return address and rbp right",
	   cfi_str(&live.c, b, sizeof b));
	ok(o.kind == O_STD && !o.rbp_base && o.off == live.c.off &&
	   o.rbo == live.c.rbo, "  libunwind says the same");
	note("  (rbp %s)", live.c.rbo ? "saved as a plain register" :
	     "untouched");
	fp = drive(1);
	o = oracle(live.key);
	ok(live.rc == 0 && live.c.kind == SCT_CFI_STD && live.c.rbp_base &&
	   live.c.off == 16 && live.c.rbo == -16 && live.ra == live.want_ra &&
	   live.rbp == fp,
	   "frame-pointer function: %s, return address and rbp right",
	   cfi_str(&live.c, b, sizeof b));
	ok(o.kind == O_STD && o.rbp_base && o.off == 16 && o.rbo == -16,
	   "  libunwind says the same");
}

extern char _start[];
static volatile uint64_t handler_ra;

static void on_usr1(int sig)
{
	(void)sig;
	handler_ra = (uint64_t)__builtin_return_address(0);
}

static void check_special(void)
{
	struct sct_cfi c;
	char b[80];
	int rc = sct_cfi_find((uint64_t)_start, &c);
	ok(rc == 0 && c.kind == SCT_CFI_LAST, "_start: LAST (%s)",
	   cfi_str(&c, b, sizeof b));
	rc = sct_cfi_find((uint64_t)_start + 4, &c);
	ok(rc == 0 && c.kind == SCT_CFI_LAST &&
	   oracle((uint64_t)_start + 4).kind == O_LAST,
	   "_start+4: LAST, as libunwind says");

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	uint64_t rt = handler_ra;
	rc = sct_cfi_find(rt, &c);
	ok(rc == 0 && c.kind == SCT_CFI_SIGNAL,
	   "__restore_rt (a signal handler's return address): SIGNAL (%s)",
	   cfi_str(&c, b, sizeof b));
	rc = sct_cfi_find(rt - 1, &c);
	ok(rc == 0 && c.kind == SCT_CFI_SIGNAL,
	   "__restore_rt - 1 (its FDE starts a byte early): SIGNAL");
	ok(oracle(rt).kind == O_OTHER, "  libunwind: a signal frame");

	/* glibc's vfork pops its return address into rdi before the syscall
	 * (the child must not find it on the shared stack) and pushes it
	 * back after: in between, RAREG rdi (DWARF 5), CFA = rsp + 0.  libc's
	 * own (a sanitizer build has an interceptor of that name) */
	void *libc_h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	uint64_t vf = libc_h ? (uint64_t)dlsym(libc_h, "vfork") : 0;
	int rareg = 0;
	for (uint64_t a = vf; vf && a < vf + 32 && !rareg; a++)
		rareg = sct_cfi_find(a, &c) == 0 && c.kind == SCT_CFI_RAREG &&
			c.ra_reg == 5 && c.off == 0;
	ok(rareg, "vfork: the return address in rdi, CFA = rsp (RAREG r5)");
	if (libc_h)
		dlclose(libc_h);

	void *m = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok(m != MAP_FAILED && sct_cfi_find((uint64_t)m + 16, &c) == -1,
	   "an anonymous mapping: no object (-1)");
	if (m != MAP_FAILED)
		munmap(m, 4096);
	ok(sct_cfi_find(0x1000, &c) == -1, "address 0x1000: no object (-1)");
	rc = sct_cfi_find((uint64_t)&sink, &c);
	ok(rc == 0 && c.kind == SCT_CFI_NONE && c.why == SCT_CFI_WHY_NOFDE &&
	   c.lo == 0 && c.hi == 0, "data of this program: no FDE (%s)",
	   cfi_str(&c, b, sizeof b));
}

/* an object dlopen'ed after start: _dl_find_object knows it at once */
static void check_dlopen(void)
{
	static const char *const fns[] = { "cos", "sin", "exp", "log", "pow",
					   "sqrt", "atan2", "fmod" };
	void *h = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		skip(1, "no libm.so.6");
		return;
	}
	struct stats st;
	memset(&st, 0, sizeof st);
	for (unsigned i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		uint64_t f = (uint64_t)dlsym(h, fns[i]);
		for (uint64_t a = f; f && a < f + 64; a++) {
			struct sct_cfi c;
			if (sct_cfi_find(a, &c) == 0 && c.lo != c.hi)
				compare(&st, a, &c);
		}
	}
	ok(st.compared > 0 && st.disagreed == 0 && st.kind[SCT_CFI_STD] > 0,
	   "libm.so.6, dlopen'ed: %lu addresses, %lu agree, %lu STD",
	   st.compared, st.agreed, st.kind[SCT_CFI_STD]);
}

/* ---- guarded copies --------------------------------------------------- */

/* N bytes of SRC copied next to a PROT_NONE page: ending at it (AT_END),
 * or starting right after one */
struct guarded {
	uint8_t *map, *p;
	size_t size;
};

static int guard_copy(struct guarded *g, const void *src, size_t n, int at_end)
{
	size_t pg = 4096, span = (n + pg - 1) / pg * pg;
	g->size = span + 2 * pg;
	g->map = mmap(NULL, g->size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED)
		return -1;
	mprotect(g->map, pg, PROT_NONE);
	mprotect(g->map + pg + span, pg, PROT_NONE);
	g->p = at_end ? g->map + pg + span - n : g->map + pg;
	memcpy(g->p, src, n);
	return 0;
}

static void guard_free(struct guarded *g)
{
	munmap(g->map, g->size);
}

/* ---- hand-made tables ------------------------------------------------- */

/* one .eh_frame_hdr, then CIEs and FDEs; code addresses are offsets from
 * the header (pc_begin datarel, or fixed up once copied) */
struct syn {
	uint8_t b[4096];
	size_t n;
	size_t count_at, table_at;
	unsigned nfde, room;
	size_t fix[8];   /* 8-byte slots that get copy + fixv[i] */
	uint64_t fixv[8];
	unsigned nfix;
};

static void put(struct syn *s, const void *p, size_t n)
{
	if (n)
		memcpy(s->b + s->n, p, n);
	s->n += n;
}

static void p8(struct syn *s, uint64_t v)
{
	uint8_t x = (uint8_t)v;
	put(s, &x, 1);
}

static void p32(struct syn *s, uint64_t v)
{
	uint32_t x = (uint32_t)v;
	put(s, &x, 4);
}

static void p64(struct syn *s, uint64_t v)
{
	put(s, &v, 8);
}

static void puleb(struct syn *s, uint64_t v)
{
	do {
		p8(s, (v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
}

static void psleb(struct syn *s, int64_t v)
{
	for (;;) {
		uint8_t b = v & 0x7f;
		v >>= 7;
		if ((v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40))) {
			p8(s, b);
			return;
		}
		p8(s, b | 0x80);
	}
}

/* an absolute address: copy + X, written once copied */
static void pabs(struct syn *s, uint64_t x)
{
	s->fix[s->nfix] = s->n;
	s->fixv[s->nfix++] = x;
	p64(s, 0);
}

static void syn_hdr(struct syn *s, unsigned room, unsigned table_enc)
{
	memset(s, 0, sizeof *s);
	p8(s, 1);
	p8(s, 0x1b);
	p8(s, 0x03);
	p8(s, table_enc);
	p32(s, 8 + 8 * room); /* eh_frame_ptr, pcrel: from its own field */
	s->count_at = s->n;
	p32(s, 0);
	s->table_at = s->n;
	s->room = room;
	s->n += 8 * room;
}

static void patch32(struct syn *s, size_t at, uint64_t v)
{
	uint32_t x = (uint32_t)v;
	memcpy(s->b + at, &x, 4);
}

/* the length field of a record started at AT */
static size_t rec_start(struct syn *s, int wide)
{
	size_t at = s->n;
	if (wide) {
		p32(s, 0xffffffff);
		p64(s, 0);
	} else {
		p32(s, 0);
	}
	return at;
}

static void rec_end(struct syn *s, size_t at, int wide)
{
	if (wide) {
		uint64_t len = s->n - at - 12;
		memcpy(s->b + at + 4, &len, 8);
	} else {
		patch32(s, at, s->n - at - 4);
	}
}

/* a CIE: code alignment 1, data alignment -8; AUGD: its augmentation
 * data (after the 'z' length) */
static size_t syn_cie(struct syn *s, int wide, unsigned ver, const char *aug,
		      const uint8_t *augd, size_t naugd, uint64_t ra,
		      const uint8_t *ins, size_t nins)
{
	size_t at = rec_start(s, wide);
	if (wide)
		p64(s, 0);
	else
		p32(s, 0);
	p8(s, ver);
	put(s, aug, strlen(aug) + 1);
	puleb(s, 1);
	psleb(s, -8);
	if (ver == 1)
		p8(s, ra);
	else
		puleb(s, ra);
	if (aug[0] == 'z') {
		puleb(s, naugd);
		put(s, augd, naugd);
	}
	put(s, ins, nins);
	rec_end(s, at, wide);
	return at;
}

/* FDE encodings the builder knows: these, and datarel (0x30) with any
 * form (see pform) */
#define E_DATAREL4 0x3b
#define E_PCREL8 0x1c
#define E_ABS 0x00

/* V in the value form of encoding ENC (its low nibble) */
static void pform(struct syn *s, unsigned enc, uint64_t v)
{
	switch (enc & 0x0f) {
	case 0x01: puleb(s, v); break;
	case 0x09: psleb(s, (int64_t)v); break;
	case 0x02: case 0x0a: p8(s, v); p8(s, v >> 8); break;
	case 0x03: case 0x0b: p32(s, v); break;
	default: p64(s, v); break; /* 0x00, 0x04, 0x08, 0x0c */
	}
}

/* an FDE for [X, X + RANGE); AUGD NULL: no augmentation data length
 * (a CIE without 'z'); entered in the table when TABLE */
static size_t syn_fde(struct syn *s, int wide, size_t cie, unsigned enc,
		      uint64_t x, uint64_t range, const uint8_t *augd,
		      size_t naugd, const uint8_t *ins, size_t nins, int table)
{
	size_t at = rec_start(s, wide);
	size_t idat = s->n;
	if (wide)
		p64(s, idat - cie);
	else
		p32(s, idat - cie);
	if ((enc & 0x70) == 0x30) { /* datarel: the header is at offset 0 */
		pform(s, enc, x);
		pform(s, enc, range);
	} else if (enc == E_PCREL8) {
		p64(s, x - s->n);
		p64(s, range);
	} else {
		pabs(s, x);
		p64(s, range);
	}
	if (augd) {
		puleb(s, naugd);
		put(s, augd, naugd);
	}
	put(s, ins, nins);
	rec_end(s, at, wide);
	if (table) {
		patch32(s, s->table_at + 8 * s->nfde, x);
		patch32(s, s->table_at + 8 * s->nfde + 4, at);
		patch32(s, s->count_at, ++s->nfde);
	}
	return at;
}

/* sct_cfi_in at X in copies of S next to guard pages, both sides; lo and
 * hi made relative again.  -1 when the two copies disagree. */
static int syn_look(const struct syn *s, uint64_t x, struct sct_cfi *out)
{
	struct sct_cfi c[2];
	for (int e = 0; e < 2; e++) {
		struct guarded g;
		if (guard_copy(&g, s->b, s->n, e))
			bail_out("mmap");
		for (unsigned i = 0; i < s->nfix; i++) {
			uint64_t v = (uint64_t)g.p + s->fixv[i];
			memcpy(g.p + s->fix[i], &v, 8);
		}
		uint64_t base = (uint64_t)g.p;
		sct_cfi_in(g.p, base, base + s->n, base + x, &c[e]);
		if (c[e].hi) {
			c[e].lo -= base;
			c[e].hi -= base;
		}
		guard_free(&g);
	}
	*out = c[0];
	return same_cfi(&c[0], &c[1]) ? 0 : -1;
}

#define K_STD(b, o, r) SCT_CFI_STD, b, o, r, SCT_CFI_WHY_OK
#define K_NONE(w) SCT_CFI_NONE, 0, 0, 0, SCT_CFI_WHY_##w
#define K_LAST SCT_CFI_LAST, 0, 0, 0, SCT_CFI_WHY_OK
#define K_SIGNAL SCT_CFI_SIGNAL, 0, 0, 0, SCT_CFI_WHY_OK

static void expect(const struct syn *s, const char *what, uint64_t x,
		   unsigned kind, int rb, int64_t off, int64_t rbo,
		   unsigned why, uint64_t lo, uint64_t hi)
{
	struct sct_cfi c;
	char b[80];
	int same = syn_look(s, x, &c) == 0;
	int r = ok(same && c.kind == kind && c.rbp_base == rb && c.off == off &&
		   c.rbo == rbo && c.why == why && c.lo == lo && c.hi == hi,
		   "%s at %#llx: %s [%#llx, %#llx)", what,
		   (unsigned long long)x, cfi_str(&c, b, sizeof b),
		   (unsigned long long)c.lo, (unsigned long long)c.hi);
	if (!r) {
		struct sct_cfi w = { .kind = kind, .rbp_base = rb, .off = off,
				     .rbo = rbo, .lo = lo, .hi = hi,
				     .why = why };
		diag("    want %s [%#llx, %#llx)%s", cfi_str(&w, b, sizeof b),
		     (unsigned long long)lo, (unsigned long long)hi,
		     same ? "" : " (the two copies differ)");
	}
}

/* gcc's CIE: CFA = rsp + 8, return address at CFA - 8 */
static const uint8_t cie_ins[] = { 0x0c, 7, 8, 0x90, 1 };
static const uint8_t aug_r[] = { E_DATAREL4 };

static void check_rows(void)
{
	struct syn s;
	/* a gcc-like function: prologue, frame pointer, an early return */
	static const uint8_t a[] = {
		0x41,             /* advance_loc 1 -> 0x1001 */
		0x0e, 16,         /* def_cfa_offset 16 */
		0x86, 2,          /* offset rbp, -16 */
		0x43,             /* advance_loc 3 -> 0x1004 */
		0x0d, 6,          /* def_cfa_register rbp */
		0x02, 0x40,       /* advance_loc1 0x40 -> 0x1044 */
		0x0a,             /* remember_state */
		0x0c, 7, 8,       /* def_cfa rsp, 8 */
		0x41,             /* -> 0x1045 */
		0x0b,             /* restore_state */
		0x03, 0x80, 0,    /* advance_loc2 0x80 -> 0x10c5 */
		0xc6,             /* restore rbp */
		0x12, 7, 0x7d,    /* def_cfa_sf rsp, -3 * -8 */
		0x04, 0x10, 0, 0, 0, /* advance_loc4 0x10 -> 0x10d5 */
		0x2e, 16,         /* GNU_args_size 16 */
		0, 0,             /* nop */
	};
	/* a 64-bit CIE and FDE, version 3, "zPLR", pcrel sdata8 pointers */
	static const uint8_t augb[] = { 0x9b, 1, 2, 3, 4, 0x1b, E_PCREL8 };
	static const uint8_t cieb[] = { 0x0c, 7, 8, 0x05, 16, 1 };
	uint8_t b[64];
	size_t nb = 0;
	static const uint8_t b0[] = {
		0x13, 0x7e,       /* def_cfa_offset_sf -2 * -8 */
		0x11, 6, 3,       /* offset_extended_sf rbp, 3 * -8 */
		0x01,             /* set_loc 0x2010 (8 bytes follow) */
	};
	memcpy(b, b0, sizeof b0);
	nb = sizeof b0;
	size_t setloc = nb;
	nb += 8;
	static const uint8_t b1[] = {
		0x2f, 6, 2,       /* GNU_negative_offset_extended rbp, 2 */
		0x41,             /* -> 0x2011 */
		0x08, 6,          /* same_value rbp */
		0x05, 16, 2,      /* offset_extended ra, -16 */
		0x41,             /* -> 0x2012 */
		0x06, 16,         /* restore_extended ra */
		0x41,             /* -> 0x2013 */
		0x14, 16, 1,      /* val_offset ra */
		0x41,             /* -> 0x2014 */
		0xd0,             /* restore ra */
		0x1d, 0x10, 0, 0, 0, 0, 0, 0, 0, /* advance_loc8 -> 0x2024 */
		0x0c, 3, 16,      /* def_cfa rbx, 16 */
	};
	memcpy(b + nb, b1, sizeof b1);
	nb += sizeof b1;

	syn_hdr(&s, 4, 0x3b);
	size_t cie = syn_cie(&s, 0, 1, "zR", aug_r, 1, 16, cie_ins,
			     sizeof cie_ins);
	syn_fde(&s, 0, cie, E_DATAREL4, 0x1000, 0x100, aug_r, 0, a, sizeof a,
		1);
	size_t cie2 = syn_cie(&s, 1, 3, "zPLR", augb, sizeof augb, 16, cieb,
			      sizeof cieb);
	static const uint8_t lsda[] = { 0, 0, 0, 0 };
	size_t f2 = syn_fde(&s, 1, cie2, E_PCREL8, 0x2000, 0x40, lsda, 4, b,
			    nb, 1);
	/* the set_loc operand: pcrel from its own place */
	size_t at = f2 + 12 + 8 + 16 + 1 + 4 + setloc;
	uint64_t v = 0x2010 - at;
	memcpy(s.b + at, &v, 8);

	expect(&s, "CIE row", 0x1000, K_STD(0, 8, 0), 0x1000, 0x1001);
	expect(&s, "push rbp", 0x1001, K_STD(0, 16, -16), 0x1001, 0x1004);
	expect(&s, "push rbp, last byte", 0x1003, K_STD(0, 16, -16), 0x1001,
	       0x1004);
	expect(&s, "def_cfa_register", 0x1004, K_STD(1, 16, -16), 0x1004,
	       0x1044);
	expect(&s, "advance_loc1 row, last byte", 0x1043, K_STD(1, 16, -16),
	       0x1004, 0x1044);
	expect(&s, "remember_state + def_cfa", 0x1044, K_STD(0, 8, -16),
	       0x1044, 0x1045);
	expect(&s, "restore_state", 0x1045, K_STD(1, 16, -16), 0x1045, 0x10c5);
	expect(&s, "restore + def_cfa_sf", 0x10c5, K_STD(0, 24, 0), 0x10c5,
	       0x10d5);
	expect(&s, "after advance_loc4", 0x10d5, K_STD(0, 24, 0), 0x10d5,
	       0x1100);
	expect(&s, "last byte of the FDE", 0x10ff, K_STD(0, 24, 0), 0x10d5,
	       0x1100);
	expect(&s, "past the FDE", 0x1100, K_NONE(NOFDE), 0, 0);
	expect(&s, "before every FDE", 0xfff, K_NONE(NOFDE), 0, 0);
	expect(&s, "64-bit, v3 zPLR: sf offsets", 0x2000, K_STD(0, 16, -24),
	       0x2000, 0x2010);
	expect(&s, "set_loc + negative_offset_extended", 0x2010,
	       K_STD(0, 16, 16), 0x2010, 0x2011);
	expect(&s, "same_value rbp, RA at CFA-16", 0x2011, K_NONE(SHAPE),
	       0x2011, 0x2012);
	expect(&s, "restore_extended ra", 0x2012, K_STD(0, 16, 0), 0x2012,
	       0x2013);
	expect(&s, "val_offset ra", 0x2013, K_NONE(SHAPE), 0x2013, 0x2014);
	expect(&s, "restore ra", 0x2014, K_STD(0, 16, 0), 0x2014, 0x2024);
	expect(&s, "advance_loc8 + CFA off rbx", 0x2030, K_NONE(SHAPE), 0x2024,
	       0x2040);
	expect(&s, "between FDEs", 0x1200, K_NONE(NOFDE), 0, 0);
}

static void check_shapes(void)
{
	struct syn s;
	static const uint8_t e[] = {
		0x41, 0x0f, 2, 0x77, 8,      /* 5001 def_cfa_expression */
		0x41, 0x0e, 16,              /* 5002 def_cfa_offset: still */
		0x41, 0x0c, 7, 16,           /* 5003 def_cfa rsp, 16 */
		0x41, 0x10, 6, 2, 0x77, 0,   /* 5004 expression rbp */
		0x41, 0x09, 6, 6,            /* 5005 register rbp, rbp */
		0x41, 0x09, 6, 3,            /* 5006 register rbp, rbx */
		0x41, 0x86, 2,               /* 5007 offset rbp */
		0x41, 0x07, 6,               /* 5008 undefined rbp */
		0x41, 0x08, 6, 0x16, 16, 2, 0x77, 0, /* 5009 val_expression */
		0x41, 0x90, 1,               /* 500a offset ra */
		0x41, 0x0c, 7, 12,           /* 500b CFA rsp + 12 */
		0x41, 0x0c, 7, 0,            /* 500c CFA rsp + 0 */
		0x41, 0x0c, 3, 16,           /* 500d CFA rbx + 16 */
		0x41, 0x0c, 6, 16, 0x86, 2,  /* 500e CFA rbp + 16 */
		0x41, 0x07, 16,              /* 500f undefined ra */
		0x41, 0x90, 1, 0x09, 3, 12, 0x83, 3, 0x07, 12,
		0x10, 13, 1, 0x96,           /* 5010 other registers */
		0x41, 0x0c, 7, 0x80, 0x80, 0x80, 0x80, 0x08, /* 5011: 2^31 */
		0x41, 0x0c, 7, 0xf8, 0xff, 0xff, 0xff, 0x07, /* 5012: 2^31-8 */
		0x41, 0x11, 6, 0x80, 0x80, 0x02, /* 5013 rbp at -32768 * 8 */
	};
	syn_hdr(&s, 1, 0x3b);
	size_t cie = syn_cie(&s, 0, 1, "zR", aug_r, 1, 16, cie_ins,
			     sizeof cie_ins);
	syn_fde(&s, 0, cie, E_DATAREL4, 0x5000, 0x100, aug_r, 0, e, sizeof e,
		1);
	expect(&s, "CIE", 0x5000, K_STD(0, 8, 0), 0x5000, 0x5001);
	expect(&s, "def_cfa_expression", 0x5001, K_NONE(EXPR), 0x5001, 0x5002);
	expect(&s, "def_cfa_offset after an expression", 0x5002, K_NONE(EXPR),
	       0x5002, 0x5003);
	expect(&s, "def_cfa", 0x5003, K_STD(0, 16, 0), 0x5003, 0x5004);
	expect(&s, "expression rbp", 0x5004, K_NONE(EXPR), 0x5004, 0x5005);
	expect(&s, "register rbp in rbp", 0x5005, K_STD(0, 16, 0), 0x5005,
	       0x5006);
	expect(&s, "register rbp in rbx", 0x5006, K_NONE(SHAPE), 0x5006,
	       0x5007);
	expect(&s, "offset rbp", 0x5007, K_STD(0, 16, -16), 0x5007, 0x5008);
	expect(&s, "undefined rbp", 0x5008, K_NONE(SHAPE), 0x5008, 0x5009);
	expect(&s, "val_expression ra", 0x5009, K_NONE(EXPR), 0x5009, 0x500a);
	expect(&s, "offset ra", 0x500a, K_STD(0, 16, 0), 0x500a, 0x500b);
	expect(&s, "CFA rsp + 12", 0x500b, K_NONE(SHAPE), 0x500b, 0x500c);
	expect(&s, "CFA rsp + 0", 0x500c, K_NONE(SHAPE), 0x500c, 0x500d);
	expect(&s, "CFA rbx + 16", 0x500d, K_NONE(SHAPE), 0x500d, 0x500e);
	expect(&s, "CFA rbp + 16", 0x500e, K_STD(1, 16, -16), 0x500e, 0x500f);
	expect(&s, "undefined ra", 0x500f, K_LAST, 0x500f, 0x5010);
	expect(&s, "rules of other registers", 0x5010, K_STD(1, 16, -16),
	       0x5010, 0x5011);
	expect(&s, "CFA offset 2^31", 0x5011, K_NONE(SHAPE), 0x5011, 0x5012);
	expect(&s, "CFA offset 2^31 - 8", 0x5012, K_STD(0, 0x7ffffff8, -16),
	       0x5012, 0x5013);
	expect(&s, "rbp out of int16 reach", 0x5013, K_NONE(SHAPE), 0x5013,
	       0x5100);
}

static void check_broken(void)
{
	struct syn s;
	/* remember_state: 8 deep is fine, a 9th and an extra restore not */
	uint8_t d[64];
	size_t n = 0;
	d[n++] = 0x41;
	for (int i = 0; i < 8; i++)
		d[n++] = 0x0a;
	d[n++] = 0x0e;
	d[n++] = 16;
	d[n++] = 0x41;
	for (int i = 0; i < 8; i++)
		d[n++] = 0x0b;
	d[n++] = 0x41;
	d[n++] = 0x0b;
	uint8_t d9[16];
	size_t n9 = 0;
	d9[n9++] = 0x41;
	for (int i = 0; i < 9; i++)
		d9[n9++] = 0x0a;
	static const uint8_t unk[] = { 0x45, 0x20, 0x41, 0x0e, 16 };
	static const uint8_t trunc[] = { 0x42, 0x0e, 0x80 };
	static const uint8_t ovf[] = { 0x41, 0x86, 0x80, 0x80, 0x80, 0x80,
				       0x80, 0x80, 0x80, 0x80, 0x40 };
	static const uint8_t blk[] = { 0x41, 0x0f, 0x7f, 0x77 };

	syn_hdr(&s, 6, 0x3b);
	size_t cie = syn_cie(&s, 0, 1, "zR", aug_r, 1, 16, cie_ins,
			     sizeof cie_ins);
	syn_fde(&s, 0, cie, E_DATAREL4, 0x4000, 0x100, aug_r, 0, d, n, 1);
	syn_fde(&s, 0, cie, E_DATAREL4, 0x4100, 0x100, aug_r, 0, d9, n9, 1);
	syn_fde(&s, 0, cie, E_DATAREL4, 0x4200, 0x100, aug_r, 0, unk,
		sizeof unk, 1);
	syn_fde(&s, 0, cie, E_DATAREL4, 0x4300, 0x100, aug_r, 0, trunc,
		sizeof trunc, 1);
	syn_fde(&s, 0, cie, E_DATAREL4, 0x4400, 0x100, aug_r, 0, ovf,
		sizeof ovf, 1);
	syn_fde(&s, 0, cie, E_DATAREL4, 0x4500, 0x100, aug_r, 0, blk,
		sizeof blk, 1);
	expect(&s, "8 remember_state", 0x4001, K_STD(0, 16, 0), 0x4001, 0x4002);
	expect(&s, "8 restore_state", 0x4002, K_STD(0, 8, 0), 0x4002, 0x4003);
	expect(&s, "restore_state on an empty stack", 0x4003, K_NONE(BAD),
	       0x4003, 0x4100);
	expect(&s, "  and the rest of the FDE", 0x40ff, K_NONE(BAD), 0x4003,
	       0x4100);
	expect(&s, "before a 9th remember_state", 0x4100, K_STD(0, 8, 0),
	       0x4100, 0x4101);
	expect(&s, "9 remember_state", 0x4101, K_NONE(BAD), 0x4101, 0x4200);
	expect(&s, "before an unknown opcode", 0x4204, K_STD(0, 8, 0), 0x4200,
	       0x4205);
	expect(&s, "unknown opcode", 0x4205, K_NONE(BAD), 0x4205, 0x4300);
	expect(&s, "before a truncated operand", 0x4301, K_STD(0, 8, 0),
	       0x4300, 0x4302);
	expect(&s, "truncated operand", 0x4302, K_NONE(BAD), 0x4302, 0x4400);
	expect(&s, "offset overflowing int64", 0x4401, K_NONE(BAD), 0x4401,
	       0x4500);
	expect(&s, "expression block past the FDE", 0x4501, K_NONE(BAD),
	       0x4501, 0x4600);

	/* headers, records, encodings */
	syn_hdr(&s, 1, 0x1b);
	cie = syn_cie(&s, 0, 1, "zR", aug_r, 1, 16, cie_ins, sizeof cie_ins);
	syn_fde(&s, 0, cie, E_DATAREL4, 0x1000, 0x10, aug_r, 0, 0, 0, 1);
	expect(&s, "table encoding pcrel", 0x1000, K_NONE(NOTABLE), 0, 0);

	syn_hdr(&s, 1, 0x3b);
	s.b[0] = 2;
	cie = syn_cie(&s, 0, 1, "zR", aug_r, 1, 16, cie_ins, sizeof cie_ins);
	syn_fde(&s, 0, cie, E_DATAREL4, 0x1000, 0x10, aug_r, 0, 0, 0, 1);
	expect(&s, "header version 2", 0x1000, K_NONE(NOTABLE), 0, 0);

	syn_hdr(&s, 1, 0x3b);
	patch32(&s, s.count_at, 1000);
	expect(&s, "fde_count past the end", 0x1000, K_NONE(NOTABLE), 0, 0);

	syn_hdr(&s, 0, 0x3b);
	expect(&s, "empty table", 0x1000, K_NONE(NOFDE), 0, 0);

	syn_hdr(&s, 1, 0x3b);
	cie = syn_cie(&s, 0, 1, "zR", aug_r, 1, 16, cie_ins, sizeof cie_ins);
	size_t f = syn_fde(&s, 0, cie, E_DATAREL4, 0x1000, 0x10, aug_r, 0, 0,
			   0, 1);
	patch32(&s, f + 4, 0);
	expect(&s, "table entry at a CIE", 0x1000, K_NONE(BAD), 0, 0);
	patch32(&s, f + 4, f + 4 + 8);
	expect(&s, "CIE pointer before the object", 0x1000, K_NONE(BAD), 0, 0);
	patch32(&s, f + 4, f + 4 - cie);
	patch32(&s, f, 0x1000);
	expect(&s, "FDE length past the end", 0x1000, K_NONE(BAD), 0, 0);
	patch32(&s, f, 0);
	expect(&s, "FDE length 0 (terminator)", 0x1000, K_NONE(BAD), 0, 0);
	patch32(&s, f, 0xffffffff);
	expect(&s, "64-bit length cut short", 0x1000, K_NONE(BAD), 0, 0);
	patch32(&s, s.table_at + 4, 0x7ffffff0);
	expect(&s, "table entry past the object", 0x1000, K_NONE(BAD), 0, 0);

	static const struct {
		const char *what, *aug;
		uint8_t augd[2];
		size_t naugd;
		unsigned ver, ra;
		unsigned kind, why;
	} cies[] = {
		{ "textrel FDE encoding", "zR", { 0x2b }, 1, 1, 16,
		  SCT_CFI_NONE, SCT_CFI_WHY_BAD },
		{ "aligned FDE encoding", "zR", { 0x50 }, 1, 1, 16,
		  SCT_CFI_NONE, SCT_CFI_WHY_BAD },
		{ "CIE version 2", "zR", { 0x3b }, 1, 2, 16, SCT_CFI_NONE,
		  SCT_CFI_WHY_BAD },
		{ "augmentation \"eh\"", "eh", { 0 }, 0, 1, 16, SCT_CFI_NONE,
		  SCT_CFI_WHY_BAD },
		{ "unknown augmentation before R", "zXR", { 0x3b }, 1, 1, 16,
		  SCT_CFI_NONE, SCT_CFI_WHY_BAD },
		{ "unknown augmentation after R", "zRX", { 0x3b, 9 }, 2, 1,
		  16, SCT_CFI_STD, SCT_CFI_WHY_OK },
		{ "unknown augmentation, then S", "zRXS", { 0x3b, 9 }, 2, 1,
		  16, SCT_CFI_SIGNAL, SCT_CFI_WHY_OK },
		{ "augmentation data past the CIE", "zR", { 0x3b }, 100, 1,
		  16, SCT_CFI_NONE, SCT_CFI_WHY_BAD },
		{ "return address column 15", "zR", { 0x3b }, 1, 1, 15,
		  SCT_CFI_NONE, SCT_CFI_WHY_SHAPE },
	};
	for (unsigned i = 0; i < sizeof cies / sizeof cies[0]; i++) {
		syn_hdr(&s, 1, 0x3b);
		size_t naugd = cies[i].naugd > 2 ? 2 : cies[i].naugd;
		cie = syn_cie(&s, 0, cies[i].ver, cies[i].aug, cies[i].augd,
			      naugd, cies[i].ra, cie_ins, sizeof cie_ins);
		if (cies[i].naugd > 2) /* the uleb length right after "zR\0" */
			s.b[cie + 4 + 4 + 1 + 3 + 3] = (uint8_t)cies[i].naugd;
		syn_fde(&s, 0, cie, E_DATAREL4, 0x1000, 0x10,
			cies[i].aug[0] == 'z' ? aug_r : NULL, 0, 0, 0, 1);
		/* broken: no FDE header read, so no range */
		uint64_t lo = cies[i].why == SCT_CFI_WHY_BAD ? 0 : 0x1000;
		uint64_t hi = lo ? 0x1010 : 0;
		if (cies[i].kind == SCT_CFI_STD)
			expect(&s, cies[i].what, 0x1000, K_STD(0, 8, 0), lo,
			       hi);
		else
			expect(&s, cies[i].what, 0x1000, cies[i].kind, 0, 0, 0,
			       cies[i].why, lo, hi);
	}

	/* version 4: address and segment selector sizes after the string */
	syn_hdr(&s, 1, 0x3b);
	{
		size_t at = rec_start(&s, 0);
		p32(&s, 0);
		p8(&s, 4);
		put(&s, "zR", 3);
		p8(&s, 8);
		p8(&s, 0);
		puleb(&s, 1);
		psleb(&s, -8);
		puleb(&s, 16);
		puleb(&s, 1);
		p8(&s, E_DATAREL4);
		put(&s, cie_ins, sizeof cie_ins);
		rec_end(&s, at, 0);
		syn_fde(&s, 0, at, E_DATAREL4, 0x1000, 0x10, aug_r, 0, 0, 0,
			1);
	}
	expect(&s, "CIE version 4", 0x1000, K_STD(0, 8, 0), 0x1000, 0x1010);

	/* absolute and indirect pointers, a CIE without augmentation */
	syn_hdr(&s, 2, 0x3b);
	cie = syn_cie(&s, 0, 1, "", 0, 0, 16, cie_ins, sizeof cie_ins);
	syn_fde(&s, 0, cie, E_ABS, 0x1000, 0x10, NULL, 0, 0, 0, 1);
	static const uint8_t aug_ind[] = { 0xbb }; /* indirect datarel */
	size_t cie3 = syn_cie(&s, 0, 1, "zR", aug_ind, 1, 16, cie_ins,
			      sizeof cie_ins);
	size_t slot = s.n;
	pabs(&s, 0x2000);
	f = syn_fde(&s, 0, cie3, E_DATAREL4, 0x2000, 0x10, aug_r, 0, 0, 0, 1);
	patch32(&s, f + 8, slot); /* pc_begin: the slot, from the header */
	expect(&s, "absptr, no augmentation", 0x1008, K_STD(0, 8, 0), 0x1000,
	       0x1010);
	expect(&s, "indirect datarel pc_begin", 0x2008, K_STD(0, 8, 0),
	       0x2000, 0x2010);
	patch32(&s, f + 8, 0x7fff0000);
	expect(&s, "indirect pointer past the object", 0x2008, K_NONE(BAD), 0,
	       0);

	/* every value form of the FDE pointers (datarel): uleb128, udata2,
	 * udata4, udata8, signed, sleb128, sdata2, sdata8 */
	static const uint8_t forms[] = { 0x31, 0x32, 0x33, 0x34,
					 0x38, 0x39, 0x3a, 0x3c };
	for (size_t i = 0; i < sizeof forms; i++) {
		char what[48];
		syn_hdr(&s, 1, 0x3b);
		size_t ce = syn_cie(&s, 0, 1, "zR", &forms[i], 1, 16, cie_ins,
				    sizeof cie_ins);
		syn_fde(&s, 0, ce, forms[i], 0x1000, 0x10, aug_r, 0, 0, 0, 1);
		snprintf(what, sizeof what, "FDE pointers encoded %#x",
			 forms[i]);
		expect(&s, what, 0x1008, K_STD(0, 8, 0), 0x1000, 0x1010);
	}
	static const uint8_t bad_forms[] = { 0x35, 0x3d };
	for (size_t i = 0; i < sizeof bad_forms; i++) {
		char what[48];
		syn_hdr(&s, 1, 0x3b);
		size_t ce = syn_cie(&s, 0, 1, "zR", &bad_forms[i], 1, 16,
				    cie_ins, sizeof cie_ins);
		syn_fde(&s, 0, ce, bad_forms[i], 0x1000, 0x10, aug_r, 0, 0, 0,
			1);
		snprintf(what, sizeof what, "no such form %#x", bad_forms[i]);
		expect(&s, what, 0x1008, K_NONE(BAD), 0, 0);
	}

	/* signal frames: whatever their instructions */
	static const uint8_t junk[] = { 0x20, 0x0b, 0x0f, 0x7f };
	syn_hdr(&s, 1, 0x3b);
	static const uint8_t aug_rs[] = { E_DATAREL4 };
	cie = syn_cie(&s, 0, 1, "zRS", aug_rs, 1, 16, cie_ins, sizeof cie_ins);
	syn_fde(&s, 0, cie, E_DATAREL4, 0x3000, 0x10, aug_r, 0, junk,
		sizeof junk, 1);
	expect(&s, "'S' with broken instructions", 0x3008, K_SIGNAL, 0x3000,
	       0x3010);

	struct sct_cfi c;
	sct_cfi_in(NULL, 0, ~0ull, 0x1000, &c);
	ok(c.kind == SCT_CFI_NONE && c.why == SCT_CFI_WHY_NOTABLE,
	   "no .eh_frame_hdr: NONE");
}

/* ---- libc's tables copied, mutated, cut ------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void check_copy(const struct object *o)
{
	uint32_t nt;
	const int32_t *t = obj_table(o, &nt);
	if (!t || !nt) {
		skip(3, "no usual table");
		return;
	}
	size_t n = o->seg_hi - o->hdr;
	struct guarded g[2];
	if (guard_copy(&g[0], (void *)o->hdr, n, 1) ||
	    guard_copy(&g[1], (void *)o->hdr, n, 0))
		bail_out("mmap");
	/* a copy gives the same rules, shifted (pointers are relative) */
	unsigned bad = 0, checked = 0;
	for (unsigned i = 0; i < nkeys; i += 3) {
		for (int e = 0; e < 2; e++) {
			uint64_t d = (uint64_t)g[e].p - o->hdr;
			struct sct_cfi a, b;
			sct_cfi_find(keys[i], &a);
			sct_cfi_in(g[e].p, (uint64_t)g[e].p,
				   (uint64_t)g[e].p + n, keys[i] + d, &b);
			b.lo -= d;
			b.hi -= d;
			checked++;
			bad += !same_cfi(&a, &b);
		}
	}
	ok(checked > 0 && bad == 0,
	   "%s's tables copied elsewhere: the same %u rules", o->name, checked);

	/* mutated: a few bytes at a time, mostly in the FDE looked up and
	 * its CIE, sometimes in its table entry or anywhere */
	unsigned long kinds[4] = { 0 };
	uint64_t t0 = now_ns();
	const unsigned rounds = 20000;
	for (unsigned r = 0; r < rounds; r++) {
		struct guarded *h = &g[r & 1];
		uint32_t i = (uint32_t)(rnd() % nt);
		size_t fde = (size_t)(int64_t)t[2 * i + 1], cie = fde;
		uint32_t id;
		if (fde + 8 <= n) {
			memcpy(&id, (const uint8_t *)o->hdr + fde + 4, 4);
			cie = fde + 4 >= id ? fde + 4 - id : fde;
		}
		size_t at[4];
		uint8_t was[4];
		unsigned m = 1 + (unsigned)(rnd() % 4);
		for (unsigned k = 0; k < m; k++) {
			unsigned w = (unsigned)(rnd() % 20);
			at[k] = w < 13 ? fde + rnd() % 64 :
				w < 17 ? cie + rnd() % 32 :
				w < 19 ? 12 + 8 * (size_t)i + rnd() % 8 :
				rnd() % n;
			if (at[k] >= n)
				at[k] = rnd() % n;
			was[k] = h->p[at[k]];
			h->p[at[k]] = (uint8_t)rnd();
		}
		for (unsigned k = 0; k < 4; k++) {
			uint64_t key = o->hdr + (uint64_t)(int64_t)t[2 * i] +
				rnd() % 256;
			struct sct_cfi c;
			sct_cfi_in(h->p, (uint64_t)h->p, (uint64_t)h->p + n,
				   key + ((uint64_t)h->p - o->hdr), &c);
			kinds[c.kind & 3]++;
		}
		while (m--)
			h->p[at[m]] = was[m];
	}
	ok(1, "%u mutated tables read, no fault (STD %lu, LAST %lu, SIGNAL "
	   "%lu, NONE %lu; %.0f ms)", rounds, kinds[1], kinds[2], kinds[3],
	   kinds[0], (double)(now_ns() - t0) / 1e6);
	guard_free(&g[0]);
	guard_free(&g[1]);

	/* cut short: the object ends anywhere */
	unsigned cuts = 0;
	for (unsigned r = 0; r < 100; r++) {
		size_t cut = 1 + rnd() % n;
		struct guarded h;
		if (guard_copy(&h, (void *)o->hdr, cut, r & 1))
			bail_out("mmap");
		for (unsigned k = 0; k < 64; k++) {
			uint64_t key = o->hdr + rnd() % 64 +
				(uint64_t)(int64_t)t[2 * (rnd() % nt)];
			struct sct_cfi c;
			sct_cfi_in(h.p, (uint64_t)h.p, (uint64_t)h.p + cut,
				   key + ((uint64_t)h.p - o->hdr), &c);
			cuts++;
		}
		guard_free(&h);
	}
	ok(1, "%u lookups in tables cut short, no fault", cuts);
}

/* ---- timing ------------------------------------------------------------ */

static void timing(void)
{
	if (!nkeys)
		return;
	struct sct_cfi c;
	uint64_t acc = 0;
	const unsigned reps = 20;
	uint64_t t0 = now_ns();
	for (unsigned r = 0; r < reps; r++)
		for (unsigned i = 0; i < nkeys; i++) {
			sct_cfi_find(keys[i], &c);
			acc += (uint64_t)c.off;
		}
	double cfi = (double)(now_ns() - t0) / (reps * nkeys);
	struct dl_find_object f;
	t0 = now_ns();
	for (unsigned r = 0; r < reps; r++)
		for (unsigned i = 0; i < nkeys; i++) {
			_dl_find_object((void *)keys[i], &f);
			acc += (uint64_t)f.dlfo_eh_frame;
		}
	double dlfo = (double)(now_ns() - t0) / (reps * nkeys);
	unsigned no = nkeys < 4000 ? nkeys : 4000;
	t0 = now_ns();
	for (unsigned i = 0; i < no; i++)
		acc += oracle(keys[i * (nkeys / no)]).kind;
	double orc = (double)(now_ns() - t0) / no;
	sink = acc;
	note("timing over %u row starts of libc: %.0f ns per sct_cfi_find "
	     "(%.0f ns of it _dl_find_object), %.0f ns per libunwind learn "
	     "(%.0fx)", nkeys, cfi, dlfo, orc, orc / cfi);
}

int main(void)
{
	if (oracle_init())
		bail_out("cannot map the scratch area");
	dl_iterate_phdr(obj_cb, NULL);
	note("%u objects with .eh_frame_hdr", nobj);
	const struct object *libc = find_obj("libc.so");
	ok(libc && find_obj("ld-linux") && find_obj("libunwind") &&
	   find_obj("(this program)"),
	   "libc, ld.so, libunwind and this program found");
	/* libc first: its row starts are the timing's keys */
	if (libc)
		sweep(libc, 1);
	for (unsigned i = 0; i < nobj; i++)
		if (&objs[i] != libc)
			sweep(&objs[i], 0);
	check_compiled();
	check_special();
	check_dlopen();
	check_rows();
	check_shapes();
	check_broken();
	if (libc)
		check_copy(libc);
	timing();
	return done_testing();
}
