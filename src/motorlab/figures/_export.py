"""Write figures to disk: offline HTML sharing one plotly.js, Plotly JSON, static images from one browser.

Every HTML figure loads the folder's one `plotly.min.js` (offline, from file://) and has "Copy PNG",
"Copy SVG", "Download PNG" and "Download SVG" buttons in its modebar (`_buttons`). Beside each HTML
file is the figure's Plotly JSON, `<name>.plotly.json`, so a notebook can reload it with
`plotly.io.read_json` (the plain `<name>.json` is left to the figure's catalogue sidecar).

Static images (PNG, SVG, PDF, …) are rendered by kaleido 1.x, which drives a headless
Chrome/Chromium. Starting the browser costs about 2 s; rendering a figure in a running browser
about 0.2 s. `write_figures` therefore opens ONE browser for the whole batch (a `kaleido.Kaleido`
context) and renders every image through it, in as many tabs as the process has cores (its CPU
affinity, which a workflow job sets to its threads), in a second thread while the HTML pages are
written, so the browser's start overlaps the pages. Whether a browser exists is checked up front, without
starting it: when none is found the HTML is still written and a warning names the skipped files
and how to install Chromium.

Every file is written atomically (temporary file in the same directory, then `os.replace`), so an
interrupted job never leaves a truncated figure behind under its final name.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Coroutine, Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, Final, Literal

import plotly.graph_objects as go

from ._buttons import button_script, html_config
from ..store._model_files import current_umask
from ..train._progress import LoopProgress


PLOTLYJS_NAME: Final = "plotly.min.js"
STATIC_FORMATS: Final = ("png", "svg", "pdf", "jpeg", "jpg", "webp")
FORMATS: Final = ("html", "json", *STATIC_FORMATS)
JSON_SUFFIX: Final = ".plotly.json"  # `<name>.json` is the figure's catalogue sidecar
INSTALL_HINT: Final = (
    "install Chromium (Debian/Ubuntu: `apt-get install chromium`), or set the BROWSER_PATH "
    "environment variable to a Chrome/Chromium executable"
)

_logger = logging.getLogger("motorlab.figures")


def find_browser(browser_path: str | os.PathLike | None = None) -> str | None:
    """The Chrome/Chromium executable kaleido would use, found without starting it.

    Arguments:
        browser_path: an explicit executable to check; None to search like kaleido does (the
            BROWSER_PATH environment variable, then chrome/chromium/… on PATH and the usual
            install locations, then a browser downloaded by `kaleido_get_chrome`).

    Returns:
        The executable's path, or None when there is none.
    """
    if browser_path is None:
        from choreographer.browsers.chromium import Chromium

        browser_path = Chromium.find_browser(skip_local=False)
        if browser_path is None:
            return None
    path = Path(browser_path)
    return str(path) if path.is_file() and os.access(path, os.X_OK) else None


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same directory and `os.replace`."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.chmod(tmp, 0o666 & ~current_umask())  # what a plain `open` gives, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_plotlyjs(out_dir: Path) -> Path:
    from plotly.offline import get_plotlyjs

    path = out_dir / PLOTLYJS_NAME
    bundle = get_plotlyjs().encode()
    if not (path.is_file() and path.stat().st_size == len(bundle) and path.read_bytes() == bundle):
        atomic_write(path, bundle)
    return path


def _check_names(names: Iterable[str]) -> None:
    for name in names:
        parts = PurePosixPath(name).parts
        if not name or "\\" in name or name.startswith("/") or ".." in parts or "." in parts:
            raise ValueError(
                f"figure name {name!r}; expected a relative path such as 'measures/max_net_force' "
                "without '..', '.' or a leading '/'"
            )


def _run(factory: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run a coroutine to completion, also from inside a running event loop (notebooks)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


RENDER_RETRIES = 1
"""Renders of one image tried again after a failure: on a loaded machine a browser tab now and
then fails once with a page error (for example "kaleido_scopes is not defined", a tab whose
script had not loaded) and renders the same figure on the next try."""


def _render_static(
    jobs: list[tuple[str, go.Figure, str, Path]],
    *,
    browser: str,
    scale: float,
    parallel: int,
    timeout: float,
    progress: Callable[[str, Path], object] | None,
) -> list[tuple[str, Path, BaseException | None]]:
    import kaleido

    async def render_all():
        limit = asyncio.Semaphore(parallel)  # bounds figures converted and held at once
        async with kaleido.Kaleido(n=parallel, timeout=timeout, mathjax=False, path=browser) as k:

            async def one(name, fig, fmt, path):
                async with limit:
                    for attempt in range(1 + RENDER_RETRIES):
                        try:
                            data = await k.calc_fig(fig, opts={"format": fmt, "scale": scale})
                            atomic_write(path, data)
                            break
                        except Exception as error:  # reported per file below, after the retries
                            if attempt == RENDER_RETRIES:
                                return name, path, error
                            _logger.warning("rendering %s failed (%s: %s); trying again", path.name,
                                            type(error).__name__, error)
                    if progress is not None:
                        progress(name, path)
                    return name, path, None

            return await asyncio.gather(*(one(*job) for job in jobs))

    return _run(render_all)


class _Reporter:
    """Progress of a long export (`LoopProgress`: a rich bar on a terminal, plain log lines on the
    "motorlab.figures" logger otherwise), and the caller's `progress` callback after each file."""

    def __init__(self, total: int, out: Path, callback: Callable[[str, Path], object] | None):
        self.callback = callback
        self.progress = LoopProgress(total, f"writing figures to {out}", logger=_logger).__enter__()
        self.lock = threading.Lock()  # pages and images are written by two threads

    def __call__(self, name: str, path: Path) -> None:
        self.progress.advance(path.name)
        if self.callback is not None:
            with self.lock:
                self.callback(name, path)

    def close(self) -> None:
        self.progress.__exit__(None, None, None)


def default_parallel() -> int:
    """Browser tabs for static export: the cores this process may run on (at most 8)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def write_figures(
    figures: Mapping[str, go.Figure],
    out_dir: str | os.PathLike,
    *,
    formats: Iterable[str] = ("html", "png"),
    plotlyjs: Literal["directory", "inline"] = "directory",
    scale: float = 2.0,
    browser_path: str | os.PathLike | None = None,
    parallel: int | None = None,
    timeout: float = 90.0,
    progress: Callable[[str, Path], object] | None = None,
) -> dict[str, list[Path]]:
    """Write a batch of figures as HTML, Plotly JSON and static images, with one browser for the batch.

    Arguments:
        figures: name → figure. A name is a relative path without extension (it may contain
            '/', e.g. "velocity_profiles/amp-2"); files go to `out_dir/name.<format>`.
        out_dir: output directory (created if missing).
        formats: any of "html", "json", "png", "svg", "pdf", "jpeg"/"jpg", "webp". "html" brings
            "json" with it: the Plotly JSON `name.plotly.json` always sits beside the HTML.
        plotlyjs: "directory": every HTML file loads ONE shared `out_dir/plotly.min.js`
            (written once, atomically; works offline, ~4.6 MB once instead of per file);
            "inline": each HTML file embeds plotly.js (self-contained, larger).
        scale: pixel scale of raster images (2, the default, for print; SVG and PDF are vector);
            the size is the figure's layout size. The HTML's PNG buttons use it too.
        browser_path: Chrome/Chromium executable for static images; None to search for one.
        parallel: browser tabs rendering at once; None for one per core of this process (at
            most 8; see `default_parallel`).
        timeout: seconds allowed to render one image.
        progress: called as `progress(name, path)` after each file is written (e.g. to time the
            export). Independently, a long export shows a progress bar on a terminal and logs
            plainly otherwise.

    Returns:
        name → paths written for that figure (HTML, then JSON, then static images in `formats`
        order). Static images are missing from it when no browser was found; a warning on the
        "motorlab.figures" logger then lists them and says how to install Chromium.

    Raises:
        ValueError: an unknown format or `plotlyjs` mode, or an unsafe figure name.
        RuntimeError: the browser failed to render some images (the others are written).
    """
    formats = list(dict.fromkeys(formats))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"formats {unknown}; expected any of {list(FORMATS)}")
    if "html" in formats and "json" not in formats:
        formats.insert(formats.index("html") + 1, "json")
    if plotlyjs not in ("directory", "inline"):
        raise ValueError(f"plotlyjs={plotlyjs!r}; expected 'directory' or 'inline'")
    if parallel is None:
        parallel = default_parallel()
    if parallel < 1:
        raise ValueError(f"parallel={parallel}; expected at least 1 tab")
    _check_names(figures)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in figures:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[Path]] = {name: [] for name in figures}
    report = _Reporter(len(figures) * len(formats), out, progress)
    static = [f for f in formats if f not in ("html", "json")]
    try:
        # The browser starts (about 2 s) and renders in a second thread while this one writes the
        # HTML pages and Plotly JSON: the two overlap instead of adding up.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            images = pool.submit(_write_static, figures, out, static, browser_path=browser_path, scale=scale,
                                 parallel=parallel, timeout=timeout, progress=report) if static else None
            try:
                _write_pages(figures, out, formats, plotlyjs, scale, written, report)
            finally:
                rendered = images.result() if images is not None else {}
        for name, paths in rendered.items():
            written[name].extend(paths)
    finally:
        report.close()
    return written


def _write_pages(figures: Mapping[str, go.Figure], out: Path, formats: list[str], plotlyjs: str,
                 scale: float, written: dict[str, list[Path]], report: _Reporter) -> None:
    """The HTML pages (with their buttons) and the Plotly JSON of every figure."""
    shared = _write_plotlyjs(out) if "html" in formats and plotlyjs == "directory" and figures else None
    for name, fig in figures.items():
        if "html" in formats:
            path = out / f"{name}.html"
            include: str | bool = Path(os.path.relpath(shared, path.parent)).as_posix() if shared else True
            html = fig.to_html(include_plotlyjs=include, full_html=True, config=html_config(name, scale=scale),
                               post_script=button_script(fig, name, scale=scale))
            atomic_write(path, html.encode())
            written[name].append(path)
            report(name, path)
        if "json" in formats:
            path = out / f"{name}{JSON_SUFFIX}"
            atomic_write(path, fig.to_json().encode())
            written[name].append(path)
            report(name, path)


def _write_static(figures: Mapping[str, go.Figure], out: Path, static: list[str], *,
                  browser_path: str | os.PathLike | None, scale: float, parallel: int, timeout: float,
                  progress: Callable[[str, Path], object]) -> dict[str, list[Path]]:
    """Render the static images of `figures` in one browser; name -> images written, in `static`
    order (empty when no browser was found; a warning says so)."""
    written: dict[str, list[Path]] = {}
    jobs = [(n, fig, f, out / f"{n}.{f}") for n, fig in figures.items() for f in static]
    if not jobs:
        return written
    browser = find_browser(browser_path)
    if browser is None:
        where = f" at {str(browser_path)!r}" if browser_path is not None else ""
        skipped = [str(path.relative_to(out)) for *_, path in jobs]
        shown = ", ".join(skipped[:8])
        shown += f", … ({len(skipped)} in all)" if len(skipped) > 8 else ""
        _logger.warning(
            "No Chrome/Chromium found%s: skipped %d static image(s) in %s: %s. HTML was written. "
            "To export static images, %s.", where, len(skipped), out, shown, INSTALL_HINT,
        )
        return written
    results = _render_static(
        jobs, browser=browser, scale=scale, parallel=min(parallel, len(jobs)), timeout=timeout,
        progress=progress,
    )
    failed = [(name, path, error) for name, path, error in results if error is not None]
    for name, path, error in results:
        if error is None:
            written.setdefault(name, []).append(path)
    if failed:
        listing = ", ".join(f"{path.name} ({error!r})" for _, path, error in failed[:5])
        raise RuntimeError(
            f"rendering failed for {len(failed)} of {len(jobs)} static images with browser "
            f"{browser}: {listing}"
        ) from failed[0][2]
    return written
