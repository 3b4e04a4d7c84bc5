"""The slider explorer's callback, without a browser: set a slider, check what is drawn and shown."""

import warnings

from IPython.display import display

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import ipywidgets as widgets
import numpy as np
import pytest
import torch

from lepton_helpers.activation import lepton, lepton_derivative
from lepton_helpers.pictures import K_STOPS, ActivationExplorer, activation_readout, k_stops, plot_lepton_family

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def explorer():
    return ActivationExplorer(k=1.0, theta=0.0)


def test_the_dom_that_browser_tests_rely_on(explorer):
    assert "lepton-explorer" in explorer.box._dom_classes
    assert (explorer.k_slider.description, explorer.theta_slider.description) == ("k", "θ")
    assert explorer.k_slider.options[0] == ("0.1", 0.1) and explorer.k_slider.options[-1] == ("50", 50.0)
    assert explorer.picture.startswith(PNG_SIGNATURE)
    assert explorer.readout == "k = 1  ·  θ = 0  ·  slope at x = θ: f'(θ) = k/4 = 0.25"


def test_moving_k_redraws_the_picture_and_the_readout(explorer):
    before = explorer.picture
    explorer.k_slider.value = 8.0
    assert explorer.picture != before and explorer.picture.startswith(PNG_SIGNATURE)
    assert explorer.readout.startswith("k = 8  ·") and explorer.readout.endswith("k/4 = 2")


def test_moving_theta_redraws_the_picture_and_the_readout(explorer):
    before = explorer.picture
    explorer.theta_slider.value = -1.5
    assert explorer.picture != before and "θ = -1.5  ·" in explorer.readout


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
    first = explorer.picture
    explorer.k_slider.value, explorer.theta_slider.value = 25.0, 2.0  # other curves
    assert explorer.picture != first
    explorer.k_slider.value, explorer.theta_slider.value = 3.0, 0.0
    assert explorer.picture == first


def test_slider_extremes_are_finite_and_silent(explorer):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k in (K_STOPS[0], K_STOPS[-1]):
            for theta in (explorer.theta_slider.min, explorer.theta_slider.max):
                explorer.k_slider.value, explorer.theta_slider.value = k, theta
                assert np.isfinite(explorer.df_line.get_ydata()).all()
                assert explorer.ax_df.get_ylim()[1] > k / 4


# ---------------------------------------------------------------- the k slider's stops and the readout
def test_k_slider_stops_at_the_texts_values_evenly_on_a_log_scale(explorer):
    slider = explorer.k_slider
    assert isinstance(slider, widgets.SelectionSlider)
    values = [value for _, value in slider.options]
    assert {0.25, 0.5, 1.0, 2.0, 4.0, 8.0} <= set(values), "the text's examples are stops, set exactly"
    assert [label for label, _ in slider.options] == [f"{v:g}" for v in values]
    ratios = np.diff(np.log(values))
    assert ratios.min() > np.log(1.3) and ratios.max() < np.log(2.6), "one arrow key: one even step in log k"
    assert values.index(1.0) / (len(values) - 1) < 0.5 and values[values.index(4.0) + 1] > 4


def test_one_keyboard_step_moves_k_to_the_next_stop(explorer):
    slider = explorer.k_slider
    slider.value = 2.0
    slider.index += 1  # what the arrow key sends: the next option's index
    assert slider.value == 3.0 and explorer.readout.startswith("k = 3  ·")
    slider.index += 1
    assert slider.value == 4.0 and explorer.readout.endswith("f'(θ) = k/4 = 1")


def test_the_readout_slope_is_the_drawn_curves_slope_at_theta_for_every_stop(explorer):
    explorer.theta_slider.value = 0.5
    for k in K_STOPS:
        explorer.k_slider.value = k
        shown = float(explorer.readout.rsplit("= ", 1)[1])
        x, drawn = explorer.df_line.get_xdata(), explorer.df_line.get_ydata()
        assert shown == k / 4 == explorer.df_peak.get_ydata()[0]
        assert drawn[np.isclose(x, 0.5)][0] == pytest.approx(shown, rel=1e-12), f"k = {k:g}"
        assert f"k = {k:g}  ·" in explorer.readout


def test_activation_readout_prints_each_number_as_short_as_exact():
    assert activation_readout(2.0, 0.5, 0.5) == "k = 2  ·  θ = 0.5  ·  slope at x = θ: f'(θ) = k/4 = 0.5"
    assert activation_readout(0.25, -1.0, 0.0625).endswith("k/4 = 0.0625")


def test_k_stops_end_at_k_max():
    assert k_stops(10) == tuple(k for k in K_STOPS if k <= 8)
    assert ActivationExplorer(k=4.0, k_max=10).k_slider.options[-1] == ("8", 8.0)


def test_drawn_peak_climbs_with_k_on_one_fixed_axis(explorer):
    heights, limits = [], set()
    for k in K_STOPS:
        explorer.k_slider.value = k
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
    with pytest.raises(ValueError, match="k one of 0.1, 0.25, .*, 4, 6, .*got k=5"):
        ActivationExplorer(k=5)


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
@pytest.fixture
def shown():
    """What ``display`` sends while the test runs: the outputs IPython would publish, updates included."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    with capture_output() as captured:
        yield captured  # its .outputs: the list so far


def test_an_explorer_shows_its_sliders_then_its_readout_and_picture_as_plain_outputs(explorer, shown):
    import base64

    from lepton_helpers.pictures import SLIDERS_TEXT, WIDGET_VIEW

    explorer.k_slider.value = 4.0
    display(explorer)
    sliders, readout, picture = shown.outputs
    assert sliders.data == {WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": explorer.box.model_id},
                            "text/plain": SLIDERS_TEXT}, "a front end with a kernel shows the sliders"
    assert readout.data == {"text/plain": "k = 4  ·  θ = 0  ·  slope at x = θ: f'(θ) = k/4 = 1"}
    assert base64.b64decode(picture.data["image/png"]) == explorer.picture
    assert WIDGET_VIEW not in readout.data and WIDGET_VIEW not in picture.data, "a saved notebook keeps them"


def test_a_slider_move_replaces_the_readout_and_picture_in_place(explorer, shown):
    import base64

    display(explorer)
    explorer.theta_slider.value = 1.0
    ids = [o.transient["display_id"] for o in shown.outputs[1:3]]
    updates = shown.outputs[3:]
    assert [(o.update, o.transient["display_id"]) for o in updates] == [(True, ids[0]), (True, ids[1])]
    assert updates[0].data["text/plain"].startswith("k = 1  ·  θ = 1  ·")
    assert base64.b64decode(updates[1].data["image/png"]) == explorer.picture


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


# ---------------------------------------------------------------- progress bars
@pytest.mark.notebooks
def test_a_finished_progress_bar_is_kept_as_its_final_text_line(tmp_path):
    """A real kernel (nbclient applies display updates, as a front end does): no widget view is left."""
    import nbformat
    from nbclient import NotebookClient

    from lepton_helpers.pictures import WIDGET_VIEW

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in (
        "from lepton_helpers.pictures import tqdm\nfor _ in tqdm(range(3), desc='steps'):\n    pass",
        "bar = tqdm(range(5), desc='stopped')\nfor i in bar:\n    if i == 2:\n        break\nbar.close()",
        "for _ in tqdm(range(2), leave=False):\n    pass")])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    finished, stopped, gone = ([o.data for o in cell.outputs] for cell in nb.cells)
    assert [d["text/plain"].split(" [")[0] for d in finished] == ["steps: 100%|██████████| 3/3"]
    assert [d["text/plain"].split(" [")[0] for d in stopped] == ["stopped:  40%|████      | 2/5"]
    assert gone == [{"text/plain": ""}]
    assert not any(WIDGET_VIEW in d for d in finished + stopped + gone)


def test_a_named_explorer_has_fixed_widget_ids_and_a_cell_run_again_reuses_them():
    first = ActivationExplorer(name="test-ids")
    ids = {first.box.model_id, first.box.layout.model_id, first.k_slider.model_id, first.k_slider.style.model_id,
           first.theta_slider.model_id, first.theta_slider.layout.model_id}
    assert ids == {"lepton-test-ids-sliders", "lepton-test-ids-sliders-layout", "lepton-test-ids-k",
                   "lepton-test-ids-k-style", "lepton-test-ids-theta", "lepton-test-ids-theta-layout"}
    second = ActivationExplorer(k=4.0, name="test-ids")
    assert second.k_slider.model_id == "lepton-test-ids-k" and second.k_slider.comm is not None
    assert first.k_slider.comm is None and first.box.comm is None, "the old widgets are closed: one model per id"
    assert ActivationExplorer().box.model_id != ActivationExplorer().box.model_id, "unnamed: fresh ids"
