"""Benchmark: the SPEC §2.4 frequency response at full scale on one random (untrained) model.

Default scale: 50 evaluation repeats × 10 × 10 hold positions × 200 steps, H = 100, 5 replicates.
Prints the wall time of the first call (compile + run) and of a second call (run only) and the
peak resident memory of the process; the last line is `seconds=<second call> peak_rss_mb=<peak>`.

    python bench/freq_response.py --eval-n 50 --grid-n 10 --hidden 100 --replicates 5
"""

import argparse
import platform
import resource
import time

import jax

from motorlab import make_ensemble
from motorlab.analysis.freq_response import frequency_response_table
from motorlab.config import train_defaults
from motorlab.sim import make_keys


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if platform.system() == "Darwin" else 2**10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-n", type=int, default=50, help="evaluation repeats")
    parser.add_argument("--grid-n", type=int, default=10, help="grid_n × grid_n hold positions")
    parser.add_argument("--n-steps", type=int, default=200, help="states per trial")
    parser.add_argument("--hidden", type=int, default=100, help="GRU hidden size H")
    parser.add_argument("--replicates", type=int, default=5, help="replicates in the ensemble")
    args = parser.parse_args()

    hps = train_defaults()
    hps["model"].update(hidden_size=args.hidden, n_replicates=args.replicates)
    ensemble = make_ensemble(hps, make_keys(0)[0])
    kwargs = dict(seed=1, eval_n=args.eval_n, grid_n=args.grid_n, n_steps=args.n_steps)
    print(f"backend={jax.default_backend()} eval_n={args.eval_n} positions={args.grid_n ** 2} "
          f"n_steps={args.n_steps} hidden={args.hidden} replicates={args.replicates}")
    t0 = time.perf_counter()
    table = frequency_response_table(ensemble, hps, **kwargs)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    frequency_response_table(ensemble, hps, **kwargs)
    second = time.perf_counter() - t0
    print(f"rows={len(table)} first_call_s={first:.2f} (compile + run) second_call_s={second:.2f}")
    print(f"seconds={second:.2f} peak_rss_mb={peak_rss_mb():.0f}")


if __name__ == "__main__":
    main()
