"""SLURM for real (issue 15 item 21): a tiny study through `--profile profiles/slurm` with the
executor plugin, on the one-node cluster that `.ci/slurm/test.sh` brings up (and down again).

Skipped unless MOTORLAB_SLURM=1 and `sbatch` is on PATH. It asserts that the jobs went through
`sbatch` (job ids in the plugin's logs, and SLURM's own record of them) and that training asked for
the GPU the profile asks for. Snakemake runs under `timeout -s INT`: on a timeout SIGINT makes it
`scancel` its jobs (SIGTERM would wait for them).
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
TIMEOUT_S = 1200

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("MOTORLAB_SLURM") != "1" or shutil.which("sbatch") is None,
                       reason="needs the one-node SLURM cluster of .ci/slurm/test.sh (MOTORLAB_SLURM=1)"),
]

TINY = {"part1": {
    "train": {"plant.n_steps": 20, "model": {"hidden_size": 8, "n_replicates": 1},
              "train": {"batch_size": 8, "n_batches": 12, "validation_eval_n": 1, "learning_rate": 0.05}},
    "analyses": {"readout_norm": {}},
}}


def _test_profile(tmp_path: Path) -> tuple[Path, dict]:
    """profiles/slurm with what the one-node test cluster needs added (its partition, squeue
    status, no accounting, small memory so that jobs fit the node, fast status polls); the GPU
    request of training is left as the profile has it."""
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "profile.yaml").read_text())
    test = dict(profile)
    test["default-resources"] = {**profile["default-resources"], "slurm_partition": "debug",
                                 "mem_mb": 500, "runtime": 10}
    test["set-resources"] = {rule: {**res, "mem_mb": 500, "runtime": 10}
                             for rule, res in profile["set-resources"].items()}
    test.update({"slurm-status-command": "squeue", "slurm-no-account": True, "jobs": 4,
                 "slurm-init-seconds-before-status-checks": 2, "seconds-between-status-checks": 2,
                 "slurm-keep-successful-logs": True, "latency-wait": 5})
    folder = tmp_path / "profile"
    folder.mkdir()
    (folder / "profile.yaml").write_text(yaml.safe_dump(test))
    return folder, profile


def test_tiny_study_runs_through_sbatch_with_the_profiles_gpu_request(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(TINY))
    profile_dir, profile = _test_profile(tmp_path)
    cmd = ["timeout", "-s", "INT", str(TIMEOUT_S), str(SNAKEMAKE), "-s", str(REPO / "Snakefile"),
           "results/part1/all", "--profile", str(profile_dir), "--directory", str(tmp_path),
           "--configfile", "config.yaml"]  # last: --configfile takes several values
    run = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT_S + 120)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    assert (tmp_path / "results" / "part1" / "all").exists()

    # every SLURM job left a log named by its job id: .snakemake/slurm_logs/rule_<rule>/<wildcards>/<id>.log
    logs = {}
    for log in (tmp_path / ".snakemake" / "slurm_logs").rglob("*.log"):
        rule = next(p for p in log.relative_to(tmp_path / ".snakemake" / "slurm_logs").parts if p.startswith("rule_"))
        assert re.fullmatch(r"\d+", log.stem), log
        logs.setdefault(rule.removeprefix("rule_"), []).append(log.stem)
    assert len(logs.get("train", [])) == 1 and logs.get("evaluate") is None  # readout_norm keeps no states
    assert logs.get("readout_norm_tables"), logs

    # SLURM's own record (MinJobAge=600 keeps finished jobs): each id ran, and only training got a GPU
    want_gpus = profile["set-resources"]["train"]["gpu"]
    for rule, ids in logs.items():
        for job in ids:
            shown = subprocess.run(["scontrol", "show", "job", "-o", job], capture_output=True, text=True,
                                   check=True).stdout
            assert "JobState=COMPLETED" in shown, shown
            gpu = re.search(r"gres[:/]gpu[:=](\d+)", shown)
            if rule in ("train", "train_bucket"):
                assert gpu is not None and int(gpu.group(1)) == want_gpus, shown
            else:
                assert gpu is None, shown
