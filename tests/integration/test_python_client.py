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
