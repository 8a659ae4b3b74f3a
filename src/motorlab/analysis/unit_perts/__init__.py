"""`unit_perts` (SPEC §2.9): unit stimulation at steady state, preferred vs effective directions
and the regression of each unit's effect on context and field amplitude."""

from ._analysis import UnitPerts as UnitPerts
from ._directions import (
    direction_tables as direction_tables,
    effective_angles as effective_angles,
    preferred_angles as preferred_angles,
)
from .._lstsq import least_squares as least_squares
from ._regression import regression_tables as regression_tables
