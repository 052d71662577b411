#!/usr/bin/env bash
# headroom place on a hand-written fleet: summary, dry-run diff, PLAN.json
# replayed step by step against the fleet (capacity with transient
# resources, distinct hosts, per-host limit, labels), invalid inputs named.
set -euo pipefail
: "${HR_BIN:?}" "${HR_TEST_DATA:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
fleet="$HR_TEST_DATA/fleet/place.json"
py=/usr/bin/python3

# dry run: summary and diff, no file
"$HR_BIN" place --fleet "$fleet" --dry-run -j 1 --iters 200000 --seed 2 -o "$tmp/no.json" >"$tmp/out"
[[ ! -e "$tmp/no.json" ]] || fail "dry run wrote a file"
grep -q '^place: 8 hosts, 18 workloads (2 not placed yet)$' "$tmp/out" || fail "header: $(cat "$tmp/out")"
read -r lb la < <(awk '$1 == "load" { print $2, $3 }' "$tmp/out")
read -r tb ta < <(awk '$1 == "total" { print $2, $3 }' "$tmp/out")
[[ $lb -gt 0 && $la -eq 0 ]] || fail "load before $lb after $la: the fleet has room for all"
[[ $ta -lt $tb ]] || fail "total before $tb after $ta"
grep -Eq '^moves: [1-9][0-9]* in [1-9][0-9]* steps \([0-9]+ parked\), 2 placements, 0 repairs$' "$tmp/out" || fail "moves line"
grep -Eq '^step [0-9]+: ml-1: \(none\) -> node-8  place \(not placed yet\), cost 0$' "$tmp/out" || fail "ml-1 needs the gpu host: $(cat "$tmp/out")"
grep -Eq '^step [0-9]+: [a-z0-9-]+: node-[1-8] -> node-[1-8]  target \(.*\), cost [0-9]+$' "$tmp/out" || fail "a target move"
# deterministic with one thread and an iteration limit
"$HR_BIN" place --fleet "$fleet" --dry-run -j 1 --iters 200000 --seed 2 >"$tmp/out2"
cmp -s "$tmp/out" "$tmp/out2" || fail "not deterministic"

# PLAN.json: replayed against the fleet
"$HR_BIN" place --fleet "$fleet" -o "$tmp/plan.json" --time 1 --per-host 1 >"$tmp/out"
$py - "$fleet" "$tmp/plan.json" <<'PY' || fail "plan replay"
import json, sys
f = json.load(open(sys.argv[1])); plan = json.load(open(sys.argv[2]))
assert plan["headroom_plan"] == 1 and plan["per_host"] == 1
units = {"cores": 1000, "m": 1, "GiB": 1 << 30, "Mbit": 10**6, "Gbit": 10**9}
def amount(v):
    if isinstance(v, int): return v
    for u in sorted(units, key=len, reverse=True):
        if v.endswith(u): return int(float(v[:-len(u)]) * units[u])
    raise ValueError(v)
res = [r["name"] for r in f["resources"]]
trans = {r["name"] for r in f["resources"] if r.get("transient")}
cap = {h["name"]: {r: amount(h["capacity"][r]) for r in res} for h in f["hosts"]}
labels = {h["name"]: set(h.get("labels", [])) for h in f["hosts"]}
dem = {w["name"]: {r: amount(w["demand"].get(r, 0)) for r in res} for w in f["workloads"]}
svc = {w["name"]: w.get("service") for w in f["workloads"]}
distinct = {s["name"] for s in f["services"] if s.get("distinct_hosts")}
at = {w["name"]: w.get("host") for w in f["workloads"]}
home = dict(at)
tgt = plan["target"]
for w in f["workloads"]:  # not placed: counted at the target throughout
    if at[w["name"]] is None: at[w["name"]] = tgt[w["name"]]
    assert labels[tgt[w["name"]]] >= set(w.get("required_labels", [])), w["name"]
steps = {}
for m in plan["moves"]: steps.setdefault(m["step"], []).append(m)
assert sorted(steps) == list(range(1, len(steps) + 1))
for k in sorted(steps):
    touched = {}
    for m in steps[k]:
        if m["reason"] == "place": assert m["from"] is None and at[m["workload"]] == m["to"]; continue
        assert at[m["workload"]] == m["from"], m
        for h in (m["from"], m["to"]): touched[h] = touched.get(h, 0) + 1
        at[m["workload"]] = m["to"]
    assert max(touched.values(), default=0) <= 1, ("per-host", k)
    for h in cap:
        for r in res:
            use = sum(dem[w][r] for w in at if at[w] == h)
            if r in trans:  # moved workloads still hold it on their original host
                use += sum(dem[w][r] for w in at if home[w] == h and at[w] != h)
            assert use <= cap[h][r], (k, h, r, use, cap[h][r])
    for s in distinct:
        hs = [at[w] for w in at if svc[w] == s]
        assert len(hs) == len(set(hs)), (k, s)
assert at == tgt, "the moves reach the target"
assert plan["cost_after"]["total"] < plan["cost_before"]["total"]
PY

# today's placement violates a constraint: repaired (web-2 leaves node-1,
# which runs web-1 of the same distinct-hosts service; node-1 is then
# still over capacity, so its largest workload leaves too), the rest kept
$py - "$fleet" "$tmp/bad.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
f["workloads"] = [w for w in f["workloads"] if "host" in w]
for w in f["workloads"]:
    if w["name"] == "web-2": w["host"] = "node-1"
json.dump(f, open(sys.argv[2], "w"))
PY
"$HR_BIN" place --fleet "$tmp/bad.json" --dry-run -j 1 --iters 100000 >"$tmp/out" 2>"$tmp/err" || fail "repair: exit $?: $(cat "$tmp/err")"
grep -Eq '^repaired: .* 2 workloads moved off their host first \(step 1\), the rest kept$' "$tmp/out" || fail "repair summary: $(cat "$tmp/out")"
grep -Eq '^  web-2: node-1 -> node-[2-8]: shares today.s host with a workload of its service' "$tmp/out" || fail "repair line: $(cat "$tmp/out")"
grep -Eq '^step 1: web-2: node-1 -> node-[2-8]  repair ' "$tmp/out" || fail "repair step: $(cat "$tmp/out")"
grep -q 'host node-1 runs 2 workloads of "web", which wants distinct hosts' "$tmp/err" || fail "conflict named: $(cat "$tmp/err")"
! grep -Eq '^step 1: .*  (target|park|unpark) ' "$tmp/out" || fail "repairs come alone in step 1"

# usage and bad fleets
set +e
"$HR_BIN" place --dry-run >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "no --fleet"
"$HR_BIN" place --fleet "$fleet" >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "no -o"
"$HR_BIN" place --fleet "$fleet" --time -3 --dry-run >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "--time -3"
"$HR_BIN" place --fleet "$tmp/missing.json" --dry-run >/dev/null 2>"$tmp/err"; [[ $? -eq 1 ]] || fail "missing fleet"
set -e
grep -q "missing.json" "$tmp/err" || fail "missing fleet named: $(cat "$tmp/err")"
echo ok
