/* Argument and return value printers: strace's text forms.
 *
 * The reference is the output of strace 6.1 on x86-64: string quoting,
 * flag sets, the non-verbose struct forms ({st_mode=..., st_size=..., ...}),
 * error returns.  One printer per argument kind (enum sct_kind), chosen
 * in print_kind().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* statx, O_TMPFILE, GNU strerror_r */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "dump.h"

#define DEFAULT_STRSIZE 32

/* ------------------------------------------------------------------------ */
/* errno and signal names                                                   */

static const char *const errnames[] = {
	[EPERM] = "EPERM",
	[ENOENT] = "ENOENT",
	[ESRCH] = "ESRCH",
	[EINTR] = "EINTR",
	[EIO] = "EIO",
	[ENXIO] = "ENXIO",
	[E2BIG] = "E2BIG",
	[ENOEXEC] = "ENOEXEC",
	[EBADF] = "EBADF",
	[ECHILD] = "ECHILD",
	[EAGAIN] = "EAGAIN",
	[ENOMEM] = "ENOMEM",
	[EACCES] = "EACCES",
	[EFAULT] = "EFAULT",
	[ENOTBLK] = "ENOTBLK",
	[EBUSY] = "EBUSY",
	[EEXIST] = "EEXIST",
	[EXDEV] = "EXDEV",
	[ENODEV] = "ENODEV",
	[ENOTDIR] = "ENOTDIR",
	[EISDIR] = "EISDIR",
	[EINVAL] = "EINVAL",
	[ENFILE] = "ENFILE",
	[EMFILE] = "EMFILE",
	[ENOTTY] = "ENOTTY",
	[ETXTBSY] = "ETXTBSY",
	[EFBIG] = "EFBIG",
	[ENOSPC] = "ENOSPC",
	[ESPIPE] = "ESPIPE",
	[EROFS] = "EROFS",
	[EMLINK] = "EMLINK",
	[EPIPE] = "EPIPE",
	[EDOM] = "EDOM",
	[ERANGE] = "ERANGE",
	[EDEADLK] = "EDEADLK",
	[ENAMETOOLONG] = "ENAMETOOLONG",
	[ENOLCK] = "ENOLCK",
	[ENOSYS] = "ENOSYS",
	[ENOTEMPTY] = "ENOTEMPTY",
	[ELOOP] = "ELOOP",
	[ENOMSG] = "ENOMSG",
	[EIDRM] = "EIDRM",
	[ECHRNG] = "ECHRNG",
	[EL2NSYNC] = "EL2NSYNC",
	[EL3HLT] = "EL3HLT",
	[EL3RST] = "EL3RST",
	[ELNRNG] = "ELNRNG",
	[EUNATCH] = "EUNATCH",
	[ENOCSI] = "ENOCSI",
	[EL2HLT] = "EL2HLT",
	[EBADE] = "EBADE",
	[EBADR] = "EBADR",
	[EXFULL] = "EXFULL",
	[ENOANO] = "ENOANO",
	[EBADRQC] = "EBADRQC",
	[EBADSLT] = "EBADSLT",
	[EBFONT] = "EBFONT",
	[ENOSTR] = "ENOSTR",
	[ENODATA] = "ENODATA",
	[ETIME] = "ETIME",
	[ENOSR] = "ENOSR",
	[ENONET] = "ENONET",
	[ENOPKG] = "ENOPKG",
	[EREMOTE] = "EREMOTE",
	[ENOLINK] = "ENOLINK",
	[EADV] = "EADV",
	[ESRMNT] = "ESRMNT",
	[ECOMM] = "ECOMM",
	[EPROTO] = "EPROTO",
	[EMULTIHOP] = "EMULTIHOP",
	[EDOTDOT] = "EDOTDOT",
	[EBADMSG] = "EBADMSG",
	[EOVERFLOW] = "EOVERFLOW",
	[ENOTUNIQ] = "ENOTUNIQ",
	[EBADFD] = "EBADFD",
	[EREMCHG] = "EREMCHG",
	[ELIBACC] = "ELIBACC",
	[ELIBBAD] = "ELIBBAD",
	[ELIBSCN] = "ELIBSCN",
	[ELIBMAX] = "ELIBMAX",
	[ELIBEXEC] = "ELIBEXEC",
	[EILSEQ] = "EILSEQ",
	[ERESTART] = "ERESTART",
	[ESTRPIPE] = "ESTRPIPE",
	[EUSERS] = "EUSERS",
	[ENOTSOCK] = "ENOTSOCK",
	[EDESTADDRREQ] = "EDESTADDRREQ",
	[EMSGSIZE] = "EMSGSIZE",
	[EPROTOTYPE] = "EPROTOTYPE",
	[ENOPROTOOPT] = "ENOPROTOOPT",
	[EPROTONOSUPPORT] = "EPROTONOSUPPORT",
	[ESOCKTNOSUPPORT] = "ESOCKTNOSUPPORT",
	[EOPNOTSUPP] = "EOPNOTSUPP",
	[EPFNOSUPPORT] = "EPFNOSUPPORT",
	[EAFNOSUPPORT] = "EAFNOSUPPORT",
	[EADDRINUSE] = "EADDRINUSE",
	[EADDRNOTAVAIL] = "EADDRNOTAVAIL",
	[ENETDOWN] = "ENETDOWN",
	[ENETUNREACH] = "ENETUNREACH",
	[ENETRESET] = "ENETRESET",
	[ECONNABORTED] = "ECONNABORTED",
	[ECONNRESET] = "ECONNRESET",
	[ENOBUFS] = "ENOBUFS",
	[EISCONN] = "EISCONN",
	[ENOTCONN] = "ENOTCONN",
	[ESHUTDOWN] = "ESHUTDOWN",
	[ETOOMANYREFS] = "ETOOMANYREFS",
	[ETIMEDOUT] = "ETIMEDOUT",
	[ECONNREFUSED] = "ECONNREFUSED",
	[EHOSTDOWN] = "EHOSTDOWN",
	[EHOSTUNREACH] = "EHOSTUNREACH",
	[EALREADY] = "EALREADY",
	[EINPROGRESS] = "EINPROGRESS",
	[ESTALE] = "ESTALE",
	[EUCLEAN] = "EUCLEAN",
	[ENOTNAM] = "ENOTNAM",
	[ENAVAIL] = "ENAVAIL",
	[EISNAM] = "EISNAM",
	[EREMOTEIO] = "EREMOTEIO",
	[EDQUOT] = "EDQUOT",
	[ENOMEDIUM] = "ENOMEDIUM",
	[EMEDIUMTYPE] = "EMEDIUMTYPE",
	[ECANCELED] = "ECANCELED",
	[ENOKEY] = "ENOKEY",
	[EKEYEXPIRED] = "EKEYEXPIRED",
	[EKEYREVOKED] = "EKEYREVOKED",
	[EKEYREJECTED] = "EKEYREJECTED",
	[EOWNERDEAD] = "EOWNERDEAD",
	[ENOTRECOVERABLE] = "ENOTRECOVERABLE",
	[ERFKILL] = "ERFKILL",
	[EHWPOISON] = "EHWPOISON",
};

/* Kernel-internal codes (include/linux/errno.h), from 512. */
static const char *const errnames_kernel[] = {
	"ERESTARTSYS",
	"ERESTARTNOINTR",
	"ERESTARTNOHAND",
	"ENOIOCTLCMD",
	"ERESTART_RESTARTBLOCK",
	"EPROBE_DEFER",
	"EOPENSTALE",
	NULL,
	NULL,
	"EBADHANDLE",
	"ENOTSYNC",
	"EBADCOOKIE",
	"ENOTSUPP",
	"ETOOSMALL",
	"ESERVERFAULT",
	"EBADTYPE",
	"EJUKEBOX",
	"EIOCBQUEUED",
	"ERECALLCONFLICT",
};

const char *sct_errno_name(int err)
{
	if (err > 0 && (size_t)err < sizeof errnames / sizeof errnames[0])
		return errnames[err];
	if (err >= 512 &&
	    (size_t)(err - 512) <
		    sizeof errnames_kernel / sizeof errnames_kernel[0])
		return errnames_kernel[err - 512];
	return NULL;
}

static const char *const signames[] = {
	NULL,       "SIGHUP",    "SIGINT",   "SIGQUIT",  "SIGILL",
	"SIGTRAP",  "SIGABRT",   "SIGBUS",   "SIGFPE",   "SIGKILL",
	"SIGUSR1",  "SIGSEGV",   "SIGUSR2",  "SIGPIPE",  "SIGALRM",
	"SIGTERM",  "SIGSTKFLT", "SIGCHLD",  "SIGCONT",  "SIGSTOP",
	"SIGTSTP",  "SIGTTIN",   "SIGTTOU",  "SIGURG",   "SIGXCPU",
	"SIGXFSZ",  "SIGVTALRM", "SIGPROF",  "SIGWINCH", "SIGIO",
	"SIGPWR",   "SIGSYS",    "SIGRTMIN", "SIGRT_1",  "SIGRT_2",
	"SIGRT_3",  "SIGRT_4",   "SIGRT_5",  "SIGRT_6",  "SIGRT_7",
	"SIGRT_8",  "SIGRT_9",   "SIGRT_10", "SIGRT_11", "SIGRT_12",
	"SIGRT_13", "SIGRT_14",  "SIGRT_15", "SIGRT_16", "SIGRT_17",
	"SIGRT_18", "SIGRT_19",  "SIGRT_20", "SIGRT_21", "SIGRT_22",
	"SIGRT_23", "SIGRT_24",  "SIGRT_25", "SIGRT_26", "SIGRT_27",
	"SIGRT_28", "SIGRT_29",  "SIGRT_30", "SIGRT_31", "SIGRT_32",
};

/* strace names signals by the kernel's numbering: 32 is SIGRTMIN, 33 and
 * up SIGRT_1.. (glibc's SIGRTMIN, 34, is SIGRT_2). */
const char *sct_signal_name(int sig)
{
	if (sig > 0 && (size_t)sig < sizeof signames / sizeof signames[0])
		return signames[sig];
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* strings                                                                  */

static int wants_hex(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c > 0x7e || (c < ' ' && (c < '\t' || c > '\r')))
			return 1;
	}
	return 0;
}

/* The escaped bytes, no quotes.  EXTRA: printable characters that are
 * escaped in octal too (-y paths escape '<' and '>'). */
static void quote_bytes(struct sbuf *o, const unsigned char *s, size_t n,
			int xlevel, const char *extra)
{
	int hex = xlevel >= 2 || (xlevel == 1 && wants_hex(s, n));
	char buf[8];
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (hex) {
			snprintf(buf, sizeof buf, "\\x%02x", c);
			sb_puts(o, buf);
			continue;
		}
		switch (c) {
		case '"':
			sb_puts(o, "\\\"");
			continue;
		case '\\':
			sb_puts(o, "\\\\");
			continue;
		case '\f':
			sb_puts(o, "\\f");
			continue;
		case '\n':
			sb_puts(o, "\\n");
			continue;
		case '\r':
			sb_puts(o, "\\r");
			continue;
		case '\t':
			sb_puts(o, "\\t");
			continue;
		case '\v':
			sb_puts(o, "\\v");
			continue;
		default:
			break;
		}
		if (c >= ' ' && c <= 0x7e &&
		    !(extra && c && strchr(extra, c))) {
			sb_putc(o, (char)c);
			continue;
		}
		/* shortest octal, unless an octal digit follows */
		if (i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7')
			snprintf(buf, sizeof buf, "\\%03o", c);
		else
			snprintf(buf, sizeof buf, "\\%o", c);
		sb_puts(o, buf);
	}
}

static unsigned strsize_of(const struct sct_popts *po)
{
	return po ? po->strsize : DEFAULT_STRSIZE;
}

static int xlevel_of(const struct sct_popts *po)
{
	return po ? po->xlevel : 0;
}

void sct_print_str(struct sbuf *o, const unsigned char *s, size_t n, int trunc,
		   const struct sct_popts *po)
{
	size_t max = strsize_of(po);
	size_t show = n > max ? max : n;
	sb_putc(o, '"');
	quote_bytes(o, s, show, xlevel_of(po), NULL);
	sb_putc(o, '"');
	if (trunc || n > max)
		sb_puts(o, "...");
}

/* ------------------------------------------------------------------------ */
/* xlat                                                                     */

/* The names' common prefix up to its last '_' (O_, MAP_, POSIX_FADV_), for
 * strace's comment on unknown values: 0x80 followed by PROT_??? in a comment. */
static size_t xlat_prefix(const struct sct_xlat *x, const char **pfx)
{
	if (!x || !x->n || !x->ent[0].name)
		return 0;
	const char *first = x->ent[0].name;
	size_t len = strlen(first);
	for (unsigned i = 1; i < x->n; i++) {
		const char *nm = x->ent[i].name;
		size_t k = 0;
		while (k < len && nm[k] == first[k])
			k++;
		len = k;
	}
	while (len && first[len - 1] != '_')
		len--;
	*pfx = first;
	return len;
}

static void print_unknown(struct sbuf *o, const struct sct_xlat *x,
			  unsigned long long v)
{
	const char *pfx;
	size_t n = xlat_prefix(x, &pfx);
	sb_printf(o, "%#llx", v);
	if (n)
		sb_printf(o, " /* %.*s??? */", (int)n, pfx);
}

static const char *xlat_find(const struct sct_xlat *x, unsigned long long v)
{
	for (unsigned i = 0; x && i < x->n; i++)
		if (x->ent[i].val == v)
			return x->ent[i].name;
	return NULL;
}

void sct_print_xlat(struct sbuf *o, const struct sct_xlat *x,
		    unsigned long long v)
{
	if (!x) {
		sb_printf(o, "%#llx", v);
		return;
	}
	if (!x->is_flags) {
		const char *nm = xlat_find(x, v);
		if (nm)
			sb_puts(o, nm);
		else
			print_unknown(o, x, v);
		return;
	}
	unsigned long long rest = v, field = x->field;
	int printed = 0;
	if (field) {
		unsigned long long fv = v & field;
		const char *nm = xlat_find(x, fv);
		if (nm) {
			sb_puts(o, nm);
			printed = 1;
		} else if (fv) { /* 0xf followed by MAP_??? in a comment */
			print_unknown(o, x, fv);
			printed = 1;
		}
		rest &= ~field;
	} else if (v == 0) {
		const char *nm = xlat_find(x, 0);
		sb_puts(o, nm ? nm : "0");
		return;
	}
	for (unsigned i = 0; i < x->n && rest; i++) {
		unsigned long long b = x->ent[i].val;
		if (!b || (b & field) || (rest & b) != b)
			continue;
		if (printed++)
			sb_putc(o, '|');
		sb_puts(o, x->ent[i].name);
		rest &= ~b;
	}
	if (!printed) {
		if (rest)
			print_unknown(o, x, rest);
		else
			sb_putc(o, '0');
	} else if (rest) {
		sb_printf(o, "|%#llx", rest);
	}
}

#define XLAT(name, is_flags, field)                                         \
	static const struct sct_xlat name = { #name, is_flags,              \
					      sizeof name##_ent /           \
						      sizeof name##_ent[0], \
					      name##_ent, field }

static const struct sct_xlat_ent sa_flags_ent[] = {
	{ 0x04000000, "SA_RESTORER" }, { 0x08000000, "SA_ONSTACK" },
	{ 0x10000000, "SA_RESTART" },  { 0x20000000, "SA_INTERRUPT" },
	{ 0x40000000, "SA_NODEFER" },  { 0x80000000, "SA_RESETHAND" },
	{ 4, "SA_SIGINFO" },           { 1, "SA_NOCLDSTOP" },
	{ 2, "SA_NOCLDWAIT" },
};
XLAT(sa_flags, 1, 0);
#define SCT_SA_RESTORER 0x04000000ULL

static const struct sct_xlat_ent statx_mask_ent[] = {
	{ 0xfff, "STATX_ALL" },     { 0x7ff, "STATX_BASIC_STATS" },
	{ 0x1, "STATX_TYPE" },      { 0x2, "STATX_MODE" },
	{ 0x4, "STATX_NLINK" },     { 0x8, "STATX_UID" },
	{ 0x10, "STATX_GID" },      { 0x20, "STATX_ATIME" },
	{ 0x40, "STATX_MTIME" },    { 0x80, "STATX_CTIME" },
	{ 0x100, "STATX_INO" },     { 0x200, "STATX_SIZE" },
	{ 0x400, "STATX_BLOCKS" },  { 0x800, "STATX_BTIME" },
	{ 0x1000, "STATX_MNT_ID" }, { 0x2000, "STATX_DIOALIGN" },
};
XLAT(statx_mask, 1, 0);

static const struct sct_xlat_ent statx_attr_ent[] = {
	{ 0x4, "STATX_ATTR_COMPRESSED" },    { 0x10, "STATX_ATTR_IMMUTABLE" },
	{ 0x20, "STATX_ATTR_APPEND" },       { 0x40, "STATX_ATTR_NODUMP" },
	{ 0x800, "STATX_ATTR_ENCRYPTED" },   { 0x1000, "STATX_ATTR_AUTOMOUNT" },
	{ 0x2000, "STATX_ATTR_MOUNT_ROOT" }, { 0x100000, "STATX_ATTR_VERITY" },
	{ 0x200000, "STATX_ATTR_DAX" },
};
XLAT(statx_attr, 1, 0);

static const struct sct_xlat_ent st_flags_ent[] = {
	{ 0x20, "ST_VALID" },      { 0x1, "ST_RDONLY" },
	{ 0x2, "ST_NOSUID" },      { 0x4, "ST_NODEV" },
	{ 0x8, "ST_NOEXEC" },      { 0x10, "ST_SYNCHRONOUS" },
	{ 0x40, "ST_MANDLOCK" },   { 0x80, "ST_WRITE" },
	{ 0x100, "ST_APPEND" },    { 0x200, "ST_IMMUTABLE" },
	{ 0x400, "ST_NOATIME" },   { 0x800, "ST_NODIRATIME" },
	{ 0x1000, "ST_RELATIME" }, { 0x2000, "ST_NOSYMFOLLOW" },
};
XLAT(st_flags, 1, 0);

static const struct sct_xlat_ent fsmagic_ent[] = {
	{ 0xadf5, "ADFS_SUPER_MAGIC" },
	{ 0xadff, "AFFS_SUPER_MAGIC" },
	{ 0x5346414f, "AFS_SUPER_MAGIC" },
	{ 0x09041934, "ANON_INODE_FS_MAGIC" },
	{ 0x0187, "AUTOFS_SUPER_MAGIC" },
	{ 0x62646576, "BDEVFS_MAGIC" },
	{ 0x42494e4d, "BINFMTFS_MAGIC" },
	{ 0xcafe4a11, "BPF_FS_MAGIC" },
	{ 0x9123683e, "BTRFS_SUPER_MAGIC" },
	{ 0x00c36400, "CEPH_SUPER_MAGIC" },
	{ 0x0027e0eb, "CGROUP_SUPER_MAGIC" },
	{ 0x63677270, "CGROUP2_SUPER_MAGIC" },
	{ 0xff534d42, "CIFS_MAGIC_NUMBER" },
	{ 0x73757245, "CODA_SUPER_MAGIC" },
	{ 0x28cd3d45, "CRAMFS_MAGIC" },
	{ 0x64626720, "DEBUGFS_MAGIC" },
	{ 0x1cd1, "DEVPTS_SUPER_MAGIC" },
	{ 0xf15f, "ECRYPTFS_SUPER_MAGIC" },
	{ 0xde5e81e4, "EFIVARFS_MAGIC" },
	{ 0x00414a53, "EFS_SUPER_MAGIC" },
	{ 0x2011bab0, "EXFAT_SUPER_MAGIC" },
	{ 0xef53, "EXT2_SUPER_MAGIC" },
	{ 0xf2f52010, "F2FS_SUPER_MAGIC" },
	{ 0x65735546, "FUSE_SUPER_MAGIC" },
	{ 0x00c0ffee, "HOSTFS_SUPER_MAGIC" },
	{ 0xf995e849, "HPFS_SUPER_MAGIC" },
	{ 0x958458f6, "HUGETLBFS_MAGIC" },
	{ 0x9660, "ISOFS_SUPER_MAGIC" },
	{ 0x72b6, "JFFS2_SUPER_MAGIC" },
	{ 0x3153464a, "JFS_SUPER_MAGIC" },
	{ 0x19800202, "MQUEUE_MAGIC" },
	{ 0x4d44, "MSDOS_SUPER_MAGIC" },
	{ 0x6969, "NFS_SUPER_MAGIC" },
	{ 0x3434, "NILFS_SUPER_MAGIC" },
	{ 0x6e736673, "NSFS_MAGIC" },
	{ 0x5346544e, "NTFS_SB_MAGIC" },
	{ 0x7461636f, "OCFS2_SUPER_MAGIC" },
	{ 0x794c7630, "OVERLAYFS_SUPER_MAGIC" },
	{ 0x50495045, "PIPEFS_MAGIC" },
	{ 0x9fa0, "PROC_SUPER_MAGIC" },
	{ 0x6165676c, "PSTOREFS_MAGIC" },
	{ 0x002f, "QNX4_SUPER_MAGIC" },
	{ 0x858458f6, "RAMFS_MAGIC" },
	{ 0x52654973, "REISERFS_SUPER_MAGIC" },
	{ 0x73636673, "SECURITYFS_MAGIC" },
	{ 0xf97cff8c, "SELINUX_MAGIC" },
	{ 0x43415d53, "SMACK_MAGIC" },
	{ 0x517b, "SMB_SUPER_MAGIC" },
	{ 0xfe534d42, "SMB2_MAGIC_NUMBER" },
	{ 0x534f434b, "SOCKFS_MAGIC" },
	{ 0x73717368, "SQUASHFS_MAGIC" },
	{ 0x62656572, "SYSFS_MAGIC" },
	{ 0x01021994, "TMPFS_MAGIC" },
	{ 0x74726163, "TRACEFS_MAGIC" },
	{ 0x15013346, "UDF_SUPER_MAGIC" },
	{ 0x01021997, "V9FS_MAGIC" },
	{ 0xabba1974, "XENFS_SUPER_MAGIC" },
	{ 0x58465342, "XFS_SUPER_MAGIC" },
	{ 0x5a4f4653, "ZONEFS_MAGIC" },
};

static const char *const af_names[] = {
	"AF_UNSPEC",     "AF_UNIX",      "AF_INET",     "AF_AX25",
	"AF_IPX",        "AF_APPLETALK", "AF_NETROM",   "AF_BRIDGE",
	"AF_ATMPVC",     "AF_X25",       "AF_INET6",    "AF_ROSE",
	"AF_DECnet",     "AF_NETBEUI",   "AF_SECURITY", "AF_KEY",
	"AF_NETLINK",    "AF_PACKET",    "AF_ASH",      "AF_ECONET",
	"AF_ATMSVC",     "AF_RDS",       "AF_SNA",      "AF_IRDA",
	"AF_PPPOX",      "AF_WANPIPE",   "AF_LLC",      "AF_IB",
	"AF_MPLS",       "AF_CAN",       "AF_TIPC",     "AF_BLUETOOTH",
	"AF_IUCV",       "AF_RXRPC",     "AF_ISDN",     "AF_PHONET",
	"AF_IEEE802154", "AF_CAIF",      "AF_ALG",      "AF_NFC",
	"AF_VSOCK",      "AF_KCM",       "AF_QIPCRTR",  "AF_SMC",
	"AF_XDP",        "AF_MCTP",
};

/* ------------------------------------------------------------------------ */
/* small value printers                                                     */

static void print_ptr(struct sbuf *o, unsigned long long v)
{
	if (v)
		sb_printf(o, "%#llx", v);
	else
		sb_puts(o, "NULL");
}

static void print_fd_path(struct sbuf *o, const char *path,
			  const struct sct_popts *po)
{
	static const char deleted[] = " (deleted)";
	size_t n = strlen(path), dl = sizeof deleted - 1;
	int del = n > dl && strcmp(path + n - dl, deleted) == 0;
	if (del)
		n -= dl;
	sb_putc(o, '<');
	quote_bytes(o, (const unsigned char *)path, n, xlevel_of(po), "<>");
	sb_putc(o, '>');
	if (del)
		sb_puts(o, "(deleted)");
}

static void print_fd(struct sbuf *o, int fd, const struct sct_fdtab *fds,
		     const struct sct_popts *po)
{
	sb_printf(o, "%d", fd);
	const char *path = fds ? sct_fdtab_get(fds, fd) : NULL;
	if (path)
		print_fd_path(o, path, po);
}

static void print_dirfd(struct sbuf *o, int fd, const struct sct_fdtab *fds,
			const struct sct_popts *po)
{
	if (fd != AT_FDCWD) {
		print_fd(o, fd, fds, po);
		return;
	}
	sb_puts(o, "AT_FDCWD");
	const char *cwd = fds ? sct_fdtab_get(fds, AT_FDCWD) : NULL;
	if (cwd)
		print_fd_path(o, cwd, po);
}

static void print_sig(struct sbuf *o, int sig)
{
	const char *nm = sct_signal_name(sig);
	if (nm)
		sb_puts(o, nm);
	else
		sb_printf(o, "%d", sig);
}

static const char *mode_type(unsigned m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return "S_IFREG";
	case S_IFSOCK:
		return "S_IFSOCK";
	case S_IFLNK:
		return "S_IFLNK";
	case S_IFBLK:
		return "S_IFBLK";
	case S_IFDIR:
		return "S_IFDIR";
	case S_IFCHR:
		return "S_IFCHR";
	case S_IFIFO:
		return "S_IFIFO";
	default:
		return NULL;
	}
}

/* S_IFREG|S_ISUID|0755 (stat, mknod). */
static void print_symbolic_mode(struct sbuf *o, unsigned m)
{
	const char *t = (m & S_IFMT) ? mode_type(m) : "";
	if (!t) {
		sb_printf(o, "%#03o", m);
		return;
	}
	sb_printf(o, "%s%s%s%s%s%#03o", t, *t ? "|" : "",
		  (m & S_ISUID) ? "S_ISUID|" : "",
		  (m & S_ISGID) ? "S_ISGID|" : "",
		  (m & S_ISVTX) ? "S_ISVTX|" : "",
		  m & ~(unsigned)(S_IFMT | S_ISUID | S_ISGID | S_ISVTX));
}

/* The mode kind: numeric (0644, 04755, 000) unless file type bits are set. */
static void print_mode(struct sbuf *o, unsigned m)
{
	if ((m & S_IFMT) && mode_type(m))
		print_symbolic_mode(o, m);
	else
		sb_printf(o, "%#03o", m);
}

static void print_sigmask(struct sbuf *o, const unsigned char *p, size_t len)
{
	if (len > 8)
		len = 8;
	unsigned long long m = 0;
	for (size_t i = 0; i < len; i++)
		m |= (unsigned long long)p[i] << (8 * i);
	unsigned nsig = (unsigned)len * 8;
	if (nsig && (unsigned)__builtin_popcountll(m) >= nsig * 2 / 3) {
		sb_putc(o, '~');
		m = ~m;
		if (nsig < 64)
			m &= (1ULL << nsig) - 1;
	}
	sb_putc(o, '[');
	int first = 1;
	for (unsigned s = 1; s <= nsig; s++) {
		if (!(m & (1ULL << (s - 1))))
			continue;
		if (!first)
			sb_putc(o, ' ');
		first = 0;
		const char *nm = sct_signal_name((int)s);
		if (nm)
			sb_puts(o, nm + 3);
		else
			sb_printf(o, "%u", s);
	}
	sb_putc(o, ']');
}

static void print_rlim(struct sbuf *o, unsigned long long v)
{
	if (v == ~0ULL)
		sb_puts(o, "RLIM64_INFINITY");
	else if (v > 1024 && v % 1024 == 0)
		sb_printf(o, "%llu*1024", v / 1024);
	else
		sb_printf(o, "%llu", v);
}

static void print_wait_status(struct sbuf *o, int s)
{
	sb_puts(o, "[{");
	if ((s & 0x7f) == 0) {
		sb_printf(o, "WIFEXITED(s) && WEXITSTATUS(s) == %d",
			  (s >> 8) & 0xff);
	} else if ((s & 0xff) == 0x7f) {
		sb_puts(o, "WIFSTOPPED(s) && WSTOPSIG(s) == ");
		print_sig(o, (s >> 8) & 0xff);
	} else if (s == 0xffff) {
		sb_puts(o, "WIFCONTINUED(s)");
	} else {
		sb_puts(o, "WIFSIGNALED(s) && WTERMSIG(s) == ");
		print_sig(o, s & 0x7f);
		if (s & 0x80)
			sb_puts(o, " && WCOREDUMP(s)");
	}
	sb_puts(o, "}]");
}

/* ------------------------------------------------------------------------ */
/* struct printers                                                          */

_Static_assert(offsetof(struct stat, st_mode) == SCT_STAT_SKIP &&
		       offsetof(struct stat, st_size) + 8 ==
			       SCT_STAT_SKIP + SCT_STAT_BYTES,
	       "struct stat window");
_Static_assert(offsetof(struct stat, st_size) + 8 == SCT_STAT_PREFIX,
	       "struct stat prefix");
_Static_assert(offsetof(struct statx, stx_size) + 8 == SCT_STATX_PREFIX,
	       "struct statx prefix");

/* P: LEN bytes of a struct stat: the window from st_mode to st_size
 * (SCT_STAT_BYTES), or in rings of version 3 its prefix up to st_size or
 * all of it.  0 when LEN is none of these. */
static int print_stat(struct sbuf *o, const unsigned char *p, size_t len)
{
	struct stat st = { 0 };
	if (len == SCT_STAT_BYTES)
		memcpy((char *)&st + SCT_STAT_SKIP, p, len);
	else if (len >= SCT_STAT_PREFIX)
		memcpy(&st, p, len < sizeof st ? len : sizeof st);
	else
		return 0;
	sb_puts(o, "{st_mode=");
	print_symbolic_mode(o, st.st_mode);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		sb_printf(o, ", st_rdev=makedev(%#x, %#x), ...}",
			  major(st.st_rdev), minor(st.st_rdev));
	else
		sb_printf(o, ", st_size=%lld, ...}", (long long)st.st_size);
	return 1;
}

static void print_statx(struct sbuf *o, const unsigned char *p, size_t len)
{
	struct statx sx = { 0 };
	memcpy(&sx, p, len < sizeof sx ? len : sizeof sx);
	sb_puts(o, "{stx_mask=");
	sct_print_xlat(o, &statx_mask, sx.stx_mask);
	sb_puts(o, ", stx_attributes=");
	sct_print_xlat(o, &statx_attr, sx.stx_attributes);
	sb_puts(o, ", stx_mode=");
	print_symbolic_mode(o, sx.stx_mode);
	sb_printf(o, ", stx_size=%llu, ...}", (unsigned long long)sx.stx_size);
}

static void print_statfs(struct sbuf *o, const unsigned char *p)
{
	struct statfs sf;
	memcpy(&sf, p, sizeof sf);
	unsigned long long type = (unsigned long long)sf.f_type;
	const char *nm = NULL;
	for (size_t i = 0; i < sizeof fsmagic_ent / sizeof fsmagic_ent[0]; i++)
		if (fsmagic_ent[i].val == type)
			nm = fsmagic_ent[i].name;
	sb_puts(o, "{f_type=");
	if (nm)
		sb_puts(o, nm);
	else
		sb_printf(o, "%#llx", type);
	int fsid[2];
	memcpy(fsid, &sf.f_fsid, sizeof fsid);
	sb_printf(o,
		  ", f_bsize=%lld, f_blocks=%llu, f_bfree=%llu, f_bavail=%llu, "
		  "f_files=%llu, f_ffree=%llu, f_fsid={val=[%#x, %#x]}, "
		  "f_namelen=%lld, f_frsize=%lld, f_flags=",
		  (long long)sf.f_bsize, (unsigned long long)sf.f_blocks,
		  (unsigned long long)sf.f_bfree,
		  (unsigned long long)sf.f_bavail,
		  (unsigned long long)sf.f_files,
		  (unsigned long long)sf.f_ffree, (unsigned)fsid[0],
		  (unsigned)fsid[1], (long long)sf.f_namelen,
		  (long long)sf.f_frsize);
	sct_print_xlat(o, &st_flags, (unsigned long long)sf.f_flags);
	sb_putc(o, '}');
}

static uint64_t rd64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static void print_sigaction(struct sbuf *o, const unsigned char *p)
{
	unsigned long long h = rd64(p), fl = rd64(p + 8), rs = rd64(p + 16);
	sb_puts(o, "{sa_handler=");
	if (h == 0)
		sb_puts(o, "SIG_DFL");
	else if (h == 1)
		sb_puts(o, "SIG_IGN");
	else if (h == ~0ULL)
		sb_puts(o, "SIG_ERR");
	else
		sb_printf(o, "%#llx", h);
	sb_puts(o, ", sa_mask=");
	print_sigmask(o, p + 24, 8);
	sb_puts(o, ", sa_flags=");
	sct_print_xlat(o, &sa_flags, fl);
	if (fl & SCT_SA_RESTORER) {
		sb_puts(o, ", sa_restorer=");
		print_ptr(o, rs);
	}
	sb_putc(o, '}');
}

static void print_utsname(struct sbuf *o, const unsigned char *p,
			  const struct sct_popts *po)
{
	sb_puts(o, "{sysname=");
	sct_print_str(o, p, strnlen((const char *)p, 65), 0, po);
	sb_puts(o, ", nodename=");
	sct_print_str(o, p + 65, strnlen((const char *)p + 65, 65), 0, po);
	sb_puts(o, ", ...}");
}

static void print_sockaddr(struct sbuf *o, const unsigned char *p, size_t len,
			   const struct sct_popts *po)
{
	unsigned fam = p[0] | (unsigned)p[1] << 8;
	char buf[INET6_ADDRSTRLEN];
	sb_puts(o, "{sa_family=");
	if (fam < sizeof af_names / sizeof af_names[0])
		sb_puts(o, af_names[fam]);
	else
		sb_printf(o, "%#x /* AF_??? */", fam);
	if (fam == AF_UNIX) {
		if (len > 2) {
			const unsigned char *path = p + 2;
			size_t n = len - 2;
			sb_puts(o, ", sun_path=");
			if (path[0] == 0 && n > 1) {
				sb_putc(o, '@');
				path++;
				n--;
			} else {
				n = strnlen((const char *)path, n);
			}
			sb_putc(o, '"');
			quote_bytes(o, path, n, xlevel_of(po), NULL);
			sb_putc(o, '"');
		}
	} else if (fam == AF_INET && len >= 8) {
		unsigned port = (unsigned)p[2] << 8 | p[3];
		inet_ntop(AF_INET, p + 4, buf, sizeof buf);
		sb_printf(o, ", sin_port=htons(%u), sin_addr=inet_addr(\"%s\")",
			  port, buf);
	} else if (fam == AF_INET6 && len >= 24) {
		unsigned port = (unsigned)p[2] << 8 | p[3];
		uint32_t flow = ntohl(rd32(p + 4));
		inet_ntop(AF_INET6, p + 8, buf, sizeof buf);
		sb_printf(o,
			  ", sin6_port=htons(%u), sin6_flowinfo=htonl(%u), "
			  "inet_pton(AF_INET6, \"%s\", &sin6_addr)",
			  port, flow, buf);
		if (len >= 28)
			sb_printf(o, ", sin6_scope_id=%u", rd32(p + 24));
	} else if (fam == AF_NETLINK && len >= 12) {
		sb_printf(o, ", nl_pid=%u, nl_groups=%#08x", rd32(p + 4),
			  rd32(p + 8));
	} else if (len > 2) {
		sb_puts(o, ", sa_data=");
		sct_print_str(o, p + 2, len - 2, 0, po);
	}
	sb_putc(o, '}');
}

/* the address ending a string array's blob (SCT_BF_UNTERM, SCT_BF_BADSTR),
 * else 0; *LEN: the bytes before it */
static uint64_t strarr_tail(const struct sct_blob *b, size_t *len)
{
	uint64_t a = 0;
	*len = b->len;
	if ((b->flags & (SCT_BF_UNTERM | SCT_BF_BADSTR)) && b->len >= sizeof a) {
		*len = b->len - sizeof a;
		memcpy(&a, sct_blob_data(b) + *len, sizeof a);
	}
	return a;
}

/* argv: NUL-terminated strings back to back; at most strsize of them.
 * As strace: an entry whose string cannot be read is its pointer, and an
 * array without a readable NULL ends with "... /" "* ADDR *" "/". */
static void print_strarr(struct sbuf *o, const struct sct_blob *b,
			 const struct sct_popts *po)
{
	const unsigned char *s = sct_blob_data(b);
	size_t off = 0, k = 0, max = strsize_of(po), len;
	uint64_t tail = strarr_tail(b, &len);
	int more = (b->flags & SCT_BF_TRUNC) != 0;
	sb_putc(o, '[');
	while (off < len) {
		if (k == max) {
			more = 1;
			break;
		}
		size_t l = strnlen((const char *)s + off, len - off);
		int cut = off + l == len; /* no NUL: the string was cut */
		if (k++)
			sb_puts(o, ", ");
		sct_print_str(o, s + off, l, cut, po);
		off += l + 1;
	}
	if (!more && (b->flags & SCT_BF_BADSTR) && k < max) {
		if (k++)
			sb_puts(o, ", ");
		print_ptr(o, tail);
	}
	if (more)
		sb_puts(o, k ? ", ..." : "...");
	else if (b->flags & SCT_BF_UNTERM)
		sb_printf(o, "%s... /* %#llx */", k ? ", " : "",
			  (unsigned long long)tail);
	sb_putc(o, ']');
}

/* ------------------------------------------------------------------------ */
/* arguments                                                                */

static const struct sct_sysent *sysent_of(const struct sct_rec *r)
{
	if (r->nr < SCT_NSYS && sct_sysent[r->nr].name[0])
		return &sct_sysent[r->nr];
	return NULL;
}

static const struct sct_xlat *xlat_of(unsigned idx)
{
	return idx && idx < sct_nxlat ? sct_xlats[idx] : NULL;
}

/* Values of int-sized kinds: the upper half of the register is not part
 * of the argument. */
static unsigned long long xlat_value(const struct sct_xlat *x,
				     unsigned long long v)
{
	for (unsigned i = 0; x && i < x->n; i++)
		if (x->ent[i].val > 0xffffffffULL)
			return v;
	if (x && x->field > 0xffffffffULL)
		return v;
	return v & 0xffffffffULL;
}

static int is_name(const struct sct_sysent *se, const char *name)
{
	return se && se->name[0] && strcmp(se->name, name) == 0;
}

static void print_kind(struct sbuf *o, const struct sct_ev *ev, int i,
		       const struct sct_argdesc *d, const struct sct_popts *po,
		       const struct sct_fdtab *fds)
{
	unsigned long long v = ev->rec->args[i];
	const struct sct_blob *b = ev->blob[i];
	const unsigned char *p = NULL;
	size_t len = 0;
	if (b && !(b->flags & SCT_BF_FAULT)) {
		p = sct_blob_data(b);
		len = b->len;
	}
	/* the fixed-size kinds need their whole struct */
	static const size_t fixsize[SCT_K__COUNT] = {
		[SCT_K_stat] = SCT_STAT_BYTES,
		[SCT_K_statfs] = sizeof(struct statfs),
		[SCT_K_statx] = SCT_STATX_PREFIX,
		[SCT_K_timespec] = 16,
		[SCT_K_timespec_out] = 16,
		[SCT_K_futex_time] = 16,
		[SCT_K_timeval] = 16,
		[SCT_K_timeval_out] = 16,
		[SCT_K_fds] = 8,
		[SCT_K_sigaction] = 32,
		[SCT_K_rlimit] = 16,
		[SCT_K_rlimit_out] = 16,
		[SCT_K_utsname] = 390,
		[SCT_K_intptr] = 4,
		[SCT_K_intptr_out] = 4,
		[SCT_K_envp] = 4,
		[SCT_K_sigset] = 1,
		[SCT_K_sigset_out] = 1,
		[SCT_K_sockaddr] = 2,
	};
	/* futex's val2, where its operation has no timeout */
	if (d->kind == SCT_K_futex_time && !sct_futex_timed(ev->rec->args[1])) {
		sb_printf(o, "%u", (unsigned)v);
		return;
	}
	if (d->kind < SCT_K__COUNT && fixsize[d->kind] &&
	    (!p || len < fixsize[d->kind])) {
		print_ptr(o, v);
		return;
	}

	switch ((enum sct_kind)d->kind) {
	case SCT_K_int:
		sb_printf(o, "%d", (int)v);
		break;
	case SCT_K_uint:
		sb_printf(o, "%u", (unsigned)v);
		break;
	case SCT_K_long:
	case SCT_K_off:
		sb_printf(o, "%lld", (long long)v);
		break;
	case SCT_K_ulong:
	case SCT_K_size:
		sb_printf(o, "%llu", v);
		break;
	case SCT_K_hex:
		sb_printf(o, "%#llx", v);
		break;
	case SCT_K_fd:
		print_fd(o, (int)v, fds, po);
		break;
	case SCT_K_dirfd:
		print_dirfd(o, (int)v, fds, po);
		break;
	case SCT_K_pid:
		sb_printf(o, "%d", (int)v);
		break;
	case SCT_K_uid:
		if ((uint32_t)v == UINT32_MAX)
			sb_puts(o, "-1");
		else
			sb_printf(o, "%u", (unsigned)v);
		break;
	case SCT_K_sig:
		print_sig(o, (int)v);
		break;
	case SCT_K_mode:
		print_mode(o, (unsigned)v);
		break;
	case SCT_K_ptr:
		print_ptr(o, v);
		break;
	case SCT_K_path:
	case SCT_K_str:
	case SCT_K_bufin:
	case SCT_K_bufout:
		if (p && v)
			sct_print_str(o, p, len, (b->flags & SCT_BF_TRUNC) != 0,
				      po);
		else
			print_ptr(o, v);
		break;
	case SCT_K_flags:
	case SCT_K_enum: {
		const struct sct_xlat *x = xlat_of(d->xlat);
		sct_print_xlat(o, x, xlat_value(x, v));
		break;
	}
	case SCT_K_stat:
		if (!print_stat(o, p, len))
			print_ptr(o, v);
		break;
	case SCT_K_statfs:
		print_statfs(o, p);
		break;
	case SCT_K_statx:
		print_statx(o, p, len);
		break;
	case SCT_K_timespec:
	case SCT_K_timespec_out:
	case SCT_K_futex_time:
		sb_printf(o, "{tv_sec=%lld, tv_nsec=%lld}", (long long)rd64(p),
			  (long long)rd64(p + 8));
		break;
	case SCT_K_timeval:
	case SCT_K_timeval_out:
		sb_printf(o, "{tv_sec=%lld, tv_usec=%lld}", (long long)rd64(p),
			  (long long)rd64(p + 8));
		break;
	case SCT_K_sockaddr:
		print_sockaddr(o, p, len, po);
		break;
	case SCT_K_fds: {
		int fd[2];
		memcpy(fd, p, sizeof fd);
		/* the names sct_fdtab_apply gives them (whether it has seen
		 * the call yet or not) */
		const struct sct_sysent *se = sysent_of(ev->rec);
		const char *name = se && strstr(se->name, "pipe")
					   ? "pipe:[?]"
					   : "socket:[?]";
		sb_putc(o, '[');
		for (int k = 0; k < 2; k++) {
			if (k)
				sb_puts(o, ", ");
			sb_printf(o, "%d", fd[k]);
			if (fds)
				print_fd_path(o, name, po);
		}
		sb_putc(o, ']');
		break;
	}
	case SCT_K_argv:
		if (p && v)
			print_strarr(o, b, po);
		else
			print_ptr(o, v);
		break;
	case SCT_K_envp: {
		print_ptr(o, v);
		if (v && p && len >= 4) {
			unsigned n = rd32(p);
			sb_printf(o, " /* %u var%s%s */", n, n == 1 ? "" : "s",
				  b->flags & SCT_BF_UNTERM ? ", unterminated" : "");
		}
		break;
	}
	case SCT_K_sigset:
	case SCT_K_sigset_out:
		print_sigmask(o, p, len);
		break;
	case SCT_K_sigaction:
		print_sigaction(o, p);
		break;
	case SCT_K_rlimit:
	case SCT_K_rlimit_out:
		sb_puts(o, "{rlim_cur=");
		print_rlim(o, rd64(p));
		sb_puts(o, ", rlim_max=");
		print_rlim(o, rd64(p + 8));
		sb_putc(o, '}');
		break;
	case SCT_K_utsname:
		print_utsname(o, p, po);
		break;
	case SCT_K_intptr:
	case SCT_K_intptr_out: {
		const struct sct_sysent *se = sysent_of(ev->rec);
		int val = (int)rd32(p);
		if (i == 1 && (is_name(se, "wait4") || is_name(se, "waitpid")))
			print_wait_status(o, val);
		else
			sb_printf(o, "[%d]", val);
		break;
	}
	default:
		sb_printf(o, "%#llx", v);
		break;
	}
}

/* Argument I of EV printed as described by D, whatever the syscall table
 * says (unit tests; decoders of calls the table does not describe). */
void sct_print_kind(struct sbuf *o, const struct sct_ev *ev, int i,
		    const struct sct_argdesc *d, const struct sct_popts *po,
		    const struct sct_fdtab *fds);
void sct_print_kind(struct sbuf *o, const struct sct_ev *ev, int i,
		    const struct sct_argdesc *d, const struct sct_popts *po,
		    const struct sct_fdtab *fds)
{
	if (i >= 0 && i < 6)
		print_kind(o, ev, i, d, po, fds);
}

void sct_print_arg(struct sbuf *o, const struct sct_ev *ev, int i,
		   const struct sct_popts *po, const struct sct_fdtab *fds)
{
	if (i < 0 || i >= 6)
		return;
	const struct sct_sysent *se = sysent_of(ev->rec);
	if (!se || i >= se->nargs) {
		sb_printf(o, "%#llx", (unsigned long long)ev->rec->args[i]);
		return;
	}
	print_kind(o, ev, i, &se->args[i], po, fds);
}

/* A conditional argument (open's mode) is shown when the previous one,
 * the flags, asks for a mode. */
static int cond_holds(unsigned long long flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

void sct_print_call(struct sbuf *o, const struct sct_ev *ev,
		    const struct sct_popts *po, const struct sct_fdtab *fds)
{
	const struct sct_rec *r = ev->rec;
	const struct sct_sysent *se = sysent_of(r);
	if (!se) {
		int n = r->nargs > 6 ? 6 : r->nargs;
		sb_printf(o, "syscall_%#x(", (unsigned)r->nr);
		for (int i = 0; i < n; i++)
			sb_printf(o, "%s%#llx", i ? ", " : "",
				  (unsigned long long)r->args[i]);
		sb_putc(o, ')');
		return;
	}
	sb_puts(o, se->name);
	sb_putc(o, '(');
	int n = se->nargs > 6 ? 6 : se->nargs;
	for (int i = 0; i < n; i++) {
		if (se->args[i].cond && i > 0 && !cond_holds(r->args[i - 1]))
			break;
		if (i)
			sb_puts(o, ", ");
		print_kind(o, ev, i, &se->args[i], po, fds);
	}
	sb_putc(o, ')');
}

/* ------------------------------------------------------------------------ */
/* return values                                                            */

static void print_err(struct sbuf *o, int err)
{
	const char *nm = sct_errno_name(err);
	const char *msg = NULL;
	char buf[128];
	switch (err) {
	case 512:
		msg = "To be restarted if SA_RESTART is set";
		break;
	case 513:
		msg = "To be restarted";
		break;
	case 514:
		msg = "To be restarted if no handler";
		break;
	case 516:
		msg = "Interrupted by signal";
		break;
	default:
		break;
	}
	if (msg) {
		sb_printf(o, " = ? %s (%s)", nm, msg);
		return;
	}
	if (!nm) {
		sb_printf(o, " = -1 (errno %d)", err);
		return;
	}
	msg = strerror_r(err, buf, sizeof buf);
	sb_printf(o, " = -1 %s (%s)", nm, msg);
}

/* Length of getcwd's result from the captured buffer, or 0. */
static long long cwd_len(const struct sct_ev *ev)
{
	const struct sct_blob *b = ev->blob[0];
	if (!b || (b->flags & SCT_BF_FAULT))
		return 0;
	size_t n = strnlen((const char *)sct_blob_data(b), b->len);
	if (n == b->len && (b->flags & SCT_BF_TRUNC))
		return 0;
	return (long long)n + 1;
}

/* Does a successful call of R return a new descriptor? */
static int returns_fd(const struct sct_rec *r, const struct sct_sysent *se)
{
	if (!se)
		return 0;
	if (se->ret == SCT_R_fd)
		return 1;
	return is_name(se, "fcntl") &&
	       (r->args[1] == F_DUPFD || r->args[1] == F_DUPFD_CLOEXEC);
}

/* " = 3", with -y (FDS not NULL) " = 3</etc/passwd>": FDS must then be
 * the table after the call (sct_fdtab_apply). */
void sct_print_ret_fds(struct sbuf *o, const struct sct_ev *ev,
		       const struct sct_fdtab *fds);
void sct_print_ret_fds(struct sbuf *o, const struct sct_ev *ev,
		       const struct sct_fdtab *fds)
{
	const struct sct_rec *r = ev->rec;
	const struct sct_sysent *se = sysent_of(r);
	int rk = se ? se->ret : SCT_R_long;
	if (r->flags & SCT_RF_NORETURN) {
		sb_puts(o, " = ?");
		return;
	}
	if (r->flags & SCT_RF_ERROR) {
		print_err(o, r->err);
		return;
	}
	switch (rk) {
	case SCT_R_errret:
		if (r->ret > 0)
			print_err(o, (int)r->ret);
		else
			sb_printf(o, " = %lld", (long long)r->ret);
		break;
	case SCT_R_hex:
		sb_printf(o, " = %#llx", (unsigned long long)r->ret);
		break;
	case SCT_R_ptrnull: {
		long long n = cwd_len(ev);
		if (n)
			sb_printf(o, " = %lld", n);
		else
			sb_printf(o, " = %#llx", (unsigned long long)r->ret);
		break;
	}
	case SCT_R_void:
		sb_puts(o, " = ?");
		break;
	default:
		sb_printf(o, " = %lld", (long long)r->ret);
		if (fds && r->ret >= 0 && r->ret <= INT32_MAX &&
		    returns_fd(r, se)) {
			const char *path = sct_fdtab_get(fds, (int)r->ret);
			if (path)
				print_fd_path(o, path, NULL);
		}
		break;
	}
}

void sct_print_ret(struct sbuf *o, const struct sct_ev *ev)
{
	sct_print_ret_fds(o, ev, NULL);
}
