"""The `eigvec_stim` figure set (seed §5.6): per probe kind (Jacobian eigenvectors, random
directions, top units of the least stable mode, random unit sets), the force change and the
corrective cosine of hidden-state perturbations at steady-state fixed points.

Every replicate, hold position and SISU value is a point; the members of a group (e.g. training
σ values) are separate traces.
"""

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from ._sets import compare_column, tag
from ._style import finish_layout, format_value

LABELS = {"force_change": "Mean ‖ΔF‖", "corrective_cosine": "cos(ΣΔF late, −Δp mid)", "displacement": "Max ‖Δp‖"}
ORDER = ("least_stable", "oscillatory", "most_stable", "random", "top_units", "random_units")


def probe_boxes(stim: pd.DataFrame, column: str) -> go.Figure:
    """Box plots of each measure of `LABELS` by probe kind, one trace per value of `column`."""
    kinds = [k for k in ORDER if k in set(stim["probe"])]
    fig = make_subplots(rows=1, cols=len(LABELS), subplot_titles=list(LABELS.values()))
    for i, (value, g) in enumerate(stim.groupby(column)):
        color = qualitative.Plotly[i % len(qualitative.Plotly)]  # one colour per member in every panel
        for j, m in enumerate(LABELS):
            fig.add_trace(go.Box(x=g["probe"], y=g[m], name=f"{column} = {format_value(value)}", marker_color=color,
                                 legendgroup=str(value), showlegend=j == 0, boxpoints="all"), row=1, col=j + 1)
    fig.update_xaxes(categoryorder="array", categoryarray=kinds)
    fig.update_layout(boxmode="group")
    return finish_layout(fig, title="Hidden-state perturbations along Jacobian eigenvectors",
                         width=380 * len(LABELS) + 80, height=420, legend_title="")


def eigvec_stim_figures(tables: Mapping[str, Sequence[pd.DataFrame]], models: Sequence[Mapping],
                        group: Mapping) -> dict[str, go.Figure]:
    """One figure: `probe_boxes` of the group's included replicates."""
    hps = [m["hps"] for m in models]
    compare = list(group["compare"])
    column = compare_column(compare[0]) if compare else "model"
    stim = tag(list(tables["stim"]), hps, compare)
    if not compare:
        stim[column] = 0
    stim = stim[stim["included"]]
    return {"probe_kinds": probe_boxes(stim, column)}
