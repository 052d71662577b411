#!/usr/bin/env bash
# The declared grids of ensemble configurations behind the default (issue 4):
# each configuration is run with the developer option
# `headroom detect -d ensemble:key=value,...` on the 28 NAB files, then
# bench/nab_cv.py scores them all (full set, 4-fold mean, out of fold).
#   bench/nab_grid.sh BUILD/headroom SHARED_DATA_DIR [novelty|wide|tod]
# novelty (default): the fourth pass, pattern novelty off (nw=0) or on with
#   8 buckets (CAD OSE's 3-bit encoding) and 2 of context, likelihood rate
#   x gate (off, or 0.8 after 50 or 200 samples without a new pattern),
#   every other constant at its default;
# wide: the same with buckets {6, 8, 12} x context {1, 2} (54 + 1
#   configurations: its out-of-fold figure shows the cost of a wide grid);
# tod: the third pass, the time-of-day record's grid (pattern novelty off).
set -euo pipefail
hr=${1:?usage: bench/nab_grid.sh HEADROOM SHARED_DATA_DIR [novelty|wide|tod]}
nab=${2:?usage: bench/nab_grid.sh HEADROOM SHARED_DATA_DIR [novelty|wide|tod]}/nab
grid=${3:-novelty}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cfgs=()
gates=("gate=1" "gate=0.8,gm=50" "gate=0.8,gm=200")
case "$grid" in
novelty)
    cfgs+=("nw=0,gate=1")
    for nrate in 0.0005 0.001 0.002; do
        for g in "${gates[@]}"; do cfgs+=("nb=8,nlen=2,nrate=$nrate,$g"); done
    done
    ;;
wide)
    cfgs+=("nw=0,gate=1")
    for nb in 6 8 12; do
        for nlen in 1 2; do
            for nrate in 0.0005 0.001 0.002; do
                for g in "${gates[@]}"; do cfgs+=("nb=$nb,nlen=$nlen,nrate=$nrate,$g"); done
            done
        done
    done
    ;;
tod)
    # sdecay 0: no time-of-day record (snb is then unused)
    for hold in 100 200; do cfgs+=("nw=0,gate=1,sdecay=0,hold=$hold"); done
    for sdecay in 0.8 0.9 0.95; do
        for snb in 2 4 8 12; do
            for hold in 100 200; do cfgs+=("nw=0,gate=1,sdecay=$sdecay,snb=$snb,hold=$hold"); done
        done
    done
    ;;
*)
    echo "bench/nab_grid.sh: unknown grid \"$grid\" (novelty, wide or tod)" >&2
    exit 2
    ;;
esac
args=()
for i in "${!cfgs[@]}"; do
    c=${cfgs[$i]}
    "$hr" detect --nab "$nab/data" -o "$tmp/$i" -d "ensemble:$c" -j 2
    args+=("${c//=/:}=$tmp/$i") # nab_cv.py splits NAME=DIR at the first '='
done
/usr/bin/python3 "$here/nab_cv.py" "$nab" "${args[@]}"
