"""The `readout_norm` figure set: readout weight norms across replicates, one violin per model."""

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from ._network import readout_norm_violins
from ._sets import compare_column, tag
from ._stats_sets import Comparison, stats_figures
from ._style import ordered_values


def readout_norm_figures(tables: Mapping[str, Sequence[pd.DataFrame]], models: Sequence[Mapping],
                         group: Mapping) -> dict[str, object]:
    """One violin + strip figure of ‖W_out‖_F per replicate, x = the group's first compared key,
    and a statistics table of the lowest vs the highest value of that key.

    Arguments:
        tables: `{"norms": [one `readout_norm` table per member]}` (columns replicate, included,
            readout_norm).
        models: the members' model sidecars (`hps`), in member order.
        group: the figure group (`compare`: dotted keys the members differ in).
    """
    compare = list(group["compare"])
    norms = tag(list(tables["norms"]), [m["hps"] for m in models], compare)
    norms = norms.rename(columns={"readout_norm": "value"})
    if compare:
        column = compare_column(compare[0])
    else:
        column = "model"
        norms[column] = 0
    figs: dict[str, object] = {
        "readout_norm": readout_norm_violins(norms, column=column, title="Readout norm by replicate")}
    values = ordered_values(norms[column].tolist())
    if len(values) >= 2:  # lowest vs highest condition, over replicates (SPEC §2.12 statistics)
        figs.update(stats_figures(norms.assign(measure="readout_norm"), [Comparison(column, values[0], values[-1])],
                                  ["readout_norm"]))
    return figs
