"""Training an ensemble of replicates under vmap, with one compiled step per run.

Replicates are independent: each has its own initial weights and its own trials, gradients are
taken per replicate, and Adam is elementwise, so vmapping over replicates is equivalent to
training them one at a time (a test checks this).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax

from ..sim._controllers import AbstractController
from ..sim._fields import training_fields
from ..sim._loss import loss_terms
from ..sim._rollout import simulate_trials
from ..sim._setup import Hps, make_ensemble, make_keys, map_replicates
from ..sim._tasks import random_reaches
from ._selection import select_replicates
from ._spec import TrainSpec, as_train_spec


class TrainingDiverged(RuntimeError):
    """Every replicate diverged (non-finite loss or gradient); no model is saved."""


def save_iterations(n_batches: int) -> list[int]:
    """Iterations whose parameters are kept: 0–9, 10–90 by 10, 100–900 by 100, … and the last.

    Returns:
        Sorted iterations < n_batches.
    """
    its, decade = set(), 1
    while decade < n_batches:
        its.update(range(0, min(10 * decade, n_batches), decade))
        decade *= 10
    its.add(n_batches - 1)
    return sorted(i for i in its if 0 <= i < n_batches)


def make_schedule(hps: Hps | TrainSpec) -> optax.Schedule:
    """Constant learning rate for `constant_lr_iterations`, then cosine decay to α·lr."""
    spec = as_train_spec(hps)
    lr, n, n_const = spec.learning_rate, spec.n_batches, spec.constant_lr_iterations
    if n_const >= n:
        return optax.constant_schedule(lr)
    cosine = optax.cosine_decay_schedule(lr, decay_steps=n - n_const, alpha=spec.cosine_alpha)
    return optax.join_schedules([optax.constant_schedule(lr), cosine], boundaries=[n_const])


def sample_batch(key, hps: Hps | TrainSpec, batch_size: int):
    """One replicate's training trials: (start, goal, fields, context) with leading axis batch."""
    spec = as_train_spec(hps)
    env = spec.model.environment
    k_trials, k_fields = jr.split(key)
    trials = random_reaches(k_trials, batch_size, env.workspace)
    if spec.method is None:
        fields, _ = training_fields(k_fields, env.field_type, env.field_std, batch_size)
        context = jnp.zeros((batch_size, 0))
    else:
        fields, sisu = spec.method.sample(k_fields, env.field_type, env.field_std, batch_size)
        context = sisu[:, None]
    return trials.start, trials.goal, fields, context


def make_replicate_loss(hps: Hps | TrainSpec) -> Callable:
    """`loss(model, key) -> (total, terms)` for one replicate on one freshly sampled batch."""
    spec = as_train_spec(hps)
    env = spec.model.environment.environment()
    weights = spec.loss.weights
    batch_size = spec.batch_size
    readout_w, readout_v = spec.loss.readout_norm, spec.loss.readout_norm_value

    def loss(model: AbstractController, key):
        k_batch, k_noise = jr.split(key)
        start, goal, fields, context = sample_batch(k_batch, spec, batch_size)
        traj = simulate_trials(model, env, start, goal, fields, context, jr.split(k_noise, batch_size))
        terms = loss_terms(traj.pos, traj.vel, traj.force, traj.hidden, goal, weights)
        if readout_w > 0:
            norm = jnp.linalg.norm(model.readout.weight)
            terms["readout_norm"] = readout_w * (norm - readout_v) ** 2
        return sum(terms.values()), terms

    return loss


def _where_alive(alive, new, old):
    """Per replicate: take `new` where alive, else keep `old` (leaves without a replicate axis: new)."""
    n = alive.shape[0]

    def pick(a, b):
        if eqx.is_array(a) and a.ndim >= 1 and a.shape[0] == n:
            return jnp.where(alive.reshape((n,) + (1,) * (a.ndim - 1)), a, b)
        return a

    return jax.tree.map(pick, new, old)


@dataclass
class TrainStep:
    """The compiled training step of one run; `n_traces` counts how often it was traced."""

    fn: Callable
    n_traces: int = 0


def make_train_step(hps: Hps | TrainSpec, optimizer: optax.GradientTransformation) -> TrainStep:
    """Build the jitted step `(ensemble, opt_state, alive, key, iteration) -> (...)`.

    `iteration` must always be an int32 array (never a Python int) so the step compiles once.
    A replicate stays alive while its loss and every gradient are finite; the step that finds
    either non-finite leaves its parameters and optimiser state as they were, and so does every
    later step (the returned `alive` is False from then on).
    """
    loss = make_replicate_loss(hps)
    grad_fn = eqx.filter_value_and_grad(loss, has_aux=True)
    @eqx.filter_jit
    def step(ensemble, opt_state, alive, key, iteration):
        holder.n_traces += 1  # Python side effect: runs only while tracing
        keys = jr.split(jr.fold_in(key, iteration), alive.shape[0])
        (total, terms), grads = map_replicates(grad_fn, ensemble, keys)
        params = eqx.filter(ensemble, eqx.is_inexact_array)
        with jax.numpy_dtype_promotion("standard"):  # optax's Adam is not strict-promotion clean
            updates, new_opt_state = optimizer.update(grads, opt_state, params)
        new_ensemble = eqx.apply_updates(ensemble, updates)
        grads_finite = jnp.stack([jnp.all(jnp.isfinite(g), axis=tuple(range(1, g.ndim)))
                                  for g in jax.tree.leaves(grads)]).all(axis=0)
        alive = alive & jnp.isfinite(total) & grads_finite
        new_ensemble = _where_alive(alive, new_ensemble, ensemble)
        new_opt_state = _where_alive(alive, new_opt_state, opt_state)
        return new_ensemble, new_opt_state, alive, total, terms

    holder = TrainStep(fn=step)  # `step` reads it only while tracing, after this line
    return holder


@dataclass
class TrainResult:
    """Outcome of a training run.

    Attributes:
        ensemble: the best-iteration parameters of every replicate (leading replicate axis).
        history: loss per term and `total`, each (n_batches, n_replicates); NaN after divergence.
        saved_iterations: iterations whose parameters were kept.
        info: post-training selection (best iterations, included replicates, reasons, criteria).
        n_traces: how many times the train step was traced (1 for a healthy run).
    """

    ensemble: AbstractController
    history: dict[str, np.ndarray]
    saved_iterations: list[int]
    info: dict
    n_traces: int
    snapshots: list = field(repr=False, default_factory=list)


def train_ensemble(hps: Hps | TrainSpec, *, init_ensemble: AbstractController | None = None,
                   progress: bool = True) -> TrainResult:
    """Train the replicate ensemble described by `hps`, then select the best iterations.

    Arguments:
        hps: resolved training hyperparameters (`defaults/train.yaml` layout), or the
            `TrainSpec` built from them.
        init_ensemble: optional initial ensemble (default: built from the seed's init key).
        progress: show a rich progress bar with the running loss.

    Returns:
        A `TrainResult`.

    Raises:
        TrainingDiverged: if every replicate's loss or gradient became non-finite.
    """
    spec = as_train_spec(hps)
    n_batches = spec.n_batches
    key_init, key_train, _ = make_keys(spec.model.seed)
    ensemble = make_ensemble(spec.model, key_init) if init_ensemble is None else init_ensemble
    n_rep = spec.model.n_replicates
    optimizer = optax.adam(make_schedule(spec))
    opt_state = optimizer.init(eqx.filter(ensemble, eqx.is_inexact_array))
    step = make_train_step(spec, optimizer)
    alive = jnp.ones(n_rep, dtype=bool)
    to_save = set(save_iterations(n_batches))
    snapshots, saved, totals, term_hist, alive_hist = [], [], [], [], []

    from ._progress import TrainingProgress
    with TrainingProgress(n_batches, enabled=progress) as bar:
        for it in range(n_batches):
            if it in to_save:
                snapshots.append(jax.device_get(eqx.filter(ensemble, eqx.is_array)))
                saved.append(it)
            ensemble, opt_state, alive, total, terms = step.fn(
                ensemble, opt_state, alive, key_train, jnp.asarray(it, dtype=jnp.int32))
            totals.append(total)
            term_hist.append(terms)
            alive_hist.append(alive)
            if it % 25 == 0 or it == n_batches - 1:
                alive_np = np.asarray(alive)
                bar.update(it + 1, np.asarray(total), alive_np)
                if not alive_np.any():
                    break

    history = {"total": np.array(jnp.stack(totals))}
    for name in term_hist[0]:
        history[name] = np.array(jnp.stack([h[name] for h in term_hist]))
    n_done = history["total"].shape[0]
    if n_done < n_batches:  # stopped early because everything diverged: pad with NaN
        history = {k: np.concatenate([v, np.full((n_batches - n_done, n_rep), np.nan)]) for k, v in history.items()}
    diverged_at, diverged_reason = _divergence(np.asarray(jnp.stack(alive_hist)), history["total"])
    for r, d in enumerate(diverged_at):  # a stopped replicate's later losses mean nothing
        if d is not None:
            for v in history.values():
                v[d:, r] = np.nan
    if all(d is not None for d in diverged_at):
        raise TrainingDiverged(
            f"every replicate diverged at iterations {diverged_at} "
            f"({'; '.join(f'replicate {r}: {why}' for r, why in enumerate(diverged_reason))}); no model saved. "
            f"Try a smaller train.learning_rate (now {spec.learning_rate}) or a smaller pert.std "
            f"(now {spec.model.environment.field_std}).")
    best, info = select_replicates(spec, history["total"], saved, snapshots, ensemble, diverged_at,
                                   diverged_reason)
    return TrainResult(ensemble=best, history=history, saved_iterations=saved, info=info,
                       n_traces=step.n_traces, snapshots=snapshots)


def _divergence(alive: np.ndarray, total: np.ndarray) -> tuple[list[int | None], list[str | None]]:
    """When and why each replicate stopped.

    Arguments:
        alive: (n_done, R) whether each replicate was still alive after each iteration's step.
        total: (n_done or more, R) total loss at each iteration, before any NaN padding is applied
            to stopped replicates.

    Returns:
        `(diverged_at, reasons)`: per replicate the iteration whose step found a non-finite loss
        or gradient (None if it never stopped) and `"non-finite loss at iteration N"` or
        `"non-finite gradient at iteration N (loss finite)"` (None if it never stopped).
    """
    at, reasons = [], []
    for r in range(alive.shape[1]):
        dead = np.flatnonzero(~alive[:, r])
        if not dead.size:
            at.append(None)
            reasons.append(None)
            continue
        d = int(dead[0])
        at.append(d)
        reasons.append(f"non-finite loss at iteration {d}" if not np.isfinite(total[d, r])
                       else f"non-finite gradient at iteration {d} (loss finite)")
    return at, reasons
