#!/usr/bin/env bash
# NAB benchmark (issue 4): the NAB scorer checked against the README's check
# values and published scores, then the ensemble and the windowedGaussian
# port scored side by side on the shared 28 files, the ensemble out of fold
# (4-fold and group cross-validation over files), then throughput and
# memory per series. Prints figures; fails only when the scorer check fails.
#   bench/nab.sh BUILD/headroom SHARED_DATA_DIR
set -euo pipefail
hr=${1:?usage: bench/nab.sh HEADROOM SHARED_DATA_DIR}
nab=${2:?usage: bench/nab.sh HEADROOM SHARED_DATA_DIR}/nab
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
[[ -d "$nab/data" ]] || { echo "bench: $nab/data not found" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=(--data "$nab/data" --labels "$nab/combined_windows.json" --profiles "$nab/profiles.json")
score() { "$hr" nab score "${args[@]}" --results "$@" | awk '{printf "%s %s ", $1, $3} END {print ""}'; }

echo "NAB (issue 4): 28 files (realAWSCloudwatch, artificial), 36 windows"
echo
echo "scorer check against ../shared/data/nab/README.md"
"$py" "$here/nab_synth.py" "$nab" "$tmp/synth"
check() { # name threshold(or opt) want-std want-lowfp want-lowfn
    local got
    if [[ "$2" == opt ]]; then got=$(score "$tmp/synth/$1"); else got=$(score "$tmp/synth/$1" --threshold "$2"); fi
    "$py" - "$1@$2" "$got" "$3" "$4" "$5" <<'PY'
import sys
name, got, want = sys.argv[1], sys.argv[2].split(), list(map(float, sys.argv[3:6]))
vals = [float(got[i]) for i in (1, 3, 5)]
ok = all(abs(v - w) < 5e-5 for v, w in zip(vals, want))
print("  %-8s %-10s %s  %s" % ("ok" if ok else "MISMATCH", name, " ".join("%.4f" % v for v in vals),
                              "" if ok else "want " + " ".join("%.4f" % w for w in want)))
sys.exit(0 if ok else 1)
PY
}
fails=0
check first 1 100 100 100 || fails=1
check mid 1 93.0832 93.0832 95.3888 || fails=1
check last 1 50.6723 50.6723 67.1148 || fails=1
check after 1 -0.0735 -0.1470 -0.0490 || fails=1
check after opt 0 0 0 || fails=1
check all 1 -12766.8135 -25633.6271 -8477.8757 || fails=1
check hash opt 19.0036 0 36.7431 || fails=1
for det in numenta windowedGaussian; do
    echo "  published $det: $(score "$nab/results/$det")"
done
echo "  (README: numenta 72.30 / 69.12 / 75.98, windowedGaussian 26.52 / 2.2 / 37.1)"
[[ $fails == 0 ]] || { echo "bench: the NAB scorer does not reproduce the check values" >&2; exit 1; }

echo
echo "detectors on the 28 files (threshold optimised per profile on them, as NAB does)"
printf "  %-10s %9s %9s %9s %8s\n" detector standard low_FP low_FN seconds
for det in ensemble gaussian residual cusum bocpd ewma; do
    t0=$(date +%s.%N)
    "$hr" detect --nab "$nab/data" -o "$tmp/$det" -d "$det" -j 1
    t1=$(date +%s.%N)
    printf "  %-10s %9.2f %9.2f %9.2f %8.2f\n" "$det" \
        $(score "$tmp/$det" | awk '{print $2, $4, $6}') "$(echo "$t1 - $t0" | bc)"
done
echo "  (published on these files: numenta 72.30, windowedGaussian 26.52; the port above"
echo "   writes 12 significant digits as NAB did and scores identically)"

echo
echo "ensemble out of fold: threshold chosen on the other files (bench/nab_cv.py)"
"$py" "$here/nab_cv.py" "$nab" ensemble="$tmp/ensemble" | sed -n '/out-of-fold/,$p' |
    sed 's/ \[.*//; s/^/  /'

echo
echo "the declared grid behind the default ensemble (bench/nab_grid.sh)"
"$here/nab_grid.sh" "$hr" "$(dirname "$nab")" | sed 's/^/  /'

echo
echo "throughput: one core, rows already in memory (bench/bench-nab.c)"
"$(dirname "$hr")/bench-nab" "$nab"/data/*/*.csv | sed 's/^/  /'
