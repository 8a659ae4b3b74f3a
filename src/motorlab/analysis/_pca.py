"""Principal component analysis by SVD (what the fixed-point figures project onto)."""

from typing import final

import equinox as eqx
import numpy as np
from jaxtyping import Float


@final
class PCA(eqx.Module):
    """A fitted PCA: x ↦ (x − mean) Vᵀ with the top principal axes V.

    Fields:
        mean: the mean of the fitted data, (D,).
        components: principal axes as rows, unit norm, by decreasing variance, (C, D). The
            sign of each axis is fixed so that its largest-magnitude entry is positive.
        explained_variance: variance along each axis (unbiased, N − 1), (C,).
        explained_variance_ratio: fraction of the total variance, (C,).
    """

    mean: Float[np.ndarray, " d"]
    components: Float[np.ndarray, "c d"]
    explained_variance: Float[np.ndarray, " c"]
    explained_variance_ratio: Float[np.ndarray, " c"]

    def transform(self, x: Float[np.ndarray, "... d"]) -> Float[np.ndarray, "... c"]:
        """Coordinates of points x (any leading shape) on the principal axes."""
        return (np.asarray(x) - self.mean) @ self.components.T

    def inverse_transform(self, z: Float[np.ndarray, "... c"]) -> Float[np.ndarray, "... d"]:
        """Points in the original space from their principal coordinates."""
        return np.asarray(z) @ self.components + self.mean

    def project_directions(self, v: Float[np.ndarray, "... d"]) -> Float[np.ndarray, "... c"]:
        """Directions (e.g. readout weight rows) on the principal axes, without centring."""
        return np.asarray(v) @ self.components.T


def fit_pca(x: Float[np.ndarray, "... d"], n_components: int) -> PCA:
    """Fit a PCA to samples x (all leading axes are samples; NaN rows are ignored).

    Arguments:
        x: samples, shape (..., D).
        n_components: number of axes to keep, 1 <= C <= min(N, D).

    Returns:
        `PCA` (float64).
    """
    x = np.asarray(x, dtype=np.float64)
    x = x.reshape(-1, x.shape[-1])
    x = x[np.all(np.isfinite(x), axis=1)]
    n, d = x.shape
    if not (isinstance(n_components, int) and 1 <= n_components <= min(n, d)):
        raise ValueError(f"n_components must be an integer in [1, min(N, D) = {min(n, d)}] "
                         f"for {n} finite samples of dimension {d}; got {n_components!r}")
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    vt = vt[:n_components]
    signs = np.sign(vt[np.arange(n_components), np.argmax(np.abs(vt), axis=1)])
    vt = vt * signs[:, None]
    var = s**2 / max(n - 1, 1)
    return PCA(mean=mean, components=vt, explained_variance=var[:n_components],
               explained_variance_ratio=var[:n_components] / var.sum())
