#!/usr/bin/python3
"""Spawn latency of `true` in a container, side by side: berth-runtime run
and runc run on the same bundle (busybox rootfs, config.json as runc spec
writes it, Docker's capabilities, no seccomp, no limits), the kernel floor
(`unshare -fpmnuiC true`: the same namespaces, no rootfs, no cgroup) and a
plain fork+exec of /bin/true.  Median and p90 of N runs each, in ms.

	bench/spawn.py BUILD [-n RUNS] [--runtime PATH] [--runc PATH]

Needs root.  A runtime that is missing is skipped with a note.  Each run is
timed around the whole command (python's subprocess: fork, exec, wait), so
the fork+exec row is the measuring overhead.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

import runtime_harness as rh  # noqa: E402

WARMUP = 3


class Ctx:
    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.sanitized = False


def time_runs(cmd, n, cwd=None):
    """Wall time of each of n runs of cmd in ms; fails on a non-zero exit."""
    times = []
    for i in range(WARMUP + n):
        t0 = time.perf_counter_ns()
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           cwd=cwd)
        t1 = time.perf_counter_ns()
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: "
                               f"{p.stderr.decode(errors='replace')[-500:]}")
        if i >= WARMUP:
            times.append((t1 - t0) / 1e6)
    return times


def p90(xs):
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]


def remove_cgroup_parent(name):
    """rmdir the bench's parent cgroup wherever a runtime made it."""
    for h in rh._cgroup_hierarchies():
        for d in rh._walk_dirs(h):
            if os.path.basename(d) == name:
                try:
                    os.rmdir(d)
                except OSError as e:
                    print(f"bench: cannot remove {d}: {e.strerror}",
                          file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build")
    ap.add_argument("-n", "--runs", type=int, default=50)
    ap.add_argument("--runtime", help="default BUILD/berth-runtime")
    ap.add_argument("--runc", default="/usr/sbin/runc")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench/spawn.py: needs root", file=sys.stderr)
        return 2

    ctx = Ctx(args.build)
    berth = args.runtime or os.path.join(ctx.build, "berth-runtime")
    parent = f"berth-bench-{os.getpid()}"
    bundle = tempfile.mkdtemp(prefix="berth-bench-")
    state = tempfile.mkdtemp(prefix="berth-bench-state-")
    rows, notes = [], []
    try:
        subprocess.run(["cp", "-a", rh.rootfs_cache(ctx),
                        os.path.join(bundle, "rootfs")], check=True)
        cfg = rh.base_config(["true"], f"{parent}/spawn")
        with open(os.path.join(bundle, "config.json"), "w") as f:
            import json
            json.dump(cfg, f, indent=2)

        def runtime_row(name, binary):
            if not os.access(binary, os.X_OK):
                notes.append(f"{name}: {binary} not found, skipped")
                return
            cmd = [binary, "--root", state, "run", "--bundle", bundle,
                   f"bench-{os.getpid()}"]
            try:
                rows.append((f"{name} run", time_runs(cmd, args.runs,
                                                      bundle)))
            except RuntimeError as e:
                notes.append(f"{name}: failed: {e}")

        runtime_row("berth-runtime", berth)
        runtime_row("runc", args.runc)
        rows.append(("unshare -fpmnuiC true",
                     time_runs(["unshare", "-fpmnuiC", "true"], args.runs)))
        rows.append(("fork+exec /bin/true",
                     time_runs(["/bin/true"], args.runs)))
    finally:
        shutil.rmtree(bundle, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)
        remove_cgroup_parent(parent)

    print(f"spawn latency of `true`, {args.runs} runs each "
          f"(target for berth-runtime: median under 10 ms)")
    print(f"{'':24} {'median ms':>10} {'p90 ms':>10} {'min ms':>10}")
    for name, t in rows:
        print(f"{name:24} {statistics.median(t):10.2f} {p90(t):10.2f} "
              f"{min(t):10.2f}")
    for n in notes:
        print(f"note: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
