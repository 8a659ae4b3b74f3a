"""Figure sets of the block analyses (`motorlab.analysis._cross_eval`).

* `cross_eval`: train × test matrices (seed §5.7): rows = the model's training (noise, delay),
  columns = the test (noise, delay), one heatmap per measure × test field type × amplitude; the
  group is one field type and train std, so there is one set of matrices per train std and type.
* `control_weight`: each measure against the control-cost weight (log x), one line per test field
  and amplitude ("curl 4", "constant 0.4", "none" for amplitude 0), 95 % intervals (SPEC §2.12).
* `size_study`: each measure against train std, one line per network size, per SISU × test field
  amplitude (seed §5.1).
"""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._matrices import train_test_matrix
from ._sets import compare_column, tag
from ._style import format_value, ordered_values
from ._summary import control_weight_summary, measure_summary


def _tagged(tables: Mapping[str, Sequence[pd.DataFrame]], models: Sequence[Mapping], group: Mapping) -> pd.DataFrame:
    return tag(list(tables["measures"]), [m["hps"] for m in models], list(group["compare"]))


def _condition(noise, motor, delay) -> list[str]:
    """Labels "noise n, delay d" ("noise n/m" when motor noise differs) of conditions."""
    noise = np.asarray(noise, float)
    motor = np.asarray(motor, float)
    text = [f"noise {n:g}" + ("" if m == n else f"/{m:g}") for n, m in zip(noise, motor)]
    return [f"{t}, delay {int(d)}" for t, d in zip(text, np.asarray(delay))]


def cross_eval_figures(tables, models, group) -> dict[str, go.Figure]:
    """Train × test matrices of every measure of a `cross_eval` group (module docstring)."""
    m = _tagged(tables, models, group)
    fb, motor, delay = (compare_column(k) for k in ("model.feedback_noise_std", "model.motor_noise_std",
                                                      "model.feedback_delay_steps"))
    hps = [mm["hps"] for mm in models]
    for column, key in ((fb, "feedback_noise_std"), (motor, "motor_noise_std"), (delay, "feedback_delay_steps")):
        if column not in m.columns:  # not compared: the same for every member
            m[column] = hps[0]["model"][key]
    m["train_condition"] = _condition(m[fb], m[motor], m[delay])
    m["test_condition"] = _condition(m["test_noise"], m["test_motor_noise"], m["test_delay"])
    trained = f"{hps[0]['pert']['type']} σ {hps[0]['pert']['std']:g}"
    figs = {}
    for measure in ordered_values(m["measure"].tolist()):
        for test_type in ordered_values(m["test_pert_type"].tolist()):
            sel = m[(m["measure"] == measure) & (m["test_pert_type"] == test_type)]
            for amp in ordered_values(sel["pert_amp"].tolist()):
                at = sel[sel["pert_amp"] == amp]
                name = f"train_test__{measure}__test-{test_type}__amp-{format_value(amp)}"
                figs[name] = train_test_matrix(
                    at, measure, rows="train_condition", cols="test_condition", width=640, height=460,
                    title=f"Trained {trained}; tested: {test_type} field amplitude {format_value(amp)}")
    return figs


def control_weight_figures(tables, models, group) -> dict[str, go.Figure]:
    """Each measure against the control-cost weight, one line per test field and amplitude."""
    m = _tagged(tables, models, group)
    column = compare_column("loss.control")
    if column not in m.columns:
        m[column] = models[0]["hps"]["loss"]["control"]
    # amplitude 0 is one condition whatever the field type: keep it once, from the first type
    first = ordered_values(m["test_pert_type"].tolist())[0]
    m = m[(m["pert_amp"].to_numpy(float) != 0) | (m["test_pert_type"] == first).to_numpy()]
    amp = m["pert_amp"].to_numpy(float)
    fields = [f"{t} {format_value(a)}" if a else "none" for t, a in zip(m["test_pert_type"].astype(str), amp)]
    m = m.assign(control_weight=m[column].astype(float), field=fields)
    return {f"control_weight__{measure}": control_weight_summary(
                m, measure, line="field", title="Robustness vs control-cost weight (95 % intervals)")
            for measure in ordered_values(m["measure"].tolist())}


def size_study_figures(tables, models, group) -> dict[str, go.Figure]:
    """Each measure against train std, one line per network size, per SISU × amplitude."""
    m = _tagged(tables, models, group)
    size = compare_column("model.hidden_size")
    if size not in m.columns:
        m[size] = models[0]["hps"]["model"]["hidden_size"]
    m["train_std"] = m.get("train_std", pd.Series(models[0]["hps"]["pert"]["std"], index=m.index))
    figs = {}
    sisus = ordered_values(m["sisu"].tolist())
    for measure in ordered_values(m["measure"].tolist()):
        for s in sisus:
            at_s = m if pd.isna(s) else m[m["sisu"] == s]
            for amp in ordered_values(at_s["pert_amp"].tolist()):
                name = f"size_study__{measure}__sisu-{format_value(s)}__amp-{format_value(amp)}"
                figs[name] = measure_summary(
                    at_s[at_s["pert_amp"] == amp], measure, x="train_std", line=size,
                    title=f"SISU {format_value(s)}, field amplitude {format_value(amp)}: one line per network size")
    return figs
