/* Test harness of preload/stack.c (tests/test_stack.c): a shared library
 * built from stack.c, stack_uc.S and stack_write.c with the preload
 * library's flags, plus stand-ins for the few core.c symbols stack.c
 * uses.  Its sth_* entry points play the parts core.c and trap.c will
 * play in libsctrace.so: a wrapper's record path, the SIGSYS handler,
 * the mmap bookkeeping, the fork child.  Frames of this library are
 * dropped from wrapped stacks as libsctrace.so's are. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "stack.h"
#include "../progs/raw.h"

#define API __attribute__((visibility("default")))

struct sct_config sct_cfg;
struct sct_hot sct_hot; /* stacks_on, set by sct_stack_init() */
int sct_pid;
uint64_t sct_image;
__thread struct sct_thread sct_self;

/* sct_hot.self_off and errno_off stay 0 here: core.h's inline accessors
 * take these */
SCT_SIGSAFE struct sct_thread *sct_me_slow(void)
{
	return &sct_self;
}

SCT_SIGSAFE int *sct_errno_slow(void)
{
	return &errno;
}

SCT_SIGSAFE long sct_raw(long nr, long a, long b, long c, long d, long e,
			 long f)
{
	return raw6(nr, a, b, c, d, e, f);
}

SCT_SIGSAFE uint64_t sct_now(void)
{
	struct timespec ts;
	sct_raw2(__NR_clock_gettime, CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* the constructor's part: DIR is the ring directory */
API uint64_t sth_init(const char *dir, const char *exe)
{
	sct_stpcpy(sct_cfg.dir, dir, sct_cfg.dir + sizeof sct_cfg.dir);
	sct_stpcpy(sct_cfg.exe, exe, sct_cfg.exe + sizeof sct_cfg.exe);
	sct_pid = (int)sct_raw0(__NR_getpid);
	sct_image = sct_now();
	sct_self.guard++;
	sct_stack_init();
	sct_self.guard--;
	return sct_image;
}

/* a wrapper of write(): the real call, then the record's stack */
API long sth_write(int fd, const void *buf, long n, uint32_t *id)
{
	sct_self.guard++;
	long r = sct_raw3(__NR_write, fd, buf, n);
	*id = sct_stack_wrapped(__builtin_frame_address(0));
	sct_self.guard--;
	return r;
}

/* the same for a wrapper that cannot say where its frame is: the stack
 * is found from inside the library, its frames dropped */
API long sth_write_here(int fd, const void *buf, long n, uint32_t *id)
{
	sct_self.guard++;
	long r = sct_raw3(__NR_write, fd, buf, n);
	*id = sct_stack_wrapped(0);
	sct_self.guard--;
	return r;
}

/* the record path alone (for timing) */
API uint32_t sth_capture(void)
{
	sct_self.guard++;
	uint32_t id = sct_stack_wrapped(__builtin_frame_address(0));
	sct_self.guard--;
	return id;
}

/* the SIGSYS handler's part */
API uint32_t sth_trapped(const void *uc)
{
	sct_self.guard++;
	uint32_t id = sct_stack_trapped(uc);
	sct_self.guard--;
	return id;
}

API void sth_note_map(unsigned nr, const long *args, long ret)
{
	sct_self.guard++;
	sct_stack_note_map(nr, args, ret);
	sct_self.guard--;
}

API void sth_warm_thread(void)
{
	sct_self.guard++;
	sct_stack_warm_thread();
	sct_self.guard--;
}

/* a fork child: new pid and image, then its own side file */
API uint64_t sth_fork_child(void)
{
	sct_pid = (int)sct_raw0(__NR_getpid);
	sct_image = sct_now();
	sct_self.guard++;
	sct_stack_after_fork_child();
	sct_self.guard--;
	return sct_image;
}
