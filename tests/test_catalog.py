"""The catalogue: sidecars, folding, SQL, parallel registration, finding and cleaning."""

import json
import multiprocessing
import os
import re
import sqlite3
import sys
import time
import types
from pathlib import Path

import pytest

from motorlab.store import (
    CatalogError,
    check_sidecar,
    fold_sidecars,
    open_catalog,
    read_catalog_table,
    read_sidecars,
    write_sidecar,
)
from motorlab.store import paths as product_paths
from motorlab.store import provenance
from motorlab.store import find_orphans, remove_orphans
from motorlab.store import export_figures, find_models, load_model, query
from motorlab.config import load_study

STUDY = {
    "part1": {
        "train": {"model.feedback_delay_steps": [0, 2],
                  "cases": [{"pert.type": "curl", "pert.std": [0.0, 1.0]},
                            {"pert.type": "constant", "pert.std": [0.0, 0.1]}]},
        "analyses": {"plant_perts": {}},
    },
}


def model_record(mid, hps, path, part="part1", history_path=None):
    record = {"kind": "model", "id": mid, "part": part, "hps": hps, **provenance(), "path": str(path),
              "replicates": {"best_iteration": [10, 20], "included": [True, False],
                             "excluded_reason": [None, "loss > best + 2 std"]}}
    if history_path is not None:
        record["history_path"] = str(history_path)
    return record


def make_products(root: Path, study, figures=True):
    """Write model files, evaluation files and figure files of `study` with their sidecars under
    root/results, as the workflow would (paths relative to root)."""
    results = root / "results"
    for part in study.parts:
        for mid, hps in study.models(part).items():
            model = results / part / "models" / f"{mid}.eqx"
            model.parent.mkdir(parents=True, exist_ok=True)
            model.write_bytes(b"weights")
            history = model.parent / f"{mid}_history.npz"
            history.write_bytes(b"history")
            write_sidecar(model.with_suffix(".json"), model_record(mid, hps, model.relative_to(root), part,
                                                                   history.relative_to(root)))
        for analysis in study.analyses(part):
            for e in study.evaluations(part, analysis):
                path = Path(product_paths.states(part, analysis, e.eval_id, str(results)))
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"states")
                write_sidecar(product_paths.manifest(part, analysis, e.eval_id, str(results)), {
                    "kind": "evaluation", "id": e.eval_id, "part": part, "hps": e.hps, **provenance(),
                    "path": str(path.relative_to(root)), "model_ids": [e.model_id], "analysis": analysis,
                    "variant": e.variant})
            if not figures:
                continue
            for g in study.figure_groups(part, analysis):
                for amp in (0.0, 2.0):
                    stem = f"profiles_{g.label}_{g.group_id[:8]}_amp-{amp}"
                    d = Path(product_paths.figure_dir(
                        part, analysis, product_paths.group_dir_name(g.label, g.variant, g.group_id), str(results)))
                    d.mkdir(parents=True, exist_ok=True)
                    paths = []
                    for ext in (".html", ".png"):
                        (d / f"{stem}{ext}").write_text(f"figure {stem}")
                        paths.append(str((d / f"{stem}{ext}").relative_to(root)))
                    write_sidecar(d / f"{stem}.json", {
                        "kind": "figure", "id": f"{g.group_id}{int(amp)}", "part": part, "analysis": analysis,
                        "hps": {"variant": g.variant}, **provenance(), "paths": paths,
                        "eval_ids": [m.eval_id for m in g.members],
                        "model_ids": [m.model_id for m in g.members], "figure": "velocity/profiles",
                        "params": {"pert_amp": amp, "sisu": 2.0 if amp else 0.0}})
    return results


@pytest.fixture
def products(tmp_path):
    study = load_study(STUDY)
    return study, make_products(tmp_path, study)


# --- sidecars ------------------------------------------------------------------------------------

def test_write_sidecar_checks_fields_and_writes_atomically(tmp_path):
    rec = model_record("m1", {"pert": {"std": 1.0}}, "m1.eqx")
    path = write_sidecar(tmp_path / "a" / "m1.json", rec)
    assert json.loads(path.read_text())["hps"] == {"pert": {"std": 1.0}}
    assert [p.name for p in path.parent.iterdir()] == ["m1.json"]  # no temporary left behind
    with pytest.raises(CatalogError, match="a model sidecar needs replicates"):
        write_sidecar(tmp_path / "b.json", {k: v for k, v in rec.items() if k != "replicates"})
    with pytest.raises(CatalogError, match="'kind' must be one of model, evaluation, figure, got 'modle'"):
        check_sidecar({**rec, "kind": "modle"})


def test_read_sidecars_ignores_other_json_and_reports_broken_files(tmp_path):
    results = tmp_path / "results"
    write_sidecar(results / "m1.json", model_record("m1", {}, "m1.eqx"))
    (results / "figure.plotly.json").write_text(json.dumps({"data": [], "layout": {}}))
    (results / "group.json").write_text(json.dumps({"kind": "figure_set", "id": "g1"}))
    records, notices = read_sidecars(results)
    assert [r["id"] for r in records["model"]] == ["m1"] and not notices
    assert records["model"][0]["sidecar"] == "results/m1.json"
    (results / "broken.json").write_text('{"kind": "model", "id"')
    # a broken sidecar is reported by path and skipped; the others are still read (issue 15 item 11)
    with pytest.warns(UserWarning, match=r"skipped corrupt sidecar .*broken.json: not readable JSON"):
        records, notices = read_sidecars(results)
    assert [r["id"] for r in records["model"]] == ["m1"] and "broken.json" in notices[0]


def test_duplicate_ids_keep_the_newest_sidecar(tmp_path):
    results = tmp_path / "results"
    old = {**model_record("m1", {"v": 1}, "a/m1.eqx"), "created": "2024-01-01T00:00:00+00:00"}
    new = {**model_record("m1", {"v": 2}, "b/m1.eqx"), "created": "2025-01-01T00:00:00+00:00"}
    write_sidecar(results / "b" / "m1.json", new)
    write_sidecar(results / "a" / "m1.json", old)
    records, notices = read_sidecars(results)
    assert [r["hps"] for r in records["model"]] == [{"v": 2}]
    assert notices == ["model m1 has two sidecars; keeping results/b/m1.json, ignoring results/a/m1.json"]


# --- folding and SQL --------------------------------------------------------------------------------

def test_fold_builds_tables_with_flattened_hyperparameters(products):
    study, results = products
    summary = fold_sidecars(results)
    n_evals = len(study.evaluations("part1", "plant_perts"))
    assert summary["models"] == 8 and summary["evaluations"] == n_evals
    assert summary["figures"] == 2 * len(study.figure_groups("part1", "plant_perts"))
    db = results / "catalog.sqlite"
    assert summary["db"] == db
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT id, pert__std, n_included FROM models WHERE pert__type = 'curl' "
                        "AND model__feedback_delay_steps = 2 ORDER BY pert__std").fetchall()
    curl2 = [(m, h["pert"]["std"]) for m, h in study.models("part1").items()
             if h["pert"]["type"] == "curl" and h["model"]["feedback_delay_steps"] == 2]
    assert [(r[0], r[1]) for r in rows] == curl2 and {r[2] for r in rows} == {1}
    assert json.loads(conn.execute("SELECT plant__workspace FROM models LIMIT 1").fetchone()[0]) == [
        [-1.0, -1.0], [1.0, 1.0]]
    # the linking table: evaluations of one model
    mid = curl2[0][0]
    evals = conn.execute("SELECT e.id, e.variant FROM evaluations e JOIN evaluation_models em "
                         "ON em.evaluation_id = e.id WHERE em.model_id = ?", (mid,)).fetchall()
    assert sorted(v for _, v in evals) == ["full", "small"]
    # figures of curl-trained models at sigma 1.0 and SISU 2, through the links
    figs = conn.execute("SELECT DISTINCT f.id FROM figures f JOIN figure_models fm ON fm.figure_id = f.id "
                        "JOIN models m ON m.id = fm.model_id WHERE m.pert__type = 'curl' AND m.pert__std = 1.0 "
                        "AND f.sisu = 2").fetchall()
    assert len(figs) == 4  # (delay 0, 2) x (full, small), the amp-2 figure of each
    assert conn.execute("SELECT json_extract(hps, '$.train.learning_rate') FROM models LIMIT 1").fetchone() == (0.01,)
    conn.close()


def test_models_table_keeps_the_history_path(products, tmp_path):
    study, results = products
    fold_sidecars(results)
    rows = read_catalog_table(open_catalog(results), "models")
    assert {r["id"]: r["history_path"] for r in rows} == {
        mid: f"results/part1/models/{mid}_history.npz" for mid in study.models("part1")}
    # a sidecar without one (older models) folds to a null
    write_sidecar(tmp_path / "other" / "m1.json", model_record("m1", {"pert": {"std": 1.0}}, "m1.eqx"))
    fold_sidecars(tmp_path / "other")
    (row,) = read_catalog_table(open_catalog(tmp_path / "other"), "models")
    assert "history_path" in row and row["history_path"] is None


def test_every_workflow_rule_declares_its_threads():
    """Snakemake's core accounting (and the profiles' set-threads) need every rule's threads,
    the local catalogue rule `part_all` included."""
    rules_dir = Path(__file__).resolve().parents[1] / "workflow" / "rules"
    found = {}
    for smk in sorted(rules_dir.glob("*.smk")):
        blocks = re.split(r"^rule (\w+):\s*$", smk.read_text(), flags=re.M)
        for name, body in zip(blocks[1::2], blocks[2::2]):
            found[name] = re.search(r"^    threads: *\d+\s*$", body, flags=re.M) is not None
    assert "part_all" in found and len(found) > 3
    assert [name for name, ok in found.items() if not ok] == []


def test_fold_is_a_pure_function_of_the_sidecars(products):
    _, results = products
    fold_sidecars(results)
    first = {t: sorted(r["id"] for r in read_catalog_table(open_catalog(results), t)) for t in ("models", "figures")}
    (results / "catalog.sqlite").unlink()
    fold_sidecars(results, results / "catalog.sqlite")
    again = {t: sorted(r["id"] for r in read_catalog_table(open_catalog(results), t)) for t in ("models", "figures")}
    assert again == first
    leftovers = [p.name for p in results.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_open_catalog_reads_sidecars_when_the_file_is_stale(products):
    study, results = products
    fold_sidecars(results)
    conn = open_catalog(results)
    assert len(read_catalog_table(conn, "models")) == 8
    conn.close()
    time.sleep(0.01)
    write_sidecar(results / "part1" / "models" / "extra.json", model_record("extra", {"x": 1}, "extra.eqx"))
    conn = open_catalog(results)
    assert len(read_catalog_table(conn, "models")) == 9
    conn.close()
    (results / "part1" / "models" / "extra.json").unlink()  # a deletion is a change too
    os.utime(results / "catalog.sqlite", (time.time() - 60, time.time() - 60))
    conn = open_catalog(results)
    assert len(read_catalog_table(conn, "models")) == 8
    conn.close()


def _fold_many(results, n):
    """Fold repeatedly; each fold must see only complete sidecars."""
    for _ in range(n):
        fold_sidecars(results)


def test_parallel_jobs_writing_sidecars_lose_no_record(tmp_path):
    results = tmp_path / "results"
    n_jobs, per_job = 8, 30
    tasks = [(results / f"part{1 + j % 2}" / "models" / f"m{j}_{i}.json",
              model_record(f"m{j}_{i}", {"job": j, "i": i, "pert": {"std": i / 10}}, f"m{j}_{i}.eqx"))
             for j in range(n_jobs) for i in range(per_job)]
    # A fork server imports motorlab once and forks the 8 jobs from it (each spawned job would
    # import JAX again); forking the test process itself is unsafe once JAX has started threads.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["motorlab.store"])
    with ctx.Pool(n_jobs) as pool:
        writes = pool.starmap_async(write_sidecar, tasks, chunksize=per_job)
        folder = ctx.Process(target=_fold_many, args=(results, 20))
        folder.start()
        while not writes.ready():  # the local catalogue rule folding while jobs still write
            fold_sidecars(results)
        writes.get(timeout=120)
        folder.join(timeout=120)
    assert folder.exitcode == 0
    summary = fold_sidecars(results)
    assert summary["models"] == n_jobs * per_job
    ids = {r["id"] for r in read_catalog_table(open_catalog(results), "models")}
    assert ids == {f"m{j}_{i}" for j in range(n_jobs) for i in range(per_job)}


# --- finding ---------------------------------------------------------------------------------------

def test_find_models_filters_like_the_config(products):
    study, results = products
    frame = find_models(results, pert__type="curl", **{"model.feedback_delay_steps": [2]})
    assert len(frame) == 2 and set(frame["pert__std"]) == {0.0, 1.0}
    assert set(frame.columns) >= {"id", "part", "path", "n_included", "hps", "pert__std"}
    assert len(find_models(results, pert__std=1)) == 2
    assert len(find_models(results)) == 8
    with pytest.raises(KeyError, match="did you mean 'pert.std'"):
        find_models(results, pert__sdt=1.0)


def test_load_model_loads_the_unique_match_or_explains_the_ambiguity(products, monkeypatch):
    study, results = products
    calls = []
    fake = types.ModuleType("motorlab.store._model_files")
    fake.load_model_file = lambda path: calls.append(Path(path)) or ("ensemble", {"path": path})
    monkeypatch.setitem(sys.modules, "motorlab.store._model_files", fake)
    monkeypatch.chdir(results.parent.parent)  # paths resolve against results_dir, not the cwd
    ensemble, _ = load_model(results, pert__type="curl", pert__std=1.0, model__feedback_delay_steps=0)
    assert ensemble == "ensemble"
    (mid,) = [m for m, h in study.models("part1").items() if h["pert"]["type"] == "curl"
              and h["pert"]["std"] == 1.0 and h["model"]["feedback_delay_steps"] == 0]
    assert calls == [results / "part1" / "models" / f"{mid}.eqx"] and calls[0].exists()
    with pytest.raises(LookupError) as info:
        load_model(results, pert__type="curl")
    message = str(info.value)
    assert "4 models" in message and "model.feedback_delay_steps" in message and "pert.std" in message
    assert "pert.type" not in message  # the same for all matches
    assert "pert.std=1.0" in message and "model.feedback_delay_steps=2" in message
    with pytest.raises(LookupError, match="no model"):
        load_model(results, pert__std=3.0)


def test_query_evaluations_and_figures_by_model_hyperparameters(products):
    study, results = products
    evals = query("evaluations", {"model.feedback_delay_steps": 2, "variant": "small"}, results_dir=results)
    assert len(evals) == 4 and set(evals["variant"]) == {"small"}
    curl = query("evaluations", {"models.pert.type": "curl", "pert.type": "curl"}, results_dir=results)
    assert len(curl) == 8
    figs = query("figures", {"pert.type": "curl", "pert.std": 1.0, "sisu": 2}, results_dir=results)
    assert len(figs) == 4 and set(figs["pert_amp"]) == {2.0}
    sel = query("figures", {"pert_amp": lambda a: a > 1}, results_dir=results)
    assert len(sel) == len(study.figure_groups("part1", "plant_perts"))
    with pytest.raises(ValueError, match="table must be one of"):
        query("model", {}, results_dir=results)


def test_export_figures_copies_with_readable_names(products, tmp_path):
    _, results = products
    copies = export_figures(tmp_path / "out", {"pert.type": "constant", "sisu": 2, "variant": "full"},
                            results_dir=results)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(names) == 4 and len(copies) == 4  # delay 0 and 2, html and png
    assert all(n.startswith("velocity-profiles__pert_amp-2.0_sisu-2.0__") for n in names)
    assert {Path(n).suffix for n in names} == {".html", ".png"}
    assert (tmp_path / "out" / names[0]).read_text().startswith("figure profiles_constant")


# --- cleaning --------------------------------------------------------------------------------------

def test_clean_finds_products_the_config_no_longer_makes(products):
    study, results = products
    fold_sidecars(results)
    smaller = load_study({"part1": {**STUDY["part1"], "train": {
        "model.feedback_delay_steps": 0, "cases": STUDY["part1"]["train"]["cases"]}}})
    assert find_orphans([study], results) == ([], [])
    orphans, stale = find_orphans([smaller], results)
    kept = set(smaller.models("part1"))
    gone = set(study.models("part1")) - kept
    assert {o.id for o in orphans if o.kind == "model"} == gone
    assert {o.id for o in orphans if o.kind == "evaluation"} == {
        e.eval_id for e in study.evaluations("part1", "plant_perts") if e.model_id in gone}
    assert len([o for o in orphans if o.kind == "figure"]) == 8
    model_orphan = next(o for o in orphans if o.kind == "model")
    assert sorted(f.name for f in model_orphan.files) == sorted(
        f"{model_orphan.id}{s}" for s in (".eqx", ".json", "_history.npz"))
    assert all(f.exists() for o in orphans for f in o.files)  # listing removes nothing
    removed = remove_orphans(orphans, results)
    assert len(removed) == sum(len(o.files) for o in orphans)
    eval_dirs = {p.name for p in (results / "part1" / "plant_perts").iterdir()}
    assert eval_dirs == {e.eval_id for e in smaller.evaluations("part1", "plant_perts")}  # no empty folders
    assert find_orphans([smaller], results) == ([], [])
    assert {r["id"] for r in read_catalog_table(open_catalog(results), "models")} == kept


def test_clean_finds_figures_of_deleted_models_and_stale_records(products):
    study, results = products
    fold_sidecars(results)
    mid = next(iter(study.models("part1")))
    (results / "part1" / "models" / f"{mid}.eqx").unlink()
    orphans, stale = find_orphans([study], results)
    assert [(o.kind, o.reason) for o in orphans if o.kind == "model"] == [
        ("model", f"model file results/part1/models/{mid}.eqx is missing")]
    assert {o.kind for o in orphans} == {"model", "evaluation", "figure"}
    assert all(mid in o.reason for o in orphans if o.kind != "model")
    assert stale == []
    (results / "part1" / "models" / f"{mid}.json").unlink()
    orphans_without_sidecar, stale = find_orphans([study], results)
    assert stale == [f"models {mid}"]
    # A model with no file left at all: its evaluations and figures are still orphans.
    for f in (results / "part1" / "models").glob(f"{mid}*"):
        f.unlink()
    orphans_all_gone, stale = find_orphans([study], results)
    assert stale == [f"models {mid}"]
    dependants = {(o.kind, o.id, o.reason) for o in orphans if o.kind != "model"}
    assert len(dependants) > 0
    for found in (orphans_without_sidecar, orphans_all_gone):
        assert not [o for o in found if o.kind == "model"]
        assert {(o.kind, o.id, o.reason) for o in found} == dependants
    assert all(f.exists() for o in orphans_all_gone for f in o.files)
    remove_orphans(orphans_all_gone, results)
    assert find_orphans([study], results) == ([], [])


def test_plotly_json_beside_a_figure_is_never_read_as_a_sidecar(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    (results / "fig.plotly.json").write_text('{"kind": "figure", "id": "not a sidecar"}')
    (results / "broken.plotly.json").write_text("{not json")
    records, _ = read_sidecars(results)
    assert records["figure"] == []
