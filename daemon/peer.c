/*
 * A client connection.  This file alone touches the socket: it reads whole
 * frames and hands each to dispatch, queues the replies, and enforces the
 * per-peer rules:
 *
 *  - output above PEER_OUTPUT_HIGH stops the reading of calls until it
 *    drains below PEER_OUTPUT_LOW, so a client that does not read its
 *    replies cannot make berthd buffer without bound (the kernel's socket
 *    buffer then pushes back on the client);
 *  - a frame must be complete within --frame-timeout of its first byte;
 *  - after a frame that cannot be trusted the peer gets an error and is
 *    closed once that error is out;
 *  - a peer that goes is unlinked at once and freed on the next loop turn,
 *    never inside its own callback;
 *  - when berthd drains (SIGTERM), calls the peer already sent are still
 *    read and answered, then the connection closes.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "daemon.h"
#include "dispatch.h"
#include "frame.h"
#include "limits.h"
#include "log.h"
#include "message.h"
#include "peer.h"

static void peer_process(struct peer *p);
static void hangup_free(struct peer *p);

/* Bytes the peer sent that are still in the kernel's socket buffer. */
static int
socket_unread(struct peer *p)
{
	int n = 0;

	if (ioctl(bufferevent_getfd(p->bev), FIONREAD, &n) < 0)
		return (0);
	return (n);
}

/*
 * Closing a UNIX socket that holds unread bytes resets the connection: the
 * peer then gets ECONNRESET instead of the EOF after our last reply.  Read
 * and drop what is pending, a bounded amount, before closing.
 */
static void
discard_unread(struct peer *p)
{
	char buf[4096];
	int fd = bufferevent_getfd(p->bev), i;

	shutdown(fd, SHUT_WR);
	for (i = 0; i < 16; i++)
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
}

static void
peer_kill(struct peer *p, const char *why)
{
	struct daemon *d = p->d;

	if (p->dead)
		return;
	if (p->sops != NULL) {
		const struct peer_session_ops *ops = p->sops;

		p->sops = NULL;
		ops->gone(p->sarg, p);
	}
	if (p->closing)
		discard_unread(p);
	log_debug("peer", "peer %llu (pid %ld uid %ld): %s", p->id,
	    (long)p->pid, (long)p->uid, why);
	p->dead = true;
	bufferevent_disable(p->bev, EV_READ | EV_WRITE);
	evtimer_del(p->frame_timer);
	event_del(p->resume);
	hangup_free(p);
	TAILQ_REMOVE(&d->peers, p, entry);
	TAILQ_INSERT_TAIL(&d->graveyard, p, entry);
	d->npeers--;
	daemon_schedule_reap(d);
	listeners_resume(d);
	daemon_idle_check(d);
}

static void
hangup_free(struct peer *p)
{
	if (p->hangup != NULL) {
		event_free(p->hangup);
		p->hangup = NULL;
	}
	if (p->hangup_fd >= 0) {
		close(p->hangup_fd);
		p->hangup_fd = -1;
	}
}

void
peer_free(struct peer *p)
{
	hangup_free(p);
	if (p->bev != NULL)
		bufferevent_free(p->bev);
	if (p->frame_timer != NULL)
		event_free(p->frame_timer);
	if (p->resume != NULL)
		event_free(p->resume);
	free(p);
}

static size_t
output_length(struct peer *p)
{
	return (evbuffer_get_length(bufferevent_get_output(p->bev)));
}

/* Close once the queued output has reached the peer. */
static void
peer_close_when_flushed(struct peer *p)
{
	p->closing = true;
	bufferevent_disable(p->bev, EV_READ);
	evtimer_del(p->frame_timer);
	/* The write callback must now fire at empty, not at low water. */
	bufferevent_setwatermark(p->bev, EV_WRITE, 0, 0);
	if (output_length(p) == 0)
		peer_kill(p, "closed");
}

int
peer_send(struct peer *p, const void *frame, size_t len)
{
	if (p->dead)
		return (0);
	return (bufferevent_write(p->bev, frame, len));
}

void
peer_reply(struct peer *p, bool continues, peer_pack_fn pack,
    const void *arg)
{
	struct berth_error err = BERTH_ERROR_INIT;
	msgpack_sbuffer sb;
	msgpack_packer pk;

	if (p->dead)
		return;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	frame_begin(&sb);
	reply_pack_head(&pk, continues);
	pack(&pk, arg);
	if (frame_finish(&sb, p->d->cfg.max_frame, &err) == 0)
		peer_send(p, sb.data, sb.size);
	else
		log_error("peer", "peer %llu: reply dropped: %s", p->id,
		    berth_error_message(&err));
	berth_error_clear(&err);
	msgpack_sbuffer_destroy(&sb);
}

void
peer_send_error(struct peer *p, const struct berth_error *err, bool fatal)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct berth_error ferr = BERTH_ERROR_INIT;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	frame_begin(&sb);
	reply_pack_error(&pk, err);
	if (frame_finish(&sb, FRAME_MAX_LIMIT, &ferr) == 0)
		peer_send(p, sb.data, sb.size);
	berth_error_clear(&ferr);
	msgpack_sbuffer_destroy(&sb);
	if (fatal) {
		log_debug("peer", "peer %llu: %s; closing", p->id,
		    berth_error_message(err));
		peer_close_when_flushed(p);
	}
}

void
peer_pack_empty(msgpack_packer *pk, const void *arg)
{
	(void)arg;
	msgpack_pack_map(pk, 0);
}

void
peer_pack_bin(msgpack_packer *pk, const void *arg)
{
	const struct peer_kv *kv = arg;

	msgpack_pack_map(pk, 1);
	msgpack_pack_str_with_body(pk, kv->key, strlen(kv->key));
	msgpack_pack_bin_with_body(pk, kv->data, kv->len);
}

void
peer_pack_int(msgpack_packer *pk, const void *arg)
{
	const struct peer_kv *kv = arg;

	msgpack_pack_map(pk, 1);
	msgpack_pack_str_with_body(pk, kv->key, strlen(kv->key));
	msgpack_pack_int64(pk, kv->num);
}

void
peer_pack_true(msgpack_packer *pk, const void *arg)
{
	const struct peer_kv *kv = arg;

	msgpack_pack_map(pk, 1);
	msgpack_pack_str_with_body(pk, kv->key, strlen(kv->key));
	msgpack_pack_true(pk);
}

/* Whether frames are taken from the peer now: not while its replies pile
 * up, nor while a session holds it (a session that is not upgraded takes
 * no frames at all). */
static bool
reading(struct peer *p)
{
	return (!p->paused && !p->closing && !p->dead && !p->held &&
	    !(p->sops != NULL && !p->upgraded));
}

static void
update_reading(struct peer *p)
{
	if (reading(p) && !p->eof)
		bufferevent_enable(p->bev, EV_READ);
	else {
		bufferevent_disable(p->bev, EV_READ);
		/* Waiting on ourselves is not the peer's fault. */
		evtimer_del(p->frame_timer);
	}
}

static void
pause_input(struct peer *p)
{
	p->paused = true;
	update_reading(p);
}

/* The deadline for a frame runs from its first byte; it restarts only when
 * a frame completes, so trickling bytes cannot hold a connection open. */
static void
update_frame_timer(struct peer *p, bool completed_one)
{
	struct timeval tv = { p->d->cfg.frame_timeout, 0 };
	size_t pending;

	pending = evbuffer_get_length(bufferevent_get_input(p->bev));
	if (completed_one || pending == 0 || !reading(p))
		evtimer_del(p->frame_timer);
	if (pending > 0 && reading(p) &&
	    !evtimer_pending(p->frame_timer, NULL))
		evtimer_add(p->frame_timer, &tv);
}

static void
peer_process(struct peer *p)
{
	struct evbuffer *in = bufferevent_get_input(p->bev);
	struct berth_error err = BERTH_ERROR_INIT;
	bool completed = false;
	struct frame f;
	int rc;

	if (p->processing)
		return;		/* a session ended inside dispatch: the loop
				 * below goes on by itself */
	p->processing = true;
	frame_init(&f);
	while (reading(p)) {
		if (output_length(p) >= PEER_OUTPUT_HIGH) {
			pause_input(p);
			break;
		}
		rc = frame_read_evbuffer(in, p->d->cfg.max_frame, &f, &err);
		if (rc == 0)
			break;
		completed = true;
		if (rc < 0) {
			/* The stream cannot be trusted past a bad frame. */
			peer_send_error(p, &err, true);
			break;
		}
		if (p->sops != NULL)
			p->sops->frame(p->sarg, p, f.root);
		else
			dispatch_frame(p->d, p, f.root);
		frame_release(&f);
	}
	frame_release(&f);
	berth_error_clear(&err);
	p->processing = false;
	if (p->dead)
		return;
	update_frame_timer(p, completed);
	if (p->paused || p->closing)
		return;
	if (p->sops != NULL) {
		/* An upgraded session hears of the half-close once every
		 * whole frame before it was taken. */
		if (p->upgraded && p->eof && !p->held && !p->eof_told &&
		    evbuffer_get_length(in) == 0) {
			p->eof_told = true;
			p->sops->frame(p->sarg, p, NULL);
		}
		return;
	}
	if (p->held)
		return;
	/* The peer half-closed, or berthd is draining and the peer has sent
	 * nothing more: what was read is answered, then the connection
	 * goes. */
	if (p->eof || (p->d->draining && socket_unread(p) == 0))
		peer_close_when_flushed(p);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	peer_process(arg);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct peer *p = arg;

	(void)bev;
	if (p->closing) {
		if (output_length(p) == 0)
			peer_kill(p, "closed after last reply");
		return;
	}
	if (output_length(p) > PEER_OUTPUT_LOW)
		return;
	if (p->sops != NULL && p->sops->drained != NULL)
		p->sops->drained(p->sarg, p);
	if (p->paused && !p->dead) {
		p->paused = false;
		update_reading(p);
		peer_process(p);
	}
}

static void
event_cb(struct bufferevent *bev, short events, void *arg)
{
	struct peer *p = arg;

	(void)bev;
	if (events & BEV_EVENT_EOF) {
		/* Half-closed: answer the calls already read, then close. */
		p->eof = true;
		update_reading(p);
		if (!p->paused)
			peer_process(p);
		return;
	}
	if (events & BEV_EVENT_TIMEOUT) {
		peer_kill(p, "took none of its replies for too long");
		return;
	}
	if (events & BEV_EVENT_ERROR)
		peer_kill(p, strerror(EVUTIL_SOCKET_ERROR()));
}

/*
 * The peer's socket shut down.  A half-close is the peer's way to say it
 * sends no more (the read side handles it); a hang-up (both directions
 * gone) means no reply can reach it.  Sessions that read nothing (a Wait,
 * a Logs follow, Events) would otherwise hold on to a gone peer until
 * they next wrote to it.  The watch is on a dup of the socket: epoll
 * keeps one set of flags per fd, and the bufferevent's own changes would
 * make this edge-triggered watch level-triggered (a half-closed peer
 * would wake the loop on every turn).
 */
static void
hangup_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pollfd pfd = { fd, POLLRDHUP, 0 };

	(void)what;
	if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR)))
		peer_kill(arg, "hung up");
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;

	(void)fd;
	(void)what;
	if (!p->dead)
		peer_process(p);
}

/*
 * Take the peer's next calls on the next loop turn, not now: a session
 * ends deep inside other work (a container's exit answering its waiters),
 * and a pipelined call run from there could free what that work holds.
 */
static void
schedule_process(struct peer *p)
{
	if (!p->dead)
		event_active(p->resume, EV_TIMEOUT, 0);
}

static void
frame_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;

	(void)fd;
	(void)what;
	log_info("peer", "peer %llu (pid %ld): frame incomplete after %d s; "
	    "closing", p->id, (long)p->pid, p->d->cfg.frame_timeout);
	peer_kill(p, "frame timeout");
}

/* Root, or a member of --group by primary or supplementary group (as the
 * kernel recorded them at connect time: no NSS lookup on the loop). */
static bool
peer_allowed(struct daemon *d, int fd, const struct ucred *cred)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	size_t i;

	if (cred->uid == 0)
		return (true);
	if (d->cfg.group == NULL)
		return (false);
	if (cred->gid == d->cfg.gid)
		return (true);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return (false);
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == d->cfg.gid)
			return (true);
	return (false);
}

static size_t
peers_of_uid(struct daemon *d, uid_t uid)
{
	struct peer *p;
	size_t n = 0;

	TAILQ_FOREACH(p, &d->peers, entry)
		if (p->uid == uid && !p->closing)
			n++;
	return (n);
}

/* Whether taking this peer would leave too few descriptors for berthd's
 * own files; fds are allocated lowest first, so the number tells. */
static bool
fds_short(struct daemon *d, int fd)
{
	return (d->nofile > FD_RESERVE && (unsigned long)fd >= d->nofile -
	    FD_RESERVE);
}

static void
refuse_busy(struct peer *p, const char *why, int limit)
{
	struct berth_error err = BERTH_ERROR_INIT;

	log_warn("peer", "refused pid %ld uid %ld: %s", (long)p->pid,
	    (long)p->uid, why);
	berth_error_set(&err, BERTH_E_BUSY, 0, "too many connections: %s",
	    why);
	berth_error_param_int(&err, "limit", limit);
	peer_send_error(p, &err, true);
	berth_error_clear(&err);
}

void
peer_accept(struct daemon *d, int fd)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct timeval wt = { PEER_WRITE_TIMEOUT, 0 };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct peer *p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_error("peer", "accept: out of memory");
		close(fd);
		return;
	}
	p->d = d;
	p->hangup_fd = -1;
	p->id = ++d->next_peer_id;
	p->bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	p->frame_timer = evtimer_new(d->base, frame_timeout_cb, p);
	p->resume = event_new(d->base, -1, 0, resume_cb, p);
	if (p->bev == NULL || p->frame_timer == NULL || p->resume == NULL) {
		log_error("peer", "accept: out of memory");
		if (p->bev == NULL)
			close(fd);
		peer_free(p);
		return;
	}
	memset(&cred, 0, sizeof(cred));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		cred.uid = (uid_t)-1;
		cred.gid = (gid_t)-1;
	}
	p->pid = cred.pid;
	p->uid = cred.uid;
	p->gid = cred.gid;
	/* Where the loop can tell a shut-down socket (epoll's RDHUP). */
	if ((event_base_get_features(d->base) & EV_FEATURE_EARLY_CLOSE) &&
	    (p->hangup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) >= 0 &&
	    (p->hangup = event_new(d->base, p->hangup_fd, EV_CLOSED | EV_ET |
	    EV_PERSIST, hangup_cb, p)) != NULL)
		event_add(p->hangup, NULL);
	bufferevent_setcb(p->bev, read_cb, write_cb, event_cb, p);
	bufferevent_setwatermark(p->bev, EV_WRITE, PEER_OUTPUT_LOW, 0);
	bufferevent_set_timeouts(p->bev, NULL, &wt);
	TAILQ_INSERT_TAIL(&d->peers, p, entry);
	d->npeers++;
	daemon_idle_check(d);
	log_debug("peer", "peer %llu: pid %ld uid %ld gid %ld", p->id,
	    (long)cred.pid, (long)cred.uid, (long)cred.gid);

	if (!peer_allowed(d, fd, &cred)) {
		log_info("peer", "refused pid %ld uid %ld: not root%s%s",
		    (long)cred.pid, (long)cred.uid, d->cfg.group != NULL ?
		    " nor in group " : "", d->cfg.group != NULL ?
		    d->cfg.group : "");
		berth_error_set(&err, BERTH_E_PERMISSION, 0, "permission "
		    "denied: uid %ld is not root%s%s", (long)cred.uid,
		    d->cfg.group != NULL ? " nor in group " : "",
		    d->cfg.group != NULL ? d->cfg.group : "");
		berth_error_param_int(&err, "uid", (int64_t)cred.uid);
		peer_send_error(p, &err, true);
	} else if (d->npeers > (size_t)d->cfg.max_connections)
		refuse_busy(p, "berthd serves --max-connections already",
		    d->cfg.max_connections);
	else if (p->uid != 0 && peers_of_uid(d, p->uid) > PEERS_PER_UID_MAX)
		refuse_busy(p, "this user holds the most connections one "
		    "user may", PEERS_PER_UID_MAX);
	else if (fds_short(d, fd))
		refuse_busy(p, "berthd is short of file descriptors",
		    (int)(d->nofile - FD_RESERVE));
	else
		bufferevent_enable(p->bev, EV_READ | EV_WRITE);
	berth_error_clear(&err);
}

void
peer_session_begin(struct peer *p, const struct peer_session_ops *ops,
    void *arg, bool upgraded)
{
	p->sops = ops;
	p->sarg = arg;
	p->upgraded = upgraded;
	p->eof_told = false;
	update_reading(p);
}

void
peer_session_end(struct peer *p)
{
	if (p->dead || p->sops == NULL)
		return;
	p->sops = NULL;
	p->sarg = NULL;
	p->held = false;
	if (p->upgraded) {
		/* What follows an upgraded call is not calls. */
		peer_close_when_flushed(p);
		return;
	}
	update_reading(p);
	schedule_process(p);
}

void
peer_hold_input(struct peer *p, bool hold)
{
	if (p->dead || p->held == hold)
		return;
	p->held = hold;
	update_reading(p);
	if (!hold)
		schedule_process(p);
}

bool
peer_output_full(struct peer *p)
{
	return (output_length(p) >= PEER_OUTPUT_HIGH);
}

void
peer_drain(struct peer *p)
{
	if (p->dead || p->closing || p->paused)
		return;
	/* Calls already sent are read and answered; then peer_process
	 * closes the connection. */
	peer_process(p);
}
