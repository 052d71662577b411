#!/usr/bin/env bash
# Refresh the chart library the dashboard embeds (daemon/embed/uPlot.*),
# from the npm registry with npm's own client, checked against a pinned
# SHA-256. The build never touches the network: the files are committed and
# compiled into the binary by daemon/embed.cmake.
#   scripts/fetch-uplot.sh            (version and hash below)
set -euo pipefail
version=1.6.32
sha256=4b8a8191e425658e3ea8c8c1314b0fc679c861ee3a1af2b20c7b16ba50b5133d
src="$(cd "$(dirname "$0")/.." && pwd)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "uplot@$version" >/dev/null)
echo "$sha256  $tmp/uplot-$version.tgz" | sha256sum -c -
tar -xzf "$tmp/uplot-$version.tgz" -C "$tmp"
cp "$tmp/package/dist/uPlot.iife.min.js" "$tmp/package/dist/uPlot.min.css" "$src/daemon/embed/"
cp "$tmp/package/LICENSE" "$src/daemon/embed/uPlot.LICENSE.txt"
echo "uPlot $version -> daemon/embed/"
