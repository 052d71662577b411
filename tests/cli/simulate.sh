#!/usr/bin/env bash
# headroom simulate: CloudSim's DVFS and THR-MMT-0.8 figures on 20110303, JSON fields, a fleet
# description as the trace, errors.
set -euo pipefail
: "${HR_BIN:?}" "${HR_TEST_DATA:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
day="$HR_TEST_DATA/sim/planetlab-20110303"
"$HR_BIN" simulate --trace "$day" --policy thr-mmt --json >/tmp/hr-sim-$$.json
python3 - /tmp/hr-sim-$$.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("energy_kwh", "migrations", "slatah", "pdm", "slav", "esv", "host_shutdowns", "vms", "wall_s"):
    assert k in d, k
assert round(d["energy_kwh"], 5) == 192.62307, d
assert d["migrations"] == 26711 and d["vms"] == 1052 and d["host_shutdowns"] == 5885, d
assert abs(d["slatah"] - 0.049133) < 5e-7 and abs(d["esv"] - d["energy_kwh"] * d["slav"]) < 1e-15, d
assert d["param"] == 0.8
PY
rm -f /tmp/hr-sim-$$.json
"$HR_BIN" simulate -t "$day" -p dvfs | grep -q "energy 802.75449 kWh, 0 migrations" || fail "dvfs table"
# a fleet description (hosts, VM sizes, trace files) = the folder on the same hosts
a=$("$HR_BIN" simulate -t "$HR_TEST_DATA/sim/fleet-pair.json" -p thr-mmt --json | sed 's/"wall_s":[^,}]*//')
b=$("$HR_BIN" simulate -t "$HR_TEST_DATA/sim/pair" -p thr-mmt --hosts 4 --json | sed 's/"wall_s":[^,}]*//')
[[ "$a" == "$b" && "$a" == *'"migrations":1,'* ]] || fail "fleet description: $a vs $b"
set +e
"$HR_BIN" simulate -t "$day" -p nosuch 2>/tmp/hr-sim-err-$$; rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q 'unknown policy "nosuch"' /tmp/hr-sim-err-$$ || fail "bad policy rc=$rc"
set +e
"$HR_BIN" simulate -t "$HR_TEST_DATA/sim/missing" -p dvfs 2>/tmp/hr-sim-err-$$; rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q "missing" /tmp/hr-sim-err-$$ || fail "missing folder rc=$rc"
rm -f /tmp/hr-sim-err-$$
echo "simulate: ok"
