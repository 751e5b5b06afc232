/* Caller stacks, libunwind mode: the walk (preload/stack.c calls it).
 *
 * unw_backtrace costs ~70 instructions a frame even when warm (its
 * per-thread cache is a hash probe, then bitfields and spills): about
 * 1900 instructions for the 19 frames of a 16-frame stack seen from inside
 * the tracer.  This walk keeps libunwind's answers and nothing else: per
 * code address, the rule that takes a frame to its caller's, in one table
 * for the process.  A frame then costs a probe and two loads, ~15
 * instructions, and the walk starts at the wrapper's caller, not three
 * frames of ours deeper.
 *
 * A rule (x86-64, what DWARF CFI says of nearly every frame):
 *   CFA = (rsp or rbp) + off;  return address at CFA - 8;
 *   caller's rbp at CFA + rbo (or rbp unchanged);  caller's rsp = CFA.
 * The last frame (_start: return address undefined) has rule LAST.  Any
 * other shape (signal frames, CFA expressions, a CFA off another register,
 * no unwind info at all) has rule OTHER: the walk hands that frame and the
 * rest of the stack to unw_backtrace, as sct_stk_uc_trace does for a
 * trapped call.
 *
 * Learning a rule (once per code address and process: ~10 us) asks
 * libunwind itself: a cursor at the address with rsp and rbp pointing
 * into a read-only scratch mapping whose every word holds its own offset
 * (a tag), one unw_step, and the caller's rsp, rip and rbp tell where the
 * CFA came from and which words were read.  What libunwind would compute
 * from real registers is exactly the rule, evaluated on tags.  Registers
 * other than rsp, rbp and rip are 0 in that context, so a rule that uses
 * them shows up as OTHER.  The scratch mapping is 33 MiB of address
 * space, ~68 KiB of it written (tags): a frame of up to 32 MiB cannot make
 * libunwind read outside it.
 *
 * The walk reads the stack only inside [sp, hi) of the stack mapping the
 * caller found, 8-byte aligned, strictly upwards: a wrong rule (a library
 * unmapped, another mapped at its address before the rules were dropped)
 * gives a wrong stack, never a fault.  Rules of a range are dropped when
 * an exec mapping there goes away (sct_unw_forget, from the module log's
 * unmap bookkeeping), and libunwind's own caches with them. */
#include <dlfcn.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "sctrace/stack.h"
#include "core.h"
#include "unwind.h"

#define XSTR(x) STR(x)
#define STR(x) #x

/* ---- rules ------------------------------------------------------------ */

enum { R_STD = 1, R_LAST = 2, R_OTHER = 3 };

/* kind (2 bits) | rbp base (bit 2) | rbo (int16, bits 16..31) |
 * off (int32, bits 32..63); 0: none */
static inline uint64_t rule_make(unsigned kind, int rbp_base, int64_t off,
				 int64_t rbo)
{
	return kind | (uint64_t)(rbp_base != 0) << 2 |
	       (uint64_t)(uint16_t)(int16_t)rbo << 16 |
	       (uint64_t)(uint32_t)(int32_t)off << 32;
}
#define RULE_KIND(r) ((unsigned)(r) & 3u)
#define RULE_RBP(r) (((r) >> 2) & 1u)
#define RULE_RBO(r) ((int64_t)(int16_t)(uint16_t)((r) >> 16))
#define RULE_OFF(r) ((int64_t)(int32_t)(uint32_t)((r) >> 32))

/* The table: open addressing, 8 probes.  A slot is claimed by a CAS of
 * its key from 0, then its rule is stored (release); a reader that finds
 * the key before the rule sees 0 and learns the rule itself.  Forgotten
 * slots get key 1 (never an address; not reused). */
#define NRULES 8192u
#define PROBES 8u
#define KEY_GONE 1u
static struct rule_slot {
	uint64_t key, rule;
} *rules; /* NRULES, mapped and populated at start */

static inline uint32_t rule_slot(uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 51) & (NRULES - 1);
}

static inline uint64_t rule_get(uint64_t key)
{
	uint32_t i = rule_slot(key);
	for (unsigned k = 0; k < PROBES; k++, i = (i + 1) & (NRULES - 1)) {
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
	uint32_t i = rule_slot(key);
	for (unsigned k = 0; k < PROBES; k++, i = (i + 1) & (NRULES - 1)) {
		uint64_t kk = __atomic_load_n(&rules[i].key, __ATOMIC_ACQUIRE);
		if (kk == 0 &&
		    __atomic_compare_exchange_n(&rules[i].key, &kk, key, 0,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			/* pairs with the acquire load in rule_get */
			__atomic_store_n(&rules[i].rule, rule, __ATOMIC_RELEASE);
			return;
		}
		if (kk == key)
			return; /* another thread learnt it */
	}
	/* no room: this address is learnt again each time it is seen */
}

/* ---- libunwind -------------------------------------------------------- */

static struct {
	int (*init2)(unw_cursor_t *, unw_context_t *, int);
	int (*step)(unw_cursor_t *);
	int (*get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
	int (*is_signal)(unw_cursor_t *);
	void (*flush)(unw_addr_space_t, unw_word_t, unw_word_t);
	unw_addr_space_t as;
	sct_bt_fn bt;
	uint64_t scratch;   /* the tagged mapping */
} unw;

/* The scratch mapping: rsp-based frames see rsp = S0, rbp-based ones
 * rbp = B0.  Tagged words: [0, S_TAGGED) and [B_AT, B_AT + B_TAGGED). */
#define SCR_SIZE (33ul << 20)
#define S0_AT 512ul
#define S_TAGGED (64ul << 10)
#define B_AT (32ul << 20)
#define B0_AT (B_AT + 512ul)
#define B_TAGGED 4096ul
#define TAG 0x5c70000000000000ull
#define TAG_MASK 0xffff000000000000ull

static void tag_fill(uint64_t base, uint64_t at, uint64_t len)
{
	for (uint64_t o = at; o < at + len; o += 8)
		*(uint64_t *)(base + o) = TAG | o;
}

int sct_unw_init(void *lib, sct_bt_fn bt)
{
	unw.init2 = (int (*)(unw_cursor_t *, unw_context_t *, int))dlsym(
		lib, XSTR(unw_init_local2));
	unw.step = (int (*)(unw_cursor_t *))dlsym(lib, XSTR(unw_step));
	unw.get_reg = (int (*)(unw_cursor_t *, unw_regnum_t, unw_word_t *))
		dlsym(lib, XSTR(unw_get_reg));
	unw.is_signal = (int (*)(unw_cursor_t *))dlsym(
		lib, XSTR(unw_is_signal_frame));
	unw.flush = (void (*)(unw_addr_space_t, unw_word_t, unw_word_t))dlsym(
		lib, XSTR(unw_flush_cache));
	unw_addr_space_t *as = dlsym(lib, XSTR(unw_local_addr_space));
	unw.bt = bt;
	if (!unw.init2 || !unw.step || !unw.get_reg ||
	    !unw.is_signal || !unw.flush || !as)
		return -1;
	unw.as = *as;
	long t = sct_raw6(__NR_mmap, 0, NRULES * sizeof *rules,
			  PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if ((unsigned long)t >= -4096ul)
		return -1;
	sct_populate((void *)t, NRULES * sizeof *rules);
	long m = sct_raw6(__NR_mmap, 0, SCR_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if ((unsigned long)m >= -4096ul) {
		sct_raw2(__NR_munmap, t, NRULES * sizeof *rules);
		return -1;
	}
	sct_populate((void *)m, S_TAGGED);
	sct_populate((void *)(m + B_AT), B_TAGGED);
	rules = (struct rule_slot *)t;
	tag_fill((uint64_t)m, 0, S_TAGGED);
	tag_fill((uint64_t)m, B_AT, B_TAGGED);
	sct_raw3(__NR_mprotect, m, SCR_SIZE, PROT_READ);
	unw.scratch = (uint64_t)m;
	return 0;
}

/* the scratch address whose word V is, if V is a tag; 0 if not */
static inline uint64_t tag_addr(uint64_t v)
{
	if ((v & TAG_MASK) != TAG)
		return 0;
	uint64_t o = v & ~TAG_MASK;
	return o < SCR_SIZE ? unw.scratch + o : 0;
}

static inline int tagged(uint64_t a)
{
	uint64_t o = a - unw.scratch;
	return a >= unw.scratch &&
	       (o < S_TAGGED || (o >= B_AT && o < B_AT + B_TAGGED));
}

/* signal-safe (as libunwind is): the rule at code address KEY (a return
 * address minus 1, or an interrupted rip) */
static SCT_SIGSAFE uint64_t learn(uint64_t key)
{
	const uint64_t other = rule_make(R_OTHER, 0, 0, 0);
	const uint64_t s0 = unw.scratch + S0_AT, b0 = unw.scratch + B0_AT;
	ucontext_t uc;
	for (unsigned i = 0; i < sizeof uc / 8; i++)
		((uint64_t *)&uc)[i] = 0;
	uc.uc_mcontext.gregs[REG_RIP] = (greg_t)key;
	uc.uc_mcontext.gregs[REG_RSP] = (greg_t)s0;
	uc.uc_mcontext.gregs[REG_RBP] = (greg_t)b0;
	unw_cursor_t c;
	/* a signal frame's context: KEY is looked up as it is.  Code
	 * without unwind info gets libunwind's guess (a frame-pointer frame,
	 * a PLT entry), as its own fast trace does. */
	if (unw.init2(&c, &uc, UNW_INIT_SIGNAL_FRAME) < 0 ||
	    unw.is_signal(&c) > 0)
		return other;
	int r = unw.step(&c);
	unw_word_t ip, sp, bp;
	if (r < 0 || unw.get_reg(&c, UNW_REG_SP, &sp) < 0)
		return other;
	if (r == 0) /* the end of the chain, at a sane CFA */
		return tagged(sp) ? rule_make(R_LAST, 0, 0, 0) : other;
	if (unw.get_reg(&c, UNW_REG_IP, &ip) < 0 ||
	    unw.get_reg(&c, UNW_X86_64_RBP, &bp) < 0)
		return other;
	uint64_t o = sp - unw.scratch;
	int rbp_base;
	int64_t off;
	if (sp >= unw.scratch && o < B_AT) {
		rbp_base = 0;
		off = (int64_t)(sp - s0);
	} else if (sp >= unw.scratch && o >= B_AT && o < SCR_SIZE) {
		rbp_base = 1;
		off = (int64_t)(sp - b0);
	} else {
		return other;
	}
	if (off <= 0 || off > INT32_MAX || (sp & 7) || tag_addr(ip) != sp - 8)
		return other;
	int64_t rbo = 0;
	if (bp != b0) {
		uint64_t a = tag_addr(bp);
		if (!a)
			return other;
		rbo = (int64_t)(a - sp);
		if (rbo == 0 || rbo < INT16_MIN || rbo > INT16_MAX)
			return other;
	}
	return rule_make(R_STD, rbp_base, off, rbo);
}

/* signal-safe: unw_backtrace from the frame (ip, sp, bp): IPS[0] = IP */
static SCT_SIGSAFE unsigned fallback(uint64_t *ips, unsigned max,
				     uint64_t ip, uint64_t sp, uint64_t bp,
				     int exact)
{
	uint64_t buf[SCT_STK_MAX_DEPTH + 1];
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

/* Every signal but SIGSYS (the trap layer's, kept deliverable) */
#define MASK_ALL (~0ul & ~(1ul << (SIGSYS - 1)))

/* signal-safe: the rule at KEY, learnt now if need be.  The first
 * learning of a walk blocks signals (*SAVED: the mask to restore) for
 * the rest of it: libunwind does that itself around every lookup,
 * ~10 sigprocmask calls per address learnt, ~1 us each here; those
 * become no-ops (proc.c) while in_unwind is SCT_UNW_MASKED. */
static inline uint64_t rule_at(uint64_t key, uint64_t *saved)
{
	uint64_t r = rule_get(key);
	if (__builtin_expect(!r, 0)) {
		if (sct_self.in_unwind != SCT_UNW_MASKED) {
			uint64_t all = MASK_ALL;
			if (sct_raw4(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */,
				     &all, saved, 8) == 0)
				sct_self.in_unwind = SCT_UNW_MASKED;
		}
		r = learn(key);
		rule_put(key, r);
	}
	return r;
}

/* signal-safe: the end of a walk that blocked signals */
static inline void unmask(const uint64_t *saved)
{
	if (__builtin_expect(sct_self.in_unwind == SCT_UNW_MASKED, 0)) {
		sct_raw4(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, saved, 0, 8);
		sct_self.in_unwind = 1;
	}
}

unsigned sct_unw_gen;

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
				  uint64_t hi, struct sct_unw_trail *tr)
{
	if (tr)
		tr->n = 0;
	if (max == 0)
		return 0;
	ips[0] = ip;
	unsigned n = 1;
	uint64_t saved = 0;
	uint64_t r = rule_at(exact ? ip : ip - 1, &saved);
	while (n < max) {
		if (__builtin_expect(RULE_KIND(r) != R_STD, 0)) {
			if (RULE_KIND(r) == R_LAST)
				break;
			unmask(&saved);
			if (tr)
				tr->n = SCT_TRAIL_NONE;
			return n - 1 + fallback(ips + n - 1, max - (n - 1), ip,
						sp, bp, exact);
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
			trail(tr, a, bp);
		}
		sp = cfa;
		exact = 0;
		if (ip < 0x4000)
			break;
		ips[n++] = ip;
		r = rule_at(ip - 1, &saved);
	}
	unmask(&saved);
	return n;
}

SCT_SIGSAFE unsigned sct_unw_from(uint64_t *ips, unsigned max, uint64_t ip,
				  uint64_t sp, uint64_t bp, int exact)
{
	return max ? fallback(ips, max, ip, sp, bp, exact) : 0;
}

SCT_SIGSAFE void sct_unw_forget(uint64_t lo, uint64_t hi)
{
	if (!unw.scratch)
		return;
	/* before the rules go: a memo checked after this sees it */
	__atomic_fetch_add(&sct_unw_gen, 1, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < NRULES; i++) {
		uint64_t k = __atomic_load_n(&rules[i].key, __ATOMIC_RELAXED);
		if (k >= lo && k < hi) {
			__atomic_store_n(&rules[i].rule, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&rules[i].key, KEY_GONE,
					 __ATOMIC_RELEASE);
		}
	}
	unw.flush(unw.as, lo, hi);
}
