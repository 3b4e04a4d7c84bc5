import nbval_timing


def test_cells_are_summed_per_notebook_and_other_tests_ignored():
    assert nbval_timing.notebook_of("notebooks/07_evaluation.ipynb::Cell 12") == "notebooks/07_evaluation.ipynb"
    assert nbval_timing.notebook_of("tests/test_data.py::test_x") is None


def test_the_summary_states_the_total_against_the_budget():
    lines = nbval_timing.summary_lines({"notebooks/b.ipynb": 200.0, "notebooks/a.ipynb": 100.5}, budget=360)
    assert lines[0].endswith("notebooks/a.ipynb") and "100.5" in lines[0]
    assert "300.5  total of 2 notebooks (within the budget of 360 s" in lines[-1]
    assert "OVER" in nbval_timing.summary_lines({"n.ipynb": 361.0}, budget=360)[-1]
