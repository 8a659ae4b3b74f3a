"""Array type aliases used across motorlab (jaxtyping)."""

from jaxtyping import Array, Bool, Float, Int, PRNGKeyArray, UInt32
from jaxtyping import Key as _TypedKey

Scalar = Float[Array, ""]
Vec2 = Float[Array, "2"]
State = Float[Array, "4"]  # [p_x, p_y, v_x, v_y]
Key = PRNGKeyArray
Keys = _TypedKey[Array, " n"] | UInt32[Array, "n 2"] | UInt32[Array, "n 4"]  # one key per trial

__all__ = ["Array", "Bool", "Float", "Int", "Key", "Keys", "Scalar", "State", "Vec2"]
