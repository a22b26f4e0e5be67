"""run --init: berth-init as the container's pid 1 (bound on /dev/init from
berthd's --init-path), with the command as its child; signals forwarded,
orphans reaped, the command's exit code passed through.  Also berth-init
alone, outside any container."""
import json
import os
import subprocess
import tempfile
import unittest

from harness import Daemon, need_root, wait_for
from image_harness import busybox


def init_binary(ctx):
    path = os.path.join(os.path.dirname(ctx.berthd), "berth-init")
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"{path} not built")
    return path


class Busybox:
    """A daemon (with these extra arguments) and busybox:latest loaded."""

    def __init__(self, ctx, *args):
        need_root()
        if not os.access(ctx.berth, os.X_OK):
            raise unittest.SkipTest(f"{ctx.berth} not built")
        init_binary(ctx)
        self.ctx = ctx
        self.tmp = tempfile.TemporaryDirectory()
        self.d = Daemon(ctx, *args)

    def __enter__(self):
        path = os.path.join(self.tmp.name, "busybox.tar")
        with open(path, "wb") as f:
            f.write(busybox("docker", "busybox:latest"))
        self.ok("load", "-i", path)
        return self

    def __exit__(self, *exc):
        try:
            self.d.__exit__(*exc)
        finally:
            self.tmp.cleanup()

    def run(self, *args, timeout=60):
        return subprocess.run([self.ctx.berth, "-H", self.d.address, *args],
                              capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def ok(self, *args, **kwargs):
        p = self.run(*args, **kwargs)
        assert p.returncode == 0, (p.args, p.returncode, p.stdout, p.stderr)
        return p.stdout.decode()

    def inspect(self, name):
        return json.loads(self.ok("inspect", name))[0]


# --- the host's view of a container's processes ----------------------------

def children(pid):
    """(pid, state, cmdline) of pid's children, from the host's /proc."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(k) for k in f.read().split()]
    except FileNotFoundError:
        return []
    out = []
    for k in kids:
        try:
            with open(f"/proc/{k}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            with open(f"/proc/{k}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")[:-1]
        except (FileNotFoundError, IndexError):
            continue
        out.append((k, state, [c.decode() for c in cmd]))
    return out


def cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return [c.decode() for c in f.read().split(b"\0")[:-1]]


# --- in containers ---------------------------------------------------------

def test_init_is_pid_1_and_the_command_its_child(ctx):
    with Busybox(ctx) as b:
        out = b.ok("run", "--rm", "--init", "busybox", "cat",
                   "/proc/1/cmdline")
        assert out.split("\0")[:-1] == ["/dev/init", "--", "cat",
                                         "/proc/1/cmdline"], repr(out)
        out = b.ok("run", "--rm", "--init", "busybox", "sh", "-c",
                   "echo $$ $PPID; cat /proc/1/comm")
        assert out.split() == ["2", "1", "init"], out
        # Without --init the command is pid 1 itself.
        out = b.ok("run", "--rm", "busybox", "sh", "-c", "echo $$")
        assert out.split() == ["1"], out
        # Inspect shows the command, and the host setting.
        b.ok("create", "--name", "c", "--init", "busybox", "sleep", "5")
        doc = b.inspect("c")
        assert (doc["Path"], doc["Args"]) == ("sleep", ["5"]), doc
        assert doc["HostConfig"].get("Init") is True, doc["HostConfig"]
        b.ok("rm", "c")


def test_stop_reaches_the_command_through_init(ctx):
    with Busybox(ctx) as b:
        # sleep as pid 1 has no handler: SIGTERM is ignored and only the
        # SIGKILL after -t ends it (137).
        b.ok("run", "-d", "--name", "bare", "busybox", "sleep", "1000")
        b.ok("stop", "-t", "2", "bare")
        assert b.inspect("bare")["State"]["ExitCode"] == 137, \
            b.inspect("bare")["State"]
        # Under berth-init, sleep is not pid 1: the forwarded SIGTERM
        # kills it, and init exits 128 + 15.
        b.ok("run", "-d", "--name", "init", "--init", "busybox", "sleep",
             "1000")
        pid = b.inspect("init")["State"]["Pid"]
        wait_for(lambda: [c[2] for c in children(pid)] ==
                 [["sleep", "1000"]], 10, "sleep under berth-init")
        b.ok("stop", "-t", "2", "init")
        state = b.inspect("init")["State"]
        assert (state["Status"], state["ExitCode"]) == ("exited", 143), \
            state
        # Any signal is passed on: kill -s USR1 ends sleep the same way.
        b.ok("start", "init")
        b.ok("kill", "-s", "USR1", "init")
        assert b.ok("wait", "init").strip() == "138"
        b.ok("rm", "bare", "init")


def test_orphans_are_reaped(ctx):
    script = "(sleep 0.1 &); exec sleep 1000"
    with Busybox(ctx) as b:
        # The orphaned sleep 0.1 goes to pid 1.  With sleep 1000 as pid 1
        # nobody reaps it: it stays a zombie.
        b.ok("run", "-d", "--name", "bare", "busybox", "sh", "-c", script)
        pid = b.inspect("bare")["State"]["Pid"]
        wait_for(lambda: [c[1] for c in children(pid)] == ["Z"], 10,
                 "a zombie under pid 1 without --init")
        # berth-init reaps it: only the command is left.
        b.ok("run", "-d", "--name", "init", "--init", "busybox", "sh", "-c",
             script)
        pid = b.inspect("init")["State"]["Pid"]
        assert cmdline(pid)[:2] == ["/dev/init", "--"], cmdline(pid)
        wait_for(lambda: [(c[1], c[2]) for c in children(pid)] ==
                 [("S", ["sleep", "1000"])], 10, "the orphan reaped")
        # And seen from inside: no Z in ps after the orphan has ended.
        out = b.ok("run", "--rm", "--init", "busybox", "sh", "-c",
                   "(sleep 0.1 &); sleep 1; ps -o stat,comm")
        assert "Z" not in [line.split()[0] for line in out.splitlines()[1:]
                           if line.split()], out
        b.ok("rm", "-f", "bare", "init")


def test_exit_codes_pass_through(ctx):
    with Busybox(ctx) as b:
        p = b.run("run", "--rm", "--init", "busybox", "sh", "-c", "exit 3")
        assert p.returncode == 3, p
        p = b.run("run", "--rm", "--init", "busybox", "sh", "-c",
                  "kill -KILL $$")
        assert p.returncode == 137, p
        p = b.run("run", "--rm", "--init", "busybox", "nosuchcommand")
        assert p.returncode == 127, p
        assert b"berth-init:" in p.stderr and b"nosuchcommand" in \
            p.stderr, p.stderr
        p = b.run("run", "--rm", "--init", "busybox", "/etc/passwd")
        assert p.returncode == 126, p
        assert b"berth-init:" in p.stderr, p.stderr


def test_init_with_a_read_only_root(ctx):
    with Busybox(ctx) as b:
        out = b.ok("run", "--rm", "--init", "--read-only", "busybox", "sh",
                   "-c", "cat /proc/1/comm; touch /x 2>/dev/null || "
                   "echo ro; touch /dev/init 2>/dev/null || echo init-ro")
        assert out.split() == ["init", "ro", "init-ro"], out
        # A writable root gets no /dev/init of its own either: it is on
        # /dev's tmpfs, not in the container's upper layer.
        b.ok("run", "--name", "c", "--init", "busybox", "true")
        cid = b.inspect("c")["Id"]
        top = os.path.join(b.d.root, "containers", cid)
        assert os.path.isdir(top), top
        left = [os.path.join(d, f) for d, _, files in os.walk(top)
                for f in files if f == "init" and os.path.basename(d) ==
                "dev"]
        assert left == [], left
        b.ok("rm", "c")


def test_missing_init_path_refuses_run_init(ctx):
    missing = "/nonexistent/berth-init"
    with Busybox(ctx, "--init-path", missing) as b:
        p = b.run("run", "--rm", "--init", "busybox", "true")
        assert p.returncode == 125, p
        err = p.stderr.decode()
        assert missing in err and "init" in err, err
        assert err.count("\n") == 1, err
        assert b.ok("ps", "-a", "-q") == "", b.ok("ps", "-a", "-q")
        # Containers without --init are not concerned.
        assert b.ok("run", "--rm", "busybox", "echo", "hi") == "hi\n"


# --- berth-init alone ------------------------------------------------------

def test_berth_init_outside_a_container(ctx):
    init = init_binary(ctx)

    def run(*args, **kwargs):
        return subprocess.run([init, *args], capture_output=True,
                              timeout=30, stdin=subprocess.DEVNULL, **kwargs)

    assert run("sh", "-c", "exit 5").returncode == 5
    assert run("--", "sh", "-c", "echo $0 $1", "a", "b").stdout == b"a b\n"
    assert run("sh", "-c", "kill -TERM $$").returncode == 143
    p = run("nosuchcommand")
    assert p.returncode == 127 and p.stderr.startswith(b"berth-init: "), p
    p = run("/etc/passwd")
    assert p.returncode == 126 and p.stderr.startswith(b"berth-init: "), p
    assert run().returncode == 2
    # A signal to berth-init reaches the command: here a trap that
    # exits 7.
    p = subprocess.Popen([init, "sh", "-c",
                          "trap 'exit 7' TERM; echo ready; "
                          "while :; do sleep 0.05; done"],
                         stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        assert p.stdout.readline() == b"ready\n"
        p.terminate()
        assert p.wait(timeout=10) == 7
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
    # Outside pid 1, a subreaper: the orphan comes to berth-init and is
    # reaped, only the command is left.
    p = subprocess.Popen([init, "sh", "-c", "(sleep 0.1 &); exec sleep 1000"],
                         stdin=subprocess.DEVNULL)
    try:
        wait_for(lambda: [(c[1], c[2]) for c in children(p.pid)] ==
                 [("S", ["sleep", "1000"])], 10, "the orphan reaped")
        p.terminate()
        assert p.wait(timeout=10) == 143
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
