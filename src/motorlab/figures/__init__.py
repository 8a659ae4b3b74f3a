"""Plotly figures of behaviour (trajectories, profiles, measure violins) and their export."""

from ._bode import (
    bode_figure as bode_figure,
    bode_figure_set as bode_figure_set,
    pool_replicates as pool_replicates,
)
from ._export import (
    default_parallel as default_parallel,
    find_browser as find_browser,
    write_figures as write_figures,
)
from ._feedback import (
    PLOT_IDS as PLOT_IDS,
    example_trial_sets as example_trial_sets,
    plot_id as plot_id,
    feedback_figure_set as feedback_figure_set,
    pert_var_profiles as pert_var_profiles,
    response_profiles as response_profiles,
    share_y_range as share_y_range,
    with_underlay as with_underlay,
)
from ._feedback_sets import (
    feedback_perts_figures as feedback_perts_figures,
    freq_response_figures as freq_response_figures,
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
from ._continuation import (
    branch_diagram as branch_diagram,
    fold_curve_diagram as fold_curve_diagram,
    fold_curve_figures as fold_curve_figures,
)
from ._aligned_sets import (
    aligned_trial_curves as aligned_trial_curves,
    compare_test_conditions as compare_test_conditions,
    per_train_test_pair as per_train_test_pair,
)
from ._center_out import (
    center_out as center_out,
    center_out_sets as center_out_sets,
    replicate_colors as replicate_colors,
)
from ._loss_terms import loss_terms_history as loss_terms_history
from ._matrices import matrix_values as matrix_values, train_test_matrix as train_test_matrix
from ._network import readout_norm_violins as readout_norm_violins, weight_violins as weight_violins
from ._stats_table import stats_table as stats_table
from ._stats_sets import (
    Comparison as Comparison,
    TableFigure as TableFigure,
    comparison_tables as comparison_tables,
    stats_figures as stats_figures,
)
from ._summary import (
    control_weight_summary as control_weight_summary,
    measure_summary as measure_summary,
    measure_vs_train_sets as measure_vs_train_sets,
    summary_values as summary_values,
)
from ._sets import (
    LOWHIGH_MEASURES as LOWHIGH_MEASURES,
    PART1_MEASURES as PART1_MEASURES,
    PART2_MEASURES as PART2_MEASURES,
    SUMMARY_MEASURES as SUMMARY_MEASURES,
    best_replicate as best_replicate,
    build_group_figures as build_group_figures,
    figure_params as figure_params,
    tag as tag,
)
from ._violin_sets import (
    tangling_violins as tangling_violins,
    violin_arrangement as violin_arrangement,
    violins_by_pert_amp as violins_by_pert_amp,
    violins_by_train as violins_by_train,
    zero_lined_violins as zero_lined_violins,
)
