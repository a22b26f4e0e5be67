/*
 * Unit tests for store/volume.c: names, the local driver's options,
 * create (idempotent, nothing left on failure), users and the in-use
 * refusal, removal aside, orphans, and the copy-up of a tree.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "db.h"
#include "unit.h"
#include "volume.h"

static char root[] = "/tmp/berth-test-volume.XXXXXX";

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return (remove(p));
}

static void
rm_tree(const char *p)
{
	nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static struct store_db *
fresh(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct store_db *db = NULL;
	char path[300];

	rm_tree(root);
	mkdir(root, 0700);
	snprintf(path, sizeof(path), "%s/meta.db", root);
	if (db_open(path, &db, &err) < 0)
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	return (db);
}

static bool
exists(const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return (lstat(path, &st) == 0);
}

static void
names_are_docker_s(void)
{
	char name[65];
	struct berth_error err = BERTH_ERROR_INIT;

	CHECK(volume_name_valid("data"));
	CHECK(volume_name_valid("a1_b.c-d"));
	CHECK(!volume_name_valid("x"));
	CHECK(!volume_name_valid("-data"));
	CHECK(!volume_name_valid("b@d"));
	CHECK(!volume_name_valid("a/b"));
	CHECK(!volume_name_valid(".."));
	CHECK(!volume_name_valid(""));
	CHECK(volume_random_name(name, &err) == 0);
	CHECK(strlen(name) == 64 && volume_name_valid(name));
}

static void
options_as_the_local_driver_takes_them(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct volume_mount m;

	CHECK(volume_options_parse("{}", &m, &err) == 0 &&
	    m.kind == VOLUME_PLAIN);
	CHECK(volume_options_parse("{\"type\":\"tmpfs\",\"device\":\"tmpfs\","
	    "\"o\":\"size=64m,mode=1777,ro\"}", &m, &err) == 0);
	CHECK(m.kind == VOLUME_TMPFS && m.read_only);
	CHECK_STR(m.data, "size=64m,mode=1777");
	CHECK(volume_options_parse("{\"type\":\"none\",\"device\":\"/srv\","
	    "\"o\":\"bind\"}", &m, &err) == 0 && m.kind == VOLUME_BIND);
	CHECK_STR(m.device, "/srv");
	/* Mount flags in o= are flags, not the filesystem's data. */
	CHECK(volume_options_parse("{\"type\":\"tmpfs\",\"device\":\"tmpfs\","
	    "\"o\":\"noexec,size=1m,nosuid,nodev,ro\"}", &m, &err) == 0);
	CHECK(m.flags == (MS_NOEXEC | MS_NOSUID | MS_NODEV | MS_RDONLY) &&
	    m.read_only);
	CHECK_STR(m.data, "size=1m");
	CHECK(volume_options_parse("{\"type\":\"none\",\"device\":\"/srv\","
	    "\"o\":\"bind,ro,rw,noexec\"}", &m, &err) == 0);
	CHECK(m.flags == MS_NOEXEC && !m.read_only && m.data[0] == '\0');
	CHECK(volume_options_parse("{\"colour\":\"red\"}", &m, &err) < 0);
	CHECK(berth_error_is(&err, VOLUME_E_CONFIG));
	berth_error_clear(&err);
	CHECK(volume_options_parse("{\"type\":\"tmpfs\"}", &m, &err) < 0);
	berth_error_clear(&err);
	CHECK(volume_options_parse("{\"type\":\"ext4\",\"device\":"
	    "\"/dev/sda\"}", &m, &err) < 0);
	berth_error_clear(&err);
	CHECK(volume_options_parse("{\"type\":\"none\",\"device\":\"rel\","
	    "\"o\":\"bind\"}", &m, &err) < 0);
}

static void
create_is_idempotent_and_leaves_nothing_on_failure(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct store_db *db = fresh();
	struct volume v = { .name = "data", .labels = "{\"k\":\"v\"}" };
	struct volume got, *list = NULL;
	bool created;
	size_t n = 0;

	CHECK(db != NULL);
	CHECK(volume_create(db, root, &v, &created, &err) == 0 && created);
	CHECK(exists("volumes/data/_data"));
	CHECK(volume_create(db, root, &v, &created, &err) == 0 && !created);
	CHECK(volume_get(db, "data", &got, &err) == 0);
	CHECK_STR(got.driver, "local");
	CHECK_STR(got.labels, "{\"k\":\"v\"}");
	CHECK(!got.anonymous && got.created > 0);
	volume_clear(&got);
	v.name = "b@d";
	CHECK(volume_create(db, root, &v, &created, &err) < 0);
	CHECK(berth_error_is(&err, VOLUME_E_CONFIG));
	berth_error_clear(&err);
	v.name = "opts";
	v.options = "{\"nope\":\"x\"}";
	CHECK(volume_create(db, root, &v, &created, &err) < 0);
	berth_error_clear(&err);
	v.options = "{\"type\":\"none\",\"o\":\"bind\",\"device\":"
	    "\"/nonexistent/berth\"}";
	CHECK(volume_create(db, root, &v, &created, &err) < 0);
	berth_error_clear(&err);
	CHECK(!exists("volumes/b@d") && !exists("volumes/opts"));
	CHECK(volume_get(db, "opts", &got, &err) < 0 &&
	    berth_error_is(&err, VOLUME_E_NOT_FOUND));
	berth_error_clear(&err);
	CHECK(volume_list(db, &list, &n, &err) == 0 && n == 1);
	volume_list_free(list, n);
	db_close(db);
}

static void
users_keep_a_volume_from_removal(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct store_db *db = fresh();
	struct volume v = { .name = "data" };
	const char *names[] = { "data" }, *keep[] = { "c2" };
	char trash[VOLUME_TRASH_MAX], **ids = NULL, **orphans = NULL;
	char first[300];
	size_t n = 0;
	bool created;

	CHECK(volume_create(db, root, &v, &created, &err) == 0);
	CHECK(volume_use(db, "c1", names, 1, &err) == 0);
	CHECK(volume_use(db, "c2", names, 1, &err) == 0);
	CHECK(volume_use(db, "c2", names, 1, &err) == 0);
	CHECK(volume_users(db, "data", &ids, &n, &err) == 0 && n == 2);
	db_strv_free(ids, n);
	CHECK(volume_remove(db, root, "data", trash, &err) < 0);
	CHECK(berth_error_is(&err, VOLUME_E_IN_USE));
	CHECK(strstr(berth_error_message(&err), "volume is in use - [c1, c2]")
	    != NULL);
	berth_error_clear(&err);
	CHECK(exists("volumes/data/_data"));
	/* c1 is gone (after a crash): its row goes. */
	CHECK(volume_users_keep(db, keep, 1, &err) == 0);
	CHECK(volume_users(db, "data", &ids, &n, &err) == 0 && n == 1);
	CHECK(n == 1 && strcmp(ids[0], "c2") == 0);
	db_strv_free(ids, n);
	CHECK(volume_release(db, "c2", &err) == 0);
	CHECK(volume_remove(db, root, "data", trash, &err) == 0);
	CHECK(strncmp(trash, VOLUME_TRASH_PREFIX, 7) == 0 &&
	    strlen(trash) == 7 + 32 && strlen(trash) < VOLUME_TRASH_MAX);
	snprintf(first, sizeof(first), "volumes/%s", trash);
	CHECK(!exists("volumes/data") && exists(first));
	CHECK(volume_remove(db, root, "data", trash, &err) < 0 &&
	    berth_error_is(&err, VOLUME_E_NOT_FOUND));
	berth_error_clear(&err);
	/* A use of a volume that is not there is refused. */
	CHECK(volume_use(db, "c3", names, 1, &err) < 0);
	berth_error_clear(&err);
	/* Made again and removed while the first trash is still there
	 * (its helper at work): another name, no clash. */
	CHECK(volume_create(db, root, &v, &created, &err) == 0 && created);
	CHECK(volume_remove(db, root, "data", trash, &err) == 0);
	CHECK(trash[0] != '\0' && strcmp(first + 8, trash) != 0);
	CHECK(exists(first) && !exists("volumes/data"));
	CHECK(volume_create(db, root, &v, &created, &err) == 0 && created);
	CHECK(volume_remove(db, root, "data", trash, &err) == 0);
	/* The trash and a directory without a row are orphans. */
	{
		char p[300];

		snprintf(p, sizeof(p), "%s/volumes/stray", root);
		CHECK(mkdir(p, 0700) == 0);
	}
	CHECK(volume_orphans(db, root, &orphans, &n, &err) == 0 && n == 4);
	db_strv_free(orphans, n);
	db_close(db);
}

/* A removal whose rename fails (its directory is a mount point here)
 * keeps the row: the volume is still there, whole. */
static void
failed_move_aside_keeps_the_row(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct store_db *db = fresh();
	struct volume v = { .name = "held" }, got;
	char trash[VOLUME_TRASH_MAX], p[300];
	bool created;

	CHECK(volume_create(db, root, &v, &created, &err) == 0);
	snprintf(p, sizeof(p), "%s/volumes/held", root);
	CHECK(mount("tmpfs", p, "tmpfs", 0, NULL) == 0);
	CHECK(volume_remove(db, root, "held", trash, &err) < 0);
	CHECK(strstr(berth_error_message(&err), "move aside") != NULL);
	berth_error_clear(&err);
	CHECK(umount2(p, MNT_DETACH) == 0);
	CHECK(volume_get(db, "held", &got, &err) == 0);
	volume_clear(&got);
	CHECK(volume_remove(db, root, "held", trash, &err) == 0);
	db_close(db);
}

/* A crash between a removal's move aside and its commit: the row is
 * there, the directory in the trash; the next start gives it back.  A
 * committed removal's marker (no row) gives nothing back. */
static void
uncommitted_removal_is_undone(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct store_db *db = fresh();
	struct volume v = { .name = "kept" };
	char from[300], to[300];
	bool created;
	FILE *f;

	CHECK(volume_create(db, root, &v, &created, &err) == 0);
	snprintf(from, sizeof(from), "%s/volumes/kept/_data/file", root);
	CHECK((f = fopen(from, "w")) != NULL && fclose(f) == 0);
	/* What volume_remove leaves when killed before db_commit. */
	snprintf(to, sizeof(to), "%s/volumes/.removing-0a1b", root);
	CHECK((f = fopen(to, "w")) != NULL && fputs("kept", f) >= 0 &&
	    fclose(f) == 0);
	snprintf(from, sizeof(from), "%s/volumes/kept", root);
	snprintf(to, sizeof(to), "%s/volumes/.trash-0a1b", root);
	CHECK(rename(from, to) == 0);
	/* And a committed one: marker and trash, no row. */
	snprintf(to, sizeof(to), "%s/volumes/.removing-ffff", root);
	CHECK((f = fopen(to, "w")) != NULL && fputs("gone", f) >= 0 &&
	    fclose(f) == 0);
	snprintf(to, sizeof(to), "%s/volumes/.trash-ffff", root);
	CHECK(mkdir(to, 0700) == 0);
	CHECK(volume_restore_removals(db, root, &err) == 1);
	CHECK(exists("volumes/kept/_data/file"));
	CHECK(!exists("volumes/.trash-0a1b"));
	CHECK(!exists("volumes/.removing-0a1b"));
	CHECK(!exists("volumes/.removing-ffff"));
	CHECK(exists("volumes/.trash-ffff"));	/* for the sweep */
	CHECK(!exists("volumes/gone"));
	/* A real removal leaves no marker. */
	{
		char trash[VOLUME_TRASH_MAX];

		CHECK(volume_remove(db, root, "kept", trash, &err) == 0);
		snprintf(to, sizeof(to), "volumes/.removing-%s",
		    trash + strlen(VOLUME_TRASH_PREFIX));
		CHECK(!exists(to));
	}
	db_close(db);
}

/* A bind of _data onto itself keeps st_dev; the root given as
 * "ROOT//." still finds it mounted, and unmounts it. */
static void
mounted_whatever_the_root_s_spelling(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct store_db *db = fresh();
	struct volume v = { .name = "bound" };
	char p[300], odd[300];
	bool created;

	CHECK(volume_create(db, root, &v, &created, &err) == 0);
	snprintf(p, sizeof(p), "%s/volumes/bound/_data", root);
	snprintf(odd, sizeof(odd), "%s//.", root);
	CHECK(!volume_mounted(odd, "bound"));
	CHECK(mount(p, p, NULL, MS_BIND, NULL) == 0);
	CHECK(volume_mounted(odd, "bound") && volume_mounted(root, "bound"));
	CHECK(volume_unmount(odd, "bound", &err) == 0);
	CHECK(!volume_mounted(root, "bound"));
	if (volume_mounted(root, "bound"))
		(void)umount2(p, MNT_DETACH);
	db_close(db);
}

/* Copy-up through _staging: renamed onto the empty _data, marked once;
 * a staging left by a crash is replaced; a _data filled meanwhile is
 * only marked. */
static void
staged_copy_is_atomic_and_marked(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct store_db *db = fresh();
	struct volume v = { .name = "st" };
	char p[400], trash[VOLUME_TRASH_MAX];
	struct stat st;
	bool created;
	int sfd, vfd, fd;

	CHECK(volume_create(db, root, &v, &created, &err) == 0);
	snprintf(p, sizeof(p), "%s/img", root);
	CHECK(mkdir(p, 0750) == 0);
	snprintf(p, sizeof(p), "%s/img/f", root);
	CHECK((fd = open(p, O_WRONLY | O_CREAT, 0644)) >= 0);
	close(fd);
	/* What a copy cut short left. */
	snprintf(p, sizeof(p), "%s/volumes/st/_staging", root);
	CHECK(mkdir(p, 0700) == 0);
	snprintf(p, sizeof(p), "%s/volumes/st/_staging/partial", root);
	CHECK(mkdir(p, 0700) == 0);
	CHECK(!volume_populated(root, "st") && volume_empty(root, "st"));
	snprintf(p, sizeof(p), "%s/img", root);
	CHECK((sfd = open(p, O_RDONLY | O_DIRECTORY)) >= 0);
	snprintf(p, sizeof(p), "%s/volumes/st", root);
	CHECK((vfd = open(p, O_RDONLY | O_DIRECTORY)) >= 0);
	CHECK(volume_copy_staged(sfd, vfd, &err) == 0);
	CHECK(volume_populated(root, "st"));
	CHECK(exists("volumes/st/_data/f") && !exists("volumes/st/_staging"));
	CHECK(!exists("volumes/st/_data/partial"));
	snprintf(p, sizeof(p), "%s/volumes/st/_data", root);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0750);
	/* Not empty: only marked, nothing copied over it. */
	snprintf(p, sizeof(p), "%s/volumes/st/_data/f", root);
	CHECK(unlink(p) == 0);
	snprintf(p, sizeof(p), "%s/volumes/st/_data/mine", root);
	CHECK(mkdir(p, 0700) == 0);
	CHECK(volume_copy_staged(sfd, vfd, &err) == 0);
	CHECK(!exists("volumes/st/_data/f") && exists("volumes/st/_data/mine"));
	close(sfd);
	close(vfd);
	/* At start, a staging left is moved to the trash. */
	snprintf(p, sizeof(p), "%s/volumes/st/_staging", root);
	CHECK(mkdir(p, 0700) == 0);
	CHECK(volume_staging_aside(root, "st", trash, &err) == 0);
	CHECK(trash[0] != '\0' && !exists("volumes/st/_staging"));
	snprintf(p, sizeof(p), "volumes/%s", trash);
	CHECK(exists(p));
	CHECK(volume_staging_aside(root, "st", trash, &err) == 0 &&
	    trash[0] == '\0');
	/* A row whose directory a crash took: made again, empty. */
	CHECK(volume_dirs_repair(root, "st", &err) == 0);
	CHECK(exists("volumes/st/_data/mine"));
	snprintf(p, sizeof(p), "%s/volumes/st", root);
	{
		char q[400];

		snprintf(q, sizeof(q), "%s/volumes/.trash-x", root);
		CHECK(rename(p, q) == 0);
	}
	CHECK(volume_dirs_repair(root, "st", &err) == 0);
	CHECK(exists("volumes/st/_data") && volume_empty(root, "st"));
	db_close(db);
}

static void
copy_tree_keeps_owners_modes_links_and_devices(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	char src[300], dst[300], p[400], target[400];
	struct stat st, st2;
	int sfd, dfd, fd;

	rm_tree(root);
	mkdir(root, 0700);
	snprintf(src, sizeof(src), "%s/src", root);
	snprintf(dst, sizeof(dst), "%s/dst", root);
	CHECK(mkdir(src, 0750) == 0 && mkdir(dst, 0755) == 0);
	CHECK(chown(src, 1234, 1235) == 0 && chmod(src, 0750) == 0);
	snprintf(p, sizeof(p), "%s/sub", src);
	CHECK(mkdir(p, 0700) == 0);
	snprintf(p, sizeof(p), "%s/sub/f", src);
	CHECK((fd = open(p, O_WRONLY | O_CREAT, 0640)) >= 0);
	CHECK(write(fd, "hello\n", 6) == 6);
	close(fd);
	CHECK(chown(p, 42, 43) == 0 && chmod(p, 04640) == 0);
	snprintf(target, sizeof(target), "%s/hard", src);
	CHECK(link(p, target) == 0);
	snprintf(p, sizeof(p), "%s/abs", src);
	CHECK(symlink("/etc/passwd", p) == 0);
	snprintf(p, sizeof(p), "%s/null", src);
	CHECK(mknod(p, S_IFCHR | 0600, makedev(1, 3)) == 0);
	snprintf(p, sizeof(p), "%s/fifo", src);
	CHECK(mkfifo(p, 0620) == 0 && chmod(p, 0620) == 0);
	/* A hard link in a directory of its own: linked through that
	 * directory's fd. */
	snprintf(p, sizeof(p), "%s/sub/f", src);
	snprintf(target, sizeof(target), "%s/sub/hard2", src);
	CHECK(link(p, target) == 0);
	CHECK((sfd = open(src, O_RDONLY | O_DIRECTORY)) >= 0);
	CHECK((dfd = open(dst, O_RDONLY | O_DIRECTORY)) >= 0);
	CHECK(volume_copy_tree(sfd, dfd, &err) == 0);
	close(sfd);
	close(dfd);
	CHECK(stat(dst, &st) == 0 && st.st_uid == 1234 && st.st_gid == 1235 &&
	    (st.st_mode & 07777) == 0750);
	snprintf(p, sizeof(p), "%s/sub/f", dst);
	CHECK(stat(p, &st) == 0 && st.st_uid == 42 && st.st_gid == 43 &&
	    (st.st_mode & 07777) == 04640 && st.st_size == 6);
	snprintf(p, sizeof(p), "%s/hard", dst);
	CHECK(stat(p, &st2) == 0 && st2.st_ino == st.st_ino &&
	    st2.st_nlink == 3);
	snprintf(p, sizeof(p), "%s/abs", dst);
	CHECK(readlink(p, target, sizeof(target)) == 11 &&
	    strncmp(target, "/etc/passwd", 11) == 0);
	snprintf(p, sizeof(p), "%s/null", dst);
	CHECK(lstat(p, &st) == 0 && S_ISCHR(st.st_mode) &&
	    st.st_rdev == makedev(1, 3));
	snprintf(p, sizeof(p), "%s/fifo", dst);
	CHECK(lstat(p, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    (st.st_mode & 07777) == 0620);
	/* Into a directory that is not empty: the clash is an error. */
	CHECK((sfd = open(src, O_RDONLY | O_DIRECTORY)) >= 0);
	CHECK((dfd = open(dst, O_RDONLY | O_DIRECTORY)) >= 0);
	CHECK(volume_copy_tree(sfd, dfd, &err) < 0);
	close(sfd);
	close(dfd);
}

int
main(void)
{
	if (geteuid() != 0) {
		printf("ok - volume tests # SKIP not root\n");
		return (0);
	}
	/* Mounts made here stay in a mount namespace of the test's own,
	 * never propagated to the host's, whatever a failed check leaves. */
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("ok - volume tests # SKIP no mount namespace: %s\n",
		    strerror(errno));
		return (0);
	}
	if (mkdtemp(root) == NULL)
		return (1);
	RUN(names_are_docker_s);
	RUN(options_as_the_local_driver_takes_them);
	RUN(create_is_idempotent_and_leaves_nothing_on_failure);
	RUN(users_keep_a_volume_from_removal);
	RUN(failed_move_aside_keeps_the_row);
	RUN(uncommitted_removal_is_undone);
	RUN(mounted_whatever_the_root_s_spelling);
	RUN(staged_copy_is_atomic_and_marked);
	RUN(copy_tree_keeps_owners_modes_links_and_devices);
	rm_tree(root);
	UNIT_EXIT();
}
