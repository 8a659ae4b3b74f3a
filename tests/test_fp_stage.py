"""The fixed-point analysis through the workflow stages on a small untrained part-2 model."""

import json

import jax.random as jr
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from motorlab import make_ensemble, save_model_file
from motorlab.config import train_defaults
from motorlab import stages
from motorlab.analysis import get_analysis


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fp")
    hps = train_defaults()
    hps.update(part=2)
    hps["plant"]["n_steps"] = 16
    hps["model"].update(hidden_size=8, n_replicates=2)
    ensemble = make_ensemble(hps, jr.PRNGKey(0))
    save_model_file(tmp / "m.eqx", ensemble, hps, {"included": [True, False]}, model_id="m")
    evaluation = {"eval_id": "e", "model_id": "m", "part": "part2", "analysis": "fixed_points",
                  "variant": "steady",
                  "hps": {"eval_n": 1, "seed": 0, "grid_n": 2, "sisu": [0.0, 1.0], "candidate_stride": 4,
                          "n_pcs": 3, "reach": {"n_directions": 4, "reach_length": 0.5, "eval_n": 2, "candidate_stride": 2,
                                                "trajectory_trials": 2, "pca_from_step": 8,
                                                "amp": {"curl": [0.0, 2.0], "constant": [0.0]}},
                          "continuation": {"n_points": 5},
                          "slow_regions": {"q_threshold": 1e-3, "fp_radius": 0.1},
                          "feedback": {"amplitudes": [0.2, 0.4], "angle": 0.0, "n_starts": 5, "jitter": 0.01},
                          "solver_curves": {"n_starts": 3}}}
    paths = {k: tmp / f"{k}.parquet" for k in get_analysis("fixed_points").table_names}
    record = stages.analysis_tables(tmp / "m.eqx", evaluation, table_paths=paths, manifest_path=tmp / "e.json")
    return record, {k: pd.read_parquet(p) for k, p in paths.items()}, json.loads((tmp / "e.json").read_text())


def test_steady_grid_has_a_verified_primary_point_per_replicate_position_and_sisu(tables):
    record, t, sidecar = tables
    points = t["points"]
    primary = points[points["primary"]]
    assert len(primary) == 2 * 4 * 2  # replicates x positions x SISU
    assert set(primary["status"]) == {"fixed_point"}
    assert (primary["q"] < 1e-9).all()
    assert primary.groupby("replicate")["included"].first().tolist() == [True, False]
    assert {"pc1", "pc2", "pc3", "n_unstable", "spectral_radius", "h"} <= set(points.columns)
    assert sidecar["counts"]["steady_with_fixed_point"] == 16 and sidecar["kind"] == "evaluation"


def test_primary_steady_points_carry_their_linearisation(tables):
    _, t, _ = tables
    points = t["points"]
    lin = ["trace", "logabsdet", "det_sign", "ct_trace", "ct_logabsdet", "sigma_min", "input_sv_max",
           "sensitivity", "sensitivity_sisu", "sensitivity_fb_pos", "hessian_norm", "hessian_min_eig"]
    prim, rest = points[points["primary"]], points[~points["primary"]]
    assert prim[lin].notna().all().all() and rest[lin].isna().all().all()
    # ct_trace = log|det J| / dt with the plant's dt
    dt = train_defaults()["plant"]["dt"]
    np.testing.assert_allclose(prim["ct_trace"], prim["logabsdet"] / dt, rtol=1e-5)
    assert (prim["sigma_min"] > 0).all() and (prim["hessian_min_eig"] > 0).all()
    assert (prim["sensitivity"] >= prim["sensitivity_sisu"] * (1 - 1e-5)).all()
    assert not {"trace", "sensitivity_sisu"} & set(t["eigenvalues"].columns)
    assert set(lin) <= set(t["reach"].columns)


def test_eigenvalues_and_summary_tables(tables):
    _, t, _ = tables
    eigs = t["eigenvalues"]
    assert len(eigs) == len(t["points"][t["points"]["status"] != "none"]) * 8  # H = 8 per point
    assert np.allclose(eigs["abs"], np.hypot(eigs["real"], eigs["imag"]), atol=1e-6)
    kinds = set(t["summary"]["kind"])
    assert kinds == {"grid_shift", "readout", "reach_readout"}
    shift = t["summary"][t["summary"]["kind"] == "grid_shift"]
    assert (shift[shift["sisu"] == 0.0]["shift"] == 0).all()  # the reference SISU does not move


def test_reach_points_and_trajectories_agree_at_the_first_step(tables):
    _, t, _ = tables
    reach = t["reach"]
    assert set(reach["kind"]) == {"goal_goal", "init_goal"}
    traj = t["trajectories"]
    assert traj["t"].min() == 1 and traj["found"].all()
    first = traj[traj["t"] == 1].iloc[0]
    init = reach[(reach["kind"] == "init_goal") & reach["primary"] & (reach["replicate"] == first["replicate"])
                 & (reach["amp"] == first["amp"])
                 & (reach["direction"] == first["direction"]) & (reach["sisu"] == first["sisu"])]
    # the first step's input is the init-goal input plus the evaluation's feedback noise (the
    # reaches are noisy, eval_n 2), so both find nearly the same point
    assert np.allclose(np.stack(init["h"].to_numpy())[0], first["h"], atol=1e-2)


def test_reaches_are_evaluated_under_each_curl_amplitude(tables):
    _, t, _ = tables
    reach, traj = t["reach"], t["trajectories"]
    assert sorted(reach["amp"].unique()) == [0.0, 2.0] and sorted(traj["amp"].unique()) == [0.0, 2.0]
    keys = ["replicate", "direction", "sisu", "kind"]
    prim = reach[reach["primary"]].set_index(keys + ["amp"]).sort_index()
    assert prim.index.is_unique
    # the goal-goal map does not depend on the field: the same point at both amplitudes
    gg = reach[reach["primary"] & (reach["kind"] == "goal_goal")]
    both = gg.pivot_table(index=keys, columns="amp", values="pc1")
    np.testing.assert_allclose(both[0.0], both[2.0], atol=1e-4)
    # the field changes the reach, hence the hidden states along it
    per_amp = [traj[traj["amp"] == a].sort_values(["sisu", "trial", "t"]) for a in (0.0, 2.0)]
    assert len(per_amp[0]) == len(per_amp[1])
    assert not np.allclose(per_amp[0]["hidden_pc1"], per_amp[1]["hidden_pc1"], atol=1e-4)


def test_sisu_continuation_follows_the_origin_branches_across_the_sweep(tables):
    _, t, sidecar = tables
    samples, events = t["continuation"], t["continuation_events"]
    assert set(samples["replicate"]) == {0, 1}
    for r, grp in samples.groupby("replicate"):
        # arclength continuation from the seeds: some branch spans the whole SISU range [0, 1]
        spans = grp.groupby("branch")["sisu"].agg(["min", "max"])
        assert ((spans["min"] <= 1e-6) & (spans["max"] >= 1 - 1e-6)).any()
        for _, br in grp.groupby("branch"):
            assert np.all(np.diff(br.sort_values("point")["arclength"]) > 0)
    primary = t["points"][t["points"]["primary"]]
    # the first branch starts on a steady grid point nearest the origin at SISU 0
    first = samples[(samples["replicate"] == 0) & (samples["sisu"].abs() < 1e-6)]
    origin = primary[(primary["replicate"] == 0) & (primary["sisu"] == 0.0)]
    dists = [np.min(np.abs(np.stack(origin["h"].to_numpy()) - h).max(axis=1)) for h in first["h"]]
    assert min(dists) < 1e-3
    assert {"pc1", "n_unstable", "stable", "spectral_radius", "lead_re", "lead_im", "bifurcation",
            "branch", "point", "arclength", "included"} <= set(samples.columns)
    assert {"replicate", "included"} <= set(events.columns)
    assert sidecar["counts"]["continuation_bifurcations"] == len(events)
    assert "continuation_folds" in sidecar["counts"]


def _tagged(t, std):
    """The stage's tables as the figure stage reads them: tagged with the compare column."""
    return {k: v.assign(train_std=std) for k, v in t.items()}


def test_fixed_point_figure_set_names_and_kinds(tables):
    from motorlab.figures import fixed_point_figure_set

    _, t, _ = tables
    two = [_tagged(t, 0.0), _tagged(t, 1.5)]  # a group of two models differing in pert.std
    cat = {k: pd.concat([m[k] for m in two], ignore_index=True) for k in t}
    figs = fixed_point_figure_set(cat["points"], cat["eigenvalues"], cat["summary"], cat["reach"],
                                  cat["trajectories"], cat["continuation"], cat["continuation_events"],
                                  compare_key="pert.std", compare_col="train_std", dt=0.05)
    per_value = ["eigenvalues_by_sisu", "eigenvalues_by_replicate", "eigenvalues_by_position",
                 "trace_determinant", "trace_determinant_continuous",
                 "eigenvalue_histograms_sisu_lowhigh", "fixed_point_grid_3d", "sisu_continuation"]
    want = {"eigenvalue_histograms_compare_train"}
    for std in ("0", "1.5"):
        tag_ = f"train_std-{std}"
        want |= {f"{k}__{tag_}" for k in per_value}
        for amp in ("0", "2"):  # reach figures once per field amplitude
            want |= {f"reach_fixed_points_3d__{tag_}__amp-{amp}",
                     f"fixed_point_trajectories_by_sisu_3d__{tag_}__amp-{amp}"}
            want |= {f"fixed_point_trajectories_3d__{tag_}__sisu-{s}__amp-{amp}" for s in ("0", "1")}
    assert set(figs) == want
    assert all(isinstance(f, go.Figure) for f in figs.values())
    # one reach direction across SISUs: 3-D traces, one hidden trajectory per SISU, coloured by SISU
    across = figs["fixed_point_trajectories_by_sisu_3d__train_std-0__amp-2"]
    lines = [tr for tr in across.data if tr.type == "scatter3d" and tr.mode == "lines+markers"]
    assert len(lines) == 2 and {tr.name for tr in lines} == {"0", "1"}
    assert len({tr.line.color for tr in lines}) == 2
    traj = t["trajectories"]
    d = traj["direction"].min()
    want_x = traj[(traj["amp"] == 2.0) & (traj["direction"] == d) & (traj["sisu"] == 1.0)].sort_values("t")
    np.testing.assert_allclose([tr for tr in lines if tr.name == "1"][0].x, want_x["hidden_pc1"], rtol=1e-6)
    assert figs["eigenvalues_by_sisu__train_std-0"].data[0].type == "scatter"
    assert any(tr.type == "histogram" for tr in figs["eigenvalue_histograms_compare_train"].data)



def test_workflow_fixed_point_figures_writes_the_set(tables, tmp_path):
    _, t, manifest = tables
    hps = train_defaults()
    hps.update(part=2)
    (tmp_path / "m.json").write_text(json.dumps({"id": "m", "hps": hps}))
    group = {"group_id": "g", "label": "g", "compare": ["pert.std"], "variant": "steady", "eval_ids": ["e"]}
    manifest_path = tmp_path / "e.json"
    manifest_path.write_text(json.dumps(manifest))
    record = stages.analysis_figures("fixed_points", group, manifests=[manifest_path],
                                     model_sidecars=[tmp_path / "m.json"], out_dir=tmp_path / "figs",
                                     sidecar_path=tmp_path / "g.json", part="part2", formats=("html",))
    names = {f["name"] for f in record["figures"]}
    core = {"eigenvalues_by_sisu", "eigenvalues_by_replicate", "eigenvalues_by_position", "trace_determinant",
            "trace_determinant_continuous", "eigenvalue_histograms_sisu_lowhigh", "fixed_point_grid_3d",
            "sisu_continuation"}
    assert {f"{k}__train_std-0" for k in core} <= names
    assert any(n.startswith("reach_fixed_points_3d__train_std-0") for n in names)
    assert all((tmp_path / "figs" / f"{n}.html").exists() for n in names)
    assert record["analysis"] == "fixed_points"
    assert all(json.loads((tmp_path / "figs" / f"{n}.json").read_text())["analysis"] == "fixed_points"
               for n in names)


def test_feedback_perturbed_steady_points_have_eigenvalues_per_amplitude(tables):
    _, t, _ = tables
    fb, eigs = t["feedback_eigenvalues"], t["eigenvalues"]
    assert set(fb["fb_amp"].astype(float).round(4)) == {0.2, 0.4} and (fb["fb_vel_y"] == 0).all()
    assert set(fb["status"]) == {"fixed_point"} and fb["included"].dtype == bool
    conditions = ["replicate", "position", "sisu", "fb_amp"]
    assert fb.groupby(conditions).size().eq(8).all()  # H = 8 eigenvalues per perturbed point
    assert fb.groupby(conditions).ngroups == 2 * 4 * 2 * 2  # replicates x positions x SISU x amplitudes
    # a small offset moves the spectrum a little: the leading modulus stays near the unperturbed one
    lead = fb[fb["index"] == 0].groupby(["replicate", "position", "sisu"])["abs"].mean()
    base = eigs[eigs["primary"] & (eigs["index"] == 0)].set_index(["replicate", "position", "sisu"])["abs"]
    assert np.allclose(lead, base.reindex(lead.index), atol=0.2)


def test_solver_curves_of_a_few_starts_per_replicate(tables):
    _, t, _ = tables
    c = t["solver_curves"]
    assert c.groupby("replicate")["start"].nunique().tolist() == [3, 3] and set(c["sisu"]) == {0.0}
    ends = c.sort_values("iteration").groupby(["replicate", "start"]).last()
    assert (ends.loc[ends["status"] == "fixed_point", "q"] < 1e-9).all()


def test_eigenvalue_variation_is_a_table(tables):
    _, t, _ = tables
    var = t["variation"]
    assert set(var["axis"]) == {"sisu", "position", "replicate"} and set(var["n_leading"]) == {-1, 10}
    assert (var["max_std"] >= var["mean_std"]).all() and (var["mean_std"] >= 0).all()
    # the SISU spread of the included replicate's primary points, recomputed by hand for eigenvalue 0
    eigs = t["eigenvalues"]
    lead = eigs[eigs["primary"] & eigs["included"] & (eigs["index"] == 0)]
    by = lead.groupby(["position", "replicate"])
    spread = np.sqrt(by["real"].var(ddof=0) + by["imag"].var(ddof=0))
    assert var.query("axis == 'sisu' and n_leading == -1")["max_std"].iloc[0] >= spread.max() - 1e-6


def test_slow_regions_are_a_table_of_their_own_away_from_fixed_points(tables):
    record, t, sidecar = tables
    slow = t["slow_regions"]
    assert {"replicate", "included", "kind", "sisu", "position", "direction", "amp", "trial", "t", "dwell", "q",
            "status", "fp_distance", "top_abs", "near_one", "pc1", "pc2", "pc3", "h"} <= set(slow.columns)
    assert set(slow["kind"]) <= {"steady", "reach"} and sidecar["counts"]["slow_regions"] == len(slow)
    assert (slow["q"] <= 1e-3).all() and (slow["dwell"] >= 1).all()
    # a row whose Newton check verified a root has it farther away than fp_radius
    assert (slow.loc[slow["status"] == "fixed_point", "fp_distance"] > 0.1).all()


def test_fixed_point_figures_draw_the_best_replicate_and_the_slow_regions(tables):
    from motorlab.figures._registry import get_figure_set

    _, t, _ = tables
    both = {k: v.assign(included=True) if "included" in v else v for k, v in t.items()}
    slow = both["slow_regions"]
    if not len(slow):  # an untrained net may have none: draw one made-up region per replicate
        pts = both["points"][both["points"]["primary"]].groupby("replicate").head(1)
        slow = pd.DataFrame({"replicate": pts["replicate"].to_numpy(), "included": True, "kind": "steady",
                             "sisu": pts["sisu"].to_numpy(), "t": np.int16(3), "dwell": np.int16(4), "q": 1e-5,
                             "near_one": 1e-3, "top_abs": 0.99, "pc1": 0.0, "pc2": 0.0, "pc3": 0.0})
    both["slow_regions"] = slow
    hps = train_defaults()
    hps.update(part=2)
    model = {"hps": hps, "replicates": {"best_total_loss": [2.0, 1.0], "included": [True, True]}}
    figs = get_figure_set("fixed_points")({k: [v] for k, v in both.items()}, [model],
                                          {"compare": ["pert.std"], "variant": "steady"})
    assert "replicate 1" in figs["fixed_point_grid_3d__train_std-0"].layout.title.text  # the best, not index 0
    slow_fig = figs["slow_regions__train_std-0"]
    assert "replicate 1" in slow_fig.layout.title.text
    assert any(tr.type == "scatter" and tr.x is not None for tr in slow_fig.data)
    fb_fig = figs["eigenvalues_feedback_perturbed__train_std-0"]
    assert {tr.name for tr in fb_fig.data if tr.type == "scatter" and tr.mode == "markers"} >= {"0", "0.2", "0.4"}
    for amp in ("0", "2"):  # the 2-D PC2-PC3 reach figure beside the effector, per field amplitude
        two_d = figs[f"fixed_point_trajectories_2d__train_std-0__amp-{amp}"]
        effector = [tr for tr in two_d.data if tr.xaxis == "x2"]
        assert len(effector) == 2 and all(np.isfinite(tr.x).all() for tr in effector)  # 2 traced reaches
    curves_fig = figs["solver_curves__train_std-0"]
    assert len(curves_fig.data) == 3 and "replicate 1" in curves_fig.layout.title.text
