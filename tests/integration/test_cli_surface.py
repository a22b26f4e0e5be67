"""The CLI's surface, from its one command table: every command and
group subcommand `berth help` lists has --help (and `berth help CMD`)
and a section in the man page (berth help --man), without a daemon; the
bash completion (berth completion bash) completes from a real berthd;
every listing with --format json prints JSON."""
import json
import re
import shutil
import subprocess
import unittest

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
