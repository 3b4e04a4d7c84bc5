"""Exercises of notebook 05 · Feature extraction: a forward hook written by hand, and why feature
selection needs a random baseline."""

from __future__ import annotations

import torch

from ..env import seeded
from ..models import MLP
from .framework import Choice, Implement, Mistake, Tolerance


def notebook_names() -> dict:
    """The names notebook 05 defines that an answer may use."""
    return {"torch": torch}


def _hook_cases(g: torch.Generator) -> list[tuple]:
    cases = []
    for activation in ("relu", "lepton-k4"):
        depth = int(torch.randint(3, 5, (), generator=g))
        sizes = tuple(int(s) for s in torch.randint(3, 40, (depth,), generator=g))
        with seeded(int(torch.randint(0, 2**31, (), generator=g))):
            model = MLP(sizes, activation)
        x = torch.randn(4, sizes[0], generator=g)
        modules = [*model.hidden, model.head, model.hidden[0][0]]  # blocks, the head, and a Linear inside a block
        cases += [(model, module, x) for module in modules]
    return cases


def _path_to(model, module):
    """The output of ``module`` computed without hooks: run the blocks up to it."""
    def output(x):
        h = x.flatten(1)
        for block in model.hidden:
            if module is block[0]:
                return block[0](h)
            h = block(h)
            if module is block:
                return h
        return model.head(h)
    return output


def _reference(model, module, x):
    with torch.no_grad():
        return {"output": _path_to(model, module)(x), "hook removed": True}


def _call(answer, model, module, x):
    """The learner's result, and whether their hook is gone afterwards (the case's module had none)."""
    result = answer(model, module, x)
    return {"output": result, "hook removed": not module._forward_hooks}


def _leaky(model, module, x):
    seen = []
    module.register_forward_hook(lambda mod, inp, out: seen.append(out))
    with torch.no_grad():
        model(x)
    return seen[0]


def _inputs_instead(model, module, x):
    seen = []
    handle = module.register_forward_hook(lambda mod, inp, out: seen.append(inp[0]))
    with torch.no_grad():
        model(x)
    handle.remove()
    return seen[0]


def _model_output(model, module, x):
    with torch.no_grad():
        return model(x)


HOOK = Implement(
    id="05.1",
    title="A forward hook by hand",
    task="""Write `output_of(model, module, x)`: it runs `model(x)` and returns what `module` (one of the model's
layers: a hidden block, the head, or a `Linear` inside a block) outputs, captured by a forward hook.
The hook must be removed before the function returns, or it would keep firing on every later forward
pass. The check runs it on fresh random networks, for every kind of module.""",
    answer_cell='''def output_of(model, module, x):
    """What `module` outputs while `model(x)` runs, captured by a forward hook that is then removed."""
    raise NotImplementedError("your code here")''',
    answer_name="output_of",
    solution='''def output_of(model, module, x):
    """What `module` outputs while `model(x)` runs, captured by a forward hook that is then removed."""
    seen = []
    handle = module.register_forward_hook(lambda mod, inputs, output: seen.append(output))
    try:
        with torch.no_grad():
            model(x)
    finally:
        handle.remove()                 # even if the forward pass fails
    return seen[0]''',
    hints=("A forward hook is a function PyTorch calls with (module, inputs, output) whenever the module runs; "
           "keep what it receives somewhere your function can read afterwards.",
           "Make an empty list, register a hook on `module` that appends its output (keep the handle that "
           "`register_forward_hook` returns), run the model without gradients, remove the hook with the handle "
           "(a `try`/`finally` makes sure), then return what the list holds."),
    mistakes=(
        Mistake("left the hook registered", "your hook is still registered on the module after the call: keep the "
                "handle from register_forward_hook and call handle.remove()",
                _leaky),
        Mistake("returned the module's input", "that is what the module receives (the hook's `inputs`); return what "
                "it outputs",
                _inputs_instead),
        Mistake("returned the model's output", "that is the whole model's output (the logits); return what `module` "
                "outputs",
                _model_output),
    ),
    reference=_reference,
    cases=_hook_cases,
    arg_names=("model", "module", "x"),
    tolerance=Tolerance(rtol=1e-6, atol=1e-7),
    against="running the layers up to the module",
    call=_call,
)


RANDOM_BASELINE = Choice(
    id="05.2",
    title="Why did random pixels do as well as the scores?",
    task="""In section 4, 50 pixels chosen **at random** gave a probe at least as good as the 50 pixels with the
highest ANOVA F scores (or mutual information, or permutation importance): on validation the random set
was ahead of each, though by less than the rule needs for a verdict. Why do the scores not win?
Set `selection_answer` to one letter.

- **A.** Luck: with another random seed the score-based choices would win.
- **B.** Those scores rate each pixel on its own, so their top 50 are neighbours that carry much the same
  information; a random set spreads over the digit and carries more that is distinct.
- **C.** The scores are computed wrongly on standardised pixels; on raw pixels they would win.
- **D.** A linear probe cannot use informative pixels; only a network can.""",
    answer_cell='selection_answer = None  # "A", "B", "C" or "D"',
    answer_name="selection_answer",
    solution='selection_answer = "B"',
    hints=("Look at section 4's picture of the 50 pixels each method keeps: where do they sit?",
           "A univariate score asks 'how much does this pixel alone tell about the digit?'. What happens when "
           "neighbouring pixels each answer 'a lot', for the same reason?"),
    options={"A": "luck", "B": "redundant neighbours", "C": "wrong on standardised pixels", "D": "probes cannot use them"},
    reasons={
        "A": "Random sets kept up with the univariate scores at both 50 and 100 pixels, and the picture shows why: "
             "the scores crowd their pixels together. That is a systematic effect, not luck (a second random seed "
             "would show it too: try it).",
        "B": "A univariate score rates each pixel alone, so the top pixels cluster where one stroke is informative "
             "and repeat each other; a random set covers the whole digit. Always compare a selection method with "
             "a random baseline.",
        "C": "Standardising with one shift and scale for all pixels does not change the ranking of an F score or of "
             "mutual information; the cause is redundancy between the chosen pixels.",
        "D": "The same probe does well on all 650 varying pixels (section 4 prints its accuracy), so it uses "
             "information well; what differs is which "
             "information the 50 chosen pixels contain.",
    },
    correct="B",
)

EXERCISES = (HOOK, RANDOM_BASELINE)
