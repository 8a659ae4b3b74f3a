"""motorlab: how recurrent networks learn robust motor policies.

The public API, re-exported from private modules. See README.md for a tour.
"""

from ._version import __version__ as __version__

from .sim import AbstractPlant as AbstractPlant, PointMass as PointMass
from .sim import (
    FIELD_TYPES as FIELD_TYPES,
    AbstractField as AbstractField,
    ConstantField as ConstantField,
    CurlField as CurlField,
    evaluation_fields as evaluation_fields,
    training_fields as training_fields,
)
from .sim import FeedbackChannel as FeedbackChannel, MotorNoise as MotorNoise
from .sim import (
    AbstractController as AbstractController,
    CONTROLLERS as CONTROLLERS,
    FunctionMap as FunctionMap,
    GRUController as GRUController,
    LeakyRNNController as LeakyRNNController,
    input_names as input_names,
    network_input as network_input,
)
from .sim import (
    Trials as Trials,
    centre_out as centre_out,
    random_reaches as random_reaches,
    steady_state_grid as steady_state_grid,
)
from .sim import Registry as Registry, UnknownNameError as UnknownNameError
from .train import (
    BCS as BCS,
    DAI as DAI,
    METHODS as METHODS,
    PAIASF as PAIASF,
    PAIN as PAIN,
    AbstractMethod as AbstractMethod,
    sample_context_trials as sample_context_trials,
)
from .sim import (
    EnvironmentSpec as EnvironmentSpec,
    LossSpec as LossSpec,
    ModelSpec as ModelSpec,
    SpecError as SpecError,
)
from .train import TrainSpec as TrainSpec
from .analysis import EvalSpec as EvalSpec
from .sim import LossWeights as LossWeights, loss_terms as loss_terms, position_discount as position_discount
from .sim import (
    Environment as Environment,
    Interventions as Interventions,
    Trajectory as Trajectory,
    simulate as simulate,
    simulate_trials as simulate_trials,
)
from .sim import (
    make_ensemble as make_ensemble,
    make_environment as make_environment,
    make_keys as make_keys,
    replicate as replicate,
)
from .train import (
    TrainingDidNotLearn as TrainingDidNotLearn,
    TrainingDiverged as TrainingDiverged,
    TrainResult as TrainResult,
    save_iterations as save_iterations,
    train_ensemble as train_ensemble,
)
from .store import load_model_file as load_model_file, read_header as read_header, save_model_file as save_model_file
from .analysis import Evaluated as Evaluated, evaluate as evaluate
from .store import read_table as read_table, write_table as write_table
from .analysis import align as align, aligned_trials as aligned_trials, trial_arrays as trial_arrays
from .analysis import (
    MEASURES as MEASURES,
    Measure as Measure,
    compute_measures as compute_measures,
    impulse_measures as impulse_measures,
    initial_force_direction_measure as initial_force_direction_measure,
    output_correlation as output_correlation,
)
from . import analysis as analysis, figures as figures, sim as sim, stages as stages, store as store, train as train
from .config import ConfigError as ConfigError, Study as Study, load_study as load_study
from .store import find_models as find_models, load_model as load_model, query as query
from .analysis.fixed_points import (
    STATUS_NAMES as STATUS_NAMES,
    FixedPoints as FixedPoints,
    Tolerances as Tolerances,
    default_tolerances as default_tolerances,
    find_fixed_points as find_fixed_points,
    make_starts as make_starts,
)
from .analysis.fixed_points import Linearisation as Linearisation, linearise as linearise, mode_trace_det as mode_trace_det
from .analysis.fixed_points import BranchEvent as BranchEvent, Branches as Branches, continue_fixed_points as continue_fixed_points
from .analysis import PCA as PCA, fit_pca as fit_pca
from .analysis.fixed_points import (
    default_make_input as default_make_input,
    eigenvalue_table as eigenvalue_table,
    eigenvalue_variation as eigenvalue_variation,
    fixed_point_trajectories as fixed_point_trajectories,
    grid_shift_summary as grid_shift_summary,
    parquet_ready as parquet_ready,
    pca_columns as pca_columns,
    reach_fixed_points as reach_fixed_points,
    readout_directions as readout_directions,
    steady_state_fixed_points as steady_state_fixed_points,
)
