#!/usr/bin/env bash
# Build the offline lab image from Debian's busybox-static, for machines that
# cannot pull from a registry.
#
#   scripts/build-base-image.sh [IMAGE]                  labtui's image: adds user app (1000)
#   scripts/build-base-image.sh --like-official [IMAGE]  users and groups as in the official
#                                                        busybox image, nothing added
#
# Labs must pass on both: the second stands in for the public default image
# (busybox:1.36), which CI cannot pull.
set -euo pipefail
like_official=""
if [ "${1:-}" = "--like-official" ]; then
  like_official=1
  shift
fi
image="${1:-${LABTUI_BASE_IMAGE:-labtui/base:local}}"
busybox="$(command -v busybox || true)"
if [ -z "$busybox" ] || ! "$busybox" --list >/dev/null 2>&1; then
  echo "busybox not found: install it (apt-get install busybox-static)" >&2
  exit 3
fi
if ! file -L "$busybox" 2>/dev/null | grep -q "statically linked" && ldd "$busybox" >/dev/null 2>&1; then
  echo "$busybox is dynamically linked: install busybox-static" >&2
  exit 3
fi
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,etc,tmp,proc,sys,dev,root,home,var/run,run}
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
cp "$busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
if [ -n "$like_official" ]; then
  # The official image's users and groups (buildroot's skeleton): no UID 1000.
  cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
PASSWD
  cat > "$root/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
GROUP
else
  mkdir -p "$root/home/app"
  cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
  cat > "$root/etc/group" <<'GROUP'
root:x:0:
app:x:1000:
nogroup:x:65534:
GROUP
  chown -R 1000:1000 "$root/home/app"
fi
previous="$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)"
tar -C "$root" -c . | docker import \
  -c 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'CMD ["/bin/sh"]' \
  -m "labtui offline base image (busybox-static${like_official:+, users as in the official image})" - "$image" >/dev/null
# The image it replaces would be left untagged: remove it when nothing uses it.
current="$(docker image inspect -f '{{.Id}}' "$image")"
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then
  docker image rm "$previous" >/dev/null 2>&1 || true
fi
echo "built $image"
