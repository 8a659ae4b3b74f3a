"""More fixed-point figures (SPEC §2.10, issue 14): the eigenvalues of the feedback-perturbed
steady points coloured by the offset's amplitude."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._fixed_points import eigenvalue_scatter


def _best_rows(frame: pd.DataFrame) -> pd.DataFrame:
    if "best_replicate" in frame and frame["best_replicate"].any():
        return frame[frame["best_replicate"]]
    return frame[frame["included"]] if "included" in frame else frame


def feedback_eigenvalue_figures(feedback: pd.DataFrame, eigs: pd.DataFrame, compare_col: str,
                                compare_key: str) -> dict[str, go.Figure]:
    """Per value of `compare_col`: the eigenvalues of the feedback-perturbed steady points of the
    best replicate (every position and SISU), coloured by the velocity offset's amplitude, with the
    unperturbed primary points' eigenvalues as amplitude 0 (SPEC §2.10).

    Returns:
        `{"eigenvalues_feedback_perturbed__<compare_col>-<v>": figure}`.
    """
    if feedback is None or not len(feedback) or compare_col not in feedback:
        return {}
    figs = {}
    for value in sorted(feedback[compare_col].unique()):
        fb = _best_rows(feedback[feedback[compare_col] == value])
        reps = set(fb["replicate"])
        base = eigs[(eigs[compare_col] == value) & eigs["primary"] & eigs["replicate"].isin(reps)]
        both = pd.concat([base[["real", "imag"]].assign(fb_amp=np.float32(0.0)),
                          fb[["real", "imag", "fb_amp"]]], ignore_index=True)
        both["fb_amp"] = both["fb_amp"].astype(float).round(4)
        figs[f"eigenvalues_feedback_perturbed__{compare_col}-{float(value):g}"] = eigenvalue_scatter(
            both, "fb_amp", colorscale="plotly3",
            title=f"{compare_key} = {float(value):g}, replicate {', '.join(map(str, sorted(reps)))}: "
                  f"velocity-feedback offset")
    return figs
