"""Which formulas every machine computes to the same bits.

IEEE 754 rounds + - * / correctly, so two programs that apply them to the same operands
in the same order agree to the bit on any processor.  exp, log, pow, sin, cos, tan,
tanh are not correctly rounded, and which implementation runs (glibc's, NumPy's SIMD
loops, PyTorch's vectorized kernels) and which code path it takes depends on the
processor; torch's sqrt is one ulp off for some inputs.  Where those appear, tests
compare to a relative bound, never to the bit.
"""

from __future__ import annotations

from app.engine.expr.nodes import Binary, Call, Name, Num, Unary

# x ** k for these literal k is a product on every side (torch's pow special cases, the
# formula engine's tpow): multiplications, in the same order.
PRODUCT_POWERS = (1, 2, 3)


def ieee_exact(node) -> bool:
    """True when the formula uses only + - * /, abs, and x ** k with k in PRODUCT_POWERS."""
    t = type(node)
    if t in (Num, Name):
        return True
    if t is Unary:
        return ieee_exact(node.operand)
    if t is Call:
        return node.func == "abs" and ieee_exact(node.arg)
    assert t is Binary
    if node.op == "**":
        k = node.right
        return type(k) is Num and k.value in PRODUCT_POWERS and ieee_exact(node.left)
    return ieee_exact(node.left) and ieee_exact(node.right)
