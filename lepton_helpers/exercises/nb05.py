"""Exercises of notebook 05 · Feature extraction: a forward hook written by hand, and what a feature
selection's verdicts against a random baseline (averaged over several draws) do and do not show."""

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
    title="What do the random pixels show?",
    task="""Section 4 judged each ranking's 50 pixels against 50 pixels chosen **at random**, with the random
baseline averaged over 10 draws on each of 3 seeds. Under the rule, the ANOVA F ranking came out **worse**
than random pixels, and mutual information showed **no detectable difference** from them. Which
statements does this evidence support? Set `selection_answer` to the letter of every supported
statement (for example `"AC"`).

- **A.** Mutual information's 50 pixels are as good as random ones.
- **B.** ANOVA F's top 50 pixels are worse than random ones here, and the picture of where they sit
  suggests why: a univariate score rates each pixel alone, so its best pixels clump together and repeat
  each other, while random pixels spread over the digit.
- **C.** Mutual information is really better than random pixels; three seeds were too few to show it.
- **D.** Whether mutual information's 50 pixels beat random ones: this evidence cannot tell.
- **E.** The random baseline won by luck: one random draw happened to be a good one.""",
    answer_cell='selection_answer = None  # the letters of every supported statement, e.g. "AC"',
    answer_name="selection_answer",
    solution='selection_answer = "BD"',
    hints=("Read section 4's two verdicts again, word for word: which says 'worse' and which says 'no detectable "
           "difference'? And how many random draws stand behind the baseline?",
           "'No detectable difference' means the 95% interval of the difference holds both signs: it supports "
           "neither 'better' nor 'as good as' (that would be the verdict 'equivalent within the margin'). A "
           "'worse' verdict supports a claim, and the picture of the kept pixels can suggest its cause."),
    options={"A": "as good as random", "B": "F worse, clumped pixels", "C": "MI really better",
             "D": "MI: cannot tell", "E": "a lucky draw"},
    reasons={
        "A": "'As good as' is the verdict 'equivalent within the margin', which needs the whole 95% interval inside "
             "±half a point; 'no detectable difference' means the interval is wider than that, so it cannot tell "
             "'as good as' from 'better' or 'worse'.",
        "B": "The F verdict is 'worse' with the baseline averaged over 10 draws and paired over 3 seeds, and the "
             "picture shows the F ranking's pixels crowded where one stroke is informative: neighbours that repeat "
             "each other, where random pixels cover the whole digit.",
        "C": "That is a guess: the interval of the difference holds both signs, so the evidence does not point "
             "either way. More seeds might show a difference in either direction, or none.",
        "D": "Right: 'no detectable difference' is the rule's way of saying the evidence does not separate them, "
             "and that is an answer in its own right. Always compare a selection method with a random baseline, "
             "averaged over several draws, before trusting it.",
        "E": "The baseline is the mean of 10 random draws on each seed, and the verdict pairs 3 seeds: one lucky "
             "draw cannot carry it (the figure's grey band shows how far single draws spread).",
    },
    correct="BD",
)

EXERCISES = (HOOK, RANDOM_BASELINE)
