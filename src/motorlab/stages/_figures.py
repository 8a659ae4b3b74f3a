"""Workflow stage: draw a figure group's figures and write them with one sidecar each."""

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path


from .. import figures as mf
from ..analysis._registry import get_analysis
from ..config import STAGE_VERSIONS, identity
from ..figures._group_page import write_group_page
from ..figures._plot_ids import spec_plot_id
from ..figures._registry import get_figure_set
from ..figures._sets import figure_params
from ..figures._stats_sets import figure_and_tables
from ..store._model_files import provenance, relative_path, write_json
from ..store._tables import read_table


def varying_keys(params: Iterable[Mapping[str, object]], compare: Sequence[str]) -> list[str]:
    """The hyperparameters that vary within a figure set: the compared model keys (`compare`, e.g.
    `pert.std`), then every figure parameter (`amp`, `sisu`, `measure`, …) that some figure of the
    set lacks or that takes two or more values in it, in order of first appearance."""
    params = list(params)
    values: dict[str, set] = {}
    for p in params:
        for k, v in p.items():
            values.setdefault(k, set()).add(repr(v))
    own = [k for k, vs in values.items() if len(vs) > 1 or sum(k in p for p in params) < len(params)]
    return list(dict.fromkeys([*compare, *own]))


def write_figure_set(figs: Mapping[str, object], group: Mapping, models: Sequence[Mapping], *, out_dir,
                     sidecar_path, part: str, formats: Sequence[str], analysis: str | None = None) -> dict:
    """Write `figs` (HTML + static images) with a sidecar per figure, the folder's index page
    (`index.html`, see `write_group_page`) and the group's record.

    Arguments:
        figs: name → figure, or → `TableFigure` (a figure and its table, also written as
            `<name>.csv` and listed among the figure's paths).
        group: `{"group_id", "label", "compare", "variant", "eval_ids"}` (a `FigureGroup`).
        models: the members' model sidecars.
        analysis: the analysis the figures draw, recorded in every sidecar.

    Every figure's sidecar records its analysis, its figure (`figure`: the name before the first
    `__`) and SPEC plot id (`plot_id`, null where the SPEC names none), its parameters (`params`,
    read from its name) and, under `hps`, the compared keys of its group (`compare`) and every
    hyperparameter that varies within the set (`varying`, see `varying_keys`).
    """
    figs, tables = figure_and_tables(figs)
    written = mf.write_figures(figs, out_dir, formats=formats)
    for name, table in tables.items():  # a table product beside its figure, in its paths
        csv = Path(out_dir) / f"{name}.csv"
        table.to_csv(csv, index=False)
        written[name] = [*written[name], csv]
    write_group_page(out_dir, written, title=f"{analysis or 'figures'}: {group['label']} ({group['variant']})")
    params = {name: figure_params(name) for name in written}
    varying = varying_keys(params.values(), group["compare"])
    records = []
    for name, paths in written.items():
        fig_id = identity({"stage": "figures", "version": STAGE_VERSIONS["figures"],
                           "group": group["group_id"], "figure": name})
        rec = {"kind": "figure", "id": fig_id, "part": part, "analysis": analysis, "figure": name.split("__")[0],
               "plot_id": spec_plot_id(name, part), "name": name, "params": params[name], "group": group["label"],
               "paths": [relative_path(p) for p in paths], "eval_ids": list(group["eval_ids"]),
               "model_ids": [m["id"] for m in models],
               "hps": {"compare": list(group["compare"]), "varying": varying}, **provenance()}
        write_json(Path(out_dir) / f"{name}.json", rec)
        records.append({"id": fig_id, "name": name, "paths": rec["paths"]})
    summary = {"kind": "figure_set", "id": group["group_id"], "part": part, "analysis": analysis,
               "label": group["label"], "variant": group["variant"], "compare": list(group["compare"]),
               "eval_ids": list(group["eval_ids"]), "model_ids": [m["id"] for m in models],
               "figures": records, "paths": [p for r in records for p in r["paths"]], **provenance()}
    write_json(sidecar_path, summary)
    return summary


def analysis_figures(analysis: str, group: Mapping, *, manifests: Sequence, model_sidecars: Sequence, out_dir,
                     sidecar_path, part: str, formats: Sequence[str] = ("html", "png")) -> dict:
    """Draw the figure set of `analysis` for one figure group and write it.

    Arguments:
        analysis: a registered analysis name; its `figure_set` draws the group.
        group: `{"group_id", "label", "compare", "variant", "eval_ids"}` (a `FigureGroup`), and
            optionally `settings`, the analysis' resolved settings of the part, which its figure
            set may read (e.g. `plant_perts.stats`).
        manifests: the members' evaluation manifests (written by `analysis_tables`), in member
            order; each lists its tables by name.
        model_sidecars: the members' model sidecars, in member order.
        out_dir: folder for the figure files (HTML + static images, one shared plotly.min.js).
        sidecar_path: the group's JSON record listing every figure.
    """
    unit = get_analysis(analysis)
    models = [json.loads(Path(p).read_text()) for p in model_sidecars]
    records = [json.loads(Path(p).read_text()) for p in manifests]
    names = (("states",) if unit.keeps_states else ()) + unit.table_names
    tables = {n: [read_table(r["tables"][n]) for r in records] for n in names}
    figs = get_figure_set(unit.figure_set)(tables, models, group)
    return write_figure_set(figs, group, models, out_dir=out_dir, sidecar_path=sidecar_path, part=part,
                            formats=formats, analysis=analysis)
