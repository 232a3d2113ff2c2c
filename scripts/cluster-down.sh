#!/usr/bin/env bash
# Remove the cluster scripts/cluster-up.sh made, and nothing else:
#
#   scripts/cluster-down.sh      # = make cluster-down; run as root
#
# The kubelet and the second containerd are stopped by the pid files of their
# supervisors (Docker's containerd and anyone else's processes are never
# looked up by name); then kubeadm reset, the pods' containers and shims, the
# mounts under the cluster's directories, the bridge labtui-cni0, the kubelet's
# QoS cgroups, and the directories of tools/k8s/cluster/paths.sh. Running it
# with nothing to remove does nothing and exits 0.
set -uo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cluster="$repo/tools/k8s/cluster"
# shellcheck source=tools/k8s/cluster/paths.sh
. "$cluster/paths.sh"

if [ "$(id -u)" != 0 ]; then
  echo "cluster-down: run as root" >&2
  exit 2
fi
KUBE_BIN="${LABTUI_K8S_CACHE:-$HOME/.cache/labtui/k8s/$K8S_VERSION}/bin"
start=$EPOCHREALTIME
failed=0

cluster_mounts() { # mount points under the cluster's directories, deepest first
  local prefix target
  awk '{ print $5 }' /proc/self/mountinfo | while read -r target; do
    target="$(printf '%b' "$target")"
    for prefix in "${CLUSTER_MOUNT_PREFIXES[@]}"; do
      case "$target" in "$prefix" | "$prefix"/*) echo "$target" ;; esac
    done
  done | sort -ru
}

cgroup_dirs() { # the kubelet's QoS and pod cgroups (cgroupfs driver), deepest first
  find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d -name kubepods -print0 2>/dev/null |
    xargs -0 -r -I{} find {} -depth -type d
}

anything=0
for d in "${CLUSTER_DIRS[@]}" "$USER_KUBECONFIG"; do if [ -e "$d" ]; then anything=1; fi; done
if [ -f "$CRICTL_CONF" ] && head -n 1 "$CRICTL_CONF" | grep -qxF "$CRICTL_MARK"; then anything=1; fi
if ip link show "$CNI_BRIDGE" >/dev/null 2>&1; then anything=1; fi
if iptables -S KUBE-ROUTER-FORWARD >/dev/null 2>&1; then anything=1; fi
if [ -n "$(cluster_mounts)" ] || [ -n "$(cgroup_dirs)" ]; then anything=1; fi
if [ "$anything" = 0 ]; then
  echo "No cluster here: nothing to remove."
  exit 0
fi

stop_supervised() { # NAME: TERM its process group (the loop and its child), KILL after 10 s
  local name="$1" pid
  pid="$(cat "$CLUSTER_RUN/$name.pid" 2>/dev/null)" || return 0
  if [ -n "$pid" ] && grep -qa "supervise.sh" "/proc/$pid/cmdline" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null
    for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null
    echo "stopped $name (supervisor pid $pid)"
  fi
  # The child itself, in case the supervisor died before it.
  pid="$(cat "$CLUSTER_RUN/$name.child.pid" 2>/dev/null)" || return 0
  if [ -n "$pid" ] && [ -d "/proc/$pid" ] && grep -qa "$2" "/proc/$pid/cmdline" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null
  fi
  return 0
}

ctrd_running() { ctr --address "$CTRD_SOCK" version >/dev/null 2>&1; }

# 1. The kubelet first, so that it restarts nothing while the rest goes.
stop_supervised kube-router kube-router
# kube-router's iptables rules, chains and ipsets (its own --cleanup-config panics
# in v2.1.0): the jumps it added to the built-in chains, marked by their comment,
# then its chains, then its sets.
remove_kube_router_rules() {
  local table rule chains c removed=0
  for table in filter nat mangle raw; do
    iptables -t "$table" -S 2>/dev/null | grep -E '^-A (INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) .*--comment "?kube-router' |
      sed 's/^-A /-D /' | while read -r rule; do eval "iptables -t $table $rule"; done
    chains="$(iptables -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^KUBE-(ROUTER|NWPLCY|POD-FW)-/ { print $2 }')"
    for c in $chains; do iptables -t "$table" -F "$c"; removed=1; done
    for c in $chains; do iptables -t "$table" -X "$c"; done
  done
  for c in $(ipset list -n 2>/dev/null | grep -E '^(KUBE-|kube-router)'); do
    ipset destroy "$c" 2>/dev/null && removed=1
  done
  if [ "$removed" = 1 ]; then echo "removed kube-router's iptables chains and ipsets"; fi
}
remove_kube_router_rules
stop_supervised kubelet kubelet

# 2. kubeadm reset (needs the cluster's containerd to remove the pods).
if [ -x "$KUBE_BIN/kubeadm" ] && { [ -d /etc/kubernetes ] || [ -d /var/lib/etcd ]; }; then
  if PATH="$KUBE_BIN:$PATH" kubeadm reset -f --cri-socket "unix://$CTRD_SOCK" >"/tmp/labtui-cluster-reset.$$.log" 2>&1; then
    echo "kubeadm reset: done"
  else
    echo "kubeadm reset failed (going on):" >&2
    tail -5 "/tmp/labtui-cluster-reset.$$.log" >&2
  fi
  rm -f "/tmp/labtui-cluster-reset.$$.log"
fi
if ctrd_running && [ -x "$KUBE_BIN/crictl" ]; then
  "$KUBE_BIN/crictl" --runtime-endpoint "unix://$CTRD_SOCK" rmp -af >/dev/null 2>&1
fi

# 3. The second containerd, then any container or shim it left (by its own
# runc root and shim pid files, both under its state directory).
stop_supervised containerd containerd
if [ -d "$CTRD_STATE/runc/k8s.io" ]; then
  for id in $(runc --root "$CTRD_STATE/runc/k8s.io" list -q 2>/dev/null); do
    runc --root "$CTRD_STATE/runc/k8s.io" kill -a "$id" KILL 2>/dev/null
    runc --root "$CTRD_STATE/runc/k8s.io" delete -f "$id" 2>/dev/null
  done
fi
for task in "$CTRD_STATE"/state/io.containerd.runtime.v2.task/*/*; do
  [ -d "$task" ] || continue
  pid="$(cat "$task/shim.pid" 2>/dev/null)"
  if [ -n "$pid" ] && grep -qa "$CTRD_SOCK" "/proc/$pid/cmdline" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null && echo "killed leftover shim $pid"
  fi
  # A killed shim leaves its socket where containerd 1.6 puts every shim's:
  # /run/containerd/s/sha256(<containerd address>/<namespace>/<id>).
  ns="$(basename "$(dirname "$task")")"
  rm -f "/run/containerd/s/$(printf '%s' "$CTRD_SOCK/$ns/$(basename "$task")" | sha256sum | cut -c1-64)"
done

# 4. Mounts: kubelet volumes, sandbox shm, root filesystems, pod netns, and the
# shared bind mount of /var/lib/kubelet itself.
for _ in 1 2 3; do
  mapfile -t mounts < <(cluster_mounts)
  [ ${#mounts[@]} -gt 0 ] || break
  for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
done
if [ -n "$(cluster_mounts)" ]; then
  echo "still mounted:" >&2
  cluster_mounts >&2
  failed=1
fi

# 5. The pods' bridge.
if ip link show "$CNI_BRIDGE" >/dev/null 2>&1; then
  ip link delete "$CNI_BRIDGE" && echo "deleted bridge $CNI_BRIDGE"
fi

# 6. The kubelet's cgroups (empty once the pods' processes are gone).
if [ -n "$(cgroup_dirs)" ]; then
  for _ in $(seq 25); do
    cgroup_dirs | while read -r d; do rmdir "$d" 2>/dev/null; done
    [ -n "$(cgroup_dirs)" ] || break
    sleep 0.2
  done
  if [ -n "$(cgroup_dirs)" ]; then
    echo "cgroups still in use:" >&2
    cgroup_dirs >&2
    failed=1
  else
    echo "removed kubepods cgroups"
  fi
fi

# 7. Files: kubeadm's, the kubelet's, containerd's, the cluster's runs and logs,
# the kubelet's log links and the CNI result cache of the cluster's network.
for d in "${CLUSTER_DIRS[@]}"; do
  if [ -e "$d" ]; then rm -rf --one-file-system "$d" && echo "removed $d"; fi
done
find /var/log/containers -maxdepth 1 -type l -lname '/var/log/labtui-cluster/*' -delete 2>/dev/null
rm -f /var/lib/cni/results/"$CNI_NETWORK"-* 2>/dev/null
for d in /var/log/containers /var/lib/cni/results /var/lib/cni; do rmdir "$d" 2>/dev/null; done
rm -f "$USER_KUBECONFIG"
for t in "${NODE_TOOLS[@]}"; do
  case "$(readlink "$NODE_TOOL_DIR/$t" 2>/dev/null)" in
    "$KUBE_BIN/$t") rm -f "$NODE_TOOL_DIR/$t" && echo "removed link $NODE_TOOL_DIR/$t" ;;
  esac
done
if [ -f "$CRICTL_CONF" ] && head -n 1 "$CRICTL_CONF" | grep -qxF "$CRICTL_MARK"; then
  rm -f "$CRICTL_CONF" && echo "removed $CRICTL_CONF"
fi

printf 'cluster removed in %.1f s\n' "$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')"
exit "$failed"
