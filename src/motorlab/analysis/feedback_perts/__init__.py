"""Feedback impulse perturbations (SPEC §2.3, §2.7): evaluation with impulses on the steady-state
grid, the impulse-aligned frame and the response measures."""

from ._analysis import (
    FeedbackPerts as FeedbackPerts,
    check_impulse_settings as check_impulse_settings,
    feedback_pert_tables as feedback_pert_tables,
)
from ._evaluate import (
    IMPULSE_COLUMNS as IMPULSE_COLUMNS,
    ImpulseEvaluated as ImpulseEvaluated,
    default_impulses as default_impulses,
    evaluate_impulses as evaluate_impulses,
    impulse_states as impulse_states,
)
from ._measures import (
    FEEDBACK_MEASURE_NAMES as FEEDBACK_MEASURE_NAMES,
    WINDOW_MEASURE_NAMES as WINDOW_MEASURE_NAMES,
    feedback_measures as feedback_measures,
    feedback_measures_registry as feedback_measures_registry,
    impulse_aligned as impulse_aligned,
    impulse_frame as impulse_frame,
)
