"""The workflow's entry points: one function per stage, each reading its inputs, calling the library
and writing its products atomically with a JSON sidecar. Snakemake's scripts and the `motorlab`
CLI call these; nothing else in motorlab imports this package."""

from ._analyses import analysis_tables as analysis_tables, evaluate as evaluate
from ._cli import add_pipeline_commands as add_pipeline_commands
from ._figures import analysis_figures as analysis_figures, write_figure_set as write_figure_set
from ._jobs import job_log as job_log
from ._pipeline import finish_part as finish_part, train as train
from ._report import GROUP_PAGE as GROUP_PAGE, report_labels as report_labels
from ._threads import limit_cpu_threads as limit_cpu_threads
from ._train_jobs import (
    read_bucket_plan as read_bucket_plan,
    train_bucket_staged as train_bucket_staged,
    train_staged as train_staged,
    write_bucket_plan as write_bucket_plan,
)
