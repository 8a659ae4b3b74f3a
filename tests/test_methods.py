"""Field samplers and part-2 context methods against their definitions (SPEC §1.6, §1.8).

Statistical checks use fixed keys, large samples and tolerances of 4 standard errors; distribution
shapes are checked with Kolmogorov–Smirnov tests (p > 0.001).
"""

import re

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from motorlab import METHODS, ConstantField, CurlField, evaluation_fields, sample_context_trials, training_fields

N = 20_000
KS_ALPHA = 1e-3


def np64(x):
    return np.asarray(x, np.float64)


def unscaled_magnitude(fields, field_type: str, std: float):
    """Signed curl amplitude / σ, or the constant field's length / σ (unsigned)."""
    if field_type == "curl":
        assert isinstance(fields, CurlField)
        return np64(fields.amplitude) / std
    assert isinstance(fields, ConstantField)
    return np.linalg.norm(np64(fields.force), axis=-1) / std


def assert_mean(x, mean, sd):
    assert abs(np.mean(x) - mean) < 4 * sd / np.sqrt(len(x)), (np.mean(x), mean)


def assert_std(x, sd):
    assert abs(np.std(x) - sd) < 4 * sd / np.sqrt(2 * len(x)), (np.std(x), sd)


def assert_ks(x, dist):
    p = scipy.stats.kstest(x, dist.cdf).pvalue
    assert p > KS_ALPHA, p


# ---- training fields (part 1) -------------------------------------------------------------------

@pytest.mark.parametrize("std", [0.5, 1.5])
def test_training_curl_amplitude_is_sigma_times_standard_normal(std, getkey):
    fields, z = training_fields(getkey(), "curl", std, N)
    amp = np64(fields.amplitude)
    assert amp.shape == (N,) and fields.amplitude.dtype == jnp.float32
    assert_mean(amp, 0.0, std)
    assert_std(amp, std)
    assert_ks(amp / std, scipy.stats.norm())
    np.testing.assert_allclose(amp, std * np64(z), rtol=1e-6)


@pytest.mark.parametrize("std", [0.1, 1.0])
def test_training_constant_field_angle_uniform_and_signed_length_gaussian(std, getkey):
    fields, lam = training_fields(getkey(), "constant", std, N)
    force, lam = np64(fields.force), np64(lam)
    assert force.shape == (N, 2)
    # force = σ·λ·(cos θ, sin θ): dividing by σλ leaves a unit vector whose angle is θ.
    unit = force / (std * lam[:, None])
    np.testing.assert_allclose(np.linalg.norm(unit, axis=-1), 1.0, rtol=1e-5)
    theta = np.arctan2(unit[:, 1], unit[:, 0])
    assert_ks(theta, scipy.stats.uniform(loc=-np.pi, scale=2 * np.pi))
    # The signed length λ ~ N(0, 1) (both signs), so σλ has std σ.
    assert_ks(lam, scipy.stats.norm())
    assert 0.45 < np.mean(lam > 0) < 0.55
    assert_std(std * lam, std)
    # Each force component then has mean 0 and std σ/√2; the direction of the force is uniform too.
    for c in range(2):
        assert_mean(force[:, c], 0.0, std / np.sqrt(2))
        assert_std(force[:, c], std / np.sqrt(2))
    assert_ks(np.arctan2(force[:, 1], force[:, 0]), scipy.stats.uniform(loc=-np.pi, scale=2 * np.pi))


@pytest.mark.parametrize("field_type", ["curl", "constant"])
def test_training_scale_multiplies_the_field(field_type, getkey):
    key = getkey()
    scale = jnp.linspace(0.0, 2.0, 50)
    plain, z0 = training_fields(key, field_type, 0.5, 50)
    scaled, z1 = training_fields(key, field_type, 0.5, 50, scale=scale)
    np.testing.assert_array_equal(np64(z0), np64(z1))
    attr = "amplitude" if field_type == "curl" else "force"
    a, b = np64(getattr(plain, attr)), np64(getattr(scaled, attr))
    s = np64(scale) if field_type == "curl" else np64(scale)[:, None]
    np.testing.assert_allclose(b, s * a, rtol=1e-6, atol=1e-7)


def test_zero_std_gives_zero_fields(getkey):
    curl, _ = training_fields(getkey(), "curl", 0.0, 100)
    const, _ = training_fields(getkey(), "constant", 0.0, 100)
    assert np.all(np64(curl.amplitude) == 0) and np.all(np64(const.force) == 0)


def test_unknown_field_type_is_named(getkey):
    with pytest.raises(ValueError, match="'spring'"):
        training_fields(getkey(), "spring", 1.0, 4)
    with pytest.raises(ValueError, match="'spring'"):
        evaluation_fields("spring", jnp.zeros(2), jnp.zeros(2))


# ---- evaluation fields --------------------------------------------------------------------------

def test_positive_curl_pushes_left_of_the_motion():
    state = jnp.array([0.0, 0.0, 1.0, 0.0])  # moving along +x
    np.testing.assert_array_equal(np.asarray(CurlField(amplitude=jnp.asarray(2.0))(state)), [0.0, 2.0])


def test_evaluation_curl_has_the_given_amplitude_for_every_trial():
    amp = jnp.array([0.0, 0.5, 4.0])
    fields = evaluation_fields("curl", amp, jnp.array([0.0, 1.0, 2.0]))
    np.testing.assert_array_equal(np.asarray(fields.amplitude), np.asarray(amp))


def test_evaluation_constant_field_points_orthogonally_left_of_the_reach():
    angles = jnp.asarray(2 * np.pi * np.arange(24) / 24, jnp.float32)
    amp = jnp.full(24, 0.4)
    force = np64(evaluation_fields("constant", amp, angles).force)
    d = np.stack([np.cos(np64(angles)), np.sin(np64(angles))], axis=-1)
    np.testing.assert_allclose(np.sum(force * d, axis=-1), 0.0, atol=1e-6)  # orthogonal
    cross = d[:, 0] * force[:, 1] - d[:, 1] * force[:, 0]  # d × f > 0: left
    np.testing.assert_allclose(cross, 0.4, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(force, axis=-1), 0.4, rtol=1e-6)
    np.testing.assert_allclose(force[0], [0.0, 0.4], atol=1e-7)  # reach along +x: force along +y


# ---- part-2 methods -----------------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.25, 0.5])
@pytest.mark.parametrize("field_type", ["curl", "constant"])
def test_bcs_perturbs_a_fraction_p_and_sisu_flags_it(p, field_type, getkey):
    std = 0.5
    fields, sisu = sample_context_trials(getkey(), "bcs", field_type, std, N, p_perturbed=p)
    sisu = np64(sisu)
    assert set(np.unique(sisu)) <= {0.0, 1.0}
    assert abs(sisu.mean() - p) < 4 * np.sqrt(p * (1 - p) / N)
    mag = unscaled_magnitude(fields, field_type, std)
    on = sisu == 1.0
    # Unperturbed trials have exactly no field; the SISU is the perturbed indicator.
    assert np.all(mag[~on] == 0)
    np.testing.assert_array_equal(mag != 0, on)
    if field_type == "curl":
        assert_ks(mag[on], scipy.stats.norm())
    else:
        assert_ks(mag[on], scipy.stats.halfnorm())


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_bcs_extreme_probabilities(p, getkey):
    fields, sisu = sample_context_trials(getkey(), "bcs", "curl", 1.0, 500, p_perturbed=p)
    assert np.all(np64(sisu) == p)
    assert np.all((np64(fields.amplitude) != 0) == bool(p))


@pytest.mark.parametrize("std", [0.5, 2.0])  # powers of two: σ·z / σ is exact in float32
def test_dai_curl_sisu_is_exactly_abs_field_over_sigma(std, getkey):
    fields, sisu = sample_context_trials(getkey(), "dai", "curl", std, N)
    amp, sisu = np.asarray(fields.amplitude), np.asarray(sisu)
    np.testing.assert_array_equal(np.abs(amp) / np.float32(std), sisu)
    assert_ks(np64(sisu), scipy.stats.halfnorm())
    assert np.all(amp != 0)  # always perturbed


def test_dai_curl_with_any_sigma_up_to_float32_rounding(getkey):
    std = 0.3
    fields, sisu = sample_context_trials(getkey(), "dai", "curl", std, N)
    np.testing.assert_allclose(np.abs(np64(fields.amplitude)) / std, np64(sisu), rtol=2e-7)


@pytest.mark.parametrize("std", [0.04, 0.5])
def test_dai_constant_sisu_is_force_length_over_sigma(std, getkey):
    fields, sisu = sample_context_trials(getkey(), "dai", "constant", std, N)
    np.testing.assert_allclose(unscaled_magnitude(fields, "constant", std), np64(sisu), rtol=1e-6)
    assert_ks(np64(sisu), scipy.stats.halfnorm())
    # The unscaled magnitude is not multiplied by σ.
    assert_mean(np64(sisu), np.sqrt(2 / np.pi), np.sqrt(1 - 2 / np.pi))


@pytest.mark.parametrize("field_type", ["curl", "constant"])
def test_pai_asf_sisu_is_uniform_and_scales_a_standard_normal_field(field_type, getkey):
    std = 0.5
    fields, sisu = sample_context_trials(getkey(), "pai-asf", field_type, std, N)
    s = np64(sisu)
    assert np.all((s >= 0) & (s < 1))
    assert abs(s.mean() - 0.5) < 4 * np.sqrt(1 / 12 / N)
    # Var of (X − ½)² for X ~ U(0, 1) is 1/80 − 1/144 = 1/180.
    assert abs(s.var() - 1 / 12) < 4 * np.sqrt(1 / 180 / N)
    assert_ks(s, scipy.stats.uniform())
    # field / σ = SISU · z: dividing out the SISU leaves z ~ N(0, 1) (|z| for constant fields),
    # independent of the SISU.
    z = unscaled_magnitude(fields, field_type, std) / s
    assert_ks(z, scipy.stats.norm() if field_type == "curl" else scipy.stats.halfnorm())
    assert abs(np.corrcoef(s, np.abs(z))[0, 1]) < 4 / np.sqrt(N)


@pytest.mark.parametrize("noise", [0.1, 0.5])
@pytest.mark.parametrize("field_type", ["curl", "constant"])
def test_pai_n_sisu_is_abs_z_plus_gaussian_noise(noise, field_type, getkey):
    std = 0.5
    fields, sisu = sample_context_trials(getkey(), "pai-n", field_type, std, N, sisu_noise_std=noise)
    abs_z = np.abs(unscaled_magnitude(fields, field_type, std))
    err = np64(sisu) - abs_z
    assert_mean(err, 0.0, noise)
    assert_std(err, noise)
    assert_ks(err, scipy.stats.norm(scale=noise))
    assert abs(np.corrcoef(abs_z, err)[0, 1]) < 4 / np.sqrt(N)
    assert_ks(abs_z, scipy.stats.halfnorm())


def test_pai_n_with_zero_noise_is_dai(getkey):
    key = getkey()
    f_dai, s_dai = sample_context_trials(key, "dai", "curl", 1.0, 100)
    f_pain, s_pain = sample_context_trials(key, "pai-n", "curl", 1.0, 100, sisu_noise_std=0.0)
    np.testing.assert_array_equal(np.asarray(f_dai.amplitude), np.asarray(f_pain.amplitude))
    np.testing.assert_array_equal(np.asarray(s_dai), np.asarray(s_pain))


@pytest.mark.parametrize("method", METHODS)
def test_methods_return_one_float32_sisu_per_trial(method, getkey):
    fields, sisu = sample_context_trials(getkey(), method, "constant", 0.1, 7)
    assert sisu.shape == (7,) and sisu.dtype == jnp.float32
    assert fields.force.shape == (7, 2)


def test_methods_are_deterministic_given_the_key(getkey):
    key = getkey()
    a = sample_context_trials(key, "pai-asf", "curl", 1.0, 10)
    b = sample_context_trials(key, "pai-asf", "curl", 1.0, 10)
    np.testing.assert_array_equal(np.asarray(a[1]), np.asarray(b[1]))
    np.testing.assert_array_equal(np.asarray(a[0].amplitude), np.asarray(b[0].amplitude))


def test_invalid_method_arguments_name_the_value(getkey):
    with pytest.raises(ValueError, match=re.escape("'asf'")):
        sample_context_trials(getkey(), "asf", "curl", 1.0, 4)
    with pytest.raises(ValueError, match=re.escape("1.5")):
        sample_context_trials(getkey(), "bcs", "curl", 1.0, 4, p_perturbed=1.5)
