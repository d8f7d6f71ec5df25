# Reference solution for exercise 07 · Vanishing and exploding signals
# Generated from cards/07-signals.md by `grader build`: edit the card, not this file.

import numpy as np


def init_weights(layer_sizes, scheme, rng):
    """One weight matrix per consecutive pair of layer_sizes, drawn from rng by `scheme`."""
    weights = []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        shape = (fan_in, fan_out)
        if scheme == "glorot-bengio-old":
            bound = 1.0 / np.sqrt(fan_in)
            weights.append(rng.uniform(-bound, bound, size=shape))
            continue
        if scheme == "small":
            std = 0.01
        elif scheme == "standard":
            std = 1.0
        elif scheme == "lecun":
            std = np.sqrt(1.0 / fan_in)
        elif scheme == "xavier":
            std = np.sqrt(2.0 / (fan_in + fan_out))
        elif scheme == "he":
            std = np.sqrt(2.0 / fan_in)
        else:
            raise ValueError(f"unknown scheme {scheme!r}")
        weights.append(rng.normal(0.0, std, size=shape))
    return weights


def activate(Z, name):
    """The activation `name` applied entrywise."""
    if name == "linear":
        return Z
    if name == "tanh":
        return np.tanh(Z)
    if name == "relu":
        return np.maximum(Z, 0.0)
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * Z))  # the sigmoid, without overflow in exp
    raise ValueError(f"unknown activation {name!r}")


def slope(Z, name):
    """The derivative act'(Z) of the activation `name`, entrywise."""
    if name == "linear":
        return np.ones_like(Z)
    if name == "tanh":
        return 1.0 - np.tanh(Z) ** 2
    if name == "relu":
        return (Z > 0).astype(float)
    if name == "sigmoid":
        s = activate(Z, "sigmoid")
        return s * (1.0 - s)
    raise ValueError(f"unknown activation {name!r}")


def layer_stats(X, weights, name):
    """Mean, std and mean square of every layer's activations (zero biases)."""
    A = np.asarray(X, dtype=float)
    means, stds, mean_sqs = [], [], []
    for W in weights:
        A = activate(A @ W, name)
        means.append(A.mean())
        stds.append(A.std())
        mean_sqs.append(np.mean(A**2))
    return {"mean": np.array(means), "std": np.array(stds), "mean_sq": np.array(mean_sqs)}


def weight_gradients(X, weights, name, G):
    """Frobenius norm of dW_k for every layer, back-propagating G = dL/dA_L."""
    A = np.asarray(X, dtype=float)
    inputs, pre = [], []
    for W in weights:
        inputs.append(A)
        pre.append(A @ W)
        A = activate(pre[-1], name)
    dA = np.asarray(G, dtype=float)
    norms = np.zeros(len(weights))
    for k in reversed(range(len(weights))):
        dZ = dA * slope(pre[k], name)
        norms[k] = np.linalg.norm(inputs[k].T @ dZ)
        dA = dZ @ weights[k].T
    return norms
