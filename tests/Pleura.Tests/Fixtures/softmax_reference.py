# Reference values for Evaluation/SoftmaxRegressionTests.cs (scikit-learn 1.2.1, SciPy 1.10.1, numpy 1.24.2: Debian 12's python3).
# Run: /usr/bin/python3 tests/Pleura.Tests/Fixtures/softmax_reference.py
# scikit-learn's lbfgs stops here with a largest gradient of 4e-5 (1.5e-4) although tol=1e-12, so the objective is
# also minimised directly with scipy's BFGS to a gradient of 3e-9: that is the tight reference, sklearn the loose one.
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from scipy.optimize import minimize
n = 60
y = np.array([i % 3 for i in range(n)])
X = np.array([[np.sin(0.7 * i * (j + 1)) + (0.8 if y[i] == j else 0.0) + 3.0 * j for j in range(3)] for i in range(n)])
Xs = StandardScaler().fit_transform(X)
Y = np.eye(3)[y]
def objective(t, lam):  # summed log loss + lam/2 |W|^2, intercepts unpenalised: sklearn's objective with C = 1/lam
    W = t[:9].reshape(3, 3); b = t[9:]
    z = Xs @ W.T + b; z -= z.max(1, keepdims=True)
    P = np.exp(z); P /= P.sum(1, keepdims=True)
    G = P - Y
    return -(np.log(P) * Y).sum() + 0.5 * lam * (W ** 2).sum(), np.concatenate([(G.T @ Xs + lam * W).ravel(), G.sum(0)])
rows = [0, 1, 2, 31]
for lam in (1.0, 10.0):
    m = LogisticRegression(C=1 / lam, multi_class='multinomial', solver='lbfgs', tol=1e-12, max_iter=100000).fit(Xs, y)
    print('sklearn', lam, m.predict_proba(Xs)[rows].ravel().tolist())
    r = minimize(objective, np.zeros(12), args=(lam,), jac=True, method='BFGS', options=dict(gtol=1e-13, maxiter=10000))
    W = r.x[:9].reshape(3, 3); b = r.x[9:]
    z = Xs @ W.T + b; P = np.exp(z - z.max(1, keepdims=True)); P /= P.sum(1, keepdims=True)
    print('scipy', lam, np.abs(r.jac).max(), P[rows].ravel().tolist())
