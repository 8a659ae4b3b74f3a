"""The simulated world, pure JAX: plant, force fields, feedback channels, controllers, tasks, loss
and the closed-loop rollout. No files, no plots, no YAML: everything here is an array program."""

from ._channels import (
    FeedbackChannel as FeedbackChannel,
    MotorNoise as MotorNoise,
)
from ._controllers import (
    CONTROLLERS as CONTROLLERS,
    AbstractController as AbstractController,
    GRUController as GRUController,
    LeakyRNNController as LeakyRNNController,
)
from ._fields import (
    FIELD_TYPES as FIELD_TYPES,
    AbstractField as AbstractField,
    ConstantField as ConstantField,
    CurlField as CurlField,
    check_field_type as check_field_type,
    evaluation_fields as evaluation_fields,
    training_fields as training_fields,
)
from ._impulses import (
    CHANNELS as IMPULSE_CHANNELS,
    DIRECTION_MODES as IMPULSE_DIRECTION_MODES,
    FeedbackImpulse as FeedbackImpulse,
    feedback_impulses as feedback_impulses,
    impulse_amplitudes as impulse_amplitudes,
    impulse_directions as impulse_directions,
)
from ._inputs import (
    INPUT_NAMES as INPUT_NAMES,
    N_TASK_INPUTS as N_TASK_INPUTS,
    TASK_BLOCKS as TASK_BLOCKS,
    input_blocks as input_blocks,
    input_names as input_names,
    network_input as network_input,
)
from ._loss import (
    TERMS as TERMS,
    LossWeights as LossWeights,
    loss_terms as loss_terms,
    position_discount as position_discount,
)
from ._plant import (
    DISCRETISATIONS as DISCRETISATIONS,
    AbstractPlant as AbstractPlant,
    PointMass as PointMass,
    continuous_matrices as continuous_matrices,
)
from ._recurrent import (
    AbstractRecurrentMap as AbstractRecurrentMap,
    FunctionMap as FunctionMap,
)
from ._registry import (
    Registry as Registry,
    UnknownNameError as UnknownNameError,
)
from ._rollout import (
    KEEP as KEEP,
    Environment as Environment,
    Interventions as Interventions,
    Trajectory as Trajectory,
    simulate as simulate,
    simulate_trials as simulate_trials,
)
from ._setup import (
    Hps as Hps,
    ensemble_skeleton as ensemble_skeleton,
    make_ensemble as make_ensemble,
    make_environment as make_environment,
    make_keys as make_keys,
    make_loss_weights as make_loss_weights,
    map_replicates as map_replicates,
    n_context as n_context,
    replicate as replicate,
)
from ._specs import (
    EnvironmentSpec as EnvironmentSpec,
    LossSpec as LossSpec,
    ModelSpec as ModelSpec,
    SpecError as SpecError,
)
from ._tasks import (
    Trials as Trials,
    centre_out as centre_out,
    grid_centres as grid_centres,
    random_reaches as random_reaches,
    steady_state_grid as steady_state_grid,
)
