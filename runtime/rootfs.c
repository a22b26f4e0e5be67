/*
 * The container's filesystem, set up by the child in its new mount
 * namespace, in this order:
 *
 *  1. nothing propagates back to the host (rootfs propagation, rslave
 *     by default as runc's, rshared only when a bind asks to share);
 *  2. the root: an overlay of the image's layers, or a bind of the
 *     directory onto itself (pivot_root needs a mount point);
 *  3. the spec's mounts in order (/proc, /dev, /dev/pts, /sys, ...), each
 *     target created and opened inside the root with openat2's
 *     RESOLVE_IN_ROOT and mounted through its fd: an image whose /proc or
 *     /dev is a symlink out cannot redirect a mount to the host;
 *  4. the device nodes and links in /dev, and the terminal;
 *  5. pivot_root, and the old root detached;
 *  6. Docker's masked and read-only paths (now inside the new root);
 *  7. the root made read-only when asked, last, since 3-6 write to it.
 */
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"

#define FD_PATH_MAX	32

static int
openat2_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	return ((int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how)));
}

static void
fd_path(int fd, char buf[FD_PATH_MAX])
{
	snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
}

/* mkdir -p inside the root: each component is created relative to its
 * parent's fd, never by a path string the image could redirect. */
static int
mkdir_in_root(int rootfd, const char *path, mode_t mode)
{
	char buf[PATH_MAX], *p, *slash;
	int dirfd, next;

	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	snprintf(buf, sizeof(buf), "%s", path);
	if ((dirfd = dup(rootfd)) < 0)
		return (-1);
	for (p = buf; *p == '/'; p++)
		;
	while (*p != '\0') {
		if ((slash = strchr(p, '/')) != NULL)
			*slash = '\0';
		if (p[0] != '\0' && mkdirat(dirfd, p, mode) < 0 &&
		    errno != EEXIST) {
			close(dirfd);
			return (-1);
		}
		/* Reopen by the whole prefix within the root, so a symlink
		 * component stays inside it. */
		next = openat2_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
		close(dirfd);
		if (next < 0)
			return (-1);
		dirfd = next;
		if (slash == NULL)
			break;
		*slash = '/';
		for (p = slash + 1; *p == '/'; p++)
			;
	}
	close(dirfd);
	return (0);
}

/* Create a file to bind a non-directory onto: parent dirs, then the file. */
static int
mkfile_in_root(int rootfd, const char *path)
{
	char parent[PATH_MAX], *slash;
	int fd;

	snprintf(parent, sizeof(parent), "%s", path);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if (mkdir_in_root(rootfd, parent, 0755) < 0)
			return (-1);
	}
	/* One that is there is left alone: opening it for writing would
	 * copy it up into the overlay's upper directory. */
	if ((fd = openat2_in_root(rootfd, path, O_PATH, 0)) >= 0) {
		close(fd);
		return (0);
	}
	fd = openat2_in_root(rootfd, path, O_CREAT | O_WRONLY, 0644);
	if (fd < 0 && errno == EISDIR)
		return (0);
	if (fd < 0)
		return (-1);
	close(fd);
	return (0);
}

/* Flags a remount must keep (the kernel refuses to drop locked ones). */
static unsigned long
kept_flags(int fd)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (fstatvfs(fd, &sv) < 0)
		return (0);
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	return (f);
}

static bool
source_is_dir(const char *source)
{
	struct stat st;

	return (stat(source, &st) < 0 || S_ISDIR(st.st_mode));
}

/* Mount one cgroup hierarchy (fstype "cgroup" with its controllers, or
 * "cgroup2") on dir/name inside the root. */
static void
mount_hierarchy(struct child_ctx *c, int rootfd, const char *dir,
    const char *name, const char *fstype, const char *opts,
    unsigned long flags)
{
	char path[PATH_MAX], target[FD_PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mkdir_in_root(rootfd, path, 0755) < 0 ||
	    (fd = openat2_in_root(rootfd, path, O_PATH, 0)) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "create %s", path);
	fd_path(fd, target);
	if (mount("cgroup", target, fstype, flags, opts) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "mount cgroup %s on %s",
		    opts != NULL ? opts : fstype, path);
	close(fd);
}

/*
 * The "cgroup" mount of OCI configs.  Mounted inside the container's
 * cgroup namespace, each hierarchy shows the container's own cgroup as its
 * root.  A v2 host gets cgroup2 itself; a v1 (hybrid) host a tmpfs with
 * each hierarchy the host has (and cgroup2 as "unified"), read-only when
 * the options say so.
 */
static void
mount_cgroup(struct child_ctx *c, int rootfd, const struct rt_mount *m)
{
	unsigned long flags = m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV |
	    MS_NOEXEC | MS_RELATIME);
	char line[4096], target[FD_PATH_MAX], *sep, *fields[6], *save, *opt;
	char controllers[256], *name;
	FILE *f;
	int fd, i;

	if (mkdir_in_root(rootfd, m->destination, 0755) < 0 ||
	    (fd = openat2_in_root(rootfd, m->destination, O_PATH, 0)) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "create %s",
		    m->destination);
	fd_path(fd, target);
	if (mount("cgroup2", target, "cgroup2", flags, NULL) == 0) {
		close(fd);
		/* Only a v2 host has cgroup2 where v1 would be. */
		if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
			return;
		(void)umount2(target, MNT_DETACH);
		fd = openat2_in_root(rootfd, m->destination, O_PATH, 0);
		fd_path(fd, target);
	}
	if (mount("tmpfs", target, "tmpfs", flags & ~MS_RDONLY,
	    "mode=755") < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "mount tmpfs on %s",
		    m->destination);
	close(fd);
	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL)
		child_fail(c, RT_E_SETUP, errno, 1, "read mountinfo");
	while (fgets(line, sizeof(line), f) != NULL) {
		/* ... mountpoint ... - fstype source superoptions */
		if ((sep = strstr(line, " - ")) == NULL)
			continue;
		*sep = '\0';
		strtok_r(line, " ", &save);
		for (i = 0; i < 4 && (fields[i] = strtok_r(NULL, " ",
		    &save)) != NULL; i++)
			;
		if (i < 4 || strncmp(fields[3], "/sys/fs/cgroup/", 15) != 0)
			continue;
		name = fields[3] + 15;
		fields[4] = strtok_r(sep + 3, " ", &save);	/* fstype */
		strtok_r(NULL, " ", &save);			/* source */
		fields[5] = strtok_r(NULL, " \n", &save);	/* options */
		if (fields[4] == NULL || fields[5] == NULL ||
		    strchr(name, '/') != NULL)
			continue;
		if (strcmp(fields[4], "cgroup2") == 0) {
			mount_hierarchy(c, rootfd, m->destination, name,
			    "cgroup2", NULL, flags);
			continue;
		}
		if (strcmp(fields[4], "cgroup") != 0)
			continue;
		/* Keep the controllers and name= of the superoptions. */
		controllers[0] = '\0';
		for (opt = strtok_r(fields[5], ",", &save); opt != NULL;
		    opt = strtok_r(NULL, ",", &save)) {
			if (strcmp(opt, "rw") == 0 || strcmp(opt, "ro") == 0)
				continue;
			snprintf(controllers + strlen(controllers),
			    sizeof(controllers) - strlen(controllers), "%s%s",
			    controllers[0] != '\0' ? "," : "", opt);
		}
		mount_hierarchy(c, rootfd, m->destination, name, "cgroup",
		    controllers, flags);
	}
	fclose(f);
	if ((flags & MS_RDONLY) && ((fd = openat2_in_root(rootfd,
	    m->destination, O_PATH, 0)) < 0 || (fd_path(fd, target),
	    mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
	    kept_flags(fd), NULL)) < 0))
		child_fail(c, RT_E_SETUP, errno, 1, "make %s read-only",
		    m->destination);
	if (flags & MS_RDONLY)
		close(fd);
}

/*
 * A read-only rbind is read-only all the way down, as Docker 25's: the
 * remount above covers the top mount only, a mount under the source (a
 * tmpfs on a subdirectory) would stay writable.  mount_setattr with
 * AT_RECURSIVE sets it on the whole tree at once; a kernel without it
 * (before 5.12) keeps the remount's top-only read-only.
 */
static void
make_tree_readonly(struct child_ctx *c, int fd, const char *dst)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE,
	    &attr, sizeof(attr)) < 0 && errno != ENOSYS)
		child_fail(c, RT_E_SETUP, errno, 1, "make %s read-only "
		    "recursively", dst);
}

static void
mount_one(struct child_ctx *c, int rootfd, const struct rt_mount *m)
{
	unsigned long flags = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
	char target[FD_PATH_MAX];
	const char *src = m->source != NULL ? m->source : "none";
	int fd, rc;

	if (!m->bind && m->type != NULL && strcmp(m->type, "cgroup") == 0) {
		mount_cgroup(c, rootfd, m);
		return;
	}
	if (m->bind && !source_is_dir(m->source))
		rc = mkfile_in_root(rootfd, m->destination);
	else
		rc = mkdir_in_root(rootfd, m->destination, 0755);
	if (rc < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "mount %s on %s: create "
		    "the mount point", src, m->destination);
	if ((fd = openat2_in_root(rootfd, m->destination, O_PATH, 0)) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "mount %s on %s: open "
		    "the mount point", src, m->destination);
	fd_path(fd, target);
	if (m->bind)
		rc = mount(m->source, target, NULL, MS_BIND |
		    (m->flags & MS_REC), NULL);
	else
		rc = mount(src, target, m->type, flags, m->data);
	close(fd);
	if (rc < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "mount %s on %s (%s)", src,
		    m->destination, m->bind ? "bind" : m->type);
	if (!m->bind && m->propagation == 0)
		return;
	/* The new mount is on top now: reopen to act on it. */
	if ((fd = openat2_in_root(rootfd, m->destination, O_PATH, 0)) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "mount %s on %s: reopen",
		    src, m->destination);
	fd_path(fd, target);
	if (m->bind && flags != 0 && mount(NULL, target, NULL, MS_REMOUNT |
	    MS_BIND | flags | kept_flags(fd), NULL) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "remount %s on %s with "
		    "its options", src, m->destination);
	if (m->bind && (m->flags & MS_REC) && (flags & MS_RDONLY))
		make_tree_readonly(c, fd, m->destination);
	if (m->propagation != 0 && mount(NULL, target, NULL, m->propagation,
	    NULL) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "set propagation of %s",
		    m->destination);
	close(fd);
}

struct devnode {
	const char	*name;
	unsigned	 major, minor;
};

static const struct devnode default_devices[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
	const char	*name;
	const char	*target;
} dev_links[] = {
	{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	{ "ptmx", "pts/ptmx" },
};

/* The directory holding path, opened inside the root; *name points at
 * the last component of path. */
static int
open_parent_in_root(int rootfd, const char *path, const char **name)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		*name = path;
		return (openat2_in_root(rootfd, "/", O_PATH | O_DIRECTORY, 0));
	}
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash - path), path);
	*name = slash + 1;
	return (openat2_in_root(rootfd, parent, O_PATH | O_DIRECTORY, 0));
}

/* mknod, or in a user namespace (where mknod is refused) a bind of the
 * host's node onto an empty file.  The node is made relative to its
 * directory's fd: an image's /dev symlink cannot send it elsewhere. */
static void
make_device(struct child_ctx *c, int rootfd, const char *path, mode_t type,
    unsigned major, unsigned minor, mode_t mode, uid_t uid, gid_t gid)
{
	char target[FD_PATH_MAX];
	const char *name;
	int dirfd, fd;

	if ((dirfd = open_parent_in_root(rootfd, path, &name)) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "open the directory of "
		    "%s", path);
	if (mknodat(dirfd, name, type | mode, makedev(major, minor)) == 0) {
		if (fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			child_fail(c, RT_E_SETUP, errno, 1, "chown %s", path);
		close(dirfd);
		return;
	}
	close(dirfd);
	if (errno == EEXIST)
		return;
	if (errno != EPERM)
		child_fail(c, RT_E_SETUP, errno, 1, "mknod %s", path);
	if (mkfile_in_root(rootfd, path) < 0 ||
	    (fd = openat2_in_root(rootfd, path, O_PATH, 0)) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "create %s", path);
	fd_path(fd, target);
	/* The host's node of the same path. */
	if (mount(path, target, NULL, MS_BIND, NULL) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "bind %s", path);
	close(fd);
}

/* Privileged containers get the host's device nodes. */
static void
copy_host_devices(struct child_ctx *c, int rootfd)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if ((d = opendir("/dev")) == NULL)
		child_fail(c, RT_E_SETUP, errno, 1, "read the host's /dev");
	while ((de = readdir(d)) != NULL) {
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) <
		    0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
			continue;
		if (strcmp(de->d_name, "console") == 0 ||
		    strcmp(de->d_name, "ptmx") == 0)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		make_device(c, rootfd, path, st.st_mode & S_IFMT,
		    major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777,
		    st.st_uid, st.st_gid);
	}
	closedir(d);
}

static bool
has_dev_tmpfs(const struct rt_spec *spec)
{
	size_t i;

	for (i = 0; i < spec->nmounts; i++)
		if (strcmp(spec->mounts[i].destination, "/dev") == 0)
			return (true);
	return (false);
}

static void
setup_dev(struct child_ctx *c, int rootfd)
{
	const struct rt_spec *spec = c->spec;
	char path[64];
	size_t i;
	int devfd;

	for (i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]);
	    i++) {
		snprintf(path, sizeof(path), "/dev/%s",
		    default_devices[i].name);
		make_device(c, rootfd, path, S_IFCHR, default_devices[i].major,
		    default_devices[i].minor, 0666, 0, 0);
	}
	if (spec->privileged)
		copy_host_devices(c, rootfd);
	for (i = 0; i < spec->ndevices; i++) {
		const struct rt_device *d = &spec->devices[i];
		char *slash, parent[PATH_MAX];

		snprintf(parent, sizeof(parent), "%s", d->path);
		if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
			*slash = '\0';
			if (mkdir_in_root(rootfd, parent, 0755) < 0)
				child_fail(c, RT_E_SETUP, errno, 1,
				    "create %s", parent);
		}
		make_device(c, rootfd, d->path, d->type == 'b' ? S_IFBLK :
		    d->type == 'p' ? S_IFIFO : S_IFCHR, d->major, d->minor,
		    d->mode & 07777, d->uid, d->gid);
	}
	if ((devfd = openat2_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY,
	    0)) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "open /dev");
	for (i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++) {
		if (strcmp(dev_links[i].name, "ptmx") == 0)
			(void)unlinkat(devfd, dev_links[i].name, 0);
		if (symlinkat(dev_links[i].target, devfd,
		    dev_links[i].name) < 0 && errno != EEXIST)
			child_fail(c, RT_E_SETUP, errno, 1, "link /dev/%s",
			    dev_links[i].name);
	}
	close(devfd);
}

void
console_setup(struct child_ctx *c, bool bind_console)
{
	char slave_path[FD_PATH_MAX], target[FD_PATH_MAX];
	int rootfd, master, slave, fd;

	rootfd = open(bind_console ? c->spec->root_path : "/",
	    O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "open the root");
	master = openat2_in_root(rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY,
	    0);
	if (master < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "open /dev/pts/ptmx in "
		    "the container");
	if (unlockpt(master) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "unlock the terminal");
	if (c->opts->console_rows > 0 && c->opts->console_cols > 0) {
		struct winsize ws = {
			.ws_row = c->opts->console_rows,
			.ws_col = c->opts->console_cols,
		};

		if (ioctl(master, TIOCSWINSZ, &ws) < 0)
			child_fail(c, RT_E_SETUP, errno, 1, "size the "
			    "terminal");
	}
	/* The slave through the master: no path lookup at all. */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "open the terminal's "
		    "slave");
	if (bind_console) {
		if (mkfile_in_root(rootfd, "/dev/console") < 0 ||
		    (fd = openat2_in_root(rootfd, "/dev/console", O_PATH,
		    0)) < 0)
			child_fail(c, RT_E_SETUP, errno, 1, "create "
			    "/dev/console");
		fd_path(slave, slave_path);
		fd_path(fd, target);
		if (mount(slave_path, target, NULL, MS_BIND, NULL) < 0)
			child_fail(c, RT_E_SETUP, errno, 1, "bind the "
			    "terminal on /dev/console");
		close(fd);
	}
	if (sync_send(c->sync_fd, SYNC_CONSOLE, master) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "send the terminal");
	close(master);
	close(rootfd);
	c->console_slave = slave;
}

/* Let the parent act on the finished mounts (OCI prestart hooks). */
static void
wait_before_pivot(struct child_ctx *c)
{
	int type = 0;

	if (c->opts->before_pivot == NULL)
		return;
	if (sync_send(c->sync_fd, SYNC_BEFORE_PIVOT, -1) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "report the mounts done");
	if (read(c->sync_fd, &type, sizeof(type)) != sizeof(type) ||
	    type != SYNC_GO)
		_exit(1);
}

static void
pivot(struct child_ctx *c)
{
	if (chdir(c->spec->root_path) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "chdir %s",
		    c->spec->root_path);
	/* pivot_root(".", "."): the old root ends up mounted on top of the
	 * new one, and is detached right away. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "pivot_root to %s",
		    c->spec->root_path);
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "make the old root a "
		    "slave");
	if (umount2(".", MNT_DETACH) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "detach the old root");
	if (chdir("/") < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "chdir /");
}

/*
 * The old root is made a slave before it is detached, and with it, as
 * "." resolves, the tree now at "/": a bind asked shared or slave
 * (rshared, -v ...:rshared) lost that.  Set again, now that nothing can
 * propagate to the host's tree any more.
 */
static void
shared_mounts(struct child_ctx *c)
{
	const struct rt_mount *m;
	size_t i;

	for (i = 0; i < c->spec->nmounts; i++) {
		m = &c->spec->mounts[i];
		if (!m->bind || (m->propagation & (MS_SHARED | MS_SLAVE)) == 0)
			continue;
		if (mount(NULL, m->destination, NULL, m->propagation, NULL) < 0)
			child_fail(c, RT_E_SETUP, errno, 1, "set propagation "
			    "of %s", m->destination);
	}
}

static void
mask_paths(struct child_ctx *c)
{
	char target[FD_PATH_MAX];
	struct stat st;
	char **p;
	int fd, rc;

	for (p = c->spec->masked_paths; p != NULL && *p != NULL; p++) {
		if ((fd = open(*p, O_PATH | O_CLOEXEC)) < 0) {
			if (errno == ENOENT)
				continue;
			child_fail(c, RT_E_SETUP, errno, 1, "mask %s", *p);
		}
		fd_path(fd, target);
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
			rc = mount("tmpfs", target, "tmpfs", MS_RDONLY, NULL);
		else
			rc = mount("/dev/null", target, NULL, MS_BIND, NULL);
		close(fd);
		if (rc < 0)
			child_fail(c, RT_E_SETUP, errno, 1, "mask %s", *p);
	}
}

static void
readonly_paths(struct child_ctx *c)
{
	char target[FD_PATH_MAX];
	char **p;
	int fd;

	for (p = c->spec->readonly_paths; p != NULL && *p != NULL; p++) {
		if ((fd = open(*p, O_PATH | O_CLOEXEC)) < 0) {
			if (errno == ENOENT)
				continue;
			child_fail(c, RT_E_SETUP, errno, 1, "read-only %s",
			    *p);
		}
		fd_path(fd, target);
		if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
			child_fail(c, RT_E_SETUP, errno, 1, "bind %s", *p);
		close(fd);
		if ((fd = open(*p, O_PATH | O_CLOEXEC)) < 0)
			child_fail(c, RT_E_SETUP, errno, 1, "reopen %s", *p);
		fd_path(fd, target);
		if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND |
		    MS_RDONLY | kept_flags(fd), NULL) < 0)
			child_fail(c, RT_E_SETUP, errno, 1, "make %s "
			    "read-only", *p);
		close(fd);
	}
}

/*
 * With / shared (a bind asked rshared), the mounts made for the
 * container under root would propagate to the host's peers: the mount
 * holding root is made private first (in this namespace only), as
 * runc's, and pivot_root needs that too.
 */
static void
parent_mount_private(struct child_ctx *c, const char *root)
{
	char path[PATH_MAX], *slash;
	struct statx stx;

	snprintf(path, sizeof(path), "%s", root);
	for (;;) {
		if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW |
		    AT_NO_AUTOMOUNT, 0, &stx) == 0 &&
		    (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
			break;
		if ((slash = strrchr(path, '/')) == NULL || slash == path) {
			snprintf(path, sizeof(path), "/");
			break;
		}
		*slash = '\0';
	}
	if (mount(NULL, path, NULL, MS_PRIVATE, NULL) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "make %s private", path);
}

static void
mount_root(struct child_ctx *c)
{
	const struct rt_spec *spec = c->spec;
	unsigned long prop = spec->rootfs_propagation != 0 ?
	    spec->rootfs_propagation : MS_SLAVE | MS_REC;
	char *data = NULL;
	size_t i, len;
	FILE *f;

	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "set the propagation of /");
	if (prop & MS_SHARED)
		parent_mount_private(c, spec->root_path);
	if (spec->overlay_lower == NULL || spec->overlay_lower[0] == NULL) {
		if (mount(spec->root_path, spec->root_path, NULL,
		    MS_BIND | MS_REC, NULL) < 0)
			child_fail(c, RT_E_SETUP, errno, 1, "bind the root %s",
			    spec->root_path);
		return;
	}
	if ((f = open_memstream(&data, &len)) == NULL)
		child_fail(c, RT_E_SETUP, errno, 1, "overlay options");
	fprintf(f, "lowerdir=");
	for (i = 0; spec->overlay_lower[i] != NULL; i++)
		fprintf(f, "%s%s", i > 0 ? ":" : "", spec->overlay_lower[i]);
	if (spec->overlay_upper != NULL)
		fprintf(f, ",upperdir=%s,workdir=%s", spec->overlay_upper,
		    spec->overlay_work);
	/* Whole files in the upper dir, whatever the kernel's defaults: the
	 * container's changes are listed and exported from it. */
	fprintf(f, ",metacopy=off,redirect_dir=off");
	fclose(f);
	if (mount("overlay", spec->root_path, "overlay", 0, data) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "mount the overlay root "
		    "on %s", spec->root_path);
	free(data);
}

/* Write the spec's sysctls through the container's own /proc/sys. */
static void
set_sysctls(struct child_ctx *c)
{
	char path[PATH_MAX], *p;
	const char *eq;
	char **s;
	size_t len;
	int fd;

	for (s = c->spec->sysctls; s != NULL && *s != NULL; s++) {
		if ((eq = strchr(*s, '=')) == NULL)
			continue;
		snprintf(path, sizeof(path), "/proc/sys/%.*s", (int)(eq - *s),
		    *s);
		for (p = path + 10; *p != '\0'; p++)
			if (*p == '.')
				*p = '/';
		len = strlen(eq + 1);
		if ((fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
		    write(fd, eq + 1, len) != (ssize_t)len)
			child_fail(c, RT_E_SETUP, errno, 1, "set sysctl %s",
			    *s);
		close(fd);
	}
}

void
rootfs_setup(struct child_ctx *c)
{
	const struct rt_spec *spec = c->spec;
	int rootfd;
	size_t i;

	mount_root(c);
	rootfd = open(spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "open the root %s",
		    spec->root_path);
	for (i = 0; i < spec->nmounts; i++)
		mount_one(c, rootfd, &spec->mounts[i]);
	if (has_dev_tmpfs(spec))
		setup_dev(c, rootfd);
	if (c->process->terminal)
		console_setup(c, true);
	close(rootfd);
	wait_before_pivot(c);
	pivot(c);
	shared_mounts(c);
	set_sysctls(c);
	if (!spec->privileged) {
		mask_paths(c);
		readonly_paths(c);
	}
	if (spec->root_readonly && mount(NULL, "/", NULL, MS_REMOUNT |
	    MS_BIND | MS_RDONLY, NULL) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "make the root read-only");
}
