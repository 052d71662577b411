#!/usr/bin/env python3
"""Write the README's synthetic NAB detectors (check values) as results dirs.

usage: nab_synth.py NAB_DIR OUT_DIR
Creates OUT_DIR/<name>/<category>/<file>.csv for the detectors first, mid,
last, after, all and hash, from the data files and combined_windows.json.
"""
import json, os, sys

nab, out = sys.argv[1], sys.argv[2]
wins = json.load(open(os.path.join(nab, "combined_windows.json")))
for key, wl in wins.items():
    rows = [l.split(",")[0] for l in open(os.path.join(nab, "data", key)).read().splitlines()[1:]]
    n = len(rows)
    edges = []
    for a, b in wl:
        a, b = a.split(".")[0], b.split(".")[0]
        edges.append((rows.index(a), rows.index(b)))
    dets = {
        "first": {l for l, r in edges},
        "mid": {(l + r) // 2 for l, r in edges},
        "last": {r for l, r in edges},
        "after": {r + 1 for l, r in edges},
        "all": set(range(n)),
    }
    for name, ones in list(dets.items()) + [("hash", None)]:
        d = os.path.join(out, name, os.path.dirname(key))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(out, name, key), "w") as f:
            f.write("timestamp,anomaly_score\n")
            for i, t in enumerate(rows):
                s = ((i * 7919) % 1000) / 1000 if ones is None else (1.0 if i in ones else 0.0)
                f.write("%s,%r\n" % (t, s))
