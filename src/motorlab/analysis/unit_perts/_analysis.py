"""`UnitPerts` (SPEC §2.9): unit stimulation at steady state, two evaluations per model:
"directions" (protocol a, preferred vs effective direction) and "regression" (protocol b).

Every evaluation returns all three tables; the one protocol it does not run is an empty table.
"""

from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd

from .._interface import AbstractAnalysis, EvaluationPlan
from .._plans import fill_nulls, noise
from .._probes import check_units, check_window
from ._directions import direction_tables
from ._reach import reach_tables
from ._regression import regression_tables

TABLES = ("directions", "regression", "examples", "reach")


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"replicate": pd.Series([], dtype="int16")})


class UnitPerts(AbstractAnalysis):
    """Preferred vs effective directions (a) and the regression of each unit's effect on SISU
    and field amplitude (b), for part-2 models."""

    name: ClassVar[str] = "unit_perts"
    table_names: ClassVar[tuple[str, ...]] = TABLES
    figure_set: ClassVar[str] = "unit_perts"
    keeps_states: ClassVar[bool] = False
    id_stage: ClassVar[str] = "unit_perts"
    id_versions: ClassVar[tuple[str, ...]] = ("evaluate", "unit_perts")
    figure_versions: ClassVar[tuple[str, ...]] = ("figures", "unit_perts")

    def plan(self, settings: Mapping[str, Any], model_hps: Mapping[str, Any]) -> list[EvaluationPlan]:
        if int(model_hps["part"]) != 2:
            raise ValueError("unit_perts compares context (SISU) values; select part-2 models only "
                             f"(got a part-{model_hps['part']} model)")
        n_hidden = int(model_hps["model"]["hidden_size"])
        units = settings.get("units")
        check_units(units, n_hidden, "unit_perts.units")
        units = None if units is None else [int(u) for u in units]
        common = {"seed": model_hps["seed"], "units": units, "chunk": int(settings["chunk"])}
        plans = []
        a = settings["directions"]
        if a is not None:
            n_steps = int(model_hps["plant"]["n_steps"])
            check_window(a["impulse"]["start"], a["impulse"]["duration"], n_steps, "unit_perts.directions.impulse")
            check_window(a["stim"]["start"], a["stim"]["duration"], n_steps, "unit_perts.directions.stim")
            model = fill_nulls(dict(a["model"]), model_hps["model"])
            plans.append(EvaluationPlan("directions", {
                **common, "eval_n": 1 if all(v == 0 for v in model.values()) else int(a["eval_n"]),
                "sisu": [float(x) for x in a["sisu"]], "directions": dict(a["impulse"]), "stim": dict(a["stim"]),
                "model": model}))
        b = settings["regression"]
        if b is not None:
            n_steps = int(b["n_steps"])
            check_window(b["stim"]["start"], b["stim"]["duration"], n_steps, "unit_perts.regression.stim")
            model = noise(settings, model_hps)
            plans.append(EvaluationPlan("regression", {
                **common, "eval_n": 1 if all(v == 0 for v in model.values()) else int(b["eval_n"]),
                "sisu": [float(x) for x in b["sisu"]], "amp": [float(x) for x in b["amp"]],
                "n_steps": n_steps, "stim": dict(b["stim"]), "n_examples": int(b["n_examples"]), "model": model}))
        c = settings.get("reach")
        if c is not None:
            n_steps = int(model_hps["plant"]["n_steps"])
            for s in c["starts"]:
                check_window(s, max(int(c["stim"]["duration"]), int(c["window"])), n_steps, "unit_perts.reach.starts")
            model = fill_nulls(dict(c["model"]), model_hps["model"])
            plans.append(EvaluationPlan("reach", {
                **common, "eval_n": 1 if all(v == 0 for v in model.values()) else int(c["eval_n"]),
                "sisu": [float(x) for x in c["sisu"]], "task": dict(c["task"]), "stim": dict(c["stim"]),
                "starts": [int(s) for s in c["starts"]], "window": int(c["window"]), "model": model}))
        return plans

    def tables(self, model, model_hps, eval_hps, *, included, states) -> dict[str, pd.DataFrame]:
        tables = {name: _empty() for name in TABLES}
        if "starts" in eval_hps:
            tables["reach"] = reach_tables(model, model_hps, eval_hps, included, progress=True)
        elif "directions" in eval_hps:
            tables["directions"] = direction_tables(model, model_hps, eval_hps, included, progress=True)
        else:
            tables.update(regression_tables(model, model_hps, eval_hps, included, progress=True))
        return tables

    def summary(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        return {name: int(len(tables[name])) for name in TABLES}
