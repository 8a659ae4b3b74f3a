"""Closed-form linear least squares, shared by the unit analyses (same minimiser as an iterative
trainer of a linear model on the mean squared error, without its iterations)."""

import numpy as np


def least_squares(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Closed-form least squares for many targets sharing one design: β = argmin ‖X β − y‖².

    Arguments:
        x: (N, F) design matrix (full column rank).
        y: (N, ...) targets; every trailing column is fitted separately.

    Returns:
        (F, ...) weights, by the normal equations solved through a QR factorisation of X.
    """
    q, r = np.linalg.qr(np.asarray(x, np.float64))
    flat = np.asarray(y, np.float64).reshape(y.shape[0], -1)
    beta = np.linalg.solve(r, q.T @ flat)
    return beta.reshape((x.shape[1],) + y.shape[1:])
