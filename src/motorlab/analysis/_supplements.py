"""Supplementary analyses of SPEC §2.12:

* `network_basic` ("2-3 network basic"): every input, recurrent and readout weight of each
  replicate (the figure set also draws the training-loss history of each loss term);
* `tangling` (Russo et al.; `analysis._tangling`): Q(t) of the hidden states (or of the
  effector's position and velocity) of centre-out reaches, by train std, SISU and field
  amplitude (config σ [0, 1.5], SISU [−3 … 3], curl [0, 4]).
"""

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ._evaluate import evaluate
from ._interface import AbstractAnalysis, EvaluationPlan
from ._plans import eval_n, noise, sisu
from ._spec import EvalSpec
from ._tangling import tangling_table
from ._weights import weights_table

SPACES = ("hidden", "kinematic")
METHODS = ("direct", "kdtree")


class NetworkBasic(AbstractAnalysis):
    """The weights of every replicate of each selected model: one evaluation ("weights") per
    model, which needs no simulation."""

    name: ClassVar[str] = "network_basic"
    table_names: ClassVar[tuple[str, ...]] = ("weights",)
    figure_set: ClassVar[str] = "network_basic"
    keeps_states: ClassVar[bool] = False
    id_stage: ClassVar[str] = "network_basic"
    id_versions: ClassVar[tuple[str, ...]] = ("network_basic",)
    figure_versions: ClassVar[tuple[str, ...]] = ("figures", "network_basic")

    def plan(self, settings: Mapping, model_hps: Mapping) -> list[EvaluationPlan]:
        return [EvaluationPlan("weights", {})]

    def tables(self, model, model_hps, eval_hps, *, included, states) -> dict[str, pd.DataFrame]:
        table = weights_table({0: model}, "model", {0: included}).drop(columns="model")
        return {"weights": table.astype({"value": np.float32})}

    def summary(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        return {"weights": int(len(tables["weights"]))}


class Tangling(AbstractAnalysis):
    """Each model is evaluated on the centre-out `task` under every amplitude of `pert.amp` of
    its training field type (at every `sisu` in part 2), and the tangling of each trial's points
    is computed within each (eval, replicate, amplitude, SISU) set of trials."""

    name: ClassVar[str] = "tangling"
    table_names: ClassVar[tuple[str, ...]] = ("tangling",)
    figure_set: ClassVar[str] = "tangling"
    keeps_states: ClassVar[bool] = False
    id_stage: ClassVar[str] = "evaluate"
    id_versions: ClassVar[tuple[str, ...]] = ("evaluate", "tangling")
    figure_versions: ClassVar[tuple[str, ...]] = ("figures", "tangling")

    def plan(self, settings: Mapping[str, Any], model_hps: Mapping[str, Any]) -> list[EvaluationPlan]:
        where = f"part{model_hps['part']}.analyses.tangling"
        if settings["space"] not in SPACES:
            raise ValueError(f"{where}.space: got {settings['space']!r}; expected one of {', '.join(SPACES)}")
        if settings["method"] not in METHODS:
            raise ValueError(f"{where}.method: got {settings['method']!r}; expected one of {', '.join(METHODS)}")
        pert_type = model_hps["pert"]["type"]
        noise_std = noise(settings, model_hps)
        return [EvaluationPlan("reach", {
            "eval_n": eval_n(settings, noise_std), "seed": model_hps["seed"], "task": dict(settings["task"]),
            "pert": {"type": pert_type, "amp": list(settings["pert"]["amp"][pert_type])},
            "sisu": sisu(settings, model_hps), "model": noise_std,
            "tangling": {k: settings[k] for k in ("space", "method", "k", "leafsize", "eps")},
        })]

    def tables(self, model, model_hps, eval_hps, *, included, states) -> dict[str, pd.DataFrame]:
        options = eval_hps["tangling"]
        spec = EvalSpec.from_hps({k: v for k, v in eval_hps.items() if k != "tangling"}, model_hps)
        hidden = options["space"] == "hidden"
        evaluated = evaluate(model, spec, included=included, keep=("hidden",) if hidden else ())
        frame = evaluated.to_frame().drop(columns=["output_correlation"])
        steps = evaluated.pos.shape[3]
        kwargs = {"method": options["method"], "k": int(options["k"]), "leafsize": int(options["leafsize"]),
                  "eps": float(options["eps"])}
        table = tangling_table(frame, float(model_hps["plant"]["dt"]),
                               hidden=evaluated.hidden.reshape(-1, steps, evaluated.hidden.shape[-1]) if hidden else None,
                               **kwargs)
        return {"tangling": table.astype({"tangling": np.float32})}

    def summary(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        return {"points": int(len(tables["tangling"]))}
