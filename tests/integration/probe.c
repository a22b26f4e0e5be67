/*
 * probe: what a container's process can and cannot do, asked from inside.
 * Built static (cc -static) into the test rootfs by runtime_harness.py, so
 * it needs nothing of the image; each command prints one answer per line,
 * errors as errno names ("EPERM"), for tests/integration/test_runtime.py.
 *
 *	probe syscalls		try keyctl, reboot, init_module, finit_module,
 *				delete_module, unshare, mount, umount, setns
 *	probe fds		the open fds, before anything else opens one
 *	probe write PATH...	open each for writing (O_CREAT): "PATH ERRNO"
 *	probe alloc MIB		allocate and touch MIB MiB, 1 MiB at a time
 *	probe spin SECONDS	busy-loop; print cpu time / wall time
 *	probe forks N		fork N children that wait; print how many
 *				forks worked and the first errno
 *
 * Every syscall tried is harmless when allowed: reboot gets a bad magic
 * number (EINVAL once permitted), module calls get no module.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KEYCTL_JOIN_SESSION_KEYRING	1

static const char *
errname(int e)
{
	static char buf[32];

	switch (e) {
	case 0:		return ("ok");
	case EPERM:	return ("EPERM");
	case EACCES:	return ("EACCES");
	case EROFS:	return ("EROFS");
	case ENOENT:	return ("ENOENT");
	case EINVAL:	return ("EINVAL");
	case EFAULT:	return ("EFAULT");
	case EBADF:	return ("EBADF");
	case ENOSYS:	return ("ENOSYS");
	case EAGAIN:	return ("EAGAIN");
	case ENOMEM:	return ("ENOMEM");
	case EBUSY:	return ("EBUSY");
	case ENOSPC:	return ("ENOSPC");
	case ENODEV:	return ("ENODEV");
	case EISDIR:	return ("EISDIR");
	case ENOTDIR:	return ("ENOTDIR");
	case EEXIST:	return ("EEXIST");
	}
	snprintf(buf, sizeof(buf), "E%d", e);
	return (buf);
}

static void
report(const char *what, long rc)
{
	printf("%s %s\n", what, errname(rc == -1 ? errno : 0));
}

static int
cmd_syscalls(void)
{
	report("keyctl", syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING,
	    "probe"));
	/* magic 0: EINVAL if the caller may reboot, EPERM if not. */
	report("reboot", syscall(SYS_reboot, 0, 0, 0, NULL));
	report("init_module", syscall(SYS_init_module, NULL, 0UL, ""));
	report("finit_module", syscall(SYS_finit_module, -1, "", 0));
	report("delete_module", syscall(SYS_delete_module,
	    "berth_probe_none", 0));
	report("unshare_mount", unshare(CLONE_NEWNS));
	report("unshare_user", unshare(CLONE_NEWUSER));
	report("mount", mount("none", "/tmp", "tmpfs", 0, NULL));
	report("umount", umount2("/proc", MNT_DETACH));
	report("setns", setns(open("/proc/self/ns/uts", O_RDONLY), 0));
	return (0);
}

static int
cmd_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 self;

	if ((d = opendir("/proc/self/fd")) == NULL) {
		printf("opendir %s\n", errname(errno));
		return (1);
	}
	self = dirfd(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == self)
			continue;
		printf("%s\n", e->d_name);
	}
	closedir(d);
	return (0);
}

static int
cmd_write(int argc, char **argv)
{
	int	 i, fd;

	for (i = 0; i < argc; i++) {
		fd = open(argv[i], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd != -1 && write(fd, "1\n", 2) == -1) {
			printf("%s %s\n", argv[i], errname(errno));
			close(fd);
			continue;
		}
		printf("%s %s\n", argv[i], errname(fd == -1 ? errno : 0));
		if (fd != -1)
			close(fd);
	}
	return (0);
}

static int
cmd_alloc(long mib)
{
	long	 i;
	char	*p;

	setvbuf(stdout, NULL, _IONBF, 0);
	for (i = 0; i < mib; i++) {
		p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			printf("mmap %s after %ld MiB\n", errname(errno), i);
			return (1);
		}
		memset(p, 0xa5, 1 << 20);
	}
	printf("allocated %ld MiB\n", mib);
	return (0);
}

static double
now(clockid_t clock)
{
	struct timespec	ts;

	clock_gettime(clock, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static int
cmd_spin(double seconds)
{
	double			 w0, c0, w, c;
	volatile unsigned long	 n = 0;

	w0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	do {
		for (int i = 0; i < 100000; i++)
			n++;
		w = now(CLOCK_MONOTONIC) - w0;
	} while (w < seconds);
	c = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("wall %.3f cpu %.3f ratio %.3f\n", w, c, c / w);
	return (0);
}

static int
cmd_forks(int n)
{
	int	 i, ok = 0, err = 0;
	pid_t	 pid, *kids;

	if ((kids = calloc(n, sizeof(*kids))) == NULL)
		return (1);
	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid == 0) {
			pause();
			_exit(0);
		}
		if (pid == -1) {
			if (err == 0)
				err = errno;
			continue;
		}
		kids[ok++] = pid;
	}
	printf("forked %d failed %d first_error %s\n", ok, n - ok,
	    errname(err));
	fflush(stdout);
	for (i = 0; i < ok; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < ok; i++)
		waitpid(kids[i], NULL, 0);
	return (0);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: probe syscalls|fds|write|alloc|spin|"
		    "forks ...\n");
		return (2);
	}
	/* fds first: nothing else may have opened one yet. */
	if (strcmp(argv[1], "fds") == 0)
		return (cmd_fds());
	if (strcmp(argv[1], "syscalls") == 0)
		return (cmd_syscalls());
	if (strcmp(argv[1], "write") == 0)
		return (cmd_write(argc - 2, argv + 2));
	if (strcmp(argv[1], "alloc") == 0 && argc == 3)
		return (cmd_alloc(atol(argv[2])));
	if (strcmp(argv[1], "spin") == 0 && argc == 3)
		return (cmd_spin(atof(argv[2])));
	if (strcmp(argv[1], "forks") == 0 && argc == 3)
		return (cmd_forks(atoi(argv[2])));
	fprintf(stderr, "probe: unknown command %s\n", argv[1]);
	return (2);
}
