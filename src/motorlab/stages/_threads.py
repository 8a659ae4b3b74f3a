"""Limit a job's CPU threads (XLA included) to the threads Snakemake gave it.

XLA sizes its CPU thread pool from the process's CPU affinity, not from OMP_NUM_THREADS or
XLA_FLAGS (measured: with `intra_op_parallelism_threads=1` a matmul still used 2 cores; with an
affinity of one core it used 1). So a job restricts its affinity to `n` cores *before JAX starts
its backend*. To keep concurrent local jobs on different cores, each job claims cores through
`flock` lock files (released automatically when the process ends); when every core is claimed it
falls back to the least-used ones. Under a cluster scheduler that already confines the job
(affinity ≤ n cores) nothing changes. It also turns off JAX's GPU memory preallocation (unless
set), so that concurrent jobs can share an accelerator.
"""

import fcntl
import os
import tempfile
from pathlib import Path

_HELD: list = []  # open lock files: keep them alive for the life of the process

_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
             "NUMEXPR_NUM_THREADS")


def limit_cpu_threads(n: int, *, lock_dir: str | os.PathLike | None = None) -> list[int]:
    """Confine this process to `n` CPU cores. Call before JAX runs its first computation.

    Arguments:
        n: number of cores (≥ 1).
        lock_dir: where the per-core lock files live (default: a per-user folder in the temp dir).

    Returns:
        The cores this process may now run on.
    """
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"thread count must be an integer >= 1, got {n!r}")
    # Several jobs may share one GPU: allocate its memory on demand instead of 75 % per process.
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    for var in _ENV_VARS:
        os.environ[var] = str(n)
    allowed = sorted(os.sched_getaffinity(0))
    if n >= len(allowed):
        return allowed
    lock_dir = Path(lock_dir or Path(tempfile.gettempdir()) / f"motorlab-cores-{os.getuid()}")
    lock_dir.mkdir(parents=True, exist_ok=True)
    chosen = []
    for cpu in allowed:
        if len(chosen) == n:
            break
        f = open(lock_dir / f"cpu{cpu}.lock", "w")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            continue
        _HELD.append(f)
        chosen.append(cpu)
    for cpu in allowed:  # every core claimed by others: share, rather than wait
        if len(chosen) == n:
            break
        if cpu not in chosen:
            chosen.append(cpu)
    os.sched_setaffinity(0, chosen)
    return sorted(chosen)
