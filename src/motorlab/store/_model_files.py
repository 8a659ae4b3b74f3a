"""Model files and JSON sidecars.

A model file (`.eqx`) is one JSON header line (sorted keys: format, id, hps, replicates, package
versions and git commit; no time stamp, so identical runs write identical files)
followed by Equinox `tree_serialise_leaves` bytes of the replicate ensemble. The header alone
rebuilds the skeleton the bytes are read into, so a model loads from its file alone.
Every write goes to a temporary file in the same folder and is renamed into place, so a
killed job never leaves a half-written product.
"""

import io
import json
import os
import subprocess
import tempfile
from collections.abc import Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import equinox as eqx

from ..sim._controllers import AbstractController
from ..sim._setup import ensemble_skeleton

FORMAT = "motorlab-model/1"
_PACKAGES = ("motorlab", "jax", "jaxlib", "equinox", "optax", "numpy")


def current_umask() -> int:
    """The process umask (from /proc on Linux; elsewhere set and restored at once)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb"):
    """Open a temporary file next to `path`; on success rename it to `path`, else delete it.

    The file gets the mode a plain `open` would give it (0666 less the umask: 0644 under 022,
    0664 under 002), not `mkstemp`'s private 0600, so colleagues can read shared results."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, mode) as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def provenance() -> dict[str, Any]:
    """Package versions, the git commit of the working directory (or None) and a UTC timestamp."""
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"versions": versions, "git_commit": git_commit(), "created": now()}


def relative_path(path: str | os.PathLike) -> str:
    """`path` relative to the working directory (how sidecars and manifests name files)."""
    return os.path.relpath(path)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def git_commit() -> str | None:
    """The commit of the motorlab source tree, if it is a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def save_model_file(path: str | os.PathLike, ensemble: AbstractController, hps: Mapping,
                    replicates: Mapping, *, model_id: str | None = None) -> dict:
    """Write `ensemble` with its hyperparameters and replicate selection to `path`.

    Returns:
        The header dict that was written.
    """
    # No time stamp: a model file is a pure function of its identity (and the package versions);
    # when it was made is recorded in its sidecar only.
    stamp = {k: v for k, v in provenance().items() if k != "created"}
    header = {"format": FORMAT, "id": model_id, "hps": hps, "replicates": replicates, **stamp}
    with atomic_write(path) as f:
        f.write(json.dumps(header, sort_keys=True, default=_json_default).encode() + b"\n")
        eqx.tree_serialise_leaves(f, ensemble)
    return header


def _parse_header(line: bytes, path) -> dict:
    try:
        header = json.loads(line)
    except ValueError as e:  # JSON errors and undecodable bytes alike
        raise ValueError(f"{path} is not a motorlab model file (its first line is not a JSON header: {e})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path} is not a motorlab model file (header is {type(header).__name__}, expected an object)")
    if header.get("format") != FORMAT:
        raise ValueError(f"{path}: unknown model format {header.get('format')!r}, expected {FORMAT!r}")
    return header


def read_header(path: str | os.PathLike) -> dict:
    """The JSON header of a model file."""
    with open(path, "rb") as f:
        return _parse_header(f.readline(), path)


def load_model_file(path: str | os.PathLike) -> tuple[AbstractController, dict]:
    """Load a model file.

    Returns:
        `(ensemble, header)`: the replicate ensemble (leading replicate axis) and the header
        (`hps`, `replicates` with `best_iteration`/`included`/`excluded_reason`, `versions`, …).
    """
    with open(path, "rb") as f:
        header = _parse_header(f.readline(), path)
        skeleton = eqx.filter_eval_shape(ensemble_skeleton, header["hps"])
        data = f.read()
    try:
        ensemble = eqx.tree_deserialise_leaves(io.BytesIO(data), skeleton)
    except Exception as e:  # Equinox raises TreePathError (a RuntimeError) naming a leaf, or ValueError
        raise ValueError(f"{path}: truncated or corrupt model file (its header is fine but its weights "
                         f"could not be read: {str(e).splitlines()[0] if str(e) else type(e).__name__}); "
                         f"delete it to have it retrained") from None
    return ensemble, header


def write_json(path: str | os.PathLike, record: Mapping) -> None:
    """Write a JSON sidecar atomically (sorted keys, indented)."""
    with atomic_write(path, "w") as f:
        json.dump(record, f, sort_keys=True, indent=1, default=_json_default)
        f.write("\n")


def _json_default(x):
    import numpy as np
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"not JSON-serialisable: {type(x).__name__}")
