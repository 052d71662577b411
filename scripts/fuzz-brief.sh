#!/usr/bin/env bash
# Run each libFuzzer target for a few seconds, starting from its corpus.
# New inputs go to a scratch directory, not the committed corpus.
set -euo pipefail
build=${1:-build-fuzz}
secs=${2:-15}
src="$(cd "$(dirname "$0")/.." && pwd)"
fail=0 n=0
for t in "$build"/fuzz-*; do
    [[ -x "$t" && -f "$t" ]] || continue
    name=$(basename "$t")
    n=$((n + 1))
    scratch=$(mktemp -d)
    if ! "$t" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$build/$name-" "$scratch" "$src/fuzz/corpus/$name" \
            >"$build/$name.log" 2>&1; then
        echo "fuzz: $name FAILED"; tail -n 40 "$build/$name.log"; fail=$((fail + 1))
    fi
    rm -rf "$scratch"
done
echo "fuzz: $((n - fail)) passed, $fail failed"
[[ $fail -eq 0 ]]
