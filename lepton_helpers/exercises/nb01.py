"""Exercises of notebook 01 · Data preprocessing: scaling without leakage, finding test rows that leak
from the training set, and what stratification buys on a small data set."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from ..preprocessing import Normalizer, duplicate_mask
from .framework import Choice, Implement, Mistake, Tolerance


def notebook_names() -> dict:
    """The names notebook 01 defines that an answer may use."""
    return {"torch": torch, "np": np}


# ---------------------------------------------------------------- 01.1 min-max scaling
def _minmax_cases(g: torch.Generator) -> list[tuple]:
    def sample(shape, lo, spread):
        return torch.rand(shape, generator=g, dtype=torch.float64) * spread + lo
    # data's range overlaps train's only in part, so statistics taken from data, or from both, differ
    return [(sample((40,), 2.0, 10.0), sample((15,), 7.0, 10.0)),
            (sample((30, 5), -3.0, 4.0), sample((8, 5), -5.0, 3.0)),
            (sample((100,), 0.0, 200.0), sample((50,), 100.0, 155.0))]


MINMAX = Implement(
    id="01.1",
    title="Min-max scaling with training statistics only",
    task="""Write `minmax(train, data)`: min-max scaling of `data` whose statistics come from the
training data only, so that the smallest value of `train` maps to 0 and its largest to 1 (values of
`data` outside the training range land outside [0, 1], as they should). One minimum and one maximum
for the whole tensor, as `Normalizer(kind="minmax")` does. The check compares with the helper on
fresh random tensors.""",
    answer_cell='''def minmax(train, data):
    """`data` scaled so that train's minimum becomes 0 and train's maximum becomes 1."""
    raise NotImplementedError("your code here")''',
    answer_name="minmax",
    solution='''def minmax(train, data):
    """`data` scaled so that train's minimum becomes 0 and train's maximum becomes 1."""
    lo, hi = train.min(), train.max()
    return (data - lo) / (hi - lo)''',
    hints=("Which of the two arguments may the statistics come from, and which two statistics are they?",
           "Take the minimum and the maximum of `train`. Shift so the minimum goes to 0, then divide by the "
           "width of the training range; apply that same map to `data`."),
    mistakes=(
        Mistake("statistics of `data` (leak)",
                "you used the minimum and maximum of `data`: take them from `train` only (test data must not "
                "shape the preprocessing)",
                lambda train, data: (data - data.min()) / (data.max() - data.min())),
        Mistake("statistics of train and data together (leak)",
                "you fitted the statistics on `train` and `data` together: that is the leak of section 3; "
                "use `train` only",
                lambda train, data: (data - torch.cat([train.flatten(), data.flatten()]).min())
                / (torch.cat([train.flatten(), data.flatten()]).max() - torch.cat([train.flatten(), data.flatten()]).min())),
        Mistake("divided by the maximum instead of the range",
                "after shifting by the minimum, divide by the training range (max - min), not by the maximum",
                lambda train, data: (data - train.min()) / train.max()),
    ),
    reference=lambda train, data: Normalizer.from_training(train, kind="minmax").transform(data),
    cases=_minmax_cases,
    arg_names=("train", "data"),
    tolerance=Tolerance(rtol=1e-5, atol=1e-5),  # the helper returns float32
    against="Normalizer.from_training(train, kind='minmax')",
)


# ---------------------------------------------------------------- 01.2 test rows that leak
def _seen_rows(train, test):
    """True for each test row that equals some training row exactly (pixel for pixel)."""
    seen = {row.tobytes() for row in train.reshape(len(train), -1).numpy()}
    return torch.tensor([row.tobytes() in seen for row in test.reshape(len(test), -1).numpy()])


def _leak_cases(g: torch.Generator) -> list[tuple]:
    """Byte images; the test part holds copies of training rows, a test row repeated within the test part,
    and a near-copy that differs from a training row in one pixel only."""
    cases = []
    for n_train, n_test, side in ((40, 25, 4), (90, 30, 5), (12, 12, 3)):
        train = torch.randint(0, 256, (n_train, side, side), generator=g, dtype=torch.uint8)
        test = torch.randint(0, 256, (n_test, side, side), generator=g, dtype=torch.uint8)
        copies = torch.randperm(n_test - 2, generator=g)[:4] + 1    # neither the first test row nor the last
        test[copies] = train[torch.randint(0, n_train, (4,), generator=g)]
        test[copies[3]][0, 0] ^= 1                     # a near-copy: not a leak
        test[-1] = test[0]                             # repeated within the test part only
        cases.append((train, test))
    return cases


def _within_test_too(train, test):
    return duplicate_mask(torch.cat([train, test]))[len(train):]


LEAKS = Implement(
    id="01.2",
    title="Which test digits leak from the training set?",
    task="""Section 2 counted exact duplicates within the training and test sets together. A split needs a sharper
question: which **test** rows are exact copies of some **training** row (a model tested on them has
already seen them)? Write `seen_in_training(train, test)`: for two tensors of images (shapes `(n, height,
width)` and `(m, height, width)`, bytes), return a boolean tensor with **one entry per test row**, `True`
where that test image equals a training image pixel for pixel. A test image repeated within the test set,
but absent from training, is not a leak; nor is an image that differs from a training image in one
pixel. The check runs it on fresh random images with planted copies.""",
    answer_cell='''def seen_in_training(train, test):
    """True for each test row that equals some training row exactly."""
    raise NotImplementedError("your code here")''',
    answer_name="seen_in_training",
    solution='''def seen_in_training(train, test):
    """True for each test row that equals some training row exactly."""
    known = {row.tobytes() for row in train.reshape(len(train), -1).numpy()}   # one pass over training
    return torch.tensor([row.tobytes() in known for row in test.reshape(len(test), -1).numpy()])''',
    hints=("Section 2 found repeats with one pass and a set of what had been seen. Which rows go into the set, "
           "and which rows are looked up in it?",
           "Put the bytes (or a hash) of every flattened *training* row into a set, then ask, for each flattened "
           "test row, whether its bytes are in that set; collect the answers in a boolean tensor of length m. "
           "(Comparing every test row with every training row with broadcasting also works on small data.)"),
    mistakes=(
        Mistake("repeats within the test set counted",
                "you also flagged a test image that is repeated within the test set but never occurs in training: "
                "only copies of a *training* row leak",
                _within_test_too),
        Mistake("one answer for all test rows",
                "the result needs one True/False per test row, not one for the whole test set",
                lambda train, test: _seen_rows(train, test).any()),
        Mistake("compared the first pixel only",
                "an image is a leak only when *every* pixel equals a training image's: you compared too little "
                "of each row",
                lambda train, test: torch.tensor([bool((train.reshape(len(train), -1)[:, 0] == row[0]).any())
                                                  for row in test.reshape(len(test), -1)])),
    ),
    reference=_seen_rows,
    cases=_leak_cases,
    arg_names=("train", "test"),
    tolerance=Tolerance(0, 0),
    against="the planted copies",
)


# ---------------------------------------------------------------- 01.3 predict: random or stratified split
SPLITS, SMALL_CLASS = 200, 6


def _split_experiment() -> dict[str, int]:
    """How many of 200 80/20 splits of 60 samples (a class of 6 among three) leave the small class
    out of the test part, random against stratified."""
    labels = np.array([0] * 27 + [1] * 27 + [2] * SMALL_CLASS)
    rows = np.arange(len(labels))
    missing = {"random": 0, "stratified": 0}
    for seed in range(SPLITS):
        for name, stratify in (("random", None), ("stratified", labels)):
            _, test = train_test_split(rows, test_size=0.2, stratify=stratify, random_state=seed)
            missing[name] += int(not (labels[test] == 2).any())
    return missing


SPLIT = Choice(
    id="01.3",
    title="A small class and a random split",
    kind="predict",
    task=f"""A data set of 60 samples has three classes: 27, 27 and only {SMALL_CLASS} samples. Split it 80/20
into training and test parts, {SPLITS} times with different seeds, once with a plain random split
and once with a stratified one. In how many of the {SPLITS} splits does the small class get **no
test sample at all**? Predict first, in `split_prediction`, then run the check: it runs the {SPLITS}
splits (under a second).

- **A.** Never, with either kind of split: 12 test samples are plenty.
- **B.** In a sizeable share (more than 1 in 10) of the random splits, and never with stratification.
- **C.** About equally often with both kinds of split.""",
    answer_cell='split_prediction = None  # "A", "B" or "C": write it before you run the check',
    answer_name="split_prediction",
    solution='split_prediction = "B"',
    hints=("Each test sample is drawn from all 60; how likely is one draw to miss the small class?",
           "A random test part of 12 misses the small class when all 12 come from the other 54 samples: multiply "
           "the chances draw by draw (54/60, then 53/59, ...). A stratified split gives each class its 20% share."),
    options={"A": "never, with either", "B": "often with random, never with stratified", "C": "equally often"},
    reasons={
        "A": "12 test samples sound like plenty, but each is drawn from all 60 and the small class is 1 in 10; "
             "the chance that all 12 miss it is (54/60)(53/59)...(43/49), about 1 in 4.",
        "B": "Each random test part misses the small class with probability (54/60)(53/59)...(43/49), about 1 in 4; "
             "a stratified split gives every class its share (here 1 of the 6 small-class samples), every time.",
        "C": "Stratification is exactly the guarantee that every class keeps its share in every part; only the "
             "random split can leave a class out.",
    },
    correct="B",
    experiment=_split_experiment,
    report=lambda missing: [f"the small class had no test sample in {missing['random']} of {SPLITS} random splits "
                            f"and in {missing['stratified']} of {SPLITS} stratified splits"],
    outcome=lambda missing: ("A" if missing["random"] == 0 and missing["stratified"] == 0 else
                             "B" if missing["random"] > SPLITS / 10 and missing["stratified"] == 0 else "C"),
)

EXERCISES = (MINMAX, LEAKS, SPLIT)
