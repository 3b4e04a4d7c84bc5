import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn
from torch.autograd import gradcheck

from lepton_helpers.activation import (Lepton, fold_into_linear, lepton, lepton_derivative, lepton_partials,
                                       make_activation)
from lepton_helpers.models import MLP

f64 = torch.float64


def reference(x, k, theta):
    """The formula as written, in NumPy float64 (safe for the moderate inputs it is used on)."""
    return 1 / (1 + np.exp(-k * (x - theta)))


@pytest.mark.parametrize("k, theta", [(1.0, 0.0), (0.1, -2.0), (4.0, 0.5), (50.0, 1.0)])
def test_values_match_the_formula(k, theta):
    x = np.linspace(-5, 5, 101)
    got = lepton(torch.tensor(x), k, theta).numpy()
    np.testing.assert_allclose(got, reference(x, k, theta), rtol=1e-12, atol=1e-300)


def test_per_neuron_parameters_broadcast_over_the_batch():
    x = torch.randn(7, 3, dtype=f64)
    k, theta = torch.tensor([0.5, 1.0, 8.0], dtype=f64), torch.tensor([-1.0, 0.0, 2.0], dtype=f64)
    want = np.stack([reference(x[:, j].numpy(), k[j].item(), theta[j].item()) for j in range(3)], axis=1)
    np.testing.assert_allclose(lepton(x, k, theta).numpy(), want, rtol=1e-12)
    module = Lepton(learnable=True, num_features=3)
    with torch.no_grad():
        module.raw_k.copy_(torch.log(torch.expm1(k.float())))
        module.theta.copy_(theta.float())
    np.testing.assert_allclose(module(x.float()).detach().numpy(), want, rtol=1e-5)


def test_partials_match_autograd():
    x = torch.randn(50, dtype=f64, requires_grad=True)
    k = torch.tensor(2.5, dtype=f64, requires_grad=True)
    theta = torch.tensor(-0.3, dtype=f64, requires_grad=True)
    dx, dk, dtheta = lepton_partials(x, k, theta)
    auto_dx, = torch.autograd.grad(lepton(x, k, theta).sum(), x)
    torch.testing.assert_close(dx, auto_dx)
    for i in range(0, 50, 7):
        auto_dk, auto_dtheta = torch.autograd.grad(lepton(x[i], k, theta), (k, theta))
        torch.testing.assert_close(dk[i], auto_dk)
        torch.testing.assert_close(dtheta[i], auto_dtheta)
    torch.testing.assert_close(lepton_derivative(x, k, theta), dx)


def test_gradcheck_in_x_k_and_theta():
    x = torch.randn(6, 4, dtype=f64, requires_grad=True)
    k = (torch.rand(4, dtype=f64) * 5 + 0.1).requires_grad_()
    theta = torch.randn(4, dtype=f64, requires_grad=True)
    assert gradcheck(lepton, (x, k, theta))
    assert gradcheck(lambda x, k, theta: lepton_partials(x, k, theta)[0], (x, k, theta))  # second derivatives


def test_gradcheck_through_the_learnable_module():
    layer = Lepton(k=2.0, theta=0.3, learnable=True, num_features=4).double()
    x = torch.randn(5, 4, dtype=f64, requires_grad=True)

    def through(x, raw_k, theta):
        return torch.func.functional_call(layer, {"raw_k": raw_k, "theta": theta}, (x,))

    assert gradcheck(through, (x, layer.raw_k.detach().clone().requires_grad_(),
                               layer.theta.detach().clone().requires_grad_()))


@pytest.mark.parametrize("dtype", [torch.float32, f64])
def test_extreme_inputs_stay_finite_without_warnings(dtype):
    big = torch.finfo(dtype).max / 4
    x = torch.tensor([-big, -1e30, -1e4, -1.0, 0.0, 1.0, 1e4, 1e30, big], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k in (1e-6, 1.0, 50.0, 1e6):
            f = lepton(x, k, 0.5)
            assert torch.isfinite(f).all() and (f >= 0).all() and (f <= 1).all()
            assert all(torch.isfinite(p).all() for p in lepton_partials(x, k, 0.5))
    assert lepton(x, 50.0)[0] == 0 and lepton(x, 50.0)[-1] == 1


def test_derivative_is_accurate_in_the_tails():
    # f (1 - f) computed as 1 - f rounds to 0 at z = 40; sigmoid(z) sigmoid(-z) keeps the true value
    z = torch.tensor([40.0, -40.0], dtype=f64)
    torch.testing.assert_close(lepton_derivative(z), torch.exp(-z.abs()), rtol=1e-12, atol=0)


def test_maximum_slope_is_k_over_4_at_theta():
    for k, theta in [(0.3, -1.0), (1.0, 0.0), (50.0, 2.0)]:
        assert lepton(torch.tensor(theta), k, theta).item() == 0.5
        assert lepton_derivative(torch.tensor(theta, dtype=f64), k, theta).item() == pytest.approx(k / 4)
        x = torch.linspace(theta - 3, theta + 3, 601, dtype=f64)
        assert lepton_derivative(x, k, theta).max().item() <= k / 4 + 1e-15


def test_special_and_limiting_cases():
    x = torch.linspace(-8, 8, 1001, dtype=f64)
    assert torch.equal(lepton(x, 1.0, 0.0), torch.sigmoid(x))
    torch.testing.assert_close(2 * lepton(x, 2.0) - 1, torch.tanh(x), rtol=0, atol=1e-15)
    far = (x - 0.5).abs() >= 0.1
    step = (x > 0.5).to(f64)
    assert (lepton(x, 1000.0, 0.5) - step)[far].abs().max() < math.exp(-99)
    for k in (0.1, 0.01):  # sigmoid(z) = 1/2 + z/4 - z^3/48 + ...: the error is below |z|^3 / 48
        linear = 0.5 + k * x / 4
        assert (lepton(x, k) - linear).abs().max() <= (8 * k) ** 3 / 48


@pytest.mark.parametrize("k", [0, -1.0, float("nan"), float("inf")])
def test_impossible_k_is_a_clear_error(k):
    with pytest.raises(ValueError, match="k must be a finite number > 0"):
        Lepton(k=k)
    with pytest.raises(ValueError, match="k must be a finite number > 0"):
        lepton(torch.zeros(3), k)


@pytest.mark.parametrize("theta", [float("nan"), float("-inf")])
def test_impossible_theta_is_a_clear_error(theta):
    with pytest.raises(ValueError, match="theta must be a finite number"):
        Lepton(theta=theta)
    with pytest.raises(ValueError, match="theta must be a finite number"):
        lepton(torch.zeros(3), 1.0, theta)


def test_other_bad_settings_are_clear_errors():
    with pytest.raises(TypeError, match="k must be a number"):
        Lepton(k="2")
    with pytest.raises(ValueError, match="k must be > 2e-06"):
        Lepton(k=1e-7)
    with pytest.raises(ValueError, match="num_features"):
        Lepton(num_features=0)
    with pytest.raises(ValueError, match="last dimension is 7"):
        Lepton(learnable=True, num_features=5)(torch.zeros(2, 7))
    with pytest.raises(ValueError, match="unknown activation"):
        make_activation("swish", 4)


def test_learnable_k_stays_positive_after_a_huge_step():
    layer = Lepton(k=0.5, learnable=True, num_features=3)
    optimizer = torch.optim.SGD(layer.parameters(), lr=1e4)
    layer(torch.linspace(-1, 3, 3).expand(8, 3)).sum().neg().backward()  # pushes k down hard
    optimizer.step()
    assert (layer.k > 0).all() and torch.isfinite(layer.k).all()


def test_fixed_parameters_are_buffers_and_learnable_ones_are_excluded_from_decay():
    fixed, learnable = Lepton(k=4.0), Lepton(learnable=True, num_features=8)
    assert list(fixed.parameters()) == [] and fixed.shape_parameters() == []
    assert {id(p) for p in learnable.shape_parameters()} == {id(p) for p in learnable.parameters()}
    assert fixed.k.item() == pytest.approx(4.0) and "k=4" in repr(fixed)


def test_plain_fold_as_the_notebook_teaches_equals_the_helper():
    torch.manual_seed(0)
    linear, act = nn.Linear(5, 3).double(), Lepton(k=3.0, theta=0.5).double()
    x = torch.randn(10, 5, dtype=f64)
    k, theta = 3.0, 0.5
    w_folded, b_folded = k * linear.weight, k * (linear.bias - theta)  # the notebook's two lines
    plain = torch.sigmoid(x @ w_folded.T + b_folded)
    folded = fold_into_linear(linear, act)
    torch.testing.assert_close(plain, lepton(linear(x), k, theta), rtol=0, atol=1e-15)
    torch.testing.assert_close(torch.sigmoid(folded(x)), act(linear(x)), rtol=0, atol=1e-15)
    torch.testing.assert_close(folded.weight, w_folded, rtol=1e-6, atol=0)  # k is stored in float32


def test_folding_a_whole_lepton_mlp_gives_a_sigmoid_mlp_with_the_same_outputs():
    torch.manual_seed(1)
    lepton_net = MLP((12, 8, 6, 3), activation="lepton-learnable").double()
    with torch.no_grad():
        for block in lepton_net.hidden:
            block[1].raw_k.normal_(1.0, 1.0)
            block[1].theta.normal_(0.0, 1.0)
    sigmoid_net = MLP((12, 8, 6, 3), activation="sigmoid").double()
    sigmoid_net.head.load_state_dict(lepton_net.head.state_dict())
    for mine, theirs in zip(sigmoid_net.hidden, lepton_net.hidden):
        mine[0].load_state_dict(fold_into_linear(theirs[0], theirs[1]).state_dict())
    x = torch.randn(20, 12, dtype=f64)
    torch.testing.assert_close(sigmoid_net(x), lepton_net(x), rtol=0, atol=1e-13)


def test_fixed_k_under_adam_equals_a_rescaled_sigmoid_with_a_larger_step():
    """Notebook 02's claim: Lepton(k) + Adam(lr) follows the same path as sigmoid with k x weights and k x lr."""
    torch.manual_seed(0)
    x, y = torch.randn(64, 10, dtype=f64), torch.randint(0, 3, (64,))
    torch.manual_seed(0)
    lepton_net = MLP((10, 16, 3), activation="lepton-k4").double()
    torch.manual_seed(0)
    sigmoid_net = MLP((10, 16, 3), activation="sigmoid").double()
    with torch.no_grad():
        sigmoid_net.hidden[0][0].weight.mul_(4)
        sigmoid_net.hidden[0][0].bias.mul_(4)
    opt_l = torch.optim.Adam(lepton_net.parameters(), lr=1e-2, eps=1e-12)
    opt_s = torch.optim.Adam([{"params": sigmoid_net.hidden.parameters(), "lr": 4e-2},
                              {"params": sigmoid_net.head.parameters(), "lr": 1e-2}], eps=1e-12)
    start = lepton_net(x).detach()
    for _ in range(30):
        for net, opt in ((lepton_net, opt_l), (sigmoid_net, opt_s)):
            opt.zero_grad()
            nn.functional.cross_entropy(net(x), y).backward()
            opt.step()
    torch.testing.assert_close(sigmoid_net(x), lepton_net(x), rtol=1e-6, atol=1e-6)
    assert (lepton_net(x) - start).abs().max() > 0.1  # the two really trained, along the same path
