"""Frequency response (SPEC §2.4): gain and phase against known transfer functions, the table of a
tiny evaluation, replicate pooling and the Bode figure set."""

import jax.random as jr
import numpy as np
import pandas as pd
import pytest

from motorlab import make_ensemble
from motorlab.analysis.freq_response import frequency_response, frequency_response_table
from motorlab.config import train_defaults
from motorlab.figures import bode_figure_set, pool_replicates
from motorlab.sim import make_keys

DT = 0.05


def wrap(angle):
    return np.angle(np.exp(1j * angle))


@pytest.mark.parametrize("delay", [1, 3])
def test_pure_delay_has_unit_gain_and_linear_phase(delay, getkey):
    """y[k] = x[k − d] (circular): H(f) = exp(−i 2π f d dt), so |H| = 1, angle = −ω d dt."""
    x = np.asarray(jr.normal(getkey(), (4, 256, 2)))
    y = np.roll(x, delay, axis=-2)
    freqs, gain, phase = frequency_response(x, y, DT)
    freqs = np.asarray(freqs)
    assert freqs.shape == (127,) and np.all(freqs > 0)
    np.testing.assert_allclose(freqs[:2], [1 / (256 * DT), 2 / (256 * DT)], rtol=1e-5)
    np.testing.assert_allclose(gain, 1.0, atol=1e-3)
    expected = wrap(-2 * np.pi * freqs * delay * DT)[None, :, None]
    np.testing.assert_allclose(wrap(np.asarray(phase) - expected), 0.0, atol=1e-3)


def test_static_gain_and_sign(getkey):
    x = np.asarray(jr.normal(getkey(), (64, 1)))
    _, gain, phase = frequency_response(x, -2.5 * x, DT)
    np.testing.assert_allclose(gain, 2.5, rtol=1e-4)
    np.testing.assert_allclose(np.abs(phase), np.pi, atol=1e-4)


@pytest.mark.no_shape_check(reason="checks the library's own ValueError for a value its annotation already excludes")
def test_bad_arguments():
    with pytest.raises(ValueError, match="equal shapes"):
        frequency_response(np.zeros((10, 2)), np.zeros((9, 2)), DT)
    with pytest.raises(ValueError, match="dt="):
        frequency_response(np.zeros((10, 2)), np.zeros((10, 2)), 0.0)


def test_pooling_replicates_equals_pooling_trials():
    rng = np.random.default_rng(0)
    a, b = rng.normal(1, 2, 30), rng.normal(3, 1, 50)
    table = pd.DataFrame({"g": [0, 0], "n_trials": [30, 50], "gain_mean": [a.mean(), b.mean()],
                          "gain_std": [a.std(), b.std()]})
    pooled = pool_replicates(table, "gain", ["g"])
    both = np.concatenate([a, b])
    assert pooled["mean"].item() == pytest.approx(both.mean())
    assert pooled["std"].item() == pytest.approx(both.std())


def test_tiny_evaluation_table_and_figures():
    hps = train_defaults()
    hps["model"].update(hidden_size=8, n_replicates=2)
    ens = make_ensemble(hps, make_keys(0)[0])
    table = frequency_response_table(ens, hps, seed=2, eval_n=2, grid_n=2, n_steps=31)
    n_freq = 14  # positive frequencies of fftfreq(30): 1 … 14 (numpy files the Nyquist bin as negative)
    assert len(table) == 2 * 2 * 2 * n_freq
    assert table["n_trials"].eq(2 * 4).all()
    stats = [c for c in table.columns if c.endswith(("_mean", "_std"))]
    assert np.isfinite(table[stats].to_numpy()).all()
    assert (table["gain_mean"] > 0).all() and (table["phase_mean"].abs() <= np.pi).all()
    np.testing.assert_allclose(np.sort(table["frequency"].unique()),
                               np.arange(1, n_freq + 1) / (30 * hps["plant"]["dt"]))
    with pytest.raises(ValueError, match="noise_std"):
        frequency_response_table(ens, hps, seed=2, noise_std=0.0)
    tagged = pd.concat([table.assign(train_std=s) for s in (0.0, 0.5)], ignore_index=True)
    figs = bode_figure_set(tagged)
    assert len(figs) == 8
    assert {n.split("__")[0] for n in figs} == {"bode_gain/closed_loop_ss", "bode_phase/closed_loop_ss"}
    gain = figs["bode_gain/closed_loop_ss__pert_var-pos__axis-x"]
    assert gain.layout.yaxis.title.text == "Gain (dB)" and gain.layout.xaxis.type == "log"
    assert len(gain.data) == 4  # band + mean per train std
