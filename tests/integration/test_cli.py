"""The berth CLI against a real berthd: the engine's version, raw calls,
errors and their exit codes (Docker's: 1 a failed command, 125 the engine
could not be reached)."""
import json
import os
import subprocess
import tempfile
import unittest

from harness import Daemon, version

SERVICE = "io.berth.Service"


def berth(ctx, *args, env=None, timeout=30):
    if not os.access(ctx.berth, os.X_OK):
        raise unittest.SkipTest(f"{ctx.berth} not built")
    return subprocess.run([ctx.berth, *args], capture_output=True, text=True,
                          env=env, timeout=timeout, stdin=subprocess.DEVNULL)


def test_cli_version_shows_the_server_version(ctx):
    with Daemon(ctx) as d:
        p = berth(ctx, "-H", d.address, "version")
        assert p.returncode == 0, p
        assert version() in p.stdout, p.stdout
        assert "server" in p.stdout.lower(), p.stdout


def test_cli_call_prints_the_reply_as_json(ctx):
    with Daemon(ctx) as d:
        p = berth(ctx, "-H", d.address, "call", f"{SERVICE}.Ping",
                  '{"payload":"x"}')
        assert p.returncode == 0, p
        assert json.loads(p.stdout) == {"payload": "x"}, p.stdout


def test_cli_call_error_exits_1(ctx):
    with Daemon(ctx) as d:
        p = berth(ctx, "-H", d.address, "call", f"{SERVICE}.Ping",
                  '{"payload": 5}')
        assert p.returncode == 1, p
        assert "Error:" in p.stderr, p.stderr
        assert p.stdout == "", p.stdout
        p = berth(ctx, "-H", d.address, "call", f"{SERVICE}.Nope", "{}")
        assert p.returncode == 1, p
        assert "Error:" in p.stderr, p.stderr


def test_cli_without_daemon_exits_125_naming_the_socket(ctx):
    with tempfile.TemporaryDirectory(prefix="berth-test-") as tmp:
        sock = os.path.join(tmp, "none.sock")
        for args in (["version"], ["call", f"{SERVICE}.Ping", "{}"]):
            p = berth(ctx, "-H", "unix://" + sock, *args)
            assert p.returncode == 125, (args, p)
            lines = p.stderr.strip().splitlines()
            assert len(lines) == 1 and sock in lines[0], (args, p.stderr)


def test_cli_honours_berth_host(ctx):
    with Daemon(ctx) as d:
        env = dict(os.environ, BERTH_HOST=d.address)
        p = berth(ctx, "call", f"{SERVICE}.Ping", '{"payload":"env"}',
                  env=env)
        assert p.returncode == 0, p
        assert json.loads(p.stdout) == {"payload": "env"}, p.stdout
        # -H wins over BERTH_HOST.
        with tempfile.TemporaryDirectory(prefix="berth-test-") as tmp:
            env = dict(os.environ, BERTH_HOST="unix://" + tmp + "/x.sock")
            p = berth(ctx, "-H", d.address, "call", f"{SERVICE}.Ping", "{}",
                      env=env)
            assert p.returncode == 0, p
