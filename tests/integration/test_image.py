"""io.berth.Image against a real berthd: load (docker-archive, OCI layout),
save, import, tag, rmi, history, prune, disk usage, and what the store
holds afterwards: whiteouts, hostile archives, corrupt blobs, concurrent
loads, helpers killed or abandoned midway.  Driven over the protocol only
(tools/python/berth.py and image_harness.py's upgraded-call frames)."""
import hashlib
import json
import os
import signal
import subprocess
import tarfile
import tempfile
import threading
import uuid

import berth
from harness import Daemon, wait_for, need_root
from image_harness import (
    IMAGE, StreamError, Upgraded, blob_files, busybox, call, children,
    docker_archive,
    expect_error, expect_stream_error, gz, helpers, image_config, image_ids,
    images, import_, insert_lease, layer_dirs, load, members, oci_layout,
    query, save, sha256, staging, tar_bytes)

BUSYBOX = "busybox:latest"
IN_USE = f"{IMAGE}.InUse"
NOT_FOUND = f"{IMAGE}.NotFound"


# --- small helpers --------------------------------------------------------

def busybox_config(fmt):
    """(config bytes, config dict, manifest digest or None) of busybox."""
    m = members(busybox(fmt))
    if fmt == "docker":
        man = json.loads(m["manifest.json"])[0]
        cfg = m[man["Config"]]
        return cfg, json.loads(cfg), None
    index = json.loads(m["index.json"])
    mdigest = index["manifests"][0]["digest"]
    man = json.loads(m["blobs/sha256/" + mdigest[7:]])
    cfg = m["blobs/sha256/" + man["config"]["digest"][7:]]
    return cfg, json.loads(cfg), mdigest


def assert_clean_store(d, what):
    """No layer dir, nothing staged, no blob file without a row, no image
    row."""
    assert layer_dirs(d) == [], f"{what}: layer dirs left: {layer_dirs(d)}"
    assert staging(d) == [], f"{what}: staging left: {staging(d)}"
    assert query(d, "SELECT id FROM images") == [], \
        f"{what}: image rows: {query(d, 'SELECT id FROM images')}"
    assert_no_stray_blobs(d, what)


def assert_no_stray_blobs(d, what):
    rows = {r[0] for r in query(d, "SELECT digest FROM blobs")}
    stray = [b for b in blob_files(d) if b not in rows]
    assert not stray, f"{what}: blob files no row names: {stray}"
    hidden = [n for n in os.listdir(os.path.join(d.root, "blobs", "sha256"))
              if n.startswith(".")] \
        if os.path.isdir(os.path.join(d.root, "blobs", "sha256")) else []
    assert not hidden, f"{what}: temporary blob files left: {hidden}"


def no_helpers(d):
    return helpers(d) == []


def walk_names(top):
    out = []
    for dirpath, dirnames, filenames in os.walk(top):
        for n in dirnames + filenames:
            out.append(os.path.join(dirpath, n))
    return out


# --- 1. load and look -----------------------------------------------------

def test_load_docker_archive_and_oci_layout_list_inspect_history(ctx):
    need_root()
    for fmt in ("docker", "oci"):
        cfg, config, _ = busybox_config(fmt)
        want_id = sha256(cfg)
        with Daemon(ctx) as d:
            assert images(d) == [], f"{fmt}: a fresh root lists images"
            r = load(d, busybox(fmt))
            assert r["images"] == [{"id": want_id,
                                    "references": [BUSYBOX]}], (fmt, r)
            lst = images(d)
            assert len(lst) == 1, (fmt, lst)
            s = lst[0]
            assert s["id"] == want_id, (fmt, s)
            assert s["repo_tags"] == [BUSYBOX], (fmt, s)
            assert s["size"] > 0 and s["containers"] == 0, (fmt, s)

            for name in ("busybox", BUSYBOX, "docker.io/library/busybox",
                         want_id, want_id[7:19]):
                doc = call(d, "Inspect", image=name)["image"]
                assert doc["Id"] == want_id, (fmt, name, doc["Id"])
            assert doc["RepoTags"] == [BUSYBOX], (fmt, doc)
            assert doc["RootFS"] == {"Type": "layers", "Layers":
                                     config["rootfs"]["diff_ids"]}, \
                (fmt, doc["RootFS"])
            assert doc["Config"]["Cmd"] == config["config"]["Cmd"], doc
            assert doc["Config"]["Env"] == config["config"]["Env"], doc
            assert doc["Architecture"] == config["architecture"], doc
            assert doc["Os"] == "linux", doc
            assert doc["Size"] == s["size"], (doc["Size"], s)
            for diff in config["rootfs"]["diff_ids"]:
                assert os.path.isdir(os.path.join(d.root, "layers",
                                                  diff[7:])), (fmt, diff)
            assert staging(d) == [], staging(d)

            hist = call(d, "History", image="busybox")["history"]
            assert len(hist) == len(config["history"]), (fmt, hist)
            top = hist[0]
            assert top["id"] == want_id, top
            assert top["created_by"] == config["history"][-1]["created_by"]
            assert top["tags"] == [BUSYBOX], top
            assert top["empty_layer"] is False and top["size"] > 0, top
            expect_error(NOT_FOUND, d, "Inspect", image="nosuch:1")
            expect_error(NOT_FOUND, d, "History", image="nosuch:1")


# --- 2. save --------------------------------------------------------------

def test_save_round_trips_and_is_reproducible(ctx):
    need_root()
    cfg, _, oci_manifest = busybox_config("docker")
    want_id = sha256(cfg)
    with Daemon(ctx) as a:
        load(a, busybox("docker"))
        out1 = save(a, ["busybox"], "docker")
        out2 = save(a, [BUSYBOX], "docker")
        assert out1 == out2, "two docker saves differ"
        m = members(out1)
        man = json.loads(m["manifest.json"])
        assert man[0]["RepoTags"] == [BUSYBOX], man
        assert sha256(m[man[0]["Config"]]) == want_id, man
        variants = {"docker": out1}
        for comp in ("gzip", "zstd"):
            for fmt in ("docker", "oci"):
                variants[f"{fmt}+{comp}"] = save(a, ["busybox"], fmt, comp)
        variants["oci"] = save(a, ["busybox"], "oci")
    for name, data in variants.items():
        with Daemon(ctx) as b:
            r = load(b, data)
            assert [i["id"] for i in r["images"]] == [want_id], (name, r)
            lst = images(b)
            assert [(i["id"], i["repo_tags"]) for i in lst] == \
                [(want_id, [BUSYBOX])], (name, lst)

    # An image loaded from an OCI layout keeps its manifest: saved "as
    # stored" the index names the very manifest that was loaded.
    with Daemon(ctx) as c:
        load(c, busybox("oci"))
        o1 = save(c, ["busybox"], "oci")
        o2 = save(c, ["busybox"], "oci")
        assert o1 == o2, "two OCI saves differ"
        idx1 = json.loads(members(o1)["index.json"])
        digests = [m["digest"] for m in idx1["manifests"]]
        _, _, loaded_manifest = busybox_config("oci")
        assert digests == [loaded_manifest], (digests, loaded_manifest)
        mm = members(o1)
        assert sha256(mm["blobs/sha256/" + digests[0][7:]]) == digests[0]
    with Daemon(ctx) as e:
        try:
            save(e, ["nosuch:1"], "docker")
        except berth.BerthError as err:
            assert err.name == NOT_FOUND, err
        else:
            raise AssertionError("Save of a missing image did not fail")


# --- 3. import ------------------------------------------------------------

CHANGES = ['CMD ["/bin/sh"]', 'ENV A=1 B="two words"', "WORKDIR /app",
           "USER nobody", "EXPOSE 80/tcp 53/udp", "LABEL x=y",
           "ENTRYPOINT echo hi"]


def rootfs_tar():
    return tar_bytes([
        ("bin", "dir", None),
        ("bin/hello", "file", b"#!/bin/sh\necho hello\n"),
        ("etc", "dir", None),
        ("etc/motd", "file", b"welcome\n"),
        ("app", "dir", None),
        ("app/data.txt", "file", b"x" * 5000),
        ("link", "symlink", "etc/motd"),
    ])


def test_import_rootfs_with_changes(ctx):
    need_root()
    with Daemon(ctx) as d:
        for i, data in enumerate((rootfs_tar(), gz(rootfs_tar()))):
            ref = f"imported:{i}"
            r = import_(d, data, reference=ref, changes=CHANGES,
                        message="made by a test")
            iid = r["id"]
            assert iid.startswith("sha256:") and len(iid) == 71, r
            doc = call(d, "Inspect", image=ref)["image"]
            assert doc["Id"] == iid, (doc["Id"], iid)
            assert doc["RepoTags"] == [ref], doc
            c = doc["Config"]
            assert c["Cmd"] == ["/bin/sh"], c
            assert c["Env"] == ["A=1", "B=two words"], c
            assert c["WorkingDir"] == "/app", c
            assert c["User"] == "nobody", c
            assert c["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}, c
            assert c["Labels"] == {"x": "y"}, c
            assert c["Entrypoint"] == ["/bin/sh", "-c", "echo hi"], c
            assert doc["Comment"] == "made by a test", doc
            layers = doc["RootFS"]["Layers"]
            assert len(layers) == 1, doc["RootFS"]
            ldir = os.path.join(d.root, "layers", layers[0][7:])
            with open(os.path.join(ldir, "app", "data.txt"), "rb") as f:
                assert f.read() == b"x" * 5000
            assert os.readlink(os.path.join(ldir, "link")) == "etc/motd"
            assert os.path.isdir(os.path.join(ldir, "bin"))
            hist = call(d, "History", image=ref)["history"]
            assert hist and hist[0]["id"] == iid, hist
        before = images(d)
        for bad in ("BOGUS x", "EXPOSE notaport"):
            e = expect_stream_error(import_, d, rootfs_tar(),
                                    reference="bad:1",
                                    changes=["LABEL a=b", bad])
            assert e.name == f"{IMAGE}.InvalidChange", e
            assert e.parameters.get("change") == bad, e
            assert images(d) == before, f"{bad}: List changed"
            assert query(d, "SELECT name FROM refs WHERE name LIKE "
                         "'%bad:1'") == []
        assert staging(d) == []


# --- 4. tag and rmi -------------------------------------------------------

def test_tag_and_remove(ctx):
    need_root()
    cfg, _, _ = busybox_config("docker")
    iid = sha256(cfg)
    with Daemon(ctx) as d:
        load(d, busybox("docker"))
        call(d, "Tag", source="busybox", target="foo:1")
        call(d, "Tag", source=iid, target="example.com/bar/baz:2")
        tags = images(d)[0]["repo_tags"]
        assert sorted(tags) == sorted([BUSYBOX, "foo:1",
                                       "example.com/bar/baz:2"]), tags
        assert call(d, "Inspect", image="foo:1")["image"]["Id"] == iid
        expect_error(NOT_FOUND, d, "Tag", source="nosuch", target="x:1")
        expect_error(f"{IMAGE}.InvalidReference", d, "Tag",
                     source="busybox", target="UPPER:case")

        # An id with several references: refused without force.
        expect_error(IN_USE, d, "Remove", image=iid)
        assert images(d)[0]["repo_tags"], "refused rmi removed tags"

        r = call(d, "Remove", image="foo:1")
        assert r["untagged"] == ["foo:1"] and r["deleted"] == [], r
        expect_error(NOT_FOUND, d, "Inspect", image="foo:1")
        r = call(d, "Remove", image="example.com/bar/baz:2")
        assert r["deleted"] == [], r
        assert image_ids(d) == [iid]
        # The last tag: the image goes, and its layer and blobs with it
        # (here or at the next prune).
        r = call(d, "Remove", image="busybox")
        assert r["untagged"] == [BUSYBOX], r
        assert r["deleted"] and r["deleted"][0] == iid, r
        assert images(d) == []
        expect_error(NOT_FOUND, d, "Remove", image="busybox")

        # Several tags, by id with force: everything goes.
        load(d, busybox("docker"))
        call(d, "Tag", source="busybox", target="foo:1")
        r = call(d, "Remove", image=iid, force=True)
        assert sorted(r["untagged"]) == sorted([BUSYBOX, "foo:1"]), r
        assert iid in r["deleted"], r
        assert images(d) == []

        # A lease (a container) holds the image.
        load(d, busybox("docker"))
        call(d, "Tag", source="busybox", target="foo:1")
        d.stop()
        insert_lease(d, iid, "c1")
        d.start()
        expect_error(IN_USE, d, "Remove", image=iid)
        expect_error(IN_USE, d, "Remove", image=iid[7:19])
        assert images(d)[0]["repo_tags"], "refused rmi removed tags"
        r = call(d, "Remove", image=iid, force=True)
        assert sorted(r["untagged"]) == sorted([BUSYBOX, "foo:1"]), r
        assert r["deleted"] == [], r
        assert image_ids(d) == [iid], images(d)
        assert call(d, "Inspect", image=iid)["image"]["RepoTags"] == []


# --- 5. whiteouts ---------------------------------------------------------

def test_whiteouts_and_opaque_dirs_through_overlay(ctx):
    need_root()
    l1 = tar_bytes([("a", "dir", None), ("a/file1", "file", b"one\n"),
                    ("a/file2", "file", b"two\n"), ("d", "dir", None),
                    ("d/x", "file", b"x\n")])
    l2 = tar_bytes([("a", "dir", None), ("a/.wh.file1", "file", b""),
                    ("d", "dir", None), ("d/.wh..wh..opq", "file", b""),
                    ("d/y", "file", b"y\n")])
    archive, iid = docker_archive([l1, l2], tag="wh:latest")
    with Daemon(ctx) as d:
        r = load(d, archive)
        assert r["images"][0]["id"] == iid, r
        diffs = call(d, "Inspect", image="wh")["image"]["RootFS"]["Layers"]
        assert diffs == [sha256(l1), sha256(l2)], diffs
        lower = ":".join(os.path.join(d.root, "layers", x[7:])
                         for x in reversed(diffs))
        mnt = tempfile.mkdtemp(prefix="berth-ovl-")
        try:
            script = (f"mount -t overlay -o ro,lowerdir={lower} overlay "
                      f"{mnt} && ls -A {mnt}/a; echo --; ls -A {mnt}/d; "
                      f"echo --; cat {mnt}/a/file2; umount {mnt}")
            p = subprocess.run(["unshare", "-m", "--propagation", "private",
                                "sh", "-c", script], capture_output=True,
                               text=True, timeout=30)
            assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
            a, dd, f2 = p.stdout.split("--\n")
            assert a.split() == ["file2"], p.stdout
            assert dd.split() == ["y"], p.stdout
            assert f2 == "two\n", p.stdout
            assert os.listdir(mnt) == [], "overlay leaked out"
        finally:
            os.rmdir(mnt)
        # The layer holds an overlay whiteout, not the .wh. file.
        top = os.path.join(d.root, "layers", diffs[1][7:])
        assert not os.path.lexists(os.path.join(top, "a", ".wh.file1"))
        st = os.lstat(os.path.join(top, "a", "file1"))
        import stat
        assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0, st


# --- 6. hostile archives --------------------------------------------------

def test_hostile_layers_are_refused(ctx):
    """"..", a symlink planted to lead out, a hardlink out: refused naming
    the entry, nothing written anywhere, nothing recorded.  (An absolute
    name is not refused but confined: see the next test.)"""
    need_root()
    unique = f"/tmp/berth-hostile-{uuid.uuid4().hex}"
    cases = {
        "../evil": [("../evil", "file", b"evil\n")],
        "l/file": [("l", "symlink", unique), ("l/file", "file", b"evil\n")],
        "l/file (dir)": [("l", "symlink", "/tmp"),
                         ("l/" + os.path.basename(unique), "file",
                          b"evil\n")],
        "passwd": [("f", "file", b"ok\n"),
                   ("passwd", "hardlink", "../../etc/passwd")],
    }
    wrong_names = []
    try:
        with Daemon(ctx) as d:
            for what, entries in cases.items():
                layer = tar_bytes(entries)
                archive, _ = docker_archive([layer], tag="evil:latest")
                e = expect_stream_error(load, d, archive)
                # The error must be one io.berth.Image declares; checked
                # after the store is, so that both get looked at.
                if e.name not in (f"{IMAGE}.InvalidLayer",
                                  f"{IMAGE}.InvalidArchive"):
                    wrong_names.append((what, e.name))
                entry = entries[-1][0]
                assert f'"{entry}"' in e.message, f"{what}: message does " \
                    f"not name {entry!r}: {e.message!r}"
                assert images(d) == [], (what, images(d))
                assert query(d, "SELECT * FROM images") == [], what
                assert layer_dirs(d) == [], (what, layer_dirs(d))
                assert staging(d) == [], (what, staging(d))
                assert query(d, "SELECT * FROM layer_dirs") == [], what
                assert not os.path.lexists(unique), f"{what}: wrote {unique}"
                evil = [n for n in walk_names(d.dir)
                        if os.path.basename(n) == "evil"]
                assert not evil, (what, evil)
            with open("/etc/passwd", "rb") as f:
                assert b"evil" not in f.read()
            d.ping()
            call(d, "Prune")
            assert_clean_store(d, "after prune")
        assert not wrong_names, "errors not declared by io.berth.Image " \
            f"(want {IMAGE}.InvalidLayer): {wrong_names}"
    finally:
        if os.path.lexists(unique):
            os.unlink(unique)


def test_absolute_layer_names_stay_inside_the_layer(ctx):
    """A leading "/" is taken relative to the layer root, as Docker's
    pkg/archive does (store/unpack.c): the host path is never written."""
    need_root()
    unique = f"/tmp/berth-abs-{uuid.uuid4().hex}"
    layer = tar_bytes([(unique, "file", b"evil\n")])
    archive, iid = docker_archive([layer], tag="abs:latest")
    try:
        with Daemon(ctx) as d:
            r = load(d, archive)
            assert r["images"][0]["id"] == iid, r
            assert not os.path.lexists(unique), f"wrote {unique} on the host"
            inside = os.path.join(d.root, "layers", sha256(layer)[7:],
                                  unique.lstrip("/"))
            with open(inside, "rb") as f:
                assert f.read() == b"evil\n"
    finally:
        if os.path.lexists(unique):
            os.unlink(unique)


# --- 7. corrupt blobs -----------------------------------------------------

def test_blob_not_matching_its_digest_is_refused(ctx):
    need_root()
    layer = tar_bytes([("f", "file", b"hello\n")])
    wrong = hashlib.sha256(b"something else").hexdigest()
    archive, _ = oci_layout([layer], [sha256(layer)], blob_names=[wrong])
    with Daemon(ctx) as d:
        e = expect_stream_error(load, d, archive)
        assert e.name == f"{IMAGE}.BlobDigestMismatch", e
        assert e.parameters.get("expected") == "sha256:" + wrong, e
        assert e.parameters.get("actual") == sha256(layer), e
        assert images(d) == []
        assert query(d, "SELECT * FROM images") == []
        assert "sha256:" + wrong not in blob_files(d)
        assert layer_dirs(d) == [] and staging(d) == []
        # A layer whose content is not its config's diff id.
        # A layer whose content is not its config's diff id: refused; what
        # it unpacked is garbage for the next prune.
        archive, _ = oci_layout([layer], ["sha256:" + wrong])
        e = expect_stream_error(load, d, archive)
        assert e.name == f"{IMAGE}.DiffIDMismatch", e
        assert e.parameters.get("expected") == "sha256:" + wrong, e
        assert e.parameters.get("actual") == sha256(layer), e
        assert images(d) == [] and staging(d) == []
        assert query(d, "SELECT * FROM images") == []
        call(d, "Prune")
        assert_clean_store(d, "after prune")


# --- 8. concurrent loads --------------------------------------------------

def test_concurrent_loads_of_the_same_image(ctx):
    need_root()
    data = busybox("docker")
    cfg, config, _ = busybox_config("docker")
    results, errors = [None] * 4, [None] * 4

    with Daemon(ctx) as d:
        # All four upgraded first, then the data, so that they overlap.
        ups = [Upgraded(d.path, f"{IMAGE}.Load", {}, 120) for _ in range(4)]
        try:
            def feed(i):
                try:
                    ups[i].send_data(data, 64 << 10)
                    ups[i].send_eof()
                    results[i] = ups[i].result()
                except BaseException as e:
                    errors[i] = e
            threads = [threading.Thread(target=feed, args=(i,))
                       for i in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(180)
        finally:
            for u in ups:
                u.close()
        assert errors == [None] * 4, errors
        for r in results:
            assert [i["id"] for i in r["images"]] == [sha256(cfg)], results
        assert image_ids(d) == [sha256(cfg)]
        assert layer_dirs(d) == [x[7:] for x in
                                 config["rootfs"]["diff_ids"]], layer_dirs(d)
        assert staging(d) == [], staging(d)
        assert query(d, "SELECT diff_id, state FROM layer_dirs") == \
            [(x, "unpacked") for x in config["rootfs"]["diff_ids"]]
        wait_for(lambda: no_helpers(d), 10, "no helper left")
        call(d, "Prune")
        assert_no_stray_blobs(d, "after prune")


# --- 9. a helper killed midway --------------------------------------------

def big_layer():
    """Many files, so that unpacking takes a while."""
    entries = [("big", "dir", None)]
    for i in range(20):
        entries.append((f"big/{i}", "dir", None))
        for j in range(300):
            entries.append((f"big/{i}/{j}", "file", b"%d/%d\n" % (i, j) * 50))
    entries.append(("blob", "file", os.urandom(16 << 20)))
    return tar_bytes(entries, fmt=tarfile.GNU_FORMAT)


_BIG = {}


def big_archive():
    if "a" not in _BIG:
        _BIG["a"] = docker_archive([big_layer()], tag="big:latest")
    return _BIG["a"]


def unpack_children(d):
    """berthd's descendants that are not its direct children: what a
    helper forked (the unpack of a layer)."""
    direct = set(children(d.pid))
    return [p for p, _ in helpers(d) if p not in direct]


def test_unpack_helper_killed_midway(ctx):
    need_root()
    archive, iid = big_archive()
    with Daemon(ctx) as d:
        with Upgraded(d.path, f"{IMAGE}.Load", {"size": len(archive)},
                      120) as u:
            u.send_data(archive, 1 << 20)
            u.send_eof()
            # Wait for the load helper's own child (the unpack of the
            # layer) and kill it while it works.
            victims = wait_for(lambda: unpack_children(d), 60,
                               "the unpack child of the load helper",
                               interval=0.002)
            assert len(helpers(d)) >= 2, helpers(d)
            os.kill(victims[0], signal.SIGKILL)
            try:
                r = u.result()
            except StreamError as err:
                e = err
            else:
                raise AssertionError(f"load succeeded after its unpack "
                                     f"child was killed: {r}")
            assert e.message, e
        d.ping()
        wait_for(lambda: no_helpers(d), 15, "helpers gone after the kill")
        r = call(d, "Prune")
        assert_clean_store(d, "after the unpack child was killed and prune")
        # A restart finds nothing to recover either.
        d.stop()
        d.start()
        assert_clean_store(d, "after restart")
        r = load(d, archive)
        assert [i["id"] for i in r["images"]] == [iid], r
        assert staging(d) == []
        assert len(layer_dirs(d)) == 1, layer_dirs(d)


def test_load_helper_killed_midway(ctx):
    """The helper itself killed while data still streams in."""
    need_root()
    archive, iid = big_archive()
    with Daemon(ctx) as d:
        with Upgraded(d.path, f"{IMAGE}.Load", {}, 120) as u:
            half = len(archive) // 2
            u.send_data(archive[:half], 1 << 20)
            hs = wait_for(lambda: helpers(d), 10, "the load helper")
            assert any(b"--helper" in cmd for _, cmd in hs), hs
            for p, cmd in hs:
                if b"--helper" in cmd:
                    os.kill(p, signal.SIGKILL)
            try:
                u.send_data(archive[half:], 1 << 20)
                u.send_eof()
            except (BrokenPipeError, ConnectionResetError):
                pass
            e = expect_stream_error(u.result)
            assert e.message, e
        d.ping()
        wait_for(lambda: no_helpers(d), 15, "helpers gone after the kill")
        call(d, "Prune")
        assert_clean_store(d, "after the helper was killed and prune")
        r = load(d, archive)
        assert [i["id"] for i in r["images"]] == [iid], r


def test_berthd_killed_mid_load_recovers_at_restart(ctx):
    """SIGKILL of berthd itself while a layer unpacks: its helpers die with
    it (PR_SET_PDEATHSIG), the restart sweeps staging and forgets the
    layer left "unpacking", a prune takes the blobs no row names, and
    nothing half-loaded is visible meanwhile."""
    need_root()
    archive, iid = big_archive()
    with Daemon(ctx) as d:
        u = Upgraded(d.path, f"{IMAGE}.Load", {}, 60)
        try:
            u.send_data(archive, 1 << 20)
            u.send_eof()
            # The helper and its unpack child.
            wait_for(lambda: len(helpers(d)) >= 2, 15, "the unpack child")
            hs = [pid for pid, _ in helpers(d)]
            os.kill(d.pid, signal.SIGKILL)
            d.proc.wait(10)
        finally:
            u.close()
        wait_for(lambda: all(not os.path.exists(f"/proc/{p}") or
                             _zombie(p) for p in hs), 15,
                 "helpers gone with berthd")
        d.start()
        assert image_ids(d) == [], "a half-loaded image is visible"
        assert staging(d) == [], staging(d)
        call(d, "Prune")
        assert_clean_store(d, "after berthd was killed, restart and prune")
        r = load(d, archive)
        assert [i["id"] for i in r["images"]] == [iid], r


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


# --- 10. client gone mid-load ---------------------------------------------

def test_client_closing_mid_load(ctx):
    need_root()
    archive, iid = big_archive()
    with Daemon(ctx) as d:
        u = Upgraded(d.path, f"{IMAGE}.Load", {}, 60)
        try:
            u.send_data(archive[:len(archive) // 2], 256 << 10)
            wait_for(lambda: helpers(d), 10, "a load helper")
        finally:
            u.close()
        d.ping()
        wait_for(lambda: no_helpers(d), 15, "helpers gone after the close")
        d.ping()
        call(d, "Prune")
        assert_clean_store(d, "after prune")
        r = load(d, busybox("docker"))
        assert r["images"], r


# --- 11. prune ------------------------------------------------------------

def hand_image(tag, content, extra_layers=()):
    layers = [tar_bytes([("data", "file", content)])] + list(extra_layers)
    return docker_archive(layers, tag=tag,
                          config=image_config(layers, cmd=(tag or "x",)))


def test_prune(ctx):
    need_root()
    old, old_id = hand_image("hand:latest", b"old" * 1000)
    new, new_id = hand_image("hand:latest", b"new" * 1000)
    other, other_id = hand_image("other:1", b"other" * 1000)
    bb_id = sha256(busybox_config("docker")[0])
    old_diff = sha256(tar_bytes([("data", "file", b"old" * 1000)]))
    with Daemon(ctx) as d:
        for a in (busybox("docker"), old, new, other):
            load(d, a)
        # Loading new under hand:latest leaves old dangling.
        lst = {i["id"]: i["repo_tags"] for i in images(d)}
        assert lst == {bb_id: [BUSYBOX], old_id: [], new_id: ["hand:latest"],
                       other_id: ["other:1"]}, lst
        r = call(d, "Prune")
        assert r["deleted"] and old_id in r["deleted"], r
        assert not {bb_id, new_id, other_id} & set(r["deleted"]), r
        assert r["space_reclaimed"] > 0, r
        assert image_ids(d) == sorted([bb_id, new_id, other_id])
        assert old_diff[7:] not in layer_dirs(d), layer_dirs(d)
        assert old_diff not in blob_files(d), "old layer blob kept"
        assert old_id not in blob_files(d), "old config kept"
        assert_no_stray_blobs(d, "after prune")
        # Nothing dangling: nothing to do.
        r = call(d, "Prune")
        assert r["deleted"] == [] and r["space_reclaimed"] == 0, r

        d.stop()
        insert_lease(d, bb_id, "c1")
        d.start()
        r = call(d, "Prune", all=True)
        assert set(r["deleted"]) >= {new_id, other_id}, r
        assert bb_id not in r["deleted"], r
        assert r["space_reclaimed"] > 0, r
        assert image_ids(d) == [bb_id], images(d)
        doc = call(d, "Inspect", image=bb_id)["image"]
        for diff in doc["RootFS"]["Layers"]:
            assert diff[7:] in layer_dirs(d), (diff, layer_dirs(d))
        assert len(layer_dirs(d)) == len(doc["RootFS"]["Layers"])
        assert_no_stray_blobs(d, "after prune all")
        # Leased and dangling: still never pruned, nor its layers.
        r = call(d, "Remove", image=bb_id, force=True)
        assert r["deleted"] == [], r
        assert images(d)[0]["repo_tags"] == [], images(d)
        for kw in ({}, {"all": True}):
            r = call(d, "Prune", **kw)
            assert r["deleted"] == [], (kw, r)
            assert image_ids(d) == [bb_id], (kw, images(d))
            assert len(layer_dirs(d)) == len(doc["RootFS"]["Layers"]), kw
        assert call(d, "Inspect", image=bb_id)["image"]["Id"] == bb_id


# --- 12. disk usage -------------------------------------------------------

def test_disk_usage_matches_list(ctx):
    need_root()
    top = tar_bytes([("more", "file", b"m" * 3000)])
    a, a_id = hand_image("a:1", b"b" * 1000)
    b, b_id = hand_image("b:1", b"b" * 1000, [top])
    with Daemon(ctx) as d:
        for x in (busybox("docker"), a, b):
            load(d, x)
        lst = {i["id"]: i for i in images(d)}
        du = call(d, "DiskUsage")
        got = {i["id"]: i for i in du["images"]}
        assert set(got) == set(lst), (got, lst)
        for iid, s in lst.items():
            u = got[iid]
            assert u["size"] == s["size"], (u, s)
            assert u["repo_tags"] == s["repo_tags"], (u, s)
            assert u["shared_size"] + u["unique_size"] == u["size"], u
            assert u["containers"] == 0, u
        # a's layer is b's base: shared; b's top is its own.
        assert lst[a_id]["size"] == 1000, lst[a_id]
        assert lst[b_id]["size"] == 4000, lst[b_id]
        assert got[a_id]["shared_size"] == 1000, got[a_id]
        assert got[b_id]["shared_size"] == 1000, got[b_id]
        assert got[b_id]["unique_size"] == 3000, got[b_id]
        layer_sum = sum(r[0] for r in query(d, "SELECT size FROM "
                                            "layer_dirs"))
        assert du["layers_size"] == layer_sum, (du, layer_sum)
        bb = [s for s in lst.values() if s["repo_tags"] == [BUSYBOX]][0]
        assert du["layers_size"] == bb["size"] + 4000, du
        blob_bytes = sum(os.path.getsize(os.path.join(
            d.root, "blobs", "sha256", x[7:])) for x in blob_files(d))
        assert du["blobs_size"] == blob_bytes, (du, blob_bytes)
        # Removing b leaves a's layer shared with nobody.
        call(d, "Remove", image="b:1")
        call(d, "Prune")
        du = call(d, "DiskUsage")
        got = {i["id"]: i for i in du["images"]}
        assert got[a_id]["shared_size"] == 0, got[a_id]
        assert got[a_id]["unique_size"] == 1000, got[a_id]
        assert du["layers_size"] == bb["size"] + 1000, du


def test_prune_keeps_the_blob_each_image_has_for_a_shared_layer(ctx):
    """Two images with one layer (one chain ID), one as a plain tar, one
    gzip-compressed: the layer row names the first blob, and gc must
    still keep the second, which the other image's manifest names."""
    need_root()
    layer = tar_bytes([("f", "file", b"shared" * 1000)])
    plain, plain_id = docker_archive([layer], tag="plain:1")
    packed, packed_id = oci_layout(
        [gz(layer)], [sha256(layer)], name="docker.io/library/packed:1",
        tag="1", media_type="application/vnd.oci.image.layer.v1.tar+gzip")
    with Daemon(ctx) as d:
        load(d, plain)
        load(d, packed)
        assert sorted(image_ids(d)) == sorted([plain_id, packed_id])
        call(d, "Prune", all=False)
        assert call(d, "Inspect", image="packed:1")["image"]["Id"] == \
            packed_id
        saved = save(d, ["packed:1"], "oci")
        call(d, "Remove", image="plain:1")
        call(d, "Prune")
        assert call(d, "Inspect", image="packed:1")["image"]["Id"] == \
            packed_id
        with Daemon(ctx) as d2:
            r = load(d2, save(d, ["packed:1"], "oci"))
            assert r["images"][0]["id"] == packed_id, r
        assert saved
