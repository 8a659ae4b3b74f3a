"""Post-training selection (SPEC §1.5): best iteration per replicate and replicate exclusion."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from ..sim._controllers import AbstractController
from ..sim._fields import CurlField
from ..sim._rollout import simulate_trials
from ..sim._setup import Hps, make_keys, map_replicates
from ..sim._tasks import centre_out
from ._spec import TrainSpec, as_train_spec

CRITERIA = ("best_total_loss", "end_position_error")
REPLICATE_CRITERION = "best_total_loss"
# A replicate learned when its best saved loss is below this fraction of its initial loss (and
# its best iteration is not 0); otherwise it is excluded as "did not learn".
LEARNED_FRACTION = 0.95


class TrainingDidNotLearn(RuntimeError):
    """No replicate learned (each one's best iteration was 0, or its best loss was not clearly
    below its initial loss); no model is saved."""


def did_not_learn(initial: np.ndarray, best_loss: np.ndarray, best_iteration: np.ndarray) -> list[str | None]:
    """Per replicate, why it did not learn, or None if it did.

    Arguments:
        initial: (R,) total loss at iteration 0 (untrained weights).
        best_loss: (R,) lowest total loss at a saved iteration (inf where none was finite).
        best_iteration: (R,) the iteration of `best_loss`.

    Returns:
        Per replicate None, or a reason such as "did not learn: best iteration is 0 (loss 3.1
        at the start, rising to 6e3)" / "did not learn: best loss 2.9 is not below 0.9 x initial 3.1".
    """
    out = []
    for r in range(len(initial)):
        if best_iteration[r] == 0:
            out.append(f"did not learn: its best iteration is 0 (untrained weights, loss {initial[r]:.4g})")
        elif not best_loss[r] < LEARNED_FRACTION * initial[r]:
            out.append(f"did not learn: best loss {best_loss[r]:.4g} is not below {LEARNED_FRACTION:g} x "
                       f"its initial loss {initial[r]:.4g}")
        else:
            out.append(None)
    return out


def stack_best(snapshots: list, best_index: np.ndarray, like: AbstractController) -> AbstractController:
    """Rebuild an ensemble whose replicate r has the parameters of snapshot `best_index[r]`."""
    params = [jax.tree.map(lambda a, r=r, i=i: a[r], snapshots[i]) for r, i in enumerate(best_index)]
    stacked = jax.tree.map(lambda *xs: jnp.stack([jnp.asarray(x) for x in xs]), *params)
    return eqx.combine(stacked, eqx.filter(like, eqx.is_array, inverse=True))


def validation_end_error(ensemble: AbstractController, hps: Hps | TrainSpec) -> np.ndarray:
    """Mean end-position error (last 10 steps, ‖p − goal‖) of each replicate on the `full`
    centre-out set (2×2 centres × 24 directions, reach 0.5), unperturbed, SISU 0, over
    `train.validation_eval_n` noise samples.

    Returns:
        (n_replicates,) errors in workspace units.
    """
    spec = as_train_spec(hps)
    env = spec.model.environment.environment()
    trials = centre_out(2, 24, 0.5, spec.model.environment.workspace)
    n = trials.n
    fields = CurlField(amplitude=jnp.zeros(n))
    context = jnp.zeros((n, spec.model.n_context))
    _, _, key_eval = make_keys(spec.model.seed)
    eval_keys = jr.split(jr.fold_in(key_eval, 0), spec.validation_eval_n)

    @eqx.filter_jit
    def run(ens, keys):
        def one_rep(model):
            def one_eval(k):
                traj = simulate_trials(model, env, trials.start, trials.goal, fields, context,
                                       jr.split(k, n), keep=())
                err = jnp.linalg.norm(traj.pos[:, -10:] - trials.goal[:, None], axis=-1)
                return jnp.mean(err)
            return jnp.mean(jax.vmap(one_eval)(keys))
        return map_replicates(one_rep, ens)

    return np.asarray(run(ensemble, eval_keys))


def included_by(values: np.ndarray, n_std: float) -> np.ndarray:
    """Replicates whose value is within best + n_std·std (non-finite values are excluded)."""
    finite = np.isfinite(values)
    if not finite.any():
        return finite
    v = values[finite]
    return finite & (values <= v.min() + n_std * v.std())


def select_replicates(hps: Hps | TrainSpec, total: np.ndarray, saved: list[int], snapshots: list,
                      final_ensemble: AbstractController, diverged_at: list[int | None],
                      diverged_reason: list[str | None] | None = None):
    """Pick each replicate's best saved iteration, then rate and exclude replicates.

    Arguments:
        hps: training hyperparameters.
        total: (n_batches, R) total training loss per iteration.
        saved: saved iterations, aligned with `snapshots`.
        snapshots: parameters at the saved iterations.
        final_ensemble: the ensemble after training (gives the non-array structure).
        diverged_at: per replicate, the iteration at which it stopped (non-finite loss or
            gradient), or None; a replicate that stopped is excluded.
        diverged_reason: per replicate, why it stopped (e.g. "non-finite gradient at iteration
            12 (loss finite)"), or None; default: a generic reason naming the iteration.

    Returns:
        `(best_ensemble, info)` where `info` is JSON-serialisable.

    Raises:
        TrainingDidNotLearn: if no replicate that stayed finite learned (see `did_not_learn`).
    """
    at_saved = total[np.asarray(saved)]
    at_saved = np.where(np.isfinite(at_saved), at_saved, np.inf)
    best_index = np.argmin(at_saved, axis=0)
    best_loss = at_saved[best_index, np.arange(total.shape[1])]
    alive = np.array([d is None for d in diverged_at])
    best_iteration = np.asarray([saved[i] for i in best_index])
    not_learned = did_not_learn(np.asarray(total[0]), best_loss, best_iteration)
    spec = as_train_spec(hps)
    if not any(alive[r] and not_learned[r] is None for r in range(total.shape[1])):
        raise TrainingDidNotLearn(
            f"no replicate learned ({'; '.join(f'replicate {r}: {why}' for r, why in enumerate(not_learned) if why)}); "
            f"no model saved. Try a smaller train.learning_rate (now {spec.learning_rate}), a smaller "
            f"pert.std (now {spec.model.environment.field_std}) or more train.n_batches (now {spec.n_batches}).")
    best = stack_best(snapshots, best_index, final_ensemble)
    end_error = validation_end_error(best, hps)
    n_std = as_train_spec(hps).n_std_exclude
    values = {"best_total_loss": np.where(np.isfinite(best_loss), best_loss, np.nan), "end_position_error": end_error}
    learned = np.array([why is None for why in not_learned])
    included = {c: included_by(np.where(learned, values[c], np.nan), n_std) for c in CRITERIA}
    reasons = []
    for r in range(total.shape[1]):
        if not alive[r]:
            why = (diverged_reason[r] if diverged_reason is not None and diverged_reason[r]
                   else f"non-finite loss or gradient at iteration {diverged_at[r]}")
            reasons.append(f"diverged: {why}")
        elif not_learned[r]:
            reasons.append(not_learned[r])
        elif not included[REPLICATE_CRITERION][r]:
            reasons.append(f"{REPLICATE_CRITERION} {values[REPLICATE_CRITERION][r]:.4g} exceeds best + "
                           f"{n_std:g} std")
        else:
            reasons.append(None)
    final = np.asarray(total[-1])
    info = {
        "best_iteration": [int(saved[i]) for i in best_index],
        "included": [reasons[r] is None for r in range(total.shape[1])],
        "excluded_reason": reasons,
        "criterion": REPLICATE_CRITERION,
        "included_by": {c: [bool(x) for x in included[c]] for c in CRITERIA},
        "best_total_loss": [_num(x) for x in values["best_total_loss"]],
        "end_position_error": [_num(x) for x in end_error],
        "final_total_loss": [_num(x) for x in final],
        "diverged_at": diverged_at,
        "readout_norm": [_num(x) for x in np.linalg.norm(np.asarray(best.readout.weight, dtype=np.float64), axis=(1, 2))],
    }
    return best, info


def _num(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None
