#!/usr/bin/env bash
# The declared grid of ensemble configurations behind the default (issue 4):
# each configuration is run with the developer option
# `headroom detect -d ensemble:key=value,...` on the 28 NAB files, then
# bench/nab_cv.py scores them all (full set, 4-fold mean, out of fold).
#   bench/nab_grid.sh BUILD/headroom SHARED_DATA_DIR
set -euo pipefail
hr=${1:?usage: bench/nab_grid.sh HEADROOM SHARED_DATA_DIR}
nab=${2:?usage: bench/nab_grid.sh HEADROOM SHARED_DATA_DIR}/nab
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cfgs=()
# sdecay 0: no time-of-day record (snb is then unused)
for hold in 100 200; do cfgs+=("sdecay=0,hold=$hold"); done
for sdecay in 0.8 0.9 0.95; do
    for snb in 2 4 8 12; do
        for hold in 100 200; do cfgs+=("sdecay=$sdecay,snb=$snb,hold=$hold"); done
    done
done
args=()
for i in "${!cfgs[@]}"; do
    c=${cfgs[$i]}
    "$hr" detect --nab "$nab/data" -o "$tmp/$i" -d "ensemble:$c" -j 2
    args+=("${c//=/:}=$tmp/$i") # nab_cv.py splits NAME=DIR at the first '='
done
/usr/bin/python3 "$here/nab_cv.py" "$nab" "${args[@]}"
