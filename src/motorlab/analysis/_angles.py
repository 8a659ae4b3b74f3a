"""Angles of reach-aligned vectors (rad): the direction of a vector at its largest norm, and the
circular statistics that keep a distribution near the ±π cut in one piece.

Angles are stored in (−π, π] (0 = towards the goal, +π/2 = left, ±π = backwards); summaries and
figures re-express a group's angles within π of its circular mean.
"""

from __future__ import annotations

import numpy as np
from collections.abc import Sequence

from jaxtyping import ArrayLike, Float


def direction_at_max(x: Float[np.ndarray, "trial time 2"]) -> Float[np.ndarray, " trial"]:
    """Angle atan2(x⊥, x∥) (rad, in (−π, π]) of each trial's vector at the step of largest norm;
    NaN for a trial whose vector is zero throughout."""
    norm = np.hypot(x[..., 0], x[..., 1])
    index = np.argmax(norm, axis=1)
    vector = np.take_along_axis(x, index[:, None, None], axis=1)[:, 0]
    angle = np.arctan2(vector[:, 1], vector[:, 0])
    angle = np.where(angle <= -np.pi, angle + 2 * np.pi, angle)  # (−π, π], not [−π, π]
    return np.where(np.max(norm, axis=1) > 0, angle, np.nan)


def wrap_angle(angle: Float[ArrayLike, " *n"] | Sequence[float]) -> Float[np.ndarray, " *n"]:
    """Angles (rad) brought into (−π, π]."""
    wrapped = np.mod(np.asarray(angle, dtype=np.float64) + np.pi, 2 * np.pi) - np.pi
    return np.where(wrapped <= -np.pi, wrapped + 2 * np.pi, wrapped)


def circular_mean(angle: Float[ArrayLike, " n"] | Sequence[float]) -> float:
    """Circular mean (rad, in (−π, π]) of the finite angles, atan2(mean sin, mean cos); NaN when
    there are none or they cancel out (zero resultant)."""
    a = np.asarray(angle, dtype=np.float64)
    a = a[np.isfinite(a)]
    s, c = np.sum(np.sin(a)), np.sum(np.cos(a))
    if a.size == 0 or np.hypot(s, c) <= 1e-12 * a.size:
        return float("nan")
    return float(wrap_angle(np.arctan2(s, c)))


def unwrap_angles(angle: Float[ArrayLike, " *n"] | Sequence[float], around: float
                  ) -> Float[np.ndarray, " *n"] | float:
    """The same directions as `angle`, each expressed within π of `around`: values in
    (around − π, around + π]. With `around` = the group's circular mean, a distribution that
    straddles ±π stays in one piece (e.g. π − 0.1 and −π + 0.1 become π − 0.1 and π + 0.1).
    A NaN `around` leaves the angles as they are."""
    a = np.asarray(angle, dtype=np.float64)
    if not np.isfinite(around):
        return a
    return around + wrap_angle(a - around)
