"""Validation of hyperparameter trees against the packaged defaults, used as a typed template.

Each key of a default tree declares a key that may be given; its value declares the type. A float
key accepts integers and numeric strings (`1`, `1.0`, `"1e0"` resolve alike); an integer key takes
`2` or `2.0`, not `1.5`; a list key takes a list of the default's element type. `_TRAIN_RULES` and
`_ANALYSIS_RULES` add ranges, choices and nullability. Every problem is collected; each message
names the key path, the bad value and what was expected, and an unknown key its nearest valid key.
"""

import difflib
import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

from ..sim._controllers import CONTROLLERS
from ..train._methods import METHODS as METHOD_CLASSES
from ..train._spec import OPTION_KEYS, SpecError, parse_where
from ._crosschecks import cross_check_train
from ._load import _FLOAT, _INT, expand_dotted, flatten, train_defaults
from ._rules import (_ANALYSIS_RULES, _TASK, _TRAIN_RULES, _VARIANT_NAME,  # noqa: F401  (re-exported)
                     MAPPING_VALUES, METHODS, MODEL_KINDS, PERT_TYPES, SEED_MAX, Leaf)


def _leaf_for(default: Any) -> Leaf:
    if isinstance(default, list):
        return Leaf(list, element=_leaf_for(default[0]) if default else None)
    for t in (bool, int, float, str):
        if isinstance(default, t):
            return Leaf(t)
    raise TypeError(f"no leaf type for default {default!r}")  # a packaged default we do not know


def _as_number(value: Any) -> Any:
    if isinstance(value, str) and (_FLOAT.match(value.strip()) or _INT.match(value.strip())):
        text = value.strip().replace("_", "")
        return int(text) if _INT.match(text) else float(text)
    if hasattr(value, "item") and not isinstance(value, (list, tuple)):
        return value.item()  # numpy scalar
    return value


def check_leaf(value: Any, leaf: Leaf, path: str, errors: list[str]) -> Any:
    """`value` converted to the type of `leaf`, or `value` unchanged with a message added to `errors`."""
    if value is None:
        if not leaf.nullable:
            errors.append(f"{path}: got null; expected {leaf.describe()}")
        return value
    bad = f"{path}: got {value!r} ({type(value).__name__}); expected {leaf.describe()}"
    if leaf.type is list:
        if not isinstance(value, (list, tuple)):
            errors.append(bad)
            return value
        if leaf.nonempty and not value:
            errors.append(f"{path}: got {list(value)!r} (empty list); expected {leaf.describe()}")
            return list(value)
        if leaf.length is not None and len(value) != leaf.length:
            errors.append(f"{path}: got {list(value)!r} ({len(value)} items); expected {leaf.describe()}")
            return list(value)
        if leaf.element is None:
            return list(value)
        return [check_leaf(v, leaf.element, f"{path}[{i}]", errors) for i, v in enumerate(value)]
    if leaf.type in (float, int):
        value = _as_number(value)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            errors.append(bad)
            return value
        if not math.isfinite(float(value)):
            errors.append(bad.replace("; expected", "; expected a finite number:"))
            return value
        if leaf.type is int:
            if not float(value).is_integer():
                errors.append(bad)
                return value
            value = int(value)
        else:
            value = float(value)
    elif leaf.type is bool:
        if not isinstance(value, bool):
            errors.append(bad)
            return value
    elif not isinstance(value, str):
        errors.append(bad)
        return value
    if leaf.choices and value not in leaf.choices:
        close = difflib.get_close_matches(str(value), [str(c) for c in leaf.choices], n=1)
        errors.append(f"{path}: got {value!r}; expected {leaf.describe()}"
                      + (f" (did you mean {close[0]!r}?)" if close else ""))
    elif ((leaf.ge is not None and not value >= leaf.ge) or (leaf.gt is not None and not value > leaf.gt)
          or (leaf.le is not None and not value <= leaf.le)):
        errors.append(f"{path}: got {value!r}; expected {leaf.describe()}")
    return value


def unknown_key(path: str, key: str, siblings: Mapping[str, Any], all_paths: list[str]) -> str:
    """The message for an unknown `key` at `path`, with the nearest valid key."""
    close = difflib.get_close_matches(key, list(siblings), n=1, cutoff=0.6)
    if close:
        return f"{path}: unknown key {key!r}; did you mean {close[0]!r}?"
    # Maybe the key exists elsewhere in the tree (`plant.hidden_size` for `model.hidden_size`).
    by_last = {p.rsplit(".", 1)[-1]: p for p in all_paths}
    close = difflib.get_close_matches(key, list(by_last), n=1, cutoff=0.75)
    if close:
        return f"{path}: unknown key {key!r}; did you mean {by_last[close[0]]!r}?"
    return f"{path}: unknown key {key!r}; valid keys here: {', '.join(sorted(siblings))}"


def _leaf_paths(template: Mapping[str, Any]) -> list[str]:
    return list(flatten(template))


def _walk(value: Any, template: Mapping[str, Any], rule_of: Callable[[str], Any], rel: str, path: str,
          all_paths: list[str], errors: list[str]) -> Any:
    if not isinstance(value, Mapping):
        errors.append(f"{path}: got {value!r}; expected a mapping with keys {', '.join(template)}")
        return value
    out: dict[str, Any] = {}
    for key, v in value.items():
        r, p = f"{rel}.{key}" if rel else key, f"{path}.{key}" if path else key
        if key not in template:
            errors.append(unknown_key(p, key, template, all_paths))
            continue
        rule = rule_of(r)
        if isinstance(rule, str):
            out[key] = _SPECIAL[rule](v, template[key], p, errors)
        elif rule is None and isinstance(template[key], Mapping):
            out[key] = _walk(v, template[key], rule_of, r, p, all_paths, errors)
        else:
            out[key] = check_leaf(v, rule or _leaf_for(template[key]), p, errors)
    return out


def validate_train(tree: Mapping[str, Any], template: Mapping[str, Any], path: str,
                   errors: list[str]) -> dict[str, Any]:
    """Check and convert a training tree (already merged over `template`, the defaults)."""
    out = _walk(tree, template, _TRAIN_RULES.get, "", path, _leaf_paths(template), errors)
    cross_check_train(out, path, errors)
    return out


def validate_analyses(tree: Mapping[str, Any], template: Mapping[str, Any], path: str,
                      errors: list[str]) -> dict[str, Any]:
    """Check and convert analysis settings {name: subtree} (each merged over its defaults)."""
    def rule_of(rel: str) -> Any:
        star = "*." + rel.split(".", 1)[1] if "." in rel else None
        return _ANALYSIS_RULES.get(rel) or (_ANALYSIS_RULES.get(star) if star else None)

    return _walk(tree, template, rule_of, "", path, _leaf_paths(template), errors)


def relevant_hps(hps: dict[str, Any]) -> dict[str, Any]:
    """`hps` without the keys its model ignores, so that their defaults do not enter its
    identity (nor the catalogue, where they would match filters they have nothing to do with):
    `context` in part 1, whose models have no context input, and in part 2 the settings of the
    other training methods (`p_perturbed` is BCS's, `sisu_noise_std` is PAI-N's); in `model`,
    the keys of the other controller kinds (`tau` is the leaky RNN's: a GRU's identity, and so
    every model id from before the leaky RNN existed, does not contain it); and in `train`, the
    SPEC §1.5 options (`OPTION_KEYS`) whose value is their default, which is off: so turning
    an option on moves only the ids of the models that use it, and every id from before the
    options existed stays. Validation has already made each off value one spelling (`where`:
    null, `optimizer_reset_iterations`: [])."""
    out = {k: v for k, v in hps.items() if not (k == "context" and hps.get("part") != 2)}
    train = out.get("train")
    if isinstance(train, dict):
        off = train_defaults()["train"]
        out["train"] = {k: v for k, v in train.items() if not (k in OPTION_KEYS and k in off and v == off[k])}
    model = out.get("model")
    if isinstance(model, dict) and model.get("kind") in CONTROLLERS:
        foreign = {k for cls in CONTROLLERS.values() for k in cls.model_keys}
        own = CONTROLLERS[model["kind"]].model_keys
        out["model"] = {k: v for k, v in model.items() if k not in foreign or k in own}
    context = out.get("context")
    if isinstance(context, dict):
        method = context.get("method")
        own = METHOD_CLASSES[method].SETTINGS if method in METHOD_CLASSES else ()
        owned = {k for cls in METHOD_CLASSES.values() for k in cls.SETTINGS}
        out["context"] = {k: v for k, v in context.items() if k not in owned or k in own}
    return out


def list_depths(template: Mapping[str, Any]) -> dict[str, int]:
    """Dotted keys whose default is a list, with the list's nesting depth (workspace: 2)."""
    return {k: list_depth(v) for k, v in flatten(template).items() if isinstance(v, list)}


def list_depth(x: Any) -> int:
    """Nesting depth of lists: 0 for a scalar, 1 for `[1, 2]`, 2 for `[[1], [2]]`."""
    if isinstance(x, (list, tuple)):
        return 1 + max((list_depth(v) for v in x), default=0)
    return 0


def check_filter(value: Any, path: str, errors: list[str]) -> dict[str, Any]:
    """Check a model filter (`train:` of an analysis): training keys, dotted or nested, each with
    a value, a list meaning "any of", or null meaning "any". Returns it nested, values converted."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        errors.append(f"{path}: got {value!r}; expected a mapping of training keys to values")
        return {}
    template = train_defaults()
    all_paths, depths = _leaf_paths(template), list_depths(template)
    out: dict[str, Any] = {}
    value, schedules = pull_mapping_values(value)
    for key, v in schedules.items():  # `train.where`: a schedule, a list of them (any of) or null
        check = lambda x, p: None if x is None else _check_where(x, None, p, errors)  # noqa: E731
        _set(out, key.split("."), [check(x, f"{path}.{key}[{i}]") for i, x in enumerate(v)]
             if isinstance(v, list) else check(v, f"{path}.{key}"))
    for key, v in flatten(expand_dotted(value, path)).items():
        if isinstance(v, Mapping):  # an empty mapping: no constraint
            continue
        node: Any = template
        parts = key.split(".")
        for i, part in enumerate(parts):
            if not isinstance(node, Mapping) or part not in node:
                prefix = ".".join([path, *parts[:i + 1]])
                errors.append(unknown_key(prefix, part, node if isinstance(node, Mapping) else {}, all_paths))
                break
            node = node[part]
        else:
            if isinstance(node, Mapping):
                errors.append(f"{path}.{key}: got {v!r}; expected a mapping with keys {', '.join(node)}")
                continue
            leaf = _TRAIN_RULES.get(key) or _leaf_for(node)
            if isinstance(leaf, str):  # a schedule or an iteration list: one value, checked as in a config
                _set(out, parts, None if v is None else _SPECIAL[leaf](v, node, f"{path}.{key}", errors))
                continue
            any_of = isinstance(v, list) and list_depth(v) > depths.get(key, 0)
            if v is None:
                converted = None
            elif any_of:
                converted = [check_leaf(x, leaf, f"{path}.{key}[{i}]", errors) for i, x in enumerate(v)]
            else:
                converted = check_leaf(v, leaf, f"{path}.{key}", errors)
            _set(out, parts, converted)
    return out


def pull_mapping_values(tree: Mapping[str, Any], prefix: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
    """`(the rest, {dotted key: value})`: the values of the keys whose one value is a mapping
    (`MAPPING_VALUES`: `train.where`) taken out of a filter given with dotted or nested keys, so
    that their own keys (iterations) are not read as config keys."""
    rest: dict[str, Any] = {}
    pulled: dict[str, Any] = {}
    for k, v in tree.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if key in MAPPING_VALUES:
            pulled[key] = v
        elif isinstance(v, Mapping) and v:
            sub, found = pull_mapping_values(v, key)
            pulled.update(found)
            if sub or not found:
                rest[k] = sub
        else:
            rest[k] = v
    return rest, pulled


def _set(tree: dict, parts: list[str], value: Any) -> None:
    for p in parts[:-1]:
        tree = tree.setdefault(p, {})
    tree[parts[-1]] = value


def _check_compare(value: Any, default: Any, path: str, errors: list[str]) -> list[str]:
    keys = [value] if isinstance(value, str) else value
    if value is None:
        return []
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        errors.append(f"{path}: got {value!r}; expected a training key (dotted) or a list of them")
        return []
    leaves = _leaf_paths(train_defaults())
    for k in keys:
        if k not in leaves:
            close = difflib.get_close_matches(k, leaves, n=1)
            errors.append(f"{path}: got {k!r}; expected a training key such as 'pert.std'"
                          + (f" (did you mean {close[0]!r}?)" if close else ""))
    return list(keys)


def _check_tasks(value: Any, default: Any, path: str, errors: list[str]) -> Any:
    if not isinstance(value, Mapping):
        errors.append(f"{path}: got {value!r}; expected a mapping of task variant names to "
                      f"{{grid_n, n_directions, reach_length}}")
        return value
    out = {}
    for name, task in value.items():
        p = f"{path}.{name}"
        if not isinstance(name, str) or not _VARIANT_NAME.match(name):
            errors.append(f"{p}: variant names must be letters, digits, '_' or '-', got {name!r}")
            continue
        if task is None:  # a variant switched off
            out[name] = None
            continue
        task = _walk(task, _TASK, _TASK.get, "", p, list(_TASK), errors)
        if isinstance(task, Mapping):
            missing = [k for k in _TASK if k not in task]
            if missing:
                errors.append(f"{p}: missing {', '.join(missing)}; a task variant needs "
                              f"{', '.join(_TASK)}")
        out[name] = task
    return out


def _check_filter_special(value: Any, default: Any, path: str, errors: list[str]) -> Any:
    return check_filter(value, path, errors)


def _check_where(value: Any, default: Any, path: str, errors: list[str]) -> Any:
    """`train.where` in its one spelling: `{"<iteration>": [groups, sorted]}` with the entries
    that change nothing dropped, or None (off: every group trains throughout); a bad value is
    returned unchanged, with its message added to `errors`."""
    try:
        schedule = parse_where(value, key=path)
    except SpecError as e:
        errors.append(str(e))
        return value
    return {str(it): list(groups) for it, groups in schedule} or None


def _check_iterations(value: Any, default: Any, path: str, errors: list[str]) -> Any:
    """A list of iterations (>= 1), sorted and without repeats; null is the empty list."""
    if value is None:
        return []
    leaf = Leaf(list, element=Leaf(int, ge=1))
    n_errors = len(errors)
    out = check_leaf(value, leaf, path, errors)
    return sorted(set(out)) if len(errors) == n_errors else out


_SPECIAL: dict[str, Callable[[Any, Any, str, list[str]], Any]] = {
    "where": _check_where,
    "iterations": _check_iterations,
    "filter": _check_filter_special,
    "compare": _check_compare,
    "tasks": _check_tasks,
}
