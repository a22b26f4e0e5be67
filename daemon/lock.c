/*
 * Single-instance locks: an flock(2) on a file beside what berthd owns (its
 * root, its run root, its socket).  The kernel drops the lock when berthd
 * dies, however it dies, so a stale lock file never blocks a restart; the
 * pid written inside is only for the message.
 */
#include <sys/file.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "daemon.h"

int
lock_acquire(const char *path, int *out, struct berth_error *err)
{
	cleanup_close int fd = -1;
	char buf[32];
	ssize_t n;
	int len;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return (berth_error_sys(err, "open lock %s", path));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return (berth_error_sys(err, "lock %s", path));
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		return (berth_error_set(err, "io.berth.Service.AlreadyRunning",
		    0, "another berthd (pid %s) holds %s",
		    buf[0] != '\0' ? buf : "unknown", path));
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len)
		return (berth_error_sys(err, "write lock %s", path));
	*out = steal_fd(&fd);
	return (0);
}
