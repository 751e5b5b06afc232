/* libsctrace.so core: configuration, per-thread rings, the shared
 * record-and-forward path every generated wrapper calls. */
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "patch.h"
#include "sctrace/size.h"
#include "fn.h"
#include "stack.h"
#include "strcopy.h" /* copy_bytes(): the first hot function */

#define DEFAULT_RING_SIZE (1u << 20)
#define DEFAULT_STR_MAX 256u
#define MAX_STR_MAX 65536u
#define ARGV_BOUND 4096u
#define PAGE 4096ul
#define RING_POPULATE (SCT_HDR_SIZE + (16ul << 10))

SCT_HOTDATA __attribute__((aligned(4096))) struct sct_hot sct_hot = {
	.realv = { [SCT_FN__COUNT - 1] = 0 }
};
_Static_assert(offsetof(struct sct_hot, realv) +
			       SCT_FN__COUNT * sizeof(sct_real_fn) <=
		       4096,
	       "struct sct_hot: one page");
struct sct_config sct_cfg;
int sct_pid;
uint64_t sct_image;
__thread struct sct_thread sct_self __attribute__((tls_model("initial-exec")));

static int (*real_clock_gettime)(clockid_t, struct timespec *);
static uint64_t ring_seq;
static int ring_failed_once;
static pthread_key_t exit_key;
static int exit_status = -1;

SCT_SIGSAFE struct sct_thread *sct_me_slow(void)
{
	return &sct_self;
}

SCT_SIGSAFE int *sct_errno_slow(void)
{
	return &errno;
}

/* signal-safe: CLOCK_MONOTONIC in ns (libc's vDSO function once resolved) */
SCT_SIGSAFE uint64_t sct_now(void)
{
	struct timespec ts;
	if (__builtin_expect(real_clock_gettime != 0, 1))
		real_clock_gettime(CLOCK_MONOTONIC, &ts);
	else
		sct_raw2(__NR_clock_gettime, CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Durations come from the time stamp counter when it is invariant: one
 * clock read per call instead of two.  Its rate is derived from the pair
 * (clock, counter) taken at start and the one taken at each call's entry. */
static uint64_t tsc0, ns0;

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

#define SCT_CAL_EVERY 256

/* signal-safe: TICKS of the counter in ns at RATE.  Through signed
 * conversions, single instructions on x86-64 (the unsigned ones branch):
 * the same value for any count below 2^63, and a counter read on another
 * CPU that lags a little gives a small negative count, not 2^64 - n. */
static inline uint64_t tsc_ns(uint64_t ticks, double rate)
{
	return (uint64_t)(int64_t)((double)(int64_t)ticks * rate);
}

/* signal-safe: start_time() without a calibration pending: the clock read
 * (and the rate derived from it) every SCT_CAL_EVERY calls, or every call
 * when there is no usable counter. */
static SCT_SIGSAFE SCT_COLD void
start_time_slow(struct sct_call *c)
{
	struct sct_thread *t = sct_me();
	if (!sct_hot.use_tsc) {
		c->ts = sct_now();
		c->tsc = 0;
		return;
	}
	c->tsc = rdtsc();
	c->ts = sct_now();
	if (c->tsc - tsc0 > (1u << 22)) { /* a rate worth trusting */
		/* never before what the old anchor gives this count: a call's
		 * time stamp is not below an earlier call's of the thread (a
		 * signal handler's call inside a call, within a microsecond of
		 * it, would print before it) */
		uint64_t was = t->cal_rate > 0
				       ? t->cal_ns + tsc_ns(c->tsc - t->cal_tsc,
							    t->cal_rate)
				       : 0;
		t->cal_rate = (double)(c->ts - ns0) / (double)(c->tsc - tsc0);
		if (c->ts < was)
			c->ts = was;
		t->cal_ns = c->ts;
		t->cal_tsc = c->tsc;
		t->cal_left = SCT_CAL_EVERY;
	}
}

/* signal-safe: entry time of a call: the counter scaled by the rate seen
 * since start, re-anchored on the clock every SCT_CAL_EVERY calls
 * (cal_left is never set without a usable counter). */
static inline SCT_SIGSAFE void start_time(struct sct_call *c)
{
	struct sct_thread *t = sct_me();
	if (__builtin_expect(t->cal_left != 0, 1)) {
		c->tsc = rdtsc();
		t->cal_left--;
		c->ts = t->cal_ns + tsc_ns(c->tsc - t->cal_tsc, t->cal_rate);
		return;
	}
	start_time_slow(c);
}

/* signal-safe: the end time of call C of thread T, now. */
static inline SCT_SIGSAFE uint64_t end_time_of(const struct sct_thread *t,
					       const struct sct_call *c)
{
	double rate = t->cal_rate;
	if (__builtin_expect(sct_hot.use_tsc && rate > 0, 1))
		return c->ts + tsc_ns(rdtsc() - c->tsc, rate);
	return sct_now();
}

static inline SCT_SIGSAFE uint64_t end_time(const struct sct_call *c)
{
	return end_time_of(sct_me(), c);
}

static void init_tsc(void)
{
	unsigned a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
			 : "a"(0x80000000u));
	if (a < 0x80000007u)
		return;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
			 : "a"(0x80000007u));
	if (d & (1u << 8)) { /* invariant TSC: constant rate, never stops */
		ns0 = sct_now();
		tsc0 = rdtsc();
		sct_hot.use_tsc = 1;
	}
}

/* ---- real functions ----------------------------------------------------- */

/* libc's dynamic symbol table, for lookups without dlsym: a dlsym per
 * wrapped name costs ~1 us, and there are hundreds of them. */
static struct {
	uintptr_t base;
	const ElfW(Sym) *sym;
	const char *str;
	const uint16_t *versym;
	const uint32_t *gnu_hash;
} libc;

static int find_libc(struct dl_phdr_info *info, size_t size, void *unused)
{
	(void)size, (void)unused;
	const char *slash = strrchr(info->dlpi_name, '/');
	if (strcmp(slash ? slash + 1 : info->dlpi_name, "libc.so.6") != 0)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type != PT_DYNAMIC)
			continue;
		const ElfW(Dyn) *d = (const ElfW(Dyn) *)(info->dlpi_addr +
							 info->dlpi_phdr[i].p_vaddr);
		for (; d->d_tag != DT_NULL; d++) {
			uintptr_t v = d->d_un.d_ptr;
			if (v < info->dlpi_addr) /* not relocated in place */
				v += info->dlpi_addr;
			if (d->d_tag == DT_SYMTAB)
				libc.sym = (const ElfW(Sym) *)v;
			else if (d->d_tag == DT_STRTAB)
				libc.str = (const char *)v;
			else if (d->d_tag == DT_VERSYM)
				libc.versym = (const uint16_t *)v;
			else if (d->d_tag == DT_GNU_HASH)
				libc.gnu_hash = (const uint32_t *)v;
		}
		libc.base = info->dlpi_addr;
	}
	return 1;
}

/* NAME's default version in libc (or its only, hidden one: __xstat). */
static void *libc_symbol(const char *name)
{
	const uint32_t *h = libc.gnu_hash;
	if (!h || !libc.sym || !libc.str)
		return 0;
	uint32_t nbuckets = h[0], symoffset = h[1], bloom_size = h[2];
	const uint32_t *buckets = h + 4 + bloom_size * (sizeof(ElfW(Addr)) / 4);
	const uint32_t *chain = buckets + nbuckets;
	uint32_t hash = 5381;
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		hash = hash * 33 + *c;
	uint32_t i = buckets[hash % nbuckets];
	void *hidden = 0;
	if (i < symoffset)
		return 0;
	for (;; i++) {
		uint32_t ch = chain[i - symoffset];
		const ElfW(Sym) *s = &libc.sym[i];
		if ((ch | 1) == (hash | 1) && s->st_shndx != SHN_UNDEF &&
		    ELF64_ST_TYPE(s->st_info) == STT_FUNC &&
		    strcmp(libc.str + s->st_name, name) == 0) {
			void *addr = (void *)(libc.base + s->st_value);
			if (!libc.versym || !(libc.versym[i] & 0x8000))
				return addr;
			hidden = addr;
		}
		if (ch & 1)
			break;
	}
	return hidden;
}

static void *lookup_real(const char *name)
{
	void *f = libc_symbol(name);
	if (f)
		return f;
	f = dlsym(RTLD_NEXT, name);
	if (!f) /* compat-only symbols such as __xstat */
		f = dlvsym(RTLD_NEXT, name, "GLIBC_2.2.5");
	return f;
}

/* signal-safe after the constructor; before it, resolves lazily and
 * returns NULL when called from inside the lookup itself (dlsym's own
 * allocations), so the wrapper falls back to a raw syscall. */
SCT_SIGSAFE sct_real_fn sct_resolve(unsigned fn)
{
	struct sct_thread *t = sct_me();
	if (t->guard || fn >= SCT_FN__COUNT)
		return 0;
	t->guard = 1;
	sct_real_fn f = (sct_real_fn)lookup_real(sct_fn_names[fn]);
	__atomic_store_n(&sct_hot.realv[fn], f, __ATOMIC_RELEASE);
	t->guard = 0;
	return f;
}

/* signal-safe: the syscall itself, with libc's errno convention. */
SCT_SIGSAFE long sct_fallback(long nr, const long *a)
{
	long r = sct_raw(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* ---- rings -------------------------------------------------------------- */

static SCT_SIGSAFE void ring_path(char *buf, const char *end, int tid,
				  uint64_t seq, int tmp)
{
	char *p = sct_stpcpy(buf, sct_cfg.dir, end);
	p = sct_stpcpy(p, tmp ? "/.tmp-" : "/", end);
	p = sct_utoa(p, (unsigned long)sct_pid, end);
	p = sct_stpcpy(p, "-", end);
	p = sct_utoa(p, (unsigned long)tid, end);
	p = sct_stpcpy(p, "-", end);
	p = sct_utoa(p, seq, end);
	sct_stpcpy(p, ".ring", end);
}

static SCT_SIGSAFE void ring_fail(const char *what, long err)
{
	if (__atomic_exchange_n(&ring_failed_once, 1, __ATOMIC_RELAXED))
		return;
	char head[SCT_PATH_MAX + 64], tail[64];
	char *p = sct_stpcpy(head, what, head + sizeof head);
	sct_stpcpy(p, sct_cfg.dir, head + sizeof head);
	p = sct_stpcpy(tail, " (errno ", tail + sizeof tail);
	p = sct_utoa(p, (unsigned long)-err, tail + sizeof tail);
	sct_stpcpy(p, "): ", tail + sizeof tail);
	sct_msg(head, tail, "the calls of threads without a ring are not recorded");
}

static SCT_SIGSAFE void fill_identity(struct sct_ring_hdr *h, int tid,
				      uint64_t seq)
{
	struct timespec rt;
	h->pid = (uint32_t)sct_pid;
	h->image = sct_image;
	h->tid = (uint32_t)tid;
	h->ppid = (uint32_t)sct_raw0(__NR_getppid);
	h->str_max = sct_hot.str_max;
	h->trap_mode = (uint32_t)sct_hot.trap_mode;
	h->seq = seq;
	sct_raw2(__NR_clock_gettime, CLOCK_REALTIME, &rt);
	h->mono_start = sct_now();
	h->real_offset = (int64_t)((uint64_t)rt.tv_sec * 1000000000u +
				   (uint64_t)rt.tv_nsec) - (int64_t)h->mono_start;
	copy_bytes(h->comm, sct_cfg.comm, sizeof h->comm);
	copy_bytes(h->exe, sct_cfg.exe, sizeof h->exe);
}

/* signal-safe: the staging area's flush (ring.h): the kernel copies the
 * half into the data area, through pages it maps itself (the writer's
 * first store to a page costs more: ring.h).  A page the file system has
 * no room for ends the copy short. */
static int flush_by_copy; /* process_vm_writev refused (a seccomp policy) */
static SCT_SIGSAFE long ring_flush(void *dst, const void *src, uint64_t len)
{
	if (!__atomic_load_n(&flush_by_copy, __ATOMIC_RELAXED)) {
		struct iovec local = { (void *)src, len }, remote = { dst, len };
		/* the caller's own pid, not sct_pid: in a vfork child (the
		 * parent's memory) sct_pid is the parent's, which YAMA's
		 * ptrace_scope 1 keeps it from writing to */
		long r = sct_raw6(__NR_process_vm_writev, sct_raw0(__NR_getpid),
				  &local, 1, &remote, 1, 0);
		if (r != -EPERM && r != -ENOSYS && r != -EACCES)
			return r;
		__atomic_store_n(&flush_by_copy, 1, __ATOMIC_RELAXED);
	}
	/* the writer's own stores, into pages given memory first (a page
	 * the file system has no room for would raise SIGBUS; a kernel
	 * before 5.14 cannot, and had the file's blocks allocated) */
	long p = sct_populate(dst, len);
	if (p < 0 && p != -EINVAL)
		return 0;
	copy_bytes(dst, src, len);
	return (long)len;
}

/* signal-safe: create, size (with real blocks, so a full /dev/shm fails
 * here and never as SIGBUS later), map and publish this thread's ring. */
static SCT_SIGSAFE int ring_create(struct sct_thread *t)
{
	char tmp[SCT_PATH_MAX], final[SCT_PATH_MAX];
	uint64_t seq = __atomic_fetch_add(&ring_seq, 1, __ATOMIC_RELAXED);
	const uint64_t stage = sct_cfg.stage_size;
	uint64_t total = SCT_HDR_SIZE + sct_cfg.ring_size + stage;
	t->tid = (int)sct_raw0(__NR_gettid);
	long fd;
	/* a name of an earlier image of this pid (before exec) is taken:
	 * move on to the next sequence number */
	for (int tries = 0;; tries++) {
		ring_path(tmp, tmp + sizeof tmp, t->tid, seq, 1);
		fd = sct_raw4(__NR_openat, AT_FDCWD, tmp,
			      O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			      0600);
		if (fd != -EEXIST || tries == 64)
			break;
		seq = __atomic_fetch_add(&ring_seq, 1, __ATOMIC_RELAXED);
	}
	if (fd < 0) {
		ring_fail("cannot create a ring in ", fd);
		return -1;
	}
	long r;
	int sparse;
	void *map = sct_shm_map(fd, total, &r, &sparse);
	/* the first pages populated in one batch instead of a fault on each
	 * page's first record (~1-10 us each); not all of a big ring, which
	 * a short program would pay for without using: the rest as the
	 * writer gets there (ring_write.c).  The file is sparse: a page
	 * gets memory when populated, or the ring is short of room. */
	uint64_t first = total < RING_POPULATE ? total : RING_POPULATE;
	/* staging: the first half of the staging area (the header page
	 * is), the second when the writer gets there */
	if (map && sparse && stage)
		r = sct_populate((char *)map + total - stage, stage / 2);
	else if (map && sparse)
		r = sct_populate(map, first);
	if (map && sparse && r < 0) {
		sct_raw2(__NR_munmap, map, total);
		map = 0;
	}
	if (!map) {
		sct_raw3(__NR_unlinkat, AT_FDCWD, tmp, 0);
		ring_fail("cannot size or map a ring in ", r);
		return -1;
	}
	sct_ring_init(&t->w, map, total, stage, sct_hot.overwrite);
	t->w.flush = ring_flush;
	if (stage && sparse)
		t->w.populate = sct_populate;
	if (!stage && sparse && t->w.lim > first - SCT_HDR_SIZE) {
		t->w.lim = first - SCT_HDR_SIZE;
		t->w.populate = sct_populate;
	}
	for (int tries = 0;; tries++) {
		ring_path(final, final + sizeof final, t->tid, seq, 0);
		fill_identity(t->w.hdr, t->tid, seq);
		long r = sct_raw5(__NR_renameat2, AT_FDCWD, tmp, AT_FDCWD, final,
				  1 /* RENAME_NOREPLACE */);
		if (r != -EEXIST || tries == 64)
			break;
		seq = __atomic_fetch_add(&ring_seq, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

SCT_SIGSAFE struct sct_wring *sct_thread_ring(void)
{
	struct sct_thread *t = sct_me();
	if (__builtin_expect(t->state == 1, 1))
		return &t->w;
	if (t->state < 0 || !sct_hot.enabled)
		return 0;
	if (ring_create(t) < 0) {
		t->state = -1;
		return 0;
	}
	t->state = 1;
	sct_stack_warm_thread();
	/* thread exit hook: a non-NULL value makes the key destructor run */
	pthread_setspecific(exit_key, (void *)1);
	return &t->w;
}

/* ---- captures ----------------------------------------------------------- */

/* signal-safe: copy N bytes of the traced program's memory at SRC, page by
 * page through process_vm_readv, so a bad pointer yields a short count and
 * never a fault.  Used whenever the kernel did not prove SRC readable. */
SCT_SIGSAFE size_t sct_safe_copy(void *dst, uintptr_t src, size_t n)
{
	struct iovec local = { dst, n }, remote[4];
	int k = 0;
	size_t left = n;
	uintptr_t p = src;
	while (left && k < 4) {
		size_t chunk = PAGE - (p & (PAGE - 1));
		if (chunk > left)
			chunk = left;
		remote[k].iov_base = (void *)p;
		remote[k].iov_len = chunk;
		k++, p += chunk, left -= chunk;
	}
	local.iov_len = n - left;
	long r = sct_raw6(__NR_process_vm_readv, sct_pid, &local, 1, remote, k,
			  0);
	return r < 0 ? 0 : (size_t)r;
}

/* signal-safe: write N bytes at DST in the traced program's memory, through
 * process_vm_writev: a bad pointer yields a short count, never a fault. */
SCT_SIGSAFE size_t sct_safe_write(uintptr_t dst, const void *src, size_t n)
{
	struct iovec local = { (void *)src, n }, remote = { (void *)dst, n };
	long r = sct_raw6(__NR_process_vm_writev, sct_pid, &local, 1, &remote,
			  1, 0);
	return r < 0 ? 0 : (size_t)r;
}

struct capture {
	unsigned char *p, *end; /* room left in the record */
	int trusted;            /* memory proven readable by the kernel */
};

static SCT_SIGSAFE SCT_HOT size_t cap_copy(struct capture *cp, void *dst,
				   uintptr_t src, size_t n)
{
	if (cp->trusted) {
		copy_bytes(dst, (const void *)src, n);
		return n;
	}
	return sct_safe_copy(dst, src, n);
}

static SCT_SIGSAFE struct sct_blob *blob_open(struct capture *cp, int arg)
{
	if (cp->end - cp->p < (long)sizeof(struct sct_blob) + 8)
		return 0;
	struct sct_blob *b = (struct sct_blob *)cp->p;
	b->arg = (uint8_t)arg;
	b->flags = 0;
	b->_pad = 0;
	b->len = 0;
	return b;
}

static SCT_SIGSAFE void blob_close(struct capture *cp, struct sct_blob *b,
				   struct sct_rec *rec)
{
	cp->p += SCT_ALIGN(sizeof *b + b->len);
	rec->nblobs++;
}

/* signal-safe: cap_str() from byte N of the string on: through checked
 * reads, in chunks that never cross a page */
static SCT_SIGSAFE SCT_COLD size_t cap_str_checked(unsigned char *dst,
						   uintptr_t src, size_t n,
						   size_t max, int *trunc)
{
	while (n < max) {
		size_t chunk = PAGE - ((src + n) & (PAGE - 1));
		if (chunk > max - n)
			chunk = max - n;
		size_t got = sct_safe_copy(dst + n, src + n, chunk);
		for (size_t i = 0; i < got; i++)
			if (!dst[n + i])
				return n + i;
		n += got;
		if (got < chunk) {
			*trunc = 2;
			return n;
		}
	}
	unsigned char c;
	*trunc = sct_safe_copy(&c, src + n, 1) == 1 && c;
	return n;
}

/* signal-safe: a NUL-terminated string, up to MAX bytes.  *TRUNC: 1, it
 * is longer; 2, a fault before its NUL (and MAX): strace then prints the
 * pointer, never the bytes before it. */
static SCT_SIGSAFE SCT_HOT size_t cap_str(struct capture *cp, unsigned char *dst,
				  uintptr_t src, size_t max, int *trunc)
{
	size_t n = 0;
	*trunc = 0;
	if (cp->trusted) {
		/* read by the kernel, but not always to its NUL (mount's data:
		 * a page at most, tolerating a fault): directly to the end of
		 * its first page, through checked reads past it */
		size_t first = PAGE - (src & (PAGE - 1));
		size_t lim = max < first ? max : first;
		if (!*(const char *)src) /* "" (fstat, AT_EMPTY_PATH calls) */
			return 0;
		n = str_words(dst, src, lim);
		if (n < lim)
			return n;
		if (max < first) {
			*trunc = ((const char *)src)[n] != 0;
			return n;
		}
	}
	return cap_str_checked(dst, src, n, max, trunc);
}

/* signal-safe: *S = element I of the pointer array ARR, through the
 * window W[0..*WN) of elements read from *W0 on (one read of up to
 * SCT_PTRS_AT_ONCE elements: untrusted memory costs a syscall per read,
 * and an environment has dozens).  0 when it cannot be read. */
#define SCT_PTRS_AT_ONCE 32u
static SCT_SIGSAFE int strarr_elem(struct capture *cp, uintptr_t arr,
				   uint32_t i, uintptr_t *w, uint32_t *w0,
				   uint32_t *wn, uintptr_t *s)
{
	if (cp->trusted) {
		*s = ((const uintptr_t *)arr)[i];
		return 1;
	}
	if (i < *w0 || i >= *w0 + *wn) {
		*w0 = i;
		*wn = (uint32_t)(sct_safe_copy(w, arr + i * sizeof *w,
					       SCT_PTRS_AT_ONCE * sizeof *w) /
				 sizeof *w);
		if (!*wn)
			return 0;
	}
	*s = w[i - *w0];
	return 1;
}

/* signal-safe: end B's data with the 8-byte address A (a strarr blob's
 * SCT_BF_UNTERM or SCT_BF_BADSTR); 0 without room */
static SCT_SIGSAFE int strarr_tail(struct sct_blob *b, size_t room, uint64_t a)
{
	if (b->len + sizeof a > room)
		return 0;
	copy_bytes((unsigned char *)(b + 1) + b->len, &a, sizeof a);
	b->len += sizeof a;
	return 1;
}

static SCT_SIGSAFE SCT_COLD void cap_strarr(struct capture *cp,
					    struct sct_blob *b, uintptr_t arr,
					    int count_only)
{
	unsigned char *d = (unsigned char *)(b + 1);
	size_t room = (size_t)(cp->end - d);
	uint32_t count = 0, w0 = 0, wn = 0;
	uintptr_t w[SCT_PTRS_AT_ONCE];
	if (room > ARGV_BOUND)
		room = ARGV_BOUND;
	if (count_only)
		b->len = sizeof count;
	for (;; count++) {
		uintptr_t s;
		if (!strarr_elem(cp, arr, count, w, &w0, &wn, &s)) {
			/* the array itself: none of it (print the pointer),
			 * or its end (strace: "unterminated") */
			if (!count)
				b->flags |= SCT_BF_FAULT;
			else if (strarr_tail(b, room, arr + count * sizeof s))
				b->flags |= SCT_BF_UNTERM;
			break;
		}
		if (!s)
			break;
		if (count_only) {
			if (count > 1000000)
				break;
			continue;
		}
		int trunc;
		if (b->len + 2 + sizeof(uint64_t) > room) {
			b->flags |= SCT_BF_TRUNC;
			break;
		}
		size_t n = cap_str(cp, d + b->len, s, room - b->len - 1 -
						       sizeof(uint64_t), &trunc);
		if (trunc == 2) { /* printed as its pointer: the last entry */
			if (strarr_tail(b, room, s))
				b->flags |= SCT_BF_BADSTR;
			break;
		}
		d[b->len + n] = 0;
		b->len += (uint32_t)n + 1;
		if (trunc) {
			b->flags |= SCT_BF_TRUNC;
			break;
		}
	}
	if (count_only)
		copy_bytes(d, &count, sizeof count);
}

#define X_CAP(name, cap, size) SCT_CAP_##cap,
static const unsigned char kind_cap[] = { SCT_KINDS(X_CAP) };
#undef X_CAP
#define X_SIZE(name, cap, size) size,
static const unsigned short kind_size[] = { SCT_KINDS(X_SIZE) };
#undef X_SIZE

/* Per syscall number, computed once the capture bound is known, in one
 * table (a call's look-ups in one cache line, and never sct_sysent's
 * pages on the record path):
 *  - bytes: the blob bytes its arguments can need (all six);
 *  - mask: bit I, argument I has a kind that captures memory;
 *  - one_str: its only captured input is one C string (see
 *    failed_but_read());
 *  - adopts: sct_trap_adopts(nr), a function of nr alone, looked up once:
 *    it sits on every wrapper's path when the trap layer is on, and a
 *    call there makes sct_begin() save and restore five registers;
 *  - errret: it returns its error number (SCT_R_errret);
 *  - arg: what capture_arg() needs of each argument's description: its
 *    kind's capture and fixed size (kind_cap, kind_size: no table of
 *    .rodata read per call), the argument holding its length, whether
 *    it is read only with O_CREAT/O_TMPFILE. */
struct capdesc {
	uint16_t size;
	uint8_t cap, param;
	uint8_t flags; /* CD_* */
	uint8_t skip; /* SCT_KIND_SKIP: where SIZE bytes start at the address */
};
/* an out-argument written only when the one before it is not NULL
 * (accept's socklen after its address) */
#define CD_IF_PREV 1u
/* a sigset whose size is the call's last argument: the kernel reads or
 * writes that many bytes (rt_sigpending accepts fewer than 8) */
#define CD_SIGSET 2u
#define CD_REAPED 4u /* wait4's status: written when it returns a pid */
#define CD_MODE 8u   /* open's mode: read with O_CREAT/O_TMPFILE (cond 1) */
#define CD_FUTEX 16u /* futex's timeout: read by waiting operations */
/* the conditions above: whether the argument is captured at all */
#define CD_SKIPS (CD_IF_PREV | CD_SIGSET | CD_REAPED | CD_MODE | CD_FUTEX)
/* buffers whose successful call does not prove them read or written: */
#define CD_DEVWRITE 32u /* write/pwrite64's: not on a character device */
#define CD_MSGTRUNC 64u /* recvfrom's: not with MSG_TRUNC (TCP drops it) */
#define CD_CWD 128u     /* getcwd's: libc's returns the buffer, not a
			   length; the string, to its NUL */
static struct nrinfo {
	uint32_t bytes;
	uint8_t mask, one_str, adopts, errret;
	uint8_t fdchg; /* FC_*: how the call changes what an fd number is */
	/* capture_quick() does its captures: 0 never, 1 always, 2 + I when
	 * its string argument I is "" (fstat and kin) */
	uint8_t quick;
	struct capdesc arg[6];
} nrinfo[SCT_NSYS] SCT_HOTDATA;
_Static_assert(sizeof(struct nrinfo) <= 48, "a call's nrinfo in one line");

/* What the descriptors the program writes to are, for a write's buffer: a
 * successful write proves its bytes read, except on a character device
 * (/dev/null takes anything without reading it), where they are read
 * through checked reads.  Found by fstat at the first write captured on a
 * descriptor; forgotten when a call seen makes the number name something
 * else (FC_*).  Not seen, and so not forgotten: libc's internal opens with
 * the trap layer off. */
#define FD_CLASSES 65536 /* bytes of .bss, a page each 4096 fds in use */
enum { FD_UNKNOWN, FD_READS, FD_MAYNOT };
static uint8_t fd_class[FD_CLASSES] __attribute__((aligned(4096)));
static unsigned fd_class_top; /* above every descriptor classed */
#define FC_RET 1u    /* returns a new descriptor */
#define FC_ARG0 2u   /* closes argument 0 (close) */
#define FC_ARG1 4u   /* replaces argument 1 (dup2, dup3) */
#define FC_RANGE 8u  /* closes arguments 0..1 (close_range) */
#define FC_FDS 16u   /* writes two new ones (pipe2: arg 0, socketpair: 3) */
#define FC_FCNTL 32u /* F_DUPFD*: returns a new one */

static SCT_SIGSAFE void fd_forget(long fd)
{
	if (fd >= 0 && fd < FD_CLASSES)
		__atomic_store_n(&fd_class[fd], FD_UNKNOWN, __ATOMIC_RELAXED);
}

/* signal-safe: after call NR with arguments A returned R */
static SCT_SIGSAFE void fd_changed(unsigned how, unsigned nr, const long *a,
				   long r)
{
	if (r < 0)
		return;
	if ((how & FC_RET) ||
	    ((how & FC_FCNTL) && (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC)))
		fd_forget(r);
	if (how & FC_ARG0)
		fd_forget(a[0]);
	if (how & FC_ARG1)
		fd_forget(a[1]);
	if (how & FC_RANGE) {
		unsigned long top = __atomic_load_n(&fd_class_top, __ATOMIC_RELAXED);
		for (unsigned long f = (unsigned long)a[0];
		     f <= (unsigned long)a[1] && f < top; f++)
			fd_forget((long)f);
	}
	if (how & FC_FDS) { /* written by the kernel: the call succeeded */
		const int *fds = (const int *)(nr == __NR_socketpair ? a[3] : a[0]);
		if (fds)
			fd_forget(fds[0]), fd_forget(fds[1]);
	}
}

/* signal-safe: FD's class, from one fstat: its first captured write */
static SCT_SIGSAFE SCT_COLD unsigned fd_classify(long fd)
{
	struct stat st;
	unsigned c = sct_raw2(__NR_fstat, fd, &st) == 0 && !S_ISCHR(st.st_mode)
			     ? FD_READS
			     : FD_MAYNOT;
	/* a vfork child's descriptors are not its parent's */
	if (!sct_me()->vchild_tid) {
		__atomic_store_n(&fd_class[fd], (uint8_t)c, __ATOMIC_RELAXED);
		unsigned top = __atomic_load_n(&fd_class_top, __ATOMIC_RELAXED);
		while (top <= (unsigned)fd &&
		       !__atomic_compare_exchange_n(&fd_class_top, &top,
						    (unsigned)fd + 1, 0,
						    __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED))
			;
	}
	return c;
}

/* signal-safe: does a successful write to FD prove its buffer read? */
static SCT_SIGSAFE int write_reads(long fd)
{
	if (fd < 0 || fd >= FD_CLASSES)
		return 0;
	unsigned c = __atomic_load_n(&fd_class[fd], __ATOMIC_RELAXED);
	if (c == FD_UNKNOWN)
		c = fd_classify(fd);
	return c == FD_READS;
}

/* Is an argument of capture CAP, of a call that FAILED (record flags
 * FLAGS), one the kernel did not write: an out-argument of a call that
 * failed or did not return? */
static inline int out_skipped(unsigned cap, int failed, unsigned flags)
{
	return (cap == SCT_CAP_BUFOUT || cap == SCT_CAP_FIXOUT) &&
	       (failed || (flags & SCT_RF_NORETURN));
}

/* signal-safe: capture argument I's memory, if its kind has any. */
static inline __attribute__((always_inline)) SCT_SIGSAFE void
capture_arg(struct capture *cp, struct sct_rec *rec, const long *a,
	    const struct capdesc *ad, int i, long ret, int failed)
{
	unsigned cap = ad->cap;
	uintptr_t addr = (uintptr_t)a[i];
	size_t max = sct_hot.str_max, n = 0;
	if (cap == SCT_CAP_NONE || !addr)
		return;
	if (out_skipped(cap, failed, rec->flags))
		return;
	struct sct_blob *b = blob_open(cp, i);
	if (!b)
		return;
	unsigned char *d = (unsigned char *)(b + 1);
	size_t room = (size_t)(cp->end - d);
	int trunc = 0;
	switch (cap) {
	case SCT_CAP_CSTR:
		if (addr == (uintptr_t)sct_hot.empty) /* fstat and kin: "" */
			break;
		n = cap_str(cp, d, addr, max < room ? max : room, &trunc);
		if (trunc == 2) { /* printed as its pointer */
			b->flags |= SCT_BF_FAULT;
			n = 0, trunc = 0;
		}
		break;
	case SCT_CAP_BUFIN:
	case SCT_CAP_LENIN:
	case SCT_CAP_BUFOUT: {
		uint64_t want = cap == SCT_CAP_BUFOUT ? (uint64_t)ret
						      : (uint64_t)a[ad->param];
		if (cap == SCT_CAP_LENIN)
			want &= 0xffffffffu;
		if ((ad->flags & CD_CWD) && want > (uint64_t)a[ad->param]) {
			size_t lim = (size_t)a[ad->param];
			n = cap_str(cp, d, addr, max < lim ? max : lim, &trunc);
			if (trunc == 2)
				trunc = 1;
			break;
		}
		/* longer than the buffer: a datagram cut by MSG_TRUNC */
		if (cap == SCT_CAP_BUFOUT && want > (uint64_t)a[ad->param])
			want = (uint64_t)a[ad->param];
		n = want < max ? want : max;
		if (n > room)
			n = room;
		trunc = want > n;
		/* bytes the kernel may not have touched: a write to a
		 * character device (/dev/null), a TCP receive with
		 * MSG_TRUNC (discarded, never written) */
		int trusted = cp->trusted;
		if (trusted && (ad->flags & CD_DEVWRITE) &&
		    !write_reads(a[0]))
			trusted = 0;
		if (trusted && (ad->flags & CD_MSGTRUNC) &&
		    (a[3] & MSG_TRUNC))
			trusted = 0;
		size_t asked = n;
		if (!trusted) {
			n = sct_safe_copy(d, addr, n);
		/* a write that took fewer bytes than asked (ret) proved only
		 * those readable: the rest through checked reads */
		} else if (cap != SCT_CAP_BUFOUT && ret > 0 && (uint64_t)ret < n) {
			copy_bytes(d, (const void *)addr, (size_t)ret);
			n = (size_t)ret + sct_safe_copy(d + ret, addr + (uintptr_t)ret,
							n - (size_t)ret);
		} else {
			n = cap_copy(cp, d, addr, n);
		}
		/* as strace: bytes it would print that cannot all be read
		 * make the argument its address */
		if (n < asked) {
			b->flags |= SCT_BF_FAULT;
			n = 0, trunc = 0;
		}
		break;
	}
	case SCT_CAP_FIXIN:
	case SCT_CAP_FIXOUT:
		n = ad->size <= room ? ad->size : 0;
		n = cap_copy(cp, d, addr + ad->skip, n);
		if (n < ad->size) {
			b->flags |= SCT_BF_FAULT;
			n = 0;
		}
		break;
	case SCT_CAP_STRARR:
	case SCT_CAP_COUNT:
		cap_strarr(cp, b, addr, cap == SCT_CAP_COUNT);
		n = b->len;
		break;
	}
	b->len = (uint32_t)n;
	if (trunc)
		b->flags |= SCT_BF_TRUNC;
	if (cap == SCT_CAP_BUFOUT || cap == SCT_CAP_FIXOUT)
		b->flags |= SCT_BF_OUT;
	blob_close(cp, b, rec);
}

/* Upper bound of the blob bytes argument I can need. */
static SCT_SIGSAFE uint32_t capture_bound(const struct sct_argdesc *ad)
{
	uint32_t hdr = sizeof(struct sct_blob) + 8;
	switch (kind_cap[ad->kind]) {
	case SCT_CAP_NONE:
		return 0;
	case SCT_CAP_FIXIN:
	case SCT_CAP_FIXOUT:
		return hdr + kind_size[ad->kind];
	case SCT_CAP_STRARR:
		return hdr + ARGV_BOUND;
	case SCT_CAP_COUNT:
		return hdr + 4;
	default:
		return hdr + sct_hot.str_max;
	}
}


/* The staging area of each ring (ring.h), unless SCTRACE_STAGE=0: two
 * halves of at least 32 KiB, each holding the biggest record a call or an
 * event can make, with its END word; none in a ring smaller than four
 * halves (the staging would save little there). */
static void size_stage(uint64_t biggest)
{
	uint64_t half = 32u << 10;
	while (half < biggest + SCT_END_BYTES)
		half <<= 1;
	if (!sct_cfg.stage_size || 4 * half > sct_cfg.ring_size)
		sct_cfg.stage_size = 0;
	else
		sct_cfg.stage_size = 2 * half;
}

static void init_capture_tables(void)
{
	/* the biggest record: an event's (sct_event()), or a call's */
	uint64_t biggest = SCT_REC_HEAD + sizeof(struct sct_blob) + 8 + ARGV_BOUND;
	for (unsigned nr = 0; nr < SCT_NSYS; nr++) {
		const struct sct_sysent *se = &sct_sysent[nr];
		unsigned inputs = 0, strs = 0;
		nrinfo[nr].adopts = sct_trap_adopts(nr) != 0;
		if (!se->name[0])
			continue;
		nrinfo[nr].errret = se->ret == SCT_R_errret;
		nrinfo[nr].fdchg =
			(se->ret == SCT_R_fd ? FC_RET : 0) |
			(nr == __NR_close ? FC_ARG0 : 0) |
			(nr == __NR_dup2 || nr == __NR_dup3 ? FC_ARG1 : 0) |
			(nr == __NR_close_range ? FC_RANGE : 0) |
			(nr == __NR_pipe || nr == __NR_pipe2 ||
					 nr == __NR_socketpair
				 ? FC_FDS
				 : 0) |
			(nr == __NR_fcntl ? FC_FCNTL : 0);
		unsigned quick = 1, str = 0;
		for (int i = 0; i < se->nargs && i < 6; i++) {
			unsigned cap = kind_cap[se->args[i].kind];
			/* the socket calls' socklen after an address buffer
			 * (getsockopt reads and writes its optlen always) */
			unsigned k = se->args[i].kind;
			unsigned flags = (k == SCT_K_intptr_out && i > 0 &&
					  se->args[i - 1].kind == SCT_K_ptr &&
					  nr != __NR_getsockopt)
						 ? CD_IF_PREV
						 : 0;
			if (k == SCT_K_sigset || k == SCT_K_sigset_out)
				flags |= CD_SIGSET;
			if (nr == __NR_wait4 && i == 1)
				flags |= CD_REAPED;
			if (se->args[i].cond && i > 0)
				flags |= CD_MODE;
			if (k == SCT_K_futex_time)
				flags |= CD_FUTEX;
			if (cap == SCT_CAP_BUFIN &&
			    (nr == __NR_write || nr == __NR_pwrite64))
				flags |= CD_DEVWRITE;
			if (cap == SCT_CAP_BUFOUT && nr == __NR_recvfrom)
				flags |= CD_MSGTRUNC;
			if (cap == SCT_CAP_BUFOUT && nr == __NR_getcwd)
				flags |= CD_CWD;
			nrinfo[nr].arg[i] = (struct capdesc){
				kind_size[k], (uint8_t)cap, se->args[i].param,
				(uint8_t)flags, (uint8_t)SCT_KIND_SKIP(k)
			};
			/* capture_quick(): structs out of 16 to 32 bytes,
			 * and one string (it does fstat's "" only) */
			if (cap == SCT_CAP_CSTR && !flags && !str)
				str = 2u + (unsigned)i;
			else if (cap != SCT_CAP_NONE &&
				 (flags || !(cap == SCT_CAP_FIXOUT &&
					     kind_size[k] >= 16 &&
					     kind_size[k] <= 32)))
				quick = 0;
			nrinfo[nr].bytes += capture_bound(&se->args[i]);
			if (cap != SCT_CAP_NONE)
				nrinfo[nr].mask |= (uint8_t)(1u << i);
			if (cap != SCT_CAP_NONE && cap != SCT_CAP_BUFOUT &&
			    cap != SCT_CAP_FIXOUT)
				inputs++, strs += cap == SCT_CAP_CSTR;
		}
		nrinfo[nr].one_str = inputs == 1 && strs == 1;
		nrinfo[nr].quick = (uint8_t)(!quick || !nrinfo[nr].mask ? 0
					     : str		 ? str
								 : 1);
		if (sizeof(struct sct_rec) + nrinfo[nr].bytes > biggest)
			biggest = sizeof(struct sct_rec) + nrinfo[nr].bytes;
	}
	size_stage(biggest);
}

/* signal-safe: did the kernel read the (only) string argument of a call
 * that failed with ERR?  These errors come from the path lookup, which
 * follows the copy of the whole string: it is readable, no probe needed
 * (a probe through process_vm_readv costs ~1.5 us). */
static SCT_SIGSAFE int failed_but_read(unsigned nr, int err)
{
	if (nr >= SCT_NSYS || !nrinfo[nr].one_str)
		return 0;
	switch (err) {
	case ENOENT: case ENOTDIR: case ELOOP: case EACCES: case EEXIST:
	case EISDIR: case ENAMETOOLONG: case ENOTEMPTY: case EROFS:
		return 1;
	}
	return 0;
}

/* signal-safe: is argument I (flags F, CD_*) of a call with arguments A
 * that returned R to be captured? */
static inline SCT_SIGSAFE int arg_wanted(unsigned f, const long *a, int i,
					 int nargs, long r)
{
	if ((f & CD_MODE) && !sct_wants_mode(a[i - 1]))
		return 0;
	if ((f & CD_FUTEX) && !sct_futex_timed((unsigned long long)a[1]))
		return 0;
	/* out-arguments the kernel did not write, maybe not even valid
	 * (printed as pointers, as strace does): a socklen after a NULL
	 * address (accept, recvfrom), wait4's status when no child changed
	 * state, a sigset of another size */
	if ((f & CD_IF_PREV) && !a[i - 1])
		return 0;
	if ((f & CD_REAPED) && r == 0)
		return 0;
	if ((f & CD_SIGSET) && a[nargs - 1] != 8)
		return 0;
	return 1;
}

_Static_assert(offsetof(struct sct_blob, flags) == 1 &&
		       offsetof(struct sct_blob, len) == 4,
	       "capture_quick() writes a blob's header as one word");

/* capture_args()'s and capture_quick()'s HOW: the record's flags
 * (SCT_RF_*), whether the call failed, how many arguments it has (<= 6) */
#define HOW_FAILED (1u << 16)
#define HOW_NARGS(how) ((int)((how) >> 24))

/* signal-safe: the blobs of call C's arguments, after the arguments REC
 * keeps, within BOUND bytes of REC.  ERR: the call's errno when it
 * failed. */
static SCT_SIGSAFE SCT_HOT __attribute__((noinline)) uint32_t
capture_args(const struct sct_call *c, struct sct_rec *rec, uint32_t bound,
	     long r, int err, unsigned how)
{
	const struct nrinfo *ni = &nrinfo[c->nr];
	const int failed = (how & HOW_FAILED) != 0, nargs = HOW_NARGS(how);
	const unsigned flags = how & 0xffff;
	/* after the arguments the record keeps (write_call()) */
	struct capture cp = { (unsigned char *)&rec->args[6 - rec->argtrim],
			      (unsigned char *)rec + SCT_ALIGN(bound),
			      !(flags & SCT_RF_NORETURN) &&
				      (!failed || failed_but_read(c->nr, err)) };
	const long *const a = c->args;
	/* the arguments that capture, in order, below nargs */
	unsigned m = ni->mask & ((1u << nargs) - 1);
	for (; m; m &= m - 1) {
		int i = __builtin_ctz(m);
		unsigned f = ni->arg[i].flags;
		if (__builtin_expect((f & CD_SKIPS) != 0, 0) &&
		    !arg_wanted(f, a, i, nargs, r))
			continue;
		capture_arg(&cp, rec, a, &ni->arg[i], i, r, failed);
	}
	return (uint32_t)(cp.p - (unsigned char *)rec);
}

/* signal-safe: N (16 to 32) bytes from SRC to DST, in two moves that may
 * overlap */
static inline SCT_SIGSAFE void copy_16_32(unsigned char *dst,
					  const unsigned char *src, size_t n)
{
	__builtin_memcpy(dst, src, 16);
	__builtin_memcpy(dst + n - 16, src + n - 16, 16);
}

/* signal-safe: capture_args() of a call whose captures are all structs
 * out of 16 to 32 bytes (nrinfo's quick) and "", for fstat,
 * clock_gettime, getrlimit...: it calls nothing.  Outside the hot page
 * (capture_args(), capture_arg() inlined, fills it): these calls touch
 * one more page of code, for ~100 instructions fewer.  The blobs of the
 * arguments of A below HOW's count, after the KEPT arguments of REC,
 * within BOUND bytes of it; its string argument, if any, is "" (the
 * caller tested nrinfo's quick).  Returns the record's length, or 0 when
 * the record is out of room: capture_args() then starts over. */
static SCT_SIGSAFE __attribute__((noinline, optimize("Os"))) uint32_t
capture_quick(const struct nrinfo *ni, const long *a, struct sct_rec *rec,
	      unsigned kept, uint32_t bound, unsigned how)
{
	unsigned char *p = (unsigned char *)&rec->args[kept];
	const unsigned char *end = (unsigned char *)rec + SCT_ALIGN(bound);
	const int failed = (how & HOW_FAILED) != 0;
	unsigned nb = 0;
	for (unsigned m = ni->mask & ((1u << HOW_NARGS(how)) - 1); m;
	     m &= m - 1) {
		const int i = __builtin_ctz(m);
		const struct capdesc *ad = &ni->arg[i];
		const uintptr_t addr = (uintptr_t)a[i];
		uint64_t word = (unsigned)i, n = 0;
		if (end - p < (long)sizeof(struct sct_blob) + 32)
			return 0;
		if (ad->cap == SCT_CAP_FIXOUT) { /* else the "" */
			/* no blob, as in capture_arg() */
			if (out_skipped(ad->cap, failed, how) || !addr)
				continue;
			n = ad->size;
			copy_16_32(p + sizeof(struct sct_blob),
				   (const unsigned char *)addr + ad->skip, n);
			word |= (uint64_t)SCT_BF_OUT << 8 | n << 32;
		}
		__builtin_memcpy(p, &word, sizeof word);
		p += SCT_ALIGN(sizeof(struct sct_blob) + n);
		nb++;
	}
	rec->nblobs = (uint16_t)nb;
	return (uint32_t)(p - (unsigned char *)rec);
}

/* signal-safe: the body of sct_write_call(), inlined into sct_end().
 * T: the calling thread; EP: its errno. */
static inline __attribute__((always_inline)) SCT_SIGSAFE void
write_call(struct sct_thread *t, struct sct_call *c, uint64_t end, long r,
	   int failed, unsigned type, unsigned flags, int tid, const int *ep)
{
	const unsigned nr = c->nr;
	/* the module log follows the executable mappings, whether or not
	 * the record finds room */
	if (sct_hot.stacks_on &&
	    __builtin_expect(nr == __NR_mmap || nr == __NR_munmap ||
				     nr == __NR_mremap, 0) && !failed)
		sct_stack_note_map(nr, c->args, r);
	const struct nrinfo *ni = nr < SCT_NSYS ? &nrinfo[nr] : 0;
	/* whether or not the record finds room */
	if (ni && __builtin_expect(ni->fdchg != 0, 0) && !failed)
		fd_changed(ni->fdchg, nr, c->args, r);
	struct sct_wring *w = __builtin_expect(t->state == 1, 1)
				      ? &t->w
				      : sct_thread_ring();
	if (!w)
		return;
	const uint32_t caps = ni ? ni->bytes : 0;
	int nargs = c->nargs > 6 ? 6 : c->nargs;
	/* the bound of all six arguments: a few bytes more than needed when
	 * a wrapper passes fewer, never less */
	uint32_t bound = sizeof(struct sct_rec) + caps;
	struct sct_rec *rec = sct_ring_reserve_fast(w, (uint32_t)SCT_ALIGN(bound));
	if (__builtin_expect(!rec, 0))
		return;
	rec->type = (uint16_t)type;
	rec->nr = (uint16_t)nr;
	rec->fn = c->fn;
	rec->via = c->via;
	rec->nargs = (uint8_t)nargs;
	/* arithmetic, not a branch: in a branch, gcc stores flags and nblobs
	 * from a constant in .rodata, one more page for a failed call */
	rec->flags = (uint16_t)(flags | (-(unsigned)(failed != 0) & SCT_RF_ERROR));
	rec->nblobs = 0;
	int err = 0;
	if (__builtin_expect(failed, 0))
		err = type == SCT_REC_SYSCALL && ni && ni->errret ? (int)r
								  : *ep;
	rec->err = err;
	rec->stack_id = !sct_hot.stacks_on || type != SCT_REC_SYSCALL ? 0
			: t->stack_preset ? t->stack_preset - 1
			: t->trap_uc	  ? sct_stack_trapped(t->trap_uc)
					  : sct_stack_wrapped(c->frame);
	rec->tid = (uint32_t)(tid ? tid : t->tid);
	rec->ts = c->ts;
	rec->dur = end > c->ts ? end - c->ts : 0;
	rec->ret = r;
	/* callers always pass six values, zero past the call's own (the
	 * trap handler's registers past it mean nothing).  All six are
	 * stored (the reservation has room), but the record keeps only the
	 * call's own up to the last that is not 0: its blobs, or the next
	 * record, start over the others (ring.h, argtrim) */
	const long *a = c->args;
	rec->args[0] = (uint64_t)a[0], rec->args[1] = (uint64_t)a[1];
	rec->args[2] = (uint64_t)a[2], rec->args[3] = (uint64_t)a[3];
	rec->args[4] = (uint64_t)a[4], rec->args[5] = (uint64_t)a[5];
	unsigned kept = (unsigned)nargs;
	while (kept && !a[kept - 1])
		kept--;
	const uint32_t trim = 6u - kept; /* argtrim and its padding: 1 store */
	__builtin_memcpy(&rec->argtrim, &trim, sizeof trim);
	uint32_t len = SCT_REC_HEAD + 8u * kept;
	if (caps) {
		const unsigned how = flags | (failed ? HOW_FAILED : 0) |
				     (unsigned)nargs << 24;
		const unsigned q = ni->quick;
		len = q == 1 || (q > 1 && a[q - 2] == (long)sct_hot.empty)
			      ? capture_quick(ni, a, rec, kept, bound, how)
			      : 0;
		if (!len)
			len = capture_args(c, rec, bound, r, err, how);
	}
	sct_ring_commit_fast(w, rec, len);
}

/* The record's fields are filled in write_call(), above. */
SCT_SIGSAFE void sct_write_call(struct sct_call *c, uint64_t end, long r,
				int failed, unsigned type, unsigned flags,
				int tid)
{
	write_call(sct_me(), c, end, r, failed, type, flags, tid, &errno);
}

SCT_SIGSAFE void sct_event(unsigned type, long ret, char *const *strv)
{
	static const long noargs[6];
	struct sct_call c = { .ts = sct_now(), .args = noargs };
	struct sct_thread *t = sct_me();
	struct sct_wring *w;
	t->guard++;
	w = sct_thread_ring();
	if (!w)
		goto out;
	uint32_t bound = SCT_REC_HEAD +
			 (strv ? sizeof(struct sct_blob) + 8 + ARGV_BOUND : 0);
	struct sct_rec *rec = sct_ring_reserve(w, (uint32_t)SCT_ALIGN(bound));
	if (!rec)
		goto out;
	unsigned char *base = (unsigned char *)rec;
	/* all of the head but the first word (len 0: in progress until the
	 * commit); no arguments stored */
	for (size_t i = 8; i < SCT_REC_HEAD; i++)
		base[i] = 0;
	rec->nr = 0;
	rec->type = (uint16_t)type;
	rec->tid = (uint32_t)t->tid;
	rec->argtrim = 6;
	rec->ts = c.ts;
	rec->ret = ret;
	struct capture cp = { base + SCT_REC_HEAD, base + SCT_ALIGN(bound), 1 };
	if (strv) {
		struct sct_blob *b = blob_open(&cp, 0xff);
		if (b) {
			cap_strarr(&cp, b, (uintptr_t)strv, 0);
			blob_close(&cp, b, rec);
		}
	}
	sct_ring_commit(w, rec, (uint32_t)(cp.p - base));
out:
	t->guard--;
}

/* ---- the path every wrapper takes --------------------------------------- */

/* signal-safe: the start of a record: C's fields, the selector opened for
 * the real call (its syscalls are this record's: not trapped), and the
 * entry time (taken last, so that the clock read of a calibration is not
 * trapped either). */
static inline __attribute__((always_inline)) SCT_SIGSAFE int
begin_record(struct sct_thread *t, struct sct_call *c, unsigned fn,
	     unsigned nr, const long *args, int nargs)
{
	c->fn = (uint16_t)fn;
	c->nr = (uint16_t)nr;
	c->args = args;
	c->nargs = (uint8_t)nargs;
	c->via = SCT_VIA_LIBC;
	c->sel_prev = t->sel;
	t->sel = SCT_SEL_ALLOW;
	start_time(c);
	__asm__ volatile("" ::: "memory");
	return 1;
}

/* signal-safe: sct_begin() off its common path: tracing off, nested in
 * the tracer (a signal handler hit it), or a syscall number past the
 * tables with the trap layer on. */
static SCT_SIGSAFE SCT_COLD int
begin_other(struct sct_call *c, unsigned fn, unsigned nr, const long *args,
	    int nargs)
{
	struct sct_thread *t = sct_me();
	if (!sct_hot.enabled || t->guard) {
		/* a signal handler hit us; libunwind's own calls are not */
		if (t->guard && t->state == 1 && !t->in_unwind)
			__atomic_fetch_add(&t->w.hdr->lost_reentrant, 1,
					   __ATOMIC_RELAXED);
		return 0;
	}
	if (sct_hot.trap_mode != 0 &&
	    (nr < SCT_NSYS ? nrinfo[nr].adopts : sct_trap_adopts(nr))) {
		/* the real function's syscall traps; the handler records it
		 * under this wrapper's name */
		t->adopt_fn = (uint16_t)fn;
		t->adopt_nr = (int)nr;
		return 0;
	}
	return begin_record(t, c, fn, nr, args, nargs);
}

/* No calls on the common path, so that it saves no registers: everything
 * else, a calibration's clock read included, is begin_other() (a tail
 * call). */
SCT_SIGSAFE SCT_HOT int sct_begin(struct sct_call *c, unsigned fn,
				  unsigned nr, const long *args, int nargs)
{
	struct sct_thread *t = sct_me();
	if (__builtin_expect(!sct_hot.enabled || t->guard ||
				     t->cal_left == 0 ||
				     (sct_hot.trap_mode != 0 &&
				      (nr >= SCT_NSYS || nrinfo[nr].adopts)),
			     0))
		return begin_other(c, fn, nr, args, nargs);
	return begin_record(t, c, fn, nr, args, nargs);
}

SCT_SIGSAFE long sct_passed(long r)
{
	sct_me()->adopt_fn = 0;
	return r;
}

/* signal-safe: thread T's selector as it was before call C's real
 * function (after it, in program order) */
static inline SCT_SIGSAFE void unallow(struct sct_thread *t,
				       const struct sct_call *c)
{
	__asm__ volatile("" ::: "memory");
	t->sel = c->sel_prev;
}

SCT_SIGSAFE void sct_unallow(struct sct_call *c)
{
	unallow(sct_me(), c);
}

/* signal-safe: the trap handler's sct_begin: no selector (the handler
 * performs the call itself from the allowed region). */
SCT_SIGSAFE int sct_trap_begin(struct sct_call *c, unsigned fn, unsigned nr,
			       const long *args)
{
	struct sct_thread *t = sct_me();
	if (!sct_hot.enabled || t->guard)
		return 0;
	c->fn = (uint16_t)fn;
	c->nr = (uint16_t)nr;
	c->args = args;
	c->frame = 0;
	c->nargs = nr < SCT_NSYS && sct_sysent[nr].name[0] ? sct_sysent[nr].nargs
							 : 6;
	c->via = fn ? SCT_VIA_LIBC : SCT_VIA_TRAP;
	start_time(c);
	return 1;
}

SCT_SIGSAFE void sct_trap_end(struct sct_call *c, long r, unsigned flags)
{
	uint64_t end = (flags & SCT_RF_NORETURN) ? c->ts : end_time(c);
	struct sct_thread *t = sct_me();
	int e = errno, failed = r < 0 && r > -4096;
	t->guard++;
	errno = failed ? (int)-r : 0;
	sct_write_call(c, end, failed ? -1 : r, failed, SCT_REC_SYSCALL, flags,
		       t->vchild_tid);
	t->guard--;
	errno = e;
}

/* signal-safe: for calls that may not return (exit, exec): record now. */
SCT_SIGSAFE void sct_entry(struct sct_call *c)
{
	struct sct_thread *t = sct_me();
	int e = errno;
	t->guard++;
	int pid = (int)sct_raw0(__NR_getpid);
	int tid = pid == sct_pid ? 0 : (int)sct_raw0(__NR_gettid);
	if (!tid)
		tid = t->vchild_tid;
	sct_write_call(c, c->ts, 0, 0, SCT_REC_SYSCALL, SCT_RF_NORETURN, tid);
	if (!tid && t->state == 1 &&
	    (c->nr == __NR_exit_group || c->nr == __NR_exit)) {
		t->w.hdr->exit_status = (int32_t)c->args[0];
		if (c->nr == __NR_exit_group)
			exit_status = (int)c->args[0];
		__atomic_store_n(&t->w.hdr->state, SCT_STATE_EXITED,
				 __ATOMIC_RELEASE);
	}
	t->guard--;
	errno = e;
}


SCT_SIGSAFE SCT_HOT long sct_end(struct sct_call *c, long r, int failed)
{
	struct sct_thread *t = sct_me();
	uint64_t end = end_time_of(t, c);
	unallow(t, c);
	int *ep = sct_errno();
	int e = *ep;
	t->guard++;
	write_call(t, c, end, r, failed, SCT_REC_SYSCALL, 0, t->vchild_tid,
		   ep);
	t->guard--;
	*ep = e;
	return r;
}

/* ---- process and thread life -------------------------------------------- */

static void thread_exit(void *unused)
{
	(void)unused;
	struct sct_thread *t = sct_me();
	if (t->state != 1)
		return;
	sct_event(SCT_REC_THREAD_EXIT, 0, 0);
	__atomic_store_n(&t->w.hdr->state, SCT_STATE_EXITED, __ATOMIC_RELEASE);
	sct_stack_thread_exit();
}

SCT_SIGSAFE void sct_after_fork_child(void)
{
	struct sct_thread *t = sct_me();
	int pid = (int)sct_raw0(__NR_getpid);
	if (pid == sct_pid) /* done already: a trapped fork's child */
		return;
	t->vchild_tid = 0;
	if (sct_hot.trap_mode)
		sct_trap_arm_thread();
	if (t->state == 1)
		sct_raw2(__NR_munmap, t->w.hdr,
			 SCT_HDR_SIZE + t->w.mask + 1);
	t->state = 0;
	sct_pid = pid;
	sct_image = sct_now();
	sct_stack_after_fork_child();
	__atomic_store_n(&ring_seq, 0, __ATOMIC_RELAXED);
	exit_status = -1;
	if (sct_hot.enabled)
		sct_event(SCT_REC_FORK, sct_raw0(__NR_getppid), 0);
}

void sct_set_exit_status(int status)
{
	exit_status = status;
}

/* a 0-or-1 setting NAME of the environment, 1 by default (and, with a
 * message, for anything else) */
static int env_on(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v || strcmp(v, "1") == 0)
		return 1;
	if (strcmp(v, "0") == 0)
		return 0;
	char key[32];
	sct_stpcpy(sct_stpcpy(key, name, key + sizeof key - 1), "=",
		   key + sizeof key);
	sct_msg(key, v, ": not 0 or 1; using 1");
	return 1;
}

static void parse_config(void)
{
	const char *v;
	sct_hot.str_max = DEFAULT_STR_MAX;
	sct_cfg.ring_size = DEFAULT_RING_SIZE;
	if ((v = getenv("SCTRACE_STRSIZE")) && *v) {
		char *end;
		unsigned long n = strtoul(v, &end, 10);
		if (*end || n == 0 || n > MAX_STR_MAX)
			sct_msg("SCTRACE_STRSIZE=", v,
				": not a number in 1..65536; using 256");
		else
			sct_hot.str_max = (unsigned)n;
	}
	if ((v = getenv("SCTRACE_RING_SIZE")) && *v) {
		unsigned long long n;
		if (sct_parse_size(v, &n) < 0)
			sct_msg("SCTRACE_RING_SIZE=", v,
				": not a size in 16K..4G; using 1M");
		else {
			uint64_t p = 16384;
			while (p < n)
				p <<= 1;
			sct_cfg.ring_size = p;
		}
	}
	if ((v = getenv("SCTRACE_MODE")) && *v) {
		if (strcmp(v, "overwrite") == 0)
			sct_hot.overwrite = 1;
		else if (strcmp(v, "drop") != 0)
			sct_msg("SCTRACE_MODE=", v,
				": not drop or overwrite; using drop");
	}
	sct_cfg.trap_req = -1;
	if ((v = getenv("SCTRACE_TRAP")) && *v) {
		if (strcmp(v, "sud") == 0)
			sct_cfg.trap_req = SCT_TRAP_SUD;
		else if (strcmp(v, "seccomp") == 0)
			sct_cfg.trap_req = SCT_TRAP_SECCOMP;
		else if (strcmp(v, "off") == 0)
			sct_cfg.trap_req = SCT_TRAP_OFF;
		else if (strcmp(v, "auto") != 0)
			sct_msg("SCTRACE_TRAP=", v,
				": not auto, sud, seccomp or off; using auto");
	}
	sct_cfg.place_required = env_on("SCTRACE_PLACE");
	sct_cfg.patch = env_on("SCTRACE_PATCH");
	sct_cfg.stage_size = env_on("SCTRACE_STAGE"); /* sized later */
	if ((v = getenv("SCTRACE_DIR")) && *v) {
		sct_stpcpy(sct_cfg.dir, v, sct_cfg.dir + sizeof sct_cfg.dir);
	} else {
		char *p = sct_stpcpy(sct_cfg.dir, "/dev/shm/sctrace-",
				     sct_cfg.dir + sizeof sct_cfg.dir);
		sct_utoa(p, (unsigned long)getuid(),
			 sct_cfg.dir + sizeof sct_cfg.dir);
	}
}

/* The ring directory must exist (or be creatable) and be writable; the
 * default per-user one is created 0700. */
static int check_dir(void)
{
	long r = sct_raw3(__NR_mkdirat, AT_FDCWD, sct_cfg.dir, 0700);
	if (r < 0 && r != -EEXIST) {
		ring_fail("cannot create ring directory ", r);
		return -1;
	}
	r = sct_raw3(__NR_faccessat, AT_FDCWD, sct_cfg.dir, 2 /* W_OK */ | 1);
	if (r < 0) {
		ring_fail("ring directory not writable: ", r);
		return -1;
	}
	return 0;
}

/* Copies in a static area, not malloc: the program's first malloc (brk,
 * getrandom) must stay the program's own, as it would be untraced. */
static char saved_env_area[16384];

static void save_env(char **envp)
{
	char *p = saved_env_area, *end = saved_env_area + sizeof saved_env_area;
	for (char **e = envp; e && *e; e++) {
		if (sct_cfg.nsaved_env == SCT_MAX_SAVED_ENV)
			break;
		if (sct_strncmp(*e, "LD_PRELOAD=", 11) != 0 &&
		    sct_strncmp(*e, "SCTRACE_", 8) != 0)
			continue;
		size_t n = sct_strlen(*e);
		if (n + 1 > (size_t)(end - p))
			break;
		sct_cfg.saved_env[sct_cfg.nsaved_env++] = p;
		p = sct_stpcpy(p, *e, end) + 1;
	}
}

static void read_identity(char **argv)
{
	long n = sct_raw4(__NR_readlinkat, AT_FDCWD, "/proc/self/exe",
			  sct_cfg.exe, sizeof sct_cfg.exe - 1);
	if (n < 0)
		n = 0;
	sct_cfg.exe[n] = 0;
	const char *base =
		sct_basename(argv && argv[0] ? argv[0] : sct_cfg.exe);
	sct_stpcpy(sct_cfg.comm, base, sct_cfg.comm + sizeof sct_cfg.comm);
}

/* The library's own header, as mapped (the linker's symbol). */
extern const ElfW(Ehdr) __ehdr_start __attribute__((visibility("hidden")));

/* Give memory at once to the pages of our writable data that the
 * constructor writes: .data (nrinfo, sct_hot, ...) and the first .bss
 * pages (sct_cfg, the start of saved_env_area).  A first write to a page
 * faults, ~10 us on some VMs; one MADV_POPULATE_WRITE costs ~1 us a page.
 * Found from our program headers: the writable PT_LOAD, less its
 * PT_GNU_RELRO part (read-only by now). */
static void populate_own_data(void)
{
	const ElfW(Ehdr) *eh = &__ehdr_start;
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)eh +
						    eh->e_phoff);
	uintptr_t base = 0, lo = 0, relro = 0;
	int found = 0;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
			base = (uintptr_t)eh - ph[i].p_vaddr;
			found = 1;
			break;
		}
	if (!found)
		return;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_W))
			lo = base + ph[i].p_vaddr;
		else if (ph[i].p_type == PT_GNU_RELRO)
			relro = base + ph[i].p_vaddr + ph[i].p_memsz;
	}
	if (relro > lo)
		lo = relro;
	lo = (lo + 4095) & ~(uintptr_t)4095;
	uintptr_t hi = ((uintptr_t)saved_env_area + 4096) & ~(uintptr_t)4095;
	if (lo && hi > lo && (uintptr_t)&sct_hot >= lo && (uintptr_t)&sct_hot < hi)
		sct_populate((void *)lo, hi - lo);
	/* the classes of descriptors 0-4095, written at the first open or
	 * close seen */
	sct_populate(fd_class, 4096);
}

__attribute__((constructor)) static void sct_init(int argc, char **argv,
						  char **envp)
{
	(void)argc;
	populate_own_data();
	/* static TLS: the same offsets in every thread */
	char *tp = __builtin_thread_pointer();
	sct_hot.self_off = (char *)&sct_self - tp;
	sct_hot.errno_off = (char *)&errno - tp;
	struct sct_thread *t = sct_me();
	t->guard++;
	dl_iterate_phdr(find_libc, 0);
	for (unsigned i = 1; i < SCT_FN__COUNT; i++)
		if (!sct_hot.realv[i])
			sct_hot.realv[i] = (sct_real_fn)lookup_real(sct_fn_names[i]);
	real_clock_gettime = (int (*)(clockid_t, struct timespec *))
		lookup_real("clock_gettime");
	sct_pid = (int)sct_raw0(__NR_getpid);
	init_tsc();
	sct_image = sct_now();
	parse_config();
	sct_place_init();
	init_capture_tables();
	save_env(envp);
	read_identity(argv);
	const char *off = getenv("SCTRACE_OFF");
	if ((off && *off && strcmp(off, "0") != 0) || check_dir() < 0) {
		t->guard--;
		return;
	}
	pthread_key_create(&exit_key, thread_exit);
	pthread_atfork(0, 0, sct_after_fork_child);
	sct_hot.enabled = 1;
	sct_trap_init();
	sct_patch_init();
	t->guard--;
	long envc = 0;
	while (envp && envp[envc])
		envc++;
	sct_event(SCT_REC_START, envc, argv); /* ret: environment size */
	/* after START: the calls it records as the program's come after it */
	t->guard++;
	t->in_unwind = 1; /* its libc calls are the tracer's own */
	sct_stack_init();
	t->in_unwind = 0;
	t->guard--;
}

/* signal-safe: the process's EXIT event, in the calling thread's ring. */
SCT_SIGSAFE void sct_exit_event(int status)
{
	struct sct_thread *t = sct_me();
	if (!sct_hot.enabled || t->state != 1)
		return;
	sct_event(SCT_REC_EXIT, status, 0);
	t->w.hdr->exit_status = status;
	__atomic_store_n(&t->w.hdr->state, SCT_STATE_EXITED, __ATOMIC_RELEASE);
}

__attribute__((destructor)) static void sct_fini(void)
{
	/* with the trap layer on, the exit_group syscall itself comes later
	 * (after the other destructors) and writes the event */
	if (sct_hot.trap_mode && sct_me()->sel == SCT_SEL_BLOCK)
		return;
	sct_exit_event(exit_status);
}
