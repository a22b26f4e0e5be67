"""Interactive sessions through the real CLI and a real berthd: run -it
driven through a pty of the test's own (type, read, resize, detach with
ctrl-p ctrl-q, re-attach), run -i with piped stdin, start -ai, attach,
exec (-i, -t, -d, -e, -u, -w), detach keys, and the errors of each."""
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time

from harness import wait_for
from test_container_cli import Busybox, ok


class Pty:
    """A berth command on the slave side of a pty; the test types into
    the master and reads what the terminal shows."""

    def __init__(self, b, *args, rows=24, cols=80):
        self.master, slave = pty.openpty()
        self.resize(rows, cols, fd=slave)
        self.proc = subprocess.Popen(
            [b.ctx.berth, "-H", b.d.address, *args], stdin=slave,
            stdout=slave, stderr=slave, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.seen = b""

    def resize(self, rows, cols, fd=None):
        fcntl.ioctl(self.master if fd is None else fd, termios.TIOCSWINSZ,
                    struct.pack("HHHH", rows, cols, 0, 0))
        if fd is None:
            # The kernel signals the foreground group of the terminal.
            os.killpg(self.proc.pid, signal.SIGWINCH)

    def type(self, data):
        os.write(self.master, data)

    def expect(self, needle, timeout=10):
        deadline = time.monotonic() + timeout
        while needle not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{needle!r} not seen in "
                                     f"{self.seen[-500:]!r}")
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"EOF before {needle!r}: "
                                         f"{self.seen[-500:]!r}")
                self.seen += chunk
        i = self.seen.index(needle) + len(needle)
        before, self.seen = self.seen[:i], self.seen[i:]
        return before

    def wait(self, timeout=10):
        try:
            code = self.proc.wait(timeout)
        finally:
            self.close()
        return code

    def close(self):
        if self.proc.poll() is None:
            # Its whole session: a REPL's children too.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        try:
            os.close(self.master)
        except OSError:
            pass


def test_run_it_types_reads_resizes_detaches_and_reattaches(ctx):
    with Busybox(ctx) as b:
        t = Pty(b, "run", "-it", "--name", "tty1", "busybox", "sh",
                rows=30, cols=100)
        try:
            t.expect(b"# ")
            t.type(b"echo $((6 * 7))\r")
            t.expect(b"42")
            t.expect(b"# ")
            # The container's terminal has the client's size...
            t.type(b"stty size\r")
            t.expect(b"30 100")
            t.expect(b"# ")
            # ...and follows it when the client's terminal changes.
            t.resize(40, 120)
            time.sleep(0.3)
            t.type(b"stty size\r")
            t.expect(b"40 120")
            t.expect(b"# ")
            # A terminal: isatty, and ^C goes to the container's shell.
            t.type(b"[ -t 0 ] && echo TTY-YES\r")
            t.expect(b"TTY-YES")
            t.type(b"sleep 30\r")
            time.sleep(0.3)
            t.type(b"\x03")
            t.expect(b"# ")
            # ctrl-p ctrl-q: the client leaves, the container runs on.
            t.type(b"\x10\x11")
            assert t.wait() == 0
        finally:
            t.close()
        assert b.state("tty1") == "running"
        t = Pty(b, "attach", "tty1")
        try:
            t.type(b"echo back-$((1 + 1))\r")
            t.expect(b"back-2")
            t.type(b"exit 5\r")
            assert t.wait() == 5
        finally:
            t.close()
        assert b.state("tty1") == "exited"
        assert b.inspect("tty1")["State"]["ExitCode"] == 5
        # What the terminal showed is in the log too.
        assert "back-2" in b.ok("logs", "tty1")
        b.ok("rm", "tty1")


def test_detach_keys_are_configurable_and_a_prefix_is_passed_on(ctx):
    with Busybox(ctx) as b:
        t = Pty(b, "run", "-it", "--name", "dk", "--detach-keys",
                "ctrl-a,x", "busybox", "sh")
        try:
            t.expect(b"# ")
            # ctrl-p is a plain key now; "ctrl-a y" is not the
            # sequence, so both reach the shell (cat -v shows them).
            # (ctrl-q is the terminal's XON: the pty eats it.)
            t.type(b"cat -v\r")
            time.sleep(0.2)
            t.type(b"\x10\x02\x01y\r")
            t.expect(b"^P^B^Ay")
            t.type(b"\x04")
            t.expect(b"# ")
            t.type(b"\x01x")
            assert t.wait() == 0
        finally:
            t.close()
        assert b.state("dk") == "running"
        p = b.run("attach", "--detach-keys", "ctrl-nope", "dk")
        assert p.returncode != 0 and b"detach keys" in p.stderr, p
        p = b.run("attach", "--detach-keys", ",".join(["ctrl-a"] * 40),
                  "dk")
        assert p.returncode != 0 and b"detach keys" in p.stderr, p
        b.ok("rm", "-f", "dk")


def test_run_i_pipes_stdin_and_closes_it_at_eof(ctx):
    with Busybox(ctx) as b:
        data = b"".join(b"line %d\n" % i for i in range(20000))
        p = subprocess.run([ctx.berth, "-H", b.d.address, "run", "--rm",
                            "-i", "busybox", "sh", "-c",
                            "wc -l; echo done >&2"], input=data,
                           capture_output=True, timeout=60)
        assert p.returncode == 0, p
        assert p.stdout.strip() == b"20000" and p.stderr == b"done\n", p
        # Large input through cat comes back whole: input and output
        # flow at once, neither side stalls the other.
        big = os.urandom(4 << 20)
        p = subprocess.run([ctx.berth, "-H", b.d.address, "run", "--rm",
                            "-i", "busybox", "cat"], input=big,
                           capture_output=True, timeout=120)
        assert p.returncode == 0 and p.stdout == big, (p.returncode,
                                                        len(p.stdout))
        # Without -i the container's stdin is empty, not the client's.
        p = subprocess.run([ctx.berth, "-H", b.d.address, "run", "--rm",
                            "busybox", "sh", "-c", "cat; echo end"],
                           input=b"secret\n", capture_output=True,
                           timeout=30)
        assert p.returncode == 0 and p.stdout == b"end\n", p


def test_run_it_without_a_terminal_is_refused(ctx):
    with Busybox(ctx) as b:
        before = b.ps("-aq")
        p = subprocess.run([ctx.berth, "-H", b.d.address, "run", "-it",
                            "busybox", "true"], input=b"",
                           capture_output=True, timeout=30)
        assert p.returncode == 1, p
        assert b"the input device is not a TTY" in p.stderr, p
        assert b.ps("-aq") == before


def test_start_ai_and_attach_to_a_stdin_container(ctx):
    with Busybox(ctx) as b:
        b.ok("create", "-i", "--name", "ai", "busybox", "sh", "-c",
             "read x; echo got-$x; exit 4")
        p = subprocess.run([ctx.berth, "-H", b.d.address, "start", "-ai",
                            "ai"], input=b"hello\n", capture_output=True,
                           timeout=30)
        assert (p.returncode, p.stdout) == (4, b"got-hello\n"), p
        # attach to a -di container sends stdin to it; without
        # stdin_once the container's stdin stays open after our EOF.
        b.ok("run", "-di", "--name", "cat", "busybox", "sh", "-c",
             "while read l; do echo echo-$l; done")
        p = subprocess.Popen([ctx.berth, "-H", b.d.address, "attach",
                              "cat"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
        p.stdin.write(b"one\n")
        p.stdin.flush()
        line = p.stdout.readline()
        assert line == b"echo-one\n", line
        p.stdin.close()
        b.ok("stop", "-t", "1", "cat")
        assert p.wait(10) in (137, 143), p.returncode
        assert b.state("cat") == "exited"
        # Without sig-proxy a signal ends the client, not the container
        # (which would exit 42 if the TERM reached it).
        b.ok("run", "-d", "-i", "--name", "sp", "busybox", "sh", "-c",
             "trap 'exit 42' TERM; echo ready; while :; do sleep 0.1; done")
        wait_for(lambda: "ready" in b.ok("logs", "sp"), 10, "the trap set")
        p = subprocess.Popen([ctx.berth, "-H", b.d.address, "attach",
                              "--sig-proxy=false", "sp"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        time.sleep(0.5)
        p.send_signal(signal.SIGTERM)
        assert p.wait(10) == -signal.SIGTERM, p.returncode
        p.stdin.close()
        p.stdout.close()
        time.sleep(0.3)
        assert b.state("sp") == "running"
        b.ok("rm", "-f", "sp")
        # attach to a stopped container: Docker's error.
        p = b.run("attach", "cat")
        assert p.returncode == 1, p
        assert b"You cannot attach to a stopped container" in p.stderr, p
        b.ok("rm", "ai", "cat")


def test_exec_runs_in_the_container_with_its_options(ctx):
    with Busybox(ctx) as b:
        b.ok("run", "-d", "--name", "ex", "-e", "FROM_RUN=1", "busybox",
             "sleep", "300")
        out = b.ok("exec", "ex", "sh", "-c",
                   "echo $FROM_RUN $FROM_EXEC; id -u; pwd; hostname")
        lines = out.split("\n")
        assert lines[0] == "1" and lines[1] == "0" and lines[2] == "/", out
        host = b.inspect("ex")["Id"][:12]
        assert lines[3] == host, out
        out = b.ok("exec", "-e", "FROM_EXEC=2", "-e", "FROM_RUN=3", "-u",
                   "1000:1000", "-w", "/tmp", "ex", "sh", "-c",
                   "echo $FROM_RUN $FROM_EXEC; id -u; id -g; pwd")
        assert out.split() == ["3", "2", "1000", "1000", "/tmp"], out
        # --privileged: every capability, no seccomp filter.
        caps = b.ok("exec", "ex", "grep", "-E", "^(CapEff|Seccomp):",
                    "/proc/self/status").split()
        pcaps = b.ok("exec", "--privileged", "ex", "grep", "-E",
                     "^(CapEff|Seccomp):", "/proc/self/status").split()
        assert int(pcaps[1], 16) > int(caps[1], 16), (caps, pcaps)
        assert (caps[3], pcaps[3]) == ("2", "0"), (caps, pcaps)
        # Its own pid namespace is the container's.
        out = b.ok("exec", "ex", "ps", "-o", "pid,comm")
        assert "sleep" in out and " 1 " in out, out
        # Exit codes pass through; stderr stays stderr.
        p = b.run("exec", "ex", "sh", "-c", "echo oops >&2; exit 9")
        assert (p.returncode, p.stdout, p.stderr) == (9, b"", b"oops\n"), p
        p = b.run("exec", "ex", "nonexistent-command")
        assert p.returncode == 127, p
        p = b.run("exec", "ex", "/etc/passwd")
        assert p.returncode == 126, p
        # -i: stdin; without -i none.
        p = subprocess.run([ctx.berth, "-H", b.d.address, "exec", "-i",
                            "ex", "tr", "a-z", "A-Z"], input=b"shout\n",
                           capture_output=True, timeout=30)
        assert (p.returncode, p.stdout) == (0, b"SHOUT\n"), p
        # -d: returns at once; the process runs on in the container,
        # with a terminal too (not hung up when its client is gone).
        b.ok("exec", "-d", "ex", "sh", "-c", "sleep 0.2; touch /tmp/bg")
        wait_for(lambda: b.run("exec", "ex", "test", "-e",
                               "/tmp/bg").returncode == 0, 10,
                 "the detached exec ran")
        b.ok("exec", "-d", "-t", "ex", "sleep", "555")
        time.sleep(0.5)
        assert "sleep 555" in b.ok("exec", "ex", "ps", "-o", "args")
        # -t: a terminal, through a pty.
        t = Pty(b, "exec", "-it", "ex", "sh")
        try:
            t.expect(b"# ")
            t.type(b"tty\r")
            t.expect(b"/dev/pts/")
            t.type(b"exit 6\r")
            assert t.wait() == 6
        finally:
            t.close()
        # Errors: not running, paused, no such container.
        b.ok("pause", "ex")
        p = b.run("exec", "ex", "true")
        assert p.returncode != 0 and b"paused" in p.stderr, p
        b.ok("unpause", "ex")
        b.ok("stop", "-t", "0", "ex")
        p = b.run("exec", "ex", "true")
        assert p.returncode != 0 and b"not running" in p.stderr, p
        p = b.run("exec", "nosuch", "true")
        assert p.returncode != 0 and b"No such container" in p.stderr, p
        b.ok("rm", "ex")


def test_exec_session_ends_when_the_container_stops(ctx):
    with Busybox(ctx) as b:
        b.ok("run", "-d", "--name", "ex2", "busybox", "sleep", "300")
        p = subprocess.Popen([ctx.berth, "-H", b.d.address, "exec", "ex2",
                              "sleep", "300"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        time.sleep(0.5)
        b.ok("kill", "ex2")
        assert p.wait(10) == 137, p.returncode
        p.stdout.close()
        p.stderr.close()
        b.ok("rm", "ex2")


def test_run_rm_it_leaves_nothing_and_a_slow_reader_bounds_memory(ctx):
    with Busybox(ctx) as b:
        t = Pty(b, "run", "--rm", "-it", "busybox", "sh", "-c",
                "echo ready; read x; echo bye-$x")
        try:
            t.expect(b"ready")
            t.type(b"now\r")
            t.expect(b"bye-now")
            assert t.wait() == 0
        finally:
            t.close()
        wait_for(lambda: b.ps("-aq") == [], 10, "the container removed")
        # A client that does not read: berthd holds the container back
        # instead of queueing its output.
        b.ok("run", "-d", "-i", "--name", "flood", "busybox", "sh", "-c",
             "cat /dev/zero")
        p = subprocess.Popen([ctx.berth, "-H", b.d.address, "attach",
                              "--no-stdin", "flood"],
                             stdout=subprocess.PIPE)
        time.sleep(2)
        # Resident memory: the most berthd ever had in RAM.
        hwm = b.d._status_kib("VmHWM")
        assert hwm < 64 * 1024, hwm
        p.kill()
        p.wait()
        p.stdout.close()
        b.ok("rm", "-f", "flood")
