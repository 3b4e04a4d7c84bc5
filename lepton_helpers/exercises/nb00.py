"""Exercises of notebook 00 · Start here: class weights that balance the digits, and what a baseline accuracy is."""

from __future__ import annotations

import torch

from .framework import Choice, Implement, Mistake, Tolerance


def notebook_names() -> dict:
    """The names notebook 00 defines that an answer may use."""
    return {"torch": torch}


def _weights(labels):
    return len(labels) / (10 * torch.bincount(labels, minlength=10).double())


def _label_cases(g: torch.Generator) -> list[tuple]:
    """Label tensors in which every digit occurs: uniform, skewed towards low digits, and nearly balanced."""
    every_digit = torch.arange(10)
    skewed = torch.randint(0, 10, (400,), generator=g) * torch.rand(400, generator=g) // 1
    return [(torch.cat([every_digit, torch.randint(0, 10, (int(torch.randint(20, 300, (), generator=g)),), generator=g)]),),
            (torch.cat([every_digit, skewed.long()]),),
            (torch.cat([every_digit.repeat(3), torch.tensor([int(torch.randint(0, 10, (), generator=g))])]),)]


WEIGHTS = Implement(
    id="00.1",
    title="Class weights that balance the digits",
    task="""A loss can weigh each training example by its class, so that rare digits count as much as
common ones. Write `class_weights(labels)`: for a 1-D tensor of digit labels (whole numbers 0-9, each
digit present at least once), return a tensor of **10 weights**, one per digit, such that

- every digit carries the same total weight (its count times its weight is the same for all ten), and
- the weights of all the labels average 1 (`class_weights(labels)[labels].mean()` is 1).

The check runs it on fresh random label tensors, some far from balanced. Then try it on
`mnist.train_labels`: which digit gets the largest weight, and how large is it?""",
    answer_cell='''def class_weights(labels):
    """One weight per digit 0-9: equal total weight per digit, mean weight 1 over the labels."""
    raise NotImplementedError("your code here")''',
    answer_name="class_weights",
    solution='''def class_weights(labels):
    """One weight per digit 0-9: equal total weight per digit, mean weight 1 over the labels."""
    counts = torch.bincount(labels, minlength=10)
    return len(labels) / (10 * counts)''',
    hints=("The first condition fixes the weights up to one common factor; the second fixes that factor.",
           "Equal totals mean weight ∝ 1 / count (count them with `torch.bincount`, as section 2 does). Then sum "
           "the weights over all labels, digit by digit (count × weight), and choose the factor that makes that "
           "sum equal to the number of labels."),
    mistakes=(
        Mistake("shares instead of weights",
                "these are the digits' shares (count / N): a common digit must get a *smaller* weight, not a larger one",
                lambda labels: torch.bincount(labels, minlength=10) / len(labels)),
        Mistake("1 / count without the common factor",
                "each digit now carries the same total weight, but the weights do not average 1 over the labels: "
                "scale them all by one common factor",
                lambda labels: 1 / torch.bincount(labels, minlength=10).double()),
        Mistake("N / count (factor 10 too large)",
                "the right shape (∝ 1 / count), but the weights average 10 over the labels, not 1: there are ten "
                "digits sharing the total",
                lambda labels: len(labels) / torch.bincount(labels, minlength=10).double()),
    ),
    reference=_weights,
    cases=_label_cases,
    arg_names=("labels",),
    tolerance=Tolerance(rtol=1e-6, atol=1e-9),
    against="N / (10 · count), the weights that meet both conditions",
)

BASELINE = Choice(
    id="00.2",
    title="Better than chance?",
    task="""A classmate's model gets **11.3%** of the bundled training digits right. "Better than chance
(10%)", they say. Look at the class counts of section 2. Which statement is right? Set `baseline_answer`
to `"A"`, `"B"` or `"C"`.

- **A.** It has learnt something: 11.3% is more than the 10% of random guessing.
- **B.** It shows nothing: a "model" that always answers the most common digit scores about as much.
- **C.** It is worse than chance, because the rarest digit makes up less than 10% of the data.""",
    answer_cell='baseline_answer = None  # "A", "B" or "C"',
    answer_name="baseline_answer",
    solution='baseline_answer = "B"',
    hints=("What accuracy does the laziest possible model get, the one that ignores the image?",
           "Pick the digit with the largest count in section 2 and work out the accuracy of always answering it: "
           "its count divided by the number of training digits."),
    options={"A": "It has learnt something", "B": "It shows nothing", "C": "It is worse than chance"},
    reasons={
        "A": "10% is what guessing uniformly at random gets. Always answering '1', the most common training digit "
             "(1,127 of 10,000), already gets 11.3% without looking at an image: compare with that baseline.",
        "B": "Always answering '1', the most common training digit (1,127 of 10,000), scores 11.3% without looking "
             "at the image. An accuracy is only evidence when it beats this majority-class baseline.",
        "C": "Chance is not set by the rarest digit: uniform guessing gets 10% whatever the shares, and always "
             "answering the most common digit gets its share. The real baseline here is the majority class.",
    },
    correct="B",
)

EXERCISES = (WEIGHTS, BASELINE)
