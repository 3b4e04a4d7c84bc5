"""Pictures of the Lepton activation: a slider explorer (with a kernel) and a static grid (without).

The explorer draws with Matplotlib's Agg renderer into PNG bytes and swaps them into an
``ipywidgets.Image``: no ``Output`` widget and no ``plt.show`` in the callback. That is why it
does not flicker (the browser replaces one image by the next, nothing is cleared first), why it
is fast (one figure is kept; axes, labels and legends are rendered once and cached, and a move
redraws only the curves over that background), and why it behaves the same on ipywidgets 7.7
(Colab) and 8.x (JupyterLab 4, VS Code), whose ``Output`` widgets differ. :class:`SliderPicture`
holds that plumbing for every explorer of the collection (notebook 06's ``optim.SweepExplorer`` too).
"""

from __future__ import annotations

import io
import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import PIL.Image
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .activation import lepton, lepton_derivative

X_RANGE = (-6.0, 6.0)
"""The x interval every picture shows."""


def _grid(points: int = 1201) -> torch.Tensor:
    # float64 and a fine grid (step 0.01), so that even at k = 50 the curves are smooth
    return torch.linspace(*X_RANGE, points, dtype=torch.float64)


def _axis_top(peak: float) -> float:
    """The derivative panel's upper limit: the first of a few fixed values above the peak.

    A handful of fixed limits (rather than one per k) lets each background be rendered once.
    """
    for top in (0.3, 0.6, 1.2, 2.5, 5.0, 10.0, 15.0):
        if top >= 1.1 * peak:
            return top
    return 5.0 * math.ceil(1.1 * peak / 5)


def _tangent(k: float, theta: float) -> tuple[list[float], list[float]]:
    """The tangent at the steepest point (theta, 1/2), slope k/4, between f = 0 and f = 1."""
    half_width = 2.0 / k
    return [theta - half_width, theta + half_width], [0.0, 1.0]


class SliderPicture:
    """Base of the collection's explorers: sliders, a readout line, and a picture that :meth:`redraw`
    renders into PNG bytes in an ``ipywidgets.Image`` on every slider move.

    Subclasses create their sliders, call :meth:`_assemble` with them, and implement :meth:`redraw`.
    Display one by making it the last expression of a cell (or ``display(explorer.box)``).
    """

    def _assemble(self, *sliders: widgets.Widget) -> None:
        """Lay out the sliders over the readout and the image (``self.box``), and redraw on every move."""
        self.readout = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.box = widgets.VBox([widgets.HBox(list(sliders)), self.readout, self.image])
        for slider in sliders:
            slider.observe(self._on_change, names="value")

    def _on_change(self, _change: dict) -> None:
        self.redraw()

    def redraw(self) -> None:
        raise NotImplementedError

    @staticmethod
    def png(figure: Figure) -> bytes:
        """What ``figure``'s canvas shows now, as PNG bytes (fast zlib level: this is sent, not stored)."""
        buffer = io.BytesIO()
        PIL.Image.fromarray(np.asarray(figure.canvas.buffer_rgba())).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)


class ActivationExplorer(SliderPicture):
    """Sliders for k and theta; f and f' side by side, redrawn on every slider move.

    Attributes:
        k_slider, theta_slider: ``FloatSlider`` widgets (descriptions "k" and "θ").
        image: the ``Image`` widget that shows the figure as PNG bytes.
        readout: an ``HTML`` widget with the current k, θ and the maximum slope k/4.
        box: the container (CSS class ``lepton-explorer``) that the notebook displays.
        figure: the Matplotlib figure, kept and updated in place.

    Display it by making it the last expression of a cell (or ``display(explorer.box)``).
    """

    def __init__(self, k: float = 1.0, theta: float = 0.0, *, k_max: float = 50.0, theta_max: float = 4.0,
                 dpi: int = 80):
        if not (math.isfinite(k_max) and k_max >= 1):
            raise ValueError(f"k_max must be a finite number >= 1, got {k_max!r}")
        if not (math.isfinite(theta_max) and theta_max > 0):
            raise ValueError(f"theta_max must be a finite number > 0, got {theta_max!r}")
        if not (0.1 <= k <= k_max and -theta_max <= theta <= theta_max):
            raise ValueError(f"the start values must lie on the sliders: 0.1 <= k <= {k_max:g} and "
                             f"|theta| <= {theta_max:g}, got k={k!r}, theta={theta!r}")
        style = {"description_width": "1.5em"}
        self.k_slider = widgets.FloatSlider(value=k, min=0.1, max=k_max, step=0.1, description="k",
                                            readout_format=".1f", continuous_update=True, style=style)
        self.theta_slider = widgets.FloatSlider(value=theta, min=-theta_max, max=theta_max, step=0.1,
                                                description="θ", readout_format=".1f", continuous_update=True,
                                                style=style)
        self._assemble(self.k_slider, self.theta_slider)
        self.box.add_class("lepton-explorer")
        self.x = _grid()
        self._build_figure(dpi)
        self.redraw()

    def _build_figure(self, dpi: int) -> None:
        """Create the figure once: axes, legends and the reference sigmoid (the static background),
        and the curves and markers that :meth:`redraw` moves (animated: drawn over the background)."""
        self.figure = Figure(figsize=(9, 3.2), dpi=dpi)
        FigureCanvasAgg(self.figure)
        self.ax_f, self.ax_df = self.figure.subplots(1, 2)
        x = self.x.numpy()
        self.ax_f.plot(x, lepton(self.x).numpy(), "--", color="gray", lw=1, label="sigmoid (k=1, θ=0)")
        self.ax_df.plot(x, lepton_derivative(self.x).numpy(), "--", color="gray", lw=1, label="sigmoid'")
        (self.f_line,) = self.ax_f.plot([], [], color="C0", lw=2, label="Lepton f(x)")
        (self.tangent_line,) = self.ax_f.plot([], [], ":", color="C3", lw=1.5, label="slope k/4 at x=θ")
        (self.f_peak,) = self.ax_f.plot([], [], "o", color="C3")
        (self.df_line,) = self.ax_df.plot([], [], color="C1", lw=2, label="f'(x) = k f (1 - f)")
        (self.df_peak,) = self.ax_df.plot([], [], "o", color="C3")
        self.peak_label = self.ax_df.annotate("", (0, 0), xytext=(8, -4), textcoords="offset points", color="C3")
        self._moving = (self.f_line, self.tangent_line, self.f_peak, self.df_line, self.df_peak, self.peak_label)
        for artist in self._moving:
            artist.set_animated(True)
        self.ax_f.set(xlim=X_RANGE, ylim=(-0.05, 1.05), xlabel="x", title="f(x) = 1 / (1 + exp(-k(x - θ)))")
        self.ax_df.set(xlim=X_RANGE, xlabel="x", title="derivative f'(x)")
        for ax in (self.ax_f, self.ax_df):
            ax.grid(alpha=0.3)
            ax.legend(loc="upper left", fontsize=8)
        self.figure.tight_layout()
        self._backgrounds: dict[float, object] = {}

    def _restore_background(self, top: float) -> None:
        """Paint the static part for a derivative axis reaching ``top`` (rendered once, then cached)."""
        self.ax_df.set_ylim(-0.02 * top, top)
        canvas = self.figure.canvas
        if top not in self._backgrounds:
            canvas.draw()
            self._backgrounds[top] = canvas.copy_from_bbox(self.figure.bbox)
        canvas.restore_region(self._backgrounds[top])

    def redraw(self) -> None:
        """Update the curves, the marked steepest point and the readout for the sliders' values.

        Only the moving curves are drawn over a cached background (blitting), and the result
        is encoded once: a few milliseconds instead of a full Matplotlib redraw.
        """
        k, theta = float(self.k_slider.value), float(self.theta_slider.value)
        peak = k / 4
        self.f_line.set_data(self.x.numpy(), lepton(self.x, k, theta).numpy())
        self.df_line.set_data(self.x.numpy(), lepton_derivative(self.x, k, theta).numpy())
        self.tangent_line.set_data(*_tangent(k, theta))
        self.f_peak.set_data([theta], [0.5])
        self.df_peak.set_data([theta], [peak])
        self.peak_label.xy = (theta, peak)
        self.peak_label.set_text(f"k/4 = {peak:.3g}")
        self._restore_background(_axis_top(peak))
        for artist in self._moving:
            self.figure.draw_artist(artist)
        self.image.value = self.png(self.figure)
        self.readout.value = (f"<b>k</b> = {k:.2f} &nbsp;·&nbsp; <b>θ</b> = {theta:.2f} &nbsp;·&nbsp; "
                              f"max slope k/4 = {peak:.3f} (at x = θ)")


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
            for label, k, theta in family:
                ax.plot(x, function(x, k, theta), lw=1.5, label=label)
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
