#!/bin/sh
# Run the benchmarks against a berthd of BUILD started on temporary roots:
# start it, let bench/ping wait (bounded) until its socket accepts, print
# the table, stop the daemon by its pid.  Extra arguments go to ping
# (-d SECONDS, -n CALLS, -c CONNS, -w WINDOW).  As root it then runs
# bench/spawn.py BUILD: container spawn latency of `true`.
#
#	bench/run.sh BUILD [ping options]
set -eu

[ $# -ge 1 ] || { echo "usage: bench/run.sh BUILD [ping options]" >&2; exit 2; }
BUILD=$1
shift
for f in "$BUILD/berthd" "$BUILD/bench/ping"; do
	[ -x "$f" ] || { echo "bench: $f not built (make all)" >&2; exit 2; }
done

tmp=$(mktemp -d /tmp/berth-bench.XXXXXX)
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || :
		wait "$pid" 2>/dev/null || :
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$tmp/root" "$tmp/run"
"$BUILD/berthd" --socket "$tmp/berth.sock" --root "$tmp/root" \
    --run-root "$tmp/run" --log-level warn 2>"$tmp/berthd.log" &
pid=$!

rc=0
"$BUILD/bench/ping" -W 10 -s "$tmp/berth.sock" -p "$pid" "$@" || rc=$?

if ! kill -0 "$pid" 2>/dev/null; then
	echo "bench: berthd (pid $pid) is gone; its log:" >&2
	tail -n 20 "$tmp/berthd.log" >&2
	rc=1
else
	kill -TERM "$pid"
	if ! wait "$pid"; then
		echo "bench: berthd exited non-zero after SIGTERM; its log:" >&2
		tail -n 20 "$tmp/berthd.log" >&2
		rc=1
	fi
fi
pid=
[ ! -s "$tmp/berthd.log" ] || { echo "bench: berthd said:"; tail -n 10 "$tmp/berthd.log"; }

# Container spawn latency (berth-runtime, runc, the kernel floor): root only.
if [ "$(id -u)" -eq 0 ]; then
	echo
	bench/spawn.py "$BUILD" || rc=1
	echo; bench/image.py "$BUILD" || rc=1	# image load, snapshot prepare
	echo; bench/container.py "$BUILD" || rc=1	# containers through berthd
else
	echo "bench: spawn latency skipped (bench/spawn.py needs root)"
fi
exit $rc
