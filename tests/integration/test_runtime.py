"""The OCI runtime (build/berth-runtime, or BERTH_TEST_RUNTIME) isolates a
container the way the issue asks: pid 1 in its own pid namespace, its own
hostname, exactly the granted capabilities, privileged calls refused, /proc
and /sys protected, only fds 0-2, the asked user, cgroup limits that hold,
exec into the same namespaces, Docker's exit codes for exec failures, and
nothing left behind (checked by runtime_harness.Bundle after every test).

Each test runs one or two containers from a busybox-static rootfs built by
tools/mkrootfs.sh, with /bin/probe (probe.c) for what busybox cannot ask.
"""
import os
import re
import shutil
import socket
import subprocess
import tempfile

from runtime_harness import (Bundle, DOCKER_CAPS, MASKED_PATHS, bind_mount,
                             caps_mask, host_namespaces)

DOCKER_CAPS_MASK = 0xa80425fb
NAMESPACES = ["pid", "mnt", "net", "ipc", "uts", "cgroup"]


def status_fields(text, prefix):
    """{"CapEff": "00000000a80425fb", ...} from /proc/PID/status lines."""
    out = {}
    for line in text.splitlines():
        if line.startswith(prefix) and ":" in line:
            k, v = line.split(":", 1)
            out[k] = v.strip()
    return out


def probe_results(text):
    """"name ERRNO" lines into {name: ERRNO}."""
    return dict(line.split(None, 1) for line in text.splitlines()
                if line.strip())


# --- processes -------------------------------------------------------------

def test_pid1_sees_only_its_own_processes(ctx):
    with Bundle(ctx, ["sh", "-c", "echo $$; exec ps -o pid,comm"]) as b:
        r = b.run().ok()
    lines = r.out.splitlines()
    assert lines[0] == "1", f"the shell is not pid 1: {r!r}"
    rows = [l.split() for l in lines[2:]]
    assert rows == [["1", "ps"]], f"want only pid 1 (ps): {r!r}"


def test_host_processes_are_invisible(ctx):
    marker = f"3{os.getpid()}.5"
    host = subprocess.Popen(["sleep", marker])
    try:
        with Bundle(ctx, ["sh", "-c", "ps -o pid,args; echo ---; ls /proc"]
                    ) as b:
            r = b.run().ok()
    finally:
        host.kill()
        host.wait()
    ps, ls = r.out.split("---\n")
    assert marker not in ps, f"host process visible: {r!r}"
    pids = sorted(int(n) for n in ls.split() if n.isdigit())
    # sh, and the ls that lists /proc (ps has exited).
    assert len(pids) <= 2 and pids[0] == 1, f"/proc shows {pids}: {r!r}"
    assert len(ps.splitlines()) <= 3, f"ps shows too much: {r!r}"


def test_hostname_is_its_own(ctx):
    before = socket.gethostname()
    name = f"box-{os.getpid()}"
    with Bundle(ctx, ["sh", "-c", "hostname; cat /proc/sys/kernel/hostname"],
                hostname=name) as b:
        r = b.run().ok()
    assert r.out.split() == [name, name], r
    assert socket.gethostname() == before, "the host's hostname changed"


# --- capabilities and refused calls ---------------------------------------

def test_default_capabilities_are_dockers_14(ctx):
    with Bundle(ctx, ["grep", "^Cap", "/proc/self/status"]) as b:
        r = b.run().ok()
    caps = status_fields(r.out, "Cap")
    want = f"{DOCKER_CAPS_MASK:016x}"
    assert caps_mask(DOCKER_CAPS) == DOCKER_CAPS_MASK
    for k in ("CapEff", "CapPrm", "CapBnd"):
        assert caps.get(k) == want, f"{k} {caps.get(k)}, want {want}: {r!r}"
    for k in ("CapInh", "CapAmb"):
        assert int(caps.get(k, "x"), 16) == 0, f"{k} not empty: {r!r}"


def test_explicit_capabilities_are_exactly_granted(ctx):
    granted = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    with Bundle(ctx, ["grep", "^Cap", "/proc/self/status"],
                caps=granted) as b:
        r = b.run().ok()
    caps = status_fields(r.out, "Cap")
    want = f"{caps_mask(granted):016x}"           # 0x421
    for k in ("CapEff", "CapPrm", "CapBnd"):
        assert caps.get(k) == want, f"{k} {caps.get(k)}, want {want}: {r!r}"
    for k in ("CapInh", "CapAmb"):
        assert int(caps.get(k, "x"), 16) == 0, f"{k} not empty: {r!r}"


def test_mount_unshare_keyctl_reboot_modules_refused(ctx):
    """Docker's defaults (14 capabilities and the default seccomp
    profile): each privileged call fails with EPERM, through busybox's
    mount and unshare as well as the bare syscalls."""
    with Bundle(ctx, ["probe", "syscalls"], seccomp=True) as b:
        r = b.run().ok()
    got = probe_results(r.out)
    for call in ("keyctl", "reboot", "init_module", "finit_module",
                 "delete_module", "unshare_mount", "unshare_user", "mount",
                 "umount", "setns"):
        assert got.get(call) == "EPERM", \
            f"{call}: {got.get(call)}, want EPERM: {r!r}"
    script = ("mount -t tmpfs x /mnt; echo mount=$?; "
              "unshare -m true; echo unshare=$?; "
              "awk '$2 == \"/mnt\"' /proc/self/mounts | wc -l")
    with Bundle(ctx, ["sh", "-c", script], seccomp=True) as b:
        r = b.run().ok()
    lines = r.out.splitlines()
    assert lines[0] != "mount=0" and lines[1] != "unshare=0", r
    assert lines[-1] == "0", f"a tmpfs got mounted on /mnt: {r!r}"


def test_capabilities_alone_refuse_privileged_calls(ctx):
    """Without seccomp, the missing capabilities alone refuse them (all but
    keyctl and a user namespace, which need none)."""
    with Bundle(ctx, ["probe", "syscalls"]) as b:
        r = b.run().ok()
    got = probe_results(r.out)
    # A kernel built without modules refuses those calls by itself.
    module_refusal = {"EPERM"} if os.path.exists("/proc/modules") \
        else {"EPERM", "ENOSYS"}
    for call in ("init_module", "finit_module", "delete_module"):
        assert got.get(call) in module_refusal, \
            f"{call}: {got.get(call)}, want EPERM: {r!r}"
    for call in ("reboot", "unshare_mount", "mount", "umount", "setns"):
        assert got.get(call) == "EPERM", \
            f"{call}: {got.get(call)}, want EPERM: {r!r}"


# --- filesystems -----------------------------------------------------------

def test_proc_sys_and_sys_are_readonly(ctx):
    paths = ["/proc/sys/kernel/hostname", "/proc/sys/kernel/domainname",
             "/sys/kernel/mm/transparent_hugepage/enabled",
             "/sys/berth-probe", "/tmp/writable"]
    with Bundle(ctx, ["probe", "write"] + paths) as b:
        r = b.run().ok()
    got = probe_results(r.out)
    assert got.get("/tmp/writable") == "ok", f"rootfs not writable: {r!r}"
    for p in paths[:-1]:
        if p.startswith("/sys/kernel/mm") and not os.path.exists(p):
            continue
        assert got.get(p) == "EROFS", f"{p}: {got.get(p)}, want EROFS: {r!r}"


def test_masked_paths_read_empty(ctx):
    present = [p for p in MASKED_PATHS if os.path.exists(p)]
    assert present, "none of the masked paths exists on this host"
    script = "".join(
        f'if [ -d {p} ]; then echo "{p} $(ls -A {p} | wc -l)"; '
        f'else echo "{p} $(cat {p} | wc -c)"; fi; ' for p in present)
    with Bundle(ctx, ["sh", "-c", script]) as b:
        r = b.run().ok()
    got = dict(l.split() for l in r.out.splitlines())
    for p in present:
        assert got.get(p) == "0", f"{p} shows {got.get(p)} bytes/entries, " \
            f"want 0: {r!r}"
    with open("/proc/timer_list", "rb") as f:
        assert f.read(1), "the host's /proc/timer_list is empty too"


def test_readonly_root_refuses_writes(ctx):
    with Bundle(ctx, ["probe", "write", "/x", "/tmp/x", "/dev/shm/x"],
                readonly=True) as b:
        r = b.run().ok()
    got = probe_results(r.out)
    assert got.get("/x") == "EROFS" and got.get("/tmp/x") == "EROFS", r
    assert got.get("/dev/shm/x") == "ok", f"/dev/shm not writable: {r!r}"
    assert not os.path.exists(os.path.join(b.rootfs, "x"))


def test_readonly_bind_mount_refuses_writes(ctx):
    rw = tempfile.mkdtemp(prefix="berth-rw-")
    ro = tempfile.mkdtemp(prefix="berth-ro-")
    try:
        mounts = [bind_mount(rw, "/data-rw"),
                  bind_mount(ro, "/data-ro", "ro")]
        with Bundle(ctx, ["probe", "write", "/data-rw/f", "/data-ro/f"],
                    mounts=mounts) as b:
            r = b.run().ok()
        got = probe_results(r.out)
        assert got.get("/data-rw/f") == "ok", r
        assert got.get("/data-ro/f") == "EROFS", r
        assert os.path.exists(os.path.join(rw, "f")), "rw bind not shared"
        assert not os.path.exists(os.path.join(ro, "f"))
    finally:
        shutil.rmtree(rw, ignore_errors=True)
        shutil.rmtree(ro, ignore_errors=True)


def test_dev_has_the_standard_devices_only(ctx):
    devs = {"null": "1:3", "zero": "1:5", "full": "1:7", "random": "1:8",
            "urandom": "1:9", "tty": "5:0"}
    script = ("stat -c '%n %F %t:%T' " +
              " ".join(f"/dev/{d}" for d in devs) +
              "; echo ptmx $(readlink /dev/ptmx); "
              "echo zero $(head -c 4 /dev/zero | wc -c); "
              "echo null $(echo x > /dev/null && echo w); "
              # Any other device, even one made with CAP_MKNOD, is refused
              # by the devices cgroup (1:1 is /dev/mem).
              "mknod /tmp/mem c 1 1 && head -c 1 /tmp/mem >/dev/null "
              "2>/tmp/err; echo mem $(cat /tmp/err); ls /dev")
    with Bundle(ctx, ["sh", "-c", script]) as b:
        r = b.run().ok()
    lines = r.out.splitlines()
    for d, num in devs.items():
        assert f"/dev/{d} character special file {num}" in lines, \
            f"/dev/{d} is not char {num}: {r!r}"
    assert "ptmx pts/ptmx" in lines or "ptmx /dev/pts/ptmx" in lines, r
    assert "zero 4" in lines and "null w" in lines, \
        f"devices cgroup refuses the defaults: {r!r}"
    mem = next(l for l in lines if l.startswith("mem"))
    assert "Operation not permitted" in mem, \
        f"a device outside the defaults opened: {r!r}"
    listed = set(" ".join(lines[len(devs) + 4:]).split())
    for host_only in ("vda", "sda", "mem", "kmsg", "nvme0"):
        assert host_only not in listed, f"/dev/{host_only} visible: {r!r}"


def test_only_fds_0_1_2_are_open(ctx):
    with Bundle(ctx, ["probe", "fds"]) as b:
        r = b.run().ok()
    assert r.out.split() == ["0", "1", "2"], f"open fds: {r!r}"


# --- user ------------------------------------------------------------------

def test_user_is_the_asked_one(ctx):
    script = ("grep -E '^(Uid|Gid|Groups|CapEff|CapPrm):' /proc/self/status;"
              " echo name $(id -un) $(id -gn); echo groups $(id -Gn)")
    user = {"uid": 1000, "gid": 1000, "additionalGids": [1001]}
    with Bundle(ctx, ["sh", "-c", script], user=user) as b:
        r = b.run().ok()
    st = status_fields(r.out, "")
    assert st.get("Uid", "").split() == ["1000"] * 4, r
    assert st.get("Gid", "").split() == ["1000"] * 4, r
    assert st.get("Groups", "").split() == ["1001"], r
    assert int(st.get("CapEff", "x"), 16) == 0, f"caps kept: {r!r}"
    assert int(st.get("CapPrm", "x"), 16) == 0, f"caps kept: {r!r}"
    assert "name tester tester" in r.out.splitlines(), r
    assert "extra" in next(l for l in r.out.splitlines()
                           if l.startswith("groups")), r


# --- cgroup limits ---------------------------------------------------------

def _oom_run(ctx):
    with Bundle(ctx, ["probe", "alloc", "128"], memory=32 << 20) as b:
        return b.run()


def test_memory_limit_oom_kills(ctx):
    r = _oom_run(ctx)
    assert r.code == 137, f"want exit 137 (SIGKILL): {r!r}"
    assert "allocated" not in r.out, f"128 MiB fit in 32 MiB: {r!r}"


def test_memory_limit_oom_is_reported(ctx):
    r = _oom_run(ctx)
    assert r.code == 137, f"want exit 137 (SIGKILL): {r!r}"
    assert re.search(r"oom|out of memory", r.err, re.I), \
        f"the runtime does not say the container was OOM-killed: {r!r}"


def test_pids_limit_stops_a_fork_bomb(ctx):
    with Bundle(ctx, ["probe", "forks", "100"], pids=20) as b:
        r = b.run().ok()
    m = re.search(r"forked (\d+) failed (\d+) first_error (\S+)", r.out)
    assert m, r
    assert int(m.group(1)) < 20 and m.group(3) == "EAGAIN", \
        f"pids limit 20 did not hold: {r!r}"
    # A shell fork bomb: forks fail, and the container still ends.
    bomb = "for i in $(seq 100); do sleep 10 & done; echo spawned; wait"
    with Bundle(ctx, ["sh", "-c", bomb], pids=20) as b:
        r = b.run(timeout=25)
    assert re.search(r"fork", r.err, re.I), f"no fork failed: {r!r}"


def test_cpu_quota_holds(ctx):
    with Bundle(ctx, ["probe", "spin", "1.5"], cpu=0.5) as b:
        r = b.run().ok()
    m = re.search(r"ratio ([0-9.]+)", r.out)
    assert m, r
    ratio = float(m.group(1))
    assert 0.3 <= ratio <= 0.75, f"0.5 CPU quota, used {ratio}: {r!r}"


# --- exec ------------------------------------------------------------------

def test_exec_joins_the_same_namespaces(ctx):
    with Bundle(ctx, ["sleep", "60"]) as b:
        with open(os.path.join(b.rootfs, "marker"), "w") as f:
            f.write("bundle\n")
        b.run_detached()
        names = " ".join(NAMESPACES)
        # The shell's own namespaces are the exec'd process's.
        ns_self = b.exec("sh", "-c", f"for n in {names}; do "
                         "readlink /proc/$$/ns/$n; done").ok()
        ns_init = b.exec("sh", "-c", f"for n in {names}; do "
                         "readlink /proc/1/ns/$n; done").ok()
        cg = b.exec("sh", "-c", "cat /proc/self/cgroup; echo ---; "
                    "cat /proc/1/cgroup; echo ---; cat /marker").ok()
        host_view = host_namespaces(b.pid, NAMESPACES)
        mine = host_namespaces(os.getpid(), NAMESPACES)
        b.runtime_cmd("kill", b.id, "KILL")
    assert ns_self.out.split() == ns_init.out.split(), \
        f"exec is not in pid 1's namespaces:\n{ns_self!r}\n{ns_init!r}"
    assert ns_init.out.split() == [host_view[n] for n in NAMESPACES], \
        f"pid 1 inside is not the container's init: {ns_init!r} {host_view}"
    for n in NAMESPACES:
        assert host_view[n] != mine[n], f"container shares the host's {n}"
    own, init, marker = cg.out.split("---\n")
    assert own == init, f"exec is not in the container's cgroup: {cg!r}"
    assert marker == "bundle\n", f"exec is not in the bundle's root: {cg!r}"


# --- errors ----------------------------------------------------------------

def test_executable_not_found_exits_127(ctx):
    with Bundle(ctx, ["/nonexistent"]) as b:
        r = b.run()
    assert r.code == 127, f"want 127: {r!r}"
    assert "/nonexistent" in r.err, f"message does not name it: {r!r}"


def test_executable_not_in_path_names_path(ctx):
    with Bundle(ctx, ["nosuchcmd"]) as b:
        r = b.run()
    assert r.code == 127, f"want 127: {r!r}"
    assert "nosuchcmd" in r.err and "PATH" in r.err, \
        f"message does not name the executable and PATH: {r!r}"


def test_not_executable_exits_126(ctx):
    with Bundle(ctx, ["/notexec"]) as b:
        path = os.path.join(b.rootfs, "notexec")
        with open(path, "w") as f:
            f.write("#!/bin/sh\necho ran\n")
        os.chmod(path, 0o644)
        r = b.run()
    assert r.code == 126, f"want 126: {r!r}"
    assert "/notexec" in r.err, f"message does not name it: {r!r}"
    assert "ran" not in r.out


def test_bad_mount_is_named(ctx):
    source = f"/nonexistent-berth-source-{os.getpid()}"
    with Bundle(ctx, ["true"],
                mounts=[bind_mount(source, "/mnt/bad")]) as b:
        r = b.run()
    assert r.code != 0, f"a bind of a missing source succeeded: {r!r}"
    assert "/mnt/bad" in r.err or source in r.err, \
        f"message does not name the mount: {r!r}"


# --- namespaces: a user namespace, and joining one by path -----------------

def test_user_namespace_maps_root_elsewhere(ctx):
    # Root in the container is uid 100000 on the host; the rootfs (owned
    # by the host's root) appears unmapped inside; the capabilities are
    # the container's within its namespace.
    with Bundle(ctx, ["sh", "-c", "id -u; cat /proc/self/uid_map | "
                      "tr -s ' '; stat -c %u /bin/busybox; "
                      "grep ^CapEff /proc/self/status"]) as b:
        lx = b.config["linux"]
        lx["namespaces"].append({"type": "user"})
        lx["uidMappings"] = [{"containerID": 0, "hostID": 100000,
                              "size": 65536}]
        lx["gidMappings"] = [{"containerID": 0, "hostID": 100000,
                              "size": 65536}]
        # The mapped root (uid 100000 on the host) must reach the rootfs,
        # as with any runtime: the bundle dir is 0700 root otherwise.
        os.chmod(b.dir, 0o755)
        r = b.run().ok()
    lines = r.out.splitlines()
    assert lines[0] == "0", r
    assert lines[1].split() == ["0", "100000", "65536"], r
    assert lines[2] == "65534", r          # the host's root: unmapped
    assert lines[3].split()[1] == "00000000a80425fb", r


def test_network_namespace_joined_by_path(ctx):
    import subprocess
    name = f"berth-test-{os.getpid()}-net"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        ino = os.stat(f"/run/netns/{name}").st_ino
        with Bundle(ctx, ["readlink", "/proc/self/ns/net"]) as b:
            for ns in b.config["linux"]["namespaces"]:
                if ns["type"] == "network":
                    ns["path"] = f"/run/netns/{name}"
            r = b.run().ok()
        assert r.out.strip() == f"net:[{ino}]", (r, ino)
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)
