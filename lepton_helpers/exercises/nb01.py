"""Exercises of notebook 01 · Data preprocessing: scaling without leakage, finding damaged rows,
and what stratification buys on a small data set."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from ..preprocessing import Normalizer, corrupt
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


# ---------------------------------------------------------------- 01.2 rows with a problem
def _problems(x, y):
    flat = x.reshape(len(x), -1)
    return torch.isnan(flat).any(1) | ((flat < 0) | (flat > 255)).any(1) | (y < 0) | (y > 9)


def _damaged_cases(g: torch.Generator) -> list[tuple]:
    cases = []
    for rows in (60, 120):
        x = torch.randint(0, 256, (rows, 6, 6), generator=g, dtype=torch.uint8)
        y = torch.randint(0, 10, (rows,), generator=g)
        counts = torch.randint(2, 8, (4,), generator=g).tolist()
        x_bad, y_bad, _ = corrupt(x, y, n_nan=counts[0], n_out_of_range=counts[1], n_bad_labels=counts[2],
                                  n_duplicates=counts[3], seed=int(torch.randint(0, 2**31, (), generator=g)))
        y_bad[:2] = torch.tensor([-1, 10])  # both kinds of invalid label in every case, whatever corrupt drew
        cases.append((x_bad, y_bad))
    return cases


def _without(part):
    """A version of the reference that misses one problem (a known mistake)."""
    def mask(x, y):
        flat = x.reshape(len(x), -1)
        parts = {"nan": torch.isnan(flat).any(1), "range": ((flat < 0) | (flat > 255)).any(1),
                 "negative": y < 0, "large": y > 9}
        return torch.stack([v for k, v in parts.items() if k != part]).any(0)
    return mask


PROBLEM_ROWS = Implement(
    id="01.2",
    title="Which rows are damaged?",
    task="""Write `problem_rows(x, y)`: for images `x` (float, shape `(n, height, width)`) and labels `y`,
return a boolean tensor with **one entry per row**, `True` where the row has a NaN pixel, a pixel
outside 0-255, or a label that is not a digit 0-9 (duplicates do not count here). The check runs it
on freshly damaged copies made by `corrupt()` with other seeds and counts than section 2's.""",
    answer_cell='''def problem_rows(x, y):
    """True for each row with a NaN pixel, a pixel outside 0-255 or an invalid label."""
    raise NotImplementedError("your code here")''',
    answer_name="problem_rows",
    solution='''def problem_rows(x, y):
    """True for each row with a NaN pixel, a pixel outside 0-255 or an invalid label."""
    flat = x.reshape(len(x), -1)
    has_nan = torch.isnan(flat).any(dim=1)
    out_of_range = ((flat < 0) | (flat > 255)).any(dim=1)
    bad_label = (y < 0) | (y > 9)
    return has_nan | out_of_range | bad_label''',
    hints=("Build one True/False per row for each of the three problems, then combine them.",
           "Flatten each image into a row; reduce a pixel condition over each row with `.any(dim=1)`; combine "
           "masks with `|`. Check what a comparison such as `< 0` says about a NaN pixel."),
    mistakes=(
        Mistake("missed NaN pixels",
                "a NaN pixel is neither < 0 nor > 255 (every comparison with NaN is False): test for it "
                "with torch.isnan",
                _without("nan")),
        Mistake("missed negative labels",
                "labels below 0 (such as -1) are invalid too, not only those above 9",
                _without("negative")),
        Mistake("missed labels above 9", "labels above 9 (such as 10 or 99) are invalid too", _without("large")),
        Mistake("missed out-of-range pixels", "pixels below 0 or above 255 make a row damaged too", _without("range")),
        Mistake("one answer for the whole tensor",
                "the result needs one True/False per row: reduce over the pixels of each row only (dim=1), "
                "not over the whole tensor",
                lambda x, y: torch.isnan(x).any() | (x < 0).any() | (x > 255).any() | (y < 0).any() | (y > 9).any()),
    ),
    reference=_problems,
    cases=_damaged_cases,
    arg_names=("x", "y"),
    tolerance=Tolerance(0, 0),
    against="the planted problems",
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

EXERCISES = (MINMAX, PROBLEM_ROWS, SPLIT)
