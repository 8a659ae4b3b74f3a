"""Workflow stage: draw a figure group's figures and write them with one sidecar each."""

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from .. import figures as mf
from ..figures._sets import best_replicate, build_group_figures, compare_column, figure_params, get_key, tag
from ..store._model_files import provenance, relative_path, write_json
from ..store._tables import read_table
from ..config import STAGE_VERSIONS, identity
from ..figures import fixed_point_figure_set



def write_figure_set(figs: Mapping[str, go.Figure], group: Mapping, models: Sequence[Mapping], *, out_dir,
                     sidecar_path, part: str, formats: Sequence[str]) -> dict:
    """Write `figs` (HTML + static images) with a sidecar per figure, and the group's record."""
    written = mf.write_figures(figs, out_dir, formats=formats)
    records = []
    for name, paths in written.items():
        fig_id = identity({"stage": "figures", "version": STAGE_VERSIONS["figures"],
                           "group": group["group_id"], "figure": name})
        rec = {"kind": "figure", "id": fig_id, "part": part, "figure": name.split("__")[0], "name": name,
               "params": figure_params(name), "group": group["label"], "paths": [relative_path(p) for p in paths],
               "eval_ids": list(group["eval_ids"]), "model_ids": [m["id"] for m in models],
               "hps": {"compare": list(group["compare"])}, **provenance()}
        write_json(Path(out_dir) / f"{name}.json", rec)
        records.append({"id": fig_id, "name": name, "paths": rec["paths"]})
    summary = {"kind": "figure_set", "id": group["group_id"], "part": part, "label": group["label"],
               "variant": group["variant"], "compare": list(group["compare"]),
               "eval_ids": list(group["eval_ids"]), "model_ids": [m["id"] for m in models],
               "figures": records, "paths": [p for r in records for p in r["paths"]], **provenance()}
    write_json(sidecar_path, summary)
    return summary


def _read_models(paths: Sequence) -> list[dict]:
    return [json.loads(Path(p).read_text()) for p in paths]


def figures(group: Mapping, *, states_paths: Sequence, measures_paths: Sequence, model_sidecars: Sequence,
            out_dir, sidecar_path, part: str, formats: Sequence[str] = ("html", "png")) -> dict:
    """Build and write the behaviour figures of one figure group (see `motorlab.figures._sets`).

    Arguments:
        group: `{"group_id", "label", "compare", "variant", "eval_ids"}` (a `FigureGroup`).
        states_paths, measures_paths, model_sidecars: the members' products, in member order.
        out_dir: folder for the figure files (HTML + static images, one shared plotly.min.js).
        sidecar_path: the group's JSON record listing every figure.
    """
    models = _read_models(model_sidecars)
    hps = [m["hps"] for m in models]
    best = [best_replicate(m["replicates"]) for m in models]
    states = tag([read_table(p) for p in states_paths], hps, group["compare"], best)
    meas = tag([read_table(p) for p in measures_paths], hps, group["compare"])
    figs = build_group_figures(states, meas, variant=group["variant"], compare=group["compare"],
                               part=int(hps[0]["part"]), dt=float(hps[0]["plant"]["dt"]))
    if group["variant"] != "small":
        figs.update(loss_figures(models, group["compare"]))
    return write_figure_set(figs, group, models, out_dir=out_dir, sidecar_path=sidecar_path, part=part,
                            formats=formats)


def loss_figures(models: Sequence[Mapping], compare: Sequence[str]) -> dict[str, go.Figure]:
    """One training-loss figure per member model, from its `_history.npz`."""
    figs = {}
    for m in models:
        path = m.get("history_path")
        if not path or not Path(path).exists():
            continue
        with np.load(path) as f:
            history = {k.removeprefix("loss/"): f[k] for k in f.files if k.startswith("loss/")}
        reps = m["replicates"]
        tag_ = "__".join(f"{compare_column(k)}-{float(get_key(m['hps'], k)):g}" for k in compare)
        figs[f"training_loss__{tag_}"] = mf.loss_history(
            history, reps["best_iteration"], reps["included"],
            title=" ".join(f"{k} = {get_key(m['hps'], k)}" for k in compare))
    return figs


def fixed_point_figures(group: Mapping, *, points_paths: Sequence, eigenvalues_paths: Sequence,
                        summary_paths: Sequence, reach_paths: Sequence, trajectories_paths: Sequence,
                        continuation_paths: Sequence, events_paths: Sequence, model_sidecars: Sequence, out_dir, sidecar_path, part: str,
                        formats: Sequence[str] = ("html", "png")) -> dict:
    """Figures of the steady-state fixed points of a group of models (SPEC §2.10): eigenvalue
    scatter by SISU / replicate / position, angle and modulus histograms (by train std, and
    lowest vs highest SISU), 3-D PC plots of the grids with readout vectors, discrete and
    continuous trace–determinant diagrams, and (SPEC §2.11) goal-goal / init-goal points and
    fixed-point trajectories of reaches (also one reach direction across SISUs), and the
    branch diagram of the SISU continuation (see `motorlab.figures.fixed_point_figure_set`).
    Only primary points of included replicates are drawn."""
    models = _read_models(model_sidecars)
    hps = [m["hps"] for m in models]
    key = group["compare"][0]
    col = compare_column(key)
    points = tag([read_table(p) for p in points_paths], hps, group["compare"])
    eigs = tag([read_table(p) for p in eigenvalues_paths], hps, group["compare"])
    summaries = tag([read_table(p) for p in summary_paths], hps, group["compare"])
    reach = tag([read_table(p) for p in reach_paths], hps, group["compare"])
    trajectories = tag([read_table(p) for p in trajectories_paths], hps, group["compare"])
    continuation = tag([read_table(p) for p in continuation_paths], hps, group["compare"])
    events = tag([read_table(p) for p in events_paths], hps, group["compare"])
    figs = fixed_point_figure_set(points, eigs, summaries, reach, trajectories, continuation, events,
                                  compare_key=key, compare_col=col, dt=float(hps[0]["plant"]["dt"]))
    return write_figure_set(figs, group, models, out_dir=out_dir, sidecar_path=sidecar_path, part=part,
                            formats=formats)

