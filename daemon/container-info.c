/*
 * io.berth.Container's calls that look at a container: Top, Stats,
 * Rename, Diff, Export.
 *
 *   Top: ps -ef's columns read from /proc for the cgroup's pids, on the
 *   loop (a handful of small files per process); other ps options run
 *   the host's ps in a helper, which keeps the container's rows.
 *   Stats: a sample of the cgroup and /proc/stat as Docker's stats
 *   document, now and then once a second on a timer (stream), or twice a
 *   second apart (no stream: CPU % needs two).  A container that is not
 *   running gives a document of zeros, once; a stream ends with one when
 *   the container stops.
 *   Diff, Export: helpers, since both walk the whole tree.  Diff's
 *   changes come through the helper's fd 1 (they may outgrow its
 *   report), up to a reply's size; Export's tar goes back as {"data"}
 *   replies paced by the peer, as Image.Save's.
 *   Rename: checked here, stored by container_save.
 */
#include <sys/mount.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>

#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "container-info.h"
#include "daemon.h"
#include "events.h"
#include "job.h"
#include "json-pack.h"
#include "log.h"
#include "message.h"
#include "peer.h"
#include "rootfs-export.h"
#include "snapshot.h"

#define DATA_CHUNK		(256u << 10)
#define STATS_INTERVAL_SEC	1
/* What Top takes from ps and from a process's command line. */
#define PS_OUTPUT_MAX		(16u << 20)
#define CMDLINE_MAX		4096
#define TOP_COLUMNS		8

extern char **environ;

static void
sbuffer_destroyp(msgpack_sbuffer *sb)
{
	msgpack_sbuffer_destroy(sb);
}
#define cleanup_sbuffer	__attribute__((cleanup(sbuffer_destroyp)))

static int
find_container(struct daemon *d, const struct call *call,
    struct container **c, struct berth_error *err)
{
	char name[CTR_NAME_MAX + 2];

	if (!msgpack_str_copy(msgpack_map_get(call->parameters, "container"),
	    name, sizeof(name))) {
		berth_error_set(err, CTR_E_NOT_FOUND, 0, "No such container: "
		    "(a name of more than %d characters)", CTR_NAME_MAX);
		return (berth_error_param_str(err, "container", ""));
	}
	return (container_find(d, name, c, err));
}

static int
not_running(struct container *c, struct berth_error *err)
{
	berth_error_set(err, CTR_E_STATE, 0, "container %s is not running",
	    c->name);
	berth_error_param_str(err, "container", c->name);
	return (berth_error_param_str(err, "state",
	    container_state_name(c->state)));
}

static void
pack_object(msgpack_packer *pk, const void *arg)
{
	msgpack_pack_object(pk, *(const msgpack_object *)arg);
}

static void
pack_raw(msgpack_packer *pk, const msgpack_sbuffer *sb)
{
	pk->callback(pk->data, sb->data, sb->size);
}

static void
pack_uint_kv(msgpack_packer *pk, const char *key, uint64_t v)
{
	pack_str(pk, key);
	msgpack_pack_uint64(pk, v);
}

/* ---- helper sessions: one job, its answer as replies ------------- */

/*
 * What the helper's answer is:
 *   IJ_RESULT	its result is the reply (Top with ps options);
 *   IJ_ARRAY	its fd 1 is a packed array's items, counted by its result's
 *		"count", answered as {"changes": [...]} (Diff: more than a
 *		helper's report holds, up to --max-frame);
 *   IJ_DATA	its fd 1 goes back as {"data"} replies paced by the peer,
 *		then {"size"} (Export).
 */
enum ij_mode { IJ_RESULT, IJ_ARRAY, IJ_DATA };

struct info_job {
	struct daemon	*d;
	struct peer	*p;		/* NULL once gone */
	struct job	*job;		/* NULL once done */
	enum ij_mode	 mode;
	msgpack_sbuffer	 items;		/* IJ_ARRAY's */
	uint64_t	 bytes;
};

struct array_reply {
	const struct info_job	*ij;
	uint64_t		 count;
};

static void
pack_array(msgpack_packer *pk, const void *arg)
{
	const struct array_reply *r = arg;

	msgpack_pack_map(pk, 1);
	pack_str(pk, "changes");
	msgpack_pack_array(pk, (size_t)r->count);
	pack_raw(pk, &r->ij->items);
}

static void
ij_free(struct info_job *ij)
{
	if (ij->job != NULL)
		job_cancel(ij->job);
	msgpack_sbuffer_destroy(&ij->items);
	free(ij);
}

/* The last reply (the error, when err), then the next call. */
static void
ij_finish(struct info_job *ij, const msgpack_object *result,
    const struct berth_error *err)
{
	const msgpack_object *n;
	struct array_reply r;
	struct peer_kv size = { "size", NULL, 0, (int64_t)ij->bytes };

	if (ij->p != NULL) {
		if (err != NULL)
			peer_send_error(ij->p, err, false);
		else if (ij->mode == IJ_DATA)
			peer_reply(ij->p, false, peer_pack_int, &size);
		else if (ij->mode == IJ_RESULT)
			peer_reply(ij->p, false, pack_object, result);
		else {
			n = msgpack_map_get(result, "count");
			r.ij = ij;
			r.count = n != NULL && n->type ==
			    MSGPACK_OBJECT_POSITIVE_INTEGER ? n->via.u64 : 0;
			peer_reply(ij->p, false, pack_array, &r);
		}
		peer_session_end(ij->p);
	}
	ij_free(ij);
}

/* IJ_ARRAY: keep the items, refusing more than a reply can carry. */
static void
ij_collect(struct info_job *ij, struct evbuffer *buf)
{
	struct berth_error err = BERTH_ERROR_INIT;
	size_t len = evbuffer_get_length(buf);

	if (ij->items.size + len + 64 > ij->d->cfg.max_frame) {
		berth_error_set(&err, BERTH_E_FRAME_TOO_LARGE, 0, "the answer "
		    "is larger than a reply can be (--max-frame %zu)",
		    ij->d->cfg.max_frame);
		ij_finish(ij, NULL, &err);
		berth_error_clear(&err);
		return;
	}
	msgpack_sbuffer_write(&ij->items, (const char *)evbuffer_pullup(buf,
	    (ssize_t)len), len);
	evbuffer_drain(buf, len);
}

/* IJ_DATA: the bytes as data replies while the peer keeps up. */
static void
ij_output(void *arg, struct evbuffer *buf)
{
	struct info_job *ij = arg;
	struct peer_kv c = { "data", NULL, 0, 0 };
	size_t len;

	if (ij->p == NULL) {
		evbuffer_drain(buf, evbuffer_get_length(buf));
		return;
	}
	if (ij->mode == IJ_ARRAY) {
		ij_collect(ij, buf);
		return;
	}
	while ((len = evbuffer_get_length(buf)) > 0) {
		if (peer_output_full(ij->p)) {
			job_hold_output(ij->job, true);
			return;
		}
		if (len > DATA_CHUNK)
			len = DATA_CHUNK;
		if ((c.data = evbuffer_pullup(buf, (ssize_t)len)) == NULL)
			return;
		c.len = len;
		peer_reply(ij->p, true, peer_pack_bin, &c);
		evbuffer_drain(buf, len);
		ij->bytes += len;
	}
}

static void
ij_done(void *arg, const msgpack_object *result,
    const struct berth_error *err)
{
	struct info_job *ij = arg;

	ij->job = NULL;
	ij_finish(ij, result, err);
}

static const struct job_ops ij_job_ops = {
	.output = ij_output,
	.done = ij_done,
};

static void
ij_drained(void *arg, struct peer *p)
{
	struct info_job *ij = arg;

	(void)p;
	if (ij->job != NULL && ij->mode == IJ_DATA)
		job_hold_output(ij->job, false);
}

static void
ij_gone(void *arg, struct peer *p)
{
	(void)p;
	ij_free(arg);
}

static const struct peer_session_ops ij_session_ops = {
	.drained = ij_drained,
	.gone = ij_gone,
};

/* Run helper kind with the packed args; the peer waits in a session. */
static int
ij_start(struct daemon *d, struct peer *p, const char *kind,
    enum ij_mode mode, const msgpack_sbuffer *args, struct berth_error *err)
{
	struct info_job *ij;

	if ((ij = calloc(1, sizeof(*ij))) == NULL)
		return (berth_error_sys(err, "%s", kind));
	ij->d = d;
	ij->p = p;
	ij->mode = mode;
	msgpack_sbuffer_init(&ij->items);
	if (job_start(d, kind, mode != IJ_RESULT ? JOB_OUTPUT : 0, args->data,
	    args->size, &ij_job_ops, ij, &ij->job, err) < 0) {
		ij_free(ij);
		return (-1);
	}
	peer_session_begin(p, &ij_session_ops, ij, false);
	return (DISPATCH_DEFERRED);
}

/* {snapdir, id, lowers} of c's snapshot, for Diff and Export. */
static int
pack_snapshot_args(struct container *c, msgpack_packer *pk,
    struct berth_error *err)
{
	struct snapshot snap;
	size_t i;

	if (container_snapshot(c, false, &snap, err) < 0)
		return (-1);
	msgpack_pack_map(pk, 3);
	pack_kv_str(pk, "snapdir", dirname(snap.dir));
	pack_kv_str(pk, "id", c->id);
	pack_str(pk, "lowers");
	msgpack_pack_array(pk, snap.nlowers);
	for (i = 0; i < snap.nlowers; i++)
		pack_str(pk, snap.lowers[i]);
	snapshot_free(&snap);
	return (0);
}

static int
snapshot_job(struct daemon *d, struct peer *p, const struct call *call,
    const char *kind, enum ij_mode mode, struct berth_error *err)
{
	cleanup_sbuffer msgpack_sbuffer sb;
	struct container *c;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (find_container(d, call, &c, err) < 0 ||
	    pack_snapshot_args(c, &pk, err) < 0)
		return (-1);
	return (ij_start(d, p, kind, mode, &sb, err));
}

/* ---- the helpers' side -------------------------------------------- */

static int
bad_args(const char *kind, struct berth_error *err)
{
	return (berth_error_set(err, BERTH_E_INTERNAL, 0, "%s: bad arguments",
	    kind));
}

/* The snapshot the args name, opened (no database in a helper). */
int
container_arg_snapshot(const msgpack_object *args, const char *kind,
    struct snapshot *snap, struct berth_error *err)
{
	const msgpack_object *lv = msgpack_map_get(args, "lowers");
	char dir[4096], id[SNAPSHOT_ID_MAX + 1];
	char **lowers;
	uint32_t i;
	int rc;

	if (!msgpack_str_copy(msgpack_map_get(args, "snapdir"), dir,
	    sizeof(dir)) || !msgpack_str_copy(msgpack_map_get(args, "id"),
	    id, sizeof(id)) || lv == NULL || lv->type != MSGPACK_OBJECT_ARRAY)
		return (bad_args(kind, err));
	if ((lowers = calloc(lv->via.array.size + 1, sizeof(*lowers))) ==
	    NULL)
		return (berth_error_sys(err, "%s", kind));
	for (i = 0, rc = 0; i < lv->via.array.size && rc == 0; i++)
		if (lv->via.array.ptr[i].type != MSGPACK_OBJECT_STR ||
		    (lowers[i] = strndup(lv->via.array.ptr[i].via.str.ptr,
		    lv->via.array.ptr[i].via.str.size)) == NULL)
			rc = bad_args(kind, err);
	if (rc == 0)
		rc = snapshot_open(dir, id, (const char *const *)lowers, snap,
		    err);
	for (i = 0; i < lv->via.array.size; i++)
		free(lowers[i]);
	free(lowers);
	return (rc);
}

/* Diff's helper: each change packed straight to fd 1, a block at a
 * time. */
struct diff_pack {
	msgpack_sbuffer	sb;
	msgpack_packer	pk;
	uint64_t	n;
};

static int
diff_flush(struct diff_pack *dp, struct berth_error *err)
{
	size_t off = 0;
	ssize_t w;

	while (off < dp->sb.size) {
		if ((w = write(STDOUT_FILENO, dp->sb.data + off,
		    dp->sb.size - off)) < 0 && errno != EINTR)
			return (berth_error_sys(err, "diff: write"));
		if (w > 0)
			off += (size_t)w;
	}
	msgpack_sbuffer_clear(&dp->sb);
	return (0);
}

static int
diff_one(const struct snapshot_change *ch, void *arg, struct berth_error *err)
{
	struct diff_pack *dp = arg;

	msgpack_pack_map(&dp->pk, 2);
	pack_kv_str(&dp->pk, "path", ch->path);
	pack_str(&dp->pk, "kind");
	msgpack_pack_int(&dp->pk, ch->kind == SNAPSHOT_CHANGED ? 0 :
	    ch->kind == SNAPSHOT_ADDED ? 1 : 2);
	dp->n++;
	return (dp->sb.size >= DATA_CHUNK ? diff_flush(dp, err) : 0);
}

int
container_diff_child(const msgpack_object *args, struct job_child *jc,
    msgpack_packer *pk, struct berth_error *err)
{
	struct diff_pack dp = { .n = 0 };
	struct snapshot snap;
	int rc;

	(void)jc;
	if (container_arg_snapshot(args, "container-diff", &snap, err) < 0)
		return (-1);
	msgpack_sbuffer_init(&dp.sb);
	msgpack_packer_init(&dp.pk, &dp.sb, msgpack_sbuffer_write);
	rc = snapshot_changes(&snap, diff_one, &dp, err);
	snapshot_free(&snap);
	if (rc == 0)
		rc = diff_flush(&dp, err);
	msgpack_sbuffer_destroy(&dp.sb);
	if (rc < 0)
		return (-1);
	msgpack_pack_map(pk, 1);
	pack_uint_kv(pk, "count", dp.n);
	return (0);
}

/*
 * The container's files as its layers have them, running or not: its
 * upper directory and the image's layers, mounted as a read-only overlay
 * (upper as the top lower: no work directory, so never a second writer
 * of the container's upper) in a mount namespace of this helper's,
 * private first so that nothing propagates, and gone with the helper.
 * Mounts inside the container (binds, tmpfs) are not in it, as with
 * Docker's export.  The walk runs chrooted in that tree: a symlink a
 * running container swaps in mid-walk resolves inside it, never on the
 * host.
 */
int
container_export_child(const msgpack_object *args, struct job_child *jc,
    msgpack_packer *pk, struct berth_error *err)
{
	struct snapshot snap;
	int rc;

	(void)jc;
	if (container_arg_snapshot(args, "container-export", &snap, err) < 0)
		return (-1);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL,
	    MS_REC | MS_PRIVATE, NULL) < 0)
		rc = berth_error_sys(err, "export: mount namespace");
	else if ((rc = snapshot_mount_readonly(&snap, err)) == 0)
		rc = rootfs_export(snap.merged, STDOUT_FILENO, err);
	snapshot_free(&snap);
	if (rc < 0)
		return (-1);
	msgpack_pack_map(pk, 0);
	return (0);
}

/* ---- Top ---------------------------------------------------------- */

static const char *const top_titles[TOP_COLUMNS] = {
	"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD",
};

/* Top's reply: the titles, and rows already packed. */
static void
pack_top(msgpack_packer *pk, const char *const *titles, size_t nt,
    const msgpack_sbuffer *rows, size_t nrows)
{
	size_t i;

	msgpack_pack_map(pk, 2);
	pack_str(pk, "titles");
	msgpack_pack_array(pk, nt);
	for (i = 0; i < nt; i++)
		pack_str(pk, titles[i]);
	pack_str(pk, "processes");
	msgpack_pack_array(pk, nrows);
	pack_raw(pk, rows);
}

/* A small /proc file, NUL-terminated; its length, or -1. */
static ssize_t
read_small(const char *path, char *buf, size_t size)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0, len = 0;

	if (fd < 0)
		return (-1);
	while ((size_t)len < size - 1 &&
	    (n = read(fd, buf + len, size - 1 - (size_t)len)) > 0)
		len += n;
	if (len == 0 && n < 0)
		return (-1);
	buf[len] = '\0';
	return (len);
}

/* What ps -ef needs of a process. */
struct proc_info {
	char		 comm[64];
	long long	 ppid;
	unsigned	 tty;
	unsigned long long utime, stime, start;	/* clock ticks */
	uid_t		 euid;
	char		 cmd[CMDLINE_MAX];
};

static int
proc_stat(pid_t pid, struct proc_info *pi)
{
	char path[64], buf[1024], *open_p, *close_p;
	unsigned long long f[20];
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) < 0 ||
	    (open_p = strchr(buf, '(')) == NULL ||
	    (close_p = strrchr(buf, ')')) == NULL)
		return (-1);
	snprintf(pi->comm, sizeof(pi->comm), "%.*s",
	    (int)(close_p - open_p - 1), open_p + 1);
	/* After ")": state, then ppid ... starttime (the 20th). */
	open_p = close_p + 2;
	if (*open_p != '\0')
		open_p += 2;
	for (i = 0; i < 20; i++)
		f[i] = strtoull(open_p, &open_p, 10);
	pi->ppid = (long long)f[0];
	pi->tty = (unsigned)f[3];
	pi->utime = f[10];
	pi->stime = f[11];
	pi->start = f[18];
	return (0);
}

static int
proc_status_euid(pid_t pid, uid_t *euid)
{
	char path[64], buf[4096], *p;
	unsigned long r, e;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small(path, buf, sizeof(buf)) < 0 ||
	    (p = strstr(buf, "\nUid:")) == NULL ||
	    sscanf(p + 5, "%lu %lu", &r, &e) != 2)
		return (-1);
	*euid = (uid_t)e;
	return (0);
}

static void
proc_cmdline(pid_t pid, struct proc_info *pi)
{
	char path[64];
	ssize_t n, i;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((n = read_small(path, pi->cmd, sizeof(pi->cmd))) <= 0) {
		snprintf(pi->cmd, sizeof(pi->cmd), "[%s]", pi->comm);
		return;
	}
	while (n > 0 && pi->cmd[n - 1] == '\0')
		n--;
	for (i = 0; i < n; i++)
		if (pi->cmd[i] == '\0' || pi->cmd[i] == '\n')
			pi->cmd[i] = ' ';
	pi->cmd[n] = '\0';
}

/* The host's boot time and uptime, for STIME and C. */
struct host_clock {
	long long	 btime;
	double		 uptime;
	long		 hz;
	time_t		 now;
};

static void
host_clock(struct host_clock *hc)
{
	char buf[8192], *p;

	memset(hc, 0, sizeof(*hc));
	hc->hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
	hc->now = time(NULL);
	if (read_small("/proc/uptime", buf, sizeof(buf)) > 0)
		hc->uptime = strtod(buf, NULL);
	if (read_small("/proc/stat", buf, sizeof(buf)) > 0 &&
	    (p = strstr(buf, "\nbtime ")) != NULL)
		hc->btime = strtoll(p + 7, NULL, 10);
}

/* procps: HH:MM today, MonDD this year, else the year. */
static void
fmt_stime(const struct host_clock *hc, unsigned long long start, char *buf,
    size_t size)
{
	time_t t = (time_t)(hc->btime + (long long)(start / (unsigned long)
	    hc->hz)), now = hc->now;
	struct tm tm, tn;
	const char *fmt = "%H:%M";

	localtime_r(&now, &tn);
	localtime_r(&t, &tm);
	if (tm.tm_yday != tn.tm_yday)
		fmt = "%b%d";
	if (tm.tm_year != tn.tm_year)
		fmt = "%Y";
	strftime(buf, size, fmt, &tm);
}

static void
fmt_tty(unsigned tty, char *buf, size_t size)
{
	unsigned major = (tty >> 8) & 0xfff;
	unsigned minor = (tty & 0xff) | ((tty >> 12) & 0xfff00);

	if (tty == 0)
		snprintf(buf, size, "?");
	else if (major >= 136 && major <= 143)
		snprintf(buf, size, "pts/%u", (major - 136) * 256 + minor);
	else if (major == 4 && minor < 64)
		snprintf(buf, size, "tty%u", minor);
	else
		snprintf(buf, size, "%u:%u", major, minor);
}

static void
fmt_cputime(unsigned long long secs, char *buf, size_t size)
{
	if (secs >= 86400)
		snprintf(buf, size, "%llu-%02llu:%02llu:%02llu", secs / 86400,
		    secs / 3600 % 24, secs / 60 % 60, secs % 60);
	else
		snprintf(buf, size, "%02llu:%02llu:%02llu", secs / 3600,
		    secs / 60 % 60, secs % 60);
}

static void
fmt_user(uid_t uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL && strlen(pw->pw_name) <= 8)
		snprintf(buf, size, "%s", pw->pw_name);
	else
		snprintf(buf, size, "%u", (unsigned)uid);
}

/* procps's C: the percent of its life spent on a CPU, at most 99. */
static unsigned
cpu_c(unsigned long long ticks, long hz, double secs)
{
	double pct;

	if (secs < 1)
		return (0);
	pct = (double)(ticks * 100 / (unsigned long long)hz) / secs;
	return (pct > 99 ? 99 : (unsigned)pct);
}

/* One row of ps -ef; -1 when the process is gone. */
static int
top_row(pid_t pid, const struct host_clock *hc, msgpack_packer *pk)
{
	struct proc_info pi;
	char user[64], c[16], stime[32], tty[32], cpu[48], num[32];
	unsigned long long ticks;
	double secs;

	if (proc_stat(pid, &pi) < 0 || proc_status_euid(pid, &pi.euid) < 0)
		return (-1);
	proc_cmdline(pid, &pi);
	ticks = pi.utime + pi.stime;
	secs = hc->uptime - (double)pi.start / (double)hc->hz;
	fmt_user(pi.euid, user, sizeof(user));
	snprintf(c, sizeof(c), "%u", cpu_c(ticks, hc->hz, secs));
	fmt_stime(hc, pi.start, stime, sizeof(stime));
	fmt_tty(pi.tty, tty, sizeof(tty));
	fmt_cputime(ticks / (unsigned long)hc->hz, cpu, sizeof(cpu));
	msgpack_pack_array(pk, TOP_COLUMNS);
	pack_str(pk, user);
	snprintf(num, sizeof(num), "%d", (int)pid);
	pack_str(pk, num);
	snprintf(num, sizeof(num), "%lld", pi.ppid);
	pack_str(pk, num);
	pack_str(pk, c);
	pack_str(pk, stime);
	pack_str(pk, tty);
	pack_str(pk, cpu);
	pack_str(pk, pi.cmd);
	return (0);
}

static int
pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x < y ? -1 : x > y);
}

static void
top_native(const pid_t *pids, size_t n, msgpack_packer *pk)
{
	cleanup_sbuffer msgpack_sbuffer sb;
	struct host_clock hc;
	msgpack_packer rows;
	size_t i, nrows = 0;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&rows, &sb, msgpack_sbuffer_write);
	host_clock(&hc);
	for (i = 0; i < n; i++)
		if (top_row(pids[i], &hc, &rows) == 0)
			nrows++;
	pack_top(pk, top_titles, TOP_COLUMNS, &sb, nrows);
}

static int
top_ps_job(struct daemon *d, struct peer *p, const char *ps_args,
    const pid_t *pids, size_t n, struct berth_error *err)
{
	cleanup_sbuffer msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t i;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	pack_kv_str(&pk, "ps_args", ps_args);
	pack_str(&pk, "pids");
	msgpack_pack_array(&pk, n);
	for (i = 0; i < n; i++)
		msgpack_pack_int(&pk, pids[i]);
	return (ij_start(d, p, "container-top", IJ_RESULT, &sb, err));
}

int
container_api_top(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *a = msgpack_map_get(call->parameters, "ps_args");
	cleanup_free pid_t *pids = NULL;
	char ps_args[1024] = "";
	struct container *c;
	size_t n;

	if (find_container(d, call, &c, err) < 0)
		return (-1);
	if (a != NULL && a->type == MSGPACK_OBJECT_STR &&
	    !msgpack_str_copy(a, ps_args, sizeof(ps_args))) {
		berth_error_set(err, BERTH_E_INVALID_PARAM, 0, "ps options: "
		    "more than %zu bytes", sizeof(ps_args) - 1);
		return (berth_error_param_str(err, "parameter", "ps_args"));
	}
	if (c->state != CTR_RUNNING || c->cgroup == NULL)
		return (not_running(c, err));
	if (cgroup_pids(c->cgroup, &pids, &n, err) < 0)
		return (-1);
	qsort(pids, n, sizeof(*pids), pid_cmp);
	event_container(c, "top", NULL);
	if (ps_args[0] == '\0' || strcmp(ps_args, "-ef") == 0) {
		top_native(pids, n, pk);
		return (0);
	}
	return (top_ps_job(d, p, ps_args, pids, n, err));
}

/* The helper: run ps, read what it prints (bounded). */
static int
run_ps(const char *ps_args, char **out, size_t *len,
    struct berth_error *err)
{
	cleanup_free char *copy = strdup(ps_args);
	posix_spawn_file_actions_t fa;
	char *argv[128], *save = NULL, *w;
	int fds[2], st, argc = 0, rc;
	size_t cap = 65536, n = 0;
	ssize_t r;
	pid_t pid;
	char *buf, *more;

	if (copy == NULL)
		return (berth_error_sys(err, "ps"));
	argv[argc++] = "ps";
	for (w = strtok_r(copy, " ", &save); w != NULL && argc < 127;
	    w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return (berth_error_sys(err, "ps"));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	rc = posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return (berth_error_set(err, BERTH_E_SYSTEM, rc, "Error running "
		    "ps: %s", strerror(rc)));
	}
	buf = malloc(cap);
	while (buf != NULL && (r = read(fds[0], buf + n, cap - n - 1)) > 0) {
		if ((n += (size_t)r) < cap - 1)
			continue;
		if (cap >= PS_OUTPUT_MAX || (more = realloc(buf, cap * 2)) ==
		    NULL)
			break;
		buf = more;
		cap *= 2;
	}
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (buf == NULL)
		return (berth_error_sys(err, "ps"));
	buf[n] = '\0';
	*out = buf;
	*len = n;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return (berth_error_set(err, BERTH_E_SYSTEM, 0, "Error running "
		    "ps %s: exit status %d", ps_args, WIFEXITED(st) ?
		    WEXITSTATUS(st) : 128 + WTERMSIG(st)));
	return (0);
}

/* Split a line into at most max fields, the last keeping the rest (as
 * Docker merges the "overhanging" fields of CMD). */
static size_t
split_fields(char *line, char **f, size_t max)
{
	size_t n = 0;

	while (n < max) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '\0')
			break;
		f[n++] = line;
		if (n == max)
			break;
		line += strcspn(line, " \t");
		if (*line != '\0')
			*line++ = '\0';
	}
	return (n);
}

static bool
pid_in(const msgpack_object *pids, long long pid)
{
	uint32_t i;

	for (i = 0; i < pids->via.array.size; i++)
		if (pids->via.array.ptr[i].via.i64 == pid)
			return (true);
	return (false);
}

/* Docker's parsePSOutput: the header's titles, then the rows whose PID
 * is the container's (and the "-" thread rows after one). */
static int
pack_ps_output(char *out, const msgpack_object *pids, msgpack_packer *pk,
    struct berth_error *err)
{
	cleanup_sbuffer msgpack_sbuffer sb;
	char *titles[64], *f[64], *line, *save = NULL, *end;
	size_t nt, nf, i, nrows = 0;
	int pidx = -1;
	bool keep = false;
	msgpack_packer rows;
	long long pid;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&rows, &sb, msgpack_sbuffer_write);
	if ((line = strtok_r(out, "\n", &save)) == NULL)
		return (berth_error_set(err, BERTH_E_SYSTEM, 0, "ps printed "
		    "nothing"));
	nt = split_fields(line, titles, 64);
	for (i = 0; i < nt && pidx < 0; i++)
		if (strcmp(titles[i], "PID") == 0)
			pidx = (int)i;
	if (pidx < 0)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "Couldn't find PID field in ps output"));
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		if ((nf = split_fields(line, f, nt)) <= (size_t)pidx)
			continue;
		if (strcmp(f[pidx], "-") != 0) {
			pid = strtoll(f[pidx], &end, 10);
			if (*end != '\0')
				return (berth_error_set(err, BERTH_E_SYSTEM, 0,
				    "Unexpected pid '%s'", f[pidx]));
			keep = pid_in(pids, pid);
		}
		if (!keep)
			continue;
		msgpack_pack_array(&rows, nt);
		for (i = 0; i < nt; i++)
			pack_str(&rows, i < nf ? f[i] : "");
		nrows++;
	}
	pack_top(pk, (const char *const *)titles, nt, &sb, nrows);
	return (0);
}

int
container_top_child(const msgpack_object *args, struct job_child *jc,
    msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *pids = msgpack_map_get(args, "pids");
	cleanup_free char *out = NULL;
	char ps_args[1024];
	size_t len;

	(void)jc;
	if (!msgpack_str_copy(msgpack_map_get(args, "ps_args"), ps_args,
	    sizeof(ps_args)) || pids == NULL ||
	    pids->type != MSGPACK_OBJECT_ARRAY)
		return (bad_args("container-top", err));
	if (run_ps(ps_args, &out, &len, err) < 0)
		return (-1);
	return (pack_ps_output(out, pids, pk, err));
}

/* ---- Rename ------------------------------------------------------- */

static int
rename_check(struct daemon *d, struct container *c, const char *name,
    struct berth_error *err)
{
	cleanup_error struct berth_error ignored = BERTH_ERROR_INIT;
	struct container *other;

	if (name[0] == '\0') {
		berth_error_set(err, CTR_E_INVALID_NAME, 0, "Neither old nor "
		    "new names may be empty");
		return (berth_error_param_str(err, "name", name));
	}
	if (!container_name_valid(name)) {
		berth_error_set(err, CTR_E_INVALID_NAME, 0, "Invalid container "
		    "name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
		    name);
		return (berth_error_param_str(err, "name", name));
	}
	if (strcmp(c->name, name) == 0) {
		berth_error_set(err, CTR_E_INVALID_NAME, 0, "Renaming a "
		    "container with the same name as its current name");
		return (berth_error_param_str(err, "name", name));
	}
	if (container_find(d, name, &other, &ignored) == 0 &&
	    strcmp(other->name, name) == 0) {
		berth_error_set(err, CTR_E_NAME_IN_USE, 0, "Conflict. The "
		    "container name \"/%s\" is already in use by container "
		    "\"%s\". You have to remove (or rename) that container to "
		    "be able to reuse that name.", name, other->id);
		return (berth_error_param_str(err, "name", name));
	}
	return (0);
}

int
container_api_rename(struct daemon *d, struct peer *p,
    const struct call *call, msgpack_packer *pk, struct berth_error *err)
{
	char name[CTR_NAME_MAX + 3];
	struct container *c;
	const char *n = name;
	char *old;

	(void)p;
	if (find_container(d, call, &c, err) < 0)
		return (-1);
	if (!msgpack_str_copy(msgpack_map_get(call->parameters, "name"), name,
	    sizeof(name)))
		snprintf(name, sizeof(name), "-");	/* too long: invalid */
	if (n[0] == '/')
		n++;
	if (rename_check(d, c, n, err) < 0)
		return (-1);
	old = c->name;
	if ((c->name = strdup(n)) == NULL) {
		c->name = old;
		return (berth_error_sys(err, "rename"));
	}
	if (container_save(c, err) < 0) {
		free(c->name);
		c->name = old;
		return (berth_error_wrap(err, "rename %s", old));
	}
	log_info("container", "%.12s renamed from %s to %s", c->id, old,
	    c->name);
	{
		char was[CTR_NAME_MAX + 2];

		/* Docker's attribute has the leading slash. */
		snprintf(was, sizeof(was), "/%s", old);
		event_container(c, "rename", json_pack("{s:s}", "oldName",
		    was));
	}
	free(old);
	msgpack_pack_map(pk, 0);
	return (0);
}

/* ---- Diff, Export ------------------------------------------------- */

int
container_api_diff(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	(void)pk;
	return (snapshot_job(d, p, call, "container-diff", IJ_ARRAY, err));
}

int
container_api_export(struct daemon *d, struct peer *p,
    const struct call *call, msgpack_packer *pk, struct berth_error *err)
{
	(void)pk;
	if (!(call->flags & CALL_MORE)) {
		berth_error_set(err, BERTH_E_INVALID_CALL, 0, "%s streams: call "
		    "it with \"more\": true", call->method);
		return (berth_error_param_str(err, "reason", "more required"));
	}
	if (snapshot_job(d, p, call, "container-export", IJ_DATA, err) < 0)
		return (-1);
	{
		struct container *c;
		char name[256];

		if (msgpack_str_copy(msgpack_map_get(call->parameters,
		    "container"), name, sizeof(name)) &&
		    container_find(d, name, &c, err) == 0)
			event_container(c, "export", NULL);
		berth_error_clear(err);
	}
	return (DISPATCH_DEFERRED);
}

/* ---- Stats -------------------------------------------------------- */

struct net_sample {
	char		 name[32];
	uint64_t	 v[16];		/* /proc/net/dev's columns */
};

#define NET_MAX		16

/* One moment of a container. */
struct stats_sample {
	int64_t			 read_ns;	/* 0: none */
	struct cgroup_stats	 cg;
	enum cgroup_mode	 mode;
	uint64_t		 system_ns;
	unsigned		 online_cpus;
	struct net_sample	 net[NET_MAX];
	size_t			 nnet;
};

static int64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

/* /proc/stat: the "cpu" line's first seven fields in ns (Docker's
 * system_cpu_usage), and the cpuN lines. */
static void
sample_host_cpu(struct stats_sample *s)
{
	cleanup_fclose FILE *f = fopen("/proc/stat", "re");
	unsigned long long v[7] = { 0 };
	long hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
	char line[512];
	int i;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "cpu ", 4) == 0) {
			sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu",
			    &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]);
			for (i = 0; i < 7; i++)
				s->system_ns += v[i] * (1000000000ULL /
				    (unsigned long)hz);
		} else if (strncmp(line, "cpu", 3) == 0 &&
		    isdigit((unsigned char)line[3]))
			s->online_cpus++;
	}
}

/* The container's interfaces but lo, seen through its network
 * namespace. */
static void
sample_net(pid_t pid, struct stats_sample *s)
{
	struct net_sample *n;
	cleanup_fclose FILE *f = NULL;
	char path[64], line[512], *colon, *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (s->nnet < NET_MAX && fgets(line, sizeof(line), f) != NULL) {
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		p = line + strspn(line, " ");
		if (strcmp(p, "lo") == 0)
			continue;
		n = &s->net[s->nnet++];
		snprintf(n->name, sizeof(n->name), "%s", p);
		p = colon + 1;
		for (i = 0; i < 16; i++)
			n->v[i] = strtoull(p, &p, 10);
	}
}

static void
sample(struct container *c, struct stats_sample *s)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	const char *mode;

	memset(s, 0, sizeof(*s));
	if (c == NULL || c->state != CTR_RUNNING || c->cgroup == NULL)
		return;
	if (cgroup_stats(c->cgroup, &s->cg, &err) < 0) {
		log_debug("container", "%.12s: stats: %s", c->id,
		    berth_error_message(&err));
		memset(&s->cg, 0, sizeof(s->cg));
	}
	s->mode = cgroup_mode_of(c->cgroup);
	s->read_ns = wall_ns();
	sample_host_cpu(s);
	/* With the host's network, its interfaces are not the container's
	 * (Docker leaves networks out then). */
	mode = json_string_value(json_object_get(json_object_get(c->config,
	    "host"), "network_mode"));
	if (mode == NULL || strcmp(mode, "host") != 0)
		sample_net(c->pid, s);
}

/* RFC 3339 with nanoseconds, Go's zero time for none. */
static void
stats_time(int64_t ns, char *buf, size_t size)
{
	time_t t = (time_t)(ns / 1000000000LL);
	struct tm tm;
	char day[32];

	if (ns <= 0) {
		snprintf(buf, size, "0001-01-01T00:00:00Z");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%09lldZ", day, (long long)(ns % 1000000000LL));
}

static void
pack_cpu(msgpack_packer *pk, const char *key, const struct stats_sample *s)
{
	pack_str(pk, key);
	msgpack_pack_map(pk, 4);
	pack_str(pk, "cpu_usage");
	msgpack_pack_map(pk, 3);
	pack_uint_kv(pk, "total_usage", s->cg.cpu_usage_ns);
	pack_uint_kv(pk, "usage_in_kernelmode", s->cg.cpu_system_ns);
	pack_uint_kv(pk, "usage_in_usermode", s->cg.cpu_user_ns);
	pack_uint_kv(pk, "system_cpu_usage", s->system_ns);
	pack_uint_kv(pk, "online_cpus", s->online_cpus);
	pack_str(pk, "throttling_data");
	msgpack_pack_map(pk, 3);
	pack_uint_kv(pk, "periods", 0);
	pack_uint_kv(pk, "throttled_periods", 0);
	pack_uint_kv(pk, "throttled_time", 0);
}

/* Docker caps "no limit" at the host's memory. */
static uint64_t
memory_limit(const struct stats_sample *s)
{
	struct sysinfo si;
	uint64_t host;

	if (s->read_ns == 0 || sysinfo(&si) < 0)
		return (0);
	host = (uint64_t)si.totalram * si.mem_unit;
	return (s->cg.memory_limit > host ? host : s->cg.memory_limit);
}

static void
pack_memory(msgpack_packer *pk, const struct stats_sample *s)
{
	bool v1 = s->mode == CGROUP_V1;

	pack_str(pk, "memory_stats");
	if (s->read_ns == 0) {
		msgpack_pack_map(pk, 0);
		return;
	}
	msgpack_pack_map(pk, 3);
	pack_uint_kv(pk, "usage", s->cg.memory_usage);
	pack_uint_kv(pk, "limit", memory_limit(s));
	pack_str(pk, "stats");
	msgpack_pack_map(pk, 4);
	pack_uint_kv(pk, v1 ? "cache" : "file", s->cg.memory_cache);
	pack_uint_kv(pk, v1 ? "rss" : "anon", s->cg.memory_rss);
	pack_uint_kv(pk, v1 ? "total_active_file" : "active_file",
	    s->cg.memory_active_file);
	pack_uint_kv(pk, v1 ? "total_inactive_file" : "inactive_file",
	    s->cg.memory_inactive_file);
}

static void
pack_blkio_op(msgpack_packer *pk, const char *op, uint64_t v)
{
	msgpack_pack_map(pk, 4);
	pack_uint_kv(pk, "major", 0);
	pack_uint_kv(pk, "minor", 0);
	pack_kv_str(pk, "op", op);
	pack_uint_kv(pk, "value", v);
}

static void
pack_blkio(msgpack_packer *pk, const struct stats_sample *s)
{
	pack_str(pk, "blkio_stats");
	msgpack_pack_map(pk, 1);
	pack_str(pk, "io_service_bytes_recursive");
	if (s->cg.io_read_bytes == 0 && s->cg.io_write_bytes == 0) {
		msgpack_pack_nil(pk);
		return;
	}
	msgpack_pack_array(pk, 2);
	pack_blkio_op(pk, "read", s->cg.io_read_bytes);
	pack_blkio_op(pk, "write", s->cg.io_write_bytes);
}

static void
pack_networks(msgpack_packer *pk, const struct stats_sample *s)
{
	static const struct { const char *key; int col; } cols[] = {
		{ "rx_bytes", 0 }, { "rx_packets", 1 }, { "rx_errors", 2 },
		{ "rx_dropped", 3 }, { "tx_bytes", 8 }, { "tx_packets", 9 },
		{ "tx_errors", 10 }, { "tx_dropped", 11 },
	};
	size_t i, j;

	pack_str(pk, "networks");
	msgpack_pack_map(pk, s->nnet);
	for (i = 0; i < s->nnet; i++) {
		pack_str(pk, s->net[i].name);
		msgpack_pack_map(pk, sizeof(cols) / sizeof(cols[0]));
		for (j = 0; j < sizeof(cols) / sizeof(cols[0]); j++)
			pack_uint_kv(pk, cols[j].key,
			    s->net[i].v[cols[j].col]);
	}
}

/* What a reply of Stats holds: two samples of one container. */
struct stats_doc {
	const char			*id;
	const char			*name;
	const struct stats_sample	*cur, *pre;
};

static void
pack_stats(msgpack_packer *pk, const void *arg)
{
	const struct stats_doc *doc = arg;
	const struct stats_sample *s = doc->cur;
	char read[64], preread[64], name[CTR_NAME_MAX + 2];

	stats_time(s->read_ns, read, sizeof(read));
	stats_time(doc->pre->read_ns, preread, sizeof(preread));
	snprintf(name, sizeof(name), "/%s", doc->name);
	msgpack_pack_map(pk, 1);
	pack_str(pk, "stats");
	msgpack_pack_map(pk, 11 + (s->nnet > 0));
	pack_kv_str(pk, "read", read);
	pack_kv_str(pk, "preread", preread);
	pack_kv_str(pk, "name", name);
	pack_kv_str(pk, "id", doc->id);
	pack_str(pk, "pids_stats");
	msgpack_pack_map(pk, s->cg.pids_limit != UINT64_MAX &&
	    s->cg.pids_limit != 0 ? 2 : 1);
	pack_uint_kv(pk, "current", s->cg.pids_current);
	if (s->cg.pids_limit != UINT64_MAX && s->cg.pids_limit != 0)
		pack_uint_kv(pk, "limit", s->cg.pids_limit);
	pack_cpu(pk, "cpu_stats", s);
	pack_cpu(pk, "precpu_stats", doc->pre);
	pack_memory(pk, s);
	pack_blkio(pk, s);
	pack_uint_kv(pk, "num_procs", 0);
	pack_str(pk, "storage_stats");
	msgpack_pack_map(pk, 0);
	if (s->nnet > 0)
		pack_networks(pk, s);
}

/* A Stats call held for its second sample, or streaming. */
struct stats_watch {
	struct daemon		*d;
	struct peer		*p;
	char			 id[CTR_ID_LEN + 1];
	char			*name;
	bool			 stream;
	struct event		*timer;
	struct stats_sample	 pre, cur;
};

static void
watch_free(struct stats_watch *w)
{
	if (w->timer != NULL)
		event_free(w->timer);
	free(w->name);
	free(w);
}

static void
watch_reply(struct stats_watch *w, bool continues)
{
	struct stats_doc doc = { w->id, w->name, &w->cur, &w->pre };

	peer_reply(w->p, continues, pack_stats, &doc);
}

static void
watch_tick(evutil_socket_t fd, short what, void *arg)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct stats_watch *w = arg;
	struct container *c = NULL;
	bool running;
	char *name;

	(void)fd;
	(void)what;
	if (container_find(w->d, w->id, &c, &err) < 0)
		c = NULL;
	running = c != NULL && c->state == CTR_RUNNING;
	if (c != NULL && strcmp(c->name, w->name) != 0 &&
	    (name = strdup(c->name)) != NULL) {
		free(w->name);
		w->name = name;
	}
	w->pre = w->cur;
	sample(running ? c : NULL, &w->cur);
	if (running && w->stream) {
		/* A slow reader misses samples rather than piling them. */
		if (!peer_output_full(w->p))
			watch_reply(w, true);
		return;
	}
	if (!running)
		memset(&w->pre, 0, sizeof(w->pre));
	watch_reply(w, false);
	peer_session_end(w->p);
	watch_free(w);
}

static void
watch_gone(void *arg, struct peer *p)
{
	(void)p;
	watch_free(arg);
}

static const struct peer_session_ops watch_ops = {
	.gone = watch_gone,
};

static int
stats_watch_start(struct daemon *d, struct peer *p, struct container *c,
    bool stream, struct berth_error *err)
{
	struct timeval tv = { STATS_INTERVAL_SEC, 0 };
	struct stats_watch *w;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->name = strdup(c->name)) == NULL ||
	    (w->timer = event_new(d->base, -1, stream ? EV_PERSIST : 0,
	    watch_tick, w)) == NULL) {
		if (w != NULL)
			watch_free(w);
		return (berth_error_sys(err, "stats"));
	}
	w->d = d;
	w->p = p;
	w->stream = stream;
	snprintf(w->id, sizeof(w->id), "%s", c->id);
	sample(c, &w->cur);
	event_add(w->timer, &tv);
	peer_session_begin(p, &watch_ops, w, false);
	if (stream)
		watch_reply(w, true);
	return (DISPATCH_DEFERRED);
}

int
container_api_stats(struct daemon *d, struct peer *p,
    const struct call *call, msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *s = msgpack_map_get(call->parameters, "stream");
	bool stream = s != NULL && s->type == MSGPACK_OBJECT_BOOLEAN &&
	    s->via.boolean;
	struct stats_sample zero;
	struct stats_doc doc;
	struct container *c;

	if (find_container(d, call, &c, err) < 0)
		return (-1);
	if (stream && !(call->flags & CALL_MORE)) {
		berth_error_set(err, BERTH_E_INVALID_CALL, 0, "%s streams: call "
		    "it with \"more\": true", call->method);
		return (berth_error_param_str(err, "reason", "more required"));
	}
	if (c->state == CTR_RUNNING && c->cgroup != NULL)
		return (stats_watch_start(d, p, c, stream, err));
	memset(&zero, 0, sizeof(zero));
	doc.id = c->id;
	doc.name = c->name;
	doc.cur = doc.pre = &zero;
	pack_stats(pk, &doc);
	return (0);
}
