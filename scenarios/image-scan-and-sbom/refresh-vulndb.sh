#!/usr/bin/env bash
# Rebuild vulndb/, the lab's offline vulnerability database: every record of the
# Go vulnerability database that affects the modules below, taken from the Go
# module golang.org/x/vulndb (data/osv/GO-*.json, the real OSV records) and indexed
# by that module's own indexer (cmd/indexdb) into the layout govulncheck reads with
# -db file:///path (index/db.json, index/modules.json, index/vulns.json, ID/*.json).
#
#   scenarios/image-scan-and-sbom/refresh-vulndb.sh [VULNDB_VERSION]
#
# Needs Go and the Go module proxy; the lab itself never runs it (it ships the
# result). Writes vulndb/PROVENANCE.md with the module version, its checksum and
# the sha256 of each record as the module holds it.
set -euo pipefail

version="${1:-v0.0.0-20261105234957-e22db6528018}"
modules=(golang.org/x/text)
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/vulndb"
go="${GO:-go}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
info="$("$go" mod download -json "golang.org/x/vulndb@$version")"
field() { printf '%s\n' "$info" | sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}$/\1/p"; }
dir="$(field Dir)"
sum="$(field Sum)"
[ -d "$dir/data/osv" ] || { echo "no data/osv in $dir" >&2; exit 1; }

mkdir -p "$work/osv"
for module in "${modules[@]}"; do
  grep -l "\"name\": \"$module\"" "$dir"/data/osv/GO-*.json | while read -r record; do
    cp "$record" "$work/osv/"
  done
done
[ -n "$(ls "$work/osv")" ] || { echo "no record affects ${modules[*]}" >&2; exit 1; }

nice -n 15 "$go" run "golang.org/x/vulndb/cmd/indexdb@$version" -vulns "$work/osv" -out "$work/db"
find "$work/db" -name '*.gz' -delete  # govulncheck reads the .json files of a file:// database

rm -rf "$out"
mkdir -p "$out"
cp -r "$work/db/index" "$work/db/ID" "$out/"
{
  echo "# Where this database comes from"
  echo
  echo "A subset of the Go vulnerability database (https://vuln.go.dev): every record"
  echo "that affects ${modules[*]}, nothing else (no standard library, no other"
  echo "module). The records are the real OSV entries of the Go module"
  echo "\`golang.org/x/vulndb@$version\` (\`data/osv/\`, module checksum"
  echo "\`$sum\`), indexed by that module's own \`cmd/indexdb\` into the"
  echo "layout \`govulncheck -db file:///path\` reads. \`modified\` is zero, as in the"
  echo "module's records (the public database stamps it when it publishes)."
  echo
  echo "Rebuilt by \`refresh-vulndb.sh\` next to the scenario. The database entries"
  echo "are by the Go Authors, under CC-BY-4.0"
  echo "(https://creativecommons.org/licenses/by/4.0/)."
  echo
  echo "| record | aliases | fixed in | sha256 of data/osv/ID.json in the module |"
  echo "| --- | --- | --- | --- |"
  for record in "$work"/osv/GO-*.json; do
    id="$(basename "$record" .json)"
    python3 - "$record" "$(sha256sum "$record" | cut -d' ' -f1)" <<'EOF'
import json, sys
entry = json.load(open(sys.argv[1]))
fixed = [e["fixed"] for a in entry["affected"] for r in a["ranges"] for e in r["events"] if "fixed" in e]
print(f"| {entry['id']} | {', '.join(entry.get('aliases', []))} | {', '.join(fixed)} | `{sys.argv[2]}` |")
EOF
  done
} > "$out/PROVENANCE.md"
echo "wrote $out: $(ls "$out/ID" | wc -l) records"
