/*
 * Seccomp profiles: the model (copy, free), Docker's JSON format read with
 * jansson, the filter built with libseccomp for a given set of
 * capabilities, and loading it.  Docker's default profile itself is data
 * in seccomp-default.c.
 */
#include <sys/utsname.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "caps.h"
#include "cleanup.h"
#include "seccomp.h"
#include "spec.h"

#define SECCOMP_PATH_MAX	96	/* "syscalls[123].includes.caps[4]" */
#define SECCOMP_ERRNO_MAX	4095	/* the kernel's MAX_ERRNO */
#define SECCOMP_TRACE_MAX	65535
#define SECCOMP_ARG_INDEX_MAX	5

#define KVERSION(a, b, c)	(((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))

static const struct {
	const char	*name;
	uint32_t	 action;
	uint32_t	 ret_max;	/* 0: takes no errnoRet */
} action_names[] = {
	{ "SCMP_ACT_KILL",		SCMP_ACT_KILL,		0 },
	{ "SCMP_ACT_KILL_THREAD",	SCMP_ACT_KILL_THREAD,	0 },
	{ "SCMP_ACT_KILL_PROCESS",	SCMP_ACT_KILL_PROCESS,	0 },
	{ "SCMP_ACT_TRAP",		SCMP_ACT_TRAP,		0 },
	{ "SCMP_ACT_ERRNO",		SCMP_ACT_ERRNO(0),	SECCOMP_ERRNO_MAX },
	{ "SCMP_ACT_TRACE",		SCMP_ACT_TRACE(0),	SECCOMP_TRACE_MAX },
	{ "SCMP_ACT_ALLOW",		SCMP_ACT_ALLOW,		0 },
	{ "SCMP_ACT_LOG",		SCMP_ACT_LOG,		0 },
};

static const struct {
	const char		*name;
	enum scmp_compare	 op;
} op_names[] = {
	{ "SCMP_CMP_NE",	SCMP_CMP_NE },
	{ "SCMP_CMP_LT",	SCMP_CMP_LT },
	{ "SCMP_CMP_LE",	SCMP_CMP_LE },
	{ "SCMP_CMP_EQ",	SCMP_CMP_EQ },
	{ "SCMP_CMP_GE",	SCMP_CMP_GE },
	{ "SCMP_CMP_GT",	SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ",	SCMP_CMP_MASKED_EQ },
};

/* libseccomp's names for "architectures", Docker's (Go's) for the arches
 * of includes and excludes. */
static const struct {
	const char	*name;
	const char	*docker;
	const char	*alias;
	uint32_t	 arch;
} arch_names[] = {
	{ "SCMP_ARCH_X86",		"x86",		"386",	SCMP_ARCH_X86 },
	{ "SCMP_ARCH_X86_64",		"amd64",	"x86_64",
	    SCMP_ARCH_X86_64 },
	{ "SCMP_ARCH_X32",		"x32",		NULL,	SCMP_ARCH_X32 },
	{ "SCMP_ARCH_ARM",		"arm",		NULL,	SCMP_ARCH_ARM },
	{ "SCMP_ARCH_AARCH64",		"arm64",	"aarch64",
	    SCMP_ARCH_AARCH64 },
	{ "SCMP_ARCH_MIPS",		"mips",		NULL,	SCMP_ARCH_MIPS },
	{ "SCMP_ARCH_MIPS64",		"mips64",	NULL,	SCMP_ARCH_MIPS64 },
	{ "SCMP_ARCH_MIPS64N32",	"mips64n32",	NULL,
	    SCMP_ARCH_MIPS64N32 },
	{ "SCMP_ARCH_MIPSEL",		"mipsle",	"mipsel",
	    SCMP_ARCH_MIPSEL },
	{ "SCMP_ARCH_MIPSEL64",		"mipsel64",	NULL,
	    SCMP_ARCH_MIPSEL64 },
	{ "SCMP_ARCH_MIPSEL64N32",	"mips3l64n32",	"mipsel64n32",
	    SCMP_ARCH_MIPSEL64N32 },
	{ "SCMP_ARCH_PPC",		"ppc",		NULL,	SCMP_ARCH_PPC },
	{ "SCMP_ARCH_PPC64",		"ppc64",	NULL,	SCMP_ARCH_PPC64 },
	{ "SCMP_ARCH_PPC64LE",		"ppc64le",	NULL,
	    SCMP_ARCH_PPC64LE },
	{ "SCMP_ARCH_S390",		"s390",		NULL,	SCMP_ARCH_S390 },
	{ "SCMP_ARCH_S390X",		"s390x",	NULL,	SCMP_ARCH_S390X },
	{ "SCMP_ARCH_PARISC",		"parisc",	NULL,	SCMP_ARCH_PARISC },
	{ "SCMP_ARCH_PARISC64",		"parisc64",	NULL,
	    SCMP_ARCH_PARISC64 },
	{ "SCMP_ARCH_RISCV64",		"riscv64",	NULL,
	    SCMP_ARCH_RISCV64 },
};

static const struct {
	const char	*name;
	unsigned int	 flag;
} flag_names[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC",		SECCOMP_PROFILE_TSYNC },
	{ "SECCOMP_FILTER_FLAG_LOG",		SECCOMP_PROFILE_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW",	SECCOMP_PROFILE_SPEC_ALLOW },
};

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static void
cleanup_profilep(struct seccomp_profile **p)
{
	seccomp_profile_free(*p);
}
#define cleanup_profile	__attribute__((cleanup(cleanup_profilep)))

static void
cleanup_jsonp(json_t **j)
{
	json_decref(*j);
}
#define cleanup_json	__attribute__((cleanup(cleanup_jsonp)))

static void
cleanup_filterp(scmp_filter_ctx *ctx)
{
	if (*ctx != NULL)
		seccomp_release(*ctx);
}
#define cleanup_filter	__attribute__((cleanup(cleanup_filterp)))

/* The model: free and copy. */

static void
free_names(char **names)
{
	char **n;

	if (names == NULL)
		return;
	for (n = names; *n != NULL; n++)
		free(*n);
	free(names);
}

static void
rule_free(struct seccomp_rule *r)
{
	free_names(r->names);
	free(r->args);
}

void
seccomp_profile_free(struct seccomp_profile *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nrules; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	free(p);
}

static int
rule_copy(struct seccomp_rule *dst, const struct seccomp_rule *src)
{
	size_t i, n = 0;

	*dst = *src;
	dst->names = NULL;
	dst->args = NULL;
	while (src->names != NULL && src->names[n] != NULL)
		n++;
	if ((dst->names = calloc(n + 1, sizeof(*dst->names))) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		if ((dst->names[i] = strdup(src->names[i])) == NULL)
			return (-1);
	}
	if (src->nargs != 0) {
		dst->args = calloc(src->nargs, sizeof(*dst->args));
		if (dst->args == NULL)
			return (-1);
		memcpy(dst->args, src->args, src->nargs * sizeof(*dst->args));
	}
	return (0);
}

struct seccomp_profile *
seccomp_profile_dup(const struct seccomp_profile *p)
{
	cleanup_profile struct seccomp_profile *q = NULL;
	size_t i;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return (NULL);
	*q = *p;
	q->rules = NULL;
	q->nrules = 0;
	if (p->nrules != 0) {
		if ((q->rules = calloc(p->nrules, sizeof(*q->rules))) == NULL)
			return (NULL);
		for (i = 0; i < p->nrules; i++) {
			/* Counted first: a half-copied rule is freed too. */
			q->nrules++;
			if (rule_copy(&q->rules[i], &p->rules[i]) != 0)
				return (NULL);
		}
	}
	return (steal_pointer(&q));
}

/* Docker's JSON format. */

static int
field_error(struct berth_error *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
field_error(struct berth_error *err, const char *path, const char *fmt, ...)
{
	cleanup_free char *msg = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc < 0)
		msg = NULL;
	berth_error_set(err, RT_E_SPEC, 0, "%s: %s", path,
	    msg != NULL ? msg : fmt);
	berth_error_param_str(err, "field", path);
	return (-1);
}

/* A field's path for errors; a truncated one still names its start. */
static void
subpath(char *buf, const char *path, const char *key)
{
	int n;

	if (*path == '\0')
		n = snprintf(buf, SECCOMP_PATH_MAX, "%s", key);
	else
		n = snprintf(buf, SECCOMP_PATH_MAX, "%s.%s", path, key);
	if (n < 0)
		buf[0] = '\0';
}

static void
itempath(char *buf, const char *path, size_t i)
{
	if (snprintf(buf, SECCOMP_PATH_MAX, "%s[%zu]", path, i) < 0)
		buf[0] = '\0';
}

/* Refuse a key outside the NULL-terminated list known. */
static int
check_keys(const json_t *obj, const char *path, const char *const *known,
    struct berth_error *err)
{
	const char *key, *const *k;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		for (k = known; *k != NULL; k++) {
			if (strcmp(*k, key) == 0)
				break;
		}
		if (*k == NULL) {
			char p[SECCOMP_PATH_MAX];

			subpath(p, path, key);
			return (field_error(err, p, "unknown field"));
		}
	}
	return (0);
}

/* An optional member: NULL when absent or null. */
static json_t *
member(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return (json_is_null(v) ? NULL : v);
}

static int
get_uint(const json_t *v, const char *path, uint64_t max, uint64_t *out,
    struct berth_error *err)
{
	json_int_t n;

	if (!json_is_integer(v))
		return (field_error(err, path, "not an integer"));
	n = json_integer_value(v);
	if (n < 0 || (uint64_t)n > max)
		return (field_error(err, path, "%lld out of range 0..%llu",
		    (long long)n, (unsigned long long)max));
	*out = (uint64_t)n;
	return (0);
}

/* The string, or NULL (and err filled) when v is not one. */
static const char *
get_string(const json_t *v, const char *path, struct berth_error *err)
{
	if (!json_is_string(v)) {
		field_error(err, path, "not a string");
		return (NULL);
	}
	return (json_string_value(v));
}

static int
get_array(const json_t *v, const char *path, struct berth_error *err)
{
	if (!json_is_array(v))
		return (field_error(err, path, "not an array"));
	return (0);
}

/* "SCMP_ACT_ERRNO" plus errnoRet (ret may be NULL) into an action. */
static int
parse_action(const json_t *v, const json_t *ret, const char *path,
    const char *ret_path, uint32_t *out, struct berth_error *err)
{
	const char *name;
	uint64_t n = EPERM;
	size_t i;

	if (v == NULL)
		return (field_error(err, path, "missing"));
	if ((name = get_string(v, path, err)) == NULL)
		return (-1);
	for (i = 0; i < nitems(action_names); i++) {
		if (strcmp(action_names[i].name, name) == 0)
			break;
	}
	if (i == nitems(action_names)) {
		if (strcmp(name, "SCMP_ACT_NOTIFY") == 0) {
			field_error(err, path, "SCMP_ACT_NOTIFY is not "
			    "supported (no seccomp agent)");
			return (-1);
		}
		return (field_error(err, path, "unknown action %s", name));
	}
	if (ret != NULL) {
		if (action_names[i].ret_max == 0)
			return (field_error(err, ret_path, "not allowed "
			    "with %s", name));
		if (get_uint(ret, ret_path, action_names[i].ret_max, &n,
		    err) != 0)
			return (-1);
	}
	if (action_names[i].ret_max == 0)
		*out = action_names[i].action;
	else
		*out = action_names[i].action | (uint32_t)(n & 0xffff);
	return (0);
}

static int
arch_from_name(const char *name, bool docker, uint32_t *out)
{
	size_t i;

	for (i = 0; i < nitems(arch_names); i++) {
		if (strcmp(arch_names[i].name, name) == 0 ||
		    (docker && strcmp(arch_names[i].docker, name) == 0) ||
		    (docker && arch_names[i].alias != NULL &&
		    strcmp(arch_names[i].alias, name) == 0)) {
			*out = arch_names[i].arch;
			return (0);
		}
	}
	return (-1);
}

/* An array of arch names into arches (at most SECCOMP_ARCHES_MAX). */
static int
parse_arches(const json_t *v, const char *path, bool docker,
    uint32_t *arches, size_t *narches, struct berth_error *err)
{
	char p[SECCOMP_PATH_MAX];
	const char *name;
	json_t *a;
	uint32_t arch;
	size_t i, j;

	if (get_array(v, path, err) != 0)
		return (-1);
	json_array_foreach((json_t *)v, i, a) {
		itempath(p, path, i);
		if ((name = get_string(a, p, err)) == NULL)
			return (-1);
		if (arch_from_name(name, docker, &arch) != 0)
			return (field_error(err, p, "unknown architecture %s",
			    name));
		for (j = 0; j < *narches; j++) {
			if (arches[j] == arch)
				break;
		}
		if (j < *narches)
			continue;
		if (*narches == SECCOMP_ARCHES_MAX)
			return (field_error(err, path, "more than %d "
			    "architectures", SECCOMP_ARCHES_MAX));
		arches[(*narches)++] = arch;
	}
	return (0);
}

/* "4.8", "5.10.0-rc1" into KVERSION(); -1 if it does not parse. */
static int
parse_kernel_version(const char *s, bool strict, uint32_t *out)
{
	unsigned long v[3] = { 0, 0, 0 };
	char *end;
	int i;

	for (i = 0; i < 3; i++) {
		if (*s < '0' || *s > '9')
			return (-1);
		v[i] = strtoul(s, &end, 10);
		if (v[i] > 65535)
			return (-1);
		s = end;
		if (*s != '.' || i == 2)
			break;
		s++;
	}
	if (i == 0)
		return (-1);		/* a major without a minor */
	if (strict && *s != '\0' && *s != '-' && *s != '+')
		return (-1);
	if (v[0] > 255 || v[1] > 255)
		return (-1);
	*out = KVERSION(v[0], v[1], v[2]);
	return (0);
}

static uint32_t
running_kernel_version(void)
{
	struct utsname u;
	uint32_t v;

	if (uname(&u) != 0 || parse_kernel_version(u.release, false, &v) != 0)
		return (0);
	return (v);
}

static int
parse_match(const json_t *v, const char *path, struct seccomp_match *m,
    struct berth_error *err)
{
	static const char *const known[] = { "caps", "arches", "minKernel",
	    NULL };
	char p[SECCOMP_PATH_MAX], q[SECCOMP_PATH_MAX];
	const char *s;
	json_t *f, *c;
	size_t i;
	int cap;

	if (!json_is_object(v))
		return (field_error(err, path, "not an object"));
	if (check_keys(v, path, known, err) != 0)
		return (-1);
	if ((f = member(v, "caps")) != NULL) {
		subpath(p, path, "caps");
		if (get_array(f, p, err) != 0)
			return (-1);
		json_array_foreach(f, i, c) {
			itempath(q, p, i);
			if ((s = get_string(c, q, err)) == NULL)
				return (-1);
			if ((cap = caps_from_name(s)) < 0)
				return (field_error(err, q,
				    "unknown capability %s", s));
			m->caps |= UINT64_C(1) << cap;
		}
	}
	if ((f = member(v, "arches")) != NULL) {
		subpath(p, path, "arches");
		if (parse_arches(f, p, true, m->arches, &m->narches, err) != 0)
			return (-1);
	}
	if ((f = member(v, "minKernel")) != NULL) {
		subpath(p, path, "minKernel");
		if ((s = get_string(f, p, err)) == NULL)
			return (-1);
		if (*s != '\0' && parse_kernel_version(s, true,
		    &m->min_kernel) != 0)
			return (field_error(err, p, "bad kernel version %s",
			    s));
	}
	return (0);
}

static int
parse_arg(const json_t *v, const char *path, struct seccomp_arg *a,
    struct berth_error *err)
{
	static const char *const known[] = { "index", "value", "valueTwo",
	    "op", NULL };
	char p[SECCOMP_PATH_MAX];
	const char *s;
	uint64_t n;
	json_t *f;
	size_t i;

	if (!json_is_object(v))
		return (field_error(err, path, "not an object"));
	if (check_keys(v, path, known, err) != 0)
		return (-1);

	subpath(p, path, "index");
	if ((f = member(v, "index")) == NULL)
		return (field_error(err, p, "missing"));
	if (get_uint(f, p, SECCOMP_ARG_INDEX_MAX, &n, err) != 0)
		return (-1);
	a->index = (unsigned int)n;

	subpath(p, path, "value");
	if ((f = member(v, "value")) != NULL &&
	    get_uint(f, p, UINT64_MAX, &a->value, err) != 0)
		return (-1);
	subpath(p, path, "valueTwo");
	if ((f = member(v, "valueTwo")) != NULL &&
	    get_uint(f, p, UINT64_MAX, &a->value_two, err) != 0)
		return (-1);

	subpath(p, path, "op");
	if ((f = member(v, "op")) == NULL)
		return (field_error(err, p, "missing"));
	if ((s = get_string(f, p, err)) == NULL)
		return (-1);
	for (i = 0; i < nitems(op_names); i++) {
		if (strcmp(op_names[i].name, s) == 0) {
			a->op = op_names[i].op;
			return (0);
		}
	}
	return (field_error(err, p, "unknown operator %s", s));
}

static int
parse_names(const json_t *v, const char *path, struct seccomp_rule *r,
    struct berth_error *err)
{
	char p[SECCOMP_PATH_MAX];
	const char *s;
	json_t *n;
	size_t i;

	if (json_is_string(v)) {
		/* "name": one syscall. */
		if (*json_string_value(v) == '\0')
			return (field_error(err, path, "empty"));
		if ((r->names = calloc(2, sizeof(*r->names))) == NULL ||
		    (r->names[0] = strdup(json_string_value(v))) == NULL)
			return (berth_error_sys(err, "%s", path));
		return (0);
	}
	if (get_array(v, path, err) != 0)
		return (-1);
	if (json_array_size(v) == 0)
		return (field_error(err, path, "no syscall names"));
	r->names = calloc(json_array_size(v) + 1, sizeof(*r->names));
	if (r->names == NULL)
		return (berth_error_sys(err, "%s", path));
	json_array_foreach((json_t *)v, i, n) {
		itempath(p, path, i);
		if ((s = get_string(n, p, err)) == NULL)
			return (-1);
		if (*s == '\0')
			return (field_error(err, p, "empty"));
		if ((r->names[i] = strdup(s)) == NULL)
			return (berth_error_sys(err, "%s", p));
	}
	return (0);
}

static int
parse_rule(const json_t *v, const char *path, struct seccomp_rule *r,
    struct berth_error *err)
{
	static const char *const known[] = { "name", "names", "action",
	    "errnoRet", "args", "comment", "includes", "excludes", NULL };
	char p[SECCOMP_PATH_MAX], q[SECCOMP_PATH_MAX];
	json_t *name, *names, *f, *a;
	size_t i;

	if (!json_is_object(v))
		return (field_error(err, path, "not an object"));
	if (check_keys(v, path, known, err) != 0)
		return (-1);

	name = member(v, "name");
	names = member(v, "names");
	if (name != NULL && names != NULL)
		return (field_error(err, path, "both name and names"));
	if (name != NULL) {
		subpath(p, path, "name");
		if (!json_is_string(name))
			return (field_error(err, p, "not a string"));
		if (parse_names(name, p, r, err) != 0)
			return (-1);
	} else if (names != NULL) {
		subpath(p, path, "names");
		if (parse_names(names, p, r, err) != 0)
			return (-1);
	} else {
		subpath(p, path, "names");
		return (field_error(err, p, "missing"));
	}

	subpath(p, path, "action");
	subpath(q, path, "errnoRet");
	if (parse_action(member(v, "action"), member(v, "errnoRet"), p, q,
	    &r->action, err) != 0)
		return (-1);

	if ((f = member(v, "args")) != NULL) {
		subpath(p, path, "args");
		if (get_array(f, p, err) != 0)
			return (-1);
		if (json_array_size(f) != 0) {
			r->args = calloc(json_array_size(f), sizeof(*r->args));
			if (r->args == NULL)
				return (berth_error_sys(err, "%s", p));
		}
		json_array_foreach(f, i, a) {
			itempath(q, p, i);
			if (parse_arg(a, q, &r->args[i], err) != 0)
				return (-1);
			r->nargs++;
		}
	}
	if ((f = member(v, "comment")) != NULL && !json_is_string(f)) {
		subpath(p, path, "comment");
		return (field_error(err, p, "not a string"));
	}
	if ((f = member(v, "includes")) != NULL) {
		subpath(p, path, "includes");
		if (parse_match(f, p, &r->includes, err) != 0)
			return (-1);
	}
	if ((f = member(v, "excludes")) != NULL) {
		subpath(p, path, "excludes");
		if (parse_match(f, p, &r->excludes, err) != 0)
			return (-1);
	}
	return (0);
}

/* archMap: the native architecture's entry, with its sub-architectures;
 * nothing when this machine's is not listed (libseccomp's native only). */
static int
parse_archmap(const json_t *v, struct seccomp_profile *p,
    struct berth_error *err)
{
	static const char *const known[] = { "architecture",
	    "subArchitectures", NULL };
	char path[SECCOMP_PATH_MAX], q[SECCOMP_PATH_MAX];
	uint32_t native = seccomp_arch_native(), arch;
	const char *name;
	json_t *e, *f;
	bool found = false;
	size_t i;

	if (get_array(v, "archMap", err) != 0)
		return (-1);
	json_array_foreach((json_t *)v, i, e) {
		itempath(path, "archMap", i);
		if (!json_is_object(e))
			return (field_error(err, path, "not an object"));
		if (check_keys(e, path, known, err) != 0)
			return (-1);
		subpath(q, path, "architecture");
		if ((f = member(e, "architecture")) == NULL)
			return (field_error(err, q, "missing"));
		if ((name = get_string(f, q, err)) == NULL)
			return (-1);
		if (arch_from_name(name, false, &arch) != 0)
			return (field_error(err, q, "unknown architecture %s",
			    name));
		subpath(q, path, "subArchitectures");
		f = member(e, "subArchitectures");
		if (arch != native || found) {
			/* Still checked, so a typo never hides. */
			uint32_t arches[SECCOMP_ARCHES_MAX];
			size_t n = 0;

			if (f != NULL && parse_arches(f, q, false, arches, &n,
			    err) != 0)
				return (-1);
			continue;
		}
		found = true;
		p->arches[p->narches++] = arch;
		if (f != NULL && parse_arches(f, q, false, p->arches,
		    &p->narches, err) != 0)
			return (-1);
	}
	return (0);
}

static int
parse_flags(const json_t *v, struct seccomp_profile *p,
    struct berth_error *err)
{
	char path[SECCOMP_PATH_MAX];
	const char *s;
	json_t *f;
	size_t i, j;

	if (get_array(v, "flags", err) != 0)
		return (-1);
	json_array_foreach((json_t *)v, i, f) {
		itempath(path, "flags", i);
		if ((s = get_string(f, path, err)) == NULL)
			return (-1);
		for (j = 0; j < nitems(flag_names); j++) {
			if (strcmp(flag_names[j].name, s) == 0)
				break;
		}
		if (j == nitems(flag_names))
			return (field_error(err, path, "unknown flag %s", s));
		p->flags |= flag_names[j].flag;
	}
	return (0);
}

int
seccomp_profile_from_json_value(const struct json_t *root,
    struct seccomp_profile **out, struct berth_error *err)
{
	static const char *const known[] = { "defaultAction",
	    "defaultErrnoRet", "architectures", "archMap", "syscalls",
	    "flags", "listenerPath", "listenerMetadata", NULL };
	cleanup_profile struct seccomp_profile *p = NULL;
	char path[SECCOMP_PATH_MAX];
	const char *s;
	json_t *f, *arches, *archmap, *r;
	size_t i;

	if (!json_is_object(root))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "seccomp profile: not a JSON object"));
	if (check_keys(root, "", known, err) != 0)
		return (-1);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (berth_error_sys(err, "seccomp profile"));

	if (parse_action(member(root, "defaultAction"),
	    member(root, "defaultErrnoRet"), "defaultAction",
	    "defaultErrnoRet", &p->default_action, err) != 0)
		return (-1);

	arches = member(root, "architectures");
	archmap = member(root, "archMap");
	if (arches != NULL && archmap != NULL &&
	    json_array_size(arches) != 0 && json_array_size(archmap) != 0)
		return (field_error(err, "archMap", "not with "
		    "architectures: use one or the other"));
	if (arches != NULL && parse_arches(arches, "architectures", false,
	    p->arches, &p->narches, err) != 0)
		return (-1);
	if (archmap != NULL && parse_archmap(archmap, p, err) != 0)
		return (-1);

	if ((f = member(root, "flags")) != NULL &&
	    parse_flags(f, p, err) != 0)
		return (-1);
	if ((f = member(root, "listenerPath")) != NULL) {
		if ((s = get_string(f, "listenerPath", err)) == NULL)
			return (-1);
		if (*s != '\0')
			return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
			    "listenerPath: seccomp agents are not "
			    "supported"));
	}
	if ((f = member(root, "listenerMetadata")) != NULL &&
	    !json_is_string(f))
		return (field_error(err, "listenerMetadata", "not a string"));

	if ((f = member(root, "syscalls")) != NULL) {
		if (get_array(f, "syscalls", err) != 0)
			return (-1);
		if (json_array_size(f) != 0) {
			p->rules = calloc(json_array_size(f),
			    sizeof(*p->rules));
			if (p->rules == NULL)
				return (berth_error_sys(err, "syscalls"));
		}
		json_array_foreach(f, i, r) {
			itempath(path, "syscalls", i);
			/* Counted first: a half-parsed rule is freed too. */
			p->nrules++;
			if (parse_rule(r, path, &p->rules[i], err) != 0)
				return (-1);
		}
	}
	*out = steal_pointer(&p);
	return (0);
}

int
seccomp_profile_from_json(const char *json, struct seccomp_profile **out,
    struct berth_error *err)
{
	cleanup_json json_t *root = NULL;
	json_error_t jerr;

	root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "seccomp profile: line %d column %d: %s", jerr.line,
		    jerr.column, jerr.text));
	return (seccomp_profile_from_json_value(root, out, err));
}

/* Building the filter. */

static bool
arch_listed(const struct seccomp_match *m, uint32_t arch)
{
	size_t i;

	for (i = 0; i < m->narches; i++) {
		if (m->arches[i] == arch)
			return (true);
	}
	return (false);
}

/* Docker's includes/excludes (profiles/seccomp/seccomp_linux.go). */
static bool
rule_applies(const struct seccomp_rule *r, uint64_t caps, uint32_t native,
    uint32_t kernel)
{
	const struct seccomp_match *in = &r->includes, *ex = &r->excludes;

	if (ex->narches != 0 && arch_listed(ex, native))
		return (false);
	if ((ex->caps & caps) != 0)
		return (false);
	if (ex->min_kernel != 0 && kernel >= ex->min_kernel)
		return (false);
	if (in->narches != 0 && !arch_listed(in, native))
		return (false);
	if ((in->caps & caps) != in->caps)
		return (false);
	if (in->min_kernel != 0 && kernel < in->min_kernel)
		return (false);
	return (true);
}

static bool
args_share_index(const struct seccomp_rule *r)
{
	size_t i, j;

	for (i = 0; i < r->nargs; i++) {
		for (j = i + 1; j < r->nargs; j++) {
			if (r->args[i].index == r->args[j].index)
				return (true);
		}
	}
	return (false);
}

static struct scmp_arg_cmp
arg_cmp(const struct seccomp_arg *a)
{
	struct scmp_arg_cmp c = {
		.arg = a->index,
		.op = a->op,
		.datum_a = a->value,
		.datum_b = a->value_two,
	};

	return (c);
}

/*
 * One syscall of a rule.  Several conditions on different arguments must
 * all hold (one libseccomp rule); several on the same argument cannot be
 * one rule, and become one rule each, as runc does.
 */
static int
add_syscall(scmp_filter_ctx ctx, const struct seccomp_rule *r,
    const char *name, struct berth_error *err)
{
	struct scmp_arg_cmp cmp[SECCOMP_ARG_INDEX_MAX + 1];
	size_t i;
	int nr, rc = 0;

	nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return (0);		/* not on this architecture */
	if (r->nargs == 0)
		rc = seccomp_rule_add(ctx, r->action, nr, 0);
	else if (args_share_index(r) || r->nargs > nitems(cmp)) {
		for (i = 0; i < r->nargs && rc == 0; i++) {
			cmp[0] = arg_cmp(&r->args[i]);
			rc = seccomp_rule_add_array(ctx, r->action, nr, 1, cmp);
		}
	} else {
		for (i = 0; i < r->nargs; i++)
			cmp[i] = arg_cmp(&r->args[i]);
		rc = seccomp_rule_add_array(ctx, r->action, nr, r->nargs, cmp);
	}
	if (rc < 0)
		return (berth_error_set(err, RT_E_SPEC, -rc,
		    "seccomp rule for %s", name));
	return (0);
}

static const char *
arch_name(uint32_t arch)
{
	size_t i;

	for (i = 0; i < nitems(arch_names); i++) {
		if (arch_names[i].arch == arch)
			return (arch_names[i].name);
	}
	return ("unknown architecture");
}

static int
set_attrs(scmp_filter_ctx ctx, unsigned int flags, struct berth_error *err)
{
	static const struct {
		unsigned int		flag;
		enum scmp_filter_attr	attr;
		const char		*what;
	} attrs[] = {
		{ SECCOMP_PROFILE_TSYNC, SCMP_FLTATR_CTL_TSYNC, "TSYNC" },
		{ SECCOMP_PROFILE_LOG, SCMP_FLTATR_CTL_LOG, "LOG" },
		{ SECCOMP_PROFILE_SPEC_ALLOW, SCMP_FLTATR_CTL_SSB,
		    "SPEC_ALLOW" },
	};
	size_t i;
	int rc;

	/* The spawner sets no_new_privs itself when the spec asks. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0)
		return (berth_error_set(err, RT_E_SETUP, -rc,
		    "seccomp: no_new_privs attribute"));
	/* Errors of seccomp_load as the kernel gave them. */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	for (i = 0; i < nitems(attrs); i++) {
		if ((flags & attrs[i].flag) == 0)
			continue;
		rc = seccomp_attr_set(ctx, attrs[i].attr, 1);
		if (rc < 0)
			return (berth_error_set(err, RT_E_UNSUPPORTED, -rc,
			    "seccomp flag SECCOMP_FILTER_FLAG_%s",
			    attrs[i].what));
	}
	return (0);
}

int
seccomp_build(const struct seccomp_profile *p, uint64_t caps,
    scmp_filter_ctx *out, struct berth_error *err)
{
	cleanup_filter scmp_filter_ctx ctx = NULL;
	const struct seccomp_rule *r;
	uint32_t native = seccomp_arch_native();
	uint32_t kernel = running_kernel_version();
	size_t i;
	char **n;
	int rc;

	if ((ctx = seccomp_init(p->default_action)) == NULL)
		return (berth_error_set(err, RT_E_SPEC, EINVAL,
		    "seccomp: default action %#x", p->default_action));
	if (set_attrs(ctx, p->flags, err) != 0)
		return (-1);
	for (i = 0; i < p->narches; i++) {
		if (p->arches[i] == native)
			continue;
		rc = seccomp_arch_add(ctx, p->arches[i]);
		if (rc < 0 && rc != -EEXIST)
			return (berth_error_set(err, RT_E_SPEC, -rc,
			    "seccomp: add architecture %s",
			    arch_name(p->arches[i])));
	}
	for (i = 0; i < p->nrules; i++) {
		r = &p->rules[i];
		if (!rule_applies(r, caps, native, kernel))
			continue;
		/* libseccomp refuses a rule that does what the default
		 * does; it has no effect anyway (runc skips it too). */
		if (r->action == p->default_action)
			continue;
		for (n = r->names; n != NULL && *n != NULL; n++) {
			if (add_syscall(ctx, r, *n, err) != 0)
				return (berth_error_wrap(err,
				    "syscalls[%zu]", i));
		}
	}
	*out = steal_pointer(&ctx);
	return (0);
}

int
seccomp_load_filter(scmp_filter_ctx ctx, struct berth_error *err)
{
	int rc;

	if ((rc = seccomp_load(ctx)) < 0)
		return (berth_error_set(err, RT_E_SETUP, -rc,
		    "load the seccomp filter"));
	return (0);
}
