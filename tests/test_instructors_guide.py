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


def test_three_plans_each_from_setup_to_buffer_without_gaps():
    plans = GUIDE.split(prose.WORKSHOP_START)[1].split(prose.WORKSHOP_END)[0]
    titles = re.findall(r"^\*\*(.+?)\*\*$", plans, flags=re.MULTILINE)
    assert [re.split(r"[:(]", t)[0].strip() for t in titles] == ["90 minutes", "Half a day", "Full day"]
    for table in plans.split("\n**")[1:]:
        rows = re.findall(r"^\| (\d+:\d\d)-(\d+:\d\d) \| ([^|]*) \|", table, flags=re.MULTILINE)
        assert rows[0][0] == "0:00" and "setup" in rows[0][2] and "buffer" in rows[-1][2]
        for before, after in zip(rows, rows[1:]):
            assert before[1] == after[0], f"a gap or overlap in the plan at {before[1]}"


def test_readme_points_at_the_guide():
    readme = (nbtools.ROOT / "README.md").read_text(encoding="utf-8")
    assert "[INSTRUCTORS.md](INSTRUCTORS.md)" in readme.split("## Workshops")[1].split("\n## ")[0]
