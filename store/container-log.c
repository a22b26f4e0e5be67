/*
 * Container logs on disk: the record format (see log.h), the writer that
 * cuts a container's output into records and rotates segments, the
 * helper-side compression of rotated segments, and the readers that
 * replay, tail and follow a log across its segments.
 *
 * Everything goes through the directory fd given at open: openat,
 * renameat, unlinkat, never following a symlink, fds close-on-exec.
 * Only the writer renames segments; a helper compressing a segment works
 * while the writer holds rotation (log_hold_rotation), so a name never
 * changes under it.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "cleanup.h"
#include "container-log.h"

#define LOG_MAGIC		0xb1
#define LOG_FLAG_PARTIAL	0x01
#define LOG_HDR_SIZE		20
#define LOG_MODE		0640
#define LOG_NAME_MAX		200	/* room for ".log.NNNNNN.zst.tmp" */
#define LOG_SEGMENT_MAX		100000	/* highest rotated segment number */
#define LOG_BATCH_SIZE		(64 * 1024)
#define LOG_READ_SIZE		(64 * 1024)
#define LOG_ZSTD_LEVEL		3

_Static_assert(LOG_BATCH_SIZE >= LOG_LINE_MAX + LOG_RECORD_OVERHEAD,
    "a record fits the batch buffer");
_Static_assert(LOG_READ_SIZE >= 2 * (LOG_LINE_MAX + LOG_RECORD_OVERHEAD),
    "a record fits the read buffer with room to refill");

struct rec_hdr {
	unsigned	 stream;
	unsigned	 flags;
	uint32_t	 len;
	int64_t		 ts;
	uint32_t	 crc;
};

/* A partial line waiting for its newline, one per stream. */
struct log_pending {
	int64_t		 ts;		/* when its first bytes were read */
	size_t		 len;
	char		*buf;		/* LOG_LINE_MAX, once a line waits */
};

struct log_writer {
	int		 dirfd;
	char		*name;
	char		*path;		/* "<name>.log" */
	struct log_opts	 opts;
	int		 fd;
	uint64_t	 size;		/* of the active segment, on disk */
	bool		 hold;		/* no rotation: a helper compresses */
	bool		 rescan;	/* rotated since log_rotated_pending */
	struct log_pending pending[2];
	size_t		 batch_len;
	unsigned char	*batch;		/* log_batch: see there */
};

/*
 * The records of one log_write or log_flush call, written with one
 * write(2) before the call returns: one buffer serves every writer (the
 * callers run on berthd's one thread), so that a container that is
 * quiet costs no buffer at all.
 */
static unsigned char log_batch[LOG_BATCH_SIZE];

/* One segment being read: plain or zstd, buffered. */
struct log_source {
	char		*name;
	int		 fd;
	bool		 zst;
	bool		 active;	/* the writer may still append */
	dev_t		 dev;
	ino_t		 ino;
	uint64_t	 offset;	/* of buf[pos] in the (decoded) segment */
	unsigned char	*buf;
	size_t		 pos, len;
	ZSTD_DStream	*zds;
	unsigned char	*in;
	size_t		 in_size, in_pos, in_len;
	bool		 in_eof;
};

struct log_reader {
	int		 dirfd;
	char		*name;
	char		*path;
	struct log_query q;
	struct log_source **src;
	size_t		 nsrc, cur;
	bool		 have_active;	/* the active segment is queued */
	uint64_t	 skip;		/* matching records to pass (tail) */
};

struct log_segment {
	unsigned	 k;
	bool		 plain;
	bool		 zst;
};

enum seg_kind { SEG_NONE, SEG_ACTIVE, SEG_PLAIN, SEG_ZST, SEG_TMP };

static void	source_free(struct log_source *);

static inline void
cleanup_sourcep(struct log_source **s)
{
	source_free(*s);
}
#define cleanup_source __attribute__((cleanup(cleanup_sourcep)))

static inline void
cleanup_cctxp(ZSTD_CCtx **c)
{
	ZSTD_freeCCtx(*c);
}
#define cleanup_cctx __attribute__((cleanup(cleanup_cctxp)))

/* CRC-32C (Castagnoli), table built on first use. */
static uint32_t crc_table[256];
static bool crc_ready;

static uint32_t
crc32c(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t c;
	int i, j;

	if (!crc_ready) {
		for (i = 0; i < 256; i++) {
			c = (uint32_t)i;
			for (j = 0; j < 8; j++)
				c = (c & 1) ? (c >> 1) ^ 0x82f63b78 : c >> 1;
			crc_table[i] = c;
		}
		crc_ready = true;
	}
	crc = ~crc;
	while (len-- > 0)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return (~crc);
}

static void
put_u32(unsigned char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t
get_u32(const unsigned char *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

static void
put_u64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_u64(const unsigned char *p)
{
	return ((uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32);
}

/* Encode a record whose data is d1 then d2 at p; returns its size. */
static size_t
record_encode(unsigned char *p, enum log_stream s, unsigned flags,
    int64_t ts, const void *d1, size_t n1, const void *d2, size_t n2)
{
	uint32_t len = (uint32_t)(n1 + n2), crc;

	p[0] = LOG_MAGIC;
	p[1] = (unsigned char)s;
	p[2] = (unsigned char)flags;
	p[3] = 0;
	put_u32(p + 4, len);
	put_u64(p + 8, (uint64_t)ts);
	if (n1 > 0)
		memcpy(p + LOG_HDR_SIZE, d1, n1);
	if (n2 > 0)
		memcpy(p + LOG_HDR_SIZE + n1, d2, n2);
	crc = crc32c(crc32c(0, p, 16), p + LOG_HDR_SIZE, len);
	put_u32(p + 16, crc);
	put_u32(p + LOG_HDR_SIZE + len, len);
	return (LOG_RECORD_OVERHEAD + len);
}

/* Decode and bound a header; -1 when it cannot be one of ours. */
static int
record_decode(const unsigned char *p, struct rec_hdr *h)
{
	if (p[0] != LOG_MAGIC || p[3] != 0)
		return (-1);
	h->stream = p[1];
	h->flags = p[2];
	h->len = get_u32(p + 4);
	h->ts = (int64_t)get_u64(p + 8);
	h->crc = get_u32(p + 16);
	if ((h->stream != LOG_STDOUT && h->stream != LOG_STDERR) ||
	    (h->flags & ~LOG_FLAG_PARTIAL) != 0 || h->len > LOG_LINE_MAX)
		return (-1);
	return (0);
}

static bool
record_check(const unsigned char *p, const struct rec_hdr *h)
{
	return (get_u32(p + LOG_HDR_SIZE + h->len) == h->len &&
	    crc32c(crc32c(0, p, 16), p + LOG_HDR_SIZE, h->len) == h->crc);
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* pread until n bytes or the end of the file: the count read, or -1. */
static ssize_t
pread_full(int fd, void *buf, size_t n, off_t off)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return (-1);
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return ((ssize_t)got);
}

static int
check_name(const char *name, const char *what, struct berth_error *err)
{
	size_t len = strlen(name);

	if (len == 0 || len > LOG_NAME_MAX || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, EINVAL,
		    "invalid log %s \"%s\"", what, name));
	return (0);
}

/* What file of log name a directory entry is, and its number. */
static enum seg_kind
segment_parse(const char *name, const char *file, unsigned *k)
{
	size_t namelen = strlen(name);
	const char *p;
	unsigned long v = 0;

	if (strncmp(file, name, namelen) != 0 ||
	    strncmp(file + namelen, ".log", 4) != 0)
		return (SEG_NONE);
	p = file + namelen + 4;
	if (*p == '\0')
		return (SEG_ACTIVE);
	if (*p++ != '.' || *p < '1' || *p > '9')
		return (SEG_NONE);
	for (; *p >= '0' && *p <= '9'; p++)
		if ((v = v * 10 + (unsigned long)(*p - '0')) > LOG_SEGMENT_MAX)
			return (SEG_NONE);
	*k = (unsigned)v;
	if (*p == '\0')
		return (SEG_PLAIN);
	if (strcmp(p, ".zst") == 0)
		return (SEG_ZST);
	if (strcmp(p, ".zst.tmp") == 0)
		return (SEG_TMP);
	return (SEG_NONE);
}

static DIR *
open_dir(int dirfd, struct berth_error *err)
{
	DIR *d;
	int fd;

	/* A fd of our own: readdir must not move the caller's offset. */
	fd = openat(dirfd, ".", O_RDONLY|O_DIRECTORY|O_CLOEXEC);
	if (fd == -1) {
		berth_error_sys(err, "open log directory");
		return (NULL);
	}
	if ((d = fdopendir(fd)) == NULL) {
		berth_error_sys(err, "open log directory");
		close(fd);
	}
	return (d);
}

static int
segment_cmp(const void *a, const void *b)
{
	const struct log_segment *x = a, *y = b;

	return (x->k < y->k ? -1 : x->k > y->k);
}

/* The rotated segments of a log, by number ascending (newest first). */
static int
list_segments(int dirfd, const char *name, struct log_segment **out,
    size_t *n, struct berth_error *err)
{
	cleanup_dir DIR *d = NULL;
	cleanup_free struct log_segment *v = NULL;
	struct log_segment *nv;
	struct dirent *de;
	enum seg_kind kind;
	size_t cnt = 0, cap = 0, i, j;
	unsigned k;

	if ((d = open_dir(dirfd, err)) == NULL)
		return (-1);
	while ((errno = 0, de = readdir(d)) != NULL) {
		kind = segment_parse(name, de->d_name, &k);
		if (kind != SEG_PLAIN && kind != SEG_ZST)
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				return (berth_error_sys(err,
				    "list log segments"));
			v = nv;
		}
		v[cnt].k = k;
		v[cnt].plain = kind == SEG_PLAIN;
		v[cnt].zst = kind == SEG_ZST;
		cnt++;
	}
	if (errno != 0)
		return (berth_error_sys(err, "list log segments"));
	if (cnt > 0)
		qsort(v, cnt, sizeof(*v), segment_cmp);
	/* Merge the plain and compressed forms of one number. */
	for (i = 0, j = 0; i < cnt; i++) {
		if (j > 0 && v[j - 1].k == v[i].k) {
			v[j - 1].plain |= v[i].plain;
			v[j - 1].zst |= v[i].zst;
		} else
			v[j++] = v[i];
	}
	*n = j;
	*out = steal_pointer(&v);
	return (0);
}

static void
segment_name(char *buf, size_t size, const char *name, unsigned k,
    const char *suffix)
{
	snprintf(buf, size, "%s.log.%u%s", name, k, suffix);
}

static int
unlink_quiet(int dirfd, const char *file, struct berth_error *err)
{
	if (unlinkat(dirfd, file, 0) == -1 && errno != ENOENT)
		return (berth_error_sys(err, "remove log %s", file));
	return (0);
}

/*
 * Reading a segment.
 */

static int
source_open(int dirfd, const char *file, bool zst, struct log_source **out,
    struct berth_error *err)
{
	cleanup_source struct log_source *s = NULL;
	struct stat st;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->name = strdup(file)) == NULL)
		return (berth_error_sys(err, "allocate log reader"));
	s->zst = zst;
	s->fd = openat(dirfd, file, O_RDONLY|O_CLOEXEC|O_NOFOLLOW);
	if (s->fd == -1)
		return (berth_error_sys(err, "open log %s", file));
	if (fstat(s->fd, &st) == -1)
		return (berth_error_sys(err, "stat log %s", file));
	if (!S_ISREG(st.st_mode))
		return (berth_error_set(err, STORE_E_LOG_CORRUPT, EINVAL,
		    "log %s is not a regular file", file));
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	*out = steal_pointer(&s);
	return (0);
}

static void
source_free(struct log_source *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	ZSTD_freeDStream(s->zds);
	free(s->in);
	free(s->buf);
	free(s->name);
	free(s);
}

/* Go back to a record boundary: any offset in a plain segment, only the
 * start in a compressed one. */
static int
source_seek(struct log_source *s, uint64_t off, struct berth_error *err)
{
	if (lseek(s->fd, (off_t)off, SEEK_SET) == -1)
		return (berth_error_sys(err, "seek log %s", s->name));
	s->offset = off;
	s->pos = s->len = 0;
	s->in_pos = s->in_len = 0;
	s->in_eof = false;
	if (s->zds != NULL)
		ZSTD_DCtx_reset(s->zds, ZSTD_reset_session_only);
	return (0);
}

static ssize_t
source_read(struct log_source *s, struct berth_error *err)
{
	ssize_t n;

	do
		n = read(s->fd, s->buf + s->len, LOG_READ_SIZE - s->len);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return (berth_error_sys(err, "read log %s", s->name));
	s->len += (size_t)n;
	return (n);
}

static ssize_t
source_decode(struct log_source *s, struct berth_error *err)
{
	ZSTD_inBuffer ib;
	ZSTD_outBuffer ob;
	size_t ret;
	ssize_t n;

	for (;;) {
		if (s->in_pos == s->in_len && !s->in_eof) {
			do
				n = read(s->fd, s->in, s->in_size);
			while (n == -1 && errno == EINTR);
			if (n == -1)
				return (berth_error_sys(err, "read log %s",
				    s->name));
			s->in_eof = n == 0;
			s->in_pos = 0;
			s->in_len = (size_t)n;
		}
		ib = (ZSTD_inBuffer){ s->in, s->in_len, s->in_pos };
		ob = (ZSTD_outBuffer){ s->buf + s->len,
		    LOG_READ_SIZE - s->len, 0 };
		ret = ZSTD_decompressStream(s->zds, &ob, &ib);
		if (ZSTD_isError(ret))
			return (berth_error_set(err, STORE_E_LOG_CORRUPT,
			    EBADMSG, "decompress log %s: %s", s->name,
			    ZSTD_getErrorName(ret)));
		s->in_pos = ib.pos;
		s->len += ob.pos;
		if (ob.pos > 0)
			return ((ssize_t)ob.pos);
		/* A truncated frame ends the segment like a torn record. */
		if (s->in_eof && ib.pos == ib.size)
			return (0);
	}
}

/* Make need bytes available at buf[pos]: 1, 0 at the end, -1 error. */
static int
source_fill(struct log_source *s, size_t need, struct berth_error *err)
{
	size_t have;
	ssize_t n;

	if (s->buf == NULL && (s->buf = malloc(LOG_READ_SIZE)) == NULL)
		return (berth_error_sys(err, "allocate log buffer"));
	if (s->zst && s->zds == NULL) {
		s->in_size = ZSTD_DStreamInSize();
		if ((s->in = malloc(s->in_size)) == NULL ||
		    (s->zds = ZSTD_createDStream()) == NULL)
			return (berth_error_sys(err, "allocate log buffer"));
	}
	while ((have = s->len - s->pos) < need) {
		if (s->pos > 0 && (s->pos >= LOG_READ_SIZE / 2 ||
		    LOG_READ_SIZE - s->len < need - have)) {
			memmove(s->buf, s->buf + s->pos, have);
			s->pos = 0;
			s->len = have;
		}
		n = s->zst ? source_decode(s, err) : source_read(s, err);
		if (n <= 0)
			return ((int)n);
	}
	return (1);
}

/*
 * The next record of a segment: 1, 0 when the segment holds no complete
 * record more (yet), -1 for a corrupt one.  An incomplete record is left
 * unconsumed, so that a later call finds it whole once the writer has
 * finished it.
 */
static int
source_record(struct log_source *s, struct rec_hdr *h, const char **data,
    struct berth_error *err)
{
	unsigned char *p;
	int r;

	if ((r = source_fill(s, LOG_HDR_SIZE, err)) <= 0)
		return (r);
	if (record_decode(s->buf + s->pos, h) == -1)
		return (berth_error_set(err, STORE_E_LOG_CORRUPT, EBADMSG,
		    "log %s: bad record header at offset %llu", s->name,
		    (unsigned long long)s->offset));
	r = source_fill(s, LOG_RECORD_OVERHEAD + h->len, err);
	if (r <= 0)
		return (r);
	p = s->buf + s->pos;
	if (!record_check(p, h))
		return (berth_error_set(err, STORE_E_LOG_CORRUPT, EBADMSG,
		    "log %s: bad record checksum at offset %llu", s->name,
		    (unsigned long long)s->offset));
	*data = (const char *)p + LOG_HDR_SIZE;
	s->pos += LOG_RECORD_OVERHEAD + h->len;
	s->offset += LOG_RECORD_OVERHEAD + h->len;
	return (1);
}

/*
 * Whether a complete record ends at end in a plain segment: 1 (its start
 * and header filled), 0, -1 on an I/O error.  verify checks the data's
 * checksum too, for a writer deciding what to keep.
 */
static int
record_before(int fd, uint64_t end, bool verify, struct rec_hdr *h,
    uint64_t *start, struct berth_error *err)
{
	unsigned char t[4], rec[LOG_RECORD_OVERHEAD + LOG_LINE_MAX];
	uint64_t at;
	size_t want;
	ssize_t n;
	uint32_t len;

	if (end < LOG_RECORD_OVERHEAD)
		return (0);
	if ((n = pread_full(fd, t, sizeof(t), (off_t)(end - 4))) == -1)
		return (berth_error_sys(err, "read log"));
	if (n != sizeof(t))
		return (0);
	len = get_u32(t);
	if (len > LOG_LINE_MAX || end < LOG_RECORD_OVERHEAD + (uint64_t)len)
		return (0);
	at = end - LOG_RECORD_OVERHEAD - len;
	want = verify ? LOG_RECORD_OVERHEAD + len : LOG_HDR_SIZE;
	if ((n = pread_full(fd, rec, want, (off_t)at)) == -1)
		return (berth_error_sys(err, "read log"));
	if ((size_t)n != want || record_decode(rec, h) == -1 || h->len != len)
		return (0);
	if (verify && !record_check(rec, h))
		return (0);
	*start = at;
	return (1);
}

/*
 * The writer.
 */

/* Where the complete records of the active segment end: a torn write
 * leaves a record without its trailer, found by walking forward. */
static int
valid_end(struct log_writer *w, uint64_t size, uint64_t *end,
    struct berth_error *err)
{
	cleanup_source struct log_source *s = NULL;
	struct rec_hdr h;
	const char *data;
	uint64_t start;
	int r;

	if (size == 0 || (r = record_before(w->fd, size, true, &h, &start,
	    err)) == 1) {
		*end = size;
		return (0);
	}
	if (r == -1 || source_open(w->dirfd, w->path, false, &s, err) == -1)
		return (-1);
	while ((r = source_record(s, &h, &data, err)) == 1)
		;
	/* A corrupt record ends what is kept, like a torn one; any other
	 * failure (memory, I/O) must not cut the log. */
	if (r == -1 && !berth_error_is(err, STORE_E_LOG_CORRUPT))
		return (-1);
	berth_error_clear(err);
	*end = s->offset;
	return (0);
}

int
log_writer_open(int dirfd, const char *name, const struct log_opts *opts,
    struct log_writer **out, struct berth_error *err)
{
	cleanup_log_writer struct log_writer *w = NULL;
	struct stat st;
	uint64_t end;

	if (check_name(name, "name", err) == -1)
		return (-1);
	if (opts->max_files < 1 || opts->max_files > LOG_SEGMENT_MAX)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, EINVAL,
		    "log max_files must be 1 to %d", LOG_SEGMENT_MAX));
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return (berth_error_sys(err, "allocate log writer"));
	w->fd = -1;
	w->dirfd = -1;
	w->opts = *opts;
	w->rescan = true;
	if ((w->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return (berth_error_sys(err, "open log %s", name));
	if ((w->name = strdup(name)) == NULL ||
	    asprintf(&w->path, "%s.log", name) == -1) {
		w->path = NULL;
		return (berth_error_sys(err, "allocate log writer"));
	}
	w->fd = openat(w->dirfd, w->path,
	    O_RDWR|O_APPEND|O_CREAT|O_CLOEXEC|O_NOFOLLOW, LOG_MODE);
	if (w->fd == -1)
		return (berth_error_sys(err, "open log %s", w->path));
	if (fstat(w->fd, &st) == -1)
		return (berth_error_sys(err, "stat log %s", w->path));
	if (!S_ISREG(st.st_mode))
		return (berth_error_set(err, BERTH_E_SYSTEM, EINVAL,
		    "log %s is not a regular file", w->path));
	if (valid_end(w, (uint64_t)st.st_size, &end, err) == -1)
		return (berth_error_wrap(err, "open log %s", w->path));
	if (end < (uint64_t)st.st_size && ftruncate(w->fd, (off_t)end) == -1)
		return (berth_error_sys(err, "cut torn record off log %s",
		    w->path));
	w->size = end;
	*out = steal_pointer(&w);
	return (0);
}

/* One write for the records gathered; a failed write is cut off again
 * so that the segment never holds half a record before a whole one. */
static int
writer_push(struct log_writer *w, struct berth_error *err)
{
	size_t len = w->batch_len;

	if (len == 0)
		return (0);
	w->batch_len = 0;
	if (write_all(w->fd, w->batch, len) == -1) {
		berth_error_sys(err, "write log %s", w->path);
		if (ftruncate(w->fd, (off_t)w->size) == -1)
			berth_error_wrap(err, "and cut it back");
		return (-1);
	}
	w->size += len;
	return (0);
}

/*
 * Shift the rotated segments up by one (.1 -> .2 ...), dropping those
 * beyond max_files - 1, rename the active one to .1 and start a new one.
 * The old fd is kept until the new one is open, so a failure leaves the
 * writer writing somewhere.
 */
static int
writer_rotate(struct log_writer *w, struct berth_error *err)
{
	static const char *const forms[] = { "", ".zst" };
	cleanup_free struct log_segment *segs = NULL;
	char from[LOG_NAME_MAX + 32], to[LOG_NAME_MAX + 32];
	unsigned keep = w->opts.max_files - 1;
	size_t n, i, f;
	int fd;

	if (list_segments(w->dirfd, w->name, &segs, &n, err) == -1)
		return (berth_error_wrap(err, "rotate log %s", w->path));
	for (i = n; i-- > 0;) {
		for (f = 0; f < 2; f++) {
			if (!(f == 0 ? segs[i].plain : segs[i].zst))
				continue;
			segment_name(from, sizeof(from), w->name, segs[i].k,
			    forms[f]);
			if (segs[i].k >= keep) {
				if (unlink_quiet(w->dirfd, from, err) == -1)
					return (-1);
				continue;
			}
			segment_name(to, sizeof(to), w->name, segs[i].k + 1,
			    forms[f]);
			if (renameat(w->dirfd, from, w->dirfd, to) == -1)
				return (berth_error_sys(err, "rotate log %s",
				    from));
		}
	}
	segment_name(to, sizeof(to), w->name, 1, "");
	if (keep > 0 ? renameat(w->dirfd, w->path, w->dirfd, to) :
	    unlinkat(w->dirfd, w->path, 0))
		return (berth_error_sys(err, "rotate log %s", w->path));
	fd = openat(w->dirfd, w->path,
	    O_RDWR|O_APPEND|O_CREAT|O_EXCL|O_CLOEXEC|O_NOFOLLOW, LOG_MODE);
	if (fd == -1)
		return (berth_error_sys(err, "open new log %s", w->path));
	close(w->fd);
	w->fd = fd;
	w->size = 0;
	if (keep > 0)
		w->rescan = true;
	return (0);
}

/* Add a record (data d1 then d2) to the batch, rotating before it when
 * it would take the active segment past max_size. */
static int
writer_emit(struct log_writer *w, enum log_stream s, unsigned flags,
    int64_t ts, const void *d1, size_t n1, const void *d2, size_t n2,
    struct berth_error *err)
{
	size_t total = LOG_RECORD_OVERHEAD + n1 + n2;
	uint64_t used = w->size + w->batch_len;

	if (w->opts.max_size > 0 && !w->hold && used > 0 &&
	    used + total > w->opts.max_size) {
		if (writer_push(w, err) == -1 || writer_rotate(w, err) == -1)
			return (-1);
	}
	if (w->batch_len + total > LOG_BATCH_SIZE &&
	    writer_push(w, err) == -1)
		return (-1);
	w->batch_len += record_encode(w->batch + w->batch_len, s, flags, ts,
	    d1, n1, d2, n2);
	return (0);
}

int
log_write(struct log_writer *w, enum log_stream s, int64_t ts_ns,
    const void *buf, size_t len, struct berth_error *err)
{
	struct log_pending *pd;
	const char *p = buf, *nl;
	size_t room, scan, n;

	if (s != LOG_STDOUT && s != LOG_STDERR)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, EINVAL,
		    "invalid log stream %d", (int)s));
	pd = &w->pending[s - 1];
	w->batch = log_batch;
	w->batch_len = 0;
	while (len > 0) {
		if (pd->len == 0)
			pd->ts = ts_ns;
		room = LOG_LINE_MAX - pd->len;
		scan = len < room ? len : room;
		if ((nl = memchr(p, '\n', scan)) != NULL) {
			n = (size_t)(nl - p) + 1;
			if (writer_emit(w, s, 0, pd->ts, pd->buf, pd->len,
			    p, n, err) == -1)
				return (-1);
			pd->len = 0;
		} else if (scan == room) {
			/* A line this long goes out in pieces, as Docker's
			 * partial messages. */
			n = room;
			if (writer_emit(w, s, LOG_FLAG_PARTIAL, pd->ts,
			    pd->buf, pd->len, p, n, err) == -1)
				return (-1);
			pd->len = 0;
		} else {
			n = len;
			if (pd->buf == NULL &&
			    (pd->buf = malloc(LOG_LINE_MAX)) == NULL)
				return (berth_error_sys(err, "log %s",
				    w->path));
			memcpy(pd->buf + pd->len, p, n);
			pd->len += n;
		}
		p += n;
		len -= n;
	}
	return (writer_push(w, err));
}

int
log_flush(struct log_writer *w, struct berth_error *err)
{
	struct log_pending *pd;
	int i;

	w->batch = log_batch;
	w->batch_len = 0;
	for (i = 0; i < 2; i++) {
		pd = &w->pending[i];
		if (pd->len == 0)
			continue;
		if (writer_emit(w, (enum log_stream)(i + 1), LOG_FLAG_PARTIAL,
		    pd->ts, pd->buf, pd->len, NULL, 0, err) == -1)
			return (-1);
		pd->len = 0;
	}
	return (writer_push(w, err));
}

void
log_writer_close(struct log_writer *w)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (w == NULL)
		return;
	/* Nobody to tell of a failure here; callers wanting to know
	 * call log_flush first. */
	if (w->fd >= 0)
		log_flush(w, &err);
	berth_error_clear(&err);
	if (w->fd >= 0)
		close(w->fd);
	if (w->dirfd >= 0)
		close(w->dirfd);
	free(w->pending[0].buf);
	free(w->pending[1].buf);
	free(w->path);
	free(w->name);
	free(w);
}

void
log_hold_rotation(struct log_writer *w, bool hold)
{
	w->hold = hold;
}

static inline void
cleanup_namesp(char ***names)
{
	strv_free(*names);
}
#define cleanup_names __attribute__((cleanup(cleanup_namesp)))

int
log_rotated_pending(struct log_writer *w, char ***names, size_t *n,
    struct berth_error *err)
{
	cleanup_free struct log_segment *segs = NULL;
	cleanup_names char **v = NULL;
	char file[LOG_NAME_MAX + 32];
	size_t nseg, i, cnt = 0;

	*names = NULL;
	*n = 0;
	if (!w->rescan)
		return (0);
	if (list_segments(w->dirfd, w->name, &segs, &nseg, err) == -1)
		return (-1);
	if ((v = calloc(nseg + 1, sizeof(*v))) == NULL)
		return (berth_error_sys(err, "list rotated logs"));
	for (i = nseg; i-- > 0;) {
		if (!segs[i].plain)
			continue;
		segment_name(file, sizeof(file), w->name, segs[i].k, "");
		/* Both forms: a helper died between its rename and its
		 * unlink; the compressed one is whole (fsynced first). */
		if (segs[i].zst) {
			if (!w->hold && unlink_quiet(w->dirfd, file, err) == -1)
				return (-1);
			continue;
		}
		if ((v[cnt] = strdup(file)) == NULL)
			return (berth_error_sys(err, "list rotated logs"));
		cnt++;
	}
	w->rescan = false;
	if (cnt > 0) {
		*names = steal_pointer(&v);
		*n = cnt;
	}
	return (0);
}

/*
 * Compression, in a helper.
 */

static int
compress_fd(int in, int out, struct berth_error *err)
{
	cleanup_cctx ZSTD_CCtx *cctx = ZSTD_createCCtx();
	cleanup_free unsigned char *ibuf = NULL, *obuf = NULL;
	size_t isize = ZSTD_CStreamInSize(), osize = ZSTD_CStreamOutSize();
	ZSTD_inBuffer ib;
	ZSTD_outBuffer ob;
	ZSTD_EndDirective mode;
	size_t left;
	ssize_t n;

	if (cctx == NULL || (ibuf = malloc(isize)) == NULL ||
	    (obuf = malloc(osize)) == NULL)
		return (berth_error_sys(err, "allocate compressor"));
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, LOG_ZSTD_LEVEL);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	do {
		do
			n = read(in, ibuf, isize);
		while (n == -1 && errno == EINTR);
		if (n == -1)
			return (berth_error_sys(err, "read"));
		mode = n == 0 ? ZSTD_e_end : ZSTD_e_continue;
		ib = (ZSTD_inBuffer){ ibuf, (size_t)n, 0 };
		do {
			ob = (ZSTD_outBuffer){ obuf, osize, 0 };
			left = ZSTD_compressStream2(cctx, &ob, &ib, mode);
			if (ZSTD_isError(left))
				return (berth_error_set(err, BERTH_E_SYSTEM,
				    0, "compress: %s",
				    ZSTD_getErrorName(left)));
			if (write_all(out, obuf, ob.pos) == -1)
				return (berth_error_sys(err, "write"));
		} while (mode == ZSTD_e_end ? left != 0 : ib.pos < ib.size);
	} while (mode != ZSTD_e_end);
	return (0);
}

int
log_compress_segment(int dirfd, const char *segment, struct berth_error *err)
{
	char tmp[LOG_NAME_MAX + 48], zst[LOG_NAME_MAX + 48];
	cleanup_close int in = -1;
	cleanup_close int out = -1;
	struct stat st;

	if (check_name(segment, "segment", err) == -1)
		return (-1);
	snprintf(tmp, sizeof(tmp), "%s.zst.tmp", segment);
	snprintf(zst, sizeof(zst), "%s.zst", segment);
	in = openat(dirfd, segment, O_RDONLY|O_CLOEXEC|O_NOFOLLOW);
	if (in == -1)
		return (berth_error_sys(err, "compress log %s", segment));
	if (fstat(in, &st) == -1)
		return (berth_error_sys(err, "compress log %s", segment));
	if (!S_ISREG(st.st_mode))
		return (berth_error_set(err, BERTH_E_SYSTEM, EINVAL,
		    "compress log %s: not a regular file", segment));
	/* O_TRUNC: a killed helper may have left a temporary file. */
	out = openat(dirfd, tmp,
	    O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC|O_NOFOLLOW, LOG_MODE);
	if (out == -1)
		return (berth_error_sys(err, "compress log %s: create %s",
		    segment, tmp));
	/* Durable before its name: a crash never leaves a short .zst and
	 * no plain segment. */
	if (compress_fd(in, out, err) == -1 || (fsync(out) == -1 &&
	    berth_error_sys(err, "fsync")) || (close(steal_fd(&out)) == -1 &&
	    berth_error_sys(err, "close")) ||
	    (renameat(dirfd, tmp, dirfd, zst) == -1 &&
	    berth_error_sys(err, "rename"))) {
		unlinkat(dirfd, tmp, 0);
		return (berth_error_wrap(err, "compress log %s", segment));
	}
	if (fsync(dirfd) == -1)
		return (berth_error_sys(err, "compress log %s: fsync "
		    "directory", segment));
	return (unlink_quiet(dirfd, segment, err));
}

/*
 * Readers.
 */

static bool
reader_wants(const struct log_reader *r, const struct rec_hdr *h)
{
	unsigned mask = r->q.streams ? r->q.streams :
	    (1u << LOG_STDOUT | 1u << LOG_STDERR);

	if ((mask & (1u << h->stream)) == 0)
		return (false);
	if (r->q.since_ns != 0 && h->ts < r->q.since_ns)
		return (false);
	if (r->q.until_ns != 0 && h->ts > r->q.until_ns)
		return (false);
	return (true);
}

static int
reader_queue(struct log_reader *r, struct log_source *s,
    struct berth_error *err)
{
	struct log_source **v;

	v = reallocarray(r->src, r->nsrc + 1, sizeof(*v));
	if (v == NULL) {
		source_free(s);
		return (berth_error_sys(err, "allocate log reader"));
	}
	r->src = v;
	r->src[r->nsrc++] = s;
	return (0);
}

/* Queue rotated segment k, compressed or not, whichever is there now. */
static int
reader_queue_segment(struct log_reader *r, const struct log_segment *seg,
    struct berth_error *err)
{
	char file[LOG_NAME_MAX + 32];
	struct log_source *s = NULL;
	bool zst = seg->zst;
	int i;

	/* A helper may remove the plain form or add the compressed one
	 * under us: try the other before giving up. */
	for (i = 0; i < 2; i++, zst = !zst) {
		segment_name(file, sizeof(file), r->name, seg->k,
		    zst ? ".zst" : "");
		if (source_open(r->dirfd, file, zst, &s, err) == 0)
			return (reader_queue(r, s, err));
		if (err->errnum != ENOENT)
			return (-1);
	}
	berth_error_clear(err);
	return (0);
}

/* Queue the active segment; absent is fine (nothing written yet). */
static int
reader_queue_active(struct log_reader *r, struct berth_error *err)
{
	struct log_source *s = NULL;

	if (source_open(r->dirfd, r->path, false, &s, err) == -1) {
		if (err->errnum != ENOENT)
			return (-1);
		berth_error_clear(err);
		return (0);
	}
	s->active = true;
	r->have_active = true;
	return (reader_queue(r, s, err));
}

/* Matching records of a segment, counted from its start. */
static int
count_forward(struct log_reader *r, struct log_source *s, uint64_t *count,
    struct berth_error *err)
{
	struct rec_hdr h;
	const char *data;
	int rv;

	*count = 0;
	while ((rv = source_record(s, &h, &data, err)) == 1)
		if (reader_wants(r, &h))
			(*count)++;
	if (rv == -1)
		return (-1);
	return (source_seek(s, 0, err));
}

/*
 * Walk a plain segment back from its end until *want matching records
 * are behind: 1 and the offset to start at, 0 when the segment has fewer
 * (*want reduced), 2 when it cannot be walked back (a torn or corrupt
 * record: count it forward instead), -1 on an error.
 */
static int
walk_back(struct log_reader *r, struct log_source *s, uint64_t *want,
    uint64_t *start, struct berth_error *err)
{
	struct rec_hdr h;
	struct stat st;
	uint64_t off, at, want0 = *want;
	int rv;

	if (fstat(s->fd, &st) == -1)
		return (berth_error_sys(err, "stat log %s", s->name));
	off = (uint64_t)st.st_size;
	if (*want == 0) {
		/* Start after the last whole record, not at a torn end. */
		if (off > 0 && (rv = record_before(s->fd, off, false, &h, &at,
		    err)) != 1)
			return (rv == -1 ? -1 : 2);
		*start = off;
		return (1);
	}
	while (off > 0) {
		if ((rv = record_before(s->fd, off, false, &h, &at,
		    err)) != 1) {
			*want = want0;
			return (rv == -1 ? -1 : 2);
		}
		off = at;
		if (reader_wants(r, &h) && --(*want) == 0) {
			*start = off;
			return (1);
		}
	}
	return (0);
}

/* Position the reader at the tail's first record. */
static int
reader_tail(struct log_reader *r, struct berth_error *err)
{
	uint64_t want = (uint64_t)r->q.tail, start = 0, count;
	struct log_source *s;
	size_t i, j;
	int rv;

	for (i = r->nsrc; i-- > 0;) {
		s = r->src[i];
		rv = s->zst ? 2 : walk_back(r, s, &want, &start, err);
		if (rv == -1)
			return (-1);
		if (rv == 2) {
			if (count_forward(r, s, &count, err) == -1)
				return (-1);
			if (count < want) {
				want -= count;
				continue;
			}
			r->skip = count - want;
			rv = 1;
		} else if (rv == 1 && source_seek(s, start, err) == -1)
			return (-1);
		if (rv == 1) {
			for (j = 0; j < i; j++) {
				source_free(r->src[j]);
				r->src[j] = NULL;
			}
			r->cur = i;
			return (0);
		}
	}
	/* Fewer records than asked for: all of them. */
	for (i = 0; i < r->nsrc; i++)
		if (source_seek(r->src[i], 0, err) == -1)
			return (-1);
	return (0);
}

int
log_reader_open(int dirfd, const char *name, const struct log_query *q,
    struct log_reader **out, struct berth_error *err)
{
	cleanup_log_reader struct log_reader *r = NULL;
	cleanup_free struct log_segment *segs = NULL;
	size_t n, i;

	if (check_name(name, "name", err) == -1)
		return (-1);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (berth_error_sys(err, "allocate log reader"));
	r->dirfd = -1;
	r->q = *q;
	if ((r->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return (berth_error_sys(err, "open log %s", name));
	if ((r->name = strdup(name)) == NULL ||
	    asprintf(&r->path, "%s.log", name) == -1) {
		r->path = NULL;
		return (berth_error_sys(err, "allocate log reader"));
	}
	if (list_segments(r->dirfd, name, &segs, &n, err) == -1)
		return (berth_error_wrap(err, "read log %s", name));
	/* All opened now: a rotation while we read renames, and our fds
	 * keep what they name. */
	for (i = n; i-- > 0;)
		if (reader_queue_segment(r, &segs[i], err) == -1)
			return (berth_error_wrap(err, "read log %s", name));
	if (reader_queue_active(r, err) == -1 ||
	    (q->tail >= 0 && reader_tail(r, err) == -1))
		return (berth_error_wrap(err, "read log %s", name));
	*out = steal_pointer(&r);
	return (0);
}

/*
 * At the end of the active segment: has the writer rotated?  If so the
 * old one is read to its end first, then the segments rotated after it
 * (more than one rotation may have happened since the last call), then
 * the new active one.  When the old one was already compressed or
 * removed, what was rotated in between cannot be placed and is skipped.
 */
static int
reader_check_rotated(struct log_reader *r, struct log_source *s,
    struct berth_error *err)
{
	cleanup_free struct log_segment *segs = NULL;
	char file[LOG_NAME_MAX + 32];
	struct stat st;
	size_t n, i, at = 0;

	if (fstatat(r->dirfd, r->path, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return (0);
		return (berth_error_sys(err, "stat log %s", r->path));
	}
	if (st.st_dev == s->dev && st.st_ino == s->ino)
		return (0);
	s->active = false;
	r->have_active = false;
	if (list_segments(r->dirfd, r->name, &segs, &n, err) == -1)
		return (-1);
	for (i = 0; i < n && at == 0; i++) {
		if (!segs[i].plain)
			continue;
		segment_name(file, sizeof(file), r->name, segs[i].k, "");
		if (fstatat(r->dirfd, file, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_dev == s->dev && st.st_ino == s->ino)
			at = i + 1;
	}
	for (i = at > 0 ? at - 1 : 0; i-- > 0;)
		if (reader_queue_segment(r, &segs[i], err) == -1)
			return (-1);
	if (reader_queue_active(r, err) == -1)
		return (-1);
	return (1);
}

int
log_reader_next(struct log_reader *r, struct log_record *rec,
    struct berth_error *err)
{
	struct log_source *s;
	struct rec_hdr h;
	const char *data;
	int rv;

	for (;;) {
		if (r->cur >= r->nsrc) {
			/* No log yet when opened, or gone: look again. */
			if (r->have_active)
				return (0);
			if (reader_queue_active(r, err) == -1)
				return (-1);
			if (!r->have_active)
				return (0);
			continue;
		}
		s = r->src[r->cur];
		if ((rv = source_record(s, &h, &data, err)) == -1)
			return (-1);
		if (rv == 1) {
			if (!reader_wants(r, &h))
				continue;
			if (r->skip > 0) {
				r->skip--;
				continue;
			}
			rec->stream = (enum log_stream)h.stream;
			rec->ts_ns = h.ts;
			rec->partial = (h.flags & LOG_FLAG_PARTIAL) != 0;
			rec->data = data;
			rec->len = h.len;
			return (1);
		}
		if (s->active) {
			if ((rv = reader_check_rotated(r, s, err)) <= 0)
				return (rv);
			continue;
		}
		source_free(s);
		r->src[r->cur++] = NULL;
	}
}

void
log_reader_close(struct log_reader *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nsrc; i++)
		source_free(r->src[i]);
	free(r->src);
	if (r->dirfd >= 0)
		close(r->dirfd);
	free(r->path);
	free(r->name);
	free(r);
}

int
log_remove(int dirfd, const char *name, struct berth_error *err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	unsigned k;

	if (check_name(name, "name", err) == -1)
		return (-1);
	if ((d = open_dir(dirfd, err)) == NULL)
		return (berth_error_wrap(err, "remove log %s", name));
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (segment_parse(name, de->d_name, &k) == SEG_NONE)
			continue;
		if (unlink_quiet(dirfd, de->d_name, err) == -1)
			return (-1);
	}
	if (errno != 0)
		return (berth_error_sys(err, "remove log %s", name));
	return (0);
}
