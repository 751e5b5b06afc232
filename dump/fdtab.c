/* fd -> path table of one traced process, for -y.
 *
 * Fed by sct_fdtab_apply() with each completed call; syscalls are matched by
 * their table name (sct_sysent[nr].name), so any syscall table works.  The
 * names are those strace shows from /proc/PID/fd: the opened path,
 * pipe:[?], socket:[?] (the inode is not known here), anon_inode:[eventfd],
 * /memfd:NAME (deleted)...  The current directory is kept under AT_FDCWD
 * once known (set by the caller, or an absolute chdir).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

#define FD_MAX (1 << 20) /* larger descriptors are not tracked */

struct fdent {
	char *path;
	int cloexec;
};

struct sct_fdtab {
	struct fdent *v;
	size_t n;
	char *cwd;
};

static void *xalloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "sctrace: out of memory\n");
		abort();
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xalloc(NULL, n), s, n);
}

struct sct_fdtab *sct_fdtab_new(void)
{
	struct sct_fdtab *t = xalloc(NULL, sizeof *t);
	memset(t, 0, sizeof *t);
	return t;
}

struct sct_fdtab *sct_fdtab_clone(const struct sct_fdtab *t)
{
	struct sct_fdtab *c = sct_fdtab_new();
	if (!t)
		return c;
	if (t->n) {
		c->v = xalloc(NULL, t->n * sizeof *c->v);
		c->n = t->n;
		for (size_t i = 0; i < t->n; i++) {
			c->v[i].path = t->v[i].path ? xstrdup(t->v[i].path)
						    : NULL;
			c->v[i].cloexec = t->v[i].cloexec;
		}
	}
	c->cwd = t->cwd ? xstrdup(t->cwd) : NULL;
	return c;
}

void sct_fdtab_free(struct sct_fdtab *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].path);
	free(t->v);
	free(t->cwd);
	free(t);
}

const char *sct_fdtab_get(const struct sct_fdtab *t, int fd)
{
	if (!t)
		return NULL;
	if (fd == AT_FDCWD)
		return t->cwd;
	if (fd < 0 || (size_t)fd >= t->n)
		return NULL;
	return t->v[fd].path;
}

/* PATH NULL: forget FD. */
static void put(struct sct_fdtab *t, int fd, const char *path, int cloexec)
{
	if (fd == AT_FDCWD) {
		char *s = path ? xstrdup(path) : NULL;
		free(t->cwd);
		t->cwd = s;
		return;
	}
	if (fd < 0 || fd >= FD_MAX)
		return;
	if ((size_t)fd >= t->n) {
		if (!path)
			return;
		size_t n = t->n ? t->n : 16;
		while (n <= (size_t)fd)
			n *= 2;
		t->v = xalloc(t->v, n * sizeof *t->v);
		memset(t->v + t->n, 0, (n - t->n) * sizeof *t->v);
		t->n = n;
	}
	char *s = path ? xstrdup(path) : NULL; /* PATH may be an entry's */
	free(t->v[fd].path);
	t->v[fd].path = s;
	t->v[fd].cloexec = path ? cloexec : 0;
}

void sct_fdtab_set(struct sct_fdtab *t, int fd, const char *path)
{
	if (t)
		put(t, fd, path, 0);
}

/* Copy of FROM's name to TO (dup); an unknown FROM makes TO unknown. */
static void dup_to(struct sct_fdtab *t, long long from, long long to,
		   int cloexec)
{
	if (to < 0 || to > INT32_MAX || from == to)
		return;
	put(t, (int)to, sct_fdtab_get(t, (int)from), cloexec);
}

/* Lexical clean-up of an absolute path: no "." or empty components, ".."
 * removes the previous one. */
static void normalize(char *p)
{
	char *out = p, *s = p;
	while (*s) {
		while (*s == '/')
			s++;
		char *e = s;
		while (*e && *e != '/')
			e++;
		size_t n = (size_t)(e - s);
		if (n == 0 || (n == 1 && s[0] == '.')) {
			/* skip */
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (out > p && *--out != '/')
				;
		} else {
			*out++ = '/';
			memmove(out, s, n);
			out += n;
		}
		s = e;
	}
	if (out == p)
		*out++ = '/';
	*out = 0;
}

/* The name of PATH (blob of argument ARG) opened relative to DIRFD: joined
 * to the directory's name when that is known, else as given. */
static char *path_at(const struct sct_fdtab *t, const struct sct_ev *ev,
		     int dirfd, int arg)
{
	const struct sct_blob *b = ev->blob[arg];
	if (!b || (b->flags & SCT_BF_FAULT))
		return NULL;
	const char *s = (const char *)sct_blob_data(b);
	size_t n = strnlen(s, b->len);
	const char *base = s[0] == '/' || n == 0 ? NULL
						 : sct_fdtab_get(t, dirfd);
	if (base && base[0] != '/') /* not a directory name: socket:[?]... */
		base = NULL;
	size_t bl = base ? strlen(base) : 0;
	char *p = xalloc(NULL, bl + n + 2);
	if (base) {
		memcpy(p, base, bl);
		p[bl++] = '/';
	}
	memcpy(p + bl, s, n);
	p[bl + n] = 0;
	if (p[0] == '/')
		normalize(p);
	return p;
}

static void close_cloexec(struct sct_fdtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].cloexec)
			put(t, (int)i, NULL, 0);
}

static void set_pair(struct sct_fdtab *t, const struct sct_ev *ev, int arg,
		     const char *name, int cloexec)
{
	const struct sct_blob *b = ev->blob[arg];
	if (!b || (b->flags & SCT_BF_FAULT) || b->len < 2 * sizeof(int))
		return;
	int fd[2];
	memcpy(fd, sct_blob_data(b), sizeof fd);
	put(t, fd[0], name, cloexec);
	put(t, fd[1], name, cloexec);
}

/* Calls that return a new descriptor named by a constant. */
static const struct {
	const char *sys;
	const char *name;
	signed char
		flags_arg; /* argument holding a close-on-exec flag, -1 none */
	unsigned cloexec;  /* the flag; with flags_arg -1: always when 1 */
} anon[] = {
	{ "socket", "socket:[?]", 1, O_CLOEXEC },
	{ "accept", "socket:[?]", -1, 0 },
	{ "accept4", "socket:[?]", 3, O_CLOEXEC },
	{ "eventfd", "anon_inode:[eventfd]", -1, 0 },
	{ "eventfd2", "anon_inode:[eventfd]", 1, O_CLOEXEC },
	{ "epoll_create", "anon_inode:[eventpoll]", -1, 0 },
	{ "epoll_create1", "anon_inode:[eventpoll]", 0, O_CLOEXEC },
	{ "signalfd", "anon_inode:[signalfd]", -1, 0 },
	{ "signalfd4", "anon_inode:[signalfd]", 3, O_CLOEXEC },
	{ "timerfd_create", "anon_inode:[timerfd]", 1, O_CLOEXEC },
	{ "inotify_init", "anon_inode:inotify", -1, 0 },
	{ "inotify_init1", "anon_inode:inotify", 0, O_CLOEXEC },
	{ "fanotify_init", "anon_inode:[fanotify]", 0, 1 /* FAN_CLOEXEC */ },
	{ "userfaultfd", "anon_inode:[userfaultfd]", 0, O_CLOEXEC },
	{ "pidfd_open", "anon_inode:[pidfd]", -1, 1 },
	{ "pidfd_getfd", NULL, -1, 1 },
	{ "perf_event_open", "anon_inode:[perf_event]", 4,
	  8 /* PERF_FLAG_FD_CLOEXEC */ },
	{ "io_uring_setup", "anon_inode:[io_uring]", -1, 1 },
	{ "memfd_secret", "/secretmem (deleted)", 0, O_CLOEXEC },
};

void sct_fdtab_apply(struct sct_fdtab *t, const struct sct_ev *ev)
{
	const struct sct_rec *r = ev->rec;
	if (!t || r->type != SCT_REC_SYSCALL || r->nr >= SCT_NSYS)
		return;
	const struct sct_sysent *se = &sct_sysent[r->nr];
	const char *nm = se->name;
	if (!nm[0])
		return;
	const uint64_t *a = r->args;
	if (r->flags & SCT_RF_NORETURN) {
		/* recorded at entry; a failed exec is recorded again */
		if (!strcmp(nm, "execve") || !strcmp(nm, "execveat"))
			close_cloexec(t);
		return;
	}
	if (r->flags & SCT_RF_ERROR)
		return;
	long long ret = r->ret;
	int fdret = ret >= 0 && ret <= INT32_MAX;

	if (!strcmp(nm, "open") || !strcmp(nm, "creat") ||
	    !strcmp(nm, "openat") || !strcmp(nm, "openat2") ||
	    !strcmp(nm, "open_tree")) {
		if (!fdret)
			return;
		int at = strcmp(nm, "open") && strcmp(nm, "creat");
		char *p = path_at(t, ev, at ? (int)a[0] : AT_FDCWD, at ? 1 : 0);
		int cloexec = 0;
		if (!strcmp(nm, "open"))
			cloexec = (a[1] & O_CLOEXEC) != 0;
		else if (!strcmp(nm, "openat") || !strcmp(nm, "open_tree"))
			cloexec = (a[2] & O_CLOEXEC) != 0;
		put(t, (int)ret, p, cloexec);
		free(p);
	} else if (!strcmp(nm, "close")) {
		put(t, (int)a[0], NULL, 0);
	} else if (!strcmp(nm, "close_range")) {
		unsigned first = (unsigned)a[0], last = (unsigned)a[1];
		for (size_t fd = first; fd <= last && fd < t->n; fd++) {
			if (a[2] & 4 /* CLOSE_RANGE_CLOEXEC */) {
				if (t->v[fd].path)
					t->v[fd].cloexec = 1;
			} else {
				put(t, (int)fd, NULL, 0);
			}
		}
	} else if (!strcmp(nm, "dup")) {
		dup_to(t, (int)a[0], ret, 0);
	} else if (!strcmp(nm, "dup2")) {
		dup_to(t, (int)a[0], (int)a[1], 0);
	} else if (!strcmp(nm, "dup3")) {
		dup_to(t, (int)a[0], (int)a[1], (a[2] & O_CLOEXEC) != 0);
	} else if (!strcmp(nm, "fcntl")) {
		int cmd = (int)a[1];
		if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
			dup_to(t, (int)a[0], ret, cmd == F_DUPFD_CLOEXEC);
		else if (cmd == F_SETFD && (int)a[0] >= 0 &&
			 (size_t)(int)a[0] < t->n && t->v[(int)a[0]].path)
			t->v[(int)a[0]].cloexec = (a[2] & FD_CLOEXEC) != 0;
	} else if (!strcmp(nm, "pipe")) {
		set_pair(t, ev, 0, "pipe:[?]", 0);
	} else if (!strcmp(nm, "pipe2")) {
		set_pair(t, ev, 0, "pipe:[?]", (a[1] & O_CLOEXEC) != 0);
	} else if (!strcmp(nm, "socketpair")) {
		set_pair(t, ev, 3, "socket:[?]", (a[1] & O_CLOEXEC) != 0);
	} else if (!strcmp(nm, "memfd_create")) {
		if (!fdret)
			return;
		const struct sct_blob *b = ev->blob[0];
		char name[300] = "";
		if (b && !(b->flags & SCT_BF_FAULT)) {
			const char *s = (const char *)sct_blob_data(b);
			snprintf(name, sizeof name, "/memfd:%.*s (deleted)",
				 (int)strnlen(s, b->len < 250 ? b->len : 250),
				 s);
		}
		put(t, (int)ret, name[0] ? name : NULL,
		    (a[1] & 1 /* MFD_CLOEXEC */) != 0);
	} else if (!strcmp(nm, "chdir")) {
		char *p = path_at(t, ev, AT_FDCWD, 0);
		if (p && p[0] == '/')
			put(t, AT_FDCWD, p, 0);
		else
			put(t, AT_FDCWD, NULL, 0);
		free(p);
	} else if (!strcmp(nm, "fchdir")) {
		put(t, AT_FDCWD, sct_fdtab_get(t, (int)a[0]), 0);
	} else {
		for (size_t i = 0; i < sizeof anon / sizeof anon[0]; i++) {
			if (strcmp(nm, anon[i].sys) != 0)
				continue;
			if (!fdret)
				return;
			int cloexec = anon[i].flags_arg < 0
					      ? anon[i].cloexec == 1
					      : (a[(int)anon[i].flags_arg] &
						 anon[i].cloexec) != 0;
			put(t, (int)ret, anon[i].name, cloexec);
			return;
		}
		/* any other call returning a descriptor: its old name is stale */
		if (se->ret == SCT_R_fd && fdret)
			put(t, (int)ret, NULL, 0);
	}
}
