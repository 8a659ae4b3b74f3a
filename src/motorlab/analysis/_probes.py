"""Evaluate an ensemble under many interventions ("probes") at once: the analyses inside the
network (SISU steps, unit stimulation, ablation) run one compiled rollout vmapped over probes,
in chunks that bound memory, with a rich progress bar.

A probe is one `Interventions` whose arrays have shape (K, ·) (K = n_steps − 1 control steps),
shared by every trial of the condition set; a batch of P probes has a leading axis P. Each
probe's trajectories are reduced inside the compiled program by the caller's `reduce`, so only
what the analysis needs leaves it.
"""

import dataclasses
from collections.abc import Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..sim._controllers import AbstractController
from ..sim._fields import AbstractField, evaluation_fields
from ..sim._rollout import Environment, Interventions, Trajectory, simulate
from ..sim._setup import make_keys, map_replicates
from ..sim._specs import as_model_spec
from ..sim._tasks import centre_out
from ..sim._types import Array, Float
from ._evaluate import make_conditions


def check_window(start, duration, n_steps: int, where: str) -> tuple[int, int]:
    """`(start, duration)` of an intervention window, or a ValueError naming `where` unless it
    lies within the n_steps − 1 control steps (start >= 0, duration >= 1, start + duration <= K)."""
    ok = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (start, duration))
    if not ok or start < 0 or duration < 1 or start + duration > n_steps - 1:
        raise ValueError(f"{where}: start = {start!r}, duration = {duration!r} is outside the trial; "
                         f"expected integers with start >= 0, duration >= 1 and start + duration <= "
                         f"n_steps - 1 = {n_steps - 1}")
    return int(start), int(duration)


def check_units(units: Sequence[int] | None, n_units: int, where: str) -> np.ndarray:
    """Unit indices as an int array (all H units when None), or a ValueError naming `where` and
    the out-of-range indices."""
    if units is None:
        return np.arange(n_units)
    arr = np.asarray(list(units))
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{where} = {list(units)!r}; expected a non-empty list of unit indices")
    bad = arr[(arr < 0) | (arr >= n_units)]
    if bad.size:
        raise ValueError(f"{where}: unit index {bad.tolist()} out of range; expected 0 <= unit < "
                         f"H = {n_units}")
    return arr.astype(np.int64)


def step_mask(n_steps: int, start: int, duration: int | None = None) -> Float[Array, " k"]:
    """(K,) float32: 1 at control steps start … start + duration − 1 (to the end when None)."""
    k = jnp.arange(n_steps - 1)
    on = k >= start if duration is None else (k >= start) & (k < start + duration)
    return on.astype(jnp.float32)


def unit_offsets(units: Float[Array, " p"], amplitudes: Float[Array, " p"], n_units: int,
                 mask: Float[Array, " k"]) -> Float[Array, "p k h"]:
    """(P, K, H) offsets: probe p adds amplitudes[p] to unit units[p] at the steps of `mask`."""
    onehot = (jnp.arange(n_units)[None, :] == units[:, None]).astype(jnp.float32)  # (P, H)
    return amplitudes[:, None, None] * mask[None, :, None] * onehot[:, None, :]


Reduce = Callable[[Trajectory, AbstractController], object]
"""`reduce(traj, net)`: what to keep of one probe's trajectories (leading trial axis n)."""


def run_probes(ensemble: AbstractController, env: Environment, start: Float[Array, "n 2"],
               goal: Float[Array, "n 2"], fields: AbstractField, context: Float[Array, "n c"],
               eval_keys: Array, probes: Interventions, reduce: Reduce, *, chunk: int = 16,
               keep: Sequence[str] = ("hidden",), label: str = "probes", progress: bool = False):
    """Every evaluation repeat × replicate × probe × trial, reduced per probe.

    Arguments:
        ensemble: the replicate ensemble (leading replicate axis R).
        env: plant, channels, n_steps.
        start, goal, fields, context: the n trials (leading axis n).
        eval_keys: one key per evaluation repeat (E); trial noise keys are split from each, so
            every probe and replicate sees the same noise (as in `motorlab.analysis.evaluate`).
        probes: `Interventions` with a leading probe axis P (arrays (P, K, ·)), shared by trials.
        reduce: `reduce(traj, net)` → a pytree of arrays, applied to each probe's trajectories.
        chunk: probes per compiled call (memory ∝ chunk); the last chunk is padded.
        keep: what the rollout records (see `simulate`).
        label, progress: a rich progress bar over the chunks, when `progress`.

    Returns:
        The reduced pytree as NumPy arrays with leading axes (E, R, P).
    """
    if not (isinstance(chunk, int) and chunk >= 1):
        raise ValueError(f"chunk = {chunk!r}; expected an integer >= 1")
    leaves = [x for x in jax.tree.leaves(probes)]
    if not leaves:
        raise ValueError("probes has no intervention arrays; expected at least one (P, K, ·) array")
    n_probes = leaves[0].shape[0]
    n = start.shape[0]
    keep = tuple(keep)

    @eqx.filter_jit
    def run(ens, ivs):
        def one_eval(k):
            noise_keys = jr.split(k, n)

            def one_rep(net):
                def one_probe(iv):
                    traj = jax.vmap(lambda s, g, f, c, kk: simulate(net, env, s, g, f, c, kk, iv, keep=keep))(
                        start, goal, fields, context, noise_keys)
                    return reduce(traj, net)
                return jax.vmap(one_probe)(ivs)
            return map_replicates(one_rep, ens)
        return jax.lax.map(one_eval, eval_keys)

    pieces = []
    bounds = list(range(0, n_probes, chunk))
    with Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  disable=not progress) as bar:
        task = bar.add_task(label, total=len(bounds))
        for lo in bounds:
            idx = np.minimum(np.arange(lo, lo + chunk), n_probes - 1)  # pad with the last probe
            part = run(ensemble, jax.tree.map(lambda a: a[idx], probes))
            size = min(chunk, n_probes - lo)
            pieces.append(jax.tree.map(lambda a: np.asarray(a[:, :, :size]), part))
            bar.advance(task)
    return jax.tree.map(lambda *xs: np.concatenate(xs, axis=2), *pieces)


@dataclasses.dataclass(frozen=True)
class ProbeConditions:
    """The trials a probe analysis runs: conditions (amplitude × SISU × trial, amplitude-major,
    as `motorlab.analysis.evaluate`), their fields and context, the environment and eval keys."""

    env: Environment
    start: Float[Array, "n 2"]
    goal: Float[Array, "n 2"]
    fields: AbstractField
    context: Float[Array, "n c"]
    eval_keys: Array  # (E, key) one key per evaluation repeat
    pert_amp: np.ndarray
    sisu: np.ndarray
    direction: np.ndarray
    angle: np.ndarray


def probe_conditions(model_hps, *, task, amplitudes: Sequence[float], sisu: Sequence[float] | None,
                     noise: dict, eval_n: int, seed: int, n_steps: int | None = None,
                     field_type: str | None = None) -> ProbeConditions:
    """Conditions of a probe analysis from a model's hyperparameters.

    Arguments:
        model_hps: the model's training tree (or `ModelSpec`); its field type is evaluated.
        task: `{grid_n, n_directions, reach_length}` (reach length 0: holding still).
        amplitudes: field amplitudes; sisu: context values (part 2) or None (part 1).
        noise: `{feedback_noise_std, motor_noise_std}` (None: training values).
        eval_n, seed: repeats (1 without noise) and the evaluation seed (`make_keys(seed)`).
        n_steps: trial length override (None: the training value).
        field_type: the evaluated field type (None: the model's training type).
    """
    model = as_model_spec(model_hps)
    env = model.environment.environment(feedback_noise_std=noise.get("feedback_noise_std"),
                                        motor_noise_std=noise.get("motor_noise_std"), n_steps=n_steps)
    base = centre_out(int(task["grid_n"]), int(task["n_directions"]), float(task["reach_length"]),
                      model.environment.workspace)
    cond = make_conditions(base, field_type or model.environment.field_type, list(amplitudes), sisu)
    fields = evaluation_fields(cond.pert_type, jnp.asarray(cond.pert_amp), cond.trials.angle)
    context = jnp.asarray(cond.sisu)[:, None] if model.n_context else jnp.zeros((cond.n, 0))
    if env.feedback.noise_std == 0 and env.motor.std == 0:
        eval_n = 1
    _, _, key_eval = make_keys(int(seed))
    return ProbeConditions(env, cond.trials.start, cond.trials.goal, fields, context,
                           jr.split(key_eval, int(eval_n)), cond.pert_amp, cond.sisu,
                           np.asarray(cond.trials.direction), np.asarray(cond.trials.angle))


def run_conditions(ensemble, pc: ProbeConditions, probes: Interventions, reduce: Reduce, **kwargs):
    """`run_probes` on the trials of `pc`."""
    return run_probes(ensemble, pc.env, pc.start, pc.goal, pc.fields, pc.context, pc.eval_keys, probes,
                      reduce, **kwargs)
