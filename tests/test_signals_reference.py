"""The reference numbers of exercise 07's checks: the tanh moments by quadrature, weighed against
an independent extended-precision reference, and the forward pass computed once per check."""

import itertools
import math

import numpy as np
import pytest

from grader.checks import signals_reference as ref

LONG = np.longdouble


def reference_moments(sigma: float) -> tuple[float, float]:
    """E[tanh(z)^2], E[tanh(z)^4] for z ~ N(0, sigma^2) by a dense trapezoid sum in extended
    precision (the rule converges exponentially for these smooth integrands): in u = z / sigma
    for sigma <= 1, in z through sech^2 = 1 - tanh^2 above, on wider ranges and finer steps than
    the checks use."""
    s = LONG(sigma)
    norm = 1 / np.sqrt(2 * np.pi * LONG(1))
    if sigma <= 1:
        u = np.linspace(LONG(-14), LONG(14), 28 * 128 + 1)
        w = np.exp(-u * u / 2) * norm * (u[1] - u[0])
        t2 = np.tanh(s * u) ** 2
        return float(np.sum(t2 * w)), float(np.sum(t2 * t2 * w))
    z = np.linspace(LONG(-30), LONG(30), 60 * 64 + 1)
    density = np.exp(-(z / s) ** 2 / 2) * norm / s * (z[1] - z[0])
    sech2 = 1 / np.cosh(z) ** 2
    e2, e4 = np.sum(density * sech2), np.sum(density * sech2 * sech2)
    return float(1 - e2), float(1 - 2 * e2 + e4)


# the range the depth checks meet (tanh with 'small' and N(0, 1) weights: sigma up to about 16),
# both sides of the switch between the two rules, and beyond
SIGMAS = [1e-4, 3e-3, 0.05, 0.3, 0.7, 0.999, 1.0, 1.001, 1.5, 3.0, 7.0, 12.0, 16.0, 25.0]


def test_the_tanh_moments_agree_with_an_extended_precision_reference():
    m2, m4 = ref.tanh_moments(np.array(SIGMAS))
    for sigma, got2, got4 in zip(SIGMAS, m2, m4, strict=True):
        want2, want4 = reference_moments(sigma)
        assert got2 == pytest.approx(want2, rel=1e-13, abs=0), sigma
        assert got4 == pytest.approx(want4, rel=1e-13, abs=0), sigma
        # the std the checks derive from them, where m4 - m2^2 cancels for large sigma
        sd = math.sqrt(got4 - got2 * got2)
        assert sd == pytest.approx(math.sqrt(want4 - want2 * want2), rel=1e-12, abs=0), sigma


def test_the_two_rules_agree_where_they_meet():
    """Gauss-Hermite below sigma = 1 and the trapezoid rule in z above compute the same
    integrals two independent ways: on either side of the switch they agree."""
    below = ref.tanh_moments(np.array([1.0]))
    above = ref.tanh_moments(np.array([np.nextafter(1.0, 2.0)]))
    for a, b in zip(below, above, strict=True):
        assert a[0] == pytest.approx(b[0], rel=1e-13, abs=0)


def test_the_moments_of_a_point_mass_and_of_small_sigmas():
    m2, m4 = ref.tanh_moments(np.array([0.0, 1e-3]))
    assert (m2[0], m4[0]) == (0.0, 0.0)
    # tanh(z) = z - z^3/3 + ...: E[tanh^2] = s^2 - 2 s^4 + O(s^6), E[tanh^4] = 3 s^4 + O(s^6)
    s = 1e-3
    assert m2[1] == pytest.approx(s**2 - 2 * s**4, rel=1e-9)
    assert m4[1] == pytest.approx(3 * s**4, rel=1e-5)


def test_the_forward_pass_is_the_layer_by_layer_product():
    rng = np.random.default_rng(5)
    sizes = [5, 7, 4]
    X = rng.normal(size=(9, 5))
    weights = [rng.normal(size=(a, b)).astype(np.float32) for a, b in itertools.pairwise(sizes)]
    p = ref.forward(X, weights, "tanh")
    h = X
    for k, W in enumerate(weights):
        z = h @ W.astype(float)
        np.testing.assert_array_equal(p.pre[k], z)
        h = np.tanh(z)
        np.testing.assert_array_equal(p.layers[k + 1], h)
    # the slip "no activation on the last layer" reads the last pre-activation
    last = dict(zip(["label", "stats"], ref.forward_slips(p)[5][:2], strict=True))
    assert last["label"] == "a network without the activation on its last layer"
    np.testing.assert_array_equal(last["stats"]["std"], [np.tanh(p.pre[0]).std(), z.std()])


def test_a_backward_experiment_is_drawn_once_per_generator_state_and_leaves_it_as_a_draw_does():
    from grader.checks import test_07_signals as checks

    def fresh(seed):
        return np.random.default_rng(seed)

    first, again, other = fresh(7), fresh(7), fresh(8)
    made = checks._experiment_inputs(first, "standard", "tanh")
    reused = checks._experiment_inputs(again, "standard", "tanh")
    assert all(a is b for a, b in zip(made, reused, strict=True))  # the same objects, not redrawn
    assert first.bit_generator.state == again.bit_generator.state  # both rngs moved on alike
    # ... to where drawing them afresh leaves a generator, with the same arrays and reference
    drawn = fresh(7)
    X = drawn.normal(size=(checks.BATCH, checks.DEEP[0]))
    weights = [drawn.normal(0.0, math.sqrt(ref.variance("standard", fi, fo)), size=(fi, fo))
               for fi, fo in itertools.pairwise(checks.DEEP)]
    G = drawn.normal(size=(checks.BATCH, checks.DEEP[-1]))
    assert drawn.bit_generator.state == first.bit_generator.state
    assert np.array_equal(made[0], X) and np.array_equal(made[2], G)
    assert all(np.array_equal(a, b) for a, b in zip(made[1], weights, strict=True))
    p = ref.forward(X, weights, "tanh")
    assert np.array_equal(made[5], ref.backward(p, "tanh", G))
    assert np.array_equal(made[4], ref.stats(p.layers)["std"])
    # nothing may change what the next student is compared with; another state, other draws
    with pytest.raises(ValueError, match="read-only"):
        made[1][0][0, 0] = 1.0
    assert not np.array_equal(checks._experiment_inputs(other, "standard", "tanh")[0], X)
