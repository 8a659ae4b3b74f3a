"""Thin entry points for training and for the end of a part.

Snakemake's scripts (and the `motorlab` CLI) call these; each reads its inputs, calls the
library, and writes its products atomically with a JSON sidecar (the catalogue's source of truth).
"""

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import jax
import numpy as np

from ..store._model_files import atomic_write, provenance, relative_path, save_model_file, write_json
from ..train._checkpoint import Checkpoint
from ..train._loop import train_ensemble


def train(hps: Mapping, *, model_id: str, part: str, model_path, sidecar_path, history_path,
          progress: bool = True, checkpoint_path=None, checkpoint_every: int = 500,
          checkpoint_minutes: float = 10.0) -> dict:
    """Train one model (an ensemble) and write its `.eqx`, `_history.npz` and `.json` sidecar.

    With `checkpoint_path`, the training saves its state there every `checkpoint_every`
    iterations or `checkpoint_minutes` minutes (whichever comes first), resumes from it when a
    rerun finds one of this `model_id` (bit-identical to an uninterrupted run), and removes it
    at the end.

    Returns:
        The sidecar record.
    """
    checkpoint = None
    if checkpoint_path is not None:
        checkpoint = Checkpoint(checkpoint_path, model_id, every_iterations=int(checkpoint_every),
                                every_seconds=60.0 * float(checkpoint_minutes), log=_say)
    result = train_ensemble(hps, progress=progress, checkpoint=checkpoint)
    save_model_file(model_path, result.ensemble, hps, result.info, model_id=model_id)
    _write_history(history_path, result)
    record = {"kind": "model", "id": model_id, "part": part, "hps": hps, "path": relative_path(model_path),
              "history_path": relative_path(history_path), "replicates": result.info, **provenance()}
    write_json(sidecar_path, record)
    return record


def _say(message: str) -> None:
    print(f"[motorlab] {message}", flush=True)


def _write_history(path, result) -> None:
    """Loss history per term (n_batches, R), the parameter snapshots (S, R, …) and, when recorded,
    the validation loss (`validation/iterations` (V,), `validation/<term>` (V, R)) as .npz."""
    arrays = {f"loss/{k}": v for k, v in result.history.items()}
    arrays.update({f"validation/{k}": v for k, v in result.validation.items()})
    arrays["saved_iterations"] = np.asarray(result.saved_iterations)
    if result.snapshots:
        leaves_by_snapshot = [jax.tree_util.tree_flatten_with_path(s)[0] for s in result.snapshots]
        for i, (kpath, _) in enumerate(leaves_by_snapshot[0]):
            name = jax.tree_util.keystr(kpath)
            arrays[f"params/{name}"] = np.stack([np.asarray(snap[i][1]) for snap in leaves_by_snapshot])
    with atomic_write(path) as f:
        np.savez_compressed(f, **arrays)


def finish_part(part: str, sidecars: Sequence[str | os.PathLike], *, manifest_path, results_dir="results",
                catalog_path=None) -> dict:
    """Write the part's manifest (every product and its identity), fold every sidecar under
    `results_dir` into the catalogue and rewrite the results browser (`<results_dir>/index.html`,
    see `motorlab.store.write_browser`) from it, so the page always shows every finished part.

    Run it on one host only (a Snakemake local rule): the catalogue is folded under its lock and the
    page is replaced atomically. The manifest names the page (`browser`) when a catalogue was folded.
    """
    import json

    products = []
    for s in sorted(map(str, sidecars)):
        if not s.endswith(".json"):
            raise ValueError(f"{s}: expected a product's JSON sidecar or manifest")
        try:
            rec = json.loads(Path(s).read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{s}: corrupt sidecar, not readable JSON ({e}); delete it and its "
                             f"product so that the workflow remakes them") from None
        paths = rec.get("paths") or [rec.get("path")]
        products.append({"kind": rec["kind"], "id": rec["id"], "sidecar": relative_path(s),
                         "paths": [p for p in paths if p]})
    counts = {k: sum(p["kind"] == k for p in products) for k in sorted({p["kind"] for p in products})}
    manifest = {"part": part, "counts": counts, "products": products, **provenance()}
    if catalog_path is not None:
        from ..store._browser import write_browser
        from ..store._catalog import fold_sidecars

        fold_sidecars(results_dir, catalog_path)  # under the catalogue's lock (`store.catalog_lock`)
        page = write_browser(results_dir, catalog_path)  # written atomically (temporary file, rename)
        manifest["catalog"] = relative_path(catalog_path)
        manifest["browser"] = relative_path(page)
    write_json(manifest_path, manifest)
    return manifest

