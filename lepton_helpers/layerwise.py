"""Layer-wise training of an :class:`~lepton_helpers.models.MLP`: greedy, and with simultaneous local losses.

The articles' "hierarchical learning", made precise in the two ways the literature uses:

* **greedy layer-wise supervised training** (Bengio et al. 2007, supervised variant; Belilovsky,
  Eickenberg and Oyallon 2019): hidden layer 1 is trained with its own small linear head on the
  labels; then it is frozen, and layer 2 is trained with a new head on layer 1's outputs; and so
  on. The last hidden layer's head is the network's own ``head``, so the result is an ordinary
  MLP. Because the earlier layers are frozen, their outputs are computed once per stage and
  reused, so a later stage only pays for its own layer. End-to-end fine-tuning may follow.
* **simultaneous local losses** (Nøkland and Eidnes 2019; Belilovsky et al. 2020, "Decoupled
  Greedy Learning"): every layer has its head and its own loss, all trained at once; each layer
  sees a *detached* input, so no gradient crosses from one layer into the one below.

Greedy training runs each stage with :func:`~lepton_helpers.training.fit`; local losses step with
:func:`~lepton_helpers.training.train_epoch` (``fit`` validates one classifier, not one per layer). Both
return a :class:`LayerwiseResult` whose ``history`` has one entry per pass over the training
data, so it can be drawn next to ordinary end-to-end training with
:func:`~lepton_helpers.pictures.plot_histories`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .env import check_count, seeded
from .models import MLP
from .pictures import tqdm
from .training import History, TensorBatches, evaluate, fit, train_epoch


@dataclass
class LayerwiseResult:
    """What layer-wise training returns.

    ``heads[i]`` reads hidden layer ``i + 1``; ``heads[-1]`` is ``model.head`` (the classifier).
    ``history`` has one entry per pass over the training data (all stages in order, then any
    fine-tuning), with the validation accuracy of the classifier trained at that moment.
    ``layer_val_acc[i]`` is the validation accuracy of layers ``1..i+1`` with ``heads[i]``,
    measured when that layer's training ended (before any fine-tuning); empty without ``val``.
    """

    model: MLP
    heads: list[nn.Linear]
    history: History
    layer_val_acc: list[float] = field(default_factory=list)

    def stage(self, depth: int) -> nn.Sequential:
        """The network cut after hidden layer ``depth`` (1-based) and read by its head (shares weights)."""
        return stage_model(self.model, self.heads, depth)


def stage_model(model: MLP, heads: Sequence[nn.Module], depth: int) -> nn.Sequential:
    """``Flatten``, hidden layers ``1..depth`` of ``model``, then ``heads[depth - 1]``: an ordinary module."""
    if not 1 <= depth <= len(model.hidden):
        raise ValueError(f"depth must be between 1 and {len(model.hidden)} (the number of hidden layers), got {depth}")
    return nn.Sequential(nn.Flatten(), *model.hidden[:depth], heads[depth - 1])


def freeze(module: nn.Module) -> nn.Module:
    """Stop ``module`` from learning: ``requires_grad=False`` and no stored gradient on every parameter."""
    for p in module.parameters():
        p.requires_grad_(False)
        p.grad = None
    return module


def make_heads(model: MLP, seed: int = 0) -> list[nn.Linear]:
    """One linear head per hidden layer (seeded), the last being ``model.head`` itself."""
    _check_model(model)
    device = model.head.weight.device
    with seeded(seed):
        aux = [nn.Linear(block[0].out_features, model.head.out_features).to(device) for block in model.hidden[:-1]]
    return [*aux, model.head]


@torch.no_grad()
def layer_inputs(model: MLP, x: torch.Tensor, depth: int) -> torch.Tensor:
    """What hidden layer ``depth + 1`` receives: ``x`` through the first ``depth`` layers, without gradients."""
    h = x.flatten(1)
    for block in model.hidden[:depth]:
        h = block(h)
    return h


def train_layer(model: MLP, heads: Sequence[nn.Linear], index: int, x_train: torch.Tensor, y_train: torch.Tensor, *,
                epochs: int = 5, batch_size: int = 100, lr: float = 1e-3,
                val: tuple[torch.Tensor, torch.Tensor] | None = None, seed: int = 0, progress: bool = True,
                desc: str | None = None) -> History:
    """One greedy stage: freeze hidden layers ``0..index-1``, train layer ``index`` with ``heads[index]``.

    The frozen layers' outputs are computed once (they cannot change) and the stage
    ``Sequential(hidden[index], heads[index])`` is trained on them with :func:`fit`.
    """
    _check_model(model)
    if not 0 <= index < len(model.hidden):
        raise ValueError(f"index must be between 0 and {len(model.hidden) - 1} (0-based hidden layer), got {index}")
    if len(heads) != len(model.hidden):
        raise ValueError(f"need one head per hidden layer ({len(model.hidden)}), got {len(heads)}; use make_heads(model)")
    _check_data(model, x_train, y_train)
    for block in model.hidden[:index]:
        freeze(block)
    stage = nn.Sequential(model.hidden[index], heads[index]).requires_grad_(True)
    inputs = layer_inputs(model, x_train, index)
    val_inputs = None if val is None else (layer_inputs(model, val[0], index), val[1])
    desc = desc or f"layer {index + 1}/{len(model.hidden)}, epoch"
    return fit(stage, inputs, y_train, epochs=epochs, batch_size=batch_size, lr=lr, val=val_inputs, seed=seed,
               progress=progress, desc=desc)


def greedy_layerwise(model: MLP, x_train: torch.Tensor, y_train: torch.Tensor, *, epochs_per_layer: int = 5,
                     finetune_epochs: int = 0, finetune_lr: float | None = None, batch_size: int = 100,
                     lr: float = 1e-3, val: tuple[torch.Tensor, torch.Tensor] | None = None, seed: int = 0,
                     progress: bool = True) -> LayerwiseResult:
    """Greedy layer-wise supervised training of ``model`` (in place), then optional end-to-end fine-tuning.

    Stage ``i`` trains hidden layer ``i`` and its head for ``epochs_per_layer`` epochs on the
    outputs of the frozen layers below; then layer and head are frozen. ``finetune_epochs``
    further epochs train the whole network end to end (at ``finetune_lr``, default ``lr``).
    Every parameter of the returned model can learn again (nothing stays frozen).
    Same ``seed``, same data, same device: same result.
    """
    epochs_per_layer = check_count("epochs_per_layer", epochs_per_layer)
    finetune_epochs = check_count("finetune_epochs", finetune_epochs, minimum=0)
    heads = make_heads(model, seed)
    stages, layer_acc = [], []
    for index in range(len(model.hidden)):
        history = train_layer(model, heads, index, x_train, y_train, epochs=epochs_per_layer, batch_size=batch_size,
                              lr=lr, val=val, seed=seed, progress=progress)
        stages.append(history)
        if val is not None:
            layer_acc.append(history.val_acc[-1])
    for module in (model, *heads):
        module.requires_grad_(True)
    if finetune_epochs:
        stages.append(fit(model, x_train, y_train, epochs=finetune_epochs, batch_size=batch_size,
                          lr=finetune_lr or lr, val=val, seed=seed, progress=progress, desc="fine-tuning all layers"))
    return LayerwiseResult(model, heads, _concatenate(stages), layer_acc)


class LocalLossNet(nn.Module):
    """An MLP with one head per hidden layer whose forward returns every head's logits.

    Each hidden layer receives its input *detached*, so the loss of head ``i`` trains only
    layer ``i`` and head ``i``: the layers learn at the same time but independently.
    """

    def __init__(self, model: MLP, heads: Sequence[nn.Linear]):
        super().__init__()
        self.hidden, self.heads = model.hidden, nn.ModuleList(heads)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        h, logits = x.flatten(1), []
        for block, head in zip(self.hidden, self.heads):
            h = block(h.detach())
            logits.append(head(h))
        return logits


def local_loss(logits: list[torch.Tensor], y: torch.Tensor) -> torch.Tensor:
    """Sum of every head's cross-entropy (each term reaches only its own layer, see :class:`LocalLossNet`)."""
    return sum(F.cross_entropy(z, y) for z in logits)


def local_losses(model: MLP, x_train: torch.Tensor, y_train: torch.Tensor, *, epochs: int = 10,
                 batch_size: int = 100, lr: float = 1e-3, val: tuple[torch.Tensor, torch.Tensor] | None = None,
                 seed: int = 0, progress: bool = True) -> LayerwiseResult:
    """Train every layer of ``model`` at once (in place), each by its own head's loss on a detached input.

    One Adam optimiser holds all parameters; since no gradient crosses layers this is the same
    as one optimiser per layer. ``history.train_loss`` is the summed local loss; ``history.val_acc``
    the classifier's (last head's) accuracy; ``history.seconds`` counts training, not validation.
    """
    epochs = check_count("epochs", epochs)
    _check_data(model, x_train, y_train)
    heads = make_heads(model, seed)
    net = LocalLossNet(model, heads).requires_grad_(True)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    batches = TensorBatches(x_train.flatten(1), y_train, batch_size, seed=seed)
    history, trained = History(), 0.0
    layer_acc: list[float] = []
    bar = tqdm(range(epochs), desc=f"all {len(heads)} layers at once, epoch", disable=not progress)
    for _ in bar:
        start = time.perf_counter()
        history.train_loss.append(train_epoch(net, batches, optimizer, loss_fn=local_loss))
        trained += time.perf_counter() - start
        history.seconds.append(trained)
        if val is not None:
            scores = [evaluate(stage_model(model, heads, d), *val) for d in range(1, len(heads) + 1)]
            layer_acc = [acc for _, acc in scores]
            history.val_loss.append(scores[-1][0])
            history.val_acc.append(scores[-1][1])
            bar.set_postfix(val_acc=f"{layer_acc[-1]:.4f}")
    bar.close()
    return LayerwiseResult(model, heads, history, layer_acc)


def end_to_end(model: MLP, x_train: torch.Tensor, y_train: torch.Tensor, *, epochs: int = 10, batch_size: int = 100,
             lr: float = 1e-3, val: tuple[torch.Tensor, torch.Tensor] | None = None, seed: int = 0,
             progress: bool = True) -> History:
    """Ordinary end-to-end training with the same arguments as the layer-wise functions (the baseline)."""
    _check_data(model, x_train, y_train)
    return fit(model, x_train, y_train, epochs=epochs, batch_size=batch_size, lr=lr, val=val, seed=seed,
               progress=progress, desc="end-to-end backprop, epoch")


def _concatenate(histories: Sequence[History]) -> History:
    """Histories of consecutive stages as one, with cumulative seconds."""
    total, offset = History(), 0.0
    for h in histories:
        total.train_loss += h.train_loss
        total.val_loss += h.val_loss
        total.val_acc += h.val_acc
        total.seconds += [offset + s for s in h.seconds]
        offset = total.seconds[-1]
    return total


def _check_model(model) -> None:
    if not isinstance(model, MLP):
        raise TypeError(f"layer-wise training needs a lepton_helpers.models.MLP, got {type(model).__name__}")
    if len(model.hidden) == 0:
        raise ValueError(f"MLP(sizes={model.sizes}) has no hidden layer to train layer by layer; "
                         "use at least three sizes, e.g. (784, 128, 10)")


def _check_data(model: MLP, x: torch.Tensor, y: torch.Tensor) -> None:
    _check_model(model)
    n_in = x[:1].flatten(1).shape[1] if x.ndim > 1 else None
    if n_in != model.sizes[0]:
        raise ValueError(f"x_train of shape {tuple(x.shape)} does not fit the model's {model.sizes[0]} inputs; "
                         "pass a batch of samples (N, ...) with that many values each")
    if len(x) != len(y):
        raise ValueError(f"x_train has {len(x)} rows but y_train has {len(y)}; they must match")
    if x.device != model.head.weight.device:
        raise ValueError(f"the data is on {x.device} but the model on {model.head.weight.device}; "
                         "move the model with model.to(x.device)")

