/*
 * spec: a default config.json in the bundle, as `runc spec` writes one,
 * with berth's defaults where they are stricter: Docker's 14
 * capabilities, Docker's masked and read-only paths, and a cgroup
 * namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "oci.h"
#include "spec.h"

static int cmd_spec_exec(struct oci_ctx *, const struct args *);

static const struct args_flag cmd_spec_flags[] = {
	{ "bundle", 'b', "DIR", "path to the root of the bundle directory" },
	{ "rootless", 0, NULL, "not supported: rootless configurations" },
	{ NULL, 0, NULL, NULL }
};

const struct oci_cmd cmd_spec_entry = {
	.name = "spec",
	.usage = "",
	.summary = "create a new specification file",
	.flags = cmd_spec_flags,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_spec_exec,
};

/* Everything but the lists taken from berth's defaults. */
static const char spec_template[] =
"{"
"  \"ociVersion\": \"" OCI_VERSION "\","
"  \"process\": {"
"    \"terminal\": true,"
"    \"user\": { \"uid\": 0, \"gid\": 0 },"
"    \"args\": [ \"sh\" ],"
"    \"env\": ["
"      \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
"      \"TERM=xterm\""
"    ],"
"    \"cwd\": \"/\","
"    \"rlimits\": ["
"      { \"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024 }"
"    ],"
"    \"noNewPrivileges\": true"
"  },"
"  \"root\": { \"path\": \"rootfs\", \"readonly\": true },"
"  \"hostname\": \"berth\","
"  \"mounts\": ["
"    { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" },"
"    { \"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
"      \"options\": [ \"nosuid\", \"strictatime\", \"mode=755\","
"        \"size=65536k\" ] },"
"    { \"destination\": \"/dev/pts\", \"type\": \"devpts\","
"      \"source\": \"devpts\", \"options\": [ \"nosuid\", \"noexec\","
"        \"newinstance\", \"ptmxmode=0666\", \"mode=0620\", \"gid=5\" ] },"
"    { \"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
"      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"mode=1777\","
"        \"size=65536k\" ] },"
"    { \"destination\": \"/dev/mqueue\", \"type\": \"mqueue\","
"      \"source\": \"mqueue\", \"options\": [ \"nosuid\", \"noexec\","
"        \"nodev\" ] },"
"    { \"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
"      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"ro\" ] },"
"    { \"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\","
"      \"source\": \"cgroup\", \"options\": [ \"nosuid\", \"noexec\","
"        \"nodev\", \"relatime\", \"ro\" ] }"
"  ],"
"  \"linux\": {"
"    \"resources\": {"
"      \"devices\": [ { \"allow\": false, \"access\": \"rwm\" } ]"
"    },"
"    \"namespaces\": ["
"      { \"type\": \"pid\" }, { \"type\": \"network\" }, { \"type\": \"ipc\" },"
"      { \"type\": \"uts\" }, { \"type\": \"mount\" }, { \"type\": \"cgroup\" }"
"    ]"
"  }"
"}";

static json_t *
strv_json(char **v)
{
	json_t *a = json_array();

	for (; a != NULL && v != NULL && *v != NULL; v++)
		json_array_append_new(a, json_string(*v));
	return (a);
}

static json_t *
caps_json(uint64_t mask)
{
	json_t *a = json_array();
	int cap;

	for (cap = 0; a != NULL && cap < 64; cap++)
		if ((mask & (UINT64_C(1) << cap)) != 0 && caps_name(cap) != NULL)
			json_array_append_new(a, json_string(caps_name(cap)));
	return (a);
}

static json_t *
spec_build(struct berth_error *err)
{
	cleanup_json json_t *j = NULL;
	struct rt_spec def;
	json_error_t jerr;
	json_t *process, *lnx;
	uint64_t caps = caps_docker_default();
	int rc;

	if ((j = json_loads(spec_template, 0, &jerr)) == NULL) {
		berth_error_set(err, BERTH_E_INTERNAL, 0, "spec template: "
		    "%s", jerr.text);
		return (NULL);
	}
	process = json_object_get(j, "process");
	lnx = json_object_get(j, "linux");
	memset(&def, 0, sizeof(def));
	if (spec_init_default(&def, err) < 0) {
		spec_free(&def);
		return (NULL);
	}
	rc = json_object_set_new(process, "capabilities", json_pack(
	    "{s:o, s:o, s:o}", "bounding", caps_json(caps), "effective",
	    caps_json(caps), "permitted", caps_json(caps)));
	rc |= json_object_set_new(lnx, "maskedPaths",
	    strv_json(def.masked_paths));
	rc |= json_object_set_new(lnx, "readonlyPaths",
	    strv_json(def.readonly_paths));
	spec_free(&def);
	if (rc != 0) {
		berth_error_set(err, BERTH_E_INTERNAL, 0, "build the spec");
		return (NULL);
	}
	return (steal_pointer(&j));
}

static int
cmd_spec_exec(struct oci_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_json json_t *j = NULL;
	cleanup_free char *path = NULL, *text = NULL;
	const char *bundle = args_get(args, "bundle");
	cleanup_close int fd = -1;
	size_t len;

	if (args_has(args, "rootless"))
		return (oci_failf(ctx, "--rootless is not supported: "
		    "berth-runtime runs containers as root"));
	if (asprintf(&path, "%s/config.json", bundle != NULL ? bundle :
	    ".") < 0) {
		path = NULL;
		return (oci_failf(ctx, "out of memory"));
	}
	if ((j = spec_build(&err)) == NULL)
		return (oci_fail(ctx, &err));
	if ((text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) ==
	    NULL)
		return (oci_failf(ctx, "encode the spec"));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0666)) < 0) {
		if (errno == EEXIST)
			return (oci_failf(ctx, "File %s exists. Remove it "
			    "first", path));
		berth_error_sys(&err, "create %s", path);
		return (oci_fail(ctx, &err));
	}
	len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		berth_error_sys(&err, "write %s", path);
		return (oci_fail(ctx, &err));
	}
	return (OCI_EXIT_OK);
}
