#!/usr/bin/env bash
# The twin benchmark (issue 6): every baseline and the predictive policy on
# the two shared PlanetLab days, CloudSim 3.0.3's published figures beside
# ours (../shared/reference/cloudsim-model.md), each run's wall time and
# peak RSS (one process per run, /usr/bin/time; CPU seconds too, as the
# machine may be shared); then the predictive
# policy's targets against LR-MMT-1.2; then the scale run (bench-sim: a
# generated workload of 100,000 VMs on 10,000 hosts for 24 h).
#   bench/sim.sh BUILD/headroom SHARED_DATA_DIR [SCALE_VMS SCALE_HOSTS]
set -euo pipefail
hr=${1:?usage: bench/sim.sh HEADROOM SHARED_DATA_DIR}
pl=${2:?usage: bench/sim.sh HEADROOM SHARED_DATA_DIR}/planetlab
svms=${3:-100000}
shosts=${4:-10000}
py=/usr/bin/python3
[[ -d "$pl/20110303" ]] || { echo "bench: $pl/20110303 not found" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "The twin (issue 6): CloudSim 3.0.3 power-aware consolidation on PlanetLab, 800 hosts"
echo
for day in 20110303 20110306; do
    for p in npa dvfs thr-mmt iqr-mmt mad-mmt lr-mmt lrr-mmt thr-mu thr-mc thr-rs predictive; do
        /usr/bin/time -f "%e %M %U %S" -o "$tmp/time" "$hr" simulate -t "$pl/$day" -p "$p" --json \
            >"$tmp/out"
        printf '%s %s %s\n' "$day" "$(cat "$tmp/time")" "$(cat "$tmp/out")" >>"$tmp/runs"
    done
done
"$py" - "$tmp/runs" <<'PY'
import json, sys
# CloudSim 3.0.3 (cloudsim-model.md, "Reference results"): energy, migrations,
# SLATAH %, PDM %, ESV x1e-3, CloudSim's wall seconds
ref = {
    ("20110303", "npa"): (2410.80280, 0, 0, 0, 0, 3.323),
    ("20110306", "npa"): (2410.80280, 0, 0, 0, 0, 3.635),
    ("20110303", "dvfs"): (802.75449, 0, 0, 0, 0, 3.160),
    ("20110306", "dvfs"): (625.53076, 0, 0, 0, 0, 3.034),
    ("20110303", "thr-mmt"): (192.62307, 26711, 4.9133, 0.0646, 6.11728, 31.496),
    ("20110306", "thr-mmt"): (144.74116, 20908, 5.1337, 0.0700, 5.20488, 25.285),
    ("20110303", "lr-mmt"): (163.47722, 27859, 5.8579, 0.0793, 7.59167, 42.183),
    ("20110306", "lr-mmt"): (123.28419, 20878, 5.8824, 0.0786, 5.70134, 32.106),
}
rows = {}
print(f"{'day':9} {'policy':11} {'energy kWh':>11} {'CloudSim':>11} {'migr.':>6} {'CloudSim':>8} "
      f"{'SLATAH%':>7} {'CS':>7} {'PDM%':>6} {'CS':>6} {'ESV 1e-3':>8} {'CS':>8} "
      f"{'wall s':>6} {'cpu s':>6} {'CS s':>6} {'RSS MB':>6}")
for line in open(sys.argv[1]):
    day, wall, rss, usr, sys_s, js = line.split(" ", 5)
    cpu = float(usr) + float(sys_s)
    d = json.loads(js)
    p = d["policy"]
    rows[(day, p)] = d
    r = ref.get((day, p))
    cs = lambda i, fmt: (fmt % r[i]) if r else "-"
    print(f"{day:9} {p:11} {d['energy_kwh']:11.5f} {cs(0, '%.5f'):>11} {d['migrations']:6d} "
          f"{cs(1, '%d'):>8} {d['slatah'] * 100:7.4f} {cs(2, '%.4f'):>7} {d['pdm'] * 100:6.4f} "
          f"{cs(3, '%.4f'):>6} {d['esv'] * 1e3:8.5f} {cs(4, '%.5f'):>8} {float(wall):6.2f} {cpu:6.2f} "
          f"{cs(5, '%.1f'):>6} {int(rss) / 1024:6.1f}")
print()
print("predictive against LR-MMT-1.2 (targets: ESV <= 0.5x, energy <=, SLATAH <)")
for day in ("20110303", "20110306"):
    a, b = rows[(day, "predictive")], rows[(day, "lr-mmt")]
    ok = a["esv"] <= 0.5 * b["esv"] and a["energy_kwh"] <= b["energy_kwh"] and a["slatah"] < b["slatah"]
    print(f"  {day}: ESV {a['esv'] * 1e3:.3f} vs {b['esv'] * 1e3:.3f} x1e-3 (ratio {a['esv'] / b['esv']:.3f}), "
          f"energy {a['energy_kwh']:.2f} vs {b['energy_kwh']:.2f} kWh, SLATAH {a['slatah'] * 100:.3f} vs "
          f"{b['slatah'] * 100:.3f} %, migrations {a['migrations']} vs {b['migrations']}: "
          f"{'met' if ok else 'MISSED'}")
PY

echo
echo "comparison of npa,dvfs,thr-mmt,lr-mmt,predictive over both days in one command (2 jobs)"
/usr/bin/time -f "  %e s wall, %U s user, %M kB peak RSS" "$hr" simulate --compare -t "$pl/20110303" \
    -t "$pl/20110306" -j 2 --report "$tmp/report.html" >/dev/null 2>"$tmp/err" ||
    { cat "$tmp/err" >&2; exit 1; }
grep -v "report written" "$tmp/err"
echo "  report: $(wc -c <"$tmp/report.html") bytes, self-contained"

echo
echo "scale: a generated workload of $svms VMs on $shosts hosts (IBM x3550 M3 type), 288 steps of 300 s"
/usr/bin/time -f "  process: %e s wall, %U s user, %M kB peak RSS" \
    "$(dirname "$hr")/bench-sim" "$svms" "$shosts" 288 npa dvfs thr-mmt lr-mmt predictive
