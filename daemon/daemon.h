/*
 * berthd's context: one struct, passed down explicitly, holding the loop,
 * the configuration, the interface registry and the peers.
 */
#ifndef BERTHD_DAEMON_H
#define BERTHD_DAEMON_H

#include <sys/queue.h>
#include <sys/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <msgpack.h>

#include "error.h"
#include "db.h"
#include "idl.h"

struct event_base;
struct event;
struct evconnlistener;
struct peer;
struct job;
struct container;
struct events;
struct store;
struct netmgr;

struct daemon_config {
	const char	*socket_path;
	const char	*root;
	const char	*run_root;
	const char	*group;		/* NULL: root only */
	gid_t		 gid;
	int		 idle_exit;	/* seconds; 0 = never */
	size_t		 max_frame;
	int		 frame_timeout;	/* seconds */
	int		 max_connections;
	const char	*cgroup_parent;	/* containers' cgroups go below */
	const char	*init_path;	/* what --init runs as /dev/init */
	const char	*resolv_conf;	/* the host's resolvers */
	int		 network_linger;	/* seconds a bridge stays
						 * unused */
};

struct listener {
	struct evconnlistener	*lev;
	char			*path;		/* what GetStatus reports */
	bool			 owned;		/* we made it: unlink at exit */
};

TAILQ_HEAD(peer_list, peer);
TAILQ_HEAD(job_list, job);
TAILQ_HEAD(container_list, container);

struct daemon {
	struct event_base	*base;
	struct daemon_config	 cfg;
	struct idl_registry	 registry;
	const struct method_entry *methods;	/* see dispatch.h */

	struct listener		*listeners;
	size_t			 nlisteners;
	bool			 accept_paused;	/* EMFILE: until a peer goes */

	struct peer_list	 peers;		/* live */
	struct peer_list	 graveyard;	/* freed on the next turn */
	size_t			 npeers;
	unsigned long long	 next_peer_id;

	struct job_list		 jobs;		/* helper processes */
	size_t			 njobs;
	struct store		*store;		/* ROOT: images and layers */
	int			 self_fd;	/* our binary, for helpers */
	struct container_list	 containers;
	struct events		*events;	/* the ring and subscribers */
	struct netmgr		*net;		/* networks (network.h) */

	struct event		*reaper;
	struct event		*idle_timer;
	struct event		*drain_timer;
	struct event		*sig_term;
	struct event		*sig_int;
	bool			 draining;
	int			 exit_status;

	msgpack_sbuffer		 scratch;	/* reply being packed */
	time_t			 started;
	char			 engine_id[DB_ENGINE_ID_LEN + 1];
	unsigned long		 nofile;	/* RLIMIT_NOFILE in force */
	int			 lock_fds[3];
};

/* daemon.c: lifecycle on the loop. */
int	daemon_init(struct daemon *d, struct berth_error *err);
int	daemon_run(struct daemon *d);
void	daemon_free(struct daemon *d);
void	daemon_shutdown(struct daemon *d, const char *why);
/* Re-evaluate idleness (for --idle-exit) after peers come and go. */
void	daemon_idle_check(struct daemon *d);
/* Ask the reaper to free dead peers on the next loop turn. */
void	daemon_schedule_reap(struct daemon *d);

/* lock.c: one berthd per root, run root and socket. */
int	lock_acquire(const char *path, int *fd, struct berth_error *err);

/* listener.c: the client socket, made here or handed over by systemd. */
int	listeners_open(struct daemon *d, struct berth_error *err);
void	listeners_close(struct daemon *d);
void	listeners_resume(struct daemon *d);

#endif
