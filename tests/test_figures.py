"""Behaviour figures from a small synthetic states table, and their export."""

import logging
import os
import struct

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from motorlab.analysis import aligned_trials
from motorlab.figures import PART2_MEASURES, SUMMARY_MEASURES, TableFigure, build_group_figures
from motorlab.analysis import compute_measures, holm
from motorlab.figures import (
    aligned_trajectories,
    colors_for,
    darken,
    find_browser,
    group_colors,
    lowhigh_violins,
    match_axes,
    measure_violins,
    profiles,
    replicate_violins,
    velocity_profiles,
    write_figures,
)

from shape_checking import unchecked
from synthetic_states import states_table


STEPS, DIRECTIONS = 12, 4


def model_states(train_std, pert_amp, seed, replicates=2, excluded=(), sisu=np.nan):
    """Noisy straight reaches in 4 directions; lateral drift grows with the field amplitude and
    shrinks with SISU."""
    rng = np.random.default_rng(seed)
    tables = []
    angles = np.linspace(0, 2 * np.pi, DIRECTIONS, endpoint=False)
    goal = 0.5 * np.stack([np.cos(angles), np.sin(angles)], -1)
    s = np.linspace(0, 1, STEPS)[None, :, None]
    lateral = np.stack([-np.sin(angles), np.cos(angles)], -1)[:, None]
    for replicate in range(replicates):
        drift = 0.02 * pert_amp * (1.0 - 0.3 * np.nan_to_num(sisu))
        pos = goal[:, None] * s + drift * np.sin(np.pi * s) * lateral
        pos = pos + 0.002 * rng.normal(size=pos.shape)
        vel = np.gradient(pos, axis=1)
        force = np.gradient(vel, axis=1)
        table = states_table(pos, vel, force, [0.0, 0.0], goal, train_std=np.float32(train_std))
        table["replicate"] = np.int16(replicate)
        table["included"] = replicate not in excluded
        table["pert_amp"] = np.float32(pert_amp)
        table["sisu"] = np.float32(sisu)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


@pytest.fixture(scope="module")
def states():
    return pd.concat(
        [model_states(0.0, 0.0, 0), model_states(0.0, 2.0, 1),
         model_states(1.5, 0.0, 2, excluded=(1,)), model_states(1.5, 2.0, 3, excluded=(1,))],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def measures(states):
    return compute_measures(states)


def test_group_colors_follow_the_conventions():
    viridis = group_colors([1.0, 0.0, 0.5], "viridis")
    assert list(viridis) == [0.0, 0.5, 1.0]
    assert viridis[0.0] == "rgb(68, 1, 84)" and viridis[1.0] == "rgb(253, 231, 37)"
    assert colors_for("train_std", [0, 1]) == group_colors([0, 1], "viridis")
    assert colors_for("pert_amp", [0, 1]) == group_colors([0, 1], "plotly3")
    assert colors_for("sisu", [0, 1]) == group_colors([0, 1], "thermal")
    phase = group_colors(range(4), "phase")
    assert len(set(phase.values())) == 4  # cyclic: the last colour is not the first again
    assert darken("rgb(100, 200, 10)") == "rgb(70, 140, 7)"
    assert darken("#0A1400") == "rgb(7, 14, 0)"
    with pytest.raises(ValueError, match="unknown colour scale 'jet'"):
        group_colors([0], "jet")


def test_aligned_trajectories_traces_colours_and_means(states):
    fig = aligned_trajectories(states[states["pert_amp"] == 2.0], "train_std", max_curves=3)
    # per group (2) and panel (3): faint + mean; plus the start/goal markers
    assert len(fig.data) == 2 * 3 * 2 + 1
    colors = group_colors([0.0, 1.5], "viridis")
    faint = [t for t in fig.data if t.line.width == 0.5]
    means = [t for t in fig.data if t.line.width == 2.5]
    assert {t.line.color for t in faint} == set(colors.values())
    assert {t.line.color for t in means} == {darken(c) for c in colors.values()}
    assert [t.name for t in means if t.showlegend] == ["0", "1.5"]
    # at most 3 faint curves per trace: NaN gaps separate curves
    for trace in faint:
        assert np.isnan(np.asarray(trace.x, dtype=float)).sum() == 3
    markers = fig.data[-1]
    np.testing.assert_allclose(markers.x, [0.0, 0.5], atol=1e-6)
    np.testing.assert_allclose(markers.y, [0.0, 0.0])
    assert fig.layout.template == pio.templates["simple_white"]
    assert fig.layout.legend.title.text == "Train<br>field std."
    assert [a.text for a in fig.layout.annotations] == ["Position", "Velocity", "Control force"]
    assert fig.layout.xaxis2.title.text == "Forward" and fig.layout.yaxis.title.text == "Lateral"


def test_trajectory_mean_is_over_included_trials_of_the_group(states):
    subset = states[(states["pert_amp"] == 2.0) & (states["train_std"] == 1.5)]
    fig = aligned_trajectories(subset, "train_std", variables=("pos",), max_curves=0)
    aligned, conditions = aligned_trials(subset)
    expected = aligned.pos[conditions["included"].to_numpy()].mean(axis=0)
    assert len(fig.data) == 2  # mean + markers
    np.testing.assert_allclose(fig.data[0].x, expected[:, 0])
    np.testing.assert_allclose(fig.data[0].y, expected[:, 1])
    # the lateral bump of the synthetic field shows up as positive (leftward) mean deviation
    assert np.max(fig.data[0].y) > 0.03


def test_trajectories_colour_by_any_column(states):
    fig = aligned_trajectories(states, "pert_amp", max_curves=2)
    colors = group_colors([0.0, 2.0], "plotly3")
    assert {t.line.color for t in fig.data if t.line.width == 0.5} == set(colors.values())
    assert fig.layout.legend.title.text == "Field<br>amplitude"
    with pytest.raises(ValueError, match="color_by='sigma' is not a column"):
        aligned_trajectories(states, "sigma")


def test_velocity_profiles_mean_and_std_band(states):
    subset = states[states["pert_amp"] == 2.0]
    fig = velocity_profiles(subset, "train_std")
    assert [a.text for a in fig.layout.annotations] == ["Forward velocity", "Lateral velocity"]
    assert len(fig.data) == 2 * 2 * 2  # groups × panels × (band, mean)
    assert len(fig.layout.shapes) == 2 and fig.layout.shapes[0].y0 == 0  # grey zero lines
    aligned, conditions = aligned_trials(subset)
    keep = (conditions["train_std"] == 0.0).to_numpy() & conditions["included"].to_numpy()
    lateral = aligned.vel[keep, :, 1]
    band, mean = fig.data[2], fig.data[3]  # group 0.0, lateral panel
    assert band.fill == "toself" and band.xaxis == "x2"
    np.testing.assert_allclose(mean.y, lateral.mean(axis=0))
    np.testing.assert_allclose(band.y[:STEPS], lateral.mean(axis=0) + lateral.std(axis=0))
    assert fig.layout.xaxis.title.text == "Time step"


def test_general_profiles_grid(states):
    fig = profiles(states, "sisu", variables=("pos", "force"), components=("orthogonal",), dt=0.05)
    assert [a.text for a in fig.layout.annotations] == ["Lateral position", "Lateral control force"]
    assert len(fig.data) == 1 * 2 * 2  # one (NaN) SISU group
    assert fig.data[1].x[-1] == pytest.approx((STEPS - 1) * 0.05)
    with pytest.raises(ValueError, match="expected some of"):
        profiles(states, "sisu", variables=("acc",))


def test_measure_violins(measures):
    fig = measure_violins(measures, "max_net_force", x="train_std", color="pert_amp")
    assert [t.type for t in fig.data] == ["violin", "violin"]
    assert [t.name for t in fig.data] == ["0", "2"]
    assert fig.layout.violinmode == "group"
    assert all(t.meanline.visible for t in fig.data)
    assert fig.layout.xaxis.type == "category"
    assert list(fig.layout.xaxis.categoryarray) == ["0", "1.5"]
    assert fig.layout.yaxis.title.text == "Max net force"
    assert fig.layout.yaxis.rangemode == "tozero" and not fig.layout.shapes
    assert fig.data[0].line.color == group_colors([0.0, 2.0], "plotly3")[0.0]
    # hover: eval, replicate, condition of every point; excluded replicate 1 of σ 1.5 left out
    assert "replicate %{customdata[1]}" in fig.data[0].hovertemplate
    assert len(fig.data[0].y) == 2 * DIRECTIONS + 1 * DIRECTIONS
    assert fig.data[0].customdata.shape == (3 * DIRECTIONS, 3)


def test_signed_measure_violins_draw_a_zero_line(measures):
    fig = measure_violins(measures, "largest_orthogonal_distance", x="pert_amp", color="train_std")
    assert len(fig.layout.shapes) == 1 and fig.layout.shapes[0].y0 == 0
    assert fig.layout.yaxis.rangemode is None
    assert fig.layout.yaxis.title.text == "Largest lateral distance<br>(signed, % reach length)"
    assert fig.layout.legend.title.text == "Train<br>field std."


def test_replicate_violins_keep_replicates_included_for_both(measures):
    fig = replicate_violins(measures, "end_position_error", by="train_std")
    assert [t.side for t in fig.data] == ["negative", "positive"]
    assert [t.name for t in fig.data] == ["0", "1.5"]
    # replicate 1 is excluded at σ 1.5, so only replicate 0 is compared
    assert set(fig.data[0].x) == {"0"} and set(fig.data[1].x) == {"0"}
    assert fig.layout.xaxis.title.text == "Replicate"
    tenth = measures.assign(train_std=measures["train_std"].replace(1.5, np.float32(0.1)))
    fig = replicate_violins(tenth, "end_position_error", low=0.0, high=0.1)  # float32-stored 0.1
    assert [t.name for t in fig.data] == ["0", "0.1"]
    with pytest.raises(ValueError, match="0.7 is not a value of 'train_std'"):
        replicate_violins(measures, "end_position_error", high=0.7)


def test_lowhigh_violins_pick_the_extremes(measures):
    more = pd.concat([measures, measures.assign(train_std=np.float32(0.5))], ignore_index=True)
    fig = lowhigh_violins(more, "max_net_force")
    assert list(fig.layout.xaxis.categoryarray) == ["0", "1.5"]
    assert [t.name for t in fig.data] == ["0", "2"]
    assert (fig.layout.width, fig.layout.height) == (300, 300)


def test_match_axes_shares_ranges(states):
    a = aligned_trajectories(states[states["pert_amp"] == 0.0], "train_std", max_curves=0)
    b = aligned_trajectories(states[states["pert_amp"] == 2.0], "train_std", max_curves=0)
    match_axes([a, b])
    assert a.layout.yaxis.range == b.layout.yaxis.range
    assert a.layout.yaxis.range[1] >= max(np.nanmax(t.y) for t in b.data if t.yaxis == "y")


def small_figures():
    return {
        "one": go.Figure(go.Scatter(x=[0, 1], y=[1, 0])).update_layout(width=320, height=200),
        "sub/two": go.Figure(go.Bar(x=["a", "b"], y=[1, 2])).update_layout(width=300, height=240),
        "three": go.Figure(go.Violin(y=[1, 2, 3])).update_layout(width=200, height=200),
    }


def test_html_export_shares_one_plotlyjs(tmp_path):
    written = write_figures(small_figures(), tmp_path, formats=("html",))
    assert written["sub/two"][0] == tmp_path / "sub" / "two.html"
    assert sorted(p.name for p in tmp_path.rglob("*.js")) == ["plotly.min.js"]
    assert '<script charset="utf-8" src="plotly.min.js"' in (tmp_path / "one.html").read_text()
    nested = (tmp_path / "sub" / "two.html").read_text()
    assert '<script charset="utf-8" src="../plotly.min.js"' in nested
    first = (tmp_path / "plotly.min.js").stat().st_mtime_ns
    write_figures(small_figures(), tmp_path, formats=("html",))
    assert (tmp_path / "plotly.min.js").stat().st_mtime_ns == first  # unchanged: not rewritten
    inline = write_figures({"x": small_figures()["one"]}, tmp_path / "inline", plotlyjs="inline",
                           formats=("html",))
    text = inline["x"][0].read_text()
    assert "plotly.min.js" not in text and len(text) > 1_000_000
    assert not list(tmp_path.rglob("*.tmp"))


def test_html_has_copy_and_download_buttons_and_json_beside_it(tmp_path):
    figs = small_figures()
    written = write_figures(figs, tmp_path, formats=("html",))
    assert [p.name for p in written["sub/two"]] == ["two.html", "two.plotly.json"]
    html = written["sub/two"][0].read_text()
    for button in ("Copy PNG", "Copy SVG", "Download PNG", "Download SVG"):
        assert f'name: "{button}"' in html
    assert '"file": "sub__two"' in html and '"width": 300, "height": 240, "scale": 2.0' in html
    assert '"modeBarButtonsToRemove": ["toImage", "sendChartToCloud"]' in html
    assert "__MOTORLAB_FIGURE__" not in html and "{plot_id}" not in html
    reloaded = pio.read_json(written["sub/two"][1])
    assert reloaded.layout.width == 300 and list(reloaded.data[0].y) == [1, 2]
    only_json = write_figures(figs, tmp_path / "j", formats=("json",))
    assert [p.name for p in only_json["one"]] == ["one.plotly.json"]


def test_export_validates_arguments(tmp_path):
    with pytest.raises(ValueError, match="formats \\['gif'\\]; expected any of \\['html', 'json'"):
        write_figures({}, tmp_path, formats=("gif",))
    with pytest.raises(ValueError, match="figure name '../x'"):
        write_figures({"../x": go.Figure()}, tmp_path)
    with pytest.raises(ValueError, match="plotlyjs='cdn'"), unchecked("tests the library's own error for a value its annotation excludes"):
        write_figures({}, tmp_path, plotlyjs="cdn")


def test_interrupted_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "one.html"
    target.write_text("old figure")

    def fail(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(KeyboardInterrupt):
        write_figures({"one": small_figures()["one"]}, tmp_path, formats=("html",),
                      plotlyjs="inline")
    assert target.read_text() == "old figure"
    assert [p.name for p in tmp_path.iterdir()] == ["one.html"]


def test_missing_browser_writes_html_and_says_what_was_skipped(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="motorlab.figures"):
        written = write_figures(small_figures(), tmp_path, formats=("html", "png"),
                                browser_path=tmp_path / "no-chromium")
    assert all([p.suffix for p in paths] == [".html", ".json"] for paths in written.values())
    assert not list(tmp_path.rglob("*.png"))
    message = caplog.text
    assert "skipped 3 static image(s)" in message and "sub/two.png" in message
    assert "apt-get install chromium" in message


BROWSER = find_browser()


@pytest.mark.skipif(BROWSER is None, reason="no Chrome/Chromium: static export cannot run "
                    "(install with `apt-get install chromium`)")
def test_static_export_uses_one_browser_for_the_batch(tmp_path, monkeypatch):
    import kaleido

    opened = []

    class CountingKaleido(kaleido.Kaleido):
        def __init__(self, *args, **kwargs):
            opened.append(kwargs.get("path"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(kaleido, "Kaleido", CountingKaleido)
    reported = []
    written = write_figures(small_figures(), tmp_path, formats=("html", "png", "svg"),
                            progress=lambda name, path: reported.append(path))
    assert opened == [BROWSER]
    assert sorted(reported) == sorted(p for paths in written.values() for p in paths)
    assert len(reported) == 3 * 4
    assert [p.name for p in written["sub/two"]] == ["two.html", "two.plotly.json", "two.png", "two.svg"]
    png = (tmp_path / "sub" / "two.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (600, 480)  # the layout's size at scale 2
    assert (tmp_path / "three.svg").read_text().lstrip().startswith("<svg")
    assert not list(tmp_path.rglob("*.tmp"))


def test_static_export_tries_a_failed_render_again(tmp_path, monkeypatch, caplog):
    """A tab that fails once (a page error of a loaded machine) renders on the second try; an
    image that fails every time is reported by name, the others still written."""
    import kaleido

    calls: dict[str, int] = {}

    class FlakyKaleido(kaleido.Kaleido):
        async def calc_fig(self, fig, *args, **kwargs):
            title = fig.layout.title.text if hasattr(fig, "layout") else fig["layout"]["title"]["text"]
            calls[title] = calls.get(title, 0) + 1
            if title == "broken" or calls[title] == 1:
                raise RuntimeError("ReferenceError: kaleido_scopes is not defined")
            return await super().calc_fig(fig, *args, **kwargs)

    monkeypatch.setattr(kaleido, "Kaleido", FlakyKaleido)
    figs = {"ok": go.Figure(layout={"title": {"text": "ok"}}),
            "bad": go.Figure(layout={"title": {"text": "broken"}})}
    with pytest.raises(RuntimeError, match="bad.png"):
        write_figures(figs, tmp_path, formats=("png",))
    assert (tmp_path / "ok.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert calls == {"ok": 2, "broken": 2} and not (tmp_path / "bad.png").exists()
    assert "trying again" in caplog.text


# Part 2 (SPEC §2.6): models differing in train std, each evaluated at every SISU × amplitude.
TRAIN_STDS, SISUS, AMPS = (0.0, 1.5), (-1.0, 1.0), (0.0, 2.0)
BEST = {0.0: 2, 1.5: 0}  # each model's best replicate (of 3)


@pytest.fixture(scope="module")
def part2_tables():
    tables, seed = [], 10
    for train_std in TRAIN_STDS:
        for sisu in SISUS:
            for amp in AMPS:
                tables.append(model_states(train_std, amp, seed, replicates=3, sisu=sisu))
                seed += 1
    states = pd.concat(tables, ignore_index=True)
    states["best_replicate"] = states["replicate"].to_numpy() == states["train_std"].map(BEST).to_numpy()
    measures = compute_measures(states.drop(columns="best_replicate"))
    trials = states[states["t"] == 0]
    corr = trials[[c for c in measures.columns if c not in ("measure", "value")]].assign(
        measure="output_correlation", value=0.5 + 0.1 * trials["sisu"].to_numpy(dtype=float))
    return states, pd.concat([measures, corr], ignore_index=True)


def part2_figures(tables, variant):
    states, measures = tables
    return build_group_figures(states, measures, variant=variant, compare=["pert.std"], part=2,
                               dt=0.05)


def test_part2_trajectory_figures_by_sisu_and_by_train_std(part2_tables):
    figs = part2_figures(part2_tables, "small")
    by_sisu = {f"aligned_by_sisu__train_std-{std:g}__amp-{amp:g}" for std in TRAIN_STDS for amp in AMPS}
    by_train = {f"aligned_compare_train__sisu-{s:g}__amp-{amp:g}" for s in SISUS for amp in AMPS}
    assert set(figs) == by_sisu | by_train
    sisu_colors = group_colors(SISUS, "thermal")
    train_colors = group_colors(TRAIN_STDS, "viridis")
    for name in by_sisu:
        means = [t for t in figs[name].data if t.line.width == 2.5]
        assert len(means) == len(SISUS) * 3  # one mean per SISU and panel
        assert {t.line.color for t in means} == {darken(c) for c in sisu_colors.values()}
        assert figs[name].layout.legend.title.text == "Context input"
    for name in by_train:
        means = [t for t in figs[name].data if t.line.width == 2.5]
        assert {t.line.color for t in means} == {darken(c) for c in train_colors.values()}
    # by SISU at σ 1.5, amplitude 2: the trials of that model only; SISU −1 drifts further left
    states = part2_tables[0]
    fig = figs["aligned_by_sisu__train_std-1.5__amp-2"]
    position = {t.name: np.asarray(t.y, dtype=float) for t in fig.data
                if t.line.width == 2.5 and t.yaxis == "y"}
    assert set(position) == {"-1", "1"}
    assert position["-1"].max() > position["1"].max() + 0.01
    subset = states[(states["train_std"] == 1.5) & (states["pert_amp"] == 2.0) & (states["sisu"] == -1.0)]
    aligned, _ = aligned_trials(subset)
    np.testing.assert_allclose(position["-1"], aligned.pos.mean(axis=0)[:, 1])
    # axes equalised across the figures of a set
    ranges = {tuple(figs[name].layout.yaxis.range) for name in by_sisu}
    assert len(ranges) == 1


def test_part2_profiles_and_violins(part2_tables):
    figs = part2_figures(part2_tables, "full")
    profiles_train = {f"profiles_compare_train__sisu-{s:g}__amp-{amp:g}" for s in SISUS for amp in AMPS}
    profiles_sisu = {f"profiles_by_sisu__train_std-{std:g}__amp-{amp:g}" for std in TRAIN_STDS for amp in AMPS}
    violins = {f"measures_by_sisu__{m}__amp-{amp:g}" for m in PART2_MEASURES for amp in AMPS}
    transposed = ({f"measures_by_pert_amp__{m}__train_std-{std:g}" for m in PART2_MEASURES for std in TRAIN_STDS}
                  | {f"measures_by_train__{m}__amp-{amp:g}" for m in PART2_MEASURES for amp in AMPS})
    summary = {f"summary_vs_train__{m}__pert_type-curl__amp-{amp:g}" for m in SUMMARY_MEASURES for amp in AMPS}
    stats = ({f"stats__by-train_std__amp-{amp:g}__sisu-{s:g}" for amp in AMPS for s in SISUS}
             | {f"stats__by-sisu__amp-{amp:g}__train_std-{std:g}" for amp in AMPS for std in TRAIN_STDS})
    assert set(figs) == profiles_train | profiles_sisu | violins | transposed | summary | stats
    for name in violins | transposed:  # SPEC §2.6: a zero line on every measure violin
        assert [s.y0 for s in figs[name].layout.shapes] == [0], name
    # the summary (seed §5.3): one line per SISU with 95 % intervals over (eval, replicate) units
    fig = figs["summary_vs_train__end_position_error__pert_type-curl__amp-2"]
    assert [t.name for t in fig.data] == ["-1", "1"] and all(t.error_y.array is not None for t in fig.data)
    # statistics beside the violins: Holm across the whole set, rows per compared measure
    table = figs["stats__by-sisu__amp-2__train_std-1.5"]
    assert isinstance(table, TableFigure) and set(table.table["measure"]) <= set(PART2_MEASURES)
    assert "initial_force_direction" not in set(table.table["measure"])  # angles are circular
    family = pd.concat([figs[n].table for n in stats])
    np.testing.assert_allclose(family["ranksum_p_holm"], holm(family["ranksum_p"]))
    assert {"output_correlation", "initial_force_direction", "max_net_force_direction"} <= set(PART2_MEASURES)
    assert "measures_by_sisu__initial_force_direction__amp-2" in figs  # SPEC §2.1: direction at start
    for name in profiles_sisu:
        fig = figs[name]
        assert [a.text for a in fig.layout.annotations][:2] == ["Forward position", "Lateral position"]
        means = [t for t in fig.data if t.fill != "toself"]
        assert len(means) == len(SISUS) * 3 * 2  # SISU groups × (pos, vel, force) × components
        assert {t.line.color for t in means} == set(group_colors(SISUS, "thermal").values())
    for name in profiles_train:
        means = [t for t in figs[name].data if t.fill != "toself"]
        assert {t.line.color for t in means} == set(group_colors(TRAIN_STDS, "viridis").values())
    # profiles draw only each model's best replicate (SPEC §2.6)
    states = part2_tables[0]
    for name, color_by, fixed in (("profiles_by_sisu__train_std-0__amp-2", "sisu", ("train_std", 0.0)),
                                  ("profiles_compare_train__sisu-1__amp-2", "train_std", ("sisu", 1.0))):
        at = states[(states[fixed[0]] == fixed[1]) & (states["pert_amp"] == 2.0)]
        for value, mean in zip((at[color_by].min(), at[color_by].max()),
                               [t for t in figs[name].data if t.fill != "toself"][1::6], strict=True):
            group = at[at[color_by] == value]
            best = group[group["replicate"] == BEST[float(group["train_std"].iloc[0])]]
            aligned, _ = aligned_trials(best)
            np.testing.assert_allclose(mean.y, aligned.pos[:, :, 1].mean(axis=0))  # lateral position
            everyone, _ = aligned_trials(group)
            assert not np.allclose(mean.y, everyone.pos[:, :, 1].mean(axis=0))
    with pytest.raises(ValueError, match="'best_replicate' column"):
        build_group_figures(states.drop(columns="best_replicate"), part2_tables[1], variant="full",
                            compare=["pert.std"], part=2, dt=0.05)
    measures = part2_tables[1]
    for name in violins:
        fig = figs[name]
        assert [t.name for t in fig.data] == ["0", "1.5"]  # legend = train std
        assert list(fig.layout.xaxis.categoryarray) == ["-1", "1"]  # x = SISU
        assert fig.layout.legend.title.text == "Train<br>field std."
        assert (fig.layout.width, fig.layout.height) == (700, 500)
    fig = figs["measures_by_sisu__output_correlation__amp-2"]
    rows = measures[(measures["measure"] == "output_correlation") & (measures["pert_amp"] == 2.0)
                    & (measures["train_std"] == 0.0)]
    assert len(fig.data[0].y) == len(rows)
    by_x = pd.Series(fig.data[0].y).groupby(list(fig.data[0].x)).mean()
    np.testing.assert_allclose(by_x[["-1", "1"]], [0.4, 0.6])
    fig = figs["measures_by_sisu__max_net_force__amp-0"]
    expected = measures[(measures["measure"] == "max_net_force") & (measures["pert_amp"] == 0.0)
                        & (measures["train_std"] == 1.5)]["value"]
    np.testing.assert_allclose(np.sort(fig.data[1].y), np.sort(expected))


def test_angle_violins_are_not_split_at_pi():
    """Initial force directions straddling ±π (backwards) form one violin around π; a group
    around 0 in the same figure stays around 0."""
    offsets = np.array([-0.1, -0.05, 0.05, 0.1])
    n, steps = 2 * len(offsets), 12
    angles = np.concatenate([np.pi + offsets, 0.3 + offsets])
    force = np.zeros((n, steps, 2))
    force[:, 2] = np.stack([np.cos(angles), np.sin(angles)], -1)
    pos = np.zeros((n, steps, 2))
    table = states_table(pos, pos, force, [0.0, 0.0], [0.5, 0.0],
                         train_std=np.repeat(np.float32([0.0, 1.5]), len(offsets)))
    measures = compute_measures(table, ["initial_force_direction", "max_net_force"])
    stored = measures[measures["measure"] == "initial_force_direction"]["value"].to_numpy()
    assert stored[:4].min() < -3 and stored[:4].max() > 3  # split in the table
    fig = measure_violins(measures, "initial_force_direction", x="train_std", color="sisu")
    y = np.asarray(fig.data[0].y, dtype=float)
    by_std = {x: y[np.asarray(fig.data[0].x) == x] for x in ("0", "1.5")}
    np.testing.assert_allclose(np.sort(by_std["0"]), np.pi + offsets, atol=1e-6)
    np.testing.assert_allclose(np.sort(by_std["1.5"]), 0.3 + offsets, atol=1e-6)
    assert len(fig.layout.shapes) == 1  # signed: zero line
    # other measures are drawn as stored
    fig = measure_violins(measures, "max_net_force", x="train_std", color="sisu")
    np.testing.assert_allclose(fig.data[0].y, 1.0, rtol=1e-6)
    # replicate violins unwrap per replicate × train std as well
    two = pd.concat([measures, measures.assign(replicate=np.int16(1))], ignore_index=True)
    fig = replicate_violins(two, "initial_force_direction", by="train_std")
    np.testing.assert_allclose(np.sort(fig.data[0].y), np.sort(np.tile(np.pi + offsets, 2)), atol=1e-6)


def test_best_replicate_is_the_included_one_with_lowest_loss():
    from motorlab.figures import best_replicate, tag

    record = {"best_total_loss": [0.3, None, 0.1, 0.2], "included": [True, False, False, True]}
    assert best_replicate(record) == 3  # 0.1 belongs to an excluded replicate
    with pytest.raises(ValueError, match="no included replicate"):
        best_replicate({"best_total_loss": [None, 0.1], "included": [True, False]})
    frame = pd.DataFrame({"replicate": np.int16([0, 1, 2, 0])})
    tagged = tag([frame, frame], [{"pert": {"std": 0.0}}, {"pert": {"std": 1.5}}], ["pert.std"], [1, 0])
    assert list(tagged["train_std"]) == [0.0] * 4 + [1.5] * 4
    assert list(tagged["best_replicate"]) == [False, True, False, False, True, False, False, True]


def test_figure_stage_marks_each_models_best_replicate(part2_tables, tmp_path, monkeypatch):
    """The stage reads each model's best replicate from its sidecar: the part-2 profiles it
    writes show that replicate only."""
    import json

    import motorlab.stages._figures as stage  # monkeypatch target, where write_figure_set is looked up
    from motorlab.store import write_table

    states, measures = part2_tables
    states = states.drop(columns="best_replicate")
    manifests, models = [], []
    for i, std in enumerate(TRAIN_STDS):
        losses = [0.5, 0.5, 0.5]
        losses[BEST[std]] = 0.1
        tables = {}
        for kind, table in (("states", states), ("measures", measures)):
            tables[kind] = str(tmp_path / f"{kind}{i}.parquet")
            write_table(table[table["train_std"] == std].drop(columns="train_std"), tables[kind])
        manifests.append(tmp_path / f"e{i}.json")
        manifests[-1].write_text(json.dumps({"tables": tables}))
        model = {"id": f"m{i}", "hps": {"part": 2, "plant": {"dt": 0.05}, "pert": {"std": std}},
                 "replicates": {"best_total_loss": losses, "included": [True] * 3}}
        models.append(tmp_path / f"m{i}.json")
        models[-1].write_text(json.dumps(model))
    written = {}
    monkeypatch.setattr(stage, "write_figure_set", lambda figs, *a, **k: written.update(figs) or {})
    group = {"group_id": "g", "label": "curl", "compare": ["pert.std"], "variant": "full",
             "eval_ids": ["e0", "e1"]}
    stage.analysis_figures("plant_perts", group, manifests=manifests, model_sidecars=models,
                           out_dir=tmp_path / "figs", sidecar_path=tmp_path / "g.json", part="part2",
                           formats=("html",))
    fig = written["profiles_compare_train__sisu-1__amp-2"]
    lateral = [t for t in fig.data if t.fill != "toself"][1::6]  # per train std, lateral position
    for std, mean in zip(TRAIN_STDS, lateral, strict=True):
        at = states[(states["train_std"] == std) & (states["pert_amp"] == 2.0) & (states["sisu"] == 1.0)]
        best, _ = aligned_trials(at[at["replicate"] == BEST[std]])
        np.testing.assert_allclose(mean.y, best.pos[:, :, 1].mean(axis=0))


def test_part1_replicate_comparison_is_one_figure_per_amplitude(states, measures):
    from motorlab.figures import LOWHIGH_MEASURES

    trials = states[states["t"] == 0]
    corr = trials[[c for c in measures.columns if c not in ("measure", "value")]].assign(
        measure="output_correlation", value=0.5)
    table = pd.concat([measures, corr], ignore_index=True)
    figs = build_group_figures(states, table, variant="full", compare=["pert.std"], part=1, dt=0.05)
    replicate_figs = {n for n in figs if n.startswith("measures_replicates_lowhigh__")}
    assert replicate_figs == {f"measures_replicates_lowhigh__{m}__amp-{a:g}"
                              for m in LOWHIGH_MEASURES for a in (0.0, 2.0)}
    for amp in (0.0, 2.0):
        fig = figs[f"measures_replicates_lowhigh__end_position_error__amp-{amp:g}"]
        for trace, std in zip(fig.data, (0.0, 1.5), strict=True):
            # replicate 0 only (1 is excluded at σ 1.5), and this amplitude's trials only
            expected = table[(table["measure"] == "end_position_error") & (table["pert_amp"] == amp)
                             & (table["train_std"] == std) & (table["replicate"] == 0)]["value"]
            assert set(trace.x) == {"0"}
            np.testing.assert_allclose(np.sort(trace.y), np.sort(expected))
        assert fig.layout.title.text == f"Field amplitude {amp:g}"
