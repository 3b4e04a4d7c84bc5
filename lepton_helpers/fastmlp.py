"""``FastMLPTrainer``: AdamW training of a ReLU MLP, the step written out for speed on public PyTorch APIs.

Notebook 08's exhibit and the engine of ``LeptonClassifier`` for ReLU networks. It takes the steps
of ``train_epoch(model, batches, torch.optim.AdamW(parameter_groups(model, weight_decay), lr))``
(to float rounding; ``weight_decay=0`` is Adam) with three changes that remove work around the
arithmetic: notebook 03's backward pass instead of autograd, every activation and gradient in a
buffer made once and filled with ``out=``, and PyTorch's functional ``torch.optim.adamw.adamw``
(fused where the device has a fused kernel) instead of the ``AdamW`` object's ``step``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch.optim.adamw import adamw

from .models import MLP
from .training import TensorBatches


class _StepBuffers(NamedTuple):
    """Batch-sized buffers of one step (views of the trainer's full-batch ones)."""

    x: torch.Tensor
    y: torch.Tensor
    onehot: torch.Tensor
    log_p: torch.Tensor
    p: torch.Tensor
    a: list[torch.Tensor]
    mask: list[torch.Tensor]
    delta: list[torch.Tensor]
    inputs: list[torch.Tensor]
    delta_t: list[torch.Tensor]


def has_fused_adamw(tensor: torch.Tensor) -> bool:
    """Whether PyTorch has a fused AdamW kernel for ``tensor``'s device and dtype (its constructor says)."""
    try:
        torch.optim.AdamW([tensor], fused=True)
    except RuntimeError:
        return False
    return True


class FastMLPTrainer:
    """AdamW training of a ReLU :class:`~lepton_helpers.models.MLP` on cross-entropy, written out for speed.

    The steps train a flat copy of the parameters, read from the module at the start of each
    :meth:`train_epoch` and written back into the same parameter objects at its end: the module stays
    an ordinary module, trained in place epoch by epoch. :meth:`train_epoch` returns the mean loss.
    """

    def __init__(self, model: MLP, batches: TensorBatches, *, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0):
        if not isinstance(model, MLP) or model.activation != "relu":
            raise ValueError("FastMLPTrainer writes out the backward pass of an MLP with ReLU hidden layers; got "
                             f"{type(model).__name__} with activation {getattr(model, 'activation', None)!r}. "
                             "Train other models with training.fit.")
        if not (lr > 0 and weight_decay >= 0):
            raise ValueError(f"need lr > 0 and weight_decay >= 0, got lr={lr!r}, weight_decay={weight_decay!r}")
        layers = [block[0] for block in model.hidden] + [model.head]
        x, first = batches.x.reshape(len(batches.x), -1), layers[0].weight
        if x.shape[1] != model.sizes[0] or x.dtype != first.dtype or x.device != first.device:
            raise ValueError(f"the batches' rows ({x.shape[1]} {x.dtype} values on {x.device}) must match the "
                             f"model's input ({model.sizes[0]} {first.dtype} values on {first.device})")
        self.batches, self.x = batches, x
        self.params = [layer.weight for layer in layers] + [layer.bias for layer in layers]
        # One flat copy of all parameters (weights first), which the steps train: one tensor makes the AdamW
        # call cheapest. train_epoch reads it from the module at its start and writes it back at its end.
        self.flat = torch.cat([p.detach().reshape(-1) for p in self.params])
        self.grad = torch.zeros_like(self.flat)
        numels = [p.numel() for p in self.params]
        views = [v.view_as(p) for v, p in zip(self.flat.split(numels), self.params)]
        grads = [g.view_as(p) for g, p in zip(self.grad.split(numels), self.params)]
        n = len(layers)
        self.weights, self.biases, self.weight_grads, self.bias_grads = views[:n], views[n:], grads[:n], grads[n:]
        self.weights_t = [w.t() for w in self.weights]  # views made once: every operation on a view costs a little
        # AdamW's state, in training.parameter_groups' two groups: weights decay, biases do not
        weights_end = sum(w.numel() for w in self.weights)
        parts = [(0, weights_end, weight_decay), (weights_end, len(self.flat), 0.0)] if weight_decay > 0 else \
            [(0, len(self.flat), 0.0)]
        self.groups = [self._adamw_group(self.flat[a:b], self.grad[a:b], decay) for a, b, decay in parts]
        self.hyper = dict(lr=float(lr), beta1=betas[0], beta2=betas[1], eps=eps, amsgrad=False, maximize=False,
                          fused=has_fused_adamw(self.flat) or None)  # None: PyTorch's default implementation
        self._make_buffers(model.sizes, batches.batch_size, batches.y)

    @staticmethod
    def _adamw_group(param: torch.Tensor, grad: torch.Tensor, weight_decay: float) -> dict:
        """The lists ``torch.optim.adamw.adamw`` updates for one slice of the flat parameters."""
        return dict(params=[param], grads=[grad], exp_avgs=[torch.zeros_like(param)],
                    exp_avg_sqs=[torch.zeros_like(param)], max_exp_avg_sqs=[],
                    state_steps=[torch.zeros((), dtype=torch.float32, device=param.device)], weight_decay=weight_decay)

    def _make_buffers(self, sizes: tuple[int, ...], b: int, labels: torch.Tensor) -> None:
        """Buffers for a full batch of ``b`` rows (a smaller last batch uses their first rows), and the labels."""
        like = dict(dtype=self.x.dtype, device=self.x.device)
        self.y = labels.reshape(-1, 1)
        if self.y.dtype != torch.long or len(self.y) and not 0 <= self.y.min() <= self.y.max() < sizes[-1]:
            raise ValueError(f"labels must be int64 class indices from 0 to {sizes[-1] - 1} (the model's outputs), got "
                             f"{self.y.dtype} from {self.y.min().item()} to {self.y.max().item()}")
        # -onehot(y) / batch size for every row, gathered with the batch: delta = p / B + this row
        self.neg_onehot = torch.zeros(len(self.x), sizes[-1], **like).scatter_(1, self.y, -1.0 / b)
        self.xb, self.yb = torch.empty(b, sizes[0], **like), torch.empty(b, 1, dtype=torch.long, device=self.x.device)
        self.onehot_b, self.log_p, self.p = (torch.empty(b, sizes[-1], **like) for _ in range(3))
        self.a = [torch.empty(b, size, **like) for size in sizes[1:]]         # layer outputs (last: logits)
        self.mask = [torch.empty(b, size, **like) for size in sizes[1:-1]]    # 1 where a hidden ReLU passed, else 0
        self.delta = [torch.empty(b, size, **like) for size in sizes[1:]]     # dL/dz of each layer
        self.full = self._buffers(b)
        self.log_p_true = torch.empty(len(self.x), 1, **like)  # this epoch's log-probability of the true class
        self.rows_done = 0

    def _buffers(self, rows: int) -> _StepBuffers:
        """Views of the first ``rows`` rows of every batch-sized buffer (all of them for a full batch)."""
        cut = lambda tensors: [t[:rows] for t in tensors]
        x, a, delta = self.xb[:rows], cut(self.a), cut(self.delta)
        return _StepBuffers(x, self.yb[:rows], self.onehot_b[:rows], self.log_p[:rows], self.p[:rows], a,
                            cut(self.mask), delta, [x] + a[:-1], [t.t() for t in delta])

    def step(self, idx: torch.Tensor) -> None:
        """One AdamW step of the flat copy on the rows ``idx`` (at most the batch size; the module sees the
        result when :meth:`train_epoch` writes it back); their loss counts in this epoch's mean."""
        rows, full = idx.shape[0], self.batches.batch_size
        if self.rows_done + rows > self.log_p_true.shape[0]:  # steps beyond one epoch's rows start a new epoch
            self.rows_done = 0
        buf = self.full if rows == full else self._buffers(rows)
        a, delta = buf.a, buf.delta
        torch.index_select(self.x, 0, idx, out=buf.x)
        torch.index_select(self.y, 0, idx, out=buf.y)
        torch.index_select(self.neg_onehot, 0, idx, out=buf.onehot)
        for layer, (w_t, bias) in enumerate(zip(self.weights_t, self.biases)):
            torch.addmm(bias, buf.inputs[layer], w_t, out=a[layer])  # z = a_prev W^T + b
            if layer < len(a) - 1:
                a[layer].relu_()
                torch.sign(a[layer], out=buf.mask[layer])  # ReLU's derivative: 1 where it passed, 0 where it cut
        torch.log_softmax(a[-1], 1, out=buf.log_p)
        torch.gather(buf.log_p, 1, buf.y, out=self.log_p_true[self.rows_done:self.rows_done + rows])
        self.rows_done += rows
        torch.exp(buf.log_p, out=buf.p)
        torch.add(buf.onehot, buf.p, alpha=1.0 / full, out=delta[-1])  # (softmax - onehot) / batch size
        if rows != full:
            delta[-1].mul_(full / rows)
        for layer in reversed(range(len(a))):
            torch.mm(buf.delta_t[layer], buf.inputs[layer], out=self.weight_grads[layer])  # dW = delta^T a_prev
            torch.sum(delta[layer], 0, out=self.bias_grads[layer])
            if layer > 0:  # the data needs no gradient
                torch.mm(delta[layer], self.weights[layer], out=delta[layer - 1])
                delta[layer - 1].mul_(buf.mask[layer - 1])
        for group in self.groups:
            adamw(**group, **self.hyper)

    @torch.no_grad()
    def train_epoch(self) -> float:
        """One pass over the batches, from the module's parameters and back into them; the mean
        training loss (as ``train_epoch`` returns it)."""
        for p, view in zip(self.params, self.weights + self.biases):
            view.copy_(p)
        self.rows_done = 0
        for idx in self.batches.batch_indices():
            self.step(idx)
        for p, view in zip(self.params, self.weights + self.biases):
            p.copy_(view)
        return -self.log_p_true[:self.rows_done].mean().item()
