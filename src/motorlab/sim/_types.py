"""Array type aliases used across motorlab (jaxtyping)."""

from jaxtyping import Array, Float, Int, PRNGKeyArray

Scalar = Float[Array, ""]
Vec2 = Float[Array, "2"]
State = Float[Array, "4"]  # [p_x, p_y, v_x, v_y]
Key = PRNGKeyArray

__all__ = ["Array", "Float", "Int", "Key", "Scalar", "State", "Vec2"]
