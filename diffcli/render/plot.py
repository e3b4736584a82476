"""Line plots for every command that draws curves (optimize's convergence, eps-sweep's error against step):
in the terminal with plotext, or as PNG, SVG or PDF bytes with matplotlib.

Both libraries are the optional extra ``diffcli[plot]`` and are imported only here, only when a plot is
asked for; a missing one is a :class:`~diffcli.core.errors.UsageError` saying how to install it.  Functions
return text or bytes; the command decides where they go.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from diffcli.core.errors import UsageError

IMAGE_FORMATS = ("png", "svg", "pdf")
TERMINAL_POINTS = 400
"""Points kept per series for the terminal (its resolution is a few hundred dots wide at most)."""
MARKERS = ("•", "x", "+", "o", "*", "#", "=", "~")
"""Markers that tell the series apart, with or without colour."""
COLORS = (12, 9, 10, 13, 14, 11, 208, 135)
"""Terminal colours (the 256-colour palette: blue, red, green, magenta, cyan, yellow, orange, purple), one
per group of series, in the order the groups first appear."""
IMAGE_MARKERS = ("o", "s", "^", "v", "D", "x", "+", "*")
"""matplotlib markers, one per series that has none of its own, so that series differ without colour too."""


@dataclass
class Series:
    """One curve: a label for the legend and its points (non-finite points are left out when drawn).

    ``marker`` fixes its character in the terminal (else one of :data:`MARKERS` by position); ``joined``
    False draws the points alone; series of one ``group`` share a colour in image files, where ``dashed``
    draws a dashed line (a model beside its measurements, say).  A series without a label stays out of
    the legends.
    """

    label: str
    x: Sequence[float]
    y: Sequence[float]
    marker: str | None = None
    joined: bool = True
    group: str | None = None
    dashed: bool = False


def image_format(path: str) -> str:
    """The image format a file name asks for, by its extension.

    >>> image_format("convergence.svg")
    'svg'
    """
    extension = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else ""
    if extension not in IMAGE_FORMATS:
        raise UsageError(f"cannot tell the image format of {str(path)!r}: name it .png, .svg or .pdf")
    return extension


def require(image: bool = False) -> None:
    """Fail early, before any work, when the library a plot needs is not installed."""
    if image:
        _matplotlib_figure()
    else:
        _plotext()


def _plotext():
    try:
        import plotext
    except ImportError:
        raise UsageError("the terminal plot needs plotext: pip install 'diffcli[plot]' "
                         "(or plotext)") from None
    return plotext


def _matplotlib_figure():
    try:
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError("writing a plot file needs matplotlib: pip install 'diffcli[plot]' "
                         "(or matplotlib)") from None
    return Figure


def _points(series: Series, xlog: bool, ylog: bool):
    """The finite points of a series that the axes' scales can show."""
    return [(x, y) for x, y in zip(series.x, series.y)
            if x is not None and y is not None and math.isfinite(x) and math.isfinite(y)
            and (not xlog or x > 0) and (not ylog or y > 0)]


def _thin(points: list, keep: int) -> list:
    """At most about ``keep`` points, evenly spaced by index, always keeping the first and the last."""
    if len(points) <= keep:
        return points
    stride = len(points) / keep
    chosen = sorted({int(i * stride) for i in range(keep)} | {len(points) - 1})
    return [points[i] for i in chosen]


def _decades(values: list[float]) -> tuple[list[float], list[str]]:
    """Ticks at the integer exponents spanning ``values`` (log10 of the data; at most about 8) and their
    labels as powers of ten."""
    low, high = math.floor(min(values)), math.ceil(max(values))
    step = max(1, -(-(high - low) // 7))
    exponents = range(low, high + 1, step)
    return [float(k) for k in exponents], [f"1e{k}" for k in exponents]


def _linear_ticks(values: list[float]) -> tuple[list[float], list[str]]:
    """Round tick positions (1, 2 or 5 times a power of ten apart, about 6 of them) spanning ``values``.

    >>> _linear_ticks([0, 20000])
    ([0.0, 5000.0, 10000.0, 15000.0, 20000.0], ['0', '5000', '10000', '15000', '20000'])
    """
    low, high = min(values), max(values)
    if high == low:
        return [low], [f"{low:g}"]
    raw = (high - low) / 5
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step)
    positions = [k * step for k in range(first, math.floor(high / step) + 1)]
    return positions, [f"{p:g}" for p in positions]


def terminal(series: list[Series], *, title: str, xlabel: str, ylabel: str, xlog: bool = False,
             ylog: bool = False, width: int = 78, height: int = 22, color: bool = True) -> str:
    """The plot as text for a terminal: one marker per series (named in a legend line under the plot, which
    plotext's own legend box would cover the start of the curves with) and ANSI colours when ``color``.

    A log axis is drawn as log10 of the data on a linear axis with ticks labelled ``1e-8``, ``1e-6``, …
    (plotext's own log scale re-applies the logarithm to explicit ticks).
    """
    plotext = _plotext()
    plotext.terminal.limit(False, False)  # the size asked for, not plotext's guess of the terminal's
    figure = plotext.figure
    figure.clear()
    figure.theme("simple")  # no background colours: the terminal's own
    everything, legend = [], []
    colours = _group_colours(series)
    for k, one in enumerate(series):
        points = _thin(_points(one, xlog, ylog), TERMINAL_POINTS)
        if not points:
            continue
        points = [(math.log10(x) if xlog else x, math.log10(y) if ylog else y) for x, y in points]
        everything += points
        xs, ys = zip(*points)
        marker = one.marker or MARKERS[k % len(MARKERS)]
        colour = colours[_group(one, k)]
        signal = figure.signal(list(xs), list(ys),
                               marker=plotext.marker(marker, pixel=plotext.pixel(foreground=colour)))
        figure.draw(signal.lines() if one.joined else signal)
        entry = f"\x1b[38;5;{colour}m{marker}\x1b[0m {one.label}" if color else f"{marker} {one.label}"
        if one.label and entry not in legend:
            legend.append(entry)
    if not everything:
        return f"{title}: nothing to plot (no finite{' positive' if ylog else ''} values)"
    xs = [x for x, _ in everything]
    figure.ruler(0).ticks(*(_decades(xs) if xlog else _linear_ticks(xs)))
    if ylog:
        figure.ruler(1).ticks(*_decades([y for _, y in everything]))
    figure.title(title)
    figure.label(xlabel, axis=0)
    figure.label(ylabel, axis=1)
    figure.plot_size(width, height)
    text = figure.build().string(colorless=not color)
    figure.clear()
    return "\n".join([*(line.rstrip() for line in text.splitlines()), "   ".join(legend)])


def _group(one: Series, index: int):
    """The colour group of a series: its ``group``, else the series alone."""
    return one.group if one.group is not None else ("series", index)


def _group_colours(series: list[Series]) -> dict:
    groups = dict.fromkeys(_group(one, k) for k, one in enumerate(series))
    return {group: COLORS[k % len(COLORS)] for k, group in enumerate(groups)}


def image(series: list[Series], fmt: str, *, title: str, xlabel: str, ylabel: str, xlog: bool = False,
          ylog: bool = False) -> bytes:
    """The plot as a PNG, SVG or PDF file's bytes (matplotlib, no display needed)."""
    figure = _matplotlib_figure()(figsize=(8, 5), layout="constrained")
    axes = figure.add_subplot()
    colours: dict = {}
    labelled: set = set()
    for k, one in enumerate(series):
        points = _points(one, xlog, ylog)
        if not points:
            continue
        xs, ys = zip(*points)
        style = {"linestyle": ("--" if one.dashed else "-") if one.joined else "none", "linewidth": 1.2}
        # a terminal's letter is not a matplotlib marker: those get one of IMAGE_MARKERS; a joined line
        # carries its marker at about ten places
        marker = one.marker if one.marker in IMAGE_MARKERS else IMAGE_MARKERS[k % len(IMAGE_MARKERS)]
        if not one.joined:
            style.update(marker=marker, markersize=11 if marker == "*" else 4)
        elif not one.dashed:
            style.update(marker=marker, markersize=4, markevery=max(1, len(xs) // 10))
        group = _group(one, k)
        if group in colours:
            style["color"] = colours[group]
        label = one.label if one.label and one.label not in labelled else "_nolegend_"
        labelled.add(one.label)
        (line,) = axes.plot(xs, ys, label=label, **style)
        colours.setdefault(group, line.get_color())
    axes.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if xlog:
        axes.set_xscale("log")
    if ylog:
        axes.set_yscale("log")
    axes.grid(True, which="major", alpha=0.3)
    if axes.get_legend_handles_labels()[0]:
        axes.legend()
    buffer = io.BytesIO()
    # A fixed date keeps PDF/SVG bytes reproducible; PNG carries no date by default.
    metadata = {"Date": None} if fmt == "svg" else ({"CreationDate": None} if fmt == "pdf" else None)
    figure.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()
