"""Progress: a rich bar for training that shows the running loss, and `LoopProgress`/`track`, the
shared helper for any other long loop (a bar on a terminal, plain log lines otherwise)."""

import logging
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

T = TypeVar("T")


class TrainingProgress:
    """Context manager: `update(iteration, total_loss_per_replicate, alive)`; silent if disabled.
    A resumed run starts the bar at `start` iterations done. For several models trained in one
    step (`train_bucket`) the loss column shows each model's median over replicates."""

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
        """`total`, `alive`: per replicate (R,), or per model and replicate (M, R) for several
        models trained together (the bar then shows each model's running loss)."""
        if self._progress is None:
            return
        total, alive = np.asarray(total), np.asarray(alive)
        if total.ndim == 2:
            loss = " ".join(_median(t) for t in total[:_MAX_MODELS_SHOWN])
            if total.shape[0] > _MAX_MODELS_SHOWN:
                loss += f" … ({total.shape[0]} models)"
        else:
            finite = total[np.isfinite(total)]
            loss = f"{np.median(finite):.4g} (median of {finite.size})" if finite.size else "nan"
        dead = int((~alive).sum())
        self._progress.update(self._task, completed=done, loss=loss,
                              alive=f"[red]{dead} diverged" if dead else "")

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.__exit__(*exc)
        return False


_MAX_MODELS_SHOWN = 8


def _median(total: np.ndarray) -> str:
    finite = total[np.isfinite(total)]
    return f"{np.median(finite):.3g}" if finite.size else "nan"


class LoopProgress:
    """Progress of any long loop (analyses, evaluations, figure export): a rich progress bar when
    stderr is a terminal, plain log lines otherwise (at INFO on `logger`: every tenth of the steps
    and the last), so workflow logs stay readable and interactive runs show a live bar.

    Use as a context manager and call `advance()` once per finished step (from any thread).
    """

    def __init__(self, total: int, description: str, *, logger: logging.Logger | str = "motorlab",
                 terminal: bool | None = None):
        """
        Arguments:
            total: the number of steps (a loop of 0 or 1 steps shows no bar and logs only its end).
            description: what is counted, e.g. "writing figures to results/part1/figures/…".
            logger: the logger (or its name) for the plain lines.
            terminal: force the bar on or off; None to show it when stderr is a terminal.
        """
        self.total, self.description, self.done = int(total), description, 0
        self.logger = logging.getLogger(logger) if isinstance(logger, str) else logger
        self.terminal = sys.stderr.isatty() if terminal is None else terminal
        self._bar = None
        self._lock = threading.Lock()

    def __enter__(self) -> "LoopProgress":
        if self.terminal and self.total > 1:
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TimeRemainingColumn(), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def advance(self, detail: str = "") -> None:
        """One more step done; `detail` (e.g. the file written) goes into the plain log line."""
        with self._lock:
            self.done += 1
            if self._bar is not None:
                self._bar.advance(self._task)
            elif self.done == self.total or self.done % max(1, self.total // 10) == 0:
                self.logger.info("%s: %d/%d%s", self.description, self.done, self.total,
                                 f" (last: {detail})" if detail else "")

    def __exit__(self, *exc) -> bool:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        return False


def track(iterable: Iterable[T], description: str, *, total: int | None = None,
          logger: logging.Logger | str = "motorlab") -> Iterator[T]:
    """Iterate over `iterable` with a `LoopProgress` (total: `len(iterable)` unless given)."""
    items = iterable if total is not None else list(iterable)
    with LoopProgress(total if total is not None else len(items), description, logger=logger) as progress:
        for item in items:
            yield item
            progress.advance()
