"""The instructors' answer key, generated from the exercise bank (the same source as the notebooks'
exercise cells and the checks).

Usage (from the repository root)::

    python -m lepton_helpers.course.key            # every notebook, Markdown on stdout
    python -m lepton_helpers.course.key 03 09      # some notebooks
    python -m lepton_helpers.course.key > answer_key.md

For each exercise: its id, kind and title, the full task (its options included), a reference solution,
the expected outcome of a predict exercise, the hints, and the common wrong answers with what the check
says to each.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from ..exercises import exercises
from ..exercises.framework import Choice


def _section(exercise) -> list[str]:
    """The key's entry for one exercise: the full task (as the notebook shows it), the solution, for a predict
    exercise the outcome its experiment gives, the hints and the common wrong answers."""
    lines = [f"### {exercise.id} · {exercise.title} ({exercise.kind})", "", exercise.task.strip(), "",
             "Solution:", "", "```python", exercise.solution, "```", ""]
    if isinstance(exercise, Choice):
        expected = "Expected outcome of the experiment (the check runs it only once a prediction is given): "
        lines += [f"{expected if exercise.kind == 'predict' else ''}**{letter}**: {exercise.reasons[letter]}"
                  for letter in sorted(exercise.correct)] + [""]
    lines += ["Hints (tiers):", ""] + [f"{i}. {text}" for i, text in enumerate(exercise.hints, 1)] + [""]
    if exercise.mistakes:
        lines += ["Common wrong answers, and what the check says:", ""]
        lines += [f"- {m.label}: “{m.says}”" for m in exercise.mistakes] + [""]
    return lines


def answer_key(notebooks: Iterable[str] | None = None) -> str:
    """The answer key in Markdown for the given notebooks (``["03", "09"]``), or for all of them."""
    wanted = [f"{int(n):02d}" for n in notebooks] if notebooks else None
    chosen = [e for e in exercises() if wanted is None or e.id[:2] in wanted]
    if wanted and not chosen:
        raise ValueError(f"no exercises for notebooks {wanted}; the bank covers {sorted({e.id[:2] for e in exercises()})}")
    lines = ["# Answer key", "",
             "Generated from the exercise bank (`python -m lepton_helpers.course.key`); the notebooks' exercises "
             "and their checks come from the same source. Kinds: implement (a function, checked on fresh random "
             "inputs), predict (predict, then the check runs an experiment), interpret (choose among options), "
             "compute (a number in the quantity asked for), design (an experiment the learner designs).", ""]
    notebook = None
    for exercise in chosen:
        if exercise.id[:2] != notebook:
            notebook = exercise.id[:2]
            lines += [f"## Notebook {notebook}", ""]
        lines += _section(exercise)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lepton_helpers.course.key", description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebook numbers such as 03 (default: all)")
    args = parser.parse_args(argv)
    try:
        print(answer_key(args.notebooks or None), end="")
    except ValueError as err:
        parser.exit(2, f"error: {err}\n")


if __name__ == "__main__":
    main()
