"""io.berth.Service against a real berthd: discovery, Ping, status, the
errors every call can get, oneway calls and pipelining."""
import os

import berth
from harness import Daemon, MAX_FRAME_DEFAULT, TOP, call_frame, frame, \
    version

SERVICE = "io.berth.Service"
INVALID_PARAMETER = "io.berth.Service.InvalidParameter"
INVALID_CALL = "io.berth.Service.InvalidCall"


def test_get_info_names_berthd_and_its_interfaces(ctx):
    with Daemon(ctx) as d, d.client() as c:
        info = c.call(f"{SERVICE}.GetInfo")
        assert info["product"] == "berthd", info
        assert info["version"] == version(), info
        for key in ("vendor", "url"):
            assert isinstance(info[key], str), info
        assert isinstance(info["interfaces"], list), info
        assert SERVICE in info["interfaces"], info


def test_descriptions_are_the_interface_files(ctx):
    """Every interface GetInfo lists has a description that parses and
    names itself; io.berth.Service's is protocol/io.berth.Service.varlink
    byte for byte."""
    with Daemon(ctx) as d, d.client() as c:
        names = c.interfaces()
        for name in names:
            text = c.description(name)
            assert berth.parse_description(text).name == name
        with open(os.path.join(TOP, "protocol", f"{SERVICE}.varlink")) as f:
            assert c.description(SERVICE) == f.read()
        methods = c.describe()[SERVICE].methods
        assert {"GetInfo", "GetInterfaceDescription", "Ping",
                "GetStatus"} <= set(methods), methods


def test_unknown_interface_description_is_interface_not_found(ctx):
    with Daemon(ctx) as d, d.client() as c:
        try:
            c.call(f"{SERVICE}.GetInterfaceDescription",
                   interface="io.example.Missing")
        except berth.error_class(f"{SERVICE}.InterfaceNotFound") as e:
            assert e.parameters == {"interface": "io.example.Missing"}, e
        else:
            raise AssertionError("no InterfaceNotFound")


def test_ping_echoes_its_payload(ctx):
    with Daemon(ctx) as d, d.client() as c:
        for payload in ("x", "", "h\u00e9llo \u2603", "p" * (1 << 20)):
            assert c.call(f"{SERVICE}.Ping", payload=payload) == \
                {"payload": payload}
        # No payload: none comes back (absent or nil).
        assert c.call(f"{SERVICE}.Ping").get("payload") is None


def test_get_status_describes_this_daemon(ctx):
    with Daemon(ctx) as d, d.client() as c:
        with d.client() as other:
            other.call(f"{SERVICE}.Ping")
            st = c.call(f"{SERVICE}.GetStatus")
        assert st["pid"] == d.pid, st
        assert st["socket"] == d.socket, st
        assert st["root"] == d.root, st
        assert st["run_root"] == d.run_root, st
        assert st["connections"] >= 2, st
        assert isinstance(st["uptime_seconds"], int) and \
            st["uptime_seconds"] >= 0, st
        assert st["max_frame"] == MAX_FRAME_DEFAULT, st


def test_unknown_method_is_method_not_found(ctx):
    with Daemon(ctx) as d, d.raw() as r:
        r.call(f"{SERVICE}.NoSuchMethod")
        r.expect_error(f"{SERVICE}.MethodNotFound",
                       method=f"{SERVICE}.NoSuchMethod")
        r.ping("still served")


def test_unknown_interface_is_interface_not_found(ctx):
    with Daemon(ctx) as d, d.raw() as r:
        r.call("io.example.Nothing.Ping")
        r.expect_error(f"{SERVICE}.InterfaceNotFound",
                       interface="io.example.Nothing")
        r.ping("still served")


def test_invalid_parameters_name_the_parameter(ctx):
    cases = [
        ("GetInterfaceDescription", {}, "interface"),          # missing
        ("GetInterfaceDescription", {"interface": None}, "interface"),
        ("GetInterfaceDescription", {"interface": ["x"]}, "interface"),
        ("GetInterfaceDescription", {"interface": 7}, "interface"),
        ("Ping", {"bogus": 1}, "bogus"),                         # unknown
        ("Ping", {"payload": 5}, "payload"),                     # type
        ("Ping", {"payload": {"a": "b"}}, "payload"),
        ("GetInfo", {"extra": True}, "extra"),
        ("GetStatus", {"pid": 1}, "pid"),
    ]
    with Daemon(ctx) as d, d.raw() as r:
        for method, params, bad in cases:
            r.call(f"{SERVICE}.{method}", params)
            try:
                r.expect_error(INVALID_PARAMETER, parameter=bad)
            except AssertionError as e:
                raise AssertionError(f"{method}({params!r}): {e}") from None
        r.ping("still served")
    # The same through the Python client: the class made for the name.
    with Daemon(ctx) as d, d.client() as c:
        try:
            c.call(f"{SERVICE}.Ping", payload=5)
        except berth.error_class(INVALID_PARAMETER) as e:
            assert e.name == INVALID_PARAMETER
            assert e.parameters["parameter"] == "payload", e
            assert isinstance(e, berth.BerthError)
        else:
            raise AssertionError("Ping(payload=5) succeeded")


def test_invalid_calls_get_invalid_call_and_the_connection_lives(ctx):
    cases = [
        frame({"parameters": {}}),                               # no method
        frame({"method": 5, "parameters": {}}),
        frame({"method": None}),
        frame({"method": "", "parameters": {}}),
        frame({"method": f"{SERVICE}.Ping", "parameters": [1]}),
        frame({"method": f"{SERVICE}.Ping", "parameters": "x"}),
        frame({"method": f"{SERVICE}.Ping", "parameters": {},
               "bogus": True}),
        frame({"method": f"{SERVICE}.Ping", "more": "yes"}),
    ]
    with Daemon(ctx) as d, d.raw() as r:
        for i, data in enumerate(cases):
            r.send(data)
            reply = r.expect_error(INVALID_CALL)
            assert "reason" in reply.get("parameters", {}), reply
            r.ping(f"after case {i}")


def test_oneway_calls_get_no_reply(ctx):
    with Daemon(ctx) as d, d.raw() as r:
        r.call(f"{SERVICE}.Ping", {"payload": "one"}, oneway=True)
        r.call(f"{SERVICE}.Ping", {"payload": "two"})
        reply = r.reply()
        assert reply.get("parameters") == {"payload": "two"}, reply
        # Through the Python client too.
        with d.client() as c:
            c.oneway(f"{SERVICE}.Ping", payload="three")
            assert c.call(f"{SERVICE}.Ping", payload="four") == \
                {"payload": "four"}


def test_pipelined_calls_are_answered_in_order(ctx):
    n = 1000
    with Daemon(ctx) as d:
        with d.raw() as r:
            r.send(b"".join(call_frame(f"{SERVICE}.Ping",
                                       {"payload": f"call {i}"})
                            for i in range(n)))
            for i in range(n):
                reply = r.reply()
                assert reply.get("parameters") == {"payload": f"call {i}"}, \
                    f"reply {i}: {reply!r}"
        # Errors keep their place in the pipeline.
        with d.client() as c:
            calls = [(f"{SERVICE}.Ping", {"payload": str(i)}) if i % 3
                     else (f"{SERVICE}.Nope{i}", {}) for i in range(300)]
            replies = c.call_many(calls, return_errors=True)
            for i, reply in enumerate(replies):
                if i % 3:
                    assert reply == {"payload": str(i)}, (i, reply)
                else:
                    assert isinstance(reply, berth.error_class(
                        f"{SERVICE}.MethodNotFound")), (i, reply)
                    assert reply.parameters["method"] == \
                        f"{SERVICE}.Nope{i}", reply
