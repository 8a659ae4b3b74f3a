"""The catalogue: one SQLite file indexing every model, evaluation and figure, folded from sidecars.

Files are the source of truth. Every product has a JSON sidecar (its kind, id, part, resolved
hyperparameters and provenance), which only the job that made the product writes, atomically.
`fold_sidecars` reads all sidecars and writes the whole catalogue into a temporary file that then
replaces the old one (`os.replace`), so one local rule, and nothing else, writes the database.
This is safe for parallel local jobs and for cluster jobs on a network filesystem, where SQLite's
locking cannot be trusted: jobs never touch the database.

Tables (every table has the fixed columns listed; hyperparameters are also flattened into one
column each, named by their key path joined with `__`, e.g. `pert__std`; list values are JSON):

* `models`: id, part, path, history_path (its `_history.npz`, null if the sidecar has none),
  sidecar, created, git_commit, versions, replicates, n_included, hps
* `evaluations`: id, part, analysis, variant, path, paths (every file of the evaluation: its
  states and the tables its analysis declares; the sidecar is its `manifest.json`), sidecar, created, git_commit, versions, model_ids, hps
* `figures`: id, part, analysis, figure, plot_id (the SPEC plot id; null where there is none or
  the sidecar predates it), paths, sidecar, created, git_commit, versions, eval_ids, model_ids,
  params, hps (flattened columns from hps, then params: `compare` and `varying` list the group's
  compared keys and the hyperparameters varying within the figure set)
* `evaluation_models` (evaluation_id, model_id), `figure_evaluations` (figure_id,
  evaluation_id), `figure_models` (figure_id, model_id): the many-to-many links
* `catalog_info` (key, value): when and from where it was folded.
"""

import datetime
import fcntl
import hashlib
import json
import os
import sqlite3
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ._model_files import current_umask, write_json
from ._paths import CATALOG
from ..config._load import flatten

CATALOG_NAME = CATALOG
KINDS = ("model", "evaluation", "figure")
TABLES = {"model": "models", "evaluation": "evaluations", "figure": "figures"}
_COMMON = ("kind", "id", "part", "hps", "created", "versions", "git_commit")
_REQUIRED = {
    "model": _COMMON + ("path", "replicates"),
    "evaluation": _COMMON + ("path", "model_ids", "analysis", "variant"),
    "figure": _COMMON + ("paths", "eval_ids", "model_ids", "figure", "params"),
}
_FIXED = {
    "models": ("id", "part", "path", "history_path", "sidecar", "created", "git_commit", "versions",
               "replicates", "n_included", "hps"),
    "evaluations": ("id", "part", "analysis", "variant", "path", "paths", "sidecar", "created",
                    "git_commit", "versions", "model_ids", "hps"),
    "figures": ("id", "part", "analysis", "figure", "plot_id", "paths", "sidecar", "created", "git_commit",
                "versions", "eval_ids", "model_ids", "params", "hps"),
}
_JSON_COLUMNS = {"versions", "replicates", "hps", "model_ids", "eval_ids", "paths", "params"}
_LINKS = {
    "evaluation_models": ("evaluation_id", "model_id", "evaluations", "model_ids"),
    "figure_evaluations": ("figure_id", "evaluation_id", "figures", "eval_ids"),
    "figure_models": ("figure_id", "model_id", "figures", "model_ids"),
}


class CatalogError(ValueError):
    """A sidecar that cannot be read or lacks a field; the message names the file."""


# --- sidecars --------------------------------------------------------------------------------

def check_sidecar(record: Mapping[str, Any], where: str = "sidecar") -> None:
    """Raise CatalogError unless `record` has the fields its kind needs (see module docstring)."""
    kind = record.get("kind")
    if kind not in KINDS:
        raise CatalogError(f"{where}: 'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
    missing = [f for f in _REQUIRED[kind] if f not in record]
    if missing:
        raise CatalogError(f"{where}: a {kind} sidecar needs {', '.join(missing)}")
    if not isinstance(record["id"], str) or not record["id"]:
        raise CatalogError(f"{where}: 'id' must be a non-empty string, got {record['id']!r}")


def write_sidecar(path: str | Path, record: Mapping[str, Any]) -> Path:
    """Check a product's sidecar and write it atomically (`_io.write_json`: a temporary file in
    the same directory, then `os.replace`), so that a concurrent fold sees all of it or none.

    Arguments:
        path: the sidecar path (`<id>.json` next to a model or evaluation, `<figure stem>.json`).
        record: the sidecar fields (see the module docstring; `_io.provenance()` gives `created`,
            `versions` and `git_commit`); numpy values are converted.

    Returns:
        The path written.
    """
    path = Path(path)
    check_sidecar(record, str(path))
    write_json(path, record)
    return path


def scan_sidecars(results_dir: str | Path) -> tuple[dict[str, list[dict]], list[str], list[tuple[Path, str]]]:
    """Every readable sidecar under `results_dir`, by kind, each with `sidecar` (its path relative
    to the parent of `results_dir`) added. JSON files without a sidecar `kind` are not sidecars.

    Returns:
        `(records, notices, corrupt)`: when one id has several sidecars the newest (`created`) is
        kept and a notice says so; `corrupt` lists `(path, why)` for each sidecar that is not
        valid JSON or lacks a field, which is skipped.
    """
    results_dir = Path(results_dir)
    base = results_dir.parent
    records: dict[str, dict[str, dict]] = {k: {} for k in KINDS}
    notices: list[str] = []
    corrupt: list[tuple[Path, str]] = []
    for file in sorted(_json_files(results_dir)):
        try:
            data = json.loads(file.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            corrupt.append((file, f"not readable JSON ({e}); truncated or corrupt"))
            continue
        if not isinstance(data, dict) or data.get("kind") not in KINDS:
            continue
        try:
            check_sidecar(data, str(file))
        except CatalogError as e:
            corrupt.append((file, str(e).removeprefix(f"{file}: ")))
            continue
        data["sidecar"] = os.path.relpath(file, base)
        seen = records[data["kind"]]
        old = seen.get(data["id"])
        if old is not None:
            keep, drop = (data, old) if str(data["created"]) >= str(old["created"]) else (old, data)
            notices.append(f"{data['kind']} {data['id']} has two sidecars; keeping {keep['sidecar']}, "
                           f"ignoring {drop['sidecar']}")
            data = keep
        seen[data["id"]] = data
    return {k: list(v.values()) for k, v in records.items()}, notices, corrupt


def read_sidecars(results_dir: str | Path) -> tuple[dict[str, list[dict]], list[str]]:
    """`scan_sidecars`, with each corrupt sidecar skipped and reported by path (a warning and a
    notice): one bad file never hides the other products.

    Returns:
        `(records, notices)`.
    """
    records, notices, corrupt = scan_sidecars(results_dir)
    for file, why in corrupt:
        message = f"skipped corrupt sidecar {file}: {why} (`motorlab clean` lists it)"
        warnings.warn(message, stacklevel=2)
        notices.append(message)
    return records, notices


PLOTLY_JSON_SUFFIX = ".plotly.json"  # a figure's Plotly JSON (megabytes), never a sidecar


def _is_sidecar_name(name: str) -> bool:
    return name.endswith(".json") and not name.startswith(".") and not name.endswith(PLOTLY_JSON_SUFFIX)


def _json_files(results_dir: Path) -> Iterable[Path]:
    for root, dirs, files in os.walk(results_dir):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if _is_sidecar_name(name):
                yield Path(root, name)


# --- the database ----------------------------------------------------------------------------

def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, bool):
        return int(value)
    return value


def flat_columns(tree: Mapping[str, Any]) -> dict[str, Any]:
    """A tree's leaves keyed by their path joined with `__` (the catalogue's column names)."""
    return flatten(tree, sep="__")


def _row(table: str, record: Mapping[str, Any]) -> dict[str, Any]:
    row = {c: record.get(c) for c in _FIXED[table]}
    if table == "models":
        included = (record.get("replicates") or {}).get("included")
        row["n_included"] = sum(bool(x) for x in included) if isinstance(included, list) else None
    flat = flat_columns(record.get("hps") or {})
    if table == "figures":
        flat.update(flat_columns(record.get("params") or {}))
    for column, value in flat.items():
        if column not in row:  # a fixed column (e.g. `part`) wins over a hyperparameter
            row[column] = value
    return {c: _cell(v) for c, v in row.items()}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _create_and_fill(conn: sqlite3.Connection, records: Mapping[str, list[dict]], source: str,
                     fingerprint: str | None = None) -> None:
    for kind, table in TABLES.items():
        rows = [_row(table, r) for r in records.get(kind, [])]
        columns = list(_FIXED[table])
        columns += sorted({c for row in rows for c in row} - set(columns))
        defs = ", ".join(_quote(c) + (" TEXT PRIMARY KEY" if c == "id" else "") for c in columns)
        conn.execute(f"CREATE TABLE {table} ({defs})")
        placeholders = ", ".join("?" for _ in columns)
        conn.executemany(f"INSERT INTO {table} ({', '.join(map(_quote, columns))}) VALUES ({placeholders})",
                         [[row.get(c) for c in columns] for row in rows])
    for link, (left, right, table, field) in _LINKS.items():
        conn.execute(f"CREATE TABLE {link} ({left} TEXT, {right} TEXT, PRIMARY KEY ({left}, {right}))")
        conn.execute(f"CREATE INDEX {link}_{right} ON {link} ({right})")
        kind = next(k for k, t in TABLES.items() if t == table)
        conn.executemany(f"INSERT OR IGNORE INTO {link} VALUES (?, ?)",
                         [(r["id"], other) for r in records.get(kind, []) for other in r.get(field) or []])
    conn.execute("CREATE TABLE catalog_info (key TEXT PRIMARY KEY, value TEXT)")
    conn.executemany("INSERT INTO catalog_info VALUES (?, ?)", [
        ("folded_at", datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")),
        ("results_dir", source),
        *([("sidecars", fingerprint)] if fingerprint is not None else []),
    ])
    conn.commit()


def sidecar_fingerprint(results_dir: str | Path) -> str:
    """`"<count>:<sha256>"` of the JSON files under `results_dir` (relative path, size, mtime in
    ns): what a catalogue was folded from. A catalogue whose fingerprint differs from the
    sidecars' now is stale, however new its file is."""
    results_dir = Path(results_dir)
    digest, n = hashlib.sha256(), 0
    for file in sorted(_json_files(results_dir)):
        try:
            st = file.stat()
        except OSError:
            continue  # removed while listing
        digest.update(f"{file.relative_to(results_dir)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        n += 1
    return f"{n}:{digest.hexdigest()}"


@contextmanager
def catalog_lock(db_path: str | Path) -> Iterator[None]:
    """Hold the catalogue's lock (`<db without suffix>.lock`, an exclusive `flock`) while folding:
    the workflow's part rule, `catalog rebuild` and `clean --yes` take it in turn, so an older
    fold never replaces a newer one."""
    lock = Path(db_path).with_suffix(".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def fold_sidecars(results_dir: str | Path, db_path: str | Path | None = None) -> dict[str, Any]:
    """Rebuild the catalogue from every sidecar under `results_dir`.

    Reads sidecars only, builds the database in a temporary file next to `db_path` and moves it
    into place with `os.replace`: readers see the old or the new catalogue, never a partial one,
    and concurrent folds cannot corrupt it.

    Arguments:
        results_dir: directory searched (recursively) for sidecars.
        db_path: the catalogue file; default `<results_dir>/catalog.sqlite`.

    Returns:
        `{"db": path, "models": n, "evaluations": n, "figures": n, "notices": [...]}`.
    """
    results_dir = Path(results_dir)
    db_path = Path(db_path) if db_path is not None else results_dir / CATALOG_NAME
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with catalog_lock(db_path):
        fingerprint = sidecar_fingerprint(results_dir)  # before reading: a later sidecar makes it stale
        records, notices = read_sidecars(results_dir)
        fd, tmp_name = tempfile.mkstemp(dir=db_path.parent, prefix=f".{db_path.name}.", suffix=".tmp")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            conn = sqlite3.connect(tmp)
            try:
                _create_and_fill(conn, records, str(results_dir), fingerprint)
            finally:
                conn.close()
            os.chmod(tmp, 0o666 & ~current_umask())
            os.replace(tmp, db_path)
            os.utime(db_path)  # newer than the directory entry the rename just changed
        finally:
            tmp.unlink(missing_ok=True)
    return {"db": db_path, **{TABLES[k]: len(v) for k, v in records.items()}, "notices": notices}


def _newest_change(results_dir: Path) -> float:
    newest = results_dir.stat().st_mtime
    for root, dirs, files in os.walk(results_dir):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for d in dirs:
            newest = max(newest, os.stat(os.path.join(root, d)).st_mtime)
        for name in files:
            if _is_sidecar_name(name):
                newest = max(newest, os.stat(os.path.join(root, name)).st_mtime)
    return newest


def open_catalog(results_dir: str | Path, db_path: str | Path | None = None) -> sqlite3.Connection:
    """A read connection to the catalogue of `results_dir`.

    The catalogue file is used if it was folded from the sidecars there now (its recorded
    `sidecar_fingerprint` matches; a catalogue without one must be at least as new as every
    sidecar and directory); otherwise (missing, stale or unreadable) the sidecars are folded into
    an in-memory database, so a query never misses a finished product and never writes a file.
    An unreadable catalogue file is reported (a warning saying to run `motorlab catalog rebuild`).
    """
    results_dir = Path(results_dir)
    db_path = Path(db_path) if db_path is not None else results_dir / CATALOG_NAME
    if db_path.exists():
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            info = dict(conn.execute("SELECT key, value FROM catalog_info").fetchall())
            if not results_dir.exists():
                fresh = True
            elif "sidecars" in info:
                fresh = info["sidecars"] == sidecar_fingerprint(results_dir)
            else:
                fresh = db_path.stat().st_mtime >= _newest_change(results_dir)
        except sqlite3.DatabaseError as e:
            warnings.warn(f"catalogue {db_path} is unreadable ({e}); reading the sidecars instead. "
                          f"Run `motorlab catalog rebuild` to rewrite it.", stacklevel=2)
            fresh = False
        if fresh:
            conn.row_factory = sqlite3.Row
            return conn
        conn.close()
    records, _ = read_sidecars(results_dir) if results_dir.exists() else ({}, [])
    conn = sqlite3.connect(":memory:")
    _create_and_fill(conn, records, str(results_dir))
    conn.row_factory = sqlite3.Row
    return conn


def read_table(conn: sqlite3.Connection, table: str) -> list[dict[str, Any]]:
    """All rows of a catalogue table as dicts, JSON columns decoded."""
    if table not in _FIXED and table not in _LINKS:
        raise ValueError(f"no catalogue table {table!r}; tables are {', '.join([*_FIXED, *_LINKS])}")
    rows = []
    for row in conn.execute(f"SELECT * FROM {table}"):
        d = dict(row)
        for c in _JSON_COLUMNS & d.keys():
            if isinstance(d[c], str):
                d[c] = json.loads(d[c])
        rows.append(d)
    return rows


def resolve_path(path: str | None, sidecar: str | None, results_dir: str | Path) -> Path | None:
    """Where a product file recorded as `path` is: as written (absolute, or relative to the parent
    of `results_dir`, the working directory of the workflow), else next to its sidecar."""
    if not path:
        return None
    base = Path(results_dir).parent
    candidates = [Path(path)] if Path(path).is_absolute() else [base / path, Path(path)]
    if sidecar:
        candidates.append((base / sidecar).parent / Path(path).name)
    return next((c for c in candidates if c.exists()), candidates[0])
