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
