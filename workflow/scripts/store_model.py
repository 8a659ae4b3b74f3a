"""Snakemake local job (rules `unpack_member` and `store_model`): move staged model files, see
motorlab.stages._train_jobs, whose layout this follows. Plain file moves with the standard library
only: it runs once or twice per model on the host running Snakemake, and importing motorlab (JAX)
there would cost seconds each time.

Editing this file makes Snakemake rerun `store_model` for every model (its code trigger compares a
script's time with the outputs'), and so their training, as editing train.py does."""
import os
import shutil
from pathlib import Path

DIVERGED, FILES = "diverged.txt", ("model.eqx", "history.npz", "sidecar.json")


def check(folder: Path, model_id: str) -> None:
    if (folder / DIVERGED).exists():
        raise RuntimeError(f"model {model_id} diverged in its bucket: {(folder / DIVERGED).read_text()}")
    missing = [name for name in FILES if not (folder / name).exists()]
    if missing:
        raise FileNotFoundError(f"{folder}: no staged {', '.join(missing)} for model {model_id}")


def move(log) -> None:
    model_id = snakemake.wildcards.model_id
    if snakemake.rule == "unpack_member":
        source, target = Path(snakemake.input[0]) / model_id, Path(snakemake.output[0])
        if not (source / DIVERGED).exists():  # a diverged member moves too: store_model fails on it,
            check(source, model_id)           # and the bucket's folder is emptied and removed
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        print(f"[motorlab] {model_id}: taken from bucket folder {snakemake.input[0]}", file=log)
    else:
        folder = Path(snakemake.input[0])
        check(folder, model_id)
        out = snakemake.output
        for name, path in zip(FILES, (out.model, out.history, out.sidecar)):  # the sidecar last
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            os.replace(folder / name, path)
            os.utime(path)
        print(f"[motorlab] {model_id}: stored from {folder}", file=log)


with open(snakemake.log[0], "a") as log:
    try:
        move(log)
    except Exception as e:
        print(f"[motorlab] {type(e).__name__}: {e}", file=log)
        raise
