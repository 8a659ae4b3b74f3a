"""Products on disk: model files, Parquet tables, JSON sidecars, the SQLite catalogue, finding and
loading by hyperparameters, the static results browser, and clean-up of orphans."""

from ._browser import (
    BROWSER_NAME as BROWSER_NAME,
    browser_index as browser_index,
    write_browser as write_browser,
)
from ._catalog import (
    CATALOG_NAME as CATALOG_NAME,
    KINDS as KINDS,
    TABLES as TABLES,
    CatalogError as CatalogError,
    catalog_lock as catalog_lock,
    check_sidecar as check_sidecar,
    flat_columns as flat_columns,
    fold_sidecars as fold_sidecars,
    open_catalog as open_catalog,
    read_table as read_catalog_table,  # rows of one catalogue table (`read_table` reads Parquet)
    read_sidecars as read_sidecars,
    resolve_path as resolve_path,
    scan_sidecars as scan_sidecars,
    sidecar_fingerprint as sidecar_fingerprint,
    write_sidecar as write_sidecar,
)
from ._clean import (
    Orphan as Orphan,
    find_orphans as find_orphans,
    remove_orphans as remove_orphans,
)
from ._find import (
    export_figures as export_figures,
    find_models as find_models,
    load_model as load_model,
    query as query,
)
from ._model_files import (
    atomic_write as atomic_write,
    load_model_file as load_model_file,
    provenance as provenance,
    read_header as read_header,
    relative_path as relative_path,
    save_model_file as save_model_file,
    write_json as write_json,
)
from . import _paths as paths
from ._tables import read_table as read_table, write_table as write_table
