/*
 * features: what berth-runtime and its spawner implement, as the OCI
 * runtime features document (runtime-spec features.md).  Every list here
 * is what config.c accepts; what it refuses is absent.
 */
#include "caps.h"
#include "cleanup.h"
#include "oci.h"

static int cmd_features_exec(struct oci_ctx *, const struct args *);

const struct oci_cmd cmd_features_entry = {
	.name = "features",
	.usage = "",
	.summary = "show the enabled features",
	.flags = (const struct args_flag[]){ { NULL, 0, NULL, NULL } },
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_features_exec,
};

static const char *const mount_options[] = {
	"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync",
	"exec", "mand", "noatime", "nodev", "nodiratime", "noexec", "nomand",
	"norelatime", "nostrictatime", "nosuid", "private", "rbind",
	"relatime", "remount", "ro", "rprivate", "rshared", "rslave",
	"runbindable", "rw", "shared", "slave", "strictatime", "suid", "sync",
	"unbindable", NULL
};
static const char *const namespaces[] = {
	"cgroup", "ipc", "mount", "network", "pid", "user", "uts", NULL
};
static const char *const seccomp_actions[] = {
	"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
	"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
	"SCMP_ACT_TRACE", "SCMP_ACT_TRAP", NULL
};
static const char *const seccomp_operators[] = {
	"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE",
	"SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL
};
static const char *const seccomp_archs[] = {
	"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS",
	"SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
	"SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PARISC",
	"SCMP_ARCH_PARISC64", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
	"SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390",
	"SCMP_ARCH_S390X", "SCMP_ARCH_X32", "SCMP_ARCH_X86",
	"SCMP_ARCH_X86_64", NULL
};

static json_t *
strings(const char *const *v)
{
	json_t *a = json_array();

	for (; a != NULL && *v != NULL; v++)
		json_array_append_new(a, json_string(*v));
	return (a);
}

/* The hook kinds hooks.c runs. */
static json_t *
hook_kinds(void)
{
	json_t *a = json_array();
	int k;

	for (k = 0; a != NULL && k < OCI_HOOK_KINDS; k++)
		if (oci_hook_kind_supported(k))
			json_array_append_new(a,
			    json_string(oci_hook_kind_name(k)));
	return (a);
}

static json_t *
capabilities(void)
{
	json_t *a = json_array();
	int cap;

	for (cap = 0; a != NULL && cap <= caps_last_cap(); cap++)
		if (caps_name(cap) != NULL)
			json_array_append_new(a, json_string(caps_name(cap)));
	return (a);
}

static int
cmd_features_exec(struct oci_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_json json_t *j = NULL;

	(void)args;
	j = json_pack("{s:s, s:s, s:o, s:o, s:{s:o, s:o, "
	    "s:{s:b, s:b, s:b, s:b}, s:{s:b, s:o, s:o, s:o}, s:{s:b}, "
	    "s:{s:b}}, s:{s:s}}",
	    "ociVersionMin", "1.0.0",
	    "ociVersionMax", OCI_VERSION,
	    "hooks", hook_kinds(),
	    "mountOptions", strings(mount_options),
	    "linux",
	    "namespaces", strings(namespaces),
	    "capabilities", capabilities(),
	    "cgroup", "v1", 1, "v2", 1, "systemd", 0, "systemdUser", 0,
	    "seccomp", "enabled", 1, "actions", strings(seccomp_actions),
	    "operators", strings(seccomp_operators),
	    "archs", strings(seccomp_archs),
	    "apparmor", "enabled", 0,
	    "selinux", "enabled", 0,
	    "annotations", "io.berth.runtime.version", BERTH_VERSION);
	if (j == NULL)
		return (oci_failf(ctx, "build the features document"));
	if (oci_print_json(stdout, j, 4, &err) < 0)
		return (oci_fail(ctx, &err));
	return (OCI_EXIT_OK);
}
