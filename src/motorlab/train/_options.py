"""The SPEC §1.5 training options as one per-iteration policy, shared by the solo training loop
(`_loop`) and the bucket step (`_bucket`).

One clock counts every iteration of a run: the `n_batches_baseline` pre-training iterations
(σ = 0) first, then the `n_batches` main iterations. Iteration numbers in `where` and
`optimizer_reset_iterations` are on this clock.

* `where`: which parameter groups (`PARAM_GROUPS`) train from which iteration on. A frozen group
  gets no update (weight decay included) and its Adam moments are held, as `optax.masked` holds
  them; before the first listed iteration every group trains.
* baseline: iterations `0 … n_batches_baseline − 1` train with the field σ set to 0; the same
  optimiser (state, schedule position) carries on into the main training.
* scale-up: over the first `n_scaleup_batches` main iterations the training σ is multiplied by
  0.5·(1 − cos(π·p)), p = (iteration − n_batches_baseline) / n_scaleup_batches: 0 at the first,
  ½ half-way, 1 from the end of the ramp on.
* optimiser resets: at each listed iteration, before its update, Adam's moments and step count
  start again from zero (the learning-rate schedule keeps its position).
* `weight_decay`: AdamW's decoupled decay (`optax.adamw`); 0 is plain Adam (`optax.adam`).

Every option that is off adds nothing to the compiled step (the policy's parts are None), so a
run with all options off computes exactly what it did before they existed.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..sim._types import Array, Bool, Float, Int
from ..sim._setup import Hps
from ._spec import PARAM_GROUPS, TrainSpec, as_train_spec


def total_batches(spec: TrainSpec) -> int:
    """Iterations of a run: baseline then main training."""
    return spec.n_batches_baseline + spec.n_batches


def selection_start(spec: TrainSpec) -> int:
    """The first iteration at the full training σ (after the baseline and the scale-up ramp),
    capped at the last iteration: best-iteration selection only looks from here on, since a
    lower σ gives a lower loss that says nothing of the trained condition."""
    return min(spec.n_batches_baseline + spec.n_scaleup_batches, total_batches(spec) - 1)


def make_schedule(hps: Hps | TrainSpec) -> optax.Schedule:
    """Constant learning rate for `n_batches_baseline + constant_lr_iterations` updates, then
    cosine decay to α·lr over the rest of the main training (the baseline runs at the initial
    rate, the main training's schedule is the one it has without a baseline)."""
    spec = as_train_spec(hps)
    lr, n, n_const = spec.learning_rate, spec.n_batches, spec.constant_lr_iterations
    if n_const >= n:
        return optax.constant_schedule(lr)
    cosine = optax.cosine_decay_schedule(lr, decay_steps=n - n_const, alpha=spec.cosine_alpha)
    return optax.join_schedules([optax.constant_schedule(lr), cosine],
                                boundaries=[spec.n_batches_baseline + n_const])


def make_optimizer(spec: TrainSpec) -> optax.GradientTransformation:
    """Adam on `make_schedule`, or AdamW when `weight_decay` > 0."""
    schedule = make_schedule(spec)
    if spec.weight_decay > 0:
        return optax.adamw(schedule, weight_decay=spec.weight_decay)
    return optax.adam(schedule)


def scaleup_factor(progress: Float[Array, ""] | float) -> Float[Array, ""]:
    """The cosine ramp 0.5·(1 − cos(π·p)) at progress p, clipped to [0, 1]."""
    p = jnp.clip(jnp.asarray(progress, jnp.float32), 0.0, 1.0)
    return 0.5 * (1.0 - jnp.cos(jnp.pi * p))


@dataclasses.dataclass(frozen=True)
class StepPolicy:
    """What the training options do at one iteration, inside the compiled step.

    Every method takes the traced int32 `iteration` and returns None when its option is off.
    """

    spec: TrainSpec

    def field_scale(self, iteration: Int[Array, ""]) -> Float[Array, ""] | None:
        """Factor on the training σ: 0 in the baseline, the cosine ramp during the scale-up, 1
        after; None when there is neither a baseline nor a scale-up."""
        b, n_up = self.spec.n_batches_baseline, self.spec.n_scaleup_batches
        if b == 0 and n_up == 0:
            return None
        main = iteration >= b
        if n_up == 0:
            return main.astype(jnp.float32)
        factor = scaleup_factor((iteration - b).astype(jnp.float32) / n_up)
        return jnp.where(main, factor, 0.0)

    def field_std(self, std, iteration: Int[Array, ""]):
        """The training σ at `iteration` (`std`: the model's σ, a float or a traced scalar), or
        None (use the spec's own σ) when it never changes."""
        scale = self.field_scale(iteration)
        return None if scale is None else jnp.asarray(std, jnp.float32) * scale

    def trainable(self, iteration: Int[Array, ""]) -> dict[str, Bool[Array, ""]] | None:
        """Per parameter group, whether it trains at `iteration`; None when all always train."""
        if not self.spec.where:
            return None
        starts = np.asarray([it for it, _ in self.spec.where], np.int32)
        # row 0: before the first entry every group trains
        table = np.asarray([[True] * len(PARAM_GROUPS)]
                           + [[g in groups for g in PARAM_GROUPS] for _, groups in self.spec.where])
        row = jnp.sum(iteration >= jnp.asarray(starts))
        flags = jnp.asarray(table)[row]
        return {g: flags[i] for i, g in enumerate(PARAM_GROUPS)}

    def reset_now(self, iteration: Int[Array, ""]) -> Bool[Array, ""] | None:
        """Whether the optimiser's moments start again at `iteration`; None without resets."""
        if not self.spec.optimizer_reset_iterations:
            return None
        return jnp.any(iteration == jnp.asarray(self.spec.optimizer_reset_iterations, jnp.int32))

    def update(self, optimizer: optax.GradientTransformation, grads, opt_state, params,
               iteration: Int[Array, ""]):
        """`optimizer.update` with the options applied: the reset before it, the frozen groups'
        updates zeroed and their moments held after it.

        Returns:
            `(updates, new_opt_state)`, as `optimizer.update` returns them.
        """
        reset = self.reset_now(iteration)
        if reset is not None:
            opt_state = reset_moments(opt_state, reset)
        updates, new_opt_state = optimizer.update(grads, opt_state, params)
        flags = self.trainable(iteration)
        if flags is not None:
            updates = _by_group(flags, updates, jax.tree.map(jnp.zeros_like, updates))
            new_opt_state = _by_group(flags, new_opt_state, opt_state)
        return updates, new_opt_state


def reset_moments(opt_state, when: Bool[Array, ""] | bool = True):
    """`opt_state` with every Adam state (`optax.ScaleByAdamState`: count, mu, nu) set to zero
    where `when`; other states (the schedule's step count) are kept."""
    def fresh(state):
        if isinstance(state, optax.ScaleByAdamState):
            return jax.tree.map(lambda a: jnp.where(when, jnp.zeros_like(a), a), state)
        return state

    return jax.tree.map(fresh, opt_state, is_leaf=lambda s: isinstance(s, optax.ScaleByAdamState))


def _group_of(path) -> str | None:
    """The parameter group a leaf belongs to: the first attribute on its path named in
    `PARAM_GROUPS` (`…mu.cell.weight_hh` -> `cell`), or None (a step count)."""
    for k in path:
        name = getattr(k, "name", None)
        if name in PARAM_GROUPS:
            return name
    return None


def _by_group(flags: dict[str, Bool[Array, ""]], new, old):
    """Leafwise `new` where its group trains, `old` where it is frozen; leaves of no group: new."""
    def pick(path, a, b):
        group = _group_of(path)
        return a if group is None else jnp.where(flags[group], a, b)

    return jax.tree_util.tree_map_with_path(pick, new, old)
