/*
 * A container's output: the loop reads its stdout and stderr pipes into
 * its log (store/log.h), and feeds Logs followers as records arrive.
 *
 * Memory stays bounded whatever the container writes: a pipe is read a
 * chunk at a time and written to the log at once, so a container faster
 * than the disk waits in write(2) on its full pipe; a follower slower
 * than the container is fed from the log file as its connection drains,
 * never from memory.  Rotated segments are compressed by a helper
 * process (job.h), never on the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cleanup.h"
#include "container.h"
#include "daemon.h"
#include "frame.h"
#include "job.h"
#include "log.h"
#include "loop-util.h"
#include "container-log.h"
#include "message.h"
#include "peer.h"

#define PUMP_CHUNK		65536
#define LOG_NAME		"container"
/* Segments of a container's log: 4 of 32 MiB, older ones compressed. */
#define LOG_MAX_SIZE		(32u << 20)
#define LOG_MAX_FILES		4
/* Records sent to a follower per turn before yielding to the loop. */
#define FOLLOW_BATCH		256

struct ctr_follow {
	TAILQ_ENTRY(ctr_follow)	 entry;
	struct container	*c;	/* NULL once the container is gone */
	struct peer		*p;
	struct log_reader	*r;
	bool			 follow;
	bool			 ended;	/* the container stopped */
};

static int
container_dirfd(struct container *c, struct berth_error *err)
{
	char path[4096];
	int fd;

	if (snprintf(path, sizeof(path), "%s/containers/%s", c->d->cfg.root,
	    c->id) >= (int)sizeof(path))
		return (berth_error_set(err, BERTH_E_INTERNAL, ENAMETOOLONG,
		    "container directory"));
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return (berth_error_sys(err, "open %s", path));
	return (fd);
}

/* ---- compression of rotated segments ------------------------------ */

struct compress_job {
	struct container	*c;
};

static void
compress_done(void *arg, const msgpack_object *result,
    const struct berth_error *err)
{
	struct container *c = arg;

	(void)result;
	if (err != NULL)
		log_warn("container", "%.12s: compress log: %s", c->id,
		    berth_error_message(err));
	c->log_job = NULL;
	if (c->log != NULL)
		log_hold_rotation(c->log, false);
}

static const struct job_ops compress_ops = {
	.done = compress_done,
};

/* Rotated segments waiting: one helper compresses them while rotation
 * is held. */
static void
compress_rotated(struct container *c)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	char **names = NULL, dir[4096];
	size_t n = 0, i;

	if (c->log_job != NULL || log_rotated_pending(c->log, &names, &n,
	    &err) < 0 || n == 0) {
		if (berth_error_isset(&err))
			log_warn("container", "%.12s: %s", c->id,
			    berth_error_message(&err));
		strv_free(names);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/containers/%s", c->d->cfg.root, c->id);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	pack_kv_str(&pk, "dir", dir);
	pack_str(&pk, "segments");
	msgpack_pack_array(&pk, n);
	for (i = 0; i < n; i++)
		pack_str(&pk, names[i]);
	strv_free(names);
	log_hold_rotation(c->log, true);
	if (job_start(c->d, "log-compress", 0, sb.data, sb.size,
	    &compress_ops, c, &c->log_job, &err) < 0) {
		log_warn("container", "%.12s: %s", c->id,
		    berth_error_message(&err));
		log_hold_rotation(c->log, false);
		c->log_job = NULL;
	}
	msgpack_sbuffer_destroy(&sb);
}

/* berthd --helper log-compress: {dir, segments}. */
int
log_compress_child(const msgpack_object *args, struct job_child *jc,
    msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *dir = msgpack_map_get(args, "dir");
	const msgpack_object *segs = msgpack_map_get(args, "segments");
	char path[4096], name[256];
	uint32_t i;
	int fd, rc = 0;

	(void)jc;
	if (dir == NULL || !msgpack_str_copy(dir, path, sizeof(path)) ||
	    segs == NULL || segs->type != MSGPACK_OBJECT_ARRAY)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "log-compress: bad arguments"));
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return (berth_error_sys(err, "open %s", path));
	for (i = 0; i < segs->via.array.size && rc == 0; i++) {
		if (!msgpack_str_copy(&segs->via.array.ptr[i], name,
		    sizeof(name)))
			continue;
		rc = log_compress_segment(fd, name, err);
	}
	close(fd);
	if (rc == 0)
		msgpack_pack_map(pk, 0);
	return (rc);
}

/* ---- pumps -------------------------------------------------------- */

int
container_logs_open(struct container *c, struct berth_error *err)
{
	struct log_opts opts = { LOG_MAX_SIZE, LOG_MAX_FILES };
	int fd;

	if (c->log != NULL)
		return (0);
	if ((fd = container_dirfd(c, err)) < 0)
		return (-1);
	if (log_writer_open(fd, LOG_NAME, &opts, &c->log, err) < 0) {
		close(fd);
		return (-1);
	}
	c->log_dirfd = fd;
	return (0);
}

void
container_logs_close(struct container *c)
{
	if (c->log_job != NULL) {
		job_cancel(c->log_job);
		c->log_job = NULL;
	}
	if (c->log != NULL) {
		log_writer_close(c->log);
		c->log = NULL;
	}
	if (c->log_dirfd >= 0) {
		close(c->log_dirfd);
		c->log_dirfd = -1;
	}
}

/* An attached peer is full: read no more until it drains. */
static void
pumps_pause(struct container *c)
{
	if (c->pumps_paused)
		return;
	c->pumps_paused = true;
	if (c->out_ev != NULL)
		event_del(c->out_ev);
	if (c->err_ev != NULL)
		event_del(c->err_ev);
}

void
container_pumps_resume(struct container *c)
{
	if (!c->pumps_paused || container_attach_full(c))
		return;
	c->pumps_paused = false;
	if (c->out_ev != NULL)
		event_add(c->out_ev, NULL);
	if (c->err_ev != NULL)
		event_add(c->err_ev, NULL);
}

/* Read one chunk of a pipe into the log: 1 more may come, 0 EOF. */
static int
pump(struct container *c, int fd, enum log_stream s)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	char buf[PUMP_CHUNK];
	ssize_t n;

	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return (errno == EAGAIN || errno == EINTR ? 1 : 0);
	if (n == 0)
		return (0);
	if (c->log != NULL && log_write(c->log, s, now_ns(), buf, (size_t)n,
	    &err) < 0)
		log_warn("container", "%.12s: log: %s", c->id,
		    berth_error_message(&err));
	if (container_attach_output(c, s, buf, (size_t)n))
		pumps_pause(c);
	return (1);
}

static void
pump_cb(evutil_socket_t fd, short what, void *arg)
{
	struct container *c = arg;
	bool out = fd == c->out_fd;

	(void)what;
	if (c->pumps_paused)
		return;
	if (pump(c, fd, out ? LOG_STDOUT : LOG_STDERR) == 0) {
		if (out)
			event_close_fd(&c->out_ev, &c->out_fd);
		else
			event_close_fd(&c->err_ev, &c->err_fd);
	}
	if (c->log != NULL)
		compress_rotated(c);
	container_follows_notify(c);
}

/* err_fd is -1 with a terminal: the pty master (out_fd) is both. */
int
container_pumps_start(struct container *c, int out_fd, int err_fd,
    struct berth_error *err)
{
	c->pumps_paused = false;
	if (fcntl(out_fd, F_SETFL, O_NONBLOCK) < 0 ||
	    (err_fd >= 0 && fcntl(err_fd, F_SETFL, O_NONBLOCK) < 0)) {
		close(out_fd);
		if (err_fd >= 0)
			close(err_fd);
		return (berth_error_sys(err, "output pipes"));
	}
	c->out_fd = out_fd;
	c->err_fd = err_fd;
	c->out_ev = event_new(c->d->base, out_fd, EV_READ | EV_PERSIST,
	    pump_cb, c);
	if (err_fd >= 0)
		c->err_ev = event_new(c->d->base, err_fd, EV_READ |
		    EV_PERSIST, pump_cb, c);
	if (c->out_ev == NULL || (err_fd >= 0 && c->err_ev == NULL) ||
	    event_add(c->out_ev, NULL) < 0 || (c->err_ev != NULL &&
	    event_add(c->err_ev, NULL) < 0)) {
		event_close_fd(&c->out_ev, &c->out_fd);
		event_close_fd(&c->err_ev, &c->err_fd);
		return (berth_error_set(err, BERTH_E_SYSTEM, ENOMEM,
		    "output pumps"));
	}
	return (0);
}

void
container_pumps_finish(struct container *c)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	int i;

	/* What the container wrote before it exited is in the pipes; a
	 * process it left behind could keep writing: bounded. */
	for (i = 0; i < 64 && c->out_fd >= 0 && pump(c, c->out_fd,
	    LOG_STDOUT) > 0; i++)
		;
	for (i = 0; i < 64 && c->err_fd >= 0 && pump(c, c->err_fd,
	    LOG_STDERR) > 0; i++)
		;
	event_close_fd(&c->out_ev, &c->out_fd);
	event_close_fd(&c->err_ev, &c->err_fd);
	if (c->log != NULL && log_flush(c->log, &err) < 0)
		log_warn("container", "%.12s: log: %s", c->id,
		    berth_error_message(&err));
	container_follows_notify(c);
}

/* ---- Logs --------------------------------------------------------- */

static void
follow_free(struct ctr_follow *f)
{
	if (f->c != NULL)
		TAILQ_REMOVE(&f->c->follows, f, entry);
	log_reader_close(f->r);
	free(f);
}

static void
pack_record(msgpack_packer *pk, const void *arg)
{
	const struct log_record *rec = arg;

	msgpack_pack_map(pk, 3);
	pack_kv_str(pk, "stream", rec->stream == LOG_STDERR ? "stderr" :
	    "stdout");
	pack_str(pk, "data");
	msgpack_pack_bin(pk, rec->len);
	msgpack_pack_bin_body(pk, rec->data, rec->len);
	pack_str(pk, "time");
	msgpack_pack_int64(pk, rec->ts_ns);
}

/* The last, empty reply (or an error), and the peer goes on. */
static void
follow_end(struct ctr_follow *f, const struct berth_error *e)
{
	struct peer *p = f->p;

	if (e != NULL)
		peer_send_error(p, e, false);
	else
		peer_reply(p, false, peer_pack_empty, NULL);
	follow_free(f);
	peer_session_end(p);
}

/* Send what the log has while the peer keeps up; end when it is all out
 * and there is nothing more to follow. */
static void
follow_pump(struct ctr_follow *f)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct log_record rec;
	int i, rc = 1;

	for (i = 0; i < FOLLOW_BATCH && !peer_output_full(f->p); i++) {
		if ((rc = log_reader_next(f->r, &rec, &err)) <= 0)
			break;
		peer_reply(f->p, true, pack_record, &rec);
	}
	if (rc < 0) {
		follow_end(f, &err);
		berth_error_clear(&err);
		return;
	}
	if (rc == 0 && (!f->follow || f->ended || f->c == NULL ||
	    f->c->state != CTR_RUNNING))
		follow_end(f, NULL);
	/* else: more when the peer drains or the container writes. */
}

static void
follow_drained(void *arg, struct peer *p)
{
	(void)p;
	follow_pump(arg);
}

static void
follow_gone(void *arg, struct peer *p)
{
	(void)p;
	follow_free(arg);
}

static const struct peer_session_ops follow_ops = {
	.drained = follow_drained,
	.gone = follow_gone,
};

void
container_follows_notify(struct container *c)
{
	struct ctr_follow *f, *next;

	for (f = TAILQ_FIRST(&c->follows); f != NULL; f = next) {
		next = TAILQ_NEXT(f, entry);
		if (!peer_output_full(f->p))
			follow_pump(f);
	}
}

/* The container stopped (or is going): followers get the rest, then
 * their last reply. */
void
container_follows_end(struct container *c)
{
	struct ctr_follow *f, *next;

	for (f = TAILQ_FIRST(&c->follows); f != NULL; f = next) {
		next = TAILQ_NEXT(f, entry);
		f->ended = true;
		follow_pump(f);
	}
	/* Those still sending (slow peers) read on from their own fd. */
	while ((f = TAILQ_FIRST(&c->follows)) != NULL) {
		TAILQ_REMOVE(&c->follows, f, entry);
		f->c = NULL;
	}
}

static int64_t
param_int(const struct call *call, const char *key, int64_t def)
{
	const msgpack_object *v = msgpack_map_get(call->parameters, key);

	if (v == NULL)
		return (def);
	if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return ((int64_t)v->via.u64);
	if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return (v->via.i64);
	return (def);
}

static bool
param_flag(const struct call *call, const char *key, bool def)
{
	const msgpack_object *v = msgpack_map_get(call->parameters, key);

	if (v == NULL || v->type != MSGPACK_OBJECT_BOOLEAN)
		return (def);
	return (v->via.boolean);
}

int
container_api_logs(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	struct log_query q;
	struct ctr_follow *f;
	struct container *c;
	char name[256];
	int fd;

	(void)pk;
	if (!(call->flags & CALL_MORE)) {
		berth_error_set(err, BERTH_E_INVALID_CALL, 0, "%s streams: "
		    "call it with \"more\": true", call->method);
		return (berth_error_param_str(err, "reason", "more required"));
	}
	if (!msgpack_str_copy(msgpack_map_get(call->parameters, "container"),
	    name, sizeof(name)))
		name[0] = '\0';
	if (container_find(d, name, &c, err) < 0)
		return (-1);
	memset(&q, 0, sizeof(q));
	q.tail = param_int(call, "tail", -1);
	q.since_ns = param_int(call, "since", 0);
	q.until_ns = param_int(call, "until", 0);
	if (param_flag(call, "stdout", true))
		q.streams |= 1u << LOG_STDOUT;
	if (param_flag(call, "stderr", true))
		q.streams |= 1u << LOG_STDERR;
	if (q.streams == 0)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "logs: choose stdout, stderr or both"));
	if ((fd = container_dirfd(c, err)) < 0)
		return (-1);
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		close(fd);
		return (berth_error_sys(err, "logs"));
	}
	if (log_reader_open(fd, LOG_NAME, &q, &f->r, err) < 0) {
		close(fd);
		free(f);
		return (-1);
	}
	close(fd);
	f->c = c;
	f->p = p;
	f->follow = param_flag(call, "follow", false) && q.until_ns == 0;
	TAILQ_INSERT_TAIL(&c->follows, f, entry);
	peer_session_begin(p, &follow_ops, f, false);
	follow_pump(f);
	return (DISPATCH_DEFERRED);
}
