/*
 * io.berth.Service handlers: who the daemon is and what it runs on
 * (GetInfo, for "berth info" and "berth version"), the interfaces'
 * descriptions, Ping, the daemon's own status.
 */
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <ctype.h>
#include <gnu/libc-version.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <seccomp.h>
#include <sqlite3.h>
#include <zstd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "daemon.h"
#include "db.h"
#include "json-pack.h"
#include "json-util.h"
#include "log.h"
#include "message.h"
#include "platform.h"
#include "service.h"
#include "store.h"

#define OS_RELEASE	"/etc/os-release"
/* OpenSSL 3 tells the bare version number ("3.0.11"). */
#ifdef OPENSSL_VERSION_STRING
#define SERVICE_OPENSSL_VERSION	OPENSSL_VERSION_STRING
#else
#define SERVICE_OPENSSL_VERSION	OPENSSL_VERSION
#endif

/* The libraries berthd links, with the version each reports at run time
 * (libcap, libmnl and libnftables report none). */
static json_t *
service_libraries(void)
{
	const struct scmp_version *sv = seccomp_version();
	int av = archive_version_number();
	char seccomp[32], archive[32];

	snprintf(seccomp, sizeof(seccomp), "%u.%u.%u", sv->major, sv->minor,
	    sv->micro);
	snprintf(archive, sizeof(archive), "%d.%d.%d", av / 1000000,
	    av / 1000 % 1000, av % 1000);
	return (json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "libevent", event_get_version(),
	    "msgpack", msgpack_version(),
	    "jansson", jansson_version_str(),
	    "sqlite", sqlite3_libversion(),
	    "libseccomp", seccomp,
	    "libarchive", archive,
	    "openssl", OpenSSL_version(SERVICE_OPENSSL_VERSION),
	    "zstd", ZSTD_versionString()));
}

static json_t *
service_build(void)
{
	return (json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}",
	    "commit", BERTH_GIT_COMMIT,
	    "built", BERTH_BUILT,
	    "compiler", BERTH_COMPILER,
	    "libc", gnu_get_libc_version(),
	    "platform", BERTH_OS "/" BERTH_ARCH,
	    "libraries", service_libraries()));
}

/* os-release's PRETTY_NAME, unquoted; "Linux" when there is none. */
static void
service_os_name(char *buf, size_t size)
{
	cleanup_fclose FILE *f = fopen(OS_RELEASE, "re");
	char line[512], *v;
	size_t n;

	snprintf(buf, size, "Linux");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "PRETTY_NAME=", 12) != 0)
			continue;
		v = line + 12;
		n = strcspn(v, "\n");
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v++;
			n -= 2;
		}
		if (n > 0)
			snprintf(buf, size, "%.*s", (int)n, v);
		return;
	}
}

static json_t *
service_host(void)
{
	struct utsname u;
	struct sysinfo si;
	char host[256] = "", os[256];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t mem = 0;

	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	if (sysinfo(&si) == 0)
		mem = (uint64_t)si.totalram * si.mem_unit;
	service_os_name(os, sizeof(os));
	return (json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
	    "name", host, "kernel", u.release, "os", os, "os_type", BERTH_OS,
	    "arch", u.machine, "cpus", (json_int_t)(cpus > 0 ? cpus : 0),
	    "memory", (json_int_t)mem));
}

/* Docker's counts: paused ones are not running, and created, exited and
 * dead ones are stopped. */
static json_t *
service_containers(struct daemon *d)
{
	struct container *c;
	json_int_t total = 0, running = 0, paused = 0;

	TAILQ_FOREACH(c, &d->containers, entry) {
		total++;
		if (c->state == CTR_RUNNING && c->paused)
			paused++;
		else if (c->state == CTR_RUNNING)
			running++;
	}
	return (json_pack("{s:I, s:I, s:I, s:I}", "total", total, "running",
	    running, "paused", paused, "stopped", total - running - paused));
}

static int
service_images(struct daemon *d, json_int_t *n, struct berth_error *err)
{
	struct db_image_info *list = NULL;
	size_t count = 0;

	if (db_image_list(store_db(d->store), &list, &count, err) < 0)
		return (-1);
	db_image_list_free(list, count);
	*n = (json_int_t)count;
	return (0);
}

static json_t *
service_cgroup(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	enum cgroup_mode mode;

	/* Hybrid hosts (v1 controllers, a v2 tree beside) count as v1: the
	 * controllers berth uses live there. */
	if (cgroup_detect(&mode, &err) < 0)
		mode = CGROUP_V1;
	return (json_pack("{s:s, s:i}", "driver", "cgroupfs", "version",
	    mode == CGROUP_V2 ? 2 : 1));
}

static json_t *
service_security_options(void)
{
	json_t *o = json_array();

	if (o == NULL)
		return (NULL);
	json_array_append_new(o, json_string("name=seccomp,profile=builtin"));
	if (geteuid() != 0)
		json_array_append_new(o, json_string("name=rootless"));
	return (o);
}

static json_t *
service_interfaces(struct daemon *d)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < d->registry.ninterfaces; i++)
		json_array_append_new(a,
		    json_string(d->registry.interfaces[i]->name));
	return (a);
}

int
service_get_info(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	cleanup_json json_t *info = NULL;
	json_int_t images = 0;

	(void)p;
	(void)call;
	if (service_images(d, &images, err) < 0)
		return (berth_error_wrap(err, "count images"));
	info = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:I, "
	    "s:{s:s, s:s, s:s}, s:o, s:s, s:o, "
	    "s:{s:[s], s:[sss], s:[s]}, s:b}",
	    "id", d->engine_id,
	    "vendor", "berth",
	    "product", "berthd",
	    "version", BERTH_VERSION,
	    "url", BERTH_URL,
	    "interfaces", service_interfaces(d),
	    "build", service_build(),
	    "host", service_host(),
	    "containers", service_containers(d),
	    "images", images,
	    "storage", "driver", "overlay", "root", d->cfg.root,
	    "run_root", d->cfg.run_root,
	    "cgroup", service_cgroup(),
	    "logging_driver", "local",
	    "security_options", service_security_options(),
	    "plugins", "volume", "local", "network", "bridge", "host", "none",
	    "log", "local",
	    "debug", log_get_level() >= LOG_LEVEL_DEBUG);
	if (info == NULL)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "build the info reply"));
	json_pack_msgpack(pk, info);
	return (0);
}

int
service_get_interface_description(struct daemon *d, struct peer *p,
    const struct call *call, msgpack_packer *pk, struct berth_error *err)
{
	const struct idl_interface *iface = NULL;
	char name[CALL_METHOD_MAX];
	const msgpack_object *v;

	(void)p;
	/* Checked against the description: a string is there. */
	v = msgpack_map_get(call->parameters, "interface");
	if (msgpack_str_copy(v, name, sizeof(name)))
		iface = idl_registry_interface(&d->registry, name);
	else
		snprintf(name, sizeof(name), "%.*s", (int)v->via.str.size,
		    v->via.str.ptr);
	if (iface == NULL) {
		berth_error_set(err, BERTH_E_NO_INTERFACE, 0,
		    "interface %s not found", name);
		return (berth_error_param_str(err, "interface", name));
	}
	msgpack_pack_map(pk, 1);
	pack_kv_str(pk, "description", iface->text);
	return (0);
}

int
service_ping(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *v;

	(void)d;
	(void)p;
	(void)err;
	v = msgpack_map_get(call->parameters, "payload");
	if (v == NULL || v->type != MSGPACK_OBJECT_STR) {
		msgpack_pack_map(pk, 0);
		return (0);
	}
	msgpack_pack_map(pk, 1);
	pack_str(pk, "payload");
	msgpack_pack_object(pk, *v);
	return (0);
}

int
service_get_status(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	(void)p;
	(void)call;
	(void)err;
	msgpack_pack_map(pk, 7);
	pack_str(pk, "pid");
	msgpack_pack_int64(pk, (int64_t)getpid());
	pack_kv_str(pk, "socket", d->nlisteners > 0 ? d->listeners[0].path :
	    "");
	pack_kv_str(pk, "root", d->cfg.root);
	pack_kv_str(pk, "run_root", d->cfg.run_root);
	pack_str(pk, "connections");
	msgpack_pack_uint64(pk, d->npeers);
	pack_str(pk, "uptime_seconds");
	msgpack_pack_int64(pk, (int64_t)(time(NULL) - d->started));
	pack_str(pk, "max_frame");
	msgpack_pack_uint64(pk, d->cfg.max_frame);
	return (0);
}
