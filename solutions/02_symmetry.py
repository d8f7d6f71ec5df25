# Reference solution for exercise 02 · Why constant initialisation fails (symmetry)
# Generated from cards/02-symmetry.md by `grader build`: edit the card, not this file.

import numpy as np


def _sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), exponentiating only -|z| (no overflow)."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def forward(X, params):
    """Return (A1, A2): tanh hidden activations (m, n_h) and sigmoid outputs (m, 1)."""
    A1 = np.tanh(X @ params["W1"] + params["b1"])
    A2 = _sigmoid(A1 @ params["W2"] + params["b2"])
    return A1, A2


def gradients(X, Y, params):
    """Gradients of the mean binary cross-entropy: dict with dW1, db1, dW2, db2."""
    m = X.shape[0]
    A1, A2 = forward(X, params)
    dZ2 = (A2 - Y) / m
    dW2 = A1.T @ dZ2
    db2 = np.sum(dZ2, axis=0, keepdims=True)
    dZ1 = (dZ2 @ params["W2"].T) * (1.0 - A1**2)
    dW1 = X.T @ dZ1
    db1 = np.sum(dZ1, axis=0, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def train(X, Y, params, lr, steps):
    """Run `steps` steps of full-batch gradient descent; return new params, input untouched."""
    p = {k: np.array(v, dtype=float) for k, v in params.items()}
    for _ in range(steps):
        g = gradients(X, Y, p)
        for k in ("W1", "b1", "W2", "b2"):
            p[k] = p[k] - lr * g["d" + k]
    return p


def constant_init(n_in, n_hidden, value):
    """Params W1 (n_in, n_hidden), b1 (1, n_hidden), W2 (n_hidden, 1), b2 (1, 1), all `value`."""
    n_h = n_hidden
    return {
        "W1": np.full((n_in, n_h), value, dtype=float),
        "b1": np.full((1, n_h), value, dtype=float),
        "W2": np.full((n_h, 1), value, dtype=float),
        "b2": np.full((1, 1), value, dtype=float),
    }


def units_identical(params, tol=1e-9):
    """True iff every hidden unit has unit 0's incoming weights, bias and outgoing weight."""
    W1, b1, W2 = params["W1"], params["b1"], params["W2"]
    same_in = np.all(np.abs(W1 - W1[:, :1]) <= tol)
    same_bias = np.all(np.abs(b1 - b1[:, :1]) <= tol)
    same_out = np.all(np.abs(W2 - W2[:1, :]) <= tol)
    return bool(same_in and same_bias and same_out)
