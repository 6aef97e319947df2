"""An update rule, lowered to straight Python on floats: one variable per coordinate.

A rule (rule.py) reads like the paper: `exp_avg = ops.lerp(exp_avg, g, 1 - beta1)`.  On
NumPy arrays it runs as written.  For one path, NumPy's per-call overhead would be most
of the cost, so this module rewrites the rule's syntax tree for n coordinates: every name
that holds a value per coordinate (the parameter `p`, the gradient `g`, the state it
declares per coordinate, and whatever is computed from them) becomes n names, `p__0`,
`p__1`, ...; every statement that assigns one becomes n statements; the rest (the group's
hyperparameters, the step count, bias corrections) is computed once.  The operations, and
their order, are the rule's: the floats round exactly as the arrays do.

What a rule may write: assignments (plain, augmented, tuple unpacking of scalars), `if`
on scalars, `return p, <state in signature order>`, arithmetic, comparisons, `x if c
else y` on scalars, calls of `ops.<name>` (see ops.py) and of plain functions on scalars.
Anything else is refused when the rule is defined, so a rule cannot silently differ
between its two forms.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Callable

from .ops import FLOAT

REDUCTIONS = ("sum", "sumsq", "numel")      # over a parameter's coordinates: a scalar
SCALAR_TESTS = {"nonzero": ast.NotEq, "positive": ast.Gt}   # ops.nonzero(x) -> x != 0
INLINE = ("where", "copy", "zeros_like", "full_like")


class RuleSyntaxError(TypeError):
    """A rule uses something this lowering cannot give the same bits for."""


def rule_tree(fn: Callable) -> ast.FunctionDef:
    source = textwrap.dedent(inspect.getsource(fn))
    tree = ast.parse(source)
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef)
    func.decorator_list = []
    return func


def lower(fn: Callable, state: tuple[str, ...], per_coordinate: frozenset[str],
          n: int) -> Callable:
    """`fn(ops, group, p, g, *state) -> (p, *state)` as
    `step(group, p__0.., g__0.., flat_state) -> (p__0.., flat_state)` on floats, where
    flat_state holds each state entry in order, n values for one per coordinate."""
    func = rule_tree(fn)
    args = [a.arg for a in func.args.args]
    if args[:4] != ["ops", "group", "p", "g"] or tuple(args[4:]) != state:
        raise RuleSyntaxError(f"{fn.__name__}: arguments must be (ops, group, p, g, "
                              f"{', '.join(state)})")
    func.body = _inline_fragments(func.body, fn.__globals__)
    vec = _vector_names(func.body, {"p", "g", *per_coordinate})
    lowering = _Lowering(vec, n, fn.__name__)
    flat = [name for s in state for name in lowering.names(s)]
    body: list[ast.stmt] = []
    if flat:
        body.append(_assign_tuple(flat, ast.Name("state__", ast.Load())))
    for stmt in func.body:
        body.extend(lowering.statement(stmt, state))
    params = ["group", *lowering.names("p"), *lowering.names("g"), "state__"]
    new = ast.FunctionDef(
        name=f"{fn.__name__}_floats{n}",
        args=ast.arguments(posonlyargs=[], args=[ast.arg(a) for a in params], vararg=None,
                           kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
        body=body, decorator_list=[], returns=None, type_params=[])
    module = ast.fix_missing_locations(ast.Module(body=[new], type_ignores=[]))
    namespace = dict(fn.__globals__)
    namespace.update({f"ops__{k}": v for k, v in FLOAT.items()})
    exec(compile(module, f"<{fn.__name__} on {n} float coordinates>", "exec"), namespace)
    lowered = namespace[new.name]
    lowered.source = ast.unparse(module)
    return lowered


class Fragment:
    """A piece of several rules (pytorch-optimizer's weight decay, AdaNorm), called in
    a rule as `a, b = piece(ops, group, x, y)`: on arrays an ordinary call; lowered, its
    body is written into the rule."""

    def __init__(self, fn: Callable):
        self.fn = fn
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__

    def __call__(self, *args):
        return self.fn(*args)


def fragment(fn: Callable) -> Fragment:
    return Fragment(fn)


def _inline_fragments(body: list[ast.stmt], scope: dict) -> list[ast.stmt]:
    """The rule's statements with every `a, b = piece(ops, group, x, ...)` replaced by the
    piece's own statements (its names prefixed `piece__`)."""
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.If):
            stmt.body = _inline_fragments(stmt.body, scope)
            stmt.orelse = _inline_fragments(stmt.orelse, scope)
        call = getattr(stmt, "value", None)
        piece = None
        if isinstance(stmt, ast.Assign) and isinstance(call, ast.Call):
            piece = _resolve(call.func, scope)
        if not isinstance(piece, Fragment):
            out.append(stmt)
            continue
        func = rule_tree(piece.fn)
        prefix = f"{piece.__name__}__"
        params = [a.arg for a in func.args.args]
        if params[:2] != ["ops", "group"] or any(
                not isinstance(a, ast.Name) for a in call.args) or len(call.args) != len(params):
            raise RuleSyntaxError(f"call {piece.__name__}(ops, group, name, ...) with names")
        local = {n.id for s in func.body for n in ast.walk(s)
                 if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} | set(params[2:])
        for param, arg in zip(params[2:], call.args[2:]):
            out.append(ast.Assign(targets=[ast.Name(prefix + param, ast.Store())],
                                  value=ast.Name(arg.id, ast.Load())))
        renamed = [_Rename(local, prefix).visit(s) for s in func.body]
        ret = renamed.pop()
        targets = stmt.targets[0]
        if not isinstance(ret, ast.Return) or not isinstance(ret.value, ast.Tuple) or not (
                isinstance(targets, ast.Tuple) and len(targets.elts) == len(ret.value.elts)):
            raise RuleSyntaxError(f"{piece.__name__} must end with a return of as many values "
                                  f"as its call assigns")
        out.extend(s for s in renamed if not (isinstance(s, ast.Expr)
                                               and isinstance(s.value, ast.Constant)))
        for target, value in zip(targets.elts, ret.value.elts):
            out.append(ast.Assign(targets=[target], value=value))
    return out


def _resolve(node: ast.expr, scope: dict):
    """What `name` or `module.name` stands for in the rule's module, or None."""
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return getattr(scope.get(node.value.id), node.attr, None)
    return None


class _Rename(ast.NodeTransformer):
    def __init__(self, local: set[str], prefix: str):
        self.local, self.prefix = local, prefix

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id in self.local:
            return ast.Name(self.prefix + node.id, node.ctx)
        return node


def _assign_tuple(names: list[str], value: ast.expr) -> ast.Assign:
    target = ast.Tuple([ast.Name(x, ast.Store()) for x in names], ast.Store())
    if len(names) == 1:
        target = ast.Tuple([ast.Name(names[0], ast.Store())], ast.Store())
    return ast.Assign(targets=[target], value=value)


def _is_ops_call(node: ast.AST) -> str | None:
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "ops"):
        return node.func.attr
    return None


def _has_vector(node: ast.AST, vec: set[str]) -> bool:
    """Does the expression hold a value per coordinate?"""
    name = _is_ops_call(node)
    if name is not None:
        if name in REDUCTIONS or name in SCALAR_TESTS:
            return False
        return any(_has_vector(a, vec) for a in node.args)
    if isinstance(node, ast.Name):
        return node.id in vec
    if isinstance(node, ast.Compare) and _is_none_test(node):
        return False
    return any(_has_vector(c, vec) for c in ast.iter_child_nodes(node)
               if isinstance(c, ast.expr))


def _is_none_test(node: ast.Compare) -> bool:
    return (len(node.ops) == 1 and isinstance(node.ops[0], (ast.Is, ast.IsNot))
            and isinstance(node.comparators[0], ast.Constant)
            and node.comparators[0].value is None)


def _targets(stmt: ast.stmt) -> list[ast.expr]:
    if isinstance(stmt, ast.Assign):
        return stmt.targets
    if isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        return [stmt.target]
    return []


def _vector_names(body: list[ast.stmt], vec: set[str]) -> set[str]:
    """The names that hold a value per coordinate: the seeds, and every name assigned an
    expression that holds one (to a fixed point: rules may branch)."""
    vec = set(vec)
    changed = True
    while changed:
        changed = False
        for stmt in (s for top in body for s in ast.walk(top) if isinstance(s, ast.stmt)):
            value = getattr(stmt, "value", None)
            if value is None or not _has_vector(value, vec):
                continue
            for target in _targets(stmt):
                for name in ast.walk(target):
                    if isinstance(name, ast.Name) and name.id not in vec:
                        vec.add(name.id)
                        changed = True
    return vec


class _Lowering:
    def __init__(self, vec: set[str], n: int, rule: str):
        self.vec, self.n, self.rule = vec, n, rule
        self.count = 0

    def names(self, name: str) -> list[str]:
        return [f"{name}__{i}" for i in range(self.n)] if name in self.vec else [name]

    def fail(self, node: ast.AST, why: str):
        raise RuleSyntaxError(f"rule {self.rule}, line {getattr(node, 'lineno', '?')}: {why}: "
                              f"{ast.unparse(node)}")

    # -- expressions ---------------------------------------------------------------------
    def expr(self, node: ast.expr, i: int | None) -> ast.expr:
        """The expression for coordinate i (None: a scalar expression)."""
        return _Expr(self, i).visit(_copy(node))

    # -- statements ----------------------------------------------------------------------
    def statement(self, stmt: ast.stmt, state: tuple[str, ...]) -> list[ast.stmt]:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            return []                                     # a docstring
        if isinstance(stmt, ast.Pass):
            return [stmt]
        if isinstance(stmt, ast.If):
            if _has_vector(stmt.test, self.vec):
                self.fail(stmt.test, "a test per coordinate: use ops.where")
            body = [s for b in stmt.body for s in self.statement(b, state)] or [ast.Pass()]
            orelse = [s for b in stmt.orelse for s in self.statement(b, state)]
            return [ast.If(test=self.expr(stmt.test, None), body=body, orelse=orelse)]
        if isinstance(stmt, ast.Return):
            return [self._return(stmt, state)]
        if isinstance(stmt, ast.Assign):
            if len(stmt.targets) != 1:
                self.fail(stmt, "one target per assignment")
            return self._assign(stmt.targets[0], stmt.value, None)
        if isinstance(stmt, ast.AugAssign):
            return self._assign(stmt.target, stmt.value, stmt.op)
        self.fail(stmt, "not allowed in a rule")
        return []

    def _assign(self, target: ast.expr, value: ast.expr, op: ast.operator | None):
        if isinstance(target, ast.Tuple):
            if op is not None or any(not isinstance(t, ast.Name) or t.id in self.vec
                                     for t in target.elts) or _has_vector(value, self.vec):
                self.fail(target, "tuple assignments take scalars only")
            return [ast.Assign(targets=[target], value=self.expr(value, None))]
        if not isinstance(target, ast.Name):
            self.fail(target, "assign to names only")
        name = target.id
        if name not in self.vec:
            return [self._one(name, self.expr(value, None), op)]
        if op is None and not _has_vector(value, self.vec) and not isinstance(
                value, (ast.Constant, ast.Name)):
            # a scalar given to every coordinate: computed once
            tmp = self.temporary()
            return [self._one(tmp, self.expr(value, None), None),
                    *(self._one(x, ast.Name(tmp, ast.Load()), None) for x in self.names(name))]
        before: list[ast.stmt] = []
        if self.n > 1:
            value = _Hoist(self, before).visit(_copy(value))
        return before + [self._one(x, self.expr(value, i), op)
                         for i, x in enumerate(self.names(name))]

    def temporary(self) -> str:
        self.count += 1
        return f"t__{self.count}"

    @staticmethod
    def _one(name: str, value: ast.expr, op: ast.operator | None) -> ast.stmt:
        if op is None:
            return ast.Assign(targets=[ast.Name(name, ast.Store())], value=value)
        return ast.AugAssign(target=ast.Name(name, ast.Store()), op=op, value=value)

    def _return(self, stmt: ast.Return, state: tuple[str, ...]) -> ast.Return:
        value = stmt.value
        want = ["p", *state]
        if not (isinstance(value, ast.Tuple) and [getattr(e, "id", None) for e in value.elts]
                == want):
            self.fail(stmt, f"return {', '.join(want)}")
        flat = [ast.Name(x, ast.Load()) for s in state for x in self.names(s)]
        out = [ast.Name(x, ast.Load()) for x in self.names("p")]
        out.append(ast.Tuple(flat, ast.Load()))
        return ast.Return(ast.Tuple(out, ast.Load()))


class _Expr(ast.NodeTransformer):
    """Rewrites one expression for coordinate i (or as a scalar, i = None)."""

    def __init__(self, lowering: _Lowering, i: int | None):
        self.low, self.i = lowering, i

    def coordinate(self, node: ast.expr, i: int) -> ast.expr:
        return _Expr(self.low, i).visit(_copy(node))

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id == "ops":
            self.low.fail(node, "ops is only called")
        if node.id in self.low.vec:
            if self.i is None:
                self.low.fail(node, "a value per coordinate where a scalar is needed")
            return ast.Name(f"{node.id}__{self.i}", ast.Load())
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        if _is_none_test(node) and isinstance(node.left, ast.Name) and node.left.id in self.low.vec:
            # state created lazily: all its coordinates are None, or none is
            return ast.Compare(ast.Name(f"{node.left.id}__0", ast.Load()), node.ops,
                               node.comparators)
        return self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:
        if _has_vector(node.test, self.low.vec):
            self.low.fail(node, "a test per coordinate: use ops.where")
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.expr:
        name = _is_ops_call(node)
        if name is None:
            if any(_has_vector(a, self.low.vec) for a in node.args) or node.keywords:
                self.low.fail(node, "plain functions take scalars (positional) only")
            return self.generic_visit(node)
        args = node.args
        n = self.low.n
        if name == "numel":
            return ast.Constant(n)
        if name in ("sum", "sumsq"):
            (x,) = args
            terms = [self.coordinate(x, j) for j in range(n)]
            if name == "sumsq":
                terms = [ast.BinOp(t, ast.Mult(), _copy(t)) for t in terms]
            total = terms[0]
            for t in terms[1:]:
                total = ast.BinOp(total, ast.Add(), t)
            return total
        if name in SCALAR_TESTS:
            (x,) = args
            return ast.Compare(self.visit(x), [SCALAR_TESTS[name]()], [ast.Constant(0)])
        if name == "where":
            cond, a, b = (self.visit(x) for x in args)
            return ast.IfExp(test=cond, body=a, orelse=b)
        if name == "copy":
            return self.visit(args[0])
        if name == "zeros_like":
            return ast.Constant(0.0)
        if name == "full_like":
            return self.visit(args[1])
        if name not in FLOAT:
            self.low.fail(node, f"ops.{name} is not an operation of ops.py")
        inline = _inline(name, [self.visit(a) for a in args])
        if inline is not None:
            return inline
        return ast.Call(ast.Name(f"ops__{name}", ast.Load()), [self.visit(a) for a in args], [])

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        if _has_vector(node.value, self.low.vec):
            self.low.fail(node, "no indexing into a value per coordinate")
        return self.generic_visit(node)

    def generic_visit(self, node):
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.GeneratorExp, ast.DictComp,
                             ast.SetComp, ast.NamedExpr, ast.Await, ast.Yield)):
            self.low.fail(node, "not allowed in a rule")
        return super().generic_visit(node)


def _simple(node: ast.expr) -> bool:
    return isinstance(node, (ast.Name, ast.Constant))


def _inline(name: str, args: list[ast.expr]) -> ast.expr | None:
    """ops.lerp, maximum, minimum and sign written out (FLOAT's functions, without the
    call), where repeating an argument costs nothing."""
    e = lambda text: ast.parse(text, mode="eval").body      # noqa: E731
    if name == "lerp":
        a, end, w = args
        if not (_simple(a) and _simple(end)):
            return None
        a, end, w = (f"({ast.unparse(x)})" for x in (a, end, w))
        return e(f"{a} + ({end} - {a}) * {w} if abs({w}) < 0.5 "
                 f"else {end} - ({end} - {a}) * (1.0 - {w})")
    if name in ("maximum", "minimum") and all(_simple(x) for x in args):
        a, b = (f"({ast.unparse(x)})" for x in args)
        op = ">=" if name == "maximum" else "<="
        return e(f"{a} if {a} != {a} or {a} {op} {b} else {b}")
    if name == "sign" and _simple(args[0]):
        x = f"({ast.unparse(args[0])})"
        return e(f"1.0 if {x} > 0 else (-1.0 if {x} < 0 else 0.0)")
    return None


class _Hoist(ast.NodeTransformer):
    """Lifts the scalar parts of a per-coordinate expression (`1 - beta1`, `-step_size`,
    `ops.sumsq(g)`) out of it, computed once instead of once per coordinate: the same
    operations on the same operands, so the same bits.  Parts that Python evaluates only
    sometimes (the branches of `a if c else b`, `and`/`or` operands) stay where they are."""

    def __init__(self, lowering: _Lowering, out: list[ast.stmt]):
        self.low, self.out = lowering, out

    def visit(self, node):
        if (isinstance(node, ast.expr) and not isinstance(node, (ast.Name, ast.Constant))
                and not _has_vector(node, self.low.vec) and _is_ops_call(node) != "numel"):
            tmp = self.low.temporary()
            self.out.append(ast.Assign(targets=[ast.Name(tmp, ast.Store())],
                                       value=self.low.expr(node, None)))
            return ast.Name(tmp, ast.Load())
        return super().visit(node)

    def visit_IfExp(self, node: ast.IfExp):
        node.test = self.visit(node.test)
        return node

    def visit_BoolOp(self, node: ast.BoolOp):
        node.values[0] = self.visit(node.values[0])
        return node

    def visit_Call(self, node: ast.Call):
        if _is_ops_call(node) == "where":
            node.args[0] = self.visit(node.args[0])
            return node
        node.args = [self.visit(a) for a in node.args]
        return node


def _copy(node: ast.expr) -> ast.expr:
    return ast.parse(ast.unparse(node), mode="eval").body
