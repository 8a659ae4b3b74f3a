"""Parameter snapshots of a training run, read back from a model's `_history.npz`.

The history file (written by `motorlab.stages.train`) holds `saved_iterations` (S,), the loss
per term `loss/<term>` (n_batches, R), and every array of the ensemble at each saved iteration
as `params/<key path>` (S, R, ...), the key path being `jax.tree_util.keystr` of the leaf in
`eqx.filter(ensemble, eqx.is_array)`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ...sim._controllers import AbstractController


@dataclass(frozen=True)
class TrainingHistory:
    """A training run's history.

    Fields:
        iterations: the saved iterations, increasing, (S,).
        loss: `{term: (n_batches, R)}` training loss per iteration and replicate (NaN after a
            replicate diverged).
        params: `{key path: (S, R, ...)}` the ensemble's arrays at each saved iteration.
    """

    iterations: np.ndarray
    loss: dict[str, np.ndarray]
    params: dict[str, np.ndarray]

    @property
    def n_snapshots(self) -> int:
        return int(self.iterations.size)


def load_history(path: str | Path) -> TrainingHistory:
    """Read a model's `_history.npz`.

    Raises:
        FileNotFoundError: naming the path, when there is no history file.
        ValueError: when the file lacks `saved_iterations`, `loss/total` or any `params/`.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no training history (expected the model's _history.npz "
                                f"written by its training)")
    with np.load(path) as f:
        names = set(f.files)
        missing = [k for k in ("saved_iterations", "loss/total") if k not in names]
        if missing or not any(n.startswith("params/") for n in names):
            raise ValueError(f"{path}: history lacks {missing or ['params/...']}; expected "
                             f"saved_iterations, loss/<term> and params/<leaf> arrays")
        return TrainingHistory(
            iterations=np.asarray(f["saved_iterations"], np.int64),
            loss={n.removeprefix("loss/"): np.asarray(f[n]) for n in names if n.startswith("loss/")},
            params={n.removeprefix("params/"): np.asarray(f[n]) for n in names if n.startswith("params/")})


def snapshot_ensemble(like: AbstractController, history: TrainingHistory, index: int,
                      replicates: Sequence[int] | None = None) -> AbstractController:
    """The ensemble at saved iteration number `index` (not the iteration itself:
    `history.iterations[index]`), keeping only `replicates` (default all; the replicate axis
    stays).

    Arguments:
        like: an ensemble of the same model (e.g. the trained one): gives the structure.

    Raises:
        ValueError: a bad index, or a leaf of `like` without its snapshot array or with
            another shape.
    """
    if not 0 <= index < history.n_snapshots:
        raise ValueError(f"snapshot index: got {index}; expected 0 <= index < {history.n_snapshots}")
    arrays, static = eqx.partition(like, eqx.is_array)
    flat, treedef = jax.tree_util.tree_flatten_with_path(arrays)
    leaves = []
    for kpath, leaf in flat:
        name = jax.tree_util.keystr(kpath)
        if name not in history.params:
            raise ValueError(f"history has no snapshot of {name!r}; it has {sorted(history.params)}")
        a = history.params[name][index]
        if a.shape != leaf.shape:
            raise ValueError(f"snapshot of {name!r} has shape {a.shape}; expected {leaf.shape}")
        if replicates is not None:
            a = a[np.asarray(replicates, np.int64)]
        leaves.append(jnp.asarray(a, leaf.dtype))
    return eqx.combine(jax.tree_util.tree_unflatten(treedef, leaves), static)


def best_replicate_of(history: TrainingHistory, included=None) -> int:
    """The included replicate with the lowest total loss at a saved iteration (SPEC §1.5
    `best_total_loss`, the criterion of `motorlab.train` and of the figures)."""
    total = history.loss["total"][history.iterations]
    best = np.min(np.where(np.isfinite(total), total, np.inf), axis=0)
    inc = np.ones(best.shape, bool) if included is None else np.asarray(included, bool)
    if inc.shape != best.shape:
        raise ValueError(f"included has {inc.size} entries; the history has {best.size} replicates")
    cand = np.where(inc & np.isfinite(best), best, np.inf)
    if not np.isfinite(cand).any():
        raise ValueError(f"no included replicate with a finite loss (best losses {best.tolist()}, "
                         f"included {inc.tolist()})")
    return int(np.argmin(cand))


def loss_at(history: TrainingHistory, replicate: int, term: str = "total") -> Mapping[int, float]:
    """{saved iteration: loss of `term`} of one replicate."""
    y = history.loss[term][:, replicate]
    return {int(i): float(y[i]) for i in history.iterations}
