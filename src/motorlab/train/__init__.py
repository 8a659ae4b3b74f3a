"""Training: the ensemble training loop (one compiled step), the part-2 context methods, replicate
selection and the progress bar."""

from ._bucket import (
    DEFAULT_ITERATIONS_PER_DISPATCH as DEFAULT_ITERATIONS_PER_DISPATCH,
    bucket_key as bucket_key,
    buckets as buckets,
    train_bucket as train_bucket,
)
from ._plan import (
    bucket_id as bucket_id,
    estimate_model_bytes as estimate_model_bytes,
    plan_buckets as plan_buckets,
    resolve_models_per_job as resolve_models_per_job,
)
from ._checkpoint import (
    Checkpoint as Checkpoint,
    TrainState as TrainState,
)
from ._loop import (
    TrainResult as TrainResult,
    TrainStep as TrainStep,
    TrainingDiverged as TrainingDiverged,
    make_replicate_loss as make_replicate_loss,
    make_schedule as make_schedule,
    make_train_step as make_train_step,
    sample_batch as sample_batch,
    save_iterations as save_iterations,
    train_ensemble as train_ensemble,
)
from ._methods import (
    BCS as BCS,
    DAI as DAI,
    METHODS as METHODS,
    PAIASF as PAIASF,
    PAIN as PAIN,
    AbstractMethod as AbstractMethod,
    sample_context_trials as sample_context_trials,
)
from ._progress import (
    LoopProgress as LoopProgress,
    TrainingProgress as TrainingProgress,
    track as track,
)
from ._spec import (
    TrainSpec as TrainSpec,
)
from ._selection import (
    CRITERIA as CRITERIA,
    LEARNED_FRACTION as LEARNED_FRACTION,
    REPLICATE_CRITERION as REPLICATE_CRITERION,
    TrainingDidNotLearn as TrainingDidNotLearn,
    did_not_learn as did_not_learn,
    included_by as included_by,
    select_replicates as select_replicates,
    stack_best as stack_best,
    validation_end_error as validation_end_error,
)
