"""`freq_response`: the closed-loop frequency response from feedback noise to network output at
steady state (SPEC §2.4), as an analysis of the workflow: one evaluation ("steady") per model."""

from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd

from .._interface import AbstractAnalysis, EvaluationPlan, SettingsError
from ._evaluate import frequency_response_table


class FreqResponse(AbstractAnalysis):
    """Each model holds still on the `grid_n` × `grid_n` grid for `n_steps` steps (overriding
    its trial length) with feedback and motor noise of std `noise_std`, `eval_n` times; in
    part 2 once per value of `sisu`. The table is `frequency_response_table`'s (gain and phase
    from each feedback variable's noise to the output, per axis and frequency)."""

    name: ClassVar[str] = "freq_response"
    table_names: ClassVar[tuple[str, ...]] = ("response",)
    figure_set: ClassVar[str] = "freq_response"
    keeps_states: ClassVar[bool] = False
    id_stage: ClassVar[str] = "freq_response"
    id_versions: ClassVar[tuple[str, ...]] = ("freq_response",)
    figure_versions: ClassVar[tuple[str, ...]] = ("figures", "freq_response")

    def plan(self, settings: Mapping[str, Any], model_hps: Mapping[str, Any]) -> list[EvaluationPlan]:
        for key, ok, expected in (("eval_n", settings["eval_n"] >= 1, "an integer >= 1"),
                                  ("grid_n", settings["grid_n"] >= 1, "an integer >= 1"),
                                  ("n_steps", settings["n_steps"] >= 3, "an integer >= 3 (states per trial)"),
                                  ("noise_std", settings["noise_std"] > 0,
                                   "a number > 0 (the feedback noise is the input signal)")):
            if not ok:
                raise SettingsError(f"{key}: got {settings[key]!r}; expected {expected}")
        return [EvaluationPlan("steady", {
            "eval_n": settings["eval_n"],
            "seed": model_hps["seed"],
            "grid_n": settings["grid_n"],
            "n_steps": settings["n_steps"],
            "noise_std": settings["noise_std"],
            "sisu": list(settings["sisu"]) if model_hps["part"] == 2 else None,
        })]

    def tables(self, model, model_hps, eval_hps, *, included, states) -> dict[str, pd.DataFrame]:
        kwargs = {k: eval_hps[k] for k in ("eval_n", "grid_n", "n_steps", "noise_std", "seed")}
        sisu = eval_hps["sisu"] or [None]
        included = None if included is None else [bool(x) for x in included]
        frames = [frequency_response_table(model, model_hps, sisu=s, included=included, **kwargs) for s in sisu]
        return {"response": pd.concat(frames, ignore_index=True)}

    def summary(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        response = tables["response"]
        return {"rows": int(len(response)), "frequencies": int(response["frequency"].nunique())}
