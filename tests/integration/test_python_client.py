"""tools/python/berth.py end to end against a real berthd."""
import os
import subprocess
import tempfile

import berth
from harness import Daemon, PYTHON, TOP

SERVICE = "io.berth.Service"
EXAMPLE = os.path.join(TOP, "tools", "python", "example.py")


def test_example_runs_against_a_daemon(ctx):
    with Daemon(ctx) as d:
        env = dict(os.environ, BERTH_HOST=d.address)
        p = subprocess.run([PYTHON, EXAMPLE], capture_output=True, text=True,
                           env=env, timeout=30)
        assert p.returncode == 0, f"{p.stdout}\n{p.stderr}"
        assert "berthd" in p.stdout, p.stdout
        assert "ping: 'hello'" in p.stdout, p.stdout
        assert "Ping(payload: ?string) -> (payload: ?string)" in p.stdout
        assert "caught io.berth.Service.InterfaceNotFound" in p.stdout


def test_example_without_daemon_names_the_socket(ctx):
    with tempfile.TemporaryDirectory(prefix="berth-test-") as tmp:
        sock = os.path.join(tmp, "none.sock")
        env = dict(os.environ, BERTH_HOST="unix://" + sock)
        p = subprocess.run([PYTHON, EXAMPLE], capture_output=True, text=True,
                           env=env, timeout=30)
        assert p.returncode == 1, p
        assert sock in p.stderr, p.stderr


def test_error_replies_raise_classes_named_after_them(ctx):
    with Daemon(ctx) as d, d.client() as c:
        name = f"{SERVICE}.MethodNotFound"
        try:
            c.call(f"{SERVICE}.Frobnicate", thing=1)
        except berth.errors[name] as e:
            assert type(e) is berth.error_class(name)
            assert isinstance(e, berth.BerthError)
            assert e.name == name
            assert e.parameters == {"method": f"{SERVICE}.Frobnicate"}, e
            assert e.message and e.errno is None, repr(e)
        else:
            raise AssertionError("no MethodNotFound")
        # A class for one name does not catch another's error.
        try:
            try:
                c.call(f"{SERVICE}.GetInterfaceDescription")
            except berth.error_class(f"{SERVICE}.MethodNotFound"):
                raise AssertionError("InvalidParameter caught as "
                                     "MethodNotFound")
        except berth.error_class(f"{SERVICE}.InvalidParameter") as e:
            assert e.parameters == {"parameter": "interface"}, e
        # The connection is still good after errors.
        assert c.call(f"{SERVICE}.Ping", {"payload": "a"}) == {"payload": "a"}


def test_describe_documents_the_error_classes(ctx):
    with Daemon(ctx) as d, d.client() as c:
        ifaces = c.describe()
        assert SERVICE in ifaces
        methods = c.methods()
        assert methods[f"{SERVICE}.Ping"].inputs == {"payload": "?string"}
        assert methods[f"{SERVICE}.GetStatus"].outputs["max_frame"] == "int"
        cls = berth.error_class(f"{SERVICE}.FrameTooLarge")
        assert cls.PARAMETERS == {"size": "int", "limit": "int"}
        assert "more bytes than the daemon accepts" in cls.__doc__


def test_default_address_comes_from_berth_host(ctx):
    with Daemon(ctx) as d:
        saved = os.environ.get("BERTH_HOST")
        os.environ["BERTH_HOST"] = d.address
        try:
            with berth.Client(timeout=10) as c:
                assert c.path == d.socket
                assert c.call(f"{SERVICE}.Ping", payload="env") == \
                    {"payload": "env"}
        finally:
            if saved is None:
                del os.environ["BERTH_HOST"]
            else:
                os.environ["BERTH_HOST"] = saved
        # A bare path is an address too.
        with berth.Client(d.socket, timeout=10) as c:
            c.call(f"{SERVICE}.Ping")


def test_no_daemon_is_a_connection_error_naming_the_socket(ctx):
    with tempfile.TemporaryDirectory(prefix="berth-test-") as tmp:
        sock = os.path.join(tmp, "absent.sock")
        try:
            berth.Client("unix://" + sock)
        except berth.ConnectionError as e:
            assert sock in str(e), str(e)
            assert e.name == "io.berth.Client.ConnectionFailed"
            assert e.address == sock
            assert isinstance(e, ConnectionError)    # the builtin one too
        else:
            raise AssertionError("connected to nothing")
        # A daemon that went away mid-conversation is one too.
        with Daemon(ctx) as d:
            c = d.client()
            d.stop()
            try:
                c.call(f"{SERVICE}.Ping")
            except berth.ConnectionError as e:
                assert d.socket in str(e), str(e)
            else:
                raise AssertionError("call on a stopped daemon succeeded")
            finally:
                c.close()


def test_reply_larger_than_max_frame_is_refused(ctx):
    with Daemon(ctx) as d:
        with d.client(max_frame=256) as c:
            assert c.call(f"{SERVICE}.Ping", payload="small") == \
                {"payload": "small"}
            try:
                c.call(f"{SERVICE}.Ping", payload="x" * 1000)
            except berth.ProtocolError as e:
                assert "exceeds the limit of 256" in str(e), str(e)
            else:
                raise AssertionError("a 1000-byte reply passed a 256 limit")
            assert c.closed


def test_stream_ends_with_the_reply_without_continues(ctx):
    """Ping does not stream: a call with "more" gets one reply, without
    "continues", and the stream ends there, the connection in step."""
    with Daemon(ctx) as d, d.client() as c:
        assert list(c.stream(f"{SERVICE}.Ping", payload="s")) == \
            [{"payload": "s"}]
        assert c.pending == 0
        assert c.call(f"{SERVICE}.Ping", payload="t") == {"payload": "t"}


# --- the API as attributes, from the descriptions --------------------------

def test_every_described_method_and_error_is_an_attribute(ctx):
    """Nothing is hand-listed: whatever GetInfo lists and the descriptions
    declare (io.berth.Network and io.berth.Volume included, once served)
    is reachable, and nothing else is."""
    with Daemon(ctx) as d, d.client() as c:
        served = c.interfaces()
        ifaces = c.describe()
        assert sorted(ifaces) == sorted(served), (ifaces, served)
        assert {"io.berth.Container", "io.berth.Image"} <= set(served)
        nmethods = nerrors = 0
        for name, iface in ifaces.items():
            short = name.rpartition(".")[2]
            proxy = getattr(c, short)
            assert proxy is c.interface(name), name
            assert proxy.name == name
            for m in iface.methods:
                mp = getattr(proxy, m)
                assert callable(mp) and callable(mp.stream), (name, m)
                assert mp.name == f"{name}.{m}", mp.name
                assert mp.method.inputs == iface.methods[m].inputs
                assert m in dir(proxy)
                nmethods += 1
            for e, edef in iface.errors.items():
                cls = getattr(proxy, e)
                assert issubclass(cls, berth.BerthError), cls
                assert cls is berth.errors[f"{name}.{e}"], (name, e)
                assert cls is getattr(berth.errors,
                                      f"{name}.{e}".replace(".", "_"))
                assert cls.PARAMETERS == edef.parameters, (name, e)
                nerrors += 1
            try:
                getattr(proxy, "NoSuchThing")
            except AttributeError:
                pass
            else:
                raise AssertionError(f"{name}.NoSuchThing exists")
        assert nmethods > 30 and nerrors > 30, (nmethods, nerrors)
        try:
            c.Frobnicator
        except AttributeError as e:
            assert "Frobnicator" in str(e), e
        else:
            raise AssertionError("an undescribed interface exists")


def test_a_new_description_needs_no_change(ctx):
    """An interface the client has never heard of becomes attributes from
    its text alone."""
    text = ("# Widgets.\ninterface io.example.Widget\n\n"
            "# Make one.\nmethod Make(size: int, colour: ?string) -> "
            "(id: string)\n\n# No such widget.\n"
            "error NoWidget (id: string)\n")
    with Daemon(ctx) as d, d.client() as c:
        iface = berth.parse_description(text)
        c.describe()["io.example.Widget"] = iface
        assert c.Widget.Make.method.outputs == {"id": "string"}
        assert "Make one." in c.Widget.Make.__doc__
        try:
            c.Widget.Make(colour="red")          # size is not optional
        except TypeError as e:
            assert "size" in str(e), e
        else:
            raise AssertionError("a missing parameter was sent")
        try:
            c.Widget.Make(size=1, shape="round")
        except TypeError as e:
            assert "shape" in str(e), e
        else:
            raise AssertionError("an unknown parameter was sent")
        # Sent, the daemon does not know it: its own typed error.
        try:
            c.Widget.Make(size=1)
        except c.Service.InterfaceNotFound as e:
            assert e.parameters == {"interface": "io.example.Widget"}, e
        else:
            raise AssertionError("a call to an unknown interface succeeded")
        assert issubclass(c.Widget.NoWidget, berth.BerthError)
        assert c.Widget.NoWidget.NAME == "io.example.Widget.NoWidget"
        assert c.Service.Ping(payload="still") == {"payload": "still"}


def test_not_found_is_the_typed_exception(ctx):
    with Daemon(ctx) as d, d.client() as c:
        try:
            c.Container.Inspect(container="no-such-container")
        except c.Container.NotFound as e:
            assert type(e) is berth.errors["io.berth.Container.NotFound"]
            assert isinstance(e, berth.BerthError)
            assert e.name == "io.berth.Container.NotFound"
            assert e.parameters == {"container": "no-such-container"}, e
            assert "no-such-container" in str(e), str(e)
        else:
            raise AssertionError("inspected a container that is not there")
        # Another error's class does not catch it.
        try:
            try:
                c.Image.Inspect(image="no-such-image:1")
            except c.Container.NotFound:
                raise AssertionError("Image.NotFound caught as "
                                     "Container.NotFound")
        except c.Image.NotFound as e:
            assert e.name == "io.berth.Image.NotFound", e.name


def test_a_container_end_to_end(ctx):
    from test_container_cli import Busybox
    with Busybox(ctx) as b, b.d.client(timeout=60) as c:
        cid = c.Container.Create(name="py", config={
            "image": "busybox",
            "cmd": ["sh", "-c", "echo hello from python; echo oops >&2; "
                    "exit 3"]})["id"]
        assert len(cid) == 64, cid
        assert c.Container.Inspect(container="py")["container"]["Id"] == cid
        c.Container.Start(container=cid)
        assert c.Container.Wait(container=cid)["exit_code"] == 3
        out = {"stdout": b"", "stderr": b""}
        for rec in c.Container.Logs.stream(container=cid):
            if rec.get("data") is not None:
                out[rec["stream"]] += rec["data"]
        assert out == {"stdout": b"hello from python\n",
                       "stderr": b"oops\n"}, out
        c.Container.Remove(container=cid)
        try:
            c.Container.Inspect(container=cid)
        except c.Container.NotFound:
            pass
        else:
            raise AssertionError("the container outlived Remove")
        assert [x for x in c.Container.List(all=True)["containers"]
                if x["id"] == cid] == []
