"""The workflow's entry points: one function per stage, each reading its inputs, calling the library
and writing its products atomically with a JSON sidecar. Snakemake's scripts and the `motorlab`
CLI call these; nothing else in motorlab imports this package."""

from ._cli import add_pipeline_commands as add_pipeline_commands
from ._figures import fixed_point_figures as fixed_point_figures, figures as figures, loss_figures as loss_figures, write_figure_set as write_figure_set
from ._fixed_points import fixed_points as fixed_points
from ._jobs import job_log as job_log
from ._pipeline import evaluate as evaluate, finish_part as finish_part, measures as measures, train as train
from ._threads import limit_cpu_threads as limit_cpu_threads
