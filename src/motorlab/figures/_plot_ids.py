"""The SPEC plot id of a figure (SPEC §2: the identifiers the original study gave its figures).

A figure's name is `<figure>__<key>-<value>__…` (see `figure_params`). Figure sets whose `<figure>`
already is a plot id (it holds a `/`, e.g. `response_profiles/compare_train_conditions` or
`bode_gain/closed_loop_ss`) keep it; the behaviour set's own names map to their SPEC plot id
through `PLOT_IDS_BY_FIGURE` (by part where the two parts differ); figures the SPEC does not name
(e.g. `training_loss`, the fixed-point figures) have none.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

# figure (the name before the first `__`) -> plot id, or part (1, 2) -> plot id
PLOT_IDS_BY_FIGURE: Final[Mapping[str, str | Mapping[int, str]]] = MappingProxyType({
    "aligned_compare_train": {1: "aligned_to_reach_condition/compare_train_conditions",
                              2: "aligned_to_reach_condition/compare_field_stds_by_context_input"},
    "aligned_by_sisu": "aligned_to_reach_condition/compare_context_inputs",
    "aligned_per_train_test_pair": "aligned_to_reach_condition/per_train_test_pair",
    "aligned_compare_test": "aligned_to_reach_condition/compare_test_conditions",
    "velocity_profiles": "velocity_profiles",
    "measures_compare_train": "performance_measures/compare_train_conditions",
    "measures_replicates_lowhigh": "performance_measures/compare_replicates_lowhigh_train_conditions",
    "measures_lowhigh_summary": "performance_measures/lowhigh_summaries",
    "measures_by_sisu": "performance_measures/compare_train_and_context_conditions",
})


def spec_plot_id(name: str, part: int | str | None = None) -> str | None:
    """The SPEC plot id of the figure called `name`, or None when the SPEC names no such figure.

    Arguments:
        name: the figure's name (`<figure>__<key>-<value>__…`).
        part: the study part, 1 or 2 (or "part1"/"part2"), for figures whose plot id differs by
            part; None where it does not matter.

    Raises:
        ValueError: `part` is needed for this figure and is not 1 or 2.
    """
    figure = name.split("__", 1)[0]
    if "/" in figure:
        return figure
    found = PLOT_IDS_BY_FIGURE.get(figure)
    if found is None or isinstance(found, str):
        return found
    number = int(part.removeprefix("part")) if isinstance(part, str) and part.removeprefix("part").isdigit() else part
    if number not in found:
        raise ValueError(f"figure {name!r} has a plot id per part; expected part 1 or 2 (or 'part1'/'part2'), "
                         f"got {part!r}")
    return found[number]
