"""The reference network of exercise 02 (symmetry), for its hidden checks: forward pass, loss,
backpropagation and gradient descent of the one-hidden-layer tanh/sigmoid network, and the
numbers that a learner's classic slips in the gradients and the training loop produce, so that
feedback can name the slip."""

import numpy as np

KEYS = ("W1", "b1", "W2", "b2")


def sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def shapes(n_in, n_h):
    return {"W1": (n_in, n_h), "b1": (1, n_h), "W2": (n_h, 1), "b2": (1, 1)}


def ref_forward(X, p):
    A1 = np.tanh(X @ p["W1"] + p["b1"])
    return A1, sigmoid(A1 @ p["W2"] + p["b2"])


def ref_loss(X, Y, p):
    A2 = ref_forward(X, p)[1]
    return float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))


def ref_gradients(X, Y, p, variant=None):
    """Backpropagation; `variant` names a classic mistake to reproduce instead."""
    m = X.shape[0]
    Z1 = X @ p["W1"] + p["b1"]
    A1, A2 = ref_forward(X, p)
    dZ2 = {
        "no_mean": A2 - Y,
        "sigmoid_twice": (A2 - Y) * A2 * (1 - A2) / m,
        "sign": (Y - A2) / m,
    }.get(variant, (A2 - Y) / m)
    dA1 = dZ2 @ p["W2"].T
    dZ1 = dA1 * {
        "tanh_A1": A1,
        "tanh_1mA1": 1 - A1,
        "tanh_Z1": 1 - Z1**2,
        "tanh_twice": 1 - np.tanh(A1) ** 2,
        "no_tanh": 1.0,
        "tanh_sigmoid": A1 * (1 - A1),
    }.get(variant, 1 - A1**2)
    return {"dW1": X.T @ dZ1, "db1": dZ1.sum(axis=0, keepdims=True),
            "dW2": A1.T @ dZ2, "db2": dZ2.sum(axis=0, keepdims=True)}


GRADIENT_MISTAKES = {
    "no_mean": "every gradient is m = {m} times too large: the loss is a mean over the m "
               "examples, so dZ2 = (A2 - Y) / m; the 1/m is missing",
    "sigmoid_twice": "the sigmoid's derivative A2 * (1 - A2) is applied twice: with the "
                     "cross-entropy it has already cancelled, leaving dZ2 = (A2 - Y) / m",
    "sign": "every gradient has the wrong sign: dZ2 = (A2 - Y) / m, the gradient of the loss "
            "(not of minus the loss)",
    "tanh_A1": "dW1 and db1 use A1 as the derivative of tanh; tanh'(z) = 1 - tanh(z)**2, so "
               "dZ1 = (dZ2 @ W2.T) * (1 - A1**2)",
    "tanh_1mA1": "dW1 and db1 use 1 - A1 as the derivative of tanh; tanh'(z) = 1 - tanh(z)**2, "
                 "so dZ1 = (dZ2 @ W2.T) * (1 - A1**2)",
    "tanh_Z1": "dW1 and db1 use 1 - Z1**2 (the pre-activation squared); tanh'(z) = "
               "1 - tanh(z)**2, so dZ1 = (dZ2 @ W2.T) * (1 - A1**2)",
    "tanh_twice": "dW1 and db1 use 1 - tanh(A1)**2: A1 is already tanh(Z1), so the derivative "
                  "is 1 - A1**2",
    "no_tanh": "dW1 and db1 miss the derivative of tanh: dZ1 = (dZ2 @ W2.T) * (1 - A1**2)",
    "tanh_sigmoid": "dW1 and db1 use A1 * (1 - A1), the sigmoid's derivative; the hidden layer "
                    "is tanh, whose derivative is 1 - A1**2",
}


def ref_train(X, Y, p, lr, steps, variant=None):
    """Gradient descent; `variant` names a classic mistake to reproduce instead."""
    p = {k: np.array(v, dtype=float) for k, v in p.items()}
    n = {"one_more": steps + 1, "one_less": max(steps - 1, 0),
         "single": min(steps, 1)}.get(variant, steps)
    stale = ref_gradients(X, Y, p)
    for _ in range(n):
        g = stale if variant == "stale" else ref_gradients(X, Y, p)
        for k in KEYS:
            if variant == "weights_only" and k in ("b1", "b2"):
                continue
            sign = 1.0 if variant == "ascent" else -1.0
            p[k] = p[k] + sign * lr * g["d" + k]
    return p


TRAIN_MISTAKES = {
    "ascent": "the parameters moved up the gradient (p + lr * dp): gradient descent subtracts, "
              "p <- p - lr * dp",
    "one_more": "it matches {plus}, not {steps}: run exactly `steps` updates (range(steps))",
    "one_less": "it matches {minus}, not {steps}: run exactly `steps` updates (range(steps))",
    "single": "it matches a single step, not {steps}: repeat the update `steps` times, "
              "recomputing the gradients each time",
    "weights_only": "the biases b1 and b2 were never updated: all four parameters take a step",
    "stale": "the gradients were computed once, before the loop: recompute them at every step "
             "from the current parameters",
}


def spread(p):
    """The largest gap between a hidden unit and unit 0, over W1's columns, b1 and W2's rows."""
    W1, b1, W2 = (np.asarray(p[k], dtype=float) for k in ("W1", "b1", "W2"))
    return float(max(np.abs(W1 - W1[:, :1]).max(), np.abs(b1 - b1[:, :1]).max(),
                     np.abs(W2 - W2[:1, :]).max()))
