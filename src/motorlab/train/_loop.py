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
from ._checkpoint import Checkpoint, TrainState
from ._options import StepPolicy, make_optimizer, make_schedule, selection_start, total_batches
from ._selection import select_replicates
from ._spec import TrainSpec, as_train_spec
from ._validation import make_validation_loss, validation_iterations


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


def sample_batch(key, hps: Hps | TrainSpec, batch_size: int, field_std=None):
    """One replicate's training trials: (start, goal, fields, context) with leading axis batch.

    `field_std` overrides the spec's σ (a traced scalar when several models share one step)."""
    spec = as_train_spec(hps)
    env = spec.model.environment
    std = env.field_std if field_std is None else field_std
    k_trials, k_fields = jr.split(key)
    trials = random_reaches(k_trials, batch_size, env.workspace)
    if spec.method is None:
        fields, _ = training_fields(k_fields, env.field_type, std, batch_size)
        context = jnp.zeros((batch_size, 0))
    else:
        fields, sisu = spec.method.sample(k_fields, env.field_type, std, batch_size)
        context = sisu[:, None]
    return trials.start, trials.goal, fields, context


def make_replicate_loss(hps: Hps | TrainSpec) -> Callable:
    """`loss(model, key, field_std=None) -> (total, terms)` for one replicate on one freshly
    sampled batch (`field_std`: see `sample_batch`)."""
    spec = as_train_spec(hps)
    env = spec.model.environment.environment()
    weights = spec.loss.weights
    batch_size = spec.batch_size
    readout_w, readout_v = spec.loss.readout_norm, spec.loss.readout_norm_value

    def loss(model: AbstractController, key, field_std=None):
        k_batch, k_noise = jr.split(key)
        start, goal, fields, context = sample_batch(k_batch, spec, batch_size, field_std)
        traj = simulate_trials(model, env, start, goal, fields, context, jr.split(k_noise, batch_size),
                               remat=True)
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

    The buffers of `ensemble` and `opt_state` are donated to the step (updated in place where the
    backend can): pass the arrays the previous step returned, never ones still needed.
    """
    spec = as_train_spec(hps)
    loss = make_replicate_loss(spec)
    grad_fn = eqx.filter_value_and_grad(loss, has_aux=True)
    policy = StepPolicy(spec)

    @eqx.filter_jit(donate="all-except-first")
    def donating_step(kept, ensemble, opt_state):
        holder.n_traces += 1  # Python side effect: runs only while tracing
        alive, key, iteration = kept
        keys = jr.split(jr.fold_in(key, iteration), alive.shape[0])
        std = policy.field_std(spec.model.environment.field_std, iteration)
        if std is None:  # no baseline or scale-up: the step as it was before the options
            (total, terms), grads = map_replicates(grad_fn, ensemble, keys)
        else:
            (total, terms), grads = map_replicates(lambda m, k: grad_fn(m, k, std), ensemble, keys)
        params = eqx.filter(ensemble, eqx.is_inexact_array)
        with jax.numpy_dtype_promotion("standard"):  # optax's Adam is not strict-promotion clean
            updates, new_opt_state = policy.update(optimizer, grads, opt_state, params, iteration)
        new_ensemble = eqx.apply_updates(ensemble, updates)
        grads_finite = jnp.stack([jnp.all(jnp.isfinite(g), axis=tuple(range(1, g.ndim)))
                                  for g in jax.tree.leaves(grads)]).all(axis=0)
        alive = alive & jnp.isfinite(total) & grads_finite
        new_ensemble = _where_alive(alive, new_ensemble, ensemble)
        new_opt_state = _where_alive(alive, new_opt_state, opt_state)
        return new_ensemble, new_opt_state, alive, total, terms

    def step(ensemble, opt_state, alive, key, iteration):
        return donating_step((alive, key, iteration), ensemble, opt_state)

    holder = TrainStep(fn=step)  # `step` reads it only while tracing, after this line
    return holder


@dataclass
class TrainResult:
    """Outcome of a training run.

    Attributes:
        ensemble: the best-iteration parameters of every replicate (leading replicate axis).
        history: loss per term and `total`, each (n_batches_baseline + n_batches, n_replicates);
            NaN after divergence.
        saved_iterations: iterations whose parameters were kept.
        info: post-training selection (best iterations, included replicates, reasons, criteria).
        n_traces: how many times the train step was traced (1 for a healthy run).
        snapshots: the parameters at the saved iterations.
        validation: the validation loss (`train.validation_loss_every`): `iterations` (V,) and
            per term and `total` (V, n_replicates), NaN after divergence; {} when off.
    """

    ensemble: AbstractController
    history: dict[str, np.ndarray]
    saved_iterations: list[int]
    info: dict
    n_traces: int
    snapshots: list = field(repr=False, default_factory=list)
    validation: dict[str, np.ndarray] = field(default_factory=dict)


def train_ensemble(hps: Hps | TrainSpec, *, init_ensemble: AbstractController | None = None,
                   progress: bool = True, checkpoint: Checkpoint | None = None) -> TrainResult:
    """Train the replicate ensemble described by `hps`, then select the best iterations.

    Arguments:
        hps: resolved training hyperparameters (`defaults/train.yaml` layout), or the
            `TrainSpec` built from them.
        init_ensemble: optional initial ensemble (default: built from the seed's init key).
        progress: show a rich progress bar with the running loss.
        checkpoint: optional `Checkpoint`: resume from it when it holds a state of its identity
            (the result is bit-identical to an uninterrupted run), save to it as it says while
            training, and remove it when training is over.

    Returns:
        A `TrainResult`.

    Raises:
        TrainingDiverged: if every replicate's loss or gradient became non-finite.
    """
    spec = as_train_spec(hps)
    n_batches = total_batches(spec)  # baseline included
    key_init, key_train, _ = make_keys(spec.model.seed)
    ensemble = make_ensemble(spec.model, key_init) if init_ensemble is None else _copy(init_ensemble)
    n_rep = spec.model.n_replicates
    optimizer = make_optimizer(spec)
    opt_state = optimizer.init(eqx.filter(ensemble, eqx.is_inexact_array))
    step = make_train_step(spec, optimizer)
    run = _Run(ensemble, opt_state, jnp.ones(n_rep, dtype=bool))
    if checkpoint is not None:
        run.resume(checkpoint)
    to_save = set(save_iterations(n_batches))
    to_validate = set(validation_iterations(spec, n_batches))
    validation_loss = make_validation_loss(spec) if to_validate else None

    from ._progress import TrainingProgress
    with TrainingProgress(n_batches, enabled=progress, start=run.start) as bar:
        for it in range(run.start, n_batches):
            if checkpoint is not None and it > run.start and checkpoint.due(it):
                checkpoint.save(run.state(it))
            if it in to_save:
                run.snapshots.append(jax.tree.map(np.array, eqx.filter(run.ensemble, eqx.is_array)))
                run.saved.append(it)
            if it in to_validate:
                run.validation.append((it, validation_loss(run.ensemble)))
            run.ensemble, run.opt_state, run.alive, total, terms = step.fn(
                run.ensemble, run.opt_state, run.alive, key_train, jnp.asarray(it, dtype=jnp.int32))
            run.record(total, terms)
            if it % 25 == 0 or it == n_batches - 1:
                alive_np = np.asarray(run.alive)
                bar.update(it + 1, np.asarray(total), alive_np)
                if not alive_np.any():
                    break

    history, alive_hist = run.history()
    ensemble, snapshots, saved = run.ensemble, run.snapshots, run.saved
    n_done = history["total"].shape[0]
    if n_done < n_batches:  # stopped early because everything diverged: pad with NaN
        history = {k: np.concatenate([v, np.full((n_batches - n_done, n_rep), np.nan)]) for k, v in history.items()}
    diverged_at, diverged_reason = _divergence(alive_hist, history["total"])
    validation = validation_history(run.validation)
    blank_after_divergence(history, validation, diverged_at)
    if checkpoint is not None:
        checkpoint.remove()
    if all(d is not None for d in diverged_at):
        raise TrainingDiverged(
            f"every replicate diverged at iterations {diverged_at} "
            f"({'; '.join(f'replicate {r}: {why}' for r, why in enumerate(diverged_reason))}); no model saved. "
            f"Try a smaller train.learning_rate (now {spec.learning_rate}) or a smaller pert.std "
            f"(now {spec.model.environment.field_std}).")
    best, info = select_replicates(spec, history["total"], *selectable(spec, saved, snapshots), ensemble,
                                   diverged_at, diverged_reason)
    return TrainResult(ensemble=best, history=history, saved_iterations=saved, info=info,
                       n_traces=step.n_traces, snapshots=snapshots, validation=validation)


def selectable(spec: TrainSpec, saved: list[int], snapshots: list) -> tuple[list[int], list]:
    """The saved iterations (and their snapshots) that best-iteration selection may pick: those
    at the full training σ (`_options.selection_start`); all of them when the options are off."""
    start = selection_start(spec)
    keep = [i for i, it in enumerate(saved) if it >= start]
    return [saved[i] for i in keep], [snapshots[i] for i in keep]


def blank_after_divergence(history: dict[str, np.ndarray], validation: dict[str, np.ndarray],
                           diverged_at: list[int | None]) -> None:
    """Set NaN, in place, a stopped replicate's losses from the iteration it stopped and its
    validation losses recorded after it: they mean nothing."""
    for r, d in enumerate(diverged_at):
        if d is None:
            continue
        for v in history.values():
            v[d:, r] = np.nan
        for k, v in validation.items():
            if k != "iterations":
                v[validation["iterations"] > d, r] = np.nan


def validation_history(records: list) -> dict[str, np.ndarray]:
    """`[(iteration, {term: (R,)}), ...]` as `{"iterations": (V,), term: (V, R)}` ({} if none)."""
    if not records:
        return {}
    out = {"iterations": np.asarray([it for it, _ in records], np.int64)}
    out.update({k: np.stack([np.asarray(v[k], np.float64) for _, v in records]) for k in records[0][1]})
    return out


_VALIDATION = "validation:"  # the prefix of the validation records in a checkpoint's history


def with_validation(history: dict[str, np.ndarray], records: list) -> dict[str, np.ndarray]:
    """`history` with the validation `records` added under their own prefix: a checkpoint
    carries them in its history (`split_validation` takes them out again)."""
    return {**history, **{_VALIDATION + k: v for k, v in validation_history(records).items()}}


def split_validation(history) -> tuple[dict[str, np.ndarray], list]:
    """`(losses, validation records)` of a checkpoint's history (`with_validation`'s inverse)."""
    losses = {k: np.asarray(v) for k, v in history.items() if not k.startswith(_VALIDATION)}
    val = {k.removeprefix(_VALIDATION): np.asarray(v) for k, v in history.items() if k.startswith(_VALIDATION)}
    records = [(int(it), {k: v[i] for k, v in val.items() if k != "iterations"})
               for i, it in enumerate(val.get("iterations", ()))]
    return losses, records


class _Run:
    """The mutable state of one training run: model, optimiser, alive flags, the loss history
    (host arrays up to the last pull, device arrays since) and the snapshots."""

    def __init__(self, ensemble, opt_state, alive):
        self.ensemble, self.opt_state, self.alive = ensemble, opt_state, alive
        self.start = 0
        self.saved: list[int] = []
        self.snapshots: list = []
        self.validation: list = []  # (iteration, {term: (R,)})
        self._host: dict[str, np.ndarray] | None = None
        self._host_alive = np.zeros((0, alive.shape[0]), bool)
        self._pending: list = []

    def record(self, total, terms) -> None:
        """Keep one iteration's losses (device arrays; pulled to the host when needed)."""
        self._pending.append((total, terms, self.alive))

    def history(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """`(losses per term and total, each (n_done, R); alive flags (n_done, R))` on the host."""
        if self._pending:
            totals, terms, alive = zip(*self._pending)
            new = {"total": np.array(jnp.stack(totals))}
            new.update({k: np.array(jnp.stack([t[k] for t in terms])) for k in terms[0]})
            new_alive = np.array(jnp.stack(alive))
            self._host = new if self._host is None else {
                k: np.concatenate([self._host[k], new[k]]) for k in self._host}
            self._host_alive = np.concatenate([self._host_alive, new_alive])
            self._pending = []
        return {k: v.copy() for k, v in (self._host or {}).items()}, self._host_alive.copy()

    def state(self, iteration: int) -> TrainState:
        """The checkpointable state once iterations 0 … iteration − 1 are done."""
        history, alive_hist = self.history()
        history = with_validation(history, self.validation)
        return TrainState(iteration=iteration, params=_host_leaves(eqx.filter(self.ensemble, eqx.is_array)),
                          opt_state=_host_leaves(self.opt_state), alive=np.array(self.alive),
                          history=history, alive_history=alive_hist, saved=list(self.saved),
                          snapshots=[jax.tree.leaves(s) for s in self.snapshots])

    def resume(self, checkpoint: Checkpoint) -> None:
        """Continue from `checkpoint` when it holds a usable state (and say so)."""
        params, static = eqx.partition(self.ensemble, eqx.is_array)
        p_leaves, p_def = jax.tree.flatten(params)
        o_leaves, o_def = jax.tree.flatten(self.opt_state)
        state = checkpoint.load(p_leaves, o_leaves)
        if state is None:
            return
        self.ensemble = eqx.combine(jax.tree.unflatten(p_def, [jnp.asarray(a) for a in state.params]), static)
        self.opt_state = jax.tree.unflatten(o_def, [jnp.asarray(a) for a in state.opt_state])
        self.alive = jnp.asarray(state.alive)
        history, self.validation = split_validation(state.history)
        self._host = history if state.iteration else None
        self._host_alive = np.asarray(state.alive_history)
        self.saved = list(state.saved)
        self.snapshots = [jax.tree.unflatten(p_def, list(s)) for s in state.snapshots]
        self.start = state.iteration
        checkpoint.log(f"resumed from iteration {state.iteration} (checkpoint {checkpoint.path})")



def _host_leaves(tree) -> list[np.ndarray]:
    return [np.array(a) for a in jax.tree.leaves(tree)]


def _copy(tree):
    """`tree` with every array copied (the train step donates its inputs' buffers)."""
    return jax.tree.map(lambda a: jnp.array(a, copy=True) if eqx.is_array(a) else a, tree)


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
