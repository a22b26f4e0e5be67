/*
 * Capabilities: names, Docker's defaults, and applying a set in the
 * container's setup process (with libcap).
 */
#ifndef BERTH_RUNTIME_CAPS_H
#define BERTH_RUNTIME_CAPS_H

#include <stdint.h>

#include "error.h"
#include "spec.h"

/* "CAP_SYS_ADMIN", "sys_admin", "SYS_ADMIN" -> 21; -1 if unknown. */
int	caps_from_name(const char *name);
/* 21 -> "CAP_SYS_ADMIN" */
const char *caps_name(int cap);
/* The highest capability the running kernel knows. */
int	caps_last_cap(void);
/* Every capability the kernel knows. */
uint64_t caps_all(void);
/* The capabilities this process may still grant: its bounding set. */
uint64_t caps_bounding_self(void);

/*
 * In the child, in this order (runtime/process.c):
 *  1. caps_drop_bounding: before the user switch, while CAP_SETPCAP is
 *     still held;
 *  2. (PR_SET_KEEPCAPS, setgroups, setresgid, setresuid)
 *  3. caps_apply: effective, permitted, inheritable, then ambient.
 */
int	caps_drop_bounding(const struct rt_caps *c, struct berth_error *err);
int	caps_apply(const struct rt_caps *c, struct berth_error *err);

#endif
