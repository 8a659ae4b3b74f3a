"""Weights of trained GRU ensembles as tables (SPEC §2.12 "network basic", readout norms).

A replicate ensemble (`motorlab.sim.GRUController` with a leading replicate axis) holds the input
weights `cell.weight_ih` (replicate, 3·H, inputs), the recurrent weights `cell.weight_hh`
(replicate, 3·H, H) and the readout `readout.weight` (replicate, 2, H). The GRU stacks its three
gates (reset, update, candidate) along the first matrix axis.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd
from jaxtyping import Float


LAYERS: Final = ("input", "recurrent", "readout")
LAYER_LABELS: Final = {"input": "Input weights", "recurrent": "Recurrent weights",
                       "readout": "Readout weights"}


def network_weights(ensemble) -> dict[str, Float[np.ndarray, "replicate ..."]]:
    """The input, recurrent and readout weight arrays of a GRU replicate ensemble.

    Arguments:
        ensemble: a model with `cell.weight_ih`, `cell.weight_hh` and `readout.weight`, each with
            a leading replicate axis (a `GRUController` ensemble).

    Returns:
        {"input": (replicate, 3H, inputs), "recurrent": (replicate, 3H, H),
        "readout": (replicate, 2, H)} as float64 numpy arrays.
    """
    try:
        arrays = {"input": ensemble.cell.weight_ih, "recurrent": ensemble.cell.weight_hh,
                  "readout": ensemble.readout.weight}
    except AttributeError as error:
        raise ValueError(f"{type(ensemble).__name__} has no {error.name!r}; expected a GRU ensemble "
                         "with cell.weight_ih, cell.weight_hh and readout.weight") from error
    out = {name: np.asarray(a, dtype=np.float64) for name, a in arrays.items()}
    n_rep = {a.shape[0] for a in out.values() if a.ndim == 3}
    if len(n_rep) != 1 or any(a.ndim != 3 for a in out.values()):
        raise ValueError(f"weight shapes {[a.shape for a in out.values()]}; expected 3-D arrays "
                         "with one leading replicate axis of the same length")
    return out


def _as_weights(model) -> dict[str, np.ndarray]:
    if isinstance(model, Mapping):
        missing = [layer for layer in LAYERS if layer not in model]
        if missing:
            raise ValueError(f"weights lack layers {missing}; expected keys {list(LAYERS)}")
        return {layer: np.asarray(model[layer], dtype=np.float64) for layer in LAYERS}
    return network_weights(model)


def weights_table(models: Mapping[object, object], column: str = "train_std",
                  included: Mapping[object, object] | None = None) -> pd.DataFrame:
    """Every weight of several ensembles as one long table.

    Arguments:
        models: condition value (e.g. a train std) → GRU ensemble, or → the dict of
            `network_weights`.
        column: name of the condition column.
        included: optional condition value → per-replicate booleans (post-training selection).

    Returns:
        One row per weight: `column`, `replicate` (int16), `included` (bool), `layer`
        ("input", "recurrent", "readout") and `value` (float64).
    """
    parts = []
    for value, model in models.items():
        weights = _as_weights(model)
        n_rep = weights["readout"].shape[0]
        inc = np.ones(n_rep, bool) if included is None else np.asarray(included[value], bool)
        if inc.shape != (n_rep,):
            raise ValueError(f"included[{value!r}] has shape {inc.shape}; expected ({n_rep},)")
        for layer in LAYERS:
            w = weights[layer].reshape(n_rep, -1)
            rep = np.repeat(np.arange(n_rep, dtype=np.int16), w.shape[1])
            parts.append(pd.DataFrame({column: value, "replicate": rep, "included": inc[rep],
                                       "layer": layer, "value": w.reshape(-1)}))
    if not parts:
        raise ValueError("models is empty; expected at least one ensemble")
    return pd.concat(parts, ignore_index=True)


def readout_norms(models: Mapping[object, object], column: str = "train_std",
                  included: Mapping[object, object] | None = None) -> pd.DataFrame:
    """Frobenius norm ‖W_out‖_F of each replicate's readout, one row per model × replicate.

    Arguments and columns as in `weights_table`, with `value` the norm (and `layer` "readout").
    """
    table = weights_table(models, column, included)
    table = table[table["layer"] == "readout"]
    norms = (table.assign(value=table["value"] ** 2)
             .groupby([column, "replicate", "included", "layer"], sort=False, observed=True)["value"]
             .sum().pow(0.5).reset_index())
    return norms
