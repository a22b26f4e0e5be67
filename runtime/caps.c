/*
 * Capabilities: their names, Docker's default set, and applying a struct
 * rt_caps to the calling process (bounding set, then effective, permitted,
 * inheritable and ambient) with libcap.
 */
#include <sys/capability.h>
#include <sys/prctl.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"

#define CAPS_NAME_MAX	64

#define CAP_ENTRY(c)	[c] = #c

/* The names the kernel headers know, indexed by number. */
static const char *const cap_names[] = {
	CAP_ENTRY(CAP_CHOWN),
	CAP_ENTRY(CAP_DAC_OVERRIDE),
	CAP_ENTRY(CAP_DAC_READ_SEARCH),
	CAP_ENTRY(CAP_FOWNER),
	CAP_ENTRY(CAP_FSETID),
	CAP_ENTRY(CAP_KILL),
	CAP_ENTRY(CAP_SETGID),
	CAP_ENTRY(CAP_SETUID),
	CAP_ENTRY(CAP_SETPCAP),
	CAP_ENTRY(CAP_LINUX_IMMUTABLE),
	CAP_ENTRY(CAP_NET_BIND_SERVICE),
	CAP_ENTRY(CAP_NET_BROADCAST),
	CAP_ENTRY(CAP_NET_ADMIN),
	CAP_ENTRY(CAP_NET_RAW),
	CAP_ENTRY(CAP_IPC_LOCK),
	CAP_ENTRY(CAP_IPC_OWNER),
	CAP_ENTRY(CAP_SYS_MODULE),
	CAP_ENTRY(CAP_SYS_RAWIO),
	CAP_ENTRY(CAP_SYS_CHROOT),
	CAP_ENTRY(CAP_SYS_PTRACE),
	CAP_ENTRY(CAP_SYS_PACCT),
	CAP_ENTRY(CAP_SYS_ADMIN),
	CAP_ENTRY(CAP_SYS_BOOT),
	CAP_ENTRY(CAP_SYS_NICE),
	CAP_ENTRY(CAP_SYS_RESOURCE),
	CAP_ENTRY(CAP_SYS_TIME),
	CAP_ENTRY(CAP_SYS_TTY_CONFIG),
	CAP_ENTRY(CAP_MKNOD),
	CAP_ENTRY(CAP_LEASE),
	CAP_ENTRY(CAP_AUDIT_WRITE),
	CAP_ENTRY(CAP_AUDIT_CONTROL),
	CAP_ENTRY(CAP_SETFCAP),
	CAP_ENTRY(CAP_MAC_OVERRIDE),
	CAP_ENTRY(CAP_MAC_ADMIN),
	CAP_ENTRY(CAP_SYSLOG),
	CAP_ENTRY(CAP_WAKE_ALARM),
	CAP_ENTRY(CAP_BLOCK_SUSPEND),
	CAP_ENTRY(CAP_AUDIT_READ),
#ifdef CAP_PERFMON
	CAP_ENTRY(CAP_PERFMON),
#endif
#ifdef CAP_BPF
	CAP_ENTRY(CAP_BPF),
#endif
#ifdef CAP_CHECKPOINT_RESTORE
	CAP_ENTRY(CAP_CHECKPOINT_RESTORE),
#endif
};
#define NCAP_NAMES	((int)(sizeof(cap_names) / sizeof(cap_names[0])))

/* Docker's defaults (moby oci/caps/defaults.go). */
static const int docker_default_caps[] = {
	CAP_CHOWN,
	CAP_DAC_OVERRIDE,
	CAP_FSETID,
	CAP_FOWNER,
	CAP_MKNOD,
	CAP_NET_RAW,
	CAP_SETGID,
	CAP_SETUID,
	CAP_SETFCAP,
	CAP_SETPCAP,
	CAP_NET_BIND_SERVICE,
	CAP_SYS_CHROOT,
	CAP_KILL,
	CAP_AUDIT_WRITE,
};

#define CAP_BIT(c)	(UINT64_C(1) << (c))

int
caps_from_name(const char *name)
{
	char buf[CAPS_NAME_MAX];
	cap_value_t v;

	if (name == NULL || *name == '\0' || isdigit((unsigned char)*name))
		return (-1);
	if (strncasecmp(name, "CAP_", 4) != 0) {
		if (snprintf(buf, sizeof(buf), "CAP_%s", name) >=
		    (int)sizeof(buf))
			return (-1);
		name = buf;
	}
	if (cap_from_name(name, &v) != 0 || v < 0 || v > 63)
		return (-1);
	return (v);
}

const char *
caps_name(int cap)
{
	if (cap < 0 || cap >= NCAP_NAMES || cap_names[cap] == NULL)
		return (NULL);
	return (cap_names[cap]);
}

int
caps_last_cap(void)
{
	cleanup_close int fd = -1;
	char buf[16];
	ssize_t n;
	long v;
	char *end;

	fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && (n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		v = strtol(buf, &end, 10);
		if (end != buf && v >= 0 && v <= 63)
			return ((int)v);
	}
	/* No /proc (early in a new mount namespace): ask libcap. */
	v = cap_max_bits();
	if (v < 1 || v > 64)
		return (CAP_LAST_CAP);
	return ((int)v - 1);
}

uint64_t
caps_all(void)
{
	int last = caps_last_cap();

	if (last >= 63)
		return (UINT64_MAX);
	return (CAP_BIT(last + 1) - 1);
}

uint64_t
caps_bounding_self(void)
{
	uint64_t mask = 0;
	int cap, last = caps_last_cap();

	for (cap = 0; cap <= last && cap < 64; cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			mask |= UINT64_C(1) << cap;
	return (mask);
}

uint64_t
caps_docker_default(void)
{
	uint64_t mask = 0;
	size_t i;

	for (i = 0; i < sizeof(docker_default_caps) /
	    sizeof(docker_default_caps[0]); i++)
		mask |= CAP_BIT(docker_default_caps[i]);
	return (mask);
}

static const char *
cap_label(int cap, char *buf, size_t len)
{
	const char *name = caps_name(cap);

	if (name != NULL)
		return (name);
	snprintf(buf, len, "capability %d", cap);
	return (buf);
}

/*
 * Drop from the bounding set every capability the kernel knows that is
 * not in c->bounding.  Needs CAP_SETPCAP, so it runs before the user
 * switch.
 */
int
caps_drop_bounding(const struct rt_caps *c, struct berth_error *err)
{
	char label[32];
	int cap, last = caps_last_cap();

	for (cap = 0; cap <= last; cap++) {
		if (c->bounding & CAP_BIT(cap))
			continue;
		/* Already gone (or unknown to the kernel): nothing to do. */
		if (cap_get_bound(cap) <= 0)
			continue;
		if (cap_drop_bound(cap) != 0) {
			return (berth_error_set(err, RT_E_SETUP, errno,
			    "drop %s from the bounding set",
			    cap_label(cap, label, sizeof(label))));
		}
	}
	return (0);
}

static void
cleanup_capp(cap_t *c)
{
	if (*c != NULL)
		cap_free(*c);
}
#define cleanup_cap	__attribute__((cleanup(cleanup_capp)))

/* Set flag in caps for every bit of mask. */
static int
caps_set_flag(cap_t caps, cap_flag_t flag, uint64_t mask, int last)
{
	cap_value_t v;
	int cap;

	for (cap = 0; cap <= last; cap++) {
		if ((mask & CAP_BIT(cap)) == 0)
			continue;
		v = cap;
		if (cap_set_flag(caps, flag, 1, &v, CAP_SET) != 0)
			return (-1);
	}
	return (0);
}

/*
 * Effective, permitted and inheritable in one capset, then the ambient
 * set cleared and raised cap by cap.  Capabilities the running kernel
 * does not know are left out, as runc does.  An ambient capability must be
 * permitted and inheritable: that is checked first, so that a bad set
 * changes nothing.
 */
int
caps_apply(const struct rt_caps *c, struct berth_error *err)
{
	cleanup_cap cap_t caps = NULL;
	char label[32];
	uint64_t known = caps_all(), ambient = c->ambient & known;
	uint64_t missing;
	int cap, last = caps_last_cap();

	missing = ambient & ~(c->permitted & c->inheritable);
	if (missing != 0) {
		for (cap = 0; (missing & CAP_BIT(cap)) == 0; cap++)
			;
		berth_error_set(err, RT_E_SPEC, 0,
		    "ambient %s: not in the %s set",
		    cap_label(cap, label, sizeof(label)),
		    (c->permitted & CAP_BIT(cap)) ? "inheritable" :
		    "permitted");
		return (berth_error_param_str(err, "capability",
		    cap_label(cap, label, sizeof(label))));
	}

	if ((caps = cap_init()) == NULL)
		return (berth_error_sys(err, "capabilities"));
	if (caps_set_flag(caps, CAP_EFFECTIVE, c->effective, last) != 0 ||
	    caps_set_flag(caps, CAP_PERMITTED, c->permitted, last) != 0 ||
	    caps_set_flag(caps, CAP_INHERITABLE, c->inheritable, last) != 0)
		return (berth_error_sys(err, "capabilities"));
	if (cap_set_proc(caps) != 0) {
		return (berth_error_set(err, RT_E_SETUP, errno,
		    "set capabilities (effective %#llx, permitted %#llx, "
		    "inheritable %#llx)",
		    (unsigned long long)(c->effective & known),
		    (unsigned long long)(c->permitted & known),
		    (unsigned long long)(c->inheritable & known)));
	}

	/* Kernels before 4.3 have no ambient set: fine if none is asked. */
	if (cap_reset_ambient() != 0) {
		if (ambient == 0 && errno == EINVAL)
			return (0);
		return (berth_error_set(err, RT_E_SETUP, errno,
		    "clear the ambient capabilities"));
	}
	for (cap = 0; cap <= last; cap++) {
		if ((ambient & CAP_BIT(cap)) == 0)
			continue;
		if (cap_set_ambient(cap, CAP_SET) != 0) {
			return (berth_error_set(err, RT_E_SETUP, errno,
			    "raise ambient %s",
			    cap_label(cap, label, sizeof(label))));
		}
	}
	return (0);
}
