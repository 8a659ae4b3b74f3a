"""The `motorlab` command: expand, query, figures export, catalog rebuild, clean."""

import importlib.metadata
import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from motorlab.cli import build_parser, main, parse_where
from motorlab.config import load_study

from test_catalog import STUDY, make_products

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A working directory with a study config and its products under results/."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(STUDY))
    make_products(tmp_path, load_study(STUDY))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_console_script_points_at_main():
    (script,) = [e for e in importlib.metadata.entry_points(group="console_scripts") if e.name == "motorlab"]
    assert script.value == "motorlab.cli:main"


def test_expand_prints_models_with_identities_and_varying_keys(capsys):
    status, out, _ = run(capsys, "expand", str(ROOT / "config" / "demo.yaml"))
    assert status == 0
    study = load_study(ROOT / "config" / "demo.yaml")
    for part in study.parts:
        assert f"{part}: {len(study.models(part))} models" in out
        for mid in study.models(part):
            assert mid in out
    header = out.splitlines()[1].split()
    assert header[:3] == ["part", "model_id", "pert.type"] and "pert.std" in header
    assert "plant_perts: 8 evaluations in 4 figure groups" in out
    assert "fixed_points: 2 evaluations in 1 figure group\n" in out


def test_expand_formats_and_duplicate_notice(capsys, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("part1:\n  train:\n    pert.std: [0, 1e0, 1]\n")
    status, out, err = run(capsys, "expand", str(config), "--format", "json")
    assert status == 0
    rows = json.loads(out)
    assert [r["pert.std"] for r in rows] == [0.0, 1.0]
    assert "notice: part1.train: point 2 is the same model as point 1" in err
    status, out, _ = run(capsys, "expand", str(config), "--all", "--format", "tsv")
    header = out.splitlines()[0].split("\t")
    assert {"plant.dt", "train.learning_rate", "pert.std"} <= set(header)


def test_bad_config_is_an_error_with_its_message(capsys, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("part1:\n  train:\n    model.hiden_size: 3\n")
    status, out, err = run(capsys, "expand", str(config))
    assert status == 1 and out == ""
    assert "motorlab: error: invalid configuration: part1.train.model.hiden_size: unknown key" in err
    assert "did you mean 'hidden_size'?" in err
    status, _, err = run(capsys, "expand", str(tmp_path / "missing.yaml"))
    assert status == 1 and "cannot read config file" in err


def test_parse_where_reads_values_as_yaml_and_operators():
    where = parse_where(["pert.std=1e0", "pert.type=curl", "sisu=[1, 2]", "pert_amp>=2", "seed!=3"])
    assert where["pert.std"] == 1.0 and where["pert.type"] == "curl" and where["sisu"] == [1, 2]
    assert where["pert_amp"](2.0) and not where["pert_amp"](1.0) and not where["pert_amp"](None)
    assert where["seed"](4) and not where["seed"](3)
    with pytest.raises(ValueError, match="--where takes key=value"):
        parse_where(["pert.std"])


def test_query_prints_matching_records(workdir, capsys):
    status, out, err = run(capsys, "query", "models", "--where", "pert.type=curl", "model.feedback_delay_steps=2")
    assert status == 0 and "(2 models)" in err
    lines = out.splitlines()
    assert lines[0].split() == ["id", "part", "path", "n_included", "pert__std"]
    assert len(lines) == 3
    status, out, _ = run(capsys, "query", "figures", "--where", "pert.type=curl", "pert.std=1.0", "sisu=2",
                         "--format", "json")
    rows = json.loads(out)
    assert len(rows) == 4 and all(r["figure"] == "velocity/profiles" for r in rows)
    status, out, _ = run(capsys, "query", "evaluations", "--where", "variant=full", "pert.std>0.5",
                         "--columns", "variant,pert.std", "--format", "csv")
    assert out.splitlines()[0] == "id,variant,pert__std"
    assert len(out.splitlines()) == 1 + 2  # curl sigma 1.0 at delays 0 and 2
    status, out, _ = run(capsys, "query", "evaluations", "--where", "variant=full", "pert.std>0.5",
                         "--columns", "id,variant", "--format", "csv")
    assert out.splitlines()[0] == "id,variant"  # an asked-for id is not printed twice
    status, _, err = run(capsys, "query", "models", "--where", "pert.sdt=1")
    assert status == 1 and "did you mean 'pert.std'" in err


def test_figures_export_copies_files(workdir, capsys):
    status, out, err = run(capsys, "figures", "export", "--where", "pert.type=curl", "sisu=2", "exported")
    assert status == 0
    files = sorted(p.name for p in (workdir / "exported").iterdir())
    assert len(files) == 8  # 2 delays x 2 variants x (html, png)
    assert all(f.startswith("velocity-profiles__pert_amp-2.0_sisu-2.0__") for f in files)
    assert "copied 8 files to exported" in err
    status, _, _ = run(capsys, "figures", "export", "--dry-run", "--where", "sisu=0", "out2")
    assert status == 0 and not (workdir / "out2").exists()
    status, _, err = run(capsys, "figures", "export", "--where", "sisu=0")
    assert status == 1 and "needs a destination directory" in err


def test_catalog_rebuild(workdir, capsys):
    status, out, _ = run(capsys, "catalog", "rebuild")
    assert status == 0 and "results/catalog.sqlite: 8 models" in out
    conn = sqlite3.connect(workdir / "results" / "catalog.sqlite")
    assert conn.execute("SELECT count(*) FROM models").fetchone() == (8,)
    assert conn.execute("SELECT count(*) FROM evaluation_models").fetchone() == (16,)
    conn.close()


def test_clean_lists_and_removes_only_with_yes(workdir, capsys):
    run(capsys, "catalog", "rebuild")
    status, out, _ = run(capsys, "clean")
    assert status == 0 and out.strip() == "nothing to clean"
    smaller = {"part1": {**STUDY["part1"], "train": {"model.feedback_delay_steps": 0,
                                                     "cases": STUDY["part1"]["train"]["cases"]}}}
    (workdir / "config" / "small.yaml").write_text(yaml.safe_dump(smaller))
    before = sorted(p for p in (workdir / "results").rglob("*") if p.is_file())
    status, out, err = run(capsys, "clean", "--configfile", "config/small.yaml")
    assert status == 0 and "run again with --yes" in err
    assert out.count("not produced by the config") == 4 + 8  # 4 models, their 8 evaluations
    assert sorted(p for p in (workdir / "results").rglob("*") if p.is_file()) == before
    # with both configs named, nothing is orphaned
    status, out, _ = run(capsys, "clean", "--configfile", "config/small.yaml", "--configfile", "config/config.yaml")
    assert out.strip() == "nothing to clean"
    status, out, err = run(capsys, "clean", "--configfile", "config/small.yaml", "--yes")
    assert status == 0 and "catalogue refolded" in err
    after = sorted(p for p in (workdir / "results").rglob("*") if p.is_file())
    assert len(after) < len(before)
    status, out, _ = run(capsys, "clean", "--configfile", "config/small.yaml")
    assert out.strip() == "nothing to clean"


def test_clean_yes_needs_an_explicit_configfile(workdir, capsys):
    """Removing against the default config would delete every other config's products (a demo's)."""
    demo = {"part1": {**STUDY["part1"], "train": {"model.feedback_delay_steps": 2,
                                                  "cases": STUDY["part1"]["train"]["cases"]}}}
    (workdir / "config" / "demo.yaml").write_text(yaml.safe_dump(demo))
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(
        {"part1": {**STUDY["part1"], "train": {"model.feedback_delay_steps": 0,
                                               "cases": STUDY["part1"]["train"]["cases"]}}}))
    before = sorted(p for p in (workdir / "results").rglob("*") if p.is_file())
    status, out, err = run(capsys, "clean", "--yes")
    assert status == 1 and out == ""
    assert "clean --yes needs --configfile" in err and "config/config.yaml" in err
    assert "deleted" in err
    assert sorted(p for p in (workdir / "results").rglob("*") if p.is_file()) == before
    # listing without --configfile still uses the default config
    status, out, err = run(capsys, "clean")
    assert status == 0 and out.count("not produced by the config") == 4 + 8
    assert sorted(p for p in (workdir / "results").rglob("*") if p.is_file()) == before
    status, out, err = run(capsys, "clean", "--configfile", "config/demo.yaml", "--configfile",
                           "config/config.yaml", "--yes")
    assert status == 0 and out.strip() == "nothing to clean"
    with pytest.raises(SystemExit):
        main(["clean", "--help"])
    assert "--yes needs --configfile" in " ".join(capsys.readouterr().out.split())


def test_parser_has_every_subcommand():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"expand", "query", "figures", "catalog", "clean"} <= set(sub.choices)
