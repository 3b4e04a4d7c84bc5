"""The slider explorer's callback, without a browser: set a slider, check what is drawn and shown."""

import warnings

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import ipywidgets as widgets
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
    assert 10 ** explorer.k_slider.max == pytest.approx(50) and 10 ** explorer.k_slider.min == pytest.approx(0.1)
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
    explorer.k_slider.value, explorer.theta_slider.value = 40.0, 2.0  # other curves
    assert png(explorer) != first
    explorer.k_slider.value, explorer.theta_slider.value = 3.0, 0.0
    assert png(explorer) == first


def test_slider_extremes_are_finite_and_silent(explorer):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k in (10 ** explorer.k_slider.min, 10 ** explorer.k_slider.max):
            for theta in (explorer.theta_slider.min, explorer.theta_slider.max):
                explorer.k_slider.value, explorer.theta_slider.value = k, theta
                assert np.isfinite(explorer.df_line.get_ydata()).all()
                assert explorer.ax_df.get_ylim()[1] > k / 4


def test_k_slider_is_logarithmic_and_stops_at_one(explorer):
    slider = explorer.k_slider
    assert isinstance(slider, widgets.FloatLogSlider) and slider.base == 10
    stops = np.arange(slider.min, slider.max + slider.step / 2, slider.step)
    assert np.isclose(10 ** stops, 1.0, rtol=1e-9).any(), "k = 1 is a position of the drag"
    assert (np.log10(5) - slider.min) / (slider.max - slider.min) > 0.6, "0.1-5 takes most of the length"


def test_drawn_peak_climbs_with_k_on_one_fixed_axis(explorer):
    heights, limits = [], set()
    for k in np.geomspace(0.1, 50, 40):
        explorer.k_slider.value = float(k)
        x, y = explorer.df_peak.get_xdata()[0], explorer.df_peak.get_ydata()[0]
        heights.append(explorer.ax_df.transData.transform((x, y))[1])  # pixels on screen
        limits.add(explorer.ax_df.get_ylim())
    assert len(limits) == 1 and limits.pop()[1] > 50 / 4
    assert all(b > a for a, b in zip(heights, heights[1:])), "the drawn peak must rise as k grows"


def test_curves_and_labels_never_cover_the_legends(explorer):
    explorer.theta_slider.value = explorer.theta_slider.min
    for k in (0.1, 1.0, 50.0):
        explorer.k_slider.value = k
        renderer = explorer.figure.canvas.get_renderer()
        for ax in (explorer.ax_f, explorer.ax_df):
            legend, box = ax.get_legend().get_window_extent(renderer), ax.get_window_extent(renderer)
            assert legend.y1 <= box.y0, "the legend sits below the panel, where no curve is drawn"
        label = explorer.peak_label.get_window_extent(renderer)
        assert not label.overlaps(explorer.ax_df.get_legend().get_window_extent(renderer))


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


def test_plot_histories_draws_the_mean_of_several_seeds_with_its_standard_error():
    from lepton_helpers.pictures import plot_histories
    from lepton_helpers.training import History

    runs = [History(train_loss=[1.0, 0.5], val_loss=[0.9, 0.6], val_acc=[0.90, 0.92]),
            History(train_loss=[1.2, 0.7], val_loss=[1.1, 0.8], val_acc=[0.92, 0.96])]
    fig = plot_histories({"three": runs, "one": runs[0]}, loss="val")
    ax_loss, ax_acc = fig.axes
    mean_acc = ax_acc.lines[0].get_ydata()
    np.testing.assert_allclose(mean_acc, [91.0, 94.0])                  # the mean of the seeds, in %
    np.testing.assert_allclose(ax_loss.lines[0].get_ydata(), [1.0, 0.7])  # validation loss, as asked
    band = ax_acc.collections[0].get_paths()[0].vertices[:, 1]           # mean ± s.e.: 91 ± 1, 94 ± 2
    assert np.isclose(band.min(), 90.0) and np.isclose(band.max(), 96.0)
    assert len(ax_acc.collections) == 1                                  # a single run has no band
    assert "mean ± s.e. of 2 seeds" in fig._suptitle.get_text() and ax_loss.get_ylabel() == "validation loss"
    plt.close(fig)
    with pytest.raises(ValueError, match="'train' or 'val'"):
        plot_histories({"a": runs}, loss="test")


# ---------------------------------------------------------------- how an explorer displays
def test_an_explorer_displays_the_widget_with_its_picture_and_readout_beside_it(explorer):
    import base64

    from IPython.core.formatters import DisplayFormatter

    from lepton_helpers.pictures import WIDGET_VIEW

    explorer.k_slider.value = 4.0
    data, _ = DisplayFormatter().format(explorer)  # what the kernel sends for `explorer` as a cell's last line
    assert data[WIDGET_VIEW]["model_id"] == explorer.box.model_id, "a front end with a kernel shows the widget"
    assert base64.b64decode(data["image/png"]) == png(explorer), "readers without a kernel see the current picture"
    assert data["text/plain"] == "k = 4.00  ·  θ = 0.00  ·  max slope k/4 = 1.000 (at x = θ)"


def test_in_colab_an_explorer_sends_no_picture_beside_the_widget(explorer, monkeypatch):
    import sys
    import types

    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert "image/png" not in explorer._repr_mimebundle_() and "text/plain" in explorer._repr_mimebundle_()


def test_line_styles_tell_lines_apart_without_colour():
    from lepton_helpers.pictures import OKABE_ITO, line_style

    styles = [tuple(line_style(i).values()) for i in range(32)]
    assert len(set(styles)) == 32, "every line has its own (colour, marker, line style)"
    assert len({(s[1], s[2]) for s in styles}) == 32, "markers and line styles alone tell them apart"
    assert {s[0] for s in styles} == set(OKABE_ITO)


def test_plot_histories_uses_the_accessible_styles_and_a_legend():
    from lepton_helpers.pictures import line_style, plot_histories
    from lepton_helpers.training import History

    runs = {name: History(train_loss=[1.0, 0.5], val_loss=[1.1, 0.6], val_acc=[0.5, 0.7]) for name in "abcd"}
    fig = plot_histories(runs)
    try:
        for ax in fig.axes:
            lines = ax.get_lines()
            drawn = [(mcolors.to_hex(l.get_color()), l.get_marker(), l.get_linestyle()) for l in lines]
            assert len(set(drawn)) == len(lines) == 4
            assert drawn[0] == (line_style(0)["color"].lower(), line_style(0)["marker"], "-")
            assert [t.get_text() for t in ax.get_legend().get_texts()] == list("abcd")
    finally:
        plt.close(fig)
