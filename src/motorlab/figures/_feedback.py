"""Figures of responses to feedback impulses (SPEC §2.3 part 1, §2.7 part 2).

All responses are drawn in the impulse frame (`motorlab.analysis.feedback_perts.impulse_frame`):
origin = hold position, forward = along the impulse, lateral = left of it. Names of
`feedback_figure_set` start with the SPEC plot ids (`example_trial_sets`,
`response_profiles/…`, `performance_measures/…`) followed by `__key-value` parts, as in
`motorlab.figures._sets`; `write_figures` turns the `/` into a folder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..analysis.feedback_perts._measures import (
    FEEDBACK_MEASURE_NAMES,
    WINDOW_MEASURE_NAMES,
    feedback_measures_registry,
    impulse_aligned,
    impulse_frame,
)
from ._groups import check_column, only_included
from ._profiles import profiles
from ._style import (
    COMPONENT_LABELS,
    VARIABLE_LABELS,
    ZERO_LINE_COLOR,
    colors_for,
    finish_layout,
    format_value,
    label,
    ordered_values,
)
from ._trajectories import aligned_trajectories
from ._violins import measure_violins

PLOT_IDS: Final = (
    "example_trial_sets",
    "aligned_trajectories/compare_impulse_amplitudes",
    "response_profiles/compare_train_conditions",
    "response_profiles/compare_pert_vars",
    "response_profiles/compare_context_inputs",
    "performance_measures/all_train_conditions",
    "performance_measures/lohi_train_conditions",
    "performance_measures/compare_impulse_amplitudes",
)
DASHES: Final = {"pos": "solid", "vel": "dash"}
"""Line style per perturbed feedback variable in `pert_var_profiles`."""
IMPULSE_COLOR: Final = "rgba(128, 128, 128, 0.2)"
IMPULSE_AMP_LABEL: Final = "Impulse<br>amplitude"
UNDERLAY_COLOR: Final = "rgba(150, 150, 150, 0.35)"
"""Colour of the lowest-compared-value (σ = 0) underlay of the part-2 amplitude violins."""
_COMPONENTS: Final = {"parallel": 0, "orthogonal": 1}


def _window(start: int, duration: int, dt: float | None) -> tuple[float, float]:
    """x extent of the impulse: it changes state rows start + 1 … start + duration."""
    scale = 1.0 if dt is None else dt
    return (start + 0.5) * scale, (start + duration + 0.5) * scale


def _add_window(fig: go.Figure, start: int, duration: int, dt: float | None) -> None:
    x0, x1 = _window(start, duration, dt)
    fig.add_vrect(x0=x0, x1=x1, fillcolor=IMPULSE_COLOR, line_width=0, layer="below",
                  row="all", col="all")


def example_trial_sets(states: pd.DataFrame, color_by: str, *, max_curves: int = 20,
                       title: str | None = None) -> go.Figure:
    """Position, velocity and force in the impulse frame (2-D, lateral vs forward) at the
    largest impulse amplitude of `states` (select one `pert_var` first), coloured by a column."""
    check_column(states, "impulse_amp", "states column")
    largest = states["impulse_amp"].max()
    sel = states[states["impulse_amp"] == largest]
    return aligned_trajectories(impulse_frame(sel), color_by, max_curves=max_curves, title=title)


def response_profiles(states: pd.DataFrame, color_by: str, *, start: int, duration: int,
                      variables: Sequence[str] = ("force", "vel"), dt: float | None = None,
                      title: str | None = None, width: int = 600, height: int | None = None) -> go.Figure:
    """Forward and lateral responses against time, mean ± 1 std per value of `color_by`, with a
    grey band over the impulse window (select one `pert_var` and amplitude first)."""
    fig = profiles(impulse_frame(states), color_by, variables=variables, dt=dt, title=title,
                   width=width, height=height)
    _add_window(fig, start, duration, dt)
    return fig


def pert_var_profiles(states: pd.DataFrame, color_by: str, *, start: int, duration: int,
                      variables: Sequence[str] = ("force", "vel"), dt: float | None = None,
                      detail: bool = False, included_only: bool = True,
                      title: str | None = None, width: int = 600) -> go.Figure:
    """Responses to position (solid) and velocity (dashed) impulses on the same axes: mean
    forward and lateral components against time, one colour per value of `color_by`.

    Arguments:
        states: impulse states of both feedback variables (select one amplitude rank,
            `impulse_index`, and the compared values, e.g. lowest and highest train std, first).
        color_by: column giving the colours.
        start, duration: the impulse window (control steps).
        variables: panel rows, from "pos", "vel", "force".
        dt: time step; x in time units when given, else in steps.
        detail: zoom the x axis onto the impulse (from `duration` steps before it to
            4 × `duration` steps after it ends).
        included_only, title, width: as in `profiles`.
    """
    check_column(states, "pert_var", "states column")
    check_column(states, color_by, "color_by")
    bad = [v for v in variables if v not in VARIABLE_LABELS]
    if bad or not variables:
        raise ValueError(f"variables={list(variables)}; expected some of {list(VARIABLE_LABELS)}")
    aligned, conditions = impulse_aligned(states)
    keep = only_included(conditions).index.to_numpy() if included_only else conditions.index.to_numpy()
    conditions = conditions.loc[keep]
    colors = colors_for(color_by, conditions[color_by].tolist())
    titles = [f"{COMPONENT_LABELS[c]} {VARIABLE_LABELS[v].lower()}"
              for v in variables for c in _COMPONENTS]
    fig = make_subplots(rows=len(variables), cols=2, subplot_titles=titles)
    x = np.arange(aligned.pos.shape[1]) * (1.0 if dt is None else dt)
    for value in ordered_values(conditions[color_by].tolist()):
        for var in ordered_values(conditions["pert_var"].astype(str).tolist()):
            mask = (conditions[color_by] == value) & (conditions["pert_var"].astype(str) == var)
            index = conditions.index[mask.to_numpy()].to_numpy()
            if index.size == 0:
                continue
            name = f"{format_value(value)}, {var}"
            for r, variable in enumerate(variables, start=1):
                mean = np.nanmean(aligned.variable(variable)[index], axis=0)
                for c, component in enumerate(_COMPONENTS, start=1):
                    fig.add_trace(go.Scatter(
                        x=x, y=mean[:, _COMPONENTS[component]], mode="lines", name=name,
                        legendgroup=name, showlegend=(r, c) == (1, 1),
                        line={"color": colors[value], "width": 2, "dash": DASHES.get(var, "dot")},
                    ), row=r, col=c)
    fig.add_hline(y=0, line_color=ZERO_LINE_COLOR, line_width=1, row="all", col="all")
    _add_window(fig, start, duration, dt)
    if detail:
        scale = 1.0 if dt is None else dt
        fig.update_xaxes(range=[(start - duration) * scale, (start + 5 * duration) * scale])
    fig.update_xaxes(title_text="Time" if dt is not None else label("t"), row=len(variables))
    return finish_layout(fig, title=title, width=width, height=150 + 250 * len(variables),
                         legend_title=f"{label(color_by)}, {label('pert_var')}")


def share_y_range(figures: Sequence[go.Figure], *, from_zero: bool) -> None:
    """Give all figures the same y range (in place): [0 or the lowest value, the highest] + 5 %."""
    values = [np.asarray(t.y, dtype=float) for fig in figures for t in fig.data if t.y is not None]
    values = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.zeros(0)
    if values.size == 0:
        return
    lo, hi = (min(0.0, values.min()) if from_zero else values.min()), values.max()
    pad = 0.05 * (hi - lo) if hi > lo else 0.05 * max(abs(hi), 1.0)
    for fig in figures:
        fig.update_yaxes(range=[lo if from_zero and lo == 0 else lo - pad, hi + pad])


def with_underlay(fig: go.Figure, underlay: go.Figure, name: str) -> go.Figure:
    """A copy of `fig` with the traces of `underlay` drawn first, pared down to grey violins without points,
    hover or legend entries but one (`name`), so that the reference set shows behind."""
    grey = []
    for i, trace in enumerate(underlay.data):
        trace.update(fillcolor=UNDERLAY_COLOR, line={"color": UNDERLAY_COLOR}, points=False, hoverinfo="skip",
                     meanline={"visible": False}, name=name, legendgroup="underlay", showlegend=i == 0,
                     marker={"color": UNDERLAY_COLOR})
        grey.append(trace)
    return go.Figure(data=[*grey, *fig.data], layout=fig.layout)


def _v(value: object) -> str:
    return format_value(value)


def _middle(values: Sequence[object]) -> object:
    """The middle of the ordered distinct values (the lower middle of an even count)."""
    ordered = ordered_values(values)
    return ordered[(len(ordered) - 1) // 2]


def _lowest_highest(values: Sequence[object]) -> list[object]:
    ordered = ordered_values(values)
    return ordered if len(ordered) <= 2 else [ordered[0], ordered[-1]]


def feedback_figure_set(
    states: pd.DataFrame, measures: pd.DataFrame, *, start: int, duration: int,
    compare: str = "train_std", context: str | None = None, dt: float | None = None,
    measure_names: Sequence[str] = FEEDBACK_MEASURE_NAMES + WINDOW_MEASURE_NAMES,
) -> dict[str, go.Figure]:
    """All feedback-impulse figures of one figure group.

    Arguments:
        states: impulse states of both feedback variables (`impulse_states`), concatenated over
            the group's models with the column `compare`.
        measures: their `feedback_measures` table, with the same extra columns.
        start, duration: the impulse window (control steps).
        compare: the column telling the models apart (e.g. "train_std").
        context: part 2: the context column ("sisu") for the context comparisons; None in part 1
            (then `response_profiles/compare_context_inputs` is not drawn).
        dt: time step for the profile x axes (None: steps).
        measure_names: measures drawn as violins.

    Returns:
        name → figure. Names (v = pert var, i = amplitude rank, a = amplitude, m = measure):
        `example_trial_sets__pert_var-v`; `response_profiles/compare_train_conditions__pert_var-v
        __amp-a`; `response_profiles/compare_pert_vars__amp_index-i` and `…__detail`;
        `response_profiles/compare_context_inputs__<compare>-s__pert_var-v` (second-largest
        amplitude, 500×300) and `aligned_trajectories/compare_impulse_amplitudes__<compare>-s
        __pert_var-v` (part 2: coloured by amplitude, at the middle context value); `performance_measures/all_train_conditions__m__amp_index-i`;
        `performance_measures/lohi_train_conditions__m__amp_index-i`;
        `performance_measures/compare_impulse_amplitudes__m__pert_var-v` (part 2:
        `…__<compare>-s`, legend = context, for the lowest and highest compared value; the
        highest drawn over a grey underlay of the lowest, e.g. σ = 0).
    """
    for table, what in ((states, "states"), (measures, "measures")):
        for column in (compare, "pert_var", "impulse_amp", "impulse_index"):
            check_column(table, column, f"{what} column")
    if context is not None:
        check_column(states, context, "context")
        check_column(measures, context, "context")
    registry = feedback_measures_registry(start, duration)
    window = {"start": start, "duration": duration, "dt": dt}
    figs: dict[str, go.Figure] = {}
    var_of = states["pert_var"].astype(str)
    for var in ordered_values(var_of.tolist()):
        at_var = states[var_of == var]
        figs[f"example_trial_sets__pert_var-{var}"] = example_trial_sets(
            at_var, compare, title=f"{var.capitalize()} impulse, largest amplitude")
        amps = ordered_values(at_var["impulse_amp"].tolist())
        for amp in amps:
            figs[f"response_profiles/compare_train_conditions__pert_var-{var}__amp-{_v(amp)}"] = (
                response_profiles(at_var[at_var["impulse_amp"] == amp], compare, **window,
                                  title=f"{var.capitalize()} impulse {_v(amp)}"))
        if context is not None:
            amp = amps[-2] if len(amps) > 1 else amps[-1]
            at_amp = at_var[at_var["impulse_amp"] == amp]
            for value in ordered_values(at_amp[compare].tolist()):
                figs[f"response_profiles/compare_context_inputs__{compare}-{_v(value)}__pert_var-"
                     f"{var}"] = response_profiles(
                    at_amp[at_amp[compare] == value], context, **window, width=500, height=300,
                    title=f"{label(compare)} {_v(value)}, {var} impulse {_v(amp)}")
            middle = _middle(at_var[context].tolist())
            at_ctx = at_var[at_var[context] == middle]
            for value in ordered_values(at_ctx[compare].tolist()):
                figs[f"aligned_trajectories/compare_impulse_amplitudes__{compare}-{_v(value)}__pert_var-"
                     f"{var}"] = aligned_trajectories(
                    impulse_frame(at_ctx[at_ctx[compare] == value]), "impulse_amp",
                    title=f"{label(compare)} {_v(value)}, {var} impulse, {label(context)} {_v(middle)}")
    lohi = _lowest_highest(states[compare].tolist())
    for i in ordered_values(states["impulse_index"].tolist()):
        sel = states[(states["impulse_index"] == i) & states[compare].isin(lohi)]
        for detail in (False, True):
            figs[f"response_profiles/compare_pert_vars__amp_index-{i}" + ("__detail" * detail)] = (
                pert_var_profiles(sel, compare, **window, detail=detail,
                                  title=f"Amplitude rank {i}" + (" (detail)" * detail)))
    for m in measure_names:
        info = registry.get(m)
        style = {"label": info.label if info else None, "signed": info.signed if info else None}
        rows = measures[measures["measure"] == m]
        for plot_id, subset in (("all_train_conditions", rows),
                                ("lohi_train_conditions", rows[rows[compare].isin(lohi)])):
            group = {}
            for i in ordered_values(subset["impulse_index"].tolist()):
                group[f"performance_measures/{plot_id}__{m}__amp_index-{i}"] = measure_violins(
                    subset[subset["impulse_index"] == i], m, x=compare, color="pert_var",
                    title=f"Amplitude rank {i}", **style)
            share_y_range(list(group.values()), from_zero=not style["signed"])
            figs.update(group)
        for var in ordered_values(rows["pert_var"].astype(str).tolist()):
            at_var = rows[rows["pert_var"].astype(str) == var]
            if context is None:
                fig = measure_violins(at_var, m, x="impulse_amp", color=compare,
                                      title=f"{var.capitalize()} impulse", **style)
                figs[f"performance_measures/compare_impulse_amplitudes__{m}__pert_var-{var}"] = (
                    fig.update_xaxes(title_text=IMPULSE_AMP_LABEL))
                continue
            low_high = _lowest_highest(at_var[compare].tolist())
            for value in low_high:
                fig = measure_violins(
                    at_var[at_var[compare] == value], m, x="impulse_amp", color=context,
                    title=f"{var.capitalize()} impulse, {label(compare)} {_v(value)}", **style,
                ).update_xaxes(title_text=IMPULSE_AMP_LABEL)
                if value != low_high[0]:  # the lowest set (σ = 0) as a grey reference behind
                    under = measure_violins(at_var[at_var[compare] == low_high[0]], m, x="impulse_amp",
                                            color=context, points=False, **style)
                    fig = with_underlay(fig, under, f"{label(compare)} {_v(low_high[0])}")
                figs[f"performance_measures/compare_impulse_amplitudes__{m}__pert_var-{var}__"
                     f"{compare}-{_v(value)}"] = fig
    return figs


def plot_id(name: str) -> str:
    """The SPEC plot id of a `feedback_figure_set` name (the part before the first `__`)."""
    head = name.split("__", 1)[0]
    if head not in PLOT_IDS:
        raise ValueError(f"figure name {name!r}; expected one starting with one of {PLOT_IDS}")
    return head


def figure_names_by_plot_id(figures: Mapping[str, go.Figure]) -> dict[str, list[str]]:
    """Group figure names by their SPEC plot id."""
    out: dict[str, list[str]] = {}
    for name in figures:
        out.setdefault(plot_id(name), []).append(name)
    return out
