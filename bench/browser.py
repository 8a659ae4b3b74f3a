"""Benchmark: build the results browser for a synthetic catalogue of 5 000 figures.

Writes, in a temporary results folder, 96 model sidecars (part 1's grid: 2 noise levels × 3 delays ×
2 field types × 4 train σ × 2 parts' worth of methods folded in as part 2) and figure sidecars with
the workflow's shapes (a group of 4 models compared by train σ, figures per amplitude, SISU and
measure), folds them into the catalogue, then times `browser_index` and `write_browser`. The files
the sidecars name need not exist for the index (their links are written as they are).

    .venv/bin/python bench/browser.py [--figures 5000]

The last line is `seconds_to_build=<write_browser time>`.
"""

import argparse
import itertools
import tempfile
import time
from pathlib import Path

from motorlab.store import browser_index, fold_sidecars, provenance, write_browser, write_sidecar

MEASURES = ("max_net_force", "end_position_error", "sum_orthogonal_distance", "max_parallel_vel_forward",
            "initial_force_direction", "output_correlation")
AMPS = (0.0, 0.5, 1.0, 2.0, 4.0)
SISUS = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)


def synthetic_results(root: Path, n_figures: int) -> Path:
    """Model and figure sidecars for about `n_figures` figures, folded into the catalogue."""
    results = root / "results"
    prov = provenance()
    groups = []
    for part, noise, delay, pert_type, method in itertools.product(
            (1, 2), (0.01, 0.1), (0, 2, 4), ("curl", "constant"), ("bcs", "dai", "pai-asf", "pai-n")):
        if part == 1 and method != "bcs":
            continue
        ids = []
        for std in (0.0, 0.5, 1.0, 1.5):
            mid = f"p{part}-n{noise}-d{delay}-{pert_type}-{method}-s{std}"
            hps = {"part": part, "pert": {"type": pert_type, "std": std},
                   "model": {"feedback_noise_std": noise, "motor_noise_std": noise, "feedback_delay_steps": delay}}
            if part == 2:
                hps["context"] = {"method": method}
            write_sidecar(results / f"part{part}" / "models" / f"{mid}.json", {
                "kind": "model", "id": mid, "part": f"part{part}", "path": f"results/part{part}/models/{mid}.eqx",
                "replicates": {"included": [True] * 5}, "hps": hps, **prov})
            ids.append(mid)
        groups.append((part, f"g{len(groups)}", ids))
    names = [f"measures_by_sisu__{m}__amp-{a:g}" for m in MEASURES for a in AMPS]
    names += [f"aligned_compare_train__sisu-{s:g}__amp-{a:g}" for s in SISUS for a in AMPS]
    n = 0
    for part, group, ids in itertools.cycle(groups):
        folder = results / f"part{part}" / "figures" / group
        for name in names:
            if n >= n_figures:
                fold_sidecars(results)
                return results
            stem = f"{folder.relative_to(root)}/{name}-{n}"
            params = {k: float(v) for k, _, v in (p.partition("-") for p in name.split("__")[1:]) if v}
            params.update({"measure": p for p in name.split("__")[1:] if "-" not in p})
            write_sidecar(folder / f"{name}-{n}.json", {
                "kind": "figure", "id": f"fig{n}", "part": f"part{part}", "analysis": "plant_perts",
                "figure": name.split("__")[0], "paths": [f"{stem}.html", f"{stem}.plotly.json", f"{stem}.png"],
                "params": params, "eval_ids": [], "model_ids": ids, "hps": {"compare": ["pert.std"]}, **prov})
            n += 1
    raise AssertionError("unreachable")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        results = synthetic_results(Path(tmp), args.figures)
        print(f"synthetic catalogue: {args.figures} figures in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        index = browser_index(results)
        t_index = time.perf_counter() - t0
        t0 = time.perf_counter()
        page = write_browser(results)
        t_write = time.perf_counter() - t0
        print(f"browser_index: {t_index:.2f} s for {index['total']} figures, {len(index['models'])} models, "
              f"{len(index['facets'])} facets ({', '.join(f['label'] for f in index['facets'])})")
        print(f"write_browser: {t_write:.2f} s; {page.stat().st_size / 1e6:.1f} MB page")
        print(f"seconds_to_build={t_write:.3f}")


if __name__ == "__main__":
    main()
