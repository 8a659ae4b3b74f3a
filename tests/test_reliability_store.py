"""Issue 15: products on disk stay readable and findable under faults and colleagues (items 2–4,
10–13, 17–19). Products are made by `test_catalog.make_products` (stand-in files + real sidecars)."""

import json
import os
import shutil
import sqlite3
import stat
import threading
import time
import warnings

import pandas as pd
import pytest
from test_catalog import STUDY, make_products

from motorlab import make_ensemble, make_keys
from motorlab.cli import main
from motorlab.config import load_study, train_defaults
from motorlab.store import (
    catalog_lock,
    find_models,
    find_orphans,
    fold_sidecars,
    load_model,
    load_model_file,
    query,
    remove_orphans,
    save_model_file,
    write_json,
    write_sidecar,
    write_table,
)
from motorlab.store import _model_files


@pytest.fixture
def products(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    study = load_study(STUDY)
    return study, make_products(tmp_path, study)


def _model_sidecar(results, study, n=0):
    mid = sorted(study.models("part1"))[n]
    return mid, results / "part1" / "models" / f"{mid}.json"


# --- item 2: the catalogue lock and staleness by content -------------------------------------

def test_item2_catalog_rebuild_and_clean_wait_for_the_catalogue_lock(products):
    study, results = products
    db = results / "catalog.sqlite"
    fold_sidecars(results)
    done = []
    with catalog_lock(db):
        workers = [threading.Thread(target=lambda: done.append(main(["catalog", "rebuild", "--results", str(results)]))),
                   threading.Thread(target=lambda: done.append(remove_orphans([], results)))]
        for w in workers:
            w.start()
        time.sleep(1.0)
        assert done == [] and all(w.is_alive() for w in workers), "folded while the workflow held the lock"
    for w in workers:
        w.join(30)
    assert sorted(map(str, done)) == ["0", "[]"]


def test_item2_an_older_catalogue_put_back_later_is_detected_as_stale(products):
    """A slow rebuild that read the sidecars before a new model was registered, then renamed its
    file into place after: the file is newer than every sidecar but misses the model."""
    study, results = products
    db = results / "catalog.sqlite"
    mid, sidecar = _model_sidecar(results, study)
    record = json.loads(sidecar.read_text())
    sidecar.unlink()
    fold_sidecars(results)
    old = db.read_bytes()
    write_sidecar(sidecar, {k: v for k, v in record.items() if k != "sidecar"})
    fold_sidecars(results)
    assert mid in set(query("models", results_dir=results)["id"])
    db.write_bytes(old)  # the stale fold lands last
    future = time.time() + 3600
    os.utime(db, (future, future))
    assert mid in set(query("models", results_dir=results)["id"])
    with sqlite3.connect(db) as conn:  # the fingerprint records what the stale file was folded from
        count, digest = dict(conn.execute("SELECT key, value FROM catalog_info"))["sidecars"].split(":")
    assert int(count) == len(list(results.rglob("*.json"))) - 1 and len(digest) == 64


# --- item 3: missing product files -----------------------------------------------------------

def test_item3_queries_do_not_list_products_whose_file_is_missing(products):
    study, results = products
    mid, _ = _model_sidecar(results, study)
    (results / "part1" / "models" / f"{mid}.eqx").unlink()
    evaluation = next(results.glob("part1/plant_perts/*/states.parquet"))
    evaluation.unlink()
    fold_sidecars(results)
    with pytest.warns(UserWarning, match=r"have a sidecar but a missing file .*motorlab clean"):
        models = find_models(results)
    assert mid not in set(models["id"]) and len(models) == 7
    with pytest.warns(UserWarning):
        evals = query("evaluations", results_dir=results)
    assert evaluation.parent.name not in set(evals["id"])


def test_item3_clean_reports_sidecars_whose_files_are_missing(products):
    study, results = products
    figure = next(results.glob("part1/figures/*/*/*.png"))
    figure.unlink()
    orphans, _ = find_orphans([study], results)
    assert [o.reason for o in orphans] == [f"file {os.path.relpath(figure, results.parent)} is missing"]
    assert orphans[0].kind == "figure"
    mid, _ = _model_sidecar(results, study)
    (results / "part1" / "models" / f"{mid}.eqx").unlink()
    states = next(p for p in results.glob("part1/plant_perts/*/states.parquet")
                  if mid not in json.loads((p.parent / "manifest.json").read_text())["model_ids"])
    states.unlink()
    reasons = {o.id: o.reason for o in find_orphans([study], results)[0]}
    assert reasons[mid].startswith("model file") and reasons[mid].endswith("is missing")
    assert reasons[states.parent.name] == f"file {os.path.relpath(states, results.parent)} is missing"


# --- item 4: part="part1" and part=1 ----------------------------------------------------------

@pytest.mark.parametrize("part", ["part1", 1, "1", ["part1"]])
def test_item4_load_model_takes_the_part_either_way(products, part, monkeypatch):
    study, results = products
    assert len(find_models(results, part=part)) == 8
    monkeypatch.setattr(_model_files, "load_model_file", lambda path: ("ensemble", str(path)))
    ensemble, path = load_model(results, part=part, pert__type="curl", pert__std=1.0,
                                model__feedback_delay_steps=0)
    assert ensemble == "ensemble" and path.endswith(".eqx")


def test_item4_another_part_matches_nothing(products):
    study, results = products
    assert len(find_models(results, part="part2")) == 0 and len(find_models(results, part=2)) == 0


# --- item 10: products are written with the umask's mode -----------------------------------

@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_item10_products_have_the_mode_a_plain_open_gives(tmp_path, umask, mode):
    from motorlab.figures._export import atomic_write as write_figure_file
    old = os.umask(umask)
    try:
        hps = train_defaults()
        hps["model"].update(hidden_size=4, n_replicates=1)
        files = [tmp_path / "m.eqx", tmp_path / "m.json", tmp_path / "t.parquet", tmp_path / "all",
                 tmp_path / "catalog.sqlite", tmp_path / "f.png"]
        save_model_file(files[0], make_ensemble(hps, make_keys(0)[0]), hps, {"included": [True]})
        write_sidecar(files[1], {"kind": "model", "id": "m", "part": "part1", "hps": hps, "created": "x",
                                 "versions": {}, "git_commit": None, "path": "m.eqx", "replicates": {}})
        write_table(pd.DataFrame({"a": [1]}), files[2])
        write_json(files[3], {"part": "part1"})
        fold_sidecars(tmp_path, files[4])
        write_figure_file(files[5], b"png")
    finally:
        os.umask(old)
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == mode, f.name


# --- items 11 and 12: a corrupt sidecar or catalogue ----------------------------------------

def test_item11_a_truncated_sidecar_is_skipped_and_reported_by_path(products, capsys):
    study, results = products
    mid, sidecar = _model_sidecar(results, study)
    sidecar.write_text(sidecar.read_text()[:40])
    with pytest.warns(UserWarning, match=rf"skipped corrupt sidecar .*{mid}\.json: not readable JSON"):
        models = find_models(results)
    assert len(models) == 7
    other = [m for m, h in study.models("part1").items() if m != mid][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["catalog", "rebuild", "--results", str(results)]) == 0
        assert "skipped corrupt sidecar" in capsys.readouterr().err
        assert other in set(find_models(results)["id"])
        orphans, _ = find_orphans([study], results)
    (corrupt,) = [o for o in orphans if o.kind == "corrupt"]
    assert corrupt.id == str(sidecar) and corrupt.files == (sidecar,) and "truncated or corrupt" in corrupt.reason
    assert main(["clean", "--results", str(results), "--configfile", str(_config(results, study))]) == 0
    assert f"corrupt {sidecar}: corrupt sidecar" in capsys.readouterr().out


def _config(results, study):
    import yaml
    path = results.parent / "study.yaml"
    path.write_text(yaml.safe_dump(STUDY))
    return path


def test_item12_a_corrupt_catalogue_falls_back_to_the_sidecars(products):
    study, results = products
    db = results / "catalog.sqlite"
    fold_sidecars(results)
    db.write_bytes(b"this is not a database" * 100)
    with pytest.warns(UserWarning, match=r"catalogue .*catalog\.sqlite is unreadable .*Run `motorlab catalog rebuild`"):
        assert len(find_models(results)) == 8


# --- item 13: a truncated model file --------------------------------------------------------

def test_item13_a_truncated_model_file_is_named_and_called_truncated(tmp_path):
    hps = train_defaults()
    hps["model"].update(hidden_size=4, n_replicates=2)
    path = tmp_path / "m.eqx"
    save_model_file(path, make_ensemble(hps, make_keys(0)[0]), hps, {"included": [True, True]})
    path.write_bytes(path.read_bytes()[:-64])
    with pytest.raises(ValueError, match=r"m\.eqx: truncated or corrupt model file") as info:
        load_model_file(path)
    assert "TreePathError" not in type(info.value).__name__


# --- item 17: a missing results directory ---------------------------------------------------

def test_item17_a_missing_results_directory_is_named(tmp_path):
    for call in (lambda: load_model(tmp_path / "nope", pert__std=1.0),
                 lambda: find_models(tmp_path / "nope"), lambda: query("figures", results_dir=tmp_path / "nope")):
        with pytest.raises(FileNotFoundError, match=r"no such results directory: '.*nope'"):
            call()


# --- item 18: temporary files left by killed writes -----------------------------------------

def test_item18_clean_lists_and_removes_stale_temporary_files(products):
    study, results = products
    stale = results / "part1" / "models" / ".abc.eqx.k2j3h4.tmp"
    fresh = results / "part1" / "models" / ".def.eqx.a8s7d6.tmp"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"being written")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    orphans, _ = find_orphans([study], results)
    temps = [o for o in orphans if o.kind == "temporary"]
    assert [o.files for o in temps] == [(stale,)] and "killed write" in temps[0].reason
    remove_orphans(temps, results)
    assert not stale.exists() and fresh.exists()


# --- item 19: model files are a pure function of their identity -----------------------------

def test_item19_identical_saves_write_identical_model_files(tmp_path, monkeypatch):
    hps = train_defaults()
    hps["model"].update(hidden_size=4, n_replicates=2)
    ensemble = make_ensemble(hps, make_keys(0)[0])
    monkeypatch.setattr(_model_files, "now", lambda: "2026-01-01T00:00:00+00:00")
    save_model_file(tmp_path / "a.eqx", ensemble, hps, {"included": [True, True]}, model_id="x")
    monkeypatch.setattr(_model_files, "now", lambda: "2027-06-01T12:00:00+00:00")
    save_model_file(tmp_path / "b.eqx", ensemble, hps, {"included": [True, True]}, model_id="x")
    assert (tmp_path / "a.eqx").read_bytes() == (tmp_path / "b.eqx").read_bytes()
    assert shutil.disk_usage(tmp_path)  # the files exist side by side
