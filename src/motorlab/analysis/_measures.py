"""Behavioural measures of reach trials (SPEC §2.1), each defined declaratively.

A `Measure` reads: select an aligned variable → optional time slice → component (parallel,
orthogonal or norm) → optional transform → aggregate over time → optional normaliser. `MEASURES`
is the registry of the full SPEC set; `compute_measures` evaluates any subset of it on a states
table and returns the long "Measures table" of docs/architecture.md.

Conventions:

* Variables are in the reach-aligned frame of `motorlab.analysis._align`: component 0 is parallel to the
  reach (forward > 0), component 1 orthogonal (left > 0); position is relative to the reach start.
* Sums are over time steps (rows t = 0 … T−1), not time integrals: multiply by dt for an integral.
* "% reach length" divides by ‖goal − start‖ / 100; for steady-state trials (length 0) it is NaN.
  `max_deviation` / `sum_deviation` are ‖pos − start‖, i.e. the distance from the held position.
* Directions (`max_net_force_direction`, `initial_force_direction`) are the angle atan2(F⊥, F∥) of
  the control force at the step where ‖F‖ is largest, in (−π, π]: 0 = towards the goal, +π/2 =
  left, ±π = backwards. Measuring in the aligned frame removes the reach direction, so the angles
  of reaches in different directions (and of mirror-symmetric fields) pool into one distribution.
  A trial whose force is zero throughout the window has no direction (NaN). The table stores
  these canonical angles; a distribution near ±π (a backward force) would be split in two by the
  cut, so summaries and figures re-express a group's angles within π of its circular mean
  (`circular_mean`, `unwrap_angles` in `_angles.py`; see `motorlab.figures.measure_violins`).

The network's output correlation, a per-trial measure of hidden states rather than of the
aligned kinematics, is in `_output_correlation.py`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Final, Literal, final

import numpy as np
import pandas as pd
from jaxtyping import Float

from ._align import GEOMETRY_COLUMNS, AlignedTrials, aligned_trials
from ._angles import direction_at_max


Variable = Literal["pos", "vel", "force", "pos_error"]
Component = Literal["parallel", "orthogonal", "norm"]
Transform = Literal["abs", "negate"]
Aggregate = Literal["max", "sum", "mean", "largest", "direction_at_max"]
Normaliser = Literal["percent_reach"]

_COMPONENT_INDEX: Final = {"parallel": 0, "orthogonal": 1}
END_STEPS: Final = 10
INITIAL_STEPS: Final = 10


@final
@dataclasses.dataclass(frozen=True)
class Measure:
    """One scalar per trial, computed from an aligned variable.

    Attributes:
        label: human-readable label for figures (Appendix A style).
        variable: "pos" (relative to start), "vel", "force" or "pos_error" (pos − goal).
        aggregate: over time: "max", "sum", "mean", "largest" (value of largest magnitude, sign
            kept) or "direction_at_max" (angle of the vector at the step of largest norm).
        component: "parallel", "orthogonal" or "norm"; None only for "direction_at_max".
        transform: None, "abs" or "negate", applied to the component before aggregating.
        time: (start, stop) bounds of a slice over time steps, or None for the whole trial.
        normaliser: None, or "percent_reach" to divide by reach_length / 100.
        signed: whether values of both signs are meaningful (figures then draw a zero line
            instead of starting the axis at 0).
        units: units of the value.
    """

    label: str
    variable: Variable
    aggregate: Aggregate
    component: Component | None = None
    transform: Transform | None = None
    time: tuple[int | None, int | None] | None = None
    normaliser: Normaliser | None = None
    signed: bool = False
    units: str = ""

    def __post_init__(self):
        _check("variable", self.variable, ("pos", "vel", "force", "pos_error"))
        _check("aggregate", self.aggregate, ("max", "sum", "mean", "largest", "direction_at_max"))
        _check("transform", self.transform, (None, "abs", "negate"))
        _check("normaliser", self.normaliser, (None, "percent_reach"))
        if self.aggregate == "direction_at_max":
            if self.component is not None or self.transform is not None:
                raise ValueError(
                    f"a 'direction_at_max' measure takes the whole vector; got component="
                    f"{self.component!r}, transform={self.transform!r}, expected None for both"
                )
        else:
            _check("component", self.component, ("parallel", "orthogonal", "norm"))

    @property
    def circular(self) -> bool:
        """Whether the values are angles (rad, in (−π, π]): "direction_at_max" measures."""
        return self.aggregate == "direction_at_max"

    def __call__(self, aligned: AlignedTrials) -> Float[np.ndarray, " trial"]:
        """Evaluate the measure on every trial.

        Arguments:
            aligned: reach-aligned trials (see `motorlab.analysis._align.align`).

        Returns:
            One float64 value per trial, shape (trials,).
        """
        x = aligned.variable(self.variable)
        if self.time is not None:
            x = x[:, slice(*self.time)]
        if x.shape[1] == 0:
            raise ValueError(
                f"time slice {self.time} of measure {self.label!r} selects no steps of a "
                f"{aligned.pos.shape[1]}-step trial; expected at least one"
            )
        if self.aggregate == "direction_at_max":
            value = direction_at_max(x)
        else:
            if self.component == "norm":
                y = np.hypot(x[..., 0], x[..., 1])
            else:
                y = x[..., _COMPONENT_INDEX[self.component]]
            if self.transform == "abs":
                y = np.abs(y)
            elif self.transform == "negate":
                y = -y
            value = _AGGREGATES[self.aggregate](y)
        if self.normaliser == "percent_reach":
            length = aligned.reach_length
            value = np.where(length > 0, value / np.where(length > 0, length, 1.0) * 100, np.nan)
        return value


def _check(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"Measure {name}={value!r}; expected one of {allowed}")


def _largest(y: np.ndarray) -> np.ndarray:
    index = np.argmax(np.abs(y), axis=1)
    return np.take_along_axis(y, index[:, None], axis=1)[:, 0]


_AGGREGATES: Final = {
    "max": lambda y: np.max(y, axis=1),
    "sum": lambda y: np.sum(y, axis=1),
    "mean": lambda y: np.mean(y, axis=1),
    "largest": _largest,
}


def _m(label, variable, aggregate, component=None, units="", **kwargs) -> Measure:
    return Measure(label, variable, aggregate, component, units=units, **kwargs)


def initial_force_direction_measure(n_steps: int = INITIAL_STEPS) -> Measure:
    """Direction of the largest control force among the first `n_steps` forces (rows 1 … n).

    Arguments:
        n_steps: number of control steps from the start of the trial, at least 1.

    This is SPEC §2.1's "direction of max net force (at trial start)"; `max_net_force_direction`
    is the same over the whole trial. The angle is relative to the reach direction (aligned
    frame: 0 = towards the goal, +π/2 = left, ±π = backwards) and stored in (−π, π]. Because a
    backward initial force lies at the ±π cut, violins do not draw the stored values directly:
    each violin's angles are unwrapped to within π of its circular mean (`unwrap_angles`), and
    the violins of a figure are placed on the branch nearest the figure's overall circular mean,
    so a distribution is never split across ±π and neighbouring groups stay comparable.

    Returns:
        A `Measure`, in rad within (−π, π], 0 = forward, +π/2 = left.
    """
    if n_steps < 1:
        raise ValueError(f"n_steps={n_steps!r}; expected a positive number of steps")
    return _m(
        f"Direction of max net force (first {n_steps} steps, rad)", "force", "direction_at_max",
        units="rad", signed=True, time=(1, 1 + n_steps),
    )


_LAST: Final = (-END_STEPS, None)
_PCT: Final = "% reach length"

MEASURES: Final[dict[str, Measure]] = {
    "max_net_force": _m("Max net force", "force", "max", "norm", "force"),
    "sum_net_force": _m("Sum of net force", "force", "sum", "norm", "force × steps"),
    "max_parallel_force_forward": _m("Max forward force", "force", "max", "parallel", "force"),
    "max_parallel_force_reverse": _m(
        "Max reverse force", "force", "max", "parallel", "force", transform="negate"
    ),
    "sum_parallel_force": _m(
        "Sum of |forward force|", "force", "sum", "parallel", "force × steps", transform="abs"
    ),
    "max_orthogonal_force_left": _m(
        "Max lateral force (left)", "force", "max", "orthogonal", "force"
    ),
    "max_orthogonal_force_right": _m(
        "Max lateral force (right)", "force", "max", "orthogonal", "force", transform="negate"
    ),
    "sum_orthogonal_force_abs": _m(
        "Sum of |lateral force|", "force", "sum", "orthogonal", "force × steps", transform="abs"
    ),
    "sum_orthogonal_force": _m(
        "Sum of lateral force (signed)", "force", "sum", "orthogonal", "force × steps",
        signed=True,
    ),
    "max_parallel_vel_forward": _m("Max forward velocity", "vel", "max", "parallel", "velocity"),
    "max_parallel_vel_reverse": _m(
        "Max reverse velocity", "vel", "max", "parallel", "velocity", transform="negate"
    ),
    "max_orthogonal_vel_left": _m(
        "Max lateral velocity (left)", "vel", "max", "orthogonal", "velocity"
    ),
    "max_orthogonal_vel_right": _m(
        "Max lateral velocity (right)", "vel", "max", "orthogonal", "velocity",
        transform="negate",
    ),
    "max_orthogonal_vel_signed": _m(
        "Largest lateral velocity (signed)", "vel", "largest", "orthogonal", "velocity",
        signed=True,
    ),
    "max_orthogonal_distance_left": _m(
        "Max lateral distance (left, % reach length)", "pos", "max", "orthogonal", _PCT,
        normaliser="percent_reach",
    ),
    "max_orthogonal_distance_right": _m(
        "Max lateral distance (right, % reach length)", "pos", "max", "orthogonal", _PCT,
        transform="negate", normaliser="percent_reach",
    ),
    "largest_orthogonal_distance": _m(
        "Largest lateral distance (signed, % reach length)", "pos", "largest", "orthogonal",
        _PCT, normaliser="percent_reach", signed=True,
    ),
    "sum_orthogonal_distance": _m(
        "Sum of lateral distance (signed)", "pos", "sum", "orthogonal", "length × steps",
        signed=True,
    ),
    "sum_orthogonal_distance_abs": _m(
        "Sum of |lateral distance|", "pos", "sum", "orthogonal", "length × steps",
        transform="abs",
    ),
    "max_deviation": _m("Max deviation from start", "pos", "max", "norm", "length"),
    "sum_deviation": _m("Sum of deviation from start", "pos", "sum", "norm", "length × steps"),
    "end_position_error": _m(
        f"Mean position error (last {END_STEPS} steps, % reach length)", "pos_error", "mean",
        "norm", _PCT, time=_LAST, normaliser="percent_reach",
    ),
    "end_velocity_error": _m(
        f"Mean velocity error (last {END_STEPS} steps)", "vel", "mean", "norm", "velocity",
        time=_LAST,
    ),
    # Angles: stored in (−π, π]; violins unwrap them around each group's circular mean (see
    # `initial_force_direction_measure`).
    "max_net_force_direction": _m(
        "Direction of max net force (rad, 0 = forward, left > 0)", "force", "direction_at_max",
        units="rad", signed=True,
    ),
    "initial_force_direction": initial_force_direction_measure(INITIAL_STEPS),
}
"""The SPEC §2.1 measures by name. `initial_force_direction` looks at rows t = 1 … 10, the first
ten control forces (row 0 is the initial state, which no force produced)."""


def impulse_measures(start: int, duration: int, after: int) -> dict[str, Measure]:
    """Window measures around a feedback impulse applied at steps `start … start+duration−1`.

    Arguments:
        start: first time step of the impulse.
        duration: number of impulse steps (≥ 1).
        after: number of steps after the impulse end that count as "after" (≥ 1).

    Returns:
        `max_net_force_during_impulse`, `max_net_force_after_impulse` and
        `max_parallel_force_forward_after_impulse` (forward = the trial's aligned direction).
    """
    if start < 0 or duration < 1 or after < 1:
        raise ValueError(
            f"impulse window start={start}, duration={duration}, after={after}; expected "
            "start >= 0 and positive duration and after"
        )
    end = start + duration
    return {
        "max_net_force_during_impulse": _m(
            "Max net force (during impulse)", "force", "max", "norm", "force", time=(start, end)
        ),
        "max_net_force_after_impulse": _m(
            "Max net force (after impulse)", "force", "max", "norm", "force",
            time=(end, end + after),
        ),
        "max_parallel_force_forward_after_impulse": _m(
            "Max forward force (after impulse)", "force", "max", "parallel", "force",
            time=(end, end + after),
        ),
    }


def measure_values(
    aligned: AlignedTrials, measures: Mapping[str, Measure]
) -> dict[str, Float[np.ndarray, " trial"]]:
    """Evaluate several measures on the same aligned trials; name → values (trials,)."""
    return {name: measure(aligned) for name, measure in measures.items()}


def compute_measures(
    states: pd.DataFrame,
    names: Iterable[str] | None = None,
    *,
    measures: Mapping[str, Measure] | None = None,
) -> pd.DataFrame:
    """Compute measures from a states table, as the long Measures table.

    Arguments:
        states: a states table (docs/architecture.md); extra per-trial columns (e.g.
            `train_std` added when concatenating models) are carried into the output.
        names: which measures of the registry to compute; None for all of them.
        measures: the registry to draw from; defaults to `MEASURES` (pass e.g.
            `MEASURES | impulse_measures(30, 5, 10)` to add window measures).

    Returns:
        One row per trial × measure: the trial's identifying columns (eval, replicate,
        included, condition, pert_type, pert_amp, sisu, centre, direction, plus any extra
        per-trial columns; not the geometry), `measure` (str) and `value` (float64).
    """
    registry = MEASURES if measures is None else measures
    chosen = list(registry) if names is None else list(names)
    unknown = [n for n in chosen if n not in registry]
    if unknown:
        raise ValueError(f"unknown measures {unknown}; expected names from {sorted(registry)}")
    aligned, conditions = aligned_trials(states)
    values = measure_values(aligned, {n: registry[n] for n in chosen})
    ids = conditions.drop(columns=[c for c in GEOMETRY_COLUMNS if c in conditions.columns])
    n = len(ids)
    table = ids.iloc[np.tile(np.arange(n), len(chosen))].reset_index(drop=True)
    table["measure"] = pd.Series(np.repeat(np.asarray(chosen, dtype=object), n), dtype="str")
    table["value"] = (
        np.concatenate([values[name] for name in chosen]) if chosen else np.zeros(0)
    )
    return table
