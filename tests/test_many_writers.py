"""Issue 15 item 22: many writers. Three writers register products at once, two in their own
results folders and one in a folder it shares with another, while the catalogue is rebuilt
(`motorlab catalog rebuild`, under the catalogue lock) and queried in between. No product and no
catalogue row is lost, and each catalogue equals a fresh rebuild at the end.

The writers do what a workflow's jobs and its part rule do (write a product file and its sidecar
atomically, then fold under the lock) without Snakemake, so that the test takes seconds."""

import multiprocessing
import sqlite3
import warnings
from pathlib import Path

from test_catalog import model_record

from motorlab.cli import main
from motorlab.store import find_models, fold_sidecars, write_sidecar

N_PER_WRITER = 40


def _workflow(results: str, tag: str) -> None:
    """One workflow: train N models (a file and a sidecar each), folding after every 10 (the part rule)."""
    models = Path(results) / "part1" / "models"
    models.mkdir(parents=True, exist_ok=True)
    for i in range(N_PER_WRITER):
        mid = f"{tag}{i:03d}"
        (models / f"{mid}.eqx").write_bytes(b"weights")
        write_sidecar(models / f"{mid}.json",
                      model_record(mid, {"tag": tag, "i": i}, f"{Path(results).name}/part1/models/{mid}.eqx"))
        if i % 10 == 9:
            fold_sidecars(results)


def _rows(db: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(db) as conn:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall())  # noqa: S608 - fixed names
                for t in ("models", "evaluations", "figures", "evaluation_models")}


def test_item22_many_writers_lose_no_product_and_no_catalogue_row(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    own_a, own_b, shared = (str(tmp_path / n) for n in ("results_a", "results_b", "results_shared"))
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["motorlab.store"])
    jobs = [ctx.Process(target=_workflow, args=args) for args in
            ((own_a, "a"), (own_b, "b"), (shared, "s"), (shared, "t"))]
    for j in jobs:
        j.start()
    seen = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a query may meet a product whose file is not yet there
        while any(j.is_alive() for j in jobs):
            for results in (own_a, own_b, shared):
                if Path(results).is_dir():
                    assert main(["catalog", "rebuild", "--results", results]) == 0
                    seen = max(seen, len(find_models(results)))
    for j in jobs:
        j.join(120)
        assert j.exitcode == 0
    assert seen > 0
    want = {own_a: {"a"}, own_b: {"b"}, shared: {"s", "t"}}
    for results, tags in want.items():
        ids = set(find_models(results)["id"])
        assert ids == {f"{t}{i:03d}" for t in tags for i in range(N_PER_WRITER)}, results
        db = Path(results) / "catalog.sqlite"
        kept = _rows(db)
        fold_sidecars(results, tmp_path / "fresh.sqlite")
        fresh = _rows(tmp_path / "fresh.sqlite")
        # the catalogue equals a fresh rebuild (the `sidecar` paths are the same files)
        assert kept == fresh, results
