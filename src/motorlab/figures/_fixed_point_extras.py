"""More fixed-point figures (SPEC §2.10, issue 14): the eigenvalues of the feedback-perturbed
steady points coloured by the offset's amplitude, and the finder's optimisation curves."""

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


STATUS_COLORS = {"fixed_point": "rgb(31, 119, 180)", "slow_point": "rgb(255, 127, 14)",
                 "unconverged": "rgb(150, 150, 150)", "diverged": "rgb(214, 39, 40)"}


def solver_curve_figures(curves: pd.DataFrame, compare_col: str, compare_key: str) -> dict[str, go.Figure]:
    """Per value of `compare_col`: q against solver iteration (log y) of each recorded start of
    the best replicate, coloured by how the start ended (the seed's FP optimisation curves).

    Returns:
        `{"solver_curves__<compare_col>-<v>": figure}`.
    """
    if curves is None or not len(curves) or compare_col not in curves:
        return {}
    figs = {}
    for value in sorted(curves[compare_col].unique()):
        at = _best_rows(curves[curves[compare_col] == value])
        fig = go.Figure()
        shown = set()
        for (rep, start), c in at.groupby(["replicate", "start"]):
            status = c["status"].iloc[0]
            fig.add_trace(go.Scatter(x=c["iteration"], y=np.maximum(c["q"], 1e-30), mode="lines+markers",
                                     marker={"size": 4}, line={"color": STATUS_COLORS.get(status, "black")},
                                     name=status, legendgroup=status, showlegend=status not in shown,
                                     hovertemplate=f"replicate {rep}, start {start}<br>iteration %{{x}}<br>q %{{y:.3g}}"
                                                   "<extra></extra>"))
            shown.add(status)
        rep = ", ".join(str(r) for r in sorted(set(at["replicate"])))
        fig.update_layout(template="simple_white", yaxis_type="log", xaxis_title="Solver iteration",
                          yaxis_title="q = ½‖F(h) − h‖²", legend_title_text="Outcome",
                          title=f"{compare_key} = {float(value):g}, replicate {rep}: SISU "
                                f"{float(at['sisu'].iloc[0]):g}, grid position {int(at['position'].iloc[0])}")
        figs[f"solver_curves__{compare_col}-{float(value):g}"] = fig
    return figs
