#!/usr/bin/env bash
# Refresh the vendored uPlot (third_party/uplot/) from npm: the minified IIFE
# build, its CSS and its LICENSE, which `headroom simulate --report` embeds
# inline in its self-contained HTML report.
#   scripts/vendor-uplot.sh            the pinned version below
#   scripts/vendor-uplot.sh 1.6.32     another version
# Needs npm (the Debian package) and network access to registry.npmjs.org.
set -euo pipefail

version="${1:-1.6.32}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/third_party/uplot"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "uplot@$version" >/dev/null)
tar -xzf "$tmp/uplot-$version.tgz" -C "$tmp"
pkg="$tmp/package"
for f in dist/uPlot.iife.min.js dist/uPlot.min.css LICENSE; do
    [[ -s "$pkg/$f" ]] || { echo "vendor-uplot: $f missing from uplot@$version" >&2; exit 1; }
done
mkdir -p "$dest"
cp "$pkg/dist/uPlot.iife.min.js" "$pkg/dist/uPlot.min.css" "$pkg/LICENSE" "$dest/"
sha=$(cd "$dest" && sha256sum uPlot.iife.min.js uPlot.min.css)
cat >"$dest/README.md" <<MD
# uPlot $version (vendored)

A small, fast chart library (MIT, by Leon Sorokin) used by \`headroom simulate
--compare --report\`, which embeds these files inline so that the report is one
self-contained HTML file that needs no network.

- Source: npm package \`uplot@$version\` (https://www.npmjs.com/package/uplot),
  repository https://github.com/leeoniya/uPlot; files \`dist/uPlot.iife.min.js\`,
  \`dist/uPlot.min.css\` and \`LICENSE\`, unmodified.
- Refresh: \`scripts/vendor-uplot.sh [VERSION]\`.
- sha256:

\`\`\`
$sha
\`\`\`
MD
echo "vendor-uplot: uplot@$version -> third_party/uplot/"
