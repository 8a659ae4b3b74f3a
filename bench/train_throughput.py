"""Training throughput on the SPEC workload: GRU 100, batch 250, 100 steps, curl field, Adam.

Prints the compile time (first step), per-iteration times (wall and process CPU time), trials per
second, the estimated wall time of the study's training (`--study`, from `motorlab expand`'s
model list: n_models × n_batches × seconds per iteration / models per step), and as its last
line `seconds_per_iteration=<median>`.

`--models M` measures M models in one compiled step. Models with the same parameter shapes
differ only in values, so M models of R replicates cost what one step over M·R independent
replicates costs: that is what is timed (the stacked replicate axis, vmapped on accelerators and
looped on CPU).

    python bench/train_throughput.py --iters 20 --replicates 5 --models 4
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
    parser.add_argument("--models", type=int, default=1, help="models trained in one step")
    parser.add_argument("--study", default="config/config.yaml",
                        help="study config whose training is estimated ('' to skip)")
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()

    hps = yaml.safe_load(resources.files("motorlab").joinpath("defaults/train.yaml").read_text())
    hps = copy.deepcopy(hps)
    hps["model"].update(hidden_size=args.hidden, n_replicates=args.replicates * args.models)
    hps["train"].update(batch_size=args.batch, n_batches=args.iters + 1)
    hps["plant"]["n_steps"] = args.steps
    hps["pert"].update(type="curl", std=1.0)

    key_init, key_train, _ = make_keys(hps["seed"])
    ensemble = make_ensemble(hps, key_init)
    optimizer = optax.adam(make_schedule(hps))
    opt_state = optimizer.init(eqx.filter(ensemble, eqx.is_inexact_array))
    step = make_train_step(hps, optimizer)
    alive = jnp.ones(args.replicates * args.models, dtype=bool)

    t0 = time.perf_counter()
    out = step.fn(ensemble, opt_state, alive, key_train, jnp.asarray(0, jnp.int32))
    jax.block_until_ready(out)
    compile_s = time.perf_counter() - t0
    ensemble, opt_state, alive = out[:3]
    times, cpu = [], []
    for it in range(1, args.iters + 1):
        t, c = time.perf_counter(), time.process_time()
        out = step.fn(ensemble, opt_state, alive, key_train, jnp.asarray(it, jnp.int32))
        jax.block_until_ready(out)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        ensemble, opt_state, alive = out[:3]
    times = np.asarray(times)
    med = float(np.median(times))
    n_nets = args.replicates * args.models
    print(f"workload: GRU {args.hidden}, batch {args.batch}, {args.steps} steps, curl, Adam, "
          f"{args.models} model(s) x {args.replicates} replicate(s); device {jax.devices()[0]}")
    print(f"compile_and_first_step_s={compile_s:.2f}")
    print(f"traces={step.n_traces}")
    print(f"iterations_per_s={1 / med:.2f}  trials_per_s={n_nets * args.batch / med:.0f}  "
          f"seconds_per_model_iteration={med / args.models:.4f}")
    if args.study:
        from motorlab.config import load_study

        study = load_study(args.study)
        models = [h for part in study.parts for h in study.models(part).values()]
        total = sum(h["train"]["n_batches"] for h in models) * med / args.models
        same = all(h["model"]["n_replicates"] == args.replicates for h in models)
        print(f"study_estimate: {len(models)} models in {args.study}, "
              f"{total / 3600:.2f} h of training at {med / args.models:.4f} s per model-iteration"
              + ("" if same else f" (note: the study's models do not all have {args.replicates} replicates)"))
    print(f"p10={np.percentile(times, 10):.4f}  p90={np.percentile(times, 90):.4f}  "
          f"cpu_s_per_iteration={np.median(cpu):.4f} (process CPU time, all threads: steadier "
          f"than wall time on a shared machine)")
    print(f"seconds_per_iteration={med:.4f}")


if __name__ == "__main__":
    main()
