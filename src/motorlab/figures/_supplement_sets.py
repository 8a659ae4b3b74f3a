"""Figure sets of the §2.12 supplements (`motorlab.analysis._supplements`).

* `network_basic`: weight distributions (input, recurrent, readout) by training condition and by
  replicate, and per member model the training loss of every term and replicate, with each
  replicate's kept (best) iteration starred and excluded replicates dashed;
* `tangling`: distributions of log10 tangling Q(t) by SISU (legend train std, one per amplitude) and by
  train std (legend amplitude), with statistics tables (lowest vs highest train std; SISU
  extremes) Holm-corrected across the set.

Violins hold at most `MAX_POINTS` values per (x, legend) group (evenly thinned, reproducibly), so
that figures of many weights or many time points stay small; statistics use every value.
"""

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._loss_terms import loss_terms_history
from ._training import member_histories
from ._network import weight_violins
from ._sets import compare_column, get_key, tag
from ._stats_sets import Comparison, stats_figures
from ._style import format_value, ordered_values
from ._violin_sets import tangling_violins

MAX_POINTS: Final = 4000


def thin(table: pd.DataFrame, by: Sequence[str], n: int = MAX_POINTS) -> pd.DataFrame:
    """At most `n` rows per group of the `by` columns, evenly spaced within each group."""
    keep = np.zeros(len(table), bool)
    for index in table.reset_index(drop=True).groupby(list(by), dropna=False, sort=False).indices.values():
        keep[index[np.unique(np.linspace(0, index.size - 1, min(n, index.size)).round().astype(int))]] = True
    return table[keep]


def _column(group: Mapping) -> str:
    compare = list(group["compare"])
    return compare_column(compare[0]) if compare else "model"


def _tagged(frames, models, group) -> pd.DataFrame:
    table = tag(list(frames), [m["hps"] for m in models], list(group["compare"]))
    if not group["compare"]:
        table["model"] = 0
    return table


def loss_term_figures(models: Sequence[Mapping], compare: Sequence[str]) -> dict[str, go.Figure]:
    """Per member model with a `_history.npz`, the loss of every term and replicate."""
    figs = {}
    for m, history in member_histories(models):
        reps = m["replicates"]
        tag_ = "__".join(f"{compare_column(k)}-{format_value(float(get_key(m['hps'], k)))}" for k in compare)
        figs["training_loss_terms" + (f"__{tag_}" if tag_ else "")] = loss_terms_history(
            history, reps["best_iteration"], reps["included"],
            title=" ".join(f"{k} = {get_key(m['hps'], k)}" for k in compare) or None)
    return figs


def network_basic_figures(tables, models, group) -> dict[str, go.Figure]:
    """Weight distributions by condition and by replicate, and the loss-term histories."""
    column = _column(group)
    weights = thin(_tagged(tables["weights"], models, group), [column, "replicate", "layer"])
    figs = {f"weights_by_{by}": weight_violins(weights, column=column, by=by,
                                               title=f"Weights by {by} (≤ {MAX_POINTS} per violin shown)")
            for by in ("condition", "replicate")}
    figs.update(loss_term_figures(models, list(group["compare"])))
    return figs


def tangling_figures(tables, models, group) -> dict[str, object]:
    """Tangling violins by SISU and by train condition, and their statistics tables."""
    column = _column(group)
    table = _tagged(tables["tangling"], models, group)
    figs: dict[str, object] = {}
    has_sisu = bool(np.isfinite(table["sisu"].to_numpy(float)).any())
    # Q spans many decades (ε = 1e-6 makes near-repeated states with different flows huge):
    # the violins show log10 Q; the statistics use Q itself
    logq = table.assign(log_tangling=np.log10(np.maximum(table["tangling"].to_numpy(float), 1e-300)))
    options = {"value_col": "log_tangling", "label": "log<sub>10</sub> tangling (1 / time²)", "signed": True}
    for amp in ordered_values(table["pert_amp"].tolist()):
        at = logq[logq["pert_amp"] == amp]
        if has_sisu:
            figs[f"tangling_by_sisu__amp-{format_value(amp)}"] = tangling_violins(
                thin(at, ["sisu", column]), x="sisu", color=column, title=f"Field amplitude {format_value(amp)}",
                **options)
    figs["tangling_by_train"] = tangling_violins(thin(logq, [column, "pert_amp"]), x=column, color="pert_amp",
                                                 **options)
    long = table.assign(measure="tangling", value=table["tangling"].to_numpy(float))
    values = ordered_values(table[column].tolist())
    comparisons = []
    if len(values) >= 2:
        comparisons.append(Comparison(column, values[0], values[-1], ("pert_amp", "sisu") if has_sisu else ("pert_amp",)))
    if has_sisu:
        sisus = ordered_values(table["sisu"].tolist())
        comparisons.append(Comparison("sisu", sisus[0], sisus[-1], ("pert_amp", column)))
    figs.update(stats_figures(long, comparisons, ["tangling"]))
    return figs
