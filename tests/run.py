#!/usr/bin/python3
"""Run every berth test and end with one line: N passed, N failed.

Unit tests are the binaries BUILD/tests/*/test-*: each prints "ok - name"
or "not ok - name" per test.  Integration tests are the functions named
test_* in tests/integration/test_*.py; each gets a Context (build dir,
sanitizer flag) and passes unless it raises.  unittest.SkipTest skips.
"""
import argparse
import glob
import importlib.util
import os
import signal
import subprocess
import sys
import time
import traceback
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST_TIMEOUT = 300


class Context:
    def __init__(self, build, sanitized):
        self.top = TOP
        self.build = os.path.join(TOP, build)
        self.sanitized = sanitized
        self.berthd = os.path.join(self.build, "berthd")
        self.berth = os.path.join(self.build, "berth")


class Results:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []

    def record(self, name, status, detail=""):
        if status == "ok":
            self.passed += 1
        elif status == "skip":
            self.skipped += 1
        else:
            self.failed += 1
            self.failures.append(name)
        line = {"ok": "ok", "skip": "ok", "fail": "not ok"}[status]
        suffix = " # SKIP " + detail if status == "skip" else ""
        print(f"{line} - {name}{suffix}", flush=True)
        if status == "fail" and detail:
            for l in detail.rstrip().splitlines():
                print("#   " + l)


def run_unit(ctx, results, pattern):
    for binary in sorted(glob.glob(os.path.join(ctx.build, "tests", "*", "test-*"))):
        if binary.endswith(".d") or not os.access(binary, os.X_OK):
            continue
        group = os.path.relpath(binary, os.path.join(ctx.build, "tests"))
        if pattern and pattern not in group:
            continue
        try:
            p = subprocess.run([binary], capture_output=True, text=True,
                               timeout=TEST_TIMEOUT, cwd=TOP)
        except subprocess.TimeoutExpired:
            results.record(group, "fail", "timed out")
            continue
        seen = 0
        for line in p.stdout.splitlines():
            if line.startswith("ok - "):
                results.record(f"{group}: {line[5:]}", "ok")
                seen += 1
            elif line.startswith("not ok - "):
                results.record(f"{group}: {line[9:]}", "fail", p.stderr)
                seen += 1
        if p.returncode != 0 and not any(l.startswith("not ok") for l in p.stdout.splitlines()):
            results.record(f"{group}: exit status", "fail",
                           f"exit {p.returncode}\n{p.stderr[-4000:]}")
        elif seen == 0:
            results.record(f"{group}: ran no test", "fail", p.stderr)


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout(f"test took longer than {TEST_TIMEOUT}s")


def run_integration(ctx, results, pattern):
    sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
    sys.path.insert(0, os.path.join(TOP, "tools", "python"))
    signal.signal(signal.SIGALRM, _alarm)
    for path in sorted(glob.glob(os.path.join(TOP, "tests", "integration", "test_*.py"))):
        modname = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(modname, path)
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except Exception:
            results.record(modname, "fail", traceback.format_exc())
            continue
        for name in sorted(n for n in dir(mod) if n.startswith("test_")):
            full = f"{modname}.{name}"
            if pattern and pattern not in full:
                continue
            signal.alarm(TEST_TIMEOUT)
            start = time.monotonic()
            try:
                getattr(mod, name)(ctx)
                status, detail = "ok", ""
            except unittest.SkipTest as e:
                status, detail = "skip", str(e)
            except BaseException as e:
                if isinstance(e, KeyboardInterrupt):
                    raise
                status, detail = "fail", traceback.format_exc()
            finally:
                signal.alarm(0)
            if os.environ.get("BERTH_TEST_TIMES"):
                detail += f" ({time.monotonic() - start:.2f}s)"
            results.record(full, status, detail)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--sanitized", action="store_true")
    ap.add_argument("--unit-only", action="store_true")
    ap.add_argument("--integration-only", action="store_true")
    ap.add_argument("pattern", nargs="?", default="")
    args = ap.parse_args()
    ctx = Context(args.build, args.sanitized)
    results = Results()
    if not args.integration_only:
        run_unit(ctx, results, args.pattern)
    if not args.unit_only:
        run_integration(ctx, results, args.pattern)
    if results.failures:
        print("# failed: " + ", ".join(results.failures))
    tail = f", {results.skipped} skipped" if results.skipped else ""
    print(f"{results.passed} passed, {results.failed} failed{tail}")
    return 0 if results.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
