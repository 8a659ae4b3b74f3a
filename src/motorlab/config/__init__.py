"""Configuration: packaged defaults, validation, spreads, identities and the study."""

from ._docs import config_docs as config_docs, yaml_comments as yaml_comments
from ._errors import ConfigError as ConfigError
from ._identity import (
    STAGE_VERSIONS as STAGE_VERSIONS,
    canonical_json as canonical_json,
    identity as identity,
    model_id as model_id,
)
from ._load import (
    analysis_defaults as analysis_defaults,
    deep_merge as deep_merge,
    expand_dotted as expand_dotted,
    flatten as flatten,
    load_yaml as load_yaml,
    parse_yaml as parse_yaml,
    preset_names as preset_names,
    train_defaults as train_defaults,
    train_preset as train_preset,
)
from ._schema import list_depths as list_depths
from ._match import model_filter_matches as model_filter_matches
from ._spreads import expand_spread as expand_spread
from ._workflow import (
    WorkflowSettings as WorkflowSettings,
    workflow_settings as workflow_settings,
)
from ._study import (
    Evaluation as Evaluation,
    FigureGroup as FigureGroup,
    Study as Study,
    load_study as load_study,
)
