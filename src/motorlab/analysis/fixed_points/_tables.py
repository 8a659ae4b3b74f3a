"""The tables of the fixed-point analysis, from their modules: points per condition
(`_points`), trajectories (`_trajectories`) and summaries (`_summaries`)."""

from ._points import (
    INPUT_BLOCKS as INPUT_BLOCKS,
    LINEARISATION_COLUMNS as LINEARISATION_COLUMNS,
    default_make_input as default_make_input,
    linearisation_columns as linearisation_columns,
    reach_fixed_points as reach_fixed_points,
    replicates as replicates,
    steady_state_fixed_points as steady_state_fixed_points,
)
from ._summaries import (
    eigenvalue_table as eigenvalue_table,
    eigenvalue_variation as eigenvalue_variation,
    grid_shift_summary as grid_shift_summary,
    parquet_ready as parquet_ready,
    pca_columns as pca_columns,
    readout_directions as readout_directions,
)
from ._trajectories import fixed_point_trajectories as fixed_point_trajectories
