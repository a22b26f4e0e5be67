#!/bin/sh
# Build a minimal root filesystem from Debian's busybox-static in DIR:
# /bin/busybox and a symlink per applet (sh among them), the users root,
# nobody and tester (1000, also in group extra 1001), empty /proc /sys /dev
# /mnt, /tmp (1777), /root and /home/tester (owned 1000:1000).
#
#	tools/mkrootfs.sh DIR
#
# Idempotent: a second run only fixes what differs, so it is cheap to call
# before every test run.  BUSYBOX=/path overrides /bin/busybox.
set -eu

usage() { echo "usage: tools/mkrootfs.sh DIR" >&2; exit 2; }
die() { echo "mkrootfs: $*" >&2; exit 1; }

[ $# -eq 1 ] || usage
dir=$1
bb=${BUSYBOX:-/bin/busybox}

[ -x "$bb" ] || die "$bb not found (apt-get install busybox-static)"
# A dynamic busybox would need the host's libraries inside the rootfs.
if command -v file >/dev/null 2>&1; then
	case $(file -L "$bb") in
	*"statically linked"*|*"static-pie linked"*) ;;
	*) die "$bb is not statically linked (install busybox-static)" ;;
	esac
fi
applets=$("$bb" --list) || die "$bb --list failed"

mkdir -p "$dir" || die "cannot create $dir"
cd "$dir"
mkdir -p bin etc proc sys dev mnt tmp root home/tester
chmod 0755 . bin etc proc sys dev mnt home
chmod 1777 tmp
chmod 0700 root

# The binary: copied, not linked, so a container writing to its rootfs
# never reaches the host's /bin/busybox.
if ! cmp -s "$bb" bin/busybox 2>/dev/null; then
	cp "$bb" bin/busybox.tmp
	chmod 0755 bin/busybox.tmp
	mv -f bin/busybox.tmp bin/busybox
fi

for a in $applets; do
	case $a in
	busybox|*/*) continue ;;
	esac
	[ -L "bin/$a" ] || ln -sf busybox "bin/$a"
done
[ -L bin/sh ] || ln -sf busybox bin/sh

cat > etc/passwd.tmp <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
tester:x:1000:1000:tester:/home/tester:/bin/sh
EOF
cat > etc/group.tmp <<'EOF'
root:x:0:
tty:x:5:
nogroup:x:65534:
tester:x:1000:
extra:x:1001:tester
EOF
for f in passwd group; do
	if cmp -s "etc/$f.tmp" "etc/$f" 2>/dev/null; then
		rm -f "etc/$f.tmp"
	else
		chmod 0644 "etc/$f.tmp"
		mv -f "etc/$f.tmp" "etc/$f"
	fi
done

chown 1000:1000 home/tester
chmod 0755 home/tester
