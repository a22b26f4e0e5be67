/*
 * Device access for a container's cgroup: which device nodes it may
 * create, read and write.  Without it, CAP_MKNOD (one of Docker's default
 * capabilities) would let a container make a node for the host's disk and
 * open it.
 *
 * The rules start from "deny everything" and apply in order, so a later
 * rule overrides an earlier one.  v1: written to devices.deny and
 * devices.allow one by one.  v2: compiled into a BPF_CGROUP_DEVICE program
 * (hand-assembled, as crun and runc do) that checks the rules from the
 * last to the first and answers with the first that matches.
 */
#include <sys/syscall.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cgroup-private.h"

/* Docker's defaults: mknod of anything, and use of the usual nodes. */
static const struct rt_device_rule default_rules[] = {
	{ true, 'c', -1, -1, "m" },		/* mknod of any char device */
	{ true, 'b', -1, -1, "m" },		/* and block device */
	{ true, 'c', 1, 3, "rwm" },		/* null */
	{ true, 'c', 1, 5, "rwm" },		/* zero */
	{ true, 'c', 1, 7, "rwm" },		/* full */
	{ true, 'c', 1, 8, "rwm" },		/* random */
	{ true, 'c', 1, 9, "rwm" },		/* urandom */
	{ true, 'c', 5, 0, "rwm" },		/* tty */
	{ true, 'c', 5, 1, "rwm" },		/* console */
	{ true, 'c', 5, 2, "rwm" },		/* ptmx */
	{ true, 'c', 136, -1, "rwm" },		/* pts */
	{ true, 'c', 10, 200, "rwm" },		/* net/tun */
};

static const struct rt_device_rule *
rules_of(const struct rt_resources *r, size_t *n)
{
	if (r->ndevice_rules > 0) {
		*n = r->ndevice_rules;
		return (r->device_rules);
	}
	*n = sizeof(default_rules) / sizeof(default_rules[0]);
	return (default_rules);
}

static int
check_rule(const struct rt_device_rule *d, struct berth_error *err)
{
	if (d->type != 'a' && d->type != 'c' && d->type != 'b')
		return (berth_error_set(err, RT_E_SPEC, 0, "device rule: type "
		    "'%c' is not a, c or b", d->type));
	if (d->access[0] == '\0' || strspn(d->access, "rwm") !=
	    strlen(d->access))
		return (berth_error_set(err, RT_E_SPEC, 0, "device rule: "
		    "access \"%s\" is not made of r, w and m", d->access));
	return (0);
}

static void
format_number(char *buf, size_t size, int64_t v)
{
	if (v < 0)
		snprintf(buf, size, "*");
	else
		snprintf(buf, size, "%lld", (long long)v);
}

int
cgroup_devices_v1(int dirfd, const char *dir, const struct rt_resources *r,
    struct berth_error *err)
{
	const struct rt_device_rule *rules;
	char line[64], major[24], minor[24];
	size_t n, i;

	rules = rules_of(r, &n);
	if (cgroup_file_write(dirfd, dir, "devices.deny", "a", err) == -1)
		return (berth_error_wrap(err, "device rules"));
	for (i = 0; i < n; i++) {
		if (check_rule(&rules[i], err) == -1)
			return (-1);
		format_number(major, sizeof(major), rules[i].major);
		format_number(minor, sizeof(minor), rules[i].minor);
		if (rules[i].type == 'a')
			snprintf(line, sizeof(line), "a");
		else
			snprintf(line, sizeof(line), "%c %s:%s %s",
			    rules[i].type, major, minor, rules[i].access);
		if (cgroup_file_write(dirfd, dir, rules[i].allow ?
		    "devices.allow" : "devices.deny", line, err) == -1)
			return (berth_error_wrap(err, "device rule %s", line));
	}
	return (0);
}

/* The BPF instructions the program is made of. */
#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c),		\
	.dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o)	INSN(BPF_LDX | BPF_W | BPF_MEM, d, s, o, 0)
#define MOV32_REG(d, s)	INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i)	INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define AND32_IMM(d, i)	INSN(BPF_ALU | BPF_AND | BPF_K, d, 0, 0, i)
#define RSH32_IMM(d, i)	INSN(BPF_ALU | BPF_RSH | BPF_K, d, 0, 0, i)
#define JNE_IMM(d, i)	INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, 0, i)
#define JEQ_IMM(d, i)	INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, 0, i)
#define EXIT()		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Registers: r3 type, r4 access, r5 major, r6 minor, r7 scratch. */
#define R_TYPE		3
#define R_ACCESS	4
#define R_MAJOR		5
#define R_MINOR		6
#define R_TMP		7

#define RULE_INSNS_MAX	8

static unsigned
access_bits(const char *access)
{
	unsigned bits = 0;

	if (strchr(access, 'm') != NULL)
		bits |= BPF_DEVCG_ACC_MKNOD;
	if (strchr(access, 'r') != NULL)
		bits |= BPF_DEVCG_ACC_READ;
	if (strchr(access, 'w') != NULL)
		bits |= BPF_DEVCG_ACC_WRITE;
	return (bits);
}

/*
 * One rule: tests that jump past the block when the request does not
 * match, then "return allow or deny".  An allow rule matches a request
 * wholly inside its access; a deny rule one that asks any of its access.
 */
static size_t
emit_rule(const struct rt_device_rule *d, struct bpf_insn *out)
{
	unsigned acc = access_bits(d->access);
	size_t n = 0, i;

	if (d->type != 'a')
		out[n++] = JNE_IMM(R_TYPE, d->type == 'b' ?
		    BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
	if (d->allow && acc != 7) {
		out[n++] = MOV32_REG(R_TMP, R_ACCESS);
		out[n++] = AND32_IMM(R_TMP, (int32_t)(~acc & 7));
		out[n++] = JNE_IMM(R_TMP, 0);
	} else if (!d->allow && acc != 7) {
		out[n++] = MOV32_REG(R_TMP, R_ACCESS);
		out[n++] = AND32_IMM(R_TMP, (int32_t)acc);
		out[n++] = JEQ_IMM(R_TMP, 0);
	}
	if (d->type != 'a' && d->major >= 0)
		out[n++] = JNE_IMM(R_MAJOR, (int32_t)d->major);
	if (d->type != 'a' && d->minor >= 0)
		out[n++] = JNE_IMM(R_MINOR, (int32_t)d->minor);
	out[n++] = MOV64_IMM(0, d->allow ? 1 : 0);
	out[n++] = EXIT();
	/* Each test jumps to the end of the block. */
	for (i = 0; i < n; i++)
		if (BPF_CLASS(out[i].code) == BPF_JMP &&
		    BPF_OP(out[i].code) != BPF_EXIT)
			out[i].off = (int16_t)(n - i - 1);
	return (n);
}

static int
load_program(const struct bpf_insn *insns, size_t n, struct berth_error *err)
{
	static char log[4096];
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t)"Apache-2.0";
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd >= 0)
		return (fd);
	/* Again with the verifier's log, for the message. */
	attr.log_level = 1;
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = sizeof(log);
	log[0] = '\0';
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd >= 0)
		return (fd);
	return (berth_error_set(err, RT_E_CGROUP, errno, "device rules: load "
	    "the BPF device program (%.200s)", log));
}

int
cgroup_devices_v2(int dirfd, const char *dir, const struct rt_resources *r,
    struct berth_error *err)
{
	const struct rt_device_rule *rules;
	cleanup_free struct bpf_insn *insns = NULL;
	cleanup_close int prog = -1;
	union bpf_attr attr;
	size_t n, i, len = 0;

	rules = rules_of(r, &n);
	for (i = 0; i < n; i++)
		if (check_rule(&rules[i], err) == -1)
			return (-1);
	if ((insns = calloc(7 + n * RULE_INSNS_MAX + 2,
	    sizeof(*insns))) == NULL)
		return (berth_error_sys(err, "device rules"));
	/* ctx: struct bpf_cgroup_dev_ctx { access_type, major, minor }. */
	insns[len++] = LDX_W(2, 1, 0);
	insns[len++] = MOV32_REG(R_TYPE, 2);
	insns[len++] = AND32_IMM(R_TYPE, 0xffff);
	insns[len++] = MOV32_REG(R_ACCESS, 2);
	insns[len++] = RSH32_IMM(R_ACCESS, 16);
	insns[len++] = LDX_W(R_MAJOR, 1, 4);
	insns[len++] = LDX_W(R_MINOR, 1, 8);
	/* Last rule first: the first to match is the one applied last. */
	for (i = n; i > 0; i--)
		len += emit_rule(&rules[i - 1], insns + len);
	insns[len++] = MOV64_IMM(0, 0);
	insns[len++] = EXIT();
	if ((prog = load_program(insns, len, err)) < 0)
		return (-1);
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)dirfd;
	attr.attach_bpf_fd = (uint32_t)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)) < 0)
		return (berth_error_set(err, RT_E_CGROUP, errno, "device "
		    "rules: attach the BPF device program to %s", dir));
	/* The attachment holds the program; our fd may go. */
	return (0);
}
