"""`readout_norm`: the Frobenius norm of each replicate's readout weights (SPEC §2.12), drawn as
violins across the models of a group."""

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import pandas as pd

from ._interface import AbstractAnalysis, EvaluationPlan


def readout_norm_table(model, included=None) -> pd.DataFrame:
    """‖W_out‖_F per replicate of an ensemble.

    Arguments:
        model: an ensemble whose `readout.weight` has shape (replicate, outputs, hidden).
        included: per-replicate booleans (replicate,); all True when None.

    Returns:
        One row per replicate: `replicate` (int16), `included` (bool), `readout_norm` (float64).
    """
    try:
        weight = np.asarray(model.readout.weight, dtype=np.float64)
    except AttributeError:
        raise ValueError(f"{type(model).__name__} has no readout.weight; expected a controller "
                         "ensemble with a linear readout") from None
    if weight.ndim != 3:
        raise ValueError(f"readout.weight has shape {weight.shape}; expected (replicate, outputs, hidden)")
    n_rep = weight.shape[0]
    inc = np.ones(n_rep, bool) if included is None else np.asarray(included, bool)
    if inc.shape != (n_rep,):
        raise ValueError(f"included has shape {inc.shape}; expected ({n_rep},)")
    return pd.DataFrame({"replicate": np.arange(n_rep, dtype=np.int16), "included": inc,
                         "readout_norm": np.sqrt((weight**2).sum(axis=(1, 2)))})


class ReadoutNorm(AbstractAnalysis):
    """Readout weight norms of every replicate of each selected model: one evaluation
    ("weights") per model, which needs no simulation."""

    name: ClassVar[str] = "readout_norm"
    table_names: ClassVar[tuple[str, ...]] = ("norms",)
    figure_set: ClassVar[str] = "readout_norm"
    keeps_states: ClassVar[bool] = False
    id_stage: ClassVar[str] = "readout_norm"
    id_versions: ClassVar[tuple[str, ...]] = ("readout_norm",)
    figure_versions: ClassVar[tuple[str, ...]] = ("figures", "readout_norm")

    def plan(self, settings: Mapping, model_hps: Mapping) -> list[EvaluationPlan]:
        return [EvaluationPlan("weights", {})]

    def tables(self, model, model_hps, eval_hps, *, included, states) -> dict[str, pd.DataFrame]:
        return {"norms": readout_norm_table(model, included)}

    def summary(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        return {"replicates": int(len(tables["norms"]))}
