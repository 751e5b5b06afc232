/* The closed list of argument kinds named in gen/syscalls.tbl.
 *
 * Each kind has one capture rule in the preload library (what memory, if
 * any, is copied into the record) and one printer in the dumper.  Adding a
 * kind is one line here, one printer in dump/print.c.
 *
 * X(name, capture, size)
 *   capture: NONE    the value alone
 *            CSTR    NUL-terminated string read at the address
 *            BUFIN   bytes at the address, length in argument PARAM
 *            BUFOUT  bytes at the address after a successful call, length
 *                    = return value, bounded by argument PARAM
 *            LENIN   like BUFIN, length is the value of argument PARAM
 *                    (sockaddr with socklen_t)
 *            FIXIN   SIZE bytes at the address, before the call effect
 *            FIXOUT  SIZE bytes at the address after a successful call
 *                    (stat, statx: only the bytes holding the fields
 *                    strace prints without -v; see SCT_STAT_BYTES)
 *            STRARR  NULL-terminated array of strings (argv)
 *            COUNT   NULL-terminated array, only its length (envp)
 */
#ifndef SCTRACE_KINDS_H
#define SCTRACE_KINDS_H

/* Bytes captured of struct stat and struct statx (x86-64): those holding
 * every field strace prints without -v.  Of struct stat, the window from
 * st_mode to st_size (st_mode, st_rdev, st_size; st_dev, st_ino and
 * st_nlink before it are left out): 32 of its 144 bytes.  Of struct
 * statx, the prefix up to stx_size (stx_mask, stx_attributes, stx_mode,
 * stx_size).  Rings of version 3 kept stat's prefix up to st_size (56
 * bytes) or the whole struct; the dumper tells them apart by length. */
#define SCT_STAT_SKIP 24    /* offsetof(struct stat, st_mode) */
#define SCT_STAT_BYTES 32   /* offsetof(struct stat, st_size) + 8 - SKIP */
#define SCT_STAT_PREFIX 56  /* version 3: offsetof(struct stat, st_size) + 8 */
#define SCT_STATX_PREFIX 48 /* offsetof(struct statx, stx_size) + 8 */

#define SCT_KINDS(X)                                                     \
	X(int, NONE, 0)        /* signed 32-bit decimal */               \
	X(uint, NONE, 0)       /* unsigned 32-bit decimal */             \
	X(long, NONE, 0)       /* signed 64-bit decimal */               \
	X(ulong, NONE, 0)      /* unsigned 64-bit decimal */             \
	X(hex, NONE, 0)        /* 64-bit hexadecimal */                  \
	X(size, NONE, 0)       /* size_t */                              \
	X(off, NONE, 0)        /* off_t, signed */                       \
	X(fd, NONE, 0)         /* file descriptor (-y: path) */          \
	X(dirfd, NONE, 0)      /* fd or AT_FDCWD */                      \
	X(pid, NONE, 0)        /* process/thread id, signed */           \
	X(uid, NONE, 0)        /* uid_t/gid_t, -1 printed as -1 */       \
	X(sig, NONE, 0)        /* signal number: SIGTERM */              \
	X(mode, NONE, 0)       /* permission bits, octal, S_IF* type */  \
	X(ptr, NONE, 0)        /* address: NULL or 0x... */              \
	X(path, CSTR, 0)       /* file name string */                    \
	X(str, CSTR, 0)        /* other string */                        \
	X(bufin, BUFIN, 0)     /* bytes in, length in arg PARAM */       \
	X(bufout, BUFOUT, 0)   /* bytes out, length = return value */    \
	X(flags, NONE, 0)      /* OR of flags of xlat PARAM */           \
	X(enum, NONE, 0)       /* one value of xlat PARAM */             \
	X(stat, FIXOUT, SCT_STAT_BYTES) /* struct stat: see above */      \
	X(statfs, FIXOUT, 120) /* struct statfs, out */                  \
	X(statx, FIXOUT, SCT_STATX_PREFIX) /* struct statx: see above */ \
	X(timespec, FIXIN, 16) /* struct timespec, in */                 \
	X(timespec_out, FIXOUT, 16) /* struct timespec, out */           \
	X(futex_time, FIXIN, 16) /* futex's 4th: timespec of a waiting op \
				   (sct_futex_timed), else the int val2 */ \
	X(timeval, FIXIN, 16)  /* struct timeval, in */                  \
	X(timeval_out, FIXOUT, 16) /* struct timeval, out */             \
	X(sockaddr, LENIN, 0)  /* struct sockaddr, length arg PARAM */   \
	X(fds, FIXOUT, 8)      /* int[2] out (pipe, socketpair) */       \
	X(argv, STRARR, 0)     /* string array: ["a", "b"] */            \
	X(envp, COUNT, 0)      /* string array, count only */            \
	X(sigset, FIXIN, 8)    /* sigset_t (kernel size), in */          \
	X(sigset_out, FIXOUT, 8) /* sigset_t, out */                     \
	X(sigaction, FIXIN, 32) /* kernel struct sigaction, in */        \
	X(rlimit, FIXIN, 16)   /* struct rlimit, in */                   \
	X(rlimit_out, FIXOUT, 16) /* struct rlimit, out */               \
	X(utsname, FIXOUT, 390) /* struct utsname, out */                \
	X(intptr_out, FIXOUT, 4) /* int *, out (socklen, status) */      \
	X(intptr, FIXIN, 4)    /* int *, in */

#define SCT_RETKINDS(X)                                                 \
	X(int)    /* -1 + errno on failure */                            \
	X(long)   /* -1 + errno on failure */                            \
	X(fd)     /* -1 + errno on failure, fd on success */             \
	X(pid)    /* -1 + errno on failure */                            \
	X(hex)    /* -1 (MAP_FAILED) + errno on failure, address */      \
	X(ptrnull) /* NULL + errno on failure (getcwd) */                \
	X(errret) /* 0 or a positive errno value (posix_fadvise) */      \
	X(void)   /* never returns: exit, exit_group (= ?) */            \
	X(exec)   /* returns only on failure: execve */

/* Syscall classes for -e trace=%CLASS. */
#define SCT_CLASSES(X) \
	X(file) X(network) X(process) X(signal) X(memory) X(desc) X(ipc) \
	X(creds) X(clock)

#define SCT_K_ENUM(name, cap, size) SCT_K_##name,
enum sct_kind { SCT_KINDS(SCT_K_ENUM) SCT_K__COUNT };

/* Where a fixed-size kind's SIZE captured bytes start in its struct */
#define SCT_KIND_SKIP(k) ((k) == SCT_K_stat ? SCT_STAT_SKIP : 0)
#undef SCT_K_ENUM

#define SCT_R_ENUM(name) SCT_R_##name,
enum sct_retkind { SCT_RETKINDS(SCT_R_ENUM) SCT_R__COUNT };
#undef SCT_R_ENUM

#define SCT_C_ENUM(name) SCT_CB_##name,
enum sct_class_bit { SCT_CLASSES(SCT_C_ENUM) SCT_CB__COUNT };
#undef SCT_C_ENUM

enum sct_capture {
	SCT_CAP_NONE, SCT_CAP_CSTR, SCT_CAP_BUFIN, SCT_CAP_BUFOUT,
	SCT_CAP_LENIN, SCT_CAP_FIXIN, SCT_CAP_FIXOUT, SCT_CAP_STRARR,
	SCT_CAP_COUNT,
};

/* A flag or value name of an xlat table (generated from gen/xlat/NAME.in). */
struct sct_xlat_ent {
	unsigned long long val;
	const char *name;
};
struct sct_xlat {
	const char *name;
	int is_flags;           /* OR of bits, else a single value */
	unsigned n;
	const struct sct_xlat_ent *ent;
	unsigned long long field; /* flags: a multi-bit value field (O_ACCMODE) */
};

struct sct_argdesc {
	unsigned char kind;     /* enum sct_kind */
	unsigned char param;    /* argument index for bufin/bufout/sockaddr */
	unsigned char cond;     /* 1: only when the previous arg has O_CREAT/O_TMPFILE */
	unsigned short xlat;     /* flags/enum: index in sct_xlats[], 0 = none */
};

/* Longest syscall or libc function name + 1.  The names are arrays, not
 * pointers: a table of pointers in libsctrace.so is relocated when it is
 * loaded, eight pages copied (a ~10 us fault each on some VMs) in every
 * process, traced or not. */
#define SCT_NAME_MAX 32

/* One syscall, by number (generated from gen/syscalls.tbl). */
struct sct_sysent {
	char name[SCT_NAME_MAX]; /* "": number unknown to the table */
	unsigned short classes; /* 1 << enum sct_class_bit */
	unsigned char ret;      /* enum sct_retkind */
	unsigned char nargs;
	struct sct_argdesc args[6];
};

/* Does futex's operation OP read a timeout (its 4th argument)?  Otherwise
 * that argument is the integer val2 (requeue and wake-op counts), never
 * to be read as a pointer.  (FUTEX_WAIT, LOCK_PI, WAIT_BITSET,
 * WAIT_REQUEUE_PI, LOCK_PI2, under FUTEX_PRIVATE_FLAG and
 * FUTEX_CLOCK_REALTIME.) */
static inline int sct_futex_timed(unsigned long long op)
{
	switch (op & 127) {
	case 0: case 6: case 9: case 11: case 13:
		return 1;
	}
	return 0;
}

#define SCT_NSYS 512
extern const struct sct_sysent sct_sysent[SCT_NSYS];
extern const char sct_fn_names[][SCT_NAME_MAX]; /* libc entry points, [0] = "" */
extern const unsigned sct_nfn;
extern const struct sct_xlat *const sct_xlats[]; /* [0] = NULL, by index */
extern const unsigned sct_nxlat;

#endif
