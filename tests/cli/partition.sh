#!/usr/bin/env bash
# headroom partition: the plan from a host file (dry run, JSON), bad input
# refused with the file and field named, and --apply on real cgroups under a
# test-unique parent (root only), reconciled through the journal.
set -euo pipefail
: "${HR_BIN:?}" "${HR_TEST_DATA:?}"
tmp=$(mktemp -d)
parent="hr-cli-part-$$"
sp=
cleanup() {
    [[ -n $sp ]] && kill "$sp" 2>/dev/null || true
    for d in /sys/fs/cgroup/*/"$parent" /sys/fs/cgroup/memory/*/*/"$parent" /sys/fs/cgroup/memory/"$parent"; do
        [[ -d $d ]] || continue
        for g in "$d"/*/; do [[ -d $g ]] && rmdir "$g" 2>/dev/null || true; done
        rmdir "$d" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
host="$HR_TEST_DATA/act/host-edge.yaml"

# Dry run: web pinned on core 1, batch gets the rest of core 0 less the reserve.
"$HR_BIN" partition --host "$host" --dry-run >"$tmp/out" 2>"$tmp/err"
grep -Eq '^web +10 +800/1000/1000 pin +1 ' "$tmp/out" || fail "web row: $(cat "$tmp/out")"
grep -Eq '^batch +0 +1500/900/900 +0 ' "$tmp/out" || fail "batch row: $(cat "$tmp/out")"
grep -q 'tenant batch gets 900 of the 1500 it needs at p95 (cpu)' "$tmp/err" || fail "no shortage warning"

# JSON with actions; the forecast raises batch's want to 1700.
"$HR_BIN" partition --host "$host" --forecast "$HR_TEST_DATA/act/forecast-edge.json" --dry-run --json >"$tmp/plan.json" 2>/dev/null
/usr/bin/python3 - "$tmp/plan.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
t = {x["name"]: x for x in p["tenants"]}
assert t["batch"]["cpu"]["want"] == 1700, t["batch"]["cpu"]
assert t["web"]["cpu"]["cpus"] == "1" and t["web"]["cpu"]["pinned"]
kinds = sorted(a["kind"] for a in p["actions"])
assert kinds == ["cgroup", "cgroup", "cgroup"], kinds
assert all(a["key"].startswith("partition/edge1/") for a in p["actions"])
PY

# Bad input: exit 1 naming file and field; usage errors exit 2.
sed 's/p95: 300MiB/p95: 3GiB/' "$host" >"$tmp/big.yaml"
set +e
"$HR_BIN" partition --host "$tmp/big.yaml" --apply --journal "$tmp/j.db" 2>"$tmp/err"; rc=$?
set -e
[[ $rc -eq 1 ]] || fail "over-asking host: exit $rc"
grep -q "big.yaml: tenants\[1\].memory: tenant \"batch\" asks for 3221225472 at p95, the host has 1006632960" "$tmp/err" \
    || fail "message: $(cat "$tmp/err")"
[[ ! -e $tmp/j.db ]] || fail "journal written for bad input"
set +e
"$HR_BIN" partition --host "$host" 2>"$tmp/err"; rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q 'exactly one of --dry-run and --apply' "$tmp/err" || fail "usage: $rc"

# --apply on real cgroups (root only).
if [[ $(id -u) -ne 0 || ! -d /sys/fs/cgroup/cpu ]]; then
    echo "SKIP: --apply needs root and cgroup v1 cpu (this machine: uid $(id -u))"
    exit 0
fi
sleep 300 & sp=$!
sed -e "s/cgroup_parent: headroom/cgroup_parent: $parent/" \
    -e "s/  - name: batch/  - name: batch\n    pids: [$sp]/" "$host" >"$tmp/h.yaml"
"$HR_BIN" partition --host "$tmp/h.yaml" --apply --journal "$tmp/j.db" --state "$tmp/state.json" >/dev/null 2>"$tmp/err" \
    || fail "apply: $(cat "$tmp/err")"
grep -q '3 actions (3 new), 3 done' "$tmp/err" || fail "$(cat "$tmp/err")"
[[ $(cat /sys/fs/cgroup/cpu/$parent/batch/cpu.cfs_quota_us) == 90000 ]] || fail "batch quota"
[[ $(cat /sys/fs/cgroup/cpuset/$parent/web/cpuset.cpus) == 1 ]] || fail "web cpuset"
[[ $(cat /sys/fs/cgroup/cpu/$parent/cpu.shares) == 102400 ]] || fail "parent weight"
grep -q "cpu:/$parent/batch" /proc/$sp/cgroup || fail "pid not moved"
# The same plan again: nothing new.
"$HR_BIN" partition --host "$tmp/h.yaml" --apply --journal "$tmp/j.db" --state "$tmp/state.json" >/dev/null 2>"$tmp/err"
grep -q '3 actions (0 new)' "$tmp/err" || fail "re-apply: $(cat "$tmp/err")"
# The forecast moves batch: hysteresis keeps nothing (1700 vs 900 is far), new actions run.
"$HR_BIN" partition --host "$tmp/h.yaml" --forecast "$HR_TEST_DATA/act/forecast-edge.json" --apply \
    --journal "$tmp/j.db" --state "$tmp/state.json" >/dev/null 2>"$tmp/err" || fail "$(cat "$tmp/err")"
kill "$sp"; wait "$sp" 2>/dev/null || true; sp=
echo "partition: ok"
