"""Exercises of notebook 00 · Start here: class shares, and what a baseline accuracy is."""

from __future__ import annotations

import torch

from .framework import Choice, Implement, Mistake, Tolerance


def notebook_names() -> dict:
    """The names notebook 00 defines that an answer may use."""
    return {"torch": torch}


def _shares(labels):
    return torch.bincount(labels, minlength=10).double() / len(labels)


def _label_cases(g: torch.Generator) -> list[tuple]:
    n = int(torch.randint(30, 300, (), generator=g))
    return [(torch.randint(0, 10, (n,), generator=g),),
            (torch.randint(0, 6, (int(torch.randint(5, 40, (), generator=g)),), generator=g),),  # no 6-9
            (torch.tensor([int(torch.randint(0, 10, (), generator=g))]),),                       # a single label
            (torch.randint(0, 10, (1000,), generator=g),)]


SHARES = Implement(
    id="00.1",
    title="The share of each digit",
    task="""Write `class_shares(labels)`: for a 1-D tensor of digit labels (whole numbers 0-9), return a
tensor of **10 numbers**, the fraction of the labels that are 0, that are 1, ..., that are 9 (so they
add up to 1). The check runs it on fresh random label tensors, including some in which a digit never
occurs. Then try it on `mnist.train_labels`.""",
    answer_cell='''def class_shares(labels):
    """The fraction of `labels` equal to each digit 0-9: a tensor of 10 numbers."""
    raise NotImplementedError("your code here")''',
    answer_name="class_shares",
    solution='''def class_shares(labels):
    """The fraction of `labels` equal to each digit 0-9: a tensor of 10 numbers."""
    counts = torch.bincount(labels, minlength=10)
    return counts / len(labels)''',
    hints=("Count how often each digit occurs, then turn the counts into fractions.",
           "`torch.bincount` counts each value of a tensor of whole numbers. Read what its `minlength` argument "
           "does: a digit that never occurs still needs its own entry. Then divide by how many labels there are."),
    mistakes=(
        Mistake("counts instead of fractions",
                "these are counts, not fractions: divide each count by the number of labels",
                lambda labels: torch.bincount(labels, minlength=10)),
        Mistake("percentages instead of fractions",
                "these are percentages; the exercise asks for fractions between 0 and 1",
                lambda labels: 100 * torch.bincount(labels, minlength=10) / len(labels)),
        Mistake("fewer than 10 entries when the last digits are missing",
                "when the largest digits never occur in `labels`, your result has fewer than 10 entries: "
                "every digit 0-9 needs its share, even a share of 0",
                lambda labels: torch.bincount(labels) / len(labels)),
    ),
    reference=_shares,
    cases=_label_cases,
    arg_names=("labels",),
    tolerance=Tolerance(rtol=1e-6, atol=1e-9),
    against="torch.bincount",
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

EXERCISES = (SHARES, BASELINE)
