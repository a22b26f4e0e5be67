/*
 * rootfs_export: libarchive's disk reader walks the tree from the
 * working directory, the pax writer streams it to a pipe.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "archive-util.h"
#include "rootfs-export.h"

static void
cleanup_writerp(struct archive **a)
{
	if (*a != NULL)
		archive_write_free(*a);
}

static void
cleanup_resolverp(struct archive_entry_linkresolver **r)
{
	if (*r != NULL)
		archive_entry_linkresolver_free(*r);
}

static int
ar_error(struct archive *a, const char *what, struct berth_error *err)
{
	return (berth_error_set(err, BERTH_E_SYSTEM, archive_errno(a) > 0 ?
	    archive_errno(a) : EIO, "export %s: %s", what,
	    archive_error_string(a) != NULL ? archive_error_string(a) :
	    "archive error"));
}

/* "./bin/sh" as "bin/sh", a directory as "bin/". */
static int
relative_name(struct archive_entry *e)
{
	const char *p = archive_entry_pathname(e);
	char name[PATH_MAX + 2];

	if (p == NULL || strcmp(p, ".") == 0)
		return (-1);
	if (strncmp(p, "./", 2) == 0)
		p += 2;
	if (snprintf(name, sizeof(name), "%s%s", p,
	    archive_entry_filetype(e) == AE_IFDIR &&
	    p[strlen(p) - 1] != '/' ? "/" : "") >= (int)sizeof(name))
		return (-1);
	archive_entry_copy_pathname(e, name);
	return (0);
}

/* The file's bytes in order, its holes as zeros (the entry's sparse map
 * is dropped: a plain file, as Docker's tar has). */
static int
copy_data(struct archive *in, struct archive *out, const char *what,
    struct berth_error *err)
{
	static const char zeros[8192];
	const void *buf;
	size_t len, n;
	la_int64_t off, pos = 0;
	int r;

	while ((r = archive_read_data_block(in, &buf, &len, &off)) ==
	    ARCHIVE_OK) {
		for (; pos < off; pos += (la_int64_t)n) {
			n = off - pos > (la_int64_t)sizeof(zeros) ?
			    sizeof(zeros) : (size_t)(off - pos);
			if (archive_write_data(out, zeros, n) < 0)
				return (ar_error(out, what, err));
		}
		if (len > 0 && archive_write_data(out, buf, len) < 0)
			return (ar_error(out, what, err));
		pos += (la_int64_t)len;
	}
	if (r != ARCHIVE_EOF)
		return (ar_error(in, what, err));
	return (0);
}

/* Write e (and, for a hardlink whose first name is now known, the
 * deferred one). */
static int
write_one(struct archive *in, struct archive *out,
    struct archive_entry_linkresolver *lr, struct archive_entry *e,
    struct berth_error *err)
{
	struct archive_entry *spare = NULL;
	const char *what;
	int rc = 0;

	archive_entry_sparse_clear(e);
	archive_entry_linkify(lr, &e, &spare);
	if (e != NULL) {
		what = archive_entry_pathname(e);
		if (archive_write_header(out, e) < ARCHIVE_WARN)
			rc = ar_error(out, what, err);
		else if (archive_entry_size(e) > 0)
			rc = copy_data(in, out, what, err);
	}
	if (spare != NULL)
		archive_entry_free(spare);
	return (rc);
}

static int
open_reader(struct archive **out, struct berth_error *err)
{
	struct archive *a;

	if ((a = archive_read_disk_new()) == NULL)
		return (berth_error_sys(err, "export"));
	*out = a;
	if (archive_read_disk_set_symlink_physical(a) != ARCHIVE_OK ||
	    archive_read_disk_set_behavior(a,
	    ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS |
	    ARCHIVE_READDISK_NO_FFLAGS) != ARCHIVE_OK ||
	    archive_read_disk_open(a, ".") != ARCHIVE_OK)
		return (ar_error(a, "open", err));
	return (0);
}

static int
open_writer(int out_fd, struct archive **out, struct berth_error *err)
{
	struct archive *a;

	if ((a = archive_write_new()) == NULL)
		return (berth_error_sys(err, "export"));
	*out = a;
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, out_fd) != ARCHIVE_OK)
		return (ar_error(a, "open", err));
	return (0);
}

static int
export_chrooted(const char *root, int out_fd, struct berth_error *err)
{
	cleanup_archive struct archive *in = NULL;
	__attribute__((cleanup(cleanup_writerp))) struct archive *out = NULL;
	__attribute__((cleanup(cleanup_resolverp)))
	    struct archive_entry_linkresolver *lr = NULL;
	struct archive_entry *e;
	int r, rc = 0;

	if (chdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return (berth_error_sys(err, "export %s", root));
	if (open_reader(&in, err) < 0 || open_writer(out_fd, &out, err) < 0)
		return (-1);
	if ((lr = archive_entry_linkresolver_new()) == NULL ||
	    (e = archive_entry_new()) == NULL)
		return (berth_error_sys(err, "export"));
	archive_entry_linkresolver_set_strategy(lr, archive_format(out));
	while (rc == 0 && (r = archive_read_next_header2(in, e)) !=
	    ARCHIVE_EOF) {
		if (r == ARCHIVE_FATAL) {
			rc = ar_error(in, "read", err);
			break;
		}
		if (r == ARCHIVE_FAILED)	/* gone meanwhile */
			continue;
		if (archive_entry_filetype(e) == AE_IFDIR)
			archive_read_disk_descend(in);
		if (archive_entry_filetype(e) == AE_IFSOCK ||
		    relative_name(e) < 0)
			continue;
		rc = write_one(in, out, lr, e, err);
	}
	archive_entry_free(e);
	if (rc == 0 && archive_write_close(out) != ARCHIVE_OK)
		rc = ar_error(out, "close", err);
	return (rc);
}

/*
 * The walk runs chrooted, so that no path in the tree, whatever it is
 * swapped for meanwhile, can lead out of it; and in a child of its own,
 * so that the caller keeps its root (and /proc, which a sanitizer's leak
 * check reads at exit).  The child's error comes back through a pipe.
 */
int
rootfs_export(const char *root, int out_fd, struct berth_error *err)
{
	char msg[512];
	int fds[2], status, e;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return (berth_error_sys(err, "export: pipe"));
	if ((pid = fork()) < 0) {
		e = errno;
		close(fds[0]);
		close(fds[1]);
		errno = e;
		return (berth_error_sys(err, "export: fork"));
	}
	if (pid == 0) {
		struct berth_error cerr = BERTH_ERROR_INIT;

		close(fds[0]);
		if (export_chrooted(root, out_fd, &cerr) == 0)
			_exit(0);
		n = snprintf(msg, sizeof(msg), "%s",
		    berth_error_message(&cerr));
		(void)write(fds[1], msg, n > 0 ? (size_t)n : 0);
		_exit(1);
	}
	close(fds[1]);
	do
		n = read(fds[0], msg, sizeof(msg) - 1);
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	msg[n > 0 ? n : 0] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return (0);
	return (berth_error_set(err, BERTH_E_SYSTEM, 0, "%s", msg[0] != '\0' ?
	    msg : "export: the walk failed"));
}
