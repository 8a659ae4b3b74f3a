"""Summaries of fixed-point tables (SPEC §2.10): eigenvalues in long form and their spread,
PC coordinates of points and readout directions, and how the steady-state grid moves with SISU
relative to the readout."""

from collections.abc import Sequence

import equinox as eqx
import numpy as np
import pandas as pd

from .._pca import PCA
from ._points import LINEARISATION_COLUMNS


def eigenvalue_table(points: pd.DataFrame, keys: Sequence[str] | None = None,
                     primary_only: bool = False) -> pd.DataFrame:
    """Eigenvalues in long form: one row per point × eigenvalue (decreasing modulus).

    Arguments:
        points: a table from `steady_state_fixed_points` / `reach_fixed_points`.
        keys: columns copied to each row (default: all but h, eigenvalues, point numbers and
            the linearisation columns).
        primary_only: only the primary point of each condition.

    Returns:
        keys + fp, index, real, imag, abs, angle (|∠λ| in [0, π]).
    """
    rows = points[(points["status"] != "none") & points["eigenvalues"].notna()]
    if primary_only:
        rows = rows[rows["primary"]]
    if keys is None:
        keys = [c for c in rows.columns if c not in ("h", "eigenvalues", "q", "residual",
                                                     "error", "support")
                and c not in LINEARISATION_COLUMNS and not c.startswith("sensitivity_")]
    lam = np.stack(rows["eigenvalues"].to_numpy()) if len(rows) else np.zeros((0, 0), complex)
    n, size = lam.shape
    out = rows[list(keys)].loc[rows.index.repeat(size)].reset_index(drop=True)
    out["index"] = np.tile(np.arange(size, dtype=np.int16), n)
    flat = lam.ravel()
    out["real"], out["imag"] = flat.real.astype(np.float32), flat.imag.astype(np.float32)
    out["abs"] = np.abs(flat).astype(np.float32)
    out["angle"] = np.abs(np.angle(flat)).astype(np.float32)
    return out


def parquet_ready(points: pd.DataFrame) -> pd.DataFrame:
    """The point table without the complex `eigenvalues` column (Parquet has no complex type)."""
    return points.drop(columns=["eigenvalues"], errors="ignore")


def pca_columns(pca: PCA, frame: pd.DataFrame, n: int = 3, column: str = "h") -> pd.DataFrame:
    """`frame` with columns pc1 … pcn: the `column` vectors projected on the principal axes."""
    vecs = frame[column].to_numpy()
    size = pca.mean.shape[0]
    mat = np.stack([np.full(size, np.nan) if v is None or np.ndim(v) == 0
                    else np.asarray(v, float) for v in vecs]) if len(vecs) else np.zeros((0, size))
    z = pca.transform(mat)[:, :n]
    out = frame.copy()
    for i in range(n):
        out[f"pc{i + 1}"] = z[:, i].astype(np.float32)
    return out


def readout_directions(pca: PCA, readouts, n: int = 3) -> pd.DataFrame:
    """Readout weight rows (force x, y) on the principal axes, one row per replicate × output.

    Arguments:
        pca: fitted on hidden states.
        readouts: `eqx.nn.Linear` per replicate (or weight arrays (2, H)), or a stacked ensemble.
    """
    rows = []
    for r, w in enumerate(_readout_weights(readouts)):
        z = pca.project_directions(w)[:, :n]
        for o, name in enumerate(("x", "y")):
            rows.append({"replicate": np.int16(r), "output": name,
                         **{f"pc{i + 1}": np.float32(z[o, i]) for i in range(n)}})
    return pd.DataFrame(rows)


def _readout_weights(readouts) -> list[np.ndarray]:
    if isinstance(readouts, eqx.nn.Linear):
        w = np.asarray(readouts.weight)
        return [w] if w.ndim == 2 else list(w)
    return [np.asarray(r.weight if isinstance(r, eqx.nn.Linear) else r) for r in readouts]


def _unit(v):
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v * np.nan


def grid_shift_summary(points: pd.DataFrame, readouts, sisu_ref: float | None = None
                       ) -> pd.DataFrame:
    """How the steady-state FP grid moves with SISU, and its alignment with the readout.

    Uses the primary points. For each replicate: the grid centroid c(s) per SISU, the shift
    d(s) = c(s) − c(s_ref) (s_ref: the lowest SISU unless given), the slope v of a least-squares
    line c(s) = c₀ + s v, and the plane of the reference grid (its top-2 principal axes).

    Returns:
        One row per replicate × SISU: n_positions (grid positions with a primary point at
        every SISU; only those are used), shift (‖d‖, hidden units), grid_size (RMS distance of the
        reference grid's points from their centroid), shift_in_plane (‖P_plane d‖ / ‖d‖),
        shift_readout (‖P_readout d‖ / ‖d‖, readout row space), cos_readout_x / _y (cosine of
        d with each readout row); per replicate, repeated on its rows: slope (‖v‖ per SISU unit),
        slope_in_plane, slope_readout, and plane_readout_cos1 / _cos2 (cosines of the principal
        angles between the grid plane and the readout row space).
    """
    prim = points[points["primary"]]
    weights = _readout_weights(readouts)
    out = []
    for r, grp in prim.groupby("replicate", sort=True):
        w = weights[int(r)]
        sis = np.sort(grp["sisu"].unique())
        ref = sis[0] if sisu_ref is None else sisu_ref
        # positions with a point at every SISU, so that centroids are comparable
        common = set.intersection(*(set(g["position"]) for _, g in grp.groupby("sisu")))
        grp = grp[grp["position"].isin(common)]
        grids = {s: np.stack(g.sort_values("position")["h"].to_numpy()).astype(float)
                 for s, g in grp.groupby("sisu")}
        cent = np.stack([grids[s].mean(0) for s in sis])
        base = grids[ref] - grids[ref].mean(0)
        plane = np.linalg.svd(base, full_matrices=False)[2][:2]
        q_read = np.linalg.qr(w.T.astype(float))[0]  # orthonormal basis of the readout rows
        slope = np.polyfit(sis, cent, 1)[0] if len(sis) > 1 else np.full(cent.shape[1], np.nan)
        cosines = np.linalg.svd(plane @ q_read, compute_uv=False)
        per_rep = {"slope": np.linalg.norm(slope),
                   "slope_in_plane": np.linalg.norm(plane @ _unit(slope)),
                   "slope_readout": np.linalg.norm(q_read.T @ _unit(slope)),
                   "plane_readout_cos1": cosines[0], "plane_readout_cos2": cosines[-1]}
        size = np.sqrt(np.mean(np.sum(base**2, axis=1)))
        for s, c in zip(sis, cent):
            d = c - cent[list(sis).index(ref)]
            u = _unit(d)
            out.append({"replicate": np.int16(r), "sisu": np.float32(s),
                        "n_positions": np.int16(len(common)),
                        "shift": np.linalg.norm(d), "grid_size": size,
                        "shift_in_plane": np.linalg.norm(plane @ u),
                        "shift_readout": np.linalg.norm(q_read.T @ u),
                        "cos_readout_x": float(_unit(w[0]) @ u),
                        "cos_readout_y": float(_unit(w[1]) @ u), **per_rep})
    frame = pd.DataFrame(out)
    floats = [c for c in frame.columns if c not in ("replicate", "n_positions")]
    frame[floats] = frame[floats].astype(np.float32)
    return frame


def eigenvalue_variation(eigs: pd.DataFrame, axes: Sequence[str] = ("sisu", "position",
                                                                        "replicate"),
                         n_leading: int | None = None) -> pd.DataFrame:
    """Spread of the spectra of primary points along each condition axis (SPEC §2.10).

    For each axis, the standard deviation of each eigenvalue (by index, complex: √(var Re +
    var Im)) across that axis with the other axes held fixed; summarised by mean and max.

    Arguments:
        eigs: `eigenvalue_table(..., primary_only=True)`.
        axes: the condition columns.
        n_leading: only the first (largest-modulus) eigenvalues; default all.

    Returns:
        One row per axis: axis, mean_std, max_std.
    """
    data = eigs if n_leading is None else eigs[eigs["index"] < n_leading]
    rows = []
    for axis in axes:
        others = [a for a in axes if a != axis] + ["index"]
        grp = data.groupby(others)
        spread = np.sqrt(grp["real"].var(ddof=0) + grp["imag"].var(ddof=0))
        rows.append({"axis": axis, "mean_std": float(spread.mean()),
                     "max_std": float(spread.max())})
    return pd.DataFrame(rows)
