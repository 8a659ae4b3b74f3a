"""The results browser (`motorlab.store.write_browser`) and the figures' copy/download buttons.

The index tests run anywhere. The real-browser tests drive Debian's `chromium` through
`chromium-driver` with Selenium; without them they skip, saying what to install, except under
`CI=true`, where a missing browser is a failure (so CI cannot pass without running them).
Screenshots of the browser page and of one figure are kept in `test-artifacts/` (git-ignored).
"""

import json
import os
import shutil
import sys
import time
from pathlib import Path

import plotly.graph_objects as go
import pytest

from motorlab.figures import find_browser, write_figures
from motorlab.figures import figure_params
from motorlab.store import browser_index, fold_sidecars, provenance, write_browser, write_sidecar

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FIELDS = {"curl": (0.0, 1.0), "constant": (0.0, 0.1)}   # field type -> the two train σ of its group
AMPS = (0.0, 2.0)


def tiny_figure(title: str, y: list[float]) -> go.Figure:
    return go.Figure(go.Scatter(x=list(range(len(y))), y=y, mode="lines+markers")).update_layout(
        title=title, width=360, height=260, margin={"l": 40, "r": 10, "t": 40, "b": 30})


def make_results(root: Path, *, static: bool) -> Path:
    """A results folder like the workflow's: 4 model sidecars, and per field type one figure group
    (its two train σ) with three real figures (two amplitudes and one measure) and their sidecars,
    folded into the catalogue."""
    results = root / "results"
    for pert_type, stds in FIELDS.items():
        model_ids = []
        for std in stds:
            model_id = f"{pert_type}-{std:g}".replace(".", "p")
            path = results / "part1" / "models" / f"{model_id}.eqx"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"model")
            write_sidecar(path.with_suffix(".json"), {
                "kind": "model", "id": model_id, "part": "part1", "path": str(path.relative_to(root)),
                "replicates": {"included": [True, True]}, **provenance(),
                "hps": {"part": 1, "pert": {"type": pert_type, "std": std},
                        "model": {"feedback_delay_steps": 0, "hidden_size": 8}}})
            model_ids.append(model_id)
        out = results / "part1" / "figures" / f"plant_perts_{pert_type}"
        figs = {f"velocity_profiles__amp-{amp:g}": tiny_figure(f"{pert_type}, amplitude {amp:g}", [0, 1 + amp, 0.5])
                for amp in AMPS}
        figs["measures_compare_train__max_net_force"] = tiny_figure(f"{pert_type} max net force", [3, 1, 2])
        written = write_figures(figs, out, formats=("html", "png") if static else ("html",), parallel=2)
        for name, paths in written.items():
            write_sidecar(out / f"{name}.json", {
                "kind": "figure", "id": f"{pert_type}/{name}", "part": "part1", "analysis": "plant_perts",
                "figure": name.split("__")[0], "paths": [str(p.relative_to(root)) for p in paths],
                "params": figure_params(name), "eval_ids": [], "model_ids": model_ids,
                "hps": {"compare": ["pert.std"]}, **provenance()})
    fold_sidecars(results)
    return results


# --- the index, without a browser ----------------------------------------------------------------

@pytest.fixture(scope="module")
def html_results(tmp_path_factory):
    return make_results(tmp_path_factory.mktemp("browse_html"), static=False)


def facet(index: dict, key: str) -> dict:
    return next(f for f in index["facets"] if f["key"] == key)


def test_index_facets_every_varying_key_with_counts(html_results):
    index = browser_index(html_results)
    keys = [f["key"] for f in index["facets"]]
    # part, analysis and the compared keys are the same for every figure: no facets
    assert keys == ["figure", "pert.type", "pert.std", "amp", "measure"]
    assert index["total"] == 6 and len(index["models"]) == 4
    assert facet(index, "pert.type")["values"] == ["constant", "curl"]
    assert facet(index, "pert.type")["counts"] == [3, 3]
    # a figure's models differ in train σ: it has both of its group's values
    assert facet(index, "pert.std") == {"key": "pert.std", "label": "train σ", "values": [0.0, 0.1, 1.0],
                                        "counts": [6, 3, 3]}
    assert facet(index, "amp")["values"] == [0.0, 2.0, None]  # the measure figures have no amplitude
    assert facet(index, "amp")["counts"] == [2, 2, 2]
    fig = next(f for f in index["figures"] if f["id"] == "curl/velocity_profiles__amp-2")
    assert fig["name"] == "velocity_profiles__amp-2" and fig["thumb"] is None
    assert fig["html"] == "part1/figures/plant_perts_curl/velocity_profiles__amp-2.html"
    assert fig["json"] == "part1/figures/plant_perts_curl/velocity_profiles__amp-2.plotly.json"
    assert [index["models"][m]["sidecar"] for m in fig["models"]] == [
        "part1/models/curl-0.json", "part1/models/curl-1.json"]
    assert index["models"][fig["models"][0]]["path"] == "part1/models/curl-0.eqx"


def test_index_is_robust_to_missing_columns(tmp_path):
    results = tmp_path / "results"
    for i, analysis in enumerate((None, "plant_perts", None)):
        paths = ["results/f/x__amp-0.5.plotly.json", "results/f/x__amp-0.5.html"] if i == 1 else []
        record = {"kind": "figure", "id": f"f{i}", "part": "part1", "figure": "x", "paths": paths,
                  "params": {"sisu": float("nan")} if i == 2 else {}, "eval_ids": [], "model_ids": ["gone"],
                  "hps": {}, **provenance()}
        if analysis:
            record["analysis"] = analysis
        write_sidecar(results / f"f{i}.json", record)
    index = browser_index(results)  # no catalogue file yet: the sidecars are read
    assert facet(index, "analysis")["values"] == ["plant_perts", None]
    assert facet(index, "analysis")["counts"] == [1, 2]
    assert facet(index, "sisu")["values"] == ["nan", None]
    assert [f["models"] for f in index["figures"]] == [[], [], []]  # unknown models are left out
    assert [f["name"] for f in index["figures"]] == ["x", "x", "x__amp-0.5"]  # dots stay in names
    assert index["figures"][2]["html"] == "f/x__amp-0.5.html" and index["figures"][2]["thumb"] is None


def test_a_parameter_naming_a_hyperparameter_shares_its_facet(tmp_path):
    """A training-loss figure of the σ = 1 model (`train_std-1`) in a group of σ 0 and 1 is filed
    under train σ = 1 only, not under a second "train σ" facet; `varying` is never a facet."""
    results = tmp_path / "results"
    for std in (0.0, 1.0):
        write_sidecar(results / f"m{std:g}.json", {
            "kind": "model", "id": f"m{std:g}", "part": "part1", "path": f"results/m{std:g}.eqx",
            "replicates": {"included": [True]}, "hps": {"pert": {"std": std}}, **provenance()})
    for i, name in enumerate(("training_loss__train_std-1", "velocity_profiles__amp-2")):
        write_sidecar(results / f"f{i}.json", {
            "kind": "figure", "id": f"f{i}", "part": "part1", "figure": name.split("__")[0],
            "paths": [f"results/{name}.html"], "params": figure_params(name), "eval_ids": [],
            "model_ids": ["m0", "m1"], "hps": {"compare": ["pert.std"], "varying": ["pert.std", "amp"]},
            **provenance()})
    index = browser_index(results)
    assert [f["key"] for f in index["facets"]] == ["figure", "pert.std", "amp"]
    assert facet(index, "pert.std")["values"] == [0.0, 1.0] and facet(index, "pert.std")["counts"] == [1, 2]


def test_write_browser_embeds_the_index_in_one_static_page(html_results, tmp_path):
    page = write_browser(html_results)
    assert page == html_results / "index.html"
    text = page.read_text()
    start = text.index("const INDEX = ") + len("const INDEX = ")
    index = json.loads(text[start:text.index(";\n", start)])
    assert index == json.loads(json.dumps(browser_index(html_results)))
    assert "fetch(" not in text and "/*__MOTORLAB_INDEX__*/" not in text
    elsewhere = write_browser(html_results, out=tmp_path / "pages" / "all.html")
    assert '"html":"../../' in elsewhere.read_text()  # links stay relative to the page
    with pytest.raises(FileNotFoundError, match="results directory"):
        write_browser(tmp_path / "missing")


def test_browse_command(html_results, tmp_path, capsys):
    from motorlab.cli import main

    out = tmp_path / "b.html"
    assert main(["browse", "--results", str(html_results), "--out", str(out)]) == 0
    assert out.is_file() and str(out) in capsys.readouterr().out
    assert main(["browse", "--results", str(tmp_path / "none")]) == 1
    assert "does not exist" in capsys.readouterr().err


# --- in a real browser ---------------------------------------------------------------------------

def _missing_browser() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if find_browser() is None or shutil.which("chromium") is None:
        return "no chromium (apt-get install chromium, or `make chromium`)"
    if shutil.which("chromedriver") is None:
        return "no chromedriver (apt-get install chromium-driver, or `make chromium`)"
    return None


def require_browser() -> None:
    """Skip (or under CI=true, fail) when Chromium, chromedriver or Selenium is missing."""
    missing = _missing_browser()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"real-browser tests cannot run under CI=true: {missing}")
        pytest.skip(f"real-browser tests need Chromium, chromedriver and Selenium: {missing}")


@pytest.fixture(scope="module")
def chrome(tmp_path_factory):
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                "--disable-gpu"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    driver.downloads = downloads
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def results(tmp_path_factory, chrome):
    results = make_results(tmp_path_factory.mktemp("browse_static"), static=True)
    write_browser(results)
    return results


def wait_for(condition, timeout=20.0, what="the page"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path


def test_browser_page_filters_and_lays_out_figures(chrome, results):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    chrome.get((results / "index.html").as_uri())
    count = chrome.find_element(By.ID, "count")
    wait_for(lambda: count.text == "6 of 6 figures", what="the figure count")
    cards = chrome.find_elements(By.CSS_SELECTOR, ".card")
    assert len(cards) == 6
    # every thumbnail is lazy and loads from file:// (a real PNG: natural width > 0 once scrolled in)
    images = chrome.find_elements(By.CSS_SELECTOR, ".card img")
    assert len(images) == 6 and all(i.get_attribute("loading") == "lazy" for i in images)
    wait_for(lambda: chrome.execute_script(
        "return [...document.images].slice(0, 3).every(i => i.complete && i.naturalWidth > 0)"),
        what="the thumbnails")

    chrome.find_element(By.CSS_SELECTOR, 'input[data-facet="pert.type"][data-value="curl"]').click()
    wait_for(lambda: count.text == "3 of 6 figures", what="the count after picking field type curl")
    assert len(chrome.find_elements(By.CSS_SELECTOR, ".card")) == 3
    amp_counts = [e.text for e in chrome.find_elements(By.CSS_SELECTOR, 'fieldset[data-facet="amp"] .n')]
    assert amp_counts == ["1", "1", "1"]  # facet counts follow the other selections
    chrome.find_element(By.ID, "clear").click()
    wait_for(lambda: count.text == "6 of 6 figures", what="the count after clearing")

    Select(chrome.find_element(By.ID, "rows")).select_by_visible_text("field type")
    Select(chrome.find_element(By.ID, "cols")).select_by_visible_text("amplitude")
    table = chrome.find_element(By.CSS_SELECTOR, "table.layout")
    assert [th.text for th in table.find_elements(By.CSS_SELECTOR, "th.row")] == ["constant", "curl"]
    assert [th.text for th in table.find_elements(By.CSS_SELECTOR, "th.col")] == ["0", "2", "(none)"]
    cells = table.find_elements(By.CSS_SELECTOR, "tbody td")
    assert [c.get_attribute("data-count") for c in cells] == ["1"] * 6
    assert all(len(c.find_elements(By.CSS_SELECTOR, ".card")) == 1 for c in cells)
    chrome.find_element(By.ID, "search").send_keys("velocity")
    wait_for(lambda: count.text == "4 of 6 figures", what="the count after searching 'velocity'")
    assert len(chrome.find_elements(By.CSS_SELECTOR, "th.col")) == 2  # the measure column is gone
    screenshot(chrome, "browser_page.png")


def test_figure_has_copy_and_download_buttons(chrome, results):
    from selenium.webdriver.common.by import By

    page = results / "part1" / "figures" / "plant_perts_curl" / "velocity_profiles__amp-2.html"
    chrome.get(page.as_uri())
    wait_for(lambda: chrome.execute_script(
        "const g = document.querySelector('.plotly-graph-div');"
        "return g && g.getAttribute('data-motorlab-buttons') === 'ready'"), what="the figure's buttons")
    titles = [b.get_attribute("data-title") for b in chrome.find_elements(By.CSS_SELECTOR, ".modebar-btn")]
    for label in ("Copy PNG", "Copy SVG", "Download PNG", "Download SVG"):
        assert any(t.startswith(label) for t in titles), (label, titles)
    assert not any(t.startswith("Share") or t.startswith("Download plot") for t in titles)
    chrome.find_element(By.CSS_SELECTOR, '.modebar-btn[data-title^="Download SVG"]').click()
    target = chrome.downloads / "velocity_profiles__amp-2.svg"
    wait_for(target.is_file, what=f"the download {target}")
    svg = target.read_text()
    assert svg.lstrip().startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert 'width="360"' in svg and 'height="260"' in svg and "curl, amplitude 2" in svg
    screenshot(chrome, "figure_page.png")
    assert (ARTIFACTS / "figure_page.png").stat().st_size > 1000


def test_ci_makes_a_missing_browser_a_failure(monkeypatch):
    """Under CI=true, a machine without the browser fails the browser tests instead of skipping."""
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "chromedriver" else f"/usr/bin/{name}")
    monkeypatch.setattr(sys.modules[__name__], "find_browser", lambda: "/usr/bin/chromium")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="no chromedriver"):
        require_browser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="cannot run under CI=true: no chromedriver"):
        require_browser()


@pytest.mark.skipif(find_browser() is None, reason="no Chrome/Chromium: SVG cannot be rendered "
                    "(install with `apt-get install chromium`)")
def test_figures_export_renders_svg_from_the_plotly_json(html_results, tmp_path, capsys):
    from motorlab.cli import main

    dest = tmp_path / "svg"
    assert main(["figures", "export", "--results", str(html_results), "--where", "pert.type=curl",
                 "figure=velocity_profiles", "--formats", "svg,json", str(dest)]) == 0
    names = sorted(p.name for p in dest.iterdir())
    assert len(names) == 4 and sum(n.endswith(".plotly.json") for n in names) == 2
    svgs = sorted(dest.glob("*.svg"))
    assert [p.name.split("__")[:2] for p in svgs] == [["velocity_profiles", "amp-0.0"],
                                                       ["velocity_profiles", "amp-2.0"]]
    assert all(p.read_text().lstrip().startswith("<svg") for p in svgs)
    assert "curl, amplitude 2" in svgs[1].read_text()
    assert "copied 4 files" in capsys.readouterr().err
    assert main(["figures", "export", "--results", str(html_results), "--formats", "gif", str(dest)]) == 1
    assert "formats ['gif']; expected any of html, json, png" in capsys.readouterr().err
