/* The exec family and posix_spawn: recorded at entry (they do not return
 * on success) and given back sctrace's settings (LD_PRELOAD, SCTRACE_*)
 * when the program clears or rewrites its environment. */
#include <errno.h>
#include <stdarg.h>
#include <sys/mman.h>

#include "core.h"
#include "fn.h"

extern char **environ;

#define EXEC_ARGS_MAX 65536
#define ENV_SPARE 8192

static SCT_SIGSAFE const char *env_find(char *const *envp, const char *var,
					size_t n)
{
	for (char *const *e = envp; e && *e; e++)
		if (sct_strncmp(*e, var, n) == 0)
			return *e;
	return 0;
}

static SCT_SIGSAFE int contains(const char *hay, const char *needle)
{
	size_t n = sct_strlen(needle);
	for (; *hay; hay++)
		if (sct_strncmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

/* signal-safe: the entries of a pointer array the kernel has read */
static SCT_SIGSAFE size_t env_count(char *const *envp)
{
	size_t n = 0;
	while (envp && envp[n])
		n++;
	return n;
}

/* Pages of the program's memory found readable, to read an environment
 * the kernel has not checked yet: a page is probed once (process_vm_readv,
 * which fails where a load would fault) and then read directly.  An
 * environment's strings share a few pages: a few probes, not one a
 * string. */
#define SCT_PAGE 4096ul
struct readable {
	uintptr_t page[8];
	unsigned n;
};

static SCT_SIGSAFE int readable_at(struct readable *rd, uintptr_t a)
{
	uintptr_t pg = a & ~(SCT_PAGE - 1);
	unsigned char c;
	for (unsigned i = 0; i < rd->n && i < 8; i++)
		if (rd->page[i] == pg)
			return 1;
	if (sct_safe_copy(&c, pg, 1) != 1)
		return 0;
	rd->page[rd->n++ % 8] = pg;
	return 1;
}

/* signal-safe: the entries of V (NULL: 0) when the array and each string
 * up to its NUL can be read, else (size_t)-1: the kernel will fail the
 * call with EFAULT, and the program gets that, not a fault of ours.
 * *BYTES (when not NULL): the strings' bytes with their NULs. */
static SCT_SIGSAFE size_t strv_count_safe(char *const *v, size_t *bytes)
{
	struct readable rd = { { 0 }, 0 };
	size_t n = 0, b = 0;
	if (bytes)
		*bytes = 0;
	if (!v)
		return 0;
	for (;; n++) {
		uintptr_t e = (uintptr_t)&v[n];
		if (n >= EXEC_ARGS_MAX || !readable_at(&rd, e) ||
		    !readable_at(&rd, e + sizeof(char *) - 1))
			return (size_t)-1;
		uintptr_t s = (uintptr_t)v[n], s0 = s;
		if (!s)
			break;
		for (;;) { /* the string, a page at a time */
			if (!readable_at(&rd, s))
				return (size_t)-1;
			uintptr_t end = (s | (SCT_PAGE - 1)) + 1;
			while (s < end && *(const char *)s)
				s++;
			if (s < end)
				break;
		}
		b += s - s0 + 1;
	}
	if (bytes)
		*bytes = b;
	return n;
}

static SCT_SIGSAFE size_t env_count_safe(char *const *envp)
{
	return strv_count_safe(envp, 0);
}

/* signal-safe: what the kernel counts against an exec's argument space
 * for ARGV and ENVP (strings and pointers), (size_t)-1 when unreadable */
SCT_SIGSAFE size_t sct_exec_arg_bytes(char *const *argv, char *const *envp)
{
	size_t ab, eb, an = strv_count_safe(argv, &ab),
			   en = strv_count_safe(envp, &eb);
	if (an == (size_t)-1 || en == (size_t)-1)
		return (size_t)-1;
	return ab + eb + (an + en) * sizeof(char *);
}

/* signal-safe: ENVP (N entries, all readable), or a copy in BUF (NBUF
 * pointers) with the saved settings added: LD_PRELOAD gets our library
 * prepended when the program set its own.  Returns ENVP unchanged when
 * nothing is missing or when the copy does not fit. */
static SCT_SIGSAFE char *const *fix_env(char *const *envp, size_t n,
					char **buf, size_t nbuf, char *spare,
					size_t nspare)
{
	size_t k = 0;
	int changed = 0;
	if (n + SCT_MAX_SAVED_ENV + 1 > nbuf)
		return envp;
	for (size_t i = 0; i < n; i++)
		buf[k++] = envp[i];
	for (int i = 0; i < sct_cfg.nsaved_env; i++) {
		char *saved = sct_cfg.saved_env[i];
		size_t len = 0;
		while (saved[len] && saved[len] != '=')
			len++;
		len++; /* with '=' */
		const char *have = env_find(envp, saved, len);
		if (!have) {
			buf[k++] = saved;
			changed = 1;
			continue;
		}
		if (sct_strncmp(saved, "LD_PRELOAD=", 11) != 0 ||
		    contains(have, saved + 11))
			continue;
		/* the program's own LD_PRELOAD: put ours in front */
		char *end = spare + nspare, *p = spare;
		p = sct_stpcpy(p, saved, end);
		p = sct_stpcpy(p, ":", end);
		p = sct_stpcpy(p, have + 11, end);
		if (p >= end - 1)
			continue;
		for (size_t j = 0; j < k; j++)
			if (buf[j] == have)
				buf[j] = spare;
		changed = 1;
	}
	buf[k] = 0;
	return changed ? buf : envp;
}

/* signal-safe: the environment to exec with: ENVP, or fix_env()'s copy in
 * a mapping of its own (*MAP, *BYTES: unmapped by the caller after the
 * call).  ENVP as it is when it cannot be read (the kernel fails the call
 * with EFAULT, as without sctrace) or no mapping can be had. */
static SCT_SIGSAFE char *const *env_for_exec(char *const *envp, void **map,
					     size_t *bytes)
{
	size_t n = env_count_safe(envp);
	*map = 0;
	if (n == (size_t)-1)
		return envp;
	size_t nbuf = n + SCT_MAX_SAVED_ENV + 1;
	*bytes = nbuf * sizeof(char *) + ENV_SPARE;
	long m = sct_raw6(__NR_mmap, 0, *bytes, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m < 0 && m > -4096)
		return envp;
	*map = (void *)m;
	return fix_env(envp, n, (char **)m, nbuf,
		       (char *)m + nbuf * sizeof(char *), ENV_SPARE);
}

/* A wrapper passes its own frame (its caller's stack is the record's):
 * its call may not become a jump, which would leave that frame first. */
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

/* signal-safe: one exec attempt, recorded at entry; a failure is recorded
 * again with its errno and the same timestamp (the dumper merges them).
 * FN 0: a trapped exec (returns -errno, errno untouched).  FRAME: the
 * frame of the wrapper the program called (its caller's stack is the
 * record's), NULL for a trapped exec. */
static long traced_exec(const void *frame, unsigned fn, long nr, long a0,
			long a1, long a2, long a3, long a4)
{
	long args[6] = { a0, a1, a2, a3, a4, 0 };
	long call[6] = { a0, a1, a2, a3, a4, 0 };
	int ei = nr == __NR_execve ? 2 : 3;
	void *map;
	size_t bytes = 0;
	call[ei] = (long)env_for_exec((char *const *)args[ei], &map, &bytes);
	struct sct_call c;
	c.frame = frame;
	int traced = fn ? sct_begin(&c, fn, (unsigned)nr, args,
				    nr == __NR_execve ? 3 : 5)
			: sct_trap_begin(&c, 0, (unsigned)nr, args);
	int pid = (int)sct_raw0(__NR_getpid);
	int own = pid == sct_pid; /* not a vfork child sharing our memory */
	struct sct_thread *t = &sct_self;
	if (traced) {
		sct_entry(&c);
		if (own && t->state == 1)
			__atomic_store_n(&t->w.hdr->state, SCT_STATE_EXECED,
					 __ATOMIC_RELEASE);
	}
	long r = sct_place_execve(nr, call);
	int e = (int)-r, saved = errno;
	if (traced) {
		if (fn)
			sct_unallow(&c);
		t->guard++;
		if (own && t->state == 1)
			__atomic_store_n(&t->w.hdr->state, SCT_STATE_LIVE,
					 __ATOMIC_RELEASE);
		errno = e;
		sct_write_call(&c, sct_now(), -1, 1, SCT_REC_SYSCALL, 0,
			       own ? 0 : (int)sct_raw0(__NR_gettid));
		t->guard--;
	}
	if (map)
		sct_raw2(__NR_munmap, map, bytes);
	if (!fn) {
		errno = saved;
		return r;
	}
	errno = e;
	return -1;
}

SCT_SIGSAFE long sct_trap_exec(long nr, const long *a)
{
	return traced_exec(0, 0, nr, a[0], a[1], a[2], a[3], a[4]);
}

SCT_WRAPPER int execve(const char *path, char *const argv[], char *const envp[])
{
	int r = (int)traced_exec(__builtin_frame_address(0), SCT_FN_execve,
				 __NR_execve, (long)path, (long)argv,
				 (long)envp, 0, 0);
	KEEP_FRAME();
	return r;
}

SCT_WRAPPER int execv(const char *path, char *const argv[])
{
	int r = (int)traced_exec(__builtin_frame_address(0), SCT_FN_execv,
				 __NR_execve, (long)path, (long)argv,
				 (long)environ, 0, 0);
	KEEP_FRAME();
	return r;
}

SCT_WRAPPER int fexecve(int fd, char *const argv[], char *const envp[])
{
	int r = (int)traced_exec(__builtin_frame_address(0), SCT_FN_fexecve,
				 __NR_execveat, fd, (long)"", (long)argv,
				 (long)envp, AT_EMPTY_PATH);
	KEEP_FRAME();
	return r;
}

SCT_WRAPPER int execveat(int dirfd, const char *path, char *const argv[],
			 char *const envp[], int flags)
{
	int r = (int)traced_exec(__builtin_frame_address(0), SCT_FN_execveat,
				 __NR_execveat, dirfd, (long)path, (long)argv,
				 (long)envp, flags);
	KEEP_FRAME();
	return r;
}

/* execvp's search: each attempt is a real, recorded execve, as strace
 * shows them.  Errors as glibc: EACCES seen on the way wins over ENOENT. */
static int exec_search(const void *frame, unsigned fn, const char *file,
		       char *const argv[], char *const envp[])
{
	if (!*file) {
		errno = ENOENT;
		return -1;
	}
	for (const char *s = file; *s; s++)
		if (*s == '/')
			return (int)traced_exec(frame, fn, __NR_execve,
						(long)file, (long)argv,
						(long)envp, 0, 0);
	const char *path = 0;
	for (char **e = environ; e && *e; e++)
		if (sct_strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	if (!path)
		path = "/bin:/usr/bin";
	int saw_eacces = 0;
	size_t flen = sct_strlen(file);
	for (const char *p = path;; p++) {
		const char *dir = p;
		while (*p && *p != ':')
			p++;
		char full[SCT_PATH_MAX];
		size_t dlen = (size_t)(p - dir);
		if (dlen + flen + 2 <= sizeof full) {
			char *q = full;
			for (size_t i = 0; i < dlen; i++)
				*q++ = dir[i];
			if (dlen)
				*q++ = '/';
			sct_stpcpy(q, file, full + sizeof full);
			traced_exec(frame, fn, __NR_execve, (long)full,
				    (long)argv, (long)envp, 0, 0);
			int e = errno;
			if (e == ENOEXEC) { /* a script without #!: run sh */
				size_t n = env_count(argv);
				char *nargv[n + 2];
				nargv[0] = (char *)"/bin/sh";
				nargv[1] = full;
				for (size_t i = 1; i <= n; i++)
					nargv[i + 1] = argv[i];
				traced_exec(frame, fn, __NR_execve,
					    (long)"/bin/sh", (long)nargv,
					    (long)envp, 0, 0);
				return -1;
			}
			if (e == EACCES)
				saw_eacces = 1;
			else if (e != ENOENT && e != ESTALE && e != ENOTDIR &&
				 e != ENODEV && e != ETIMEDOUT)
				return -1;
		}
		if (!*p)
			break;
	}
	if (saw_eacces)
		errno = EACCES;
	return -1;
}

SCT_WRAPPER int execvp(const char *file, char *const argv[])
{
	int r = exec_search(__builtin_frame_address(0), SCT_FN_execvp, file,
			    argv, environ);
	KEEP_FRAME();
	return r;
}

SCT_WRAPPER int execvpe(const char *file, char *const argv[],
			char *const envp[])
{
	int r = exec_search(__builtin_frame_address(0), SCT_FN_execvpe, file,
			    argv, envp);
	KEEP_FRAME();
	return r;
}

/* execl*: the variadic list becomes an argv on the stack. */
static size_t count_varargs(va_list ap)
{
	va_list cp;
	size_t n = 1;
	va_copy(cp, ap);
	while (va_arg(cp, char *) && n < EXEC_ARGS_MAX)
		n++;
	va_end(cp);
	return n;
}

static char **fill_argv(char **argv, size_t n, const char *arg0, va_list ap)
{
	argv[0] = (char *)arg0;
	for (size_t i = 1; i < n; i++)
		argv[i] = va_arg(ap, char *);
	argv[n] = 0;
	return argv;
}

SCT_WRAPPER int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	size_t n = count_varargs(ap);
	char *argv[n + 1];
	fill_argv(argv, n, arg, ap);
	va_end(ap);
	int r = (int)traced_exec(__builtin_frame_address(0), SCT_FN_execl,
				 __NR_execve, (long)path, (long)argv,
				 (long)environ, 0, 0);
	KEEP_FRAME();
	return r;
}

SCT_WRAPPER int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	size_t n = count_varargs(ap);
	char *argv[n + 1];
	fill_argv(argv, n, arg, ap);
	va_end(ap);
	int r = exec_search(__builtin_frame_address(0), SCT_FN_execlp, file,
			    argv, environ);
	KEEP_FRAME();
	return r;
}

SCT_WRAPPER int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	size_t n = count_varargs(ap);
	char *argv[n + 1];
	fill_argv(argv, n, arg, ap);
	char *const *envp = va_arg(ap, char *const *);
	va_end(ap);
	int r = (int)traced_exec(__builtin_frame_address(0), SCT_FN_execle,
				__NR_execve, (long)path, (long)argv, (long)envp,
				0, 0);
	KEEP_FRAME();
	return r;
}

/* posix_spawn: glibc's child calls execve internally (never through a
 * wrapper); the spawned image reports itself with its START event.  Here
 * only the environment is fixed. */
static long spawn(unsigned fn, long a0, long a1, long a2, long a3, long a4,
		  long a5)
{
	sct_real_fn real = sct_real(fn);
	void *map;
	size_t bytes = 0;
	long env = (long)env_for_exec((char *const *)a5, &map, &bytes);
	long r = real(a0, a1, a2, a3, a4, env);
	if (map)
		sct_raw2(__NR_munmap, map, bytes);
	return r;
}

SCT_WRAPPER int posix_spawn(long pid, long path, long fa, long attr,
			    long argv, long envp)
{
	return (int)spawn(SCT_FN_posix_spawn, pid, path, fa, attr, argv, envp);
}

SCT_WRAPPER int posix_spawnp(long pid, long path, long fa, long attr,
			     long argv, long envp)
{
	return (int)spawn(SCT_FN_posix_spawnp, pid, path, fa, attr, argv, envp);
}
