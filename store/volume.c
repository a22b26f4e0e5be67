/*
 * Volumes: their rows and users in the metadata database, their
 * directories under ROOT/volumes, the local driver's tmpfs and bind
 * options mounted on the host, and the copy-up of an image's content
 * into a new volume.
 *
 * Order on disk and in the database: a volume's directories are made
 * before its row and removed after it, so a row always has its
 * directory; what a crash leaves the other way (a directory without a
 * row) is listed by volume_orphans for berthd to sweep at start.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "cleanup.h"
#include "db-int.h"
#include "json-util.h"
#include "tree.h"
#include "volume.h"

/* Directory levels a copy-up descends (2 fds a level). */
#define COPY_DEPTH_MAX	256
#define COPY_LINKS_MAX	4096

/* ---- names and options --------------------------------------------- */

bool
volume_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n < 2 || n > VOLUME_NAME_MAX || !isalnum((unsigned char)name[0]))
		return (false);
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' &&
		    name[i] != '.' && name[i] != '-')
			return (false);
	return (true);
}

int
volume_random_name(char name[65], struct berth_error *err)
{
	unsigned char rnd[32];
	size_t i;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return (berth_error_set(err, BERTH_E_SYSTEM, EIO, "random "
		    "volume name"));
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(name + 2 * i, 3, "%02x", rnd[i]);
	return (0);
}

static int
bad_option(struct berth_error *err, const char *fmt, const char *detail)
{
	berth_error_set(err, VOLUME_E_CONFIG, 0, fmt, detail);
	return (berth_error_param_str(err, "field", "options"));
}

/* The mount flags o= may name, as mount(8) takes them; the rest of o=
 * is the filesystem's data (tmpfs refuses "noexec" there). */
static const struct {
	const char	*name;
	unsigned long	 set, clear;
} o_flags[] = {
	{ "ro", MS_RDONLY, 0 }, { "rw", 0, MS_RDONLY },
	{ "noexec", MS_NOEXEC, 0 }, { "exec", 0, MS_NOEXEC },
	{ "nosuid", MS_NOSUID, 0 }, { "suid", 0, MS_NOSUID },
	{ "nodev", MS_NODEV, 0 }, { "dev", 0, MS_NODEV },
	{ "sync", MS_SYNCHRONOUS, 0 }, { "async", 0, MS_SYNCHRONOUS },
	{ "dirsync", MS_DIRSYNC, 0 },
	{ "noatime", MS_NOATIME, 0 }, { "atime", 0, MS_NOATIME },
	{ "nodiratime", MS_NODIRATIME, 0 },
	{ "diratime", 0, MS_NODIRATIME },
	{ "relatime", MS_RELATIME, 0 }, { "norelatime", 0, MS_RELATIME },
	{ "strictatime", MS_STRICTATIME, 0 },
};

/* o=: "bind" and the mount flags, the rest its data. */
static int
parse_o(const char *o, struct volume_mount *m, struct berth_error *err)
{
	cleanup_free char *copy = strdup(o);
	char *tok, *save;
	bool bind = false;
	size_t i;

	if (copy == NULL)
		return (berth_error_sys(err, "volume options"));
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(o_flags) / sizeof(o_flags[0]); i++)
			if (strcmp(tok, o_flags[i].name) == 0)
				break;
		if (i < sizeof(o_flags) / sizeof(o_flags[0])) {
			m->flags = (m->flags & ~o_flags[i].clear) |
			    o_flags[i].set;
			continue;
		}
		if (strcmp(tok, "bind") == 0 || strcmp(tok, "rbind") == 0)
			bind = true;
		else if (strlen(m->data) + strlen(tok) + 2 < sizeof(m->data))
			snprintf(m->data + strlen(m->data), sizeof(m->data) -
			    strlen(m->data), "%s%s", m->data[0] != '\0' ?
			    "," : "", tok);
		else
			return (bad_option(err, "invalid option: o=%s: too "
			    "long", o));
	}
	m->read_only = (m->flags & MS_RDONLY) != 0;
	if (bind)
		m->kind = VOLUME_BIND;
	return (0);
}

int
volume_options_parse(const char *options, struct volume_mount *m,
    struct berth_error *err)
{
	json_error_t jerr;
	cleanup_json json_t *o = json_loads(options != NULL ? options : "{}",
	    0, &jerr);
	const char *key, *type = NULL, *device = NULL, *opts = NULL;
	json_t *v;

	memset(m, 0, sizeof(*m));
	m->kind = VOLUME_PLAIN;
	if (!json_is_object(o))
		return (bad_option(err, "invalid options: %s", "not an "
		    "object"));
	json_object_foreach(o, key, v) {
		if (!json_is_string(v))
			return (bad_option(err, "invalid option: %s: not a "
			    "string", key));
		if (strcmp(key, "type") == 0)
			type = json_string_value(v);
		else if (strcmp(key, "device") == 0)
			device = json_string_value(v);
		else if (strcmp(key, "o") == 0)
			opts = json_string_value(v);
		else
			return (bad_option(err, "invalid option: \"%s\"",
			    key));
	}
	if (type == NULL && device == NULL && opts == NULL)
		return (0);
	/* The local driver: type and device go together; o alone is
	 * refused too. */
	if (type == NULL || type[0] == '\0' || device == NULL ||
	    device[0] == '\0')
		return (bad_option(err, "invalid options: %s", "type and "
		    "device must both be set"));
	if (strlen(type) >= sizeof(m->type) ||
	    strlen(device) >= sizeof(m->device))
		return (bad_option(err, "invalid options: %s", "too long"));
	snprintf(m->type, sizeof(m->type), "%s", type);
	snprintf(m->device, sizeof(m->device), "%s", device);
	if (opts != NULL && parse_o(opts, m, err) < 0)
		return (-1);
	if (m->kind == VOLUME_BIND) {
		if (device[0] != '/')
			return (bad_option(err, "invalid options: bind "
			    "device %s: not an absolute path", device));
		return (0);
	}
	if (strcmp(type, "tmpfs") != 0)
		return (bad_option(err, "invalid options: type=%s: berth's "
		    "local driver mounts tmpfs and binds (type=none, o=bind)",
		    type));
	m->kind = VOLUME_TMPFS;
	return (0);
}

int
volume_data_path(const char *root, const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/" VOLUME_DIR "/%s/" VOLUME_DATA, root,
	    name);

	return (n < 0 || (size_t)n >= size ? -1 : 0);
}

/* ---- directories ---------------------------------------------------- */

static int
volumes_dir(const char *root, int *fd, struct berth_error *err)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/" VOLUME_DIR, root) >=
	    (int)sizeof(path))
		return (berth_error_set(err, BERTH_E_INVALID_PARAM,
		    ENAMETOOLONG, "volumes directory"));
	/* 0701: the paths under it can be reached, not listed. */
	if (mkdir(path, 0701) < 0 && errno != EEXIST)
		return (berth_error_sys(err, "create %s", path));
	if ((*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0)
		return (berth_error_sys(err, "open %s", path));
	return (0);
}

static int
make_dirs(const char *root, const char *name, struct berth_error *err)
{
	cleanup_close int dfd = -1;
	cleanup_close int vfd = -1;

	if (volumes_dir(root, &dfd, err) < 0)
		return (-1);
	if (mkdirat(dfd, name, 0701) < 0)
		return (berth_error_sys(err, "create volume %s", name));
	if ((vfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0 || mkdirat(vfd, VOLUME_DATA, 0755) < 0) {
		berth_error_sys(err, "create volume %s", name);
		(void)unlinkat(vfd, VOLUME_DATA, AT_REMOVEDIR);
		(void)unlinkat(dfd, name, AT_REMOVEDIR);
		return (-1);
	}
	return (0);
}

static void
remove_new_dirs(const char *root, const char *name)
{
	cleanup_close int dfd = -1;
	cleanup_close int vfd = -1;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/" VOLUME_DIR, root);
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	if ((vfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) >= 0)
		(void)unlinkat(vfd, VOLUME_DATA, AT_REMOVEDIR);
	(void)unlinkat(dfd, name, AT_REMOVEDIR);
}

/* ---- rows ------------------------------------------------------------ */


static int
row_of(sqlite3_stmt *st, struct volume *v)
{
	memset(v, 0, sizeof(*v));
	v->name = db_column_dup(st, 0);
	v->driver = db_column_dup(st, 1);
	v->created = sqlite3_column_int64(st, 2);
	v->anonymous = sqlite3_column_int(st, 3) != 0;
	v->labels = db_column_dup(st, 4);
	v->options = db_column_dup(st, 5);
	if (v->name == NULL || v->driver == NULL || v->labels == NULL ||
	    v->options == NULL) {
		volume_clear(v);
		return (-1);
	}
	return (0);
}

#define VOLUME_COLUMNS \
	"SELECT name, driver, created, anonymous, labels, options FROM volumes"

void
volume_clear(struct volume *v)
{
	free(v->name);
	free(v->driver);
	free(v->labels);
	free(v->options);
	memset(v, 0, sizeof(*v));
}

void
volume_list_free(struct volume *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		volume_clear(&v[i]);
	free(v);
}

static int
not_found(const char *name, struct berth_error *err)
{
	berth_error_set(err, VOLUME_E_NOT_FOUND, 0, "get %s: no such volume",
	    name);
	return (berth_error_param_str(err, "volume", name));
}

int
volume_get(struct store_db *db, const char *name, struct volume *out,
    struct berth_error *err)
{
	db_cleanup_stmt sqlite3_stmt *st = NULL;
	int rc;

	if ((st = db_prepare(db, VOLUME_COLUMNS " WHERE name = ?1", err)) ==
	    NULL)
		return (-1);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_DONE)
		return (not_found(name, err));
	if (rc != SQLITE_ROW)
		return (db_fail(db, "get volume", err));
	if (row_of(st, out) < 0)
		return (berth_error_sys(err, "get volume"));
	return (0);
}

int
volume_list(struct store_db *db, struct volume **out, size_t *n,
    struct berth_error *err)
{
	db_cleanup_stmt sqlite3_stmt *st = NULL;
	struct volume *v = NULL, *grown;
	size_t count = 0;
	int rc;

	if ((st = db_prepare(db, VOLUME_COLUMNS " ORDER BY name", err)) == NULL)
		return (-1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((grown = reallocarray(v, count + 1, sizeof(*v))) == NULL ||
		    row_of(st, &grown[count]) < 0) {
			volume_list_free(grown != NULL ? grown : v, count);
			return (berth_error_sys(err, "list volumes"));
		}
		v = grown;
		count++;
	}
	if (rc != SQLITE_DONE) {
		volume_list_free(v, count);
		return (db_fail(db, "list volumes", err));
	}
	*out = v;
	*n = count;
	return (0);
}

int
volume_create(struct store_db *db, const char *root, const struct volume *v,
    bool *created, struct berth_error *err)
{
	db_cleanup_stmt sqlite3_stmt *stmt = NULL;
	struct volume_mount m;
	struct volume old;
	struct stat st;
	int rc;

	*created = false;
	if (!volume_name_valid(v->name)) {
		berth_error_set(err, VOLUME_E_CONFIG, 0, "create %s: \"%s\" "
		    "includes invalid characters for a local volume name, "
		    "only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you "
		    "intended to pass a host directory, use absolute path",
		    v->name, v->name);
		return (berth_error_param_str(err, "field", "name"));
	}
	if (v->driver != NULL && strcmp(v->driver, "local") != 0) {
		berth_error_set(err, VOLUME_E_CONFIG, 0, "create %s: volume "
		    "driver %s: only \"local\" is known", v->name, v->driver);
		return (berth_error_param_str(err, "field", "driver"));
	}
	if (volume_options_parse(v->options, &m, err) < 0)
		return (berth_error_wrap(err, "create %s", v->name));
	/* The local driver checks a bind's device when it is created. */
	if (m.kind == VOLUME_BIND && (stat(m.device, &st) < 0 ||
	    !S_ISDIR(st.st_mode))) {
		bad_option(err, "invalid options: bind device %s: no such "
		    "directory", m.device);
		return (berth_error_wrap(err, "create %s", v->name));
	}
	if (volume_get(db, v->name, &old, err) == 0) {
		volume_clear(&old);
		return (0);
	}
	if (!berth_error_is(err, VOLUME_E_NOT_FOUND))
		return (-1);
	berth_error_clear(err);
	if (make_dirs(root, v->name, err) < 0)
		return (-1);
	stmt = db_prepare(db, "INSERT INTO volumes (name, driver, created, "
	    "anonymous, labels, options) VALUES (?1, 'local', ?2, ?3, ?4, ?5)",
	    err);
	if (stmt == NULL)
		goto undo;
	sqlite3_bind_text(stmt, 1, v->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, v->created != 0 ? v->created :
	    (int64_t)time(NULL));
	sqlite3_bind_int(stmt, 3, v->anonymous);
	sqlite3_bind_text(stmt, 4, v->labels != NULL ? v->labels : "{}", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, v->options != NULL ? v->options : "{}", -1,
	    SQLITE_STATIC);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE) {
		db_fail(db, "create volume", err);
		goto undo;
	}
	*created = true;
	return (0);
undo:
	remove_new_dirs(root, v->name);
	return (-1);
}

int
volume_users(struct store_db *db, const char *name, char ***ids, size_t *n,
    struct berth_error *err)
{
	db_cleanup_stmt sqlite3_stmt *st = NULL;

	if ((st = db_prepare(db, "SELECT container FROM volume_users WHERE "
	    "volume = ?1 ORDER BY container", err)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return (db_collect_strings(db, st, ids, n, "volume users", err));
}

int
volume_use(struct store_db *db, const char *container,
    const char *const *names, size_t n, struct berth_error *err)
{
	size_t i;

	if (n == 0)
		return (0);
	if (db_begin(db, err) < 0)
		return (-1);
	for (i = 0; i < n; i++)
		if (db_run(db, "INSERT OR IGNORE INTO volume_users (volume, "
		    "container) VALUES (?1, ?2)", names[i], container,
		    "use volume", err) < 0) {
			db_rollback(db);
			return (-1);
		}
	return (db_commit(db, err));
}

int
volume_release(struct store_db *db, const char *container,
    struct berth_error *err)
{
	return (db_run(db, "DELETE FROM volume_users WHERE container = ?1",
	    container, NULL, "release volumes", err));
}

int
volume_users_keep(struct store_db *db, const char *const *ids, size_t n,
    struct berth_error *err)
{
	char **users = NULL;
	size_t nusers = 0, i, k;
	db_cleanup_stmt sqlite3_stmt *st = NULL;
	int rc = 0;

	if ((st = db_prepare(db, "SELECT DISTINCT container FROM volume_users",
	    err)) == NULL ||
	    db_collect_strings(db, st, &users, &nusers, "volume users", err) < 0)
		return (-1);
	for (i = 0; i < nusers && rc == 0; i++) {
		for (k = 0; k < n; k++)
			if (strcmp(users[i], ids[k]) == 0)
				break;
		if (k == n)
			rc = volume_release(db, users[i], err);
	}
	db_strv_free(users, nusers);
	return (rc);
}

/* VOLUME_TRASH_PREFIX and 32 random hex digits. */
static int
trash_name(char trash[VOLUME_TRASH_MAX], struct berth_error *err)
{
	unsigned char rnd[16];
	size_t i, n = strlen(VOLUME_TRASH_PREFIX);

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return (berth_error_set(err, BERTH_E_SYSTEM, EIO, "random "
		    "name"));
	memcpy(trash, VOLUME_TRASH_PREFIX, n);
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(trash + n + 2 * i, 3, "%02x", rnd[i]);
	return (0);
}

int
volume_remove(struct store_db *db, const char *root, const char *name,
    char trash[VOLUME_TRASH_MAX], struct berth_error *err)
{
	char mark[VOLUME_TRASH_MAX + 16];
	cleanup_close int dfd = -1;
	int fd = -1;
	struct volume_mount vm;
	struct volume v;
	char **users = NULL;
	size_t nusers = 0, i;
	bool plain;

	trash[0] = '\0';
	if (volume_get(db, name, &v, err) < 0)
		return (-1);
	plain = volume_options_parse(v.options, &vm, err) == 0 &&
	    vm.kind == VOLUME_PLAIN;
	berth_error_clear(err);
	volume_clear(&v);
	if (volumes_dir(root, &dfd, err) < 0)
		return (berth_error_wrap(err, "remove volume %s", name));
	if (db_begin(db, err) < 0)
		return (-1);
	if (volume_users(db, name, &users, &nusers, err) < 0)
		goto fail;
	if (nusers > 0) {
		char ids[512] = "";

		for (i = 0; i < nusers && strlen(ids) + 70 < sizeof(ids); i++)
			snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids),
			    "%s%s", i > 0 ? ", " : "", users[i]);
		berth_error_set(err, VOLUME_E_IN_USE, 0, "remove %s: volume "
		    "is in use - [%s]", name, ids);
		berth_error_param_str(err, "volume", name);
		berth_error_param_str(err, "containers", ids);
		goto fail;
	}
	if (db_run(db, "DELETE FROM volumes WHERE name = ?1", name, NULL,
	    "remove volume", err) < 0)
		goto fail;
	/* A mount left on it would be removed through: detach first (the
	 * helper's removal refuses to cross a mount anyway). */
	if (!plain) {
		(void)volume_unmount(root, name, err);
		berth_error_clear(err);
	}
	/* Aside under a name of its own (an earlier removal's helper may
	 * still be at work on another), before the commit: a failed
	 * rename keeps the row. */
	if (trash_name(trash, err) < 0)
		goto fail;
	/* Which volume the trash was, until the commit: a crash between
	 * the two gives it back (volume_restore_removals). */
	snprintf(mark, sizeof(mark), VOLUME_REMOVING_PREFIX "%s",
	    trash + strlen(VOLUME_TRASH_PREFIX));
	if ((fd = openat(dfd, mark, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0600)) < 0 ||
	    write(fd, name, strlen(name)) != (ssize_t)strlen(name) ||
	    fsync(fd) < 0) {
		berth_error_sys(err, "remove volume %s: %s", name, mark);
		if (fd >= 0)
			close(fd);
		(void)unlinkat(dfd, mark, 0);
		goto fail;
	}
	close(fd);
	if (renameat(dfd, name, dfd, trash) < 0) {
		trash[0] = '\0';
		if (errno != ENOENT) {
			berth_error_sys(err, "remove volume %s: move aside",
			    name);
			(void)unlinkat(dfd, mark, 0);
			goto fail;
		}
	}
	if (db_commit(db, err) < 0) {
		if (trash[0] != '\0')
			(void)renameat(dfd, trash, dfd, name);
		trash[0] = '\0';
		(void)unlinkat(dfd, mark, 0);
		goto fail;
	}
	(void)unlinkat(dfd, mark, 0);
	db_strv_free(users, nusers);
	return (0);
fail:
	db_rollback(db);
	db_strv_free(users, nusers);
	return (-1);
}

int
volume_restore_removals(struct store_db *db, const char *root,
    struct berth_error *err)
{
	cleanup_close int dfd = -1;
	cleanup_dir DIR *dp = NULL;
	struct dirent *de;
	struct volume v;
	char name[VOLUME_NAME_MAX + 1], trash[VOLUME_TRASH_MAX + 16];
	size_t plen = strlen(VOLUME_REMOVING_PREFIX);
	ssize_t len;
	int fd, dirfd, restored = 0;

	if (volumes_dir(root, &dfd, err) < 0)
		return (-1);
	if ((dirfd = dup(dfd)) < 0 || (dp = fdopendir(dirfd)) == NULL) {
		if (dirfd >= 0)
			close(dirfd);
		return (berth_error_sys(err, "list volumes directory"));
	}
	while ((de = readdir(dp)) != NULL) {
		if (strncmp(de->d_name, VOLUME_REMOVING_PREFIX, plen) != 0)
			continue;
		len = -1;
		if ((fd = openat(dfd, de->d_name, O_RDONLY | O_CLOEXEC |
		    O_NOFOLLOW)) >= 0) {
			len = read(fd, name, sizeof(name) - 1);
			close(fd);
		}
		snprintf(trash, sizeof(trash), VOLUME_TRASH_PREFIX "%s",
		    de->d_name + plen);
		if (len > 0) {
			bool row;

			name[len] = '\0';
			row = volume_name_valid(name) && volume_get(db, name,
			    &v, err) == 0;
			if (row)
				volume_clear(&v);
			berth_error_clear(err);
			/* Its row is there (not committed), its directory
			 * is not: the trash is still it. */
			if (row && faccessat(dfd, name, F_OK,
			    AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT &&
			    renameat(dfd, trash, dfd, name) == 0)
				restored++;
		}
		(void)unlinkat(dfd, de->d_name, 0);
	}
	return (restored);
}

int
volume_dirs_repair(const char *root, const char *name,
    struct berth_error *err)
{
	cleanup_close int dfd = -1;

	if (volumes_dir(root, &dfd, err) < 0)
		return (-1);
	if (faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != ENOENT)
		return (0);
	return (make_dirs(root, name, err));
}

int
volume_orphans(struct store_db *db, const char *root, char ***names,
    size_t *n, struct berth_error *err)
{
	cleanup_close int dfd = -1;
	cleanup_dir DIR *dp = NULL;
	struct dirent *de;
	struct volume v;
	char **out = NULL, **grown;
	size_t count = 0;
	bool orphan;

	*names = NULL;
	*n = 0;
	if (volumes_dir(root, &dfd, err) < 0)
		return (-1);
	if ((dp = fdopendir(dfd)) == NULL)
		return (berth_error_sys(err, "list volumes directory"));
	dfd = -1;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		orphan = strncmp(de->d_name, VOLUME_TRASH_PREFIX,
		    strlen(VOLUME_TRASH_PREFIX)) == 0;
		if (!orphan) {
			if (volume_get(db, de->d_name, &v, err) == 0) {
				volume_clear(&v);
				continue;
			}
			if (!berth_error_is(err, VOLUME_E_NOT_FOUND)) {
				db_strv_free(out, count);
				return (-1);
			}
			berth_error_clear(err);
		}
		if ((grown = reallocarray(out, count + 2, sizeof(*out))) ==
		    NULL || (grown[count] = strdup(de->d_name)) == NULL) {
			db_strv_free(grown != NULL ? grown : out, count);
			return (berth_error_sys(err, "list volumes directory"));
		}
		out = grown;
		out[++count] = NULL;
	}
	*names = out;
	*n = count;
	return (0);
}

/* ---- host mounts ---------------------------------------------------- */

/* ROOT/volumes/NAME opened (no link followed in NAME). */
static int
open_volume_dir(const char *root, const char *name)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/" VOLUME_DIR "/%s", root,
	    name) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

/* The kernel says whether _data is a mount's root (statx): no string
 * compared with mountinfo, where a root given through a symlink or
 * with "//" would never match. */
bool
volume_mounted(const char *root, const char *name)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int vfd = open_volume_dir(root, name);

	return (vfd >= 0 && tree_is_mount_root(vfd, VOLUME_DATA, &err) > 0);
}

int
volume_mount(const char *root, const struct volume *v,
    struct berth_error *err)
{
	struct volume_mount m;
	char path[PATH_MAX];

	if (volume_options_parse(v->options, &m, err) < 0)
		return (-1);
	if (m.kind == VOLUME_PLAIN || volume_mounted(root, v->name))
		return (0);
	if (volume_data_path(root, v->name, path, sizeof(path)) < 0)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM,
		    ENAMETOOLONG, "volume %s", v->name));
	if (m.kind == VOLUME_BIND) {
		if (mount(m.device, path, NULL, MS_BIND, NULL) < 0)
			return (berth_error_sys(err, "mount volume %s: bind "
			    "%s", v->name, m.device));
		/* A bind takes its flags (ro, noexec, ...) by a remount. */
		if (m.flags != 0 && mount(NULL, path, NULL, MS_REMOUNT |
		    MS_BIND | m.flags, NULL) < 0) {
			berth_error_sys(err, "mount volume %s with its "
			    "options", v->name);
			(void)umount2(path, MNT_DETACH);
			return (-1);
		}
		return (0);
	}
	/* nosuid and nodev always, as the daemon's other tmpfs mounts. */
	if (mount(m.device, path, m.type, m.flags | MS_NOSUID | MS_NODEV,
	    m.data[0] != '\0' ? m.data : NULL) < 0)
		return (berth_error_sys(err, "mount volume %s: %s", v->name,
		    m.type));
	return (0);
}

int
volume_unmount(const char *root, const char *name, struct berth_error *err)
{
	char path[PATH_MAX];

	if (volume_data_path(root, name, path, sizeof(path)) < 0)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM,
		    ENAMETOOLONG, "volume %s", name));
	while (volume_mounted(root, name))
		if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
			return (berth_error_sys(err, "unmount volume %s",
			    name));
	return (0);
}

bool
volume_empty(const char *root, const char *name)
{
	char path[PATH_MAX];
	cleanup_dir DIR *dp = NULL;
	struct dirent *de;

	if (volume_data_path(root, name, path, sizeof(path)) < 0 ||
	    (dp = opendir(path)) == NULL)
		return (false);
	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			return (false);
	return (true);
}

bool
volume_populated(const char *root, const char *name)
{
	cleanup_close int vfd = open_volume_dir(root, name);

	return (vfd >= 0 && faccessat(vfd, VOLUME_POPULATED, F_OK,
	    AT_SYMLINK_NOFOLLOW) == 0);
}

static int
mark_populated(int vfd, struct berth_error *err)
{
	int fd = openat(vfd, VOLUME_POPULATED, O_WRONLY | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return (berth_error_sys(err, "mark the volume populated"));
	close(fd);
	return (0);
}

int
volume_set_populated(const char *root, const char *name,
    struct berth_error *err)
{
	cleanup_close int vfd = open_volume_dir(root, name);

	if (vfd < 0)
		return (berth_error_sys(err, "volume %s", name));
	return (mark_populated(vfd, err));
}

int
volume_staging_aside(const char *root, const char *name,
    char trash[VOLUME_TRASH_MAX], struct berth_error *err)
{
	cleanup_close int dfd = -1;
	char path[PATH_MAX];

	trash[0] = '\0';
	if (volumes_dir(root, &dfd, err) < 0)
		return (-1);
	if (snprintf(path, sizeof(path), "%s/" VOLUME_STAGING, name) >=
	    (int)sizeof(path))
		return (berth_error_set(err, BERTH_E_INVALID_PARAM,
		    ENAMETOOLONG, "volume %s", name));
	if (trash_name(trash, err) < 0)
		return (-1);
	if (renameat(dfd, path, dfd, trash) < 0) {
		trash[0] = '\0';
		if (errno != ENOENT)
			return (berth_error_sys(err, "volume %s: move its "
			    "staging directory aside", name));
	}
	return (0);
}

/* ---- copy-up --------------------------------------------------------- */

struct copy_link {
	dev_t	 dev;
	ino_t	 ino;
	int	 dirfd;		/* where the first copy is (not owned) */
	char	*path;		/* its name relative to the top dst */
};

struct copy_ctx {
	int		 topfd;		/* the destination's top */
	struct copy_link links[COPY_LINKS_MAX];
	size_t		 nlinks;
	struct berth_error *err;
};

static int
copy_fail(struct copy_ctx *cx, const char *what, const char *name)
{
	return (berth_error_sys(cx->err, "copy-up: %s %s", what, name));
}

static void
copy_xattrs(int src, int dst)
{
	char names[4096], value[4096], *n;
	ssize_t len, vlen;

	if ((len = flistxattr(src, names, sizeof(names))) <= 0)
		return;
	for (n = names; n < names + len; n += strlen(n) + 1) {
		if (strncmp(n, "trusted.overlay.", 16) == 0)
			continue;
		if ((vlen = fgetxattr(src, n, value, sizeof(value))) >= 0)
			(void)fsetxattr(dst, n, value, (size_t)vlen, 0);
	}
}

/* Owner, mode and times of st onto fd (after the content). */
static int
copy_meta(int fd, const struct stat *st, const char *name,
    struct copy_ctx *cx)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (fchown(fd, st->st_uid, st->st_gid) < 0 ||
	    fchmod(fd, st->st_mode & 07777) < 0)
		return (copy_fail(cx, "set owner and mode of", name));
	(void)futimens(fd, ts);
	return (0);
}

static int
copy_file(int sdir, int ddir, const char *name, const struct stat *st,
    struct copy_ctx *cx)
{
	cleanup_close int in = -1;
	cleanup_close int out = -1;
	char buf[65536];
	ssize_t n, w, off;

	if ((in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return (copy_fail(cx, "open", name));
	if ((out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return (copy_fail(cx, "create", name));
	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return (copy_fail(cx, "read", name));
		if (n == 0)
			break;
		for (off = 0; off < n; off += w)
			if ((w = write(out, buf + off, (size_t)(n - off))) <
			    0) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				return (copy_fail(cx, "write", name));
			}
	}
	copy_xattrs(in, out);
	return (copy_meta(out, st, name, cx));
}

/*
 * A hardlink to a file copied already: linked, not copied again.  The
 * first copy's directory is opened beneath the top without following a
 * link (openat2): nothing in the destination can redirect the link to
 * a host file.
 */
static int
copy_link(int ddir, const char *name, const struct stat *st, bool *done,
    struct copy_ctx *cx)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
		    RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	cleanup_close int pfd = -1;
	char dir[PATH_MAX], *base;
	size_t i;

	*done = false;
	if (st->st_nlink < 2)
		return (0);
	for (i = 0; i < cx->nlinks; i++)
		if (cx->links[i].dev == st->st_dev &&
		    cx->links[i].ino == st->st_ino)
			break;
	if (i == cx->nlinks)
		return (0);
	snprintf(dir, sizeof(dir), "%s", cx->links[i].path);
	if ((base = strrchr(dir, '/')) != NULL) {
		*base++ = '\0';
		if ((pfd = (int)syscall(SYS_openat2, cx->topfd, dir, &how,
		    sizeof(how))) < 0)
			return (copy_fail(cx, "link", name));
	} else
		base = dir;
	if (linkat(pfd >= 0 ? pfd : cx->topfd, base, ddir, name, 0) < 0)
		return (copy_fail(cx, "link", name));
	*done = true;
	return (0);
}

static void
remember_link(const struct stat *st, const char *relpath,
    struct copy_ctx *cx)
{
	struct copy_link *l;

	if (st->st_nlink < 2 || cx->nlinks == COPY_LINKS_MAX)
		return;
	l = &cx->links[cx->nlinks];
	if ((l->path = strdup(relpath)) == NULL)
		return;
	l->dev = st->st_dev;
	l->ino = st->st_ino;
	cx->nlinks++;
}

static int copy_dir(int sfd, int dfd, const char *rel, int depth,
    struct copy_ctx *cx);

static int
copy_entry(int sfd, int dfd, const char *rel, const char *name, int depth,
    struct copy_ctx *cx)
{
	char relpath[PATH_MAX], target[PATH_MAX];
	struct stat st;
	bool linked;
	ssize_t n;

	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return (errno == ENOENT ? 0 : copy_fail(cx, "stat", name));
	if (snprintf(relpath, sizeof(relpath), "%s%s%s", rel, rel[0] != '\0' ?
	    "/" : "", name) >= (int)sizeof(relpath))
		return (berth_error_set(cx->err, BERTH_E_SYSTEM, ENAMETOOLONG,
		    "copy-up: %s", name));
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR: {
		cleanup_close int s2 = -1;
		cleanup_close int d2 = -1;

		if (mkdirat(dfd, name, 0700) < 0)
			return (copy_fail(cx, "create", name));
		if ((s2 = openat(sfd, name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) < 0 ||
		    (d2 = openat(dfd, name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) < 0)
			return (copy_fail(cx, "open", name));
		if (copy_dir(s2, d2, relpath, depth + 1, cx) < 0)
			return (-1);
		copy_xattrs(s2, d2);
		return (copy_meta(d2, &st, name, cx));
	}
	case S_IFREG:
		if (copy_link(dfd, name, &st, &linked, cx) < 0)
			return (-1);
		if (linked)
			return (0);
		if (copy_file(sfd, dfd, name, &st, cx) < 0)
			return (-1);
		remember_link(&st, relpath, cx);
		return (0);
	case S_IFLNK:
		if ((n = readlinkat(sfd, name, target, sizeof(target) - 1)) < 0)
			return (copy_fail(cx, "read link", name));
		target[n] = '\0';
		if (symlinkat(target, dfd, name) < 0)
			return (copy_fail(cx, "create link", name));
		{
			struct timespec ts[2] = { st.st_atim, st.st_mtim };

			if (fchownat(dfd, name, st.st_uid, st.st_gid,
			    AT_SYMLINK_NOFOLLOW) < 0)
				return (copy_fail(cx, "set owner of", name));
			(void)utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
		}
		return (0);
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO: {
		cleanup_close int fd = -1;

		struct stat made;
		char proc[64];

		/* No permission yet; then owner and mode through an O_PATH
		 * fd of what was made (a fifo or device is not opened for
		 * I/O), never by name: a name can be swapped for a
		 * symlink. */
		if (mknodat(dfd, name, st.st_mode & S_IFMT, st.st_rdev) < 0)
			return (copy_fail(cx, "create", name));
		if ((fd = openat(dfd, name, O_PATH | O_NOFOLLOW |
		    O_CLOEXEC)) < 0 || fstat(fd, &made) < 0)
			return (copy_fail(cx, "open", name));
		if ((made.st_mode & S_IFMT) != (st.st_mode & S_IFMT)) {
			errno = EEXIST;
			return (copy_fail(cx, "create", name));
		}
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (fchownat(fd, "", st.st_uid, st.st_gid, AT_EMPTY_PATH) < 0 ||
		    chmod(proc, st.st_mode & 07777) < 0)
			return (copy_fail(cx, "set owner and mode of", name));
		return (0);
	}
	default:
		return (0);	/* sockets are not copied */
	}
}

static int
copy_dir(int sfd, int dfd, const char *rel, int depth, struct copy_ctx *cx)
{
	cleanup_dir DIR *dp = NULL;
	struct dirent *de;
	int fd;

	if (depth > COPY_DEPTH_MAX)
		return (berth_error_set(cx->err, BERTH_E_SYSTEM, ELOOP,
		    "copy-up: deeper than %d directories", COPY_DEPTH_MAX));
	if ((fd = dup(sfd)) < 0 || (dp = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return (copy_fail(cx, "read", rel[0] != '\0' ? rel : "/"));
	}
	while ((errno = 0, de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (copy_entry(sfd, dfd, rel, de->d_name, depth, cx) < 0)
			return (-1);
	}
	if (errno != 0)
		return (copy_fail(cx, "read", rel[0] != '\0' ? rel : "/"));
	return (0);
}

int
volume_copy_tree(int srcfd, int dstfd, struct berth_error *err)
{
	struct copy_ctx *cx = calloc(1, sizeof(*cx));
	struct stat st;
	size_t i;
	int rc;

	if (cx == NULL)
		return (berth_error_sys(err, "copy-up"));
	cx->topfd = dstfd;
	cx->err = err;
	rc = fstat(srcfd, &st) < 0 ? copy_fail(cx, "stat", "/") :
	    copy_dir(srcfd, dstfd, "", 0, cx);
	/* Docker's copyOwnership: the volume takes the path's owner and
	 * mode. */
	if (rc == 0 && (fchown(dstfd, st.st_uid, st.st_gid) < 0 ||
	    fchmod(dstfd, st.st_mode & 07777) < 0))
		rc = copy_fail(cx, "set owner and mode of", "/");
	for (i = 0; i < cx->nlinks; i++)
		free(cx->links[i].path);
	free(cx);
	return (rc);
}

int
volume_copy_staged(int srcfd, int volfd, struct berth_error *err)
{
	cleanup_close int stfd = -1;
	cleanup_close int datafd = -1;
	cleanup_dir DIR *dp = NULL;
	struct dirent *de;
	bool empty = true;

	/* Filled meanwhile (or by hand): only marked. */
	if ((datafd = openat(volfd, VOLUME_DATA, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) < 0)
		return (berth_error_sys(err, "copy-up: open %s", VOLUME_DATA));
	if ((dp = fdopendir(datafd)) == NULL)
		return (berth_error_sys(err, "copy-up: read %s", VOLUME_DATA));
	datafd = -1;
	while (empty && (de = readdir(dp)) != NULL)
		empty = strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0;
	if (!empty)
		return (mark_populated(volfd, err));
	/* One a copy cut short left. */
	if (tree_remove(volfd, VOLUME_STAGING, err) < 0)
		return (berth_error_wrap(err, "copy-up"));
	if (mkdirat(volfd, VOLUME_STAGING, 0700) < 0 ||
	    (stfd = openat(volfd, VOLUME_STAGING, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) < 0)
		return (berth_error_sys(err, "copy-up: create %s",
		    VOLUME_STAGING));
	if (volume_copy_tree(srcfd, stfd, err) < 0)
		return (-1);
	/* A directory renamed over an empty one replaces it at once; one
	 * not empty any more refuses (and is kept). */
	if (renameat(volfd, VOLUME_STAGING, volfd, VOLUME_DATA) < 0) {
		if (errno != ENOTEMPTY && errno != EEXIST)
			return (berth_error_sys(err, "copy-up: rename %s onto "
			    "%s", VOLUME_STAGING, VOLUME_DATA));
		if (tree_remove(volfd, VOLUME_STAGING, err) < 0)
			return (berth_error_wrap(err, "copy-up"));
	}
	return (mark_populated(volfd, err));
}
