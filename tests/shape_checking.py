"""The runtime type checker that tests/conftest.py applies to every motorlab module.

beartype, with PEP 484's numeric tower: an `int` is accepted where `float` is annotated (and an
`int` or `float` where `complex` is), as static type checkers accept it. jaxtyping's import hook
wraps each annotated function and Module in `@jaxtyped(typechecker=typechecker)`, so array
annotations (`Float[Array, "batch time 2"]`) are checked for dtype and for shapes consistent
across one call.
"""

import contextlib

import jaxtyping
from beartype import BeartypeConf, beartype

typechecker = beartype(conf=BeartypeConf(is_pep484_tower=True))


@contextlib.contextmanager
def unchecked(reason: str):
    """Run a block without the runtime checks, for a call that tests the library's own error for
    an argument its annotation already excludes (beartype would raise first). `reason` says why."""
    if not reason:
        raise ValueError("unchecked() needs a reason")
    jaxtyping.config.update("jaxtyping_disable", True)
    try:
        yield
    finally:
        jaxtyping.config.update("jaxtyping_disable", False)
