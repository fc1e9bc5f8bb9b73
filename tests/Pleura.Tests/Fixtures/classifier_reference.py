# Reference values for Evaluation/ClassifierEvaluationTests.cs (scikit-learn 1.2.1, SciPy 1.10.1, numpy 1.24.2: Debian 12's python3).
# Run from tests/Pleura.Tests: /usr/bin/python3 Fixtures/classifier_reference.py
import json, numpy as np
from sklearn.metrics import roc_curve, roc_auc_score
from scipy.stats import beta, norm, binomtest
import os
shared = os.environ.get('PLEURA_SHARED', '../../../shared')
d = json.load(open(os.path.join(shared, 'fixtures/metrics/metrics.json')))
case = {c['name']: c for c in d['cases']}
val_t = np.array(case['random_40']['y_true']); val_p = np.array(case['random_40']['proba'])
tst_t = np.array(case['random_200']['y_true']); tst_p = np.array(case['random_200']['proba'])
def cp(k, n):
    lo = 0.0 if k == 0 else beta.ppf(0.025, k, n - k + 1)
    hi = 1.0 if k == n else beta.ppf(0.975, k + 1, n - k)
    return lo, hi
def delong_direct(y, s):
    pos, neg = s[y == 1], s[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    return psi.mean(1), psi.mean(0)
def delong_var(y, s):
    v10, v01 = delong_direct(y, s)
    return v10.mean(), np.var(v10, ddof=1) / len(v10) + np.var(v01, ddof=1) / len(v01)
# model B: a formula both sides can compute: mix each row with the one-hot truth by (i % 5) / 10, renormalised
tst_b = np.array([(tst_p[i] + (i % 5) / 10 * np.eye(4)[tst_t[i]]) / (1 + (i % 5) / 10) for i in range(len(tst_t))])
out = {}
for c in range(4):
    yv = (val_t == c).astype(int); sv = val_p[:, c]
    fpr, tpr, thr = roc_curve(yv, sv, drop_intermediate=False)
    j = np.argmax(tpr - fpr); cut = thr[j]
    yt = (tst_t == c).astype(int); st = tst_p[:, c]
    fpr_t, tpr_t, thr_t = roc_curve(yt, st, drop_intermediate=False)
    pred = st >= cut
    tp = int(((pred) & (yt == 1)).sum()); fn = int(((~pred) & (yt == 1)).sum())
    tn = int(((~pred) & (yt == 0)).sum()); fp = int(((pred) & (yt == 0)).sum())
    auc, var = delong_var(yt, st)
    assert abs(auc - roc_auc_score(yt, st)) < 1e-12
    se = var ** 0.5
    ab, varb = delong_var(yt, tst_b[:, c])
    a10, a01 = delong_direct(yt, st); b10, b01 = delong_direct(yt, tst_b[:, c])
    vd = np.var(b10 - a10, ddof=1) / len(a10) + np.var(b01 - a01, ddof=1) / len(a01)
    z = (ab - auc) / vd ** 0.5
    print(f"class {c}: cut={cut!r} J={tpr[j]-fpr[j]!r} points={len(thr_t)} tp,fn,tn,fp={tp},{fn},{tn},{fp}")
    print(f"  auc={auc!r} se={se!r} ci=({max(0,auc-norm.ppf(0.975)*se)!r}, {min(1,auc+norm.ppf(0.975)*se)!r})")
    print(f"  sens_cp={cp(tp,tp+fn)!r} spec_cp={cp(tn,tn+fp)!r}")
    print(f"  curve fpr[:4]={fpr_t[:4].tolist()!r} tpr[:4]={tpr_t[:4].tolist()!r} thr[1:4]={thr_t[1:4].tolist()!r} sumfpr={fpr_t.sum()!r} sumtpr={tpr_t.sum()!r}")
    print(f"  B: auc={ab!r} diff_se={vd**0.5!r} z={z!r} p={2*norm.sf(abs(z))!r}")
pa = tst_p.argmax(1); pb = tst_b.argmax(1)
ra = pa == tst_t; rb = pb == tst_t
k = int((ra & rb).sum()); b = int((ra & ~rb).sum()); c_ = int((~ra & rb).sum())
print("acc A", ra.sum(), cp(int(ra.sum()), 200), "acc B", rb.sum(), "both", k, "onlyA", b, "onlyB", c_, "p", binomtest(min(b, c_), b + c_, 0.5).pvalue)
from sklearn.metrics import confusion_matrix
print(confusion_matrix(tst_t, pa).tolist())
for (bb, cc) in [(0, 0), (3, 9), (1, 12), (10, 10), (0, 7)]:
    print("mcnemar", bb, cc, repr(binomtest(min(bb, cc), bb + cc, 0.5).pvalue) if bb + cc else 1.0)
yt = (tst_t == 0).astype(int); st = np.round(tst_p[:, 0], 1)
auc, var = delong_var(yt, st)
print("ties: auc", repr(auc), "se", repr(var ** 0.5), repr(roc_auc_score(yt, st)))
