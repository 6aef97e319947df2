"""A compiled formula: parse once, then evaluate values, gradients and Hessians fast."""

from __future__ import annotations

import numpy as np

from . import jet
from .latex import to_latex
from .nodes import Node
from .parser import DEFAULT_MAX_DEPTH, DEFAULT_MAX_LENGTH, parse
from .scalar import ScalarProgram
from .tape import Tape, lower
from .vector import Check, VectorProgram

_f64 = np.float64


class Formula:
    """A formula in x and y, compiled.

    Attributes: `text` (as typed), `tree` (the syntax tree), `latex`, `tape` (the
    straight-line program, one PyTorch operation per instruction) and `variables`
    (the subset of {"x", "y"} the formula uses).

    Points are given either as one (B, 2) array P (rows (x, y)) or as two (B,) arrays
    x and y.  One point (B == 1) is evaluated with Python floats, larger batches with
    numpy.
    """

    __slots__ = ("text", "tree", "latex", "tape", "variables", "_scalar", "_vector")

    def __init__(self, text: str, tree: Node):
        self.text = text
        self.tree = tree
        self.latex = to_latex(tree)
        self.tape: Tape = lower(tree)
        self.variables = frozenset(n for n, used in (("x", self.tape.uses_x),
                                                     ("y", self.tape.uses_y)) if used)
        self._scalar = ScalarProgram(self.tape)
        self._vector = VectorProgram(self.tape)

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"

    # -- evaluation ------------------------------------------------------------------

    def value(self, P, y=None, check: Check = None) -> np.ndarray:
        """f at B points: an array of shape (B,).  `check()`, if given, is called every
        few milliseconds of a long evaluation (it raises to stop it)."""
        x, y = _columns(P, y)
        if x.shape[0] == 1:
            return np.array([self._scalar.value(float(x[0]), float(y[0]))])
        return self._vector.value(x, y, check)

    def value_and_grad(self, P, y=None, check: Check = None) -> tuple[np.ndarray, np.ndarray]:
        """(f, ∇f) at B points: arrays of shape (B,) and (B, 2), as torch.autograd
        computes them (fresh arrays: callers may keep or modify them).  `check` as for
        `value`."""
        if y is None and type(P) is np.ndarray and P.shape == (1, 2):
            # one path, one step: the hot case, kept to a few hundred nanoseconds of glue
            (a, b), = P.tolist()
            v, gx, gy = self._scalar.value_and_grad(float(a), float(b))
            value = np.empty(1)
            value[0] = v
            grad = np.empty((1, 2))
            grad[0, 0] = gx
            grad[0, 1] = gy
            return value, grad
        x, y = _columns(P, y)
        if x.shape[0] == 1:
            return self.value_and_grad(np.array([[x[0], y[0]]]))
        return self._vector.value_and_grad(x, y, check)

    def value_and_grad_at(self, x: float, y: float) -> tuple[float, float, float]:
        """(f, f_x, f_y) at one point, as Python floats."""
        return self._scalar.value_and_grad(float(x), float(y))

    @property
    def value_and_grad_of_floats(self):
        """value_and_grad_at for callers whose x and y are Python floats already (a loop
        over one path's steps): the one-point evaluator itself, without conversions."""
        return self._scalar.value_and_grad

    def hessian(self, point, y=None) -> np.ndarray:
        """The Hessian [[f_xx, f_xy], [f_xy, f_yy]]: shape (2, 2) at one point (x, y),
        (B, 2, 2) at a (B, 2) array of points.  Exact (forward-mode second derivatives),
        not PyTorch's rounding."""
        if y is not None:
            return jet.hessian(self.tape, np.asarray(point, dtype=_f64),
                               np.asarray(y, dtype=_f64))
        p = np.asarray(point, dtype=_f64)
        if p.shape == (2,):
            return jet.hessian(self.tape, p[0], p[1])
        x, y = _columns(p, None)
        return jet.hessian(self.tape, x, y)


def _columns(P, y) -> tuple[np.ndarray, np.ndarray]:
    if y is not None:
        x = np.ascontiguousarray(P, dtype=_f64).reshape(-1)
        y = np.ascontiguousarray(y, dtype=_f64).reshape(-1)
        if x.shape != y.shape:
            raise ValueError(f"x and y differ in length: {x.shape[0]} and {y.shape[0]}")
        return x, y
    P = np.asarray(P, dtype=_f64)
    if P.ndim != 2 or P.shape[1] != 2:
        if P.shape == (2,):
            P = P.reshape(1, 2)
        else:
            raise ValueError(f"points must have shape (B, 2), not {P.shape}")
    return np.ascontiguousarray(P[:, 0]), np.ascontiguousarray(P[:, 1])


def compile_formula(text: str, max_length: int | None = DEFAULT_MAX_LENGTH,
                    max_depth: int | None = DEFAULT_MAX_DEPTH) -> Formula:
    """Parse and compile `text`; FormulaError(message, column) when it cannot be read."""
    return Formula(text, parse(text, max_length=max_length, max_depth=max_depth))
