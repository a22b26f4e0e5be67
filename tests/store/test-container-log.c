/*
 * Unit tests for store/log.c: records, partial lines, streams, tail,
 * times, rotation, compression, follow, torn and corrupt records, removal.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* By path: the protocol's log.h (daemon logging) comes first otherwise. */
#include "container-log.h"
#include "cleanup.h"
#include "unit.h"

#define OUT_SIZE	(64 * 1024)

static char root[] = "/tmp/berth-test-log.XXXXXX";

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return (remove(path));
}

/* A fresh directory per test, as a fd. */
static int
fresh_dir(const char *sub)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, sub);
	if (mkdir(path, 0700) == -1)
		return (-1);
	return (open(path, O_RDONLY|O_DIRECTORY|O_CLOEXEC));
}

static bool
exists(int dirfd, const char *file)
{
	struct stat st;

	return (fstatat(dirfd, file, &st, AT_SYMLINK_NOFOLLOW) == 0);
}

static off_t
file_size(int dirfd, const char *file)
{
	struct stat st;

	if (fstatat(dirfd, file, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return (-1);
	return (st.st_size);
}

/* Append what a reader returns to out as "<stream>[p]:<data>"; the
 * number of records, -1 on an error (left in err). */
static int
collect(struct log_reader *r, char *out, size_t size, struct berth_error *err)
{
	struct log_record rec;
	size_t used = strlen(out);
	int n = 0, rv;

	while ((rv = log_reader_next(r, &rec, err)) == 1) {
		used += (size_t)snprintf(out + used, size - used, "%d%s:%.*s",
		    (int)rec.stream, rec.partial ? "p" : "", (int)rec.len,
		    rec.data);
		if (used >= size)
			used = size - 1;
		n++;
	}
	return (rv == -1 ? -1 : n);
}

/* Read a whole query into out. */
static int
query(int dirfd, const char *name, int64_t tail, int64_t since,
    int64_t until, unsigned streams, char *out, size_t size)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_log_reader struct log_reader *r = NULL;
	struct log_query q = { tail, since, until, streams };
	int n;

	out[0] = '\0';
	if (log_reader_open(dirfd, name, &q, &r, &err) == -1) {
		fprintf(stderr, "# %s\n", berth_error_message(&err));
		return (-1);
	}
	if ((n = collect(r, out, size, &err)) == -1)
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	return (n);
}

/* Lines "l00\n" ... at ts i * 1000, one log_write each. */
static int
write_lines(struct log_writer *w, int from, int to)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	char line[16];
	int i;

	for (i = from; i < to; i++) {
		snprintf(line, sizeof(line), "l%02d\n", i);
		if (log_write(w, LOG_STDOUT, (int64_t)i * 1000, line, 4,
		    &err) == -1) {
			fprintf(stderr, "# %s\n", berth_error_message(&err));
			return (-1);
		}
	}
	return (0);
}

static void
log_lines_split_and_partial_lines_joined(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int dfd = fresh_dir("split");
	struct log_opts o = { 0, 1 };
	struct log_writer *w = NULL;
	char out[OUT_SIZE];

	CHECK(log_writer_open(dfd, "c", &o, &w, &err) == 0);
	CHECK(log_write(w, LOG_STDOUT, 1, "a\nbb", 4, &err) == 0);
	CHECK(log_write(w, LOG_STDOUT, 2, "b\ncc", 4, &err) == 0);
	CHECK(log_write(w, LOG_STDOUT, 3, "c\n\nd", 4, &err) == 0);
	CHECK(query(dfd, "c", -1, 0, 0, 0, out, sizeof(out)) == 4);
	CHECK_STR(out, "1:a\n1:bbb\n1:ccc\n1:\n");
	/* A partial line's time is when its first bytes came. */
	CHECK(query(dfd, "c", -1, 2, 2, 0, out, sizeof(out)) == 1);
	CHECK_STR(out, "1:ccc\n");
	CHECK(log_flush(w, &err) == 0);
	CHECK(query(dfd, "c", -1, 0, 0, 0, out, sizeof(out)) == 5);
	CHECK_STR(out, "1:a\n1:bbb\n1:ccc\n1:\n1p:d");
	log_writer_close(w);
}

static void
log_long_line_cut_and_flagged_partial(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_error struct berth_error rerr = BERTH_ERROR_INIT;
	cleanup_close int dfd = fresh_dir("long");
	cleanup_free char *big = malloc(LOG_LINE_MAX + 10);
	cleanup_log_reader struct log_reader *r = NULL;
	struct log_opts o = { 0, 1 };
	struct log_query q = { -1, 0, 0, 0 };
	struct log_writer *w = NULL;
	struct log_record rec;

	CHECK(big != NULL);
	memset(big, 'x', LOG_LINE_MAX + 10);
	CHECK(log_writer_open(dfd, "c", &o, &w, &err) == 0);
	/* In two writes, so the pending part and the new bytes join. */
	CHECK(log_write(w, LOG_STDOUT, 1, big, 100, &err) == 0);
	CHECK(log_write(w, LOG_STDOUT, 2, big, LOG_LINE_MAX - 90, &err) == 0);
	CHECK(log_write(w, LOG_STDOUT, 3, "\n", 1, &err) == 0);
	/* Exactly LOG_LINE_MAX with its newline: one whole record. */
	big[LOG_LINE_MAX - 1] = '\n';
	CHECK(log_write(w, LOG_STDERR, 4, big, LOG_LINE_MAX, &err) == 0);
	log_writer_close(w);

	CHECK(log_reader_open(dfd, "c", &q, &r, &rerr) == 0);
	CHECK(log_reader_next(r, &rec, &rerr) == 1);
	CHECK(rec.partial && rec.len == LOG_LINE_MAX && rec.ts_ns == 1 &&
	    rec.stream == LOG_STDOUT && rec.data[LOG_LINE_MAX - 1] == 'x');
	CHECK(log_reader_next(r, &rec, &rerr) == 1);
	CHECK(!rec.partial && rec.len == 11 && rec.ts_ns == 2 &&
	    memcmp(rec.data, "xxxxxxxxxx\n", 11) == 0);
	CHECK(log_reader_next(r, &rec, &rerr) == 1);
	CHECK(!rec.partial && rec.len == LOG_LINE_MAX &&
	    rec.stream == LOG_STDERR && rec.data[LOG_LINE_MAX - 1] == '\n');
	CHECK(log_reader_next(r, &rec, &rerr) == 0);
}

static void
log_streams_interleave_and_mask(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int dfd = fresh_dir("streams");
	struct log_opts o = { 0, 1 };
	struct log_writer *w = NULL;
	char out[OUT_SIZE];

	CHECK(log_writer_open(dfd, "c", &o, &w, &err) == 0);
	CHECK(log_write(w, LOG_STDOUT, 1, "o1\nx", 4, &err) == 0);
	CHECK(log_write(w, LOG_STDERR, 2, "e1\ne", 4, &err) == 0);
	CHECK(log_write(w, LOG_STDOUT, 3, "y\n", 2, &err) == 0);
	CHECK(log_write(w, LOG_STDERR, 4, "2\n", 2, &err) == 0);
	CHECK(log_write(w, 3, 5, "z\n", 2, &err) == -1);
	log_writer_close(w);
	CHECK(query(dfd, "c", -1, 0, 0, 0, out, sizeof(out)) == 4);
	CHECK_STR(out, "1:o1\n2:e1\n1:xy\n2:e2\n");
	CHECK(query(dfd, "c", -1, 0, 0, 1u << LOG_STDERR, out,
	    sizeof(out)) == 2);
	CHECK_STR(out, "2:e1\n2:e2\n");
	CHECK(query(dfd, "c", 1, 0, 0, 1u << LOG_STDOUT, out,
	    sizeof(out)) == 1);
	CHECK_STR(out, "1:xy\n");
}

static void
log_tail_across_rotation(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int dfd = fresh_dir("tail");
	/* 28-byte records: three to a segment. */
	struct log_opts o = { 100, 10 };
	struct log_writer *w = NULL;
	char out[OUT_SIZE];

	CHECK(log_writer_open(dfd, "c", &o, &w, &err) == 0);
	CHECK(write_lines(w, 0, 10) == 0);
	log_writer_close(w);
	CHECK(exists(dfd, "c.log.3") && !exists(dfd, "c.log.4"));
	CHECK(query(dfd, "c", 5, 0, 0, 0, out, sizeof(out)) == 5);
	CHECK_STR(out, "1:l05\n1:l06\n1:l07\n1:l08\n1:l09\n");
	CHECK(query(dfd, "c", 1, 0, 0, 0, out, sizeof(out)) == 1);
	CHECK_STR(out, "1:l09\n");
	CHECK(query(dfd, "c", 0, 0, 0, 0, out, sizeof(out)) == 0);
	CHECK(query(dfd, "c", 100, 0, 0, 0, out, sizeof(out)) == 10);
	CHECK(query(dfd, "c", -1, 0, 0, 0, out, sizeof(out)) == 10);
	CHECK(strncmp(out, "1:l00\n", 6) == 0);
	/* Exactly the active segment plus one rotated. */
	CHECK(query(dfd, "c", 4, 0, 0, 0, out, sizeof(out)) == 4);
	CHECK_STR(out, "1:l06\n1:l07\n1:l08\n1:l09\n");
}

static void
log_since_and_until(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int dfd = fresh_dir("since");
	struct log_opts o = { 100, 10 };
	struct log_writer *w = NULL;
	char out[OUT_SIZE];

	CHECK(log_writer_open(dfd, "c", &o, &w, &err) == 0);
	CHECK(write_lines(w, 1, 11) == 0);
	log_writer_close(w);
	CHECK(query(dfd, "c", -1, 3000, 6000, 0, out, sizeof(out)) == 4);
	CHECK_STR(out, "1:l03\n1:l04\n1:l05\n1:l06\n");
	CHECK(query(dfd, "c", -1, 9000, 0, 0, out, sizeof(out)) == 2);
	CHECK_STR(out, "1:l09\n1:l10\n");
	CHECK(query(dfd, "c", -1, 0, 2000, 0, out, sizeof(out)) == 2);
	CHECK_STR(out, "1:l01\n1:l02\n");
	/* tail counts the records that pass the times. */
	CHECK(query(dfd, "c", 2, 3000, 6000, 0, out, sizeof(out)) == 2);
	CHECK_STR(out, "1:l05\n1:l06\n");
}

static void
log_rotation_keeps_max_files(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int dfd = fresh_dir("rotate");
	struct log_opts o = { 100, 3 };
	struct log_writer *w = NULL;
	char out[OUT_SIZE];

	CHECK(log_writer_open(dfd, "c", &o, &w, &err) == 0);
	CHECK(write_lines(w, 0, 20) == 0);
	log_writer_close(w);
	CHECK(exists(dfd, "c.log") && exists(dfd, "c.log.1") &&
	    exists(dfd, "c.log.2") && !exists(dfd, "c.log.3"));
	CHECK(file_size(dfd, "c.log") <= 100 &&
	    file_size(dfd, "c.log.1") <= 100);
	/* 20 lines, 3 a segment: 18 rotated, 12 of them dropped. */
	CHECK(query(dfd, "c", -1, 0, 0, 0, out, sizeof(out)) == 8);
	CHECK_STR(out, "1:l12\n1:l13\n1:l14\n1:l15\n1:l16\n1:l17\n"
	    "1:l18\n1:l19\n");

	/* One file: the active segment starts over. */
	o.max_files = 1;
	CHECK(log_writer_open(dfd, "d", &o, &w, &err) == 0);
	CHECK(write_lines(w, 0, 7) == 0);
	log_writer_close(w);
	CHECK(!exists(dfd, "d.log.1"));
	CHECK(query(dfd, "d", -1, 0, 0, 0, out, sizeof(out)) == 1);
	CHECK_STR(out, "1:l06\n");
}

static void
log_compressed_segments_read_transparently(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int dfd = fresh_dir("zst");
	struct log_opts o = { 100, 10 };
	struct log_writer *w = NULL;
	char out[OUT_SIZE], **names = NULL;
	size_t n = 0, i;

	CHECK(log_writer_open(dfd, "c", &o, &w, &err) == 0);
	CHECK(write_lines(w, 0, 10) == 0);
	CHECK(log_rotated_pending(w, &names, &n, &err) == 0);
	CHECK(n == 3 && names != NULL);
	CHECK(n == 3 && strcmp(names[0], "c.log.3") == 0 &&
	    strcmp(names[2], "c.log.1") == 0 && names[3] == NULL);
	log_hold_rotation(w, true);
	for (i = 0; i < n; i++)
		CHECK(log_compress_segment(dfd, names[i], &err) == 0);
	log_hold_rotation(w, false);
	strv_free(names);
	CHECK(exists(dfd, "c.log.1.zst") && !exists(dfd, "c.log.1") &&
	    !exists(dfd, "c.log.3.zst.tmp"));
	/* Nothing new until the writer rotates again. */
	CHECK(log_rotated_pending(w, &names, &n, &err) == 0 && n == 0 &&
	    names == NULL);
	CHECK(query(dfd, "c", -1, 0, 0, 0, out, sizeof(out)) == 10);
	CHECK_STR(out, "1:l00\n1:l01\n1:l02\n1:l03\n1:l04\n1:l05\n"
	    "1:l06\n1:l07\n1:l08\n1:l09\n");
	CHECK(query(dfd, "c", 8, 0, 0, 0, out, sizeof(out)) == 8);
	CHECK(strncmp(out, "1:l02\n1:l03\n", 12) == 0);
	/* Rotation shifts compressed segments too. */
	CHECK(write_lines(w, 10, 13) == 0);
	CHECK(exists(dfd, "c.log.2.zst") && exists(dfd, "c.log.1") &&
	    !exists(dfd, "c.log.1.zst"));
	CHECK(log_rotated_pending(w, &names, &n, &err) == 0 && n == 1);
	strv_free(names);
	/* Held rotation lets the active segment grow. */
	log_hold_rotation(w, true);
	CHECK(write_lines(w, 13, 20) == 0);
	CHECK(file_size(dfd, "c.log") > 100 && !exists(dfd, "c.log.5"));
	log_writer_close(w);
	CHECK(query(dfd, "c", -1, 0, 0, 0, out, sizeof(out)) == 20);
	CHECK(log_compress_segment(dfd, "../x", &err) == -1);
	CHECK(log_compress_segment(dfd, "c.log.9", &err) == -1);
}

static void
log_follow_across_rotation(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int dfd = fresh_dir("follow");
	cleanup_log_reader struct log_reader *r = NULL;
	struct log_opts o = { 100, 10 };
	struct log_query q = { -1, 0, 0, 0 };
	struct log_writer *w = NULL;
	char out[OUT_SIZE] = "";

	/* No log yet: nothing, then what comes. */
	CHECK(log_reader_open(dfd, "c", &q, &r, &err) == 0);
	CHECK(collect(r, out, sizeof(out), &err) == 0);
	CHECK(log_writer_open(dfd, "c", &o, &w, &err) == 0);
	CHECK(write_lines(w, 0, 2) == 0);
	CHECK(collect(r, out, sizeof(out), &err) == 2);
	/* One rotation between two calls. */
	CHECK(write_lines(w, 2, 5) == 0);
	CHECK(collect(r, out, sizeof(out), &err) == 3);
	/* Several: the segments in between are read too. */
	CHECK(write_lines(w, 5, 12) == 0);
	CHECK(collect(r, out, sizeof(out), &err) == 7);
	CHECK(collect(r, out, sizeof(out), &err) == 0);
	CHECK_STR(out, "1:l00\n1:l01\n1:l02\n1:l03\n1:l04\n1:l05\n"
	    "1:l06\n1:l07\n1:l08\n1:l09\n1:l10\n1:l11\n");
	log_writer_close(w);

	/* tail 0 with follow: only what comes after. */
	log_reader_close(r);
	q.tail = 0;
	CHECK(log_reader_open(dfd, "c", &q, &r, &err) == 0);
	out[0] = '\0';
	CHECK(collect(r, out, sizeof(out), &err) == 0);
	CHECK(log_writer_open(dfd, "c", &o, &w, &err) == 0);
	CHECK(write_lines(w, 12, 13) == 0);
	log_writer_close(w);
	CHECK(collect(r, out, sizeof(out), &err) == 1);
	CHECK_STR(out, "1:l12\n");
}

static void
log_torn_record_ignored_then_cut(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int dfd = fresh_dir("torn");
	cleanup_close int fd = -1;
	struct log_opts o = { 0, 1 };
	struct log_writer *w = NULL;
	char out[OUT_SIZE], rec[64];
	off_t size;

	CHECK(log_writer_open(dfd, "c", &o, &w, &err) == 0);
	CHECK(write_lines(w, 0, 3) == 0);
	log_writer_close(w);
	size = file_size(dfd, "c.log");
	/* The first 22 bytes of a copy of the last record (28 long): a
	 * whole header and part of its data, as a killed write leaves. */
	fd = openat(dfd, "c.log", O_RDWR|O_APPEND|O_CLOEXEC);
	CHECK(fd >= 0 && pread(fd, rec, 28, size - 28) == 28);
	CHECK(write(fd, rec, 22) == 22);
	CHECK(query(dfd, "c", -1, 0, 0, 0, out, sizeof(out)) == 3);
	CHECK(query(dfd, "c", 2, 0, 0, 0, out, sizeof(out)) == 2);
	CHECK_STR(out, "1:l01\n1:l02\n");
	CHECK(query(dfd, "c", 0, 0, 0, 0, out, sizeof(out)) == 0);
	CHECK(log_writer_open(dfd, "c", &o, &w, &err) == 0);
	CHECK(file_size(dfd, "c.log") == size);
	CHECK(write_lines(w, 3, 4) == 0);
	log_writer_close(w);
	CHECK(query(dfd, "c", -1, 0, 0, 0, out, sizeof(out)) == 4);
	CHECK_STR(out, "1:l00\n1:l01\n1:l02\n1:l03\n");
}

static void
log_corrupt_length_refused(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int dfd = fresh_dir("corrupt");
	cleanup_close int fd = -1;
	cleanup_log_reader struct log_reader *r = NULL;
	struct log_opts o = { 0, 1 };
	struct log_query q = { -1, 0, 0, 0 };
	struct log_writer *w = NULL;
	struct log_record rec;
	char out[OUT_SIZE] = "";
	unsigned char bad[4] = { 0xff, 0xff, 0xff, 0x7f };

	CHECK(log_writer_open(dfd, "c", &o, &w, &err) == 0);
	CHECK(write_lines(w, 0, 3) == 0);
	log_writer_close(w);
	/* The second record's length. */
	fd = openat(dfd, "c.log", O_RDWR|O_CLOEXEC);
	CHECK(fd >= 0 && pwrite(fd, bad, 4, 28 + 4) == 4);
	CHECK(log_reader_open(dfd, "c", &q, &r, &err) == 0);
	CHECK(log_reader_next(r, &rec, &err) == 1);
	CHECK(log_reader_next(r, &rec, &err) == -1);
	CHECK(berth_error_is(&err, STORE_E_LOG_CORRUPT));
	log_reader_close(r);
	r = NULL;
	/* A flipped data byte fails the checksum. */
	bad[0] = 28 - 24; bad[1] = bad[2] = bad[3] = 0;
	CHECK(pwrite(fd, bad, 4, 28 + 4) == 4 &&
	    pwrite(fd, "L", 1, 28 + 20) == 1);
	CHECK(log_reader_open(dfd, "c", &q, &r, &err) == 0);
	CHECK(collect(r, out, sizeof(out), &err) == -1);
	CHECK(berth_error_is(&err, STORE_E_LOG_CORRUPT));
	/* tail walks back over the header, then reading finds it. */
	CHECK(query(dfd, "c", 2, 0, 0, 0, out, sizeof(out)) == -1);
	CHECK(query(dfd, "c", 1, 0, 0, 0, out, sizeof(out)) == 1);
}

static void
log_remove_removes_every_segment(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int dfd = fresh_dir("remove");
	cleanup_close int fd = -1;
	struct log_opts o = { 100, 10 };
	struct log_writer *w = NULL;
	char out[OUT_SIZE];

	CHECK(log_writer_open(dfd, "c", &o, &w, &err) == 0);
	CHECK(write_lines(w, 0, 10) == 0);
	log_writer_close(w);
	CHECK(log_compress_segment(dfd, "c.log.2", &err) == 0);
	fd = openat(dfd, "c.log.1.zst.tmp", O_WRONLY|O_CREAT|O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK(log_writer_open(dfd, "cc", &o, &w, &err) == 0);
	CHECK(write_lines(w, 0, 1) == 0);
	log_writer_close(w);
	close(openat(dfd, "c.logx", O_WRONLY|O_CREAT|O_CLOEXEC, 0600));
	CHECK(log_remove(dfd, "c", &err) == 0);
	CHECK(!exists(dfd, "c.log") && !exists(dfd, "c.log.1") &&
	    !exists(dfd, "c.log.2.zst") && !exists(dfd, "c.log.3") &&
	    !exists(dfd, "c.log.1.zst.tmp"));
	CHECK(exists(dfd, "cc.log") && exists(dfd, "c.logx"));
	CHECK(query(dfd, "c", -1, 0, 0, 0, out, sizeof(out)) == 0);
	CHECK(log_remove(dfd, "c", &err) == 0);
	CHECK(log_remove(dfd, "..", &err) == -1);
	CHECK(log_remove(dfd, "a/b", &err) == -1);
}

static void
remove_root(void)
{
	nftw(root, rm_entry, 16, FTW_DEPTH|FTW_PHYS);
}

int
main(void)
{
	if (mkdtemp(root) == NULL)
		return (1);
	atexit(remove_root);
	RUN(log_lines_split_and_partial_lines_joined);
	RUN(log_long_line_cut_and_flagged_partial);
	RUN(log_streams_interleave_and_mask);
	RUN(log_tail_across_rotation);
	RUN(log_since_and_until);
	RUN(log_rotation_keeps_max_files);
	RUN(log_compressed_segments_read_transparently);
	RUN(log_follow_across_rotation);
	RUN(log_torn_record_ignored_then_cut);
	RUN(log_corrupt_length_refused);
	RUN(log_remove_removes_every_segment);
	UNIT_EXIT();
}
