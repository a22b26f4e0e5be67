"""Docker's container commands in the berth CLI against a real berthd: run
(output, exit codes 0/N/125/126/127, -e -w -u --entrypoint -h, --rm, -d),
create/start/stop/kill/restart/rm/wait, logs (-f, --tail, -t, --since),
ps (filters, --format, -q, -n), inspect, container prune."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest

from harness import Daemon, need_root, wait_for
from image_harness import busybox


def berth(ctx, d, *args, stdin=None, timeout=60):
    if not os.access(ctx.berth, os.X_OK):
        raise unittest.SkipTest(f"{ctx.berth} not built")
    return subprocess.run([ctx.berth, "-H", d.address, *args],
                          capture_output=True, timeout=timeout,
                          stdin=stdin if stdin is not None
                          else subprocess.DEVNULL)


def ok(p):
    assert p.returncode == 0, (p.args, p.returncode, p.stdout, p.stderr)
    return p.stdout.decode()


class Busybox:
    """A daemon with busybox:latest loaded."""

    def __init__(self, ctx):
        need_root()
        self.ctx = ctx
        self.tmp = tempfile.TemporaryDirectory()
        self.d = Daemon(ctx)

    def __enter__(self):
        path = os.path.join(self.tmp.name, "busybox.tar")
        with open(path, "wb") as f:
            f.write(busybox("docker", "busybox:latest"))
        ok(self.run("load", "-i", path))
        return self

    def __exit__(self, *exc):
        try:
            self.d.__exit__(*exc)
        finally:
            self.tmp.cleanup()

    def run(self, *args, **kwargs):
        return berth(self.ctx, self.d, *args, **kwargs)

    def ok(self, *args, **kwargs):
        return ok(self.run(*args, **kwargs))

    def ps(self, *args):
        return self.ok("ps", *args).splitlines()

    def inspect(self, name):
        doc = json.loads(self.ok("inspect", name))
        assert isinstance(doc, list) and len(doc) == 1, doc
        return doc[0]

    def state(self, name):
        return self.ok("inspect", "--format", "{{.State.Status}}",
                       name).strip()


def test_run_prints_output_and_exits_with_the_containers_code(ctx):
    with Busybox(ctx) as b:
        p = b.run("run", "--rm", "busybox", "echo", "hello")
        assert (p.returncode, p.stdout, p.stderr) == (0, b"hello\n", b""), p
        p = b.run("run", "--rm", "busybox", "sh", "-c", "exit 3")
        assert p.returncode == 3, p
        p = b.run("run", "--rm", "busybox", "sh", "-c",
                  "echo out; echo err >&2; exit 7")
        assert (p.returncode, p.stdout, p.stderr) == (7, b"out\n",
                                                      b"err\n"), p
        # Flags end at the image: -c belongs to sh.
        p = b.run("run", "--rm", "busybox", "sh", "-c", "echo $0", "zero")
        assert p.stdout == b"zero\n", p
        assert b.ps("-a", "-q") == []


def test_run_exit_codes_of_failures(ctx):
    with Busybox(ctx) as b:
        p = b.run("run", "--rm", "nosuchimage")
        assert p.returncode == 125, p
        assert b"nosuchimage" in p.stderr, p.stderr
        p = b.run("run", "--rm", "busybox", "/etc/passwd")
        assert p.returncode == 126, p
        assert p.stderr.decode().count("\n") == 1, p.stderr
        p = b.run("run", "--rm", "busybox", "nosuchcommand")
        assert p.returncode == 127, p
        assert b"nosuchcommand" in p.stderr, p.stderr
        p = b.run("run", "--bogus-flag", "busybox")
        assert p.returncode == 125, p
        assert b"See 'berth run --help'." in p.stderr, p.stderr
        p = b.run("run", "--restart", "sometimes", "busybox")
        assert p.returncode == 125 and b"invalid restart policy" in p.stderr, p
        p = b.run("run", "-v", "data:data", "busybox")
        assert p.returncode == 125 and b"must be absolute" in p.stderr, p
        p = b.run("run", "--network", "bridge", "--network-alias", "x",
                  "busybox")
        assert p.returncode == 125 and b"network-scoped aliases" in \
            p.stderr, p
        # --rm removes a container whose start failed too.
        assert b.ps("-a", "-q") == []
        # Without --rm they stay, exited with Docker's codes.
        b.run("run", "--name", "noexec", "busybox", "/etc/passwd")
        state = b.inspect("noexec")["State"]
        assert state["Status"] == "exited" and state["ExitCode"] == 126, \
            state


def test_run_options_reach_the_container(ctx):
    with Busybox(ctx) as b:
        os.environ["BERTH_TEST_FROM_CLIENT"] = "client-value"
        try:
            out = b.ok("run", "--rm", "-e", "A=1", "-e",
                       "BERTH_TEST_FROM_CLIENT", "-e", "BERTH_TEST_UNSET",
                       "busybox", "env")
        finally:
            del os.environ["BERTH_TEST_FROM_CLIENT"]
        env = out.splitlines()
        assert "A=1" in env and "BERTH_TEST_FROM_CLIENT=client-value" in env, \
            env
        assert not any(l.startswith("BERTH_TEST_UNSET") for l in env), env
        with tempfile.NamedTemporaryFile("w", suffix=".env") as f:
            f.write("# comment\nFROM_FILE=yes\n")
            f.flush()
            assert "FROM_FILE=yes" in b.ok("run", "--rm", "--env-file",
                                           f.name, "busybox",
                                           "env").splitlines()
        assert b.ok("run", "--rm", "-w", "/tmp", "busybox", "pwd") == \
            "/tmp\n"
        out = b.ok("run", "--rm", "-u", "1234:5678", "busybox", "id")
        assert out.startswith("uid=1234 gid=5678"), out
        assert b.ok("run", "--rm", "-h", "myhost", "busybox",
                    "hostname") == "myhost\n"
        assert b.ok("run", "--rm", "--entrypoint", "/bin/echo", "busybox",
                    "a", "b") == "a b\n"
        # --entrypoint alone drops the image's cmd.
        assert b.ok("run", "--rm", "--entrypoint", "/bin/pwd", "-w", "/etc",
                    "busybox") == "/etc\n"
        assert b.ok("run", "--rm", "--read-only", "busybox", "sh", "-c",
                    "touch /x 2>/dev/null && echo rw || echo ro") == "ro\n"
        with tempfile.TemporaryDirectory() as host:
            with open(os.path.join(host, "f"), "w") as f:
                f.write("from host\n")
            assert b.ok("run", "--rm", "-v", f"{host}:/mnt:ro", "busybox",
                        "cat", "/mnt/f") == "from host\n"
            # Inspect names the settings as Docker does.
            b.ok("create", "--name", "hc", "-v", f"{host}:/mnt:ro", "-m",
                 "64m", "--privileged", "--cap-add", "NET_ADMIN",
                 "--restart", "on-failure:2", "busybox")
            doc = b.inspect("hc")
            hc = doc["HostConfig"]
            assert hc["Memory"] == 64 << 20 and hc["Privileged"], hc
            assert hc["CapAdd"] == ["NET_ADMIN"], hc
            assert hc["RestartPolicy"] == {"Name": "on-failure",
                                           "MaximumRetryCount": 2}, hc
            assert hc["Binds"] == [f"{host}:/mnt:ro"], hc
            assert doc["Mounts"] == [{
                "Type": "bind", "Source": host, "Destination": "/mnt",
                "Mode": "ro", "RW": False, "Propagation": "rprivate"}], doc
            b.ok("rm", "hc")
        out = b.ok("run", "--rm", "--tmpfs", "/scratch", "busybox", "sh",
                   "-c", "grep ' /scratch ' /proc/mounts | cut -d' ' -f3")
        assert out == "tmpfs\n", out
        out = b.ok("run", "--rm", "--ulimit", "nofile=123:456", "busybox",
                   "sh", "-c", "ulimit -n")
        assert out == "123\n", out


def test_detached_ps_stop_logs_wait(ctx):
    with Busybox(ctx) as b:
        cid = b.ok("run", "-d", "--name", "web", "-l", "tier=front",
                   "busybox", "sh", "-c",
                   "echo started; trap 'exit 5' TERM; "
                   "while true; do sleep 0.1; done").strip()
        assert len(cid) == 64 and all(c in "0123456789abcdef" for c in cid)
        rows = b.ps()
        assert rows[0].split()[:3] == ["CONTAINER", "ID", "IMAGE"], rows
        assert "NAMES" in rows[0] and "STATUS" in rows[0], rows
        assert len(rows) == 2 and rows[1].startswith(cid[:12]), rows
        assert "Up " in rows[1] and rows[1].endswith("web"), rows
        # Docker's COMMAND: path and args joined, quoted, cut to 20.
        assert '"sh -c echo started;…"' in rows[1], rows
        wait_for(lambda: b.ok("logs", "web") == "started\n", 10,
                 "the container's first line")
        assert b.state("web") == "running"
        assert b.ok("stop", "-t", "5", "web") == "web\n"
        assert b.ps("-q") == []
        rows = b.ps("-a")
        assert "Exited (5)" in rows[1], rows
        assert b.ok("wait", "web") == "5\n"
        assert b.ok("logs", "web") == "started\n"
        doc = b.inspect("web")
        assert doc["Id"] == cid, doc
        assert doc["State"]["Status"] == "exited", doc["State"]
        assert doc["State"]["ExitCode"] == 5, doc["State"]
        assert doc["Config"]["Cmd"][0] == "sh", doc["Config"]
        assert b.ok("container", "inspect", "-f", "{{.Config.Labels.tier}}",
                    "web") == "front\n"
        # Stopping a stopped container is fine; starting it again works.
        assert b.ok("stop", "web") == "web\n"
        assert b.ok("start", "web") == "web\n"
        assert b.state("web") == "running"
        assert b.ok("restart", "-t", "1", "web") == "web\n"
        assert b.state("web") == "running"
        assert b.ok("kill", "-s", "TERM", "web") == "web\n"
        assert b.ok("wait", "web") == "5\n"
        assert b.ok("rm", "web") == "web\n"
        assert b.ps("-a", "-q") == []
        p = b.run("rm", "web", "nothere")
        assert p.returncode == 1, p
        assert p.stderr.decode().count("Error response from daemon:") == 2, p


def test_logs_follow_tail_timestamps_since(ctx):
    with Busybox(ctx) as b:
        b.ok("run", "-d", "--name", "ticker", "busybox", "sh", "-c",
             "for i in 1 2 3 4 5; do echo line$i; sleep 0.4; done; "
             "echo oops >&2")
        start = time.monotonic()
        p = subprocess.Popen([ctx.berth, "-H", b.d.address, "logs", "-f",
                              "ticker"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        first = p.stdout.readline()
        # The first line comes while the container still runs.
        assert first == b"line1\n", first
        assert time.monotonic() - start < 1.5
        out, err = p.communicate(timeout=30)
        assert p.returncode == 0, (p.returncode, err)
        assert first + out == b"".join(b"line%d\n" % i
                                       for i in range(1, 6)), out
        assert err == b"oops\n", err
        p = b.run("logs", "--tail", "2", "ticker")
        assert (p.stdout, p.stderr) == (b"line5\n", b"oops\n"), p
        p = b.run("logs", "-n", "1", "ticker")
        assert (p.stdout, p.stderr) == (b"", b"oops\n"), p
        assert b.ok("logs", "--tail", "all", "ticker").count("\n") == 5
        lines = b.ok("logs", "-t", "ticker").splitlines()
        assert len(lines) == 5, lines
        ts, text = lines[0].split(" ", 1)
        assert text == "line1", lines
        assert ts.endswith("Z") and len(ts) == 30 and ts[10] == "T", ts
        assert b.ok("logs", "--since", "1h", "ticker").count("\n") == 5
        assert b.ok("logs", "--until", "1h", "ticker") == ""
        assert b.ok("logs", "--since", str(int(time.time()) + 60),
                    "ticker") == ""
        p = b.run("logs", "--since", "whenever", "ticker")
        assert p.returncode == 125, p
        p = b.run("logs", "nothere")
        assert p.returncode == 1, p


def test_create_start_attach_and_wait(ctx):
    with Busybox(ctx) as b:
        cid = b.ok("create", "--name", "c1", "busybox", "sh", "-c",
                   "echo hi; exit 4").strip()
        assert len(cid) == 64, cid
        assert b.state("c1") == "created"
        rows = b.ps("-a")
        assert "Created" in rows[1], rows
        p = b.run("start", "-a", "c1")
        assert (p.returncode, p.stdout) == (4, b"hi\n"), p
        assert b.ok("wait", "c1") == "4\n"
        assert b.ok("container", "ls", "-a", "-q") == cid[:12] + "\n"
        assert b.ok("ps", "-a", "-q", "--no-trunc") == cid + "\n"
        p = b.run("create", "--name", "c1", "busybox")
        assert p.returncode == 125, p
        p = b.run("start", "nothere")
        assert p.returncode == 1, p


def test_rm_force_and_kill_signals(ctx):
    with Busybox(ctx) as b:
        b.ok("run", "-d", "--name", "sleeper", "busybox", "sleep", "1000")
        p = b.run("rm", "sleeper")
        assert p.returncode == 1, p
        assert b.state("sleeper") == "running"
        assert b.ok("rm", "-f", "sleeper") == "sleeper\n"
        assert b.ps("-a", "-q") == []
        b.ok("run", "-d", "--name", "k", "busybox", "sh", "-c",
             "trap 'exit 42' USR1; while true; do sleep 0.1; done")
        time.sleep(0.3)
        assert b.ok("kill", "-s", "USR1", "k") == "k\n"
        assert b.ok("wait", "k") == "42\n"
        b.ok("start", "k")
        assert b.ok("kill", "k") == "k\n"
        assert b.ok("wait", "k") == "137\n"
        p = b.run("kill", "k")
        assert p.returncode == 1, p
        # Docker's daemon refuses it: its words, exit 1.
        p = b.run("kill", "-s", "NOPE", "k")
        assert (p.returncode, p.stderr) == (
            1, b"Error response from daemon: Invalid signal: NOPE\n"), p


def test_foreground_run_forwards_sigterm(ctx):
    with Busybox(ctx) as b:
        p = subprocess.Popen([ctx.berth, "-H", b.d.address, "run", "--rm",
                              "busybox", "sh", "-c",
                              "trap 'echo got term; exit 9' TERM; echo ready;"
                              " while true; do sleep 0.1; done"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert p.stdout.readline() == b"ready\n"
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        assert p.returncode == 9, (p.returncode, out, err)
        assert out == b"got term\n", out
        wait_for(lambda: b.ps("-a", "-q") == [], 10, "--rm's removal")


def test_ps_filters_and_format(ctx):
    with Busybox(ctx) as b:
        b.ok("run", "--name", "zero", "-l", "app=a", "busybox", "true")
        assert b.run("run", "--name", "three", "-l", "app=b", "busybox",
                     "sh", "-c", "exit 3").returncode == 3
        b.ok("create", "--name", "fresh", "busybox")
        time.sleep(1.1)  # "created" counts seconds: up is the latest
        b.ok("run", "-d", "--name", "up", "-l", "app=a", "busybox", "sleep",
             "1000")
        names = lambda *a: sorted(b.ok("ps", "--format", "{{.Names}}",
                                       *a).split())
        assert names() == ["up"]
        assert names("-a") == ["fresh", "three", "up", "zero"]
        assert names("-f", "status=exited") == ["three", "zero"]
        assert names("-a", "-f", "status=created") == ["fresh"]
        assert names("-a", "-f", "exited=3") == ["three"]
        assert names("-a", "-f", "label=app=a") == ["up", "zero"]
        assert names("-a", "-f", "label=app") == ["three", "up", "zero"]
        assert names("-a", "-f", "name=^th") == ["three"]
        assert names("-a", "-f", "ancestor=busybox") == \
            ["fresh", "three", "up", "zero"]
        assert names("-a", "-f", "ancestor=nothing") == []
        assert b.ok("ps", "-l", "--format", "{{.Names}}") == "up\n"
        out = b.ok("ps", "-n", "2", "--format", "{{.Names}}").split()
        assert len(out) == 2 and out[0] == "up", out
        out = b.ok("ps", "--format", "table {{.Names}}\t{{.Status}}")
        assert out.splitlines()[0].split() == ["NAMES", "STATUS"], out
        out = b.ok("ps", "--format", "{{.Names}} {{.State}} {{.Command}}")
        assert out == 'up running "sleep 1000"\n', out
        row = json.loads(b.ok("ps", "--format", "json"))
        assert row["Names"] == "up" and row["Image"] == "busybox", row
        # Docker's daemon refuses it: its words, exit 1.
        p = b.run("ps", "-f", "color=red")
        assert p.returncode == 1, p
        assert p.stderr == b"Error response from daemon: invalid filter " \
            b"'color'\n", p
        b.ok("rm", "-f", "up")


def test_container_prune_and_generic_inspect(ctx):
    with Busybox(ctx) as b:
        # 2 MiB written into its upper layer: what prune gives back.
        dead = b.ok("run", "--name", "done", "busybox", "sh", "-c",
                    "dd if=/dev/zero of=/f bs=1M count=2 2>/dev/null")
        assert dead == ""
        cid = b.inspect("done")["Id"]
        created = b.ok("create", "busybox").strip()
        b.ok("run", "-d", "--name", "alive", "busybox", "sleep", "1000")
        # "inspect" finds containers first, then images.
        img = json.loads(b.ok("inspect", "busybox"))[0]
        assert img["Id"].startswith("sha256:"), img
        assert b.ok("inspect", "--type", "container", "-f", "{{.Id}}",
                    "done") == cid + "\n"
        p = b.run("inspect", "nothing")
        assert p.returncode == 1 and b"No such object: nothing" in \
            p.stderr, p
        p = b.run("container", "inspect", "busybox")
        assert p.returncode == 1, p
        # Without -f prune asks; "n" keeps everything.
        out = b.ok("container", "prune")
        assert "Are you sure you want to continue? [y/N]" in out, out
        assert len(b.ps("-a", "-q")) == 3
        out = b.ok("container", "prune", "-f").splitlines()
        assert out[0] == "Deleted Containers:", out
        assert sorted(out[1:3]) == sorted([cid, created]), out
        assert out[-2] == "", out
        # Docker's decimal units; the files are gone when it answers.
        m = re.fullmatch(r"Total reclaimed space: ([0-9.]+)MB", out[-1])
        assert m and 2.097 <= float(m.group(1)) < 2.5, out
        alive = b.inspect("alive")["Id"]
        assert os.listdir(os.path.join(b.d.root, "containers")) == [alive]
        assert b.ps("-a", "--format", "{{.Names}}") == ["alive"]
        assert b.ok("container", "prune", "-f") == \
            "Total reclaimed space: 0B\n"
        out = b.ok("events", "--since", "0", "--until", str(time.time()),
                   "--filter", "type=container", "--filter", "event=prune",
                   "--format", "{{.Actor.Attributes.reclaimed}}").split()
        assert len(out) == 2 and int(out[0]) >= 2 << 20, out
        assert out[1] == "0", out
        b.ok("container", "rm", "-f", "alive")


def test_pause_and_unpause(ctx):
    with Busybox(ctx) as b:
        b.ok("run", "-d", "--name", "p", "busybox", "sleep", "1000")
        assert b.ok("pause", "p") == "p\n"
        assert b.state("p") == "paused"
        assert "(Paused)" in b.ps()[1], b.ps()
        p = b.run("pause", "p")
        assert p.returncode == 1 and b"already paused" in p.stderr, p
        assert b.ok("container", "unpause", "p") == "p\n"
        assert b.state("p") == "running"
        b.ok("pause", "p")
        assert b.ok("rm", "-f", "p") == "p\n"
        assert b.ps("-a", "-q") == []


def test_run_detached_start_failures_keep_dockers_codes(ctx):
    with Busybox(ctx) as b:
        for cmd, code in ((["nosuch"], 127), (["/etc/passwd"], 126)):
            p = b.run("run", "-d", "--rm", "busybox", *cmd)
            assert p.returncode == code, (cmd, p)
            assert p.stderr.strip(), p
        assert b.ps("-a", "-q") == []
