"""A rich progress bar for training that shows the running loss."""

import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class TrainingProgress:
    """Context manager: `update(iteration, total_loss_per_replicate, alive)`; silent if disabled.
    A resumed run starts the bar at `start` iterations done."""

    def __init__(self, n_batches: int, *, enabled: bool = True, start: int = 0):
        self.n_batches, self.enabled, self.start = n_batches, enabled, start
        self._progress = None

    def __enter__(self):
        if self.enabled:
            self._progress = Progress(
                TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]}"), TextColumn("{task.fields[alive]}"),
                TimeElapsedColumn(), TimeRemainingColumn(), transient=False)
            self._progress.__enter__()
            self._task = self._progress.add_task("train", total=self.n_batches, completed=self.start,
                                                 loss="…", alive="")
        return self

    def update(self, done: int, total: np.ndarray, alive: np.ndarray) -> None:
        if self._progress is None:
            return
        finite = total[np.isfinite(total)]
        loss = f"{np.median(finite):.4g} (median of {finite.size})" if finite.size else "nan"
        dead = int((~alive).sum())
        self._progress.update(self._task, completed=done, loss=loss,
                              alive=f"[red]{dead} diverged" if dead else "")

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.__exit__(*exc)
        return False
