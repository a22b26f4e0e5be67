"""berth's REPL (berth shell) through a pty of the test's own against a
real berthd: completion of a container made a moment before, history
across two sessions, ctrl-C out of logs -f back to the prompt, run -it
inside the REPL and back; and berth shell reading a script (stops at the
first failing command with its code, or goes on with --keep-going), and
berth with no command and no terminal printing usage as before."""
import os
import subprocess
import tempfile

from test_container_cli import Busybox
from test_container_interactive import Pty

PROMPT = b")> "
UP = b"\x1b[A"


class History:
    """BERTH_HISTORY in a temporary directory, for the REPLs started
    meanwhile: no test writes to the user's ~/.berth_history."""

    def __enter__(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "history")
        self.old = os.environ.get("BERTH_HISTORY")
        os.environ["BERTH_HISTORY"] = self.path
        return self

    def __exit__(self, *exc):
        if self.old is None:
            del os.environ["BERTH_HISTORY"]
        else:
            os.environ["BERTH_HISTORY"] = self.old
        self.tmp.cleanup()


def repl(b, *args):
    t = Pty(b, *args)
    t.expect(PROMPT)
    return t


def leave(t):
    t.type(b"exit\r")
    assert t.wait() == 0


def shell(b, script, *args):
    return subprocess.run([b.ctx.berth, "-H", b.d.address, "shell", *args],
                          input=script.encode(), capture_output=True,
                          timeout=60)


def test_repl_completes_a_container_made_a_moment_before(ctx):
    with Busybox(ctx) as b, History():
        t = repl(b)
        try:
            b.ok("create", "--name", "mycontainer", "busybox", "true")
            # The name comes whole from "my": inspect's output names
            # the container, which the typed text never did.
            t.type(b"inspect my\t")
            t.expect(b"container ")
            t.type(b"\r")
            t.expect(b'"/mycontainer"')
            t.expect(PROMPT)
            # Several candidates: listed, and the line given back.
            t.type(b"st\t")
            listing = t.expect(b"stop")
            assert b"start" in listing and b"stats" in listing, listing
            t.expect(b"st")
            t.type(b"\x15")
            # Commands, group subcommands and flags come from the table.
            t.type(b"conta\t")
            t.expect(b"iner ")
            t.type(b"insp\t")
            t.expect(b"ect ")
            t.type(b"--form\t")
            t.expect(b"at ")
            t.type(b"{{.Name}} myc\t\r")
            t.expect(b"/mycontainer\r\n")
            t.expect(PROMPT)
            # Images for run's first argument.
            t.type(b"run --rm busyb\t")
            t.expect(b"ox:latest ")
            t.type(b"sh -c 'echo ran-$((1 + 2))'\r")
            t.expect(b"ran-3")
            t.expect(PROMPT)
            # Both of tag's arguments are images.
            t.type(b"tag busybox:latest bu\t")
            t.expect(b"sybox:latest ")
            t.type(b"\x15")
            # call: the methods the daemon describes.
            t.type(b"call io.berth.Service.Pi\t")
            t.expect(b"ng ")
            t.type(b"\r")
            t.expect(b"{")
            t.expect(PROMPT)
            leave(t)
        finally:
            t.close()


def test_repl_history_is_kept_across_sessions(ctx):
    with Busybox(ctx) as b, History() as h:
        t = repl(b)
        try:
            t.type(b"images\r")
            t.expect(b"REPOSITORY")
            t.expect(PROMPT)
            leave(t)
        finally:
            t.close()
        assert os.path.exists(h.path)
        t = repl(b)
        try:
            # Above "exit", the command before it.
            t.type(UP + UP + b"\r")
            t.expect(b"REPOSITORY")
            t.expect(PROMPT)
            # ctrl-R searches it.
            t.type(b"\x12imag")
            t.expect(b"imag")
            t.type(b"\r")
            t.expect(b"REPOSITORY")
            t.expect(PROMPT)
            leave(t)
        finally:
            t.close()


def test_repl_ctrl_c_ends_logs_follow_and_returns_to_the_prompt(ctx):
    with Busybox(ctx) as b, History():
        b.ok("run", "-d", "--name", "talker", "busybox", "sh", "-c",
             "while true; do echo tick; sleep 0.2; done")
        t = repl(b)
        try:
            t.type(b"logs -f talker\r")
            t.expect(b"tick")
            t.expect(b"tick")
            t.type(b"\x03")
            t.expect(PROMPT)
            t.type(b"images\r")
            t.expect(b"REPOSITORY")
            t.expect(PROMPT)
            # ctrl-C at the prompt drops the line, the REPL stays.
            t.type(b"images --bogus\x03")
            t.expect(PROMPT)
            leave(t)
        finally:
            t.close()
            b.ok("rm", "-f", "talker")


def test_repl_run_it_hands_over_the_terminal_and_gets_it_back(ctx):
    with Busybox(ctx) as b, History():
        t = repl(b)
        try:
            t.type(b"run -it --rm busybox sh\r")
            t.expect(b"# ")
            t.type(b"echo $((6 * 7))\r")
            t.expect(b"42")
            t.type(b"exit\r")
            t.expect(PROMPT)
            t.type(b"images\r")
            t.expect(b"REPOSITORY")
            t.expect(PROMPT)
            leave(t)
        finally:
            t.close()
        assert b.ps("-a", "-q") == []


def test_shell_script_stops_at_the_first_failure_unless_keep_going(ctx):
    with Busybox(ctx) as b:
        script = ("# a comment, then a blank line\n\n"
                  "run --rm busybox sh -c 'echo \"a  b\"; echo c\\ d'\n"
                  "stop nosuchcontainer\n"
                  "run --rm busybox echo after\n")
        p = shell(b, script)
        assert p.returncode == 1, p
        assert p.stdout == b"a  b\nc d\n", p
        assert b"nosuchcontainer" in p.stderr, p
        p = shell(b, script, "--keep-going")
        assert p.returncode == 1, p
        assert p.stdout == b"a  b\nc d\nafter\n", p
        # The failing command's own code.
        p = shell(b, "run --rm busybox sh -c 'exit 3'\nimages\n")
        assert (p.returncode, p.stdout) == (3, b""), p
        p = shell(b, "images\nexit 4\nimages\n")
        assert p.returncode == 4 and p.stdout.count(b"REPOSITORY") == 1, p
        p = shell(b, "images\n")
        assert p.returncode == 0 and b"busybox" in p.stdout, p


def test_berth_without_a_command_and_no_terminal_prints_usage(ctx):
    with Busybox(ctx) as b:
        p = b.run()
        assert p.returncode == 0 and b"Usage:" in p.stdout, p
        assert b"shell" in p.stdout, p
        p = b.run("shell", "--help")
        assert p.returncode == 0 and b"--keep-going" in p.stdout, p
