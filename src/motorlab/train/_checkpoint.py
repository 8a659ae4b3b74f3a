"""Resumable training: an atomic checkpoint of a running training, written every N iterations or
M minutes (whichever comes first), read back by a rerun of the same model, removed at the end.

The train step is a pure function of (parameters, optimiser state, alive flags, iteration) and of
the seed's training key, so a run resumed from a checkpoint of iteration n computes exactly the
iterations an uninterrupted run would: the finished model is bit-identical.

A checkpoint is one `.npz` file: a JSON header (`meta`: format, identity, iteration, the loss
terms, the saved iterations) and the arrays, each leaf list in the flattening order of the tree
it came from. It is written to a temporary file in the same folder, flushed, then renamed over
the old one, so a kill at any moment leaves either the old checkpoint or the new one, whole.
"""

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import jax
import numpy as np

FORMAT = 1


@dataclass
class TrainState:
    """Everything a training run needs to continue from iteration `iteration`.

    Attributes:
        iteration: the next iteration to run (iterations 0 … iteration − 1 are done).
        params: leaves of the ensemble's arrays (each with a leading replicate axis R).
        opt_state: leaves of the optimiser state.
        alive: (R,) which replicates are still training.
        history: loss per term and `total`, each (iteration, R).
        alive_history: (iteration, R) the alive flags after each done iteration.
        saved: iterations whose parameters were kept so far, aligned with `snapshots`.
        snapshots: per saved iteration, the leaves of the ensemble's arrays.
    """

    iteration: int
    params: list[np.ndarray]
    opt_state: list[np.ndarray]
    alive: np.ndarray
    history: dict[str, np.ndarray]
    alive_history: np.ndarray
    saved: list[int]
    snapshots: list[list[np.ndarray]]


@dataclass
class Checkpoint:
    """Where and how often a training run saves its state, and under which identity.

    Arguments:
        path: the checkpoint file (`.npz`); its folder is created when needed. Keep it out of
            the workflow's declared outputs, which Snakemake deletes when a job fails.
        identity: what the checkpoint belongs to (the model id); a checkpoint with any other
            identity is never used, and is replaced by this run's.
        every_iterations: save after every this many iterations (>= 1).
        every_seconds: ... or when this many seconds passed since the last save (> 0).
        log: where messages go ("resumed from iteration N", an ignored checkpoint).
    """

    path: str | os.PathLike
    identity: str
    every_iterations: int = 500
    every_seconds: float = 600.0
    log: object = print
    _last_save: float = field(default_factory=time.monotonic, repr=False)
    _last_iteration: int = field(default=0, repr=False)

    def __post_init__(self):
        if not (isinstance(self.every_iterations, int) and self.every_iterations >= 1):
            raise ValueError(f"checkpoint every_iterations = {self.every_iterations!r}; expected an "
                             f"integer >= 1")
        if not (isinstance(self.every_seconds, (int, float)) and self.every_seconds > 0):
            raise ValueError(f"checkpoint every_seconds = {self.every_seconds!r}; expected a number > 0")
        if not (isinstance(self.identity, str) and self.identity):
            raise ValueError(f"checkpoint identity = {self.identity!r}; expected a non-empty string")
        self.path = Path(self.path)

    def due(self, iteration: int) -> bool:
        """Whether to save now that iterations 0 … iteration − 1 are done."""
        return (iteration - self._last_iteration >= self.every_iterations
                or time.monotonic() - self._last_save >= self.every_seconds)

    def save(self, state: TrainState) -> None:
        """Write `state` atomically (temporary file, fsync, rename)."""
        meta = {"format": FORMAT, "identity": self.identity, "iteration": int(state.iteration),
                "terms": list(state.history), "saved": [int(i) for i in state.saved],
                "n_params": len(state.params), "n_opt_state": len(state.opt_state)}
        arrays = {"meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
                  "alive": np.asarray(state.alive), "alive_history": np.asarray(state.alive_history)}
        arrays.update({f"params/{i}": np.asarray(a) for i, a in enumerate(state.params)})
        arrays.update({f"opt_state/{i}": np.asarray(a) for i, a in enumerate(state.opt_state)})
        arrays.update({f"history/{k}": np.asarray(v) for k, v in state.history.items()})
        for s, leaves in enumerate(state.snapshots):
            arrays.update({f"snapshot/{s}/{i}": np.asarray(a) for i, a in enumerate(leaves)})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        self._last_save, self._last_iteration = time.monotonic(), int(state.iteration)

    def load(self, params_like: list, opt_state_like: list) -> TrainState | None:
        """The saved state if there is one of this identity whose arrays have the shapes and
        dtypes of `params_like` and `opt_state_like` (leaf lists); else None, saying why."""
        if not self.path.exists():
            return None
        try:
            with np.load(self.path) as z:
                meta = json.loads(bytes(z["meta"]).decode())
                if meta.get("format") != FORMAT or meta.get("identity") != self.identity:
                    self.log(f"checkpoint {self.path}: identity {meta.get('identity')!r} (format "
                             f"{meta.get('format')}) is not {self.identity!r}; not used, starting "
                             f"from iteration 0")
                    return None
                params = [z[f"params/{i}"] for i in range(meta["n_params"])]
                opt_state = [z[f"opt_state/{i}"] for i in range(meta["n_opt_state"])]
                snapshots = [[z[f"snapshot/{s}/{i}"] for i in range(meta["n_params"])]
                             for s in range(len(meta["saved"]))]
                state = TrainState(iteration=meta["iteration"], params=params, opt_state=opt_state,
                                   alive=z["alive"], history={k: z[f"history/{k}"] for k in meta["terms"]},
                                   alive_history=z["alive_history"], saved=meta["saved"],
                                   snapshots=snapshots)
        except (OSError, ValueError, KeyError) as e:
            self.log(f"checkpoint {self.path} is unreadable ({type(e).__name__}: {e}); not used, "
                     f"starting from iteration 0")
            return None
        for name, got, like in (("parameters", params, params_like), ("optimiser state", opt_state, opt_state_like)):
            if [(a.shape, a.dtype) for a in got] != [(np.shape(b), np.asarray(b).dtype) for b in like]:
                self.log(f"checkpoint {self.path}: its {name} do not have this model's shapes; not "
                         f"used, starting from iteration 0")
                return None
        self._last_save, self._last_iteration = time.monotonic(), int(state.iteration)
        return state

    def remove(self) -> None:
        """Delete the checkpoint (a finished run needs it no more)."""
        self.path.unlink(missing_ok=True)


def leaves(tree) -> list:
    """The array leaves of `tree` in flattening order (None leaves dropped)."""
    return jax.tree.leaves(tree)
