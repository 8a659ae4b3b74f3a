"""Fixed points of a recurrent map (any `motorlab.sim.AbstractRecurrentMap`: every controller,
or `FunctionMap(fn)`): the verified finder (trust-region Newton per start), its linearisation,
continuation along an input, and the analysis drivers that return tables."""

from ._arclength import (
    BIFURCATION_KINDS as BIFURCATION_KINDS,
    Bifurcation as Bifurcation,
    Branch as Branch,
    arclength_continuation as arclength_continuation,
)
from ._branches import (
    BIFURCATION_LABELS as BIFURCATION_LABELS,
    branch_tables as branch_tables,
    continue_branches as continue_branches,
)
from ._fold_curve import (
    Cusp as Cusp,
    FoldCurve as FoldCurve,
    continue_fold as continue_fold,
)
from ._continuation import (
    BranchEvent as BranchEvent,
    Branches as Branches,
    continue_fixed_points as continue_fixed_points,
)
from ._find import (
    FixedPoints as FixedPoints,
    find_fixed_points as find_fixed_points,
    make_starts as make_starts,
)
from ._linearise import (
    Linearisation as Linearisation,
    eigen as eigen,
    input_jacobian as input_jacobian,
    linearise as linearise,
    map_curvature as map_curvature,
    mode_trace_det as mode_trace_det,
    q_hessian as q_hessian,
    residual_and_jacobian as residual_and_jacobian,
    state_jacobian as state_jacobian,
    continuous_logabsdet as continuous_logabsdet,
)
from ._solve import (
    DIVERGED as DIVERGED,
    FIXED_POINT as FIXED_POINT,
    SLOW_POINT as SLOW_POINT,
    STATUS_NAMES as STATUS_NAMES,
    UNCONVERGED as UNCONVERGED,
    Tolerances as Tolerances,
    default_tolerances as default_tolerances,
    merge_distance as merge_distance,
    solve_starts as solve_starts,
)
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
