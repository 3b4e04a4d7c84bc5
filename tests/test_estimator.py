import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from lepton_helpers.estimator import LeptonClassifier, adamw, glorot_uniform_
from lepton_helpers.models import MLP
from lepton_helpers.training import TensorBatches, parameter_groups

NAMES = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])


@pytest.fixture(scope="module")
def digits(mnist):
    """1,000 training and 500 test images (uint8, 28 x 28) with integer labels."""
    return (mnist.train_images[:1000].numpy(), mnist.train_labels[:1000].numpy(),
            mnist.test_images[:500].numpy(), mnist.test_labels[:500].numpy())


def small(**params):
    """A quick configuration (one hidden layer, 4 epochs at lr 3e-3) on the CPU, seeded; ``params`` override it."""
    return LeptonClassifier(**{"hidden_layer_sizes": (64,), "epochs": 4, "batch_size": 50, "learning_rate": 3e-3, "random_state": 0,
                               "device": "cpu", **params})


@pytest.fixture(scope="module")
def fitted(digits):
    x, y, _, _ = digits
    return small().fit(x / 255.0, y)


def test_learns_digits_and_probabilities_sum_to_one(fitted, digits):
    _, _, x_test, y_test = digits
    proba = fitted.predict_proba(x_test / 255.0)
    assert proba.shape == (500, 10) and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(fitted.predict_log_proba(x_test / 255.0), np.log(proba), atol=1e-9)
    assert np.array_equal(fitted.predict(x_test / 255.0), fitted.classes_[proba.argmax(1)])
    assert fitted.score(x_test / 255.0, y_test) > 0.8
    assert fitted.n_features_in_ == 784 and list(fitted.classes_) == list(range(10))
    assert len(fitted.history_.train_loss) == 4


def test_images_and_flat_rows_are_the_same_input(fitted, digits):
    x, y, x_test, _ = digits
    flat = small().fit(x.reshape(len(x), -1) / 255.0, y)
    np.testing.assert_array_equal(flat.predict_proba(x_test.reshape(-1, 784) / 255.0),
                                  fitted.predict_proba(x_test / 255.0))


def test_string_labels_round_trip(fitted, digits):
    x, y, x_test, y_test = digits
    named = small().fit(x / 255.0, NAMES[y])
    assert sorted(named.classes_) == sorted(NAMES)
    predicted = named.predict(x_test / 255.0)
    assert set(predicted) <= set(NAMES)
    # labels only renamed: about the same accuracy (classes_ is sorted by name, so the output units come in
    # another order and the runs are not bit-identical); a broken label mapping would score about 10%
    assert named.score(x_test / 255.0, NAMES[y_test]) > 0.8
    assert named.score(x_test / 255.0, NAMES[y_test]) == pytest.approx(fitted.score(x_test / 255.0, y_test), abs=0.03)


def test_reproducible_under_random_state_and_private_rng(digits):
    x, y, x_test, _ = digits
    x, y = x[:300] / 255.0, y[:300]
    before = torch.get_rng_state()
    a = small().fit(x, y).predict_proba(x_test / 255.0)
    assert torch.equal(torch.get_rng_state(), before), "fit must not move the global torch generator"
    b = small().fit(x, y).predict_proba(x_test / 255.0)
    c = small().set_params(random_state=1).fit(x, y).predict_proba(x_test / 255.0)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("activation", ["relu", "tanh"])  # the written-out step, and autograd's
def test_fit_takes_the_steps_of_a_plain_adamw_loop(digits, activation):
    x, y, x_test, _ = digits
    x, y = x[:400].reshape(400, -1) / 255.0, y[:400]
    est = small(weight_decay=0.01, standardize=None, activation=activation).fit(x, y)  # on the inputs as given
    seed = int(np.random.RandomState(0).randint(np.iinfo(np.int32).max))  # what random_state=0 draws
    model = MLP((784, 64, 10), activation)
    glorot_uniform_(model, torch.Generator().manual_seed(seed))
    optimizer = torch.optim.AdamW(parameter_groups(model, 0.01), lr=3e-3)
    batches = TensorBatches(torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y.astype(np.int64)), 50, seed=seed)
    for _ in range(4):
        for xb, yb in batches:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(xb), yb).backward()
            optimizer.step()
    with torch.no_grad():
        expected = torch.softmax(model(torch.from_numpy(x_test[:50].reshape(50, -1) / 255.0).float()).double(), 1)
    np.testing.assert_allclose(est.predict_proba(x_test[:50] / 255.0), expected.numpy(), atol=1e-4)


def test_adamw_is_fused_where_the_device_has_a_kernel_and_plain_elsewhere(monkeypatch):
    assert adamw(MLP((784, 64, 10)), 1e-3, 0.01).defaults["fused"]
    real = torch.optim.AdamW

    def no_fused_kernel(params, fused=None, **kwargs):
        if fused:
            raise RuntimeError("`fused=True` requires all the params to be floating point Tensors of supported devices")
        return real(params, **kwargs)
    monkeypatch.setattr(torch.optim, "AdamW", no_fused_kernel)
    optimizer = adamw(MLP((784, 64, 10)), 1e-3, 0.01)
    assert not optimizer.defaults["fused"] and [g["weight_decay"] for g in optimizer.param_groups] == [0.01, 0.0]


def test_glorot_uniform_fills_the_range_reproducibly():
    model = MLP((784, 128, 10))
    glorot_uniform_(model, torch.Generator().manual_seed(0))
    first = model.hidden[0][0].weight.detach().clone()
    bound = (6 / (784 + 128)) ** 0.5
    assert first.abs().max() <= bound and first.abs().max() > 0.99 * bound
    assert model.head.bias.abs().max() <= (6 / (128 + 10)) ** 0.5
    glorot_uniform_(model, torch.Generator().manual_seed(0))
    assert torch.equal(model.hidden[0][0].weight, first)


def test_clone_and_params():
    est = LeptonClassifier(hidden_layer_sizes=(32, 16), activation="lepton-learnable", learning_rate=3e-3,
                           epochs=2, weight_decay=0.01, random_state=7)
    params = est.get_params()
    assert params["hidden_layer_sizes"] == (32, 16) and params["activation"] == "lepton-learnable"
    twin = clone(est)
    assert twin is not est and twin.get_params() == params
    assert twin.set_params(epochs=5) is twin and twin.epochs == 5 and est.epochs == 2
    with pytest.raises(ValueError, match="Invalid parameter"):
        est.set_params(momentum=0.9)


def test_pipeline_and_cross_validation(digits):
    x, y, x_test, y_test = digits
    pipe = make_pipeline(StandardScaler(), small())
    assert pipe.fit(x.reshape(len(x), -1), y).score(x_test.reshape(-1, 784), y_test) > 0.8
    scores = cross_val_score(small(), x[:600].reshape(600, -1) / 255.0, y[:600], cv=3, error_score="raise")
    assert scores.shape == (3,) and all(0.7 < s <= 1 for s in scores)


def test_a_learnable_lepton_network_with_weight_decay(digits):
    x, y, x_test, y_test = digits
    est = small(activation="lepton-learnable", weight_decay=0.01).fit(x / 255.0, y)
    assert est.score(x_test / 255.0, y_test) > 0.7


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        LeptonClassifier().predict(np.zeros((2, 784)))
    with pytest.raises(NotFittedError):
        LeptonClassifier().score(np.zeros((2, 784)), [0, 1])


def test_clear_errors(fitted, digits):
    x, y, _, _ = digits
    x = x[:100] / 255.0
    with pytest.raises(ValueError, match="X has 700 features, but LeptonClassifier is expecting 784"):
        fitted.predict(np.zeros((3, 700)))
    with pytest.raises(ValueError, match="X has 729 features"):
        fitted.predict(np.zeros((3, 27, 27)))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        small().fit(x, y[:99])
    bad = x.copy()
    bad[5, 5, 5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        small().fit(bad, y[:100])
    with pytest.raises(ValueError, match="NaN"):
        fitted.predict(bad)
    with pytest.raises(ValueError, match=r"not in the training labels: \['7'\]"):
        fitted.score(x[:2], np.array(["7", "7"]))
    with pytest.raises(ValueError, match="at least 2 classes"):
        small().fit(x, np.zeros(100, dtype=int))
    with pytest.raises(ValueError, match="Unknown label type"):
        small().fit(x, np.linspace(0, 1, 100))
    with pytest.raises(ValueError, match="1d array"):
        small().fit(x, np.eye(10)[y[:100]])


@pytest.mark.parametrize("params, match", [
    ({"epochs": 0}, "epochs"), ({"learning_rate": -1.0}, "learning_rate"), ({"batch_size": 0}, "batch_size"),
    ({"hidden_layer_sizes": (64, 0)}, "hidden_layer_sizes"), ({"weight_decay": -0.1}, "weight_decay"),
    ({"activation": "softmax"}, "unknown activation"), ({"device": "tpu"}, "Unknown device"),
])
def test_bad_parameters_are_refused_at_fit(params, match, digits):
    x, y, _, _ = digits
    with pytest.raises(ValueError, match=match):
        small().set_params(**params).fit(x[:50] / 255.0, y[:50])


@parametrize_with_checks([LeptonClassifier(random_state=0, device="cpu")])
def test_scikit_learn_check(estimator, check):
    check(estimator)  # scikit-learn's own battery: clone, pickling, input validation, idempotent fit, ...


def test_a_pandas_dataframe_is_rows_with_feature_names(digits):
    pandas = pytest.importorskip("pandas")
    x, y, _, _ = digits
    rows = x[:300].reshape(300, -1) / 255.0
    frame = pandas.DataFrame(rows, columns=[f"pixel{i}" for i in range(rows.shape[1])])
    est = small(epochs=1).fit(frame, pandas.Series(NAMES[y[:300]]))
    assert est.feature_names_in_.tolist() == frame.columns.tolist()
    np.testing.assert_array_equal(est.predict(frame), small(epochs=1).fit(rows, NAMES[y[:300]]).predict(rows))
    with pytest.raises(ValueError, match="feature names"):
        est.predict(frame.rename(columns={"pixel0": "other"}))


def test_grid_search_over_numpy_integers(digits):
    """GridSearchCV hands out the grid's values as np.int64: they are valid batch sizes."""
    x, y, _, _ = digits
    search = GridSearchCV(LeptonClassifier(epochs=1), {"batch_size": np.array([50, 100])}, cv=2, error_score="raise")
    search.fit(x[:200].reshape(200, -1) / 255.0, y[:200])
    assert [p["batch_size"] for p in search.cv_results_["params"]] == [50, 100]
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert len(search.best_estimator_.history_.train_loss) == 1


def test_fit_leaves_the_callers_generator_alone(digits, keeps_global_rng):
    x, y, _, _ = digits
    keeps_global_rng(lambda _: small(epochs=1).fit(x[:200] / 255.0, y[:200]))


def test_standardize_global_is_one_shift_and_scale(fitted, digits):
    x, y, _, _ = digits
    values = (x / 255.0).astype(np.float32)
    np.testing.assert_allclose(fitted.mean_, np.full(784, values.mean()), rtol=1e-5)
    np.testing.assert_allclose(fitted.scale_, np.full(784, values.std()), rtol=1e-5)
    with pytest.raises(ValueError, match=r"standardize must be one of \('global', 'feature', None\), got 'yes'"):
        small(standardize="yes").fit(x / 255.0, y)


def test_standardize_feature_is_a_standard_scaler_inside(digits):
    # standardize="feature" is StandardScaler fitted on the training rows, then the same network
    x, y, x_test, _ = digits
    rows, rows_test = x.reshape(len(x), -1) / 255.0, x_test.reshape(-1, 784) / 255.0
    scaler = StandardScaler().fit(rows.astype(np.float32))
    inside = small(standardize="feature").fit(rows, y)
    np.testing.assert_allclose(inside.mean_, scaler.mean_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(inside.scale_, scaler.scale_, rtol=1e-4)  # StandardScaler also scales 1 where constant
    assert (inside.scale_ == 1).sum() > 0, "MNIST has pixels that no training digit inks: they keep scale 1"
    piped = make_pipeline(StandardScaler(), small(standardize=None)).fit(rows, y)
    same = (piped.predict(rows_test) == inside.predict(rows_test)).mean()
    assert same > 0.98, f"only {same:.1%} of predictions agree with StandardScaler + standardize=None"
    raw = small(standardize=None).fit(rows, y)
    assert (raw.mean_ == 0).all() and (raw.scale_ == 1).all()
