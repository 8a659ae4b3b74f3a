"""Resumable training: a run killed with SIGKILL resumes from its last checkpoint and finishes
bit-identical to an uninterrupted run; a checkpoint of another identity is never used; a
finished run removes its checkpoint."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import jax
import numpy as np
import pytest

from motorlab import train_ensemble
from motorlab.config import train_defaults
from motorlab.train import Checkpoint, TrainState

SRC = str(Path(__file__).resolve().parents[1] / "src")

# The child trains the tiny model; with "slow" each step sleeps a little, so that the parent
# has time to kill it mid-run (the numbers do not depend on the sleep).
CHILD = textwrap.dedent("""
    import json, sys, time
    import numpy as np, jax, equinox as eqx
    import motorlab.train._loop as loop
    from motorlab.train import Checkpoint, train_ensemble

    hps, ckpt, out, slow = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == "slow"
    if slow:
        make = loop.make_train_step
        def slow_step(spec, optimizer):
            step = make(spec, optimizer)
            fast = step.fn
            def fn(*args):
                time.sleep(0.1)
                return fast(*args)
            step.fn = fn
            return step
        loop.make_train_step = slow_step
    res = train_ensemble(hps, progress=False,
                         checkpoint=Checkpoint(ckpt, "tiny-model", every_iterations=4, log=print))
    arrays = {f"loss/{k}": v for k, v in res.history.items()}
    arrays.update({f"best/{i}": np.asarray(a)
                   for i, a in enumerate(jax.tree.leaves(eqx.filter(res.ensemble, eqx.is_array)))})
    arrays.update({f"snap/{s}/{i}": np.asarray(a) for s, snap in enumerate(res.snapshots)
                   for i, a in enumerate(jax.tree.leaves(snap))})
    arrays["info"] = np.frombuffer(json.dumps(res.info).encode(), np.uint8)
    np.savez(out, **arrays)
    print("finished")
""")


def tiny_hps():
    hps = train_defaults()
    hps["plant"]["n_steps"] = 12
    hps["pert"].update(type="curl", std=1.0)
    hps["model"].update(hidden_size=6, n_replicates=2)
    hps["train"].update(batch_size=4, n_batches=24, validation_eval_n=1)
    return hps


def child(tmp_path, ckpt, out, mode, code=CHILD, hps=None):
    """Start `code` (CHILD: one model, `tiny_hps()`; CHILD_BUCKET: the models `hps`) training
    with checkpoint `ckpt` into `out`; mode "slow" sleeps in each step so a test can kill it."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    script = tmp_path / ("child.py" if code == CHILD else "child_bucket.py")
    script.write_text(code)
    payload = json.dumps(tiny_hps() if hps is None else hps)
    return subprocess.Popen([sys.executable, str(script), payload, str(ckpt), str(out), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def checkpoint_iteration(path: Path) -> int:
    try:
        with np.load(path) as z:
            return json.loads(bytes(z["meta"]).decode())["iteration"]
    except (OSError, ValueError, KeyError):
        return -1


def same_bits(a: Path, b: Path) -> None:
    with np.load(a) as x, np.load(b) as y:
        assert sorted(x.files) == sorted(y.files)
        for k in x.files:
            assert x[k].dtype == y[k].dtype and x[k].tobytes() == y[k].tobytes(), k


def test_a_killed_run_resumes_and_ends_bit_identical(tmp_path):
    ckpt = tmp_path / "checkpoints" / "tiny.npz"
    plain = child(tmp_path, tmp_path / "unused.npz", tmp_path / "plain.npz", "fast")

    killed = child(tmp_path, ckpt, tmp_path / "killed.npz", "slow")
    deadline = time.monotonic() + 600
    while checkpoint_iteration(ckpt) < 8:
        assert killed.poll() is None, f"the run ended before it could be killed:\n{killed.stdout.read()}"
        assert time.monotonic() < deadline, "no checkpoint of iteration >= 8 within 10 minutes"
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.communicate()
    assert killed.returncode == -signal.SIGKILL
    assert not (tmp_path / "killed.npz").exists()
    at = checkpoint_iteration(ckpt)
    assert 8 <= at < tiny_hps()["train"]["n_batches"]

    resumed = child(tmp_path, ckpt, tmp_path / "resumed.npz", "fast")
    log = resumed.communicate(timeout=600)[0]
    assert resumed.returncode == 0, log
    assert f"resumed from iteration {at}" in log
    assert plain.communicate(timeout=600)[0].strip().endswith("finished")
    same_bits(tmp_path / "plain.npz", tmp_path / "resumed.npz")
    assert not ckpt.exists(), "a finished run removes its checkpoint"


def _history(result):
    return {k: v.tobytes() for k, v in result.history.items()}


def test_a_checkpoint_of_another_identity_is_not_used(tmp_path):
    hps = tiny_hps()
    hps["train"]["n_batches"] = 6
    plain = train_ensemble(hps, progress=False)
    # A well-formed checkpoint of the same shapes, at iteration 3, but of another model.
    leaves = jax.tree.leaves(plain.snapshots[0])
    fake = TrainState(iteration=3, params=[np.zeros_like(a) for a in leaves], opt_state=[],
                      alive=np.ones(2, bool), history={"total": np.zeros((3, 2))},
                      alive_history=np.ones((3, 2), bool), saved=[0], snapshots=[leaves])
    path = tmp_path / "c.npz"
    Checkpoint(path, "another-model").save(fake)
    messages = []
    result = train_ensemble(hps, progress=False,
                            checkpoint=Checkpoint(path, "this-model", log=messages.append))
    assert _history(result) == _history(plain)
    assert any("another-model" in m and "not used" in m for m in messages), messages
    assert not any("resumed" in m for m in messages)
    assert not path.exists()


@pytest.mark.parametrize("kwargs, bad", [
    ({"every_iterations": 0}, "every_iterations = 0"),
    ({"every_seconds": -1.0}, "every_seconds = -1.0"),
    ({"identity": ""}, "identity = ''"),
])
def test_bad_checkpoint_settings_are_named(tmp_path, kwargs, bad):
    with pytest.raises(ValueError, match=bad.replace("(", r"\(")):
        Checkpoint(**{"path": tmp_path / "c.npz", "identity": "m", **kwargs})


# A bucket of two models: the child trains them in one step (3 iterations per dispatch); with
# "slow" each dispatch sleeps a little first.
CHILD_BUCKET = textwrap.dedent("""
    import json, sys, time
    import numpy as np, jax, equinox as eqx
    import motorlab.train._bucket as bucket
    from motorlab.train import Checkpoint, train_bucket

    models, ckpt, out, slow = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == "slow"
    if slow:
        make = bucket.make_bucket_step
        def slow_step(*args):
            step = make(*args)
            fast = step.fn
            def fn(*a):
                time.sleep(0.2)
                return fast(*a)
            step.fn = fn
            return step
        bucket.make_bucket_step = slow_step
    results = train_bucket(models, iterations_per_dispatch=3,
                           checkpoint=Checkpoint(ckpt, "bucket of two", every_iterations=4, log=print))
    arrays = {}
    for m, res in enumerate(results):
        arrays.update({f"{m}/loss/{k}": v for k, v in res.history.items()})
        arrays.update({f"{m}/best/{i}": np.asarray(a)
                       for i, a in enumerate(jax.tree.leaves(eqx.filter(res.ensemble, eqx.is_array)))})
    np.savez(out, **arrays)
    print("finished")
""")


def test_a_killed_bucket_resumes_and_ends_bit_identical(tmp_path):
    models = [tiny_hps(), tiny_hps()]
    models[1]["pert"]["std"], models[1]["seed"] = 0.5, 99

    def run(ckpt, out, mode):
        return child(tmp_path, ckpt, out, mode, code=CHILD_BUCKET, hps=models)

    ckpt = tmp_path / "checkpoints" / "bucket.npz"
    plain = run(tmp_path / "unused.npz", tmp_path / "plain.npz", "fast")
    killed = run(ckpt, tmp_path / "killed.npz", "slow")
    deadline = time.monotonic() + 600
    while checkpoint_iteration(ckpt) < 10:
        assert killed.poll() is None, f"the run ended before it could be killed:\n{killed.stdout.read()}"
        assert time.monotonic() < deadline, "no checkpoint of iteration >= 10 within 10 minutes"
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.communicate()
    at = checkpoint_iteration(ckpt)
    assert 10 <= at < tiny_hps()["train"]["n_batches"]

    resumed = run(ckpt, tmp_path / "resumed.npz", "fast")
    log = resumed.communicate(timeout=600)[0]
    assert resumed.returncode == 0, log
    assert f"resumed from iteration {at}" in log
    assert plain.communicate(timeout=600)[0].strip().endswith("finished")
    same_bits(tmp_path / "plain.npz", tmp_path / "resumed.npz")
    assert not ckpt.exists(), "a finished bucket removes its checkpoint"
