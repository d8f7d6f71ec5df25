"""Hidden checks for exercise 05: initialise a whole network, one scale per layer."""

import math

import numpy as np
import pytest

from grader.checkapi.diagnose import Mistake, scale_mistakes
from grader.checkapi.expect import (
    CheckFailure,
    expect_array,
    expect_distinct,
    expect_mean,
    expect_normal,
    expect_reproducible,
    fail,
    fmt,
    show_bars,
    std_tolerance,
)
from grader.sandbox.wire import describe

# Keys, shapes and biases: one layer or several, square layers, widths of 1.
ARCHITECTURES = [
    ([784, 256, 128, 10], ["relu", "relu", "linear"]),
    ([3, 1], ["sigmoid"]),
    ([4, 7], ["relu"]),
    ([5, 8, 8, 8, 2], ["tanh", "relu", "relu", "sigmoid"]),
    ([10, 6, 4, 6, 10, 1], ["relu", "linear", "tanh", "relu", "sigmoid"]),
]
# The scale checks use sizes where, in every layer, He's, Xavier's and LeCun's scales (and their
# fan_out and variance variants) are far apart compared with the statistical tolerance: no layer
# is square, no size is twice its neighbour.
# Large layers, every activation, neighbours of different families (a shifted list shows).
LARGE = ([200, 500, 300, 700, 150, 75], ["relu", "tanh", "relu", "sigmoid", "linear"])
# Small layers, pooled over many seeds: every layer's scale at least 12% from any other in the
# catalogue, and at least 11000 values per layer, enough to tell a normal from a uniform by its
# CDF (`grader verify --power`).
SMALL = ([18, 5, 20, 11], ["tanh", "relu", "linear"])
SMALL_DRAWS = 125
# Three layers of equal shape (64, 64), with different activations, then an output layer.
EQUAL = ([64, 64, 64, 64, 10], ["relu", "tanh", "relu", "linear"])


def call(learner, sizes, activations, rng):
    return as_params(learner.initialize_parameters(list(sizes), list(activations), rng), sizes,
                     activations)


def as_params(params, sizes, activations):
    what = f"initialize_parameters({sizes}, {activations}, rng)"
    if not isinstance(params, dict):
        fail(f"{what} returned {describe(params)}; expected a dict with keys 'W1', 'b1', ..., "
             f"'W{len(activations)}', 'b{len(activations)}'")
    return params, what


def expect_keys(params, sizes, what):
    L = len(sizes) - 1
    expected = [f"{p}{k}" for k in range(1, L + 1) for p in ("W", "b")]
    keys = list(params)
    missing = [key for key in expected if key not in keys]
    extra = [key for key in keys if key not in expected]
    if missing or extra:
        hint = ""
        if "W0" in keys or "b0" in keys:
            hint = " Layers are counted from 1: the first weight matrix is 'W1'."
        elif len(keys) < 2 * L:
            hint = f" A network with {len(sizes)} sizes has {L} layers, one per activation."
        fail(f"{what} has keys {sorted(map(str, keys))}; expected {expected} (missing: "
             f"{missing or 'none'}; unexpected: {extra or 'none'}).{hint}")


def expect_weights_and_biases(params, sizes, what):
    """Every key, every shape; returns the weight matrices in order."""
    expect_keys(params, sizes, what)
    weights = []
    for k in range(1, len(sizes)):
        fan_in, fan_out = sizes[k - 1], sizes[k]
        W = expect_array(params[f"W{k}"], f"{what}['W{k}']", shape=(fan_in, fan_out))
        b = params[f"b{k}"]
        if isinstance(b, np.ndarray) and b.shape in ((fan_out,), (fan_out, 1)) and fan_out != 1:
            fail(f"{what}['b{k}'] has shape {b.shape}; expected (1, {fan_out}): a 2-D row, "
                 f"as np.zeros((1, {fan_out})) gives, so that it broadcasts over the batch rows "
                 "of A @ W")
        expect_array(b, f"{what}['b{k}']", shape=(1, fan_out))
        weights.append(W)
    return weights


def layer_rule(activation, fan_in, fan_out):
    """(std, formula, name in the scale catalogue) for a layer followed by `activation`."""
    if activation == "relu":
        return math.sqrt(2 / fan_in), "sqrt(2/fan_in)", "he_normal"
    return math.sqrt(2 / (fan_in + fan_out)), "sqrt(2/(fan_in+fan_out))", "xavier_normal"


def layer_mistakes(k, activation, fan_in, fan_out):
    """The scale catalogue, with the other family's scale explained in terms of activations."""
    _, _, correct = layer_rule(activation, fan_in, fan_out)
    other = "xavier_normal" if correct == "he_normal" else "he_normal"
    other_std = layer_rule("tanh" if correct == "he_normal" else "relu", fan_in, fan_out)[0]
    if correct == "he_normal":
        words = ("that is Xavier's std, the rule for tanh, sigmoid and linear layers, but "
                 f"W{k} is followed by 'relu' (activations[{k - 1}])")
    else:
        words = (f"that is He's std, the rule for relu layers, but W{k} is followed by "
                 f"'{activation}' (activations[{k - 1}])")
    words += "; layer l goes with activations[l-1], the activation applied to its output"
    out = [Mistake(("sqrt(2/fan_in)" if other == "he_normal" else "sqrt(2/(fan_in+fan_out))"),
                   other_std, words)]
    # The rest of the catalogue, without the other family's entry (explained above).
    out += [m for m in scale_mistakes(fan_in, fan_out, correct=correct)
            if not math.isclose(m.value, other_std)]
    if activation == "tanh":
        tanh_gain = 5 / 3 * math.sqrt(2 / (fan_in + fan_out))
        out.append(Mistake("5/3*sqrt(2/(fan_in+fan_out))", tanh_gain,
                           "Xavier's std with tanh's gain 5/3 (torch.nn.init.calculate_gain); "
                           "this exercise asks for Xavier with gain 1 for every non-relu layer"))
    return out


def layer_what(what, k, sizes, activations):
    return (f"{what}['W{k}'] ({sizes[k - 1]}x{sizes[k]}, followed by "
            f"{activations[k - 1]!r})")


@pytest.mark.points(2)
def test_keys_and_shapes(learner, rng):
    """a dict W1, b1, ..., WL, bL: W_l of shape (n_{l-1}, n_l), b_l of shape (1, n_l)"""
    for sizes, activations in [*ARCHITECTURES, LARGE, SMALL, EQUAL]:
        params, what = call(learner, sizes, activations, rng)
        expect_weights_and_biases(params, sizes, what)


@pytest.mark.points(1)
def test_zero_biases(learner, rng):
    """every bias starts at zero"""
    for sizes, activations in ARCHITECTURES:
        params, what = call(learner, sizes, activations, rng)
        expect_weights_and_biases(params, sizes, what)
        for k in range(1, len(sizes)):
            b = params[f"b{k}"].astype(float)
            if np.any(b != 0):
                fail(f"{what}['b{k}'] is not zero (largest entry {fmt(float(np.abs(b).max()))}): "
                     "biases start at zero. The random weights already make every unit "
                     "different, so there is no symmetry left for the biases to break.")


def shifted_activations(samples, sizes, activations):
    """A sentence naming a list shifted by one, when every layer's std fits the rule of its
    neighbour's activation (within the statistical tolerance) and some layer's own rule differs."""
    L = len(activations)
    for shift, whose in ((-1, "the layer before it"), (1, "the layer after it")):
        compared = [k for k in range(1, L + 1) if 0 <= k - 1 + shift < L]
        differs = [k for k in compared
                   if (activations[k - 1] == "relu") != (activations[k - 1 + shift] == "relu")]
        if not differs:
            continue
        fits = True
        for k in compared:
            x = samples[k - 1]
            std = layer_rule(activations[k - 1 + shift], sizes[k - 1], sizes[k])[0]
            if abs(float(np.std(x, ddof=1)) / std - 1) > std_tolerance(x.size):
                fits = False
        if fits:
            index = "l-2" if shift == -1 else "l"
            return (f" Every layer's scale fits the activation of {whose}: the list is shifted by "
                    f"one (activations[{index}] where activations[l-1] belongs). Layer l, from "
                    "layer_sizes[l-1] to layer_sizes[l], is followed by activations[l-1].")
    return ""


def expect_layer_scales(samples, sizes, activations, what, pooled=""):
    """Each layer's pooled weights: zero mean, the std of its rule, a bell shape."""
    try:
        for k, x in enumerate(samples, start=1):
            fan_in, fan_out = sizes[k - 1], sizes[k]
            std, formula, _ = layer_rule(activations[k - 1], fan_in, fan_out)
            expect_normal(x, std, layer_what(what, k, sizes, activations) + pooled,
                          mistakes=layer_mistakes(k, activations[k - 1], fan_in, fan_out),
                          formula=formula)
    except CheckFailure as failure:
        shifted = shifted_activations(samples, sizes, activations)
        if shifted:
            fail(f"{failure}{shifted}")
        raise


@pytest.mark.points(4)
def test_scale_per_layer(learner, rng):
    """He std sqrt(2/fan_in) before relu, Xavier std sqrt(2/(fan_in+fan_out)) before the others"""
    sizes, activations = LARGE
    params, what = call(learner, sizes, activations, rng)
    samples = [W.astype(float).ravel() for W in expect_weights_and_biases(params, sizes, what)]
    labels, ratios = [], []
    for k, x in enumerate(samples, start=1):
        std, _, _ = layer_rule(activations[k - 1], sizes[k - 1], sizes[k])
        labels.append(f"W{k} {activations[k - 1]}")
        ratios.append(float(np.std(x)) / std)
    show_bars("std of each layer's weights / the std its activation asks for (1 is right)",
              labels, ratios)
    expect_layer_scales(samples, sizes, activations, what)


@pytest.mark.points(2)
def test_scale_small_layers(learner, rng):
    """small layers too, pooled over many seeds"""
    sizes, activations = SMALL
    pools = [[] for _ in activations]
    what = ""
    # One round trip for all the calls; the generator advances from call to call as usual.
    for raw in learner.repeat(SMALL_DRAWS, "initialize_parameters", list(sizes),
                              list(activations), rng):
        params, what = as_params(raw, sizes, activations)
        for k, W in enumerate(expect_weights_and_biases(params, sizes, what), start=1):
            pools[k - 1].append(W.astype(float).ravel())
    expect_layer_scales([np.concatenate(p) for p in pools], sizes, activations, what,
                        pooled=f", {SMALL_DRAWS} calls pooled")


@pytest.mark.points(2)
def test_independent_layers(learner, rng):
    """every layer is its own draw: equal-shaped layers uncorrelated, no row or column repeated"""
    sizes, activations = EQUAL
    params, what = call(learner, sizes, activations, rng)
    weights = expect_weights_and_biases(params, sizes, what)
    for k, W in enumerate(weights, start=1):
        expect_distinct(W, f"{what}['W{k}']", axis=0)
        expect_distinct(W, f"{what}['W{k}']", axis=1)
    same_shape = [k for k in range(1, len(sizes)) if (sizes[k - 1], sizes[k]) == (64, 64)]
    for i, a in enumerate(same_shape):
        for b in same_shape[i + 1:]:
            za = standardise(weights[a - 1])
            zb = standardise(weights[b - 1])
            # For independent draws the products have mean 0 and std 1; a shared draw, even
            # rescaled for another activation, gives a mean of 1.
            expect_mean(za * zb, 0.0, 1.0,
                        f"W{a} and W{b} (both 64x64), products of their standardised entries "
                        "(a correlation)",
                        mistakes=[Mistake(f"W{b} = c*W{a}", 1.0, "the two layers share the same "
                                          "draw; draw each layer afresh from rng, and never "
                                          "cache or re-seed by shape")])


def standardise(W):
    x = np.asarray(W, dtype=float).ravel()
    return x / max(float(np.sqrt(np.mean(x * x))), 1e-300)


@pytest.mark.points(1)
def test_reproducible(learner, seed):
    """weights come from rng alone: same generator state, same network; another, another"""
    sizes, activations = [6, 9, 4], ["relu", "tanh"]
    expect_reproducible(learner,
                        lambda rng: learner.initialize_parameters(list(sizes), list(activations),
                                                                  rng),
                        f"initialize_parameters({sizes}, {activations}, rng)", seed=seed)
