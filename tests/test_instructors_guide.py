"""INSTRUCTORS.md: its answer key is the exercise bank's, its plans cover three formats with setup and buffer."""

from __future__ import annotations

import re

from lepton_helpers.course import nbtools, prose
from lepton_helpers.exercises import exercises

GUIDE = nbtools.GUIDE.read_text(encoding="utf-8")


def test_answer_key_is_in_sync_with_the_exercise_bank():
    key = GUIDE.split(nbtools.KEY_START)[1].split(nbtools.KEY_END)[0].strip()
    assert key == nbtools.guide_answer_key(), "run `python -m lepton_helpers.course.nbtools sync`"
    for exercise in exercises():
        assert f"\n#### {exercise.id} · " in key


def test_only_headings_outside_code_are_demoted(monkeypatch):
    key = "# Answer key\n\nintro\n\n## Notebook 03\n\n### 03.1 · x\n\n```python\n# a comment\nx = 1\n```\n"
    monkeypatch.setattr(nbtools, "answer_key", lambda notebooks=None: key)
    assert nbtools.guide_answer_key() == "intro\n\n### Notebook 03\n\n#### 03.1 · x\n\n```python\n# a comment\nx = 1\n```"


PLANS = GUIDE.split(prose.WORKSHOP_START)[1].split(prose.WORKSHOP_END)[0]


def plan_rows(table: str) -> list[tuple[int, int, str]]:
    """``(start, end, what)`` of each row of one plan, in minutes."""
    def minutes(clock: str) -> int:
        hours, mins = clock.split(":")
        return 60 * int(hours) + int(mins)

    rows = re.findall(r"^\| (\d+:\d\d)-(\d+:\d\d) \| ([^|]*) \|", table, flags=re.MULTILINE)
    return [(minutes(start), minutes(end), what) for start, end, what in rows]


TABLES = dict(zip(["90 minutes", "Half a day", "Full day"], PLANS.split("\n**")[1:]))


def test_three_plans_each_from_setup_to_buffer_without_gaps():
    titles = re.findall(r"^\*\*(.+?)\*\*$", PLANS, flags=re.MULTILINE)
    assert [re.split(r"[:(]", t)[0].strip() for t in titles] == list(TABLES)
    for table in TABLES.values():
        rows = plan_rows(table)
        assert rows[0][0] == 0 and "setup" in rows[0][2] and "buffer" in rows[-1][2]
        for before, after in zip(rows, rows[1:]):
            assert before[1] == after[0], f"a gap or overlap in the plan at minute {before[1]}"


def test_plans_keep_15_to_20_percent_buffer_and_cuts_for_a_late_room():
    for title, table in TABLES.items():
        rows = plan_rows(table)
        teaching = [(end - start, what) for start, end, what in rows if not what.startswith(("break", "lunch"))]
        buffer = sum(length for length, what in teaching if what.startswith("buffer"))
        share = buffer / sum(length for length, _ in teaching)
        assert 0.15 <= share <= 0.20, f"{title}: {buffer} min of buffer is {share:.0%} of the teaching time"
        assert "skip if late" in table, f"{title}: no cut for a room that runs late"
        assert "installed and checked before the day" in rows[0][2], f"{title}: the install belongs before the day"


def test_rows_on_notebooks_04_to_09_name_their_exercises():
    for title, table in TABLES.items():
        for _, _, what in plan_rows(table):
            for notebook in re.findall(r"(?<![\d:.-])(0[4-9])(?![\d:.-])", what):
                assert re.search(rf"\b{notebook}\.\d", what), f"{title}: the row on {notebook} names no exercise: {what}"


def test_the_90_minute_plan_does_not_end_on_the_ledger_of_notebooks_it_skipped():
    notebooks = {n for _, _, what in plan_rows(TABLES["90 minutes"]) for n in re.findall(r"^(0\d) ·", what)}
    assert notebooks == {"00", "02", "03"}, "09's ledger judges the claims of 04-08 too, which this plan skips"


def test_guide_has_the_pre_install_the_matrix_and_the_pinning_steps():
    before = GUIDE.split("## Before the day")[1].split("\n## ")[0]
    assert "python -m lepton_helpers.course.room" in before and "requirements-student.txt" in before
    assert re.search(r"Intel Macs, Windows on ARM.*\*\*Colab\*\*", before)
    for step in ("Fork", "GITHUB_SLUG", "python -m lepton_helpers.course.release v", "git push origin v"):
        assert step in before, step
    assert "not to grade" in before and "--csv" in before


def test_readme_points_at_the_guide():
    readme = (nbtools.ROOT / "README.md").read_text(encoding="utf-8")
    assert "[INSTRUCTORS.md](INSTRUCTORS.md)" in readme.split("## Workshops")[1].split("\n## ")[0]
