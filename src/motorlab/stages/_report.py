"""What the workflow's Snakemake report (`snakemake --report report.zip …`) says about a figure.

The figure rule registers each figure group's folder with `report()`: one entry per PNG (the
`{name}.png` pattern), or, without static images, the group's index page (`GROUP_PAGE`, through
`htmlindex`) with the interactive figures beside it. Each entry is filed under its analysis
(category) and figure (subcategory), and carries one label per hyperparameter: the figure, the
part, every training key that varies in the part (except those the figure compares), the task
variant and the figure's own parameters (amplitude, SISU, measure, …). Snakemake shows labels as
table columns and a label with two values, each on half the entries, as a toggle.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from ..config._load import flatten
from ..figures._group_page import GROUP_PAGE as GROUP_PAGE
from ..figures._sets import figure_params
from ..store._browser import FACET_LABELS


def _text(value: Any) -> str:
    """A label value; Snakemake's report sorts them as text."""
    if isinstance(value, float):
        return f"{value:g}"
    return "none" if value is None else str(value)


def report_labels(name: str | None, *, part: str, model_hps: Mapping[str, Any], varying: Sequence[str],
                  variant: str) -> dict[str, str]:
    """The report labels of one figure, or of a whole figure group when `name` is None.

    Arguments:
        name: the figure's name (`<figure>__<key>-<value>__…`), or None for a group.
        part: "part1" or "part2".
        model_hps: the resolved hyperparameters of one member model of the group (the keys in
            `varying` have one value across the group).
        varying: dotted training keys that vary in the part and are not compared in the figure
            (`Study.varying_keys(part, exclude=compare)`).
        variant: the group's task variant.

    Returns:
        `{label: text}` in display order, "figure" first (Snakemake never makes the first label a
        toggle); labels are named as in the results browser (e.g. "delay (steps)", "amplitude").
    """
    labels = {"figure": name.split("__", 1)[0]} if name else {}
    labels["part"] = part
    flat = flatten(model_hps)
    for key in varying:
        labels[FACET_LABELS.get(key, key)] = _text(flat.get(key))
    labels["variant"] = variant
    if name:
        for key, value in figure_params(name).items():
            labels[FACET_LABELS.get(key, key)] = _text(value)
    return labels
