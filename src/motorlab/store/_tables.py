"""Reading and writing tables (states, measures) as Parquet, atomically."""

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ._model_files import atomic_write


def write_table(df: pd.DataFrame, path: str | os.PathLike, *, metadata: dict[str, str] | None = None) -> None:
    """Write `df` to Parquet at `path` (zstd), with optional key/value metadata, atomically."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               **{k.encode(): v.encode() for k, v in metadata.items()}})
    with atomic_write(path) as f:
        pq.write_table(table, f, compression="zstd")


def read_table(path: str | os.PathLike, columns: list[str] | None = None,
               filters=None) -> pd.DataFrame:
    """Read a Parquet table (optionally only some columns / rows matching pyarrow `filters`)."""
    if not Path(path).exists():
        raise FileNotFoundError(f"no table at {path}")
    return pq.read_table(path, columns=columns, filters=filters).to_pandas()
