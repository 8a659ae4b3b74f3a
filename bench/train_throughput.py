"""Training throughput on the SPEC workload: GRU 100, batch 250, 100 steps, curl field, Adam.

Prints the compile time (first step), per-iteration times, and as its last line
`seconds_per_iteration=<median>`.

    python bench/train_throughput.py --iters 20 --replicates 5
"""

import argparse
import copy
import time
from importlib import resources

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import yaml

from motorlab.sim import make_ensemble, make_keys
from motorlab.train import make_schedule, make_train_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=20, help="timed iterations after compilation")
    parser.add_argument("--replicates", type=int, default=1)
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()

    hps = yaml.safe_load(resources.files("motorlab").joinpath("defaults/train.yaml").read_text())
    hps = copy.deepcopy(hps)
    hps["model"].update(hidden_size=args.hidden, n_replicates=args.replicates)
    hps["train"].update(batch_size=args.batch, n_batches=args.iters + 1)
    hps["plant"]["n_steps"] = args.steps
    hps["pert"].update(type="curl", std=1.0)

    key_init, key_train, _ = make_keys(hps["seed"])
    ensemble = make_ensemble(hps, key_init)
    optimizer = optax.adam(make_schedule(hps))
    opt_state = optimizer.init(eqx.filter(ensemble, eqx.is_inexact_array))
    step = make_train_step(hps, optimizer)
    alive = jnp.ones(args.replicates, dtype=bool)

    t0 = time.perf_counter()
    out = step.fn(ensemble, opt_state, alive, key_train, jnp.asarray(0, jnp.int32))
    jax.block_until_ready(out)
    compile_s = time.perf_counter() - t0
    ensemble, opt_state, alive = out[:3]
    times = []
    for it in range(1, args.iters + 1):
        t = time.perf_counter()
        out = step.fn(ensemble, opt_state, alive, key_train, jnp.asarray(it, jnp.int32))
        jax.block_until_ready(out)
        times.append(time.perf_counter() - t)
        ensemble, opt_state, alive = out[:3]
    times = np.asarray(times)
    med = float(np.median(times))
    print(f"workload: GRU {args.hidden}, batch {args.batch}, {args.steps} steps, curl, Adam, "
          f"{args.replicates} replicate(s); device {jax.devices()[0]}")
    print(f"compile_and_first_step_s={compile_s:.2f}")
    print(f"traces={step.n_traces}")
    print(f"iterations_per_s={1 / med:.2f}  trials_per_s={args.replicates * args.batch / med:.0f}")
    print(f"p10={np.percentile(times, 10):.4f}  p90={np.percentile(times, 90):.4f}")
    print(f"seconds_per_iteration={med:.4f}")


if __name__ == "__main__":
    main()
