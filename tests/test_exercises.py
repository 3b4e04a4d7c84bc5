import torch

from lepton_helpers.exercises import check, check_function


def test_check_verdicts(capsys):
    assert check(3.0, 3.0, hint="h")
    assert not check(..., 3.0, hint="count them")
    assert "not answered yet" in capsys.readouterr().out
    assert not check(torch.ones(2), torch.ones(3), hint="h")
    assert "shape" in capsys.readouterr().out
    assert not check(2.5, 3.0, hint="look again")
    assert "look again" in capsys.readouterr().out


def test_check_function_runs_the_learners_code(capsys):
    inputs = [(torch.tensor([1.0, 2.0]),), (torch.tensor([-3.0]),)]
    assert check_function(lambda x: x * 2, lambda x: x + x, inputs, hint="h")
    assert not check_function(lambda x: x * 3, lambda x: x + x, inputs, hint="h")

    def broken(x):
        raise KeyError("oops")

    assert not check_function(broken, lambda x: x, inputs, hint="h")
    assert "KeyError" in capsys.readouterr().out
    assert not check_function(lambda x: None, lambda x: x, inputs, hint="h")


def test_a_check_never_raises_on_odd_answers(capsys):
    inputs = [(torch.tensor([1.0, 2.0]),)]
    assert not check_function(lambda x: "abc", lambda x: x, inputs, hint="h")
    assert "expected a number or array, got str" in capsys.readouterr().out
    assert not check("abc", 3.0, hint="h")
    assert "got str" in capsys.readouterr().out


def test_nan_where_a_number_is_expected_is_named(capsys):
    assert not check(torch.tensor([1.0, float("nan")]), torch.tensor([1.0, 2.0]), hint="h")
    assert "NaN" in capsys.readouterr().out


def test_the_reference_is_computed_before_the_learners_code_runs(capsys):
    def in_place_double(x):
        return x.mul_(2)

    assert not check_function(in_place_double, lambda x: x + 0, [(torch.tensor([1.0, 2.0]),)], hint="h")
    assert "wrong result" in capsys.readouterr().out
