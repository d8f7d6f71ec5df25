# Exercise 12 · Initialisation concepts (quiz)
#
# Nine multiple-choice questions follow. Each has exactly one right option. Answer in your
# exercise file by setting each entry of the dictionary `ANSWERS` to the letter of your choice,
# as a string: `"a"`, `"b"`, `"c"` or `"d"`.
#
# ```python
# ANSWERS = {"q1": "a", "q2": None, ...}   # "a" is only an example; None: not answered yet
# ```
#
# Each question is checked on its own; a wrong answer tells you which idea it reflects, not
# which letter is right.
#
# **q1. Why draw the initial weights at random?**
#
# Why are a network's weights initialised with random values rather than all with one value?
#
# - [ ] a) Randomness lets gradient descent escape local minima later on; a constant start gets
#   stuck in one.
# - [ ] b) Stochastic gradient descent is only defined for a random starting point.
# - [ ] c) Units of a layer that start with identical weights compute the same function and
#   receive the same gradient, so they stay identical forever; random draws make them differ.
# - [ ] d) Random weights act as a regulariser that keeps the network from over-fitting.
#
# **q2. All weights zero**
#
# A network has one hidden layer of tanh units and a linear output, trained by gradient descent.
# Every weight and every bias starts at 0. What happens?
#
# - [ ] a) It trains normally, just more slowly: the first gradient step moves the weights away
#   from zero.
# - [ ] b) Every hidden output is `tanh(0) = 0`, so the output weights get a zero gradient; the
#   hidden weights get a zero gradient too, because the error flows back through the zero output
#   weights. Only the output bias ever learns.
# - [ ] c) The gradients explode, because the error is divided by the zero weights on its way
#   back.
# - [ ] d) It fails with tanh, but with ReLU units it would train, because ReLU is not symmetric
#   around 0.
#
# **q3. Zero weights in logistic regression**
#
# For logistic regression, starting from all-zero weights works fine. Why does that not carry
# over to the hidden layer of a network?
#
# - [ ] a) Logistic regression is trained with the cross-entropy loss, networks with another
#   loss.
# - [ ] b) Logistic regression has fewer weights, and symmetry only matters for large models.
# - [ ] c) It does carry over: zero weights work for a network too, given a large enough
#   learning rate.
# - [ ] d) In logistic regression each weight multiplies its own input feature, so each gets its
#   own gradient; the symmetry problem is between hidden units that are interchangeable, seeing
#   the same inputs through the same weights.
#
# **q4. The same bias for every unit**
#
# The weights are drawn at random (He normal, say) and every bias is set to 0, the same value
# for all units. Is that a problem?
#
# - [ ] a) No: the units already differ through their random weights, so they compute different
#   functions and receive different gradients; the biases then move apart during training.
# - [ ] b) Yes: units with equal biases are symmetric and will learn the same features, so the
#   biases must be drawn at random too.
# - [ ] c) Yes: a ReLU unit with a zero bias is dead from the start.
# - [ ] d) No, because biases are not trained; only weights are.
#
# **q5. Why small weights?**
#
# A course initialises a shallow network with tanh (or sigmoid) units as
# `rng.standard_normal(shape) * 0.01`. What does the small scale buy?
#
# - [ ] a) It makes each unit's weights sum to about 1, like probabilities.
# - [ ] b) Large random weights would not break the symmetry between units.
# - [ ] c) It keeps the pre-activations near 0, where tanh and sigmoid are steepest; large
#   weights push them into the flat tails, where the gradient is almost zero.
# - [ ] d) Small weights make the network linear, and a linear network cannot over-fit.
#
# **q6. The same 0.01 in a deep network**
#
# Now the network has 10 tanh layers of 500 units each, inputs of unit variance, and weights
# `rng.standard_normal((500, 500)) * 0.01`. What happens to the standard deviation of the
# activations as they go deeper?
#
# - [ ] a) It stays about 1: tanh is nearly the identity around 0, so nothing changes.
# - [ ] b) Each layer multiplies it by about `0.01 * sqrt(500) ≈ 0.22`, so after 10 layers it is
#   of the order of `1e-7`: the signal, and with it the gradients, vanish.
# - [ ] c) It grows: summing 500 inputs per unit makes the pre-activations large, and the tanh
#   units saturate.
# - [ ] d) Each layer multiplies it by 0.01, so after 10 layers it is `1e-20`.
#
# **q7. A scheme with the wrong name**
#
# A tutorial calls `W = rng.standard_normal((n_in, n_out)) * np.sqrt(1 / n_in)` "Xavier
# initialisation". Which scheme is it?
#
# - [ ] a) Xavier (Glorot): Glorot and Bengio set `Var(W) = 1 / n_in`.
# - [ ] b) He initialisation.
# - [ ] c) Xavier (Glorot), because `1 / n_in` stands for the average of `n_in` and `n_out`.
# - [ ] d) LeCun's scale, `Var(W) = 1 / fan_in`. Glorot's is `2 / (fan_in + fan_out)`; the two
#   agree only when `fan_in = fan_out`.
#
# **q8. The 2 in He initialisation**
#
# He et al. use `Var(W) = 2 / fan_in` for layers followed by ReLU, twice LeCun's variance. Why?
#
# - [ ] a) ReLU sets the negative half of its symmetric input to zero, which halves the mean
#   square passed on to the next layer; doubling the weight variance makes up for it.
# - [ ] b) It averages the forward (`fan_in`) and backward (`fan_out`) conditions.
# - [ ] c) ReLU's derivative is 2 for positive inputs.
# - [ ] d) The factor 2 is an empirical fudge factor with no derivation.
#
# **q9. Vanishing and exploding**
#
# On its way back through a deep network the gradient is multiplied by roughly the same factor
# at every layer. With a factor of 1.1 per layer and 50 layers, how does the gradient reaching
# the first layer compare with the one leaving the last?
#
# - [ ] a) About 6 times larger: each layer adds 10 %.
# - [ ] b) About the same: small deviations from 1 average out over many layers.
# - [ ] c) About 117 times larger: the factors multiply, `1.1**50 ≈ 117`, so the gradient
#   explodes; at 0.9 per layer it would shrink to `0.9**50 ≈ 0.005` and vanish.
# - [ ] d) Infinite: any factor above 1 makes training diverge at once.
#
# Check your work with `grader check 12`; ask for a hint with `grader hint 12`.
# Generated from cards/12-concepts.md by `grader build`. Edit the code below.

"""Initialisation concepts: a quiz.

Read each question in the comments above. Set its entry to the letter of the one right
option, as a string ("a", "b", "c" or "d"). Leave None for a question you have not answered yet.
"""

ANSWERS = {
    # q1: Why draw the initial weights at random rather than all equal?
    #   a) to escape local minima   b) SGD needs a random start
    #   c) to break the symmetry between units   d) as a regulariser
    "q1": None,
    # q2: A one-hidden-layer tanh network with every weight and bias at 0: what happens?
    #   a) trains, only slower   b) only the output bias ever learns
    #   c) gradients explode   d) fine with ReLU, not with tanh
    "q2": None,
    # q3: Why is zero init fine for logistic regression but not for a hidden layer?
    #   a) different loss   b) fewer weights   c) it is fine for both
    #   d) each weight has its own input; hidden units are interchangeable
    "q3": None,
    # q4: Random weights, all biases 0: is the equal bias a problem?
    #   a) no   b) yes, symmetry   c) yes, dead ReLUs   d) no, biases are not trained
    "q4": None,
    # q5: What does scaling the weights by 0.01 buy a shallow tanh/sigmoid network?
    #   a) weights sum to 1   b) symmetry breaking   c) no saturation   d) linearity
    "q5": None,
    # q6: The same 0.01 in a 10-layer tanh network of width 500: the activations' std...
    #   a) stays about 1   b) falls by about 0.22 per layer   c) grows, tanh saturates
    #   d) falls by 0.01 per layer
    "q6": None,
    # q7: W = rng.standard_normal((n_in, n_out)) * np.sqrt(1 / n_in) is...
    #   a) Glorot   b) He   c) Glorot, as an average   d) LeCun
    "q7": None,
    # q8: Why does He use Var(W) = 2 / fan_in for ReLU?
    #   a) ReLU halves the mean square   b) forward/backward average
    #   c) ReLU's slope is 2   d) an empirical fudge factor
    "q8": None,
    # q9: A gradient multiplied by 1.1 at each of 50 layers ends up...
    #   a) about 6 times larger   b) unchanged on average   c) about 117 times larger
    #   d) infinite
    "q9": None,
}
