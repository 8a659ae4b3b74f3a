"""The `motorlab` command.

Subcommands here: `expand`, `query`, `figures export`, `catalog rebuild`, `browse`, `config-docs`, `clean`.

Adding a subcommand is adding one function `add(subparsers)` that creates its parser with
`subparsers.add_parser(...)` and sets `func=<handler>` via `set_defaults`, where the handler takes
the parsed arguments and returns an exit status (or None for 0). Put the function in
`SUBCOMMANDS` here; the workflow stages' `train`, `evaluate`, ... commands come from
`motorlab.stages.add_pipeline_commands`.
"""

import argparse
import json
import operator
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .stages import add_pipeline_commands
from .store._catalog import CatalogError, fold_sidecars
from .config import ConfigError, load_study
from .config._load import flatten, parse_scalar

_WHERE = re.compile(r"^([^=!<>]+?)(==|!=|>=|<=|=|<|>)(.*)$")
_OPS: dict[str, Callable[[Any, Any], bool]] = {"!=": operator.ne, ">=": operator.ge, "<=": operator.le,
                                               "<": operator.lt, ">": operator.gt}


def parse_where(items: Sequence[str]) -> dict[str, Any]:
    """`["pert.std=1.0", "sisu>=0"]` -> filters: `=` an equality (YAML value: `[a, b]` means any of),
    `!=`, `<`, `<=`, `>`, `>=` predicates."""
    where: dict[str, Any] = {}
    for item in items:
        m = _WHERE.match(item)
        if not m:
            raise ValueError(f"--where takes key=value (or !=, <, <=, >, >=), got {item!r}")
        key, op, text = m.group(1).strip(), m.group(2), m.group(3).strip()
        value = parse_scalar(text)
        if op in ("=", "=="):
            where[key] = value
        else:
            where[key] = _predicate(_OPS[op], value)
    return where


def _predicate(op: Callable[[Any, Any], bool], value: Any) -> Callable[[Any], bool]:
    def test(actual: Any) -> bool:
        try:
            return bool(op(actual, value))
        except TypeError:  # e.g. None < 1
            return False
    return test


def _print_table(frame: pd.DataFrame, fmt: str) -> None:
    if fmt == "table":
        frame = frame.astype(object).where(frame.notna(), "-")
    if fmt == "json":
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        print(json.dumps(records, indent=2, default=str))
    elif fmt in ("csv", "tsv"):
        print(frame.to_csv(index=False, sep="," if fmt == "csv" else "\t"), end="")
    elif frame.empty:
        print("(no rows)")
    else:
        print(frame.to_string(index=False))


def _varying(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    def text(v: Any) -> str:
        return json.dumps(v, sort_keys=True, default=str)
    return [c for c in columns if c in frame and frame[c].map(text).nunique() > 1]


# --- expand ----------------------------------------------------------------------------------

def _run_expand(args: argparse.Namespace) -> int:
    study = load_study(args.config)
    for notice in study.notices:
        print(f"notice: {notice}", file=sys.stderr)
    for part in study.parts if args.part is None else [args.part]:
        models = study.models(part)
        keys = (list(flatten(next(iter(models.values())))) if args.all and models
                else study.varying_keys(part, dependent=True))
        rows = [{"part": part, "model_id": mid, **{k: flatten(h).get(k) for k in keys}}
                for mid, h in models.items()]
        if args.format == "table":
            print(f"{part}: {len(models)} models")
        _print_table(pd.DataFrame.from_records(rows), args.format)
        if args.format == "table":
            for name in study.analyses(part):
                n_eval = len(study.evaluations(part, name))
                n_groups = len(study.figure_groups(part, name))
                print(f"  {name}: {n_eval} evaluation{'s' * (n_eval != 1)} in {n_groups} "
                      f"figure group{'s' * (n_groups != 1)}")
            print()
    return 0


def add_expand(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("expand", help="print the models a study config spreads over, with their ids",
                       description="Expand the spreads of a study config and print one row per model: "
                                   "its identity and the hyperparameters that vary.")
    p.add_argument("config", help="study config (YAML), e.g. config/config.yaml")
    p.add_argument("--part", help="only this part (part1, part2)")
    p.add_argument("--all", action="store_true", help="print every hyperparameter, not only those that vary")
    p.add_argument("--format", choices=("table", "tsv", "csv", "json"), default="table")
    p.set_defaults(func=_run_expand)


# --- query -----------------------------------------------------------------------------------

_SHOWN = {"models": ["id", "part", "path", "n_included"],
          "evaluations": ["id", "part", "analysis", "variant", "path"],
          "figures": ["id", "part", "analysis", "figure", "paths"]}


def _run_query(args: argparse.Namespace) -> int:
    from .store._find import query

    frame = query(args.table, parse_where(args.where), results_dir=args.results, db_path=args.db)
    if args.columns:
        asked = [c.replace(".", "__") for c in args.columns.split(",") if c]
        columns = list(dict.fromkeys(["id", *asked]))  # id always first, never twice
    elif args.all:
        columns = [c for c in frame.columns if c not in ("hps", "params")]
    else:
        rest = [c for c in frame.columns if c not in _SHOWN[args.table] and c not in
                ("hps", "params", "created", "git_commit", "sidecar", "history_path", "model_ids", "eval_ids",
                 "plot_id", "varying")]
        columns = _SHOWN[args.table] + _varying(frame, rest)
    missing = [c for c in columns if c not in frame.columns]
    if missing and not frame.empty:
        print(f"notice: no matching record has {', '.join(missing)}", file=sys.stderr)
    _print_table(frame.reindex(columns=columns), args.format)
    if args.format == "table":
        print(f"({len(frame)} {args.table})", file=sys.stderr)
    return 0


def _add_catalog_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--results", default="results", help="results directory (default: results)")
    p.add_argument("--db", default=None, help="catalogue file (default: RESULTS/catalog.sqlite)")


def add_query(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("query", help="list models, evaluations or figures matching filters",
                       description="Print the catalogue records that match every --where filter. "
                                   "Keys are dotted (pert.std) or joined by __; a key that an evaluation "
                                   "or figure lacks is looked up in its models. Values are read as YAML "
                                   "([0.5, 1.0] means any of).")
    p.add_argument("table", choices=("models", "evaluations", "figures"))
    p.add_argument("--where", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                   help="filters: key=value, key!=value, key<value, key<=value, key>value, key>=value")
    p.add_argument("--columns", help="comma-separated columns to print (default: those that vary)")
    p.add_argument("--all", action="store_true", help="print every column")
    p.add_argument("--format", choices=("table", "tsv", "csv", "json"), default="table")
    _add_catalog_options(p)
    p.set_defaults(func=_run_query)


# --- figures export --------------------------------------------------------------------------

def _run_figures_export(args: argparse.Namespace) -> int:
    from .store._find import export_figures

    where, dest = list(args.where), args.dest
    if dest is None:  # `--where a=b DIR`: the directory was read as a filter
        if not where or _WHERE.match(where[-1]):
            raise ValueError("figures export needs a destination directory DIR")
        dest = where.pop()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()] if args.formats else None
    copies = export_figures(dest, parse_where(where), results_dir=args.results, formats=formats,
                            dry_run=args.dry_run)
    for src, target in copies:
        print(f"{src} -> {target}")
    print(f"{'would copy' if args.dry_run else 'copied'} {len(copies)} files to {dest}", file=sys.stderr)
    return 0


def add_figures(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("figures", help="work with figure files")
    figs = p.add_subparsers(dest="figures_command", required=True, metavar="{export}")
    e = figs.add_parser("export", help="copy matching figures to a directory with readable names",
                        description="Copy the files of the figures that match every --where filter to DIR, "
                                    "named <figure>__<params>__<id8>.<ext>.")
    e.add_argument("--where", nargs="+", action="extend", default=[], metavar="KEY=VALUE")
    e.add_argument("dest", nargs="?", metavar="DIR", help="destination directory")
    e.add_argument("--results", default="results", help="results directory (default: results)")
    e.add_argument("--formats", metavar="FMT,...",
                   help="formats to export, e.g. png,svg (html, json, png, svg, pdf, jpeg, webp; default: "
                        "every file a figure has). An image a figure lacks is rendered from its Plotly JSON")
    e.add_argument("--dry-run", action="store_true", help="only print what would be copied")
    e.set_defaults(func=_run_figures_export)


# --- catalog rebuild -------------------------------------------------------------------------

def _run_catalog_rebuild(args: argparse.Namespace) -> int:
    summary = fold_sidecars(args.results, args.db)
    for notice in summary["notices"]:
        print(f"notice: {notice}", file=sys.stderr)
    print(f"{summary['db']}: {summary['models']} models, {summary['evaluations']} evaluations, "
          f"{summary['figures']} figures")
    return 0


def add_catalog(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("catalog", help="the SQLite catalogue of results")
    cat = p.add_subparsers(dest="catalog_command", required=True, metavar="{rebuild}")
    r = cat.add_parser("rebuild", help="recreate the catalogue from the sidecars",
                       description="Fold every sidecar under RESULTS into the catalogue file (atomically).")
    _add_catalog_options(r)
    r.set_defaults(func=_run_catalog_rebuild)


# --- browse ----------------------------------------------------------------------------------

def _run_browse(args: argparse.Namespace) -> int:
    from .store._browser import write_browser

    path = write_browser(args.results, args.db, args.out)
    print(f"{path}: open it in a browser (file://{os.path.abspath(path)})")
    return 0


def add_browse(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("browse", help="write the static results browser (RESULTS/index.html)",
                       description="Write a static page that browses every figure of the catalogue by its "
                                   "hyperparameters (facets with counts, thumbnails, a row x column layout, "
                                   "search, links to the interactive figures and their models). It needs no "
                                   "server: open it from disk or put the results folder on any static host.")
    _add_catalog_options(p)
    p.add_argument("--out", default=None, help="page to write (default: RESULTS/index.html)")
    p.set_defaults(func=_run_browse)


# --- config-docs -----------------------------------------------------------------------------

def _run_config_docs(args: argparse.Namespace) -> int:
    from .config import config_docs

    text = config_docs(args.schema if os.path.exists(args.schema) else None)
    if args.check:
        current = Path(args.out).read_text() if args.out and os.path.exists(args.out) else None
        if args.out is None or current != text:
            print(f"{args.out} is out of date; run `motorlab config-docs --out {args.out}`", file=sys.stderr)
            return 1
        return 0
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text, end="")
    return 0


def add_config_docs(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config-docs", help="write the config reference (config/README.md)",
                       description="Print (or write with --out) the Markdown reference of every study config "
                                   "key with its default, accepted values and meaning, generated from the "
                                   "packaged defaults, the validation rules and the workflow's schema.")
    p.add_argument("--out", help="file to write (e.g. config/README.md); default: print")
    p.add_argument("--schema", default="workflow/schemas/config.schema.yaml",
                   help="the workflow's config schema (default: workflow/schemas/config.schema.yaml; "
                        "left out when missing)")
    p.add_argument("--check", action="store_true", help="exit 1 if --out differs from what would be written")
    p.set_defaults(func=_run_config_docs)


# --- clean -----------------------------------------------------------------------------------

DEFAULT_CONFIG = "config/config.yaml"  # what `clean` lists against when no --configfile is given

def _run_clean(args: argparse.Namespace) -> int:
    from .store._clean import find_orphans, remove_orphans

    if args.yes and not args.configfile:
        raise ValueError(
            "clean --yes needs --configfile naming every study config whose products to keep "
            "(e.g. --configfile config/demo.yaml): without it, config/config.yaml alone would be "
            "kept and the products of any other config sharing the results directory (such as "
            "those of `make demo`) would be deleted")
    studies = [load_study(c) for c in (args.configfile or [DEFAULT_CONFIG])]
    orphans, stale = find_orphans(studies, args.results)
    for o in orphans:
        print(f"{o.kind} {o.id}: {o.reason}")
        for f in o.files:
            print(f"    {f}")
    for s in stale:
        print(f"catalogue record {s}: no sidecar")
    if not orphans and not stale:
        print("nothing to clean")
        return 0
    n_files = sum(len(o.files) for o in orphans)
    if not args.yes:
        print(f"{len(orphans)} orphaned products ({n_files} files), {len(stale)} stale catalogue records; "
              f"run again with --yes to remove them", file=sys.stderr)
        return 0
    removed = remove_orphans(orphans, args.results)
    print(f"removed {len(removed)} files; catalogue refolded", file=sys.stderr)
    return 0


def add_clean(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("clean", help="list (and with --yes --configfile CONFIG remove) orphaned products",
                       description="List products that the config(s) no longer produce, products of "
                                   "deleted models, and catalogue records without a sidecar. Nothing is "
                                   "removed without --yes, and --yes needs --configfile naming every "
                                   "config whose products to keep.")
    p.add_argument("--configfile", action="append", metavar="CONFIG",
                   help=f"study config(s) whose products are kept; repeatable. Required with --yes; "
                        f"when only listing, the default is {DEFAULT_CONFIG}")
    p.add_argument("--results", default="results", help="results directory (default: results)")
    p.add_argument("--yes", action="store_true",
                   help="delete the listed files and refold the catalogue (needs --configfile)")
    p.set_defaults(func=_run_clean)


# --- entry point -----------------------------------------------------------------------------

SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_expand, add_query, add_figures, add_catalog, add_browse, add_config_docs, add_clean,
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand (the workflow stages' from `motorlab.stages` included)."""
    parser = argparse.ArgumentParser(prog="motorlab", description="Train, evaluate and find motorlab models.")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in [*SUBCOMMANDS, add_pipeline_commands]:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `motorlab` command with `argv` (default: the process arguments); returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        status = args.func(args)
    except BrokenPipeError:  # output piped into `head`
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep Python's exit flush quiet
        return 0
    except (ConfigError, CatalogError, ValueError, KeyError, LookupError, OSError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        print(f"motorlab: error: {message}", file=sys.stderr)
        return 1
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())
