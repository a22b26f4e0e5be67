/*
 * Container logs: each container's stdout and stderr kept as records in
 * DIR/<name>.log, rotated to <name>.log.1 ... <name>.log.N, rotated
 * segments optionally compressed to <name>.log.K.zst by a helper.
 *
 * A record is a line (its newline kept) or a chunk of one, with its
 * stream and the time its first bytes were read:
 *
 *	off  size
 *	  0     1  magic and version, 0xb1
 *	  1     1  stream (1 stdout, 2 stderr)
 *	  2     1  flags (bit 0: partial, the line goes on or never ended)
 *	  3     1  0
 *	  4     4  length of the data, at most LOG_LINE_MAX (little endian)
 *	  8     8  time in ns since the epoch (little endian, signed)
 *	 16     4  CRC-32C of bytes 0..15 and the data
 *	 20   len  data
 *	 ...    4  the length again, so that tail and a reopening writer can
 *		   walk back from the end of a segment
 *
 * The writer and the readers run on berthd's loop: they do small reads
 * and writes, never compression.  log_compress_segment() is for a helper.
 * The writer is the only one that renames segments.
 */
#ifndef BERTH_STORE_LOG_H
#define BERTH_STORE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "strv.h"

#define STORE_E_LOG_CORRUPT	"io.berth.Container.LogCorrupt"

/* The longest record; a longer line is cut into partial records. */
#define LOG_LINE_MAX		16384
#define LOG_RECORD_OVERHEAD	24

enum log_stream {
	LOG_STDOUT = 1,
	LOG_STDERR = 2,
};

struct log_opts {
	uint64_t	 max_size;	/* bytes per segment, 0 = no rotation */
	unsigned	 max_files;	/* segments kept with the active one, >= 1 */
};

struct log_writer;
struct log_reader;

/*
 * Open dirfd/<name>.log for appending (created 0640), keeping what it
 * holds; a torn last record (berthd killed mid-write) is cut off.  name
 * is a single path component.
 */
int	 log_writer_open(int dirfd, const char *name,
	    const struct log_opts *opts, struct log_writer **out,
	    struct berth_error *err);
/*
 * Bytes read from the container's pipe at ts_ns: complete lines become
 * records; a partial line waits in the writer (one per stream) for its
 * newline, for log_flush(), or until LOG_LINE_MAX bytes, then written as
 * a record flagged partial.  Records go out in one write(2) per call
 * where they fit, rotating first when the active segment would exceed
 * max_size.
 */
int	 log_write(struct log_writer *w, enum log_stream s, int64_t ts_ns,
	    const void *buf, size_t len, struct berth_error *err);
/* Write the waiting partial lines (the stream closed, the container
 * exited). */
int	 log_flush(struct log_writer *w, struct berth_error *err);
/* Flush and free; NULL is fine. */
void	 log_writer_close(struct log_writer *w);

/*
 * Rotated segments still plain, oldest first, as names relative to dirfd
 * ("<name>.log.2", "<name>.log.1"), for a helper to compress; *names is a
 * NULL-terminated array the caller frees with strv_free().  Cheap
 * after the first call: the directory is looked at again only once the
 * writer has rotated.
 */
int	 log_rotated_pending(struct log_writer *w, char ***names, size_t *n,
	    struct berth_error *err);
/*
 * Rotation renames segments, so it must not run while a helper
 * compresses one: hold it before starting the helper and release it
 * when the helper has exited.  While held, the active segment grows past
 * max_size; the next write after the release rotates.
 */
void	 log_hold_rotation(struct log_writer *w, bool hold);

/*
 * dirfd/<segment> to <segment>.zst: compressed into <segment>.zst.tmp,
 * fsynced, renamed, the directory fsynced, then the plain one removed.
 * CPU-bound: for a helper process.
 */
int	 log_compress_segment(int dirfd, const char *segment,
	    struct berth_error *err);

struct log_query {
	int64_t		 tail;		/* last N records, -1 all */
	int64_t		 since_ns;	/* 0 = unbounded; bounds inclusive */
	int64_t		 until_ns;
	unsigned	 streams;	/* 1 << LOG_STDOUT | 1 << LOG_STDERR, 0 both */
};

struct log_record {
	enum log_stream	 stream;
	int64_t		 ts_ns;
	bool		 partial;
	const char	*data;		/* valid until the next call */
	size_t		 len;
};

/*
 * Read the log across its segments, oldest first (<name>.log.N(.zst) ...
 * <name>.log).  tail counts the records that pass the query's streams
 * and times, from the end; plain segments are walked back from their end,
 * compressed ones counted forward, so nothing is held in memory.
 */
int	 log_reader_open(int dirfd, const char *name,
	    const struct log_query *q, struct log_reader **out,
	    struct berth_error *err);
/*
 * 1 and a record, 0 when there is nothing more for now (call again after
 * the writer appended: that is follow, across rotations too), -1 on an
 * error (STORE_E_LOG_CORRUPT for a record that cannot be right).
 */
int	 log_reader_next(struct log_reader *r, struct log_record *rec,
	    struct berth_error *err);
void	 log_reader_close(struct log_reader *r);

/* Remove every segment of the log, compressed ones and leftovers of
 * interrupted compressions too; an absent log is not an error. */
int	 log_remove(int dirfd, const char *name, struct berth_error *err);

static inline void
cleanup_log_writerp(struct log_writer **w)
{
	log_writer_close(*w);
}
#define cleanup_log_writer __attribute__((cleanup(cleanup_log_writerp)))

static inline void
cleanup_log_readerp(struct log_reader **r)
{
	log_reader_close(*r);
}
#define cleanup_log_reader __attribute__((cleanup(cleanup_log_readerp)))

#endif
