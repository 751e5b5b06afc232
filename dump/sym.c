/* Offline symbolization with elfutils: an instruction pointer inside a
 * module log entry -> file offset -> the file's own address (through its
 * PT_LOAD headers) -> symbol + offset (libdwfl: symtab, the separate debug
 * file found by build-id, else dynsym) and, for -kk, DWARF file:line.
 *
 * One Dwfl per file, opened on first use and kept (a file that cannot be
 * opened is remembered as such); results are cached per (file, address).
 * Strings handed out are interned here and live as long as the sct_sym.
 */
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

struct load {
	uint64_t off, filesz, vaddr;
};

struct elfobj {
	Dwfl *dwfl;            /* NULL: the file could not be used */
	Dwfl_Module *mod;
	GElf_Addr bias;        /* libdwfl's, for the file's addresses */
	struct load *load;
	size_t nload;
};

struct symres {
	const char *sym;
	uint64_t symaddr;      /* the file's address of sym */
	const char *file;
	int line;
};

struct sct_sym {
	int lines;
	struct sct_hmap objs;   /* path -> struct elfobj */
	struct sct_hmap res;    /* "path\0addr" -> struct symres */
	struct sct_hmap strs;   /* interned strings */
};

static const Dwfl_Callbacks offline_cb = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

struct sct_sym *sct_sym_new(int lines)
{
	struct sct_sym *s = sct_xcalloc(1, sizeof *s);
	s->lines = lines;
	return s;
}

static void free_obj(void *p)
{
	struct elfobj *o = p;
	if (o->dwfl)
		dwfl_end(o->dwfl);
	free(o->load);
	free(o);
}

void sct_sym_free(struct sct_sym *s)
{
	if (!s)
		return;
	sct_hmap_free(&s->objs, free_obj);
	sct_hmap_free(&s->res, free);
	sct_hmap_free(&s->strs, NULL);
	free(s);
}

static void read_loads(struct elfobj *o, Elf *elf)
{
	size_t n = 0;
	if (elf_getphdrnum(elf, &n) < 0 || n == 0)
		return;
	o->load = sct_xcalloc(n, sizeof *o->load);
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		o->load[o->nload++] =
			(struct load){ ph.p_offset, ph.p_filesz, ph.p_vaddr };
	}
}

static struct elfobj *open_obj(const char *path)
{
	struct elfobj *o = sct_xcalloc(1, sizeof *o);
	if (path[0] != '/')
		return o; /* "[vdso]" and friends: no file */
	o->dwfl = dwfl_begin(&offline_cb);
	if (!o->dwfl)
		return o;
	dwfl_report_begin(o->dwfl);
	/* ET_DYN placed at 0: the module's addresses are the file's */
	o->mod = dwfl_report_elf(o->dwfl, path, path, -1, 0, true);
	dwfl_report_end(o->dwfl, NULL, NULL);
	Elf *elf = o->mod ? dwfl_module_getelf(o->mod, &o->bias) : NULL;
	if (!elf) {
		dwfl_end(o->dwfl);
		o->dwfl = NULL;
		o->mod = NULL;
		return o;
	}
	read_loads(o, elf);
	return o;
}

static struct elfobj *get_obj(struct sct_sym *s, const char *path)
{
	struct sct_hent *e = sct_hmap_get(&s->objs, path, 1);
	if (!e->val)
		e->val = open_obj(path);
	return e->val;
}

/* The file's address of file offset OFF, through the PT_LOAD headers;
 * OFF itself when no segment holds it (what strace prints). */
static uint64_t file_addr(const struct elfobj *o, uint64_t off)
{
	for (size_t i = 0; i < o->nload; i++) {
		const struct load *l = &o->load[i];
		if (off >= l->off && off - l->off < l->filesz)
			return l->vaddr + (off - l->off);
	}
	return off;
}

static void lookup(struct sct_sym *s, struct elfobj *o, uint64_t addr,
		   struct symres *r)
{
	/* addr - 1: a return address may be the first byte after a call
	 * that ends its function; the call itself is what we want */
	GElf_Addr look = addr + o->bias - (addr ? 1 : 0);
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *name = dwfl_module_addrinfo(o->mod, look, &off, &sym, NULL,
						NULL, NULL);
	if (name && *name) {
		/* "__libc_start_main@@GLIBC_2.34": the version is not part of
		 * the name strace prints */
		char base[256];
		size_t n = strcspn(name, "@");
		if (name[n] && n > 0 && n < sizeof base) {
			memcpy(base, name, n);
			base[n] = 0;
			name = base;
		}
		r->sym = sct_hmap_intern(&s->strs, name);
		r->symaddr = look - off - o->bias;
	}
	if (!s->lines)
		return;
	Dwfl_Line *ln = dwfl_module_getsrc(o->mod, look);
	int lineno = 0;
	const char *src = ln ? dwfl_lineinfo(ln, NULL, &lineno, NULL, NULL, NULL)
			     : NULL;
	if (src && lineno > 0) {
		r->file = sct_hmap_intern(&s->strs, src);
		r->line = lineno;
	}
}

static const struct symres *cached(struct sct_sym *s, const char *path,
				   struct elfobj *o, uint64_t addr)
{
	char key[4096 + 24];
	int n = snprintf(key, sizeof key, "%s%c%llx", path, 0,
			 (unsigned long long)addr);
	if (n < 0 || (size_t)n >= sizeof key)
		n = sizeof key - 1;
	struct sct_hent *e = sct_hmap_getn(&s->res, key, (size_t)n, 1);
	if (!e->val) {
		struct symres *r = sct_xcalloc(1, sizeof *r);
		lookup(s, o, addr, r);
		e->val = r;
	}
	return e->val;
}

void sct_sym_resolve(struct sct_sym *s, const struct sct_mod *m, uint64_t ip,
		     struct sct_frame *f)
{
	memset(f, 0, sizeof *f);
	f->ip = ip;
	f->addr = ip;
	f->foff = ip;
	if (!m)
		return;
	f->obj = sct_hmap_intern(&s->strs, m->path);
	uint64_t off = ip - m->start + m->offset;
	struct elfobj *o = get_obj(s, m->path);
	f->foff = off;
	f->addr = o->dwfl ? file_addr(o, off) : off;
	if (!o->dwfl)
		return;
	const struct symres *r = cached(s, f->obj, o, f->addr);
	if (r->sym) {
		f->sym = r->sym;
		f->off = f->addr - r->symaddr;
	}
	f->file = r->file;
	f->line = r->line;
}
