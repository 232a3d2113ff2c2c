# govulncheck: the Go vulnerability scanner, built from its Go module golang.org/x/vuln.
# It scans Go binaries (-mode binary) against a local copy of the Go vulnerability
# database (-db file:///path), so it works offline; `govulncheck -version` names the
# version from the build information.
GOVULNCHECK_VERSION=1.9.0

install_govulncheck() {
  go_tool govulncheck "$GOVULNCHECK_VERSION" \
    "golang.org/x/vuln/cmd/govulncheck@v$GOVULNCHECK_VERSION"
}
