/* Synthetic trace directories for the dumper's tests: rings written with
 * the preload's own ring writer (preload/ring_write.c) and side files with
 * its side-file writer (preload/stack_write.c), no constructor involved.
 *
 *   synth_dir(&d);                          mkdtemp under $TMPDIR or /tmp
 *   synth_ring(&d, &r, pid, tid, image, comm, exe);
 *   synth_call(&r, nr, ts, dur, ret, err, stack_id);
 *   struct sct_stk_hdr *h = synth_side(&d, pid, image, depth, nslots, modbytes);
 *   sct_mod_append(h, ...); sct_stk_intern(h, ...);
 *   synth_unmap(h); synth_ring_close(&r); synth_rmdir(&d);
 *   synth_elf_symbol(path, name, &sym, &phdr);  a symtab symbol, its PT_LOAD
 *
 * Include after "sct.h" (it pulls <linux/fcntl.h>, which clashes with
 * <fcntl.h>: files are made with fopen()).
 */
#ifndef SCT_TEST_SYNTH_H
#define SCT_TEST_SYNTH_H

#include <dirent.h>
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sct.h"
#include "stack_write.h"
#include "tap.h"

struct synth_dir {
	char path[256];
};

struct synth_ring {
	void *map;
	uint64_t total;
	struct sct_wring w;
};

static inline void synth_dir(struct synth_dir *d)
{
	const char *base = getenv("TMPDIR");
	snprintf(d->path, sizeof d->path, "%s/sct-synth-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(d->path))
		bail_out("mkdtemp: %s", strerror(errno));
}

/* A zeroed file of SIZE bytes in D, mapped shared read-write. */
static inline void *synth_map(const char *path, uint64_t size)
{
	FILE *fp = fopen(path, "w+e");
	if (!fp)
		bail_out("%s: %s", path, strerror(errno));
	if (ftruncate(fileno(fp), (off_t)size) < 0)
		bail_out("%s: %s", path, strerror(errno));
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fileno(fp), 0);
	fclose(fp);
	if (m == MAP_FAILED)
		bail_out("mmap %s: %s", path, strerror(errno));
	return m;
}

/* A finished thread's ring: state EXITED, so readers see a closed trace. */
static inline void synth_ring(struct synth_dir *d, struct synth_ring *r,
			      uint32_t pid, uint32_t tid, uint64_t image,
			      const char *comm, const char *exe)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%u-%u-0.ring", d->path, pid, tid);
	r->total = SCT_HDR_SIZE + (1u << 16);
	r->map = synth_map(path, r->total);
	sct_ring_init(&r->w, r->map, r->total, 0, 0);
	struct sct_ring_hdr *h = r->w.hdr;
	h->pid = pid;
	h->tid = tid;
	h->ppid = 1;
	h->image = image;
	h->mono_start = image;
	h->real_offset = 0;
	h->state = SCT_STATE_EXITED;
	snprintf(h->comm, sizeof h->comm, "%s", comm);
	snprintf(h->exe, sizeof h->exe, "%s", exe);
}

/* One completed syscall; ERR != 0 makes it a failure (ret -1). */
static inline void synth_call(struct synth_ring *r, unsigned nr, uint64_t ts,
			      uint64_t dur, int64_t ret, int err,
			      uint32_t stack_id)
{
	struct sct_rec *rec = sct_ring_reserve(&r->w, sizeof *rec);
	if (!rec)
		bail_out("synthetic ring full");
	memset(rec, 0, sizeof *rec);
	rec->type = SCT_REC_SYSCALL;
	rec->nr = (uint16_t)nr;
	rec->nargs = 3;
	rec->tid = r->w.hdr->tid;
	rec->ts = ts;
	rec->dur = dur;
	rec->ret = err ? -1 : ret;
	rec->err = err;
	rec->flags = err ? SCT_RF_ERROR : 0;
	rec->stack_id = stack_id;
	rec->args[0] = 3;
	rec->args[2] = 16;
	sct_ring_commit(&r->w, rec, sizeof *rec);
}

static inline void synth_ring_close(struct synth_ring *r)
{
	munmap(r->map, r->total);
}

static inline uint64_t synth_side_size(unsigned depth, unsigned nslots,
				       uint64_t modbytes)
{
	return SCT_STK_HDR_SIZE +
	       (sizeof(struct sct_stk_slot) + 8ull * depth) * nslots + modbytes;
}

/* DIR/PID-IMAGE.stk, initialized; unmap with synth_unmap(). */
static inline struct sct_stk_hdr *synth_side(struct synth_dir *d, uint32_t pid,
					     uint64_t image, unsigned depth,
					     unsigned nslots, uint64_t modbytes)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%u-%llu.stk", d->path, pid,
		 (unsigned long long)image);
	uint64_t total = synth_side_size(depth, nslots, modbytes);
	struct sct_stk_hdr *h = synth_map(path, total);
	sct_stk_init(h, total, depth, nslots, image, pid, SCT_UNWIND_FP);
	return h;
}

static inline void synth_unmap(struct sct_stk_hdr *h)
{
	munmap(h, h->mod_off + h->mod_size);
}

static inline void synth_rmdir(struct synth_dir *d)
{
	DIR *dir = opendir(d->path);
	struct dirent *de;
	while (dir && (de = readdir(dir))) {
		char path[600];
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", d->path, de->d_name);
		unlink(path);
	}
	if (dir)
		closedir(dir);
	rmdir(d->path);
}

/* The symbol NAME of the ELF file PATH (symtab) and the PT_LOAD holding it. */
static inline int synth_elf_symbol(const char *path, const char *name, GElf_Sym *out,
		      GElf_Phdr *load)
{
	FILE *fp = fopen(path, "re");
	if (!fp)
		return -1;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fileno(fp), ELF_C_READ, NULL);
	int found = -1;
	Elf_Scn *scn = NULL;
	while (e && found < 0 && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *n = gelf_getsym(d, (int)i, &sym)
				? elf_strptr(e, sh.sh_link, sym.st_name) : NULL;
			if (n && strcmp(n, name) == 0) {
				*out = sym;
				found = 0;
				break;
			}
		}
	}
	size_t np = 0;
	if (found == 0 && elf_getphdrnum(e, &np) == 0)
		for (size_t i = 0; i < np; i++)
			if (gelf_getphdr(e, (int)i, load) && load->p_type == PT_LOAD &&
			    out->st_value >= load->p_vaddr &&
			    out->st_value < load->p_vaddr + load->p_memsz)
				break;
	elf_end(e);
	fclose(fp);
	return found;
}

#endif
