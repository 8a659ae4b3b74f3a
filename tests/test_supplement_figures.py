"""Figure sets of the cross-condition and supplementary analyses on small synthetic tables."""

import itertools

import equinox as eqx
import jax.random as jr
import numpy as np
import pandas as pd

from motorlab.analysis import tangling_table, weights_table
from motorlab.figures._registry import get_figure_set
from motorlab.sim import GRUController

from test_behaviour_figures import model_states


def model(fb=0.01, delay=0, std=0.0, control=1e-5, hidden=32, pert_type="curl"):
    return {"hps": {"part": 1, "plant": {"dt": 0.05}, "pert": {"type": pert_type, "std": std},
                    "loss": {"control": control},
                    "model": {"feedback_noise_std": fb, "motor_noise_std": fb, "feedback_delay_steps": delay,
                              "hidden_size": hidden}}}


def block_table(value, tests, amps=(0.0, 2.0), measure="end_position_error", n=6, sisu=np.nan):
    """A block-analysis Measures table: `value(test, amp, replicate)` for each row."""
    rows = []
    for (test_type, noise, delay), amp, r in itertools.product(tests, amps, range(2)):
        for c in range(n):
            rows.append({"eval": 0, "replicate": r, "included": True, "condition": c, "pert_type": test_type,
                         "pert_amp": np.float32(amp), "sisu": np.float32(sisu), "centre": 0, "direction": c,
                         "measure": measure, "value": value((test_type, noise, delay), amp, r) + 0.01 * c,
                         "test": f"{test_type}_noise-{noise:g}_delay-{delay}", "test_pert_type": test_type,
                         "test_noise": noise, "test_motor_noise": noise, "test_delay": delay})
    return pd.DataFrame(rows)


def test_train_test_matrix_rows_are_training_and_columns_test_conditions():
    tests = [("curl", n, d) for n in (0.01, 0.1) for d in (0, 2)]
    members = [model(delay=0), model(delay=2)]
    tables = [block_table(lambda t, a, r, train=m["hps"]["model"]["feedback_delay_steps"]: 10 * train + t[2] + 100 * t[1],
                          tests) for m in members]
    group = {"compare": ["model.feedback_noise_std", "model.motor_noise_std", "model.feedback_delay_steps"]}
    figs = get_figure_set("cross_eval")({"measures": tables}, members, group)
    assert sorted(figs) == ["train_test__end_position_error__test-curl__amp-0",
                            "train_test__end_position_error__test-curl__amp-2"]
    heat = figs["train_test__end_position_error__test-curl__amp-2"].data[0]
    assert list(heat.y) == ["noise 0.01, delay 0", "noise 0.01, delay 2"]
    assert list(heat.x) == ["noise 0.01, delay 0", "noise 0.01, delay 2", "noise 0.1, delay 0", "noise 0.1, delay 2"]
    expected = [[10 * train + d + 100 * n + 0.025 for n in (0.01, 0.1) for d in (0, 2)] for train in (0, 2)]
    np.testing.assert_allclose(heat.z, expected, rtol=1e-6)


def test_control_weight_lines_per_field_on_a_log_axis():
    tests = [("curl", 0.01, 0), ("constant", 0.01, 0)]
    members = [model(control=1e-5), model(control=1e-7)]
    tables = [block_table(lambda t, a, r, w=m["hps"]["loss"]["control"]: a * (1 if w > 1e-6 else 2) + r, tests,
                          amps=(0.0, 2.0)) for m in members]
    figs = get_figure_set("control_weight")({"measures": tables}, members, {"compare": ["loss.control"]})
    fig = figs["control_weight__end_position_error"]
    assert fig.layout.xaxis.type == "log"
    assert [t.name for t in fig.data] == ["constant 2", "curl 2", "none"]  # amplitude 0 once
    curl = fig.data[1]
    np.testing.assert_allclose(curl.x, [1e-7, 1e-5])
    np.testing.assert_allclose(curl.y, [4.525, 2.525])  # mean over (eval, replicate) units


def test_size_study_lines_per_network_size():
    members = [model(std=s, hidden=h) for h in (32, 64) for s in (0.0, 1.0)]
    tables = [block_table(lambda t, a, r, m=m: m["hps"]["pert"]["std"] / m["hps"]["model"]["hidden_size"],
                          [("curl", 0.01, 0)], sisu=0.0) for m in members]
    figs = get_figure_set("size_study")({"measures": tables}, members, {"compare": ["model.hidden_size", "pert.std"]})
    fig = figs["size_study__end_position_error__sisu-0__amp-2"]
    assert [t.name for t in fig.data] == ["32", "64"]
    np.testing.assert_allclose(fig.data[1].y, [0.025, 1 / 64 + 0.025])


def test_tangling_and_network_figure_sets():
    states = pd.concat([model_states(t, a, s, seed=i).assign(pert_type="curl") for i, (t, a, s) in
                        enumerate(itertools.product((0.0, 1.5), (0.0, 2.0), (-1.0, 1.0)))], ignore_index=True)
    members = [model(std=s) for s in (0.0, 1.5)]
    tables = [tangling_table(states[states["train_std"] == s].drop(columns=["train_std", "best_replicate"]), 0.05,
                             method="kdtree", k=10) for s in (0.0, 1.5)]
    figs = get_figure_set("tangling")({"tangling": tables}, members, {"compare": ["pert.std"]})
    assert {"tangling_by_sisu__amp-0", "tangling_by_sisu__amp-2", "tangling_by_train"} <= set(figs)
    stats = [n for n in figs if n.startswith("stats__")]
    assert "stats__by-train_std__amp-2__sisu-1" in stats and "stats__by-sisu__amp-2__train_std-1.5" in stats
    assert all(set(figs[n].table["measure"]) == {"tangling"} for n in stats)

    make = lambda k: GRUController(6, key=k)  # noqa: E731
    weights = [weights_table({0: eqx.filter_vmap(make)(jr.split(jr.PRNGKey(i), 3))}, "model").drop(columns="model")
               for i in range(2)]
    figs = get_figure_set("network_basic")({"weights": weights}, members, {"compare": ["pert.std"]})
    assert set(figs) == {"weights_by_condition", "weights_by_replicate"}  # no training histories here
    assert [t.name for t in figs["weights_by_condition"].data[:3]] == ["0"] * 3  # 3 layers of sigma 0


def test_loss_figures_read_each_members_history_and_skip_a_missing_one(tmp_path):
    """The training-loss and loss-term figures read every member's `_history.npz` through one
    reader; a member without a history file gets no figure."""
    from motorlab.figures._registry import loss_figures
    from motorlab.figures._supplement_sets import loss_term_figures

    losses = np.linspace(3.0, 0.1, 20)[:, None] * np.ones((1, 2))
    np.savez(tmp_path / "h.npz", **{"loss/total": losses, "loss/position": losses / 2})
    reps = {"best_iteration": [19, 18], "included": [True, False]}
    members = [{**model(std=0.0), "replicates": reps, "history_path": str(tmp_path / "h.npz")},
               {**model(std=1.0), "replicates": reps, "history_path": str(tmp_path / "missing.npz")}]
    assert list(loss_figures(members, ["pert.std"])) == ["training_loss__train_std-0"]
    terms = loss_term_figures(members, ["pert.std"])
    assert len(terms) == 1 and next(iter(terms)).startswith("training_loss_terms__train_std-0")
