"""Benchmark: build the results browser for a synthetic catalogue of 5 000 figures.

Writes, in a temporary results folder, 96 model sidecars (part 1's grid: 2 noise levels × 3 delays ×
2 field types × 4 train σ × 2 parts' worth of methods folded in as part 2) and figure sidecars with
the workflow's shapes (a group of 4 models compared by train σ, figures per amplitude, SISU and
measure), folds them into the catalogue, then times `browser_index` and `write_browser`. The files
the sidecars name need not exist for the index (their links are written as they are).

    .venv/bin/python bench/browser.py [--figures 5000] [--in-browser]

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


def time_in_browser(page: Path) -> None:
    """Open the page in headless Chromium (Selenium + chromedriver) and time its first draw, a
    facet click and the switch to a row x column layout."""
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    try:
        t0 = time.perf_counter()
        driver.get(page.as_uri())
        count = driver.find_element(By.ID, "count")
        while " of " not in count.text:  # "N of N figures" once the index is read and drawn
            time.sleep(0.05)
        print(f"in Chromium: first draw {time.perf_counter() - t0:.2f} s after opening the page")
        click, layout, shown, rows, cols = driver.execute_script("""
            const t0 = performance.now();
            document.querySelector('input[data-facet="pert.type"][data-value="curl"]').click();
            const t1 = performance.now();
            for (const [id, key] of [["rows", "model.feedback_delay_steps"], ["cols", "pert.std"]]) {
              const select = document.getElementById(id);
              select.value = String(facets.findIndex(f => f.key === key));
              select.dispatchEvent(new Event("change"));
            }
            return [t1 - t0, performance.now() - t1, document.getElementById("count").textContent,
                    document.querySelectorAll("th.row").length, document.querySelectorAll("th.col").length];""")
        print(f"in Chromium: facet click {click:.0f} ms ({shown}); row x column layout (delay x train σ, "
              f"{rows} x {cols}) {layout:.0f} ms")
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, default=5000)
    parser.add_argument("--in-browser", action="store_true",
                        help="also time the page in headless Chromium (needs selenium and chromedriver)")
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
        if args.in_browser:
            time_in_browser(page)
        print(f"seconds_to_build={t_write:.3f}")


if __name__ == "__main__":
    main()
