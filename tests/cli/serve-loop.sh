#!/usr/bin/env bash
# The control loop inside the daemon: a demo fleet of 8 workloads on the sim
# driver, PlanetLab samples ingested round by round, the loop every second.
# observe mode: GET /api/v1/plan returns a proposed plan whose actions carry
# reasons, nothing acted; approve marks it approved and the next round
# carries it out, once (a second approve or apply is a 409); predictive
# mode: plans are applied by the loop and journaled; loop.driver none: the
# plan endpoints answer 503.
set -euo pipefail
: "${HR_BIN:?}" "${HR_TEST_DATA:?}"
tmp=$(mktemp -d)
pid=
cleanup() {
    [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$tmp/log" ]] && tail -20 "$tmp/log" >&2; exit 1; }
jq_() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

start() { # start CONFIG
    rm -f "$tmp/port"
    "$HR_BIN" serve --config "$1" --data "$tmp/d" --listen 127.0.0.1:0 \
        --port-file "$tmp/port" 2>"$tmp/log" &
    pid=$!
    for _ in $(seq 100); do [[ -s "$tmp/port" ]] && break; sleep 0.05; done
    [[ -s "$tmp/port" ]] || fail "the daemon did not start"
    url="http://127.0.0.1:$(cat "$tmp/port")"
}
stop() { kill -TERM "$pid"; wait "$pid"; pid=; }
rounds() { api "$url/api/v1/fleets/default/mode" | jq_ 'd["loop_rounds"]'; }
wait_rounds() { # wait_rounds K: until K more rounds ran (20 s at most)
    local want=$(($(rounds) + $1))
    for _ in $(seq 200); do [[ $(rounds) -ge $want ]] && return; sleep 0.1; done
    fail "the loop ran no $1 rounds"
}

tok=$("$HR_BIN" token create --data "$tmp/d" --scope admin)
auth=(-H "Authorization: Bearer $tok")
api() { curl -sf "${auth[@]}" "$@"; }
code() { curl -s -o "$tmp/body" -w '%{http_code}' "${auth[@]}" "$@"; }
printf 'loop:\n  interval: 1s\n  sim_step: 300s\n  driver: sim\n' >"$tmp/cfg.yaml"
start "$tmp/cfg.yaml"
grep -q "control loop every 1 s on the sim driver" "$tmp/log" || fail "loop start logged"
[[ $(api "$url/api/v1/fleets/default/mode" | jq_ 'd["loop_running"]') == True ]] || fail "running"
# No workload yet: no plan.
sleep 1.2
[[ $(code "$url/api/v1/plan") == 404 ]] || fail "plan before any workload: $(cat "$tmp/body")"

# 8 workloads over the three bundled PlanetLab traces (shifted by 0, 96, 192 steps).
mapfile -t files < <(find "$HR_TEST_DATA/planetlab" -type f ! -name README.md | sort)
for i in $(seq 0 7); do
    api -o /dev/null -d "{\"name\":\"vm$i\",\"series\":\"vm.cpu,vm=vm$i\"}" "$url/api/v1/workloads"
done
# A second fleet, "lab", of three workloads over the same series: its own
# twin, mode and plan.
for i in 0 1 2; do
    api -o /dev/null -d "{\"name\":\"lab$i\",\"fleet\":\"lab\",\"series\":\"vm.cpu,vm=vm$i\"}" "$url/api/v1/workloads"
done
t0=$(($(date +%s) - 86400))
ingest() { # ingest FIRST_STEP COUNT: steps of every VM's trace
    for i in $(seq 0 7); do
        f=${files[$((i % 3))]}
        awk -v i="$i" -v s="$1" -v n="$2" -v t0="$t0" -v off="$(((i / 3) * 96))" \
            'NR > s + off && NR <= s + off + n {
                printf "vm.cpu,vm=vm%d value=%s %d\n", i, $1, t0 + 300 * (NR - off - 1) }' "$f"
    done | api --data-binary @- "$url/api/v1/write?precision=s"
}
# Rounds of samples: one batch of 5 steps a round, as the loop runs.
for k in $(seq 0 7); do
    ingest $((k * 5)) 5
    wait_rounds 1
done
plan=$(api "$url/api/v1/plan")
echo "$plan" | jq_ 'd["mode"], d["policy"], d["status"], len(d["actions"])' | tr '\n' ' '
echo
[[ $(echo "$plan" | jq_ 'd["mode"]') == observe ]] || fail "default mode observe: $plan"
[[ $(echo "$plan" | jq_ 'd["policy"]') == predictive ]] || fail "observe plans with predictive"
[[ $(echo "$plan" | jq_ 'd["driver"]') == sim ]] || fail "driver"
[[ $(echo "$plan" | jq_ 'd.get("checked_round", d["round"]) >= 7') == True ]] || fail "rounds: $plan"
n=$(echo "$plan" | jq_ 'len(d["actions"])')
[[ $n -ge 1 ]] || fail "observe: no action proposed: $plan"
# Every action: kind, workload, from, to and a reason in words.
echo "$plan" | jq_ 'all(a["kind"] == "migrate" and a["workload"].startswith("vm") and
    a["from"].startswith("sim-host-") and a["to"].startswith("sim-host-") and a["from"] != a["to"]
    and ("forecast" in a["reason"]) for a in d["actions"])' | grep -qx True || fail "actions: $plan"
[[ $(echo "$plan" | jq_ 'd["applied"]') == 0 ]] || fail "observe acted: $plan"
id=$(echo "$plan" | jq_ 'd["id"]')
# The plans table has it (the journal not yet: nothing was carried out).
api "$url/api/v1/journal" | jq_ '[e["kind"] for e in d["items"]]' | grep -q plan && fail "journaled"
# Approve with a wrong id: 409 naming id; then approve it: approved now,
# carried out at the next round (the fleet has not changed), once.
[[ $(code -d '{"id": 999999}' "$url/api/v1/plan/approve") == 409 ]] || fail "wrong id"
grep -q '"field": *"id"' "$tmp/body" || fail "wrong id names the field: $(cat "$tmp/body")"
[[ $(code -d '{"id": "x"}' "$url/api/v1/plan/approve") == 400 ]] || fail "bad id"
# (a round may replace the proposal meanwhile: then approve the new one)
for _ in 1 2 3; do
    [[ $(code -d "{\"id\": $id}" "$url/api/v1/plan/approve") == 200 ]] && break
    id=$(api "$url/api/v1/plan" | jq_ 'd["id"]')
done
r=$(cat "$tmp/body")
[[ $(echo "$r" | jq_ 'd["status"], d["applied"]' | tr '\n' ' ') == "approved 0 " ]] || fail "approve: $r"
echo "$r" | jq_ 'd["note"]' | grep -q "next loop round" || fail "approve says when: $r"
[[ $(code -d "{\"id\": $id}" "$url/api/v1/plan/approve") == 409 ]] || fail "second approve: $(cat "$tmp/body")"
# The round after the approval carries it out and journals it (a later
# round then plans afresh).
for _ in $(seq 100); do
    r=$(api "$url/api/v1/journal" | jq_ "json.dumps([e['body'] for e in d['items'] if e['kind'] == 'plan' and e['body']['id'] == $id])")
    [[ $r != "[]" ]] && break
    sleep 0.1
done
[[ $(echo "$r" | jq_ 'd[0]["status"]') == applied ]] || fail "approved plan not carried out: $r"
[[ $(echo "$r" | jq_ 'd[0]["applied"] >= 1 and not d[0]["dry_run"]') == True ]] || fail "approve applied nothing: $r"
[[ $(code -d "{\"id\": $id}" "$url/api/v1/plan/apply") == 409 ]] || fail "second apply: $(cat "$tmp/body")"
# read scope may read the plan, not approve it
rtok=$(api -d '{"scope":"read"}' "$url/api/v1/tokens" | jq_ 'd["token"]')
[[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $rtok" "$url/api/v1/plan") == 200 ]] ||
    fail "read scope reads the plan"
[[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $rtok" -d '{}' \
    "$url/api/v1/plan/approve") == 403 ]] || fail "read scope approves"

# Switch to reactive, then predictive: the loop plans with their policies and acts.
api -o /dev/null -X PUT -d '{"mode":"reactive"}' "$url/api/v1/fleets/default/mode"
ingest 40 3
wait_rounds 2
plan=$(api "$url/api/v1/plan")
[[ $(echo "$plan" | jq_ 'd["mode"], d["policy"], d["status"]' | tr '\n' ' ') == "reactive thr-mmt applied " ]] ||
    fail "reactive plan: $plan"
api -o /dev/null -X PUT -d '{"mode":"predictive"}' "$url/api/v1/fleets/default/mode"
ingest 43 3
wait_rounds 2
plan=$(api "$url/api/v1/plan")
[[ $(echo "$plan" | jq_ 'd["mode"], d["policy"], d["status"]' | tr '\n' ' ') == "predictive predictive applied " ]] ||
    fail "predictive plan: $plan"
# The other fleet stayed in observe mode with its own plan over its own workloads.
plan=$(api "$url/api/v1/fleets/lab/plan")
[[ $(echo "$plan" | jq_ 'd["fleet"], d["mode"], d["status"], d["dry_run"]' | tr '\n' ' ') == "lab observe proposed True " ]] ||
    fail "fleet lab: $plan"
echo "$plan" | jq_ 'all(a["workload"].startswith("lab") for a in d["actions"]) and d["summary"] != ""' |
    grep -qx True || fail "fleet lab's actions: $plan"
stop
grep -q "loop:" "$tmp/log" && fail "loop errors logged: $(grep loop: "$tmp/log")"

# loop.driver none: no loop, the plan endpoints answer 503; an unknown driver is refused.
printf 'loop:\n  driver: none\n' >"$tmp/none.yaml"
start "$tmp/none.yaml"
[[ $(code "$url/api/v1/plan") == 503 ]] || fail "driver none: plan"
[[ $(api "$url/api/v1/fleets/default/mode" | jq_ 'd["loop_running"]') == False ]] || fail "not running"
stop
printf 'loop:\n  driver: libvirt\n' >"$tmp/bad.yaml"
if "$HR_BIN" serve --config "$tmp/bad.yaml" --data "$tmp/d" --listen 127.0.0.1:0 2>"$tmp/log"; then
    fail "unknown driver accepted"
fi
grep -q 'loop.driver: "libvirt"' "$tmp/log" || fail "unknown driver message: $(cat "$tmp/log")"
echo "serve-loop: ok"
