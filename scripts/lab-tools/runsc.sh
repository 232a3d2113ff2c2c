# runsc: gVisor's OCI runtime (a user-space kernel that runs a container's
# processes and answers their system calls), and containerd-shim-runsc-v1, the
# containerd shim that lets a Kubernetes RuntimeClass use it. Both are built from
# the gvisor.dev/gvisor Go module. The module proxy serves gVisor only as
# pseudo-versions (v0.0.0-<commit time>-<commit>); this one is pinned. Both must
# be static (the go_tool helper builds with CGO_ENABLED=0): runsc re-executes
# itself from inside its empty sandbox chroot, where no dynamic loader exists.
#
# Docker finds runsc through /etc/docker/daemon.json ("runtimes"); containerd
# finds the shim on its PATH. Neither is registered by this script: the labs
# that use them say how (scenarios/container-sandbox-gvisor,
# scenarios/runtimeclass-gvisor).
RUNSC_VERSION=0.0.0-20260905035102-160fafc42237

install_runsc() {
  go_tool runsc "$RUNSC_VERSION" "gvisor.dev/gvisor/runsc@v$RUNSC_VERSION" \
    "-X gvisor.dev/gvisor/runsc/version.version=$RUNSC_VERSION"
  # The shim's package is gvisor.dev/gvisor/shim (a binary named `shim`); containerd
  # looks for containerd-shim-<name>-v1 on PATH, so it is installed under that name.
  local name=containerd-shim-runsc-v1 dir go
  dir="$tools_dir/$name-$RUNSC_VERSION"
  if ! installed "$dir" "$RUNSC_VERSION" "$name"; then
    go="$(go_bin)"
    echo "$name $RUNSC_VERSION -> $dir (Go build, a few minutes)"
    rm -rf "$dir"
    mkdir -p "$dir/build" "$dir/bin"
    GOBIN="$dir/build" CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
      nice -n "$nice_level" "$go" install -p "$jobs" -trimpath -ldflags "-s -w" \
      "gvisor.dev/gvisor/shim@v$RUNSC_VERSION"
    mv "$dir/build/shim" "$dir/bin/$name"
    rmdir "$dir/build"
    echo "$RUNSC_VERSION" > "$dir/.installed"
  else
    echo "$name $RUNSC_VERSION: installed"
  fi
  link "$name" "$dir/bin/$name"
}
