"""Exercises of notebook 03 · Forward and backward: ∂f/∂k, the backward pass of a network with two
Lepton layers written from scratch, a gradient check by finite differences, and the ε that suits float32."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .. import backprop as bp
from ..activation import lepton, lepton_partials
from .framework import Choice, Implement, Mistake, Tolerance, same


def notebook_names() -> dict:
    """The names notebook 03 defines that an answer may use."""
    return {"torch": torch, "F": F, "lepton": lepton}


def _f64(g, *shape, scale=1.0, shift=0.0):
    return torch.rand(shape, generator=g, dtype=torch.float64) * scale + shift


# ---------------------------------------------------------------- 03.1 df/dk
def _dk_cases(g: torch.Generator) -> list[tuple]:
    return [(torch.randn(50, generator=g, dtype=torch.float64) * 3, float(_f64(g, scale=6, shift=0.1)),
             float(torch.randn((), generator=g, dtype=torch.float64))),
            (torch.randn(8, 5, generator=g, dtype=torch.float64) * 2, _f64(g, 5, scale=4, shift=0.1),
             torch.randn(5, generator=g, dtype=torch.float64)),
            (torch.linspace(-4, 4, 9, dtype=torch.float64), 1.0, 0.0)]


def _s(x, k, theta):
    f = lepton(x, k, theta)
    return f * (1 - f)


DF_DK = Implement(
    id="03.1",
    title="The Lepton's derivative with respect to k",
    task="""Write `df_dk(x, k, theta)`: the derivative of the Lepton f(x) = σ(k(x − θ)) with respect to its
**slope k** (not x), elementwise, with `k` and `theta` numbers or one per neuron. The check compares
it with the package's `lepton_partials` on fresh random inputs.""",
    answer_cell='''def df_dk(x, k, theta):
    """∂f/∂k of the Lepton f = sigmoid(k (x - theta)), elementwise."""
    raise NotImplementedError("your code here")''',
    answer_name="df_dk",
    solution='''def df_dk(x, k, theta):
    """∂f/∂k of the Lepton f = sigmoid(k (x - theta)), elementwise."""
    f = lepton(x, k, theta)
    return (x - theta) * f * (1 - f)      # σ'(u) ∂u/∂k with u = k (x - θ)''',
    hints=("Write u = k(x − θ), so that f = σ(u), and use the chain rule.",
           "∂f/∂k = σ′(u) · ∂u/∂k. Express σ′(u) through f itself (notebook 02), then differentiate "
           "u = k(x − θ) with respect to k, treating x and θ as constants."),
    mistakes=(
        Mistake("df/dx instead of df/dk", "that is ∂f/∂x, the slope in x (k f (1 − f)); the exercise asks for the "
                "derivative with respect to k: which factor does ∂u/∂k give instead of k?",
                lambda x, k, theta: k * _s(x, k, theta)),
        Mistake("df/dθ instead of df/dk", "that is ∂f/∂θ (−k f (1 − f)); the exercise asks for the derivative "
                "with respect to k",
                lambda x, k, theta: -k * _s(x, k, theta)),
        Mistake("σ′ without the inner derivative", "you have σ′(u) = f (1 − f) but not the inner derivative ∂u/∂k "
                "of the chain rule",
                lambda x, k, theta: _s(x, k, theta)),
        Mistake("x instead of (x − θ)", "∂u/∂k is (x − θ), not x: θ is part of u = k(x − θ)",
                lambda x, k, theta: x * _s(x, k, theta)),
        Mistake("an extra factor k", "there is one factor k too many: ∂u/∂k does not contain k",
                lambda x, k, theta: k * (x - theta) * _s(x, k, theta)),
    ),
    reference=lambda x, k, theta: lepton_partials(x, k, theta)[1],
    cases=_dk_cases,
    arg_names=("x", "k", "theta"),
    tolerance=Tolerance(rtol=1e-6, atol=1e-10),
    against="lepton_partials(x, k, theta)[1]",
)


# ---------------------------------------------------------------- 03.2 backward pass, two Lepton layers
PARAMETERS = ("W1", "b1", "k1", "th1", "W2", "b2", "k2", "th2", "W3", "b3")


def _network_cases(g: torch.Generator) -> list[tuple]:
    cases = []
    for n, n_in, h1, h2, classes in ((6, 5, 4, 3, 2), (1, 3, 6, 5, 4), (9, 7, 3, 4, 3)):
        randn = lambda *shape, scale=1.0: torch.randn(shape, generator=g, dtype=torch.float64) * scale
        p = {"W1": randn(h1, n_in, scale=0.8), "b1": randn(h1, scale=0.3), "k1": _f64(g, h1, scale=3, shift=0.3),
             "th1": randn(h1, scale=0.5), "W2": randn(h2, h1, scale=0.8), "b2": randn(h2, scale=0.3),
             "k2": _f64(g, h2, scale=3, shift=0.3), "th2": randn(h2, scale=0.5), "W3": randn(classes, h2),
             "b3": randn(classes, scale=0.3)}
        cases.append((randn(n, n_in), torch.randint(0, classes, (n,), generator=g), p))
    return cases


def _loss(X, y, p):
    A1 = lepton(X @ p["W1"].T + p["b1"], p["k1"], p["th1"])
    A2 = lepton(A1 @ p["W2"].T + p["b2"], p["k2"], p["th2"])
    return F.cross_entropy(A2 @ p["W3"].T + p["b3"], y)


def _autograd(X, y, p):
    leaves = {name: t.detach().clone().requires_grad_() for name, t in p.items()}
    with torch.enable_grad():
        _loss(X, y, leaves).backward()
    return {name: leaves[name].grad for name in PARAMETERS}


def _backward(X, y, p, *, mean=True, softmax=True, transposed=False, fprime="k f (1 - f)", delta_down=True,
              theta_sign=-1):
    """The backward pass, with switches that reproduce the known mistakes."""
    layers = [(p["W1"], p["b1"], p["k1"], p["th1"]), (p["W2"], p["b2"], p["k2"], p["th2"])]
    inputs, zs, a = [], [], X
    for W, b, k, th in layers:
        inputs.append(a)
        zs.append(a @ W.T + b)
        a = lepton(zs[-1], k, th)
    logits = a @ p["W3"].T + p["b3"]
    out = torch.softmax(logits, 1) if softmax else logits
    delta = (out - F.one_hot(y, logits.shape[1]).to(out.dtype)) / (len(y) if mean else 1)
    weight_grad = (lambda d, a_prev: a_prev.T @ d) if transposed else (lambda d, a_prev: d.T @ a_prev)
    grads = {"W3": weight_grad(delta, a), "b3": delta.sum(0)}
    W_above = p["W3"]
    for i in (1, 0):
        W, b, k, th = layers[i]
        f = lepton(zs[i], k, th)
        s = f * (1 - f)
        g_a = delta @ W_above                       # ∂L/∂A of this layer
        slope = {"k f (1 - f)": k * s, "f (1 - f)": s, "1": torch.ones_like(s)}[fprime]
        new_delta = g_a * slope
        n = str(i + 1)
        grads.update({f"W{n}": weight_grad(new_delta, inputs[i]), f"b{n}": new_delta.sum(0),
                      f"k{n}": (g_a * (zs[i] - th) * s).sum(0), f"th{n}": theta_sign * (g_a * k * s).sum(0)})
        delta, W_above = (new_delta if delta_down else g_a), W
    return {name: grads[name] for name in PARAMETERS}


def _which_are_right(args, got, want):
    if not isinstance(got, dict):
        return []
    tol = Tolerance(rtol=1e-7, atol=1e-10)
    right = [name for name in PARAMETERS if name in got and same(got[name], want[name], tol)]
    wrong = [name for name in PARAMETERS if name not in right]
    return [f"right: {', '.join(right) or 'none'}; not yet: {', '.join(wrong)}"]


def _no_autograd(answer, X, y, p):
    with torch.no_grad():  # the learner's pass is by hand: autograd is switched off
        return answer(X, y, p)


def _finite_difference_check(answer, cases) -> list[str]:
    X, y, p = cases[0]
    layers = [bp.Layer(p["W1"], p["b1"], p["k1"], p["th1"]), bp.Layer(p["W2"], p["b2"], p["k2"], p["th2"]),
              bp.Layer(p["W3"], p["b3"])]
    numeric = bp.numerical_gradients([bp.Layer(**{k: t.clone() for k, t in layer.tensors().items()})
                                      for layer in layers], X, y)
    mine = _no_autograd(answer, X, y, {k: t.clone() for k, t in p.items()})
    numeric = {f"{name}{i + 1}".replace("theta", "th"): t for i, layer in enumerate(numeric)
               for name, t in layer.tensors().items()}
    gap = max((mine[name] - numeric[name]).abs().max().item() for name in PARAMETERS)
    return [f"gradient check: largest difference from central finite differences (ε = 1e-6) {gap:.0e}"]


BACKWARD = Implement(
    id="03.2",
    title="The backward pass of a network with two Lepton layers, from scratch",
    task="""Section 2 did one hidden layer. Now write the backward pass of a network with **two** hidden Lepton
layers and a linear output layer, without autograd:

Z1 = X W1ᵀ + b1, A1 = f(Z1; k1, θ1), Z2 = A1 W2ᵀ + b2, A2 = f(Z2; k2, θ2), logits Z3 = A2 W3ᵀ + b3,
and the loss is the **mean** softmax cross-entropy over the N rows of X.

`gradients(X, y, p)` receives the parameters in a dict `p` with the keys `"W1", "b1", "k1", "th1",
"W2", "b2", "k2", "th2", "W3", "b3"` (W of shape (out, in); k and θ one per neuron) and returns a dict
with the same keys: the gradient of the loss for each parameter, each of the parameter's shape. The
check runs it (with autograd switched off) on fresh random networks of three different shapes, compares
every gradient with autograd's and says which ones are right, and checks the first against central
finite differences.""",
    answer_cell='''def gradients(X, y, p):
    """The gradient of the mean cross-entropy for every parameter in p, by hand (no autograd)."""
    raise NotImplementedError("your code here")''',
    answer_name="gradients",
    solution='''def gradients(X, y, p):
    """The gradient of the mean cross-entropy for every parameter in p, by hand (no autograd)."""
    # forward, keeping what the backward pass needs
    Z1 = X @ p["W1"].T + p["b1"]
    A1 = lepton(Z1, p["k1"], p["th1"])
    Z2 = A1 @ p["W2"].T + p["b2"]
    A2 = lepton(Z2, p["k2"], p["th2"])
    P = torch.softmax(A2 @ p["W3"].T + p["b3"], dim=1)
    # backward, from the loss down to the first layer
    D3 = (P - F.one_hot(y, P.shape[1]).to(P.dtype)) / len(y)   # δ of the output layer
    grads = {"W3": D3.T @ A2, "b3": D3.sum(0)}
    G2 = D3 @ p["W3"]                                           # ∂L/∂A2
    S2 = A2 * (1 - A2)                                          # f (1 - f)
    D2 = G2 * p["k2"] * S2                                      # δ2 = ∂L/∂Z2
    grads.update(W2=D2.T @ A1, b2=D2.sum(0), k2=(G2 * (Z2 - p["th2"]) * S2).sum(0), th2=-D2.sum(0))
    G1 = D2 @ p["W2"]                                           # ∂L/∂A1
    S1 = A1 * (1 - A1)
    D1 = G1 * p["k1"] * S1                                      # δ1 = ∂L/∂Z1
    grads.update(W1=D1.T @ X, b1=D1.sum(0), k1=(G1 * (Z1 - p["th1"]) * S1).sum(0), th1=-D1.sum(0))
    return grads''',
    hints=("Go backwards: the output layer's δ first, then the error it sends down to A2, then δ2, then the error "
           "sent down to A1, then δ1. Every parameter's gradient comes from its own layer's δ (or from the error "
           "arriving at its activation, for k and θ).",
           "Section 2's batch equations apply layer by layer: Δ of the output layer is (P − Y)/N; the error "
           "arriving at a layer's activations is the Δ above it times that layer's W; Δ of a hidden layer is "
           "that error times f′(Z) elementwise; ∂L/∂W is Δᵀ times the layer's input, ∂L/∂b the column sums of "
           "Δ; k and θ use ∂f/∂k and ∂f/∂θ (section 2) in place of f′. Keep Z1, A1, Z2, A2 from the forward pass."),
    mistakes=(
        Mistake("no 1/N (sum instead of mean)", "every gradient is N times too large: the loss is the mean over the "
                "N samples, so the output layer's δ carries a factor 1/N",
                lambda X, y, p: _backward(X, y, p, mean=False)),
        Mistake("transposed weight gradients", "your weight gradients have the shape of Wᵀ: ∂L/∂W has W's shape "
                "(out, in), Δᵀ times the layer's input, not the input's transpose times Δ",
                lambda X, y, p: _backward(X, y, p, transposed=True)),
        Mistake("logits instead of probabilities", "the output layer's δ is (P − Y)/N with P the softmax "
                "probabilities, not the logits",
                lambda X, y, p: _backward(X, y, p, softmax=False)),
        Mistake("no f′ in the hidden δ", "a hidden layer's δ must include the activation's derivative f′(Z): the "
                "error arriving at A is multiplied by f′(Z) elementwise",
                lambda X, y, p: _backward(X, y, p, fprime="1")),
        Mistake("f′ without k", "the Lepton's derivative is f′(Z) = k f (1 − f): the factor k is missing from the "
                "hidden δ",
                lambda X, y, p: _backward(X, y, p, fprime="f (1 - f)")),
        Mistake("error sent down without f′", "the error sent down to layer 1 must pass through layer 2's "
                "activation: multiply δ2 (after f′), not ∂L/∂A2, by W2",
                lambda X, y, p: _backward(X, y, p, delta_down=False)),
        Mistake("sign of ∂L/∂θ", "∂L/∂θ has the wrong sign: θ enters u = k(z − θ) with a minus",
                lambda X, y, p: _backward(X, y, p, theta_sign=1)),
    ),
    reference=_autograd,
    cases=_network_cases,
    arg_names=("X", "y", "p"),
    tolerance=Tolerance(rtol=1e-7, atol=1e-10),
    against="autograd",
    call=_no_autograd,
    explain=_which_are_right,
    confirm=_finite_difference_check,
)


# ---------------------------------------------------------------- 03.3 central finite differences
@dataclass(frozen=True)
class _Loss:
    """A loss as the learner gets it (a tensor in, a float out); ``exact(p)`` is its gradient by autograd."""

    formula: str
    function: Callable

    def __call__(self, q) -> float:
        return float(self.function(q))

    def __repr__(self) -> str:
        return f"L(p) = {self.formula}"

    def exact(self, p):
        q = p.detach().clone().requires_grad_()
        with torch.enable_grad():
            self.function(q).backward()
        return q.grad


def _difference_cases(g: torch.Generator) -> list[tuple]:
    a, c = _f64(g, 4, scale=4, shift=1), _f64(g, 4, scale=3, shift=1)
    x, y = torch.randn(6, 5, generator=g, dtype=torch.float64), torch.randint(0, 3, (6,), generator=g)
    randn = lambda *shape: torch.randn(shape, generator=g, dtype=torch.float64)
    return [(_Loss("sum(c sin(a p) + a p²)", lambda p: (c * torch.sin(a * p) + a * p ** 2).sum()), randn(4)),
            (_Loss("cross-entropy of 6 samples, logits 3 x Wᵀ", lambda W: F.cross_entropy(x @ W.T * 3, y)), randn(3, 5)),
            (_Loss("10 (p₀ p₁)² + sum(exp(p))", lambda p: 10 * (p[0] * p[1]) ** 2 + torch.exp(p).sum()), randn(2))]


def _difference(loss, p, eps=1e-6, *, central=True, denominator=2.0):
    grad = torch.zeros_like(p)
    for i in range(p.numel()):
        up, down = p.clone(), p.clone()
        up.view(-1)[i] += eps
        if central:
            down.view(-1)[i] -= eps
        grad.view(-1)[i] = (loss(up) - loss(down)) / ((denominator if central else 1.0) * eps)
    return grad


CENTRAL_DIFFERENCE = Implement(
    id="03.3",
    title="A gradient check: central finite differences",
    task="""Write `central_difference(loss, p, eps=1e-6)`: the gradient of `loss` at the tensor `p`, estimated
entry by entry from section 3's central differences, (L(p + ε eᵢ) − L(p − ε eᵢ)) / 2ε, where eᵢ
nudges entry i only. `loss` takes a tensor shaped like `p` and returns a number; the result has `p`'s
shape; `p` itself must be unchanged afterwards. The check compares with the exact gradient on fresh
random functions (float64, tolerance 10⁻⁷ relative + 10⁻⁷ absolute). Then use it to check one
parameter of your `gradients` from 03.2.""",
    answer_cell='''def central_difference(loss, p, eps=1e-6):
    """The gradient of loss at p, entry by entry, by central finite differences."""
    raise NotImplementedError("your code here")''',
    answer_name="central_difference",
    solution='''def central_difference(loss, p, eps=1e-6):
    """The gradient of loss at p, entry by entry, by central finite differences."""
    grad = torch.zeros_like(p)
    for i in range(p.numel()):
        up, down = p.clone(), p.clone()        # copies: p itself stays unchanged
        up.view(-1)[i] += eps
        down.view(-1)[i] -= eps
        grad.view(-1)[i] = (loss(up) - loss(down)) / (2 * eps)
    return grad''',
    hints=("Loop over the entries of p; for each one, evaluate the loss twice with only that entry moved.",
           "For entry i, make two copies of p (`p.clone()`), move entry i up by ε in one and down by ε in the other "
           "(`.view(-1)[i]` reaches entry i whatever p's shape), and put the difference quotient into entry i of "
           "a result made with `torch.zeros_like(p)`."),
    mistakes=(
        Mistake("forward difference", "that is a forward difference, (L(p + ε) − L(p)) / ε: its error shrinks only "
                "like ε; nudge the entry both ways",
                lambda loss, p, eps=1e-6: _difference(loss, p, eps, central=False)),
        Mistake("divided by ε instead of 2ε", "your estimates are twice the gradient: the two evaluations are 2ε "
                "apart",
                lambda loss, p, eps=1e-6: _difference(loss, p, eps, denominator=1.0)),
        Mistake("all entries nudged at once", "nudge one entry at a time: moving every entry together measures the "
                "slope along one direction (a single number), not the gradient",
                lambda loss, p, eps=1e-6: (loss(p + eps) - loss(p - eps)) / (2 * eps)),
    ),
    reference=lambda loss, p: loss.exact(p),
    cases=_difference_cases,
    arg_names=("loss", "p"),
    tolerance=Tolerance(rtol=1e-7, atol=1e-7),
    against="the exact gradient (autograd)",
)


# ---------------------------------------------------------------- 03.4 predict: the best ε in float32
EPSILONS = {"A": 1e-6, "B": 1e-4, "C": 1e-2, "D": 1e-1}


def _float32_experiment() -> dict[float, float]:
    """For each ε: the largest |central difference in float32 − autograd| over the case study's 365
    parameters, the float64 weights rounded once to float32 (so both sides see the same network)."""
    x, y, _, _ = bp.case_study_data()
    weights = [bp.Layer(**{k: t.float() for k, t in layer.tensors().items()})
               for layer in bp.init_network((10, 20, 5), seed=0)]
    exact = bp.autograd_gradients([bp.Layer(**{k: t.double() for k, t in layer.tensors().items()}) for layer in weights],
                                  x, y)
    gaps = {}
    for eps in EPSILONS.values():
        numeric = bp.numerical_gradients([bp.Layer(**{k: t.clone() for k, t in layer.tensors().items()})
                                          for layer in weights], x.float(), y, eps=eps)
        gaps[eps] = bp.max_abs_difference([bp.Layer(**{k: t.double() for k, t in g.tensors().items()})
                                           for g in numeric], exact)
    return gaps


def _order(value: float) -> str:
    return f"1e{math.floor(math.log10(value) + 0.5):+03d}"


PRECISION = Choice(
    id="03.4",
    title="Can a better ε rescue a float32 gradient check?",
    kind="predict",
    task="""Section 3 says a gradient check in float32 is useless with ε = 10⁻⁶. Is that the fault of float32, or of
that ε? Run the same check (central differences on all 365 parameters of the case study's 10-20-5
network, against autograd on the same weights) in **float32** with ε = 10⁻⁶, 10⁻⁴, 10⁻² and 10⁻¹.
Which ε comes closest to autograd? Predict in `epsilon_prediction`, then run the check (a few seconds).

- **A.** ε = 10⁻⁶: a smaller step is always more accurate.
- **B.** ε = 10⁻⁴.
- **C.** ε = 10⁻².
- **D.** ε = 10⁻¹: the larger the step, the less the rounding matters.""",
    answer_cell='epsilon_prediction = None  # "A", "B", "C" or "D": write it before you run the check',
    answer_name="epsilon_prediction",
    solution='epsilon_prediction = "C"',
    hints=("Two errors compete in a difference quotient: one grows as ε shrinks, the other as ε grows.",
           "Section 3 names both: rounding, about (the rounding of one loss) / ε, where a float32 loss near 1 is "
           "rounded by about 10⁻⁷; and truncation, of order ε² (times a third derivative of order 1). Add the "
           "two for each ε and compare."),
    options={letter: f"ε = {eps:.0e}" for letter, eps in EPSILONS.items()},
    reasons={
        "A": "At ε = 10⁻⁶ the rounding of each float32 loss (about 10⁻⁷) is divided by 2ε: an error near 0.1. "
             "Shrinking ε makes the rounding part worse, not better.",
        "B": "At ε = 10⁻⁴ the rounding part, about 10⁻⁷ / 10⁻⁴ = 10⁻³, still dominates; a larger ε shrinks it "
             "further while the truncation part (order ε²) stays small.",
        "C": "Rounding (about 10⁻⁷ / ε) and truncation (order ε²) balance near ε ≈ (10⁻⁷)^(1/3), a few times 10⁻³: "
             "ε = 10⁻² gives the closest estimates, around 10⁻⁵. Usable, but still far from float64, which section 3 "
             "brought below 10⁻⁸.",
        "D": "At ε = 10⁻¹ the truncation part, of order ε² = 10⁻², is no longer small: the best ε lies between "
             "rounding and truncation, not at the largest step.",
    },
    correct="C",
    experiment=_float32_experiment,
    # orders of magnitude only: the digits of a float32 rounding error move between CPUs
    report=lambda gaps: ["largest |float32 finite difference − autograd| over the 365 parameters: "
                         + ", ".join(f"ε = {eps:.0e}: about {_order(gap)}" for eps, gap in gaps.items())],
    outcome=lambda gaps: next(letter for letter, eps in EPSILONS.items() if gaps[eps] == min(gaps.values())),
)

EXERCISES = (DF_DK, BACKWARD, CENTRAL_DIFFERENCE, PRECISION)
