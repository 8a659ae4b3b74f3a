# Helpers that map the study config to targets. The science lives in `motorlab`; the product
# paths come from `motorlab.store.paths`, the analyses and their tables from the registry.
import os
import sys

from snakemake.utils import validate

from motorlab.analysis import ANALYSES
from motorlab.config import STAGE_VERSIONS, load_study
from motorlab.figures import find_browser
from motorlab.stages import GROUP_PAGE, report_labels, write_bucket_plan
from motorlab.store import paths
from motorlab.train import estimate_model_bytes, plan_buckets, resolve_models_per_job


validate(config, schema="../schemas/config.schema.yaml")

# JAX's persistent compilation cache, shared by every job (a job's script inherits this
# environment; a cluster job re-reads this file): a job skips compiling what an earlier job of
# the same shapes compiled (30 % of the CPU of the demo's sisu_pert jobs). The programs are the same
# either way, so no result changes. A JAX_COMPILATION_CACHE_DIR set by the user wins; "" turns it off.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.abspath(paths.jax_cache()))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.3")

STUDY = load_study(config)
PARTS = STUDY.parts
for _notice in STUDY.notices:
    print(f"motorlab notice: {_notice}", file=sys.stderr)

# Buckets: models still to train that share shapes train together, up to `workflow.models_per_job`
# per job (README, "Training several models per job"; motorlab.train._plan). A trained model is in
# no bucket, so a study that gains one model trains that model alone.
def _trained(part, model_id):
    """Whether a model's three files are all there."""
    files = (paths.model(part, model_id), paths.model_history(part, model_id), paths.model_sidecar(part, model_id))
    return all(map(os.path.exists, files))


WORKFLOW = STUDY.workflow
MODELS_PER_JOB = resolve_models_per_job(WORKFLOW.models_per_job)
BUCKETS = {}  # part -> bucket id -> member model ids
BUCKET_OF = {}  # (part, model id) -> bucket id
for _part in PARTS:
    _models = STUDY.models(_part)
    _todo = {mid: hps for mid, hps in _models.items() if not _trained(_part, mid)}
    BUCKETS[_part], _notices = plan_buckets(
        _todo, models_per_job=MODELS_PER_JOB, memory_mb=WORKFLOW.bucket_memory_mb, label=_part
    )
    for _notice in _notices:
        print(f"motorlab notice: {_notice}", file=sys.stderr)
    for _bid, _members in BUCKETS[_part].items():
        write_bucket_plan(
            paths.bucket_plan(_part, _bid), part=_part, bucket_id=_bid, members={m: _models[m] for m in _members}
        )
        BUCKET_OF.update({(_part, m): _bid for m in _members})

# Every evaluation of the study, by part and id (ids are unique across analyses).
EVALS = {
    part: {
        ev.eval_id: ev
        for name in STUDY.analyses(part)
        for ev in STUDY.evaluations(part, name)
    }
    for part in PARTS
}

# Every figure group, by part, analysis and folder name.
GROUPS = {
    part: {
        name: {
            paths.group_dir_name(g.label, g.variant, g.group_id): g
            for g in STUDY.figure_groups(part, name)
        }
        for name in STUDY.analyses(part)
    }
    for part in PARTS
}


wildcard_constraints:
    part="part[12]",
    model_id="[0-9a-f]{16}",
    bucket_id="[0-9a-f]{16}",
    eval_id="[0-9a-f]{16}",
    analysis="|".join(ANALYSES),


def model_hps(wildcards):
    return STUDY.models(wildcards.part)[wildcards.model_id]


def _recorded_input(path):
    """The inputs Snakemake recorded for `path` when it was last made (None: no record)."""
    from snakemake.io import IOFile

    return workflow.persistence.input(IOFile(path))


def member_bucket(wildcards):
    """The staged bucket of a model that trains in one; otherwise a path no rule makes, so that
    Snakemake stages the model with `train` instead (train.smk orders `unpack_member` first).

    A trained model is in no bucket. If it was trained in one, its bucket is still named here
    (from Snakemake's record of its staging folder), so that the set of inputs Snakemake sees for
    its (temporary, now removed) staging folder does not change and nothing reruns."""
    part, mid = wildcards.part, wildcards.model_id
    bid = BUCKET_OF.get((part, mid))
    if bid:
        return paths.staged_bucket(part, bid)
    recorded = _recorded_input(paths.staged_model(part, mid))
    if recorded and _trained(part, mid):
        return recorded
    return paths.staged_bucket(part, f"none-{mid}")


def bucket_mem_mb(wildcards):
    """A bucket job's memory request: 2 GB plus its members' estimated training memory (4 GB
    when its plan is gone: a bucket trained and stored already, which does not run again)."""
    from motorlab.stages import read_bucket_plan

    plan = paths.bucket_plan(wildcards.part, wildcards.bucket_id)
    if not os.path.exists(plan):
        return 4000
    return 2000 + sum(estimate_model_bytes(m["hps"]) for m in read_bucket_plan(plan)) // 2**20


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
    return paths.model(wildcards.part, ev.model_id)


def evaluation_history(wildcards):
    ev = EVALS[wildcards.part][wildcards.eval_id]
    return paths.model_history(wildcards.part, ev.model_id)


def group_of(wildcards):
    return GROUPS[wildcards.part][wildcards.analysis][wildcards.group]


def group_inputs(wildcards):
    g, part, name = group_of(wildcards), wildcards.part, wildcards.analysis
    return {
        "manifests": [paths.manifest(part, name, m.eval_id) for m in g.members],
        "models": [paths.model_sidecar(part, m.model_id) for m in g.members],
    }


def group_params(wildcards):
    g = group_of(wildcards)
    return {
        "group_id": g.group_id,
        "label": g.label,
        "compare": list(g.compare),
        "variant": g.variant,
        "eval_ids": [m.eval_id for m in g.members],
        "settings": STUDY.analyses(wildcards.part)[wildcards.analysis],
    }


def figure_report(folder):
    """A figure group's folder, marked for `snakemake --report`: each PNG is one entry (labels per
    hyperparameter, see motorlab.stages.report_labels). Without Chromium there are no PNGs, so the
    group's index page is the entry instead, with its interactive figures (`htmlindex`)."""
    if find_browser() is None:
        return report(
            directory(folder),
            htmlindex=GROUP_PAGE,
            caption="../report/figure_group.rst",
            category="{analysis}",
            subcategory="{part}",
            labels=figure_report_labels,
        )
    return report(
        directory(folder),
        patterns=["{name}.png"],
        caption="../report/figure.rst",
        category="{analysis}",
        subcategory=figure_report_subcategory,
        labels=figure_report_labels,
    )


def figure_report_subcategory(wildcards):
    """The report's subcategory of one figure: its kind (the name before the first `__`)."""
    return wildcards.name.split("__", 1)[0]


def figure_report_labels(wildcards):
    """Report labels of one figure (`name` wildcard from the PNG pattern) or of a whole group."""
    g = group_of(wildcards)
    return report_labels(
        getattr(wildcards, "name", None),
        part=wildcards.part,
        model_hps=STUDY.models(wildcards.part)[g.members[0].model_id],
        varying=STUDY.varying_keys(wildcards.part, exclude=list(g.compare)),
        variant=g.variant,
    )


def part_sidecars(wildcards):
    """Every sidecar of the part: models, evaluation manifests and figure groups."""
    part = wildcards.part
    out = [paths.model_sidecar(part, mid) for mid in STUDY.models(part)]
    out += [paths.manifest(part, e.analysis, e.eval_id) for e in EVALS[part].values()]
    out += [paths.figure_sidecar(part, name, group)
            for name, groups in GROUPS[part].items() for group in groups]
    return out


def part_files(wildcards):
    """Every other file of the part. Snakemake only checks the outputs that some job asks for, so
    the part target asks for all of them: a deleted table or figure folder is then rebuilt."""
    part = wildcards.part
    out = [f for mid in STUDY.models(part) for f in (paths.model(part, mid), paths.model_history(part, mid))]
    for e in EVALS[part].values():
        unit = ANALYSES[e.analysis]
        if unit.keeps_states:
            out.append(paths.states(part, e.analysis, e.eval_id))
        out += paths.tables(part, e.analysis, e.eval_id, unit.table_names).values()
    out += [paths.figure_dir(part, name, group) for name, groups in GROUPS[part].items() for group in groups]
    return out


def part_stale(wildcards):
    """The Snakefile, as an extra input of the part target, when the target exists but one of its
    products is gone; otherwise nothing.

    Snakemake checks the outputs of a job that some other job needs only when that other job has
    to run, and a missing input is no reason to rerun a job whose output exists. So deleting a
    table under an existing `results/{part}/all` would go unnoticed. A changed set of inputs is a
    reason: the part target then reruns and asks for its products again, and the deleted ones are
    rebuilt. (The next run sees the set change back and rewrites the part's manifest once more.)"""
    target = paths.part_target(wildcards.part)
    if os.path.exists(target) and not all(map(os.path.exists, part_sidecars(wildcards) + part_files(wildcards))):
        return [workflow.main_snakefile]
    return []
