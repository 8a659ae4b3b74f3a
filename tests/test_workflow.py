"""End to end: the Snakemake workflow on a tiny part-1 study, and what a rerun recomputes."""

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")

TINY = {
    "part1": {
        "train": {
            "plant.n_steps": 20,
            "model": {"hidden_size": 8, "n_replicates": 2},
            "train": {"batch_size": 8, "n_batches": 12, "validation_eval_n": 1},
            "pert.type": "curl",
            "pert.std": [0.0, 1.0],
        },
        "analyses": {
            "plant_perts": {
                "eval_n": 1,
                "tasks": {"full": {"grid_n": 1, "n_directions": 4}, "small": {"grid_n": 1, "n_directions": 2}},
                "pert": {"amp": {"curl": [0.0, 2.0]}},
            }
        },
    },
    "workflow": {"models_per_job": 2},  # both models train in one bucket job
}

pytestmark = pytest.mark.slow


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), *args, "--configfile", "config.yaml"]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=600)


def job_counts(dry_run_output: str) -> dict[str, int]:
    """Rule -> job count from the 'Job stats' table of a dry run."""
    counts = {}
    table = dry_run_output.split("Job stats:")[-1]
    for line in table.splitlines():
        m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if m and m.group(1) != "total":
            counts[m.group(1)] = int(m.group(2))
    return counts


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("workflow")
    (workdir / "config.yaml").write_text(yaml.safe_dump(TINY))
    run = snakemake(workdir, "--cores", "2", "results/part1/all")
    assert run.returncode == 0, run.stderr[-4000:]
    return workdir


def test_run_writes_every_product_with_sidecars(study):
    part = study / "results" / "part1"
    models = sorted(part.glob("models/*.eqx"))
    assert len(models) == 2
    for m in models:
        assert m.with_suffix(".json").exists()
        assert (m.parent / f"{m.stem}_history.npz").exists()
        header = json.loads(m.read_bytes().split(b"\n", 1)[0])
        assert header["hps"]["model"]["hidden_size"] == 8
    assert len(list(part.glob("plant_perts/*/states.parquet"))) == 4  # 2 models x (full, small)
    assert len(list(part.glob("plant_perts/*/measures.parquet"))) == 4
    assert len(list(part.glob("plant_perts/*/manifest.json"))) == 4
    html = [p for p in part.glob("figures/plant_perts/*/*.html") if p.name != "index.html"]
    assert len(list(part.glob("figures/plant_perts/*/index.html"))) == 2  # each group's own page
    assert any("aligned_compare_train" in p.name for p in html)
    assert any("velocity_profiles" in p.name for p in html)
    assert any("measures_compare_train__max_orthogonal_distance_left" in p.name for p in html)
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        assert len(list(part.glob("figures/plant_perts/*/*.png"))) == len(html)
    manifest = json.loads((part / "all").read_text())
    assert manifest["counts"]["model"] == 2 and manifest["counts"]["evaluation"] == 4
    with sqlite3.connect(study / "results" / "catalog.sqlite") as db:
        (n_models,) = db.execute("select count(*) from models").fetchone()
        (n_figs,) = db.execute("select count(*) from figures").fetchone()
        eval_paths = [json.loads(p) for (p,) in db.execute("select paths from evaluations")]
        analyses = {a for (a,) in db.execute("select analysis from figures")}
    # every product is in the catalogue: states and measures through their evaluation
    assert all({p.rsplit("/", 1)[-1] for p in paths} == {"states.parquet", "measures.parquet"}
               for paths in eval_paths) and len(eval_paths) == 4
    assert analyses == {"plant_perts"}
    assert n_models == 2 and n_figs == len(html)
    # the two models trained in one bucket job (TINY's workflow.models_per_job), then were stored
    assert (study / "logs" / "part1" / "train_bucket").is_dir() and (study / "benchmarks" / "part1" / "train_bucket").is_dir()
    assert len(list((study / "logs" / "part1" / "store_model").glob("*.log"))) == 2
    assert not (study / "results" / "part1" / ".staging").exists() or not any((study / "results" / "part1" / ".staging").rglob("*.eqx"))
    # the part's end wrote the results browser, with every figure of the catalogue
    assert manifest["browser"] == "results/index.html"
    assert f'"total":{n_figs}' in (study / "results" / "index.html").read_text()


def test_report_zip_files_every_png_by_analysis_with_labels(study):
    """`snakemake --report report.zip` after a run: each PNG is an entry under its analysis, with
    its caption and one label per hyperparameter (group pages with htmlindex without Chromium)."""
    run = snakemake(study, "--report", "report.zip", "results/part1/all")
    assert run.returncode == 0, run.stderr[-4000:]
    with zipfile.ZipFile(study / "report.zip") as z:
        names = z.namelist()
        page = z.read("report/report.html").decode()
    pngs = list((study / "results" / "part1" / "figures").glob("plant_perts/*/*.png"))
    if pngs:
        assert sum(n.endswith(".png") for n in names) == len(pngs)
        assert "forward and lateral hand velocity" in page  # the caption says what the figure shows
        assert '"amplitude":"2"' in page.replace(" ", "") and '"figure":"velocity_profiles"' in page.replace(" ", "")
    else:
        assert sum(n.endswith("/index.html") for n in names) == len(list(
            (study / "results" / "part1" / "figures").glob("plant_perts/*/index.html")))
    assert "plant_perts" in page


def test_second_run_has_nothing_to_do(study):
    run = snakemake(study, "-n", "results/part1/all")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Nothing to be done" in run.stdout + run.stderr


def test_changing_one_spread_value_reruns_only_the_new_model(study, tmp_path):
    changed = json.loads(json.dumps(TINY))
    changed["part1"]["train"]["pert.std"] = [0.0, 1.5]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(changed))
    shutil.copytree(study / "results", tmp_path / "results")
    shutil.copytree(study / ".snakemake", tmp_path / ".snakemake", ignore=shutil.ignore_patterns("locks", "log"))
    run = snakemake(tmp_path, "-n", "results/part1/all")
    assert run.returncode == 0, run.stderr[-2000:]
    counts = job_counts(run.stdout + run.stderr)
    # one new model: its training, its two evaluations and measures, the two figure groups it
    # belongs to, and the manifest; the sigma = 0 model is not retrained or re-evaluated
    assert counts == {"train": 1, "store_model": 1, "evaluate": 2, "plant_perts_tables": 2,
                      "analysis_figures": 2, "part_all": 1}


def test_new_models_of_a_trained_study_share_one_bucket_job(study, tmp_path):
    """Two new sigmas: one bucket job trains both, and the models trained before are not touched
    (however they were trained); with models_per_job 1, each new model trains alone."""
    changed = json.loads(json.dumps(TINY))
    changed["part1"]["train"]["pert.std"] = [0.0, 1.0, 1.5, 2.5]
    shutil.copytree(study / "results", tmp_path / "results")
    shutil.copytree(study / ".snakemake", tmp_path / ".snakemake", ignore=shutil.ignore_patterns("locks", "log"))
    for per_job, want in ((2, {"train_bucket": 1, "unpack_member": 2}), (1, {"train": 2})):
        changed["workflow"]["models_per_job"] = per_job
        (tmp_path / "config.yaml").write_text(yaml.safe_dump(changed))
        run = snakemake(tmp_path, "-n", "results/part1/all")
        assert run.returncode == 0, run.stderr[-2000:]
        counts = job_counts(run.stdout + run.stderr)
        assert counts == {**want, "store_model": 2, "evaluate": 4, "plant_perts_tables": 4,
                          "analysis_figures": 2, "part_all": 1}, (per_job, counts)


@pytest.mark.parametrize("product", ["table", "states", "figures", "model"])
def test_the_part_target_rebuilds_a_deleted_product(study, tmp_path, product):
    """A deleted analysis table, states table, figure folder or model file is remade by
    `results/{part}/all`, with only what depends on it: no training unless the model is gone, and
    no evaluation unless the states (or the model) are gone (issue 15 item 3)."""
    shutil.copytree(study / "results", tmp_path / "results")
    shutil.copytree(study / ".snakemake", tmp_path / ".snakemake", ignore=shutil.ignore_patterns("locks", "log"))
    shutil.copy(study / "config.yaml", tmp_path / "config.yaml")
    part = tmp_path / "results" / "part1"
    if product == "figures":
        shutil.rmtree(next(iter(part.glob("figures/plant_perts/*.json"))).with_suffix(""))
        want = {"analysis_figures": 1, "part_all": 1}
    elif product == "model":
        next(iter(part.glob("models/*.eqx"))).unlink()
        run = snakemake(tmp_path, "-n", "results/part1/all")
        assert run.returncode == 0, run.stderr[-2000:]
        counts = job_counts(run.stdout + run.stderr)
        # the model is retrained; its evaluations, tables and figure groups follow it
        assert counts["train"] == 1 and counts["evaluate"] == 2 and counts["part_all"] == 1, counts
        return
    else:
        name = "measures" if product == "table" else "states"
        next(iter(part.glob(f"plant_perts/*/{name}.parquet"))).unlink()
        want = {"plant_perts_tables": 1, "analysis_figures": 1, "part_all": 1}
        if product == "states":
            want["evaluate"] = 1
    run = snakemake(tmp_path, "-n", "results/part1/all")
    assert run.returncode == 0, run.stderr[-2000:]
    assert job_counts(run.stdout + run.stderr) == want


def test_workflow_profile_cannot_mask_cluster_resources():
    """Profiles merge per top-level key, the workflow profile winning: anything but set-threads
    in profiles/default would replace the SLURM profile's resources (e.g. the GPU for training)."""
    default = yaml.safe_load((REPO / "profiles" / "default" / "config.yaml").read_text())
    assert set(default) == {"set-threads"}
    slurm = yaml.safe_load((REPO / "profiles" / "slurm" / "profile.yaml").read_text())
    assert slurm["executor"] == "slurm" and slurm["set-resources"]["train"]["gpu"] == 1
    assert slurm["set-resources"]["train_bucket"]["gpu"] == 1


def test_part2_target_plans_every_stage_for_the_demo(tmp_path):
    """`results/part2/all` with the demo config: training, evaluation, measures and figures of
    every model, and the fixed-point stage and its figures (issue: part 2 at demo scale)."""
    shutil.copy(REPO / "config" / "demo.yaml", tmp_path / "config.yaml")
    run = snakemake(tmp_path, "-n", "results/part2/all")
    assert run.returncode == 0, run.stderr[-2000:]
    counts = job_counts(run.stdout + run.stderr)
    # 2 methods x 2 sigmas = 4 models (each trained, then stored), and 2 at hidden 64 for the size study; readout norms of
    # the 4 hidden-32 models, size study of the 4 pai-asf; everything else on the 2 hidden-32
    # pai-asf models (the demo trims models, not analyses): plant_perts (2 task variants), fixed
    # points, tangling, feedback impulses, sisu_pert (2 variants), unit_ablation, eigvec_stim and
    # unit_perts (3 protocols); figure groups: plant_perts 2 variants, one fixed-points group,
    # tangling one per sigma, readout norms one per method, one size study, one feedback group,
    # sisu_pert and unit_perts one per variant, one unit_ablation and one eigvec_stim group;
    # fp_training of one pai-asf model (sigma 1), one figure group
    assert counts == {"train": 6, "store_model": 6, "evaluate": 4, "plant_perts_tables": 4, "fixed_points_tables": 2,
                      "readout_norm_tables": 4, "size_study_tables": 4, "tangling_tables": 2,
                      "feedback_perts_tables": 2, "sisu_pert_tables": 4, "unit_ablation_tables": 2,
                      "unit_perts_tables": 6, "eigvec_stim_tables": 2, "fp_training_tables": 1,
                      "analysis_figures": 17, "part_all": 1}


@pytest.mark.parametrize("config", ["demo.yaml", "config.yaml"])
def test_snakemake_lint_finds_nothing(tmp_path, config):
    """`snakemake --lint` on the shipped configs: no rule without log, conda env, or with absolute
    paths, path composition with +, long run blocks, undeclared env vars, ... (exit 1 on any lint)."""
    run = subprocess.run([str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), "--lint", "--configfile",
                          str(REPO / "config" / config)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    assert "Congratulations, your workflow is in a good condition" in run.stdout + run.stderr
