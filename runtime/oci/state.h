/*
 * The state directory: ROOT/ID/ holds state.json (what berth-runtime
 * knows of a container between commands), config.json (the config the
 * container was created from, for exec) and exec.fifo while the
 * container is created but not started.  A command holds a lock on
 * ROOT/ID/lock while it works on the container (shared for the ones that
 * only read), so commands on one container run one after the other.
 */
#ifndef BERTH_OCI_STATE_H
#define BERTH_OCI_STATE_H

#include <sys/types.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"

#define STATE_ID_MAX		1024
#define STATE_FILE		"state.json"
#define STATE_CONFIG		"config.json"
#define STATE_FIFO		"exec.fifo"
#define STATE_LOCK		"lock"

enum oci_status {
	OCI_STATUS_CREATED,
	OCI_STATUS_RUNNING,
	OCI_STATUS_PAUSED,
	OCI_STATUS_STOPPED,
};

struct oci_state {
	char		*id;
	pid_t		 pid;
	uint64_t	 start_time;	/* /proc/PID/stat field 22 */
	char		*bundle;
	char		*rootfs;
	char		*created;	/* RFC 3339, UTC */
	char		*owner;
	char		*cgroup_path;
	json_t		*annotations;
	bool		 started;
};

/* A container's directory, opened and locked. */
struct oci_container {
	char		*dir;		/* ROOT/ID */
	int		 dirfd;
	int		 lockfd;	/* ROOT/ID/lock, locked */
	struct oci_state st;
};

#define OCI_CONTAINER_INIT	{ .dir = NULL, .dirfd = -1, .lockfd = -1 }

/* runc's rule: [A-Za-z0-9_.+-], not "." or "..", at most 1024 bytes. */
int	state_id_check(const char *id, struct berth_error *err);
/* Make ROOT/ID (OCI_E_EXISTS when it is there) and lock it. */
int	state_create(const char *root, const char *id,
	    struct oci_container *c, struct berth_error *err);
/* Open and lock ROOT/ID and read its state (OCI_E_NOT_FOUND when it is
 * not there).  shared: a lock that only excludes writers. */
int	state_open(const char *root, const char *id, bool shared,
	    struct oci_container *c, struct berth_error *err);
/* Write state.json (atomically). */
int	state_save(struct oci_container *c, struct berth_error *err);
/* Write a file in the container's directory (atomically). */
int	state_write_file(struct oci_container *c, const char *name,
	    const char *data, size_t len, struct berth_error *err);
/* The container's status now. */
int	state_status(struct oci_container *c, enum oci_status *out,
	    struct berth_error *err);
const char *state_status_name(enum oci_status s);
/* A pidfd of the container's init, checked against pid reuse;
 * OCI_E_STATE when it is gone. */
int	state_pidfd(struct oci_container *c, int *out,
	    struct berth_error *err);
/* The state as OCI's state JSON for status. */
json_t	*state_to_json(const struct oci_container *c, enum oci_status s);
/* Drop the lock while waiting for a foreground process, take it again
 * before changing anything. */
int	state_unlock(struct oci_container *c, struct berth_error *err);
int	state_relock(struct oci_container *c, struct berth_error *err);
/* Remove ROOT/ID and everything in it. */
int	state_remove(struct oci_container *c, struct berth_error *err);
void	state_close(struct oci_container *c);

/* Field 22 of /proc/PID/stat and the state letter; -1 when pid is gone. */
int	proc_start_time(pid_t pid, uint64_t *start, char *state);
/* "2024-01-02T03:04:05.123456789Z" */
void	state_now_rfc3339(char *buf, size_t len);

#endif
