"""Helpers for workflow jobs: send a job's output to its log file."""

import os
import sys
import time
import traceback
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def job_log(path: str | os.PathLike):
    """Redirect this process's stdout and stderr (file descriptors 1 and 2, so messages from
    XLA's C++ side land there too) into `path`, and log the wall time and any exception."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "a", buffering=1) as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        t0 = time.perf_counter()
        try:
            print(f"[motorlab] start {time.strftime('%Y-%m-%d %H:%M:%S')}", flush=True)
            yield
            print(f"[motorlab] done in {time.perf_counter() - t0:.1f} s", flush=True)
        except BaseException:
            traceback.print_exc()
            raise
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
