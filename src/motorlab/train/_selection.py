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
    """
    at_saved = total[np.asarray(saved)]
    at_saved = np.where(np.isfinite(at_saved), at_saved, np.inf)
    best_index = np.argmin(at_saved, axis=0)
    best_loss = at_saved[best_index, np.arange(total.shape[1])]
    best = stack_best(snapshots, best_index, final_ensemble)
    end_error = validation_end_error(best, hps)
    n_std = as_train_spec(hps).n_std_exclude
    values = {"best_total_loss": np.where(np.isfinite(best_loss), best_loss, np.nan), "end_position_error": end_error}
    included = {c: included_by(values[c], n_std) for c in CRITERIA}
    alive = np.array([d is None for d in diverged_at])
    reasons = []
    for r in range(total.shape[1]):
        if not alive[r]:
            why = (diverged_reason[r] if diverged_reason is not None and diverged_reason[r]
                   else f"non-finite loss or gradient at iteration {diverged_at[r]}")
            reasons.append(f"diverged: {why}")
        elif not included[REPLICATE_CRITERION][r]:
            reasons.append(f"{REPLICATE_CRITERION} {values[REPLICATE_CRITERION][r]:.4g} exceeds best + "
                           f"{n_std:g} std")
        else:
            reasons.append(None)
    final = np.asarray(total[-1])
    info = {
        "best_iteration": [int(saved[i]) for i in best_index],
        "included": [bool(alive[r] and included[REPLICATE_CRITERION][r]) for r in range(total.shape[1])],
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
