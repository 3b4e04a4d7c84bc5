import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lepton_helpers.activation import lepton
from lepton_helpers.backprop import (K_MIN, Layer, autograd_gradients, case_study_data, cross_entropy, forward,
                                     gradient_descent, init_network, loss_and_gradients, max_abs_difference,
                                     numerical_gradients, predict)

f64 = torch.float64


def random_network(sizes=(6, 5, 4, 3), seed=0):
    """Random weights and random per-neuron k and theta (not the defaults), so every term matters."""
    layers = init_network(sizes, seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    for layer in layers[:-1]:
        layer.k = torch.rand(layer.k.shape, generator=g, dtype=f64) * 3 + 0.2
        layer.theta = torch.randn(layer.theta.shape, generator=g, dtype=f64)
    return layers


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(7)
    return torch.randn(9, 6, generator=g, dtype=f64), torch.randint(0, 3, (9,), generator=g)


def test_forward_equals_torch_modules(batch):
    x, _ = batch
    layers = random_network()
    h = x
    for layer in layers[:-1]:
        linear = nn.Linear(*layer.W.T.shape).double()
        linear.load_state_dict({"weight": layer.W, "bias": layer.b})
        h = lepton(linear(h), layer.k, layer.theta)
    torch.testing.assert_close(forward(layers, x)[0], h @ layers[-1].W.T + layers[-1].b, rtol=0, atol=1e-14)


def test_hand_backward_equals_autograd_in_float64(batch):
    layers = random_network()
    _, grads = loss_and_gradients(layers, *batch)
    assert max_abs_difference(grads, autograd_gradients(layers, *batch)) < 1e-12
    assert [g.tensors().keys() for g in grads] == [layer.tensors().keys() for layer in layers]


def test_hand_backward_equals_finite_differences(batch):
    layers = random_network()
    _, grads = loss_and_gradients(layers, *batch)
    numeric = numerical_gradients(layers, *batch)
    assert max_abs_difference(grads, numeric) < 1e-8
    assert max_abs_difference(numeric, [Layer(**{n: torch.zeros_like(t) for n, t in g.tensors().items()})
                                        for g in grads]) > 1e-3  # the gradients are not trivially zero


def test_theta_gradient_is_minus_the_bias_gradient(batch):
    _, grads = loss_and_gradients(random_network(), *batch)
    for g in grads[:-1]:
        torch.testing.assert_close(g.theta, -g.b, rtol=0, atol=1e-15)


def test_plain_code_as_notebook_03_teaches_equals_the_helper(batch):
    x, y = batch
    (l1, l2) = random_network((6, 5, 3))
    W1, b1, k1, th1, W2, b2 = l1.W, l1.b, l1.k, l1.theta, l2.W, l2.b
    # forward, by hand
    Z1 = x @ W1.T + b1
    A1 = 1 / (1 + torch.exp(-k1 * (Z1 - th1)))
    Z2 = A1 @ W2.T + b2
    P = torch.softmax(Z2, dim=1)
    loss = -torch.log(P[torch.arange(len(y)), y]).mean()
    # backward, by hand
    D2 = (P - F.one_hot(y, 3).double()) / len(y)
    G1 = D2 @ W2
    S1 = A1 * (1 - A1)
    D1 = G1 * k1 * S1
    by_hand = [Layer(D1.T @ x, D1.sum(0), (G1 * (Z1 - th1) * S1).sum(0), -D1.sum(0)), Layer(D2.T @ A1, D2.sum(0))]
    helper_loss, helper_grads = loss_and_gradients([l1, l2], x, y)
    assert helper_loss == pytest.approx(loss.item(), abs=1e-14)
    assert max_abs_difference(by_hand, helper_grads) < 1e-14


def test_cross_entropy_is_stable_and_matches_torch():
    logits = torch.tensor([[1e4, 0.0, -1e4], [3.0, 1.0, 2.0]], dtype=f64)
    y = torch.tensor([1, 0])
    loss, dlogits = cross_entropy(logits, y)
    torch.testing.assert_close(loss, F.cross_entropy(logits, y))
    assert torch.isfinite(dlogits).all()
    torch.testing.assert_close(dlogits.sum(1), torch.zeros(2, dtype=f64), rtol=0, atol=1e-15)


def test_case_study_data_is_the_articles_shape():
    x_train, y_train, x_test, y_test = case_study_data()
    assert x_train.shape == (80, 10) and x_test.shape == (20, 10) and x_train.dtype == f64
    assert torch.bincount(y_test).tolist() == [4] * 5  # stratified: 4 of each of the 5 classes
    torch.testing.assert_close(x_train.mean(0), torch.zeros(10, dtype=f64), rtol=0, atol=1e-12)
    assert not torch.allclose(x_test.mean(0), torch.zeros(10, dtype=f64), atol=1e-3)  # test stats not used


def test_gradient_descent_learns_the_case_study():
    x_train, y_train, x_test, y_test = case_study_data()
    layers = init_network((10, 20, 5), seed=0)
    losses = gradient_descent(layers, x_train, y_train, lr=0.5, epochs=200)
    assert losses[-1] < 0.3 * losses[0] and all(torch.isfinite(torch.tensor(losses)))
    assert (predict(layers, x_train) == y_train).double().mean() > 0.9
    assert (predict(layers, x_test) == y_test).double().mean() >= 0.7  # chance is 0.2
    assert (layers[0].k >= K_MIN).all() and not torch.equal(layers[0].k, torch.ones(20, dtype=f64))


def test_gradient_descent_keeps_k_positive():
    x_train, y_train, _, _ = case_study_data()
    layers = init_network((10, 20, 5), k=0.01, seed=0)
    clamped = []
    for _ in range(5):  # without the projection, k reaches -0.43 after one step and -133 after three
        gradient_descent(layers, x_train, y_train, lr=50.0, epochs=1)
        assert (layers[0].k >= K_MIN).all()
        clamped.append(bool((layers[0].k == K_MIN).any()))
    assert any(clamped)


def test_bad_settings_are_clear_errors():
    with pytest.raises(ValueError, match="sizes"):
        init_network((10,))
    with pytest.raises(ValueError, match="k must be"):
        init_network((3, 2, 2), k=0.0)
    with pytest.raises(ValueError, match="lr > 0"):
        gradient_descent(init_network((3, 2)), torch.zeros(1, 3, dtype=f64), torch.zeros(1, dtype=torch.long), lr=-1)


def test_gradient_descent_takes_an_autograd_based_rule():
    """The rule runs with autograd on, so one built on autograd gives the hand-written rule's steps."""
    x_train, y_train, _, _ = case_study_data()

    def autograd_rule(layers, x, y):
        return F.cross_entropy(forward(layers, x)[0], y), autograd_gradients(layers, x, y)

    by_hand, by_autograd = init_network((10, 20, 5), seed=0), init_network((10, 20, 5), seed=0)
    hand_losses = gradient_descent(by_hand, x_train, y_train, lr=0.5, epochs=20)
    autograd_losses = gradient_descent(by_autograd, x_train, y_train, lr=0.5, epochs=20, gradients=autograd_rule)
    assert all(type(loss) is float for loss in autograd_losses)
    assert autograd_losses == pytest.approx(hand_losses, rel=1e-12) and autograd_losses[-1] < autograd_losses[0]
    assert max_abs_difference(by_hand, by_autograd) < 1e-12
    assert not any(t.requires_grad for layer in by_autograd for t in layer.tensors().values())
