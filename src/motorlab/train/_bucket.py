"""Several models in one compiled step: models that differ only in the training field σ and the
seed share parameter shapes and code, so one step mapped over models trains them all.

Each model keeps its own initial weights (its seed's init key), its own training batches (its
seed's train key), its own σ (a traced scalar) and its own alive flags; Adam is elementwise, so
the models do not interact. Results equal each model's solo training up to float round-off (the
batched matrix products may sum in another order); a test checks it.

One dispatch runs up to `iterations_per_dispatch` (K) iterations in a `lax.scan`, and the losses
come to the host once per dispatch. The scan always has length K; a dispatch that must stop early
(at an iteration whose parameters are kept, at the end) skips its remaining iterations with a
`lax.cond`, so the step compiles once and every iteration runs the same compiled body: the
results do not depend on K, bit for bit (a test checks it).

The workflow's side (which models share a job, memory) is in `train._plan`.
"""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax

from ..sim._setup import Hps, make_ensemble, make_keys, map_replicates
from ._checkpoint import Checkpoint, TrainState
from ._loop import (TrainResult, TrainingDiverged, TrainStep, _divergence, _where_alive, blank_after_divergence,
                    make_replicate_loss, save_iterations, selectable, split_validation,
                    validation_history, with_validation)
from ._options import StepPolicy, make_optimizer, total_batches
from ._validation import make_validation_loss, validation_iterations
from ._selection import select_replicates
from ._spec import TrainSpec, as_train_spec

#: Iterations per dispatch when not given. Measured on 2 CPU cores (bench/train_throughput.py,
#: SPEC workload): K = 10 is as fast as K = 1 there (the step is compute-bound); on an accelerator
#: it removes the host round-trip after every step. 10 divides the save schedule's decades.
DEFAULT_ITERATIONS_PER_DISPATCH = 10


#: The `TrainSpec` fields whose every value `train_bucket` trains as `train_ensemble` does. A field
#: added later (a training option) that is on in a model keeps that model out of buckets
#: (`unsupported_options`) until the bucket step implements it.
BUCKET_FIELDS = frozenset({"model", "loss", "method", "learning_rate", "batch_size", "n_batches",
                           "constant_lr_iterations", "cosine_alpha", "n_std_exclude", "validation_eval_n",
                           # the SPEC §1.5 options, applied by the same `StepPolicy` as the solo loop
                           "where", "n_batches_baseline", "n_scaleup_batches", "optimizer_reset_iterations",
                           "weight_decay", "validation_loss_every"})


def unsupported_options(hps: Hps | TrainSpec) -> list[str]:
    """The training options of `hps` that are on (not None, 0, False or empty) but that the
    bucket step does not implement: such a model trains alone."""
    spec = as_train_spec(hps)
    return [f.name for f in dataclasses.fields(spec)
            if f.name not in BUCKET_FIELDS and getattr(spec, f.name) not in (None, 0, False, (), [], {}, "")]


def bucket_key(hps: Hps | TrainSpec) -> str:
    """What models must share to train in one step: everything but `pert.std` and `seed` (the
    training options included: the step applies one model's `StepPolicy` to all)."""
    spec = as_train_spec(hps)
    env = dataclasses.replace(spec.model.environment, field_std=0.0)
    return repr(dataclasses.replace(spec, model=dataclasses.replace(spec.model, seed=0, environment=env)))


def buckets(hps_list: list) -> list[list[int]]:
    """Indices of `hps_list` grouped by `bucket_key`, in first-seen order."""
    groups: dict[str, list[int]] = {}
    for i, h in enumerate(hps_list):
        groups.setdefault(bucket_key(h), []).append(i)
    return list(groups.values())


def make_bucket_step(spec: TrainSpec, optimizer: optax.GradientTransformation, static, iterations: int,
                     how: str | None = None) -> TrainStep:
    """The jitted dispatch `(kept, params, opt_state) -> (params, opt_state, (totals, terms, alive))`.

    `kept = (alive (M, R), key_train (M, 2), stds (M,), first iteration, n_run)`: it runs
    iterations first … first + n_run − 1 (n_run ≤ `iterations`; the rest of the scan is skipped)
    and returns each iteration's total loss (K, M, R), loss terms (K, M, R) and alive flags
    (K, M, R) after it (rows ≥ n_run are meaningless). `params` and `opt_state` carry a leading
    model axis M and are donated. `how`: map the models with `"vmap"` or `"map"` (None: `"map"`
    on CPU, `"vmap"` elsewhere, as `map_replicates` does for replicates).
    """
    how = how or ("map" if jax.default_backend() == "cpu" else "vmap")
    n_rep = spec.model.n_replicates
    grad_fn = eqx.filter_value_and_grad(make_replicate_loss(spec), has_aux=True)
    policy = StepPolicy(spec)  # the training options (SPEC §1.5), as the solo loop applies them

    def one_model(p, opt, alive, key, std, iteration):
        ensemble = eqx.combine(p, static)
        rep_keys = jr.split(jr.fold_in(key, iteration), n_rep)
        scaled = policy.field_std(std, iteration)
        std = std if scaled is None else scaled
        (total, terms), grads = map_replicates(lambda m, k: grad_fn(m, k, std), ensemble, rep_keys)
        with jax.numpy_dtype_promotion("standard"):
            updates, new_opt = policy.update(optimizer, grads, opt, eqx.filter(ensemble, eqx.is_inexact_array),
                                             iteration)
        new = eqx.filter(eqx.apply_updates(ensemble, updates), eqx.is_array)
        grads_finite = jnp.stack([jnp.all(jnp.isfinite(g), axis=tuple(range(1, g.ndim)))
                                  for g in jax.tree.leaves(grads)]).all(axis=0)
        alive = alive & jnp.isfinite(total) & grads_finite
        return _where_alive(alive, new, p), _where_alive(alive, new_opt, opt), alive, total, terms

    if how == "vmap":
        models = jax.vmap(one_model, in_axes=(0, 0, 0, 0, 0, None))
    elif how == "map":
        def models(p, opt, alive, key, std, iteration):
            return jax.lax.map(lambda xs: one_model(*xs, iteration), (p, opt, alive, key, std))
    else:
        raise ValueError(f"model mapping must be 'vmap', 'map' or None, got {how!r}")

    @eqx.filter_jit(donate="all-except-first")
    def dispatch(kept, params, opt_state):
        holder.n_traces += 1  # Python side effect: runs only while tracing
        alive, key, stds, first, n_run = kept
        shapes = jax.eval_shape(lambda: models(params, opt_state, alive, key, stds, first)[3:])

        def body(carry, i):
            def run(c):
                p, o, a = c
                p, o, a, total, terms = models(p, o, a, key, stds, first + i)
                return (p, o, a), (total, terms, a)

            def skip(c):
                zeros = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)
                return c, (zeros[0], zeros[1], c[2])

            return jax.lax.cond(i < n_run, run, skip, carry)

        (params, opt_state, _), out = jax.lax.scan(body, (params, opt_state, alive),
                                                   jnp.arange(iterations, dtype=jnp.int32))
        return params, opt_state, out

    holder = TrainStep(fn=dispatch)  # the step is traced again for another number of models
    return holder


def init_bucket(specs: list[TrainSpec]):
    """The starting point of a bucket: `(params, static, opt_state, key_train, stds, optimizer)`,
    with params and optimiser state stacked over models (M, R, ...), each model's training key
    (M, 2) and σ (M,)."""
    keys = [make_keys(s.model.seed) for s in specs]
    ensembles = [make_ensemble(s.model, kk[0]) for s, kk in zip(specs, keys)]
    _, static = eqx.partition(ensembles[0], eqx.is_array)
    params = jax.tree.map(lambda *a: jnp.stack(a), *[eqx.filter(e, eqx.is_array) for e in ensembles])
    key_train = jnp.stack([kk[1] for kk in keys])
    stds = jnp.asarray([s.model.environment.field_std for s in specs], jnp.float32)
    optimizer = make_optimizer(specs[0])
    opt_state = jax.vmap(optimizer.init)(eqx.filter(params, eqx.is_inexact_array))
    return params, static, opt_state, key_train, stds, optimizer


def train_bucket(hps_list: list, *, progress: bool = False, checkpoint: Checkpoint | None = None,
                 iterations_per_dispatch: int | None = None,
                 how: str | None = None) -> list[TrainResult | TrainingDiverged]:
    """Train models that share a `bucket_key` in one compiled step.

    Arguments:
        hps_list: the models' resolved training trees (or `TrainSpec`s), M of them.
        progress: show a progress bar with the running loss of each model.
        checkpoint: optional `Checkpoint` of the whole bucket (its identity must name the
            members, e.g. `train._plan.bucket_id`): resumed from when it holds a state of this
            identity, saved to as it says, removed at the end. Resuming is bit-identical.
        iterations_per_dispatch: K iterations per compiled dispatch (default
            `DEFAULT_ITERATIONS_PER_DISPATCH`); the results do not depend on it.
        how: how models are mapped in the step (see `make_bucket_step`).

    Returns:
        Per model, its `TrainResult`, or the `TrainingDiverged` error of a model whose every
        replicate diverged (the other models are not affected).

    Raises:
        ValueError: if the models do not share a bucket key (naming the first that differs), or
            K is not an integer >= 1.
    """
    specs = [as_train_spec(h) for h in hps_list]
    if not specs:
        raise ValueError("train_bucket: expected at least one model, got none")
    for i, s in enumerate(specs[1:], 1):
        if bucket_key(s) != bucket_key(specs[0]):
            raise ValueError(f"train_bucket: model {i} differs from model 0 in more than pert.std and "
                             f"seed; expected models of one bucket (see `buckets`)")
    for i, s in enumerate(specs):
        if unsupported_options(s):
            raise ValueError(f"train_bucket: model {i} uses {', '.join(unsupported_options(s))}, which a "
                             f"bucket does not implement; train it alone (train_ensemble)")
    k = DEFAULT_ITERATIONS_PER_DISPATCH if iterations_per_dispatch is None else iterations_per_dispatch
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"train_bucket: iterations_per_dispatch = {k!r}; expected an integer >= 1")
    base, n_models, n_rep = specs[0], len(specs), specs[0].model.n_replicates
    n_batches = total_batches(base)  # baseline included
    params, static, opt_state, key_train, stds, optimizer = init_bucket(specs)
    step = make_bucket_step(base, optimizer, static, k, how)

    state = _BucketRun(params, opt_state, jnp.ones((n_models, n_rep), bool))
    if checkpoint is not None:
        state.resume(checkpoint)
    to_save = save_iterations(n_batches)
    to_validate = validation_iterations(base, n_batches)
    if to_validate:
        one_validation = make_validation_loss(base)
        validate = eqx.filter_jit(jax.vmap(lambda p: one_validation(eqx.combine(p, static))))

    from ._progress import TrainingProgress
    with TrainingProgress(n_batches, enabled=progress, start=state.start) as bar:
        it = state.start
        while it < n_batches:
            if checkpoint is not None and it > state.start and checkpoint.due(it):
                checkpoint.save(state.state(it))
            if it in to_save:
                state.snapshots.append(jax.tree.map(np.array, state.params))
                state.saved.append(it)
            if it in to_validate:
                state.validation.append((it, validate(state.params)))
            # a dispatch stops where parameters are kept (a snapshot) or rated (a validation)
            n_run = min(k, n_batches - it, min((s for s in to_save + to_validate if s > it), default=n_batches) - it)
            kept = (state.alive, key_train, stds, jnp.asarray(it, jnp.int32), jnp.asarray(n_run, jnp.int32))
            state.params, state.opt_state, (totals, terms, alive) = step.fn(kept, state.params, state.opt_state)
            totals, alive = np.asarray(totals)[:n_run], np.asarray(alive)[:n_run]
            state.record(totals, {t: np.asarray(v)[:n_run] for t, v in terms.items()}, alive)
            state.alive = jnp.asarray(alive[-1])
            it += n_run
            bar.update(it, totals[-1], alive[-1])
            if not alive[-1].any():
                break

    hist, alive_hist = state.history()
    if checkpoint is not None:
        checkpoint.remove()
    return [_finish(specs[m], m, hist, alive_hist, state.saved, state.snapshots, state.params, static,
                    step.n_traces, [(it, {t: v[m] for t, v in val.items()}) for it, val in state.validation])
            for m in range(n_models)]


class _BucketRun:
    """The mutable state of one bucket's training (leading model axis M on every array)."""

    def __init__(self, params, opt_state, alive):
        self.params, self.opt_state, self.alive = params, opt_state, alive
        self.start = 0
        self.saved: list[int] = []
        self.snapshots: list = []
        self.validation: list = []  # (iteration, {term: (M, R)})
        self._chunks: list = []

    def record(self, totals: np.ndarray, terms: dict, alive: np.ndarray) -> None:
        """Keep a dispatch's host arrays: totals, terms and alive flags, each (n_run, M, R)."""
        self._chunks.append(({"total": totals, **terms}, alive))

    def history(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """`(losses per term and total, each (n_done, M, R); alive flags (n_done, M, R))`."""
        if not self._chunks:
            return {}, np.zeros((0,) + tuple(self.alive.shape), bool)
        names = list(self._chunks[-1][0])
        hist = {n: np.concatenate([c[0][n] for c in self._chunks]) for n in names}
        return hist, np.concatenate([c[1] for c in self._chunks])

    def state(self, iteration: int) -> TrainState:
        hist, alive_hist = self.history()
        hist = with_validation(hist, self.validation)
        return TrainState(iteration=iteration, params=[np.array(a) for a in jax.tree.leaves(self.params)],
                          opt_state=[np.array(a) for a in jax.tree.leaves(self.opt_state)],
                          alive=np.array(self.alive), history=hist, alive_history=alive_hist,
                          saved=list(self.saved), snapshots=[jax.tree.leaves(s) for s in self.snapshots])

    def resume(self, checkpoint: Checkpoint) -> None:
        p_leaves, p_def = jax.tree.flatten(self.params)
        o_leaves, o_def = jax.tree.flatten(self.opt_state)
        saved = checkpoint.load(p_leaves, o_leaves)
        if saved is None:
            return
        self.params = jax.tree.unflatten(p_def, [jnp.asarray(a) for a in saved.params])
        self.opt_state = jax.tree.unflatten(o_def, [jnp.asarray(a) for a in saved.opt_state])
        self.alive = jnp.asarray(saved.alive)
        history, self.validation = split_validation(saved.history)
        if saved.iteration:
            self._chunks = [(history, np.asarray(saved.alive_history))]
        self.saved = list(saved.saved)
        self.snapshots = [jax.tree.unflatten(p_def, list(s)) for s in saved.snapshots]
        self.start = saved.iteration
        checkpoint.log(f"resumed from iteration {saved.iteration} (checkpoint {checkpoint.path})")


def _finish(spec, m, hist, alive_hist, saved, snapshots, params, static, n_traces, validations):
    """Model m's history, divergence and replicate selection, as `train_ensemble` does them."""
    n_batches, n_rep = total_batches(spec), spec.model.n_replicates
    history = {k: v[:, m].copy() for k, v in hist.items()}
    n_done = history["total"].shape[0]
    if n_done < n_batches:
        history = {k: np.concatenate([v, np.full((n_batches - n_done, n_rep), np.nan)]) for k, v in history.items()}
    diverged_at, reasons = _divergence(alive_hist[:, m], history["total"])
    validation = validation_history(validations)
    blank_after_divergence(history, validation, diverged_at)
    if all(d is not None for d in diverged_at):
        return TrainingDiverged(
            f"every replicate diverged at iterations {diverged_at} "
            f"({'; '.join(f'replicate {r}: {why}' for r, why in enumerate(reasons))}); no model saved. "
            f"Try a smaller train.learning_rate (now {spec.learning_rate}) or a smaller pert.std "
            f"(now {spec.model.environment.field_std}).")
    snaps = [jax.tree.map(lambda a: a[m], s) for s in snapshots]
    final = eqx.combine(jax.tree.map(lambda a: a[m], params), static)
    best, info = select_replicates(spec, history["total"], *selectable(spec, saved, snaps), final,
                                   diverged_at, reasons)
    return TrainResult(ensemble=best, history=history, saved_iterations=saved, info=info, n_traces=n_traces,
                       snapshots=snaps, validation=validation)
