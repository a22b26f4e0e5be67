/*
 * berth-runtime's config.json parser: runc's default spec lands in
 * struct rt_spec field by field; resources, seccomp, namespaces, devices
 * and cgroupsPath are read as OCI says; every unsupported field is refused
 * by name; bad JSON says where.
 */
#include "../../runtime/oci/config.c"
#include "../../runtime/oci/config-linux.c"
#include "../../runtime/oci/config-process.c"
#include "../../runtime/oci/config-resources.c"
#include "../../runtime/oci/config-seccomp.c"
#include "../../runtime/oci/hooks.c"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "unit.h"

static char bundle[64];

/* runc's `runc spec` output, as runc 1.1 writes it: the fixture when
 * /usr/sbin/runc is not installed. */
static const char runc_default[] =
"{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"terminal\":true,\"user\":"
"{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"env\":[\"PATH=/usr/local/sbin:"
"/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"TERM=xterm\"],\"cwd\":"
"\"/\",\"capabilities\":{\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\","
"\"CAP_NET_BIND_SERVICE\"],\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\","
"\"CAP_NET_BIND_SERVICE\"],\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\","
"\"CAP_NET_BIND_SERVICE\"],\"ambient\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\","
"\"CAP_NET_BIND_SERVICE\"]},\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\","
"\"hard\":1024,\"soft\":1024}],\"noNewPrivileges\":true},\"root\":{\"path\":"
"\"rootfs\",\"readonly\":true},\"hostname\":\"runc\",\"mounts\":[{"
"\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},{"
"\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":"
"[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},{\"destination\":"
"\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":["
"\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\","
"\"gid=5\"]},{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":"
"\"shm\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\","
"\"size=65536k\"]},{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\","
"\"source\":\"mqueue\",\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},{"
"\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":"
"[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},{\"destination\":\"/sys/fs/cgroup\","
"\"type\":\"cgroup\",\"source\":\"cgroup\",\"options\":[\"nosuid\",\"noexec\","
"\"nodev\",\"relatime\",\"ro\"]}],\"linux\":{\"resources\":{\"devices\":[{"
"\"allow\":false,\"access\":\"rwm\"}]},\"namespaces\":[{\"type\":\"pid\"},{"
"\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":"
"\"mount\"}],\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\","
"\"/proc/keys\",\"/proc/latency_stats\",\"/proc/timer_list\","
"\"/proc/timer_stats\",\"/proc/sched_debug\",\"/sys/firmware\","
"\"/proc/scsi\"],\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\","
"\"/proc/sys\",\"/proc/sysrq-trigger\"]}}";

/* A minimal valid config with extra top-level members spliced in. */
#define MINIMAL(extra)							\
	"{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"rootfs\"},"	\
	"\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}" extra "}"

static void
setup_bundle(void)
{
	char path[128];

	snprintf(bundle, sizeof(bundle), "/tmp/test-oci-config.XXXXXX");
	if (mkdtemp(bundle) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/rootfs", bundle);
	if (mkdir(path, 0755) < 0)
		abort();
}

static void
teardown_bundle(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	unlink(path);
	snprintf(path, sizeof(path), "%s/rootfs", bundle);
	rmdir(path);
	rmdir(bundle);
}

/* runc's spec as runc writes it today, or the fixture. */
static char *
runc_spec_text(size_t *len)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char path[128], *text = NULL;
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	unlink(path);
	if (access("/usr/sbin/runc", X_OK) == 0) {
		if ((pid = fork()) == 0) {
			if (chdir(bundle) == 0)
				execl("/usr/sbin/runc", "runc", "spec",
				    (char *)NULL);
			_exit(127);
		}
		if (pid > 0 && waitpid(pid, &status, 0) == pid &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		    oci_read_file(path, CFG_FILE_MAX, &text, len, &err) == 0)
			return (text);
	}
	berth_error_clear(&err);
	*len = strlen(runc_default);
	return (strdup(runc_default));
}

static int
parse(const char *text, struct oci_config *cfg, struct berth_error *err)
{
	return (oci_config_parse(text, strlen(text), bundle, "c1", cfg, err));
}

/* text must be refused with a message containing want. */
static void
check_refused(const char *text, const char *want)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct oci_config cfg;

	CHECK(parse(text, &cfg, &err) < 0);
	if (strstr(berth_error_message(&err), want) == NULL) {
		fprintf(stderr, "# wanted \"%s\" in \"%s\"\n", want,
		    berth_error_message(&err));
		unit_failed_checks++;
	}
	berth_error_clear(&err);
}

/* Properties outside the OCI spec parse, and are named for a warning. */
static void
check_ignored(const char *text, const char *want)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct oci_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	if (parse(text, &cfg, &err) < 0) {
		fprintf(stderr, "# %s: %s\n", want, berth_error_message(&err));
		unit_failed_checks++;
	} else {
		CHECK(strstr(cfg.ignored, want) != NULL);
		oci_config_free(&cfg);
	}
	berth_error_clear(&err);
}

static bool
has_str(char **v, const char *s)
{
	for (; v != NULL && *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return (true);
	return (false);
}

static size_t
strv_len(char **v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return (n);
}

static void
test_runc_default_spec_lands_in_rt_spec(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct oci_config cfg;
	struct rt_spec *s = &cfg.spec;
	uint64_t three;
	size_t len, i;
	char *text, root[160];

	text = runc_spec_text(&len);
	CHECK(text != NULL);
	if (text == NULL)
		return;
	CHECK(oci_config_parse(text, len, bundle, "c1", &cfg, &err) == 0);
	free(text);
	if (berth_error_isset(&err)) {
		fprintf(stderr, "# %s\n", berth_error_message(&err));
		berth_error_clear(&err);
		unit_failed_checks++;
		return;
	}
	CHECK_STR(s->id, "c1");
	snprintf(root, sizeof(root), "%s/rootfs", bundle);
	CHECK_STR(s->root_path, root);
	CHECK(s->root_readonly);
	CHECK_STR(s->hostname, "runc");
	CHECK(s->process.terminal);
	CHECK_STR(s->process.args[0], "sh");
	CHECK(s->process.args[1] == NULL);
	CHECK_STR(s->process.cwd, "/");
	CHECK(has_str(s->process.env, "TERM=xterm"));
	CHECK(s->process.uid == 0 && s->process.gid == 0);
	CHECK(s->process.no_new_privileges);
	three = (UINT64_C(1) << 29) | (UINT64_C(1) << 5) |
	    (UINT64_C(1) << 10);	/* AUDIT_WRITE, KILL, NET_BIND_SERVICE */
	CHECK(s->process.caps.bounding == three);
	/* Ambient without inheritable cannot be raised: dropped, to be
	 * warned about, as runc does. */
	CHECK(s->process.caps.ambient == 0);
	CHECK(cfg.ambient_dropped == three);
	CHECK(s->process.caps.inheritable == 0);
	CHECK(s->process.nrlimits == 1);
	CHECK(s->process.rlimits[0].resource == RLIMIT_NOFILE);
	CHECK(s->process.rlimits[0].soft == 1024);
	CHECK(s->nmounts == 7);
	CHECK_STR(s->mounts[2].destination, "/dev/pts");
	CHECK_STR(s->mounts[2].type, "devpts");
	CHECK((s->mounts[2].flags & (MS_NOSUID | MS_NOEXEC)) ==
	    (MS_NOSUID | MS_NOEXEC));
	CHECK(s->mounts[2].data != NULL &&
	    strstr(s->mounts[2].data, "ptmxmode=0666") != NULL);
	CHECK((s->mounts[5].flags & MS_RDONLY) != 0);
	CHECK(s->namespaces[RT_NS_PID].enabled);
	CHECK(s->namespaces[RT_NS_NET].enabled);
	CHECK(s->namespaces[RT_NS_IPC].enabled);
	CHECK(s->namespaces[RT_NS_UTS].enabled);
	CHECK(s->namespaces[RT_NS_MOUNT].enabled);
	CHECK(!s->namespaces[RT_NS_USER].enabled);
	CHECK(!s->namespaces[RT_NS_CGROUP].enabled);
	CHECK(s->namespaces[RT_NS_PID].path == NULL);
	CHECK(strv_len(s->masked_paths) == 10);
	CHECK(has_str(s->masked_paths, "/proc/kcore"));
	CHECK(strv_len(s->readonly_paths) == 5);
	CHECK(has_str(s->readonly_paths, "/proc/sysrq-trigger"));
	/* deny all, then runc's default devices */
	CHECK(s->resources.ndevice_rules > 1);
	CHECK(!s->resources.device_rules[0].allow);
	CHECK(s->resources.device_rules[0].type == 'a');
	CHECK(strcmp(s->resources.device_rules[0].access, "rwm") == 0);
	for (i = 1; i < s->resources.ndevice_rules; i++)
		CHECK(s->resources.device_rules[i].allow);
	CHECK(s->resources.memory_limit == -1);
	CHECK(s->resources.pids_limit == -1);
	CHECK(s->seccomp == NULL);
	CHECK_STR(s->cgroup_path, "berth-runtime/c1");
	CHECK(json_object_size(cfg.annotations) == 0);
	oci_config_free(&cfg);
}

static void
test_resources_are_read(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct oci_config cfg;
	struct rt_resources *r = &cfg.spec.resources;

	CHECK(parse(MINIMAL(",\"linux\":{\"resources\":{"
	    "\"memory\":{\"limit\":67108864,\"swap\":134217728},"
	    "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,"
	    "\"cpus\":\"0-1\",\"mems\":\"0\"},"
	    "\"pids\":{\"limit\":64},"
	    "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
	    "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,"
	    "\"access\":\"rw\"}]},"
	    "\"cgroupsPath\":\"/default/c1\"}"), &cfg, &err) == 0);
	if (berth_error_isset(&err)) {
		fprintf(stderr, "# %s\n", berth_error_message(&err));
		berth_error_clear(&err);
		return;
	}
	CHECK(r->memory_limit == 67108864);
	CHECK(r->memory_swap == 134217728);
	CHECK(r->cpu_shares == 512);
	CHECK(r->cpu_quota == 50000);
	CHECK(r->cpu_period == 100000);
	CHECK_STR(r->cpuset_cpus, "0-1");
	CHECK_STR(r->cpuset_mems, "0");
	CHECK(r->pids_limit == 64);
	CHECK(r->ndevice_rules >= 2);
	CHECK(r->device_rules[1].allow && r->device_rules[1].type == 'c');
	CHECK(r->device_rules[1].major == 1 && r->device_rules[1].minor == 3);
	CHECK(strcmp(r->device_rules[1].access, "rw") == 0);
	CHECK_STR(cfg.spec.cgroup_path, "default/c1");
	oci_config_free(&cfg);
}

static void
test_namespaces_mappings_devices_annotations(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct oci_config cfg;
	struct rt_spec *s = &cfg.spec;

	CHECK(parse(MINIMAL(",\"hostname\":\"h\",\"annotations\":{\"a\":\"b\"},"
	    "\"linux\":{\"namespaces\":[{\"type\":\"uts\"},{\"type\":\"user\"},"
	    "{\"type\":\"network\",\"path\":\"/proc/1/ns/net\"}],"
	    "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,"
	    "\"size\":65536}],\"gidMappings\":[{\"containerID\":0,"
	    "\"hostID\":100000,\"size\":65536}],"
	    "\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,"
	    "\"minor\":229,\"fileMode\":438,\"uid\":0,\"gid\":0}],"
	    "\"rootfsPropagation\":\"rslave\"}"), &cfg, &err) == 0);
	if (berth_error_isset(&err)) {
		fprintf(stderr, "# %s\n", berth_error_message(&err));
		berth_error_clear(&err);
		return;
	}
	CHECK(s->namespaces[RT_NS_USER].enabled);
	CHECK(s->namespaces[RT_NS_NET].enabled);
	CHECK_STR(s->namespaces[RT_NS_NET].path, "/proc/1/ns/net");
	CHECK(!s->namespaces[RT_NS_PID].enabled);
	CHECK(s->nuid_mappings == 1 && s->uid_mappings[0].host == 100000);
	CHECK(s->ngid_mappings == 1 && s->gid_mappings[0].size == 65536);
	CHECK(s->ndevices == 1);
	CHECK_STR(s->devices[0].path, "/dev/fuse");
	CHECK(s->devices[0].type == 'c' && s->devices[0].major == 10 &&
	    s->devices[0].minor == 229 && s->devices[0].mode == 0666);
	/* the device is allowed in the device cgroup */
	CHECK(s->resources.ndevice_rules > 0 &&
	    s->resources.device_rules[0].allow &&
	    s->resources.device_rules[0].major == 10 &&
	    s->resources.device_rules[0].minor == 229);
	CHECK(s->rootfs_propagation == (MS_SLAVE | MS_REC));
	CHECK_STR(json_string_value(json_object_get(cfg.annotations, "a")),
	    "b");
	oci_config_free(&cfg);
}

static void
test_seccomp_is_converted(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct oci_config cfg;
	cleanup_free char *text = NULL;
	cleanup_json json_t *oci = NULL, *back = NULL;

	CHECK(parse(MINIMAL(",\"linux\":{\"seccomp\":{"
	    "\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
	    "\"architectures\":[\"SCMP_ARCH_X86_64\"],"
	    "\"syscalls\":[{\"names\":[\"read\",\"write\"],"
	    "\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"personality\"],"
	    "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
	    "\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}}"), &cfg, &err) == 0);
	if (berth_error_isset(&err)) {
		fprintf(stderr, "# %s\n", berth_error_message(&err));
		berth_error_clear(&err);
	} else {
		CHECK(cfg.spec.seccomp != NULL);
		oci_config_free(&cfg);
	}
	/* The text handed to the profile parser keeps every field. */
	oci = json_loads("{\"defaultAction\":\"SCMP_ACT_ERRNO\","
	    "\"syscalls\":[{\"names\":[\"kill\"],\"action\":"
	    "\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}", 0, NULL);
	CHECK(oci_seccomp_to_profile_json(oci, "linux.seccomp", &text,
	    &err) == 0);
	back = text != NULL ? json_loads(text, 0, NULL) : NULL;
	CHECK(back != NULL && json_equal(back, oci));
	berth_error_clear(&err);
	check_refused(MINIMAL(",\"linux\":{\"seccomp\":{\"defaultAction\":"
	    "\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"]}}"),
	    "linux.seccomp.flags is not supported");
	check_refused(MINIMAL(",\"linux\":{\"seccomp\":{\"defaultAction\":"
	    "\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/x.sock\"}}"),
	    "linux.seccomp.listenerPath is not supported");
	check_refused(MINIMAL(",\"linux\":{\"seccomp\":{\"defaultAction\":"
	    "\"SCMP_ACT_NOTIFY\"}}"), "SCMP_ACT_NOTIFY");
	check_refused(MINIMAL(",\"linux\":{\"seccomp\":{\"defaultAction\":"
	    "\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"],\"action\":"
	    "\"SCMP_ACT_ALLOW\",\"includes\":{}}]}}"),
	    "linux.seccomp.syscalls[0].includes is not supported");
	check_refused(MINIMAL(",\"linux\":{\"seccomp\":{\"defaultAction\":"
	    "\"SCMP_ACT_BOGUS\"}}"), "SCMP_ACT_BOGUS");
}

static void
test_unsupported_fields_are_refused_by_name(void)
{
	check_refused(MINIMAL(",\"linux\":{\"intelRdt\":{\"closID\":\"x\"}}"),
	    "linux.intelRdt is not supported");
	check_refused(MINIMAL(",\"hooks\":{\"createContainer\":[{\"path\":"
	    "\"/bin/true\"}]}"), "hooks.createContainer is not supported "
	    "(hooks run in the container's namespaces");
	check_refused(MINIMAL(",\"hooks\":{\"startContainer\":[{\"path\":"
	    "\"/bin/true\"}]}"), "hooks.startContainer is not supported");
	check_refused(MINIMAL(",\"hooks\":{\"prestart\":[{\"path\":"
	    "\"true\"}]}"), "hooks.prestart[0].path: \"true\" is not an "
	    "absolute path");
	check_refused(MINIMAL(",\"hooks\":{\"poststop\":[{\"args\":[]}]}"),
	    "hooks.poststop[0].path is required");
	check_refused(MINIMAL(",\"hooks\":{\"poststart\":[{\"path\":"
	    "\"/x\",\"timeout\":0}]}"), "hooks.poststart[0].timeout: 0 is "
	    "not a number of seconds");
	/* Hooks stay strict: a hook kind or field ignored would be a hook
	 * that silently never runs as asked. */
	check_refused(MINIMAL(",\"hooks\":{\"prestart\":[{\"path\":"
	    "\"/x\",\"when\":1}]}"), "hooks.prestart[0].when is not "
	    "supported (unknown field)");
	check_refused(MINIMAL(",\"hooks\":{\"later\":[]}"),
	    "hooks.later is not supported (unknown field)");
	check_refused("{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":"
	    "\"rootfs\"},\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\","
	    "\"apparmorProfile\":\"docker-default\"}}",
	    "process.apparmorProfile is not supported (AppArmor)");
	check_refused("{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":"
	    "\"rootfs\"},\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\","
	    "\"selinuxLabel\":\"x\"}}", "process.selinuxLabel is not "
	    "supported (SELinux)");
	/* linux.sysctl is taken (the spawner checks each is namespaced). */
	check_refused(MINIMAL(",\"linux\":{\"resources\":{\"blockIO\":{"
	    "\"weight\":10}}}"), "linux.resources.blockIO is not supported");
	check_refused(MINIMAL(",\"linux\":{\"resources\":{\"memory\":{"
	    "\"swappiness\":10}}}"),
	    "linux.resources.memory.swappiness is not supported");
	check_refused(MINIMAL(",\"linux\":{\"namespaces\":[{\"type\":"
	    "\"time\"}]}"), "time namespace is not supported");
	check_refused(MINIMAL(",\"linux\":{\"cgroupsPath\":"
	    "\"system.slice:berth:c1\"}"), "systemd form");
	check_refused(MINIMAL(",\"mounts\":[{\"destination\":\"/x\",\"type\":"
	    "\"bind\",\"source\":\"/tmp\",\"options\":[\"rbind\"],"
	    "\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}]"),
	    "mounts[0].uidMappings is not supported");
	check_refused(MINIMAL(",\"solaris\":{\"milestone\":\"x\"}"),
	    "solaris is not supported");
	check_ignored(MINIMAL(",\"frobnicate\":1"), "frobnicate");
	check_ignored(MINIMAL(",\"linux\":{\"frob\":1}"), "linux.frob");
	/* Empty values ask for nothing and pass. */
	{
		struct berth_error err = BERTH_ERROR_INIT;
		struct oci_config cfg;

		CHECK(parse(MINIMAL(",\"hooks\":{\"prestart\":[]},\"linux\":{"
		    "\"sysctl\":{},\"intelRdt\":null,\"mountLabel\":\"\"}"),
		    &cfg, &err) == 0);
		if (!berth_error_isset(&err))
			oci_config_free(&cfg);
		berth_error_clear(&err);
	}
}

static void
test_invalid_configs_say_what_is_wrong(void)
{
	check_refused("{\"ociVersion\":\"1.1.0\",\n\"root\": {\"path\": "
	    "\"rootfs\",}\n}", "line 2 column");
	check_refused("{\"ociVersion\":\"2.0.0\",\"root\":{\"path\":"
	    "\"rootfs\"},\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}}",
	    "ociVersion \"2.0.0\" is not supported");
	check_refused("{\"root\":{\"path\":\"rootfs\"},\"process\":{\"args\":"
	    "[\"sh\"],\"cwd\":\"/\"}}", "ociVersion is required");
	check_refused("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":"
	    "\"nope\"},\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}}",
	    "root.path");
	check_refused("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":"
	    "\"rootfs\"},\"process\":{\"args\":\"sh\",\"cwd\":\"/\"}}",
	    "process.args: expected an array");
	check_refused("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":"
	    "\"rootfs\"},\"process\":{\"args\":[\"sh\"],\"cwd\":\"rel\"}}",
	    "process.cwd: \"rel\" is not an absolute path");
	check_refused(MINIMAL(",\"hostname\":\"h\""),
	    "hostname needs a uts namespace");
	check_refused("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":"
	    "\"rootfs\"},\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\","
	    "\"capabilities\":{\"bounding\":[\"CAP_FLY\"]}}}",
	    "process.capabilities.bounding[0]: unknown capability");
	check_refused("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":"
	    "\"rootfs\"},\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\","
	    "\"rlimits\":[{\"type\":\"RLIMIT_FOO\",\"soft\":1,\"hard\":1}]}}",
	    "process.rlimits[0].type: unknown resource limit");
	check_refused(MINIMAL(",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},"
	    "{\"type\":\"pid\"}]}"), "duplicate pid namespace");
	check_refused(MINIMAL(",\"mounts\":[{\"destination\":\"rel\","
	    "\"type\":\"tmpfs\"}]"), "mounts[0].destination");
	check_refused(MINIMAL(",\"linux\":{\"cgroupsPath\":\"/a/../b\"}"),
	    "\"..\" is not allowed");
}

static void
test_exec_process_file(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_process p;
	unsigned short h = 0, w = 0;
	json_t *j;

	j = json_loads("{\"terminal\":true,\"consoleSize\":{\"height\":40,"
	    "\"width\":120},\"user\":{\"uid\":1000,\"gid\":1000,"
	    "\"additionalGids\":[10,20],\"umask\":18},\"args\":[\"ls\",\"-l\"],"
	    "\"env\":[\"A=1\"],\"cwd\":\"/tmp\",\"oomScoreAdj\":100}", 0,
	    NULL);
	memset(&p, 0, sizeof(p));
	CHECK(oci_process_parse(j, "process", &p, &h, &w, &err) == 0);
	CHECK(p.terminal && h == 40 && w == 120);
	CHECK(p.uid == 1000 && p.gid == 1000 && p.nadditional_gids == 2);
	CHECK(p.has_umask && p.umask == 022);
	CHECK_STR(p.args[1], "-l");
	CHECK_STR(p.cwd, "/tmp");
	CHECK(p.has_oom_score_adj && p.oom_score_adj == 100);
	oci_process_free(&p);
	json_decref(j);
	berth_error_clear(&err);

	j = json_loads("{\"args\":[\"ls\"]}", 0, NULL);
	CHECK(oci_process_parse(j, "process", &p, NULL, NULL, &err) < 0);
	CHECK(strstr(berth_error_message(&err), "process.cwd is required") !=
	    NULL);
	oci_process_free(&p);
	json_decref(j);
	berth_error_clear(&err);
}

/* Docker's config.json: a prestart hook (libnetwork-setkey) and fields
 * it sends with zero values, which ask for nothing. */
static void
test_hooks_and_docker_zero_values(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct oci_config cfg;
	const struct oci_hook *h;

	CHECK(parse(MINIMAL(",\"hooks\":{\"prestart\":[{\"path\":"
	    "\"/proc/1/exe\",\"args\":[\"libnetwork-setkey\",\"-exec-root="
	    "/run/docker\",\"abc\",\"def\"]}],\"poststop\":[{\"path\":"
	    "\"/bin/true\",\"env\":[\"A=1\"],\"timeout\":5}],"
	    "\"createContainer\":[]},\"linux\":{\"resources\":{\"memory\":{"
	    "\"disableOOMKiller\":false},\"cpu\":{\"shares\":0},"
	    "\"blockIO\":{\"weight\":0}}}"), &cfg, &err) == 0);
	if (berth_error_isset(&err)) {
		fprintf(stderr, "# %s\n", berth_error_message(&err));
		berth_error_clear(&err);
		return;
	}
	CHECK(cfg.hooks.n[OCI_HOOK_PRESTART] == 1);
	CHECK(cfg.hooks.n[OCI_HOOK_POSTSTOP] == 1);
	CHECK(cfg.hooks.n[OCI_HOOK_CREATE_CONTAINER] == 0);
	h = &cfg.hooks.list[OCI_HOOK_PRESTART][0];
	CHECK(strcmp(h->path, "/proc/1/exe") == 0);
	CHECK(strv_len(h->args) == 4 && strcmp(h->args[0],
	    "libnetwork-setkey") == 0);
	CHECK(h->env == NULL && h->timeout == 0);
	h = &cfg.hooks.list[OCI_HOOK_POSTSTOP][0];
	CHECK(h->args == NULL && strv_len(h->env) == 1 && h->timeout == 5);
	oci_config_free(&cfg);
}

int
main(void)
{
	setup_bundle();
	RUN(test_runc_default_spec_lands_in_rt_spec);
	RUN(test_resources_are_read);
	RUN(test_namespaces_mappings_devices_annotations);
	RUN(test_seccomp_is_converted);
	RUN(test_unsupported_fields_are_refused_by_name);
	RUN(test_hooks_and_docker_zero_values);
	RUN(test_invalid_configs_say_what_is_wrong);
	RUN(test_exec_process_file);
	teardown_bundle();
	UNIT_EXIT();
}
