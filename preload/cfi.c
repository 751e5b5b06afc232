/* Caller stacks: unwind rules from .eh_frame (interface in cfi.h).
 *
 * _dl_find_object gives the object holding a code address and its
 * PT_GNU_EH_FRAME segment, .eh_frame_hdr: a table of (initial location,
 * FDE) pairs sorted by location, which a binary search turns into the one
 * FDE that may cover the address.  Its CIE and it hold the CFI program;
 * running it up to the address gives the row in effect there.  Only the
 * three columns the walk uses are kept (CFA, rbp, return address): the
 * rest is decoded and dropped.  Formats: DWARF 5 section 6.4 and the LSB
 * Core specification's .eh_frame and .eh_frame_hdr.
 *
 * Cost: a _dl_find_object call, ~12 probes of the table, then a few dozen
 * bytes of CFI (gcc's prologues and epilogues: advance_loc and
 * def_cfa_offset, offset, remember/restore_state around early returns).
 * No state survives a call: the caller keeps what it learns. */
#include <dlfcn.h>

#include "cfi.h"

/* .eh_frame is packed: its fields have no alignment */
typedef uint16_t u16_un __attribute__((aligned(1), may_alias));
typedef uint32_t u32_un __attribute__((aligned(1), may_alias));
typedef uint64_t u64_un __attribute__((aligned(1), may_alias));
typedef int32_t s32_un __attribute__((aligned(1), may_alias));

/* DW_EH_PE_*: pointer encodings.  Low nibble: the format; bits 4..6:
 * what it is relative to; bit 7: a pointer to the value. */
/* the value's form (low nibble): uleb128 1, udata2 2, udata4 3, udata8
 * 4; the signed ones are these | 8 (signed: 8 bytes) */
#define PE_ABSPTR 0x00
#define PE_SDATA4 0x0b
#define PE_PCREL 0x10
#define PE_DATAREL 0x30
#define PE_FUNCREL 0x40
#define PE_INDIRECT 0x80
#define PE_OMIT 0xff

/* DW_CFA_* opcodes (the three with an operand in the low 6 bits first) */
#define CFA_advance_loc 0x40
#define CFA_offset 0x80
#define CFA_restore 0xc0
#define CFA_nop 0x00
#define CFA_set_loc 0x01
#define CFA_advance_loc1 0x02
#define CFA_advance_loc2 0x03
#define CFA_advance_loc4 0x04
#define CFA_offset_extended 0x05
#define CFA_restore_extended 0x06
#define CFA_undefined 0x07
#define CFA_same_value 0x08
#define CFA_register 0x09
#define CFA_remember_state 0x0a
#define CFA_restore_state 0x0b
#define CFA_def_cfa 0x0c
#define CFA_def_cfa_register 0x0d
#define CFA_def_cfa_offset 0x0e
#define CFA_def_cfa_expression 0x0f
#define CFA_expression 0x10
#define CFA_offset_extended_sf 0x11
#define CFA_def_cfa_sf 0x12
#define CFA_def_cfa_offset_sf 0x13
#define CFA_val_offset 0x14
#define CFA_val_offset_sf 0x15
#define CFA_val_expression 0x16
#define CFA_MIPS_advance_loc8 0x1d
#define CFA_GNU_args_size 0x2e
#define CFA_GNU_negative_offset_extended 0x2f

/* DWARF register numbers, x86-64 psABI */
#define DW_RBP 6
#define DW_RSP 7
#define DW_RA 16

/* remember_state depth kept: gcc nests one level, hand-written code two */
#define STATES 8

/* ---- bounded reads ---------------------------------------------------- */

/* a cursor over [p, end): every read checks it first; p <= end always */
struct rd {
	uint64_t p, end;
};

/* what an object allows: reads inside [lo, hi); DW_EH_PE_datarel is
 * relative to its .eh_frame_hdr (dbase) */
struct obj {
	uint64_t lo, hi, dbase;
};

static SCT_SIGSAFE int rd_u8(struct rd *r, uint64_t *v)
{
	if (r->p >= r->end)
		return -1;
	*v = *(const uint8_t *)r->p++;
	return 0;
}

/* an N-byte little-endian unsigned value, N = 1, 2, 4 or 8 */
static SCT_SIGSAFE int rd_fix(struct rd *r, unsigned n, uint64_t *v)
{
	if (r->end - r->p < n)
		return -1;
	switch (n) {
	case 1:
		*v = *(const uint8_t *)r->p;
		break;
	case 2:
		*v = *(const u16_un *)r->p;
		break;
	case 4:
		*v = *(const u32_un *)r->p;
		break;
	default:
		*v = *(const u64_un *)r->p;
		break;
	}
	r->p += n;
	return 0;
}

/* LEB128: bits past the 64th are dropped (only broken data has them;
 * the value is then wrong but harmless: everything is checked later) */
static SCT_SIGSAFE int rd_leb(struct rd *r, int sign, uint64_t *v)
{
	uint64_t x = 0, b;
	unsigned sh = 0;
	do {
		if (rd_u8(r, &b))
			return -1;
		if (sh < 64)
			x |= (b & 0x7f) << sh;
		sh += sh < 64 ? 7 : 0;
	} while (b & 0x80);
	if (sign && sh < 64 && (b & 0x40))
		x |= ~0ull << sh;
	*v = x;
	return 0;
}

/* nearly every LEB128 of CFI is one byte: that case inline */
static inline int rd_uleb(struct rd *r, uint64_t *v)
{
	if (__builtin_expect(r->p < r->end, 1)) {
		uint8_t b = *(const uint8_t *)r->p;
		if (__builtin_expect(!(b & 0x80), 1)) {
			r->p++;
			*v = b;
			return 0;
		}
	}
	return rd_leb(r, 0, v);
}

static inline int rd_sleb(struct rd *r, int64_t *v)
{
	if (__builtin_expect(r->p < r->end, 1)) {
		uint8_t b = *(const uint8_t *)r->p;
		if (__builtin_expect(!(b & 0x80), 1)) {
			r->p++;
			*v = (int64_t)b - (b & 0x40 ? 0x80 : 0);
			return 0;
		}
	}
	return rd_leb(r, 1, (uint64_t *)v);
}

/* a pointer encoded as ENC (not PE_OMIT); FUNC: the DW_EH_PE_funcrel
 * base, 0 when there is none.  textrel and aligned have no meaning on
 * x86-64 (gcc and the linkers never emit them): refused. */
static SCT_SIGSAFE int rd_ptr(struct rd *r, unsigned enc, const struct obj *o,
			      uint64_t func, uint64_t *v)
{
	const uint64_t at = r->p;
	uint64_t x;
	/* the form: bit 3 signed, bits 0-2 LEB128 (1) or fixed, of WIDTH
	 * bytes (0: no such form) */
	static const unsigned char width[8] = { 8, 0, 2, 4, 8, 0, 0, 0 };
	const unsigned form = enc & 0x07, sgn = enc & 0x08;
	if (form == 1) {
		if (rd_leb(r, sgn != 0, &x))
			return -1;
	} else {
		if (!width[form] || rd_fix(r, width[form], &x))
			return -1;
		if (sgn && width[form] == 2)
			x = (uint64_t)(int64_t)(int16_t)x;
		else if (sgn && width[form] == 4)
			x = (uint64_t)(int64_t)(int32_t)x;
	}
	switch (enc & 0x70) {
	case 0:
		break;
	case PE_PCREL:
		x += at;
		break;
	case PE_DATAREL:
		x += o->dbase;
		break;
	case PE_FUNCREL:
		if (!func)
			return -1;
		x += func;
		break;
	default:
		return -1;
	}
	if (enc & PE_INDIRECT) {
		/* the value is in memory of the object (its GOT) */
		if (x < o->lo || o->hi - o->lo < 8 || x > o->hi - 8)
			return -1;
		x = *(const u64_un *)x;
	}
	*v = x;
	return 0;
}

/* a record (CIE or FDE) at AT: *R set to its body, what follows the
 * length; *WIDE for the 64-bit format (length 0xffffffff, then 8 bytes) */
static SCT_SIGSAFE int rd_rec(uint64_t at, const struct obj *o, struct rd *r,
			      int *wide)
{
	struct rd h = { at, o->hi };
	uint64_t len;
	if (at < o->lo || at > o->hi || rd_fix(&h, 4, &len))
		return -1;
	*wide = len == 0xffffffffu;
	if (*wide && rd_fix(&h, 8, &len))
		return -1;
	/* length 0 is the terminator of .eh_frame, never a record */
	if (len == 0 || len > h.end - h.p)
		return -1;
	r->p = h.p;
	r->end = h.p + len;
	return 0;
}

/* ---- CIE -------------------------------------------------------------- */

struct cie {
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra;      /* the return address column */
	unsigned fde_enc; /* 'R': FDE pointer encoding */
	int z;            /* 'z': FDEs have augmentation data */
	int signal;       /* 'S' */
	struct rd ins;    /* initial instructions */
};

static SCT_SIGSAFE int cie_parse(uint64_t at, const struct obj *o,
				 struct cie *c)
{
	struct rd r;
	int wide;
	uint64_t id, ver, v;
	if (rd_rec(at, o, &r, &wide) || rd_fix(&r, wide ? 8 : 4, &id) ||
	    id != 0 || rd_u8(&r, &ver) || (ver != 1 && ver != 3 && ver != 4))
		return -1;
	/* the augmentation string, NUL-terminated inside the record */
	const uint8_t *aug = (const uint8_t *)r.p;
	do {
		if (rd_u8(&r, &v))
			return -1;
	} while (v);
	if (ver == 4) { /* address size, segment selector size */
		uint64_t as, ss;
		if (rd_u8(&r, &as) || rd_u8(&r, &ss) || as != 8 || ss != 0)
			return -1;
	}
	if (rd_uleb(&r, &c->code_align) || rd_sleb(&r, &c->data_align))
		return -1;
	if (ver == 1 ? rd_u8(&r, &c->ra) : rd_uleb(&r, &c->ra))
		return -1;
	c->fde_enc = PE_ABSPTR;
	c->signal = 0;
	c->z = aug[0] == 'z';
	if (!c->z) {
		/* no augmentation data, so nothing else can be skipped
		 * (gcc's old "eh" included) */
		if (aug[0])
			return -1;
		c->ins = r;
		return 0;
	}
	uint64_t len;
	if (rd_uleb(&r, &len) || len > r.end - r.p)
		return -1;
	struct rd a = { r.p, r.p + len };
	r.p = a.end;
	/* Past a letter we do not know, the data of the next ones cannot
	 * be found; 'z' still tells where the instructions start.  'S' has
	 * no data; without 'R' the FDE pointers cannot be read. */
	int lost = 0;
	for (const uint8_t *s = aug + 1; *s; s++) {
		switch (*s) {
		case 'S':
			c->signal = 1;
			break;
		case 'R':
			if (lost || rd_u8(&a, &v))
				return -1;
			c->fde_enc = (unsigned)v;
			break;
		case 'L':
			if (!lost && rd_u8(&a, &v))
				return -1;
			break;
		case 'P': /* personality: its encoding, then the pointer */
			if (lost)
				break;
			if (rd_u8(&a, &v) || v == PE_OMIT ||
			    (v & 0x70) == 0x50 /* aligned */ ||
			    rd_ptr(&a, (unsigned)v & 0x0f, o, 0, &v))
				return -1;
			break;
		default:
			lost = 1;
			break;
		}
	}
	c->ins = r;
	return 0;
}

/* ---- the CFI program -------------------------------------------------- */

/* how a column (rbp, return address) is recovered */
enum { C_UNSPEC, C_SAME, C_UNDEF, C_OFFSET, C_EXPR, C_OTHER, C_REG };
/* how the CFA is */
enum { CFA_UNSET, CFA_REG, CFA_EXPR };

struct col {
	int64_t off; /* C_OFFSET: saved at CFA + off; C_REG: the register */
	unsigned how;
};

/* a row, the three columns the walk needs */
struct row {
	struct col rbp, ra;
	uint64_t cfa_reg;
	int64_t cfa_off;
	unsigned cfa;
};

struct run {
	struct row row;           /* the current row */
	struct row init;          /* after the CIE's instructions (restore) */
	struct row saved[STATES]; /* remember_state */
	unsigned depth;
	const struct cie *c;
	const struct obj *o;
	uint64_t begin, end; /* the FDE's [pc_begin, pc_begin + range) */
	uint64_t key;
	uint64_t loc; /* where the current row starts, <= key */
	uint64_t hi;  /* where the next row starts, once known */
};

/* the column REG of the current row, NULL if the walk ignores it */
static inline struct col *col_of(struct run *x, uint64_t reg)
{
	if (reg == DW_RBP)
		return &x->row.rbp;
	if (reg == x->c->ra)
		return &x->row.ra;
	return 0;
}

static inline void col_set(struct run *x, uint64_t reg, unsigned how,
			   int64_t off)
{
	struct col *k = col_of(x, reg);
	if (k) {
		k->how = how;
		k->off = off;
	}
}

/* REG back to its rule after the CIE's instructions */
static inline void col_restore(struct run *x, uint64_t reg)
{
	if (reg == DW_RBP)
		x->row.rbp = x->init.rbp;
	else if (reg == x->c->ra)
		x->row.ra = x->init.ra;
}

/* N times the data alignment factor */
static inline int factored(const struct run *x, int64_t n, int64_t *v)
{
	return __builtin_mul_overflow(n, x->c->data_align, v) ? -1 : 0;
}

/* the next row starts DELTA code units on: 1 when that is past KEY (the
 * current row is KEY's, and ends there) */
static SCT_SIGSAFE int advance(struct run *x, uint64_t delta)
{
	uint64_t d;
	if (__builtin_mul_overflow(delta, x->c->code_align, &d) ||
	    d >= x->end - x->loc) {
		x->hi = x->end;
		return 1;
	}
	if (d > x->key - x->loc) {
		x->hi = x->loc + d;
		return 1;
	}
	x->loc += d;
	return 0;
}

/* skip a DWARF expression: its uleb length, then its bytes */
static inline int skip_block(struct rd *r)
{
	uint64_t n;
	if (rd_uleb(r, &n) || n > r->end - r->p)
		return -1;
	r->p += n;
	return 0;
}

/* run the instructions in R: 0 at their end, 1 once a row starts past
 * KEY, -1 on anything unknown or malformed */
static SCT_SIGSAFE int run(struct run *x, struct rd *r)
{
	uint64_t op, reg, u, reg2;
	int64_t s, v;
	while (r->p < r->end) {
		rd_u8(r, &op);
		switch (op & 0xc0) {
		case CFA_advance_loc:
			if (advance(x, op & 0x3f))
				return 1;
			continue;
		case CFA_offset:
			if (rd_uleb(r, &u) || u > INT64_MAX ||
			    factored(x, (int64_t)u, &v))
				return -1;
			col_set(x, op & 0x3f, C_OFFSET, v);
			continue;
		case CFA_restore:
			col_restore(x, op & 0x3f);
			continue;
		}
		switch (op) {
		case CFA_nop:
			break;
		case CFA_GNU_args_size: /* what the callee pops: not our CFA */
			if (rd_uleb(r, &u))
				return -1;
			break;
		case CFA_set_loc:
			if (rd_ptr(r, x->c->fde_enc, x->o, x->begin, &u) ||
			    u < x->loc)
				return -1;
			if (u > x->key) {
				x->hi = u < x->end ? u : x->end;
				return 1;
			}
			x->loc = u;
			break;
		case CFA_advance_loc1:
		case CFA_advance_loc2:
		case CFA_advance_loc4:
		case CFA_MIPS_advance_loc8:
			if (rd_fix(r,
				   op == CFA_MIPS_advance_loc8
					   ? 8
					   : 1u << (op - CFA_advance_loc1),
				   &u))
				return -1;
			if (advance(x, u))
				return 1;
			break;
		case CFA_offset_extended:
		case CFA_val_offset:
			if (rd_uleb(r, &reg) || rd_uleb(r, &u) ||
			    u > INT64_MAX || factored(x, (int64_t)u, &v))
				return -1;
			col_set(x, reg,
				op == CFA_offset_extended ? C_OFFSET : C_OTHER,
				v);
			break;
		case CFA_offset_extended_sf:
		case CFA_val_offset_sf:
			if (rd_uleb(r, &reg) || rd_sleb(r, &s) ||
			    factored(x, s, &v))
				return -1;
			col_set(x, reg,
				op == CFA_offset_extended_sf ? C_OFFSET
							     : C_OTHER,
				v);
			break;
		case CFA_GNU_negative_offset_extended:
			if (rd_uleb(r, &reg) || rd_uleb(r, &u) ||
			    u > INT64_MAX || factored(x, (int64_t)u, &v) ||
			    v == INT64_MIN)
				return -1;
			col_set(x, reg, C_OFFSET, -v);
			break;
		case CFA_restore_extended:
			if (rd_uleb(r, &reg))
				return -1;
			col_restore(x, reg);
			break;
		case CFA_undefined:
		case CFA_same_value:
			if (rd_uleb(r, &reg))
				return -1;
			col_set(x, reg, op == CFA_undefined ? C_UNDEF : C_SAME,
				0);
			break;
		case CFA_register:
			if (rd_uleb(r, &reg) || rd_uleb(r, &reg2))
				return -1;
			/* in itself: unchanged */
			col_set(x, reg, reg2 == reg ? C_SAME
				       : reg2 < 16 ? C_REG : C_OTHER,
				(int64_t)reg2);
			break;
		case CFA_expression:
		case CFA_val_expression:
			if (rd_uleb(r, &reg) || skip_block(r))
				return -1;
			col_set(x, reg, C_EXPR, 0);
			break;
		case CFA_remember_state:
			if (x->depth == STATES)
				return -1;
			x->saved[x->depth++] = x->row;
			break;
		case CFA_restore_state:
			if (x->depth == 0)
				return -1;
			x->row = x->saved[--x->depth];
			break;
		case CFA_def_cfa:
			if (rd_uleb(r, &reg) || rd_uleb(r, &u) || u > INT64_MAX)
				return -1;
			x->row.cfa = CFA_REG;
			x->row.cfa_reg = reg;
			x->row.cfa_off = (int64_t)u;
			break;
		case CFA_def_cfa_sf:
			if (rd_uleb(r, &reg) || rd_sleb(r, &s) ||
			    factored(x, s, &v))
				return -1;
			x->row.cfa = CFA_REG;
			x->row.cfa_reg = reg;
			x->row.cfa_off = v;
			break;
		/* these two only change a register + offset CFA (DWARF 5
		 * 6.4.2.2); an expression stays one */
		case CFA_def_cfa_register:
			if (rd_uleb(r, &reg))
				return -1;
			if (x->row.cfa == CFA_REG)
				x->row.cfa_reg = reg;
			break;
		case CFA_def_cfa_offset:
		case CFA_def_cfa_offset_sf:
			if (op == CFA_def_cfa_offset) {
				if (rd_uleb(r, &u) || u > INT64_MAX)
					return -1;
				v = (int64_t)u;
			} else if (rd_sleb(r, &s) || factored(x, s, &v)) {
				return -1;
			}
			if (x->row.cfa == CFA_REG)
				x->row.cfa_off = v;
			break;
		case CFA_def_cfa_expression:
			if (skip_block(r))
				return -1;
			x->row.cfa = CFA_EXPR;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/* the row's rule: the kind and why of OUT */
static SCT_SIGSAFE void decide(const struct run *x, struct sct_cfi *out)
{
	const struct row *w = &x->row;
	out->why = SCT_CFI_WHY_SHAPE;
	if (x->c->ra != DW_RA)
		return;
	if (w->ra.how == C_UNDEF) {
		out->kind = SCT_CFI_LAST;
		out->why = SCT_CFI_WHY_OK;
		return;
	}
	if (w->cfa == CFA_EXPR || w->ra.how == C_EXPR || w->rbp.how == C_EXPR) {
		out->why = SCT_CFI_WHY_EXPR;
		return;
	}
	if (w->ra.how == C_REG) {
		if (w->cfa == CFA_REG && w->cfa_reg == DW_RSP &&
		    w->cfa_off >= 0 && w->cfa_off <= INT32_MAX &&
		    !(w->cfa_off & 7) &&
		    (w->rbp.how == C_UNSPEC || w->rbp.how == C_SAME)) {
			out->kind = SCT_CFI_RAREG;
			out->off = w->cfa_off;
			out->ra_reg = (unsigned)w->ra.off;
			out->why = SCT_CFI_WHY_OK;
		}
		return;
	}
	/* the walk keeps the CFA offset as an int32 and reads aligned
	 * words upwards from the stack pointer */
	if (w->cfa != CFA_REG ||
	    (w->cfa_reg != DW_RSP && w->cfa_reg != DW_RBP) || w->cfa_off <= 0 ||
	    w->cfa_off > INT32_MAX || (w->cfa_off & 7))
		return;
	if (w->ra.how != C_OFFSET || w->ra.off != -8)
		return;
	int64_t rbo = 0;
	if (w->rbp.how == C_OFFSET) {
		rbo = w->rbp.off;
		if (rbo == 0 || rbo < INT16_MIN || rbo > INT16_MAX || (rbo & 7))
			return;
	} else if (w->rbp.how != C_UNSPEC && w->rbp.how != C_SAME) {
		return;
	}
	out->kind = SCT_CFI_STD;
	out->rbp_base = w->cfa_reg == DW_RBP;
	out->off = w->cfa_off;
	out->rbo = rbo;
	out->why = SCT_CFI_WHY_OK;
}

/* signal-safe: the FDE at FDE read up to its augmentation data (R at
 * it), its CIE in *C, its code range [*BEGIN, *BEGIN + *RANGE); -1 when
 * malformed */
static SCT_SIGSAFE int fde_head(uint64_t fde, const struct obj *o,
				struct rd *r, struct cie *c, uint64_t *begin,
				uint64_t *range)
{
	int wide;
	uint64_t id;
	/* the CIE pointer: from itself back to the CIE; 0 is a CIE */
	if (rd_rec(fde, o, r, &wide))
		return -1;
	const uint64_t at = r->p;
	if (rd_fix(r, wide ? 8 : 4, &id) || id == 0 || id > at - o->lo ||
	    cie_parse(at - id, o, c))
		return -1;
	if (rd_ptr(r, c->fde_enc, o, 0, begin) ||
	    rd_ptr(r, c->fde_enc & 0x0f, o, 0, range))
		return -1;
	return 0;
}

/* the rule at KEY from the FDE at FDE */
static SCT_SIGSAFE void fde_eval(uint64_t fde, const struct obj *o,
				 uint64_t key, struct sct_cfi *out)
{
	struct rd r;
	uint64_t begin, range, n;
	struct cie c;
	out->why = SCT_CFI_WHY_BAD;
	if (fde_head(fde, o, &r, &c, &begin, &range))
		return;
	if (key < begin || key - begin >= range) {
		out->why = SCT_CFI_WHY_NOFDE;
		return;
	}
	if (c.z && (rd_uleb(&r, &n) || n > r.end - r.p))
		return;
	if (c.z)
		r.p += n;
	const uint64_t end = range > ~0ull - begin ? ~0ull : begin + range;
	out->lo = begin;
	out->hi = end;
	if (c.signal) {
		out->kind = SCT_CFI_SIGNAL;
		out->why = SCT_CFI_WHY_OK;
		return;
	}
	struct run x;
	x.row.rbp.how = C_UNSPEC;
	x.row.rbp.off = 0;
	x.row.ra = x.row.rbp;
	x.row.cfa = CFA_UNSET;
	x.row.cfa_reg = 0;
	x.row.cfa_off = 0;
	x.init = x.row;
	x.depth = 0;
	x.c = &c;
	x.o = o;
	x.begin = begin;
	x.end = end;
	x.key = key;
	x.loc = begin;
	x.hi = end;
	int k = run(&x, &c.ins);
	x.init = x.row;
	if (k == 0)
		k = run(&x, &r);
	if (k < 0) {
		/* every address from this row on meets the same trouble */
		out->lo = x.loc;
		return;
	}
	out->lo = x.loc;
	out->hi = x.hi;
	decide(&x, out);
}

/* ---- .eh_frame_hdr ---------------------------------------------------- */

/* the FDE that may cover KEY: the last of the table starting at or
 * before it; 0 and *WHY when there is none */
static SCT_SIGSAFE uint64_t hdr_find(uint64_t hdr, const struct obj *o,
				     uint64_t key, unsigned *why)
{
	struct rd r = { hdr, o->hi };
	uint64_t ver, pe, ce, te, n, v;
	*why = SCT_CFI_WHY_NOTABLE;
	if (hdr < o->lo || hdr > o->hi || rd_u8(&r, &ver) || ver != 1 ||
	    rd_u8(&r, &pe) || rd_u8(&r, &ce) || rd_u8(&r, &te))
		return 0;
	/* eh_frame_ptr (unused), then fde_count */
	if (pe != PE_OMIT && rd_ptr(&r, (unsigned)pe, o, 0, &v))
		return 0;
	if (ce == PE_OMIT || te != (PE_DATAREL | PE_SDATA4) ||
	    rd_ptr(&r, (unsigned)ce, o, 0, &n) || n > (r.end - r.p) / 8)
		return 0;
	/* (initial location, FDE) pairs, both relative to hdr, sorted */
	const s32_un *t = (const s32_un *)r.p;
	const int64_t k = (int64_t)(key - hdr);
	*why = SCT_CFI_WHY_NOFDE;
	if (n == 0 || t[0] > k)
		return 0;
	/* t[2a] <= k, the answer is in [a, a + len): halving without a
	 * branch on the data (a conditional move), which a predictor
	 * would miss half the time */
	uint64_t a = 0, len = n;
	while (len > 1) {
		uint64_t half = len / 2;
		a = t[2 * (a + half)] <= k ? a + half : a;
		len -= half;
	}
	*why = SCT_CFI_WHY_BAD;
	return hdr + (uint64_t)(int64_t)t[2 * a + 1];
}

SCT_SIGSAFE void sct_cfi_in(const void *hdr, uint64_t lo, uint64_t hi,
			    uint64_t key, struct sct_cfi *out)
{
	const struct obj o = { lo, hi, (uint64_t)hdr };
	out->kind = SCT_CFI_NONE;
	out->rbp_base = 0;
	out->off = 0;
	out->rbo = 0;
	out->lo = 0;
	out->hi = 0;
	if (!hdr) {
		out->why = SCT_CFI_WHY_NOTABLE;
		return;
	}
	uint64_t fde = hdr_find((uint64_t)hdr, &o, key, &out->why);
	if (fde)
		fde_eval(fde, &o, key, out);
}

SCT_SIGSAFE int sct_cfi_fde(uint64_t key, uint64_t *lo, uint64_t *hi)
{
	struct dl_find_object f;
	if (_dl_find_object((void *)key, &f) != 0 || !f.dlfo_eh_frame)
		return -1;
	const struct obj o = { (uint64_t)f.dlfo_map_start,
			       (uint64_t)f.dlfo_map_end,
			       (uint64_t)f.dlfo_eh_frame };
	unsigned why;
	uint64_t fde = hdr_find(o.dbase, &o, key, &why), begin, range;
	struct rd r;
	struct cie c;
	if (!fde || fde_head(fde, &o, &r, &c, &begin, &range) ||
	    key < begin || key - begin >= range)
		return -1;
	*lo = begin;
	*hi = begin + range;
	return 0;
}

SCT_SIGSAFE int sct_cfi_find(uint64_t key, struct sct_cfi *out)
{
	struct dl_find_object f;
	if (_dl_find_object((void *)key, &f) != 0)
		return -1;
	sct_cfi_in(f.dlfo_eh_frame, (uint64_t)f.dlfo_map_start,
		   (uint64_t)f.dlfo_map_end, key, out);
	return 0;
}
