"""Plotly figures of behaviour (trajectories, profiles, measure violins) and their export."""

from ._bode import (
    bode_figure as bode_figure,
    bode_figure_set as bode_figure_set,
    pool_replicates as pool_replicates,
)
from ._export import find_browser as find_browser, write_figures as write_figures
from ._feedback import (
    example_trial_sets as example_trial_sets,
    feedback_figure_set as feedback_figure_set,
    pert_var_profiles as pert_var_profiles,
    response_profiles as response_profiles,
    share_y_range as share_y_range,
)
from ._profiles import profiles as profiles, velocity_profiles as velocity_profiles
from ._style import (
    COLORSCALES as COLORSCALES,
    LABELS as LABELS,
    TEMPLATE as TEMPLATE,
    colors_for as colors_for,
    darken as darken,
    group_colors as group_colors,
    match_axes as match_axes,
)
from ._trajectories import aligned_trajectories as aligned_trajectories
from ._violins import (
    lowhigh_violins as lowhigh_violins,
    measure_violins as measure_violins,
    replicate_violins as replicate_violins,
)
from ._training import loss_history as loss_history
from ._fixed_points import (
    direction_across_sisu as direction_across_sisu,
    eigenvalue_histograms as eigenvalue_histograms,
    eigenvalue_scatter as eigenvalue_scatter,
    fixed_point_figure_set as fixed_point_figure_set,
    fixed_points_3d as fixed_points_3d,
    trace_determinant as trace_determinant,
    trajectories_3d as trajectories_3d,
)
from ._continuation import branch_diagram as branch_diagram
