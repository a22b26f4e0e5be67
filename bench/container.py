#!/usr/bin/python3
"""Containers through berthd, side by side with what else can run here.

  run    `berth run --rm --network none busybox true` end to end (CLI and
         berthd), and
         Create+Start+Wait+Remove over the protocol; beside
         `berth-runtime run` and `runc run` of one busybox bundle, the
         `unshare -fpmnuiC --mount-proc true` floor and `docker run --rm
         --network none busybox true` on a throwaway dockerd
  starts containers a second: one client, 8 protocol clients at once,
         8 `berth run --rm` processes at once
  ps     List and `berth ps` with N `sleep` containers running (500)
  logs   MiB/s from a container's stdout into its log (64 KiB chunks of
         zeros; 80-byte lines) and berthd's CPU seconds per GiB of it;
         beside docker's json-file when a dockerd can run
  and always berthd's VmRSS, VmHWM and fds: idle, after each part, with
         N running

	bench/container.py BUILD [-n RUNS] [--running N] [--log-mb MB]
	                   [--only run,starts,ps,logs] [--no-docker]

Needs root.  berthd runs on temporary roots, in a network namespace of the
bench's own (containers are bridged: nothing touches the host's network),
with a cgroup parent of the
bench's own and is stopped by its pid; whatever fails, every container
is removed, the daemon stopped, leftover cgroups emptied and removed and
mounts under the temporary root detached.  The dockerd, when one runs,
is tests/integration/test_docker.py's DockerEngine: its own roots,
socket and network namespace, no bridge, no iptables, torn down after.
Figures only: nothing here asserts a time.
"""
import argparse
import ctypes
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tools", "python"))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

import berth  # noqa: E402
from netns import Netns  # noqa: E402

C = "io.berth.Container."
# As Docker's side here: --network none (bench/network.py measures the
# bridge, beside Docker's).
NONE = {"network_mode": "none"}
PARTS = ("run", "starts", "ps", "logs")
MiB = 1 << 20
GiB = 1 << 30
MNT_DETACH, UMOUNT_NOFOLLOW = 2, 8
LINE = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
       "0123456789abcdef"          # 79 characters and the newline: 80 bytes
CLK_TCK = os.sysconf("SC_CLK_TCK")


def p90(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.9))]


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_s(pid):
    """utime+stime of pid itself (not its children), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def nfds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def timed_ms(cmd, **kw):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                       **kw)
    ms = (time.perf_counter() - t0) * 1000
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: "
                           f"{p.stderr.decode(errors='replace')[-300:]}")
    return ms


def series(cmd, n, warmup=3, **kw):
    for _ in range(warmup):
        timed_ms(cmd, **kw)
    return [timed_ms(cmd, **kw) for _ in range(n)]


class Berthd:
    """berthd on temporary roots; prefix (e.g. a Netns's nsenter) runs it
    in a network namespace of the bench's own: its containers' bridge
    and rules never touch the host's network."""

    def __init__(self, build, tmp, prefix=(), cgname="berth-bench"):
        self.dir = tmp
        self.build = build
        self.sock = os.path.join(tmp, "s")
        self.root = os.path.join(tmp, "root")
        self.cgparent = f"{cgname}-{os.getpid()}"
        self.logpath = os.path.join(tmp, "log")
        self.proc = subprocess.Popen(
            list(prefix) +
            [os.path.join(build, "berthd"), "--socket", self.sock, "--root",
             self.root, "--run-root", os.path.join(tmp, "run"),
             "--log-level", "warn", "--cgroup-parent", self.cgparent],
            stdin=subprocess.DEVNULL, stderr=open(self.logpath, "w"))
        for _ in range(1000):
            if self.proc.poll() is not None:
                break
            if os.path.exists(self.sock):
                try:
                    with self.client() as c:
                        c.call("io.berth.Service.Ping")
                    return
                except OSError:
                    pass
            time.sleep(0.01)
        raise RuntimeError(f"berthd did not start: {self.log_tail()}")

    @property
    def pid(self):
        return self.proc.pid

    def log_tail(self, n=5):
        try:
            with open(self.logpath, errors="replace") as f:
                return "".join(f.readlines()[-n:]).strip()
        except OSError:
            return "(no log)"

    def client(self):
        return berth.Client("unix://" + self.sock, timeout=300)

    def cli(self, *args):
        return [os.path.join(self.build, "berth"), "-H",
                "unix://" + self.sock, *args]

    def mem(self):
        return status_kib(self.pid, "VmRSS"), status_kib(self.pid, "VmHWM")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def sweep(self):
        """After the daemon: kill what is left in its containers' cgroups
        and remove them; the list of what could not be removed."""
        left = []
        root = "/sys/fs/cgroup"
        for h in sorted(os.listdir(root)):
            top = os.path.join(root, h, self.cgparent)
            if not os.path.isdir(top):
                continue
            for d, _, files in sorted(os.walk(top),
                                      key=lambda w: -len(w[0])):
                try:
                    with open(os.path.join(d, "cgroup.procs")) as f:
                        for pid in f.read().split():
                            try:
                                os.kill(int(pid), signal.SIGKILL)
                            except ProcessLookupError:
                                pass
                except OSError:
                    pass
                for _ in range(100):
                    try:
                        os.rmdir(d)
                        break
                    except FileNotFoundError:
                        break
                    except OSError:
                        time.sleep(0.02)
                else:
                    left.append(d)
        return left


def mounts_under(path):
    path = os.path.realpath(path)
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].encode().decode("unicode_escape")
            if mp == path or mp.startswith(path + "/"):
                out.append(mp)
    return out


def remove_tmp(tmp):
    """Remove tmp, never through a mount."""
    libc = ctypes.CDLL(None, use_errno=True)
    for mp in sorted(mounts_under(tmp), key=len, reverse=True):
        libc.umount2(mp.encode(), MNT_DETACH | UMOUNT_NOFOLLOW)
    left = mounts_under(tmp)
    if left:
        print(f"bench: not removing {tmp}: still mounted: {left}",
              file=sys.stderr)
        return
    shutil.rmtree(tmp, ignore_errors=True)


def load_busybox(d, tmp):
    path = os.path.join(tmp, "bb.tar")
    subprocess.run(["/usr/bin/python3", os.path.join(TOP, "tools",
                    "mkimage.py"), "--format", "docker", "-o", path,
                    "--tag", "busybox:latest"], check=True,
                   capture_output=True)
    r = subprocess.run(d.cli("load", "-i", path), capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise RuntimeError(f"load: {r.stderr}")


def one_true(c):
    t0 = time.perf_counter()
    cid = c.call(C + "Create", config={"image": "busybox",
                                       "cmd": ["true"], "host": NONE})["id"]
    c.call(C + "Start", container=cid)
    code = c.call(C + "Wait", container=cid)["exit_code"]
    c.call(C + "Remove", container=cid)
    if code != 0:
        raise RuntimeError(f"true exited {code}")
    return (time.perf_counter() - t0) * 1000


def parallel(nworkers, per, fn):
    """fn(worker) per times in each of nworkers threads: (each result,
    wall seconds); the first exception is raised after all joined."""
    out, errs, lock = [], [], threading.Lock()

    def worker(i):
        try:
            for _ in range(per):
                r = fn(i)
                with lock:
                    out.append(r)
        except Exception as e:  # noqa: BLE001
            with lock:
                errs.append(e)

    t0 = time.perf_counter()
    ts = [threading.Thread(target=worker, args=(i,))
          for i in range(nworkers)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    if errs:
        raise errs[0]
    return out, wall


# --- the others: berth-runtime, runc, unshare, docker -----------------------

class Ctx:
    def __init__(self, build):
        self.build = build
        self.sanitized = False


def runtime_rows(build, runs, rows, notes, runc):
    """berth-runtime and runc on one bundle, and the unshare floor."""
    import runtime_harness as rh
    parent = f"berth-bench-rt-{os.getpid()}"
    bundle = tempfile.mkdtemp(prefix="berth-bench-bundle-")
    state = tempfile.mkdtemp(prefix="berth-bench-state-")
    try:
        subprocess.run(["cp", "-a", rh.rootfs_cache(Ctx(build)),
                        os.path.join(bundle, "rootfs")], check=True)
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(rh.base_config(["true"], f"{parent}/spawn"), f)
        for name, binary in (("berth-runtime run (same bundle)",
                              os.path.join(build, "berth-runtime")),
                             ("runc run (same bundle)", runc)):
            if not binary or not os.access(binary, os.X_OK):
                notes.append(f"{name.split()[0]}: not installed, skipped")
                continue
            try:
                rows.append((name, series(
                    [binary, "--root", state, "run", "--bundle", bundle,
                     f"bench-{os.getpid()}"], runs, cwd=bundle)))
            except RuntimeError as e:
                notes.append(f"{name.split()[0]}: failed: {e}")
    finally:
        shutil.rmtree(bundle, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)
        for h in rh._cgroup_hierarchies():
            for d in sorted(rh._walk_dirs(h), key=len, reverse=True):
                if f"/{parent}" in d:
                    try:
                        os.rmdir(d)
                    except OSError:
                        pass
    if shutil.which("unshare"):
        rows.append(("unshare -fpmnuiC --mount-proc true",
                     series(["unshare", "-fpmnuiC", "--mount-proc", "true"],
                            runs)))


def docker_engine(build, notes):
    """A throwaway dockerd (test_docker.DockerEngine) or None with a note."""
    import unittest
    try:
        from test_docker import DockerEngine
    except Exception as e:  # noqa: BLE001
        notes.append(f"docker: cannot use test_docker.DockerEngine: {e}")
        return None
    try:
        eng = DockerEngine(Ctx(build))
    except unittest.SkipTest as e:
        notes.append(f"docker: skipped: {e}")
        return None
    try:
        eng.__enter__()
    except unittest.SkipTest as e:
        notes.append(f"docker: skipped: {e}")
        return None
    except Exception as e:  # noqa: BLE001
        notes.append(f"docker: dockerd did not start: {e}")
        return None
    return eng


def docker_cmd(eng, *args):
    return [eng.client, *args]


def docker_true(eng, runs, rows, notes):
    cmd = docker_cmd(eng, "run", "--rm", "--network", "none", "busybox",
                     "true")
    try:
        rows.append(("docker run --rm busybox true",
                     series(cmd, runs, env=eng.env())))
        rows.append(("  the same, --runtime berth", series(
            docker_cmd(eng, "run", "--rm", "--runtime", "berth",
                       "--network", "none", "busybox", "true"),
            runs, env=eng.env())))
    except RuntimeError as e:
        notes.append(f"docker run: failed: {e}")


def docker_logs(eng, mb, out, notes):
    """docker's json-file with berthd's rotation (4 x 32 MiB): MiB/s and
    dockerd's own CPU per GiB, 80-byte lines (zeros are no fair case:
    json-file writes each NUL as \\u0000, six bytes)."""
    script = f"yes {LINE} | head -c {mb * MiB}"
    try:
        cpu0 = cpu_s(eng.proc.pid)
        t0 = time.perf_counter()
        r = subprocess.run(docker_cmd(eng, "run", "-d", "--network", "none",
                                      "--log-opt", "max-size=32m",
                                      "--log-opt", "max-file=4",
                                      "busybox", "sh", "-c", script),
                           env=eng.env(), capture_output=True, text=True,
                           timeout=600)
        if r.returncode != 0:
            raise RuntimeError(r.stderr.strip())
        cid = r.stdout.strip()
        r = subprocess.run(docker_cmd(eng, "wait", cid), env=eng.env(),
                           capture_output=True, text=True, timeout=600)
        t = time.perf_counter() - t0
        cpu = cpu_s(eng.proc.pid) - cpu0
        r2 = subprocess.run(docker_cmd(eng, "inspect", "-f", "{{.LogPath}}",
                                       cid), env=eng.env(),
                            capture_output=True, text=True)
        size = 0
        if r2.returncode == 0:
            logdir = os.path.dirname(r2.stdout.strip())
            size = sum(os.path.getsize(os.path.join(logdir, f))
                       for f in os.listdir(logdir) if "-json.log" in f)
        subprocess.run(docker_cmd(eng, "rm", "-f", cid), env=eng.env(),
                       capture_output=True)
        out.append((f"dockerd json-file, {mb} MiB of 80-byte lines", mb / t,
                    cpu * GiB / (mb * MiB), size))
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        notes.append(f"docker logs: failed: {e}")


# --- the parts --------------------------------------------------------------

def part_run(d, args, rows, notes):
    with d.client() as c:
        for _ in range(3):
            one_true(c)
        rows.append(("Create+Start+Wait+Remove (protocol)",
                     [one_true(c) for _ in range(args.runs)]))
    rows.append(("berth run --rm --network none busybox true",
                 series(d.cli("run", "--rm", "--network", "none",
                              "busybox", "true"), args.runs)))
    runtime_rows(d.build, args.runs, rows, notes, args.runc)


def part_starts(d, args, rates, lat):
    with d.client() as c:
        seq = [one_true(c) for _ in range(args.runs)]
    rates.append(("1 protocol client, one after another",
                  1000 / statistics.median(seq), len(seq)))
    per = max(1, args.runs // 8)
    clients = {}

    def proto(i):
        if i not in clients:
            clients[i] = d.client()
        return one_true(clients[i])

    # A ninth client pings meanwhile: how long the loop keeps others
    # waiting while it starts containers.
    pings, done = [], threading.Event()

    def pinger():
        with d.client() as c:
            while not done.is_set():
                t = time.perf_counter()
                c.call("io.berth.Service.Ping")
                pings.append((time.perf_counter() - t) * 1000)
                time.sleep(0.001)

    idle = []
    with d.client() as c:
        for _ in range(200):
            t = time.perf_counter()
            c.call("io.berth.Service.Ping")
            idle.append((time.perf_counter() - t) * 1000)
            time.sleep(0.001)
    pt = threading.Thread(target=pinger)
    pt.start()
    try:
        out, wall = parallel(8, per, proto)
    finally:
        done.set()
        pt.join()
        for c in clients.values():
            c.close()
    rates.append(("8 protocol clients at once", len(out) / wall, len(out)))
    lat.append(("Ping, idle", idle))
    lat.append(("Ping while 8 clients start containers", pings))
    cmd = d.cli("run", "--rm", "--network", "none", "busybox", "true")
    out, wall = parallel(8, per, lambda i: timed_ms(cmd))
    rates.append(("8 `berth run --rm` at once", len(out) / wall, len(out)))


def limits_now(d):
    """What may stop more containers: berthd's fds, tasks, memory."""
    nofile = "?"
    try:
        with open(f"/proc/{d.pid}/limits") as f:
            for line in f:
                if line.startswith("Max open files"):
                    nofile = line.split()[3]
    except OSError:
        pass
    with open("/proc/meminfo") as f:
        avail = [int(l.split()[1]) for l in f
                 if l.startswith("MemAvailable")][0]
    with open("/proc/loadavg") as f:
        tasks = f.read().split()[3]
    with open("/proc/sys/kernel/pid_max") as f:
        pid_max = f.read().strip()
    return (f"berthd fds {nfds(d.pid)} of {nofile}; tasks (runnable/all) "
            f"{tasks} "
            f"(pid_max {pid_max}); MemAvailable {avail // 1024} MiB")


def part_ps(d, args, ps_rows, notes, mem):
    n = args.running
    ids, lock = [], threading.Lock()
    clients = {}

    def start(i):
        if i not in clients:
            clients[i] = d.client()
        c = clients[i]
        cid = c.call(C + "Create", config={
            "image": "busybox", "cmd": ["sleep", "3600"],
            "host": NONE})["id"]
        with lock:
            ids.append(cid)
        c.call(C + "Start", container=cid)
        return cid

    try:
        workers = 8
        t0 = time.perf_counter()
        try:
            parallel(workers, n // workers, start)
            for _ in range(n % workers):
                start(0)
        except Exception as e:  # noqa: BLE001
            notes.append(f"ps: only {len(ids)} of {n} containers started: "
                         f"{e}; {limits_now(d)}")
        took = time.perf_counter() - t0
        for c in list(clients.values()):
            c.close()       # their fds, in case berthd is short of them
        clients.clear()
        with d.client() as c:
            running = [r for r in c.call(C + "List")["containers"]
                       if r["state"] == "running"]
            got = len(running)
            notes.append(f"ps: {got} running, started in {took:.1f} s by "
                         f"8 clients ({got / took:.0f}/s); "
                         f"{limits_now(d)}")
            lst = []
            for _ in range(args.ps_runs):
                t = time.perf_counter()
                c.call(C + "List")
                lst.append((time.perf_counter() - t) * 1000)
            ps_rows.append((f"List, {got} running (protocol)", lst))
            lst = []
            for _ in range(args.ps_runs):
                t = time.perf_counter()
                c.call(C + "List", all=True)
                lst.append((time.perf_counter() - t) * 1000)
            ps_rows.append((f"List all=true, {got} running", lst))
        cli = series(d.cli("ps"), args.ps_runs, warmup=1)
        lines = subprocess.run(d.cli("ps"), capture_output=True,
                               text=True).stdout.count("\n")
        if lines != got + 1:
            notes.append(f"ps: `berth ps` printed {lines} lines for "
                         f"{got} running")
        ps_rows.append((f"berth ps, {got} running (CLI)", cli))
        ps_rows.append((f"berth ps -q, {got} running (CLI)",
                        series(d.cli("ps", "-q"), args.ps_runs, warmup=1)))
        mem.append((f"with {got} running", *d.mem(), nfds(d.pid)))
    finally:
        t0 = time.perf_counter()
        for c in clients.values():
            c.close()
        rm = []
        with d.client() as c:
            for cid in ids:
                t = time.perf_counter()
                try:
                    c.call(C + "Remove", container=cid, force=True)
                except berth.BerthError as e:
                    notes.append(f"ps: remove {cid[:12]}: {e}")
                rm.append((time.perf_counter() - t) * 1000)
            left = c.call(C + "List", all=True)["containers"]
        if rm:
            ps_rows.append((f"Remove force=true of a running one "
                            f"({len(rm)})", rm))
            notes.append(f"ps: {len(rm)} removed in "
                         f"{time.perf_counter() - t0:.1f} s")
        if left:
            notes.append(f"ps: {len(left)} containers left after removal")
    base = series(d.cli("ps"), args.ps_runs, warmup=1)
    ps_rows.append(("berth ps, 0 running (CLI)", base))
    mem.append((f"after the {n} removed", *d.mem(), nfds(d.pid)))


def part_logs(d, args, log_rows):
    mb = args.log_mb
    cases = (
        (f"{mb} MiB of zeros, dd bs=64k",
         f"dd if=/dev/zero bs=64k count={mb * 16} 2>/dev/null"),
        (f"{mb} MiB of 80-byte lines",
         f"yes {LINE} | head -c {mb * MiB}"),
    )
    with d.client() as c:
        for name, script in cases:
            cid = c.call(C + "Create", config={
                "image": "busybox", "cmd": ["sh", "-c", script],
                "host": NONE})["id"]
            try:
                cpu0 = cpu_s(d.pid)
                t0 = time.perf_counter()
                c.call(C + "Start", container=cid)
                code = c.call(C + "Wait", container=cid)["exit_code"]
                t = time.perf_counter() - t0
                cpu = cpu_s(d.pid) - cpu0
                if code != 0:
                    notes.append(f"logs: {name}: exit {code}")
                logdir = os.path.join(d.root, "containers", cid)
                kept = sum(os.path.getsize(os.path.join(logdir, f))
                           for f in os.listdir(logdir)
                           if f.startswith("container.log"))
                log_rows.append((f"berthd, {name}", mb / t,
                                 cpu * GiB / (mb * MiB), kept))
            finally:
                c.call(C + "Remove", container=cid, force=True)
    # The floor: the same commands on the host into a pipe to cat.
    if os.access("/bin/busybox", os.X_OK):
        for name, script in cases:
            t0 = time.perf_counter()
            subprocess.run(f"/bin/busybox sh -c '{script}' | cat >/dev/null",
                           shell=True, check=True)
            log_rows.append((f"floor: {name.split(', ')[0]} to | cat",
                             mb / (time.perf_counter() - t0), 0.0, 0))


# --- main -------------------------------------------------------------------

def table(title, head, rows):
    print(title)
    print(f"{'':46} " + " ".join(f"{h:>10}" for h in head))
    for r in rows:
        print(f"{r[0]:46} " + " ".join(r[1:]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build")
    ap.add_argument("-n", "--runs", type=int, default=50,
                    help="runs of each timed command (default 50)")
    ap.add_argument("--running", type=int, default=500,
                    help="containers running for ps (default 500)")
    ap.add_argument("--ps-runs", type=int, default=20)
    ap.add_argument("--log-mb", type=int, default=1024,
                    help="MiB written to the log per case (default 1024)")
    ap.add_argument("--only", default=",".join(PARTS),
                    help="comma-separated parts: " + ",".join(PARTS))
    ap.add_argument("--no-docker", action="store_true",
                    help="no throwaway dockerd for the comparison")
    ap.add_argument("--runc", default=shutil.which("runc"))
    args = ap.parse_args()
    only = [p for p in args.only.split(",") if p]
    bad = [p for p in only if p not in PARTS]
    if bad:
        ap.error(f"unknown part {bad[0]} (parts: {','.join(PARTS)})")
    if os.geteuid() != 0:
        print("bench: container benchmark skipped (needs root)")
        return 0
    build = os.path.abspath(args.build)
    for b in ("berthd", "berth"):
        if not os.access(os.path.join(build, b), os.X_OK):
            print(f"bench: {build}/{b} not built (make all)", file=sys.stderr)
            return 2
    load0 = loadavg()
    tmp = tempfile.mkdtemp(prefix="berth-bench-ctr-")
    d = eng = ns = None
    rows, rates, ps_rows, log_rows, mem, notes = [], [], [], [], [], []
    lat = []
    try:
        ns = Netns(prefix="berth-bc")
        d = Berthd(build, tmp, ns.prefix())
        mem.append(("idle, nothing loaded", *d.mem(), nfds(d.pid)))
        load_busybox(d, tmp)
        mem.append(("idle, busybox loaded", *d.mem(), nfds(d.pid)))
        if "run" in only:
            part_run(d, args, rows, notes)
            mem.append(("after run", *d.mem(), nfds(d.pid)))
        if "starts" in only:
            part_starts(d, args, rates, lat)
            mem.append(("after starts", *d.mem(), nfds(d.pid)))
        if "ps" in only:
            part_ps(d, args, ps_rows, notes, mem)
        if "logs" in only:
            part_logs(d, args, log_rows)
            mem.append((f"after logging 2 x {args.log_mb} MiB",
                        *d.mem(), nfds(d.pid)))
        if d.proc.poll() is not None:
            notes.append(f"berthd exited {d.proc.returncode}: "
                         f"{d.log_tail()}")
        # Docker last, so that its daemons are not running beside berthd.
        if not args.no_docker and ("run" in only or "logs" in only):
            eng = docker_engine(build, notes)
        if eng is not None and "run" in only:
            docker_true(eng, args.runs, rows, notes)
        if eng is not None and "logs" in only:
            docker_logs(eng, args.log_mb, log_rows, notes)
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
        remove_tmp(tmp)

    print(f"load average before: {load0}, after: {loadavg()} (other work on "
          f"the machine makes the figures noisy)")
    if rows:
        print()
        table(f"`true` in a container, {args.runs} runs each (ms, end to "
              f"end: fork, exec and wait of the command)",
              ("median", "p90", "min"),
              [(n, f"{statistics.median(t):10.2f}", f"{p90(t):10.2f}",
                f"{min(t):10.2f}") for n, t in rows])
    if rates:
        print()
        table("starts: `true` containers created, started, waited for and "
              "removed", ("per second", "containers"),
              [(n, f"{r:10.1f}", f"{k:10d}") for n, r, k in rates])
    if lat:
        print()
        table("berthd's loop meanwhile: Ping from another client (ms)",
              ("median", "p99", "max"),
              [(n, f"{statistics.median(t):10.2f}",
                f"{sorted(t)[int(len(t) * 0.99)]:10.2f}", f"{max(t):10.2f}")
               for n, t in lat])
    if ps_rows:
        print()
        table(f"ps with {args.running} `sleep` containers (ms)",
              ("median", "p90", "min"),
              [(n, f"{statistics.median(t):10.2f}", f"{p90(t):10.2f}",
                f"{min(t):10.2f}") for n, t in ps_rows])
    if log_rows:
        print()
        table("logs: a container's stdout into its log, Start to exit "
              "(rotation: berthd keeps 4 x 32 MiB)",
              ("MiB/s", "CPU s/GiB", "kept MiB"),
              [(n, f"{r:10.1f}", f"{cpu:10.2f}", f"{k / MiB:10.1f}")
               for n, r, cpu, k in log_rows])
    print()
    table("berthd memory (KiB) and open fds", ("VmRSS", "VmHWM", "fds"),
          [(n, f"{r:10d}", f"{h:10d}", f"{f:10d}") for n, r, h, f in mem])
    for n in notes:
        print(f"note: {n}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, OSError, berth.BerthError) as e:
        print(f"bench: container benchmark failed: {e}", file=sys.stderr)
        sys.exit(1)
