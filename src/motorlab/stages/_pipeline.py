"""Thin entry points for each workflow stage.

Snakemake's scripts (and the `motorlab` CLI) call these; each reads its inputs, calls the
library, and writes its products atomically with a JSON sidecar (the catalogue's source of truth).
"""

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import jax
import numpy as np

from ._figures import figures as figures, fixed_point_figures as fixed_point_figures
from ._fixed_points import fixed_points as fixed_points
from ..store._model_files import atomic_write, load_model_file, provenance, relative_path, save_model_file, write_json
from ..store._tables import read_table, write_table
from ..train._loop import train_ensemble



def train(hps: Mapping, *, model_id: str, part: str, model_path, sidecar_path, history_path,
          progress: bool = True) -> dict:
    """Train one model (an ensemble) and write its `.eqx`, `_history.npz` and `.json` sidecar.

    Returns:
        The sidecar record.
    """
    result = train_ensemble(hps, progress=progress)
    save_model_file(model_path, result.ensemble, hps, result.info, model_id=model_id)
    _write_history(history_path, result)
    record = {"kind": "model", "id": model_id, "part": part, "hps": hps, "path": relative_path(model_path),
              "history_path": relative_path(history_path), "replicates": result.info, **provenance()}
    write_json(sidecar_path, record)
    return record


def _write_history(path, result) -> None:
    """Loss history per term (n_batches, R) and the parameter snapshots (S, R, …) as .npz."""
    arrays = {f"loss/{k}": v for k, v in result.history.items()}
    arrays["saved_iterations"] = np.asarray(result.saved_iterations)
    if result.snapshots:
        leaves_by_snapshot = [jax.tree_util.tree_flatten_with_path(s)[0] for s in result.snapshots]
        for i, (kpath, _) in enumerate(leaves_by_snapshot[0]):
            name = jax.tree_util.keystr(kpath)
            arrays[f"params/{name}"] = np.stack([np.asarray(snap[i][1]) for snap in leaves_by_snapshot])
    with atomic_write(path) as f:
        np.savez_compressed(f, **arrays)


def evaluate(model_path, evaluation: Mapping, *, states_path, sidecar_path, measures_path=None) -> dict:
    """Evaluate a model file on one evaluation (see `motorlab.config.Evaluation`).

    Arguments:
        model_path: the model's `.eqx`.
        evaluation: `{"eval_id", "model_id", "part", "analysis", "variant", "hps"}`.
        states_path: Parquet output (states table).
        sidecar_path: JSON sidecar output.
        measures_path: where the measures stage writes this evaluation's measures (recorded in
            the sidecar; default `<states folder>/../measures/<same name>`).
    """
    from ..analysis._evaluate import evaluate as run_evaluation

    if measures_path is None:
        measures_path = Path(states_path).parents[1] / "measures" / Path(states_path).name
    ensemble, header = load_model_file(model_path)
    ev = run_evaluation(ensemble, header["hps"], evaluation["hps"], included=header["replicates"]["included"])
    write_table(ev.to_frame(), states_path, metadata={"eval_id": evaluation["eval_id"],
                                                       "model_id": evaluation["model_id"]})
    record = {"kind": "evaluation", "id": evaluation["eval_id"], "part": evaluation["part"],
              "analysis": evaluation["analysis"], "variant": evaluation["variant"],
              "hps": evaluation["hps"], "model_ids": [evaluation["model_id"]],
              "model_hps": header["hps"], "path": relative_path(states_path),
              "paths": [relative_path(states_path), relative_path(measures_path)], **provenance()}
    write_json(sidecar_path, record)
    return record


def measures(states_path, *, measures_path, names: Sequence[str] | None = None) -> None:
    """Compute the measure set of an evaluation's states and write it (long format Parquet).

    Arguments:
        states_path: the evaluation's states table.
        measures_path: the Measures table written.
        names: the measures wanted: names of `motorlab.analysis.MEASURES`, and
            "output_correlation" for the per-trial output correlation that the evaluation stored
            in the states table (computed from hidden states that are never written, so it is
            merged here, not recomputed); None for all of them (output correlation when the
            states table has it).
    """
    import pandas as pd

    from ..analysis import compute_measures

    states = read_table(states_path)
    corr = states.pop("output_correlation") if "output_correlation" in states.columns else None
    want_corr = names is None or "output_correlation" in names
    if names is not None and want_corr and corr is None:
        raise ValueError(f"measure 'output_correlation' asked for, but the states table {states_path} has no "
                         "'output_correlation' column; expected one written by the evaluation stage")
    kinematic = None if names is None else [n for n in names if n != "output_correlation"]
    table = compute_measures(states, kinematic)
    if corr is not None and want_corr:
        table = pd.concat([table, _trial_value_rows(states, corr, "output_correlation", table.columns)],
                          ignore_index=True)
    write_table(table, measures_path)


def _trial_value_rows(states, values, measure: str, columns):
    """Measure rows of a per-trial value stored in the states table (repeated over t): one row per
    trial, with the Measures table's identifying `columns`."""
    at_start = (states["t"] == 0).to_numpy()
    rows = states.loc[at_start, [c for c in columns if c not in ("measure", "value")]].reset_index(drop=True)
    rows["measure"] = measure
    rows["value"] = values[at_start].to_numpy(dtype="float64")
    return rows[list(columns)]


def finish_part(part: str, sidecars: Sequence[str | os.PathLike], *, manifest_path, results_dir="results",
                catalog_path=None) -> dict:
    """Write the part's manifest (every product and its identity) and fold every sidecar under
    `results_dir` into the catalogue.

    Run it on one host only (a Snakemake local rule): the catalogue is written under a lock.
    """
    import fcntl
    import json

    products = []
    for s in sorted(map(str, sidecars)):
        if not s.endswith(".json"):  # a product without a sidecar (measures): named by its identity
            kind = Path(s).parent.name
            products.append({"kind": kind, "id": Path(s).stem, "sidecar": None, "paths": [relative_path(s)]})
            continue
        rec = json.loads(Path(s).read_text())
        paths = rec.get("paths") or [rec.get("path")]
        products.append({"kind": rec["kind"], "id": rec["id"], "sidecar": relative_path(s),
                         "paths": [p for p in paths if p]})
    counts = {k: sum(p["kind"] == k for p in products) for k in sorted({p["kind"] for p in products})}
    manifest = {"part": part, "counts": counts, "products": products, **provenance()}
    if catalog_path is not None:
        from ..store._catalog import fold_sidecars

        lock = Path(catalog_path).with_suffix(".lock")
        lock.parent.mkdir(parents=True, exist_ok=True)
        with open(lock, "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            fold_sidecars(results_dir, catalog_path)
        manifest["catalog"] = relative_path(catalog_path)
    write_json(manifest_path, manifest)
    return manifest

