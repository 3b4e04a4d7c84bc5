"""Pictures: digit grids, training curves, progress bars, and the slider explorers with their static twins.

A widget lives in the kernel that made it: a notebook saved with a widget's view but not its state
(JupyterLab's default) reopens with "Error displaying widget: model not found" in its place, and
no front end falls back to another representation. So everything worth keeping is a plain output:

* :class:`tqdm` is ``tqdm.auto``'s bar whose notebook widget turns into its final text line
  ("ReLU: 100%|██████████| 5/5 [00:03<00:00]") when the bar closes;
* an explorer (:class:`SliderPicture`) displays its sliders as a widget and, under them, its readout
  (one line of text) and picture (a PNG) as plain outputs, which every slider move replaces in place
  (display handles: JupyterLab, Notebook, VS Code and Colab all update them). Saved and reopened, the
  readout and picture remain; only the sliders need a kernel again. An explorer with a ``name`` makes
  its widgets under fixed model ids (:func:`pinned`), whose state the course's notebooks keep, so
  that its sliders are drawn again after a reopen too.

The explorers draw with Matplotlib's Agg renderer into PNG bytes: no ``Output`` widget and no
``plt.show`` in the callback, so they behave the same on ipywidgets 7.7 (Colab) and 8.x. One figure
is kept; axes, labels and legends are rendered once and cached, and a move redraws only the curves
over that background. :class:`ActivationExplorer` (notebook 02, k and θ) and :class:`SweepExplorer`
(notebook 06, a precomputed learning rate x momentum grid) build on :class:`SliderPicture`.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import PIL.Image
import torch
from IPython.display import display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from tqdm.auto import tqdm as auto_tqdm
from tqdm.notebook import tqdm_notebook

from .activation import lepton, lepton_derivative

if TYPE_CHECKING:  # training imports this module (for its progress bar)
    from .training import History

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
"""The MIME type of a live widget in a notebook's outputs."""


def widget_view(widget: widgets.Widget, text: str) -> dict:
    """The output that shows ``widget`` (``text`` where widgets cannot run), to display with ``raw=True``.

    Displayed this way, with a ``display_id``, on ipywidgets 7.7 (Colab) as on 8: ``display(widget,
    display_id=...)`` on 7 lets the widget display itself and drops the id.
    """
    return {WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": widget.model_id}, "text/plain": text}


PINNED_PREFIX = "lepton-"
"""The start of every fixed model id (:func:`pinned`); ``nbtools`` keeps these ids' state in the notebooks."""

_pinned: dict[str, widgets.Widget] = {}  # the open widget under each fixed id in this kernel


def pinned(widget_class: type, model_id: str, **kwargs) -> widgets.Widget:
    """``widget_class(**kwargs)`` under the fixed model id ``model_id`` (and its layout and style, given
    as dicts, under ``model_id``-layout and -style), closing the widget that had the id before (a cell
    run again).

    A view of a widget is saved as its model id. JupyterLab saves no widget state by default, so on
    reopening it finds no model for a random id and shows "Error displaying widget: model not
    found". The committed and student notebooks keep the state of these fixed ids in their metadata
    (``nbtools`` writes it), so the view is drawn from that state instead.
    """
    traits = widget_class.class_traits()
    for part in ("layout", "style"):
        if part in traits:
            kwargs[part] = _reopened(traits[part].klass, f"{model_id}-{part}", kwargs.get(part) or {})
    return _reopened(widget_class, model_id, kwargs)


def _reopened(widget_class: type, model_id: str, kwargs: dict) -> widgets.Widget:
    """``widget_class(**kwargs)`` under ``model_id``, after closing the widget this kernel had under it."""
    old = _pinned.pop(model_id, None)
    if old is not None:
        old.close()
    _pinned[model_id] = widget = widget_class(model_id=model_id, **kwargs)
    return widget


# ---------------------------------------------------------------- figures
def show_digits(images: torch.Tensor, labels: Sequence | None = None, predicted: Sequence | None = None,
                ncols: int = 10, size: float = 1.0, title: str | None = None) -> plt.Figure:
    """A grid of digit images with their labels; predictions (when given) shown red where wrong."""
    images = torch.as_tensor(images).detach().cpu().reshape(len(images), 28, 28)
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.15), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(images):
            continue
        ax.imshow(images[i], cmap="gray_r")
        if labels is not None and predicted is not None:
            wrong = int(predicted[i]) != int(labels[i])
            ax.set_title(f"{int(labels[i])}→{int(predicted[i])}", fontsize=9, color="red" if wrong else "black")
        elif labels is not None:
            ax.set_title(str(int(labels[i])), fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
"""Okabe and Ito's colour-blind-safe palette (blue, orange, green, vermillion, purple, sky, yellow, black)."""
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":")


def line_style(i: int) -> dict:
    """The ``i``-th line's colour, marker and line style: told apart without colour, too.

    Colours and markers cycle together (8 each), line styles every 4; any 32 lines differ in at
    least one of (colour, marker, line style), and neighbours differ in all three.
    """
    return {"color": OKABE_ITO[i % 8], "marker": MARKERS[i % 8], "linestyle": LINESTYLES[(i + i // 8) % 4]}


def plot_histories(histories: Mapping[str, History | Sequence[History]], title: str | None = None,
                   loss: str = "train") -> plt.Figure:
    """Loss and validation accuracy per epoch, one line per named recipe.

    A name maps to one run, or to several runs of the same recipe (one per seed): then the line is
    their mean and the shaded band ± one standard error, so the noise between seeds is visible.
    ``loss="train"`` draws each epoch's mean training loss; ``loss="val"`` the validation loss, the
    one to compare when the runs' training losses are different quantities (local losses sum one
    loss per layer).
    """
    if loss not in ("train", "val"):
        raise ValueError(f"loss must be 'train' or 'val', got {loss!r}")
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.5))
    histories = {name: list(runs) if isinstance(runs, Sequence) else [runs] for name, runs in histories.items()}
    for i, (name, runs) in enumerate(histories.items()):
        _band(ax_loss, [h.train_loss if loss == "train" else h.val_loss for h in runs], 1, name, line_style(i))
        if all(h.val_acc for h in runs):
            _band(ax_acc, [h.val_acc for h in runs], 100, name, line_style(i))
    seeds = max((len(runs) for runs in histories.values()), default=1)
    ax_loss.set(xlabel="epoch", ylabel=f"{'training' if loss == 'train' else 'validation'} loss", yscale="log")
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy (%)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    spread = f"mean ± s.e. of {seeds} seeds" if seeds > 1 else ""
    if title or spread:
        fig.suptitle(f"{title} ({spread})" if title and spread else title or spread)
    fig.tight_layout()
    return fig


def _band(ax, curves: Sequence[Sequence[float]], scale: float, name: str, style: dict) -> None:
    """One recipe's curve: the mean over its runs, with ± one standard error shaded when there are several."""
    if len({len(c) for c in curves}) != 1 or not curves[0]:
        raise ValueError(f"the runs of {name!r} have different or no epochs: {[len(c) for c in curves]}")
    values = scale * np.asarray(curves, dtype=float)
    epochs = np.arange(1, values.shape[1] + 1)
    mean = values.mean(0)
    ax.plot(epochs, mean, label=name, markersize=4, **style)
    if len(values) > 1:
        se = values.std(0, ddof=1) / math.sqrt(len(values))
        ax.fill_between(epochs, mean - se, mean + se, color=style["color"], alpha=0.2)


# ---------------------------------------------------------------- progress bars
class tqdm(auto_tqdm):  # noqa: N801 (named as tqdm names its bars: a drop-in for tqdm.auto.tqdm)
    """``tqdm.auto``'s progress bar, whose notebook widget becomes its final text line when it closes.

    A finished loop (or ``close()``) replaces the widget by a plain output such as
    "ReLU: 100%|██████████| 5/5 [00:03<00:00, 1.52it/s]" (nothing when ``leave=False``), which a saved
    notebook keeps; the widget's model is closed. Outside a notebook it is ``tqdm.auto``'s text bar.
    """

    def __init__(self, *args, **kwargs):
        self._line = None
        widget = issubclass(auto_tqdm, tqdm_notebook) and kwargs.get("display", True)
        if widget:
            kwargs["display"] = False  # displayed below, with a handle that close() replaces
        super().__init__(*args, **kwargs)
        if widget and not self.disable and self.delay <= 0:
            self._line = display(widget_view(self.container, str(self)), raw=True, display_id=True)
            self.displayed = True

    def close(self) -> None:
        super().close()
        if self._line is not None:
            self._line.update({"text/plain": str(self) if self.leave else ""}, raw=True)
            self.container.close()
            self._line = None


# ---------------------------------------------------------------- the Lepton explorer
X_RANGE = (-6.0, 6.0)
"""The x interval every picture shows."""


def _grid(points: int = 1201) -> torch.Tensor:
    # float64 and a fine grid (step 0.01), so that even at k = 50 the curves are smooth
    return torch.linspace(*X_RANGE, points, dtype=torch.float64)


def _tangent(slope: float, theta: float) -> tuple[list[float], list[float]]:
    """The tangent at the steepest point (theta, 1/2) with the given slope, between f = 0 and f = 1."""
    half_width = 0.5 / slope
    return [theta - half_width, theta + half_width], [0.0, 1.0]


class SliderPicture:
    """Base of the collection's explorers: sliders (one widget), then a readout line and a picture.

    The readout (:attr:`readout`, plain text) and the picture (:attr:`picture`, PNG bytes) are shown
    as plain outputs that every slider move replaces in place, so a saved notebook keeps them.
    Subclasses create their sliders, call :meth:`_assemble` with them, and implement :meth:`redraw`,
    which sets :attr:`readout` and :attr:`picture`. Display one by making it the last expression of
    a cell (or ``display(explorer)``). Made with a ``name`` (as the notebooks make theirs), its
    widgets have fixed model ids (:func:`pinned`), so that a saved notebook reopens with its sliders.
    """

    readout: str
    picture: bytes
    name: str | None = None

    def _widget(self, widget_class: type, role: str, **kwargs) -> widgets.Widget:
        """One of the explorer's widgets: under a fixed model id (:func:`pinned`) when it has a ``name``."""
        if self.name is None:
            return widget_class(**kwargs)
        return pinned(widget_class, f"{PINNED_PREFIX}{self.name}-{role}", **kwargs)

    def _assemble(self, *sliders: widgets.Widget) -> None:
        """Lay out the sliders in a row (``self.box``) and redraw and show again on every move."""
        self.box = self._widget(widgets.HBox, "sliders", children=list(sliders))
        self._shown: list[tuple] = []  # (readout, picture) display handles, one pair per display
        for slider in sliders:
            slider.observe(self._on_change, names="value")

    def _on_change(self, _change: dict) -> None:
        self.redraw()
        for handles in self._shown:
            for handle, data in zip(handles, self._outputs()):
                handle.update(data, raw=True)

    def redraw(self) -> None:
        raise NotImplementedError

    @staticmethod
    def png(figure: Figure) -> bytes:
        """What ``figure``'s canvas shows now, as PNG bytes (fast zlib level: it is sent on every move)."""
        buffer = io.BytesIO()
        PIL.Image.fromarray(np.asarray(figure.canvas.buffer_rgba())).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def _outputs(self) -> list[dict]:
        """The readout and the picture as plain outputs (MIME bundles)."""
        return [{"text/plain": self.readout},
                {"image/png": base64.b64encode(self.picture).decode("ascii"), "text/plain": self.readout}]

    def _ipython_display_(self) -> None:
        """Show the sliders (a widget view, with a text line for readers without widgets), then the
        readout and the picture as plain outputs that the sliders update."""
        display(widget_view(self.box, SLIDERS_TEXT), raw=True)
        self._shown.append(tuple(display(data, raw=True, display_id=True) for data in self._outputs()))


SLIDERS_TEXT = "(sliders: they move the picture below in a running notebook)"
"""What an explorer's sliders show where widgets cannot run (an HTML export, GitHub)."""


def plain_text(markup: str) -> str:
    """A widget's HTML (a progress bar's label) as plain text: tags dropped, entities and the wide
    spaces that widgets use for padding turned into plain characters and spaces."""
    text = html.unescape(re.sub(r"<[^>]*>", "", markup))
    return text.replace("\xa0", " ").replace("\u2007", " ")


K_STOPS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 25.0, 50.0)
"""The values the k slider stops at: about evenly spaced on a log scale, with 0.25, 0.5, 1, 2, 4 and 8
among them, so that the text's examples (k = 2 gives the slope 0.5, k = 4 the slope 1) are set exactly."""


def k_stops(k_max: float) -> tuple[float, ...]:
    """The stops of a k slider that ends at ``k_max``: :data:`K_STOPS` up to ``k_max``."""
    if not (math.isfinite(k_max) and k_max >= 1):
        raise ValueError(f"k_max must be a finite number >= 1, got {k_max!r}")
    return tuple(k for k in K_STOPS if k <= k_max)


def activation_readout(k: float, theta: float, slope: float) -> str:
    """The explorer's readout line: k, θ and the slope at x = θ, each as short as it is exact."""
    return f"k = {k:g}  ·  θ = {theta:g}  ·  slope at x = θ: f'(θ) = k/4 = {slope:g}"


class ActivationExplorer(SliderPicture):
    """Sliders for k and theta; f and f' side by side, redrawn on every slider move.

    Attributes:
        k_slider: a ``SelectionSlider`` (description "k") over :func:`k_stops`: an arrow key moves one
            stop, and every stop is a short number (k = 4 is one; the slope k/4 reads 1).
        theta_slider: a ``FloatSlider`` (description "θ", step 0.1).
        picture: the figure as PNG bytes; readout: the line with k, θ and the slope f'(θ) = k/4, both
            computed from the values the curves are drawn with.
        box: the sliders' container (CSS class ``lepton-explorer``).
        figure: the Matplotlib figure, kept and updated in place.

    Display it by making it the last expression of a cell (or ``display(explorer)``).
    """

    def __init__(self, k: float = 1.0, theta: float = 0.0, *, k_max: float = 50.0, theta_max: float = 4.0,
                 dpi: int = 80, name: str | None = None):
        self.name = name
        stops = k_stops(k_max)
        if not (math.isfinite(theta_max) and theta_max > 0):
            raise ValueError(f"theta_max must be a finite number > 0, got {theta_max!r}")
        if k not in stops or not -theta_max <= theta <= theta_max:
            raise ValueError(f"the start values must lie on the sliders: k one of {', '.join(f'{s:g}' for s in stops)} "
                             f"and |theta| <= {theta_max:g}, got k={k!r}, theta={theta!r}")
        style = {"description_width": "1.5em"}
        self.k_slider = self._widget(widgets.SelectionSlider, "k", options=[(f"{s:g}", s) for s in stops], value=k,
                                     description="k", continuous_update=True, style=style)
        self.theta_slider = self._widget(widgets.FloatSlider, "theta", value=theta, min=-theta_max, max=theta_max,
                                         step=0.1, description="θ", readout_format=".1f", continuous_update=True,
                                         style=style)
        self._assemble(self.k_slider, self.theta_slider)
        self.box.add_class("lepton-explorer")
        self.x = _grid()
        self._build_figure(dpi, k_max=stops[-1])
        self.redraw()

    def _build_figure(self, dpi: int, k_max: float) -> None:
        """Create the figure once: axes, legends and the reference sigmoid (the static background),
        and the curves and markers that :meth:`redraw` moves (animated: drawn over the background)."""
        self.figure = Figure(figsize=(9, 3.8), dpi=dpi)
        FigureCanvasAgg(self.figure)
        self.ax_f, self.ax_df = self.figure.subplots(1, 2)
        x = self.x.numpy()
        self.ax_f.plot(x, lepton(self.x).numpy(), "--", color="gray", lw=1, label="sigmoid (k=1, θ=0)")
        self.ax_df.plot(x, lepton_derivative(self.x).numpy(), "--", color="gray", lw=1, label="sigmoid'")
        (self.f_line,) = self.ax_f.plot([], [], color=OKABE_ITO[0], lw=2, label="Lepton f(x)")
        (self.tangent_line,) = self.ax_f.plot([], [], ":", color=OKABE_ITO[3], lw=1.5, label="slope k/4 at x=θ")
        (self.f_peak,) = self.ax_f.plot([], [], "o", color=OKABE_ITO[3])
        (self.df_line,) = self.ax_df.plot([], [], color=OKABE_ITO[1], lw=2, label="f'(x) = k f (1 - f)")
        (self.df_peak,) = self.ax_df.plot([], [], "o", color=OKABE_ITO[3])
        self.peak_label = self.ax_df.annotate("", (0, 0), xytext=(8, -4), textcoords="offset points", color=OKABE_ITO[3])
        self._moving = (self.f_line, self.tangent_line, self.f_peak, self.df_line, self.df_peak, self.peak_label)
        for artist in self._moving:
            artist.set_animated(True)
        self.ax_f.set(xlim=X_RANGE, ylim=(-0.05, 1.05), xlabel="x", title="f(x) = 1 / (1 + exp(-k(x - θ)))")
        # One fixed logarithmic axis for every k: the peak k/4 climbs steadily as k grows (a linear axis
        # that rescales with k made the drawn peak jump down, as if it halved).
        self.ax_df.set(xlim=X_RANGE, yscale="log", ylim=(1e-3, 2 * k_max / 4), xlabel="x",
                       title="derivative f'(x) (log scale)")
        for ax in (self.ax_f, self.ax_df):  # legends below the panels: no curve or label can cover them
            ax.grid(alpha=0.3)
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=8, frameon=False)
        self.figure.tight_layout()
        self._background = None

    def _restore_background(self) -> None:
        """Paint the static part (axes, legends, the reference sigmoid): rendered once, then cached."""
        canvas = self.figure.canvas
        if self._background is None:
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        canvas.restore_region(self._background)

    def redraw(self) -> None:
        """Update the curves, the marked steepest point and the readout for the sliders' values.

        Only the moving curves are drawn over a cached background (blitting), and the result
        is encoded once: a few milliseconds instead of a full Matplotlib redraw.
        """
        k, theta = float(self.k_slider.value), float(self.theta_slider.value)
        slope = float(lepton_derivative(torch.tensor(theta, dtype=torch.float64), k, theta))  # = k/4
        self.f_line.set_data(self.x.numpy(), lepton(self.x, k, theta).numpy())
        self.df_line.set_data(self.x.numpy(), lepton_derivative(self.x, k, theta).numpy())
        self.tangent_line.set_data(*_tangent(slope, theta))
        self.f_peak.set_data([theta], [0.5])
        self.df_peak.set_data([theta], [slope])
        self.peak_label.xy = (theta, slope)
        self.peak_label.set_text(f"k/4 = {slope:g}")
        self._restore_background()
        for artist in self._moving:
            self.figure.draw_artist(artist)
        self.picture = self.png(self.figure)
        self.readout = activation_readout(k, theta, slope)


def plot_lepton_family(ks: tuple[float, ...] = (0.5, 1, 2, 5, 50), thetas: tuple[float, ...] = (-2, 0, 2),
                       k_for_thetas: float = 2.0) -> plt.Figure:
    """A static 2 x 2 grid: f (top) and f' (bottom) for several k at θ = 0 (left) and several θ (right).

    The picture the explorer shows interactively, for readers without a kernel (GitHub, nbviewer).
    The standard sigmoid (k = 1, θ = 0) is the dashed reference in every panel.
    """
    x = _grid()
    fig, axes = plt.subplots(2, 2, figsize=(10, 4), sharex=True)
    families = [(f"k = {k:g}", k, 0.0) for k in ks], [(f"θ = {t:g}", k_for_thetas, t) for t in thetas]
    for column, family in enumerate(families):
        ax_f, ax_df = axes[0, column], axes[1, column]
        for function, ax in ((lepton, ax_f), (lepton_derivative, ax_df)):
            ax.plot(x, function(x), "--", color="gray", lw=1, label="sigmoid")
            for i, (label, k, theta) in enumerate(family):  # colour, marker and dash: told apart without colour
                ax.plot(x, function(x, k, theta), lw=1.5, label=label, markevery=100, markersize=4, **line_style(i))
            ax.grid(alpha=0.3)
        ax_df.set_yscale("log")
        ax_df.set_ylim(1e-4, 20)
        ax_f.legend(fontsize=7, loc="upper left")
        ax_df.set_xlabel("x")
    axes[0, 0].set(ylabel="f(x)", title="changing the strength k (θ = 0)")
    axes[0, 1].set(title=f"changing the threshold θ (k = {k_for_thetas:g})")
    axes[1, 0].set_ylabel("f'(x) (log scale)")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- exploring a precomputed sweep
class SweepExplorer(SliderPicture):
    """Sliders over a grid of finished training runs, keyed ``(learning rate, momentum)``.

    The figure shows the selected run's validation accuracy per epoch over all the others (grey)
    and the grid's final accuracies as a heat map with the selection framed. Each picture is
    rendered once and then cached.

    Attributes:
        lr_slider, momentum_slider: ``SelectionSlider`` widgets over the grid's values.
        picture: the PNG bytes shown; readout: a line with the selected run's numbers.
        box: the sliders' container (display the explorer itself: the last expression of a cell).
    """

    def __init__(self, runs: Mapping[tuple[float, float], History], lrs: Sequence[float],
                 momenta: Sequence[float], dpi: int = 72, name: str | None = None):
        self.name = name
        missing = [(lr, mu) for lr in lrs for mu in momenta if (lr, mu) not in runs]
        if missing:
            raise ValueError(f"no run for (lr, momentum) = {missing[0]}: the sweep must cover the whole grid")
        if any(not runs[key].val_acc for key in runs):
            raise ValueError("every run needs a validation accuracy per epoch: train them with fit(..., val=...)")
        self.runs, self.lrs, self.momenta, self.dpi = runs, list(lrs), list(momenta), dpi
        self.final = np.array([[100 * runs[lr, mu].val_acc[-1] for lr in self.lrs] for mu in self.momenta])
        self.lr_slider = self._widget(widgets.SelectionSlider, "lr", options=[(f"{lr:g}", lr) for lr in self.lrs],
                                      value=self.lrs[len(self.lrs) // 2], description="lr")
        self.momentum_slider = self._widget(widgets.SelectionSlider, "momentum",
                                            options=[(f"{mu:g}", mu) for mu in self.momenta],
                                            value=self.momenta[0], description="momentum")
        self._pngs: dict[tuple[float, float], bytes] = {}
        self._assemble(self.lr_slider, self.momentum_slider)
        self.redraw()

    def redraw(self) -> None:
        """Show the run the sliders select (rendered on first view, then taken from the cache)."""
        key = (self.lr_slider.value, self.momentum_slider.value)
        if key not in self._pngs:
            self._pngs[key] = self.render(*key)
        self.picture = self._pngs[key]
        acc = self.runs[key].val_acc
        self.readout = (f"lr = {key[0]:g}  ·  momentum = {key[1]:g}  ·  "
                        f"validation accuracy after {len(acc)} epochs: {100 * acc[-1]:.1f}%")

    def render(self, lr: float, momentum: float) -> bytes:
        """The picture for one grid point, as PNG bytes."""
        fig = Figure(figsize=(9, 3.2), dpi=self.dpi)
        FigureCanvasAgg(fig)
        ax_curve, ax_grid = fig.subplots(1, 2)
        for key, history in self.runs.items():
            epochs = range(1, len(history.val_acc) + 1)
            selected = key == (lr, momentum)
            ax_curve.plot(epochs, [100 * a for a in history.val_acc], color=OKABE_ITO[3] if selected else "0.8",
                          lw=2.5 if selected else 1, zorder=3 if selected else 1, marker="o" if selected else None)
        ax_curve.set(xlabel="epoch", ylabel="validation accuracy (%)", ylim=(0, 100),
                     xticks=range(1, max(len(h.val_acc) for h in self.runs.values()) + 1),
                     title=f"lr = {lr:g}, momentum = {momentum:g} (red); the others grey")
        ax_curve.grid(alpha=0.3)
        draw_heatmap(ax_grid, self.final, self.lrs, self.momenta)
        i, j = self.momenta.index(momentum), self.lrs.index(lr)
        ax_grid.add_patch(_frame(j, i))
        fig.tight_layout()
        fig.canvas.draw()
        return self.png(fig)


def _frame(column: int, row: int):
    from matplotlib.patches import Rectangle

    return Rectangle((column - 0.5, row - 0.5), 1, 1, fill=False, edgecolor=OKABE_ITO[3], lw=3)


def draw_heatmap(ax, values: np.ndarray, lrs: Sequence[float], momenta: Sequence[float]) -> None:
    """Final validation accuracy (%) per (momentum row, learning-rate column), each cell labelled."""
    ax.imshow(values, cmap="viridis", vmin=max(0.0, float(values.min())), vmax=100, aspect="auto", origin="lower")
    for (i, j), value in np.ndenumerate(values):
        ax.text(j, i, f"{value:.1f}", ha="center", va="center", fontsize=8,
                color="black" if value > values.min() + 0.6 * (100 - values.min()) else "white")
    ax.set(xticks=range(len(lrs)), xticklabels=[f"{lr:g}" for lr in lrs], yticks=range(len(momenta)),
           yticklabels=[f"{mu:g}" for mu in momenta], xlabel="learning rate", ylabel="momentum",
           title="final validation accuracy (%)")
