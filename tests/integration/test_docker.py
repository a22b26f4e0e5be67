"""Docker Engine (Debian's docker.io) runs containers on berth-runtime:
`dockerd --add-runtime berth=build/berth-runtime`, then `docker run
--runtime berth` with --rm, -it, -d, `docker exec`, `docker stop` and
`docker rm -f` behave as they do on runc.

Each test starts its own throwaway dockerd (DockerEngine) and proves after
its teardown that nothing of it is left: no process, no mount under its
directory, no network namespace, no cgroup.  dockerd and the containerd it
starts run in a network namespace of the test's own (nsenter --net: `ip
netns exec` would remount /sys and hide the cgroup hierarchies), with no
bridge, no iptables, no NAT, every root in one temporary directory,
containers' cgroups under /berth-docker-test-PID, containers with
--network none.  The image busybox:latest is tools/mkrootfs.sh's rootfs
imported with `docker import`: no registry.

Skipped without root, without dockerd and docker (apt-get install
docker.io), or when dockerd does not start (the reason is in the skip).
"""
import os
import pty
import select
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
MKROOTFS = os.path.join(TOP, "tools", "mkrootfs.sh")
CGROUP_ROOT = "/sys/fs/cgroup"
START_TIMEOUT = 30.0
CMD_TIMEOUT = 30.0


def _which(name, *extra):
    for d in extra:
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    return shutil.which(name)


class DockerEngine:
    """A dockerd of the test's own, with berth-runtime as runtime "berth".

        with DockerEngine(ctx) as d:
            r = d.docker("run", "--runtime", "berth", "--rm", ...)
    """

    def __init__(self, ctx):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root")
        self.dockerd = _which("dockerd")
        if self.dockerd is None:
            raise unittest.SkipTest("no dockerd (apt-get install docker.io)")
        # The client of the same package first: its API version matches.
        self.client = _which("docker", os.path.dirname(self.dockerd))
        if self.client is None:
            raise unittest.SkipTest("no docker client (apt-get install "
                                    "docker.io)")
        for tool in ("ip", "nsenter"):
            if shutil.which(tool) is None:
                raise unittest.SkipTest(f"no {tool}")
        if not os.path.exists("/bin/busybox"):
            raise unittest.SkipTest("no /bin/busybox (busybox-static)")
        self.runtime = os.path.join(ctx.build, "berth-runtime")
        if not os.access(self.runtime, os.X_OK):
            raise unittest.SkipTest(f"{self.runtime} not built")
        self.name = f"berth-docker-test-{os.getpid()}"
        self.cgparent = self.name
        self.dir = None
        self.proc = None
        self.netns = False

    # --- set-up ---

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.teardown()
            raise
        return self

    def __exit__(self, etype, exc, tb):
        left = self.teardown()
        if etype is None:
            assert not left, "left behind: " + "; ".join(left)

    def env(self):
        env = dict(os.environ)
        env["DOCKER_HOST"] = f"unix://{self.dir}/docker.sock"
        env["DOCKER_CONFIG"] = os.path.join(self.dir, "config")
        return env

    def _start(self):
        self.dir = tempfile.mkdtemp(prefix="berth-docker-test.")
        os.makedirs(os.path.join(self.dir, "config"))
        rootfs = os.path.join(self.dir, "rootfs")
        subprocess.run([MKROOTFS, rootfs], check=True, capture_output=True,
                       timeout=60)
        with open(os.path.join(self.dir, "daemon.json"), "w") as f:
            f.write("{}\n")
        subprocess.run(["ip", "netns", "add", self.name], check=True,
                       capture_output=True)
        self.netns = True
        subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"],
                       check=True, capture_output=True)
        self.log_path = os.path.join(self.dir, "dockerd.log")
        d = self.dir
        cmd = ["nsenter", f"--net=/run/netns/{self.name}", self.dockerd,
               "--config-file", f"{d}/daemon.json",
               "--data-root", f"{d}/data", "--exec-root", f"{d}/exec",
               "--pidfile", f"{d}/dockerd.pid",
               "-H", f"unix://{d}/docker.sock",
               "--containerd-namespace", self.name,
               "--containerd-plugins-namespace", self.name + "-plugins",
               "--bridge=none", "--iptables=false", "--ip6tables=false",
               "--ip-masq=false", "--storage-driver", "overlay2",
               "--exec-opt", "native.cgroupdriver=cgroupfs",
               "--cgroup-parent", "/" + self.cgparent,
               "--add-runtime", f"berth={self.runtime}"]
        with open(self.log_path, "w") as log:
            # nsenter execs dockerd: this pid is dockerd's.
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise unittest.SkipTest(
                    f"dockerd exited with {self.proc.returncode}: "
                    f"{self._log_tail()}")
            r = subprocess.run([self.client, "version"], env=self.env(),
                               capture_output=True, timeout=CMD_TIMEOUT)
            if r.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise unittest.SkipTest(
                    f"dockerd did not answer in {START_TIMEOUT:.0f}s: "
                    f"{self._log_tail()}")
            time.sleep(0.1)
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."],
                               stdout=subprocess.PIPE)
        r = subprocess.run([self.client, "import", "-", "busybox:latest"],
                           stdin=tar.stdout, env=self.env(),
                           capture_output=True, text=True,
                           timeout=CMD_TIMEOUT)
        tar.stdout.close()
        tar.wait()
        assert r.returncode == 0, f"docker import: {r.stderr}"

    def _log_tail(self, n=5):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-n:]).strip()
        except OSError:
            return "(no log)"

    # --- use ---

    def docker(self, *args, timeout=CMD_TIMEOUT, check=False):
        r = subprocess.run([self.client, *args], env=self.env(),
                           capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if check:
            assert r.returncode == 0, \
                f"docker {' '.join(args)}: exit {r.returncode}: {r.stderr}"
        return r

    def pty_session(self, *args):
        return PtySession([self.client, *args], self.env())

    # --- teardown ---

    def _cgroup_dirs(self):
        out = []
        if not os.path.isdir(CGROUP_ROOT):
            return out
        for h in os.listdir(CGROUP_ROOT):
            p = os.path.join(CGROUP_ROOT, h, self.cgparent)
            if os.path.isdir(p):
                out.append(p)
        return out

    def _cgroup_pids(self):
        pids = set()
        for top in self._cgroup_dirs():
            for d, _, files in os.walk(top):
                if "cgroup.procs" in files:
                    try:
                        with open(os.path.join(d, "cgroup.procs")) as f:
                            pids.update(int(x) for x in f.read().split())
                    except OSError:
                        pass
        return pids

    def _netns_pids(self):
        if not self.netns:
            return set()
        r = subprocess.run(["ip", "netns", "pids", self.name],
                           capture_output=True, text=True)
        return {int(x) for x in r.stdout.split()}

    def _pids_naming_dir(self):
        """Processes whose command line names our directory (containerd,
        its shims)."""
        pids = set()
        if self.dir is None:
            return pids
        key = self.dir.encode()
        for e in os.listdir("/proc"):
            if not e.isdigit():
                continue
            try:
                with open(f"/proc/{e}/cmdline", "rb") as f:
                    if key in f.read():
                        pids.add(int(e))
            except OSError:
                pass
        return pids

    def _mounts(self):
        if self.dir is None:
            return []
        out = []
        with open("/proc/self/mountinfo") as f:
            for line in f:
                mp = line.split()[4]
                if mp == self.dir or mp.startswith(self.dir + "/"):
                    out.append(mp)
        return out

    @staticmethod
    def _kill(pids):
        for p in pids:
            if p != os.getpid():
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def teardown(self):
        """Stop everything by pid and remove what it made; the list of
        what was still there afterwards."""
        if self.proc is not None and self.proc.poll() is None:
            r = self.docker("ps", "-aq", timeout=10)
            if r.returncode == 0 and r.stdout.split():
                self.docker("rm", "-f", *r.stdout.split(), timeout=20)
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        stray = self._netns_pids() | self._cgroup_pids() | \
            self._pids_naming_dir()
        self._kill(stray)
        deadline = time.monotonic() + 5
        while (self._cgroup_pids() or self._pids_naming_dir()) and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        for top in self._cgroup_dirs():
            for d, _, _ in sorted(os.walk(top), key=lambda w: -len(w[0])):
                try:
                    os.rmdir(d)
                except OSError:
                    pass
        for mp in sorted(self._mounts(), reverse=True):
            subprocess.run(["umount", "-l", mp], capture_output=True)
        if self.netns:
            subprocess.run(["ip", "netns", "del", self.name],
                           capture_output=True)
        left = []
        if stray:
            left.append(f"processes after dockerd stopped: {sorted(stray)}")
        pids = self._cgroup_pids() | self._pids_naming_dir()
        if pids:
            left.append(f"processes: {sorted(pids)}")
        if self._mounts():
            left.append(f"mounts: {self._mounts()}")
        if self._cgroup_dirs():
            left.append(f"cgroups: {self._cgroup_dirs()}")
        r = subprocess.run(["ip", "netns", "list"], capture_output=True,
                           text=True)
        if self.name in r.stdout.split():
            left.append(f"netns {self.name}")
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            if os.path.exists(self.dir):
                left.append(f"directory {self.dir}")
        self.netns = False
        self.proc = None
        return left


class PtySession:
    """A command on a pseudo-terminal of ours, as a person would type."""

    def __init__(self, argv, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.buf = b""

    def expect(self, pattern, timeout=10.0):
        deadline = time.monotonic() + timeout
        while pattern not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {pattern!r} in {self.buf!r}")
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                continue
            try:
                data = os.read(self.fd, 4096)
            except OSError:
                data = b""
            if not data:
                raise AssertionError(f"end of output before {pattern!r}: "
                                     f"{self.buf!r}")
            self.buf += data

    def send(self, text):
        os.write(self.fd, text.encode())

    def wait(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # Keep reading: a full pty would block the writer.
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if r:
                try:
                    self.buf += os.read(self.fd, 4096)
                except OSError:
                    pass
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
        self.close()
        raise AssertionError(f"still running after {timeout}s: {self.buf!r}")

    def close(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        try:
            os.close(self.fd)
        except OSError:
            pass


def _interactive_sh(session):
    """Type into busybox sh: $((6*7)) is 42, exit 3 is the exit code."""
    try:
        session.expect(b"# ")
        session.send("echo $((6*7))\r")
        session.expect(b"42")
        session.send("exit 3\r")
        return session.wait()
    finally:
        session.close()


# --- the tests ---

def test_docker_run_rm_echo_prints_hi(ctx):
    with DockerEngine(ctx) as d:
        r = d.docker("run", "--runtime", "berth", "--rm", "--network",
                     "none", "busybox", "echo", "hi")
        assert (r.returncode, r.stdout) == (0, "hi\n"), r
        # Docker's prestart hook (libnetwork-setkey) ran: it is what
        # brings lo up in the container's new network namespace.
        r = d.docker("run", "--runtime", "berth", "--rm", "--network",
                     "none", "busybox", "ip", "-o", "addr", "show", "lo")
        assert r.returncode == 0 and "127.0.0.1/8" in r.stdout, r
        # A user other than root: the init opens the exec fifo as it.
        r = d.docker("run", "--runtime", "berth", "--rm", "--network",
                     "none", "-u", "1000", "busybox", "id", "-u")
        assert (r.returncode, r.stdout) == (0, "1000\n"), r
        r = d.docker("run", "--runtime", "berth", "--rm", "--network",
                     "none", "busybox", "sh", "-c", "exit 42")
        assert r.returncode == 42, r
        assert d.docker("ps", "-aq", check=True).stdout == "", \
            "--rm left a container"


def test_docker_run_it_sh_is_interactive(ctx):
    with DockerEngine(ctx) as d:
        code = _interactive_sh(d.pty_session(
            "run", "--runtime", "berth", "-it", "--rm", "--network",
            "none", "busybox", "sh"))
        assert code == 3, f"exit code {code}"


def test_docker_exec_into_a_berth_container(ctx):
    with DockerEngine(ctx) as d:
        cid = d.docker("run", "--runtime", "berth", "-d", "--network",
                       "none", "busybox", "sleep", "100",
                       check=True).stdout.strip()
        r = d.docker("exec", cid, "sh", "-c", "echo in $(hostname)")
        assert (r.returncode, r.stdout) == (0, f"in {cid[:12]}\n"), r
        r = d.docker("exec", cid, "sh", "-c", "exit 5")
        assert r.returncode == 5, r
        # A detached exec's process must outlive berth-runtime exec.
        code = _interactive_sh(d.pty_session("exec", "-it", cid, "sh"))
        assert code == 3, f"exec -it exit code {code}"
        r = d.docker("top", cid, check=True)
        assert "sleep 100" in r.stdout, r
        start = time.monotonic()
        d.docker("rm", "-f", cid, check=True)
        took = time.monotonic() - start
        assert took < 5, f"docker rm -f took {took:.1f}s"
        assert d.docker("ps", "-aq", check=True).stdout == ""


def test_docker_stop_is_sigterm_then_sigkill(ctx):
    with DockerEngine(ctx) as d:
        # A process that ends on SIGTERM: stopped at once, its own code.
        cid = d.docker("run", "--runtime", "berth", "-d", "--network",
                       "none", "busybox", "sh", "-c",
                       "trap 'exit 7' TERM; while :; do sleep 0.1; done",
                       check=True).stdout.strip()
        time.sleep(0.3)     # let sh install its trap
        start = time.monotonic()
        d.docker("stop", "-t", "10", cid, check=True)
        took = time.monotonic() - start
        r = d.docker("inspect", "-f", "{{.State.ExitCode}}", cid, check=True)
        assert r.stdout.strip() == "7", r
        assert took < 5, f"stop of a SIGTERM-handling container: {took:.1f}s"
        d.docker("rm", cid, check=True)
        # pid 1 without a handler ignores SIGTERM: SIGKILL after -t.
        cid = d.docker("run", "--runtime", "berth", "-d", "--network",
                       "none", "busybox", "sleep", "100",
                       check=True).stdout.strip()
        start = time.monotonic()
        d.docker("stop", "-t", "1", cid, check=True)
        took = time.monotonic() - start
        r = d.docker("inspect", "-f", "{{.State.ExitCode}}", cid, check=True)
        assert r.stdout.strip() == "137", r
        assert 0.9 < took < 10, f"stop -t 1 took {took:.1f}s"
        d.docker("rm", cid, check=True)
