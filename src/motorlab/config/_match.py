"""Matching hyperparameter trees against filters (`train:` of an analysis, `find_models`)."""

import numbers
from collections.abc import Mapping
from typing import Any

from ..train._spec import OPTION_KEYS
from ._load import flatten, get_path, split_key, train_defaults
from ._schema import _as_number, _check_where, list_depth, pull_mapping_values


def same_value(a: Any, b: Any) -> bool:
    """Equality of config values: numbers compare as floats (`1 == 1.0`, numeric strings are
    numbers), booleans only equal booleans, lists element-wise."""
    a, b = _as_number(a), _as_number(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real):
        return float(a) == float(b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return a == b


def value_matches(wanted: Any, actual: Any) -> bool:
    """Does `actual` satisfy one filter value? `None` matches anything, a callable is a
    predicate, a list means "any of" (unless `actual` is itself a list of the same depth)."""
    if wanted is None:
        return True
    if callable(wanted):
        return bool(wanted(actual))
    if isinstance(wanted, (list, tuple)) and list_depth(wanted) > list_depth(actual):
        return any(value_matches(w, actual) for w in wanted)
    return same_value(wanted, actual)


def filter_items(filters: Mapping[str, Any]) -> list[tuple[list[str], Any]]:
    """A filter's (key path, value) pairs; keys may be nested, dotted or joined by `__`."""
    out = []
    filters, schedules = pull_mapping_values(filters)  # `train.where`: one value, not nested keys
    for key, value in schedules.items():  # in their one spelling, as in resolved trees
        canonical = lambda v: _check_where(v, None, key, []) if isinstance(v, Mapping) else v  # noqa: E731
        out.append((split_key(key), [canonical(v) for v in value] if isinstance(value, list) else canonical(value)))
    for key, value in flatten(filters).items():
        if isinstance(value, Mapping):  # an empty mapping: no constraint
            continue
        out.append((split_key(key), value))
    return out


def model_filter_matches(filter: Mapping[str, Any], hps: Mapping[str, Any]) -> bool:
    """Whether the hyperparameters `hps` satisfy every entry of `filter`.

    Arguments:
        filter: training keys (nested, dotted such as `pert.std`, or `pert__std`) to a value, a
            list meaning "any of", `None` meaning "any", or a predicate `f(value) -> bool`.
            Numbers compare as floats, so `1` matches `1.0`.
        hps: a resolved training tree.

    Returns:
        True if every entry matches; a key absent from `hps` matches only `None`, except a
        training option (`train._spec.OPTION_KEYS`), which resolved trees leave out when it is
        off: it matches its default (off).
    """
    for parts, wanted in filter_items(filter):
        try:
            actual = get_path(hps, parts)
        except KeyError:
            if len(parts) == 2 and parts[0] == "train" and parts[1] in OPTION_KEYS:
                actual = train_defaults()["train"][parts[1]]  # an option left out of hps is off
            elif wanted is not None:
                return False
            else:
                continue
        if not value_matches(wanted, actual):
            return False
    return True

