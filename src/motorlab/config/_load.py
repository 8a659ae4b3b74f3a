"""Reading YAML, dotted keys, deep merging and the packaged defaults.

PyYAML follows YAML 1.1, in which `1e-5` (no dot) is a string and `yes`/`off` are booleans.
`load_yaml` reads numbers the way people write them (`1e-5`, `1E3`, `.5`, `-.5`, `+2` are
numbers) and only `true`/`false` as booleans.
"""

import copy
import functools
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ._errors import ConfigError

_FLOAT = re.compile(
    r"""^[-+]?(?:
        (?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?   # 1.5, .5, 1., 1.5e-3
        |[0-9][0-9_]*[eE][-+]?[0-9]+                     # 1e-5, 1E3
        |\.(?:inf|Inf|INF)
    )$|^\.(?:nan|NaN|NAN)$""",
    re.X,
)
_INT = re.compile(r"^[-+]?[0-9][0-9_]*$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML-1.2-style numbers and booleans."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:float", "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = loader.construct_scalar(node).replace("_", "")
    low = text.lower()
    if low.lstrip("+-") == ".inf":
        return float("-inf") if low.startswith("-") else float("inf")
    if low == ".nan":
        return float("nan")
    return float(text)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    return int(loader.construct_scalar(node).replace("_", ""))


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    """A mapping; a key given twice in it is an error naming the key and both lines."""
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            first = seen.get(key)
        except TypeError:
            continue  # an unhashable key: the default constructor reports it
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice in one mapping (lines {first} and {line}); "
                f"expected each key once", key_node.start_mark)
        seen[key] = line
    return loader.construct_mapping(node, deep=True)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def load_yaml(source: str | Path) -> Any:
    """Read a YAML file (a path) with numbers read as numbers (`1e-5` is a float).

    Raises:
        ConfigError: if the file is missing or is not valid YAML (the message names the file and,
            for syntax errors, the line).
    """
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ConfigError([f"cannot read config file {str(path)!r}: {e.strerror or e}"]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise ConfigError([f"{path}: line {line}, column {column}: byte 0x{data[e.start]:02x} is not UTF-8 text; "
                           f"expected a UTF-8 file (re-save it as UTF-8)"]) from None
    return parse_yaml(text, name=str(path))


def parse_yaml(text: str, name: str = "<string>") -> Any:
    """Parse YAML text with numbers read as numbers; see `load_yaml`."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        raise ConfigError([f"{name}: invalid YAML: {e}"]) from None


def parse_scalar(text: str) -> Any:
    """Read one command-line value as YAML would: `1e-5` -> 1e-05, `curl` -> 'curl', `[0, 1]` -> list."""
    try:
        value = yaml.load(text, Loader=_Loader)  # noqa: S506
    except yaml.YAMLError:
        return text
    return text if value is None and text.strip() not in ("null", "~", "") else value


def split_key(key: str) -> list[str]:
    """The parts of a dotted key; `__` is accepted as a separator too (`pert__std`)."""
    return re.split(r"\.|__", key)


def expand_dotted(tree: Any, path: str = "") -> Any:
    """Turn dotted keys into nested mappings: `{"a.b": 1, "a": {"c": 2}}` -> `{"a": {"b": 1, "c": 2}}`.

    Raises:
        ConfigError: if a key is given twice (once dotted, once nested) with different values.
    """
    if not isinstance(tree, Mapping):
        return tree
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(key, int) and not isinstance(key, bool):
            key = str(key)  # an iteration of `train.where`; elsewhere an unknown key, reported as such
        if not isinstance(key, str):
            raise ConfigError([f"{_join(path, str(key))}: keys must be strings, got {key!r}"])
        parts = key.split(".")
        if any(p == "" for p in parts):
            raise ConfigError([f"{_join(path, key)}: empty part in dotted key {key!r}"])
        nested: Any = expand_dotted(value, _join(path, key))
        for p in reversed(parts[1:]):
            nested = {p: nested}
        _merge_into(out, parts[0], nested, path)
    return out


def _merge_into(out: dict, key: str, value: Any, path: str) -> None:
    if key not in out:
        out[key] = value
    elif isinstance(out[key], dict) and isinstance(value, dict):
        for k, v in value.items():
            _merge_into(out[key], k, v, _join(path, key))
    elif out[key] != value:
        raise ConfigError([f"{_join(path, key)}: given twice, as {out[key]!r} and as {value!r}"])


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """A new tree: `override` merged into `base`. Mappings merge key by key; any other value
    (lists included) replaces the base value. Neither argument is modified."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def flatten(tree: Mapping[str, Any], sep: str = ".", prefix: str = "") -> dict[str, Any]:
    """Leaves of a nested mapping keyed by their joined path (`{"a": {"b": 1}}` -> `{"a.b": 1}`).
    An empty mapping is a leaf."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        full = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, sep, full))
        else:
            out[full] = value
    return out


def get_path(tree: Mapping[str, Any], parts: list[str]) -> Any:
    """The value at `parts` in `tree`; raises KeyError if absent."""
    node: Any = tree
    for p in parts:
        if not isinstance(node, Mapping) or p not in node:
            raise KeyError(".".join(parts))
        node = node[p]
    return node


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


@functools.cache
def _packaged(name: str) -> Any:
    return parse_yaml(resources.files("motorlab").joinpath("defaults", *name.split("/")).read_text(), name=name)


def train_defaults() -> dict[str, Any]:
    """A fresh copy of the packaged training defaults (`motorlab/defaults/train.yaml`)."""
    return copy.deepcopy(_packaged("train.yaml"))


PRESET_KEY = "preset"  # the key of a part's `train:` block that selects a packaged preset


def preset_names() -> list[str]:
    """The packaged training presets (`motorlab/defaults/presets/<name>.yaml`), sorted."""
    folder = resources.files("motorlab").joinpath("defaults", "presets")
    return sorted(p.name[:-len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def train_preset(name: str) -> dict[str, Any]:
    """A fresh copy of the packaged training preset `name`: a partial training tree that is
    deep-merged over the training defaults, below a config's own values.

    Raises:
        ConfigError: if there is no such preset; the message lists the available ones.
    """
    names = preset_names()
    if name not in names:
        raise ConfigError([f"{PRESET_KEY}: got {name!r}; expected one of {', '.join(map(repr, names))}"])
    return copy.deepcopy(_packaged(f"presets/{name}.yaml"))


def analysis_defaults() -> dict[str, Any]:
    """A fresh copy of the packaged analysis defaults (`motorlab/defaults/analyses.yaml`)."""
    return copy.deepcopy(_packaged("analyses.yaml"))
