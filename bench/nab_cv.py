#!/usr/bin/env python3
"""Cross-validation over files for NAB detector configurations (issue 4).

    nab_cv.py NAB_DIR NAME=RESULTS_DIR [NAME=RESULTS_DIR...]

Each RESULTS_DIR holds one configuration's outputs for the 28 files (as
`headroom detect --nab` writes them). A small numpy re-implementation of
NAB's scorer (the same rules as lib/anomaly/nab.c; it reproduces the
published numenta 72.30 and windowedGaussian 26.52) scores them:
- per configuration: the full-set scores (threshold optimised on all files,
  NAB's procedure) and the mean over 4 folds of the training-fold score,
  the figure used to choose the one configuration;
- out of fold: for each fold (files in sorted order, fold = index mod 4; and
  the split artificial | realAWSCloudwatch), the configuration and its
  threshold are chosen on the other files and the held-out files are scored
  at that threshold; raw scores are summed over folds and normalised over
  all windows.
"""
import glob, json, math, os, sys
import numpy as np
NAB = None
PROF = {'standard': (1.0, 0.11, 1.0), 'reward_low_FP_rate': (1.0, 0.22, 1.0), 'reward_low_FN_rate': (1.0, 0.11, 2.0)}
def sig(x):
    return np.where(x > 3, -1.0, 2 / (1 + np.exp(5 * np.minimum(x, 3))) - 1)
S1 = float(sig(np.array(-1.0)))
_cache = {}
def load():
    if _cache: return _cache
    win = json.load(open(NAB + '/combined_windows.json'))
    files = {}
    for key, ws in win.items():
        ts = [l.split(',')[0] for l in open(NAB + '/data/' + key).read().split('\n')[1:] if l]
        n = len(ts)
        P = min(n * 15 // 100, 750)
        wl = []
        for a, b in ws:
            a = a.split('.')[0]; b = b.split('.')[0]
            wl.append((ts.index(a), ts.index(b)))
        files[key] = dict(n=n, P=P, win=wl)
    _cache.update(files)
    return _cache
def weights(f, prof):
    tp, fp, fn = PROF[prof]
    n = f['n']; w = np.full(n, -fp); wid = np.full(n, -1)
    for k, (L, R) in enumerate(f['win']):
        wl = R - L + 1
        i = np.arange(L, R + 1)
        w[L:R + 1] = tp * sig(-(R - i + 1) / wl) / S1
        wid[L:R + 1] = k
        end = f['win'][k + 1][0] if k + 1 < len(f['win']) else n
        j = np.arange(R + 1, end)
        w[R + 1:end] = fp * sig((j - R) / (wl - 1))
    return w, wid
def prep(scores, keys, prof):
    """rows: score, weight, window global id; plus window count"""
    F = load(); S = []; W = []; I = []; nw = 0
    for key in keys:
        f = F[key]; s = scores[key]; w, wid = weights(f, prof)
        P = f['P']
        g = np.where(wid >= 0, wid + nw, -1)
        # windows with at least one non-probationary row
        S.append(s[P:]); W.append(w[P:]); I.append(g[P:])
        nw += sum(1 for (L, R) in f['win'] if R >= P)
    return np.concatenate(S), np.concatenate(W), np.concatenate(I), nw
def raw_at(S, W, I, nw, prof, th):
    tp, fp, fn = PROF[prof]
    d = S >= th
    r = W[d & (I < 0)].sum()
    best = np.full(nw, -fn)
    if nw:
        m = d & (I >= 0)
        np.maximum.at(best, I[m], W[m])
    return r + best.sum()
def optimize(S, W, I, nw, prof):
    tp, fp, fn = PROF[prof]
    o = np.argsort(-S, kind='stable')
    s = S[o]; w = W[o]; ii = I[o]
    best = np.full(max(nw, 1), -fn)
    raw = -fn * nw
    bestraw, bestth = raw, 1.1
    n = len(s); k = 0
    sl = s.tolist(); wl = w.tolist(); il = ii.tolist(); bl = best.tolist()
    while k < n:
        th = sl[k]
        while k < n and sl[k] == th:
            if il[k] < 0: raw += wl[k]
            else:
                g = il[k]
                if wl[k] > bl[g]: raw += wl[k] - bl[g]; bl[g] = wl[k]
            k += 1
        if raw > bestraw: bestraw, bestth = raw, th
    return bestth, bestraw
def norm(raw, nw, prof):
    fn = PROF[prof][2]
    return 100 * (raw + fn * nw) / (nw + fn * nw)
def read_results(d):
    out = {}
    F = load()
    for key in F:
        cat, fn = key.split('/')
        p = None
        for cand in (f'{d}/{cat}/{fn}', *glob.glob(f'{d}/{cat}/*_{fn}')):
            if os.path.exists(cand): p = cand; break
        lines = open(p).read().split('\n')
        hdr = lines[0].split(','); c = hdr.index('anomaly_score')
        out[key] = np.array([float(l.split(',')[c]) for l in lines[1:] if l])
    return out
def score(scores, keys=None, profs=PROF):
    keys = keys or sorted(load())
    res = {}
    for p in profs:
        S, W, I, nw = prep(scores, keys, p)
        th, raw = optimize(S, W, I, nw, p)
        res[p] = (norm(raw, nw, p), th)
    return res

if __name__ == '__main__':
    NAB = sys.argv[1]
    cfgs = [tuple(a.split('=', 1)) for a in sys.argv[2:]]

    F = load(); keys = sorted(F)
    res = {c: read_results(d) for c, d in cfgs}
    cfgs = [c for c, _ in cfgs]
    folds4 = [[k for i, k in enumerate(keys) if i % 4 == f] for f in range(4)]
    group = [[k for k in keys if k.startswith('artificial')], [k for k in keys if k.startswith('real')]]
    def evaluate(folds, prof):
        tot_raw = 0; tot_nw = 0; picks = []
        for test in folds:
            train = [k for k in keys if k not in test]
            best = None
            for c in cfgs:
                S, W, I, nw = prep(res[c], train, prof)
                th, raw = optimize(S, W, I, nw, prof)
                sc = norm(raw, nw, prof)
                if best is None or sc > best[0]: best = (sc, c, th)
            S, W, I, nw = prep(res[best[1]], test, prof)
            tot_raw += raw_at(S, W, I, nw, prof, best[2]); tot_nw += nw
            picks.append(best[1])
        return norm(tot_raw, tot_nw, prof), picks
    full = {c: score(res[c]) for c in cfgs}
    # CV-average per config: mean over 4 folds of train-score (for the final pick)
    print('config  full(std lowFP lowFN)  4fold-mean-train-std')
    for c in cfgs:
        m = []
        for test in folds4:
            train = [k for k in keys if k not in test]
            S, W, I, nw = prep(res[c], train, 'standard'); th, raw = optimize(S, W, I, nw, 'standard')
            m.append(norm(raw, nw, 'standard'))
        print('%-10s %6.2f %6.2f %6.2f   %6.2f' % (c, *[full[c][p][0] for p in PROF], np.mean(m)))
    for name, folds in (('4-fold', folds4), ('group (artificial | AWS)', group)):
        out = []
        for p in PROF:
            s, picks = evaluate(folds, p); out.append('%s %.2f %s' % (p, s, picks))
        print(name + ' out-of-fold:'); print('  ' + '\n  '.join(out))
