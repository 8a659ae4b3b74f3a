"""Orphans: products that the study config no longer asks for, and what depends on them.

Identities are content hashes, so changing a hyperparameter makes new products and leaves the
old ones in place. `find_orphans` lists, from the sidecars:

* models whose id the study no longer produces, and models whose file is gone;
* evaluations the study no longer produces, or whose model is orphaned or gone (a model is gone
  when its file is missing, or when it has no sidecar at all, e.g. all its files were deleted);
* figures whose evaluations the study no longer produces, or whose models are orphaned or gone;
* catalogue records that no sidecar backs any more (the catalogue is refolded after removal);
* corrupt sidecars (not readable JSON, or lacking a field), which every reader skips;
* temporary files (`.<name>.<random>.tmp`) that a write killed before its rename left behind,
  once untouched for `STALE_TMP_S` (a live write renames its file within seconds).

For each orphan it lists the sidecar, the product file(s) and the files next to them named after
the product (`<id>*`, or `<figure stem>.*`). Files without a sidecar are never touched.
"""

import dataclasses
import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from ._catalog import CATALOG_NAME, TABLES, fold_sidecars, read_table, resolve_path, scan_sidecars
from ..config._study import Study


@dataclasses.dataclass(frozen=True)
class Orphan:
    """One orphaned product: its kind, id, why, and the files that removing it deletes."""

    kind: str
    id: str
    reason: str
    files: tuple[Path, ...]


def _companions(directory: Path, prefix: str) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_file() and p.name.startswith(prefix))


def _files(record: dict, results_dir: Path, prefix: str) -> tuple[Path, ...]:
    base = results_dir.parent
    sidecar = base / record["sidecar"]
    found = {sidecar, *_companions(sidecar.parent, prefix)}
    for p in record.get("paths") or [record.get("path")]:
        path = resolve_path(p, record["sidecar"], results_dir)
        if path is not None and path.exists():
            found.add(path)
            found.update(_companions(path.parent, prefix))
    return tuple(sorted(found))


def find_orphans(studies: Iterable[Study], results_dir: str | Path) -> tuple[list[Orphan], list[str]]:
    """The orphans under `results_dir` with respect to `studies` (a product is kept if any of the
    studies produces it).

    Returns:
        `(orphans, stale_records)`: the orphaned products, and `"<table> <id>"` for each record of
        the catalogue file that no sidecar backs any more.
    """
    results_dir = Path(results_dir)
    studies = list(studies)
    wanted_models = {m for s in studies for m in s.all_models()}
    wanted_evals = {e.eval_id for s in studies for part in s.parts for a in s.analyses(part)
                    for e in s.evaluations(part, a)}
    records, _, corrupt = scan_sidecars(results_dir) if results_dir.exists() else ({k: [] for k in TABLES}, [], [])
    orphans: list[Orphan] = [Orphan("corrupt", str(f), f"corrupt sidecar: {why}", (f,)) for f, why in corrupt]
    orphans += stale_temporaries(results_dir)
    gone_models: set[str] = set()
    for r in records["model"]:
        path = resolve_path(r["path"], r["sidecar"], results_dir)
        if r["id"] not in wanted_models:
            reason = "not produced by the config"
        elif path is None or not path.exists():
            reason = f"model file {r['path']} is missing"
        else:
            continue
        gone_models.add(r["id"])
        orphans.append(Orphan("model", r["id"], reason, _files(r, results_dir, r["id"])))
    known_models = {r["id"] for r in records["model"]}
    gone_models |= {m for kind in ("evaluation", "figure") for r in records[kind]
                    for m in r["model_ids"] if m not in known_models}
    gone_evals: set[str] = set()
    for r in records["evaluation"]:
        dead = sorted(set(r["model_ids"]) & gone_models)
        missing = missing_files(r, results_dir)
        if r["id"] not in wanted_evals:
            reason = "not produced by the config"
        elif dead:
            reason = f"its model {', '.join(dead)} is orphaned or missing"
        elif missing:
            reason = f"file {missing[0]} is missing"
        else:
            continue
        gone_evals.add(r["id"])
        orphans.append(Orphan("evaluation", r["id"], reason, _files(r, results_dir, r["id"])))
    for r in records["figure"]:
        dead_models = sorted(set(r["model_ids"]) & gone_models)
        dead_evals = sorted(set(r["eval_ids"]) - (wanted_evals - gone_evals))
        if dead_models:
            reason = f"its model {', '.join(dead_models)} is orphaned or missing"
        elif dead_evals:
            reason = f"its evaluation {', '.join(dead_evals)} is not produced by the config"
        elif missing_files(r, results_dir):
            reason = f"file {missing_files(r, results_dir)[0]} is missing"
        else:
            continue
        stem = Path(r["sidecar"]).stem + "."
        orphans.append(Orphan("figure", r["id"], reason, _files(r, results_dir, stem)))
    return orphans, _stale_records(records, results_dir / CATALOG_NAME)


STALE_TMP_S = 3600.0


def stale_temporaries(results_dir: Path, older_than_s: float = STALE_TMP_S) -> list[Orphan]:
    """Temporary files of atomic writes (`.<name>.<random>.tmp`) untouched for `older_than_s`."""
    out, now = [], time.time()
    for root, _, files in os.walk(results_dir):
        for name in files:
            path = Path(root, name)
            if name.startswith(".") and name.endswith(".tmp"):
                try:
                    age = now - path.stat().st_mtime
                except OSError:
                    continue
                if age >= older_than_s:
                    out.append(Orphan("temporary", str(path), f"left by a killed write ({age / 3600:.1f} h old)",
                                      (path,)))
    return sorted(out, key=lambda o: o.id)


def missing_files(record: dict, results_dir: Path) -> list[str]:
    """The product files a sidecar names that do not exist."""
    named = record.get("paths") or [record.get("path")]
    return [p for p in named if p and not resolve_path(p, record["sidecar"], results_dir).exists()]


def _stale_records(records: dict[str, list[dict]], db_path: Path) -> list[str]:
    if not db_path.exists():
        return []
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        stale = []
        for kind, table in TABLES.items():
            live = {r["id"] for r in records[kind]}
            stale += [f"{table} {row['id']}" for row in read_table(conn, table) if row["id"] not in live]
    except sqlite3.Error as e:
        stale = [f"catalogue {db_path} is unreadable ({e})"]
    finally:
        conn.close()
    return stale


def remove_orphans(orphans: Iterable[Orphan], results_dir: str | Path) -> list[Path]:
    """Delete the orphans' files, then refold the catalogue if there is one.

    Returns:
        The files deleted.
    """
    results_dir = Path(results_dir)
    removed = []
    for orphan in orphans:
        for f in orphan.files:
            if f.exists():
                f.unlink()
                removed.append(f)
                # an evaluation's own folder (`store.paths.evaluation_dir`) goes with its last file
                if f.parent != results_dir and not any(f.parent.iterdir()):
                    f.parent.rmdir()
    if (results_dir / CATALOG_NAME).exists():
        fold_sidecars(results_dir)
    return removed
