/*
 * The daemon's side of volumes: removal (the row, then the files by a
 * helper), which volumes running containers hold mounted, Docker's
 * volume document, and the reconciliation at start after a crash.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "container.h"
#include "daemon.h"
#include "db.h"
#include "job.h"
#include "json-util.h"
#include "log.h"
#include "snapshot.h"
#include "store.h"
#include "volume.h"

int
volume_destroy_aside(struct daemon *d, const char *name,
    char trash[VOLUME_TRASH_MAX], struct berth_error *err)
{
	if (volume_remove(store_db(d->store), d->cfg.root, name, trash,
	    err) < 0)
		return (-1);
	log_info("volume", "%s removed", name);
	return (0);
}

void
volume_trash_dir(struct daemon *d, char *buf, size_t size)
{
	snprintf(buf, size, "%s/" VOLUME_DIR, d->cfg.root);
}

int
volume_destroy(struct daemon *d, const char *name, struct berth_error *err)
{
	char trash[VOLUME_TRASH_MAX], dir[4096];

	if (volume_destroy_aside(d, name, trash, err) < 0)
		return (-1);
	if (trash[0] != '\0') {
		volume_trash_dir(d, dir, sizeof(dir));
		job_tree_remove(d, "volume", dir, trash);
	}
	return (0);
}

/* Whether c's mount points name the volume. */
static bool
mounts_volume(const struct container *c, const char *name)
{
	json_t *mp = json_object_get(c->config, "mount_points"), *m;
	size_t i;

	json_array_foreach(mp, i, m)
		if (json_is_string(json_object_get(m, "Name")) &&
		    strcmp(json_string_value(json_object_get(m, "Name")),
		    name) == 0)
			return (true);
	return (false);
}

bool
volume_busy(struct daemon *d, const char *name,
    const struct container *except)
{
	struct container *c;

	TAILQ_FOREACH(c, &d->containers, entry)
		if (c != except && (c->state == CTR_RUNNING ||
		    c->start != NULL) && mounts_volume(c, name))
			return (true);
	return (false);
}

static json_t *
object_of(const char *text)
{
	json_error_t jerr;
	json_t *o = json_loads(text != NULL ? text : "{}", 0, &jerr);

	if (!json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	return (o);
}

json_t *
volume_doc(struct daemon *d, const struct volume *v)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	char path[4096], created[64];
	char **users = NULL;
	size_t n = 0, i;
	time_t t = (time_t)v->created;
	struct tm tm;
	json_t *u = json_array();

	if (volume_users(store_db(d->store), v->name, &users, &n, &err) == 0) {
		for (i = 0; i < n; i++)
			json_array_append_new(u, json_string(users[i]));
		db_strv_free(users, n);
	}
	volume_data_path(d->cfg.root, v->name, path, sizeof(path));
	gmtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return (json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:b, s:o}",
	    "name", v->name, "driver", v->driver, "mountpoint", path,
	    "created_at", created, "labels", object_of(v->labels),
	    "options", object_of(v->options), "scope", "local",
	    "anonymous", v->anonymous, "users", u));
}

/* A host mount (tmpfs or bind) left by a berthd that died, that no
 * running container holds any more. */
static void
unmount_stale(struct daemon *d, const struct volume *v)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct container *c;
	struct volume_mount vm;

	if (volume_options_parse(v->options, &vm, &err) < 0 ||
	    vm.kind == VOLUME_PLAIN || !volume_mounted(d->cfg.root, v->name))
		return;
	TAILQ_FOREACH(c, &d->containers, entry)
		if (c->state == CTR_RUNNING && mounts_volume(c, v->name))
			return;
	log_info("volume", "%s: unmount (no running container uses it)",
	    v->name);
	if (volume_unmount(d->cfg.root, v->name, &err) < 0)
		log_warn("volume", "%s", berth_error_message(&err));
}

int
volumes_init(struct daemon *d, struct berth_error *err)
{
	struct store_db *db = store_db(d->store);
	struct volume *vols = NULL;
	struct container *c;
	const char **ids = NULL;
	char **orphans = NULL, dir[4096];
	size_t n = 0, nids = 0, i;
	int rc = -1;

	TAILQ_FOREACH(c, &d->containers, entry)
		nids++;
	if ((ids = calloc(nids + 1, sizeof(*ids))) == NULL)
		return (berth_error_sys(err, "volumes"));
	nids = 0;
	TAILQ_FOREACH(c, &d->containers, entry)
		ids[nids++] = c->id;
	if (volume_users_keep(db, ids, nids, err) < 0)
		goto out;
	if ((i = (size_t)volume_restore_removals(db, d->cfg.root, err)) ==
	    (size_t)-1)
		goto out;
	if (i > 0)
		log_info("volume", "%zu removal(s) cut short by a crash undone",
		    i);
	if (volume_list(db, &vols, &n, err) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		char trash[VOLUME_TRASH_MAX];

		unmount_stale(d, &vols[i]);
		/* A copy-up a crash cut short: its _data is as it was, the
		 * staging goes with the trash swept below. */
		if (volume_dirs_repair(d->cfg.root, vols[i].name, err) < 0 ||
		    volume_staging_aside(d->cfg.root, vols[i].name, trash,
		    err) < 0) {
			volume_list_free(vols, n);
			goto out;
		}
	}
	volume_list_free(vols, n);
	/* Before the loop: no helper yet, as the containers' sweep. */
	if (volume_orphans(db, d->cfg.root, &orphans, &n, err) < 0)
		goto out;
	snprintf(dir, sizeof(dir), "%s/" VOLUME_DIR, d->cfg.root);
	for (i = 0; i < n; i++) {
		cleanup_error struct berth_error e2 = BERTH_ERROR_INIT;

		log_info("volume", "sweep %s/%s", dir, orphans[i]);
		if (snapshot_remove(dir, orphans[i], &e2) < 0)
			log_warn("volume", "%s", berth_error_message(&e2));
	}
	db_strv_free(orphans, n);
	rc = 0;
out:
	free(ids);
	return (rc);
}
