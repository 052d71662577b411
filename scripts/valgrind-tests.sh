#!/usr/bin/env bash
# Run every unit test binary under valgrind memcheck; any error or leak fails.
set -euo pipefail
build=${1:-build}
export HR_TEST_DATA="$(cd "$(dirname "$0")/.." && pwd)/tests/data"
export HR_BIN="$(cd "$build" && pwd)/headroom"
export HR_VALGRIND=1   # tests may shrink their workloads under valgrind
fail=0 n=0
for t in "$build"/test-*; do
    [[ -x "$t" && -f "$t" ]] || continue
    n=$((n + 1))
    if ! valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
            "$t" >"$t.valgrind.log" 2>&1; then
        echo "valgrind: $(basename "$t") FAILED (see $t.valgrind.log)"; tail -n 40 "$t.valgrind.log"
        fail=$((fail + 1))
    fi
done
echo "valgrind: $((n - fail)) passed, $fail failed"
[[ $fail -eq 0 ]]
