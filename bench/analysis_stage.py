"""Benchmark: the tables stage of one analysis for one model of a study config, at that config's
scale (default: `config/config.yaml`, i.e. full scale), on an untrained ensemble of the model's
shape (timing and memory depend on shapes, not on trained weights).

Prints the planned settings, the wall time of the stage (`AbstractAnalysis.tables`, compile
included, as the workflow runs it: one process per evaluation) and the peak resident memory of
the process. Run it under `/usr/bin/time -v` for an independent peak-RSS figure:

    /usr/bin/time -v python bench/analysis_stage.py --analysis freq_response
    /usr/bin/time -v python bench/analysis_stage.py --analysis feedback_perts --part part2
"""

import argparse
import json
import platform
import resource
import time

import jax
import numpy as np

from motorlab import make_ensemble
from motorlab.analysis import get_analysis
from motorlab.config import load_study
from motorlab.sim import make_keys


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if platform.system() == "Darwin" else 2**10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", default="config/config.yaml")
    parser.add_argument("--part", default="part1")
    parser.add_argument("--analysis", default="freq_response")
    parser.add_argument("--index", type=int, default=0, help="which of the analysis' evaluations")
    args = parser.parse_args()

    study = load_study(args.configfile)
    evaluation = study.evaluations(args.part, args.analysis)[args.index]
    hps = study.model(evaluation.model_id)
    unit = get_analysis(args.analysis)
    ensemble = make_ensemble(hps, make_keys(hps["seed"])[0])
    print(f"backend={jax.default_backend()} analysis={args.analysis} part={args.part} "
          f"model={evaluation.model_id} hidden={hps['model']['hidden_size']} "
          f"replicates={hps['model']['n_replicates']} n_steps={hps['plant']['n_steps']}")
    print("settings:", json.dumps({k: v for k, v in evaluation.hps.items() if k != "seed"}))
    included = np.ones(hps["model"]["n_replicates"], bool)
    t0 = time.perf_counter()
    tables = unit.tables(ensemble, hps, evaluation.hps, included=included, states=None)
    seconds = time.perf_counter() - t0
    sizes = {n: f"{len(t)} rows, {t.memory_usage(deep=True).sum() / 2**20:.1f} MiB" for n, t in tables.items()}
    print("tables:", sizes, "counts:", unit.summary(tables))
    print(f"seconds={seconds:.1f} peak_rss_mb={peak_rss_mb():.0f}")


if __name__ == "__main__":
    main()
