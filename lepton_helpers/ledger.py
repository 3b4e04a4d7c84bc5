"""Notebook 09's claims ledger: it cites the verdicts notebooks 02-08 printed, instead of re-running them.

Every verdict in the notebooks is printed as ``str(Comparison)`` (``evaluation.compare``), one per
line, and every notebook is stored with its outputs. So the ledger reads those stored outputs:

* :func:`read_verdicts` parses every printed verdict of one notebook (:class:`Verdict`);
* :func:`cite` picks one by the names of its two sides, with an error that lists what was found;
* :func:`observe` finds a printed line that is no verdict (a timing, a cosine, a crash message);
* :data:`CLAIMS` maps each claim of the articles to what it cites, and :func:`ledger_rows` turns
  that into the ledger's rows. A notebook cannot be contradicted by a ledger that quotes it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .data import find_data_dir

NOTEBOOKS_ENV_VAR = "LEPTON_NOTEBOOKS_DIR"

COMPARISON = re.compile(
    r"(?P<a>.+?) (?P<mean_a>-?\d+\.\d+)(?: ± \d+\.\d+)? vs (?P<b>.+?) (?P<mean_b>-?\d+\.\d+)(?: ± \d+\.\d+)? "
    r"\((?P<runs>[\d,]+ [^)]+)\): difference (?P<diff>[+-]\d+\.\d+) ± (?P<se>\d+\.\d+) (?P<unit>.+?)"
    r"(?: \(95% interval ± (?P<half>\d+\.\d+)\))? -> (?P<outcome>.+) \(margin (?P<margin>\S+) (?P=unit)\)$")
"""One printed ``Comparison`` (the format of ``Comparison.__str__``), possibly after a label."""


@dataclass(frozen=True)
class Verdict:
    """One verdict a notebook printed: A against B, where it was printed, and the printed text."""

    notebook: str
    section: str
    label: str
    names: tuple[str, str]
    verdict: str
    """``"better"`` or ``"worse"`` (A relative to B), or the printed outcome (e.g. "no detectable difference")."""
    diff: float
    runs: str
    text: str

    def __str__(self) -> str:
        return self.text


# ---------------------------------------------------------------- finding and reading the notebooks
def find_notebooks_dir() -> Path:
    """The repository's ``notebooks/`` folder: ``LEPTON_NOTEBOOKS_DIR``, else beside the data folder
    that :func:`lepton_helpers.data.find_data_dir` finds (a clone, an editable install, the Colab clone)."""
    override = os.environ.get(NOTEBOOKS_ENV_VAR)
    folder = Path(override).expanduser() if override else find_data_dir().parent / "notebooks"
    if not folder.is_dir():
        raise FileNotFoundError(f"no notebooks folder at {folder}: set {NOTEBOOKS_ENV_VAR} to the repository's "
                                "notebooks/ folder, or run from inside a clone of the repository")
    return folder


def notebook_path(number: str, folder: Path | None = None) -> Path:
    """The stored notebook ``NN_*.ipynb`` whose number is ``number`` (e.g. ``"06"``)."""
    folder = find_notebooks_dir() if folder is None else Path(folder)
    found = sorted(folder.glob(f"{number}_*.ipynb"))
    if len(found) != 1:
        raise FileNotFoundError(f"expected one notebook {number}_*.ipynb in {folder}, found {len(found)}")
    return found[0]


def output_lines(notebook: dict) -> list[tuple[str, str]]:
    """``(section, line)`` for every line of text a stored notebook printed, in order; ``section`` is
    the last Markdown heading above the cell."""
    lines, section = [], ""
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            headings = [ln.lstrip("#").strip() for ln in _text(cell["source"]).splitlines() if ln.startswith("#")]
            section = headings[-1] if headings else section
            continue
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            lines += [(section, line) for line in _text(text).splitlines()]
    return lines


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def parse_verdicts(notebook: dict, number: str) -> list[Verdict]:
    """Every verdict printed in the stored ``notebook`` (a notebook's JSON as a dict) numbered ``number``.

    A line may start with a label ending in a colon (``"same passes:  greedy 5+5 ... -> ..."``), so a
    name must not contain ": ".
    """
    verdicts = []
    for section, line in output_lines(notebook):
        label, body = _split_label(line.strip())
        match = COMPARISON.fullmatch(body)
        if match:
            a, b, outcome = match["a"], match["b"], match["outcome"]
            verdict = {f"{a} better than {b}": "better", f"{a} worse than {b}": "worse"}.get(outcome, outcome)
            verdicts.append(Verdict(number, section, label, (a, b), verdict, float(match["diff"]), match["runs"], body))
    return verdicts


def _split_label(line: str) -> tuple[str, str]:
    """``(label, rest)``: a label is the text before the first ``": "`` when a comparison follows it."""
    head, sep, rest = line.partition(": ")
    if sep and " vs " not in head and COMPARISON.fullmatch(rest.strip()):
        return head.strip(), rest.strip()
    return "", line


def read_verdicts(number: str, folder: Path | None = None) -> list[Verdict]:
    """Every verdict notebook ``number`` (e.g. ``"06"``) printed in its stored outputs."""
    return parse_verdicts(json.loads(notebook_path(number, folder).read_text(encoding="utf-8")), number)


def cite(verdicts: list[Verdict], names: tuple[str, str], section: str | None = None) -> Verdict:
    """The one verdict of ``verdicts`` (one notebook's) between ``names`` (A, B), in the section whose
    heading contains ``section`` when given; a clear error when there is none or more than one."""
    found = [v for v in verdicts if v.names == tuple(names) and (section is None or section in v.section)]
    if len(found) == 1:
        return found[0]
    number = verdicts[0].notebook if verdicts else "?"
    listing = "\n".join(f"  [{v.section}] {v.names[0]!r} vs {v.names[1]!r}" for v in verdicts) or "  (none)"
    where = f" in a section named like {section!r}" if section else ""
    problem = "no verdict" if not found else f"{len(found)} verdicts (name a section)"
    raise LookupError(f"notebook {number}: {problem} between {names[0]!r} and {names[1]!r}{where}. Its stored "
                      f"outputs hold these verdicts:\n{listing}\nFix the citation in lepton_helpers.ledger.CLAIMS "
                      "(or re-run the notebook if its outputs are stale).")


def observe(number: str, pattern: str, folder: Path | None = None) -> re.Match:
    """The first line notebook ``number`` printed that matches the regular expression ``pattern``."""
    notebook = json.loads(notebook_path(number, folder).read_text(encoding="utf-8"))
    for _, line in output_lines(notebook):
        match = re.search(pattern, line)
        if match:
            return match
    raise LookupError(f"notebook {number}: no printed line matches {pattern!r}. Fix the observation in "
                      "lepton_helpers.ledger.CLAIMS (or re-run the notebook if its outputs are stale).")


# ---------------------------------------------------------------- the claims and what they cite
@dataclass(frozen=True)
class Part:
    """One part of a claim: the cited verdict (notebook, names A and B, section) and the verdict that supports it."""

    notebook: str
    names: tuple[str, str]
    supports: str = "better"
    section: str | None = None


@dataclass(frozen=True)
class Observation:
    """A printed line that is evidence but no verdict (a timing, a cosine, an error): notebook and pattern."""

    notebook: str
    pattern: str


@dataclass(frozen=True)
class Claim:
    """A claim of the articles, what it cites, and how the ledger's verdict follows from the citations.

    With parts, :func:`_judge_parts` gives "holds", "holds in part", "does not hold" or "not shown".
    Without parts, ``judge`` turns the observations' matches into the verdict.
    """

    claim: str
    parts: tuple[Part, ...] = ()
    observations: tuple[Observation, ...] = ()
    judge: Callable[[list[re.Match]], str] | None = None


def _reproduced(matches: list[re.Match]) -> str:
    low, high = float(matches[0]["low"]), float(matches[0]["high"])
    return "reproduced on MNIST-10k" if low <= 98.5 <= high else "not reproduced on MNIST-10k"


def _descends(matches: list[re.Match]) -> str:
    cosine, loss_50, loss_300 = float(matches[0]["cosine"]), float(matches[1]["e50"]), float(matches[1]["e300"])
    return "holds" if cosine > 0.99 and loss_300 < loss_50 else "does not hold"


CLAIMS = (
    Claim("The Lepton activation improves learning", parts=(
        Part("02", ("Lepton k=4", "ReLU"), section="The test set"),
        Part("02", ("Lepton learnable", "sigmoid"), section="The test set"))),
    Claim("Layer-wise (hierarchical) learning is more efficient", parts=(  # 04's one definition of "more efficient"
        Part("04", ("greedy 5+5", "backprop 6")),)),
    Claim("Fused features are richer", parts=(
        Part("05", ("hidden 1 + hidden 2 (192)", "hidden 2")),)),
    Claim("Adaptive learning rates help", parts=(  # each optimiser at its own validation-best rate (06, section 3)
        Part("06", ("Adam, lr 0.003", "SGD, lr 0.3")),
        Part("06", ("Adam, lr 0.003", "momentum 0.9, lr 0.05")))),
    Claim("Parallel/distributed computing and memory optimisation make it efficient", observations=(
        Observation("08", r"^articles' recipe, num_workers=0 +[\d,]+ \(IQR [\d,]+-[\d,]+\) samples/s"),
        Observation("08", r"^ratios of the medians: helpers' loop / articles [\d.]+x"),
        Observation("08", r"^largest parameter difference below 1e-6: True")),
        judge=lambda matches: "not shown"),
    Claim("98.50% accuracy", observations=(
        Observation("07", r"articles' recipe on bundled MNIST: test accuracy [\d.]+% \(95% Wilson interval "
                          r"(?P<low>[\d.]+)% to (?P<high>[\d.]+)%\)"),
        Observation("07", r"^the recipe, one seed, \d+ epochs on [\d,]+ digits: test accuracy")), judge=_reproduced),
    Claim("Their backpropagation derivation is correct", observations=(
        Observation("03", r"cosine between the articles' rule and the true descent direction[^:]*: (?P<cosine>-?[\d.]+)"),
        Observation("03", r"articles' rule +training loss: start [\d.]+, epoch 50 (?P<e50>[\d.]+), "
                          r"epoch 300 (?P<e300>[\d.]+)")), judge=_descends),
    Claim("Their code runs", observations=(
        Observation("07", r"^as printed: TypeError: .*PIL"),), judge=lambda matches: "does not hold"),
)
"""The ledger's table: each claim and what it cites. Names must match the notebooks' printed verdicts."""


@dataclass(frozen=True)
class Row:
    """One row of the ledger: the claim, the cited evidence (one line each, notebook first) and the verdict."""

    claim: str
    notebooks: tuple[str, ...]
    evidence: tuple[str, ...]
    verdict: str


def _judge_parts(verdicts: list[str], supports: list[str]) -> str:
    """"holds" when every cited verdict supports the claim, "holds in part" when some do; with none,
    "does not hold" when a verdict speaks against it (the other direction, or equivalent within the
    margin), else "not shown" (only "no detectable difference": the evidence cannot tell)."""
    supported = [v == s for v, s in zip(verdicts, supports)]
    against = [v == "equivalent within the margin" or v in ("better", "worse") and v != s
               for v, s in zip(verdicts, supports)]
    if any(supported):
        return "holds" if all(supported) else "holds in part"
    return "does not hold" if any(against) else "not shown"


def claim_row(claim: Claim, folder: Path | None = None) -> Row:
    """Read what ``claim`` cites from the stored notebooks and judge it (see :class:`Claim`)."""
    if claim.parts:
        cited = [cite(read_verdicts(p.notebook, folder), p.names, p.section) for p in claim.parts]
        verdict = _judge_parts([v.verdict for v in cited], [p.supports for p in claim.parts])
        evidence = [f"{v.notebook}: {v.text}" for v in cited]
        notebooks = [p.notebook for p in claim.parts]
    else:
        matches = [observe(o.notebook, o.pattern, folder) for o in claim.observations]
        verdict = claim.judge(matches)
        evidence = [f"{o.notebook}: {' '.join(m.string.split())}" for o, m in zip(claim.observations, matches)]
        notebooks = [o.notebook for o in claim.observations]
    return Row(claim.claim, tuple(dict.fromkeys(notebooks)), tuple(evidence), verdict)


def ledger_rows(claims: tuple[Claim, ...] = CLAIMS, folder: Path | None = None) -> list[Row]:
    """Every claim's row, read from the stored notebooks."""
    return [claim_row(claim, folder) for claim in claims]


def ledger_markdown(rows: list[Row]) -> str:
    """The ledger as a Markdown table: claim, notebooks, cited evidence, verdict."""
    lines = ["| claim | notebook | cited evidence (as printed there) | verdict |", "| --- | --- | --- | --- |"]
    for r in rows:
        evidence = "<br>".join(e.replace("|", "\\|") for e in r.evidence)
        lines.append(f"| {r.claim} | {', '.join(r.notebooks)} | {evidence} | **{r.verdict}** |")
    return "\n".join(lines)
