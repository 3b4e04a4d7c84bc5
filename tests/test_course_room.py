import subprocess
import sys

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
