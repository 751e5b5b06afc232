/* Small libc-free helpers of the preload library, shared by core.c,
 * stack.c and trap.c (and linked by the stack-capture test harness).
 * Everything here is signal-safe; the tracer's own syscalls go through
 * sct_raw (preload/gate.S). */
#include <errno.h>

#include "core.h"

SCT_SIGSAFE size_t sct_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* signal-safe: copy S to D, never past END - 1; returns the new end. */
SCT_SIGSAFE char *sct_stpcpy(char *d, const char *s, const char *end)
{
	while (*s && d < end - 1)
		*d++ = *s++;
	*d = 0;
	return d;
}

SCT_SIGSAFE char *sct_utoa(char *d, unsigned long v, const char *end)
{
	char tmp[24];
	int n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 24);
	while (n && d < end - 1)
		*d++ = tmp[--n];
	*d = 0;
	return d;
}

SCT_SIGSAFE const char *sct_basename(const char *path)
{
	const char *b = path;
	for (const char *p = path; *p; p++)
		if (*p == '/')
			b = p + 1;
	return b;
}

SCT_SIGSAFE int sct_strncmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i])
			return (unsigned char)a[i] - (unsigned char)b[i];
		if (!a[i])
			return 0;
	}
	return 0;
}

SCT_SIGSAFE void sct_msg(const char *a, const char *b, const char *c)
{
	char buf[512];
	char *end = buf + sizeof buf - 1, *p = buf;
	p = sct_stpcpy(p, "sctrace: ", end);
	p = sct_stpcpy(p, a, end);
	p = sct_stpcpy(p, b ? b : "", end);
	p = sct_stpcpy(p, c ? c : "", end);
	*p++ = '\n';
	sct_raw3(__NR_write, 2, buf, p - buf);
}

SCT_SIGSAFE long sct_populate(void *addr, uint64_t len)
{
	/* MADV_POPULATE_WRITE (Linux >= 5.14; EINVAL before).  Where the
	 * file system has no room for a page it fails (EFAULT, ENOMEM), where
	 * a write would raise SIGBUS. */
	long r = sct_raw3(__NR_madvise, addr, len, 23);
	return r == -EFAULT ? -ENOSPC : r;
}

SCT_SIGSAFE void *sct_shm_map(long fd, uint64_t total, long *err,
			      int *sparse)
{
	*sparse = 0;
	long r = sct_raw2(__NR_ftruncate, fd, total);
	void *map = 0;
	if (r == 0) {
		r = sct_raw6(__NR_mmap, 0, total, 0x3 /* PROT_READ|WRITE */,
			     0x01 /* MAP_SHARED */, fd, 0);
		if (r < 0 && r > -4096)
			map = 0;
		else
			map = (void *)r, r = 0;
	}
	if (map) {
		/* the first page: populated, or why not */
		r = sct_populate(map, 4096);
		if (r == 0) {
			*sparse = 1;
		} else if (r == -EINVAL) { /* a kernel before 5.14 */
			r = sct_raw4(__NR_fallocate, fd, 0, 0, total);
			if (r == -EOPNOTSUPP)
				r = 0; /* no blocks to reserve ahead */
		}
		if (r) {
			sct_raw2(__NR_munmap, map, total);
			map = 0;
		}
	}
	sct_raw1(__NR_close, fd);
	*err = r;
	return map;
}
