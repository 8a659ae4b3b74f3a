"""Centre-out trial sets in the world frame (SPEC §2.2 `center_out_sets`).

Three panels (position, velocity, control force), each drawing y against x, one curve per trial.
Three variants:

* "best_replicate": every evaluation repeat of the best replicate, coloured by reach direction;
* "single": one evaluation repeat of one replicate, markers + lines, coloured by reach direction;
* "all_replicates": one evaluation repeat of every (included) replicate, coloured by replicate.

Reach directions use the cyclic `phase` scale, replicates the cyclic `twilight` scale sampled
half a step off its ends (`replicate_colors`), since twilight starts and ends near white.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

import numpy as np
import pandas as pd
import plotly.colors as pc
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..analysis._align import trial_arrays
from ._groups import check_column, group_indices
from ._hover import axis_refs, joined_curves
from ._style import VARIABLE_LABELS, colors_for, finish_layout, format_value, label, match_axes

VARIANTS: Final = ("best_replicate", "single", "all_replicates")
HOVER: Final = ("eval", "replicate", "condition", "direction")
Variant = Literal["best_replicate", "single", "all_replicates"]


def replicate_colors(values) -> dict[object, str]:
    """Replicate → colour of the cyclic `twilight` scale at (i + ½) / n, avoiding its white ends."""
    ordered = sorted(set(values))
    scale = pc.make_colorscale(pc.cyclical.Twilight)
    positions = [(i + 0.5) / len(ordered) for i in range(len(ordered))]
    return dict(zip(ordered, pc.sample_colorscale(scale, positions)))


def _best(conditions: pd.DataFrame, replicate: int | None) -> int:
    if replicate is not None:
        return int(replicate)
    if "best_replicate" not in conditions.columns:
        raise ValueError("replicate=None needs a 'best_replicate' column (see figures._sets.tag); "
                         f"got columns {list(conditions.columns)}; or pass replicate=")
    best = pd.unique(conditions.loc[conditions["best_replicate"].to_numpy(bool), "replicate"])
    if best.size != 1:
        raise ValueError(f"the 'best_replicate' rows name replicates {best.tolist()}; expected exactly "
                         "one (select one model's rows first)")
    return int(best[0])


def _selected(conditions: pd.DataFrame, variant: str, eval_: int, replicate: int | None,
              included_only: bool) -> np.ndarray:
    if variant not in VARIANTS:
        raise ValueError(f"variant={variant!r}; expected one of {list(VARIANTS)}")
    keep = np.ones(len(conditions), bool)
    if variant != "best_replicate":
        if eval_ not in set(conditions["eval"].tolist()):
            raise ValueError(f"eval={eval_!r}; expected one of {sorted(set(conditions['eval'].tolist()))}")
        keep &= conditions["eval"].to_numpy() == eval_
    if variant != "all_replicates":
        rep = _best(conditions, replicate)
        if rep not in set(conditions["replicate"].tolist()):
            raise ValueError(f"replicate={rep!r}; expected one of "
                             f"{sorted(set(conditions['replicate'].tolist()))}")
        keep &= conditions["replicate"].to_numpy() == rep
    elif included_only and "included" in conditions.columns:
        keep &= conditions["included"].to_numpy(bool)
    if not keep.any():
        raise ValueError(f"no trials left for variant={variant!r}, eval={eval_!r}, replicate={replicate!r}")
    return np.flatnonzero(keep)


def center_out(
    states: pd.DataFrame,
    *,
    variant: Variant = "best_replicate",
    eval_: int = 0,
    replicate: int | None = None,
    variables: Sequence[str] = ("pos", "vel", "force"),
    included_only: bool = True,
    title: str | None = None,
    width: int = 900,
    height: int = 350,
) -> go.Figure:
    """One centre-out trial set: world-frame y against x, one panel per variable.

    Arguments:
        states: a states table of ONE model at ONE evaluation amplitude (and SISU).
        variant: "best_replicate", "single" or "all_replicates" (module docstring).
        eval_: the evaluation repeat of "single" and "all_replicates".
        replicate: the replicate of "best_replicate" and "single"; None: the replicate marked
            by the `best_replicate` column.
        variables: panels, from "pos", "vel", "force".
        included_only: "all_replicates" leaves out replicates excluded by post-training selection.
        title: figure title.
        width, height: figure size in px.

    Returns:
        Per colour group (direction, or replicate for "all_replicates") and panel, one trace of
        its trials joined with gaps, hover naming eval, replicate, condition and direction; on
        the position panel, a last trace marking starts (open) and goals (filled).
    """
    bad = [v for v in variables if v not in VARIABLE_LABELS]
    if bad or not variables:
        raise ValueError(f"variables={list(variables)}; expected some of {list(VARIABLE_LABELS)}")
    arrays, conditions = trial_arrays(states)
    for column in ("eval", "replicate", "direction"):
        check_column(conditions, column, "states column")
    chosen = _selected(conditions, variant, eval_, replicate, included_only)
    color_by = "replicate" if variant == "all_replicates" else "direction"
    sub = conditions.iloc[chosen].reset_index(drop=True)
    groups = group_indices(sub[color_by])
    values = [value for value, _ in groups]
    colors = replicate_colors(values) if color_by == "replicate" else colors_for(color_by, values)
    mode = "lines+markers" if variant == "single" else "lines"
    fig = make_subplots(rows=1, cols=len(variables), horizontal_spacing=0.09,
                        subplot_titles=[VARIABLE_LABELS[v] for v in variables])
    for value, index in groups:
        name = format_value(value)
        for col, variable in enumerate(variables, start=1):
            curves = getattr(arrays, variable)[chosen[index]]
            xy, data, template = joined_curves(curves, sub.iloc[index], HOVER)
            fig.add_trace(go.Scatter(
                x=xy[:, 0], y=xy[:, 1], mode=mode, name=name, legendgroup=name, showlegend=col == 1,
                line={"color": colors[value], "width": 1.5}, marker={"size": 4, "color": colors[value]},
                customdata=data, hovertemplate=template, **axis_refs(col)))
    if "pos" in variables:
        ends = np.unique(np.concatenate([arrays.start[chosen], arrays.goal[chosen]]), axis=0)
        is_start = (ends[:, None] == arrays.start[chosen][None]).all(-1).any(1)
        fig.add_trace(go.Scatter(
            x=ends[:, 0], y=ends[:, 1], mode="markers", name="Start/goal", showlegend=False,
            marker={"symbol": np.where(is_start, "circle-open", "circle"), "size": 8, "color": "black"},
            hoverinfo="skip", **axis_refs(list(variables).index("pos") + 1)))
    for col, _ in enumerate(variables, start=1):
        fig.update_xaxes(title_text="x", row=1, col=col)
        fig.update_yaxes(title_text="y", scaleanchor=axis_refs(col)["xaxis"], scaleratio=1,
                         row=1, col=col)
    return finish_layout(fig, title=title, width=width, height=height, legend_title=label(color_by))


def center_out_sets(
    states: pd.DataFrame,
    *,
    variant: Variant = "best_replicate",
    train_column: str = "train_std",
    match: bool = True,
    **kwargs,
) -> dict[str, go.Figure]:
    """`center_out` for every (train condition, evaluation amplitude) of a tagged states table.

    Arguments:
        states: states of the models of a group, concatenated with a `train_column` column
            (figures._sets.tag), for one SISU value in part 2.
        variant: as in `center_out`.
        train_column: the column telling the models apart.
        match: give all figures the same axis ranges per panel.
        **kwargs: passed to `center_out` (eval_, replicate, variables, sizes).

    Returns:
        name → figure, names `center_out_<variant>__<train_column>-<v>__amp-<a>`.
    """
    check_column(states, train_column, "train_column")
    figs = {}
    for train in sorted(states[train_column].unique()):
        of_model = states[states[train_column] == train]
        for amp in sorted(of_model["pert_amp"].unique()):
            sel = of_model[of_model["pert_amp"] == amp]
            name = f"center_out_{variant}__{train_column}-{format_value(train)}__amp-{format_value(amp)}"
            figs[name] = center_out(sel, variant=variant, title=(
                f"{label(train_column).replace('<br>', ' ')} {format_value(train)}, "
                f"field amplitude {format_value(amp)}"), **kwargs)
    if match:
        match_axes(figs)
    return figs
