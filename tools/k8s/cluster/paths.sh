# shellcheck shell=bash disable=SC2034  # sourced: the variables are used by the scripts that source it
# Where the single-node cluster of scripts/cluster-up.sh lives; sourced by
# cluster-up.sh, cluster-down.sh and the lifecycle test so that all three agree
# on what belongs to the cluster. Everything here is removed by cluster-down.sh.
CLUSTER_RUN=/run/labtui-cluster                 # pid files, rendered configs, sysctl stand-ins
CLUSTER_LOG=/var/log/labtui-cluster             # containerd, kubelet and pod logs
CTRD_ROOT=/var/lib/labtui-containerd            # the second containerd's images and snapshots
CTRD_STATE=/run/labtui-containerd               # its socket, state, runc root and pod netns
CTRD_SOCK=$CTRD_STATE/containerd.sock
CNI_BRIDGE=labtui-cni0
CNI_NETWORK=labtui-pods
NODE_NAME=labtui-node
K8S_VERSION=v1.32.13
KUBEADM_CONF_DIR=/etc/kubernetes
ADMIN_CONF=$KUBEADM_CONF_DIR/admin.conf
# Directories kubeadm and the kubelet fill; removed whole by cluster-down.sh.
CLUSTER_DIRS=(/etc/kubernetes /var/lib/etcd /var/lib/kubelet "$CTRD_ROOT" "$CTRD_STATE" "$CLUSTER_RUN" "$CLUSTER_LOG")
# As on a kubeadm node, some tools are on PATH and crictl knows the runtime: links in
# /usr/local/bin to the built binaries and /etc/crictl.yaml, each made only where
# nothing was, marked as the cluster's, and removed with it.
NODE_TOOL_DIR=/usr/local/bin
NODE_TOOLS=(crictl kubeadm kubelet etcdctl)
CRICTL_CONF=/etc/crictl.yaml
CRICTL_MARK="# labtui-cluster: removed by scripts/cluster-down.sh"
# Mount points under these belong to the cluster (kubelet volumes, sandbox shm,
# container root filesystems, pod network namespaces).
CLUSTER_MOUNT_PREFIXES=(/var/lib/kubelet "$CTRD_ROOT" "$CTRD_STATE" "$CLUSTER_RUN")
# The admin kubeconfig, readable by whoever ran `make cluster` (root's or sudo's user).
cluster_user_home() {
  if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
    getent passwd "$SUDO_USER" | cut -d: -f6
  else
    echo "$HOME"
  fi
}
USER_KUBECONFIG="$(cluster_user_home)/.kube/labtui-cluster.conf"
