"""Analyses of trained models: evaluation, alignment, measures, PCA, and one subpackage or module per
analysis (fixed points in `analysis.fixed_points`)."""

from ._align import (
    AlignedTrials as AlignedTrials,
    TrialArrays as TrialArrays,
    align as align,
    aligned_trials as aligned_trials,
    project as project,
    reach_direction as reach_direction,
    trial_arrays as trial_arrays,
)
from ._evaluate import (
    Evaluated as Evaluated,
    evaluate as evaluate,
)
from ._interface import (
    AbstractAnalysis as AbstractAnalysis,
    EvaluationPlan as EvaluationPlan,
)
from ._angles import (
    circular_mean as circular_mean,
    direction_at_max as direction_at_max,
    unwrap_angles as unwrap_angles,
    wrap_angle as wrap_angle,
)
from ._measures import (
    MEASURES as MEASURES,
    Measure as Measure,
    compute_measures as compute_measures,
    impulse_measures as impulse_measures,
    initial_force_direction_measure as initial_force_direction_measure,
    measure_values as measure_values,
)
from ._output_correlation import output_correlation as output_correlation
from ._pca import (
    PCA as PCA,
    fit_pca as fit_pca,
)
from ._spec import (
    EvalSpec as EvalSpec,
)
from ._stats import (
    cohens_d as cohens_d,
    cohens_d_ci as cohens_d_ci,
    compare_groups as compare_groups,
    holm as holm,
    two_sample_tests as two_sample_tests,
)
from ._tangling import (
    finite_difference_flow as finite_difference_flow,
    point_tangling as point_tangling,
    tangling as tangling,
    tangling_table as tangling_table,
)
from ._weights import (
    network_weights as network_weights,
    readout_norms as readout_norms,
    weights_table as weights_table,
)
from . import feedback_perts as feedback_perts
from . import fixed_points as fixed_points
from . import freq_response as freq_response
from . import unit_perts as unit_perts
from ._registry import (
    ANALYSES as ANALYSES,
    get_analysis as get_analysis,
)
