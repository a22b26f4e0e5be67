"""What the OCI runtime tests share: a busybox rootfs, OCI bundles with a
config.json of the shape `runc spec` writes, and a runtime run on them that
always cleans up and then proves nothing was left behind.

    with Bundle(ctx, ["sh", "-c", "echo $$"], hostname="box") as b:
        b.config["linux"]["resources"]["pids"] = {"limit": 20}
        r = b.run()                 # writes config.json, runs, waits
        assert r.code == 0 and r.out == "1\\n", r

The runtime is build/berth-runtime, or the binary named by the environment
variable BERTH_TEST_RUNTIME (e.g. /usr/sbin/runc, to check the tests
themselves against a reference runtime).  Both take runc's command line:
`RUNTIME --root STATE run --bundle BUNDLE ID`.

The rootfs (tools/mkrootfs.sh plus tests/integration/probe.c compiled
static as /bin/probe) is built once per test run into BUILD/test-rootfs and
copied into each bundle, so a container may write to it.

A container that outlives the runtime's command (`create`, `run -d`,
`exec -d`) holds the stdio it was given, so those go through
Bundle.runtime_detached, which gives them files in the bundle instead of
pipes.  Bundle.runtime_cmd(..., runtime=PATH) runs another runtime (runc)
on the same bundle with a state root of its own, cleaned up the same way.

Leaving the with block always: `delete --force`, SIGKILL by pid of every
process still in the container's cgroup, removal of the state directory and
the bundle.  Then it checks, and fails the test if any was found: a process
in the container's cgroup, the container's cgroup in any hierarchy under
/sys/fs/cgroup, a mount of or under the bundle in /proc/self/mountinfo, a
non-empty berth-test-PID parent cgroup (the empty ones are removed, rmdir
only).
"""
import errno
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
MKROOTFS = os.path.join(TOP, "tools", "mkrootfs.sh")
PROBE_SRC = os.path.join(HERE, "probe.c")
CGROUP_ROOT = "/sys/fs/cgroup"
RUN_TIMEOUT = 25.0
CLEANUP_TIMEOUT = 10.0
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Docker's 14 default capabilities, and their mask (bit = CAP_* number).
DOCKER_CAPS = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
    "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP",
    "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
    "CAP_AUDIT_WRITE",
]
CAP_NUMBERS = {
    "CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2,
    "CAP_FOWNER": 3, "CAP_FSETID": 4, "CAP_KILL": 5, "CAP_SETGID": 6,
    "CAP_SETUID": 7, "CAP_SETPCAP": 8, "CAP_LINUX_IMMUTABLE": 9,
    "CAP_NET_BIND_SERVICE": 10, "CAP_NET_BROADCAST": 11,
    "CAP_NET_ADMIN": 12, "CAP_NET_RAW": 13, "CAP_IPC_LOCK": 14,
    "CAP_IPC_OWNER": 15, "CAP_SYS_MODULE": 16, "CAP_SYS_RAWIO": 17,
    "CAP_SYS_CHROOT": 18, "CAP_SYS_PTRACE": 19, "CAP_SYS_PACCT": 20,
    "CAP_SYS_ADMIN": 21, "CAP_SYS_BOOT": 22, "CAP_SYS_NICE": 23,
    "CAP_SYS_RESOURCE": 24, "CAP_SYS_TIME": 25, "CAP_SYS_TTY_CONFIG": 26,
    "CAP_MKNOD": 27, "CAP_LEASE": 28, "CAP_AUDIT_WRITE": 29,
    "CAP_AUDIT_CONTROL": 30, "CAP_SETFCAP": 31,
}


def caps_mask(names):
    return sum(1 << CAP_NUMBERS[n] for n in names)


# runc spec's masked and read-only paths (Docker's are the same plus a few
# that this kernel may not have).
MASKED_PATHS = [
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
]
READONLY_PATHS = [
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
]

# Clone flags that make namespaces (Docker's mask 0x7E020000, bit by bit).
CLONE_NS_FLAGS = [0x00020000, 0x02000000, 0x04000000, 0x08000000,
                  0x10000000, 0x20000000, 0x40000000]


def default_seccomp():
    """The refusals of Docker's default profile for a container without
    CAP_SYS_ADMIN, CAP_SYS_BOOT, CAP_SYS_MODULE ..., as an OCI linux.seccomp
    deny list: EPERM for each, clone with a namespace flag EPERM, clone3
    ENOSYS (so libc falls back to clone).  Docker's own profile is an allow
    list; what the tests check is that these are refused."""
    denied = [
        "acct", "add_key", "bpf", "clock_adjtime", "clock_settime",
        "create_module", "delete_module", "finit_module", "fsconfig",
        "fsmount", "fsopen", "fspick", "get_kernel_syms", "init_module",
        "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl",
        "lookup_dcookie", "mount", "mount_setattr", "move_mount",
        "name_to_handle_at", "nfsservctl", "open_by_handle_at", "open_tree",
        "perf_event_open", "pivot_root", "query_module", "quotactl",
        "reboot", "request_key", "setns", "settimeofday", "swapoff",
        "swapon", "syslog", "umount", "umount2", "unshare", "uselib",
        "userfaultfd", "vhangup",
    ]
    syscalls = [{"names": denied, "action": "SCMP_ACT_ERRNO",
                 "errnoRet": errno.EPERM}]
    for flag in CLONE_NS_FLAGS:
        syscalls.append({
            "names": ["clone"], "action": "SCMP_ACT_ERRNO",
            "errnoRet": errno.EPERM,
            "args": [{"index": 0, "value": flag, "valueTwo": flag,
                      "op": "SCMP_CMP_MASKED_EQ"}],
        })
    syscalls.append({"names": ["clone3"], "action": "SCMP_ACT_ERRNO",
                     "errnoRet": errno.ENOSYS})
    return {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
                          "SCMP_ARCH_X32"],
        "syscalls": syscalls,
    }


def base_config(args, cgroups_path):
    """config.json as `runc spec` writes it (runc 1.1), with Docker's 14
    capabilities instead of runc's 3, no terminal, a writable root, a
    cgroup namespace, and the test's own cgroupsPath."""
    return {
        "ociVersion": "1.0.2-dev",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": list(args),
            "env": [f"PATH={PATH}", "TERM=xterm"],
            "cwd": "/",
            "capabilities": {
                "bounding": list(DOCKER_CAPS),
                "effective": list(DOCKER_CAPS),
                "permitted": list(DOCKER_CAPS),
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024,
                         "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": False},
        "hostname": "berth-test",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755",
                         "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts",
             "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance",
                         "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777",
                         "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue",
             "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup",
             "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
        ],
        "linux": {
            "cgroupsPath": cgroups_path,
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [{"type": t} for t in
                           ("pid", "network", "ipc", "uts", "mount",
                            "cgroup")],
            "maskedPaths": list(MASKED_PATHS),
            "readonlyPaths": list(READONLY_PATHS),
        },
    }


# --- the rootfs, once per run ----------------------------------------------

_rootfs_ready = {}


def rootfs_cache(ctx):
    """BUILD/test-rootfs/rootfs, (re)built on the first call of this run."""
    cache = os.path.join(ctx.build, "test-rootfs")
    root = os.path.join(cache, "rootfs")
    if _rootfs_ready.get(root):
        return root
    if not os.path.exists("/bin/busybox"):
        raise unittest.SkipTest("no /bin/busybox (package busybox-static)")
    os.makedirs(cache, exist_ok=True)
    p = subprocess.run([MKROOTFS, root], capture_output=True, text=True,
                       timeout=60)
    if p.returncode != 0:
        raise AssertionError(f"tools/mkrootfs.sh failed: {p.stderr}")
    probe = os.path.join(root, "bin", "probe")
    tmp = probe + ".tmp"
    p = subprocess.run(["cc", "-static", "-O2", "-o", tmp, PROBE_SRC],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"cc -static probe.c failed: {p.stderr}")
    os.replace(tmp, probe)
    _rootfs_ready[root] = True
    return root


# --- the runtime -----------------------------------------------------------

def runtime_binary(ctx):
    path = os.environ.get("BERTH_TEST_RUNTIME") or \
        os.path.join(ctx.build, "berth-runtime")
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"{path} not built")
    return path


def need_root():
    if os.geteuid() != 0:
        raise unittest.SkipTest("needs root")


class Result:
    def __init__(self, args, code, out, err):
        self.args, self.code, self.out, self.err = args, code, out, err

    def __repr__(self):
        return (f"<{' '.join(self.args)}: exit {self.code}\n"
                f"--- stdout ---\n{self.out}--- stderr ---\n{self.err}>")

    def ok(self):
        assert self.code == 0, f"want exit 0: {self!r}"
        return self


def _own_cgroups():
    """{controller dir name: this process's cgroup path in it}."""
    own = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if ctrls == "":
                own["unified"] = path
            for c in ctrls.split(","):
                own[c.replace("name=", "")] = path
    return own


def _cgroup_hierarchies():
    """Every mounted cgroup hierarchy's directory under /sys/fs/cgroup
    (each v1 controller and the unified tree), resolved through the
    cpu,cpuacct-style symlinks."""
    out = set()
    try:
        names = os.listdir(CGROUP_ROOT)
    except FileNotFoundError:
        return []
    if "cgroup.controllers" in names:
        return [CGROUP_ROOT]
    for n in names:
        p = os.path.realpath(os.path.join(CGROUP_ROOT, n))
        if os.path.isdir(p):
            out.add(p)
    return sorted(out)


def _walk_dirs(top, max_depth=8):
    stack = [(top, 0)]
    while stack:
        d, depth = stack.pop()
        yield d
        if depth >= max_depth:
            continue
        try:
            with os.scandir(d) as it:
                for e in it:
                    if e.is_dir(follow_symlinks=False):
                        stack.append((e.path, depth + 1))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            pass


class Bundle:
    """An OCI bundle in a temporary directory, a container id and cgroup
    path of its own, and the runtime to run it with."""

    _ids = itertools.count(1)

    def __init__(self, ctx, args, *, hostname=None, user=None, cwd=None,
                 env=None, caps=None, readonly=False, seccomp=False,
                 memory=None, pids=None, cpu=None, mounts=(),
                 namespaces=None, timeout=RUN_TIMEOUT):
        need_root()
        self.ctx = ctx
        self.runtime = runtime_binary(ctx)
        self.timeout = timeout
        self.id = f"bt{os.getpid()}-{next(self._ids)}"
        self.cgroup_parent = f"berth-test-{os.getpid()}"
        self.cgroups_path = f"{self.cgroup_parent}/{self.id}"
        self.dir = tempfile.mkdtemp(prefix="berth-bundle-")
        self.state = tempfile.mkdtemp(prefix="berth-state-")
        self.rootfs = os.path.join(self.dir, "rootfs")
        self.pid = None
        self.detached = []
        self.other_states = {}          # runtime path: its state root
        self._outputs = itertools.count(1)
        try:
            cache = rootfs_cache(ctx)
            subprocess.run(["cp", "-a", cache, self.rootfs], check=True,
                           timeout=60)
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            shutil.rmtree(self.state, ignore_errors=True)
            raise

        c = self.config = base_config(args, self.cgroups_path)
        p, lx = c["process"], c["linux"]
        if hostname is not None:
            c["hostname"] = hostname
        if user is not None:
            p["user"] = dict(user)
        if cwd is not None:
            p["cwd"] = cwd
        if env is not None:
            p["env"] = list(env)
        if caps is not None:
            p["capabilities"] = {k: list(caps) for k in
                                 ("bounding", "effective", "permitted")}
        c["root"]["readonly"] = readonly
        if seccomp:
            lx["seccomp"] = default_seccomp() if seccomp is True else seccomp
        res = lx["resources"]
        if memory is not None:
            res["memory"] = {"limit": memory, "swap": memory}
        if pids is not None:
            res["pids"] = {"limit": pids}
        if cpu is not None:
            res["cpu"] = {"quota": int(cpu * 100000), "period": 100000}
        c["mounts"].extend(mounts)
        if namespaces is not None:
            lx["namespaces"] = [{"type": t} for t in namespaces]

    # running

    def write_config(self):
        with open(os.path.join(self.dir, "config.json"), "w") as f:
            json.dump(self.config, f, indent=2)

    def _cmd(self, *args, runtime=None):
        if runtime is None or runtime == self.runtime:
            return [self.runtime, "--root", self.state] + list(args)
        if runtime not in self.other_states:
            self.other_states[runtime] = tempfile.mkdtemp(
                prefix="berth-state-other-")
        return [runtime, "--root", self.other_states[runtime]] + list(args)

    def runtime_cmd(self, *args, timeout=None, stdin=subprocess.DEVNULL,
                    runtime=None):
        """Run the runtime (or another one, e.g. /usr/sbin/runc, with a
        state root of its own) with these arguments; its Result.  Past the
        timeout it is killed and the test fails."""
        cmd = self._cmd(*args, runtime=runtime)
        timeout = timeout or self.timeout
        p = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             errors="replace", cwd=self.dir)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            try:
                out, err = p.communicate(timeout=2)
            except subprocess.TimeoutExpired:
                # What it left running (a created container) holds the
                # pipes: use runtime_detached for such commands.
                out = err = "(a process it left holds the pipe open)"
                p.stdout.close()
                p.stderr.close()
                p.wait()
            raise AssertionError(f"{' '.join(cmd)} still running after "
                                 f"{timeout}s\nstdout: {out}\nstderr: {err}"
                                 ) from None
        return Result(cmd, p.returncode, out, err)

    def run(self, timeout=None):
        """`run --bundle DIR ID` in the foreground: the container's exit
        code, stdout and stderr (the runtime's own messages included)."""
        self.write_config()
        return self.runtime_cmd("run", "--bundle", self.dir, self.id,
                                timeout=timeout)

    def runtime_detached(self, *args, timeout=None, name=None):
        """Run the runtime with these arguments, its stdout and stderr
        going to files in the bundle (what it leaves running keeps them);
        its Result once the runtime has returned, with .pid (the runtime
        command's own pid) and .stdout_path / .stderr_path (read again
        later for what the container wrote)."""
        name = name or f"out{next(self._outputs)}"
        out_path = os.path.join(self.dir, name + ".stdout")
        err_path = os.path.join(self.dir, name + ".stderr")
        cmd = self._cmd(*args)
        timeout = timeout or self.timeout
        with open(out_path, "w") as o, open(err_path, "w") as e:
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=o,
                                 stderr=e, cwd=self.dir)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise AssertionError(f"{' '.join(cmd)} did not return "
                                     f"within {timeout}s") from None
        r = Result(cmd, p.returncode, self._read(out_path),
                   self._read(err_path))
        r.pid, r.stdout_path, r.stderr_path = p.pid, out_path, err_path
        return r

    def _adopt(self, r, what):
        assert r.code == 0, f"{what} failed: {r!r}"
        st = self.state_json()
        self.pid = st.get("pid")
        assert self.pid, f"no pid in state: {st}"
        return r

    def run_detached(self, *options):
        """`run -d`: the container's stdio goes to files in the bundle (a
        pipe would be held open by the container); returns once the
        runtime has returned, with the container's pid."""
        self.write_config()
        r = self.runtime_detached("run", "-d", *options, "--bundle",
                                  self.dir, self.id, name="run")
        self.stdout_path, self.stderr_path = r.stdout_path, r.stderr_path
        return self._adopt(r, "run -d")

    def create(self, *options):
        """`create`: like run_detached, the container waiting for
        `start`; its stdio is the files r.stdout_path and r.stderr_path."""
        self.write_config()
        r = self.runtime_detached("create", *options, "--bundle", self.dir,
                                  self.id, name="create")
        self.stdout_path, self.stderr_path = r.stdout_path, r.stderr_path
        return self._adopt(r, "create")

    def status(self):
        return self.state_json()["status"]

    def wait_status(self, want, timeout=10.0):
        """Poll `state` until the status is want; fail past the timeout."""
        wait_for(lambda: self.status() == want, timeout,
                 f"{self.id} status {want}")

    @staticmethod
    def _read(path):
        with open(path, errors="replace") as f:
            return f.read()

    def state_json(self):
        r = self.runtime_cmd("state", self.id).ok()
        try:
            return json.loads(r.out)
        except ValueError:
            raise AssertionError(f"state is not JSON: {r!r}") from None

    def exec(self, *args, timeout=None):
        return self.runtime_cmd("exec", self.id, *args, timeout=timeout)

    # cleaning up

    def __enter__(self):
        return self

    def __exit__(self, etype, exc, tb):
        leftovers = self.cleanup()
        if leftovers and etype is None:
            raise AssertionError("left behind after the test:\n  " +
                                 "\n  ".join(leftovers))
        return False

    def _pids_in_cgroup(self):
        """Host pids whose cgroup path (any hierarchy) ends in ours."""
        found = []
        suffix = "/" + self.cgroups_path
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/cgroup") as f:
                    text = f.read()
            except OSError:
                continue
            if any(l.endswith(suffix) or (suffix + "/") in l
                   for l in text.splitlines()):
                found.append(int(d))
        return found

    def _cgroup_dirs(self, name_suffix):
        hits = []
        for h in _cgroup_hierarchies():
            for d in _walk_dirs(h):
                if d.endswith("/" + name_suffix):
                    hits.append(d)
        return hits

    def _mounts(self):
        hits = []
        with open("/proc/self/mountinfo") as f:
            for line in f:
                fields = line.split()
                root, point = fields[3], fields[4]
                for p in (root, point):
                    if p == self.dir or p.startswith(self.dir + "/"):
                        hits.append(point)
                        break
        return hits

    def cgroup_dirs(self):
        """The container's cgroup directories, in every hierarchy."""
        return self._cgroup_dirs(self.cgroups_path)

    def cleanup(self):
        """Delete the container, kill what is left by pid, remove the
        state and the bundle; return what was found left behind."""
        leftovers = []
        for runtime in [self.runtime] + list(self.other_states):
            try:
                subprocess.run(self._cmd("delete", "--force", self.id,
                                         runtime=runtime),
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL,
                               timeout=CLEANUP_TIMEOUT)
            except subprocess.TimeoutExpired:
                leftovers.append(f"{runtime} delete --force {self.id} hung "
                                 f"for {CLEANUP_TIMEOUT}s")

        # Processes: in our cgroup, or the container's init.
        pids = set(self._pids_in_cgroup())
        if self.pid and os.path.exists(f"/proc/{self.pid}"):
            try:
                with open(f"/proc/{self.pid}/stat") as f:
                    if f.read().split()[2] != "Z":
                        pids.add(self.pid)
            except OSError:
                pass
        for pid in sorted(pids):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(
                        errors="replace").strip()
            except OSError:
                cmd = "?"
            leftovers.append(f"process {pid} ({cmd})")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        # Cgroups: ours must be gone; the shared parent removed if empty.
        deadline = time.monotonic() + 5
        stale = self._cgroup_dirs(self.cgroups_path)
        for d in stale:
            leftovers.append(f"cgroup {d}")
            while True:                 # the killed may take a moment
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
        for d in self._cgroup_dirs(self.cgroup_parent):
            try:
                os.rmdir(d)
            except FileNotFoundError:
                pass
            except OSError as e:
                leftovers.append(f"cgroup parent {d} not removable: "
                                 f"{os.strerror(e.errno)} "
                                 f"({os.listdir(d) if os.path.isdir(d) else ''})")

        # Mounts of or under the bundle in the test's own mount namespace.
        for point in reversed(self._mounts()):
            leftovers.append(f"mount on {point}")
            subprocess.run(["umount", "-l", point], capture_output=True)

        shutil.rmtree(self.state, ignore_errors=True)
        for state in self.other_states.values():
            shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(self.dir, ignore_errors=True)
        return leftovers


def wait_for(predicate, timeout=10.0, what="the condition"):
    """Poll predicate every 20 ms until it is true; fail past the
    timeout.  For what the test cannot be told of (a file a trap writes,
    a process gone), never as a fixed sleep."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.02)


def bind_mount(source, destination, *options):
    return {"destination": destination, "type": "bind", "source": source,
            "options": ["rbind"] + list(options)}


def host_namespaces(pid, kinds):
    return {k: os.readlink(f"/proc/{pid}/ns/{k}") for k in kinds}
