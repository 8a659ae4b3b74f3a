#!/usr/bin/env bash
# The SLURM test (issue 15 item 21): bring up a one-node SLURM cluster (about 40 s, as root),
# run tests/test_slurm.py against it, and always bring the cluster down again.
#
#   sudo .ci/slurm/test.sh            (run by .ci/run after `make test` when it runs as root)
#
# setup.sh/teardown.sh come from ../shared/reference/slurm-local (see its NOTES.md): they start
# munged, slurmctld and slurmd by PID file, with a fake gres/gpu, and stop them the same way.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "the SLURM test needs root (it starts the SLURM daemons)" >&2; exit 2; }
VENV="${VENV:-.venv}"

# The executor plugins go into the project venv: the jobs run `python -m snakemake` with the
# submitting interpreter, which must also import motorlab and JAX.
"$VENV/bin/pip" install -q 'snakemake-executor-plugin-slurm==2.8.0' 'snakemake-executor-plugin-slurm-jobstep==0.6.1'

down() {
  .ci/slurm/teardown.sh || true
  # the cluster is down: the controller answers no more
  if timeout 10 sinfo >/dev/null 2>&1; then echo "SLURM is still up after teardown" >&2; exit 1; fi
  echo "SLURM cluster is down"
}
trap down EXIT
.ci/slurm/setup.sh --no-venv --no-smoke
MOTORLAB_SLURM=1 "$VENV/bin/pytest" -q -p no:randomly tests/test_slurm.py
