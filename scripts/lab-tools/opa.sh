# opa: Open Policy Agent, the Rego policy engine (`opa eval`, `opa test`), built from
# its Go module. Its version is in the module's source, so `opa version` names it.
OPA_VERSION=1.22.4

install_opa() {
  go_tool opa "$OPA_VERSION" "github.com/open-policy-agent/opa@v$OPA_VERSION"
  "$tools_dir/bin/opa" version | grep -q "^Version: $OPA_VERSION$"
}
