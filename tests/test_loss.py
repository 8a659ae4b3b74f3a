"""The training loss (SPEC §1.4) on hand-built trajectories with values worked out by hand."""

import jax.numpy as jnp
import numpy as np
import pytest

from motorlab import LossWeights, loss_terms, position_discount

# Two trials, three entries (t = 0, 1, 2), so K = 2 scored steps with discount (k/K)^6 = (1/64, 1).
# Entry t = 0 holds deliberately large values: it is the initial state and must not be scored.
POS = np.array([
    [[9.0, 9.0], [1.0, 0.0], [0.0, 2.0]],
    [[-9.0, 9.0], [0.0, 0.0], [1.0, 1.0]],
])
GOAL = np.array([[0.0, 0.0], [1.0, 0.0]])
VEL = np.array([
    [[7.0, 7.0], [5.0, 5.0], [3.0, 4.0]],
    [[7.0, -7.0], [5.0, -5.0], [0.0, 1.0]],
])
FORCE = np.array([
    [[8.0, 8.0], [1.0, 2.0], [2.0, 0.0]],
    [[8.0, -8.0], [0.0, 3.0], [1.0, 1.0]],
])
HIDDEN = np.array([  # hidden size 3
    [[6.0, 6.0, 6.0], [1.0, 0.0, 0.0], [1.0, 1.0, 1.0]],
    [[6.0, 6.0, 6.0], [2.0, 0.0, 0.0], [0.0, 0.0, 3.0]],
])

# By hand:
# position: trial 0: (1/64)·‖(1,0)‖² + 1·‖(0,2)‖² = 1/64 + 4;
#           trial 1: (1/64)·‖(−1,0)‖² + ‖(0,1)‖² = 1/64 + 1
#           mean = 1/64 + 2.5
# final velocity: trial 0: 9 + 16 = 25; trial 1: 0 + 1 = 1; mean = 13
# control: trial 0: (1 + 4) + (4 + 0) = 9; trial 1: (0 + 9) + (1 + 1) = 11; mean = 10
# hidden: trial 0: 1 + 3 = 4; trial 1: 4 + 9 = 13; mean = 8.5
BY_HAND = {"position": 1 / 64 + 2.5, "final_velocity": 13.0, "control": 10.0, "hidden": 8.5}
UNIT = LossWeights(position=1.0, final_velocity=1.0, control=1.0, hidden=1.0)


def terms_of(pos=POS, vel=VEL, force=FORCE, hidden=HIDDEN, goal=GOAL, weights=UNIT):
    f32 = lambda a: jnp.asarray(a, jnp.float32)  # noqa: E731
    out = loss_terms(f32(pos), f32(vel), f32(force), f32(hidden), f32(goal), weights)
    return {k: float(v) for k, v in out.items()}


def test_discount_is_k_over_K_to_the_sixth():
    np.testing.assert_allclose(np.asarray(position_discount(3, 6.0)), [1 / 64, 1.0], rtol=1e-6)
    d = np.asarray(position_discount(100, 6.0))
    assert d.shape == (99,)
    np.testing.assert_allclose(d, (np.arange(1, 100) / 99) ** 6, rtol=1e-5)
    assert d[-1] == 1.0 and np.all(np.diff(d) > 0)
    np.testing.assert_allclose(np.asarray(position_discount(5, 1.0)), [0.25, 0.5, 0.75, 1.0], rtol=1e-6)


def test_each_term_matches_the_hand_computed_value():
    terms = terms_of()
    assert set(terms) == set(BY_HAND)
    for name, value in BY_HAND.items():
        assert terms[name] == pytest.approx(value, rel=1e-6), name


def test_default_weights_are_the_spec_values():
    w = LossWeights()
    assert (w.position, w.final_velocity, w.control, w.hidden, w.discount_power) == (1.0, 1.0, 1e-5, 1e-5, 6.0)
    terms = terms_of(weights=w)
    for name, weight in (("position", 1.0), ("final_velocity", 1.0), ("control", 1e-5), ("hidden", 1e-5)):
        assert terms[name] == pytest.approx(weight * BY_HAND[name], rel=1e-6)


@pytest.mark.parametrize("name", ["position", "final_velocity", "control", "hidden"])
def test_weights_scale_their_own_term_only(name):
    weights = LossWeights(**{**{k: 1.0 for k in BY_HAND}, name: 3.5})
    terms = terms_of(weights=weights)
    for other, value in BY_HAND.items():
        factor = 3.5 if other == name else 1.0
        assert terms[other] == pytest.approx(factor * value, rel=1e-6)


def test_zero_weight_switches_a_term_off():
    terms = terms_of(weights=LossWeights(position=0.0, final_velocity=1.0, control=1.0, hidden=1.0))
    assert terms["position"] == 0.0


def test_discount_power_changes_only_the_position_term():
    weights = LossWeights(position=1.0, final_velocity=1.0, control=1.0, hidden=1.0, discount_power=1.0)
    terms = terms_of(weights=weights)
    # discount (1/2, 1): trial 0: 1/2 + 4, trial 1: 1/2 + 1.
    assert terms["position"] == pytest.approx(0.5 + 2.5, rel=1e-6)
    assert terms["control"] == pytest.approx(BY_HAND["control"], rel=1e-6)


def test_entry_zero_is_not_scored():
    changed = [a.copy() for a in (POS, VEL, FORCE, HIDDEN)]
    for a in changed:
        a[:, 0] = -123.0
    assert terms_of(*changed) == pytest.approx(terms_of())


def test_final_velocity_uses_only_the_last_step():
    vel = VEL.copy()
    vel[:, 1] = 100.0
    assert terms_of(vel=vel)["final_velocity"] == pytest.approx(BY_HAND["final_velocity"], rel=1e-6)


def test_terms_are_batch_means():
    """Repeating the batch leaves every term unchanged; a single trial gives that trial's sum."""
    twice = [np.concatenate([a, a]) for a in (POS, VEL, FORCE, HIDDEN, GOAL)]
    doubled = terms_of(*twice)
    assert doubled == pytest.approx(terms_of())
    single = terms_of(POS[:1], VEL[:1], FORCE[:1], HIDDEN[:1], GOAL[:1])
    assert single == pytest.approx(
        {"position": 1 / 64 + 4, "final_velocity": 25.0, "control": 9.0, "hidden": 4.0})


def test_position_error_is_measured_to_the_goal():
    pos = np.broadcast_to(GOAL[:, None], POS.shape).copy()
    pos[:, 0] = 5.0
    assert terms_of(pos=pos)["position"] == 0.0
