"""Feedback-perturbed steady fixed points (SPEC §2.10): the steady map with a velocity-feedback
offset added to its input, solved from its unperturbed primary point jittered, eigenvalues only."""

from collections.abc import Mapping

import jax.random as jr
import numpy as np
import pandas as pd

from ._points import replicates, steady_state_fixed_points
from ._summaries import eigenvalue_table

FEEDBACK_KEYS = ("replicate", "position", "sisu", "fb_amp", "fb_vel_x", "fb_vel_y", "fp", "status", "stable",
                 "spectral_radius")


def feedback_perturbed_eigenvalues(ensemble, positions: np.ndarray, sisu, points: pd.DataFrame, cfg: Mapping, *,
                                   seed: int) -> pd.DataFrame:
    """Eigenvalues of the steady fixed points under velocity-feedback offsets (SPEC §2.10).

    For each replicate, grid position, SISU and amplitude a of `cfg["amplitudes"]`, the steady
    input gets the feedback-velocity offset a (cos θ, sin θ) (θ = `cfg["angle"]`, degrees), and
    the finder starts from the condition's unperturbed primary point plus `cfg["n_starts"]`
    Gaussian jitters of std `cfg["jitter"]` (hidden units); no deflation, no linearisation.

    Arguments:
        ensemble: the controller ensemble; positions: the grid (P, 2); sisu: values or None.
        points: the steady `points` table (primary points by replicate, position, sisu).

    Returns:
        The eigenvalues of each condition's primary perturbed point, long form: `FEEDBACK_KEYS`
        and index, real, imag, abs, angle. Conditions without an unperturbed primary point are
        skipped.
    """
    amps = np.asarray(cfg["amplitudes"], np.float32)
    if not len(amps):
        return eigenvalue_table(pd.DataFrame(columns=[*FEEDBACK_KEYS, "primary", "eigenvalues"]), keys=FEEDBACK_KEYS)
    theta = np.deg2rad(float(cfg["angle"]))
    vel = amps[:, None] * np.array([np.cos(theta), np.sin(theta)], np.float32)
    n_starts, jitter = int(cfg["n_starts"]), float(cfg["jitter"])
    sisu_values = [np.nan] if sisu is None else [float(s) for s in sisu]
    frames = []
    for r, cell in enumerate(replicates(ensemble)):
        prim = points[(points["replicate"] == r) & points["primary"] & (points["status"] == "fixed_point")]
        size = len(prim["h"].iloc[0]) if len(prim) else 0
        centre = np.full((len(positions), len(sisu_values), size), np.nan, np.float32)
        for row in prim.itertuples():
            s = 0 if sisu is None else sisu_values.index(float(row.sisu))
            centre[int(row.position), s] = row.h
        if not len(prim):
            continue
        fill = np.nanmean(centre.reshape(-1, size), axis=0)  # conditions without a point: the mean one
        centre = np.where(np.isfinite(centre), centre, fill)
        # inputs are position-major, then SISU, then velocity (steady_state_fixed_points)
        base = np.repeat(centre.reshape(-1, size), len(vel), axis=0)  # (K, H)
        noise = np.asarray(jr.normal(jr.fold_in(jr.PRNGKey(seed), r), (len(base), n_starts, size)), np.float32)
        starts = np.concatenate([base[:, None], base[:, None] + jitter * noise], axis=1)
        refs = base.reshape(1, len(positions), len(sisu_values), len(vel), size)
        frame = steady_state_fixed_points([cell], positions, sisu, key=jr.PRNGKey(seed), starts=starts,
                                          references=refs, feedback_velocities=vel, linearise_primary=False,
                                          noise_scales=(), deflation=False)
        had = {_key(p, s) for p, s in zip(prim["position"], prim["sisu"])}
        keep = [_key(p, s) in had for p, s in zip(frame["position"], frame["sisu"])]
        frame = frame[keep].assign(replicate=np.int16(r),
                                   fb_amp=np.hypot(frame["fb_vel_x"], frame["fb_vel_y"])[keep].astype(np.float32))
        frames.append(frame)
    if not frames:
        return eigenvalue_table(pd.DataFrame(columns=[*FEEDBACK_KEYS, "primary", "eigenvalues"]), keys=FEEDBACK_KEYS)
    return eigenvalue_table(pd.concat(frames, ignore_index=True), keys=FEEDBACK_KEYS, primary_only=True)


def _key(position, sisu) -> tuple[int, float | None]:
    return int(position), None if np.isnan(sisu) else round(float(sisu), 6)
