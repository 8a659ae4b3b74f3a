"""Analyses that evaluate each model under several test conditions (`analysis._blocks`):

* `cross_eval`: train × test across field type, noise and feedback delay (SPEC §2.2 cross-type
  evaluation; seed §5.7 "3 × 3 train-test matrices"); figures compare models that differ in
  their training noise and delay;
* `control_weight`: the part-1 baseline trained at several control-cost weights, tested under
  curl and constant fields (SPEC §2.12 "1-4 control-term weight", seed §5.2);
* `size_study`: part-2 models of two network sizes, tested at SISU 0 (seed §5.1: do the SISU-0
  curves of different train std overlap more in the larger network?).

Each plans one evaluation (variant `blocks`) per model, whose settings list every block
(resolved test condition + `EvalSpec` tree); `tables` evaluates them and returns one Measures
table with the test condition in columns.
"""

from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd

from ._blocks import block_hps, block_label, block_measures, matrix_blocks, resolve_block
from ._interface import AbstractAnalysis, EvaluationPlan
from ._plans import sisu


def _check_lists(settings: Mapping[str, Any], model_hps: Mapping[str, Any], where: str) -> None:
    n_steps = int(model_hps["plant"]["n_steps"])
    for i, d in enumerate(settings.get("delay") or []):
        if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= n_steps - 2:
            raise ValueError(f"{where}.delay[{i}]: got {d!r}; a model with plant.n_steps {n_steps} can take an "
                             f"integer feedback delay from 0 to {n_steps - 2}")
    for i, n in enumerate(settings.get("noise") or []):
        if not n >= 0:
            raise ValueError(f"{where}.noise[{i}]: got {n!r}; expected a number >= 0")


class AbstractBlockAnalysis(AbstractAnalysis):
    """An analysis whose one evaluation per model runs every test block of its settings:
    the grid `pert_types` × `noise` × `delay` (empty list = training value), then `blocks`."""

    table_names: ClassVar[tuple[str, ...]] = ("measures",)
    keeps_states: ClassVar[bool] = False
    id_stage: ClassVar[str] = "evaluate"
    id_versions: ClassVar[tuple[str, ...]] = ("evaluate", "measures", "cross_eval")
    figure_versions: ClassVar[tuple[str, ...]] = ("figures", "cross_eval")

    def plan(self, settings: Mapping[str, Any], model_hps: Mapping[str, Any]) -> list[EvaluationPlan]:
        where = f"part{model_hps['part']}.analyses.{self.name}"
        _check_lists(settings, model_hps, where)
        grid = matrix_blocks(settings["pert_types"], settings["noise"], settings["delay"])
        tests = [resolve_block(b, model_hps, f"{where}.pert_types") for b in grid]
        extra = settings.get("blocks") or []
        if not isinstance(extra, list):
            raise ValueError(f"{where}.blocks: got {extra!r}; expected a list of mappings of overrides")
        tests += [resolve_block(b, model_hps, f"{where}.blocks[{i}]") for i, b in enumerate(extra)]
        unique = list({block_label(t): t for t in tests}.values())
        base = {"eval_n": int(settings["eval_n"]), "seed": model_hps["seed"], "task": dict(settings["task"]),
                "sisu": sisu(settings, model_hps)}
        return [EvaluationPlan("blocks", {
            "blocks": [{"test": t, "hps": block_hps(base, settings["amp"], t)} for t in unique],
            "measures": list(settings["measures"]),
        })]

    def tables(self, model, model_hps, eval_hps, *, included, states) -> dict[str, pd.DataFrame]:
        return {"measures": block_measures(model, model_hps, eval_hps["blocks"], included=included,
                                           names=eval_hps["measures"])}

    def summary(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        return {"measure_rows": int(len(tables["measures"])),
                "blocks": int(tables["measures"]["test"].nunique())}


class CrossEval(AbstractBlockAnalysis):
    """Train × test: figures are matrices of train condition (noise, delay) × test condition."""

    name: ClassVar[str] = "cross_eval"
    figure_set: ClassVar[str] = "cross_eval"


class ControlWeight(AbstractBlockAnalysis):
    """Robustness against the control-cost weight `loss.control` of the training loss."""

    name: ClassVar[str] = "control_weight"
    figure_set: ClassVar[str] = "control_weight"


class SizeStudy(AbstractBlockAnalysis):
    """Measures against train std by network size (`model.hidden_size`), at the set SISU values."""

    name: ClassVar[str] = "size_study"
    figure_set: ClassVar[str] = "size_study"
