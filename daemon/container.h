/*
 * Containers in berthd: the registry (in memory, mirrored to the
 * metadata database before any change is acknowledged), the lifecycle
 * (created -> running -> exited, removed), supervision through pidfds and
 * the log pumps.
 *
 *	container.c		registry, persistence, lifecycle
 *	container-spec.c	an rt_spec from the config and the image
 *	container-api.c		io.berth.Container's handlers
 *	container-logs.c	output pumps and the Logs call
 */
#ifndef BERTHD_CONTAINER_H
#define BERTHD_CONTAINER_H

#include <sys/queue.h>
#include <sys/types.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "digest.h"
#include "dispatch.h"
#include "error.h"

#define CTR_E_NOT_FOUND		"io.berth.Container.NotFound"
#define CTR_E_NAME_IN_USE	"io.berth.Container.NameInUse"
#define CTR_E_INVALID_NAME	"io.berth.Container.InvalidName"
#define CTR_E_AMBIGUOUS		"io.berth.Container.AmbiguousId"
#define CTR_E_STATE		"io.berth.Container.InvalidState"
#define CTR_E_RUNNING		"io.berth.Container.Running"
#define CTR_E_SIGNAL		"io.berth.Container.InvalidSignal"
#define CTR_E_CONFIG		"io.berth.Container.InvalidConfig"
#define CTR_E_START		"io.berth.Container.StartFailed"

#define CTR_ID_LEN		64
#define CTR_NAME_MAX		128
#define CTR_STOP_TIMEOUT	10	/* seconds, Docker's default */
/* A removed container's directory, moved aside for a helper to remove. */
#define CTR_TRASH_PREFIX	".trash-"
#define CTR_TRASH_MAX		(sizeof(CTR_TRASH_PREFIX) + CTR_ID_LEN + 1)

enum ctr_state {
	CTR_CREATED,
	CTR_RUNNING,
	CTR_EXITED,
	CTR_DEAD,
};

struct event;
struct job;
struct job_child;
struct log_writer;
struct peer;
struct rt_cgroup;
struct ctr_wait;
struct ctr_follow;
struct ctr_attach;
struct ctr_exec;
struct stdio_input;
struct ctr_start;
struct dns_listener;

TAILQ_HEAD(ctr_wait_list, ctr_wait);
TAILQ_HEAD(ctr_follow_list, ctr_follow);
TAILQ_HEAD(ctr_attach_list, ctr_attach);
TAILQ_HEAD(ctr_exec_list, ctr_exec);

struct container {
	TAILQ_ENTRY(container)	 entry;
	struct daemon		*d;
	char			 id[CTR_ID_LEN + 1];
	char			*name;
	char			 image_id[DIGEST_STR_SIZE];
	json_t			*config;	/* Create's config, as JSON */
	json_t			*image_config;	/* the image's "Config" */
	int64_t			 created_ns;
	int64_t			 started_ns;
	int64_t			 finished_ns;
	enum ctr_state		 state;
	int			 exit_code;
	bool			 oom_killed;
	bool			 paused;	/* running, frozen */
	char			*error;		/* why it stopped, or NULL */

	/* While running. */
	pid_t			 pid;
	int64_t			 pid_start;	/* its /proc start time */
	int			 pidfd;
	bool			 orphan;	/* ran when berthd died */
	struct ctr_start	*start;		/* being started */
	bool			 spawn_failed;	/* its process never ran */
	struct event		*status_timer;	/* exit status retries */
	int			 status_tries;
	struct event		*exit_ev;
	struct rt_cgroup	*cgroup;
	int			 out_fd, err_fd;	/* pipe read ends, or
						 * the pty master (out) */
	struct event		*out_ev, *err_ev;
	bool			 pumps_paused;	/* an attached peer is full */
	struct stdio_input	*input;		/* its stdin, when open */
	unsigned short		 rows, cols;	/* terminal size asked */
	struct log_writer	*log;
	int			 log_dirfd;
	struct job		*log_job;	/* compressing old segments */
	struct event		*stop_timer;
	int			 oom_fd;	/* cgroup OOM event, or -1 */
	struct event		*oom_ev;
	void			*oom_event;	/* struct cgroup_event */

	bool			 removing;	/* remove once it exited */
	bool			 remove_volumes;	/* and its anonymous
						 * volumes (rm -v) */
	bool			 stopping;	/* a stop was asked */

	/* Restart policy (host.restart_policy). */
	int			 restart_count;
	bool			 policy_start;	/* the policy's start pending */
	bool			 manually_stopped;	/* stop, kill */
	struct event		*restart_timer;	/* pending: "restarting" */
	int			 restart_delay_ms;
	struct ctr_wait_list	 waits;
	struct ctr_follow_list	 follows;
	struct ctr_attach_list	 attaches;
	struct ctr_exec_list	 execs;

	/* Networking (network-attach.c): endpoints and ports, persisted;
	 * while it runs, its namespace and its DNS listener. */
	json_t			*net_state;
	int			 netns_fd;
	struct dns_listener	*dns;
};

/* container.c */
int	containers_init(struct daemon *d, struct berth_error *err);
/* Once the loop exists: running ones adopted, restart policies. */
void	containers_resume(struct daemon *d);
/* The init exited with code (why: NULL, or the reason). */
void	container_exited(struct container *c, int code, const char *why);
/* Watch its pidfd and its cgroup's OOM events. */
int	container_watch(struct container *c, struct berth_error *err);
void	container_reap_orphan(struct container *c, const char *why);

/* container-recover.c: after berthd was killed. */
/* Names of its output FIFOs in its directory. */
#define CTR_STDOUT_FIFO		"stdout.fifo"
#define CTR_STDERR_FIFO		"stderr.fifo"
void	containers_recover(struct daemon *d);
/* /proc/PID/stat's start time (clock ticks since boot), or -1. */
int64_t	proc_start_time(pid_t pid);
/* An adopted container exited: its status, read or asked again. */
void	container_foreign_exit(struct container *c);
/* Stop every running container (SIGTERM, SIGKILL after its timeout);
 * true when none runs any more. */
bool	containers_stop_all(struct daemon *d);
void	containers_free(struct daemon *d);
size_t	containers_running(struct daemon *d);
int	container_find(struct daemon *d, const char *name,
	    struct container **out, struct berth_error *err);
int	container_create(struct daemon *d, const char *name, json_t *config,
	    struct container **out, struct berth_error *err);
/* container-start.c: begin starting it (the outcome comes later, on
 * the loop: running, or exited with Docker's code for why not). */
int	container_start(struct container *c, struct berth_error *err);
/* A Start call waits for the outcome: DISPATCH_DEFERRED, or 0 when
 * there is none pending (the caller answers). */
int	container_start_wait(struct container *c, struct peer *p,
	    struct berth_error *err);
/* The mounts' preparation (container_mounts_prepare) is over: the
 * spawn, or the start fails with err when it is set. */
void	container_start_continue(struct container *c,
	    struct berth_error *err);
/* Abandon a start in progress (removal, shutdown): its child killed,
 * its Start calls answered with why. */
void	container_start_cancel(struct container *c, const char *why);
int	container_signal(struct container *c, int sig,
	    struct berth_error *err);
int	container_stop(struct container *c, int timeout, int sig,
	    struct berth_error *err);
int	container_pause(struct container *c, bool pause,
	    struct berth_error *err);
/* Remove now (not running), or once it has exited (force). */
int	container_remove(struct container *c, bool force,
	    struct berth_error *err);
/* Remove a stopped container (not running, starting, restarting or to be
 * removed: CTR_E_RUNNING) but its files, moved aside to trash ("" for
 * none) under containers_dir(): the caller's to remove.  c is freed. */
int	container_remove_aside(struct container *c,
	    char trash[CTR_TRASH_MAX], struct berth_error *err);
/* ROOT/containers; -1 when it does not fit. */
int	containers_dir(struct daemon *d, char *buf, size_t size);
int	container_save(struct container *c, struct berth_error *err);
const char *container_state_name(enum ctr_state s);
/* [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most CTR_NAME_MAX. */
bool	container_name_valid(const char *s);
/* The container's snapshot (made with create, else opened). */
struct snapshot;
int	container_snapshot(struct container *c, bool create,
	    struct snapshot *snap, struct berth_error *err);
int	container_stop_signal(struct container *c);
int	container_stop_timeout(struct container *c);
/* Waiting to be restarted by its policy. */
bool	container_restarting(struct container *c);
/* Stop, kill, or start asked by a client: the restart policy then
 * waits (Docker's "manually stopped"), or applies again. */
void	container_set_manually_stopped(struct container *c, bool stopped);
/* Drop a pending restart; true when there was one. */
bool	container_cancel_restart(struct container *c);
int	signal_parse(const char *s, int *sig, struct berth_error *err);
int64_t	now_ns(void);

/* Waiters: a Wait call's peer until its condition holds. */
enum ctr_wait_cond { WAIT_NOT_RUNNING, WAIT_NEXT_EXIT, WAIT_REMOVED };
/* DISPATCH_DEFERRED (the reply comes later), or 0 when the condition
 * holds already (the caller answers); plain: reply {} (Stop, Remove)
 * rather than the exit code. */
int	container_wait(struct container *c, struct peer *p,
	    enum ctr_wait_cond cond, bool plain, struct berth_error *err);
/* The container reached a state waiters care about. */
void	container_notify_waits(struct container *c, bool removed);

/* container-spec.c */
/* Append a mount (OCI options: "rbind", "ro", "size=64m", ...). */
struct rt_spec;
int	spec_add_mount(struct rt_spec *spec, const char *dst, const char *type,
	    const char *src, const char *const *opts, size_t nopts,
	    struct berth_error *err);
struct rt_spec;
struct snapshot;
int	container_spec(struct container *c, const struct snapshot *snap,
	    struct rt_spec *spec, struct berth_error *err);
/* The image's value for key in its config, or the Create config's. */
json_t *container_setting(struct container *c, const char *key,
	    const char *image_key);
/* "/bin/sh -c 'echo hi'", as ps shows the command. */
char	*container_command(struct container *c);

/* container-logs.c */
/* An attached peer drained: read the container's output again. */
void	container_pumps_resume(struct container *c);
int	container_logs_open(struct container *c, struct berth_error *err);
int	container_pumps_start(struct container *c, int out_fd, int err_fd,
	    struct berth_error *err);
/* Read what is left in the pipes and close them (the container exited). */
void	container_pumps_finish(struct container *c);
void	container_logs_close(struct container *c);
/* Followers: the container wrote, or stopped. */
void	container_follows_notify(struct container *c);
void	container_follows_end(struct container *c);
/* berthd --helper tree-remove (container.c). */
int	tree_remove_child(const msgpack_object *args, struct job_child *c,
	    msgpack_packer *result, struct berth_error *err);
/* berthd --helper log-compress. */
int	log_compress_child(const msgpack_object *args, struct job_child *c,
	    msgpack_packer *result, struct berth_error *err);

/* container-attach.c: Attach sessions and the container's stdin. */
/* Output read from the container goes to every attached peer; true
 * when one of them is full (the pumps wait for it to drain). */
bool	container_attach_output(struct container *c, int stream,
	    const void *buf, size_t len);
/* Whether an attached peer waits for its output to drain. */
bool	container_attach_full(struct container *c);
/* The container stopped: each attached peer gets its exit code. */
void	container_attaches_end(struct container *c);
/* Its stdin (a pipe's write end, or the pty master): taken over. */
int	container_input_open(struct container *c, int fd,
	    struct berth_error *err);
void	container_input_close(struct container *c);
int	container_api_attach(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);

/* container-exec.c */
int	container_api_exec(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
/* The container stopped: its exec sessions end once their process is
 * reaped; detached ones are let go. */
void	container_execs_release(struct container *c, bool wait);

/* container-api.c */
int	container_api_create(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	container_api_start(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	container_api_wait(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	container_api_stop(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	container_api_kill(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	container_api_pause(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	container_api_unpause(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	container_api_remove(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	container_api_prune(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	container_api_list(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	container_api_inspect(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	container_api_logs(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);

#endif
