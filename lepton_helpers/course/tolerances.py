"""Numbers in notebook outputs: how nbval compares them within a tolerance, and how far they move.

A code cell may declare in its metadata how far its printed numbers may move::

    "nbval_tolerance": {"atol": 0.3, "cap": 0.5,
                        "reason": "accuracies after training move by a sample or two between CPU kernels"}

- ``atol``: absolute, in the units printed (0.3 for a percentage: 0.3 points);
- ``rtol``: relative to the stored value (0.01: 1 %); a number may move by ``atol + rtol * |stored|``;
- ``cap`` (optional): whatever atol and rtol allow, no percentage (a number printed with %) moves
  by more than this (the course's rule: an accuracy may move by at most half a point, so a cell
  that prints accuracies in % has ``cap`` <= 0.5); other numbers of the cell (a count of wrong
  digits, a loss) move within atol and rtol;
- ``clock`` (``true``, instead of atol/rtol): the cell's numbers are wall-clock figures (seconds,
  samples/s, GFLOP/s) or ratios of them, which no tolerance bounds across machines. Its text is
  still compared exactly with every number masked, and it must print as many numbers as stored;
  their values are not compared (nbval's usual remedy, a sanitising regex, would hide them from
  every cell of every notebook);
- ``reason``: one line, why the numbers move (as ``nbval_ignore_reason`` for ignored cells).

nbval then compares such a cell's text exactly with every number masked, and each number with
the stored one within the tolerance, exactly on the printed decimals (``tests/nbval_tolerance.py``
plugs :class:`Tolerance`, :func:`mask_numbers` and :func:`moved_numbers` into nbval).

Tolerances come from measurement, not guesses. Usage (from the repository root)::

    python -m lepton_helpers.course.tolerances census [notebooks/NN_name.ipynb ...]
    python -m lepton_helpers.course.tolerances measure notebooks/NN_name.ipynb [--runs default native]
        [--copy OTHER_RUN.ipynb ...] [--python OTHER_VENV/bin/python] [--keep DIR] [--write [--cells ID ...]]

``census`` counts the cells tagged ``nbval-ignore-output`` and sorts them, by their
``nbval_ignore_reason``, into float drift, wall-clock timing, both, and other causes.

``measure`` executes copies of a notebook (never the notebook itself) from a fresh kernel on the
CPU with one thread, as ``nbtools run`` does (``nbtools.KERNEL_ENV``): ``default`` with PyTorch's
plain kernels (``ATEN_CPU_CAPABILITY=default``, as the kernels that pytest starts), ``native`` with
this machine's own (as the stored run).
``--python`` with ``--label`` runs them with another interpreter (a virtualenv with Colab's versions);
``--copy`` adds notebooks executed elsewhere (a GPU machine, an earlier ``--keep`` folder, where a
copy is named ``NN_name.LABEL.ipynb``). It pairs code cells by id with the stored outputs,
sanitises and masks them as nbval does, and reports each cell whose output differs: the numbers
that moved, their spread, and a proposed ``nbval_tolerance``: the largest measured move from the
stored value, as ``atol``, or as ``rtol`` when that allows less in all (summed over the moved
numbers, relative to each: so a loss of 0.23 beside an accuracy of 94.4 gets a relative one), with
``cap`` 0.5 when the cell prints percentages. No proposal when an accuracy moved by more than the cap (the claim rests on rounding: make it robust) or when a number moved
between the stored run and the ``native`` run (or a copy ``NN_name.native.ipynb``), which use the
same kernels (a wall-clock figure or nondeterminism: sanitise it, or give it a cell of its own).

``--write`` stores the proposals (only those of ``--cells`` if given) in the notebook's metadata and
removes the cells' ``nbval-ignore-output`` tag and reason (a cell ignored for floating-point drift
alone whose output was identical in every run just loses its tag: it is compared exactly), under the notebook lock (:mod:`~lepton_helpers.course.lock`): it
re-reads the notebook inside the lock and leaves a cell alone whose source or stored output
changed since it was measured (the lead re-ran it in place meanwhile: measure again).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import nbformat

from . import lock
from .nbtools import KERNEL_ENV
from .paths import ROOT, notebook_paths

TOLERANCE_KEY = "nbval_tolerance"
IGNORE_TAG, IGNORE_REASON = "nbval-ignore-output", "nbval_ignore_reason"
MASK = "⟨n⟩"
# A number as printed: sign, digits (with optional thousands commas), decimals, exponent; not part
# of a word ("k4", "0xff"), of a version ("2.14.1") or of a longer number. Spaces around it are
# its padding and are masked with it.
NUMBER = re.compile(
    r" *(?<![\w.])(?P<number>[-+\u2212]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?)"
    r"(?!(?!x\b)\w|\.\d) *")  # "2.4x" is a number (a ratio); "0xff" and "1024x1024" are not
_FIELDS = {"atol", "rtol", "cap", "clock", "reason"}


class ToleranceError(ValueError):
    """A cell's ``nbval_tolerance`` metadata does not follow the schema."""


def _amount(spec: dict, key: str) -> Decimal | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ToleranceError(f"'{key}' must be a number >= 0, got {value!r}")
    return Decimal(str(value))


@dataclass(frozen=True)
class Tolerance:
    """How far a cell's printed numbers may move (the schema is in the module docstring)."""

    reason: str
    atol: Decimal = Decimal(0)
    rtol: Decimal = Decimal(0)
    cap: Decimal | None = None
    clock: bool = False

    @classmethod
    def of(cls, metadata: dict) -> Tolerance | None:
        """The tolerance that a cell's metadata declares, None when it declares none."""
        spec = metadata.get(TOLERANCE_KEY)
        if spec is None:
            return None
        example = '{"atol": 0.3, "cap": 0.5, "reason": "accuracies move by a sample between CPU kernels"}'
        if not isinstance(spec, dict) or set(spec) - _FIELDS:
            raise ToleranceError(f"'{TOLERANCE_KEY}' must be an object with keys among {sorted(_FIELDS)}, "
                                 f"got {spec!r}; e.g. {example}")
        reason = spec.get("reason")
        if not isinstance(reason, str) or len(reason.strip()) <= 10:
            raise ToleranceError(f"'{TOLERANCE_KEY}' needs a 'reason': one line on why the numbers move; e.g. {example}")
        atol, rtol, cap = (_amount(spec, key) for key in ("atol", "rtol", "cap"))
        clock = spec.get("clock", False)
        if not isinstance(clock, bool):
            raise ToleranceError(f"'clock' must be true or false, got {clock!r}")
        if clock:
            if atol or rtol or cap is not None:
                raise ToleranceError(f"'{TOLERANCE_KEY}' with 'clock': true compares no values, so it takes no "
                                     "'atol', 'rtol' or 'cap' (split the cell to compare its other numbers)")
            return cls(reason.strip(), clock=True)
        if not atol and not rtol:
            raise ToleranceError(f"'{TOLERANCE_KEY}' needs 'atol' or 'rtol' above 0 "
                                 "(without either, remove it: the output is then compared exactly)")
        return cls(reason.strip(), atol or Decimal(0), rtol or Decimal(0), cap)

    def allowed(self, stored: Decimal, percent: bool = False) -> Decimal:
        """The most that a number stored as ``stored`` (printed with % if ``percent``) may move."""
        if self.clock:
            return Decimal("Infinity")
        allowed = self.atol + self.rtol * abs(stored)
        return allowed if self.cap is None or not percent else min(allowed, self.cap)

    def __str__(self) -> str:
        if self.clock:
            return "clock: wall-clock numbers, their values not compared"
        parts = [f"atol {self.atol}"] * bool(self.atol) + [f"rtol {self.rtol}"] * bool(self.rtol)
        return ", ".join(parts + [f"cap {self.cap}"] * (self.cap is not None))


@dataclass(frozen=True)
class Number:
    """A number as printed in an output text, the line it stands on, and whether a % sign follows it."""

    printed: str
    line: str
    percent: bool = False

    @property
    def value(self) -> Decimal:
        return Decimal(self.printed.replace(",", "").replace("\u2212", "-"))


def mask_numbers(text: str) -> tuple[str, list[Number]]:
    """``text`` with each number and its padding replaced by `` ⟨n⟩ ``, and the numbers in order."""
    numbers = []

    def mask(match: re.Match) -> str:
        start = text.rfind("\n", 0, match.start("number")) + 1
        end = text.find("\n", match.end("number"))
        numbers.append(Number(match["number"], text[start:None if end < 0 else end].strip(),
                              text.startswith("%", match.end())))
        return f" {MASK} "  # one padding for all: a column that widens is not a change

    return NUMBER.sub(mask, text), numbers


def moved_numbers(stored: list[Number], fresh: list[Number], tolerance: Tolerance) -> list[str]:
    """One message for each fresh number that moved further from its stored one than allowed."""
    if len(stored) != len(fresh):
        return [f"{len(fresh)} numbers printed where {len(stored)} are stored"]
    problems = []
    for old, new in zip(stored, fresh):
        moved, allowed = abs(new.value - old.value), tolerance.allowed(old.value, old.percent)
        if moved > allowed:
            problems.append(f"printed {new.printed} where {old.printed} is stored: moved {moved}, "
                            f"allowed {allowed} ({tolerance}), in line: {new.line!r}")
    return problems


ACCURACY_CAP = Decimal("0.5")  # points: the most an accuracy printed in % may move
RUNS = {"default": "default", "native": None}  # run name -> ATEN_CPU_CAPABILITY (None: the machine's own)
EXECUTE = """
import sys, nbformat
from nbclient import NotebookClient
src, dst, cwd = sys.argv[1:]
nb = nbformat.read(src, as_version=4)
NotebookClient(nb, timeout=1800, kernel_name="python3", record_timing=False,
               resources={"metadata": {"path": cwd}}).execute()
nbformat.write(nb, dst)
"""
CLOCK = re.compile(r"wall-clock|timings?\b|seconds|throughput|per second", re.IGNORECASE)
DRIFT = re.compile(r"last digits?|digits? or two|round|sum in a different order|another process", re.IGNORECASE)
PLATFORM = re.compile(r"version|widget|platform|hardware|GPU is present", re.IGNORECASE)
TQDM = re.compile(r"[^;,()]*tqdm[^;,()]*", re.IGNORECASE)  # progress-bar timings are sanitised away


def execute(path: Path, out: Path, capability: str | None, python: str = sys.executable, cwd: Path | None = None) -> Path:
    """Run the notebook at ``path`` into ``out`` on the CPU with the given kernels, in the folder
    ``cwd`` (default: the notebook's own)."""
    env = dict(os.environ, **KERNEL_ENV)  # as nbtools run stores them: CPU, one thread
    env.pop("ATEN_CPU_CAPABILITY", None)
    if capability:
        env["ATEN_CPU_CAPABILITY"] = capability
    run = subprocess.run([python, "-c", EXECUTE, str(path), str(out), str(cwd or path.parent)], env=env,
                         capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(f"running {path.name} ({capability or 'native'} kernels) failed:\n{run.stderr[-3000:]}")
    return out


def code_cells(nb) -> list:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def texts(cell, patterns) -> dict[str, list[str]]:
    """A cell's compared texts as nbval sees them: streams merged, sanitised, by stream name or mime."""
    from nbval.plugin import coalesce_streams

    fields: dict[str, list[str]] = {}
    for output in coalesce_streams(copy.deepcopy(cell.get("outputs", []))):
        pairs = [(output.name, output.text)] if output.output_type == "stream" else [
            (mime, value) for mime, value in output.get("data", {}).items()
            if mime.startswith("text/") and isinstance(value, str)]
        for key, text in pairs:
            for regex, replace in patterns:
                text = re.sub(regex, replace, text)
            fields.setdefault(key, []).append(text)
    return fields


@dataclass
class Moved:
    """One printed number that moved: as stored, its values in every run, and its largest move."""

    stored: Number
    values: list[Decimal]

    @property
    def move(self) -> Decimal:
        return max(abs(v - self.stored.value) for v in self.values)

    @property
    def spread(self) -> Decimal:
        return max(self.values + [self.stored.value]) - min(self.values + [self.stored.value])


@dataclass
class CellReport:
    """What one code cell's runs showed, and the tolerance they support."""

    index: int
    id: str
    source: str
    ignored: str | None
    status: str = "same"  # same | numbers | text | missing
    detail: str = ""
    moved: list[Moved] = field(default_factory=list)
    percent: bool = False
    proposal: dict | None = None
    notes: list[str] = field(default_factory=list)


def compare_cell(report: CellReport, stored_cell, runs: dict[str, object], patterns) -> CellReport:
    """Fill ``report`` from the stored cell and the same cell in each run (None: missing there)."""
    stored = texts(stored_cell, patterns)
    masked_stored = {k: [mask_numbers(t) for t in v] for k, v in stored.items()}
    report.percent = any(n.percent for v in masked_stored.values() for _, ns in v for n in ns)
    moved: dict[tuple, Moved] = {}
    for name, cell in runs.items():
        if cell is None or cell.source != stored_cell.source:
            report.status, report.detail = "missing", f"cell absent or changed in run {name!r}: re-run it"
            return report
        fresh = texts(cell, patterns)
        if fresh.keys() != stored.keys() or any(len(fresh[k]) != len(v) for k, v in stored.items()):
            report.status, report.detail = "text", f"{name}: other outputs ({sorted(fresh)} vs {sorted(stored)})"
            return report
        for key, values in masked_stored.items():
            for i, ((stored_masked, numbers), text) in enumerate(zip(values, fresh[key])):
                fresh_masked, fresh_numbers = mask_numbers(text)
                if fresh_masked != stored_masked:
                    line = next((f"{a!r} vs {b!r}" for a, b in zip(stored_masked.splitlines(), fresh_masked.splitlines())
                                 if a != b), "lines added or removed")
                    report.status, report.detail = "text", f"{name}: {key} text differs: {line}"
                    return report
                for j, (old, new) in enumerate(zip(numbers, fresh_numbers)):
                    entry = moved.setdefault((key, i, j), Moved(old, []))
                    entry.values.append(new.value)
    report.moved = [m for m in moved.values() if m.move]
    if report.moved:
        report.status = "numbers"
        report.proposal = propose(report, list(runs))
    return report


def _round_up(x: Decimal, digits: int = 2) -> Decimal:
    """``x`` rounded up to ``digits`` significant digits (a relative tolerance needs no more)."""
    exponent = x.adjusted() - digits + 1
    return (x.scaleb(-exponent).to_integral_value(rounding="ROUND_CEILING")).scaleb(exponent).normalize()


def propose(report: CellReport, runs: list[str]) -> dict | None:
    """The ``nbval_tolerance`` that the measured moves support, None (with a note) if none should."""
    largest = max(m.move for m in report.moved)
    over = [m for m in report.moved if m.stored.percent and m.move > ACCURACY_CAP]
    if over:
        report.notes.append(f"an accuracy moved by {over[0].move} points (> {ACCURACY_CAP}): its claim rests on "
                            "rounding; make it robust, do not tolerate it")
        return None
    repeats = [i for i, name in enumerate(runs) if name.rsplit(".", 1)[-1] == "native"]
    if repeats:  # a run like the stored one (this interpreter, this machine's kernels) repeats its numbers
        restless = [m for m in report.moved if m.values[repeats[0]] != m.stored.value]
        if restless:
            report.notes.append(f"{len(restless)} number(s) moved between two runs with the same kernels (e.g. "
                                f"{restless[0].stored.printed} in {restless[0].stored.line[:50]!r}): a wall-clock "
                                "figure or nondeterminism; sanitise it or give it a cell of its own")
            return None
    spec = {"atol": float(largest)}
    if all(m.stored.value for m in report.moved):  # relative, if that allows less in all (moved numbers of mixed scale)
        relative = _round_up(max(m.move / abs(m.stored.value) for m in report.moved))
        # the slack each allows, relative to every moved number's stored value, summed over them
        if len(report.moved) * relative < sum(largest / abs(m.stored.value) for m in report.moved):
            spec = {"rtol": float(relative)}
    if report.percent:
        spec["cap"] = float(ACCURACY_CAP)
    spec["reason"] = (f"rounding differs between runs ({', '.join(runs)}): numbers moved by up to {largest} from "
                      "the stored run (measured by lepton_helpers.course.tolerances)")
    Tolerance.of({TOLERANCE_KEY: spec})  # what nbval will read back
    return spec


def measure(path: Path, runs: dict[str, Path]) -> list[CellReport]:
    """One report per code cell of the notebook at ``path`` against the executed copies ``runs``."""
    from nbval.plugin import get_sanitize_patterns

    patterns = get_sanitize_patterns((ROOT / "tests" / "nbval_sanitize.cfg").read_text())
    stored = code_cells(nbformat.read(path, as_version=4))
    copies = {name: {c.get("id"): c for c in code_cells(nbformat.read(p, as_version=4))} for name, p in runs.items()}
    reports = []
    for index, cell in enumerate(stored):
        tags = cell.metadata.get("tags", [])
        report = CellReport(index, cell.get("id", "?"), cell.source,
                            cell.metadata.get(IGNORE_REASON, "(no reason)") if IGNORE_TAG in tags else None)
        if cell.execution_count is not None:
            compare_cell(report, cell, {name: c.get(report.id) for name, c in copies.items()}, patterns)
        reports.append(report)
    return reports


def _fingerprint(cell) -> str:
    return json.dumps([cell.source, cell.get("outputs", [])], sort_keys=True)


def cause(reason: str) -> str:
    """What an ignore reason names: float drift, wall-clock, both, or another cause (the census's kinds)."""
    clock, drift = bool(CLOCK.search(TQDM.sub("", reason))), bool(DRIFT.search(reason))
    return ("other (versions, widgets, GPU presence)" if PLATFORM.search(reason) or not (clock or drift) else
            "float drift and wall-clock" if clock and drift else "wall-clock only" if clock else "float drift only")


def _unignore(cell) -> None:
    cell.metadata.pop(IGNORE_REASON, None)
    tags = [t for t in cell.metadata.pop("tags", []) if t != IGNORE_TAG]
    if tags:
        cell.metadata["tags"] = tags


def write(path: Path, reports: list[CellReport], stored_cells: dict[str, str], only: set[str] | None) -> list[str]:
    """Store the proposals in the notebook (and drop those cells' ignore tags) under the shared lock,
    unless a cell's source or stored output differs from ``stored_cells`` (id -> fingerprint), as
    measured; return what was done, cell by cell.

    A cell ignored for floating-point drift alone whose output was identical in every run loses its
    ignore tag with no tolerance: it is then compared exactly.
    """
    done = []
    with lock.notebook_lock():
        nb = nbformat.read(path, as_version=4)
        cells = {c.get("id"): c for c in code_cells(nb)}
        for report in reports:
            exact = report.status == "same" and report.ignored is not None and cause(report.ignored) == "float drift only"
            if (report.proposal is None and not exact) or (only and report.id not in only):
                continue
            cell = cells.get(report.id)
            if cell is None or _fingerprint(cell) != stored_cells[report.id]:
                done.append(f"cell {report.index} ({report.id}): changed since it was measured, left alone")
                continue
            _unignore(cell)
            if exact:
                done.append(f"cell {report.index} ({report.id}): identical in every run, compared exactly")
            else:
                cell.metadata[TOLERANCE_KEY] = report.proposal
                done.append(f"cell {report.index} ({report.id}): {TOLERANCE_KEY} {report.proposal}")
        if any("compared exactly" in line or TOLERANCE_KEY in line for line in done):
            nbformat.write(nb, path)
    return done


def census(paths: list[Path]) -> dict[str, list[tuple[str, int, str, str]]]:
    """The cells tagged nbval-ignore-output, by cause: float drift, wall-clock, both, other."""
    kinds: dict[str, list] = {"float drift only": [], "wall-clock only": [], "float drift and wall-clock": [],
                              "other (versions, widgets, GPU presence)": []}
    for path in paths:
        for index, cell in enumerate(code_cells(nbformat.read(path, as_version=4))):
            if IGNORE_TAG not in cell.metadata.get("tags", []):
                continue
            reason = cell.metadata.get(IGNORE_REASON, "")
            kind = cause(reason)
            kinds[kind].append((path.name, index, cell.get("id", "?"), reason))
    return kinds


def _print_report(report: CellReport) -> None:
    head = f"cell {report.index} (id {report.id}) {report.source.splitlines()[0][:60] if report.source else ''!r}"
    state = f"ignored: {report.ignored}" if report.ignored else "compared"
    print(f"\n{head}\n  {state}\n  {report.status}{': ' + report.detail if report.detail else ''}")
    for m in report.moved:
        print(f"  {m.stored.printed:>10} -> {', '.join(str(v) for v in m.values):<24} move {m.move}, spread {m.spread}"
              f"   in {m.stored.line[:70]!r}")
    for note in report.notes:
        print(f"  NOTE: {note}")
    if report.proposal:
        print(f"  proposal: \"nbval_tolerance\": {json.dumps(report.proposal, ensure_ascii=False)}")


def _census_command(args: argparse.Namespace) -> None:
    kinds = census(args.notebooks or notebook_paths())
    print(f"{sum(map(len, kinds.values()))} cells tagged {IGNORE_TAG}:")
    for kind, cells in kinds.items():
        print(f"\n{len(cells)} {kind}")
        for name, index, cell_id, reason in cells:
            print(f"  {name[:2]} cell {index:>2} ({cell_id}): {reason}")


def _measure_command(args: argparse.Namespace) -> None:
    path = args.notebook.resolve()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="lepton-tolerances-"))
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / f"{path.stem}.stored.ipynb"  # what is measured, whatever happens to the notebook meanwhile
    with lock.notebook_lock():
        shutil.copyfile(path, stored)
    measured = {c.get("id"): _fingerprint(c) for c in code_cells(nbformat.read(stored, as_version=4))}
    runs = {}
    for name in args.runs:
        label = f"{args.label}-{name}" if args.label else name
        print(f"running {path.name}: {label} ...", flush=True)
        runs[label] = execute(stored, folder / f"{path.stem}.{label}.ipynb", RUNS[name], args.python, path.parent)
    runs.update({p.stem: p for p in args.copy})
    reports = measure(stored, runs)
    for report in reports:
        if report.status != "same" or report.ignored:
            _print_report(report)
    same_ignored = [r for r in reports if r.ignored and r.status == "same"]
    print(f"\n{path.name}: {sum(r.status == 'numbers' for r in reports)} cells with moved numbers, "
          f"{sum(r.status == 'text' for r in reports)} with other text, "
          f"{len(same_ignored)} ignored cells identical in every run; copies in {folder}")
    if args.write:
        for line in write(path, reports, measured, set(args.cells) if args.cells else None):
            print(line)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lepton_helpers.course.tolerances", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    census_p = sub.add_parser("census", help="count the cells tagged nbval-ignore-output, by cause")
    census_p.add_argument("notebooks", nargs="*", type=Path)
    measure_p = sub.add_parser("measure", help="run copies, report moved numbers, propose (and --write) tolerances")
    measure_p.add_argument("notebook", type=Path)
    measure_p.add_argument("--runs", nargs="*", choices=sorted(RUNS), default=sorted(RUNS),
                           help="kernels to run copies with (default: both)")
    measure_p.add_argument("--copy", nargs="*", type=Path, default=[], help="notebooks executed elsewhere")
    measure_p.add_argument("--python", default=sys.executable,
                           help="interpreter that runs the copies (with nbclient, ipykernel and this package)")
    measure_p.add_argument("--label", help="name for the runs of another --python (e.g. colab)")
    measure_p.add_argument("--keep", type=Path, help="folder for the executed copies (default: a new temporary one)")
    measure_p.add_argument("--write", action="store_true", help="store the proposals in the notebook")
    measure_p.add_argument("--cells", nargs="*", help="with --write: only these cell ids")
    args = parser.parse_args(argv)
    if args.command == "census":
        _census_command(args)
    elif not args.runs and not args.copy:
        parser.error("nothing to compare with: give --runs or --copy")
    elif args.python != sys.executable and not args.label:
        parser.error("runs of another --python need a --label (e.g. colab): they are no repeat of the stored run")
    else:
        _measure_command(args)


if __name__ == "__main__":
    main()
