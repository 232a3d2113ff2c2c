#!/usr/bin/env bash
# Build the offline lab image from Debian's busybox-static, for machines that
# cannot pull from a registry. Usage: scripts/build-base-image.sh [IMAGE]
set -euo pipefail
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
mkdir -p "$root"/{bin,sbin,etc,tmp,proc,sys,dev,root,home/app,var/run,run}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
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
previous="$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)"
tar -C "$root" -c . | docker import \
  -c 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'CMD ["/bin/sh"]' \
  -m "labtui offline base image (busybox-static)" - "$image" >/dev/null
# The image it replaces would be left untagged: remove it when nothing uses it.
current="$(docker image inspect -f '{{.Id}}' "$image")"
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then
  docker image rm "$previous" >/dev/null 2>&1 || true
fi
echo "built $image"
