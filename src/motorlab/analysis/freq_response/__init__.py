"""Closed-loop frequency response at steady state (SPEC §2.4): feedback noise in, network output
out, gain and phase per frequency."""

from ._analysis import FreqResponse as FreqResponse
from ._evaluate import (
    AXES as AXES,
    STATISTICS as STATISTICS,
    frequency_response_table as frequency_response_table,
)
from ._spectrum import frequency_response as frequency_response
