"""Accessible figures (issue 18, item 6): every figure has a text description, and the line figures
tell their lines apart with the colour-blind-safe palette.

A figure is found by :func:`lepton_helpers.course.nbtools.draws_figure`: a PNG in the stored outputs,
or a drawing call in the source. The source half makes the check hold while the stored outputs are
stale; the output half catches any figure the source rule misses after the lead's re-run.
"""

from __future__ import annotations

import matplotlib
import matplotlib.colors as mcolors
import nbformat
import pytest

from lepton_helpers.course import nbtools
from lepton_helpers.course.nbtools import FIGURE_MARKER, draws_figure, undescribed_figures
from lepton_helpers.pictures import OKABE_ITO, line_style

matplotlib.use("Agg")
PATHS = nbtools.notebook_paths()
PALETTE = {c.lower() for c in OKABE_ITO}


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_every_figure_is_followed_by_its_description(path):
    nb = nbformat.read(path, as_version=4)
    missing = [(i, nb.cells[i].get("id"), nb.cells[i].source[:60]) for i in undescribed_figures(nb)]
    assert not missing, (f"{path.name}: figure cells without a markdown cell starting with {FIGURE_MARKER!r} "
                         f"right after them (index, id, start): {missing}")


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_descriptions_follow_figures(path):
    """A description stands under a figure, never alone (a moved or orphaned one is caught)."""
    cells = nbformat.read(path, as_version=4).cells
    orphans = [c.get("id") for i, c in enumerate(cells) if c.cell_type == "markdown"
               and c.source.startswith(FIGURE_MARKER) and not (i > 0 and draws_figure(cells[i - 1]))]
    assert not orphans, f"{path.name}: figure descriptions not under a figure: {orphans}"


def _code(source, outputs=()):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = list(outputs)
    return cell


@pytest.mark.parametrize("source", [
    "fig, ax = plt.subplots()\nax.plot(x, y)", "plt.show()", "fig = show_digits(images, labels)",
    "_ = plot_histories(runs)", "ConfusionMatrixDisplay(cm).plot(ax=ax)", "explorer = ActivationExplorer(k=2)",
    "fig = plot_reliability(curves)", "ax_hist.hist(x, bins=64)", "draw_heatmap(ax, final, LRS, MOMENTA)",
])
def test_drawing_calls_count_as_figures(source):
    assert draws_figure(_code(source))


@pytest.mark.parametrize("source", [
    "from lepton_helpers.pictures import show_digits, plot_histories\nimport matplotlib.pyplot as plt",
    "from x import (ActivationExplorer,\n               SweepExplorer)", "# plt.show()", "print(plot)",
    "histories = fit(model)",
])
def test_imports_comments_and_names_are_not_figures(source):
    assert not draws_figure(_code(source))


def test_a_stored_png_counts_even_without_a_drawing_call():
    png = nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    assert draws_figure(_code("fig", [png]))
    assert not draws_figure(nbformat.v4.new_markdown_cell("plt.show()"))


def test_undescribed_figures_sees_a_missing_or_misplaced_description():
    figure, text = _code("plt.show()"), nbformat.v4.new_markdown_cell
    nb = nbformat.v4.new_notebook(cells=[figure, text(FIGURE_MARKER + "a line."), _code("plt.show()"),
                                         text("Some prose, then " + FIGURE_MARKER)])
    assert undescribed_figures(nb) == [2]


def _coloured_lines(ax):
    """The lines of ``ax`` that carry a colour (grey references excluded), as (hex, marker, linestyle)."""
    lines = [(mcolors.to_hex(line.get_color()), line.get_marker(), line.get_linestyle()) for line in ax.get_lines()]
    return [line for line in lines if not _grey(line[0])]


def _grey(hex_colour):
    r, g, b = mcolors.to_rgb(hex_colour)
    return max(r, g, b) - min(r, g, b) < 0.02 and hex_colour != "#000000"


def test_lepton_family_uses_the_accessible_styles():
    from lepton_helpers.pictures import plot_lepton_family

    fig = plot_lepton_family(ks=(0.5, 1, 2, 5), thetas=(-2, 0, 2))
    try:
        for ax, n in zip(fig.axes, (4, 3, 4, 3)):  # axes order: f (k), f (θ), f' (k), f' (θ)
            expected = [(line_style(i)["color"].lower(), line_style(i)["marker"], line_style(i)["linestyle"])
                        for i in range(n)]
            assert _coloured_lines(ax) == expected
    finally:
        import matplotlib.pyplot as plt
        plt.close(fig)


def test_activation_explorer_colours_come_from_the_palette():
    from lepton_helpers.pictures import ActivationExplorer

    explorer = ActivationExplorer(k=2.0, theta=0.5)
    for ax in (explorer.ax_f, explorer.ax_df):
        colours = {c for c, _, _ in _coloured_lines(ax)}
        assert colours and colours <= PALETTE, colours
    # within a panel, the drawn curves differ in more than colour: line style or marker
    styles = [(m, ls) for _, m, ls in _coloured_lines(explorer.ax_f)]
    assert len(set(styles)) == len(styles)


def test_sweep_explorer_marks_the_selection_with_the_palette():
    import io

    import PIL.Image

    from lepton_helpers.pictures import SweepExplorer
    from lepton_helpers.training import History

    lrs, momenta = [0.01, 0.1], [0.0, 0.9]
    runs = {(lr, mu): History(train_loss=[1.0, 0.5], val_loss=[1.0, 0.6], val_acc=[0.5 + lr, 0.6 + lr + mu / 10])
            for lr in lrs for mu in momenta}
    explorer = SweepExplorer(runs, lrs, momenta, dpi=40)
    picture = PIL.Image.open(io.BytesIO(explorer.render(0.1, 0.9))).convert("RGB")
    vermillion = tuple(round(255 * v) for v in mcolors.to_rgb(OKABE_ITO[3]))
    assert vermillion in {colour for _, colour in picture.getcolors(maxcolors=1 << 16)}
