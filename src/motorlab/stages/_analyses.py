"""Workflow stages of every analysis: evaluate a model on a plan, then compute the analysis'
tables and write them with the evaluation's manifest (see `motorlab.analysis._interface`)."""

from collections.abc import Mapping

from ..analysis._registry import get_analysis
from ..store._model_files import load_model_file, provenance, relative_path, write_json
from ..store._tables import read_table, write_table


def evaluate(model_path, evaluation: Mapping, *, states_path) -> None:
    """Evaluate a model file on one evaluation and write the states table.

    Arguments:
        model_path: the model's `.eqx`.
        evaluation: `{"eval_id", "model_id", "part", "analysis", "variant", "hps"}` (a
            `motorlab.config.Evaluation`), hps as planned by its analysis.
        states_path: Parquet output (one row per evaluation × replicate × trial × step).
    """
    from ..analysis import EvalSpec, evaluate as run_evaluation

    ensemble, header = load_model_file(model_path)
    ev = run_evaluation(ensemble, EvalSpec.from_hps(evaluation["hps"], header["hps"]),
                        included=header["replicates"]["included"])
    write_table(ev.to_frame(), states_path, metadata={"eval_id": evaluation["eval_id"],
                                                       "model_id": evaluation["model_id"]})


def analysis_tables(model_path, evaluation: Mapping, *, table_paths: Mapping[str, object], manifest_path,
                    states_path=None, history_path=None) -> dict:
    """Compute the tables of the evaluation's analysis and write them with its manifest.

    Arguments:
        model_path: the model's `.eqx`.
        evaluation: as for `evaluate`.
        table_paths: `{table name: path}` for exactly the analysis' `table_names`.
        manifest_path: the evaluation's JSON manifest (its sidecar, kind "evaluation").
        states_path: the states table written by `evaluate`, for an analysis that keeps states.
        history_path: the model's `_history.npz`, for an analysis that reads it
            (`reads_history`); default: next to the model file (`<model id>_history.npz`).

    Returns:
        The manifest: the evaluation's identity, settings, model, `tables` (`{name: path}`,
        states included), `paths` and the analysis' summary `counts`.
    """
    unit = get_analysis(evaluation["analysis"])
    if set(table_paths) != set(unit.table_names):
        raise ValueError(f"table paths for {sorted(table_paths)}; analysis {unit.name!r} declares "
                         f"{sorted(unit.table_names)}")
    if unit.keeps_states and states_path is None:
        raise ValueError(f"analysis {unit.name!r} keeps states; expected a states_path")
    ensemble, header = load_model_file(model_path)
    states = read_table(states_path) if unit.keeps_states else None
    extra = {}
    if unit.reads_history:
        extra["history"] = str(history_path) if history_path is not None else _history_next_to(model_path)
    tables = unit.tables(ensemble, header["hps"], evaluation["hps"],
                         included=header["replicates"]["included"], states=states, **extra)
    if set(tables) != set(unit.table_names):
        raise ValueError(f"analysis {unit.name!r} returned tables {sorted(tables)}; it declares "
                         f"{sorted(unit.table_names)}")
    for name in unit.table_names:
        write_table(tables[name], table_paths[name])
    paths = {"states": states_path} if unit.keeps_states else {}
    paths.update({n: table_paths[n] for n in unit.table_names})
    record = {"kind": "evaluation", "id": evaluation["eval_id"], "part": evaluation["part"],
              "analysis": unit.name, "variant": evaluation["variant"], "hps": evaluation["hps"],
              "model_ids": [evaluation["model_id"]], "model_hps": header["hps"],
              "path": relative_path(next(iter(paths.values()))),
              "tables": {n: relative_path(p) for n, p in paths.items()},
              "paths": [relative_path(p) for p in paths.values()],
              "counts": unit.summary(tables), **provenance()}
    write_json(manifest_path, record)
    return record


def _history_next_to(model_path) -> str:
    """`<folder>/<id>_history.npz` for the model file `<folder>/<id>.eqx` (`store.paths` layout)."""
    from pathlib import Path

    path = Path(model_path)
    return str(path.with_name(f"{path.stem}_history.npz"))
