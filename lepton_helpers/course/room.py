"""The one-cell room check before a workshop: run it on each of the room's machines (in Colab, after the setup cell)::

    from lepton_helpers.course.room import room_check; room_check()

It needs only what ``pip install`` of the package brings (no test or notebook tooling), so it
works in Colab and in a learner's plain environment.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, metadata, requires, version
from pathlib import Path

import torch

from ..data import full_on_disk, load_mnist
from ..env import environment_report, get_device, seeded
from ..models import MLP


PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def supported_ranges() -> dict[str, str]:
    """``{"python": ">=3.11", "torch": ">=2.8.0", ...}``: the supported ranges, from pyproject.toml.

    In a clone the file itself is read (an editable install's metadata can be stale); in a plain
    ``pip install`` (Colab) the installed package's metadata, which was built from it.
    """
    if PYPROJECT.exists():
        project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
        python, deps = project["requires-python"], project["dependencies"]
    else:
        python = metadata("lepton-helpers")["Requires-Python"]
        deps = [d for d in requires("lepton-helpers") or [] if ";" not in d]
    ranges = {"python": python}
    for dep in deps:
        name, spec = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(.*)", dep).groups()
        ranges[name] = spec.replace(" ", "")
    return ranges


def _release(text: str) -> tuple[int, ...]:
    """The numeric release of a version string: "2.8.0+cu128" -> (2, 8, 0), "3.11.4" -> (3, 11, 4)."""
    return tuple(int(part) for part in re.findall(r"\d+", text.split("+")[0].split("rc")[0])[:3])


def in_range(installed: str, spec: str) -> bool:
    """Does ``installed`` satisfy ``spec`` (comma-separated ``>=``, ``>``, ``<``, ``<=``, ``==`` clauses)?"""
    compare = {">=": tuple.__ge__, ">": tuple.__gt__, "<=": tuple.__le__, "<": tuple.__lt__, "==": tuple.__eq__}
    for clause in filter(None, spec.replace(" ", "").split(",")):
        op, bound = re.match(r"(>=|<=|==|>|<)(.+)", clause).groups()
        bound = _release(bound)
        have = (_release(installed) + (0,) * len(bound))[:len(bound)]  # compared at the bound's precision
        if not compare[op](have, bound):
            return False
    return True


def version_problems(installed: dict[str, str] | None = None) -> list[str]:
    """One line per package (or Python) outside its supported range, saying which command fixes it."""
    ranges = supported_ranges()
    if installed is None:
        installed = {"python": ".".join(map(str, sys.version_info[:3]))}
        for name in ranges:
            if name != "python":
                try:
                    installed[name] = version(name)
                except PackageNotFoundError:
                    installed[name] = None
    problems = []
    for name, spec in ranges.items():
        have = installed.get(name)
        if name == "python" and not in_range(have, spec):
            problems.append(f"Python {have} is outside {spec}: install Python 3.11 or newer (README, Quick start) "
                            "and make the environment again")
        elif name != "python" and (have is None or not in_range(have, spec)):
            what = "is not installed" if have is None else f"{have} is outside {spec}"
            problems.append(f'{name} {what}: run `python -m pip install "{name}{spec}"` '
                            '(in a notebook: `%pip install ...`, then restart the kernel)')
    return problems


def _in_a_notebook() -> bool:
    """Is there a notebook frontend that could draw a widget (a kernel, not a terminal or a script)?"""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in shell.config


def room_check() -> bool:
    """Is this machine ready for the workshop? Versions, the bundled data, a training step, widgets.

    Prints one verdict per line and shows a slider (which must appear as a slider, not as text);
    returns True when every check passed.
    """
    from IPython.display import display
    from ipywidgets import IntSlider

    verdicts = []

    def verdict(passed: bool, what: str, detail: str) -> None:
        verdicts.append(passed)
        print(f"{'✅' if passed else '❌'} {what}: {detail}")

    report = environment_report(torch.device("cpu"))
    problems = version_problems()
    shown = ", ".join(f"{name} {report[name]}" for name in ("python", "torch", "ipywidgets"))
    verdict(not problems, "versions", f"{shown}; all within pyproject.toml's ranges" if not problems else
            f"{len(problems)} outside the supported ranges:\n   " + "\n   ".join(problems))
    try:
        mnist = load_mnist("bundled")
        full = "full MNIST downloaded" if full_on_disk() else \
            "full MNIST not downloaded (optional: `python -m lepton_helpers.course.prefetch`)"
        verdict(True, "data", f"MNIST-10k verified ({len(mnist.train_labels):,} + {len(mnist.test_labels):,} "
                              f"digits); {full}")
    except (OSError, ValueError) as err:
        verdict(False, "data", str(err))
    try:
        device = get_device()
        with seeded(0):  # the learner's random stream stays where it was
            model = MLP().to(device)
        model(torch.zeros(32, 784, device=device)).sum().backward()
        verdict(True, "compute", f"a training step runs on {device.type}")
    except RuntimeError as err:
        verdict(False, "compute", str(err))
    if _in_a_notebook():
        display(IntSlider(value=5, max=10, description="widgets"))
        print("👆 This must be a slider you can drag. Text such as IntSlider(...) or 'Error displaying widget' "
              "means the widget frontend is missing: see the README's Troubleshooting.")
    else:
        print("⬜ widgets: not checked: this is not a notebook, and sliders can only be checked in one "
              "(run this cell in JupyterLab or Colab)")
    return all(verdicts)
