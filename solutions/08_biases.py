# Reference solution for exercise 08 · What biases do (and do not do) at initialisation
# Generated from cards/08-biases.md by `grader build`: edit the card, not this file.

import numpy as np


def gradients(X, Y, params, activation="tanh"):
    """Given: gradients of sum((H @ W2 + b2 - Y)**2) / (2 m), H = act(X @ W1 + b1)."""
    m = X.shape[0]
    Z = X @ params["W1"] + params["b1"]
    if activation == "tanh":
        H = np.tanh(Z)
        slope = 1.0 - H**2
    elif activation == "linear":
        H = Z
        slope = np.ones_like(Z)
    else:
        raise ValueError(f"unknown activation {activation!r}")
    dOut = (H @ params["W2"] + params["b2"] - Y) / m
    dZ = (dOut @ params["W2"].T) * slope
    return {"dW1": X.T @ dZ, "db1": dZ.sum(axis=0, keepdims=True),
            "dW2": H.T @ dOut, "db2": dOut.sum(axis=0, keepdims=True)}


def init_layer(n_in, n_out, rng, weights="random", bias="zero", w_value=0.5, b_value=0.1):
    """Return (W, b): W of shape (n_in, n_out) and b of shape (1, n_out)."""
    if weights == "random":
        W = rng.normal(0.0, np.sqrt(1.0 / n_in), size=(n_in, n_out))
    elif weights == "constant":
        W = np.full((n_in, n_out), float(w_value))
    else:
        raise ValueError(f"unknown weights option {weights!r}")
    if bias == "zero":
        b = np.zeros((1, n_out))
    elif bias == "constant":
        b = np.full((1, n_out), float(b_value))
    elif bias == "random":
        b = rng.normal(0.0, b_value, size=(1, n_out))
    else:
        raise ValueError(f"unknown bias option {bias!r}")
    return W, b


def hidden_units_distinct(W, b, tol=1e-9):
    """True when no two units share their incoming weights and bias (within tol)."""
    P = np.vstack([np.asarray(W, dtype=float), np.asarray(b, dtype=float).reshape(1, -1)])
    n = P.shape[1]
    for j in range(n):
        for k in range(j + 1, n):
            if np.max(np.abs(P[:, j] - P[:, k])) <= tol:
                return False
    return True


def weight_spread(W):
    """Largest |W[i, j] - W[i, k]| over all rows i and pairs of columns j, k."""
    return float(np.max(np.ptp(np.asarray(W, dtype=float), axis=1)))


def spread_history(X, Y, params, lr, steps, activation="tanh"):
    """weight_spread(W1) before training and after each of `steps` gradient steps."""
    p = {k: np.array(v, dtype=float) for k, v in params.items()}
    history = [weight_spread(p["W1"])]
    for _ in range(steps):
        g = gradients(X, Y, p, activation)
        p = {k: p[k] - lr * g["d" + k] for k in p}
        history.append(weight_spread(p["W1"]))
    return np.array(history)
