"""Benchmark: the verified fixed-point finder on a controller (default: a GRU, 4096 starts, H = 100).

Starts are built as in the analyses: hidden states of the GRU driven by piecewise-constant
inputs (strided), the same plus noise at two scales, and uniform starts in [−1, 1]^H, split
over `--inputs` fixed inputs, all solved in one call of `find_fixed_points`. For each mode of
`--deflation` (the Newton pass alone, and with the deflation rounds that are the default) it
prints the first call and the median of the next `--repeats` calls, in wall and process CPU
seconds (user + system of all threads: on a shared machine wall time depends on the load), the
compile time (first call minus the median), the fraction of starts verified, the statuses and the
roots deflation added; the last line is `seconds_per_call=<median>` of the last mode.

    python bench/fixed_points.py --starts 4096 --hidden 100 --repeats 5 --dtype float32
    python bench/fixed_points.py --deflation both --repeats 3
"""

import argparse
import os
import platform
import statistics
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from motorlab.analysis.fixed_points import STATUS_NAMES, find_fixed_points
from motorlab.sim import CONTROLLERS


def build(kind: str, hidden: int, gain: float, dtype, key):
    """A part-2 controller (9 inputs) of `kind`, recurrent weights scaled by `gain`."""
    ctrl = CONTROLLERS[kind].from_settings({"hidden_size": hidden, "tau": 0.1}, dt=0.05,
                                           n_context=1, key=key)
    ctrl = jax.tree.map(lambda x: x.astype(dtype) if eqx.is_array(x) else x, ctrl)
    return eqx.tree_at(lambda c: c.cell.weight_hh, ctrl, ctrl.cell.weight_hh * gain)


def hidden_states(cell, key, n_segments: int, steps: int):
    """States of the map driven by `n_segments` random inputs, each held for `steps` steps."""
    dtype = cell.dtype
    u = jr.uniform(key, (n_segments, cell.input_size), dtype, minval=-1, maxval=1)
    seq = jnp.repeat(u, steps, axis=0)
    return jax.lax.scan(lambda h, x: (cell.step(x, h), h), jnp.zeros(cell.hidden_size, dtype),
                        seq)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=4096, help="starts in all, over all inputs")
    parser.add_argument("--kind", choices=sorted(CONTROLLERS), default="gru", help="controller")
    parser.add_argument("--hidden", type=int, default=100, help="hidden size H")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls after the first")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--inputs", type=int, default=4, help="fixed inputs K (problems)")
    parser.add_argument("--gain", type=float, default=1.0,
                        help="scale of the recurrent weights (1: Equinox default init)")
    parser.add_argument("--max-steps", type=int, default=100, help="iterations per start")
    parser.add_argument("--deflation", choices=["on", "off", "both"], default="on",
                        help="deflation after the Newton pass (the default of the finder)")
    args = parser.parse_args()
    if args.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    dtype = jnp.dtype(args.dtype)
    if args.starts % (4 * args.inputs):
        parser.error("--starts must be a multiple of 4 × --inputs")

    key = jr.PRNGKey(0)
    k_cell, k_states, k_inputs, k_find = jr.split(key, 4)
    n_in = 9
    cell = build(args.kind, args.hidden, args.gain, dtype, k_cell)
    per_input = args.starts // args.inputs
    quarter = per_input // 4
    states = np.asarray(hidden_states(cell, k_states, n_segments=quarter // 10 + 1, steps=40))
    stride = max(1, len(states) // quarter)
    states = states[::stride][:quarter]
    inputs = np.asarray(jr.uniform(k_inputs, (args.inputs, n_in), dtype, minval=-1, maxval=1))

    def call(k, deflation):
        fps = find_fixed_points(cell, inputs, key=k, states=states, stride=1,
                                noise_scales=(0.01, 0.1), n_box=quarter,
                                max_steps=args.max_steps, deflation=deflation)
        jax.block_until_ready(fps.points)
        return fps

    def timed(k, deflation):
        t0, c0 = time.perf_counter(), time.process_time()
        fps = call(k, deflation)
        return fps, time.perf_counter() - t0, time.process_time() - c0

    print(f"device: {jax.devices()[0].device_kind} ({jax.default_backend()}), "
          f"cpu: {platform.processor() or platform.machine()}, jax {jax.__version__}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{args.kind} H={args.hidden}, I={n_in}, gain={args.gain}, dtype={args.dtype}; "
          f"{args.inputs} inputs x {per_input} starts = {args.inputs * per_input} starts/call")
    modes = {"on": [True], "off": [False], "both": [False, True]}[args.deflation]
    median = float("nan")
    for deflation in modes:
        print(f"--- deflation {'on' if deflation else 'off'}")
        fps, first, first_cpu = timed(k_find, deflation)
        runs = [timed(jr.fold_in(k_find, r + 1), deflation) for r in range(args.repeats)]
        fps = runs[-1][0] if runs else fps
        median = statistics.median([r[1] for r in runs]) if runs else first
        median_cpu = statistics.median([r[2] for r in runs]) if runs else first_cpu
        counts = {name: int(np.sum(fps.start_status == c)) for c, name in enumerate(STATUS_NAMES)}
        steps = np.percentile(fps.start_steps, [50, 90, 99, 100])
        print(f"first call {first:.2f} s (cpu {first_cpu:.2f} s) -> compile ~{first - median:.2f} s "
              f"(cpu ~{first_cpu - median_cpu:.2f} s)")
        print("per call: " + ", ".join(f"{r[1]:.3f}" for r in runs) + " s wall; "
              + ", ".join(f"{r[2]:.3f}" for r in runs) + " s cpu")
        print(f"median per call: {median:.3f} s wall, {median_cpu:.3f} s cpu")
        print(f"verified fraction: {fps.fraction_verified():.4f}; statuses: {counts}")
        unstable = [fps.n_unstable[k, :n].tolist() for k, n in enumerate(fps.n_fixed)]
        print(f"unique fixed points per input: {fps.n_fixed.tolist()}; "
              f"added by deflation: {fps.n_deflated.tolist()}; unstable directions: {unstable}")
        print(f"iterations per start (p50, p90, p99, max): {steps.tolist()}")
        print(f"max residual of verified points: {np.nanmax(fps.residual[fps.status == 0]):.2e}")
    print(f"seconds_per_call={median:.4f}")


if __name__ == "__main__":
    main()
