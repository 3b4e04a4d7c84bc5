import subprocess
import sys

from lepton_helpers.course import room
from lepton_helpers.course.room import room_check


def test_room_check_passes_here_and_names_what_is_missing(tmp_path, monkeypatch, capsys):
    assert room_check() is True
    out = capsys.readouterr().out
    assert "✅ data: MNIST-10k verified" in out and "✅ compute" in out and "slider" in out
    monkeypatch.setenv("LEPTON_DATA_DIR", str(tmp_path))  # a folder without the bundled data
    assert room_check() is False
    assert f"❌ data: LEPTON_DATA_DIR={tmp_path} but" in capsys.readouterr().out


def test_room_check_needs_no_notebook_tooling():
    """A plain ``pip install`` has no nbformat, nbclient or pytest: the README's one-cell check must still import."""
    blocked = "import sys; [sys.modules.__setitem__(m, None) for m in ('nbformat', 'nbclient', 'nbval', 'pytest')]; "
    code = blocked + "from lepton_helpers.course.room import room_check; print('imported')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "imported" in done.stdout, done.stderr[-2000:]


def test_supported_ranges_are_pyprojects():
    ranges = room.supported_ranges()
    # an installed package's metadata may list the clauses in another order ("<9,>=7.7.1")
    assert ranges["python"] == ">=3.11" and set(ranges["ipywidgets"].split(",")) == {">=7.7.1", "<9"}
    assert ranges["torch"].startswith(">=")


def test_versions_are_compared_with_the_ranges():
    assert room.in_range("2.8.0+cu128", ">=2.8.0") and room.in_range("8.1.5", ">=7.7.1,<9")
    assert not room.in_range("9.0.0", ">=7.7.1,<9") and not room.in_range("2.7.1", ">=2.8.0")
    assert room.in_range("3.11.4", ">=3.11") and not room.in_range("3.10.12", ">=3.11")
    ranges = room.supported_ranges()
    fine = {name: next(c[2:] for c in spec.split(",") if c.startswith(">=")) for name, spec in ranges.items()}  # the floors
    assert room.version_problems(fine) == []
    problems = room.version_problems({**fine, "python": "3.10.12", "numpy": "1.26.4", "tqdm": None})
    assert len(problems) == 3
    assert any(p.startswith("Python 3.10.12 is outside >=3.11") for p in problems)
    assert f'numpy 1.26.4 is outside {ranges["numpy"]}: run `python -m pip install "numpy{ranges["numpy"]}"`' \
        in "\n".join(problems)
    assert any(p.startswith("tqdm is not installed") for p in problems)


def test_outside_a_notebook_the_widget_check_does_not_pretend(capsys, monkeypatch):
    monkeypatch.setattr(room, "version_problems", lambda: ["numpy 1.0 is outside >=2: run ..."])
    assert room_check() is False
    out = capsys.readouterr().out
    assert "❌ versions: 1 outside the supported ranges" in out and "numpy 1.0" in out
    assert "sliders can only be checked in" in out and "👆" not in out
