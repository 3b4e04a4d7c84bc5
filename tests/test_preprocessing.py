import numpy as np
import pytest
import torch

from lepton_helpers.preprocessing import Normalizer, clean, corrupt, duplicate_mask, mnist_splits, stratified_split


def test_duplicate_mask_keeps_the_first_copy():
    x = np.array([[1, 2], [3, 4], [1, 2], [5, 6], [3, 4], [1, 2]])
    assert duplicate_mask(x).tolist() == [False, False, True, False, True, True]


def test_clean_finds_exactly_what_was_planted(mnist):
    x, y = mnist.train_images[:2000], mnist.train_labels[:2000]
    x_bad, y_bad, planted = corrupt(x, y, seed=1)
    before = x_bad.clone()
    x_ok, y_ok, report = clean(x_bad, y_bad)
    assert torch.equal(torch.isnan(before), torch.isnan(x_bad))  # the input is not modified
    assert report.invalid_labels == len(planted["bad_label"])
    assert report.nan_rows == len(planted["nan"])
    assert report.clipped == len(planted["out_of_range"])
    assert report.duplicates == len(planted["duplicate"])
    assert report.rows_out == len(x_ok) == len(x) - len(planted["nan"]) - len(planted["bad_label"])
    assert not torch.isnan(x_ok).any() and x_ok.min() >= 0 and x_ok.max() <= 255
    assert ((y_ok >= 0) & (y_ok < 10)).all()
    assert not duplicate_mask(x_ok).any()
    dropped = set(planted["nan"]) | set(planted["bad_label"]) | set(planted["duplicate"])
    assert set(report.kept) == set(range(len(x_bad))) - dropped


class OffHost(torch.Tensor):
    """A CPU tensor that NumPy cannot read, like one on a GPU: only ``.cpu()`` brings it to host memory.

    It lets a CPU-only machine check that code moves data to the host before NumPy needs it.
    """

    def __array__(self, *args, **kwargs):
        raise TypeError("can't convert an off-host tensor to numpy: use Tensor.cpu() first")

    def numpy(self, *args, **kwargs):
        raise TypeError("can't convert an off-host tensor to numpy: use Tensor.cpu() first")

    def cpu(self, *args, **kwargs):
        return self.as_subclass(torch.Tensor)


OFF_HOST = [pytest.param(lambda t: t.as_subclass(OffHost), id="simulated"),
            pytest.param(lambda t: t.cuda(), id="cuda",
                         marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU"))]


@pytest.mark.parametrize("off_host", OFF_HOST)
def test_clean_works_off_the_cpu_with_the_cpu_results(mnist, off_host):
    x_bad, y_bad, _ = corrupt(mnist.train_images[:500], mnist.train_labels[:500], n_nan=5, n_out_of_range=5,
                              n_bad_labels=5, n_duplicates=10, seed=1)
    with pytest.raises(TypeError):  # the check is real: NumPy cannot read the tensor where it lives
        np.asarray(off_host(x_bad))
    x_cpu, y_cpu, expected = clean(x_bad, y_bad)
    x_ok, y_ok, report = clean(off_host(x_bad), off_host(y_bad))
    assert torch.equal(x_ok.cpu(), x_cpu) and torch.equal(y_ok.cpu(), y_cpu)
    assert report.kept.tolist() == expected.kept.tolist() and report.duplicates == expected.duplicates == 10
    assert (report.rows_in, report.invalid_labels, report.nan_rows, report.clipped, report.rows_out) == (
        expected.rows_in, expected.invalid_labels, expected.nan_rows, expected.clipped, expected.rows_out)


def test_corrupt_rejects_impossible_counts(mnist):
    with pytest.raises(ValueError, match="cannot plant"):
        corrupt(mnist.train_images[:10], mnist.train_labels[:10], n_nan=20)
    with pytest.raises(ValueError, match="copy 30 other rows in 50 rows"):  # 50 problems fit, their copies do not
        corrupt(mnist.train_images[:50], mnist.train_labels[:50])


@pytest.mark.parametrize("dtype, expected", [(torch.float64, torch.float64), (torch.float32, torch.float32),
                                             (torch.uint8, torch.float32)])
def test_normalizer_keeps_a_floating_dtype_and_makes_integers_float32(dtype, expected):
    norm = Normalizer(shift=1 / 3, scale=1.0, kind="standard")
    out = norm.transform(torch.ones(3, dtype=dtype))
    assert out.dtype == expected and out.tolist() == pytest.approx([2 / 3] * 3, abs=1e-7)


def test_normalizer_uses_training_statistics_only():
    train = torch.tensor([0.0, 2.0, 4.0])
    norm = Normalizer.from_training(train)
    assert norm.shift == pytest.approx(2.0) and norm.scale == pytest.approx(2.0)
    assert norm.transform(torch.tensor([100.0])).item() == pytest.approx(49.0)  # test data does not move it
    mm = Normalizer.from_training(train, kind="minmax")
    assert mm.transform(train).tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(ValueError, match="constant"):
        Normalizer.from_training(torch.ones(5))
    with pytest.raises(ValueError, match="kind"):
        Normalizer.from_training(train, kind="robust")


def test_stratified_split_is_disjoint_complete_and_stratified(mnist):
    y = mnist.train_labels.numpy()
    train, val, test = stratified_split(y, (0.8, 0.1, 0.1), seed=0)
    assert len(set(train) & set(val)) == len(set(train) & set(test)) == len(set(val) & set(test)) == 0
    assert sorted(np.concatenate([train, val, test])) == list(range(len(y)))
    assert (len(train), len(val), len(test)) == (8000, 1000, 1000)
    whole = np.bincount(y, minlength=10) / len(y)
    for part in (train, val, test):
        share = np.bincount(y[part], minlength=10) / len(part)
        assert np.abs(share - whole).max() < 0.002  # within one digit per class in 1,000
    again = stratified_split(y, (0.8, 0.1, 0.1), seed=0)
    other = stratified_split(y, (0.8, 0.1, 0.1), seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(again, (train, val, test)))
    assert not np.array_equal(other[1], val)


def test_stratified_split_rejects_bad_fractions():
    with pytest.raises(ValueError, match="fractions"):
        stratified_split(np.zeros(10), (0.5, 0.6, 0.1))


def test_mnist_splits_normalise_with_training_statistics(mnist):
    splits = mnist_splits(device="cpu")
    assert (len(splits.y_train), len(splits.y_val), len(splits.y_test)) == (9000, 1000, 10000)
    assert splits.x_train.shape == (9000, 784) and splits.x_train.dtype == torch.float32
    train_idx, _, _ = stratified_split(mnist.train_labels, (0.9, 0.1, 0.0), 0)
    raw_train = mnist.train_images[train_idx].reshape(-1, 784).float() / 255
    assert splits.normalizer == Normalizer.from_training(raw_train)
    assert splits.x_train.mean().abs() < 1e-5 and (splits.x_train.std() - 1).abs() < 1e-5
    assert splits.x_test.mean().abs() > 1e-3  # the test set was not used to fit: its mean is not 0
    assert torch.equal(mnist_splits(device="cpu").x_val, splits.x_val)
