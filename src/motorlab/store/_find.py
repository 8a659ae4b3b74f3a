"""Finding products by their hyperparameters: `find_models`, `load_model`, `query`, `export_figures`.

Filters name keys dotted (`pert.std`) or joined by `__` (`pert__std`, usable as a Python keyword);
a list means "any of", `None` means "any", a callable is a predicate, and numbers compare as
floats (`1` matches `1.0`). In `query`, a key that an evaluation or figure does not have itself is
looked up in its models (and, for a figure, its evaluations): "figures of curl-trained models"
is `query("figures", {"pert.type": "curl"})`. A prefix `models.`, `evaluations.` or `figures.`
forces the table a key is read from.
"""

import difflib
import shutil
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ._catalog import TABLES, open_catalog, read_table, resolve_path
from ..config._identity import canonical_json
from ..config._load import flatten, split_key, train_defaults
from ..config._match import value_matches
from ..config._labels import safe_name

_VIEW_FIELDS = {
    "models": ("id", "part", "path", "created", "n_included", "git_commit"),
    "evaluations": ("id", "part", "analysis", "variant", "path", "created", "git_commit"),
    "figures": ("id", "part", "analysis", "figure", "plot_id", "created", "git_commit"),
}
_LOOKUP_ORDER = {"models": ("models",), "evaluations": ("evaluations", "models"),
                 "figures": ("figures", "evaluations", "models")}


def _normal_key(key: str) -> str:
    return ".".join(split_key(key))


def _view(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    view = {f: row.get(f) for f in _VIEW_FIELDS[table]}
    view.update(flatten(row.get("hps") or {}))
    if table == "figures":
        view.update(flatten(row.get("params") or {}))
    if row.get("part") is not None:  # the product's part ("part1"), not the hyperparameter (1)
        view["part"] = row["part"]
    return view


def _part_value(wanted: Any) -> Any:
    """`part=1`, `part="1"` and `part="part1"` all mean the product part "part1"."""
    if isinstance(wanted, (list, tuple)):
        return [_part_value(w) for w in wanted]
    if isinstance(wanted, bool) or callable(wanted) or wanted is None:
        return wanted
    if isinstance(wanted, (int, float)) and float(wanted).is_integer():
        return f"part{int(wanted)}"
    if isinstance(wanted, str) and wanted.isdigit():
        return f"part{wanted}"
    return wanted


class _Catalog:
    """The catalogue's records, with per-record key views and links, read once."""

    def __init__(self, results_dir: str | Path, db_path: str | Path | None):
        self.results_dir = Path(results_dir)
        if not self.results_dir.is_dir():
            raise FileNotFoundError(f"no such results directory: {str(results_dir)!r} (expected the folder "
                                    f"the workflow writes, e.g. 'results'; pass results_dir=)")
        conn = open_catalog(results_dir, db_path)
        try:
            self.rows = {t: self._present(read_table(conn, t)) for t in TABLES.values()}
        finally:
            conn.close()
        self.views = {t: {r["id"]: _view(t, r) for r in rows} for t, rows in self.rows.items()}

    def _present(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records whose product files all exist; the others are reported, not listed."""
        kept, gone = [], []
        for r in rows:
            named = [p for p in (r.get("paths") or [r.get("path")]) if p]
            missing = [p for p in named if not resolve_path(p, r.get("sidecar"), self.results_dir).exists()]
            (gone if missing else kept).append(r)
        if gone:
            warnings.warn(f"{len(gone)} product(s) in {self.results_dir} have a sidecar but a missing file "
                          f"(e.g. {gone[0]['id']}) and are not listed; `motorlab clean` lists them and "
                          f"the part target rebuilds them", stacklevel=3)
        return kept

    def linked(self, table: str, row: Mapping[str, Any], other: str) -> list[dict[str, Any]]:
        if table == other:
            return [self.views[table][row["id"]]]
        ids = row.get({"models": "model_ids", "evaluations": "eval_ids"}[other]) or []
        return [self.views[other][i] for i in ids if i in self.views[other]]

    def known_keys(self, tables: tuple[str, ...]) -> set[str]:
        keys = {k for t in tables for v in self.views[t].values() for k in v}
        return keys | set(flatten(train_defaults())) if "models" in tables else keys


def _matcher(cat: _Catalog, table: str, where: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    order = _LOOKUP_ORDER[table]
    clauses = []
    for raw_key, wanted in where.items():
        key, tables = _normal_key(raw_key), order
        head = key.split(".", 1)
        if head[0] in TABLES.values() and len(head) == 2 and head[0] in order:
            key, tables = head[1], (head[0],)
        known = cat.known_keys(tables)
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            raise KeyError(f"no {' or '.join(tables)} record has a key {raw_key!r}"
                           + (f"; did you mean {close[0]!r}?" if close else ""))
        clauses.append((key, tables, _part_value(wanted) if key == "part" else wanted))

    def matches(row: Mapping[str, Any]) -> bool:
        for key, tables, wanted in clauses:
            for t in tables:
                views = [v for v in cat.linked(table, row, t) if key in v]
                if views:
                    if not any(value_matches(wanted, v[key]) for v in views):
                        return False
                    break
            else:
                if wanted is not None:
                    return False
        return True

    return matches


def _frame(cat: _Catalog, table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    records = []
    for r in rows:
        record = {f: r.get(f) for f in _VIEW_FIELDS[table]}
        for extra in ("model_ids", "eval_ids", "paths", "sidecar"):
            if extra in r:
                record[extra] = r[extra]
        # Own keys first, then those of the linked evaluations and models (as `where` reads them):
        # one value if they agree, else the list of their values.
        for t in _LOOKUP_ORDER[table]:
            linked: dict[str, list[Any]] = {}
            for view in cat.linked(table, r, t):
                for k, v in view.items():
                    linked.setdefault(k.replace(".", "__"), []).append(v)
            for k, values in linked.items():
                if k not in record:
                    distinct = list({canonical_json(v): v for v in values}.values())
                    record[k] = distinct[0] if len(distinct) == 1 else distinct
        record["hps"] = r.get("hps")
        if table == "figures":
            record["params"] = r.get("params")
        records.append(record)
    if not records:
        return pd.DataFrame(columns=list(_VIEW_FIELDS[table]))
    frame = pd.DataFrame.from_records(records)
    for column in frame.columns:  # an integer key missing from some rows stays integer, not 1.0
        values = [r.get(column) for r in records]
        present = [v for v in values if v is not None]
        if (len(present) < len(values) and present
                and all(isinstance(v, int) and not isinstance(v, bool) for v in present)):
            frame[column] = pd.array(values, dtype="Int64")
    return frame


def query(table: str, where: Mapping[str, Any] | None = None, *, results_dir: str | Path = "results",
          db_path: str | Path | None = None) -> pd.DataFrame:
    """Catalogue records of one table that match `where`.

    Arguments:
        table: `"models"`, `"evaluations"` or `"figures"`.
        where: filters (see module docstring); empty for every record.
        results_dir: the results directory whose sidecars the catalogue indexes.
        db_path: the catalogue file (default `<results_dir>/catalog.sqlite`; if it is missing or
            older than a sidecar, the sidecars are read instead).

    Returns:
        One row per record: its fixed fields, then its hyperparameters (and figure parameters)
        as columns named with `__`, then those of its evaluations and models that it lacks
        (e.g. an evaluation's `pert__std` is its model's training std), and the full `hps` tree.

    Raises:
        KeyError: for a filter key that no record of the table (or its models) has.
    """
    if table not in _VIEW_FIELDS:
        raise ValueError(f"table must be one of {', '.join(_VIEW_FIELDS)}, got {table!r}")
    cat = _Catalog(results_dir, db_path)
    matches = _matcher(cat, table, where or {})
    return _frame(cat, table, [r for r in cat.rows[table] if matches(r)])


def find_models(results_dir: str | Path = "results", **filters: Any) -> pd.DataFrame:
    """Trained models whose hyperparameters match `filters` (e.g. `pert__type="curl"`,
    `**{"pert.std": [0.5, 1.0]}`), as a table with one row per model; see `query`."""
    return query("models", filters, results_dir=results_dir)


def _differences(frame: pd.DataFrame) -> dict[str, list[Any]]:
    """`{dotted key: values per row}` for the hyperparameters that differ between rows."""
    flat = [flatten(h or {}) for h in frame["hps"]]
    keys = list(dict.fromkeys(k for f in flat for k in f))
    columns = {k: [f.get(k) for f in flat] for k in keys}
    return {k: v for k, v in columns.items() if len({canonical_json(x) for x in v}) > 1}


def load_model(results_dir: str | Path = "results", **filters: Any) -> Any:
    """Load the one trained model whose hyperparameters match `filters`.

    Returns:
        What `motorlab.load_model_file(path)` returns for it: `(ensemble, info)`.

    Raises:
        LookupError: if no model matches, or several do; the message then lists the
            hyperparameters that tell them apart, with each model's values.
    """
    frame = find_models(results_dir, **filters)
    if len(frame) == 0:
        raise LookupError(f"no model in {results_dir} matches {filters}")
    if len(frame) > 1:
        diffs = _differences(frame)
        lines = [f"  {row_id}: " + ", ".join(f"{k}={_short(v[i])}" for k, v in diffs.items())
                 for i, row_id in enumerate(frame["id"])]
        raise LookupError(f"{len(frame)} models in {results_dir} match {filters}; add a filter on one of "
                          f"{', '.join(diffs)} to choose one:\n" + "\n".join(lines))
    row = frame.iloc[0]
    path = resolve_path(row["path"], row.get("sidecar"), results_dir)
    from ._model_files import load_model_file

    return load_model_file(path)


def _short(value: Any) -> str:
    return canonical_json(value) if isinstance(value, (list, dict)) else repr(value)


EXPORT_FORMATS = ("html", "json", "png", "svg", "pdf", "jpeg", "jpg", "webp")


def _format_of(path: str | Path) -> str:
    """A figure file's format: its extension, "json" for the Plotly JSON `<name>.plotly.json`."""
    name = Path(path).name
    return "json" if name.endswith(".plotly.json") else Path(name).suffix.lstrip(".")


def export_figures(dest: str | Path, where: Mapping[str, Any] | None = None, *,
                   results_dir: str | Path = "results", formats: Sequence[str] | None = None,
                   dry_run: bool = False) -> list[tuple[Path, Path]]:
    """Copy the files of matching figures to `dest` under readable names
    `<figure>__<param>-<value>_...__<id8>.<ext>`.

    Arguments:
        dest: the destination folder (created).
        where: filters, as in `query`.
        results_dir: the results directory.
        formats: the formats to export, any of "html", "json" (the Plotly JSON), "png", "svg",
            "pdf", "jpeg"/"jpg", "webp"; None for every file a figure has. A static format that a
            figure lacks on disk (e.g. "svg" when the workflow wrote PNG only) is rendered from its
            Plotly JSON, one browser for all (`motorlab.figures.write_figures`).
        dry_run: only list what would be written.

    Returns:
        `(source, destination)` pairs, in catalogue order (the source of a rendered image is its
        Plotly JSON); files that no longer exist are skipped.
    """
    if formats is not None:
        formats = list(dict.fromkeys(formats))
        unknown = [f for f in formats if f not in EXPORT_FORMATS]
        if unknown:
            raise ValueError(f"formats {unknown}; expected any of {', '.join(EXPORT_FORMATS)}")
    frame = query("figures", where, results_dir=results_dir)
    dest = Path(dest)
    copies: list[tuple[Path, Path]] = []
    renders: list[tuple[Path, Path]] = []
    taken: set[Path] = set()

    def target_for(stem: str, fmt: str) -> Path:
        ext = ".plotly.json" if fmt == "json" else f".{fmt}"
        target, n = dest / f"{stem}{ext}", 1
        while target in taken:
            n += 1
            target = dest / f"{stem}_{n}{ext}"
        taken.add(target)
        return target

    for _, row in frame.iterrows():
        params = "_".join(f"{k}-{_value_text(v)}" for k, v in flatten(row["params"] or {}).items())
        stem = "__".join(safe_name(s) for s in (str(row["figure"]), params, str(row["id"])[:8]) if s)
        files = {}
        for p in row["paths"] or []:
            src = resolve_path(p, row.get("sidecar"), results_dir)
            if src is not None and src.exists():
                files.setdefault(_format_of(src), src)
        for fmt in formats if formats is not None else list(files):
            if fmt in files:
                copies.append((files[fmt], target_for(stem, fmt)))
            elif fmt not in ("html", "json") and "json" in files:
                renders.append((files["json"], target_for(stem, fmt)))
    if not dry_run:
        dest.mkdir(parents=True, exist_ok=True)
        for src, target in copies:
            shutil.copy2(src, target)
        _render(renders)
    return copies + renders


def _render(renders: list[tuple[Path, Path]]) -> None:
    """Render images from Plotly JSON files: `(json, target)` pairs, by format, one browser each."""
    if not renders:
        return
    import plotly.io as pio

    from ..figures._export import write_figures

    for fmt in dict.fromkeys(target.suffix.lstrip(".") for _, target in renders):
        batch = [(src, target) for src, target in renders if target.suffix == f".{fmt}"]
        written = write_figures({target.stem: pio.read_json(src) for src, target in batch},
                                batch[0][1].parent, formats=(fmt,))
        missing = [str(target) for _, target in batch if target not in written[target.stem]]
        if missing:
            raise RuntimeError(f"could not render {len(missing)} {fmt} file(s) ({', '.join(missing[:3])}): "
                               "static export needs Chromium (apt-get install chromium)")


def _value_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(_value_text(v) for v in value)
    return repr(value) if isinstance(value, float) else str(value)
