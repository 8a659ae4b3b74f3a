"""The SPEC §1.5 training options: each acts when and where it should, in the solo loop and in the
bucket step; each is validated; and an option moves only the identities that use it."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from motorlab import make_ensemble, make_keys, train_ensemble
from motorlab.config import ConfigError, load_study, train_defaults
from motorlab.figures import loss_history
from motorlab.train import Checkpoint, TrainSpec, make_train_step, train_bucket
from motorlab.train._options import StepPolicy, make_optimizer, reset_moments, scaleup_factor
from motorlab.train._spec import OPTION_KEYS, SpecError
from motorlab.train._validation import make_validation_loss

N_REP, BASE, MAIN = 2, 3, 7  # baseline iterations, main iterations: 10 in all


def tiny(std=0.0, **options):
    hps = train_defaults()
    hps["plant"]["n_steps"] = 20
    hps["pert"].update(type="curl", std=std)
    hps["model"].update(hidden_size=8, n_replicates=N_REP)
    hps["train"].update(batch_size=8, n_batches=BASE + MAIN, validation_eval_n=1, learning_rate=0.05)
    hps["train"].update(options)
    return hps


# A: baseline 3, then the σ ramps up over 4 main iterations; the readout is frozen from iteration
# 6; the validation loss is recorded every 3 iterations.
A_OPTIONS = dict(n_batches=MAIN, n_batches_baseline=BASE, n_scaleup_batches=4, where={6: ["cell"]},
                 validation_loss_every=3)


@pytest.fixture(scope="module")
def plain():
    """σ = 0, no options, 10 iterations."""
    return train_ensemble(tiny(0.0), progress=False)


@pytest.fixture(scope="module")
def run_a():
    return train_ensemble(tiny(1.0, **A_OPTIONS), progress=False)


def leaves(tree):
    return [np.asarray(a) for a in jax.tree.leaves(eqx.filter(tree, eqx.is_array))]


# --- the policy ------------------------------------------------------------------------------

def test_the_scaleup_ramp_is_half_one_minus_cosine():
    np.testing.assert_allclose([float(scaleup_factor(p)) for p in (0.0, 0.25, 0.5, 1.0, 2.0)],
                               [0.0, 0.5 * (1 - np.cos(np.pi / 4)), 0.5, 1.0, 1.0], atol=1e-7)
    policy = StepPolicy(TrainSpec.from_hps(tiny(1.0, n_batches=10, n_batches_baseline=3, n_scaleup_batches=4)))
    scale = [float(policy.field_scale(jnp.asarray(i, jnp.int32))) for i in range(13)]
    # baseline 0, 1, 2: σ = 0; main iteration 3 + k: progress k/4
    np.testing.assert_allclose(scale[:3], 0.0)
    np.testing.assert_allclose(scale[3:8], [0.0, 0.5 * (1 - np.cos(np.pi / 4)), 0.5,
                                            0.5 * (1 + np.cos(np.pi / 4)), 1.0], atol=1e-6)
    np.testing.assert_allclose(scale[8:], 1.0)
    off = StepPolicy(TrainSpec.from_hps(tiny(1.0)))
    assert off.field_scale(jnp.asarray(0)) is None and off.trainable(jnp.asarray(0)) is None
    assert off.reset_now(jnp.asarray(0)) is None


def test_the_trainable_set_follows_the_schedule():
    policy = StepPolicy(TrainSpec.from_hps(tiny(where={"4": ["cell"], 7: ["readout", "cell"]})))
    flags = [{g: bool(v) for g, v in policy.trainable(jnp.asarray(i, jnp.int32)).items()} for i in (0, 3, 4, 6, 7, 9)]
    assert [f["readout"] for f in flags] == [True, True, False, False, True, True]
    assert all(f["cell"] for f in flags)


def test_a_reset_zeroes_adams_moments_and_keeps_the_schedule_position():
    params = {"cell": jnp.ones(3), "readout": jnp.ones(2)}
    opt = make_optimizer(TrainSpec.from_hps(tiny()))
    state = opt.init(params)
    with jax.numpy_dtype_promotion("standard"):  # optax's Adam is not strict-promotion clean
        for _ in range(3):
            _, state = opt.update(jax.tree.map(lambda p: 0.5 * p, params), state, params)
    adam = state[0]
    assert int(adam.count) == 3 and float(jnp.abs(adam.mu["cell"]).sum()) > 0
    kept = reset_moments(state, jnp.asarray(False))
    assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(kept), jax.tree.leaves(state)))
    reset = reset_moments(state, jnp.asarray(True))
    assert int(reset[0].count) == 0
    assert all(float(jnp.abs(x).sum()) == 0 for x in jax.tree.leaves((reset[0].mu, reset[0].nu)))
    assert reset[1:] == state[1:]  # the learning-rate schedule's own count is not Adam's


def test_a_reset_in_the_step_restarts_adam_at_that_iteration_only():
    """The step at a reset iteration gives the same result from a used optimiser state as from
    a fresh one; at another iteration it does not."""
    spec = TrainSpec.from_hps(tiny(optimizer_reset_iterations=[5]))
    optimizer = make_optimizer(spec)
    step = make_train_step(spec, optimizer)
    key_init, key_train, _ = make_keys(spec.model.seed)
    ens = make_ensemble(spec.model, key_init)
    params = eqx.filter(ens, eqx.is_inexact_array)
    fresh = optimizer.init(params)
    used = jax.tree.map(lambda a: a + 0.01 if a.dtype == jnp.float32 else a + 4, fresh)
    copy_ = lambda t: jax.tree.map(lambda a: jnp.array(a, copy=True) if eqx.is_array(a) else a, t)  # noqa: E731
    alive = jnp.ones(N_REP, bool)
    out = {}
    for name, state in (("fresh", fresh), ("used", used)):
        for it in (5, 6):
            e, s, *_ = step.fn(copy_(ens), copy_(state), alive, key_train, jnp.asarray(it, jnp.int32))
            out[name, it] = leaves(e) + [np.asarray(x) for x in jax.tree.leaves(s[0])]
    assert all(np.array_equal(a, b) for a, b in zip(out["fresh", 5], out["used", 5]))
    assert not all(np.array_equal(a, b) for a, b in zip(out["fresh", 6], out["used", 6]))
    assert step.n_traces == 1


# --- the options in training ------------------------------------------------------------------

def test_baseline_iterations_train_without_fields(plain, run_a):
    """A's first 3 (baseline) iterations and the first main one (ramp at 0) see σ = 0: the same
    losses as the σ = 0 run; from the next one on the field acts."""
    np.testing.assert_allclose(run_a.history["total"][:4], plain.history["total"][:4], rtol=1e-5)
    assert not np.allclose(run_a.history["total"][4:], plain.history["total"][4:], rtol=1e-3)
    assert run_a.history["total"].shape == (BASE + MAIN, N_REP)
    assert all(b >= BASE + 4 for b in run_a.info["best_iteration"])  # chosen at the full σ only


def test_the_optimiser_state_carries_over_from_the_baseline(plain):
    """With σ = 0 a baseline is just more training: 3 + 7 iterations equal 10 plain ones (a
    fresh optimiser at the switch would not)."""
    with_baseline = train_ensemble(tiny(0.0, n_batches=MAIN, n_batches_baseline=BASE), progress=False)
    for k in plain.history:
        np.testing.assert_allclose(with_baseline.history[k], plain.history[k], rtol=1e-5)
    for a, b in zip(leaves(with_baseline.snapshots[-1]), leaves(plain.snapshots[-1])):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_a_frozen_readout_stops_changing_while_the_cell_trains(run_a):
    snaps = run_a.snapshots
    assert run_a.saved_iterations == list(range(BASE + MAIN))
    readout = [np.asarray(s.readout.weight) for s in snaps]
    cell = [np.asarray(s.cell.weight_hh) for s in snaps]
    assert not np.array_equal(readout[5], readout[6])  # the step at 5 still trains it
    for i in range(7, BASE + MAIN):  # snapshot i: after the steps 0 … i − 1
        assert np.array_equal(readout[i], readout[6])
        assert np.array_equal(np.asarray(snaps[i].readout.bias), np.asarray(snaps[6].readout.bias))
        assert not np.array_equal(cell[i], cell[i - 1])


def test_weight_decay_shrinks_the_weights_as_adamw(plain):
    wd, lr = 0.5, 0.05
    decayed = train_ensemble(tiny(0.0, weight_decay=wd), progress=False)
    p0, adam1, adamw1 = (leaves(s) for s in (plain.snapshots[0], plain.snapshots[1], decayed.snapshots[1]))
    for a, b, p in zip(adamw1, adam1, p0):  # one step: the Adam step minus lr·wd·p
        np.testing.assert_allclose(a, b - lr * wd * p, rtol=1e-5, atol=1e-6)
    norm = lambda s: np.sqrt(sum(float(np.sum(x ** 2)) for x in leaves(s)))  # noqa: E731
    assert norm(decayed.snapshots[-1]) < 0.9 * norm(plain.snapshots[-1])


def test_the_validation_loss_is_recorded_every_log_step(plain, run_a, tmp_path):
    v = run_a.validation
    np.testing.assert_array_equal(v["iterations"], [0, 3, 6, 9])
    assert set(v) == {"iterations", "total", "position", "final_velocity", "control", "hidden"}
    assert v["total"].shape == (4, N_REP) and np.all(np.isfinite(v["total"]))
    key_init, _, _ = make_keys(5678)
    initial = make_validation_loss(TrainSpec.from_hps(tiny()))(make_ensemble(tiny(), key_init))
    np.testing.assert_allclose(v["total"][0], np.asarray(initial["total"]), rtol=1e-5)
    assert v["total"][-1].mean() < v["total"][0].mean()
    # kept in the history file and drawn in the loss figure
    from motorlab.figures._registry import loss_figures
    from motorlab.figures._training import member_validation
    from motorlab.stages._pipeline import _write_history
    path = tmp_path / "m_history.npz"
    _write_history(path, run_a)
    read = member_validation({"history_path": str(path)})
    np.testing.assert_array_equal(read["total"], v["total"])
    fig = loss_history(run_a.history, run_a.info["best_iteration"], run_a.info["included"], validation=read)
    drawn = [t for t in fig.data if "validation" in (t.name or "")]
    assert len(drawn) == N_REP and list(drawn[0].x) == [0, 3, 6, 9]
    assert not [t for t in loss_history(run_a.history, [0, 0], [True, True]).data if "validation" in (t.name or "")]
    member = {"history_path": str(path), "hps": tiny(1.0), "replicates": run_a.info}
    (fig,) = loss_figures([member], ["pert.std"]).values()  # the figure set reads it from the file
    assert len([t for t in fig.data if "validation" in (t.name or "")]) == N_REP
    assert plain.validation == {}


class _KeptCheckpoint(Checkpoint):
    def remove(self) -> None:  # keep the last checkpoint, to resume from it
        pass


def test_a_resumed_run_keeps_the_validation_losses_recorded_before_its_checkpoint(run_a, tmp_path):
    path = tmp_path / "ckpt.npz"
    first = train_ensemble(tiny(1.0, **A_OPTIONS), progress=False,
                           checkpoint=_KeptCheckpoint(path, "a", every_iterations=4))
    messages = []
    resumed = train_ensemble(tiny(1.0, **A_OPTIONS), progress=False,
                             checkpoint=Checkpoint(path, "a", every_iterations=4, log=messages.append))
    assert any("resumed from iteration 8" in m for m in messages), messages
    for got in (first, resumed):
        assert set(got.validation) == set(run_a.validation)
        for k, v in run_a.validation.items():
            np.testing.assert_array_equal(got.validation[k], v)
        np.testing.assert_array_equal(got.history["total"], run_a.history["total"])


def test_a_bucket_applies_the_options_as_the_solo_loop_does(run_a):
    got = train_bucket([tiny(1.0, **A_OPTIONS), tiny(0.5, **A_OPTIONS)])[0]
    np.testing.assert_allclose(got.history["total"], run_a.history["total"], rtol=2e-4)
    np.testing.assert_allclose(got.validation["total"], run_a.validation["total"], rtol=2e-4)
    np.testing.assert_array_equal(got.validation["iterations"], run_a.validation["iterations"])
    readout = [np.asarray(s.readout.weight) for s in got.snapshots]
    assert all(np.array_equal(readout[i], readout[6]) for i in range(7, BASE + MAIN))
    assert got.info["best_iteration"] == run_a.info["best_iteration"]


# --- configuration: validation and identity ---------------------------------------------------

def _ids(**train):
    block = {"plant.n_steps": 20, "model": {"hidden_size": 8}, "train": {"n_batches": 3000, **train}}
    return sorted(load_study({"part1": {"train": block, "analyses": {}}}).models("part1"))


ON = {"where": {1000: ["cell"]}, "n_batches_baseline": 1000, "n_scaleup_batches": 1000,
      "optimizer_reset_iterations": [500], "weight_decay": 1e-4, "validation_loss_every": 500}


def test_every_option_is_in_the_defaults_and_off():
    t = train_defaults()["train"]
    assert set(OPTION_KEYS) == set(ON) and set(OPTION_KEYS) <= set(t)
    assert TrainSpec.from_hps(tiny()) == TrainSpec.from_hps(
        {**tiny(), "train": {k: v for k, v in tiny()["train"].items() if k not in OPTION_KEYS}})


def test_turning_an_option_on_changes_only_that_models_id():
    off = _ids()
    seen = set(off)
    for key, value in ON.items():
        on = _ids(**{key: value})
        assert on != off, key
        assert not seen & set(on), key  # and differs from every other option's id
        seen |= set(on)


@pytest.mark.parametrize("key, spellings", [
    ("where", [None, {}, {0: ["cell", "readout"]}, {"0": ["readout", "cell", "cell"]}]),
    ("optimizer_reset_iterations", [None, []]),
    ("weight_decay", [0, 0.0, "0e0"]),
    ("n_batches_baseline", [0, 0.0]),
    ("n_scaleup_batches", [0]),
    ("validation_loss_every", [0]),
])
def test_every_spelling_of_off_is_the_id_without_the_option(key, spellings):
    off = _ids()
    for value in spellings:
        assert _ids(**{key: value}) == off, (key, value)


def test_spellings_of_one_schedule_are_one_id():
    assert _ids(where={1000: ["cell"]}) == _ids(where={"1000": ["cell", "cell"], 0: ["readout", "cell"]})
    assert _ids(optimizer_reset_iterations=[1500, 500]) == _ids(optimizer_reset_iterations=[500, 1500, 500])


def test_a_spread_over_schedules_is_an_axis():
    block = {"plant.n_steps": 20, "train": {"n_batches": 3000, "where": [{1000: ["cell"]}, {2000: ["cell"]}, None]}}
    models = load_study({"part1": {"train": block, "analyses": {}}}).models("part1")
    assert [h["train"].get("where") for h in models.values()] == [{"1000": ["cell"]}, {"2000": ["cell"]}, None]


@pytest.mark.parametrize("train, message", [
    ({"where": {1000: ["readuot"]}}, r"train\.where\.1000: got \['readuot'\]; expected a non-empty list of parameter groups among cell, readout"),
    ({"where": {1000: []}}, r"train\.where\.1000: got \[\]; expected a non-empty list"),
    ({"where": {"x": ["cell"]}}, r"train\.where: got the iteration 'x'; expected iterations that are integers >= 0"),
    ({"where": {5000: ["cell"]}}, r"train\.where: got iteration 5000; expected iterations below train\.n_batches_baseline \+ train\.n_batches \(3000\)"),
    ({"where": "cell"}, r"train\.where: got 'cell'; expected a mapping of iterations"),
    ({"optimizer_reset_iterations": [0]}, r"optimizer_reset_iterations\[0\]: got 0; expected an integer >= 1"),
    ({"optimizer_reset_iterations": [3000]}, r"optimizer_reset_iterations: got 3000; expected iterations below"),
    ({"n_scaleup_batches": 3001}, r"n_scaleup_batches: got 3001; expected at most train\.n_batches \(3000\)"),
    ({"n_batches_baseline": -1}, r"n_batches_baseline: got -1; expected an integer >= 0"),
    ({"weight_decay": -0.1}, r"weight_decay: got -0\.1; expected a number >= 0"),
    ({"validation_loss_every": 2.5}, r"validation_loss_every: got 2\.5 \(float\); expected an integer >= 0"),
])
def test_bad_options_are_named_with_their_value_and_what_was_expected(train, message):
    with pytest.raises(ConfigError, match=message):
        _ids(**train)


def test_the_spec_rejects_bad_options_too():
    with pytest.raises(SpecError, match=r"train\.where\.10: got \['gru'\]"):
        TrainSpec.from_hps(tiny(where={10: ["gru"]}))
    with pytest.raises(SpecError, match="train.optimizer_reset_iterations: got 99"):
        TrainSpec.from_hps(tiny(optimizer_reset_iterations=[99]))
    with pytest.raises(SpecError, match="train.n_scaleup_batches: got 11"):
        TrainSpec.from_hps(tiny(n_scaleup_batches=11))


def test_adam_when_weight_decay_is_off():
    """Off, the optimiser is optax's Adam, so its state (and checkpoints) are as before."""
    spec = TrainSpec.from_hps(tiny())
    params = {"w": jnp.ones(2)}
    assert jax.tree.structure(make_optimizer(spec).init(params)) == jax.tree.structure(
        optax.adam(optax.constant_schedule(0.1)).init(params))


def test_labels_name_the_option_that_varies_with_its_off_value_for_the_others():
    block = {"plant.n_steps": 20, "train": {"n_batches": 3000}}
    study = load_study({"part1": {"train": [block, {**block, "train": {"n_batches": 3000, "weight_decay": 1e-4}}],
                                  "analyses": {}}})
    assert [study.describe_model(h) for h in study.models("part1").values()] == ["wd-0.0", "wd-0.0001"]


def test_models_with_other_options_go_to_other_buckets():
    """The bucket step applies one model's options to all: models that differ in one train apart."""
    from motorlab.train import buckets
    models = [tiny(0.0), tiny(0.0, weight_decay=0.1), tiny(1.0), tiny(0.0, where={5: ["cell"]}),
              tiny(0.5, validation_loss_every=3), tiny(0.0, n_batches=MAIN, n_batches_baseline=BASE)]
    assert buckets(models) == [[0, 2], [1], [3], [4], [5]]


def test_a_filter_on_a_schedule_matches_the_models_with_that_schedule():
    from motorlab.config import model_filter_matches
    block = {"plant.n_steps": 20, "train": {"n_batches": 3000, "where": [None, {1000: ["cell"]}, {2000: ["cell"]}]}}
    for wanted, n in (({1000: ["cell"]}, 1), ({"2000": ["cell"], 0: ["readout", "cell"]}, 1),
                      ([{1000: ["cell"]}, {2000: ["cell"]}], 2), (None, 3)):
        config = {"part1": {"train": block, "analyses": {"readout_norm": {"train": {"train": {"where": wanted}}}}}}
        study = load_study(config)
        assert len(study.evaluations("part1", "readout_norm")) == n, wanted
        assert sum(model_filter_matches({"train.where": wanted}, h) for h in study.models("part1").values()) == n
    with pytest.raises(ConfigError, match=r"readout_norm\.train\.train\.where\.1000: got \['x'\]"):
        load_study({"part1": {"train": block, "analyses": {"readout_norm": {"train": {"train.where": {1000: ["x"]}}}}}})
