"""Bad input, one clear error (issue 15): each bad config and each misused public call raises one
error that names the bad key or argument and what was expected. >= 60 cases."""

import jax
import jax.numpy as jnp
import pytest
import yaml

import motorlab as ml
from motorlab.analysis import EvalSpec
from motorlab.analysis.fixed_points import find_fixed_points
from motorlab.config import ConfigError, analysis_defaults, load_study, train_defaults
from motorlab.sim import ModelSpec
from motorlab.store import find_models, load_model, paths, query, write_sidecar
from motorlab.train import TrainSpec

# (train block of part1, the key the message must name, what it must say is expected)
BAD_TRAIN = [
    ({"seed": -1}, "part1.train.seed", "an integer >= 0 and <= 4294967295"),
    ({"seed": 2**32}, "part1.train.seed", "an integer >= 0 and <= 4294967295"),
    ({"seed": 1.5}, "part1.train.seed", "an integer >= 0"),
    ({"seed": "abc"}, "part1.train.seed", "an integer >= 0"),
    ({"part": 3}, "part1.train.part", "one of 1, 2"),
    ({"plant.dt": 0}, "part1.train.plant.dt", "a number > 0"),
    ({"plant.dt": -0.1}, "part1.train.plant.dt", "a number > 0"),
    ({"plant.n_steps": 1}, "part1.train.plant.n_steps", "an integer >= 2"),
    ({"plant.n_steps": 2.5}, "part1.train.plant.n_steps", "an integer >= 2"),
    ({"plant.mass": 0}, "part1.train.plant.mass", "a number > 0"),
    ({"plant.damping": -1}, "part1.train.plant.damping", "a number >= 0"),
    ({"plant.discretisation": "rk4"}, "part1.train.plant.discretisation", "one of 'euler', 'exact'"),
    ({"plant.workspace": [[1, 1], [-1, -1]]}, "part1.train.plant.workspace", "x_min < x_max and y_min < y_max"),
    ({"plant.workspace": [[-1, 1], [1, -1]]}, "part1.train.plant.workspace", "x_min < x_max and y_min < y_max"),
    ({"plant.workspace": [[0, 0]]}, "part1.train.plant.workspace", "a list of 2 lists of 2 numbers"),
    ({"model.kind": "lstm"}, "part1.train.model.kind", "one of 'gru', 'leaky_rnn'"),
    ({"model.hidden_size": 0}, "part1.train.model.hidden_size", "an integer >= 1"),
    ({"model.hidden_size": 3.5}, "part1.train.model.hidden_size", "an integer >= 1"),
    ({"model.n_replicates": 0}, "part1.train.model.n_replicates", "an integer >= 1"),
    ({"model.tau": 0}, "part1.train.model.tau", "a number > 0"),
    ({"model.kind": "leaky_rnn", "model.tau": 0.01}, "part1.train.model.tau", "at least plant.dt (0.05)"),
    ({"model.feedback_delay_steps": -1}, "part1.train.model.feedback_delay_steps", "an integer >= 0"),
    ({"model.feedback_noise_std": -0.1}, "part1.train.model.feedback_noise_std", "a number >= 0"),
    ({"model.motor_noise_std": -1}, "part1.train.model.motor_noise_std", "a number >= 0"),
    ({"model.motor_noise_additive_ratio": -1}, "part1.train.model.motor_noise_additive_ratio", "a number >= 0"),
    ({"pert.type": "viscous"}, "part1.train.pert.type", "one of 'curl', 'constant'"),
    ({"pert.std": -1}, "part1.train.pert.std", "a number >= 0"),
    ({"pert.std": [0.0, -1.0]}, "part1.train.pert.std", "a number >= 0"),
    ({"context.method": "xyz"}, "part1.train.context.method", "one of 'bcs', 'dai', 'pai-asf', 'pai-n'"),
    ({"context.p_perturbed": 1.5}, "part1.train.context.p_perturbed", "a number >= 0 and <= 1"),
    ({"context.sisu_noise_std": -1}, "part1.train.context.sisu_noise_std", "a number >= 0"),
    ({"loss.position": -1}, "part1.train.loss.position", "a number >= 0"),
    ({"loss.discount_power": -2}, "part1.train.loss.discount_power", "a number >= 0"),
    ({"loss.control": "big"}, "part1.train.loss.control", "a number >= 0"),
    ({"loss.readout_norm": -1}, "part1.train.loss.readout_norm", "a number >= 0"),
    ({"train.learning_rate": 0}, "part1.train.train.learning_rate", "a number > 0"),
    ({"train.learning_rate": -1e-3}, "part1.train.train.learning_rate", "a number > 0"),
    ({"train.batch_size": 0}, "part1.train.train.batch_size", "an integer >= 1"),
    ({"train.n_batches": 0}, "part1.train.train.n_batches", "an integer >= 1"),
    ({"train.constant_lr_iterations": -1}, "part1.train.train.constant_lr_iterations", "an integer >= 0"),
    ({"train.constant_lr_iterations": 50, "train.n_batches": 10}, "part1.train.train.constant_lr_iterations",
     "at most train.n_batches (10)"),
    ({"train.cosine_alpha": 2}, "part1.train.train.cosine_alpha", "a number >= 0 and <= 1"),
    ({"train.n_std_exclude": -1}, "part1.train.train.n_std_exclude", "a number >= 0"),
    ({"train.validation_eval_n": 0}, "part1.train.train.validation_eval_n", "an integer >= 1"),
    ({"model.hiden_size": 4}, "part1.train.model.hiden_size", "did you mean 'hidden_size'"),
    ({"pert.sdt": 1.0}, "part1.train.pert.sdt", "did you mean 'std'"),
    ({"trian.n_batches": 3}, "part1.train.trian", "did you mean 'train'"),
    ({"model.feedback_noise": 0.1}, "part1.train.model.feedback_noise", "did you mean 'feedback_noise_std'"),
    ({"zip": {"pert.std": [0, 1], "model.hidden_size": [4]}}, "part1.train.zip", "equal lengths"),
]

BAD_ANALYSES = [
    ({"plant_perts": {"eval_n": 0}}, "part1.analyses.plant_perts.eval_n", "an integer >= 1"),
    ({"plant_perts": {"tasks": {"full": {"grid_n": 0}}}}, "part1.analyses.plant_perts.tasks.full.grid_n",
     "an integer >= 1"),
    ({"plant_perts": {"tasks": {"full": {"n_directions": -1}}}},
     "part1.analyses.plant_perts.tasks.full.n_directions", "an integer >= 1"),
    ({"plant_perts": {"tasks": {"full": {"reach_length": -1}}}},
     "part1.analyses.plant_perts.tasks.full.reach_length", "a number >= 0"),
    ({"plant_perts": {"pert": {"amp": {"curl": []}}}}, "part1.analyses.plant_perts.pert.amp.curl",
     "a non-empty list of numbers"),
    ({"plant_perts": {"pert": {"type": "wind"}}}, "part1.analyses.plant_perts.pert.type",
     "one of 'curl', 'constant' or null"),
    ({"plant_perts": {"model": {"feedback_noise_std": -1}}},
     "part1.analyses.plant_perts.model.feedback_noise_std", "a number >= 0 or null"),
    ({"plant_perts": {"model": {"feedback_noise": 0.1}}}, "part1.analyses.plant_perts.model.feedback_noise",
     "did you mean 'feedback_noise_std'"),
    ({"plant_perts": {"evl_n": 2}}, "part1.analyses.plant_perts.evl_n", "did you mean 'eval_n'"),
    ({"nope": {}}, "part1.analyses.nope", "valid keys here: " + ", ".join(sorted(analysis_defaults()))),
    ({"fixed_points": {"grid_n": 0}}, "part1.analyses.fixed_points.grid_n", "an integer >= 1"),
    ({"fixed_points": {"n_pcs": 0}}, "part1.analyses.fixed_points.n_pcs", "an integer >= 1"),
    ({"plant_perts": {"sisu": "x"}}, "part1.analyses.plant_perts.sisu", "a non-empty list of numbers"),
]


@pytest.mark.parametrize("train, key, expected", BAD_TRAIN, ids=[str(c[0]) for c in BAD_TRAIN])
def test_bad_training_config(tmp_path, train, key, expected):
    _expect_config_error(tmp_path, {"part1": {"train": train}}, key, expected)


@pytest.mark.parametrize("analyses, key, expected", BAD_ANALYSES, ids=[str(c[0]) for c in BAD_ANALYSES])
def test_bad_analysis_config(tmp_path, analyses, key, expected):
    _expect_config_error(tmp_path, {"part1": {"analyses": analyses}}, key, expected)


def test_bad_top_level_keys(tmp_path):
    _expect_config_error(tmp_path, {"part3": {"train": {}}}, "part3", "did you mean 'part2'")
    _expect_config_error(tmp_path, {"part1": {"trian": {}}}, "part1.trian", "did you mean 'train'")


def _expect_config_error(tmp_path, config, key, expected):
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError) as info:
        load_study(path)
    message = str(info.value)
    assert f"{key}:" in message and expected in message, message


# --- API calls ---------------------------------------------------------------------------------

def _hps(**changes):
    hps = train_defaults()
    hps["model"].update(hidden_size=4, n_replicates=2)
    hps["plant"]["n_steps"] = 10
    for dotted, value in changes.items():
        *head, last = dotted.split("__")
        node = hps
        for k in head:
            node = node[k]
        node[last] = value
    return hps


EVAL = {"eval_n": 1, "seed": 0, "task": {"grid_n": 1, "n_directions": 2, "reach_length": 0.5},
        "pert": {"type": "curl", "amp": [0.0]}, "sisu": None}


def _ensemble():
    return ml.make_ensemble(_hps(), ml.make_keys(0)[0])


def _spec():
    return EvalSpec.from_hps(EVAL, _hps())


def _cell():
    return ml.replicate(_ensemble(), 0)


def _no_model_dir(tmp_path):
    return tmp_path / "no-such-results"


API = {
    "replicate index 5 of 2": (lambda tmp: ml.replicate(_ensemble(), 5), IndexError,
                               r"replicate index: got 5; expected an integer in \[0, 2\)"),
    "replicate index -1": (lambda tmp: ml.replicate(_ensemble(), -1), IndexError,
                           r"replicate index: got -1; expected an integer in \[0, 2\)"),
    "make_keys seed 2**32": (lambda tmp: ml.make_keys(2**32), ValueError,
                             r"seed: got 4294967296; expected an integer >= 0 and <= 4294967295"),
    "make_keys seed -1": (lambda tmp: ml.make_keys(-1), ValueError, r"seed: got -1; expected an integer >= 0"),
    "evaluate with a dict spec": (lambda tmp: ml.evaluate(_ensemble(), EVAL), TypeError,
                                  r"spec is a dict; expected an EvalSpec"),
    "evaluate a non-model": (lambda tmp: ml.evaluate("model.eqx", _spec()), TypeError,
                             r"model is a str; expected a replicate ensemble"),
    "evaluate included length": (lambda tmp: ml.evaluate(_ensemble(), _spec(), included=[True]), ValueError,
                                 r"`included` must have one entry per replicate \(2\)"),
    "evaluate keep typo": (lambda tmp: ml.evaluate(_ensemble(), _spec(), keep=("hiddens",)), ValueError,
                           r"keep=\['hiddens'\]: unknown \['hiddens'\]; expected a subset of \['hidden', 'inputs'\]"),
    "EvalSpec model key typo": (lambda tmp: EvalSpec.from_hps({**EVAL, "model": {"feedback_noise": 0.1}}, _hps()),
                                ValueError, r"unknown key 'model\.feedback_noise'; did you mean "
                                            r"'model\.feedback_noise_std'"),
    "EvalSpec eval_n 0": (lambda tmp: EvalSpec.from_hps({**EVAL, "eval_n": 0}, _hps()), ValueError,
                          r"key 'eval_n' = 0; expected an integer >= 1"),
    "EvalSpec eval_n -1": (lambda tmp: EvalSpec.from_hps({**EVAL, "eval_n": -1}, _hps()), ValueError,
                           r"key 'eval_n' = -1; expected an integer >= 1"),
    "EvalSpec missing task": (lambda tmp: EvalSpec.from_hps({k: v for k, v in EVAL.items() if k != "task"}, _hps()),
                              ValueError, r"missing key 'task'"),
    "EvalSpec unknown pert type": (lambda tmp: EvalSpec.from_hps({**EVAL, "pert": {"type": "wind", "amp": [0.0]}},
                                                                 _hps()), ValueError,
                                   r"'pert\.type' = 'wind'; expected one of curl, constant"),
    "EvalSpec empty amplitudes": (lambda tmp: EvalSpec.from_hps({**EVAL, "pert": {"type": "curl", "amp": []}},
                                                                _hps()), ValueError,
                                  r"'pert\.amp' = \[\]; expected a non-empty list of numbers"),
    "find_fixed_points empty batch": (lambda tmp: find_fixed_points(_cell(), jnp.zeros((0, 8)), key=jax.random.PRNGKey(0),
                                                                    n_box=2), ValueError,
                                      r"inputs: got an empty batch, shape \(0, 8\); expected at least one input"),
    "find_fixed_points ensemble": (lambda tmp: find_fixed_points(_ensemble(), jnp.zeros((1, 8)),
                                                                 key=jax.random.PRNGKey(0), n_box=2), ValueError,
                                   r"cell: got an ensemble of 2 replicates; expected one replicate"),
    "find_fixed_points input size": (lambda tmp: find_fixed_points(_cell(), jnp.zeros((1, 5)),
                                                                   key=jax.random.PRNGKey(0), n_box=2), ValueError,
                                     r"inputs have 5 features; the cell expects 8"),
    "find_fixed_points max_steps": (lambda tmp: find_fixed_points(_cell(), jnp.zeros((1, 8)), key=jax.random.PRNGKey(0),
                                                                  n_box=2, max_steps=0), ValueError,
                                    r"max_steps must be an integer >= 1, got 0"),
    "find_fixed_points no starts": (lambda tmp: find_fixed_points(_cell(), jnp.zeros((1, 8)),
                                                                  key=jax.random.PRNGKey(0)), ValueError,
                                    r"no starts: give `starts`, `states` or `n_box` > 0"),
    "TrainSpec learning rate": (lambda tmp: TrainSpec.from_hps(_hps(train__learning_rate=-1.0)), ValueError,
                                r"key 'train\.learning_rate' = -1\.0; expected a number > 0"),
    "TrainSpec unknown key": (lambda tmp: TrainSpec.from_hps(_hps(train__lr=0.1)), ValueError,
                              r"unknown key 'train\.lr'; expected one of learning_rate"),
    "ModelSpec seed": (lambda tmp: ModelSpec.from_hps(_hps(seed=2**32)), ValueError,
                       r"key 'seed' = 4294967296; expected an integer >= 0 and <= 4294967295"),
    "ModelSpec workspace": (lambda tmp: ModelSpec.from_hps(_hps(plant__workspace=[[1, 1], [0, 0]])), ValueError,
                            r"key 'plant\.workspace' = .*; expected \[\[x_min, y_min\], \[x_max, y_max\]\] with min < max"),
    "make_ensemble replicates": (lambda tmp: ml.make_ensemble(_hps(model__n_replicates=0), ml.make_keys(0)[0]),
                                 ValueError, r"key 'model\.n_replicates' = 0; expected an integer >= 1"),
    "query table name": (lambda tmp: query("model", {}, results_dir=tmp), ValueError,
                         r"table must be one of models, evaluations, figures, got 'model'"),
    "load_model missing results dir": (lambda tmp: load_model(_no_model_dir(tmp), pert__std=1.0), FileNotFoundError,
                                       r"no such results directory: '.*no-such-results'"),
    "find_models missing results dir": (lambda tmp: find_models(_no_model_dir(tmp)), FileNotFoundError,
                                        r"no such results directory"),
    "find_models key typo": (lambda tmp: find_models(tmp, pert__sdt=1.0), KeyError, r"did you mean 'pert\.std'"),
    "write_sidecar kind": (lambda tmp: write_sidecar(tmp / "x.json", {"kind": "modle", "id": "x"}), ValueError,
                           r"'kind' must be one of model, evaluation, figure, got 'modle'"),
    "reserved analysis name": (lambda tmp: paths.evaluation_dir("part1", "models", "abc"), ValueError,
                               r"analysis name 'models' is reserved .*expected a name other than"),
    "load_model_file not a model": (lambda tmp: (tmp / "m.eqx").write_text("hello\n") and ml.load_model_file(tmp / "m.eqx"),
                                    ValueError, r"m\.eqx is not a motorlab model file"),
}


@pytest.mark.no_shape_check(reason="the library's own argument checks are under test, not beartype's")
@pytest.mark.parametrize("name", list(API))
def test_bad_api_call(tmp_path, name):
    call, error, pattern = API[name]
    with pytest.raises(error, match=pattern):
        call(tmp_path)


def test_there_are_at_least_60_bad_input_cases():
    assert len(BAD_TRAIN) + len(BAD_ANALYSES) + 2 + len(API) >= 60
