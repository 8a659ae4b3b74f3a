"""Benchmark: the unit analyses (`sisu_pert`, `unit_ablation`, `unit_perts`, `unit_prefs`) on one
model at full scale (SPEC defaults: H = 100, 5 replicates, the packaged grids), on CPU.

Each analysis runs in its own subprocess so that its peak resident memory (ru_maxrss) is its
own; the model is an untrained part-2 ensemble (the cost does not depend on the weights).
Prints one line per analysis: wall time (s, compile included), peak RSS (MB) and table rows.

    python bench/unit_analyses.py                       # all three, full scale
    python bench/unit_analyses.py --only unit_ablation --hidden 32 --replicates 2
"""

import argparse
import json
import resource
import subprocess
import sys
import time

ANALYSES = ("sisu_pert", "unit_ablation", "unit_perts", "unit_prefs")


def run_one(name: str, hidden: int, replicates: int, threads: int) -> dict:
    """Plan and compute every evaluation of `name` for one model; time and rows."""
    from motorlab.stages._threads import limit_cpu_threads

    limit_cpu_threads(threads)  # XLA sizes its pool from the CPU affinity: before JAX starts
    import jax.random as jr

    from motorlab import make_ensemble
    from motorlab.analysis import get_analysis
    from motorlab.config import deep_merge
    from motorlab.config._load import train_defaults

    hps = deep_merge(train_defaults(), {"part": 2, "model": {"hidden_size": hidden, "n_replicates": replicates}})
    ensemble = make_ensemble(hps, jr.PRNGKey(0))
    unit = get_analysis(name)
    t0 = time.perf_counter()
    rows = {}
    for plan in unit.plan(unit.defaults(), hps):
        tables = unit.tables(ensemble, hps, plan.hps, included=None, states=None)
        rows[plan.variant] = {k: len(v) for k, v in tables.items()}
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"analysis": name, "seconds": round(seconds, 1), "peak_rss_mb": round(peak_mb), "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=ANALYSES, help="one analysis (run in this process)")
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--replicates", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="CPU cores (affinity)")
    args = parser.parse_args()
    if args.only:
        print(json.dumps(run_one(args.only, args.hidden, args.replicates, args.threads)))
        return
    for name in ANALYSES:
        out = subprocess.run([sys.executable, __file__, "--only", name, "--hidden", str(args.hidden),
                              "--replicates", str(args.replicates), "--threads", str(args.threads)],
                             capture_output=True, text=True)
        line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        print(line[-1] if line else f"{name}: failed\n{out.stderr[-2000:]}", flush=True)


if __name__ == "__main__":
    main()
