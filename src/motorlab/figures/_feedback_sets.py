"""The figure sets of the `feedback_perts` and `freq_response` analyses (see
`motorlab.figures._registry`): the members' tables tagged with the compared keys, then
`feedback_figure_set` and `bode_figure_set`."""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._bode import bode_figure_set
from ._feedback import feedback_figure_set
from ._sets import compare_column, tag


def _tagged(frames: Sequence[pd.DataFrame], models: Sequence[Mapping], compare: Sequence[str]) -> tuple[pd.DataFrame, str]:
    """The members' tables concatenated with a column per compared key, and the column the
    figures compare (`model`, numbering the members, when the group compares nothing)."""
    table = tag(list(frames), [m["hps"] for m in models], compare)
    if compare:
        return table, compare_column(compare[0])
    sizes = [len(f) for f in frames]
    return table.assign(model=np.repeat(np.arange(len(frames)), sizes)), "model"


def _window(table: pd.DataFrame) -> tuple[int, int]:
    """The impulse window (control steps) recorded in a `feedback_perts` table; one per group."""
    window = table[["impulse_start", "impulse_duration"]].drop_duplicates()
    if len(window) != 1:
        raise ValueError(f"the group's tables have impulse windows {window.to_dict('records')}; "
                         "expected one (start, duration) across the members")
    start, duration = window.iloc[0]
    return int(start), int(duration)


def feedback_perts_figures(tables: Mapping[str, Sequence[pd.DataFrame]], models: Sequence[Mapping],
                           group: Mapping) -> dict[str, go.Figure]:
    """The SPEC §2.3 / §2.7 figures of a `feedback_perts` group (`feedback_figure_set`): colour =
    the group's first compared key (train σ); in part 2 also the context (SISU) comparisons.

    Arguments:
        tables: `{"responses": [...], "measures": [...]}`, one table per member.
        models: the members' model sidecars (`hps`), in member order.
        group: the figure group (`compare`).
    """
    compare = list(group["compare"])
    responses, column = _tagged(tables["responses"], models, compare)
    measures, _ = _tagged(tables["measures"], models, compare)
    start, duration = _window(responses)
    hps = models[0]["hps"]
    return feedback_figure_set(responses, measures, start=start, duration=duration, compare=column,
                               context="sisu" if int(hps["part"]) == 2 else None, dt=float(hps["plant"]["dt"]))


def freq_response_figures(tables: Mapping[str, Sequence[pd.DataFrame]], models: Sequence[Mapping],
                          group: Mapping) -> dict[str, go.Figure]:
    """Bode gain and phase of a `freq_response` group (SPEC §2.4): one curve per compared value,
    one figure per feedback variable × axis (× context value, `__sisu-s`, when a part-2 group
    has several).

    Arguments:
        tables: `{"response": [...]}`, one `frequency_response_table` per member.
    """
    response, column = _tagged(tables["response"], models, list(group["compare"]))
    contexts = response["sisu"].drop_duplicates().tolist()
    if len(contexts) <= 1:
        return bode_figure_set(response, color_by=column)
    figs = {}
    for s in contexts:
        for name, fig in bode_figure_set(response[response["sisu"] == s], color_by=column).items():
            figs[f"{name}__sisu-{float(s):g}"] = fig
    return figs
