/* Internals shared by preload/core.c, proc.c and exec.c (not by wrappers). */
#ifndef SCT_CORE_H
#define SCT_CORE_H

#include "sct.h"

#define SCT_PATH_MAX 4096
#define SCT_MAX_SAVED_ENV 16

struct sct_thread {
	struct sct_wring w;
	int state;   /* 0: no ring yet, 1: ring ready, -1: ring failed */
	int guard;   /* non-zero while the tracer itself runs in this thread */
	int tid;
	/* clock calibration: a clock read every SCT_CAL_EVERY calls, the time
	 * stamp counter in between */
	unsigned cal_left;
	uint64_t cal_ns, cal_tsc;
	double cal_rate;       /* ns per counter tick */
};

struct sct_config {
	int enabled;           /* tracing on (constructor done, dir usable) */
	int overwrite;         /* flight recorder mode */
	unsigned str_max;      /* capture bound */
	uint64_t ring_size;    /* data bytes per ring, power of two */
	char dir[SCT_PATH_MAX];
	char exe[256];
	char comm[16];
	/* "LD_PRELOAD=..." and "SCTRACE_*=..." as found at start, re-injected
	 * into the environment of exec'd programs. */
	char *saved_env[SCT_MAX_SAVED_ENV];
	int nsaved_env;
};

extern struct sct_config sct_cfg;
extern int sct_pid;
extern __thread struct sct_thread sct_self;

/* signal-safe: the calling thread's ring writer, created on first use;
 * NULL when the ring cannot exist (counted, reported once). */
SCT_SIGSAFE struct sct_wring *sct_thread_ring(void);
/* signal-safe: an event record (START, FORK, EXIT, ...) with an optional
 * string-array blob (argv) and a return value. */
SCT_SIGSAFE void sct_event(unsigned type, long ret, char *const *strv);
/* signal-safe: write one syscall record for C with result R. */
SCT_SIGSAFE void sct_write_call(struct sct_call *c, uint64_t end, long r,
				int failed, unsigned type, unsigned flags,
				int tid);
SCT_SIGSAFE uint64_t sct_now(void);
/* signal-safe: forget the rings inherited from the parent (fork child). */
SCT_SIGSAFE void sct_after_fork_child(void);

/* exec.c: envp with sctrace's settings put back when missing. */
char *const *sct_fix_env(char *const *envp, char **buf, size_t nbuf,
			 char *spare, size_t nspare);

/* small string helpers (no libc) */
SCT_SIGSAFE size_t sct_strlen(const char *s);
SCT_SIGSAFE char *sct_stpcpy(char *d, const char *s, const char *end);
SCT_SIGSAFE char *sct_utoa(char *d, unsigned long v, const char *end);
SCT_SIGSAFE int sct_strncmp(const char *a, const char *b, size_t n);
SCT_SIGSAFE void sct_msg(const char *a, const char *b, const char *c);

#endif
