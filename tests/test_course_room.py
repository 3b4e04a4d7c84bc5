import io
import json
import os
import subprocess
import sys

import pytest
import torch

from lepton_helpers.course import room
from lepton_helpers.course.room import room_check

WITHOUT_TORCH = ("import sys, runpy; sys.modules['torch'] = None; "
                 "runpy.run_module('lepton_helpers.course.room', run_name='__main__')")


@pytest.fixture
def reference_speed(monkeypatch):
    """This machine as fast as the reference, whatever else runs beside the test (no timed test)."""
    record = json.loads(room.SPEED_RECORD.read_text(encoding="utf-8"))
    monkeypatch.setattr(room, "speed_workload", lambda: record["workload_seconds"])


def run_without_torch(encoding: str) -> subprocess.CompletedProcess:
    """``python -m lepton_helpers.course.room`` in a fresh interpreter where ``import torch`` fails."""
    return subprocess.run([sys.executable, "-c", WITHOUT_TORCH], capture_output=True, timeout=300,
                          env={**os.environ, "PYTHONIOENCODING": encoding})


def test_room_check_passes_here_and_names_what_is_missing(tmp_path, monkeypatch, capsys, reference_speed):
    assert room_check() is True
    out = capsys.readouterr().out
    assert "✅ data: MNIST-10k verified" in out and "✅ compute" in out and "slider" in out
    assert out.startswith(f"Lepton Notebooks helpers {room.lepton_helpers.__version__}")
    assert out.rstrip().endswith("\nREADY") and "prefetch" not in out
    assert "(1.0x): an estimate of" in out
    monkeypatch.setenv("LEPTON_DATA_DIR", str(tmp_path))  # a folder without the bundled data
    assert room_check() is False
    out = capsys.readouterr().out
    assert f"❌ data: LEPTON_DATA_DIR={tmp_path} but" in out
    assert out.rstrip().splitlines()[-1].startswith("NOT READY: fix data")


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


def test_a_missing_package_is_reported_once(capsys, monkeypatch, reference_speed):
    monkeypatch.setattr(room, "import_problems", lambda: {"tqdm": "tqdm cannot be imported (ModuleNotFoundError)"})
    monkeypatch.setattr(room, "version_problems", lambda: ["tqdm is not installed: run ...", "numpy 1.0 is outside"])
    assert room_check() is False
    out = capsys.readouterr().out
    assert out.count("tqdm") == 1 and "❌ versions: 1 outside the supported ranges:\n   numpy 1.0" in out


def test_outside_a_notebook_the_widget_check_does_not_pretend(capsys, monkeypatch):
    monkeypatch.setattr(room, "version_problems", lambda: ["numpy 1.0 is outside >=2: run ..."])
    assert room_check() is False
    out = capsys.readouterr().out
    assert "❌ versions: 1 outside the supported ranges" in out and "numpy 1.0" in out
    assert "sliders can only be checked in" in out and "👆" not in out


def test_without_torch_a_cross_not_a_traceback():
    done = run_without_torch("utf-8")
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    assert done.returncode == 1 and "Traceback" not in out + err, err[-2000:]
    assert "❌ packages: torch cannot be imported" in out
    assert "⬜ compute: not checked: needs torch" in out
    assert "✅ versions: the installed ones within" in out
    assert out.rstrip().splitlines()[-1].startswith("NOT READY: fix packages")


def test_a_console_without_emoji_gets_plain_marks():
    done = run_without_torch("cp1252")  # a Windows console
    out = done.stdout.decode("cp1252")
    assert "Traceback" not in done.stderr.decode("cp1252") and done.returncode == 1
    assert "[X] packages: torch cannot be imported" in out and "[OK] memory" in out and "❌" not in out
    assert room.marks_for(io.TextIOWrapper(io.BytesIO(), encoding="cp1252")) == room.PLAIN
    assert room.marks_for(io.TextIOWrapper(io.BytesIO(), encoding="utf-8")) == room.EMOJI


def test_a_detail_the_console_cannot_print_does_not_crash_the_check(monkeypatch, reference_speed):
    monkeypatch.setattr(room, "version_problems", lambda: ["numpy 1.0 is outside >=2 → run ✓"])
    console = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    assert room.room_check(console) is False
    console.seek(0)
    out = console.read()
    assert "[X] versions: 1 outside" in out and "numpy 1.0 is outside >=2 ? run ?" in out


def test_main_runs_the_check(capsys, reference_speed):
    room.main([])  # READY here: no exit status 1
    assert capsys.readouterr().out.rstrip().endswith("READY")


@pytest.mark.parametrize("machine, supported, says", [
    (("Linux", "x86_64", "", (3, 12)), True, "CPU-only index"),
    (("Linux", "aarch64", "", (3, 11)), True, "ARM64"),
    (("Windows", "AMD64", "", (3, 12)), True, "Windows x86-64"),
    (("Windows", "ARM64", "", (3, 12)), False, "Google Colab"),
    (("Darwin", "x86_64", "13.6", (3, 12)), False, "Intel Mac"),
    (("Darwin", "arm64", "13.6", (3, 12)), True, "stops at 2.11"),
    (("Darwin", "arm64", "14.4", (3, 12)), True, "requirements-student.txt"),
    (("Linux", "x86_64", "", (3, 10)), False, "older than 3.11"),
    (("Linux", "i686", "", (3, 12)), False, "Google Colab"),
])
def test_platform_route_sends_unsupported_machines_to_colab(machine, supported, says):
    ok, route = room.platform_route(*machine)
    assert ok is supported and says in route
    assert ("Colab" in route) is (not supported)


def test_in_colab_the_route_is_colab(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    assert room.this_platform() == (True, "Google Colab: the notebooks' setup cell installs the helpers")


def test_speed_estimate_scales_the_reference_run_times():
    record = {"workload_seconds": 0.5, "notebook_seconds": {"00": 60, "07": 120}}
    fast, line = room.speed_estimate(1.0, record)  # this machine is half as fast
    assert fast and "(2.0x)" in line and "3.0 min per notebook" in line and "4.0 min for the longest (07)" in line
    assert "limit 5 min" in line
    slow, line = room.speed_estimate(1.0, {**record, "notebook_seconds": {"07": 180}})
    assert not slow and "6.0 min for the longest (07)" in line and "Google Colab" in line


def test_speed_workload_leaves_the_callers_generator_and_threads():
    threads, state = torch.get_num_threads(), torch.random.get_rng_state()
    assert room.speed_workload(steps=2) > 0
    assert torch.get_num_threads() == threads and torch.equal(torch.random.get_rng_state(), state)


def test_memory_and_disk_are_checked_against_stated_thresholds(tmp_path, monkeypatch):
    assert room.total_ram_gb() > 0.5  # read on this (Linux) machine
    ok, line = room._check_disk(tmp_path)
    assert ok and f"at least {room.MIN_FREE_DISK_GB:g} GB" in line
    monkeypatch.setattr(room, "total_ram_gb", lambda: 2.0)
    ok, line = room._check_ram()
    assert ok is False and "2.0 GB in all (at least 4 GB" in line


def test_record_speed_stores_the_workload_beside_the_notebooks_run_times(tmp_path, monkeypatch):
    for name, seconds in (("00_start_here.ipynb", 12.1), ("07_evaluation.ipynb", 88.1), ("notes.ipynb", 5)):
        (tmp_path / name).write_text(json.dumps({"cells": [], "metadata": {"lepton": {"cpu_seconds": seconds}}}))
    monkeypatch.setattr(room, "SPEED_RECORD", tmp_path / "room_speed.json")
    monkeypatch.setattr(room, "speed_workload", lambda: 0.25)
    room.record_speed(tmp_path)
    record = json.loads((tmp_path / "room_speed.json").read_text())
    assert record["notebook_seconds"] == {"00": 12.1, "07": 88.1} and record["workload_seconds"] == 0.25
    assert record["command"] == "python -m lepton_helpers.course.room --record" and record["threads"] == 1
    with pytest.raises(FileNotFoundError, match="nbtools run"):
        room.record_speed(tmp_path / "elsewhere")


@pytest.mark.repository  # reads the notebooks of the checkout
def test_the_committed_reference_holds_the_notebooks_current_run_times():
    """The speed estimate scales these run times: they must be the ones the notebooks store."""
    from lepton_helpers.course import nbtools

    record = json.loads(room.SPEED_RECORD.read_text(encoding="utf-8"))
    stored = {p.name[:2]: json.loads(p.read_text(encoding="utf-8"))["metadata"]["lepton"]["cpu_seconds"]
              for p in nbtools.notebook_paths()}
    assert record["notebook_seconds"] == stored, \
        "after `nbtools run`, on the same machine: python -m lepton_helpers.course.room --record"
    assert record["workload_seconds"] > 0
