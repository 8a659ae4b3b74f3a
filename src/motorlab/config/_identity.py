"""Content identity: canonical JSON of a resolved tree and its hash.

A product's identity is a hash of everything that determines it: its resolved hyperparameters
(defaults applied), the identities of its inputs, and the version of the code stage that made it.
Equal inputs give equal identities however they were written (`0.1`, `1e-1` and `0.10` are one
float; key order does not matter), so a model that two spreads share is trained once.

`STAGE_VERSIONS` is how a code change that alters results reaches the workflow: Snakemake sees
neither edits to the library nor changes of behaviour, so a change that alters what a stage
computes must bump that stage's version here. Every identity of that stage changes, and through
the upstream identities every identity downstream of it, so exactly that part of the study is
recomputed.
"""

import hashlib
import json
import math
import numbers
from collections.abc import Mapping
from typing import Any

STAGE_VERSIONS: dict[str, int] = {
    "train": 2,
    "evaluate": 1,
    "measures": 1,
    "figures": 2,
    "fixed_points": 4,
    "readout_norm": 1,
    "feedback_perts": 1,
    "freq_response": 1,
    "cross_eval": 1,
    "network_basic": 1,
    "tangling": 1,
    "sisu_pert": 1,
    "unit_ablation": 1,
    "eigvec_stim": 1,
    "unit_perts": 1,
    "unit_prefs": 1,
    "fp_training": 1,
}

ID_LENGTH = 16


def _canonical(x: Any, path: str) -> str:
    # bool before numbers: bool is an Integral.
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, str):
        return json.dumps(x, ensure_ascii=True)
    if isinstance(x, numbers.Integral):
        return str(int(x))
    if isinstance(x, numbers.Real):
        f = float(x)
        if not math.isfinite(f):
            raise ValueError(f"cannot hash the non-finite number {f!r} at {path or 'the root'}")
        return repr(f + 0.0)  # + 0.0 turns -0.0 into 0.0
    if isinstance(x, Mapping):
        items = []
        for k in sorted(x, key=str):
            if not isinstance(k, str):
                raise ValueError(f"keys must be strings, got {k!r} at {path or 'the root'}")
            items.append(json.dumps(k, ensure_ascii=True) + ":" + _canonical(x[k], f"{path}.{k}".lstrip(".")))
        return "{" + ",".join(items) + "}"
    if isinstance(x, (list, tuple)) or hasattr(x, "tolist"):  # numpy bools, arrays
        seq = x.tolist() if hasattr(x, "tolist") else list(x)
        if not isinstance(seq, list):  # a numpy scalar or 0-d array
            return _canonical(seq, path)
        return "[" + ",".join(_canonical(v, f"{path}[{i}]") for i, v in enumerate(seq)) + "]"
    raise ValueError(f"cannot hash {x!r} (type {type(x).__name__}) at {path or 'the root'}")


def canonical_json(tree: Any) -> str:
    """The canonical JSON text of a tree of mappings, lists, strings, numbers, booleans and None.

    Keys are sorted; floats are written as `repr(float(x))`, the shortest text that reads back
    as the same double (so a value written `0.1`, `1e-1` or `0.10` gives `0.1`), and `-0.0` as
    `0.0`; integers (Python or numpy) as integers; numpy booleans as booleans; tuples and arrays
    as lists. Integers and floats stay distinct (`1` is not `1.0`): the config validator gives
    every key its declared type first, so `std: 1` and `std: 1.0` resolve to the same float.

    Raises:
        ValueError: for a non-finite float, a non-string key or an unsupported type; the message
            names the path of the bad value.
    """
    return _canonical(tree, "")


def identity(tree: Any) -> str:
    """The identity of `tree`: the first 16 hex digits of the SHA-256 of its canonical JSON."""
    return hashlib.sha256(canonical_json(tree).encode("ascii")).hexdigest()[:ID_LENGTH]


def model_id(hps: Mapping[str, Any]) -> str:
    """The identity of the model trained with the resolved training hyperparameters `hps`."""
    return identity({"stage": "train", "version": STAGE_VERSIONS["train"], "hps": hps})
