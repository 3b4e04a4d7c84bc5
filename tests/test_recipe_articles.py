import pytest
import torch

from lepton_helpers.models import MLP
from lepton_helpers.recipe import ARTICLES_TRANSFORM, PerSampleMNIST, articles_loader, articles_train


def test_as_printed_the_articles_loader_crashes_on_pil_images(mnist):
    loader = articles_loader(mnist.train_images[:200], mnist.train_labels[:200], transform=None)
    with pytest.raises(TypeError, match="PIL"):
        next(iter(loader))


def test_the_fix_gives_standardised_batches_equal_to_one_tensor_expression(mnist):
    images, labels = next(iter(articles_loader(mnist.train_images[:200], mnist.train_labels[:200])))
    assert images.shape == (100, 1, 28, 28) and labels.dtype == torch.int64
    first = PerSampleMNIST(mnist.train_images, mnist.train_labels, ARTICLES_TRANSFORM)[0][0]
    assert torch.allclose(first, (mnist.train_images[0].float() / 255 - 0.1307) / 0.3081, atol=1e-6)


def test_articles_train_learns_and_returns_one_loss_per_epoch(mnist):
    torch.manual_seed(0)
    model = MLP()
    losses = articles_train(model, articles_loader(mnist.train_images[:1000], mnist.train_labels[:1000]), epochs=3)
    assert len(losses) == 3 and losses[2] < losses[0] < 2.5


def test_precomputed_transforms_give_the_same_batches_and_the_same_training(mnist):
    images, labels = mnist.train_images[:500], mnist.train_labels[:500]
    per_sample, once = articles_loader(images, labels, seed=3), articles_loader(images, labels, seed=3, precompute=True)
    for (a, la), (b, lb) in zip(per_sample, once, strict=True):
        assert torch.equal(a, b) and torch.equal(la, lb) and lb.dtype == torch.int64
    losses = []
    for loader in (per_sample, once):
        torch.manual_seed(0)
        losses.append(articles_train(MLP(), loader, epochs=2))
    assert losses[0] == losses[1]


def test_precompute_without_a_transform_says_why(mnist):
    with pytest.raises(ValueError, match="needs a transform"):
        articles_loader(mnist.train_images[:10], mnist.train_labels[:10], transform=None, precompute=True)
