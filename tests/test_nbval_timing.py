from types import SimpleNamespace

import nbval_timing


def test_cells_are_summed_per_notebook_and_other_tests_ignored():
    assert nbval_timing.notebook_of("notebooks/07_evaluation.ipynb::Cell 12") == "notebooks/07_evaluation.ipynb"
    assert nbval_timing.notebook_of("tests/test_data.py::test_x") is None


def test_the_summary_states_the_total_or_the_wall_clock_span_against_the_budget():
    one_at_a_time = nbval_timing.summary_lines({"notebooks/b.ipynb": 200.0, "notebooks/a.ipynb": 100.5}, budget=360)
    assert one_at_a_time[0].endswith("notebooks/a.ipynb") and "100.5" in one_at_a_time[0]
    assert "300.5  total of 2 notebooks, one after another (within the budget of 360 s" in one_at_a_time[-1]
    assert "OVER" in nbval_timing.summary_lines({"n.ipynb": 361.0}, budget=360)[-1]
    two_at_a_time = nbval_timing.summary_lines({"notebooks/b.ipynb": 200.0, "notebooks/a.ipynb": 100.5}, wall=180.0,
                                               budget=360)
    assert "300.5  sum of the 2 notebooks' times, two at a time" in two_at_a_time[-2]
    assert "180.0  wall-clock" in two_at_a_time[-1] and "(within the budget of 360 s" in two_at_a_time[-1]
    assert "OVER" in nbval_timing.summary_lines({"n.ipynb": 100.0}, wall=361.0, budget=360)[-1]


def test_the_span_runs_from_the_first_cell_start_to_the_last_cell_stop(monkeypatch):
    monkeypatch.setattr(nbval_timing, "_seconds", nbval_timing.defaultdict(float))
    monkeypatch.setattr(nbval_timing, "_span", [])
    for nodeid, start, stop in [("notebooks/a.ipynb::Cell 0", 10.0, 12.0), ("tests/test_x.py::t", 0.0, 99.0),
                                ("notebooks/b.ipynb::Cell 0", 11.0, 30.0), ("notebooks/a.ipynb::Cell 1", 12.0, 15.0)]:
        nbval_timing.pytest_runtest_logreport(SimpleNamespace(nodeid=nodeid, start=start, stop=stop, duration=stop - start))
    assert nbval_timing._span == [10.0, 30.0]  # the unit test's times do not count
    assert dict(nbval_timing._seconds) == {"notebooks/a.ipynb": 5.0, "notebooks/b.ipynb": 19.0}
