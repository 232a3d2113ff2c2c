# kube-bench: runs the CIS Kubernetes Benchmark's checks on a node, built from its
# Go module. 0.15.6 maps Kubernetes 1.32 to cis-1.12 (CIS Kubernetes Benchmark
# v1.12.0, for 1.32 to 1.34). Its benchmark definitions (cfg/: config.yaml and one
# directory per benchmark version) come from the same module and are copied next
# to the binary, as in upstream's release archive; labs pass that directory with
# --config-dir. The version is stamped in as upstream's release build does, so
# `kube-bench version` names it.
#
# Not `go install …@v0.15.6` (go_tool): that also asks the module proxy for the
# module's version list (for deprecation notices), which the proxy refuses for
# this module (403) while it serves the version itself. So the module is
# downloaded and built from its own directory with its own go.mod and go.sum,
# which is what `go install` builds too.
KUBE_BENCH_VERSION=0.15.6

install_kube_bench() {
  local module="github.com/aquasecurity/kube-bench@v$KUBE_BENCH_VERSION"
  local dir="$tools_dir/kube-bench-$KUBE_BENCH_VERSION" go src
  if installed "$dir" "$KUBE_BENCH_VERSION" kube-bench && [ -f "$dir/cfg/config.yaml" ]; then
    echo "kube-bench $KUBE_BENCH_VERSION: installed"
  else
    go="$(go_bin)"
    echo "kube-bench $KUBE_BENCH_VERSION -> $dir (Go build, a few minutes)"
    src="$(GOTOOLCHAIN=local "$go" mod download -json "$module" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
    [ -f "$src/cfg/config.yaml" ] || { echo "no cfg/ in $module (${src:-not downloaded})" >&2; return 1; }
    rm -rf "$dir"
    mkdir -p "$dir/bin"
    (cd "$src" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -mod=readonly" \
      nice -n "$nice_level" "$go" build -p "$jobs" -trimpath \
      -ldflags "-s -w -X github.com/aquasecurity/kube-bench/cmd.KubeBenchVersion=$KUBE_BENCH_VERSION" \
      -o "$dir/bin/kube-bench" .)
    # The module cache's files are read-only: the copy is made writable for its owner.
    cp -R "$src/cfg" "$dir/cfg"
    chmod -R u+w,go-w "$dir/cfg"
    echo "$KUBE_BENCH_VERSION" > "$dir/.installed"
  fi
  link kube-bench "$dir/bin/kube-bench"
  "$dir/bin/kube-bench" version | grep -q "$KUBE_BENCH_VERSION"
}
