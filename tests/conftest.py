"""Shared test set-up: strict dtype promotion and a fresh-key fixture (STYLE.md §8)."""

import itertools
import os

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")

import jax
import jax.random as jr
import pytest

jax.config.update("jax_numpy_dtype_promotion", "strict")


@pytest.fixture
def getkey():
    """Return a function giving a new, deterministic PRNG key on every call."""
    counter = itertools.count()
    return lambda: jr.fold_in(jr.PRNGKey(1234), next(counter))
