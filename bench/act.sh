#!/usr/bin/env bash
# Benchmarks of the actuators (issue 8): micro-VM boot time and RSS, live
# migration between two network namespaces (microvm against q35, 128 and
# 512 MiB), a forecast-timed migration, partition solve time, journal write
# rate, and isolation of a latency-sensitive tenant beside a CPU hog.
#   bench/act.sh BUILD/headroom SHARED_DATA_DIR
# The VM and isolation parts need root; they say so and are skipped otherwise.
set -euo pipefail
hr=${1:?usage: bench/act.sh HEADROOM SHARED_DATA_DIR}
shared=${2:?usage: bench/act.sh HEADROOM SHARED_DATA_DIR}
bin=$(cd "$(dirname "$hr")" && pwd)
hr="$bin/$(basename "$hr")"
BOOTS=${BENCH_BOOTS:-10}
MIGS=${BENCH_MIGS:-3}
work=$(mktemp -d /tmp/hr-bench-act-XXXXXX)

echo "== act: partition solve time =="
"$bin/bench-act" solve "$shared/planetlab/20110303"
echo
echo "== act: journal =="
"$bin/bench-act" journal "$work"
echo
if [[ $(id -u) -ne 0 ]] || ! command -v qemu-system-x86_64 >/dev/null; then
    echo "== act: VM and isolation benchmarks skipped (need root and qemu-system-x86_64) =="
    rm -rf "$work"
    exit 0
fi
echo "== act: isolation =="
"$bin/bench-act" isolation "$work"
echo

a="hrb$$a" b="hrb$$b"
export HEADROOM_VM_DIR="$work/vm"
cleanup() {
    for f in "$HEADROOM_VM_DIR"/*/qemu.pid "$HEADROOM_VM_DIR"/*/gen*/qemu.pid; do
        [[ -f $f ]] && kill -9 "$(cat "$f")" 2>/dev/null || true
    done
    ip netns del "$a" 2>/dev/null || true
    ip netns del "$b" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$a"; ip netns add "$b"
ip link add "vb$$a" netns "$a" type veth peer name "vb$$b" netns "$b"
ip -n "$a" addr add 10.204.0.1/24 dev "vb$$a"; ip -n "$b" addr add 10.204.0.2/24 dev "vb$$b"
for n in "$a" "$b"; do ip -n "$n" link set lo up; done
ip -n "$a" link set "vb$$a" up; ip -n "$b" link set "vb$$b" up

field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
stats() { /usr/bin/python3 -c "
import statistics, sys
v = [float(x) for x in sys.argv[1:]]
print(f'median {statistics.median(v):.0f}, min {min(v):.0f}, max {max(v):.0f} (n={len(v)})')" "$@"; }
ms() { date +%s%3N; }

echo "== act: micro-VM boot, launch to HEADROOM-READY =="
for m in microvm q35; do
    boots=() rss=()
    for i in $(seq "$BOOTS"); do
        out=$("$hr" vm create "boot-$m-$i" --memory 128 --machine "$m" --netns "$a" --json)
        boots+=("$(field "$out" boot_ms)")
        rss+=("$(awk '/VmRSS/{print int($2/1024)}' /proc/"$(field "$out" pid)"/status)")
        "$hr" vm stop "boot-$m-$i"
    done
    echo "$m 128 MiB ($(field "$out" accel)): boot ms $(stats "${boots[@]}"); VmRSS MiB $(stats "${rss[@]}")"
done
echo

echo "== act: live migration $a -> $b over veth (microvm vs q35) =="
for m in microvm q35; do
    for mem in 128 512; do
        tot=() down=() bytes=() wall=()
        for i in $(seq "$MIGS"); do
            "$hr" vm create "mig-$m-$mem-$i" --memory "$mem" --machine "$m" --netns "$a" --json >/dev/null
            t0=$(ms)
            out=$("$hr" vm migrate "mig-$m-$mem-$i" --to-netns "$b" --json)
            wall+=("$(($(ms) - t0))")
            [[ $(field "$out" status) == completed ]] || { echo "migration failed: $out"; exit 1; }
            tot+=("$(field "$out" total_ms)"); down+=("$(field "$out" downtime_ms)")
            bytes+=("$(($(field "$out" bytes) / 1000000))")
            "$hr" vm stop "mig-$m-$mem-$i"
        done
        echo "$m $mem MiB: total ms $(stats "${tot[@]}"); downtime ms $(stats "${down[@]}"); MB $(stats "${bytes[@]}"); command wall ms $(stats "${wall[@]}")"
        [[ $m == microvm && $mem == 128 ]] && est=$(/usr/bin/python3 -c "import statistics,sys; print(int(statistics.median(map(int, sys.argv[1:]))))" "${wall[@]}")
    done
done
echo

echo "== act: forecast-timed migration =="
# The host's forecast says it overloads at T (10 s from now). The migration is
# started at T - 2 x its expected duration (the median command wall time of
# the 128 MiB microvm runs above) and must complete before T.
"$hr" vm create timed --memory 128 --netns "$a" --json >/dev/null
T=$(($(ms) + 10000)); start=$((T - 2 * est))
while (($(ms) < start)); do read -rt 0.05 <> <(:) || true; done
out=$("$hr" vm migrate timed --to-netns "$b" --json); done_at=$(ms)
echo "expected ${est} ms, started at T-$((T - start)) ms, completed at T-$((T - done_at)) ms ($(field "$out" status)): $( ((done_at < T)) && echo before T || echo LATE)"
"$hr" vm stop timed
