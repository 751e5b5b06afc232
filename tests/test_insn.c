/* preload/insn.h: sct_insn_len() against objdump, over every function of
 * the libc.so.6 this program runs with.
 *
 * For each FDE of libc's .eh_frame_hdr table (a function, or the part of
 * one an FDE covers; its range from preload/cfi.c), the decoder walks
 * from its start to its end, or until it meets an instruction it does not know (it returns 0:
 * the patcher then refuses the function's sites); an FDE that does not
 * begin where objdump has an instruction (a signal trampoline's begins a
 * byte early) is left out.  Every instruction start
 * it steps on must be one of objdump's, and every one of objdump's before
 * the decoder stopped must be one of its: no walk ever falls out of step.
 * Then the sites the patcher looks for, `mov $imm32, %eax` right before
 * `syscall`: nearly all of objdump's must be reached by the walk (a site
 * the decoder cannot reach is never patched: slower, never wrong).
 * Skips without objdump. */
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfi.h"
#include "insn.h"
#include "tap.h"

static uint64_t base, text_lo, text_hi;
static const int32_t *tab;
static uint64_t hdr;
static size_t nfde;
static char path[512];

static int find_libc(struct dl_phdr_info *i, size_t size, void *unused)
{
	(void)size, (void)unused;
	if (!strstr(i->dlpi_name, "/libc.so.6"))
		return 0;
	base = i->dlpi_addr;
	snprintf(path, sizeof path, "%s", i->dlpi_name);
	for (int k = 0; k < i->dlpi_phnum; k++) {
		const ElfW(Phdr) *p = &i->dlpi_phdr[k];
		if (p->p_type == PT_LOAD && (p->p_flags & PF_X)) {
			text_lo = p->p_vaddr;
			text_hi = p->p_vaddr + p->p_memsz;
		}
		if (p->p_type == PT_GNU_EH_FRAME)
			hdr = base + p->p_vaddr;
	}
	return 1;
}

int main(void)
{
	dl_iterate_phdr(find_libc, 0);
	if (!hdr || !text_hi)
		skip_all("libc.so.6 or its .eh_frame_hdr not found");
	/* version 1, eh_frame_ptr sdata4 pcrel, fde_count udata4, table
	 * datarel sdata4: the layout every linker writes */
	const uint8_t *h = (const uint8_t *)hdr;
	if (h[0] != 1 || h[2] != 0x03 || h[3] != 0x3b)
		skip_all(".eh_frame_hdr of an unusual encoding");
	nfde = *(const uint32_t *)(h + 8);
	tab = (const int32_t *)(h + 12);

	char cmd[600];
	snprintf(cmd, sizeof cmd,
		 "objdump -d -w --no-show-raw-insn '%s' 2>/dev/null", path);
	FILE *o = popen(cmd, "r");
	/* objdump's instruction starts (offsets in libc), and its sites */
	size_t span = text_hi, nsite = 0;
	unsigned char *is = calloc(span, 1), *site = calloc(span, 1);
	char line[1024];
	uint64_t prev = 0;
	int prev_mov = 0;
	size_t nins = 0;
	while (o && fgets(line, sizeof line, o)) {
		unsigned long a;
		int k = 0;
		if (sscanf(line, " %lx:%n", &a, &k) != 1 || !k || line[k] != '\t' ||
		    a >= span)
			continue;
		is[a] = 1;
		nins++;
		const char *ins = line + k + 1;
		if (strncmp(ins, "syscall", 7) == 0 && prev_mov && a - prev == 5)
			site[prev] = 1, nsite++;
		prev_mov = strncmp(ins, "mov ", 4) == 0 &&
			   strstr(ins, ",%eax") && strchr(ins, '$');
		prev = a;
	}
	if (o)
		pclose(o);
	if (nins < 1000)
		skip_all("objdump not found or not usable");
	plan(3);
	size_t full = 0, bad = 0, reached = 0, walked = 0, odd = 0;
	for (size_t f = 0; f < nfde; f++) {
		uint64_t lo = hdr + (int64_t)tab[2 * f] - base, flo, fhi;
		if (sct_cfi_fde(base + lo, &flo, &fhi) != 0 || flo != base + lo)
			continue;
		uint64_t hi = fhi - base;
		if (lo < text_lo || hi > text_hi || hi <= lo)
			continue;
		if (!is[lo]) { /* an FDE begun a byte early (a signal
				  trampoline's, for unwinders' ip - 1) */
			odd++;
			continue;
		}
		walked++;
		uint64_t a = lo;
		int stopped = 0;
		while (a < hi) {
			if (!is[a]) {
				if (bad++ < 5)
					diag("decoder at libc+%#lx, not an instruction start for objdump",
					     (unsigned long)a);
				break;
			}
			if (site[a])
				reached++;
			unsigned n = sct_insn_len((const uint8_t *)(base + a),
						  (const uint8_t *)(base + hi));
			if (!n) {
				stopped = 1;
				break;
			}
			for (unsigned i = 1; i < n && a + i < hi; i++)
				if (is[a + i] && bad++ < 5)
					diag("libc+%#lx: objdump has an instruction inside the decoder's %u bytes at libc+%#lx",
					     (unsigned long)(a + i), n, (unsigned long)a);
			a += n;
		}
		full += !stopped && a == hi;
	}
	ok(bad == 0, "the decoder keeps in step with objdump in all %zu functions (%zu out of step; %zu FDEs not at an instruction start)",
	   walked, bad, odd);
	ok(full * 10 >= walked * 8, "it decodes %zu of %zu functions to their end (>= 80%%)",
	   full, walked);
	ok(reached * 100 >= nsite * 95,
	   "it reaches %zu of objdump's %zu `mov $n, %%eax; syscall` sites (>= 95%%)",
	   reached, nsite);
	free(is);
	free(site);
	return done_testing();
}
