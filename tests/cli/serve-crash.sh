#!/usr/bin/env bash
# The durability promise: writers stream samples (JSON and line protocol)
# while the daemon is killed with SIGKILL at random moments, 20 times, and
# restarted; afterwards every acknowledged sample is there, exactly.
# HR_CRASH_ROUNDS overrides the number of kills (at least 20 by default).
set -euo pipefail
: "${HR_BIN:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$HR_BIN" token create --data "$tmp/d" --scope write >"$tmp/tok"
python3 - "$HR_BIN" "$tmp" "${HR_CRASH_ROUNDS:-20}" <<'PY'
import http.client, os, random, signal, subprocess, sys, threading, time, json

hr, tmp, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
tok = open(f"{tmp}/tok").read().strip()
portfile = f"{tmp}/port"
random.seed(7)

def start():
    if os.path.exists(portfile):
        os.unlink(portfile)
    p = subprocess.Popen([hr, "serve", "--data", f"{tmp}/d", "--listen", "127.0.0.1:0",
                          "--port-file", portfile], stderr=open(f"{tmp}/log", "a"))
    for _ in range(400):
        if os.path.exists(portfile) and open(portfile).read().strip():
            return p, int(open(portfile).read())
        time.sleep(0.01)
    raise SystemExit("daemon did not start")

state = {"port": None}
stop = threading.Event()
acked = {}  # series -> {t: v}
lock = threading.Lock()

def post(path, body, ctype):
    c = http.client.HTTPConnection("127.0.0.1", state["port"], timeout=10)
    try:
        c.request("POST", path, body, {"Authorization": f"Bearer {tok}", "Content-Type": ctype})
        return c.getresponse().status
    finally:
        c.close()

def writer(kind, series):
    t = 1700000000
    while not stop.is_set():
        batch = [(t + 10 * i, (t + 10 * i) * 0.5 - 7) for i in range(random.randint(1, 300))]
        if kind == "json":
            body = json.dumps({"series": series, "samples": batch})
            path, ctype = "/api/v1/samples", "application/json"
        else:
            body = "".join(f"{series} value={v!r} {ts}\n" for ts, v in batch)
            path, ctype = "/api/v1/write?precision=s", "text/plain"
        try:
            status = post(path, body, ctype)
        except (OSError, http.client.HTTPException):
            time.sleep(0.02)  # the daemon is down: retry the same batch
            continue
        if status != 204:
            raise SystemExit(f"{series}: status {status}")
        with lock:
            acked.setdefault(series, {}).update(batch)
        t = batch[-1][0] + 10

proc, state["port"] = start()
threads = [threading.Thread(target=writer, args=a) for a in
           (("json", "crash.a"), ("json", "crash.b"), ("lp", "crash.lp"))]
for th in threads:
    th.start()
kills = 0
try:
    for _ in range(rounds):
        time.sleep(random.uniform(0.05, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        proc, state["port"] = start()
    time.sleep(0.3)
finally:
    stop.set()
    for th in threads:
        th.join()

# Read everything back and compare.
total = 0
for series, want in acked.items():
    c = http.client.HTTPConnection("127.0.0.1", state["port"], timeout=30)
    c.request("GET", f"/api/v1/series/{series}/samples?limit=1000000",
              headers={"Authorization": f"Bearer {tok}"})
    r = c.getresponse()
    assert r.status == 200, r.status
    got = {t: v for t, v in json.load(r)["samples"]}
    missing = [t for t in want if t not in got]
    wrong = [t for t in want if t in got and got[t] != want[t]]
    assert not missing, f"{series}: {len(missing)} acknowledged samples lost, first {missing[:3]}"
    assert not wrong, f"{series}: {len(wrong)} samples changed"
    total += len(want)
proc.send_signal(signal.SIGTERM)
assert proc.wait() == 0
assert kills >= rounds and total > 0
print(f"serve-crash: {kills} SIGKILLs, {total} acknowledged samples in {len(acked)} series, none lost")
PY
