#!/usr/bin/python3
"""A tour of berth.py: who answers, a ping, the API as the daemon describes
it, and an error caught by its name.

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

        reply = client.call("io.berth.Service.Ping", payload="hello")
        print(f"ping: {reply['payload']!r}")

        for name, iface in client.describe().items():
            print(f"interface {name}: {len(iface.methods)} methods, "
                  f"{len(iface.errors)} errors")
            for method in iface.methods.values():
                print(f"  {method.signature()}")

        NotFound = berth.error_class("io.berth.Service.InterfaceNotFound")
        try:
            client.call("io.berth.Service.GetInterfaceDescription",
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
