"""The shared progress helper: a rich bar on a terminal, plain log lines otherwise."""

import logging

from motorlab.train import LoopProgress, track


def test_plain_log_lines_every_tenth_and_at_the_end(caplog):
    caplog.set_level(logging.INFO, logger="motorlab.test")
    with LoopProgress(25, "fixing points", logger="motorlab.test", terminal=False) as progress:
        for i in range(25):
            progress.advance(f"replicate {i}")
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "fixing points: 2/25 (last: replicate 1)"
    assert lines[-1] == "fixing points: 25/25 (last: replicate 24)" and len(lines) == 13


def test_a_terminal_gets_a_bar_and_no_log_lines(caplog):
    caplog.set_level(logging.INFO, logger="motorlab.test")
    assert list(track(range(5), "evaluating", logger="motorlab.test")) == [0, 1, 2, 3, 4]  # pytest: no tty
    assert len(caplog.records) == 5
    caplog.clear()
    with LoopProgress(5, "exporting", logger="motorlab.test", terminal=True) as progress:
        assert progress._bar is not None
        for _ in range(5):
            progress.advance()
    assert progress._bar is None and progress.done == 5 and not caplog.records


def test_a_workflow_job_log_gets_the_plain_progress_lines(tmp_path):
    from motorlab.stages import job_log

    log = tmp_path / "job.log"
    with job_log(log):
        assert list(track(range(3), "fixed points: replicates", logger="motorlab.fixed_points")) == [0, 1, 2]
    text = log.read_text()
    assert "[motorlab.fixed_points] fixed points: replicates: 3/3" in text
    assert not logging.getLogger("motorlab").handlers  # the job's handler is gone afterwards


def test_the_training_bar_shows_each_models_running_loss():
    import numpy as np

    from motorlab.train import TrainingProgress

    with TrainingProgress(100, enabled=True) as bar:
        bar.update(10, np.array([[1.0, 3.0], [0.5, np.nan], [np.nan, np.nan]]),
                   np.array([[True, True], [True, False], [False, False]]))
        task = bar._progress.tasks[0]
        assert task.completed == 10
        assert task.fields["loss"] == "2 0.5 nan"  # median over each model's finite replicates
        assert "3 diverged" in task.fields["alive"]
        bar.update(20, np.full((12, 1), 0.25), np.ones((12, 1), bool))
        assert bar._progress.tasks[0].fields["loss"].endswith("… (12 models)")
