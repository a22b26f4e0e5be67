/*
 * The child's side of the sync socket: reporting a failed step to the
 * parent, and sending messages (with an fd when there is one).
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "child.h"

int
send_with_fd(int sock, const void *data, size_t len, int pass_fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (pass_fd >= 0) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	return (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0);
}

int
sync_send(int fd, int type, int pass_fd)
{
	return (send_with_fd(fd, &type, sizeof(type), pass_fd));
}

static void __attribute__((noreturn))
send_and_exit(struct child_ctx *c, struct child_error *ce)
{
	ce->type = SYNC_ERROR;
	/* Nobody may be listening any more (a created container whose
	 * creator exited): the container's stderr and exit code tell. */
	(void)send(c->sync_fd, ce, sizeof(*ce), MSG_NOSIGNAL);
	if (c->started)
		dprintf(STDERR_FILENO, "%s\n", ce->message);
	_exit(ce->exit_code);
}

void
child_fail(struct child_ctx *c, const char *name, int errnum, int exit_code,
    const char *fmt, ...)
{
	struct child_error ce;
	va_list ap;
	int n;

	memset(&ce, 0, sizeof(ce));
	ce.errnum = errnum;
	ce.exit_code = exit_code;
	snprintf(ce.name, sizeof(ce.name), "%s", name);
	va_start(ap, fmt);
	n = vsnprintf(ce.message, sizeof(ce.message), fmt, ap);
	va_end(ap);
	if (errnum != 0 && n >= 0 && (size_t)n < sizeof(ce.message))
		snprintf(ce.message + n, sizeof(ce.message) - (size_t)n,
		    ": %s", strerror(errnum));
	send_and_exit(c, &ce);
}

void
child_fail_error(struct child_ctx *c, const struct berth_error *err)
{
	struct child_error ce;

	memset(&ce, 0, sizeof(ce));
	ce.errnum = err->errnum;
	ce.exit_code = 1;
	snprintf(ce.name, sizeof(ce.name), "%s", err->name[0] != '\0' ?
	    err->name : RT_E_SETUP);
	snprintf(ce.message, sizeof(ce.message), "%s",
	    berth_error_message(err));
	send_and_exit(c, &ce);
}
