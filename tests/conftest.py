"""Shared test set-up: JAX held to strict contracts, and a fresh-key fixture (STYLE.md §6, §8).

- Strict dtype promotion: mixing float32 with float64 (or ints with floats) implicitly raises.
- Rank promotion raises: `x + y` with arrays of different ranks must be written with explicit
  broadcasting (`y[:, None]`, `jnp.broadcast_to`), so a shape bug cannot hide as a broadcast.
- Runtime shape checking: jaxtyping's import hook, installed here before anything imports
  motorlab, checks every annotated motorlab function and Module with beartype
  (tests/shape_checking.py says which beartype configuration).
  `@pytest.mark.no_shape_check(reason="...")` switches it off for one test, and needs a reason.
"""

import itertools
import os

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")

import jax
import jax.random as jr
import jaxtyping
import pytest

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
    jaxtyping.config.update("jaxtyping_disable", True)
    try:
        yield
    finally:
        jaxtyping.config.update("jaxtyping_disable", False)


@pytest.fixture
def count_traces():
    """Wrap a function so that each trace of it is counted: `f, n = count_traces(fn)`.

    `n()` returns how many times JAX (or Python) has entered `fn`'s body so far. Under `jax.jit`
    the body runs only while tracing, so two calls with equal shapes and dtypes must leave `n()`
    at 1. (The train-step tests use `eqx.debug.assert_max_traces` on the loss, and the result's
    own `n_traces`, for the same check.)
    """

    def wrap(fn):
        calls = [0]

        def counted(*args, **kwargs):
            calls[0] += 1
            return fn(*args, **kwargs)

        return counted, lambda: calls[0]

    return wrap
