import numpy as np

import motorlab.figures as mf


def test_loss_history_marks_each_replicates_best_iteration():
    rng = np.random.default_rng(0)
    history = {"total": rng.uniform(1, 2, (30, 3)), "position": rng.uniform(0, 1, (30, 3))}
    fig = mf.loss_history(history, [3, 10, 29], [True, False, True], terms=("total", "position"))
    stars = [t for t in fig.data if t.mode == "markers"]
    assert [s.x[0] for s in stars] == [3, 10, 29]
    assert [s.y[0] for s in stars] == [history["total"][i, r] for r, i in enumerate([3, 10, 29])]
    lines = [t for t in fig.data if t.mode == "lines"]
    assert len(lines) == 6  # 3 replicates x 2 terms
    assert lines[2].line.dash == "dash"  # replicate 1 (excluded) total loss is dashed
    assert fig.layout.yaxis.type == "log"


def test_branch_diagram_draws_branches_stability_and_folds():
    import pandas as pd

    samples = pd.DataFrame({"sisu": [0.0, 0.5, 1.0, 0.5, 1.0], "branch": [0, 0, 0, 1, 1],
                            "pc1": [0.1, 0.2, 0.3, -0.1, -0.2], "spectral_radius": [0.5, 0.6, 1.2, 1.1, 1.3],
                            "n_unstable": [0, 0, 1, 1, 2]})
    events = pd.DataFrame({"kind": ["fold", "stability"], "sisu": [0.4, 0.75]})
    fig = mf.branch_diagram(samples, events)
    names = [t.name for t in fig.data]
    assert "fold" in names and "stability" in names
    solid = [t for t in fig.data if t.name == "branch 0" and t.line.dash == "solid" and t.yaxis == "y2"]
    assert np.isnan(solid[0].y[2]) and solid[0].y[0] == 0.5  # the unstable sample is not drawn solid
