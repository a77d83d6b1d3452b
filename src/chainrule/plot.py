"""Pictures of training: learning curves and the first layer's weights as images.

matplotlib is imported inside each function with the non-interactive Agg backend, so
``import chainrule`` stays fast and nothing needs a display.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.atomic import atomic_write
from chainrule.errors import ConfigError, ShapeError

__all__ = ["learning_curves", "learning_curves_figure", "weight_grid"]


def _figure(width: float, height: float) -> Any:
    # A bare Figure on the Agg canvas: no pyplot global state, no display, no backend switch.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Any, path: str | os.PathLike[str]) -> Path:
    # atomic, so an interrupted run never leaves half a PNG
    path = Path(path)
    with atomic_write(path) as fh:
        fig.savefig(fh, format="png", dpi=100)
    return path


def learning_curves(
    history: Mapping[str, Sequence[float]] | Any,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
) -> Path:
    """Plot training and validation loss (and accuracy, where present) per epoch to a PNG.

    Parameters
    ----------
    history : History or mapping
        ``History`` from :func:`chainrule.fit`, or its ``.history`` dict with lists
        ``loss``, optionally ``val_loss``, ``accuracy``, ``val_accuracy``.
    path : path-like
        The PNG file to write.
    title : str, optional

    Returns
    -------
    pathlib.Path
    """
    return _save(learning_curves_figure(history, title=title), path)


def learning_curves_figure(
    history: Mapping[str, Sequence[float]] | Any, *, title: str | None = None
) -> Any:
    """The figure :func:`learning_curves` writes, as a matplotlib ``Figure`` (shown inline
    by a notebook); ``history`` as there."""
    curves = getattr(history, "history", history)
    epochs_of = getattr(history, "epoch", None)
    if not curves.get("loss"):
        raise ConfigError("learning_curves: the history has no 'loss' values to plot")
    n = len(curves["loss"])
    epochs = list(epochs_of) if epochs_of else list(range(1, n + 1))
    panels = [("loss", "loss")]
    if curves.get("accuracy"):
        panels.append(("accuracy", "accuracy"))
    fig = _figure(5 * len(panels), 3.6)
    axes = fig.subplots(1, len(panels), squeeze=False)
    for ax, (key, label) in zip(axes[0], panels, strict=True):
        ax.plot(epochs, curves[key], marker=".", label=f"train {label}")
        values = list(curves[key])
        if curves.get(f"val_{key}"):
            ax.plot(epochs, curves[f"val_{key}"], marker=".", label=f"validation {label}")
            values += list(curves[f"val_{key}"])
        ax.set_ylabel(label)
        _epoch_axis(ax, epochs)
        # a log scale only pays when the loss falls by a decade or more; over less it has
        # no labelled tick at all
        finite = [v for v in values if math.isfinite(v)]
        if key == "loss" and finite and min(finite) > 0 and max(finite) >= 10 * min(finite):
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _epoch_axis(ax: Any, epochs: Sequence[int]) -> None:
    """Whole epochs on the x axis: every epoch labelled on a short run, a margin of half an
    epoch around a run of one or two."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel("epoch")
    first, last = min(epochs), max(epochs)
    if last - first < 12:
        ax.set_xticks(range(first, last + 1))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if last - first < 2:
        ax.set_xlim(first - 0.5, last + 0.5)


def weight_grid(
    W: np.ndarray,
    image_shape: Sequence[int],
    path: str | os.PathLike[str],
    *,
    max_units: int = 100,
    title: str | None = None,
) -> Path:
    """Draw each row of the first layer's weights ``W`` (d_out, d_in) as an image.

    Parameters
    ----------
    W : ndarray, shape (d_out, d_in)
        ``W1`` of a model; row ``j`` holds the input weights of hidden unit ``j``.
    image_shape : (height, width) or (height, width, channels)
        How one input is laid out; its product must equal ``d_in``.
    path : path-like
        The PNG file to write.
    max_units : int
        Draw at most this many units (the first ones).

    Returns
    -------
    pathlib.Path
    """
    W = np.asarray(W, dtype=np.float64)
    units = W[:max_units] if W.ndim == 2 else W
    return image_grid(
        units,
        image_shape,
        path,
        scale="signed",
        title=title or f"first-layer weights ({units.shape[0]} of {W.shape[0]} units)",
        colorbar="weight",
        note=(
            "Each tile: one hidden unit's weights on the input, laid out as the image. "
            "Red: the input there raises the unit, blue: lowers it, white: no effect."
        ),
        where="weight_grid",
    )


def _mosaic(images: np.ndarray, shape: tuple[int, ...], scale: str) -> tuple[np.ndarray, int]:
    """The rows of ``images`` as tiles of ``shape`` in a near-square grid, one blank pixel
    between tiles (white for ``"each"``, NaN, drawn as nothing, otherwise); the number of
    columns of tiles."""
    cols = max(1, math.ceil(math.sqrt(images.shape[0])))
    rows = max(1, math.ceil(images.shape[0] / cols))
    h, w = shape[0], shape[1]
    channels = shape[2:] if len(shape) == 3 else ()
    background = 1.0 if scale == "each" else np.nan
    mosaic = np.full((rows * (h + 1) + 1, cols * (w + 1) + 1, *channels), background)
    for j, row in enumerate(images):
        if scale == "each":
            lo, hi = row.min(), row.max()
            row = (row - lo) / (hi - lo) if hi > lo else np.full_like(row, 0.5)
        r, c = divmod(j, cols)
        mosaic[1 + r * (h + 1) : 1 + r * (h + 1) + h, 1 + c * (w + 1) : 1 + c * (w + 1) + w] = (
            row.reshape(shape)
        )
    return mosaic, cols


def image_grid(
    images: np.ndarray,
    image_shape: Sequence[int],
    path: str | os.PathLike[str],
    *,
    scale: str = "each",
    title: str | None = None,
    colorbar: str | None = None,
    note: str | None = None,
    where: str = "image_grid",
) -> Path:
    """Draw each row of ``images`` (n, d) as a tile of one mosaic, written atomically as PNG.

    One mosaic and one ``imshow`` rather than a subplot per tile keeps drawing well under a
    second. ``scale`` says how values become grey levels:

    - ``"each"``: every tile stretched to its own range (the pattern matters, not its size);
    - ``"signed"``: one diverging map centred on 0 for all tiles (weights, whose sign should
      read the same in every tile);
    - ``"unit"``: values in [0, 1] as they are (probabilities, binary samples).

    ``colorbar`` (its label) adds a colour key beside the mosaic (for ``"signed"`` and
    ``"unit"``, where one colour means one value in every tile); ``note`` is a line of text
    under it saying what a tile is.
    """
    images = np.asarray(images, dtype=np.float64)
    shape = tuple(int(s) for s in image_shape)
    if images.ndim != 2 or math.prod(shape) != images.shape[1]:
        raise ShapeError(
            f"{where}: the array has shape {images.shape}; each row must hold one image of "
            f"shape {shape} ({math.prod(shape)} values)"
        )
    if scale not in ("each", "signed", "unit"):
        raise ConfigError(f"{where}: scale must be 'each', 'signed' or 'unit', got {scale!r}")
    mosaic, cols = _mosaic(images, shape, scale)
    w = shape[1]
    channels = shape[2:] if len(shape) == 3 else ()
    if scale == "signed":
        limit = float(np.abs(images).max()) or 1.0
        cmap, low, high = "RdBu_r", -limit, limit
    elif scale == "unit":
        cmap, low, high = "gray_r", 0.0, 1.0
    else:
        cmap, low, high = (None if channels else "gray"), 0.0, 1.0
    size = max(2.5, min(8.0, 0.12 * cols * w))
    extra = (0.4 if title else 0.0) + (0.5 if note else 0.0)
    width = size + (1.0 if colorbar else 0.0)
    height = size * mosaic.shape[0] / mosaic.shape[1] + extra
    fig = _figure(width, height)
    ax = fig.add_subplot()
    shown = ax.imshow(mosaic, cmap=cmap, interpolation="nearest", vmin=low, vmax=high)
    ax.axis("off")
    if title:
        ax.set_title(title)
    if colorbar and scale != "each" and not channels:
        bar = fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
        bar.set_label(colorbar)
    if note:
        import textwrap

        fig.text(
            0.5, 0.01, textwrap.fill(note, int(width * 14)), ha="center", va="bottom", fontsize=8
        )
    fig.tight_layout(rect=(0, 0.5 / height if note else 0, 1, 1))
    return _save(fig, path)
