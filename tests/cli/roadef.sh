#!/usr/bin/env bash
# headroom roadef check: the official figures on the worked example, a1_1
# and a published a2_1 solution; violations listed with exit 1; malformed
# files named with line and field. The solver: -name, a deterministic run
# checked by the checker, the time limit and SIGTERM.
set -euo pipefail
: "${HR_BIN:?}" "${HR_TEST_DATA:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
d="$HR_TEST_DATA/roadef"

# check: exact totals (reference/roadef2012.md)
out=$("$HR_BIN" roadef check "$d/model_example.txt" "$d/initial_solution_example.txt" "$d/new_solution_example.txt")
grep -q '^Solution is valid. Total objective cost is 2411$' <<<"$out" || fail "example: $out"
grep -q '^machine move cost  300$' <<<"$out" || fail "example terms: $out"
out=$("$HR_BIN" roadef check "$d/model_a1_1.txt" "$d/assignment_a1_1.txt" "$d/assignment_a1_1.txt")
grep -q 'cost is 49528750$' <<<"$out" || fail "a1_1: $out"
out=$("$HR_BIN" roadef check "$d/model_a2_1.txt" "$d/assignment_a2_1.txt" "$d/solution_a2_1_stegua.txt")
grep -q 'cost is 196$' <<<"$out" || fail "a2_1: $out"

# an invalid solution: every violation listed, exit 1
echo "0 0 0" >"$tmp/crowded.txt"
set +e
"$HR_BIN" roadef check "$d/model_example.txt" "$d/initial_solution_example.txt" "$tmp/crowded.txt" >"$tmp/out"
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "invalid solution: exit $rc"
grep -q '^violation: conflict: service 0 has 2 processes on machine 0$' "$tmp/out" || fail "conflict: $(cat "$tmp/out")"
grep -q '^violation: spread: service 0 spans 1 locations, spreadMin is 2$' "$tmp/out" || fail "spread"
grep -q '^Solution is invalid.$' "$tmp/out" || fail "invalid line"

# malformed files: exit 1, file:line:col and the field
printf '0 3\n' >"$tmp/short.txt"
set +e
"$HR_BIN" roadef check "$d/model_example.txt" "$d/initial_solution_example.txt" "$tmp/short.txt" 2>"$tmp/err"
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "short assignment: exit $rc"
grep -q "^headroom: $tmp/short.txt:2:1: process 2: machine: missing (file truncated)$" "$tmp/err" || fail "short: $(cat "$tmp/err")"
head -c 100 "$d/model_a1_1.txt" >"$tmp/trunc.txt"
set +e
"$HR_BIN" roadef check "$tmp/trunc.txt" "$d/assignment_a1_1.txt" "$d/assignment_a1_1.txt" 2>"$tmp/err"
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "truncated model: exit $rc"
grep -Eq "^headroom: $tmp/trunc.txt:[0-9]+:[0-9]+: machine 1: " "$tmp/err" || fail "trunc: $(cat "$tmp/err")"

# usage
set +e
"$HR_BIN" roadef check a b >/dev/null 2>"$tmp/err"; [[ $? -eq 2 ]] || fail "check usage"
"$HR_BIN" roadef -p x -i y >/dev/null 2>"$tmp/err"; [[ $? -eq 2 ]] || fail "solve usage"
"$HR_BIN" roadef -t abc -p x -i y -o z >/dev/null 2>"$tmp/err"; [[ $? -eq 2 ]] || fail "-t abc"
set -e
grep -q -- '-t: "abc" is not a positive number' "$tmp/err" || fail "-t message: $(cat "$tmp/err")"
[[ $("$HR_BIN" roadef -name) == headroom ]] || fail "-name"

# solver: deterministic run on the example reaches the subject's optimum
"$HR_BIN" roadef --iters 20000 -s 3 -j 2 --no-lns -p "$d/model_example.txt" \
    -i "$d/initial_solution_example.txt" -o "$tmp/ex.txt" 2>/dev/null
[[ $(cat "$tmp/ex.txt") == "0 2 1" ]] || fail "example solve: $(cat "$tmp/ex.txt")"

# the wall-clock limit is kept, the answer valid and better
t0=$(date +%s.%N)
"$HR_BIN" roadef -t 2 -p "$d/model_a1_1.txt" -i "$d/assignment_a1_1.txt" -o "$tmp/a1.txt" 2>/dev/null
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 2.0) }' || fail "-t 2 took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s"
out=$("$HR_BIN" roadef check "$d/model_a1_1.txt" "$d/assignment_a1_1.txt" "$tmp/a1.txt" | tail -1)
c=${out##* }
[[ "$out" == "Solution is valid."* && $c -lt 49528750 ]] || fail "a1_1 -t 2: $out"

# SIGTERM: the best so far is written at once
"$HR_BIN" roadef -t 120 -p "$d/model_a2_1.txt" -i "$d/assignment_a2_1.txt" -o "$tmp/a2.txt" 2>/dev/null &
pid=$!
sleep 1
t0=$(date +%s.%N)
kill -TERM $pid
wait $pid || fail "SIGTERM: exit $?"
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 5) }' || fail "SIGTERM took too long"
out=$("$HR_BIN" roadef check "$d/model_a2_1.txt" "$d/assignment_a2_1.txt" "$tmp/a2.txt" | tail -1)
c=${out##* }
[[ "$out" == "Solution is valid."* && $c -lt 391189190 ]] || fail "a2_1 after SIGTERM: $out"
