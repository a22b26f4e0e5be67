#!/usr/bin/python3
"""Start a program the way systemd's socket activation does, for tests.

    activate.py [--mode 0666] SOCKET -- PROGRAM [ARGS...]

Creates a listening AF_UNIX stream socket at SOCKET with the given mode,
puts it on fd 3, sets LISTEN_FDS=1, LISTEN_PID (this process's pid: the
program is exec'd in this same process, so the pid is the program's) and
LISTEN_FDNAMES=berthd.socket, and execs PROGRAM.
"""
import argparse
import os
import socket
import sys

LISTEN_FDS_START = 3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="0660", type=lambda s: int(s, 8))
    ap.add_argument("--backlog", default=4096, type=int)
    ap.add_argument("socket")
    ap.add_argument("program", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    program = args.program[1:] if args.program[:1] == ["--"] \
        else args.program
    if not program:
        ap.error("no program to start")

    try:
        os.unlink(args.socket)
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(args.socket)
    os.chmod(args.socket, args.mode)
    sock.listen(args.backlog)

    fd = sock.detach()
    if fd != LISTEN_FDS_START:
        os.dup2(fd, LISTEN_FDS_START, inheritable=True)
        os.close(fd)
    else:
        os.set_inheritable(fd, True)

    env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()),
               LISTEN_FDNAMES="berthd.socket")
    try:
        os.execve(program[0], program, env)
    except OSError as e:
        print(f"activate.py: exec {program[0]}: {e.strerror}",
              file=sys.stderr)
        return 127


if __name__ == "__main__":
    sys.exit(main())
