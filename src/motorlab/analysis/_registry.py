"""The registry of analyses: name -> the one instance of its final class.

Adding an analysis: one module with an `AbstractAnalysis` subclass, its section of
`defaults/analyses.yaml`, its `STAGE_VERSIONS` entry, one line here, and its figure set.
"""

from types import MappingProxyType

from ._interface import AbstractAnalysis
from ._cross_eval import ControlWeight, CrossEval, SizeStudy
from ._plant_perts import PlantPerts
from ._readout_norm import ReadoutNorm
from .feedback_perts._analysis import FeedbackPerts
from ._supplements import NetworkBasic, Tangling
from ._sisu_pert import SisuPert
from ._unit_ablation import UnitAblation
from ._eigvec_stim import EigvecStim
from ._fp_training import FpTraining
from ._unit_prefs import UnitPrefs
from .fixed_points._analysis import FixedPointsAnalysis
from .freq_response._analysis import FreqResponse
from .unit_perts._analysis import UnitPerts

ANALYSES: MappingProxyType[str, AbstractAnalysis] = MappingProxyType({
    a.name: a for a in (PlantPerts(), FixedPointsAnalysis(), ReadoutNorm(), FeedbackPerts(), FreqResponse(),
                        CrossEval(), ControlWeight(), SizeStudy(), NetworkBasic(), Tangling(),
                        SisuPert(), UnitAblation(), UnitPerts(), UnitPrefs(),
                        EigvecStim(), FpTraining())
})


def get_analysis(name: str) -> AbstractAnalysis:
    """The registered analysis `name`.

    Raises:
        KeyError: naming the unknown analysis and listing the known ones.
    """
    try:
        return ANALYSES[name]
    except KeyError:
        raise KeyError(f"unknown analysis {name!r}; expected one of {', '.join(sorted(ANALYSES))}") from None
