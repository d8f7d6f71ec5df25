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
# - [ ] a) Randomness lets gradient descent escape the poor local minima it meets later in
#   training, whereas a constant start gets stuck in the first minimum it finds.
# - [ ] b) Units that start with identical weights compute the same function and get the same
#   gradient, so they stay identical; random draws make them differ.
# - [ ] c) Stochastic gradient descent is only defined for a random starting point.
# - [ ] d) Random weights act as a regulariser: the noise they add keeps the network from
#   fitting the training set too closely.
#
# **q2. All weights zero**
#
# A network has one hidden layer of tanh units and a linear output, trained by gradient descent.
# Every weight and every bias starts at 0. What happens?
#
# - [ ] a) The hidden outputs are all 0, and the error reaches the hidden layer only through the
#   zero output weights: no weight ever moves; only the output bias learns.
# - [ ] b) It trains normally, just more slowly: the first gradient step moves the weights away
#   from zero.
# - [ ] c) The gradients explode, because the error is divided by the zero weights on its way
#   back.
# - [ ] d) It fails with tanh because tanh is symmetric around 0, but with ReLU units it would
#   train normally, because ReLU is not symmetric around 0 and its kink breaks the tie.
#
# **q3. Zero weights in logistic regression**
#
# For logistic regression, starting from all-zero weights works fine. Why does that not carry
# over to the hidden layer of a network?
#
# - [ ] a) Logistic regression is trained with the convex cross-entropy loss, whereas networks
#   are trained with a squared-error loss, and only the cross-entropy tolerates a zero start.
# - [ ] b) Logistic regression has fewer weights, and symmetry only matters for large models.
# - [ ] c) Each logistic-regression weight multiplies its own feature and gets its own gradient;
#   hidden units are interchangeable, seeing the same inputs through the same weights.
# - [ ] d) It does carry over: zero weights work for a network too, given a large enough
#   learning rate.
#
# **q4. The same bias for every unit**
#
# The weights are drawn at random (He normal, say) and every bias is set to 0, the same value
# for all units. Is that a problem?
#
# - [ ] a) Yes: a ReLU unit whose bias is exactly zero is dead from the start, since its output
#   and its gradient are zero for every input.
# - [ ] b) No, because biases are not trained; only weights are.
# - [ ] c) Yes: units that share the same bias are symmetric, so they learn the same features;
#   the biases must be drawn at random, just like the weights.
# - [ ] d) No: the random weights already make the units compute different functions, so they
#   get different gradients, biases included.
#
# **q5. Why small weights?**
#
# A course initialises a shallow network with tanh (or sigmoid) units as
# `rng.standard_normal(shape) * 0.01`. What does the small scale buy?
#
# - [ ] a) It keeps the pre-activations near 0, where tanh and sigmoid are steepest; large
#   weights push them into the flat tails, where the gradient is almost zero.
# - [ ] b) It makes each unit's weights sum to about 1, like probabilities.
# - [ ] c) Large random weights would not break the symmetry between the units.
# - [ ] d) Small weights make the network linear, and a linear network cannot over-fit.
#
# **q6. The same 0.01 in a deep network**
#
# Now the network has 10 tanh layers of 500 units each, inputs of unit variance, and weights
# `rng.standard_normal((500, 500)) * 0.01`. What happens to the standard deviation of the
# activations as they go deeper?
#
# - [ ] a) It grows from layer to layer: every unit sums 500 inputs, so its pre-activation is
#   large, and the deeper tanh units end up saturated at ±1.
# - [ ] b) Each layer multiplies it by 0.01, so after 10 layers it is `1e-20`.
# - [ ] c) Each layer multiplies it by about `0.01 * sqrt(500) ≈ 0.22`: after 10 layers it is
#   of the order of `1e-7`.
# - [ ] d) It stays about 1: tanh is nearly the identity around 0, so the layers pass the signal
#   on unchanged, whatever the scale of the weights.
#
# **q7. A scheme with the wrong name**
#
# A tutorial calls `W = rng.standard_normal((n_in, n_out)) * np.sqrt(1 / n_in)` "Xavier
# initialisation". Which scheme is it?
#
# - [ ] a) Xavier (Glorot): in their 2010 paper Glorot and Bengio set `Var(W) = 1 / n_in` for
#   every layer.
# - [ ] b) LeCun's scale, `Var(W) = 1 / fan_in`. Glorot's is `2 / (fan_in + fan_out)`; the two
#   agree only when `fan_in = fan_out`.
# - [ ] c) He initialisation.
# - [ ] d) Xavier (Glorot), because in this formula `1 / n_in` stands for the average of
#   `1 / n_in` and `1 / n_out`, which is what Glorot and Bengio recommend.
#
# **q8. The 2 in He initialisation**
#
# He et al. use `Var(W) = 2 / fan_in` for layers followed by ReLU, twice LeCun's variance. Why?
#
# - [ ] a) It averages the forward condition `fan_in * Var(W) = 1` and the backward condition
#   `fan_out * Var(W) = 1`, as Glorot and Bengio did, and then rounds the result.
# - [ ] b) ReLU's derivative is 2 for positive inputs.
# - [ ] c) The factor 2 is an empirical fudge factor, found by trying several values; there is
#   no derivation behind it.
# - [ ] d) ReLU zeroes the negative half of a symmetric input, halving the mean square it passes
#   on; doubling `Var(W)` makes up for it.
#
# **q9. Vanishing and exploding**
#
# On its way back through a deep network the gradient is multiplied by roughly the same factor
# at every layer. With a factor of 1.1 per layer and 50 layers, how does the gradient reaching
# the first layer compare with the one leaving the last?
#
# - [ ] a) Infinite: any factor above 1 makes training diverge at once.
# - [ ] b) About 117 times larger: the factors multiply, `1.1**50 ≈ 117`, so the gradient
#   explodes; at 0.9 per layer it would shrink to `0.9**50 ≈ 0.005` and vanish.
# - [ ] c) About the same: the deviations from 1 are small, so over many layers they average
#   out and the gradient keeps its size.
# - [ ] d) About 6 times larger: each layer adds 10 % of the gradient.
#
# Check your work with `grader check 12`; ask for a hint with `grader hint 12`.
# Generated from cards/12-concepts.md by `grader build`. Edit the code below.

"""Initialisation concepts: a quiz.

Read each question in the comments above. Set its entry to the letter of the one right
option, as a string ("a", "b", "c" or "d"). Leave None for a question you have not answered yet.
"""

ANSWERS = {
    # q1: Why draw the initial weights at random rather than all equal?
    #   a) to escape local minima   b) to break the symmetry between units
    #   c) SGD needs a random start   d) as a regulariser
    "q1": None,
    # q2: A one-hidden-layer tanh network with every weight and bias at 0: what happens?
    #   a) only the output bias ever learns   b) trains, only slower
    #   c) gradients explode   d) fine with ReLU, not with tanh
    "q2": None,
    # q3: Why is zero init fine for logistic regression but not for a hidden layer?
    #   a) a different loss   b) fewer weights
    #   c) each weight has its own input; hidden units are interchangeable
    #   d) it is fine for both
    "q3": None,
    # q4: Random weights, all biases 0: is the equal bias a problem?
    #   a) yes, dead ReLUs   b) no, biases are not trained   c) yes, symmetry   d) no
    "q4": None,
    # q5: What does scaling the weights by 0.01 buy a shallow tanh/sigmoid network?
    #   a) no saturation   b) weights sum to 1   c) symmetry breaking   d) linearity
    "q5": None,
    # q6: The same 0.01 in a 10-layer tanh network of width 500: the activations' std...
    #   a) grows, tanh saturates   b) falls by 0.01 per layer
    #   c) falls by about 0.22 per layer   d) stays about 1
    "q6": None,
    # q7: W = rng.standard_normal((n_in, n_out)) * np.sqrt(1 / n_in) is...
    #   a) Glorot   b) LeCun   c) He   d) Glorot, as an average
    "q7": None,
    # q8: Why does He use Var(W) = 2 / fan_in for ReLU?
    #   a) forward/backward average   b) ReLU's slope is 2
    #   c) an empirical fudge factor   d) ReLU halves the mean square
    "q8": None,
    # q9: A gradient multiplied by 1.1 at each of 50 layers ends up...
    #   a) infinite   b) about 117 times larger   c) unchanged on average
    #   d) about 6 times larger
    "q9": None,
}
