"""The room check before a workshop: run it on each of the room's machines, in a terminal::

    python -m lepton_helpers.course.room

or in a notebook cell (in Colab, after the setup cell), which also shows a slider to drag::

    from lepton_helpers.course.room import room_check; room_check()

One line per check (this machine's platform, the packages, their versions, the bundled data, a
training step, a speed estimate, memory and disk, widgets), then READY or NOT READY. It imports
torch and ipywidgets inside the checks, so a machine without them gets a ❌ line, not a traceback,
and it prints plain-text marks ([OK], [X]) on a console that cannot print emoji.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import re
import shutil
import sys
import time
import tomllib
from datetime import date
from importlib import import_module
from importlib.metadata import PackageNotFoundError, metadata, requires, version
from pathlib import Path

import lepton_helpers

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
SPEED_RECORD = Path(__file__).resolve().parent / "records" / "room_speed.json"
MIN_RAM_GB = 4.0
"""Total memory a machine needs: JupyterLab, a browser and one or two kernels (about 1 GB each)."""
MIN_FREE_DISK_GB = 1.0
"""Free disk the notebooks need beside the installed packages: checkpoints, figures, the full MNIST (55 MB)."""
MAX_MINUTES_PER_NOTEBOOK = 5.0
"""The estimated run time of the longest notebook above which a plan's timing breaks: use Colab instead."""
MODULES = {"torch": "torch", "torchvision": "torchvision", "numpy": "numpy", "scipy": "scipy",
           "scikit-learn": "sklearn", "matplotlib": "matplotlib", "ipywidgets": "ipywidgets", "tqdm": "tqdm"}
"""Each required distribution and the module it is imported as."""
COLAB = "use Google Colab instead (README, Quick start: the support matrix)"
EMOJI = {"ok": "✅", "fail": "❌", "skip": "⬜", "point": "👆"}
PLAIN = {"ok": "[OK]", "fail": "[X]", "skip": "[-]", "point": "^"}


# ---------------------------------------------------------------- where PyTorch has wheels
def platform_route(system: str, machine: str, mac_release: str = "", python: tuple[int, int] = (3, 11)
                   ) -> tuple[bool, str]:
    """``(supported, how to install)`` for a machine: ``platform.system()``, ``platform.machine()``,
    ``platform.mac_ver()[0]`` and the Python version; unsupported machines are sent to Colab."""
    arch = {"amd64": "x86-64", "x86_64": "x86-64", "arm64": "ARM64", "aarch64": "ARM64"}.get(machine.lower())
    if python < (3, 11):
        return False, f"Python {python[0]}.{python[1]} is older than 3.11: install Python 3.11 or newer, or {COLAB}"
    if system == "Darwin" and arch == "ARM64":
        major = int(mac_release.split(".")[0] or 0)
        if major and major < 14:
            return True, (f"macOS {mac_release} on Apple silicon: PyTorch stops at 2.11 below macOS 14, so install "
                          "with `pip install -r requirements-student.txt` (its ranges allow 2.11), not "
                          "requirements.txt (which pins 2.14.1)")
        return True, "macOS on Apple silicon: `pip install -r requirements-student.txt`"
    if system == "Darwin":
        return False, (f"an Intel Mac (or an x86-64 Python under Rosetta): PyTorch publishes no wheel of a supported "
                       f"version (2.8 or newer) for it; {COLAB}")
    if system == "Windows" and arch == "x86-64":
        return True, "Windows x86-64: `pip install -r requirements-student.txt`"
    if system == "Windows" and arch == "ARM64":
        return False, f"Windows on ARM: PyTorch publishes no wheel for it; {COLAB}"
    if system == "Linux" and arch == "x86-64":
        return True, ("Linux x86-64: the CPU-only index first unless the machine has an NVIDIA GPU, then "
                      "`pip install -r requirements-student.txt`")
    if system == "Linux" and arch == "ARM64":
        return True, "Linux ARM64: `pip install -r requirements-student.txt`"
    return False, f"{system} {machine}: PyTorch publishes no wheel for it; {COLAB}"


def this_platform() -> tuple[bool, str]:
    """:func:`platform_route` for the machine this runs on (in Colab: Colab, which the setup cell installs)."""
    if "google.colab" in sys.modules:
        return True, "Google Colab: the notebooks' setup cell installs the helpers"
    return platform_route(platform.system(), platform.machine(), platform.mac_ver()[0], sys.version_info[:2])


# ---------------------------------------------------------------- supported versions
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


def import_problems() -> dict[str, str]:
    """``{distribution: why}`` for each required module that cannot be imported, in the error's own words."""
    problems = {}
    for name, module in MODULES.items():
        try:
            import_module(module)
        except Exception as err:  # noqa: BLE001 -- a broken install raises anything; the line says what
            problems[name] = f"{name} cannot be imported ({type(err).__name__}: {err})"
    return problems


# ---------------------------------------------------------------- speed, memory, disk
def speed_workload(steps: int = 150) -> float:
    """Seconds (best of 3) for ``steps`` SGD steps of the course's MLP on 128 random digits, one thread.

    The caller's random generator and thread count are left as they were.
    """
    import torch

    from ..env import seeded
    from ..models import MLP

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the notebooks' run times were measured
    try:
        with seeded(0):
            model = MLP()
            x, y = torch.rand(128, 784), torch.randint(0, 10, (128,))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(steps):
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(model(x), y).backward()
                optimizer.step()
            best = min(best, time.perf_counter() - start)
    finally:
        torch.set_num_threads(threads)
    return best


def speed_estimate(seconds: float, record: dict) -> tuple[bool, str]:
    """``(fast enough, line)``: minutes per notebook on this machine, scaled from the reference machine."""
    ratio = seconds / record["workload_seconds"]
    runs = record["notebook_seconds"]
    mean = ratio * sum(runs.values()) / len(runs) / 60
    longest = max(runs, key=runs.get)
    worst = ratio * runs[longest] / 60
    fast = worst <= MAX_MINUTES_PER_NOTEBOOK
    return fast, (
        f"a fixed training workload took {seconds:.2f} s here and {record['workload_seconds']:.2f} s on the machine "
        f"that measured the notebooks' run times ({ratio:.1f}x): an estimate of {mean:.1f} min per notebook, "
        f"{worst:.1f} min for the longest ({longest}); limit {MAX_MINUTES_PER_NOTEBOOK:g} min"
        + ("" if fast else f"; close other programs and run the check again, or {COLAB}"))


def total_ram_gb() -> float | None:
    """This machine's total memory in GB, or None where it cannot be read."""
    if sys.platform == "win32":
        class MemoryStatus(ctypes.Structure):
            _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong)] + \
                       [(name, ctypes.c_ulonglong) for name in ("total", "free", "page", "free_page", "virtual",
                                                                 "free_virtual", "extended")]
        status = MemoryStatus(length=ctypes.sizeof(MemoryStatus))
        return status.total / 1e9 if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)) else None
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        return None


# ---------------------------------------------------------------- the checks
def marks_for(stream) -> dict[str, str]:
    """Emoji marks, or plain-text ones ([OK], [X]) when ``stream``'s encoding cannot print emoji (cp1252)."""
    try:
        "".join(EMOJI.values()).encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return PLAIN
    return EMOJI


def _check_data() -> tuple[bool, str]:
    from ..data import load_mnist

    try:
        mnist = load_mnist("bundled")
    except (OSError, ValueError) as err:
        return False, str(err)
    return True, f"MNIST-10k verified ({len(mnist.train_labels):,} + {len(mnist.test_labels):,} digits)"


def _check_compute() -> tuple[bool, str]:
    import torch

    from ..env import get_device, seeded
    from ..models import MLP

    try:
        device = get_device()
        with seeded(0):  # the learner's random stream stays where it was
            model = MLP().to(device)
        model(torch.zeros(32, 784, device=device)).sum().backward()
    except RuntimeError as err:
        return False, str(err)
    return True, f"a training step runs on {device.type}"


def _check_speed() -> tuple[bool | None, str]:
    if not SPEED_RECORD.is_file():
        return None, "no reference time recorded (`python -m lepton_helpers.course.room --record` in a clone)"
    return speed_estimate(speed_workload(), json.loads(SPEED_RECORD.read_text(encoding="utf-8")))


def _check_ram() -> tuple[bool | None, str]:
    gb = total_ram_gb()
    if gb is None:
        return None, "could not be read on this system"
    return gb >= MIN_RAM_GB, (f"{gb:.1f} GB in all (at least {MIN_RAM_GB:g} GB: each running notebook holds "
                              "about 1 GB, so shut down the kernels you finished)")


def _check_disk(folder: Path) -> tuple[bool, str]:
    free = shutil.disk_usage(folder).free / 1e9
    return free >= MIN_FREE_DISK_GB, f"{free:.1f} GB free at {folder} (at least {MIN_FREE_DISK_GB:g} GB)"


def _in_a_notebook() -> bool:
    """Is there a notebook frontend that could draw a widget (a kernel, not a terminal or a script)?"""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in shell.config


def _widget_check(mark: dict[str, str], can_draw: bool) -> str:
    """Show a slider when a notebook can draw one; the line that says what to look for, or why not checked."""
    if not can_draw:
        return (f"{mark['skip']} widgets: not checked here: sliders can only be checked in a notebook "
                "(run `from lepton_helpers.course.room import room_check; room_check()` in JupyterLab or Colab)")
    from IPython.display import display
    from ipywidgets import IntSlider

    display(IntSlider(value=5, max=10, description="widgets"))
    return (f"{mark['point']} This must be a slider you can drag. Text such as IntSlider(...) or 'Error displaying "
            "widget' means the widget frontend is missing: see the README's Troubleshooting.")


def room_check(stream=None) -> bool:
    """Is this machine ready for the workshop? One line per check, then READY or NOT READY.

    In a notebook it also shows a slider (which must appear as a slider, not as text). Returns True
    when no check failed; a check that cannot run (⬜) does not fail the machine.
    """
    stream = stream or sys.stdout
    mark = marks_for(stream)
    failed = []

    def line(text: str) -> None:
        if mark is PLAIN:  # any other character the console cannot print (θ, →) becomes "?"
            encoding = getattr(stream, "encoding", None) or "ascii"
            text = text.encode(encoding, "replace").decode(encoding)
        print(text, file=stream, flush=True)

    def verdict(what: str, passed: bool | None, detail: str) -> None:
        if passed is False:
            failed.append(what)
        line(f"{mark['ok' if passed else 'skip' if passed is None else 'fail']} {what}: {detail}")

    line(f"Lepton Notebooks helpers {lepton_helpers.__version__}, Python {platform.python_version()}, "
         f"{platform.system()} {platform.machine()}")
    verdict("platform", *this_platform())
    missing = import_problems()
    verdict("packages", not missing, "all import" if not missing else "; ".join(missing.values())
            + ". Install them: `pip install -r requirements-student.txt` (README, Quick start)")
    problems = [p for p in version_problems() if p.split(" ")[0] not in missing]  # each package said once
    verdict("versions", not problems, "the installed ones within pyproject.toml's ranges" if not problems else
            f"{len(problems)} outside the supported ranges:\n   " + "\n   ".join(problems))
    without = [name for name in ("torch", "numpy") if name in missing]
    for what, check in (("data", _check_data), ("compute", _check_compute), ("speed", _check_speed)):
        verdict(what, *(check() if not without else (None, f"not checked: needs {' and '.join(without)}")))
    verdict("memory", *_check_ram())
    verdict("disk", *_check_disk(Path.cwd()))
    line(_widget_check(mark, can_draw=_in_a_notebook() and "ipywidgets" not in missing))
    line("READY" if not failed else f"NOT READY: fix {', '.join(failed)} (the lines marked {mark['fail']} above)")
    return not failed


# ---------------------------------------------------------------- the reference time
def record_speed(notebooks: Path) -> dict:
    """Write :data:`SPEED_RECORD`: this machine's workload time beside the notebooks' stored run times.

    Run it on the machine, and at the time, that ``nbtools run`` measures the notebooks.
    """
    runs = {}
    for path in sorted(Path(notebooks).glob("[0-9][0-9]_*.ipynb")):
        seconds = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("lepton", {}).get("cpu_seconds")
        if seconds:
            runs[path.name[:2]] = seconds
    if not runs:
        raise FileNotFoundError(f"no notebook with a measured run time in {notebooks}: run "
                                "`python -m lepton_helpers.course.nbtools run` first")
    import torch

    record = {"command": "python -m lepton_helpers.course.room --record", "date": date.today().isoformat(),
              "torch": torch.__version__, "machine": platform.machine(), "threads": 1,
              "workload_seconds": round(speed_workload(), 4), "notebook_seconds": runs}
    SPEED_RECORD.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


def main(argv: list[str] | None = None) -> None:
    """The command line: the room check (exit status 1 when NOT READY), or ``--record``."""
    parser = argparse.ArgumentParser(prog="python -m lepton_helpers.course.room", description=__doc__.split("\n")[0])
    parser.add_argument("--record", action="store_true",
                        help="record this machine's speed beside the notebooks' run times (the reference)")
    args = parser.parse_args(argv)
    if args.record:
        record = record_speed(PYPROJECT.parent / "notebooks")
        print(f"recorded {record['workload_seconds']} s for the workload in {SPEED_RECORD}")
        return
    if not room_check():
        sys.exit(1)


if __name__ == "__main__":
    main()
