"""Training throughput on the SPEC workload: GRU 100, batch 250, 100 steps, curl field, Adam.

Prints the compile time (first dispatch), per-iteration times (wall and this process's user CPU
time; the machine may be shared, so both are given with the load average), trials per second, the
peak memory, and the estimated wall time of the study's training (`--study`: the models of
`motorlab expand`, grouped by `bucket_key` and cut into jobs of `--models`), with a GPU projection
from per-step figures given as assumptions (`--gpu-step`). Last line: `seconds_per_iteration=<median>`.

`--models M` times M models in one compiled step, as the workflow's `train_bucket` jobs run them
(`motorlab.train.make_bucket_step`: models mapped with `lax.map` on CPU, `vmap` elsewhere), with
`--dispatch K` iterations per dispatch.

    python bench/train_throughput.py --iters 20 --replicates 5 --models 4
"""

import argparse
import copy
import os
import resource
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
from motorlab.train._bucket import init_bucket, make_bucket_step
from motorlab.train._spec import as_train_spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=20, help="timed iterations after compilation")
    parser.add_argument("--replicates", type=int, default=1)
    parser.add_argument("--models", type=int, default=1, help="models trained in one step (a bucket)")
    parser.add_argument("--dispatch", type=int, default=1, help="iterations per dispatch (bucket only)")
    parser.add_argument("--study", default="config/config.yaml",
                        help="study config whose training is estimated ('' to skip)")
    parser.add_argument("--gpu-step", default="0.0094,0.0112",
                        help="assumed GPU seconds per step for 1 and 5 networks (H200 figures of issue 12)")
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()

    hps = yaml.safe_load(resources.files("motorlab").joinpath("defaults/train.yaml").read_text())
    hps = copy.deepcopy(hps)
    hps["model"].update(hidden_size=args.hidden, n_replicates=args.replicates)
    hps["train"].update(batch_size=args.batch, n_batches=(args.iters + 1) * args.dispatch)
    hps["plant"]["n_steps"] = args.steps
    hps["pert"].update(type="curl", std=1.0)

    if args.models == 1 and args.dispatch == 1:
        run = _solo(hps, args)
    else:
        run = _bucket(hps, args)
    load = os.getloadavg()
    t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_utime
    jax.block_until_ready(run(0))
    compile_s = time.perf_counter() - t0
    compile_cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - c0
    times, cpu = [], []
    for it in range(1, args.iters + 1):
        t, c = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_utime
        jax.block_until_ready(run(it))
        times.append((time.perf_counter() - t) / args.dispatch)
        cpu.append((resource.getrusage(resource.RUSAGE_SELF).ru_utime - c) / args.dispatch)
    times, cpu = np.asarray(times), np.asarray(cpu)
    med, med_cpu = float(np.median(times)), float(np.median(cpu))
    n_nets = args.replicates * args.models
    threads = len(os.sched_getaffinity(0))
    print(f"workload: GRU {args.hidden}, batch {args.batch}, {args.steps} steps, curl, Adam, "
          f"{args.models} model(s) x {args.replicates} replicate(s), {args.dispatch} iteration(s) per "
          f"dispatch; device {jax.devices()[0]}, {threads} cores")
    print(f"load_average_1min_at_start={load[0]:.2f} at_end={os.getloadavg()[0]:.2f}")
    print(f"compile_and_first_step_s={compile_s:.2f}  user_cpu_s={compile_cpu:.2f}")
    print(f"iterations_per_s={1 / med:.2f}  trials_per_s={n_nets * args.batch / med:.0f}  "
          f"seconds_per_model_iteration={med / args.models:.4f}")
    print(f"p10={np.percentile(times, 10):.4f}  p90={np.percentile(times, 90):.4f}  "
          f"user_cpu_s_per_iteration={med_cpu:.4f} (user CPU time of all threads; /{threads} cores = "
          f"{med_cpu / threads:.4f} s, the wall time on an idle machine if the cores stay busy)")
    print(f"peak_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    if args.study:
        _study_estimate(args, med, med_cpu / threads)
    print(f"seconds_per_iteration={med:.4f}")


def _solo(hps, args):
    """`run(iteration)` for one model alone (`train_ensemble`'s step)."""
    key_init, key_train, _ = make_keys(hps["seed"])
    ensemble = make_ensemble(hps, key_init)
    optimizer = optax.adam(make_schedule(hps))
    opt_state = optimizer.init(eqx.filter(ensemble, eqx.is_inexact_array))
    step = make_train_step(hps, optimizer)
    state = {"e": ensemble, "o": opt_state, "a": jnp.ones(args.replicates, dtype=bool)}

    def run(it):
        out = step.fn(state["e"], state["o"], state["a"], key_train, jnp.asarray(it, jnp.int32))
        state["e"], state["o"], state["a"] = out[:3]
        return out

    return run


def _bucket(hps, args):
    """`run(dispatch)` for `--models` models in one step (`train_bucket`'s dispatch)."""
    specs = []
    for m in range(args.models):
        h = copy.deepcopy(hps)
        h["seed"] = hps["seed"] + m
        h["pert"]["std"] = 0.5 * m
        specs.append(as_train_spec(h))
    params, static, opt_state, key_train, stds, optimizer = init_bucket(specs)
    step = make_bucket_step(specs[0], optimizer, static, args.dispatch)
    state = {"p": params, "o": opt_state, "a": jnp.ones((args.models, args.replicates), dtype=bool)}

    def run(it):
        kept = (state["a"], key_train, stds, jnp.asarray(it * args.dispatch, jnp.int32),
                jnp.asarray(args.dispatch, jnp.int32))
        state["p"], state["o"], out = step.fn(kept, state["p"], state["o"])
        state["a"] = out[2][-1]
        return out

    return run


def _study_estimate(args, med: float, med_cpu_idle: float) -> None:
    """Training wall time of the study's models on one device, jobs of `--models` models run one
    after the other (every model costed as the benched workload, per its own n_batches)."""
    from motorlab.config import load_study
    from motorlab.train import buckets

    study = load_study(args.study)
    models = [h for part in study.parts for h in study.models(part).values()]
    groups = buckets(models)
    jobs = [(min(args.models, len(g) - i), models[g[0]]["train"]["n_batches"])
            for g in groups for i in range(0, len(g), args.models)]
    iterations = sum(n for _, n in jobs)
    same = all(h["model"]["n_replicates"] == args.replicates for h in models)
    print(f"study: {len(models)} models in {args.study}, {len(groups)} groups that can share a step "
          f"(sizes {sorted((len(g) for g in groups), reverse=True)}), {len(jobs)} jobs of <= {args.models} "
          f"models, {iterations} job-iterations"
          + ("" if same else f" (note: not every model has {args.replicates} replicates)"))
    print(f"study_estimate_cpu: {iterations * med / 3600:.2f} h at the measured wall time per iteration, "
          f"{iterations * med_cpu_idle / 3600:.2f} h at user CPU time / cores (an idle machine)")
    one, five = (float(x) for x in args.gpu_step.split(","))
    per_net = (five - one) / 4  # assumed linear in networks per step between and beyond the two points
    gpu = sum(n * (one + per_net * (k * args.replicates - 1)) for k, n in jobs)
    print(f"study_estimate_gpu: {gpu / 60:.1f} min on one GPU, assuming {one} s per step for 1 network "
          f"and +{per_net:.5f} s per extra network in the step ({five} s for 5), jobs one after the other")


if __name__ == "__main__":
    main()
