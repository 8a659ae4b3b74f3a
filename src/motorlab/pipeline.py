"""Thin entry points for each workflow stage.

Snakemake's scripts (and the `motorlab` CLI) call these; each reads its inputs, calls the
library, and writes its products atomically with a JSON sidecar (the catalogue's source of truth).
"""

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import jax
import numpy as np

from ._io import atomic_write, load_model_file, provenance, save_model_file, write_json
from ._states import read_table, write_table
from ._training import train_ensemble


def _rel(path) -> str:
    return os.path.relpath(path)


def train(hps: Mapping, *, model_id: str, part: str, model_path, sidecar_path, history_path,
          progress: bool = True) -> dict:
    """Train one model (an ensemble) and write its `.eqx`, `_history.npz` and `.json` sidecar.

    Returns:
        The sidecar record.
    """
    result = train_ensemble(hps, progress=progress)
    save_model_file(model_path, result.ensemble, hps, result.info, model_id=model_id)
    _write_history(history_path, result)
    record = {"kind": "model", "id": model_id, "part": part, "hps": hps, "path": _rel(model_path),
              "history_path": _rel(history_path), "replicates": result.info, **provenance()}
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


def evaluate(model_path, evaluation: Mapping, *, states_path, sidecar_path) -> dict:
    """Evaluate a model file on one evaluation (see `motorlab.config.Evaluation`).

    Arguments:
        model_path: the model's `.eqx`.
        evaluation: `{"eval_id", "model_id", "part", "analysis", "variant", "hps"}`.
        states_path: Parquet output (states table).
        sidecar_path: JSON sidecar output.
    """
    from ._evaluate import evaluate as run_evaluation

    ensemble, header = load_model_file(model_path)
    ev = run_evaluation(ensemble, header["hps"], evaluation["hps"], included=header["replicates"]["included"])
    write_table(ev.to_frame(), states_path, metadata={"eval_id": evaluation["eval_id"],
                                                       "model_id": evaluation["model_id"]})
    record = {"kind": "evaluation", "id": evaluation["eval_id"], "part": evaluation["part"],
              "analysis": evaluation["analysis"], "variant": evaluation["variant"],
              "hps": evaluation["hps"], "model_ids": [evaluation["model_id"]],
              "model_hps": header["hps"], "path": _rel(states_path), **provenance()}
    write_json(sidecar_path, record)
    return record


def measures(states_path, *, measures_path, names: Sequence[str] | None = None) -> None:
    """Compute the measure set of an evaluation's states (long format Parquet)."""
    import pandas as pd

    from ._measures import compute_measures

    states = read_table(states_path)
    corr = states.pop("output_correlation") if "output_correlation" in states else None
    table = compute_measures(states, names)
    if corr is not None and (names is None or "output_correlation" in names):
        # One value per trial (computed from hidden states at evaluation time), as measure rows.
        first = states.assign(value=corr.astype("float64"))[states["t"] == 0]
        keep = [c for c in table.columns if c in first.columns and c not in ("measure", "value")]
        rows = first[keep + ["value"]].assign(measure="output_correlation")
        table = pd.concat([table, rows[table.columns]], ignore_index=True)
    write_table(table, measures_path)


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
            products.append({"kind": kind, "id": Path(s).stem, "sidecar": None, "paths": [_rel(s)]})
            continue
        rec = json.loads(Path(s).read_text())
        paths = rec.get("paths") or [rec.get("path")]
        products.append({"kind": rec["kind"], "id": rec["id"], "sidecar": _rel(s),
                         "paths": [p for p in paths if p]})
    counts = {k: sum(p["kind"] == k for p in products) for k in sorted({p["kind"] for p in products})}
    manifest = {"part": part, "counts": counts, "products": products, **provenance()}
    if catalog_path is not None:
        from ._catalog import fold_sidecars

        lock = Path(catalog_path).with_suffix(".lock")
        lock.parent.mkdir(parents=True, exist_ok=True)
        with open(lock, "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            fold_sidecars(results_dir, catalog_path)
        manifest["catalog"] = _rel(catalog_path)
    write_json(manifest_path, manifest)
    return manifest


def figures(group: Mapping, *, states_paths: Sequence, measures_paths: Sequence, model_sidecars: Sequence,
            out_dir, sidecar_path, part: str, formats: Sequence[str] = ("html", "png")) -> dict:
    """Build and write the behaviour figures of one figure group, with one sidecar per figure.

    Arguments:
        group: `{"group_id", "label", "compare", "variant", "eval_ids"}` (a `FigureGroup`).
        states_paths, measures_paths, model_sidecars: the members' products, in member order.
        out_dir: folder for the figure files (HTML + static images, one shared plotly.min.js).
        sidecar_path: the group's JSON record listing every figure.
    """
    import json

    from . import figures as mf
    from ._figure_sets import build_group_figures, figure_params
    from .config import STAGE_VERSIONS, identity

    models = [json.loads(Path(p).read_text()) for p in model_sidecars]
    hps = [m["hps"] for m in models]
    from ._figure_sets import tag

    states = tag([read_table(p) for p in states_paths], hps, group["compare"])
    meas = tag([read_table(p) for p in measures_paths], hps, group["compare"])
    part_n = int(hps[0]["part"])
    figs = build_group_figures(states, meas, variant=group["variant"], compare=group["compare"],
                               part=part_n, dt=float(hps[0]["plant"]["dt"]))
    if group["variant"] != "small":
        figs.update(_loss_figures(models, group["compare"]))
    written = mf.write_figures(figs, out_dir, formats=formats)
    records = []
    for name, paths in written.items():
        fig_id = identity({"stage": "figures", "version": STAGE_VERSIONS["figures"],
                           "group": group["group_id"], "figure": name})
        rec = {"kind": "figure", "id": fig_id, "part": part, "figure": name.split("__")[0],
               "name": name, "params": figure_params(name), "group": group["label"],
               "paths": [_rel(p) for p in paths], "eval_ids": list(group["eval_ids"]),
               "model_ids": [m["id"] for m in models], "hps": {"compare": list(group["compare"])},
               **provenance()}
        write_json(Path(out_dir) / f"{name}.json", rec)
        records.append({"id": fig_id, "name": name, "paths": rec["paths"]})
    summary = {"kind": "figure_set", "id": group["group_id"], "part": part, "label": group["label"],
               "variant": group["variant"], "compare": list(group["compare"]),
               "eval_ids": list(group["eval_ids"]), "model_ids": [m["id"] for m in models],
               "figures": records, "paths": [p for r in records for p in r["paths"]], **provenance()}
    write_json(sidecar_path, summary)
    return summary


def _loss_figures(models: Sequence[Mapping], compare: Sequence[str]) -> dict:
    """One training-loss figure per member model, from its `_history.npz`."""
    from . import figures as mf
    from ._figure_sets import _get, compare_column

    figs = {}
    for m in models:
        path = m.get("history_path")
        if not path or not Path(path).exists():
            continue
        with np.load(path) as f:
            history = {k.removeprefix("loss/"): f[k] for k in f.files if k.startswith("loss/")}
        reps = m["replicates"]
        tag = "__".join(f"{compare_column(k)}-{float(_get(m['hps'], k)):g}" for k in compare)
        figs[f"training_loss__{tag}"] = mf.loss_history(
            history, reps["best_iteration"], reps["included"],
            title=" ".join(f"{k} = {_get(m['hps'], k)}" for k in compare))
    return figs
