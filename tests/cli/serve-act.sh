#!/usr/bin/env bash
# The control loop on the real driver (loop.driver: act): a fake workload
# (a sleep) in a real cgroup, registered through the API in fleet "edge"
# with its host, its telemetry ingested as `headroom agent` would push it
# (cgroup.cpu_cores / cgroup.mem_bytes). observe: the plan is a dry-run
# resize with its reason, the cgroup untouched; predictive: the loop resizes
# the cgroup (CPU quota and memory limit from the host's partition),
# journaled in lib/act's journal before it ran; no change: the plan is empty
# and says why; a quota changed behind its back: put back; a demand rise: resized again; observe + apply: carried out
# at once; approved, then the fleet changes: re-planned, not carried out;
# loop.dry_run: validated, not carried out. Needs root and writable cgroups
# (else exit 77: skipped).
set -euo pipefail
: "${HR_BIN:?}"
skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "serve-act needs root (it makes cgroups)"
tmp=$(mktemp -d)
parent="hr-cli-act-$$"
pid= sp=
cleanup() {
    [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
    [[ -n $sp ]] && kill -9 "$sp" 2>/dev/null
    wait 2>/dev/null || true
    while read -r d; do
        for g in "$d"/*/; do [[ -d $g ]] && rmdir "$g" 2>/dev/null; done
        rmdir "$d" 2>/dev/null || true
    done < <(find /sys/fs/cgroup -maxdepth 6 -type d -name "$parent" 2>/dev/null)
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$tmp/log" ]] && tail -20 "$tmp/log" >&2; exit 1; }
jq_() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# The workload's cgroup, made here where the daemon's driver puts its groups:
# under loop.cgroup_parent below this process's (and so the daemon's) own cgroup.
own() { awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup; }
if [[ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us && -d /sys/fs/cgroup/memory ]]; then
    cpu_dir=/sys/fs/cgroup/cpu$(own cpu)/$parent/fake
    mem_dir=/sys/fs/cgroup/memory$(own memory)/$parent/fake
    quota() { cat "$cpu_dir/cpu.cfs_quota_us"; }
    set_quota() { echo "$1" >"$cpu_dir/cpu.cfs_quota_us"; }
    memlim() { cat "$mem_dir/memory.limit_in_bytes"; }
elif [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    cpu_dir=/sys/fs/cgroup$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)/$parent/fake
    cpu_dir=${cpu_dir//\/\//\/}
    mem_dir=$cpu_dir
    quota() { local q; read -r q _ <"$cpu_dir/cpu.max"; [[ $q == max ]] && echo -1 || echo "$q"; }
    set_quota() { echo "$1 100000" >"$cpu_dir/cpu.max"; }
    memlim() { cat "$mem_dir/memory.max"; }
else
    skip "no cgroup v1 cpu+memory or v2 hierarchy"
fi
mkdir -p "$cpu_dir" "$mem_dir" 2>/dev/null || skip "cgroups not writable ($cpu_dir)"
sleep 600 & sp=$!
echo "$sp" >"$cpu_dir/cgroup.procs" 2>/dev/null || skip "cannot move a process into $cpu_dir"
[[ $mem_dir == "$cpu_dir" ]] || echo "$sp" >"$mem_dir/cgroup.procs"
q0=$(quota) m0=$(memlim)

# The daemon on the act driver, a round a second.
printf 'loop:\n  interval: 1s\n  driver: act\n  cgroup_parent: %s\n' "$parent" >"$tmp/cfg.yaml"
tok=$("$HR_BIN" token create --data "$tmp/d" --scope admin)
"$HR_BIN" serve --config "$tmp/cfg.yaml" --data "$tmp/d" --listen 127.0.0.1:0 \
    --port-file "$tmp/port" 2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do [[ -s "$tmp/port" ]] && break; sleep 0.05; done
[[ -s "$tmp/port" ]] || fail "the daemon did not start"
url="http://127.0.0.1:$(cat "$tmp/port")"
for _ in $(seq 100); do grep -q "control loop every 1 s on the act driver" "$tmp/log" && break; sleep 0.05; done
grep -q "control loop every 1 s on the act driver" "$tmp/log" || fail "loop start logged"
auth=(-H "Authorization: Bearer $tok")
api() { curl -sf "${auth[@]}" "$@"; }
code() { curl -s -o "$tmp/body" -w '%{http_code}' "${auth[@]}" "$@"; }
plan() { api "$url/api/v1/fleets/edge/plan"; }
fleet=edge
wait_plan() { # wait_plan PYTHON-CONDITION: until $fleet's plan satisfies it (20 s at most)
    for _ in $(seq 200); do
        p=$(curl -s "${auth[@]}" "$url/api/v1/fleets/$fleet/plan")
        [[ $(echo "$p" | jq_ "$1" 2>/dev/null) == True ]] && return
        sleep 0.1
    done
    fail "plan never met $1: $p"
}

# A host of 2 cores and 1 GiB; the workload on it, in fleet edge.
api -o /dev/null -d '{"name":"h1","fleet":"edge","cpus":2,"mem_bytes":1073741824}' "$url/api/v1/hosts"
api -o /dev/null -d "{\"name\":\"fake\",\"fleet\":\"edge\",\"host\":\"h1\",\"cgroup\":\"fake\",\"pids\":[$sp],
    \"series\":\"cgroup.cpu_cores,cgroup=fake,host=h1\",\"mem_series\":\"cgroup.mem_bytes,cgroup=fake,host=h1\"}" \
    "$url/api/v1/workloads"
ingest() { # ingest FIRST COUNT CPU_BASE: 5-minute samples ending now
    local now; now=$(date +%s)
    awk -v f="$1" -v n="$2" -v c="$3" -v now="$now" 'BEGIN {
        for (i = f; i < f + n; i++)
            printf "cgroup,host=h1,cgroup=fake cpu_cores=%.3f,mem_bytes=%d %d\n",
                c + 0.05 * (i % 3), 50 * 1048576 + 1048576 * (i % 4), now - 300 * (f + n - 1 - i) }'
}
ingest 0 24 0.20 | api --data-binary @- "$url/api/v1/write?precision=s"

# observe (the default): a proposed resize, a dry run with its reason; nothing acted.
wait_plan 'len(d["actions"]) == 1'
[[ $(echo "$p" | jq_ 'd["mode"], d["driver"], d["status"], d["dry_run"]' | tr '\n' ' ') == "observe act proposed True " ]] ||
    fail "observe plan: $p"
echo "$p" | jq_ 'd["actions"][0]["kind"], d["actions"][0]["workload"], d["actions"][0]["reason"]' | tr '\n' ' '
echo
[[ $(echo "$p" | jq_ 'd["actions"][0]["kind"] == "resize" and d["actions"][0]["cgroup"] == "fake" and
    d["actions"][0]["reason"].startswith("cpu p99 ")') == True ]] || fail "resize action: $p"
[[ $(quota) == "$q0" && $(memlim) == "$m0" ]] || fail "observe changed the cgroup"
[[ $(code "$url/api/v1/plan") == 404 ]] || fail "fleet default has no plan: $(cat "$tmp/body")"
grep -q 'fleet default' "$tmp/body" || fail "404 names the fleet: $(cat "$tmp/body")"

# predictive: the loop resizes the cgroup, journaled.
api -o /dev/null -X PUT -d '{"mode":"predictive"}' "$url/api/v1/fleets/edge/mode"
wait_plan 'd["status"] == "applied" and len(d["actions"]) == 1'
a=$(echo "$p" | jq_ 'json.dumps(d["actions"][0])')
[[ $(echo "$a" | jq_ 'd["state"]') == done ]] || fail "resize not done: $p"
want_q=$(echo "$a" | jq_ 'd["cpu_quota_usec"]') want_m=$(echo "$a" | jq_ 'd["mem_max"]')
jid=$(echo "$a" | jq_ 'd["journal_id"]')
[[ $(quota) == "$want_q" ]] || fail "cpu quota $(quota), the plan says $want_q (was $q0)"
[[ $(quota) != "$q0" ]] || fail "cpu quota unchanged"
# The CPU limit is the p99 forecast: above the newest demand (0.20-0.30 cores), below a core.
[[ $want_q -ge 25000 && $want_q -le 100000 ]] || fail "cpu quota $want_q out of [25000, 100000]"
m=$(memlim)
[[ $((m > want_m ? m - want_m : want_m - m)) -lt 4096 ]] || fail "memory limit $m, the plan says $want_m"
[[ $m != "$m0" ]] || fail "memory limit unchanged"
grep -q "^$sp\$" "$cpu_dir/cgroup.procs" || fail "the workload left its cgroup"
# lib/act's journal: the action, done, with its events (pending -> running -> done).
/usr/bin/python3 - "$tmp/d/act-journal.db" "$jid" "$want_q" <<'PY' || fail "act journal"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
kind, target, state, params, key = db.execute(
    "SELECT kind, target, state, params, key FROM hr_act_action WHERE id = ?", (int(sys.argv[2]),)).fetchone()
assert (kind, target, state) == ("cgroup", "fake", "done"), (kind, target, state)
assert key.startswith("loop/edge/"), key
assert json.loads(params)["cpu_quota_usec"] == int(sys.argv[3]), params
states = [s for (s,) in db.execute("SELECT state FROM hr_act_event WHERE action_id = ? ORDER BY id", (int(sys.argv[2]),))]
assert states[0] == "pending" and states[-1] == "done" and "running" in states, states
PY
api "$url/api/v1/journal" | jq_ "any(e['kind'] == 'plan' and e['body']['fleet'] == 'edge' and
    e['body']['actions'][0].get('journal_id') == $jid for e in d['items'])" | grep -qx True || fail "daemon journal"

# Nothing new: the next plans are empty and say why.
wait_plan 'd["status"] == "applied" and not d["actions"]'
echo "$p" | jq_ 'd["summary"]'
echo "$p" | jq_ 'd["summary"]' | grep -q "^no action: 1 workloads on 1 hosts" || fail "empty plan summary: $p"

# Someone else sets the quota: the limit in force is the kernel's, so the
# next round puts it back.
set_quota 20000
wait_plan 'd["status"] == "applied" and len(d["actions"]) == 1'
[[ $(echo "$p" | jq_ 'd["actions"][0]["state"]') == done && $(quota) == "$want_q" ]] ||
    fail "quota set behind the loop's back: $(quota), plan $p"

# Demand rises to ~0.9 cores: resized again, upwards.
ingest 24 6 0.90 | api --data-binary @- "$url/api/v1/write?precision=s"
wait_plan "d['status'] == 'applied' and len(d['actions']) == 1 and d['actions'][0]['cpu_quota_usec'] > $want_q"
q2=$(echo "$p" | jq_ 'd["actions"][0]["cpu_quota_usec"]')
[[ $(echo "$p" | jq_ 'd["actions"][0]["state"]') == done && $(quota) == "$q2" ]] || fail "second resize: $p"

# observe again, demand falls: the proposal is applied at once by /plan/apply.
api -o /dev/null -X PUT -d '{"mode":"observe"}' "$url/api/v1/fleets/edge/mode"
ingest 30 6 0.10 | api --data-binary @- "$url/api/v1/write?precision=s"
wait_plan 'd["status"] == "proposed" and len(d["actions"]) == 1'
[[ $(quota) == "$q2" ]] || fail "observe acted"
id=$(echo "$p" | jq_ 'd["id"]')
for _ in 1 2 3; do
    [[ $(code -d "{\"id\": $id}" "$url/api/v1/fleets/edge/plan/apply") == 200 ]] && break
    id=$(plan | jq_ 'd["id"]')
done
r=$(cat "$tmp/body")
[[ $(echo "$r" | jq_ 'd["status"], d["applied"], d["actions"][0]["state"]' | tr '\n' ' ') == "applied 1 done " ]] ||
    fail "apply: $r"
q3=$(echo "$r" | jq_ 'd["actions"][0]["cpu_quota_usec"]')
[[ $(quota) == "$q3" && $q3 -lt $q2 ]] || fail "apply: quota $(quota), plan $q3 (before $q2)"
[[ $(code -d "{\"id\": $id}" "$url/api/v1/fleets/edge/plan/apply") == 409 ]] || fail "second apply"

# Approved, then the fleet changes (the workload's object) before the next
# round: not carried out; the round re-plans and says why.
for attempt in 1 2 3; do
    ingest $((36 + 6 * attempt)) 6 "0.$((3 + 2 * attempt))0" | api --data-binary @- "$url/api/v1/write?precision=s"
    wait_plan 'd["status"] == "proposed" and len(d["actions"]) == 1'
    id=$(echo "$p" | jq_ 'd["id"]')
    [[ $(code -d "{\"id\": $id}" "$url/api/v1/fleets/edge/plan/approve") == 200 ]] || continue
    api -o /dev/null -X PUT -d "{\"fleet\":\"edge\",\"host\":\"h1\",\"cgroup\":\"fake\",\"pids\":[$sp],\"priority\":$attempt,
        \"series\":\"cgroup.cpu_cores,cgroup=fake,host=h1\",\"mem_series\":\"cgroup.mem_bytes,cgroup=fake,host=h1\"}" \
        "$url/api/v1/workloads/fake"
    wait_plan "d['id'] != $id"
    echo "$p" | jq_ 'd.get("note", "")' | grep -q "plan $id was approved but the fleet changed" && break
done
echo "$p" | jq_ 'd.get("note", "")' | grep -q "plan $id was approved but the fleet changed" || fail "stale approval: $p"
[[ $(quota) == "$q3" ]] || fail "a stale approved plan was carried out"
api "$url/api/v1/journal" | jq_ "any(e['kind'] == 'plan' and e['body']['id'] == $id for e in d['items'])" |
    grep -qx False || fail "the stale plan was journaled as carried out"

# A second fleet, "solo": workloads whose host is not stored (this machine,
# "local"), in cgroups of their own; solo2 names a process that does not
# exist: its action fails, with the kernel's error, and solo1's still runs.
api -o /dev/null -d '{"name":"solo1","fleet":"solo","cgroup":"solo1","series":"cpu.solo1"}' "$url/api/v1/workloads"
api -o /dev/null -d '{"name":"solo2","fleet":"solo","cgroup":"solo2","pids":[2147483000],"series":"cpu.solo1"}' \
    "$url/api/v1/workloads"
printf 'cpu.solo1 value=0.5 %d\n' "$(date +%s)" | api --data-binary @- "$url/api/v1/write?precision=s"
api -o /dev/null -X PUT -d '{"mode":"predictive"}' "$url/api/v1/fleets/solo/mode"
fleet=solo
wait_plan 'd["status"] == "applied" and len(d["actions"]) == 2'
[[ $(echo "$p" | jq_ 'd["applied"]') == 1 ]] || fail "fleet solo applied: $p"
[[ $(echo "$p" | jq_ '[(a["workload"], a["from"], a["state"], a["cpu_quota_usec"]) for a in d["actions"]]') == \
    "[('solo1', 'local', 'done', 62500), ('solo2', 'local', 'failed', 62500)]" ]] || fail "fleet solo: $p"
echo "$p" | jq_ 'd["actions"][1]["error"]'
echo "$p" | jq_ 'd["actions"][1]["error"]' | grep -q "solo2/cgroup.procs: cannot write: No such process" ||
    fail "solo2's error: $p"
echo "$p" | jq_ 'd["actions"][0]["reason"]' | grep -qx "cpu p99 0.62 -> limit 0.62 cores; memory not measured" ||
    fail "solo1's reason: $p"
[[ $(cat "${cpu_dir%/fake}/solo1/cpu.cfs_quota_us" 2>/dev/null || awk '{print $1}' "${cpu_dir%/fake}/solo1/cpu.max") == 62500 ]] ||
    fail "solo1's quota"
[[ $(quota) == "$q3" ]] || fail "fleet solo touched fleet edge"
fleet=edge

kill -TERM "$pid"
wait "$pid" || fail "daemon exit"
pid=
grep -q "loop:" "$tmp/log" && fail "loop errors logged: $(grep loop: "$tmp/log")"

# loop.dry_run: the plan's actions are validated, none carried out.
printf 'loop:\n  interval: 1s\n  driver: act\n  cgroup_parent: %s\n  dry_run: true\n' "$parent" >"$tmp/dry.yaml"
"$HR_BIN" serve --config "$tmp/dry.yaml" --data "$tmp/d" --listen 127.0.0.1:0 \
    --port-file "$tmp/port2" 2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do [[ -s "$tmp/port2" ]] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$tmp/port2")"
api -o /dev/null -X PUT -d '{"mode":"predictive"}' "$url/api/v1/fleets/edge/mode"
wait_plan 'd["status"] == "applied" and len(d["actions"]) == 1'
[[ $(echo "$p" | jq_ 'd["dry_run"], d["applied"], d["actions"][0]["state"]' | tr '\n' ' ') == "True 0 dry-run " ]] ||
    fail "dry run: $p"
[[ $(quota) == "$q3" ]] || fail "dry run changed the cgroup"
kill -TERM "$pid"
wait "$pid" || fail "daemon exit"
pid=
echo "serve-act: ok"
