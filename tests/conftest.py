"""Shared fixtures: the bundled MNIST is loaded once per test session."""

import pytest

from lepton_helpers.data import load_mnist


@pytest.fixture(scope="session")
def mnist():
    return load_mnist("bundled")
