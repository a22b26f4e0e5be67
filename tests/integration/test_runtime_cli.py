"""berth-runtime's command surface, the one runc has: create and start as
two steps, state, pause and resume, kill, delete, list, ps, exec, run
(foreground and detached), a terminal through --console-socket or the
caller's own, namespaced sysctls, refusals of what it cannot do, container
ids, spec and features; and one bundle run by runc and by berth-runtime
with the same output.

Every test leaves nothing behind: runtime_harness.Bundle deletes the
container and fails the test on a leftover process, cgroup or mount.

With BERTH_TEST_RUNTIME=/usr/sbin/runc (1.1) every test passes but three
that check what berth-runtime does beyond runc: exec of a missing command
exits 127 (Docker's code; runc 255), a malformed config.json is reported
with its line and column, and fields it cannot honour are refused by name
(runc ignores linux.intelRdt without resctrl, an AppArmor profile without
AppArmor).
"""
import fcntl
import json
import os
import pty
import re
import select
import signal
import socket
import stat
import struct
import subprocess
import termios
import time

from runtime_harness import Bundle, wait_for

RUNC = "/usr/sbin/runc"
NAMESPACE_TYPES = {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}
SPINNER = ["sh", "-c", "while :; do :; done"]
SLEEPER = ["sleep", "1000"]


def alive(pid):
    """The process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):    # gone, or going
        return False


def proc_stat(pid):
    """/proc/PID/stat's fields after the command name (state is [0])."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def cpu_ticks(pid):
    f = proc_stat(pid)
    return int(f[11]) + int(f[12])          # utime + stime


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode().strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def read_file(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def host_sysctl(name):
    return read_file("/proc/sys/" + name.replace(".", "/")).strip()


def nothing_left(b):
    """After a refused create or run: no state, no cgroup, no process."""
    assert os.listdir(b.state) == [], \
        f"state left behind: {os.listdir(b.state)}"
    assert b.cgroup_dirs() == [], f"cgroup left behind: {b.cgroup_dirs()}"
    assert b._pids_in_cgroup() == [], "process left behind"


# --- create, start, state --------------------------------------------------

def test_create_waits_and_start_runs_the_process(ctx):
    with Bundle(ctx, ["sh", "-c", "touch /started; exec sleep 1000"]) as b:
        pid_file = os.path.join(b.dir, "init.pid")
        r = b.create("--pid-file", pid_file)
        st = b.state_json()
        assert st["status"] == "created", st
        assert st["pid"] > 0 and alive(st["pid"]), st
        # `create` has exited; the container's init is not its child any
        # more and waits, not yet the container's command.
        assert not alive(r.pid), "create is still running"
        assert int(proc_stat(st["pid"])[1]) != r.pid, "init still create's"
        assert not os.path.exists(os.path.join(b.rootfs, "started")), \
            "the command ran before start"
        assert "sleep" not in cmdline(st["pid"]), cmdline(st["pid"])
        with open(pid_file) as f:
            assert f.read().strip() == str(st["pid"]), "--pid-file differs"

        b.runtime_cmd("start", b.id).ok()
        wait_for(lambda: os.path.exists(os.path.join(b.rootfs, "started")),
                 what="the command after start")
        wait_for(lambda: cmdline(st["pid"]) == "sleep 1000",
                 what="init exec'ing the command")
        st2 = b.state_json()
        assert st2["status"] == "running" and st2["pid"] == st["pid"], st2
        r = b.runtime_cmd("start", b.id)
        assert r.code != 0, f"a second start succeeded: {r!r}"


def test_state_fields_are_the_oci_ones(ctx):
    with Bundle(ctx, SLEEPER) as b:
        b.run_detached()
        st = b.state_json()
    for key in ("ociVersion", "id", "status", "pid", "bundle"):
        assert key in st, f"state has no {key}: {st}"
    assert re.match(r"^1\.\d+\.\d+", st["ociVersion"]), st
    assert st["id"] == b.id, st
    assert st["status"] == "running", st
    assert st["pid"] == b.pid and isinstance(st["pid"], int), st
    assert st["bundle"] == b.dir, st
    # runc's extra fields, with the same meaning.
    assert st.get("rootfs") == b.rootfs, st
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d",
                    st.get("created", "")), st


# --- pause, resume ---------------------------------------------------------

def test_pause_stops_the_clock_and_resume_restarts_it(ctx):
    with Bundle(ctx, SPINNER) as b:
        b.run_detached()
        wait_for(lambda: cpu_ticks(b.pid) > 0, what="the spinner spinning")
        b.runtime_cmd("pause", b.id).ok()
        assert b.status() == "paused"
        before = cpu_ticks(b.pid)
        time.sleep(0.3)
        paused = cpu_ticks(b.pid) - before
        r = b.runtime_cmd("pause", b.id)             # already paused
        b.runtime_cmd("resume", b.id).ok()
        assert b.status() == "running"
        before = cpu_ticks(b.pid)
        time.sleep(0.3)
        resumed = cpu_ticks(b.pid) - before
        again = b.runtime_cmd("resume", b.id)
    assert paused == 0, f"a paused spinner used {paused} ticks in 0.3 s"
    assert resumed > 0, f"a resumed spinner used {resumed} ticks in 0.3 s"
    assert again.code != 0 and "paused" in again.err, \
        f"resume of a running container: {again!r}"
    assert r.code != 0, f"pause of a paused container: {r!r}"


# --- kill ------------------------------------------------------------------

TRAPS = ("for s in TERM USR1 USR2 HUP; do trap \"echo $s >> /sig\" $s; "
         "done; ")


def test_kill_default_name_and_number(ctx):
    script = TRAPS + "touch /ready; while :; do sleep 0.05; done"
    with Bundle(ctx, ["sh", "-c", script]) as b:
        sig = os.path.join(b.rootfs, "sig")
        b.run_detached()
        wait_for(lambda: os.path.exists(os.path.join(b.rootfs, "ready")))
        for args, want in ([(), "TERM"], [("SIGUSR1",), "USR1"],
                           [("USR2",), "USR2"],
                           [(str(int(signal.SIGHUP)),), "HUP"]):
            b.runtime_cmd("kill", b.id, *args).ok()
            wait_for(lambda: want in read_file(sig).split(), 5,
                     f"kill {' '.join(args) or '(default)'} reaching "
                     f"the trap for {want}")
        assert read_file(sig).split() == ["TERM", "USR1", "USR2", "HUP"], \
            read_file(sig)
        bad = b.runtime_cmd("kill", b.id, "NOSUCHSIG")
        assert bad.code != 0 and "NOSUCHSIG" in bad.err, bad
        assert b.status() == "running"

        b.runtime_cmd("kill", b.id, "KILL").ok()
        b.wait_status("stopped")
        assert not alive(b.pid)
        for args in ((), ("KILL",)):
            r = b.runtime_cmd("kill", b.id, *args)
            assert r.code != 0 and "container not running" in r.err, \
                f"kill of a stopped container: {r!r}"


def test_kill_all_reaches_every_process(ctx):
    script = ("trap 'echo USR1 >> /sig' USR1; sleep 1000 & sleep 1001 & "
              "touch /ready; while :; do sleep 0.05; done")
    with Bundle(ctx, ["sh", "-c", script]) as b:
        b.run_detached()
        wait_for(lambda: os.path.exists(os.path.join(b.rootfs, "ready")))
        sleepers = [p for p in b._pids_in_cgroup()
                    if cmdline(p) in ("sleep 1000", "sleep 1001")]
        assert len(sleepers) == 2, [cmdline(p) for p in b._pids_in_cgroup()]
        # Without --all only init hears it (and traps it).
        b.runtime_cmd("kill", b.id, "USR1").ok()
        wait_for(lambda: read_file(os.path.join(b.rootfs, "sig")))
        assert all(alive(p) for p in sleepers), "kill without --all spread"
        b.runtime_cmd("kill", "--all", b.id, "USR1").ok()
        wait_for(lambda: not any(alive(p) for p in sleepers), 5,
                 "the sleepers dying of kill --all USR1")
        assert alive(b.pid) and b.status() == "running", "init died"
        b.runtime_cmd("kill", "-a", b.id, "KILL").ok()
        b.wait_status("stopped")


# --- delete ----------------------------------------------------------------

def test_delete_refuses_running_and_force_removes(ctx):
    with Bundle(ctx, SLEEPER) as b:
        b.run_detached()
        r = b.runtime_cmd("delete", b.id)
        assert r.code != 0 and "not stopped" in r.err, r
        assert alive(b.pid) and b.status() == "running", "delete killed it"
        assert b.cgroup_dirs(), "no cgroup while running"

        b.runtime_cmd("delete", "--force", b.id).ok()
        assert not alive(b.pid), "delete --force left init running"
        assert os.listdir(b.state) == [], os.listdir(b.state)
        assert b.cgroup_dirs() == [], b.cgroup_dirs()
        r = b.runtime_cmd("state", b.id)
        assert r.code != 0 and "does not exist" in r.err, r
        r = b.runtime_cmd("delete", b.id)
        assert r.code != 0 and "does not exist" in r.err, r


def test_delete_of_a_stopped_container_needs_no_force(ctx):
    with Bundle(ctx, ["true"]) as b:
        b.create()
        b.runtime_cmd("start", b.id).ok()
        b.wait_status("stopped")
        assert b.cgroup_dirs(), "the cgroup is gone before delete"
        b.runtime_cmd("delete", b.id).ok()
        assert os.listdir(b.state) == [] and b.cgroup_dirs() == []


# --- list, ps --------------------------------------------------------------

def test_list_table_json_and_quiet(ctx):
    with Bundle(ctx, SLEEPER) as b:
        b.create()
        created = b.runtime_cmd("list", "--format", "json").ok()
        b.runtime_cmd("start", b.id).ok()
        table = b.runtime_cmd("list").ok()
        js = b.runtime_cmd("list", "-f", "json").ok()
        quiet = b.runtime_cmd("list", "-q").ok()
    assert json.loads(created.out)[0]["status"] == "created", created
    lines = table.out.splitlines()
    assert lines[0].split()[:4] == ["ID", "PID", "STATUS", "BUNDLE"], table
    assert [l.split()[:4] for l in lines[1:]] == \
        [[b.id, str(b.pid), "running", b.dir]], table
    entries = json.loads(js.out)
    assert isinstance(entries, list) and len(entries) == 1, js
    e = entries[0]
    assert (e["id"], e["pid"], e["status"], e["bundle"]) == \
        (b.id, b.pid, "running", b.dir), js
    assert quiet.out == b.id + "\n", quiet


def test_ps_lists_the_containers_host_pids(ctx):
    with Bundle(ctx, ["sh", "-c", "sleep 1000 & touch /ready; wait"]) as b:
        b.run_detached()
        wait_for(lambda: os.path.exists(os.path.join(b.rootfs, "ready")))
        js = b.runtime_cmd("ps", "--format", "json", b.id).ok()
        table = b.runtime_cmd("ps", b.id).ok()
        in_cgroup = set(b._pids_in_cgroup())
    pids = json.loads(js.out)
    assert isinstance(pids, list) and all(isinstance(p, int) for p in pids)
    assert b.pid in pids, f"init {b.pid} not in {pids}"
    assert set(pids) == in_cgroup and len(pids) == 2, \
        f"ps says {pids}, the cgroup holds {in_cgroup}"
    header, *rows = table.out.splitlines()
    assert "PID" in header.split(), table
    col = header.split().index("PID")
    assert {int(r.split()[col]) for r in rows} == set(pids), table
    assert any("sleep 1000" in r for r in rows), table


# --- exec ------------------------------------------------------------------

def test_exec_output_code_env_user_cwd(ctx):
    with Bundle(ctx, SLEEPER) as b:
        b.run_detached()
        r = b.exec("sh", "-c", "echo out; echo err >&2; exit 5")
        assert (r.code, r.out, r.err) == (5, "out\n", "err\n"), r
        r = b.runtime_cmd("exec", "-e", "FOO=bar", b.id, "sh", "-c",
                          "echo $FOO").ok()
        assert r.out == "bar\n", r
        r = b.runtime_cmd("exec", "-u", "1000", b.id, "id").ok()
        assert r.out.startswith("uid=1000(tester) "), r
        r = b.runtime_cmd("exec", "-u", "1000:1001", b.id, "id").ok()
        assert r.out.strip() == "uid=1000(tester) gid=1001(extra)", r
        r = b.runtime_cmd("exec", "--cwd", "/tmp", b.id, "pwd").ok()
        assert r.out == "/tmp\n", r


def test_exec_process_file(ctx):
    with Bundle(ctx, SLEEPER) as b:
        b.run_detached()
        process = {"terminal": False, "user": {"uid": 1000, "gid": 1000},
                   "args": ["sh", "-c", "id -u; id -g; pwd; echo $BAR"],
                   "env": ["PATH=/bin", "BAR=baz"], "cwd": "/home/tester"}
        path = os.path.join(b.dir, "process.json")
        with open(path, "w") as f:
            json.dump(process, f)
        r = b.runtime_cmd("exec", "--process", path, b.id).ok()
    assert r.out.split() == ["1000", "1000", "/home/tester", "baz"], r


def test_exec_detached_returns_at_once(ctx):
    with Bundle(ctx, SLEEPER) as b:
        b.run_detached()
        pid_file = os.path.join(b.dir, "exec.pid")
        r = b.runtime_detached("exec", "-d", "--pid-file", pid_file, b.id,
                               "sh", "-c", "touch /bg; exec sleep 999",
                               timeout=10)
        assert r.code == 0, r
        pid = int(read_file(pid_file))
        # The process runs on after exec -d has returned.
        wait_for(lambda: os.path.exists(os.path.join(b.rootfs, "bg")))
        wait_for(lambda: cmdline(pid) == "sleep 999", what="exec'd sleep")
        assert alive(pid) and pid in b._pids_in_cgroup(), pid


def test_exec_refusals(ctx):
    with Bundle(ctx, SLEEPER) as b:
        b.run_detached()
        missing = b.exec("nosuchcmd")
        b.runtime_cmd("pause", b.id).ok()
        paused = b.exec("true")
        b.runtime_cmd("resume", b.id).ok()
        after = b.exec("true")
        b.runtime_cmd("kill", b.id, "KILL").ok()
        b.wait_status("stopped")
        stopped = b.exec("true")
        nobody = b.runtime_cmd("exec", "nosuch-" + b.id, "true")
    assert missing.code == 127 and "nosuchcmd" in missing.err, missing
    assert paused.code != 0 and "paused" in paused.err, paused
    assert after.code == 0, f"exec after resume: {after!r}"
    assert stopped.code != 0 and "stopped" in stopped.err, stopped
    assert nobody.code != 0 and "does not exist" in nobody.err, nobody


# --- run -------------------------------------------------------------------

def test_run_detached_returns_while_the_container_runs(ctx):
    with Bundle(ctx, SLEEPER) as b:
        r = b.run_detached()
        assert not alive(r.pid), "run -d has not exited"
        assert alive(b.pid) and b.status() == "running"
        assert cmdline(b.pid) == "sleep 1000", cmdline(b.pid)


def test_run_propagates_the_exit_code_and_removes(ctx):
    with Bundle(ctx, ["sh", "-c", "echo hello; exit 7"]) as b:
        r = b.run()
        assert (r.code, r.out) == (7, "hello\n"), r
        assert os.listdir(b.state) == [], "run left its state"
        assert b.cgroup_dirs() == [], "run left its cgroup"
        r = b.runtime_cmd("state", b.id)
        assert r.code != 0 and "does not exist" in r.err, r

        r = b.runtime_cmd("run", "--keep", "--bundle", b.dir, b.id)
        assert (r.code, r.out) == (7, "hello\n"), r
        st = b.state_json()
        assert st["status"] == "stopped" and st["id"] == b.id, st
        b.runtime_cmd("delete", b.id).ok()
        assert os.listdir(b.state) == []


# --- terminal --------------------------------------------------------------

def _read_until_eof(fd, timeout=10.0):
    """Everything the pty master gives until the last slave closes (EIO)."""
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    return out.decode(errors="replace")


def test_console_socket_gets_the_pty_master(ctx):
    script = "tty; stty size; echo done"
    with Bundle(ctx, ["sh", "-c", script]) as b:
        b.config["process"]["terminal"] = True
        b.config["process"]["consoleSize"] = {"height": 33, "width": 111}
        path = os.path.join(b.dir, "console.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        master = None
        try:
            listener.bind(path)
            listener.listen(1)
            listener.settimeout(10)
            b.create("--console-socket", path)
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(10)
                _, fds, _, _ = socket.recv_fds(conn, 4096, 4)
            assert len(fds) == 1, f"received fds {fds}"
            master = fds[0]
            st = os.fstat(master)
            assert stat.S_ISCHR(st.st_mode) and os.major(st.st_rdev) == 5, \
                "the fd received is not a pty master"
            rows, cols = struct.unpack(
                "HHHH", fcntl.ioctl(master, termios.TIOCGWINSZ,
                                    b"\0" * 8))[:2]
            assert (rows, cols) == (33, 111), (rows, cols)
            b.runtime_cmd("start", b.id).ok()
            out = _read_until_eof(master)
        finally:
            listener.close()
            if master is not None:
                os.close(master)
        b.wait_status("stopped")
    lines = out.replace("\r\n", "\n").splitlines()
    assert lines[0] in ("/dev/pts/0", "/dev/console"), out
    assert lines[1:] == ["33 111", "done"], out


def test_run_in_the_callers_terminal(ctx):
    script = "tty; stty size; echo hi; exit 9"
    with Bundle(ctx, ["sh", "-c", script]) as b:
        b.config["process"]["terminal"] = True
        b.write_config()
        cmd = b._cmd("run", "--bundle", b.dir, b.id)
        pid, master = pty.fork()
        if pid == 0:                            # the child: the runtime
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ,
                            struct.pack("HHHH", 40, 120, 0, 0))
                os.chdir(b.dir)
                os.execv(cmd[0], cmd)
            finally:
                os._exit(127)
        try:
            out = _read_until_eof(master, b.timeout)
        finally:
            os.close(master)
            deadline = time.monotonic() + 5
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done or time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            if not done:
                os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    lines = out.replace("\r\n", "\n").splitlines()
    assert code == 9, f"exit {code}, want 9: {out!r}"
    assert lines[:3] in (["/dev/pts/0", "40 120", "hi"],
                         ["/dev/console", "40 120", "hi"]), out


# --- sysctl ----------------------------------------------------------------

def test_namespaced_sysctls_apply_inside_only(ctx):
    sysctls = {"net.ipv4.ip_unprivileged_port_start": "0",
               "net.ipv4.ping_group_range": "0 2147483647"}
    host = {k: host_sysctl(k) for k in sysctls}
    script = ("cat /proc/sys/net/ipv4/ip_unprivileged_port_start "
              "/proc/sys/net/ipv4/ping_group_range")
    with Bundle(ctx, ["sh", "-c", script]) as b:
        b.config["linux"]["sysctl"] = sysctls
        r = b.run().ok()
    assert r.out.split("\n")[:2] == ["0", "0\t2147483647"], r
    assert {k: host_sysctl(k) for k in sysctls} == host, "host changed"


def test_a_host_sysctl_is_refused(ctx):
    before = host_sysctl("kernel.panic")
    with Bundle(ctx, ["true"]) as b:
        b.config["linux"]["sysctl"] = {"kernel.panic": "5"}
        r = b.run()
        assert r.code != 0 and "kernel.panic" in r.err, r
        nothing_left(b)
    assert host_sysctl("kernel.panic") == before, "the host's kernel.panic"


# --- refusals --------------------------------------------------------------

def test_unsupported_fields_are_refused_by_name(ctx):
    cases = [(("linux", "intelRdt"), {"closID": "berth"}),
             (("process", "apparmorProfile"), "x"),
             (("process", "selinuxLabel"), "system_u:system_r:x:s0")]
    with Bundle(ctx, ["true"]) as b:
        for (section, key), value in cases:
            b.config[section][key] = value
            r = b.run()
            del b.config[section][key]
            assert r.code != 0 and f"{section}.{key}" in r.err, r
            nothing_left(b)
        b.run().ok()


def test_malformed_config_names_line_and_column(ctx):
    with Bundle(ctx, ["true"]) as b:
        with open(os.path.join(b.dir, "config.json"), "w") as f:
            f.write('{\n  "ociVersion": "1.0.2",\n  "process": {\n'
                    '    "args": ["sh",]\n  }\n}\n')
        r = b.runtime_cmd("run", "--bundle", b.dir, b.id)
        assert r.code != 0 and "config.json" in r.err, r
        m = re.search(r"line (\d+),? column (\d+)", r.err)
        assert m and m.group(1) == "4" and m.group(2) == "19", r
        nothing_left(b)


def test_container_ids(ctx):
    with Bundle(ctx, SLEEPER) as b:
        b.write_config()
        escape = os.path.join(os.path.dirname(b.state), "x")
        existed = os.path.exists(escape)
        for bad in ("../x", "a/b", "", "..", "."):
            r = b.runtime_detached("run", "-d", "--bundle", b.dir, bad)
            assert r.code != 0 and "id" in r.err, f"id {bad!r}: {r!r}"
            nothing_left(b)
        assert os.path.exists(escape) == existed, "../x escaped the root"

        b.run_detached()
        r = b.runtime_detached("run", "-d", "--bundle", b.dir, b.id)
        assert r.code != 0, r
        # runc 1.0's wording (1.1 says "container with given ID already
        # exists", without the id).
        assert re.search("container with (id|given ID already) exists",
                         r.err), r
        assert b.state_json()["pid"] == b.pid and alive(b.pid)


# --- spec, features --------------------------------------------------------

def test_spec_writes_a_runnable_config_once(ctx):
    with Bundle(ctx, ["true"]) as b:
        path = os.path.join(b.dir, "config.json")
        assert not os.path.exists(path)
        b.runtime_cmd("spec").ok()
        with open(path) as f:
            text = f.read()
        c = json.loads(text)
        assert c["process"]["args"] == ["sh"], c["process"]
        assert c["root"]["path"] == "rootfs", c["root"]
        assert c["process"]["terminal"] is True, c["process"]

        r = b.runtime_cmd("spec")
        assert r.code != 0 and "exists" in r.err, r
        with open(path) as f:
            assert f.read() == text, "spec overwrote config.json"

        other = os.path.join(b.dir, "other")
        os.mkdir(other)
        b.runtime_cmd("spec", "--bundle", other).ok()
        with open(os.path.join(other, "config.json")) as f:
            assert json.load(f) == c, "spec --bundle writes another config"

        # Runnable after only what `runc spec`'s users change: the command
        # and no terminal (and the test's cgroup, for its leftover check).
        c["process"]["args"] = ["sh", "-c", "echo from-spec; hostname"]
        c["process"]["terminal"] = False
        c["linux"]["cgroupsPath"] = b.cgroups_path
        b.config = c
        r = b.run().ok()
    assert r.out.splitlines()[0] == "from-spec", r


def test_features(ctx):
    with Bundle(ctx, ["true"]) as b:
        r = b.runtime_cmd("features").ok()
    f = json.loads(r.out)
    vmin = tuple(int(x) for x in f["ociVersionMin"].split("-")[0].split("."))
    vmax = tuple(int(x) for x in f["ociVersionMax"].split("-")[0].split("."))
    assert (1, 0, 0) <= vmin <= vmax, f
    assert set(f["linux"]["namespaces"]) == NAMESPACE_TYPES, f["linux"]
    seccomp = f["linux"]["seccomp"]
    assert seccomp["enabled"] is True, seccomp
    assert {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO"} <= set(seccomp["actions"])
    assert "SCMP_ARCH_X86_64" in seccomp["archs"], seccomp
    assert "CAP_SYS_ADMIN" in f["linux"]["capabilities"], f["linux"]


HOOK_KINDS = ["prestart", "createRuntime", "createContainer",
              "startContainer", "poststart", "poststop"]


def test_features_hooks_are_what_is_accepted(ctx):
    """A hook kind is accepted (and runs) iff `features` lists it."""
    with Bundle(ctx, ["true"]) as b:
        listed = set(json.loads(b.runtime_cmd("features").ok().out)
                     .get("hooks") or [])
        assert listed <= set(HOOK_KINDS), listed
        # The hook leaves a mark in the host's view of the bundle, or in
        # the container's root for the kinds run inside it.
        marks = [os.path.join(b.dir, "hook-ran"),
                 os.path.join(b.rootfs, "hook-ran")]
        touch = f"touch {marks[0]} 2>/dev/null || touch /hook-ran"
        for kind in HOOK_KINDS:
            b.config["hooks"] = {kind: [{
                "path": "/bin/sh", "args": ["sh", "-c", touch]}]}
            r = b.run()
            ran = False
            for m in marks:
                if os.path.exists(m):
                    os.unlink(m)
                    ran = True
            if kind in listed:
                assert r.code == 0 and ran, f"listed {kind}: {r!r}"
            else:
                assert r.code != 0 and "hooks" in r.err and not ran, \
                    f"{kind} is not in features' hooks {sorted(listed)} " \
                    f"but is accepted (ran: {ran}): {r!r}"
            nothing_left(b)


# --- the same bundle under runc --------------------------------------------

def _need_runc():
    import unittest
    if not os.access(RUNC, os.X_OK):
        raise unittest.SkipTest(f"no {RUNC}")


def test_same_bundle_same_output_as_runc(ctx):
    _need_runc()
    script = ('id; hostname; grep -E "^Cap(Eff|Bnd)" /proc/self/status; '
              'ls /dev | sort; exit 3')
    with Bundle(ctx, ["sh", "-c", script], hostname="same") as b:
        b.write_config()
        with open(os.path.join(b.dir, "config.json"), "rb") as f:
            config = f.read()
        theirs = b.runtime_cmd("run", "--bundle", b.dir, b.id, runtime=RUNC)
        assert b.cgroup_dirs() == [], "runc left its cgroup"
        with open(os.path.join(b.dir, "config.json"), "rb") as f:
            assert f.read() == config, "runc changed config.json"
        ours = b.runtime_cmd("run", "--bundle", b.dir, b.id)
    assert theirs.code == 3 and theirs.err == "", f"runc: {theirs!r}"
    assert ours.code == 3 and ours.err == "", f"berth-runtime: {ours!r}"
    assert "same" in ours.out.splitlines() and "null" in ours.out, ours
    assert ours.out == theirs.out, \
        f"outputs differ:\n--- runc ---\n{theirs.out}" \
        f"--- berth-runtime ---\n{ours.out}"


def test_runc_spec_config_runs(ctx):
    """The config.json `runc spec` writes runs, after changing only the
    command and the terminal (and the test's cgroup path)."""
    _need_runc()
    with Bundle(ctx, ["true"]) as b:
        subprocess.run([RUNC, "spec"], cwd=b.dir, check=True, timeout=10)
        with open(os.path.join(b.dir, "config.json")) as f:
            c = json.load(f)
        c["process"]["args"] = ["sh", "-c", "echo ran; grep CapEff "
                                "/proc/self/status"]
        c["process"]["terminal"] = False
        c["linux"]["cgroupsPath"] = b.cgroups_path
        b.config = c
        b.write_config()
        theirs = b.runtime_cmd("run", "--bundle", b.dir, b.id, runtime=RUNC)
        ours = b.runtime_cmd("run", "--bundle", b.dir, b.id)
    assert theirs.code == 0, f"runc: {theirs!r}"
    assert ours.code == 0, f"berth-runtime refuses runc's spec: {ours!r}"
    assert ours.out == theirs.out, f"runc:\n{theirs.out}berth:\n{ours.out}"
