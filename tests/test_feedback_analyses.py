"""The `feedback_perts` and `freq_response` analyses as units of the analysis interface (issue 9):
registered, planned from a study config, their tables on tiny untrained models, their figure sets
drawing every SPEC plot id, and one clear error per bad setting."""

import numpy as np
import pytest

import motorlab as ml
from motorlab.analysis import get_analysis
from motorlab.config import STAGE_VERSIONS, ConfigError, load_study
from motorlab.figures import PLOT_IDS, plot_id
from motorlab.figures._registry import get_figure_set

PART1_IDS = {"example_trial_sets", "response_profiles/compare_train_conditions", "response_profiles/compare_pert_vars",
             "performance_measures/all_train_conditions", "performance_measures/lohi_train_conditions",
             "performance_measures/compare_impulse_amplitudes"}
TRAIN = {"plant.n_steps": 16, "model": {"hidden_size": 6, "n_replicates": 2}, "pert.std": [0.0, 1.0]}
FEEDBACK = {"eval_n": 1, "grid_n": 1, "impulse": {"start": 4, "duration": 3, "n_amplitudes": 2}}
FREQ = {"eval_n": 2, "grid_n": 1, "n_steps": 21}


def study(part=1, feedback=FEEDBACK, freq=FREQ):
    train = dict(TRAIN, part=part) if part == 2 else TRAIN
    analyses = {"feedback_perts": dict(feedback, sisu=[0.0, 1.0]) if part == 2 else feedback}
    if freq is not None:
        analyses["freq_response"] = freq
    return load_study({f"part{part}": {"train": train, "analyses": analyses}})


def run_group(st, part, analysis):
    """Plan, compute the tables of every member, and draw the one figure group."""
    unit = get_analysis(analysis)
    (group,) = st.figure_groups(part, analysis)
    tables, models = {n: [] for n in unit.table_names}, []
    for e in group.members:
        hps = st.model(e.model_id)
        ens = ml.make_ensemble(hps, ml.make_keys(hps["seed"])[0])
        out = unit.tables(ens, hps, e.hps, included=np.array([True, False]), states=None)
        assert set(out) == set(unit.table_names)
        for n in unit.table_names:
            tables[n].append(out[n])
        models.append({"hps": hps})
    figs = get_figure_set(unit.figure_set)(tables, models, {"compare": group.compare, "variant": group.variant})
    return tables, figs, unit.summary({n: t[0] for n, t in tables.items()})


def test_registered_with_defaults_and_versions():
    for name, figure_set in (("feedback_perts", "feedback_perts"), ("freq_response", "freq_response")):
        unit = get_analysis(name)
        assert unit.figure_set == figure_set and not unit.keeps_states
        assert unit.defaults()["compare"] == "pert.std"
        assert all(k in STAGE_VERSIONS for k in (*unit.id_versions, *unit.figure_versions))
        get_figure_set(figure_set)


def test_plan_resolves_the_spec_amplitude_grid():
    defaults = load_study({"part1": {"train": {}, "analyses": {"feedback_perts": {}, "freq_response": {}}}})
    (e,) = defaults.evaluations("part1", "feedback_perts")
    assert e.variant == "steady" and (e.hps["eval_n"], e.hps["grid_n"], e.hps["sisu"]) == (5, 5, None)
    imp = e.hps["impulse"]
    assert (imp["start"], imp["duration"], imp["direction"]) == (30, 5, "rand")
    assert imp["amp"] == {"pos": pytest.approx([0.6, 1.2, 1.8]), "vel": pytest.approx([0.4, 0.8, 1.2])}
    (f,) = defaults.evaluations("part1", "freq_response")
    assert {k: f.hps[k] for k in ("eval_n", "grid_n", "n_steps", "noise_std")} == {
        "eval_n": 50, "grid_n": 10, "n_steps": 200, "noise_std": 0.1}


@pytest.mark.parametrize("analysis, settings, message", [
    ("feedback_perts", {"impulse": {"start": 12}},
     "part1.analyses.feedback_perts.impulse.start: got 12 with impulse.duration 5, ending at control step 16, "
     "outside the trial; expected start + duration <= plant.n_steps - 1 = 15"),
    ("feedback_perts", {"impulse": {"channels": ["pos", "force"]}},
     "part1.analyses.feedback_perts.impulse.channels: got ['pos', 'force']; expected a non-empty list of distinct "
     "values from 'pos', 'vel'"),
    ("feedback_perts", {"impulse": {"direction": "diag"}},
     "part1.analyses.feedback_perts.impulse.direction: got 'diag'; expected one of 'rand', 'xy'"),
    ("feedback_perts", {"impulse": {"n_amplitudes": 0}},
     "part1.analyses.feedback_perts.impulse.n_amplitudes: got 0; expected an integer >= 1"),
    ("feedback_perts", {"impulse": {"max_amplitude": {"vel": -1.0}}},
     "part1.analyses.feedback_perts.impulse.max_amplitude.vel: got -1.0; expected a number > 0"),
    ("freq_response", {"noise_std": 0.0},
     "part1.analyses.freq_response.noise_std: got 0.0; expected a number > 0"),
    ("freq_response", {"n_steps": 2}, "part1.analyses.freq_response.n_steps: got 2; expected an integer >= 3"),
])
def test_bad_settings_name_the_key(analysis, settings, message):
    st = load_study({"part1": {"train": {"plant.n_steps": 16}, "analyses": {analysis: settings}}})
    with pytest.raises(ConfigError) as info:
        st.evaluations("part1", analysis)
    assert message in str(info.value)


def test_feedback_perts_part1_tables_and_figures():
    tables, figs, counts = run_group(study(1, freq=None), "part1", "feedback_perts")
    responses, measures = tables["responses"][0], tables["measures"][0]
    assert sorted(responses["pert_var"].astype(str).unique()) == ["pos", "vel"]
    assert (responses["impulse_start"] == 4).all() and (responses["impulse_duration"] == 3).all()
    assert responses.groupby("pert_var", observed=True)["impulse_amp"].unique().map(list).to_dict() == {
        "pos": pytest.approx([0.9, 1.8]), "vel": pytest.approx([0.6, 1.2])}
    assert {"max_net_force_during_impulse", "max_net_force_after_impulse",
            "max_parallel_force_forward_after_impulse", "max_deviation", "sum_deviation"} <= set(measures["measure"])
    assert np.isfinite(measures["value"]).all()
    assert counts == {"trials": 2 * 2 * 2, "measure_rows": len(measures)}  # 2 vars x 2 amps x 2 replicates
    assert {plot_id(n) for n in figs} == PART1_IDS
    assert all(len(f.data) for f in figs.values())


def test_feedback_perts_part2_adds_context_figures_and_the_grey_underlay():
    _, figs, _ = run_group(study(2, freq=None), "part2", "feedback_perts")
    assert {plot_id(n) for n in figs} == set(PLOT_IDS)
    name = "performance_measures/compare_impulse_amplitudes__max_net_force__pert_var-vel__train_std-"
    low, high = figs[name + "0"], figs[name + "1"]
    grey = [t for t in high.data if t.legendgroup == "underlay"]
    assert len(grey) == len(low.data) and high.data[: len(grey)] == tuple(grey)  # drawn first, behind
    assert sum(bool(t.showlegend) for t in grey) == 1 and all(t.points is False for t in grey)
    assert not any(t.legendgroup == "underlay" for t in low.data)


def test_freq_response_tables_and_bode_figures():
    tables, figs, counts = run_group(study(1), "part1", "freq_response")
    response = tables["response"][0]
    n_freq = 9  # positive frequencies of fftfreq(20): 1 … 9 (numpy files the Nyquist bin as negative)
    assert counts == {"rows": 2 * 2 * 2 * n_freq, "frequencies": n_freq}
    assert response["included"].tolist().count(False) == 2 * 2 * n_freq
    assert (response["n_trials"] == 2).all() and np.isfinite(response["gain_db_mean"]).all()
    assert sorted(figs) == sorted(f"{p}__pert_var-{v}__axis-{a}" for p in ("bode_gain/closed_loop_ss",
                                  "bode_phase/closed_loop_ss") for v in ("pos", "vel") for a in ("x", "y"))
    gain = figs["bode_gain/closed_loop_ss__pert_var-pos__axis-x"]
    assert [t.name for t in gain.data if t.showlegend is not False] == ["0", "1"]  # one curve per train std
