import pytest
import torch

from lepton_helpers.training import TensorBatches, dataloader


def test_each_epoch_visits_every_sample_once_in_a_new_order():
    x, y = torch.arange(10).float().unsqueeze(1), torch.arange(10)
    batches = TensorBatches(x, y, batch_size=3, seed=0)
    assert len(batches) == 4
    epochs = [torch.cat([yb for _, yb in batches]) for _ in range(2)]
    for order in epochs:
        assert sorted(order.tolist()) == list(range(10))
    assert not torch.equal(epochs[0], epochs[1])
    assert all(torch.equal(xb.squeeze(1).long(), yb) for xb, yb in batches)  # pairs stay together


def test_seed_reproduces_and_drop_last_drops():
    x, y = torch.randn(10, 2), torch.arange(10)
    a = [yb.tolist() for _, yb in TensorBatches(x, y, 4, seed=3)]
    b = [yb.tolist() for _, yb in TensorBatches(x, y, 4, seed=3)]
    assert a == b
    dropped = TensorBatches(x, y, 4, drop_last=True, shuffle=False)
    assert len(dropped) == 2 and [yb.tolist() for _, yb in dropped] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_bad_arguments():
    with pytest.raises(ValueError, match="match"):
        TensorBatches(torch.zeros(3), torch.zeros(4), 2)
    with pytest.raises(ValueError, match="batch_size"):
        TensorBatches(torch.zeros(3), torch.zeros(3), 0)


def test_dataloader_path_gives_the_same_samples():
    x, y = torch.randn(10, 2), torch.arange(10)
    seen = torch.cat([yb for _, yb in dataloader(x, y, 4)])
    assert sorted(seen.tolist()) == list(range(10))
