"""Formulas in x and y: our own tokenizer and parser (nothing typed is ever run as
Python), exact reverse-mode derivatives that follow PyTorch's autograd rules operation for
operation, Hessians, and LaTeX.

    parse(text, max_length=2000, max_depth=100) -> Node          (FormulaError on bad input)
    compile_formula(text, max_length=2000, max_depth=100) -> Formula
    Formula.value(P) -> (B,);  Formula.value_and_grad(P) -> ((B,), (B, 2))
    Formula.hessian(point) -> (2, 2);  Formula.latex;  to_latex(node)

Grammar: numbers (2, 2.5, .5, 1e-3), x, y, pi, e, + - * / ** with Python's precedence
(-x**2 == -(x**2); 2**-x; ** is right-associative), parentheses, and sin cos tan exp log
sqrt abs tanh with one argument each.  Modules: tokenizer, parser, nodes (tree), tape
(lowering to PyTorch's operations), scalar / vector (evaluators for one point / numpy
batches), jet (Hessians), latex, arith (IEEE arithmetic on plain numbers).
"""

from .errors import FormulaError
from .formula import Formula, compile_formula
from .latex import to_latex
from .nodes import Binary, Call, Name, Node, Num, Unary
from .parser import DEFAULT_MAX_DEPTH, DEFAULT_MAX_LENGTH, parse

__all__ = ["FormulaError", "Formula", "compile_formula", "parse", "to_latex", "Node",
           "Num", "Name", "Unary", "Binary", "Call", "DEFAULT_MAX_LENGTH",
           "DEFAULT_MAX_DEPTH"]
