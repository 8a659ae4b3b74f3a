"""`plant_perts`: centre-out reaches under force fields of several amplitudes, and their measures
(SPEC §2.2 part 1, §2.6 part 2)."""

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import pandas as pd

from ._blocks import block_hps, block_label, resolve_block
from ._interface import AbstractAnalysis, EvaluationPlan
from ._measures import compute_measures
from ._plans import eval_n, noise, sisu


def _trial_value_rows(states: pd.DataFrame, values: pd.Series, measure: str, columns) -> pd.DataFrame:
    """Measure rows of a per-trial value stored in the states table (repeated over t): one row per
    trial, with the Measures table's identifying `columns`."""
    at_start = (states["t"] == 0).to_numpy()
    rows = states.loc[at_start, [c for c in columns if c not in ("measure", "value")]].reset_index(drop=True)
    rows["measure"] = measure
    rows["value"] = values[at_start].to_numpy(dtype="float64")
    return rows[list(columns)]


def measures_table(states: pd.DataFrame, names: Sequence[str] | None = None) -> pd.DataFrame:
    """The measure set of an evaluation's states (long format).

    Arguments:
        states: a states table (`Evaluated.to_frame`).
        names: the measures wanted: names of `motorlab.analysis.MEASURES`, and
            "output_correlation" for the per-trial output correlation that the evaluation stored
            in the states table (computed from hidden states that are never written, so it is
            merged here, not recomputed); None for all of them (output correlation when the
            states table has it).
    """
    corr = states["output_correlation"] if "output_correlation" in states.columns else None
    want_corr = names is None or "output_correlation" in names
    if names is not None and want_corr and corr is None:
        raise ValueError("measure 'output_correlation' asked for, but the states table has no "
                         "'output_correlation' column; expected one written by the evaluation stage")
    kinematic = None if names is None else [n for n in names if n != "output_correlation"]
    table = compute_measures(states.drop(columns=["output_correlation"], errors="ignore"), kinematic)
    if corr is not None and want_corr:
        table = pd.concat([table, _trial_value_rows(states, corr, "output_correlation", table.columns)],
                          ignore_index=True)
    return table


def check_stats_groups(settings: Mapping[str, Any], model_hps: Mapping[str, Any]) -> None:
    """Raise a ValueError naming `partN.analyses.plant_perts.stats.sisu` unless it holds two
    distinct values of the evaluated `sisu` (part 2; part 1 has no SISU groups)."""
    pair = list((settings.get("stats") or {}).get("sisu") or [])
    if model_hps["part"] != 2:
        return
    evaluated = [float(v) for v in settings["sisu"]]
    missing = [v for v in pair if float(v) not in evaluated]
    if len(pair) != 2 or missing or pair[0] == pair[1]:
        raise ValueError(f"part2.analyses.plant_perts.stats.sisu: got {pair!r}; expected two different "
                         f"values of the evaluated sisu {evaluated}"
                         + (f" ({', '.join(map(str, missing))} not evaluated)" if missing else ""))


class PlantPerts(AbstractAnalysis):
    """Each model is evaluated on every task variant of `tasks` (one evaluation per variant),
    under every amplitude of `pert.amp` of the field type (`pert.type`, or the training type),
    at every `sisu` value in part 2, with the noise of `model` (training values where null).

    Each evaluation block of `blocks` (overrides of the field type, noise and feedback delay, see
    `analysis._blocks`; e.g. `{pert.type: other}` for the cross-type evaluation of SPEC §2.2)
    adds one more evaluation per task variant, variant `<variant>+<block label>`, drawn by the
    same figure set in its own figure groups."""

    name: ClassVar[str] = "plant_perts"
    table_names: ClassVar[tuple[str, ...]] = ("measures",)
    figure_set: ClassVar[str] = "behaviour"
    keeps_states: ClassVar[bool] = True
    id_stage: ClassVar[str] = "evaluate"
    id_versions: ClassVar[tuple[str, ...]] = ("evaluate",)
    figure_versions: ClassVar[tuple[str, ...]] = ("figures", "measures")

    def plan(self, settings: Mapping[str, Any], model_hps: Mapping[str, Any]) -> list[EvaluationPlan]:
        check_stats_groups(settings, model_hps)
        pert_type = settings["pert"]["type"] or model_hps["pert"]["type"]
        noise_std = noise(settings, model_hps)
        plans = [EvaluationPlan(variant, {
            "eval_n": eval_n(settings, noise_std),
            "seed": model_hps["seed"],
            "task": dict(task),
            "pert": {"type": pert_type, "amp": list(settings["pert"]["amp"][pert_type])},
            "sisu": sisu(settings, model_hps),
            "model": noise_std,
        }) for variant, task in settings["tasks"].items() if task is not None]
        blocks = settings.get("blocks") or []
        where = f"part{model_hps['part']}.analyses.plant_perts.blocks"
        if not isinstance(blocks, list):
            raise ValueError(f"{where}: got {blocks!r}; expected a list of mappings of overrides")
        base_plans = list(plans)
        for i, block in enumerate(blocks):
            test = resolve_block(block, model_hps, f"{where}[{i}]")
            for plan in base_plans:
                base = {k: plan.hps[k] for k in ("eval_n", "seed", "task", "sisu")}
                plans.append(EvaluationPlan(f"{plan.variant}+{block_label(test)}",
                                            block_hps(base, settings["pert"]["amp"], test)))
        return plans

    def tables(self, model, model_hps, eval_hps, *, included, states) -> dict[str, pd.DataFrame]:
        if states is None:
            raise ValueError("plant_perts computes its measures from evaluated states; got states=None")
        return {"measures": measures_table(states)}

    def summary(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        return {"measure_rows": int(len(tables["measures"]))}
