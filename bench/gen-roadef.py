#!/usr/bin/env python3
"""Generate a B-size ROADEF/EURO 2012 instance and a valid initial assignment.

    bench/gen-roadef.py OUT_MODEL OUT_ASSIGNMENT [--machines 5000] [--processes 50000]

12 resources (4 transient), 5 neighbourhoods (machine m in m % 5), 50
locations, services of 10 processes on consecutive machines (distinct
machines, every neighbourhood, so every dependency holds), a dependency
from every third service on the next, one balance objective, the
challenge's weights. Capacities are the initial usage plus 5-40 % slack and
safety capacities 85 % of them, so the initial assignment is valid and
has load cost to remove. Deterministic (seed 2012).
"""
import argparse
import random

ap = argparse.ArgumentParser()
ap.add_argument("model")
ap.add_argument("assignment")
ap.add_argument("--machines", type=int, default=5000)
ap.add_argument("--processes", type=int, default=50000)
a = ap.parse_args()
rnd = random.Random(2012)
M, P, R, per = a.machines, a.processes, 12, 10
S = (P + per - 1) // per
serv = [p // per for p in range(P)]
mach = [0] * P
for s in range(S):
    base = rnd.randrange(M)
    for i, p in enumerate(range(s * per, min(P, (s + 1) * per))):
        mach[p] = (base + i) % M
req = [[rnd.randint(1, 100) * (1 + (p % 7 == 0) * 9) for _ in range(R)] for p in range(P)]
use = [[0] * R for _ in range(M)]
for p in range(P):
    u = use[mach[p]]
    for r in range(R):
        u[r] += req[p][r]
out = [f"{R}"]
out += [f"{1 if r < 4 else 0} 10" for r in range(R)]
out.append(f"{M}")
for m in range(M):
    cap = [use[m][r] + 20 + use[m][r] * rnd.randint(5, 40) // 100 for r in range(R)]
    sc = [c * 85 // 100 for c in cap]
    mmc = ["0" if k == m else str(abs(k // 100 - m // 100) % 3) for k in range(M)]
    out.append(f"{m % 5} {m % 50} " + " ".join(map(str, cap + sc)) + " " + " ".join(mmc))
out.append(f"{S}")
for s in range(S):
    out.append(f"1 1 {(s + 1) % S}" if s % 3 == 0 and S > 1 else "1 0")
out.append(f"{P}")
for p in range(P):
    out.append(f"{serv[p]} " + " ".join(map(str, req[p])) + " 1")
out += ["1", "0 1 2 10", "1 10 100"]
with open(a.model, "w") as f:
    f.write("\n".join(out) + "\n")
with open(a.assignment, "w") as f:
    f.write(" ".join(map(str, mach)) + "\n")
