/*
 * The container description: Docker's defaults, mount option parsing,
 * and freeing.
 */
#include <sys/mount.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "seccomp.h"
#include "spec.h"
#include "strv.h"

/* Docker's masked paths: read as empty inside the container. */
static const char *const docker_masked[] = {
	"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore",
	"/proc/keys", "/proc/latency_stats", "/proc/timer_list",
	"/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/devices/virtual/powercap", NULL,
};

/* Docker's read-only paths. */
static const char *const docker_readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	"/proc/sysrq-trigger", NULL,
};

static const struct {
	const char	*destination;
	const char	*type;
	const char	*source;
	const char	*options;
} docker_mounts[] = {
	{ "/proc", "proc", "proc", "nosuid,noexec,nodev" },
	{ "/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k" },
	{ "/dev/pts", "devpts", "devpts",
	    "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5" },
	{ "/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro" },
	{ "/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev" },
	{ "/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k" },
};

void
rt_resources_init(struct rt_resources *r)
{
	memset(r, 0, sizeof(*r));
	r->memory_limit = -1;
	r->memory_swap = -1;
	r->cpu_quota = -1;
	r->pids_limit = -1;
}

static const struct {
	const char	*name;
	bool		 clear;		/* "rw" clears what "ro" sets */
	unsigned long	 flag;
} mount_flags[] = {
	{ "defaults", false, 0 },
	{ "ro", false, MS_RDONLY }, { "rw", true, MS_RDONLY },
	{ "nosuid", false, MS_NOSUID }, { "suid", true, MS_NOSUID },
	{ "nodev", false, MS_NODEV }, { "dev", true, MS_NODEV },
	{ "noexec", false, MS_NOEXEC }, { "exec", true, MS_NOEXEC },
	{ "sync", false, MS_SYNCHRONOUS }, { "async", true, MS_SYNCHRONOUS },
	{ "dirsync", false, MS_DIRSYNC },
	{ "remount", false, MS_REMOUNT },
	{ "mand", false, MS_MANDLOCK }, { "nomand", true, MS_MANDLOCK },
	{ "noatime", false, MS_NOATIME }, { "atime", true, MS_NOATIME },
	{ "nodiratime", false, MS_NODIRATIME },
	{ "diratime", true, MS_NODIRATIME },
	{ "relatime", false, MS_RELATIME }, { "norelatime", true, MS_RELATIME },
	{ "strictatime", false, MS_STRICTATIME },
	{ "nostrictatime", true, MS_STRICTATIME },
};

static const struct {
	const char	*name;
	unsigned long	 flag;
} propagation_flags[] = {
	{ "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
	{ "shared", MS_SHARED }, { "rshared", MS_SHARED | MS_REC },
	{ "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
	{ "unbindable", MS_UNBINDABLE },
	{ "runbindable", MS_UNBINDABLE | MS_REC },
};

/* Append ",opt" (or "opt") to *data. */
static int
append_data(char **data, const char *opt)
{
	char *n;

	if (asprintf(&n, "%s%s%s", *data != NULL ? *data : "",
	    *data != NULL ? "," : "", opt) < 0)
		return (-1);
	free(*data);
	*data = n;
	return (0);
}

static bool
parse_one_flag(struct rt_mount *m, const char *opt)
{
	size_t i;

	for (i = 0; i < sizeof(mount_flags) / sizeof(mount_flags[0]); i++)
		if (strcmp(opt, mount_flags[i].name) == 0) {
			if (mount_flags[i].clear)
				m->flags &= ~mount_flags[i].flag;
			else
				m->flags |= mount_flags[i].flag;
			return (true);
		}
	for (i = 0; i < sizeof(propagation_flags) /
	    sizeof(propagation_flags[0]); i++)
		if (strcmp(opt, propagation_flags[i].name) == 0) {
			m->propagation = propagation_flags[i].flag;
			return (true);
		}
	if (strcmp(opt, "bind") == 0 || strcmp(opt, "rbind") == 0) {
		m->bind = true;
		m->flags |= MS_BIND | (opt[0] == 'r' ? MS_REC : 0);
		return (true);
	}
	return (false);
}

int
mount_options_parse(struct rt_mount *m, const char *const *options, size_t n,
    struct berth_error *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (options[i] == NULL || options[i][0] == '\0')
			continue;
		if (parse_one_flag(m, options[i]))
			continue;
		/* Anything else is the filesystem's own ("size=64m",
		 * "newinstance", "lowerdir=..."). */
		if (append_data(&m->data, options[i]) < 0)
			return (berth_error_sys(err, "mount options"));
	}
	if (m->type != NULL && strcmp(m->type, "bind") == 0 && !m->bind) {
		m->bind = true;
		m->flags |= MS_BIND;
	}
	return (0);
}

/* Duplicate a NULL-terminated list of constant strings. */
static char **
strv_dup(const char *const *v)
{
	size_t n = 0, i;
	char **out;

	while (v[n] != NULL)
		n++;
	if ((out = calloc(n + 1, sizeof(*out))) == NULL)
		return (NULL);
	for (i = 0; i < n; i++)
		if ((out[i] = strdup(v[i])) == NULL) {
			while (i > 0)
				free(out[--i]);
			free(out);
			return (NULL);
		}
	return (out);
}

static int
add_default_mounts(struct rt_spec *spec, struct berth_error *err)
{
	size_t i, n = sizeof(docker_mounts) / sizeof(docker_mounts[0]);
	cleanup_free char *opts = NULL;
	const char *list[16];
	char *save, *tok;
	size_t nopts;

	if ((spec->mounts = calloc(n, sizeof(*spec->mounts))) == NULL)
		return (berth_error_sys(err, "default mounts"));
	for (i = 0; i < n; i++) {
		struct rt_mount *m = &spec->mounts[spec->nmounts++];

		m->destination = strdup(docker_mounts[i].destination);
		m->type = strdup(docker_mounts[i].type);
		m->source = strdup(docker_mounts[i].source);
		free(opts);
		opts = strdup(docker_mounts[i].options);
		if (m->destination == NULL || m->type == NULL ||
		    m->source == NULL || opts == NULL)
			return (berth_error_sys(err, "default mounts"));
		nopts = 0;
		for (tok = strtok_r(opts, ",", &save); tok != NULL &&
		    nopts < 16; tok = strtok_r(NULL, ",", &save))
			list[nopts++] = tok;
		if (mount_options_parse(m, list, nopts, err) < 0)
			return (-1);
	}
	return (0);
}

int
spec_init_default(struct rt_spec *spec, struct berth_error *err)
{
	enum rt_ns ns;

	memset(spec, 0, sizeof(*spec));
	rt_resources_init(&spec->resources);
	for (ns = RT_NS_MOUNT; ns < RT_NS_COUNT; ns++)
		spec->namespaces[ns].enabled = true;
	spec->process.caps.bounding = caps_docker_default();
	spec->process.caps.effective = caps_docker_default();
	spec->process.caps.permitted = caps_docker_default();
	/* runc's default: host mounts still reach a bind asked rslave,
	 * nothing goes back. */
	spec->rootfs_propagation = MS_SLAVE | MS_REC;
	spec->masked_paths = strv_dup(docker_masked);
	spec->readonly_paths = strv_dup(docker_readonly);
	if (spec->masked_paths == NULL || spec->readonly_paths == NULL)
		return (berth_error_sys(err, "default spec"));
	if (add_default_mounts(spec, err) < 0)
		return (-1);
	return (seccomp_profile_default(&spec->seccomp, err));
}

static void
process_free(struct rt_process *p)
{
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->user);
	free(p->additional_gids);
	free(p->rlimits);
}

void
spec_free(struct rt_spec *spec)
{
	size_t i;
	int ns;

	free(spec->id);
	free(spec->root_path);
	strv_free(spec->overlay_lower);
	free(spec->overlay_upper);
	free(spec->overlay_work);
	free(spec->hostname);
	strv_free(spec->sysctls);
	process_free(&spec->process);
	for (i = 0; i < spec->nmounts; i++) {
		free(spec->mounts[i].destination);
		free(spec->mounts[i].type);
		free(spec->mounts[i].source);
		free(spec->mounts[i].data);
	}
	free(spec->mounts);
	for (i = 0; i < spec->ndevices; i++)
		free(spec->devices[i].path);
	free(spec->devices);
	strv_free(spec->masked_paths);
	strv_free(spec->readonly_paths);
	for (ns = 0; ns < RT_NS_COUNT; ns++)
		free(spec->namespaces[ns].path);
	free(spec->uid_mappings);
	free(spec->gid_mappings);
	free(spec->cgroup_path);
	free(spec->resources.cpuset_cpus);
	free(spec->resources.cpuset_mems);
	free(spec->resources.device_rules);
	if (spec->seccomp != NULL)
		seccomp_profile_free(spec->seccomp);
	memset(spec, 0, sizeof(*spec));
}
