"""More fixed-point figures (SPEC §2.10, issue 14): the eigenvalues of the feedback-perturbed
steady points coloured by the offset's amplitude, the finder's optimisation curves, and the
2-D PC2–PC3 reach figures with the matching effector trajectories."""

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


def trajectories_2d(trajectories: pd.DataFrame, *, title: str | None = None, width: int = 950,
                    height: int = 450) -> go.Figure:
    """SPEC §2.11's 2-D version: hidden trajectories (lines, open diamond at the end) and their
    fixed-point trajectories (markers, opacity 0.4, open square at the end) in PC2–PC3, beside
    the matching effector trajectories, coloured by reach direction.

    Arguments:
        trajectories: `trajectories` rows of one replicate, SISU and amplitude (trial, t,
            direction, pc2, pc3, hidden_pc2, hidden_pc3, pos_x, pos_y).
    """
    from plotly.subplots import make_subplots

    from ._style import colors_for, format_value

    fig = make_subplots(rows=1, cols=2, subplot_titles=("Hidden state and fixed points, PC2–PC3", "Effector"))
    colors = colors_for("direction", trajectories["direction"].unique())
    for d, col in colors.items():
        tr = trajectories[trajectories["direction"] == d].sort_values("t")
        name = format_value(d)
        n = len(tr)
        end = {"size": [0] * (n - 1) + [9], "color": col}
        fig.add_trace(go.Scatter(x=tr["hidden_pc2"], y=tr["hidden_pc3"], mode="lines+markers", name=name,
                                 legendgroup=name, line={"color": col},
                                 marker=end | {"symbol": ["circle"] * (n - 1) + ["diamond-open"]}), row=1, col=1)
        fig.add_trace(go.Scatter(x=tr["pc2"], y=tr["pc3"], mode="markers", name=f"{name} fixed points",
                                 legendgroup=name, showlegend=False, opacity=0.4,
                                 marker={"color": col, "size": [4] * (n - 1) + [9],
                                         "symbol": ["circle"] * (n - 1) + ["square-open"]}), row=1, col=1)
        fig.add_trace(go.Scatter(x=tr["pos_x"], y=tr["pos_y"], mode="lines+markers", name=name, legendgroup=name,
                                 showlegend=False, line={"color": col},
                                 marker=end | {"symbol": ["circle"] * (n - 1) + ["diamond-open"]}), row=1, col=2)
    fig.update_xaxes(title_text="PC2", row=1, col=1)
    fig.update_yaxes(title_text="PC3", row=1, col=1)
    fig.update_xaxes(title_text="x", row=1, col=2)
    fig.update_yaxes(title_text="y", scaleanchor="x2", scaleratio=1, row=1, col=2)
    fig.update_layout(template="simple_white", title=title, width=width, height=height,
                      legend_title_text="Reach direction")
    return fig


def trajectory_2d_figures(trajectories: pd.DataFrame, compare_col: str, compare_key: str) -> dict[str, go.Figure]:
    """`trajectories_2d` per value of `compare_col` and field amplitude, at the SISU nearest 0
    (`__amp-<a>` when there are several amplitudes); needs the effector columns."""
    if trajectories is None or not len(trajectories) or "pos_x" not in trajectories:
        return {}
    figs = {}
    for value in sorted(trajectories[compare_col].unique()):
        at = trajectories[trajectories[compare_col] == value]
        amps = sorted(at["amp"].unique())
        for amp in amps:
            tr = at[at["amp"] == amp]
            sisu = tr["sisu"].to_numpy(float)
            s = sisu[np.argmin(np.abs(np.nan_to_num(sisu)))] if len(sisu) else np.nan
            tr = tr[tr["sisu"].isna()] if np.isnan(s) else tr[tr["sisu"] == s]
            suffix = "" if len(amps) == 1 else f"__amp-{float(amp):g}"
            rep = int(tr["replicate"].iloc[0])
            figs[f"fixed_point_trajectories_2d__{compare_col}-{float(value):g}{suffix}"] = trajectories_2d(
                tr, title=f"{compare_key} = {float(value):g}, field {float(amp):g}, SISU "
                          f"{'none' if np.isnan(s) else format(float(s), 'g')}, replicate {rep}")
    return figs
