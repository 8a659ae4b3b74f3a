"""Copy and download buttons in the modebar of every HTML figure.

Plotly's config cannot carry JavaScript functions from Python, so the buttons come from a small
script (the packaged `motorlab/templates/figure_buttons.js`) that `to_html` runs after
`Plotly.newPlot` (its `post_script`): it re-renders the figure with `modeBarButtonsToAdd` holding
"Copy PNG", "Copy SVG" (the Clipboard API where the page may use it, else a download, said in the
tooltip and in a notice), "Download PNG" and "Download SVG" (named after the figure, at its layout
size; PNG at `scale`). Everything runs in the page with the local plotly.js, offline.
"""

import functools
import importlib.resources
import json
from typing import Any, Final

import plotly.graph_objects as go

BUTTONS: Final = ("Copy PNG", "Copy SVG", "Download PNG", "Download SVG")
_PLACEHOLDER: Final = "__MOTORLAB_FIGURE__"


@functools.cache
def _template() -> str:
    return importlib.resources.files("motorlab").joinpath("templates/figure_buttons.js").read_text()


def html_config(name: str, *, scale: float) -> dict[str, Any]:
    """The plotly.js config of a written figure: the buttons replace plotly's own PNG button
    (which would name the file "newplot"), and "Share chart", which uploads to Plotly Cloud, is
    left out: the figures stay on the reader's machine."""
    return {
        "displaylogo": False,
        "displayModeBar": True,
        "modeBarButtonsToRemove": ["toImage", "sendChartToCloud"],
        "toImageButtonOptions": {"filename": file_stem(name), "scale": scale},
    }


def file_stem(name: str) -> str:
    """A figure's download name: its name with '/' as '__' (`velocity/amp-2` → `velocity__amp-2`)."""
    return name.replace("/", "__")


def button_script(fig: go.Figure, name: str, *, scale: float) -> str:
    """The post-script that adds the buttons to the figure written as `name`.

    Arguments:
        fig: the figure; its layout width and height (px) size the images (the rendered size when
            unset).
        name: the figure's name (files are named after it).
        scale: pixel scale of the PNGs (2 for print).
    """
    spec = {"name": name, "file": file_stem(name), "width": fig.layout.width, "height": fig.layout.height,
            "scale": scale, "config": html_config(name, scale=scale)}
    # `</` would end the <script> element early if a name contained it
    return _template().replace(_PLACEHOLDER, json.dumps(spec).replace("</", "<\\/"))
