#!/usr/bin/python3
"""Container networking through berthd, side by side with Docker's.

  tcp    MiB/s of one TCP stream into a container listening on port 80:
         through the published port (-p HOST:80) reached on berthd's
         namespace's 127.0.0.1, on its own address, and from another
         namespace across a veth (forwarded); to the container's address
         directly; and plain loopback in a namespace of its own (the
         kernel's floor: no bridge, no NAT, no rules)
  start  `true` in a container with the default bridge network, with
         --network none and with --network host: Create+Start+Wait+Remove
         over the protocol and `berth run --rm`; median and p90, the
         extra start latency of a bridged container over none, and each
         call's share

and, where docker.io is installed, the same through a throwaway dockerd
with its bridge, iptables and docker-proxy, in a network namespace of its
own.

	bench/network.py BUILD [-n RUNS] [-d SECONDS] [-r REPEATS]
	                 [--cpu CPU|any] [--only tcp,start] [--no-docker]

Both ends of a stream run on one CPU (--cpu, default 0), so that a path's
figure is what it costs the CPU a byte (docker-proxy, a process of its
own, may use another); unpinned, the figures jump between runs with where
the scheduler puts the ends.

Needs root.  berthd runs in a network namespace of the bench's own (so its
bridge and rules never touch the host's network), on temporary roots,
with a cgroup parent of the bench's own, and is stopped by its pid.  The
sender and receiver are a few lines of the host's Python run in the
namespaces with `nsenter --net` (the container is `busybox sleep`).
Whatever fails, containers are removed, the daemons stopped, leftover
cgroups removed, mounts detached and the namespaces deleted.  Figures
only: nothing here asserts a time.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import container as cb  # noqa: E402  (puts tools/python, tests/... on path)
import berth  # noqa: E402
from netns import Netns  # noqa: E402

C = "io.berth.Container."
PY = "/usr/bin/python3"
MiB = 1 << 20
PORT = 80               # the container's
HOST_PORT = 18080       # published, in the daemon's own namespace
INSIDE, OUTSIDE = "10.254.0.1", "10.254.0.2"   # the daemon's veth, its peer
MODES = ("bridge", "none", "host")

# The receiver: accept one connection, count bytes until EOF; the time is
# from the first byte to EOF.
RECV = r"""
import json, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(1)
print("ready", flush=True)
s.settimeout(60)
c, _ = s.accept()
c.settimeout(60)
buf = bytearray(1 << 20)
n, t0 = 0, None
while True:
    k = c.recv_into(buf)
    if not k:
        break
    if t0 is None:
        t0 = time.perf_counter()
    n += k
print(json.dumps({"bytes": n, "seconds": time.perf_counter() - t0}))
"""

# The sender: one connection, 1 MiB writes for SECONDS, then EOF.
SEND = r"""
import socket, sys, time
host, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.create_connection((host, port), timeout=10)
buf = bytes(1 << 20)
end = time.perf_counter() + secs
while time.perf_counter() < end:
    s.sendall(buf)
s.shutdown(socket.SHUT_WR)
s.recv(1)
"""


def pump(recv_prefix, send_prefix, host, port, secs, pin=()):
    """One stream of secs seconds to host:port, the receiver listening on
    PORT, both run under the prefix pin: MiB/s as the receiver counted
    it."""
    recv_prefix, send_prefix = [*pin, *recv_prefix], [*pin, *send_prefix]
    r = subprocess.Popen(recv_prefix + [PY, "-c", RECV, str(PORT)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        if r.stdout.readline() != "ready\n":
            raise RuntimeError(f"receiver: {r.stderr.read().strip()}")
        s = subprocess.run(send_prefix + [PY, "-c", SEND, host, str(port),
                                          str(secs)],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=secs + 60)
        if s.returncode != 0:
            raise RuntimeError(f"sender to {host}:{port}: "
                               f"{s.stderr.strip()[-300:]}")
        out, err = r.communicate(timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"receiver: {err.strip()[-300:]}")
        got = json.loads(out)
        return got["bytes"] / MiB / got["seconds"]
    finally:
        if r.poll() is None:
            r.kill()
            r.wait()


def throughput(paths, args, rows, notes):
    """paths: (name, receiver's prefix, sender's prefix, host, port); the
    streams of all paths take turns (load on the machine drifts) and a
    path that fails once is a note."""
    got = {}
    for rep in range(args.repeats + 1):
        for name, recv_prefix, send_prefix, host, port in paths:
            if name in got and got[name] is None:
                continue
            try:
                # The first round is a short warm-up, not counted.
                r = pump(recv_prefix, send_prefix, host, port,
                         args.seconds if rep else 0.3, args.pin)
            except (RuntimeError, OSError, ValueError,
                    subprocess.TimeoutExpired) as e:
                notes.append(f"{name}: failed: {e}")
                got[name] = None
                continue
            got.setdefault(name, [])
            if rep:
                got[name].append(r)
    rows.extend((name, got[name]) for name, *_ in paths
                if got.get(name))


def floor_path(ns):
    """Loopback in a namespace of its own: no bridge, no NAT, no rules."""
    return ("loopback in one namespace (floor)", ns.prefix(), ns.prefix(),
            "127.0.0.1", PORT)


# --- berthd -----------------------------------------------------------------

class NsBerthd(cb.Berthd):
    """bench/container.py's Berthd, started inside netns (nsenter execs
    berthd, so the pid is berthd's)."""

    def __init__(self, build, tmp, netns):
        self.dir = tmp
        self.build = build
        self.netns = netns
        self.sock = os.path.join(tmp, "s")
        self.root = os.path.join(tmp, "root")
        self.cgparent = f"berth-netbench-{os.getpid()}"
        self.logpath = os.path.join(tmp, "log")
        with open(self.logpath, "w") as log:
            self.proc = subprocess.Popen(
                netns.prefix() + [
                    os.path.join(build, "berthd"), "--socket", self.sock,
                    "--root", self.root, "--run-root",
                    os.path.join(tmp, "run"), "--log-level", "warn",
                    "--cgroup-parent", self.cgparent],
                stdin=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 10
        while self.proc.poll() is None and time.monotonic() < deadline:
            try:
                with self.client() as c:
                    c.call("io.berth.Service.Ping")
                return
            except (OSError, berth.BerthError):
                time.sleep(0.01)
        self.stop()
        self.sweep()
        raise RuntimeError(f"berthd did not start: {self.log_tail()}")


def create(c, cmd, host=None):
    config = {"image": "busybox", "cmd": list(cmd)}
    if host:
        config["host"] = host
    return c.call(C + "Create", config=config)["id"]


CALLS = ("Create", "Start", "Wait", "Remove")


def one_true(c, mode, calls):
    """Create+Start+Wait+Remove of `true` (ms); each call's ms appended to
    calls[mode]."""
    t = [time.perf_counter()]
    cid = create(c, ["true"], {"network_mode": mode})
    t.append(time.perf_counter())
    try:
        c.call(C + "Start", container=cid)
        t.append(time.perf_counter())
        code = c.call(C + "Wait", container=cid)["exit_code"]
        t.append(time.perf_counter())
    finally:
        c.call(C + "Remove", container=cid, force=True)
    t.append(time.perf_counter())
    if code != 0:
        raise RuntimeError(f"true exited {code} (--network {mode})")
    calls.setdefault(mode, []).append(
        [(b - a) * 1000 for a, b in zip(t, t[1:])])
    return (t[-1] - t[0]) * 1000


def interleaved(modes, runs, fn):
    """fn(mode) runs times for each mode, the modes taking turns (so that
    drift in the machine's load spreads over all): {mode: [ms]}."""
    for m in modes:
        fn(m)                                   # warm-up
    out = {m: [] for m in modes}
    for _ in range(runs):
        for m in modes:
            out[m].append(fn(m))
    return out


def berth_tcp(d, args, rows, notes):
    outside = d.netns.peers[0]
    floor = Netns(prefix="berth-nb")
    try:
        with d.client() as c:
            cid = create(c, ["sleep", "600"], {"port_bindings": [
                {"container_port": PORT, "protocol": "tcp",
                 "host_port": HOST_PORT}]})
            try:
                c.call(C + "Start", container=cid)
                info = c.call(C + "Inspect", container=cid)["container"]
                pid = info["State"]["Pid"]
                addr = info["NetworkSettings"]["Networks"]["bridge"][
                    "IPAddress"]
                ctr = ["nsenter", f"--net=/proc/{pid}/ns/net"]
                me = d.netns.prefix()
                throughput([
                    floor_path(floor),
                    ("berth: container's address, direct", ctr, me, addr,
                     PORT),
                    ("berth: published, 127.0.0.1", ctr, me, "127.0.0.1",
                     HOST_PORT),
                    (f"berth: published, own address ({INSIDE})", ctr, me,
                     INSIDE, HOST_PORT),
                    ("berth: published, from outside (veth)", ctr,
                     outside.prefix(), INSIDE, HOST_PORT)],
                    args, rows, notes)
            finally:
                c.call(C + "Remove", container=cid, force=True)
    finally:
        floor.delete()


def berth_start(d, args, rows, calls, notes):
    with d.client() as c:
        got = interleaved(MODES, args.runs,
                          lambda m: one_true(c, m, calls))
    for m in MODES:
        rows.append((f"berth: Create+Start+Wait+Remove, {m}", got[m]))
        del calls[m][0]                         # the warm-up
    got = interleaved(MODES, args.runs, lambda m: cb.timed_ms(
        d.cli("run", "--rm", "--network", m, "busybox", "true")))
    for m in MODES:
        rows.append((f"berth run --rm --network {m} busybox true", got[m]))


# --- docker -----------------------------------------------------------------

def docker_engine_class():
    """test_docker.DockerEngine with its default bridge, iptables and
    docker-proxy (in its own namespace still), busybox from
    image_harness; or the reason it cannot be had."""
    try:
        from test_docker import DockerEngine
        import image_harness
    except Exception as e:  # noqa: BLE001
        return None, f"cannot use test_docker.DockerEngine: {e}"

    class BridgedEngine(DockerEngine):
        def __init__(self, ctx):
            super().__init__(ctx)
            self.name = f"berth-netbench-docker-{os.getpid()}"
            self.cgparent = self.name
            self.outside = None

        def _start(self):
            self.dir = tempfile.mkdtemp(prefix="berth-netbench-docker.")
            os.makedirs(os.path.join(self.dir, "config"))
            with open(os.path.join(self.dir, "daemon.json"), "w") as f:
                f.write("{}\n")
            subprocess.run(["ip", "netns", "add", self.name], check=True,
                           capture_output=True)
            self.netns = True
            # Netns's veth to another namespace, on this one by name.
            ns = Netns.__new__(Netns)
            ns.name, ns.path, ns.peers = self.name, \
                f"/run/netns/{self.name}", []
            subprocess.run(["ip", "-n", self.name, "link", "set", "lo",
                            "up"], check=True, capture_output=True)
            self.outside = ns.outside_host(OUTSIDE, INSIDE)
            self.log_path = os.path.join(self.dir, "dockerd.log")
            d = self.dir
            cmd = ["nsenter", f"--net=/run/netns/{self.name}", self.dockerd,
                   "--config-file", f"{d}/daemon.json",
                   "--data-root", f"{d}/data", "--exec-root", f"{d}/exec",
                   "--pidfile", f"{d}/dockerd.pid",
                   "-H", f"unix://{d}/docker.sock",
                   "--containerd-namespace", self.name,
                   "--containerd-plugins-namespace", self.name + "-plugins",
                   "--iptables=true", "--ip-forward=true",
                   "--ip6tables=false", "--ip-masq=true",
                   "--storage-driver", "overlay2",
                   "--exec-opt", "native.cgroupdriver=cgroupfs",
                   "--cgroup-parent", "/" + self.cgparent]
            with open(self.log_path, "w") as log:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=log)
            deadline = time.monotonic() + 30
            while True:
                if self.proc.poll() is not None:
                    raise unittest.SkipTest(
                        f"dockerd exited with {self.proc.returncode}: "
                        f"{self._log_tail()}")
                r = subprocess.run([self.client, "version"], env=self.env(),
                                   capture_output=True, timeout=30)
                if r.returncode == 0:
                    break
                if time.monotonic() > deadline:
                    raise unittest.SkipTest(f"dockerd did not answer in "
                                            f"30s: {self._log_tail()}")
                time.sleep(0.1)
            r = subprocess.run([self.client, "load"],
                               input=image_harness.busybox("docker"),
                               env=self.env(), capture_output=True,
                               timeout=60)
            if r.returncode != 0:
                raise RuntimeError(f"docker load: "
                                   f"{r.stderr.decode(errors='replace')}")

        def teardown(self):
            left = super().teardown()
            if self.outside is not None:
                self.outside.delete()
                self.outside = None
            return left

    return BridgedEngine, None


def docker_start(build, notes):
    cls, why = docker_engine_class()
    if cls is None:
        notes.append(f"docker: not measured ({why})")
        return None
    try:
        eng = cls(cb.Ctx(build))
    except unittest.SkipTest as e:
        notes.append(f"docker: not measured ({e})")
        return None
    try:
        eng.__enter__()
    except (unittest.SkipTest, RuntimeError, OSError,
            subprocess.SubprocessError) as e:
        notes.append(f"docker: not measured (dockerd with a bridge did not "
                     f"start: {str(e).strip()[-300:]})")
        return None
    return eng


def docker_tcp(eng, args, rows, notes):
    r = eng.docker("run", "-d", "-p", f"{HOST_PORT}:{PORT}", "busybox",
                   "sleep", "600")
    if r.returncode != 0:
        notes.append(f"docker run -d -p: failed: {r.stderr.strip()}")
        return
    cid = r.stdout.strip()
    try:
        r = eng.docker("inspect", "-f", "{{.State.Pid}} "
                       "{{.NetworkSettings.IPAddress}}", cid)
        if r.returncode != 0 or len(r.stdout.split()) != 2:
            notes.append(f"docker inspect: failed: {r.stderr.strip()}")
            return
        pid, addr = r.stdout.split()
        ctr = ["nsenter", f"--net=/proc/{pid}/ns/net"]
        me = ["nsenter", f"--net=/run/netns/{eng.name}"]
        throughput([
            ("docker: container's address, direct", ctr, me, addr, PORT),
            ("docker: published, 127.0.0.1 (docker-proxy)", ctr, me,
             "127.0.0.1", HOST_PORT),
            (f"docker: published, own address ({INSIDE})", ctr, me, INSIDE,
             HOST_PORT),
            ("docker: published, from outside (veth)", ctr,
             eng.outside.prefix(), INSIDE, HOST_PORT)], args, rows, notes)
    finally:
        eng.docker("rm", "-f", cid)


def docker_run_ms(eng, mode):
    return cb.timed_ms([eng.client, "run", "--rm", "--network", mode,
                        "busybox", "true"], env=eng.env())


def docker_true(eng, args, rows, notes):
    try:
        got = interleaved(MODES, args.runs,
                          lambda m: docker_run_ms(eng, m))
    except RuntimeError as e:
        notes.append(f"docker run: failed: {e}")
        return
    for m in MODES:
        rows.append((f"docker run --rm --network {m} busybox true", got[m]))


# --- main -------------------------------------------------------------------

def part(fn, d, args, *out):
    """fn(d, args, *out), out ending with the notes: a failure is a note,
    and the other parts still run."""
    try:
        fn(d, args, *out)
    except (RuntimeError, OSError, berth.BerthError) as e:
        out[-1].append(f"{fn.__name__}: failed: {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build")
    ap.add_argument("-n", "--runs", type=int, default=30,
                    help="runs of each start (default 30)")
    ap.add_argument("-d", "--seconds", type=float, default=3.0,
                    help="seconds of each TCP stream (default 3)")
    ap.add_argument("-r", "--repeats", type=int, default=5,
                    help="streams per path (default 5)")
    ap.add_argument("--cpu", default="0",
                    help="the CPU both ends of a TCP stream run on "
                    "(default 0; 'any': wherever the scheduler puts them)")
    ap.add_argument("--only", default="tcp,start",
                    help="comma-separated parts: tcp,start")
    ap.add_argument("--no-docker", action="store_true",
                    help="no throwaway dockerd for the comparison")
    args = ap.parse_args()
    only = [p for p in args.only.split(",") if p]
    bad = [p for p in only if p not in ("tcp", "start")]
    if bad:
        ap.error(f"unknown part {bad[0]} (parts: tcp,start)")
    if os.geteuid() != 0:
        print("bench: network benchmark skipped (needs root)")
        return 0
    args.pin = ()
    if args.cpu != "any":
        if shutil.which("taskset") is None:
            ap.error("--cpu needs taskset (util-linux); --cpu any runs "
                     "without it")
        args.pin = ("taskset", "-c", args.cpu)
    build = os.path.abspath(args.build)
    for b in ("berthd", "berth"):
        if not os.access(os.path.join(build, b), os.X_OK):
            print(f"bench: {build}/{b} not built (make all)", file=sys.stderr)
            return 2
    load0 = cb.loadavg()
    tcp, start, notes, calls = [], [], [], {}
    tmp = tempfile.mkdtemp(prefix="berth-bench-net-")
    ns = d = eng = None
    try:
        ns = Netns(prefix="berth-nb")
        ns.outside_host(OUTSIDE, INSIDE)
        d = NsBerthd(build, tmp, ns)
        cb.load_busybox(d, tmp)
        if "tcp" in only:
            part(berth_tcp, d, args, tcp, notes)
        if "start" in only:
            part(berth_start, d, args, start, calls, notes)
        if d.proc.poll() is not None:
            notes.append(f"berthd exited {d.proc.returncode}: "
                         f"{d.log_tail()}")
        d.stop()
        # Docker last, so that its daemons are not running beside berthd.
        if not args.no_docker:
            eng = docker_start(build, notes)
        if eng is not None and "tcp" in only:
            docker_tcp(eng, args, tcp, notes)
        if eng is not None and "start" in only:
            docker_true(eng, args, start, notes)
    finally:
        if eng is not None:
            left = eng.teardown()
            if left:
                notes.append("docker: left behind: " + "; ".join(left))
        if d is not None:
            d.stop()
            left = d.sweep()
            if left:
                notes.append(f"cgroups left: {left}")
        if ns is not None:
            ns.delete()
        cb.remove_tmp(tmp)

    print(f"load average before: {load0}, after: {cb.loadavg()} (other "
          f"work on the machine makes the figures noisy)")
    if tcp:
        print()
        where = "any CPU" if args.cpu == "any" else f"CPU {args.cpu}"
        cb.table(f"TCP into a container's port {PORT}: one stream, 1 MiB "
                 f"writes, {args.repeats} x {args.seconds:g} s, both ends "
                 f"on {where} (MiB/s)",
                 ("median", "min", "max"),
                 [(n, f"{statistics.median(t):10.0f}", f"{min(t):10.0f}",
                   f"{max(t):10.0f}") for n, t in tcp])
    if start:
        print()
        cb.table(f"`true` in a container, {args.runs} runs each, the "
                 f"networks taking turns (ms)", ("median", "p90", "min"),
                 [(n, f"{statistics.median(t):10.2f}", f"{cb.p90(t):10.2f}",
                   f"{min(t):10.2f}") for n, t in start])
        extra = []
        by = dict(start)
        for who, key in (("berth protocol",
                          "berth: Create+Start+Wait+Remove, {}"),
                         ("berth run", "berth run --rm --network {} "
                          "busybox true"),
                         ("docker run", "docker run --rm --network {} "
                          "busybox true")):
            b, n = by.get(key.format("bridge")), by.get(key.format("none"))
            if b and n:
                # The runs took turns: the difference of each pair.
                diff = [x - y for x, y in zip(b, n)]
                extra.append((who, f"{statistics.median(diff):10.2f}",
                              f"{cb.p90(diff):10.2f}"))
        if extra:
            print()
            cb.table("the extra start latency of a bridged container over "
                     "--network none, run by run (ms)", ("median", "p90"),
                     extra)
    if calls:
        print()
        cb.table("berth: each call of Create+Start+Wait+Remove (median ms)",
                 CALLS, [(f"--network {m}", *(
                     f"{statistics.median(r[i] for r in calls[m]):10.2f}"
                     for i in range(len(CALLS))))
                     for m in calls])
    for n in notes:
        print(f"note: {n}")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    try:
        sys.exit(main())
    except (RuntimeError, OSError, berth.BerthError) as e:
        print(f"bench: network benchmark failed: {e}", file=sys.stderr)
        sys.exit(1)
