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
