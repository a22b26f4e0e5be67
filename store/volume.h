/*
 * Volumes as Docker's "local" driver keeps them: a row per volume in the
 * metadata database (volumes, volume_users), its data in
 * ROOT/volumes/NAME/_data.  A volume with options (type=tmpfs, or
 * type=none,o=bind,device=PATH) is mounted there while a container uses
 * it; a plain one is that directory.  A volume's users are the
 * containers whose config names it, running or not: it cannot be
 * removed while it has one.
 */
#ifndef BERTH_STORE_VOLUME_H
#define BERTH_STORE_VOLUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define VOLUME_E_NOT_FOUND	"io.berth.Volume.NotFound"
#define VOLUME_E_IN_USE		"io.berth.Volume.InUse"
#define VOLUME_E_CONFIG		"io.berth.Volume.InvalidConfig"

#define VOLUME_NAME_MAX		120
/* A volume's data directory below ROOT. */
#define VOLUME_DIR		"volumes"
#define VOLUME_DATA		"_data"
/* A removed volume's directory, renamed aside for a helper to remove:
 * the prefix and random hex (a name never used twice). */
#define VOLUME_TRASH_PREFIX	".trash-"
/* Beside a removal's trash until it is committed: the volume's name. */
#define VOLUME_REMOVING_PREFIX	".removing-"
#define VOLUME_TRASH_MAX	(sizeof(VOLUME_TRASH_PREFIX) + 32)
/* Beside _data: where a copy-up fills a new directory before it is
 * renamed onto the empty _data, and the mark that the volume was
 * filled once (it is never copied into again). */
#define VOLUME_STAGING		"_staging"
#define VOLUME_POPULATED	"populated"

struct store_db;

struct volume {
	char		*name;
	char		*driver;	/* "local" */
	int64_t		 created;	/* seconds since the epoch */
	bool		 anonymous;
	char		*labels;	/* a JSON object's text */
	char		*options;	/* a JSON object's text */
};

/* What a volume's options ask of the local driver. */
enum volume_kind {
	VOLUME_PLAIN,		/* a directory */
	VOLUME_TMPFS,		/* a tmpfs mounted on _data */
	VOLUME_BIND,		/* device bound on _data */
};

struct volume_mount {
	enum volume_kind kind;
	char		 type[32];	/* the filesystem type */
	char		 device[4096];
	char		 data[1024];	/* o= less bind and the mount flags */
	unsigned long	 flags;		/* MS_RDONLY, MS_NOEXEC, ... from o= */
	bool		 read_only;
};

/* [a-zA-Z0-9][a-zA-Z0-9_.-]+, at most VOLUME_NAME_MAX. */
bool	volume_name_valid(const char *name);
/* A new anonymous volume's name: 64 random hex digits. */
int	volume_random_name(char name[65], struct berth_error *err);
/* Check options (a JSON object's text: type, device, o) as the local
 * driver takes them and say what they mean (VOLUME_E_CONFIG). */
int	volume_options_parse(const char *options, struct volume_mount *m,
	    struct berth_error *err);

/* ROOT/volumes/NAME/_data into buf. */
int	volume_data_path(const char *root, const char *name, char *buf,
	    size_t size);

/*
 * Create a volume: its directories, then its row.  An existing name is
 * no error: *created says whether it is new, and *v is left as it was
 * asked.  A failure leaves nothing.
 */
int	volume_create(struct store_db *db, const char *root,
	    const struct volume *v, bool *created, struct berth_error *err);
/* The row of name (VOLUME_E_NOT_FOUND); free with volume_clear. */
int	volume_get(struct store_db *db, const char *name, struct volume *out,
	    struct berth_error *err);
int	volume_list(struct store_db *db, struct volume **out, size_t *n,
	    struct berth_error *err);
void	volume_clear(struct volume *v);
void	volume_list_free(struct volume *v, size_t n);

/* The containers using name (ids). */
int	volume_users(struct store_db *db, const char *name, char ***ids,
	    size_t *n, struct berth_error *err);
/* Record container as a user of each of names[0..n), in one
 * transaction; every volume must exist. */
int	volume_use(struct store_db *db, const char *container,
	    const char *const *names, size_t n, struct berth_error *err);
/* Forget container as a user of every volume. */
int	volume_release(struct store_db *db, const char *container,
	    struct berth_error *err);
/* Forget the users that are none of ids[0..n) (containers gone while
 * their rows stayed, after a crash). */
int	volume_users_keep(struct store_db *db, const char *const *ids,
	    size_t n, struct berth_error *err);

/*
 * Remove a volume nothing uses (VOLUME_E_IN_USE with its users
 * otherwise): in one transaction its row is deleted, the directory
 * renamed aside to ROOT/volumes/<trash> (a fresh random name) for the
 * caller to remove (a helper's work: it may be big), and the deletion
 * committed; a rename that fails keeps the row.  trash is "" when there
 * was no directory.
 */
int	volume_remove(struct store_db *db, const char *root, const char *name,
	    char trash[VOLUME_TRASH_MAX], struct berth_error *err);

/* A row whose directory is gone (a removal a crash cut between its
 * rename and its commit) gets an empty one again. */
/* At start-up, before anything else looks at the directories: a
 * removal a crash cut before its commit gets its directory back.  How
 * many were, or -1. */
int	volume_restore_removals(struct store_db *db, const char *root,
	    struct berth_error *err);
int	volume_dirs_repair(const char *root, const char *name,
	    struct berth_error *err);
/* Directories under ROOT/volumes that no row names (trash, or a create
 * a crash cut short), into *names; the caller removes them. */
int	volume_orphans(struct store_db *db, const char *root, char ***names,
	    size_t *n, struct berth_error *err);

/* Mount a tmpfs- or bind-backed volume on its _data (nothing for a plain
 * one), and detach it.  A volume mounted already is left as it is. */
int	volume_mount(const char *root, const struct volume *v,
	    struct berth_error *err);
int	volume_unmount(const char *root, const char *name,
	    struct berth_error *err);
/* Whether its _data is a mount point. */
bool	volume_mounted(const char *root, const char *name);
/* Whether its _data has no entries (false when it cannot be read). */
bool	volume_empty(const char *root, const char *name);
/* Whether it was filled once (copy-up done or found non-empty): it is
 * not copied into again, even emptied. */
bool	volume_populated(const char *root, const char *name);
int	volume_set_populated(const char *root, const char *name,
	    struct berth_error *err);
/* A copy-up cut short (a crash) left ROOT/volumes/NAME/_staging: moved
 * to ROOT/volumes/<trash> for the caller to remove (trash "" if none). */
int	volume_staging_aside(const char *root, const char *name,
	    char trash[VOLUME_TRASH_MAX], struct berth_error *err);

/*
 * Copy-up: what the directory src holds (its entries, owners, modes,
 * times, symlinks, hardlinks, devices, xattrs) into the empty directory
 * dst, and src's owner and mode onto dst.  Each entry is opened through
 * its parent's fd, never by a path: neither tree can lead the copy out.
 */
int	volume_copy_tree(int srcfd, int dstfd, struct berth_error *err);
/*
 * Copy-up into the volume whose directory (ROOT/volumes/NAME) is volfd,
 * atomically: src copied into a fresh _staging (one a crash left is
 * removed first), then renamed onto _data if that is still empty, and
 * the volume marked populated.  A _data that is not empty is only
 * marked.  A copy cut short leaves _data as it was.
 */
int	volume_copy_staged(int srcfd, int volfd, struct berth_error *err);

#endif
