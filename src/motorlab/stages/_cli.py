"""`motorlab train` and `motorlab evaluate`: run workflow stages by hand, without Snakemake.

They resolve the study config exactly as the workflow does and write the same products to the
same paths (`results/{part}/models/{id}.eqx`, `results/{part}/evals/{id}.parquet`, …), skipping
products that already exist unless `--force`.
"""

from pathlib import Path


def add_pipeline_commands(subparsers) -> None:
    """Register the `train`, `evaluate` and `measures` subcommands on an argparse subparsers object."""
    for name, func, help_ in (("train", _train, "train the models of a part (or the ones named)"),
                              ("evaluate", _evaluate, "evaluate models (plant perturbations) and compute measures")):
        p = subparsers.add_parser(name, help=help_, description=help_)
        p.add_argument("--configfile", default="config/config.yaml", help="study config (default: %(default)s)")
        p.add_argument("--part", default="part1", help="part1 or part2 (default: %(default)s)")
        p.add_argument("--only", nargs="*", default=None, metavar="ID", help="only these model/evaluation ids")
        p.add_argument("--results", default="results", help="results folder (default: %(default)s)")
        p.add_argument("--force", action="store_true", help="recompute products that exist")
        p.set_defaults(func=func)


def _study_part(args):
    from ..config import load_study

    study = load_study(args.configfile)
    if args.part not in study.parts:
        raise ValueError(f"part {args.part!r} is not in {args.configfile} (it has {study.parts})")
    return study


def _train(args) -> int:
    from . import _pipeline as pipeline

    study = _study_part(args)
    models = study.models(args.part)
    for model_id, hps in models.items():
        if args.only and model_id not in args.only:
            continue
        out = Path(args.results) / args.part / "models"
        if (out / f"{model_id}.json").exists() and not args.force:
            print(f"{model_id}: exists, skipped")
            continue
        print(f"{model_id}: training ({study.describe_model(hps)})")
        pipeline.train(hps, model_id=model_id, part=args.part, model_path=out / f"{model_id}.eqx",
                       sidecar_path=out / f"{model_id}.json", history_path=out / f"{model_id}_history.npz")
    return 0


def _evaluate(args) -> int:
    from . import _pipeline as pipeline

    study = _study_part(args)
    base = Path(args.results) / args.part
    for ev in study.evaluations(args.part, "plant_perts"):
        if args.only and ev.eval_id not in args.only:
            continue
        model = base / "models" / f"{ev.model_id}.eqx"
        if not model.exists():
            print(f"{ev.eval_id}: model {ev.model_id} not trained yet (run `motorlab train`), skipped")
            continue
        states = base / "evals" / f"{ev.eval_id}.parquet"
        if states.exists() and not args.force:
            print(f"{ev.eval_id}: exists, skipped")
            continue
        print(f"{ev.eval_id}: evaluating model {ev.model_id} on {ev.variant}")
        record = {"eval_id": ev.eval_id, "model_id": ev.model_id, "part": ev.part, "analysis": ev.analysis,
                  "variant": ev.variant, "hps": ev.hps}
        pipeline.evaluate(model, record, states_path=states, sidecar_path=base / "evals" / f"{ev.eval_id}.json")
        pipeline.measures(states, measures_path=base / "measures" / f"{ev.eval_id}.parquet")
    return 0

