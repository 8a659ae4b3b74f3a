"""The results browser: one static `results/index.html` to find figures by their hyperparameters.

The page is generated from the catalogue (`_catalog`): every figure with its thumbnail (its PNG),
its interactive HTML and its models (linked to their sidecars), and one facet for every key whose
value differs between figures: the figure's own fields (part, analysis, figure), its parameters
(amplitude, SISU, measure, ...) and its models' hyperparameters (field type, train σ, method,
noise, delay, ...); a parameter that names a hyperparameter (`train_std` is `pert.std`) shares
its facet. A figure whose models differ in a key (the compared key of a group) has each of their
values. A figure without a key has the value null, shown "(none)", so catalogues whose
figures lack a column (e.g. no recorded analysis) are browsed just the same.

The index is embedded in the page as JSON and read once; thumbnails load lazily. The page needs
no server: it works from file:// (where `fetch` of a local JSON file is blocked) or any static
host, as long as it stays next to the results it links to (paths are relative to the page).
The HTML, CSS and JavaScript are the packaged template `motorlab/templates/browser.html`.
"""

import functools
import importlib.resources
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from ._catalog import open_catalog, read_table
from ._model_files import atomic_write
from ..config._identity import canonical_json
from ..config._load import flatten

BROWSER_NAME: Final = "index.html"
_PLACEHOLDER: Final = "/*__MOTORLAB_INDEX__*/null"

# Readable facet titles; other keys are shown as they are.
FACET_LABELS: Final[dict[str, str]] = {
    "part": "part", "analysis": "analysis", "figure": "figure", "measure": "measure",
    "pert.type": "field type", "pert.std": "train σ", "context.method": "method", "sisu": "SISU",
    "pert_amp": "amplitude", "amp": "amplitude", "train_std": "train σ", "model.feedback_noise_std": "feedback noise",
    "model.motor_noise_std": "motor noise", "model.feedback_delay_steps": "delay (steps)",
    "model.hidden_size": "hidden units", "compare": "compared",
}
# Facets first in this order, then the others alphabetically.
_FACET_ORDER: Final = ("part", "analysis", "figure", "pert.type", "pert.std", "context.method", "sisu",
                       "pert_amp", "amp", "measure", "model.feedback_noise_std", "model.motor_noise_std",
                       "model.feedback_delay_steps")
# Figure parameters that name a hyperparameter under another key: one facet for both (a figure
# with its own value, e.g. the training loss of the σ = 1 model, is filed under that value only).
_ALIASES: Final = {"train_std": "pert.std", "pert_amp": "amp"}
# Figure-sidecar keys that describe the figure set rather than the figure (`varying` lists keys).
_NOT_FACETS: Final = frozenset({"varying"})
_THUMB_SUFFIXES: Final = (".png", ".webp", ".jpeg", ".jpg", ".svg")


@functools.cache
def _template() -> str:
    return importlib.resources.files("motorlab").joinpath("templates/browser.html").read_text()


def _value(value: Any) -> Any:
    """A facet value: scalars as they are, lists and mappings as canonical JSON text."""
    if isinstance(value, (list, tuple, dict)):
        return canonical_json(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN; "nan" reads as it prints
    return value


def _key(value: Any) -> tuple:
    """A hashable identity of a facet value (after `_value`): 1 and 1.0 are one value, True is not 1."""
    return (type(value) is str, type(value) is bool, value)


class _Linker:
    """Links from the page's folder to the files the catalogue names (relative to the parent of
    the results directory, the workflow's working directory, or absolute), without touching disk:
    thousands of figures are linked in milliseconds."""

    def __init__(self, results_dir: Path, base: Path):
        self.root = os.path.abspath(results_dir.parent)
        self.base = os.path.abspath(base)

    def __call__(self, path: str | None) -> str | None:
        if not path:
            return None
        full = path if os.path.isabs(path) else f"{self.root}/{path}"
        if full.startswith(self.base + "/"):
            return full[len(self.base) + 1:].replace(os.sep, "/")
        return Path(os.path.relpath(full, self.base)).as_posix()


def _stem(path: str) -> str:
    """A figure file's name without its extension; names may hold dots (`amp-0.5`)."""
    name = os.path.basename(path)
    return name[:-len(".plotly.json")] if name.endswith(".plotly.json") else os.path.splitext(name)[0]


def _figure_files(row: Mapping[str, Any], link: _Linker) -> dict[str, str | None]:
    paths = [str(p) for p in row.get("paths") or []]
    by_suffix: dict[str, str] = {}
    for p in paths:
        suffix = ".plotly.json" if p.endswith(".plotly.json") else os.path.splitext(p)[1]
        by_suffix.setdefault(suffix, p)
    thumb = next((by_suffix[s] for s in _THUMB_SUFFIXES if s in by_suffix), None)
    page = by_suffix.get(".html")
    named = page or thumb or (paths[0] if paths else None)
    name = _stem(named) if named else str(row.get("figure") or row["id"])
    return {"name": name, "thumb": link(thumb), "html": link(page), "json": link(by_suffix.get(".plotly.json"))}


def _linked_keys(model_ids: tuple[str, ...], model_keys: Mapping[str, Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The facet keys of a set of models, each with the distinct values of its members."""
    linked: dict[str, dict[tuple, Any]] = {}
    for model_id in model_ids:
        for k, v in model_keys.get(model_id, {}).items():
            linked.setdefault(k, {})[_key(v)] = v
    return {k: list(values.values()) for k, values in linked.items()}


def _keys_of(row: Mapping[str, Any], linked: Mapping[str, list[Any]]) -> dict[str, list[Any]]:
    """Every facet key of a figure with its values: own fields, params and hps, then its models'
    (`linked`, see `_linked_keys`) where the figure has no value of its own."""
    own = {k: row.get(k) for k in ("part", "analysis", "figure")}
    own.update((k, v) for k, v in flatten(row.get("hps") or {}).items() if k not in _NOT_FACETS)
    own.update((_ALIASES.get(k, k), v) for k, v in flatten(row.get("params") or {}).items())
    keys = {k: [_value(v)] for k, v in own.items()}
    for k, values in linked.items():
        if k not in keys:
            keys[k] = values
    return keys


def _order(values: Sequence[Any]) -> list[Any]:
    def sort_key(v: Any) -> tuple:
        if v is None:
            return (2, 0, "")
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return (0, float(v), "")
        return (1, 0, str(v))
    return sorted(values, key=sort_key)


def browser_index(results_dir: str | Path, catalog_path: str | Path | None = None, *,
                  base: str | Path | None = None) -> dict[str, Any]:
    """The browser's index: facets, figures and models, with links relative to `base`.

    Arguments:
        results_dir: the results directory whose catalogue is read (its sidecars are folded in
            memory when the catalogue file is missing or stale, see `open_catalog`).
        catalog_path: the catalogue file; default `<results_dir>/catalog.sqlite`.
        base: the folder the links are relative to (the page's folder); default `results_dir`.

    Returns:
        `{"facets": [{"key", "label", "values", "counts"}], "figures": [{"id", "name", "thumb",
        "html", "json", "models", "values": [[value index, ...] per facet]}], "models": [{"id",
        "path", "sidecar"}], "total": n}`; only keys with at least two distinct values (null
        included) are facets.
    """
    results_dir = Path(results_dir)
    base = Path(base) if base is not None else results_dir
    link = _Linker(results_dir, base)
    conn = open_catalog(results_dir, catalog_path)
    try:
        figure_rows = read_table(conn, "figures")
        model_rows = read_table(conn, "models")
    finally:
        conn.close()
    models = {m["id"]: m for m in model_rows}
    model_index = {mid: i for i, mid in enumerate(models)}
    model_keys = {mid: {k: _value(v) for k, v in flatten(m.get("hps") or {}).items()} for mid, m in models.items()}
    linked: dict[tuple[str, ...], dict[str, list[Any]]] = {}  # figures of one group share their models
    keyed = []
    for r in figure_rows:
        ids = tuple(r.get("model_ids") or ())
        if ids not in linked:
            linked[ids] = _linked_keys(ids, model_keys)
        keyed.append(_keys_of(r, linked[ids]))
    all_keys = list(dict.fromkeys(k for ks in keyed for k in ks))
    distinct: dict[str, dict[tuple, Any]] = {k: {} for k in all_keys}
    for ks in keyed:
        for k in all_keys:
            for v in ks.get(k, [None]):
                distinct[k].setdefault(_key(v), v)
    varying = [k for k in all_keys if len(distinct[k]) > 1]
    ranked = sorted(varying, key=lambda k: (_FACET_ORDER.index(k) if k in _FACET_ORDER else len(_FACET_ORDER), k))
    facets, lookup = [], []
    for k in ranked:
        values = _order(list(distinct[k].values()))
        lookup.append({_key(v): i for i, v in enumerate(values)})
        facets.append({"key": k, "label": FACET_LABELS.get(k, k), "values": values, "counts": [0] * len(values)})
    figures = []
    for row, ks in zip(figure_rows, keyed, strict=True):
        values = []
        for f, facet in enumerate(facets):
            idx = sorted({lookup[f][_key(v)] for v in ks.get(facet["key"], [None])})
            values.append(idx)
            for i in idx:
                facet["counts"][i] += 1
        figures.append({"id": row["id"], **_figure_files(row, link),
                        "models": [model_index[m] for m in row.get("model_ids") or [] if m in model_index],
                        "values": values})
    figures.sort(key=lambda f: (f["name"], f["id"]))
    model_list = [{"id": m["id"], "path": link(m.get("path")), "sidecar": link(m.get("sidecar"))}
                  for m in models.values()]
    return {"facets": facets, "figures": figures, "models": model_list, "total": len(figures)}


def write_browser(results_dir: str | Path, catalog_path: str | Path | None = None,
                  out: str | Path | None = None) -> Path:
    """Write the static results browser page (see the module docstring).

    Arguments:
        results_dir: the results directory (e.g. `results`).
        catalog_path: the catalogue file; default `<results_dir>/catalog.sqlite`.
        out: the page to write; default `<results_dir>/index.html`. Links are relative to its
            folder, so keep it beside the results.

    Returns:
        The path written (atomically).
    """
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise FileNotFoundError(f"results directory {str(results_dir)!r} does not exist; expected the "
                                "folder holding the sidecars and catalog.sqlite (e.g. 'results')")
    out = Path(out) if out is not None else results_dir / BROWSER_NAME
    index = browser_index(results_dir, catalog_path, base=out.parent)
    # `</` inside the JSON would close the <script> element early
    data = json.dumps(index, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    page = _template()
    if _PLACEHOLDER not in page:
        raise RuntimeError(f"the browser template lacks its index placeholder {_PLACEHOLDER!r}")
    with atomic_write(out, "w") as f:
        f.write(page.replace(_PLACEHOLDER, data))
    return out
