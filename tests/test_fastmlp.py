import ast
import inspect

import pytest
import torch

import lepton_helpers.fastmlp
from lepton_helpers.env import seeded
from lepton_helpers.fastmlp import FastMLPTrainer, has_fused_adamw
from lepton_helpers.models import MLP
from lepton_helpers.training import TensorBatches, parameter_groups, train_epoch


def fresh_mlp(seed):
    with seeded(seed):
        return MLP((784, 128, 64, 10))


def _digits(n=350, features=784, classes=10, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, features, generator=g), torch.randint(0, classes, (n,), generator=g)


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_fast_trainer_takes_the_autograd_steps(weight_decay):
    x, y = _digits()  # 350 rows: three batches of 100 and a last one of 50
    reference, fast = fresh_mlp(0), fresh_mlp(0)
    optimizer = torch.optim.AdamW(parameter_groups(reference, weight_decay), lr=1e-3)
    batches = TensorBatches(x, y, 100, seed=3)
    trainer = FastMLPTrainer(fast, TensorBatches(x, y, 100, seed=3), lr=1e-3, weight_decay=weight_decay)
    for _ in range(4):
        assert trainer.train_epoch() == pytest.approx(train_epoch(reference, batches, optimizer), abs=1e-5)
    moved = max((p - q).abs().max().item() for p, q in zip(reference.parameters(), fresh_mlp(0).parameters()))
    difference = max((p - q).abs().max().item() for p, q in zip(reference.parameters(), fast.parameters()))
    assert moved > 1e-3 and difference < 1e-5
    torch.testing.assert_close(fast(x[:5]), reference(x[:5]), atol=1e-5, rtol=0)  # the module trained in place


@pytest.mark.parametrize("sizes,shape", [((12, 3), (12,)), ((12, 8, 6, 5, 4), (3, 4))])
def test_fast_trainer_handles_any_depth_and_image_rows(sizes, shape):
    x, y = _digits(60, sizes[0], sizes[-1])
    x = x.reshape(60, *shape)  # (60, 3, 4) images are flattened like MLP.forward does
    reference, fast = MLP(sizes), MLP(sizes)
    fast.load_state_dict(reference.state_dict())
    optimizer, batches = torch.optim.Adam(reference.parameters(), lr=1e-2), TensorBatches(x, y, 16, seed=0)
    losses = [train_epoch(reference, batches, optimizer) for _ in range(3)]
    trainer = FastMLPTrainer(fast, TensorBatches(x, y, 16, seed=0), lr=1e-2)
    assert [trainer.train_epoch() for _ in range(3)] == pytest.approx(losses, abs=1e-5) and losses[-1] < losses[0]
    assert max((p - q).abs().max().item() for p, q in zip(reference.parameters(), fast.parameters())) < 1e-5


def test_fast_trainer_refuses_what_it_does_not_write_out():
    x, y = _digits(20, 12, 3)
    with pytest.raises(ValueError, match="ReLU hidden layers"):
        FastMLPTrainer(MLP((12, 5, 3), activation="lepton"), TensorBatches(x, y, 5))
    with pytest.raises(ValueError, match="must match the model's input"):
        FastMLPTrainer(MLP((10, 3)), TensorBatches(x, y, 5))
    with pytest.raises(ValueError, match="must match the model's input"):
        FastMLPTrainer(MLP((12, 3)), TensorBatches(x.double(), y, 5))
    with pytest.raises(ValueError, match="class indices from 0 to 1"):
        FastMLPTrainer(MLP((12, 2)), TensorBatches(x, y, 5))
    with pytest.raises(ValueError, match="lr"):
        FastMLPTrainer(MLP((12, 3)), TensorBatches(x, y, 5), lr=0.0)


def _private_uses(source: str) -> list[str]:
    """Attribute chains in ``source`` that reach PyTorch's private parts, ``torch.ops`` or ``.data``."""
    found, tree = [], ast.parse(source)
    inner_chains = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and id(node) not in inner_chains:  # whole chains only
            chain, inner = [node.attr], node.value
            while isinstance(inner, ast.Attribute):
                chain.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name):
                chain.append(inner.id)
            path = ".".join(reversed(chain))
            if path.startswith(("torch._", "torch.ops")) or node.attr == "data":
                found.append(path)
        if isinstance(node, ast.ImportFrom) and node.module and any(
                part.startswith("_") for part in node.module.split(".")[1:]):
            found.append(node.module)
    return found


def test_the_trainer_uses_public_pytorch_only():
    assert _private_uses(inspect.getsource(lepton_helpers.fastmlp)) == []
    # the check finds each private call the trainer used to make
    old = ("torch._fused_adamw_([p], [g])\ntorch.ops.aten.threshold_backward.grad_input(d, a, 0)\np.data = view\n"
           "from torch.optim._functional import adam")
    assert sorted(_private_uses(old)) == ["p.data", "torch._fused_adamw_",
                                          "torch.ops.aten.threshold_backward.grad_input", "torch.optim._functional"]


def test_without_a_fused_kernel_it_takes_the_same_steps(monkeypatch):
    x, y = _digits(120, 12, 3)
    fused, plain = MLP((12, 8, 3)), MLP((12, 8, 3))
    plain.load_state_dict(fused.state_dict())
    first = FastMLPTrainer(fused, TensorBatches(x, y, 32, seed=0), weight_decay=0.01)
    monkeypatch.setattr(lepton_helpers.fastmlp, "has_fused_adamw", lambda tensor: False)
    second = FastMLPTrainer(plain, TensorBatches(x, y, 32, seed=0), weight_decay=0.01)
    assert first.hyper["fused"] is has_fused_adamw(torch.zeros(1)) and second.hyper["fused"] is None
    assert [first.train_epoch() for _ in range(3)] == pytest.approx([second.train_epoch() for _ in range(3)], abs=1e-6)
    torch.testing.assert_close(fused(x), plain(x), atol=1e-6, rtol=0)


def test_the_module_keeps_its_parameter_objects_and_trains_in_place():
    x, y = _digits(60, 12, 3)
    model = MLP((12, 8, 3))
    before = list(model.parameters())
    values = [p.detach().clone() for p in before]
    FastMLPTrainer(model, TensorBatches(x, y, 16)).train_epoch()
    assert all(p is q for p, q in zip(model.parameters(), before))  # an optimizer made before still holds them
    assert all(not torch.equal(p, v) for p, v in zip(model.parameters(), values))
