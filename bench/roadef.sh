#!/usr/bin/env bash
# ROADEF/EURO 2012 benchmark. Prints figures; asserts nothing.
#   bench/roadef.sh BUILD/headroom SHARED_DATA_DIR
# 1. Checker cross-check: every A instance's initial cost and the published
#    solutions' costs against reference_values.csv.
# 2. Solver: every A instance at ROADEF_SECONDS (default 30) wall-clock
#    seconds on ROADEF_THREADS (default 2) threads: cost, gap to the 2012
#    best, and the challenge score sum (cost - best) / initial, beside the
#    2012 winner's (S41) own 300 s results. ROADEF_INSTANCES (default all
#    ten) picks instances, e.g. ROADEF_SECONDS=300 ROADEF_INSTANCES="a2_2 a2_5".
# 3. A generated B-size instance (ROADEF_B_PROCESSES, default 50000
#    processes on ROADEF_B_MACHINES, default 5000 machines): read + one pass
#    (one move attempt per process, one thread) + write, wall time and peak RSS.
set -euo pipefail
hr=${1:?usage: bench/roadef.sh HEADROOM SHARED_DATA_DIR}
shared=${2:?usage: bench/roadef.sh HEADROOM SHARED_DATA_DIR}
secs=${ROADEF_SECONDS:-30}
threads=${ROADEF_THREADS:-2}
insts=${ROADEF_INSTANCES:-a1_1 a1_2 a1_3 a1_4 a1_5 a2_1 a2_2 a2_3 a2_4 a2_5}
bp=${ROADEF_B_PROCESSES:-50000}
bm=${ROADEF_B_MACHINES:-5000}
d="$shared/roadef2012"
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ref="$d/reference_values.csv"
field() { awk -F, -v i="$1" -v c="$2" 'NR == 1 { for (k = 1; k <= NF; k++) col[$k] = k; next }
                                      $1 == i { print $col[c] }' "$ref"; }
cost() { "$hr" roadef check "$1" "$2" "$3" | sed -n 's/^Solution is valid. Total objective cost is //p'; }

echo "ROADEF/EURO 2012 set A: checker cross-check"
bad=0
for i in a1_1 a1_2 a1_3 a1_4 a1_5 a2_1 a2_2 a2_3 a2_4 a2_5; do
    got=$(cost "$d/model_$i.txt" "$d/assignment_$i.txt" "$d/assignment_$i.txt")
    want=$(field "$i" initial_cost)
    [[ "$got" == "$want" ]] && s=ok || { s=MISMATCH; bad=1; }
    printf '  %-5s initial %14s reference %14s %s\n' "$i" "$got" "$want" "$s"
done
for i in a2_1 a2_3 a2_5; do
    got=$(cost "$d/model_$i.txt" "$d/assignment_$i.txt" "$d/solutions/solution_${i}_stegua.txt")
    want=$(field "$i" best_verified_here)
    [[ "$got" == "$want" ]] && s=ok || { s=MISMATCH; bad=1; }
    printf '  %-5s published solution %14s reference %14s %s\n' "$i" "$got" "$want" "$s"
done
got=$(cost "$d/example/model_example.txt" "$d/example/initial_solution_example.txt" "$d/example/new_solution_example.txt")
printf '  example solution %s (subject: 2411)\n' "$got"
[[ $bad == 0 ]] && echo "  all equal to the official checker's figures" || echo "  MISMATCHES above"

echo
echo "Solver: ${secs} s wall clock per instance, $threads threads; $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf '%-5s %14s %14s %14s %9s %14s %9s\n' inst initial cost best2012 gap% S41-300s S41gap%
declare -A s41=([a1_1]=44306501 [a1_2]=777912030 [a1_3]=583006422 [a1_4]=262125116
    [a1_5]=727578310 [a2_1]=329 [a2_2]=746097632 [a2_3]=1210644572 [a2_4]=1680615349
    [a2_5]=318358949)
score=0 score41=0
for i in $insts; do
    "$hr" roadef -t "$secs" -j "$threads" -s 1 -p "$d/model_$i.txt" -i "$d/assignment_$i.txt" \
        -o "$tmp/$i.txt" 2>"$tmp/$i.log"
    c=$(cost "$d/model_$i.txt" "$d/assignment_$i.txt" "$tmp/$i.txt")
    [[ -n "$c" ]] || { echo "$i: INVALID OUTPUT"; c=$(field "$i" initial_cost); }
    init=$(field "$i" initial_cost)
    best=$(field "$i" best_challenge_2012)
    read -r gap gap41 score score41 < <(awk -v c="$c" -v b="$best" -v i0="$init" -v s="${s41[$i]}" \
        -v sc="$score" -v sc41="$score41" 'BEGIN { g = (c - b) / i0; g41 = (s - b) / i0;
        printf "%.4f %.4f %.6f %.6f\n", 100 * g, 100 * g41, sc + g, sc41 + g41 }')
    printf '%-5s %14s %14s %14s %9s %14s %9s\n' "$i" "$init" "$c" "$best" "$gap" "${s41[$i]}" "$gap41"
done
echo "score sum (cost - best2012) / initial: headroom $score, S41 (300 s) $score41"

echo
echo "Generated B-size instance: $bp processes, $bm machines, 12 resources"
/usr/bin/python3 "$here/gen-roadef.py" "$tmp/bm.txt" "$tmp/ba.txt" --machines "$bm" --processes "$bp"
echo "  model file $(du -h "$tmp/bm.txt" | cut -f1)"
/usr/bin/time -f "  read + check: %e s, peak RSS %M KB" "$hr" roadef check "$tmp/bm.txt" "$tmp/ba.txt" "$tmp/ba.txt" >/dev/null
/usr/bin/time -f "  read + one pass ($bp move attempts, 1 thread) + write: %e s, peak RSS %M KB" \
    "$hr" roadef -t 600 --iters "$bp" -j 1 --no-lns -p "$tmp/bm.txt" -i "$tmp/ba.txt" -o "$tmp/bo.txt" 2>&1 | sed 's/^roadef:/  roadef:/'
echo "  output: $(cost "$tmp/bm.txt" "$tmp/ba.txt" "$tmp/bo.txt" | sed 's/^/valid, cost /')"
