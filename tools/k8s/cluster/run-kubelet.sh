#!/usr/bin/env bash
# run-kubelet.sh KUBELET: start the kubelet the way kubeadm's systemd drop-in
# would, once kubeadm has written its flags and configuration, in a mount
# namespace of its own where the three /proc/sys files that
# protectKernelDefaults checks show the values it expects. The host's kernel
# settings stay as they are; /var/lib/kubelet is a shared mount, so volumes the
# kubelet mounts reach containerd and runc on the host.
set -eu
kubelet="$1"
run=/run/labtui-cluster
while [ ! -s /var/lib/kubelet/kubeadm-flags.env ] || [ ! -s /var/lib/kubelet/config.yaml ]; do
  sleep 0.5
done
# shellcheck disable=SC1091
. /var/lib/kubelet/kubeadm-flags.env
# shellcheck disable=SC2016,SC2086  # expanded by the inner sh; kubeadm's flags are words
exec unshare -m --propagation unchanged sh -c '
  set -e
  mount --make-rprivate /proc
  mount --bind "$0/sysctl/panic" /proc/sys/kernel/panic
  mount --bind "$0/sysctl/panic_on_oops" /proc/sys/kernel/panic_on_oops
  mount --bind "$0/sysctl/overcommit_memory" /proc/sys/vm/overcommit_memory
  exec "$@"' "$run" "$kubelet" \
  --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf \
  --kubeconfig=/etc/kubernetes/kubelet.conf \
  --config=/var/lib/kubelet/config.yaml \
  $KUBELET_KUBEADM_ARGS
