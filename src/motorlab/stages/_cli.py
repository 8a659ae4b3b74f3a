"""`motorlab train` and `motorlab evaluate`: run workflow stages by hand, without Snakemake.

They resolve the study config exactly as the workflow does and write the same products to the
same paths (`motorlab.store._paths`), skipping products that already exist unless `--force`.
"""

import sys
from pathlib import Path

from ..store import _paths as paths


def add_pipeline_commands(subparsers) -> None:
    """Register the `train` and `evaluate` subcommands on an argparse subparsers object."""
    for name, func, help_ in (("train", _train, "train the models of a part (or the ones named)"),
                              ("evaluate", _evaluate, "evaluate models and compute an analysis' tables")):
        p = subparsers.add_parser(name, help=help_, description=help_)
        p.add_argument("--configfile", default="config/config.yaml", help="study config (default: %(default)s)")
        p.add_argument("--part", default="part1", help="part1 or part2 (default: %(default)s)")
        p.add_argument("--only", nargs="*", default=None, metavar="ID", help="only these model/evaluation ids")
        p.add_argument("--results", default="results", help="results folder (default: %(default)s)")
        p.add_argument("--force", action="store_true", help="recompute products that exist")
        if name == "evaluate":
            p.add_argument("--analysis", default="plant_perts",
                           help="a registered analysis configured for the part (default: %(default)s)")
        p.set_defaults(func=func)


def _study_part(args):
    from ..config import load_study

    study = load_study(args.configfile)
    if args.part not in study.parts:
        raise ValueError(f"part {args.part!r} is not in {args.configfile} (it has {study.parts})")
    return study


def _train(args) -> int:
    from . import _pipeline as pipeline

    from ..train._loop import TrainingDiverged
    from ..train._selection import TrainingDidNotLearn

    study = _study_part(args)
    part, results = args.part, str(args.results)
    failed = []
    for model_id, hps in study.models(part).items():
        if args.only and model_id not in args.only:
            continue
        if Path(paths.model_sidecar(part, model_id, results)).exists() and not args.force:
            print(f"{model_id}: exists, skipped")
            continue
        print(f"{model_id}: training ({study.describe_model(hps)})")
        try:
            pipeline.train(hps, model_id=model_id, part=part, model_path=paths.model(part, model_id, results),
                           sidecar_path=paths.model_sidecar(part, model_id, results),
                           history_path=paths.model_history(part, model_id, results),
                           checkpoint_path=paths.train_checkpoint(part, model_id, results))
        except (TrainingDiverged, TrainingDidNotLearn) as e:  # report it, train the others, fail at the end
            print(f"motorlab: error: {model_id}: {e}", file=sys.stderr)
            failed.append(model_id)
    if failed:
        print(f"motorlab: error: {len(failed)} model(s) could not be trained: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _evaluate(args) -> int:
    from ..analysis._registry import get_analysis
    from . import _analyses

    unit = get_analysis(args.analysis)
    study = _study_part(args)
    part, results = args.part, str(args.results)
    for ev in study.evaluations(part, unit.name):
        if args.only and ev.eval_id not in args.only:
            continue
        model = paths.model(part, ev.model_id, results)
        if not Path(model).exists():
            print(f"{ev.eval_id}: model {ev.model_id} not trained yet (run `motorlab train`), skipped")
            continue
        manifest = paths.manifest(part, unit.name, ev.eval_id, results)
        if Path(manifest).exists() and not args.force:
            print(f"{ev.eval_id}: exists, skipped")
            continue
        print(f"{ev.eval_id}: {unit.name} of model {ev.model_id} ({ev.variant})")
        record = {"eval_id": ev.eval_id, "model_id": ev.model_id, "part": ev.part, "analysis": ev.analysis,
                  "variant": ev.variant, "hps": ev.hps}
        states = paths.states(part, unit.name, ev.eval_id, results) if unit.keeps_states else None
        if states is not None:
            _analyses.evaluate(model, record, states_path=states)
        _analyses.analysis_tables(model, record, states_path=states, manifest_path=manifest,
                                  table_paths=paths.tables(part, unit.name, ev.eval_id, unit.table_names, results))
    return 0
