"""A small client for berthd's native protocol, for scripts and tests.

The protocol (DESIGN.md, "The protocol"): a frame is a 4-byte big-endian
length and one msgpack map.  A call is {"method": "io.berth.Service.Ping",
"parameters": {...}} with optional "more" (a stream of replies), "oneway"
(no reply) and "upgrade"; a reply is {"parameters": {...}} with
"continues": true on every reply of a stream but the last, or an error
{"error": NAME, "message": TEXT, "errno": N, "parameters": {...}}.  Calls on
one connection are answered in order, so calls may be pipelined.

    import berth

    with berth.Client() as c:                   # $BERTH_HOST or the default
        print(c.call("io.berth.Service.GetInfo"))
        print(c.call("io.berth.Service.Ping", payload="hi"))
        try:
            c.call("io.berth.Service.GetInterfaceDescription",
                   interface="io.example.Nope")
        except berth.error_class("io.berth.Service.InterfaceNotFound") as e:
            print(e.name, e.parameters["interface"])

Every error reply raises a BerthError; its class is created on demand per
error name (berth.errors[NAME] or berth.error_class(NAME)), so an except
clause can name exactly the error it handles.  Client.describe() reads the
daemon's own interface descriptions (io.berth.Service.GetInfo and
GetInterfaceDescription): their methods, types and errors, and gives every
error class the documentation written above it.

The API is also reachable as attributes made from those descriptions, so
an interface the daemon gains is there with no change here:

    with berth.Client() as c:
        cid = c.Container.Create(config={"image": "busybox"})["id"]
        c.Container.Start(container=cid)
        for rec in c.Container.Logs.stream(container=cid):   # "more"
            ...
        try:
            c.Container.Inspect(container="nope")
        except c.Container.NotFound as e:       # berth.errors[...] too
            print(e.name, e.parameters)

c.Container is c.interface("io.berth.Container"); its attributes are the
interface's methods (called with keyword parameters, checked against the
description before anything is sent; .stream() makes a "more" call) and
its errors' classes.  berth.errors.io_berth_Container_NotFound names a
described error's class as well.

Needs only the standard library and msgpack (Debian's python3-msgpack).
"""

import os
import re
import socket
import struct

import msgpack

__all__ = [
    "BerthError", "ConnectionError", "ProtocolError", "Client", "errors",
    "error_class", "Interface", "Method", "ErrorDef", "parse_description",
    "InterfaceProxy", "MethodProxy", "DEFAULT_ADDRESS", "DEFAULT_MAX_FRAME",
]

DEFAULT_ADDRESS = "unix:///run/berth/berth.sock"
# Replies larger than this are refused before anything is allocated for
# them; the daemon's own default limit for calls is 4 MiB.
DEFAULT_MAX_FRAME = 16 << 20
_HEADER = struct.Struct(">I")
_SERVICE = "io.berth.Service"


# --- errors ---------------------------------------------------------------

class BerthError(Exception):
    """An error reply (or a client-side failure with a berth error name).

    name        the error's reverse-domain name, "io.berth.Service.Foo"
    message     the human text
    errno       the system error behind it, or None
    parameters  the error's parameters (a dict)
    """

    def __init__(self, name, message=None, errno=None, parameters=None):
        message = message if message else name
        super().__init__(message)
        # After the base __init__: OSError's resets errno.
        self.name = name
        self.message = message
        self.errno = errno
        self.parameters = dict(parameters or {})

    def __str__(self):
        return self.message

    def __repr__(self):
        return (f"{type(self).__name__}({self.name!r}, {self.message!r}, "
                f"errno={self.errno!r}, parameters={self.parameters!r})")

    @classmethod
    def from_reply(cls, reply):
        """The exception for an error reply, of the class for its name."""
        name = reply.get("error")
        if not isinstance(name, str) or not name:
            raise ProtocolError("reply error name is not a string: "
                                f"{name!r}")
        params = reply.get("parameters")
        errno = reply.get("errno")
        message = reply.get("message")
        return error_class(name)(
            name, message if isinstance(message, str) else None,
            errno if isinstance(errno, int) else None,
            params if isinstance(params, dict) else None)


class ConnectionError(BerthError, ConnectionError):
    """The daemon cannot be reached, or went away mid-conversation.

    Also the builtin ConnectionError (an OSError); .address is the socket
    path, .errno the system error when there is one.
    """

    NAME = "io.berth.Client.ConnectionFailed"

    def __init__(self, message, address=None, errno=None):
        BerthError.__init__(self, self.NAME, message, errno,
                            {"address": address} if address else None)
        self.address = address

    # OSError's own __str__ would show "[Errno N] strerror".
    __str__ = BerthError.__str__


class ProtocolError(BerthError):
    """The daemon's bytes do not make sense as replies (or are too big)."""

    NAME = "io.berth.Client.ProtocolError"

    def __init__(self, message):
        super().__init__(self.NAME, message)


class _ErrorClasses(dict):
    """Error name -> exception class, a subclass of BerthError made on first
    use.  The class's __module__ is the interface and __qualname__ the short
    name, so a traceback reads "io.berth.Service.InvalidParameter: ..."."""

    def __missing__(self, name):
        if not isinstance(name, str) or not name:
            raise KeyError(name)
        iface, _, short = name.rpartition(".")
        attrs = {"__module__": iface or "berth", "__qualname__": short,
                 "__doc__": f"The berth error {name}.", "NAME": name}
        cls = type(short, (BerthError,), attrs)
        self[name] = cls
        return cls


    def __getattr__(self, attr):
        """errors.io_berth_Container_NotFound: a known error's class by
        its name with "_" for "." (only names already known: those the
        descriptions declare once a client described them)."""
        if attr.startswith("__"):
            raise AttributeError(attr)
        for name, cls in list(self.items()):
            if name.replace(".", "_") == attr:
                return cls
        raise AttributeError(f"no known berth error {attr!r}")

    def __dir__(self):
        return [n.replace(".", "_") for n in self] + dir(dict)


errors = _ErrorClasses()
errors[ConnectionError.NAME] = ConnectionError
errors[ProtocolError.NAME] = ProtocolError


def error_class(name):
    """The exception class raised for error replies named name."""
    return errors[name]


# --- interface descriptions -----------------------------------------------

class Method:
    """A method of an interface: inputs and outputs as {name: type text}."""

    def __init__(self, interface, name, inputs, outputs, doc=""):
        self.interface = interface
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.doc = doc

    @property
    def qualified(self):
        return f"{self.interface}.{self.name}"

    def signature(self):
        def fields(d):
            return ", ".join(f"{k}: {v}" for k, v in d.items())
        return f"{self.name}({fields(self.inputs)}) -> ({fields(self.outputs)})"

    def __repr__(self):
        return f"<Method {self.interface}.{self.signature()}>"


class ErrorDef:
    """An error an interface declares: its parameters as {name: type}."""

    def __init__(self, interface, name, parameters, doc=""):
        self.interface = interface
        self.name = name
        self.parameters = parameters
        self.doc = doc

    @property
    def qualified(self):
        return f"{self.interface}.{self.name}"

    def __repr__(self):
        return f"<ErrorDef {self.qualified}>"


class Interface:
    """A parsed description: name, doc, methods, types, errors, text."""

    def __init__(self, name, text, doc=""):
        self.name = name
        self.text = text
        self.doc = doc
        self.methods = {}
        self.types = {}
        self.errors = {}

    def __repr__(self):
        return (f"<Interface {self.name}: {len(self.methods)} methods, "
                f"{len(self.errors)} errors>")


_ITEM = re.compile(r"(interface|type|method|error)\s+([A-Za-z0-9_.]+)\s*(.*)",
                   re.S)


def _split_top(text, sep=","):
    """Split at sep outside brackets and parentheses."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _fields(text):
    """"(a: int, b: ?string)" -> {"a": "int", "b": "?string"}."""
    text = text.strip()
    if not (text.startswith("(") and text.endswith(")")):
        raise ValueError(f"expected a parenthesized field list: {text!r}")
    out = {}
    for field in _split_top(text[1:-1]):
        name, colon, typ = field.partition(":")
        if not colon:
            raise ValueError(f"expected 'name: type': {field!r}")
        out[name.strip()] = " ".join(typ.split())
    return out


def _items(text):
    """Yield (doc, item text) for each declaration; a declaration runs over
    several lines while parentheses are open or a line ends in "->"."""
    doc, cur, depth = [], None, 0
    for raw in text.splitlines():
        line, _, comment = raw.partition("#")
        line = line.strip()
        if cur is None:
            if not line:
                if not raw.strip():
                    doc = []            # a blank line ends a comment block
                elif _:
                    doc.append(comment.strip())
                continue
            cur = line
        else:
            cur += " " + line
        depth = cur.count("(") + cur.count("[") - cur.count(")") - \
            cur.count("]")
        if depth > 0 or cur.endswith("->"):
            continue
        yield "\n".join(doc), cur
        doc, cur = [], None
    if cur is not None:
        raise ValueError(f"unterminated declaration: {cur!r}")


def parse_description(text):
    """Parse an interface description (see protocol/*.varlink) into an
    Interface.  Only the shape is read; types stay as their text."""
    iface = None
    for doc, item in _items(text):
        m = _ITEM.match(item)
        if m is None:
            raise ValueError(f"cannot parse declaration: {item!r}")
        kind, name, rest = m.groups()
        if kind == "interface":
            iface = Interface(name, text, doc)
            continue
        if iface is None:
            raise ValueError(f"{kind} {name} before the interface line")
        if kind == "method":
            args, arrow, result = rest.partition("->")
            if not arrow:
                raise ValueError(f"method {name}: expected '->'")
            iface.methods[name] = Method(iface.name, name, _fields(args),
                                         _fields(result), doc)
        elif kind == "error":
            iface.errors[name] = ErrorDef(iface.name, name,
                                          _fields(rest) if rest else {}, doc)
        else:
            iface.types[name] = rest.strip()
    if iface is None:
        raise ValueError("no interface line")
    return iface


# --- the API as attributes, from the descriptions --------------------------

def _optional(typ):
    return typ.startswith("?")


class MethodProxy:
    """A described method bound to a client: call it with keyword
    parameters (a dict may come first) for its reply's parameters, or
    .stream(...) for a "more" call's replies.  Parameter names are
    checked against the description: an unknown one, or a missing one
    that is not optional, is a TypeError before anything is sent."""

    def __init__(self, client, method):
        self._client = client
        self.method = method
        self.name = method.qualified
        self.__name__ = method.name
        self.__qualname__ = method.qualified
        self.__doc__ = (f"{method.signature()}\n\n{method.doc}"
                        if method.doc else method.signature())

    def _params(self, parameters, kwargs):
        params = dict(parameters or {}, **kwargs)
        unknown = sorted(set(params) - set(self.method.inputs))
        if unknown:
            raise TypeError(f"{self.name}: unknown parameter(s) "
                            f"{', '.join(unknown)}; it takes "
                            f"{self.method.signature()}")
        missing = [k for k, t in self.method.inputs.items()
                   if not _optional(t) and k not in params]
        if missing:
            raise TypeError(f"{self.name}: missing parameter(s) "
                            f"{', '.join(missing)}; it takes "
                            f"{self.method.signature()}")
        return params

    def __call__(self, parameters=None, **kwargs):
        return self._client.call(self.name, self._params(parameters, kwargs))

    def stream(self, parameters=None, **kwargs):
        """A "more" call: an iterator over each reply's parameters."""
        return self._client.stream(self.name,
                                   self._params(parameters, kwargs))

    def oneway(self, parameters=None, **kwargs):
        self._client.oneway(self.name, self._params(parameters, kwargs))

    def __repr__(self):
        return f"<MethodProxy {self.method.interface}." \
            f"{self.method.signature()}>"


class InterfaceProxy:
    """A described interface bound to a client: its methods as
    MethodProxy attributes, its errors as their exception classes
    (subclasses of BerthError from berth.errors)."""

    def __init__(self, client, interface):
        self._client = client
        self.interface = interface
        self.name = interface.name
        self.__doc__ = interface.doc
        self._methods = {}

    def __getattr__(self, attr):
        if attr.startswith("_"):
            raise AttributeError(attr)
        iface = self.__dict__["interface"]
        if attr in iface.methods:
            proxy = self._methods.get(attr)
            if proxy is None:
                proxy = MethodProxy(self._client, iface.methods[attr])
                self._methods[attr] = proxy
            return proxy
        if attr in iface.errors:
            return errors[iface.errors[attr].qualified]
        raise AttributeError(f"{iface.name} describes no method or error "
                             f"{attr!r}")

    def __dir__(self):
        return sorted(set(self.interface.methods) |
                      set(self.interface.errors) |
                      set(object.__dir__(self)))

    def __repr__(self):
        return f"<InterfaceProxy {self.interface!r}>"


# --- the client -----------------------------------------------------------

def _socket_path(address):
    if address.startswith("unix://"):
        path = address[len("unix://"):]
    elif "://" in address:
        raise ValueError(f"unsupported address {address!r}: "
                         "only unix:///path is known")
    else:
        path = address
    if not path:
        raise ValueError(f"address {address!r} names no socket")
    return path


class Client:
    """One connection to berthd.

    address     "unix:///path" or "/path"; default $BERTH_HOST, else
                unix:///run/berth/berth.sock
    timeout     seconds for each socket operation (None: wait forever);
                a timeout raises TimeoutError and closes the connection
    max_frame   the largest reply frame accepted

    Calls are answered in order.  call() and stream() expect no earlier
    reply to be outstanding; send()/recv() and call_many() pipeline.
    After a ConnectionError or ProtocolError the connection is closed.
    """

    def __init__(self, address=None, timeout=None,
                 max_frame=DEFAULT_MAX_FRAME):
        if address is None:
            address = os.environ.get("BERTH_HOST") or DEFAULT_ADDRESS
        self.address = address
        self.path = _socket_path(address)
        self.max_frame = max_frame
        self._rbuf = bytearray()
        self._pending = []          # one "more" flag per call awaiting replies
        self._interfaces = None
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(self.path)
        except OSError as e:
            self._sock.close()
            self._sock = None
            raise ConnectionError(
                f"cannot connect to berthd at {self.path}: "
                f"{e.strerror or e}", self.path, e.errno) from None

    # context manager and lifetime

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_sock", None) is not None:
            self._sock.close()

    def close(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    @property
    def closed(self):
        return self._sock is None

    def fileno(self):
        return self._check_open().fileno()

    @property
    def pending(self):
        """How many calls still await (their last) reply."""
        return len(self._pending)

    # frames

    def _check_open(self):
        if self._sock is None:
            raise ConnectionError(f"connection to berthd at {self.path} "
                                  "is closed", self.path)
        return self._sock

    def _fail(self, exc):
        self.close()
        raise exc

    @staticmethod
    def encode_call(method, parameters=None, *, more=False, oneway=False,
                    upgrade=False):
        """The frame for one call, as bytes."""
        if not isinstance(method, str):
            raise TypeError("method must be a string")
        call = {"method": method, "parameters": parameters or {}}
        if more:
            call["more"] = True
        if oneway:
            call["oneway"] = True
        if upgrade:
            call["upgrade"] = True
        body = msgpack.packb(call, use_bin_type=True)
        return _HEADER.pack(len(body)) + body

    def _sendall(self, data):
        try:
            self._check_open().sendall(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            self._fail(ConnectionError(
                f"berthd at {self.path} closed the connection: {e.strerror}",
                self.path, e.errno))

    def _fill(self, n):
        sock = self._check_open()
        while len(self._rbuf) < n:
            try:
                chunk = sock.recv(max(65536, n - len(self._rbuf)))
            except ConnectionResetError as e:
                self._fail(ConnectionError(
                    f"berthd at {self.path} reset the connection",
                    self.path, e.errno))
            except TimeoutError:
                # Part of a reply may be read: the stream is out of step.
                self.close()
                raise
            if not chunk:
                what = "mid-frame" if self._rbuf else "without a reply"
                self._fail(ConnectionError(
                    f"berthd at {self.path} closed the connection {what}",
                    self.path))
            self._rbuf += chunk

    def recv_frame(self):
        """The next frame from the daemon, decoded (a dict)."""
        self._fill(_HEADER.size)
        (size,) = _HEADER.unpack_from(self._rbuf)
        if size > self.max_frame:
            self._fail(ProtocolError(
                f"reply frame of {size} bytes exceeds the limit of "
                f"{self.max_frame}"))
        self._fill(_HEADER.size + size)
        body = bytes(self._rbuf[_HEADER.size:_HEADER.size + size])
        del self._rbuf[:_HEADER.size + size]
        try:
            reply = msgpack.unpackb(body, raw=False, strict_map_key=False,
                                    unicode_errors="surrogateescape")
        except Exception as e:          # msgpack raises several kinds
            self._fail(ProtocolError(f"reply is not valid msgpack: {e}"))
        if not isinstance(reply, dict):
            self._fail(ProtocolError("reply is not a map"))
        return reply

    # calls

    def send(self, method, parameters=None, *, more=False, oneway=False,
             **kwargs):
        """Send one call without waiting; recv() takes its replies later,
        in the order the calls were sent.  (Parameters named more or
        oneway go in the dict.)"""
        params = dict(parameters or {}, **kwargs)
        self._sendall(self.encode_call(method, params, more=more,
                                       oneway=oneway))
        if not oneway:
            self._pending.append(more)

    def recv_reply(self):
        """The next reply as a whole dict ("parameters", "continues",
        "error", ...), without raising for error replies."""
        if not self._pending:
            raise RuntimeError("recv: no call is awaiting a reply")
        reply = self.recv_frame()
        if not (self._pending[0] and reply.get("continues") is True
                and "error" not in reply):
            self._pending.pop(0)
        return reply

    def recv(self):
        """The parameters of the next reply; raises its BerthError."""
        reply = self.recv_reply()
        if reply.get("error") is not None:
            raise BerthError.from_reply(reply)
        params = reply.get("parameters")
        if params is None:
            return {}
        if not isinstance(params, dict):
            self._fail(ProtocolError("reply parameters are not a map"))
        return params

    def _idle(self, what):
        if self._pending:
            raise RuntimeError(f"{what}: {len(self._pending)} earlier "
                               "call(s) still await replies; recv() first")

    def call(self, method, parameters=None, **kwargs):
        """Call a method and return its reply's parameters (a dict).
        Parameters come as a dict, keywords, or both."""
        self._idle("call")
        self.send(method, dict(parameters or {}, **kwargs))
        reply = self.recv_reply()
        if reply.get("continues") is True:
            self._fail(ProtocolError(f"{method}: a streamed reply to a "
                                     "call without 'more'"))
        if reply.get("error") is not None:
            raise BerthError.from_reply(reply)
        params = reply.get("parameters")
        return params if isinstance(params, dict) else {}

    def stream(self, method, parameters=None, **kwargs):
        """Call with "more": the call is sent now; the iterator returned
        yields each reply's parameters and ends after the last one (the
        reply without "continues").  An error reply raises."""
        self._idle("stream")
        self.send(method, dict(parameters or {}, **kwargs), more=True)
        return self._stream()

    def _stream(self):
        while self._pending:
            yield self.recv()

    def oneway(self, method, parameters=None, **kwargs):
        """Send a call that gets no reply."""
        self.send(method, dict(parameters or {}, **kwargs), oneway=True)

    def call_many(self, calls, return_errors=False):
        """Pipeline: send every (method, parameters) call in one write, then
        read the replies in order.  Returns their parameters; an error reply
        raises, or with return_errors=True takes its place in the list
        (the remaining replies are still read)."""
        self._idle("call_many")
        calls = list(calls)
        frames = b"".join(self.encode_call(m, p) for m, p in calls)
        self._sendall(frames)
        self._pending.extend([False] * len(calls))
        results, first_error = [], None
        for _ in calls:
            try:
                results.append(self.recv())
            except (ConnectionError, ProtocolError):
                raise
            except BerthError as e:
                if not return_errors and first_error is None:
                    first_error = e
                results.append(e)
        if first_error is not None:
            raise first_error
        return results

    # discovery

    def info(self):
        """io.berth.Service.GetInfo: vendor, product, version, url,
        interfaces."""
        return self.call(f"{_SERVICE}.GetInfo")

    def interfaces(self):
        """The names of the interfaces the daemon serves."""
        return list(self.info()["interfaces"])

    def description(self, interface):
        """The description text of one interface."""
        return self.call(f"{_SERVICE}.GetInterfaceDescription",
                         interface=interface)["description"]

    def describe(self, refresh=False):
        """Every interface the daemon serves, parsed: {name: Interface}.
        The error classes of berth.errors get their documentation from
        the descriptions."""
        if self._interfaces is None or refresh:
            names = self.interfaces()
            texts = self.call_many(
                (f"{_SERVICE}.GetInterfaceDescription", {"interface": n})
                for n in names)
            result = {}
            for name, reply in zip(names, texts):
                iface = parse_description(reply["description"])
                result[iface.name] = iface
                for err in iface.errors.values():
                    cls = errors[err.qualified]
                    if err.doc:
                        cls.__doc__ = err.doc
                    cls.PARAMETERS = dict(err.parameters)
            self._interfaces = result
        return self._interfaces

    def methods(self):
        """Every method of every interface: {qualified name: Method}."""
        return {m.qualified: m for iface in self.describe().values()
                for m in iface.methods.values()}

    def interface(self, name):
        """An InterfaceProxy for a described interface, by its full name
        ("io.berth.Container") or its last part ("Container")."""
        ifaces = self.describe()
        if name not in ifaces:
            found = [n for n in ifaces if n.rpartition(".")[2] == name]
            if len(found) != 1:
                raise AttributeError(
                    f"berthd at {self.path} describes no interface "
                    f"{name!r}" + (f" (ambiguous: {found})" if found
                                   else ""))
            name = found[0]
        proxies = self.__dict__.setdefault("_proxies", {})
        if name not in proxies or proxies[name].interface is not \
                ifaces[name]:
            proxies[name] = InterfaceProxy(self, ifaces[name])
        return proxies[name]

    def __getattr__(self, attr):
        # Only capitalized names are interfaces: every other missing
        # attribute is an ordinary AttributeError.
        if not attr[:1].isupper():
            raise AttributeError(attr)
        return self.interface(attr)

    def __dir__(self):
        names = set(object.__dir__(self))
        if self.__dict__.get("_interfaces"):
            names |= {n.rpartition(".")[2] for n in self._interfaces}
        return sorted(names)
