"""Colour and label conventions shared by all figures (SPEC Appendix A).

Each kind of variable has its own colour scale, so that a colour means the same thing across
figures: train std → viridis, evaluation amplitude → plotly3, SISU → thermal, reach direction →
cyclic phase, replicate → twilight (cyclic), trial → tealgrn, perturbed feedback variable → D3.
Means are drawn at ×0.7 the brightness of their individual-trial colour.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import numpy as np
import plotly.colors as pc
import plotly.graph_objects as go


TEMPLATE: Final = "simple_white"
MEAN_BRIGHTNESS: Final = 0.7
ZERO_LINE_COLOR: Final = "rgb(160, 160, 160)"

COLORSCALES: Final[dict[str, str]] = {
    "train_std": "viridis",
    "pert_amp": "plotly3",
    "sisu": "thermal",
    "direction": "phase",
    "reach_angle": "phase",
    "replicate": "twilight",
    "condition": "tealgrn",
    "trial": "tealgrn",
    "pert_var": "d3",
}
"""Colour scale name for each variable a figure may colour by."""

_SCALES: Final[dict[str, tuple[Sequence[str], str]]] = {
    # name → (colours, kind); kind "sequential" spans [0, 1], "cyclic" avoids repeating the end,
    # "qualitative" cycles through a palette.
    "viridis": (pc.sequential.Viridis, "sequential"),
    "plotly3": (pc.sequential.Plotly3, "sequential"),
    "thermal": (pc.cmocean.thermal, "sequential"),
    "tealgrn": (pc.sequential.Tealgrn, "sequential"),
    "phase": (pc.cyclical.Phase, "cyclic"),
    "twilight": (pc.cyclical.Twilight, "cyclic"),
    "d3": (pc.qualitative.D3, "qualitative"),
}

LABELS: Final[dict[str, str]] = {
    "train_std": "Train<br>field std.",
    "pert_amp": "Field<br>amplitude",
    "sisu": "Context input",
    "pert_var": "Perturbed<br>feedback var.",
    "replicate": "Replicate",
    "direction": "Reach direction",
    "reach_angle": "Reach direction",
    "eval": "Evaluation",
    "condition": "Condition",
    "t": "Time step",
    "train_condition": "Trained at",
    "test_condition": "Tested at",
    "model__hidden_size": "Hidden units",
    "field": "Test field",
}
"""Axis and legend titles for the condition and hyperparameter columns."""

VARIABLE_LABELS: Final[dict[str, str]] = {
    "pos": "Position",
    "vel": "Velocity",
    "force": "Control force",
}
COMPONENT_LABELS: Final[dict[str, str]] = {"parallel": "Forward", "orthogonal": "Lateral"}


def label(column: str) -> str:
    """Axis/legend title for a column: the Appendix A string, else the column name."""
    return LABELS.get(column, column)


def format_value(value: object) -> str:
    """Short text for a group value in legends and category axes (0.5, 1, nan, 'curl')."""
    if isinstance(value, (float, np.floating)):
        return "nan" if math.isnan(value) else f"{float(value):g}"
    return str(value)


def ordered_values(values: Iterable[object]) -> list[object]:
    """Distinct values in sorted order (NaN last; by text when they do not compare)."""
    def is_nan(v: object) -> bool:
        return isinstance(v, (float, np.floating)) and math.isnan(v)

    values = list(values)
    unique = list(dict.fromkeys(v for v in values if not is_nan(v)))
    unique += [math.nan] if any(is_nan(v) for v in values) else []
    try:
        return sorted(unique, key=lambda v: (is_nan(v), 0.0 if is_nan(v) else v))
    except TypeError:
        return sorted(unique, key=str)


def group_colors(values: Iterable[object], colorscale: str) -> dict[object, str]:
    """Map each distinct value to a colour of `colorscale`, in sorted value order.

    Arguments:
        values: the group values (numbers or strings); duplicates are ignored.
        colorscale: one of the scales in `COLORSCALES` (e.g. "viridis", "phase").

    Returns:
        value → "rgb(r, g, b)", with the values spread evenly over the scale (numbers by rank, so
        that unevenly spaced spreads such as [0, 0.01, 0.1, 1] stay distinguishable).
    """
    if colorscale not in _SCALES:
        raise ValueError(f"unknown colour scale {colorscale!r}; expected one of {sorted(_SCALES)}")
    colors, kind = _SCALES[colorscale]
    ordered = ordered_values(values)
    n = len(ordered)
    if kind == "qualitative":
        picked = [colors[i % len(colors)] for i in range(n)]
        return {v: _to_rgb(c) for v, c in zip(ordered, picked)}
    if kind == "cyclic":
        positions = [i / max(n, 1) for i in range(n)]
    else:
        positions = [i / (n - 1) if n > 1 else 0.0 for i in range(n)]
    sampled = pc.sample_colorscale(pc.make_colorscale([_to_rgb(c) for c in colors]), positions)
    return dict(zip(ordered, sampled))


def colors_for(column: str, values: Iterable[object], colorscale: str | None = None) -> dict:
    """`group_colors` with the conventional scale of `column` (viridis when it has none)."""
    return group_colors(values, colorscale or COLORSCALES.get(column, "viridis"))


def _to_rgb(color: str) -> str:
    if color.startswith("#"):
        r, g, b = pc.hex_to_rgb(color)
        return f"rgb({r}, {g}, {b})"
    return color


def _channels(color: str) -> tuple[float, float, float]:
    numbers = re.findall(r"[\d.]+", _to_rgb(color))
    if len(numbers) < 3:
        raise ValueError(f"colour {color!r}; expected '#rrggbb' or 'rgb(r, g, b)'")
    r, g, b = (float(x) for x in numbers[:3])
    return r, g, b


def darken(color: str, factor: float = MEAN_BRIGHTNESS) -> str:
    """The colour at `factor` × its brightness (HSV value), as "rgb(r, g, b)"."""
    r, g, b = (round(min(255.0, max(0.0, c * factor))) for c in _channels(color))
    return f"rgb({r}, {g}, {b})"


def with_alpha(color: str, alpha: float) -> str:
    """The colour as "rgba(r, g, b, alpha)" (for bands and faint curves)."""
    r, g, b = (round(c) for c in _channels(color))
    return f"rgba({r}, {g}, {b}, {alpha:g})"


def finish_layout(
    fig: go.Figure, *, title: str | None, width: int, height: int, legend_title: str
) -> go.Figure:
    """Apply the shared template, size, title and margins (compact when there is no title)."""
    fig.update_layout(
        template=TEMPLATE, width=width, height=height, title=title,
        legend_title_text=legend_title,
        margin={"l": 70, "r": 20, "b": 55, "t": 80 if title else 40},
    )
    return fig


def wrap_label(text: str, width: int = 28) -> str:
    """Break a long axis label before its parenthesis: "Max x<br>(left, % reach length)"."""
    if len(text) > width and " (" in text:
        head, _, tail = text.partition(" (")
        return f"{head}<br>({tail}"
    return text


def match_axes(figures: Mapping[str, go.Figure] | Sequence[go.Figure]) -> None:
    """Give all figures the same range on each of their axes (in place).

    Figures must share a layout (e.g. all from `aligned_trajectories`). The common range of an
    axis spans the data of that axis over all figures, padded by 5 %.
    """
    figs = list(figures.values()) if isinstance(figures, Mapping) else list(figures)
    bounds: dict[str, list[float]] = {}
    for fig in figs:
        for trace in fig.data:
            for letter in ("x", "y"):
                data = getattr(trace, letter, None)
                if data is None:
                    continue
                try:
                    values = np.asarray(data, dtype=float)
                except (TypeError, ValueError):  # categories: no numeric range to share
                    continue
                values = values[np.isfinite(values)]
                if values.size == 0:
                    continue
                axis = _axis_name(letter, getattr(trace, f"{letter}axis", None))
                lo, hi = bounds.get(axis, [np.inf, -np.inf])
                bounds[axis] = [min(lo, values.min()), max(hi, values.max())]
    for fig in figs:
        for axis, (lo, hi) in bounds.items():
            pad = 0.05 * (hi - lo) if hi > lo else 0.05 * max(abs(lo), 1.0)
            fig.layout[axis].range = [lo - pad, hi + pad]


def _axis_name(letter: str, ref: str | None) -> str:
    suffix = (ref or letter)[1:]
    return f"{letter}axis{suffix}"
