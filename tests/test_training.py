"""Ensemble training on a tiny configuration: learning, one compilation, divergence handling,
replicate independence, the parameter-saving schedule and best-iteration selection."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import motorlab.train._loop as training  # monkeypatch target: where train_ensemble looks up the loss
from motorlab import TrainingDiverged, make_ensemble, make_keys, replicate, save_iterations, train_ensemble
from motorlab.train import included_by, select_replicates, stack_best
from motorlab.sim import map_replicates
from motorlab.config import train_defaults

N_REP, N_BATCHES = 3, 30


def tiny_hps():
    hps = train_defaults()
    hps["plant"]["n_steps"] = 20
    hps["model"].update(hidden_size=8, n_replicates=N_REP)
    hps["train"].update(batch_size=8, n_batches=N_BATCHES, validation_eval_n=1, learning_rate=0.05)
    return hps


def initial_ensemble(hps):
    key_init, _, _ = make_keys(hps["seed"])
    return make_ensemble(hps, key_init)


def set_readout(ensemble, r, value):
    w = ensemble.readout.weight
    return eqx.tree_at(lambda e: e.readout.weight, ensemble, w.at[r].set(value))


def leaves(tree):
    return jax.tree.leaves(eqx.filter(tree, eqx.is_array))


@pytest.fixture(scope="module")
def result():
    """A healthy run; the per-replicate loss is wrapped so that a second trace would raise."""
    make_loss = training.make_replicate_loss
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(training, "make_replicate_loss",
                   lambda hps: eqx.debug.assert_max_traces(make_loss(hps), max_traces=1))
        return train_ensemble(tiny_hps(), progress=False)


@pytest.fixture(scope="module")
def diverged_result():
    """Replicate 1 starts with NaN readout weights, replicate 2 with weights so large the loss
    overflows to inf; replicate 0 is the same as in `result`."""
    hps = tiny_hps()
    init = initial_ensemble(hps)
    init = set_readout(set_readout(init, 1, jnp.nan), 2, 1e30)
    return train_ensemble(hps, init_ensemble=init, progress=True)


def test_training_lowers_the_loss(result):
    total = result.history["total"]
    assert total.shape == (N_BATCHES, N_REP)
    assert np.all(np.isfinite(total))
    first, last = total[:5].mean(axis=0), total[-5:].mean(axis=0)
    assert np.all(last < 0.7 * first), (first, last)
    assert set(result.history) == {"total", "position", "final_velocity", "control", "hidden"}
    terms = sum(result.history[k] for k in ("position", "final_velocity", "control", "hidden"))
    np.testing.assert_allclose(terms, total, rtol=1e-5)


def test_parameters_change_and_keep_their_structure(result):
    init = initial_ensemble(tiny_hps())
    assert jax.tree.structure(eqx.filter(init, eqx.is_array)) == jax.tree.structure(
        eqx.filter(result.ensemble, eqx.is_array))
    for a, b in zip(leaves(init), leaves(result.ensemble)):
        assert a.shape == b.shape and a.dtype == b.dtype
    assert not np.array_equal(np.asarray(init.cell.weight_hh), np.asarray(result.ensemble.cell.weight_hh))


def test_train_step_compiles_once(result):
    # `n_traces` counts traces of the jitted step; the fixture's assert_max_traces wrapper on the
    # loss would already have raised on a second trace.
    assert result.n_traces == 1


def test_saved_iterations_follow_the_schedule(result):
    assert result.saved_iterations == save_iterations(N_BATCHES)
    assert len(result.snapshots) == len(result.saved_iterations)
    np.testing.assert_array_equal(np.asarray(result.snapshots[0].cell.weight_ih),
                                  np.asarray(initial_ensemble(tiny_hps()).cell.weight_ih))


def test_best_iteration_is_the_saved_iteration_with_minimum_loss(result):
    saved = np.asarray(result.saved_iterations)
    total = result.history["total"]
    best = [int(saved[np.argmin(total[saved, r])]) for r in range(N_REP)]
    assert result.info["best_iteration"] == best
    np.testing.assert_allclose(result.info["best_total_loss"], [total[b, r] for r, b in enumerate(best)])
    # The returned ensemble holds, per replicate, the parameters saved at its best iteration.
    for r, b in enumerate(best):
        snap = result.snapshots[result.saved_iterations.index(b)]
        for got, want in zip(leaves(replicate(result.ensemble, r)), jax.tree.leaves(snap)):
            np.testing.assert_array_equal(np.asarray(got), np.asarray(want)[r])


def test_selection_ignores_unsaved_iterations_and_non_finite_losses(result):
    """With a made-up loss history: the minimum at an unsaved iteration (15) cannot be chosen;
    replicate 0's best saved iteration is 3, replicate 1's is 20 (its lower value is NaN)."""
    total = np.full((N_BATCHES, N_REP), 5.0)
    total[15] = 0.1
    total[3, 0] = 1.0
    total[20, 1], total[7, 1] = 2.0, np.nan
    best, info = select_replicates(tiny_hps(), total, result.saved_iterations, result.snapshots,
                                   result.ensemble, [None] * N_REP)
    assert 15 not in result.saved_iterations
    assert info["best_iteration"] == [3, 20, 0]
    assert info["best_total_loss"] == [1.0, 2.0, 5.0]
    for r, b in enumerate(info["best_iteration"]):
        snap = result.snapshots[result.saved_iterations.index(b)]
        np.testing.assert_array_equal(np.asarray(best.readout.weight[r]), np.asarray(snap.readout.weight)[r])


def test_selection_info_is_complete(result):
    info = result.info
    for key in ("best_iteration", "included", "excluded_reason", "criterion", "included_by",
                "best_total_loss", "end_position_error", "final_total_loss", "diverged_at", "readout_norm"):
        assert key in info, key
        if key not in ("criterion", "included_by"):
            assert len(info[key]) == N_REP, key
    assert info["diverged_at"] == [None] * N_REP
    assert info["criterion"] == "best_total_loss"
    assert info["included"] == info["included_by"]["best_total_loss"]
    assert all((reason is None) == inc for reason, inc in zip(info["excluded_reason"], info["included"]))
    assert np.all(np.isfinite(info["end_position_error"]))


def test_diverging_replicates_are_excluded_with_their_reason(diverged_result):
    info = diverged_result.info
    assert info["diverged_at"] == [None, 0, 0]
    assert info["included"] == [True, False, False]
    assert info["excluded_reason"][0] is None
    for r in (1, 2):
        assert "diverged" in info["excluded_reason"][r] and "iteration 0" in info["excluded_reason"][r]
        assert info["best_total_loss"][r] is None
    total = diverged_result.history["total"]
    assert np.all(np.isfinite(total[:, 0]))
    assert not np.any(np.isfinite(total[:, 1:]))
    assert diverged_result.n_traces == 1


@pytest.fixture(scope="module")
def grad_diverged_result():
    """Replicate 1's gradient is NaN at iteration 0 while every loss stays finite.

    The loss gets `0 · sqrt(w²)` added, w = readout.weight[0, 0]: its value is 0 for every
    replicate, and its gradient is 0 where w ≠ 0 but 0/0 = NaN where w = 0 (replicate 1 only).
    """
    hps = tiny_hps()
    init = initial_ensemble(hps)
    init = eqx.tree_at(lambda e: e.readout.weight, init, init.readout.weight.at[1, 0, 0].set(0.0))
    assert np.all(np.asarray(init.readout.weight)[[0, 2], 0, 0] != 0)
    make_loss = training.make_replicate_loss

    def make_kinked_loss(hps):
        loss = make_loss(hps)

        def kinked(model, key):
            total, terms = loss(model, key)
            return total + 0.0 * jnp.sqrt(model.readout.weight[0, 0] ** 2), terms

        return kinked

    # At the start every replicate's loss is finite; only replicate 1's gradient is not.
    grad_fn = eqx.filter_value_and_grad(make_kinked_loss(hps), has_aux=True)
    with jax.numpy_dtype_promotion("standard"):
        (values, _), grads = eqx.filter_jit(lambda e, k: map_replicates(grad_fn, e, k))(
            init, jax.random.split(jax.random.PRNGKey(0), N_REP))
    assert np.all(np.isfinite(np.asarray(values)))
    assert not np.isfinite(np.asarray(grads.readout.weight[1])).all()
    assert np.isfinite(np.asarray(grads.readout.weight)[[0, 2]]).all()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(training, "make_replicate_loss",
                   lambda hps: eqx.debug.assert_max_traces(make_kinked_loss(hps), max_traces=1))
        return train_ensemble(hps, init_ensemble=init, progress=False)


def test_non_finite_gradient_with_finite_loss_excludes_the_replicate(grad_diverged_result):
    info = grad_diverged_result.info
    assert info["diverged_at"] == [None, 0, None]
    assert info["included"][1] is False
    assert info["excluded_reason"][1] == "diverged: non-finite gradient at iteration 0 (loss finite)"
    assert info["best_total_loss"][1] is None
    total = grad_diverged_result.history["total"]
    assert not np.any(np.isfinite(total[:, 1])), "a stopped replicate's losses are dropped"
    assert np.all(np.isfinite(total[:, [0, 2]]))
    # the frozen replicate keeps its initial parameters
    np.testing.assert_array_equal(np.asarray(grad_diverged_result.snapshots[-1].readout.weight)[1, 0, 0], 0.0)
    assert grad_diverged_result.n_traces == 1


def test_non_finite_loss_reason_names_the_loss(diverged_result):
    for r in (1, 2):
        assert diverged_result.info["excluded_reason"][r] == "diverged: non-finite loss at iteration 0"


def test_replicates_are_independent(result, diverged_result):
    """Replicate 0 trains bit for bit the same whether its neighbours are healthy or NaN/inf."""
    np.testing.assert_array_equal(diverged_result.history["total"][:, 0], result.history["total"][:, 0])
    for name in ("position", "control"):
        np.testing.assert_array_equal(diverged_result.history[name][:, 0], result.history[name][:, 0])
    for snap_a, snap_b in zip(result.snapshots, diverged_result.snapshots):
        for a, b in zip(jax.tree.leaves(snap_a), jax.tree.leaves(snap_b)):
            np.testing.assert_array_equal(np.asarray(a)[0], np.asarray(b)[0])
    assert diverged_result.info["best_iteration"][0] == result.info["best_iteration"][0]


def test_every_replicate_diverging_raises():
    hps = tiny_hps()
    init = initial_ensemble(hps)
    init = eqx.tree_at(lambda e: e.readout.weight, init, jnp.full_like(init.readout.weight, jnp.nan))
    with pytest.raises(TrainingDiverged, match=r"every replicate diverged.*iterations \[0, 0, 0\].*"
                       r"replicate 2: non-finite loss at iteration 0.*learning_rate"):
        train_ensemble(hps, init_ensemble=init, progress=False)


@pytest.mark.parametrize(
    "n, expected",
    [
        (1, [0]),
        (10, list(range(10))),
        (25, list(range(10)) + [10, 20, 24]),
        (100, list(range(10)) + list(range(10, 100, 10)) + [99]),
        (10_000, list(range(10)) + list(range(10, 100, 10)) + list(range(100, 1000, 100))
         + list(range(1000, 10_000, 1000)) + [9999]),
    ],
)
def test_save_iterations_schedule(n, expected):
    assert save_iterations(n) == expected


def test_replicate_exclusion_rule():
    """Included: value ≤ best + n·std over the finite values; non-finite values are excluded."""
    values = np.array([1.0, 1.1, 1.2, 5.0, np.nan])
    threshold = 1.0 + 2 * np.std([1.0, 1.1, 1.2, 5.0])
    assert threshold < 5.0
    np.testing.assert_array_equal(included_by(values, 2.0), [True, True, True, False, False])
    np.testing.assert_array_equal(included_by(np.array([2.0, 2.0]), 2.0), [True, True])
    np.testing.assert_array_equal(included_by(np.array([np.nan, np.inf]), 2.0), [False, False])


def test_stack_best_takes_each_replicate_from_its_own_snapshot(getkey):
    hps = tiny_hps()
    snapshots = [eqx.filter(make_ensemble(hps, getkey()), eqx.is_array) for _ in range(4)]
    like = make_ensemble(hps, getkey())
    best = stack_best(snapshots, np.array([2, 0, 3]), like)
    for r, i in enumerate([2, 0, 3]):
        for got, want in zip(leaves(replicate(best, r)), jax.tree.leaves(snapshots[i])):
            np.testing.assert_array_equal(np.asarray(got), np.asarray(want)[r])


def test_replicate_mapping_vmap_and_map_agree():
    """The CPU default (a compiled loop over replicates) and vmap compute the same gradients.

    Matrix products run at full float32 precision: on GPUs the default (TF32) rounds the two
    mappings' differently shaped products differently, which is not what this test is about.
    """
    import jax.random as jr

    from motorlab.sim import map_replicates
    from motorlab.train import make_replicate_loss

    hps = tiny_hps()
    ensemble = make_ensemble(hps, jr.PRNGKey(0))
    grad_fn = eqx.filter_value_and_grad(make_replicate_loss(hps), has_aux=True)
    keys = jr.split(jr.PRNGKey(1), 3)
    with jax.numpy_dtype_promotion("standard"), jax.default_matmul_precision("highest"):
        (lv, _), gv = eqx.filter_jit(lambda e, k: map_replicates(grad_fn, e, k, how="vmap"))(ensemble, keys)
        (lm, _), gm = eqx.filter_jit(lambda e, k: map_replicates(grad_fn, e, k, how="map"))(ensemble, keys)
    assert jnp.allclose(lv, lm, rtol=1e-5)
    for a, b in zip(jax.tree.leaves(gv), jax.tree.leaves(gm)):
        assert jnp.allclose(a, b, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="'vmap', 'map' or None, got 'pmap'"):
        map_replicates(grad_fn, ensemble, keys, how="pmap")


def test_rematerialised_rollout_gives_the_same_gradients_bit_for_bit():
    """The training loss rematerialises the rollout's scan body (`remat=True`); the loss and
    its gradients are those of the stored rollout, bit for bit, so speed does not move results."""
    import jax.random as jr
    from motorlab.sim import loss_terms, make_environment, make_loss_weights, simulate_trials
    from motorlab.train import sample_batch

    hps = tiny_hps()
    model = replicate(initial_ensemble(hps), 0)
    env, weights = make_environment(hps), make_loss_weights(hps)
    start, goal, fields, context = sample_batch(jr.PRNGKey(1), hps, 8)
    keys = jr.split(jr.PRNGKey(2), 8)

    def grads(remat):
        def loss(m):
            traj = simulate_trials(m, env, start, goal, fields, context, keys, remat=remat)
            return sum(loss_terms(traj.pos, traj.vel, traj.force, traj.hidden, goal, weights).values())
        return eqx.filter_jit(eqx.filter_value_and_grad(loss))(model)

    (v0, g0), (v1, g1) = grads(False), grads(True)
    assert np.asarray(v0).tobytes() == np.asarray(v1).tobytes()
    for a, b in zip(leaves(g0), leaves(g1)):
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()


def test_replicates_that_did_not_learn_are_excluded_with_their_reason(result):
    """Issue 15 item 1. Made-up histories that stay finite: replicate 0 learns, replicate 1 blows
    up (best iteration 0, untrained weights), replicate 2 wobbles around its initial loss."""
    total = np.full((N_BATCHES, N_REP), 3.0)
    total[1:, 0] = np.linspace(2.0, 0.5, N_BATCHES - 1)
    total[1:, 1] = np.geomspace(10.0, 5e17, N_BATCHES - 1)
    total[1:, 2] = 2.9
    _, info = select_replicates(tiny_hps(), total, result.saved_iterations, result.snapshots,
                                result.ensemble, [None] * N_REP)
    assert info["included"] == [True, False, False]
    assert info["best_iteration"][1] == 0
    assert info["excluded_reason"][1].startswith("did not learn: its best iteration is 0")
    assert info["excluded_reason"][2].startswith("did not learn: best loss 2.9 is not below 0.95 x")
    assert info["included_by"]["best_total_loss"] == [True, False, False]


def test_no_replicate_learning_raises_naming_the_settings(result):
    from motorlab import TrainingDidNotLearn
    total = np.full((N_BATCHES, N_REP), 3.0)
    total[1:] = 6e3
    with pytest.raises(TrainingDidNotLearn, match=r"no replicate learned.*train\.learning_rate \(now 0\.05\)"
                       r".*pert\.std.*train\.n_batches \(now 30\)"):
        select_replicates(tiny_hps(), total, result.saved_iterations, result.snapshots,
                          result.ensemble, [None] * N_REP)


def test_a_run_that_blows_up_but_stays_finite_is_not_saved():
    """Learning rate 10: the loss rises but stays finite; training fails instead of saving
    untrained weights as a good model."""
    from motorlab import TrainingDidNotLearn
    hps = tiny_hps()
    hps["train"].update(learning_rate=10.0, n_batches=12)
    with pytest.raises(TrainingDidNotLearn, match="learning_rate"):
        train_ensemble(hps, progress=False)
