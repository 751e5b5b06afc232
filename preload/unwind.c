/* Caller stacks, eh and libunwind modes: the walk (preload/stack.c
 * calls it).
 *
 * unw_backtrace costs ~70 instructions a frame even when warm (its
 * per-thread cache is a hash probe, then bitfields and spills): about
 * 1900 instructions for the 19 frames of a 16-frame stack seen from inside
 * the tracer.  This walk keeps, per code address, the rule that takes a
 * frame to its caller's, in one table for the process.  A frame then
 * costs a probe and two loads, ~15 instructions, and the walk starts at
 * the wrapper's caller, not three frames of ours deeper.
 *
 * A rule (x86-64, what DWARF CFI says of nearly every frame):
 *   CFA = (rsp or rbp) + off;  return address at CFA - 8;
 *   caller's rbp at CFA + rbo (or rbp unchanged);  caller's rsp = CFA.
 * The last frame (_start: return address undefined) has rule LAST.  A
 * signal trampoline's (__restore_rt) is OTHER with RULE_SIG: the walk
 * reads the interrupted rip, rsp and rbp off the signal frame.  Any other
 * shape (CFA expressions, a CFA off another register) has rule OTHER: in
 * libunwind mode the walk hands that frame and the rest of the stack to
 * unw_backtrace, as sct_stk_uc_trace does for a trapped call; in eh mode
 * (no libunwind loaded) the stack ends there.
 *
 * Learning a rule (once per code address and process) reads the object's
 * own unwind table (.eh_frame, preload/cfi.c: ~150 ns).  Code that no
 * table covers (JIT code, an object without .eh_frame_hdr) gets the
 * frame-pointer rule, libunwind's own guess there: CFA = rbp + 16,
 * caller's rbp at CFA - 16.
 *
 * The walk reads the stack only inside [sp, hi) of the stack mapping the
 * caller found, 8-byte aligned, strictly upwards: a wrong rule (a library
 * unmapped, another mapped at its address before the rules were dropped)
 * gives a wrong stack, never a fault.  Rules of a range are dropped when
 * an exec mapping there goes away (sct_unw_forget, from the module log's
 * unmap bookkeeping), and libunwind's own caches with them. */
#include <dlfcn.h>
#include <stddef.h>
#include <sys/mman.h>
#include <ucontext.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "sctrace/stack.h"
#include "cfi.h"
#include "core.h"
#include "unwind.h"

#define XSTR(x) STR(x)
#define STR(x) #x

/* ---- rules ------------------------------------------------------------ */

enum { R_STD = 1, R_LAST = 2, R_OTHER = 3 };

/* kind (2 bits) | rbp base (bit 2) | signal frame (bit 3, with OTHER) |
 * return address in a register (bit 4, with OTHER; the register in bits
 * 8..11) | rbo (int16, bits 16..31) | off (int32, bits 32..63); 0: none */
static inline uint64_t rule_make(unsigned kind, int rbp_base, int64_t off,
				 int64_t rbo)
{
	return kind | (uint64_t)(rbp_base != 0) << 2 |
	       (uint64_t)(uint16_t)(int16_t)rbo << 16 |
	       (uint64_t)(uint32_t)(int32_t)off << 32;
}
#define RULE_KIND(r) ((unsigned)(r) & 3u)
#define RULE_RBP(r) (((r) >> 2) & 1u)
#define RULE_SIG 8u
#define RULE_RAREG 16u
#define RULE_REG(r) ((unsigned)((r) >> 8) & 15u)
#define RULE_RBO(r) ((int64_t)(int16_t)(uint16_t)((r) >> 16))
#define RULE_OFF(r) ((int64_t)(int32_t)(uint32_t)((r) >> 32))

/* The table: open addressing, 8 probes.  A slot is claimed by a CAS of
 * its key from 0, then its rule is stored (release); a reader that finds
 * the key before the rule sees 0 and learns the rule itself.  Forgotten
 * slots get key 1 (never an address; not reused).  64 KiB, a page
 * getting memory when a rule first lands in it: an address that finds
 * no room is read from .eh_frame again each time it is met (~150 ns). */
#define NRULES 4096u
#define PROBES 8u
#define KEY_GONE 1u
/* Only the first NRULES_FIRST slots (8 KiB, populated) at first: the
 * first store to each new page costs ~5-10 us on some virtual machines,
 * and a short program learns a few hundred rules; all of them (populated
 * then) once RULES_GROW_AT were stored or a rule found no room.  Rules
 * stored before stay where they are: an address met again may be learnt
 * again, once. */
#define NRULES_FIRST 512u
#define RULES_GROW_AT (NRULES_FIRST / 2)
static struct rule_slot {
	uint64_t key, rule;
} *rules; /* NRULES, mapped at start */
static uint32_t rules_mask = NRULES_FIRST - 1, rules_used;

static inline uint32_t rule_slot(uint64_t key, uint32_t mask)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 51) & mask;
}

/* signal-safe: every slot in use from now on */
static SCT_SIGSAFE void rules_grow(void)
{
	uint32_t small = NRULES_FIRST - 1;
	if (!__atomic_compare_exchange_n(&rules_mask, &small, NRULES - 1, 0,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return; /* another thread's */
	sct_populate(&rules[NRULES_FIRST],
		     (NRULES - NRULES_FIRST) * sizeof *rules);
}

static inline uint64_t rule_get(uint64_t key)
{
	const uint32_t mask = __atomic_load_n(&rules_mask, __ATOMIC_RELAXED);
	uint32_t i = rule_slot(key, mask);
	for (unsigned k = 0; k < PROBES; k++, i = (i + 1) & mask) {
		/* pairs with the CAS in rule_put */
		uint64_t kk = __atomic_load_n(&rules[i].key, __ATOMIC_ACQUIRE);
		if (kk == key)
			return __atomic_load_n(&rules[i].rule, __ATOMIC_ACQUIRE);
		if (kk == 0)
			return 0;
	}
	return 0;
}

static SCT_SIGSAFE void rule_put(uint64_t key, uint64_t rule)
{
	const uint32_t mask = __atomic_load_n(&rules_mask, __ATOMIC_RELAXED);
	uint32_t i = rule_slot(key, mask);
	for (unsigned k = 0; k < PROBES; k++, i = (i + 1) & mask) {
		uint64_t kk = __atomic_load_n(&rules[i].key, __ATOMIC_ACQUIRE);
		if (kk == 0 &&
		    __atomic_compare_exchange_n(&rules[i].key, &kk, key, 0,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			/* pairs with the acquire load in rule_get */
			__atomic_store_n(&rules[i].rule, rule, __ATOMIC_RELEASE);
			if (__atomic_add_fetch(&rules_used, 1,
					       __ATOMIC_RELAXED) == RULES_GROW_AT)
				rules_grow();
			return;
		}
		if (kk == key)
			return; /* another thread learnt it */
	}
	/* no room: this address is learnt again each time it is seen */
	if (mask == NRULES_FIRST - 1)
		rules_grow();
}

/* ---- libunwind -------------------------------------------------------- */

static struct {
	void (*flush)(unw_addr_space_t, unw_word_t, unw_word_t);
	unw_addr_space_t as;
	sct_bt_fn bt;
} unw;

int sct_unw_init(void *lib, sct_bt_fn bt)
{
	if (!lib) /* eh mode: the rules alone */
		goto rules;
	unw.flush = (void (*)(unw_addr_space_t, unw_word_t, unw_word_t))dlsym(
		lib, XSTR(unw_flush_cache));
	int (*policy)(unw_addr_space_t, unw_caching_policy_t) =
		(int (*)(unw_addr_space_t, unw_caching_policy_t))dlsym(
			lib, XSTR(unw_set_caching_policy));
	unw_addr_space_t *as = dlsym(lib, XSTR(unw_local_addr_space));
	unw.bt = bt;
	if (!unw.flush || !policy || !as)
		return -1;
	unw.as = *as;
	/* Per-thread caching: a frame cache miss takes no lock (a global
	 * cache's lock could be held by the code a signal interrupted).
	 * Set here, not by the first stack that needs libunwind: that can
	 * be a vfork child's, and libunwind's own initialisation (malloc,
	 * its TLS) in a vfork child corrupted its parent. */
	policy(unw.as, UNW_CACHE_PER_THREAD);
rules:;
	/* the first slots populated: rules land in their pages by hash,
	 * so a short program touches most of them */
	long t = sct_raw6(__NR_mmap, 0, NRULES * sizeof *rules,
			  PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if ((unsigned long)t >= -4096ul)
		return -1;
	sct_populate((void *)t, NRULES_FIRST * sizeof *rules);
	rules = (struct rule_slot *)t;
	return 0;
}

/* signal-safe: the rule at code address KEY (a return address minus 1,
 * or an interrupted rip), from the unwind table of its object */
static SCT_SIGSAFE uint64_t learn(uint64_t key)
{
	struct sct_cfi c;
	if (sct_cfi_find(key, &c) == 0) {
		if (c.kind == SCT_CFI_STD)
			return rule_make(R_STD, c.rbp_base, c.off, c.rbo);
		if (c.kind == SCT_CFI_LAST)
			return rule_make(R_LAST, 0, 0, 0);
		/* a signal trampoline (__restore_rt): the walk reads the
		 * interrupted context off the signal frame */
		if (c.kind == SCT_CFI_SIGNAL)
			return rule_make(R_OTHER, 0, 0, 0) | RULE_SIG;
		/* return address in a register (glibc's vfork): the walk
		 * stops there, sct_unw_rareg() goes on where the registers
		 * are known */
		if (c.kind == SCT_CFI_RAREG)
			return rule_make(R_OTHER, 0, c.off, 0) | RULE_RAREG |
			       (uint64_t)(c.ra_reg & 15) << 8;
		/* expressions, other shapes: unw_backtrace from there */
		if (c.why != SCT_CFI_WHY_NOFDE && c.why != SCT_CFI_WHY_NOTABLE)
			return rule_make(R_OTHER, 0, 0, 0);
	}
	/* no table: a frame-pointer frame, as libunwind guesses */
	return rule_make(R_STD, 1, 16, -16);
}

/* signal-safe: unw_backtrace from the frame (ip, sp, bp): IPS[0] = IP;
 * without libunwind (eh mode) the stack ends there */
static SCT_SIGSAFE unsigned fallback(uint64_t *ips, unsigned max,
				     uint64_t ip, uint64_t sp, uint64_t bp,
				     int exact)
{
	uint64_t buf[SCT_STK_MAX_DEPTH + 1];
	if (!unw.bt) { /* eh mode: the stack ends at a frame with no rule */
		ips[0] = ip;
		return 1;
	}
	unsigned long regs[3] = { exact ? ip : ip - 1, sp, bp };
	if (max > SCT_STK_MAX_DEPTH)
		max = SCT_STK_MAX_DEPTH;
	int k = sct_stk_uc_trace((void **)buf, (int)max + 1, regs, unw.bt);
	unsigned n = 1;
	if (k >= 2 && buf[1] == regs[0])
		n = (unsigned)k - 1;
	for (unsigned i = 1; i < n; i++)
		ips[i] = buf[i + 1];
	ips[0] = ip;
	return n;
}

static inline uint64_t rule_at(uint64_t key)
{
	uint64_t r = rule_get(key);
	if (__builtin_expect(!r, 0)) {
		r = learn(key);
		rule_put(key, r);
	}
	return r;
}

SCT_HOTDATA unsigned sct_unw_gen;

/* note the word V read at A in TR, if any room */
static inline void trail(struct sct_unw_trail *tr, uint64_t a, uint64_t v)
{
	if (!tr || tr->n >= SCT_TRAIL_MAX) {
		if (tr)
			tr->n = SCT_TRAIL_NONE;
		return;
	}
	tr->at[tr->n] = a;
	tr->val[tr->n++] = v;
}

SCT_SIGSAFE unsigned sct_unw_walk(uint64_t *ips, unsigned max, uint64_t ip,
				  uint64_t sp, uint64_t bp, int exact,
				  uint64_t hi, uint64_t olo, uint64_t ohi,
				  struct sct_unw_trail *tr)
{
	if (tr)
		tr->n = 0, tr->bp_used = 0;
	if (max == 0)
		return 0;
	ips[0] = ip;
	unsigned n = 1;
	/* where bp was read from (0: still the starting bp, 1: noted in the
	 * trail already): a saved rbp is noted only when a CFA is taken
	 * from it, for code without frame pointers keeps any data in rbp */
	uint64_t bp_at = 0;
	uint64_t r = rule_at(exact ? ip : ip - 1);
	while (n < max) {
		if (__builtin_expect(RULE_KIND(r) != R_STD, 0)) {
			if (RULE_KIND(r) == R_LAST)
				break;
			if (r & RULE_SIG) {
				/* sp: the ucontext of the signal frame (the
				 * handler returned into __restore_rt, its
				 * return address popped); the interrupted
				 * rip, rsp and rbp are in it, and the walk
				 * goes on from there, up the same stack */
				uint64_t g = sp + offsetof(ucontext_t,
							   uc_mcontext.gregs);
				if (g + 8 * (REG_RIP + 1) > hi)
					break;
				const uint64_t *gr = (const uint64_t *)g;
				ip = gr[REG_RIP];
				trail(tr, g + 8 * REG_RIP, ip);
				uint64_t nsp = gr[REG_RSP];
				trail(tr, g + 8 * REG_RSP, nsp);
				bp = gr[REG_RBP];
				bp_at = g + 8 * REG_RBP;
				if (ip < 0x4000)
					break;
				if (nsp - sp - 1 >= hi - sp - 1) {
					/* not above on this stack: a signal
					 * stack's handler interrupted the
					 * thread's own stack? */
					if (hi == ohi || nsp < olo || nsp >= ohi)
						break;
					hi = ohi;
				}
				sp = nsp;
				exact = 1;
				ips[n++] = ip;
				r = rule_at(ip);
				continue;
			}
			if (tr)
				tr->n = SCT_TRAIL_NONE;
			return n - 1 + fallback(ips + n - 1, max - (n - 1), ip,
						sp, bp, exact);
		}
		if (RULE_RBP(r) && bp_at != 1) {
			if (!bp_at) {
				if (tr)
					tr->bp_used = 1;
			} else {
				trail(tr, bp_at, bp);
			}
			bp_at = 1;
		}
		uint64_t cfa = (RULE_RBP(r) ? bp : sp) + (uint64_t)RULE_OFF(r);
		/* sp + 8 <= cfa <= hi, in one unsigned comparison */
		if (cfa - sp - 8 > hi - sp - 8)
			break;
		ip = *(const uint64_t *)(cfa - 8);
		trail(tr, cfa - 8, ip);
		int64_t rbo = RULE_RBO(r);
		if (rbo) {
			uint64_t a = cfa + (uint64_t)rbo;
			if (a - sp > hi - sp - 8) /* sp <= a <= hi - 8 */
				break;
			bp = *(const uint64_t *)a;
			bp_at = a;
		}
		sp = cfa;
		exact = 0;
		if (ip < 0x4000)
			break;
		ips[n++] = ip;
		r = rule_at(ip - 1);
	}
	return n;
}

SCT_SIGSAFE int sct_unw_rareg(uint64_t ip, unsigned *reg, int64_t *off)
{
	uint64_t r = rule_at(ip);
	if (RULE_KIND(r) != R_OTHER || !(r & RULE_RAREG))
		return 0;
	*reg = RULE_REG(r);
	*off = RULE_OFF(r);
	return 1;
}

SCT_SIGSAFE unsigned sct_unw_from(uint64_t *ips, unsigned max, uint64_t ip,
				  uint64_t sp, uint64_t bp, int exact)
{
	return max ? fallback(ips, max, ip, sp, bp, exact) : 0;
}

SCT_SIGSAFE void sct_unw_forget(uint64_t lo, uint64_t hi)
{
	if (!rules)
		return;
	/* before the rules go: a memo checked after this sees it */
	__atomic_fetch_add(&sct_unw_gen, 1, __ATOMIC_SEQ_CST);
	/* the slots in use (growing meanwhile: a rule it misses is of an
	 * address still mapped, or is met no more) */
	const uint32_t mask = __atomic_load_n(&rules_mask, __ATOMIC_RELAXED);
	for (unsigned i = 0; i <= mask; i++) {
		uint64_t k = __atomic_load_n(&rules[i].key, __ATOMIC_RELAXED);
		if (k >= lo && k < hi) {
			__atomic_store_n(&rules[i].rule, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&rules[i].key, KEY_GONE,
					 __ATOMIC_RELEASE);
		}
	}
	if (unw.flush)
		unw.flush(unw.as, lo, hi);
}
