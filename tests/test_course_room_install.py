"""requirements-student.txt: ranges that hold what CI tests (the pins and Colab's floors), and no test tools."""

from __future__ import annotations

import re

import pytest

from lepton_helpers.course import nbtools
from lepton_helpers.course.room import in_range

TEST_TOOLS = {"pytest", "pytest-xdist", "nbval", "nbclient", "nbformat", "pandas"}  # pandas: the estimator's DataFrame test


def requirements(name: str) -> dict[str, str]:
    """``{package: specifier}`` of a requirements file (comments, blank lines and ``-e .`` skipped)."""
    found = {}
    for line in (nbtools.ROOT / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*((?:[<>=!]=?[\w.]+,?)+)", line)
        assert match, f"{name}: cannot read the line {line!r}"
        found[match[1].lower()] = match[2]
    return found


STUDENT = requirements("requirements-student.txt")


def test_student_requirements_are_ranges_with_the_package_and_no_test_tools():
    text = (nbtools.ROOT / "requirements-student.txt").read_text(encoding="utf-8")
    assert "\n-e .\n" in text, "the helper package itself"
    assert not TEST_TOOLS & set(STUDENT), "a learner needs no test tools"
    assert all(">=" in spec and "==" not in spec for spec in STUDENT.values()), STUDENT
    assert {"torch", "torchvision", "numpy", "scipy", "scikit-learn", "matplotlib", "ipywidgets", "tqdm",
            "jupyterlab"} <= set(STUDENT)


@pytest.mark.parametrize("source", ["requirements.txt", ".ci/colab-stack.txt"])
def test_ranges_hold_every_version_ci_tests(source):
    for name, pin in requirements(source).items():
        if name in TEST_TOOLS or name == "ipython":  # IPython comes with ipykernel
            continue
        assert name in STUDENT, f"{source} installs {name}, requirements-student.txt does not"
        assert in_range(pin.removeprefix("=="), STUDENT[name]), f"{name}{pin} ({source}) is outside {STUDENT[name]}"


def test_ranges_allow_the_last_torch_of_macos_below_14():
    assert in_range("2.11.0", STUDENT["torch"]) and not in_range("2.7.1", STUDENT["torch"])
