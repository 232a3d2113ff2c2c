#!/usr/bin/env bash
# The cluster's whole life on this machine: make cluster, a second run that
# does nothing, a lab pod from the offline image, make cluster-down, a second
# down that does nothing, and then nothing of the cluster left: no process,
# mount, network interface, cgroup, firewall rule or file that was not there
# before, and nothing that was there before gone.
#
#   scripts/test-cluster-lifecycle.sh     # = make cluster-test; run as root
#
# Last line: "N passed, N failed"; exits non-zero if any check failed.
set -uo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=tools/k8s/cluster/paths.sh
. "$repo/tools/k8s/cluster/paths.sh"
image="${LABTUI_BASE_IMAGE:-labtui/base:local}"
snap="$(mktemp -d /tmp/labtui-cluster-test.XXXXXX)"
trap 'rm -rf "$snap"' EXIT
passed=0 failed=0

ok() { passed=$((passed + 1)); echo "ok    $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; [ $# -lt 2 ] || printf '%s\n' "$2" | sed 's/^/      /' | head -30; }
check() { # NAME COMMAND...: passes when COMMAND succeeds
  local name="$1" out
  shift
  if out="$("$@" 2>&1)"; then ok "$name"; else fail "$name" "$out"; fi
}
same() { # NAME BEFORE-FILE AFTER-FILE: passes when no line was added or lost
  local added lost
  added="$(comm -13 "$2" "$3")"
  lost="$(comm -23 "$2" "$3")"
  if [ -z "$added$lost" ]; then ok "$1"; else
    # shellcheck disable=SC2001
    fail "$1" "$( [ -z "$added" ] || sed 's/^/+ /' <<<"$added"; [ -z "$lost" ] || sed 's/^/- /' <<<"$lost")"
  fi
}

# Other work on this machine (Docker labs, builds) comes and goes meanwhile:
# Docker's own directories, mounts and cgroups, and package manager state are
# left out of the snapshots, and so are mounts under /tmp (other Docker engines'
# data) and the per-process memory cgroups under process_api. /run/containerd/s holds the sockets of every
# containerd 1.6 shim, Docker's too: the cluster's own are checked by name.
snapshot() { # DIR
  mkdir -p "$1"
  find /etc /var/lib /var/log /var/cache /run /opt /usr/libexec /usr/local /root/.kube \
    -xdev -maxdepth 5 \
    \( -path /var/lib/docker -o -path /run/docker -o -path /var/run/docker -o -path /var/lib/apt \
       -o -path /var/lib/dpkg -o -path /var/cache -o -path /var/log/apt -o -path /root/.kube/cache \
       -o -path /run/user -o -path /var/lib/containerd -o -path /run/containerd/s \) -prune -o -print 2>/dev/null | sort >"$1/files"
  find /sys/fs/cgroup -maxdepth 4 -type d 2>/dev/null | grep -v -e '/docker\(/\|$\)' -e '/process_api/' | sort >"$1/cgroups"
  awk '{ print $5 }' /proc/self/mountinfo | grep -v -e '^/var/lib/docker/' -e '^/run/docker/' -e '^/tmp/' | sort >"$1/mounts"
  ip -o link show | awk -F': ' '{ sub("@.*", "", $2); print $2 }' | grep -v -e '^br-' -e '^docker' | sort >"$1/links"
  ip -o addr show | awk '{ print $2, $4 }' | sort >"$1/addrs"
  ip route show table all | sort >"$1/routes"
  { iptables-save 2>/dev/null; ip6tables-save 2>/dev/null; } | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//' | sort >"$1/firewall"
  { command -v nft >/dev/null && nft list ruleset 2>/dev/null; } | sort >"$1/nft"
  { command -v ipset >/dev/null && ipset list -n 2>/dev/null; } | sort >"$1/ipsets"
  for f in kernel/panic kernel/panic_on_oops vm/overcommit_memory vm/panic_on_oom net/ipv4/ip_forward; do
    echo "$f=$(cat /proc/sys/$f)"
  done >"$1/sysctls"
  # Processes of the cluster: its binaries, its containerd, shims, pods.
  local p
  for p in /proc/[0-9]*; do
    local cmd
    cmd="$(tr '\0' ' ' 2>/dev/null <"$p/cmdline")" || continue
    if grep -q kubepods "$p/cgroup" 2>/dev/null ||
      grep -qE 'labtui-containerd|labtui-cluster|/k8s/v1\.32\.13/bin/|kube-|kubelet|etcd|/pause' <<<"$cmd"; then
      echo "${p#/proc/} $cmd"
    fi
  done | awk -v self="$$" '$1 != self && !/test-cluster-lifecycle/' | sort >"$1/procs"
}

export KUBECONFIG="$ADMIN_CONF" PATH="$repo/.venv/bin:$PATH"
kubectl=$(command -v kubectl)
docker_ctrd="$(pgrep -xf 'containerd --config /var/run/docker/containerd/containerd.toml.*' | head -1)"

if [ -d "$CLUSTER_RUN" ] || [ -d /etc/kubernetes ]; then
  echo "A cluster is already here; removing it before the snapshot."
  "$repo/scripts/cluster-down.sh" >/dev/null || true
fi
snapshot "$snap/before"

echo "== cluster-up"
t0=$EPOCHREALTIME
"$repo/scripts/cluster-up.sh" >"$snap/up1" 2>&1
rc=$?
up1="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"
sed 's/^/  /' "$snap/up1" | grep -E '^\s+(binaries|packages|check|containerd|images|init|ready|enforcer|total) +[0-9.]+ s$'
if [ "$rc" = 0 ]; then ok "cluster-up exits 0 (${up1} s)"; else fail "cluster-up exits 0 (rc $rc)" "$(tail -20 "$snap/up1")"; fi

t0=$EPOCHREALTIME
"$repo/scripts/cluster-up.sh" >"$snap/up2" 2>&1
rc=$?
up2="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"
if [ "$rc" = 0 ] && grep -q 'nothing to do' "$snap/up2" && ! grep -q '^== containerd' "$snap/up2"; then
  ok "second cluster-up finds it healthy and does nothing (${up2} s)"
else
  fail "second cluster-up finds it healthy and does nothing (rc $rc)" "$(cat "$snap/up2")"
fi

check "node $NODE_NAME Ready" \
  bash -c "[ \"\$($kubectl get node $NODE_NAME -o 'jsonpath={.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]"
check "admin kubeconfig copy at $USER_KUBECONFIG works" \
  "$kubectl" --kubeconfig "$USER_KUBECONFIG" get --raw /version
check "control plane pods Running" bash -c \
  "for c in etcd kube-apiserver kube-controller-manager kube-scheduler; do
     [ \"\$($kubectl -n kube-system get pod \$c-$NODE_NAME -o jsonpath={.status.phase})\" = Running ] || { echo \$c not Running; exit 1; }
   done"

# A lab pod from the offline image, on the bridge.
cat >"$snap/pod.yaml" <<POD
apiVersion: v1
kind: Pod
metadata: {name: lifecycle-probe, namespace: default}
spec:
  containers:
  - name: probe
    image: $image
    imagePullPolicy: Never
    command: [sleep, "3600"]
POD
"$kubectl" apply -f "$snap/pod.yaml" >/dev/null
check "pod from $image Running" "$kubectl" wait --for=condition=Ready pod/lifecycle-probe --timeout=90s
node_ip="$(awk '/advertiseAddress/ { gsub("\"", "", $2); print $2 }' "$CLUSTER_RUN/kubeadm.yaml")"
check "pod reaches the API server at this machine's address ($node_ip:6443)" bash -c \
  "timeout 30 $kubectl exec lifecycle-probe -- wget -qO- --no-check-certificate https://$node_ip:6443/version | grep '\"gitVersion\": \"v1.32.13\"'"
gateway="$(ip -4 route show default | awk '{ print $3; exit }')"
check "pod has no route to another host (default gateway $gateway)" \
  bash -c "! $kubectl exec lifecycle-probe -- ip route get ${gateway:-192.0.2.1}"
check "cluster listens only on loopback and $node_ip" bash -c \
  "! ss -ltnpH | grep -E 'kube-|kubelet|etcd|\"containerd\",pid=$(cat "$CLUSTER_RUN/containerd.child.pid")' | awk '{ print \$4 }' | grep -vE '^(127\.0\.0\.1|\[::1\]|$node_ip):'"
check "kube-router enforces NetworkPolicies (its chains are in place)" iptables -S KUBE-ROUTER-FORWARD
# The supervisor restarts the kubelet when it exits.
old_kubelet="$(cat "$CLUSTER_RUN/kubelet.child.pid")"
kill -KILL "$old_kubelet"
check "kubelet restarted by its supervisor after it was killed" bash -c "
  for _ in \$(seq 60); do
    new=\$(cat $CLUSTER_RUN/kubelet.child.pid)
    [ \"\$new\" != $old_kubelet ] && curl -sf http://127.0.0.1:10248/healthz >/dev/null && exit 0
    sleep 0.5
  done
  exit 1"
snapshot "$snap/up"
# The sockets of the cluster's shims (their names cannot be chosen).
for p in /proc/[0-9]*; do
  if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q "^/usr/bin/containerd-shim.* -address $CTRD_SOCK"; then
    ss -xlpH 2>/dev/null | grep "pid=${p#/proc/}," | awk '{ print $5 }'
  fi
done | sort -u >"$snap/up/shim-sockets"
check "cluster's shims found ($(wc -l <"$snap/up/shim-sockets") sockets)" test -s "$snap/up/shim-sockets"
same "host kernel settings unchanged while up" "$snap/before/sysctls" "$snap/up/sysctls"
check "Docker's containerd untouched while up" bash -c "[ -n '$docker_ctrd' ] && [ -d /proc/$docker_ctrd ]"

echo "== cluster-down"
t0=$EPOCHREALTIME
"$repo/scripts/cluster-down.sh" >"$snap/down1" 2>&1
rc=$?
down1="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"
if [ "$rc" = 0 ]; then ok "cluster-down exits 0 (${down1} s)"; else fail "cluster-down exits 0 (rc $rc)" "$(cat "$snap/down1")"; fi
"$repo/scripts/cluster-down.sh" >"$snap/down2" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q 'nothing to remove' "$snap/down2"; then
  ok "second cluster-down has nothing to remove"
else
  fail "second cluster-down has nothing to remove (rc $rc)" "$(cat "$snap/down2")"
fi

snapshot "$snap/after"
same "no cluster process left" "$snap/before/procs" "$snap/after/procs"
same "mounts as before" "$snap/before/mounts" "$snap/after/mounts"
same "network interfaces as before" "$snap/before/links" "$snap/after/links"
same "addresses as before" "$snap/before/addrs" "$snap/after/addrs"
same "routes as before" "$snap/before/routes" "$snap/after/routes"
same "iptables rules as before" "$snap/before/firewall" "$snap/after/firewall"
same "nftables rules as before" "$snap/before/nft" "$snap/after/nft"
same "ipsets as before" "$snap/before/ipsets" "$snap/after/ipsets"
check "no socket of the cluster's shims left" bash -c "! ls -d \$(cat '$snap/up/shim-sockets') 2>/dev/null"
same "cgroups as before" "$snap/before/cgroups" "$snap/after/cgroups"
same "files as before" "$snap/before/files" "$snap/after/files"
same "kernel settings as before" "$snap/before/sysctls" "$snap/after/sysctls"
check "Docker's containerd still running (pid $docker_ctrd)" bash -c "[ -n '$docker_ctrd' ] && [ -d /proc/$docker_ctrd ]"

echo "figures: cluster-up ${up1} s, second cluster-up ${up2} s, cluster-down ${down1} s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
