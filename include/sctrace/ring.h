/* sctrace ring and record format: shared by the preload writer and the dumper.
 *
 * One ring per traced thread, in a file of the ring directory
 * (SCTRACE_DIR, default /dev/shm/sctrace-UID), named PID-TID-SEQ.ring, mode
 * 0600.  The file is a 4 KiB header page followed by a power-of-two data area
 * (and a staging area, see below).
 * Records are 8-byte aligned, variable sized, never split across the end of
 * the data area (a PAD record fills the tail instead).
 *
 * Positions (head, tail, consumed) are byte counts that only grow; the offset
 * in the data area is pos & (data_size - 1).
 *
 * Single writer (the owning thread), any number of readers.  A record's
 * first 8-byte word (len, type, nr) says what is at a position:
 *   - len != 0: a committed record (or PAD) of len bytes.  The writer stores
 *     len last, with release; readers load the word with acquire.
 *   - len == 0, type == 0 (the word is 0): the end, nothing written here
 *     yet.  Every commit stores this END word at the position just after
 *     its record, before the record's len, so a reader never runs into
 *     bytes of an older lap; the 8 bytes after the newest record are
 *     therefore always free (the writer reserves them with each record).
 *   - len == 0, type != 0: a record being written (the writer stores
 *     SCT_REC_WIP there when it reserves it).  A dead writer that left one
 *     died mid-record: the reader flags a torn record there and keeps
 *     everything before it.
 * So readers find the end of the data from the data alone.
 *
 * Staging (version 5).  Writing a page of the data area through the
 * writer's own mapping for the first time costs a page fault, and on some
 * virtual machines ~5-10 us more (the host's shadow page tables), ~1.5 ns
 * a byte of records.  So a ring may have a staging area after its data
 * area (stage_size bytes, a power of two, 0 = none): two halves that the
 * writer fills in turn, and copies whole into the data area when it
 * leaves one (process_vm_writev: the kernel writes the pages, ~10x
 * cheaper), until the data area's first lap is done; from then on it
 * writes the data area directly, as a ring without staging does.  Records
 * and PADs then never cross a half (a PAD fills each half's tail), and
 * the positions from stage_pos on (the half being filled) live in the
 * staging area at pos & (stage_size - 1), the others in the data area.
 * stage_pos only grows (release), and is UINT64_MAX when nothing is
 * staged.  (In the first lap, then, a PAD fills the rest of a half, and
 * records are checked against the end of their half.)  A reader that copied bytes from the staging area checks
 * stage_pos again after the copy (acquire): still <= pos, the half was
 * not even copied out, so not reused; beyond it, the bytes are in the
 * data area now: read them there.  The header's
 * head and records are published lazily, at least when the data crosses a
 * page, before tail moves and with every event record (thread start and
 * exit, exec, exit): a record boundary at or before the end, and the
 * records committed up to it.  (A store to the header page for every
 * record would cost every traced call a page walk: on a kernel with
 * page-table isolation and no PCID the TLB is flushed by each syscall.)
 *   - tail is the oldest intact record; the writer advances it (release)
 *     before overwriting; readers re-check tail (acquire) after copying a
 *     record and discard the copy when the writer overran it.
 *   - consumed is written by the live reader (release) and read by the writer
 *     (acquire) in drop mode, so a live reader frees room.
 */
#ifndef SCTRACE_RING_H
#define SCTRACE_RING_H

#include <stdint.h>

#define SCT_RING_MAGIC   0x31474e4952544353ULL /* "SCTRING1" little endian */
#define SCT_RING_VERSION 5 /* 5: staging; 4: stat's window (kinds.h); 3 is read too */
#define SCT_RING_VERSION_MIN 3
#define SCT_HDR_SIZE     4096u
#define SCT_NO_WIP       UINT64_MAX /* "no position" (torn_at) */
#define SCT_NO_STAGE     UINT64_MAX /* stage_pos: nothing staged */
#define SCT_ALIGN(n)     (((n) + 7u) & ~(uint64_t)7u)

enum sct_ring_flags {
	SCT_RING_OVERWRITE = 1u << 0, /* flight recorder: overwrite oldest */
};

enum sct_ring_state {
	SCT_STATE_LIVE = 1,   /* thread running */
	SCT_STATE_EXITED = 2, /* thread or process exited normally */
	SCT_STATE_EXECED = 3, /* process image replaced by exec */
};

enum sct_trap_mode { /* which trap layer fed this ring (issue 4) */
	SCT_TRAP_OFF = 0,
	SCT_TRAP_SUD = 1,
	SCT_TRAP_SECCOMP = 2,
};

struct sct_ring_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_size;     /* offset of the data area */
	uint64_t data_size;    /* power of two */
	uint32_t pid;
	uint32_t tid;
	uint32_t ppid;
	uint32_t flags;        /* enum sct_ring_flags */
	uint32_t str_max;      /* capture bound for strings/buffers */
	uint32_t trap_mode;    /* enum sct_trap_mode */
	uint64_t mono_start;   /* CLOCK_MONOTONIC ns at creation */
	int64_t  real_offset;  /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	uint64_t seq;          /* creation order within the process */
	char     comm[16];     /* short program name */
	char     exe[256];     /* program path (NUL terminated, truncated) */
	uint64_t image;        /* image id: names its side file PID-IMAGE.stk
				  (include/sctrace/stack.h), 0 = none */
	uint64_t stage_size;   /* the staging area after the data area, 0 = none
				  (a power of two <= data_size / 2) */
	/* --- writer-updated fields (own cache line) --- */
	uint64_t _pad0[3];
	uint64_t head;         /* a record boundary <= the end of committed
				  data, published lazily (release) */
	uint64_t tail;         /* oldest intact record (release by writer) */
	uint64_t stage_pos;    /* positions >= it are in the staging area
				  (release); SCT_NO_STAGE: none (versions
				  3 and 4 hold SCT_NO_WIP there: the same) */
	uint64_t records;      /* records committed before head (lazily) */
	uint64_t lost;         /* records dropped: ring full (drop mode) */
	uint64_t lost_reentrant; /* records dropped: signal hit the writer */
	uint64_t overwritten;  /* records overwritten (overwrite mode) */
	uint32_t state;        /* enum sct_ring_state */
	int32_t  exit_status;  /* for SCT_STATE_EXITED, when known, else -1 */
	/* --- reader-updated fields (own cache line) --- */
	uint64_t consumed;     /* live reader position (release by reader) */
	uint64_t _pad2[7];
};

enum sct_rec_type {
	SCT_REC_PAD = 0,      /* filler up to the end of the data area */
	SCT_REC_SYSCALL = 1,  /* a completed (or never returning) syscall */
	SCT_REC_START = 2,    /* image started tracing: argv blob, ret = envc */
	SCT_REC_EXEC = 3,     /* about to exec (written by the old image) */
	SCT_REC_EXIT = 4,     /* process exit (ret = status) */
	SCT_REC_THREAD_EXIT = 5,
	SCT_REC_THREAD_START = 6,
	SCT_REC_FORK = 7,     /* new process from fork: ret = parent pid */
	SCT_REC_WIP = 0xffff, /* reserved, being written (with len 0) */
};

enum sct_via {
	SCT_VIA_LIBC = 0, /* a generated wrapper of a libc function */
	SCT_VIA_TRAP = 1, /* the trap layer (issue 4) */
};

enum sct_rec_flags {
	SCT_RF_NORETURN = 1u << 0, /* recorded at entry: exec, exit (ret unknown) */
	SCT_RF_ERROR = 1u << 1,    /* ret is -1 and err holds errno */
};

/* Fixed part of every record, as readers see it.  Followed by blobs
 * (struct sct_blob).  In the ring (version 3) a record's trailing zero
 * arguments are not stored: argtrim of them, the last ones of args[], are
 * 0 and absent, and the blobs start where args[6 - argtrim] would (a
 * getppid record is 56 bytes, not 104).  The reader puts them back:
 * sct_rring_next() returns every record with all six, argtrim 0. */
struct sct_rec {
	uint32_t len;       /* whole record in bytes, multiple of 8 */
	uint16_t type;      /* enum sct_rec_type */
	uint16_t nr;        /* syscall number (SCT_REC_SYSCALL) */
	uint16_t fn;        /* libc entry point index (generated), 0 = none */
	uint8_t  via;       /* enum sct_via */
	uint8_t  nargs;     /* arguments valid in args[] */
	uint16_t flags;     /* enum sct_rec_flags */
	uint16_t nblobs;
	int32_t  err;       /* errno when SCT_RF_ERROR, else 0 */
	uint32_t stack_id;  /* interned caller stack (issue 5), 0 = none */
	uint32_t tid;       /* thread that made the call */
	uint8_t  argtrim;   /* trailing args (all 0) not stored in the ring */
	uint8_t  _pad[3];
	uint64_t ts;        /* CLOCK_MONOTONIC ns at entry */
	uint64_t dur;       /* ns spent in the real call */
	int64_t  ret;
	uint64_t args[6];
};

enum sct_blob_flags {
	SCT_BF_TRUNC = 1u << 0, /* more bytes existed than were captured */
	SCT_BF_OUT = 1u << 1,   /* captured after the call */
	SCT_BF_FAULT = 1u << 2, /* memory not readable: address kept */
	/* string arrays (argv, envp), whose capture stops at the first
	 * unreadable word; its address is the blob's last 8 bytes: */
	SCT_BF_UNTERM = 1u << 3, /* the array's next entry (no NULL seen) */
	SCT_BF_BADSTR = 1u << 4, /* an entry's string: printed as a pointer */
};

/* Captured memory of one argument, padded to 8 bytes. */
struct sct_blob {
	uint8_t  arg;       /* argument index, 0xff: record-level (argv...) */
	uint8_t  flags;     /* enum sct_blob_flags */
	uint16_t _pad;
	uint32_t len;       /* bytes of data that follow */
};

_Static_assert(sizeof(struct sct_ring_hdr) <= SCT_HDR_SIZE, "header page");
_Static_assert(sizeof(struct sct_ring_hdr) % 64 == 0, "header lines");
_Static_assert(__builtin_offsetof(struct sct_ring_hdr, head) % 64 == 0,
	       "writer fields on their own cache line");
_Static_assert(__builtin_offsetof(struct sct_ring_hdr, consumed) % 64 == 0,
	       "reader fields on their own cache line");
_Static_assert(sizeof(struct sct_rec) == 104, "record layout");
/* the bytes of a record before its arguments: the shortest record */
#define SCT_REC_HEAD 56u
_Static_assert(__builtin_offsetof(struct sct_rec, args) == SCT_REC_HEAD,
	       "record head");

/* Is WORD (a record's first 8 bytes, len != 0) a well-formed header at a
 * position ROOM bytes before the end of the data area: a PAD reaching
 * that end, or a record of at least SCT_REC_HEAD bytes, a multiple of 8,
 * not crossing it?  (Writer and readers alike.) */
static inline int sct_rec_word_ok(uint64_t word, uint64_t room)
{
	const uint64_t len = (uint32_t)word;
	if (((word >> 32) & 0xffff) == SCT_REC_PAD)
		return len == room;
	return len >= SCT_REC_HEAD && len % 8 == 0 && len <= room;
}
/* Bytes from position POS to the end of its segment, which a record never
 * crosses and a PAD fills: the data area's end (SIZE), or, in the first lap
 * of a ring with staging (halves of HALF bytes, 0 = none), its half's. */
static inline uint64_t sct_seg_room(uint64_t pos, uint64_t size, uint64_t half)
{
	return half && pos < size ? half - (pos & (half - 1))
				  : size - (pos & (size - 1));
}
_Static_assert(sizeof(struct sct_rec) % 8 == 0, "record alignment");
_Static_assert(sizeof(struct sct_blob) == 8, "blob layout");

#endif
