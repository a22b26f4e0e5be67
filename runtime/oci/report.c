/*
 * What berth-runtime tells its caller besides a command's output: errors
 * ("berth-runtime: message" on stderr, and a line in --log, which
 * containerd reads to explain a failure), debug lines with --debug, JSON
 * printing and pid files.
 *
 * --log lines follow runc's (logrus) formats: with --log-format json
 * {"level":"error","msg":"...","time":"..."}, else
 * time="..." level=error msg="...".
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "oci.h"
#include "state.h"

static void
log_line(struct oci_ctx *ctx, const char *level, const char *msg)
{
	cleanup_json json_t *j = NULL;
	cleanup_free char *text = NULL;
	char stamp[48];

	if (ctx->log == NULL)
		return;
	state_now_rfc3339(stamp, sizeof(stamp));
	if (ctx->log_format == OCI_LOG_JSON) {
		j = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg,
		    "time", stamp);
		if (j == NULL || (text = json_dumps(j, JSON_COMPACT)) == NULL)
			return;
		fprintf(ctx->log, "%s\n", text);
	} else {
		j = json_string(msg);	/* quoted and escaped */
		if (j == NULL || (text = json_dumps(j, JSON_ENCODE_ANY)) ==
		    NULL)
			return;
		fprintf(ctx->log, "time=\"%s\" level=%s msg=%s\n", stamp,
		    level, text);
	}
	fflush(ctx->log);
}

int
oci_fail(struct oci_ctx *ctx, const struct berth_error *err)
{
	const char *msg = berth_error_message(err);

	fprintf(stderr, "%s: %s\n", OCI_NAME, msg);
	log_line(ctx, "error", msg);
	return (OCI_EXIT_FAILURE);
}

int
oci_failf(struct oci_ctx *ctx, const char *fmt, ...)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	va_list ap;

	va_start(ap, fmt);
	berth_error_vset(&err, OCI_E_USAGE, 0, fmt, ap);
	va_end(ap);
	return (oci_fail(ctx, &err));
}

void
oci_warn(struct oci_ctx *ctx, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", OCI_NAME, msg);
	log_line(ctx, "warning", msg);
}

void
oci_debug(struct oci_ctx *ctx, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!ctx->debug)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ctx->log != NULL)
		log_line(ctx, "debug", msg);
	else
		fprintf(stderr, "%s: debug: %s\n", OCI_NAME, msg);
}

int
oci_print_json(FILE *f, const json_t *j, size_t indent,
    struct berth_error *err)
{
	if (j == NULL || json_dumpf(j, f, (indent > 0 ? JSON_INDENT(indent) :
	    JSON_COMPACT) | JSON_ENCODE_ANY) < 0 || fputc('\n', f) == EOF ||
	    fflush(f) == EOF)
		return (berth_error_set(err, BERTH_E_SYSTEM, 0,
		    "write JSON to standard output"));
	return (0);
}

/* Written beside and renamed over, as runc does, so a reader never sees
 * half a pid. */
int
oci_write_pid_file(const char *path, pid_t pid, struct berth_error *err)
{
	cleanup_free char *tmp = NULL;
	cleanup_close int fd = -1;
	char buf[32];
	int n;

	if (asprintf(&tmp, "%s.%d.tmp", path, (int)getpid()) < 0) {
		tmp = NULL;
		return (berth_error_sys(err, "pid file %s", path));
	}
	n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0 || write(fd, buf, (size_t)n) != n) {
		berth_error_sys(err, "write pid file %s", path);
		unlink(tmp);
		return (-1);
	}
	if (rename(tmp, path) < 0) {
		berth_error_sys(err, "write pid file %s", path);
		unlink(tmp);
		return (-1);
	}
	return (0);
}
