"""Feature extraction, linear probes, top-k selection and the load-or-train path of notebook 05."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone, is_classifier
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torchvision.models.feature_extraction import create_feature_extractor

from lepton_helpers.features import (layer_features, layer_names, make_probe, probe_accuracies, probe_correct,
                                     top_k_accuracies, top_k_correct)
from lepton_helpers.models import MLP, load_or_train, save_checkpoint, save_trained


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return MLP((784, 32, 16, 10))


@pytest.fixture(scope="module")
def separable():
    """Feature 0 decides the class; features 1-4 are noise."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=600)
    x = rng.normal(size=(600, 5))
    x[:, 0] = 3 * y + rng.normal(scale=0.1, size=600)
    return x[:400], y[:400], x[400:], y[400:]


def test_layer_features_equal_a_manual_forward(model):
    x = torch.randn(23, 784)
    features = layer_features(model, x, batch_size=7)           # several chunks
    with torch.no_grad():
        h1 = model.hidden[0](x)
        h2 = model.hidden[1](h1)
        expected = {"hidden 1": h1, "hidden 2": h2, "output": model.head(h2)}
    assert list(features) == layer_names(model) == list(expected)
    for name, value in expected.items():
        assert isinstance(features[name], np.ndarray) and features[name].dtype == np.float32
        assert features[name].shape == tuple(value.shape)
        np.testing.assert_allclose(features[name], value.numpy(), rtol=0, atol=1e-6)


def test_layer_features_equal_torchvisions_extractor(model):
    x = torch.randn(5, 1, 28, 28)                               # image-shaped input is flattened by the MLP
    traced = create_feature_extractor(model, {"hidden.0.1": "hidden 1", "hidden.1.1": "hidden 2", "head": "output"})
    with torch.no_grad():
        expected = traced(x)
    features = layer_features(model, x)
    for name in expected:
        np.testing.assert_allclose(features[name], expected[name].numpy(), rtol=0, atol=1e-6)


def test_hooks_are_removed_and_mode_restored_even_on_error(model):
    model.train()
    layer_features(model, torch.randn(3, 784))
    with pytest.raises(RuntimeError):
        layer_features(model, torch.randn(3, 100))              # wrong width: the forward fails
    for module in model.modules():
        assert not module._forward_hooks
    assert model.training


def test_layer_features_rejects_other_models():
    with pytest.raises(TypeError, match="MLP"):
        layer_features(torch.nn.Linear(4, 2), torch.randn(3, 4))


def test_probe_follows_sklearn_conventions(separable):
    x_tr, y_tr, x_te, y_te = separable
    probe = make_probe(C=0.5, seed=3)
    assert is_classifier(probe)
    params = probe.get_params()
    assert params["logisticregression__C"] == 0.5 and params["logisticregression__random_state"] == 3
    twin = clone(probe)
    assert twin is not probe and twin.get_params()["logisticregression__C"] == 0.5
    assert probe.fit(x_tr, y_tr) is probe                        # fit returns the estimator
    assert probe.predict(x_te).shape == y_te.shape
    assert probe.predict_proba(x_te).shape == (len(y_te), 3)
    assert probe.score(x_te, y_te) > 0.95
    assert not hasattr(twin[-1], "coef_")                         # the clone is unfitted
    with pytest.raises(ValueError, match="C"):
        make_probe(C=0)


def test_probe_accuracies_are_real_and_warning_free(separable):
    x_tr, y_tr, x_te, y_te = separable
    train = {"signal": x_tr[:, :1], "noise": x_tr[:, 1:]}
    test = {"signal": x_te[:, :1], "noise": x_te[:, 1:]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")                           # a ConvergenceWarning would fail the test
        scores = probe_accuracies(train, y_tr, test, y_te)
    assert scores["signal"] > 0.95
    assert scores["noise"] < 0.55                                # about chance (1/3)
    assert scores == probe_accuracies(train, torch.as_tensor(y_tr), test, torch.as_tensor(y_te))
    # the plain scikit-learn probe written out in notebook 05
    plain = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=1000, tol=1e-4))
    assert scores["noise"] == plain.fit(train["noise"], y_tr).score(test["noise"], y_te)


def test_probe_correct_marks_each_row_and_averages_to_the_accuracy(separable):
    x_tr, y_tr, x_te, y_te = separable
    train, test = {"signal": x_tr[:, :1], "all": x_tr}, {"signal": x_te[:, :1], "all": x_te}
    correct = probe_correct(train, y_tr, test, y_te)
    predicted = make_probe().fit(x_tr[:, :1], y_tr).predict(x_te[:, :1])
    assert correct["signal"].dtype == bool and np.array_equal(correct["signal"], predicted == y_te)
    assert probe_accuracies(train, y_tr, test, y_te) == {n: c.mean() for n, c in correct.items()}


def test_top_k_correct_marks_each_row(separable):
    x_tr, y_tr, x_te, y_te = separable
    bad = np.array([0.0, 1, 2, 3, 4])
    one, five = top_k_correct(bad, [1, 5], x_tr, y_tr, x_te, y_te)
    kept = make_probe().fit(x_tr[:, [4]], y_tr)                  # k = 1 keeps the highest score: column 4
    assert np.array_equal(one, kept.predict(x_te[:, [4]]) == y_te) and five.mean() > 0.95
    assert top_k_accuracies(bad, [1, 5], x_tr, y_tr, x_te, y_te) == [one.mean(), five.mean()]


def test_probe_accuracies_bad_input(separable):
    x_tr, y_tr, x_te, y_te = separable
    with pytest.raises(ValueError, match="same feature sets"):
        probe_accuracies({"a": x_tr}, y_tr, {"b": x_te}, y_te)
    with pytest.raises(ValueError, match="rows and labels must match"):
        probe_accuracies({"a": x_tr}, y_tr[:10], {"a": x_te}, y_te)


def test_top_k_keeps_the_best_scored_features(separable):
    x_tr, y_tr, x_te, y_te = separable
    good = np.array([5.0, 1, 1, 1, 1])
    bad = np.array([0.0, 1, 2, 3, 4])
    assert top_k_accuracies(good, [1], x_tr, y_tr, x_te, y_te)[0] > 0.95
    one, four, five = top_k_accuracies(bad, [1, 4, 5], x_tr, y_tr, x_te, y_te)
    assert one < 0.55 and four < 0.55 and five > 0.95


def test_top_k_agrees_with_select_k_best(separable):
    x_tr, y_tr, x_te, y_te = separable
    scores, _ = f_classif(x_tr, y_tr)
    kept = SelectKBest(f_classif, k=2).fit(x_tr, y_tr).get_support()
    expected = make_probe().fit(x_tr[:, kept], y_tr).score(x_te[:, kept], y_te)
    assert top_k_accuracies(scores, [2], x_tr, y_tr, x_te, y_te)[0] == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("scores, ks, message", [
    (np.ones(4), [1], "one score per feature"),
    (np.array([1.0, np.nan, 1, 1, 1]), [1], "VarianceThreshold"),
    (np.ones(5), [0], "between 1 and 5"),
    (np.ones(5), [6], "between 1 and 5"),
])
def test_top_k_bad_input(separable, scores, ks, message):
    x_tr, y_tr, x_te, y_te = separable
    with pytest.raises(ValueError, match=message):
        top_k_accuracies(scores, ks, x_tr, y_tr, x_te, y_te)


@pytest.fixture(scope="module")
def digits():
    from lepton_helpers.preprocessing import mnist_splits
    splits = mnist_splits(device="cpu")
    return splits.x_train[:300], splits.y_train[:300]


def test_load_or_train_trains_saves_then_loads(tmp_path, digits):
    x, y = digits
    path = tmp_path / "artifacts" / "model.pt"
    trained, loaded = load_or_train(path, x, y, epochs=1, progress=False)
    assert not loaded and path.is_file() and isinstance(trained, MLP)
    again, loaded = load_or_train(path, x, y, epochs=1, progress=False)
    assert loaded
    for a, b in zip(trained.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)


def test_load_or_train_matches_what_a_notebook_saves(tmp_path, digits):
    # Notebook 04 trains with seed 0 and saves with save_trained; notebook 05 must accept that file.
    x, y = digits
    path = tmp_path / "m.pt"
    torch.manual_seed(0)
    model = MLP()
    model.head.bias.data.fill_(7.0)                               # a marker: loading must return these weights
    save_trained(model, path, x, y, epochs=1)
    loaded_model, loaded = load_or_train(path, x, y, epochs=1, progress=False)
    assert loaded and torch.all(loaded_model.head.bias == 7.0)


def test_load_or_train_retrains_on_another_recipe_or_a_bad_file(tmp_path, digits):
    x, y = digits
    path = tmp_path / "m.pt"
    save_trained(MLP(), path, x, y, epochs=2)
    _, loaded = load_or_train(path, x, y, epochs=1, progress=False)
    assert not loaded                                            # epochs differ: retrained and overwritten
    path.write_bytes(b"not a checkpoint")
    _, loaded = load_or_train(path, x, y, epochs=1, progress=False)
    assert not loaded
    save_checkpoint(MLP((784, 32, 10)), path, recipe={})
    model, loaded = load_or_train(path, x, y, epochs=1, progress=False)
    assert not loaded and model.sizes == (784, 128, 64, 10)


def test_load_or_train_never_unpickles_code(tmp_path, digits):
    x, y = digits
    path = tmp_path / "m.pt"
    torch.save({"payload": _Trap()}, path)                       # loading this with a full pickle would run code
    _, loaded = load_or_train(path, x, y, epochs=1, progress=False)
    assert not loaded and not TRIGGERED


TRIGGERED = []


def _trigger():
    TRIGGERED.append(True)
    return "boom"


class _Trap:
    def __reduce__(self):
        return (_trigger, ())
