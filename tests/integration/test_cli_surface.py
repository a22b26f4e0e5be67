"""The CLI's surface, from its one command table: every command and
group subcommand `berth help` lists has --help (and `berth help CMD`)
and a section in the man page (berth help --man), without a daemon; the
bash completion (berth completion bash) completes from a real berthd;
every listing with --format json prints JSON, a row a line; filters
refused with Docker's words and exit codes; escape sequences only on a
terminal that can clear (NO_COLOR is about colour, which berth has none
of)."""
import contextlib
import json
import os
import re
import shutil
import subprocess
import unittest

from harness import Daemon
from image_harness import busybox
from test_container_cli import Busybox, berth
from test_container_interactive import Pty


def commands(ctx, *group):
    """Names `berth [GROUP] --help` lists under Commands:."""
    out = subprocess.run([ctx.berth, *group, "--help"], capture_output=True,
                         text=True, timeout=30).stdout
    names, inside = [], False
    for line in out.splitlines():
        if line.rstrip().endswith("Commands:"):
            inside = True
            continue
        if inside:
            m = re.match(r"  (\S+)\s", line)
            if not m:
                break
            names.append(m.group(1))
    return names


def test_every_command_has_help(ctx):
    top = commands(ctx)
    assert len(top) > 30 and "run" in top and "exec" in top, top
    seen = 0
    for name in top:
        subs = commands(ctx, name)
        for words in [[name]] + [[name, s] for s in subs]:
            p = subprocess.run([ctx.berth, "-H", "unix:///nonexistent.sock",
                                *words, "--help"], capture_output=True,
                               text=True, timeout=30)
            assert p.returncode == 0, (words, p)
            assert p.stdout.startswith("\nUsage:  berth " +
                                       " ".join(words)), (words, p.stdout)
            h = subprocess.run([ctx.berth, "help", *words],
                               capture_output=True, text=True, timeout=30)
            assert h.returncode == 0 and h.stdout == p.stdout, (words, h)
            seen += 1
    assert seen > 50, seen


def test_listings_print_json(ctx):
    with Busybox(ctx) as b:
        b.ok("run", "-d", "--name", "j", "-l", "k=v", "busybox", "sleep",
             "300")
        found = {}
        for args in (["ps", "-a"], ["images"], ["history", "busybox"],
                     ["stats", "--no-stream"], ["inspect", "j"],
                     ["image", "inspect", "busybox"], ["version"],
                     ["info"]):
            out = b.ok(*args, "--format", "json")
            docs = [json.loads(line) for line in out.splitlines()
                    if line.strip()] if not out.lstrip().startswith(
                        ("[", "{\n")) else [json.loads(out)]
            assert docs, (args, out)
            found[args[0] if args[0] != "image" else "image inspect"] = \
                json.dumps(docs)
        # Each has what it lists, not just JSON.
        assert '"j"' in found["ps"] and "k=v" in found["ps"], found["ps"]
        assert "busybox" in found["images"], found["images"]
        assert '"/j"' in found["inspect"], found["inspect"][:200]
        assert '"j"' in found["stats"], found["stats"]
        assert "busybox" in found["image inspect"]
        b.ok("rm", "-f", "j")


def test_listings_print_one_json_object_per_row(ctx):
    """As Docker's --format json: each row an object on a line of its
    own, the same as {{json .}}, with Docker's field names."""
    with Busybox(ctx) as b:
        b.ok("run", "-d", "--name", "j1", "busybox", "sleep", "300")
        b.ok("create", "--name", "j2", "busybox", "true")
        b.ok("volume", "create", "v1")
        history = len(b.ok("history", "busybox").splitlines()) - 1
        for args, key, want, n in (
                (["ps", "-a"], "Names", {"j1", "j2"}, 2),
                (["images"], "Repository", {"busybox"}, 1),
                (["history", "busybox"], "ID", None, history),
                (["system", "df"], "Type", {"Images", "Containers",
                                            "Local Volumes",
                                            "Build Cache"}, 4),
                (["stats", "--no-stream"], "Name", {"j1"}, 1),
                (["network", "ls"], "Name", {"bridge", "host", "none"}, 3),
                (["volume", "ls"], "Name", {"v1"}, 1)):
            out = b.ok(*args, "--format", "json")
            lines = out.splitlines()
            rows = [json.loads(line) for line in lines]
            assert len(rows) == n and all(isinstance(r, dict) for r in rows), \
                (args, out)
            if want is not None:
                assert {r[key] for r in rows} == want, (args, rows)
            else:
                assert all(key in r for r in rows), (args, rows)
            if args[0] != "stats":       # its numbers move
                assert out == b.ok(*args, "--format", "{{json .}}"), args
        assert json.loads(b.ok("images", "--format", "json"))["Tag"] == \
            "latest"
        for kind, name in (("network", "bridge"), ("volume", "v1")):
            doc = json.loads(b.ok(kind, "inspect", name))
            assert doc[0]["Name"] == name, doc
        b.ok("rm", "-f", "j1", "j2")
        b.ok("volume", "rm", "v1")


def test_bad_filters_are_refused_as_docker_refuses_them(ctx):
    """An unknown filter or value: the daemon's words, exit 1 (as Docker,
    whose daemon checks them); a -f without '=': a usage error, 125.
    Nothing is listed either way."""
    with Daemon(ctx) as d:
        for cmd in (["ps"], ["images"], ["events", "--until", "0s"]):
            p = berth(ctx, d, *cmd, "-f", "colour=red")
            assert p.returncode == 1, (cmd, p)
            assert p.stderr.decode() == "Error response from daemon: " \
                "invalid filter 'colour'\n", (cmd, p.stderr)
            assert p.stdout == b"", (cmd, p.stdout)
            p = berth(ctx, d, *cmd, "-f", "novalue")
            assert p.returncode == 125, (cmd, p)
            assert b"bad format of filter (expected name=value)" in \
                p.stderr, (cmd, p.stderr)
            assert p.stdout == b"", (cmd, p.stdout)
        p = berth(ctx, d, "ps", "-f", "status=sleepy")
        assert (p.returncode, p.stderr.decode()) == (
            1, "Error response from daemon: invalid filter "
            "'status=sleepy'\n"), p
        p = berth(ctx, d, "images", "-f", "dangling=maybe")
        assert p.returncode == 1 and b"dangling=maybe" in p.stderr, p


def test_filter_keys_are_parsed_alike_everywhere(ctx):
    """One parser: keys case-insensitive, both sides trimmed, in ps and
    images as in events."""
    with Busybox(ctx) as b:
        b.ok("create", "--name", "fk", "-l", "team=blue", "busybox", "true")
        assert b.ok("ps", "-a", "-f", " NAME = fk ", "--format",
                    "{{.Names}}") == "fk\n"
        assert b.ok("ps", "-a", "-f", "Label=team=blue", "--format",
                    "{{.Names}}") == "fk\n"
        assert b.ok("images", "-f", "REFERENCE=busy*", "--format",
                    "{{.Repository}}") == "busybox\n"
        b.ok("rm", "fk")


@contextlib.contextmanager
def environ(**kw):
    saved = {k: os.environ.get(k) for k in kw}
    os.environ.update(kw)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def stats_screen(b, refreshes=2):
    """What `berth stats` shows on a terminal over a few refreshes."""
    t = Pty(b, "stats", "nc")
    try:
        for _ in range(refreshes):
            t.expect(b"CONTAINER ID", timeout=20)
        t.expect(b"nc", timeout=20)
        return t.seen
    finally:
        t.close()


def test_escapes_only_on_a_terminal_that_can_clear(ctx):
    """NO_COLOR asks for no colour (no-color.org) and berth writes none:
    on a terminal stats clears the screen with or without it, as Docker's
    does; TERM=dumb and pipes get no escapes, each table after the
    last."""
    with Busybox(ctx) as b, environ(TERM="xterm"):
        b.ok("run", "-d", "--name", "nc", "busybox", "sleep", "300")
        for no_color in (None, "1", ""):
            env = {} if no_color is None else {"NO_COLOR": no_color}
            with environ(**env):
                t = Pty(b, "stats", "nc")
                try:
                    t.expect(b"\x1b[2J", timeout=20)
                finally:
                    t.close()
        # A dumb terminal cannot clear: each table follows the last.
        with environ(TERM="dumb"):
            t = Pty(b, "stats", "nc")
            try:
                seen = t.expect(b"CONTAINER ID", timeout=20)
                seen += t.expect(b"CONTAINER ID", timeout=20)
                seen += t.expect(b"nc", timeout=20)
            finally:
                t.close()
            assert b"\x1b" not in seen, seen
        # Not a terminal: the tables as they come, no escapes.
        p = subprocess.Popen([ctx.berth, "-H", b.d.address, "stats", "nc"],
                             stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        try:
            out = b""
            while out.count(b"CONTAINER ID") < 2:
                chunk = p.stdout.read1(65536)
                assert chunk, out
                out += chunk
        finally:
            p.kill()
            p.wait()
            p.stdout.close()
        assert b"\x1b" not in out, out
        b.ok("rm", "-f", "nc")


def test_load_progress_clears_its_line_on_a_terminal(ctx):
    """load's progress bar clears its line with an escape on a terminal,
    NO_COLOR or not; on a dumb terminal it pads with spaces instead."""
    with Daemon(ctx) as d:
        path = os.path.join(d.dir, "busybox.tar")
        with open(path, "wb") as f:
            f.write(busybox("docker", "busybox:latest"))

        class B:
            pass
        b = B()
        b.ctx, b.d = ctx, d
        for env, escapes in (({"TERM": "xterm", "NO_COLOR": "1"}, True),
                             ({"TERM": "xterm", "NO_COLOR": ""}, True),
                             ({"TERM": "dumb", "NO_COLOR": ""}, False)):
            with environ(**env):
                t = Pty(b, "load", "-i", path)
                try:
                    seen = t.expect(b"Loaded image: busybox:latest",
                                    timeout=60)
                    assert t.wait(30) == 0
                finally:
                    t.close()
            assert (b"\x1b" in seen) == escapes, (env, seen)
            assert b"\r" in seen, seen          # the bar was drawn
            # No line is padded past the longest one drawn before it.
            assert b" " * 60 not in seen, seen
            with d.client() as c:
                c.call("io.berth.Image.Remove", image="busybox:latest")


def test_the_man_page_has_every_command_and_renders_cleanly(ctx):
    top = commands(ctx)
    man = subprocess.run([ctx.berth, "help", "--man"], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    for name in top:
        assert f'.SS "berth {name}' in man, name
        for sub in commands(ctx, name):
            assert f'.SS "berth {name} {sub}' in man, (name, sub)
    if shutil.which("groff"):
        p = subprocess.run(["groff", "-ww", "-z", "-man"], input=man,
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0 and p.stderr == "", p.stderr


def test_bash_completion_asks_berth_live(ctx):
    if not shutil.which("bash"):
        raise unittest.SkipTest("no bash")
    with Busybox(ctx) as b:
        b.ok("create", "--name", "mycontainer", "busybox")

        def complete(*words):
            line = " ".join(["berth", "-H", b.d.address, *words])
            script = (f'source <({ctx.berth} completion bash)\n'
                      f'COMP_WORDS=({line})\n'
                      f'COMP_CWORD={len(words) + 2}\n'
                      f'COMP_WORDS[0]={ctx.berth}\n'
                      '_berth\nprintf "%s\\n" "${COMPREPLY[@]}"\n')
            p = subprocess.run(["bash", "-c", script], capture_output=True,
                               text=True, timeout=30)
            assert p.returncode == 0, p
            return p.stdout.split()

        assert complete("inspect", "myc") == ["mycontainer"]
        assert complete("contain") == ["container"]
        assert "ls" in complete("container", "l")
        assert "--detach-keys" in complete("run", "--detach-")
        got = complete("run", "busy")
        assert got and all(g.startswith("busybox") for g in got), got
        b.ok("rm", "mycontainer")


def test_volume_names_complete(ctx):
    with Busybox(ctx) as b:
        b.ok("volume", "create", "cache")
        b.ok("volume", "create", "data")
        assert b.ok("completion", "words", "--", "volume", "rm",
                    "ca").split() == ["cache"]
        assert sorted(b.ok("completion", "words", "--", "volume",
                           "inspect", "").split()) == ["cache", "data"]
        b.ok("volume", "rm", "cache", "data")
