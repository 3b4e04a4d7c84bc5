"""The slider explorer's callback, without a browser: set a slider, check what is drawn and shown."""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from lepton_helpers.activation import lepton, lepton_derivative
from lepton_helpers.pictures import ActivationExplorer, plot_lepton_family

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png(explorer) -> bytes:
    return bytes(explorer.image.value)  # ipywidgets 8 stores a memoryview, 7 bytes


@pytest.fixture
def explorer():
    return ActivationExplorer(k=1.0, theta=0.0)


def test_the_dom_that_browser_tests_rely_on(explorer):
    assert "lepton-explorer" in explorer.box._dom_classes
    assert (explorer.k_slider.description, explorer.theta_slider.description) == ("k", "θ")
    assert explorer.k_slider.max >= 50 and explorer.k_slider.min > 0
    assert explorer.image.format == "png" and png(explorer).startswith(PNG_SIGNATURE)
    assert "<b>k</b> = 1.00" in explorer.readout.value and "max slope k/4 = 0.250" in explorer.readout.value


def test_moving_k_redraws_the_image_and_the_readout(explorer):
    before = png(explorer)
    explorer.k_slider.value = 10.0
    assert png(explorer) != before and png(explorer).startswith(PNG_SIGNATURE)
    assert "<b>k</b> = 10.00" in explorer.readout.value and "k/4 = 2.500" in explorer.readout.value


def test_moving_theta_redraws_the_image_and_the_readout(explorer):
    before = png(explorer)
    explorer.theta_slider.value = -1.5
    assert png(explorer) != before
    assert "<b>θ</b> = -1.50" in explorer.readout.value


def test_the_curves_drawn_are_f_and_its_derivative(explorer):
    explorer.k_slider.value, explorer.theta_slider.value = 3.0, 0.7
    x = torch.as_tensor(explorer.f_line.get_xdata())
    np.testing.assert_allclose(explorer.f_line.get_ydata(), lepton(x, 3.0, 0.7).numpy())
    np.testing.assert_allclose(explorer.df_line.get_ydata(), lepton_derivative(x, 3.0, 0.7).numpy())
    assert (explorer.df_peak.get_xdata()[0], explorer.df_peak.get_ydata()[0]) == (0.7, 0.75)
    assert (explorer.f_peak.get_xdata()[0], explorer.f_peak.get_ydata()[0]) == (0.7, 0.5)
    assert explorer.df_line.get_ydata().max() == pytest.approx(0.75, rel=1e-3)
    assert explorer.ax_df.get_ylim()[1] > 0.75  # the peak is inside the panel


def test_cached_backgrounds_give_the_same_picture_for_the_same_values(explorer):
    explorer.k_slider.value = 3.0
    first = png(explorer)
    explorer.k_slider.value, explorer.theta_slider.value = 40.0, 2.0  # another axis limit, other curves
    assert png(explorer) != first
    explorer.k_slider.value, explorer.theta_slider.value = 3.0, 0.0
    assert png(explorer) == first


def test_slider_extremes_are_finite_and_silent(explorer):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k in (explorer.k_slider.min, explorer.k_slider.max):
            for theta in (explorer.theta_slider.min, explorer.theta_slider.max):
                explorer.k_slider.value, explorer.theta_slider.value = k, theta
                assert np.isfinite(explorer.df_line.get_ydata()).all()
                assert explorer.ax_df.get_ylim()[1] > k / 4


def test_bad_ranges_are_clear_errors():
    with pytest.raises(ValueError, match="k_max"):
        ActivationExplorer(k_max=float("nan"))
    with pytest.raises(ValueError, match="theta_max"):
        ActivationExplorer(theta_max=0)
    with pytest.raises(ValueError, match="must lie on the sliders"):
        ActivationExplorer(k=80.0)


def test_static_family_figure():
    fig = plot_lepton_family(ks=(0.5, 2, 50), thetas=(-1, 1))
    try:
        top_left, top_right = fig.axes[0], fig.axes[1]
        assert len(fig.axes) == 4
        assert len(top_left.get_lines()) == 1 + 3 and len(top_right.get_lines()) == 1 + 2  # + the reference
    finally:
        plt.close(fig)
