"""What the integration tests share: a berthd on temporary roots, raw frame
helpers, and waiting for a condition with a deadline.

    with Daemon(ctx, "--max-frame", "1024") as d:
        with d.client() as c:
            c.call("io.berth.Service.Ping", payload="x")
        d.stop()                       # asserts exit status 0

The daemon runs in a fresh temporary directory (socket, root, run root and
its log there); leaving the with block always stops it, by its pid, and
removes the directory, whatever the test did.  A daemon that leaves with a
status other than 0 (a crash, a sanitizer report: ASan exits 23 on a leak)
fails the test with the tail of its log.
"""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import msgpack

import berth
from netns import Netns

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
ACTIVATE = os.path.join(HERE, "activate.py")
PYTHON = "/usr/bin/python3"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 20.0             # above berthd's own drain time (10 s)
MAX_FRAME_DEFAULT = 4 << 20
HEADER = struct.Struct(">I")


def version():
    """The version the Makefile builds (VERSION := x.y.z)."""
    with open(os.path.join(TOP, "Makefile")) as f:
        m = re.search(r"^VERSION\s*:?=\s*(\S+)", f.read(), re.M)
    return m.group(1)


def wait_for(cond, timeout, what, interval=0.01):
    """Poll cond() until it returns something true; return that.  Past the
    deadline, fail naming what was awaited and cond's last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for "
                                 f"{what} (last value: {value!r})")
        time.sleep(interval)



def caller(interface=""):
    """call(d, method, **parameters), one call on a new connection to
    berthd d with its result, and expect_error(name, d, method,
    **parameters), the same call failing with the error name (the
    BerthError is returned), for methods named interface + method
    ("io.berth.Container." and "Start", or "" and the full name)."""
    # Positional-only: a method's own parameters may be called name,
    # d or method.
    def call(d, method, /, **parameters):
        with d.client(timeout=60) as c:
            return c.call(interface + method, **parameters)

    def expect_error(ename, d, method, /, **parameters):
        try:
            r = call(d, method, **parameters)
        except berth.BerthError as e:
            assert e.name == ename, f"{method}: expected {ename}, got {e!r}"
            return e
        raise AssertionError(f"{method}{parameters}: expected {ename}, "
                             f"got {r!r}")
    return call, expect_error

# --- frames ---------------------------------------------------------------

def frame(obj):
    """One frame: the length header and the msgpack body of obj."""
    body = msgpack.packb(obj, use_bin_type=True)
    return HEADER.pack(len(body)) + body


def raw_frame(body):
    """A frame around bytes that need not be msgpack."""
    return HEADER.pack(len(body)) + body


def call_frame(method, parameters=None, **flags):
    call = {"method": method, "parameters": parameters or {}}
    call.update({k: True for k, v in flags.items() if v})
    return frame(call)


class Raw:
    """A bare connection for bytes no well-behaved client would send."""

    def __init__(self, path, timeout=10.0):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = bytearray()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def call(self, method, parameters=None, **flags):
        self.send(call_frame(method, parameters, **flags))

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                return False
            self.buf += chunk
        return True

    def recv_frame(self):
        """The next frame, decoded; None when the daemon closed first."""
        if not self._fill(HEADER.size):
            assert not self.buf, f"connection closed mid-header: {self.buf!r}"
            return None
        (n,) = HEADER.unpack_from(self.buf)
        assert n <= 64 << 20, f"reply announces {n} bytes"
        if not self._fill(HEADER.size + n):
            raise AssertionError("connection closed mid-frame")
        body = bytes(self.buf[HEADER.size:HEADER.size + n])
        del self.buf[:HEADER.size + n]
        reply = msgpack.unpackb(body, raw=False, strict_map_key=False)
        assert isinstance(reply, dict), f"reply is not a map: {reply!r}"
        return reply

    def reply(self):
        reply = self.recv_frame()
        assert reply is not None, "daemon closed the connection, no reply"
        return reply

    def expect_error(self, name, **parameters):
        """The next reply must be the error name with these parameters."""
        reply = self.reply()
        assert reply.get("error") == name, \
            f"expected {name}, got {reply!r}"
        assert isinstance(reply.get("message"), str) and reply["message"], \
            f"error without a message: {reply!r}"
        params = reply.get("parameters") or {}
        for k, v in parameters.items():
            assert params.get(k) == v, \
                f"{name}: parameter {k} is {params.get(k)!r}, want {v!r}"
        return reply

    def expect_closed(self, timeout=5.0):
        """The daemon closes the connection within timeout (anything it
        sends first is returned)."""
        self.sock.settimeout(timeout)
        data = bytearray(self.buf)
        self.buf.clear()
        deadline = time.monotonic() + timeout
        while True:
            try:
                chunk = self.sock.recv(1 << 16)
            except (ConnectionResetError, BrokenPipeError):
                return bytes(data)
            except socket.timeout:
                raise AssertionError(f"connection still open after "
                                     f"{timeout}s") from None
            if not chunk:
                return bytes(data)
            data += chunk
            if time.monotonic() > deadline:
                raise AssertionError(f"connection still open after "
                                     f"{timeout}s")

    def ping(self, payload):
        self.call("io.berth.Service.Ping", {"payload": payload})
        reply = self.reply()
        assert reply.get("parameters", {}).get("payload") == payload, \
            f"ping {payload!r}: {reply!r}"


# --- the daemon -----------------------------------------------------------

# Containers' cgroups of the tests' daemons: never the host's berthd's.
CGROUP_PARENT = f"berth-test-{os.getpid()}"


def cgroup_dirs(below=CGROUP_PARENT):
    """The directories named below under every cgroup hierarchy (v1
    controllers, the hybrid unified tree, or a pure v2 root)."""
    root = "/sys/fs/cgroup"
    out = []
    if os.path.isdir(os.path.join(root, below)):
        out.append(os.path.join(root, below))
    try:
        names = os.listdir(root)
    except OSError:
        return out
    for n in names:
        p = os.path.join(root, n, below)
        if os.path.isdir(p):
            out.append(p)
    return out


def sweep_cgroups(ids):
    """After a test's daemon: the cgroups of its containers that are
    left (a failed test) are emptied with SIGKILL and removed, and the
    tests' parent if nothing else is in it."""
    for top in cgroup_dirs():
        for cid in ids:
            d = os.path.join(top, cid)
            if not os.path.isdir(d):
                continue
            try:
                with open(os.path.join(d, "cgroup.procs")) as f:
                    pids = f.read().split()
            except OSError:
                pids = []
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            for _ in range(100):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        try:
            os.rmdir(top)
        except OSError:
            pass


class Daemon:
    """berthd on temporary roots.

    args        extra arguments
    dir         the directory for socket, roots and log (default: a fresh
                temporary one, removed at the end)
    socket, root, run_root
                override the paths inside dir (e.g. to share another
                daemon's root)
    launcher    a command prefix that starts berthd by socket activation:
                "activate" (tests/integration/activate.py) or "systemd"
                (systemd-socket-activate); the activated socket is
                dir/activated.sock, and the --socket passed is never used
    socket_mode the mode activate.py gives the activated socket
    dir_mode    the mode of the temporary directory (0755 lets other users
                reach the socket)
    netns       the Netns berthd runs in: by default one of its own, made
                here and deleted at cleanup, so that its bridges, rules
                and containers' packets never reach the host's network;
                False runs it in the test's own (the host's) namespace
    """

    def __init__(self, ctx, *args, dir=None, socket=None, root=None,
                 run_root=None, launcher=None, socket_mode=0o660,
                 dir_mode=0o700, env=None, start=True, netns=None):
        self.ctx = ctx
        self.own_netns = netns is None
        self.netns = Netns() if netns is None else (netns or None)
        self.own_dir = dir is None
        self.dir = dir or tempfile.mkdtemp(prefix="berth-test-")
        os.chmod(self.dir, dir_mode)
        self.socket = socket or os.path.join(self.dir, "berth.sock")
        self.root = root or os.path.join(self.dir, "root")
        self.run_root = run_root or os.path.join(self.dir, "run")
        self.logpath = os.path.join(self.dir, f"berthd-{id(self):x}.log")
        self.launcher = launcher
        self.activated = None
        if launcher:
            self.activated = os.path.join(self.dir, "activated.sock")
        self.args = list(args)
        self.env = env
        self.socket_mode = socket_mode
        self.proc = None
        self.returncode = None
        self.observed_exit = False
        if start:
            try:
                self.start()
            except BaseException:
                self.cleanup()
                raise

    # lifetime

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.finish()
        finally:
            self.cleanup()

    def command(self):
        daemon = [self.ctx.berthd, "--socket", self.socket,
                  "--root", self.root, "--run-root", self.run_root,
                  "--log-level", "debug",
                  "--cgroup-parent", CGROUP_PARENT] + self.args
        if self.launcher == "activate":
            return [PYTHON, ACTIVATE, "--mode", oct(self.socket_mode),
                    self.activated, "--"] + daemon
        if self.launcher == "systemd":
            return ["systemd-socket-activate", "-l", self.activated,
                    "--fdname=berthd.socket"] + daemon
        assert self.launcher is None, self.launcher
        return daemon

    def wrapped(self):
        """command() inside the daemon's network namespace (nsenter execs
        it, so the pid is berthd's or the launcher's)."""
        cmd = self.command()
        return self.netns.prefix() + cmd if self.netns else cmd

    @property
    def address(self):
        return "unix://" + self.path

    @property
    def path(self):
        """The socket clients use."""
        return self.activated or self.socket

    @property
    def pid(self):
        return self.proc.pid

    def start(self):
        with open(self.logpath, "ab") as log:
            self.proc = subprocess.Popen(
                self.wrapped(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=log, env=self.env, close_fds=True)
        self.returncode = None
        self.observed_exit = False
        self.wait_ready()

    def _connects(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(self.path)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def wait_ready(self):
        """Poll connect() every 10 ms until the socket accepts, failing with
        the log if berthd exits or never comes up."""
        deadline = time.monotonic() + START_TIMEOUT
        while not self._connects():
            if self.proc.poll() is not None:
                self.returncode = self.proc.returncode
                self.observed_exit = True
                raise AssertionError(
                    f"berthd exited with status {self.returncode} during "
                    f"start-up\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"berthd did not accept connections on "
                                     f"{self.path} within {START_TIMEOUT}s\n"
                                     f"{self.log_tail()}")
            time.sleep(0.01)
        if self.launcher:
            # The socket accepted before berthd ran; a round trip says it
            # now serves.
            with self.client(timeout=START_TIMEOUT) as c:
                c.call("io.berth.Service.Ping")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_exit(self, timeout):
        """Wait for berthd to exit by itself; its status, or fail."""
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"berthd still running after {timeout}s\n"
                                 f"{self.log_tail()}") from None
        self.observed_exit = True
        return self.returncode

    def stop(self, check=True, timeout=STOP_TIMEOUT):
        """SIGTERM, then wait (bounded) for the exit status, which must be
        0 unless check is False.  Returns it."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"berthd ignored SIGTERM for {timeout}s"
                                     f"\n{self.log_tail()}") from None
        self.returncode = self.proc.returncode
        self.observed_exit = True
        if check:
            self.check_status(self.returncode)
        return self.returncode

    def check_status(self, code, want=0):
        if code != want:
            hint = " (23: a sanitizer report)" if code == 23 else ""
            raise AssertionError(f"berthd exited with status {code}{hint}, "
                                 f"want {want}\n{self.log_tail()}")

    def kill(self):
        """SIGKILL by pid and reap."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        if self.proc is not None:
            self.returncode = self.proc.returncode

    def finish(self):
        """End of a passing test: stop berthd if running (status must be 0);
        if it had exited unobserved, that exit must have been clean too."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.stop()
        elif not self.observed_exit:
            self.observed_exit = True
            self.returncode = self.proc.returncode
            if self.returncode != 0:
                raise AssertionError(
                    f"berthd died during the test with status "
                    f"{self.returncode}\n{self.log_tail()}")

    def cleanup(self):
        """Always: no berthd left behind, no temporary directory."""
        try:
            if self.proc is not None and self.proc.poll() is None:
                try:
                    # Past berthd's drain: it stops its containers.
                    self.stop(check=False, timeout=STOP_TIMEOUT)
                except AssertionError:
                    pass
                self.kill()
        finally:
            try:
                ctrs = os.path.join(self.root, "containers")
                sweep_cgroups([n for n in (os.listdir(ctrs) if
                                           os.path.isdir(ctrs) else [])
                               if not n.startswith(".")])
            finally:
                if self.own_netns and self.netns:
                    self.netns.delete()
                    self.netns = None
                if self.own_dir:
                    shutil.rmtree(self.dir, ignore_errors=True)

    # looking at it

    def log(self):
        try:
            with open(self.logpath, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def log_tail(self, lines=40):
        tail = self.log().splitlines()[-lines:]
        return "--- berthd log (tail) ---\n" + "\n".join(tail)

    def _status_kib(self, field):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise AssertionError(f"no {field} for berthd")

    def rss_kib(self):
        """Resident memory now (VmRSS)."""
        return self._status_kib("VmRSS")

    def peak_kib(self):
        """The most address space berthd ever had (VmPeak): it grows with
        an allocation even if the memory was never touched or is freed."""
        return self._status_kib("VmPeak")

    def client(self, timeout=10.0, **kwargs):
        return berth.Client(self.address, timeout=timeout, **kwargs)

    def raw(self, timeout=10.0):
        return Raw(self.path, timeout)

    def status(self):
        with self.client() as c:
            return c.call("io.berth.Service.GetStatus")

    def ping(self, payload="ping", timeout=10.0):
        """A round trip on a new connection, each step within timeout."""
        with self.client(timeout=timeout) as c:
            reply = c.call("io.berth.Service.Ping", payload=payload)
        assert reply.get("payload") == payload, reply
        return reply


def run_berthd(ctx, args, timeout=10.0, **kwargs):
    """Run berthd expecting it to exit by itself (bad options, a refused
    start); a berthd still running after timeout is killed and fails."""
    p = subprocess.Popen([ctx.berthd] + args, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, **kwargs)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise AssertionError(f"berthd {' '.join(args)} still running after "
                             f"{timeout}s\nstdout: {out}\nstderr: {err}") \
            from None
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def as_user(uid, gid, groups, script, timeout=20.0):
    """Run a Python snippet as uid:gid with these supplementary groups (none
    when empty), with msgpack available; its stdout and status."""
    cmd = ["setpriv", f"--reuid={uid}", f"--regid={gid}"]
    cmd += [f"--groups={','.join(map(str, groups))}"] if groups \
        else ["--clear-groups"]
    cmd += [PYTHON, "-I", "-c", script]
    return subprocess.run(cmd, capture_output=True, text=True, cwd="/",
                          timeout=timeout)


def need_root():
    import unittest
    if os.geteuid() != 0:
        raise unittest.SkipTest("needs root")

