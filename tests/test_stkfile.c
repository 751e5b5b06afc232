/* Unit tests of the side-file reader (dump/stack_read.c) and of offline
 * symbolization (dump/sym.c): files written with the preload's writer
 * (preload/stack_write.c), then damaged in the ways a crash or a bad disk
 * would; symbols checked against this program's own functions and a
 * non-PIE helper (tests/symtarget.c), read with libelf, not nm.
 */
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>

#include "synth.h"
#include "dump.h"

static struct synth_dir dir;

static char *side_path(uint32_t pid, uint64_t image)
{
	static char p[600];
	snprintf(p, sizeof p, "%s/%u-%llu.stk", dir.path, pid,
		 (unsigned long long)image);
	return p;
}

static struct sct_stkfile *open_ok(const char *path, char *err, size_t n)
{
	struct sct_stkfile *f = sct_stkfile_open(path, err, n);
	if (!f)
		diag("open %s: %s", path, err);
	return f;
}

/* ---- a good file ------------------------------------------------------- */
static void test_good(void)
{
	struct sct_stk_hdr *h = synth_side(&dir, 10, 1000, 8, 64, 4096);
	uint64_t a[3] = { 0x1010, 0x2020, 0x3030 }, b[2] = { 0x1010, 0x4040 };
	uint32_t ia = sct_stk_intern(h, a, 3), ib = sct_stk_intern(h, b, 2);
	ok(ia && ib && ia != ib && sct_stk_intern(h, a, 3) == ia,
	   "writer interns two stacks (ids %u %u)", ia, ib);
	sct_mod_append(h, SCT_MOD_MAP, 1000, 0x1000, 0x2000, 0, "/x/app");
	sct_mod_append(h, SCT_MOD_MAP, 1000, 0x3000, 0x4000, 0x2000, "/x/libc.so.6");
	sct_mod_append(h, SCT_MOD_MAP, 1500, 0x4000, 0x5000, 0, "/x/plugin.so");
	sct_mod_append(h, SCT_MOD_UNMAP, 1800, 0x4000, 0x5000, 0, "");
	sct_mod_append(h, SCT_MOD_MAP, 1900, 0x4000, 0x6000, 0x1000, "/x/other.so");

	char err[512];
	struct sct_stkfile *f = open_ok(side_path(10, 1000), err, sizeof err);
	ok(f && !err[0], "good file opens without a warning");
	if (!f)
		return;
	uint64_t ips[64];
	unsigned n = sct_stkfile_stack(f, ia, ips, 64);
	ok(n == 3 && ips[0] == 0x1010 && ips[2] == 0x3030, "stack a reads back");
	n = sct_stkfile_stack(f, ib, ips, 64);
	ok(n == 2 && ips[1] == 0x4040, "stack b reads back");
	is_int(sct_stkfile_stack(f, 0, ips, 64), 0, "id 0 is no stack");
	is_int(sct_stkfile_stack(f, 65, ips, 64), 0, "id past the table");
	uint32_t empty = 1;
	while (empty == ia || empty == ib)
		empty++;
	is_int(sct_stkfile_stack(f, empty, ips, 64), 0, "an empty slot is no stack");
	is_int(f->nmods, 5, "five module entries");

	size_t e = sct_stkfile_epoch(f, 1600);
	const struct sct_mod *m = sct_stkfile_module(f, 0x4800, e);
	is_str(m ? m->path : NULL, "/x/plugin.so", "dlopened plugin at 1600");
	m = sct_stkfile_module(f, 0x4800, sct_stkfile_epoch(f, 1850));
	ok(m == NULL, "nothing after its dlclose at 1800");
	m = sct_stkfile_module(f, 0x4800, sct_stkfile_epoch(f, 2000));
	is_str(m ? m->path : NULL, "/x/other.so", "a new mapping there at 1900");
	m = sct_stkfile_module(f, 0x3008, sct_stkfile_epoch(f, 5000));
	ok(m && m->offset == 0x2000, "snapshot entry keeps its file offset");
	m = sct_stkfile_module(f, 0x4800, sct_stkfile_epoch(f, 1200));
	is_str(m ? m->path : NULL, "/x/plugin.so",
	       "before any entry: the first later mapping");
	ok(!sct_stkfile_module(f, 0x9000, e), "unmapped address: no module");
	sct_stkfile_close(f);
	synth_unmap(h);
}

/* ---- entries not committed, reserved, or corrupt -------------------------- */
static void test_uncommitted(void)
{
	struct sct_stk_hdr *h = synth_side(&dir, 11, 1000, 4, 16, 4096);
	sct_mod_append(h, SCT_MOD_MAP, 1000, 0x1000, 0x2000, 0, "/x/a");
	sct_mod_append(h, SCT_MOD_MAP, 1000, 0x2000, 0x3000, 0, "/x/b");
	/* the second entry as a writer that died before its commit left it */
	struct sct_mod_ent *e2 = (void *)((char *)h + h->mod_off + 48);
	e2->commit = 0;
	sct_mod_append(h, SCT_MOD_MAP, 1000, 0x3000, 0x4000, 0, "/x/c");
	char err[512];
	struct sct_stkfile *f = open_ok(side_path(11, 1000), err, sizeof err);
	if (!f)
		bail_out("cannot open");
	ok(f->nmods == 2 && f->mod_partial, "uncommitted entry skipped, rest read");
	ok(!sct_stkfile_module(f, 0x2800, sct_stkfile_epoch(f, 2000)),
	   "its range stays unknown");
	/* a reserved entry (len still 0) ends the walk */
	e2->commit = 1;
	h->mod_head += 48; /* reserved, never written */
	sct_mod_append(h, SCT_MOD_MAP, 1000, 0x5000, 0x6000, 0, "/x/d");
	sct_stkfile_mods_update(f);
	ok(f->nmods == 3 && f->mod_partial, "reserved entry ends the walk (%zu)",
	   f->nmods);
	sct_stkfile_close(f);
	/* a length running past the log, misaligned, a path without its NUL */
	static const char *const what[] = { "oversized", "misaligned",
					    "unterminated path in" };
	for (int k = 0; k < 3; k++) {
		e2->len = k == 0 ? 1u << 30 : k == 1 ? 44 : 48;
		if (k == 2)
			memset(e2 + 1, 'x', 8);
		f = open_ok(side_path(11, 1000), err, sizeof err);
		ok(f && f->mod_corrupt && f->nmods == 1, "%s entry stops the walk",
		   what[k]);
		sct_stkfile_close(f);
	}
	synth_unmap(h);
}

/* ---- a table that filled up ---------------------------------------------- */
static void test_full(void)
{
	struct sct_stk_hdr *h = synth_side(&dir, 12, 1000, 4, 4, 1024);
	uint32_t id[5];
	for (unsigned i = 0; i < 5; i++) {
		uint64_t ips[2] = { 0x100 + i, 0x200 };
		id[i] = sct_stk_intern(h, ips, 2);
	}
	ok(id[4] == 0 && h->stacks_lost == 1 && h->stacks == 4,
	   "fifth stack finds no slot");
	char err[512];
	struct sct_stkfile *f = open_ok(side_path(12, 1000), err, sizeof err);
	int good = f != NULL;
	for (unsigned i = 0; f && i < 4; i++) {
		uint64_t ips[4];
		good &= sct_stkfile_stack(f, id[i], ips, 4) == 2 &&
			ips[0] == 0x100 + i;
	}
	ok(good, "the four stored stacks read back");
	uint64_t ips[1];
	ok(f && sct_stkfile_stack(f, id[0], ips, 1) == 1,
	   "a short buffer gets the innermost frames");
	sct_stkfile_close(f);
	synth_unmap(h);
}

/* ---- the writer's index growing (stack_write.c: IDX_FIRST) ---------------- */
static void test_grow(void)
{
	struct sct_stk_hdr *h = synth_side(&dir, 14, 1000, 4, 4096, 1024);
	static uint32_t id[3000];
	int distinct = 1, same = 1;
	for (unsigned i = 0; i < 3000; i++) {
		uint64_t ips[2] = { 0x1000 + i, 0x2000 };
		id[i] = sct_stk_intern(h, ips, 2);
		distinct &= id[i] == i + 1;
	}
	for (unsigned i = 0; i < 3000; i++) {
		uint64_t ips[2] = { 0x1000 + i, 0x2000 };
		same &= sct_stk_intern(h, ips, 2) == id[i];
	}
	ok(distinct && same && h->stacks == 3000 && h->stacks_lost == 0,
	   "3000 stacks: each stored once, found again after the index grew");
	synth_unmap(h);
}

/* ---- truncated and garbage files ------------------------------------------ */
static void test_truncated(void)
{
	struct sct_stk_hdr *h = synth_side(&dir, 13, 1000, 4, 16, 4096);
	uint64_t ips[2] = { 0x111, 0x222 };
	uint32_t id = 0, last = 0;
	for (unsigned i = 0; i < 10; i++) {
		ips[0] = 0x111 + i;
		last = sct_stk_intern(h, ips, 2);
		if (!id || SCT_STK_SLOT(last) < SCT_STK_SLOT(id))
			id = last;
	}
	sct_mod_append(h, SCT_MOD_MAP, 1000, 0x1000, 0x2000, 0, "/x/a");
	uint64_t slot = sizeof(struct sct_stk_slot) + 8 * 4;
	char *path = side_path(13, 1000);
	synth_unmap(h);
	ok(truncate(path, (off_t)(SCT_STK_HDR_SIZE + slot * 8 + 20)) == 0,
	   "cut the file in slot 8");
	char err[512];
	struct sct_stkfile *f = open_ok(path, err, sizeof err);
	ok(f && strstr(err, "truncated"), "opens with a warning: %s", err);
	int inside = 0, outside = 0;
	for (uint32_t i = 1; f && i <= 16; i++) {
		uint64_t got[4];
		unsigned n = sct_stkfile_stack(f, i, got, 4);
		if (SCT_STK_SLOT(i) < 8)
			inside += n == 2;
		else
			outside += n != 0;
	}
	ok(f && inside > 0 && outside == 0,
	   "slots before the cut read (%d), none after", inside);
	ok(f && f->nmods == 0, "module log gone: no modules");
	sct_stkfile_close(f);
	ok(truncate(path, 100) == 0 && !sct_stkfile_open(path, err, sizeof err) &&
		   strstr(err, "too short"),
	   "a file shorter than its header is refused: %s", err);
	ok(!sct_stkfile_open(dir.path, err, sizeof err), "a directory is refused");
	ok(!sct_stkfile_open("/nonexistent/1-2.stk", err, sizeof err) &&
		   strstr(err, "No such file"),
	   "a missing file is refused: %s", err);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_garbage(void)
{
	char *path = side_path(14, 1000);
	uint64_t size = synth_side_size(4, 16, 4096), seed = 88172645463325252ULL;
	unsigned char *m = synth_map(path, size);
	for (uint64_t i = 0; i < size; i++)
		m[i] = (unsigned char)rnd(&seed);
	char err[512];
	ok(!sct_stkfile_open(path, err, sizeof err) && strstr(err, "bad magic"),
	   "random bytes are refused: %s", err);
	/* a valid header over random slots and log: read everything */
	sct_stk_init((struct sct_stk_hdr *)(void *)m, size, 4, 16, 1000, 14, 0);
	((struct sct_stk_hdr *)(void *)m)->mod_head = rnd(&seed);
	for (unsigned i = 0; i < 16; i++) { /* slots that claim to be ready */
		struct sct_stk_slot *sl = (void *)(m + SCT_STK_HDR_SIZE + i * 48);
		sl->state = SCT_STK_READY;
		sl->nframes = (uint16_t)(rnd(&seed) % 8);
	}
	struct sct_stkfile *f = sct_stkfile_open(path, err, sizeof err);
	ok(f != NULL, "valid header over garbage opens");
	unsigned frames = 0;
	for (uint32_t id = 0; f && id < 40; id++) {
		uint64_t ips[64];
		frames += sct_stkfile_stack(f, id, ips, 64);
	}
	for (int k = 0; f && k < 1000; k++)
		(void)sct_stkfile_module(f, rnd(&seed), k);
	ok(1, "garbage slots and log read without a crash (%u frames)", frames);
	sct_stkfile_close(f);
	/* lying layout fields */
	struct sct_stk_hdr *h = (struct sct_stk_hdr *)(void *)m;
	h->nslots = 12;
	ok(!sct_stkfile_open(path, err, sizeof err), "nslots not a power of two");
	h->nslots = 16;
	h->depth = 1000;
	ok(!sct_stkfile_open(path, err, sizeof err), "depth beyond the maximum");
	h->depth = 4;
	h->mod_off = 1;
	ok(!sct_stkfile_open(path, err, sizeof err), "module log offset wrong");
	munmap(m, size);
}

/* ---- symbolization -------------------------------------------------------- */
static int target_line;

__attribute__((noinline)) static uint64_t return_address(void)
{
	return (uint64_t)(uintptr_t)__builtin_return_address(0);
}

/* The return address of a call in here, and the line of that call. */
__attribute__((noinline)) uint64_t sct_test_target(void)
{
	uint64_t ip = return_address(); target_line = __LINE__;
	__asm__ volatile("" ::: "memory");
	return ip;
}

static uint64_t main_bias;
static int first_phdr(struct dl_phdr_info *info, size_t n, void *arg)
{
	(void)n;
	(void)arg;
	main_bias = info->dlpi_addr;
	return 1;
}

/* This program's executable mappings, as the preload's snapshot, and
 * those of libc. */
static void log_self(struct sct_stk_hdr *h, uint64_t ts, char *exe, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", exe, n - 1);
	exe[len > 0 ? len : 0] = 0;
	FILE *fp = fopen("/proc/self/maps", "re");
	char line[4608];
	while (fp && fgets(line, sizeof line, fp)) {
		unsigned long long s, e, off;
		char perm[8], path[4096] = "";
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095s", &s, &e, perm,
			   &off, path) >= 4 &&
		    perm[2] == 'x' &&
		    (strcmp(path, exe) == 0 || strstr(path, "/libc.so")))
			sct_mod_append(h, SCT_MOD_MAP, ts, s, e, off, path);
	}
	if (fp)
		fclose(fp);
}

static const char *base(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s ? s + 1 : p;
}

static void test_sym_self(void)
{
	uint64_t ip = sct_test_target();
	dl_iterate_phdr(first_phdr, NULL);
	struct sct_stk_hdr *h = synth_side(&dir, 20, 1000, 8, 16, 4096);
	char exe[4096];
	log_self(h, 1000, exe, sizeof exe);
	char err[512];
	struct sct_stkfile *f = open_ok(side_path(20, 1000), err, sizeof err);
	const struct sct_mod *m = f ? sct_stkfile_module(f, ip, f->nmods) : NULL;
	ok(m != NULL, "this program's text is in the log");
	struct sct_sym *s = sct_sym_new(1);
	struct sct_frame fr;
	sct_sym_resolve(s, m, ip, &fr);
	is_str(fr.obj, exe, "frame object is the executable");
	is_str(fr.sym, "sct_test_target", "symbol of a PIE function");
	is_int((int64_t)fr.off, (int64_t)(ip - (uint64_t)(uintptr_t)sct_test_target),
	       "offset from the function");
	is_int((int64_t)fr.addr, (int64_t)(ip - main_bias), "address is ip - load bias");
	if (fr.file) {
		is_str(base(fr.file), "test_stkfile.c", "-kk source file");
		is_int(fr.line, target_line, "-kk line of the call");
	} else {
		skip(2, "no DWARF line info in this build");
	}
	/* a shared library: libc's write(), 0x10 into it */
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *wr = libc ? dlsym(libc, "write") : NULL; /* not a sanitizer's */
	uint64_t wip = (uint64_t)(uintptr_t)wr + 0x10;
	sct_sym_resolve(s, f ? sct_stkfile_module(f, wip, f->nmods) : NULL, wip,
			&fr);
	ok(fr.obj && strstr(fr.obj, "/libc.so") && fr.sym &&
		   strstr(fr.sym, "write") && fr.off == 0x10,
	   "libc: %s(%s+0x%llx)", fr.obj ? fr.obj : "?", fr.sym ? fr.sym : "?",
	   (unsigned long long)fr.off);
	sct_sym_resolve(s, m, ip, &fr);
	struct sbuf b = { 0 };
	sct_frame_print(&b, &fr, 0);
	char want[4200];
	snprintf(want, sizeof want, " > %s(sct_test_target+0x%llx) [0x%llx]\n", exe,
		 (unsigned long long)fr.off, (unsigned long long)fr.addr);
	is_str(b.s, want, "strace -k line");
	sb_free(&b);
	sct_sym_free(s);
	sct_stkfile_close(f);
	synth_unmap(h);
}

static void test_sym_nopie(void)
{
	GElf_Sym sym;
	GElf_Phdr ph;
	if (synth_elf_symbol(SYMTARGET, "symtarget_leaf", &sym, &ph) < 0) {
		skip(5, "tests/symtarget not built or has no symtab");
		return;
	}
	struct sct_mod m = { .op = SCT_MOD_MAP, .start = ph.p_vaddr & ~0xfffull,
			     .end = ph.p_vaddr + ph.p_memsz,
			     .offset = ph.p_offset & ~0xfffull,
			     .path = (char *)SYMTARGET };
	uint64_t ip = sym.st_value + 2;
	struct sct_sym *s = sct_sym_new(1);
	struct sct_frame fr;
	sct_sym_resolve(s, &m, ip, &fr);
	is_str(fr.sym, "symtarget_leaf", "symbol in a non-PIE executable");
	is_int((int64_t)fr.off, 2, "its offset");
	is_int((int64_t)fr.addr, (int64_t)ip, "non-PIE: address is the ip");
	ok(fr.file && strcmp(base(fr.file), "symtarget.c") == 0 && fr.line > 0,
	   "-kk file:line (%s:%d)", fr.file ? fr.file : "?", fr.line);
	/* the same file at a PIE-like base: a library mapped elsewhere */
	m.start += 0x7f0000000000ull;
	m.end += 0x7f0000000000ull;
	sct_sym_resolve(s, &m, ip + 0x7f0000000000ull, &fr);
	ok(fr.addr == ip && fr.sym && fr.off == 2,
	   "relocated mapping: file address recovered");
	sct_sym_free(s);
}

static void test_sym_nofile(void)
{
	struct sct_sym *s = sct_sym_new(0);
	struct sct_frame fr;
	struct sct_mod vdso = { .op = SCT_MOD_MAP, .start = 0x7fff0000,
				.end = 0x7fff2000, .path = (char *)"[vdso]" };
	struct sbuf b = { 0 };
	sct_sym_resolve(s, &vdso, 0x7fff0123, &fr);
	sct_frame_print(&b, &fr, 1);
	is_str(b.s, " > [vdso]() [0x123]\n", "vdso frame: raw offset");
	sb_reset(&b);
	struct sct_mod gone = { .op = SCT_MOD_MAP, .start = 0x10000, .end = 0x20000,
				.offset = 0x3000, .path = (char *)"/nonexistent/lib.so" };
	sct_sym_resolve(s, &gone, 0x10010, &fr);
	sct_frame_print(&b, &fr, 1);
	is_str(b.s, " > /nonexistent/lib.so() [0x3010]\n",
	       "missing file: file offset, no symbol");
	sb_reset(&b);
	sct_sym_resolve(s, NULL, 0xdead, &fr);
	sct_frame_print(&b, &fr, 1);
	is_str(b.s, " > unexpected_backtracing_error [0xdead]\n",
	       "unknown module: strace's words");
	sb_reset(&b);
	sct_frame_json(&b, &fr);
	is_str(b.s,
	       "{\"ip\":\"0xdead\",\"obj\":null,\"addr\":null,\"sym\":null,"
	       "\"off\":null,\"file\":null,\"line\":null}",
	       "unknown frame in JSON");
	sb_free(&b);
	sct_sym_free(s);
}

int main(void)
{
	synth_dir(&dir);
	test_good();
	test_uncommitted();
	test_full();
	test_grow();
	test_truncated();
	test_garbage();
	test_sym_self();
	test_sym_nopie();
	test_sym_nofile();
	synth_rmdir(&dir);
	return done_testing();
}
