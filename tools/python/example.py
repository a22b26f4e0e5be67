#!/usr/bin/python3
"""A tour of berth.py: who answers, a ping, the API as the daemon describes
it (and as attributes made from that), and an error caught by its class.

    BERTH_HOST=unix:///run/berth/berth.sock /usr/bin/python3 example.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import berth  # noqa: E402


def main():
    try:
        client = berth.Client()
    except berth.ConnectionError as e:
        print(f"example: {e}", file=sys.stderr)
        return 1
    with client:
        info = client.info()
        print(f"{info['product']} {info['version']} by {info['vendor']}"
              + (f" ({info['url']})" if info.get("url") else ""))

        # Every described method is an attribute; call() takes any name.
        reply = client.Service.Ping(payload="hello")
        print(f"ping: {reply['payload']!r}")
        running = client.Container.List(all=False)["containers"]
        print(f"{len(running)} container(s) running")

        for name, iface in client.describe().items():
            print(f"interface {name}: {len(iface.methods)} methods, "
                  f"{len(iface.errors)} errors")
            for method in iface.methods.values():
                print(f"  {method.signature()}")

        # The described errors are classes of the interface's too.
        NotFound = client.Service.InterfaceNotFound
        try:
            client.Service.GetInterfaceDescription(
                interface="io.example.Missing")
        except NotFound as e:
            print(f"caught {e.name}: {e.message} "
                  f"(interface={e.parameters.get('interface')!r})")
            if NotFound.__doc__:
                print(f"  which means: {NotFound.__doc__.splitlines()[0]}")
        else:
            print("example: expected InterfaceNotFound", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
