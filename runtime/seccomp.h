/*
 * Seccomp: profiles as data (Docker's default, or Docker's JSON format
 * read from a file), built into a filter with libseccomp in the parent and
 * loaded in the child as the last step before exec.
 */
#ifndef BERTH_RUNTIME_SECCOMP_H
#define BERTH_RUNTIME_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

#include <seccomp.h>

#include "error.h"

#define SECCOMP_ARCHES_MAX	8	/* per profile, and per match */

/* One condition on a syscall argument (Docker's and OCI's "args"). */
struct seccomp_arg {
	unsigned int		 index;		/* 0..5 */
	uint64_t		 value;		/* the mask, for MASKED_EQ */
	uint64_t		 value_two;	/* the datum, for MASKED_EQ */
	enum scmp_compare	 op;
};

/*
 * When a rule applies (Docker's "includes" and "excludes"): a rule is
 * kept when the process holds every capability of includes.caps, the
 * native architecture is in includes.arches and the kernel is at least
 * includes.min_kernel; it is dropped when it holds any of excludes.caps,
 * the native architecture is in excludes.arches or the kernel is at least
 * excludes.min_kernel.  Empty fields match everything.
 */
struct seccomp_match {
	uint64_t	 caps;				/* mask of CAP_* */
	uint32_t	 arches[SECCOMP_ARCHES_MAX];	/* SCMP_ARCH_* */
	size_t		 narches;
	uint32_t	 min_kernel;	/* KERNEL_VERSION(a, b, c); 0 unset */
};

struct seccomp_rule {
	char			**names;	/* NULL-terminated */
	uint32_t		  action;	/* SCMP_ACT_*, errno included */
	struct seccomp_arg	 *args;		/* all must hold */
	size_t			  nargs;
	struct seccomp_match	  includes;
	struct seccomp_match	  excludes;
};

/* Filter flags (OCI's "flags"). */
#define SECCOMP_PROFILE_TSYNC		0x1
#define SECCOMP_PROFILE_LOG		0x2
#define SECCOMP_PROFILE_SPEC_ALLOW	0x4

struct seccomp_profile {
	uint32_t		 default_action;	/* SCMP_ACT_* */
	/* Architectures added beside the native one, already chosen for
	 * this machine when the profile came with an archMap. */
	uint32_t		 arches[SECCOMP_ARCHES_MAX];
	size_t			 narches;
	unsigned int		 flags;			/* SECCOMP_PROFILE_* */
	struct seccomp_rule	*rules;			/* in order */
	size_t			 nrules;
};

/* Equivalent to Docker's default profile: an allow list, EPERM for the
 * rest, the same argument-filtered exceptions (clone flags, personality,
 * socket families), clone3 answered with ENOSYS, and the rules that
 * depend on capabilities. */
int	seccomp_profile_default(struct seccomp_profile **out,
	    struct berth_error *err);
/* Docker's JSON profile format (defaultAction, architectures or archMap,
 * syscalls with names, action, args, includes/excludes by caps and
 * arches, errnoRet).  Errors name the field. */
int	seccomp_profile_from_json(const char *json,
	    struct seccomp_profile **out, struct berth_error *err);
/* The same from a parsed jansson object: Docker's format, or an OCI
 * config.json's linux.seccomp (a subset of it). */
struct json_t;
int	seccomp_profile_from_json_value(const struct json_t *root,
	    struct seccomp_profile **out, struct berth_error *err);
void	seccomp_profile_free(struct seccomp_profile *p);
/* A deep copy (specs own their profile); NULL when out of memory. */
struct seccomp_profile *seccomp_profile_dup(const struct seccomp_profile *p);

/* Parent side: the filter for a process holding the capabilities in
 * caps (rules are included or excluded by capability, as Docker does;
 * Docker matches against the bounding set).  Syscall names libseccomp
 * does not know on this architecture are skipped. */
int	seccomp_build(const struct seccomp_profile *p, uint64_t caps,
	    scmp_filter_ctx *out, struct berth_error *err);
/* Child side: load it.  The filter is released by the exec. */
int	seccomp_load_filter(scmp_filter_ctx ctx, struct berth_error *err);

#endif
