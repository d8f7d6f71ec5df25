"""Hidden checks for exercise 12: the initialisation concepts quiz.

One check per question. The right letters cannot be computed, so they live here; the feedback for
a wrong letter names the misconception behind that option, never the right letter.
"""

import pytest

from grader.checkapi.expect import fail

LETTERS = ("a", "b", "c", "d")

# question -> (right letter, topic, {wrong letter: what that choice gets wrong})
QUIZ = {
    "q1": ("b", "why the initial weights are random", {
        "a": "Random starting values do not keep gradient descent out of local minima, and "
             "equal weights fail long before any minimum: think about the gradients that two "
             "units with equal incoming weights receive.",
        "c": "The 'stochastic' in stochastic gradient descent refers to the random "
             "mini-batches, not to the starting point; the method runs from any start.",
        "d": "Random initial weights are not a regulariser; think about what happens to two "
             "units of a layer whose incoming weights are equal.",
    }),
    "q2": ("a", "an all-zero network", {
        "b": "Gradient descent cannot leave this point in the weights: work out the gradient "
             "of the output weights (it multiplies the hidden outputs tanh(0)) and of the "
             "hidden weights (it goes back through the output weights).",
        "c": "Back-propagation multiplies the error by the weights, it never divides by them; "
             "with zero weights the gradients are zero, not large.",
        "d": "ReLU does not help: relu(0) = 0, so the hidden outputs are 0 again, and the "
             "error reaches the hidden layer only through the zero output weights, whatever "
             "slope ReLU is given at 0.",
    }),
    "q3": ("c", "zero weights in logistic regression", {
        "a": "The loss is not the difference: classification networks use the same "
             "cross-entropy. Compare what each weight multiplies in the two models.",
        "b": "Size is not the point: a network with two hidden units is already stuck when "
             "they start equal. Ask whether two weights can be swapped without changing "
             "anything.",
        "d": "No learning rate breaks an exact tie: equal units get equal updates, whatever "
             "their size.",
    }),
    "q4": ("d", "equal biases", {
        "a": "A ReLU unit with random weights and a zero bias is active for about half of the "
             "inputs: it is alive, not dead.",
        "b": "Biases are trained like weights; they get their own gradient.",
        "c": "Units are symmetric only if *all* their incoming parameters are equal. Once the "
             "weights are random, equal biases do not make two units compute the same "
             "function.",
    }),
    "q5": ("a", "why 0.01 helps a shallow tanh/sigmoid network", {
        "b": "Nothing asks the weights of a unit to sum to 1; scale matters for what the "
             "activation function does with the weighted sum.",
        "c": "Any random values break the symmetry, large or small; the scale is about "
             "something else: where tanh and sigmoid are steep or flat.",
        "d": "Near-linearity at the start is a side effect, not the purpose, and the network "
             "becomes non-linear as it trains; think of the slope of tanh at large inputs.",
    }),
    "q6": ("c", "0.01 in a deep network", {
        "a": "Sum 500 products of std 0.01 each: the std of the sum is 0.01 * sqrt(500), below "
             "1, so the pre-activations get smaller, not larger.",
        "b": "A unit sums 500 products: the std of the sum is sqrt(500) times that of one "
             "product, so the factor per layer is not 0.01 itself.",
        "d": "tanh being nearly linear near 0 means the weights alone set the factor per "
             "layer: compute the std of a sum of 500 products of scale 0.01.",
    }),
    "q7": ("b", "the scheme behind sqrt(1/n_in)", {
        "a": "Glorot and Bengio's variance involves both fans, 2 / (fan_in + fan_out); a "
             "variance of 1 / fan_in uses the input fan alone.",
        "c": "He's variance for ReLU is 2 / fan_in, twice this one.",
        "d": "1 / n_in uses n_in alone; an average of the two fans would involve n_out too.",
    }),
    "q8": ("d", "the 2 in He initialisation", {
        "a": "Averaging the forward and backward conditions is Glorot's compromise, 2 / "
             "(fan_in + fan_out); He's variance uses fan_in alone.",
        "b": "ReLU's slope is 1 for positive inputs and 0 for negative ones, never 2.",
        "c": "The 2 is derived: compute E[relu(z)**2] for a z symmetric around 0.",
    }),
    "q9": ("b", "a factor of 1.1 over 50 layers", {
        "a": "A large factor is still a finite number; compute 1.1 to the power 50.",
        "c": "The deviations do not average out: the same factor applies at every layer, so "
             "they pile up.",
        "d": "Factors that multiply at every layer compound: the total is a power, not a sum.",
    }),
}


def _answer(learner, question):
    """The learner's answer to `question`, normalised to a letter, or a failure."""
    if not learner.has("ANSWERS"):
        fail("your file defines no ANSWERS dictionary: keep `ANSWERS = {\"q1\": ..., ...}` from "
             "the exercise file")
    answers = learner.value("ANSWERS")
    if not isinstance(answers, dict):
        fail(f"ANSWERS is a {type(answers).__name__}; expected a dictionary such as "
             "{\"q1\": \"a\", \"q2\": \"c\", ...}")
    if question not in answers:
        fail(f"ANSWERS has no key {question!r}: keep the keys q1 to q9 of the exercise file")
    raw = answers[question]
    if raw is None:
        fail(f"{question} is not answered yet: set ANSWERS[{question!r}] to the letter of "
             "your choice, for instance \"a\"")
    if not isinstance(raw, str):
        fail(f"ANSWERS[{question!r}] is {raw!r}; expected a letter as a string, such as \"a\"")
    letter = raw.strip().lower().strip("()").strip().rstrip(").:").strip()
    if letter not in LETTERS:
        fail(f"ANSWERS[{question!r}] is {raw!r}; expected one letter among "
             f"{', '.join(repr(x) for x in LETTERS)}")
    return letter


def _check(learner, question):
    right, topic, wrong = QUIZ[question]
    letter = _answer(learner, question)
    if letter != right:
        fail(f"{question} ({topic}): option {letter}) is not the right one. {wrong[letter]}")


@pytest.mark.points(1)
@pytest.mark.parametrize(("question", "topic"), [(q, QUIZ[q][1]) for q in QUIZ], ids=list(QUIZ))
def test_question(learner, question, topic):
    """{question}: {topic}"""
    _check(learner, question)
