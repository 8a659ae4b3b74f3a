# Helpers that map the study config to targets. The science lives in `motorlab`.
import sys

from snakemake.utils import validate

from motorlab.config import STAGE_VERSIONS, load_study


validate(config, schema="../schemas/config.schema.yaml")

STUDY = load_study(config)
PARTS = STUDY.parts
for _notice in STUDY.notices:
    print(f"motorlab notice: {_notice}", file=sys.stderr)

# Every evaluation and figure group of the study, by part and id.
EVALS = {
    part: {
        ev.eval_id: ev
        for name in STUDY.analyses(part)
        for ev in STUDY.evaluations(part, name)
    }
    for part in PARTS
}


def _groups(analysis):
    return {
        part: {
            f"{g.label}_{g.variant}_{g.group_id[:8]}": g
            for name in STUDY.analyses(part)
            if name == analysis
            for g in STUDY.figure_groups(part, name)
        }
        for part in PARTS
    }


GROUPS = _groups("plant_perts")
FP_GROUPS = _groups("fixed_points")


wildcard_constraints:
    part="part[12]",
    model_id="[0-9a-f]{16}",
    eval_id="[0-9a-f]{16}",


def model_hps(wildcards):
    return STUDY.models(wildcards.part)[wildcards.model_id]


def evaluation(wildcards):
    ev = EVALS[wildcards.part][wildcards.eval_id]
    return {
        "eval_id": ev.eval_id,
        "model_id": ev.model_id,
        "part": ev.part,
        "analysis": ev.analysis,
        "variant": ev.variant,
        "hps": ev.hps,
    }


def evaluation_model(wildcards):
    ev = EVALS[wildcards.part][wildcards.eval_id]
    return f"results/{wildcards.part}/models/{ev.model_id}.eqx"


def plant_pert_evals(part):
    return [e for e in EVALS[part].values() if e.analysis == "plant_perts"]


def fixed_point_evals(part):
    return [e for e in EVALS[part].values() if e.analysis == "fixed_points"]


def group_of(wildcards):
    return GROUPS[wildcards.part][wildcards.group]


def group_inputs(wildcards):
    g = group_of(wildcards)
    part = wildcards.part
    return {
        "states": [f"results/{part}/evals/{m.eval_id}.parquet" for m in g.members],
        "measures": [f"results/{part}/measures/{m.eval_id}.parquet" for m in g.members],
        "models": [f"results/{part}/models/{m.model_id}.json" for m in g.members],
    }


def group_params(wildcards):
    g = group_of(wildcards)
    return {
        "group_id": g.group_id,
        "label": g.label,
        "compare": list(g.compare),
        "variant": g.variant,
        "eval_ids": [m.eval_id for m in g.members],
    }


def fp_group_inputs(wildcards):
    g = FP_GROUPS[wildcards.part][wildcards.group]
    base = f"results/{wildcards.part}/fixed_points"
    return {
        "fixed_points": [f"{base}/{m.eval_id}.parquet" for m in g.members],
        "eigenvalues": [f"{base}/{m.eval_id}_eigenvalues.parquet" for m in g.members],
        "summaries": [f"{base}/{m.eval_id}_summary.parquet" for m in g.members],
        "reach": [f"{base}/{m.eval_id}_reach.parquet" for m in g.members],
        "trajectories": [f"{base}/{m.eval_id}_trajectories.parquet" for m in g.members],
        "continuation": [f"{base}/{m.eval_id}_continuation.parquet" for m in g.members],
        "events": [f"{base}/{m.eval_id}_continuation_events.parquet" for m in g.members],
        "models": [f"results/{wildcards.part}/models/{m.model_id}.json" for m in g.members],
    }


def fp_group_params(wildcards):
    g = FP_GROUPS[wildcards.part][wildcards.group]
    return {
        "group_id": g.group_id,
        "label": g.label,
        "compare": list(g.compare),
        "variant": g.variant,
        "eval_ids": [m.eval_id for m in g.members],
    }


def part_products(wildcards):
    part = wildcards.part
    out = [f"results/{part}/models/{mid}.json" for mid in STUDY.models(part)]
    out += [f"results/{part}/evals/{e.eval_id}.json" for e in plant_pert_evals(part)]
    out += [f"results/{part}/measures/{e.eval_id}.parquet" for e in plant_pert_evals(part)]
    out += [f"results/{part}/figures/{name}.json" for name in GROUPS[part]]
    out += [f"results/{part}/fixed_points/{e.eval_id}.json" for e in fixed_point_evals(part)]
    out += [f"results/{part}/fixed_points/figures/{name}.json" for name in FP_GROUPS[part]]
    return out
