"""`feedback_perts`: impulses on the sensed position and velocity of a network holding still on
the steady-state grid, and its responses (SPEC §2.3 part 1, §2.7 part 2).

One evaluation ("steady") per model covers every perturbed feedback variable of
`impulse.channels`, so that a figure can set position and velocity impulses side by side. Each
variable is one `EvalSpec` with its impulse (amplitudes `linspace(0, max, n + 1)[1:]`,
vmapped); the tables are the impulse-frame responses and their measures.
"""

from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd

from ...sim._impulses import CHANNELS, DIRECTION_MODES, impulse_amplitudes
from .._evaluate import evaluate
from .._interface import AbstractAnalysis, EvaluationPlan, SettingsError
from .._plans import eval_n, noise, sisu
from .._spec import EvalSpec
from ._measures import feedback_measures

RESPONSE_DROP = ("output_correlation", "centre", "direction", "pert_amp")
"""States columns the responses table leaves out (constant or unused in a hold task)."""


def check_impulse_settings(impulse: Mapping[str, Any], n_steps: int) -> None:
    """Raise a `SettingsError` naming the first bad key of `feedback_perts.impulse`.

    Arguments:
        impulse: `{channels, start, duration, direction, n_amplitudes, max_amplitude: {pos, vel}}`.
        n_steps: the model's states per trial; the impulse must end by control step n_steps − 2.
    """
    channels = list(impulse["channels"])
    bad = [c for c in channels if c not in CHANNELS]
    if bad or not channels or len(set(channels)) != len(channels):
        raise SettingsError(f"impulse.channels: got {channels!r}; expected a non-empty list of distinct "
                            f"values from {', '.join(map(repr, CHANNELS))}")
    if impulse["direction"] not in DIRECTION_MODES:
        raise SettingsError(f"impulse.direction: got {impulse['direction']!r}; expected one of "
                            f"{', '.join(map(repr, DIRECTION_MODES))}")
    for key, low, expected in (("n_amplitudes", 1, "an integer >= 1 (the amplitudes are "
                                "linspace(0, max, n + 1)[1:])"), ("start", 0, "an integer control step >= 0"),
                               ("duration", 1, "an integer >= 1 (control steps)")):
        if not impulse[key] >= low:
            raise SettingsError(f"impulse.{key}: got {impulse[key]!r}; expected {expected}")
    for channel in channels:
        if not impulse["max_amplitude"][channel] > 0:
            raise SettingsError(f"impulse.max_amplitude.{channel}: got {impulse['max_amplitude'][channel]!r}; "
                                "expected a number > 0")
    end = impulse["start"] + impulse["duration"]
    if end > n_steps - 1:
        raise SettingsError(f"impulse.start: got {impulse['start']} with impulse.duration {impulse['duration']}, "
                            f"ending at control step {end - 1}, outside the trial; expected start + duration "
                            f"<= plant.n_steps - 1 = {n_steps - 1}")


def impulse_trees(eval_hps: Mapping[str, Any], model_hps: Mapping[str, Any]) -> dict[str, dict]:
    """`{channel: EvalSpec tree}` of a planned `feedback_perts` evaluation: the steady-state
    grid (reach length 0, one direction, no field), with that channel's impulse."""
    imp = eval_hps["impulse"]
    common = {"eval_n": eval_hps["eval_n"], "seed": eval_hps["seed"], "sisu": eval_hps["sisu"],
              "task": {"grid_n": eval_hps["grid_n"], "n_directions": 1, "reach_length": 0.0},
              "pert": {"type": model_hps["pert"]["type"], "amp": [0.0]}, "model": eval_hps["model"]}
    return {channel: {**common, "impulse": {"channel": channel, "start": imp["start"], "duration": imp["duration"],
                                            "direction": imp["direction"], "amp": list(amps)}}
            for channel, amps in imp["amp"].items()}


def feedback_pert_tables(model, model_hps: Mapping[str, Any], eval_hps: Mapping[str, Any],
                         included=None) -> dict[str, pd.DataFrame]:
    """Evaluate every impulse channel and compute the tables.

    Returns:
        responses: the states tables of every channel (docs/architecture.md, without
            `RESPONSE_DROP`), with `pert_var`, `impulse_amp`, `impulse_index`,
            `impulse_dir_x/_y` and the impulse window `impulse_start`, `impulse_duration`
            (control steps); condition indices are those of each channel's own evaluation.
        measures: `feedback_measures` of those responses (impulse frame; one row per trial ×
            measure), with the same impulse columns.
    """
    imp = eval_hps["impulse"]
    start, duration = int(imp["start"]), int(imp["duration"])
    frames = []
    for tree in impulse_trees(eval_hps, model_hps).values():
        ev = evaluate(model, EvalSpec.from_hps(tree, model_hps), included=included)
        frames.append(ev.to_frame().drop(columns=list(RESPONSE_DROP)))
    responses = pd.concat(frames, ignore_index=True)
    responses["pert_var"] = pd.Categorical(responses["pert_var"].astype(str), categories=list(CHANNELS))
    measures = feedback_measures(responses, start=start, duration=duration)
    window = {"impulse_start": start, "impulse_duration": duration}
    return {"responses": responses.assign(**window), "measures": measures.assign(**window)}


class FeedbackPerts(AbstractAnalysis):
    """Each model holds still on the `grid_n` × `grid_n` grid while impulses of every amplitude
    hit each feedback variable of `impulse.channels` (at every `sisu` value in part 2), with the
    noise of `model` (training values where null)."""

    name: ClassVar[str] = "feedback_perts"
    table_names: ClassVar[tuple[str, ...]] = ("responses", "measures")
    figure_set: ClassVar[str] = "feedback_perts"
    keeps_states: ClassVar[bool] = False
    id_stage: ClassVar[str] = "feedback_perts"
    id_versions: ClassVar[tuple[str, ...]] = ("evaluate", "feedback_perts")
    figure_versions: ClassVar[tuple[str, ...]] = ("figures", "feedback_perts")

    def plan(self, settings: Mapping[str, Any], model_hps: Mapping[str, Any]) -> list[EvaluationPlan]:
        imp = settings["impulse"]
        check_impulse_settings(imp, int(model_hps["plant"]["n_steps"]))
        if not settings["grid_n"] >= 1:
            raise SettingsError(f"grid_n: got {settings['grid_n']!r}; expected an integer >= 1")
        if not settings["eval_n"] >= 1:
            raise SettingsError(f"eval_n: got {settings['eval_n']!r}; expected an integer >= 1")
        noise_std = noise(settings, model_hps)
        amps = {c: list(impulse_amplitudes(float(imp["max_amplitude"][c]), int(imp["n_amplitudes"])))
                for c in imp["channels"]}
        return [EvaluationPlan("steady", {
            "eval_n": eval_n(settings, noise_std),
            "seed": model_hps["seed"],
            "grid_n": settings["grid_n"],
            "sisu": sisu(settings, model_hps),
            "model": noise_std,
            "impulse": {"start": imp["start"], "duration": imp["duration"], "direction": imp["direction"],
                        "amp": amps},
        })]

    def tables(self, model, model_hps, eval_hps, *, included, states) -> dict[str, pd.DataFrame]:
        return feedback_pert_tables(model, model_hps, eval_hps, included)

    def summary(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        responses = tables["responses"]
        trials = responses.groupby(["pert_var", "eval", "replicate", "condition"], observed=True).ngroups
        return {"trials": int(trials), "measure_rows": int(len(tables["measures"]))}
