"""A figure group's own index page: every figure of the folder, its thumbnail and its interactive page.

`write_figures` fills a folder; this page (`index.html` beside the figures) lists them, so the
folder can be opened on its own (from file://, no server) and so Snakemake's report can embed the
interactive figures of a group through `htmlindex` (see `motorlab.stages._report`).
"""

import html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from ._export import atomic_write

GROUP_PAGE: Final = "index.html"
_STYLE: Final = ("body{font:14px/1.4 system-ui,sans-serif;margin:12px}"
                 ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:10px}"
                 ".card{border:1px solid #ddd;border-radius:4px;padding:4px}"
                 ".card img{width:100%;height:180px;object-fit:contain}.name{font-size:12px;overflow-wrap:anywhere}")


def write_group_page(out_dir: str | os.PathLike, written: Mapping[str, Sequence[Path]], *, title: str) -> Path:
    """Write `out_dir/index.html` listing the figures `written` (name -> files, as returned by
    `write_figures`): a lazy thumbnail (the PNG, else the SVG) linking to the interactive HTML.

    Returns:
        The page's path (written atomically).
    """
    out = Path(out_dir)
    cards = []
    for name in sorted(written):
        files = {p.suffix: Path(os.path.relpath(p, out)).as_posix() for p in map(Path, written[name])}
        thumb = files.get(".png") or files.get(".svg")
        page = files.get(".html")
        image = (f'<img src="{html.escape(thumb)}" alt="{html.escape(name)}" loading="lazy">' if thumb
                 else "<p>(interactive only)</p>")
        body = f'<a href="{html.escape(page)}">{image}</a>' if page else image
        cards.append(f'<div class="card">{body}<div class="name">{html.escape(name)}</div></div>')
    text = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>'
            f'<p>{len(cards)} figures; click one to open it interactively.</p>'
            f'<div class="grid">{"".join(cards)}</div></body></html>\n')
    path = out / GROUP_PAGE
    atomic_write(path, text.encode())
    return path
