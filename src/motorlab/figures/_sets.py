"""The behaviour figures of one figure group (models that differ only in the compared keys).

Part 1 (SPEC §2.2), `small` variant: aligned trajectories comparing train conditions (one per
evaluation amplitude), per train × test pair (colour = trial) and comparing test conditions (one
per train std), the three `center_out_sets` variants; `full` variant: velocity profiles, measure
violins (x = train std, legend = amplitude, and transposed: x = amplitude), replicate comparison
of lowest vs highest train std, low/high summaries, measure vs train std (one line per amplitude).
Part 2 (SPEC §2.6), `small`: aligned trajectories by SISU (one per train std × amplitude) and by
train std (one per SISU × amplitude); `full`: profiles by train std and by SISU (each model's
best replicate, criterion best_total_loss), measure violins with x = SISU and legend = train std
(one per measure × amplitude) and the two transposed arrangements, and the §5.3 summary: measure
vs train std, one line per SISU, 95 % intervals over (eval, replicate) units.
Every aligned trajectory answers hover with its eval, replicate, condition and trial; axes are
equalised across the figures of a set; every measure violin has a zero line. Beside the violins,
two-group statistics tables (lowest vs highest train std; SISU `stats.sisu` in part 2), Holm-
corrected across the figure set (`figures._stats_sets`).
"""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .. import figures as mf
from ._stats_sets import Comparison, stats_figures

# The measures drawn as violins (SPEC §2.2 list of 13, and §2.6's part-2 set plus §2.1's new
# "direction of max net force (at trial start)", `initial_force_direction`, and the same over the
# whole trial; angle violins are unwrapped around their circular means, see `measure_violins`).
PART1_MEASURES = (
    "max_parallel_vel_forward", "max_orthogonal_vel_left", "max_orthogonal_vel_right",
    "max_orthogonal_distance_left", "sum_orthogonal_distance", "end_position_error", "end_velocity_error",
    "max_parallel_force_forward", "sum_parallel_force", "max_orthogonal_force_right",
    "sum_orthogonal_force_abs", "max_net_force", "sum_net_force", "output_correlation",
)
PART2_MEASURES = (
    "max_parallel_vel_forward", "largest_orthogonal_distance", "sum_orthogonal_distance_abs",
    "end_position_error", "max_parallel_force_forward", "sum_orthogonal_force_abs", "max_net_force",
    "sum_net_force", "initial_force_direction", "max_net_force_direction", "output_correlation",
)
# Measures of the summary lines (measure vs train std; seed §5.3); the statistics tables compare
# every violin measure except the angles (circular: rank and variance tests do not apply).
SUMMARY_MEASURES = ("max_orthogonal_distance_left", "largest_orthogonal_distance", "end_position_error",
                    "max_net_force", "sum_orthogonal_force_abs")
STATS_MEASURES = frozenset(PART1_MEASURES + PART2_MEASURES) - {"initial_force_direction",
                                                                 "max_net_force_direction"}
LOWHIGH_MEASURES = ("max_orthogonal_distance_left", "max_parallel_vel_forward", "end_position_error",
                    "max_net_force")


def compare_column(key: str) -> str:
    """Column name for a compared hyperparameter: `pert.std` → `train_std`, else dots → `__`."""
    return "train_std" if key == "pert.std" else key.replace(".", "__")


def get_key(tree: Mapping, dotted: str):
    """The value at a dotted key path of a nested mapping."""
    for part in dotted.split("."):
        tree = tree[part]
    return tree


def best_replicate(replicates: Mapping) -> int:
    """The best replicate of a model (SPEC §1.5): the included one with the lowest
    `best_total_loss` (the analyses' replicate criterion).

    Arguments:
        replicates: a model sidecar's `replicates` record (`motorlab.train._selection`), with the
            lists `best_total_loss` (None where non-finite) and `included`.
    """
    losses = np.array([np.nan if v is None else float(v) for v in replicates["best_total_loss"]])
    included = np.asarray(replicates["included"], dtype=bool)
    if losses.shape != included.shape:
        raise ValueError(f"best_total_loss has {losses.size} entries and included {included.size}; "
                         "expected one of each per replicate")
    candidates = np.where(included & np.isfinite(losses), losses, np.inf)
    if not np.isfinite(candidates).any():
        raise ValueError(f"no included replicate with a finite best_total_loss (losses {losses.tolist()}, "
                         f"included {included.tolist()}); expected at least one")
    return int(np.argmin(candidates))


def tag(frames: Sequence[pd.DataFrame], model_hps: Sequence[Mapping], compare: Sequence[str],
        best_replicates: Sequence[int] | None = None) -> pd.DataFrame:
    """Concatenate the members' tables, adding one column per compared key with its value.

    With `best_replicates` (one per member, see `best_replicate`), also a boolean column
    `best_replicate`: whether the row belongs to its model's best replicate.
    """
    if best_replicates is None:
        best_replicates = [None] * len(frames)
    out = []
    for df, hps, best in zip(frames, model_hps, best_replicates, strict=True):
        df = df.copy()
        for key in compare:
            df[compare_column(key)] = get_key(hps, key)
        if best is not None:
            df["best_replicate"] = df["replicate"].to_numpy() == best
        out.append(df)
    return pd.concat(out, ignore_index=True)


def _v(x) -> str:
    return f"{float(x):g}"


def part1_trajectory_figures(states: pd.DataFrame, color: str) -> dict[str, go.Figure]:
    figs = {}
    for amp in sorted(states["pert_amp"].unique()):
        sel = states[states["pert_amp"] == amp]
        figs[f"aligned_compare_train__amp-{_v(amp)}"] = mf.aligned_trial_curves(
            sel, color, title=f"Field amplitude {_v(amp)}")
    mf.match_axes(figs)
    figs.update(mf.per_train_test_pair(states, train_column=color))
    figs.update(mf.compare_test_conditions(states, train_column=color))
    for variant in ("best_replicate", "single", "all_replicates"):
        figs.update(mf.center_out_sets(states, variant=variant, train_column=color))
    return figs


def part2_trajectory_figures(states: pd.DataFrame, color: str) -> dict[str, go.Figure]:
    by_sisu, by_train = {}, {}
    for amp in sorted(states["pert_amp"].unique()):
        at_amp = states[states["pert_amp"] == amp]
        for value in sorted(at_amp[color].unique()):
            sel = at_amp[at_amp[color] == value]
            by_sisu[f"aligned_by_sisu__{color}-{_v(value)}__amp-{_v(amp)}"] = mf.aligned_trial_curves(
                sel, "sisu", title=f"{color} {_v(value)}, field amplitude {_v(amp)}")
        for s in sorted(at_amp["sisu"].unique()):
            sel = at_amp[at_amp["sisu"] == s]
            by_train[f"aligned_compare_train__sisu-{_v(s)}__amp-{_v(amp)}"] = mf.aligned_trial_curves(
                sel, color, title=f"SISU {_v(s)}, field amplitude {_v(amp)}")
    mf.match_axes(by_sisu)
    mf.match_axes(by_train)
    return {**by_sisu, **by_train}


def profile_figures(states: pd.DataFrame, color: str, part: int, dt: float) -> dict[str, go.Figure]:
    """Part 1: velocity profiles over all replicates. Part 2: profiles of each model's best
    replicate (rows with `best_replicate`), by train std (one per SISU × amplitude) and by SISU
    (one per train std × amplitude)."""
    figs = {}
    if part != 1:
        if "best_replicate" not in states.columns:
            raise ValueError("part-2 profiles draw each model's best replicate; expected a 'best_replicate' "
                             f"column (see tag(best_replicates=...)), got columns {list(states.columns)}")
        states = states[states["best_replicate"].to_numpy(dtype=bool)]
    for amp in sorted(states["pert_amp"].unique()):
        at_amp = states[states["pert_amp"] == amp]
        if part == 1:
            figs[f"velocity_profiles__amp-{_v(amp)}"] = mf.velocity_profiles(
                at_amp, color, dt=dt, title=f"Field amplitude {_v(amp)}")
            continue
        for s in sorted(at_amp["sisu"].unique()):
            figs[f"profiles_compare_train__sisu-{_v(s)}__amp-{_v(amp)}"] = mf.profiles(
                at_amp[at_amp["sisu"] == s], color, variables=("pos", "vel", "force"), dt=dt,
                title=f"SISU {_v(s)}, field amplitude {_v(amp)} (best replicates)")
        for value in sorted(at_amp[color].unique()):
            figs[f"profiles_by_sisu__{color}-{_v(value)}__amp-{_v(amp)}"] = mf.profiles(
                at_amp[at_amp[color] == value], "sisu", variables=("pos", "vel", "force"), dt=dt,
                title=f"{color} {_v(value)}, field amplitude {_v(amp)} (best replicate)")
    return figs


def measure_figures(measures: pd.DataFrame, color: str, part: int) -> dict[str, go.Figure]:
    """Measure violins (each with a zero line), their transposed arrangements and the summary
    lines against the train condition (SPEC §2.2, §2.6, seed §5.3)."""
    figs = {}
    if part == 1:
        for m in PART1_MEASURES:
            figs[f"measures_compare_train__{m}"] = mf.zero_lined_violins(measures, m, x=color, color="pert_amp")
        values = sorted(measures[color].unique())
        if len(values) >= 2:
            for m in LOWHIGH_MEASURES:
                for amp in sorted(measures["pert_amp"].unique()):
                    figs[f"measures_replicates_lowhigh__{m}__amp-{_v(amp)}"] = mf.replicate_violins(
                        measures[measures["pert_amp"] == amp], m, by=color, title=f"Field amplitude {_v(amp)}")
                figs[f"measures_lowhigh_summary__{m}"] = mf.lowhigh_violins(measures, m, x=color, color="pert_amp")
        figs.update(mf.violins_by_pert_amp(measures, PART1_MEASURES, train_column=color))
        figs.update(mf.measure_vs_train_sets(measures, SUMMARY_MEASURES, train_column=color, line="pert_amp",
                                             per=("pert_type",)))
        return figs
    for m in PART2_MEASURES:
        for amp in sorted(measures["pert_amp"].unique()):
            sel = measures[measures["pert_amp"] == amp]
            figs[f"measures_by_sisu__{m}__amp-{_v(amp)}"] = mf.zero_lined_violins(
                sel, m, x="sisu", color=color, width=700, height=500,
                title=f"Field amplitude {_v(amp)}")
    figs.update(mf.violins_by_pert_amp(measures, PART2_MEASURES, train_column=color))
    figs.update(mf.violins_by_train(measures, PART2_MEASURES, train_column=color))
    figs.update(mf.measure_vs_train_sets(measures, SUMMARY_MEASURES, train_column=color, line="sisu"))
    return figs


def stats_comparisons(measures: pd.DataFrame, color: str, part: int,
                      sisu: Sequence[float] | None = None) -> list[Comparison]:
    """The two-group comparisons of a behaviour figure set: lowest vs highest value of the
    compared key (per amplitude; per SISU in part 2) and, in part 2, SISU `sisu[0]` vs `sisu[1]`
    (default the lowest and highest evaluated) per amplitude × train condition."""
    comparisons = []
    values = _finite_values(measures[color])
    if len(values) >= 2:
        comparisons.append(Comparison(color, values[0], values[-1], ("pert_amp",) if part == 1 else ("pert_amp", "sisu")))
    if part != 1:
        evaluated = _finite_values(measures["sisu"])
        pair = list(sisu) if sisu is not None else evaluated[::max(len(evaluated) - 1, 1)]
        if len(pair) != 2:
            raise ValueError(f"plant_perts.stats.sisu: got {list(pair)!r}; expected two SISU values")
        if pair[0] != pair[1]:
            comparisons.append(Comparison("sisu", pair[0], pair[1], ("pert_amp", color), key="plant_perts.stats.sisu"))
    return comparisons


def _finite_values(values: pd.Series) -> list:
    """Sorted distinct finite values of a column."""
    return [v for v in sorted(pd.unique(values.dropna())) if np.isfinite(v)]


def figure_params(name: str) -> dict[str, object]:
    """Readable parameters encoded in a figure name: `a__k-v__k2-v2` → {k: v, k2: v2}."""
    params = {}
    for part in name.split("__")[1:]:
        key, sep, value = part.partition("-")  # the first dash: values may be negative
        if sep:
            try:
                params[key] = float(value)
            except ValueError:
                params[key] = value
        else:
            params["measure"] = part
    return params


def build_group_figures(states: pd.DataFrame, measures: pd.DataFrame, *, variant: str,
                        compare: Sequence[str], part: int, dt: float,
                        stats_sisu: Sequence[float] | None = None) -> dict[str, object]:
    """All behaviour figures of a group from its tagged states and measures tables.

    The `small` centre-out variant gives the trajectory figures; any other variant (`full`) gives
    the profiles, the measure violins and summaries, and the statistics tables (`TableFigure`s,
    see `figures._stats_sets`; `stats_sisu` is the SISU pair compared in part 2).
    """
    color = compare_column(compare[0])
    if variant == "small":
        return part1_trajectory_figures(states, color) if part == 1 else part2_trajectory_figures(states, color)
    names = PART1_MEASURES if part == 1 else PART2_MEASURES
    comparisons = stats_comparisons(measures, color, part, stats_sisu)
    return {**profile_figures(states, color, part, dt), **measure_figures(measures, color, part),
            **stats_figures(measures, comparisons, [n for n in names if n in STATS_MEASURES])}
