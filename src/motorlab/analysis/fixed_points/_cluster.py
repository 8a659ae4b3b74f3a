"""Merging the converged solves of one input into unique points, and the outlier flag."""

import numpy as np

from ._solve import FIXED_POINT, SLOW_POINT, Tolerances, merge_distance


def _unique(finals, code, err, q, tol: Tolerances):
    """Greedy clustering of the converged starts of one input -> (labels, representatives)."""
    labels = np.full(code.shape, -1, dtype=np.int32)
    reps = []
    for status in (FIXED_POINT, SLOW_POINT):
        left = np.flatnonzero(code == status)
        left = left[np.argsort(q[left], kind="stable")]
        first = len(reps)
        while left.size:
            i = left[0]
            dist = np.max(np.abs(finals[left] - finals[i]), axis=-1)
            if status == FIXED_POINT:
                thr = merge_distance(err[left], err[i], tol)
            else:
                thr = np.full(left.shape, tol.slow_unique)
            member = dist <= thr
            labels[left[member]] = len(reps)
            reps.append(i)
            left = left[~member]
        # most-supported first within a status
        counts = np.bincount(labels[labels >= first] - first, minlength=len(reps) - first)
        order = np.argsort(-counts, kind="stable")
        remap = np.arange(len(reps))
        remap[first + order] = np.arange(first, len(reps))
        sel = labels >= first
        labels[sel] = remap[labels[sel]]
        reps[first:] = [reps[first + j] for j in order]
    return labels, np.asarray(reps, dtype=np.int64)


def _outliers(finals, code, labels, reps, distance):
    converged = finals[code <= SLOW_POINT]
    flags = np.zeros(len(reps), dtype=bool)
    for m, i in enumerate(reps):
        support = np.sum(labels == m)
        if support > 1:
            continue
        d = np.linalg.norm(converged - finals[i], axis=-1)
        d = d[d > 0]
        flags[m] = d.size == 0 or np.min(d) > distance
    return flags
