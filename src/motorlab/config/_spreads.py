"""Spreads: one config block that stands for many hyperparameter points.

A block is a mapping of keys (dotted or nested) to values:

* a list value is an axis of the spread, one point per element, unless the key's default value
  is itself a list (`plant.workspace`): then a list is an ordinary value, and a list of such
  lists is an axis;
* any other value applies to every point of the block;
* several axes in one block combine as a grid (Cartesian product), in the order written;
* `zip:` holds a block whose axes vary together (equal lengths), or a list of blocks whose
  points are paired in order;
* `grid:` holds a list of blocks whose points are combined as a Cartesian product (or a block,
  which is the same as writing it inline);
* `cases:` holds a list of alternative blocks: the union of their points.

A key whose value is a mapping (`train.where: {1000: [cell]}`, see `_rules.MAPPING_VALUES`) takes
it as one value; a list of such mappings is an axis.

These nest arbitrarily, and a block may mix them: its plain keys, `zip`, `grid` and `cases`
entries are combined as a product in the order written. A list of blocks in place of a block is
the union of their points (several spreads in one file).
"""

import itertools
from collections.abc import Mapping
from typing import Any

from ._errors import ConfigError
from ._load import expand_dotted, flatten
from ._rules import MAPPING_VALUES
from ._schema import list_depth

SPREAD_KEYS = ("zip", "grid", "cases")
Point = dict[str, Any]  # dotted key -> value


def expand_spread(block: Any, list_depths: Mapping[str, int], path: str = "") -> list[dict[str, Any]]:
    """The points of a spread block, in order, each as a nested mapping of the given values only
    (defaults are not filled in). Duplicates are kept; see `Study` for their removal.

    Arguments:
        block: a spread block (mapping) or a list of blocks (their union).
        list_depths: dotted keys whose default value is a list, with its nesting depth
            (`schema.list_depths(defaults)`); a list under such a key is an axis only if it is
            one level deeper.
        path: where the block sits in the config, for error messages.

    Raises:
        ConfigError: for an empty axis, zipped axes of unequal length, a misplaced `zip`/`grid`/
            `cases`, or a key given two different values in one point; the message names the path.
    """
    errors: list[str] = []
    try:
        points = _block(block, list_depths, path, errors)
    except _Abort:
        points = []
    if errors:
        raise ConfigError(errors)
    out = []
    for i, point in enumerate(points):
        try:
            out.append(expand_dotted(point, path))
        except ConfigError as e:
            raise ConfigError([f"{path} (point {i}): {m}" for m in e.errors]) from None
    return out


class _Abort(Exception):
    pass


def _fail(errors: list[str], message: str) -> None:
    errors.append(message)
    raise _Abort


def _block(block: Any, depths: Mapping[str, int], path: str, errors: list[str]) -> list[Point]:
    if isinstance(block, list):
        return _union(block, depths, path, errors)
    if not isinstance(block, Mapping):
        _fail(errors, f"{path}: got {block!r}; expected a mapping of keys to values or spreads")
    factors: list[list[Point]] = []
    for key, value in block.items():
        p = _join(path, key)
        if key == "zip":
            factors.append(_zip(value, depths, p, errors))
        elif key == "grid":
            factors.append(_product([value] if isinstance(value, Mapping) else value, depths, p, errors))
        elif key == "cases":
            if not isinstance(value, list):
                _fail(errors, f"{p}: got {value!r}; expected a list of alternative blocks")
            factors.append(_union(value, depths, p, errors))
        else:
            for dotted, leaf in _leaves(key, value, p, errors):
                factors.append(_axis(dotted, leaf, depths, _join(path, dotted), errors))
    return _combine(factors, path, errors)


def _leaves(key: str, value: Any, path: str, errors: list[str]) -> list[tuple[str, Any]]:
    if key in MAPPING_VALUES:  # one value (or a list of them: an axis); its keys as text, as dotted keys are
        return [(key, [_text_keys(v) for v in value] if isinstance(value, list) else _text_keys(value))]
    if not isinstance(value, Mapping) or not value:
        return [(key, value)]
    out = []
    for k, v in value.items():
        if k in SPREAD_KEYS:
            _fail(errors, f"{_join(path, k)}: `{k}:` must be a key of a spread block, not inside "
                          f"the value of {key!r}; write the keys dotted inside it instead")
        out.extend(_leaves(f"{key}.{k}", v, _join(path, k), errors))
    return out


def _text_keys(value: Any) -> Any:
    """A mapping value with its keys as text (`{1000: [cell]}` -> `{"1000": [cell]}`)."""
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else value


def _is_axis(key: str, value: Any, depths: Mapping[str, int]) -> bool:
    return isinstance(value, list) and list_depth(value) > depths.get(key, 0)


def _axis(key: str, value: Any, depths: Mapping[str, int], path: str, errors: list[str]) -> list[Point]:
    if not _is_axis(key, value, depths):
        return [{key: value}]
    if not value:
        _fail(errors, f"{path}: empty list; a spread needs at least one value")
    return [{key: v} for v in value]


def _zip(value: Any, depths: Mapping[str, int], path: str, errors: list[str]) -> list[Point]:
    if isinstance(value, Mapping):
        columns: list[tuple[str, list[Point]]] = []
        constants: list[Point] = []
        for key, v in value.items():
            if key in SPREAD_KEYS:
                _fail(errors, f"{_join(path, key)}: a `zip:` mapping holds keys and lists; "
                              f"to zip blocks, give `zip:` a list of blocks")
            for dotted, leaf in _leaves(key, v, _join(path, key), errors):
                if _is_axis(dotted, leaf, depths):
                    columns.append((dotted, _axis(dotted, leaf, depths, _join(path, dotted), errors)))
                else:
                    constants.append({dotted: leaf})
        groups = columns
    elif isinstance(value, list):
        groups = [(f"[{i}]", _block(b, depths, f"{path}[{i}]", errors)) for i, b in enumerate(value)]
        constants = []
    else:
        _fail(errors, f"{path}: got {value!r}; expected a mapping of equal-length lists or a list of blocks")
    if not groups:
        return _combine([[c] for c in constants], path, errors)
    lengths = {name: len(points) for name, points in groups}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        _fail(errors, f"{path}: zipped lists must have equal lengths; {detail}")
    rows = [[pts[i] for _, pts in groups] + constants for i in range(len(groups[0][1]))]
    return [_merge(row, path, errors) for row in rows]


def _product(blocks: Any, depths: Mapping[str, int], path: str, errors: list[str]) -> list[Point]:
    if not isinstance(blocks, list):
        _fail(errors, f"{path}: got {blocks!r}; expected a list of blocks to combine")
    if not blocks:
        _fail(errors, f"{path}: empty list; `grid:` needs at least one block")
    return _combine([_block(b, depths, f"{path}[{i}]", errors) for i, b in enumerate(blocks)], path, errors)


def _union(blocks: list, depths: Mapping[str, int], path: str, errors: list[str]) -> list[Point]:
    if not blocks:
        _fail(errors, f"{path}: empty list; alternatives need at least one block")
    return [p for i, b in enumerate(blocks) for p in _block(b, depths, f"{path}[{i}]", errors)]


def _combine(factors: list[list[Point]], path: str, errors: list[str]) -> list[Point]:
    return [_merge(list(combo), path, errors) for combo in itertools.product(*factors)]


def _merge(parts: list[Point], path: str, errors: list[str]) -> Point:
    out: Point = {}
    for part in parts:
        for key, value in part.items():
            if key in out and out[key] != value:
                _fail(errors, f"{path}: {key!r} gets two values in one point ({out[key]!r} and {value!r}); "
                              f"give each key in one place only")
            out[key] = value
    return out


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else str(key)


def case_of(block: Any, point: Mapping[str, Any], list_depths: Mapping[str, int], path: str) -> str | None:
    """Which block of a top-level `cases:` list `point` came from, as `"<path>.cases[i]"` (the
    first case whose keys and values all appear in the point), or None (no `cases:` there)."""
    cases = block.get("cases") if isinstance(block, Mapping) else None
    if not isinstance(cases, list):
        return None
    flat = flatten(point)
    for i, case in enumerate(cases):
        try:
            case_points = expand_spread(case, list_depths, f"{path}.cases[{i}]")
        except ConfigError:
            continue
        if any(all(k in flat and flat[k] == v for k, v in flatten(c).items()) for c in case_points):
            return f"{path}.cases[{i}]"
    return None
