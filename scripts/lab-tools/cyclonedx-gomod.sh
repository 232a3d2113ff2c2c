# cyclonedx-gomod: writes CycloneDX SBOMs of Go modules and binaries
# (`cyclonedx-gomod bin -json BINARY` reads a binary's build information, offline),
# built from its Go module. `cyclonedx-gomod version` names the version.
CYCLONEDX_GOMOD_VERSION=1.10.0

install_cyclonedx_gomod() {
  go_tool cyclonedx-gomod "$CYCLONEDX_GOMOD_VERSION" \
    "github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@v$CYCLONEDX_GOMOD_VERSION"
}
