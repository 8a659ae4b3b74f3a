"""The analysis interface: what every analysis declares, so that the workflow, the CLI and the
catalogue learn an analysis' products from the analysis itself.

An analysis is one small final subclass of `AbstractAnalysis`, registered by name in
`motorlab.analysis._registry.ANALYSES`. The workflow runs each analysis the same way:

1. plan: `plan(settings, model_hps)` gives the evaluations of one model (at DAG-build time);
2. evaluate: when `keeps_states`, the model is evaluated on the plan's settings
   (`motorlab.analysis.evaluate`) and the states table is written;
3. tables: `tables(...)` computes the declared `table_names` from the model and the states;
4. figures: the figure set `figure_set` (`motorlab.figures._registry.FIGURE_SETS`) draws a
   group of evaluations from their tables.

Evaluation identities hash the stage `id_stage`, the versions of `id_versions`
(`motorlab.config.STAGE_VERSIONS`; one key gives its number, several give a mapping), the model,
the analysis, the variant and the plan's settings.
"""

import abc
import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import equinox as eqx
import pandas as pd


class SettingsError(ValueError):
    """A bad analysis setting found while planning (`AbstractAnalysis.plan`). The message starts
    with the key path inside the analysis' settings (e.g. `impulse.direction: got 'up'; expected
    one of 'rand', 'xy'`); the study prefixes `{part}.analyses.{analysis}.` and reports it as a
    configuration error."""


@dataclasses.dataclass(frozen=True)
class EvaluationPlan:
    """One evaluation that an analysis asks of one model.

    Fields:
        variant: the task variant or condition set (`"full"`, `"small"`, `"steady"`, ...);
            figure groups never mix variants.
        hps: the evaluation's settings, every null filled from the model's hyperparameters: task
            variants, field amplitudes, context values, noise overrides, interventions, eval_n,
            seed, and any setting of the analysis' own. They enter the evaluation's identity.
    """

    variant: str
    hps: dict[str, Any]


class AbstractAnalysis(eqx.Module):
    """An analysis of trained models. Subclasses are final and set every class attribute.

    Class attributes:
        name: the analysis' name: its key in a study config's `analyses:`, its section of the
            packaged `defaults/analyses.yaml` and its folder under `results/{part}/`.
        table_names: the tables `tables` returns, each written as `{name}.parquet`.
        figure_set: the name of the figure set that draws these tables.
        keeps_states: whether the evaluate step writes the evaluated states (`states.parquet`)
            for `tables` to read; False when the analysis evaluates what it needs itself.
        id_stage: the stage name hashed into evaluation identities.
        id_versions: keys of `STAGE_VERSIONS` hashed into evaluation identities.
        figure_versions: keys of `STAGE_VERSIONS` hashed into figure-group identities.
        reads_history: whether `tables` also reads the model's training history (its
            `_history.npz`, given as `tables(..., history=<path>)`); default False.
    """

    name: eqx.AbstractClassVar[str]
    table_names: eqx.AbstractClassVar[tuple[str, ...]]
    figure_set: eqx.AbstractClassVar[str]
    keeps_states: eqx.AbstractClassVar[bool]
    id_stage: eqx.AbstractClassVar[str]
    id_versions: eqx.AbstractClassVar[tuple[str, ...]]
    figure_versions: eqx.AbstractClassVar[tuple[str, ...]]
    reads_history: ClassVar[bool] = False

    def defaults(self) -> dict[str, Any]:
        """A fresh copy of this analysis' section of the packaged `defaults/analyses.yaml`."""
        from ..config import analysis_defaults  # config plans studies through this package

        section = analysis_defaults().get(self.name)
        if section is None:
            raise KeyError(f"analysis {self.name!r} has no section in motorlab/defaults/analyses.yaml")
        return section

    @abc.abstractmethod
    def plan(self, settings: Mapping[str, Any], model_hps: Mapping[str, Any]) -> list[EvaluationPlan]:
        """The evaluations of one model.

        Arguments:
            settings: the analysis' resolved settings (its defaults merged with the study's).
            model_hps: the model's resolved training hyperparameters.

        Raises:
            SettingsError: a setting the config schema cannot judge alone (a range, or a value
                that must fit the model, like an impulse within its trial).
        """

    @abc.abstractmethod
    def tables(self, model, model_hps: Mapping[str, Any], eval_hps: Mapping[str, Any], *,
               included, states: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
        """The analysis tables of one evaluation, keyed exactly by `table_names`.

        Arguments:
            model: the trained ensemble (leading replicate axis).
            model_hps: its training hyperparameters.
            eval_hps: the evaluation's settings (`EvaluationPlan.hps`).
            included: per-replicate booleans of the post-training selection (replicate,).
            states: the evaluated states when `keeps_states`, else None.

        An analysis with `reads_history` takes one more keyword, `history`: the path of the
        model's `_history.npz`.
        """

    @abc.abstractmethod
    def summary(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        """A few counts describing the tables, recorded in the evaluation's manifest."""
