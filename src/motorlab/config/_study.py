"""A study: the models, evaluations and figure groups that a study config asks for.

A study config has one entry per part (`part1`, `part2`), each with a `train:` spread (merged over
`defaults/train.yaml`, with `part` set to the part's number) and `analyses:` (each merged over its
subtree of `defaults/analyses.yaml`). A `preset: <name>` in the spread merges the packaged preset
`defaults/presets/<name>.yaml` over the defaults first, so the config's own values still win; the
preset's name is not a hyperparameter (only the values it sets enter the model's identity).
`load_study` resolves and validates all of it at once; the workflow calls it while building its
job graph, so it does no I/O beyond reading the config.
"""

import dataclasses
import difflib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._errors import ConfigError
from ._identity import STAGE_VERSIONS, canonical_json, identity, model_id
from ._load import (
    PRESET_KEY,
    analysis_defaults,
    deep_merge,
    expand_dotted,
    flatten,
    load_yaml,
    preset_names,
    train_defaults,
    train_preset,
)
from ._match import model_filter_matches
from ._schema import list_depths, relevant_hps, unknown_key, validate_analyses, validate_train
from ..train._spec import OPTION_KEYS
from ._crosschecks import full_scale_notice
from ._labels import word
from ._spreads import case_of, expand_spread
from ._workflow import WORKFLOW_KEY, WorkflowSettings, workflow_settings

_PART = re.compile(r"^part([12])$")
_PART_KEYS = ("train", "analyses")

# Short names for readable labels; string-valued keys are shown by their value alone.
_FIRST = ("context.method", "pert.type")


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """One evaluation of one model.

    Fields:
        eval_id: identity of the evaluation (model, analysis, variant, resolved settings, stage version).
        model_id: the evaluated model.
        part: `"part1"` or `"part2"`.
        analysis: the analysis it serves (`"plant_perts"`, `"fixed_points"`).
        variant: task variant (`"full"`, `"small"`; `"steady"` for fixed points).
        hps: the evaluation settings with every null filled from the model's hyperparameters.
    """

    eval_id: str
    model_id: str
    part: str
    analysis: str
    variant: str
    hps: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class FigureGroup:
    """Evaluations drawn together: one variant, models that differ only in the `compare` keys.

    Fields:
        group_id: identity of the member evaluations, the analysis and the figure stage version.
        label: readable, filesystem-safe name from the hyperparameters that vary across the part
            but are constant in the group (compare keys excluded), e.g. `curl_delay-0_fbnoise-0.01`.
        compare: dotted training keys the members differ in.
        members: the evaluations, sorted by their models' values of the compare keys.
        variant: the task variant of every member.
    """

    group_id: str
    label: str
    compare: list[str]
    members: list[Evaluation]
    variant: str


def load_study(config: Mapping[str, Any] | str | Path) -> "Study":
    """Resolve and validate a study config (a mapping, as Snakemake gives it, or a YAML path).

    Raises:
        ConfigError: listing every problem, each with its key path, the bad value and what was
            expected.
    """
    if isinstance(config, (str, Path)):
        config = load_yaml(config)
    return Study(config)


class Study:
    """The resolved study. Build it with `load_study`.

    Attributes:
        parts: the parts present in the config, e.g. `["part1", "part2"]`.
        notices: informational messages from resolution (duplicate spread points removed, an
            analysis whose `train:` filter selects no model).
        workflow: the `workflow:` section (`WorkflowSettings`; in no identity).
    """

    def __init__(self, config: Mapping[str, Any]):
        if not isinstance(config, Mapping) or not config:
            raise ConfigError([f"the study config must be a mapping with keys part1 and/or part2, got {config!r}"])
        errors: list[str] = []
        self.notices: list[str] = []
        self._models: dict[str, dict[str, dict]] = {}
        self._analyses: dict[str, dict[str, dict]] = {}
        self.workflow = WorkflowSettings()
        for key, part_config in config.items():
            if key == WORKFLOW_KEY:  # how the workflow runs, no identity (config/_workflow.py)
                self.workflow = workflow_settings(part_config, errors)
                continue
            if not (isinstance(key, str) and _PART.match(key)):
                errors.append(unknown_key(str(key), str(key), {"part1": 0, "part2": 0, WORKFLOW_KEY: 0}, []))
                continue
            if part_config is None:
                part_config = {}
            if not isinstance(part_config, Mapping):
                errors.append(f"{key}: got {part_config!r}; expected a mapping with keys train, analyses")
                continue
            for k in part_config:
                if k not in _PART_KEYS:
                    errors.append(unknown_key(f"{key}.{k}", str(k), dict.fromkeys(_PART_KEYS), []))
            self._models[key] = self._resolve_models(key, part_config.get("train") or {}, errors)
            if not part_config.get("train") and self._models[key]:
                self.notices.append(full_scale_notice(key, next(iter(self._models[key].values()))))
            self._analyses[key] = self._resolve_analyses(key, part_config.get("analyses") or {}, errors)
        if errors:
            raise ConfigError(errors)
        self.parts: list[str] = sorted(self._models)
        self._model_index = {mid: hps for part in self.parts for mid, hps in self._models[part].items()}
        self._evaluations: dict[tuple[str, str], list[Evaluation]] = {}
        self._groups: dict[tuple[str, str], list[FigureGroup]] = {}
        self._columns: dict[str, dict[str, list[str]]] = {}
        self._eval_index: dict[str, Evaluation] | None = None
        for part in self.parts:
            for name, settings in self._analyses[part].items():
                if self._models[part] and not any(model_filter_matches(settings["train"], hps)
                                                  for hps in self._models[part].values()):
                    self.notices.append(f"{part}.analyses.{name}.train: the filter {settings['train']!r} "
                                        f"matches none of {part}'s {len(self._models[part])} models; "
                                        f"the analysis has nothing to evaluate")

    # --- resolution -----------------------------------------------------------------------

    def _resolve_models(self, part: str, block: Any, errors: list[str]) -> dict[str, dict]:
        defaults = train_defaults()
        number = int(part[-1])
        base = deep_merge(defaults, {"part": number})
        try:
            points = expand_spread(block, list_depths(defaults), f"{part}.train")
        except ConfigError as e:
            errors.extend(e.errors)
            return {}
        models: dict[str, dict] = {}
        first_point: dict[str, int] = {}
        for i, point in enumerate(points):
            n_errors = len(errors)
            preset = _preset_base(point.pop(PRESET_KEY, None), defaults, number, f"{part}.train", errors)
            if len(errors) == n_errors:
                hps = validate_train(deep_merge(preset or base, point), defaults, f"{part}.train", errors)
            if len(errors) > n_errors:  # say which `cases:` block the bad point came from
                where = case_of(block, point, list_depths(defaults), f"{part}.train")
                errors[n_errors:] = [f"{m} (in {where})" if where else m for m in errors[n_errors:]]
                continue
            if hps["part"] != number:
                errors.append(f"{part}.train.part: got {hps['part']!r}; expected {number} (the part it is under)")
                continue
            hps = relevant_hps(hps)
            mid = model_id(hps)
            if mid in models:
                self.notices.append(f"{part}.train: point {i} is the same model as point "
                                    f"{first_point[mid]} ({mid}); it is trained once")
                continue
            models[mid] = hps
            first_point[mid] = i
        return models

    def _resolve_analyses(self, part: str, block: Any, errors: list[str]) -> dict[str, dict]:
        path = f"{part}.analyses"
        if not isinstance(block, Mapping):
            errors.append(f"{path}: got {block!r}; expected a mapping of analysis names to settings")
            return {}
        defaults = analysis_defaults()
        try:
            block = expand_dotted(block, path)
        except ConfigError as e:
            errors.extend(e.errors)
            return {}
        merged = {}
        for name, settings in block.items():
            if name not in defaults:
                errors.append(unknown_key(f"{path}.{name}", name, defaults, []))
            elif settings is not None and not isinstance(settings, Mapping):
                errors.append(f"{path}.{name}: got {settings!r}; "
                              f"expected a mapping of settings ({{}} for the defaults)")
            else:
                merged[name] = deep_merge(defaults[name], settings or {})
        return validate_analyses(merged, defaults, path, errors)

    # --- queries --------------------------------------------------------------------------

    def _part(self, part: str) -> str:
        if part not in self._models:
            raise KeyError(f"part {part!r} is not in this study; it has {', '.join(self.parts) or 'no parts'}")
        return part

    def models(self, part: str) -> dict[str, dict]:
        """`{model_id: resolved training hyperparameters}` of `part`, in spread order, without
        duplicates. The trees are shared: do not modify them."""
        return dict(self._models[self._part(part)])

    def all_models(self) -> dict[str, dict]:
        """`{model_id: hyperparameters}` over every part."""
        return dict(self._model_index)

    def model(self, model_id: str) -> dict:
        """The hyperparameters of one model of the study; KeyError if the study has none such."""
        return self._model_index[model_id]

    def analyses(self, part: str) -> dict[str, dict]:
        """`{analysis name: resolved settings}` of `part` (merged over the packaged defaults;
        `compare` as a list of dotted keys; `train` as a nested filter)."""
        return dict(self._analyses[self._part(part)])

    def evaluations(self, part: str, analysis: str) -> list[Evaluation]:
        """The evaluations of `analysis` in `part`: for each model selected by the analysis'
        `train:` filter, the evaluations its plan asks for (`AbstractAnalysis.plan`)."""
        key = (self._part(part), analysis)
        if key not in self._evaluations:
            settings = self._analyses[part].get(analysis)
            if settings is None:
                raise KeyError(f"analysis {analysis!r} is not configured for {part}; "
                               f"it has {', '.join(self._analyses[part]) or 'none'}")
            unit = _analysis(analysis)
            evals = [_evaluation(mid, part, unit, p.variant, p.hps)
                     for mid, hps in self._models[part].items() if model_filter_matches(settings["train"], hps)
                     for p in _plan(unit, settings, hps, f"{part}.analyses.{analysis}")]
            self._evaluations[key] = evals
        return list(self._evaluations[key])

    def evaluation(self, eval_id: str) -> Evaluation:
        """The evaluation with this id, over every part and analysis; KeyError if none."""
        if self._eval_index is None:
            self._eval_index = {e.eval_id: e for part in self.parts for analysis in self._analyses[part]
                                for e in self.evaluations(part, analysis)}
        if eval_id not in self._eval_index:
            raise KeyError(f"no evaluation {eval_id!r} in this study")
        return self._eval_index[eval_id]

    def figure_groups(self, part: str, analysis: str) -> list[FigureGroup]:
        """Evaluations of `analysis` grouped for figures: same variant, and models whose
        hyperparameters differ only in the analysis' `compare` keys."""
        key = (self._part(part), analysis)
        if key not in self._groups:
            compare = list(self._analyses[part][analysis].get("compare") or [])
            grouped: dict[tuple[str, str], list[Evaluation]] = {}
            for e in self.evaluations(part, analysis):
                rest = {k: v for k, v in flatten(self._model_index[e.model_id]).items() if k not in compare}
                grouped.setdefault((e.variant, canonical_json(rest)), []).append(e)
            groups = []
            for (variant, _), members in grouped.items():
                members.sort(key=lambda e: tuple(_sort_key(flatten(self._model_index[e.model_id]).get(k))
                                                 for k in compare))
                group_id = identity({
                    "stage": "figures",
                    "version": {s: STAGE_VERSIONS[s] for s in _analysis(analysis).figure_versions},
                    "analysis": analysis, "variant": variant, "compare": compare,
                    "members": [e.eval_id for e in members],
                })
                label = self._label(part, self._model_index[members[0].model_id], exclude=compare)
                groups.append(FigureGroup(group_id, label, compare, members, variant))
            self._groups[key] = groups
        return list(self._groups[key])

    def varying_keys(self, part: str, *, dependent: bool = False, exclude: Sequence[str] = ()) -> list[str]:
        """Dotted training keys whose value differs between the models of `part`, categorical
        keys first, without those in `exclude`. A key whose value follows from the value of an
        earlier listed key (zipped with it, like the motor noise with the feedback noise, or only
        present for some values of it) is left out unless `dependent`."""
        if part not in self._columns:
            flat = [flatten(h) for h in self._models[self._part(part)].values()]
            keys = list(dict.fromkeys(k for f in flat for k in f))
            keys.sort(key=lambda k: (_FIRST.index(k) if k in _FIRST else len(_FIRST)))
            columns = {k: [canonical_json(f.get(k)) for f in flat] for k in keys}
            self._columns[part] = {k: c for k, c in columns.items() if len(set(c)) > 1}
        columns = self._columns[part]
        kept: list[str] = []
        for k, column in columns.items():
            if k not in exclude and (dependent or not any(_determines(columns[j], column) for j in kept)):
                kept.append(k)
        return kept

    def describe_model(self, hps: Mapping[str, Any]) -> str:
        """A short readable label of `hps` from the keys that vary in its part, e.g.
        `curl_std-1.0_delay-0_fbnoise-0.01` ("model" if nothing varies)."""
        return self._label(f"part{hps['part']}", hps, exclude=[]) if hps.get("part") else "model"

    def _label(self, part: str, hps: Mapping[str, Any], exclude: list[str]) -> str:
        flat = {**{f"train.{k}": train_defaults()["train"][k] for k in OPTION_KEYS}, **flatten(hps)}  # off: left out
        words = [word(k, flat.get(k)) for k in self.varying_keys(part, exclude=exclude)]
        return "_".join(words) or ("all" if exclude else "model")


def _preset_base(name: Any, defaults: Mapping[str, Any], number: int, path: str,
                 errors: list[str]) -> dict[str, Any] | None:
    """The defaults with the packaged preset `name` merged over them and `part` set, or None when
    no preset is selected (`name` is None) or it is unknown (then a message is added to `errors`)."""
    if name is None:
        return None
    names = preset_names()
    if not isinstance(name, str) or name not in names:
        close = difflib.get_close_matches(str(name), names, n=1) if isinstance(name, str) else []
        errors.append(f"{path}.{PRESET_KEY}: got {name!r}; expected one of {', '.join(map(repr, names))} "
                      f"or null (the packaged presets in motorlab/defaults/presets)"
                      + (f" (did you mean {close[0]!r}?)" if close else ""))
        return None
    return deep_merge(deep_merge(defaults, train_preset(name)), {"part": number})


def _analysis(name: str):
    # Imported on use: the analyses import the simulator, which a bare config check does not need.
    from ..analysis._registry import get_analysis

    return get_analysis(name)


def _plan(analysis, settings: Mapping[str, Any], hps: Mapping[str, Any], path: str):
    """`analysis.plan(settings, hps)`, a bad setting reported as a `ConfigError` at `path`."""
    from ..analysis._interface import SettingsError

    try:
        return analysis.plan(settings, hps)
    except SettingsError as e:
        raise ConfigError([f"{path}.{e}"]) from None


def _evaluation(mid: str, part: str, analysis, variant: str, hps: dict) -> Evaluation:
    versions = analysis.id_versions
    version = STAGE_VERSIONS[versions[0]] if len(versions) == 1 else {s: STAGE_VERSIONS[s] for s in versions}
    eval_id = identity({"stage": analysis.id_stage, "version": version, "model": mid,
                        "analysis": analysis.name, "variant": variant, "hps": hps})
    return Evaluation(eval_id, mid, part, analysis.name, variant, hps)


def _determines(a: list[str], b: list[str]) -> bool:
    """Whether column `b` is a function of column `a` (equal values of `a` imply equal values of `b`)."""
    seen: dict[str, str] = {}
    return all(seen.setdefault(x, y) == y for x, y in zip(a, b))


def _sort_key(value: Any) -> tuple:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, canonical_json(value))
