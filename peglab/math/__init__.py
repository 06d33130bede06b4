"""Pure integer math, named after the reference it mirrors (dss, Curve, Uniswap v2, Aerodrome).

Everything here is stateless and exact; import from ``peglab.math``.
"""

from __future__ import annotations

from .abaci import exponential_decrease, linear_decrease, stairstep_exponential_decrease
from .dss import apr_to_duty, rpow
from .fixedpoint import (
    ceil_div,
    div_trunc,
    mul_div_down,
    mul_div_up,
    rdiv,
    rdiv_up,
    rmul,
    rmul_up,
    wdiv,
    wdiv_up,
    wmul,
    wmul_up,
)

__all__ = [
    "apr_to_duty",
    "ceil_div",
    "div_trunc",
    "exponential_decrease",
    "linear_decrease",
    "mul_div_down",
    "mul_div_up",
    "rdiv",
    "rdiv_up",
    "rmul",
    "rmul_up",
    "rpow",
    "stairstep_exponential_decrease",
    "wdiv",
    "wdiv_up",
    "wmul",
    "wmul_up",
]
