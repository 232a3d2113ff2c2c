# runsc: gVisor's OCI runtime (a user-space kernel that runs a container's
# processes and answers their system calls), and containerd-shim-runsc-v1, the
# containerd shim that lets a Kubernetes RuntimeClass use it. Both are built from
# the gvisor.dev/gvisor Go module. The module proxy serves gVisor only as
# pseudo-versions (v0.0.0-<commit time>-<commit>); this one is pinned. Both must
# be static (the go_tool helper builds with CGO_ENABLED=0): runsc re-executes
# itself from inside its empty sandbox chroot, where no dynamic loader exists.
#
# Docker finds runsc through /etc/docker/daemon.json ("runtimes"); containerd
# finds the shim on its PATH. This script registers neither unless asked
# (LABTUI_RUNSC_DOCKER=1, below); the labs that use them say how
# (scenarios/container-sandbox-gvisor, scenarios/runtimeclass-gvisor).
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
  if [ "${LABTUI_RUNSC_DOCKER:-}" = 1 ]; then
    register_runsc_docker
  fi
}

# Opt-in, for CI or a learner who wants it done: with LABTUI_RUNSC_DOCKER=1 the install
# also registers runsc with this machine's Docker engine. It adds "runsc" to "runtimes"
# in /etc/docker/daemon.json (DOCKER_DAEMON_JSON), keeping the rest of the file and
# changing nothing when a runsc entry exists, then makes dockerd reload it (SIGHUP: no
# restart, running containers are not touched). Needs root. Undo: remove the entry,
# keeping "runtimes": {} (dockerd's reload skips a file that is gone or lacks the key),
# and send SIGHUP again.
register_runsc_docker() {
  local conf="${DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}" pid
  "$python_bin" - "$conf" "$bin/runsc" <<'PY'
import json
import os
import sys

conf, runsc = sys.argv[1], sys.argv[2]
try:
    with open(conf) as f:
        data = json.load(f)
except FileNotFoundError:
    data = {}
runtimes = data.setdefault("runtimes", {})
if "runsc" in runtimes:
    print(f"{conf}: runtime runsc already registered ({runtimes['runsc'].get('path')})")
    sys.exit(0)
runtimes["runsc"] = {"path": runsc}
os.makedirs(os.path.dirname(conf), exist_ok=True)
with open(conf + ".labtui-new", "w") as f:
    json.dump(data, f, indent=2)
    f.write("\n")
os.replace(conf + ".labtui-new", conf)
print(f"{conf}: runtime runsc -> {runsc}")
PY
  if pid="$(pidof dockerd)"; then
    kill -HUP $pid
    echo "dockerd ($pid) reloads its configuration"
  fi
}
