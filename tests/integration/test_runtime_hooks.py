"""OCI hooks in berth-runtime, as the runtime spec says: prestart and
createRuntime during create (the container's namespaces exist, its
process has not started), poststart after start, poststop after delete;
each with the state JSON on stdin, run in the runtime's namespaces; a
failing or timed-out prestart aborts the create and leaves nothing; the
hooks that would run inside the container are refused by name.

The hooks are the host's /bin/sh, writing what they got into the bundle.
"""
import json
import os
import subprocess
import time

from runtime_harness import Bundle, Result

SH = "/bin/sh"


def _hook(log, kind, extra=""):
    """A hook appending "KIND STATE-JSON" to log."""
    return {"path": SH, "args": ["sh", "-c",
            f'printf "%s " {kind} >> {log}; cat >> {log}; echo >> {log}'
            + extra]}


def _entries(log):
    with open(log) as f:
        return [(k, json.loads(v)) for k, v in
                (line.split(" ", 1) for line in f.read().splitlines())]


def _create(b):
    """`create`, the container's stdio in files: a pipe would stay open
    in the created container."""
    cmd = [b.runtime, "--root", b.state, "create", "--bundle", b.dir, b.id]
    out, err = (os.path.join(b.dir, n) for n in ("stdout", "stderr"))
    with open(out, "w") as o, open(err, "w") as e:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                           timeout=b.timeout, cwd=b.dir)
    return Result(cmd, p.returncode, b._read(out), b._read(err))


def test_hooks_run_at_their_points_with_the_state(ctx):
    with Bundle(ctx, ["sh", "-c", "exit 0"]) as b:
        log = os.path.join(b.dir, "hooks.log")
        b.config["hooks"] = {k: [_hook(log, k)] for k in
                             ("prestart", "createRuntime", "poststart",
                              "poststop")}
        b.write_config()
        _create(b).ok()
        kinds = [k for k, _ in _entries(log)]
        assert kinds == ["prestart", "createRuntime"], kinds
        for _, st in _entries(log):
            assert st["id"] == b.id and st["status"] == "created", st
            assert st["pid"] > 0 and st["bundle"] == b.dir, st
            # Run in our namespaces while the container has its own.
            assert os.readlink(f"/proc/{st['pid']}/ns/pid") != \
                os.readlink("/proc/self/ns/pid")
        b.runtime_cmd("start", b.id).ok()
        kinds = [k for k, _ in _entries(log)]
        assert kinds[2:] == ["poststart"], kinds
        b.runtime_cmd("delete", "--force", b.id).ok()
        entries = _entries(log)
        assert [k for k, _ in entries][3:] == ["poststop"], entries
        assert entries[3][1]["status"] == "stopped", entries[3]


def test_failing_prestart_aborts_create_and_leaves_nothing(ctx):
    with Bundle(ctx, ["true"]) as b:
        log = os.path.join(b.dir, "hooks.log")
        b.config["hooks"] = {
            "prestart": [{"path": SH, "args": ["sh", "-c",
                          "echo no network >&2; exit 3"]}],
            "poststop": [_hook(log, "poststop")],
        }
        b.write_config()
        r = _create(b)
        assert r.code != 0, r
        assert "prestart hook 0 (/bin/sh): exit status 3: no network" in \
            r.err, r
        assert b.runtime_cmd("state", b.id).code != 0, "container remains"
        assert [k for k, _ in _entries(log)] == ["poststop"]


def test_hook_timeout_kills_it_and_fails_create(ctx):
    with Bundle(ctx, ["true"]) as b:
        b.config["hooks"] = {"createRuntime": [
            {"path": SH, "args": ["sh", "-c", "exec sleep 30"],
             "timeout": 1}]}
        b.write_config()
        start = time.monotonic()
        r = _create(b)
        took = time.monotonic() - start
        assert r.code != 0 and "killed after its timeout of 1 s" in r.err, r
        assert took < 10, f"create took {took:.1f}s"


def test_hooks_in_the_container_namespaces_are_refused(ctx):
    for kind in ("createContainer", "startContainer"):
        with Bundle(ctx, ["true"]) as b:
            b.config["hooks"] = {kind: [{"path": "/bin/true"}]}
            r = b.run()
            assert r.code != 0 and f"hooks.{kind} is not supported" in \
                r.err, r


def test_prestart_runs_before_pivot_root(ctx):
    # Before pivot_root the container's process still has the host's tree
    # as its root, with the rootfs (and the container's /proc mounted in
    # it) at its host path; after pivot_root that path is gone from its
    # view.  The spec runs prestart and createRuntime before pivot_root.
    with Bundle(ctx, ["true"]) as b:
        log = os.path.join(b.dir, "pivot.log")
        probe = ('pid=$(sed -n \'s/.*"pid": *\\([0-9]*\\).*/\\1/p\'); '
                 f'if [ -e /proc/$pid/root{b.rootfs}/bin/busybox ] && '
                 f'[ -e /proc/$pid/root{b.rootfs}/proc/1/status ]; '
                 f'then echo before >> {log}; else echo after >> {log}; fi')
        hook = {"path": SH, "args": ["sh", "-c", probe]}
        b.config["hooks"] = {"prestart": [hook], "createRuntime": [hook]}
        b.write_config()
        _create(b).ok()
        with open(log) as f:
            assert f.read().split() == ["before", "before"], log
