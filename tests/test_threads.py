"""Job thread limits: concurrent jobs claim different cores; XLA then uses only those."""

import os
import subprocess
import sys
import textwrap

import pytest

from motorlab.stages import limit_cpu_threads

SCRIPT = textwrap.dedent("""
    import json, sys, time
    from motorlab.stages import limit_cpu_threads
    cores = limit_cpu_threads(1, lock_dir=sys.argv[1])
    print(json.dumps(cores), flush=True)
    time.sleep(2)
""")


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs at least 2 CPU cores")
def test_concurrent_jobs_claim_different_cores(tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT, str(tmp_path)], stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    claimed = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert claimed[0] != claimed[1]


def test_bad_thread_count_is_a_clear_error():
    with pytest.raises(ValueError, match="integer >= 1, got 0"):
        limit_cpu_threads(0)
