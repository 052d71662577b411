#!/usr/bin/env bash
# The acceptance contract of `headroom vm`: two network namespaces joined by a
# veth pair stand for two hosts; a micro-VM is created in one, ballooned,
# live-migrated to the other (its console goes on there), listed and stopped.
# Then a migration whose caller is killed with SIGKILL half-way is resumed from
# the journal by running the same command again. Needs root, QEMU and the
# guest (built by scripts/build-guest.sh on first use); without them it says
# so and skips, except in CI (CI=true), where it fails.
set -euo pipefail
: "${HR_BIN:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
need() {
    if [[ ${CI:-} == true ]]; then fail "$*"; fi
    echo "SKIP: $*"; exit 0
}
[[ $(id -u) -eq 0 ]] || need "vm tests need root (network namespaces, QEMU in them)"
command -v qemu-system-x86_64 >/dev/null || need "qemu-system-x86_64 is not installed (scripts/deps.sh)"
command -v ip >/dev/null || need "ip (iproute2) is not installed"

tag=$$
a="hrvm${tag}a" b="hrvm${tag}b"
export HEADROOM_VM_DIR
HEADROOM_VM_DIR=$(mktemp -d /tmp/hr-vm-test-XXXXXX)
cleanup() {
    # Every QEMU this test started, by pid (pid files of every generation).
    for f in "$HEADROOM_VM_DIR"/*/qemu.pid "$HEADROOM_VM_DIR"/*/gen*/qemu.pid; do
        [[ -f $f ]] && kill -9 "$(cat "$f")" 2>/dev/null || true
    done
    [[ -n ${bg:-} ]] && kill -9 "$bg" 2>/dev/null || true
    ip netns del "$a" 2>/dev/null || true
    ip netns del "$b" 2>/dev/null || true
    rm -rf "$HEADROOM_VM_DIR"
}
trap cleanup EXIT
ip netns add "$a"
ip netns add "$b"
ip link add "v${tag}a" netns "$a" type veth peer name "v${tag}b" netns "$b"
ip -n "$a" addr add 10.203.0.1/24 dev "v${tag}a"
ip -n "$b" addr add 10.203.0.2/24 dev "v${tag}b"
for n in "$a" "$b"; do ip -n "$n" link set lo up; done
ip -n "$a" link set "v${tag}a" up
ip -n "$b" link set "v${tag}b" up

field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
alive() { kill -0 "$1" 2>/dev/null && [[ $(awk '{print $3}' /proc/"$1"/stat) != Z ]]; }
# Wait for a line on a console log (no sleeps: a bounded poll on the file).
wait_console() {
    local log=$1 pat=$2 end=$((SECONDS + 60))
    until grep -aq "$pat" "$log" 2>/dev/null; do
        ((SECONDS < end)) || fail "no /$pat/ in $log after 60 s"
        read -rt 0.05 <> <(:) || true
    done
}

# create
out=$("$HR_BIN" vm create t1 --memory 128 --netns "$a" --json)
pid1=$(field "$out" pid)
[[ $(field "$out" name) == t1 && -S $(field "$out" qmp) ]] || fail "create: $out"
(($(field "$out" boot_ms) > 0)) || fail "boot_ms: $out"
alive "$pid1" || fail "QEMU $pid1 not running"
grep -q "hrvm${tag}a" <(ip netns identify "$pid1") || fail "QEMU not in netns $a"
echo "create: boot $(field "$out" boot_ms) ms"

# balloon
out=$("$HR_BIN" vm balloon t1 --target 96 --json)
[[ $(field "$out" actual_mib) == 96 ]] || fail "balloon: $out"

# migrate a -> b
out=$("$HR_BIN" vm migrate t1 --to-netns "$b" --json)
[[ $(field "$out" status) == completed ]] || fail "migrate: $out"
pid2=$(field "$out" pid)
[[ $pid2 != "$pid1" ]] || fail "same pid after migration"
alive "$pid2" || fail "destination QEMU $pid2 not running"
! alive "$pid1" || fail "source QEMU $pid1 still running"
grep -q "hrvm${tag}b" <(ip netns identify "$pid2") || fail "destination not in netns $b"
(($(field "$out" total_ms) > 0 && $(field "$out" bytes) > 1000000)) || fail "figures: $out"
echo "migrate: total $(field "$out" total_ms) ms, downtime $(field "$out" downtime_ms) ms, $(field "$out" bytes) bytes"
# The guest goes on ticking on the destination.
wait_console "$HEADROOM_VM_DIR/t1/gen1/console.log" "TICK"

# ls
out=$("$HR_BIN" vm ls --json)
/usr/bin/python3 - "$out" "$pid2" "$b" <<'PY'
import json, sys
v = json.loads(sys.argv[1])
assert len(v) == 1 and v[0]["name"] == "t1" and v[0]["state"] == "running", v
assert v[0]["pid"] == int(sys.argv[2]) and v[0]["netns"] == sys.argv[3], v
PY

# bad input changes nothing
set +e
"$HR_BIN" vm balloon nosuch --target 64 2>"$HEADROOM_VM_DIR/err"; rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q "no VM in $HEADROOM_VM_DIR/nosuch" "$HEADROOM_VM_DIR/err" || fail "unknown VM: $rc"
set +e
"$HR_BIN" vm create t9 --memory 64 --guest /nonexistent 2>"$HEADROOM_VM_DIR/err"; rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q "missing kernel or initrd: /nonexistent/vmlinuz" "$HEADROOM_VM_DIR/err" \
    || fail "missing kernel: $rc $(cat "$HEADROOM_VM_DIR/err")"
[[ ! -e $HEADROOM_VM_DIR/t9 ]] || fail "t9 directory made for a failed create"
set +e
"$HR_BIN" vm migrate t1 --to-netns nosuchns 2>"$HEADROOM_VM_DIR/err"; rc=$?
set -e
[[ $rc -eq 1 ]] || fail "migrate to a missing netns: exit $rc"
alive "$pid2" || fail "a failed migration request hurt the VM"

# stop
"$HR_BIN" vm stop t1
! alive "$pid2" || fail "stop left QEMU $pid2"
[[ ! -e $HEADROOM_VM_DIR/t1 ]] || fail "stop left the VM directory"

# Crash in the middle of a migration: the caller dies, QEMU goes on, the
# same command again reconciles from the journal (no second destination).
out=$("$HR_BIN" vm create t2 --memory 128 --netns "$a" --json)
src=$(field "$out" pid)
"$HR_BIN" vm migrate t2 --to-netns "$b" --max-bandwidth 8388608 --json >/dev/null 2>&1 &
bg=$!
db="$HEADROOM_VM_DIR/journal.db"
end=$((SECONDS + 60))
until /usr/bin/python3 - "$db" <<'PY' 2>/dev/null
import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute(
    "select state, result from hr_act_action where kind='vm.migrate' and target='t2'").fetchone()
sys.exit(0 if r and r[0] == "running" and r[1] and '"status":"active"' in r[1] else 1)
PY
do
    ((SECONDS < end)) || fail "the migration never started"
    read -rt 0.05 <> <(:) || true
done
kill -9 "$bg"
wait "$bg" 2>/dev/null || true
bg=
alive "$src" || fail "source died with its caller"
out=$("$HR_BIN" vm migrate t2 --to-netns "$b" --max-bandwidth 8388608 --json)
[[ $(field "$out" status) == completed ]] || fail "resumed migration: $out"
[[ $(field "$out" attempts) == 1 ]] || fail "the migration was started again: $out"
dst=$(field "$out" pid)
alive "$dst" && ! alive "$src" || fail "after resume: src $src dst $dst"
[[ $(pgrep -c -f "$HEADROOM_VM_DIR/t2/") -eq 1 ]] || fail "more than one QEMU for t2"
echo "crash mid-migration: resumed, total $(field "$out" total_ms) ms"
"$HR_BIN" vm stop t2
echo "vm: ok"
