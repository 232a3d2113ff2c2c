#!/usr/bin/env bash
# Build the node-like image of the host labs: Debian 12 (bookworm) with sshd, sudo,
# systemctl and a few services and tools a Kubernetes node does not need.
#
#   scripts/build-node-image.sh [--debootstrap | --docker | --from BASE] [--force] [IMAGE]
#
# IMAGE defaults to labtui/node:local, the name the host labs use.
#   --debootstrap  the root file system from Debian's archive (debootstrap, as root), then
#                  `docker import`: no registry needed. The default where debootstrap is
#                  installed and this runs as root.
#   --docker       `docker build` FROM the public debian:12 image, for machines that pull
#                  from Docker Hub. The default elsewhere. --from BASE: FROM another
#                  Debian 12 image. DOCKER_BUILD_NETWORK=host builds where Docker has no
#                  bridge network.
#   --force        build even when IMAGE already exists from this same recipe.
#
# Both ways run the same provisioning (provision_script below) with the network on:
# packages come from bookworm main, pinned with -t bookworm, while apt's lists also
# hold bookworm-updates and bookworm-security as they are on the day of the build, and
# the updates those lists offer are downloaded into /var/cache/apt/archives. So, with
# no network at lab time, `apt list --upgradable` shows the real pending updates and
# `apt-get upgrade` applies them from the cache.
#
# The image carries the digest of this file (label labtui.node-image.recipe): an image
# built from the same recipe is kept (a cached build product; labs never remove it).
set -euo pipefail

mode=""
base="debian:12"
force=""
image=""
while [ $# -gt 0 ]; do
  case "$1" in
    --debootstrap) mode=debootstrap ;;
    --docker) mode=docker ;;
    --from)
      mode=docker
      base="${2:?--from needs an image}"
      shift
      ;;
    --force) force=1 ;;
    -h | --help)
      sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "unknown option $1 (see --help)" >&2
      exit 2
      ;;
    *) image="$1" ;;
  esac
  shift
done
image="${image:-labtui/node:local}"
if [ -z "$mode" ]; then
  if command -v debootstrap >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    mode=debootstrap
  else
    mode=docker
  fi
fi

# Everything a node of the host labs has beyond Debian's minimal base.
PACKAGES="openssh-server sudo systemd iproute2 procps nano less vsftpd rpcbind tcpdump netcat-traditional"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
RECIPE_LABEL="labtui.node-image.recipe"

self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
recipe="$(sha256sum "$self" | cut -c1-16)"
built="$(docker image inspect -f "{{index .Config.Labels \"$RECIPE_LABEL\"}}" "$image" 2>/dev/null || true)"
if [ -z "$force" ] && [ "$built" = "$recipe" ]; then
  echo "$image is up to date (recipe $recipe); --force rebuilds it"
  exit 0
fi

provision_script() {
  cat <<PROVISION
#!/bin/sh
# Runs as root inside the node's root file system, with the network.
set -eu
export DEBIAN_FRONTEND=noninteractive
rm -f /etc/apt/sources.list.d/debian.sources
cat > /etc/apt/sources.list <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY_MIRROR bookworm-security main
EOF
echo 'Acquire::Languages "none";' > /etc/apt/apt.conf.d/90labtui-no-translations
# As Debian's slim images: no manuals, documentation or message catalogues.
mkdir -p /etc/dpkg/dpkg.cfg.d
cat > /etc/dpkg/dpkg.cfg.d/90labtui-slim <<EOF
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
# No service starts while packages install.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
apt-get update
apt-get install -y --no-install-recommends -t bookworm $PACKAGES
# The pending updates, kept in apt's cache so they install without the network.
apt-get -y --download-only dist-upgrade
echo "pending updates:"
apt list --upgradable 2>/dev/null | tail -n +2
rm -f /usr/sbin/policy-rc.d
find /usr/share/doc -type f ! -name copyright -delete
rm -rf /usr/share/man/* /usr/share/info/* /usr/share/locale/*
rm -f /var/cache/apt/srcpkgcache.bin
# Every container makes its own SSH host keys when it starts (node-init).
rm -f /etc/ssh/ssh_host_*
cat > /usr/local/sbin/node-init <<'INIT'
#!/bin/sh
# PID 1 of a node container. A container cannot run systemd without privileges, so
# this does what boot does on a systemd node, with each service's SysV script: the
# SSH host keys this machine lacks, then every service whose unit is enabled
# (systemctl enable: multi-user.target.wants, or its socket in sockets.target.wants)
# and not masked (systemctl mask). /run/node-init.done says boot is over. Then it
# waits, and ends on SIGTERM.
rm -f /run/node-init.done
# Docker's /etc/hosts lacks the host name under --network none (sudo asks for it).
grep -qw "\$(hostname)" /etc/hosts || echo "127.0.1.1 \$(hostname)" >>/etc/hosts
ssh-keygen -A
started=" "
wants=/etc/systemd/system
for unit in \$wants/multi-user.target.wants/*.service \$wants/sockets.target.wants/*.socket; do
  [ -e "\$unit" ] || continue
  name="\${unit##*/}"
  name="\${name%.*}"
  case "\$started" in *" \$name "*) continue ;; esac
  [ -x "/etc/init.d/\$name" ] || continue
  [ "\$(readlink "/etc/systemd/system/\$name.service")" = /dev/null ] && continue
  "/etc/init.d/\$name" start
  started="\$started\$name "
done
touch /run/node-init.done
trap 'exit 0' TERM INT
while :; do
  sleep 3600 &
  wait \$!
done
INIT
chmod 755 /usr/local/sbin/node-init
PROVISION
}

work="$(mktemp -d)"
root="$work/root"
cleanup() {
  if mountpoint -q "$root/proc" 2>/dev/null; then umount "$root/proc" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
previous="$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)"
changes=(
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  -c 'CMD ["/usr/local/sbin/node-init"]'
  -c "LABEL $RECIPE_LABEL=$recipe"
)

if [ "$mode" = debootstrap ]; then
  if ! command -v debootstrap >/dev/null 2>&1; then
    echo "debootstrap not found: install it (apt-get install debootstrap), or use --docker" >&2
    exit 3
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "--debootstrap needs root (it makes device nodes and runs chroot); or use --docker" >&2
    exit 3
  fi
  echo "debootstrap bookworm (minbase) from $MIRROR"
  debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
    tail -20 "$work/debootstrap.log" >&2
    exit 1
  }
  provision_script >"$root/tmp/provision.sh"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"
  chroot "$root" /bin/sh /tmp/provision.sh
  umount "$root/proc"
  rm -f "$root/tmp/provision.sh"
  : >"$root/etc/resolv.conf"
  echo "importing $image"
  tar --numeric-owner -C "$root" -c . | docker import "${changes[@]}" \
    -m "labtui node image (debootstrap bookworm minbase, recipe $recipe)" - "$image" >/dev/null
else
  provision_script >"$work/provision.sh"
  cat >"$work/Dockerfile" <<DOCKERFILE
FROM $base
COPY provision.sh /tmp/provision.sh
RUN sh /tmp/provision.sh && rm /tmp/provision.sh
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["/usr/local/sbin/node-init"]
LABEL $RECIPE_LABEL=$recipe
DOCKERFILE
  echo "docker build FROM $base"
  docker build ${DOCKER_BUILD_NETWORK:+--network "$DOCKER_BUILD_NETWORK"} -t "$image" "$work"
fi

# The image it replaces would be left untagged: remove it when nothing uses it.
current="$(docker image inspect -f '{{.Id}}' "$image")"
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then
  docker image rm "$previous" >/dev/null 2>&1 || true
fi
size="$(docker image inspect -f '{{.Size}}' "$image")"
echo "built $image ($((size / 1000000)) MB, recipe $recipe)"
