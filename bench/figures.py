"""Benchmark: build and export ~10 behaviour figures from a realistically sized states table.

The states table is synthetic (the figures' cost does not depend on where the states came from):
2 train stds × 96 conditions (2 centres × 24 directions × 2 field amplitudes) × 5 evals × 5
replicates × 100 steps = 480 000 rows. Reaches follow a minimum-jerk profile with a lateral
deviation that grows with the field amplitude and shrinks with the train std, plus noise.

Prints seconds per figure for building, HTML export (with its Plotly JSON) and PNG (scale 2) and
SVG export, each in one browser with `--parallel` tabs (default: one per core), then HTML and PNG
together as a workflow job writes them (the browser starts while the pages are written); the last lines are
`seconds_per_figure=<median PNG time per figure>` and `seconds_per_svg=<median SVG time>`.

    .venv/bin/python bench/figures.py [--out DIR]
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from motorlab.analysis import compute_measures
from motorlab.figures import (
    aligned_trajectories,
    find_browser,
    lowhigh_violins,
    measure_violins,
    profiles,
    replicate_violins,
    velocity_profiles,
    write_figures,
)
from motorlab.figures import default_parallel


TRAIN_STDS, AMPS = (0.0, 1.5), (0.0, 2.0)
CENTRES, DIRECTIONS, EVALS, REPLICATES, STEPS = 2, 24, 5, 5, 100


def synthetic_states(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    angle = np.tile(np.linspace(0, 2 * np.pi, DIRECTIONS, endpoint=False), CENTRES * len(AMPS))
    centre = np.tile(np.repeat(np.arange(CENTRES), DIRECTIONS), len(AMPS))
    amp = np.repeat(np.asarray(AMPS), CENTRES * DIRECTIONS)
    n_cond = angle.size
    start = np.stack([(centre - 0.5) * 2 / 3, np.zeros(n_cond)], -1)
    d = np.stack([np.cos(angle), np.sin(angle)], -1)
    goal = start + 0.5 * d
    s = np.linspace(0, 1, STEPS)
    shape = 10 * s**3 - 15 * s**4 + 6 * s**5  # minimum jerk
    tables = []
    for std in TRAIN_STDS:
        n = EVALS * REPLICATES * n_cond
        lateral = (0.1 * amp / (1 + 2 * std))[None, None, :, None] * np.sin(np.pi * s)
        lateral = lateral + 0.003 * rng.normal(size=(EVALS, REPLICATES, n_cond, STEPS))
        forward = 0.5 * shape + 0.003 * rng.normal(size=(EVALS, REPLICATES, n_cond, STEPS))
        normal = np.stack([-d[:, 1], d[:, 0]], -1)
        pos = start[:, None] + forward[..., None] * d[:, None]
        pos = pos + lateral[..., None] * normal[:, None]
        vel = np.gradient(pos, 0.05, axis=-2)
        force = np.gradient(vel, 0.05, axis=-2)
        force[..., 0, :] = 0.0

        def per_trial(values, dtype):
            flat = np.broadcast_to(values, (EVALS, REPLICATES, n_cond)).reshape(-1)
            return np.repeat(flat, STEPS).astype(dtype)

        e = np.arange(EVALS)[:, None, None]
        r = np.arange(REPLICATES)[None, :, None]
        c = np.arange(n_cond)[None, None, :]
        columns = {
            "eval": per_trial(e, np.int16), "replicate": per_trial(r, np.int16),
            "included": per_trial(r != 4 if std else np.ones((1, 1, 1), bool), bool),
            "condition": per_trial(c, np.int32),
            "pert_type": pd.Series(["curl"] * (n * STEPS), dtype="str"),
            "pert_amp": per_trial(amp, np.float32), "sisu": np.full(n * STEPS, np.nan, np.float32),
            "centre": per_trial(centre, np.int16), "direction": per_trial(c % DIRECTIONS, np.int16),
            "reach_angle": per_trial(angle, np.float32),
            "start_x": per_trial(start[:, 0], np.float32),
            "start_y": per_trial(start[:, 1], np.float32),
            "goal_x": per_trial(goal[:, 0], np.float32),
            "goal_y": per_trial(goal[:, 1], np.float32),
            "t": np.tile(np.arange(STEPS, dtype=np.int16), n),
        }
        for name, arr in (("pos", pos), ("vel", vel), ("force", force)):
            columns[f"{name}_x"] = arr[..., 0].reshape(-1).astype(np.float32)
            columns[f"{name}_y"] = arr[..., 1].reshape(-1).astype(np.float32)
        columns["train_std"] = np.full(n * STEPS, std, np.float32)
        tables.append(pd.DataFrame(columns))
    return pd.concat(tables, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="output dir (default: a temp dir)")
    parser.add_argument("--parallel", type=int, default=None,
                        help="browser tabs (default: one per core of this process, see default_parallel)")
    args = parser.parse_args()

    t0 = time.perf_counter()
    states = synthetic_states()
    print(f"states: {len(states)} rows, {time.perf_counter() - t0:.2f} s to make")
    t0 = time.perf_counter()
    measures = compute_measures(states)
    print(f"compute_measures: {len(measures)} rows in {time.perf_counter() - t0:.2f} s")

    by_amp = {a: states[states["pert_amp"] == a] for a in AMPS}
    makers = {
        "aligned/by_train_std_amp0": lambda: aligned_trajectories(by_amp[0.0], "train_std"),
        "aligned/by_train_std_amp2": lambda: aligned_trajectories(by_amp[2.0], "train_std"),
        "aligned/by_amp_std0": lambda: aligned_trajectories(
            states[states["train_std"] == 0.0], "pert_amp"),
        "velocity_profiles/amp0": lambda: velocity_profiles(by_amp[0.0], "train_std"),
        "velocity_profiles/amp2": lambda: velocity_profiles(by_amp[2.0], "train_std"),
        "profiles/all_amp2": lambda: profiles(by_amp[2.0], "train_std",
                                              variables=("pos", "vel", "force")),
        "measures/max_net_force": lambda: measure_violins(measures, "max_net_force"),
        "measures/largest_orthogonal_distance": lambda: measure_violins(
            measures, "largest_orthogonal_distance"),
        "measures/replicates_end_position_error": lambda: replicate_violins(
            measures, "end_position_error"),
        "measures/lowhigh_sum_orthogonal_force_abs": lambda: lowhigh_violins(
            measures, "sum_orthogonal_force_abs"),
    }
    figures, build = {}, []
    for name, make in makers.items():
        t0 = time.perf_counter()
        figures[name] = make()
        build.append(time.perf_counter() - t0)
        print(f"build {name}: {build[-1]:.3f} s")

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        n = len(figures)
        t0 = time.perf_counter()
        write_figures(figures, out, formats=("html",))
        html_total = time.perf_counter() - t0
        print(f"build: median {statistics.median(build):.3f} s, mean {sum(build) / n:.3f} s per figure")
        print(f"html + json (with buttons): {html_total / n:.3f} s per figure ({html_total:.2f} s for {n})")

        browser = find_browser()
        if browser is None:
            print("png/svg: skipped (no Chrome/Chromium; install with `apt-get install chromium`)")
            print("seconds_per_figure=nan")
            return
        tabs = args.parallel or default_parallel()
        medians = {}
        for fmt in ("png", "svg"):
            stamps = []
            t0 = time.perf_counter()
            written = write_figures(figures, out, formats=(fmt,), parallel=tabs,
                                    progress=lambda name, path: stamps.append(time.perf_counter()))
            total = time.perf_counter() - t0
            gaps = np.diff([t0, *stamps])
            sizes = [p.stat().st_size for paths in written.values() for p in paths]
            medians[fmt] = np.median(gaps[1:])
            print(f"{fmt} ({browser}, {tabs} tabs{', scale 2' if fmt == 'png' else ''}): {total:.2f} s for {n} "
                  f"in one browser = {total / n:.3f} s per figure amortised (incl. browser start); "
                  f"after the first: median {medians[fmt]:.3f} s, max {np.max(gaps[1:]):.3f} s; "
                  f"mean size {np.mean(sizes) / 1e3:.0f} kB")
        t0 = time.perf_counter()
        write_figures(figures, out, formats=("html", "png"), parallel=tabs)
        job = time.perf_counter() - t0
        print(f"html + json + png together (a workflow job's export, browser start included): {job:.2f} s "
              f"for {n} = {job / n:.3f} s per figure")
        print(f"seconds_per_figure={medians['png']:.3f}")
        print(f"seconds_per_svg={medians['svg']:.3f}")

if __name__ == "__main__":
    main()
