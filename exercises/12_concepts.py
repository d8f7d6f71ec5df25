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
# Check your work with `grader check 12`; ask for a hint with `grader hint 12`.
# Generated from cards/12-concepts.md by `grader build`. Edit the code below.

"""Initialisation concepts: a quiz.

Read each question in the card. Set its entry to the letter of the one right option, as a
string ("a", "b", "c" or "d"). Leave None for a question you have not answered yet.
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
