"""Shared test set-up: JAX held to strict contracts, and a fresh-key fixture (STYLE.md §6, §8).

- Strict dtype promotion: mixing float32 with float64 (or ints with floats) implicitly raises.
- Rank promotion raises: `x + y` with arrays of different ranks must be written with explicit
  broadcasting (`y[:, None]`, `jnp.broadcast_to`), so a shape bug cannot hide as a broadcast.
- Runtime shape checking: jaxtyping's import hook, installed here before anything imports
  motorlab, checks every annotated motorlab function and Module with beartype
  (tests/shape_checking.py says which beartype configuration).
  `@pytest.mark.no_shape_check(reason="...")` switches it off for one test, and
  `with shape_checking.unchecked(reason): ...` for one call; both need a reason.
"""

import itertools
import os

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")

import equinox as eqx
import jax
import jax.random as jr
import jaxtyping
import pytest
from shape_checking import unchecked

# Before the first `import motorlab`: only modules imported after the hook is installed are checked.
jaxtyping.install_import_hook("motorlab", "shape_checking.typechecker")

jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture
def getkey():
    """Return a function giving a new, deterministic PRNG key on every call."""
    counter = itertools.count()
    return lambda: jr.fold_in(jr.PRNGKey(1234), next(counter))


@pytest.fixture(autouse=True)
def _shape_checking(request):
    """Runtime shape checks stay on unless the test is marked `no_shape_check(reason=...)`."""
    marker = request.node.get_closest_marker("no_shape_check")
    if marker is None:
        yield
        return
    reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
    if not reason:
        raise pytest.UsageError(f"{request.node.nodeid}: no_shape_check needs a reason")
    with unchecked(reason):
        yield


@pytest.fixture
def trace_counter(monkeypatch):
    """Count the traces of a function that a jitted region calls: `n = trace_counter(module, "name")`.

    Replaces `module.name` (where the jitted code looks it up) by
    `eqx.debug.assert_max_traces(..., max_traces)`, as the train-step test wraps its loss: a body
    under `jit` runs only while tracing, so a second trace raises, and `n()` says how many there
    were. JAX's compilation caches are cleared first, so the first call must trace.
    """
    jax.clear_caches()

    def wrap(module, name: str, max_traces: int = 1):
        counted = eqx.debug.assert_max_traces(getattr(module, name), max_traces=max_traces)
        monkeypatch.setattr(module, name, counted)
        return lambda: eqx.debug.get_num_traces(counted)

    return wrap
