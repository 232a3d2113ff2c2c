# kube-score: the Kubernetes manifest analyser, built from its Go module. The
# version is stamped in as its release build does, so `kube-score version` names it.
KUBE_SCORE_VERSION=1.20.0

install_kube_score() {
  go_tool kube-score "$KUBE_SCORE_VERSION" \
    "github.com/zegl/kube-score/cmd/kube-score@v$KUBE_SCORE_VERSION" \
    "-X main.version=$KUBE_SCORE_VERSION"
}
