#!/bin/sh
# A throwaway Docker Engine (Debian's docker.io) with berth-runtime
# registered as the runtime "berth", to try berth-runtime under Docker:
#
#	tools/docker-with-berth.sh		an interactive shell
#	tools/docker-with-berth.sh CMD ARG...	run CMD, then tear down
#
# In the shell (or for CMD) DOCKER_HOST points at the throwaway daemon and
# the image busybox:latest exists (tools/mkrootfs.sh's rootfs, imported):
#
#	docker run --runtime berth --rm --network none busybox echo hi
#	docker run --runtime berth -it --network none busybox sh
#
# Nothing touches the host's network or Docker: dockerd and the containerd
# it starts run in a network namespace of their own (berth-docker-PID,
# entered with nsenter --net, not ip netns exec: that one remounts /sys
# and so hides the cgroup hierarchies from dockerd)
# with no bridge, no iptables and no NAT; every root (data, exec, pid
# file, socket, containerd's state and root, the CLI's config) is in one
# temporary directory; containers' cgroups go under /berth-docker-PID.
# Leaving (exit, a signal, a failure) stops everything by pid and removes
# the containers, the mounts under the temporary directory, the cgroups,
# the network namespace and the directory.
#
# BERTH_RUNTIME=/path overrides build/berth-runtime; DOCKERD and DOCKER
# the binaries (default: dockerd in PATH, the docker beside it).
set -eu

die() { echo "docker-with-berth: $*" >&2; exit 1; }

top=$(cd "$(dirname "$0")/.." && pwd)
runtime=${BERTH_RUNTIME:-$top/build/berth-runtime}
[ "$(id -u)" -eq 0 ] || die "needs root (dockerd, network namespaces)"
dockerd=${DOCKERD:-$(command -v dockerd || true)}
[ -n "$dockerd" ] || die "no dockerd (apt-get install docker.io)"
docker=${DOCKER:-$(dirname "$dockerd")/docker}
[ -x "$docker" ] || docker=$(command -v docker || true)
[ -n "$docker" ] || die "no docker client (apt-get install docker.io)"
[ -x "$runtime" ] || die "$runtime not built (make)"
command -v ip >/dev/null || die "no ip (apt-get install iproute2)"
command -v nsenter >/dev/null || die "no nsenter (apt-get install util-linux)"

name=berth-docker-$$
cgparent=berth-docker-$$
dir=$(mktemp -d /tmp/berth-docker.XXXXXX)
dockerd_pid=

# Kill by pid, SIGKILL, every process listed in the files given (cgroup.procs).
kill_listed() {
	for f in "$@"; do
		[ -f "$f" ] || continue
		for p in $(cat "$f"); do
			kill -KILL "$p" 2>/dev/null || true
		done
	done
}

cleanup() {
	set +e
	trap - EXIT INT TERM HUP
	if [ -n "$dockerd_pid" ] && kill -0 "$dockerd_pid" 2>/dev/null; then
		ids=$("$docker" ps -aq 2>/dev/null)
		[ -n "$ids" ] && "$docker" rm -f $ids >/dev/null 2>&1
		kill -TERM "$dockerd_pid"
		i=0
		while kill -0 "$dockerd_pid" 2>/dev/null && [ $i -lt 150 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$dockerd_pid" 2>/dev/null
	fi
	# What dockerd left: containerd and shims in the namespace, container
	# processes in the cgroups.
	for p in $(ip netns pids "$name" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null
	done
	kill_listed $(find /sys/fs/cgroup/*/"$cgparent" -name cgroup.procs \
	    2>/dev/null)
	sleep 0.2
	find /sys/fs/cgroup/*/"$cgparent" -depth -type d -exec rmdir {} + \
	    2>/dev/null
	# Mounts under the directory seen from here, deepest first.
	awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' \
	    /proc/self/mountinfo | sort -r | while read -r m; do
		umount -l "$m"
	done
	ip netns del "$name" 2>/dev/null
	rm -rf --one-file-system "$dir"
	for d in /sys/fs/cgroup/*/"$cgparent"; do
		[ -d "$d" ] && echo "docker-with-berth: left behind: $d" >&2
	done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

echo "docker-with-berth: setting up in $dir" >&2
"$top/tools/mkrootfs.sh" "$dir/rootfs"
ip netns add "$name"
ip -n "$name" link set lo up
echo '{}' >"$dir/daemon.json"
mkdir -p "$dir/config"
export DOCKER_HOST="unix://$dir/docker.sock" DOCKER_CONFIG="$dir/config"
nsenter --net="/run/netns/$name" "$dockerd" \
	--config-file "$dir/daemon.json" \
	--data-root "$dir/data" --exec-root "$dir/exec" \
	--pidfile "$dir/dockerd.pid" -H "$DOCKER_HOST" \
	--containerd-namespace "$name" \
	--containerd-plugins-namespace "$name-plugins" \
	--bridge=none --iptables=false --ip6tables=false --ip-masq=false \
	--storage-driver overlay2 \
	--exec-opt native.cgroupdriver=cgroupfs \
	--cgroup-parent "/$cgparent" \
	--add-runtime "berth=$runtime" \
	>"$dir/dockerd.log" 2>&1 &
dockerd_pid=$!
i=0
until "$docker" version >/dev/null 2>&1; do
	kill -0 "$dockerd_pid" 2>/dev/null ||
	    die "dockerd exited: $(tail -5 "$dir/dockerd.log")"
	[ $i -lt 300 ] || die "dockerd did not answer in 30 s"
	sleep 0.1
	i=$((i + 1))
done
tar -C "$dir/rootfs" -c . | "$docker" import - busybox:latest >/dev/null
echo "docker-with-berth: dockerd $dockerd_pid ready, log $dir/dockerd.log" >&2

if [ $# -gt 0 ]; then
	"$@"
else
	echo "docker-with-berth: try: docker run --runtime berth --rm" \
	    "--network none busybox echo hi; exit to tear down" >&2
	PS1='docker-with-berth# ' "${SHELL:-/bin/sh}" -i
fi
