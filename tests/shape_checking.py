"""The runtime type checker that tests/conftest.py applies to every motorlab module.

beartype, with PEP 484's numeric tower: an `int` is accepted where `float` is annotated (and an
`int` or `float` where `complex` is), as static type checkers accept it. jaxtyping's import hook
wraps each annotated function and Module in `@jaxtyped(typechecker=typechecker)`, so array
annotations (`Float[Array, "batch time 2"]`) are checked for dtype and for shapes consistent
across one call.
"""

from beartype import BeartypeConf, beartype

typechecker = beartype(conf=BeartypeConf(is_pep484_tower=True))
