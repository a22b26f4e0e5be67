"""berthd's life: options, single-instance locks, idle exit, connection
limit and a clean stop on SIGTERM."""
import os
import tempfile
import time

from harness import Daemon, call_frame, run_berthd, version, wait_for

SERVICE = "io.berth.Service"


def paths(d, **override):
    """--socket/--root/--run-root arguments for d's directory, some
    replaced."""
    p = {"socket": d.socket, "root": d.root, "run-root": d.run_root}
    p.update({k.replace("_", "-"): v for k, v in override.items()})
    return [a for k, v in p.items() for a in (f"--{k}", v)]


def test_version_option_prints_the_version(ctx):
    p = run_berthd(ctx, ["--version"])
    assert p.returncode == 0, p
    assert version() in p.stdout, p.stdout


def test_bad_options_exit_nonzero_with_usage(ctx):
    # Every run also gets temporary paths: a berthd that wrongly started
    # would touch nothing of the host's.
    with Daemon(ctx, start=False) as d:
        p = run_berthd(ctx, paths(d) + ["--no-such-option"])
        assert p.returncode != 0, p
        assert "usage" in p.stderr.lower(), p.stderr
        p = run_berthd(ctx, paths(d) + ["stray-argument"])
        assert p.returncode != 0, p
        for bad in (["--log-level", "loud"], ["--max-frame", "banana"],
                    ["--max-frame", "0"], ["--idle-exit", "-1"],
                    ["--frame-timeout", "x"], ["--max-connections", "0"],
                    ["--cgroup-parent", "a/b"], ["--cgroup-parent", ".."],
                    ["--socket"]):
            p = run_berthd(ctx, paths(d) + bad)
            assert p.returncode != 0, (bad, p)
            assert p.stderr.strip(), (bad, "no message on stderr")
        assert not os.path.exists(d.socket)


def test_second_daemon_on_same_root_or_socket_refuses(ctx):
    with Daemon(ctx) as first:
        other = tempfile.mkdtemp(prefix="berth-test-", dir=first.dir)
        cases = {
            "same root": paths(first, socket=os.path.join(other, "s.sock"),
                               run_root=os.path.join(other, "run")),
            "same socket": paths(first, root=os.path.join(other, "root"),
                                 run_root=os.path.join(other, "run2")),
        }
        for what, args in cases.items():
            p = run_berthd(ctx, args + ["--log-level", "debug"])
            assert p.returncode != 0, f"{what}: second berthd started"
            assert "another berthd" in p.stderr, f"{what}: {p.stderr}"
            assert str(first.pid) in p.stderr or first.root in p.stderr or \
                first.socket in p.stderr, \
                f"{what}: message names neither holder nor lock: {p.stderr}"
            # The first still owns its socket and serves.
            first.ping(f"after {what}")
        assert first.status()["pid"] == first.pid


def test_idle_exit_without_clients(ctx):
    with Daemon(ctx, "--idle-exit", "1") as d:
        assert d.wait_exit(8) == 0, d.log_tail()


def test_idle_exit_waits_for_connected_clients(ctx):
    with Daemon(ctx, "--idle-exit", "1") as d:
        with d.client() as c:
            c.call(f"{SERVICE}.Ping")
            # The observation window: twice the idle time, a client held.
            time.sleep(2.5)
            assert d.alive(), f"exited with a client connected\n" \
                f"{d.log_tail()}"
            assert c.call(f"{SERVICE}.Ping", payload="still") == \
                {"payload": "still"}
        assert d.wait_exit(8) == 0, d.log_tail()


def test_max_connections_refuses_extra_peers(ctx):
    with Daemon(ctx, "--max-connections", "3") as d:
        # The start-up probe's connection may not be reaped yet.
        wait_for(lambda: d.status()["connections"] == 1, 10,
                 "no connection but the status call's")
        a, b, c = d.raw(), d.raw(), d.raw()
        try:
            for r in (a, b, c):
                r.ping("in")
            with d.raw() as extra:
                extra.expect_error(f"{SERVICE}.TooManyConnections", limit=3)
                extra.expect_closed()
            a.close()

            def served():
                try:
                    with d.raw(timeout=2) as r:
                        r.ping("now there is room")
                    return True
                except (AssertionError, OSError):
                    return False
            wait_for(served, 10, "a free slot after a peer left")
        finally:
            for r in (a, b, c):
                r.close()


def test_sigterm_answers_calls_in_flight_and_exits_cleanly(ctx):
    n = 20
    with Daemon(ctx) as d:
        root, run_root, sock = d.root, d.run_root, d.socket
        conns = [d.raw() for _ in range(3)]
        try:
            for k, r in enumerate(conns):
                # One small write: berthd reads all of it at once.
                r.send(b"".join(call_frame(f"{SERVICE}.Ping",
                                           {"payload": f"{k}.{i}"})
                                for i in range(n)))
            for k, r in enumerate(conns):
                first = r.reply()      # berthd has the calls in hand
                assert first.get("parameters") == {"payload": f"{k}.0"}, \
                    first
            os.kill(d.pid, 15)
            for k, r in enumerate(conns):
                shutting_down = False
                for i in range(1, n):
                    reply = r.recv_frame()
                    assert reply is not None, \
                        f"client {k}: reply {i} of {n} lost at shutdown"
                    if reply.get("error") == f"{SERVICE}.ShuttingDown":
                        shutting_down = True
                        continue
                    assert not shutting_down and \
                        reply.get("parameters") == {"payload": f"{k}.{i}"}, \
                        f"client {k}, reply {i}: {reply!r}"
                r.expect_closed(timeout=15)
        finally:
            for r in conns:
                r.close()
        assert d.wait_exit(20) == 0, d.log_tail()
        assert not os.path.exists(sock), "socket file left behind"
        # The locks of the stopped daemon do not stand in the next one's
        # way.
        with Daemon(ctx, dir=d.dir, socket=sock, root=root,
                    run_root=run_root) as again:
            again.ping("restarted")
