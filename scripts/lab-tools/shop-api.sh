# shop-api: the sample service of the image-scan-and-sbom lab, built here from its
# source (scenarios/image-scan-and-sbom/src) twice, with modules from the Go
# module proxy checked against the go.sum files next to it:
#   shop-api-1.0  against golang.org/x/text v0.3.6 (go.mod): known-vulnerable;
#   shop-api-1.1  against golang.org/x/text v0.41.0 (go.fixed.mod): fixed.
# The install is stamped with a hash of the source, so a change to it rebuilds both.
SHOP_API_SOURCE="$here/../scenarios/image-scan-and-sbom/src"

install_shop_api() {
  local src="$SHOP_API_SOURCE" stamp dir go release modfile
  stamp="$(cd "$src" && cat main.go go.mod go.sum go.fixed.mod go.fixed.sum | sha256sum | cut -c1-12)"
  dir="$tools_dir/shop-api-$stamp"
  if ! installed "$dir" "$stamp" shop-api-1.0 || [ ! -x "$dir/bin/shop-api-1.1" ]; then
    go="$(go_bin)"
    echo "shop-api 1.0 and 1.1 ($stamp) -> $dir (Go build)"
    rm -rf "$dir"
    mkdir -p "$dir/bin"
    for release in 1.0 1.1; do
      modfile=go.mod
      [ "$release" = 1.0 ] || modfile=go.fixed.mod
      (cd "$src" && CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off GOFLAGS="-buildvcs=false -mod=readonly" \
        nice -n "$nice_level" "$go" build -p "$jobs" -modfile "$modfile" -trimpath \
        -ldflags "-X main.version=$release" -o "$dir/bin/shop-api-$release" .)
    done
    echo "$stamp" > "$dir/.installed"
  else
    echo "shop-api 1.0 and 1.1 ($stamp): installed"
  fi
  link shop-api-1.0 "$dir/bin/shop-api-1.0"
  link shop-api-1.1 "$dir/bin/shop-api-1.1"
}
