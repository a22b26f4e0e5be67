"""The CLI's surface, from its one command table: every command and
group subcommand `berth help` lists has --help (and `berth help CMD`),
without a daemon; and every listing with --format json prints JSON
against a real berthd."""
import json
import re
import subprocess

from test_container_cli import Busybox


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
        for args in (["ps", "-a"], ["images"], ["history", "busybox"],
                     ["stats", "--no-stream"], ["inspect", "j"],
                     ["image", "inspect", "busybox"], ["version"],
                     ["info"]):
            out = b.ok(*args, "--format", "json")
            docs = [json.loads(line) for line in out.splitlines()
                    if line.strip()] if not out.lstrip().startswith(
                        ("[", "{\n")) else [json.loads(out)]
            assert docs, (args, out)
        b.ok("rm", "-f", "j")
