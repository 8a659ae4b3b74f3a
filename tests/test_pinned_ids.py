"""Identities are sacred: a refactor must not move a model, evaluation or figure-group id.

`data/pinned_ids.json` was written by the code before the architecture refactor, from the two
study configs. A stage-version bump for a real change of results is the only reason to update it
(regenerate it and say why in the commit).
"""

import json
from pathlib import Path

import pytest

from motorlab.config import load_study

ROOT = Path(__file__).resolve().parents[1]
PINNED = json.loads((Path(__file__).parent / "data" / "pinned_ids.json").read_text())


@pytest.mark.parametrize("config", sorted(PINNED))
def test_model_ids_are_pinned(config):
    study = load_study(ROOT / config)
    for part, pinned in PINNED[config].items():
        assert sorted(study.models(part)) == pinned["models"], f"{config} {part}: model ids moved"


@pytest.mark.parametrize("config", sorted(PINNED))
def test_evaluation_and_figure_group_ids_are_pinned(config):
    study = load_study(ROOT / config)
    for part, pinned in PINNED[config].items():
        for analysis, ids in pinned["evaluations"].items():
            got = sorted(e.eval_id for e in study.evaluations(part, analysis))
            assert got == ids, f"{config} {part} {analysis}: evaluation ids moved"
        for analysis, ids in pinned["figure_groups"].items():
            got = sorted(g.group_id for g in study.figure_groups(part, analysis))
            assert got == ids, f"{config} {part} {analysis}: figure group ids moved"
