/* Ring directories: running a program traced, dumping, listing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "sctrace/place.h"

#define POLL_NS 10000000L /* 10 ms between looks at the rings */

const char *default_dir(void)
{
	static char buf[64];
	const char *env = getenv("SCTRACE_DIR");
	if (env && *env)
		return env;
	snprintf(buf, sizeof buf, "/dev/shm/sctrace-%u", (unsigned)getuid());
	return buf;
}

static int is_ring_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".ring") == 0;
}

static int have_ring(const struct ringset *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i]->path, path) == 0)
			return 1;
	return 0;
}

static int cmp_ring(const void *a, const void *b)
{
	const struct sct_rring *x = *(struct sct_rring *const *)a;
	const struct sct_rring *y = *(struct sct_rring *const *)b;
	if (x->hdr->pid != y->hdr->pid)
		return x->hdr->pid < y->hdr->pid ? -1 : 1;
	return x->hdr->seq < y->hdr->seq ? -1 : x->hdr->seq > y->hdr->seq;
}

int ringset_scan(struct ringset *s)
{
	DIR *d = opendir(s->dir);
	if (!d) {
		fprintf(stderr, "sctrace: %s: %s\n", s->dir, strerror(errno));
		return -1;
	}
	struct dirent *de;
	size_t before = s->n;
	while ((de = readdir(d))) {
		if (!is_ring_name(de->d_name))
			continue;
		char path[PATH_MAX], err[256];
		snprintf(path, sizeof path, "%s/%s", s->dir, de->d_name);
		if (have_ring(s, path))
			continue;
		struct sct_rring *r = sct_rring_open(path, s->live, err, sizeof err);
		if (!r) {
			fprintf(stderr, "sctrace: %s\n", err);
			continue;
		}
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 16;
			s->v = realloc(s->v, s->cap * sizeof *s->v);
			if (!s->v) {
				fprintf(stderr, "sctrace: out of memory\n");
				exit(1);
			}
		}
		s->v[s->n++] = r;
	}
	closedir(d);
	/* new rings in a stable order: the printer keys on ring index */
	if (s->n > before)
		qsort(s->v + before, s->n - before, sizeof *s->v, cmp_ring);
	return (int)s->n;
}

void ringset_free(struct ringset *s)
{
	for (size_t i = 0; i < s->n; i++)
		sct_rring_close(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* Does any traced thread still run? */
static int any_alive(struct ringset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		sct_rring_refresh(s->v[i]);
		if (!s->v[i]->writer_dead)
			return 1;
	}
	return 0;
}

static void nap(void)
{
	struct timespec ts = { 0, POLL_NS };
	nanosleep(&ts, NULL);
}

static volatile sig_atomic_t got_signal;
static pid_t child_pid;

static void on_signal(int sig)
{
	got_signal = sig;
	if (child_pid > 0 && sig == SIGTERM)
		kill(child_pid, sig);
}

static void catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* The library next to this program (build tree) or in ../lib. */
static int find_lib(char *out, size_t n)
{
	const char *env = getenv("SCTRACE_LIB");
	if (env && *env) {
		snprintf(out, n, "%s", env);
		return access(out, R_OK) == 0 ? 0 : -1;
	}
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len < 0)
		return -1;
	self[len] = 0;
	char *slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = 0;
	static const char *const rel[] = { "libsctrace.so",
					   "../lib/libsctrace.so",
					   "../lib/x86_64-linux-gnu/libsctrace.so" };
	for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		if (snprintf(out, n, "%s/%s", self, rel[i]) >= (int)n)
			continue;
		if (access(out, R_OK) == 0) {
			char *real = realpath(out, NULL);
			if (real) {
				snprintf(out, n, "%s", real);
				free(real);
			}
			return 0;
		}
	}
	return -1;
}

static int make_run_dir(struct opts *o, char *dir, size_t n)
{
	if (o->dir) {
		snprintf(dir, n, "%s", o->dir);
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			fprintf(stderr, "sctrace: cannot create ring directory %s: %s\n",
				dir, strerror(errno));
			return -1;
		}
		return 0;
	}
	const char *base = default_dir();
	if (mkdir(base, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "sctrace: cannot create ring directory %s: %s "
				"(set SCTRACE_DIR or use -D DIR)\n",
			base, strerror(errno));
		return -1;
	}
	snprintf(dir, n, "%s/run-%d-XXXXXX", base, (int)getpid());
	if (!mkdtemp(dir)) {
		fprintf(stderr, "sctrace: cannot create ring directory in %s: %s "
				"(set SCTRACE_DIR or use -D DIR)\n",
			base, strerror(errno));
		return -1;
	}
	return 0;
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static void set_env(struct opts *o, const char *lib, const char *dir)
{
	char buf[PATH_MAX * 2];
	const char *old = getenv("LD_PRELOAD");
	if (old && *old)
		snprintf(buf, sizeof buf, "%s:%s", lib, old);
	else
		snprintf(buf, sizeof buf, "%s", lib);
	setenv("LD_PRELOAD", buf, 1);
	setenv("SCTRACE_DIR", dir, 1);
	snprintf(buf, sizeof buf, "%u", o->capture);
	setenv("SCTRACE_STRSIZE", buf, 1);
	if (o->ring_size)
		setenv("SCTRACE_RING_SIZE", o->ring_size, 1);
	setenv("SCTRACE_MODE", o->overwrite ? "overwrite" : "drop", 1);
	/* a stack costs a capture per call: none for a trace that neither
	 * shows them (-k) nor is kept for a later report */
	if (!o->stack && !o->keep && !o->dir && !getenv("SCTRACE_STACK"))
		setenv("SCTRACE_STACK", "0", 1);
}

static long cli_pread(long fd, void *buf, unsigned long n, unsigned long off)
{
	return pread((int)fd, buf, n, (off_t)off);
}

/* whether the program execvp() will start for NAME needs placing
 * (sct_place_wants()) */
static int wants_place(const char *name)
{
	char buf[PATH_MAX];
	const char *path = name;
	if (!strchr(name, '/')) {
		const char *p = getenv("PATH");
		path = 0;
		for (p = p ? p : "/bin:/usr/bin"; !path && *p;) {
			size_t n = strcspn(p, ":");
			snprintf(buf, sizeof buf, "%.*s%s%s", (int)n, p,
				 n ? "/" : "", name);
			if (access(buf, X_OK) == 0)
				path = buf;
			p += n + (p[n] == ':');
		}
		if (!path)
			return 1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	int want = sct_place_wants(fd, cli_pread);
	close(fd);
	return want;
}

/* The seccomp fallback (SCTRACE_TRAP=seccomp, or auto without Syscall
 * User Dispatch): start the program with its libraries below a third of
 * the address space (include/sctrace/place.h), away from where those of
 * an image exec'd without sctrace's help go (the default layout near the
 * top, the legacy one upward from a third), so that no such image can
 * meet a trapped site. */
static void place_program(const char *name)
{
	const char *t = getenv("SCTRACE_TRAP");
	int seccomp = t && strcmp(t, "seccomp") == 0;
	/* auto (what the library makes of any other value but sud and off):
	 * Syscall User Dispatch where the kernel has it */
	int is_auto = !t || (!seccomp && strcmp(t, "sud") != 0 &&
			     strcmp(t, "off") != 0);
	if (!seccomp && !(is_auto && prctl(59 /* PR_SET_SYSCALL_USER_DISPATCH */,
					   0, 0, 0, 0) != 0))
		return;
	struct rlimit r;
	if (!wants_place(name) || getrlimit(RLIMIT_STACK, &r) != 0)
		return;
	uint64_t k = sct_place_unit(SCT_PLACE_TOP / 3);
	uint64_t cur = r.rlim_cur == RLIM_INFINITY ? SCT_RLIM_INF : r.rlim_cur;
	uint64_t lim = sct_place_limit(k, cur);
	if (!lim || (r.rlim_max != RLIM_INFINITY && r.rlim_max < lim))
		return; /* not carried: the program starts where it would */
	r.rlim_cur = lim;
	setrlimit(RLIMIT_STACK, &r);
}

int cmd_run(struct opts *o, char **argv)
{
	char lib[PATH_MAX], dir[PATH_MAX];
	if (find_lib(lib, sizeof lib) < 0) {
		fprintf(stderr, "sctrace: cannot find libsctrace.so next to the "
				"sctrace program (set SCTRACE_LIB)\n");
		return 1;
	}
	if (make_run_dir(o, dir, sizeof dir) < 0)
		return 1;
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0) {
		fprintf(stderr, "sctrace: pipe: %s\n", strerror(errno));
		return 1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "sctrace: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		close(ready[0]);
		set_env(o, lib, dir);
		place_program(argv[0]);
		execvp(argv[0], argv);
		int e = errno;
		if (write(ready[1], &e, sizeof e) < 0)
			_exit(127);
		_exit(127);
	}
	close(ready[1]);
	child_pid = pid;
	catch_signals();
	signal(SIGINT, SIG_IGN); /* the terminal's ^C reaches the child */
	int e = 0;
	if (read(ready[0], &e, sizeof e) == sizeof e) {
		fprintf(stderr, "sctrace: %s: %s\n", argv[0], strerror(e));
		waitpid(pid, NULL, 0);
		remove_dir(dir);
		return 127;
	}
	close(ready[0]);

	struct ringset set = { .dir = dir, .live = 1 };
	struct printer *p = printer_new(o);
	int status = 0, done = 0;
	while (!done) {
		ringset_scan(&set);
		printer_drain(p, &set);
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			done = 1;
		else
			nap();
	}
	/* descendants may outlive the child: follow them as strace -f does */
	for (;;) {
		ringset_scan(&set);
		printer_drain(p, &set);
		if (!any_alive(&set) || got_signal == SIGTERM)
			break;
		nap();
	}
	ringset_scan(&set);
	printer_finish(p, &set, pid, status);
	printer_free(p);
	ringset_free(&set);
	if (!o->keep && !o->dir)
		remove_dir(dir);
	else
		fprintf(stderr, "sctrace: rings kept in %s\n", dir);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int cmd_dump(struct opts *o)
{
	/* --follow frees ring room as it reads, as the run mode does */
	struct ringset set = { .dir = (char *)(o->dir ? o->dir : default_dir()),
			       .live = o->follow };
	if (ringset_scan(&set) < 0)
		return 1;
	if (set.n == 0 && !o->follow) {
		fprintf(stderr, "sctrace: %s: no rings\n", set.dir);
		return 1;
	}
	struct printer *p = printer_new(o);
	if (o->follow) {
		catch_signals();
		while (!got_signal) {
			ringset_scan(&set);
			printer_drain(p, &set);
			nap();
		}
	}
	printer_finish(p, &set, 0, 0);
	printer_free(p);
	ringset_free(&set);
	return 0;
}

static const char *state_name(const struct sct_rring *r)
{
	switch (r->hdr->state) {
	case SCT_STATE_EXITED:
		return "exited";
	case SCT_STATE_EXECED:
		return "exec'd";
	default:
		return r->writer_dead ? "dead" : "running";
	}
}

int cmd_ls(const char *dir)
{
	struct ringset set = { .dir = (char *)(dir ? dir : default_dir()) };
	if (ringset_scan(&set) < 0)
		return 1;
	printf("%7s %7s %-8s %-16s %10s %8s %6s %s\n", "PID", "TID", "STATE",
	       "COMM", "RECORDS", "LOST", "TRAP", "RING");
	for (size_t i = 0; i < set.n; i++) {
		struct sct_rring *r = set.v[i];
		const struct sct_ring_hdr *h = r->hdr;
		sct_rring_refresh(r);
		const char *base = strrchr(r->path, '/');
		printf("%7u %7u %-8s %-16.16s %10llu %8llu %6s %s\n", h->pid,
		       h->tid, state_name(r), h->comm,
		       (unsigned long long)sct_rring_records(r),
		       (unsigned long long)(h->lost + h->lost_reentrant),
		       sct_trap_name(h->trap_mode), base ? base + 1 : r->path);
	}
	if (set.n == 0)
		printf("(no rings in %s)\n", set.dir);
	ringset_free(&set);
	return 0;
}

/* does a kept ring (not writer_dead) belong to image PID-IMAGE? */
static int image_kept(const struct ringset *set, unsigned long pid,
		      unsigned long long image)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct sct_rring *r = set->v[i];
		if (!r->writer_dead && r->hdr->pid == pid && r->hdr->image == image)
			return 1;
	}
	return 0;
}

/* Remove the stack files (PID-IMAGE.stk) of images with no ring left and
 * no live process: the number removed. */
static size_t clean_stacks(const struct ringset *set)
{
	DIR *d = opendir(set->dir);
	if (!d)
		return 0;
	size_t removed = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		unsigned long pid;
		unsigned long long image;
		int end = 0;
		if (sscanf(e->d_name, "%lu-%llu.stk%n", &pid, &image, &end) != 2 ||
		    e->d_name[end] || image_kept(set, pid, image) ||
		    (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			removed++;
		else
			fprintf(stderr, "sctrace: %s/%s: %s\n", set->dir, e->d_name,
				strerror(errno));
	}
	closedir(d);
	return removed;
}

/* Remove the rings whose thread is gone (after a dump, or to free memory),
 * and the stack files of images that are gone. */
int cmd_clean(const char *dir)
{
	struct ringset set = { .dir = (char *)(dir ? dir : default_dir()) };
	if (ringset_scan(&set) < 0)
		return 1;
	size_t removed = 0, kept = 0;
	for (size_t i = 0; i < set.n; i++) {
		struct sct_rring *r = set.v[i];
		sct_rring_refresh(r);
		if (!r->writer_dead) {
			kept++;
			continue;
		}
		if (unlink(r->path) < 0)
			fprintf(stderr, "sctrace: %s: %s\n", r->path, strerror(errno));
		else
			removed++;
	}
	size_t stk = clean_stacks(&set);
	printf("removed %zu rings, kept %zu of running threads", removed, kept);
	if (stk)
		printf(", removed %zu stack files", stk);
	putchar('\n');
	ringset_free(&set);
	return 0;
}
