#!/usr/bin/python3
"""Containers through berthd: the time of one `true` container end to end
(Create, Start, Wait, Remove over the protocol, from a fresh snapshot of
the busybox image to nothing left), sequentially and from 8 clients at
once; `berth run --rm busybox true` through the CLI when the CLI has it;
List latency with many containers running; and berthd's RSS idle and
with them.  bench/spawn.py has berth-runtime, runc and the kernel floor
for the same `true`.

	bench/container.py BUILD [-n RUNS] [--running N]

Needs root.  berthd runs on temporary roots and is stopped by its pid.
"""
import argparse
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

C = "io.berth.Container."


def p90(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.9))]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Berthd:
    def __init__(self, build, tmp):
        self.dir = tmp
        self.sock = os.path.join(tmp, "s")
        self.root = os.path.join(tmp, "root")
        self.proc = subprocess.Popen(
            [os.path.join(build, "berthd"), "--socket", self.sock, "--root",
             self.root, "--run-root", os.path.join(tmp, "run"),
             "--log-level", "warn", "--cgroup-parent",
             f"berth-bench-{os.getpid()}"],
            stderr=open(os.path.join(tmp, "log"), "w"))
        for _ in range(500):
            if os.path.exists(self.sock):
                try:
                    with self.client() as c:
                        c.call("io.berth.Service.Ping")
                    return
                except OSError:
                    pass
            time.sleep(0.01)
        raise RuntimeError("berthd did not start")

    def client(self):
        return berth.Client("unix://" + self.sock, timeout=120)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)


def load_busybox(d, tmp):
    path = os.path.join(tmp, "bb.tar")
    subprocess.run(["/usr/bin/python3", os.path.join(TOP, "tools",
                    "mkimage.py"), "--format", "docker", "-o", path,
                    "--tag", "busybox:latest"], check=True,
                   capture_output=True)
    r = subprocess.run([os.path.join(os.path.dirname(d.proc.args[0]),
                        "berth"), "-H", "unix://" + d.sock, "load", "-i",
                        path], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"load: {r.stderr}")


def one_true(c):
    t0 = time.perf_counter()
    cid = c.call(C + "Create", config={"image": "busybox",
                                       "cmd": ["true"]})["id"]
    c.call(C + "Start", container=cid)
    code = c.call(C + "Wait", container=cid)["exit_code"]
    c.call(C + "Remove", container=cid)
    if code != 0:
        raise RuntimeError(f"true exited {code}")
    return (time.perf_counter() - t0) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("-n", "--runs", type=int, default=50)
    ap.add_argument("--running", type=int, default=200)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench: container benchmark skipped (needs root)")
        return 0
    build = os.path.abspath(args.build)
    tmp = tempfile.mkdtemp(prefix="berth-bench-ctr-")
    d = None
    try:
        d = Berthd(build, tmp)
        load_busybox(d, tmp)
        idle = rss_kib(d.proc.pid)
        with d.client() as c:
            for _ in range(3):
                one_true(c)
            seq = [one_true(c) for _ in range(args.runs)]
        # 8 clients at once.
        par, lock = [], threading.Lock()
        per = max(1, args.runs // 8)

        def worker():
            with d.client() as c:
                for _ in range(per):
                    ms = one_true(c)
                    with lock:
                        par.append(ms)

        t0 = time.perf_counter()
        ts = [threading.Thread(target=worker) for _ in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        wall = time.perf_counter() - t0
        cli = []
        berth_cli = os.path.join(build, "berth")
        probe = subprocess.run([berth_cli, "-H", "unix://" + d.sock, "run",
                                "--rm", "busybox", "true"],
                               capture_output=True, text=True)
        if probe.returncode == 0:
            for _ in range(args.runs):
                t = time.perf_counter()
                subprocess.run([berth_cli, "-H", "unix://" + d.sock, "run",
                                "--rm", "busybox", "true"], check=True,
                               capture_output=True)
                cli.append((time.perf_counter() - t) * 1000)
        # Many running at once.
        ids = []
        with d.client() as c:
            for _ in range(args.running):
                cid = c.call(C + "Create", config={
                    "image": "busybox", "cmd": ["sleep", "600"]})["id"]
                c.call(C + "Start", container=cid)
                ids.append(cid)
            lst = []
            for _ in range(20):
                t = time.perf_counter()
                n = len(c.call(C + "List")["containers"])
                lst.append((time.perf_counter() - t) * 1000)
            assert n == args.running, n
            busy = rss_kib(d.proc.pid)
            for cid in ids:
                c.call(C + "Remove", container=cid, force=True)

        print(f"containers through berthd ({args.runs} runs, ms)")
        print(f"{'':44} {'median':>8} {'p90':>8}")
        print(f"{'true: Create+Start+Wait+Remove, 1 client':44} "
              f"{statistics.median(seq):8.2f} {p90(seq):8.2f}")
        print(f"{'the same from 8 clients at once':44} "
              f"{statistics.median(par):8.2f} {p90(par):8.2f}")
        print(f"  8 clients: {len(par) / wall:.0f} containers/s; "
              f"1 client: {1000 / statistics.median(seq):.0f}/s")
        if cli:
            print(f"{'berth run --rm busybox true (CLI)':44} "
                  f"{statistics.median(cli):8.2f} {p90(cli):8.2f}")
        else:
            print("berth run: not in this CLI yet: "
                  + (probe.stderr.strip().splitlines() or ["?"])[-1])
        print(f"{'List with %d running' % args.running:44} "
              f"{statistics.median(lst):8.2f} {p90(lst):8.2f}")
        print(f"berthd RSS: {idle} KiB idle, {busy} KiB with "
              f"{args.running} running containers (and no other process "
              f"per container)")
        return 0
    finally:
        if d is not None:
            d.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
