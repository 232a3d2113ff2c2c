#!/usr/bin/env bash
# Bring up a real single-node Kubernetes cluster on this machine, from the
# binaries scripts/build-k8s.sh builds and images made from them offline
# (docs/real-cluster.md says why each step is as it is):
#
#   scripts/cluster-up.sh        # = make cluster; run as root
#
# A second containerd beside Docker's, the kubelet in a mount namespace of its
# own, kubeadm init with tools/k8s/cluster/kubeadm.yaml. Both run under a small
# supervisor (no systemd here) with pid files in /run/labtui-cluster and logs
# in /var/log/labtui-cluster. Everything listens on loopback, this machine's
# own address, or the bridge labtui-cni0; pods get a route to the bridge's
# subnet and this machine only. A second run finds the cluster healthy and does
# nothing. scripts/cluster-down.sh removes all of it.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cluster="$repo/tools/k8s/cluster"
# shellcheck source=tools/k8s/cluster/paths.sh
. "$cluster/paths.sh"

if [ "$(id -u)" != 0 ]; then
  echo "cluster-up: run as root (it starts containerd and the kubelet, and runs kubeadm init)" >&2
  exit 2
fi

total_start=$EPOCHREALTIME
phase_start=$EPOCHREALTIME
phase_name=""
phase() { # NAME: ends the previous phase (printing its time), starts NAME
  if [ -n "$phase_name" ]; then
    printf '  %-12s %6.1f s\n' "$phase_name" "$(awk -v a="$phase_start" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')"
  fi
  phase_name="$1"
  phase_start=$EPOCHREALTIME
  [ -z "$1" ] || echo "== $1"
}
finish() {
  phase ""
  printf '  %-12s %6.1f s\n' total "$(awk -v a="$total_start" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')"
}

pid_alive() { # NAME: the supervisor NAME is running (checked by pid and command line)
  local pid
  pid="$(cat "$CLUSTER_RUN/$1.pid" 2>/dev/null)" || return 1
  [ -n "$pid" ] && grep -qa "supervise.sh" "/proc/$pid/cmdline" 2>/dev/null
}

kubectl_bin() {
  local k
  for k in "$KUBE_BIN/kubectl" "$(command -v kubectl || true)" "$repo/.venv/bin/kubectl"; do
    if [ -n "$k" ] && [ -x "$k" ]; then echo "$k"; return; fi
  done
  echo "cluster-up: no kubectl found (install kubectl or run make run once for the venv's)" >&2
  return 1
}

node_ready() {
  [ -s "$ADMIN_CONF" ] || return 1
  [ "$("$KUBECTL" --kubeconfig "$ADMIN_CONF" --request-timeout=5s get node "$NODE_NAME" \
    -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

print_usage() {
  echo "Cluster $NODE_NAME ($K8S_VERSION) is up. Use it with:"
  echo "  export KUBECONFIG=$USER_KUBECONFIG"
  echo "  kubectl get nodes"
  echo "Remove it with: make cluster-down"
}

# ---- binaries
phase binaries
"$repo/scripts/build-k8s.sh" | sed 's/^/  /'
KUBE_BIN="${LABTUI_K8S_CACHE:-$HOME/.cache/labtui/k8s/$K8S_VERSION}/bin"
image_cache="$(dirname "$KUBE_BIN")/images"
go_bin="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
pause_bin="$KUBE_BIN/pause"
pause_src="$cluster/pause/main.go"
if [ ! -x "$pause_bin" ] || [ "$pause_src" -nt "$pause_bin" ]; then
  echo "  pause (stand-in) from tools/k8s/cluster/pause"
  (cd "$repo/tools/k8s" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" \
    nice -n "${LABTUI_K8S_NICE:-15}" "$go_bin" build -trimpath -ldflags '-s -w' -o "$pause_bin" ./cluster/pause)
fi

# ---- packages
phase packages
declare -A need=([containerd]=containerd [ctr]=containerd [runc]=runc [iptables]=iptables
  [unshare]=util-linux [ip]=iproute2 [ipset]=ipset [/usr/lib/cni/bridge]=containernetworking-plugins
  [/usr/lib/cni/host-local]=containernetworking-plugins [/usr/lib/cni/loopback]=containernetworking-plugins)
missing=()
for cmd in "${!need[@]}"; do
  if [[ $cmd == /* ]]; then [ -x "$cmd" ] && continue; else command -v "$cmd" >/dev/null && continue; fi
  missing+=("${need[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "  installing from Debian: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
else
  echo "  containerd, runc, iptables, CNI plugins: already installed"
fi
KUBECTL="$(kubectl_bin)"

node_tools() { # the node's tools on PATH and crictl's runtime, as a kubeadm node has them
  local t
  for t in "${NODE_TOOLS[@]}"; do
    if [ ! -e "$NODE_TOOL_DIR/$t" ] && [ ! -L "$NODE_TOOL_DIR/$t" ]; then
      ln -s "$KUBE_BIN/$t" "$NODE_TOOL_DIR/$t"
    fi
  done
  if [ ! -e "$CRICTL_CONF" ]; then
    printf '%s\nruntime-endpoint: unix://%s\nimage-endpoint: unix://%s\ntimeout: 10\n' \
      "$CRICTL_MARK" "$CTRD_SOCK" "$CTRD_SOCK" >"$CRICTL_CONF"
  fi
}

# ---- already up?
phase check
if pid_alive containerd && pid_alive kubelet && pid_alive kube-router && node_ready; then
  echo "  cluster is healthy: node $NODE_NAME Ready, containerd and kubelet supervised; nothing to do"
  node_tools
  install -D -m 0600 "$ADMIN_CONF" "$USER_KUBECONFIG"
  [ -z "${SUDO_USER:-}" ] || chown "$SUDO_USER" "$USER_KUBECONFIG"
  finish
  print_usage
  exit 0
fi
leftover=0
for d in "${CLUSTER_DIRS[@]}"; do if [ -e "$d" ]; then leftover=1; fi; done
if [ "$leftover" = 1 ] || ip link show "$CNI_BRIDGE" >/dev/null 2>&1; then
  echo "  a cluster is here but not healthy: removing it first"
  "$repo/scripts/cluster-down.sh" | sed 's/^/  /'
fi

node_ip="$(ip -4 route get 1.1.1.1 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "src") { print $(i + 1); exit } }')"
if [ -z "$node_ip" ]; then
  node_ip="$(ip -4 -o addr show scope global | awk '{ sub("/.*", "", $4); print $4; exit }')"
fi
if [ -z "$node_ip" ]; then
  echo "cluster-up: this machine has no global IPv4 address for the node" >&2
  exit 3
fi
echo "  node address: $node_ip (this machine's own)"
mkdir -p "$CLUSTER_RUN/cni/net.d" "$CLUSTER_RUN/sysctl" "$CLUSTER_LOG" "$CTRD_STATE"
sed "s/@NODE_IP@/$node_ip/g" "$cluster/kubeadm.yaml" >"$CLUSTER_RUN/kubeadm.yaml"
sed "s/@NODE_IP@/$node_ip/g" "$cluster/cni.conflist" >"$CLUSTER_RUN/cni/net.d/10-$CNI_NETWORK.conflist"
# What the kubelet's protectKernelDefaults expects to read; seen only inside its mount namespace.
echo 10 >"$CLUSTER_RUN/sysctl/panic"
echo 1 >"$CLUSTER_RUN/sysctl/panic_on_oops"
echo 1 >"$CLUSTER_RUN/sysctl/overcommit_memory"

start_supervised() { # NAME COMMAND...
  local name="$1"
  shift
  setsid "$cluster/supervise.sh" "$name" "$CLUSTER_LOG/$name.log" -- "$@" </dev/null >/dev/null 2>&1 &
  echo $! >"$CLUSTER_RUN/$name.pid"
}

# ---- containerd
phase containerd
start_supervised containerd "$(command -v containerd)" --config "$cluster/containerd.toml"
ctr_() { ctr --address "$CTRD_SOCK" --namespace k8s.io "$@"; }
for _ in $(seq 100); do ctr_ version >/dev/null 2>&1 && break; sleep 0.2; done
ctr_ version >/dev/null || { echo "cluster-up: containerd did not start; see $CLUSTER_LOG/containerd.log" >&2; exit 4; }
echo "  containerd on $CTRD_SOCK (pid $(cat "$CLUSTER_RUN/containerd.child.pid"))"

# ---- images
phase images
# oci_image NAME:TAG ENTRYPOINT-JSON FILE...: an OCI archive of one layer holding
# FILE... in /usr/local/bin (or / for pause), cached beside the binaries while
# they are unchanged, imported into containerd's k8s.io namespace.
oci_image() {
  local ref="$1" entry="$2" dest="$3"
  shift 3
  local key="${ref//[\/:]/_}" tar="$image_cache/${ref//[\/:]/_}.tar" f stale=0
  for f in "$@"; do if [ "$f" -nt "$tar" ]; then stale=1; fi; done
  if [ ! -s "$tar" ] || [ "$stale" = 1 ]; then
    local work
    work="$(mktemp -d)"
    mkdir -p "$work/root/$dest" "$work/root/tmp" "$work/root/etc" "$work/oci/blobs/sha256" "$image_cache"
    chmod 1777 "$work/root/tmp"
    cp "$@" "$work/root/$dest/"
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work/root" -cf "$work/layer.tar" .
    local layer lsize config csize manifest msize
    layer="$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
    lsize="$(stat -c %s "$work/layer.tar")"
    mv "$work/layer.tar" "$work/oci/blobs/sha256/$layer"
    printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/bin:/usr/bin:/bin"],"Entrypoint":%s},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
      "$entry" "$layer" >"$work/config.json"
    config="$(sha256sum "$work/config.json" | cut -d' ' -f1)"
    csize="$(stat -c %s "$work/config.json")"
    mv "$work/config.json" "$work/oci/blobs/sha256/$config"
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
      "$config" "$csize" "$layer" "$lsize" >"$work/manifest.json"
    manifest="$(sha256sum "$work/manifest.json" | cut -d' ' -f1)"
    msize="$(stat -c %s "$work/manifest.json")"
    mv "$work/manifest.json" "$work/oci/blobs/sha256/$manifest"
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
      "$manifest" "$msize" "$ref" "${ref##*:}" >"$work/oci/index.json"
    echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work/oci" -cf "$tar.tmp" .
    mv "$tar.tmp" "$tar"
    rm -rf "$work"
    echo "  $ref: made ($key.tar)"
  fi
  ctr_ images import "$tar" >/dev/null
  echo "  $ref: imported"
}
oci_image "registry.k8s.io/kube-apiserver:$K8S_VERSION" '["kube-apiserver"]' usr/local/bin "$KUBE_BIN/kube-apiserver"
oci_image "registry.k8s.io/kube-controller-manager:$K8S_VERSION" '["kube-controller-manager"]' usr/local/bin "$KUBE_BIN/kube-controller-manager"
oci_image "registry.k8s.io/kube-scheduler:$K8S_VERSION" '["kube-scheduler"]' usr/local/bin "$KUBE_BIN/kube-scheduler"
oci_image "registry.k8s.io/etcd:3.5.24-0" '["etcd"]' usr/local/bin "$KUBE_BIN/etcd" "$KUBE_BIN/etcdctl"
oci_image "registry.k8s.io/pause:3.10" '["/pause"]' . "$pause_bin"
if [ -n "${LABTUI_BASE_IMAGE:-labtui/base:local}" ] && docker image inspect "${LABTUI_BASE_IMAGE:-labtui/base:local}" >/dev/null 2>&1; then
  docker save "${LABTUI_BASE_IMAGE:-labtui/base:local}" | ctr_ images import - >/dev/null
  echo "  ${LABTUI_BASE_IMAGE:-labtui/base:local}: imported from Docker (the lab image)"
fi

# ---- kubelet and kubeadm init
phase init
# /var/lib/kubelet shared, so that the kubelet's volume mounts (made in its own
# mount namespace) reach runc, started by containerd on the host.
mkdir -p /var/lib/kubelet
mountpoint -q /var/lib/kubelet || mount --bind /var/lib/kubelet /var/lib/kubelet
mount --make-shared /var/lib/kubelet
# The kubelet waits for kubeadm's flags and configuration, then starts.
start_supervised kubelet "$cluster/run-kubelet.sh" "$KUBE_BIN/kubelet"
export PATH="$KUBE_BIN:$PATH"
# No preflight check is ignored. Warnings expected here: no ethtool, cgroup v1,
# the node name does not resolve, no kubelet systemd unit (the kubelet is
# started above instead; kubeadm's `systemctl` call fails and is only a warning).
if ! kubeadm init --config "$CLUSTER_RUN/kubeadm.yaml" >"$CLUSTER_LOG/kubeadm-init.log" 2>&1; then
  sed 's/^/  /' "$CLUSTER_LOG/kubeadm-init.log" | tail -40 >&2
  echo "cluster-up: kubeadm init failed; full output in $CLUSTER_LOG/kubeadm-init.log; remove with make cluster-down" >&2
  exit 5
fi
grep -E '\[(WARNING|kubelet-check|api-check)' "$CLUSTER_LOG/kubeadm-init.log" | sed 's/^/  /' || true

# ---- node Ready
phase ready
for _ in $(seq 240); do node_ready && break; sleep 0.5; done
if ! node_ready; then
  "$KUBECTL" --kubeconfig "$ADMIN_CONF" get nodes >&2 || true
  echo "cluster-up: node $NODE_NAME not Ready after 120 s; see $CLUSTER_LOG/kubelet.log" >&2
  exit 6
fi
# Ready for a lab: the default ServiceAccount exists (no pod is admitted
# before), and the control plane's static pods are Running as mirror pods.
control_plane_up() {
  "$KUBECTL" --kubeconfig "$ADMIN_CONF" -n default get serviceaccount default >/dev/null 2>&1 || return 1
  local c
  for c in etcd kube-apiserver kube-controller-manager kube-scheduler; do
    [ "$("$KUBECTL" --kubeconfig "$ADMIN_CONF" -n kube-system get pod "$c-$NODE_NAME" \
      -o 'jsonpath={.status.phase}' 2>/dev/null)" = Running ] || return 1
  done
}
for _ in $(seq 240); do control_plane_up && break; sleep 0.5; done
if ! control_plane_up; then
  "$KUBECTL" --kubeconfig "$ADMIN_CONF" get pods -A >&2 || true
  echo "cluster-up: control plane pods not Running after 120 s; see $CLUSTER_LOG/kubelet.log" >&2
  exit 6
fi
node_tools

# ---- NetworkPolicy enforcer
phase enforcer
# kube-router's network policy controller alone (no routing, no service proxy):
# iptables rules and ipsets for every NetworkPolicy, on the pods' bridge traffic
# (bridge-nf-call-iptables). Its health and metrics ports stay closed.
start_supervised kube-router "$KUBE_BIN/kube-router" --kubeconfig="$ADMIN_CONF" \
  --run-firewall=true --run-router=false --run-service-proxy=false \
  --hostname-override="$NODE_NAME" --health-port=0 --metrics-port=0
for _ in $(seq 60); do
  iptables -S KUBE-ROUTER-FORWARD >/dev/null 2>&1 && break
  sleep 0.5
done
if ! iptables -S KUBE-ROUTER-FORWARD >/dev/null 2>&1; then
  tail -20 "$CLUSTER_LOG/kube-router.log" >&2
  echo "cluster-up: kube-router did not program its chains; see $CLUSTER_LOG/kube-router.log" >&2
  exit 7
fi
echo "  kube-router enforcing NetworkPolicies (pid $(cat "$CLUSTER_RUN/kube-router.child.pid" 2>/dev/null))"
"$KUBECTL" --kubeconfig "$ADMIN_CONF" get nodes -o wide | sed 's/^/  /'
"$KUBECTL" --kubeconfig "$ADMIN_CONF" get pods -n kube-system | sed 's/^/  /'
install -D -m 0600 "$ADMIN_CONF" "$USER_KUBECONFIG"
[ -z "${SUDO_USER:-}" ] || chown "$SUDO_USER" "$USER_KUBECONFIG" "$(dirname "$USER_KUBECONFIG")"
finish
print_usage
