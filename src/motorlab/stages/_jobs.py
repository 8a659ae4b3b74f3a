"""Helpers for workflow jobs: send a job's output to its log file."""

import logging
import os
import sys
import time
import traceback
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def job_log(path: str | os.PathLike):
    """Redirect this process's stdout and stderr (file descriptors 1 and 2, so messages from
    XLA's C++ side land there too) into `path`, and log the wall time and any exception.

    Messages of motorlab's loggers at INFO and above (e.g. the progress lines of long loops, see
    `motorlab.train.LoopProgress`) go to the log too, one per line, `[logger] message`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "a", buffering=1) as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        t0 = time.perf_counter()
        handler = logging.StreamHandler(log)
        handler.setFormatter(logging.Formatter("[%(name)s] %(message)s"))
        library = logging.getLogger("motorlab")
        level = library.level
        library.addHandler(handler)
        library.setLevel(logging.INFO)
        try:
            print(f"[motorlab] start {time.strftime('%Y-%m-%d %H:%M:%S')}", flush=True)
            yield
            print(f"[motorlab] done in {time.perf_counter() - t0:.1f} s", flush=True)
        except BaseException:
            traceback.print_exc()
            raise
        finally:
            library.removeHandler(handler)
            library.setLevel(level)
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
