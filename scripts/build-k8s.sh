#!/usr/bin/env bash
# Build the Kubernetes components of a real cluster from the Go modules pinned
# under tools/k8s (no release server, no image registry: only the Go module
# proxy), as static binaries with the version Kubernetes' own build stamps in.
#
#   scripts/build-k8s.sh [OUT_DIR]
#
# OUT_DIR defaults to ${LABTUI_K8S_CACHE:-$HOME/.cache/labtui/k8s/<version>}/bin.
# A component is rebuilt only when its stamp (a hash of its go.mod, go.sum,
# package, flags and Go toolchain) differs from the one beside the binary, so a
# second run costs nothing. Builds run under `nice` and one package at a time
# (LABTUI_K8S_NICE, LABTUI_K8S_JOBS) so they leave a core to the rest of the
# machine.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
mods="$repo/tools/k8s"
go_bin="${GO:-$(command -v go || true)}"
[ -n "$go_bin" ] || go_bin=/usr/local/go/bin/go
if ! "$go_bin" version >/dev/null 2>&1; then
  echo "go not found: install Go >= 1.26 or set GO=/path/to/go" >&2
  exit 3
fi
nice_level="${LABTUI_K8S_NICE:-15}"
jobs="${LABTUI_K8S_JOBS:-1}"

# Static binaries that can go into minimal images; the toolchain named, never
# one fetched; go.mod/go.sum as committed; no VCS stamp (the binaries must not
# depend on the state of this repository's work tree).
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false"
build_flags="-trimpath"
strip="-s -w"

k8s_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "$mods/go.mod")"
if [ -z "$k8s_version" ]; then
  echo "$mods/go.mod: no k8s.io/kubernetes requirement" >&2
  exit 2
fi
out="${1:-${LABTUI_K8S_CACHE:-$HOME/.cache/labtui/k8s/$k8s_version}/bin}"
mkdir -p "$out/.stamps"

since() { # START: seconds elapsed, one decimal
  awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

module_version() { # DIR MODULE
  (cd "$mods/$1" && "$go_bin" list -m -f '{{.Version}}' "$2")
}

# Kubernetes' hack/lib/version.sh sets these in both version packages; kubeadm
# parses gitVersion and derives the control-plane image tags from it. The build
# date is the release's own date, so that rebuilding gives the same bytes.
minor="${k8s_version#v1.}"
minor="${minor%%.*}"
build_date="$(cd "$mods" && "$go_bin" list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)"
k8s_ldflags=""
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  k8s_ldflags+=" -X '$pkg.gitVersion=$k8s_version' -X '$pkg.gitMajor=1' -X '$pkg.gitMinor=$minor'"
  k8s_ldflags+=" -X '$pkg.buildDate=$build_date'"
done
k8s_ldflags="${k8s_ldflags# }"
crictl_version="$(module_version cri-tools sigs.k8s.io/cri-tools)"

# name | module directory under tools/k8s | main package | -tags | -ldflags
components=(
  "kube-apiserver|.|k8s.io/kubernetes/cmd/kube-apiserver|selinux,notest|$k8s_ldflags"
  "kube-controller-manager|.|k8s.io/kubernetes/cmd/kube-controller-manager|selinux,notest|$k8s_ldflags"
  "kube-scheduler|.|k8s.io/kubernetes/cmd/kube-scheduler|selinux,notest|$k8s_ldflags"
  "kubelet|.|k8s.io/kubernetes/cmd/kubelet|selinux,notest|$k8s_ldflags"
  "kubeadm|.|k8s.io/kubernetes/cmd/kubeadm|selinux,notest|$k8s_ldflags"
  "etcd|etcd|go.etcd.io/etcd/server/v3||"
  "etcdctl|etcdctl|go.etcd.io/etcd/etcdctl/v3||"
  "crictl|cri-tools|sigs.k8s.io/cri-tools/cmd/crictl||-X sigs.k8s.io/cri-tools/pkg/version.Version=$crictl_version"
  "kube-router|kube-router|github.com/cloudnativelabs/kube-router/v2/cmd/kube-router||"
  # kind's enforcer; it needs a kernel with CONFIG_NFT_QUEUE, which these machines
  # lack (docs/real-cluster.md), so it is built only when asked for:
  # LABTUI_K8S_OPTIONAL=kube-network-policies.
  "?kube-network-policies|kube-network-policies|sigs.k8s.io/kube-network-policies/cmd||"
)

go_version="$("$go_bin" env GOVERSION GOOS GOARCH | tr '\n' ' ')"
echo "Kubernetes $k8s_version with $go_version-> $out"
total_start=$EPOCHREALTIME
for entry in "${components[@]}"; do
  IFS='|' read -r name dir pkg tags ldflags <<<"$entry"
  if [[ $name == \?* ]]; then
    name="${name#\?}"
    case " ${LABTUI_K8S_OPTIONAL:-} " in *" $name "*) ;; *) continue ;; esac
  fi
  ldflags="$strip${ldflags:+ $ldflags}"
  stamp="$(
    {
      echo "$go_version $CGO_ENABLED $GOFLAGS $build_flags"
      echo "$pkg|$tags|$ldflags"
      cat "$mods/$dir/go.mod" "$mods/$dir/go.sum"
    } | sha256sum | cut -d' ' -f1
  )"
  start=$EPOCHREALTIME
  if [ -x "$out/$name" ] && [ "$(cat "$out/.stamps/$name" 2>/dev/null)" = "$stamp" ]; then
    printf '%-24s cached  %6ss\n' "$name" "$(since "$start")"
    continue
  fi
  rm -f "$out/.stamps/$name"
  (
    cd "$mods/$dir"
    nice -n "$nice_level" "$go_bin" build -p "$jobs" $build_flags -tags "$tags" \
      -ldflags "$ldflags" -o "$out/.$name.partial" "$pkg"
  )
  mv "$out/.$name.partial" "$out/$name"
  echo "$stamp" >"$out/.stamps/$name"
  printf '%-24s built   %6ss  %s\n' "$name" "$(since "$start")" \
    "$(du -h "$out/$name" | cut -f1)"
done
printf '%-24s         %6ss\n' "total" "$(since "$total_start")"
