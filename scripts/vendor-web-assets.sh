#!/usr/bin/env bash
# Refresh the third-party browser assets that the dashboard and the offline
# report serve from src/spacepool/web/static/vendor/.
#
# They are committed (a few hundred kB, each with its licence) so that the
# package, `make demo` and the dashboard work offline on a machine without
# Node.js. This script re-creates them from the npm registry with the npm
# client, at the pinned versions below, and prints each tarball's integrity
# hash; run it only to upgrade, then commit the result and update MANIFEST.txt.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/src/spacepool/web/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

packages=(leaflet@1.9.4 world-atlas@2.0.2 topojson-client@3.1.0)

cd "$work"
for spec in "${packages[@]}"; do
    npm pack --silent "$spec" >/dev/null
done
for tarball in *.tgz; do
    name=${tarball%.tgz}
    mkdir -p "x/$name"
    tar xzf "$tarball" -C "x/$name"
done

rm -rf "$dest"
mkdir -p "$dest/leaflet/images" "$dest/world-atlas" "$dest/topojson-client"
cp x/leaflet-1.9.4/package/dist/leaflet.js x/leaflet-1.9.4/package/dist/leaflet.css "$dest/leaflet/"
cp x/leaflet-1.9.4/package/dist/images/*.png "$dest/leaflet/images/"
cp x/leaflet-1.9.4/package/LICENSE "$dest/leaflet/"
cp x/world-atlas-2.0.2/package/countries-110m.json x/world-atlas-2.0.2/package/countries-50m.json \
    x/world-atlas-2.0.2/package/land-110m.json x/world-atlas-2.0.2/package/LICENSE "$dest/world-atlas/"
cp x/topojson-client-3.1.0/package/dist/topojson-client.min.js x/topojson-client-3.1.0/package/LICENSE \
    "$dest/topojson-client/"

{
    echo "Third-party browser assets, copied unchanged from their npm packages by"
    echo "scripts/vendor-web-assets.sh. sha256 of each file:"
    echo
    for spec in "${packages[@]}"; do echo "package $spec"; done
    echo
    (cd "$dest" && find . -type f ! -name MANIFEST.txt | sort | xargs sha256sum)
} >"$dest/MANIFEST.txt"
echo "vendored into $dest"
